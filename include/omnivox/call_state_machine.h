// The call state machine (docs/architecture.md, Call state machine): the one owner of a call's
// state.
//
// Rules: a transition only moves up in rank (QUEUED < DIALING < RINGING < ANSWERED <
// HUMAN/MACHINE/FAX < BRIDGED < terminal); terminal states never change; an event seen twice
// (same provider sequence number, or the same kind with no sequence) is a no-op; an event that
// arrives late (its target ranks at or below the current state) is reported as kLate so the
// engine journals it without moving the state; every state has a timeout (StateTimeouts) so no
// call is stuck forever.
//
// Thread-safety: none; one instance per call, used from the engine's thread.
#ifndef OMNIVOX_CALL_STATE_MACHINE_H_
#define OMNIVOX_CALL_STATE_MACHINE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "omnivox/model.h"
#include "omnivox/telephony.h"

namespace omnivox {

/// The longest a call may stay in each non-terminal state. Defaults in the comments.
struct StateTimeouts {
  Duration queued{30000};         ///< 30 s: the provider never accepted it
  Duration dialing{30000};        ///< 30 s without ringing or an outcome
  Duration ringing_extra{15000};  ///< ring timeout + 15 s without an outcome
  Duration answered{15000};       ///< 15 s for AMD to decide
  Duration human{60000};          ///< 60 s waiting for a bridge (the hold window acts much sooner)
  Duration machine{180000};       ///< 3 min for a voicemail drop
  Duration bridged{4 * 3600 * 1000};  ///< 4 h of talk
};

/// What apply() did with an event.
enum class ApplyOutcome : std::uint8_t {
  kApplied,    ///< the state moved up
  kDuplicate,  ///< seen before: no-op
  kLate,       ///< out of order or after the end: journal it, state unchanged
};
const char* to_string(ApplyOutcome o);

/// The state a call event moves a call to (kCompleted maps to ABANDONED when the call was a live
/// answer never bridged: the person hung up while waiting, which regulators count as abandoned).
CallState target_state(CallState current, const CallEvent& event);

class CallStateMachine {
 public:
  struct Result {
    ApplyOutcome outcome = ApplyOutcome::kApplied;
    CallState from = CallState::kQueued;
    CallState to = CallState::kQueued;
  };

  explicit CallStateMachine(TimePoint created_at = {}) : entered_at_(created_at) {}

  CallState state() const { return state_; }
  FailReason fail_reason() const { return fail_reason_; }
  AmdResult amd() const { return amd_; }
  /// When the current state was entered.
  TimePoint entered_at() const { return entered_at_; }

  /// Applies a telephony event at time `now`.
  Result apply(const CallEvent& event, TimePoint now);
  /// Moves to a state the engine decides (ABANDONED when the hold window expires, FAILED on a
  /// timeout, CANCELED) under the same monotone rule; kLate if it would not move up.
  Result force(CallState to, TimePoint now, FailReason reason = FailReason::kNone);
  /// When the current state times out (entered_at + its timeout); nullopt when terminal.
  /// `ring_timeout` is the attempt's ring timeout.
  std::optional<TimePoint> deadline(const StateTimeouts& timeouts, Duration ring_timeout) const;

 private:
  bool seen(const CallEvent& event);

  CallState state_ = CallState::kQueued;
  FailReason fail_reason_ = FailReason::kNone;
  AmdResult amd_ = AmdResult::kNone;
  TimePoint entered_at_{};
  // A call sees a handful of events: the first ones here, any more in seen_more_ (no allocation
  // per call in the common case).
  static constexpr std::size_t kSeenInline = 6;
  std::array<std::uint64_t, kSeenInline> seen_keys_{};
  std::uint8_t seen_count_ = 0;  // used entries of seen_keys_
  std::vector<std::uint64_t> seen_more_;
};

}  // namespace omnivox

#endif  // OMNIVOX_CALL_STATE_MACHINE_H_
