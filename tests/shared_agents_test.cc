// Agents shared by two outbound campaigns (AgentSkills::campaigns): both campaigns' pacing counts
// the shared agents by the documented rule (a free one for the campaign of its highest priority
// that has work), each campaign's abandon cap holds under the after-the-fact audit, and no agent
// ever holds two calls. And the threshold reserve's share of free inbound-only agents.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "omnivox/audit.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

const TimePoint kStart = parse_utc("2026-05-04T12:00:00Z");

// Every finished attempt, and every agent's calls at once (set by call states).
struct Watch : EventListener {
  unsigned interests() const override { return kAttemptsFinished | kAgentStates; }
  void on_attempt_finished(const Attempt& a) override { finished.push_back(a); }
  void on_agent_state(const AgentStateChange& e) override {
    // An agent goes busy only from AVAILABLE (or RESERVED to ON_CALL for the same call).
    const bool busy = e.to == AgentState::kReserved || e.to == AgentState::kOnCall;
    if (busy && e.from != AgentState::kAvailable &&
        !(e.from == AgentState::kReserved && e.to == AgentState::kOnCall)) {
      ++double_bookings;
    }
    if (busy && e.call_id != kNoCall) {
      auto& call = holding[e.agent];
      if (call != kNoCall && call != e.call_id) ++double_bookings;
      call = e.call_id;
    }
    if (e.to == AgentState::kAvailable || e.to == AgentState::kPaused ||
        e.to == AgentState::kLoggedOut) {
      holding[e.agent] = kNoCall;
    }
  }
  std::vector<Attempt> finished;
  std::map<AgentId, CallId> holding;
  long double_bookings = 0;
};

CampaignConfig predictive(const std::string& id) {
  CampaignConfig c;
  c.id = id;
  c.dial_mode = DialMode::kPredictive;
  c.call_window = CallWindow::always();
  c.max_attempts = 1;
  c.retry_rules.clear();
  c.compliance = ComplianceProfile::none();
  c.compliance.name = "CAP3";
  c.compliance.abandon_cap = 0.03;
  return c;
}

SimulationOptions world(std::uint64_t seed) {
  SimulationOptions so;
  so.seed = seed;
  so.parametric.p_live = 0.3;
  so.parametric.p_machine = 0;
  so.parametric.p_busy = 0.3;
  so.parametric.p_invalid = 0;
  so.parametric.answer_delay = Distribution::exponential(10);
  so.parametric.busy_delay = Distribution::fixed(3);
  so.parametric.talk = Distribution::exponential(120);
  so.setup_delay = Distribution::fixed(0);
  so.wrap_up = Distribution::fixed(5);
  return so;
}

void add_contacts(Engine& e, const std::string& campaign, int n, int base) {
  for (int i = 0; i < n; ++i) {
    Contact c;
    c.numbers.push_back(PhoneNumber{"+1212" + std::to_string(base + i)});
    e.add_contact(campaign, std::move(c));
  }
}

TEST(BlendingSharedAgents, TwoCampaignsShareAgentsByPriorityWithinTheirCaps) {
  for (std::uint64_t seed : {1, 2}) {
    Watch watch;
    Simulation sim(world(seed), kStart, Simulation::quiet_engine_options(),
                   Simulation::quiet_storage_options(), &watch);
    Engine& e = sim.engine();
    // "high" has few contacts (runs out in about an hour), "low" plenty.
    const CampaignConfig high = predictive("high"), low = predictive("low");
    e.add_campaign(high);
    e.add_campaign(low);
    add_contacts(e, "high", 1500, 2000000);
    add_contacts(e, "low", 20000, 3000000);
    const std::vector<AgentId> high_only = sim.add_agents("high", 4, false);
    const std::vector<AgentId> low_only = sim.add_agents("low", 4, false);
    // Shared agents of "low" that prefer "high".
    const std::vector<AgentId> shared = sim.add_agents("low", 8, false);
    AgentSkills skills;
    skills.campaigns = {{"high", 2}, {"low", 1}};
    for (AgentId a : shared) e.set_agent_skills(a, skills);
    for (const auto* group : {&high_only, &low_only, &shared}) {
      for (AgentId a : *group) e.set_agent_state(a, AgentState::kAvailable);
    }
    e.start_campaign("high");
    e.start_campaign("low");
    e.run_for(std::chrono::hours(4));

    // While "high" has contacts, the shared agents work for it; then for "low".
    const std::set<AgentId> shared_set(shared.begin(), shared.end());
    TimePoint high_last{};
    for (const Attempt& a : watch.finished) {
      if (a.campaign_id == "high") high_last = std::max(high_last, a.created_at);
    }
    long shared_high = 0, shared_low_early = 0, shared_low_late = 0;
    for (const Attempt& a : watch.finished) {
      if (a.bridged_at == TimePoint{} || !shared_set.count(a.agent)) continue;
      if (a.campaign_id == "high") {
        ++shared_high;
      } else if (a.bridged_at < high_last - std::chrono::minutes(5)) {
        ++shared_low_early;
      } else if (a.bridged_at > high_last + std::chrono::minutes(10)) {
        ++shared_low_late;
      }
    }
    const CampaignStatistics hs = e.statistics("high"), ls = e.statistics("low");
    std::printf(
        "seed %llu: high %ld attempts %ld connects (last dialled %.0f min in), low %ld attempts "
        "%ld connects; shared agents' connects: high %ld, low %ld before high ran out, %ld "
        "after\n",
        static_cast<unsigned long long>(seed), hs.attempts, hs.connects,
        to_seconds(high_last - kStart) / 60, ls.attempts, ls.connects, shared_high,
        shared_low_early, shared_low_late);
    // Both campaigns make progress; "high" dials all its contacts well before the end.
    EXPECT_EQ(hs.attempts, 1500);
    EXPECT_GT(ls.connects, 300);
    EXPECT_LT(high_last, kStart + std::chrono::hours(3));
    // Priority: while "high" has work the shared agents take its calls (a few of "low"'s when
    // one of its live answers finds only a shared agent free), then "low"'s.
    EXPECT_GT(shared_high, 200);
    EXPECT_LT(shared_low_early, shared_high / 10);
    EXPECT_GT(shared_low_late, 200);
    // Each campaign's cap holds (the audit reads the stored records, outbound live answers).
    for (const CampaignConfig* c : {&high, &low}) {
      const ComplianceAudit audit = audit_campaign(sim.storage(), *c, e.time_zones());
      EXPECT_TRUE(audit.clean()) << c->id << ": " << audit.cap_breaches << " cap breaches";
      EXPECT_GT(audit.attempts, 1000);
      EXPECT_LE(e.statistics(c->id).abandon_rate, 0.03) << c->id;
    }
    // No agent ever holds two calls: by its states and by the bridged records' intervals.
    EXPECT_EQ(watch.double_bookings, 0);
    std::map<AgentId, std::vector<std::pair<TimePoint, TimePoint>>> talks;
    for (const Attempt& a : watch.finished) {
      if (a.bridged_at != TimePoint{}) talks[a.agent].push_back({a.bridged_at, a.ended_at});
    }
    long overlaps = 0;
    for (auto& [agent, spans] : talks) {
      std::sort(spans.begin(), spans.end());
      for (std::size_t i = 1; i < spans.size(); ++i)
        overlaps += spans[i].first < spans[i - 1].second;
    }
    EXPECT_EQ(overlaps, 0);
  }
}

TEST(BlendingSharedAgents, SkillsNameKnownCampaignsOnce) {
  Simulation sim(world(1), kStart);
  Engine& e = sim.engine();
  e.add_campaign(predictive("a"));
  e.add_campaign(predictive("b"));
  const AgentId agent = e.add_agent("a", "x");
  AgentSkills skills;
  skills.campaigns = {{"nope", 1}};
  try {
    e.set_agent_skills(agent, skills);
    FAIL() << "an unknown campaign was accepted";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(err.what()).find("unknown campaign 'nope'"), std::string::npos);
  }
  skills.campaigns = {{"b", 1}, {"b", 2}};
  EXPECT_THROW(e.set_agent_skills(agent, skills), Error);
  skills.campaigns = {{"b", 1}};
  skills.outbound = false;
  EXPECT_THROW(e.set_agent_skills(agent, skills), Error);
  // Shared, then back to its own campaign alone: "b" counts it, then no longer.
  skills.outbound = true;
  e.set_agent_skills(agent, skills);
  e.set_agent_state(agent, AgentState::kPaused);
  EXPECT_EQ(e.statistics("b").agents_by_state[static_cast<int>(AgentState::kPaused)], 1);
  e.set_agent_skills(agent, AgentSkills{});
  EXPECT_EQ(e.statistics("b").agents_by_state[static_cast<int>(AgentState::kPaused)], 0);
  EXPECT_EQ(e.statistics("a").agents_by_state[static_cast<int>(AgentState::kPaused)], 1);
}

TEST(BlendingSharedAgents, CampaignFileGivesAgentGroupsOtherCampaigns) {
  const std::string json = R"({
    "id": "main", "agents": 3,
    "agent_skills": [{"agents": 2, "campaigns": [{"campaign": "other", "priority": 2}, "third"]}]
  })";
  const CampaignFile f = parse_campaign_json(json, ".", "main.json");
  ASSERT_EQ(f.agent_skills.size(), 1u);
  const std::vector<CampaignSkill>& skills = f.agent_skills[0].skills.campaigns;
  ASSERT_EQ(skills.size(), 2u);
  EXPECT_EQ(skills[0].campaign, "other");
  EXPECT_EQ(skills[0].priority, 2);
  EXPECT_EQ(skills[1].campaign, "third");
  EXPECT_EQ(skills[1].priority, 0);
  using testing::HasSubstr;
  using testing::ThrowsMessage;
  EXPECT_THAT(
      [] {
        parse_campaign_json(
            R"({"agent_skills": [{"agents": 1, "outbound": false, "campaigns": ["b"]}]})", ".",
            "x.json");
      },
      ThrowsMessage<Error>(HasSubstr("field 'agent_skills[0].campaigns'")));
  EXPECT_THAT(
      [] {
        parse_campaign_json(R"({"agent_skills": [{"agents": 1, "campaigns": [{"priority": 1}]}]})",
                            ".", "x.json");
      },
      ThrowsMessage<Error>(HasSubstr("field 'agent_skills[0].campaigns[0].campaign'")));

  // Applied to an engine: the named campaigns must be there.
  Simulation sim(world(1), kStart);
  Engine& e = sim.engine();
  e.add_campaign(f.campaign);
  e.add_campaign(predictive("other"));
  const std::vector<AgentId> agents = sim.add_agents("main", 3, false);
  try {
    apply_inbound(f, e, agents);
    FAIL() << "a skill naming a campaign the engine lacks was accepted";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(err.what()).find("'third'"), std::string::npos) << err.what();
  }
  e.add_campaign(predictive("third"));
  apply_inbound(f, e, agents);
  e.set_agent_state(agents[0], AgentState::kPaused);
  e.set_agent_state(agents[2], AgentState::kPaused);
  // Agent 0 is shared (counted in "other"'s agents), agent 2 is "main"'s alone.
  EXPECT_EQ(e.statistics("other").agents_by_state[static_cast<int>(AgentState::kPaused)], 1);
  EXPECT_EQ(e.statistics("main").agents_by_state[static_cast<int>(AgentState::kPaused)], 2);
}

// A campaign that runs out of work hands its shared agents over at once, though nothing else
// would pace the next campaign (it had no agent, so no call of its own).
TEST(BlendingSharedAgents, CampaignRunningOutHandsItsAgentsToTheNext) {
  SimulationOptions so = world(4);
  so.parametric.p_live = 0;  // no call reaches an agent: only pacing frees them for "next"
  so.parametric.p_busy = 0.5;
  Simulation sim(so, kStart);
  Engine& e = sim.engine();
  CampaignConfig first = predictive("first"), next = predictive("next");
  first.dial_mode = next.dial_mode = DialMode::kProgressive;
  e.add_campaign(first);
  e.add_campaign(next);
  add_contacts(e, "first", 3, 2000000);
  add_contacts(e, "next", 50, 3000000);
  const std::vector<AgentId> shared = sim.add_agents("next", 2);
  AgentSkills skills;
  skills.campaigns = {{"first", 1}};
  for (AgentId a : shared) e.set_agent_skills(a, skills);
  e.start_campaign("first");
  e.start_campaign("next");
  e.run_for(std::chrono::hours(2));
  EXPECT_EQ(e.statistics("first").attempts, 3);
  EXPECT_EQ(e.statistics("next").attempts, 50);
}

// The threshold reserve counts free inbound-only agents: with 4 of them free, a reserve of 3
// holds none of the campaign's 4 free blended agents back (and a reserve of 6 holds 2).
TEST(BlendingReserve, FreeInboundOnlyAgentsHoldTheirShareOfTheReserve) {
  for (const auto& [reserve, seen] : std::vector<std::pair<int, int>>{{3, 4}, {6, 2}}) {
    struct Decisions : EventListener {
      unsigned interests() const override { return kPacingDecisions; }
      void on_pacing_decision(const PacingDecision& d) override {
        if (first_idle < 0) first_idle = d.agents_idle, first_launched = d.launched;
      }
      int first_idle = -1, first_launched = -1;
    } decisions;
    Simulation sim(world(1), kStart, Simulation::quiet_engine_options(),
                   Simulation::quiet_storage_options(), &decisions);
    Engine& e = sim.engine();
    CampaignConfig c = predictive("out");
    c.dial_mode = DialMode::kProgressive;
    e.add_campaign(c);
    add_contacts(e, "out", 100, 2000000);
    e.add_inbound_queue(InboundQueueConfig{"help", {"+15550100001"}});
    const std::vector<AgentId> agents = sim.add_agents("out", 8);
    for (std::size_t i = 0; i < agents.size(); ++i) {
      e.set_agent_skills(agents[i], AgentSkills{{{"help", 0}}, /*outbound=*/i >= 4});
    }
    BlendingConfig b;
    b.rule = BlendingRule::kThreshold;
    b.reserve = reserve;
    e.set_blending("out", b);
    e.start_campaign("out");
    EXPECT_EQ(decisions.first_idle, seen) << "reserve " << reserve;
    EXPECT_EQ(decisions.first_launched, seen) << "reserve " << reserve;
  }
}

}  // namespace
}  // namespace omnivox
