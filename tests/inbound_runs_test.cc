// Inbound call records across runs and at a run's end: simulated runs on one SQLite file keep
// every run's inbound records (the simulator's inbound ids come from storage), and calls still
// waiting when the engine goes are recorded, not lost.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <set>
#include <span>
#include <vector>

#include "omnivox/engine.h"
#include "omnivox/sim.h"
#include "omnivox/sqlite_storage.h"

namespace omnivox {
namespace {

const char* kDid = "+15550100001";

// Inbound calls at `per_hour` for `hours`, 5-minute services, patience `patience_s`.
SimulationOptions inbound_world(std::uint64_t seed, double hours, double per_hour,
                                double patience_s) {
  SimulationOptions so;
  so.seed = seed;
  so.wrap_up = Distribution::fixed(0);
  InboundArrivals in;
  in.number = kDid;
  in.periods = {{seconds_to_duration(hours * 3600), per_hour}};
  in.service = Distribution::exponential(300);
  in.patience = Distribution::exponential(patience_s);
  so.inbound.push_back(in);
  return so;
}

// One engine process on `storage`: inbound-only agents of an idle campaign answer queue "help".
struct InboundRun {
  Simulator sim;
  Engine engine;
  InboundRun(Storage* storage, VirtualClock* clock, SimulationOptions world, int agents,
             EventListener* downstream = nullptr)
      : sim(std::move(world), clock, downstream),
        engine(Simulation::quiet_engine_options(), storage, &sim, clock, &sim) {
    sim.attach(&engine);
    CampaignConfig c;
    c.id = "out";
    c.compliance = ComplianceProfile::none();
    c.call_window = CallWindow::always();
    engine.add_campaign(c);
    InboundQueueConfig q;
    q.id = "help";
    q.numbers = {kDid};
    engine.add_inbound_queue(q);
    for (int i = 0; i < agents; ++i) {
      const AgentId a = engine.add_agent("out", "a" + std::to_string(i));
      engine.set_agent_skills(a, AgentSkills{{{"help", 0}}, false});
      engine.set_agent_state(a, AgentState::kAvailable);
    }
    engine.start_campaign("out");
  }
};

std::vector<Attempt> stored_records(Storage& storage) {
  std::vector<Attempt> out;
  storage.scan_attempts("help", [&](const Attempt& a) {
    out.push_back(a);
    return true;
  });
  return out;
}

class InboundRuns : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  // ctest runs each test as its own process, several at once: the file must be this process's.
  std::string path_ = ::testing::TempDir() + "/inbound-runs-" + std::to_string(::getpid()) + ".db";
};

TEST_F(InboundRuns, TwoSimulatedRunsOnOneSqliteFileKeepBothRunsRecords) {
  VirtualClock clock(parse_utc("2026-05-04T09:00:00Z"));
  long offered = 0;
  for (std::uint64_t seed : {11, 11}) {  // the same seed: the same calls again
    auto storage = make_sqlite_storage(path_);
    InboundRun run(storage.get(), &clock, inbound_world(seed, 1, 40, 120), 3);
    run.engine.run_for(std::chrono::hours(3));  // arrivals end after 1 h; every call ends
    const InboundQueueStatistics s = run.engine.inbound_statistics("help");
    EXPECT_GT(s.offered, 20);
    EXPECT_EQ(s.waiting, 0);
    offered += s.offered;
  }
  auto storage = make_sqlite_storage(path_);
  const std::vector<Attempt> records = stored_records(*storage);
  EXPECT_EQ(static_cast<long>(records.size()), offered);
  std::set<CallId> ids;
  for (const Attempt& a : records) {
    EXPECT_GE(a.call_id, kFirstInboundCallId);
    EXPECT_EQ(a.direction, CallDirection::kInbound);
    ids.insert(a.call_id);
  }
  EXPECT_EQ(ids.size(), records.size());
}

TEST_F(InboundRuns, CallsStillWaitingWhenTheEngineGoesAreRecordedAsNotAnswered) {
  VirtualClock clock(parse_utc("2026-05-04T09:00:00Z"));
  auto storage = make_sqlite_storage(path_);
  InboundQueueStatistics s;
  std::vector<Attempt> reported;
  struct Listener : EventListener {
    std::vector<Attempt>* out;
    unsigned interests() const override { return kAttemptsFinished; }
    void on_attempt_finished(const Attempt& a) override { out->push_back(a); }
  } listener;
  listener.out = &reported;
  TimePoint end{};
  {
    // One agent, 60 calls an hour of 5 minutes each, patient callers: a queue builds up.
    InboundRun run(storage.get(), &clock, inbound_world(5, 2, 60, 1e6), 1, &listener);
    Engine& engine = run.engine;
    engine.run_for(std::chrono::hours(1));
    s = engine.inbound_statistics("help");
    end = clock.now();
    ASSERT_GT(s.waiting, 10);
  }
  const std::vector<Attempt> records = stored_records(*storage);
  EXPECT_EQ(static_cast<long>(records.size()), s.offered);
  EXPECT_EQ(reported.size(), records.size());
  long not_answered = 0, talking = 0;
  for (const Attempt& r : records) {
    EXPECT_NE(r.disposition, Disposition::kNone) << r.call_id;
    EXPECT_EQ(r.ended_at <= end, true) << r.call_id;
    if (r.disposition == Disposition::kNoAnswer) {
      ++not_answered;
      EXPECT_EQ(r.state, CallState::kCanceled);
      EXPECT_EQ(r.agent, kNoAgent);
      EXPECT_EQ(r.bridged_at, TimePoint{});
      EXPECT_EQ(r.ended_at, end);
      EXPECT_GT(r.ended_at, r.answered_at);  // the wait so far
    } else if (r.ended_at == end && r.bridged_at != TimePoint{}) {
      ++talking;  // the agent's call in progress, ended with the run
    }
  }
  EXPECT_EQ(not_answered, s.waiting);
  EXPECT_LE(talking, 1);
}

// Counts how inbound records reach the database: one by one or in the engine's batches.
struct CountingStorage : StorageWrapper {
  using StorageWrapper::StorageWrapper;
  void put_attempt(const Attempt& a) override {
    single += a.call_id >= kFirstInboundCallId;
    StorageWrapper::put_attempt(a);
  }
  void put_attempts(std::span<const Attempt> attempts) override {
    for (const Attempt& a : attempts) single += a.call_id >= kFirstInboundCallId;
    StorageWrapper::put_attempts(attempts);
  }
  void write_batch(const StorageWriteBatch& b) override {
    long inbound = 0;
    for (const Attempt& a : b.attempts) inbound += a.call_id >= kFirstInboundCallId;
    batched += inbound;
    batches_with_inbound += inbound > 0;
    StorageWrapper::write_batch(b);
  }
  long single = 0, batched = 0, batches_with_inbound = 0;
};

TEST_F(InboundRuns, InboundRecordsGoThroughTheEnginesGroupCommitOnADatabase) {
  VirtualClock clock(parse_utc("2026-05-04T09:00:00Z"));
  auto sqlite = make_sqlite_storage(path_);
  CountingStorage counting(sqlite.get());
  ASSERT_TRUE(counting.prefers_batched_writes());
  InboundQueueStatistics s;
  {
    InboundRun run(&counting, &clock, inbound_world(3, 1, 120, 120), 4);
    run.engine.run_for(std::chrono::hours(2));
    s = run.engine.inbound_statistics("help");
  }
  EXPECT_GT(s.offered, 60);
  EXPECT_EQ(counting.single, 0);
  EXPECT_EQ(counting.batched, s.offered);  // each record once: it ended once
  // Batches hold several records each (one per run_for step of the engine's virtual clock).
  EXPECT_LT(counting.batches_with_inbound, s.offered);
  EXPECT_EQ(static_cast<long>(stored_records(*sqlite).size()), s.offered);
}

}  // namespace
}  // namespace omnivox
