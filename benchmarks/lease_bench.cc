// Lease throughput of the persistent backends from 1, 2 and 4 processes (benchmarks/README.md).
//
//   omnivox_lease_bench [--backend postgres|sqlite|both] [--contacts N] [--batch B]
//                       [--seconds S] [--processes 1,2,4] [--release batch|each]
//
// Loads N contacts into one campaign through Storage::add_contact, then for each process count
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
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "omnivox/postgres_storage.h"
#include "omnivox/sqlite_storage.h"
#include "pg_test_cluster.h"

namespace {

using namespace omnivox;
using Clock = std::chrono::steady_clock;

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
  const auto end = Clock::now() + std::chrono::duration<double>(cfg.seconds);
  while (Clock::now() < end) {
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
  auto t0 = Clock::now();
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
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
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
    auto t0 = Clock::now();
    for (int i = 0; i < cfg.contacts; ++i) {
      Contact c;
      c.campaign_id = "bench";
      c.external_id = std::to_string(i);
      c.numbers.push_back(PhoneNumber{"+1555" + std::to_string(1000000 + i)});
      storage->add_contact(c);
    }
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("%-8s load: %d contacts through add_contact in %.1f s (%.0f contacts/s)\n",
                name.c_str(), cfg.contacts, s, cfg.contacts / s);
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

int main(int argc, char** argv) {
  Config cfg;
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
    else {
      std::fprintf(stderr,
                   "usage: omnivox_lease_bench [--backend postgres|sqlite|both] [--contacts N] "
                   "[--batch B] [--seconds S] [--processes 1,2,4] [--release batch|each]\n");
      return 1;
    }
  }
  try {
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
