#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <cstdio>

#include "omnivox/types.h"

namespace omnivox {

std::string format_utc(TimePoint t) {
  return cctz::format("%Y-%m-%dT%H:%M:%E3SZ", t, cctz::utc_time_zone());
}

TimePoint parse_utc(const std::string& text) {
  std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds> tp;
  for (const char* fmt :
       {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M%Ez", "%Y-%m-%dT%H:%M:%E*SZ", "%Y-%m-%dT%H:%MZ"}) {
    if (cctz::parse(fmt, text, cctz::utc_time_zone(), &tp)) {
      return std::chrono::time_point_cast<Duration>(tp);
    }
  }
  throw Error(ErrorCode::kInvalidArgument,
              "bad time '" + text + "': expected ISO 8601 like 2026-05-04T09:00:00Z");
}

}  // namespace omnivox
