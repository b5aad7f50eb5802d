// The bank replay's exactness, PREVIEW and "call now", the engine on a wrapped virtual clock,
// and the engine on its own threads with a real clock.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/sim.h"
#include "omnivox/storage_url.h"

namespace omnivox {
namespace {

const std::string kBank = std::string(OMNIVOX_EXAMPLES_DIR) + "/data/bank-full.csv";

// An import run again stores nothing twice, and one cut short (its list left unfinished, some of
// its rows stored) is completed: the rows stored already are counted, the rest added, the list
// marked complete. On the memory backend and SQLite.
TEST(Import, RunAgainOrCutShortStoresEachContactOnce) {
  const std::string db = ::testing::TempDir() + "/import-again.db";
  std::remove(db.c_str());
  for (const std::string url : {std::string("memory"), "sqlite:" + db}) {
    SCOPED_TRACE(url);
    auto storage = open_storage(url);
    VirtualClock clock(parse_utc("2026-05-04T08:00:00Z"));
    Simulator sim(SimulationOptions{}, &clock);
    Engine engine(Simulation::quiet_engine_options(), storage.get(), &sim, &clock, &sim);
    CampaignConfig c;
    c.id = "bank";
    engine.add_campaign(c);
    ImportOptions io;
    io.default_region = "PT";
    // An import killed after its first rows: an unfinished list and 1,500 contacts stored.
    storage->put_list({"bank", "main", true, false});
    const auto first = engine.import_contacts("bank", "first-rows", kBank, io);
    ASSERT_EQ(first.rows_loaded, 45211u);
    std::vector<Contact> stored;
    ContactScan all{.campaign_id = "bank", .dialable_only = false};
    storage->scan_contacts(all, [&](const Contact& ct) {
      Contact copy = ct;
      copy.list_name = "main";
      stored.push_back(std::move(copy));
      return stored.size() < 1500;
    });
    storage->add_contacts(stored);
    const std::size_t before = storage->contact_count("bank");
    ASSERT_EQ(before, 45211u + 1500u);

    const auto completed = engine.import_contacts("bank", "main", kBank, io);
    EXPECT_EQ(completed.rows_loaded, 45211u);
    EXPECT_EQ(completed.rows_already_stored, 1500u);
    EXPECT_EQ(storage->contact_count("bank"), 2 * 45211u);
    const auto lists = storage->lists("bank");
    for (const ContactList& list : lists) EXPECT_TRUE(list.import_complete) << list.name;

    const auto again = engine.import_contacts("bank", "main", kBank, io);
    EXPECT_EQ(again.rows_already_stored, 45211u);
    EXPECT_EQ(storage->contact_count("bank"), 2 * 45211u);
  }
  std::remove(db.c_str());
}

// The replay file's fields: either delimiter (the header's more frequent one), CRLF line ends,
// quoted fields, no field after a final delimiter; a row with a missing field is refused.
TEST(ReplayWorld, LoadsQuotedCommaSeparatedRowsWithCarriageReturns) {
  const std::string path = ::testing::TempDir() + "/replay-fields.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "\"id\",campaign,duration,\"y\"\r\n"
        << "\"a1\",3,12.5,\"yes\"\r\n"
        << "\r\n"
        << "b2,0,-4,no,\n"
        << "\"\",2,7,\"yes\"\n";
  }
  const ReplayWorld world = ReplayWorld::load_bank_csv(path);
  ASSERT_EQ(world.records.size(), 3u);
  EXPECT_EQ(world.records.at("a1").reached_on_attempt, 3);
  EXPECT_EQ(world.records.at("a1").talk_s, 12.5);
  EXPECT_TRUE(world.records.at("a1").success);
  EXPECT_EQ(world.records.at("b2").reached_on_attempt, 1);
  EXPECT_EQ(world.records.at("b2").talk_s, 0.0);
  EXPECT_FALSE(world.records.at("b2").success);
  EXPECT_EQ(world.records.at("").reached_on_attempt, 2);
  {
    std::ofstream out(path, std::ios::binary);
    out << "id;campaign;duration;y\n1;2;3\n";
  }
  EXPECT_THROW(ReplayWorld::load_bank_csv(path), Error);
  std::remove(path.c_str());
}

// The replay file is read as the importer reads CSV (libcsv): a quoted field may hold the
// delimiter or a line break; a bad line stops the load with the file, the line and the reason.
TEST(ReplayWorld, QuotedFieldsMayHoldTheDelimiterAndABadLineIsNamed) {
  const std::string path = ::testing::TempDir() + "/replay-quoted.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "id;campaign;duration;y;note\n"
        << "\"c;1\";2;30;yes;\"said \"\"call me; later\"\"\"\n"
        << "c2;1;5;no;\"two\nlines\"\n"
        << "c3;4;8;no;plain\n";
  }
  const ReplayWorld world = ReplayWorld::load_bank_csv(path);
  ASSERT_EQ(world.records.size(), 3u);
  EXPECT_EQ(world.records.at("c;1").reached_on_attempt, 2);
  EXPECT_EQ(world.records.at("c;1").talk_s, 30.0);
  EXPECT_TRUE(world.records.at("c;1").success);
  EXPECT_EQ(world.records.at("c2").talk_s, 5.0);
  EXPECT_EQ(world.records.at("c3").reached_on_attempt, 4);

  const auto error_of = [&](const std::string& text) {
    {
      std::ofstream out(path, std::ios::binary);
      out << text;
    }
    try {
      ReplayWorld::load_bank_csv(path);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConfig);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("id;campaign;duration;y\nc1;1;5;no\nc\"2;1;5;no\n"),
            path + ":3: quote inside an unquoted field (byte 2 of the line)");
  EXPECT_EQ(error_of("id;campaign;duration;y\nc1;1;5;no\n\"c2\"x;1;5;no\n"),
            path + ":3: unexpected character after a closing quote (byte 5 of the line)");
  EXPECT_EQ(error_of("id;campaign;duration;y\nc1;1;5;no\n\nc2;1;\"5;no\nc3;1;5;no\n"),
            path + ":4: unbalanced quote (still open at the end of the file)");
  EXPECT_EQ(error_of("id;campaign;duration;y\nc1;one;5;no\n"),
            path + ":2: campaign/duration are not numbers");
  EXPECT_EQ(error_of("id;campaign;duration;y\n\"c;1\";1;5\n"),
            path + ":2: expected 4 fields, got 3");
  EXPECT_EQ(error_of("id;campaign;y\nc1;1;5\n"), path + ":1: missing column 'duration'");
  std::remove(path.c_str());
}

// With unlimited attempts and an always-open window, every client of the bank data is reached
// on exactly the attempt the bank needed (its `campaign` value).
TEST(ReplayWorld, AttemptsToReachEqualTheDataSetsCampaignValue) {
  SimulationOptions so;
  so.seed = 11;
  so.replay = ReplayWorld::load_bank_csv(kBank);
  ASSERT_EQ(so.replay->records.size(), 45211u);
  auto storage = make_memory_storage({false});
  VirtualClock clock(parse_utc("2026-05-04T08:00:00Z"));
  Simulator sim(so, &clock);
  EngineOptions eo;
  eo.journal_state_changes = false;
  Engine engine(eo, storage.get(), &sim, &clock, &sim);
  sim.attach(&engine);
  CampaignConfig c;
  c.id = "bank";
  c.compliance = ComplianceProfile::none();  // around the clock, no ring minimum
  c.max_attempts = 0;
  c.call_window = CallWindow::always();
  c.retry_rules = {{Disposition::kBusy, {false, std::chrono::minutes(5)}},
                   {Disposition::kNoAnswer, {false, std::chrono::minutes(5)}},
                   {Disposition::kMachine, {false, std::chrono::minutes(5)}}};
  engine.add_campaign(c);
  ImportOptions io;
  io.default_region = "PT";
  auto report = engine.import_contacts("bank", "main", kBank, io);
  ASSERT_EQ(report.rows_loaded, 45211u);
  for (int i = 0; i < 100; ++i) {
    engine.set_agent_state(engine.add_agent("bank", "a"), AgentState::kAvailable);
  }
  engine.start_campaign("bank");
  ASSERT_TRUE(engine.run_until_done(std::chrono::hours(24 * 60)));
  std::size_t checked = 0;
  ContactScan all;
  all.campaign_id = "bank";
  all.dialable_only = false;
  long total = 0;
  storage->scan_contacts(all, [&](const Contact& ct) {
    const ReplayRecord& rec = so.replay->records.at(ct.external_id);
    EXPECT_EQ(ct.attempts, rec.reached_on_attempt) << ct.external_id;
    EXPECT_EQ(ct.status, ContactStatus::kDone) << ct.external_id;
    EXPECT_EQ(ct.last_disposition, rec.success ? Disposition::kSale : Disposition::kNotInterested)
        << ct.external_id;
    total += ct.attempts;
    ++checked;
    return true;
  });
  EXPECT_EQ(checked, 45211u);
  EXPECT_EQ(total, 124956);  // the sum of the data set's `campaign` column
  EXPECT_EQ(engine.statistics("bank").abandons, 0);
}

struct Rig {
  std::unique_ptr<Storage> storage = make_memory_storage();
  VirtualClock clock{parse_utc("2026-05-04T13:00:00Z")};
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<Engine> engine;
  Rig(DialMode mode) {
    SimulationOptions so;
    so.parametric.p_live = 1.0;
    so.parametric.p_machine = so.parametric.p_busy = so.parametric.p_invalid = 0;
    so.parametric.answer_delay = Distribution::fixed(5);
    so.parametric.talk = Distribution::fixed(30);
    sim = std::make_unique<Simulator>(so, &clock);
    engine = std::make_unique<Engine>(EngineOptions{}, storage.get(), sim.get(), &clock, sim.get());
    sim->attach(engine.get());
    CampaignConfig c;
    c.id = "p";
    c.dial_mode = mode;
    c.call_window = CallWindow::always();
    engine->add_campaign(c);
  }
  ContactId add(const std::string& number, int priority = 0) {
    Contact ct;
    ct.external_id = number;
    ct.priority = priority;
    ct.numbers.push_back(PhoneNumber{number});
    return engine->add_contact("p", ct);
  }
};

TEST(EngineModes, PreviewAgentPullsLeasesAndDialsTheNextContact) {
  Rig rig(DialMode::kPreview);
  ContactId low = rig.add("+12125550101");
  ContactId high = rig.add("+12125550102", 9);
  AgentId agent = rig.engine->add_agent("p", "alice");
  rig.engine->set_agent_state(agent, AgentState::kAvailable);
  rig.engine->start_campaign("p");
  rig.engine->run_for(std::chrono::seconds(60));
  EXPECT_EQ(rig.engine->statistics("p").attempts, 0) << "PREVIEW never dials by itself";
  auto entry = rig.engine->preview_next(agent);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->contact_id, high) << "higher priority first";
  auto lease = rig.storage->get_lease(high);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->owner, rig.engine->owner_token());
  CallId call = rig.engine->dial_preview(agent);
  EXPECT_EQ(rig.engine->agent_state(agent), AgentState::kReserved);
  rig.engine->run_for(std::chrono::seconds(10));
  EXPECT_EQ(rig.engine->agent_state(agent), AgentState::kOnCall);
  rig.engine->run_until_done(std::chrono::hours(1));
  auto attempts = rig.storage->attempts_of(high);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].call_id, call);
  EXPECT_EQ(attempts[0].agent, agent);
  EXPECT_EQ(rig.engine->agent_state(agent), AgentState::kAvailable);
  EXPECT_TRUE(rig.storage->attempts_of(low).empty());
  // Skipping releases the lease without an attempt.
  auto next = rig.engine->preview_next(agent);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->contact_id, low);
  rig.engine->skip_preview(agent);
  EXPECT_FALSE(rig.storage->get_lease(low).has_value());
  EXPECT_TRUE(rig.storage->attempts_of(low).empty());
}

TEST(EngineModes, CallNowDialsAChosenContactUnderTheSameLocking) {
  Rig rig(DialMode::kPreview);
  ContactId a = rig.add("+12125550101");
  ContactId b = rig.add("+12125550102");
  AgentId agent = rig.engine->add_agent("p", "bob");
  rig.engine->set_agent_state(agent, AgentState::kAvailable);
  rig.engine->start_campaign("p");
  // Another engine holds b: call now must refuse it.
  std::vector<ContactId> ids{b};
  ASSERT_EQ(
      rig.storage->claim_leases(ids, "other-engine", rig.clock.now(), std::chrono::hours(1)).size(),
      1u);
  EXPECT_THROW(rig.engine->call_now(b, agent), Error);
  CallId call = rig.engine->call_now(a, agent);
  EXPECT_NE(call, kNoCall);
  EXPECT_THROW(rig.engine->call_now(a, agent), Error) << "agent is busy";
  rig.engine->run_until_done(std::chrono::hours(1));
  ASSERT_EQ(rig.storage->attempts_of(a).size(), 1u);
  EXPECT_TRUE(rig.storage->attempts_of(b).empty());
  EXPECT_EQ(rig.storage->get_contact(a)->status, ContactStatus::kDone);
}

TEST(EngineModes, CallbackDispositionSchedulesAFutureAttempt) {
  Rig rig(DialMode::kProgressive);
  ContactId id = rig.add("+12125550101");
  AgentId agent = rig.engine->add_agent("p", "carol");
  rig.engine->set_agent_state(agent, AgentState::kAvailable);
  rig.engine->start_campaign("p");
  rig.engine->run_for(std::chrono::seconds(7));  // answered at 5 s, bridged
  ASSERT_EQ(rig.engine->agent_state(agent), AgentState::kOnCall);
  rig.engine->run_for(std::chrono::seconds(30));  // call ended: wrap-up
  ASSERT_EQ(rig.engine->agent_state(agent), AgentState::kWrapUp);
  CallId call = rig.storage->attempts_of(id).at(0).call_id;
  // The host's agent sets CALLBACK before the simulator's agent would.
  TimePoint at = rig.clock.now() + std::chrono::hours(2);
  rig.engine->set_disposition(call, Disposition::kCallback, at);
  Contact ct = *rig.storage->get_contact(id);
  EXPECT_EQ(ct.status, ContactStatus::kCallback);
  EXPECT_EQ(ct.next_attempt_at, at);
  EXPECT_EQ(rig.engine->explain(id).reason, Ineligibility::kCallbackNotDue);
  rig.engine->run_until_done(std::chrono::hours(5));
  auto attempts = rig.storage->attempts_of(id);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_GE(attempts[1].created_at, at);
}

// Adds `contacts` contacts numbered +1212555<first>, +1212555<first + 1>, … and `agents`
// available agents to `campaign`.
void add_contacts_and_agents(Engine& engine, const std::string& campaign, int contacts, int first,
                             int agents) {
  for (int i = 0; i < contacts; ++i) {
    Contact ct;
    ct.numbers.push_back(PhoneNumber{"+1212555" + std::to_string(first + i)});
    engine.add_contact(campaign, ct);
  }
  for (int i = 0; i < agents; ++i) {
    engine.set_agent_state(engine.add_agent(campaign, "a"), AgentState::kAvailable);
  }
}

// A driver in front of another that counts the timers fired through it: a clock wrapper that
// sees how virtual time moves.
struct CountingDriver final : VirtualTimeDriver {
  explicit CountingDriver(VirtualTimeDriver* target) : target(target) {}
  TimePoint now() const override { return target->now(); }
  bool advance_one(TimePoint limit) override { return count(target->advance_one(limit)); }
  bool fire_next(TimePoint limit) override { return count(target->fire_next(limit)); }
  std::size_t advance_to(TimePoint limit) override {
    std::size_t n = 0;
    while (advance_one(limit)) ++n;
    return n;
  }
  TimePoint next_due() const override { return target->next_due(); }
  std::size_t pending() const override { return target->pending(); }
  void pass(Duration d) override { target->pass(d); }
  bool count(bool fired) {
    fired_ += fired ? 1 : 0;
    return fired;
  }
  VirtualTimeDriver* target;
  std::size_t fired_ = 0;
};

struct CountingClock final : ClockWrapper {
  explicit CountingClock(Clock* target) : ClockWrapper(target), driver(target->virtual_time()) {}
  VirtualTimeDriver* virtual_time() override { return &driver; }
  CountingDriver driver;
};

struct WrappedRun {
  long attempts = 0;
  long live_answers = 0;
  TimePoint end;
};

// A small campaign with retries, driven through poll(), run_for() and run_until_done() on
// `clock` (a VirtualClock or a wrapper of one).
// A world of quick calls: answered after 4 s, busy after 2 s, talk exponential with mean
// `talk_mean_s`, wrap-up `wrap_up_s`.
SimulationOptions quick_calls(std::uint64_t seed, double talk_mean_s, double wrap_up_s) {
  SimulationOptions so;
  so.seed = seed;
  so.parametric.answer_delay = Distribution::fixed(4);
  so.parametric.busy_delay = Distribution::fixed(2);
  so.parametric.talk = Distribution::exponential(talk_mean_s);
  so.wrap_up = Distribution::fixed(wrap_up_s);
  return so;
}

WrappedRun run_small_campaign(Clock* clock) {
  SimulationOptions so = quick_calls(17, 40, 3);
  auto storage = make_memory_storage();
  Simulator sim(so, clock);
  Engine engine(EngineOptions{}, storage.get(), &sim, clock, &sim);
  sim.attach(&engine);
  CampaignConfig c;
  c.id = "w";
  c.compliance = ComplianceProfile::none();
  c.max_attempts = 3;
  c.call_window = CallWindow::always();
  c.ring_timeout = std::chrono::seconds(15);
  c.retry_rules = {{Disposition::kNoAnswer, {false, std::chrono::minutes(2)}},
                   {Disposition::kBusy, {false, std::chrono::minutes(1)}}};
  engine.add_campaign(c);
  add_contacts_and_agents(engine, "w", 80, 2000, 5);
  EXPECT_TRUE(engine.idle());
  engine.start_campaign("w");
  engine.poll();
  engine.run_for(std::chrono::minutes(3));
  EXPECT_FALSE(engine.idle());
  EXPECT_GT(engine.statistics("w").attempts, 0);
  EXPECT_TRUE(engine.run_until_done(std::chrono::hours(12)));
  EXPECT_TRUE(engine.idle());
  const CampaignStatistics s = engine.statistics("w");
  EXPECT_EQ(s.contacts_final, 80u);
  return {s.attempts, s.live_answers, clock->now()};
}

TEST(EngineClock, AWrapperOfAVirtualClockRunsTheSameSimulationAsTheClockItself) {
  const TimePoint start = parse_utc("2026-05-04T13:00:00Z");
  VirtualClock bare(start);
  const WrappedRun expected = run_small_campaign(&bare);
  ASSERT_GT(expected.attempts, 80);  // some retries

  VirtualClock base(start);
  ClockWrapper wrapper(&base);
  EXPECT_TRUE(wrapper.is_virtual());
  EXPECT_EQ(wrapper.virtual_time(), base.virtual_time());
  const WrappedRun wrapped = run_small_campaign(&wrapper);
  EXPECT_EQ(wrapped.attempts, expected.attempts);
  EXPECT_EQ(wrapped.live_answers, expected.live_answers);
  EXPECT_EQ(wrapped.end, expected.end);

  // A wrapper with a driver of its own is driven through it.
  VirtualClock inner(start);
  CountingClock counting(&inner);
  EXPECT_TRUE(counting.is_virtual());
  const WrappedRun counted = run_small_campaign(&counting);
  EXPECT_EQ(counted.attempts, expected.attempts);
  EXPECT_EQ(counted.live_answers, expected.live_answers);
  EXPECT_EQ(counted.end, expected.end);
  EXPECT_GT(counting.driver.fired_, static_cast<std::size_t>(counted.attempts));

  // A wrapper of a real clock is a real clock.
  auto real = make_system_clock();
  ClockWrapper real_wrapper(real.get());
  EXPECT_FALSE(real_wrapper.is_virtual());
  EXPECT_EQ(real_wrapper.virtual_time(), nullptr);
}

TEST(EngineThreads, RealClockOnOwnedThreadsRunsACampaignToTheEnd) {
  SimulationOptions so = quick_calls(5, 20, 2);
  // 200 virtual seconds per wall second: a virtual hour takes 18 wall seconds at most; the 2 s
  // hold window is still 10 ms of wall time, ample for the engine's threads.
  auto clock = make_system_clock(200.0, parse_utc("2026-05-04T13:00:00Z"));
  auto storage = make_memory_storage();
  Simulator sim(so, clock.get());
  EngineOptions eo;
  eo.log_level = LogLevel::kWarn;
  Engine engine(eo, storage.get(), &sim, clock.get(), &sim);
  sim.attach(&engine);
  CampaignConfig c;
  c.id = "t";
  c.compliance = ComplianceProfile::none();  // around the clock, no ring minimum
  c.max_attempts = 2;
  c.call_window = CallWindow::always();
  c.ring_timeout = std::chrono::seconds(10);
  c.retry_rules = {{Disposition::kNoAnswer, {false, std::chrono::minutes(1)}}};
  engine.add_campaign(c);
  add_contacts_and_agents(engine, "t", 60, 1000, 6);
  engine.start(2);
  engine.start_campaign("t");
  CampaignStatistics s;
  for (int i = 0; i < 600; ++i) {  // at most 60 s of wall time
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    s = engine.statistics("t");
    if (s.contacts_final == s.contacts_total && s.attempts_in_flight == 0) break;
  }
  engine.stop();
  EXPECT_EQ(s.contacts_final, 60u);
  EXPECT_EQ(s.attempts_in_flight, 0);
  EXPECT_EQ(s.abandons, 0);
}

TEST(Logger, RepeatedWarningsAreRateLimited) {
  struct Sink : LogSink {
    std::vector<std::string> lines;
    std::mutex m;
    void write(LogLevel, std::string_view msg) override {
      std::lock_guard<std::mutex> lock(m);
      lines.emplace_back(msg);
    }
  };
  auto sink = std::make_shared<Sink>();
  Logger logger(sink, LogLevel::kInfo);
  logger.log(LogLevel::kDebug, "dropped");
  for (int i = 0; i < 1000; ++i) logger.log_limited(LogLevel::kWarn, "k", "lease lost");
  ASSERT_EQ(sink->lines.size(), 1u);
  EXPECT_EQ(sink->lines[0], "lease lost");
}

}  // namespace
}  // namespace omnivox

namespace omnivox {
namespace {

TEST(EngineModes, AgentsLoggingOutWithCallsPendingDoNotCauseAbandons) {
  Rig rig(DialMode::kProgressive);
  for (int i = 0; i < 30; ++i) rig.add("+1212555" + std::to_string(1000 + i));
  std::vector<AgentId> agents;
  for (int i = 0; i < 5; ++i) {
    agents.push_back(rig.engine->add_agent("p", "a" + std::to_string(i)));
    rig.engine->set_agent_state(agents.back(), AgentState::kAvailable);
  }
  rig.engine->start_campaign("p");
  rig.engine->run_for(std::chrono::seconds(2));  // 5 calls launched, answers come at 5 s
  ASSERT_EQ(rig.engine->statistics("p").attempts, 5);
  for (AgentId a : agents) rig.engine->set_agent_state(a, AgentState::kLoggedOut);
  rig.engine->run_until_done(std::chrono::hours(1));
  CampaignStatistics s = rig.engine->statistics("p");
  EXPECT_EQ(s.abandons, 0);
  EXPECT_EQ(s.connects, 5);
  EXPECT_EQ(s.attempts, 5) << "nobody left to dial for";
  for (AgentId a : agents) EXPECT_EQ(rig.engine->agent_state(a), AgentState::kLoggedOut);
}

}  // namespace
}  // namespace omnivox
