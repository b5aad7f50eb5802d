#include "omnivox/types.h"

#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include <chrono>
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

// The instant's text from cctz's general formatter, the reference format_utc must match.
std::string cctz_text(TimePoint t) {
  return cctz::format("%Y-%m-%dT%H:%M:%E3SZ", t, cctz::utc_time_zone());
}

TEST(Types, FormatUtcWritesEveryInstantAsTheCalendarDoes) {
  std::mt19937_64 rng(7);
  // Years 1-10099: format_utc writes the four-digit ones (1000-9999) itself, the others through
  // cctz.
  std::uniform_int_distribution<std::int64_t> ms(-62'135'596'800'000, 256'557'974'400'000);
  for (int i = 0; i < 200'000; ++i) {
    const TimePoint t{Duration(ms(rng))};
    ASSERT_EQ(format_utc(t), cctz_text(t)) << t.time_since_epoch().count();
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
