// Engine::agent_statistics on seeded simulations: the times add up, the calls handled are the
// call records', the intervals add up to the totals.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "omnivox/engine.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

const TimePoint kStart = parse_utc("2026-05-04T12:05:00Z");  // 08:05 in New York

struct Rig {
  std::unique_ptr<Storage> storage = make_memory_storage();
  VirtualClock clock{kStart};
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<Engine> engine;

  explicit Rig(std::uint64_t seed) {
    SimulationOptions so;
    so.seed = seed;
    so.parametric.p_live = 0.4;
    so.parametric.p_machine = 0.1;
    so.parametric.p_busy = 0.1;
    so.parametric.talk = Distribution::exponential(80);
    so.wrap_up = Distribution::fixed(7);
    sim = std::make_unique<Simulator>(so, &clock, nullptr);
    EngineOptions eo;
    eo.log_level = LogLevel::kWarn;
    engine = std::make_unique<Engine>(eo, storage.get(), sim.get(), &clock, sim.get());
    sim->attach(engine.get());
    CampaignConfig c;
    c.id = "agents";
    c.max_attempts = 3;
    c.call_window = CallWindow::every_day(8 * 60, 21 * 60);
    engine->add_campaign(c);
    for (int i = 0; i < 600; ++i) {
      Contact contact;
      contact.external_id = "c" + std::to_string(i);
      contact.numbers.push_back(PhoneNumber{"+1212555" + std::to_string(1000000 + i).substr(3)});
      engine->add_contact("agents", std::move(contact));
    }
  }
};

double sum_of_states(const AgentActivity& a) {
  return a.talk_seconds + a.wrap_seconds + a.idle_seconds + a.paused_seconds;
}

TEST(AgentStatistics, TimesAddUpAndCallsHandledMatchTheCallRecords) {
  Rig r(7);
  std::vector<AgentId> agents;
  for (int i = 0; i < 6; ++i)
    agents.push_back(r.engine->add_agent("agents", "a" + std::to_string(i)));
  for (AgentId a : agents) r.engine->set_agent_state(a, AgentState::kAvailable);
  r.engine->start_campaign("agents");
  r.engine->run_for(std::chrono::minutes(40));
  // One agent takes a break (applied after a call in hand) and one leaves for good.
  r.engine->set_agent_state(agents[1], AgentState::kPaused);
  r.engine->set_agent_state(agents[5], AgentState::kLoggedOut);
  r.engine->run_for(std::chrono::minutes(20));
  r.engine->set_agent_state(agents[1], AgentState::kAvailable);
  r.engine->run_for(std::chrono::minutes(50));
  r.engine->stop_campaign("agents");
  ASSERT_TRUE(r.engine->run_until_done(std::chrono::hours(1)));  // calls in hand finish

  AgentStatistics s = r.engine->agent_statistics("agents");
  const double elapsed = to_seconds(s.at - kStart);
  EXPECT_EQ(s.campaign_id, "agents");
  EXPECT_EQ(s.interval, kAgentStatisticsInterval);
  ASSERT_EQ(s.agents.size(), agents.size());

  // The call records: bridged attempts by agent and disposition.
  std::map<AgentId, std::map<Disposition, long>> recorded;
  std::map<AgentId, long> handled;
  r.storage->scan_attempts("agents", [&](const Attempt& a) {
    if (a.bridged_at != TimePoint{} && a.agent != kNoAgent) {
      ++handled[a.agent];
      ++recorded[a.agent][a.disposition];
    }
    return true;
  });

  long all_handled = 0;
  for (const AgentSummary& ag : s.agents) {
    SCOPED_TRACE(ag.name);
    const AgentActivity& t = ag.totals;
    EXPECT_NEAR(sum_of_states(t), t.logged_in_seconds, 1e-6);
    EXPECT_GT(t.calls_handled, 5);
    EXPECT_EQ(t.calls_handled, handled[ag.agent]);
    for (int d = 0; d < kDispositionCount; ++d) {
      EXPECT_EQ(t.dispositions[d], recorded[ag.agent][static_cast<Disposition>(d)]) << d;
    }
    EXPECT_GT(t.occupancy, 0.0);
    EXPECT_LE(t.occupancy, 1.0);
    EXPECT_NEAR(t.occupancy,
                (t.talk_seconds + t.wrap_seconds) / (t.logged_in_seconds - t.paused_seconds),
                1e-12);
    EXPECT_GT(t.longest_idle_seconds, 0.0);
    EXPECT_LE(t.longest_idle_seconds, t.idle_seconds + 1e-9);
    EXPECT_EQ(t.start, kStart);
    // Wrap-up is a fixed 7 s per handled call.
    EXPECT_NEAR(t.wrap_seconds, 7.0 * t.calls_handled, 1e-6);
    all_handled += t.calls_handled;

    // The intervals add up to the totals.
    ASSERT_EQ(ag.intervals.size(), s.intervals.size());
    AgentActivity sum;
    for (std::size_t k = 0; k < ag.intervals.size(); ++k) {
      const AgentActivity& in = ag.intervals[k];
      EXPECT_EQ(in.start, s.intervals[k].start);
      EXPECT_NEAR(sum_of_states(in), in.logged_in_seconds, 1e-6);
      EXPECT_LE(in.logged_in_seconds, to_seconds(in.end - in.start) + 1e-9);
      EXPECT_LE(in.longest_idle_seconds, t.longest_idle_seconds + 1e-9);
      sum.logged_in_seconds += in.logged_in_seconds;
      sum.paused_seconds += in.paused_seconds;
      sum.calls_handled += in.calls_handled;
    }
    EXPECT_NEAR(sum.logged_in_seconds, t.logged_in_seconds, 1e-6);
    EXPECT_NEAR(sum.paused_seconds, t.paused_seconds, 1e-6);
    EXPECT_EQ(sum.calls_handled, t.calls_handled);
  }
  // Who stayed logged in all along was logged in the whole run.
  for (int i : {0, 2, 3, 4}) {
    EXPECT_NEAR(s.agents[i].totals.logged_in_seconds, elapsed, 1e-6);
    EXPECT_EQ(s.agents[i].totals.paused_seconds, 0.0);
    EXPECT_EQ(s.agents[i].state, AgentState::kAvailable);
  }
  EXPECT_GT(s.agents[1].totals.paused_seconds, 15 * 60.0);
  EXPECT_LE(s.agents[1].totals.paused_seconds, 20 * 60.0 + 1e-6);
  EXPECT_NEAR(s.agents[1].totals.logged_in_seconds, elapsed, 1e-6);
  EXPECT_EQ(s.agents[5].state, AgentState::kLoggedOut);
  EXPECT_LT(s.agents[5].totals.logged_in_seconds, 41 * 60.0);
  EXPECT_GE(s.agents[5].totals.logged_in_seconds, 40 * 60.0);

  // The campaign: sums, and the calls handled are the engine's connects.
  EXPECT_EQ(s.totals.calls_handled, all_handled);
  EXPECT_EQ(s.totals.calls_handled, r.engine->statistics("agents").connects);
  double logged_in = 0;
  for (const AgentSummary& ag : s.agents) logged_in += ag.totals.logged_in_seconds;
  EXPECT_NEAR(s.totals.logged_in_seconds, logged_in, 1e-6);
  CampaignStatistics cs = r.engine->statistics("agents");
  EXPECT_NEAR(s.totals.logged_in_seconds, cs.logged_in_seconds, 1e-3);
  EXPECT_NEAR(s.totals.occupancy, cs.occupancy, 1e-9);
  EXPECT_NEAR(s.totals.talk_seconds, cs.talk_seconds, 1e-3);

  // Intervals: on the quarter hour, consecutive, covering the run.
  ASSERT_FALSE(s.intervals.empty());
  EXPECT_EQ(s.intervals.front().start, parse_utc("2026-05-04T12:00:00Z"));
  for (std::size_t k = 1; k < s.intervals.size(); ++k) {
    EXPECT_EQ(s.intervals[k].start - s.intervals[k - 1].start, kAgentStatisticsInterval);
  }
  EXPECT_EQ(s.intervals.back().end, s.at);
  double interval_logged_in = 0;
  for (const AgentActivity& in : s.intervals) interval_logged_in += in.logged_in_seconds;
  EXPECT_NEAR(interval_logged_in, s.totals.logged_in_seconds, 1e-6);
  // The first interval holds 10 minutes (from 12:05) of 6 agents.
  EXPECT_NEAR(s.intervals.front().logged_in_seconds, 6 * 600.0, 1e-6);
}

TEST(AgentStatistics, SalesPerHourAndAnAgentNeverLoggedIn) {
  Rig r(11);
  AgentId a = r.engine->add_agent("agents", "worker");
  AgentId b = r.engine->add_agent("agents", "absent");
  r.engine->set_agent_state(a, AgentState::kAvailable);
  r.engine->start_campaign("agents");
  r.engine->run_for(std::chrono::hours(1));
  AgentStatistics s = r.engine->agent_statistics("agents");
  const AgentActivity& t = s.agents[a].totals;
  long sales = t.dispositions[static_cast<int>(Disposition::kSale)];
  EXPECT_GT(t.calls_handled, 10);
  EXPECT_NEAR(t.per_logged_in_hour(sales), sales / (t.logged_in_seconds / 3600.0), 1e-9);
  EXPECT_NEAR(t.logged_in_seconds, 3600.0, 1e-6);
  // The agent under way is counted up to the snapshot.
  EXPECT_GE(s.agents[a].seconds_in_state, 0.0);
  EXPECT_LE(s.agents[a].seconds_in_state, 3600.0);

  const AgentSummary& absent = s.agents[b];
  EXPECT_EQ(absent.name, "absent");
  EXPECT_EQ(absent.state, AgentState::kLoggedOut);
  EXPECT_EQ(absent.totals.logged_in_seconds, 0.0);
  EXPECT_EQ(absent.totals.occupancy, 0.0);
  EXPECT_EQ(absent.totals.start, TimePoint{});
  EXPECT_NEAR(absent.seconds_in_state, 3600.0, 1e-6);
  ASSERT_EQ(absent.intervals.size(), s.intervals.size());
  for (const AgentActivity& in : absent.intervals) EXPECT_EQ(in.logged_in_seconds, 0.0);

  EXPECT_THROW(r.engine->agent_statistics("nope"), Error);
}

TEST(AgentStatistics, NoAgentLoggedInGivesNoIntervals) {
  Rig r(3);
  r.engine->add_agent("agents", "idle");
  r.engine->run_for(std::chrono::minutes(30));
  AgentStatistics s = r.engine->agent_statistics("agents");
  EXPECT_TRUE(s.intervals.empty());
  ASSERT_EQ(s.agents.size(), 1u);
  EXPECT_TRUE(s.agents[0].intervals.empty());
  EXPECT_EQ(s.totals.logged_in_seconds, 0.0);
}

// A long run keeps at most a week of intervals; the totals keep counting.
TEST(AgentStatistics, SeriesKeepAWeek) {
  Rig r(5);
  AgentId a = r.engine->add_agent("agents", "long");
  r.engine->set_agent_state(a, AgentState::kPaused);
  r.engine->run_for(std::chrono::hours(24 * 9));
  r.engine->set_agent_state(a, AgentState::kAvailable);
  r.engine->run_for(std::chrono::minutes(1));
  AgentStatistics s = r.engine->agent_statistics("agents");
  EXPECT_EQ(s.intervals.size(), static_cast<std::size_t>(kAgentStatisticsIntervalsKept));
  EXPECT_NEAR(s.agents[0].totals.logged_in_seconds, 9 * 86400.0 + 60.0, 1e-6);
  EXPECT_NEAR(s.agents[0].totals.paused_seconds, 9 * 86400.0, 1e-6);
  EXPECT_NEAR(s.intervals.back().idle_seconds, 60.0, 1e-6);
}

}  // namespace
}  // namespace omnivox

namespace omnivox {
namespace {

// The rate the cap applies to is the governor's window: with a window longer than the run and no
// AMD false positives counted, it is the rate to date; with a one-hour window it forgets what is
// older.
TEST(CampaignStatistics, AbandonRateWindowIsTheComplianceWindowsRate) {
  for (int window_h : {48, 1}) {
    SCOPED_TRACE(window_h);
    Rig r(21);
    CampaignConfig c;
    c.id = "predictive";
    c.dial_mode = DialMode::kPredictive;
    c.call_window = CallWindow::every_day(0, 24 * 60);
    c.compliance = ComplianceProfile::none();
    c.compliance.abandon_cap = 0.2;  // loose, so that some calls are abandoned
    c.compliance.abandon_window = std::chrono::hours(window_h);
    c.hold_window = std::chrono::seconds(0);
    r.engine->add_campaign(c);
    for (int i = 0; i < 2000; ++i) {
      Contact contact;
      contact.numbers.push_back(PhoneNumber{"+1312555" + std::to_string(1000000 + i).substr(3)});
      r.engine->add_contact("predictive", std::move(contact));
    }
    for (int i = 0; i < 4; ++i) {
      r.engine->set_agent_state(r.engine->add_agent("predictive", "p" + std::to_string(i)),
                                AgentState::kAvailable);
    }
    r.engine->start_campaign("predictive");
    r.engine->run_for(std::chrono::hours(3));
    CampaignStatistics s = r.engine->statistics("predictive");
    ASSERT_GT(s.abandons, 0);
    EXPECT_GE(s.abandon_rate_window, 0.0);
    EXPECT_LE(s.abandon_rate_window, 1.0);
    if (window_h == 48) {
      EXPECT_DOUBLE_EQ(s.abandon_rate_window, s.abandon_rate);
    } else {
      EXPECT_NE(s.abandon_rate_window, s.abandon_rate);
    }
  }
}

}  // namespace
}  // namespace omnivox
