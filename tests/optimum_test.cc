// The predictive-pacing optimum (constrained MDP) against brute force and its structure.
#include "omnivox/optimum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "omnivox/compliance.h"
#include "omnivox/engine.h"
#include "omnivox/pacing.h"
#include "omnivox/sim.h"
#include "pacing/optimum_solver.h"
#include "support/stylised_world.h"

namespace omnivox {
namespace {

// Long-run rates (per second) of the threshold policy "launch up to target[b]", from the
// stationary distribution of the post-decision chain solved exactly (dense Gaussian
// elimination on pi Q = 0, sum pi = 1). Independent of the solver's iterative code.
struct Exact {
  double connects = 0, abandons = 0, busy = 0;
};

Exact exact_threshold(const OptimumModel& m, int dmax, const std::vector<int>& target) {
  const int n = m.agents, w = dmax + 1, s = (n + 1) * w;
  auto idx = [&](int b, int d) { return b * w + d; };
  auto post = [&](int b, int d) { return idx(b, std::max(d, target[b])); };
  std::vector<double> a(static_cast<size_t>(s) * s, 0.0);  // a = Q transposed
  auto add = [&](int from, int to, double rate) {
    if (from == to || rate == 0) return;
    a[static_cast<size_t>(to) * s + from] += rate;
    a[static_cast<size_t>(from) * s + from] -= rate;
  };
  for (int b = 0; b <= n; ++b) {
    for (int d = 0; d <= dmax; ++d) {
      if (d < target[b]) {  // never occupied: the policy tops up at once
        add(idx(b, d), post(b, d), 1.0);
        continue;
      }
      const double res = d / m.attempt_mean_s;
      if (d > 0) {
        add(idx(b, d), b < n ? post(b + 1, d - 1) : post(n, d - 1), res * m.p_live);
        add(idx(b, d), post(b, d - 1), res * (1 - m.p_live));
      }
      if (b > 0) add(idx(b, d), post(b - 1, d), b / m.handle_mean_s);
    }
  }
  std::vector<double> rhs(s, 0.0);
  for (int j = 0; j < s; ++j) a[static_cast<size_t>(s - 1) * s + j] = 1.0;
  rhs[s - 1] = 1.0;
  for (int c = 0; c < s; ++c) {  // Gaussian elimination, partial pivoting
    int piv = c;
    for (int r = c + 1; r < s; ++r) {
      if (std::fabs(a[static_cast<size_t>(r) * s + c]) >
          std::fabs(a[static_cast<size_t>(piv) * s + c]))
        piv = r;
    }
    for (int j = 0; j < s; ++j)
      std::swap(a[static_cast<size_t>(c) * s + j], a[static_cast<size_t>(piv) * s + j]);
    std::swap(rhs[c], rhs[piv]);
    for (int r = c + 1; r < s; ++r) {
      const double f = a[static_cast<size_t>(r) * s + c] / a[static_cast<size_t>(c) * s + c];
      if (f == 0) continue;
      for (int j = c; j < s; ++j)
        a[static_cast<size_t>(r) * s + j] -= f * a[static_cast<size_t>(c) * s + j];
      rhs[r] -= f * rhs[c];
    }
  }
  std::vector<double> pi(s);
  for (int r = s - 1; r >= 0; --r) {
    double v = rhs[r];
    for (int j = r + 1; j < s; ++j) v -= a[static_cast<size_t>(r) * s + j] * pi[j];
    pi[r] = v / a[static_cast<size_t>(r) * s + r];
  }
  Exact e;
  for (int b = 0; b <= n; ++b) {
    for (int d = 0; d <= dmax; ++d) {
      const double live = pi[idx(b, d)] * d / m.attempt_mean_s * m.p_live;
      (b < n ? e.connects : e.abandons) += live;
      e.busy += pi[idx(b, d)] * b;
    }
  }
  return e;
}

// The constrained optimum over time-sharing mixtures of ALL threshold policies with targets in
// [0, dmax]: the best feasible single policy or the best pair mixed to meet the cap exactly.
struct BruteForce {
  double connects = 0, busy = 0;
};

BruteForce brute_force(const OptimumModel& m, int dmax) {
  const int n = m.agents;
  const double alpha = m.abandon_cap;
  std::vector<Exact> all;
  std::vector<int> target(n + 1, 0);
  for (;;) {
    all.push_back(exact_threshold(m, dmax, target));
    int i = 0;
    while (i <= n && ++target[i] > dmax) target[i++] = 0;
    if (i > n) break;
  }
  auto k = [&](const Exact& e) { return (1 - alpha) * e.abandons - alpha * e.connects; };
  BruteForce best;
  for (const Exact& f : all) {
    if (k(f) > 0) continue;
    if (f.connects > best.connects) best = {f.connects, f.busy};
    for (const Exact& g : all) {
      if (k(g) <= 0) continue;
      const double w = k(g) / (k(g) - k(f));
      const double c = w * f.connects + (1 - w) * g.connects;
      if (c > best.connects) best = {c, w * f.busy + (1 - w) * g.busy};
    }
  }
  return best;
}

TEST(Optimum, AgreesWithBruteForceOverThresholdPoliciesForOneAndTwoAgents) {
  struct Case {
    int agents;
    double p, alpha;
    int dmax;
  } cases[] = {{1, 0.3, 0.03, 9},
               {1, 0.5, 0.2, 8},
               {2, 0.3, 0.03, 10},
               {2, 0.6, 0.1, 7},
               {2, 0.25, 0.01, 10}};
  for (const Case& c : cases) {
    OptimumModel m;
    m.agents = c.agents;
    m.p_live = c.p;
    m.abandon_cap = c.alpha;
    m.max_in_flight = c.dmax;
    const OptimumResult r = solve_optimum(m);
    const BruteForce bf = brute_force(m, c.dmax);
    SCOPED_TRACE("N=" + std::to_string(c.agents) + " p=" + std::to_string(c.p) +
                 " alpha=" + std::to_string(c.alpha));
    ASSERT_TRUE(r.threshold_form);
    EXPECT_NEAR(r.connects_per_hour, bf.connects * 3600, 1e-7 * bf.connects * 3600);
    EXPECT_NEAR(r.occupancy, bf.busy / c.agents, 1e-7);
    EXPECT_NEAR(r.abandon_rate, c.alpha, 1e-9);
    EXPECT_FALSE(r.cap_binding);
    // The reported bracketing policies' statistics match their exact evaluation.
    for (const auto& [target, stats] :
         {std::pair{r.feasible_target, r.feasible}, std::pair{r.infeasible_target, r.infeasible}}) {
      const Exact e = exact_threshold(m, c.dmax, target);
      EXPECT_NEAR(stats.connects_per_hour, e.connects * 3600, 1e-7 * e.connects * 3600);
      EXPECT_NEAR(stats.abandons_per_hour, e.abandons * 3600, 1e-7 * e.connects * 3600);
    }
  }
}

TEST(Optimum, MixtureMeetsTheCapExactlyWithConsistentRates) {
  OptimumModel m;
  m.agents = 10;
  m.p_live = 0.25;
  m.abandon_cap = 0.03;
  const OptimumResult r = solve_optimum(m);
  EXPECT_NEAR(r.abandon_rate, 0.03, 1e-9);
  EXPECT_LE(r.feasible.abandon_rate, 0.03 + 1e-12);
  EXPECT_GT(r.infeasible.abandon_rate, 0.03);
  EXPECT_GE(r.mixing_weight, 0.0);
  EXPECT_LE(r.mixing_weight, 1.0);
  EXPECT_GT(r.lambda, 0.0);
  EXPECT_LT(r.lambda, (1 - 0.03) / 0.03);
  // Rates, not ratios, are mixed.
  const double w = r.mixing_weight;
  const double ab = w * r.feasible.abandons_per_hour + (1 - w) * r.infeasible.abandons_per_hour;
  const double live =
      w * r.feasible.live_answers_per_hour + (1 - w) * r.infeasible.live_answers_per_hour;
  EXPECT_NEAR(ab / live, 0.03, 1e-9);
  // Flow balance: connects/s = E[busy] / handle_mean; attempts/s = E[in flight] / attempt_mean.
  EXPECT_NEAR(r.connects_per_hour, r.occupancy * m.agents * 3600 / m.handle_mean_s,
              1e-6 * r.connects_per_hour);
  EXPECT_NEAR(r.live_answers_per_hour, m.p_live * r.attempts_per_hour, 1e-6 * r.attempts_per_hour);
  EXPECT_TRUE(r.threshold_form);
  EXPECT_FALSE(r.cap_binding);
  EXPECT_LT(std::max(r.feasible.cap_probability, r.infeasible.cap_probability), 1e-9);
  // Targets fall as agents get busy, and the policy tops up to them.
  ASSERT_EQ(r.feasible_target.size(), 11u);
  for (int b = 1; b <= 10; ++b) EXPECT_LE(r.feasible_target[b], r.feasible_target[b - 1]);
  const PolicyStats again = [&] {
    OptimumModel fixed = m;
    fixed.max_in_flight = r.max_in_flight;
    return evaluate_threshold_policy(fixed, r.feasible_target);
  }();
  EXPECT_NEAR(again.occupancy, r.feasible.occupancy, 1e-8);
}

TEST(Optimum, OccupancyIncreasesWithAbandonCapAndLiveProbability) {
  OptimumModel m;
  m.agents = 8;
  double prev_p = 0;
  for (double p : {0.1, 0.25, 0.5, 0.9}) {
    m.p_live = p;
    double prev_alpha = 0;
    for (double alpha : {0.0, 0.01, 0.03, 0.1}) {
      m.abandon_cap = alpha;
      const OptimumResult r = solve_optimum(m);
      EXPECT_GT(r.occupancy, prev_alpha) << "p=" << p << " alpha=" << alpha;
      EXPECT_LE(r.abandon_rate, alpha + 1e-9);
      EXPECT_FALSE(r.cap_binding);
      prev_alpha = r.occupancy;
      if (alpha == 0.03) {
        EXPECT_GT(r.occupancy, prev_p) << "p=" << p;
        prev_p = r.occupancy;
      }
    }
  }
}

TEST(Optimum, ZeroAbandonCapIsProgressive) {
  for (int n : {1, 2, 5}) {
    OptimumModel m;
    m.agents = n;
    m.p_live = 0.3;
    m.abandon_cap = 0;
    const OptimumResult r = solve_optimum(m);
    SCOPED_TRACE("N=" + std::to_string(n));
    EXPECT_EQ(r.abandon_rate, 0.0);
    EXPECT_EQ(r.abandons_per_hour, 0.0);
    EXPECT_TRUE(std::isinf(r.lambda));
    ASSERT_TRUE(r.threshold_form);
    // In flight = idle agents: one attempt per idle agent, never more.
    for (int b = 0; b <= n; ++b) EXPECT_EQ(r.feasible_target[b], n - b) << b;
    const Exact e = exact_threshold(m, r.max_in_flight, r.feasible_target);
    EXPECT_NEAR(r.occupancy, e.busy / n, 1e-8);
    // Any positive cap does at least as well.
    m.abandon_cap = 0.001;
    EXPECT_GE(solve_optimum(m).occupancy, r.occupancy - 1e-12);
  }
  // For N = 1 progressive is the only zero-abandon policy that dials at all:
  // occupancy = (p/Ta) / (p/Ta + 1/Th) with Ta = 20, Th = 120, p = 0.3.
  OptimumModel one;
  one.agents = 1;
  one.p_live = 0.3;
  one.abandon_cap = 0;
  EXPECT_NEAR(solve_optimum(one).occupancy, (0.3 / 20) / (0.3 / 20 + 1.0 / 120), 1e-9);
}

TEST(Optimum, ReferenceFiguresForQuarterLiveAtThreePercent) {
  std::printf("  N  D    occupancy  connects/h  abandon  lambda   w       iters  evals    time\n");
  for (int n : {10, 20, 50}) {
    OptimumModel m;
    m.agents = n;
    m.p_live = 0.25;
    m.abandon_cap = 0.03;
    const auto t0 = std::chrono::steady_clock::now();
    const OptimumResult r = solve_optimum(m);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%3d %3d  %.6f   %8.2f    %.4f   %.4f   %.4f  %3d    %6lld  %.2fs\n", n,
                r.max_in_flight, r.occupancy, r.connects_per_hour, r.abandon_rate, r.lambda,
                r.mixing_weight, r.lambda_iterations, static_cast<long long>(r.policy_evaluations),
                secs);
    EXPECT_NEAR(r.abandon_rate, 0.03, 1e-9);
    EXPECT_FALSE(r.cap_binding);
  }
}

// A model whose solve would take hours or gigabytes is refused at once, naming its inputs.
// PREDICTIVE re-solves with estimates moved by ~10 %, starting from the last solve. A warm
// start changes only where the iterations begin, so the answer must be the cold one to the
// tolerance, whichever side of the new multiplier the old one lies, and for another team size
// (where the warm start must be ignored) and a grown or shrunk in-flight cap (re-laid out).
// The governor's limit: the largest calls in flight whose live answers pass the budget and the
// free agents with a chance of at most the risk, by the governor's own tail.
TEST(Optimum, GovernorLimitIsTheLargestInFlightWithinTheRisk) {
  const int agents = 5, budget = 4;
  const double p_hi = 0.11, risk = 1e-8;
  const std::vector<int> limit = governor_in_flight_limit(agents, budget, p_hi, risk, 1000);
  ASSERT_EQ(limit.size(), 6u);
  for (int b = 0; b <= agents; ++b) {
    const int k = budget + agents - b;
    auto tail = [&](int m) { return poisson_binomial_tail_above(std::vector<double>(m, p_hi), k); };
    EXPECT_LE(tail(limit[b]), risk) << "b " << b;
    EXPECT_GT(tail(limit[b] + 1), risk) << "b " << b;
  }
  EXPECT_EQ(limit, (std::vector<int>{11, 9, 7, 6, 5, 4}));
  // Never under the free agents, even with the budget spent; nothing beyond them at b = N.
  const std::vector<int> spent = governor_in_flight_limit(agents, -1, p_hi, risk, 1000);
  for (int b = 0; b < agents; ++b) EXPECT_GE(spent[b], agents - b);
  EXPECT_EQ(spent[agents], 0);
  EXPECT_EQ(governor_in_flight_limit(agents, 100, p_hi, risk, 30), std::vector<int>(6, 30));
}

// A limit on the calls in flight by busy agents (the governor's, for PREDICTIVE): the targets
// keep within it, a limit that never binds changes nothing, and the optimum's policy cut at the
// limit is the best policy within the limit at the abandon rate it reaches (so cutting loses
// nothing that planning within the limit at that rate would win).
TEST(Optimum, InFlightLimitBoundsTheTargetsAndTheCutPolicyIsOptimalAtItsRate) {
  const OptimumModel m{.agents = 5, .p_live = 0.1, .abandon_cap = 0.027, .tolerance = 1e-6};
  const OptimumResult free = solve_optimum(m);
  OptimumModel loose = m;
  loose.in_flight_limit.assign(6, 1000);
  EXPECT_NEAR(solve_optimum(loose).occupancy, free.occupancy, 1e-9);

  const std::vector<int> limit = {11, 9, 7, 6, 5, 4};
  OptimumModel within = m;
  within.in_flight_limit = limit;
  const OptimumResult planned = solve_optimum(within);
  ASSERT_TRUE(planned.threshold_form);
  for (int b = 0; b <= 5; ++b) {
    EXPECT_LE(planned.feasible_target[b], limit[b]);
    EXPECT_LE(planned.infeasible_target[b], limit[b]);
  }
  EXPECT_LT(planned.occupancy, free.occupancy);
  EXPECT_NEAR(planned.abandon_rate, 0.027, 1e-9);

  std::vector<int> cut = free.feasible_target;
  for (int b = 0; b <= 5; ++b) cut[b] = std::min(cut[b], limit[b]);
  OptimumModel fixed = m;
  fixed.max_in_flight = free.max_in_flight;
  const PolicyStats cut_stats = evaluate_threshold_policy(fixed, cut);
  EXPECT_LT(cut_stats.abandon_rate, 0.027);
  EXPECT_LT(cut_stats.occupancy, planned.occupancy);  // planning spends the abandons cut saves
  within.abandon_cap = cut_stats.abandon_rate;
  EXPECT_NEAR(solve_optimum(within).occupancy, cut_stats.occupancy, 1e-5);

  OptimumModel wrong = m;
  wrong.in_flight_limit = {3, 2};
  EXPECT_THROW(solve_optimum(wrong), Error);
}

TEST(Optimum, WarmStartGivesTheColdSolution) {
  OptimumModel m;
  m.agents = 20;
  m.p_live = 0.25;
  m.abandon_cap = 0.03;
  m.tolerance = 1e-7;
  const OptimumResult cold = solve_optimum(m);
  for (double scale : {1.1, 0.9, 1.0}) {
    for (int agents : {20, 18}) {
      OptimumModel before = m;
      before.p_live = m.p_live * scale;
      before.agents = agents;
      OptimumWarmStart warm;
      solve_optimum_warm(before, warm);
      EXPECT_EQ(warm.agents, agents);
      SCOPED_TRACE("p_live x" + std::to_string(scale) + " agents " + std::to_string(agents));
      const OptimumResult r = solve_optimum_warm(m, warm);
      EXPECT_NEAR(r.occupancy, cold.occupancy, 1e-6);
      EXPECT_NEAR(r.abandon_rate, cold.abandon_rate, 1e-7);
      EXPECT_NEAR(r.lambda, cold.lambda, 1e-4 * cold.lambda);
      EXPECT_EQ(r.max_in_flight, cold.max_in_flight);
      EXPECT_EQ(r.threshold_form, cold.threshold_form);
      // Targets of rarely visited states (few busy agents) can sit on a value tie within the
      // tolerance, so either neighbour is optimal there.
      ASSERT_EQ(r.feasible_target.size(), cold.feasible_target.size());
      ASSERT_EQ(r.infeasible_target.size(), cold.infeasible_target.size());
      for (size_t b = 0; b < cold.feasible_target.size(); ++b) {
        EXPECT_LE(std::abs(r.feasible_target[b] - cold.feasible_target[b]), 1) << "b " << b;
        EXPECT_LE(std::abs(r.infeasible_target[b] - cold.infeasible_target[b]), 1) << "b " << b;
      }
      if (agents == 20) EXPECT_LE(r.policy_evaluations, cold.policy_evaluations);
      EXPECT_EQ(warm.max_in_flight, r.max_in_flight);
      EXPECT_DOUBLE_EQ(warm.lambda, r.lambda);
    }
  }
  // A warm start from a multiplier far below the answer (a generous abandon cap).
  OptimumModel loose = m;
  loose.abandon_cap = 0.5;
  OptimumWarmStart warm;
  EXPECT_LT(solve_optimum_warm(loose, warm).lambda, 0.1 * cold.lambda);
  EXPECT_NEAR(solve_optimum_warm(m, warm).occupancy, cold.occupancy, 1e-6);
  // And from a fixed in-flight cap other than the automatic one.
  OptimumModel capped = m;
  capped.max_in_flight = 60;
  solve_optimum_warm(capped, warm);
  EXPECT_NEAR(solve_optimum_warm(m, warm).occupancy, cold.occupancy, 1e-6);
}

TEST(Optimum, RefusesOversizedModelsBeforeAllocating) {
  auto message = [](const OptimumModel& m, auto solve) -> std::string {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      solve(m);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
      return e.what();
    }
    ADD_FAILURE() << "no exception";
    return {};
  };
  auto solve = [](const OptimumModel& m) { solve_optimum(m); };
  OptimumModel m;
  m.agents = 10;
  m.p_live = 1e-300;  // ~1e302 states
  std::string what = message(m, solve);
  EXPECT_NE(what.find("p_live 1e-300"), std::string::npos) << what;
  EXPECT_NE(what.find("states, more than the limit 2e+06"), std::string::npos) << what;
  m.p_live = 1e-4;  // 1.3e6 states, but an in-flight cap of ~115,000
  what = message(m, solve);
  EXPECT_NE(what.find("p_live 0.0001"), std::string::npos) << what;
  EXPECT_NE(what.find("in-flight cap of ~114879, more than the limit 40000"), std::string::npos)
      << what;
  m.agents = 1000;  // 1.2e6 states, but each policy evaluation has ~1,000 unknowns per state
  m.p_live = 0.25;
  what = message(m, solve);
  EXPECT_NE(what.find("p_live 0.25 with 1000 agents"), std::string::npos) << what;
  EXPECT_NE(what.find("operations"), std::string::npos) << what;
  m = {};
  m.max_in_flight = 2'000'000'000;
  what = message(m, solve);
  EXPECT_NE(what.find("max_in_flight 2000000000"), std::string::npos) << what;
  what = message(m, [](const OptimumModel& model) {
    evaluate_threshold_policy(model, std::vector<int>(model.agents + 1, 0));
  });
  EXPECT_NE(what.find("max_in_flight 2000000000"), std::string::npos) << what;
}

// Extreme but accepted time scales give finite figures, also when attempts resolve 1e12 times
// faster than calls end (policy evaluation is exact, so stiffness costs no iterations).
TEST(Optimum, ExtremeTimeScalesStayFinite) {
  for (auto [attempt, handle] : {std::pair{kOptimumMinTimeS, kOptimumMinTimeS},
                                 std::pair{kOptimumMaxTimeS, kOptimumMaxTimeS},
                                 std::pair{kOptimumMinTimeS, kOptimumMaxTimeS}}) {
    SCOPED_TRACE("attempt " + std::to_string(attempt) + " s, handle " + std::to_string(handle));
    OptimumModel m;
    m.agents = 2;
    m.p_live = 0.5;
    m.attempt_mean_s = attempt;
    m.handle_mean_s = handle;
    const OptimumResult r = solve_optimum(m);
    EXPECT_LE(r.abandon_rate, 0.03 + 1e-9);
    EXPECT_GT(r.occupancy, 0.1);
    for (double v : {r.occupancy, r.connects_per_hour, r.attempts_per_hour, r.lambda}) {
      EXPECT_TRUE(std::isfinite(v));
    }
  }
}

// A threshold policy that launches nothing with every agent free ends there for good: every
// state reaches (0, 0), where nothing happens any more.
TEST(Optimum, APolicyIdleWithNobodyBusyEndsIdle) {
  OptimumModel m;
  m.agents = 3;
  m.p_live = 0.3;
  m.max_in_flight = 12;
  const PolicyStats s = evaluate_threshold_policy(m, {0, 5, 3, 1});
  EXPECT_EQ(s.occupancy, 0.0);
  EXPECT_EQ(s.connects_per_hour, 0.0);
  EXPECT_EQ(s.mean_in_flight, 0.0);
  // Launching one attempt there is enough to keep the agents working.
  EXPECT_GT(evaluate_threshold_policy(m, {1, 5, 3, 1}).occupancy, 0.3);
}

// The hold-window model (small-team-like: 5 agents, p 0.45, attempts 15.8 s, handling 121.7 s).
OptimumModel small_team_model(double hold_window_s) {
  OptimumModel m;
  m.agents = 5;
  m.p_live = 0.45;
  m.attempt_mean_s = 15.8;
  m.handle_mean_s = 121.7;
  m.abandon_cap = 0.03;
  m.hold_window_s = hold_window_s;
  return m;
}

TEST(OptimumHoldWindow, TendsToTheStylisedOptimumAsTheWindowCloses) {
  const OptimumResult stylised = solve_optimum(small_team_model(0));
  EXPECT_EQ(stylised.patience_phases, 0);  // the fast path
  EXPECT_EQ(stylised.max_waiting, 0);
  double last = stylised.occupancy;
  for (double h : {0.5, 2.0, 8.0}) {
    const OptimumResult r = solve_optimum(small_team_model(h));
    EXPECT_NEAR(r.abandon_rate, 0.03, 1e-9);
    EXPECT_GT(r.occupancy, last) << "hold window " << h;  // waiting saves calls
    EXPECT_FALSE(r.queue_binding);
    EXPECT_FALSE(r.cap_binding);
    last = r.occupancy;
  }
  const OptimumResult closing = solve_optimum(small_team_model(1e-3));
  EXPECT_NEAR(closing.occupancy, stylised.occupancy, 1e-5);
  EXPECT_EQ(closing.patience_phases, kOptimumDefaultPatiencePhases);
  // A zero cap allows no waiting call (one could always be abandoned): progressive, as before.
  OptimumModel zero = small_team_model(2);
  zero.abandon_cap = 0;
  OptimumModel zero_stylised = small_team_model(0);
  zero_stylised.abandon_cap = 0;
  EXPECT_EQ(solve_optimum(zero).occupancy, solve_optimum(zero_stylised).occupancy);
}

TEST(OptimumHoldWindow, ErlangPhasesConvergeTowardsTheDeterministicWindow) {
  // Occupancy rises with k (a less variable patience saves more calls) and its steps shrink
  // about as 1 / k: k = 8 is within ~2e-5 of k -> infinity here.
  std::vector<double> occ;
  for (int k : {1, 2, 4, 8, 16}) {
    OptimumModel m = small_team_model(2);
    m.patience_phases = k;
    const OptimumResult r = solve_optimum(m);
    EXPECT_EQ(r.patience_phases, k);
    occ.push_back(r.occupancy);
    std::printf("k = %2d: occupancy %.7f, W = %d\n", k, r.occupancy, r.max_waiting);
  }
  for (std::size_t i = 1; i < occ.size(); ++i) EXPECT_GT(occ[i], occ[i - 1]);
  EXPECT_LT(occ[4] - occ[3], 0.6 * (occ[3] - occ[2]));
  EXPECT_LT(occ[4] - occ[3], 2e-5);
}

TEST(OptimumHoldWindow, RefusesOversizedQueuesNamingTheFields) {
  OptimumModel m = small_team_model(2);
  m.agents = 100;
  m.p_live = 0.1;
  m.patience_phases = kOptimumMaxPatiencePhases;
  m.max_waiting = kOptimumMaxWaiting;
  try {
    solve_optimum(m);
    ADD_FAILURE() << "no refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("patience_phases"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("max_waiting"), std::string::npos) << e.what();
  }
  OptimumModel bad = small_team_model(-1);
  EXPECT_THROW(solve_optimum(bad), Error);
  bad = small_team_model(2);
  bad.patience_phases = -1;
  EXPECT_THROW(solve_optimum(bad), Error);
  bad = small_team_model(2);
  bad.max_waiting = kOptimumMaxWaiting + 1;
  EXPECT_THROW(solve_optimum(bad), Error);
}

// The mean of four seeds' figures and the half-width of its 95 % interval (Student t, 3 df).
std::pair<double, double> mean_ci95(const std::vector<double>& x) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= x.size();
  for (double v : x) var += (v - mean) * (v - mean);
  var /= x.size() - 1;
  return {mean, 3.182 * std::sqrt(var / x.size())};
}

// "Launch up to target[b]" in the engine: the optimum's feasible policy read by busy agents.
class TargetPolicy : public PacingPolicy {
 public:
  explicit TargetPolicy(std::vector<int> target) : target_(std::move(target)) {}
  std::string name() const override { return "target"; }
  int decide(const PacingSnapshot& s) override {
    const int b = std::min<int>(s.agents_busy, static_cast<int>(target_.size()) - 1);
    return std::max(0, target_[b] - s.calls_pending);
  }

 private:
  std::vector<int> target_;
};

// Seeds 1-4 of `hours` of TargetPolicy(target) on `campaign` with `agents` agents and
// `contacts` contacts in `world` (its seed replaced): each run's occupancy, abandon rate and
// counted abandon rate (the compliance window's: with AMD it counts the profile's false-positive
// estimate per machine result).
struct SimulatedRuns {
  std::vector<double> occupancy, abandon_rate, counted_rate;
};
SimulatedRuns run_target(SimulationOptions world, const CampaignConfig& campaign,
                         const std::vector<int>& target, int agents, double hours, long contacts) {
  SimulatedRuns runs;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    world.seed = seed;
    Simulation simulation(world, parse_utc("2026-05-04T00:00:00Z"));
    Engine& engine = simulation.engine();
    engine.add_campaign(campaign);
    engine.set_pacing_policy(campaign.id, std::make_unique<TargetPolicy>(target));
    add_numbered_contacts(engine, campaign.id, contacts);
    simulation.add_agents(campaign.id, agents);
    engine.start_campaign(campaign.id);
    engine.run_for(seconds_to_duration(hours * 3600));
    const CampaignStatistics s = engine.statistics(campaign.id);
    runs.occupancy.push_back(s.occupancy);
    runs.abandon_rate.push_back(s.abandon_rate);
    runs.counted_rate.push_back(s.abandon_rate_window);
  }
  return runs;
}

// The hold-window model against the simulator, with the model's own distributions (exponential
// attempts and handling, a fixed 2 s hold window): the optimum's feasible policy, run in the
// engine, must give the occupancy and abandon rate the model computes for it (within a 95 %
// interval over seeds), and no more occupancy than the optimum.
TEST(OptimumHoldWindow, TheSimulatorRunningTheOptimumsPolicyAgreesWithTheModel) {
  OptimumModel m = small_team_model(2);
  const OptimumResult opt = solve_optimum(m);
  ASSERT_TRUE(opt.threshold_form);
  m.max_in_flight = opt.max_in_flight;
  const PolicyStats model = evaluate_threshold_policy(m, opt.feasible_target);
  const double hours = 150;
  // A cap of 50 %: the policy alone sets the abandon rate.
  const SimulatedRuns runs =
      run_target(stylised_world(1, m.p_live, m.attempt_mean_s, m.handle_mean_s),
                 stylised_campaign("hold", 0.5, std::chrono::seconds(2)), opt.feasible_target,
                 m.agents, hours, static_cast<long>(hours * 3600 / m.attempt_mean_s * 8 * 1.3));
  const auto [o, o_ci] = mean_ci95(runs.occupancy);
  const auto [a, a_ci] = mean_ci95(runs.abandon_rate);
  std::printf(
      "simulated %.4f +- %.4f occupancy, %.4f +- %.4f abandon rate; model %.4f, %.4f; optimum "
      "%.4f (stylised model %.4f)\n",
      o, o_ci, a, a_ci, model.occupancy, model.abandon_rate, opt.occupancy,
      solve_optimum(small_team_model(0)).occupancy);
  EXPECT_NEAR(o, model.occupancy, o_ci + 0.002);
  EXPECT_NEAR(a, model.abandon_rate, a_ci + 0.002);
  EXPECT_LE(o, opt.occupancy + o_ci);
}

// The AMD model of the amd-stylised-N10 scenario: 10 agents, 20 s ringing, 40 % answered, 2 s
// classification, a person 62.5 % of the answered (p_live 0.245: 2 % of people taken for
// machines), 120 s handling, 0.02 abandons counted per machine result.
OptimumModel amd_model() {
  OptimumModel m;
  m.agents = 10;
  m.p_live = 0.245;
  m.attempt_mean_s = 20;
  m.handle_mean_s = 120;
  m.abandon_cap = 0.03;
  m.amd_mean_s = 2;
  m.answered_share = 0.4;
  m.counted_abandons_per_machine = 0.02;
  return m;
}

// As the classification time vanishes, the AMD model becomes the stylised one; its counted
// machine results, a fixed share (answered - p) / p of the live answers, take that much of the
// cap whatever the policy.
TEST(OptimumAmd, TendsToTheStylisedModelWithTheCapLessTheCountedMachines) {
  OptimumModel m = amd_model();
  m.amd_mean_s = 1e-3;
  OptimumModel stylised = m;
  stylised.amd_mean_s = 0;
  const double counted = 0.02 * (0.4 - 0.245) / 0.245;
  stylised.abandon_cap = 0.03 - counted;
  const OptimumResult r = solve_optimum(m);
  const OptimumResult s = solve_optimum(stylised);
  EXPECT_NEAR(r.occupancy, s.occupancy, 2e-5);
  EXPECT_NEAR(r.abandon_rate, 0.03, 1e-9);
  // Its abandons proper are the stylised optimum's at the lowered cap.
  EXPECT_NEAR(r.abandons_per_hour / r.live_answers_per_hour, s.abandon_rate, 1e-4);
  EXPECT_GT(r.max_classifying, 0);
  EXPECT_FALSE(r.classifying_binding);
  EXPECT_EQ(s.max_classifying, 0);
  // Classification takes time in which a person holds no agent: the optimum falls with it.
  double last = r.occupancy;
  for (double amd : {1.0, 2.0, 4.0}) {
    m.amd_mean_s = amd;
    const OptimumResult x = solve_optimum(m);
    EXPECT_LT(x.occupancy, last) << amd;
    EXPECT_TRUE(x.threshold_form);
    last = x.occupancy;
  }
}

// Progressive in the AMD model (a cap of 0) is "one call not yet resolved per free agent": the
// (b, c) chain with d = N - b - c solved directly agrees with the solver.
TEST(OptimumAmd, ProgressiveIsTheDirectlySolvedChain) {
  OptimumModel m = amd_model();
  m.abandon_cap = 0;
  const OptimumResult r = solve_optimum(m);
  const int n = m.agents;
  std::vector<std::pair<int, int>> states;
  for (int b = 0; b <= n; ++b) {
    for (int c = 0; b + c <= n; ++c) states.emplace_back(b, c);
  }
  const int k = static_cast<int>(states.size());
  auto index = [&](int b, int c) {
    return static_cast<int>(std::find(states.begin(), states.end(), std::pair(b, c)) -
                            states.begin());
  };
  // pi Q = 0 with sum pi = 1: the balance equations, one replaced by the normalisation.
  std::vector<double> a(static_cast<std::size_t>(k) * k, 0.0), rhs(k, 0.0);
  auto rate = [&](int from, int to, double q) {
    a[static_cast<std::size_t>(to) * k + from] += q;
    a[static_cast<std::size_t>(from) * k + from] -= q;
  };
  const double human = m.p_live / m.answered_share;
  for (auto [b, c] : states) {
    const int i = index(b, c), d = n - b - c;
    if (d > 0) rate(i, index(b, c + 1), d / m.attempt_mean_s * m.answered_share);
    if (c > 0) {
      rate(i, index(b + 1, c - 1), c / m.amd_mean_s * human);
      rate(i, index(b, c - 1), c / m.amd_mean_s * (1 - human));
    }
    if (b > 0) rate(i, index(b - 1, c), b / m.handle_mean_s);
  }
  for (int j = 0; j < k; ++j) a[j] = 1.0;
  rhs[0] = 1.0;
  for (int col = 0; col < k; ++col) {  // Gaussian elimination, partial pivoting
    int piv = col;
    for (int row = col + 1; row < k; ++row) {
      if (std::fabs(a[static_cast<std::size_t>(row) * k + col]) >
          std::fabs(a[static_cast<std::size_t>(piv) * k + col]))
        piv = row;
    }
    for (int j = 0; j < k; ++j) {
      std::swap(a[static_cast<std::size_t>(col) * k + j], a[static_cast<std::size_t>(piv) * k + j]);
    }
    std::swap(rhs[col], rhs[piv]);
    for (int row = 0; row < k; ++row) {
      if (row == col) continue;
      const double f =
          a[static_cast<std::size_t>(row) * k + col] / a[static_cast<std::size_t>(col) * k + col];
      for (int j = col; j < k; ++j) {
        a[static_cast<std::size_t>(row) * k + j] -= f * a[static_cast<std::size_t>(col) * k + j];
      }
      rhs[row] -= f * rhs[col];
    }
  }
  double busy = 0;
  for (int i = 0; i < k; ++i)
    busy += states[i].first * rhs[i] / a[static_cast<std::size_t>(i) * k + i];
  EXPECT_NEAR(r.occupancy, busy / n, 1e-9);
  EXPECT_EQ(r.feasible.abandons_per_hour, 0.0);
  // Only the counted machine results make its counted rate: (answered - p) / p x 0.02.
  EXPECT_NEAR(r.abandon_rate, 0.02 * (0.4 - 0.245) / 0.245, 1e-9);
}

TEST(OptimumAmd, RefusesWhatItDoesNotModel) {
  auto expect_invalid = [](const OptimumModel& m, const std::string& field) {
    try {
      solve_optimum(m);
      ADD_FAILURE() << "no refusal for " << field;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  OptimumModel m = amd_model();
  m.hold_window_s = 2;
  m.handle_cv = 1.5;
  expect_invalid(m, "handle_cv");
  m = amd_model();
  m.answered_share = 0.2;  // fewer answered than handed to agents
  expect_invalid(m, "answered_share");
  m = amd_model();
  m.counted_abandons_per_machine = 1.5;
  expect_invalid(m, "counted_abandons_per_machine");
  m = amd_model();
  m.amd_mean_s = -1;
  expect_invalid(m, "amd_mean_s");
  m = amd_model();
  m.max_classifying = kOptimumMaxClassifying + 1;
  expect_invalid(m, "max_classifying");
}

// The AMD model against the simulator with the model's own distributions (exponential ringing,
// classification and handling, no hold window): progressive and the optimum's feasible targets
// read as calls not yet resolved per busy agents (a policy of the model that does not look at
// which calls are in classification; it passes the cap), run in the engine, give the occupancy
// and counted abandon rate the model computes for them (95 % interval over seeds).
// The simulator's world and campaign of amd_model() (exponential ringing, classification and
// handling; 2 % of people taken for machines, counted) with the hold window `hold_window` and a
// cap of 50 %, so that the policy alone sets the abandon rate.
std::pair<SimulationOptions, CampaignConfig> amd_world_and_campaign(const OptimumModel& m,
                                                                    Duration hold_window) {
  SimulationOptions world = stylised_world(1, 0.25, m.attempt_mean_s, m.handle_mean_s);
  world.parametric.p_machine = 0.15;
  world.parametric.p_busy = 0.6;
  world.amd_delay = Distribution::exponential(m.amd_mean_s);
  world.amd_false_positive = 0.02;
  CampaignConfig campaign = stylised_campaign("amd", 0.5, hold_window);
  campaign.amd = true;
  campaign.compliance.count_amd_false_positives = true;
  campaign.compliance.amd_false_positive_rate = m.counted_abandons_per_machine;
  return {world, campaign};
}

TEST(OptimumAmd, TheSimulatorAgreesWithTheModel) {
  OptimumModel m = amd_model();
  const OptimumResult opt = solve_optimum(m);
  ASSERT_TRUE(opt.threshold_form);
  m.max_in_flight = opt.max_in_flight;
  std::vector<int> progressive(static_cast<std::size_t>(m.agents) + 1);
  for (int b = 0; b <= m.agents; ++b) progressive[b] = m.agents - b;
  for (const std::vector<int>& target : {progressive, opt.feasible_target}) {
    const PolicyStats model = evaluate_threshold_policy(m, target);
    const double hours = 100;
    const auto [world, campaign] = amd_world_and_campaign(m, Duration(0));
    const SimulatedRuns runs =
        run_target(world, campaign, target, m.agents, hours,
                   static_cast<long>(hours * 3600 / m.attempt_mean_s * 6 * 1.3));
    const auto [o, o_ci] = mean_ci95(runs.occupancy);
    const auto [a, a_ci] = mean_ci95(runs.counted_rate);
    std::printf(
        "target %d..%d: simulated %.4f +- %.4f occupancy, %.4f +- %.4f counted abandon rate; "
        "model %.4f, %.4f; optimum %.4f\n",
        target.front(), target.back(), o, o_ci, a, a_ci, model.occupancy, model.abandon_rate,
        opt.occupancy);
    EXPECT_NEAR(o, model.occupancy, o_ci + 0.002);
    EXPECT_NEAR(a, model.abandon_rate, a_ci + 0.002);
  }
}

// AMD and a hold window together: as the window closes the model is the AMD one, and as the
// classification vanishes it is the hold-window one with the cap less the counted machine
// results; in between the window saves calls classified while every agent is busy.
TEST(OptimumAmdHoldWindow, TendsToTheAmdAndTheHoldWindowModels) {
  OptimumModel m = amd_model();
  m.patience_phases = 2;  // any k: the limits do not depend on it
  const OptimumResult amd = solve_optimum(m);
  m.hold_window_s = 1e-3;
  const OptimumResult closing = solve_optimum(m);
  EXPECT_NEAR(closing.occupancy, amd.occupancy, 2e-5);
  EXPECT_GT(closing.max_waiting, 0);
  EXPECT_EQ(closing.max_classifying, amd.max_classifying);
  m.hold_window_s = 2;
  const OptimumResult held = solve_optimum(m);
  EXPECT_TRUE(held.threshold_form);
  EXPECT_NEAR(held.abandon_rate, 0.03, 1e-9);
  EXPECT_FALSE(held.queue_binding);
  EXPECT_FALSE(held.classifying_binding);
  EXPECT_GT(held.occupancy, amd.occupancy + 0.003);
  EXPECT_GT(held.feasible.mean_waiting, 0);
  EXPECT_GT(held.feasible.mean_classifying, 0);

  m.amd_mean_s = 1e-3;
  OptimumModel hold = m;
  hold.amd_mean_s = 0;
  hold.abandon_cap = 0.03 - 0.02 * (0.4 - 0.245) / 0.245;
  const OptimumResult vanishing = solve_optimum(m);
  const OptimumResult hold_only = solve_optimum(hold);
  EXPECT_NEAR(vanishing.occupancy, hold_only.occupancy, 2e-5);
  EXPECT_NEAR(vanishing.abandons_per_hour / vanishing.live_answers_per_hour, hold_only.abandon_rate,
              1e-4);
}

// AMD and a hold window against the simulator with the model's own distributions (exponential
// ringing, classification and handling, a fixed 2 s window from the classification as a
// person): the optimum's feasible targets read as calls not yet resolved per busy agents, run
// in the engine, give the occupancy and counted abandon rate the model computes for them (95 %
// interval over seeds; the model's Erlang(4) patience stands in for the fixed window, ~1e-4 of
// occupancy). Read so, the targets pass the cap (they count a call in classification as one
// ringing), so their occupancy may pass the optimum's.
TEST(OptimumAmdHoldWindow, TheSimulatorAgreesWithTheModel) {
  OptimumModel m = amd_model();
  m.hold_window_s = 2;
  m.patience_phases = 4;
  const OptimumResult opt = solve_optimum(m);
  ASSERT_TRUE(opt.threshold_form);
  m.max_in_flight = opt.max_in_flight;
  m.max_waiting = opt.max_waiting;
  m.max_classifying = opt.max_classifying;
  const PolicyStats model = evaluate_threshold_policy(m, opt.feasible_target);
  EXPECT_LT(model.queue_full_probability, 1e-6);
  EXPECT_LT(model.classifying_full_probability, 1e-6);
  const double hours = 100;
  const auto [world, campaign] = amd_world_and_campaign(m, std::chrono::seconds(2));
  const SimulatedRuns runs =
      run_target(world, campaign, opt.feasible_target, m.agents, hours,
                 static_cast<long>(hours * 3600 / m.attempt_mean_s * 6 * 1.3));
  const auto [o, o_ci] = mean_ci95(runs.occupancy);
  const auto [a, a_ci] = mean_ci95(runs.counted_rate);
  std::printf(
      "simulated %.4f +- %.4f occupancy, %.4f +- %.4f counted abandon rate; model %.4f, %.4f; "
      "optimum %.4f (without the window %.4f)\n",
      o, o_ci, a, a_ci, model.occupancy, model.abandon_rate, opt.occupancy,
      solve_optimum(amd_model()).occupancy);
  EXPECT_NEAR(o, model.occupancy, o_ci + 0.002);
  EXPECT_NEAR(a, model.abandon_rate, a_ci + 0.002);
}

// Coxian handle times (OptimumModel::handle_cv): the two-moment fit at a coefficient of variation
// of 1 is the exponential itself, so the chain lumps to the stylised one; progressive's
// occupancy, each agent a renewal process of its own, depends on the handle time's mean alone.
TEST(OptimumCoxian, IsTheStylisedModelAtCvOneAndProgressiveIsInsensitive) {
  OptimumModel m;
  m.agents = 10;
  m.p_live = 0.25;
  m.abandon_cap = 0.03;
  const OptimumResult exponential = solve_optimum(m);
  m.handle_cv = 1 + 1e-12;
  EXPECT_NEAR(solve_optimum(m).occupancy, exponential.occupancy, 1e-9);
  double last = 0;
  for (double cv : {0.75, 0.9, 1.5, 2.0}) {
    m.handle_cv = cv;
    m.abandon_cap = 0;
    // p h / (a + p h) = 0.25 x 120 / (20 + 0.25 x 120).
    EXPECT_NEAR(solve_optimum(m).occupancy, 0.6, 1e-9) << cv;
    m.abandon_cap = 0.03;
    const OptimumResult r = solve_optimum(m);
    EXPECT_TRUE(r.threshold_form);
    EXPECT_NEAR(r.abandon_rate, 0.03, 1e-9);
    EXPECT_GT(r.occupancy, last) << cv;  // rises with the variation here
    EXPECT_EQ(r.occupancy < exponential.occupancy, cv < 1) << cv;
    last = r.occupancy;
  }
  m.handle_cv = 0.5;  // below what two phases fit
  EXPECT_THROW(solve_optimum(m), Error);
}

// Coxian handle times with a hold window: the hold-window model at a coefficient of variation of
// 1, the Coxian one as the window closes; the window still saves calls.
TEST(OptimumCoxianHoldWindow, IsTheHoldWindowModelAtCvOneAndTheCoxianOneAsTheWindowCloses) {
  OptimumModel m = small_team_model(2);
  m.patience_phases = 4;
  const OptimumResult hold = solve_optimum(m);
  m.handle_cv = 1 + 1e-12;
  EXPECT_NEAR(solve_optimum(m).occupancy, hold.occupancy, 1e-9);
  for (double cv : {0.75, 1.5}) {
    m.handle_cv = cv;
    m.hold_window_s = 2;
    const OptimumResult r = solve_optimum(m);
    EXPECT_TRUE(r.threshold_form);
    EXPECT_NEAR(r.abandon_rate, 0.03, 1e-9);
    EXPECT_FALSE(r.queue_binding);
    EXPECT_GT(r.feasible.mean_waiting, 0);
    EXPECT_EQ(r.occupancy < hold.occupancy, cv < 1) << cv;
    m.hold_window_s = 0;
    const OptimumResult coxian = solve_optimum(m);
    EXPECT_GT(r.occupancy, coxian.occupancy + 0.001) << cv;
    m.hold_window_s = 1e-3;
    EXPECT_NEAR(solve_optimum(m).occupancy, coxian.occupancy, 1e-5) << cv;
  }
  m.amd_mean_s = 2;
  m.answered_share = 0.6;
  EXPECT_THROW(solve_optimum(m), Error);  // not with AMD
}

// Coxian handle times against the simulator, whose talk times are drawn from 200,000 samples of
// the fitted Coxian itself: the optimum's feasible targets run in the engine give the occupancy
// and abandon rate the model computes for them, without a hold window and with a fixed 2 s one
// (the model's Erlang(4) patience standing in for it, ~1e-4 of occupancy).
TEST(OptimumCoxian, TheSimulatorAgreesWithTheModel) {
  OptimumModel m;
  m.agents = 10;
  m.p_live = 0.25;
  m.abandon_cap = 0.03;
  m.handle_cv = 0.75;
  m.patience_phases = 4;
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> first(2.0 / m.handle_mean_s),
      second(1.0 / (m.handle_mean_s * m.handle_cv * m.handle_cv));
  std::bernoulli_distribution on(1.0 / (2 * m.handle_cv * m.handle_cv));
  std::vector<double> samples(200000);
  for (double& x : samples) x = first(rng) + (on(rng) ? second(rng) : 0.0);
  SimulationOptions world = stylised_world(1, m.p_live, m.attempt_mean_s, m.handle_mean_s);
  world.parametric.talk = Distribution::empirical(samples);
  for (double hold_window_s : {0.0, 2.0}) {
    m.hold_window_s = hold_window_s;
    m.max_in_flight = 0;
    const OptimumResult opt = solve_optimum(m);
    ASSERT_TRUE(opt.threshold_form);
    m.max_in_flight = opt.max_in_flight;
    m.max_waiting = opt.max_waiting;
    const PolicyStats model = evaluate_threshold_policy(m, opt.feasible_target);
    const double hours = 100;
    const SimulatedRuns runs =
        run_target(world, stylised_campaign("coxian", 0.5, seconds_to_duration(hold_window_s)),
                   opt.feasible_target, m.agents, hours,
                   static_cast<long>(hours * 3600 / m.attempt_mean_s * 8 * 1.3));
    const auto [o, o_ci] = mean_ci95(runs.occupancy);
    const auto [a, a_ci] = mean_ci95(runs.abandon_rate);
    std::printf(
        "hold window %.0f s: simulated %.4f +- %.4f occupancy, %.4f +- %.4f abandon rate; model "
        "%.4f, %.4f\n",
        hold_window_s, o, o_ci, a, a_ci, model.occupancy, model.abandon_rate);
    EXPECT_NEAR(o, model.occupancy, o_ci + 0.002);
    EXPECT_NEAR(a, model.abandon_rate, a_ci + 0.002);
  }
}

TEST(Optimum, RejectsInvalidModels) {
  auto expect_invalid = [](OptimumModel m, const std::string& param) {
    try {
      solve_optimum(m);
      ADD_FAILURE() << "no exception for " << param;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(param), std::string::npos) << e.what();
    }
  };
  OptimumModel m;
  m.agents = 0;
  expect_invalid(m, "agents");
  m = {};
  m.p_live = 0;
  expect_invalid(m, "p_live");
  m = {};
  m.attempt_mean_s = -1;
  expect_invalid(m, "attempt_mean_s");
  m = {};
  m.handle_mean_s = 0;
  expect_invalid(m, "handle_mean_s");
  m = {};
  m.attempt_mean_s = 1e300;
  expect_invalid(m, "attempt_mean_s");
  m = {};
  m.handle_mean_s = std::nan("");
  expect_invalid(m, "handle_mean_s");
  m = {};
  m.abandon_cap = 1;
  expect_invalid(m, "abandon_cap");
  m = {};
  m.max_in_flight = -3;
  expect_invalid(m, "max_in_flight");
  m = {};
  m.tolerance = 0;
  expect_invalid(m, "tolerance");
}

}  // namespace
}  // namespace omnivox
