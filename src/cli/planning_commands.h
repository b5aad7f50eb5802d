// Planner commands: `omnivox erlang b|c|a ...` and `omnivox optimum ...`, each printing one JSON
// object on stdout.
#ifndef OMNIVOX_CLI_PLANNING_COMMANDS_H_
#define OMNIVOX_CLI_PLANNING_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>

namespace omnivox::cli {

/// Adds the `erlang` and `optimum` subcommands to `app`; the returned function runs whichever
/// was chosen after parsing and returns the exit code, or -1 if neither was.
std::function<int()> add_planning_commands(CLI::App& app);

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_PLANNING_COMMANDS_H_
