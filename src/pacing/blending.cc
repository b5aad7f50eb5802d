#include "omnivox/blending.h"

#include <cmath>
#include <string>
#include <vector>

namespace omnivox {

ThresholdBlendResult solve_threshold_blend(const ThresholdBlendModel& m) {
  if (m.agents < 1 || m.reserve < 0 || m.reserve > m.agents || !(m.arrival_rate_per_s >= 0) ||
      !(m.mean_service_s > 0)) {
    throw Error(ErrorCode::kInvalidArgument,
                "solve_threshold_blend: need agents >= 1, 0 <= reserve <= agents, arrival rate "
                ">= 0 and mean service > 0");
  }
  const int s = m.agents, low = m.agents - m.reserve;
  const double lambda = m.arrival_rate_per_s, mu = 1.0 / m.mean_service_s;
  ThresholdBlendResult r;
  const double rho = lambda / (s * mu);
  if (rho >= 1.0) {
    r.stable = false;
    r.probability_wait = 1;
    r.mean_wait_s = INFINITY;
    r.service_level = 0;
    r.outbound_per_s = 0;
    r.occupancy = 1;
    return r;
  }
  // Unnormalised weights of n = low..s, relative to n = low.
  std::vector<double> w(static_cast<std::size_t>(s - low + 1));
  w[0] = 1.0;
  for (int n = low + 1; n <= s; ++n) w[n - low] = w[n - low - 1] * lambda / (n * mu);
  const double tail = w.back() / (1.0 - rho);  // n >= s: geometric with ratio rho
  double total = tail, busy = s * tail;
  for (int n = low; n < s; ++n) {
    total += w[n - low];
    busy += n * w[n - low];
  }
  const double p_low = w[0] / total, p_s = w.back() / total;
  r.probability_wait = p_s / (1.0 - rho);
  const double queue = p_s * rho / ((1.0 - rho) * (1.0 - rho));
  r.mean_wait_s = lambda > 0 ? queue / lambda : 0.0;
  // A call that waits leaves the queue at rate s mu - lambda (the M/M/s tail).
  r.service_level =
      1.0 - r.probability_wait * std::exp(-(s * mu - lambda) * to_seconds(m.answer_within));
  r.outbound_per_s = low * mu * p_low;
  r.occupancy = busy / total / s;
  return r;
}

int reserve_for_service_level(ThresholdBlendModel model, double target) {
  for (int t = 0; t <= model.agents; ++t) {
    model.reserve = t;
    if (solve_threshold_blend(model).service_level >= target) return t;
  }
  return model.agents;
}

}  // namespace omnivox
