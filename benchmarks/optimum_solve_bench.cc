// Solve time of the optimum solver (omnivox/optimum.h), cold and warm-started, for the team
// sizes and answer rates PREDICTIVE solves for (benchmarks/README.md, docs/pacing.md).
//
// "warm" is what PREDICTIVE does when an estimate moves: the model was solved before with
// p_live 10 % higher (the re-solve threshold) and that solve's values and multiplier seed this
// one. Each time is the median of --repeat runs; the occupancy columns show that the warm
// solve lands on the cold one's optimum to the tolerance.
//
// --cpu times the solves in CPU time of the process rather than wall time (the bench is single
// threaded), for a machine shared with other work.
//
// --limits instead solves once each the large models docs/pacing.md quotes near the refusal
// limits (kOptimumMaxStates, kOptimumMaxInFlight, kOptimumMaxWork) and prints their CPU time,
// or the refusal (~2 minutes of CPU in all).
//
// --hold instead solves the hold-window model (OptimumModel::hold_window_s = 2 s) of the
// small-team and noon-drop fits (docs/pacing.md, "The realistic scenarios") for k = 1, 4, 8, 16
// patience phases, with the stylised solve (H = 0) of the same model first: CPU time, the W
// reached, occupancy (tolerance 1e-6).
//
// --governor-limit instead compares, at N = 5 and 10, p = 0.1 and 0.25 (attempts 20 s, handling
// 120 s) and PREDICTIVE's allowance of 2.7 %, the optimum's feasible policy cut at the abandon
// governor's limit (governor_in_flight_limit: budget K whole abandons, p_hi = 1.1 p, a chance
// of 1e-8 a decision) with the model solved within that limit (OptimumModel::in_flight_limit) at
// the cut policy's own abandon rate and at 2.7 % (docs/pacing.md, "Planning within the
// governor's limit"). Occupancies as shares of the optimum at 2.7 %, tolerance 1e-6.
//
// --amd instead solves the AMD model (OptimumModel::amd_mean_s) of the amd-stylised-N10
// scenario (p 0.245, answered 0.4, ringing 20 s, handling 120 s, 0.02 abandons counted per
// machine result, cap 3 %) for classification means of 1-8 s at N = 5 and 10, and evaluates
// in it what PREDICTIVE solves instead: the stylised model with p and the attempt time to the
// classification's end (20 + 0.4 A s), its two bracketing targets read as targets of the calls
// not yet resolved (PREDICTIVE cannot tell which are in classification): the counted abandon
// rate of its feasible targets at the cap less the counted machine results, and the best
// occupancy over allowances (60 steps up to that cap) of the two time-shared to the cap, as
// PREDICTIVE's allowance loop and switch would settle (docs/pacing.md, "Beyond the stylised
// model: AMD"). Tolerance 1e-6, CPU time of the AMD solve.
//
// --amd-hold instead solves the AMD model with a 2 s hold window (OptimumModel::amd_mean_s and
// hold_window_s together) of amd-stylised-N10 (N = 5, 10) and of amd-ofcom-N10's fit by means
// (p 0.349, answered 0.41, ringing 15.93 s, handling 162.8 s, classification 2.5 s, 0.05
// abandons counted per machine result; N = 10, 20) for k = 2, 4, 8 patience phases, after the
// same model without the window: CPU time, the W and C reached and whether a solved policy
// still reaches them, occupancy (tolerance 1e-6; docs/pacing.md, "AMD with a hold window").
//
// --predictive-hold instead times the hold-window solves PREDICTIVE makes (2 s window, its
// tolerance 1e-3) for the bank replay's fit (p 0.536, attempts 14.2 s, handling 237.8 s) and the
// noon drop's second stretch (p 0.25, 18.8 s, 95 s) at N = 10, 20, 50, by patience phases k,
// after the stylised solve (no window) of the same model: cold, and warm after the model with
// p_live 10 % higher (as the default mode), median of --repeat, CPU time; W and occupancy.
//
// --handle-cv instead solves the model with Coxian handle times (OptimumModel::handle_cv) of
// the stylised p = 0.25 (N = 5, 10, 20), the small team's fit and the bank replay's fit (without
// their hold window, N = 10-50 for the bank's, whose N = 50 is past the work limit; and with their
// 2 s window, k = 8, N = 5 and N = 10-20) at the coefficients of variation of their handle times,
// against the exponential (cv 1): how far the reference moves when the handle time's second moment
// enters (docs/pacing.md). Tolerance 1e-6, CPU time of the Coxian solve.
//
//   omnivox_optimum_solve_bench [--tolerance 1e-3] [--repeat 3] [--markdown] [--cpu] [--limits]
//                               [--hold] [--governor-limit] [--amd] [--amd-hold]
//                               [--handle-cv] [--predictive-hold]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <string>
#include <vector>

#include "omnivox/optimum.h"
#include "pacing/optimum_solver.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

bool cpu_time = false;

template <class F>
double time_ms(F&& f) {
  if (cpu_time) {
    const std::clock_t c0 = std::clock();
    f();
    return 1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  }
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// One solve per model near the limits: CPU seconds, or the refusal's message.
int run_limits() {
  struct Case {
    int agents;
    double p_live, tolerance;
  } cases[] = {{100, 0.1, 1e-9},  {200, 0.25, 1e-9}, {500, 0.25, 1e-3}, {700, 0.25, 1e-3},
               {10, 0.001, 1e-9}, {50, 0.001, 1e-3}, {800, 0.25, 1e-3}, {10, 1e-4, 1e-3}};
  std::printf(
      "| N | p_live | tolerance | D | Lagrangian problems | policy evaluations | CPU (s) |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---|\n");
  for (const Case& c : cases) {
    omnivox::OptimumModel m;
    m.agents = c.agents;
    m.p_live = c.p_live;
    m.tolerance = c.tolerance;
    omnivox::OptimumResult r;
    std::string refused;
    const double ms = time_ms([&] {
      try {
        r = omnivox::solve_optimum(m);
      } catch (const std::exception& e) {
        refused = e.what();
      }
    });
    if (!refused.empty()) {
      std::printf("| %d | %g | %g | — | — | — | refused: %s |\n", c.agents, c.p_live, c.tolerance,
                  refused.c_str());
    } else {
      std::printf("| %d | %g | %g | %d | %d | %d | %.2f |\n", c.agents, c.p_live, c.tolerance,
                  r.max_in_flight, r.lambda_iterations, r.policy_evaluations, ms / 1000);
    }
    std::fflush(stdout);
  }
  return 0;
}

// The hold-window model's solve against the stylised one's, by patience phases.
// A scenario's fit (docs/pacing.md, "The realistic scenarios") or a stylised model, and the
// coefficient of variation of its handle times.
struct Fit {
  const char* name;
  int agents;
  double p_live, attempt_mean_s, handle_mean_s;
  double cv = 1;
  double hold_window_s = 0;
};

// The fit's model (exponential handle times, its hold window) at tolerance 1e-6.
omnivox::OptimumModel model_of(const Fit& f) {
  omnivox::OptimumModel m;
  m.agents = f.agents;
  m.p_live = f.p_live;
  m.attempt_mean_s = f.attempt_mean_s;
  m.handle_mean_s = f.handle_mean_s;
  m.hold_window_s = f.hold_window_s;
  m.tolerance = 1e-6;
  return m;
}

int run_hold() {
  const Fit fits[] = {{"small team", 5, 0.45, 15.8, 121.7},
                      {"noon drop 0-3 h", 20, 0.40, 16.4, 110.0},
                      {"noon drop 3-12 h", 20, 0.25, 18.8, 95.0}};
  std::printf("| fit | N | p | k | W | queue binding | occupancy | CPU (ms) |\n");
  std::printf("|---|---:|---:|---:|---:|---|---:|---:|\n");
  for (const Fit& f : fits) {
    for (int k : {0, 1, 4, 8, 16}) {
      omnivox::OptimumModel m = model_of(f);
      m.hold_window_s = k == 0 ? 0.0 : 2.0;
      m.patience_phases = k;
      omnivox::OptimumResult r;
      const double ms = time_ms([&] { r = omnivox::solve_optimum(m); });
      std::printf("| %s | %d | %.2f | %s | %d | %s | %.6f | %.0f |\n", f.name, f.agents, f.p_live,
                  k == 0 ? "no window" : std::to_string(k).c_str(), r.max_waiting,
                  r.queue_binding ? "yes" : "no", r.occupancy, ms);
      std::fflush(stdout);
    }
  }
  return 0;
}

int run_governor_limit() {
  std::printf(
      "| N | p | K | limit T(b) <= (b = 0..N) | optimum's feasible policy cut at the limit | "
      "within the limit, same abandon rate | within the limit at 2.7 %% |\n");
  std::printf("|---:|---:|---:|---|---|---|---|\n");
  const double allowance = 0.027;
  for (double p : {0.10, 0.25}) {
    for (int n : {5, 10}) {
      omnivox::OptimumModel m;
      m.agents = n;
      m.p_live = p;
      m.abandon_cap = allowance;
      m.tolerance = 1e-6;
      const omnivox::OptimumResult free = omnivox::solve_optimum(m);
      omnivox::OptimumModel fixed = m;
      fixed.max_in_flight = free.max_in_flight;
      for (int budget : {2, 4, 6, 8, 10}) {
        const std::vector<int> limit =
            omnivox::governor_in_flight_limit(n, budget, 1.1 * p, 1e-8, free.max_in_flight);
        std::vector<int> cut = free.feasible_target;
        for (int b = 0; b <= n; ++b) cut[b] = std::min(cut[b], limit[b]);
        const omnivox::PolicyStats cut_stats = omnivox::evaluate_threshold_policy(fixed, cut);
        omnivox::OptimumModel within = m;
        within.in_flight_limit = limit;
        const omnivox::OptimumResult at_allowance = omnivox::solve_optimum(within);
        within.abandon_cap = cut_stats.abandon_rate;
        const omnivox::OptimumResult same_rate = omnivox::solve_optimum(within);
        std::string shown;
        for (int b = 0; b <= n; ++b) shown += (b ? " " : "") + std::to_string(limit[b]);
        auto share = [&](double occupancy, double rate) {
          char cell[64];
          std::snprintf(cell, sizeof cell, "%.2f %% at %.2f %%", 100 * occupancy / free.occupancy,
                        100 * rate);
          return std::string(cell);
        };
        std::printf("| %d | %.2f | %d | %s | %s | %s | %s |\n", n, p, budget, shown.c_str(),
                    share(cut_stats.occupancy, cut_stats.abandon_rate).c_str(),
                    share(same_rate.occupancy, same_rate.abandon_rate).c_str(),
                    share(at_allowance.occupancy, at_allowance.abandon_rate).c_str());
        std::fflush(stdout);
      }
    }
  }
  return 0;
}

int run_amd() {
  std::printf(
      "| N | classification (s) | AMD optimum | C | CPU (ms) | stylised reduction at the cap less "
      "the counted machines, in the AMD model | best allowance of the reduction | its occupancy "
      "in the AMD model at 3 %% | of the AMD optimum |\n");
  std::printf("|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
  for (int n : {5, 10}) {
    for (double amd : {1.0, 2.0, 4.0, 8.0}) {
      omnivox::OptimumModel m;
      m.agents = n;
      m.p_live = 0.245;
      m.attempt_mean_s = 20;
      m.handle_mean_s = 120;
      m.abandon_cap = 0.03;
      m.tolerance = 1e-6;
      m.amd_mean_s = amd;
      m.answered_share = 0.4;
      m.counted_abandons_per_machine = 0.02;
      omnivox::OptimumResult r;
      const double ms = time_ms([&] { r = omnivox::solve_optimum(m); });
      omnivox::OptimumModel reduced = m;
      reduced.amd_mean_s = 0;
      reduced.attempt_mean_s = m.attempt_mean_s + m.answered_share * amd;
      const double counted =
          m.counted_abandons_per_machine * (m.answered_share - m.p_live) / m.p_live;
      omnivox::OptimumModel fixed = m;
      fixed.max_classifying = r.max_classifying;
      // The reduction solved at an allowance, its two targets evaluated in the AMD model and
      // time-shared to the cap when they straddle it (as PREDICTIVE's switch and its allowance
      // loop would); -1 when they do not.
      auto at_cap = [&](double allowance, double* first_rate) {
        reduced.abandon_cap = allowance;
        const omnivox::OptimumResult s = omnivox::solve_optimum(reduced);
        fixed.max_in_flight = std::max(r.max_in_flight, s.max_in_flight);
        const omnivox::PolicyStats lo =
            omnivox::evaluate_threshold_policy(fixed, s.feasible_target);
        const omnivox::PolicyStats hi =
            omnivox::evaluate_threshold_policy(fixed, s.infeasible_target);
        if (first_rate != nullptr) *first_rate = lo.abandon_rate;
        const double e_lo = (lo.abandon_rate - m.abandon_cap) * lo.live_answers_per_hour;
        const double e_hi = (hi.abandon_rate - m.abandon_cap) * hi.live_answers_per_hour;
        if (e_lo > 0 || e_hi < 0) return -1.0;
        const double w = e_hi - e_lo > 0 ? e_hi / (e_hi - e_lo) : 1.0;
        return w * lo.occupancy + (1 - w) * hi.occupancy;
      };
      double rate_at_reduced_cap = 0;
      at_cap(m.abandon_cap - counted, &rate_at_reduced_cap);
      double best = 0, best_allowance = 0;
      for (int k = 1; k <= 60; ++k) {
        const double allowance = (m.abandon_cap - counted) * k / 60.0;
        const double occupancy = at_cap(allowance, nullptr);
        if (occupancy > best) best = occupancy, best_allowance = allowance;
      }
      std::printf("| %d | %.0f | %.4f | %d | %.0f | %.2f %% counted | %.2f %% | %.4f | %.2f %% |\n",
                  n, amd, r.occupancy, r.max_classifying, ms, 100 * rate_at_reduced_cap,
                  100 * best_allowance, best, 100 * best / r.occupancy);
      std::fflush(stdout);
    }
  }
  return 0;
}

int run_amd_hold() {
  struct AmdFit {
    const char* name;
    int agents;
    double p_live, attempt_mean_s, handle_mean_s, answered_share, amd_mean_s, per_machine;
  };
  const AmdFit fits[] = {{"amd-stylised-N10", 5, 0.245, 20, 120, 0.4, 2, 0.02},
                         {"amd-stylised-N10", 10, 0.245, 20, 120, 0.4, 2, 0.02},
                         {"amd-ofcom-N10 fit", 10, 0.349, 15.93, 162.77, 0.41, 2.5, 0.05},
                         {"amd-ofcom-N10 fit", 20, 0.349, 15.93, 162.77, 0.41, 2.5, 0.05}};
  std::printf("| model | N | k | W | C | limits reached | occupancy | CPU (ms) |\n");
  std::printf("|---|---:|---:|---:|---:|---|---:|---:|\n");
  for (const AmdFit& f : fits) {
    omnivox::OptimumModel m;
    m.agents = f.agents;
    m.p_live = f.p_live;
    m.attempt_mean_s = f.attempt_mean_s;
    m.handle_mean_s = f.handle_mean_s;
    m.abandon_cap = 0.03;
    m.tolerance = 1e-6;
    m.amd_mean_s = f.amd_mean_s;
    m.answered_share = f.answered_share;
    m.counted_abandons_per_machine = f.per_machine;
    for (int k : {0, 2, 4, 8}) {
      m.hold_window_s = k == 0 ? 0 : 2;
      m.patience_phases = k;
      try {
        omnivox::OptimumResult r;
        const double ms = time_ms([&] { r = omnivox::solve_optimum(m); });
        const std::string reached = r.queue_binding && r.classifying_binding ? "W and C"
                                    : r.queue_binding                        ? "W"
                                    : r.classifying_binding                  ? "C"
                                                                             : "no";
        std::printf("| %s | %d | %s | %d | %d | %s | %.6f | %.0f |\n", f.name, f.agents,
                    k == 0 ? "no window" : std::to_string(k).c_str(), r.max_waiting,
                    r.max_classifying, reached.c_str(), r.occupancy, ms);
      } catch (const std::exception& e) {
        std::printf("| %s | %d | %d | — | — | — | — | refused: %s |\n", f.name, f.agents, k,
                    e.what());
      }
      std::fflush(stdout);
    }
  }
  return 0;
}

int run_handle_cv() {
  const Fit fits[] = {{"stylised p 0.25", 5, 0.25, 20, 120, 0.75},
                      {"stylised p 0.25", 5, 0.25, 20, 120, 1.5},
                      {"stylised p 0.25", 10, 0.25, 20, 120, 0.75},
                      {"stylised p 0.25", 10, 0.25, 20, 120, 1.5},
                      {"stylised p 0.25", 20, 0.25, 20, 120, 0.75},
                      {"stylised p 0.25", 20, 0.25, 20, 120, 1.5},
                      {"small team, no window", 5, 0.45, 15.8, 121.7, 0.952},
                      {"bank replay, no window", 10, 0.536, 14.2, 237.8, 0.927},
                      {"bank replay, no window", 20, 0.536, 14.2, 237.8, 0.927},
                      {"bank replay, no window", 40, 0.536, 14.2, 237.8, 0.927},
                      {"bank replay, no window", 50, 0.536, 14.2, 237.8, 0.927},
                      {"small team, 2 s window", 5, 0.45, 15.8, 121.7, 0.952, 2},
                      {"bank replay, 2 s window", 10, 0.536, 14.2, 237.8, 0.927, 2},
                      {"bank replay, 2 s window", 20, 0.536, 14.2, 237.8, 0.927, 2}};
  std::printf("| fit | N | p | cv | exponential | Coxian | change (points) | CPU (ms) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Fit& f : fits) {
    omnivox::OptimumModel m = model_of(f);
    const omnivox::OptimumResult exponential = omnivox::solve_optimum(m);
    m.handle_cv = f.cv;
    try {
      omnivox::OptimumResult r;
      const double ms = time_ms([&] { r = omnivox::solve_optimum(m); });
      std::printf("| %s | %d | %.3f | %.3f | %.4f | %.4f | %+.2f | %.0f |\n", f.name, f.agents,
                  f.p_live, f.cv, exponential.occupancy, r.occupancy,
                  100 * (r.occupancy - exponential.occupancy), ms);
    } catch (const std::exception& e) {
      std::printf("| %s | %d | %.3f | %.3f | %.4f | — | — | refused: %s |\n", f.name, f.agents,
                  f.p_live, f.cv, exponential.occupancy, e.what());
    }
    std::fflush(stdout);
  }
  return 0;
}

int run_predictive_hold(int repeat) {
  const Fit fits[] = {
      {"bank replay", 10, 0.536, 14.2, 237.8},    {"bank replay", 20, 0.536, 14.2, 237.8},
      {"bank replay", 50, 0.536, 14.2, 237.8},    {"noon drop 3-12 h", 10, 0.25, 18.8, 95.0},
      {"noon drop 3-12 h", 20, 0.25, 18.8, 95.0}, {"noon drop 3-12 h", 50, 0.25, 18.8, 95.0}};
  std::printf("| fit | N | k | W | occupancy | cold (ms CPU) | warm (ms CPU) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const Fit& f : fits) {
    for (int k : {0, 1, 2, 4, 8}) {
      omnivox::OptimumModel m = model_of(f);
      m.tolerance = 1e-3;
      m.hold_window_s = k == 0 ? 0.0 : 2.0;
      m.patience_phases = k;
      omnivox::OptimumModel before = m;
      before.p_live = f.p_live * 1.1;
      std::vector<double> cold_ms, warm_ms;
      omnivox::OptimumResult cold;
      for (int i = 0; i < repeat; ++i) {
        cold_ms.push_back(time_ms([&] { cold = omnivox::solve_optimum(m); }));
        omnivox::OptimumWarmStart start;
        omnivox::solve_optimum_warm(before, start);
        warm_ms.push_back(time_ms([&] { omnivox::solve_optimum_warm(m, start); }));
      }
      std::printf("| %s | %d | %s | %d | %.5f | %.0f | %.0f |\n", f.name, f.agents,
                  k == 0 ? "no window" : std::to_string(k).c_str(), cold.max_waiting,
                  cold.occupancy, median(cold_ms), median(warm_ms));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double tolerance = 1e-3;  // PREDICTIVE's
  int repeat = 3;
  bool markdown = false;
  bool limits = false;
  bool hold = false;
  bool governor_limit = false;
  bool amd = false;
  bool amd_hold = false;
  bool handle_cv = false;
  bool predictive_hold = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--tolerance") && i + 1 < argc) {
      tolerance = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--markdown")) {
      markdown = true;
    } else if (!std::strcmp(argv[i], "--cpu")) {
      cpu_time = true;
    } else if (!std::strcmp(argv[i], "--limits")) {
      limits = true;
    } else if (!std::strcmp(argv[i], "--hold")) {
      hold = true;
    } else if (!std::strcmp(argv[i], "--governor-limit")) {
      governor_limit = true;
    } else if (!std::strcmp(argv[i], "--amd")) {
      amd = true;
    } else if (!std::strcmp(argv[i], "--amd-hold")) {
      amd_hold = true;
    } else if (!std::strcmp(argv[i], "--handle-cv")) {
      handle_cv = true;
    } else if (!std::strcmp(argv[i], "--predictive-hold")) {
      predictive_hold = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--tolerance T] [--repeat K] [--markdown] [--cpu] [--limits] "
                   "[--hold] [--governor-limit] [--amd] [--amd-hold] [--handle-cv] "
                   "[--predictive-hold]\n",
                   argv[0]);
      return 2;
    }
  }
  if (limits) {
    cpu_time = true;
    return run_limits();
  }
  if (hold) {
    cpu_time = true;
    return run_hold();
  }
  if (governor_limit) return run_governor_limit();
  if (amd) {
    cpu_time = true;
    return run_amd();
  }
  if (amd_hold) {
    cpu_time = true;
    return run_amd_hold();
  }
  if (handle_cv) {
    cpu_time = true;
    return run_handle_cv();
  }
  if (predictive_hold) {
    cpu_time = true;
    return run_predictive_hold(repeat);
  }
  if (markdown) {
    const char* unit = cpu_time ? "ms CPU" : "ms";
    std::printf("| N | p_live | cold (%s) | warm (%s) | occupancy cold | occupancy warm |\n", unit,
                unit);
    std::printf("|---:|---:|---:|---:|---:|---:|\n");
  } else {
    std::printf("attempt 20 s, handle 120 s, cap 3 %%, tolerance %g, median of %d, %s time\n",
                tolerance, repeat, cpu_time ? "CPU" : "wall");
    std::printf("%5s %6s %10s %10s %10s %10s %8s %14s %14s\n", "N", "p", "cold_ms", "warm_ms",
                "occ_cold", "occ_warm", "lambda", "problems c/w", "evals c/w");
  }
  int failures = 0;
  for (double p : {0.25, 0.10}) {
    for (int n : {20, 50, 100}) {
      omnivox::OptimumModel m;
      m.agents = n;
      m.p_live = p;
      m.attempt_mean_s = 20;
      m.handle_mean_s = 120;
      m.abandon_cap = 0.03;
      m.tolerance = tolerance;
      omnivox::OptimumModel before = m;
      before.p_live = p * 1.1;

      std::vector<double> cold_ms, warm_ms;
      omnivox::OptimumResult cold, warm;
      for (int k = 0; k < repeat; ++k) {
        cold_ms.push_back(time_ms([&] { cold = omnivox::solve_optimum(m); }));
        omnivox::OptimumWarmStart start;
        omnivox::solve_optimum_warm(before, start);
        warm_ms.push_back(time_ms([&] { warm = omnivox::solve_optimum_warm(m, start); }));
      }
      // The solver's own accuracy: occupancy to ~tolerance of full occupancy.
      if (std::fabs(cold.occupancy - warm.occupancy) > 10 * tolerance) ++failures;
      if (markdown) {
        std::printf("| %d | %.2f | %.0f | %.0f | %.5f | %.5f |\n", n, p, median(cold_ms),
                    median(warm_ms), cold.occupancy, warm.occupancy);
      } else {
        std::printf("%5d %6.2f %10.1f %10.1f %10.6f %10.6f %8.4f %6d/%-7d %6d/%-7d\n", n, p,
                    median(cold_ms), median(warm_ms), cold.occupancy, warm.occupancy, cold.lambda,
                    cold.lambda_iterations, warm.lambda_iterations, cold.policy_evaluations,
                    warm.policy_evaluations);
      }
      std::fflush(stdout);
    }
  }
  if (failures > 0) std::fprintf(stderr, "%d warm solves off the cold optimum\n", failures);
  return failures > 0 ? 1 : 0;
}
