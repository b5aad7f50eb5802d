// The inbound sections of a campaign file: the queues, agent skills and blending, and the
// simulated arrival streams.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

#include "core/config_reader.h"

namespace omnivox::campaign_file {

// The `inbound` queues, `agent_skills` and `blending` (docs/blending.md).
void read_inbound(const Reader& r, const json::object& o, CampaignFile& f) {
  if (auto* v = o.if_contains("inbound")) {
    if (!v->is_array()) r.fail("inbound", "must be an array of queues");
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      const std::string field = "inbound[" + std::to_string(i) + "]";
      const auto& q = r.object(v->get_array()[i], field);
      r.allow_only(q, field,
                   {"id", "numbers", "priority", "answer_within_s", "service_level_target"});
      InboundQueueConfig queue;
      if (auto* x = q.if_contains("id")) queue.id = r.string(*x, field + ".id");
      if (queue.id.empty()) r.fail(field + ".id", "is required and must not be empty");
      for (const auto& other : f.inbound) {
        if (other.id == queue.id) r.fail(field + ".id", "'" + queue.id + "' is used twice");
      }
      if (auto* x = q.if_contains("numbers")) queue.numbers = r.strings(*x, field + ".numbers");
      if (auto* x = q.if_contains("priority"))
        queue.priority = r.integer(*x, field + ".priority", -1000, 1000);
      if (auto* x = q.if_contains("answer_within_s")) {
        queue.answer_within =
            seconds_to_duration(r.number_in(*x, field + ".answer_within_s", 0, 86400));
      }
      if (auto* x = q.if_contains("service_level_target")) {
        queue.service_level_target = r.number_in(*x, field + ".service_level_target", 0, 1);
      }
      f.inbound.push_back(std::move(queue));
    }
  }
  auto known_queue = [&](const std::string& id, const std::string& field) {
    for (const auto& q : f.inbound) {
      if (q.id == id) return;
    }
    r.fail(field, "'" + id + "' is not one of the inbound queues");
  };
  if (auto* v = o.if_contains("agent_skills")) {
    if (!v->is_array()) r.fail("agent_skills", "must be an array of agent groups");
    int total = 0;
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      const std::string field = "agent_skills[" + std::to_string(i) + "]";
      const auto& g = r.object(v->get_array()[i], field);
      r.allow_only(g, field, {"agents", "queues", "outbound", "campaigns"});
      AgentSkillGroup group;
      const auto* count = g.if_contains("agents");
      if (!count) r.fail(field + ".agents", "is required");
      group.agents = r.integer(*count, field + ".agents", 0, 100000);
      total += group.agents;
      if (auto* x = g.if_contains("outbound"))
        group.skills.outbound = r.boolean(*x, field + ".outbound");
      if (auto* x = g.if_contains("queues")) {
        if (!x->is_array()) r.fail(field + ".queues", "must be an array");
        for (std::size_t k = 0; k < x->get_array().size(); ++k) {
          const std::string qf = field + ".queues[" + std::to_string(k) + "]";
          const json::value& item = x->get_array()[k];
          InboundSkill skill;
          if (item.is_string()) {
            skill.queue = r.string(item, qf);
          } else {
            const auto& so = r.object(item, qf);
            r.allow_only(so, qf, {"queue", "priority"});
            const auto* name = so.if_contains("queue");
            if (!name) r.fail(qf + ".queue", "is required");
            skill.queue = r.string(*name, qf + ".queue");
            if (auto* p = so.if_contains("priority"))
              skill.priority = r.integer(*p, qf + ".priority", -1000, 1000);
          }
          known_queue(skill.queue, qf);
          group.skills.queues.push_back(std::move(skill));
        }
      }
      // Other campaigns (of the same engine) whose calls the group takes: "id" or
      // {"campaign": "id", "priority": n}.
      if (auto* x = g.if_contains("campaigns")) {
        if (!x->is_array()) r.fail(field + ".campaigns", "must be an array");
        for (std::size_t k = 0; k < x->get_array().size(); ++k) {
          const std::string cf = field + ".campaigns[" + std::to_string(k) + "]";
          const json::value& item = x->get_array()[k];
          CampaignSkill skill;
          if (item.is_string()) {
            skill.campaign = r.string(item, cf);
          } else {
            const auto& so = r.object(item, cf);
            r.allow_only(so, cf, {"campaign", "priority"});
            const auto* name = so.if_contains("campaign");
            if (!name) r.fail(cf + ".campaign", "is required");
            skill.campaign = r.string(*name, cf + ".campaign");
            if (auto* p = so.if_contains("priority"))
              skill.priority = r.integer(*p, cf + ".priority", -1000, 1000);
          }
          if (skill.campaign.empty()) r.fail(cf, "must not be empty");
          group.skills.campaigns.push_back(std::move(skill));
        }
        if (!group.skills.outbound && !group.skills.campaigns.empty()) {
          r.fail(field + ".campaigns", "given to agents with \"outbound\": false");
        }
      }
      f.agent_skills.push_back(std::move(group));
    }
    if (total > f.agents) {
      r.fail("agent_skills", "the groups have " + std::to_string(total) +
                                 " agents, more than the campaign's " + std::to_string(f.agents));
    }
  }
  if (auto* v = o.if_contains("blending")) {
    const auto& b = r.object(*v, "blending");
    r.allow_only(b, "blending",
                 {"rule", "reserve", "queue", "min_free_all", "min_free_outbound", "kappa", "c"});
    BlendingConfig& c = f.blending;
    if (auto* x = b.if_contains("rule")) {
      const std::string rule = r.string(*x, "blending.rule");
      if (rule == "none")
        c.rule = BlendingRule::kNone;
      else if (rule == "threshold")
        c.rule = BlendingRule::kThreshold;
      else if (rule == "service_level")
        c.rule = BlendingRule::kServiceLevel;
      else if (rule == "dialxfree")
        c.rule = BlendingRule::kDialxfree;
      else
        r.fail("blending.rule", "must be none, threshold, service_level or dialxfree");
    }
    if (auto* x = b.if_contains("reserve"))
      c.reserve = r.integer(*x, "blending.reserve", 0, 100000);
    if (auto* x = b.if_contains("queue")) {
      c.queue = r.string(*x, "blending.queue");
      known_queue(c.queue, "blending.queue");
    }
    if (auto* x = b.if_contains("min_free_all"))
      c.min_free_all = r.integer(*x, "blending.min_free_all", 0, 100000);
    if (auto* x = b.if_contains("min_free_outbound"))
      c.min_free_outbound = r.integer(*x, "blending.min_free_outbound", 0, 100000);
    if (auto* x = b.if_contains("kappa")) c.kappa = r.number_in(*x, "blending.kappa", 0, 100);
    if (auto* x = b.if_contains("c")) c.c = r.integer(*x, "blending.c", -1000, 1000);
  }
}

// `simulation.inbound`: the arrival streams.
std::vector<InboundArrivals> read_inbound_arrivals(const Reader& r, const json::value& v) {
  if (!v.is_array()) r.fail("simulation.inbound", "must be an array of arrival streams");
  std::vector<InboundArrivals> out;
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    const std::string field = "simulation.inbound[" + std::to_string(i) + "]";
    const auto& a = r.object(v.get_array()[i], field);
    r.allow_only(a, field,
                 {"number", "from", "start", "periods", "busyness_shape", "service_s", "patience_s",
                  "balk_probability"});
    InboundArrivals s;
    const auto* number = a.if_contains("number");
    if (!number) r.fail(field + ".number", "is required");
    s.number = r.string(*number, field + ".number");
    if (auto* x = a.if_contains("from")) s.from = r.string(*x, field + ".from");
    if (auto* x = a.if_contains("start")) {
      try {
        s.start = parse_utc(r.string(*x, field + ".start"));
      } catch (const Error& e) {
        r.fail(field + ".start", e.what());
      }
    }
    if (auto* x = a.if_contains("periods")) {
      if (!x->is_array()) r.fail(field + ".periods", "must be an array of {hours, calls_per_hour}");
      for (std::size_t k = 0; k < x->get_array().size(); ++k) {
        const std::string pf = field + ".periods[" + std::to_string(k) + "]";
        const auto& p = r.object(x->get_array()[k], pf);
        r.allow_only(p, pf, {"hours", "calls_per_hour"});
        const auto* hours = p.if_contains("hours");
        const auto* rate = p.if_contains("calls_per_hour");
        if (!hours || !rate) r.fail(pf, "needs \"hours\" and \"calls_per_hour\"");
        s.periods.emplace_back(
            seconds_to_duration(3600 * r.number_in(*hours, pf + ".hours", 0, 8760)),
            r.number_in(*rate, pf + ".calls_per_hour", 0, 1e6));
      }
    }
    if (auto* x = a.if_contains("busyness_shape"))
      s.busyness_shape = r.number_in(*x, field + ".busyness_shape", 0, 1e6);
    if (auto* x = a.if_contains("service_s")) s.service = r.distribution(*x, field + ".service_s");
    if (auto* x = a.if_contains("patience_s"))
      s.patience = r.distribution(*x, field + ".patience_s");
    if (auto* x = a.if_contains("balk_probability"))
      s.balk_probability = r.number_in(*x, field + ".balk_probability", 0, 1);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace omnivox::campaign_file
