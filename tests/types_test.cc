#include "omnivox/types.h"

#include <gtest/gtest.h>

namespace omnivox {
namespace {

TEST(Types, FormatAndParseUtcRoundTrip) {
  TimePoint t = parse_utc("2026-03-29T00:59:59.250Z");
  EXPECT_EQ(format_utc(t), "2026-03-29T00:59:59.250Z");
  EXPECT_EQ(parse_utc("2026-05-04T09:00:00+01:00"), parse_utc("2026-05-04T08:00:00Z"));
  EXPECT_THROW(parse_utc("yesterday"), Error);
}

}  // namespace
}  // namespace omnivox
