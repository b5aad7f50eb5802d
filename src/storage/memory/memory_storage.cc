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
#include <algorithm>
#include <bit>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "omnivox/storage.h"
#include "util/light_mutex.h"

namespace omnivox {
namespace {

std::int64_t to_ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_ms(std::int64_t ms) { return TimePoint(Duration(ms)); }

// A string of up to 15 bytes stored inline (E.164 numbers are at most 16 characters with the
// '+', external ids are usually short), longer ones on the heap. 16 bytes.
class SmallString {
 public:
  SmallString() { clear_inline(); }
  explicit SmallString(std::string_view s) { set(s); }
  SmallString(const SmallString& o) { set(o.view()); }
  SmallString& operator=(const SmallString& o) {
    if (this != &o) assign(o.view());
    return *this;
  }
  SmallString(SmallString&& o) noexcept {
    std::memcpy(bytes_, o.bytes_, sizeof bytes_);
    o.clear_inline();
  }
  SmallString& operator=(SmallString&& o) noexcept {
    if (this != &o) {
      release();
      std::memcpy(bytes_, o.bytes_, sizeof bytes_);
      o.clear_inline();
    }
    return *this;
  }
  ~SmallString() { release(); }

  void assign(std::string_view s) {
    if (s == view()) return;
    release();
    set(s);
  }
  std::string_view view() const {
    if (is_heap()) {
      char* p;
      std::uint32_t n;
      std::memcpy(&p, bytes_, sizeof p);
      std::memcpy(&n, bytes_ + 8, sizeof n);
      return {p, n};
    }
    return {bytes_, static_cast<std::size_t>(static_cast<unsigned char>(bytes_[15]))};
  }

 private:
  static constexpr unsigned char kHeap = 0xFF;
  bool is_heap() const { return static_cast<unsigned char>(bytes_[15]) == kHeap; }
  void clear_inline() { std::memset(bytes_, 0, sizeof bytes_); }
  void set(std::string_view s) {
    if (s.size() <= 15) {
      std::memset(bytes_, 0, sizeof bytes_);
      std::memcpy(bytes_, s.data(), s.size());
      bytes_[15] = static_cast<char>(s.size());
      return;
    }
    char* p = new char[s.size()];
    std::memcpy(p, s.data(), s.size());
    std::uint32_t n = static_cast<std::uint32_t>(s.size());
    std::memcpy(bytes_, &p, sizeof p);
    std::memcpy(bytes_ + 8, &n, sizeof n);
    bytes_[15] = static_cast<char>(kHeap);
  }
  void release() {
    if (!is_heap()) return;
    char* p;
    std::memcpy(&p, bytes_, sizeof p);
    delete[] p;
    clear_inline();
  }
  alignas(8) char bytes_[16];
};

// Strings shared by many records, by a dense id; id 0 is the empty string.
class Interner {
 public:
  Interner() { names_.emplace_back(); }
  std::uint32_t intern(std::string_view s) {
    if (s.empty()) return 0;
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    names_.emplace_back(s);
    auto id = static_cast<std::uint32_t>(names_.size() - 1);
    ids_.emplace(names_.back(), id);
    return id;
  }
  // The same, trying `hint` (an id, 0: none) first and leaving the answer there: callers that
  // intern one string over and over (an engine's owner token, a campaign's id) skip the hash.
  std::uint32_t intern(std::string_view s, std::uint32_t& hint) {
    if (hint == 0 || names_[hint] != s) hint = intern(s);
    return hint;
  }
  // The id of `s` if interned, else nullopt.
  std::optional<std::uint32_t> find(std::string_view s) const {
    if (s.empty()) return 0;
    auto it = ids_.find(s);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& name(std::uint32_t id) const { return names_[id]; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::deque<std::string> names_;  // stable addresses: ids_ keys view them
  std::unordered_map<std::string_view, std::uint32_t, Hash, std::equal_to<>> ids_;
};

struct NumberRecord {
  SmallString e164;
  std::int64_t last_abandon_ms = 0;
  std::int64_t last_machine_ms = 0;
  ZoneSetId zone_set = kUnknownZoneSet;
  std::uint16_t attempts = 0;
  Disposition last_disposition = Disposition::kNone;
  bool invalid = false;
};

// What only some contacts have: a second and further numbers, attributes.
struct ContactExtra {
  std::vector<NumberRecord> more_numbers;
  std::vector<std::pair<std::string, std::string>> attributes;
};

struct ContactRecord {
  SmallString external_id;
  NumberRecord first_number;
  std::int64_t last_attempt_ms = 0;
  std::int64_t next_attempt_ms = 0;
  std::int64_t lease_expiry_ms = 0;
  CallId last_call = kNoCall;  // newest attempt of this contact (head of its attempt list)
  std::unique_ptr<ContactExtra> extra;
  std::uint32_t campaign = 0;     // interned campaign id
  std::uint32_t list_name = 0;    // interned
  std::uint32_t time_zone = 0;    // interned
  std::uint32_t lease_owner = 0;  // interned owner token + 1; 0 = no lease held
  std::uint32_t list_order = 0;
  std::int32_t priority = 0;
  AgentId callback_agent = kNoAgent;
  std::uint16_t attempts = 0;
  std::uint16_t not_connected = 0;
  std::uint16_t next_number = 0;
  std::uint16_t number_count = 0;
  ContactStatus status = ContactStatus::kNew;
  Disposition last_disposition = Disposition::kNone;
  bool deferred = false;  // taken out of the ready set by defer_contacts until a due time
};

void to_record(const PhoneNumber& n, NumberRecord& r) {
  r.e164.assign(n.e164);
  r.last_abandon_ms = to_ms(n.last_abandon_at);
  r.last_machine_ms = to_ms(n.last_machine_at);
  r.zone_set = n.zone_set;
  r.attempts = n.attempts;
  r.last_disposition = n.last_disposition;
  r.invalid = n.invalid;
}
// Copies `from` into `to` unless they are equal already: a contact read into a reused buffer
// mostly finds its campaign, list and zone names there.
void copy_if_changed(std::string& to, std::string_view from) {
  if (to.size() == from.size() &&
      (from.empty() || std::memcmp(to.data(), from.data(), from.size()) == 0)) {
    return;
  }
  to.assign(from);
}

void from_record(const NumberRecord& r, PhoneNumber& n) {
  n.e164.assign(r.e164.view());  // differs from contact to contact: no comparison first
  n.last_abandon_at = from_ms(r.last_abandon_ms);
  n.last_machine_at = from_ms(r.last_machine_ms);
  n.zone_set = r.zone_set;
  n.attempts = r.attempts;
  n.last_disposition = r.last_disposition;
  n.invalid = r.invalid;
}

// Dialing order: priority desc, then list_order asc.
struct OrderKey {
  std::int32_t neg_priority;
  std::uint64_t list_order;
};

// A set of OrderKeys as one bitmap over list_order per priority level: O(1) insert and erase,
// iteration in dialing order (priority desc, list order asc). list_order is dense per campaign.
// Each level also keeps a summary bitmap (bit w: word w is not empty), so an iteration jumps
// over empty stretches 4,096 list orders at a time: late in a campaign the few contacts left to
// dial are scattered over a mostly empty bitmap, and a refill must not walk all of it.
class ReadySet {
 public:
  ReadySet() = default;
  ReadySet(const ReadySet&) = delete;  // find_level's cache points into levels_
  ReadySet& operator=(const ReadySet&) = delete;
  bool insert(const OrderKey& k) {
    Level& level = levels_[k.neg_priority];
    const std::size_t word = k.list_order / 64;
    const std::uint64_t mask = std::uint64_t{1} << (k.list_order % 64);
    if (word >= level.words.size()) {
      level.words.resize(std::max(word + 1, level.words.size() * 3 / 2), 0);
      level.summary.resize((level.words.size() + 63) / 64, 0);
    }
    if (level.words[word] & mask) return false;
    level.words[word] |= mask;
    level.summary[word / 64] |= std::uint64_t{1} << (word % 64);
    return true;
  }
  std::size_t erase(const OrderKey& k) {
    Level* level = find_level(k.neg_priority);
    if (level == nullptr) return 0;
    const std::size_t word = k.list_order / 64;
    const std::uint64_t mask = std::uint64_t{1} << (k.list_order % 64);
    if (word >= level->words.size() || !(level->words[word] & mask)) return 0;
    level->words[word] &= ~mask;
    if (level->words[word] == 0) level->summary[word / 64] &= ~(std::uint64_t{1} << (word % 64));
    return 1;
  }
  bool contains(const OrderKey& k) const {
    auto it = levels_.find(k.neg_priority);
    if (it == levels_.end()) return false;
    const std::size_t word = k.list_order / 64;
    return word < it->second.words.size() &&
           (it->second.words[word] >> (k.list_order % 64) & 1) != 0;
  }
  // Calls fn(list_order) in dialing order until it returns false, leaving out the list orders
  // set in `masked` (a bitmap over list order) when given.
  template <typename Fn>
  void for_each(Fn&& fn, const std::vector<std::uint64_t>* masked = nullptr) {
    for (auto& [priority, level] : levels_) {
      for (std::size_t s = 0; s < level.summary.size(); ++s) {
        std::uint64_t words = level.summary[s];
        while (words != 0) {
          const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(words));
          words &= words - 1;
          std::uint64_t bits = level.words[w];
          if (masked != nullptr && w < masked->size()) bits &= ~(*masked)[w];
          while (bits != 0) {
            const int bit = std::countr_zero(bits);
            bits &= bits - 1;
            if (!fn(w * 64 + static_cast<std::uint64_t>(bit))) return;
          }
        }
      }
    }
  }

 private:
  struct Level {
    std::vector<std::uint64_t> words;
    std::vector<std::uint64_t> summary;  // bit w set: words[w] != 0
  };
  // The level of a priority, or nullptr. Runs of erases (a refill's deferrals) mostly hit one
  // level: the last one found is remembered (map nodes are stable, levels never removed).
  Level* find_level(std::int32_t neg_priority) {
    if (last_found_ != nullptr && last_found_priority_ == neg_priority) return last_found_;
    auto it = levels_.find(neg_priority);
    if (it == levels_.end()) return nullptr;
    last_found_priority_ = neg_priority;
    last_found_ = &it->second;
    return last_found_;
  }
  std::map<std::int32_t, Level> levels_;
  std::int32_t last_found_priority_ = 0;
  Level* last_found_ = nullptr;
};

// A dialable contact not in the ready set until `due_ms` (its retry time, or a deferral).
struct WaitingEntry {
  std::int64_t due_ms;
  std::uint32_t index;  // contact id - 1
  bool operator>(const WaitingEntry& o) const { return due_ms > o.due_ms; }
};

// Entries (a contact and a time it is due) taken earliest first. They mostly arrive in due order
// per delay (retries with one delay per disposition, leases with one TTL, as time goes forward):
// those go to up to eight FIFO runs, O(1), where a heap over every waiting contact costs a sift
// (and its cache misses) each; the rest to a heap.
class DueQueue {
 public:
  // Best fit: the run with the latest end at or before the entry's time. Due times are "now +
  // a delay", and a campaign has a few delays (its retry rules, the lease time): each delay's
  // entries arrive in order and end up in a run of their own.
  void push(const WaitingEntry& e) {
    std::deque<WaitingEntry>* best = nullptr;
    for (auto& run : runs_) {
      if (run.empty() || run.back().due_ms <= e.due_ms) {
        if (!best || best->empty() || (!run.empty() && run.back().due_ms > best->back().due_ms)) {
          best = &run;
        }
      }
    }
    if (!best && runs_.size() < kMaxRuns) best = &runs_.emplace_back();
    earliest_ms_ = std::min(earliest_ms_, e.due_ms);
    if (best) {
      best->push_back(e);
    } else {
      heap_.push_back(e);
      std::push_heap(heap_.begin(), heap_.end(), std::greater<WaitingEntry>{});
    }
  }
  // Takes the earliest entry due at or before `now_ms` into `out`; false if none.
  bool pop_due(std::int64_t now_ms, WaitingEntry& out) {
    if (now_ms < earliest_ms_) return false;  // most calls: nothing due yet
    std::deque<WaitingEntry>* first = nullptr;
    for (auto& run : runs_) {
      if (!run.empty() && (!first || run.front().due_ms < first->front().due_ms)) first = &run;
    }
    const bool from_run = first && first->front().due_ms <= now_ms;
    const bool from_heap = !heap_.empty() && heap_.front().due_ms <= now_ms;
    if (!from_run && !from_heap) {
      earliest_ms_ = std::min(first ? first->front().due_ms : kNever,
                              heap_.empty() ? kNever : heap_.front().due_ms);
      return false;
    }
    if (from_run && (!from_heap || first->front().due_ms <= heap_.front().due_ms)) {
      out = first->front();
      first->pop_front();
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<WaitingEntry>{});
      out = heap_.back();
      heap_.pop_back();
    }
    earliest_ms_ = out.due_ms;  // a lower bound: the next call looks again
    return true;
  }
  std::size_t size() const {
    std::size_t n = heap_.size();
    for (const auto& run : runs_) n += run.size();
    return n;
  }
  // Moves every entry to the end of `out`, in no order.
  void drain_into(std::vector<WaitingEntry>& out) {
    for (auto& run : runs_) {
      out.insert(out.end(), run.begin(), run.end());
      run.clear();
    }
    out.insert(out.end(), heap_.begin(), heap_.end());
    heap_.clear();
    earliest_ms_ = kNever;
  }

 private:
  static constexpr std::size_t kMaxRuns = 8;
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  // No entry is due before this (a lower bound of the earliest due time).
  std::int64_t earliest_ms_ = kNever;
  std::vector<std::deque<WaitingEntry>> runs_;  // each in due order
  std::vector<WaitingEntry> heap_;              // the rest
};

// A campaign's contacts by (list, external id), the key that makes add_contact idempotent: a
// flat set of contact indexes (about 11 bytes a contact) whose hash and equality read the keys
// from the records, so no key is stored twice.
struct ExternalKey {
  std::uint32_t list_name;  // interned
  std::string_view external_id;
};
struct ExternalKeyOps {
  using is_transparent = void;
  const std::vector<ContactRecord>* records;
  ExternalKey key(std::uint32_t index) const {
    const ContactRecord& r = (*records)[index];
    return {r.list_name, r.external_id.view()};
  }
  ExternalKey key(const ExternalKey& k) const { return k; }
  template <class A>
  std::size_t operator()(const A& a) const {
    const ExternalKey k = key(a);
    return absl::Hash<std::pair<std::uint32_t, std::string_view>>{}({k.list_name, k.external_id});
  }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    const ExternalKey x = key(a), y = key(b);
    return x.list_name == y.list_name && x.external_id == y.external_id;
  }
};
using ExternalIdIndex = absl::flat_hash_set<std::uint32_t, ExternalKeyOps, ExternalKeyOps>;

struct CampaignData {
  explicit CampaignData(const std::vector<ContactRecord>* records)
      : by_external_id(0, ExternalKeyOps{records}, ExternalKeyOps{records}) {}
  std::string id;
  CampaignConfig config;
  bool has_config = false;
  std::vector<ContactList> lists;
  // Every contact, in dialing order (for full scans).
  ReadySet all;
  std::size_t contact_count = 0;
  // Dialable contacts (NEW, RETRY) due at or before `promoted_until`, in dialing order: a scan
  // for dialable contacts visits these, not the whole campaign.
  ReadySet ready;
  std::vector<std::uint32_t> by_list_order;  // [list_order - 1] = contact id - 1
  // Dialable contacts not in `ready`, by due time, promoted into `ready` as scans pass their
  // time. Lazy: an entry whose contact changed since is skipped when it comes up (and the queue
  // is compacted when stale entries pile up).
  DueQueue waiting;
  // Contacts deferred (defer_contacts) until a time, by that time: also out of `ready` until
  // then, and promoted (and skipped when stale) as waiting entries are. A refill defers runs of
  // contacts of one zone to one time: a deferral appends 4 bytes to its run, no heap push.
  std::map<std::int64_t, std::vector<std::uint32_t>> deferred;
  std::size_t deferred_entries = 0;                // over every run
  std::vector<std::uint32_t>* last_run = nullptr;  // deferred[last_run_until], or null
  std::int64_t last_run_until = 0;
  std::int64_t promoted_until_ms = 0;  // epoch: new contacts (due at epoch) go straight to ready
  // Contacts under a lease, as a bitmap over list order, and their lease expiries as a lazy
  // min-heap of (expiry, contact index): a scan asked to leave out leased contacts
  // (ContactScan::skip_leased_at) first clears the bits of leases that ran out, then masks the
  // ready set with the rest, so the contacts in calls cost nothing per refill.
  std::vector<std::uint64_t> leased;
  DueQueue lease_expiries;
  // Contacts with status CALLBACK, by due time.
  std::set<std::pair<TimePoint, ContactId>> callbacks;
  std::uint64_t next_list_order = 1;
  std::vector<std::size_t> by_status = std::vector<std::size_t>(7, 0);
  std::vector<JournalEntry> journal;
  ExternalIdIndex by_external_id;
};

// One stored attempt, linked to its contact's other attempts. Compact (120 bytes, an Attempt is
// over 200): the campaign and caller ID are interned, the number and provider id are inline up to
// 15 characters. A simulation stores an attempt per call and updates it twice; the copies of four
// std::strings and the pages of the larger records were a tenth of its time.
struct AttemptSlot {
  CallId call_id = kNoCall;  // kNoCall: empty slot
  ContactId contact_id = kNoContact;
  // The previous attempt of the same contact. A singly linked list from the newest: adding an
  // attempt does not touch the previous one's record (long out of the cache by then).
  CallId older = kNoCall;
  TimePoint created_at{};
  TimePoint answered_at{};
  TimePoint bridged_at{};
  TimePoint ended_at{};
  SmallString number;
  SmallString provider_call_id;
  std::uint32_t campaign = 0;   // in MemoryStorage::attempt_strings_
  std::uint32_t caller_id = 0;  // in MemoryStorage::attempt_strings_ (0: none)
  AgentId agent = kNoAgent;
  std::int32_t provider_code = 0;
  std::uint16_t number_index = 0;
  std::uint16_t attempt_number = 0;
  CallState state = CallState::kQueued;
  FailReason fail_reason = FailReason::kNone;
  AmdResult amd = AmdResult::kNone;
  Disposition disposition = Disposition::kNone;
};

class MemoryStorage final : public Storage {
 public:
  explicit MemoryStorage(const MemoryStorageOptions& options) : options_(options) {}

  void put_campaign(const CampaignConfig& campaign) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    auto& data = campaign_data(campaign.id);
    data.config = campaign;
    data.has_config = true;
  }
  std::vector<std::string> campaign_ids() override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& data : campaigns_) {
      if (data && data->has_config) ids.push_back(data->id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  std::optional<CampaignConfig> get_campaign(std::string_view campaign_id) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    CampaignData* data = find_campaign(campaign_id);
    if (data == nullptr || !data->has_config) return std::nullopt;
    return data->config;
  }
  void put_list(const ContactList& list) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    auto& lists = campaign_data(list.campaign_id).lists;
    for (auto& l : lists) {
      if (l.name == list.name) {
        l = list;
        return;
      }
    }
    lists.push_back(list);
  }
  std::vector<ContactList> lists(std::string_view campaign_id) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    CampaignData* data = find_campaign(campaign_id);
    return data == nullptr ? std::vector<ContactList>{} : data->lists;
  }

  ContactId add_contact(Contact contact) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    return store_contact(contact).first;
  }
  std::size_t add_contacts(std::span<Contact> contacts) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    // Checked first, so that the batch is stored whole or not at all.
    if (contacts_.size() + contacts.size() >= 0xFFFFFFFFu) {
      throw Error(ErrorCode::kStorage, "add_contacts: the memory storage holds at most 2^32 - 1");
    }
    for (const Contact& c : contacts) check_storable(c);
    std::size_t added = 0;
    for (Contact& c : contacts) {
      auto [id, is_new] = store_contact(c);
      c.id = id;
      added += is_new;
    }
    return added;
  }
  std::optional<Contact> get_contact(ContactId id) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    if (id == 0 || id > contacts_.size()) return std::nullopt;
    std::optional<Contact> out(std::in_place);
    materialize(id, *out);
    return out;
  }
  bool read_contact(ContactId id, Contact& out) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    if (id == 0 || id > contacts_.size()) return false;
    materialize(id, out);
    return true;
  }
  void update_contact(const Contact& contact) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    if (contact.id == 0 || contact.id > contacts_.size()) {
      throw Error(ErrorCode::kNotFound,
                  "update_contact: unknown contact id " + std::to_string(contact.id));
    }
    const auto index_of = static_cast<std::uint32_t>(contact.id - 1);
    ContactRecord& stored = contacts_[index_of];
    check_storable(contact);
    const bool rekeyed = unkey_if_rekeyed(stored, index_of, contact);
    // The indexes depend only on (status, next_attempt_at, priority): when none changed, the
    // contact keeps its place (waiting entries are always after promoted_until, so re-indexing
    // would put it back where it is). A deferred contact is re-indexed: its number or zone may
    // have changed, and with them the reason it was deferred.
    if (!stored.deferred && stored.status == contact.status &&
        stored.next_attempt_ms == to_ms(contact.next_attempt_at) &&
        stored.priority == contact.priority) {
      assign(stored, contact);
      if (rekeyed) campaigns_[stored.campaign]->by_external_id.insert(index_of);
      return;
    }
    auto& data = *campaigns_[stored.campaign];
    unindex(data, stored);
    bool reorder = stored.priority != contact.priority;
    if (reorder) data.all.erase(key_of(stored));
    assign(stored, contact);
    if (reorder) data.all.insert(key_of(stored));
    if (rekeyed) data.by_external_id.insert(index_of);
    index(data, stored, index_of);
  }
  std::size_t scan_contacts(const ContactScan& scan,
                            const std::function<bool(const Contact&)>& visit) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    Contact& scratch = scan_scratch_;  // reused: materializing reuses its buffers
    return for_each_scanned(scan, [&](std::uint32_t index) {
      materialize(index + ContactId{1}, scratch, &scan_scratch_strings_);
      return visit(scratch);
    });
  }
  // Views the records in place, and defers a contact while its record is at hand (at 10M
  // contacts, a second pass over the records for defer_contacts costs as much as the scan).
  std::size_t scan_contact_views(
      const ContactScan& scan, const std::function<ScanStep(const ContactView&)>& visit) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    CampaignData* data = find_campaign(scan.campaign_id);
    return for_each_scanned(scan, [&](std::uint32_t index) {
      const ScanStep step = visit(view_record(index));
      if (step.defer_until != TimePoint::min()) defer(*data, index, to_ms(step.defer_until));
      return step.more;
    });
  }
  void defer_contacts(std::string_view campaign_id, std::span<const ContactId> ids,
                      TimePoint until) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    CampaignData* found = find_campaign(campaign_id);
    if (found == nullptr) return;
    const std::int64_t until_ms = to_ms(until);
    for (ContactId id : ids) {
      if (id == 0 || id > contacts_.size()) continue;
      defer(*found, static_cast<std::uint32_t>(id - 1), until_ms);
    }
  }
  std::vector<std::size_t> count_by_status(std::string_view campaign_id) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    CampaignData* data = find_campaign(campaign_id);
    return data == nullptr ? std::vector<std::size_t>(7, 0) : data->by_status;
  }
  std::size_t contact_count(std::string_view campaign_id) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    CampaignData* data = find_campaign(campaign_id);
    return data == nullptr ? 0 : data->contact_count;
  }

  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    return claim(ids, owner, now, ttl, /*take_over_open_attempts=*/false);
  }
  std::vector<ContactId> claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                   std::string_view owner, TimePoint now,
                                                   Duration ttl) override {
    return claim(ids, owner, now, ttl, /*take_over_open_attempts=*/true);
  }
  std::vector<ContactId> claim(std::span<const ContactId> ids, std::string_view owner,
                               TimePoint now, Duration ttl, bool take_over_open_attempts) {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    std::vector<ContactId> claimed;
    claimed.reserve(ids.size());
    const std::uint32_t owner_id = owners_.intern(owner, last_owner_) + 1;  // 0: no lease
    const std::int64_t now_ms = to_ms(now);
    for (ContactId id : ids) {
      if (id == 0 || id > contacts_.size()) continue;
      ContactRecord& r = contacts_[id - 1];
      const bool another_owners = r.lease_owner != 0 && r.lease_owner != owner_id;
      if (another_owners && r.lease_expiry_ms > now_ms) continue;
      if (another_owners && !take_over_open_attempts && has_open_attempt(id)) continue;
      r.lease_owner = owner_id;
      r.lease_expiry_ms = to_ms(now + ttl);
      CampaignData& data = *campaigns_[r.campaign];
      expire_leases(data, now_ms);  // keeps the expiry heap to the leases of the last ttl
      mark_leased(data, r, static_cast<std::uint32_t>(id - 1));
      claimed.push_back(id);
    }
    return claimed;
  }
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    ContactRecord* r = leased(id, owner);
    if (r == nullptr) return false;
    r->lease_expiry_ms = to_ms(now + ttl);
    return true;
  }
  void release_lease(ContactId id, std::string_view owner) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    if (ContactRecord* r = leased(id, owner)) {
      r->lease_owner = 0;
      set_bit(campaigns_[r->campaign]->leased, r->list_order, false);
    }
  }
  std::optional<Lease> get_lease(ContactId id) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    if (id == 0 || id > contacts_.size() || contacts_[id - 1].lease_owner == 0) {
      return std::nullopt;
    }
    const ContactRecord& r = contacts_[id - 1];
    return Lease{id, owners_.name(r.lease_owner - 1), from_ms(r.lease_expiry_ms)};
  }

  CallId allocate_call_id() override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    return ++last_call_id_;
  }
  void put_attempt(const Attempt& attempt) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    const CallId id = attempt.call_id;
    if (AttemptSlot* stored = find_slot(id)) {
      const bool was_open = stored->disposition == Disposition::kNone;
      if (stored->contact_id != attempt.contact_id) {
        unlink(*stored);
        store(*stored, attempt);
        link(*stored);
      } else {
        store(*stored, attempt);
      }
      if (was_open) note_finished(*stored);
      return;
    }
    AttemptSlot* slot;
    if (id != 0 && id <= dense_size_ + kChunk) {
      const std::size_t chunk = (id - 1) / kChunk;
      if (chunk >= attempt_chunks_.size()) attempt_chunks_.resize(chunk + 1);
      if (!attempt_chunks_[chunk]) attempt_chunks_[chunk] = std::make_unique<Chunk>();
      dense_size_ = std::max<std::size_t>(dense_size_, id);
      Chunk& c = *attempt_chunks_[chunk];
      ++c.live;
      slot = &c.slots[(id - 1) % kChunk];
    } else {
      slot = &attempts_sparse_[id];
    }
    store(*slot, attempt);
    link(*slot);
    ++attempt_count_;
    note_finished(*slot);
  }
  std::vector<Attempt> attempts_of(ContactId id) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    std::vector<Attempt> out;
    for (CallId call = head_of(id); call != kNoCall;) {
      const AttemptSlot* slot = find_slot(call);
      if (slot == nullptr) break;
      load(*slot, out.emplace_back());
      call = slot->older;
    }
    std::sort(out.begin(), out.end(),
              [](const Attempt& a, const Attempt& b) { return a.call_id < b.call_id; });
    return out;
  }
  void scan_attempts(std::string_view campaign_id,
                     const std::function<bool(const Attempt&)>& visit) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    const std::optional<std::uint32_t> campaign = attempt_strings_.find(campaign_id);
    if (!campaign) return;  // no attempt of it was ever stored
    Attempt a;
    auto visit_slot = [&](const AttemptSlot& slot) {
      if (slot.campaign != *campaign) return true;
      load(slot, a);
      return visit(a);
    };
    // Dense slots in call-id order, merged with the sparse ones.
    auto sparse = attempts_sparse_.begin();
    auto emit_sparse_before = [&](CallId limit) {
      for (; sparse != attempts_sparse_.end() && sparse->first < limit; ++sparse) {
        if (!visit_slot(sparse->second)) return false;
      }
      return true;
    };
    for (std::size_t chunk = 0; chunk < attempt_chunks_.size(); ++chunk) {
      if (!attempt_chunks_[chunk]) continue;
      const Chunk& c = *attempt_chunks_[chunk];
      for (const AttemptSlot& slot : c.slots) {
        if (slot.call_id == kNoCall) continue;
        if (!emit_sparse_before(slot.call_id)) return;
        if (!visit_slot(slot)) return;
      }
    }
    for (; sparse != attempts_sparse_.end(); ++sparse) {
      if (!visit_slot(sparse->second)) return;
    }
  }

  void add_dnc(std::string_view list, std::string_view e164) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    dnc_[std::string(list)].insert(std::string(e164));
  }
  bool remove_dnc(std::string_view list, std::string_view e164) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    auto it = dnc_.find(std::string(list));
    return it != dnc_.end() && it->second.erase(std::string(e164)) > 0;
  }
  bool is_dnc(std::string_view campaign_id, std::string_view e164) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    if (dnc_.empty()) return false;
    std::string number(e164);
    for (const std::string& list : {std::string("global"), std::string(campaign_id)}) {
      auto it = dnc_.find(list);
      if (it != dnc_.end() && it->second.count(number)) return true;
    }
    return false;
  }

  void append_journal(const JournalEntry& entry) override {
    if (!options_.keep_journal) return;
    std::lock_guard<detail::LightMutex> lock(mutex_);
    campaign_data(entry.campaign_id).journal.push_back(entry);
  }
  void scan_journal(std::string_view campaign_id,
                    const std::function<bool(const JournalEntry&)>& visit) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    CampaignData* data = find_campaign(campaign_id);
    if (data == nullptr) return;
    for (const auto& e : data->journal) {
      if (!visit(e)) return;
    }
  }
  bool mark_event_processed(std::string_view key) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    auto [it, inserted] = processed_.insert(std::string(key));
    if (!inserted) return false;
    if (options_.processed_event_keys_kept != 0) {
      processed_order_.push_back(&*it);
      while (processed_order_.size() > options_.processed_event_keys_kept) {
        processed_.erase(*processed_order_.front());
        processed_order_.pop_front();
      }
    }
    return true;
  }

  void put_abandon_counts(std::string_view campaign_id, std::string_view owner,
                          std::span<const AbandonBucket> buckets) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    auto& minutes = abandon_counts_[std::string(campaign_id)];
    for (const AbandonBucket& b : buckets) minutes[b.minute][std::string(owner)] = b.counts;
  }
  AbandonCounts abandon_counts(std::string_view campaign_id, TimePoint from,
                               TimePoint to) override {
    std::lock_guard<detail::LightMutex> lock(mutex_);
    AbandonCounts sum;
    auto it = abandon_counts_.find(std::string(campaign_id));
    if (it == abandon_counts_.end()) return sum;
    for (auto m = it->second.lower_bound(from); m != it->second.end() && m->first < to; ++m) {
      for (const auto& [owner, c] : m->second) {
        sum.live_answers += c.live_answers;
        sum.abandons += c.abandons;
        sum.machines += c.machines;
      }
    }
    return sum;
  }

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
  std::pair<ContactId, bool> store_contact(const Contact& contact) {
    check_storable(contact);
    auto& data = campaign_data(contact.campaign_id);
    const bool keyed = !contact.external_id.empty();
    if (keyed) {
      const ExternalKey key{strings_.intern(contact.list_name), contact.external_id};
      if (auto it = data.by_external_id.find(key); it != data.by_external_id.end()) {
        return {ContactId{*it} + 1, false};
      }
    }
    if (contacts_.size() >= 0xFFFFFFFFu || data.next_list_order >= 0xFFFFFFFFu) {
      throw Error(ErrorCode::kStorage, "add_contact: the memory storage holds at most 2^32 - 1");
    }
    const ContactId id = contacts_.size() + 1;
    ContactRecord& r = contacts_.emplace_back();
    r.campaign = campaign_names_.intern(contact.campaign_id);
    r.list_order = static_cast<std::uint32_t>(data.next_list_order++);
    assign(r, contact);
    data.by_list_order.push_back(static_cast<std::uint32_t>(id - 1));
    if (!heads_sparse_.empty()) {  // attempts recorded before their contact existed
      auto it = heads_sparse_.find(id);
      if (it != heads_sparse_.end()) {
        r.last_call = it->second;
        heads_sparse_.erase(it);
      }
    }
    data.all.insert(key_of(r));
    ++data.contact_count;
    index(data, r, static_cast<std::uint32_t>(id - 1));
    if (keyed) data.by_external_id.insert(static_cast<std::uint32_t>(id - 1));
    return {id, true};
  }
  // Before an update that changes a record's list or external id: takes the record out of its
  // campaign's external-id index, or refuses a key another contact has. True when the caller
  // must put it back in once assigned (a new, non-empty key).
  bool unkey_if_rekeyed(const ContactRecord& stored, std::uint32_t index_of, const Contact& c) {
    if (stored.external_id.view() == c.external_id &&
        strings_.name(stored.list_name) == c.list_name) {
      return false;
    }
    auto& by_key = campaigns_[stored.campaign]->by_external_id;
    const ExternalKey key{strings_.intern(c.list_name), c.external_id};
    if (!c.external_id.empty() && by_key.contains(key)) {
      throw Error(ErrorCode::kStorage, "update_contact: contact " + std::to_string(index_of + 1) +
                                           ": list '" + c.list_name +
                                           "' already has external id '" + c.external_id + "'");
    }
    if (!stored.external_id.view().empty()) by_key.erase(index_of);
    return !c.external_id.empty();
  }
  // Copies every field of `c` but id, campaign and list order into the record.

  void assign(ContactRecord& r, const Contact& c) {
    r.external_id.assign(c.external_id);
    r.list_name = strings_.intern(c.list_name);
    r.time_zone = strings_.intern(c.time_zone);
    r.priority = c.priority;
    r.status = c.status;
    r.attempts = c.attempts;
    r.not_connected = c.not_connected;
    r.next_number = c.next_number;
    r.last_disposition = c.last_disposition;
    r.last_attempt_ms = to_ms(c.last_attempt_at);
    r.next_attempt_ms = to_ms(c.next_attempt_at);
    r.callback_agent = c.callback_agent;
    if (c.numbers.size() > 0xFFFF) {
      throw Error(ErrorCode::kStorage, "memory storage: a contact has more than 65535 numbers");
    }
    r.number_count = static_cast<std::uint16_t>(c.numbers.size());
    if (!c.numbers.empty()) to_record(c.numbers[0], r.first_number);
    if (c.numbers.size() > 1 || !c.attributes.empty()) {
      if (!r.extra) r.extra = std::make_unique<ContactExtra>();
      r.extra->more_numbers.resize(c.numbers.size() > 1 ? c.numbers.size() - 1 : 0);
      for (std::size_t i = 1; i < c.numbers.size(); ++i) {
        to_record(c.numbers[i], r.extra->more_numbers[i - 1]);
      }
      r.extra->attributes = c.attributes;
    } else {
      r.extra.reset();
    }
  }
  // The interned strings last copied into scan_scratch_ (a scan's contacts mostly share them).
  struct ScratchStrings {
    std::uint32_t campaign = ~0u, list_name = ~0u, time_zone = ~0u;
  };
  // The contact `id` (stored) into `out`, reusing out's buffers. With `known`, out's interned
  // strings are those named there and are copied only when they change.
  void materialize(ContactId id, Contact& out, ScratchStrings* known = nullptr) {
    const ContactRecord& r = contacts_[id - 1];
    out.id = id;
    if (known == nullptr || known->campaign != r.campaign) {
      copy_if_changed(out.campaign_id, campaign_names_.name(r.campaign));
      if (known) known->campaign = r.campaign;
    }
    if (known == nullptr || known->list_name != r.list_name) {
      copy_if_changed(out.list_name, strings_.name(r.list_name));
      if (known) known->list_name = r.list_name;
    }
    out.external_id.assign(r.external_id.view());
    out.priority = r.priority;
    out.list_order = r.list_order;
    out.numbers.resize(r.number_count);
    if (r.number_count > 0) from_record(r.first_number, out.numbers[0]);
    for (std::size_t i = 1; i < r.number_count; ++i) {
      from_record(r.extra->more_numbers[i - 1], out.numbers[i]);
    }
    if (r.extra) {
      out.attributes = r.extra->attributes;
    } else {
      out.attributes.clear();
    }
    if (known == nullptr || known->time_zone != r.time_zone) {
      copy_if_changed(out.time_zone, strings_.name(r.time_zone));
      if (known) known->time_zone = r.time_zone;
    }
    out.status = r.status;
    out.attempts = r.attempts;
    out.not_connected = r.not_connected;
    out.next_number = r.next_number;
    out.last_disposition = r.last_disposition;
    out.last_attempt_at = from_ms(r.last_attempt_ms);
    out.next_attempt_at = from_ms(r.next_attempt_ms);
    out.callback_agent = r.callback_agent;
  }
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
  void expire_leases(CampaignData& data, std::int64_t now_ms) {
    WaitingEntry due;
    while (data.lease_expiries.pop_due(now_ms, due)) {
      const ContactRecord& r = contacts_[due.index];
      if (!test_bit(data.leased, r.list_order)) continue;
      if (r.lease_owner != 0 && r.lease_expiry_ms > now_ms) {
        data.lease_expiries.push({r.lease_expiry_ms, due.index});
        continue;
      }
      set_bit(data.leased, r.list_order, false);
    }
  }

  void index(CampaignData& data, ContactRecord& r, std::uint32_t index_of) {
    r.deferred = false;
    ++data.by_status[static_cast<int>(r.status)];
    if (is_final(r.status)) return;
    if (r.status == ContactStatus::kCallback) {
      data.callbacks.insert({from_ms(r.next_attempt_ms), index_of + ContactId{1}});
    } else if (r.next_attempt_ms <= data.promoted_until_ms) {
      data.ready.insert(key_of(r));
    } else {
      push_waiting(data, {r.next_attempt_ms, index_of});
    }
  }
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
  void compact_waiting(CampaignData& data) {
    std::vector<WaitingEntry> entries;
    data.waiting.drain_into(entries);
    for (const auto& [until_ms, run] : data.deferred) {
      for (std::uint32_t index : run) entries.push_back({until_ms, index});
    }
    data.deferred.clear();
    data.deferred_entries = 0;
    data.last_run = nullptr;
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.index != b.index ? a.index < b.index : a.due_ms < b.due_ms;
    });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const WaitingEntry& e = entries[i];
      if (kept > 0 && entries[kept - 1].index == e.index) continue;
      if (!waiting_current(data, e)) continue;
      entries[kept++] = e;
    }
    entries.resize(kept);
    // In due order, so they all go to the FIFO.
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.due_ms < b.due_ms; });
    for (const WaitingEntry& e : entries) data.waiting.push(e);
  }
  // defer_contacts for one contact (by index) of any campaign: a NEW or RETRY contact of `data`
  // in the ready set, due by `until_ms`, leaves it for the deferred run of `until_ms`.
  void defer(CampaignData& data, std::uint32_t index, std::int64_t until_ms) {
    if (until_ms <= data.promoted_until_ms) return;  // due already: the ready set keeps it
    ContactRecord& r = contacts_[index];
    if (campaigns_[r.campaign].get() != &data) return;
    if (r.status != ContactStatus::kNew && r.status != ContactStatus::kRetry) return;
    if (until_ms < r.next_attempt_ms) return;
    if (data.ready.erase(key_of(r)) == 0) return;  // not in the ready set
    r.deferred = true;
    if (data.last_run == nullptr || data.last_run_until != until_ms) {
      data.last_run = &data.deferred[until_ms];
      data.last_run_until = until_ms;
    }
    data.last_run->push_back(index);
    ++data.deferred_entries;
    compact_if_stale(data);
  }
  // Moves the waiting and deferred contacts due by `due_by_ms` into the ready set.
  void promote(CampaignData& data, std::int64_t due_by_ms) {
    WaitingEntry due;
    while (data.waiting.pop_due(due_by_ms, due)) promote_entry(data, due);
    while (!data.deferred.empty() && data.deferred.begin()->first <= due_by_ms) {
      auto run = data.deferred.begin();
      for (std::uint32_t index : run->second) promote_entry(data, {run->first, index});
      data.deferred_entries -= run->second.size();
      if (data.last_run == &run->second) data.last_run = nullptr;
      data.deferred.erase(run);
    }
    data.promoted_until_ms = std::max(data.promoted_until_ms, due_by_ms);
  }
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
  ContactView view_record(std::uint32_t index) {
    const ContactRecord& r = contacts_[index];
    if (r.time_zone != view_time_zone_) {  // contacts loaded together mostly share it
      view_time_zone_ = r.time_zone;
      view_time_zone_name_ = strings_.name(r.time_zone);
    }
    std::vector<PhoneNumberView>& numbers = scan_number_views_;
    if (numbers.size() < r.number_count) numbers.resize(r.number_count);
    if (r.number_count > 0) numbers[0] = number_view(r.first_number);
    for (std::size_t i = 1; i < r.number_count; ++i) {
      numbers[i] = number_view(r.extra->more_numbers[i - 1]);
    }
    return {.id = index + ContactId{1},
            .status = r.status,
            .priority = r.priority,
            .attempts = r.attempts,
            .next_number = r.next_number,
            .last_disposition = r.last_disposition,
            .last_attempt_at = from_ms(r.last_attempt_ms),
            .next_attempt_at = from_ms(r.next_attempt_ms),
            .callback_agent = r.callback_agent,
            .time_zone = view_time_zone_name_,
            .numbers = std::span<const PhoneNumberView>(numbers.data(), r.number_count)};
  }
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
  void store(AttemptSlot& slot, const Attempt& a) {
    slot.call_id = a.call_id;
    slot.contact_id = a.contact_id;
    slot.created_at = a.created_at;
    slot.answered_at = a.answered_at;
    slot.bridged_at = a.bridged_at;
    slot.ended_at = a.ended_at;
    slot.number.assign(a.number);
    slot.provider_call_id.assign(a.provider_call_id);
    slot.campaign = attempt_string(a.campaign_id, slot.campaign, last_campaign_);
    slot.caller_id = attempt_string(a.caller_id, slot.caller_id, last_caller_id_);
    slot.agent = a.agent;
    slot.provider_code = a.provider_code;
    slot.number_index = a.number_index;
    slot.attempt_number = a.attempt_number;
    slot.state = a.state;
    slot.fail_reason = a.fail_reason;
    slot.amd = a.amd;
    slot.disposition = a.disposition;
  }
  void load(const AttemptSlot& slot, Attempt& a) const {
    a.call_id = slot.call_id;
    a.contact_id = slot.contact_id;
    a.campaign_id.assign(attempt_strings_.name(slot.campaign));
    a.number.assign(slot.number.view());
    a.number_index = slot.number_index;
    a.attempt_number = slot.attempt_number;
    a.caller_id.assign(attempt_strings_.name(slot.caller_id));
    a.provider_call_id.assign(slot.provider_call_id.view());
    a.state = slot.state;
    a.fail_reason = slot.fail_reason;
    a.amd = slot.amd;
    a.disposition = slot.disposition;
    a.agent = slot.agent;
    a.created_at = slot.created_at;
    a.answered_at = slot.answered_at;
    a.bridged_at = slot.bridged_at;
    a.ended_at = slot.ended_at;
    a.provider_code = slot.provider_code;
    a.direction = direction_of(a.call_id);
  }
  AttemptSlot* find_slot(CallId id) {
    if (id == kNoCall) return nullptr;
    if (id <= dense_size_) {
      const std::size_t chunk = (id - 1) / kChunk;
      if (chunk < attempt_chunks_.size() && attempt_chunks_[chunk]) {
        AttemptSlot& s = attempt_chunks_[chunk]->slots[(id - 1) % kChunk];
        if (s.call_id == id) return &s;
      }
    }
    if (attempts_sparse_.empty()) return nullptr;
    auto it = attempts_sparse_.find(id);
    return it == attempts_sparse_.end() ? nullptr : &it->second;
  }
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
  void unlink(AttemptSlot& slot) {
    const CallId head = head_of(slot.contact_id);
    if (head == slot.call_id) {
      set_head(slot.contact_id, slot.older);
    } else {
      for (AttemptSlot* newer = find_slot(head); newer != nullptr;
           newer = find_slot(newer->older)) {
        if (newer->older == slot.call_id) {
          newer->older = slot.older;
          break;
        }
      }
    }
    slot.older = kNoCall;
  }
  // Records a finished attempt for eviction, and evicts those past the retention.
  void note_finished(const AttemptSlot& a) {
    if (a.disposition == Disposition::kNone) return;
    const Duration keep = options_.finished_attempt_retention;
    if (keep == Duration::max()) return;
    const TimePoint at = std::max({a.created_at, a.answered_at, a.ended_at});
    newest_finished_ = std::max(newest_finished_, at);
    finished_.emplace_back(at, a.call_id);
    if (newest_finished_ < TimePoint::min() + keep) return;  // (no underflow)
    const TimePoint horizon = newest_finished_ - keep;
    while (!finished_.empty() && finished_.front().first < horizon) {
      const CallId id = finished_.front().second;
      finished_.pop_front();
      evict(id);
    }
  }
  void evict(CallId id) {
    AttemptSlot* slot = find_slot(id);
    if (slot == nullptr || slot->disposition == Disposition::kNone) return;
    if (options_.on_attempt_evicted) {
      Attempt evicted;
      load(*slot, evicted);
      options_.on_attempt_evicted(evicted);
    }
    unlink(*slot);
    --attempt_count_;
    if (auto it = attempts_sparse_.find(id); it != attempts_sparse_.end()) {
      attempts_sparse_.erase(it);
      return;
    }
    const std::size_t chunk = (id - 1) / kChunk;
    *slot = AttemptSlot{};
    if (--attempt_chunks_[chunk]->live == 0) attempt_chunks_[chunk].reset();
  }

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

}  // namespace

std::unique_ptr<Storage> make_memory_storage(const MemoryStorageOptions& options) {
  return std::make_unique<MemoryStorage>(options);
}

}  // namespace omnivox
