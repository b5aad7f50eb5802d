// The optional EventListener: the host hears every state change and pacing decision.
#ifndef OMNIVOX_EVENT_LISTENER_H_
#define OMNIVOX_EVENT_LISTENER_H_

#include <string>

#include "omnivox/model.h"
#include "omnivox/types.h"

namespace omnivox {

/// A call changed state.
struct CallStateChange {
  TimePoint at{};                       ///< when, on the engine's clock
  std::string campaign_id;              ///< the call's campaign
  CallId call_id = kNoCall;             ///< the call
  ContactId contact_id = kNoContact;    ///< the contact called
  CallState from = CallState::kQueued;  ///< the state left
  CallState to = CallState::kQueued;    ///< the state entered
  AgentId agent = kNoAgent;             ///< the agent it is bridged or reserved to, or kNoAgent
};

/// An agent changed state.
struct AgentStateChange {
  TimePoint at{};                            ///< when, on the engine's clock
  std::string campaign_id;                   ///< the agent's campaign
  AgentId agent = kNoAgent;                  ///< the agent
  AgentState from = AgentState::kLoggedOut;  ///< the state left
  AgentState to = AgentState::kLoggedOut;    ///< the state entered
  CallId call_id = kNoCall;                  ///< the call that caused it, if any
};

/// One pacing decision: what the policy saw and asked for, and what was launched.
struct PacingDecision {
  TimePoint at{};           ///< when, on the engine's clock
  std::string campaign_id;  ///< the campaign paced
  std::string policy;       ///< the policy's name()
  int agents_idle = 0;      ///< agents AVAILABLE at the decision
  int agents_busy = 0;      ///< agents RESERVED, ON_CALL or WRAP_UP at the decision
  int calls_pending = 0;    ///< attempts in flight not yet resolved at the decision
  int requested = 0;        ///< what the policy asked for
  int allowed = 0;          ///< what the abandon-rate governor allowed (<= requested)
  int launched = 0;         ///< what the engine launched (bounded by the dial queue)
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
  /// A call changed state (every change, QUEUED → DIALING → ... → a terminal state).
  virtual void on_call_state(const CallStateChange& change) {}
  /// An agent changed state.
  virtual void on_agent_state(const AgentStateChange& change) {}
  /// A pacing decision was taken (also one that launched nothing).
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
