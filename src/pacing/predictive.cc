// PREDICTIVE: certainty-equivalent optimal control over the stylised model of optimum.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "omnivox/optimum.h"
#include "omnivox/pacing.h"

namespace omnivox {
namespace {

class PredictivePolicy final : public PacingPolicy {
 public:
  explicit PredictivePolicy(const PredictiveOptions& o) : options_(o) {}
  std::string name() const override { return "predictive"; }

  int decide(const PacingSnapshot& s) override {
    const int busy = s.agents_busy;
    const int staffed = s.agents_idle + busy;  // agents who can take calls (not paused)
    const int progressive = std::max(s.agents_idle - s.calls_pending - s.calls_waiting, 0);
    if (staffed <= 0) return 0;
    // Early estimates are biased (short calls finish first): wait for a sample that grows with
    // the team before trusting them.
    if (s.attempts_resolved < std::max<long>(options_.warm_up_attempts, 20L * staffed) ||
        s.recent_handle_s.size() < 10) {
      return progressive;
    }
    const double target = options_.target_share_of_cap * s.abandon_cap;
    adjust_allowance(s, target);
    if (allowance_ <= 0) allowance_ = target;

    const double p = std::clamp(s.live_answer_probability, 0.02, 1.0);
    const double attempt_mean = std::max(s.mean_time_to_resolve_s, 1.0);
    const double handle_mean = std::max(s.mean_handle_s, 1.0);  // campaign average: stable
    const int modelled = std::min(staffed, 100);
    auto [sol, fit] = choose(modelled, p, attempt_mean, handle_mean, s.attempts_resolved);
    if (sol == nullptr || !sol->ok) return progressive;
    // Time-share the two bracketing thresholds by the measured rate: under target, the bolder.
    const std::vector<int>& targets =
        s.abandon_rate < target && !sol->infeasible.empty() ? sol->infeasible : sol->feasible;
    // A solution for another team size (teams over 100, or a size not solved yet) is scaled.
    double scale = static_cast<double>(staffed) / fit;
    int b = std::min(static_cast<int>(std::lround((busy + s.calls_waiting) / scale)),
                     static_cast<int>(targets.size()) - 1);
    int wanted_in_flight = static_cast<int>(std::lround(targets[b] * scale));
    return std::max(wanted_in_flight - s.calls_pending, progressive);
  }

 private:
  struct Solution {
    bool ok = false;
    std::vector<int> feasible, infeasible;
  };

  // The model's abandon allowance follows the measured rate (the world is not the model); it
  // moves in coarse steps and only on a clear miss, so the solver rarely has to run again.
  void adjust_allowance(const PacingSnapshot& s, double target) {
    if (allowance_step_ == kUnset) allowance_step_ = 0;
    if (s.live_answers < last_adjust_live_ + options_.adjust_every_live_answers &&
        s.live_answers >= last_adjust_live_) {
      return;
    }
    last_adjust_live_ = s.live_answers;
    // The two bracketing thresholds already steer the rate to the target; only a clear miss
    // over a large sample means the model itself is off.
    if (s.live_answers < 2000) return;
    if (s.abandon_rate > 1.15 * target) {
      --allowance_step_;
    } else if (s.abandon_rate < 0.75 * target) {
      ++allowance_step_;
    }
    allowance_step_ = std::clamp(allowance_step_, -10, 6);
    allowance_ = target * std::pow(1.2, allowance_step_);
  }

  // The current solution is kept until the team size or allowance changes or an estimate moves
  // more than 8 % from the values it was solved for (hysteresis: estimates that hover around a
  // value do not trigger re-solving).
  // The solution for `agents` and the team size it was solved for. Solutions are kept per team
  // size until the model changes: an estimate moved more than 10 % (re-solving for drift alone
  // waits for the sample to double, so a campaign re-solves O(log attempts) times) or the
  // abandon allowance stepped. A team size not solved yet uses the nearest solved one, scaled,
  // until it has held for 100 resolved attempts (agents logging in or out one by one at a shift
  // change must not trigger a solve each).
  std::pair<const Solution*, int> choose(int agents, double p, double attempt_mean,
                                         double handle_mean, long resolved) {
    auto far = [](double a, double b) { return std::abs(std::log(a / b)) > 0.10; };
    bool drifted = far(p, at_.p_live) || far(attempt_mean, at_.attempt_mean_s) ||
                   far(handle_mean, at_.handle_mean_s);
    bool grown = resolved >= std::max(resolved_at_solve_ + 200L, 2 * resolved_at_solve_);
    if (!solved_ || allowance_step_ != at_step_ || (drifted && grown)) {
      solved_ = true;
      resolved_at_solve_ = resolved;
      at_step_ = allowance_step_;
      at_.p_live = std::min(1.0, p);
      at_.attempt_mean_s = attempt_mean;
      at_.handle_mean_s = handle_mean;
      at_.abandon_cap = std::min(0.5, allowance_);
      at_.tolerance = 1e-3;  // occupancy within ~0.1 % of the exact optimum, 4x faster
      by_agents_.clear();
    }
    if (agents != last_agents_) {
      last_agents_ = agents;
      agents_since_ = resolved;
    }
    if (auto it = by_agents_.find(agents); it != by_agents_.end()) return {&it->second, agents};
    if (by_agents_.empty() || resolved - agents_since_ >= 100) {
      return {&solve_for(agents), agents};
    }
    auto nearest = by_agents_.begin();
    for (auto it = by_agents_.begin(); it != by_agents_.end(); ++it) {
      if (std::abs(it->first - agents) < std::abs(nearest->first - agents)) nearest = it;
    }
    return {&nearest->second, nearest->first};
  }

  const Solution& solve_for(int agents) {
    if (std::getenv("OMNIVOX_DEBUG_PREDICTIVE")) {
      std::fprintf(stderr, "predictive: solve N=%d step=%d p=%.4f attempt=%.2f handle=%.2f\n",
                   agents, allowance_step_, at_.p_live, at_.attempt_mean_s, at_.handle_mean_s);
    }
    OptimumModel m = at_;
    m.agents = agents;
    Solution sol;
    try {
      OptimumResult r = solve_optimum(m);
      if (r.threshold_form && !r.feasible_target.empty()) {
        sol.ok = true;
        sol.feasible = r.feasible_target;
        sol.infeasible = r.infeasible_target;
      }
    } catch (const std::exception&) {
      sol.ok = false;
    }
    return by_agents_.emplace(agents, std::move(sol)).first->second;
  }

  static constexpr int kUnset = -1000;
  PredictiveOptions options_;
  int allowance_step_ = kUnset;
  double allowance_ = 0;
  long last_adjust_live_ = 0;
  bool solved_ = false;
  long resolved_at_solve_ = 0;
  int at_step_ = 0;
  OptimumModel at_;
  std::map<int, Solution> by_agents_;
  int last_agents_ = -1;
  long agents_since_ = 0;
};

}  // namespace

std::unique_ptr<PacingPolicy> make_predictive_policy(const PredictiveOptions& options) {
  return std::make_unique<PredictivePolicy>(options);
}

}  // namespace omnivox
