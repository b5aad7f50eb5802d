#include "omnivox/types.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

namespace omnivox {
namespace {

TEST(Types, FormatAndParseUtcRoundTrip) {
  TimePoint t = parse_utc("2026-03-29T00:59:59.250Z");
  EXPECT_EQ(format_utc(t), "2026-03-29T00:59:59.250Z");
  EXPECT_EQ(parse_utc("2026-05-04T09:00:00+01:00"), parse_utc("2026-05-04T08:00:00Z"));
  EXPECT_THROW(parse_utc("yesterday"), Error);
}

// The instant's text from the standard library's calendar, as the reference format_utc must
// match.
std::string calendar_text(TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{t - day};
  char text[64];
  std::snprintf(
      text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
      static_cast<long>(time.seconds().count()), static_cast<long>(time.subseconds().count()));
  return text;
}

TEST(Types, FormatUtcWritesEveryInstantAsTheCalendarDoes) {
  std::mt19937_64 rng(7);
  // Years 1000-9999 (the four-digit ones): before 1970 format_utc takes another path.
  std::uniform_int_distribution<std::int64_t> ms(-30'610'224'000'000, 253'402'300'799'999);
  for (int i = 0; i < 200'000; ++i) {
    const TimePoint t{Duration(ms(rng))};
    ASSERT_EQ(format_utc(t), calendar_text(t)) << t.time_since_epoch().count();
  }
  for (const char* text :
       {"1970-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "2000-02-29T12:00:00.001Z",
        "2100-03-01T00:00:00.000Z", "2024-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"}) {
    EXPECT_EQ(format_utc(parse_utc(text)), text);
  }
  EXPECT_EQ(format_utc(TimePoint{Duration(253'402'300'800'000)}), "10000-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace omnivox
