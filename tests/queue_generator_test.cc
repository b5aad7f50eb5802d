// The queue generator's eligibility rules (docs/architecture.md, Eligibility), each alone and
// together, and its dialing order: callbacks due, then priority, then list order; closed contacts
// deferred with the memory backend's view scan and with the default one.
#include "omnivox/queue_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace omnivox {
namespace {

// 2026-05-04 is a Monday; 13:00 UTC is 14:00 in Lisbon (WEST, UTC+1).
const TimePoint kNoon = parse_utc("2026-05-04T13:00:00Z");

class QueueGeneratorTest : public ::testing::Test {
 protected:
  QueueGeneratorTest() : zones_(TimeZoneMap::load(TimeZoneMap::default_path())) {
    campaign_.id = "q";
    campaign_.max_attempts = 3;
    campaign_.call_window = CallWindow::every_day(9 * 60, 21 * 60);
    storage_->put_campaign(campaign_);
  }
  ContactId add(const std::string& number, int priority = 0) {
    Contact c;
    c.campaign_id = "q";
    c.external_id = number;
    c.priority = priority;
    PhoneNumber n{number};
    n.zone_set = zones_.zone_set_for(number);
    c.numbers.push_back(n);
    return storage_->add_contact(c);
  }
  Contact get(ContactId id) { return *storage_->get_contact(id); }
  Ineligibility why(ContactId id, TimePoint t = kNoon) {
    QueueGenerator gen(campaign_, storage_.get(), &zones_);
    return gen.explain(get(id), t, "me").reason;
  }
  std::vector<ContactId> fill(std::size_t n, TimePoint t = kNoon) {
    QueueGenerator gen(campaign_, storage_.get(), &zones_);
    std::vector<DialQueueEntry> out;
    gen.fill(
        t, n, [](ContactId) { return false; }, out);
    std::vector<ContactId> ids;
    for (auto& e : out) ids.push_back(e.contact_id);
    return ids;
  }

  TimeZoneMap zones_;
  std::unique_ptr<Storage> storage_ = make_memory_storage();
  CampaignConfig campaign_;
};

TEST_F(QueueGeneratorTest, NewContactInsideItsWindowIsDialable) {
  ContactId id = add("+351212345678");
  EXPECT_EQ(why(id), Ineligibility::kNone);
  EXPECT_EQ(fill(10), std::vector<ContactId>{id});
}

TEST_F(QueueGeneratorTest, FinalStatusExcludes) {
  ContactId id = add("+351212345678");
  Contact c = get(id);
  c.status = ContactStatus::kDone;
  storage_->update_contact(c);
  EXPECT_EQ(why(id), Ineligibility::kFinalStatus);
  EXPECT_TRUE(fill(10).empty());
}

TEST_F(QueueGeneratorTest, MaxAttemptsExcludes) {
  ContactId id = add("+351212345678");
  Contact c = get(id);
  c.status = ContactStatus::kRetry;
  c.attempts = 3;
  storage_->update_contact(c);
  EXPECT_EQ(why(id), Ineligibility::kMaxAttempts);
}

TEST_F(QueueGeneratorTest, RetryDelayExcludesUntilDue) {
  ContactId id = add("+351212345678");
  Contact c = get(id);
  c.status = ContactStatus::kRetry;
  c.attempts = 1;
  c.last_disposition = Disposition::kNoAnswer;
  c.next_attempt_at = kNoon + std::chrono::minutes(30);
  storage_->update_contact(c);
  QueueGenerator gen(campaign_, storage_.get(), &zones_);
  auto report = gen.explain(get(id), kNoon, "me");
  EXPECT_EQ(report.reason, Ineligibility::kRetryDelay);
  EXPECT_EQ(report.eligible_at, kNoon + std::chrono::minutes(30));
  EXPECT_NE(report.detail.find("NO_ANSWER"), std::string::npos) << report.detail;
  EXPECT_EQ(why(id, kNoon + std::chrono::minutes(30)), Ineligibility::kNone);
}

TEST_F(QueueGeneratorTest, CallWindowUsesTheContactsLocalTime) {
  ContactId lisbon = add("+351212345678");
  ContactId new_york = add("+12125550123");
  // 13:00 UTC: 14:00 in Lisbon (open), 09:00 in New York (open).
  EXPECT_EQ(why(lisbon), Ineligibility::kNone);
  EXPECT_EQ(why(new_york), Ineligibility::kNone);
  // 12:30 UTC: 08:30 in New York (closed) but 13:30 in Lisbon.
  TimePoint t = parse_utc("2026-05-04T12:30:00Z");
  EXPECT_EQ(why(lisbon, t), Ineligibility::kNone);
  QueueGenerator gen(campaign_, storage_.get(), &zones_);
  auto report = gen.explain(get(new_york), t, "me");
  EXPECT_EQ(report.reason, Ineligibility::kOutsideCallWindow);
  EXPECT_EQ(report.eligible_at, parse_utc("2026-05-04T13:00:00Z"));
  EXPECT_NE(report.detail.find("America/New_York"), std::string::npos) << report.detail;
  // 20:30 UTC: 21:30 in Lisbon (closed), 16:30 in New York.
  EXPECT_EQ(why(lisbon, parse_utc("2026-05-04T20:30:00Z")), Ineligibility::kOutsideCallWindow);
}

TEST_F(QueueGeneratorTest, DncListExcludesAndMarksTheContact) {
  ContactId id = add("+351212345678");
  storage_->add_dnc("global", "+351212345678");
  EXPECT_EQ(why(id), Ineligibility::kDoNotCall);
  EXPECT_TRUE(fill(10).empty());
  EXPECT_EQ(get(id).status, ContactStatus::kDoNotCall);
}

TEST_F(QueueGeneratorTest, LiveLeaseOfAnotherEngineExcludes) {
  ContactId id = add("+351212345678");
  std::vector<ContactId> ids{id};
  ASSERT_EQ(storage_->claim_leases(ids, "other", kNoon, std::chrono::minutes(5)).size(), 1u);
  EXPECT_EQ(why(id), Ineligibility::kLeased);
  EXPECT_TRUE(storage_->claim_leases(ids, "me", kNoon, std::chrono::minutes(5)).empty());
  // Expired: reclaimable.
  EXPECT_EQ(why(id, kNoon + std::chrono::minutes(6)), Ineligibility::kNone);
  EXPECT_EQ(
      storage_->claim_leases(ids, "me", kNoon + std::chrono::minutes(6), std::chrono::minutes(5))
          .size(),
      1u);
}

TEST_F(QueueGeneratorTest, InvalidNumbersAreSkippedAndNoneLeftExcludes) {
  ContactId id = add("+351212345678");
  Contact c = get(id);
  c.numbers.push_back(PhoneNumber{"+351912345678"});
  c.numbers[0].invalid = true;
  storage_->update_contact(c);
  QueueGenerator gen(campaign_, storage_.get(), &zones_);
  std::vector<DialQueueEntry> out;
  gen.fill(
      kNoon, 5, [](ContactId) { return false; }, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].number, "+351912345678");
  c.numbers[1].invalid = true;
  storage_->update_contact(c);
  EXPECT_EQ(why(id), Ineligibility::kNoValidNumber);
}

TEST_F(QueueGeneratorTest, RulesTogetherReportTheFirstThatApplies) {
  ContactId id = add("+351212345678");
  storage_->add_dnc("q", "+351212345678");
  Contact c = get(id);
  c.status = ContactStatus::kRetry;
  c.attempts = 1;
  c.next_attempt_at = kNoon + std::chrono::hours(1);
  storage_->update_contact(c);
  // Retry delay, window closed at night and DNC all hold: the retry delay is reported first.
  EXPECT_EQ(why(id), Ineligibility::kRetryDelay);
  // Past the delay but at night: the window.
  EXPECT_EQ(why(id, parse_utc("2026-05-04T22:00:00Z")), Ineligibility::kOutsideCallWindow);
  // Past the delay in the day: DNC.
  EXPECT_EQ(why(id, kNoon + std::chrono::hours(2)), Ineligibility::kDoNotCall);
}

TEST_F(QueueGeneratorTest, OrderIsCallbacksDueThenPriorityThenListOrder) {
  ContactId first = add("+351212345671");
  ContactId second = add("+351212345672");
  ContactId urgent = add("+351212345673", /*priority=*/5);
  ContactId callback = add("+351212345674");
  ContactId later_callback = add("+351212345675");
  Contact cb = get(callback);
  cb.status = ContactStatus::kCallback;
  cb.next_attempt_at = kNoon - std::chrono::minutes(1);
  storage_->update_contact(cb);
  Contact lcb = get(later_callback);
  lcb.status = ContactStatus::kCallback;
  lcb.next_attempt_at = kNoon + std::chrono::hours(1);
  storage_->update_contact(lcb);
  EXPECT_EQ(fill(10), (std::vector<ContactId>{callback, urgent, first, second}));
  EXPECT_EQ(why(later_callback), Ineligibility::kCallbackNotDue);
}

TEST_F(QueueGeneratorTest, CensusCountsEveryContactByReason) {
  add("+351212345678");
  ContactId done = add("+351212345679");
  Contact c = get(done);
  c.status = ContactStatus::kDone;
  storage_->update_contact(c);
  ContactId dnc = add("+351212345670");
  storage_->add_dnc("global", get(dnc).numbers[0].e164);
  QueueGenerator gen(campaign_, storage_.get(), &zones_);
  auto counts = gen.census(kNoon);
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kNone)], 1u);
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kFinalStatus)], 1u);
  EXPECT_EQ(counts[static_cast<int>(Ineligibility::kDoNotCall)], 1u);
}

// Counts the contacts the view scans visit; with `default_views`, runs the default
// Storage::scan_contact_views (scan_contacts, then defer_contacts) instead of the target's own.
class ViewScanProbe final : public StorageWrapper {
 public:
  ViewScanProbe(Storage* target, bool default_views)
      : StorageWrapper(target), default_views_(default_views) {}
  std::size_t scan_contact_views(const ContactScan& s,
                                 const std::function<ScanStep(const ContactView&)>& v) override {
    std::size_t n = default_views_ ? Storage::scan_contact_views(s, v)
                                   : StorageWrapper::scan_contact_views(s, v);
    visited += n;
    return n;
  }
  std::size_t visited = 0;

 private:
  bool default_views_;
};

TEST_F(QueueGeneratorTest, ClosedContactsAreDeferredUntilTheirWindowOpensWithEitherViewScan) {
  auto default_backing = make_memory_storage();
  default_backing->put_campaign(campaign_);
  ViewScanProbe own(storage_.get(), false);
  ViewScanProbe by_default(default_backing.get(), true);
  std::vector<ContactId> lisbon, new_york;
  for (int i = 0; i < 3; ++i) {
    lisbon.push_back(add("+35121234567" + std::to_string(i)));
    new_york.push_back(add("+1212555012" + std::to_string(i)));
  }
  for (ContactId id = 1; id <= 6; ++id) {  // the same contacts, ids and order in both
    ASSERT_EQ(default_backing->add_contact(get(id)), id);
  }
  QueueGenerator own_gen(campaign_, &own, &zones_);
  QueueGenerator default_gen(campaign_, &by_default, &zones_);
  auto ids_of = [](const std::vector<DialQueueEntry>& queue) {
    std::vector<ContactId> out;
    for (const DialQueueEntry& e : queue) out.push_back(e.contact_id);
    return out;
  };
  auto numbers = [](const std::vector<DialQueueEntry>& queue) {
    std::vector<std::string> out;
    for (const DialQueueEntry& e : queue) out.push_back(e.number);
    return out;
  };
  std::vector<DialQueueEntry> own_queue, default_queue;
  auto fill_both = [&](TimePoint t) {
    auto own_held = [&](ContactId id) {
      return std::any_of(own_queue.begin(), own_queue.end(),
                         [&](const DialQueueEntry& e) { return e.contact_id == id; });
    };
    auto default_held = [&](ContactId id) {
      return std::any_of(default_queue.begin(), default_queue.end(),
                         [&](const DialQueueEntry& e) { return e.contact_id == id; });
    };
    TimePoint own_wake = own_gen.fill(t, 10, own_held, own_queue);
    TimePoint default_wake = default_gen.fill(t, 10, default_held, default_queue);
    EXPECT_EQ(own_wake, default_wake) << format_utc(t);
    EXPECT_EQ(numbers(own_queue), numbers(default_queue)) << format_utc(t);
    EXPECT_EQ(ids_of(own_queue), ids_of(default_queue)) << format_utc(t);
    return own_wake;
  };
  // 22:30 UTC: 23:30 in Lisbon (closed until 09:00 WEST = 08:00 UTC), 18:30 in New York.
  const TimePoint night = parse_utc("2026-05-04T22:30:00Z");
  EXPECT_EQ(fill_both(night), parse_utc("2026-05-05T08:00:00Z"));
  EXPECT_EQ(numbers(own_queue),
            (std::vector<std::string>{"+12125550120", "+12125550121", "+12125550122"}));
  EXPECT_EQ(own.visited, 6u);
  EXPECT_EQ(by_default.visited, 6u);
  // A refill a minute later: the deferred Lisbon contacts are not scanned again, and the wake-up
  // still names their window's opening.
  own.visited = by_default.visited = 0;
  EXPECT_EQ(fill_both(night + std::chrono::minutes(1)), parse_utc("2026-05-05T08:00:00Z"));
  EXPECT_EQ(own.visited, 0u);
  EXPECT_EQ(by_default.visited, 0u);  // the memory backend behind honoured the deferrals
  EXPECT_EQ(own_queue.size(), 3u);
  // 08:00 UTC: 09:00 in Lisbon (open), 04:00 in New York: the Lisbon contacts come back.
  own_queue.clear();
  default_queue.clear();
  fill_both(parse_utc("2026-05-05T08:00:00Z"));
  EXPECT_EQ(numbers(own_queue),
            (std::vector<std::string>{"+351212345670", "+351212345671", "+351212345672"}));
  for (ContactId id : lisbon) EXPECT_EQ(get(id).status, ContactStatus::kNew);
}

}  // namespace
}  // namespace omnivox
