// The optimum reference for predictive pacing (see include/omnivox/optimum.h for the model).
#include "omnivox/optimum.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "pacing/optimum_solver.h"

namespace omnivox {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kCapMassLimit = 1e-9;
constexpr long long kMaxSweeps = 20'000'000;

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorCode::kInvalidArgument, what);
}

// %g keeps huge values (1e300) readable in messages, where std::to_string prints 300 digits.
std::string show(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void validate(const OptimumModel& m) {
  if (m.agents < 1) invalid("optimum: agents must be >= 1 (got " + std::to_string(m.agents) + ")");
  if (!(m.p_live > 0 && m.p_live <= 1)) {
    invalid("optimum: p_live must be in (0, 1] (got " + show(m.p_live) + ")");
  }
  const std::string time_range =
      " must be between " + show(kOptimumMinTimeS) + " and " + show(kOptimumMaxTimeS) + " s (got ";
  if (!(m.attempt_mean_s >= kOptimumMinTimeS && m.attempt_mean_s <= kOptimumMaxTimeS)) {
    invalid("optimum: attempt_mean_s" + time_range + show(m.attempt_mean_s) + ")");
  }
  if (!(m.handle_mean_s >= kOptimumMinTimeS && m.handle_mean_s <= kOptimumMaxTimeS)) {
    invalid("optimum: handle_mean_s" + time_range + show(m.handle_mean_s) + ")");
  }
  if (!(m.abandon_cap >= 0 && m.abandon_cap < 1)) {
    invalid("optimum: abandon_cap must be in [0, 1) (got " + show(m.abandon_cap) + ")");
  }
  if (m.max_in_flight < 0) {
    invalid("optimum: max_in_flight must be >= 0 (got " + std::to_string(m.max_in_flight) + ")");
  }
  if (!(m.tolerance > 0 && m.tolerance < 1e-2)) {
    invalid("optimum: tolerance must be in (0, 0.01) (got " + show(m.tolerance) + ")");
  }
}

// What a solve with in-flight cap D costs, known before anything is allocated.
struct SolveSize {
  double states = 0;  // (N + 1)(D + 1)
  double sweeps = 0;  // estimated sweeps of one whole solve (every lambda, values and stats)
  double work() const { return states * sweeps; }
  bool fits() const { return states <= kOptimumMaxStates && work() <= kOptimumMaxWork; }
};

// Sweeps: an empirical fit of this solver over N = 10..200, p_live = 0.01..0.25,
// attempt_mean_s / handle_mean_s = 1/60..10 and tolerance = 1e-9..1e-3, within ~30 % there and
// an overestimate for stiff models (attempt_mean_s << handle_mean_s): the uniformisation rate x
// sqrt(attempt x handle) x 400 N^-0.3, in proportion to log(1 / tolerance).
SolveSize solve_size(const OptimumModel& m, double max_in_flight) {
  const double n = m.agents;
  const double rate = (max_in_flight / m.attempt_mean_s + n / m.handle_mean_s) / 0.98;
  SolveSize size;
  size.states = (n + 1) * (max_in_flight + 1);
  size.sweeps = 400 * std::pow(n, -0.3) * rate * std::sqrt(m.attempt_mean_s * m.handle_mean_s) *
                std::log(1 / m.tolerance) / std::log(1e9);
  return size;
}

// Refuses, naming the inputs that set its size, a solve beyond kOptimumMaxStates or
// kOptimumMaxWork.
void require_fits(const OptimumModel& m, double max_in_flight) {
  const SolveSize size = solve_size(m, max_in_flight);
  if (size.fits()) return;
  const std::string model = m.max_in_flight > 0
                                ? "max_in_flight " + std::to_string(m.max_in_flight) + " with " +
                                      std::to_string(m.agents) + " agents"
                                : "p_live " + show(m.p_live) + " with " + std::to_string(m.agents) +
                                      " agents and attempt_mean_s / handle_mean_s = " +
                                      show(m.attempt_mean_s / m.handle_mean_s) +
                                      " (in-flight cap ~" + show(max_in_flight) + ")";
  const std::string remedy =
      m.max_in_flight > 0 ? "lower max_in_flight or agents" : "raise p_live or lower agents";
  if (!(size.states <= kOptimumMaxStates)) {
    invalid("optimum: " + model + " needs ~" + show(size.states) + " states, more than the limit " +
            show(kOptimumMaxStates) + "; " + remedy);
  }
  invalid("optimum: " + model + " needs ~" + show(size.work()) + " state updates (~" +
          show(size.states) + " states x ~" + show(size.sweeps) + " sweeps), more than the limit " +
          show(kOptimumMaxWork) + "; " + remedy + ", or raise tolerance");
}

// A deterministic stationary policy: for the pre-decision state (b, d), the post-decision
// in-flight level T (>= d).
using Policy = std::vector<int>;

// Raw long-run rates (per second) of one policy.
struct Rates {
  double connects = 0, abandons = 0, busy = 0, in_flight = 0, cap_mass = 0, launches = 0;
  double live() const { return connects + abandons; }
};

class Chain {
 public:
  Chain(const OptimumModel& m, int max_in_flight, const std::atomic<bool>* stop = nullptr)
      : stop_(stop),
        n_(m.agents),
        dmax_(max_in_flight),
        w_(max_in_flight + 1),
        p_(m.p_live),
        res_(1.0 / m.attempt_mean_s),
        hand_(1.0 / m.handle_mean_s),
        tol_(m.tolerance) {
    // Uniformisation rate, a little above the largest total event rate so the chain is
    // aperiodic.
    rate_ = (dmax_ * res_ + n_ * hand_) / 0.98;
    // Scale for stopping tests: connects per second at full occupancy.
    scale_ = n_ * hand_;
    res_by_d_.resize(w_);
    for (int d = 0; d <= dmax_; ++d) res_by_d_[d] = d * res_;
  }

  int states() const { return (n_ + 1) * w_; }
  int idx(int b, int d) const { return b * w_ + d; }

  // Largest target allowed with b busy agents.
  int cap(int b, bool zero_abandon) const { return zero_abandon ? std::min(dmax_, n_ - b) : dmax_; }

  // Pre-decision values W(b, d) = max_{d <= T <= cap(b)} h(b, T) (W = h(b, d) when d > cap)
  // and, if `arg` is given, the maximising T (ties -> the smaller T, i.e. fewer launches).
  void suffix_max(const std::vector<double>& h, bool zero_abandon, std::vector<double>& wv,
                  Policy* arg) const {
    for (int b = 0; b <= n_; ++b) {
      const int c = cap(b, zero_abandon);
      const double* hb = &h[idx(b, 0)];
      double* wb = &wv[idx(b, 0)];
      for (int d = dmax_; d > c; --d) wb[d] = hb[d];
      if (arg == nullptr) {
        double best = -kInf;
        for (int d = c; d >= 0; --d) {
          best = std::max(best, hb[d]);
          wb[d] = best;
        }
        continue;
      }
      int* ab = &(*arg)[idx(b, 0)];
      for (int d = dmax_; d > c; --d) ab[d] = d;
      double best = -kInf;
      int best_t = c;
      for (int d = c; d >= 0; --d) {
        if (hb[d] >= best) {
          best = hb[d];
          best_t = d;
        }
        wb[d] = best;
        ab[d] = best_t;
      }
    }
  }

  // Relative value iteration for reward 1 per connect and -lambda per abandon, on the
  // uniformised post-decision chain:
  //   h(b, d) = [ d/Ta (p (r + W(b', d-1)) + (1-p) W(b, d-1)) + b/Th W(b-1, d)
  //               + (rate - d/Ta - b/Th) W(b, d) ] / rate - g,
  // where b' = b+1 and r = 1 if b < N, else b' = N and r = -lambda (abandon); the fictitious
  // self-transition also lands in a pre-decision state, so the dialer may top up there too.
  // `h` is the warm start and returns the relative values (h(0, 0) = 0); returns the gain per
  // second and fills `policy`. Adds the sweeps used to `sweeps`.
  double rvi(double lambda, bool zero_abandon, std::vector<double>& h, Policy& policy,
             long long& sweeps) const {
    const int s_count = states();
    if (static_cast<int>(h.size()) != s_count) h.assign(s_count, 0.0);
    std::vector<double>& wv = scratch_;
    wv.resize(s_count);
    const double inv_rate = 1.0 / rate_;
    const double stop = tol_ * scale_ * inv_rate;  // span threshold, per-step units
    const double q = 1.0 - p_;
    double gain = 0;
    // One sweep; with kCheck it also measures the span of the increments. The span never
    // grows from one sweep to the next (value iteration does not expand it), so measuring every
    // kCheckEvery sweeps stops at most kCheckEvery - 1 sweeps later and never earlier. Without
    // the three running min/max chains the update loop vectorises (solves ~1.4x faster).
    double lo = kInf, hi = -kInf, mag = 0;
    auto sweep = [&]<bool kCheck>() {
      lo = kInf, hi = -kInf, mag = 0;
      double ref = 0;
      for (int b = 0; b <= n_; ++b) {
        const double rh = b * hand_;
        const double self0 = rate_ - rh;
        const double* wb = &wv[idx(b, 0)];
        const double* wdn = b > 0 ? &wv[idx(b - 1, 0)] : wb;  // rh = 0 when b = 0
        double* hb = &h[idx(b, 0)];
        // New values overwrite h in place (the sweep reads only wv); h(0, 0) is the first
        // value computed and becomes the reference.
        auto put = [&](int d, double v) {
          if constexpr (kCheck) {
            const double diff = v - hb[d];
            lo = std::min(lo, diff);
            hi = std::max(hi, diff);
            mag = std::max(mag, std::fabs(v));
          }
          hb[d] = v - ref;
        };
        const double v0 = (self0 * wb[0] + rh * wdn[0]) * inv_rate;
        if (b == 0) ref = v0;
        put(0, v0);
        if (b < n_) {
          // A live answer connects: reward 1, to (b+1, d-1).
          const double* wup = &wv[idx(b + 1, 0)];
          for (int d = 1; d <= dmax_; ++d) {
            const double ra = res_by_d_[d];
            put(d, ((self0 - ra) * wb[d] + ra * (p_ * (1.0 + wup[d - 1]) + q * wb[d - 1]) +
                    rh * wdn[d]) *
                       inv_rate);
          }
        } else {
          // All agents busy: a live answer is abandoned, reward -lambda, to (N, d-1).
          for (int d = 1; d <= dmax_; ++d) {
            const double ra = res_by_d_[d];
            put(d,
                ((self0 - ra) * wb[d] + ra * (wb[d - 1] - p_ * lambda) + rh * wdn[d]) * inv_rate);
          }
        }
      }
    };
    constexpr int kCheckEvery = 8;
    for (long long it = 0;; ++it) {
      check_stop();
      suffix_max(h, zero_abandon, wv, nullptr);
      const bool check = it % kCheckEvery == kCheckEvery - 1;
      if (check) {
        sweep.template operator()<true>();
      } else {
        sweep.template operator()<false>();
      }
      ++sweeps;
      if (!check) continue;
      gain = 0.5 * (lo + hi) * rate_;
      // Stop at the requested accuracy, or at the rounding floor of the values.
      if (hi - lo <= std::max(stop, 1e-14 * mag)) break;
      if (it > kMaxSweeps) {
        throw Error(ErrorCode::kInvalidArgument,
                    "optimum: relative value iteration did not converge");
      }
    }
    policy.assign(s_count, 0);
    suffix_max(h, zero_abandon, wv, &policy);
    return gain;
  }

  // Long-run rates of a policy from its stationary distribution (power iteration on the
  // uniformised post-decision chain; `pi` is the warm start and returns the distribution).
  // Converged when, over 16 sweeps, the rates move by less than the tolerance and both flow
  // balances hold to it: connects = busy / handle_mean and launches = resolutions.
  Rates stats(const Policy& pol, std::vector<double>& pi, long long& sweeps) const {
    const int s_count = states();
    if (static_cast<int>(pi.size()) != s_count) {
      pi.assign(s_count, 0.0);
      pi[idx(0, pol[idx(0, 0)])] = 1.0;
    }
    std::vector<double>& next = scratch_;
    next.resize(s_count);
    const double inv_rate = 1.0 / rate_;
    const double q = 1.0 - p_;
    // Every transition lands on a target of the policy, so a post-decision state of row b below
    // the least target there is never entered: a warm start's mass on one is moved to where the
    // policy sends it, and the sweeps skip those states (~85 % of them for N = 100).
    std::vector<int> first(n_ + 1);
    for (int b = 0; b <= n_; ++b) {
      const int* pol_b = &pol[idx(b, 0)];
      first[b] = *std::min_element(pol_b, pol_b + w_);
      double* row = &pi[idx(b, 0)];
      for (int d = 0; d < first[b]; ++d) {
        row[pol_b[d]] += row[d];
        row[d] = 0;
      }
    }
    Rates prev = rates(pi, pol);
    for (long long it = 1;; ++it) {
      check_stop();
      std::fill(next.begin(), next.end(), 0.0);
      for (int b = 0; b <= n_; ++b) {
        const double rh = b * hand_ * inv_rate;
        const double self0 = 1.0 - rh;
        const double* row = &pi[idx(b, 0)];
        const int* pol_b = &pol[idx(b, 0)];
        const int* pol_up = b < n_ ? &pol[idx(b + 1, 0)] : pol_b;
        const int* pol_dn = b > 0 ? &pol[idx(b - 1, 0)] : pol_b;
        double* out_b = &next[idx(b, 0)];
        double* out_up = b < n_ ? &next[idx(b + 1, 0)] : out_b;
        double* out_dn = b > 0 ? &next[idx(b - 1, 0)] : out_b;
        for (int d = first[b]; d <= dmax_; ++d) {
          const double m = row[d];
          if (m == 0) continue;
          const double ra = res_by_d_[d] * inv_rate;
          out_b[d] += m * (self0 - ra);
          if (d > 0) {
            out_up[pol_up[d - 1]] += m * ra * p_;  // connect, or abandon when b = N
            out_b[pol_b[d - 1]] += m * ra * q;
          }
          if (b > 0) out_dn[pol_dn[d]] += m * rh;
        }
      }
      pi.swap(next);
      ++sweeps;
      if (it % 16 == 0) {
        const Rates r = rates(pi, pol);
        const double err = std::max(
            {std::fabs(r.connects - prev.connects), std::fabs(r.abandons - prev.abandons),
             std::fabs(r.connects - r.busy * hand_), std::fabs(r.launches - r.in_flight * res_)});
        prev = r;
        if (err <= std::max(tol_, 1e-13) * scale_) return r;
      }
      if (it > kMaxSweeps) {
        throw Error(ErrorCode::kInvalidArgument,
                    "optimum: the stationary distribution did not converge");
      }
    }
  }

  Rates rates(const std::vector<double>& pi, const Policy& pol) const {
    Rates r;
    double total = 0;
    for (int b = 0; b <= n_; ++b) {
      const int* pol_up = b < n_ ? &pol[idx(b + 1, 0)] : &pol[idx(b, 0)];
      const int* pol_b = &pol[idx(b, 0)];
      const int* pol_dn = b > 0 ? &pol[idx(b - 1, 0)] : pol_b;
      for (int d = 0; d <= dmax_; ++d) {
        const double m = pi[idx(b, d)];
        if (m == 0) continue;
        total += m;
        const double res = m * res_by_d_[d];
        if (b < n_)
          r.connects += res * p_;
        else
          r.abandons += res * p_;
        r.busy += m * b;
        r.in_flight += m * d;
        if (d == dmax_) r.cap_mass += m;
        // Launches at the next event: the policy's top-up from the pre-decision state.
        if (d > 0) {
          r.launches += res * p_ * (pol_up[d - 1] - (d - 1));
          r.launches += res * (1 - p_) * (pol_b[d - 1] - (d - 1));
        }
        if (b > 0) r.launches += m * b * hand_ * (pol_dn[d] - d);
      }
    }
    r.connects /= total;
    r.abandons /= total;
    r.busy /= total;
    r.in_flight /= total;
    r.cap_mass /= total;
    r.launches /= total;
    return r;
  }

  // Checks that the policy is "launch up to T(b)": for every b, the pre-decision choice is
  // max(d, T(b)) up to value ties of size eps. Fills target on success.
  bool threshold(const std::vector<double>& h, const Policy& pol, bool zero_abandon,
                 std::vector<int>& target) const {
    target.assign(n_ + 1, 0);
    const double eps = 1e3 * tol_;
    for (int b = 0; b <= n_; ++b) {
      const int t0 = pol[idx(b, 0)];
      target[b] = t0;
      // h(b, .) must not rise again beyond t0 (within the allowed range).
      double run_max = -kInf;
      const int c = cap(b, zero_abandon);
      for (int d = c; d > t0; --d) {
        if (h[idx(b, d)] < run_max - eps) return false;
        run_max = std::max(run_max, h[idx(b, d)]);
      }
    }
    return true;
  }

  // The threshold policy for `target` (pre-decision (b, d) -> max(d, target[b])).
  Policy from_target(const std::vector<int>& target) const {
    Policy pol(states());
    for (int b = 0; b <= n_; ++b) {
      for (int d = 0; d <= dmax_; ++d) pol[idx(b, d)] = std::max(d, target[b]);
    }
    return pol;
  }

  double hand() const { return hand_; }

 private:
  void check_stop() const {
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
      throw Error(ErrorCode::kState, "optimum: solve stopped");
    }
  }

  const std::atomic<bool>* stop_;
  int n_, dmax_, w_;
  double p_, res_, hand_, tol_;
  double rate_, scale_;
  std::vector<double> res_by_d_;  // d / attempt_mean_s
  // One buffer of states() doubles shared by rvi() and stats() (never both at once), so a
  // solve allocates it once rather than per Lagrangian problem.
  mutable std::vector<double> scratch_;
};

PolicyStats to_stats(const Rates& r, const OptimumModel& m) {
  PolicyStats s;
  s.occupancy = r.busy / m.agents;
  s.connects_per_hour = r.connects * 3600.0;
  s.abandons_per_hour = r.abandons * 3600.0;
  s.live_answers_per_hour = r.live() * 3600.0;
  s.attempts_per_hour = r.in_flight / m.attempt_mean_s * 3600.0;
  s.abandon_rate = r.live() > 0 ? r.abandons / r.live() : 0.0;
  s.mean_in_flight = r.in_flight;
  s.cap_probability = r.cap_mass;
  return s;
}

// In double: for tiny p_live it is far beyond int, and require_fits refuses it before any cast.
double auto_in_flight(const OptimumModel& m) {
  // Mean in flight at full occupancy is N (attempt/handle) / p; leave room for the dips of b
  // below N (each idle agent wants ~1/p more in flight), and at least N so that progressive
  // (abandon_cap = 0) is never truncated. Grown by solve_optimum while the cap is reached.
  const double n = m.agents, p = m.p_live;
  const double full = n * m.attempt_mean_s / (m.handle_mean_s * p);
  return std::max(n, std::ceil(1.2 * full + 3.0 * std::sqrt(n) / p + 10.0));
}

struct Solved {
  Policy policy;
  Rates rates;
  std::vector<int> target;
  bool threshold = false;
};

// h and pi carry the relative values and the stationary distribution in and out (empty: cold).
// warm_lambda > 0 is the multiplier of a previous solve of a nearby model: the bracket is then
// grown outwards from it rather than from [0, (1 - cap) / cap], whose ends are far from the
// answer and cost most of a cold solve's sweeps.
OptimumResult solve_with_cap(const OptimumModel& m, int dmax, const std::atomic<bool>* stop,
                             std::vector<double>& h, std::vector<double>& pi, double warm_lambda) {
  Chain chain(m, dmax, stop);
  OptimumResult out;
  out.max_in_flight = dmax;
  bool all_threshold = true;

  auto solve = [&](double lambda, bool zero_abandon) {
    Solved s;
    chain.rvi(lambda, zero_abandon, h, s.policy, out.rvi_sweeps);
    ++out.lambda_iterations;
    s.threshold = chain.threshold(h, s.policy, zero_abandon, s.target);
    if (s.threshold) {
      s.policy = chain.from_target(s.target);
    } else {
      all_threshold = false;
      s.target.clear();
    }
    s.rates = chain.stats(s.policy, pi, out.stat_sweeps);
    return s;
  };
  auto finish = [&](const Solved& feasible, const Solved& infeasible, double w, double lambda) {
    out.lambda = lambda;
    out.feasible = to_stats(feasible.rates, m);
    out.infeasible = to_stats(infeasible.rates, m);
    out.feasible_target = feasible.target;
    out.infeasible_target = infeasible.target;
    out.mixing_weight = w;
    Rates mix;
    mix.connects = w * feasible.rates.connects + (1 - w) * infeasible.rates.connects;
    mix.abandons = w * feasible.rates.abandons + (1 - w) * infeasible.rates.abandons;
    mix.busy = w * feasible.rates.busy + (1 - w) * infeasible.rates.busy;
    mix.in_flight = w * feasible.rates.in_flight + (1 - w) * infeasible.rates.in_flight;
    const PolicyStats s = to_stats(mix, m);
    out.occupancy = s.occupancy;
    out.connects_per_hour = s.connects_per_hour;
    out.abandons_per_hour = s.abandons_per_hour;
    out.live_answers_per_hour = s.live_answers_per_hour;
    out.attempts_per_hour = s.attempts_per_hour;
    out.abandon_rate = s.abandon_rate;
    out.threshold_form = all_threshold;
    out.cap_binding =
        std::max(out.feasible.cap_probability, out.infeasible.cap_probability) > kCapMassLimit;
    return out;
  };

  const double alpha = m.abandon_cap;
  if (alpha == 0) {
    const Solved s = solve(0.0, true);
    return finish(s, s, 1.0, kInf);
  }
  // Constraint value K = (1 - alpha) A - alpha C; feasible iff K <= 0.
  auto k_of = [&](const Rates& r) { return (1 - alpha) * r.abandons - alpha * r.connects; };
  const double slack = m.tolerance * chain.hand() * m.agents;  // rate units

  const double lambda_top = (1 - alpha) / alpha;
  double lambda_lo = 0.0;
  double lambda_hi = lambda_top;
  Solved lo, hi;
  bool have_lo = false, have_hi = false;
  // Makes s the bracket's feasible (hi) or infeasible (lo) end.
  auto place = [&](Solved&& s, double lambda) {
    if (k_of(s.rates) <= 0) {
      hi = std::move(s);
      lambda_hi = lambda;
      have_hi = true;
    } else {
      lo = std::move(s);
      lambda_lo = lambda;
      have_lo = true;
    }
  };
  if (warm_lambda > 0 && warm_lambda < lambda_top) {
    // The optimal abandon rate does not rise with lambda, so one side of the crossing is found
    // by stepping away from warm_lambda by a growing factor; estimates that moved by ~10 %
    // move lambda by about as much, so the first or second step usually brackets it.
    Solved first = solve(warm_lambda, false);
    const bool feasible = k_of(first.rates) <= 0;
    place(std::move(first), warm_lambda);
    for (double step = 0.1; !(have_lo && have_hi); step *= 3) {
      const double lambda = warm_lambda * (feasible ? 1 - step : 1 + step);
      // Out of range: the cold start's end (lambda = 0 or (1 - cap) / cap) decides.
      if (lambda <= 0.05 * warm_lambda || lambda >= lambda_top) break;
      place(solve(lambda, false), lambda);
    }
  }
  if (!have_lo) {
    lo = solve(0.0, false);
    if (k_of(lo.rates) <= 0) return finish(lo, lo, 1.0, 0.0);
    lambda_lo = 0.0;
  }
  if (!have_hi) {
    lambda_hi = lambda_top;
    hi = solve(lambda_hi, false);
    // At lambda = (1-alpha)/alpha the Lagrangian is proportional to -K, so its maximiser is
    // feasible (progressive has K <= 0); guard against numerical noise anyway.
    for (int guard = 0; k_of(hi.rates) > 0 && guard < 8; ++guard) {
      lambda_hi *= 4;
      hi = solve(lambda_hi, false);
    }
  }
  auto mix_and_finish = [&](double lambda) {
    const double k_lo = k_of(lo.rates), k_hi = k_of(hi.rates);
    const double w = k_lo - k_hi > 0 ? std::clamp(k_lo / (k_lo - k_hi), 0.0, 1.0) : 1.0;
    return finish(hi, lo, w, lambda);
  };
  for (int it = 0; it < 200; ++it) {
    const Rates& a = lo.rates;
    const Rates& c = hi.rates;
    // Step to where the two Lagrangian lines C - lambda A cross (the infeasible policy has
    // more abandons); fall back to bisection if that is not strictly inside the bracket.
    const double width = lambda_hi - lambda_lo;
    double lambda = a.abandons > c.abandons ? (a.connects - c.connects) / (a.abandons - c.abandons)
                                            : lambda_lo - 1.0;
    const bool crossing = lambda > lambda_lo + 1e-9 * width && lambda < lambda_hi - 1e-9 * width;
    if (!crossing) lambda = 0.5 * (lambda_lo + lambda_hi);
    Solved mid = solve(lambda, false);
    if (crossing) {
      // Both lines have the same value here. If no policy beats it, both bracketing policies
      // are optimal at this lambda and their mixture is the constrained optimum.
      const double line = a.connects - lambda * a.abandons;
      const double value = mid.rates.connects - lambda * mid.rates.abandons;
      if (mid.policy == lo.policy || mid.policy == hi.policy || value <= line + slack) {
        return mix_and_finish(lambda);
      }
    }
    place(std::move(mid), lambda);
    if (lambda_hi - lambda_lo <= 1e-12 * lambda_hi) return mix_and_finish(lambda);
  }
  throw Error(ErrorCode::kInvalidArgument, "optimum: the Lagrangian search did not converge");
}

// Re-lays per-state vectors of a (agents + 1) x (old_w) grid on one of width new_w: rows are
// truncated or padded with `pad_last` ? the row's last entry : 0. Empty when the agents differ.
void relayout(std::vector<double>& v, int agents, int old_w, int new_w, bool pad_last) {
  if (old_w <= 0 || static_cast<long long>(v.size()) != (agents + 1LL) * old_w) {
    v.clear();
    return;
  }
  if (old_w == new_w) return;
  std::vector<double> out(static_cast<std::size_t>(agents + 1) * new_w);
  for (int b = 0; b <= agents; ++b) {
    const double* row = &v[static_cast<std::size_t>(b) * old_w];
    double* dst = &out[static_cast<std::size_t>(b) * new_w];
    for (int d = 0; d < new_w; ++d) dst[d] = d < old_w ? row[d] : (pad_last ? row[old_w - 1] : 0.0);
  }
  v.swap(out);
}

OptimumResult solve(const OptimumModel& model, const std::atomic<bool>* stop,
                    OptimumWarmStart* warm) {
  validate(model);
  std::vector<double> h, pi;
  double warm_lambda = 0;
  int width = 0;  // of h and pi
  if (warm != nullptr && warm->agents == model.agents && warm->max_in_flight > 0) {
    h = std::move(warm->values);
    pi = std::move(warm->distribution);
    width = warm->max_in_flight + 1;
    if (std::isfinite(warm->lambda)) warm_lambda = warm->lambda;
  }
  auto run = [&](int dmax) {
    relayout(h, model.agents, width, dmax + 1, true);
    relayout(pi, model.agents, width, dmax + 1, false);
    width = dmax + 1;
    if (!pi.empty() && std::all_of(pi.begin(), pi.end(), [](double x) { return x == 0; })) {
      pi.clear();
    }
    OptimumResult r = solve_with_cap(model, dmax, stop, h, pi, warm_lambda);
    if (warm != nullptr) {
      warm->agents = model.agents;
      warm->max_in_flight = dmax;
      warm->lambda = r.lambda;
      warm->values = h;
      warm->distribution = pi;
    }
    return r;
  };
  if (model.max_in_flight > 0) {
    require_fits(model, model.max_in_flight);
    return run(model.max_in_flight);
  }
  double dmax = auto_in_flight(model);
  require_fits(model, dmax);
  for (;;) {
    OptimumResult r = run(static_cast<int>(dmax));
    const double next = std::ceil(dmax * 1.25);
    if (!r.cap_binding || dmax > 64 * model.agents / model.p_live ||
        !solve_size(model, next).fits()) {
      return r;
    }
    dmax = next;
  }
}

}  // namespace

OptimumResult solve_optimum(const OptimumModel& model) { return solve(model, nullptr, nullptr); }

OptimumResult solve_optimum_stoppable(const OptimumModel& model, const std::atomic<bool>& stop) {
  return solve(model, &stop, nullptr);
}

OptimumResult solve_optimum_warm(const OptimumModel& model, OptimumWarmStart& warm,
                                 const std::atomic<bool>* stop) {
  return solve(model, stop, &warm);
}

PolicyStats evaluate_threshold_policy(const OptimumModel& model, const std::vector<int>& target) {
  validate(model);
  if (model.max_in_flight <= 0) {
    invalid("evaluate_threshold_policy: max_in_flight must be > 0");
  }
  if (static_cast<int>(target.size()) != model.agents + 1) {
    invalid("evaluate_threshold_policy: target must have agents + 1 entries");
  }
  for (int t : target) {
    if (t < 0 || t > model.max_in_flight) {
      invalid("evaluate_threshold_policy: target entries must be in [0, max_in_flight]");
    }
  }
  require_fits(model, model.max_in_flight);
  Chain chain(model, model.max_in_flight);
  std::vector<double> pi;
  long long sweeps = 0;
  return to_stats(chain.stats(chain.from_target(target), pi, sweeps), model);
}

}  // namespace omnivox
