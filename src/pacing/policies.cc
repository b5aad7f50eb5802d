// Research pacing policies: see omnivox/policies.h for the definitions and their sources.
#include "omnivox/policies.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <deque>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace omnivox {
namespace {

int free_agents(const PacingSnapshot& s) { return std::max(s.agents_idle - s.calls_waiting, 0); }

void require(bool ok, const std::string& what) {
  if (!ok) throw Error(ErrorCode::kConfig, what);
}

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

int to_count(double x) {
  if (!(x > 0)) return 0;
  return x >= static_cast<double>(INT_MAX) ? INT_MAX : static_cast<int>(std::lround(x));
}

// Increases of the snapshot's windowed counters from one decision to the next (see the note on
// measured rates in policies.h).
class CountTracker {
 public:
  struct Delta {
    long live = 0, abandons = 0, resolved = 0;
  };
  Delta update(const PacingSnapshot& s) {
    Delta d;
    d.live = std::max(0L, s.live_answers - live_);
    d.abandons = std::max(0L, s.abandons - abandons_);
    d.resolved = std::max(0L, s.attempts_resolved - resolved_);
    live_ = s.live_answers;
    abandons_ = s.abandons;
    resolved_ = s.attempts_resolved;
    return d;
  }

 private:
  long live_ = 0, abandons_ = 0, resolved_ = 0;
};

// A sorted copy of a recent-samples span, re-sorted only when the span changed.
class SortedSamples {
 public:
  const std::vector<double>& of(std::span<const double> xs) {
    bool same = xs.data() == data_ && xs.size() == sorted_.size() &&
                (xs.empty() || (xs.front() == front_ && xs.back() == back_));
    if (!same) {
      sorted_.assign(xs.begin(), xs.end());
      std::sort(sorted_.begin(), sorted_.end());
      data_ = xs.data();
      if (!xs.empty()) front_ = xs.front(), back_ = xs.back();
    }
    return sorted_;
  }

 private:
  const double* data_ = nullptr;
  double front_ = 0, back_ = 0;
  std::vector<double> sorted_;
};

// Samples strictly greater than x.
std::size_t count_above(const std::vector<double>& sorted, double x) {
  return static_cast<std::size_t>(sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), x));
}

// ---- 1. threshold and tunable power --------------------------------------------------------

class ThresholdPolicy final : public TunablePolicy {
 public:
  explicit ThresholdPolicy(const ThresholdOptions& o)
      : o_(o),
        name_("threshold(k=" + num(o.k) + ",c=" + num(o.c) + ",s=" + std::to_string(o.min_free) +
              ")") {}
  std::string name() const override { return name_; }
  int decide(const PacingSnapshot& s) override {
    int free = free_agents(s);
    if (free < o_.min_free) return 0;
    long target = std::lround(o_.k * free + o_.c);
    return static_cast<int>(std::max(target - s.calls_pending, 0L));
  }
  double parameter() const override { return o_.k; }
  void set_parameter(double v) override { o_.k = std::clamp(v, parameter_min(), parameter_max()); }
  double parameter_min() const override { return 0.0; }
  double parameter_max() const override { return 10.0; }

 private:
  ThresholdOptions o_;
  std::string name_;  // with the starting k
};

class TunablePowerPolicy final : public TunablePolicy {
 public:
  explicit TunablePowerPolicy(double lines)
      : lines_(lines), name_("tunable_power(" + num(lines) + ")") {}
  std::string name() const override { return name_; }
  int decide(const PacingSnapshot& s) override {
    long target = std::lround(lines_ * free_agents(s));
    return static_cast<int>(std::max(target - s.calls_pending, 0L));
  }
  double parameter() const override { return lines_; }
  void set_parameter(double v) override { lines_ = std::clamp(v, 1.0, 10.0); }
  double parameter_min() const override { return 1.0; }
  double parameter_max() const override { return 10.0; }

 private:
  double lines_;
  std::string name_;  // with the starting ratio
};

// ---- 2. expected availability --------------------------------------------------------------

class ExpectedAvailabilityPolicy final : public TunablePolicy {
 public:
  explicit ExpectedAvailabilityPolicy(const ExpectedAvailabilityOptions& o)
      : o_(o),
        w_(std::min(o.look_ahead_s, o.max_look_ahead_s)),
        name_("expected_availability(W=" + num(w_) + (o.adapt ? ",adaptive)" : ")")) {}
  std::string name() const override { return name_; }
  bool wants_details() const override { return true; }
  Duration tick_interval() const override { return o_.tick; }
  double parameter() const override { return w_; }
  void set_parameter(double v) override { w_ = std::clamp(v, 0.0, o_.max_look_ahead_s); }
  double parameter_min() const override { return 0.0; }
  double parameter_max() const override { return o_.max_look_ahead_s; }

  int decide(const PacingSnapshot& s) override {
    adapt(s);
    const double p = std::clamp(s.live_answer_probability, 0.01, 1.0);
    const auto& handle = handle_.of(s.recent_handle_s);
    const auto& live = live_.of(s.recent_live_resolve_s);
    const auto& other = other_.of(s.recent_other_resolve_s);
    const std::size_t min_n = static_cast<std::size_t>(std::max(o_.min_samples, 1));
    const bool empirical_handle = handle.size() >= min_n;
    const bool empirical_resolve = live.size() >= min_n && other.size() >= min_n;
    const double exp_finish =
        s.mean_handle_s > 0 ? 1.0 - std::exp(-w_ / s.mean_handle_s) : (w_ > 0 ? 1.0 : 0.0);

    double expected_free = free_agents(s);
    for (double e : s.busy_elapsed_s) {
      std::size_t above = empirical_handle ? count_above(handle, e) : 0;
      if (above == 0) {
        expected_free += exp_finish;  // exponential (memoryless), or beyond every sample
      } else {
        std::size_t later = count_above(handle, e + w_);
        expected_free += static_cast<double>(above - later) / static_cast<double>(above);
      }
    }
    double expected_live = 0;
    for (double r : s.pending_elapsed_s) {
      if (!empirical_resolve) {
        expected_live += p;
        continue;
      }
      double sl = static_cast<double>(count_above(live, r)) / live.size();
      double so = static_cast<double>(count_above(other, r)) / other.size();
      double den = p * sl + (1 - p) * so;
      if (den > 0) expected_live += p * sl / den;
    }
    return to_count((expected_free - expected_live) / p);
  }

 private:
  void adapt(const PacingSnapshot& s) {
    if (!o_.adapt) return;
    if (s.live_answers < last_live_) last_live_ = s.live_answers;  // the window slid
    if (s.live_answers - last_live_ < o_.adapt_every_live_answers) return;
    last_live_ = s.live_answers;
    const double target = s.abandon_cap * o_.safety;
    if (s.abandon_rate < target) {
      w_ = std::min(w_ + o_.step_s, o_.max_look_ahead_s);
    } else if (s.abandon_rate > target) {
      w_ = std::max(w_ - o_.step_s, 0.0);
    }
  }

  ExpectedAvailabilityOptions o_;
  double w_;
  std::string name_;  // with the starting W
  long last_live_ = 0;
  SortedSamples handle_, live_, other_;
};

// ---- 3. VICIdial ---------------------------------------------------------------------------

const char* method_name(VicidialDropMethod m) {
  switch (m) {
    case VicidialDropMethod::kHardLimit:
      return "ADAPT_HARD_LIMIT";
    case VicidialDropMethod::kAverage:
      return "ADAPT_AVERAGE";
    case VicidialDropMethod::kTapered:
      return "ADAPT_TAPERED";
  }
  return "?";
}

class VicidialPolicy final : public TunablePolicy {
 public:
  explicit VicidialPolicy(const VicidialOptions& o) : o_(o), level_(o.initial_level) {}
  std::string name() const override {
    return std::string("vicidial(") + method_name(o_.method) + ")";
  }
  bool wants_details() const override { return true; }
  Duration tick_interval() const override { return o_.sample_interval; }
  double parameter() const override { return level_; }
  void set_parameter(double v) override { level_ = std::clamp(v, 1.0, o_.max_level); }
  double parameter_min() const override { return 1.0; }
  double parameter_max() const override { return o_.max_level; }

  int decide(const PacingSnapshot& s) override {
    track_drops(s);
    int on_call = 0;
    for (const BusyAgentView& b : s.busy_agents) {
      if (b.state == AgentState::kReserved || b.state == AgentState::kOnCall) ++on_call;
    }
    const int agents = s.agents_idle + on_call;
    if (!next_sample_ || s.now >= *next_sample_) {
      next_sample_ = s.now + o_.sample_interval;
      ready_sum_ += s.agents_idle;
      waiting_sum_ += s.calls_waiting;
      agents_sum_ += agents;
      if (++samples_ >= o_.samples_per_update) update(s);
    }
    const long lines = static_cast<long>(s.calls_pending) + s.calls_waiting + on_call;
    const long goal = std::lround(level_ * agents);
    return static_cast<int>(std::max(goal - lines, 0L));
  }

 private:
  struct MinuteEntry {
    TimePoint at;
    long resolved, abandons;
  };

  void track_drops(const PacingSnapshot& s) {
    CountTracker::Delta d = counts_.update(s);
    if (s.calling_day_left > last_day_left_ + 1e-9) {
      today_ = {};  // a new calling day began (the campaign zone's midnight)
    }
    last_day_left_ = s.calling_day_left;
    today_.live += d.live;
    today_.abandons += d.abandons;
    today_.resolved += d.resolved;
    if (d.resolved > 0 || d.abandons > 0) minute_.push_back({s.now, d.resolved, d.abandons});
    while (!minute_.empty() && minute_.front().at <= s.now - std::chrono::seconds(60)) {
      minute_.pop_front();
    }
  }

  void update(const PacingSnapshot& s) {
    const double n = samples_;
    const double ready = ready_sum_ / n, waiting = waiting_sum_ / n, agents = agents_sum_ / n;
    samples_ = 0;
    ready_sum_ = waiting_sum_ = agents_sum_ = 0;
    if (agents > 0) {
      double m = (ready - waiting + o_.dl_diff_target) / agents;
      double intensity = o_.intensity / 100.0;
      m = m >= 0 ? m * (intensity + 1) : m * std::abs(intensity - 1);
      level_ *= 1 + m;
    }
    level_ = std::clamp(level_, 1.0, o_.max_level);
    // Drop rules.
    long minute_resolved = 0, minute_abandons = 0;
    for (const MinuteEntry& e : minute_) {
      minute_resolved += e.resolved;
      minute_abandons += e.abandons;
    }
    if (minute_resolved > 20 && 2 * minute_abandons > minute_resolved) level_ /= 2;
    const double limit = o_.drop_limit > 0 ? o_.drop_limit : s.abandon_cap;
    if (today_.resolved > o_.min_calls_today && today_.live > 0 &&
        static_cast<double>(today_.abandons) / today_.live > limit) {
      switch (o_.method) {
        case VicidialDropMethod::kHardLimit:
          level_ = 1.0;
          break;
        case VicidialDropMethod::kAverage:
          level_ /= 2;
          break;
        case VicidialDropMethod::kTapered:
          level_ *= std::clamp(s.calling_day_left, 0.0, 1.0);
          break;
      }
    }
    level_ = std::max(level_, 1.0);
  }

  VicidialOptions o_;
  double level_;
  std::optional<TimePoint> next_sample_;
  double ready_sum_ = 0, waiting_sum_ = 0, agents_sum_ = 0;
  int samples_ = 0;
  CountTracker counts_;
  CountTracker::Delta today_;
  double last_day_left_ = 2.0;  // the first decision starts a day
  std::deque<MinuteEntry> minute_;
};

// ---- 4. PI wrapper -------------------------------------------------------------------------

class PiPolicy final : public PacingPolicy {
 public:
  PiPolicy(std::unique_ptr<TunablePolicy> inner, const PiOptions& o)
      : inner_(std::move(inner)), o_(o), start_(inner_->parameter()) {}
  std::string name() const override { return "pi(" + inner_->name() + ")"; }
  bool wants_details() const override { return inner_->wants_details(); }
  Duration tick_interval() const override { return inner_->tick_interval(); }

  int decide(const PacingSnapshot& s) override {
    CountTracker::Delta d = counts_.update(s);
    if (d.live > 0 || d.abandons > 0) {
      window_.emplace_back(d.live, d.abandons);
      window_live_ += d.live;
      window_abandons_ += d.abandons;
      since_update_ += d.live;
      while (!window_.empty() && window_live_ - window_.front().first >= o_.window_live_answers) {
        window_live_ -= window_.front().first;
        window_abandons_ -= window_.front().second;
        window_.pop_front();
      }
    }
    const bool warm = window_live_ >= o_.min_live_answers;
    if (warm && since_update_ >= o_.update_every_live_answers) {
      since_update_ = 0;
      control(s);
    }
    int wanted = inner_->decide(s);  // always asked: its own state stays current
    const int progressive = std::max(free_agents(s) - s.calls_pending, 0);
    return warm ? std::max(wanted, progressive) : progressive;
  }

 private:
  void control(const PacingSnapshot& s) {
    if (window_live_ <= 0) return;
    const double target = std::max(s.abandon_cap * o_.safety, 1e-9);
    const double measured = static_cast<double>(window_abandons_) / window_live_;
    const double e = (target - measured) / target;
    const double lo = inner_->parameter_min(), hi = inner_->parameter_max();
    const double range = hi - lo;
    integral_ += e;
    if (o_.ki > 0 && range > 0) {
      // Anti-windup: the integral term alone never reaches beyond either end of the range.
      integral_ =
          std::clamp(integral_, (lo - start_) / (range * o_.ki), (hi - start_) / (range * o_.ki));
    }
    double out = start_ + range * (o_.kp * e + o_.ki * integral_);
    inner_->set_parameter(std::clamp(out, lo, hi));
  }

  std::unique_ptr<TunablePolicy> inner_;
  PiOptions o_;
  double start_;
  double integral_ = 0;
  CountTracker counts_;
  std::deque<std::pair<long, long>> window_;  // (live answers, abandons) per decision
  long window_live_ = 0, window_abandons_ = 0, since_update_ = 0;
};

// ---- 5. open loop --------------------------------------------------------------------------

class OpenLoopPolicy final : public PacingPolicy {
 public:
  explicit OpenLoopPolicy(const OpenLoopOptions& o) : o_(o), rng_(o.seed) {}
  std::string name() const override { return "open_loop(" + num(o_.rate_per_s) + "/s)"; }
  Duration tick_interval() const override { return o_.tick; }
  int decide(const PacingSnapshot& s) override {
    if (!last_) {
      last_ = s.now;
      return 0;
    }
    double elapsed = to_seconds(s.now - *last_);
    if (elapsed <= 0) return 0;
    last_ = s.now;
    std::poisson_distribution<long> arrivals(o_.rate_per_s * elapsed);
    return static_cast<int>(std::min<long>(arrivals(rng_), INT_MAX));
  }

 private:
  OpenLoopOptions o_;
  std::mt19937_64 rng_;
  std::optional<TimePoint> last_;
};

// ---- 6. oracle -----------------------------------------------------------------------------

class OraclePolicy final : public PacingPolicy {
 public:
  OraclePolicy(OutcomeForecaster* sim, const OracleOptions& o) : sim_(sim), o_(o) {}
  std::string name() const override { return "oracle"; }
  bool wants_details() const override { return true; }
  Duration tick_interval() const override { return o_.tick; }

  int decide(const PacingSnapshot& s) override {
    const TimePoint t0 = s.now;
    free_.assign(static_cast<std::size_t>(std::max(s.agents_idle, 0)), t0);
    for (const BusyAgentView& b : s.busy_agents) {
      if (auto at = sim_->agent_free_at(b.agent)) free_.push_back(std::max(*at, t0));
    }
    arrivals_.assign(static_cast<std::size_t>(std::max(s.calls_waiting, 0)), t0);
    for (const PendingCallView& c : s.pending_calls) {
      auto f = sim_->forecast(c.call);
      if (f && f->live_answer) arrivals_.push_back(std::max(f->resolves_at, t0));
    }
    std::sort(free_.begin(), free_.end());
    std::sort(arrivals_.begin(), arrivals_.end());
    int matched = matching();
    int launch = 0;
    std::vector<OriginateForecast> next;
    for (int i = 0; i < o_.max_lookahead; ++i) {
      if (static_cast<std::size_t>(i) >= next.size()) {
        std::size_t want =
            std::min<std::size_t>(o_.max_lookahead, std::max<std::size_t>(32, 2 * next.size()));
        next = sim_->peek_next_originates(want, o_.ring_timeout, o_.amd);
      }
      const OriginateForecast& f = next[i];
      if (!f.live_answer) continue;
      TimePoint at = t0 + seconds_to_duration(f.resolves_after_s);
      auto pos = arrivals_.insert(std::upper_bound(arrivals_.begin(), arrivals_.end(), at), at);
      int with = matching();
      if (with != matched + 1) {
        arrivals_.erase(pos);
        break;
      }
      matched = with;
      launch = i + 1;
    }
    return launch;
  }

 private:
  // Maximum matching of arrivals (sorted) to agent free times (sorted): each arrival takes an
  // agent free by its time plus the slack, earliest first.
  int matching() const {
    const Duration slack = seconds_to_duration(o_.slack_s);
    int used = 0;
    std::size_t available = 0;
    for (TimePoint a : arrivals_) {
      while (available < free_.size() && free_[available] <= a + slack) ++available;
      if (available > static_cast<std::size_t>(used)) ++used;
    }
    return used;
  }

  OutcomeForecaster* sim_;
  OracleOptions o_;
  std::vector<TimePoint> free_, arrivals_;
};

}  // namespace

std::unique_ptr<TunablePolicy> make_threshold_policy(const ThresholdOptions& o) {
  require(o.k >= 0 && o.k <= 10, "threshold k: " + num(o.k) + " is outside [0, 10]");
  require(o.c >= -100 && o.c <= 100, "threshold c: " + num(o.c) + " is outside [-100, 100]");
  require(o.min_free >= 0, "threshold min_free: must be >= 0");
  return std::make_unique<ThresholdPolicy>(o);
}

std::unique_ptr<TunablePolicy> make_tunable_power_policy(double lines_per_agent) {
  require(lines_per_agent >= 1 && lines_per_agent <= 10,
          "power lines_per_agent: " + num(lines_per_agent) + " is outside [1, 10]");
  return std::make_unique<TunablePowerPolicy>(lines_per_agent);
}

std::unique_ptr<TunablePolicy> make_expected_availability_policy(
    const ExpectedAvailabilityOptions& o) {
  require(o.look_ahead_s >= 0 && std::isfinite(o.look_ahead_s),
          "expected_availability look_ahead_s: must be >= 0");
  require(o.max_look_ahead_s >= 0 && std::isfinite(o.max_look_ahead_s),
          "expected_availability max_look_ahead_s: must be >= 0");
  require(o.step_s >= 0, "expected_availability step_s: must be >= 0");
  require(o.safety > 0, "expected_availability safety: must be > 0");
  require(o.adapt_every_live_answers >= 1,
          "expected_availability adapt_every_live_answers: must be >= 1");
  require(o.tick >= Duration(0), "expected_availability tick: must be >= 0");
  return std::make_unique<ExpectedAvailabilityPolicy>(o);
}

std::unique_ptr<TunablePolicy> make_vicidial_policy(const VicidialOptions& o) {
  require(o.max_level >= 1, "vicidial max_level: must be >= 1");
  require(o.initial_level >= 1 && o.initial_level <= o.max_level,
          "vicidial initial_level: must be in [1, max_level]");
  require(o.intensity >= -40 && o.intensity <= 40, "vicidial intensity: must be in [-40, 40]");
  require(o.drop_limit >= 0 && o.drop_limit <= 1, "vicidial drop_limit: must be in [0, 1]");
  require(o.samples_per_update >= 1, "vicidial samples_per_update: must be >= 1");
  require(o.sample_interval > Duration(0), "vicidial sample_interval: must be > 0");
  require(o.min_calls_today >= 0, "vicidial min_calls_today: must be >= 0");
  return std::make_unique<VicidialPolicy>(o);
}

std::unique_ptr<PacingPolicy> make_pi_policy(std::unique_ptr<TunablePolicy> inner,
                                             const PiOptions& o) {
  require(inner != nullptr, "pi: the inner policy is null");
  require(o.safety > 0, "pi safety: must be > 0");
  require(o.window_live_answers >= 1, "pi window_live_answers: must be >= 1");
  require(o.min_live_answers >= 0, "pi min_live_answers: must be >= 0");
  require(o.update_every_live_answers >= 1, "pi update_every_live_answers: must be >= 1");
  require(o.kp >= 0 && o.ki >= 0, "pi gains: must be >= 0");
  return std::make_unique<PiPolicy>(std::move(inner), o);
}

std::unique_ptr<PacingPolicy> make_open_loop_policy(const OpenLoopOptions& o) {
  require(o.rate_per_s > 0 && std::isfinite(o.rate_per_s), "open_loop rate_per_s: must be > 0");
  require(o.tick > Duration(0), "open_loop tick: must be > 0");
  return std::make_unique<OpenLoopPolicy>(o);
}

std::unique_ptr<PacingPolicy> make_oracle_policy(OutcomeForecaster* forecaster,
                                                 const OracleOptions& o) {
  if (forecaster == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, "oracle: the forecaster (simulator) is null");
  }
  require(o.max_lookahead >= 1, "oracle max_lookahead: must be >= 1");
  require(o.slack_s >= 0, "oracle slack_s: must be >= 0");
  return std::make_unique<OraclePolicy>(forecaster, o);
}

}  // namespace omnivox
