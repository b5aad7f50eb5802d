// The omnivox command-line tool.
//   omnivox run --campaign FILE [--contacts FILE] [--seed N] [--out DIR] [--realtime [--speed X]]
//               [--storage URL] [--tenant T] [--owner TOKEN] [--lease-ttl S] [--for S]
//   omnivox import --campaign FILE [--contacts FILE] [--storage URL] [--tenant T]
//   omnivox status --storage URL [--tenant T] [--campaign ID ...] [--json]
//   omnivox amd classify FILE.wav | --corpus DIR [--json]   (cli/amd_command.h)
//   omnivox serve --storage URL --listen HOST:PORT ...; omnivox token ... (cli/serve_command.h)
// Exit codes: 0 success, 1 the run failed, 2 bad usage or configuration (also an --out folder
// that cannot be written, found before the run starts). `omnivox run` stopped by SIGINT or
// SIGTERM stops dialing, lets the calls in progress end (hung up after the ring timeout plus a
// grace), writes its outputs and exits 128 + the signal's number (130, 143); a second signal
// exits at once.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/amd_command.h"
#include "cli/bench_command.h"
#include "cli/planning_commands.h"
#include "cli/run_command.h"
#include "cli/serve_command.h"
#include "cli/status_command.h"
#include "cli/twilio_command.h"
#include "omnivox/types.h"

namespace {

std::string number_text(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

// A finite number from lo to hi; with `lo_excluded`, above lo. CLI::Range is not enough: it lets
// "nan" through (every comparison with NaN is false), and a NaN duration never ends.
CLI::Validator finite_between(double lo, double hi, bool lo_excluded = false) {
  const std::string range = (lo_excluded ? "above " : "from ") + number_text(lo) +
                            (lo_excluded ? " and at most " : " to ") + number_text(hi);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        const bool whole_text = end != text.c_str() && *end == '\0';
        if (!whole_text || !std::isfinite(x) || x < lo || x > hi || (lo_excluded && x == lo)) {
          return "must be a number " + range + ", got '" + text + "'";
        }
        return std::string();
      },
      "NUMBER " + range);
}

// A whole number from 0 to 2^64 - 1: CLI11 would read "-1" as 2^64 - 1.
CLI::Validator unsigned_64() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t x = 0;
        const char* end = text.data() + text.size();
        const auto [stop, ec] = std::from_chars(text.data(), end, x);
        if (ec != std::errc() || stop != end) {
          return "must be a whole number from 0 to 18446744073709551615, got '" + text + "'";
        }
        return std::string();
      },
      "UINT64");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"omnivox — an embeddable dialler engine"};
  app.require_subcommand(1);

  omnivox::cli::RunArgs run_args;
  CLI::App* run =
      app.add_subcommand("run", "Run a campaign (simulated world, virtual time by default)");
  run->add_option("--campaign", run_args.campaign_path, "Campaign file (JSON)")->required();
  run->add_option("--contacts", run_args.contacts_path, "Contacts CSV (overrides the campaign's)");
  run->add_option("--seed", run_args.seed, "Simulation seed (overrides the campaign's)")
      ->check(unsigned_64());
  run->add_option("--out", run_args.out_dir,
                  "Output folder for call records and metrics (checked writable before the run)")
      ->capture_default_str();
  run->add_flag("--realtime", run_args.realtime, "Run at wall-clock pace instead of virtual time");
  run->add_option("--speed", run_args.speed, "With --realtime: virtual seconds per wall second")
      ->check(finite_between(0.01, 100000.0));
  run->add_flag("--quiet", run_args.quiet, "No progress display");
  auto add_storage_options = [](CLI::App* cmd, omnivox::cli::RunArgs& args) {
    cmd->add_option("--storage", args.storage_url,
                    "Storage URL: memory | sqlite:PATH | postgres://... (a stored campaign with "
                    "contacts is resumed, not re-imported)")
        ->capture_default_str();
    cmd->add_option("--tenant", args.tenant, "Tenant of the storage's records")
        ->capture_default_str();
  };
  add_storage_options(run, run_args);
  run->add_option("--owner", run_args.owner, "Lease owner token of this engine (default: random)");
  run->add_option("--lease-ttl", run_args.lease_ttl_s, "Lease time-to-live in seconds")
      ->check(finite_between(1.0, 86400.0));
  run->add_option("--for", run_args.wall_limit_s, "Stop after this many wall-clock seconds")
      ->check(finite_between(0.0, 1e9, /*lo_excluded=*/true));

  omnivox::cli::RunArgs import_args;
  CLI::App* import_cmd = app.add_subcommand(
      "import", "Store a campaign and its contacts (no dialing), for engines to run later");
  import_cmd->add_option("--campaign", import_args.campaign_path, "Campaign file (JSON)")
      ->required();
  import_cmd->add_option("--contacts", import_args.contacts_path,
                         "Contacts CSV (overrides the campaign's)");
  add_storage_options(import_cmd, import_args);
  import_args.import_only = true;

  omnivox::cli::StatusArgs status_args;
  CLI::App* status =
      app.add_subcommand("status", "Each campaign's progress in a storage, and why contacts wait");
  status->add_option("--storage", status_args.storage_url, "Storage URL")->required();
  status->add_option("--tenant", status_args.tenant, "Tenant")->capture_default_str();
  status->add_option("--campaign", status_args.campaigns, "Campaign id(s) (default: all)");
  status->add_flag("--json", status_args.json, "One JSON object instead of text");

  omnivox::cli::BenchArgs bench_args;
  CLI::App* bench = app.add_subcommand(
      "bench-pacing", "Compare pacing policies over many seeds (table, CSV and JSON)");
  bench->add_option("scenario", bench_args.scenario_path, "Scenario file (JSON)")->required();
  bench->add_option("--out", bench_args.out_dir, "Output folder")->capture_default_str();
  bench->add_option("--seeds", bench_args.seeds, "Replications (overrides the scenario's)")
      ->check(CLI::Range(1, 1000));
  bench
      ->add_option("--hours", bench_args.hours,
                   "Simulated hours per run (overrides the scenario's)")
      ->check(finite_between(0.0, 24.0 * 3650, /*lo_excluded=*/true));
  bench->add_option("--cap", bench_args.cap, "Abandon cap, a fraction (overrides the profile's)")
      ->check(finite_between(0.001, 0.5));
  bench->add_option("--policy", bench_args.policies, "Policies (overrides the scenario's)");
  bench
      ->add_option("--warm-up", bench_args.warm_up_hours,
                   "Also report occupancy after the first H hours (the steady state the "
                   "optimum describes)")
      ->check(finite_between(0.0, 24.0 * 3650));

  auto run_planning = omnivox::cli::add_planning_commands(app);
  auto run_twilio = omnivox::cli::add_twilio_commands(app);
  auto run_amd = omnivox::cli::add_amd_commands(app);
  auto run_serve = omnivox::cli::add_serve_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (*run) return omnivox::cli::run_command(run_args);
    if (*import_cmd) return omnivox::cli::run_command(import_args);
    if (*status) return omnivox::cli::status_command(status_args);
    if (*bench) return omnivox::cli::bench_command(bench_args);
    int code = run_planning();
    if (code >= 0) return code;
    code = run_twilio();
    if (code >= 0) return code;
    code = run_amd();
    if (code >= 0) return code;
    code = run_serve();
    if (code >= 0) return code;
  } catch (const omnivox::Error& e) {
    std::fprintf(stderr, "omnivox: error: %s\n", e.what());
    return e.code() == omnivox::ErrorCode::kConfig || e.code() == omnivox::ErrorCode::kIo ||
                   e.code() == omnivox::ErrorCode::kInvalidArgument
               ? 2
               : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omnivox: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
