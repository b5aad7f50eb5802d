// Value types of the domain model (model.h, call_window.h, compliance.h, import.h, config.h,
// event_listener.h, telephony.h, queue_generator.h) as Python classes with attributes.
// Container attributes (lists, dicts) are converted by copy: assign a whole new list or dict,
// in-place edits (cfg.caller_ids.append(...)) do not reach the C++ object.
#include "common.h"
// common.h first.
#include <sstream>

#include "bindings_support/campaign_loading.h"
#include "omnivox/audit.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/import.h"
#include "omnivox/model.h"
#include "omnivox/queue_generator.h"
#include "omnivox/telephony.h"

namespace omnivox::py_bindings {

namespace {

std::string repr_time(TimePoint t) { return t == TimePoint{} ? "None" : format_utc(t); }

}  // namespace

// Every field of CampaignStatistics in one fixed order (its pickle state).
template <typename S, typename F>
void each_statistics_field(S& s, F&& f) {
  f(s.campaign_id);
  f(s.at);
  for (auto& x : s.agents_by_state) f(x);
  f(s.attempts);
  f(s.attempts_in_flight);
  f(s.live_answers);
  f(s.machines);
  f(s.abandons);
  f(s.connects);
  f(s.abandon_rate);
  f(s.occupancy);
  f(s.dial_level);
  f(s.talk_seconds);
  f(s.wrap_seconds);
  f(s.logged_in_seconds);
  f(s.contacts_total);
  f(s.contacts_final);
  f(s.dial_queue_size);
  for (auto& x : s.dispositions) f(x);
  f(s.attempts_reconciled);
  f(s.completions_unsaved);
  f(s.abandon_rate_window);
}

void bind_model(py::module_& m) {
  // ---- call windows and compliance ----
  py::class_<LocalTimeRange>(m, "LocalTimeRange")
      .def(py::init([](int start, int end) {
             return LocalTimeRange{start, end};
           }),
           py::arg("start_minute") = 0, py::arg("end_minute") = 0)
      .def_readwrite("start_minute", &LocalTimeRange::start_minute)
      .def_readwrite("end_minute", &LocalTimeRange::end_minute)
      .def("contains", &LocalTimeRange::contains, py::arg("minute_of_day"))
      .def_property_readonly("closed", &LocalTimeRange::closed)
      .def_static("parse", &CallWindow::parse_range, py::arg("text"),
                  "Parses 'HH:MM-HH:MM'. Raises ConfigError on a bad range.")
      .def("__repr__", [](const LocalTimeRange& r) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "LocalTimeRange(%02d:%02d-%02d:%02d)", r.start_minute / 60,
                      r.start_minute % 60, r.end_minute / 60, r.end_minute % 60);
        return std::string(buf);
      });

  py::class_<CallWindow>(m, "CallWindow",
                         "Allowed local hours per weekday (by_weekday[0] = Sunday .. [6] = "
                         "Saturday, as call_window.h).")
      .def(py::init<>())
      .def_readwrite("by_weekday", &CallWindow::by_weekday,
                     "Seven LocalTimeRange (copy: assign a whole list).")
      .def_static("every_day", &CallWindow::every_day, py::arg("start_minute"),
                  py::arg("end_minute"))
      .def_static("always", &CallWindow::always)
      .def_static("intersect", &CallWindow::intersect, py::arg("a"), py::arg("b"));

  py::class_<RegionRule>(m, "RegionRule")
      .def(py::init<>())
      .def_readwrite("region", &RegionRule::region)
      .def_readwrite("call_window", &RegionRule::call_window)
      .def_readwrite("max_calls_per_24h", &RegionRule::max_calls_per_24h);

  py::class_<ComplianceProfile>(m, "ComplianceProfile")
      .def(py::init<>())
      .def_readwrite("name", &ComplianceProfile::name)
      .def_readwrite("abandon_cap", &ComplianceProfile::abandon_cap, "Fraction, 0.03 = 3 %.")
      .def_readwrite("abandon_window", &ComplianceProfile::abandon_window)
      .def_readwrite("count_amd_false_positives", &ComplianceProfile::count_amd_false_positives)
      .def_readwrite("amd_false_positive_rate", &ComplianceProfile::amd_false_positive_rate)
      .def_readwrite("hold_window", &ComplianceProfile::hold_window)
      .def_readwrite("min_ring", &ComplianceProfile::min_ring)
      .def_readwrite("call_window", &ComplianceProfile::call_window)
      .def_readwrite("region_rules", &ComplianceProfile::region_rules)
      .def_readwrite("holidays", &ComplianceProfile::holidays)
      .def_readwrite("no_repeat_after_abandon", &ComplianceProfile::no_repeat_after_abandon)
      .def_readwrite("no_repeat_after_machine", &ComplianceProfile::no_repeat_after_machine)
      .def_static("none", &ComplianceProfile::none)
      .def_static("us_ftc_fcc", &ComplianceProfile::us_ftc_fcc)
      .def_static("uk_ofcom", &ComplianceProfile::uk_ofcom)
      .def_static("ca_crtc", &ComplianceProfile::ca_crtc)
      .def_static("au_acma", &ComplianceProfile::au_acma)
      .def_static(
          "by_name", [](const std::string& n) { return ComplianceProfile::by_name(n); },
          py::arg("name"));

  py::class_<ComplianceAudit>(m, "ComplianceAudit")
      .def_readonly("attempts", &ComplianceAudit::attempts)
      .def_readonly("outside_window", &ComplianceAudit::outside_window)
      .def_readonly("on_holiday", &ComplianceAudit::on_holiday)
      .def_readonly("under_min_ring", &ComplianceAudit::under_min_ring)
      .def_readonly("repeat_violations", &ComplianceAudit::repeat_violations)
      .def_readonly("cap_breaches", &ComplianceAudit::cap_breaches)
      .def_readonly("max_window_rate", &ComplianceAudit::max_window_rate)
      .def_readonly("max_window_abandon_rate", &ComplianceAudit::max_window_abandon_rate)
      .def_readonly("examples", &ComplianceAudit::examples)
      .def_property_readonly("clean", &ComplianceAudit::clean);

  // ---- contacts and attempts ----
  py::class_<PhoneNumber>(m, "PhoneNumber")
      .def(py::init([](std::string e164) {
             PhoneNumber n;
             n.e164 = std::move(e164);
             return n;
           }),
           py::arg("e164") = std::string())
      .def_readwrite("e164", &PhoneNumber::e164)
      .def_readwrite("zone_set", &PhoneNumber::zone_set)
      .def_readwrite("attempts", &PhoneNumber::attempts)
      .def_readwrite("last_disposition", &PhoneNumber::last_disposition)
      .def_readwrite("invalid", &PhoneNumber::invalid)
      .def_readwrite("last_abandon_at", &PhoneNumber::last_abandon_at)
      .def_readwrite("last_machine_at", &PhoneNumber::last_machine_at)
      .def("__repr__", [](const PhoneNumber& n) { return "PhoneNumber('" + n.e164 + "')"; });
  py::implicitly_convertible<std::string, PhoneNumber>();

  py::class_<Contact>(m, "Contact", "A person to reach (VICIdial: lead).")
      .def(py::init([](std::string external_id, std::vector<PhoneNumber> numbers, int priority,
                       std::vector<std::pair<std::string, std::string>> attributes,
                       std::string time_zone, std::string list_name) {
             Contact c;
             c.external_id = std::move(external_id);
             c.numbers = std::move(numbers);
             c.priority = priority;
             c.attributes = std::move(attributes);
             c.time_zone = std::move(time_zone);
             c.list_name = std::move(list_name);
             return c;
           }),
           py::arg("external_id") = std::string(), py::arg("numbers") = std::vector<PhoneNumber>{},
           py::arg("priority") = 0,
           py::arg("attributes") = std::vector<std::pair<std::string, std::string>>{},
           py::arg("time_zone") = std::string(), py::arg("list_name") = std::string(),
           "numbers: E.164 strings or PhoneNumber objects, in dialing order.")
      .def_readwrite("id", &Contact::id)
      .def_readwrite("campaign_id", &Contact::campaign_id)
      .def_readwrite("list_name", &Contact::list_name)
      .def_readwrite("external_id", &Contact::external_id)
      .def_readwrite("priority", &Contact::priority)
      .def_readwrite("list_order", &Contact::list_order)
      .def_readwrite("numbers", &Contact::numbers, "list[PhoneNumber] (copy).")
      .def_readwrite("attributes", &Contact::attributes, "list[tuple[str, str]] (copy).")
      .def_readwrite("time_zone", &Contact::time_zone)
      .def_readwrite("status", &Contact::status)
      .def_readwrite("attempts", &Contact::attempts)
      .def_readwrite("not_connected", &Contact::not_connected)
      .def_readwrite("next_number", &Contact::next_number)
      .def_readwrite("last_disposition", &Contact::last_disposition)
      .def_readwrite("last_attempt_at", &Contact::last_attempt_at)
      .def_readwrite("next_attempt_at", &Contact::next_attempt_at)
      .def_readwrite("callback_agent", &Contact::callback_agent)
      .def(
          "attribute",
          [](const Contact& c, const std::string& name) -> std::optional<std::string> {
            const std::string* v = c.attribute(name);
            if (v == nullptr) return std::nullopt;
            return *v;
          },
          py::arg("name"))
      .def("__repr__", [](const Contact& c) {
        return "Contact(id=" + std::to_string(c.id) + ", external_id='" + c.external_id +
               "', status=" + to_string(c.status) + ")";
      });

  py::class_<ContactList>(m, "ContactList", "A named set of contacts loaded together.")
      .def(py::init<>())
      .def_readwrite("campaign_id", &ContactList::campaign_id)
      .def_readwrite("name", &ContactList::name)
      .def_readwrite("active", &ContactList::active);

  py::class_<Attempt>(m, "Attempt", "One attempt (call record).")
      .def(py::init<>())
      .def_readwrite("call_id", &Attempt::call_id)
      .def_readwrite("contact_id", &Attempt::contact_id)
      .def_readwrite("campaign_id", &Attempt::campaign_id)
      .def_readwrite("number", &Attempt::number)
      .def_readwrite("number_index", &Attempt::number_index)
      .def_readwrite("attempt_number", &Attempt::attempt_number)
      .def_readwrite("caller_id", &Attempt::caller_id)
      .def_readwrite("provider_call_id", &Attempt::provider_call_id)
      .def_readwrite("state", &Attempt::state)
      .def_readwrite("fail_reason", &Attempt::fail_reason)
      .def_readwrite("amd", &Attempt::amd)
      .def_readwrite("disposition", &Attempt::disposition)
      .def_readwrite("agent", &Attempt::agent, "Agent id, or NO_AGENT.")
      .def_readwrite("created_at", &Attempt::created_at)
      .def_readwrite("answered_at", &Attempt::answered_at, "None if never answered.")
      .def_readwrite("bridged_at", &Attempt::bridged_at, "None if never bridged.")
      .def_readwrite("ended_at", &Attempt::ended_at, "None while in flight.")
      .def_property_readonly(
          "ended_at_ms", [](const Attempt& a) { return a.ended_at.time_since_epoch().count(); },
          "ended_at as milliseconds since the epoch (0 while in flight).")
      .def_property_readonly(
          "created_at_ms", [](const Attempt& a) { return a.created_at.time_since_epoch().count(); },
          "created_at as milliseconds since the epoch.")
      .def_readwrite("provider_code", &Attempt::provider_code)
      .def("__repr__", [](const Attempt& a) {
        return "Attempt(call_id=" + std::to_string(a.call_id) +
               ", contact_id=" + std::to_string(a.contact_id) + ", state=" + to_string(a.state) +
               ", disposition=" + to_string(a.disposition) + ")";
      });

  py::class_<RetryRule>(m, "RetryRule")
      .def(py::init([](bool final, Duration delay) {
             return RetryRule{final, delay};
           }),
           py::arg("final") = RetryRule{}.final, py::arg("delay") = RetryRule{}.delay)
      .def_readwrite("final", &RetryRule::final)
      .def_readwrite("delay", &RetryRule::delay)
      .def("__repr__", [](const RetryRule& r) {
        return r.final ? std::string("RetryRule(final=True)")
                       : "RetryRule(delay=" + std::to_string(to_seconds(r.delay)) + "s)";
      });

  py::class_<CampaignConfig>(m, "CampaignConfig")
      .def(py::init<>())
      .def_readwrite("id", &CampaignConfig::id)
      .def_readwrite("name", &CampaignConfig::name)
      .def_readwrite("dial_mode", &CampaignConfig::dial_mode)
      .def_readwrite("power_lines_per_agent", &CampaignConfig::power_lines_per_agent)
      .def_readwrite("call_window", &CampaignConfig::call_window)
      .def_readwrite("fallback_time_zone", &CampaignConfig::fallback_time_zone)
      .def_readwrite("max_attempts", &CampaignConfig::max_attempts)
      .def_readwrite("max_attempts_per_number", &CampaignConfig::max_attempts_per_number)
      .def_readwrite("retry_rules", &CampaignConfig::retry_rules,
                     "dict[Disposition, RetryRule] (copy: assign a whole dict).")
      .def_readwrite("ring_timeout", &CampaignConfig::ring_timeout)
      .def_readwrite("hold_window", &CampaignConfig::hold_window)
      .def_readwrite("amd", &CampaignConfig::amd)
      .def_readwrite("caller_ids", &CampaignConfig::caller_ids, "list[str] (copy).")
      .def_readwrite("safe_harbor_message", &CampaignConfig::safe_harbor_message)
      .def_readwrite("voicemail_message", &CampaignConfig::voicemail_message)
      .def_readwrite("default_region", &CampaignConfig::default_region)
      .def_readwrite("dial_queue_capacity", &CampaignConfig::dial_queue_capacity)
      .def_readwrite("dnc_numbers", &CampaignConfig::dnc_numbers, "list[str] (copy).")
      .def_readwrite("compliance", &CampaignConfig::compliance)
      .def_static("default_retry_rules", &CampaignConfig::default_retry_rules);

  // ---- import ----
  py::class_<ColumnMapping>(m, "ColumnMapping")
      .def(py::init<>())
      .def_readwrite("phone_columns", &ColumnMapping::phone_columns)
      .def_readwrite("external_id_column", &ColumnMapping::external_id_column)
      .def_readwrite("priority_column", &ColumnMapping::priority_column)
      .def_readwrite("time_zone_column", &ColumnMapping::time_zone_column)
      .def_readwrite("keep_attributes", &ColumnMapping::keep_attributes);

  py::class_<ImportOptions>(m, "ImportOptions", "How to import a contacts CSV (import.h).")
      .def(py::init([](std::string default_region, std::string delimiter) {
             ImportOptions o;
             o.default_region = std::move(default_region);
             if (delimiter.size() > 1) invalid_argument("delimiter must be '', ',' or ';'");
             o.delimiter = delimiter.empty() ? 0 : delimiter[0];
             return o;
           }),
           py::arg("default_region") = ImportOptions{}.default_region, py::arg("delimiter") = "")
      .def_property(
          "delimiter",
          [](const ImportOptions& o) { return o.delimiter ? std::string(1, o.delimiter) : ""; },
          [](ImportOptions& o, const std::string& d) {
            if (d.size() > 1) invalid_argument("delimiter must be '', ',' or ';'");
            o.delimiter = d.empty() ? 0 : d[0];
          },
          "',' or ';'; '' detects it from the header.")
      .def_readwrite("default_region", &ImportOptions::default_region)
      .def_readwrite("mapping", &ImportOptions::mapping)
      .def_readwrite("max_errors_kept", &ImportOptions::max_errors_kept)
      .def_readwrite("max_lines_per_record", &ImportOptions::max_lines_per_record);

  py::class_<ImportError>(m, "ImportRowError")
      .def_readonly("line", &ImportError::line)
      .def_readonly("reason", &ImportError::reason)
      .def("__repr__", [](const ImportError& e) {
        return "ImportRowError(line=" + std::to_string(e.line) + ", reason='" + e.reason + "')";
      });

  py::class_<ImportReport>(m, "ImportReport", "What an import did.")
      .def_readonly("rows_read", &ImportReport::rows_read)
      .def_readonly("rows_loaded", &ImportReport::rows_loaded)
      .def_readonly("rows_rejected", &ImportReport::rows_rejected)
      .def_readonly("errors", &ImportReport::errors)
      .def_readonly("source_name", &ImportReport::source_name)
      .def("summary", &ImportReport::summary, py::arg("max_errors") = 10)
      .def("__repr__", [](const ImportReport& r) { return "ImportReport(" + r.summary(0) + ")"; });

  // ---- campaign files ----
  py::class_<CampaignFile>(m, "CampaignFile",
                           "Everything a campaign file describes (config.h, "
                           "docs/campaign-file.md).")
      .def(py::init<>())
      .def_readwrite("campaign", &CampaignFile::campaign)
      .def_readwrite("agents", &CampaignFile::agents)
      .def_readwrite("agent_shift", &CampaignFile::agent_shift)
      .def_readwrite("start", &CampaignFile::start)
      .def_readwrite("contacts_path", &CampaignFile::contacts_path)
      .def_readwrite("import_options", &CampaignFile::import)
      .def_readwrite("simulation", &CampaignFile::simulation)
      .def_readwrite("replay_path", &CampaignFile::replay_path)
      .def_readwrite("max_duration", &CampaignFile::max_duration)
      .def(
          "load_replay",
          [](CampaignFile& f) {
            py::gil_scoped_release release;
            return bindings_support::load_replay_records(f);
          },
          "With a replay world, loads its records from replay_path (as `omnivox run` and the C "
          "API do); returns False for a parametric world. Raises IoError/ConfigError.");

  m.def("load_campaign_file", &load_campaign_file, py::arg("path"),
        py::call_guard<py::gil_scoped_release>(),
        "Parses a campaign file (JSON with comments). Raises ConfigError naming the field, "
        "IoError if it cannot be read. Relative paths resolve against the file's folder.");
  m.def("parse_campaign_json", &parse_campaign_json, py::arg("json"), py::arg("base_dir") = ".",
        py::arg("source") = "<json>", py::call_guard<py::gil_scoped_release>(),
        "Parses campaign JSON text; base_dir resolves relative paths, source names it in errors.");

  // ---- queue and eligibility ----
  py::class_<DialQueueEntry>(m, "DialQueueEntry", "One dialable entry.")
      .def_readonly("contact_id", &DialQueueEntry::contact_id)
      .def_readonly("number_index", &DialQueueEntry::number_index)
      .def_readonly("number", &DialQueueEntry::number)
      .def_readonly("callback", &DialQueueEntry::callback)
      .def_readonly("callback_agent", &DialQueueEntry::callback_agent)
      .def("__repr__", [](const DialQueueEntry& e) {
        return "DialQueueEntry(contact_id=" + std::to_string(e.contact_id) + ", number='" +
               e.number + "')";
      });

  py::class_<EligibilityReport>(m, "EligibilityReport", "Why a contact is (not) dialable now.")
      .def_readonly("contact_id", &EligibilityReport::contact_id)
      .def_readonly("reason", &EligibilityReport::reason)
      .def_readonly("detail", &EligibilityReport::detail)
      .def_readonly("eligible_at", &EligibilityReport::eligible_at)
      .def_property_readonly(
          "dialable", [](const EligibilityReport& r) { return r.reason == Ineligibility::kNone; },
          "True when the contact is dialable now (reason is Ineligibility.NONE).")
      .def("__repr__", [](const EligibilityReport& r) {
        return std::string("EligibilityReport(") + to_string(r.reason) + ", '" + r.detail + "')";
      });

  // ---- events ----
  py::class_<CallStateChange>(m, "CallStateChange", "A call changed state (listener event).")
      .def_readonly("at", &CallStateChange::at)
      .def_readonly("campaign_id", &CallStateChange::campaign_id)
      .def_readonly("call_id", &CallStateChange::call_id)
      .def_readonly("contact_id", &CallStateChange::contact_id)
      .def_property_readonly("from_state", [](const CallStateChange& c) { return c.from; })
      .def_property_readonly("to_state", [](const CallStateChange& c) { return c.to; })
      .def_readonly("agent", &CallStateChange::agent)
      .def("__repr__", [](const CallStateChange& c) {
        return "CallStateChange(call_id=" + std::to_string(c.call_id) + ", " + to_string(c.from) +
               " -> " + to_string(c.to) + ", at=" + repr_time(c.at) + ")";
      });

  py::class_<AgentStateChange>(m, "AgentStateChange", "An agent changed state (listener event).")
      .def_readonly("at", &AgentStateChange::at)
      .def_readonly("campaign_id", &AgentStateChange::campaign_id)
      .def_readonly("agent", &AgentStateChange::agent)
      .def_property_readonly("from_state", [](const AgentStateChange& c) { return c.from; })
      .def_property_readonly("to_state", [](const AgentStateChange& c) { return c.to; })
      .def_readonly("call_id", &AgentStateChange::call_id)
      .def("__repr__", [](const AgentStateChange& c) {
        return "AgentStateChange(agent=" + std::to_string(c.agent) + ", " + to_string(c.from) +
               " -> " + to_string(c.to) + ", call_id=" + std::to_string(c.call_id) + ")";
      });

  py::class_<PacingDecision>(m, "PacingDecision")
      .def_readonly("at", &PacingDecision::at)
      .def_readonly("campaign_id", &PacingDecision::campaign_id)
      .def_readonly("policy", &PacingDecision::policy)
      .def_readonly("agents_idle", &PacingDecision::agents_idle)
      .def_readonly("agents_busy", &PacingDecision::agents_busy)
      .def_readonly("calls_pending", &PacingDecision::calls_pending)
      .def_readonly("requested", &PacingDecision::requested)
      .def_readonly("allowed", &PacingDecision::allowed)
      .def_readonly("launched", &PacingDecision::launched);

  // ---- telephony vocabulary ----
  py::class_<OriginateRequest>(m, "OriginateRequest", "What the engine asks telephony to dial.")
      .def(py::init<>())
      .def_readwrite("call_id", &OriginateRequest::call_id)
      .def_readwrite("contact_id", &OriginateRequest::contact_id)
      .def_readwrite("external_id", &OriginateRequest::external_id)
      .def_readwrite("campaign_id", &OriginateRequest::campaign_id)
      .def_readwrite("to", &OriginateRequest::to, "E.164.")
      .def_readwrite("from_", &OriginateRequest::from, "Caller ID, E.164.")
      .def_readwrite("attempt_number", &OriginateRequest::attempt_number)
      .def_readwrite("ring_timeout", &OriginateRequest::ring_timeout)
      .def_readwrite("amd", &OriginateRequest::amd)
      .def("__repr__", [](const OriginateRequest& r) {
        return "OriginateRequest(call_id=" + std::to_string(r.call_id) + ", to='" + r.to + "')";
      });

  py::class_<CallEvent>(m, "CallEvent", "One event about one call, as reported by telephony.")
      .def(py::init([](CallId call_id, CallEventKind kind, std::string provider_call_id,
                       std::uint32_t sequence, TimePoint timestamp, AmdResult amd,
                       FailReason fail_reason, int provider_code) {
             CallEvent e;
             e.call_id = call_id;
             e.kind = kind;
             e.provider_call_id = std::move(provider_call_id);
             e.sequence = sequence;
             e.timestamp = timestamp;
             e.amd = amd;
             e.fail_reason = fail_reason;
             e.provider_code = provider_code;
             return e;
           }),
           py::arg("call_id"), py::arg("kind"), py::arg("provider_call_id") = std::string(),
           py::arg("sequence") = 0u, py::arg("timestamp") = TimePoint{},
           py::arg("amd") = AmdResult::kNone, py::arg("fail_reason") = FailReason::kNone,
           py::arg("provider_code") = 0,
           "timestamp None = the engine clock's now; sequence deduplicates (call, sequence) when "
           "non-zero.")
      .def_readwrite("call_id", &CallEvent::call_id)
      .def_readwrite("provider_call_id", &CallEvent::provider_call_id)
      .def_readwrite("kind", &CallEvent::kind)
      .def_readwrite("sequence", &CallEvent::sequence)
      .def_readwrite("timestamp", &CallEvent::timestamp)
      .def_readwrite("amd", &CallEvent::amd)
      .def_readwrite("fail_reason", &CallEvent::fail_reason)
      .def_readwrite("provider_code", &CallEvent::provider_code)
      .def("__repr__", [](const CallEvent& e) {
        return "CallEvent(call_id=" + std::to_string(e.call_id) + ", kind=" + to_string(e.kind) +
               ")";
      });

  // ---- statistics ----
  py::class_<CampaignStatistics> statistics(m, "CampaignStatistics",
                                            "Live statistics of one campaign.");
  statistics.def_readonly("campaign_id", &CampaignStatistics::campaign_id)
      .def_readonly("at", &CampaignStatistics::at)
      .def_property_readonly(
          "agents_by_state",
          [](const CampaignStatistics& s) {
            py::dict d;
            for (int i = 0; i < kAgentStateCount; ++i)
              d[py::cast(static_cast<AgentState>(i))] = s.agents_by_state[i];
            return d;
          },
          "dict[AgentState, int].")
      .def_readonly("attempts", &CampaignStatistics::attempts)
      .def_readonly("attempts_in_flight", &CampaignStatistics::attempts_in_flight)
      .def_readonly("live_answers", &CampaignStatistics::live_answers)
      .def_readonly("machines", &CampaignStatistics::machines)
      .def_readonly("abandons", &CampaignStatistics::abandons)
      .def_readonly("connects", &CampaignStatistics::connects)
      .def_readonly("amd_suspended", &CampaignStatistics::amd_suspended)
      .def_readonly("abandon_rate", &CampaignStatistics::abandon_rate)
      .def_readonly("abandon_rate_window", &CampaignStatistics::abandon_rate_window)
      .def_readonly("occupancy", &CampaignStatistics::occupancy)
      .def_readonly("dial_level", &CampaignStatistics::dial_level)
      .def_readonly("talk_seconds", &CampaignStatistics::talk_seconds)
      .def_readonly("wrap_seconds", &CampaignStatistics::wrap_seconds)
      .def_readonly("logged_in_seconds", &CampaignStatistics::logged_in_seconds)
      .def_readonly("contacts_total", &CampaignStatistics::contacts_total)
      .def_readonly("contacts_final", &CampaignStatistics::contacts_final)
      .def_readonly("dial_queue_size", &CampaignStatistics::dial_queue_size)
      .def_property_readonly(
          "dispositions",
          [](const CampaignStatistics& s) {
            py::dict d;
            for (int i = 0; i < kDispositionCount; ++i)
              d[py::cast(static_cast<Disposition>(i))] = s.dispositions[i];
            return d;
          },
          "dict[Disposition, int].")
      .def(py::pickle(
          [](const CampaignStatistics& s) {
            py::list state;
            each_statistics_field(s, [&](const auto& x) { state.append(py::cast(x)); });
            return py::tuple(state);
          },
          [](const py::tuple& state) {
            CampaignStatistics s;
            std::size_t i = 0;
            each_statistics_field(s, [&](auto&) { ++i; });
            if (state.size() != i) invalid_argument("CampaignStatistics: bad pickle state");
            i = 0;
            each_statistics_field(
                s, [&](auto& x) { x = state[i++].cast<std::decay_t<decltype(x)>>(); });
            return s;
          }));
  def_field_repr<CampaignStatistics>(m, "CampaignStatistics",
                                     {"campaign_id", "at", "attempts", "live_answers", "abandons",
                                      "abandon_rate", "connects", "occupancy", "dial_level"});

  // Configs and call records pickle by their fields; their reprs show what tells them apart.
  def_field_repr<CampaignConfig>(
      m, "CampaignConfig",
      {"id", "name", "dial_mode", "power_lines_per_agent", "max_attempts", "ring_timeout",
       "hold_window", "amd", "compliance"});
  def_field_repr<ComplianceProfile>(m, "ComplianceProfile",
                                    {"name", "abandon_cap", "abandon_window", "hold_window"});
  def_field_repr<CampaignFile>(m, "CampaignFile",
                               {"campaign", "agents", "start", "contacts_path", "simulation"});
  def_field_pickle<LocalTimeRange>(m, "LocalTimeRange");
  def_field_pickle<CallWindow>(m, "CallWindow");
  def_field_pickle<RegionRule>(m, "RegionRule");
  def_field_pickle<ComplianceProfile>(m, "ComplianceProfile");
  def_field_pickle<PhoneNumber>(m, "PhoneNumber");
  def_field_pickle<Contact>(m, "Contact");
  def_field_pickle<ContactList>(m, "ContactList");
  def_field_pickle<Attempt>(m, "Attempt");
  def_field_pickle<RetryRule>(m, "RetryRule");
  def_field_pickle<CampaignConfig>(m, "CampaignConfig");
  def_field_pickle<ColumnMapping>(m, "ColumnMapping");
  def_field_pickle<ImportOptions>(m, "ImportOptions");
  def_field_pickle<CampaignFile>(m, "CampaignFile");

  m.attr("NO_AGENT") = kNoAgent;
  m.attr("NO_CALL") = kNoCall;
  m.attr("NO_CONTACT") = kNoContact;
}

}  // namespace omnivox::py_bindings
