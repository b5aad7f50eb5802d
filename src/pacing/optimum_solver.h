// The optimum solver of optimum.h with a stop flag, for solves on a worker thread (PREDICTIVE).
#ifndef OMNIVOX_PACING_OPTIMUM_SOLVER_H_
#define OMNIVOX_PACING_OPTIMUM_SOLVER_H_

#include <atomic>
#include <vector>

#include "omnivox/optimum.h"

namespace omnivox {

/// As solve_optimum(model), reading `stop` (relaxed) at every layer of a policy evaluation: once it
/// is true the solve gives up and throws Error(kState, "optimum: solve stopped"), so a worker whose
/// result is no longer wanted (a newer model, the policy destroyed) frees its thread within one
/// layer (milliseconds at most). Thread-safety: the solve touches nothing shared but `stop`.
OptimumResult solve_optimum_stoppable(const OptimumModel& model, const std::atomic<bool>& stop);

/// What a solve leaves for the next solve of a nearby model (same agents, estimates moved a
/// little, as PREDICTIVE re-solves): its last threshold policy and Lagrange multiplier. Starting
/// from them policy iteration begins near its answer (often at it) and the multiplier search
/// near its answer, instead of at lambda = 0 and (1 - cap) / cap.
struct OptimumWarmStart {
  int agents = 0;         ///< N of the solve that filled it (0: empty, the solve starts cold)
  int max_in_flight = 0;  ///< its D
  double lambda = 0;      ///< its multiplier (penalty per abandon, in connects)
  /// Targets T(b), b = 0..N, of its last Lagrangian problem's policy (clamped to the new D).
  std::vector<int> target;
};

/// As solve_optimum(model) (and solve_optimum_stoppable() when `stop` is given), starting from
/// `warm` when it was filled for the same number of agents, and refilling it. The result is
/// the same to the model's tolerance: only the starting points of the iterations differ, every
/// stopping test is the cold solve's. Thread-safety: `warm` belongs to the caller, one solve at
/// a time.
OptimumResult solve_optimum_warm(const OptimumModel& model, OptimumWarmStart& warm,
                                 const std::atomic<bool>* stop = nullptr);

/// The most calls in flight the abandon governor (omnivox/compliance.h, default mode, every call
/// in flight live with chance p_hi) lets b busy agents of `agents` hold, b = 0..agents, with
/// `budget` whole abandons left and no call waiting: the largest M <= most with
/// P(Binomial(M, p_hi) > budget + agents - b) <= risk, and never below agents - b (dialing up to
/// the free agents is always allowed). For OptimumModel::in_flight_limit. Pure, thread-safe.
std::vector<int> governor_in_flight_limit(int agents, int budget, double p_hi, double risk,
                                          int most);

}  // namespace omnivox

#endif  // OMNIVOX_PACING_OPTIMUM_SOLVER_H_
