// The threshold model of call blending (Bhulai & Koole 2003, "A queueing model for call blending
// in call centers", IEEE Transactions on Automatic Control 48(8), 1434-1438): s agents answer
// inbound calls (Poisson, rate lambda, first come first served, no abandonment) and, while more
// than t of them would stay free, take outbound work (always available, started at once); every
// job's service is exponential with the same mean. With equal service rates the number of busy
// agents n is a birth-death chain on n >= s - t: births lambda, deaths min(n, s) mu for n > s - t
// (at n = s - t a freed agent starts outbound work at once, so n stays). Used by
// BlendingRule::kServiceLevel and by the tests and benchmarks that check the engine against it.
#ifndef OMNIVOX_BLENDING_H_
#define OMNIVOX_BLENDING_H_

#include "omnivox/types.h"

namespace omnivox {

/// The model's inputs.
struct ThresholdBlendModel {
  int agents = 10;                ///< s >= 1
  int reserve = 0;                ///< t, 0..s: outbound only while more than t agents are free
  double arrival_rate_per_s = 0;  ///< lambda >= 0
  double mean_service_s = 120.0;  ///< 1 / mu > 0, inbound and outbound alike
  Duration answer_within{20000};  ///< T of the service level
};

/// Stationary results. With lambda >= s mu the queue is unstable: waits are infinite, the
/// service level 0 and outbound throughput 0 (`stable` false).
struct ThresholdBlendResult {
  bool stable = true;
  double probability_wait = 0;  ///< an inbound call waits at all (PASTA)
  double mean_wait_s = 0;       ///< inbound, over all calls
  double service_level = 1;     ///< P(wait <= T)
  double outbound_per_s = 0;    ///< outbound jobs started per second
  double occupancy = 0;         ///< mean busy agents / s
};

/// Solves the model. Throws Error(kInvalidArgument) for inputs out of range.
ThresholdBlendResult solve_threshold_blend(const ThresholdBlendModel& model);

/// The smallest reserve t in 0..s whose service level is at least `target` (the most outbound
/// work that still meets it), or s when none does. `model.reserve` is ignored.
int reserve_for_service_level(ThresholdBlendModel model, double target);

}  // namespace omnivox

#endif  // OMNIVOX_BLENDING_H_
