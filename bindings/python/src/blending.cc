// Inbound queues, agents' skills and blending (omnivox/inbound.h, docs/blending.md): the
// configuration types and the Engine methods that set and read them.
#include "common.h"
// common.h first.
#include "engine_box.h"
#include "omnivox/inbound.h"

namespace omnivox::py_bindings {

void bind_blending(py::module_& m) {
  using release = py::call_guard<py::gil_scoped_release>;

  py::enum_<BlendingRule>(m, "BlendingRule")
      .value("NONE", BlendingRule::kNone)
      .value("THRESHOLD", BlendingRule::kThreshold)
      .value("SERVICE_LEVEL", BlendingRule::kServiceLevel)
      .value("DIALXFREE", BlendingRule::kDialxfree);

  py::class_<InboundQueueConfig>(m, "InboundQueueConfig")
      .def(py::init<>())
      .def_readwrite("id", &InboundQueueConfig::id)
      .def_readwrite("numbers", &InboundQueueConfig::numbers)
      .def_readwrite("priority", &InboundQueueConfig::priority)
      .def_readwrite("answer_within", &InboundQueueConfig::answer_within)
      .def_readwrite("service_level_target", &InboundQueueConfig::service_level_target);
  def_field_repr<InboundQueueConfig>(
      m, "InboundQueueConfig",
      {"id", "numbers", "priority", "answer_within", "service_level_target"});
  def_field_pickle<InboundQueueConfig>(m, "InboundQueueConfig");

  py::class_<InboundSkill>(m, "InboundSkill")
      .def(py::init<>())
      .def(py::init([](std::string queue, int priority) {
             return InboundSkill{std::move(queue), priority};
           }),
           py::arg("queue"), py::arg("priority") = InboundSkill{}.priority)
      .def_readwrite("queue", &InboundSkill::queue, "The queue's id.")
      .def_readwrite("priority", &InboundSkill::priority,
                     "The agent's priority for the queue (higher first).");
  def_field_repr<InboundSkill>(m, "InboundSkill", {"queue", "priority"});
  def_field_pickle<InboundSkill>(m, "InboundSkill");

  py::class_<CampaignSkill>(m, "CampaignSkill")
      .def(py::init<>())
      .def(py::init([](std::string campaign, int priority) {
             return CampaignSkill{std::move(campaign), priority};
           }),
           py::arg("campaign"), py::arg("priority") = CampaignSkill{}.priority)
      .def_readwrite("campaign", &CampaignSkill::campaign, "The campaign's id.")
      .def_readwrite("priority", &CampaignSkill::priority,
                     "The agent's priority for the campaign (higher first).");
  def_field_repr<CampaignSkill>(m, "CampaignSkill", {"campaign", "priority"});
  def_field_pickle<CampaignSkill>(m, "CampaignSkill");

  py::class_<AgentSkills>(m, "AgentSkills")
      .def(py::init<>())
      .def(py::init([](std::vector<InboundSkill> queues, bool outbound,
                       std::vector<CampaignSkill> campaigns) {
             return AgentSkills{std::move(queues), outbound, std::move(campaigns)};
           }),
           py::arg("queues"), py::arg("outbound") = AgentSkills{}.outbound,
           py::arg("campaigns") = std::vector<CampaignSkill>{})
      .def_readwrite("queues", &AgentSkills::queues)
      .def_readwrite("outbound", &AgentSkills::outbound)
      .def_readwrite("campaigns", &AgentSkills::campaigns);
  def_field_repr<AgentSkills>(m, "AgentSkills", {"queues", "outbound", "campaigns"});
  def_field_pickle<AgentSkills>(m, "AgentSkills");

  py::class_<BlendingConfig>(m, "BlendingConfig")
      .def(py::init<>())
      .def_readwrite("rule", &BlendingConfig::rule)
      .def_readwrite("reserve", &BlendingConfig::reserve)
      .def_readwrite("queue", &BlendingConfig::queue)
      .def_readwrite("min_free_all", &BlendingConfig::min_free_all)
      .def_readwrite("min_free_outbound", &BlendingConfig::min_free_outbound,
                     "DIALXFREE: free outbound agents needed to dial.")
      .def_readwrite("kappa", &BlendingConfig::kappa,
                     "DIALXFREE: calls per free outbound agent, 0..100.")
      .def_readwrite("c", &BlendingConfig::c, "DIALXFREE: calls added to each decision.");
  def_field_repr<BlendingConfig>(
      m, "BlendingConfig",
      {"rule", "reserve", "queue", "min_free_all", "min_free_outbound", "kappa", "c"});
  def_field_pickle<BlendingConfig>(m, "BlendingConfig");

  py::class_<InboundQueueStatistics>(m, "InboundQueueStatistics")
      .def_readonly("queue_id", &InboundQueueStatistics::queue_id, "The queue's id.")
      .def_readonly("offered", &InboundQueueStatistics::offered)
      .def_readonly("answered", &InboundQueueStatistics::answered)
      .def_readonly("abandoned", &InboundQueueStatistics::abandoned)
      .def_readonly("answered_within", &InboundQueueStatistics::answered_within)
      .def_readonly("abandoned_within", &InboundQueueStatistics::abandoned_within)
      .def_readonly("waiting", &InboundQueueStatistics::waiting)
      .def_readonly("wait_seconds_answered", &InboundQueueStatistics::wait_seconds_answered)
      .def_readonly("wait_seconds_abandoned", &InboundQueueStatistics::wait_seconds_abandoned)
      .def_readonly("handle_seconds", &InboundQueueStatistics::handle_seconds)
      .def_readonly("service_level", &InboundQueueStatistics::service_level)
      .def_readonly("asa_s", &InboundQueueStatistics::asa_s)
      .def_readonly("abandon_rate", &InboundQueueStatistics::abandon_rate,
                    "Abandoned / (answered + abandoned); 0 with no call ended.");

  auto engine =
      py::reinterpret_borrow<py::class_<EngineBox, std::shared_ptr<EngineBox>>>(m.attr("Engine"));
  engine
      .def(
          "add_inbound_queue",
          [](EngineBox& box_, const InboundQueueConfig& queue) {
            box_.get().add_inbound_queue(queue);
          },
          py::arg("queue"), release(),
          "Adds an inbound queue (an id added again replaces its settings). Raises ConfigError.")
      .def(
          "set_agent_skills",
          [](EngineBox& box_, AgentId agent, const AgentSkills& skills) {
            box_.get().set_agent_skills(agent, skills);
          },
          py::arg("agent"), py::arg("skills"), release(),
          "Sets the inbound queues an agent answers, whether it takes outbound calls and the "
          "other campaigns whose calls it takes. Raises NotFoundError for an unknown agent or "
          "campaign, ConfigError for a bad skill.")
      .def(
          "set_blending",
          [](EngineBox& box_, const std::string& campaign_id, const BlendingConfig& blending) {
            box_.get().set_blending(campaign_id, blending);
          },
          py::arg("campaign_id"), py::arg("blending"), release(),
          "Sets how a campaign shares its agents with inbound queues. Raises NotFoundError or "
          "ConfigError.")
      .def(
          "inbound_statistics",
          [](EngineBox& box_, const std::string& queue_id) {
            return box_.get().inbound_statistics(queue_id);
          },
          py::arg("queue_id"), release(),
          "An inbound queue's statistics since it was added. Raises NotFoundError.")
      .def(
          "inbound_queues", [](EngineBox& box_) { return box_.get().inbound_queues(); }, release(),
          "The inbound queues' ids, in the order they were added.");
}

}  // namespace omnivox::py_bindings
