// Simulated campaigns that check the engine's invariants (docs/architecture.md, Invariants) and the
// simulator's exactness where queueing theory is exact.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "omnivox/engine.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

const TimePoint kStart = parse_utc("2026-05-04T12:00:00Z");  // 08:00 in New York

// Watches the engine: at most one attempt per contact at a time; every call state change.
class InvariantListener : public EventListener {
 public:
  void on_call_state(const CallStateChange& c) override {
    if (c.from == CallState::kQueued && c.to == CallState::kQueued) {
      if (!in_flight.insert(c.contact_id).second) ++double_dials;
      max_in_flight = std::max(max_in_flight, in_flight.size());
    }
  }
  void on_attempt_finished(const Attempt& a) override { in_flight.erase(a.contact_id); }
  std::set<ContactId> in_flight;
  std::size_t max_in_flight = 0;
  int double_dials = 0;
};

std::string us_number(int area, int i) {
  return "+1" + std::to_string(area) + "555" + std::to_string(1000000 + i).substr(3);
}

// `count` contacts with one New York number each.
void add_new_york_contacts(Engine& engine, const std::string& campaign, int count) {
  for (int i = 0; i < count; ++i) {
    Contact contact;
    contact.numbers.push_back(PhoneNumber{us_number(212, i)});
    engine.add_contact(campaign, std::move(contact));
  }
}

struct World {
  std::unique_ptr<Storage> storage = make_memory_storage();
  VirtualClock clock{kStart};
  InvariantListener invariants;
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<Engine> engine;

  explicit World(SimulationOptions options) {
    sim = std::make_unique<Simulator>(std::move(options), &clock, &invariants);
    EngineOptions eo;
    eo.log_level = LogLevel::kWarn;
    engine = std::make_unique<Engine>(eo, storage.get(), sim.get(), &clock, sim.get());
    sim->attach(engine.get());
  }
  void staff(const std::string& campaign, int agents) {
    for (int i = 0; i < agents; ++i) {
      engine->set_agent_state(engine->add_agent(campaign, "a" + std::to_string(i)),
                              AgentState::kAvailable);
    }
  }
};

TEST(EngineSimulation, ProgressiveCampaignKeepsEveryInvariant) {
  SimulationOptions so;
  so.seed = 42;
  so.parametric.p_live = 0.3;
  so.parametric.p_machine = 0.1;
  so.parametric.p_busy = 0.15;
  so.parametric.p_invalid = 0.05;
  so.parametric.talk = Distribution::exponential(90);
  so.wrap_up = Distribution::fixed(5);
  World w(so);
  CampaignConfig c;
  c.id = "inv";
  c.max_attempts = 4;
  c.call_window = CallWindow::every_day(9 * 60, 21 * 60);
  c.retry_rules[Disposition::kNoAnswer] = {false, std::chrono::minutes(30)};
  c.retry_rules[Disposition::kMachine] = {false, std::chrono::minutes(45)};
  w.engine->add_campaign(c);
  // Numbers in four US zones (New York, Chicago, Denver, Los Angeles) so windows differ.
  const int areas[] = {212, 312, 303, 213};
  std::set<std::string> dnc;
  for (int i = 0; i < 1500; ++i) {
    Contact contact;
    contact.external_id = "c" + std::to_string(i);
    contact.numbers.push_back(PhoneNumber{us_number(areas[i % 4], i)});
    if (i % 50 == 0) dnc.insert(contact.numbers[0].e164);
    w.engine->add_contact("inv", contact);
  }
  for (const auto& n : dnc) w.engine->add_dnc("global", n);
  w.staff("inv", 15);
  w.engine->start_campaign("inv");
  ASSERT_TRUE(w.engine->run_until_done(std::chrono::hours(24 * 30)));

  EXPECT_EQ(w.invariants.double_dials, 0);
  EXPECT_TRUE(w.invariants.in_flight.empty());
  CampaignStatistics s = w.engine->statistics("inv");
  EXPECT_EQ(s.abandons, 0) << "progressive pacing without AMD false positives never abandons";
  EXPECT_EQ(s.attempts_in_flight, 0);
  EXPECT_GT(s.attempts, 1500);
  EXPECT_EQ(s.contacts_final, s.contacts_total) << "every contact ends final";

  TimeZoneMap& zones = w.engine->time_zones();
  ContactScan all;
  all.campaign_id = "inv";
  all.dialable_only = false;
  std::vector<Contact> contacts;
  w.storage->scan_contacts(all, [&](const Contact& ct) {
    contacts.push_back(ct);
    return true;
  });
  ASSERT_EQ(contacts.size(), 1500u);
  long recorded = 0;
  for (const Contact& ct : contacts) {
    EXPECT_TRUE(is_final(ct.status) || ct.status == ContactStatus::kRetry) << ct.external_id;
    auto attempts = w.storage->attempts_of(ct.id);
    EXPECT_EQ(attempts.size(), ct.attempts) << ct.external_id;
    EXPECT_LE(attempts.size(), 4u) << ct.external_id;
    recorded += static_cast<long>(attempts.size());
    for (const Attempt& a : attempts) {
      EXPECT_FALSE(dnc.count(a.number)) << "dialed DNC number " << a.number;
      EXPECT_TRUE(zones.is_open(zones.zone_set_for(a.number), c.call_window, a.created_at))
          << a.number << " dialed at " << format_utc(a.created_at);
      EXPECT_TRUE(is_terminal(a.state));
      EXPECT_NE(a.disposition, Disposition::kNone);
    }
    if (dnc.count(ct.numbers[0].e164)) {
      EXPECT_EQ(ct.status, ContactStatus::kDoNotCall);
    }
  }
  EXPECT_EQ(recorded, s.attempts);
}

// Adding a running campaign again (a config change mid-day) keeps the calls in flight, their
// timers and the agents working: nothing points to a discarded campaign (ASan would see it).
TEST(EngineSimulation, CampaignAddedAgainWhileRunningKeepsItsCallsAndAgents) {
  SimulationOptions so;
  so.seed = 7;
  so.parametric.talk = Distribution::exponential(60);
  so.wrap_up = Distribution::fixed(5);
  World w(so);
  CampaignConfig c;
  c.id = "again";
  c.compliance = ComplianceProfile::none();
  c.call_window = CallWindow::always();
  c.max_attempts = 2;
  c.dial_mode = DialMode::kPower;
  c.power_lines_per_agent = 2;
  w.engine->add_campaign(c);
  add_new_york_contacts(*w.engine, "again", 400);
  w.staff("again", 10);
  w.engine->start_campaign("again");
  w.engine->run_for(std::chrono::minutes(10));
  ASSERT_GT(w.engine->statistics("again").attempts_in_flight, 0);
  c.max_attempts = 3;
  w.engine->add_campaign(c);
  ASSERT_TRUE(w.engine->run_until_done(std::chrono::hours(24 * 30)));
  CampaignStatistics s = w.engine->statistics("again");
  EXPECT_EQ(s.attempts_in_flight, 0);
  EXPECT_EQ(s.contacts_final, s.contacts_total);
  EXPECT_EQ(w.invariants.double_dials, 0);
  EXPECT_TRUE(w.invariants.in_flight.empty());
}

TEST(EngineSimulation, SameSeedSameRun) {
  auto run = [](std::uint64_t seed) {
    SimulationOptions so;
    so.seed = seed;
    World w(so);
    CampaignConfig c;
    c.id = "r";
    c.call_window = CallWindow::always();
    w.engine->add_campaign(c);
    add_new_york_contacts(*w.engine, "r", 300);
    w.staff("r", 5);
    w.engine->start_campaign("r");
    w.engine->run_until_done(std::chrono::hours(24 * 10));
    auto s = w.engine->statistics("r");
    return std::make_tuple(s.attempts, s.live_answers, s.talk_seconds, w.clock.now());
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

// One agent, progressive: live with p = 0.25 after 10 s, failures after 20 s, 100 s handle.
// Each agent cycle idles 20 * E[failures] + 10 = 20 * 3 + 10 = 70 s, so occupancy is
// 100 / (100 + 70) = 0.5882 (renewal-reward theorem).
TEST(EngineSimulation, OccupancyMatchesRenewalTheoryForOneProgressiveAgent) {
  SimulationOptions so;
  so.seed = 2026;
  so.parametric.p_live = 0.25;
  so.parametric.p_machine = 0;
  so.parametric.p_busy = 0.75;
  so.parametric.p_invalid = 0;
  so.parametric.answer_delay = Distribution::fixed(10);
  so.parametric.busy_delay = Distribution::fixed(20);
  so.parametric.talk = Distribution::fixed(100);
  so.setup_delay = Distribution::fixed(0);
  so.wrap_up = Distribution::fixed(0);
  World w(so);
  CampaignConfig c;
  c.id = "exact";
  c.compliance = ComplianceProfile::none();  // around the clock, no ring minimum
  c.call_window = CallWindow::always();
  c.max_attempts = 1;
  c.retry_rules.clear();  // every disposition final: one attempt per contact
  w.engine->add_campaign(c);
  const int kContacts = 24000;  // about 6000 cycles
  add_new_york_contacts(*w.engine, "exact", kContacts);
  w.staff("exact", 1);
  w.engine->start_campaign("exact");
  ASSERT_TRUE(w.engine->run_until_done(std::chrono::hours(24 * 60)));
  CampaignStatistics s = w.engine->statistics("exact");
  ASSERT_EQ(s.attempts, kContacts);
  // Idle time per cycle: 20 F + 10 with F ~ Geometric(0.25) failures: variance 400 * 12.
  const double p = 0.25, cycles = static_cast<double>(s.live_answers);
  const double idle_mean = 20 * (1 - p) / p + 10, idle_sd = 20 * std::sqrt((1 - p) / (p * p));
  const double expected = 100.0 / (100.0 + idle_mean);
  // Delta method for 100 / (100 + mean idle).
  const double se = 100.0 / std::pow(100.0 + idle_mean, 2) * idle_sd / std::sqrt(cycles);
  EXPECT_NEAR(expected, 0.5882, 1e-4);
  EXPECT_NEAR(s.occupancy, expected, 1.96 * se)
      << "cycles " << cycles << " se " << se << " attempts " << s.attempts;
  EXPECT_EQ(s.abandons, 0);
}

TEST(EngineSimulation, AnswerWithNoFreeAgentIsAbandonedAfterTheHoldWindow) {
  SimulationOptions so;
  so.seed = 3;
  so.parametric.p_live = 1.0;
  so.parametric.p_machine = so.parametric.p_busy = so.parametric.p_invalid = 0;
  so.parametric.answer_delay = Distribution::fixed(5);
  so.parametric.talk = Distribution::fixed(60);
  World w(so);
  CampaignConfig c;
  c.id = "power";
  c.compliance = ComplianceProfile::none();  // no governor: show the hold window at work
  c.dial_mode = DialMode::kPower;
  c.power_lines_per_agent = 3.0;
  c.call_window = CallWindow::always();
  c.max_attempts = 1;
  w.engine->add_campaign(c);
  add_new_york_contacts(*w.engine, "power", 30);
  w.staff("power", 2);
  w.engine->start_campaign("power");
  ASSERT_TRUE(w.engine->run_until_done(std::chrono::hours(24)));
  CampaignStatistics s = w.engine->statistics("power");
  EXPECT_GT(s.abandons, 0);
  EXPECT_EQ(s.abandons + s.connects, s.live_answers);
  EXPECT_EQ(s.dispositions[static_cast<int>(Disposition::kAbandoned)], s.abandons);
}

// A listener gets only the callbacks its interests() names; the simulator in front of it still
// gets the agent states it needs (the run completes the same).
TEST(EngineSimulation, ListenersGetOnlyTheEventsTheyAskFor) {
  class FinishedOnly : public EventListener {
   public:
    unsigned interests() const override { return kAttemptsFinished; }
    void on_call_state(const CallStateChange&) override { ++call_states; }
    void on_agent_state(const AgentStateChange&) override { ++agent_states; }
    void on_pacing_decision(const PacingDecision&) override { ++decisions; }
    void on_attempt_finished(const Attempt&) override { ++finished; }
    long call_states = 0, agent_states = 0, decisions = 0, finished = 0;
  };
  auto run = [](EventListener* downstream) {
    SimulationOptions so;
    so.seed = 7;
    so.wrap_up = Distribution::fixed(5);
    Simulation simulation(so, kStart, Simulation::quiet_engine_options(), {false}, downstream);
    CampaignConfig c;
    c.id = "ask";
    c.compliance = ComplianceProfile::none();
    c.call_window = CallWindow::always();
    c.max_attempts = 2;
    simulation.engine().add_campaign(c);
    add_new_york_contacts(simulation.engine(), "ask", 200);
    simulation.add_agents("ask", 5);
    simulation.engine().start_campaign("ask");
    simulation.engine().run_until_done(std::chrono::hours(48));
    return simulation.engine().statistics("ask");
  };
  FinishedOnly listener;
  const CampaignStatistics with = run(&listener);
  const CampaignStatistics without = run(nullptr);
  EXPECT_EQ(listener.call_states, 0);
  EXPECT_EQ(listener.agent_states, 0);
  EXPECT_EQ(listener.decisions, 0);
  EXPECT_EQ(listener.finished, with.attempts);
  EXPECT_GT(with.attempts, 200);
  EXPECT_EQ(with.attempts, without.attempts);
  EXPECT_EQ(with.connects, without.connects);
}

}  // namespace
}  // namespace omnivox
