// Property tests of the call state machine (docs/architecture.md, Call state machine) over
// thousands of random event sequences, from fixed seeds. Each sequence mixes telephony events (any
// kind, any AMD result, with and without provider sequence numbers, replays of earlier events) and
// the engine's forced moves (HUMAN, ABANDONED, FAILED, CANCELED), at non-decreasing instants. After
// every step:
//   - terminal states absorb: once terminal, nothing applies and nothing changes;
//   - every applied transition is allowed: it moves up in rank, to the state the event maps to
//     (target_state) or the one forced;
//   - an event seen before is a duplicate (same sequence number, or same kind and AMD result
//     without one) and changes nothing; an event that would not move up is late;
//   - entered_at only moves on a transition, to the step's instant, so it never goes back;
//   - outcome fields are consistent: a fail reason exactly when FAILED (the event's reason, else
//     NETWORK for an event and TIMEOUT for a forced failure); MACHINE/FAX only with that AMD
//     result; ABANDONED from an event only out of HUMAN;
//   - every non-terminal state has a deadline after it was entered (no call is stuck).
// A failing sequence is shrunk (steps removed while it still fails) and printed with its seed.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "omnivox/call_state_machine.h"

namespace omnivox {
namespace {

const TimePoint kT0 = parse_utc("2026-05-04T09:00:00Z");

struct Step {
  bool forced = false;
  CallEvent event;                          // when !forced
  CallState force_to = CallState::kFailed;  // when forced
  FailReason force_reason = FailReason::kNone;
  Duration advance{0};  // time passing before the step
};

std::string describe(const Step& s) {
  std::ostringstream out;
  out << "+" << s.advance.count() << "ms ";
  if (s.forced) {
    out << "force(" << to_string(s.force_to) << ", " << to_string(s.force_reason) << ")";
  } else {
    out << "event(" << to_string(s.event.kind) << ", seq " << s.event.sequence << ", amd "
        << to_string(s.event.amd) << ", reason " << to_string(s.event.fail_reason) << ")";
  }
  return out.str();
}

std::string describe(const std::vector<Step>& steps) {
  std::string out;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    out += "\n  " + std::to_string(i) + ": " + describe(steps[i]);
  }
  return out;
}

std::vector<Step> random_sequence(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> length(1, 14), kind(0, 9), amd(0, 4), reason(0, 6), pct(0, 99),
      seq(1, 6);
  std::uniform_int_distribution<int> advance_ms(0, 20000);
  const CallState forceable[] = {CallState::kHuman, CallState::kAbandoned, CallState::kFailed,
                                 CallState::kCanceled};
  std::vector<Step> steps;
  int n = length(rng);
  for (int i = 0; i < n; ++i) {
    Step s;
    s.advance = Duration(pct(rng) < 20 ? 0 : advance_ms(rng));
    int roll = pct(rng);
    if (roll < 15) {
      s.forced = true;
      s.force_to = forceable[pct(rng) % 4];
      s.force_reason = pct(rng) < 50 ? FailReason::kNone : static_cast<FailReason>(reason(rng));
    } else if (roll < 30 && !steps.empty()) {
      // A replay of an earlier event (a provider retrying a webhook).
      const Step& earlier = steps[pct(rng) % steps.size()];
      s = earlier;
      s.advance = Duration(advance_ms(rng));
    } else {
      s.event.call_id = 1;
      s.event.kind = static_cast<CallEventKind>(kind(rng));
      s.event.sequence = pct(rng) < 40 ? 0 : static_cast<std::uint32_t>(seq(rng));
      if (s.event.kind == CallEventKind::kAmdResult) s.event.amd = static_cast<AmdResult>(amd(rng));
      if (s.event.kind == CallEventKind::kFailed && pct(rng) < 60) {
        s.event.fail_reason = static_cast<FailReason>(reason(rng));
      }
    }
    steps.push_back(s);
  }
  return steps;
}

// The duplicate key the header documents: the sequence number, or (kind, AMD result) without one.
std::uint64_t key_of(const CallEvent& e) {
  return e.sequence != 0
             ? (std::uint64_t{1} << 63) | e.sequence
             : (static_cast<std::uint64_t>(e.kind) << 8) | static_cast<std::uint64_t>(e.amd);
}

// Runs the steps and returns the first broken property, or nullopt.
std::optional<std::string> check(const std::vector<Step>& steps) {
  CallStateMachine sm(kT0);
  StateTimeouts timeouts;
  const Duration ring = std::chrono::seconds(25);
  TimePoint now = kT0;
  std::set<std::uint64_t> seen;
  CallState before_abandon = CallState::kQueued;
  bool amd_seen = false;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    now += s.advance;
    const std::string at = "step " + std::to_string(i) + " (" + describe(s) + "): ";
    const CallState from = sm.state();
    const TimePoint entered = sm.entered_at();
    const FailReason reason_before = sm.fail_reason();
    const AmdResult amd_before = sm.amd();
    CallStateMachine::Result r;
    CallState expected_to;
    std::optional<ApplyOutcome> expected_outcome;
    if (s.forced) {
      r = sm.force(s.force_to, now, s.force_reason);
      expected_to = s.force_to;
      expected_outcome = is_terminal(from) || rank_of(expected_to) <= rank_of(from)
                             ? ApplyOutcome::kLate
                             : ApplyOutcome::kApplied;
    } else {
      r = sm.apply(s.event, now);
      expected_to = target_state(from, s.event);
      if (!seen.insert(key_of(s.event)).second) {
        expected_outcome = ApplyOutcome::kDuplicate;
      } else {
        expected_outcome = is_terminal(from) || rank_of(expected_to) <= rank_of(from)
                               ? ApplyOutcome::kLate
                               : ApplyOutcome::kApplied;
      }
    }
    if (r.outcome != *expected_outcome) {
      return at + "outcome " + to_string(r.outcome) + ", expected " + to_string(*expected_outcome);
    }
    if (r.from != from) return at + "result.from is not the state before";
    if (r.outcome != ApplyOutcome::kApplied) {
      if (sm.state() != from || r.to != from) return at + "a no-op changed the state";
      if (sm.entered_at() != entered) return at + "a no-op moved entered_at";
      if (sm.fail_reason() != reason_before || sm.amd() != amd_before) {
        return at + "a no-op changed the outcome fields";
      }
    } else {
      if (is_terminal(from)) return at + "a terminal state changed";
      if (rank_of(sm.state()) <= rank_of(from)) return at + "moved without going up in rank";
      if (sm.state() != expected_to || r.to != expected_to) {
        return at + "moved to " + to_string(sm.state()) + ", not " + to_string(expected_to);
      }
      if (sm.entered_at() != now) return at + "entered_at is not the transition's instant";
      if (sm.entered_at() < entered) return at + "entered_at went back";
      if (!s.forced && sm.state() == CallState::kAbandoned && from != CallState::kHuman) {
        return at + "an event abandoned a call that was not a waiting live answer";
      }
      if (sm.state() == CallState::kFailed) {
        FailReason want =
            s.forced ? (s.force_reason == FailReason::kNone ? FailReason::kTimeout : s.force_reason)
                     : (s.event.fail_reason == FailReason::kNone ? FailReason::kNetwork
                                                                 : s.event.fail_reason);
        if (sm.fail_reason() != want) {
          return at + "fail reason " + to_string(sm.fail_reason()) + ", expected " +
                 to_string(want);
        }
      }
      if (!s.forced && s.event.kind == CallEventKind::kAmdResult) amd_seen = true;
      if (sm.state() == CallState::kAbandoned) before_abandon = from;
    }
    // Consistency after every step.
    if ((sm.fail_reason() != FailReason::kNone) != (sm.state() == CallState::kFailed)) {
      return at + "fail reason " + to_string(sm.fail_reason()) + " in state " +
             to_string(sm.state());
    }
    if (sm.state() == CallState::kMachine && sm.amd() != AmdResult::kMachine) {
      return at + "MACHINE without an AMD machine result";
    }
    if (sm.state() == CallState::kFax && sm.amd() != AmdResult::kFax) {
      return at + "FAX without an AMD fax result";
    }
    if (sm.amd() != AmdResult::kNone && !amd_seen) return at + "an AMD result from nowhere";
    auto deadline = sm.deadline(timeouts, ring);
    if (is_terminal(sm.state()) == deadline.has_value()) {
      return at + "deadline presence wrong for " + to_string(sm.state());
    }
    if (deadline && *deadline <= sm.entered_at()) return at + "deadline not after entered_at";
  }
  (void)before_abandon;
  return std::nullopt;
}

// Removes steps one at a time while the sequence still fails: a small case to read.
std::vector<Step> shrink(std::vector<Step> steps) {
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      std::vector<Step> smaller = steps;
      smaller.erase(smaller.begin() + static_cast<std::ptrdiff_t>(i));
      if (!smaller.empty() && check(smaller)) {
        steps = std::move(smaller);
        progress = true;
        break;
      }
    }
  }
  return steps;
}

TEST(CallStateMachineProperties, RandomEventSequencesKeepEveryRule) {
  constexpr std::uint64_t kSeeds[] = {1, 2, 3, 20260504};
  constexpr int kSequencesPerSeed = 5000;
  for (std::uint64_t seed : kSeeds) {
    std::mt19937_64 rng(seed);
    for (int n = 0; n < kSequencesPerSeed; ++n) {
      std::vector<Step> steps = random_sequence(rng);
      if (auto broken = check(steps)) {
        std::vector<Step> minimal = shrink(steps);
        FAIL() << "seed " << seed << ", sequence " << n << ": " << *broken << "\nminimal case ("
               << minimal.size() << " steps): " << *check(minimal) << describe(minimal);
      }
    }
  }
}

// Every sequence that ends the call ends it once: after any ending event, the state is terminal
// and stays so through any further events.
TEST(CallStateMachineProperties, AnEndingEventAlwaysEndsTheCall) {
  std::mt19937_64 rng(77);
  std::uniform_int_distribution<int> end_kind(static_cast<int>(CallEventKind::kCompleted),
                                              static_cast<int>(CallEventKind::kCanceled));
  for (int n = 0; n < 5000; ++n) {
    std::vector<Step> steps = random_sequence(rng);
    CallStateMachine sm(kT0);
    TimePoint now = kT0;
    for (const Step& s : steps) {
      now += s.advance;
      s.forced ? sm.force(s.force_to, now, s.force_reason) : sm.apply(s.event, now);
    }
    CallEvent end;
    end.call_id = 1;
    end.kind = static_cast<CallEventKind>(end_kind(rng));
    end.sequence = 1000;  // never seen before
    sm.apply(end, now);
    ASSERT_TRUE(is_terminal(sm.state())) << "sequence " << n << " then " << to_string(end.kind)
                                         << " left " << to_string(sm.state()) << describe(steps);
  }
}

}  // namespace
}  // namespace omnivox
