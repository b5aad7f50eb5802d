// The in-process memory backend. One mutex guards everything: the engine's hot path touches
// storage a few times per attempt, far from contention on 2..8 threads.
//
// Built for millions of contacts (benchmarks/storage_bench.cc, goal ≤ 256 bytes per contact):
// contacts live in one dense vector of compact records (ContactRecord, ~140 bytes) indexed by
// contact id; strings shared by many contacts (campaign, list, time zone, lease owner) are
// interned; short strings (E.164 numbers, external ids) stay inside the record; the first number
// is inline, further numbers and attributes go to a side block only for contacts that have them.
// The campaign indexes hold no per-contact heap node: bitmaps over list order (every contact,
// the dialable ones), a flat heap of (due time, contact) for dialable contacts not yet due, runs
// of contacts deferred to the same time (defer_contacts, ScanStep::defer), and a vector from list
// order to contact id. scan_contact_views hands out views into the records (no Contact built)
// and defers in the same pass. A contact's attempts are a doubly linked list through
// the attempt slots (no per-contact vector).
//
// The class is declared here; its members are defined in memory_storage.cc (campaigns, contacts,
// leases, DNC, journal), campaign_index.cc (the campaign indexes) and attempt_store.cc
// (attempts). Internal to libomnivox.
#ifndef OMNIVOX_STORAGE_MEMORY_MEMORY_STORAGE_H_
#define OMNIVOX_STORAGE_MEMORY_MEMORY_STORAGE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "omnivox/storage.h"
#include "storage/memory/attempt_store.h"
#include "storage/memory/campaign_index.h"
#include "storage/memory/compact_strings.h"
#include "storage/memory/contact_record.h"
#include "util/light_mutex.h"

namespace omnivox::memory {

class MemoryStorage final : public Storage {
 public:
  explicit MemoryStorage(const MemoryStorageOptions& options) : options_(options) {}

  void put_campaign(const CampaignConfig& campaign) override;
  std::vector<std::string> campaign_ids() override;
  std::optional<CampaignConfig> get_campaign(std::string_view campaign_id) override;
  void put_list(const ContactList& list) override;
  std::vector<ContactList> lists(std::string_view campaign_id) override;

  ContactId add_contact(Contact contact) override;
  std::size_t add_contacts(std::span<Contact> contacts) override;
  std::optional<Contact> get_contact(ContactId id) override;
  bool read_contact(ContactId id, Contact& out) override;
  void update_contact(const Contact& contact) override;
  std::size_t scan_contacts(const ContactScan& scan,
                            const std::function<bool(const Contact&)>& visit) override;
  // Views the records in place, and defers a contact while its record is at hand (at 10M
  // contacts, a second pass over the records for defer_contacts costs as much as the scan).
  std::size_t scan_contact_views(const ContactScan& scan,
                                 const std::function<ScanStep(const ContactView&)>& visit) override;
  void defer_contacts(std::string_view campaign_id, std::span<const ContactId> ids,
                      TimePoint until) override;
  std::vector<std::size_t> count_by_status(std::string_view campaign_id) override;
  std::size_t contact_count(std::string_view campaign_id) override;

  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override;
  std::vector<ContactId> claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                   std::string_view owner, TimePoint now,
                                                   Duration ttl) override;
  std::vector<ContactId> claim(std::span<const ContactId> ids, std::string_view owner,
                               TimePoint now, Duration ttl, bool take_over_open_attempts);
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override;
  void release_lease(ContactId id, std::string_view owner) override;
  std::optional<Lease> get_lease(ContactId id) override;
  std::optional<TimePoint> earliest_lease_expiry(std::string_view campaign_id,
                                                 std::string_view owner, TimePoint now) override;

  CallId allocate_call_id() override;
  void put_attempt(const Attempt& attempt) override;
  std::vector<Attempt> attempts_of(ContactId id) override;
  void scan_attempts(std::string_view campaign_id,
                     const std::function<bool(const Attempt&)>& visit) override;

  void add_dnc(std::string_view list, std::string_view e164) override;
  bool remove_dnc(std::string_view list, std::string_view e164) override;
  bool is_dnc(std::string_view campaign_id, std::string_view e164) override;

  void append_journal(const JournalEntry& entry) override;
  void scan_journal(std::string_view campaign_id,
                    const std::function<bool(const JournalEntry&)>& visit) override;
  bool mark_event_processed(std::string_view key) override;

  void put_abandon_counts(std::string_view campaign_id, std::string_view owner,
                          std::span<const AbandonBucket> buckets) override;
  AbandonCounts abandon_counts(std::string_view campaign_id, TimePoint from, TimePoint to) override;

 private:
  // campaign -> minute -> owner -> counts (put_abandon_counts)
  std::map<std::string, std::map<TimePoint, std::map<std::string, AbandonCounts>>> abandon_counts_;

  // ---- campaigns ----
  CampaignData* find_campaign(std::string_view id) {
    std::optional<std::uint32_t> index = campaign_names_.find(id);
    if (!index || *index >= campaigns_.size()) return nullptr;
    return campaigns_[*index].get();
  }
  CampaignData& campaign_data(std::string_view id) {
    const std::uint32_t index = campaign_names_.intern(id);
    if (index >= campaigns_.size()) campaigns_.resize(index + 1);
    if (!campaigns_[index]) {
      campaigns_[index] = std::make_unique<CampaignData>(&contacts_);
      campaigns_[index]->id = std::string(id);
    }
    return *campaigns_[index];
  }

  // ---- contacts ----
  void check_storable(const Contact& c) const {
    if (c.numbers.size() > 0xFFFF) {
      throw Error(ErrorCode::kStorage,
                  "memory storage: contact '" + c.external_id + "' has more than 65535 numbers");
    }
  }
  // add_contact under the lock: the id, and whether the contact is new (false: its key was
  // stored already, and the stored contact is left as it is).
  std::pair<ContactId, bool> store_contact(const Contact& contact);
  // Before an update that changes a record's list or external id: takes the record out of its
  // campaign's external-id index, or refuses a key another contact has. True when the caller
  // must put it back in once assigned (a new, non-empty key).
  bool unkey_if_rekeyed(const ContactRecord& stored, std::uint32_t index_of, const Contact& c);
  // Copies every field of `c` but id, campaign and list order into the record.

  void assign(ContactRecord& r, const Contact& c);
  // The interned strings last copied into scan_scratch_ (a scan's contacts mostly share them).
  struct ScratchStrings {
    std::uint32_t campaign = ~0u, list_name = ~0u, time_zone = ~0u;
  };
  // The contact `id` (stored) into `out`, reusing out's buffers. With `known`, out's interned
  // strings are those named there and are copied only when they change.
  void materialize(ContactId id, Contact& out, ScratchStrings* known = nullptr);
  ContactRecord* leased(ContactId id, std::string_view owner) {
    if (id == 0 || id > contacts_.size()) return nullptr;
    ContactRecord& r = contacts_[id - 1];
    if (r.lease_owner == 0 || owners_.name(r.lease_owner - 1) != owner) return nullptr;
    return &r;
  }
  static OrderKey key_of(const ContactRecord& r) { return {-r.priority, r.list_order}; }
  static void set_bit(std::vector<std::uint64_t>& bits, std::uint64_t i, bool on) {
    const std::size_t word = i / 64;
    const std::uint64_t mask = std::uint64_t{1} << (i % 64);
    if (word >= bits.size()) {
      if (!on) return;
      bits.resize(std::max(word + 1, bits.size() * 3 / 2), 0);
    }
    bits[word] = on ? bits[word] | mask : bits[word] & ~mask;
  }
  static bool test_bit(const std::vector<std::uint64_t>& bits, std::uint64_t i) {
    return i / 64 < bits.size() && (bits[i / 64] >> (i % 64) & 1) != 0;
  }
  // A lease was claimed for contacts_[index] (see CampaignData::leased).
  void mark_leased(CampaignData& data, const ContactRecord& r, std::uint32_t index) {
    set_bit(data.leased, r.list_order, true);
    data.lease_expiries.push({r.lease_expiry_ms, index});
  }
  // Clears the leased bits of the leases that are no longer live at `now_ms`. An entry of a lease
  // renewed since comes back at the new expiry; entries of released leases just go.
  void expire_leases(CampaignData& data, std::int64_t now_ms);

  void index(CampaignData& data, ContactRecord& r, std::uint32_t index_of);
  void unindex(CampaignData& data, const ContactRecord& r) {
    --data.by_status[static_cast<int>(r.status)];
    if (is_final(r.status)) return;
    if (r.status == ContactStatus::kCallback) {
      const auto id = static_cast<ContactId>(&r - contacts_.data()) + 1;
      data.callbacks.erase({from_ms(r.next_attempt_ms), id});
    } else {
      data.ready.erase(key_of(r));  // a waiting entry, if any, goes stale (skipped later)
    }
  }
  // True when a waiting entry still stands for its contact: the contact is dialable (not a
  // callback) and due by the entry's time (a newer entry exists for a later due time).
  bool waiting_current(const CampaignData& data, const WaitingEntry& e) const {
    const ContactRecord& r = contacts_[e.index];
    return (r.status == ContactStatus::kNew || r.status == ContactStatus::kRetry) &&
           r.next_attempt_ms <= e.due_ms && !data.ready.contains(key_of(r));
  }
  void push_waiting(CampaignData& data, WaitingEntry e) {
    data.waiting.push(e);
    compact_if_stale(data);
  }
  void compact_if_stale(CampaignData& data) {
    if (data.waiting.size() + data.deferred_entries > 2 * data.contact_count + 1024) {
      compact_waiting(data);
    }
  }
  // Drops stale entries, and all but the earliest entry of a contact; the deferred runs join
  // the waiting queue.
  void compact_waiting(CampaignData& data);
  // defer_contacts for one contact (by index) of any campaign: a NEW or RETRY contact of `data`
  // in the ready set, due by `until_ms`, leaves it for the deferred run of `until_ms`.
  void defer(CampaignData& data, std::uint32_t index, std::int64_t until_ms);
  // Moves the waiting and deferred contacts due by `due_by_ms` into the ready set.
  void promote(CampaignData& data, std::int64_t due_by_ms);
  // A waiting (or deferred) entry come due: its contact joins the ready set unless it changed
  // since (no longer dialable, or due later: a newer entry stands for it).
  void promote_entry(CampaignData& data, const WaitingEntry& e) {
    ContactRecord& r = contacts_[e.index];
    if ((r.status == ContactStatus::kNew || r.status == ContactStatus::kRetry) &&
        r.next_attempt_ms <= e.due_ms) {
      data.ready.insert(key_of(r));
      r.deferred = false;
    }
  }

  // ---- scans ----
  // Calls visit_index(contact index) for the contacts a scan visits, in dialing order, until it
  // returns false, leaving out those scan.skip names. Returns the number visited. Under mutex_.
  template <typename VisitIndex>
  std::size_t for_each_scanned(const ContactScan& scan, VisitIndex&& visit_index) {
    CampaignData* found = find_campaign(scan.campaign_id);
    if (found == nullptr) return 0;
    CampaignData& data = *found;
    std::size_t visited = 0;
    const bool skips = static_cast<bool>(scan.skip);
    if (!scan.dialable_only) {
      data.all.for_each([&](std::uint64_t list_order) {
        const std::uint32_t index = data.by_list_order[list_order - 1];
        if (skips && scan.skip(index + ContactId{1})) return true;
        ++visited;
        return visit_index(index);
      });
      return visited;
    }
    for (const auto& [due, id] : data.callbacks) {
      if (due > scan.due_by) break;
      if (skips && scan.skip(id)) continue;
      ++visited;
      if (!visit_index(static_cast<std::uint32_t>(id - 1))) return visited;
    }
    const std::int64_t due_by = to_ms(scan.due_by);
    promote(data, due_by);
    const std::vector<std::uint64_t>* masked = nullptr;
    if (scan.skip_leased_at) {
      expire_leases(data, to_ms(*scan.skip_leased_at));
      masked = &data.leased;
    }
    data.ready.for_each(
        [&](std::uint64_t list_order) {
          const std::uint32_t index = data.by_list_order[list_order - 1];
          if (contacts_[index].next_attempt_ms > due_by) return true;  // promoted by a later scan
          if (skips && scan.skip(index + ContactId{1})) return true;   // held: not worth reading
          ++visited;
          return visit_index(index);
        },
        masked);
    return visited;
  }
  // The contact at `index` as a view into its record; its numbers are viewed into
  // scan_number_views_ (valid until the next call).
  ContactView view_record(std::uint32_t index);
  static PhoneNumberView number_view(const NumberRecord& n) {
    return {.e164 = n.e164.view(),
            .zone_set = n.zone_set,
            .attempts = n.attempts,
            .last_disposition = n.last_disposition,
            .invalid = n.invalid,
            .last_abandon_at = from_ms(n.last_abandon_ms),
            .last_machine_at = from_ms(n.last_machine_ms)};
  }

  // ---- attempts ----
  // Attempts are kept densely by call id (ids are allocated from 1) in chunks; ids far from the
  // dense range go to an ordered map. A chunk whose attempts were all evicted is freed.
  static constexpr std::size_t kChunk = 4096;
  struct Chunk {
    AttemptSlot slots[kChunk];
    std::size_t live = 0;
  };
  // An attempt's campaign or caller ID as an index into attempt_strings_: the slot's own (an
  // update) or the previous put's (`last`) usually match, without a hash lookup.
  std::uint32_t attempt_string(const std::string& s, std::uint32_t stored, std::uint32_t& last) {
    if (s.empty()) return 0;
    if (stored != 0 && attempt_strings_.name(stored) == s) return stored;
    return attempt_strings_.intern(s, last);
  }
  void store(AttemptSlot& slot, const Attempt& a);
  void load(const AttemptSlot& slot, Attempt& a) const;
  AttemptSlot* find_slot(CallId id);
  // Walks the contact's attempts from the newest: only a takeover of an expired lease asks.
  bool has_open_attempt(ContactId id) {
    for (CallId call = head_of(id); call != kNoCall;) {
      const AttemptSlot* slot = find_slot(call);
      if (slot == nullptr) return false;
      if (slot->disposition == Disposition::kNone) return true;
      call = slot->older;
    }
    return false;
  }
  CallId head_of(ContactId id) const {
    if (id != 0 && id <= contacts_.size()) return contacts_[id - 1].last_call;
    auto it = heads_sparse_.find(id);
    return it == heads_sparse_.end() ? kNoCall : it->second;
  }
  void set_head(ContactId id, CallId call) {
    if (id != 0 && id <= contacts_.size()) {
      contacts_[id - 1].last_call = call;
    } else if (call == kNoCall) {
      heads_sparse_.erase(id);
    } else {
      heads_sparse_[id] = call;
    }
  }
  // Adds the slot as the newest attempt of its contact.
  void link(AttemptSlot& slot) {
    slot.older = head_of(slot.contact_id);
    set_head(slot.contact_id, slot.call_id);
  }
  // Takes the slot out of its contact's list: the list is walked from the newest attempt (a
  // contact has a handful; this runs only on eviction or when an attempt changes contact).
  void unlink(AttemptSlot& slot);
  // Records a finished attempt for eviction, and evicts those past the retention.
  void note_finished(const AttemptSlot& a);
  void evict(CallId id);

  MemoryStorageOptions options_;
  detail::LightMutex mutex_;
  Interner campaign_names_;  // campaign id → index into campaigns_
  std::vector<std::unique_ptr<CampaignData>> campaigns_;
  Interner strings_;                     // list names, time zones
  Interner owners_;                      // lease owner tokens
  std::uint32_t last_owner_ = 0;         // the last claim's owner (an owners_ id)
  Interner attempt_strings_;             // attempts' campaign ids and caller IDs
  std::uint32_t last_campaign_ = 0;      // of the last attempt put
  std::uint32_t last_caller_id_ = 0;     // of the last attempt put
  std::vector<ContactRecord> contacts_;  // [id - 1]
  Contact scan_scratch_;
  ScratchStrings scan_scratch_strings_;
  std::vector<PhoneNumberView> scan_number_views_;  // the numbers of scan_contact_views' view
  std::uint32_t view_time_zone_ = 0;                // the interned zone last viewed (0: "")
  std::string_view view_time_zone_name_;            // and its name (interned names are stable)
  std::vector<std::unique_ptr<Chunk>> attempt_chunks_;
  std::size_t dense_size_ = 0;
  std::size_t attempt_count_ = 0;
  std::map<CallId, AttemptSlot> attempts_sparse_;
  std::unordered_map<ContactId, CallId> heads_sparse_;  // attempts of contacts not stored
  std::deque<std::pair<TimePoint, CallId>> finished_;   // eviction order (with a retention)
  TimePoint newest_finished_{};
  std::unordered_map<std::string, std::unordered_set<std::string>> dnc_;
  std::unordered_set<std::string> processed_;
  std::deque<const std::string*> processed_order_;  // with processed_event_keys_kept
  CallId last_call_id_ = 0;
};

}  // namespace omnivox::memory

#endif  // OMNIVOX_STORAGE_MEMORY_MEMORY_STORAGE_H_
