#include "omnivox/compliance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

namespace omnivox {
namespace {

CallWindow weekly(LocalTimeRange weekday, LocalTimeRange saturday, LocalTimeRange sunday) {
  CallWindow w;
  for (int d = 1; d <= 5; ++d) w.by_weekday[d] = weekday;
  w.by_weekday[6] = saturday;
  w.by_weekday[0] = sunday;
  return w;
}

}  // namespace

ComplianceProfile ComplianceProfile::none() { return ComplianceProfile{}; }

ComplianceProfile ComplianceProfile::us_ftc_fcc() {
  ComplianceProfile p;
  p.name = "US_FTC_FCC";
  p.abandon_cap = 0.03;
  p.abandon_window = std::chrono::hours(24 * 30);
  // A person AMD takes for a machine and hangs up on was not connected within 2 s: an abandon.
  p.count_amd_false_positives = true;
  p.amd_false_positive_rate = 0.05;
  p.hold_window = std::chrono::seconds(2);
  p.min_ring = std::chrono::seconds(15);
  p.call_window = CallWindow::every_day(8 * 60, 21 * 60);
  p.region_rules.push_back({"US-FL", CallWindow::every_day(8 * 60, 20 * 60), 3});
  return p;
}

ComplianceProfile ComplianceProfile::uk_ofcom() {
  ComplianceProfile p;
  p.name = "UK_OFCOM";
  p.abandon_cap = 0.03;
  p.abandon_window = std::chrono::hours(24);
  p.count_amd_false_positives = true;
  p.amd_false_positive_rate = 0.05;
  p.hold_window = std::chrono::seconds(2);
  p.min_ring = std::chrono::seconds(15);
  p.call_window = CallWindow::every_day(8 * 60, 21 * 60);  // configurable; Ofcom sets none
  p.no_repeat_after_abandon = std::chrono::hours(72);
  p.no_repeat_after_machine = std::chrono::hours(24);
  return p;
}

ComplianceProfile ComplianceProfile::ca_crtc() {
  ComplianceProfile p;
  p.name = "CA_CRTC";
  p.abandon_cap = 0.05;
  p.abandon_window = std::chrono::hours(24 * 30);
  p.hold_window = std::chrono::seconds(2);
  p.call_window = weekly({9 * 60, 21 * 60 + 30}, {10 * 60, 18 * 60}, {10 * 60, 18 * 60});
  return p;
}

ComplianceProfile ComplianceProfile::au_acma() {
  ComplianceProfile p;
  p.name = "AU_ACMA";
  p.abandon_cap = 0.05;
  p.abandon_window = std::chrono::hours(24 * 30);
  p.hold_window = std::chrono::seconds(2);
  p.call_window = weekly({9 * 60, 20 * 60}, {9 * 60, 17 * 60}, {});
  // National public holidays (Fair Work Act 2009 s.115(1)): New Year's Day, Australia Day,
  // Good Friday, Easter Monday, Anzac Day, Christmas Day, Boxing Day (with their substitutes).
  p.holidays = {"2026-01-01", "2026-01-26", "2026-04-03", "2026-04-06", "2026-04-25",
                "2026-12-25", "2026-12-28", "2027-01-01", "2027-01-26", "2027-03-26",
                "2027-03-29", "2027-04-26", "2027-12-27", "2027-12-28"};
  return p;
}

std::optional<ComplianceProfile> ComplianceProfile::by_name(std::string_view name) {
  if (name == "NONE") return none();
  if (name == "US_FTC_FCC") return us_ftc_fcc();
  if (name == "UK_OFCOM") return uk_ofcom();
  if (name == "CA_CRTC") return ca_crtc();
  if (name == "AU_ACMA") return au_acma();
  return std::nullopt;
}

double ComplianceProfile::abandons_per_machine() const {
  return count_amd_false_positives ? std::max(amd_false_positive_rate, 0.0) : 0.0;
}

double ComplianceProfile::counted_abandons(double abandons, double machines) const {
  return abandons + abandons_per_machine() * machines;
}

AbandonGovernor::AbandonGovernor(ComplianceProfile profile) : profile_(std::move(profile)) {}

void AbandonGovernor::prune(TimePoint t) {
  if (profile_.abandon_window <= Duration(0) || t == pruned_at_) return;
  pruned_at_ = t;
  TimePoint from = t - profile_.abandon_window;
  for (auto* q : {&live_, &abandons_, &machines_}) {
    while (!q->empty() && q->front() <= from) q->pop_front();
  }
  while (!marks_.empty() && marks_.front().at <= from) {
    marks_.pop_front();
    ++marks_gone_;
  }
  while (!tightest_.empty() && tightest_.front() < marks_gone_) tightest_.pop_front();
  offered_end_ = std::max(offered_end_, marks_gone_);
}

void AbandonGovernor::set_profile(ComplianceProfile profile, TimePoint now) {
  prune(now);  // under the old window: what it no longer counts is not carried over
  const bool had_window = profile_.abandon_window > Duration(0);
  profile_ = std::move(profile);
  pruned_at_ = TimePoint::min();  // the window may have changed
  const bool has_window = profile_.abandon_window > Duration(0);
  if (had_window == has_window) {
    rebuild_marks();  // the cap and the machines' weight order the suffixes
    return;
  }
  if (has_window) {
    live_.assign(static_cast<std::size_t>(live_total_), now);
    abandons_.assign(static_cast<std::size_t>(abandons_total_), now);
    machines_.assign(static_cast<std::size_t>(machines_total_), now);
    live_total_ = abandons_total_ = machines_total_ = 0;
  } else {
    live_total_ += static_cast<long>(live_.size());
    abandons_total_ += static_cast<long>(abandons_.size());
    machines_total_ += static_cast<long>(machines_.size());
    live_.clear();
    abandons_.clear();
    machines_.clear();
  }
  rebuild_marks();
}

// Without a rolling window the deques stay empty and the totals count (memory stays flat over
// a long campaign); with one, the deques hold the window's timestamps and the totals stay 0.
void AbandonGovernor::record_live_answer(TimePoint t) {
  if (profile_.abandon_window <= Duration(0)) {
    ++live_total_;
  } else {
    // In time order, so that each leaves the window when the audit's does: a live answer may be
    // recorded at its answer time after later events (an AMD classification took seconds).
    live_.insert(std::upper_bound(live_.begin(), live_.end(), t), t);
    record_mark(t, 1, 0, 0);
    pruned_at_ = TimePoint::min();  // t may be older than the last prune's
  }
}
void AbandonGovernor::record_abandon(TimePoint t) {
  if (profile_.abandon_window <= Duration(0)) {
    ++abandons_total_;
  } else {
    abandons_.push_back(t);
    record_mark(t, 0, 1, 0);
    pruned_at_ = TimePoint::min();  // t may be older than the last prune's
  }
}
void AbandonGovernor::record_amd_machine(TimePoint t) {
  if (profile_.abandon_window <= Duration(0)) {
    ++machines_total_;
  } else {
    machines_.push_back(t);
    record_mark(t, 0, 0, 1);
    pruned_at_ = TimePoint::min();  // t may be older than the last prune's
  }
}

long AbandonGovernor::live_answers(TimePoint t) {
  prune(t);
  return live_total_ + static_cast<long>(live_.size());
}
long AbandonGovernor::abandons(TimePoint t) {
  prune(t);
  return abandons_total_ + static_cast<long>(abandons_.size());
}
double AbandonGovernor::counted_abandons(TimePoint t) {
  prune(t);
  return profile_.counted_abandons(
      static_cast<double>(abandons_total_ + static_cast<long>(abandons_.size())),
      static_cast<double>(machines_total_ + static_cast<long>(machines_.size())));
}
double AbandonGovernor::rate(TimePoint t) {
  long live = live_answers(t);
  return live ? counted_abandons(t) / static_cast<double>(live) : 0.0;
}

AbandonGovernor::Window AbandonGovernor::window(TimePoint t) {
  Window w;
  w.live_answers = live_answers(t);
  w.abandons = abandons(t);
  w.rate = rate(t);  // pruned once for t already: the counts are read again, not recomputed
  return w;
}

namespace {

// The default mode's risk account (docs/compliance.md, "The governor's rule"): a day's risk is
// abandon_guard_risk times this many decisions (10^-4 by default). A tenth of it is the risk
// that the bound of p fails at some sample size of the campaign; the rest is the day's budget of
// the launch decisions, each charged its own risk over a rolling day, and a decision may take
// 1 / kRiskSpreadDecisions of what is left (so the first decisions of a day, where the budget of
// abandons is thin, may take 3e-7 each, and the charges never add up to more than the budget).
constexpr double kRiskDecisionsPerDay = 1e5;
constexpr double kRateBoundShare = 0.1;
constexpr Duration kRiskAccountWindow = std::chrono::hours(24);
constexpr double kRiskSpreadDecisions = 300;

// Measured times of each kind (live, other) below which the age of a call in flight is not used.
constexpr std::size_t kMinResolveSamples = 50;

// The beta-binomial mixture's prior, Beta(1, 1) (uniform): with it the bound below needs, at
// every n and S, no more than the union bound over sample sizes it replaced (its regret is at
// most ln(n + 1) nats, that bound's ln(n (n + 1))).
constexpr double kRatePriorLive = 1.0;
constexpr double kRatePriorOther = 1.0;

}  // namespace

double live_chance_upper_bound(double live, double n, double delta) {
  if (!(n >= 1) || !(delta > 0)) return 1.0;
  if (delta >= 1) delta = 1;
  const double s = std::clamp(live, 0.0, n);
  if (s >= n) return 1.0;
  // ln of the mixture's likelihood ratio against q: ln B(a + S, b + n - S) - ln B(a, b) - S ln q
  // - (n - S) ln(1 - q). Convex in q with its least value (<= 0) at q = S / n, so the q above
  // S / n where it stays under ln(1 / delta) form an interval: bisection finds its end.
  const auto log_beta = [](double x, double y) {
    return std::lgamma(x) + std::lgamma(y) - std::lgamma(x + y);
  };
  const double mixture = log_beta(kRatePriorLive + s, kRatePriorOther + n - s) -
                         log_beta(kRatePriorLive, kRatePriorOther);
  const double level = -std::log(delta);
  const auto log_ratio = [&](double q) {
    return mixture - (s > 0 ? s * std::log(q) : 0.0) - (n - s) * std::log1p(-q);
  };
  double lo = s / n, hi = 1.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (log_ratio(mid) < level ? lo : hi) = mid;
  }
  return hi;
}

namespace {

// P(B > m) for m = 0..k, B ~ Binomial(n, q), each summed from the top (no cancellation); the
// probabilities by the ratio of successive terms from the mode, where none underflows.
void binomial_tails(int n, double q, int k, std::vector<double>& tail) {
  tail.assign(static_cast<std::size_t>(k) + 1, 0.0);
  if (n <= 0 || q <= 0) return;
  if (q >= 1) {
    for (int m = 0; m <= k && m < n; ++m) tail[static_cast<std::size_t>(m)] = 1;
    return;
  }
  std::vector<double> pmf(static_cast<std::size_t>(n) + 1, 0.0);
  const int mode = std::clamp(static_cast<int>(std::floor((n + 1) * q)), 0, n);
  pmf[static_cast<std::size_t>(mode)] =
      std::exp(std::lgamma(n + 1.0) - std::lgamma(mode + 1.0) - std::lgamma(n - mode + 1.0) +
               mode * std::log(q) + (n - mode) * std::log1p(-q));
  const double odds = q / (1 - q);
  for (int i = mode + 1; i <= n; ++i) {
    pmf[static_cast<std::size_t>(i)] =
        pmf[static_cast<std::size_t>(i) - 1] * (n - i + 1) / i * odds;
  }
  for (int i = mode - 1; i >= 0; --i) {
    pmf[static_cast<std::size_t>(i)] =
        pmf[static_cast<std::size_t>(i) + 1] * (i + 1) / (n - i) / odds;
  }
  double above = 0;  // P(B > i)
  for (int i = n; i >= 0; --i) {
    if (i <= k) tail[static_cast<std::size_t>(i)] = above;
    above += pmf[static_cast<std::size_t>(i)];
  }
}

// The distribution of the number of successes among independent trials of chances q (the
// Poisson-binomial distribution), by the recursion over trials P_j(x) = P_{j-1}(x) (1 - q_j) +
// P_{j-1}(x - 1) q_j (Chen & Liu 1997, Statistica Sinica 7:875): entries 0..k, entry k + 1
// holds P(> k). Only sums and products of non-negative terms: exact far into the tail.
void poisson_binomial(std::span<const double> q, int k, std::vector<double>& out) {
  const std::size_t over = static_cast<std::size_t>(k) + 1;
  out.assign(over + 1, 0.0);
  out[0] = 1;
  std::size_t top = 0;  // the highest entry with mass, below `over`
  for (double qj : q) {
    if (top + 1 == over) out[over] += out[top] * qj;  // what passes k stays past k
    for (std::size_t x = std::min(top + 1, over - 1); x > 0; --x) {
      out[x] = out[x] * (1 - qj) + out[x - 1] * qj;
    }
    out[0] *= 1 - qj;
    top = std::min(top + 1, over - 1);
  }
}

}  // namespace

double poisson_binomial_tail_above(std::span<const double> q, int k) {
  if (k < 0) return 1.0;
  if (static_cast<std::size_t>(k) >= q.size()) return 0.0;
  std::vector<double> clamped(q.size());
  std::transform(q.begin(), q.end(), clamped.begin(),
                 [](double x) { return std::clamp(x, 0.0, 1.0); });
  std::vector<double> distribution;
  poisson_binomial(clamped, k, distribution);
  return std::min(distribution.back(), 1.0);
}

void AbandonGovernor::SortedSample::update(std::span<const double> now) {
  // The new window as the old one less its first `gone` entries plus some at the end: move
  // those few in the sorted copy; anything else is sorted afresh.
  constexpr std::size_t kFewChanges = 16;
  const std::size_t old_size = window.size();
  for (std::size_t gone = 0; gone <= std::min(kFewChanges, old_size); ++gone) {
    const std::size_t kept = old_size - gone;
    if (now.size() < kept || now.size() - kept > kFewChanges) continue;
    if (!std::equal(window.begin() + static_cast<std::ptrdiff_t>(gone), window.end(),
                    now.begin())) {
      continue;
    }
    for (std::size_t i = 0; i < gone; ++i) {
      sorted.erase(std::lower_bound(sorted.begin(), sorted.end(), window[i]));
    }
    for (std::size_t i = kept; i < now.size(); ++i) {
      sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), now[i]), now[i]);
    }
    window.assign(now.begin(), now.end());
    return;
  }
  window.assign(now.begin(), now.end());
  sorted = window;
  std::sort(sorted.begin(), sorted.end());
}

// p_hi: the live-answer probability's upper bound at every sample size (rate_upper_bound), with
// the share of the day's risk set aside for it.
double AbandonGovernor::live_chance_upper(const Exposure& s) {
  const double p_hat = std::clamp(s.live_answer_probability, 0.0, 1.0);
  const double live = static_cast<double>(live_answers(s.now));
  const double sample = s.attempts_resolved >= 0 ? static_cast<double>(s.attempts_resolved)
                        : p_hat > 0              ? live / p_hat
                                                 : 0.0;
  const double risk = std::clamp(profile_.abandon_guard_risk, 0.0, 0.01);
  // The bound holds for the outcomes of the first n launches, but outcomes become known as calls
  // resolve, and an attempt that reaches nobody (a busy signal) often resolves before a live
  // answer: the resolved ones alone are biased towards the quick outcomes. The resolved attempts
  // and the calls in flight are the first launches; counting those in flight as live answers
  // bounds their live answers from above, and the bound rises with them.
  const double in_flight = static_cast<double>(std::max(s.calls_pending, 0));
  return live_chance_upper_bound(p_hat * sample + in_flight, sample + in_flight,
                                 risk * kRiskDecisionsPerDay * kRateBoundShare);
}

// chances_: each call in flight's chance to become a live answer given its age, q(a) = p S_L(a)
// / (p S_L(a) + (1 - p) S_O(a)) (Bayes' rule over the two outcomes of a call still unresolved
// at age a), p = p_hi. The survival functions are the measured ones, S_L shrunk up and S_O down
// by one sample ((count + 1) / (n + 1) and count / (n + 1)), so a call older than every measured
// attempt that reached nobody is taken as live.
void AbandonGovernor::pending_live_chances(const Exposure& s, double p_hi) {
  const std::size_t pending = static_cast<std::size_t>(std::max(s.calls_pending, 0));
  chances_.assign(pending, p_hi);
  if (s.live_resolve_s.size() < kMinResolveSamples ||
      s.other_resolve_s.size() < kMinResolveSamples || s.pending_ages_s.empty() || p_hi >= 1) {
    return;
  }
  live_times_.update(s.live_resolve_s);
  other_times_.update(s.other_resolve_s);
  const std::vector<double>& live_sorted = live_times_.sorted;
  const std::vector<double>& other_sorted = other_times_.sorted;
  const auto survivors = [](const std::vector<double>& sorted, double age) {
    return static_cast<double>(sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), age));
  };
  const double n_live = static_cast<double>(live_sorted.size());
  const double n_other = static_cast<double>(other_sorted.size());
  const std::size_t aged = std::min(pending, s.pending_ages_s.size());
  for (std::size_t i = 0; i < aged; ++i) {
    const double age = std::max(s.pending_ages_s[i], 0.0);
    const double live = p_hi * (survivors(live_sorted, age) + 1) / (n_live + 1);
    const double other = (1 - p_hi) * survivors(other_sorted, age) / (n_other + 1);
    chances_[i] = live / (live + other);
  }
}

double AbandonGovernor::risk_spent(TimePoint t) {
  const TimePoint from = t - kRiskAccountWindow;
  while (!risk_spent_.empty() && risk_spent_.front().first <= from) {
    risk_spent_total_ -= risk_spent_.front().second;
    risk_spent_.pop_front();
  }
  if (risk_spent_.empty()) risk_spent_total_ = 0;  // no drift from the subtractions
  return std::max(risk_spent_total_, 0.0);
}

void AbandonGovernor::charge_risk(TimePoint t, double risk) {
  if (!(risk > 0)) return;
  // One entry per minute keeps the account at most 1,440 entries long; an entry is dropped a
  // day after the minute it started, so a charge counts for up to a minute more than a day.
  if (risk_spent_.empty() || t - risk_spent_.back().first >= std::chrono::minutes(1)) {
    risk_spent_.emplace_back(t, 0.0);
  }
  risk_spent_.back().second += risk;
  risk_spent_total_ += risk;
}

double AbandonGovernor::risk_allowance(TimePoint t, double engines) {
  const double risk = std::clamp(profile_.abandon_guard_risk, 0.0, 0.01);
  if (risk <= 0) return 0;
  // The decision just before a day counts for that day as well: at most 1/kRiskSpreadDecisions
  // of the budget, kept out of the account so that the two together stay within 10^5 x risk.
  const double day_budget = risk * kRiskDecisionsPerDay * (1 - kRateBoundShare) *
                            kRiskSpreadDecisions / (kRiskSpreadDecisions + 1) / engines;
  return std::max(day_budget - risk_spent(t), 0.0) / kRiskSpreadDecisions;
}

// Slack before mark i: cap x live answers - counted abandons over every mark before it. The
// slack of the suffix from mark i is the slack after the last mark less this.
double AbandonGovernor::slack_before(std::size_t i) const {
  const Mark& m = marks_[i];
  return profile_.abandon_cap * static_cast<double>(m.live_before) -
         profile_.counted_abandons(static_cast<double>(m.abandons_before),
                                   static_cast<double>(m.machines_before));
}

void AbandonGovernor::record_mark(TimePoint t, long live, long abandons, long machines) {
  if (marks_.empty() || t >= marks_.back().at) {
    marks_.push_back({t, marks_live_, marks_abandons_, marks_machines_});
  } else if (live == 0) {
    // Recorded late (another engine's counts): an abandon or a machine counted as of the last
    // mark stays in more suffixes and leaves later than it would have, which only tightens.
    marks_.push_back({marks_.back().at, marks_live_, marks_abandons_, marks_machines_});
  } else {
    // A live answer recorded late goes where its time puts it: every later mark counts one
    // live answer more before it, so every suffix starting after it keeps its slack and every
    // suffix starting at or before it gains cap. The marks after it rise alike, so among the
    // offered ones only those before it can stop being the tightest.
    const auto at = std::upper_bound(marks_.begin(), marks_.end(), t,
                                     [](TimePoint x, const Mark& m) { return x < m.at; });
    const std::size_t p = static_cast<std::size_t>(at - marks_.begin());
    Mark inserted = marks_[p];
    inserted.at = t;
    marks_.insert(at, inserted);
    for (std::size_t i = p + 1; i < marks_.size(); ++i) ++marks_[i].live_before;
    const long number = marks_gone_ + static_cast<long>(p);
    // The inserted mark has less slack before it than the (offered) mark after it: never the
    // tightest, so it counts as offered when that one was.
    if (offered_end_ > number) ++offered_end_;
    std::size_t first_after = tightest_.size();
    for (std::size_t k = 0; k < tightest_.size(); ++k) {
      if (tightest_[k] >= number) {
        ++tightest_[k];
        first_after = std::min(first_after, k);
      }
    }
    if (first_after < tightest_.size()) {
      const double risen =
          slack_before(static_cast<std::size_t>(tightest_[first_after] - marks_gone_));
      while (first_after > 0 && slack_before(static_cast<std::size_t>(tightest_[first_after - 1] -
                                                                      marks_gone_)) <= risen) {
        tightest_.erase(tightest_.begin() + static_cast<std::ptrdiff_t>(first_after) - 1);
        --first_after;
      }
    }
  }
  marks_live_ += live;
  marks_abandons_ += abandons;
  marks_machines_ += machines;
}

void AbandonGovernor::rebuild_marks() {
  marks_.clear();
  tightest_.clear();
  marks_gone_ = offered_end_ = 0;
  marks_live_ = marks_abandons_ = marks_machines_ = 0;
  if (profile_.abandon_window <= Duration(0)) return;
  std::vector<std::pair<TimePoint, int>> recorded;
  recorded.reserve(live_.size() + abandons_.size() + machines_.size());
  for (TimePoint t : live_) recorded.emplace_back(t, 0);
  for (TimePoint t : abandons_) recorded.emplace_back(t, 1);
  for (TimePoint t : machines_) recorded.emplace_back(t, 2);
  std::stable_sort(recorded.begin(), recorded.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [t, kind] : recorded) record_mark(t, kind == 0, kind == 1, kind == 2);
}

namespace {

// How far ahead of a decision the later windows are bounded, as a share of the rolling window
// (docs/compliance.md, "Later windows"): 12 hours of Ofcom's day, 15 days of a 30-day window.
constexpr double kLaterWindowsShare = 1.0 / 2;

}  // namespace

double AbandonGovernor::later_windows_budget(TimePoint now) {
  const double cap = profile_.abandon_cap;
  if (profile_.abandon_window <= Duration(0) || cap <= 0) {
    return std::numeric_limits<double>::infinity();
  }
  const auto look_ahead =
      std::chrono::duration_cast<Duration>(profile_.abandon_window * kLaterWindowsShare);
  // The window ending at now + d holds the marks after now + d - window: the suffix starting at
  // a mark is a window once the mark before it has left, and is offered when that happens
  // within the look-ahead.
  const TimePoint left_by = now - profile_.abandon_window + look_ahead;
  const std::size_t size = marks_.size();
  const auto index_of = [&](long number) { return static_cast<std::size_t>(number - marks_gone_); };
  while (index_of(offered_end_) < size &&
         (index_of(offered_end_) == 0 || marks_[index_of(offered_end_) - 1].at <= left_by)) {
    const std::size_t i = index_of(offered_end_);
    if (i == 0 || marks_[i - 1].at < marks_[i].at) {
      const double slack = slack_before(i);
      while (!tightest_.empty() && slack_before(index_of(tightest_.back())) <= slack) {
        tightest_.pop_back();
      }
      tightest_.push_back(offered_end_);
    }
    ++offered_end_;
  }
  // Once every mark has left, a later window holds none of them: nothing to carry an abandon.
  if (!marks_.empty() && marks_.back().at <= left_by) return 0;
  if (tightest_.empty()) return std::numeric_limits<double>::infinity();
  const double slack_after = cap * static_cast<double>(marks_live_) -
                             profile_.counted_abandons(static_cast<double>(marks_abandons_),
                                                       static_cast<double>(marks_machines_));
  // The tightest suffix: l live answers and a counted abandons, and N abandons to come keep it
  // within the cap while a + N <= cap (l + N).
  return (slack_after - slack_before(index_of(tightest_.front()))) / (1 - cap);
}

double AbandonGovernor::abandon_budget(const Exposure& s) {
  const TimePoint now = s.now;
  const Duration resolve_within = s.resolve_within;
  const double cap = profile_.abandon_cap;
  const double live = static_cast<double>(live_answers(now));
  // A rolling window loses its oldest live answers while the calls in flight resolve: the
  // budget is what remains once those are gone (leaving abandons are not credited).
  long leaving = 0;
  if (profile_.abandon_window > Duration(0)) {
    const TimePoint gone_by = now - profile_.abandon_window + resolve_within;
    for (auto it = live_.begin(); it != live_.end() && *it <= gone_by; ++it) ++leaving;
  }
  // The abandons to come stay in the windows ending later, which lose more live answers: the
  // budget is also the least those allow.
  const double budget =
      std::min(later_windows_budget(now),
               (cap * (live - static_cast<double>(leaving)) - counted_abandons(now)) / (1 - cap));
  // Other engines on the campaign spend the same budget with calls in flight this one cannot
  // see: each takes its share. What this engine spent since the others last read its counts is
  // still in their budgets: it comes out of this engine's share, not 1 / E of it.
  const int engines = std::max(s.engines, 1);
  if (engines == 1) return budget;
  const double unseen = std::max(profile_.counted_abandons(static_cast<double>(s.unseen_abandons),
                                                           static_cast<double>(s.unseen_machines)) -
                                     cap * static_cast<double>(s.unseen_live_answers),
                                 0.0) /
                        (1 - cap);
  return (budget + unseen) / engines - unseen;
}

bool AbandonGovernor::amd_allowed(const Exposure& s, int classifying) {
  const double per_machine = profile_.abandons_per_machine();
  if (per_machine <= 0 || profile_.abandon_cap >= 1.0) return true;
  // Each answer still being classified may yet end as a machine: its estimate is kept aside.
  const double needed = (std::max(classifying, 0) + 1) * per_machine / (1 - profile_.abandon_cap);
  return abandon_budget(s) >= needed - 1e-12;
}

int AbandonGovernor::clamp(int wanted, const Exposure& s) {
  if (wanted <= 0) return 0;
  const int free_agents = std::max(s.agents_idle - s.calls_waiting, 0);
  const int safe = std::max(free_agents - s.calls_pending, 0);
  if (wanted <= safe || profile_.abandon_cap >= 1.0) return wanted;
  const double cap = profile_.abandon_cap;
  // Abandons still allowed before the rate would pass the cap; the agents free now absorb the
  // first live answers (waiting ones first).
  const double budget = abandon_budget(s);
  const bool strict = std::clamp(profile_.abandon_guard_risk, 0.0, 0.01) <= 0;
  // A call in flight that ends as an AMD machine adds the assumed false-positive rate to the
  // counted abandons (and nothing to the live answers): the budget keeps that much per call in
  // flight, as if every one could be a machine.
  const double per_call = s.amd ? profile_.abandons_per_machine() / (1 - cap) : 0.0;
  // A live answer waiting for an agent is counted among the live answers already: abandoned, it
  // adds an abandon and no live answer, which takes 1 / (1 - cap) of the budget, cap / (1 - cap)
  // more than the abandon of a call still in flight (counted below as one of the budget's
  // abandons, by the free agents' share).
  const double waiting_unserved = std::max(s.calls_waiting - s.agents_idle, 0);
  const double waiting_extra = waiting_unserved * cap / (1 - cap);
  // The live answers the calls in flight may bring with n more launches before one abandon too
  // many: the budget's whole abandons left and the agents free now.
  const auto live_room = [&](int n) {
    const double in_flight = static_cast<double>(s.calls_pending) + n;
    const double a =
        std::floor(std::max(budget - waiting_extra - per_call * in_flight, -1.0) + 1e-9) +
        s.agents_idle - s.calls_waiting;
    return static_cast<int>(std::clamp(a, -1.0, 1e9));
  };
  if (strict) {
    // X is taken as M: every call in flight a live answer the free agents cannot take (or a
    // machine, when machines count).
    int lo = safe, hi = wanted + 1;
    while (hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      const bool fits = s.calls_pending + mid <= live_room(mid) &&
                        per_call * (s.calls_pending + mid) <= std::max(budget, 0.0);
      (fits ? lo : hi) = mid;
    }
    return lo;
  }
  const int k0 = live_room(0);
  if (k0 < 0) return safe;
  if (s.calls_pending + wanted <= live_room(wanted)) return wanted;  // X > k cannot happen
  const double p_hi = live_chance_upper(s);
  pending_live_chances(s, p_hi);
  // The live answers of the calls in flight now, Y (entry k0 + 1: more than k0); a launch of n
  // adds B ~ Binomial(n, p_hi) new ones: P(Y + B > k) = P(Y > k) + sum_j P(Y = j) P(B > k - j).
  poisson_binomial(chances_, k0, distribution_);
  auto tail = [&](int n) {
    const int k = live_room(n);
    if (k < 0) return 1.0;
    binomial_tails(n, p_hi, k, launched_tail_);
    double t = 0;
    for (int j = k0 + 1; j > k; --j) t += distribution_[static_cast<std::size_t>(j)];
    for (int j = 0; j <= k; ++j) {
      t += distribution_[static_cast<std::size_t>(j)] *
           launched_tail_[static_cast<std::size_t>(k - j)];
    }
    return std::min(t, 1.0);
  };
  const double allowance = risk_allowance(s.now, std::max(s.engines, 1));
  // Allowed with n more launches: the in-flight calls' live answers exceed k with probability
  // at most the allowance. Monotone in n.
  int lo = safe, hi = wanted;
  double lo_tail = -1;
  if (const double t = tail(hi); t <= allowance) {
    lo = hi;
    lo_tail = t;
  } else {
    while (hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      const double t_mid = tail(mid);
      if (t_mid <= allowance) {
        lo = mid;
        lo_tail = t_mid;
      } else {
        hi = mid;
      }
    }
  }
  // The decision's risk, charged to the day's account: the chance that the calls now in flight
  // bring more live answers than the budget and the free agents absorb. Zero when no launch
  // passes the free agents; a decision that launches nothing adds no new way to pass the cap.
  if (lo > safe) charge_risk(s.now, lo_tail >= 0 ? lo_tail : tail(lo));
  return lo;
}

}  // namespace omnivox
