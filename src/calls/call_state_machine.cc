#include "omnivox/call_state_machine.h"

#include <algorithm>
#include <array>

namespace omnivox {

namespace {

constexpr std::array<const char*, 10> kEventKindNames = {
    "initiated", "ringing", "answered",  "amd_result", "bridged",
    "completed", "busy",    "no_answer", "failed",     "canceled"};

}  // namespace

const char* to_string(CallEventKind k) { return kEventKindNames.at(static_cast<std::size_t>(k)); }

const char* to_string(ApplyOutcome o) {
  switch (o) {
    case ApplyOutcome::kApplied:
      return "applied";
    case ApplyOutcome::kDuplicate:
      return "duplicate";
    case ApplyOutcome::kLate:
      return "late";
  }
  return "?";
}

CallState target_state(CallState current, const CallEvent& event) {
  switch (event.kind) {
    case CallEventKind::kInitiated:
      return CallState::kDialing;
    case CallEventKind::kRinging:
      return CallState::kRinging;
    case CallEventKind::kAnswered:
      return CallState::kAnswered;
    case CallEventKind::kAmdResult:
      switch (event.amd) {
        case AmdResult::kMachine:
          return CallState::kMachine;
        case AmdResult::kFax:
          return CallState::kFax;
        default:
          return CallState::kHuman;  // UNKNOWN is treated as a person: never drop one
      }
    case CallEventKind::kBridged:
      return CallState::kBridged;
    case CallEventKind::kCompleted:
      // A person who hangs up while waiting for an agent was abandoned.
      return current == CallState::kHuman ? CallState::kAbandoned : CallState::kCompleted;
    case CallEventKind::kBusy:
      return CallState::kBusy;
    case CallEventKind::kNoAnswer:
      return CallState::kNoAnswer;
    case CallEventKind::kFailed:
      return CallState::kFailed;
    case CallEventKind::kCanceled:
      return CallState::kCanceled;
  }
  return current;
}

bool CallStateMachine::seen(const CallEvent& event) {
  // With a provider sequence number, (call, sequence) identifies the event; without one, the
  // kind (and AMD result) does, since a provider reports each kind once per call.
  std::uint64_t key = event.sequence != 0 ? (std::uint64_t{1} << 63) | event.sequence
                                          : (static_cast<std::uint64_t>(event.kind) << 8) |
                                                static_cast<std::uint64_t>(event.amd);
  const auto inline_end = seen_keys_.begin() + seen_count_;
  if (std::find(seen_keys_.begin(), inline_end, key) != inline_end) return true;
  if (std::find(seen_more_.begin(), seen_more_.end(), key) != seen_more_.end()) return true;
  if (seen_count_ < kSeenInline) {
    seen_keys_[seen_count_++] = key;
  } else {
    seen_more_.push_back(key);
  }
  return false;
}

CallStateMachine::Result CallStateMachine::apply(const CallEvent& event, TimePoint now) {
  Result result{ApplyOutcome::kApplied, state_, state_};
  if (seen(event)) {
    result.outcome = ApplyOutcome::kDuplicate;
    return result;
  }
  CallState to = target_state(state_, event);
  if (is_terminal(state_) || rank_of(to) <= rank_of(state_)) {
    result.outcome = ApplyOutcome::kLate;
    return result;
  }
  state_ = to;
  entered_at_ = now;
  if (to == CallState::kFailed) {
    fail_reason_ =
        event.fail_reason == FailReason::kNone ? FailReason::kNetwork : event.fail_reason;
  }
  if (event.kind == CallEventKind::kAmdResult) amd_ = event.amd;
  result.to = to;
  return result;
}

CallStateMachine::Result CallStateMachine::force(CallState to, TimePoint now, FailReason reason) {
  Result result{ApplyOutcome::kApplied, state_, state_};
  if (is_terminal(state_) || rank_of(to) <= rank_of(state_)) {
    result.outcome = ApplyOutcome::kLate;
    return result;
  }
  state_ = to;
  entered_at_ = now;
  if (to == CallState::kFailed)
    fail_reason_ = reason == FailReason::kNone ? FailReason::kTimeout : reason;
  result.to = to;
  return result;
}

std::optional<TimePoint> CallStateMachine::deadline(const StateTimeouts& t,
                                                    Duration ring_timeout) const {
  switch (state_) {
    case CallState::kQueued:
      return entered_at_ + t.queued;
    case CallState::kDialing:
      return entered_at_ + t.dialing + ring_timeout;
    case CallState::kRinging:
      return entered_at_ + ring_timeout + t.ringing_extra;
    case CallState::kAnswered:
      return entered_at_ + t.answered;
    case CallState::kHuman:
      return entered_at_ + t.human;
    case CallState::kMachine:
    case CallState::kFax:
      return entered_at_ + t.machine;
    case CallState::kBridged:
      return entered_at_ + t.bridged;
    default:
      return std::nullopt;
  }
}

}  // namespace omnivox
