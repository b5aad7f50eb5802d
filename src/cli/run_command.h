// `omnivox run`: loads a campaign file, imports its contacts, runs it against the simulator and
// writes the report, call records and metrics.
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
};

/// Runs the command; returns the process exit code. Throws omnivox::Error for bad configuration.
int run_command(const RunArgs& args);

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_RUN_COMMAND_H_
