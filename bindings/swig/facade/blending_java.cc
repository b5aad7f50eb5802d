// The Java facade's inbound queues, agents' skills and blending (omnivox_java.h).
#include <string>
#include <vector>

#include "bindings_support/plain_forms.h"
#include "omnivox/engine.h"
#include "omnivox/inbound.h"
#include "omnivox_java.h"

namespace omnivox::bindings {

static_assert(static_cast<int>(BlendingRule::DIALXFREE) ==
                  static_cast<int>(omnivox::BlendingRule::kDialxfree),
              "BlendingRule mirrors omnivox::BlendingRule");

void Engine::add_inbound_queue(const std::string& id, const std::vector<std::string>& numbers,
                               int priority, long long answer_within_ms,
                               double service_level_target) {
  cpp_engine().add_inbound_queue(bindings_support::inbound_queue_from(
      id, numbers, priority, answer_within_ms, service_level_target, "Engine.addInboundQueue: "));
}

void Engine::set_agent_skills(long long agent, const std::vector<std::string>& queues,
                              const std::vector<long long>& priorities, bool outbound) {
  set_agent_skills(agent, queues, priorities, outbound, {}, {});
}

namespace {
// Priorities given per id (`what`: "queues" or "campaigns"): none (all 0) or one each.
int priority_at(const std::vector<long long>& priorities, std::size_t i) {
  return priorities.empty() ? 0 : static_cast<int>(priorities[i]);
}
void check_priorities(const std::vector<long long>& priorities, std::size_t ids, const char* what) {
  if (!priorities.empty() && priorities.size() != ids) {
    throw Error(ErrorCode::kInvalidArgument,
                "Engine.setAgentSkills: " + std::to_string(priorities.size()) + " priorities for " +
                    std::to_string(ids) + " " + what);
  }
}
}  // namespace

void Engine::set_agent_skills(long long agent, const std::vector<std::string>& queues,
                              const std::vector<long long>& priorities, bool outbound,
                              const std::vector<std::string>& campaigns,
                              const std::vector<long long>& campaign_priorities) {
  check_priorities(priorities, queues.size(), "queues");
  check_priorities(campaign_priorities, campaigns.size(), "campaigns");
  omnivox::AgentSkills skills;
  skills.outbound = outbound;
  for (std::size_t i = 0; i < queues.size(); ++i) {
    skills.queues.push_back({queues[i], priority_at(priorities, i)});
  }
  for (std::size_t i = 0; i < campaigns.size(); ++i) {
    skills.campaigns.push_back({campaigns[i], priority_at(campaign_priorities, i)});
  }
  cpp_engine().set_agent_skills(static_cast<omnivox::AgentId>(agent), skills);
}

void Engine::set_blending(const std::string& campaign_id, BlendingRule rule, int reserve,
                          const std::string& queue, int min_free_all, int min_free_outbound,
                          double kappa, int c) {
  cpp_engine().set_blending(campaign_id, bindings_support::blending_from(
                                             static_cast<int>(rule), reserve, queue, min_free_all,
                                             min_free_outbound, kappa, c, "Engine.setBlending: "));
}

InboundStatistics Engine::inbound_statistics(const std::string& queue_id) const {
  InboundStatistics r;
  bindings_support::fill_inbound_statistics(cpp_engine().inbound_statistics(queue_id), r);
  return r;
}

std::vector<std::string> Engine::inbound_queues() const { return cpp_engine().inbound_queues(); }

}  // namespace omnivox::bindings
