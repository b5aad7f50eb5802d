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
// Policy evaluations a solve is budgeted for in the work estimate: solves of N = 2..200,
// p_live = 0.001..0.5 took 19-102 (most at tolerance 1e-9, where the multiplier search takes
// ~15 Lagrangian problems of ~6 evaluations each).
constexpr double kEvaluationBudget = 120;
// A policy evaluation's cost per state beyond its N + 7 unknowns (the scalar passes, the
// improvement step, the bookkeeping), in units of one unknown: measured ~35 ns against ~0.5 ns.
constexpr double kStateOverhead = 64;

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

// What a solve with in-flight cap D costs, known before anything is allocated: a policy
// evaluation updates N + 7 coefficients per state (one per landing state, N + 1 for a
// threshold policy, g and the five averaged streams) and solves a dense system of N + 2
// unknowns.
struct SolveSize {
  double in_flight = 0;   // D
  double states = 0;      // (N + 1)(D + 1)
  double evaluation = 0;  // operations of one policy evaluation (~0.5 ns each)
  double work() const { return evaluation * kEvaluationBudget; }
  bool fits() const {
    return in_flight <= kOptimumMaxInFlight && states <= kOptimumMaxStates &&
           work() <= kOptimumMaxWork;
  }
};

SolveSize solve_size(const OptimumModel& m, double max_in_flight) {
  const double n = m.agents;
  SolveSize size;
  size.in_flight = max_in_flight;
  size.states = (n + 1) * (max_in_flight + 1);
  size.evaluation = size.states * (n + 7 + kStateOverhead) + std::pow(n + 2, 3) / 3;
  return size;
}

// Refuses, naming the inputs that set its size, a solve beyond kOptimumMaxStates,
// kOptimumMaxInFlight or kOptimumMaxWork.
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
  if (!(size.in_flight <= kOptimumMaxInFlight)) {
    invalid("optimum: " + model + " needs an in-flight cap of ~" + show(size.in_flight) +
            ", more than the limit " + show(kOptimumMaxInFlight) + "; " + remedy);
  }
  invalid("optimum: " + model + " needs ~" + show(size.work()) + " operations (~" +
          show(size.evaluation) + " per policy evaluation over ~" + show(size.states) +
          " states, x " + show(kEvaluationBudget) + " evaluations), more than the limit " +
          show(kOptimumMaxWork) + "; " + remedy);
}

// A deterministic stationary policy: for the pre-decision state (b, d), the post-decision
// in-flight level T (>= d).
using Policy = std::vector<int>;

// Raw long-run rates (per second) and time averages of one policy.
struct Rates {
  double connects = 0, abandons = 0, busy = 0, in_flight = 0, cap_mass = 0;
  double live() const { return connects + abandons; }
};

// The reward streams one evaluation averages at once: connects and abandons (per second), and
// the time averages of b, d and [d = D].
enum Stream { kConnects, kAbandons, kBusy, kInFlight, kAtCap, kStreams };

class Chain {
 public:
  Chain(const OptimumModel& m, int max_in_flight, const std::atomic<bool>* stop = nullptr)
      : stop_(stop),
        n_(m.agents),
        dmax_(max_in_flight),
        w_(max_in_flight + 1),
        p_(m.p_live),
        res_(1.0 / m.attempt_mean_s),
        hand_(1.0 / m.handle_mean_s) {
    // Connects per second at full occupancy: the unit of the gain in the reduced system.
    scale_ = n_ * hand_;
  }

  int states() const { return (n_ + 1) * w_; }
  int idx(int b, int d) const { return b * w_ + d; }

  // Largest target allowed with b busy agents.
  int cap(int b, bool zero_abandon) const { return zero_abandon ? std::min(dmax_, n_ - b) : dmax_; }
  // Least target: with nobody busy the dialer launches at least one attempt (it cannot abandon,
  // and the post-decision state (0, 0) would never change again).
  static int least(int b) { return b == 0 ? 1 : 0; }

  // Long-run rates of `pol` and, when `h` is given, the relative values h(b, d) of the
  // post-decision states for reward 1 per connect and -lambda per abandon; returns the gain per
  // second of that reward. Exact up to rounding: no iteration, no tolerance.
  //
  // The continuous-time chain moves from (b, d) to (b + 1, d - 1) on a connect, to (b, d - 1)
  // on a failure or (b = N) an abandon, and to (b - 1, d) when a call ends; the policy may then
  // top up. With k = b + d, a natural move keeps k (connect, towards larger b) or lowers it, and
  // only a top-up raises it. Every top-up lands on one of few "landing" states, (b, T(b)) for a
  // threshold policy. So the bias equations
  //   q(s) h(s) = r(s) - g + sum_s' q(s, s') h(post(s')),   q(s) = d / attempt + b / handle,
  // are solved by one pass over the states in order of k (and of falling b within k) that writes
  // each state's h as an affine function of g and the landing states' values (the coefficients
  // are the probabilities of the landing state reached first, the expected time and rewards
  // until then), followed by a dense solve of the landing states' own equations, one unknown
  // per landing state plus g (Puterman, Markov Decision Processes, s. 8.6: policy evaluation of
  // a unichain policy; the chain is unichain since all attempts failing and all calls ending
  // leads every state to the same top-up from (0, 0)).
  Rates evaluate(const Policy& pol, double lambda, std::vector<double>* h, double* gain) const {
    if (pol[idx(0, 0)] == 0) {
      // (0, 0) never changes and every state reaches it: the policy ends up dialling nothing.
      if (h != nullptr) h->assign(states(), 0.0);
      if (gain != nullptr) *gain = 0;
      return Rates{};
    }
    std::vector<int>& land = land_;
    land.assign(states(), -1);
    land_state_.clear();
    for (int b = 0; b <= n_; ++b) {
      for (int d = 0; d <= dmax_; ++d) {
        const int t = pol[idx(b, d)];
        if (t != d && land[idx(b, t)] < 0) {
          land[idx(b, t)] = static_cast<int>(land_state_.size());
          land_state_.push_back(idx(b, t));
        }
      }
    }
    const int nl = static_cast<int>(land_state_.size());
    const int width = nl + 1 + kStreams;  // landing values, g (scaled), streams
    const int time_col = nl;
    const int stream_col = nl + 1;
    rows_.assign(static_cast<std::size_t>(nl) * width, 0.0);
    cur_.assign(static_cast<std::size_t>(n_ + 1) * width, 0.0);
    prev_.assign(static_cast<std::size_t>(n_ + 1) * width, 0.0);
    for (int k = 0; k <= n_ + dmax_; ++k) {
      check_stop();
      cur_.swap(prev_);
      const int b_hi = std::min(n_, k), b_lo = std::max(0, k - dmax_);
      for (int b = b_hi; b >= b_lo; --b) {
        const int d = k - b;
        const int s = idx(b, d);
        const double q = d * res_ + b * hand_;
        double* out = land[s] >= 0 ? &rows_[static_cast<std::size_t>(land[s]) * width]
                                   : &cur_[static_cast<std::size_t>(b) * width];
        std::fill(out, out + width, 0.0);
        if (q == 0) continue;  // (0, 0): never entered, since pol(0, 0) >= 1
        const double inv = 1.0 / q;
        // A move to the pre-decision state (pb, pd) with probability w: to its post-decision
        // state, a landing state (a unit coefficient) or one computed earlier in this pass.
        auto add = [&](const std::vector<double>& layer, int pb, int pd, double w) {
          const int l = land[idx(pb, pol[idx(pb, pd)])];
          if (l >= 0) {
            out[l] += w;
            return;
          }
          const double* v = &layer[static_cast<std::size_t>(pb) * width];
          for (int j = 0; j < width; ++j) out[j] += w * v[j];
        };
        const double resolve = d * res_ * inv;
        if (d > 0) {
          if (b < n_) {
            add(cur_, b + 1, d - 1, resolve * p_);
            add(prev_, b, d - 1, resolve * (1 - p_));
          } else {
            add(prev_, b, d - 1, resolve);
          }
        }
        if (b > 0) add(prev_, b - 1, d, b * hand_ * inv);
        out[time_col] -= scale_ * inv;
        out[stream_col + (b < n_ ? kConnects : kAbandons)] += resolve * p_;
        out[stream_col + kBusy] += b * inv;
        out[stream_col + kInFlight] += d * inv;
        if (d == dmax_) out[stream_col + kAtCap] += inv;
      }
    }
    // The landing states' equations h_l = sum_m c_m h_m + c_g g / scale + c_r, and h = 0 at the
    // landing state of (0, 0), for the unknowns (h_l..., g / scale) and each stream's rewards.
    const int dim = nl + 1;
    std::vector<double>& a = system_;
    a.assign(static_cast<std::size_t>(dim) * dim, 0.0);
    std::vector<double>& x = solution_;
    x.assign(static_cast<std::size_t>(dim) * kStreams, 0.0);
    for (int l = 0; l < nl; ++l) {
      const double* c = &rows_[static_cast<std::size_t>(l) * width];
      double* row = &a[static_cast<std::size_t>(l) * dim];
      for (int m = 0; m < nl; ++m) row[m] = -c[m];
      row[l] += 1.0;
      row[nl] = -c[time_col];
      for (int j = 0; j < kStreams; ++j)
        x[static_cast<std::size_t>(l) * kStreams + j] = c[stream_col + j];
    }
    a[static_cast<std::size_t>(nl) * dim + land[idx(0, pol[idx(0, 0)])]] = 1.0;
    solve_dense(a, x, dim, kStreams);
    const double* g = &x[static_cast<std::size_t>(nl) * kStreams];
    Rates r;
    r.connects = g[kConnects] * scale_;
    r.abandons = g[kAbandons] * scale_;
    r.busy = g[kBusy] * scale_;
    r.in_flight = g[kInFlight] * scale_;
    r.cap_mass = g[kAtCap] * scale_;
    const double gain_l = r.connects - lambda * r.abandons;
    if (gain != nullptr) *gain = gain_l;
    if (h == nullptr) return r;

    // The Lagrangian's relative values: landing states from the solve, the rest by the same
    // pass, now with numbers.
    std::vector<double>& hv = *h;
    hv.assign(states(), 0.0);
    for (int l = 0; l < nl; ++l) {
      const double* xl = &x[static_cast<std::size_t>(l) * kStreams];
      hv[land_state_[l]] = xl[kConnects] - lambda * xl[kAbandons];
    }
    auto post = [&](int b, int d) { return hv[idx(b, pol[idx(b, d)])]; };
    for (int k = 0; k <= n_ + dmax_; ++k) {
      const int b_hi = std::min(n_, k), b_lo = std::max(0, k - dmax_);
      for (int b = b_hi; b >= b_lo; --b) {
        const int d = k - b;
        const int s = idx(b, d);
        if (land[s] >= 0) continue;
        const double q = d * res_ + b * hand_;
        if (q == 0) {
          hv[s] = -kInf;  // (0, 0): no event ever, worse than any target
          continue;
        }
        const double resolve = d * res_;
        double v = -gain_l;
        if (d > 0) {
          if (b < n_) {
            v += resolve * p_ * (1.0 + post(b + 1, d - 1)) + resolve * (1 - p_) * post(b, d - 1);
          } else {
            v += resolve * (post(b, d - 1) - p_ * lambda);
          }
        }
        if (b > 0) v += b * hand_ * post(b - 1, d);
        hv[s] = v / q;
      }
    }
    return r;
  }

  // Policy improvement: in every pre-decision state the target with the largest relative value,
  // keeping the current one unless another is better by more than rounding (so that policy
  // iteration ends; near-ties would otherwise flip one state per iteration). Ties go to the
  // smaller target. Returns whether anything changed.
  bool improve(const std::vector<double>& h, bool zero_abandon, Policy& pol) const {
    const double eps = rounding(h);
    bool changed = false;
    for (int b = 0; b <= n_; ++b) {
      const int c = cap(b, zero_abandon);
      const int lo = least(b);
      const double* hb = &h[idx(b, 0)];
      int* pb = &pol[idx(b, 0)];
      double best = -kInf;
      int best_t = c;
      for (int d = c; d >= 0; --d) {
        if (d >= lo && hb[d] >= best) {
          best = hb[d];
          best_t = d;
        }
        if (hb[pb[d]] < best - eps) {
          pb[d] = best_t;
          changed = true;
        }
      }
    }
    return changed;
  }

  // Policy iteration for the Lagrangian with penalty lambda, from `pol` (which returns the
  // optimal policy); `h` returns its relative values. Counts the evaluations.
  Rates optimise(double lambda, bool zero_abandon, Policy& pol, std::vector<double>& h,
                 int& evaluations) const {
    for (int it = 0; it < kMaxPolicyIterations; ++it) {
      const Rates r = evaluate(pol, lambda, &h, nullptr);
      ++evaluations;
      if (!improve(h, zero_abandon, pol)) return r;
    }
    throw Error(ErrorCode::kInvalidArgument, "optimum: policy iteration did not converge");
  }

  // Checks that the policy is "launch up to T(b)": for every b, the pre-decision choice is
  // max(d, T(b)) up to value ties. Fills target on success.
  bool threshold(const std::vector<double>& h, const Policy& pol, bool zero_abandon,
                 std::vector<int>& target) const {
    const double eps = 1e3 * rounding(h);
    target.assign(n_ + 1, 0);
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

  // `target` moved into the allowed range of each row (a warm start's, or a first guess).
  std::vector<int> admissible(std::vector<int> target, bool zero_abandon) const {
    target.resize(n_ + 1, 0);
    for (int b = 0; b <= n_; ++b) target[b] = std::clamp(target[b], least(b), cap(b, zero_abandon));
    return target;
  }

  // A first guess when nothing better is known: enough in flight to fill the idle agents
  // (1 / p attempts each) and to replace the calls ending while they ring.
  std::vector<int> first_guess(bool zero_abandon) const {
    std::vector<int> target(n_ + 1);
    const double ringing = n_ * hand_ / res_ / p_;
    for (int b = 0; b <= n_; ++b) {
      const double t = b == n_ ? 0.0 : (n_ - b) / p_ + 0.5 * ringing;
      target[b] = static_cast<int>(std::min<double>(t, dmax_));
    }
    return admissible(std::move(target), zero_abandon);
  }

  double hand() const { return hand_; }

 private:
  static constexpr int kMaxPolicyIterations = 200;

  // The rounding error of relative values: each comes out of a chain of ~N + D layers of the
  // evaluation pass, each adding an error of a few ulps of the largest value.
  double rounding(const std::vector<double>& h) const {
    double mag = 0;
    for (double v : h) {
      if (std::isfinite(v)) mag = std::max(mag, std::fabs(v));
    }
    return 1e-15 * (n_ + dmax_ + 100) * (1 + mag);
  }

  void check_stop() const {
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
      throw Error(ErrorCode::kState, "optimum: solve stopped");
    }
  }

  // Solves a x = rhs in place (a: dim x dim, row-major; rhs: dim x cols, returns x) by Gaussian
  // elimination with partial pivoting.
  static void solve_dense(std::vector<double>& a, std::vector<double>& rhs, int dim, int cols) {
    auto at = [&](int r, int c) -> double& { return a[static_cast<std::size_t>(r) * dim + c]; };
    auto rh = [&](int r, int c) -> double& { return rhs[static_cast<std::size_t>(r) * cols + c]; };
    for (int c = 0; c < dim; ++c) {
      int piv = c;
      for (int r = c + 1; r < dim; ++r) {
        if (std::fabs(at(r, c)) > std::fabs(at(piv, c))) piv = r;
      }
      if (at(piv, c) == 0) {
        throw Error(ErrorCode::kInvalidArgument, "optimum: singular policy evaluation");
      }
      if (piv != c) {
        for (int j = 0; j < dim; ++j) std::swap(at(c, j), at(piv, j));
        for (int j = 0; j < cols; ++j) std::swap(rh(c, j), rh(piv, j));
      }
      const double inv = 1.0 / at(c, c);
      for (int r = c + 1; r < dim; ++r) {
        const double f = at(r, c) * inv;
        if (f == 0) continue;
        double* rr = &at(r, 0);
        const double* rc = &at(c, 0);
        for (int j = c; j < dim; ++j) rr[j] -= f * rc[j];
        for (int j = 0; j < cols; ++j) rh(r, j) -= f * rh(c, j);
      }
    }
    for (int r = dim - 1; r >= 0; --r) {
      for (int j = 0; j < cols; ++j) {
        double v = rh(r, j);
        for (int c = r + 1; c < dim; ++c) v -= at(r, c) * rh(c, j);
        rh(r, j) = v / at(r, r);
      }
    }
  }

  const std::atomic<bool>* stop_;
  int n_, dmax_, w_;
  double p_, res_, hand_;
  double scale_;
  // Scratch of evaluate(), kept so that a solve allocates it once rather than per evaluation.
  mutable std::vector<int> land_;           // landing index of each post-decision state, or -1
  mutable std::vector<int> land_state_;     // the state of each landing index
  mutable std::vector<double> rows_;        // the landing states' coefficient rows
  mutable std::vector<double> cur_, prev_;  // coefficient rows of two layers k, by b
  mutable std::vector<double> system_, solution_;
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

// `target` carries a threshold policy in and out: the first Lagrangian problem's policy
// iteration starts from it (empty: a first guess), and it returns the last problem's. Each
// later problem starts from the policy of the one before. warm_lambda > 0 is the multiplier of a
// previous solve of a nearby model: the bracket is then grown outwards from it rather than from
// [0, (1 - cap) / cap], whose ends are far from the answer and cost most of a cold solve.
OptimumResult solve_with_cap(const OptimumModel& m, int dmax, const std::atomic<bool>* stop,
                             std::vector<int>& target, double warm_lambda) {
  Chain chain(m, dmax, stop);
  OptimumResult out;
  out.max_in_flight = dmax;
  bool all_threshold = true;
  const bool zero_cap = m.abandon_cap == 0;
  Policy pol = chain.from_target(target.empty() ? chain.first_guess(zero_cap)
                                                : chain.admissible(target, zero_cap));
  std::vector<double> h;

  auto solve = [&](double lambda, bool zero_abandon) {
    Solved s;
    s.rates = chain.optimise(lambda, zero_abandon, pol, h, out.policy_evaluations);
    ++out.lambda_iterations;
    s.threshold = chain.threshold(h, pol, zero_abandon, s.target);
    if (s.threshold) {
      // Equal up to value ties; the threshold form is the one reported and used.
      Policy t = chain.from_target(s.target);
      if (t != pol) {
        pol = std::move(t);
        s.rates = chain.evaluate(pol, lambda, nullptr, nullptr);
        ++out.policy_evaluations;
      }
      target = s.target;
    } else {
      all_threshold = false;
      s.target.clear();
      target.resize(m.agents + 1);
      for (int b = 0; b <= m.agents; ++b) target[b] = pol[chain.idx(b, 0)];
    }
    s.policy = pol;
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

OptimumResult solve(const OptimumModel& model, const std::atomic<bool>* stop,
                    OptimumWarmStart* warm) {
  validate(model);
  std::vector<int> target;
  double warm_lambda = 0;
  if (warm != nullptr && warm->agents == model.agents &&
      static_cast<int>(warm->target.size()) == model.agents + 1) {
    target = warm->target;
    if (std::isfinite(warm->lambda)) warm_lambda = warm->lambda;
  }
  auto run = [&](int dmax) {
    OptimumResult r = solve_with_cap(model, dmax, stop, target, warm_lambda);
    if (warm != nullptr) {
      warm->agents = model.agents;
      warm->max_in_flight = dmax;
      warm->lambda = r.lambda;
      warm->target = target;
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
  const Chain chain(model, model.max_in_flight);
  return to_stats(chain.evaluate(chain.from_target(target), 0.0, nullptr, nullptr), model);
}

}  // namespace omnivox
