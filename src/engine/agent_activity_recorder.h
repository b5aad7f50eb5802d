// The engine's record of what its agents do, behind Engine::agent_statistics(): it hears every
// agent state change and every handled call and keeps, per agent, the milliseconds in each
// state and the handled calls, in total and per interval (omnivox/engine.h).
// Not thread-safe: the engine calls it under its lock.
#ifndef OMNIVOX_SRC_ENGINE_AGENT_ACTIVITY_RECORDER_H_
#define OMNIVOX_SRC_ENGINE_AGENT_ACTIVITY_RECORDER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "omnivox/engine.h"

namespace omnivox::detail {

class AgentActivityRecorder {
 public:
  /// A new agent, LOGGED_OUT since `t`. Ids come in order 0, 1, 2, ... (Engine::add_agent).
  void add_agent(AgentId id, const std::string& campaign_id, const std::string& name, TimePoint t);
  /// The agent entered `to` at `t` (its present state again is allowed: nothing changes).
  void on_state(AgentId id, AgentState to, TimePoint t);
  /// The agent finished a bridged call's wrap-up with `disposition` at `t`.
  void on_handled(AgentId id, Disposition disposition, TimePoint t);
  /// The campaign's statistics at `now` (the agents' current states counted up to `now`).
  AgentStatistics report(const std::string& campaign_id, TimePoint now) const;

  /// Milliseconds per state and the handled calls over one span.
  struct Tally {
    std::int64_t ms[kAgentStateCount] = {};
    std::int64_t longest_idle_ms = 0;
    long handled = 0;
    long dispositions[kDispositionCount] = {};
  };

 private:
  struct Bucket {
    std::int64_t index = 0;  // start / kAgentStatisticsInterval
    Tally tally;
  };
  struct Agent {
    AgentId id = kNoAgent;
    std::string name;
    AgentState state = AgentState::kLoggedOut;
    TimePoint since{};           // last change (or split point) of `state`
    TimePoint state_start{};     // when `state` was entered (time in state)
    TimePoint first_login{};     // epoch until the first login
    Tally totals;                // up to `since`
    std::deque<Bucket> buckets;  // up to `since`, oldest first, no gaps
  };

  Agent& agent(AgentId id);
  Bucket& bucket(Agent& a, std::int64_t index);

  std::vector<Agent> agents_;  // index = AgentId
  std::unordered_map<std::string, std::vector<AgentId>> by_campaign_;
};

}  // namespace omnivox::detail

#endif  // OMNIVOX_SRC_ENGINE_AGENT_ACTIVITY_RECORDER_H_
