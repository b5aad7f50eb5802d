// `omnivox run`: loads a campaign file, imports its contacts, runs it against the simulator and
// writes the report, call records and metrics. With a persistent --storage that already holds
// the campaign's contacts, the run resumes it (no import; open attempts of a dead engine are
// reconciled by Engine::start_campaign). `omnivox import` stores the campaign and its contacts
// only, so several engines can then run it together.
#ifndef OMNIVOX_CLI_RUN_COMMAND_H_
#define OMNIVOX_CLI_RUN_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>

namespace omnivox::cli {

struct RunArgs {
  std::string campaign_path;
  std::string contacts_path;          ///< empty: the campaign file's
  std::optional<std::uint64_t> seed;  ///< empty: the campaign file's
  std::string out_dir = "omnivox-out";
  bool realtime = false;
  double speed = 1.0;
  bool quiet = false;
  /// Storage URL (omnivox/storage_url.h): "memory", "sqlite:PATH", "postgres://...".
  std::string storage_url = "memory";
  std::string tenant = "default";
  std::string owner;                   ///< lease owner token; empty: generated
  std::optional<double> lease_ttl_s;   ///< empty: EngineOptions' default
  std::optional<double> wall_limit_s;  ///< stop after this many wall seconds
  bool import_only = false;            ///< `omnivox import`: store campaign + contacts, no dialing
};

/// Runs the command; returns the process exit code: 0, 2 when no contact was loaded, or 128 + the
/// signal's number when SIGINT or SIGTERM interrupted the run (dialing stops, the calls in
/// progress end, the outputs are written; a second signal exits the process at once). Throws
/// omnivox::Error for bad configuration, and Error(kIo) naming the path when the output folder
/// cannot be written (checked before importing or dialing).
int run_command(const RunArgs& args);

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_RUN_COMMAND_H_
