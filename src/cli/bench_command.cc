#include "cli/bench_command.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/csv_writer.h"
#include "omnivox/audit.h"
#include "omnivox/compliance.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/optimum.h"
#include "omnivox/policies.h"
#include "omnivox/sim.h"

namespace omnivox::cli {
namespace json = boost::json;
namespace {

using Scenario = BenchScenario;

struct RunResult {
  std::string policy;
  std::uint64_t seed = 0;
  double occupancy = 0, abandon_rate = 0, talk_min_per_agent_hour = 0, connects_per_hour = 0;
  // The rate the cap counts at the run's end (the compliance window's; with AMD under a profile
  // that counts false positives, abandons plus its estimate per machine result).
  double counted_abandon_rate = 0;
  double occupancy_after_warm_up = 0;     // when BenchArgs::warm_up_hours applies
  std::vector<double> stretch_occupancy;  // per stretch of the optimum's model (see below)
  long attempts = 0, live_answers = 0, abandons = 0;
  long amd_suspended = 0;  // answers put through unclassified, AMD suspended at the cap
  ComplianceAudit audit;
  // Blended scenarios (inbound queues): the queues' calls together, and each agent group's
  // occupancy (agent_groups() order).
  double inbound_service_level = 0, inbound_abandon_rate = 0, inbound_asa_s = 0;
  long inbound_offered = 0;
  std::vector<double> group_occupancy;
  // Means measured on the run's stored attempts, for the optimum's model fitted to a replay
  // world (measured_model): answered / resolved attempts, launch-to-resolution time (s),
  // handle time (talk + wrap, s) per call bridged.
  double answered_share = 0, attempt_mean_s = 0, handle_mean_s = 0;
};

// A blended scenario's agent groups: the file's agent_skills groups, then the agents left.
struct AgentGroup {
  std::string label;  // "inbound-only", "blended" or "outbound"
  int agents = 0;
};
std::vector<AgentGroup> agent_groups(const CampaignFile& f) {
  std::vector<AgentGroup> groups;
  int left = f.agents;
  auto label = [](const AgentSkills& s) {
    return !s.outbound ? "inbound-only" : s.queues.empty() ? "outbound" : "blended";
  };
  for (const AgentSkillGroup& g : f.agent_skills) {
    const int n = std::min(g.agents, left);
    if (n > 0) groups.push_back({label(g.skills), n});
    left -= n;
  }
  if (left > 0) groups.push_back({label(AgentSkills{}), left});
  return groups;
}

// Student t quantile for a two-sided 95 % interval with n - 1 degrees of freedom.
double t95(int n) {
  static const double kT[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447,
                              2.365, 2.306,  2.262, 2.228, 2.201, 2.179, 2.160,
                              2.145, 2.131,  2.120, 2.110, 2.101, 2.093};
  int df = n - 1;
  if (df < 1) return 0;
  if (df < 20) return kT[df];
  return 1.96 + 2.5 / df;
}

struct Summary {
  double mean = 0, half_width = 0;
};
Summary summarize(const std::vector<double>& xs) {
  Summary s;
  if (xs.empty()) return s;
  for (double x : xs) s.mean += x;
  s.mean /= xs.size();
  if (xs.size() > 1) {
    double var = 0;
    for (double x : xs) var += (x - s.mean) * (x - s.mean);
    var /= (xs.size() - 1);
    s.half_width = t95(static_cast<int>(xs.size())) * std::sqrt(var / xs.size());
  }
  return s;
}

// Agent time handling calls (talk + wrap) and working (not paused), s, so far.
struct WorkedTime {
  double handling = 0, working = 0;
};
WorkedTime worked(const CampaignStatistics& s) {
  const double handling = s.talk_seconds + s.wrap_seconds;
  return {handling, s.occupancy > 0 ? handling / s.occupancy : 0.0};
}

// `stretch_ends_h`: hours into the run (ascending, the last = the run's end) that end the
// stretches whose occupancy is measured apart (the optimum's stretches of constant p_live).
RunResult run_once(const Scenario& sc, const std::string& policy, std::uint64_t seed,
                   const std::optional<ReplayWorld>& replay, double warm_up_hours,
                   const std::vector<double>& stretch_ends_h) {
  CampaignFile f = sc.file;
  f.simulation.seed = seed;
  if (replay) f.simulation.replay = *replay;
  Simulation simulation(f.simulation, f.start);
  Engine& engine = simulation.engine();
  Simulator& sim = simulation.simulator();
  engine.add_campaign(f.campaign);
  if (policy.rfind("oracle", 0) == 0) {
    OracleOptions oo;
    oo.ring_timeout = f.campaign.ring_timeout;
    oo.amd = f.campaign.amd;
    engine.set_pacing_policy(f.campaign.id, make_oracle_policy(&sim, oo));
  } else {
    engine.set_pacing_policy(f.campaign.id, make_bench_policy(policy, &sim));
  }
  if (!f.contacts_path.empty()) {
    engine.import_contacts(f.campaign.id, "main", f.contacts_path, f.import);
  } else {
    for (long i = 0; i < sc.contacts; ++i) {
      Contact c;
      c.external_id = std::to_string(i + 1);
      c.numbers.push_back(PhoneNumber{"+1212" + std::to_string(2000000 + i % 7000000)});
      engine.add_contact(f.campaign.id, std::move(c));
    }
  }
  const std::vector<AgentId> agents = simulation.add_agents(f.campaign.id, f.agents);
  apply_inbound(f, engine, agents);  // a blended scenario's queues, skills and blending rule
  engine.start_campaign(f.campaign.id);
  const bool warm_up = warm_up_hours > 0 && warm_up_hours < sc.hours;
  WorkedTime at_warm_up;
  // Runs to each instant where something is measured: the warm-up's end, the stretches' ends.
  std::vector<double> marks_h = stretch_ends_h;
  if (warm_up) marks_h.push_back(warm_up_hours);
  marks_h.push_back(sc.hours);
  std::sort(marks_h.begin(), marks_h.end());
  marks_h.erase(std::unique(marks_h.begin(), marks_h.end()), marks_h.end());
  RunResult r;
  double now_h = 0;
  WorkedTime stretch_start;
  std::size_t next_stretch = 0;
  for (double mark : marks_h) {
    if (mark > sc.hours) break;
    engine.run_for(seconds_to_duration((mark - now_h) * 3600));
    now_h = mark;
    const WorkedTime at = worked(engine.statistics(f.campaign.id));
    if (warm_up && mark == warm_up_hours) at_warm_up = at;
    if (next_stretch < stretch_ends_h.size() && mark == stretch_ends_h[next_stretch]) {
      const double working = at.working - stretch_start.working;
      r.stretch_occupancy.push_back(working > 0 ? (at.handling - stretch_start.handling) / working
                                                : 0);
      stretch_start = at;
      ++next_stretch;
    }
  }
  CampaignStatistics s = engine.statistics(f.campaign.id);
  if (warm_up) {
    const WorkedTime end = worked(s);
    const double working = end.working - at_warm_up.working;
    r.occupancy_after_warm_up = working > 0 ? (end.handling - at_warm_up.handling) / working : 0;
  }
  r.policy = policy;
  r.seed = seed;
  r.occupancy = s.occupancy;
  r.abandon_rate = s.abandon_rate;
  r.counted_abandon_rate = s.abandon_rate_window;
  double agent_hours = s.logged_in_seconds / 3600.0;
  r.talk_min_per_agent_hour = agent_hours > 0 ? s.talk_seconds / 60.0 / agent_hours : 0;
  r.connects_per_hour = s.connects / sc.hours;
  r.attempts = s.attempts;
  r.live_answers = s.live_answers;
  r.amd_suspended = s.amd_suspended;
  r.abandons = s.abandons;
  if (!f.inbound.empty()) {
    long answered = 0, abandoned = 0, in_time = 0;
    double wait = 0;
    for (const std::string& queue : engine.inbound_queues()) {
      const InboundQueueStatistics q = engine.inbound_statistics(queue);
      r.inbound_offered += q.offered;
      answered += q.answered;
      abandoned += q.abandoned;
      in_time += q.answered_within;
      wait += q.wait_seconds_answered;
    }
    const long ended = answered + abandoned;
    r.inbound_service_level = ended > 0 ? static_cast<double>(in_time) / ended : 0;
    r.inbound_abandon_rate = ended > 0 ? static_cast<double>(abandoned) / ended : 0;
    r.inbound_asa_s = answered > 0 ? wait / answered : 0;
    const AgentStatistics as = engine.agent_statistics(f.campaign.id);
    std::size_t next = 0;
    for (const AgentGroup& g : agent_groups(f)) {
      double handling = 0, ready = 0;
      for (int i = 0; i < g.agents && next < as.agents.size(); ++i, ++next) {
        const AgentActivity& a = as.agents[next].totals;
        handling += a.talk_seconds + a.wrap_seconds;
        ready += a.logged_in_seconds - a.paused_seconds;
      }
      r.group_occupancy.push_back(ready > 0 ? handling / ready : 0);
    }
  }
  // The audit reads the stored attempts: a call still on the line at the horizon is stored when
  // it ends. Its live answer counts for the abandon rate (the governor counted it when it came),
  // so the audit waits until the calls in flight have ended, with no new launches.
  engine.stop_campaign(f.campaign.id);
  engine.run_for(std::chrono::hours(2));
  r.audit = audit_campaign(simulation.storage(), f.campaign, engine.time_zones());
  long resolved = 0, answered = 0;
  double to_resolution_s = 0;
  simulation.storage().scan_attempts(f.campaign.id, [&](const Attempt& a) {
    const bool was_answered = a.answered_at != TimePoint{};
    const TimePoint resolution = was_answered ? a.answered_at : a.ended_at;
    if (resolution == TimePoint{}) return true;
    ++resolved;
    answered += was_answered ? 1 : 0;
    to_resolution_s += to_seconds(resolution - a.created_at);
    return true;
  });
  const CampaignStatistics ended = engine.statistics(f.campaign.id);
  r.answered_share = resolved > 0 ? static_cast<double>(answered) / resolved : 0;
  r.attempt_mean_s = resolved > 0 ? to_resolution_s / resolved : 0;
  r.handle_mean_s =
      ended.connects > 0 ? (ended.talk_seconds + ended.wrap_seconds) / ended.connects : 0;
  return r;
}

// The simulator's talk time of a machine answered without AMD (its greeting; sim.cc).
constexpr double kMachineGreetingS = 20.0;

// The optimum a scenario's policies are measured against (omnivox/optimum.h), per stretch of
// constant parameters: the stylised model a scenario file gives, or the hold-window model fitted
// to a parametric world by its means. Empty stretches: none applies (why_not says why).
struct OptimumStretch {
  double from_h = 0, to_h = 0;
  OptimumModel model;
  OptimumResult result;
  double progressive_occupancy = 0;  // the model's at abandon cap 0 (progressive's)
};
struct ScenarioOptimum {
  std::string model_name;
  std::vector<OptimumStretch> stretches;
  std::string why_not;
  bool applies() const { return !stretches.empty(); }
  // The run's reference: the stretches' optima weighted by their length. Each stretch is held
  // to the cap by itself, so a dialer that moves abandons between stretches (the cap counts
  // over the whole run) could do a little better.
  double occupancy() const {
    double sum = 0, hours = 0;
    for (const OptimumStretch& s : stretches) {
      sum += s.result.occupancy * (s.to_h - s.from_h);
      hours += s.to_h - s.from_h;
    }
    return hours > 0 ? sum / hours : 0;
  }
  std::vector<double> ends_h() const {
    std::vector<double> ends;
    if (stretches.size() > 1) {
      for (const OptimumStretch& s : stretches) ends.push_back(s.to_h);
    }
    return ends;
  }
};

// The hold-window model of a parametric world with p_live `p_live` (docs/pacing.md, "The
// realistic scenarios"): one exponential attempt time with the mean of all outcomes' times, the
// answers an agent takes (without AMD: people and machines) as the live share, one exponential
// handle time with the mean of theirs, the campaign's hold window and cap. With AMD the attempt
// time ends at the answer, the answered share goes into classification for the mean AMD delay,
// the people classified as people and the machines taken for people are the live share (their
// handle times averaged), and each machine result counts the abandons the profile estimates; a
// person classified while every agent is busy waits for the hold window.
OptimumModel parametric_model(const CampaignFile& f, double p_live) {
  const SimulationOptions& so = f.simulation;
  const ParametricWorld& w = so.parametric;
  const double answered = p_live + w.p_machine;
  const double no_answer = std::max(0.0, 1 - answered - w.p_busy - w.p_invalid);
  const double wrap = so.wrap_up.mean();
  OptimumModel m;
  m.agents = f.agents;
  m.p_live = answered;
  m.attempt_mean_s = so.setup_delay.mean() + answered * w.answer_delay.mean() +
                     w.p_busy * w.busy_delay.mean() + w.p_invalid * w.invalid_delay.mean() +
                     no_answer * to_seconds(f.campaign.ring_timeout);
  m.handle_mean_s =
      answered > 0
          ? (p_live * (w.talk.mean() + wrap) + w.p_machine * (kMachineGreetingS + wrap)) / answered
          : 1.0;
  m.abandon_cap = f.campaign.compliance.abandon_cap;
  m.hold_window_s = to_seconds(f.campaign.hold_window);
  if (f.campaign.amd) {
    const double persons = p_live * (1 - so.amd_false_positive);
    const double machines_taken = w.p_machine * so.amd_false_negative;
    const ComplianceProfile& profile = f.campaign.compliance;
    m.amd_mean_s = so.amd_delay.mean();
    m.answered_share = answered;
    m.p_live = persons + machines_taken;
    m.counted_abandons_per_machine = profile.abandons_per_machine();
    if (m.p_live > 0) {
      m.handle_mean_s =
          (persons * (w.talk.mean() + wrap) + machines_taken * (kMachineGreetingS + wrap)) /
          m.p_live;
    }
  }
  return m;
}

// The hold-window model of a replay world, whose contacts each keep their own outcome and talk
// time, fitted to the means one run measured (RunResult): every answer goes to an agent (no
// AMD), so p is the answered share of the resolved attempts; the attempt and handle means are
// the run's; the campaign's hold window and cap. The replay's mix of first calls and retries
// moves through the day, which one stationary model averages over.
OptimumModel measured_model(const CampaignFile& f, const RunResult& fit) {
  OptimumModel m;
  m.agents = f.agents;
  m.p_live = fit.answered_share;
  m.attempt_mean_s = fit.attempt_mean_s;
  m.handle_mean_s = fit.handle_mean_s;
  m.abandon_cap = f.campaign.compliance.abandon_cap;
  m.hold_window_s = to_seconds(f.campaign.hold_window);
  return m;
}

bool is_replay(const CampaignFile& f) { return f.simulation.replay || !f.replay_path.empty(); }

// `replay_fit`: for a replay world, the run whose means the model is fitted to (measured_model);
// without it a replay gets no optimum.
ScenarioOptimum scenario_optimum(const Scenario& sc, const RunResult* replay_fit) {
  ScenarioOptimum out;
  const CampaignFile& f = sc.file;
  std::vector<OptimumStretch> stretches;
  if (sc.optimum) {
    out.model_name = "stylised model";
    stretches.push_back({0, sc.hours, *sc.optimum, {}});
  } else if (!f.inbound.empty()) {
    out.why_not = "inbound queues share the agents";
  } else if (f.campaign.amd && is_replay(f)) {
    out.why_not = "a replay world with AMD is not fitted (its classifications are not measured)";
  } else if (is_replay(f) && !replay_fit) {
    out.why_not = "a replay world is fitted to a progressive run, and none was made";
  } else if (is_replay(f)) {
    out.model_name = "hold-window model fitted to a progressive run's means";
    stretches.push_back({0, sc.hours, measured_model(f, *replay_fit), {}});
  } else {
    const bool held = f.campaign.hold_window > Duration(0);
    out.model_name = !f.campaign.amd ? "hold-window model fitted by means"
                     : held          ? "AMD and hold-window model fitted by means"
                                     : "AMD model fitted by means";
    const ParametricWorld& w = f.simulation.parametric;
    double p = w.p_live, from = 0;
    for (const auto& change : w.p_live_changes) {
      const double at_h = to_seconds(change.first - f.start) / 3600;
      if (at_h >= sc.hours) break;
      if (at_h > from) stretches.push_back({from, at_h, parametric_model(f, p), {}});
      from = std::max(from, at_h);
      p = change.second;
    }
    stretches.push_back({from, sc.hours, parametric_model(f, p), {}});
  }
  for (OptimumStretch& s : stretches) {
    s.model.tolerance = 1e-6;  // figures to 4 decimals
    try {
      s.result = solve_optimum(s.model);
      OptimumModel progressive = s.model;
      progressive.abandon_cap = 0;
      s.progressive_occupancy = solve_optimum(progressive).occupancy;
    } catch (const Error& e) {
      if (sc.optimum) throw;
      out.why_not = e.what();
      return out;
    }
  }
  out.stretches = std::move(stretches);
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

double param(const std::string& spec, const std::string& key, double fallback) {
  auto colon = spec.find(':');
  if (colon == std::string::npos) return fallback;
  std::stringstream ss(spec.substr(colon + 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto eq = item.find('=');
    std::string k = eq == std::string::npos ? std::string() : item.substr(0, eq);
    std::string v = eq == std::string::npos ? item : item.substr(eq + 1);
    if (k == key || (k.empty() && key.empty())) {
      try {
        return std::stod(v);
      } catch (const std::exception&) {
        throw Error(ErrorCode::kConfig, "policy '" + spec + "': '" + v + "' is not a number");
      }
    }
  }
  return fallback;
}

}  // namespace

namespace {

std::unique_ptr<TunablePolicy> make_tunable(const std::string& spec) {
  std::string name = spec.substr(0, spec.find(':'));
  if (name == "threshold") {
    ThresholdOptions o;
    o.k = param(spec, "k", o.k);
    o.c = param(spec, "c", o.c);
    o.min_free = static_cast<int>(param(spec, "s", o.min_free));
    return make_threshold_policy(o);
  }
  if (name == "power") return make_tunable_power_policy(param(spec, "", param(spec, "lines", 2.0)));
  if (name == "expected_availability") {
    ExpectedAvailabilityOptions o;
    o.look_ahead_s = param(spec, "w", o.look_ahead_s);
    return make_expected_availability_policy(o);
  }
  if (name == "vicidial") {
    VicidialOptions o;
    std::string method = spec.find("tapered") != std::string::npos   ? "tapered"
                         : spec.find("average") != std::string::npos ? "average"
                                                                     : "hard_limit";
    o.method = method == "tapered"   ? VicidialDropMethod::kTapered
               : method == "average" ? VicidialDropMethod::kAverage
                                     : VicidialDropMethod::kHardLimit;
    o.max_level = param(spec, "max", o.max_level);
    return make_vicidial_policy(o);
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<PacingPolicy> make_bench_policy(const std::string& spec, void* oracle_world) {
  std::string name = spec.substr(0, spec.find(':'));
  if (name == "progressive") return make_progressive_policy();
  if (name == "predictive") {
    PredictiveOptions o;
    o.target_share_of_cap = param(spec, "share", o.target_share_of_cap);
    o.warm_up_attempts = static_cast<long>(param(spec, "warmup", o.warm_up_attempts));
    o.adjust_every_live_answers =
        static_cast<long>(param(spec, "adjust", o.adjust_every_live_answers));
    o.credible_z = param(spec, "z", o.credible_z);
    o.plan_within_governor_risk = param(spec, "governor_risk", o.plan_within_governor_risk);
    o.known_p_live = param(spec, "p", o.known_p_live);
    o.known_attempt_mean_s = param(spec, "attempt", o.known_attempt_mean_s);
    o.known_handle_mean_s = param(spec, "handle", o.known_handle_mean_s);
    return make_predictive_policy(o);
  }
  if (name == "open_loop") {
    OpenLoopOptions o;
    o.rate_per_s = param(spec, "rate", o.rate_per_s);
    return make_open_loop_policy(o);
  }
  if (name == "oracle") {
    // Without a simulator (validating names) any non-null pointer check would fail: defer.
    if (oracle_world == nullptr) return make_progressive_policy();
    return make_oracle_policy(static_cast<Simulator*>(oracle_world));
  }
  if (name == "pi") {
    std::string inner = spec.size() > 3 ? spec.substr(3) : "threshold";
    auto tunable = make_tunable(inner);
    if (!tunable)
      throw Error(ErrorCode::kConfig, "policy '" + spec + "': pi needs a tunable inner policy");
    return make_pi_policy(std::move(tunable));
  }
  if (auto tunable = make_tunable(spec)) return tunable;
  throw Error(ErrorCode::kConfig,
              "unknown policy '" + spec +
                  "' (progressive, power:K, threshold:k=K,c=C[,s=S], expected_availability[:w=S], "
                  "vicidial[:hard_limit|average|tapered], pi:INNER, open_loop:rate=R, oracle, "
                  "predictive[:share=S,warmup=N,adjust=N,z=Z,p=P,attempt=A,handle=H])");
}

int bench_command(const BenchArgs& args) {
  Scenario sc = load_bench_scenario(args.scenario_path);
  if (args.seeds > 0) sc.seeds = args.seeds;
  if (args.hours > 0) sc.hours = args.hours;
  if (args.cap > 0) {
    sc.file.campaign.compliance.abandon_cap = args.cap;
    if (sc.optimum) sc.optimum->abandon_cap = args.cap;
  }
  if (!args.policies.empty()) sc.policies = args.policies;
  for (const auto& p : sc.policies) make_bench_policy(p, nullptr);  // fail early on a bad name
  std::optional<ReplayWorld> replay;
  if (sc.file.simulation.replay) replay = ReplayWorld::load_bank_csv(sc.file.replay_path);
  if (replay) {
    ReplayWorld shares = *sc.file.simulation.replay;
    shares.records = std::move(replay->records);
    replay = std::move(shares);
  }
  // A replay world's model is fitted to the means of a progressive run (seed 1, the scenario's
  // horizon): the contacts' own outcomes and talk times have no closed-form means. Its one
  // stretch has no end to measure apart, so the run is the one progressive's seed 1 makes below.
  std::optional<RunResult> replay_fit;
  if (is_replay(sc.file) && sc.file.inbound.empty() && !sc.file.campaign.amd) {
    replay_fit = run_once(sc, "progressive", 1, replay, args.warm_up_hours, {});
  }
  const ScenarioOptimum reference = scenario_optimum(sc, replay_fit ? &*replay_fit : nullptr);
  std::optional<double> optimum;
  if (reference.applies()) optimum = reference.occupancy();
  const std::vector<double> stretch_ends = reference.ends_h();

  std::printf("bench-pacing %s: %d agents, %d seeds x %.1f h%s\n", sc.name.c_str(), sc.file.agents,
              sc.seeds, sc.hours, sc.description.empty() ? "" : (" — " + sc.description).c_str());
  const double cap = sc.file.campaign.compliance.abandon_cap;
  if (reference.stretches.size() == 1) {
    const OptimumResult& r = reference.stretches[0].result;
    std::printf("optimum (%s, cap %.1f%%): occupancy %.4f, %.1f connects/h\n",
                reference.model_name.c_str(), 100 * cap, r.occupancy, r.connects_per_hour);
  } else if (reference.applies()) {
    std::printf("optimum (%s, cap %.1f%% in each stretch): occupancy %.4f over the run\n",
                reference.model_name.c_str(), 100 * cap, *optimum);
  } else {
    std::printf("optimum: not reported (%s)\n", reference.why_not.c_str());
  }
  if (!sc.optimum) {
    for (const OptimumStretch& st : reference.stretches) {
      const OptimumModel& m = st.model;
      std::string amd;
      if (m.amd_mean_s > 0) {
        amd = ", answered " + fixed(m.answered_share, 3) + ", AMD " + fixed(m.amd_mean_s, 1) +
              " s, " + fixed(m.counted_abandons_per_machine, 3) + " abandons per machine";
      }
      std::printf(
          "  %.1f-%.1f h: p %.3f, attempt %.1f s, handle %.1f s, hold window %.1f s%s: occupancy "
          "%.4f, %.1f connects/h (progressive %.4f)\n",
          st.from_h, st.to_h, m.p_live, m.attempt_mean_s, m.handle_mean_s, m.hold_window_s,
          amd.c_str(), st.result.occupancy, st.result.connects_per_hour, st.progressive_occupancy);
    }
  }
  const bool warm_up = args.warm_up_hours > 0 && args.warm_up_hours < sc.hours;
  std::printf("%-22s %17s %22s %12s %12s %9s%s\n", "policy", "occupancy", "abandon rate (95% CI)",
              "talk min/h", "connects/h", "of optimum",
              warm_up ? "  after warm-up (of optimum)" : "");
  // Blended scenarios also report their inbound queues and each agent group's occupancy.
  const bool blended = !sc.file.inbound.empty();
  // AMD under a profile that counts its false positives: the rate the cap counts is printed too
  // (the table's is abandons proper).
  const bool counts_machines =
      sc.file.campaign.amd && sc.file.campaign.compliance.count_amd_false_positives;
  const std::vector<AgentGroup> groups =
      blended ? agent_groups(sc.file) : std::vector<AgentGroup>{};
  std::vector<RunResult> runs;
  json::array policies_json;
  long total_violations = 0;
  for (const auto& policy : sc.policies) {
    std::vector<double> occ, steady, ab, counted, talk, con, in_sl, in_ab, in_asa, suspended;
    std::vector<std::vector<double>> group_occ(groups.size());
    long violations = 0;
    double worst_rate = 0;
    for (int k = 0; k < sc.seeds; ++k) {
      const bool is_fit_run = replay_fit && policy == "progressive" && k == 0;
      RunResult r = is_fit_run ? *replay_fit
                               : run_once(sc, policy, static_cast<std::uint64_t>(k) + 1, replay,
                                          args.warm_up_hours, stretch_ends);
      occ.push_back(r.occupancy);
      steady.push_back(r.occupancy_after_warm_up);
      ab.push_back(r.abandon_rate);
      counted.push_back(r.counted_abandon_rate);
      suspended.push_back(static_cast<double>(r.amd_suspended));
      talk.push_back(r.talk_min_per_agent_hour);
      con.push_back(r.connects_per_hour);
      in_sl.push_back(r.inbound_service_level);
      in_ab.push_back(r.inbound_abandon_rate);
      in_asa.push_back(r.inbound_asa_s);
      for (std::size_t g = 0; g < groups.size() && g < r.group_occupancy.size(); ++g) {
        group_occ[g].push_back(r.group_occupancy[g]);
      }
      violations += r.audit.clean() ? 0 : 1;
      worst_rate = std::max(worst_rate, r.audit.max_window_rate);
      for (const auto& e : r.audit.examples) {
        std::fprintf(stderr, "compliance: %s seed %llu: %s\n", policy.c_str(),
                     static_cast<unsigned long long>(r.seed), e.c_str());
      }
      runs.push_back(r);
    }
    Summary o = summarize(occ), a = summarize(ab), t = summarize(talk), c = summarize(con);
    char gap[32] = "-";
    if (optimum) std::snprintf(gap, sizeof gap, "%.1f%%", 100 * o.mean / *optimum);
    const Summary w = summarize(steady);
    char after[48] = "";
    if (warm_up) {
      std::snprintf(after, sizeof after, "  %.4f ± %.4f", w.mean, w.half_width);
      if (optimum) {
        std::snprintf(after + std::strlen(after), sizeof after - std::strlen(after), " %5.1f%%",
                      100 * w.mean / *optimum);
      }
    }
    std::printf("%-22s %8.4f ± %.4f %7.3f%% [%5.3f, %5.3f]%% %12.2f %12.1f %9s%s\n", policy.c_str(),
                o.mean, o.half_width, 100 * a.mean, 100 * std::max(0.0, a.mean - a.half_width),
                100 * (a.mean + a.half_width), t.mean, c.mean, gap, after);
    json::object pj{{"policy", policy},
                    {"occupancy", o.mean},
                    {"occupancy_ci95", o.half_width},
                    {"abandon_rate", a.mean},
                    {"abandon_rate_ci95", a.half_width},
                    {"talk_minutes_per_agent_hour", t.mean},
                    {"connects_per_hour", c.mean}};
    if (optimum) pj["fraction_of_optimum"] = o.mean / *optimum;
    if (warm_up) {
      pj["occupancy_after_warm_up"] = w.mean;
      pj["occupancy_after_warm_up_ci95"] = w.half_width;
      if (optimum) pj["fraction_of_optimum_after_warm_up"] = w.mean / *optimum;
    }
    if (!stretch_ends.empty()) {
      // Each stretch's occupancy against its own optimum.
      std::string line = "  per stretch:";
      json::array stretches_json;
      for (std::size_t i = 0; i < reference.stretches.size(); ++i) {
        std::vector<double> xs;
        for (const RunResult& r : runs) {
          if (r.policy == policy && i < r.stretch_occupancy.size())
            xs.push_back(r.stretch_occupancy[i]);
        }
        const OptimumStretch& st = reference.stretches[i];
        const Summary so = summarize(xs);
        line += (i ? ", " : " ") + fixed(st.from_h, 1) + "-" + fixed(st.to_h, 1) + " h " +
                fixed(so.mean, 4) + " ± " + fixed(so.half_width, 4) + " (" +
                fixed(100 * so.mean / st.result.occupancy, 1) + "%)";
        stretches_json.push_back(
            json::object{{"from_h", st.from_h},
                         {"to_h", st.to_h},
                         {"occupancy", so.mean},
                         {"occupancy_ci95", so.half_width},
                         {"optimum", st.result.occupancy},
                         {"fraction_of_optimum", so.mean / st.result.occupancy}});
      }
      std::printf("%s\n", line.c_str());
      pj["stretches"] = std::move(stretches_json);
    }
    if (blended) {
      const Summary sl = summarize(in_sl), iab = summarize(in_ab), asa = summarize(in_asa);
      std::string line = "  inbound: service level " + fixed(sl.mean, 4) + " ± " +
                         fixed(sl.half_width, 4) + ", abandon rate " + fixed(100 * iab.mean, 3) +
                         " ± " + fixed(100 * iab.half_width, 3) + "%, ASA " + fixed(asa.mean, 1) +
                         " s; occupancy";
      json::array groups_json;
      for (std::size_t g = 0; g < groups.size(); ++g) {
        const Summary go = summarize(group_occ[g]);
        line += (g ? ", " : " ") + groups[g].label + " (" + std::to_string(groups[g].agents) +
                ") " + fixed(go.mean, 4);
        groups_json.push_back(json::object{{"group", groups[g].label},
                                           {"agents", groups[g].agents},
                                           {"occupancy", go.mean},
                                           {"occupancy_ci95", go.half_width}});
      }
      std::printf("%s\n", line.c_str());
      pj["inbound_service_level"] = sl.mean;
      pj["inbound_service_level_ci95"] = sl.half_width;
      pj["inbound_abandon_rate"] = iab.mean;
      pj["inbound_abandon_rate_ci95"] = iab.half_width;
      pj["inbound_asa_s"] = asa.mean;
      pj["occupancy_by_group"] = std::move(groups_json);
    }
    if (counts_machines) {
      const Summary k = summarize(counted);
      std::printf(
          "  abandon rate as the cap counts it (with AMD false positives): %.3f%% ± %.3f%%\n",
          100 * k.mean, 100 * k.half_width);
      pj["counted_abandon_rate"] = k.mean;
      pj["counted_abandon_rate_ci95"] = k.half_width;
    }
    if (sc.file.campaign.amd) {
      const Summary su = summarize(suspended);
      std::printf("  AMD suspended at the cap: %.1f ± %.1f answers a run\n", su.mean,
                  su.half_width);
      pj["amd_suspended"] = su.mean;
      pj["amd_suspended_ci95"] = su.half_width;
    }
    pj["runs_with_compliance_violations"] = violations;
    pj["max_rolling_abandon_rate"] = worst_rate;
    total_violations += violations;
    policies_json.push_back(pj);
  }
  std::filesystem::create_directories(args.out_dir);
  std::ofstream csv(args.out_dir + "/runs.csv");
  CsvWriter runs_csv(csv);
  runs_csv.row("scenario", "policy", "seed", "occupancy", "abandon_rate", "talk_min_per_agent_hour",
               "connects_per_hour", "attempts", "live_answers", "abandons",
               "occupancy_after_warm_up");
  for (const auto& r : runs) {
    runs_csv.row(sc.name, r.policy, r.seed, r.occupancy, r.abandon_rate, r.talk_min_per_agent_hour,
                 r.connects_per_hour, r.attempts, r.live_answers, r.abandons,
                 r.occupancy_after_warm_up);
  }
  json::object out{{"scenario", sc.name},
                   {"agents", sc.file.agents},
                   {"seeds", sc.seeds},
                   {"hours", sc.hours},
                   {"warm_up_hours", warm_up ? args.warm_up_hours : 0.0},
                   {"abandon_cap", sc.file.campaign.compliance.abandon_cap},
                   {"compliance_profile", sc.file.campaign.compliance.name},
                   {"runs_with_compliance_violations", total_violations},
                   {"policies", policies_json}};
  if (optimum) {
    json::object oj{{"model", reference.model_name}, {"occupancy", *optimum}};
    if (reference.stretches.size() == 1) {
      const OptimumResult& r = reference.stretches[0].result;
      oj["abandon_rate"] = r.abandon_rate;
      oj["connects_per_hour"] = r.connects_per_hour;
    }
    if (!sc.optimum) {
      json::array st;
      for (const OptimumStretch& x : reference.stretches) {
        st.push_back(
            json::object{{"from_h", x.from_h},
                         {"to_h", x.to_h},
                         {"p", x.model.p_live},
                         {"attempt_mean_s", x.model.attempt_mean_s},
                         {"handle_mean_s", x.model.handle_mean_s},
                         {"hold_window_s", x.model.hold_window_s},
                         {"amd_mean_s", x.model.amd_mean_s},
                         {"answered_share", x.model.answered_share},
                         {"counted_abandons_per_machine", x.model.counted_abandons_per_machine},
                         {"progressive_occupancy", x.progressive_occupancy},
                         {"occupancy", x.result.occupancy},
                         {"abandon_rate", x.result.abandon_rate},
                         {"connects_per_hour", x.result.connects_per_hour}});
      }
      oj["stretches"] = std::move(st);
    }
    out["optimum"] = std::move(oj);
  } else {
    out["optimum_not_reported"] = reference.why_not;
  }
  std::ofstream js(args.out_dir + "/summary.json");
  js << json::serialize(out) << '\n';
  if (!csv || !js) throw Error(ErrorCode::kIo, args.out_dir + ": writing the results failed");
  std::printf("compliance audit: %s\n",
              total_violations == 0 ? "no call broke a window, holiday, ring minimum, repeat "
                                      "rule or the abandon cap"
                                    : "VIOLATIONS (see above)");
  std::printf("wrote %s/{runs.csv,summary.json}\n", args.out_dir.c_str());
  return total_violations == 0 ? 0 : 1;
}

}  // namespace omnivox::cli
