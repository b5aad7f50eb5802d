// The Storage conformance suite: GoogleTest typed tests that check every method of a Storage
// backend against the contract in omnivox/storage.h. Header-only; include it from a test file of
// your own and instantiate it with a factory for your backend.
//
// A factory is a default-constructible type with a member
//     std::unique_ptr<omnivox::Storage> create();
// returning a fresh, empty Storage. One factory object is constructed per test and destroyed
// after the Storage it created, so it may own a temporary directory and remove it in its
// destructor. Example (a vendor backend):
//
//     #include <omnivox/testing/storage_conformance.h>
//
//     struct MyStorageFactory {
//       std::unique_ptr<omnivox::Storage> create() { return make_my_storage(dir_ + "/db"); }
//       std::string dir_ = make_temp_dir();
//       ~MyStorageFactory() { remove_dir(dir_); }
//     };
//     INSTANTIATE_TYPED_TEST_SUITE_P(MyStorage, StorageConformanceTest,
//                                    ::testing::Types<MyStorageFactory>);
//
// Tenants (optional): a factory that also has a member
//     std::unique_ptr<omnivox::Storage> create_for_tenant(const std::string& tenant);
// opening another Storage on the SAME backing store (same file / database) for another tenant
// gets the TenantsAreIsolated test; without it that test is skipped. It must be callable after
// create() (the suite calls create() first).
//
// CMake: link the target omnivox::storage_conformance (it brings the header, libomnivox and
// GTest::gtest; call find_package(GTest) first), plus GTest::gtest_main for a main().
//
// (INSTANTIATE_TYPED_TEST_SUITE_P must be used in namespace omnivox::testing, or qualify the
// suite name: omnivox::testing::StorageConformanceTest.) Link GTest::gtest (and gtest_main).
// Test names: <Prefix>/StorageConformanceTest/0.<Test>, e.g.
// Memory/StorageConformanceTest/0.Leases.
//
// The suite uses fixed instants (no wall clock), small data sets and a bounded concurrency test
// (4 threads x 200 rounds), so it runs in well under a second on the memory backend.
#ifndef OMNIVOX_TESTING_STORAGE_CONFORMANCE_H_
#define OMNIVOX_TESTING_STORAGE_CONFORMANCE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "omnivox/model.h"
#include "omnivox/storage.h"
#include "omnivox/types.h"

namespace omnivox::testing {

/// True when a factory can open the same backing store for another tenant.
template <class Factory>
concept StorageFactoryWithTenants = requires(Factory f, const std::string& tenant) {
  { f.create_for_tenant(tenant) } -> std::convertible_to<std::unique_ptr<Storage>>;
};

/// Fixture: `storage()` is a fresh Storage made by a Factory (see the file comment).
template <class Factory>
class StorageConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    factory_ = std::make_unique<Factory>();
    storage_ = factory_->create();
    ASSERT_NE(storage_, nullptr);
  }
  void TearDown() override {
    storage_.reset();
    factory_.reset();
  }
  Storage& storage() { return *storage_; }
  Factory& factory() { return *factory_; }

  static TimePoint t0() { return TimePoint(Duration(1'780'000'000'000)); }
  static TimePoint at(int seconds) { return t0() + std::chrono::seconds(seconds); }

  static Contact make_contact(const std::string& campaign, const std::string& ext,
                              std::int32_t priority = 0, ContactStatus status = ContactStatus::kNew,
                              TimePoint next_attempt_at = TimePoint{}) {
    Contact c;
    c.campaign_id = campaign;
    c.list_name = "list-a";
    c.external_id = ext;
    c.priority = priority;
    c.status = status;
    c.next_attempt_at = next_attempt_at;
    PhoneNumber n;
    n.e164 = "+35191" + std::to_string(1000000 + std::hash<std::string>{}(ext) % 8999999);
    c.numbers.push_back(n);
    return c;
  }
  // Ids of a scan, in visit order.
  std::vector<std::string> scan_ext(const ContactScan& scan) {
    std::vector<std::string> out;
    std::size_t n = storage().scan_contacts(scan, [&](const Contact& c) {
      out.push_back(c.external_id);
      return true;
    });
    EXPECT_EQ(n, out.size());
    return out;
  }

 private:
  std::unique_ptr<Factory> factory_;
  std::unique_ptr<Storage> storage_;
};

TYPED_TEST_SUITE_P(StorageConformanceTest);

// ---- campaigns and lists ----

TYPED_TEST_P(StorageConformanceTest, CampaignRoundTrip) {
  Storage& s = this->storage();
  EXPECT_FALSE(s.get_campaign("c1").has_value());
  CampaignConfig c;
  c.id = "c1";
  c.name = "Spring sale";
  c.dial_mode = DialMode::kPredictive;
  c.power_lines_per_agent = 3.5;
  c.call_window = CallWindow::every_day(8 * 60, 20 * 60);
  c.call_window.by_weekday[0] = {0, 0};
  c.fallback_time_zone = "Europe/Lisbon";
  c.max_attempts = 7;
  c.max_attempts_per_number = 3;
  c.retry_rules[Disposition::kBusy] = RetryRule{false, std::chrono::minutes(5)};
  c.retry_rules.erase(Disposition::kCanceled);
  c.ring_timeout = std::chrono::seconds(30);
  c.hold_window = std::chrono::milliseconds(1500);
  c.amd = true;
  c.caller_ids = {"+15550100001", "+15550100002"};
  c.safe_harbor_message = "hello";
  c.voicemail_message = "vm";
  c.default_region = "PT";
  c.dial_queue_capacity = 99;
  c.dnc_numbers = {"+15550000001"};
  c.compliance = ComplianceProfile::uk_ofcom();
  c.compliance.holidays = {"2026-12-25"};
  RegionRule rule;
  rule.region = "US-FL";
  rule.call_window = CallWindow::every_day(9 * 60, 20 * 60);
  rule.max_calls_per_24h = 3;
  c.compliance.region_rules.push_back(rule);
  c.compliance.no_repeat_after_abandon = std::chrono::hours(72);
  s.put_campaign(c);

  auto got = s.get_campaign("c1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, "c1");
  EXPECT_EQ(got->name, "Spring sale");
  EXPECT_EQ(got->dial_mode, DialMode::kPredictive);
  EXPECT_DOUBLE_EQ(got->power_lines_per_agent, 3.5);
  for (int d = 0; d < 7; ++d) {
    EXPECT_EQ(got->call_window.by_weekday[d].start_minute,
              c.call_window.by_weekday[d].start_minute);
    EXPECT_EQ(got->call_window.by_weekday[d].end_minute, c.call_window.by_weekday[d].end_minute);
  }
  EXPECT_EQ(got->fallback_time_zone, "Europe/Lisbon");
  EXPECT_EQ(got->max_attempts, 7);
  EXPECT_EQ(got->max_attempts_per_number, 3);
  ASSERT_EQ(got->retry_rules.size(), c.retry_rules.size());
  for (const auto& [d, r] : c.retry_rules) {
    ASSERT_TRUE(got->retry_rules.count(d)) << to_string(d);
    EXPECT_EQ(got->retry_rules.at(d).final, r.final) << to_string(d);
    EXPECT_EQ(got->retry_rules.at(d).delay, r.delay) << to_string(d);
  }
  EXPECT_EQ(got->ring_timeout, c.ring_timeout);
  EXPECT_EQ(got->hold_window, c.hold_window);
  EXPECT_TRUE(got->amd);
  EXPECT_EQ(got->caller_ids, c.caller_ids);
  EXPECT_EQ(got->safe_harbor_message, "hello");
  EXPECT_EQ(got->voicemail_message, "vm");
  EXPECT_EQ(got->default_region, "PT");
  EXPECT_EQ(got->dial_queue_capacity, 99u);
  EXPECT_EQ(got->dnc_numbers, c.dnc_numbers);
  EXPECT_EQ(got->compliance.name, c.compliance.name);
  EXPECT_DOUBLE_EQ(got->compliance.abandon_cap, c.compliance.abandon_cap);
  EXPECT_EQ(got->compliance.abandon_window, c.compliance.abandon_window);
  EXPECT_EQ(got->compliance.count_amd_false_positives, c.compliance.count_amd_false_positives);
  EXPECT_DOUBLE_EQ(got->compliance.amd_false_positive_rate, c.compliance.amd_false_positive_rate);
  EXPECT_EQ(got->compliance.hold_window, c.compliance.hold_window);
  EXPECT_EQ(got->compliance.min_ring, c.compliance.min_ring);
  EXPECT_EQ(got->compliance.call_window.by_weekday[3].end_minute,
            c.compliance.call_window.by_weekday[3].end_minute);
  ASSERT_EQ(got->compliance.region_rules.size(), 1u);
  EXPECT_EQ(got->compliance.region_rules[0].region, "US-FL");
  ASSERT_TRUE(got->compliance.region_rules[0].call_window.has_value());
  EXPECT_EQ(got->compliance.region_rules[0].call_window->by_weekday[2].end_minute, 20 * 60);
  EXPECT_EQ(got->compliance.region_rules[0].max_calls_per_24h, 3);
  EXPECT_EQ(got->compliance.holidays, c.compliance.holidays);
  EXPECT_EQ(got->compliance.no_repeat_after_abandon, std::chrono::hours(72));
  EXPECT_EQ(got->compliance.no_repeat_after_machine, c.compliance.no_repeat_after_machine);

  // Replace.
  c.name = "Renamed";
  s.put_campaign(c);
  EXPECT_EQ(s.get_campaign("c1")->name, "Renamed");
  EXPECT_FALSE(s.get_campaign("c2").has_value());
}

TYPED_TEST_P(StorageConformanceTest, CampaignIdsAreSorted) {
  Storage& s = this->storage();
  EXPECT_TRUE(s.campaign_ids().empty());
  for (const char* id : {"spring", "autumn", "summer"}) {
    CampaignConfig c;
    c.id = id;
    s.put_campaign(c);
  }
  CampaignConfig again;
  again.id = "spring";
  s.put_campaign(again);                                    // replacing does not list it twice
  s.add_contact(this->make_contact("contacts-only", "x"));  // not a stored campaign
  EXPECT_EQ(s.campaign_ids(), (std::vector<std::string>{"autumn", "spring", "summer"}));
}

TYPED_TEST_P(StorageConformanceTest, ListsRoundTrip) {
  Storage& s = this->storage();
  EXPECT_TRUE(s.lists("c1").empty());
  s.put_list({"c1", "a", true});
  s.put_list({"c1", "b", true});
  s.put_list({"c2", "a", true});
  s.put_list({"c1", "a", false});  // replaces
  auto lists = s.lists("c1");
  ASSERT_EQ(lists.size(), 2u);
  std::sort(lists.begin(), lists.end(),
            [](const ContactList& x, const ContactList& y) { return x.name < y.name; });
  EXPECT_EQ(lists[0].campaign_id, "c1");
  EXPECT_EQ(lists[0].name, "a");
  EXPECT_FALSE(lists[0].active);
  EXPECT_EQ(lists[1].name, "b");
  EXPECT_TRUE(lists[1].active);
  EXPECT_EQ(s.lists("c2").size(), 1u);
  EXPECT_TRUE(s.lists("c3").empty());
  EXPECT_TRUE(lists[0].import_complete);
  s.put_list({"c1", "b", true, false});  // an import under way
  lists = s.lists("c1");
  auto b = std::find_if(lists.begin(), lists.end(), [](const auto& l) { return l.name == "b"; });
  ASSERT_NE(b, lists.end());
  EXPECT_FALSE(b->import_complete);
  s.put_list({"c1", "b", true, true});
  lists = s.lists("c1");
  b = std::find_if(lists.begin(), lists.end(), [](const auto& l) { return l.name == "b"; });
  ASSERT_NE(b, lists.end());
  EXPECT_TRUE(b->import_complete);
}

// ---- contacts ----

TYPED_TEST_P(StorageConformanceTest, AddAndGetContactRoundTripsEveryField) {
  Storage& s = this->storage();
  EXPECT_FALSE(s.get_contact(1).has_value());
  EXPECT_FALSE(s.get_contact(kNoContact).has_value());
  Contact c;
  c.campaign_id = "c1";
  c.list_name = "spring";
  c.external_id = "ext-1";
  c.priority = -3;
  c.list_order = 12345;  // ignored: assigned by Storage
  PhoneNumber n1;
  n1.e164 = "+351912345678";
  n1.zone_set = 4;
  n1.attempts = 2;
  n1.last_disposition = Disposition::kBusy;
  n1.invalid = false;
  n1.last_abandon_at = this->at(10);
  n1.last_machine_at = this->at(20);
  PhoneNumber n2;
  n2.e164 = "+15550100000";
  n2.invalid = true;
  n2.last_disposition = Disposition::kInvalidNumber;
  c.numbers = {n1, n2};
  c.attributes = {{"name", "Ana \"Q\" Silva"}, {"city", "Lisboa\nPorto"}, {"empty", ""}};
  c.time_zone = "Europe/Lisbon";
  c.status = ContactStatus::kRetry;
  c.attempts = 5;
  c.not_connected = 4;
  c.next_number = 1;
  c.last_disposition = Disposition::kNoAnswer;
  c.last_attempt_at = this->at(30);
  c.next_attempt_at = this->at(3600);
  c.callback_agent = 7;

  ContactId id1 = s.add_contact(c);
  EXPECT_EQ(id1, 1u);
  auto got = s.get_contact(id1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, id1);
  EXPECT_EQ(got->campaign_id, "c1");
  EXPECT_EQ(got->list_name, "spring");
  EXPECT_EQ(got->external_id, "ext-1");
  EXPECT_EQ(got->priority, -3);
  EXPECT_NE(got->list_order, 12345u);
  ASSERT_EQ(got->numbers.size(), 2u);
  EXPECT_EQ(got->numbers[0].e164, n1.e164);
  EXPECT_EQ(got->numbers[0].zone_set, 4u);
  EXPECT_EQ(got->numbers[0].attempts, 2);
  EXPECT_EQ(got->numbers[0].last_disposition, Disposition::kBusy);
  EXPECT_FALSE(got->numbers[0].invalid);
  EXPECT_EQ(got->numbers[0].last_abandon_at, this->at(10));
  EXPECT_EQ(got->numbers[0].last_machine_at, this->at(20));
  EXPECT_EQ(got->numbers[1].e164, n2.e164);
  EXPECT_TRUE(got->numbers[1].invalid);
  EXPECT_EQ(got->numbers[1].last_disposition, Disposition::kInvalidNumber);
  EXPECT_EQ(got->numbers[1].last_abandon_at, TimePoint{});
  EXPECT_EQ(got->attributes, c.attributes);
  ASSERT_NE(got->attribute("city"), nullptr);
  EXPECT_EQ(*got->attribute("city"), "Lisboa\nPorto");
  EXPECT_EQ(got->time_zone, "Europe/Lisbon");
  EXPECT_EQ(got->status, ContactStatus::kRetry);
  EXPECT_EQ(got->attempts, 5);
  EXPECT_EQ(got->not_connected, 4);
  EXPECT_EQ(got->next_number, 1);
  EXPECT_EQ(got->last_disposition, Disposition::kNoAnswer);
  EXPECT_EQ(got->last_attempt_at, this->at(30));
  EXPECT_EQ(got->next_attempt_at, this->at(3600));
  EXPECT_EQ(got->callback_agent, 7u);

  // Ids 1, 2, 3...; list_order increases in load order within a campaign.
  ContactId id2 = s.add_contact(this->make_contact("c2", "x"));
  ContactId id3 = s.add_contact(this->make_contact("c1", "y"));
  ContactId id4 = s.add_contact(this->make_contact("c1", "z"));
  EXPECT_EQ(id2, 2u);
  EXPECT_EQ(id3, 3u);
  EXPECT_EQ(id4, 4u);
  EXPECT_LT(s.get_contact(id1)->list_order, s.get_contact(id3)->list_order);
  EXPECT_LT(s.get_contact(id3)->list_order, s.get_contact(id4)->list_order);
  EXPECT_EQ(s.get_contact(id2)->campaign_id, "c2");
  EXPECT_FALSE(s.get_contact(5).has_value());
}

// read_contact gives what get_contact gives, whatever the buffer held before (more numbers,
// attributes, other strings), and false for an unknown id.
TYPED_TEST_P(StorageConformanceTest, AddContactIsIdempotentByExternalId) {
  Storage& s = this->storage();
  const ContactId first = s.add_contact(this->make_contact("c1", "x", 1));
  // The same (campaign, list, external id) again: the stored contact, unchanged.
  EXPECT_EQ(s.add_contact(this->make_contact("c1", "x", 9)), first);
  EXPECT_EQ(s.contact_count("c1"), 1u);
  EXPECT_EQ(s.get_contact(first)->priority, 1);
  // Another list, another campaign: other contacts.
  Contact other_list = this->make_contact("c1", "x");
  other_list.list_name = "list-b";
  EXPECT_NE(s.add_contact(other_list), first);
  EXPECT_NE(s.add_contact(this->make_contact("c2", "x")), first);
  EXPECT_EQ(s.contact_count("c1"), 2u);
  // No external id: no key, always a new contact.
  const ContactId a = s.add_contact(this->make_contact("c3", ""));
  const ContactId b = s.add_contact(this->make_contact("c3", ""));
  EXPECT_NE(a, b);
  EXPECT_EQ(s.contact_count("c3"), 2u);
}

TYPED_TEST_P(StorageConformanceTest, AddContactsStoresABatchOnce) {
  Storage& s = this->storage();
  const ContactId stored = s.add_contact(this->make_contact("c1", "b"));
  std::vector<Contact> batch = {this->make_contact("c1", "a"), this->make_contact("c1", "b"),
                                this->make_contact("c1", "c")};
  const std::size_t added = s.add_contacts(batch);
  EXPECT_EQ(s.contact_count("c1"), 3u);
  if (added != batch.size()) {  // the default counts every contact as new
    EXPECT_EQ(added, 2u);
  }
  EXPECT_EQ(batch[1].id, stored);
  EXPECT_NE(batch[0].id, batch[2].id);
  for (const Contact& c : batch) EXPECT_EQ(s.get_contact(c.id)->external_id, c.external_id);
  // Run again (an import resumed): nothing new.
  std::vector<Contact> again = {this->make_contact("c1", "a"), this->make_contact("c1", "c")};
  s.add_contacts(again);
  EXPECT_EQ(s.contact_count("c1"), 3u);
  EXPECT_EQ(again[0].id, batch[0].id);
  EXPECT_EQ(again[1].id, batch[2].id);
  EXPECT_EQ(this->scan_ext({.campaign_id = "c1", .dialable_only = false}),
            (std::vector<std::string>{"b", "a", "c"}));
}

TYPED_TEST_P(StorageConformanceTest, ConcurrentImportsStoreEachContactOnce) {
  Storage& s = this->storage();
  constexpr int kContacts = 120;
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread imports every contact, in batches of 10, from its own starting point.
      for (int b = 0; b < kContacts / 10; ++b) {
        std::vector<Contact> batch;
        const int first = ((b + 3 * t) % (kContacts / 10)) * 10;
        for (int i = first; i < first + 10; ++i) {
          batch.push_back(this->make_contact("c1", "ext-" + std::to_string(i)));
        }
        s.add_contacts(batch);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(s.contact_count("c1"), static_cast<std::size_t>(kContacts));
  auto ids = this->scan_ext({.campaign_id = "c1", .dialable_only = false});
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

TYPED_TEST_P(StorageConformanceTest, ReadContactReusesTheBuffer) {
  Storage& s = this->storage();
  Contact rich = this->make_contact("c1", "rich");
  rich.list_name = "spring";
  rich.time_zone = "Europe/Lisbon";
  PhoneNumber second;
  second.e164 = "+447700900123";
  second.attempts = 2;
  rich.numbers.push_back(second);
  rich.attributes = {{"name", "Ana"}};
  ContactId rich_id = s.add_contact(rich);
  ContactId plain_id = s.add_contact(this->make_contact("c2", "plain"));
  auto same = [](const Contact& a, const Contact& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.campaign_id, b.campaign_id);
    EXPECT_EQ(a.list_name, b.list_name);
    EXPECT_EQ(a.external_id, b.external_id);
    EXPECT_EQ(a.list_order, b.list_order);
    ASSERT_EQ(a.numbers.size(), b.numbers.size());
    for (std::size_t i = 0; i < a.numbers.size(); ++i) {
      EXPECT_EQ(a.numbers[i].e164, b.numbers[i].e164);
      EXPECT_EQ(a.numbers[i].attempts, b.numbers[i].attempts);
    }
    EXPECT_EQ(a.attributes, b.attributes);
    EXPECT_EQ(a.time_zone, b.time_zone);
    EXPECT_EQ(a.status, b.status);
  };
  Contact buffer;
  ASSERT_TRUE(s.read_contact(rich_id, buffer));
  same(buffer, *s.get_contact(rich_id));
  ASSERT_TRUE(s.read_contact(plain_id, buffer));  // fewer numbers, no attributes, no zone
  same(buffer, *s.get_contact(plain_id));
  EXPECT_FALSE(s.read_contact(plain_id + 100, buffer));
  EXPECT_FALSE(s.read_contact(kNoContact, buffer));
}

TYPED_TEST_P(StorageConformanceTest, UpdateContact) {
  Storage& s = this->storage();
  ContactId id = s.add_contact(this->make_contact("c1", "a"));
  Contact c = *s.get_contact(id);
  std::uint64_t order = c.list_order;
  c.status = ContactStatus::kCallback;
  c.priority = 9;
  c.attempts = 1;
  c.next_attempt_at = this->at(60);
  c.callback_agent = 3;
  c.numbers[0].attempts = 1;
  c.numbers[0].last_disposition = Disposition::kCallback;
  PhoneNumber extra;
  extra.e164 = "+447700900123";
  c.numbers.push_back(extra);
  c.attributes = {{"note", "call after lunch"}};
  s.update_contact(c);
  auto got = s.get_contact(id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, ContactStatus::kCallback);
  EXPECT_EQ(got->priority, 9);
  EXPECT_EQ(got->attempts, 1);
  EXPECT_EQ(got->next_attempt_at, this->at(60));
  EXPECT_EQ(got->callback_agent, 3u);
  ASSERT_EQ(got->numbers.size(), 2u);
  EXPECT_EQ(got->numbers[0].attempts, 1);
  EXPECT_EQ(got->numbers[0].last_disposition, Disposition::kCallback);
  EXPECT_EQ(got->numbers[1].e164, "+447700900123");
  EXPECT_EQ(got->attributes, c.attributes);
  EXPECT_EQ(got->list_order, order);
  EXPECT_EQ(got->campaign_id, "c1");

  Contact unknown = c;
  unknown.id = 999;
  try {
    s.update_contact(unknown);
    ADD_FAILURE() << "update_contact of an unknown id did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound) << e.what();
  }
}

TYPED_TEST_P(StorageConformanceTest, ScanOrder) {
  Storage& s = this->storage();
  // Final contacts, another campaign and everything else interleaved in load order.
  s.add_contact(this->make_contact("c1", "new-p0-a", 0));
  s.add_contact(this->make_contact("c1", "cb-late", 0, ContactStatus::kCallback, this->at(200)));
  s.add_contact(this->make_contact("c1", "done", 50, ContactStatus::kDone));
  s.add_contact(this->make_contact("c1", "retry-p5", 5, ContactStatus::kRetry, this->at(10)));
  s.add_contact(this->make_contact("c2", "other", 100));
  s.add_contact(this->make_contact("c1", "new-p5", 5));
  s.add_contact(this->make_contact("c1", "cb-early", -10, ContactStatus::kCallback, this->at(100)));
  s.add_contact(this->make_contact("c1", "new-p0-b", 0));
  s.add_contact(this->make_contact("c1", "dnc", 50, ContactStatus::kDoNotCall));
  s.add_contact(this->make_contact("c1", "invalid", 50, ContactStatus::kInvalid));
  s.add_contact(this->make_contact("c1", "exhausted", 50, ContactStatus::kExhausted));
  s.add_contact(this->make_contact("c1", "new-pneg", -1));

  ContactScan scan;
  scan.campaign_id = "c1";
  std::vector<std::string> expected = {"cb-early", "cb-late",  "retry-p5", "new-p5",
                                       "new-p0-a", "new-p0-b", "new-pneg"};
  EXPECT_EQ(this->scan_ext(scan), expected);

  // A priority change reorders.
  ContactId pneg = 12;
  Contact c = *s.get_contact(pneg);
  ASSERT_EQ(c.external_id, "new-pneg");
  c.priority = 7;
  s.update_contact(c);
  expected = {"cb-early", "cb-late", "new-pneg", "retry-p5", "new-p5", "new-p0-a", "new-p0-b"};
  EXPECT_EQ(this->scan_ext(scan), expected);

  // Not dialable_only: every contact of the campaign, final ones included, each once.
  scan.dialable_only = false;
  auto all = this->scan_ext(scan);
  EXPECT_EQ(all.size(), 11u);
  std::set<std::string> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), 11u);
  EXPECT_TRUE(unique.count("done"));
  EXPECT_TRUE(unique.count("exhausted"));
  EXPECT_FALSE(unique.count("other"));

  ContactScan none;
  none.campaign_id = "nope";
  EXPECT_TRUE(this->scan_ext(none).empty());
}

TYPED_TEST_P(StorageConformanceTest, ScanDueBy) {
  Storage& s = this->storage();
  s.add_contact(this->make_contact("c1", "new", 0));  // next_attempt_at epoch: always due
  s.add_contact(this->make_contact("c1", "retry-100", 1, ContactStatus::kRetry, this->at(100)));
  s.add_contact(this->make_contact("c1", "retry-300", 2, ContactStatus::kRetry, this->at(300)));
  s.add_contact(this->make_contact("c1", "cb-150", 0, ContactStatus::kCallback, this->at(150)));
  s.add_contact(this->make_contact("c1", "cb-400", 0, ContactStatus::kCallback, this->at(400)));

  ContactScan scan;
  scan.campaign_id = "c1";
  scan.due_by = this->at(50);
  EXPECT_EQ(this->scan_ext(scan), (std::vector<std::string>{"new"}));
  scan.due_by = this->at(100);  // inclusive
  EXPECT_EQ(this->scan_ext(scan), (std::vector<std::string>{"retry-100", "new"}));
  scan.due_by = this->at(1000);
  EXPECT_EQ(this->scan_ext(scan),
            (std::vector<std::string>{"cb-150", "cb-400", "retry-300", "retry-100", "new"}));
  // A later-looking scan must not leak into an earlier-looking one.
  scan.due_by = this->at(160);
  EXPECT_EQ(this->scan_ext(scan), (std::vector<std::string>{"cb-150", "retry-100", "new"}));

  // Moving a contact's due time moves it in and out of the scan.
  Contact c = *s.get_contact(1);
  c.status = ContactStatus::kRetry;
  c.next_attempt_at = this->at(500);
  s.update_contact(c);
  scan.due_by = this->at(160);
  EXPECT_EQ(this->scan_ext(scan), (std::vector<std::string>{"cb-150", "retry-100"}));
  scan.due_by = TimePoint::max();
  EXPECT_EQ(this->scan_ext(scan).size(), 5u);
  // A contact turned final leaves the dialable scan.
  c.status = ContactStatus::kDone;
  s.update_contact(c);
  EXPECT_EQ(this->scan_ext(scan).size(), 4u);
  // dialable_only = false ignores due_by.
  scan.dialable_only = false;
  scan.due_by = this->at(0);
  EXPECT_EQ(this->scan_ext(scan).size(), 5u);
}

TYPED_TEST_P(StorageConformanceTest, ScanStopsEarly) {
  Storage& s = this->storage();
  for (int i = 0; i < 10; ++i) s.add_contact(this->make_contact("c1", "n" + std::to_string(i)));
  for (bool dialable : {true, false}) {
    ContactScan scan;
    scan.campaign_id = "c1";
    scan.dialable_only = dialable;
    int calls = 0;
    std::size_t n = s.scan_contacts(scan, [&](const Contact&) { return ++calls < 3; });
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(n, 3u);
  }
}

// A ContactView's fields, copied (a view is valid only during its visit).
struct ViewedContact {
  ContactId id = kNoContact;
  ContactStatus status = ContactStatus::kNew;
  std::int32_t priority = 0;
  std::uint16_t attempts = 0, next_number = 0;
  Disposition last_disposition = Disposition::kNone;
  TimePoint last_attempt_at{}, next_attempt_at{};
  AgentId callback_agent = kNoAgent;
  std::string time_zone;
  std::vector<
      std::tuple<std::string, ZoneSetId, std::uint16_t, Disposition, bool, TimePoint, TimePoint>>
      numbers;
  bool operator==(const ViewedContact&) const = default;

  explicit ViewedContact(const ContactView& v)
      : id(v.id),
        status(v.status),
        priority(v.priority),
        attempts(v.attempts),
        next_number(v.next_number),
        last_disposition(v.last_disposition),
        last_attempt_at(v.last_attempt_at),
        next_attempt_at(v.next_attempt_at),
        callback_agent(v.callback_agent),
        time_zone(v.time_zone) {
    for (const PhoneNumberView& n : v.numbers) {
      numbers.emplace_back(std::string(n.e164), n.zone_set, n.attempts, n.last_disposition,
                           n.invalid, n.last_abandon_at, n.last_machine_at);
    }
  }
};

TYPED_TEST_P(StorageConformanceTest, ScanContactViewsSeeWhatScanContactsSees) {
  Storage& s = this->storage();
  Contact rich = this->make_contact("c1", "rich", 2, ContactStatus::kRetry, this->at(60));
  rich.numbers[0].zone_set = 4;
  rich.numbers[0].attempts = 2;
  rich.numbers[0].last_disposition = Disposition::kBusy;
  rich.numbers[0].last_abandon_at = this->at(10);
  rich.numbers[0].last_machine_at = this->at(20);
  PhoneNumber second;
  second.e164 = "+15550100000";
  second.invalid = true;
  second.last_disposition = Disposition::kInvalidNumber;
  rich.numbers.push_back(second);
  rich.attributes = {{"name", "Ana"}};
  rich.time_zone = "Europe/Lisbon";
  rich.attempts = 5;
  rich.next_number = 1;
  rich.last_disposition = Disposition::kNoAnswer;
  rich.last_attempt_at = this->at(30);
  rich.callback_agent = 7;
  s.add_contact(rich);
  s.add_contact(this->make_contact("c1", "new-a"));
  s.add_contact(this->make_contact("c1", "cb", 0, ContactStatus::kCallback, this->at(100)));
  s.add_contact(this->make_contact("c1", "done", 9, ContactStatus::kDone));
  s.add_contact(this->make_contact("c2", "other"));
  s.add_contact(this->make_contact("c1", "new-b", 1));

  std::vector<PhoneNumberView> numbers;
  for (bool dialable_only : {true, false}) {
    for (TimePoint due_by : {this->at(0), this->at(60), this->at(100), TimePoint::max()}) {
      ContactScan scan;
      scan.campaign_id = "c1";
      scan.dialable_only = dialable_only;
      scan.due_by = due_by;
      std::vector<ViewedContact> expected, viewed;
      s.scan_contacts(scan, [&](const Contact& c) {
        expected.emplace_back(view_of(c, numbers));
        return true;
      });
      std::size_t n = s.scan_contact_views(scan, [&](const ContactView& v) {
        viewed.emplace_back(v);
        return ScanStep::next();
      });
      EXPECT_EQ(n, viewed.size());
      EXPECT_TRUE(viewed == expected)
          << "dialable_only " << dialable_only << ", due_by " << format_utc(due_by);
    }
  }
  // The rich contact's fields, as stored.
  ContactScan all;
  all.campaign_id = "c1";
  std::vector<ViewedContact> viewed;
  s.scan_contact_views(all, [&](const ContactView& v) {
    viewed.emplace_back(v);
    return ScanStep::next();
  });
  auto first =
      std::find_if(viewed.begin(), viewed.end(), [](const ViewedContact& v) { return v.id == 1u; });
  ASSERT_NE(first, viewed.end());
  rich.id = 1;
  EXPECT_TRUE(*first == ViewedContact(view_of(rich, numbers)));
  EXPECT_EQ(first->time_zone, "Europe/Lisbon");
  ASSERT_EQ(first->numbers.size(), 2u);
  EXPECT_EQ(std::get<0>(first->numbers[1]), "+15550100000");
  EXPECT_TRUE(std::get<4>(first->numbers[1]));
  EXPECT_EQ(first->callback_agent, 7u);
  EXPECT_EQ(first->next_attempt_at, this->at(60));

  // skip is always honoured; ScanStep::stop() ends the scan after that contact.
  for (bool dialable_only : {true, false}) {
    ContactScan scan;
    scan.campaign_id = "c1";
    scan.dialable_only = dialable_only;
    scan.skip = [](ContactId id) { return id == 2; };
    std::vector<ContactId> ids;
    std::size_t n = s.scan_contact_views(scan, [&](const ContactView& v) {
      ids.push_back(v.id);
      return ScanStep::next();
    });
    EXPECT_EQ(n, ids.size());
    EXPECT_EQ(std::count(ids.begin(), ids.end(), ContactId{2}), 0);
    EXPECT_EQ(ids.size(), dialable_only ? 3u : 4u);  // rich, cb, new-b (+ done)
    int calls = 0;
    n = s.scan_contact_views(scan, [&](const ContactView&) {
      return ++calls < 2 ? ScanStep::next() : ScanStep::stop();
    });
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(n, 2u);
  }
}

TYPED_TEST_P(StorageConformanceTest, ScanContactViewsDeferralIsAHintOnly) {
  Storage& s = this->storage();
  ContactId a = s.add_contact(this->make_contact("c1", "a"));
  ContactId b = s.add_contact(this->make_contact("c1", "b"));
  ContactId cb = s.add_contact(this->make_contact("c1", "cb", 0, ContactStatus::kCallback));
  const Contact before = *s.get_contact(a);
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.due_by = this->at(0);
  std::size_t n = s.scan_contact_views(
      scan, [&](const ContactView&) { return ScanStep::defer(this->at(100)); });
  EXPECT_EQ(n, 3u);
  // A deferral changes no contact; every contact is dialable again at the deferral's time
  // (a callback is never deferred).
  EXPECT_EQ(s.get_contact(a)->next_attempt_at, before.next_attempt_at);
  EXPECT_EQ(s.get_contact(a)->status, ContactStatus::kNew);
  std::vector<ContactId> ids;
  scan.due_by = this->at(0);
  s.scan_contact_views(scan, [&](const ContactView& v) {
    ids.push_back(v.id);
    return ScanStep::next();
  });
  EXPECT_EQ(std::count(ids.begin(), ids.end(), cb), 1);
  ids.clear();
  scan.due_by = this->at(100);
  s.scan_contact_views(scan, [&](const ContactView& v) {
    ids.push_back(v.id);
    return ScanStep::next();
  });
  EXPECT_EQ(ids, (std::vector<ContactId>{cb, a, b}));
  EXPECT_EQ(s.count_by_status("c1")[static_cast<int>(ContactStatus::kNew)], 2u);
}

TYPED_TEST_P(StorageConformanceTest, CountsFollowUpdates) {
  Storage& s = this->storage();
  EXPECT_EQ(s.contact_count("c1"), 0u);
  EXPECT_EQ(s.count_by_status("c1"), std::vector<std::size_t>(7, 0));
  for (int i = 0; i < 5; ++i) s.add_contact(this->make_contact("c1", "n" + std::to_string(i)));
  s.add_contact(this->make_contact("c2", "x"));
  EXPECT_EQ(s.contact_count("c1"), 5u);
  EXPECT_EQ(s.contact_count("c2"), 1u);
  EXPECT_EQ(s.count_by_status("c1"), (std::vector<std::size_t>{5, 0, 0, 0, 0, 0, 0}));

  const ContactStatus to[] = {ContactStatus::kRetry, ContactStatus::kCallback, ContactStatus::kDone,
                              ContactStatus::kExhausted};
  for (int i = 0; i < 4; ++i) {
    Contact c = *s.get_contact(i + 1);
    c.status = to[i];
    s.update_contact(c);
  }
  EXPECT_EQ(s.count_by_status("c1"), (std::vector<std::size_t>{1, 1, 1, 1, 0, 0, 1}));
  Contact c = *s.get_contact(3);
  c.status = ContactStatus::kDoNotCall;
  s.update_contact(c);
  EXPECT_EQ(s.count_by_status("c1"), (std::vector<std::size_t>{1, 1, 1, 0, 1, 0, 1}));
  EXPECT_EQ(s.contact_count("c1"), 5u);
  EXPECT_EQ(s.count_by_status("c2"), (std::vector<std::size_t>{1, 0, 0, 0, 0, 0, 0}));
}

// ---- leases ----

TYPED_TEST_P(StorageConformanceTest, Leases) {
  Storage& s = this->storage();
  for (int i = 0; i < 4; ++i) s.add_contact(this->make_contact("c1", "n" + std::to_string(i)));
  const Duration ttl = std::chrono::seconds(30);
  EXPECT_FALSE(s.get_lease(1).has_value());

  // A claims 1 and 2.
  std::vector<ContactId> ids = {1, 2};
  EXPECT_EQ(s.claim_leases(ids, "A", this->at(0), ttl), ids);
  auto lease = s.get_lease(1);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->contact_id, 1u);
  EXPECT_EQ(lease->owner, "A");
  EXPECT_EQ(lease->expiry, this->at(30));

  // B gets only the subset nobody else holds, in the order asked; unknown ids are skipped.
  std::vector<ContactId> ask = {4, 1, 3, 2, 999};
  EXPECT_EQ(s.claim_leases(ask, "B", this->at(10), ttl), (std::vector<ContactId>{4, 3}));
  EXPECT_EQ(s.get_lease(1)->owner, "A");
  EXPECT_EQ(s.get_lease(4)->owner, "B");
  EXPECT_FALSE(s.get_lease(999).has_value());

  // Re-claim by the same owner renews.
  std::vector<ContactId> one = {1};
  EXPECT_EQ(s.claim_leases(one, "A", this->at(20), ttl), one);
  EXPECT_EQ(s.get_lease(1)->expiry, this->at(50));

  // Renew only by the owner.
  EXPECT_TRUE(s.renew_lease(2, "A", this->at(25), ttl));
  EXPECT_EQ(s.get_lease(2)->expiry, this->at(55));
  EXPECT_FALSE(s.renew_lease(2, "B", this->at(25), ttl));
  EXPECT_EQ(s.get_lease(2)->owner, "A");
  EXPECT_EQ(s.get_lease(2)->expiry, this->at(55));
  EXPECT_FALSE(s.renew_lease(1, "B", this->at(25), ttl));

  // Expired leases are reclaimable by anyone (live only while now < expiry).
  std::vector<ContactId> two = {2};
  EXPECT_TRUE(s.claim_leases(two, "B", this->at(54), ttl).empty());
  EXPECT_EQ(s.claim_leases(two, "B", this->at(55), ttl), two);
  EXPECT_EQ(s.get_lease(2)->owner, "B");
  EXPECT_EQ(s.get_lease(2)->expiry, this->at(85));
  EXPECT_FALSE(s.renew_lease(2, "A", this->at(56), ttl));  // lost it

  // Release only by the owner.
  s.release_lease(1, "B");
  ASSERT_TRUE(s.get_lease(1).has_value());
  EXPECT_EQ(s.get_lease(1)->owner, "A");
  s.release_lease(1, "A");
  EXPECT_FALSE(s.get_lease(1).has_value());
  EXPECT_EQ(s.claim_leases(one, "B", this->at(30), ttl), one);
  EXPECT_EQ(s.get_lease(1)->owner, "B");
  s.release_lease(777, "A");  // unknown: no-op
}

// A dead engine's contact with an open attempt: its expired lease is taken over only by
// reconciliation's claim (the call may still be up); once the attempt is closed, by anyone.
TYPED_TEST_P(StorageConformanceTest, AnExpiredLeaseOverAnOpenAttemptIsLeftToReconciliation) {
  Storage& s = this->storage();
  ContactId open_contact = s.add_contact(this->make_contact("c1", "open"));
  ContactId closed_contact = s.add_contact(this->make_contact("c1", "closed"));
  const Duration ttl = std::chrono::seconds(30);
  const std::vector<ContactId> both = {open_contact, closed_contact};
  ASSERT_EQ(s.claim_leases(both, "dead", this->at(0), ttl), both);
  Attempt a;
  a.call_id = s.allocate_call_id();
  a.contact_id = open_contact;
  a.campaign_id = "c1";
  a.number = "+351912345678";
  a.state = CallState::kRinging;
  s.put_attempt(a);
  Attempt done = a;
  done.call_id = s.allocate_call_id();
  done.contact_id = closed_contact;
  done.state = CallState::kCompleted;
  done.disposition = Disposition::kBusy;
  s.put_attempt(done);

  // Its owner renews it regardless; after expiry another engine gets only the closed one.
  const std::vector<ContactId> open_only = {open_contact};
  EXPECT_EQ(s.claim_leases(open_only, "dead", this->at(10), ttl), open_only);
  EXPECT_EQ(s.claim_leases(both, "next", this->at(60), ttl),
            (std::vector<ContactId>{closed_contact}));
  EXPECT_EQ(s.get_lease(open_contact)->owner, "dead");
  // Reconciliation takes it over (not while the lease is live), closes the call, releases it.
  EXPECT_TRUE(s.claim_leases_to_reconcile(open_only, "next", this->at(30), ttl).empty());
  EXPECT_EQ(s.claim_leases_to_reconcile(open_only, "next", this->at(60), ttl), open_only);
  a.disposition = Disposition::kFailed;
  a.state = CallState::kFailed;
  s.put_attempt(a);
  s.release_lease(open_contact, "next");
  EXPECT_EQ(s.claim_leases(open_only, "third", this->at(61), ttl), open_only);
}

// The earliest live lease of another owner on the campaign: when a refill that came up short
// looks again for the contacts an engine that may be dead had claimed.
TYPED_TEST_P(StorageConformanceTest, EarliestLeaseExpiryOfTheOtherOwners) {
  Storage& s = this->storage();
  ContactId mine = s.add_contact(this->make_contact("c1", "mine"));
  ContactId theirs = s.add_contact(this->make_contact("c1", "theirs"));
  ContactId later = s.add_contact(this->make_contact("c1", "later"));
  ContactId elsewhere = s.add_contact(this->make_contact("c2", "elsewhere"));
  const std::vector<ContactId> one = {mine}, two = {theirs}, three = {later}, four = {elsewhere};
  EXPECT_EQ(s.earliest_lease_expiry("c1", "me", this->at(0)), std::nullopt);
  ASSERT_EQ(s.claim_leases(one, "me", this->at(0), std::chrono::seconds(10)), one);
  ASSERT_EQ(s.claim_leases(two, "them", this->at(0), std::chrono::seconds(30)), two);
  ASSERT_EQ(s.claim_leases(three, "them", this->at(0), std::chrono::seconds(60)), three);
  ASSERT_EQ(s.claim_leases(four, "them", this->at(0), std::chrono::seconds(5)), four);
  EXPECT_EQ(s.earliest_lease_expiry("c1", "me", this->at(1)), this->at(30));
  EXPECT_EQ(s.earliest_lease_expiry("c1", "them", this->at(1)), this->at(10));
  EXPECT_EQ(s.earliest_lease_expiry("c1", "me", this->at(30)), this->at(60));
  EXPECT_EQ(s.earliest_lease_expiry("c1", "me", this->at(60)), std::nullopt);
  s.release_lease(later, "them");
  EXPECT_EQ(s.earliest_lease_expiry("c1", "me", this->at(30)), std::nullopt);
}

TYPED_TEST_P(StorageConformanceTest, ConcurrentClaimsNeverShareAContact) {
  Storage& s = this->storage();
  constexpr int kContacts = 16;
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  for (int i = 0; i < kContacts; ++i) s.add_contact(this->make_contact("c1", std::to_string(i)));
  std::vector<std::atomic<int>> holder(kContacts + 1);
  for (auto& h : holder) h.store(-1);
  std::atomic<int> violations{0};
  std::atomic<int> claims{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string owner = "owner-" + std::to_string(t);
      std::vector<ContactId> want;
      for (int round = 0; round < kRounds; ++round) {
        want.clear();
        for (int i = 0; i < kContacts; ++i) {
          if ((i + round + t) % 3 != 0) want.push_back(static_cast<ContactId>(i + 1));
        }
        // Leases never expire during the test (fixed now, 1 h ttl).
        auto got = s.claim_leases(want, owner, this->at(0), std::chrono::hours(1));
        claims += static_cast<int>(got.size());
        for (ContactId id : got) {
          int expected = -1;
          if (!holder[id].compare_exchange_strong(expected, t)) ++violations;
        }
        std::this_thread::yield();
        for (ContactId id : got) {
          int expected = t;
          if (!holder[id].compare_exchange_strong(expected, -1)) ++violations;
          s.release_lease(id, owner);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(claims.load(), 0);
  for (int i = 1; i <= kContacts; ++i) EXPECT_FALSE(s.get_lease(i).has_value()) << i;
}

// ---- attempts ----

TYPED_TEST_P(StorageConformanceTest, CallIdsAreUniqueAndNonZero) {
  Storage& s = this->storage();
  std::set<CallId> seen;
  for (int i = 0; i < 500; ++i) {
    CallId id = s.allocate_call_id();
    EXPECT_NE(id, kNoCall);
    EXPECT_TRUE(seen.insert(id).second) << id;
  }
  std::vector<std::vector<CallId>> per(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) per[t].push_back(s.allocate_call_id());
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& v : per) {
    for (CallId id : v) {
      EXPECT_NE(id, kNoCall);
      EXPECT_TRUE(seen.insert(id).second) << id;
    }
  }
}

TYPED_TEST_P(StorageConformanceTest, Attempts) {
  Storage& s = this->storage();
  ContactId c1 = s.add_contact(this->make_contact("c1", "a"));
  ContactId c2 = s.add_contact(this->make_contact("c1", "b"));
  std::vector<CallId> calls;
  for (int i = 0; i < 4; ++i) calls.push_back(s.allocate_call_id());
  auto make = [&](CallId call, ContactId contact, const std::string& campaign) {
    Attempt a;
    a.call_id = call;
    a.contact_id = contact;
    a.campaign_id = campaign;
    a.number = "+351912345678";
    a.number_index = 1;
    a.attempt_number = 2;
    a.caller_id = "+15550100000";
    a.provider_call_id = "CA" + std::to_string(call);
    a.state = CallState::kRinging;
    a.created_at = this->at(static_cast<int>(call));
    return a;
  };
  // Inserted in call-id order (as the engine does).
  s.put_attempt(make(calls[0], c1, "c1"));
  s.put_attempt(make(calls[1], c2, "c1"));
  s.put_attempt(make(calls[2], c1, "c1"));
  s.put_attempt(make(calls[3], c1, "c2"));

  // Replace: every field.
  Attempt done = make(calls[0], c1, "c1");
  done.state = CallState::kCompleted;
  done.fail_reason = FailReason::kNetwork;
  done.amd = AmdResult::kHuman;
  done.disposition = Disposition::kSale;
  done.agent = 4;
  done.answered_at = this->at(100);
  done.bridged_at = this->at(101);
  done.ended_at = this->at(160);
  done.provider_code = 486;
  s.put_attempt(done);

  auto of1 = s.attempts_of(c1);
  ASSERT_EQ(of1.size(), 3u);
  EXPECT_EQ(of1[0].call_id, calls[0]);
  EXPECT_EQ(of1[1].call_id, calls[2]);
  EXPECT_EQ(of1[2].call_id, calls[3]);
  const Attempt& a = of1[0];
  EXPECT_EQ(a.contact_id, c1);
  EXPECT_EQ(a.campaign_id, "c1");
  EXPECT_EQ(a.number, "+351912345678");
  EXPECT_EQ(a.number_index, 1);
  EXPECT_EQ(a.attempt_number, 2);
  EXPECT_EQ(a.caller_id, "+15550100000");
  EXPECT_EQ(a.provider_call_id, "CA" + std::to_string(calls[0]));
  EXPECT_EQ(a.state, CallState::kCompleted);
  EXPECT_EQ(a.fail_reason, FailReason::kNetwork);
  EXPECT_EQ(a.amd, AmdResult::kHuman);
  EXPECT_EQ(a.disposition, Disposition::kSale);
  EXPECT_EQ(a.agent, 4u);
  EXPECT_EQ(a.created_at, this->at(static_cast<int>(calls[0])));
  EXPECT_EQ(a.answered_at, this->at(100));
  EXPECT_EQ(a.bridged_at, this->at(101));
  EXPECT_EQ(a.ended_at, this->at(160));
  EXPECT_EQ(a.provider_code, 486);
  EXPECT_EQ(of1[1].state, CallState::kRinging);
  EXPECT_EQ(s.attempts_of(c2).size(), 1u);
  EXPECT_TRUE(s.attempts_of(999).empty());

  std::vector<CallId> seen;
  s.scan_attempts("c1", [&](const Attempt& x) {
    seen.push_back(x.call_id);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<CallId>{calls[0], calls[1], calls[2]}));
  seen.clear();
  s.scan_attempts("c1", [&](const Attempt& x) {
    seen.push_back(x.call_id);
    return false;
  });
  EXPECT_EQ(seen, (std::vector<CallId>{calls[0]}));
  seen.clear();
  s.scan_attempts("nope", [&](const Attempt& x) {
    seen.push_back(x.call_id);
    return true;
  });
  EXPECT_TRUE(seen.empty());
}

// ---- group commit ----

TYPED_TEST_P(StorageConformanceTest, WriteBatchAppliesEveryPart) {
  Storage& s = this->storage();
  ContactId c1 = s.add_contact(this->make_contact("c1", "a"));
  ContactId c2 = s.add_contact(this->make_contact("c1", "b"));
  ASSERT_EQ(
      s.claim_leases(std::vector<ContactId>{c1, c2}, "me", this->at(0), std::chrono::seconds(60))
          .size(),
      2u);
  std::vector<CallId> ids = s.allocate_call_ids(3);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(std::set<CallId>(ids.begin(), ids.end()).size(), 3u);
  for (CallId id : ids) EXPECT_NE(id, kNoCall);
  StorageWriteBatch batch;
  batch.release_owner = "me";
  Attempt a;
  a.call_id = ids[0];
  a.contact_id = c1;
  a.campaign_id = "c1";
  a.number = "+351912345678";
  a.state = CallState::kRinging;
  batch.attempts.push_back(a);
  a.state = CallState::kCompleted;  // the same call again: the later one counts
  a.disposition = Disposition::kSale;
  batch.attempts.push_back(a);
  a.call_id = ids[1];
  a.contact_id = c2;
  a.disposition = Disposition::kNone;
  batch.attempts.push_back(a);
  Contact one = *s.get_contact(c1);
  one.status = ContactStatus::kDone;
  one.attempts = 1;
  one.numbers[0].attempts = 1;
  PhoneNumber second;  // a number added: the numbers are stored whole
  second.e164 = "+351912000000";
  second.attempts = 2;
  one.numbers.push_back(second);
  batch.contacts.push_back(one);
  for (int i = 0; i < 3; ++i) {
    JournalEntry e;
    e.at = this->at(i);
    e.campaign_id = "c1";
    e.call_id = ids[0];
    e.contact_id = c1;
    e.kind = "state";
    e.detail = "line " + std::to_string(i) + " \"quoted\" \\ ";
    batch.journal.push_back(e);
  }
  batch.released = {c1};
  s.write_batch(batch);

  auto attempts = s.attempts_of(c1);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].state, CallState::kCompleted);
  EXPECT_EQ(attempts[0].disposition, Disposition::kSale);
  ASSERT_EQ(s.attempts_of(c2).size(), 1u);
  auto stored = s.get_contact(c1);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, ContactStatus::kDone);
  EXPECT_EQ(stored->attempts, 1);
  ASSERT_EQ(stored->numbers.size(), 2u);
  EXPECT_EQ(stored->numbers[0].attempts, 1);
  EXPECT_EQ(stored->numbers[1].e164, "+351912000000");
  EXPECT_EQ(stored->numbers[1].attempts, 2);
  std::vector<std::string> lines;
  s.scan_journal("c1", [&](const JournalEntry& e) {
    lines.push_back(e.detail);
    return true;
  });
  if (!lines.empty()) {  // a backend may keep no journal
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[2], "line 2 \"quoted\" \\ ");
  }
  EXPECT_FALSE(s.get_lease(c1));  // released
  ASSERT_TRUE(s.get_lease(c2));   // not in the batch

  // Fewer numbers, and a release by another owner does nothing.
  one.numbers.pop_back();
  StorageWriteBatch again;
  again.contacts.push_back(one);
  again.released = {c2};
  again.release_owner = "someone else";
  s.write_batch(again);
  EXPECT_EQ(s.get_contact(c1)->numbers.size(), 1u);
  EXPECT_TRUE(s.get_lease(c2));
  s.release_leases(std::vector<ContactId>{c2}, "me");
  EXPECT_FALSE(s.get_lease(c2));

  // An unknown contact: kNotFound.
  Contact ghost = one;
  ghost.id = 987654321;
  StorageWriteBatch bad;
  bad.contacts.push_back(ghost);
  try {
    s.write_batch(bad);
    ADD_FAILURE() << "write_batch of an unknown contact did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound) << e.what();
  }
  s.write_batch(StorageWriteBatch{});  // empty: nothing to do
}

TYPED_TEST_P(StorageConformanceTest, AbandonCountsAddUpTheEngines) {
  Storage& s = this->storage();
  const TimePoint m0 = this->t0();
  const TimePoint m1 = m0 + std::chrono::minutes(1);
  s.put_abandon_counts("c1", "e1", std::vector<AbandonBucket>{{m0, {10, 1, 2}}, {m1, {5, 0, 1}}});
  s.put_abandon_counts("c1", "e2", std::vector<AbandonBucket>{{m0, {20, 2, 0}}});
  s.put_abandon_counts("c2", "e1", std::vector<AbandonBucket>{{m0, {100, 100, 100}}});
  AbandonCounts all = s.abandon_counts("c1", TimePoint::min(), TimePoint::max());
  if (all.live_answers == 0) GTEST_SKIP() << "the backend does not share abandon counts";
  EXPECT_EQ(all.live_answers, 35);
  EXPECT_EQ(all.abandons, 3);
  EXPECT_EQ(all.machines, 3);
  EXPECT_EQ(all.engines, 2);
  // A bucket written again replaces the owner's counts for that minute.
  s.put_abandon_counts("c1", "e2", std::vector<AbandonBucket>{{m0, {25, 3, 0}}});
  AbandonCounts later = s.abandon_counts("c1", m1, TimePoint::max());
  EXPECT_EQ(later.live_answers, 5);
  EXPECT_EQ(later.engines, 1);
  AbandonCounts first = s.abandon_counts("c1", m0, m1);
  EXPECT_EQ(first.live_answers, 35);
  EXPECT_EQ(first.abandons, 4);
  EXPECT_EQ(first.engines, 2);
  // An engine that has counted nothing yet is seen by its row of zeros.
  s.put_abandon_counts("c1", "e3", std::vector<AbandonBucket>{{m1, {}}});
  EXPECT_EQ(s.abandon_counts("c1", m1, TimePoint::max()).engines, 2);
  EXPECT_EQ(s.abandon_counts("c1", m1, TimePoint::max()).live_answers, 5);
  EXPECT_EQ(s.abandon_counts("c3", TimePoint::min(), TimePoint::max()).live_answers, 0);
  EXPECT_EQ(s.abandon_counts("c3", TimePoint::min(), TimePoint::max()).engines, 0);
}

// ---- DNC, journal, dedup ----

TYPED_TEST_P(StorageConformanceTest, Dnc) {
  Storage& s = this->storage();
  EXPECT_FALSE(s.is_dnc("c1", "+15550000001"));
  s.add_dnc("global", "+15550000001");
  s.add_dnc("c1", "+15550000002");
  s.add_dnc("c1", "+15550000002");  // twice: harmless
  EXPECT_TRUE(s.is_dnc("c1", "+15550000001"));
  EXPECT_TRUE(s.is_dnc("c2", "+15550000001"));
  EXPECT_TRUE(s.is_dnc("c1", "+15550000002"));
  EXPECT_FALSE(s.is_dnc("c2", "+15550000002"));
  EXPECT_FALSE(s.is_dnc("c1", "+15550000003"));
  EXPECT_TRUE(s.remove_dnc("c1", "+15550000002"));
  EXPECT_FALSE(s.remove_dnc("c1", "+15550000002"));  // not on the list any more
  EXPECT_FALSE(s.remove_dnc("c1", "+15550000001"));  // on the global list, not c1's
  EXPECT_FALSE(s.is_dnc("c1", "+15550000002"));
  EXPECT_TRUE(s.is_dnc("c1", "+15550000001"));
}

TYPED_TEST_P(StorageConformanceTest, Journal) {
  Storage& s = this->storage();
  for (int i = 0; i < 5; ++i) {
    JournalEntry e;
    e.at = this->at(100 - i);  // append order, not time order
    e.campaign_id = i == 2 ? "c2" : "c1";
    e.call_id = static_cast<CallId>(10 + i);
    e.contact_id = static_cast<ContactId>(20 + i);
    e.kind = "state";
    e.detail = "entry " + std::to_string(i);
    s.append_journal(e);
  }
  std::vector<JournalEntry> got;
  s.scan_journal("c1", [&](const JournalEntry& e) {
    got.push_back(e);
    return true;
  });
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].detail, "entry 0");
  EXPECT_EQ(got[1].detail, "entry 1");
  EXPECT_EQ(got[2].detail, "entry 3");
  EXPECT_EQ(got[3].detail, "entry 4");
  EXPECT_EQ(got[1].at, this->at(99));
  EXPECT_EQ(got[1].campaign_id, "c1");
  EXPECT_EQ(got[1].call_id, 11u);
  EXPECT_EQ(got[1].contact_id, 21u);
  EXPECT_EQ(got[1].kind, "state");
  int n = 0;
  s.scan_journal("c1", [&](const JournalEntry&) { return ++n < 2; });
  EXPECT_EQ(n, 2);
  n = 0;
  s.scan_journal("nope", [&](const JournalEntry&) { return ++n > 0; });
  EXPECT_EQ(n, 0);
}

TYPED_TEST_P(StorageConformanceTest, MarkEventProcessedDeduplicates) {
  Storage& s = this->storage();
  EXPECT_TRUE(s.mark_event_processed("CA1:1"));
  EXPECT_FALSE(s.mark_event_processed("CA1:1"));
  EXPECT_TRUE(s.mark_event_processed("CA1:2"));
  EXPECT_TRUE(s.mark_event_processed("CA2:1"));
  EXPECT_FALSE(s.mark_event_processed("CA2:1"));
}

TYPED_TEST_P(StorageConformanceTest, OpenAttempts) {
  Storage& s = this->storage();
  ContactId c1 = s.add_contact(this->make_contact("c1", "a"));
  std::vector<CallId> calls;
  for (int i = 0; i < 6; ++i) calls.push_back(s.allocate_call_id());
  auto put = [&](CallId call, const std::string& campaign, Disposition d) {
    Attempt a;
    a.call_id = call;
    a.contact_id = c1;
    a.campaign_id = campaign;
    a.number = "+351912345678";
    a.provider_call_id = "CA" + std::to_string(call);
    a.state = d == Disposition::kNone ? CallState::kRinging : CallState::kCompleted;
    a.disposition = d;
    s.put_attempt(a);
  };
  put(calls[0], "c1", Disposition::kNone);
  put(calls[1], "c1", Disposition::kSale);
  put(calls[2], "c1", Disposition::kNone);
  put(calls[3], "c2", Disposition::kNone);
  put(calls[4], "c1", Disposition::kBusy);
  put(calls[5], "c1", Disposition::kNone);
  auto open = [&](const std::string& campaign) {
    std::vector<CallId> seen;
    s.scan_open_attempts(campaign, [&](const Attempt& a) {
      EXPECT_EQ(a.disposition, Disposition::kNone);
      seen.push_back(a.call_id);
      return true;
    });
    return seen;
  };
  EXPECT_EQ(open("c1"), (std::vector<CallId>{calls[0], calls[2], calls[5]}));
  EXPECT_EQ(open("c2"), (std::vector<CallId>{calls[3]}));
  EXPECT_TRUE(open("nope").empty());
  // Dispositioning an attempt closes it.
  put(calls[2], "c1", Disposition::kNoAnswer);
  EXPECT_EQ(open("c1"), (std::vector<CallId>{calls[0], calls[5]}));
  int n = 0;
  s.scan_open_attempts("c1", [&](const Attempt&) { return ++n < 1; });
  EXPECT_EQ(n, 1);
}

TYPED_TEST_P(StorageConformanceTest, TenantsAreIsolated) {
  if constexpr (!StorageFactoryWithTenants<TypeParam>) {
    GTEST_SKIP() << "the factory has no create_for_tenant (one store per tenant)";
  } else {
    Storage& a = this->storage();
    std::unique_ptr<Storage> b_owner = this->factory().create_for_tenant("tenant-b");
    ASSERT_NE(b_owner, nullptr);
    Storage& b = *b_owner;
    const Duration ttl = std::chrono::seconds(30);

    // Tenant A's data.
    CampaignConfig campaign;
    campaign.id = "c1";
    campaign.name = "A's campaign";
    a.put_campaign(campaign);
    a.put_list({"c1", "list-a", true});
    ContactId a1 = a.add_contact(this->make_contact("c1", "a1"));
    ContactId a2 =
        a.add_contact(this->make_contact("c1", "a2", 0, ContactStatus::kCallback, this->at(10)));
    a.add_dnc("global", "+15550000001");
    a.add_dnc("c1", "+15550000002");
    EXPECT_TRUE(a.mark_event_processed("CA1:1"));
    a.append_journal({this->at(0), "c1", 1, a1, "state", "A's entry"});
    CallId a_call = a.allocate_call_id();
    Attempt attempt;
    attempt.call_id = a_call;
    attempt.contact_id = a1;
    attempt.campaign_id = "c1";
    attempt.number = "+351912345678";
    attempt.provider_call_id = "CA-A";
    a.put_attempt(attempt);
    std::vector<ContactId> a_ids = {a1, a2};
    std::vector<ContactId> just_a1 = {a1};
    EXPECT_EQ(a.claim_leases(just_a1, "owner-a", this->at(0), ttl), just_a1);

    // Tenant B sees none of it, even with the same campaign id and A's contact / call ids.
    EXPECT_FALSE(b.get_campaign("c1").has_value());
    EXPECT_TRUE(b.campaign_ids().empty());
    EXPECT_TRUE(b.lists("c1").empty());
    EXPECT_EQ(b.contact_count("c1"), 0u);
    EXPECT_EQ(b.count_by_status("c1"), std::vector<std::size_t>(7, 0));
    ContactScan scan;
    scan.campaign_id = "c1";
    EXPECT_EQ(b.scan_contacts(scan, [](const Contact&) { return true; }), 0u);
    scan.dialable_only = false;
    EXPECT_EQ(b.scan_contacts(scan, [](const Contact&) { return true; }), 0u);
    EXPECT_FALSE(b.get_contact(a1).has_value());
    EXPECT_FALSE(b.get_contact(a2).has_value());
    Contact forged = *a.get_contact(a2);
    forged.status = ContactStatus::kDone;
    try {
      b.update_contact(forged);
      ADD_FAILURE() << "tenant B updated tenant A's contact";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kNotFound) << e.what();
    }
    EXPECT_EQ(a.get_contact(a2)->status, ContactStatus::kCallback);
    EXPECT_TRUE(b.claim_leases(a_ids, "owner-b", this->at(100), ttl).empty());
    EXPECT_FALSE(b.get_lease(a1).has_value());
    EXPECT_FALSE(b.renew_lease(a1, "owner-a", this->at(5), ttl));
    b.release_lease(a1, "owner-a");
    ASSERT_TRUE(a.get_lease(a1).has_value());
    EXPECT_EQ(a.get_lease(a1)->owner, "owner-a");
    EXPECT_EQ(a.get_lease(a1)->expiry, this->at(30));
    EXPECT_FALSE(a.get_lease(a2).has_value());
    EXPECT_TRUE(b.attempts_of(a1).empty());
    int visits = 0;
    b.scan_attempts("c1", [&](const Attempt&) { return ++visits > 0; });
    b.scan_open_attempts("c1", [&](const Attempt&) { return ++visits > 0; });
    b.scan_journal("c1", [&](const JournalEntry&) { return ++visits > 0; });
    EXPECT_EQ(visits, 0);
    Attempt overwrite = attempt;
    overwrite.provider_call_id = "CA-B";
    overwrite.disposition = Disposition::kSale;
    b.put_attempt(overwrite);  // A's attempt with this call id stays A's
    ASSERT_EQ(a.attempts_of(a1).size(), 1u);
    EXPECT_EQ(a.attempts_of(a1)[0].provider_call_id, "CA-A");
    EXPECT_EQ(a.attempts_of(a1)[0].disposition, Disposition::kNone);
    EXPECT_FALSE(b.is_dnc("c1", "+15550000001"));
    EXPECT_FALSE(b.is_dnc("c1", "+15550000002"));
    EXPECT_TRUE(b.mark_event_processed("CA1:1"));  // B's own key space

    // B's own data lives beside A's and stays B's.
    campaign.name = "B's campaign";
    b.put_campaign(campaign);
    ContactId b1 = b.add_contact(this->make_contact("c1", "b1"));
    EXPECT_NE(b1, a1);
    EXPECT_NE(b1, a2);
    EXPECT_EQ(b.contact_count("c1"), 1u);
    EXPECT_EQ(a.contact_count("c1"), 2u);
    EXPECT_FALSE(a.get_contact(b1).has_value());
    EXPECT_EQ(a.get_campaign("c1")->name, "A's campaign");
    EXPECT_EQ(a.campaign_ids(), std::vector<std::string>{"c1"});
    EXPECT_EQ(b.campaign_ids(), std::vector<std::string>{"c1"});
    EXPECT_EQ(b.get_campaign("c1")->name, "B's campaign");
    std::vector<ContactId> just_b1 = {b1};
    EXPECT_EQ(b.claim_leases(just_b1, "owner-b", this->at(0), ttl), just_b1);
    EXPECT_TRUE(a.claim_leases(just_b1, "owner-a", this->at(100), ttl).empty());
    EXPECT_NE(b.allocate_call_id(), a.allocate_call_id());
    EXPECT_FALSE(a.mark_event_processed("CA1:1"));
    EXPECT_TRUE(a.is_dnc("c1", "+15550000002"));
  }
}

// An inbound call's record (telephony's id range, no contact, its queue as campaign) is stored
// and listed under its queue, with its direction; the campaign's own attempts stay outbound.
TYPED_TEST_P(StorageConformanceTest, InboundRecordsAreListedUnderTheirQueue) {
  Storage& s = this->storage();
  ContactId c1 = s.add_contact(this->make_contact("c1", "a"));
  Attempt out;
  out.call_id = s.allocate_call_id();
  out.contact_id = c1;
  out.campaign_id = "c1";
  out.number = "+351912345678";
  out.state = CallState::kCompleted;
  out.disposition = Disposition::kCompleted;
  out.created_at = this->at(1);
  s.put_attempt(out);
  Attempt in;
  in.call_id = kFirstInboundCallId + 1700000000000000ull;  // the SIP backend's ids are this large
  in.contact_id = kNoContact;
  in.campaign_id = "support";
  in.number = "+15550001";
  in.caller_id = "+15550100200";
  in.provider_call_id = "sip-call-id@host";
  in.state = CallState::kAbandoned;
  in.disposition = Disposition::kAbandoned;
  in.direction = CallDirection::kInbound;
  in.created_at = in.answered_at = this->at(10);
  in.ended_at = this->at(14);
  s.put_attempt(in);

  std::vector<Attempt> queue;
  s.scan_attempts("support", [&](const Attempt& a) {
    queue.push_back(a);
    return true;
  });
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].call_id, in.call_id);
  EXPECT_EQ(queue[0].direction, CallDirection::kInbound);
  EXPECT_EQ(queue[0].contact_id, kNoContact);
  EXPECT_EQ(queue[0].caller_id, "+15550100200");
  EXPECT_EQ(queue[0].disposition, Disposition::kAbandoned);
  EXPECT_EQ(queue[0].ended_at - queue[0].answered_at, std::chrono::seconds(4));
  std::vector<Attempt> campaign;
  s.scan_attempts("c1", [&](const Attempt& a) {
    campaign.push_back(a);
    return true;
  });
  ASSERT_EQ(campaign.size(), 1u);
  EXPECT_EQ(campaign[0].direction, CallDirection::kOutbound);
  bool open = false;
  s.scan_open_attempts("support", [&](const Attempt&) {
    open = true;
    return true;
  });
  EXPECT_FALSE(open);
}

REGISTER_TYPED_TEST_SUITE_P(
    StorageConformanceTest, CampaignRoundTrip, CampaignIdsAreSorted, ListsRoundTrip,
    AddAndGetContactRoundTripsEveryField, AddContactIsIdempotentByExternalId,
    AddContactsStoresABatchOnce, ConcurrentImportsStoreEachContactOnce, ReadContactReusesTheBuffer,
    UpdateContact, ScanOrder, ScanDueBy, ScanStopsEarly, ScanContactViewsSeeWhatScanContactsSees,
    ScanContactViewsDeferralIsAHintOnly, CountsFollowUpdates, Leases,
    AnExpiredLeaseOverAnOpenAttemptIsLeftToReconciliation, EarliestLeaseExpiryOfTheOtherOwners,
    ConcurrentClaimsNeverShareAContact, CallIdsAreUniqueAndNonZero, Attempts, Dnc, Journal,
    MarkEventProcessedDeduplicates, OpenAttempts, TenantsAreIsolated, WriteBatchAppliesEveryPart,
    AbandonCountsAddUpTheEngines, InboundRecordsAreListedUnderTheirQueue);

}  // namespace omnivox::testing

#endif  // OMNIVOX_TESTING_STORAGE_CONFORMANCE_H_
