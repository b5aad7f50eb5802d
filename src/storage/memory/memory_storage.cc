// The in-process memory backend. One mutex guards everything: the engine's hot path touches
// storage a few times per attempt, far from contention on 2..8 threads.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
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

struct CampaignData {
  CampaignConfig config;
  bool has_config = false;
  std::vector<ContactList> lists;
  // Every contact, in dialing order (for full scans).
  std::set<OrderKey> all;
  // Dialable contacts (NEW, RETRY) due at or before `promoted_until`, in dialing order: a scan
  // for dialable contacts visits these, not the whole campaign.
  std::set<OrderKey> ready;
  // Dialable contacts not yet due, by due time; promoted into `ready` as scans pass their time.
  std::set<std::pair<TimePoint, ContactId>> waiting;
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
    auto& data = campaigns_[stored.campaign_id];
    unindex(data, stored);
    bool reorder = stored.priority != contact.priority;
    if (reorder) data.all.erase(key_of(stored));
    std::uint64_t list_order = stored.list_order;
    std::string campaign = std::move(stored.campaign_id);
    stored = contact;
    stored.list_order = list_order;
    stored.campaign_id = std::move(campaign);
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
    for (const OrderKey& k : data.ready) {
      const Contact& c = contacts_[k.id - 1];
      if (c.next_attempt_at > scan.due_by) continue;  // promoted by a later-looking scan
      ++visited;
      if (!visit(c)) break;
    }
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
      auto [it, inserted] = leases_.try_emplace(id);
      Lease& lease = it->second;
      if (!inserted && lease.owner != owner && lease.expiry > now) continue;
      lease.contact_id = id;
      lease.owner = std::string(owner);
      lease.expiry = now + ttl;
      claimed.push_back(id);
    }
    return claimed;
  }
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = leases_.find(id);
    if (it == leases_.end() || it->second.owner != owner) return false;
    it->second.expiry = now + ttl;
    return true;
  }
  void release_lease(ContactId id, std::string_view owner) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = leases_.find(id);
    if (it != leases_.end() && it->second.owner == owner) leases_.erase(it);
  }
  std::optional<Lease> get_lease(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = leases_.find(id);
    if (it == leases_.end()) return std::nullopt;
    return it->second;
  }

  CallId allocate_call_id() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return ++last_call_id_;
  }
  void put_attempt(const Attempt& attempt) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = attempts_.insert_or_assign(attempt.call_id, attempt);
    if (inserted) {
      by_contact_[attempt.contact_id].push_back(attempt.call_id);
      campaigns_[attempt.campaign_id].attempts.push_back(attempt.call_id);
    }
  }
  std::vector<Attempt> attempts_of(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Attempt> out;
    auto it = by_contact_.find(id);
    if (it == by_contact_.end()) return out;
    for (CallId call : it->second) out.push_back(attempts_.at(call));
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
      if (!visit(attempts_.at(call))) return;
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
  std::unordered_map<ContactId, Lease> leases_;
  std::unordered_map<CallId, Attempt> attempts_;
  std::unordered_map<ContactId, std::vector<CallId>> by_contact_;
  std::unordered_map<std::string, std::unordered_set<std::string>> dnc_;
  std::unordered_set<std::string> processed_;
  CallId last_call_id_ = 0;
};

}  // namespace

std::unique_ptr<Storage> make_memory_storage(const MemoryStorageOptions& options) {
  return std::make_unique<MemoryStorage>(options);
}

}  // namespace omnivox
