// Call windows in the called party's local time, and the phone-prefix → time-zone map.
//
// The time-zone map is libphonenumber's prefix map (resources/timezones/map_data.txt,
// Apache-2.0, shipped in share/omnivox/phone-timezones/). Each line is
// "<E.164 digits prefix>|<zone>&<zone>...": the longest matching prefix wins. A prefix that maps
// to several zones (e.g. +1 208: America/Boise & America/Los_Angeles) is a zone set; a call window
// is open for a zone set only when it is open in *every* zone of the set (docs/architecture.md,
// Eligibility: the intersection of the windows). Local times are computed with Google's CCTZ from
// the system tz database, so daylight-saving transitions are exact.
#ifndef OMNIVOX_CALL_WINDOW_H_
#define OMNIVOX_CALL_WINDOW_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omnivox/types.h"

namespace omnivox {

/// Minutes after local midnight: [start, end). start == end means closed all day.
/// end may be 1440 (midnight at the end of the day). Windows do not wrap past midnight.
struct LocalTimeRange {
  int start_minute = 0;  ///< first minute allowed, after local midnight (0..1440)
  int end_minute = 0;    ///< first minute no longer allowed, after local midnight (0..1440)
  /// True if the minute after local midnight (0..1439) is inside [start, end).
  bool contains(int minute_of_day) const {
    return minute_of_day >= start_minute && minute_of_day < end_minute;
  }
  /// True when the range allows no minute (end <= start): closed all day.
  bool closed() const { return end_minute <= start_minute; }
};

/// When calls are allowed, in the called party's local time, per weekday.
/// Index 0 = Sunday ... 6 = Saturday. Default: closed every day.
struct CallWindow {
  std::array<LocalTimeRange, 7> by_weekday{};

  /// The same hours every day, e.g. every_day(9*60, 21*60) for 09:00–21:00.
  static CallWindow every_day(int start_minute, int end_minute);
  /// Open around the clock (no window restriction).
  static CallWindow always();
  /// Open only when both are, day by day (e.g. a campaign's hours within a regulator's).
  static CallWindow intersect(const CallWindow& a, const CallWindow& b);
  /// Parses "HH:MM-HH:MM" (e.g. "09:00-21:00"); throws Error(kConfig) naming the text otherwise.
  static LocalTimeRange parse_range(std::string_view text);
};

/// Index of an interned zone set in a TimeZoneMap (stable for the map's lifetime).
using ZoneSetId = std::uint32_t;
inline constexpr ZoneSetId kUnknownZoneSet = 0;  ///< no zone known: callers choose a fallback zone

/// libphonenumber's prefix → IANA zones map, with interned zone sets and cached window checks.
/// Thread-safety: const methods may be called concurrently once loaded; intern_zones() and
/// window evaluation caches are guarded internally.
class TimeZoneMap {
 public:
  /// An empty map: every number resolves to kUnknownZoneSet.
  TimeZoneMap();
  ~TimeZoneMap();
  TimeZoneMap(TimeZoneMap&&) noexcept;
  TimeZoneMap& operator=(TimeZoneMap&&) noexcept;

  /// Loads map_data.txt. Throws Error(kIo) if the file cannot be read, Error(kConfig) with
  /// "path:line: reason" on a malformed line or an unknown IANA zone.
  static TimeZoneMap load(const std::string& path);
  /// The path of the map: $OMNIVOX_DATA_DIR/phone-timezones/map_data.txt if that variable is
  /// set, else the copy installed beside the library that holds this code (found from the
  /// library's own path, so a moved install still finds it: LIBDIR/../share/omnivox/...), else
  /// the one at the install prefix chosen at build time, else the source tree's (a build run
  /// from its build directory).
  static std::string default_path();

  /// The zone set of an E.164 number ("+351912345678"), by its longest listed prefix;
  /// kUnknownZoneSet if no prefix matches.
  ZoneSetId zone_set_for(std::string_view e164) const;
  /// Interns a zone set given by IANA names (e.g. {"Europe/Lisbon"}); throws Error(kConfig) for an
  /// unknown zone name. Used for contacts whose zone is known from their address. Order and
  /// repeats do not matter; an empty list gives kUnknownZoneSet.
  ZoneSetId intern_zones(const std::vector<std::string>& zone_names);
  /// The IANA names of a zone set (empty for kUnknownZoneSet).
  std::vector<std::string> zone_names(ZoneSetId id) const;
  /// Number of interned zone sets, including kUnknownZoneSet.
  std::size_t zone_set_count() const;

  /// True when `window` is open at instant t in every zone of the set. For kUnknownZoneSet the
  /// `fallback_zone` (IANA name, e.g. the campaign's zone) is used. Throws Error(kInvalidArgument)
  /// for an id this map never returned and Error(kConfig) for an unknown fallback_zone. Answers
  /// are cached per thread until the next window edge or UTC-offset change, so repeated checks
  /// during a queue scan are cheap and lock-free.
  bool is_open(ZoneSetId id, const CallWindow& window, TimePoint t,
               std::string_view fallback_zone = "UTC") const;
  /// The earliest instant >= t at which the window is open in every zone of the set, searched up
  /// to 14 days ahead at minute resolution; nullopt if it never opens in that span.
  std::optional<TimePoint> next_open(ZoneSetId id, const CallWindow& window, TimePoint t,
                                     std::string_view fallback_zone = "UTC") const;
  /// The local civil time of t in `zone` as "YYYY-MM-DD HH:MM:SS" (for reports and tests).
  static std::string local_time_string(std::string_view zone, TimePoint t);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omnivox

#endif  // OMNIVOX_CALL_WINDOW_H_
