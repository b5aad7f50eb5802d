#include "omnivox/call_state_machine.h"

#include <gtest/gtest.h>

namespace omnivox {
namespace {

const TimePoint kT0 = parse_utc("2026-05-04T09:00:00Z");

CallEvent ev(CallEventKind kind, std::uint32_t seq = 0, AmdResult amd = AmdResult::kNone) {
  CallEvent e;
  e.call_id = 7;
  e.kind = kind;
  e.sequence = seq;
  e.amd = amd;
  return e;
}

TEST(CallStateMachine, HappyPathMovesUpThroughEveryRank) {
  CallStateMachine sm(kT0);
  EXPECT_EQ(sm.state(), CallState::kQueued);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kInitiated, 1), kT0).to, CallState::kDialing);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kRinging, 2), kT0).to, CallState::kRinging);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kAnswered, 3), kT0).to, CallState::kAnswered);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kAmdResult, 4, AmdResult::kHuman), kT0).to,
            CallState::kHuman);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kBridged, 5), kT0).to, CallState::kBridged);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kCompleted, 6), kT0).to, CallState::kCompleted);
  EXPECT_TRUE(is_terminal(sm.state()));
}

TEST(CallStateMachine, EveryEndingEventMapsToItsTerminalState) {
  struct Case {
    CallEventKind kind;
    CallState want;
  } cases[] = {{CallEventKind::kBusy, CallState::kBusy},
               {CallEventKind::kNoAnswer, CallState::kNoAnswer},
               {CallEventKind::kFailed, CallState::kFailed},
               {CallEventKind::kCanceled, CallState::kCanceled},
               {CallEventKind::kCompleted, CallState::kCompleted}};
  for (const auto& c : cases) {
    CallStateMachine sm(kT0);
    sm.apply(ev(CallEventKind::kInitiated, 1), kT0);
    auto r = sm.apply(ev(c.kind, 2), kT0);
    EXPECT_EQ(r.outcome, ApplyOutcome::kApplied) << to_string(c.kind);
    EXPECT_EQ(sm.state(), c.want) << to_string(c.kind);
  }
}

TEST(CallStateMachine, AmdResultsMapToHumanMachineFax) {
  for (auto [amd, want] : {std::pair{AmdResult::kHuman, CallState::kHuman},
                           std::pair{AmdResult::kUnknown, CallState::kHuman},
                           std::pair{AmdResult::kMachine, CallState::kMachine},
                           std::pair{AmdResult::kFax, CallState::kFax}}) {
    CallStateMachine sm(kT0);
    sm.apply(ev(CallEventKind::kAnswered, 1), kT0);
    sm.apply(ev(CallEventKind::kAmdResult, 2, amd), kT0);
    EXPECT_EQ(sm.state(), want);
    EXPECT_EQ(sm.amd(), amd);
  }
}

TEST(CallStateMachine, CompletedWhileLiveAndUnbridgedIsAnAbandon) {
  CallStateMachine sm(kT0);
  sm.apply(ev(CallEventKind::kAnswered, 1), kT0);
  sm.apply(ev(CallEventKind::kAmdResult, 2, AmdResult::kHuman), kT0);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kCompleted, 3), kT0).to, CallState::kAbandoned);
}

TEST(CallStateMachine, DuplicateEventIsANoOp) {
  CallStateMachine sm(kT0);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kRinging, 2), kT0).outcome, ApplyOutcome::kApplied);
  auto r = sm.apply(ev(CallEventKind::kRinging, 2), kT0);
  EXPECT_EQ(r.outcome, ApplyOutcome::kDuplicate);
  EXPECT_EQ(sm.state(), CallState::kRinging);
  // Without sequence numbers the kind identifies the event.
  CallStateMachine sm2(kT0);
  sm2.apply(ev(CallEventKind::kAnswered), kT0);
  EXPECT_EQ(sm2.apply(ev(CallEventKind::kAnswered), kT0).outcome, ApplyOutcome::kDuplicate);
}

TEST(CallStateMachine, LateEventIsReportedButDoesNotMoveTheState) {
  CallStateMachine sm(kT0);
  sm.apply(ev(CallEventKind::kAnswered, 3), kT0);
  auto r = sm.apply(ev(CallEventKind::kRinging, 2), kT0);  // lost ordering: ringing after answer
  EXPECT_EQ(r.outcome, ApplyOutcome::kLate);
  EXPECT_EQ(sm.state(), CallState::kAnswered);
  // A skipped state is fine: answered without ringing moved up directly.
  CallStateMachine sm2(kT0);
  EXPECT_EQ(sm2.apply(ev(CallEventKind::kAnswered, 1), kT0).to, CallState::kAnswered);
}

TEST(CallStateMachine, TerminalStatesNeverChange) {
  CallStateMachine sm(kT0);
  sm.apply(ev(CallEventKind::kBusy, 1), kT0);
  for (auto kind : {CallEventKind::kInitiated, CallEventKind::kRinging, CallEventKind::kAnswered,
                    CallEventKind::kBridged, CallEventKind::kCompleted, CallEventKind::kFailed}) {
    EXPECT_EQ(sm.apply(ev(kind, 10 + static_cast<int>(kind)), kT0).outcome, ApplyOutcome::kLate);
    EXPECT_EQ(sm.state(), CallState::kBusy);
  }
  EXPECT_EQ(sm.force(CallState::kAbandoned, kT0).outcome, ApplyOutcome::kLate);
}

TEST(CallStateMachine, SameRankDifferentStateIsLate) {
  CallStateMachine sm(kT0);
  sm.apply(ev(CallEventKind::kAmdResult, 1, AmdResult::kMachine), kT0);
  EXPECT_EQ(sm.apply(ev(CallEventKind::kAmdResult, 2, AmdResult::kHuman), kT0).outcome,
            ApplyOutcome::kLate);
  EXPECT_EQ(sm.state(), CallState::kMachine);
}

TEST(CallStateMachine, FailedKeepsItsReason) {
  CallStateMachine sm(kT0);
  CallEvent e = ev(CallEventKind::kFailed, 1);
  e.fail_reason = FailReason::kInvalidNumber;
  sm.apply(e, kT0);
  EXPECT_EQ(sm.fail_reason(), FailReason::kInvalidNumber);
}

TEST(CallStateMachine, EveryNonTerminalStateHasATimeout) {
  StateTimeouts t;
  const Duration ring = std::chrono::seconds(25);
  CallStateMachine sm(kT0);
  EXPECT_EQ(*sm.deadline(t, ring), kT0 + t.queued);
  TimePoint t1 = kT0 + std::chrono::seconds(1);
  sm.apply(ev(CallEventKind::kInitiated, 1), t1);
  EXPECT_EQ(*sm.deadline(t, ring), t1 + t.dialing + ring);
  sm.apply(ev(CallEventKind::kRinging, 2), t1);
  EXPECT_EQ(*sm.deadline(t, ring), t1 + ring + t.ringing_extra);
  sm.apply(ev(CallEventKind::kAnswered, 3), t1);
  EXPECT_EQ(*sm.deadline(t, ring), t1 + t.answered);
  sm.apply(ev(CallEventKind::kAmdResult, 4, AmdResult::kHuman), t1);
  EXPECT_EQ(*sm.deadline(t, ring), t1 + t.human);
  sm.apply(ev(CallEventKind::kBridged, 5), t1);
  EXPECT_EQ(*sm.deadline(t, ring), t1 + t.bridged);
  auto r = sm.force(CallState::kFailed, t1 + t.bridged, FailReason::kTimeout);
  EXPECT_EQ(r.outcome, ApplyOutcome::kApplied);
  EXPECT_EQ(sm.fail_reason(), FailReason::kTimeout);
  EXPECT_FALSE(sm.deadline(t, ring).has_value());
}

}  // namespace
}  // namespace omnivox
