// The C API's inbound queues, agents' skills and blending (include/omnivox/omnivox.h, "Inbound
// queues, agents' skills and blending").
#include <string>
#include <vector>

#include "bindings_support/plain_forms.h"
#include "capi/capi_internal.h"
#include "omnivox/engine.h"
#include "omnivox/inbound.h"
#include "omnivox/omnivox.h"

using omnivox::capi::CError;
using omnivox::capi::engine_of;
using omnivox::capi::guarded;
using omnivox::capi::HandleUse;
using omnivox::capi::require;
using omnivox::capi::text_arg;

namespace {

// An id argument: copied, not empty.
std::string id_arg(const char* s, const char* name) {
  std::string id = text_arg(s, name);
  if (id.empty()) throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is empty"};
  return id;
}

// The string array `name` of `count` entries, each an id (NULL only when count is 0).
std::vector<std::string> id_array(const char* const* items, std::size_t count, const char* name) {
  if (count > 0) require(items, name);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(id_arg(items[i], (std::string(name) + "[" + std::to_string(i) + "]").c_str()));
  }
  return out;
}

// Appends the skills of ids `items` (`count`, the array `name`) with `priorities` (NULL: all 0).
template <typename Skill>
void add_skills(const char* const* items, const int* priorities, std::size_t count,
                const char* name, std::vector<Skill>& out) {
  const std::vector<std::string> ids = id_array(items, count, name);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out.push_back({ids[i], priorities != nullptr ? priorities[i] : 0});
  }
}

}  // namespace

extern "C" {

int omnivox_engine_add_inbound_queue(omnivox_engine* engine, const omnivox_inbound_queue* queue,
                                     char** errptr) {
  return guarded("omnivox_engine_add_inbound_queue", errptr, [&] {
    HandleUse use;
    omnivox::Engine& e = engine_of(engine, use);
    require(queue, "queue");
    omnivox::capi::check_version(queue->version, OMNIVOX_INBOUND_QUEUE_VERSION,
                                 "omnivox_inbound_queue");
    std::string id = text_arg(queue->id, "queue->id");
    if (queue->number_count > 0) require(queue->numbers, "queue->numbers");
    std::vector<std::string> numbers;
    for (std::size_t i = 0; i < queue->number_count; ++i) {
      const std::string name = "queue->numbers[" + std::to_string(i) + "]";
      numbers.push_back(omnivox::capi::e164_arg(queue->numbers[i], name.c_str()));
    }
    e.add_inbound_queue(omnivox::bindings_support::inbound_queue_from(
        std::move(id), std::move(numbers), queue->priority, queue->answer_within_ms,
        queue->service_level_target, "field queue->"));
  });
}

int omnivox_engine_set_agent_skills(omnivox_engine* engine, omnivox_agent_id agent,
                                    const char* const* queues, const int* priorities, size_t count,
                                    int outbound, char** errptr) {
  return guarded("omnivox_engine_set_agent_skills", errptr, [&] {
    HandleUse use;
    omnivox::Engine& e = engine_of(engine, use);
    omnivox::AgentSkills skills;
    skills.outbound = outbound != 0;
    add_skills(queues, priorities, count, "queues", skills.queues);
    e.set_agent_skills(agent, skills);
  });
}

int omnivox_engine_set_agent_skills2(omnivox_engine* engine, omnivox_agent_id agent,
                                     const omnivox_agent_skills* skills, char** errptr) {
  return guarded("omnivox_engine_set_agent_skills2", errptr, [&] {
    HandleUse use;
    omnivox::Engine& e = engine_of(engine, use);
    require(skills, "skills");
    omnivox::capi::check_version(skills->version, OMNIVOX_AGENT_SKILLS_VERSION,
                                 "omnivox_agent_skills");
    omnivox::AgentSkills k;
    k.outbound = skills->outbound != 0;
    add_skills(skills->queues, skills->queue_priorities, skills->queue_count, "queues", k.queues);
    add_skills(skills->campaigns, skills->campaign_priorities, skills->campaign_count, "campaigns",
               k.campaigns);
    e.set_agent_skills(agent, k);
  });
}

int omnivox_engine_set_blending(omnivox_engine* engine, const char* campaign_id,
                                const omnivox_blending* blending, char** errptr) {
  return guarded("omnivox_engine_set_blending", errptr, [&] {
    HandleUse use;
    omnivox::Engine& e = engine_of(engine, use);
    const std::string campaign = id_arg(campaign_id, "campaign_id");
    require(blending, "blending");
    omnivox::capi::check_version(blending->version, OMNIVOX_BLENDING_VERSION, "omnivox_blending");
    static_assert(OMNIVOX_BLENDING_DIALXFREE ==
                  static_cast<int>(omnivox::BlendingRule::kDialxfree));
    std::string queue;
    if (blending->queue != nullptr) queue = text_arg(blending->queue, "blending->queue");
    e.set_blending(campaign, omnivox::bindings_support::blending_from(
                                 blending->rule, blending->reserve, std::move(queue),
                                 blending->min_free_all, blending->min_free_outbound,
                                 blending->kappa, blending->c, "field blending->"));
  });
}

int omnivox_engine_inbound_statistics(omnivox_engine* engine, const char* queue_id,
                                      omnivox_inbound_statistics* out, char** errptr) {
  return guarded("omnivox_engine_inbound_statistics", errptr, [&] {
    HandleUse use;
    omnivox::Engine& e = engine_of(engine, use);
    const std::string id = id_arg(queue_id, "queue_id");
    require(out, "out");
    omnivox::capi::check_version(out->version, OMNIVOX_INBOUND_STATISTICS_VERSION,
                                 "omnivox_inbound_statistics");
    const omnivox::InboundQueueStatistics s = e.inbound_statistics(id);
    omnivox_inbound_statistics r{};
    r.version = OMNIVOX_INBOUND_STATISTICS_VERSION;
    omnivox::bindings_support::fill_inbound_statistics(s, r);
    *out = r;
  });
}

}  // extern "C"
