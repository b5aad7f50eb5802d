#include "omnivox/types.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <cstdio>

namespace omnivox {

std::string format_utc(TimePoint t) {
  return cctz::format("%Y-%m-%dT%H:%M:%E3SZ", t, cctz::utc_time_zone());
}

TimePoint parse_utc(const std::string& text) {
  // Years 0000-9999 (ISO 8601's four-digit years).
  constexpr std::chrono::seconds kFirst{-62167219200}, kLast{253402300799};
  std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds> tp;
  for (const char* fmt :
       {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M%Ez", "%Y-%m-%dT%H:%M:%E*SZ", "%Y-%m-%dT%H:%MZ"}) {
    // Whole seconds first: cctz's cast of a far-away year to microseconds overflows (undefined
    // behaviour; found by fuzzing campaign files), so such years are refused before it.
    cctz::time_point<cctz::seconds> whole;
    if (!cctz::parse(fmt, text, cctz::utc_time_zone(), &whole)) continue;
    if (whole.time_since_epoch() < kFirst || whole.time_since_epoch() > kLast) {
      throw Error(ErrorCode::kInvalidArgument,
                  "bad time '" + text + "': year out of range 0000-9999");
    }
    if (cctz::parse(fmt, text, cctz::utc_time_zone(), &tp)) {
      return std::chrono::time_point_cast<Duration>(tp);
    }
  }
  throw Error(ErrorCode::kInvalidArgument,
              "bad time '" + text + "': expected ISO 8601 like 2026-05-04T09:00:00Z");
}

}  // namespace omnivox
