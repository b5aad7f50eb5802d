// Campaign files: a campaign, its agents, its contacts source and (for simulation) its world, in
// one JSON document. See docs/campaign-file.md for every key. Parsed with Boost.JSON.
#ifndef OMNIVOX_CONFIG_H_
#define OMNIVOX_CONFIG_H_

#include <optional>
#include <string>

#include "omnivox/import.h"
#include "omnivox/model.h"
#include "omnivox/sim.h"

namespace omnivox {

/// Everything a campaign file describes.
struct CampaignFile {
  CampaignConfig campaign;
  /// Number of agents. Default: 10.
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

}  // namespace omnivox

#endif  // OMNIVOX_CONFIG_H_
