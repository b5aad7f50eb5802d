// BatchingStorage (the engine's group commit): which flushes leave the rows of calls in flight
// buffered, and that every other read still sees everything written before it.
#include "engine/write_batch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "omnivox/storage.h"

namespace omnivox {
namespace {

const TimePoint kT0 = parse_utc("2026-05-04T12:00:00Z");
constexpr Duration kTtl = std::chrono::minutes(5);

// Keeps every batch that reaches the storage below; throws on the next one when told to.
struct RecordingStorage : StorageWrapper {
  using StorageWrapper::StorageWrapper;
  void write_batch(const StorageWriteBatch& b) override {
    if (fail_next) {
      fail_next = false;
      throw std::runtime_error("storage down");
    }
    batches.push_back(b);
    StorageWrapper::write_batch(b);
  }
  long attempt_rows(CallId id) const {
    long n = 0;
    for (const StorageWriteBatch& b : batches) {
      for (const Attempt& a : b.attempts) n += a.call_id == id;
    }
    return n;
  }
  long contact_rows(ContactId id) const {
    long n = 0;
    for (const StorageWriteBatch& b : batches) {
      for (const Contact& c : b.contacts) n += c.id == id;
    }
    return n;
  }
  std::vector<StorageWriteBatch> batches;
  bool fail_next = false;
};

struct Fixture {
  Fixture() {
    for (const char* number : {"+15550100001", "+15550100002"}) {
      Contact c;
      c.campaign_id = "c1";
      c.numbers.push_back(PhoneNumber{number});
      contacts.push_back(memory->add_contact(c));
    }
    batching.set_hold_calls_in_flight(true);
    EXPECT_EQ(batching.claim_leases(contacts, "me", kT0, kTtl).size(), 2u);
  }
  // What the engine writes when it places a call to `contact`.
  Attempt place(CallId call, ContactId contact) {
    Attempt a;
    a.call_id = call;
    a.contact_id = contact;
    a.campaign_id = "c1";
    a.created_at = kT0;
    a.state = CallState::kDialing;
    batching.put_attempt(a);
    Contact c = *batching.get_contact(contact);
    c.attempts++;
    c.last_attempt_at = kT0;
    batching.update_contact(c);
    return a;
  }
  // What it writes when the call ends: the attempt closed, the contact done, the lease released.
  void end(Attempt a) {
    const ContactId contact = a.contact_id;
    a.state = CallState::kNoAnswer;
    a.disposition = Disposition::kNoAnswer;
    a.ended_at = kT0 + std::chrono::seconds(30);
    batching.put_attempt(a);
    Contact c = *batching.get_contact(contact);
    c.status = ContactStatus::kDone;
    batching.update_contact(c);
    batching.release_lease(contact, "me");
  }
  std::size_t refill_scan() {
    ContactScan scan;
    scan.campaign_id = "c1";
    scan.skip_leased_at = kT0;
    return batching.scan_contact_views(scan, [](const ContactView&) { return ScanStep::next(); });
  }
  std::unique_ptr<Storage> memory = make_memory_storage();
  RecordingStorage recording{memory.get()};
  BatchingStorage batching{&recording, "me"};
  std::vector<ContactId> contacts;
};

TEST(BatchingStorage, ARefillsFlushLeavesACallInFlightBufferedAndItsEndWritesItOnce) {
  Fixture f;
  const Attempt first = f.place(1, f.contacts[0]);
  f.end(f.place(2, f.contacts[1]));
  f.refill_scan();
  ASSERT_EQ(f.recording.batches.size(), 1u);
  // The ended call and its release are written; the call in flight stays buffered whole.
  EXPECT_EQ(f.recording.attempt_rows(2), 1);
  EXPECT_EQ(f.recording.contact_rows(f.contacts[1]), 1);
  EXPECT_EQ(f.recording.batches[0].released, (std::vector<ContactId>{f.contacts[1]}));
  EXPECT_EQ(f.recording.attempt_rows(1), 0);
  EXPECT_EQ(f.recording.contact_rows(f.contacts[0]), 0);
  EXPECT_EQ(f.batching.buffered(), 2u);
  EXPECT_EQ(f.batching.get_contact(f.contacts[0])->attempts, 1);  // read from the buffer
  EXPECT_EQ(f.memory->get_contact(f.contacts[0])->attempts, 0);
  f.refill_scan();  // nothing else to write: no batch
  EXPECT_EQ(f.recording.batches.size(), 1u);
  f.end(first);
  f.refill_scan();
  EXPECT_EQ(f.recording.attempt_rows(1), 1);
  EXPECT_EQ(f.recording.contact_rows(f.contacts[0]), 1);
  EXPECT_EQ(f.batching.buffered(), 0u);
  EXPECT_EQ(f.memory->attempts_of(f.contacts[0]).at(0).state, CallState::kNoAnswer);
  EXPECT_EQ(f.memory->get_contact(f.contacts[0])->attempts, 1);
  EXPECT_EQ(f.memory->get_contact(f.contacts[0])->status, ContactStatus::kDone);
}

TEST(BatchingStorage, EveryOtherReadWritesTheCallsInFlight) {
  Fixture f;
  f.place(1, f.contacts[0]);
  ContactScan every;  // a survey of every contact does not leave leased ones out
  every.campaign_id = "c1";
  every.dialable_only = false;
  f.batching.scan_contact_views(every, [](const ContactView&) { return ScanStep::next(); });
  EXPECT_EQ(f.recording.attempt_rows(1), 1);
  EXPECT_EQ(f.batching.buffered(), 0u);
  f.place(2, f.contacts[1]);
  EXPECT_EQ(f.batching.attempts_of(f.contacts[1]).size(), 1u);
  EXPECT_EQ(f.recording.attempt_rows(2), 1);
  EXPECT_EQ(f.batching.buffered(), 0u);
}

TEST(BatchingStorage, OffEveryFlushWritesTheCallsInFlight) {
  Fixture f;
  f.batching.set_hold_calls_in_flight(false);
  f.place(1, f.contacts[0]);
  f.refill_scan();
  EXPECT_EQ(f.recording.attempt_rows(1), 1);
  EXPECT_EQ(f.recording.contact_rows(f.contacts[0]), 1);
  EXPECT_EQ(f.batching.buffered(), 0u);
}

TEST(BatchingStorage, AFailedFlushKeepsWhatItWroteAndWhatItHeld) {
  Fixture f;
  f.place(1, f.contacts[0]);
  f.end(f.place(2, f.contacts[1]));
  f.recording.fail_next = true;
  EXPECT_THROW(f.refill_scan(), std::runtime_error);
  EXPECT_EQ(f.batching.buffered(), 5u);  // two attempts, two contacts, one release
  EXPECT_EQ(f.batching.get_contact(f.contacts[0])->attempts, 1);
  EXPECT_EQ(f.batching.get_contact(f.contacts[1])->status, ContactStatus::kDone);
  f.batching.flush();
  ASSERT_EQ(f.recording.batches.size(), 1u);
  EXPECT_EQ(f.recording.attempt_rows(1), 1);
  EXPECT_EQ(f.recording.attempt_rows(2), 1);
  EXPECT_EQ(f.memory->get_contact(f.contacts[0])->attempts, 1);
  EXPECT_FALSE(f.memory->get_lease(f.contacts[1]).has_value());
}

}  // namespace
}  // namespace omnivox
