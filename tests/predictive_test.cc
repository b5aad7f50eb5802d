// PREDICTIVE against the exact optimum of the stylised model (optimum.h): N agents, attempts
// resolve at exponential rate (mean 20 s), live with probability p, exponential handle times
// (mean 120 s), no hold window, 3 % cap. It must reach 97 % of the optimal occupancy with a
// measured abandon rate at or under the cap.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <span>
#include <thread>
#include <vector>

#include "omnivox/engine.h"
#include "omnivox/optimum.h"
#include "omnivox/pacing.h"
#include "omnivox/sim.h"
#include "support/stylised_world.h"

namespace omnivox {
namespace {

struct Outcome {
  double occupancy, abandon_rate, optimum;
  long live_answers;
};

Outcome run_stylised(int agents, double p, double hours, std::uint64_t seed) {
  // Attempts of mean 20 s, handle times of mean 120 s; no hold window: a live answer that finds
  // no free agent is abandoned at once.
  Simulation simulation(stylised_world(seed, p, 20, 120), parse_utc("2026-05-04T00:00:00Z"));
  Engine& engine = simulation.engine();
  engine.add_campaign(stylised_campaign("stylised", 0.03, Duration(0)));
  add_numbered_contacts(engine, "stylised",
                        static_cast<long>(hours * 3600.0 * agents / 120.0 / p * 1.3));
  simulation.add_agents("stylised", agents);
  engine.start_campaign("stylised");
  engine.run_for(seconds_to_duration(hours * 3600));
  CampaignStatistics s = engine.statistics("stylised");
  OptimumModel m;
  m.agents = agents;
  m.p_live = p;
  m.abandon_cap = 0.03;
  return {s.occupancy, s.abandon_rate, solve_optimum(m).occupancy, s.live_answers};
}

class PredictiveNearOptimum : public ::testing::TestWithParam<std::pair<int, double>> {};

TEST_P(PredictiveNearOptimum, ReachesNinetySevenPercentOfTheOptimumWithinTheCap) {
  auto [agents, hours] = GetParam();
  Outcome o = run_stylised(agents, 0.25, hours, 17);
  // Binomial 95 % interval of the abandon rate over live answers.
  double se = std::sqrt(o.abandon_rate * (1 - o.abandon_rate) / o.live_answers);
  EXPECT_LE(o.abandon_rate - 1.96 * se, 0.03) << "abandon rate " << o.abandon_rate;
  EXPECT_GE(o.occupancy / o.optimum, 0.97)
      << "occupancy " << o.occupancy << " optimum " << o.optimum;
  std::printf("N=%d: occupancy %.4f = %.1f%% of optimum %.4f; abandon rate %.3f%% over %ld live\n",
              agents, o.occupancy, 100 * o.occupancy / o.optimum, o.optimum, 100 * o.abandon_rate,
              o.live_answers);
}

INSTANTIATE_TEST_SUITE_P(Stylised, PredictiveNearOptimum,
                         ::testing::Values(std::pair{10, 100.0}, std::pair{20, 60.0},
                                           std::pair{50, 36.0}));

// A decision's view of `idle` + `busy` agents after `resolved` attempts of which a share `p`
// were live, attempts of mean 20 s, handle times `handle` (s), `abandons` of `live` live
// answers under a 3 % cap.
PacingSnapshot snapshot_of(int idle, int busy, double p, long resolved,
                           std::span<const double> handle, long live, long abandons) {
  PacingSnapshot s;
  s.agents_logged_in = idle + busy;
  s.agents_idle = idle;
  s.agents_busy = busy;
  s.live_answer_probability = p;
  s.mean_time_to_resolve_s = 20;
  s.mean_handle_s = 120;
  s.recent_handle_s = handle;
  s.attempts_resolved = resolved;
  s.abandon_cap = 0.03;
  s.live_answers = live;
  s.abandons = abandons;
  s.abandon_rate = static_cast<double>(abandons) / static_cast<double>(live);
  return s;
}

// With a real clock the model is solved on a worker thread: decide() answers at once from the
// last solution (progressive before the first) while a 100-agent p = 0.1 solve, seconds long,
// runs; the solution is used once it is ready.
TEST(PredictiveRealTime, DecidesWithinAMillisecondWhileASolveRuns) {
  auto policy = make_predictive_policy();
  std::vector<double> handle(50, 120.0);
  PacingSnapshot s = snapshot_of(8, 92, 0.1, 100000, handle, 10000, 200);
  s.real_time = true;
  s.calls_pending = 40;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::vector<double> latencies_ms;
  int first = -1, answer = -1;
  while (Clock::now() - start < std::chrono::minutes(5)) {
    const auto t = Clock::now();
    answer = policy->decide(s);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    if (first < 0) first = answer;
    if (answer != first) break;  // the solution arrived
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const double worst = latencies_ms.back();
  const double solve_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "%zu decisions during a %.1f s solve: median %.4f ms, worst %.4f ms; launches %d "
      "before, %d after\n",
      latencies_ms.size(), solve_s, latencies_ms[latencies_ms.size() / 2], worst, first, answer);
  EXPECT_EQ(first, 0);  // progressive: more pending than idle agents
  EXPECT_GT(answer, first) << "no solution within 5 minutes";
  EXPECT_GT(latencies_ms.size(), 10u);  // the solve took long enough to be decided around
  // The goal is < 1 ms; the bound is generous for loaded or instrumented (sanitizer) runs.
  EXPECT_LT(worst, 50.0);
}

// The model follows the estimates as the sample grows: once the resolved attempts have doubled
// since the last solve, an estimate that moved a few percent (here p by 6 %, inside the margins
// of the early solves) is solved again, so the later decisions are those of a policy that saw
// only the newer estimates (up to the solver's tolerance: the re-solve starts from the last
// solution); before the sample doubled the same move changes nothing.
TEST(PredictiveResolve, SolvesAgainForAFewPercentOnceTheSampleDoubled) {
  std::vector<double> handle(1000, 120.0);
  // 1,000 live answers: too few for the allowance to step.
  auto snapshot = [&](long resolved, double p) {
    return snapshot_of(6, 4, p, resolved, handle, 1000, 20);
  };
  const PacingSnapshot first = snapshot(8000, 0.10);
  const PacingSnapshot undoubled = snapshot(12000, 0.094);
  const PacingSnapshot doubled = snapshot(16000, 0.094);
  const int at_first = make_predictive_policy()->decide(first);
  const int fresh_at_doubled = make_predictive_policy()->decide(doubled);
  ASSERT_GT(fresh_at_doubled, at_first);  // the move matters to the decision

  auto policy = make_predictive_policy();
  EXPECT_EQ(policy->decide(first), at_first);
  EXPECT_EQ(policy->decide(undoubled), at_first);
  const int at_doubled = policy->decide(doubled);
  EXPECT_GT(at_doubled, at_first);
  EXPECT_NEAR(at_doubled, fresh_at_doubled, 1);
  std::printf("launches %d at p = 0.10, %d at p = 0.094 (%d solved afresh)\n", at_first, at_doubled,
              fresh_at_doubled);
}

// With AMD the engine reports the answered calls still in classification apart from the ringing
// ones, and PREDICTIVE reads them as the AMD model of optimum.h does: its launches are the
// model's targets of ringing calls by busy agents and calls in classification. A call in
// classification is more likely live than a ringing one, so the more of the calls not yet
// resolved are in classification, the fewer it launches.
TEST(PredictiveAmd, LaunchesTheAmdModelsTargetsByCallsInClassification) {
  std::vector<double> handle(1000, 120.0);
  // 100,000 attempts, 24.5 % live, 40 % answered and classified in 2 s on average, 20 s to
  // an answer or a failure (20.8 s to the classification's end), 2 % abandons in the window.
  const long resolved = 100000;
  PacingSnapshot s = snapshot_of(3, 7, 0.245, resolved, handle, 10000, 200);
  s.mean_time_to_resolve_s = 20 + 0.4 * 2;
  s.classifications_finished = 40000;
  s.mean_classification_s = 2;
  s.calls_pending = 6;
  PredictiveOptions exact;
  exact.credible_z = 0;  // the estimates as they are, to compare with the model solved here
  OptimumModel m;
  m.agents = 10;
  m.p_live = (0.245 * resolved + 0.5) / (resolved + 1);
  m.answered_share = (40000 + 0.5) / (resolved + 1);
  m.amd_mean_s = 2;
  m.attempt_mean_s = 20.8 - m.answered_share * 2;
  m.handle_mean_s = 120;
  m.abandon_cap = 0.9 * 0.03;
  m.tolerance = 1e-3;
  const OptimumResult opt = solve_optimum(m);
  ASSERT_TRUE(opt.threshold_form);
  ASSERT_GE(opt.infeasible_target_by_classifying.size(), 4u);
  EXPECT_EQ(opt.infeasible_target_by_classifying[0], opt.infeasible_target);
  std::vector<int> launches;
  for (int classifying = 0; classifying <= 3; ++classifying) {
    s.calls_classifying = classifying;
    const int ringing = s.calls_pending - classifying;
    const int progressive = std::max(s.agents_idle - s.calls_pending, 0);
    // Under the target (2 % of 2.7 %): the bolder of the two bracketing policies.
    const int target = opt.infeasible_target_by_classifying[classifying][7];
    launches.push_back(make_predictive_policy(exact)->decide(s));
    EXPECT_EQ(launches.back(), std::max(target - ringing, progressive))
        << classifying << " in classification";
  }
  EXPECT_GT(launches.front(), launches.back());
  std::printf(
      "launches with 6 calls not yet resolved, 0..3 of them in classification: %d %d %d %d\n",
      launches[0], launches[1], launches[2], launches[3]);

  // Without classifications the model is the stylised one, which counts every call not yet
  // resolved alike.
  s.classifications_finished = 0;
  s.mean_classification_s = 0;
  s.calls_classifying = 0;
  const int stylised = make_predictive_policy(exact)->decide(s);
  s.calls_classifying = 3;
  EXPECT_EQ(make_predictive_policy(exact)->decide(s), stylised);

  // Nor is it solved for teams over 20 agents, whose solves would take seconds to minutes.
  s.classifications_finished = 40000;
  s.mean_classification_s = 2;
  s.agents_idle = 5;
  s.agents_busy = 25;
  s.calls_pending = 20;
  s.calls_classifying = 0;
  const int large_team = make_predictive_policy(exact)->decide(s);
  s.calls_classifying = 6;
  EXPECT_EQ(make_predictive_policy(exact)->decide(s), large_team);
}

// Progressive pacing that keeps what the engine's snapshots said.
struct SnapshotWatch final : PacingPolicy {
  std::string name() const override { return "watch"; }
  int decide(const PacingSnapshot& s) override {
    most_classifying = std::max(most_classifying, s.calls_classifying);
    within_pending = within_pending && s.calls_classifying <= s.calls_pending;
    finished = s.classifications_finished;
    mean_s = s.mean_classification_s;
    hold_window_s = s.hold_window_s;
    return std::max(s.agents_idle - s.calls_pending, 0);
  }
  int most_classifying = 0;
  bool within_pending = true;
  long finished = 0;
  double mean_s = 0;
  double hold_window_s = -1;
};

// Runs `campaign` with `agents` agents and `contacts` numbers for `run` under a SnapshotWatch,
// which the engine keeps while the simulation lives.
const SnapshotWatch& watched_run(Simulation& simulation, const CampaignConfig& campaign,
                                 long contacts, int agents, Duration run) {
  Engine& engine = simulation.engine();
  engine.add_campaign(campaign);
  add_numbered_contacts(engine, campaign.id, contacts);
  simulation.add_agents(campaign.id, agents);
  auto watch = std::make_unique<SnapshotWatch>();
  const SnapshotWatch& seen = *watch;
  engine.set_pacing_policy(campaign.id, std::move(watch));
  engine.start_campaign(campaign.id);
  engine.run_for(run);
  return seen;
}

// The engine's snapshot counts the calls in classification among the calls not yet resolved,
// and the classifications finished with their mean time.
TEST(PredictiveAmd, TheSnapshotCountsTheCallsInClassification) {
  SimulationOptions world = stylised_world(3, 0.25, 20, 120);
  world.parametric.p_machine = 0.15;
  world.parametric.p_busy = 0.6;
  world.amd_delay = Distribution::exponential(2);
  Simulation simulation(world, parse_utc("2026-05-04T00:00:00Z"));
  CampaignConfig campaign = stylised_campaign("amd", 0.03, Duration(0));
  campaign.amd = true;
  const SnapshotWatch* seen = &watched_run(simulation, campaign, 20000, 10, std::chrono::hours(4));
  const CampaignStatistics stats = simulation.engine().statistics("amd");
  EXPECT_TRUE(seen->within_pending);
  EXPECT_GE(seen->most_classifying, 2);
  // Every answer is classified (progressive never passes the cap: AMD is never suspended).
  EXPECT_EQ(stats.amd_suspended, 0);
  EXPECT_NEAR(static_cast<double>(seen->finished), 0.4 * static_cast<double>(stats.attempts),
              0.05 * static_cast<double>(stats.attempts));
  EXPECT_NEAR(seen->mean_s, 2.0, 0.15);
  std::printf("%ld classifications of %ld attempts, mean %.3f s, at most %d at once\n",
              seen->finished, stats.attempts, seen->mean_s, seen->most_classifying);
}

// With a hold window a live answer that finds every agent busy waits for one, so the model of
// optimum.h with the campaign's window (Erlang(2) patience) allows other launches than the
// stylised one, which abandons it at once: PREDICTIVE launches the hold-window model's targets.
// Not with AMD classifications (the AMD model, without the window) nor for teams over 50 (the
// stylised model).
TEST(PredictiveHoldWindow, LaunchesTheHoldWindowModelsTargets) {
  std::vector<double> handle(1000, 120.0);
  const long resolved = 100000;
  PredictiveOptions exact;
  exact.credible_z = 0;  // the estimates as they are, to compare with the model solved here
  OptimumModel m;
  m.agents = 10;
  m.p_live = (0.25 * resolved + 0.5) / (resolved + 1);
  m.attempt_mean_s = 20;
  m.handle_mean_s = 120;
  m.abandon_cap = 0.9 * 0.03;
  m.tolerance = 1e-3;
  const OptimumResult stylised = solve_optimum(m);
  m.hold_window_s = 2;
  m.patience_phases = 2;
  const OptimumResult held = solve_optimum(m);
  ASSERT_TRUE(held.threshold_form);
  EXPECT_GT(held.occupancy, stylised.occupancy);
  int differ = 0;
  for (int busy = 0; busy <= 10; ++busy) {
    // 2 % abandons in the window, under the target of 2.7 %: the bolder bracketing policy.
    PacingSnapshot s = snapshot_of(10 - busy, busy, 0.25, resolved, handle, 10000, 200);
    s.hold_window_s = 2;
    const int launches = make_predictive_policy(exact)->decide(s);
    EXPECT_EQ(launches, std::max(held.infeasible_target[busy], 10 - busy)) << busy << " busy";
    if (held.infeasible_target[busy] != stylised.infeasible_target[busy]) ++differ;
  }
  EXPECT_GT(differ, 0);

  PacingSnapshot s = snapshot_of(2, 8, 0.25, resolved, handle, 10000, 200);
  s.hold_window_s = 2;
  s.classifications_finished = 5;
  EXPECT_EQ(make_predictive_policy(exact)->decide(s), std::max(stylised.infeasible_target[8], 2));

  PacingSnapshot large = snapshot_of(5, 55, 0.25, resolved, handle, 10000, 200);
  const int without_window = make_predictive_policy(exact)->decide(large);
  large.hold_window_s = 2;
  EXPECT_EQ(make_predictive_policy(exact)->decide(large), without_window);
}

// The engine's snapshot carries the campaign's hold window.
TEST(PredictiveHoldWindow, TheSnapshotCarriesTheCampaignsHoldWindow) {
  Simulation simulation(stylised_world(5, 0.25, 20, 120), parse_utc("2026-05-04T00:00:00Z"));
  const SnapshotWatch& seen =
      watched_run(simulation, stylised_campaign("held", 0.03, std::chrono::milliseconds(1500)), 100,
                  2, std::chrono::minutes(5));
  EXPECT_DOUBLE_EQ(seen.hold_window_s, 1.5);
}

}  // namespace
}  // namespace omnivox
