// The compliance rules the queue generator enforces on top of the campaign's (docs/architecture.md,
// Eligibility and Compliance profiles): region rules (US states: Florida's 08:00-20:00 window and
// 3 calls per 24 h), holidays (AU national holidays), the UK repeat rules (72 h after an abandon,
// 24 h after an AMD machine, unless an agent is guaranteed), and the explain texts. Targeted cases
// first, then property tests over random contacts, histories and instants (fixed seeds) checked
// against an independent oracle that reads local times through TimeZoneMap::local_time_string
// (CCTZ).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "omnivox/queue_generator.h"

namespace omnivox {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ComplianceRulesTest : public ::testing::Test {
 protected:
  ComplianceRulesTest() : zones_(TimeZoneMap::load(TimeZoneMap::default_path())) {
    campaign_.id = "cr";
    campaign_.max_attempts = 20;
    campaign_.call_window = CallWindow::always();
  }
  void use(const ComplianceProfile& profile) {
    campaign_.compliance = profile;
    storage_->put_campaign(campaign_);
  }
  Contact make(const std::string& number) {
    Contact c;
    c.campaign_id = campaign_.id;
    c.external_id = number;
    PhoneNumber n{number};
    n.zone_set = zones_.zone_set_for(number);
    c.numbers.push_back(n);
    return c;
  }
  ContactId add(const std::string& number) { return storage_->add_contact(make(number)); }
  Contact get(ContactId id) { return *storage_->get_contact(id); }
  // Records a finished attempt on the contact's first number, as the engine would.
  void record(ContactId id, TimePoint at, Disposition d, AmdResult amd = AmdResult::kNone,
              bool set_number_times = true) {
    Contact c = get(id);
    Attempt a;
    a.call_id = storage_->allocate_call_id();
    a.contact_id = id;
    a.campaign_id = campaign_.id;
    a.number = c.numbers[0].e164;
    a.attempt_number = static_cast<std::uint16_t>(c.attempts + 1);
    a.created_at = at;
    a.ended_at = at + seconds(30);
    a.disposition = d;
    a.amd = amd;
    a.state = CallState::kCompleted;
    storage_->put_attempt(a);
    c.attempts++;
    c.numbers[0].attempts++;
    c.last_attempt_at = at;
    c.last_disposition = d;
    c.numbers[0].last_disposition = d;
    if (set_number_times && d == Disposition::kAbandoned) c.numbers[0].last_abandon_at = a.ended_at;
    if (set_number_times && d == Disposition::kMachine) c.numbers[0].last_machine_at = a.ended_at;
    c.status = ContactStatus::kRetry;
    c.next_attempt_at = at + minutes(10);
    storage_->update_contact(c);
  }
  EligibilityReport explain(ContactId id, TimePoint t, bool agent_guaranteed = false) {
    QueueGenerator gen(campaign_, storage_.get(), &zones_);
    return gen.explain(get(id), t, "me", true, agent_guaranteed);
  }
  Ineligibility why(ContactId id, TimePoint t, bool agent_guaranteed = false) {
    return explain(id, t, agent_guaranteed).reason;
  }
  std::vector<ContactId> fill(TimePoint t, TimePoint* wake = nullptr) {
    QueueGenerator gen(campaign_, storage_.get(), &zones_);
    std::vector<DialQueueEntry> out;
    TimePoint w = gen.fill(
        t, 100, [](ContactId) { return false; }, out);
    if (wake) *wake = w;
    std::vector<ContactId> ids;
    for (auto& e : out) ids.push_back(e.contact_id);
    return ids;
  }

  TimeZoneMap zones_;
  std::unique_ptr<Storage> storage_ = make_memory_storage();
  CampaignConfig campaign_;
};

// ---- region rules ------------------------------------------------------------------------------

TEST_F(ComplianceRulesTest, FloridaAt2030IsRejectedUnderUsRulesButNotUnderNone) {
  // 2026-05-05T00:30Z is Monday 20:30 EDT in Miami (305), Orlando (407), Tampa (813) and New York.
  const TimePoint t = parse_utc("2026-05-05T00:30:00Z");
  use(ComplianceProfile::us_ftc_fcc());
  ContactId miami = add("+13055550123");
  ContactId orlando = add("+14075550123");
  ContactId tampa = add("+18135550123");
  ContactId new_york = add("+12125550123");
  for (ContactId id : {miami, orlando, tampa}) {
    auto report = explain(id, t);
    EXPECT_EQ(report.reason, Ineligibility::kOutsideCallWindow) << report.detail;
    // Opens at 08:00 EDT on Tuesday.
    EXPECT_EQ(report.eligible_at, parse_utc("2026-05-05T12:00:00Z"));
    EXPECT_TRUE(contains(report.detail, "local time 20:30 Monday in America/New_York"))
        << report.detail;
    EXPECT_TRUE(contains(report.detail, "window on Mondays 08:00-20:00")) << report.detail;
    EXPECT_TRUE(contains(report.detail, "US_FTC_FCC ∩ US-FL")) << report.detail;
  }
  EXPECT_EQ(why(new_york, t), Ineligibility::kNone) << "the federal window is 08:00-21:00";
  EXPECT_EQ(why(miami, t - minutes(31)), Ineligibility::kNone) << "19:59 in Miami";
  EXPECT_TRUE(contains(explain(miami, t - hours(1)).detail, "(US-FL)"));
  EXPECT_EQ(fill(t), std::vector<ContactId>{new_york});

  use(ComplianceProfile::none());
  for (ContactId id : {miami, orlando, tampa, new_york}) {
    EXPECT_EQ(why(id, t), Ineligibility::kNone);
  }
}

TEST_F(ComplianceRulesTest, BoiseAndNonUsNumbersHaveNoFloridaRule) {
  use(ComplianceProfile::us_ftc_fcc());
  // 2026-05-05T02:30Z: 20:30 in Boise (MDT), 19:30 in Los Angeles: open in both.
  ContactId boise = add("+12085550123");
  auto report = explain(boise, parse_utc("2026-05-05T02:30:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kNone) << report.detail;
  EXPECT_FALSE(contains(report.detail, "US-")) << report.detail;
  // 03:30Z: 21:30 in Boise (closed), 20:30 in Los Angeles: the intersection is closed, and the
  // detail shows both zones.
  report = explain(boise, parse_utc("2026-05-05T03:30:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kOutsideCallWindow);
  EXPECT_TRUE(contains(report.detail, "America/Boise")) << report.detail;
  EXPECT_TRUE(contains(report.detail, "America/Los_Angeles")) << report.detail;
  // Four calls in a day to a Lisbon number: no region cap applies.
  ContactId lisbon = add("+351212345678");
  TimePoint t = parse_utc("2026-05-04T15:00:00Z");
  for (int i = 4; i >= 1; --i) record(lisbon, t - hours(i), Disposition::kNoAnswer);
  EXPECT_EQ(why(lisbon, t), Ineligibility::kNone);
}

TEST_F(ComplianceRulesTest, FourthCallIn24HoursToAFloridaNumberIsRejected) {
  use(ComplianceProfile::us_ftc_fcc());
  // Monday 2026-05-04 15:00 EDT.
  const TimePoint t = parse_utc("2026-05-04T19:00:00Z");
  ContactId miami = add("+13055550123");
  ContactId new_york = add("+12125550123");
  for (ContactId id : {miami, new_york}) {
    record(id, t - hours(20), Disposition::kNoAnswer);
    record(id, t - hours(6), Disposition::kBusy);
  }
  EXPECT_EQ(why(miami, t), Ineligibility::kNone) << "two calls in 24 h";
  for (ContactId id : {miami, new_york}) record(id, t - hours(2), Disposition::kNoAnswer);
  auto report = explain(miami, t);
  EXPECT_EQ(report.reason, Ineligibility::kRegionCallCap) << report.detail;
  EXPECT_EQ(report.eligible_at, t + hours(4)) << "the oldest of the three + 24 h";
  EXPECT_TRUE(contains(report.detail, "US-FL: 3 calls in 24 h")) << report.detail;
  EXPECT_TRUE(contains(report.detail, "(US_FTC_FCC)")) << report.detail;
  EXPECT_TRUE(contains(report.detail, "next allowed 2026-05-04T23:00:00.000Z")) << report.detail;
  // The engine's own re-check before dialing (no DNC/lease check) still applies the cap, and so
  // does an agent: the cap is not waived.
  QueueGenerator gen(campaign_, storage_.get(), &zones_);
  EXPECT_EQ(gen.explain(get(miami), t, "me", false).reason, Ineligibility::kRegionCallCap);
  EXPECT_EQ(why(miami, t, /*agent_guaranteed=*/true), Ineligibility::kRegionCallCap);
  EXPECT_EQ(why(new_york, t), Ineligibility::kNone) << "no cap in New York";
  TimePoint wake;
  EXPECT_EQ(fill(t, &wake), std::vector<ContactId>{new_york});
  EXPECT_EQ(wake, t + hours(4));
  EXPECT_EQ(why(miami, t + hours(4) - seconds(1)), Ineligibility::kRegionCallCap);
  EXPECT_EQ(why(miami, t + hours(4)), Ineligibility::kNone);

  use(ComplianceProfile::none());
  EXPECT_EQ(why(miami, t), Ineligibility::kNone);
}

TEST_F(ComplianceRulesTest, FillRemembersCappedContactsAndStillFillsTheQueue) {
  use(ComplianceProfile::us_ftc_fcc());
  const TimePoint t = parse_utc("2026-05-04T19:00:00Z");
  std::vector<ContactId> capped;
  for (int i = 0; i < 30; ++i) {
    ContactId id = add("+1305555" + std::to_string(1000 + i));
    for (int h : {20, 10, 1}) record(id, t - hours(h), Disposition::kNoAnswer);
    capped.push_back(id);
  }
  std::vector<ContactId> open;
  for (int i = 0; i < 10; ++i) open.push_back(add("+1212555" + std::to_string(1000 + i)));
  // The capped contacts come first in list order; the queue is still filled with the others.
  QueueGenerator gen(campaign_, storage_.get(), &zones_);
  std::vector<DialQueueEntry> out;
  TimePoint wake = gen.fill(
      t, 4, [](ContactId) { return false; }, out);
  ASSERT_EQ(out.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(out[i].contact_id, open[i]);
  EXPECT_EQ(wake, t + hours(4));
  // Second fill (same generator, later): the remembered exclusions are not read again, and the
  // result is the same as a fresh generator's.
  std::set<ContactId> held;
  for (auto& e : out) held.insert(e.contact_id);
  out.clear();
  gen.fill(
      t + minutes(1), 100, [&](ContactId id) { return held.count(id) > 0; }, out);
  ASSERT_EQ(out.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(out[i].contact_id, open[4 + i]);
  out.clear();
  gen.fill(
      t + hours(4), 100, [&](ContactId id) { return held.count(id) > 0; }, out);
  EXPECT_EQ(out.size(), 36u) << "the caps have lapsed";
}

// ---- holidays ----------------------------------------------------------------------------------

TEST_F(ComplianceRulesTest, AustralianHolidaysSundaysAndSaturdayEvenings) {
  use(ComplianceProfile::au_acma());
  ContactId sydney = add("+61212345678");
  // Anzac Day, Saturday 2026-04-25, 10:00 AEST: a holiday (and a Saturday inside the window).
  auto report = explain(sydney, parse_utc("2026-04-25T00:00:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kHoliday) << report.detail;
  // Next allowed: Monday 2026-04-27 09:00 AEST (Sunday is closed).
  EXPECT_EQ(report.eligible_at, parse_utc("2026-04-26T23:00:00Z"));
  EXPECT_TRUE(contains(report.detail, "2026-04-25 in Australia/Sydney")) << report.detail;
  EXPECT_TRUE(contains(report.detail, "AU_ACMA")) << report.detail;
  // Anzac Day starts at local midnight: 23:59 on Friday the 24th is outside the window, not a
  // holiday; 09:00 on Friday is fine.
  EXPECT_EQ(why(sydney, parse_utc("2026-04-24T13:59:00Z")), Ineligibility::kOutsideCallWindow);
  EXPECT_EQ(why(sydney, parse_utc("2026-04-24T14:00:00Z")), Ineligibility::kHoliday);
  EXPECT_EQ(why(sydney, parse_utc("2026-04-23T23:00:00Z")), Ineligibility::kNone);
  // Sunday 2026-05-03 12:00 AEST.
  report = explain(sydney, parse_utc("2026-05-03T02:00:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kOutsideCallWindow);
  EXPECT_TRUE(contains(report.detail, "window on Sundays closed")) << report.detail;
  EXPECT_EQ(report.eligible_at, parse_utc("2026-05-03T23:00:00Z"));
  // Saturday 2026-05-02: 16:59 AEST allowed, 17:00 not.
  EXPECT_EQ(why(sydney, parse_utc("2026-05-02T06:59:00Z")), Ineligibility::kNone);
  report = explain(sydney, parse_utc("2026-05-02T07:00:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kOutsideCallWindow);
  EXPECT_TRUE(contains(report.detail, "local time 17:00 Saturday in Australia/Sydney"))
      << report.detail;
  EXPECT_TRUE(contains(report.detail, "window on Saturdays 09:00-17:00 (campaign ∩ AU_ACMA)"))
      << report.detail;
  // A weekday at 19:59 is fine (the weekday window is 09:00-20:00).
  EXPECT_EQ(why(sydney, parse_utc("2026-05-04T09:59:00Z")), Ineligibility::kNone);
  // Christmas 2026 (Friday): Saturday 26th 09:00 AEDT is allowed (Boxing Day's holiday is the
  // substitute Monday 28th).
  report = explain(sydney, parse_utc("2026-12-25T00:00:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kHoliday);
  EXPECT_EQ(report.eligible_at, parse_utc("2026-12-25T22:00:00Z"));
  // Monday 27th and Tuesday 28th December 2027 are both holidays: the run ends on Wednesday.
  report = explain(sydney, parse_utc("2027-12-27T00:00:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kHoliday);
  EXPECT_EQ(report.eligible_at, parse_utc("2027-12-28T22:00:00Z"));
  // A window exclusion whose next opening falls on a holiday reports the day after it.
  report = explain(sydney, parse_utc("2026-04-24T11:00:00Z"));  // Friday 21:00
  EXPECT_EQ(report.reason, Ineligibility::kOutsideCallWindow);
  EXPECT_EQ(report.eligible_at, parse_utc("2026-04-26T23:00:00Z"));
}

TEST_F(ComplianceRulesTest, HolidaysAreLocalDatesInEveryZoneOfTheSet) {
  ComplianceProfile p = ComplianceProfile::none();
  p.name = "TEST";
  p.holidays = {"2026-06-01"};
  use(p);
  // +61 8 7: Adelaide (UTC+9:30) and Perth (UTC+8). 2026-05-31T15:00Z is 00:30 on June 1st in
  // Adelaide but 23:00 on May 31st in Perth: already a holiday for the set.
  ContactId c = add("+61870000000");
  auto report = explain(c, parse_utc("2026-05-31T15:00:00Z"));
  EXPECT_EQ(report.reason, Ineligibility::kHoliday) << report.detail;
  EXPECT_TRUE(contains(report.detail, "Australia/Adelaide")) << report.detail;
  // Ends at midnight in Perth, the later of the two.
  EXPECT_EQ(report.eligible_at, parse_utc("2026-06-01T16:00:00Z"));
  EXPECT_EQ(why(c, parse_utc("2026-06-01T16:00:00Z")), Ineligibility::kNone);
  EXPECT_EQ(why(c, parse_utc("2026-05-31T14:29:00Z")), Ineligibility::kNone);

  p.holidays = {"2026-13-01"};
  campaign_.compliance = p;
  EXPECT_THROW(QueueGenerator(campaign_, storage_.get(), &zones_), Error);
}

// ---- repeat rules ------------------------------------------------------------------------------

TEST_F(ComplianceRulesTest, UkNoRepeatWithin72HoursOfAnAbandon) {
  use(ComplianceProfile::uk_ofcom());
  // Monday 2026-05-04 11:00 BST; every instant below is inside 08:00-21:00 in London.
  const TimePoint t0 = parse_utc("2026-05-04T10:00:00Z");
  ContactId id = add("+441632960123");
  record(id, t0, Disposition::kAbandoned);
  const TimePoint ended = t0 + seconds(30);
  auto report = explain(id, ended + hours(71));
  EXPECT_EQ(report.reason, Ineligibility::kRepeatAfterAbandon) << report.detail;
  EXPECT_EQ(report.eligible_at, ended + hours(72));
  EXPECT_TRUE(contains(report.detail, "+441632960123: abandoned call at 2026-05-04T10:00:30.000Z"))
      << report.detail;
  EXPECT_TRUE(contains(report.detail, "within 72 h unless an agent is guaranteed (UK_OFCOM)"))
      << report.detail;
  EXPECT_EQ(why(id, ended + hours(73)), Ineligibility::kNone);
  // An agent is guaranteed: preview / call now (the flag), or an owned callback.
  EXPECT_EQ(why(id, t0 + hours(1)), Ineligibility::kRepeatAfterAbandon);
  EXPECT_EQ(why(id, t0 + hours(1), /*agent_guaranteed=*/true), Ineligibility::kNone);
  TimePoint wake;
  EXPECT_TRUE(fill(t0 + hours(1), &wake).empty());
  EXPECT_EQ(wake, ended + hours(72));
  Contact c = get(id);
  c.status = ContactStatus::kCallback;
  c.callback_agent = 3;
  storage_->update_contact(c);
  EXPECT_EQ(why(id, t0 + hours(1)), Ineligibility::kNone);
  QueueGenerator gen(campaign_, storage_.get(), &zones_);
  std::vector<DialQueueEntry> out;
  gen.fill(
      t0 + hours(1), 10, [](ContactId) { return false; }, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].callback_agent, 3u);
  // PREVIEW campaigns always have an agent on the call.
  c.status = ContactStatus::kRetry;
  c.callback_agent = kNoAgent;
  storage_->update_contact(c);
  campaign_.dial_mode = DialMode::kPreview;
  EXPECT_EQ(why(id, t0 + hours(1)), Ineligibility::kNone);
}

TEST_F(ComplianceRulesTest, UkNoRepeatWithin24HoursOfAnAmdMachine) {
  use(ComplianceProfile::uk_ofcom());
  const TimePoint t0 = parse_utc("2026-05-04T10:00:00Z");
  ContactId id = add("+447700900123");
  record(id, t0, Disposition::kMachine, AmdResult::kMachine);
  auto report = explain(id, t0 + hours(23));
  EXPECT_EQ(report.reason, Ineligibility::kRepeatAfterMachine) << report.detail;
  EXPECT_EQ(report.eligible_at, t0 + seconds(30) + hours(24));
  EXPECT_EQ(why(id, t0 + hours(25)), Ineligibility::kNone);
  // A later call that was not abandoned does not lift an abandon's 72 h.
  ContactId other = add("+447700900124");
  record(other, t0, Disposition::kAbandoned);
  record(other, t0 + hours(2), Disposition::kNoAnswer);  // agent-guaranteed call, say
  EXPECT_EQ(why(other, t0 + hours(48)), Ineligibility::kRepeatAfterAbandon);
  // Other profiles have no repeat rule.
  use(ComplianceProfile::us_ftc_fcc());
  EXPECT_EQ(why(id, t0 + hours(1)), Ineligibility::kNone);
}

TEST_F(ComplianceRulesTest, RepeatRulesFallBackToTheHistoryWhenTheNumberHasNoTimes) {
  use(ComplianceProfile::uk_ofcom());
  const TimePoint t0 = parse_utc("2026-05-04T10:00:00Z");
  ContactId abandoned = add("+441632960123");
  record(abandoned, t0, Disposition::kAbandoned, AmdResult::kNone, /*set_number_times=*/false);
  ContactId machine = add("+441632960124");
  record(machine, t0, Disposition::kMachine, AmdResult::kMachine, false);
  ASSERT_EQ(get(abandoned).numbers[0].last_abandon_at, TimePoint{});
  auto report = explain(abandoned, t0 + hours(71));
  EXPECT_EQ(report.reason, Ineligibility::kRepeatAfterAbandon) << report.detail;
  EXPECT_EQ(report.eligible_at, t0 + seconds(30) + hours(72));
  EXPECT_EQ(why(abandoned, t0 + hours(73)), Ineligibility::kNone);
  EXPECT_EQ(why(abandoned, t0 + hours(1), true), Ineligibility::kNone);
  EXPECT_EQ(why(machine, t0 + hours(23)), Ineligibility::kRepeatAfterMachine);
  EXPECT_EQ(why(machine, t0 + hours(25)), Ineligibility::kNone);
  TimePoint wake;
  EXPECT_TRUE(fill(t0 + hours(1), &wake).empty());
  EXPECT_EQ(wake, t0 + seconds(30) + hours(24));
  EXPECT_EQ(fill(t0 + hours(73)), (std::vector<ContactId>{abandoned, machine}));
}

TEST_F(ComplianceRulesTest, NamesOfTheNewReasonsAndCensus) {
  EXPECT_STREQ(to_string(Ineligibility::kHoliday), "holiday");
  EXPECT_STREQ(to_string(Ineligibility::kRegionCallCap), "region_call_cap");
  EXPECT_STREQ(to_string(Ineligibility::kRepeatAfterAbandon), "repeat_after_abandon");
  EXPECT_STREQ(to_string(Ineligibility::kRepeatAfterMachine), "repeat_after_machine");
  EXPECT_STREQ(to_string(Ineligibility::kLeased), "leased");
  ComplianceProfile p = ComplianceProfile::us_ftc_fcc();
  p.no_repeat_after_abandon = hours(72);
  p.holidays = {"2026-05-04"};
  use(p);
  const TimePoint t = parse_utc("2026-05-05T19:00:00Z");  // Tuesday 15:00 EDT
  ContactId capped = add("+13055550123");
  for (int h : {20, 10, 1}) record(capped, t - hours(h), Disposition::kNoAnswer);
  ContactId abandoned = add("+12125550123");
  record(abandoned, t - hours(5), Disposition::kAbandoned);
  add("+12125550124");
  ContactId sydney = add("+61212345678");  // Wednesday 05:00 in Sydney: closed
  (void)sydney;
  QueueGenerator gen(campaign_, storage_.get(), &zones_);
  auto counts = gen.census(t);
  ASSERT_EQ(counts.size(), static_cast<std::size_t>(kIneligibilityCount));
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kNone)], 1u);
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kRegionCallCap)], 1u);
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kRepeatAfterAbandon)], 1u);
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kOutsideCallWindow)], 1u);
  // A day earlier, the holiday (May 4th, local) in New York; the other two were not due yet.
  counts = gen.census(parse_utc("2026-05-04T19:00:00Z"));
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kHoliday)], 1u);
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kRetryDelay)], 2u);
}

// ---- property tests ----------------------------------------------------------------------------

// Independent model of the rules, from the profile's fields and local civil times.
struct Oracle {
  const CampaignConfig& campaign;
  TimeZoneMap& zones;

  static bool in_florida(const std::string& e164) {
    static const std::set<std::string> kFlorida = {"305", "407", "813", "850", "904", "954", "561"};
    return e164.size() == 12 && e164.compare(0, 2, "+1") == 0 && kFlorida.count(e164.substr(2, 3));
  }
  std::vector<std::string> zone_names(const Contact& c, const PhoneNumber& n) const {
    ZoneSetId zs = n.zone_set;
    if (zs == kUnknownZoneSet && !c.time_zone.empty()) return {c.time_zone};
    if (zs == kUnknownZoneSet) zs = zones.zone_set_for(n.e164);
    auto names = zones.zone_names(zs);
    if (names.empty()) names.push_back(campaign.fallback_time_zone);
    return names;
  }
  // Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
  static long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const long era = (y >= 0 ? y : y - 399) / 400;
    const long yoe = y - era * 400;
    const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
  }
  struct Local {
    std::string date;
    int weekday;  // 0 = Sunday
    int minute;
  };
  static Local local(const std::string& zone, TimePoint t) {
    std::string s = TimeZoneMap::local_time_string(zone, t);  // "YYYY-MM-DD HH:MM:SS"
    Local l;
    l.date = s.substr(0, 10);
    long days = days_from_civil(std::stoi(s.substr(0, 4)), std::stoi(s.substr(5, 2)),
                                std::stoi(s.substr(8, 2)));
    l.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
    l.minute = std::stoi(s.substr(11, 2)) * 60 + std::stoi(s.substr(14, 2));
    return l;
  }
  const RegionRule* florida_rule() const {
    for (const auto& r : campaign.compliance.region_rules) {
      if (r.region == "US-FL") return &r;
    }
    return nullptr;
  }
  bool holiday(const Contact& c, const PhoneNumber& n, TimePoint t) const {
    const auto& days = campaign.compliance.holidays;
    for (const auto& zone : zone_names(c, n)) {
      if (std::find(days.begin(), days.end(), local(zone, t).date) != days.end()) return true;
    }
    return false;
  }
  bool window_open(const Contact& c, const PhoneNumber& n, TimePoint t) const {
    const RegionRule* fl = in_florida(n.e164) ? florida_rule() : nullptr;
    for (const auto& zone : zone_names(c, n)) {
      Local l = local(zone, t);
      std::vector<LocalTimeRange> ranges = {campaign.call_window.by_weekday[l.weekday],
                                            campaign.compliance.call_window.by_weekday[l.weekday]};
      if (fl && fl->call_window) ranges.push_back(fl->call_window->by_weekday[l.weekday]);
      for (const auto& r : ranges) {
        if (!r.contains(l.minute)) return false;
      }
    }
    return true;
  }
  int calls_in_24h(const std::vector<Attempt>& history, TimePoint t) const {
    int n = 0;
    for (const auto& a : history) n += a.created_at > t - hours(24);
    return n;
  }
  bool over_cap(const Contact& c, const PhoneNumber& n, const std::vector<Attempt>& history,
                TimePoint t) const {
    const RegionRule* fl = in_florida(n.e164) ? florida_rule() : nullptr;
    return fl && fl->max_calls_per_24h > 0 && calls_in_24h(history, t) >= fl->max_calls_per_24h;
  }
  // The latest end of an attempt on `number` matching `pred`.
  template <typename Pred>
  static TimePoint last_end(const std::vector<Attempt>& history, const std::string& number,
                            Pred pred) {
    TimePoint at{};
    for (const auto& a : history) {
      if (a.number == number && pred(a)) at = std::max(at, a.ended_at);
    }
    return at;
  }
  bool within_abandon(const std::vector<Attempt>& history, const PhoneNumber& n,
                      TimePoint t) const {
    Duration span = campaign.compliance.no_repeat_after_abandon;
    TimePoint at = last_end(
        history, n.e164, [](const Attempt& a) { return a.disposition == Disposition::kAbandoned; });
    return span > Duration(0) && at != TimePoint{} && t < at + span;
  }
  bool within_machine(const std::vector<Attempt>& history, const PhoneNumber& n,
                      TimePoint t) const {
    Duration span = campaign.compliance.no_repeat_after_machine;
    // MACHINE is an AMD result (without AMD every answer is HUMAN).
    TimePoint at = last_end(
        history, n.e164, [](const Attempt& a) { return a.disposition == Disposition::kMachine; });
    return span > Duration(0) && at != TimePoint{} && t < at + span;
  }
};

const char* const kNumbers[] = {"+1305",   "+1407", "+1813", "+1850", "+1954", "+1208", "+1212",
                                "+1312",   "+1213", "+1907", "+1303", "+1416", "+4420", "+447700",
                                "+441632", "+612",  "+614",  "+6187", "+351",  "+3519"};

std::string random_number(std::mt19937_64& rng) {
  std::string prefix = kNumbers[rng() % (sizeof kNumbers / sizeof kNumbers[0])];
  std::size_t digits =
      prefix.compare(0, 2, "+1") == 0 ? 12 : (prefix.compare(0, 3, "+44") == 0 ? 13 : 12);
  if (prefix == "+351" || prefix == "+3519") digits = 13;
  std::string n = prefix;
  // NANP: the exchange must not start with 0 or 1.
  if (prefix.size() == 5 && prefix[1] == '1') n += static_cast<char>('2' + rng() % 8);
  while (n.size() < digits) n += static_cast<char>('0' + rng() % 10);
  return n;
}

ComplianceProfile random_profile(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return ComplianceProfile::us_ftc_fcc();
    case 1:
      return ComplianceProfile::uk_ofcom();
    case 2:
      return ComplianceProfile::au_acma();
    case 3:
      return ComplianceProfile::ca_crtc();
    case 4:
      return ComplianceProfile::none();
    default: {
      // Everything at once, with a small cap and short repeat windows.
      ComplianceProfile p = ComplianceProfile::au_acma();
      p.name = "ALL";
      p.call_window = CallWindow::every_day(7 * 60, 22 * 60);
      p.call_window.by_weekday[0] = {10 * 60, 16 * 60};
      p.region_rules.push_back({"US-FL", CallWindow::every_day(8 * 60, 20 * 60), 2});
      p.holidays.push_back("2026-07-04");
      p.holidays.push_back("2026-11-26");
      p.no_repeat_after_abandon = hours(10);
      p.no_repeat_after_machine = hours(3);
      return p;
    }
  }
}

CallWindow random_window(std::mt19937_64& rng) {
  CallWindow w;
  for (auto& day : w.by_weekday) {
    if (rng() % 8 == 0) continue;  // closed
    int start = static_cast<int>(rng() % (14 * 60));
    int end = start + static_cast<int>(rng() % (1440 - start + 1));
    day = {start, end};
  }
  return w;
}

// A random contact with a random attempt history ending before `before` (stored in `storage`).
struct Generated {
  ContactId id;
  std::vector<Attempt> history;
};

Generated random_contact(std::mt19937_64& rng, Storage& storage, TimeZoneMap& zones,
                         const std::string& campaign_id, TimePoint before) {
  Contact c;
  c.campaign_id = campaign_id;
  int numbers = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < numbers; ++i) {
    PhoneNumber n{random_number(rng)};
    if (rng() % 4 != 0) n.zone_set = zones.zone_set_for(n.e164);
    c.numbers.push_back(n);
  }
  if (rng() % 6 == 0) c.time_zone = rng() % 2 ? "Europe/Lisbon" : "America/Chicago";
  c.priority = static_cast<int>(rng() % 3);
  ContactId id = storage.add_contact(c);
  c = *storage.get_contact(id);
  bool legacy = rng() % 4 == 0;  // numbers without recorded abandon/machine times
  std::vector<Attempt> history;
  int attempts = static_cast<int>(rng() % 6);
  std::vector<TimePoint> starts;
  const std::int64_t span_ms = (rng() % 2 ? 24 : 96) * 3600'000LL;
  for (int i = 0; i < attempts; ++i) {
    starts.push_back(before - Duration(static_cast<std::int64_t>(rng() % span_ms)) - seconds(120));
  }
  std::sort(starts.begin(), starts.end());
  const Disposition kDispositions[] = {Disposition::kNoAnswer, Disposition::kBusy,
                                       Disposition::kAbandoned, Disposition::kMachine,
                                       Disposition::kFailed};
  for (TimePoint start : starts) {
    Attempt a;
    a.call_id = storage.allocate_call_id();
    a.contact_id = id;
    a.campaign_id = campaign_id;
    a.number_index = static_cast<std::uint16_t>(rng() % c.numbers.size());
    a.number = c.numbers[a.number_index].e164;
    a.created_at = start;
    a.ended_at = start + seconds(5 + static_cast<int>(rng() % 60));
    a.disposition = kDispositions[rng() % 5];
    if (a.disposition == Disposition::kMachine) {
      a.amd = rng() % 4 ? AmdResult::kMachine : AmdResult::kNone;
    }
    a.state = CallState::kCompleted;
    history.push_back(a);
  }
  if (legacy) {
    // Without the recorded times only the number's last disposition says there was one: keep
    // abandons/machines on the last attempt of each number only.
    for (std::size_t i = 0; i < history.size(); ++i) {
      bool last = true;
      for (std::size_t j = i + 1; j < history.size(); ++j) {
        if (history[j].number_index == history[i].number_index) last = false;
      }
      if (!last && (history[i].disposition == Disposition::kAbandoned ||
                    history[i].disposition == Disposition::kMachine)) {
        history[i].disposition = Disposition::kNoAnswer;
        history[i].amd = AmdResult::kNone;
      }
    }
  }
  for (const Attempt& a : history) {
    storage.put_attempt(a);
    PhoneNumber& n = c.numbers[a.number_index];
    n.attempts++;
    n.last_disposition = a.disposition;
    if (!legacy && a.disposition == Disposition::kAbandoned) n.last_abandon_at = a.ended_at;
    if (!legacy && a.disposition == Disposition::kMachine) n.last_machine_at = a.ended_at;
    c.attempts++;
    c.last_attempt_at = a.created_at;
    c.last_disposition = a.disposition;
    c.next_number = static_cast<std::uint16_t>((a.number_index + 1) % c.numbers.size());
  }
  c.status = history.empty() ? ContactStatus::kNew : ContactStatus::kRetry;
  if (rng() % 8 == 0) {
    c.status = ContactStatus::kCallback;
    if (rng() % 2) c.callback_agent = static_cast<AgentId>(rng() % 5);
  }
  c.next_attempt_at = history.empty() ? TimePoint{} : history.back().created_at + minutes(5);
  if (rng() % 10 == 0) c.next_attempt_at = before + hours(1);
  storage.update_contact(c);
  return {id, history};
}

// Checks one explain() verdict against the oracle.
void check_verdict(const Oracle& oracle, const Contact& c, const std::vector<Attempt>& history,
                   TimePoint t, bool guaranteed, const EligibilityReport& r) {
  int chosen = c.next_number % static_cast<int>(c.numbers.size());
  const PhoneNumber& n = c.numbers[chosen];
  std::string where = c.numbers[chosen].e164 + " at " + format_utc(t) + " (" +
                      oracle.campaign.compliance.name + "): " + to_string(r.reason) + ": " +
                      r.detail;
  switch (r.reason) {
    case Ineligibility::kNone:
      EXPECT_TRUE(contains(r.detail, "dialable now on " + n.e164)) << where;
      EXPECT_FALSE(oracle.holiday(c, n, t)) << where;
      EXPECT_TRUE(oracle.window_open(c, n, t)) << where;
      EXPECT_FALSE(oracle.over_cap(c, n, history, t)) << where;
      if (!guaranteed) {
        EXPECT_FALSE(oracle.within_abandon(history, n, t)) << where;
        EXPECT_FALSE(oracle.within_machine(history, n, t)) << where;
      }
      break;
    case Ineligibility::kHoliday:
      EXPECT_TRUE(oracle.holiday(c, n, t)) << where;
      break;
    case Ineligibility::kOutsideCallWindow:
      EXPECT_FALSE(oracle.holiday(c, n, t)) << where;
      EXPECT_FALSE(oracle.window_open(c, n, t)) << where;
      break;
    case Ineligibility::kRegionCallCap:
      EXPECT_TRUE(oracle.over_cap(c, n, history, t)) << where;
      EXPECT_TRUE(oracle.window_open(c, n, t)) << where;
      break;
    case Ineligibility::kRepeatAfterAbandon:
      EXPECT_FALSE(guaranteed) << where;
      EXPECT_TRUE(oracle.within_abandon(history, n, t)) << where;
      break;
    case Ineligibility::kRepeatAfterMachine:
      EXPECT_FALSE(guaranteed) << where;
      EXPECT_TRUE(oracle.within_machine(history, n, t)) << where;
      break;
    default:
      break;
  }
}

TEST(ComplianceRuleProperties, ExplainAgreesWithAnIndependentModel) {
  TimeZoneMap zones = TimeZoneMap::load(TimeZoneMap::default_path());
  std::mt19937_64 rng(20260504);
  const TimePoint year = parse_utc("2026-01-01T00:00:00Z");
  std::array<int, kIneligibilityCount> seen{};
  for (int round = 0; round < 150; ++round) {
    auto storage = make_memory_storage();
    CampaignConfig campaign;
    campaign.id = "p" + std::to_string(round);
    campaign.max_attempts = 0;
    campaign.call_window = rng() % 3 ? random_window(rng) : CallWindow::always();
    campaign.compliance = random_profile(rng);
    campaign.fallback_time_zone = rng() % 2 ? "UTC" : "America/New_York";
    if (rng() % 10 == 0) campaign.dial_mode = DialMode::kPreview;
    storage->put_campaign(campaign);
    Oracle oracle{campaign, zones};
    QueueGenerator gen(campaign, storage.get(), &zones);
    for (int i = 0; i < 40; ++i) {
      TimePoint t = year + Duration(static_cast<std::int64_t>(rng() % (365LL * 86400'000)));
      Generated g = random_contact(rng, *storage, zones, campaign.id, t);
      Contact c = *storage->get_contact(g.id);
      // Several instants after the history: now, and up to 4 days later.
      for (int k = 0; k < 6; ++k) {
        TimePoint at =
            t + Duration(static_cast<std::int64_t>(k == 0 ? 0 : rng() % (96 * 3600'000LL)));
        bool flag = rng() % 5 == 0;
        bool guaranteed =
            flag || c.callback_agent != kNoAgent || campaign.dial_mode == DialMode::kPreview;
        EligibilityReport r = gen.explain(c, at, {}, true, flag);
        ++seen[static_cast<int>(r.reason)];
        check_verdict(oracle, c, g.history, at, guaranteed, r);
        // eligible_at of the window, holiday, cap and repeat rules is exact: the rule still
        // excludes just before it and no longer at it.
        if (r.eligible_at &&
            (r.reason == Ineligibility::kOutsideCallWindow || r.reason == Ineligibility::kHoliday ||
             r.reason == Ineligibility::kRegionCallCap ||
             r.reason == Ineligibility::kRepeatAfterAbandon ||
             r.reason == Ineligibility::kRepeatAfterMachine)) {
          ASSERT_GT(*r.eligible_at, at) << r.detail;
          auto later = gen.explain(c, *r.eligible_at, {}, true, flag);
          auto before = gen.explain(c, *r.eligible_at - Duration(1), {}, true, flag);
          check_verdict(oracle, c, g.history, *r.eligible_at, guaranteed, later);
          check_verdict(oracle, c, g.history, *r.eligible_at - Duration(1), guaranteed, before);
          EXPECT_NE(before.reason, Ineligibility::kNone) << r.detail;
          bool window_rule =
              r.reason == Ineligibility::kOutsideCallWindow || r.reason == Ineligibility::kHoliday;
          if (window_rule) {
            EXPECT_TRUE(before.reason == Ineligibility::kOutsideCallWindow ||
                        before.reason == Ineligibility::kHoliday)
                << r.detail << " / " << before.detail;
            EXPECT_NE(later.reason, Ineligibility::kOutsideCallWindow) << later.detail;
            EXPECT_NE(later.reason, Ineligibility::kHoliday) << later.detail;
          } else {
            EXPECT_NE(later.reason, r.reason) << r.detail << " / " << later.detail;
          }
        }
      }
    }
  }
  // The random inputs reach every rule.
  for (Ineligibility reason :
       {Ineligibility::kNone, Ineligibility::kOutsideCallWindow, Ineligibility::kHoliday,
        Ineligibility::kRegionCallCap, Ineligibility::kRepeatAfterAbandon,
        Ineligibility::kRepeatAfterMachine}) {
    EXPECT_GE(seen[static_cast<int>(reason)], 10) << to_string(reason);
  }
}

TEST(ComplianceRuleProperties, FillReturnsExactlyTheContactsExplainAccepts) {
  TimeZoneMap zones = TimeZoneMap::load(TimeZoneMap::default_path());
  std::mt19937_64 rng(77);
  for (int round = 0; round < 12; ++round) {
    auto storage = make_memory_storage();
    CampaignConfig campaign;
    campaign.id = "f" + std::to_string(round);
    campaign.max_attempts = 0;
    campaign.call_window = rng() % 2 ? random_window(rng) : CallWindow::always();
    campaign.compliance = random_profile(rng);
    storage->put_campaign(campaign);
    const TimePoint base = parse_utc("2026-01-01T00:00:00Z") +
                           Duration(static_cast<std::int64_t>(rng() % (360LL * 86400'000)));
    std::vector<ContactId> ids;
    for (int i = 0; i < 150; ++i) {
      ids.push_back(random_contact(rng, *storage, zones, campaign.id, base).id);
    }
    // One generator over a day of increasing instants, as the engine uses it.
    QueueGenerator gen(campaign, storage.get(), &zones);
    TimePoint t = base;
    for (int step = 0; step < 12; ++step) {
      t += Duration(static_cast<std::int64_t>(rng() % (4 * 3600'000LL)));
      QueueGenerator fresh(campaign, storage.get(), &zones);
      std::set<ContactId> expected;
      for (ContactId id : ids) {
        auto r = fresh.explain(*storage->get_contact(id), t);
        if (r.reason == Ineligibility::kNone) expected.insert(id);
      }
      // In small batches, holding what was returned, until nothing more comes.
      std::set<ContactId> got;
      std::size_t batch = 1 + rng() % 7;
      for (int k = 0; k < 200; ++k) {
        std::vector<DialQueueEntry> out;
        gen.fill(
            t, batch, [&](ContactId id) { return got.count(id) > 0; }, out);
        ASSERT_LE(out.size(), batch);
        for (const auto& e : out) {
          auto r = gen.explain(*storage->get_contact(e.contact_id), t);
          EXPECT_EQ(r.reason, Ineligibility::kNone) << e.number << " " << r.detail;
          EXPECT_TRUE(contains(r.detail, e.number)) << r.detail;
          EXPECT_TRUE(got.insert(e.contact_id).second);
        }
        if (out.size() < batch) break;
      }
      EXPECT_EQ(got, expected) << "round " << round << " step " << step;
    }
  }
}

}  // namespace
}  // namespace omnivox
