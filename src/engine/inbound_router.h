// The engine's inbound part (omnivox/inbound.h): queues, agents' skills, routing, patience and
// the blending rules. It owns inbound calls and their statistics; the engine owns the agents and
// lends them through InboundRouter::Host. Runs on the engine's thread, under its lock.
#ifndef OMNIVOX_SRC_ENGINE_INBOUND_ROUTER_H_
#define OMNIVOX_SRC_ENGINE_INBOUND_ROUTER_H_

#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "omnivox/clock.h"
#include "omnivox/inbound.h"
#include "omnivox/log.h"
#include "omnivox/model.h"
#include "omnivox/pacing.h"
#include "omnivox/storage.h"
#include "omnivox/telephony.h"

namespace omnivox::detail {

class InboundRouter {
 public:
  // What the router needs of the engine.
  class Host {
   public:
    virtual ~Host() = default;
    virtual TimePoint now() const = 0;
    virtual Telephony& telephony() = 0;
    virtual Logger& logger() = 0;
    virtual Duration max_wrap_up() const = 0;
    // The agent may take an inbound call now: AVAILABLE, no preview, not about to leave, and not
    // counted on by its campaign's outbound calls in progress.
    virtual bool agent_free(AgentId agent) const = 0;
    virtual TimePoint agent_idle_since(AgentId agent) const = 0;
    virtual AgentState agent_state(AgentId agent) const = 0;
    // Appends every AVAILABLE agent (each once, in no order) to `out`.
    virtual void available_agents(std::vector<AgentId>& out) const = 0;
    // Moves the agent to RESERVED, ON_CALL or WRAP_UP for an inbound call.
    virtual void agent_busy(AgentId agent, AgentState state, CallId call) = 0;
    // The agent's inbound call is over (and its wrap-up): free it for the next work and pace.
    virtual void agent_done(AgentId agent) = 0;
    virtual TimerId schedule(TimePoint at, std::function<void()> fn) = 0;
    virtual void cancel(TimerId timer) = 0;
    virtual void finished(const Attempt& record) = 0;
    // Where ended inbound calls' records are written (put_attempt).
    virtual Storage& storage() = 0;
  };

  explicit InboundRouter(Host* host) : host_(host) {}

  // Anything configured: when false the engine skips every hook (outbound-only runs unchanged).
  bool active() const { return !queues_.empty() || !skills_.empty(); }

  void add_queue(const InboundQueueConfig& config);
  void set_skills(AgentId agent, const AgentSkills& skills);
  void set_blending(const std::string& campaign_id, const BlendingConfig& config);
  InboundQueueStatistics statistics(const std::string& queue_id) const;
  std::vector<std::string> queue_ids() const;

  // Telephony reported an inbound call.
  void arrive(const InboundCall& call);
  // An event for an inbound call (true when it is one of ours).
  bool on_event(const CallEvent& event);
  bool owns(CallId call) const { return calls_.count(call) > 0; }
  // The agent's wrap-up of an inbound call ends (Engine::set_disposition); false when the call
  // is not in wrap-up.
  bool dispose(CallId call, Disposition disposition);
  bool awaiting_disposition(CallId call) const;
  // An agent ended a service or became AVAILABLE (kDialxfree decides once after each).
  void note_free() { ++frees_; }
  // A freed agent: gives it the waiting call it should take, if any (true then).
  bool offer(AgentId agent);
  // False for an inbound-only agent (never given outbound calls, not counted by pacing).
  bool takes_outbound(AgentId agent) const {
    return agent >= inbound_only_by_agent_.size() || !inbound_only_by_agent_[agent];
  }
  // Some agent is inbound-only (the campaigns' counts of free agents then need a look at each).
  bool any_inbound_only() const { return inbound_only_ > 0; }
  // Before the campaign's policy decides: free agents it may use, less its blending reserve.
  // `available` are the campaign's AVAILABLE agents not holding a preview nor leaving.
  void adjust_snapshot(const std::string& campaign_id, const std::vector<AgentId>& campaign_agents,
                       const std::vector<AgentId>& available, PacingSnapshot& snapshot);
  // After it decided: the dialler rule of kDialxfree replaces the decision.
  int decide(const std::string& campaign_id, const PacingSnapshot& snapshot, int wanted);
  // The engine goes: cancels the router's timers and ends every call it still holds, so none is
  // lost: a call still waiting ends CANCELED / NO_ANSWER now (its wait so far: answered_at to
  // ended_at, no agent), one with an agent COMPLETED (its disposition if in wrap-up: COMPLETED).
  // Each is reported and written once (a record storage refuses now is logged as lost); the
  // statistics stay as they were, and neither telephony nor the agents are touched.
  void cancel_timers();

 private:
  struct Queue {
    InboundQueueConfig config;
    std::deque<CallId> waiting;  // FIFO
    InboundQueueStatistics stats;
    std::deque<TimePoint> recent_arrivals;  // the last 30 min, for the arrival rate
    long handled = 0;
    // Feedback of kServiceLevel: calls ended since the last correction and those in time.
    long window_ended = 0, window_in_time = 0;
  };
  enum class Phase : std::uint8_t { kWaiting, kReserved, kTalking, kWrapUp };
  struct Call {
    Attempt record;
    std::size_t queue = 0;
    Phase phase = Phase::kWaiting;
    AgentId agent = kNoAgent;
    TimePoint arrived{}, taken{};
    TimerId wrap_timer = 0;
  };
  struct Blend {
    BlendingConfig config;
    long frees_seen = 0;  // kDialxfree: agent frees already acted on
    int offset = 0;       // kServiceLevel: feedback correction of the model's reserve
    int reserve = 0;      // kServiceLevel: the reserve in force
    TimePoint next_solve{};
    int free_all = 0;  // free agents of every kind at the last snapshot (kDialxfree)
  };

  Queue* queue_for(const std::string& dialled);
  void connect(Call& call, AgentId agent);
  void end(Call& call, CallState state, Disposition disposition);
  // Writes the record; one storage refuses is kept and written again every second.
  void save(const Attempt& record);
  void save_unsaved();
  // cancel_timers' share: writes without retrying later (no timer may outlive the router).
  void save_last(const Attempt& record);
  int reserve_of(Blend& blend, int agents);
  // The blending rule's share of adjust_snapshot: `free_all` counts inbound-only agents too.
  void apply_blending(const std::string& campaign_id, int free_all, int logged_in_inbound_only,
                      PacingSnapshot& s);

  Host* host_;
  std::vector<Queue> queues_;
  std::map<std::string, std::size_t> by_number_;  // DID or id -> queue
  std::unordered_map<AgentId, AgentSkills> skills_;
  // By queue id, then agent id: the agent's priority for the queue, kNoSkill without the skill.
  static constexpr int kNoSkill = std::numeric_limits<int>::min();
  std::map<std::string, std::vector<int>> skill_of_queue_;
  std::vector<AgentId> free_buffer_;  // arrive's, reused
  // By agent id: an inbound-only agent (takes_outbound, asked for every free agent by pacing).
  std::vector<bool> inbound_only_by_agent_;
  long waiting_ = 0;  // calls waiting in every queue (offer has nothing to do at 0)
  std::unordered_map<CallId, Call> calls_;
  std::map<std::string, Blend> blends_;
  std::vector<Attempt> unsaved_;  // records storage refused, oldest first
  TimerId unsaved_timer_ = 0;
  long frees_ = 0;        // note_free() calls so far
  int inbound_only_ = 0;  // agents with skills.outbound false
};

}  // namespace omnivox::detail

#endif  // OMNIVOX_SRC_ENGINE_INBOUND_ROUTER_H_
