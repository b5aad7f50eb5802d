#include "omnivox/types.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>
#include <cstdio>

namespace omnivox {

namespace {

// The instants whose text has a four-digit year, which the standard library's calendar below
// writes (cctz writes years of other widths).
constexpr std::chrono::year kFirstFourDigitYear{1000};
constexpr std::chrono::year kLastFourDigitYear{9999};

void write_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::string format_utc(TimePoint t) {
  // Call records format several instants each, and cctz's general formatter was a tenth of a
  // simulated run's CPU: the civil date comes from C++20's calendar (<chrono>), the text is
  // written here.
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day date{day};
  if (date.year() < kFirstFourDigitYear || date.year() > kLastFourDigitYear) {
    return cctz::format("%Y-%m-%dT%H:%M:%E3SZ", t, cctz::utc_time_zone());
  }
  const std::chrono::hh_mm_ss time_of_day{t - day};
  std::string text(24, ' ');
  char* out = text.data();
  write_digits(out, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  out[4] = '-';
  write_digits(out + 5, static_cast<unsigned>(date.month()), 2);
  out[7] = '-';
  write_digits(out + 8, static_cast<unsigned>(date.day()), 2);
  out[10] = 'T';
  write_digits(out + 11, static_cast<unsigned>(time_of_day.hours().count()), 2);
  out[13] = ':';
  write_digits(out + 14, static_cast<unsigned>(time_of_day.minutes().count()), 2);
  out[16] = ':';
  write_digits(out + 17, static_cast<unsigned>(time_of_day.seconds().count()), 2);
  out[19] = '.';
  write_digits(out + 20, static_cast<unsigned>(time_of_day.subseconds().count()), 3);
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
