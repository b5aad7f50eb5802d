#include "omnivox/config.h"

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
#include "core/input_checks.h"

namespace omnivox {
namespace json = boost::json;
namespace {

using campaign_file::read_inbound;
using campaign_file::read_inbound_arrivals;
using campaign_file::read_telephony;
using campaign_file::Reader;
using campaign_file::resolve;

// The JSON text of a campaign file: without its UTF-8 byte order mark (editors on Windows write
// one), and only if it is UTF-8 at all, as JSON requires; else an error naming where it stops
// being UTF-8 (line:column and byte offset in the file).
std::string_view utf8_json(std::string_view text, const std::string& source) {
  const std::size_t bom = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  const std::size_t bad = bom + detail::utf8_valid_prefix(text.substr(bom));
  if (bad == text.size()) return text.substr(bom);
  const std::size_t line = 1 + std::count(text.begin(), text.begin() + bad, '\n');
  const std::size_t newline = bad == 0 ? std::string_view::npos : text.rfind('\n', bad - 1);
  const std::size_t column = bad - (newline == std::string_view::npos ? 0 : newline + 1) + 1;
  static const char* const kHex = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(text[bad]);
  throw Error(ErrorCode::kConfig, source + ":" + std::to_string(line) + ":" +
                                      std::to_string(column) + ": not UTF-8 (byte 0x" +
                                      kHex[byte >> 4] + kHex[byte & 0xF] + " at offset " +
                                      std::to_string(bad) + "); save the campaign file as UTF-8");
}

// When the campaign's agents work: their number, the run's start, their shift (on the days the
// campaign's call window is open).
void read_agents(const Reader& r, const json::object& o, CampaignFile& f) {
  const CampaignConfig& c = f.campaign;
  if (auto* v = o.if_contains("agents")) f.agents = r.integer(*v, "agents", 1, 100000);
  if (auto* v = o.if_contains("start")) {
    try {
      f.start = parse_utc(r.string(*v, "start"));
    } catch (const Error& e) {
      r.fail("start", e.what());
    }
  }
  f.agent_shift = c.call_window;
  if (auto* v = o.if_contains("agent_shift")) {
    LocalTimeRange range = r.range(*v, "agent_shift");
    for (int day = 0; day < 7; ++day) {
      // Agents work on the days calls are allowed.
      f.agent_shift.by_weekday[day] =
          c.call_window.by_weekday[day].closed() ? LocalTimeRange{} : range;
    }
  }
}

// `contacts`: the file and how its columns map onto contacts.
void read_contacts(const Reader& r, const json::value& v, const std::string& base_dir,
                   CampaignFile& f) {
  const auto& co = r.object(v, "contacts");
  r.allow_only(co, "contacts",
               {"file", "default_region", "phone_columns", "id_column", "priority_column",
                "time_zone_column", "delimiter"});
  if (auto* x = co.if_contains("file"))
    f.contacts_path = resolve(base_dir, r.path(*x, "contacts.file"));
  if (auto* x = co.if_contains("default_region")) {
    f.import.default_region = r.region(*x, "contacts.default_region").default_region();
  }
  if (auto* x = co.if_contains("phone_columns")) {
    f.import.mapping.phone_columns = r.strings(*x, "contacts.phone_columns");
    if (f.import.mapping.phone_columns.empty())
      r.fail("contacts.phone_columns", "must not be empty");
  }
  if (auto* x = co.if_contains("id_column")) {
    f.import.mapping.external_id_column = r.string(*x, "contacts.id_column");
  }
  if (auto* x = co.if_contains("priority_column")) {
    f.import.mapping.priority_column = r.string(*x, "contacts.priority_column");
  }
  if (auto* x = co.if_contains("time_zone_column")) {
    f.import.mapping.time_zone_column = r.string(*x, "contacts.time_zone_column");
  }
  if (auto* x = co.if_contains("delimiter")) {
    std::string d = r.string(*x, "contacts.delimiter");
    if (d != "," && d != ";") r.fail("contacts.delimiter", "must be \",\" or \";\"");
    f.import.delimiter = d[0];
  }
}

// The parametric world of `simulation` (`so`): outcome probabilities and delays.
void read_parametric_world(const Reader& r, const json::object& so, ParametricWorld& p) {
  if (auto* x = so.if_contains("p_live")) p.p_live = r.number_in(*x, "simulation.p_live", 0, 1);
  if (auto* x = so.if_contains("p_machine"))
    p.p_machine = r.number_in(*x, "simulation.p_machine", 0, 1);
  if (auto* x = so.if_contains("p_busy")) p.p_busy = r.number_in(*x, "simulation.p_busy", 0, 1);
  if (auto* x = so.if_contains("p_invalid"))
    p.p_invalid = r.number_in(*x, "simulation.p_invalid", 0, 1);
  if (p.p_live + p.p_machine + p.p_busy + p.p_invalid > 1.0 + 1e-9) {
    r.fail("simulation.p_live", "p_live + p_machine + p_busy + p_invalid must be <= 1");
  }
  if (auto* x = so.if_contains("answer_delay_s"))
    p.answer_delay = r.distribution(*x, "simulation.answer_delay_s");
  if (auto* x = so.if_contains("busy_delay_s"))
    p.busy_delay = r.distribution(*x, "simulation.busy_delay_s");
  if (auto* x = so.if_contains("talk_s")) p.talk = r.distribution(*x, "simulation.talk_s");
  if (auto* x = so.if_contains("p_sale")) p.p_sale = r.number_in(*x, "simulation.p_sale", 0, 1);
  if (auto* x = so.if_contains("p_live_changes")) {
    // [{"at": "2026-05-04T16:00:00Z", "p_live": 0.15}, ...]
    if (!x->is_array()) r.fail("simulation.p_live_changes", "must be an array of {at, p_live}");
    for (std::size_t i = 0; i < x->get_array().size(); ++i) {
      std::string field = "simulation.p_live_changes[" + std::to_string(i) + "]";
      const auto& ch = r.object(x->get_array()[i], field);
      r.allow_only(ch, field, {"at", "p_live"});
      const auto* at = ch.if_contains("at");
      const auto* pl = ch.if_contains("p_live");
      if (!at || !pl) r.fail(field, "needs \"at\" and \"p_live\"");
      TimePoint when;
      try {
        when = parse_utc(r.string(*at, field + ".at"));
      } catch (const Error& e) {
        r.fail(field + ".at", e.what());
      }
      p.p_live_changes.emplace_back(when, r.number_in(*pl, field + ".p_live", 0, 1));
    }
    std::sort(p.p_live_changes.begin(), p.p_live_changes.end());
  }
}

// `simulation`: the simulated world (parametric or a replay of the contacts file) and agents.
void read_simulation(const Reader& r, const json::value& v, const std::string& base_dir,
                     CampaignFile& f) {
  const auto& so = r.object(v, "simulation");
  r.allow_only(so, "simulation",
               {"seed",
                "world",
                "replay_file",
                "share_no_answer",
                "share_busy",
                "share_machine",
                "p_live",
                "p_machine",
                "p_busy",
                "p_invalid",
                "answer_delay_s",
                "talk_s",
                "p_sale",
                "wrap_up_s",
                "setup_delay_s",
                "amd_delay_s",
                "amd_false_positive",
                "amd_false_negative",
                "bridge_delay_s",
                "patience_s",
                "busy_delay_s",
                "p_live_changes",
                "inbound",
                "calls_outlive_engine"});
  SimulationOptions& s = f.simulation;
  if (auto* x = so.if_contains("seed"))
    s.seed = static_cast<std::uint64_t>(r.integer(*x, "simulation.seed", 0, 2147483647));
  if (auto* x = so.if_contains("calls_outlive_engine")) {
    s.calls_outlive_engine = r.boolean(*x, "simulation.calls_outlive_engine");
  }
  std::string world = "parametric";
  if (auto* x = so.if_contains("world")) world = r.string(*x, "simulation.world");
  if (world != "parametric" && world != "replay") {
    r.fail("simulation.world", "must be \"parametric\" or \"replay\"");
  }
  if (world == "replay") {
    f.replay_path = f.contacts_path;
    if (auto* x = so.if_contains("replay_file")) {
      f.replay_path = resolve(base_dir, r.path(*x, "simulation.replay_file"));
    }
    if (f.replay_path.empty()) r.fail("simulation.replay_file", "is required for the replay world");
    s.replay = ReplayWorld{};
    if (auto* x = so.if_contains("share_no_answer"))
      s.replay->share_no_answer = r.number_in(*x, "simulation.share_no_answer", 0, 1);
    if (auto* x = so.if_contains("share_busy"))
      s.replay->share_busy = r.number_in(*x, "simulation.share_busy", 0, 1);
    if (auto* x = so.if_contains("share_machine"))
      s.replay->share_machine = r.number_in(*x, "simulation.share_machine", 0, 1);
    if (auto* x = so.if_contains("answer_delay_s"))
      s.replay->answer_delay = r.distribution(*x, "simulation.answer_delay_s");
    if (auto* x = so.if_contains("busy_delay_s"))
      s.replay->busy_delay = r.distribution(*x, "simulation.busy_delay_s");
  } else {
    read_parametric_world(r, so, s.parametric);
  }
  if (auto* x = so.if_contains("wrap_up_s")) s.wrap_up = r.distribution(*x, "simulation.wrap_up_s");
  if (auto* x = so.if_contains("setup_delay_s"))
    s.setup_delay = r.distribution(*x, "simulation.setup_delay_s");
  if (auto* x = so.if_contains("amd_delay_s"))
    s.amd_delay = r.distribution(*x, "simulation.amd_delay_s");
  if (auto* x = so.if_contains("amd_false_positive"))
    s.amd_false_positive = r.number_in(*x, "simulation.amd_false_positive", 0, 1);
  if (auto* x = so.if_contains("amd_false_negative"))
    s.amd_false_negative = r.number_in(*x, "simulation.amd_false_negative", 0, 1);
  if (auto* x = so.if_contains("bridge_delay_s"))
    s.bridge_delay = r.distribution(*x, "simulation.bridge_delay_s");
  if (auto* x = so.if_contains("patience_s"))
    s.patience = r.distribution(*x, "simulation.patience_s");
  if (auto* x = so.if_contains("inbound")) s.inbound = read_inbound_arrivals(r, *x);
}

}  // namespace

CampaignFile parse_campaign_json(const std::string& text, const std::string& base_dir,
                                 const std::string& source) {
  Reader r(source);
  json::value root;
  {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.allow_comments = true;
    opts.allow_trailing_commas = true;
    root = json::parse(utf8_json(text, source), ec, {}, opts);
    if (ec) throw Error(ErrorCode::kConfig, source + ": not valid JSON: " + ec.message());
  }
  const auto& o = r.object(root, "(top level)");
  // The campaign's own keys (campaign_json.h), and the run's.
  r.allow_only(o, "", campaign_json::kCampaignKeys,
               {"agents", "start", "contacts", "simulation", "max_duration_days", "agent_shift",
                "telephony", "inbound", "agent_skills", "blending"});
  CampaignFile f;
  CampaignConfig& c = f.campaign;
  campaign_json::read_campaign(r, o, c);
  read_agents(r, o, f);
  if (auto* v = o.if_contains("max_duration_days")) {
    f.max_duration = seconds_to_duration(r.number_in(*v, "max_duration_days", 0.001, 3650) * 86400);
  }
  f.import.default_region = c.default_region;
  if (auto* v = o.if_contains("contacts")) read_contacts(r, *v, base_dir, f);
  if (auto* v = o.if_contains("telephony")) {
    f.telephony = read_telephony(r, *v, base_dir);
    // With real phones the agents are the phones listed; a different count is a mistake.
    if (f.telephony.backend == TelephonyConfig::Backend::kSip) {
      const int listed = static_cast<int>(f.telephony.agents.size());
      if (o.if_contains("agents") && f.agents != listed) {
        r.fail("agents", std::to_string(f.agents) + " agents, but telephony.agents lists " +
                             std::to_string(listed) +
                             " (leave \"agents\" out with the SIP backend)");
      }
      f.agents = listed;
    }
  }
  if (auto* v = o.if_contains("simulation")) read_simulation(r, *v, base_dir, f);
  read_inbound(r, o, f);
  return f;
}

void apply_inbound(const CampaignFile& file, Engine& engine, const std::vector<AgentId>& agents) {
  for (const auto& queue : file.inbound) engine.add_inbound_queue(queue);
  std::size_t next = 0;
  for (const auto& group : file.agent_skills) {
    for (int i = 0; i < group.agents && next < agents.size(); ++i) {
      engine.set_agent_skills(agents[next++], group.skills);
    }
  }
  engine.set_blending(file.campaign.id, file.blending);
}

CampaignFile load_campaign_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, path + ": cannot open campaign file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string base = std::filesystem::path(path).parent_path().string();
  return parse_campaign_json(buffer.str(), base, path);
}

namespace {

[[noreturn]] void scenario_fail(const std::string& path, const std::string& field,
                                const std::string& why) {
  throw Error(ErrorCode::kConfig, path + ": field '" + field + "': " + why);
}

double scenario_number(const json::value& v, const std::string& path, const std::string& field) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  scenario_fail(path, field, "must be a number");
}

}  // namespace

BenchScenario load_bench_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, path + ": cannot open scenario");
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  json::value root = json::parse(text.str(), ec, {}, opts);
  if (ec) throw Error(ErrorCode::kConfig, path + ": not valid JSON: " + ec.message());
  if (!root.is_object()) scenario_fail(path, "(top level)", "must be an object");
  const auto& o = root.get_object();
  BenchScenario s;
  for (const auto& kv : o) {
    std::string key(kv.key());
    static const char* const kKeys[] = {"name",  "description", "campaign", "seeds",
                                        "hours", "contacts",    "policies", "optimum"};
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      scenario_fail(path, key,
                    "unknown key (expected name, description, campaign, seeds, hours, contacts, "
                    "policies, optimum)");
    }
  }
  std::string base = std::filesystem::path(path).parent_path().string();
  if (auto* v = o.if_contains("name")) s.name = json::value_to<std::string>(*v);
  if (auto* v = o.if_contains("description")) s.description = json::value_to<std::string>(*v);
  if (auto* v = o.if_contains("campaign")) {
    s.file = parse_campaign_json(json::serialize(*v), base, path + " campaign");
  } else {
    scenario_fail(path, "campaign", "is required");
  }
  if (auto* v = o.if_contains("seeds"))
    s.seeds = static_cast<int>(scenario_number(*v, path, "seeds"));
  if (auto* v = o.if_contains("hours")) s.hours = scenario_number(*v, path, "hours");
  if (auto* v = o.if_contains("contacts"))
    s.contacts = static_cast<long>(scenario_number(*v, path, "contacts"));
  if (auto* v = o.if_contains("policies")) {
    if (!v->is_array()) scenario_fail(path, "policies", "must be an array of policy names");
    for (const auto& p : v->get_array()) {
      if (!p.is_string()) scenario_fail(path, "policies", "must be an array of policy names");
      s.policies.emplace_back(p.get_string());
    }
  }
  if (auto* v = o.if_contains("optimum")) {
    // {"p": 0.25, "attempt_mean_s": 20, "handle_mean_s": 120}: the stylised model's parameters.
    if (!v->is_object()) scenario_fail(path, "optimum", "must be an object");
    OptimumModel m;
    const auto& oo = v->get_object();
    if (auto* x = oo.if_contains("p")) m.p_live = scenario_number(*x, path, "optimum.p");
    if (auto* x = oo.if_contains("attempt_mean_s"))
      m.attempt_mean_s = scenario_number(*x, path, "optimum.attempt_mean_s");
    if (auto* x = oo.if_contains("handle_mean_s"))
      m.handle_mean_s = scenario_number(*x, path, "optimum.handle_mean_s");
    m.agents = s.file.agents;
    m.abandon_cap = s.file.campaign.compliance.abandon_cap;
    s.optimum = m;
  }
  if (s.seeds < 1 || s.seeds > 1000) scenario_fail(path, "seeds", "must be between 1 and 1000");
  if (!(s.hours > 0)) scenario_fail(path, "hours", "must be positive");
  if (s.policies.empty()) s.policies = {"progressive", "predictive"};
  if (s.file.contacts_path.empty() && s.contacts <= 0) {
    scenario_fail(path, "contacts",
                  "give a number of synthetic contacts or campaign.contacts.file");
  }
  return s;
}

}  // namespace omnivox
