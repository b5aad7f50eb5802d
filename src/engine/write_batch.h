// Group commit for an engine (docs/storage.md, "Group commit"): a Storage wrapper that collects
// the writes an engine makes between two decision epochs and applies them with one
// Storage::write_batch, and the abandon counts one engine shares with the other engines of its
// campaigns. Internal to libomnivox.
#ifndef OMNIVOX_ENGINE_WRITE_BATCH_H_
#define OMNIVOX_ENGINE_WRITE_BATCH_H_

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "omnivox/storage.h"

namespace omnivox {

/// Buffers put_attempt, update_contact, append_journal and the release_lease of its own owner
/// token; flush() applies them as one write_batch. Reads stay exact: a read that the buffer may
/// change (a scan, a count, an attempt, a lease) flushes first, and a contact read of a contact
/// with a buffered update is answered from the buffer; reads the buffer cannot change (DNC,
/// campaigns, lists) go straight through. Call ids are drawn from the target a block at a time.
///
/// Reads spared (each would be a statement, on PostgreSQL a round trip):
/// - A contact under this owner's lease (claimed through this wrapper, not yet released, no
///   renewal refused) is read from storage once: the lease makes its holder the contact's only
///   writer, so what it last read or wrote is what storage holds until it releases the lease.
///   The engine reads a contact when it places the call and again when the call ends.
///
/// What the buffer holds is not durable until flush() returns: the engine flushes before an
/// originate leaves it, so an attempt is durable before its number is dialled (when the calls
/// outlive the engine's process: Telephony::calls_outlive_engine), and a lease claim goes to
/// the target at once. What a crash loses is only what the provider still knows
/// (lookup_call) or what reconciliation rebuilds (an open attempt's outcome, a contact's count).
///
/// A failed flush keeps the batch, throws, and is tried again at the next flush (or read):
/// nothing is dropped. Thread-safety: every method may be called from several threads.
class BatchingStorage final : public StorageWrapper {
 public:
  /// Flushes by itself once this many writes are buffered.
  static constexpr std::size_t kMaxBuffered = 4096;
  /// Call ids drawn from the target per allocate_call_ids.
  static constexpr std::size_t kCallIdBlock = 64;

  BatchingStorage(Storage* target, std::string owner);
  ~BatchingStorage() override;

  /// Applies what is buffered (one write_batch). Throws what the target throws; the batch is
  /// kept for the next try.
  void flush();
  /// For calls that end with the engine's process (Telephony::calls_outlive_engine() false):
  /// the flush before a refill's scan (scan_contact_views of dialable contacts with
  /// skip_leased_at: it leaves out contacts under a live lease, and the engine skips those it
  /// holds), before defer_contacts and before a claim of a contact whose release is buffered
  /// leaves the rows of the calls in flight buffered (each open attempt, every other attempt
  /// and the update of its contact), so that they go with the call's end, one row each instead
  /// of two. A crash loses them with the call. A contact with a release buffered is written
  /// whole; every other flush writes everything. Default: off.
  void set_hold_calls_in_flight(bool hold);
  /// Writes buffered and not yet applied.
  std::size_t buffered() const;
  /// Batches applied so far (for benchmarks and tests).
  std::size_t flushes() const;

  // Buffered.
  void put_attempt(const Attempt& a) override;
  void update_contact(const Contact& c) override;
  void append_journal(const JournalEntry& e) override;
  void release_lease(ContactId id, std::string_view owner) override;
  CallId allocate_call_id() override;
  // Answered from the buffer when it holds the contact, else from the leased contacts.
  std::optional<Contact> get_contact(ContactId id) override;
  bool read_contact(ContactId id, Contact& out) override;
  // Flush first when the buffer holds a release of one of the ids.
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override;
  std::vector<ContactId> claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                   std::string_view owner, TimePoint now,
                                                   Duration ttl) override;
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override;
  // Flush first.
  void update_contacts(std::span<const Contact> c) override;
  std::size_t scan_contacts(const ContactScan& s,
                            const std::function<bool(const Contact&)>& v) override;
  std::size_t scan_contact_views(const ContactScan& s,
                                 const std::function<ScanStep(const ContactView&)>& v) override;
  void defer_contacts(std::string_view campaign, std::span<const ContactId> ids,
                      TimePoint until) override;
  std::size_t contact_count(std::string_view id) override;
  std::vector<std::size_t> count_by_status(std::string_view id) override;
  void release_leases(std::span<const ContactId> ids, std::string_view owner) override;
  std::optional<Lease> get_lease(ContactId id) override;
  void put_attempts(std::span<const Attempt> a) override;
  std::vector<Attempt> attempts_of(ContactId id) override;
  void scan_attempts(std::string_view id, const std::function<bool(const Attempt&)>& v) override;
  void scan_open_attempts(std::string_view id,
                          const std::function<bool(const Attempt&)>& v) override;
  void append_journal_entries(std::span<const JournalEntry> e) override;
  void scan_journal(std::string_view id,
                    const std::function<bool(const JournalEntry&)>& v) override;
  void write_batch(const StorageWriteBatch& b) override;
  // The buffer is this wrapper's business: an engine on it does not wrap it again.
  bool prefers_batched_writes() const override { return false; }

 private:
  // kAll writes everything; kHoldCallsInFlight keeps a call in flight's rows buffered when
  // set_hold_calls_in_flight is on.
  enum class FlushScope { kAll, kHoldCallsInFlight };
  void flush_locked(FlushScope scope = FlushScope::kAll);
  void write_buffer_locked();
  // Moves the rows of the contacts with an open attempt and no release buffered to held_.
  void hold_calls_in_flight_locked();
  // Puts held_'s rows back in the buffer and indexes the buffer again.
  void restore_held_locked();
  void flush_if_full_locked();
  void flush_if_releasing_locked(std::span<const ContactId> ids);
  // The lease of `id` is no longer this owner's (released, or a renewal refused).
  void forget_lease_locked(ContactId id);
  // Contacts no longer buffered or held, kept so that copying a contact into one reuses its
  // strings' and vectors' memory: each call copies its contact three times.
  void keep_spare_locked(Contact&& c);
  Contact take_spare_locked();  // a spare, or a new Contact

  mutable std::mutex mutex_;
  std::string owner_;
  StorageWriteBatch batch_;
  std::unordered_map<CallId, std::size_t> attempt_at_;     // call id -> index in batch_.attempts
  std::unordered_map<ContactId, std::size_t> contact_at_;  // contact id -> index in .contacts
  static_assert(std::is_same_v<CallId, ContactId>, "keep_last keys both by one map type");
  std::unordered_set<ContactId> releasing_;
  std::deque<CallId> call_ids_;  // drawn from the target, not handed out yet
  // Contacts whose lease owner_ claimed here and has not released; the stored state of those
  // read or written since (written: once the batch holding the write is applied).
  std::unordered_set<ContactId> leased_;
  std::unordered_map<ContactId, Contact> leased_contacts_;
  static constexpr std::size_t kMaxSpareContacts = 1024;
  std::vector<Contact> spare_contacts_;
  std::size_t flushes_ = 0;
  bool hold_calls_in_flight_ = false;
  StorageWriteBatch held_;                   // a flush's rows left buffered (empty between flushes)
  std::unordered_set<ContactId> in_flight_;  // scratch of hold_calls_in_flight_locked
};

/// One engine's share of its campaigns' abandon counts (AbandonCounts per minute in storage):
/// it counts its own live answers, abandons and AMD machines per minute, writes the minutes that
/// changed (Storage::put_abandon_counts, this engine's rows), and reads what the other engines
/// counted since the last sync — the campaign's totals per minute less its own — for the engine
/// to record in its governor like its own calls. Times are read on the lease clock, which every
/// engine sharing the storage agrees on. Thread-safety: none (the engine's thread).
class SharedAbandonCounts {
 public:
  SharedAbandonCounts(std::string campaign_id, std::string owner)
      : campaign_id_(std::move(campaign_id)), owner_(std::move(owner)) {}
  void add_live_answer(TimePoint lease_t) { add(lease_t, {.live_answers = 1}); }
  void add_abandon(TimePoint lease_t) { add(lease_t, {.abandons = 1}); }
  void add_machine(TimePoint lease_t) { add(lease_t, {.machines = 1}); }
  /// Writes the changed minutes, then returns the other engines' calls counted since the last
  /// sync, per minute (the first sync: all of them in [lease_now - window, lease_now] as one
  /// bucket at lease_now; window 0: the whole campaign). Throws what storage throws; what was
  /// not written is written at the next sync.
  std::vector<AbandonBucket> sync(Storage& storage, TimePoint lease_now, Duration window);
  /// The engines counting on the campaign as of the last sync, this one included (at least 1):
  /// those with counts for the minute of the last sync or the one before. Each sync writes this
  /// engine's counts for its minute, zeros included, so an engine that places calls is seen
  /// within a minute and a sync of the lease clock whether its calls have ended or not.
  int engines() const;
  /// This engine's counts added within kUnseenFor before lease_now: what the other engines may
  /// not have read yet (written at this engine's next sync, read at theirs), for the governor's
  /// Exposure::unseen_*. O(1) amortised.
  AbandonCounts unseen(TimePoint lease_now);
  /// Minutes since the last sync read one by one; the rest of a longer gap in one read.
  static constexpr Duration kMinutesReadOneByOne = std::chrono::minutes(5);
  /// An engine placing calls syncs at most this often (lease clock), at its pacing decisions.
  static constexpr Duration kSyncEvery = std::chrono::seconds(1);
  /// A count waits up to one sync interval to be written and one more to be read by another
  /// engine that syncs as often.
  static constexpr Duration kUnseenFor = 2 * kSyncEvery;

 private:
  AbandonCounts& bucket(TimePoint t);
  void add(TimePoint lease_t, const AbandonCounts& one);
  struct Added {
    TimePoint at;
    AbandonCounts counts;
  };
  std::deque<Added> recent_;  // this engine's counts of the last kUnseenFor, oldest first
  AbandonCounts recent_sum_;
  std::string campaign_id_, owner_;
  std::map<TimePoint, AbandonCounts> own_;      // minute -> this engine's counts
  std::map<TimePoint, bool> changed_;           // minutes not written since they changed
  std::map<TimePoint, AbandonCounts> others_;   // minute -> the others' counts seen so far
  std::map<TimePoint, std::int64_t> engines_;   // minute -> engines with counts for it
  TimePoint synced_minute_ = TimePoint::min();  // the minute of the last sync
};

}  // namespace omnivox

#endif  // OMNIVOX_ENGINE_WRITE_BATCH_H_
