#include "omnivox/types.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <cstdint>
#include <cstdio>

namespace omnivox {

namespace {

// 1970-01-01 and 10000-01-01 as milliseconds since the epoch: the instants whose text has a
// four-digit year, which the arithmetic below writes (cctz writes years of other widths).
constexpr std::int64_t kFirstFastMs = 0;
constexpr std::int64_t kEndFastMs = 253'402'300'800'000;

void write_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::string format_utc(TimePoint t) {
  const std::int64_t ms = t.time_since_epoch().count();
  if (ms < kFirstFastMs || ms >= kEndFastMs) {
    return cctz::format("%Y-%m-%dT%H:%M:%E3SZ", t, cctz::utc_time_zone());
  }
  // Call records format several instants each, and cctz's general formatter was a tenth of a
  // simulated run's CPU: the four-digit years are written here. The civil date of a day count: H.
  // Hinnant, "chrono-Compatible Low-Level Date Algorithms", civil_from_days
  // (howardhinnant.github.io/date_algorithms.html).
  const std::int64_t days = ms / 86'400'000;
  const auto in_day = static_cast<unsigned>(ms % 86'400'000);
  const std::int64_t z = days + 719'468;
  const std::int64_t era = z / 146'097;
  const auto day_of_era = static_cast<unsigned>(z - era * 146'097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const auto year = static_cast<unsigned>(year_of_era + era * 400 + (month <= 2 ? 1 : 0));
  std::string text(24, ' ');
  char* out = text.data();
  write_digits(out, year, 4);
  out[4] = '-';
  write_digits(out + 5, month, 2);
  out[7] = '-';
  write_digits(out + 8, day, 2);
  out[10] = 'T';
  write_digits(out + 11, in_day / 3'600'000, 2);
  out[13] = ':';
  write_digits(out + 14, in_day / 60'000 % 60, 2);
  out[16] = ':';
  write_digits(out + 17, in_day / 1000 % 60, 2);
  out[19] = '.';
  write_digits(out + 20, in_day % 1000, 3);
  out[23] = 'Z';
  return text;
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
