// Compliance profiles and the abandon-rate governor: no pacing policy can push the abandon rate
// over the profile's cap.
#include "omnivox/compliance.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "omnivox/audit.h"
#include "omnivox/engine.h"
#include "omnivox/pacing.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

// `count` contacts of one number each: `prefix` followed by first, first + 1, ...
void add_numbered_contacts(Engine& engine, const std::string& campaign, const std::string& prefix,
                           int first, int count) {
  for (int i = 0; i < count; ++i) {
    Contact ct;
    ct.numbers.push_back(PhoneNumber{prefix + std::to_string(first + i)});
    engine.add_contact(campaign, ct);
  }
}

CampaignStatistics run_power(const ComplianceProfile& profile, double lines, std::uint64_t seed) {
  SimulationOptions so;
  so.seed = seed;
  so.parametric.p_live = 0.5;
  so.parametric.p_machine = 0;
  so.parametric.p_busy = 0.1;
  so.parametric.p_invalid = 0;
  so.parametric.answer_delay = Distribution::exponential(8);
  so.parametric.talk = Distribution::exponential(90);
  so.wrap_up = Distribution::fixed(5);
  Simulation simulation(so, parse_utc("2026-05-04T13:00:00Z"));
  Engine& engine = simulation.engine();
  CampaignConfig c;
  c.id = "g";
  c.dial_mode = DialMode::kPower;
  c.power_lines_per_agent = lines;
  c.max_attempts = 1;
  c.compliance = profile;
  c.call_window = CallWindow::always();
  engine.add_campaign(c);
  add_numbered_contacts(engine, "g", "+1212", 5550000, 3000);
  simulation.add_agents("g", 20);
  engine.start_campaign("g");
  engine.run_until_done(std::chrono::hours(24 * 7));
  return engine.statistics("g");
}

TEST(AbandonGovernor, PowerDialingWithoutACapAbandonsOften) {
  auto s = run_power(ComplianceProfile::none(), 3.0, 1);
  EXPECT_GT(s.abandon_rate, 0.05) << "3 lines per agent at 50 % live answers overloads agents";
}

TEST(AbandonGovernor, UsProfileHoldsPowerDialingUnderThreePercent) {
  for (std::uint64_t seed : {1, 2, 3}) {
    auto profile = ComplianceProfile::us_ftc_fcc();
    profile.call_window = CallWindow::always();  // the test runs around the clock
    auto s = run_power(profile, 3.0, seed);
    EXPECT_LE(s.abandon_rate, 0.03) << "seed " << seed;
    EXPECT_GT(s.live_answers, 1000);
  }
}

// 5 agents free, 2 calls in flight, half of the attempts live answers.
AbandonGovernor::Exposure five_free_two_in_flight() {
  AbandonGovernor::Exposure s;
  s.now = parse_utc("2026-05-04T13:00:00Z");
  s.agents_idle = 5;
  s.calls_pending = 2;
  s.live_answer_probability = 0.5;
  return s;
}

TEST(AbandonGovernor, ClampAllowsProgressiveAndBudgetsTheRest) {
  AbandonGovernor g(ComplianceProfile::us_ftc_fcc());
  AbandonGovernor::Exposure s = five_free_two_in_flight();
  // No live answers yet: only the progressive share (idle - pending) is allowed.
  EXPECT_EQ(g.clamp(20, s), 3);
  // 1,000 live answers and no abandons: room for overdial.
  for (int i = 0; i < 1000; ++i) g.record_live_answer(s.now - std::chrono::minutes(1));
  int allowed = g.clamp(20, s);
  EXPECT_EQ(allowed, 20);
  // At the cap already: back to progressive.
  for (int i = 0; i < 30; ++i) g.record_abandon(s.now - std::chrono::minutes(1));
  EXPECT_EQ(g.clamp(20, s), 3);
  // Outside the 30-day window the history no longer counts.
  AbandonGovernor::Exposure later = s;
  later.now = s.now + std::chrono::hours(24 * 31);
  EXPECT_EQ(g.live_answers(later.now), 0);
  EXPECT_EQ(g.clamp(20, later), 3);
}

// Engines that share a campaign's counts each take their share of the budget of abandons, so the
// abandons all their calls in flight could bring stay within it; in strict mode every call in
// flight may be a live answer and the free agents take the first of them.
TEST(AbandonGovernor, EnginesOnOneCampaignShareTheBudget) {
  auto profile = ComplianceProfile::us_ftc_fcc();
  profile.abandon_guard_risk = 0;
  AbandonGovernor g(profile);
  AbandonGovernor::Exposure s = five_free_two_in_flight();
  s.amd = false;  // no AMD false positives to reserve for
  for (int i = 0; i < 1000; ++i) g.record_live_answer(s.now - std::chrono::minutes(1));
  const double budget = 0.03 * 1000 / 0.97;  // abandons allowed before the rate passes 3 %
  EXPECT_EQ(g.clamp(100, s), 33);            // alone: 2 + 33 in flight, 5 agents free, 30 left
  for (int engines : {2, 3, 7, 40}) {
    s.engines = engines;
    const int n = g.clamp(100, s);
    EXPECT_LE(engines * std::max(s.calls_pending + n - s.agents_idle, 0), budget) << engines;
    EXPECT_GE(n, s.agents_idle - s.calls_pending) << "progressive is always allowed";
  }
  s.engines = 3;
  EXPECT_EQ(g.clamp(100, s), 13);
  // The default mode takes a share too: never more than alone.
  AbandonGovernor d(ComplianceProfile::us_ftc_fcc());
  for (int i = 0; i < 1000; ++i) d.record_live_answer(s.now - std::chrono::minutes(1));
  s.engines = 1;
  const int alone = d.clamp(100, s);
  s.engines = 3;
  EXPECT_LT(d.clamp(100, s), alone);
}

// A config change (the campaign added again) must not reset the rolling abandon rate.
TEST(AbandonGovernor, NewProfileKeepsTheRecordedCalls) {
  TimePoint t = parse_utc("2026-05-04T13:00:00Z");
  const auto hour = std::chrono::hours(1);
  AbandonGovernor g(ComplianceProfile::uk_ofcom());  // 24 h window
  for (int i = 0; i < 50; ++i) g.record_live_answer(t);
  g.record_abandon(t);
  g.set_profile(ComplianceProfile::uk_ofcom(), t + hour);
  EXPECT_EQ(g.window(t + hour).live_answers, 50);
  EXPECT_EQ(g.window(t + hour).abandons, 1);

  ComplianceProfile whole_campaign = ComplianceProfile::uk_ofcom();
  whole_campaign.abandon_window = Duration(0);  // counts, no times
  g.set_profile(whole_campaign, t + hour);
  EXPECT_EQ(g.window(t + 48 * hour).live_answers, 50) << "no window: nothing leaves";
  EXPECT_EQ(g.window(t + 48 * hour).abandons, 1);

  // Back to a 24 h window: the counts, without their times, count as of the change.
  g.set_profile(ComplianceProfile::uk_ofcom(), t + 48 * hour);
  g.record_abandon(t + 49 * hour);
  EXPECT_EQ(g.window(t + 49 * hour).live_answers, 50);
  EXPECT_EQ(g.window(t + 49 * hour).abandons, 2);
  EXPECT_EQ(g.window(t + 73 * hour).live_answers, 0);
  EXPECT_EQ(g.window(t + 73 * hour).abandons, 0);
}

// A burst of live answers, a lull, and overdial late in the window: the burst leaves the window
// a day after it came, the abandons of the calls launched late stay, and the first live answers
// after the lull are audited with them. Strict mode (the worst case: every call in flight a live
// answer no agent takes) with no agent free, so every call allowed can be an abandon.
TEST(AbandonGovernor, LaterWindowsStayWithinTheCapAfterALull) {
  ComplianceProfile profile = ComplianceProfile::uk_ofcom();  // 3 %, 24 h window
  profile.abandon_guard_risk = 0;
  AbandonGovernor g(profile);
  const TimePoint start = parse_utc("2026-05-04T08:00:00Z");
  const auto second = std::chrono::seconds(1);
  for (int i = 0; i < 1000; ++i)
    g.record_live_answer(start + i * std::chrono::milliseconds(500));  // 8 min 20 s
  AbandonGovernor::Exposure late;
  late.now = start + std::chrono::hours(23) + std::chrono::minutes(30);
  late.amd = false;
  // The window ending now holds 1,000 live answers and loses none within resolve_within: room
  // for 30 abandons by it alone. But the burst leaves within the hour and the abandons stay.
  const int allowed = g.clamp(100, late);
  EXPECT_EQ(allowed, 0);
  for (int i = 0; i < allowed; ++i) {
    g.record_live_answer(late.now + 10 * second);
    g.record_abandon(late.now + 12 * second);
  }
  // The burst is gone; live answers come back one every 10 s after the lull, each audited.
  TimePoint t = start + std::chrono::hours(24) + std::chrono::minutes(10);
  double highest = 0;
  for (int i = 0; i < 100; ++i, t += 10 * second) {
    g.record_live_answer(t);
    const AbandonGovernor::Window w = g.window(t);
    if (w.live_answers >= 1 / profile.abandon_cap) highest = std::max(highest, w.rate);
  }
  EXPECT_LE(highest, profile.abandon_cap + 1e-12);

  // AMD machine results (5 % each under Ofcom) outlive the burst alike: AMD is suspended late
  // in the window, where the window ending now alone would still allow 600 of them.
  AbandonGovernor amd(ComplianceProfile::uk_ofcom());
  for (int i = 0; i < 1000; ++i) amd.record_live_answer(start + i * std::chrono::milliseconds(500));
  AbandonGovernor::Exposure answered;
  answered.now = start + std::chrono::hours(10);  // the burst leaves beyond the look-ahead
  EXPECT_TRUE(amd.amd_allowed(answered, 0));
  answered.now = late.now;
  EXPECT_FALSE(amd.amd_allowed(answered, 0));
}

// The budget is the least of the windows ending within the look-ahead (half of a 24-hour
// window), each counting the live answers and abandons it will still hold.
TEST(AbandonGovernor, LaterWindowsBudgetTheLeastOfTheWindowsEndingWithinTheLookAhead) {
  ComplianceProfile profile = ComplianceProfile::uk_ofcom();
  profile.abandon_guard_risk = 0;
  AbandonGovernor g(profile);
  const TimePoint start = parse_utc("2026-05-04T08:00:00Z");
  const auto second = std::chrono::seconds(1);
  // 600 live answers in the first hour, then 100 an hour for 22 hours; no abandon.
  for (int i = 0; i < 600; ++i) g.record_live_answer(start + i * 6 * second);
  for (int i = 0; i < 2200; ++i)
    g.record_live_answer(start + std::chrono::hours(1) + i * 36 * second);
  AbandonGovernor::Exposure s;
  s.amd = false;
  s.now = start + std::chrono::hours(23) + std::chrono::minutes(30);
  // The window ending now: 2,800 live answers, 0.03 x 2,800 / 0.97 = 86.6 abandons. The window
  // ending 12 hours later holds the live answers after 11:30 (the 1,149 from 11:31:00 on): 35.5.
  EXPECT_EQ(g.clamp(200, s), 35);
  // Without a rolling window (the whole campaign) nothing leaves: the whole budget is there.
  ComplianceProfile whole = profile;
  whole.abandon_window = Duration(0);
  AbandonGovernor w(whole);
  for (int i = 0; i < 2800; ++i) w.record_live_answer(start);
  EXPECT_EQ(w.clamp(200, s), 86);
}

TEST(AbandonGovernor, UkProfileCountsEstimatedAmdFalsePositives) {
  AbandonGovernor g(ComplianceProfile::uk_ofcom());
  TimePoint t = parse_utc("2026-05-04T13:00:00Z");
  for (int i = 0; i < 100; ++i) g.record_live_answer(t);
  for (int i = 0; i < 40; ++i) g.record_amd_machine(t);
  g.record_abandon(t);
  EXPECT_DOUBLE_EQ(g.counted_abandons(t), 1 + 0.05 * 40);
  EXPECT_DOUBLE_EQ(g.rate(t), 3.0 / 100);
  const AbandonGovernor::Window w = g.window(t);
  EXPECT_EQ(w.live_answers, 100);
  EXPECT_EQ(w.abandons, 1);
  EXPECT_DOUBLE_EQ(w.rate, 3.0 / 100);
  EXPECT_EQ(g.live_answers(t + std::chrono::hours(25)), 0) << "UK window is 24 h";
  EXPECT_EQ(g.window(t + std::chrono::hours(25)).rate, 0.0);
}

// A campaign with AMD audited from its records: 100 live answers (2 of them abandoned), then
// `machines` AMD machine results, 30 s apart from 14:00 London time, each to its own number.
ComplianceAudit audit_amd_campaign(const ComplianceProfile& profile, int machines) {
  auto storage = make_memory_storage();
  TimeZoneMap zones = TimeZoneMap::load(TimeZoneMap::default_path());
  CampaignConfig c;
  c.id = "amd";
  c.amd = true;
  c.call_window = CallWindow::always();
  c.compliance = profile;
  storage->put_campaign(c);
  const TimePoint start = parse_utc("2026-05-04T13:00:00Z");
  for (int i = 0; i < 100 + machines; ++i) {
    Attempt a;
    a.call_id = storage->allocate_call_id();
    a.campaign_id = c.id;
    a.number = "+4420794" + std::to_string(60000 + i);
    a.attempt_number = 1;
    a.created_at = start + std::chrono::seconds(30 * i);
    a.answered_at = a.created_at + std::chrono::seconds(8);
    a.ended_at = a.answered_at + std::chrono::seconds(20);
    const bool machine = i >= 100;
    a.amd = machine ? AmdResult::kMachine : AmdResult::kHuman;
    a.state = machine ? CallState::kMachine : CallState::kCompleted;
    a.disposition = machine              ? Disposition::kMachine
                    : i == 60 || i == 80 ? Disposition::kAbandoned
                                         : Disposition::kSale;
    storage->put_attempt(a);
  }
  return audit_campaign(*storage, c, zones);
}

TEST(ComplianceAudit, ChecksTheCapOnAbandonsPlusEstimatedAmdFalsePositives) {
  const ComplianceProfile uk = ComplianceProfile::uk_ofcom();  // 3 %, 5 % of machines counted
  EXPECT_DOUBLE_EQ(uk.counted_abandons(2, 40), 4.0) << "the governor's definition";
  // Abandons alone 2 %, under the cap; counted (2 + 0.05 x 40) / 100 = 4 %, over it from the
  // 21st machine result on.
  const ComplianceAudit over = audit_amd_campaign(uk, 40);
  EXPECT_EQ(over.cap_breaches, 20);
  EXPECT_FALSE(over.clean());
  EXPECT_DOUBLE_EQ(over.max_window_rate, 0.04);
  EXPECT_DOUBLE_EQ(over.max_window_abandon_rate, 2.0 / 81) << "at the second abandon";
  ASSERT_FALSE(over.examples.empty());
  EXPECT_NE(over.examples.front().find("abandons alone 0.02"), std::string::npos)
      << over.examples.front();
  // (2 + 0.05 x 20) / 100 = 3 %: at the cap, not over it.
  const ComplianceAudit at_cap = audit_amd_campaign(uk, 20);
  EXPECT_TRUE(at_cap.clean()) << (at_cap.examples.empty() ? "" : at_cap.examples.front());
  EXPECT_DOUBLE_EQ(at_cap.max_window_rate, 0.03);
  // A profile that does not count them sees abandons alone.
  ComplianceProfile uncounted = uk;
  uncounted.count_amd_false_positives = false;
  const ComplianceAudit alone = audit_amd_campaign(uncounted, 40);
  EXPECT_TRUE(alone.clean());
  EXPECT_DOUBLE_EQ(alone.max_window_rate, alone.max_window_abandon_rate);
}

TEST(AbandonGovernor, AmdIsAllowedWhileTheBudgetTakesOneMoreMachinePerAnswerClassifying) {
  AbandonGovernor g(ComplianceProfile::uk_ofcom());  // cap 3 %, 0.05 counted per machine
  const TimePoint t = parse_utc("2026-05-04T13:00:00Z");
  AbandonGovernor::Exposure at;
  at.now = t;
  EXPECT_FALSE(g.amd_allowed(at, 0)) << "no live answer yet: one machine is 0.05 / 0 over 3 %";
  for (int i = 0; i < 100; ++i) g.record_live_answer(t);
  for (int i = 0; i < 40; ++i) g.record_amd_machine(t);
  // Counted 0.05 x 40 = 2 of 3 allowed: 20 more machines fit, the last at exactly 3 %.
  EXPECT_TRUE(g.amd_allowed(at, 0));
  EXPECT_TRUE(g.amd_allowed(at, 19)) << "this answer and 19 being classified: 60 machines, 3 %";
  EXPECT_FALSE(g.amd_allowed(at, 20));
  g.record_abandon(t);
  EXPECT_FALSE(g.amd_allowed(at, 0)) << "1 + 0.05 x 41 > 3";
  // Two engines share the campaign's budget: each may spend half of it.
  AbandonGovernor two(ComplianceProfile::uk_ofcom());
  for (int i = 0; i < 100; ++i) two.record_live_answer(t);
  at.engines = 2;
  EXPECT_TRUE(two.amd_allowed(at, 29));
  EXPECT_FALSE(two.amd_allowed(at, 30));
  // The window loses its live answers a day later: within resolve_within of that, they no
  // longer count.
  at.engines = 1;
  at.now = t + std::chrono::hours(24) - std::chrono::minutes(1);
  EXPECT_FALSE(g.amd_allowed(at, 0));
  // A profile that does not count AMD false positives never suspends it.
  AbandonGovernor us_uncounted([] {
    ComplianceProfile p = ComplianceProfile::us_ftc_fcc();
    p.count_amd_false_positives = false;
    return p;
  }());
  EXPECT_TRUE(us_uncounted.amd_allowed(at, 1000));
}

// Two engines on one campaign, each with half of the budget: 100 live answers allow 60 machine
// results, 30 each. Machine results this engine recorded and the other has not read yet are in
// the other's half still, so they come out of this engine's half alone.
TEST(AbandonGovernor, AnEnginesMachinesTheOthersHaveNotReadComeOutOfItsShareAlone) {
  AbandonGovernor g(ComplianceProfile::uk_ofcom());  // cap 3 %, 0.05 counted per machine
  const TimePoint t = parse_utc("2026-05-04T13:00:00Z");
  for (int i = 0; i < 100; ++i) g.record_live_answer(t);
  for (int i = 0; i < 20; ++i) g.record_amd_machine(t);
  AbandonGovernor::Exposure at;
  at.now = t;
  at.engines = 2;
  at.unseen_machines = 20;
  EXPECT_TRUE(g.amd_allowed(at, 9)) << "20 unseen and 10 more: this engine's 30";
  EXPECT_FALSE(g.amd_allowed(at, 10))
      << "half of what the 20 leave would be 20 more: 40 with the other engine's 30, over 3 %";
  // Once the other engine has read them, both budgets hold them and each takes half the rest.
  at.unseen_machines = 0;
  EXPECT_TRUE(g.amd_allowed(at, 19));
  EXPECT_FALSE(g.amd_allowed(at, 20));
  // Unseen live answers do not enlarge the share; one engine has no one to hide them from.
  at.unseen_live_answers = 100;
  EXPECT_FALSE(g.amd_allowed(at, 20));
  at.engines = 1;
  at.unseen_live_answers = 0;
  at.unseen_machines = 20;
  EXPECT_TRUE(g.amd_allowed(at, 39));
  EXPECT_FALSE(g.amd_allowed(at, 40));
}

// A world where machines answer three times as often as people: with AMD under UK_OFCOM every
// machine result adds 0.05 abandons, 0.05 x 3 = 15 % of the live answers, five times the cap,
// whatever the pacing. Dialing only for free agents (PROGRESSIVE), the audit flags the campaign
// when AMD always classifies, and finds it within the cap when AMD is suspended at the cap.
struct AmdRun {
  ComplianceAudit audit;
  CampaignStatistics stats;
  long journaled_suspensions = 0;
};
AmdRun run_amd_heavy(bool suspend) {
  SimulationOptions so;
  so.seed = 5;
  so.parametric.p_live = 0.15;
  so.parametric.p_machine = 0.45;
  so.parametric.p_busy = 0.1;
  so.parametric.p_invalid = 0;
  so.parametric.talk = Distribution::exponential(60);
  so.wrap_up = Distribution::fixed(5);
  so.amd_false_positive = 0.03;
  EngineOptions eo = Simulation::quiet_engine_options();
  eo.suspend_amd_at_cap = suspend;
  MemoryStorageOptions with_journal;
  with_journal.keep_journal = true;
  Simulation simulation(so, parse_utc("2026-05-04T08:00:00Z"), eo, with_journal);
  Engine& engine = simulation.engine();
  CampaignConfig c;
  c.id = "amd";
  c.dial_mode = DialMode::kProgressive;
  c.amd = true;
  c.max_attempts = 1;
  c.compliance = ComplianceProfile::uk_ofcom();
  c.call_window = CallWindow::always();
  engine.add_campaign(c);
  add_numbered_contacts(engine, "amd", "+4420794", 60000, 2000);
  simulation.add_agents("amd", 10);
  engine.start_campaign("amd");
  engine.run_until_done(std::chrono::hours(24));
  AmdRun run;
  run.audit = audit_campaign(simulation.storage(), c, engine.time_zones());
  run.stats = engine.statistics("amd");
  simulation.storage().scan_journal("amd", [&](const JournalEntry& e) {
    run.journaled_suspensions += e.kind == "amd_suspended";
    return true;
  });
  return run;
}

TEST(AbandonGovernor, AmdSuspendedAtTheCapKeepsTheCountedRateWithinIt) {
  const AmdRun always = run_amd_heavy(false);
  EXPECT_FALSE(always.audit.clean());
  EXPECT_GT(always.audit.max_window_rate, 0.1) << "machine results alone, 0.05 each";
  EXPECT_EQ(always.stats.amd_suspended, 0);

  const AmdRun suspended = run_amd_heavy(true);
  for (const AmdRun* r : {&always, &suspended}) {
    std::printf(
        "AMD %s: %ld attempts, %ld live answers, %ld machines, %ld with AMD suspended, "
        "%ld abandons; counted rolling rate up to %.2f %%\n",
        r == &always ? "always" : "suspended at the cap", r->stats.attempts, r->stats.live_answers,
        r->stats.machines, r->stats.amd_suspended, r->stats.abandons,
        100 * r->audit.max_window_rate);
  }
  EXPECT_TRUE(suspended.audit.clean())
      << suspended.audit.cap_breaches << " breaches; e.g. "
      << (suspended.audit.examples.empty() ? "" : suspended.audit.examples.front());
  EXPECT_LE(suspended.audit.max_window_rate, 0.03 + 1e-12);
  EXPECT_GT(suspended.audit.max_window_rate, 0.02) << "AMD runs while the budget allows";
  EXPECT_GT(suspended.stats.machines, 100) << "AMD resumes whenever the window allows";
  EXPECT_GT(suspended.stats.amd_suspended, 500);
  EXPECT_EQ(suspended.journaled_suspensions, suspended.stats.amd_suspended);
  EXPECT_EQ(suspended.stats.attempts, always.stats.attempts) << "every contact still dialled once";
}

TEST(ComplianceProfiles, NamedProfilesCarryTheirRules) {
  auto us = *ComplianceProfile::by_name("US_FTC_FCC");
  EXPECT_DOUBLE_EQ(us.abandon_cap, 0.03);
  EXPECT_EQ(us.min_ring, std::chrono::seconds(15));
  EXPECT_EQ(us.call_window.by_weekday[1].start_minute, 8 * 60);
  auto au = *ComplianceProfile::by_name("AU_ACMA");
  EXPECT_TRUE(au.call_window.by_weekday[0].closed()) << "no Sunday calls";
  EXPECT_EQ(au.call_window.by_weekday[6].end_minute, 17 * 60);
  auto ca = *ComplianceProfile::by_name("CA_CRTC");
  EXPECT_EQ(ca.call_window.by_weekday[3].end_minute, 21 * 60 + 30);
  EXPECT_FALSE(ComplianceProfile::by_name("XX").has_value());
}

TEST(ComplianceProfiles, EngineRejectsARingTimeoutUnderTheMinimum) {
  auto storage = make_memory_storage();
  VirtualClock clock(parse_utc("2026-05-04T13:00:00Z"));
  Simulator sim({}, &clock);
  Engine engine({}, storage.get(), &sim, &clock, &sim);
  CampaignConfig c;
  c.ring_timeout = std::chrono::seconds(10);
  try {
    engine.add_campaign(c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(std::string(e.what()).find("minimum ring time"), std::string::npos) << e.what();
  }
}

TEST(ComplianceProfiles, ProfileWindowIsIntersectedWithTheCampaigns) {
  auto storage = make_memory_storage();
  TimeZoneMap zones = TimeZoneMap::load(TimeZoneMap::default_path());
  CampaignConfig c;
  c.id = "w";
  c.call_window = CallWindow::always();
  c.compliance = ComplianceProfile::us_ftc_fcc();
  storage->put_campaign(c);
  Contact ct;
  ct.campaign_id = "w";
  ct.numbers.push_back(PhoneNumber{"+12125550100", zones.zone_set_for("+12125550100")});
  ContactId id = storage->add_contact(ct);
  QueueGenerator gen(c, storage.get(), &zones);
  // 07:30 in New York: the campaign allows it, the US rule does not.
  auto report = gen.explain(*storage->get_contact(id), parse_utc("2026-05-04T11:30:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kOutsideCallWindow);
  EXPECT_EQ(report.eligible_at, parse_utc("2026-05-04T12:00:00Z"));
}

}  // namespace
}  // namespace omnivox
