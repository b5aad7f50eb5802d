// The optional EventListener: the host hears every state change and pacing decision.
#ifndef OMNIVOX_EVENT_LISTENER_H_
#define OMNIVOX_EVENT_LISTENER_H_

#include <string>

#include "omnivox/model.h"
#include "omnivox/types.h"

namespace omnivox {

struct CallStateChange {
  TimePoint at{};
  std::string campaign_id;
  CallId call_id = kNoCall;
  ContactId contact_id = kNoContact;
  CallState from = CallState::kQueued;
  CallState to = CallState::kQueued;
  AgentId agent = kNoAgent;
};

struct AgentStateChange {
  TimePoint at{};
  std::string campaign_id;
  AgentId agent = kNoAgent;
  AgentState from = AgentState::kLoggedOut;
  AgentState to = AgentState::kLoggedOut;
  CallId call_id = kNoCall;  ///< the call that caused it, if any
};

struct PacingDecision {
  TimePoint at{};
  std::string campaign_id;
  std::string policy;
  int agents_idle = 0;
  int agents_busy = 0;
  int calls_pending = 0;
  int requested = 0;  ///< what the policy asked for
  int allowed = 0;    ///< what the abandon-rate governor allowed (<= requested)
  int launched = 0;   ///< what the engine launched (bounded by the dial queue)
};

/// Called on the engine's thread, after the change. Implementations must not block; they may
/// call Engine methods (those calls run after the current handler returns).
/// Exceptions thrown from a callback are caught and logged by the engine.
class EventListener {
 public:
  /// The kinds of callback, as bits of interests().
  enum Interest : unsigned {
    kCallStates = 1u << 0,        ///< on_call_state
    kAgentStates = 1u << 1,       ///< on_agent_state
    kPacingDecisions = 1u << 2,   ///< on_pacing_decision
    kAttemptsFinished = 1u << 3,  ///< on_attempt_finished
    kAllEvents = 0xFu,
  };
  virtual ~EventListener() = default;
  /// The callbacks this listener wants (Interest bits); the engine does not build the records
  /// of the others (a simulation sends millions of call state changes). Asked before each
  /// callback, so it may change over time. Default: all.
  virtual unsigned interests() const { return kAllEvents; }
  virtual void on_call_state(const CallStateChange& change) {}
  virtual void on_agent_state(const AgentStateChange& change) {}
  virtual void on_pacing_decision(const PacingDecision& decision) {}
  /// An attempt reached a terminal state and its disposition is final for the engine.
  virtual void on_attempt_finished(const Attempt& attempt) {}
};

/// Forwards to another listener (may be null), the callbacks it asks for (interests()).
class EventListenerWrapper : public EventListener {
 public:
  explicit EventListenerWrapper(EventListener* target) : target_(target) {}
  /// The target's interests; none without a target.
  unsigned interests() const override { return target_ ? target_->interests() : 0u; }
  void on_call_state(const CallStateChange& c) override {
    if (target_ && (target_->interests() & kCallStates)) target_->on_call_state(c);
  }
  void on_agent_state(const AgentStateChange& c) override {
    if (target_ && (target_->interests() & kAgentStates)) target_->on_agent_state(c);
  }
  void on_pacing_decision(const PacingDecision& d) override {
    if (target_ && (target_->interests() & kPacingDecisions)) target_->on_pacing_decision(d);
  }
  void on_attempt_finished(const Attempt& a) override {
    if (target_ && (target_->interests() & kAttemptsFinished)) target_->on_attempt_finished(a);
  }

 private:
  EventListener* target_;
};

}  // namespace omnivox

#endif  // OMNIVOX_EVENT_LISTENER_H_
