// `omnivox serve`: the HTTP/JSON API, live events, /metrics and the live campaign page over the
// stored campaigns of every tenant with a token (src/serve), with the telephony each campaign
// file names (the simulator on the wall clock, or SIP through cli/sip_run.h).
//   omnivox serve --storage URL --listen HOST:PORT [--tls-cert F --tls-key F] [--speed X]
//                 [--rate-limit N] [--files-dir DIR] [--drain-timeout S] [--routes]
//   omnivox token create --storage URL --tenant T --scope read|control [--label L]
//   omnivox token list --storage URL [--tenant T]
//   omnivox token revoke --storage URL --tenant T --id ID
// SIGINT or SIGTERM: dialing stops, the calls in flight get --drain-timeout to end, then the
// listener closes and the engines stop; exit 128 + the signal's number. A second signal exits
// at once.
#ifndef OMNIVOX_CLI_SERVE_COMMAND_H_
#define OMNIVOX_CLI_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>

namespace omnivox::cli {

/// Adds `serve` and `token` to `app`; the returned function runs the one parsed (its exit
/// code), or returns -1 when neither was.
std::function<int()> add_serve_commands(CLI::App& app);

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_SERVE_COMMAND_H_
