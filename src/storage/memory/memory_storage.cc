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

struct CampaignData {
  CampaignConfig config;
  bool has_config = false;
  std::vector<ContactList> lists;
  // Dialing order: priority desc, then list_order asc.
  std::vector<ContactId> order;
  // Position in `order` before which every contact is final (a scan starts there).
  std::size_t first_open = 0;
  // Contacts with status CALLBACK, by due time.
  std::set<std::pair<TimePoint, ContactId>> callbacks;
  std::uint64_t next_list_order = 1;
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
    ContactId id = contact.id;
    // Keep `order` sorted; the common case (equal or lower priority than the tail) appends.
    auto pos = std::upper_bound(data.order.begin(), data.order.end(), id,
                                [&](ContactId a, ContactId b) { return before(a, b, &contact); });
    bool appended = pos == data.order.end();
    data.order.insert(pos, id);
    if (!appended) data.first_open = 0;
    if (contact.status == ContactStatus::kCallback) data.callbacks.insert({contact.next_attempt_at, id});
    contacts_.push_back(std::move(contact));
    return id;
  }
  std::optional<Contact> get_contact(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (id == 0 || id > contacts_.size()) return std::nullopt;
    return contacts_[id - 1];
  }
  void update_contact(const Contact& contact) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (contact.id == 0 || contact.id > contacts_.size()) {
      throw Error(ErrorCode::kNotFound, "update_contact: unknown contact id " +
                                            std::to_string(contact.id));
    }
    Contact& stored = contacts_[contact.id - 1];
    auto& data = campaigns_[stored.campaign_id];
    if (stored.status == ContactStatus::kCallback) {
      data.callbacks.erase({stored.next_attempt_at, stored.id});
    }
    if (is_final(stored.status) && !is_final(contact.status)) data.first_open = 0;
    bool reorder = stored.priority != contact.priority;
    if (reorder) {
      data.order.erase(std::find(data.order.begin(), data.order.end(), stored.id));
    }
    std::uint64_t list_order = stored.list_order;
    std::string campaign = stored.campaign_id;
    stored = contact;
    stored.list_order = list_order;
    stored.campaign_id = campaign;
    if (reorder) {
      auto pos = std::upper_bound(data.order.begin(), data.order.end(), stored.id,
                                  [&](ContactId a, ContactId b) { return before(a, b, nullptr); });
      data.order.insert(pos, stored.id);
      data.first_open = 0;
    }
    if (stored.status == ContactStatus::kCallback) {
      data.callbacks.insert({stored.next_attempt_at, stored.id});
    }
  }
  std::size_t scan_contacts(const ContactScan& scan,
                            const std::function<bool(const Contact&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(scan.campaign_id);
    if (it == campaigns_.end()) return 0;
    CampaignData& data = it->second;
    std::size_t visited = 0;
    // Callbacks due first.
    if (scan.dialable_only) {
      for (const auto& [due, id] : data.callbacks) {
        if (due > scan.due_by) break;
        ++visited;
        if (!visit(contacts_[id - 1])) return visited;
      }
    }
    std::size_t i = scan.dialable_only ? data.first_open : 0;
    bool prefix_final = true;
    for (; i < data.order.size(); ++i) {
      const Contact& c = contacts_[data.order[i] - 1];
      if (scan.dialable_only) {
        if (is_final(c.status)) {
          if (prefix_final) data.first_open = i + 1;
          continue;
        }
        prefix_final = false;
        if (c.status == ContactStatus::kCallback) continue;  // visited above
        if (c.next_attempt_at > scan.due_by) continue;
      }
      ++visited;
      if (!visit(c)) break;
    }
    return visited;
  }
  std::size_t contact_count(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = campaigns_.find(std::string(campaign_id));
    return it == campaigns_.end() ? 0 : it->second.order.size();
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
    for (CallId call : it->second.attempts) {
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
  // Dialing order; `pending` is a contact not yet in contacts_ (being added).
  bool before(ContactId a, ContactId b, const Contact* pending) const {
    const Contact& ca = (pending && a == pending->id) ? *pending : contacts_[a - 1];
    const Contact& cb = (pending && b == pending->id) ? *pending : contacts_[b - 1];
    if (ca.priority != cb.priority) return ca.priority > cb.priority;
    return ca.list_order < cb.list_order;
  }

  MemoryStorageOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, CampaignData> campaigns_;
  std::vector<Contact> contacts_;
  std::unordered_map<ContactId, Lease> leases_;
  std::map<CallId, Attempt> attempts_;
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
