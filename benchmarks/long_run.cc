// The long run: a simulated 30-day campaign of 1,000,000 contacts must complete with
// flat memory — no growth beyond the live working set once it is built.
//
//   omnivox_long_run [--contacts 1000000] [--days 30] [--agents 100]
//                    [--retention-hours 48] [--tolerance-percent 2] [--baseline-day 8]
//
// A parametric world (simulator defaults: 30 % live answers, 10 % machines, ...), POWER 3
// lines per idle agent, the calling window 09:00–21:00 in the contacts' zone (New York numbers),
// up to 3 attempts per contact with retries after 1 h (no answer, busy, machine). The memory
// storage keeps finished attempts for --retention-hours (MemoryStorageOptions::
// finished_attempt_retention; 0 = keep them all, which grows by design) and no journal.
//
// Prints, at the end of every simulated day, the resident set (/proc/self/statm) and the heap
// in use (mallinfo2: uordblks + hblkhd), attempts so far and contacts per status. Exits 1 when
// the resident set on any later day exceeds the one at --baseline-day by more than
// --tolerance-percent (the working set — contacts, indexes, retained attempts, pooled calls and
// the engine's per-agent 15-minute statistics series, which keep 7 days — is built by then: every
// retention window has filled), 2 on a bad argument.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "omnivox/engine.h"
#include "omnivox/sim.h"

namespace {

using namespace omnivox;

double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

double heap_mib() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd) / 1048576.0;
}

struct Args {
  long contacts = 1000000;
  int days = 30;
  int agents = 100;
  int retention_hours = 48;
  double tolerance_percent = 2.0;
  int baseline_day = 8;
};

bool parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (flag == "--contacts") {
      a->contacts = std::atol(v);
    } else if (flag == "--days") {
      a->days = std::atoi(v);
    } else if (flag == "--agents") {
      a->agents = std::atoi(v);
    } else if (flag == "--retention-hours") {
      a->retention_hours = std::atoi(v);
    } else if (flag == "--tolerance-percent") {
      a->tolerance_percent = std::atof(v);
    } else if (flag == "--baseline-day") {
      a->baseline_day = std::atoi(v);
    } else {
      return false;
    }
  }
  return a->contacts > 0 && a->days > 0 && a->agents > 0 && a->retention_hours >= 0 &&
         a->baseline_day >= 1 && a->baseline_day < a->days;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: omnivox_long_run [--contacts N] [--days D] [--agents A] "
                 "[--retention-hours H] [--tolerance-percent P] [--baseline-day B < D]\n");
    return 2;
  }
  const auto wall_start = std::chrono::steady_clock::now();
  SimulationOptions world;
  world.seed = 30;
  world.parametric.talk = Distribution::lognormal(120.0, 90.0);
  world.wrap_up = Distribution::fixed(10.0);
  MemoryStorageOptions storage_options;
  storage_options.keep_journal = false;
  storage_options.finished_attempt_retention =
      args.retention_hours > 0 ? Duration(std::chrono::hours(args.retention_hours))
                               : Duration::max();
  // Midnight in New York, a Monday.
  Simulation simulation(world, parse_utc("2026-06-01T04:00:00Z"),
                        Simulation::quiet_engine_options(), storage_options);
  Engine& engine = simulation.engine();
  CampaignConfig campaign;
  campaign.id = "long-run";
  campaign.dial_mode = DialMode::kPower;
  campaign.power_lines_per_agent = 3;
  campaign.compliance = ComplianceProfile::none();
  campaign.compliance.abandon_cap = 0.03;
  campaign.call_window = CallWindow::every_day(9 * 60, 21 * 60);
  campaign.fallback_time_zone = "America/New_York";
  campaign.max_attempts = 3;
  campaign.retry_rules[Disposition::kNoAnswer] = {false, std::chrono::hours(1)};
  campaign.retry_rules[Disposition::kBusy] = {false, std::chrono::hours(1)};
  campaign.retry_rules[Disposition::kMachine] = {false, std::chrono::hours(1)};
  engine.add_campaign(campaign);
  for (long i = 0; i < args.contacts; ++i) {
    Contact c;
    c.external_id = "L" + std::to_string(i);
    c.numbers.push_back(PhoneNumber{"+1212" + std::to_string(2000000 + i % 7000000)});
    c.time_zone = "America/New_York";
    engine.add_contact(campaign.id, std::move(c));
  }
  simulation.add_agents(campaign.id, args.agents);
  engine.start_campaign(campaign.id);
  std::printf(
      "long run: %ld contacts, %d agents, %d days, finished attempts kept %s; loaded in "
      "%.1f s, RSS %.0f MiB, heap %.0f MiB\n",
      args.contacts, args.agents, args.days,
      args.retention_hours > 0 ? (std::to_string(args.retention_hours) + " h").c_str() : "forever",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count(),
      resident_mib(), heap_mib());
  std::printf("%4s %10s %9s %9s  %s\n", "day", "attempts", "RSS MiB", "heap MiB",
              "contacts NEW/RETRY/CALLBACK/DONE/DNC/INVALID/EXHAUSTED");
  std::vector<double> rss(args.days + 1, 0.0);
  for (int day = 1; day <= args.days; ++day) {
    engine.run_for(std::chrono::hours(24));
    malloc_trim(0);  // return freed pages, so the RSS shows what is in use
    rss[day] = resident_mib();
    std::vector<std::size_t> by_status = simulation.storage().count_by_status(campaign.id);
    std::string statuses;
    for (std::size_t n : by_status) statuses += (statuses.empty() ? "" : "/") + std::to_string(n);
    std::printf("%4d %10ld %9.1f %9.1f  %s\n", day, engine.statistics(campaign.id).attempts,
                rss[day], heap_mib(), statuses.c_str());
    std::fflush(stdout);
  }
  const double base = rss[args.baseline_day];
  int peak_day = args.baseline_day;
  for (int day = args.baseline_day; day <= args.days; ++day) {
    if (rss[day] > rss[peak_day]) peak_day = day;
  }
  const double growth = 100.0 * (rss[peak_day] - base) / base;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf(
      "RSS day %d -> peak (day %d): %.1f -> %.1f MiB (%+.2f %%, tolerance %.1f %%); "
      "%.1f s wall\n",
      args.baseline_day, peak_day, base, rss[peak_day], growth, args.tolerance_percent, wall);
  if (growth > args.tolerance_percent) {
    std::printf("FAILED: memory grew beyond the working set\n");
    return 1;
  }
  std::printf("OK: memory flat\n");
  return 0;
}
