// One JSON codec for a CampaignConfig: what storage keeps is a campaign file's campaign section,
// and a database written with the earlier stored form still loads.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "omnivox/config.h"
#include "omnivox/storage_url.h"

namespace omnivox {
namespace {

class CampaignCodec : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("omnivox-campaign-codec-" + std::to_string(getpid()) + ".db"))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  // The stored document of campaign `id`, read or replaced with SQLite itself.
  std::string stored(const std::string& id, const char* replace_with = nullptr) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    const char* sql = replace_with ? "UPDATE campaigns SET config = ?2 WHERE id = ?1"
                                   : "SELECT config FROM campaigns WHERE id = ?1";
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
    sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    if (replace_with) sqlite3_bind_text(st, 2, replace_with, -1, SQLITE_TRANSIENT);
    std::string text;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return text;
  }
  std::string path_;
};

CampaignConfig sample_campaign() {
  CampaignConfig c;
  c.id = "spring";
  c.name = "Spring sale";
  c.dial_mode = DialMode::kPower;
  c.power_lines_per_agent = 2.5;
  c.call_window = CallWindow::every_day(9 * 60, 20 * 60);
  c.call_window.by_weekday[0] = {};
  c.fallback_time_zone = "Europe/Lisbon";
  c.max_attempts = 6;
  c.retry_rules.clear();
  c.retry_rules[Disposition::kBusy] = RetryRule{false, std::chrono::minutes(10)};
  c.retry_rules[Disposition::kFax] = RetryRule{true, Duration(0)};
  c.ring_timeout = std::chrono::milliseconds(27500);
  c.amd = true;
  c.caller_ids = {"+351210000001"};
  c.default_region = "PT";
  c.dnc_numbers = {"+351210000009"};
  c.compliance = ComplianceProfile::uk_ofcom();
  c.compliance.abandon_guard_risk = 1e-4;
  c.compliance.call_window.by_weekday[6] = {10 * 60, 16 * 60};
  RegionRule rule;
  rule.region = "US-FL";
  rule.call_window = CallWindow::every_day(8 * 60, 20 * 60);
  rule.max_calls_per_24h = 3;
  c.compliance.region_rules.push_back(rule);
  return c;
}

// `b` has every field of `a`; with `same_rules` no retry rule more (a campaign file's "retry"
// adds to the default rules, a stored campaign's is the whole set).
void expect_same(const CampaignConfig& a, const CampaignConfig& b, bool same_rules = true) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.dial_mode, b.dial_mode);
  EXPECT_DOUBLE_EQ(a.power_lines_per_agent, b.power_lines_per_agent);
  for (int d = 0; d < 7; ++d) {
    EXPECT_EQ(a.call_window.by_weekday[d].closed(), b.call_window.by_weekday[d].closed()) << d;
    if (!a.call_window.by_weekday[d].closed()) {
      EXPECT_EQ(a.call_window.by_weekday[d].start_minute, b.call_window.by_weekday[d].start_minute);
      EXPECT_EQ(a.call_window.by_weekday[d].end_minute, b.call_window.by_weekday[d].end_minute);
    }
    EXPECT_EQ(a.compliance.call_window.by_weekday[d].start_minute,
              b.compliance.call_window.by_weekday[d].start_minute);
    EXPECT_EQ(a.compliance.call_window.by_weekday[d].end_minute,
              b.compliance.call_window.by_weekday[d].end_minute);
  }
  EXPECT_EQ(a.fallback_time_zone, b.fallback_time_zone);
  EXPECT_EQ(a.max_attempts, b.max_attempts);
  if (same_rules) ASSERT_EQ(a.retry_rules.size(), b.retry_rules.size());
  for (const auto& [d, r] : a.retry_rules) {
    ASSERT_TRUE(b.retry_rules.count(d)) << to_string(d);
    EXPECT_EQ(r.final, b.retry_rules.at(d).final);
    EXPECT_EQ(r.delay, b.retry_rules.at(d).delay);
  }
  EXPECT_EQ(a.ring_timeout, b.ring_timeout);
  EXPECT_EQ(a.hold_window, b.hold_window);
  EXPECT_EQ(a.amd, b.amd);
  EXPECT_EQ(a.caller_ids, b.caller_ids);
  EXPECT_EQ(a.default_region, b.default_region);
  EXPECT_EQ(a.dnc_numbers, b.dnc_numbers);
  EXPECT_EQ(a.compliance.name, b.compliance.name);
  EXPECT_DOUBLE_EQ(a.compliance.abandon_cap, b.compliance.abandon_cap);
  EXPECT_EQ(a.compliance.abandon_window, b.compliance.abandon_window);
  EXPECT_EQ(a.compliance.hold_window, b.compliance.hold_window);
  EXPECT_EQ(a.compliance.no_repeat_after_abandon, b.compliance.no_repeat_after_abandon);
  ASSERT_EQ(a.compliance.region_rules.size(), b.compliance.region_rules.size());
  for (std::size_t i = 0; i < a.compliance.region_rules.size(); ++i) {
    EXPECT_EQ(a.compliance.region_rules[i].region, b.compliance.region_rules[i].region);
    EXPECT_EQ(a.compliance.region_rules[i].max_calls_per_24h,
              b.compliance.region_rules[i].max_calls_per_24h);
    EXPECT_EQ(a.compliance.region_rules[i].call_window.has_value(),
              b.compliance.region_rules[i].call_window.has_value());
  }
}

TEST_F(CampaignCodec, StoredCampaignIsACampaignFileThatReadsBackTheSame) {
  const CampaignConfig c = sample_campaign();
  {
    auto storage = open_storage("sqlite:" + path_);
    storage->put_campaign(c);
    auto got = storage->get_campaign(c.id);
    ASSERT_TRUE(got.has_value());
    expect_same(c, *got);
    EXPECT_DOUBLE_EQ(got->compliance.abandon_guard_risk, 1e-4);
  }
  // The stored document is a campaign file: the file parser reads the same campaign from it.
  const std::string text = stored(c.id);
  ASSERT_FALSE(text.empty());
  CampaignFile file = parse_campaign_json(text, "", "stored");
  expect_same(c, file.campaign, /*same_rules=*/false);
  EXPECT_DOUBLE_EQ(file.campaign.compliance.abandon_guard_risk, 1e-4);
}

TEST_F(CampaignCodec, CampaignStoredInTheEarlierFormStillLoads) {
  {
    auto storage = open_storage("sqlite:" + path_);
    storage->put_campaign(sample_campaign());
  }
  // The form stored before the codec was shared: integer enums, durations in ms.
  const char* earlier = R"({"id":"spring","name":"Spring sale","dial_mode":2,
    "power_lines_per_agent":2.5,"call_window":[[0,0],[540,1200],[540,1200],[540,1200],
    [540,1200],[540,1200],[540,1200]],"fallback_time_zone":"Europe/Lisbon","max_attempts":6,
    "max_attempts_per_number":0,"retry_rules":[[1,false,600000],[4,true,0]],
    "ring_timeout":27500,"hold_window":2000,"amd":true,"caller_ids":["+351210000001"],
    "safe_harbor_message":"","voicemail_message":"","default_region":"PT",
    "dial_queue_capacity":0,"dnc_numbers":["+351210000009"],
    "compliance":{"name":"UK_OFCOM","abandon_cap":0.03,"abandon_window":86400000,
    "count_amd_false_positives":true,"amd_false_positive_rate":0.0,"hold_window":2000,
    "min_ring":15000,"call_window":[[480,1260],[480,1260],[480,1260],[480,1260],[480,1260],
    [480,1260],[480,1260]],"region_rules":[{"region":"US-FL","call_window":null,
    "max_calls_per_24h":3}],"holidays":[],"no_repeat_after_abandon":259200000,
    "no_repeat_after_machine":0}})";
  stored("spring", earlier);
  auto storage = open_storage("sqlite:" + path_);
  auto got = storage->get_campaign("spring");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->name, "Spring sale");
  EXPECT_EQ(static_cast<int>(got->dial_mode), 2);
  EXPECT_TRUE(got->call_window.by_weekday[0].closed());
  EXPECT_EQ(got->call_window.by_weekday[1].start_minute, 540);
  ASSERT_EQ(got->retry_rules.size(), 2u);
  EXPECT_EQ(got->retry_rules.at(Disposition::kBusy).delay, std::chrono::minutes(10));
  EXPECT_TRUE(got->retry_rules.at(Disposition::kFax).final);
  EXPECT_EQ(got->ring_timeout, std::chrono::milliseconds(27500));
  EXPECT_EQ(got->compliance.name, "UK_OFCOM");
  EXPECT_EQ(got->compliance.no_repeat_after_abandon, std::chrono::hours(72));
  ASSERT_EQ(got->compliance.region_rules.size(), 1u);
  EXPECT_FALSE(got->compliance.region_rules[0].call_window.has_value());
}

}  // namespace
}  // namespace omnivox
