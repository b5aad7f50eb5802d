#include "omnivox/compliance.h"

#include <algorithm>
#include <cmath>

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

AbandonGovernor::AbandonGovernor(ComplianceProfile profile) : profile_(std::move(profile)) {}

void AbandonGovernor::prune(TimePoint t) {
  if (profile_.abandon_window <= Duration(0) || t == pruned_at_) return;
  pruned_at_ = t;
  TimePoint from = t - profile_.abandon_window;
  for (auto* q : {&live_, &abandons_, &machines_}) {
    while (!q->empty() && q->front() <= from) q->pop_front();
  }
}

void AbandonGovernor::set_profile(ComplianceProfile profile, TimePoint now) {
  prune(now);  // under the old window: what it no longer counts is not carried over
  const bool had_window = profile_.abandon_window > Duration(0);
  profile_ = std::move(profile);
  pruned_at_ = TimePoint::min();  // the window may have changed
  const bool has_window = profile_.abandon_window > Duration(0);
  if (had_window == has_window) return;
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
}

// Without a rolling window the deques stay empty and the totals count (memory stays flat over
// a long campaign); with one, the deques hold the window's timestamps and the totals stay 0.
void AbandonGovernor::record_live_answer(TimePoint t) {
  if (profile_.abandon_window <= Duration(0)) {
    ++live_total_;
  } else {
    live_.push_back(t);
    pruned_at_ = TimePoint::min();  // t may be older than the last prune's
  }
}
void AbandonGovernor::record_abandon(TimePoint t) {
  if (profile_.abandon_window <= Duration(0)) {
    ++abandons_total_;
  } else {
    abandons_.push_back(t);
    pruned_at_ = TimePoint::min();  // t may be older than the last prune's
  }
}
void AbandonGovernor::record_amd_machine(TimePoint t) {
  if (profile_.abandon_window <= Duration(0)) {
    ++machines_total_;
  } else {
    machines_.push_back(t);
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
  double a = static_cast<double>(abandons_total_ + static_cast<long>(abandons_.size()));
  if (profile_.count_amd_false_positives) {
    a += profile_.amd_false_positive_rate *
         static_cast<double>(machines_total_ + static_cast<long>(machines_.size()));
  }
  return a;
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

// Abandons of the budget the default (probabilistic) mode keeps in reserve.
constexpr double kAbandonReserve = 2.0;

// Standard deviations of the Wilson upper bound of the live-answer probability.
constexpr double kWilsonZ = 5.0;

// The default mode's risk account (docs/compliance.md, "The governor's rule"): a day's budget
// is abandon_guard_risk times this many decisions (10^-4 by default), each launch decision is
// charged its own risk over a rolling day, and a decision may take 1 / kRiskSpreadDecisions of
// what is left (so the first decisions of a day, where the budget of abandons is thin, may take
// 3.3e-7 each, and the charges never add up to more than the budget).
constexpr double kRiskDecisionsPerDay = 1e5;
constexpr Duration kRiskAccountWindow = std::chrono::hours(24);
constexpr double kRiskSpreadDecisions = 300;

// P(X > k) for X ~ Binomial(m, p), summed upward from k + 1 (the terms fall fast past the mean,
// so the sum stops once they no longer change it). Below the median it returns 1, a bound: the
// true value is then at least 1/2, far above any risk the governor accepts, and summing from
// there would start at a term that underflows to 0.
double binomial_tail_above(int m, double p, int k) {
  if (k >= m) return 0.0;
  if (k < 0 || p >= 1.0) return 1.0;
  if (p <= 0.0) return 0.0;
  if (k + 1 <= std::floor(m * p)) return 1.0;
  const int j0 = k + 1;
  double log_term = std::lgamma(m + 1.0) - std::lgamma(j0 + 1.0) - std::lgamma(m - j0 + 1.0) +
                    j0 * std::log(p) + (m - j0) * std::log1p(-p);
  double term = std::exp(log_term);
  double sum = 0;
  const double odds = p / (1 - p);
  for (int j = j0; j <= m; ++j) {
    sum += term;
    if (j > m * p && term <= 1e-18 * sum) break;
    term *= static_cast<double>(m - j) / (j + 1) * odds;
  }
  return std::min(sum, 1.0);
}

// Wilson score upper bound of a binomial proportion (Wilson 1927): p_hat from n trials, z
// standard deviations.
double wilson_upper(double p_hat, double n, double z) {
  if (n <= 0) return 1.0;
  const double z2 = z * z;
  const double centre = p_hat + z2 / (2 * n);
  const double spread = z * std::sqrt(p_hat * (1 - p_hat) / n + z2 / (4 * n * n));
  return std::min(1.0, (centre + spread) / (1 + z2 / n));
}

}  // namespace

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

double AbandonGovernor::risk_allowance(TimePoint t) {
  const double risk = std::clamp(profile_.abandon_guard_risk, 0.0, 0.01);
  if (risk <= 0) return 0;
  // The decision just before a day counts for that day as well: at most 1/kRiskSpreadDecisions
  // of the budget, kept out of the account so that the two together stay within 10^5 x risk.
  const double day_budget =
      risk * kRiskDecisionsPerDay * kRiskSpreadDecisions / (kRiskSpreadDecisions + 1);
  return std::max(day_budget - risk_spent(t), 0.0) / kRiskSpreadDecisions;
}

int AbandonGovernor::clamp(int wanted, const Exposure& s) {
  if (wanted <= 0) return 0;
  const int free_agents = std::max(s.agents_idle - s.calls_waiting, 0);
  const int safe = std::max(free_agents - s.calls_pending, 0);
  if (wanted <= safe || profile_.abandon_cap >= 1.0) return wanted;
  const double cap = profile_.abandon_cap;
  // Abandons still allowed before the rate would pass the cap; the agents free now absorb the
  // first live answers (waiting ones first).
  const double live = static_cast<double>(live_answers(s.now));
  // A rolling window loses its oldest live answers while the calls in flight resolve: the
  // budget is what remains once those are gone (leaving abandons are not credited).
  long leaving = 0;
  if (profile_.abandon_window > Duration(0)) {
    const TimePoint gone_by = s.now - profile_.abandon_window + s.resolve_within;
    for (auto it = live_.begin(); it != live_.end() && *it <= gone_by; ++it) ++leaving;
  }
  const double budget =
      (cap * (live - static_cast<double>(leaving)) - counted_abandons(s.now)) / (1 - cap);
  const bool strict = std::clamp(profile_.abandon_guard_risk, 0.0, 0.01) <= 0;
  // The default mode keeps two abandons of the budget in reserve for what the binomial model
  // misses: a pending call's chance to be live changes with its age in a real world (busy
  // signals end fast, live answers take a few rings), and audits order abandons by answer time.
  const double reserve = strict ? 0.0 : kAbandonReserve;
  const auto absorbed = [&](double held_back) {
    const double a =
        std::floor(std::max(budget - held_back, -1.0) + 1e-9) + s.agents_idle - s.calls_waiting;
    return static_cast<int>(std::clamp(a, -1.0, 1e9));
  };
  const int k = absorbed(reserve);
  if (strict) {
    // X is taken as M: every call in flight a live answer the free agents cannot take.
    const int most = std::min(wanted, std::max(k - s.calls_pending, safe));
    return std::max(most, safe);
  }
  const double p_hat = std::clamp(s.live_answer_probability, 0.0, 1.0);
  const double sample = s.attempts_resolved >= 0 ? static_cast<double>(s.attempts_resolved)
                        : p_hat > 0              ? live / p_hat
                                                 : 0.0;
  const double p_hi = wilson_upper(p_hat, sample, kWilsonZ);
  const double allowance = risk_allowance(s.now);
  // Allowed with n more launches: the in-flight calls' live answers exceed k with probability
  // at most the allowance. Monotone in n.
  auto tail = [&](int n, int limit) {
    return binomial_tail_above(s.calls_pending + n, p_hi, limit);
  };
  int lo = safe, hi = wanted;
  if (tail(hi, k) <= allowance) {
    lo = hi;
  } else {
    while (hi - lo > 1) {
      int mid = lo + (hi - lo) / 2;
      (tail(mid, k) <= allowance ? lo : hi) = mid;
    }
  }
  // The decision's risk, charged to the day's account: the chance that the calls now in flight
  // bring more live answers than the budget (without the reserve, which covers the model's
  // misses, not its randomness) and the free agents absorb. Zero when no launch passes the free
  // agents; a decision that launches nothing adds no new way to pass the cap.
  if (lo > safe) charge_risk(s.now, tail(lo, absorbed(0.0)));
  return lo;
}

}  // namespace omnivox
