// PREDICTIVE: certainty-equivalent optimal control over the models of optimum.h (the stylised
// one, with the campaign's hold window when it has one, or the AMD one).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "omnivox/compliance.h"
#include "omnivox/optimum.h"
#include "omnivox/pacing.h"
#include "pacing/optimum_solver.h"

namespace omnivox {
namespace {

// A solution of the model: the two bracketing thresholds, T(b) for b busy agents. With AMD
// also by calls in classification, T(b, c), a target of ringing calls (empty for the stylised
// model, whose T(b) counts every call not yet resolved).
struct Solution {
  bool ok = false;
  std::vector<int> feasible, infeasible;
  std::vector<std::vector<int>> feasible_by_classifying, infeasible_by_classifying;
};

// The stylised model the AMD model reduces to when its classification is folded into the
// attempt time (a call not yet resolved counts as one, whether ringing or in classification):
// what PREDICTIVE solved before it read the calls in classification, and its fallback where the
// AMD model is past the solver's limits (large teams).
OptimumModel without_amd(OptimumModel m) {
  m.attempt_mean_s += m.answered_share * m.amd_mean_s;
  m.amd_mean_s = 0;
  m.answered_share = 1;
  return m;
}

// `warm` is the last solve, used when it was for the same team size: re-solves after an estimate
// moved start from it (2-3x faster, the same answer to the tolerance; benchmarks/README.md).
Solution solve_model(const OptimumModel& m, const std::atomic<bool>* stop, OptimumWarmStart& warm) {
  Solution sol;
  try {
    OptimumResult r = solve_optimum_warm(m, warm, stop);
    if (r.threshold_form && !r.feasible_target.empty()) {
      sol.ok = true;
      sol.feasible = std::move(r.feasible_target);
      sol.infeasible = std::move(r.infeasible_target);
      sol.feasible_by_classifying = std::move(r.feasible_target_by_classifying);
      sol.infeasible_by_classifying = std::move(r.infeasible_target_by_classifying);
    }
  } catch (const std::exception&) {
    sol.ok = false;  // past the solver's limits, or stopped: the policy stays as it was
    warm = {};       // a stopped solve leaves it half-updated
  }
  const bool stopped = stop != nullptr && stop->load(std::memory_order_relaxed);
  if (!sol.ok && m.amd_mean_s > 0 && !stopped) return solve_model(without_amd(m), stop, warm);
  return sol;
}

// Solves models on one thread of its own, started at the first job, so that a real-time engine
// never waits for a solve (seconds for 100 agents): the engine thread posts a job and picks the
// result up at a later decision. A job posted while another waits replaces it (only the newest
// model matters); a running job for an older model is stopped.
class SolveWorker {
 public:
  struct Job {
    long generation = 0;
    int agents = 0;
    OptimumModel model;
  };
  struct Done {
    long generation = 0;
    int agents = 0;
    Solution solution;
  };

  SolveWorker() = default;
  SolveWorker(const SolveWorker&) = delete;
  SolveWorker& operator=(const SolveWorker&) = delete;
  ~SolveWorker() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
      queued_.reset();
    }
    stop_.store(true, std::memory_order_relaxed);
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  // False if no thread could be started (the caller then solves inline).
  bool post(Job job) {
    std::lock_guard lock(mu_);
    if (running_ && running_generation_ < job.generation) {
      stop_.store(true, std::memory_order_relaxed);
    }
    queued_ = std::move(job);
    if (!thread_.joinable()) {
      try {
        thread_ = std::thread([this] { loop(); });
      } catch (const std::exception&) {
        queued_.reset();
        return false;
      }
    }
    wake_.notify_one();
    return true;
  }

  std::vector<Done> take() {
    std::lock_guard lock(mu_);
    return std::exchange(done_, {});
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return quit_ || queued_.has_value(); });
      if (quit_) return;
      Job job = std::move(*queued_);
      queued_.reset();
      running_ = true;
      running_generation_ = job.generation;
      stop_.store(false, std::memory_order_relaxed);
      lock.unlock();
      Solution sol = solve_model(job.model, &stop_, warm_);
      lock.lock();
      running_ = false;
      if (!stop_.load(std::memory_order_relaxed)) {
        done_.push_back({job.generation, job.agents, std::move(sol)});
      }
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::optional<Job> queued_;
  std::vector<Done> done_;
  bool running_ = false;
  long running_generation_ = 0;
  bool quit_ = false;
  std::atomic<bool> stop_{false};
  // The last solve's, whatever its team size (a warm start for another size is ignored): one
  // is ~16 bytes per state, too much to keep for every size. The worker thread's alone.
  OptimumWarmStart warm_;
  std::thread thread_;  // last: started after every member it reads
};

class PredictivePolicy final : public PacingPolicy {
 public:
  explicit PredictivePolicy(const PredictiveOptions& o) : options_(o) {}
  std::string name() const override { return "predictive"; }

  int decide(const PacingSnapshot& s) override {
    const int busy = s.agents_busy;
    const int staffed = s.agents_idle + busy;  // agents who can take calls (not paused)
    const int progressive = std::max(s.agents_idle - s.calls_pending - s.calls_waiting, 0);
    if (staffed <= 0) return 0;
    const Estimates est = estimate(s);
    if (!est.ready) return progressive;
    const double target = options_.target_share_of_cap * s.abandon_cap;
    adjust_allowance(s, target);
    if (allowance_ <= 0) allowance_ = target;
    counted_machines_ = counted_share_without_abandons(s);
    // A campaign with AMD gets the AMD model once it has classifications, without the window
    // (the AMD model with a window takes seconds to solve); until then, none is modelled.
    hold_window_s_ =
        s.classifications_finished == 0 && s.abandon_cap > 0 ? std::max(s.hold_window_s, 0.0) : 0.0;

    const int modelled = std::min(staffed, 100);
    adopt_finished_solves();
    auto [sol, fit] = choose(modelled, est, s.attempts_resolved, !s.real_time);
    if (sol == nullptr || !sol->ok) return progressive;
    if (options_.plan_within_governor_risk > 0 && fit == staffed && !s.real_time &&
        sol->feasible_by_classifying.empty()) {
      sol = within_governor(s, staffed, *sol);
    }
    // Time-share the two bracketing thresholds by the measured rate: under target, the bolder.
    const bool bolder = s.abandon_rate < target && !sol->infeasible.empty();
    // A solution for another team size (teams over 100, or a size not solved yet) is scaled.
    const double scale = static_cast<double>(staffed) / fit;
    auto scaled_down = [&](int n, std::size_t places) {
      return std::min(static_cast<int>(std::lround(n / scale)), static_cast<int>(places) - 1);
    };
    const int busy_or_waiting = busy + s.calls_waiting;
    const auto& by_classifying =
        bolder ? sol->infeasible_by_classifying : sol->feasible_by_classifying;
    if (!by_classifying.empty()) {
      // The AMD model's state: b busy, c in classification, the rest of the calls not yet
      // resolved ringing; its target counts the ringing calls.
      const int classifying = std::clamp(s.calls_classifying, 0, s.calls_pending);
      const auto& targets = by_classifying[scaled_down(classifying, by_classifying.size())];
      const int b = scaled_down(busy_or_waiting, targets.size());
      const int wanted_ringing = static_cast<int>(std::lround(targets[b] * scale));
      return std::max(wanted_ringing - (s.calls_pending - classifying), progressive);
    }
    const std::vector<int>& targets = bolder ? sol->infeasible : sol->feasible;
    const int b = scaled_down(busy_or_waiting, targets.size());
    int wanted_in_flight = static_cast<int>(std::lround(targets[b] * scale));
    return std::max(wanted_in_flight - s.calls_pending, progressive);
  }

  // The governor's limit of the moment by busy agents (a model with no calls waiting): its
  // budget of abandons from the window's counts, p_hi from the resolved attempts and the calls
  // in flight counted live, as the governor bounds p (docs/compliance.md).
  std::vector<int> governor_limit(const PacingSnapshot& s, int agents, int most) const {
    const double cap = s.abandon_cap;
    if (cap <= 0 || cap >= 1) return std::vector<int>(static_cast<std::size_t>(agents) + 1, most);
    const double budget =
        (cap * static_cast<double>(s.live_answers) - static_cast<double>(s.abandons)) / (1 - cap);
    const double pending = std::max(s.calls_pending, 0);
    const double resolved = static_cast<double>(std::max(s.attempts_resolved, 0L));
    const double live = std::clamp(s.live_answer_probability, 0.0, 1.0) * resolved;
    const double p_hi =
        live_chance_upper_bound(live + pending, resolved + pending, kGovernorRateBoundRisk);
    return governor_in_flight_limit(agents, static_cast<int>(std::floor(budget + 1e-9)), p_hi,
                                    options_.plan_within_governor_risk, most);
  }

  // The model solved again within the governor's limit of the moment where the free solution's
  // targets pass it (plan_within_governor_risk); the free solution where they do not.
  const Solution* within_governor(const PacingSnapshot& s, int agents, const Solution& free) {
    int most = 0;
    for (int t : free.infeasible) most = std::max(most, t);
    for (int t : free.feasible) most = std::max(most, t);
    std::vector<int> limit = governor_limit(s, agents, most);
    bool binds = false;
    for (std::size_t b = 0; b < limit.size(); ++b) {
      if ((b < free.feasible.size() && free.feasible[b] > limit[b]) ||
          (b < free.infeasible.size() && free.infeasible[b] > limit[b])) {
        binds = true;
      }
    }
    if (!binds) return &free;
    if (capped_generation_ != generation_) {
      capped_.clear();
      capped_generation_ = generation_;
    }
    auto it = capped_.find(limit);
    if (it == capped_.end()) {
      OptimumModel m = without_amd(model_for(agents));  // the limit counts every call in flight
      m.in_flight_limit = limit;
      it = capped_.emplace(limit, solve_model(m, nullptr, warm_)).first;
    }
    return it->second.ok ? &it->second : &free;
  }

  // The elapsed times of busy agents and pending attempts are the censored observations of
  // the estimators below.
  bool wants_details() const override { return true; }

 private:
  struct Entry {
    long generation = 0;  // of the model it was solved for
    Solution solution;
  };

  // The model's parameters, each moved by `credible_z` posterior standard deviations towards
  // fewer launches (a higher p, a longer handle time, a shorter attempt time), so that the
  // margin is wide on the first data and vanishes as the sample grows.
  // With AMD (classifications seen), attempt_mean_s is the time to an answer or a failure and
  // the answered calls' classification has its own mean; amd_mean_s = 0 otherwise.
  struct Estimates {
    bool ready = false;
    double p_live = 0, attempt_mean_s = 0, handle_mean_s = 0;
    double answered_share = 1, amd_mean_s = 0;
  };

  // Estimates from the first resolved attempts on, without the bias of a start: calls still
  // running are the long ones, so the mean of the finished ones alone is too short (by the
  // running calls' elapsed time over the finished count: 10 % after 1,000 calls of 100 agents).
  // For exponential times the maximum-likelihood mean under right censoring is (sum of the
  // finished durations + sum of the running ones' elapsed times) / finished count (Lawless,
  // *Statistical Models and Methods for Lifetime Data*, 2nd ed., s. 2.2.1): exact for the
  // stylised model and a vanishing correction for any other, as finished calls outgrow the
  // running ones. p is the Jeffreys posterior of live answers among resolved attempts.
  Estimates estimate(const PacingSnapshot& s) {
    track_handles(s.recent_handle_s);
    Estimates e;
    if (options_.known_p_live > 0 && options_.known_attempt_mean_s > 0 &&
        options_.known_handle_mean_s > 0) {
      e.ready = true;
      e.p_live = std::min(options_.known_p_live, 1.0);
      e.attempt_mean_s = options_.known_attempt_mean_s;
      e.handle_mean_s = options_.known_handle_mean_s;
      return e;
    }
    // The engine's resolve-time and p estimates start after 20 resolved attempts.
    const long resolved = s.attempts_resolved;
    if (resolved <= 20 || resolved < options_.warm_up_attempts || handles_ < kMinHandles) {
      return e;
    }
    double running_handle = 0, running_attempts = 0;
    for (double x : s.busy_elapsed_s) running_handle += x;
    for (double x : s.pending_elapsed_s) running_attempts += x;
    const double n = static_cast<double>(resolved);
    const double z = options_.credible_z;
    const double live = std::clamp(s.live_answer_probability, 0.0, 1.0) * n;
    const double p = (live + 0.5) / (n + 1);
    e.p_live = std::clamp(p + z * std::sqrt(p * (1 - p) / (n + 2)), 0.02, 1.0);
    const double attempt = (s.mean_time_to_resolve_s * n + running_attempts) / n;
    const double shorter = std::max(1 - z / std::sqrt(n), 0.5);
    e.attempt_mean_s = std::max(attempt * shorter, 1.0);
    // With AMD the model of optimum.h splits the time to resolve into ringing and the answered
    // calls' classification, which the engine reports apart, so that the calls in
    // classification (more likely live than a ringing one) are read as such.
    const double classified = static_cast<double>(s.classifications_finished);
    if (s.classifications_finished >= kMinClassifications && s.mean_classification_s > 0) {
      const double answered = std::clamp((classified + 0.5) / (n + 1), e.p_live, 1.0);
      const double ringing = attempt - answered * s.mean_classification_s;
      if (ringing * shorter >= 1.0 && s.mean_classification_s * shorter >= kOptimumMinTimeS) {
        e.answered_share = answered;
        e.amd_mean_s = s.mean_classification_s * shorter;
        e.attempt_mean_s = ringing * shorter;
      }
    }
    const double handles = static_cast<double>(handles_);
    const double handle = (handle_seconds_ + running_handle) / handles;
    e.handle_mean_s = std::max(handle * (1 + z / std::sqrt(handles)), 1.0);
    e.ready = true;
    return e;
  }

  // The share of live answers the compliance profile counts as abandons where no call was
  // abandoned: its estimate of AMD false positives, a fixed share of each machine result (a
  // profile that counts them; 0 otherwise). Machine results and live answers both come as fixed
  // shares of the attempts, whatever the dialer does, so this share is the same for every
  // policy and the model's abandon allowance is the target less it: exact in the model with AMD
  // of optimum.h, whose cap counts the machine results the same way.
  static double counted_share_without_abandons(const PacingSnapshot& s) {
    if (s.live_answers < kMinLiveForCountedShare) return 0.0;
    const double extra =
        s.abandon_rate - static_cast<double>(s.abandons) / static_cast<double>(s.live_answers);
    return extra > 1e-9 ? extra : 0.0;
  }

  // Counts the handle times the engine reported since the last decision. Its window holds the
  // newest ones (up to 1,000, oldest first): while it grows, the new ones are the growth; once
  // full, those after the newest one seen before.
  void track_handles(std::span<const double> window) {
    std::size_t fresh = window.size();
    if (window.size() <= window_size_ && handles_ > 0) {
      fresh = window.size();
      for (std::size_t k = 0; k < window.size(); ++k) {
        if (window[window.size() - 1 - k] == newest_handle_) {
          fresh = k;
          break;
        }
      }
    } else if (handles_ > 0) {
      fresh = window.size() - window_size_;
    }
    for (std::size_t i = window.size() - fresh; i < window.size(); ++i) {
      handle_seconds_ += window[i];
    }
    handles_ += static_cast<long>(fresh);
    window_size_ = window.size();
    if (!window.empty()) newest_handle_ = window.back();
  }

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
    const std::optional<double> recent = recent_rate(s);
    if (!recent) return;
    // Down on the compliance window's rate. Up only when the rate of the last live answers is
    // under target too: the window's rate still carries the start of the campaign, when the
    // governor allowed little beyond the free agents, and a model made bolder for it asks for
    // more than the governor then allows, which it cuts where the model did not plan (fewer
    // connects for more abandons; docs/pacing.md).
    if (s.abandon_rate > 1.15 * target) {
      --allowance_step_;
    } else if (*recent < 0.75 * target && s.abandon_rate < 0.75 * target) {
      ++allowance_step_;
    }
    allowance_step_ = std::clamp(allowance_step_, -10, 6);
    allowance_ = target * std::pow(1.2, allowance_step_);
  }

  // The abandon rate over at least the last kRecentLive live answers of the compliance window,
  // from the counts at earlier adjustments; none until the window holds that many more than at
  // the first. A window that lost live answers (a rolling window past its length) starts over.
  std::optional<double> recent_rate(const PacingSnapshot& s) {
    if (!marks_.empty() && s.live_answers < marks_.back().first) marks_.clear();
    marks_.emplace_back(s.live_answers, s.abandons);
    while (marks_.size() > 2 && s.live_answers - marks_[1].first >= kRecentLive) {
      marks_.pop_front();
    }
    const auto [live, abandons] = marks_.front();
    if (s.live_answers - live < kRecentLive) return std::nullopt;
    return static_cast<double>(s.abandons - abandons) / static_cast<double>(s.live_answers - live);
  }

  // The solution for `agents` and the team size it was solved for. The model is solved again
  // when the sample has doubled and an estimate moved more than kResolveDrift since the last
  // solve (so a campaign solves O(log attempts) times), or the abandon allowance stepped. A
  // threshold as coarse as the early margins (10 %) would keep the margins of the last solve
  // for the rest of a campaign once they shrink below it: they shrink by a factor of sqrt(2) a
  // doubling, a few percent once thousands of attempts resolved. A team size not
  // solved yet uses the nearest solved one, scaled, until it has held for 100 resolved attempts
  // (agents logging in or out one by one at a shift change must not trigger a solve each).
  // With a virtual clock a solve runs inline (time stands still meanwhile, and runs stay
  // reproducible); with a real one on the worker thread, the last solution serving meanwhile.
  std::pair<const Solution*, int> choose(int agents, const Estimates& est, long resolved,
                                         bool inline_solve) {
    auto far = [](double a, double b) { return std::abs(std::log(a / b)) > kResolveDrift; };
    const bool amd_changed = (est.amd_mean_s > 0) != (at_.amd_mean_s > 0) ||
                             (est.amd_mean_s > 0 && (far(est.amd_mean_s, at_.amd_mean_s) ||
                                                     far(est.answered_share, at_.answered_share)));
    bool drifted = far(est.p_live, at_.p_live) || far(est.attempt_mean_s, at_.attempt_mean_s) ||
                   far(est.handle_mean_s, at_.handle_mean_s) || amd_changed ||
                   std::abs(counted_machines_ - at_counted_machines_) > kResolveDrift * allowance_;
    const bool window_changed = hold_window_s_ != at_hold_window_s_;
    bool grown = resolved >= std::max(resolved_at_solve_ + 200L, 2 * resolved_at_solve_);
    if (generation_ == 0 || allowance_step_ != at_step_ || window_changed || (drifted && grown)) {
      ++generation_;
      resolved_at_solve_ = resolved;
      at_step_ = allowance_step_;
      at_.p_live = std::min(1.0, est.p_live);
      at_.attempt_mean_s = est.attempt_mean_s;
      at_.handle_mean_s = est.handle_mean_s;
      at_.amd_mean_s = est.amd_mean_s;
      at_.answered_share = est.amd_mean_s > 0 ? std::max(est.answered_share, at_.p_live) : 1.0;
      at_counted_machines_ = counted_machines_;
      at_.abandon_cap = std::clamp(allowance_ - counted_machines_, 0.0, 0.5);
      at_hold_window_s_ = hold_window_s_;
      at_.tolerance = 1e-3;  // occupancy within ~0.1 % of the exact optimum, 4x faster
      if (inline_solve) by_agents_.clear();
    }
    if (agents != last_agents_) {
      last_agents_ = agents;
      agents_since_ = resolved;
    }
    auto exact = by_agents_.find(agents);
    if (exact != by_agents_.end() && exact->second.generation == generation_) {
      return {&exact->second.solution, agents};
    }
    const bool any_current = std::any_of(by_agents_.begin(), by_agents_.end(), [&](const auto& e) {
      return e.second.generation == generation_;
    });
    if (!any_current || resolved - agents_since_ >= 100) {
      if (inline_solve) {
        Entry& e = by_agents_[agents];
        e = {generation_, solve_model(model_for(agents), nullptr, warm_)};
        return {&e.solution, agents};
      }
      request_solve(agents);
    }
    if (exact != by_agents_.end()) return {&exact->second.solution, agents};
    if (by_agents_.empty()) return {nullptr, agents};
    auto nearest = by_agents_.begin();
    for (auto it = by_agents_.begin(); it != by_agents_.end(); ++it) {
      if (std::abs(it->first - agents) < std::abs(nearest->first - agents)) nearest = it;
    }
    return {&nearest->second.solution, nearest->first};
  }

  OptimumModel model_for(int agents) const {
    OptimumModel m = at_;
    m.agents = agents;
    if (m.amd_mean_s == 0 && agents <= kMostAgentsWithHoldWindow) {
      m.hold_window_s = at_hold_window_s_;
      m.patience_phases = kPatiencePhases;
    }
    return agents > kMostAgentsWithClassification ? without_amd(m) : m;
  }

  void request_solve(int agents) {
    if (requested_ == std::pair{generation_, agents}) return;
    requested_ = {generation_, agents};
    if (!worker_) worker_ = std::make_unique<SolveWorker>();
    if (!worker_->post({generation_, agents, model_for(agents)})) {
      by_agents_[agents] = {generation_, solve_model(model_for(agents), nullptr, warm_)};
    }
  }

  // Installs what the worker finished: the current model's solutions, and an older model's
  // where nothing newer is known for that team size.
  void adopt_finished_solves() {
    if (!worker_) return;
    for (SolveWorker::Done& d : worker_->take()) {
      auto it = by_agents_.find(d.agents);
      if (it == by_agents_.end() || it->second.generation <= d.generation) {
        by_agents_[d.agents] = {d.generation, std::move(d.solution)};
      }
    }
  }

  static constexpr int kUnset = -1000;
  // The governor's risk for its bound of p at the default abandon_guard_risk (10^4 x 10^-9).
  static constexpr double kGovernorRateBoundRisk = 1e-5;
  static constexpr long kMinHandles = 10;  // finished calls before the handle time is trusted
  // Finished classifications before the AMD model is used (the stylised one until then).
  static constexpr long kMinClassifications = 20;
  // The largest team the AMD model is solved for; larger ones get the stylised reduction. Its
  // solves grow fast with the team (CPU at the 1e-3 tolerance, p 0.245, answered 0.4, 2 s
  // classification: 0.13 s at 10 agents, 1.1 s at 20, 3.2 s at 30, 42 s at 50), and a campaign
  // solves again as its estimates move.
  static constexpr int kMostAgentsWithClassification = 20;
  // The hold-window model's patience phases and the largest team it is solved for (larger ones
  // get the stylised model). Its solve time grows as the queue's configurations C(k + W, W)
  // squared, and W with the team (omnivox_optimum_solve_bench --predictive-hold, 1e-3
  // tolerance, 2 s window: k = 2 at 50 agents, p 0.25, 0.7 s of CPU cold and 0.12 s warm, where
  // k = 4 takes 7 s); k = 2 is within 0.2 point of occupancy of k = 8 there.
  static constexpr int kPatiencePhases = 2;
  static constexpr int kMostAgentsWithHoldWindow = 50;
  static constexpr long kRecentLive = 2000;  // live answers behind the recent abandon rate
  // Live answers in the compliance window before their counted share without abandons is used.
  static constexpr long kMinLiveForCountedShare = 100;
  // Relative move of an estimate (|ln(new / old)|) that makes a doubled sample worth a solve.
  static constexpr double kResolveDrift = 0.02;
  PredictiveOptions options_;
  long handles_ = 0;             // finished calls counted by track_handles
  double handle_seconds_ = 0;    // their summed handle times
  std::size_t window_size_ = 0;  // the engine's sample window at the last decision
  double newest_handle_ = 0;     // its newest sample then
  int allowance_step_ = kUnset;
  double allowance_ = 0;
  // counted_share_without_abandons() at this decision, and at the last solve.
  double counted_machines_ = 0, at_counted_machines_ = 0;
  // The hold window (s) to model at this decision (0: none), and the one at the last solve.
  double hold_window_s_ = 0, at_hold_window_s_ = 0;
  long last_adjust_live_ = 0;
  std::deque<std::pair<long, long>> marks_;  // (live answers, abandons) at adjustments
  long generation_ = 0;                      // of the model in at_; 0 before the first
  long resolved_at_solve_ = 0;
  int at_step_ = 0;
  OptimumModel at_;
  std::map<int, Entry> by_agents_;
  OptimumWarmStart warm_;                 // inline solves' (see SolveWorker::warm_)
  std::pair<long, int> requested_{0, 0};  // the last job posted: (generation, agents)
  int last_agents_ = -1;
  long agents_since_ = 0;
  // Solutions within a governor's limit (plan_within_governor_risk), by limit, for the current
  // model's generation.
  std::map<std::vector<int>, Solution> capped_;
  long capped_generation_ = -1;
  std::unique_ptr<SolveWorker> worker_;  // last: destroyed (joined) first
};

}  // namespace

std::unique_ptr<PacingPolicy> make_predictive_policy(const PredictiveOptions& options) {
  return std::make_unique<PredictivePolicy>(options);
}

}  // namespace omnivox
