// Blended contact centres against published results (docs/blending.md).
//
//   omnivox_blend_bench threshold [--seeds N] [--hours H]
//     The threshold rule of Bhulai & Koole (2003) as the reserve varies, simulated through the
//     engine, next to the exact birth-death model (omnivox/blending.h): inbound mean wait and
//     service level against outbound work per hour.
//   omnivox_blend_bench contactcenters [--days N] [--check]
//     The "Blend" example of the ContactCenters library (Buist & L'Ecuyer; inputs from
//     Deslauriers, L'Ecuyer, Pichitlamken, Ingolfsson & Avramidis 2007, periods 15-17), with the
//     dialler rule of kDialxfree, next to the example's published per-day figures. --check exits
//     1 when a figure with a published confidence interval is outside the two runs' joint 99.9 %
//     interval.
//   omnivox_blend_bench speed [--reps N] [--only outbound|blended]
//     Simulated calls (outbound attempts and inbound calls) per second of the run's CPU time, an
//     8-hour day of 200 agents, outbound only and blended, alternately, best of N (default 3).
//
// Prints Markdown tables.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "omnivox/blending.h"
#include "omnivox/engine.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

struct Sample {
  std::vector<double> x;
  void add(double v) { x.push_back(v); }
  double mean() const {
    double s = 0;
    for (double v : x) s += v;
    return x.empty() ? 0 : s / x.size();
  }
  double sd() const {
    const double m = mean();
    double s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return x.size() < 2 ? 0 : std::sqrt(s / (x.size() - 1));
  }
  // Half width of the 95 % interval of the mean (normal quantile; the runs have >= 10 samples).
  double half_width() const { return x.size() < 2 ? 0 : 1.96 * sd() / std::sqrt(x.size()); }
};

void add_contacts(Engine& engine, const std::string& campaign, int count) {
  for (int i = 0; i < count; ++i) {
    Contact contact;
    contact.numbers.push_back(PhoneNumber{"+1212555" + std::to_string(1000000 + i).substr(1)});
    engine.add_contact(campaign, std::move(contact));
  }
}

CampaignConfig open_campaign(const std::string& id, Duration hold_window) {
  CampaignConfig c;
  c.id = id;
  c.compliance = ComplianceProfile::none();
  c.compliance.hold_window = hold_window;
  c.hold_window = hold_window;
  c.call_window = CallWindow::always();
  c.max_attempts = 1;
  return c;
}

// ---- Bhulai & Koole's threshold rule against its birth-death chain ----
int threshold_sweep(int seeds, double hours) {
  const int s = 8;
  const double mean_s = 120, per_hour = 150, warm_h = 1;
  const TimePoint start = parse_utc("2026-05-04T08:00:00Z");
  std::printf(
      "Threshold rule, %d agents, inbound %.0f calls/h, every service exponential with mean "
      "%.0f s, outbound calls answered at once; %d seeds x %.0f h after a %.0f h warm-up "
      "(95 %% intervals).\n\n",
      s, per_hour, mean_s, seeds, hours, warm_h);
  std::printf(
      "| reserve t | mean wait, s (sim) | exact | service level 20 s (sim) | exact | "
      "outbound per hour (sim) | exact |\n|---|---|---|---|---|---|---|\n");
  for (int t = 0; t <= s; ++t) {
    Sample wait, sl, out;
    for (int seed = 1; seed <= seeds; ++seed) {
      SimulationOptions so;
      so.seed = static_cast<std::uint64_t>(seed);
      so.parametric.p_live = 1;
      so.parametric.p_machine = so.parametric.p_busy = so.parametric.p_invalid = 0;
      so.parametric.answer_delay = Distribution::fixed(0);
      so.parametric.talk = Distribution::exponential(mean_s);
      so.setup_delay = Distribution::fixed(0);
      so.wrap_up = Distribution::fixed(0);
      InboundArrivals in;
      in.number = "+15550100001";
      in.periods = {{seconds_to_duration((warm_h + hours) * 3600), per_hour}};
      in.service = Distribution::exponential(mean_s);
      in.patience = Distribution::fixed(1e7);
      so.inbound.push_back(in);
      Simulation sim(so, start);
      Engine& e = sim.engine();
      e.add_campaign(open_campaign("out", std::chrono::seconds(2)));
      add_contacts(e, "out", static_cast<int>((warm_h + hours) * 3600 * s / mean_s) + 100);
      e.add_inbound_queue({"sales", {"+15550100001"}, 0, std::chrono::seconds(20), 0.8});
      BlendingConfig b;
      b.rule = BlendingRule::kThreshold;
      b.reserve = t;
      e.set_blending("out", b);
      for (AgentId a : sim.add_agents("out", s)) e.set_agent_skills(a, {{{"sales", 0}}, true});
      e.start_campaign("out");
      e.run_for(seconds_to_duration(warm_h * 3600));
      const InboundQueueStatistics i0 = e.inbound_statistics("sales");
      const long c0 = e.statistics("out").connects;
      e.run_for(seconds_to_duration(hours * 3600));
      const InboundQueueStatistics i1 = e.inbound_statistics("sales");
      const long answered = i1.answered - i0.answered;
      wait.add((i1.wait_seconds_answered - i0.wait_seconds_answered) / answered);
      sl.add(static_cast<double>(i1.answered_within - i0.answered_within) / answered);
      out.add((e.statistics("out").connects - c0) / hours);
    }
    const ThresholdBlendResult exact =
        solve_threshold_blend({s, t, per_hour / 3600.0, mean_s, std::chrono::seconds(20)});
    std::printf("| %d | %.2f ± %.2f | %.2f | %.3f ± %.3f | %.3f | %.1f ± %.1f | %.1f |\n", t,
                wait.mean(), wait.half_width(), exact.mean_wait_s, sl.mean(), sl.half_width(),
                exact.service_level, out.mean(), out.half_width(), exact.outbound_per_s * 3600);
  }
  return 0;
}

// ---- The ContactCenters "Blend" example ----
// Per agent group: time busy and time staffed over the opening hours (08:00-14:00).
struct GroupTime : EventListener {
  TimePoint from, to;
  std::vector<int> group;  // by agent id: 0 inbound only, 1 blend
  std::vector<AgentState> state;
  std::vector<TimePoint> since;
  double busy[2] = {}, staffed[2] = {};
  unsigned interests() const override { return kAgentStates; }
  void account(AgentId a, TimePoint t) {
    const TimePoint lo = std::max(since[a], from), hi = std::min(t, to);
    if (hi > lo) {
      const double d = to_seconds(hi - lo);
      const AgentState st = state[a];
      if (st != AgentState::kLoggedOut) staffed[group[a]] += d;
      if (st == AgentState::kReserved || st == AgentState::kOnCall || st == AgentState::kWrapUp) {
        busy[group[a]] += d;
      }
    }
    since[a] = t;
  }
  void on_agent_state(const AgentStateChange& c) override {
    account(c.agent, c.at);
    state[c.agent] = c.to;
  }
};

struct Published {
  const char* name;
  double mean, lo, hi;  // lo = hi = 0: no interval published
};

int contactcenters(int days, bool check) {
  // Blend.java's inputs: rates per half hour (x2 per hour), gamma services (shape 0.755, scale
  // 753.8 s), exponential patience 500 s, balking 0.005, outbound service 440.2 s, patience 5 s,
  // right-party connects 0.29 after 11:00, 23/23/21 inbound-only and 16/18/16 blend agents.
  const double shape = 0.755, scale = 753.8;
  const TimePoint day = parse_utc("2026-05-04T08:00:00Z");
  Sample in_arrived, in_served, in_abandoned, sl, in_wait_min, out_tried, out_reached, out_served,
      out_abandoned, occ_in, occ_blend, occ_all;
  for (int d = 1; d <= days; ++d) {
    SimulationOptions so;
    so.seed = static_cast<std::uint64_t>(d);
    so.parametric.p_live = 0.29;
    so.parametric.p_busy = 0.71;  // a call that reaches nobody ends at once
    so.parametric.p_machine = so.parametric.p_invalid = 0;
    so.parametric.busy_delay = Distribution::fixed(0);
    so.parametric.answer_delay = Distribution::fixed(0);
    so.parametric.talk = Distribution::exponential(440.2);
    so.setup_delay = Distribution::fixed(0);
    so.wrap_up = Distribution::fixed(0);
    InboundArrivals in;
    in.number = "+15550100001";
    in.start = day;
    in.periods = {{std::chrono::hours(2), 68.45 * 2},
                  {std::chrono::hours(2), 72.93 * 2},
                  {std::chrono::hours(2), 71.92 * 2}};
    in.busyness_shape = 29.7;
    in.service = Distribution::gamma(shape * scale, std::sqrt(shape) * scale);
    in.patience = Distribution::exponential(500);
    in.balk_probability = 0.005;
    so.inbound.push_back(in);
    GroupTime groups;
    groups.from = day;
    groups.to = day + std::chrono::hours(6);
    Simulation sim(so, day, Simulation::quiet_engine_options(), Simulation::quiet_storage_options(),
                   &groups);
    Engine& e = sim.engine();
    e.add_campaign(open_campaign("blend", std::chrono::seconds(5)));
    add_contacts(e, "blend", 4000);
    e.add_inbound_queue({"inbound", {"+15550100001"}, 0, std::chrono::seconds(20), 0.8});
    BlendingConfig rule;
    rule.rule = BlendingRule::kDialxfree;
    rule.min_free_all = 4;
    rule.min_free_outbound = 1;
    rule.kappa = 2;
    rule.c = 0;
    e.set_blending("blend", rule);
    std::vector<AgentId> inbound_only, blend;
    for (int i = 0; i < 23; ++i) inbound_only.push_back(e.add_agent("blend", "in"));
    for (int i = 0; i < 18; ++i) blend.push_back(e.add_agent("blend", "blend"));
    groups.group.assign(41, 0);
    groups.state.assign(41, AgentState::kLoggedOut);
    groups.since.assign(41, day);
    for (AgentId a : blend) groups.group[a] = 1;
    // Inbound calls go to inbound-only agents first; blend agents serve outbound first.
    for (AgentId a : inbound_only) e.set_agent_skills(a, {{{"inbound", 1}}, false});
    for (AgentId a : blend) e.set_agent_skills(a, {{{"inbound", 0}}, true});
    for (AgentId a : inbound_only) e.set_agent_state(a, AgentState::kAvailable);
    for (int i = 0; i < 16; ++i) e.set_agent_state(blend[i], AgentState::kAvailable);
    e.run_for(std::chrono::hours(2));  // 10:00
    e.set_agent_state(blend[16], AgentState::kAvailable);
    e.set_agent_state(blend[17], AgentState::kAvailable);
    e.run_for(std::chrono::hours(1));  // 11:00: the dialler starts
    e.start_campaign("blend");
    e.run_for(std::chrono::hours(1));  // 12:00
    e.set_agent_state(blend[16], AgentState::kLoggedOut);
    e.set_agent_state(blend[17], AgentState::kLoggedOut);
    e.set_agent_state(inbound_only[21], AgentState::kLoggedOut);
    e.set_agent_state(inbound_only[22], AgentState::kLoggedOut);
    e.run_for(std::chrono::minutes(115));  // 13:55: the dialler stops
    e.stop_campaign("blend");
    e.run_for(std::chrono::minutes(5) + std::chrono::hours(4));  // every call ends
    for (AgentId a = 0; a < 41; ++a) groups.account(a, groups.to);

    const InboundQueueStatistics q = e.inbound_statistics("inbound");
    const CampaignStatistics out = e.statistics("blend");
    in_arrived.add(q.offered);
    in_served.add(q.answered);
    in_abandoned.add(q.abandoned);
    // ContactCenters' service level: calls that waited less than 20 s, served or abandoned.
    sl.add(100.0 * (q.answered_within + q.abandoned_within) / q.offered);
    in_wait_min.add((q.wait_seconds_answered + q.wait_seconds_abandoned) / q.offered / 60.0);
    out_tried.add(out.attempts);
    out_reached.add(out.live_answers);
    out_served.add(out.connects);
    out_abandoned.add(out.abandons);
    occ_in.add(100.0 * groups.busy[0] / groups.staffed[0]);
    occ_blend.add(100.0 * groups.busy[1] / groups.staffed[1]);
    occ_all.add(100.0 * (groups.busy[0] + groups.busy[1]) /
                (groups.staffed[0] + groups.staffed[1]));
  }
  // Blend.res, 1,000 days.
  const std::vector<std::pair<Published, const Sample*>> rows = {
      {{"inbound calls arrived", 848.592, 838.899, 858.285}, &in_arrived},
      {{"inbound calls served", 843.477, 834.193, 852.761}, &in_served},
      {{"inbound calls abandoned", 5.115, 4.495, 5.735}, &in_abandoned},
      {{"service level (waited < 20 s), %", 95.354, 0, 0}, &sl},
      {{"inbound mean wait, min", 0.049, 0.043, 0.055}, &in_wait_min},
      {{"outbound calls tried", 1109.04, 0, 0}, &out_tried},
      {{"outbound right-party connects", 321.896, 317.279, 326.513}, &out_reached},
      {{"outbound calls served", 298.876, 294.637, 303.115}, &out_served},
      {{"outbound calls abandoned (mismatches)", 23.020, 22.548, 23.492}, &out_abandoned},
      {{"occupancy, inbound-only agents, %", 81.596, 81.135, 82.058}, &occ_in},
      {{"occupancy, blend agents, %", 55.665, 55.237, 56.092}, &occ_blend},
      {{"occupancy, all agents, %", 70.514, 70.091, 70.936}, &occ_all},
  };
  std::printf(
      "ContactCenters Blend example, per day: Omnivox over %d simulated days (95 %% "
      "intervals) against the published 1,000 days.\n\n",
      days);
  std::printf("| figure | Omnivox | published | agree |\n|---|---|---|---|\n");
  int outside = 0;
  for (const auto& [p, sample] : rows) {
    std::string agree = "—";
    if (p.hi > p.lo) {
      // Joint 99.9 % interval of the difference of the two means.
      const double se_pub = (p.hi - p.lo) / 2 / 1.96, se_ours = sample->half_width() / 1.96;
      const bool ok = std::fabs(sample->mean() - p.mean) <=
                      3.29 * std::sqrt(se_pub * se_pub + se_ours * se_ours);
      agree = ok ? "yes" : "NO";
      outside += !ok;
    }
    char published[96];
    if (p.hi > p.lo) {
      std::snprintf(published, sizeof published, "%.3f (%.3f, %.3f)", p.mean, p.lo, p.hi);
    } else {
      std::snprintf(published, sizeof published, "%.3f", p.mean);
    }
    std::printf("| %s | %.3f ± %.3f | %s | %s |\n", p.name, sample->mean(), sample->half_width(),
                published, agree.c_str());
  }
  return check && outside > 0 ? 1 : 0;
}

// ---- Speed: simulated calls per second of CPU time, with and without inbound ----

// The CPU time this thread has used, in seconds: unlike wall time, not lengthened by other
// processes on a shared machine.
double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// One 8-hour day of 200 agents with POWER 2 pacing, outbound only or blended; returns the calls
// simulated (outbound attempts plus inbound calls) and the CPU seconds of the run (run_for only).
std::pair<long, double> speed_run(bool blended) {
  const TimePoint start = parse_utc("2026-05-04T08:00:00Z");
  SimulationOptions so;
  so.seed = 1;
  so.parametric.talk = Distribution::exponential(120);
  so.wrap_up = Distribution::fixed(5);
  if (blended) {
    InboundArrivals in;
    in.number = "+15550100001";
    in.periods = {{std::chrono::hours(8), 3000}};
    in.service = Distribution::exponential(120);
    in.patience = Distribution::exponential(120);
    so.inbound.push_back(in);
  }
  Simulation sim(so, start);
  Engine& e = sim.engine();
  CampaignConfig c = open_campaign("out", std::chrono::seconds(2));
  c.dial_mode = DialMode::kPower;
  c.power_lines_per_agent = 2;
  e.add_campaign(c);
  add_contacts(e, "out", 200000);
  std::vector<AgentId> agents = sim.add_agents("out", 200);
  if (blended) {
    e.add_inbound_queue({"sales", {"+15550100001"}, 0, std::chrono::seconds(20), 0.8});
    for (AgentId a : agents) e.set_agent_skills(a, {{{"sales", 0}}, true});
    BlendingConfig b;
    b.rule = BlendingRule::kThreshold;
    b.reserve = 5;
    e.set_blending("out", b);
  }
  e.start_campaign("out");
  const double t0 = thread_cpu_s();
  e.run_for(std::chrono::hours(8));
  const double cpu = thread_cpu_s() - t0;
  const long calls =
      e.statistics("out").attempts + (blended ? e.inbound_statistics("sales").offered : 0);
  return {calls, cpu};
}

// `only`: -1 both (alternating, so both see the same machine load), 0 outbound, 1 blended.
int speed(int reps, int only) {
  double best[2] = {1e9, 1e9};
  long calls[2] = {};
  for (int rep = 0; rep < reps; ++rep) {
    for (int blended = 0; blended < 2; ++blended) {
      if (only >= 0 && blended != only) continue;
      const auto [n, cpu] = speed_run(blended != 0);
      calls[blended] = n;
      best[blended] = std::min(best[blended], cpu);
    }
  }
  std::printf(
      "| run | calls simulated | CPU s (best of %d) | calls per CPU second |\n|---|---|---|---|\n",
      reps);
  double rate[2] = {};
  for (int blended = 0; blended < 2; ++blended) {
    if (only >= 0 && blended != only) continue;
    rate[blended] = calls[blended] / best[blended];
    std::printf("| %s | %ld | %.3f | %.0f |\n",
                blended ? "blended: + 3,000 inbound calls/h, threshold reserve 5"
                        : "outbound only: 200 agents, POWER 2, 8 h",
                calls[blended], best[blended], rate[blended]);
  }
  if (only < 0) {
    std::printf("\nblended / outbound-only calls per CPU second: %.2f\n", rate[1] / rate[0]);
  }
  return 0;
}

}  // namespace
}  // namespace omnivox

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: omnivox_blend_bench threshold [--seeds N] [--hours H]\n"
                 "       omnivox_blend_bench contactcenters [--days N] [--check]\n"
                 "       omnivox_blend_bench speed [--reps N] [--only outbound|blended]\n");
    return 2;
  }
  int seeds = 20, days = 1000, reps = 3, only = -1;
  double hours = 20;
  bool check = false;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc)
      seeds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--hours") && i + 1 < argc)
      hours = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--days") && i + 1 < argc)
      days = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--check"))
      check = true;
    else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
      only = std::strcmp(argv[++i], "blended") == 0 ? 1 : 0;
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (!std::strcmp(argv[1], "threshold")) return omnivox::threshold_sweep(seeds, hours);
  if (!std::strcmp(argv[1], "contactcenters")) return omnivox::contactcenters(days, check);
  if (!std::strcmp(argv[1], "speed")) return omnivox::speed(reps, only);
  std::fprintf(stderr, "unknown mode %s\n", argv[1]);
  return 2;
}
