// The abandon governor's launch guard (omnivox/compliance.h): whatever a pacing policy asks
// for, the abandon rate over the compliance window never passes the cap at any instant — in the
// strict mode by construction, in the default mode up to a risk of 1e-4 a day.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <memory>
#include <queue>
#include <random>
#include <span>
#include <vector>

#include "omnivox/audit.h"
#include "omnivox/compliance.h"
#include "omnivox/engine.h"
#include "omnivox/pacing.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

// A stylised world driven event by event: attempts are live with probability p and resolve
// after exp(attempt_s); in the `aged` world the times depend on the outcome as on a real line
// (busy signals within 3 s, live answers after a few rings, no answer at the ring timeout), so a
// call in flight's chance to be live changes with its age. A live answer takes a free agent or,
// with a hold window of `hold_s`, waits up to hold_s for one (first come, first served) and is
// abandoned when it runs out; without one it is abandoned at once. Agents hold a call for
// exp(handle_s). At every event a random "policy" asks for 0..3N launches and the governor
// clamps it, told the calls waiting, the ages of the calls in flight and the last 1,000 times of
// each outcome. Returns the worst rate seen right after any live answer or abandon.
struct GuardRun {
  double worst_rate = 0;
  long live = 0, abandons = 0, breaches = 0;
  long waited = 0;  // live answers that waited for an agent
};

GuardRun run_random_policy(std::uint64_t seed, double risk, bool aged = false, double hold_s = 0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const int agents = 1 + static_cast<int>(rng() % 40);
  const double p = 0.05 + 0.55 * u(rng);
  const double cap = u(rng) < 0.5 ? 0.03 : 0.05;
  const double attempt_s = 5 + 30 * u(rng), handle_s = 30 + 200 * u(rng);
  const double greed = 0.2 + 3 * u(rng);  // how hard this policy asks
  const double ring_s = 15 + 25 * u(rng), busy_share = u(rng);
  ComplianceProfile profile = ComplianceProfile::none();
  profile.abandon_cap = cap;
  profile.abandon_guard_risk = risk;
  // A rolling window longer than the run (the guard does not claim to stop old live answers
  // leaving a rolling window from lifting the rate later: docs/compliance.md).
  if (seed % 3 == 0) profile.abandon_window = std::chrono::hours(24 * 30);
  AbandonGovernor governor(profile);

  enum class Kind { kCallResolves, kAgentFrees, kHoldRunsOut };
  struct Event {
    double at;
    double launched;
    Kind kind;
    bool live;
    bool operator>(const Event& o) const { return at > o.at; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::exponential_distribution<double> resolve(1 / attempt_s), handle(1 / handle_s);
  const auto resolve_after = [&](bool live) {
    if (!aged) return resolve(rng);
    if (live) return 4 + 0.5 * ring_s * u(rng);
    return u(rng) < busy_share ? 0.5 + 2.5 * u(rng) : ring_s + 0.5 * u(rng);
  };
  const TimePoint t0 = parse_utc("2026-05-04T00:00:00Z");
  int idle = agents, pending = 0;
  std::deque<double> waiting_deadlines;  // first come first served: the earliest deadline first
  long resolved = 0, live_total = 0;
  std::vector<double> launches, ages;
  // The last 1,000 times of each outcome, oldest first, contiguous (as the engine keeps them).
  std::vector<double> live_times, other_times;
  const auto last_1000 = [](const std::vector<double>& v) {
    const std::size_t n = std::min<std::size_t>(v.size(), 1000);
    return std::span<const double>(v.data() + v.size() - n, n);
  };
  GuardRun out;
  double now = 0;
  for (int step = 0; step < 6000; ++step) {
    AbandonGovernor::Exposure e;
    e.now = t0 + seconds_to_duration(now);
    e.agents_idle = idle;
    e.calls_waiting = static_cast<int>(waiting_deadlines.size());
    e.calls_pending = pending;
    e.live_answer_probability = resolved > 0 ? static_cast<double>(live_total) / resolved : 0.3;
    e.attempts_resolved = resolved;
    ages.clear();
    for (double l : launches) ages.push_back(now - l);
    e.pending_ages_s = ages;
    e.live_resolve_s = last_1000(live_times);
    e.other_resolve_s = last_1000(other_times);
    const int wanted = static_cast<int>(greed * agents * u(rng) + 0.5);
    const int allowed = governor.clamp(wanted, e);
    EXPECT_LE(allowed, std::max(wanted, 0));
    for (int i = 0; i < allowed; ++i) {
      const bool live = u(rng) < p;
      events.push({now + resolve_after(live), now, Kind::kCallResolves, live});
      launches.push_back(now);
      ++pending;
    }
    if (events.empty()) {
      now += 1;
      continue;
    }
    const Event ev = events.top();
    events.pop();
    now = ev.at;
    const TimePoint t = t0 + seconds_to_duration(now);
    const auto check_rate = [&] {
      const AbandonGovernor::Window w = governor.window(t);
      out.live = w.live_answers;
      out.abandons = w.abandons;
      out.worst_rate = std::max(out.worst_rate, w.rate);
      if (w.rate > cap + 1e-12) ++out.breaches;
    };
    if (ev.kind == Kind::kAgentFrees) {
      if (waiting_deadlines.empty()) {
        ++idle;
      } else {
        waiting_deadlines.pop_front();
        events.push({now + handle(rng), now, Kind::kAgentFrees, false});
      }
      continue;
    }
    if (ev.kind == Kind::kHoldRunsOut) {
      // Served meanwhile, the call is gone from the front and a later deadline is there.
      if (!waiting_deadlines.empty() && waiting_deadlines.front() <= now) {
        waiting_deadlines.pop_front();
        governor.record_abandon(t);
        check_rate();
      }
      continue;
    }
    --pending;
    ++resolved;
    launches.erase(std::find(launches.begin(), launches.end(), ev.launched));
    auto& times = ev.live ? live_times : other_times;
    if (times.size() >= 2000) times.erase(times.begin(), times.end() - 1000);
    times.push_back(now - ev.launched);
    if (!ev.live) continue;
    ++live_total;
    governor.record_live_answer(t);
    if (idle > 0) {
      --idle;
      events.push({now + handle(rng), now, Kind::kAgentFrees, false});
    } else if (hold_s > 0) {
      waiting_deadlines.push_back(now + hold_s);
      events.push({now + hold_s, now, Kind::kHoldRunsOut, false});
      ++out.waited;
    } else {
      governor.record_abandon(t);
    }
    check_rate();
  }
  return out;
}

// An exposure at t with p measured on `resolved` attempts, no agent free and no call in flight.
AbandonGovernor::Exposure known_rate_exposure(TimePoint t, double p, long resolved) {
  AbandonGovernor::Exposure e;
  e.now = t;
  e.live_answer_probability = p;
  e.attempts_resolved = resolved;
  return e;
}

TEST(AbandonGuard, RandomPoliciesNeverPassTheCapStrict) {
  long abandons = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    GuardRun r = run_random_policy(seed, 0.0);
    EXPECT_EQ(r.breaches, 0) << "seed " << seed << ": worst rate " << r.worst_rate;
    abandons += r.abandons;
  }
  EXPECT_GT(abandons, 0);  // the guard lets policies overdial, it does not forbid abandons
}

TEST(AbandonGuard, RandomPoliciesNeverPassTheCapDefault) {
  long abandons = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    GuardRun r = run_random_policy(seed, ComplianceProfile{}.abandon_guard_risk);
    EXPECT_EQ(r.breaches, 0) << "seed " << seed << ": worst rate " << r.worst_rate;
    abandons += r.abandons;
  }
  EXPECT_GT(abandons, 0);
}

// The same where a call's chance to be live depends on its age (busy signals end fast, no
// answer rings to the timeout): the model of the calls in flight takes the place of a fixed
// reserve of abandons.
TEST(AbandonGuard, RandomPoliciesNeverPassTheCapWhenTimesDependOnTheOutcome) {
  long abandons = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    GuardRun r = run_random_policy(seed, ComplianceProfile{}.abandon_guard_risk, true);
    EXPECT_EQ(r.breaches, 0) << "seed " << seed << ": worst rate " << r.worst_rate;
    abandons += r.abandons;
  }
  EXPECT_GT(abandons, 0);
}

// The same with a hold window: a live answer that finds no agent free waits for one, and the
// governor counts it as a live answer already in the window whose abandon is still to come.
TEST(AbandonGuard, RandomPoliciesNeverPassTheCapWhenLiveAnswersWait) {
  long abandons = 0, waited = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const double hold_s = 1 + static_cast<double>(seed % 10);
    const double risk = seed % 4 == 0 ? 0.0 : ComplianceProfile{}.abandon_guard_risk;
    GuardRun r = run_random_policy(seed, risk, seed % 2 == 0, hold_s);
    EXPECT_EQ(r.breaches, 0) << "seed " << seed << ": worst rate " << r.worst_rate;
    abandons += r.abandons;
    waited += r.waited;
  }
  EXPECT_GT(abandons, 0);
  EXPECT_GT(waited, 0);
}

// The exact tail against every outcome of up to 12 calls, with chances from 0 to 1.
TEST(AbandonGuard, PoissonBinomialTailMatchesEnumeration) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = static_cast<int>(rng() % 13);
    std::vector<double> q(static_cast<std::size_t>(n));
    for (double& x : q) {
      const double r = u(rng);
      x = r < 0.1 ? 0.0 : r < 0.2 ? 1.0 : r < 0.4 ? 1e-4 * u(rng) : u(rng);
    }
    std::vector<double> exact(static_cast<std::size_t>(n) + 1, 0.0);
    for (unsigned mask = 0; mask < (1u << n); ++mask) {
      double prob = 1;
      int live = 0;
      for (int i = 0; i < n; ++i) {
        const bool on = (mask >> i) & 1u;
        prob *= on ? q[static_cast<std::size_t>(i)] : 1 - q[static_cast<std::size_t>(i)];
        live += on;
      }
      exact[static_cast<std::size_t>(live)] += prob;
    }
    for (int k = -1; k <= n; ++k) {
      double above = 0;
      for (int j = k + 1; j <= n; ++j) above += exact[static_cast<std::size_t>(j)];
      const double got = poisson_binomial_tail_above(q, k);
      EXPECT_NEAR(got, above, 1e-12 + 1e-9 * above) << "trial " << trial << " k " << k;
    }
  }
  // Far in the tail, where 1 - P(Y <= k) would cancel to 0: 30 calls at 0.01, more than 20 live
  // = C(30,21) 0.01^21 0.99^9 + ... = 1.31e-36.
  std::vector<double> q(30, 0.01);
  const double t = poisson_binomial_tail_above(q, 20);
  EXPECT_NEAR(t, 14307150.0 * std::pow(0.01, 21) * std::pow(0.99, 9), 0.01 * t);
}

// The calls in flight weigh by their age: calls older than every measured live answer but
// younger than the measured ends of the others are almost surely not live, and calls older
// than every measured end of the others are taken as live.
TEST(AbandonGuard, CallsInFlightWeighByTheirAge) {
  ComplianceProfile profile = ComplianceProfile::none();
  profile.abandon_cap = 0.03;
  const TimePoint t = parse_utc("2026-05-04T12:00:00Z");
  std::vector<double> live_times, other_times;
  for (int i = 0; i < 1000; ++i) {
    live_times.push_back(5 + 0.01 * i);                   // live answers after 5-15 s
    other_times.push_back(i % 2 ? 1.0 : 30 + 0.001 * i);  // busy at 1 s, no answer at 30 s
  }
  const auto allowed = [&](double age) {
    AbandonGovernor g(profile);
    for (int i = 0; i < 600; ++i) g.record_live_answer(t);  // K = 18 / 0.97 = 18.6 abandons
    AbandonGovernor::Exposure e = known_rate_exposure(t, 0.25, 100000);
    e.agents_idle = 2;
    e.calls_pending = 20;
    std::vector<double> ages(20, age);
    e.pending_ages_s = ages;
    e.live_resolve_s = live_times;
    e.other_resolve_s = other_times;
    return g.clamp(200, e);
  };
  const int fresh = allowed(0), ringing = allowed(20), overdue = allowed(40);
  // 20 calls past every live answer's time count for nearly nothing: about as many launches as
  // with none in flight (27 at p_hi = 0.26: DefaultChargesItsDecisionsToADayBudget).
  EXPECT_GT(ringing, fresh + 15);
  // 20 calls past every measured end count as live: 20 live answers of 20, beyond what the
  // budget (18 less the reserve of 1, + 2 free agents = 19) leaves room for.
  EXPECT_EQ(overdue, 0);
  std::printf("allowed with 20 calls in flight aged 0 / 20 / 40 s: %d / %d / %d\n", fresh, ringing,
              overdue);
}

TEST(AbandonGuard, StrictAllowsOnlyWhatTheWorstCaseAffords) {
  ComplianceProfile profile = ComplianceProfile::none();
  profile.abandon_cap = 0.03;
  profile.abandon_guard_risk = 0;
  AbandonGovernor g(profile);
  const TimePoint t = parse_utc("2026-05-04T12:00:00Z");
  AbandonGovernor::Exposure e;
  e.now = t;
  e.agents_idle = 4;
  e.calls_pending = 1;
  e.live_answer_probability = 0.2;
  e.attempts_resolved = 100000;
  EXPECT_EQ(g.clamp(50, e), 3);  // nothing recorded: only the free agents
  for (int i = 0; i < 1000; ++i) g.record_live_answer(t);
  for (int i = 0; i < 20; ++i) g.record_abandon(t);
  // Room for (30 - 20) / 0.97 = 10.3 more abandons: 10 calls beyond the 4 free agents.
  EXPECT_EQ(g.clamp(50, e), 13);
}

// A live answer waiting for an agent is a live answer already: its abandon adds one abandon and
// no live answer. At 70 abandons in 2,398 live answers the budget is (71.94 - 70) / 0.97 = 2
// abandons that each bring their live answer; the waiting call, abandoned, leaves (71.94 - 71) /
// 0.97 = 0.97 of one: no launch beyond the free agents (a call launched and abandoned too would
// make 72 in 2,399, 3.0013 %). With the call taken by a free agent instead, two may fly.
TEST(AbandonGuard, WaitingLiveAnswersCountOnlyTheirAbandon) {
  for (const double risk : {0.0, ComplianceProfile{}.abandon_guard_risk}) {
    ComplianceProfile profile = ComplianceProfile::none();
    profile.abandon_cap = 0.03;
    profile.abandon_guard_risk = risk;
    AbandonGovernor g(profile);
    const TimePoint t = parse_utc("2026-05-04T12:00:00Z");
    for (int i = 0; i < 2398; ++i) g.record_live_answer(t);
    for (int i = 0; i < 70; ++i) g.record_abandon(t);
    AbandonGovernor::Exposure e = known_rate_exposure(t, 0.25, 1000000);
    e.calls_waiting = 1;
    EXPECT_EQ(g.clamp(7, e), 0) << "risk " << risk;
    e.agents_idle = 1;
    EXPECT_EQ(g.clamp(7, e), 2) << "risk " << risk;
  }
}

// The bound of p holds at every sample size at once: over 400 sequences of 2,000 trials each of
// p = 0.1 and of p = 0.3 it fell under p at some n in at most delta = 5 % of them (Ville's
// inequality bounds the chance by delta; the mixture's bound is not tight, so far fewer).
TEST(AbandonGuard, LiveChanceBoundHoldsAtEverySampleSizeAtOnce) {
  constexpr double kDelta = 0.05;
  constexpr int kRuns = 400, kTrials = 2000;
  for (const double p : {0.1, 0.3}) {
    std::mt19937_64 rng(p < 0.2 ? 11 : 29);
    std::bernoulli_distribution trial(p);
    int failed = 0;
    for (int run = 0; run < kRuns; ++run) {
      long live = 0;
      for (int n = 1; n <= kTrials; ++n) {
        live += trial(rng);
        if (live_chance_upper_bound(live, n, kDelta) < p) {
          ++failed;
          break;
        }
      }
    }
    std::printf("p = %.1f: the bound fell under p in %d of %d runs\n", p, failed, kRuns);
    EXPECT_LE(failed, kDelta * kRuns) << "p " << p;
  }
}

// Never above the union bound over sample sizes it replaced (the largest q >= S / n with
// n KL(S / n || q) <= ln(n (n + 1) / delta)), at every n and S checked; rises with S; 1 when
// nothing is known.
TEST(AbandonGuard, LiveChanceBoundIsTighterThanTheUnionBound) {
  const auto union_bound = [](double live, double n, double delta) {
    const double p_hat = live / n;
    if (p_hat >= 1) return 1.0;
    const auto divergence = [](double a, double b) {
      double d = 0;
      if (a > 0) d += a * std::log(a / b);
      if (a < 1) d += (1 - a) * std::log((1 - a) / (1 - b));
      return d;
    };
    const double level = (std::log(n) + std::log(n + 1) - std::log(delta)) / n;
    double lo = p_hat, hi = 1.0;
    for (int i = 0; i < 60; ++i) {
      const double mid = 0.5 * (lo + hi);
      (divergence(p_hat, mid) <= level ? lo : hi) = mid;
    }
    return hi;
  };
  for (const double delta : {1e-5, 0.05}) {
    for (const int n : {1, 2, 3, 5, 10, 20, 50, 100, 300, 1000, 5000, 100000}) {
      const int step = std::max(1, n / 200);
      double previous = 0;
      for (int live = 0; live <= n; live += step) {
        const double bound = live_chance_upper_bound(live, n, delta);
        EXPECT_LE(bound, union_bound(live, n, delta) + 1e-12) << n << " " << live << " " << delta;
        EXPECT_GE(bound, static_cast<double>(live) / n) << n << " " << live;
        EXPECT_GE(bound, previous) << n << " " << live;
        previous = bound;
      }
    }
  }
  // 25 live answers in 100 attempts at delta = 1e-5: (n + 1) C(n, S) q^S (1 - q)^(n - S) = delta
  // at q = 0.5065 (the union bound: 0.5670).
  EXPECT_NEAR(live_chance_upper_bound(25, 100, 1e-5), 0.5065, 5e-4);
  EXPECT_EQ(live_chance_upper_bound(0, 0, 1e-5), 1.0);
  EXPECT_EQ(live_chance_upper_bound(3, 3, 1e-5), 1.0);
}

TEST(AbandonGuard, DefaultBoundsTheLiveAnswersOfTheCallsInFlight) {
  ComplianceProfile profile = ComplianceProfile::none();
  profile.abandon_cap = 0.03;
  AbandonGovernor g(profile);
  const TimePoint t = parse_utc("2026-05-04T12:00:00Z");
  AbandonGovernor::Exposure e;
  e.now = t;
  e.agents_idle = 100;
  e.live_answer_probability = 0.1;
  e.attempts_resolved = 1000000;
  // No history yet, 100 free agents and p = 0.1 (known well): far more than 100 calls may fly,
  // as long as over 100 live answers among them is a 1e-9 event.
  const int allowed = g.clamp(1000, e);
  EXPECT_GT(allowed, 500);
  EXPECT_LT(allowed, 1000);
  // Nothing known about p: the worst case, only the free agents.
  e.attempts_resolved = 0;
  EXPECT_EQ(g.clamp(1000, e), 100);
}

// The default mode's day account: a governor held where its budget of abandons is thin, asked
// again and again, lets the first decisions take more than the risk unit (1e-9) and never
// charges more than 10^5 units over a day; a day later the account is empty again.
TEST(AbandonGuard, DefaultChargesItsDecisionsToADayBudget) {
  ComplianceProfile profile = ComplianceProfile::none();
  profile.abandon_cap = 0.03;
  AbandonGovernor g(profile);
  const TimePoint t0 = parse_utc("2026-05-04T08:00:00Z");
  for (int i = 0; i < 600; ++i) g.record_live_answer(t0);  // K = 18 / 0.97 = 18.6 abandons
  AbandonGovernor::Exposure e;
  e.agents_idle = 2;
  e.live_answer_probability = 0.25;
  e.attempts_resolved = 100000;
  const double budget = 0.9e5 * profile.abandon_guard_risk;  // the bound of p has the rest
  int first = -1;
  double spent_before = 0;
  for (int i = 0; i < 20000; ++i) {
    e.now = t0 + std::chrono::seconds(i);
    const int allowed = g.clamp(200, e);
    if (i == 0) first = allowed;
    const double spent = g.risk_spent(e.now);
    ASSERT_LE(spent, budget) << "decision " << i;
    ASSERT_GE(spent, spent_before - 1e-18) << "decision " << i;  // within the day: no refund
    spent_before = spent;
    ASSERT_GE(allowed, 2);  // the free agents' share always
  }
  // The budget is used where launches are bought.
  EXPECT_GT(spent_before, 0.1 * budget);
  // Up to 20 live answers may come (18 abandons and the 2 free agents), p_hi = 0.2581 (the
  // bound at every sample size with risk 1e-5, n = 100,000): a fixed 1e-9 per decision allows 24
  // calls in flight (P(X > 20) = 3.8e-10); the day's first decision may take 0.9e-4 / 301 =
  // 3.0e-7 and allows 29 (P(X > 20) = 2.0e-7).
  EXPECT_EQ(first, 29);
  // A day (and a minute) after the last charge the account is empty and the first decisions
  // may take as much again.
  e.now = t0 + std::chrono::hours(24) + std::chrono::seconds(20000 + 60);
  EXPECT_EQ(g.risk_spent(e.now), 0.0);
  EXPECT_EQ(g.clamp(200, e), first);
}

// The same through the engine: a policy asking for random launches at every decision, in the
// simulator, audited call by call.
class RandomPolicy final : public PacingPolicy {
 public:
  explicit RandomPolicy(std::uint64_t seed) : rng_(seed) {}
  std::string name() const override { return "random"; }
  int decide(const PacingSnapshot& s) override {
    const int agents = s.agents_idle + s.agents_busy;
    return static_cast<int>(rng_() % static_cast<unsigned>(3 * agents + 2));
  }

 private:
  std::mt19937_64 rng_;
};

// Seeds 13-18 with the 2 s hold window of 47 CFR 64.1200(a)(7): live answers wait for an agent.
TEST(AbandonGuard, EngineAuditIsCleanUnderRandomPolicies) {
  long waited = 0;
  for (std::uint64_t seed = 1; seed <= 18; ++seed) {
    const Duration hold = seed > 12 ? std::chrono::seconds(2) : Duration(0);
    std::mt19937_64 rng(seed * 104729);
    std::uniform_real_distribution<double> u(0, 1);
    SimulationOptions so;
    so.seed = seed;
    so.parametric.p_live = 0.1 + 0.4 * u(rng);
    so.parametric.p_machine = 0;
    so.parametric.p_busy = 1 - so.parametric.p_live;
    so.parametric.p_invalid = 0;
    so.parametric.answer_delay = Distribution::exponential(20);
    so.parametric.busy_delay = Distribution::exponential(20);
    so.parametric.talk = Distribution::exponential(60 + 120 * u(rng));
    so.setup_delay = Distribution::fixed(0);
    so.wrap_up = Distribution::fixed(0);
    so.patience = Distribution::fixed(3600);
    Simulation simulation(so, parse_utc("2026-05-04T00:00:00Z"));
    Engine& engine = simulation.engine();
    CampaignConfig c;
    c.id = "guard";
    c.call_window = CallWindow::always();
    c.max_attempts = 1;
    c.retry_rules.clear();
    c.ring_timeout = std::chrono::hours(1);
    c.hold_window = hold;
    c.compliance = ComplianceProfile::none();
    c.compliance.name = "GUARD";
    c.compliance.abandon_cap = 0.03;
    c.compliance.hold_window = hold;
    if (seed % 2 == 0) c.compliance.abandon_guard_risk = 0;
    engine.add_campaign(c);
    engine.set_pacing_policy("guard", std::make_unique<RandomPolicy>(seed));
    for (int i = 0; i < 8000; ++i) {
      Contact ct;
      ct.numbers.push_back(PhoneNumber{"+1212" + std::to_string(2000000 + i)});
      engine.add_contact("guard", std::move(ct));
    }
    const int agents = 2 + static_cast<int>(rng() % 30);
    simulation.add_agents("guard", agents);
    engine.start_campaign("guard");
    engine.run_for(std::chrono::hours(3));
    ComplianceAudit audit = audit_campaign(simulation.storage(), c, engine.time_zones());
    CampaignStatistics st = engine.statistics("guard");
    std::printf(
        "seed %2llu %-7s agents %2d: %5ld attempts, abandon rate %.2f%%, window max %.2f%%\n",
        static_cast<unsigned long long>(seed), seed % 2 == 0 ? "strict" : "default", agents,
        audit.attempts, 100 * st.abandon_rate, 100 * audit.max_window_rate);
    EXPECT_EQ(audit.cap_breaches, 0) << "seed " << seed;
    EXPECT_GT(audit.attempts, 100);
    simulation.storage().scan_attempts("guard", [&](const Attempt& a) {
      if (a.bridged_at != TimePoint{} && a.bridged_at > a.answered_at) ++waited;
      return true;
    });
  }
  EXPECT_GT(waited, 0);  // the hold window's seeds had live answers waiting
}

}  // namespace
}  // namespace omnivox
