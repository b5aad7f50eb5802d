// Research pacing policies (omnivox/policies.h): their formulas on hand-built snapshots, short
// simulated campaigns under the US governor, the oracle against progressive and power, and the
// simulator's exactness as an Erlang loss system under open-loop Poisson pacing.
#include "omnivox/policies.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "omnivox/compliance.h"
#include "omnivox/engine.h"
#include "omnivox/erlang.h"
#include "omnivox/pacing.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

const TimePoint kT0 = parse_utc("2026-05-04T13:00:00Z");

TimePoint at_s(double s) { return kT0 + seconds_to_duration(s); }

// ---- a simulated campaign with any policy ---------------------------------------------------

struct CampaignSetup {
  SimulationOptions sim;
  int agents = 10;
  int contacts = 1500;
  ComplianceProfile profile = [] {
    auto p = ComplianceProfile::us_ftc_fcc();
    p.call_window = CallWindow::always();  // the tests run around the clock
    return p;
  }();
  Duration hold_window = std::chrono::seconds(2);
  Duration limit = std::chrono::hours(24 * 7);
};

struct CampaignRun {
  CampaignStatistics stats;
  bool finished = false;
  std::vector<Attempt> attempts;  // every finished attempt
  std::string policy_name;
};

class AttemptRecorder : public EventListener {
 public:
  void on_attempt_finished(const Attempt& a) override { attempts.push_back(a); }
  std::vector<Attempt> attempts;
};

using PolicyMaker = std::function<std::unique_ptr<PacingPolicy>(Simulator&)>;

CampaignRun run_campaign(const CampaignSetup& setup, const PolicyMaker& make_policy) {
  AttemptRecorder recorder;
  auto storage = make_memory_storage({false});
  VirtualClock clock(kT0);
  Simulator sim(setup.sim, &clock, &recorder);
  EngineOptions eo;
  eo.log_level = LogLevel::kWarn;
  eo.journal_state_changes = false;
  Engine engine(eo, storage.get(), &sim, &clock, &sim);
  sim.attach(&engine);
  CampaignConfig c;
  c.id = "p";
  c.max_attempts = 1;
  c.retry_rules.clear();  // one attempt per contact
  c.compliance = setup.profile;
  c.call_window = CallWindow::always();
  c.hold_window = setup.hold_window;
  engine.add_campaign(c);
  auto policy = make_policy(sim);
  std::string name = policy->name();
  engine.set_pacing_policy("p", std::move(policy));
  for (int i = 0; i < setup.contacts; ++i) {
    Contact ct;
    ct.numbers.push_back(PhoneNumber{"+1212" + std::to_string(5000000 + i)});
    engine.add_contact("p", ct);
  }
  for (int i = 0; i < setup.agents; ++i) {
    engine.set_agent_state(engine.add_agent("p", "a" + std::to_string(i)), AgentState::kAvailable);
  }
  engine.start_campaign("p");
  CampaignRun run;
  run.finished = engine.run_until_done(setup.limit);
  run.stats = engine.statistics("p");
  run.attempts = std::move(recorder.attempts);
  run.policy_name = name;
  return run;
}

// The world of the US-governed campaigns below: 30 % live answers.
SimulationOptions typical_world(std::uint64_t seed) {
  SimulationOptions so;
  so.seed = seed;
  so.parametric.p_live = 0.3;
  so.parametric.p_machine = 0.1;
  so.parametric.p_busy = 0.1;
  so.parametric.p_invalid = 0.02;
  so.parametric.answer_delay = Distribution::exponential(8);
  so.parametric.talk = Distribution::exponential(90);
  so.wrap_up = Distribution::fixed(5);
  return so;
}

void print_figures(const CampaignRun& r) {
  std::printf("[ figures  ] %-44s occupancy %.4f abandon rate %.4f (%ld of %ld live answers)\n",
              r.policy_name.c_str(), r.stats.occupancy, r.stats.abandon_rate, r.stats.abandons,
              r.stats.live_answers);
}

// Runs a campaign under US_FTC_FCC (3 % cap) and checks it ends within the cap.
CampaignRun expect_governed_campaign(const PolicyMaker& make, std::uint64_t seed = 11) {
  CampaignSetup setup;
  setup.sim = typical_world(seed);
  CampaignRun run = run_campaign(setup, make);
  EXPECT_TRUE(run.finished) << run.policy_name;
  EXPECT_EQ(run.stats.attempts, setup.contacts) << run.policy_name;
  EXPECT_EQ(run.stats.attempts_in_flight, 0) << run.policy_name;
  EXPECT_GT(run.stats.live_answers, 300) << run.policy_name;
  EXPECT_LE(run.stats.abandon_rate, 0.03) << run.policy_name;
  EXPECT_EQ(run.stats.abandons + run.stats.connects, run.stats.live_answers) << run.policy_name;
  print_figures(run);
  return run;
}

// ---- 1. threshold ---------------------------------------------------------------------------

TEST(ThresholdPolicy, LaunchesRoundedKTimesFreeAgentsPlusCMinusPending) {
  ThresholdOptions o;
  o.k = 1.6;
  o.c = 1;
  o.min_free = 2;
  auto p = make_threshold_policy(o);
  PacingSnapshot s;
  s.agents_idle = 5;
  s.calls_pending = 3;
  EXPECT_EQ(p->decide(s), 6);  // round(1.6 * 5 + 1) = 9, minus 3 pending
  s.calls_pending = 12;
  EXPECT_EQ(p->decide(s), 0) << "never negative";
  s.calls_pending = 0;
  s.agents_idle = 1;
  EXPECT_EQ(p->decide(s), 0) << "under the free-agent threshold s = 2";
  s.agents_idle = 3;
  s.calls_waiting = 1;         // a waiting live answer takes an idle agent: 2 free
  EXPECT_EQ(p->decide(s), 4);  // round(1.6 * 2 + 1)
  // k is the tunable parameter.
  EXPECT_DOUBLE_EQ(p->parameter(), 1.6);
  p->set_parameter(25);
  EXPECT_DOUBLE_EQ(p->parameter(), 10);
  p->set_parameter(1);
  EXPECT_EQ(p->decide(s), 3);
  // k = 1, c = 0, s = 0 is progressive.
  auto progressive = make_threshold_policy({});
  auto reference = make_progressive_policy();
  for (int idle : {0, 1, 4, 9}) {
    for (int pending : {0, 2, 7}) {
      PacingSnapshot t;
      t.agents_idle = idle;
      t.calls_pending = pending;
      EXPECT_EQ(progressive->decide(t), reference->decide(t)) << idle << " " << pending;
    }
  }
  EXPECT_THROW(make_threshold_policy({11, 0, 0}), Error);
  EXPECT_THROW(make_threshold_policy({1, 0, -1}), Error);
}

TEST(ThresholdPolicy, GovernedCampaignStaysUnderTheCap) {
  ThresholdOptions o;
  o.k = 3;
  expect_governed_campaign([&](Simulator&) { return make_threshold_policy(o); });
}

TEST(TunablePowerPolicy, IsPowerWithATunableRatio) {
  auto p = make_tunable_power_policy(2.5);
  PacingSnapshot s;
  s.agents_idle = 3;
  s.calls_pending = 2;
  EXPECT_EQ(p->decide(s), 6);  // round(7.5) - 2
  p->set_parameter(0.2);
  EXPECT_DOUBLE_EQ(p->parameter(), 1.0);
  EXPECT_EQ(p->decide(s), 1);
  EXPECT_THROW(make_tunable_power_policy(0.5), Error);
}

// ---- 2. expected availability ---------------------------------------------------------------

TEST(ExpectedAvailabilityPolicy, ExponentialLookAheadWithoutSamples) {
  ExpectedAvailabilityOptions o;
  o.look_ahead_s = 5;
  o.adapt = false;
  auto p = make_expected_availability_policy(o);
  EXPECT_TRUE(p->wants_details());
  PacingSnapshot s;
  s.agents_idle = 1;
  s.agents_busy = 2;
  s.busy_elapsed_s = {10, 200};
  s.mean_handle_s = 100;
  s.live_answer_probability = 0.5;
  // 1 + 2 (1 - e^{-5/100}) = 1.0975 expected free agents, / 0.5 = 2.195 -> 2.
  EXPECT_EQ(p->decide(s), 2);
  // Two pending calls count p = 0.5 each without resolve samples: (1.0975 - 1) / 0.5 -> 0.
  s.calls_pending = 2;
  s.pending_elapsed_s = {1, 2};
  EXPECT_EQ(p->decide(s), 0);
  // A longer window counts more of the busy agents: W = 40 -> 1 + 2 (1 - e^{-0.4}) = 1.6594.
  p->set_parameter(40);
  EXPECT_EQ(p->decide(s), 1);  // (1.6594 - 1) / 0.5 = 1.32
  s.calls_pending = 0;
  s.pending_elapsed_s.clear();
  EXPECT_EQ(p->decide(s), 3);  // 3.32
  p->set_parameter(0);
  EXPECT_EQ(p->decide(s), 2) << "W = 0: the idle agent only, 1 / p";
}

TEST(ExpectedAvailabilityPolicy, EmpiricalConditionalProbabilities) {
  ExpectedAvailabilityOptions o;
  o.look_ahead_s = 10;
  o.adapt = false;
  auto p = make_expected_availability_policy(o);
  std::vector<double> handle, live(40, 5.0), other(40, 20.0);
  for (int i = 1; i <= 100; ++i) handle.push_back(i);  // 1, 2, ..., 100 s
  PacingSnapshot s;
  s.recent_handle_s = handle;
  s.recent_live_resolve_s = live;
  s.recent_other_resolve_s = other;
  s.live_answer_probability = 0.25;
  s.agents_busy = 2;
  // Busy 50 s: P(H <= 60 | H > 50) = 10 / 50. Busy 95 s: 5 / 5 = 1.
  s.busy_elapsed_s = {50, 95};
  EXPECT_EQ(p->decide(s), 5);  // 1.2 / 0.25 = 4.8
  // Busy longer than every sample: exponential with the mean (e^{-10/100}).
  s.busy_elapsed_s = {150};
  s.mean_handle_s = 100;
  EXPECT_EQ(p->decide(s), 0);  // 0.0952 / 0.25 = 0.38
  // Pending: elapsed 3 s (both still possible: P = p = 0.25); elapsed 10 s (every live answer
  // comes at 5 s: P = 0).
  s.busy_elapsed_s = {95, 95, 95};
  s.pending_elapsed_s = {3, 10, 10};
  EXPECT_EQ(p->decide(s), 11);  // (3 - 0.25) / 0.25
}

TEST(ExpectedAvailabilityPolicy, OuterLoopAdaptsTheWindowOnTheAbandonRate) {
  ExpectedAvailabilityOptions o;
  o.look_ahead_s = 5;
  o.max_look_ahead_s = 7;
  o.adapt_every_live_answers = 20;
  o.step_s = 1;
  auto p = make_expected_availability_policy(o);
  PacingSnapshot s;
  s.abandon_cap = 0.03;  // target 0.024
  s.live_answers = 19;
  p->decide(s);
  EXPECT_DOUBLE_EQ(p->parameter(), 5) << "not yet 20 live answers";
  s.live_answers = 20;
  p->decide(s);
  EXPECT_DOUBLE_EQ(p->parameter(), 6) << "under target: longer window";
  s.live_answers = 30;
  p->decide(s);
  EXPECT_DOUBLE_EQ(p->parameter(), 6) << "at most every 20 live answers";
  s.live_answers = 40;
  p->decide(s);
  s.live_answers = 60;
  p->decide(s);
  EXPECT_DOUBLE_EQ(p->parameter(), 7) << "bounded by max_look_ahead_s";
  s.abandon_rate = 0.05;
  for (int i = 0; i < 10; ++i) {
    s.live_answers += 20;
    p->decide(s);
  }
  EXPECT_DOUBLE_EQ(p->parameter(), 0) << "over target: shorter window, down to 0";
}

TEST(ExpectedAvailabilityPolicy, GovernedCampaignStaysUnderTheCap) {
  auto run =
      expect_governed_campaign([](Simulator&) { return make_expected_availability_policy(); });
  EXPECT_GT(run.stats.abandons, 0) << "it does overdial";
}

// ---- 3. VICIdial ----------------------------------------------------------------------------

// Feeds `samples` one-second snapshots (idle, waiting, on-call agents) starting at *t.
void feed(PacingPolicy& p, PacingSnapshot& s, double* t, int samples) {
  for (int i = 0; i < samples; ++i) {
    s.now = at_s(*t);
    p.decide(s);
    *t += 1;
  }
}

PacingSnapshot vicidial_snapshot(int idle, int on_call, int wrap_up, int waiting) {
  PacingSnapshot s;
  s.agents_idle = idle;
  s.calls_waiting = waiting;
  s.agents_busy = on_call + wrap_up;
  for (int i = 0; i < on_call; ++i) s.busy_agents.push_back({AgentId(i), AgentState::kOnCall, 5});
  for (int i = 0; i < wrap_up; ++i) {
    s.busy_agents.push_back({AgentId(100 + i), AgentState::kWrapUp, 5});
  }
  return s;
}

TEST(VicidialPolicy, DialLevelRisesWhileAgentsWaitAndLaunchCountsLinesInProgress) {
  auto p = make_vicidial_policy({});
  EXPECT_EQ(p->tick_interval(), std::chrono::seconds(1));
  // 5 ready agents, 5 on calls, 2 in wrap-up (not counted), nobody waiting: m = 5 / 10.
  PacingSnapshot s = vicidial_snapshot(5, 5, 2, 0);
  double t = 0;
  feed(*p, s, &t, 14);
  EXPECT_DOUBLE_EQ(p->parameter(), 1.0) << "updates every 15 samples";
  feed(*p, s, &t, 1);
  EXPECT_NEAR(p->parameter(), 1.5, 1e-12);
  // Launch: round(1.5 x 10 agents) - (2 pending + 5 on a call) = 8.
  s.calls_pending = 2;
  s.now = at_s(t - 0.5);  // between samples: no new sample
  EXPECT_EQ(p->decide(s), 8);
  s.calls_pending = 0;
  feed(*p, s, &t, 15);
  EXPECT_NEAR(p->parameter(), 2.25, 1e-12);
  feed(*p, s, &t, 15);
  EXPECT_DOUBLE_EQ(p->parameter(), 3.0) << "adaptive_maximum_level";
  // Calls waiting for agents pull it down: ready 0, waiting 5 of 10 agents on calls: m = -0.5.
  s = vicidial_snapshot(0, 10, 0, 5);
  feed(*p, s, &t, 15);
  EXPECT_NEAR(p->parameter(), 1.5, 1e-12);
  feed(*p, s, &t, 30);
  EXPECT_DOUBLE_EQ(p->parameter(), 1.0) << "never under 1";
  // Level 1 is progressive: 4 idle of 10, 1 pending -> 3.
  s = vicidial_snapshot(4, 6, 0, 0);
  s.calls_pending = 1;
  s.now = at_s(t - 0.5);
  EXPECT_EQ(p->decide(s), 3);
}

TEST(VicidialPolicy, IntensityAndDiffTargetShapeTheStep) {
  VicidialOptions o;
  o.intensity = 20;
  o.max_level = 5;
  o.initial_level = 2;
  auto up = make_vicidial_policy(o);
  PacingSnapshot s = vicidial_snapshot(5, 5, 0, 0);
  double t = 0;
  feed(*up, s, &t, 15);
  EXPECT_NEAR(up->parameter(), 2 * (1 + 0.5 * 1.2), 1e-12);
  auto down = make_vicidial_policy(o);
  s = vicidial_snapshot(0, 10, 0, 5);
  t = 0;
  feed(*down, s, &t, 15);
  EXPECT_NEAR(down->parameter(), 2 * (1 - 0.5 * 0.8), 1e-12);
  o.intensity = 0;
  o.dl_diff_target = -1;  // aim at one customer waiting
  auto target = make_vicidial_policy(o);
  s = vicidial_snapshot(1, 9, 0, 0);
  t = 0;
  feed(*target, s, &t, 15);
  EXPECT_NEAR(target->parameter(), 2.0, 1e-12) << "1 ready agent - 1 target = no change";
}

// Runs a VICIdial policy at level 3 into a day whose drop rate is over the limit.
double level_after_drops(VicidialDropMethod method, double day_left) {
  VicidialOptions o;
  o.method = method;
  o.initial_level = 3;
  o.max_level = 3;
  auto p = make_vicidial_policy(o);
  PacingSnapshot s = vicidial_snapshot(5, 5, 0, 0);  // would raise the level (capped at 3)
  s.abandon_cap = 0.03;
  s.calling_day_left = day_left;
  double t = 0;
  feed(*p, s, &t, 15);
  EXPECT_DOUBLE_EQ(p->parameter(), 3.0);
  // 100 attempts today, 40 live answers, 2 abandons: 5 % > 3 %.
  s.attempts_resolved = 100;
  s.live_answers = 40;
  s.abandons = 2;
  feed(*p, s, &t, 15);
  return p->parameter();
}

TEST(VicidialPolicy, DropRulesLowerTheLevel) {
  EXPECT_DOUBLE_EQ(level_after_drops(VicidialDropMethod::kHardLimit, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(level_after_drops(VicidialDropMethod::kAverage, 0.5), 1.5);
  EXPECT_DOUBLE_EQ(level_after_drops(VicidialDropMethod::kTapered, 0.6), 1.8);
  EXPECT_DOUBLE_EQ(level_after_drops(VicidialDropMethod::kTapered, 0.9), 2.7)
      << "tapered: lenient early in the day";
  EXPECT_DOUBLE_EQ(level_after_drops(VicidialDropMethod::kTapered, 0.1), 1.0);

  // Under the day's limit, or too few calls today: no cut.
  VicidialOptions o;
  o.initial_level = 3;
  auto p = make_vicidial_policy(o);
  PacingSnapshot s = vicidial_snapshot(5, 5, 0, 0);
  s.attempts_resolved = 40;  // not more than 50 calls today
  s.live_answers = 20;
  s.abandons = 5;
  double t = 0;
  feed(*p, s, &t, 15);
  EXPECT_DOUBLE_EQ(p->parameter(), 3.0);

  // A new day (calling_day_left rises) resets today's counts.
  s.calling_day_left = 0.2;
  s.attempts_resolved = 200;
  s.live_answers = 60;
  s.abandons = 10;
  feed(*p, s, &t, 15);
  EXPECT_DOUBLE_EQ(p->parameter(), 1.0) << "over the limit today";
  s.calling_day_left = 1.0;  // midnight: new day, nothing counted yet
  feed(*p, s, &t, 15);
  EXPECT_DOUBLE_EQ(p->parameter(), 1.5);
}

TEST(VicidialPolicy, HalvesWhenMostOfTheLastMinutesCallsDropped) {
  VicidialOptions o;
  o.initial_level = 2;
  o.max_level = 2;
  o.drop_limit = 1.0;  // keep the day's rule out of it
  auto p = make_vicidial_policy(o);
  PacingSnapshot s = vicidial_snapshot(5, 5, 0, 0);
  double t = 0;
  feed(*p, s, &t, 5);
  // 30 attempts in the last minute, 16 of them abandoned.
  s.attempts_resolved = 30;
  s.live_answers = 30;
  s.abandons = 16;
  feed(*p, s, &t, 10);
  EXPECT_DOUBLE_EQ(p->parameter(), 1.0);  // min(2 x 1.5, 2) / 2
  // Halved again at each update while they count; a minute later they no longer do.
  feed(*p, s, &t, 45);
  EXPECT_DOUBLE_EQ(p->parameter(), 1.0);
  feed(*p, s, &t, 15);
  EXPECT_DOUBLE_EQ(p->parameter(), 1.5);
  feed(*p, s, &t, 15);
  EXPECT_DOUBLE_EQ(p->parameter(), 2.0);
  // 20 calls is not "more than 20".
  auto q = make_vicidial_policy(o);
  PacingSnapshot r = vicidial_snapshot(5, 5, 0, 0);
  r.attempts_resolved = 20;
  r.live_answers = 20;
  r.abandons = 20;
  t = 0;
  feed(*q, r, &t, 15);
  EXPECT_DOUBLE_EQ(q->parameter(), 2.0);
}

// Forwards to a TunablePolicy and remembers the largest value its parameter took.
class WatchParameter final : public PacingPolicy {
 public:
  WatchParameter(std::unique_ptr<TunablePolicy> inner, double* max_seen)
      : inner_(std::move(inner)), max_seen_(max_seen) {}
  std::string name() const override { return inner_->name(); }
  bool wants_details() const override { return inner_->wants_details(); }
  Duration tick_interval() const override { return inner_->tick_interval(); }
  int decide(const PacingSnapshot& s) override {
    int n = inner_->decide(s);
    *max_seen_ = std::max(*max_seen_, inner_->parameter());
    return n;
  }

 private:
  std::unique_ptr<TunablePolicy> inner_;
  double* max_seen_;
};

TEST(VicidialPolicy, GovernedCampaignStaysUnderTheCap) {
  for (auto method : {VicidialDropMethod::kHardLimit, VicidialDropMethod::kTapered}) {
    VicidialOptions o;
    o.method = method;
    double max_level = 0;
    expect_governed_campaign([&](Simulator&) {
      return std::make_unique<WatchParameter>(make_vicidial_policy(o), &max_level);
    });
    EXPECT_GT(max_level, 1.5) << "agents waited: the dial level rose";
  }
}

// ---- 4. PI wrapper --------------------------------------------------------------------------

TEST(PiPolicy, ProgressiveOnColdStartThenTunesTheParameter) {
  auto inner = make_tunable_power_policy(2.0);
  TunablePolicy* power = inner.get();
  PiOptions o;
  o.window_live_answers = 100;
  o.min_live_answers = 50;
  o.update_every_live_answers = 10;
  o.kp = 0.05;
  o.ki = 0.02;
  auto pi = make_pi_policy(std::move(inner), o);
  EXPECT_EQ(pi->name(), "pi(tunable_power(2))");
  PacingSnapshot s;
  s.agents_idle = 4;
  s.calls_pending = 1;
  s.abandon_cap = 0.03;  // target 2.4 %
  EXPECT_EQ(pi->decide(s), 3) << "cold start: progressive";
  s.live_answers = 49;
  EXPECT_EQ(pi->decide(s), 3) << "still under min_live_answers";
  // 50 live answers, no abandon: e = 1 -> 2 + 9 (0.05 + 0.02) = 2.63.
  s.live_answers = 50;
  EXPECT_EQ(pi->decide(s), 10);  // round(2.63 x 4) - 1
  EXPECT_NEAR(power->parameter(), 2.63, 1e-12);
  s.live_answers = 59;
  pi->decide(s);
  EXPECT_NEAR(power->parameter(), 2.63, 1e-12) << "acts every 10 live answers";
  s.live_answers = 60;
  pi->decide(s);
  EXPECT_NEAR(power->parameter(), 2 + 9 * (0.05 + 0.04), 1e-12);
  // Abandons over the target pull it down: 6 of the last ~100 live answers (6 % vs 2.4 %).
  s.live_answers = 150;
  s.abandons = 6;
  pi->decide(s);
  EXPECT_LT(power->parameter(), 2.0);
  // Saturation: a long stretch without abandons drives it to the top without winding up.
  for (int i = 0; i < 200; ++i) {
    s.live_answers += 10;
    pi->decide(s);
  }
  EXPECT_DOUBLE_EQ(power->parameter(), 10.0);
  s.abandons += 30;  // 30 of the last 100: far over
  s.live_answers += 10;
  pi->decide(s);
  EXPECT_LT(power->parameter(), 10.0) << "anti-windup: it comes off the limit at once";
  EXPECT_THROW(make_pi_policy(nullptr), Error);
}

TEST(PiPolicy, GovernedCampaignsStayUnderTheCap) {
  expect_governed_campaign(
      [](Simulator&) { return make_pi_policy(make_tunable_power_policy(1.5)); });
  expect_governed_campaign([](Simulator&) {
    ExpectedAvailabilityOptions ea;
    ea.adapt = false;
    return make_pi_policy(make_expected_availability_policy(ea));
  });
  expect_governed_campaign([](Simulator&) { return make_pi_policy(make_threshold_policy({})); });
}

// ---- 5. open loop ---------------------------------------------------------------------------

TEST(OpenLoopPolicy, PoissonArrivalsBetweenDecisionsDeterministicBySeed) {
  OpenLoopOptions o;
  o.rate_per_s = 2.0;
  o.seed = 99;
  auto a = make_open_loop_policy(o);
  auto b = make_open_loop_policy(o);
  EXPECT_EQ(a->tick_interval(), std::chrono::milliseconds(100));
  PacingSnapshot s;
  s.now = kT0;
  EXPECT_EQ(a->decide(s), 0) << "the first decision starts the clock";
  b->decide(s);
  long total = 0;
  std::vector<int> seq_a, seq_b;
  for (int i = 1; i <= 20000; ++i) {
    s.now = at_s(0.1 * i + (i % 7 == 0 ? 0.05 : 0));  // uneven decision times
    seq_a.push_back(a->decide(s));
    seq_b.push_back(b->decide(s));
    total += seq_a.back();
  }
  EXPECT_EQ(seq_a, seq_b);
  // 2,000 s at 2 / s: 4,000 arrivals, sd sqrt(4000) = 63.
  EXPECT_NEAR(static_cast<double>(total), 4000.0, 4 * 63.3);
  s.now = at_s(3000);  // a long gap: lambda x 1000 s
  int burst = a->decide(s);
  EXPECT_NEAR(burst, 2000, 4 * 44.8);
  o.seed = 100;
  auto c = make_open_loop_policy(o);
  s.now = kT0;
  c->decide(s);
  std::vector<int> seq_c;
  for (int i = 1; i <= 200; ++i) {
    s.now = at_s(0.1 * i);
    seq_c.push_back(c->decide(s));
  }
  EXPECT_NE(seq_c, std::vector<int>(seq_a.begin(), seq_a.begin() + 200));
  EXPECT_THROW(make_open_loop_policy({0.0}), Error);
}

// With every attempt a live answer, exponential talk, no wrap-up, no hold window and Poisson
// attempts, the campaign is an M/M/N/N loss system: the abandon rate is Erlang B.
TEST(OpenLoopPolicy, SimulatorIsAnErlangLossSystem) {
  const int kAgents = 10;
  const double kTalk = 60, kErlangs = 8;
  CampaignSetup setup;
  setup.sim.seed = 4242;
  setup.sim.parametric.p_live = 1.0;
  setup.sim.parametric.p_machine = setup.sim.parametric.p_busy = 0;
  setup.sim.parametric.p_invalid = 0;
  setup.sim.parametric.answer_delay = Distribution::fixed(1.0);
  setup.sim.parametric.talk = Distribution::exponential(kTalk);
  setup.sim.setup_delay = Distribution::fixed(0.2);
  setup.sim.wrap_up = Distribution::fixed(0);
  setup.agents = kAgents;
  setup.contacts = 40000;
  setup.profile = ComplianceProfile::none();
  setup.hold_window = Duration(0);
  setup.limit = std::chrono::hours(24 * 30);
  OpenLoopOptions o;
  o.rate_per_s = kErlangs / kTalk;
  o.seed = 7;
  CampaignRun run = run_campaign(setup, [&](Simulator&) { return make_open_loop_policy(o); });
  ASSERT_TRUE(run.finished);
  ASSERT_EQ(run.stats.attempts, setup.contacts);
  ASSERT_EQ(run.stats.live_answers, setup.contacts);
  // Batch means over the live answers in answer order, after a warm-up.
  auto& calls = run.attempts;
  std::sort(calls.begin(), calls.end(),
            [](const Attempt& a, const Attempt& b) { return a.answered_at < b.answered_at; });
  const std::size_t warm_up = 500, batches = 20;
  const std::size_t per_batch = (calls.size() - warm_up) / batches;
  std::vector<double> rates;
  for (std::size_t b = 0; b < batches; ++b) {
    long lost = 0;
    for (std::size_t i = 0; i < per_batch; ++i) {
      lost += calls[warm_up + b * per_batch + i].disposition == Disposition::kAbandoned;
    }
    rates.push_back(static_cast<double>(lost) / per_batch);
  }
  double mean = 0, var = 0;
  for (double r : rates) mean += r / batches;
  for (double r : rates) var += (r - mean) * (r - mean) / (batches - 1);
  const double half_width = 2.093 * std::sqrt(var / batches);  // t(19) 97.5 %
  const double expected = erlang_b(kAgents, kErlangs);
  std::printf(
      "[ figures  ] Erlang loss: %zu live answers, abandon rate %.4f, 95 %% CI [%.4f, %.4f], "
      "Erlang B %.4f, occupancy %.4f (theory %.4f)\n",
      calls.size(), mean, mean - half_width, mean + half_width, expected, run.stats.occupancy,
      kErlangs * (1 - expected) / kAgents);
  EXPECT_NEAR(expected, 0.1217, 1e-4);
  EXPECT_NEAR(mean, expected, half_width)
      << "batch-means 95 % CI [" << mean - half_width << ", " << mean + half_width << "]";
  EXPECT_LT(half_width, 0.02) << "the run is long enough to mean something";
  // Occupancy: carried load A (1 - B) / N.
  EXPECT_NEAR(run.stats.occupancy, kErlangs * (1 - expected) / kAgents, 0.03);
}

TEST(OpenLoopPolicy, GovernedCampaignStaysUnderTheCap) {
  OpenLoopOptions o;
  o.rate_per_s = 0.5;  // about 1.35 live answers per agent-minute: overloads 10 agents
  expect_governed_campaign([&](Simulator&) { return make_open_loop_policy(o); });
}

// ---- 6. oracle ------------------------------------------------------------------------------

// An engine on a simulator at kT0 whose call and agent state changes also go to the probe's
// callbacks, set by the test (the memory storage keeps the journal).
struct ProbedSimulation {
  struct Probe : EventListener {
    std::function<void(const CallStateChange&)> on_call = [](const CallStateChange&) {};
    std::function<void(const AgentStateChange&)> on_agent = [](const AgentStateChange&) {};
    void on_call_state(const CallStateChange& c) override { on_call(c); }
    void on_agent_state(const AgentStateChange& c) override { on_agent(c); }
  };
  static EngineOptions quiet() {
    EngineOptions eo;
    eo.log_level = LogLevel::kWarn;
    return eo;
  }
  explicit ProbedSimulation(const SimulationOptions& so)
      : sim(so, &clock, &probe), engine(quiet(), storage.get(), &sim, &clock, &sim) {
    sim.attach(&engine);
  }
  Probe probe;
  std::unique_ptr<Storage> storage = make_memory_storage();
  VirtualClock clock{kT0};
  Simulator sim;
  Engine engine;
};

TEST(OracleForecasts, PeekedAndForecastFatesComeTrue) {
  SimulationOptions so = typical_world(5);
  so.wrap_up = Distribution::exponential(10);  // drawn ahead by agent_free_at
  std::vector<OriginateForecast> peeked;
  std::map<CallId, CallForecast> forecasts;
  std::map<AgentId, TimePoint> free_at;
  long checked_agents = 0, wrong_agents = 0;
  ProbedSimulation run(so);
  // The lambdas below name run.sim: clang before 16 does not let a lambda use a structured binding.
  auto& [probe, storage, clock, sim, engine] = run;
  std::map<CallId, TimePoint> launched;
  std::vector<std::pair<CallId, bool>> live_seen;
  probe.on_call = [&](const CallStateChange& c) {
    if (c.from == CallState::kQueued && c.to == CallState::kQueued) {
      launched[c.call_id] = c.at;  // told before the simulator sees the originate
      return;
    }
    if (!forecasts.count(c.call_id)) {
      auto f = run.sim.forecast(c.call_id);
      ASSERT_TRUE(f.has_value()) << c.call_id;
      forecasts[c.call_id] = *f;
    }
    if (c.to == CallState::kHuman) {
      EXPECT_TRUE(forecasts.at(c.call_id).live_answer) << c.call_id;
      EXPECT_EQ(forecasts.at(c.call_id).resolves_at, c.at) << c.call_id;
    }
    if (is_terminal(c.to) && c.from < CallState::kHuman) {
      EXPECT_FALSE(forecasts.at(c.call_id).live_answer) << c.call_id;
      EXPECT_EQ(forecasts.at(c.call_id).resolves_at, c.at) << c.call_id;
    }
  };
  probe.on_agent = [&](const AgentStateChange& c) {
    if (c.to == AgentState::kOnCall) {
      auto f = run.sim.agent_free_at(c.agent);
      ASSERT_TRUE(f.has_value());
      free_at[c.agent] = *f;
    }
    if (c.to == AgentState::kAvailable && free_at.count(c.agent)) {
      ++checked_agents;
      wrong_agents += free_at[c.agent] != c.at;
      free_at.erase(c.agent);
    }
  };
  CampaignConfig c;
  c.id = "f";
  c.max_attempts = 1;
  c.retry_rules.clear();
  c.call_window = CallWindow::always();
  c.compliance = ComplianceProfile::none();
  engine.add_campaign(c);
  for (int i = 0; i < 400; ++i) {
    Contact ct;
    ct.numbers.push_back(PhoneNumber{"+1212" + std::to_string(5000000 + i)});
    engine.add_contact("f", ct);
  }
  for (int i = 0; i < 5; ++i)
    engine.set_agent_state(engine.add_agent("f", "a"), AgentState::kAvailable);
  // Peek the first 20 attempts: the first 20 originates must follow them.
  peeked = sim.peek_next_originates(20, c.ring_timeout, c.amd);
  EXPECT_EQ(sim.peek_next_originates(20, c.ring_timeout, c.amd).size(), 20u);
  engine.start_campaign("f");
  ASSERT_TRUE(engine.run_until_done(std::chrono::hours(24 * 3)));
  EXPECT_EQ(launched.size(), 400u);
  std::size_t i = 0;
  for (const auto& [id, at] : launched) {  // call ids grow in launch order
    if (i == peeked.size()) break;
    EXPECT_EQ(forecasts[id].live_answer, peeked[i].live_answer) << i;
    EXPECT_EQ(forecasts[id].resolves_at, at + seconds_to_duration(peeked[i].resolves_after_s)) << i;
    ++i;
  }
  EXPECT_GT(checked_agents, 50);
  EXPECT_EQ(wrong_agents, 0) << "agent_free_at foretells the end of every wrap-up";

  Simulator replay({.replay = ReplayWorld{}}, &clock);
  EXPECT_THROW(replay.peek_next_originates(1, c.ring_timeout, false), Error);
}

// With AMD suspended at the cap (EngineOptions::suspend_amd_at_cap) the engine takes an answer
// as a person at once, machine or not, and tells the telephony (Telephony::stop_amd): the
// simulator then drops the classification it had drawn and forecasts the call as put through, so
// every live answer's forecast, read when it comes, comes true, and no AMD result follows.
TEST(OracleForecasts, ForecastsFollowAmdSuspendedAtTheCap) {
  SimulationOptions so = typical_world(5);
  so.parametric.p_live = 0.15;
  so.parametric.p_machine = 0.45;
  so.parametric.p_busy = 0.1;
  so.parametric.p_invalid = 0;
  so.amd_false_positive = 0.03;
  ProbedSimulation run(so);
  auto& [probe, storage, clock, sim, engine] = run;
  long live = 0, wrong = 0, machines_put_through = 0;
  probe.on_call = [&](const CallStateChange& c) {
    if (c.to != CallState::kHuman) return;
    ++live;
    const auto f = run.sim.forecast(c.call_id);
    ASSERT_TRUE(f.has_value()) << c.call_id;
    wrong += !f->live_answer || f->resolves_at != c.at;
    machines_put_through +=
        f->talk_s == 20.0;  // a machine's greeting (people talk an exponential time)
  };
  CampaignConfig c;
  c.id = "f";
  c.dial_mode = DialMode::kProgressive;
  c.amd = true;
  c.max_attempts = 1;
  c.retry_rules.clear();
  c.call_window = CallWindow::always();
  c.compliance = ComplianceProfile::uk_ofcom();
  c.compliance.call_window = CallWindow::always();
  engine.add_campaign(c);
  for (int i = 0; i < 3000; ++i) {
    Contact ct;
    ct.numbers.push_back(PhoneNumber{"+4420794" + std::to_string(100000 + i)});
    engine.add_contact("f", ct);
  }
  for (int i = 0; i < 10; ++i) {
    engine.set_agent_state(engine.add_agent("f", "a"), AgentState::kAvailable);
  }
  engine.start_campaign("f");
  ASSERT_TRUE(engine.run_until_done(std::chrono::hours(24 * 3)));
  const CampaignStatistics stats = engine.statistics("f");
  long late_events = 0;
  storage->scan_journal("f", [&](const JournalEntry& e) {
    late_events += e.kind == "late_event";
    return true;
  });
  std::printf("%ld live answers (%ld machines put through), %ld with AMD suspended\n", live,
              machines_put_through, stats.amd_suspended);
  EXPECT_GT(stats.amd_suspended, 100);
  EXPECT_GT(machines_put_through, 50);
  EXPECT_EQ(wrong, 0) << "of " << live << " live answers";
  EXPECT_EQ(late_events, 0) << "an AMD result after the answer was put through";
}

CampaignSetup oracle_setup() {
  CampaignSetup setup;
  setup.sim = typical_world(2026);
  setup.sim.parametric.talk = Distribution::lognormal(120, 60);
  setup.sim.wrap_up = Distribution::exponential(8);
  setup.agents = 10;
  setup.contacts = 3000;
  return setup;
}

TEST(OraclePolicy, BeatsProgressiveAndPowerWithNearZeroAbandons) {
  CampaignSetup setup = oracle_setup();
  CampaignRun oracle = run_campaign(setup, [](Simulator& sim) { return make_oracle_policy(&sim); });
  CampaignRun progressive =
      run_campaign(setup, [](Simulator&) { return make_progressive_policy(); });
  CampaignRun power2 = run_campaign(setup, [](Simulator&) { return make_power_policy(2.0); });
  CampaignRun power3 = run_campaign(setup, [](Simulator&) { return make_power_policy(3.0); });
  for (const CampaignRun* r : {&oracle, &progressive, &power2, &power3}) {
    EXPECT_TRUE(r->finished) << r->policy_name;
    EXPECT_EQ(r->stats.attempts, setup.contacts) << r->policy_name;
    EXPECT_LE(r->stats.abandon_rate, 0.03) << r->policy_name;
    print_figures(*r);
  }
  EXPECT_GT(oracle.stats.occupancy, progressive.stats.occupancy + 0.05);
  EXPECT_GT(oracle.stats.occupancy, power2.stats.occupancy);
  EXPECT_GT(oracle.stats.occupancy, power3.stats.occupancy);
  EXPECT_LE(oracle.stats.abandon_rate, 0.002) << "near zero";
}

// Every policy on the oracle's world, under the US governor: the figures of the comparison.
TEST(OraclePolicy, IsTheUpperBoundOfEveryPolicy) {
  CampaignSetup setup = oracle_setup();
  std::vector<PolicyMaker> makers = {
      [](Simulator&) { return make_progressive_policy(); },
      [](Simulator&) { return make_power_policy(2.0); },
      [](Simulator&) {
        return make_threshold_policy({2.0, 0, 0});
      },
      [](Simulator&) { return make_expected_availability_policy(); },
      [](Simulator&) { return make_vicidial_policy({}); },
      [](Simulator&) {
        VicidialOptions o;
        o.method = VicidialDropMethod::kTapered;
        return make_vicidial_policy(o);
      },
      [](Simulator&) { return make_pi_policy(make_tunable_power_policy(1.5)); },
      [](Simulator&) {
        ExpectedAvailabilityOptions ea;
        ea.adapt = false;
        return make_pi_policy(make_expected_availability_policy(ea));
      },
      [](Simulator&) {
        OpenLoopOptions o;
        o.rate_per_s = 0.25;
        return make_open_loop_policy(o);
      },
  };
  CampaignRun oracle = run_campaign(setup, [](Simulator& sim) { return make_oracle_policy(&sim); });
  print_figures(oracle);
  for (const PolicyMaker& make : makers) {
    CampaignRun r = run_campaign(setup, make);
    print_figures(r);
    EXPECT_TRUE(r.finished) << r.policy_name;
    EXPECT_LE(r.stats.abandon_rate, 0.03) << r.policy_name;
    EXPECT_GT(oracle.stats.occupancy, r.stats.occupancy) << r.policy_name;
  }
}

TEST(OraclePolicy, SameSeedSameRun) {
  CampaignSetup setup = oracle_setup();
  setup.contacts = 600;
  auto run = [&] {
    auto r = run_campaign(setup, [](Simulator& sim) { return make_oracle_policy(&sim); });
    return std::make_tuple(r.stats.attempts, r.stats.live_answers, r.stats.abandons,
                           r.stats.talk_seconds, r.stats.occupancy);
  };
  EXPECT_EQ(run(), run());
  EXPECT_THROW(make_oracle_policy(nullptr), Error);
}

// ---- engine hook ----------------------------------------------------------------------------

TEST(EnginePolicyHook, SetPacingPolicyValidatesItsArguments) {
  auto storage = make_memory_storage();
  VirtualClock clock(kT0);
  Simulator sim({}, &clock);
  Engine engine({}, storage.get(), &sim, &clock, &sim);
  CampaignConfig c;
  c.id = "h";
  engine.add_campaign(c);
  EXPECT_THROW(engine.set_pacing_policy("nope", make_progressive_policy()), Error);
  EXPECT_THROW(engine.set_pacing_policy("h", nullptr), Error);
  EXPECT_NO_THROW(engine.set_pacing_policy("h", make_threshold_policy({})));
}

}  // namespace
}  // namespace omnivox
