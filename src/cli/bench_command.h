// `omnivox bench-pacing SCENARIO.json`: runs pacing policies over many seeds (common random
// numbers: every policy sees the same seeds) and prints a table — occupancy, abandon rate with a
// 95 % confidence interval, talk minutes per agent-hour, connects per hour, gap to the optimum
// where the stylised model applies — and writes CSV and JSON.
#ifndef OMNIVOX_CLI_BENCH_COMMAND_H_
#define OMNIVOX_CLI_BENCH_COMMAND_H_

#include <memory>
#include <string>
#include <vector>

#include "omnivox/pacing.h"

namespace omnivox::cli {

struct BenchArgs {
  std::string scenario_path;
  std::string out_dir = "omnivox-bench";
  int seeds = 0;     ///< 0: the scenario's
  double hours = 0;  ///< 0: the scenario's
  double cap = 0;    ///< abandon cap override (fraction); 0: the scenario's profile's
  std::vector<std::string> policies;  ///< empty: the scenario's
  /// When > 0 (and under the run's hours): occupancy is also measured from this many hours into
  /// each run to its end, the initial transient deleted as steady-state simulation estimates do
  /// (Law & Kelton, Simulation Modeling and Analysis, ch. 9) — the optimum of the stylised model
  /// is a long-run average, which a run's first hours (progressive warm-up, an abandon budget
  /// that has yet to accrue) cannot reach. Default: 0 (not measured).
  double warm_up_hours = 0;
};

/// A pacing policy from its bench name: "progressive", "power:2", "predictive", and the research
/// policies ("threshold:k=1.3,c=0", "expected_availability", "vicidial", "pi:threshold",
/// "open_loop:rate=0.5", "oracle"). Throws Error(kConfig) naming an unknown one.
/// `oracle_world` is the simulator (only the oracle uses it).
std::unique_ptr<PacingPolicy> make_bench_policy(const std::string& spec, void* oracle_world);

/// Runs the command; returns the exit code. Throws omnivox::Error for bad scenarios.
int bench_command(const BenchArgs& args);

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_BENCH_COMMAND_H_
