// `omnivox twilio ...`: tools for the Twilio backend.
//   omnivox twilio verify-signature --token T --url U --signature S [--param K=V ...] [--body FILE]
//       prints whether the X-Twilio-Signature is valid and which URL form matched; exit 0 when
//       valid, 1 when not (the tool to reach for when webhooks are rejected behind a proxy).
//   omnivox twilio serve --campaign FILE --public-url URL [--listen ADDR] [--port N] [--cps X]
//                        [--wrap-up S] [--for S]
//       dials a campaign through Twilio (credentials from TWILIO_* environment variables, see
//       docs/twilio.md) with the webhook server in front of the engine.
#ifndef OMNIVOX_CLI_TWILIO_COMMAND_H_
#define OMNIVOX_CLI_TWILIO_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>

namespace omnivox::cli {

/// Adds the `twilio` subcommand (verify-signature, serve) to `app`; the returned function runs the
/// chosen one after parsing and returns its exit code, or -1 if `twilio` was not chosen.
std::function<int()> add_twilio_commands(CLI::App& app);

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_TWILIO_COMMAND_H_
