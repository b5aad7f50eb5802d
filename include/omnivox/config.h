// Campaign files: a campaign, its agents, its contacts source and (for simulation) its world, in
// one JSON document. See docs/campaign-file.md for every key. Parsed with Boost.JSON.
#ifndef OMNIVOX_CONFIG_H_
#define OMNIVOX_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "omnivox/amd.h"
#include "omnivox/engine.h"
#include "omnivox/import.h"
#include "omnivox/model.h"
#include "omnivox/optimum.h"
#include "omnivox/sim.h"

namespace omnivox {

/// One agent's phone for the SIP backend.
struct SipAgentConfig {
  /// The agent's id, also its name in the engine and in call records. Unique, not empty.
  std::string id;
  /// The phone the backend calls and keeps connected, a SIP URI ("sip:alice@pbx.example.net").
  std::string uri;
};

/// The campaign file's `telephony` section: which backend dials and the SIP backend's settings,
/// as plain values (a host turns them into omnivox::SipOptions, omnivox/sip.h). Credentials are
/// never in the file: OMNIVOX_SIP_USERNAME / OMNIVOX_SIP_PASSWORD (SipCredentials).
struct TelephonyConfig {
  enum class Backend : std::uint8_t {
    kSimulator,  ///< the simulated world (`simulation`)
    kSip,        ///< real calls through a SIP trunk; needs a real clock (`omnivox run --realtime`)
    /// Twilio Programmable Voice (omnivox/twilio.h): served by `omnivox serve`, which receives
    /// its webhooks; credentials from the environment (TwilioCredentials::from_environment).
    kTwilio,
  };
  /// Default: kSimulator.
  Backend backend = Backend::kSimulator;
  /// With kTwilio: the public base URL Twilio reaches `omnivox serve` at (scheme://host[:port],
  /// no path), e.g. "https://dialer.example.com"; required with kTwilio. Default: empty.
  std::string public_url;
  /// Local SIP address, "host:port" (UDP). Default: "127.0.0.1:5060".
  std::string listen = "127.0.0.1:5060";
  /// The trunk every call goes through, "sip:host[:port]". Required with kSip.
  std::string trunk;
  /// Local RTP ports, first and last. Default: 20000–29999.
  std::uint16_t rtp_port_min = 20000;
  std::uint16_t rtp_port_max = 29999;
  /// INVITEs per second at most. Default: 50.
  double calls_per_second = 50.0;
  /// A call whose turn to be sent would come later than this many seconds fails at once.
  /// Default: 25.
  double max_queue_wait_s = 25.0;
  /// OPTIONS keep-alive toward the trunk, seconds; 0 = none. Default: 30.
  double options_interval_s = 30.0;
  /// Keep the "+" of E.164 numbers in the request URI. Default: true.
  bool keep_plus_in_request_uri = true;
  /// User-Agent header. Default: "omnivox".
  std::string user_agent = "omnivox";
  /// The agents' phones, in order; with kSip their count is the campaign's number of agents.
  std::vector<SipAgentConfig> agents;
  /// Detector thresholds for calls placed with AMD (the campaign's `amd`). Default: AmdOptions{}.
  AmdOptions amd;
  /// WAV files (8 kHz mono) played to abandoned calls and left on machines; absolute, or resolved
  /// against the campaign file's folder. Empty = the campaign's messages. Default: empty.
  std::string safe_harbor_wav;
  std::string voicemail_wav;
};

/// Agents sharing one set of skills (the campaign file's `agent_skills`).
struct AgentSkillGroup {
  int agents = 0;  ///< how many of the campaign's agents, in order after the earlier groups
  AgentSkills skills;
};

/// Everything a campaign file describes.
struct CampaignFile {
  /// The campaign: the file's top-level campaign fields (id, dial_mode, call_window, ...).
  CampaignConfig campaign;
  /// Number of agents. Default: 10; with the SIP backend, the length of `telephony.agents`.
  int agents = 10;
  /// When the agents work, in the campaign's time zone (`time_zone`): they log in at each start
  /// and log out at each end (after finishing a call). Default: the call window's hours.
  CallWindow agent_shift = CallWindow::every_day(9 * 60, 21 * 60);
  /// Virtual start time of a simulation, UTC. Default: 2026-05-04T08:00:00Z (a Monday).
  TimePoint start = parse_utc("2026-05-04T08:00:00Z");
  /// Contacts CSV (absolute, or resolved against the campaign file's folder). Default: none.
  std::string contacts_path;
  /// Import options of the contacts file (default_region defaults to the campaign's).
  ImportOptions import;
  /// The simulated world. Default: parametric with SimulationOptions' defaults.
  SimulationOptions simulation;
  /// Replay world: the data file (defaults to contacts_path when "world" is "replay").
  std::string replay_path;
  /// Stop a simulation after this much virtual time. Default: 60 days.
  Duration max_duration = std::chrono::hours(24 * 60);
  /// Which telephony dials. Default: the simulator.
  TelephonyConfig telephony;
  /// Inbound queues (`inbound`). Default: none.
  std::vector<InboundQueueConfig> inbound;
  /// The agents' skills by group, in order: the first group's `agents` agents, then the next
  /// group's; agents after the last group take only the campaign's calls. Default: none.
  std::vector<AgentSkillGroup> agent_skills;
  /// How the campaign shares its agents with the inbound queues (`blending`). Default: none.
  BlendingConfig blending;
};

/// Parses a campaign file. Throws Error(kConfig) with "path: field 'x': reason" for a bad or
/// unknown key, "path:LINE:COLUMN: not UTF-8 (byte 0xNN at offset N)" for a file that is not
/// UTF-8 (a UTF-8 byte order mark is skipped), Error(kIo) if the file cannot be read. Checked
/// when loading, each naming its field: integers in range (reported as written, also beyond
/// 64 bits), time zones known to the tz database, regions known to libphonenumber, caller ids
/// (at least one when given) and DNC entries as valid E.164 numbers ("+" and the country code;
/// stored in canonical form), paths without NUL bytes. Relative paths are resolved against the
/// file's folder.
CampaignFile load_campaign_file(const std::string& path);
/// Parses campaign JSON text; `base_dir` resolves relative paths, `source` names it in errors.
CampaignFile parse_campaign_json(const std::string& json, const std::string& base_dir,
                                 const std::string& source = "<json>");

/// Adds the file's inbound queues to the engine, gives `agents` (the campaign's, in the order
/// they were added) the skills of `agent_skills` and sets the campaign's blending rule. Throws as
/// the Engine methods it calls.
void apply_inbound(const CampaignFile& file, Engine& engine, const std::vector<AgentId>& agents);

/// A pacing research scenario (benchmarks/scenarios/*.json, docs/pacing.md): a campaign with the
/// bench's seeds, hours, synthetic contacts, policies and the stylised model's parameters.
/// Every field states its default.
struct BenchScenario {
  std::string name;         ///< short name, used in reports. Default: empty.
  std::string description;  ///< what the scenario models, one sentence. Default: empty.
  /// The campaign (the file's "campaign" section, parsed as a campaign file).
  CampaignFile file;
  /// Seeds 1..seeds, one run per policy each. Default: 5 (1..1000).
  int seeds = 5;
  /// Virtual hours per run. Default: 8.
  double hours = 8;
  /// Synthetic contacts when the campaign has no contacts file. Default: 0.
  long contacts = 0;
  /// Bench policy names ("progressive", "power:2", ...). Default: progressive, predictive.
  std::vector<std::string> policies;
  /// The stylised model (p, attempt and handle means; agents and cap from the campaign), when
  /// the file gives one: the bench reports each policy's gap to its optimum.
  std::optional<OptimumModel> optimum;
};

/// Reads a scenario file (JSON with comments). Relative paths in the campaign resolve against
/// the file's folder. Throws Error(kIo) if it cannot be read, Error(kConfig) naming the field
/// for an unknown key, a bad value or a missing campaign / contacts.
BenchScenario load_bench_scenario(const std::string& path);

}  // namespace omnivox

#endif  // OMNIVOX_CONFIG_H_
