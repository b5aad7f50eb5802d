// Compliance profiles (docs/architecture.md, Compliance profiles) and the abandon-rate governor
// that sits above every pacing policy.
//
// Sources:
//  - US_FTC_FCC: FTC Telemarketing Sales Rule, 16 CFR 310.4(b)(1)(iv) and 310.4(b)(4) (abandon
//    rate <= 3 % of calls answered by a person, per campaign, per 30-day period; connect within
//    2 s of the greeting; ring >= 15 s or 4 rings; safe-harbor recorded message), 16 CFR
//    310.4(c) and FCC 47 CFR 64.1200(c)(1) (calls 08:00-21:00 called party's local time);
//    Florida Telephone Solicitation Act, Fla. Stat. 501.059(8) (08:00-20:00, at most 3 calls per
//    24 h on the same subject).
//  - UK_OFCOM: Ofcom, Statement of policy on the persistent misuse of an electronic
//    communications network or service (2016), A1.13-A1.26 (abandoned calls <= 3 % of live
//    calls per campaign per 24 h, including an estimate of AMD false positives; information
//    message; 2 s; 15 s minimum ring; no repeat call within 72 h of an abandoned call, or within
//    24 h of an AMD-detected machine, unless a live agent is guaranteed).
//  - CA_CRTC: CRTC Unsolicited Telecommunications Rules, Part III (ADAD) and Part II
//  (telemarketing):
//    weekdays 09:00-21:30, weekends 10:00-18:00; abandon cap configurable (5 % commonly cited).
//  - AU_ACMA: Telecommunications (Telemarketing and Research Calls) Industry Standard 2017,
//    s.8 (Mon-Fri 09:00-20:00, Sat 09:00-17:00, no Sunday or national public holiday).
#ifndef OMNIVOX_COMPLIANCE_H_
#define OMNIVOX_COMPLIANCE_H_

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "omnivox/call_window.h"
#include "omnivox/types.h"

namespace omnivox {

/// A rule for part of a country (e.g. a US state), found from the number.
struct RegionRule {
  std::string region;                     ///< "US-FL": ISO 3166-2 code
  std::optional<CallWindow> call_window;  ///< intersected with the others
  int max_calls_per_24h = 0;              ///< per contact, any campaign; 0 = no limit
};

/// A named rule set. Every field states its default (the NONE profile's values).
struct ComplianceProfile {
  /// The profile's name: a built-in one (NONE, US_FTC_FCC, ...) or the host's. Default: "NONE".
  std::string name = "NONE";
  /// Abandons / live answers may not exceed this (fraction). Default: 1 (no cap).
  double abandon_cap = 1.0;
  /// Rolling window of the abandon rate; 0 = the whole campaign. Default: 0.
  Duration abandon_window{0};
  /// Count an estimate of AMD false positives (people classified as machines) as abandons.
  /// Default: false.
  bool count_amd_false_positives = false;
  /// The AMD false-positive rate assumed for that estimate (share of AMD "machine" results that
  /// were people). Default: 0.
  double amd_false_positive_rate = 0.0;
  /// The governor's risk unit (AbandonGovernor): its default mode may take a risk of at most
  /// 10^5 x this over any day that the calls in flight push the abandon rate over the cap,
  /// charging every launch decision its own risk; 0 = strict: no launch unless even the worst
  /// case keeps the rate within the cap. In [0, 0.01]. Default: 1e-9 (10^-4 a campaign-day).
  double abandon_guard_risk = 1e-9;
  /// Longest wait of a live answer for an agent before it is abandoned. Default: 2 s.
  Duration hold_window{2000};
  /// Shortest ring before the engine may give up on an unanswered call. Default: 0.
  Duration min_ring{0};
  /// Allowed hours, called party's local time, intersected with the campaign's. Default: always.
  CallWindow call_window = CallWindow::always();
  /// Stricter rules per region. Default: none.
  std::vector<RegionRule> region_rules;
  /// Local dates ("YYYY-MM-DD") on which no call is allowed (national holidays). Default: none.
  std::vector<std::string> holidays;
  /// No new attempt to a number within this time after an abandoned call to it, unless an agent
  /// is guaranteed (PREVIEW, call now, owned callback). Default: 0.
  Duration no_repeat_after_abandon{0};
  /// The same after an AMD "machine" result. Default: 0.
  Duration no_repeat_after_machine{0};

  /// No rules: no abandon cap, calls allowed at any hour (docs/compliance.md).
  static ComplianceProfile none();
  /// United States (FTC and FCC): abandon cap 3 % over 30 days, AMD false positives counted,
  /// 2 s hold window, 08:00–21:00 local, stricter state rules (docs/compliance.md).
  static ComplianceProfile us_ftc_fcc();
  /// United Kingdom (Ofcom): abandon cap 3 % over 24 h, AMD false positives counted, 2 s hold
  /// window, 08:00–21:00 local, no repeat within 72 h of an abandon or 24 h of an AMD machine.
  static ComplianceProfile uk_ofcom();
  /// Canada (CRTC): abandon cap 5 % over 30 days, 2 s hold window, weekdays 09:00–21:30 and
  /// weekends 10:00–18:00 local.
  static ComplianceProfile ca_crtc();
  /// Australia (ACMA): abandon cap 5 % over 30 days, 2 s hold window, weekdays 09:00–20:00 and
  /// Saturdays 09:00–17:00 local, no calls on Sundays or national public holidays.
  static ComplianceProfile au_acma();
  /// The profile of that name (NONE, US_FTC_FCC, UK_OFCOM, CA_CRTC, AU_ACMA), or nullopt.
  static std::optional<ComplianceProfile> by_name(std::string_view name);

  /// Abandons the cap counts per AMD "machine" result: amd_false_positive_rate (negative taken
  /// as 0) when count_amd_false_positives, else 0. Pure.
  double abandons_per_machine() const;
  /// Abandons as the cap counts them (docs/compliance.md, "The governor's rule"): `abandons` +
  /// abandons_per_machine() x `machines`, the estimated AMD false positives counted as abandoned
  /// calls where the regulator counts them (Ofcom, Statement of policy on the persistent misuse
  /// of an electronic communications network or service, 2016). The one definition the
  /// governor and the audit (omnivox/audit.h) share. Pure.
  double counted_abandons(double abandons, double machines) const;
};

/// P(Y > k) for Y the number of successes among independent trials of chances q (the
/// Poisson-binomial distribution), summed exactly by the recursion over trials (Chen & Liu
/// 1997, Statistica Sinica 7:875); 1 for k < 0, 0 for k >= q.size(). The abandon governor's
/// tail. Chances outside [0, 1] are clamped.
double poisson_binomial_tail_above(std::span<const double> q, int k);

/// Upper confidence bound of a Bernoulli probability p after `live` successes in n trials that
/// holds at every n at once: for independent trials of one p, P(p > the bound at any n) <= delta.
/// The largest q >= live / n with B(1 + S, 1 + n - S) / (q^S (1 - q)^(n - S)) < 1 / delta
/// (S = live): the likelihood ratio of the uniform mixture of Bernoulli laws against q is a
/// martingale of mean 1 under p = q, so it reaches 1 / delta at some n with probability at most
/// delta (Ville's inequality; Robbins, Ann. Math. Statist. 41, 1970, 1397-1409; Howard, Ramdas,
/// McAuliffe & Sekhon, Ann. Statist. 49, 2021, 1055-1080, conjugate mixtures). Never above the
/// union bound over sample sizes n KL(live / n || q) <= ln(n (n + 1) / delta). Found by bisection
/// to within 1e-15 of 1; 1 when n < 1, delta <= 0 or live >= n. Pure, thread-safe.
double live_chance_upper_bound(double live, double n, double delta);

/// Counts live answers and abandons of one campaign over the profile's window and clamps pacing
/// decisions so that the abandon rate in the window ending at any instant stays within the cap:
/// no policy can bypass it.
///
/// Rule at a decision (docs/compliance.md, "The governor's rule"): with L live answers and A
/// abandons in the window (plus, when the profile says so, estimated AMD false positives
/// F = machines x rate), the rate stays within the cap while the abandons still to come are at
/// most K = (cap L' - A - F) / (1 - cap) (each abandon is also a live answer), where L' leaves
/// out the live answers a rolling window loses within Exposure::resolve_within; with a rolling
/// window of length W, K is also at most (cap l - a) / (1 - cap) for every window ending within
/// W / 2 after now, l and a the live answers and counted abandons it still holds (a suffix of
/// the records: the abandons to come outlive the live answers they were weighed against), kept
/// as a sliding-window maximum in O(1) amortised per record and decision. Launching n more
/// calls while `pending` are in flight, `waiting` live answers wait and `idle` agents are free,
/// the calls in flight bring X live answers; the free agents take the first idle - waiting of
/// them, so at most max(0, X + waiting - idle) are abandoned however the busy agents fare. A
/// waiting live answer is counted among the live answers already: its abandon adds no live answer
/// and takes cap / (1 - cap) more of K than an abandon of a call in flight. The governor allows
/// the largest n with
///     P(X > k) <= r,   k = floor(K - cap max(0, waiting - idle) / (1 - cap)) + idle - waiting,
/// X Poisson-binomial: the sum of independent Bernoulli(q_i), one per call in flight, where a
/// call in flight for a s is live with q(a) = p_hi S_L(a) / (p_hi S_L(a) + (1 - p_hi) S_O(a))
/// (Bayes' rule; S_L, S_O the measured survival functions of the times from launch to a live
/// answer and to the end of an attempt that reached nobody, Exposure::live_resolve_s and
/// other_resolve_s; a new call has a = 0, q = p_hi), its tail summed exactly by the
/// Poisson-binomial recursion (no normal approximation). p_hi is an upper confidence bound of
/// the live-answer probability that holds at every sample size of the campaign at once with
/// probability 1 - 10^4 x abandon_guard_risk (live_chance_upper_bound: the beta-binomial mixture
/// martingale and Ville's inequality).
/// r is the decision's share of a day's risk budget (the default mode): R = 0.9 x 10^5 x
/// abandon_guard_risk x 300/301, every launch decision beyond the free agents is charged
/// P(X > k) at the n it allowed, a decision may take r = (R - charged over the
/// last 24 h) / 300, and so the charges over any day never pass R. By the union bound over the
/// launch decisions of the day and the one before it (a decision that launches nothing adds no
/// new way to pass the cap) and the event that p_hi ever fell under p, the rate passes the cap
/// within a day with probability at most R + R / 300 + 10^4 x abandon_guard_risk = 10^5 x
/// abandon_guard_risk (10^-4 by default), as far as the calls are independent and their times
/// to resolve follow the measured distributions (with fewer than 50 measured times of either
/// kind, or no ages given, a call in flight is live with p_hi at any age: exact when the times
/// do not depend on the outcome, as for exponential times with one mean). With
/// abandon_guard_risk = 0 (strict) X is taken as M = pending + n: no launch unless every call
/// in flight being a live answer keeps the rate within the cap. Launching up to the free agents
/// (progressive) is always allowed: it abandons nobody unless an agent leaves (agents wait for
/// the calls pending before they pause).
/// With several engines on one campaign (Exposure::engines = E, the counts of all of them
/// recorded in each governor) each engine's rule uses K / E and a day's risk budget of R / E: no
/// engine sees the others' calls in flight, and the abandons of E engines' calls in flight, each
/// within its K / E, stay within K; the engines' decisions together are charged at most R a day
/// (the bound of p, which each engine keeps on its own calls, adds its share once per engine).
/// Thread-safety: none (one per campaign, on the engine's thread).
class AbandonGovernor {
 public:
  explicit AbandonGovernor(ComplianceProfile profile);
  const ComplianceProfile& profile() const { return profile_; }
  /// Takes a new profile (the campaign's config changed) and keeps what was recorded: the live
  /// answers, abandons and AMD machines go on counting under the new window and cap, so a
  /// config change never resets the rolling abandon rate. Counts kept without times (the old
  /// profile had no window) count as recorded at `now` and leave the new window one window later.
  void set_profile(ComplianceProfile profile, TimePoint now);

  /// Records at t (the answer time, as the audit counts it). A time older than the last
  /// recorded is placed in order (another engine's counts, an answer recorded after its AMD
  /// classification).
  void record_live_answer(TimePoint t);
  void record_abandon(TimePoint t);
  void record_amd_machine(TimePoint t);

  /// What the governor reads of the moment a pacing policy decided (the engine copies it from
  /// the policy's PacingSnapshot, omnivox/pacing.h).
  struct Exposure {
    TimePoint now{};
    int agents_idle = 0;    ///< logged-in agents free now
    int calls_waiting = 0;  ///< live answers waiting for an agent
    int calls_pending = 0;  ///< attempts launched and not resolved yet
    /// Share of resolved attempts that are live answers: live answers / attempts_resolved, the
    /// sample proportion the bound of p needs (not a prior or a smoothed estimate). Default: 0.3.
    double live_answer_probability = 0.3;
    /// The resolved attempts that estimate is from; the governor bounds p from above with it
    /// (0: nothing known, p_hi = 1). -1: not given, taken as the live answers in the window
    /// divided by the estimate. Default: -1.
    long attempts_resolved = -1;
    /// Time within which the calls in flight resolve (ring timeout plus hold window): with a
    /// rolling window, the live answers that leave it meanwhile are not counted. Default: 5 min.
    Duration resolve_within = std::chrono::minutes(5);
    /// Age (s since launch) of each call in flight, any order; calls beyond the ones listed are
    /// taken as just launched. Valid during clamp() only. Default: none.
    std::span<const double> pending_ages_s;
    /// Measured times (s) from launch to a live answer, and from launch to the end of an attempt
    /// that reached nobody (busy, no answer, machine), e.g. the engine's recent samples
    /// (PacingSnapshot::recent_live_resolve_s, recent_other_resolve_s). Valid during clamp()
    /// only. Default: none (ages are not used).
    std::span<const double> live_resolve_s;
    std::span<const double> other_resolve_s;
    /// Whether the calls in flight can end as AMD machines (the campaign places calls with AMD):
    /// under a profile that counts AMD false positives each may then add
    /// amd_false_positive_rate to the counted abandons. Default: true.
    bool amd = true;
    /// Engines placing calls on the campaign at once, this one included, whose counts the
    /// governor shares (SharedAbandonCounts in the engine): each sees only its own calls in
    /// flight, so each may spend 1 / engines of K and of the decision's risk, and the campaign's
    /// abandons still stay within K with the stated risk summed over the engines. Values under 1
    /// count as 1. Default: 1.
    int engines = 1;
    /// This engine's own live answers, abandons and AMD machines that the other engines may not
    /// have read yet (recorded here, not yet in their governors: SharedAbandonCounts::unseen in
    /// the engine). With engines > 1 they are charged to this engine's share alone: the share
    /// is (K + u) / E - u with u = max(0, counted abandons of them - cap x live answers of
    /// them) / (1 - cap), so engines spending between two syncs, each out of a share of the
    /// budget the others also see, stay within K together. Ignored with one engine.
    /// Default: 0.
    long unseen_live_answers = 0;
    long unseen_abandons = 0;
    long unseen_machines = 0;
  };
  /// The largest n <= wanted the rule above allows (at least the free agents' share, at most
  /// `wanted`; 0 when wanted <= 0).
  int clamp(int wanted, const Exposure& exposure);
  /// Whether a call answered now may be classified by AMD (docs/compliance.md, "AMD suspended at
  /// the cap"): true unless the profile counts AMD false positives under a cap and the budget of
  /// the rule above, K = (cap L' - A - F) / (1 - cap) / engines (L' without the live answers the
  /// window loses within exposure.resolve_within; no more than the later windows allow; with
  /// engines > 1 this engine's unseen counts charged to its share alone, as Exposure says), is
  /// short of what this answer and the
  /// `classifying` answers whose AMD result is still to come would take if each ended as a
  /// machine: (classifying + 1) x abandons_per_machine() / (1 - cap). When false, the engine puts
  /// the answer through as a live answer (to an agent, or held as the hold window says), so the
  /// counted rate takes no further false-positive estimate; AMD resumes once the window allows.
  /// Reads exposure.now, resolve_within, engines and the unseen counts only. Pure apart from
  /// pruning the window.
  bool amd_allowed(const Exposure& exposure, int classifying);
  /// Counts in the window ending at t.
  long live_answers(TimePoint t);
  long abandons(TimePoint t);
  /// Abandons plus the estimated AMD false positives when the profile counts them.
  double counted_abandons(TimePoint t);
  /// counted_abandons / live_answers in the window (0 with no live answers).
  double rate(TimePoint t);
  /// The risk the default mode's decisions were charged over the day ending at t (a charge
  /// leaves the account within a minute after a day): at most 10^5 x abandon_guard_risk.
  double risk_spent(TimePoint t);
  /// The window ending at t in one call (pacing reads all three at every decision).
  struct Window {
    long live_answers = 0;
    long abandons = 0;
    double rate = 0;  ///< as rate()
  };
  Window window(TimePoint t);

 private:
  void prune(TimePoint t);
  // K of the rule (abandons of new live answers the windows still allow), this engine's share.
  double abandon_budget(const Exposure& exposure);
  // The least K of the windows ending within the look-ahead after now, from marks_ (infinite
  // without a rolling window, where nothing leaves).
  double later_windows_budget(TimePoint now);
  void record_mark(TimePoint t, long live, long abandons, long machines);
  void rebuild_marks();
  double slack_before(std::size_t i) const;
  void charge_risk(TimePoint t, double risk);
  double risk_allowance(TimePoint t, double engines);
  double live_chance_upper(const Exposure& exposure);
  void pending_live_chances(const Exposure& exposure, double p_hi);
  ComplianceProfile profile_;
  std::deque<TimePoint> live_, abandons_, machines_;  // within a rolling abandon_window
  // With no window (the whole campaign) only the counts matter: no timestamp per call is kept.
  long live_total_ = 0, abandons_total_ = 0, machines_total_ = 0;
  TimePoint pruned_at_ = TimePoint::min();  // pacing reads the counts several times an instant
  // With a rolling window, its live answers, abandons and machines in time order, each with the
  // counts recorded before it: a window ending later holds a suffix of this one (what is older
  // has left) and what comes after now. A suffix starts only where the time changes (a window
  // cannot part calls recorded at one instant).
  struct Mark {
    TimePoint at;
    long live_before = 0, abandons_before = 0, machines_before = 0;
  };
  std::deque<Mark> marks_;
  long marks_gone_ = 0;  // marks that left the window: marks_[i] is mark number marks_gone_ + i
  long marks_live_ = 0, marks_abandons_ = 0, marks_machines_ = 0;  // counts over every mark
  // The suffixes that become the window within the look-ahead have been offered (mark numbers
  // below offered_end_); among them, those that may still be the tightest, slack before the
  // mark strictly decreasing from front to back (a sliding-window maximum).
  long offered_end_ = 0;
  std::deque<long> tightest_;
  // The default mode's risk account: risk charged per minute over the last day.
  std::deque<std::pair<TimePoint, double>> risk_spent_;
  double risk_spent_total_ = 0;
  // A measured sample of resolve times kept sorted across decisions: the engine's samples are
  // the last 1,000, so between two decisions a few leave at the front and a few come at the end.
  struct SortedSample {
    std::vector<double> window;  // as last given, oldest first
    std::vector<double> sorted;
    void update(std::span<const double> now);
  };
  SortedSample live_times_, other_times_;
  // Scratch space of clamp(), kept to spare allocations at every decision.
  std::vector<double> chances_, distribution_, launched_tail_;
};

}  // namespace omnivox

#endif  // OMNIVOX_COMPLIANCE_H_
