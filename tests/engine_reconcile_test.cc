// Restart reconciliation: an engine that dies mid-campaign leaves open attempts in storage; the
// next engine on the same storage closes them (never lost, never silently duplicated) and the
// campaign completes. Also: a storage outage during a run loses no finished attempt.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <set>

#include "omnivox/engine.h"
#include "omnivox/sim.h"
#include "omnivox/sqlite_storage.h"

namespace omnivox {
namespace {

CampaignConfig small_campaign() {
  CampaignConfig c;
  c.id = "reconcile";
  c.compliance = ComplianceProfile::none();
  c.call_window = CallWindow::always();
  c.max_attempts = 5;
  c.retry_rules = {{Disposition::kBusy, {false, std::chrono::minutes(2)}},
                   {Disposition::kNoAnswer, {false, std::chrono::minutes(2)}},
                   {Disposition::kMachine, {false, std::chrono::minutes(2)}},
                   {Disposition::kFailed, {false, std::chrono::minutes(2)}}};
  return c;
}

SimulationOptions world(std::uint64_t seed) {
  SimulationOptions so;
  so.seed = seed;
  so.parametric.p_live = 0.5;
  so.parametric.p_machine = 0.1;
  so.parametric.p_busy = 0.1;
  so.parametric.p_invalid = 0.0;
  so.parametric.answer_delay = Distribution::fixed(6);
  so.parametric.talk = Distribution::fixed(60);
  so.wrap_up = Distribution::fixed(5);
  // The calls stand for a carrier's: reconciliation is about calls that outlive their engine.
  so.calls_outlive_engine = true;
  return so;
}

// Every call a live answer: an engine in this world schedules no retry of its own.
SimulationOptions all_live_world(std::uint64_t seed) {
  SimulationOptions so = world(seed);
  so.parametric.p_live = 1.0;
  so.parametric.p_machine = 0.0;
  so.parametric.p_busy = 0.0;
  return so;
}

// One engine process, as far as storage can tell: its own simulator, clock and owner token.
struct Node {
  Simulator sim;
  Engine engine;
  Node(Storage* storage, VirtualClock* clock, std::uint64_t seed, const std::string& owner,
       int agents, bool add_contacts, const Clock* lease_clock = nullptr,
       std::optional<SimulationOptions> world_options = std::nullopt)
      : sim(world_options.value_or(world(seed)), clock),
        engine(options(owner, lease_clock), storage, &sim, clock, &sim) {
    sim.attach(&engine);
    engine.add_campaign(small_campaign());
    if (add_contacts) {
      for (int i = 0; i < 200; ++i) {
        Contact c;
        c.external_id = "c" + std::to_string(i);
        PhoneNumber n;
        n.e164 = "+3519100" + std::to_string(10000 + i);
        c.numbers.push_back(n);
        engine.add_contact("reconcile", c);
      }
    }
    for (int i = 0; i < agents; ++i) {
      engine.set_agent_state(engine.add_agent("reconcile", "a"), AgentState::kAvailable);
    }
  }
  static EngineOptions options(const std::string& owner, const Clock* lease_clock) {
    EngineOptions eo = Simulation::quiet_engine_options();
    eo.owner_token = owner;
    eo.lease_clock = lease_clock;
    eo.lease_ttl = std::chrono::seconds(60);
    return eo;
  }
};

struct Census {
  std::size_t open = 0, contacts = 0;
  std::set<CallId> ids;
  bool ids_unique = true;
  long attempts = 0;
  bool attempts_match_contacts = true;
};

Census census(Storage& storage) {
  Census out;
  ContactScan all;
  all.campaign_id = "reconcile";
  all.dialable_only = false;
  std::vector<Contact> contacts;
  storage.scan_contacts(all, [&](const Contact& c) {
    contacts.push_back(c);
    return true;
  });
  for (const Contact& c : contacts) {
    ++out.contacts;
    auto attempts = storage.attempts_of(c.id);
    if (static_cast<long>(attempts.size()) != c.attempts) out.attempts_match_contacts = false;
    std::set<int> numbers;
    for (const Attempt& a : attempts) {
      if (!out.ids.insert(a.call_id).second) out.ids_unique = false;
      if (!numbers.insert(a.attempt_number).second) out.ids_unique = false;
      if (a.disposition == Disposition::kNone) ++out.open;
      ++out.attempts;
    }
  }
  return out;
}

class ReconcileTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Storage> open() {
    if (GetParam() == "memory") {
      if (!memory_) memory_ = make_memory_storage();
      return std::make_unique<StorageWrapper>(memory_.get());
    }
    return make_sqlite_storage(path_);
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::unique_ptr<Storage> memory_;
  // ctest runs each test as its own process, several at once: the file must be this process's.
  std::string path_ = ::testing::TempDir() + "/reconcile-" + std::to_string(::getpid()) + ".db";
};

// The first engine dies (is destroyed without finishing) with calls in flight; a second engine
// with another owner token waits for the dead engine's leases to expire, closes its open
// attempts, and completes the campaign.
TEST_P(ReconcileTest, DeadEnginesOpenAttemptsAreClosedAndTheCampaignCompletes) {
  VirtualClock clock(parse_utc("2026-05-04T09:00:00Z"));
  auto storage_a = open();
  std::size_t open_at_death = 0;
  {
    auto a = std::make_unique<Node>(storage_a.get(), &clock, 7, "node-a", 10, true);
    a->engine.start_campaign("reconcile");
    a->engine.run_for(std::chrono::minutes(10));
    auto stats = a->engine.statistics("reconcile");
    ASSERT_GT(stats.attempts_in_flight, 0);
    open_at_death = census(*storage_a).open;
    ASSERT_GT(open_at_death, 0u);
    // "kill -9": the engine object goes away; nothing of it is written any more.
    a->sim.stop();
  }
  storage_a.reset();

  auto storage_b = open();
  Node b(storage_b.get(), &clock, 8, "node-b", 10, false);
  b.engine.start_campaign("reconcile");
  EXPECT_EQ(b.engine.statistics("reconcile").attempts_reconciled, 0)
      << "node-a's leases are still live: nothing may be closed yet";
  ASSERT_TRUE(b.engine.run_until_done(std::chrono::hours(24)));
  auto stats = b.engine.statistics("reconcile");
  EXPECT_EQ(static_cast<std::size_t>(stats.attempts_reconciled), open_at_death);

  Census after = census(*storage_b);
  EXPECT_EQ(after.contacts, 200u);
  EXPECT_EQ(after.open, 0u);
  EXPECT_TRUE(after.ids_unique);
  EXPECT_TRUE(after.attempts_match_contacts);
  EXPECT_EQ(stats.contacts_final, 200u);
  bool journaled = false;
  storage_b->scan_journal("reconcile", [&](const JournalEntry& e) {
    journaled = journaled || e.kind == "reconciled";
    return !journaled;
  });
  EXPECT_TRUE(journaled);
}

// Restarting with the same owner token reconciles at once: the leases are the new engine's own.
TEST_P(ReconcileTest, RestartWithTheSameOwnerTokenReconcilesAtOnce) {
  VirtualClock clock(parse_utc("2026-05-04T09:00:00Z"));
  auto storage_a = open();
  std::size_t open_at_death = 0;
  {
    Node a(storage_a.get(), &clock, 9, "node-x", 10, true);
    a.engine.start_campaign("reconcile");
    a.engine.run_for(std::chrono::minutes(5));
    open_at_death = census(*storage_a).open;
    ASSERT_GT(open_at_death, 0u);
    a.sim.stop();
  }
  storage_a.reset();
  auto storage_b = open();
  Node b(storage_b.get(), &clock, 10, "node-x", 10, false);
  b.engine.start_campaign("reconcile");
  EXPECT_EQ(static_cast<std::size_t>(b.engine.statistics("reconcile").attempts_reconciled),
            open_at_death);
  ASSERT_TRUE(b.engine.run_until_done(std::chrono::hours(24)));
  Census after = census(*storage_b);
  EXPECT_EQ(after.open, 0u);
  EXPECT_TRUE(after.ids_unique);
  EXPECT_TRUE(after.attempts_match_contacts);
}

// A campaign resumed from storage by a new engine whose clock starts before the retries the
// first engine scheduled: nothing is due at its start, and it still wakes for each of them.
TEST_P(ReconcileTest, ARestartedEngineDialsTheRetriesAnEarlierOneScheduled) {
  const TimePoint start = parse_utc("2026-05-04T09:00:00Z");
  auto storage_a = open();
  {
    VirtualClock clock(start);
    Node a(storage_a.get(), &clock, 11, "node-a", 50, true);
    CampaignConfig later = small_campaign();
    for (auto& [disposition, rule] : later.retry_rules) rule.delay = std::chrono::hours(1);
    a.engine.add_campaign(later);
    a.engine.start_campaign("reconcile");
    a.engine.run_for(std::chrono::minutes(20));
    a.engine.stop_campaign("reconcile");
    a.engine.run_for(std::chrono::minutes(10));  // the calls in flight end
    a.sim.stop();
  }
  Census before = census(*storage_a);
  ASSERT_EQ(before.open, 0u);
  storage_a.reset();

  auto storage_b = open();
  VirtualClock clock(start);
  Node b(storage_b.get(), &clock, 12, "node-b", 10, false);
  b.engine.start_campaign("reconcile");
  ASSERT_TRUE(b.engine.run_until_done(std::chrono::hours(48)));
  auto stats = b.engine.statistics("reconcile");
  EXPECT_GT(stats.attempts, 0);
  EXPECT_EQ(stats.contacts_final, 200u);
  EXPECT_GT(clock.now(), start + std::chrono::hours(1));
}

// Engines draw call ids in blocks, so a contact's open attempt (its last, placed by an engine that
// died) can have a lower call id than its earlier attempt placed by another engine. Closing it
// still settles the contact: here its attempts are used up, so it is final and the campaign
// completes (were the open attempt taken for an older one, the contact would stay RETRY with no
// attempt left, dialled by no one).
TEST_P(ReconcileTest, AnOpenAttemptWithALowerCallIdThanAnEarlierOneStillSettlesItsContact) {
  const TimePoint start = parse_utc("2026-05-04T09:00:00Z");
  VirtualClock clock(start);
  auto storage = open();
  Node b(storage.get(), &clock, 71, "node-b", 1, false);
  CampaignConfig two = small_campaign();
  two.max_attempts = 2;
  b.engine.add_campaign(two);
  Contact c;
  c.campaign_id = "reconcile";
  c.external_id = "hopped";
  c.numbers.push_back(PhoneNumber{"+351910099999"});
  const ContactId id = storage->add_contact(c);
  c = *storage->get_contact(id);
  auto attempt = [&](CallId call_id, int number, TimePoint at, Disposition d) {
    Attempt a;
    a.call_id = call_id;
    a.contact_id = id;
    a.campaign_id = "reconcile";
    a.number = c.numbers[0].e164;
    a.attempt_number = static_cast<std::uint16_t>(number);
    a.created_at = at;
    a.disposition = d;
    if (d != Disposition::kNone) a.ended_at = at + std::chrono::seconds(30);
    return a;
  };
  // The first attempt from another engine's block (129..192), the second from the dead engine's
  // (65..128), placed after the first ended: the contact as that placement wrote it.
  storage->put_attempt(attempt(129, 1, start - std::chrono::minutes(10), Disposition::kNoAnswer));
  storage->put_attempt(attempt(78, 2, start - std::chrono::minutes(5), Disposition::kNone));
  c.status = ContactStatus::kRetry;
  c.attempts = 2;
  c.numbers[0].attempts = 2;
  c.last_attempt_at = start - std::chrono::minutes(5);
  c.next_attempt_at = start - std::chrono::minutes(8);
  storage->update_contact(c);
  b.engine.start_campaign("reconcile");
  EXPECT_EQ(b.engine.statistics("reconcile").attempts_reconciled, 1);
  ASSERT_TRUE(b.engine.run_until_done(std::chrono::hours(1)));
  const Contact after = *storage->get_contact(id);
  EXPECT_TRUE(is_final(after.status)) << to_string(after.status);
  EXPECT_EQ(after.attempts, 2);
  EXPECT_EQ(census(*storage).open, 0u);
}

// Two engines run one campaign; one dies with calls in flight after scheduling retries the other
// never heard of (each engine waits only for the retries it scheduled itself). The survivor,
// once it has closed the dead engine's calls, wakes for those retries too and completes the
// campaign rather than idling with them due.
TEST_P(ReconcileTest, ASurvivorDialsTheRetriesADeadEngineScheduled) {
  // Engines wake for each other's expiring leases only where they claim leases ahead of their
  // launches (a database backend); the memory backend has no other process to share with.
  if (GetParam() == "memory") GTEST_SKIP() << "needs leases claimed ahead (a database backend)";
  const TimePoint start = parse_utc("2026-05-04T09:00:00Z");
  CampaignConfig later = small_campaign();
  for (auto& [disposition, rule] : later.retry_rules) rule.delay = std::chrono::hours(1);
  // The dead engine's calls are closed as FAILED, final here: no retry of theirs wakes the
  // survivor either.
  later.retry_rules.erase(Disposition::kFailed);
  auto storage_a = open();
  auto storage_b = open();
  VirtualClock clock_a(start), clock_b(start);
  // node-b's agents log in only after node-a died: until then it has dialled nothing, so no
  // retry of its own wakes it.
  // Leases read on one clock both engines share (node-b's, which node-a's keeps up with). Every
  // call of node-b's is a live answer, so no retry of its own wakes it for node-a's.
  Node b(storage_b.get(), &clock_b, 52, "node-b", 0, false, &clock_b, all_live_world(52));
  b.engine.add_campaign(later);
  std::size_t open_at_death = 0;
  {
    Node a(storage_a.get(), &clock_a, 51, "node-a", 50, true, &clock_b);
    a.engine.add_campaign(later);
    a.engine.start_campaign("reconcile");
    b.engine.start_campaign("reconcile");
    for (int second = 0; second < 61 * 60 + 30; ++second) {
      a.engine.run_for(std::chrono::seconds(1));
      b.engine.run_for(std::chrono::seconds(1));
    }
    open_at_death = census(*storage_a).open;
    ASSERT_GT(open_at_death, 0u) << "node-a must die with calls in flight";
    a.sim.stop();
  }
  for (int i = 0; i < 10; ++i) {
    b.engine.set_agent_state(b.engine.add_agent("reconcile", "b"), AgentState::kAvailable);
  }
  ASSERT_TRUE(b.engine.run_until_done(std::chrono::hours(48)));
  auto stats = b.engine.statistics("reconcile");
  EXPECT_EQ(static_cast<std::size_t>(stats.attempts_reconciled), open_at_death);
  EXPECT_EQ(stats.contacts_final, 200u);
  Census after = census(*storage_b);
  EXPECT_EQ(after.open, 0u);
  EXPECT_TRUE(after.ids_unique);
  EXPECT_TRUE(after.attempts_match_contacts);
}

// An engine that stops normally leaves the retries it scheduled in storage, waited for by no
// other engine: one still running on the campaign reads the stored schedule when its refill
// comes up short, and dials them when they fall due.
TEST_P(ReconcileTest, ASurvivorDialsTheRetriesAStoppedEngineScheduled) {
  if (GetParam() == "memory") GTEST_SKIP() << "needs leases claimed ahead (a database backend)";
  const TimePoint start = parse_utc("2026-05-04T09:00:00Z");
  CampaignConfig later = small_campaign();
  for (auto& [disposition, rule] : later.retry_rules) rule.delay = std::chrono::hours(1);
  auto storage_a = open();
  auto storage_b = open();
  VirtualClock clock_a(start), clock_b(start);
  // node-b's calls are all live answers: no retry of its own wakes it for node-a's.
  Node b(storage_b.get(), &clock_b, 62, "node-b", 0, false, &clock_b, all_live_world(62));
  b.engine.add_campaign(later);
  {
    Node a(storage_a.get(), &clock_a, 61, "node-a", 50, true, &clock_b);
    a.engine.add_campaign(later);
    a.engine.start_campaign("reconcile");
    b.engine.start_campaign("reconcile");
    for (int second = 0; second < 30 * 60; ++second) {
      a.engine.run_for(std::chrono::seconds(1));
      b.engine.run_for(std::chrono::seconds(1));
    }
    a.engine.stop_campaign("reconcile");
    for (int second = 0; second < 5 * 60; ++second) {  // node-a's calls in flight end
      a.engine.run_for(std::chrono::seconds(1));
      b.engine.run_for(std::chrono::seconds(1));
    }
    ASSERT_EQ(census(*storage_a).open, 0u);
    a.sim.stop();
  }
  std::size_t scheduled = 0;
  ContactScan all;
  all.campaign_id = "reconcile";
  all.dialable_only = false;
  storage_b->scan_contact_views(all, [&](const ContactView& v) -> ScanStep {
    scheduled += v.status == ContactStatus::kRetry;
    return ScanStep::next();
  });
  ASSERT_GT(scheduled, 0u) << "node-a must stop with retries scheduled";
  for (int i = 0; i < 10; ++i) {
    b.engine.set_agent_state(b.engine.add_agent("reconcile", "b"), AgentState::kAvailable);
  }
  ASSERT_TRUE(b.engine.run_until_done(std::chrono::hours(48)));
  EXPECT_EQ(b.engine.statistics("reconcile").contacts_final, 200u);
  Census after = census(*storage_b);
  EXPECT_EQ(after.open, 0u);
  EXPECT_TRUE(after.ids_unique);
  EXPECT_TRUE(after.attempts_match_contacts);
}

// The most contacts of the campaign that have two attempts open at once (in two calls).
std::size_t contacts_in_two_calls(Storage& storage) {
  std::map<ContactId, int> open;
  storage.scan_open_attempts("reconcile", [&](const Attempt& a) {
    ++open[a.contact_id];
    return true;
  });
  std::size_t doubled = 0;
  for (const auto& [contact, n] : open) doubled += n > 1;
  return doubled;
}

// Two engines share a storage, each on its own virtual clock, one six hours ahead of the other
// (simulations started at different moments, or run at different speeds). Runs them side by
// side and returns how often a contact was found in two calls at once.
std::size_t run_engines_on_disagreeing_clocks(ReconcileTest& test, Storage& storage_a,
                                              Storage& storage_b, const Clock* lease_clock,
                                              VirtualClock* lease_driver, Census* after) {
  VirtualClock clock_a(parse_utc("2026-05-04T09:00:00Z"));
  VirtualClock clock_b(parse_utc("2026-05-04T15:00:00Z"));
  Node a(&storage_a, &clock_a, 31, "node-a", 10, true, lease_clock);
  Node b(&storage_b, &clock_b, 32, "node-b", 10, false, lease_clock);
  a.engine.start_campaign("reconcile");
  b.engine.start_campaign("reconcile");
  std::size_t doubled = 0;
  for (int second = 0; second < 1800; ++second) {
    a.engine.run_for(std::chrono::seconds(1));
    b.engine.run_for(std::chrono::seconds(1));
    if (lease_driver) lease_driver->advance_to(lease_driver->now() + std::chrono::seconds(1));
    if (second % 10 == 0) doubled += contacts_in_two_calls(storage_a);
  }
  a.sim.stop();
  b.sim.stop();
  *after = census(storage_a);
  return doubled;
}

// With leases read on one clock both engines share, neither takes the other's leases for expired:
// no contact is ever in two calls at once, no attempt number is recorded twice, and no call of
// the live engine is closed as a dead engine's.
TEST_P(ReconcileTest, EnginesOnClocksThatDisagreeNeverShareAContact) {
  VirtualClock lease_clock(parse_utc("2030-01-01T00:00:00Z"));
  auto storage_a = open();
  auto storage_b = open();
  Census after;
  EXPECT_EQ(run_engines_on_disagreeing_clocks(*this, *storage_a, *storage_b, &lease_clock,
                                              &lease_clock, &after),
            0u);
  EXPECT_TRUE(after.ids_unique);
  EXPECT_TRUE(after.attempts_match_contacts);
  EXPECT_GT(after.attempts, 200);
  long reconciled = 0;
  storage_a->scan_journal("reconcile", [&](const JournalEntry& e) {
    reconciled += e.kind == "reconciled";
    return true;
  });
  EXPECT_EQ(reconciled, 0);
}

// The same engines with leases on their own clocks: the engine six hours ahead takes the other's
// leases for long expired and closes its live calls as a dead engine's — what the shared lease
// clock prevents. Storage still refuses it the contacts of those calls while they are open, so
// no contact is in two calls at once even then.
TEST_P(ReconcileTest, EnginesOnClocksThatDisagreeCloseLiveCallsWithoutALeaseClock) {
  auto storage_a = open();
  auto storage_b = open();
  Census after;
  EXPECT_EQ(
      run_engines_on_disagreeing_clocks(*this, *storage_a, *storage_b, nullptr, nullptr, &after),
      0u);
  long reconciled = 0;
  storage_a->scan_journal("reconcile", [&](const JournalEntry& e) {
    reconciled += e.kind == "reconciled";
    return true;
  });
  EXPECT_GT(reconciled, 0);
}

// Counts the lease claims reaching storage.
class ClaimCounter : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    ++claims;
    return StorageWrapper::claim_leases(ids, owner, now, ttl);
  }
  int claims = 0;
};

// On a database with leases read on a shared clock, the leases of a refill's entries are claimed
// in one statement, not one per launch; stopping the campaign releases those of the entries it
// never dialled, so no other engine waits for them to expire.
TEST_P(ReconcileTest, LeasesAreClaimedPerRefillAndReleasedWhenTheCampaignStops) {
  VirtualClock clock(parse_utc("2026-05-04T09:00:00Z"));
  VirtualClock lease_clock(parse_utc("2030-01-01T00:00:00Z"));
  auto storage = open();
  ClaimCounter counted(storage.get());
  Node a(&counted, &clock, 41, "node-a", 10, true, &lease_clock);
  a.engine.start_campaign("reconcile");
  a.engine.run_for(std::chrono::minutes(10));
  const Census during = census(*storage);
  ASSERT_GT(during.attempts, 100);
  if (GetParam() == "sqlite") {
    // A claim per refill, and one per renewal of the calls' leases (here every 15 s, as the
    // lease clock stands still): about 40 in ten minutes, against 130 launches.
    EXPECT_LT(counted.claims, during.attempts / 2);
  } else {
    EXPECT_GE(counted.claims, during.attempts);  // memory: one claim per launch, as before
  }
  a.engine.stop_campaign("reconcile");
  a.engine.run_for(std::chrono::minutes(5));  // the calls in flight end
  a.engine.run_for(std::chrono::milliseconds(1));
  const Census after = census(*storage);
  EXPECT_EQ(after.open, 0u);
  ContactScan all;
  all.campaign_id = "reconcile";
  all.dialable_only = false;
  std::vector<ContactId> ids;
  storage->scan_contacts(all, [&](const Contact& c) {
    ids.push_back(c.id);
    return true;
  });
  ASSERT_EQ(ids.size(), 200u);
  int still_held = 0;
  for (ContactId id : ids) {
    auto lease = storage->get_lease(id);
    still_held += lease && lease->owner == "node-a" && lease->expiry > lease_clock.now();
  }
  EXPECT_EQ(still_held, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReconcileTest, ::testing::Values("memory", "sqlite"));

// Storage that refuses every write while `down` is set (a database gone away).
class FlakyStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  bool down = false;
  void check() {
    if (down) throw Error(ErrorCode::kStorage, "flaky storage: connection lost");
  }
  void update_contact(const Contact& c) override {
    check();
    StorageWrapper::update_contact(c);
  }
  void put_attempt(const Attempt& a) override {
    check();
    StorageWrapper::put_attempt(a);
  }
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    check();
    return StorageWrapper::claim_leases(ids, owner, now, ttl);
  }
};

TEST(StorageOutage, FinishedAttemptsAreKeptAndWrittenWhenStorageReturns) {
  VirtualClock clock(parse_utc("2026-05-04T09:00:00Z"));
  auto memory = make_memory_storage();
  FlakyStorage flaky(memory.get());
  Node node(&flaky, &clock, 21, "node-f", 10, true);
  node.engine.start_campaign("reconcile");
  node.engine.run_for(std::chrono::minutes(5));
  flaky.down = true;
  node.engine.run_for(std::chrono::minutes(3));
  auto during = node.engine.statistics("reconcile");
  EXPECT_GT(during.completions_unsaved, 0u);
  flaky.down = false;
  bool done = node.engine.run_until_done(std::chrono::hours(24));
  auto stats = node.engine.statistics("reconcile");
  ASSERT_TRUE(done) << "in flight " << stats.attempts_in_flight << ", unsaved "
                    << stats.completions_unsaved << ", final " << stats.contacts_final << ", queue "
                    << stats.dial_queue_size << ", pending timers " << clock.pending();
  EXPECT_EQ(stats.completions_unsaved, 0u);
  EXPECT_EQ(stats.attempts_reconciled, 0);
  Census after = census(flaky);
  EXPECT_EQ(after.open, 0u);
  EXPECT_EQ(after.attempts, stats.attempts);
  EXPECT_TRUE(after.ids_unique);
  EXPECT_EQ(stats.contacts_final, 200u);
}

}  // namespace
}  // namespace omnivox
