// The Storage interface: contacts, lists, campaigns, DNC, leases, attempts, the event journal and
// processed-event keys. The memory backend (make_memory_storage) is the embedded default.
//
// Leases (docs/architecture.md): an exclusive, time-limited claim on a contact by one engine,
// identified by an owner token. A contact with a live lease (expiry > now) is never claimed by
// another owner; an expired lease is reclaimable by anyone. This is what keeps two dialers from
// calling the same person. Every `now` and expiry of a lease is read on one clock that all the
// engines sharing the storage agree on (EngineOptions::lease_clock): engines whose own clocks
// disagree (simulations at different speeds) would otherwise each see the others' leases as
// expired or as live for ever.
//
// Thread-safety: every method of every backend may be called concurrently from several threads
// (and, for shared backends, several processes). Errors throw omnivox::Error(kStorage / kNotFound).
#ifndef OMNIVOX_STORAGE_H_
#define OMNIVOX_STORAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "omnivox/call_window.h"
#include "omnivox/model.h"
#include "omnivox/types.h"

namespace omnivox {

/// An exclusive claim on a contact.
struct Lease {
  ContactId contact_id = kNoContact;  ///< the contact claimed
  std::string owner;                  ///< owner token (one per engine instance)
  TimePoint expiry{};                 ///< UTC; the lease is live while now < expiry
};

/// One line of the append-only event journal.
struct JournalEntry {
  TimePoint at{};                     ///< when, UTC (the engine's clock)
  std::string campaign_id;            ///< the campaign concerned
  CallId call_id = kNoCall;           ///< the call concerned, or kNoCall
  ContactId contact_id = kNoContact;  ///< the contact concerned, or kNoContact
  std::string kind;    ///< "state", "late_event", "duplicate_event", "lease", "disposition", ...
  std::string detail;  ///< human-readable, e.g. "RINGING -> ANSWERED"
};

/// Which contacts a scan visits.
struct ContactScan {
  std::string campaign_id;
  /// Visit only contacts whose status is dialable (NEW, RETRY, CALLBACK). Default: true.
  bool dialable_only = true;
  /// With dialable_only, skip contacts whose next_attempt_at is after this. Default: max (none).
  TimePoint due_by = TimePoint::max();
  /// Contacts (by id) the caller does not want, e.g. the ones a dial-queue filler already holds:
  /// a backend may leave them out before reading them (the memory backend does), or visit them
  /// anyway, so the visitor must still reject them itself. Called under the backend's lock: it
  /// must not call into the Storage. Default: none.
  std::function<bool(ContactId)> skip;
  /// With dialable_only: contacts under a lease that is live at this instant (UTC; the lease's
  /// expiry is after it), whoever holds it, may be left out (the memory backend does, without
  /// reading them, and SQLite's scan_contact_views in its query): they are in a call or about to
  /// be, and a lease claim for them would fail for anyone else. As with `skip`, a backend may visit
  /// them anyway. Default: none (leased contacts are visited like any other).
  std::optional<TimePoint> skip_leased_at;
  /// Without dialable_only: the caller wants only scheduled work after this instant (UTC):
  /// RETRY and CALLBACK contacts whose next_attempt_at is after it. A backend may visit only
  /// those (SQLite's scan_contact_views does, through its indexes, in an order of its own) or
  /// every contact, so the visitor must still check. Default: none (every contact).
  std::optional<TimePoint> scheduled_after;
};

/// One phone number of a ContactView: the fields of PhoneNumber, the E.164 number viewed. Like
/// ContactView, a plain value: no thread-safety beyond the lifetime of what it views.
struct PhoneNumberView {
  std::string_view e164;  ///< "+351912345678"
  ZoneSetId zone_set = kUnknownZoneSet;
  std::uint16_t attempts = 0;
  Disposition last_disposition = Disposition::kNone;
  bool invalid = false;
  TimePoint last_abandon_at{};
  TimePoint last_machine_at{};
};

/// The fields of a contact that decide whether it is dialable now (the queue generator's rules
/// read nothing else): what Storage::scan_contact_views hands its visitor instead of a full
/// Contact, so that a backend need not copy strings, the numbers vector and the attributes of
/// every contact a refill passes over. Fields mean what Contact's do. The string views and
/// `numbers` point into the backend's storage (or a scratch buffer): they are valid only during
/// the visit; copy what must outlive it.
struct ContactView {
  ContactId id = kNoContact;
  ContactStatus status = ContactStatus::kNew;
  std::int32_t priority = 0;
  std::uint16_t attempts = 0;
  std::uint16_t next_number = 0;
  Disposition last_disposition = Disposition::kNone;
  TimePoint last_attempt_at{};
  TimePoint next_attempt_at{};
  AgentId callback_agent = kNoAgent;
  std::string_view time_zone;  ///< IANA override; empty = by prefix
  std::span<const PhoneNumberView> numbers;
};

/// A view of `number` (valid while it lives unchanged).
PhoneNumberView view_of(const PhoneNumber& number);
/// A view of `contact`, its numbers viewed into `numbers` (resized; reuse it across calls to
/// spare allocations). Valid while `contact` and `numbers` live unchanged.
ContactView view_of(const Contact& contact, std::vector<PhoneNumberView>& numbers);

/// What a scan_contact_views visitor answers for the contact it was shown.
struct ScanStep {
  /// False: stop the scan after this contact.
  bool more = true;
  /// Unless TimePoint::min(): the defer_contacts hint for this contact, until this time (UTC),
  /// with defer_contacts' conditions and duty (the visitor wakes itself at that time). The
  /// backend may apply it at once (the memory backend: the record is at hand, one pass over
  /// memory instead of two), after the scan, or not at all.
  TimePoint defer_until = TimePoint::min();

  /// Go on to the next contact.
  static ScanStep next() { return {}; }
  /// Stop the scan after this contact.
  static ScanStep stop() { return {false}; }
  /// Defer this contact until `until` (UTC) and go on.
  static ScanStep defer(TimePoint until) { return {true, until}; }
};

/// The writes of one engine epoch, applied together by Storage::write_batch (group commit):
/// each vector as its batch call would apply it. A plain value: no thread-safety of its own.
struct StorageWriteBatch {
  std::vector<Attempt> attempts;      ///< put_attempt each (later ones with a call id win)
  std::vector<Contact> contacts;      ///< update_contact each (later ones with an id win)
  std::vector<JournalEntry> journal;  ///< append_journal each, in this order
  std::vector<ContactId> released;    ///< release_lease each, held by `release_owner`
  std::string release_owner;          ///< owner token of the `released` leases

  bool empty() const {
    return attempts.empty() && contacts.empty() && journal.empty() && released.empty();
  }
  std::size_t size() const {
    return attempts.size() + contacts.size() + journal.size() + released.size();
  }
  void clear() {
    attempts.clear();
    contacts.clear();
    journal.clear();
    released.clear();
  }
};

/// Calls of one campaign that the abandon-rate governor counts (omnivox/compliance.h).
struct AbandonCounts {
  std::int64_t live_answers = 0;
  std::int64_t abandons = 0;
  std::int64_t machines = 0;  ///< AMD "machine" results
  /// In a sum read with Storage::abandon_counts: the engines (owners) with counts in the range,
  /// each once, zero counts included. Ignored in what is written. Default: 0.
  std::int64_t engines = 0;
};

/// One engine's AbandonCounts of the calls that ended in one minute.
struct AbandonBucket {
  TimePoint minute{};  ///< UTC, a whole minute: the bucket holds [minute, minute + 1 min)
  AbandonCounts counts;
};

class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;

  // ---- campaigns and lists ----
  /// Creates or replaces a campaign's configuration.
  virtual void put_campaign(const CampaignConfig& campaign) = 0;
  /// The campaign, or nullopt.
  virtual std::optional<CampaignConfig> get_campaign(std::string_view campaign_id) = 0;
  /// The ids of the stored campaigns (those put with put_campaign), sorted. The default returns
  /// none (a backend that cannot list them); `omnivox status` then needs --campaign.
  virtual std::vector<std::string> campaign_ids() { return {}; }
  /// Creates or replaces a contact list.
  virtual void put_list(const ContactList& list) = 0;
  /// The lists of a campaign.
  virtual std::vector<ContactList> lists(std::string_view campaign_id) = 0;

  // ---- contacts ----
  /// Stores a new contact; assigns and returns its id, and its list_order (load order). A
  /// contact is identified by (campaign_id, list_name, external_id): one already stored with
  /// that key is left as it is and its id is returned, so an import run twice, or by two
  /// processes at once, stores each contact once (every shipped backend keeps that key unique).
  /// A contact with an empty external_id has no key: it is always stored as a new one.
  virtual ContactId add_contact(Contact contact) = 0;
  /// Stores contacts as add_contact does each, as one transaction where the backend has them
  /// (SQLite, PostgreSQL: the batch is stored whole or not at all; memory: under one lock).
  /// Sets each contact's `id` (the stored contact's, for one that was stored already). Returns
  /// how many were new. The default calls add_contact for each, which is not
  /// atomic and counts every contact as new. Errors as add_contact.
  virtual std::size_t add_contacts(std::span<Contact> contacts);
  /// The contact, or nullopt.
  virtual std::optional<Contact> get_contact(ContactId id) = 0;
  /// The contact into `out`, reusing its strings and vectors (for a caller that reads contacts
  /// in a loop: no allocation once the buffers are large enough); false, with `out` unspecified,
  /// for an unknown id. Same errors as get_contact. The default goes through get_contact.
  virtual bool read_contact(ContactId id, Contact& out) {
    auto contact = get_contact(id);
    if (!contact) return false;
    out = std::move(*contact);
    return true;
  }
  /// Replaces a stored contact (matched by id). Throws Error(kNotFound) for an unknown id.
  virtual void update_contact(const Contact& contact) = 0;
  /// update_contact for each, in order; one transaction in SQLite and PostgreSQL (an unknown id
  /// throws Error(kNotFound) and nothing is written). The default calls update_contact for each
  /// (not atomic: the ones before an unknown id are written).
  virtual void update_contacts(std::span<const Contact> contacts);
  /// Visits contacts of a campaign in dialing order — status CALLBACK due first, then priority
  /// (higher first), then list_order — until `visit` returns false. Returns the number visited.
  /// `visit` must not call back into this Storage.
  virtual std::size_t scan_contacts(const ContactScan& scan,
                                    const std::function<bool(const Contact&)>& visit) = 0;
  /// Visits the contacts scan_contacts(scan, ...) would, in the same order, as ContactViews
  /// (the fields the eligibility rules read, not a full Contact), until `visit` answers
  /// ScanStep::more = false; unlike scan_contacts, never visits a contact for which scan.skip
  /// returns true. `visit` may ask to defer the contact (ScanStep::defer_until, the
  /// defer_contacts hint). Returns the number visited. `visit` must not call back into this
  /// Storage. A dial-queue refill passes over many contacts it does not take (closed call
  /// windows): this spares materializing each, and a second pass to defer them.
  /// The default runs scan_contacts, views each contact, and after the scan passes the
  /// deferrals asked for to defer_contacts (grouped by time; its errors are ignored: a hint) —
  /// no faster, but every backend supports it. The memory backend views its compact records
  /// and defers during the scan. Errors as scan_contacts.
  virtual std::size_t scan_contact_views(const ContactScan& scan,
                                         const std::function<ScanStep(const ContactView&)>& visit);
  /// A hint from a dial-queue filler: these contacts of the campaign were found not dialable
  /// before `until` (UTC) for a reason that depends only on the campaign's rules and the
  /// contact's current number and zone (call window closed, holiday), so a dialable_only scan
  /// with due_by < until may skip them (it still may visit them). An update_contact of one
  /// ends its deferral; contacts that are not NEW or RETRY, or not of the campaign, are ignored.
  /// The caller must wake itself at `until` (a scan skips deferred contacts silently; the
  /// QueueGenerator counts its deferrals in fill()'s wake-up time), so engines sharing a memory
  /// storage on one campaign each defer only what they scanned and wake for it.
  /// Lets a refill not rescan contacts whose window is closed. The default ignores the hint;
  /// the memory backend honours it, SQLite in the Storage object that was told (its
  /// scan_contact_views skips them; a write through that object ends a deferral, one by another
  /// process does not), and PostgreSQL in the object that was told and, for the contacts its
  /// scans keep meeting, in the database (docs/storage.md; any write ends the deferral).
  virtual void defer_contacts(std::string_view campaign_id, std::span<const ContactId> ids,
                              TimePoint until) {
    (void)campaign_id, (void)ids, (void)until;
  }
  /// Number of contacts of a campaign.
  virtual std::size_t contact_count(std::string_view campaign_id) = 0;
  /// Number of contacts of a campaign per status (index = ContactStatus, 7 entries).
  virtual std::vector<std::size_t> count_by_status(std::string_view campaign_id) = 0;

  // ---- leases ----
  /// Atomically claims every listed contact that has no live lease of another owner at `now`,
  /// giving it a lease of `owner` until now + ttl. Returns the ids claimed (a subset of `ids`,
  /// same order). Claiming a contact the owner already holds renews it. A contact under
  /// another owner's expired lease that still has an open attempt (no disposition: the call of
  /// an engine that died) is not claimed: that call may still be up, and only reconciliation,
  /// through claim_leases_to_reconcile, may take the contact over and close it. The memory,
  /// SQLite and PostgreSQL backends implement this; a backend of your own that cannot tell
  /// (a C API storage) claims as before, and a contact may then be dialled while a dead
  /// engine's call to it is still open.
  virtual std::vector<ContactId> claim_leases(std::span<const ContactId> ids,
                                              std::string_view owner, TimePoint now,
                                              Duration ttl) = 0;
  /// As claim_leases, but also takes over an expired lease of a contact with an open attempt:
  /// the claim restart reconciliation makes to close a dead engine's call. The default calls
  /// claim_leases (right for a backend whose claim_leases does not look at attempts).
  virtual std::vector<ContactId> claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                           std::string_view owner, TimePoint now,
                                                           Duration ttl) {
    return claim_leases(ids, owner, now, ttl);
  }
  /// Extends a lease held by `owner`; false if it is not held by `owner` any more.
  virtual bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) = 0;
  /// Releases a lease held by `owner` (a no-op otherwise).
  virtual void release_lease(ContactId id, std::string_view owner) = 0;
  /// Releases the leases of `ids` held by `owner`, as release_lease each; one transaction in
  /// SQLite and one statement in PostgreSQL. The default calls release_lease for each.
  virtual void release_leases(std::span<const ContactId> ids, std::string_view owner);
  /// The current lease of a contact (live or expired), or nullopt.
  virtual std::optional<Lease> get_lease(ContactId id) = 0;
  /// The earliest expiry after `now` of a live lease on a contact of campaign `campaign_id` held
  /// by an owner other than `owner`: when contacts another engine claimed (queued, or in a
  /// call) may be dialable again if that engine is gone. nullopt when there is none, or when the
  /// backend cannot tell (the default). An engine whose dial-queue refill came up short wakes
  /// then, so that the contacts a dead engine had claimed are dialled once its leases expire.
  /// The memory, SQLite and PostgreSQL backends implement it; a query, not to be called per
  /// attempt.
  virtual std::optional<TimePoint> earliest_lease_expiry(std::string_view campaign_id,
                                                         std::string_view owner, TimePoint now) {
    return std::nullopt;
  }

  // ---- attempts ----
  /// A new call id, unique within this Storage, never 0.
  virtual CallId allocate_call_id() = 0;
  /// `n` new call ids, as allocate_call_id each (SQLite and PostgreSQL: in one statement). The
  /// default calls allocate_call_id n times. An id handed out and never used leaves a gap.
  virtual std::vector<CallId> allocate_call_ids(std::size_t n);
  /// Inserts or replaces the attempt with this call_id.
  virtual void put_attempt(const Attempt& attempt) = 0;
  /// put_attempt for each, in order; one transaction in SQLite and one statement in PostgreSQL
  /// (stored whole or not at all). The default calls put_attempt for each (not atomic).
  virtual void put_attempts(std::span<const Attempt> attempts);
  /// The attempts of a contact, in call-id order.
  virtual std::vector<Attempt> attempts_of(ContactId id) = 0;
  /// Visits every attempt of a campaign (or every record of an inbound queue: campaign_id is
  /// the queue id, direction kInbound) in call-id order until `visit` returns false.
  virtual void scan_attempts(std::string_view campaign_id,
                             const std::function<bool(const Attempt&)>& visit) = 0;
  /// Visits the attempts of a campaign that are still open — no disposition recorded
  /// (disposition == kNone): in flight, or in wrap-up, when their engine stopped or died — in
  /// call-id order until `visit` returns false. Restart reconciliation reads them. The default
  /// filters scan_attempts(); persistent backends override it with an indexed query.
  virtual void scan_open_attempts(std::string_view campaign_id,
                                  const std::function<bool(const Attempt&)>& visit) {
    scan_attempts(campaign_id, [&](const Attempt& a) {
      return a.disposition != Disposition::kNone || visit(a);
    });
  }

  // ---- DNC ----
  /// Adds a number to a DNC list ("global" or a campaign id).
  virtual void add_dnc(std::string_view list, std::string_view e164) = 0;
  /// True if the number is on the global list or the campaign's list.
  virtual bool is_dnc(std::string_view campaign_id, std::string_view e164) = 0;
  /// Takes a number off one DNC list (a mistaken entry, or consent given again); false if it was
  /// not on that list. The default throws Error(kStorage): a backend that cannot remove.
  virtual bool remove_dnc(std::string_view list, std::string_view e164) {
    (void)list, (void)e164;
    throw Error(ErrorCode::kStorage, "remove_dnc: not supported by this storage");
  }

  // ---- journal and deduplication ----
  /// Appends to the event journal.
  virtual void append_journal(const JournalEntry& entry) = 0;
  /// Appends each entry, in order; one transaction in SQLite and one statement in PostgreSQL.
  /// The default calls append_journal for each.
  virtual void append_journal_entries(std::span<const JournalEntry> entries);
  /// Visits the journal of a campaign in append order until `visit` returns false.
  virtual void scan_journal(std::string_view campaign_id,
                            const std::function<bool(const JournalEntry&)>& visit) = 0;
  /// Records a processed provider event key (e.g. "CAxxx:3"); false if it was already recorded.
  virtual bool mark_event_processed(std::string_view key) = 0;

  // ---- abandon counts shared by the engines of a campaign ----
  /// Stores `owner`'s counts for each bucket's minute of the campaign, replacing what `owner`
  /// stored for that minute (so a write repeated after a lost answer counts once). Every
  /// engine on a campaign writes its own buckets; abandon_counts adds them up, so one abandon
  /// governor holds the campaign's rate whatever the number of engines. The default drops them
  /// (a backend that cannot share them: each engine then counts only its own calls).
  virtual void put_abandon_counts(std::string_view campaign_id, std::string_view owner,
                                  std::span<const AbandonBucket> buckets) {
    (void)campaign_id, (void)owner, (void)buckets;
  }
  /// The sum over every owner of the campaign's buckets with from <= minute < to (UTC), and
  /// the number of those owners (AbandonCounts::engines). The default returns zeros.
  virtual AbandonCounts abandon_counts(std::string_view campaign_id, TimePoint from, TimePoint to) {
    (void)campaign_id, (void)from, (void)to;
    return {};
  }

  // ---- group commit ----
  /// Applies a batch: its attempts (put_attempts), contacts (update_contacts), journal lines
  /// (append_journal_entries), then its lease releases (release_leases), so a released contact
  /// is never seen unleased before its new state. SQLite: one transaction, prepared statements
  /// reused; PostgreSQL: one statement (one round trip, atomic). Either the whole batch is
  /// stored or, on an error (thrown), none of it. The default calls the four batch calls in
  /// that order (not atomic: a batch that failed part-way may be applied again, which repeats
  /// its journal lines and nothing else).
  virtual void write_batch(const StorageWriteBatch& batch);
  /// True when each statement or transaction costs a round trip or a commit (a database), so
  /// an engine should collect its writes and apply them with write_batch once per decision
  /// epoch (docs/storage.md, "Group commit"). False (the default, and the memory backend):
  /// the engine writes each at once.
  virtual bool prefers_batched_writes() const { return false; }
};

/// Forwards every call to another Storage; subclass it to intercept some (fault injection). A
/// subclass that intercepts scan_contacts should intercept scan_contact_views too: the wrapper
/// forwards each to the target's own.
class StorageWrapper : public Storage {
 public:
  explicit StorageWrapper(Storage* target) : target_(target) {}
  Storage* target() const { return target_; }
  void put_campaign(const CampaignConfig& c) override { target_->put_campaign(c); }
  std::optional<CampaignConfig> get_campaign(std::string_view id) override {
    return target_->get_campaign(id);
  }
  std::vector<std::string> campaign_ids() override { return target_->campaign_ids(); }
  void put_list(const ContactList& l) override { target_->put_list(l); }
  std::vector<ContactList> lists(std::string_view id) override { return target_->lists(id); }
  ContactId add_contact(Contact c) override { return target_->add_contact(std::move(c)); }
  std::size_t add_contacts(std::span<Contact> c) override { return target_->add_contacts(c); }
  std::optional<Contact> get_contact(ContactId id) override { return target_->get_contact(id); }
  bool read_contact(ContactId id, Contact& out) override { return target_->read_contact(id, out); }
  void update_contact(const Contact& c) override { target_->update_contact(c); }
  void update_contacts(std::span<const Contact> c) override { target_->update_contacts(c); }
  std::size_t scan_contacts(const ContactScan& s,
                            const std::function<bool(const Contact&)>& v) override {
    return target_->scan_contacts(s, v);
  }
  std::size_t scan_contact_views(const ContactScan& s,
                                 const std::function<ScanStep(const ContactView&)>& v) override {
    return target_->scan_contact_views(s, v);
  }
  void defer_contacts(std::string_view campaign, std::span<const ContactId> ids,
                      TimePoint until) override {
    target_->defer_contacts(campaign, ids, until);
  }
  std::size_t contact_count(std::string_view id) override { return target_->contact_count(id); }
  std::vector<std::size_t> count_by_status(std::string_view id) override {
    return target_->count_by_status(id);
  }
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    return target_->claim_leases(ids, owner, now, ttl);
  }
  std::vector<ContactId> claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                   std::string_view owner, TimePoint now,
                                                   Duration ttl) override {
    return target_->claim_leases_to_reconcile(ids, owner, now, ttl);
  }
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override {
    return target_->renew_lease(id, owner, now, ttl);
  }
  void release_lease(ContactId id, std::string_view owner) override {
    target_->release_lease(id, owner);
  }
  void release_leases(std::span<const ContactId> ids, std::string_view owner) override {
    target_->release_leases(ids, owner);
  }
  std::optional<Lease> get_lease(ContactId id) override { return target_->get_lease(id); }
  std::optional<TimePoint> earliest_lease_expiry(std::string_view campaign_id,
                                                 std::string_view owner, TimePoint now) override {
    return target_->earliest_lease_expiry(campaign_id, owner, now);
  }
  CallId allocate_call_id() override { return target_->allocate_call_id(); }
  std::vector<CallId> allocate_call_ids(std::size_t n) override {
    return target_->allocate_call_ids(n);
  }
  void put_attempt(const Attempt& a) override { target_->put_attempt(a); }
  void put_attempts(std::span<const Attempt> a) override { target_->put_attempts(a); }
  std::vector<Attempt> attempts_of(ContactId id) override { return target_->attempts_of(id); }
  void scan_attempts(std::string_view id, const std::function<bool(const Attempt&)>& v) override {
    target_->scan_attempts(id, v);
  }
  void scan_open_attempts(std::string_view id,
                          const std::function<bool(const Attempt&)>& v) override {
    target_->scan_open_attempts(id, v);
  }
  void add_dnc(std::string_view list, std::string_view e164) override {
    target_->add_dnc(list, e164);
  }
  bool remove_dnc(std::string_view list, std::string_view e164) override {
    return target_->remove_dnc(list, e164);
  }
  bool is_dnc(std::string_view campaign, std::string_view e164) override {
    return target_->is_dnc(campaign, e164);
  }
  void append_journal(const JournalEntry& e) override { target_->append_journal(e); }
  void append_journal_entries(std::span<const JournalEntry> e) override {
    target_->append_journal_entries(e);
  }
  void scan_journal(std::string_view id,
                    const std::function<bool(const JournalEntry&)>& v) override {
    target_->scan_journal(id, v);
  }
  bool mark_event_processed(std::string_view key) override {
    return target_->mark_event_processed(key);
  }
  void put_abandon_counts(std::string_view campaign, std::string_view owner,
                          std::span<const AbandonBucket> buckets) override {
    target_->put_abandon_counts(campaign, owner, buckets);
  }
  AbandonCounts abandon_counts(std::string_view campaign, TimePoint from, TimePoint to) override {
    return target_->abandon_counts(campaign, from, to);
  }
  void write_batch(const StorageWriteBatch& b) override { target_->write_batch(b); }
  bool prefers_batched_writes() const override { return target_->prefers_batched_writes(); }

 private:
  Storage* target_;
};

/// Options of the memory backend.
struct MemoryStorageOptions {
  /// Keep the event journal (it grows with every state change). Default: true.
  bool keep_journal = true;
  /// How long a finished attempt (one with a disposition) is kept, measured back from the
  /// newest finished attempt's latest time (created, answered or ended; the storage has no
  /// clock). Older finished attempts are evicted: attempts_of() and scan_attempts() no longer
  /// return them, so memory stays flat over a long campaign. Open attempts are never evicted.
  /// Rules that read the attempt history (a region's calls per 24 h, the repeat rules'
  /// fallback) see only what is kept: keep at least 24 h (plus the longest repeat window) when
  /// they matter. Default: Duration::max() (keep every attempt).
  Duration finished_attempt_retention = Duration::max();
  /// Called (under the storage's lock: it must not call back into the storage) with each
  /// attempt evicted by finished_attempt_retention, e.g. to stream call records to a file or a
  /// database. Default: none.
  std::function<void(const Attempt&)> on_attempt_evicted;
  /// How many processed provider event keys (mark_event_processed) are remembered, the oldest
  /// forgotten first; 0 = all. Providers retry a webhook for minutes to hours, so a bound of a
  /// few days' events keeps deduplication. Default: 0 (all).
  std::size_t processed_event_keys_kept = 0;
};

/// The in-process memory backend: fast, not persistent, shared only within one process.
std::unique_ptr<Storage> make_memory_storage(const MemoryStorageOptions& options = {});

}  // namespace omnivox

#endif  // OMNIVOX_STORAGE_H_
