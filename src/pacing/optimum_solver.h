// The optimum solver of optimum.h with a stop flag, for solves on a worker thread (PREDICTIVE).
#ifndef OMNIVOX_PACING_OPTIMUM_SOLVER_H_
#define OMNIVOX_PACING_OPTIMUM_SOLVER_H_

#include <atomic>

#include "omnivox/optimum.h"

namespace omnivox {

/// As solve_optimum(model), reading `stop` (relaxed) before every sweep: once it is true the
/// solve gives up and throws Error(kState, "optimum: solve stopped"), so a worker whose result
/// is no longer wanted (a newer model, the policy destroyed) frees its thread within a sweep
/// (milliseconds at most). Thread-safety: the solve touches nothing shared but `stop`.
OptimumResult solve_optimum_stoppable(const OptimumModel& model, const std::atomic<bool>& stop);

}  // namespace omnivox

#endif  // OMNIVOX_PACING_OPTIMUM_SOLVER_H_
