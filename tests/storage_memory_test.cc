// The Storage conformance suite on the memory backend, the memory backend's own options
// (attempt retention, bounded event keys) and its deferral hint, and the Storage defaults.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "omnivox/storage.h"
#include "omnivox/testing/storage_conformance.h"

namespace omnivox::testing {
namespace {

struct MemoryStorageFactory {
  std::unique_ptr<Storage> create() { return make_memory_storage(); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StorageConformanceTest,
                               ::testing::Types<MemoryStorageFactory>);

}  // namespace omnivox::testing

// ---- memory-backend options and hints (not part of the Storage contract) ----

namespace omnivox::testing {
namespace {

const TimePoint kT0 = parse_utc("2026-05-04T12:00:00Z");

Contact memory_contact(const std::string& campaign, const std::string& number) {
  Contact c;
  c.campaign_id = campaign;
  c.numbers.push_back(PhoneNumber{number});
  return c;
}

Attempt memory_attempt(CallId call, ContactId contact, TimePoint created, bool finished) {
  Attempt a;
  a.call_id = call;
  a.contact_id = contact;
  a.campaign_id = "c1";
  a.number = "+15550100001";
  a.created_at = created;
  if (finished) {
    a.state = CallState::kNoAnswer;
    a.disposition = Disposition::kNoAnswer;
    a.ended_at = created + std::chrono::seconds(30);
  }
  return a;
}

std::vector<CallId> ids_of(const std::vector<Attempt>& attempts) {
  std::vector<CallId> ids;
  for (const Attempt& a : attempts) ids.push_back(a.call_id);
  return ids;
}

TEST(MemoryStorageOptions, FinishedAttemptsOlderThanTheRetentionAreEvicted) {
  MemoryStorageOptions options;
  options.finished_attempt_retention = std::chrono::hours(1);
  std::vector<CallId> evicted;
  options.on_attempt_evicted = [&](const Attempt& a) { evicted.push_back(a.call_id); };
  auto s = make_memory_storage(options);
  ContactId c = s->add_contact(memory_contact("c1", "+15550100001"));
  s->put_attempt(memory_attempt(1, c, kT0, true));
  s->put_attempt(memory_attempt(2, c, kT0, false));  // open: never evicted
  s->put_attempt(memory_attempt(3, c, kT0 + std::chrono::minutes(30), true));
  EXPECT_EQ(ids_of(s->attempts_of(c)), (std::vector<CallId>{1, 2, 3}));
  // Two hours later: attempt 1 (ended 12:00:30) is past the hour, attempt 3 (12:30:30) too.
  s->put_attempt(memory_attempt(4, c, kT0 + std::chrono::hours(2), true));
  EXPECT_EQ(evicted, (std::vector<CallId>{1, 3}));
  EXPECT_EQ(ids_of(s->attempts_of(c)), (std::vector<CallId>{2, 4}));
  std::vector<CallId> scanned;
  s->scan_attempts("c1", [&](const Attempt& a) {
    scanned.push_back(a.call_id);
    return true;
  });
  EXPECT_EQ(scanned, (std::vector<CallId>{2, 4}));
  // The open attempt, finished now, is evicted once it is past the hour too.
  s->put_attempt(memory_attempt(2, c, kT0 + std::chrono::hours(2), true));
  s->put_attempt(memory_attempt(5, c, kT0 + std::chrono::hours(4), true));
  EXPECT_EQ(ids_of(s->attempts_of(c)), (std::vector<CallId>{5}));
}

TEST(MemoryStorageOptions, KeepsEveryAttemptByDefault) {
  auto s = make_memory_storage();
  ContactId c = s->add_contact(memory_contact("c1", "+15550100001"));
  for (CallId id = 1; id <= 3; ++id) {
    s->put_attempt(memory_attempt(id, c, kT0 + std::chrono::hours(24 * id), true));
  }
  EXPECT_EQ(ids_of(s->attempts_of(c)), (std::vector<CallId>{1, 2, 3}));
}

TEST(MemoryStorageOptions, ProcessedEventKeysAreBoundedOldestFirst) {
  MemoryStorageOptions options;
  options.processed_event_keys_kept = 2;
  auto s = make_memory_storage(options);
  EXPECT_TRUE(s->mark_event_processed("CA1:1"));
  EXPECT_TRUE(s->mark_event_processed("CA1:2"));
  EXPECT_FALSE(s->mark_event_processed("CA1:2"));
  EXPECT_TRUE(s->mark_event_processed("CA1:3"));  // forgets CA1:1
  EXPECT_FALSE(s->mark_event_processed("CA1:3"));
  EXPECT_TRUE(s->mark_event_processed("CA1:1"));
}

TEST(MemoryStorageHints, DeferredContactsAreSkippedUntilTheirTime) {
  auto s = make_memory_storage();
  ContactId a = s->add_contact(memory_contact("c1", "+15550100001"));
  ContactId b = s->add_contact(memory_contact("c1", "+15550100002"));
  auto dialable = [&](TimePoint due_by) {
    std::vector<ContactId> seen;
    ContactScan scan;
    scan.campaign_id = "c1";
    scan.due_by = due_by;
    s->scan_contacts(scan, [&](const Contact& c) {
      seen.push_back(c.id);
      return true;
    });
    return seen;
  };
  EXPECT_EQ(dialable(kT0), (std::vector<ContactId>{a, b}));
  std::vector<ContactId> ids{a};
  s->defer_contacts("c1", ids, kT0 + std::chrono::hours(1));
  s->defer_contacts("other", std::vector<ContactId>{b}, kT0 + std::chrono::hours(1));  // ignored
  EXPECT_EQ(dialable(kT0), (std::vector<ContactId>{b}));
  EXPECT_EQ(dialable(kT0 + std::chrono::minutes(59)), (std::vector<ContactId>{b}));
  EXPECT_EQ(dialable(kT0 + std::chrono::hours(1)), (std::vector<ContactId>{a, b}));
  // An update ends a deferral.
  s->defer_contacts("c1", std::vector<ContactId>{b}, kT0 + std::chrono::hours(3));
  EXPECT_EQ(dialable(kT0 + std::chrono::hours(1)), (std::vector<ContactId>{a}));
  Contact changed = *s->get_contact(b);
  changed.time_zone = "Europe/Lisbon";
  s->update_contact(changed);
  EXPECT_EQ(dialable(kT0 + std::chrono::hours(1)), (std::vector<ContactId>{a, b}));
  // The contact's own data is unchanged by a deferral.
  EXPECT_EQ(s->get_contact(a)->next_attempt_at, TimePoint{});
}

// The ids a view scan visits; with `defer_until`, it asks to defer each contact it visits until
// then.
std::vector<ContactId> view_scan(Storage& s, const ContactScan& scan,
                                 TimePoint defer_until = TimePoint::min()) {
  std::vector<ContactId> seen;
  s.scan_contact_views(scan, [&](const ContactView& c) {
    seen.push_back(c.id);
    return ScanStep{true, defer_until};
  });
  return seen;
}
// The same for a dialable scan of campaign c1 at `due_by`.
std::vector<ContactId> view_scan(Storage& s, TimePoint due_by,
                                 TimePoint defer_until = TimePoint::min()) {
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.due_by = due_by;
  return view_scan(s, scan, defer_until);
}

TEST(MemoryStorageHints, ViewScanDefersDuringTheScan) {
  auto s = make_memory_storage();
  ContactId a = s->add_contact(memory_contact("c1", "+15550100001"));
  ContactId b = s->add_contact(memory_contact("c1", "+15550100002"));
  ContactId c = s->add_contact(memory_contact("c1", "+15550100003"));
  // Deferring while scanning: the scan still visits every contact once.
  EXPECT_EQ(view_scan(*s, kT0, kT0 + std::chrono::hours(1)), (std::vector<ContactId>{a, b, c}));
  EXPECT_TRUE(view_scan(*s, kT0).empty());
  EXPECT_TRUE(view_scan(*s, kT0 + std::chrono::minutes(59)).empty());
  EXPECT_EQ(view_scan(*s, kT0 + std::chrono::hours(1)), (std::vector<ContactId>{a, b, c}));
  // Two runs of contacts deferred to different times reopen each at its own.
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.due_by = kT0 + std::chrono::hours(1);
  s->scan_contact_views(scan, [&](const ContactView& v) {
    return ScanStep::defer(kT0 + std::chrono::hours(v.id == b ? 3 : 2));
  });
  EXPECT_TRUE(view_scan(*s, kT0 + std::chrono::hours(1)).empty());
  EXPECT_EQ(view_scan(*s, kT0 + std::chrono::hours(2)), (std::vector<ContactId>{a, c}));
  EXPECT_EQ(view_scan(*s, kT0 + std::chrono::hours(3)), (std::vector<ContactId>{a, b, c}));
  // An update ends a deferral; a deferral due already, or of a callback, is ignored.
  view_scan(*s, kT0 + std::chrono::hours(3), kT0 + std::chrono::hours(5));
  Contact changed = *s->get_contact(b);
  changed.time_zone = "Europe/Lisbon";
  s->update_contact(changed);
  EXPECT_EQ(view_scan(*s, kT0 + std::chrono::hours(3)), (std::vector<ContactId>{b}));
  view_scan(*s, kT0 + std::chrono::hours(3), kT0 + std::chrono::hours(3));
  EXPECT_EQ(view_scan(*s, kT0 + std::chrono::hours(3)), (std::vector<ContactId>{b}));
  changed.status = ContactStatus::kCallback;
  changed.next_attempt_at = kT0;
  s->update_contact(changed);
  view_scan(*s, kT0 + std::chrono::hours(3), kT0 + std::chrono::hours(4));
  EXPECT_EQ(view_scan(*s, kT0 + std::chrono::hours(3)), (std::vector<ContactId>{b}));
}

TEST(MemoryStorageHints, StaleDeferralsAreCompactedAndStayCorrect) {
  auto s = make_memory_storage();
  ContactId a = s->add_contact(memory_contact("c1", "+15550100001"));
  ContactId b = s->add_contact(memory_contact("c1", "+15550100002"));
  // Each round defers a far ahead and b by an hour, then an update ends a's deferral: its entry
  // goes stale and stays (not due for 2000 h). Enough rounds to pass the compaction bound
  // (2 x contacts + 1024 entries), so later deferrals mix with compacted ones.
  TimePoint now = kT0;
  ContactScan scan;
  scan.campaign_id = "c1";
  for (int round = 0; round < 1500; ++round) {
    std::vector<ContactId> seen;
    scan.due_by = now;
    s->scan_contact_views(scan, [&](const ContactView& v) {
      seen.push_back(v.id);
      return ScanStep::defer(now + std::chrono::hours(v.id == a ? 2000 : 1));
    });
    ASSERT_EQ(seen, (std::vector<ContactId>{a, b})) << "round " << round;
    ASSERT_TRUE(view_scan(*s, now).empty()) << "round " << round;
    Contact changed = *s->get_contact(a);
    changed.external_id = "round " + std::to_string(round);
    s->update_contact(changed);
    ASSERT_EQ(view_scan(*s, now), (std::vector<ContactId>{a})) << "round " << round;
    now += std::chrono::hours(1);  // b's deferral ends
  }
  EXPECT_EQ(view_scan(*s, now), (std::vector<ContactId>{a, b}));
  EXPECT_EQ(s->get_contact(a)->external_id, "round 1499");
  // Past every stale entry's time, each contact is still visited once.
  EXPECT_EQ(view_scan(*s, now + std::chrono::hours(5000)), (std::vector<ContactId>{a, b}));
}

// Runs the default Storage::scan_contact_views (over scan_contacts and defer_contacts) on a
// memory storage, optionally with a defer_contacts that fails.
class DefaultViewScan final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::size_t scan_contact_views(const ContactScan& scan,
                                 const std::function<ScanStep(const ContactView&)>& v) override {
    return Storage::scan_contact_views(scan, v);  // NOLINT: the default, on purpose
  }
  void defer_contacts(std::string_view campaign, std::span<const ContactId> ids,
                      TimePoint until) override {
    deferrals.emplace_back(until, std::vector<ContactId>(ids.begin(), ids.end()));
    if (failing) throw Error(ErrorCode::kStorage, "defer_contacts: connection lost");
    StorageWrapper::defer_contacts(campaign, ids, until);
  }
  bool failing = false;
  std::vector<std::pair<TimePoint, std::vector<ContactId>>> deferrals;
};

TEST(StorageDefaults, ViewScanViewsScannedContactsAndPassesDeferralsOn) {
  auto memory = make_memory_storage();
  DefaultViewScan s(memory.get());
  Contact first = memory_contact("c1", "+15550100001");
  first.time_zone = "Asia/Tokyo";
  first.numbers.push_back(PhoneNumber{"+15550100009"});
  first.numbers[1].attempts = 3;
  ContactId a = s.add_contact(first);
  ContactId b = s.add_contact(memory_contact("c1", "+15550100002"));
  ContactId c = s.add_contact(memory_contact("c1", "+15550100003"));
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.due_by = kT0;
  scan.skip = [&](ContactId id) { return id == c; };
  std::vector<ContactId> seen;
  std::size_t n = s.scan_contact_views(scan, [&](const ContactView& v) {
    seen.push_back(v.id);
    if (v.id == a) {
      EXPECT_EQ(v.time_zone, "Asia/Tokyo");
      EXPECT_EQ(v.numbers.size(), 2u);
      EXPECT_EQ(v.numbers[1].e164, "+15550100009");
      EXPECT_EQ(v.numbers[1].attempts, 3);
    }
    return ScanStep::defer(kT0 + std::chrono::hours(v.id == a ? 2 : 1));
  });
  EXPECT_EQ(n, 2u);  // c skipped
  EXPECT_EQ(seen, (std::vector<ContactId>{a, b}));
  // One defer_contacts per time, after the scan, in time order.
  ASSERT_EQ(s.deferrals.size(), 2u);
  EXPECT_EQ(s.deferrals[0], (std::pair{kT0 + std::chrono::hours(1), std::vector<ContactId>{b}}));
  EXPECT_EQ(s.deferrals[1], (std::pair{kT0 + std::chrono::hours(2), std::vector<ContactId>{a}}));
  EXPECT_EQ(view_scan(*memory, kT0), (std::vector<ContactId>{c}));  // the memory backend honoured
  EXPECT_EQ(view_scan(*memory, kT0 + std::chrono::hours(2)), (std::vector<ContactId>{a, b, c}));

  // A failing defer_contacts does not fail the scan (a hint).
  s.failing = true;
  s.deferrals.clear();
  scan.skip = nullptr;
  scan.due_by = kT0 + std::chrono::hours(2);
  n = s.scan_contact_views(
      scan, [&](const ContactView&) { return ScanStep::defer(kT0 + std::chrono::hours(3)); });
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(s.deferrals.size(), 1u);
  EXPECT_EQ(view_scan(*memory, kT0 + std::chrono::hours(2)), (std::vector<ContactId>{a, b, c}));
}

// The ids a scan visits, in order.
std::vector<ContactId> visited_ids(Storage& storage, const ContactScan& scan) {
  std::vector<ContactId> seen;
  storage.scan_contacts(scan, [&](const Contact& c) {
    seen.push_back(c.id);
    return true;
  });
  return seen;
}

TEST(MemoryStorageHints, ContactsUnderALiveLeaseAreLeftOutWhenAsked) {
  auto s = make_memory_storage();
  ContactId a = s->add_contact(memory_contact("c1", "+15550100001"));
  ContactId b = s->add_contact(memory_contact("c1", "+15550100002"));
  ContactId c = s->add_contact(memory_contact("c1", "+15550100003"));
  auto dialable = [&](std::optional<TimePoint> leased_at) {
    ContactScan scan;
    scan.campaign_id = "c1";
    scan.skip_leased_at = leased_at;
    std::vector<ContactId> viewed = view_scan(*s, scan);  // the queue generator's scan
    EXPECT_EQ(visited_ids(*s, scan), viewed);             // and scan_contacts agree
    return viewed;
  };
  const auto ttl = std::chrono::minutes(5);
  ASSERT_EQ(s->claim_leases(std::vector<ContactId>{a}, "me", kT0, ttl).size(), 1u);
  ASSERT_EQ(s->claim_leases(std::vector<ContactId>{b}, "other", kT0, ttl).size(), 1u);
  EXPECT_EQ(dialable(std::nullopt), (std::vector<ContactId>{a, b, c}));  // not asked: all
  EXPECT_EQ(dialable(kT0), (std::vector<ContactId>{c}));                 // whoever holds it
  // Released: back at once. Renewed: still out past the first expiry. Expired: back.
  s->release_lease(a, "me");
  EXPECT_EQ(dialable(kT0 + std::chrono::minutes(1)), (std::vector<ContactId>{a, c}));
  ASSERT_TRUE(s->renew_lease(b, "other", kT0 + std::chrono::minutes(4), ttl));
  EXPECT_EQ(dialable(kT0 + std::chrono::minutes(6)), (std::vector<ContactId>{a, c}));
  EXPECT_EQ(dialable(kT0 + std::chrono::minutes(9)), (std::vector<ContactId>{a, b, c}));
  // An expired lease taken over by another owner is left out again.
  ASSERT_EQ(
      s->claim_leases(std::vector<ContactId>{b}, "me", kT0 + std::chrono::minutes(10), ttl).size(),
      1u);
  EXPECT_EQ(dialable(kT0 + std::chrono::minutes(10)), (std::vector<ContactId>{a, c}));
}

}  // namespace
}  // namespace omnivox::testing
