// Lease throughput of the persistent backends from 1, 2 and 4 processes (benchmarks/README.md).
//
//   omnivox_lease_bench [--backend postgres|sqlite|both] [--contacts N] [--batch B]
//                       [--seconds S] [--processes 1,2,4] [--release batch|each]
//
// Loads N contacts into one campaign through Storage::add_contact; records attempts for S seconds
// from one process, B at a time (put_attempts: one write batch each); then for each process count
// P forks P workers; each opens its own Storage (its own connection) on the same database and,
// for S seconds, walks the contact ids in batches of B starting at its own offset (so the
// workers overlap and contend as engines on one campaign do): claim_leases(batch), then
// release_leases of what it got (--release each: release_lease per contact). A second phase ("claim
// only") claims with a 1 ms time-to-live and a clock that moves on each pass, so every claim finds
// an expired lease and takes it over (the ON CONFLICT DO UPDATE path) without releasing.
//
// PostgreSQL: a throwaway PostgreSQL 15 cluster (tests/support/pg_test_cluster.h, fsync off),
// reached over its Unix socket. SQLite: one file in WAL mode, synchronous=NORMAL.
// Prints one line per (backend, phase, processes): contacts per second summed over workers.
//
//   omnivox_lease_bench --bank examples/campaigns/bank.json [--backend postgres|sqlite|both]
//
// Where a campaign's time goes on a backend: runs the campaign file (simulated, virtual time,
// agents on their shifts as `omnivox run` has them) on a fresh database through a Storage
// wrapper that counts the calls reaching the backend below the engine's group commit, and
// prints per kind of call: calls, calls per attempt, rows and wall time spent in them. On
// PostgreSQL each call is one round trip (a scan: one per page).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/postgres_storage.h"
#include "omnivox/sim.h"
#include "omnivox/sqlite_storage.h"
#include "pg_test_cluster.h"

namespace {

using namespace omnivox;
using SteadyClock = std::chrono::steady_clock;

struct Config {
  std::string backend = "both";
  int contacts = 20000;
  int batch = 500;
  double seconds = 5.0;
  std::vector<int> processes = {1, 2, 4};
  bool release_each = false;  // release_lease per contact instead of one release_leases
};

struct WorkerResult {
  long long claimed = 0;    // contacts claimed (and, in the release phase, released)
  long long requested = 0;  // contacts asked for
  long long batches = 0;
};

using Opener = std::unique_ptr<Storage> (*)(const std::string&);

std::unique_ptr<Storage> open_pg(const std::string& where) {
  PostgresStorageOptions o;
  o.keep_journal = false;
  return make_postgres_storage(where, o);
}
std::unique_ptr<Storage> open_sqlite(const std::string& where) {
  SqliteStorageOptions o;
  o.keep_journal = false;
  o.busy_timeout_ms = 60000;
  return make_sqlite_storage(where, o);
}

WorkerResult work(Opener open, const std::string& where, int worker, int workers, const Config& cfg,
                  bool release, int run, int start_fd) {
  auto storage = open(where);
  char go;
  if (::read(start_fd, &go, 1) != 1) std::_Exit(2);  // start together
  WorkerResult r;
  const std::string owner = "run" + std::to_string(run) + "-w" + std::to_string(worker);
  // Each run starts an hour after the previous one: earlier runs' leases have all expired.
  TimePoint now = TimePoint(Duration(1'780'000'000'000LL + run * 3'600'000LL));
  const Duration ttl = release ? Duration(30'000) : Duration(1);
  std::vector<ContactId> ids;
  int next = 1 + (cfg.contacts / workers) * worker;
  const auto end = SteadyClock::now() + std::chrono::duration<double>(cfg.seconds);
  while (SteadyClock::now() < end) {
    ids.clear();
    for (int i = 0; i < cfg.batch; ++i) {
      ids.push_back(static_cast<ContactId>(next));
      next = next % cfg.contacts + 1;
    }
    if (!release) now += Duration(1);  // every lease of the previous pass has expired
    auto got = storage->claim_leases(ids, owner, now, ttl);
    if (release && cfg.release_each) {
      for (ContactId id : got) storage->release_lease(id, owner);
    } else if (release) {
      storage->release_leases(got, owner);
    }
    r.claimed += static_cast<long long>(got.size());
    r.requested += cfg.batch;
    ++r.batches;
  }
  return r;
}

// Forks `workers` processes, starts them together, returns the summed results and wall time.
std::pair<WorkerResult, double> run_workers(Opener open, const std::string& where, int workers,
                                            const Config& cfg, bool release, int run) {
  int start[2], results[2];
  if (::pipe(start) != 0 || ::pipe(results) != 0) std::exit(1);
  std::vector<pid_t> pids;
  for (int w = 0; w < workers; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(start[1]);
      ::close(results[0]);
      int code = 0;
      try {
        WorkerResult r = work(open, where, w, workers, cfg, release, run, start[0]);
        if (::write(results[1], &r, sizeof r) != sizeof r) code = 3;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker %d: %s\n", w, e.what());
        code = 1;
      }
      std::_Exit(code);  // no destructors: the parent owns the cluster
    }
    pids.push_back(pid);
  }
  ::close(start[0]);
  ::close(results[1]);
  ::usleep(300'000);  // let the workers connect
  auto t0 = SteadyClock::now();
  std::string go(static_cast<std::size_t>(workers), 'g');
  if (::write(start[1], go.data(), go.size()) != static_cast<ssize_t>(go.size())) std::exit(1);
  WorkerResult total;
  for (int w = 0; w < workers; ++w) {
    WorkerResult r;
    if (::read(results[0], &r, sizeof r) != sizeof r) {
      std::fprintf(stderr, "a worker failed\n");
      std::exit(1);
    }
    total.claimed += r.claimed;
    total.requested += r.requested;
    total.batches += r.batches;
  }
  double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  ::close(start[1]);
  ::close(results[0]);
  return {total, wall};
}

void bench_backend(const std::string& name, Opener open, const std::string& where,
                   const Config& cfg) {
  {
    auto storage = open(where);
    auto t0 = SteadyClock::now();
    for (int i = 0; i < cfg.contacts; ++i) {
      Contact c;
      c.campaign_id = "bench";
      c.external_id = std::to_string(i);
      c.numbers.push_back(PhoneNumber{"+1555" + std::to_string(1000000 + i)});
      storage->add_contact(c);
    }
    double s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    std::printf("%-8s load: %d contacts through add_contact in %.1f s (%.0f contacts/s)\n",
                name.c_str(), cfg.contacts, s, cfg.contacts / s);
  }
  {
    // Attempts recorded: put_attempts of `batch` new attempts at a time (one write batch each:
    // on PostgreSQL one statement), from one process, for the configured seconds.
    auto storage = open(where);
    long long recorded = 0;
    const auto t0 = SteadyClock::now();
    const auto end = t0 + std::chrono::duration<double>(cfg.seconds);
    std::vector<Attempt> attempts(static_cast<std::size_t>(cfg.batch));
    while (SteadyClock::now() < end) {
      std::vector<CallId> ids = storage->allocate_call_ids(attempts.size());
      for (std::size_t i = 0; i < attempts.size(); ++i) {
        Attempt& a = attempts[i];
        a.call_id = ids[i];
        a.contact_id =
            static_cast<ContactId>(1 + (recorded + static_cast<long long>(i)) % cfg.contacts);
        a.campaign_id = "bench";
        a.number = "+15551000000";
        a.attempt_number = 1;
        a.state = CallState::kNoAnswer;
        a.disposition = Disposition::kNoAnswer;
        a.created_at = TimePoint(std::chrono::seconds(1'800'000'000));
        a.ended_at = a.created_at + std::chrono::seconds(30);
      }
      storage->put_attempts(attempts);
      recorded += static_cast<long long>(attempts.size());
    }
    const double s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    std::printf(
        "%-8s attempts recorded   processes=1 batch=%d: %9.0f attempts/s (%lld in %.1f s)\n",
        name.c_str(), cfg.batch, recorded / s, recorded, s);
    std::fflush(stdout);
  }
  int run = 0;
  for (bool release : {true, false}) {
    for (int p : cfg.processes) {
      auto [r, wall] = run_workers(open, where, p, cfg, release, ++run);
      std::printf(
          "%-8s %-20s processes=%d batch=%d: %9.0f contacts/s (%lld claimed of %lld asked, "
          "%lld batches, %.1f s)\n",
          name.c_str(),
          !release           ? "claim only (expired)"
          : cfg.release_each ? "claim+release each"
                             : "claim+release batch",
          p, cfg.batch, r.claimed / wall, r.claimed, r.requested, r.batches, wall);
      std::fflush(stdout);
    }
  }
}

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace

// ---- --bank: storage calls per attempt ----

// Counts and times the calls that reach `target`.
class CountingStorage final : public StorageWrapper {
 public:
  struct Count {
    long long calls = 0;
    long long rows = 0;  // contacts, ids or writes the calls carried or visited
    double seconds = 0;
  };
  using StorageWrapper::StorageWrapper;
  const std::map<std::string, Count>& counts() const { return counts_; }

  template <typename Fn>
  auto timed(const char* kind, std::size_t rows, Fn&& fn) {
    const auto t0 = SteadyClock::now();
    Count& c = counts_[kind];
    ++c.calls;
    c.rows += static_cast<long long>(rows);
    auto out = fn();
    c.seconds += std::chrono::duration<double>(SteadyClock::now() - t0).count();
    return out;
  }

  bool read_contact(ContactId id, Contact& out) override {
    return timed("read_contact", 1, [&] { return target()->read_contact(id, out); });
  }
  std::optional<Contact> get_contact(ContactId id) override {
    return timed("get_contact", 1, [&] { return target()->get_contact(id); });
  }
  void update_contact(const Contact& c) override {
    timed("update_contact", 1, [&] { return (target()->update_contact(c), 0); });
  }
  // A scan's rows are the contacts it visited.
  template <typename Fn>
  std::size_t timed_scan(const char* kind, Fn&& scan) {
    const std::size_t n = timed(kind, 0, scan);
    counts_[kind].rows += static_cast<long long>(n);
    return n;
  }
  std::size_t scan_contact_views(const ContactScan& s,
                                 const std::function<ScanStep(const ContactView&)>& v) override {
    return timed_scan("scan_contact_views", [&] { return target()->scan_contact_views(s, v); });
  }
  std::size_t contact_count(std::string_view id) override {
    return timed("contact_count", 1, [&] { return target()->contact_count(id); });
  }
  std::vector<std::size_t> count_by_status(std::string_view id) override {
    return timed("count_by_status", 1, [&] { return target()->count_by_status(id); });
  }
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    return timed("claim_leases", ids.size(),
                 [&] { return target()->claim_leases(ids, owner, now, ttl); });
  }
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override {
    return timed("renew_lease", 1, [&] { return target()->renew_lease(id, owner, now, ttl); });
  }
  void release_lease(ContactId id, std::string_view owner) override {
    timed("release_lease", 1, [&] { return (target()->release_lease(id, owner), 0); });
  }
  std::optional<Lease> get_lease(ContactId id) override {
    return timed("get_lease", 1, [&] { return target()->get_lease(id); });
  }
  std::vector<CallId> allocate_call_ids(std::size_t n) override {
    return timed("allocate_call_ids", n, [&] { return target()->allocate_call_ids(n); });
  }
  void put_attempt(const Attempt& a) override {
    timed("put_attempt", 1, [&] { return (target()->put_attempt(a), 0); });
  }
  std::vector<Attempt> attempts_of(ContactId id) override {
    return timed("attempts_of", 1, [&] { return target()->attempts_of(id); });
  }
  bool is_dnc(std::string_view campaign, std::string_view e164) override {
    return timed("is_dnc", 1, [&] { return target()->is_dnc(campaign, e164); });
  }
  void put_abandon_counts(std::string_view campaign, std::string_view owner,
                          std::span<const AbandonBucket> buckets) override {
    timed("put_abandon_counts", buckets.size(),
          [&] { return (target()->put_abandon_counts(campaign, owner, buckets), 0); });
  }
  AbandonCounts abandon_counts(std::string_view campaign, TimePoint from, TimePoint to) override {
    return timed("abandon_counts", 1, [&] { return target()->abandon_counts(campaign, from, to); });
  }
  void write_batch(const StorageWriteBatch& b) override {
    timed("write_batch", b.size(), [&] { return (target()->write_batch(b), 0); });
    // The batch's rows by kind: calls are the batches that carried any.
    auto carried = [&](const char* kind, std::size_t rows) {
      if (rows == 0) return;
      Count& c = counts_[kind];
      ++c.calls;
      c.rows += static_cast<long long>(rows);
    };
    carried("write_batch.attempts", b.attempts.size());
    carried("write_batch.contacts", b.contacts.size());
    carried("write_batch.journal", b.journal.size());
    carried("write_batch.released", b.released.size());
  }
  std::size_t scan_contacts(const ContactScan& s,
                            const std::function<bool(const Contact&)>& v) override {
    return timed_scan("scan_contacts", [&] { return target()->scan_contacts(s, v); });
  }
  void defer_contacts(std::string_view campaign, std::span<const ContactId> ids,
                      TimePoint until) override {
    timed("defer_contacts", ids.size(),
          [&] { return (target()->defer_contacts(campaign, ids, until), 0); });
  }
  std::vector<ContactId> claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                   std::string_view owner, TimePoint now,
                                                   Duration ttl) override {
    return timed("claim_leases_to_reconcile", ids.size(),
                 [&] { return target()->claim_leases_to_reconcile(ids, owner, now, ttl); });
  }
  void release_leases(std::span<const ContactId> ids, std::string_view owner) override {
    timed("release_leases", ids.size(), [&] { return (target()->release_leases(ids, owner), 0); });
  }
  std::optional<TimePoint> earliest_lease_expiry(std::string_view campaign, std::string_view owner,
                                                 TimePoint now) override {
    return timed("earliest_lease_expiry", 1,
                 [&] { return target()->earliest_lease_expiry(campaign, owner, now); });
  }
  void scan_attempts(std::string_view campaign,
                     const std::function<bool(const Attempt&)>& v) override {
    timed("scan_attempts", 1, [&] { return (target()->scan_attempts(campaign, v), 0); });
  }
  void scan_open_attempts(std::string_view campaign,
                          const std::function<bool(const Attempt&)>& v) override {
    timed("scan_open_attempts", 1, [&] { return (target()->scan_open_attempts(campaign, v), 0); });
  }

 private:
  std::map<std::string, Count> counts_;
};

// Runs the campaign file on `storage` as `omnivox run` does (virtual clock, agents on shift,
// leases on the wall clock) and prints the calls per attempt.
void bench_bank(const std::string& name, std::unique_ptr<Storage> backend,
                const std::string& campaign_path) {
  CampaignFile file = load_campaign_file(campaign_path);
  if (file.simulation.replay) {
    file.simulation.replay->records = ReplayWorld::load_bank_csv(file.replay_path).records;
  }
  CountingStorage storage(backend.get());
  std::unique_ptr<omnivox::Clock> wall = make_system_clock();
  VirtualClock clock(file.start);
  Simulator sim(file.simulation, &clock);
  EngineOptions options;
  options.journal_state_changes = false;
  options.lease_clock = wall.get();
  Engine engine(options, &storage, &sim, &clock, &sim);
  sim.attach(&engine);
  engine.add_campaign(file.campaign);
  engine.import_contacts(file.campaign.id, "main", file.contacts_path, file.import);
  const std::map<std::string, CountingStorage::Count> after_import = storage.counts();
  std::vector<AgentId> agents;
  for (int i = 0; i < file.agents; ++i) {
    agents.push_back(engine.add_agent(file.campaign.id, "agent-" + std::to_string(i + 1)));
  }
  TimeZoneMap& zones = engine.time_zones();
  CallWindow off_shift;  // from each shift's end to midnight
  for (int day = 0; day < 7; ++day) {
    const LocalTimeRange& r = file.agent_shift.by_weekday[day];
    off_shift.by_weekday[day] = r.closed() || r.end_minute >= 24 * 60
                                    ? LocalTimeRange{}
                                    : LocalTimeRange{r.end_minute, 24 * 60};
  }
  const std::string& zone = file.campaign.fallback_time_zone;
  const TimePoint end = file.start + file.max_duration;
  bool done = false;
  std::function<void(bool)> shift = [&](bool starting) {
    if (done) return;
    for (AgentId id : agents) {
      engine.set_agent_state(id, starting ? AgentState::kAvailable : AgentState::kLoggedOut);
    }
    TimePoint t = clock.now() + std::chrono::minutes(1);
    auto next = zones.next_open(kUnknownZoneSet, starting ? off_shift : file.agent_shift, t, zone);
    if (next && *next < end) clock.schedule_at(*next, [&shift, starting] { shift(!starting); });
  };
  if (zones.is_open(kUnknownZoneSet, file.agent_shift, file.start, zone)) {
    shift(true);
  } else if (auto first = zones.next_open(kUnknownZoneSet, file.agent_shift, file.start, zone)) {
    clock.schedule_at(*first, [&shift] { shift(true); });
  }
  engine.start_campaign(file.campaign.id);
  const auto t0 = SteadyClock::now();
  TimePoint next_sample = file.start;
  while (clock.now() < end) {
    engine.run_for(std::min(end, next_sample) - clock.now());
    if (clock.now() >= next_sample) next_sample += std::chrono::minutes(15);
    if (clock.pending() == 0) break;
    if (!done) {  // the statistics `omnivox run` samples every 15 virtual minutes
      CampaignStatistics s = engine.statistics(file.campaign.id);
      done = s.contacts_final == s.contacts_total && s.attempts_in_flight == 0;
    }
  }
  const double wall_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const double attempts = static_cast<double>(engine.statistics(file.campaign.id).attempts);
  std::printf("%s: %.0f attempts in %.1f s wall (the run, without the import)\n", name.c_str(),
              attempts, wall_s);
  std::printf("  %-20s %10s %9s %10s %9s %9s\n", "call", "calls", "/attempt", "rows", "s",
              "us/call");
  double total = 0;
  for (const auto& [kind, all] : storage.counts()) {
    CountingStorage::Count c = all;
    if (auto it = after_import.find(kind); it != after_import.end()) {
      c.calls -= it->second.calls;
      c.rows -= it->second.rows;
      c.seconds -= it->second.seconds;
    }
    if (c.calls == 0) continue;
    total += c.seconds;
    std::printf("  %-20s %10lld %9.3f %10lld %9.2f %9.1f\n", kind.c_str(), c.calls,
                static_cast<double>(c.calls) / attempts, c.rows, c.seconds,
                1e6 * c.seconds / static_cast<double>(c.calls));
  }
  std::printf("  in storage: %.1f s of %.1f s\n", total, wall_s);
}

int main(int argc, char** argv) {
  Config cfg;
  std::string bank;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--backend")
      cfg.backend = v;
    else if (k == "--contacts")
      cfg.contacts = std::atoi(v.c_str());
    else if (k == "--batch")
      cfg.batch = std::atoi(v.c_str());
    else if (k == "--seconds")
      cfg.seconds = std::atof(v.c_str());
    else if (k == "--processes")
      cfg.processes = parse_list(v);
    else if (k == "--release")
      cfg.release_each = v == "each";
    else if (k == "--bank")
      bank = v;
    else {
      std::fprintf(stderr,
                   "usage: omnivox_lease_bench [--backend postgres|sqlite|both] [--contacts N] "
                   "[--batch B] [--seconds S] [--processes 1,2,4] [--release batch|each] "
                   "[--bank CAMPAIGN_FILE]\n");
      return 1;
    }
  }
  try {
    if (!bank.empty()) {
      if (cfg.backend == "sqlite" || cfg.backend == "both") {
        namespace fs = std::filesystem;
        fs::path dir =
            fs::temp_directory_path() / ("omnivox-bank-calls-" + std::to_string(getpid()));
        fs::create_directories(dir);
        bench_bank("sqlite", make_sqlite_storage((dir / "bank.db").string()), bank);
        fs::remove_all(dir);
      }
      if (cfg.backend == "postgres" || cfg.backend == "both") {
        omnivox::testing::PgTestCluster cluster;
        cluster.create_database("bank_calls");
        bench_bank("postgres", make_postgres_storage(cluster.conninfo("bank_calls")), bank);
      }
      return 0;
    }
    if (cfg.backend == "postgres" || cfg.backend == "both") {
      omnivox::testing::PgTestCluster cluster;
      cluster.create_database("lease_bench");
      bench_backend("postgres", open_pg, cluster.socket_conninfo("lease_bench"), cfg);
    }
    if (cfg.backend == "sqlite" || cfg.backend == "both") {
      namespace fs = std::filesystem;
      fs::path dir =
          fs::temp_directory_path() / ("omnivox-lease-bench-" + std::to_string(getpid()));
      fs::create_directories(dir);
      bench_backend("sqlite", open_sqlite, (dir / "bench.db").string(), cfg);
      fs::remove_all(dir);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omnivox_lease_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
