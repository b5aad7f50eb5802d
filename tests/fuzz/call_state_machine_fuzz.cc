// Fuzz target: the call state machine (omnivox/call_state_machine.h) fed arbitrary sequences of
// telephony events and engine decisions.
//
// Input: 4 bytes per step — [op] [kind/state] [amd + fail reason] [sequence + time step].
// op bit 0: apply() an event (0) or force() a state (1); op bit 1: apply the same event twice.
// Checks the header's rules after every step: a transition only moves up in rank; terminal
// states never change; kApplied moves the state to target_state(); kDuplicate and kLate leave the
// state and entered_at alone; an event seen again is kDuplicate; deadline() is nullopt exactly in
// terminal states; a FAILED call has a fail reason; nothing throws (the header documents no
// exception).
#include <cstddef>
#include <cstdint>
#include <exception>

#include "fuzz_check.h"
#include "omnivox/call_state_machine.h"

namespace {

using omnivox::ApplyOutcome;
using omnivox::CallState;
using omnivox::CallStateMachine;

void check_result(const CallStateMachine& m, const CallStateMachine::Result& r, CallState before,
                  omnivox::TimePoint entered_before, omnivox::TimePoint now) {
  FUZZ_CHECK(r.from == before);
  FUZZ_CHECK(r.to == m.state());
  if (r.outcome == ApplyOutcome::kApplied) {
    FUZZ_CHECK(!omnivox::is_terminal(before));
    FUZZ_CHECK(omnivox::rank_of(m.state()) > omnivox::rank_of(before));
    FUZZ_CHECK(m.entered_at() == now);
  } else {
    FUZZ_CHECK(m.state() == before);
    FUZZ_CHECK(m.entered_at() == entered_before);
  }
  if (omnivox::is_terminal(before)) FUZZ_CHECK(m.state() == before);
  FUZZ_CHECK(m.state() != CallState::kFailed || m.fail_reason() != omnivox::FailReason::kNone);
  const omnivox::StateTimeouts timeouts;
  auto deadline = m.deadline(timeouts, omnivox::Duration(25000));
  FUZZ_CHECK(deadline.has_value() == !omnivox::is_terminal(m.state()));
  if (deadline) FUZZ_CHECK(*deadline >= m.entered_at());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    omnivox::TimePoint now{std::chrono::milliseconds(1'700'000'000'000)};
    CallStateMachine m(now);
    for (std::size_t i = 0; i + 4 <= size; i += 4) {
      const std::uint8_t op = data[i], what = data[i + 1], detail = data[i + 2], tail = data[i + 3];
      now += omnivox::Duration((tail >> 3) * 250);
      const CallState before = m.state();
      const omnivox::TimePoint entered_before = m.entered_at();
      if (op & 1) {
        const auto to = static_cast<CallState>(what % omnivox::kCallStateCount);
        const auto reason = static_cast<omnivox::FailReason>((detail >> 4) % 7);
        const auto r = m.force(to, now, reason);
        check_result(m, r, before, entered_before, now);
        if (r.outcome == ApplyOutcome::kApplied) FUZZ_CHECK(m.state() == to);
        continue;
      }
      omnivox::CallEvent e;
      e.call_id = 1;
      e.kind = static_cast<omnivox::CallEventKind>(what % 10);
      e.amd = static_cast<omnivox::AmdResult>((detail & 0x0F) % 5);
      e.fail_reason = static_cast<omnivox::FailReason>((detail >> 4) % 7);
      e.sequence = tail & 7;  // 0 = none; small values so the fuzzer repeats them
      const CallState expected = omnivox::target_state(before, e);
      const auto r = m.apply(e, now);
      check_result(m, r, before, entered_before, now);
      if (r.outcome == ApplyOutcome::kApplied) {
        FUZZ_CHECK(m.state() == expected);
        if (e.kind == omnivox::CallEventKind::kAmdResult) FUZZ_CHECK(m.amd() == e.amd);
      }
      if (op & 2) {  // the provider sends it again: always a no-op
        const CallState again_before = m.state();
        const omnivox::TimePoint again_entered = m.entered_at();
        const auto again = m.apply(e, now);
        FUZZ_CHECK(again.outcome == ApplyOutcome::kDuplicate);
        check_result(m, again, again_before, again_entered, now);
      }
    }
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  return 0;
}
