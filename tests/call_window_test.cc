#include "omnivox/call_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace omnivox {
namespace {

using Names = std::vector<std::string>;

TimePoint T(const std::string& iso) { return parse_utc(iso); }

TimeZoneMap& shared_map() {
  static TimeZoneMap* map = new TimeZoneMap(TimeZoneMap::load(TimeZoneMap::default_path()));
  return *map;
}

Names sorted(Names names) {
  std::sort(names.begin(), names.end());
  return names;
}

template <typename F>
std::string error_message(F&& f, ErrorCode expected_code) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expected_code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected omnivox::Error";
  return {};
}

std::string write_temp_file(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "omnivox_call_window_" + name;
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return path;
}

// Asserts the window opens exactly at `open` and closes exactly at `close` (both ISO UTC).
void expect_open_interval(const TimeZoneMap& map, ZoneSetId id, const CallWindow& window,
                          const std::string& open, const std::string& close) {
  SCOPED_TRACE("open " + open + " close " + close);
  EXPECT_FALSE(map.is_open(id, window, T(open) - Duration(1)));
  EXPECT_TRUE(map.is_open(id, window, T(open)));
  EXPECT_TRUE(map.is_open(id, window, T(close) - Duration(1)));
  EXPECT_FALSE(map.is_open(id, window, T(close)));
}

// ---- TimeZoneMap: prefixes -------------------------------------------------------------------

TEST(TimeZoneMap, PortugueseNumbers) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId lisbon = map.zone_set_for("+351211234567");  // Lisbon landline: 3512
  EXPECT_EQ(map.zone_names(lisbon), Names{"Europe/Lisbon"});
  // Mobiles (3519) are not geographic: the map lists both mainland and Azores time.
  EXPECT_EQ(sorted(map.zone_names(map.zone_set_for("+351912345678"))),
            (Names{"Atlantic/Azores", "Europe/Lisbon"}));
  // Azores landlines 351292, 351295, 351296; Madeira (351291) stays on 3512 → Europe/Lisbon.
  EXPECT_EQ(map.zone_names(map.zone_set_for("+351292123456")), Names{"Atlantic/Azores"});
  EXPECT_EQ(map.zone_names(map.zone_set_for("+351296123456")), Names{"Atlantic/Azores"});
  EXPECT_EQ(map.zone_set_for("+351291123456"), lisbon);
  EXPECT_EQ(map.zone_set_for("+351294123456"), lisbon);
}

TEST(TimeZoneMap, NorthAmericanNumbers) {
  const TimeZoneMap& map = shared_map();
  EXPECT_EQ(map.zone_names(map.zone_set_for("+12125551234")), Names{"America/New_York"});
  EXPECT_EQ(sorted(map.zone_names(map.zone_set_for("+12082001234"))),
            (Names{"America/Boise", "America/Los_Angeles"}));
  // A longer listed prefix wins over 12082.
  EXPECT_EQ(map.zone_names(map.zone_set_for("+12082011234")), Names{"America/Denver"});
  // Non-geographic +1 numbers fall back to the "1" catch-all line: a big zone set.
  Names catch_all = map.zone_names(map.zone_set_for("+18005551234"));
  EXPECT_EQ(catch_all.size(), 42u);
  EXPECT_NE(std::find(catch_all.begin(), catch_all.end(), "Pacific/Guam"), catch_all.end());
}

TEST(TimeZoneMap, UnknownPrefixes) {
  const TimeZoneMap& map = shared_map();
  EXPECT_EQ(map.zone_set_for("+999123456"), kUnknownZoneSet);
  EXPECT_EQ(map.zone_set_for("+0123456"), kUnknownZoneSet);
  EXPECT_EQ(map.zone_set_for(""), kUnknownZoneSet);
  EXPECT_EQ(map.zone_set_for("+"), kUnknownZoneSet);
  EXPECT_TRUE(map.zone_names(kUnknownZoneSet).empty());
  EXPECT_EQ(TimeZoneMap().zone_set_for("+351211234567"), kUnknownZoneSet);
  EXPECT_EQ(TimeZoneMap().zone_set_count(), 1u);
}

TEST(TimeZoneMap, InternZonesSharesSetsWithThePrefixMap) {
  TimeZoneMap& map = shared_map();
  std::size_t count = map.zone_set_count();
  EXPECT_EQ(map.intern_zones({"Europe/Lisbon"}), map.zone_set_for("+351211234567"));
  EXPECT_EQ(map.intern_zones({"America/Los_Angeles", "America/Boise"}),
            map.zone_set_for("+12082001234"));
  EXPECT_EQ(map.zone_set_count(), count);
  EXPECT_EQ(map.intern_zones({}), kUnknownZoneSet);

  ZoneSetId id = map.intern_zones({"Antarctica/Troll"});
  EXPECT_NE(id, kUnknownZoneSet);
  EXPECT_EQ(map.zone_set_count(), count + 1);
  EXPECT_EQ(map.zone_names(id), Names{"Antarctica/Troll"});
  EXPECT_EQ(map.intern_zones({"Antarctica/Troll"}), id);
}

TEST(TimeZoneMap, InternUnknownZoneThrows) {
  TimeZoneMap map;
  std::string message = error_message(
      [&] {
        map.intern_zones({"Europe/Lisbon", "Mars/Olympus_Mons"});
      },
      ErrorCode::kConfig);
  EXPECT_NE(message.find("Mars/Olympus_Mons"), std::string::npos) << message;
  EXPECT_EQ(map.zone_set_count(), 1u);
}

TEST(TimeZoneMap, InvalidZoneSetIdThrows) {
  TimeZoneMap map;
  EXPECT_THROW(map.zone_names(7), Error);
  EXPECT_THROW(map.is_open(7, CallWindow::always(), T("2026-01-01T00:00Z")), Error);
}

// ---- TimeZoneMap: loading --------------------------------------------------------------------

TEST(TimeZoneMap, LoadMalformedLineNamesPathAndLine) {
  std::string path = write_temp_file("malformed.txt",
                                     "# comment\n"
                                     "\n"
                                     "351|Europe/Lisbon\n"
                                     "12x|America/New_York\n");
  std::string message = error_message([&] { TimeZoneMap::load(path); }, ErrorCode::kConfig);
  EXPECT_NE(message.find(path + ":4:"), std::string::npos) << message;

  path = write_temp_file("missing_bar.txt", "351 Europe/Lisbon\n");
  message = error_message([&] { TimeZoneMap::load(path); }, ErrorCode::kConfig);
  EXPECT_NE(message.find(path + ":1:"), std::string::npos) << message;

  path = write_temp_file("empty_zone.txt", "351|Europe/Lisbon&\n");
  message = error_message([&] { TimeZoneMap::load(path); }, ErrorCode::kConfig);
  EXPECT_NE(message.find(path + ":1:"), std::string::npos) << message;
}

TEST(TimeZoneMap, LoadUnknownZoneNamesPathLineAndZone) {
  std::string path = write_temp_file("unknown_zone.txt", "351|Europe/Lisbon\n44|Europe/Atlantis\n");
  std::string message = error_message([&] { TimeZoneMap::load(path); }, ErrorCode::kConfig);
  EXPECT_NE(message.find(path + ":2:"), std::string::npos) << message;
  EXPECT_NE(message.find("Europe/Atlantis"), std::string::npos) << message;
}

TEST(TimeZoneMap, LoadToleratesIdenticalDuplicatesButNotConflicts) {
  std::string path = write_temp_file("duplicates.txt",
                                     "351|Europe/Lisbon\r\n"
                                     "351|Europe/Lisbon\r\n"
                                     "1208|America/Boise&America/Los_Angeles\n"
                                     "1208|America/Los_Angeles&America/Boise\n");
  TimeZoneMap map = TimeZoneMap::load(path);
  EXPECT_EQ(map.zone_names(map.zone_set_for("+351211234567")), Names{"Europe/Lisbon"});
  EXPECT_EQ(map.zone_set_count(), 3u);

  path = write_temp_file("conflict.txt", "351|Europe/Lisbon\n351|Atlantic/Azores\n");
  std::string message = error_message([&] { TimeZoneMap::load(path); }, ErrorCode::kConfig);
  EXPECT_NE(message.find(path + ":2:"), std::string::npos) << message;
}

TEST(TimeZoneMap, LoadMissingFileIsIoError) {
  std::string path = ::testing::TempDir() + "omnivox_call_window_does_not_exist.txt";
  std::string message = error_message([&] { TimeZoneMap::load(path); }, ErrorCode::kIo);
  EXPECT_NE(message.find(path), std::string::npos) << message;
}

TEST(TimeZoneMap, MovedMapKeepsItsSets) {
  TimeZoneMap a;
  ZoneSetId id = a.intern_zones({"Europe/Lisbon"});
  TimeZoneMap b(std::move(a));
  EXPECT_EQ(b.zone_names(id), Names{"Europe/Lisbon"});
  EXPECT_TRUE(b.is_open(id, CallWindow::every_day(9 * 60, 21 * 60), T("2026-01-15T09:00Z")));
}

TEST(TimeZoneMap, LocalTimeString) {
  EXPECT_EQ(TimeZoneMap::local_time_string("Europe/Lisbon", T("2026-03-29T00:59:59Z")),
            "2026-03-29 00:59:59");
  EXPECT_EQ(TimeZoneMap::local_time_string("Europe/Lisbon", T("2026-03-29T01:00:00Z")),
            "2026-03-29 02:00:00");
  EXPECT_EQ(TimeZoneMap::local_time_string("America/New_York", T("2026-03-08T07:00:00Z")),
            "2026-03-08 03:00:00");
  EXPECT_THROW(TimeZoneMap::local_time_string("Nowhere/Special", T("2026-01-01T00:00Z")), Error);
}

// ---- CallWindow: parsing ---------------------------------------------------------------------

TEST(CallWindow, ParseRangeGood) {
  LocalTimeRange r = CallWindow::parse_range("09:00-21:00");
  EXPECT_EQ(r.start_minute, 540);
  EXPECT_EQ(r.end_minute, 1260);
  r = CallWindow::parse_range(" 8:30 - 20:15 ");
  EXPECT_EQ(r.start_minute, 510);
  EXPECT_EQ(r.end_minute, 1215);
  r = CallWindow::parse_range("00:00-24:00");
  EXPECT_EQ(r.start_minute, 0);
  EXPECT_EQ(r.end_minute, 1440);
  EXPECT_TRUE(CallWindow::parse_range("09:00-09:00").closed());
}

TEST(CallWindow, ParseRangeBad) {
  for (const char* text :
       {"", "9-21", "09:00", "09:00-21", "25:00-26:00", "09:60-10:00", "21:00-09:00", "09:00-24:01",
        "ab:cd-ef:gh", "24:00-24:00", "09:00-21:00-22:00", "+9:00-21:00"}) {
    std::string message = error_message([&] { CallWindow::parse_range(text); }, ErrorCode::kConfig);
    EXPECT_NE(message.find("'" + std::string(text) + "'"), std::string::npos) << message;
  }
}

TEST(CallWindow, Factories) {
  CallWindow w = CallWindow::every_day(540, 1260);
  for (const LocalTimeRange& r : w.by_weekday) {
    EXPECT_EQ(r.start_minute, 540);
    EXPECT_EQ(r.end_minute, 1260);
  }
  EXPECT_TRUE(CallWindow{}.by_weekday[3].closed());
  EXPECT_THROW(CallWindow::every_day(-1, 100), Error);
  EXPECT_THROW(CallWindow::every_day(0, 1441), Error);
  EXPECT_TRUE(shared_map().is_open(kUnknownZoneSet, CallWindow::always(), T("2026-01-01T00:00Z")));
}

// ---- CallWindow: is_open / next_open ---------------------------------------------------------

const CallWindow kNineToNine = CallWindow::every_day(9 * 60, 21 * 60);

TEST(CallWindow, LisbonEdgesInWinter) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId lisbon = map.zone_set_for("+351211234567");
  // 2026-01-15: WET, UTC+0.
  EXPECT_FALSE(map.is_open(lisbon, kNineToNine, T("2026-01-15T08:59:59Z")));
  EXPECT_FALSE(map.is_open(lisbon, kNineToNine, T("2026-01-15T08:59:59.999Z")));
  EXPECT_TRUE(map.is_open(lisbon, kNineToNine, T("2026-01-15T09:00:00Z")));
  EXPECT_TRUE(map.is_open(lisbon, kNineToNine, T("2026-01-15T20:59:00Z")));
  EXPECT_TRUE(map.is_open(lisbon, kNineToNine, T("2026-01-15T20:59:59Z")));
  EXPECT_FALSE(map.is_open(lisbon, kNineToNine, T("2026-01-15T21:00:00Z")));
}

TEST(CallWindow, LisbonEdgesInSummer) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId lisbon = map.zone_set_for("+351211234567");
  // 2026-07-15: WEST, UTC+1: local 09:00 is 08:00Z.
  EXPECT_FALSE(map.is_open(lisbon, kNineToNine, T("2026-07-15T07:59:59Z")));
  EXPECT_TRUE(map.is_open(lisbon, kNineToNine, T("2026-07-15T08:00:00Z")));
  EXPECT_TRUE(map.is_open(lisbon, kNineToNine, T("2026-07-15T19:59:00Z")));
  EXPECT_FALSE(map.is_open(lisbon, kNineToNine, T("2026-07-15T20:00:00Z")));
  // The same instants evaluated in reverse order (cache must not leak answers).
  EXPECT_FALSE(map.is_open(lisbon, kNineToNine, T("2026-07-15T20:00:00Z")));
  EXPECT_TRUE(map.is_open(lisbon, kNineToNine, T("2026-07-15T19:59:00Z")));
  EXPECT_TRUE(map.is_open(lisbon, kNineToNine, T("2026-07-15T08:00:00Z")));
  EXPECT_FALSE(map.is_open(lisbon, kNineToNine, T("2026-07-15T07:59:59Z")));
}

TEST(CallWindow, NewYorkDstStart) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId ny = map.zone_set_for("+12125551234");
  // 2026-03-08 02:00 EST → 03:00 EDT (07:00Z).
  expect_open_interval(map, ny, kNineToNine, "2026-03-07T14:00:00Z", "2026-03-08T02:00:00Z");
  expect_open_interval(map, ny, kNineToNine, "2026-03-08T13:00:00Z", "2026-03-09T01:00:00Z");
  expect_open_interval(map, ny, kNineToNine, "2026-03-09T13:00:00Z", "2026-03-10T01:00:00Z");
  EXPECT_EQ(map.next_open(ny, kNineToNine, T("2026-03-07T06:00Z")), T("2026-03-07T14:00Z"));
  EXPECT_EQ(map.next_open(ny, kNineToNine, T("2026-03-08T02:00Z")), T("2026-03-08T13:00Z"));
  EXPECT_EQ(map.next_open(ny, kNineToNine, T("2026-03-09T01:00Z")), T("2026-03-09T13:00Z"));
}

TEST(CallWindow, LisbonDstStart) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId lisbon = map.zone_set_for("+351211234567");
  // 2026-03-29 01:00Z: WET (UTC+0) → WEST (UTC+1).
  expect_open_interval(map, lisbon, kNineToNine, "2026-03-28T09:00:00Z", "2026-03-28T21:00:00Z");
  expect_open_interval(map, lisbon, kNineToNine, "2026-03-29T08:00:00Z", "2026-03-29T20:00:00Z");
  expect_open_interval(map, lisbon, kNineToNine, "2026-03-30T08:00:00Z", "2026-03-30T20:00:00Z");
  EXPECT_EQ(map.next_open(lisbon, kNineToNine, T("2026-03-28T00:00Z")), T("2026-03-28T09:00Z"));
  EXPECT_EQ(map.next_open(lisbon, kNineToNine, T("2026-03-28T21:00Z")), T("2026-03-29T08:00Z"));
  EXPECT_EQ(map.next_open(lisbon, kNineToNine, T("2026-03-29T20:00Z")), T("2026-03-30T08:00Z"));
}

TEST(CallWindow, WindowsAcrossSkippedAndRepeatedHours) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId ny = map.zone_set_for("+12125551234");
  // 01:00–03:00 on the spring-forward day lasts one real hour: 01:00 EST (06:00Z) until the
  // clocks jump to 03:00 EDT (07:00Z).
  CallWindow night = CallWindow::every_day(60, 180);
  expect_open_interval(map, ny, night, "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z");
  // A window starting inside the skipped hour opens when the clocks jump, at 03:00 EDT.
  CallWindow skipped_start = CallWindow::every_day(150, 300);
  EXPECT_EQ(map.next_open(ny, skipped_start, T("2026-03-08T05:00Z")), T("2026-03-08T07:00Z"));
  expect_open_interval(map, ny, skipped_start, "2026-03-08T07:00:00Z", "2026-03-08T09:00:00Z");
  // 01:00–02:00 on the fall-back day (2026-11-01) is lived twice: EDT then EST.
  CallWindow one_to_two = CallWindow::every_day(60, 120);
  expect_open_interval(map, ny, one_to_two, "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z");
  EXPECT_TRUE(map.is_open(ny, one_to_two, T("2026-11-01T06:00:00Z")));
}

TEST(CallWindow, MultiZoneIntersection) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId idaho = map.zone_set_for("+12082001234");  // America/Boise & America/Los_Angeles
  CallWindow eight_to_nine = CallWindow::every_day(8 * 60, 21 * 60);
  // Summer: opens at 08:00 PDT (15:00Z), closes at 21:00 MDT (03:00Z).
  expect_open_interval(map, idaho, eight_to_nine, "2026-07-15T15:00:00Z", "2026-07-16T03:00:00Z");
  EXPECT_FALSE(map.is_open(idaho, eight_to_nine, T("2026-07-15T14:30:00Z")));  // Boise 08:30
  EXPECT_FALSE(map.is_open(idaho, eight_to_nine, T("2026-07-16T03:30:00Z")));  // LA 20:30
  // Winter: 08:00 PST (16:00Z) to 21:00 MST (04:00Z).
  expect_open_interval(map, idaho, eight_to_nine, "2026-01-14T16:00:00Z", "2026-01-15T04:00:00Z");
  EXPECT_EQ(map.next_open(idaho, eight_to_nine, T("2026-07-15T06:00Z")), T("2026-07-15T15:00Z"));
  EXPECT_EQ(map.next_open(idaho, eight_to_nine, T("2026-07-16T03:00Z")), T("2026-07-16T15:00Z"));
  EXPECT_EQ(map.next_open(idaho, eight_to_nine, T("2026-01-15T04:00Z")), T("2026-01-15T16:00Z"));
}

TEST(CallWindow, MultiZoneThatNeverOverlapsHasNoNextOpen) {
  TimeZoneMap map;
  // Kiritimati is UTC+14, Pago Pago UTC-11: their Mondays barely overlap.
  ZoneSetId far = map.intern_zones({"Pacific/Kiritimati", "Pacific/Pago_Pago"});
  CallWindow monday_only;
  monday_only.by_weekday[1] = {9 * 60, 17 * 60};
  EXPECT_EQ(map.next_open(far, monday_only, T("2026-01-12T00:00Z")), std::nullopt);
  // Each zone on its own does open.
  EXPECT_EQ(
      map.next_open(map.intern_zones({"Pacific/Kiritimati"}), monday_only, T("2026-01-12T03:00Z")),
      T("2026-01-18T19:00Z"));  // Monday 19 Jan 09:00 +14
  EXPECT_EQ(
      map.next_open(map.intern_zones({"Pacific/Pago_Pago"}), monday_only, T("2026-01-12T00:00Z")),
      T("2026-01-12T20:00Z"));  // Monday 12 Jan 09:00 -11
}

TEST(CallWindow, PerWeekdayWindowAndNextOpenAcrossWeekend) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId lisbon = map.zone_set_for("+351211234567");
  ZoneSetId ny = map.zone_set_for("+12125551234");
  CallWindow weekdays;  // Mon–Fri 09:00–21:00, Sat 10:00–14:00, closed Sunday
  for (int day = 1; day <= 5; ++day) weekdays.by_weekday[day] = {9 * 60, 21 * 60};
  weekdays.by_weekday[6] = {10 * 60, 14 * 60};

  // Saturday 2026-01-17 in Lisbon (UTC+0).
  expect_open_interval(map, lisbon, weekdays, "2026-01-17T10:00:00Z", "2026-01-17T14:00:00Z");
  EXPECT_FALSE(map.is_open(lisbon, weekdays, T("2026-01-18T12:00Z")));  // Sunday
  EXPECT_EQ(map.next_open(lisbon, weekdays, T("2026-01-17T14:00Z")), T("2026-01-19T09:00Z"));
  EXPECT_EQ(map.next_open(lisbon, weekdays, T("2026-01-16T21:00Z")), T("2026-01-17T10:00Z"));
  // The weekday is the called party's: 2026-01-19T01:00Z is Monday in UTC but Sunday 20:00 in
  // New York, so closed there; New York opens Monday 09:00 EST = 14:00Z.
  EXPECT_FALSE(map.is_open(ny, weekdays, T("2026-01-19T01:00Z")));
  EXPECT_EQ(map.next_open(ny, weekdays, T("2026-01-17T19:00Z")), T("2026-01-19T14:00Z"));
  // Friday 21:00 EST (Saturday 02:00Z) is already closed.
  EXPECT_FALSE(map.is_open(ny, weekdays, T("2026-01-17T02:00Z")));
  EXPECT_TRUE(map.is_open(ny, weekdays, T("2026-01-17T01:59Z")));
}

TEST(CallWindow, NextOpenReturnsTheInstantItselfWhenOpen) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId lisbon = map.zone_set_for("+351211234567");
  TimePoint t = T("2026-01-15T12:34:56.789Z");
  EXPECT_EQ(map.next_open(lisbon, kNineToNine, t), t);
}

TEST(CallWindow, NextOpenOfAlwaysClosedWindowIsNullopt) {
  const TimeZoneMap& map = shared_map();
  ZoneSetId lisbon = map.zone_set_for("+351211234567");
  EXPECT_EQ(map.next_open(lisbon, CallWindow{}, T("2026-01-15T12:00Z")), std::nullopt);
  EXPECT_FALSE(map.is_open(lisbon, CallWindow{}, T("2026-01-15T12:00Z")));
  EXPECT_EQ(map.next_open(kUnknownZoneSet, CallWindow{}, T("2026-01-15T12:00Z")), std::nullopt);
}

TEST(CallWindow, UnknownZoneSetUsesFallbackZone) {
  const TimeZoneMap& map = shared_map();
  TimePoint t = T("2026-01-15T09:30Z");  // 09:30 UTC, 04:30 in New York
  EXPECT_TRUE(map.is_open(kUnknownZoneSet, kNineToNine, t));
  EXPECT_FALSE(map.is_open(kUnknownZoneSet, kNineToNine, t, "America/New_York"));
  EXPECT_TRUE(map.is_open(kUnknownZoneSet, kNineToNine, t, "Europe/Lisbon"));
  EXPECT_EQ(map.next_open(kUnknownZoneSet, kNineToNine, t, "America/New_York"),
            T("2026-01-15T14:00Z"));
  EXPECT_THROW(map.is_open(kUnknownZoneSet, kNineToNine, t, "Not/AZone"), Error);
}

// is_open agrees with CCTZ's own local time (via local_time_string) at random instants, including
// instants far outside the cached offset tables, for every zone of the map's catch-all +1 set.
bool reference_open(const std::string& zone, const LocalTimeRange& range, TimePoint t) {
  std::string local = TimeZoneMap::local_time_string(zone, t);  // "YYYY-MM-DD HH:MM:SS"
  int minute = std::stoi(local.substr(11, 2)) * 60 + std::stoi(local.substr(14, 2));
  return range.contains(minute);
}

TEST(CallWindow, AgreesWithCctzAtRandomInstants) {
  TimeZoneMap& map = shared_map();
  Names zones = map.zone_names(map.zone_set_for("+18005551234"));
  zones.insert(zones.end(), {"Europe/Lisbon", "Atlantic/Azores", "Asia/Kathmandu",
                             "Australia/Lord_Howe", "Pacific/Chatham", "UTC"});
  const LocalTimeRange range{8 * 60 + 15, 20 * 60 + 45};
  const CallWindow window = CallWindow::every_day(range.start_minute, range.end_minute);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> any_time(-2'000'000'000'000LL, 6'000'000'000'000LL);
  for (const std::string& zone : zones) {
    ZoneSetId id = map.intern_zones({zone});
    for (int i = 0; i < 300; ++i) {
      TimePoint t{Duration(any_time(rng))};
      ASSERT_EQ(map.is_open(id, window, t), reference_open(zone, range, t))
          << zone << " at " << format_utc(t);
    }
  }
}

TEST(CallWindow, ConcurrentIsOpenIsConsistent) {
  TimeZoneMap& map = shared_map();
  const Names zones{"Europe/Lisbon", "America/New_York", "America/Boise", "Asia/Kathmandu"};
  std::vector<ZoneSetId> ids;
  for (const std::string& zone : zones) ids.push_back(map.intern_zones({zone}));
  const LocalTimeRange range{9 * 60, 21 * 60};
  // Precompute the expected answers on this thread, minute by minute over three days.
  const TimePoint start = T("2026-03-07T00:00Z");
  constexpr int kMinutes = 3 * 1440;
  std::vector<std::vector<char>> expected(zones.size(), std::vector<char>(kMinutes));
  for (std::size_t z = 0; z < zones.size(); ++z) {
    for (int m = 0; m < kMinutes; ++m) {
      expected[z][m] = reference_open(zones[z], range, start + std::chrono::minutes(m));
    }
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 4; ++thread) {
    threads.emplace_back([&, thread] {
      std::mt19937 rng(static_cast<unsigned>(thread));
      for (int i = 0; i < 50'000; ++i) {
        std::size_t z = rng() % zones.size();
        int m = static_cast<int>(rng() % kMinutes);
        bool open = map.is_open(ids[z], kNineToNine, start + std::chrono::minutes(m));
        if (open != static_cast<bool>(expected[z][m])) ++mismatches;
        if (thread == 0 && i % 1000 == 0) map.intern_zones({zones[z], "Europe/Paris"});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace omnivox

namespace omnivox {
namespace {

TEST(CallWindow, IntersectKeepsOnlyHoursBothAllow) {
  CallWindow campaign = CallWindow::every_day(7 * 60, 22 * 60);
  campaign.by_weekday[6] = {};  // the campaign never calls on Saturdays
  CallWindow rule = CallWindow::every_day(8 * 60, 21 * 60);
  rule.by_weekday[1] = {22 * 60, 23 * 60};  // no overlap on Mondays
  CallWindow both = CallWindow::intersect(campaign, rule);
  EXPECT_EQ(both.by_weekday[3].start_minute, 8 * 60);
  EXPECT_EQ(both.by_weekday[3].end_minute, 21 * 60);
  EXPECT_TRUE(both.by_weekday[6].closed());
  EXPECT_TRUE(both.by_weekday[1].closed());
}

}  // namespace
}  // namespace omnivox
