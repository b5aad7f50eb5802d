// `omnivox amd ...`: answering-machine and fax detection (omnivox/amd.h) on recordings.
//   omnivox amd classify FILE.wav [--json] [thresholds...]
//       prints the verdict (HUMAN, MACHINE, FAX, NOTSURE), the rule that decided and when.
//   omnivox amd classify --corpus DIR [--json] [--list] [thresholds...]
//       classifies every *.wav under DIR/human, DIR/machine and DIR/fax (the folder is the
//       label) and prints the confusion matrix, the accuracy, the share of people taken for
//       machines and the median decision time.
// A file that cannot be read or is not a mono 8 kHz WAV is an error naming it (exit code 2).
#ifndef OMNIVOX_CLI_AMD_COMMAND_H_
#define OMNIVOX_CLI_AMD_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>

namespace omnivox::cli {

/// Adds the `amd` subcommand (classify) to `app`; the returned function runs it after parsing
/// and returns its exit code, or -1 if `amd` was not chosen.
std::function<int()> add_amd_commands(CLI::App& app);

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_AMD_COMMAND_H_
