// The memory backend (memory_storage.h): campaigns, lists, contacts, scans, leases, DNC, the
// journal and abandon counts.
#include "storage/memory/memory_storage.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>

namespace omnivox::memory {

void MemoryStorage::put_campaign(const CampaignConfig& campaign) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  auto& data = campaign_data(campaign.id);
  data.config = campaign;
  data.has_config = true;
}

std::vector<std::string> MemoryStorage::campaign_ids() {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& data : campaigns_) {
    if (data && data->has_config) ids.push_back(data->id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::optional<CampaignConfig> MemoryStorage::get_campaign(std::string_view campaign_id) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  CampaignData* data = find_campaign(campaign_id);
  if (data == nullptr || !data->has_config) return std::nullopt;
  return data->config;
}

void MemoryStorage::put_list(const ContactList& list) {
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

std::vector<ContactList> MemoryStorage::lists(std::string_view campaign_id) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  CampaignData* data = find_campaign(campaign_id);
  return data == nullptr ? std::vector<ContactList>{} : data->lists;
}

ContactId MemoryStorage::add_contact(Contact contact) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  return store_contact(contact).first;
}

std::size_t MemoryStorage::add_contacts(std::span<Contact> contacts) {
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

std::optional<Contact> MemoryStorage::get_contact(ContactId id) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  if (id == 0 || id > contacts_.size()) return std::nullopt;
  std::optional<Contact> out(std::in_place);
  materialize(id, *out);
  return out;
}

bool MemoryStorage::read_contact(ContactId id, Contact& out) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  if (id == 0 || id > contacts_.size()) return false;
  materialize(id, out);
  return true;
}

void MemoryStorage::update_contact(const Contact& contact) {
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

std::size_t MemoryStorage::scan_contacts(const ContactScan& scan,
                                         const std::function<bool(const Contact&)>& visit) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  Contact& scratch = scan_scratch_;  // reused: materializing reuses its buffers
  return for_each_scanned(scan, [&](std::uint32_t index) {
    materialize(index + ContactId{1}, scratch, &scan_scratch_strings_);
    return visit(scratch);
  });
}

std::size_t MemoryStorage::scan_contact_views(
    const ContactScan& scan, const std::function<ScanStep(const ContactView&)>& visit) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  CampaignData* data = find_campaign(scan.campaign_id);
  return for_each_scanned(scan, [&](std::uint32_t index) {
    const ScanStep step = visit(view_record(index));
    if (step.defer_until != TimePoint::min()) defer(*data, index, to_ms(step.defer_until));
    return step.more;
  });
}

void MemoryStorage::defer_contacts(std::string_view campaign_id, std::span<const ContactId> ids,
                                   TimePoint until) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  CampaignData* found = find_campaign(campaign_id);
  if (found == nullptr) return;
  const std::int64_t until_ms = to_ms(until);
  for (ContactId id : ids) {
    if (id == 0 || id > contacts_.size()) continue;
    defer(*found, static_cast<std::uint32_t>(id - 1), until_ms);
  }
}

std::vector<std::size_t> MemoryStorage::count_by_status(std::string_view campaign_id) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  CampaignData* data = find_campaign(campaign_id);
  return data == nullptr ? std::vector<std::size_t>(7, 0) : data->by_status;
}

std::size_t MemoryStorage::contact_count(std::string_view campaign_id) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  CampaignData* data = find_campaign(campaign_id);
  return data == nullptr ? 0 : data->contact_count;
}

std::vector<ContactId> MemoryStorage::claim_leases(std::span<const ContactId> ids,
                                                   std::string_view owner, TimePoint now,
                                                   Duration ttl) {
  return claim(ids, owner, now, ttl, /*take_over_open_attempts=*/false);
}

std::vector<ContactId> MemoryStorage::claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                                std::string_view owner,
                                                                TimePoint now, Duration ttl) {
  return claim(ids, owner, now, ttl, /*take_over_open_attempts=*/true);
}

std::vector<ContactId> MemoryStorage::claim(std::span<const ContactId> ids, std::string_view owner,
                                            TimePoint now, Duration ttl,
                                            bool take_over_open_attempts) {
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

bool MemoryStorage::renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  ContactRecord* r = leased(id, owner);
  if (r == nullptr) return false;
  r->lease_expiry_ms = to_ms(now + ttl);
  return true;
}

void MemoryStorage::release_lease(ContactId id, std::string_view owner) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  if (ContactRecord* r = leased(id, owner)) {
    r->lease_owner = 0;
    set_bit(campaigns_[r->campaign]->leased, r->list_order, false);
  }
}

std::optional<Lease> MemoryStorage::get_lease(ContactId id) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  if (id == 0 || id > contacts_.size() || contacts_[id - 1].lease_owner == 0) {
    return std::nullopt;
  }
  const ContactRecord& r = contacts_[id - 1];
  return Lease{id, owners_.name(r.lease_owner - 1), from_ms(r.lease_expiry_ms)};
}

std::optional<TimePoint> MemoryStorage::earliest_lease_expiry(std::string_view campaign_id,
                                                              std::string_view owner,
                                                              TimePoint now) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  const std::optional<std::uint32_t> campaign = campaign_names_.find(campaign_id);
  if (!campaign) return std::nullopt;
  const std::optional<std::uint32_t> own = owners_.find(owner);
  const std::int64_t now_ms = to_ms(now);
  std::optional<std::int64_t> earliest;
  // A scan of every contact: asked when a refill comes up short, not per attempt.
  for (const ContactRecord& r : contacts_) {
    if (r.lease_owner == 0 || r.campaign != *campaign || r.lease_expiry_ms <= now_ms) continue;
    if (own && r.lease_owner == *own + 1) continue;
    if (!earliest || r.lease_expiry_ms < *earliest) earliest = r.lease_expiry_ms;
  }
  if (!earliest) return std::nullopt;
  return from_ms(*earliest);
}

void MemoryStorage::add_dnc(std::string_view list, std::string_view e164) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  dnc_[std::string(list)].insert(std::string(e164));
}

bool MemoryStorage::remove_dnc(std::string_view list, std::string_view e164) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  auto it = dnc_.find(std::string(list));
  return it != dnc_.end() && it->second.erase(std::string(e164)) > 0;
}

bool MemoryStorage::is_dnc(std::string_view campaign_id, std::string_view e164) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  if (dnc_.empty()) return false;
  std::string number(e164);
  for (const std::string& list : {std::string("global"), std::string(campaign_id)}) {
    auto it = dnc_.find(list);
    if (it != dnc_.end() && it->second.count(number)) return true;
  }
  return false;
}

void MemoryStorage::append_journal(const JournalEntry& entry) {
  if (!options_.keep_journal) return;
  std::lock_guard<detail::LightMutex> lock(mutex_);
  campaign_data(entry.campaign_id).journal.push_back(entry);
}

void MemoryStorage::scan_journal(std::string_view campaign_id,
                                 const std::function<bool(const JournalEntry&)>& visit) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  CampaignData* data = find_campaign(campaign_id);
  if (data == nullptr) return;
  for (const auto& e : data->journal) {
    if (!visit(e)) return;
  }
}

bool MemoryStorage::mark_event_processed(std::string_view key) {
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

void MemoryStorage::put_abandon_counts(std::string_view campaign_id, std::string_view owner,
                                       std::span<const AbandonBucket> buckets) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  auto& minutes = abandon_counts_[std::string(campaign_id)];
  for (const AbandonBucket& b : buckets) minutes[b.minute][std::string(owner)] = b.counts;
}

AbandonCounts MemoryStorage::abandon_counts(std::string_view campaign_id, TimePoint from,
                                            TimePoint to) {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  AbandonCounts sum;
  auto it = abandon_counts_.find(std::string(campaign_id));
  if (it == abandon_counts_.end()) return sum;
  std::set<std::string_view> owners;
  for (auto m = it->second.lower_bound(from); m != it->second.end() && m->first < to; ++m) {
    for (const auto& [owner, c] : m->second) {
      sum.live_answers += c.live_answers;
      sum.abandons += c.abandons;
      sum.machines += c.machines;
      owners.insert(owner);
    }
  }
  sum.engines = static_cast<std::int64_t>(owners.size());
  return sum;
}

std::pair<ContactId, bool> MemoryStorage::store_contact(const Contact& contact) {
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

bool MemoryStorage::unkey_if_rekeyed(const ContactRecord& stored, std::uint32_t index_of,
                                     const Contact& c) {
  if (stored.external_id.view() == c.external_id &&
      strings_.name(stored.list_name) == c.list_name) {
    return false;
  }
  auto& by_key = campaigns_[stored.campaign]->by_external_id;
  const ExternalKey key{strings_.intern(c.list_name), c.external_id};
  if (!c.external_id.empty() && by_key.contains(key)) {
    throw Error(ErrorCode::kStorage, "update_contact: contact " + std::to_string(index_of + 1) +
                                         ": list '" + c.list_name + "' already has external id '" +
                                         c.external_id + "'");
  }
  if (!stored.external_id.view().empty()) by_key.erase(index_of);
  return !c.external_id.empty();
}

void MemoryStorage::assign(ContactRecord& r, const Contact& c) {
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

void MemoryStorage::materialize(ContactId id, Contact& out, ScratchStrings* known) {
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

ContactView MemoryStorage::view_record(std::uint32_t index) {
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

}  // namespace omnivox::memory

namespace omnivox {

std::unique_ptr<Storage> make_memory_storage(const MemoryStorageOptions& options) {
  return std::make_unique<memory::MemoryStorage>(options);
}

}  // namespace omnivox
