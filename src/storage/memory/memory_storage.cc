// The in-process memory backend. One mutex guards everything: the engine's hot path touches
// storage a few times per attempt, far from contention on 2..8 threads.
#include <algorithm>
#include <bit>
#include <map>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "omnivox/storage.h"

namespace omnivox {
namespace {

// Dialing order: priority desc, then list_order asc.
struct OrderKey {
  std::int32_t neg_priority;
  std::uint64_t list_order;
  ContactId id;
  bool operator<(const OrderKey& o) const {
    if (neg_priority != o.neg_priority) return neg_priority < o.neg_priority;
    return list_order < o.list_order;
  }
};

// A set of OrderKeys as one bitmap over list_order per priority level: O(1) insert and erase,
// iteration in dialing order (priority desc, list order asc). list_order is dense per campaign.
class ReadySet {
 public:
  bool insert(const OrderKey& k) {
    Level& level = levels_[k.neg_priority];
    const std::size_t word = k.list_order / 64;
    const std::uint64_t mask = std::uint64_t{1} << (k.list_order % 64);
    if (word >= level.words.size()) level.words.resize(word + 1, 0);
    if (level.words[word] & mask) return false;
    level.words[word] |= mask;
    level.first = std::min(level.first, word);
    return true;
  }
  std::size_t erase(const OrderKey& k) {
    auto it = levels_.find(k.neg_priority);
    if (it == levels_.end()) return 0;
    const std::size_t word = k.list_order / 64;
    const std::uint64_t mask = std::uint64_t{1} << (k.list_order % 64);
    if (word >= it->second.words.size() || !(it->second.words[word] & mask)) return 0;
    it->second.words[word] &= ~mask;
    return 1;
  }
  // Calls fn(list_order) in dialing order until it returns false.
  template <typename Fn>
  void for_each(Fn&& fn) {
    for (auto& [priority, level] : levels_) {
      for (std::size_t w = level.first; w < level.words.size(); ++w) {
        std::uint64_t bits = level.words[w];
        if (bits == 0) {
          if (w == level.first) ++level.first;  // words before `first` are all empty
          continue;
        }
        while (bits != 0) {
          const int bit = std::countr_zero(bits);
          bits &= bits - 1;
          if (!fn(w * 64 + static_cast<std::uint64_t>(bit))) return;
        }
      }
    }
  }

 private:
  struct Level {
    std::vector<std::uint64_t> words;
    std::size_t first = 0;  // no bit is set in words before this one
  };
  std::map<std::int32_t, Level> levels_;
};

struct CampaignData {
  CampaignConfig config;
  bool has_config = false;
  std::vector<ContactList> lists;
  // Every contact, in dialing order (for full scans).
  std::set<OrderKey> all;
  // Dialable contacts (NEW, RETRY) due at or before `promoted_until`, in dialing order: a scan
  // for dialable contacts visits these, not the whole campaign.
  ReadySet ready;
  std::vector<ContactId> by_list_order;  // [list_order - 1]
  // Dialable contacts not yet due, by due time; promoted into `ready` as scans pass their time.
  // Its nodes come from a pool (contacts move in and out on every retry).
  std::pmr::unsynchronized_pool_resource waiting_nodes;
  std::pmr::set<std::pair<TimePoint, ContactId>> waiting{&waiting_nodes};
  TimePoint promoted_until = TimePoint::min();
  // Contacts with status CALLBACK, by due time.
  std::set<std::pair<TimePoint, ContactId>> callbacks;
  std::uint64_t next_list_order = 1;
  std::vector<std::size_t> by_status = std::vector<std::size_t>(7, 0);
  std::vector<JournalEntry> journal;
  std::vector<CallId> attempts;  // in call-id order
};

class MemoryStorage final : public Storage {
 public:
  explicit MemoryStorage(const MemoryStorageOptions& options) : options_(options) {}

  void put_campaign(const CampaignConfig& campaign) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& data = campaigns_[campaign.id];
    data.config = campaign;
    data.has_config = true;
  }
  std::vector<std::string> campaign_ids() override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& [id, data] : campaigns_) {
      if (data.has_config) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  std::optional<CampaignConfig> get_campaign(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(std::string(campaign_id));
    if (it == campaigns_.end() || !it->second.has_config) return std::nullopt;
    return it->second.config;
  }
  void put_list(const ContactList& list) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& lists = campaigns_[list.campaign_id].lists;
    for (auto& l : lists) {
      if (l.name == list.name) {
        l = list;
        return;
      }
    }
    lists.push_back(list);
  }
  std::vector<ContactList> lists(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(std::string(campaign_id));
    return it == campaigns_.end() ? std::vector<ContactList>{} : it->second.lists;
  }

  ContactId add_contact(Contact contact) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& data = campaigns_[contact.campaign_id];
    contact.id = contacts_.size() + 1;
    contact.list_order = data.next_list_order++;
    contacts_.push_back(std::move(contact));
    const Contact& stored = contacts_.back();
    data.by_list_order.push_back(stored.id);
    if (!by_contact_sparse_.empty()) {  // attempts recorded before their contact existed
      auto it = by_contact_sparse_.find(stored.id);
      if (it != by_contact_sparse_.end()) {
        std::vector<CallId> ids = std::move(it->second);
        by_contact_sparse_.erase(it);
        *calls_of(stored.id, true) = std::move(ids);
      }
    }
    data.all.insert(key_of(stored));
    index(data, stored);
    return stored.id;
  }
  std::optional<Contact> get_contact(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (id == 0 || id > contacts_.size()) return std::nullopt;
    return contacts_[id - 1];
  }
  void update_contact(const Contact& contact) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (contact.id == 0 || contact.id > contacts_.size()) {
      throw Error(ErrorCode::kNotFound,
                  "update_contact: unknown contact id " + std::to_string(contact.id));
    }
    Contact& stored = contacts_[contact.id - 1];
    // The indexes depend only on (status, next_attempt_at, priority): when none changed, the
    // contact keeps its place (waiting entries are always after promoted_until, so re-indexing
    // would put it back where it is).
    if (stored.status == contact.status && stored.next_attempt_at == contact.next_attempt_at &&
        stored.priority == contact.priority) {
      assign_keeping(stored, contact);
      return;
    }
    auto& data = campaign_data(stored.campaign_id);
    unindex(data, stored);
    bool reorder = stored.priority != contact.priority;
    if (reorder) data.all.erase(key_of(stored));
    assign_keeping(stored, contact);
    if (reorder) data.all.insert(key_of(stored));
    index(data, stored);
  }
  std::size_t scan_contacts(const ContactScan& scan,
                            const std::function<bool(const Contact&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(scan.campaign_id);
    if (it == campaigns_.end()) return 0;
    CampaignData& data = it->second;
    std::size_t visited = 0;
    if (!scan.dialable_only) {
      for (const OrderKey& k : data.all) {
        ++visited;
        if (!visit(contacts_[k.id - 1])) break;
      }
      return visited;
    }
    for (const auto& [due, id] : data.callbacks) {
      if (due > scan.due_by) break;
      ++visited;
      if (!visit(contacts_[id - 1])) return visited;
    }
    while (!data.waiting.empty() && data.waiting.begin()->first <= scan.due_by) {
      ContactId id = data.waiting.begin()->second;
      data.waiting.erase(data.waiting.begin());
      data.ready.insert(key_of(contacts_[id - 1]));
    }
    data.promoted_until = std::max(data.promoted_until, scan.due_by);
    data.ready.for_each([&](std::uint64_t list_order) {
      const Contact& c = contacts_[data.by_list_order[list_order - 1] - 1];
      if (c.next_attempt_at > scan.due_by) return true;  // promoted by a later-looking scan
      ++visited;
      return visit(c);
    });
    return visited;
  }
  std::vector<std::size_t> count_by_status(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(std::string(campaign_id));
    return it == campaigns_.end() ? std::vector<std::size_t>(7, 0) : it->second.by_status;
  }
  std::size_t contact_count(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(std::string(campaign_id));
    return it == campaigns_.end() ? 0 : it->second.all.size();
  }

  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ContactId> claimed;
    claimed.reserve(ids.size());
    for (ContactId id : ids) {
      if (id == 0 || id > contacts_.size()) continue;
      if (leases_.size() < contacts_.size()) leases_.resize(contacts_.size());
      LeaseSlot& slot = leases_[id - 1];
      Lease& lease = slot.lease;
      if (slot.held && lease.owner != owner && lease.expiry > now) continue;
      slot.held = true;
      lease.contact_id = id;
      lease.owner.assign(owner);  // reuses the slot's buffer
      lease.expiry = now + ttl;
      claimed.push_back(id);
    }
    return claimed;
  }
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override {
    std::lock_guard<std::mutex> lock(mutex_);
    LeaseSlot* slot = lease_slot(id);
    if (slot == nullptr || slot->lease.owner != owner) return false;
    slot->lease.expiry = now + ttl;
    return true;
  }
  void release_lease(ContactId id, std::string_view owner) override {
    std::lock_guard<std::mutex> lock(mutex_);
    LeaseSlot* slot = lease_slot(id);
    if (slot != nullptr && slot->lease.owner == owner) slot->held = false;
  }
  std::optional<Lease> get_lease(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    LeaseSlot* slot = lease_slot(id);
    if (slot == nullptr) return std::nullopt;
    return slot->lease;
  }

  CallId allocate_call_id() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return ++last_call_id_;
  }
  void put_attempt(const Attempt& attempt) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (Attempt* stored = find_attempt(attempt.call_id)) {
      *stored = attempt;
      return;
    }
    CallId id = attempt.call_id;
    if (id != 0 && id <= dense_size_ + kChunk) {
      while (id > attempts_dense_.size() * kChunk) {
        attempts_dense_.push_back(std::make_unique<Attempt[]>(kChunk));
      }
      dense_size_ = std::max<std::size_t>(dense_size_, id);
      dense_at(id - 1) = attempt;
    } else {
      attempts_sparse_.emplace(id, attempt);
    }
    std::vector<CallId>& of_contact = *calls_of(attempt.contact_id, true);
    if (of_contact.empty()) of_contact.reserve(4);
    of_contact.push_back(id);
    campaign_data(attempt.campaign_id).attempts.push_back(id);
  }
  std::vector<Attempt> attempts_of(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Attempt> out;
    const std::vector<CallId>* ids = calls_of(id, false);
    if (ids == nullptr) return out;
    out.reserve(ids->size());
    for (CallId call : *ids) out.push_back(attempt_at(call));
    std::sort(out.begin(), out.end(),
              [](const Attempt& a, const Attempt& b) { return a.call_id < b.call_id; });
    return out;
  }
  void scan_attempts(std::string_view campaign_id,
                     const std::function<bool(const Attempt&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(std::string(campaign_id));
    if (it == campaigns_.end()) return;
    auto& ids = it->second.attempts;  // insertion order: sort into call-id order if needed
    if (!std::is_sorted(ids.begin(), ids.end())) std::sort(ids.begin(), ids.end());
    for (CallId call : ids) {
      if (!visit(attempt_at(call))) return;
    }
  }

  void add_dnc(std::string_view list, std::string_view e164) override {
    std::lock_guard<std::mutex> lock(mutex_);
    dnc_[std::string(list)].insert(std::string(e164));
  }
  bool is_dnc(std::string_view campaign_id, std::string_view e164) override {
    std::lock_guard<std::mutex> lock(mutex_);
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
    std::lock_guard<std::mutex> lock(mutex_);
    campaigns_[entry.campaign_id].journal.push_back(entry);
  }
  void scan_journal(std::string_view campaign_id,
                    const std::function<bool(const JournalEntry&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(std::string(campaign_id));
    if (it == campaigns_.end()) return;
    for (const auto& e : it->second.journal) {
      if (!visit(e)) return;
    }
  }
  bool mark_event_processed(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return processed_.insert(std::string(key)).second;
  }

 private:
  // Copies `contact` over `stored`, keeping the stored list order and campaign.
  static void assign_keeping(Contact& stored, const Contact& contact) {
    std::uint64_t list_order = stored.list_order;
    std::string campaign = std::move(stored.campaign_id);
    stored = contact;
    stored.list_order = list_order;
    stored.campaign_id = std::move(campaign);
  }
  // campaigns_[id], remembering the last one (the hot path touches one campaign at a time;
  // unordered_map nodes are stable and campaigns are never erased).
  CampaignData& campaign_data(const std::string& id) {
    if (last_campaign_ != nullptr && last_campaign_id_ == id) return *last_campaign_;
    CampaignData& data = campaigns_[id];
    last_campaign_id_ = id;
    last_campaign_ = &data;
    return data;
  }
  // Attempts are kept densely by call id (ids are allocated from 1); ids far from the dense
  // range go to a map.
  Attempt* find_attempt(CallId id) {
    if (id != 0 && id <= dense_size_) {
      Attempt& a = dense_at(id - 1);
      return a.call_id == id ? &a : nullptr;
    }
    auto it = attempts_sparse_.find(id);
    return it == attempts_sparse_.end() ? nullptr : &it->second;
  }
  const Attempt& attempt_at(CallId id) {
    Attempt* a = find_attempt(id);
    if (a == nullptr) throw std::out_of_range("memory storage: unknown attempt");
    return *a;
  }
  // Call ids of a contact: dense by contact id for stored contacts, a map otherwise.
  std::vector<CallId>* calls_of(ContactId id, bool create) {
    if (id != 0 && id <= contacts_.size()) {
      if (by_contact_dense_.size() < contacts_.size()) {
        if (!create) return id <= by_contact_dense_.size() ? &by_contact_dense_[id - 1] : nullptr;
        by_contact_dense_.resize(contacts_.size());
      }
      return &by_contact_dense_[id - 1];
    }
    if (!create) {
      auto it = by_contact_sparse_.find(id);
      return it == by_contact_sparse_.end() ? nullptr : &it->second;
    }
    return &by_contact_sparse_[id];
  }
  static OrderKey key_of(const Contact& c) { return {-c.priority, c.list_order, c.id}; }
  void index(CampaignData& data, const Contact& c) {
    ++data.by_status[static_cast<int>(c.status)];
    if (is_final(c.status)) return;
    if (c.status == ContactStatus::kCallback) {
      data.callbacks.insert({c.next_attempt_at, c.id});
    } else if (c.next_attempt_at <= data.promoted_until) {
      data.ready.insert(key_of(c));
    } else {
      data.waiting.insert({c.next_attempt_at, c.id});
    }
  }
  void unindex(CampaignData& data, const Contact& c) {
    --data.by_status[static_cast<int>(c.status)];
    if (is_final(c.status)) return;
    if (c.status == ContactStatus::kCallback) {
      data.callbacks.erase({c.next_attempt_at, c.id});
    } else if (data.ready.erase(key_of(c)) == 0) {
      data.waiting.erase({c.next_attempt_at, c.id});
    }
  }

  MemoryStorageOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, CampaignData> campaigns_;
  std::vector<Contact> contacts_;
  // Leases by contact id - 1 (only stored contacts can be leased); a released slot keeps its
  // owner string's buffer for the next claim.
  struct LeaseSlot {
    bool held = false;
    Lease lease;
  };
  LeaseSlot* lease_slot(ContactId id) {
    if (id == 0 || id > leases_.size() || !leases_[id - 1].held) return nullptr;
    return &leases_[id - 1];
  }
  std::vector<LeaseSlot> leases_;
  // Attempt [call_id - 1] in chunks of kChunk (no reallocation as attempts grow); call_id 0
  // marks a hole.
  static constexpr std::size_t kChunk = 4096;
  Attempt& dense_at(std::size_t i) { return attempts_dense_[i / kChunk][i % kChunk]; }
  std::vector<std::unique_ptr<Attempt[]>> attempts_dense_;
  std::size_t dense_size_ = 0;
  std::unordered_map<CallId, Attempt> attempts_sparse_;
  std::vector<std::vector<CallId>> by_contact_dense_;  // [contact_id - 1]
  std::unordered_map<ContactId, std::vector<CallId>> by_contact_sparse_;
  std::string last_campaign_id_;
  CampaignData* last_campaign_ = nullptr;
  std::unordered_map<std::string, std::unordered_set<std::string>> dnc_;
  std::unordered_set<std::string> processed_;
  CallId last_call_id_ = 0;
};

}  // namespace

std::unique_ptr<Storage> make_memory_storage(const MemoryStorageOptions& options) {
  return std::make_unique<MemoryStorage>(options);
}

}  // namespace omnivox
