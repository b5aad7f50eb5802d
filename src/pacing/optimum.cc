// The optimum reference for predictive pacing (see include/omnivox/optimum.h for the model).
#include "omnivox/optimum.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
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
  if (!(m.hold_window_s >= 0 && m.hold_window_s <= kOptimumMaxTimeS)) {
    invalid("optimum: hold_window_s must be between 0 and " + show(kOptimumMaxTimeS) + " s (got " +
            show(m.hold_window_s) + ")");
  }
  if (m.patience_phases < 0 || m.patience_phases > kOptimumMaxPatiencePhases) {
    invalid("optimum: patience_phases must be in [0, " + std::to_string(kOptimumMaxPatiencePhases) +
            "] (got " + std::to_string(m.patience_phases) + ")");
  }
  if (!m.in_flight_limit.empty() && static_cast<int>(m.in_flight_limit.size()) != m.agents + 1) {
    invalid("optimum: in_flight_limit must have agents + 1 entries (got " +
            std::to_string(m.in_flight_limit.size()) + ")");
  }
  if (!(m.amd_mean_s == 0 ||
        (m.amd_mean_s >= kOptimumMinTimeS && m.amd_mean_s <= kOptimumMaxTimeS))) {
    invalid("optimum: amd_mean_s must be 0 or between " + show(kOptimumMinTimeS) + " and " +
            show(kOptimumMaxTimeS) + " s (got " + show(m.amd_mean_s) + ")");
  }
  if (m.amd_mean_s > 0) {
    if (!(m.answered_share >= m.p_live && m.answered_share <= 1)) {
      invalid("optimum: answered_share must be in [p_live, 1] with AMD (got " +
              show(m.answered_share) + ")");
    }
    if (!(m.counted_abandons_per_machine >= 0 && m.counted_abandons_per_machine <= 1)) {
      invalid("optimum: counted_abandons_per_machine must be in [0, 1] (got " +
              show(m.counted_abandons_per_machine) + ")");
    }
  }
  if (!(m.handle_cv >= kOptimumMinHandleCv && m.handle_cv <= kOptimumMaxHandleCv)) {
    invalid("optimum: handle_cv must be between " + show(kOptimumMinHandleCv) + " and " +
            show(kOptimumMaxHandleCv) + " (got " + show(m.handle_cv) + ")");
  }
  if (m.handle_cv != 1 && m.amd_mean_s > 0) {
    invalid("optimum: handle_cv other than 1 is modelled without amd_mean_s (got " +
            show(m.amd_mean_s) + " s)");
  }
  if (m.max_classifying < 0 || m.max_classifying > kOptimumMaxClassifying) {
    invalid("optimum: max_classifying must be in [0, " + std::to_string(kOptimumMaxClassifying) +
            "] (got " + std::to_string(m.max_classifying) + ")");
  }
  if (m.max_waiting < 0 || m.max_waiting > kOptimumMaxWaiting) {
    invalid("optimum: max_waiting must be in [0, " + std::to_string(kOptimumMaxWaiting) +
            "] (got " + std::to_string(m.max_waiting) + ")");
  }
}

// Configurations with k phases and W places: C(k + W, W).
double queue_size(int phases, int limit) {
  double c = 1;
  for (int i = 1; i <= limit; ++i) c = c * (phases + i) / i;
  return c;
}

// What a solve with in-flight cap D costs, known before anything is allocated: a policy
// evaluation updates R + 6 coefficients per state (one per landing state, R for a threshold
// policy over R rows, g and the five averaged streams) and solves a dense system of R + 1
// unknowns. R = N + 1 without a hold window; with one R = N + C(k + W, W), the rows b < N and
// one per queue configuration at b = N; with AMD R = (N + 1)(C + 1), one row per (b, c); with
// both R = (C + 1)(N + C(k + W, W)), one row per (b, c) at b < N and per (c, configuration) at
// b = N.
struct SolveSize {
  double in_flight = 0;   // D
  double rows = 0;        // R
  double states = 0;      // R (D + 1)
  double evaluation = 0;  // operations of one policy evaluation (~0.5 ns each)
  double work() const { return evaluation * kEvaluationBudget; }
  bool fits() const {
    return in_flight <= kOptimumMaxInFlight && states <= kOptimumMaxStates &&
           work() <= kOptimumMaxWork;
  }
};

bool has_hold(const OptimumModel& m) { return m.hold_window_s > 0 && m.abandon_cap > 0; }
bool has_amd(const OptimumModel& m) { return m.amd_mean_s > 0; }
bool has_coxian(const OptimumModel& m) { return m.handle_cv != 1; }

int phases_of(const OptimumModel& m) {
  return m.patience_phases > 0 ? m.patience_phases : kOptimumDefaultPatiencePhases;
}

// waiting: W with a hold window, else 0; classifying: C with AMD, else 0.
SolveSize solve_size(const OptimumModel& m, double max_in_flight, int waiting = 0,
                     int classifying = 0) {
  const double n = m.agents;
  const double configurations = waiting > 0 ? queue_size(phases_of(m), waiting) : 1;
  SolveSize size;
  size.in_flight = max_in_flight;
  size.rows = has_coxian(m) ? n * (n + 1) / 2 + (n + 1) * configurations
                            : (classifying + 1) * (n + configurations);
  size.states = size.rows * (max_in_flight + 1);
  size.evaluation = size.states * (size.rows + 6 + kStateOverhead) + std::pow(size.rows + 1, 3) / 3;
  return size;
}

// Refuses, naming the inputs that set its size, a solve beyond kOptimumMaxStates,
// kOptimumMaxInFlight or kOptimumMaxWork.
void require_fits(const OptimumModel& m, double max_in_flight, int waiting = 0,
                  int classifying = 0) {
  const SolveSize size = solve_size(m, max_in_flight, waiting, classifying);
  if (size.fits()) return;
  std::string model = m.max_in_flight > 0
                          ? "max_in_flight " + std::to_string(m.max_in_flight) + " with " +
                                std::to_string(m.agents) + " agents"
                          : "p_live " + show(m.p_live) + " with " + std::to_string(m.agents) +
                                " agents and attempt_mean_s / handle_mean_s = " +
                                show(m.attempt_mean_s / m.handle_mean_s) + " (in-flight cap ~" +
                                show(max_in_flight) + ")";
  std::string remedy =
      m.max_in_flight > 0 ? "lower max_in_flight or agents" : "raise p_live or lower agents";
  if (has_coxian(m)) {
    model += ", handle_cv " + show(m.handle_cv) + " (" + show(size.rows) +
             " rows of busy agents by phase)";
    remedy += ", or handle_cv 1";
  }
  if (classifying > 0) {
    model += ", amd_mean_s " + show(m.amd_mean_s) + " with max_classifying " +
             std::to_string(classifying);
    remedy += ", or lower max_classifying";
  }
  if (waiting > 0) {
    model += ", hold_window_s " + show(m.hold_window_s) + " with patience_phases " +
             std::to_string(phases_of(m)) + " and max_waiting " + std::to_string(waiting) + " (" +
             show(queue_size(phases_of(m), waiting)) + " queue configurations)";
    remedy += ", or lower patience_phases or max_waiting";
  }
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

// Solves a x = rhs in place (a: dim x dim, row-major; rhs: dim x cols, returns x) by Gaussian
// elimination with partial pivoting.
void solve_dense(std::vector<double>& a, std::vector<double>& rhs, int dim, int cols) {
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

// A deterministic stationary policy: for the pre-decision state (row, d), the post-decision
// in-flight level T (>= d).
using Policy = std::vector<int>;

// Raw long-run rates (per second) and time averages of one policy.
struct Rates {
  double connects = 0, abandons = 0, busy = 0, in_flight = 0, cap_mass = 0;
  double waiting = 0, queue_full = 0;                          // hold-window model only
  double classifying = 0, classifying_full = 0, machines = 0;  // AMD model only
  double live() const { return connects + abandons; }
};

// The reward streams one evaluation averages at once: connects and abandons (per second), and
// the time averages of b, d and [d = D]; with a hold window also of the calls waiting and of
// [W waiting]; with AMD of the calls in classification, of [C classifying], and the machine
// results (per second).
enum Stream {
  kConnects,
  kAbandons,
  kBusy,
  kInFlight,
  kAtCap,
  kWaiting,
  kQueueFull,
  kClassifying,
  kClassifyingFull,
  kMachines
};

// The rows of a chain: b alone (the stylised model), b < N or (N, queue configuration) (hold
// window), (b, c) (AMD), (b, c) at b < N or (N, c, queue configuration) (AMD and a hold window),
// (b, n2) (Coxian handle times: n2 of the b calls in their second phase), or (b, n2) at b < N and
// (N, n2, queue configuration) (Coxian handle times and a hold window).
enum class Layout { kPlain, kHold, kAmd, kAmdHold, kCoxian, kCoxianHold };

// The hold-window model's queue: every multiset of patience phases (1..k) of at most W waiting
// calls, a "configuration". Each phase ends at rate k / H; the last one's end is an abandon. The
// configurations are numbered by increasing (q, sum of phases), so that every move that keeps
// b + q + d (a call joining the queue, a phase ending short of the last) goes to a higher number
// and q does not fall with the number; configuration 0 is the empty queue.
struct WaitingQueue {
  struct Move {
    double calls = 0;  // calls in the phase that ends (its rate is calls x theta)
    int to = 0;        // configuration after it
    bool expires = false;
  };
  int phases = 0, limit = 0;
  double theta = 0;                      // phase rate k / H (1/s)
  std::vector<int> waiting;              // q of each configuration
  std::vector<int> joined;               // with one more call in phase 1, -1 when q = W
  std::vector<int> served;               // without its most advanced call (q > 0)
  std::vector<std::vector<Move>> moves;  // phase ends
  int size() const { return static_cast<int>(waiting.size()); }
};

WaitingQueue make_queue(int phases, int limit, double hold_window_s) {
  WaitingQueue wq;
  wq.phases = phases;
  wq.limit = limit;
  wq.theta = phases / hold_window_s;
  std::vector<std::vector<int>> all;  // call counts by phase, all multisets of size <= W
  std::vector<int> counts(phases, 0);
  for (;;) {
    all.push_back(counts);
    int j = 0;
    // The next count vector with sum <= W (odometer, the sum checked on the way).
    for (; j < phases; ++j) {
      ++counts[j];
      int sum = 0;
      for (int c : counts) sum += c;
      if (sum <= limit) break;
      counts[j] = 0;
    }
    if (j == phases) break;
  }
  auto key = [&](const std::vector<int>& c) {
    int q = 0, s = 0;
    for (int j = 0; j < phases; ++j) q += c[j], s += (j + 1) * c[j];
    return std::pair<int, int>(q, s);
  };
  std::stable_sort(all.begin(), all.end(),
                   [&](const auto& a, const auto& b) { return key(a) < key(b); });
  std::map<std::vector<int>, int> index;
  for (std::size_t i = 0; i < all.size(); ++i) index[all[i]] = static_cast<int>(i);
  const int n = static_cast<int>(all.size());
  wq.waiting.resize(n);
  wq.joined.assign(n, -1);
  wq.served.assign(n, -1);
  wq.moves.resize(n);
  for (int i = 0; i < n; ++i) {
    const std::vector<int>& c = all[i];
    wq.waiting[i] = key(c).first;
    if (wq.waiting[i] < limit) {
      std::vector<int> x = c;
      ++x[0];
      wq.joined[i] = index.at(x);
    }
    for (int j = phases - 1; j >= 0; --j) {
      if (c[j] > 0) {
        std::vector<int> x = c;
        --x[j];
        wq.served[i] = index.at(x);
        break;
      }
    }
    for (int j = 0; j < phases; ++j) {
      if (c[j] == 0) continue;
      std::vector<int> x = c;
      --x[j];
      if (j + 1 < phases) ++x[j + 1];
      wq.moves[i].push_back({static_cast<double>(c[j]), index.at(x), j + 1 == phases});
    }
  }
  return wq;
}

// The post-decision chain of one model. Without a hold window or AMD (kPlain) a row is b, the
// busy agents; with a hold window, rows 0..N-1 are b < N (nobody can wait while an agent is
// free) and row N + c is b = N with queue configuration c; with AMD a row is (b, c), c calls in
// classification, numbered by increasing (b + c, b); with both a row is (b, c, configuration),
// the configuration empty at b < N, numbered by increasing (b + c + q, b, configuration). A
// state is (row, d).
template <Layout kLayout>
class Chain {
 public:
  static constexpr bool kHold = kLayout == Layout::kHold;
  static constexpr bool kAmd = kLayout == Layout::kAmd;
  static constexpr bool kAmdHold = kLayout == Layout::kAmdHold;
  static constexpr bool kCoxianHold = kLayout == Layout::kCoxianHold;
  // Busy agents by handle-time phase (Coxian), calls in classification (AMD), calls waiting in a
  // queue of configurations (hold window), and whether a row's configuration is in its table.
  static constexpr bool kCoxian = kLayout == Layout::kCoxian || kCoxianHold;
  static constexpr bool kClassifies = kAmd || kAmdHold;
  static constexpr bool kQueues = kHold || kAmdHold || kCoxianHold;
  static constexpr bool kTableQueue = kAmdHold || kCoxianHold;
  // Whether rows are numbered by a layer base other than b alone, or come from a table of
  // (b, second count, configuration) with their moves in pair_moves.
  static constexpr bool kPairs = kClassifies || kCoxian;
  static constexpr bool kByBase = kHold || kPairs;
  static constexpr int kStreams = kClassifies ? 10 : kQueues ? 7 : 5;

  // classifying: C (AMD only).
  Chain(const OptimumModel& m, int max_in_flight, const WaitingQueue* queue = nullptr,
        const std::atomic<bool>* stop = nullptr, int classifying = 0)
      : stop_(stop),
        n_(m.agents),
        dmax_(max_in_flight),
        w_(max_in_flight + 1),
        p_(m.p_live),
        res_(1.0 / m.attempt_mean_s),
        hand_(1.0 / m.handle_mean_s),
        queue_(queue),
        limit_(m.in_flight_limit) {
    // Connects per second at full occupancy: the unit of the gain in the reduced system.
    scale_ = n_ * hand_;
    rows_n_ = kHold ? n_ + queue_->size() : n_ + 1;
    if constexpr (kClassifies) {
      classify_ = 1.0 / m.amd_mean_s;
      answered_ = m.answered_share;
      human_ = m.p_live / m.answered_share;
      per_machine_ = m.counted_abandons_per_machine;
      max_class_ = classifying;
      if constexpr (kAmdHold) configurations_ = queue_->size();
      const int most_waiting = kAmdHold ? queue_->limit : 0;
      for (int sum = 0; sum <= n_ + max_class_ + most_waiting; ++sum) {
        for (int b = std::max(0, sum - max_class_ - most_waiting); b <= std::min(n_, sum); ++b) {
          // Calls wait only with every agent busy.
          for (int config = 0; config < (b == n_ ? configurations_ : 1); ++config) {
            const int c = sum - b - (kAmdHold ? queue_->waiting[config] : 0);
            if (c < 0 || c > max_class_) continue;
            row_busy_.push_back(b);
            row_class_.push_back(c);
            row_queue_.push_back(config);
          }
        }
      }
      rows_n_ = static_cast<int>(row_busy_.size());
    }
    if constexpr (kCoxian) {
      // Two-moment fit (Marie 1980): phase rates 2 / m and 1 / (m c^2), on to the second phase
      // with probability 1 / (2 c^2).
      const double cv2 = m.handle_cv * m.handle_cv;
      phase1_ = 2.0 / m.handle_mean_s;
      phase2_ = 1.0 / (m.handle_mean_s * cv2);
      on_to_second_ = 1.0 / (2.0 * cv2);
      max_class_ = n_;  // n2 <= b <= N
      if constexpr (kCoxianHold) configurations_ = queue_->size();
      // Rows by increasing (b + q, b, n2, configuration).
      const int most_waiting = kCoxianHold ? queue_->limit : 0;
      for (int sum = 0; sum <= n_ + most_waiting; ++sum) {
        for (int b = std::max(0, sum - most_waiting); b <= std::min(n_, sum); ++b) {
          for (int n2 = 0; n2 <= b; ++n2) {
            for (int config = 0; config < (b == n_ ? configurations_ : 1); ++config) {
              if (b + (kCoxianHold ? queue_->waiting[config] : 0) != sum) continue;
              row_busy_.push_back(b);
              row_class_.push_back(n2);
              row_queue_.push_back(config);
            }
          }
        }
      }
      rows_n_ = static_cast<int>(row_busy_.size());
    }
    if constexpr (kPairs) {
      row_of_.assign(static_cast<std::size_t>(n_ + 1) * (max_class_ + 1) * configurations_, 0);
      for (int r = 0; r < rows_n_; ++r) {
        row_of_[pair_index(row_busy_[r], row_class_[r], kTableQueue ? row_queue_[r] : 0)] = r;
      }
    }
    if constexpr (kByBase) {
      base_.resize(rows_n_);
      for (int r = 0; r < rows_n_; ++r) base_[r] = busy(r) + held(r);
    }
  }

  int rows() const { return rows_n_; }
  int states() const { return rows_n_ * w_; }
  int idx(int row, int d) const { return row * w_ + d; }
  int busy(int row) const {
    if constexpr (kPairs) return row_busy_[row];
    return kHold ? std::min(row, n_) : row;
  }
  // Calls past ringing that hold no agent: waiting for one (hold window) or in classification
  // (AMD).
  int held(int row) const { return waiting(row) + classifying(row); }
  int classifying(int row) const {
    if constexpr (kClassifies) return row_class_[row];
    return 0;
  }
  int waiting(int row) const {
    if constexpr (kTableQueue) return queue_->waiting[row_queue_[row]];
    return kHold && row > n_ ? queue_->waiting[row - n_] : 0;
  }
  // The row of (b, c) (AMD), (b, c, queue configuration) (AMD and a hold window) or (b, n2)
  // (Coxian handle times).
  int row_of(int b, int c, int config = 0) const { return row_of_[pair_index(b, c, config)]; }

  // Largest target allowed in a row.
  int cap(int row, bool zero_abandon) const {
    // With AMD a call in classification may be a person who needs an agent too.
    int c = zero_abandon ? std::min(dmax_, std::max(n_ - busy(row) - classifying(row), 0)) : dmax_;
    if (!limit_.empty()) {
      const int b = std::min(busy(row), static_cast<int>(limit_.size()) - 1);
      c = std::min(c, std::max(limit_[static_cast<std::size_t>(b)], least(row)));
    }
    return c;
  }
  // Least target: with nobody busy the dialer launches at least one attempt (it cannot abandon,
  // and the post-decision state (0, 0) would never change again).
  static int least(int row) { return row == 0 ? 1 : 0; }

  // Long-run rates of `pol` and, when `h` is given, the relative values h(row, d) of the
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
  //
  // With a hold window the layer is k = b + q + d: a live answer at b = N joins the queue
  // (q + 1, d - 1) and a phase that ends short of the last keeps q, both towards a higher row;
  // a served call (q - 1, connect), an expired one (q - 1, abandon) and a live answer finding W
  // waiting (d - 1, abandon) lower k. So the same pass works over rows in falling order.
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
    for (int row = 0; row < rows_n_; ++row) {
      for (int d = 0; d <= dmax_; ++d) {
        const int t = pol[idx(row, d)];
        if (t != d && land[idx(row, t)] < 0) {
          land[idx(row, t)] = static_cast<int>(land_state_.size());
          land_state_.push_back(idx(row, t));
        }
      }
    }
    const int nl = static_cast<int>(land_state_.size());
    const int width = nl + 1 + kStreams;  // landing values, g (scaled), streams
    const int time_col = nl;
    const int stream_col = nl + 1;
    rows_.assign(static_cast<std::size_t>(nl) * width, 0.0);
    cur_.assign(static_cast<std::size_t>(rows_n_) * width, 0.0);
    prev_.assign(static_cast<std::size_t>(rows_n_) * width, 0.0);
    const auto next_layer = [&] {
      check_stop();
      cur_.swap(prev_);
    };
    visit_by_layer(next_layer, [&](int row, int b, int qw, int d) {
      const int s = idx(row, d);
      const double q = total_rate(row, b, qw, d);
      double* out = land[s] >= 0 ? &rows_[static_cast<std::size_t>(land[s]) * width]
                                 : &cur_[static_cast<std::size_t>(row) * width];
      std::fill(out, out + width, 0.0);
      if (q == 0) return;  // (0, 0): never entered, since pol(0, 0) >= 1
      const double inv = 1.0 / q;
      // A move to the pre-decision state (pr, pd) with probability w: to its post-decision
      // state, a landing state (a unit coefficient) or one computed earlier in this pass.
      auto add = [&](const std::vector<double>& layer, int pr, int pd, double w) {
        const int l = land[idx(pr, pol[idx(pr, pd)])];
        if (l >= 0) {
          out[l] += w;
          return;
        }
        const double* v = &layer[static_cast<std::size_t>(pr) * width];
        for (int j = 0; j < width; ++j) out[j] += w * v[j];
      };
      const double resolve = d * res_ * inv;
      if constexpr (kPairs) {
        pair_moves(row, b, d, [&](int to, int to_d, bool same_layer, double rate, Event e) {
          const double w = rate * inv;
          add(same_layer ? cur_ : prev_, to, to_d, w);
          if (e != Event::kNone) {
            out[stream_col + (e == Event::kConnect   ? kConnects
                              : e == Event::kAbandon ? kAbandons
                                                     : kMachines)] += w;
          }
        });
        if constexpr (kClassifies) {
          const int c = classifying(row);
          out[stream_col + kClassifying] += c * inv;
          if (c == max_class_) out[stream_col + kClassifyingFull] += inv;
        }
        out[time_col] -= scale_ * inv;
      } else {
        bool live_abandons = b == n_;
        if (d > 0) {
          if (b < n_) {
            add(cur_, row + 1, d - 1, resolve * p_);
          } else if constexpr (kHold) {
            const int joined = queue_->joined[row - n_];
            if (joined >= 0) {
              add(cur_, n_ + joined, d - 1, resolve * p_);
              live_abandons = false;
            }
          }
          if (b < n_ || !live_abandons) {
            add(prev_, row, d - 1, resolve * (1 - p_));
          } else {
            add(prev_, row, d - 1, resolve);
          }
        }
        double served = 0, expired = 0;
        if constexpr (kHold) {
          if (qw > 0) {
            // A call ends: the agent takes the waiting call nearest its deadline.
            served = b * hand_ * inv;
            add(prev_, n_ + queue_->served[row - n_], d, served);
            for (const WaitingQueue::Move& mv : queue_->moves[row - n_]) {
              const double w = mv.calls * queue_->theta * inv;
              add(mv.expires ? prev_ : cur_, n_ + mv.to, d, w);
              if (mv.expires) expired += w;
            }
          } else if (b > 0) {
            add(prev_, row - 1, d, b * hand_ * inv);
          }
        } else if (b > 0) {
          add(prev_, b - 1, d, b * hand_ * inv);
        }
        out[time_col] -= scale_ * inv;
        if constexpr (kHold) {
          if (b < n_) out[stream_col + kConnects] += resolve * p_;
          if (live_abandons) out[stream_col + kAbandons] += resolve * p_;
          out[stream_col + kConnects] += served;
          out[stream_col + kAbandons] += expired;
        } else {
          out[stream_col + (b < n_ ? kConnects : kAbandons)] += resolve * p_;
        }
      }
      out[stream_col + kBusy] += b * inv;
      out[stream_col + kInFlight] += d * inv;
      if (d == dmax_) out[stream_col + kAtCap] += inv;
      if constexpr (kQueues) {
        const int q = waiting(row);
        out[stream_col + kWaiting] += q * inv;
        if (q == queue_->limit) out[stream_col + kQueueFull] += inv;
      }
    });
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
    if constexpr (kQueues) {
      r.waiting = g[kWaiting] * scale_;
      r.queue_full = g[kQueueFull] * scale_;
    }
    if constexpr (kClassifies) {
      r.classifying = g[kClassifying] * scale_;
      r.classifying_full = g[kClassifyingFull] * scale_;
      r.machines = g[kMachines] * scale_;
    }
    const double gain_l = r.connects - lambda * counted_abandons(r);
    if (gain != nullptr) *gain = gain_l;
    if (h == nullptr) return r;

    // The Lagrangian's relative values: landing states from the solve, the rest by the same
    // pass, now with numbers.
    std::vector<double>& hv = *h;
    hv.assign(states(), 0.0);
    for (int l = 0; l < nl; ++l) {
      const double* xl = &x[static_cast<std::size_t>(l) * kStreams];
      hv[land_state_[l]] = xl[kConnects] - lambda * xl[kAbandons];
      if constexpr (kClassifies) hv[land_state_[l]] -= lambda * per_machine_ * xl[kMachines];
    }
    auto post = [&](int row, int d) { return hv[idx(row, pol[idx(row, d)])]; };
    visit_by_layer([] {},
                   [&](int row, int b, int qw, int d) {
                     const int s = idx(row, d);
                     if (land[s] >= 0) return;
                     const double q = total_rate(row, b, qw, d);
                     if (q == 0) {
                       hv[s] = -kInf;  // (0, 0): no event ever, worse than any target
                       return;
                     }
                     const double resolve = d * res_;
                     double v = -gain_l;
                     if constexpr (kPairs) {
                       pair_moves(row, b, d, [&](int to, int to_d, bool, double rate, Event e) {
                         const double reward = e == Event::kConnect   ? 1.0
                                               : e == Event::kAbandon ? -lambda
                                               : e == Event::kMachine ? -lambda * per_machine_
                                                                      : 0.0;
                         v += rate * (post(to, to_d) + reward);
                       });
                       hv[s] = v / q;
                       return;
                     }
                     if (d > 0) {
                       if (b < n_) {
                         v += resolve * p_ * (1.0 + post(row + 1, d - 1)) +
                              resolve * (1 - p_) * post(row, d - 1);
                       } else if (kHold && queue_->joined[row - n_] >= 0) {
                         v += resolve * p_ * post(n_ + queue_->joined[row - n_], d - 1) +
                              resolve * (1 - p_) * post(row, d - 1);
                       } else {
                         v += resolve * (post(row, d - 1) - p_ * lambda);
                       }
                     }
                     if (kHold && qw > 0) {
                       v += b * hand_ * (1.0 + post(n_ + queue_->served[row - n_], d));
                       for (const WaitingQueue::Move& mv : queue_->moves[row - n_]) {
                         v += mv.calls * queue_->theta *
                              (post(n_ + mv.to, d) - (mv.expires ? lambda : 0.0));
                       }
                     } else if (b > 0) {
                       v += b * hand_ * post(row - 1, d);
                     }
                     hv[s] = v / q;
                   });
    return r;
  }

  // Policy improvement: in every pre-decision state the target with the largest relative value,
  // keeping the current one unless another is better by more than rounding (so that policy
  // iteration ends; near-ties would otherwise flip one state per iteration). Ties go to the
  // smaller target. Returns whether anything changed.
  bool improve(const std::vector<double>& h, bool zero_abandon, Policy& pol) const {
    const double eps = rounding(h);
    bool changed = false;
    for (int row = 0; row < rows_n_; ++row) {
      const int c = cap(row, zero_abandon);
      const int lo = least(row);
      const double* hb = &h[idx(row, 0)];
      int* pb = &pol[idx(row, 0)];
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

  // Checks that the policy is "launch up to T(row)": for every row, the pre-decision choice is
  // max(d, T(row)) up to value ties. Fills target on success.
  bool threshold(const std::vector<double>& h, const Policy& pol, bool zero_abandon,
                 std::vector<int>& target) const {
    const double eps = 1e3 * rounding(h);
    target.assign(rows_n_, 0);
    for (int row = 0; row < rows_n_; ++row) {
      const int t0 = pol[idx(row, 0)];
      target[row] = t0;
      // h(row, .) must not rise again beyond t0 (within the allowed range).
      double run_max = -kInf;
      const int c = cap(row, zero_abandon);
      for (int d = c; d > t0; --d) {
        if (h[idx(row, d)] < run_max - eps) return false;
        run_max = std::max(run_max, h[idx(row, d)]);
      }
    }
    return true;
  }

  // The threshold policy for `target` (pre-decision (row, d) -> max(d, target[row])).
  Policy from_target(const std::vector<int>& target) const {
    Policy pol(states());
    for (int row = 0; row < rows_n_; ++row) {
      for (int d = 0; d <= dmax_; ++d) pol[idx(row, d)] = std::max(d, target[row]);
    }
    return pol;
  }

  // `target` moved into the allowed range of each row (a warm start's, or a first guess). A
  // target of N + 1 entries (one per b) is extended to the queue's rows with its b = N entry.
  std::vector<int> admissible(std::vector<int> target, bool zero_abandon) const {
    const int given = static_cast<int>(target.size());
    target.resize(rows_n_, given > n_ ? target[n_] : 0);
    for (int row = 0; row < rows_n_; ++row) {
      target[row] = std::clamp(target[row], least(row), cap(row, zero_abandon));
    }
    return target;
  }

  // A first guess when nothing better is known: enough in flight to fill the idle agents
  // (1 / p attempts each) and to replace the calls ending while they ring.
  std::vector<int> first_guess(bool zero_abandon) const {
    std::vector<int> target(rows_n_);
    const double ringing = n_ * hand_ / res_ / p_;
    for (int row = 0; row < rows_n_; ++row) {
      const int b = busy(row);
      const double t = b == n_ ? 0.0 : (n_ - b) / p_ + 0.5 * ringing;
      target[row] = static_cast<int>(std::min<double>(t, dmax_));
    }
    return admissible(std::move(target), zero_abandon);
  }

  double hand() const { return hand_; }

  // Abandons as the cap counts them: with AMD each machine result adds the share of people
  // among them a compliance profile counts.
  double counted_abandons(const Rates& r) const {
    return kClassifies ? r.abandons + per_machine_ * r.machines : r.abandons;
  }

  // The targets of the rows with nobody waiting or in classification, b = 0..N.
  std::vector<int> by_busy(const std::vector<int>& target) const {
    if (target.empty()) return target;
    std::vector<int> out(static_cast<std::size_t>(n_) + 1);
    for (int b = 0; b <= n_; ++b) out[b] = target[kPairs ? row_of(b, 0) : b];
    return out;
  }

  // With AMD, the targets of the rows with nobody waiting by calls in classification: out[c][b],
  // c = 0..C, b = 0..N. Empty otherwise.
  std::vector<std::vector<int>> by_busy_and_classifying(const std::vector<int>& target) const {
    std::vector<std::vector<int>> out;
    if constexpr (kClassifies) {
      if (target.empty()) return out;
      for (int c = 0; c <= max_class_; ++c) {
        std::vector<int>& by_busy = out.emplace_back(static_cast<std::size_t>(n_) + 1);
        for (int b = 0; b <= n_; ++b) by_busy[b] = target[row_of(b, c)];
      }
    }
    return out;
  }

 private:
  static constexpr int kMaxPolicyIterations = 200;

  // What a move of the AMD chain counts.
  enum class Event { kNone, kConnect, kAbandon, kMachine };
  std::size_t pair_index(int b, int c, int config) const {
    return (static_cast<std::size_t>(b) * (max_class_ + 1) + c) * configurations_ + config;
  }
  // The moves out of a state of a chain whose rows are pairs: move(row, d after it, whether it
  // keeps the layer, its rate per second, what it counts).
  //  AMD, (b, c, d), layer b + c + d: a ringing call is answered (into classification; with C
  //  classifying it is hung up unclassified) or fails; a classification ends with a person for
  //  an agent (a connect, or an abandon with every agent busy) or a machine result; a call ends.
  //  AMD and a hold window, (b, c, configuration, d), layer b + c + q + d: the same, but a
  //  person classified with every agent busy joins the queue (the layer kept, towards a
  //  higher-numbered configuration; abandoned at once with W waiting), a call that ends with
  //  someone waiting hands its agent to the call nearest its deadline (a connect), and the
  //  waiting calls' patience phases end as in the hold-window chain (the last an abandon). Every
  //  move that keeps the layer goes to a row of larger (b + c + q, b, configuration).
  //  Coxian handle times, (b, n2, d), layer b + d: a ringing call is a live answer (a connect in
  //  phase 1, or an abandon with every agent busy) or fails; a call in phase 1 ends it, going on
  //  to phase 2 (the layer kept) or ending; a call in phase 2 ends.
  //  Coxian handle times and a hold window, (b, n2, configuration, d), layer b + q + d: the same,
  //  but a live answer with every agent busy joins the queue (the layer kept; abandoned at once
  //  with W waiting), a call that ends with someone waiting hands its agent to the call nearest
  //  its deadline (a connect, in phase 1), and the patience phases end as in the hold-window
  //  chain. Every move that keeps the layer goes to a row of larger (b + q, b, n2, configuration).
  template <class Move>
  void pair_moves(int row, int b, int d, Move move) const {
    if constexpr (kCoxian) {
      const int n2 = row_class_[row], n1 = b - n2;
      const int config = kCoxianHold ? row_queue_[row] : 0;
      if (d > 0) {
        const double resolve = d * res_;
        const int joined = kCoxianHold && b == n_ ? queue_->joined[config] : -1;
        if (b < n_) {
          move(row_of(b + 1, n2), d - 1, true, resolve * p_, Event::kConnect);
        } else if (joined >= 0) {
          move(row_of(b, n2, joined), d - 1, true, resolve * p_, Event::kNone);
        } else {
          move(row, d - 1, false, resolve * p_, Event::kAbandon);
        }
        move(row, d - 1, false, resolve * (1 - p_), Event::kNone);
      }
      // A call that ends: its agent takes the waiting call nearest its deadline (in phase 1), if
      // any.
      const auto call_ends = [&](int n2_after, double rate) {
        if (config > 0) {
          move(row_of(b, n2_after, queue_->served[config]), d, false, rate, Event::kConnect);
        } else {
          move(row_of(b - 1, n2_after), d, false, rate, Event::kNone);
        }
      };
      if (n1 > 0) {
        const double ends = n1 * phase1_;
        move(row_of(b, n2 + 1, config), d, true, ends * on_to_second_, Event::kNone);
        call_ends(n2, ends * (1 - on_to_second_));
      }
      if (n2 > 0) call_ends(n2 - 1, n2 * phase2_);
      if constexpr (kCoxianHold) {
        if (config > 0) {
          for (const WaitingQueue::Move& mv : queue_->moves[config]) {
            move(row_of(b, n2, mv.to), d, !mv.expires, mv.calls * queue_->theta,
                 mv.expires ? Event::kAbandon : Event::kNone);
          }
        }
      }
      return;
    }
    // With a hold window, config is the queue's (empty but at b = N).
    const int c = row_class_[row];
    const int config = kAmdHold ? row_queue_[row] : 0;
    if (d > 0) {
      const double resolve = d * res_;
      const bool room = c < max_class_;
      if (room) move(row_of(b, c + 1, config), d - 1, true, resolve * answered_, Event::kNone);
      move(row, d - 1, false, room ? resolve * (1 - answered_) : resolve, Event::kNone);
    }
    if (c > 0) {
      const double ends = c * classify_, person = ends * human_;
      const int joined = kAmdHold && b == n_ ? queue_->joined[config] : -1;
      if (b < n_) {
        move(row_of(b + 1, c - 1), d, true, person, Event::kConnect);
      } else if (joined >= 0) {
        // Every agent busy: the person waits (the connect is counted when an agent takes it).
        move(row_of(b, c - 1, joined), d, true, person, Event::kNone);
      } else {
        move(row_of(b, c - 1, config), d, false, person, Event::kAbandon);
      }
      move(row_of(b, c - 1, config), d, false, ends - person, Event::kMachine);
    }
    if constexpr (kAmdHold) {
      if (config > 0) {
        // Someone waits: an agent whose call ends takes the one nearest its deadline, and a
        // patience phase that ends moves its call on, its last an abandon.
        move(row_of(b, c, queue_->served[config]), d, false, b * hand_, Event::kConnect);
        for (const WaitingQueue::Move& mv : queue_->moves[config]) {
          move(row_of(b, c, mv.to), d, !mv.expires, mv.calls * queue_->theta,
               mv.expires ? Event::kAbandon : Event::kNone);
        }
        return;
      }
    }
    if (b > 0) move(row_of(b - 1, c), d, false, b * hand_, Event::kNone);
  }

  int top_layer() const { return kByBase ? base_.back() + dmax_ : n_ + dmax_; }
  // The rows with a state in layer k: those whose b + q lies in [k - D, k] (b + q does not fall
  // with the row number).
  void layer_rows(int k, int& lo, int& hi) const {
    if constexpr (kByBase) {
      lo =
          static_cast<int>(std::lower_bound(base_.begin(), base_.end(), k - dmax_) - base_.begin());
      hi = static_cast<int>(std::upper_bound(base_.begin(), base_.end(), k) - base_.begin()) - 1;
    } else {
      hi = std::min(n_, k);
      lo = std::max(0, k - dmax_);
    }
  }
  // Every state (row, b, q, d) in the order of the evaluation pass: layers k = b + q + d rising,
  // each layer's rows falling, so a state's moves reach only landing states and states visited
  // before it (see evaluate). on_layer() runs before each layer.
  template <class OnLayer, class OnState>
  void visit_by_layer(OnLayer on_layer, OnState on_state) const {
    for (int k = 0; k <= top_layer(); ++k) {
      on_layer();
      int r_lo, r_hi;
      layer_rows(k, r_lo, r_hi);
      for (int row = r_hi; row >= r_lo; --row) {
        const int b = busy(row), qw = held(row);
        on_state(row, b, qw, k - b - qw);
      }
    }
  }
  double total_rate(int row, int b, int qw, int d) const {
    if constexpr (kCoxian) {
      const int n2 = row_class_[row];
      const double rate = d * res_ + (b - n2) * phase1_ + n2 * phase2_;
      if constexpr (kCoxianHold) return rate + waiting(row) * queue_->theta;
      return rate;
    }
    if constexpr (kHold) return d * res_ + b * hand_ + qw * queue_->theta;
    if constexpr (kAmd) return d * res_ + b * hand_ + qw * classify_;
    if constexpr (kAmdHold) {
      return d * res_ + b * hand_ + classifying(row) * classify_ + waiting(row) * queue_->theta;
    }
    return d * res_ + b * hand_;
  }

  // The rounding error of relative values: each comes out of a chain of ~N + D layers of the
  // evaluation pass, each adding an error of a few ulps of the largest value.
  double rounding(const std::vector<double>& h) const {
    double mag = 0;
    for (double v : h) {
      if (std::isfinite(v)) mag = std::max(mag, std::fabs(v));
    }
    return 1e-15 * (top_layer() + 100) * (1 + mag);
  }

  void check_stop() const {
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
      throw Error(ErrorCode::kState, "optimum: solve stopped");
    }
  }

  const std::atomic<bool>* stop_;
  int n_, dmax_, w_;
  double p_, res_, hand_;
  double scale_;
  const WaitingQueue* queue_;
  std::vector<int> limit_;  // the model's in_flight_limit by busy agents (empty: none)
  int rows_n_ = 0;
  std::vector<int> base_;  // b + q or b + c of each row (hold window, AMD)
  // AMD: 1 / the classification mean, the answered share, the share of classified calls
  // handed to an agent, the abandons counted per machine result, C, and each row's (b, c).
  double classify_ = 0, answered_ = 0, human_ = 0, per_machine_ = 0;
  int max_class_ = 0;  // C (AMD), N (Coxian handle times: the most calls in phase 2)
  // AMD with a hold window: the queue's configurations and each row's (1 otherwise, and 0).
  int configurations_ = 1;
  std::vector<int> row_queue_;
  // Coxian handle times: the two phases' rates (1/s), and the chance of going on to the second;
  // each row's (b, n2) in row_busy_ and row_class_.
  double phase1_ = 0, phase2_ = 0, on_to_second_ = 0;
  std::vector<int> row_busy_, row_class_, row_of_;
  // Scratch of evaluate(), kept so that a solve allocates it once rather than per evaluation.
  mutable std::vector<int> land_;           // landing index of each post-decision state, or -1
  mutable std::vector<int> land_state_;     // the state of each landing index
  mutable std::vector<double> rows_;        // the landing states' coefficient rows
  mutable std::vector<double> cur_, prev_;  // coefficient rows of two layers k, by row
  mutable std::vector<double> system_, solution_;
};

PolicyStats to_stats(const Rates& r, const OptimumModel& m) {
  PolicyStats s;
  s.occupancy = r.busy / m.agents;
  s.connects_per_hour = r.connects * 3600.0;
  s.abandons_per_hour = r.abandons * 3600.0;
  s.live_answers_per_hour = r.live() * 3600.0;
  s.attempts_per_hour = r.in_flight / m.attempt_mean_s * 3600.0;
  const double counted =
      r.abandons + (has_amd(m) ? m.counted_abandons_per_machine : 0) * r.machines;
  s.abandon_rate = r.live() > 0 ? counted / r.live() : 0.0;
  s.mean_in_flight = r.in_flight;
  s.cap_probability = r.cap_mass;
  s.mean_waiting = r.waiting;
  s.queue_full_probability = r.queue_full;
  s.mean_classifying = r.classifying;
  s.classifying_full_probability = r.classifying_full;
  s.machine_results_per_hour = r.machines * 3600.0;
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
// `queue` is the hold-window model's waiting queue (kHold only), `classifying` the AMD model's C.
// An AMD warm start's targets are used only for the same C (their rows are (b, c) pairs).
template <Layout kLayout>
OptimumResult solve_with_cap(const OptimumModel& m, int dmax, const WaitingQueue* queue,
                             int classifying, const std::atomic<bool>* stop,
                             std::vector<int>& target, double warm_lambda) {
  Chain<kLayout> chain(m, dmax, queue, stop, classifying);
  OptimumResult out;
  out.max_in_flight = dmax;
  bool all_threshold = true;
  const bool zero_cap = m.abandon_cap == 0;
  const bool cold =
      target.empty() || (Chain<kLayout>::kPairs && static_cast<int>(target.size()) != chain.rows());
  Policy pol =
      chain.from_target(cold ? chain.first_guess(zero_cap) : chain.admissible(target, zero_cap));
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
      target.resize(chain.rows());
      for (int row = 0; row < chain.rows(); ++row) target[row] = pol[chain.idx(row, 0)];
    }
    s.policy = pol;
    return s;
  };
  auto finish = [&](const Solved& feasible, const Solved& infeasible, double w, double lambda) {
    out.lambda = lambda;
    out.feasible = to_stats(feasible.rates, m);
    out.infeasible = to_stats(infeasible.rates, m);
    out.feasible_target = chain.by_busy(feasible.target);
    out.infeasible_target = chain.by_busy(infeasible.target);
    out.feasible_target_by_classifying = chain.by_busy_and_classifying(feasible.target);
    out.infeasible_target_by_classifying = chain.by_busy_and_classifying(infeasible.target);
    out.mixing_weight = w;
    Rates mix;
    mix.connects = w * feasible.rates.connects + (1 - w) * infeasible.rates.connects;
    mix.abandons = w * feasible.rates.abandons + (1 - w) * infeasible.rates.abandons;
    mix.busy = w * feasible.rates.busy + (1 - w) * infeasible.rates.busy;
    mix.in_flight = w * feasible.rates.in_flight + (1 - w) * infeasible.rates.in_flight;
    mix.machines = w * feasible.rates.machines + (1 - w) * infeasible.rates.machines;
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
    if constexpr (Chain<kLayout>::kQueues) {
      out.patience_phases = queue->phases;
      out.max_waiting = queue->limit;
      out.queue_binding = std::max(out.feasible.queue_full_probability,
                                   out.infeasible.queue_full_probability) > kCapMassLimit;
    }
    if constexpr (kLayout == Layout::kAmd || kLayout == Layout::kAmdHold) {
      out.max_classifying = classifying;
      out.classifying_binding =
          std::max(out.feasible.classifying_full_probability,
                   out.infeasible.classifying_full_probability) > kCapMassLimit;
    }
    return out;
  };

  const double alpha = m.abandon_cap;
  if (alpha == 0) {
    const Solved s = solve(0.0, true);
    return finish(s, s, 1.0, kInf);
  }
  // Constraint value K = (1 - alpha) A - alpha C; feasible iff K <= 0.
  // With AMD the counted machine results join the abandons: (1 - alpha) A + f M - alpha C.
  auto k_of = [&](const Rates& r) {
    return (1 - alpha) * r.abandons + (chain.counted_abandons(r) - r.abandons) - alpha * r.connects;
  };
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
    const double a_abandons = chain.counted_abandons(a), c_abandons = chain.counted_abandons(c);
    double lambda = a_abandons > c_abandons ? (a.connects - c.connects) / (a_abandons - c_abandons)
                                            : lambda_lo - 1.0;
    const bool crossing = lambda > lambda_lo + 1e-9 * width && lambda < lambda_hi - 1e-9 * width;
    if (!crossing) lambda = 0.5 * (lambda_lo + lambda_hi);
    Solved mid = solve(lambda, false);
    if (crossing) {
      // Both lines have the same value here. If no policy beats it, both bracketing policies
      // are optimal at this lambda and their mixture is the constrained optimum.
      const double line = a.connects - lambda * a_abandons;
      const double value = mid.rates.connects - lambda * chain.counted_abandons(mid.rates);
      if (mid.policy == lo.policy || mid.policy == hi.policy || value <= line + slack) {
        return mix_and_finish(lambda);
      }
    }
    place(std::move(mid), lambda);
    if (lambda_hi - lambda_lo <= 1e-12 * lambda_hi) return mix_and_finish(lambda);
  }
  throw Error(ErrorCode::kInvalidArgument, "optimum: the Lagrangian search did not converge");
}

// W the first solve of a hold-window model uses when max_waiting is automatic.
constexpr int kFirstWaiting = 2;
// C the first solve of an AMD model uses when max_classifying is automatic, and its step.
constexpr int kFirstClassifying = 4;
constexpr int kClassifyingStep = 2;
int first_classifying(const OptimumModel& m) {
  return m.max_classifying > 0 ? m.max_classifying : kFirstClassifying;
}

OptimumResult solve(const OptimumModel& model, const std::atomic<bool>* stop,
                    OptimumWarmStart* warm) {
  validate(model);
  const bool hold = has_hold(model);
  const bool amd = has_amd(model);
  const bool coxian = has_coxian(model);
  std::vector<int> target;
  double warm_lambda = 0;
  // A warm start's first N + 1 targets are the rows b = 0..N (nobody waiting) in the plain and
  // hold-window chains; an AMD chain's rows are (b, c) pairs (solve_with_cap checks them).
  if (warm != nullptr && warm->agents == model.agents &&
      (hold || amd || coxian ? static_cast<int>(warm->target.size()) > model.agents
                             : static_cast<int>(warm->target.size()) == model.agents + 1)) {
    target = warm->target;
    if (std::isfinite(warm->lambda)) warm_lambda = warm->lambda;
  }
  // waiting: W with a hold window, else 0; classifying: C with AMD, else 0.
  auto run = [&](int dmax, int waiting, int classifying) {
    OptimumResult r;
    if (coxian && waiting > 0) {
      const WaitingQueue queue = make_queue(phases_of(model), waiting, model.hold_window_s);
      r = solve_with_cap<Layout::kCoxianHold>(model, dmax, &queue, 0, stop, target, warm_lambda);
    } else if (coxian) {
      r = solve_with_cap<Layout::kCoxian>(model, dmax, nullptr, 0, stop, target, warm_lambda);
    } else if (amd && waiting > 0) {
      const WaitingQueue queue = make_queue(phases_of(model), waiting, model.hold_window_s);
      r = solve_with_cap<Layout::kAmdHold>(model, dmax, &queue, classifying, stop, target,
                                           warm_lambda);
    } else if (amd) {
      r = solve_with_cap<Layout::kAmd>(model, dmax, nullptr, classifying, stop, target,
                                       warm_lambda);
    } else if (waiting > 0) {
      const WaitingQueue queue = make_queue(phases_of(model), waiting, model.hold_window_s);
      r = solve_with_cap<Layout::kHold>(model, dmax, &queue, 0, stop, target, warm_lambda);
    } else {
      r = solve_with_cap<Layout::kPlain>(model, dmax, nullptr, 0, stop, target, warm_lambda);
    }
    if (warm != nullptr) {
      warm->agents = model.agents;
      warm->max_in_flight = dmax;
      warm->lambda = r.lambda;
      warm->target = target;
    }
    return r;
  };
  int waiting = !hold ? 0 : model.max_waiting > 0 ? model.max_waiting : kFirstWaiting;
  int classifying = amd ? first_classifying(model) : 0;
  const bool auto_d = model.max_in_flight == 0;
  double dmax = auto_d ? auto_in_flight(model) : model.max_in_flight;
  require_fits(model, dmax, waiting, classifying);
  for (;;) {
    OptimumResult r = run(static_cast<int>(dmax), waiting, classifying);
    // Each limit the solved policies reach grows while the grown solve fits: D by 25 %, the
    // waiting places by one, the classification places by kClassifyingStep.
    const double next = std::ceil(dmax * 1.25);
    const bool grow_d = auto_d && r.cap_binding && dmax <= 64 * model.agents / model.p_live &&
                        solve_size(model, next, waiting, classifying).fits();
    const double new_d = grow_d ? next : dmax;
    const bool grow_waiting = hold && model.max_waiting == 0 && r.queue_binding &&
                              waiting < kOptimumMaxWaiting &&
                              solve_size(model, new_d, waiting + 1, classifying).fits();
    const int new_waiting = grow_waiting ? waiting + 1 : waiting;
    const int more = std::min(classifying + kClassifyingStep, kOptimumMaxClassifying);
    const bool grow_classifying = amd && model.max_classifying == 0 && r.classifying_binding &&
                                  classifying < kOptimumMaxClassifying &&
                                  solve_size(model, new_d, new_waiting, more).fits();
    if (!grow_d && !grow_waiting && !grow_classifying) return r;
    dmax = new_d;
    waiting = new_waiting;
    if (grow_classifying) classifying = more;
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
  const int waiting = !has_hold(model)        ? 0
                      : model.max_waiting > 0 ? model.max_waiting
                                              : kFirstWaiting;
  // With AMD the calls in classification count against the target, as the engine's pending
  // calls do (the calls waiting for an agent are resolved: they do not).
  const auto by_pending = [&](const auto& chain) {
    std::vector<int> rows(static_cast<std::size_t>(chain.rows()));
    for (int row = 0; row < chain.rows(); ++row) {
      rows[row] = std::max(target[chain.busy(row)] - chain.classifying(row), chain.least(row));
    }
    return to_stats(chain.evaluate(chain.from_target(rows), 0.0, nullptr, nullptr), model);
  };
  if (has_amd(model)) {
    const int classifying = first_classifying(model);
    require_fits(model, model.max_in_flight, waiting, classifying);
    if (waiting == 0) {
      return by_pending(
          Chain<Layout::kAmd>(model, model.max_in_flight, nullptr, nullptr, classifying));
    }
    const WaitingQueue queue = make_queue(phases_of(model), waiting, model.hold_window_s);
    return by_pending(
        Chain<Layout::kAmdHold>(model, model.max_in_flight, &queue, nullptr, classifying));
  }
  if (has_coxian(model)) {
    // Every row takes its busy agents' target, whatever their phases and the queue.
    const auto by_busy = [&](const auto& chain) {
      std::vector<int> rows(static_cast<std::size_t>(chain.rows()));
      for (int row = 0; row < chain.rows(); ++row) rows[row] = target[chain.busy(row)];
      return to_stats(chain.evaluate(chain.from_target(rows), 0.0, nullptr, nullptr), model);
    };
    require_fits(model, model.max_in_flight, waiting);
    if (waiting == 0) return by_busy(Chain<Layout::kCoxian>(model, model.max_in_flight));
    const WaitingQueue queue = make_queue(phases_of(model), waiting, model.hold_window_s);
    return by_busy(Chain<Layout::kCoxianHold>(model, model.max_in_flight, &queue));
  }
  if (!has_hold(model)) {
    require_fits(model, model.max_in_flight);
    const Chain<Layout::kPlain> chain(model, model.max_in_flight);
    return to_stats(chain.evaluate(chain.from_target(target), 0.0, nullptr, nullptr), model);
  }
  // The queue's rows (b = N, someone waiting) take the b = N target: a policy that reads b only.
  require_fits(model, model.max_in_flight, waiting);
  const WaitingQueue queue = make_queue(phases_of(model), waiting, model.hold_window_s);
  const Chain<Layout::kHold> chain(model, model.max_in_flight, &queue);
  std::vector<int> rows = target;
  rows.resize(chain.rows(), target.back());
  return to_stats(chain.evaluate(chain.from_target(rows), 0.0, nullptr, nullptr), model);
}

std::vector<int> governor_in_flight_limit(int agents, int budget, double p_hi, double risk,
                                          int most) {
  // P(Binomial(m, p) > k), summed from k + 1 by the ratio of successive terms.
  const auto tail_above = [p_hi](int m, int k) {
    if (m <= k) return 0.0;
    if (k < 0 || p_hi >= 1) return 1.0;
    if (p_hi <= 0) return 0.0;
    double term = std::exp(std::lgamma(m + 1.0) - std::lgamma(k + 2.0) - std::lgamma(m - k + 0.0) +
                           (k + 1) * std::log(p_hi) + (m - k - 1) * std::log1p(-p_hi));
    double sum = 0;
    for (int x = k + 1; x <= m && term > 0; ++x) {
      sum += term;
      if (term < sum * 1e-12) break;
      term *= static_cast<double>(m - x) / (x + 1) * p_hi / (1 - p_hi);
    }
    return sum;
  };
  std::vector<int> limit(static_cast<std::size_t>(std::max(agents, 0)) + 1);
  for (int b = 0; b <= agents; ++b) {
    const int k = budget + agents - b;  // live answers the free agents and the budget absorb
    // Up to k calls nothing can pass the budget; up to the free agents is always allowed.
    int lo = std::min(std::max(agents - b, k), most);
    int hi = most;
    if (lo >= most || tail_above(most, k) <= risk) {
      limit[static_cast<std::size_t>(b)] = most;
      continue;
    }
    while (hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      (tail_above(mid, k) <= risk ? lo : hi) = mid;
    }
    limit[static_cast<std::size_t>(b)] = lo;
  }
  return limit;
}

}  // namespace omnivox
