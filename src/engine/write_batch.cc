// Group commit for an engine (see write_batch.h).
#include "engine/write_batch.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>

namespace omnivox {

BatchingStorage::BatchingStorage(Storage* target, std::string owner)
    : StorageWrapper(target), owner_(std::move(owner)) {
  batch_.release_owner = owner_;
}

BatchingStorage::~BatchingStorage() = default;

void BatchingStorage::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
}

std::size_t BatchingStorage::buffered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batch_.size();
}

std::size_t BatchingStorage::flushes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return flushes_;
}

void BatchingStorage::set_hold_calls_in_flight(bool hold) {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_calls_in_flight_ = hold;
}

void BatchingStorage::flush_locked(FlushScope scope) {
  if (batch_.empty()) return;
  if (scope == FlushScope::kAll || !hold_calls_in_flight_) {
    write_buffer_locked();
    return;
  }
  hold_calls_in_flight_locked();
  try {
    write_buffer_locked();
  } catch (...) {
    restore_held_locked();  // the whole batch stays for the next try
    throw;
  }
  restore_held_locked();
}

void BatchingStorage::hold_calls_in_flight_locked() {
  in_flight_.clear();
  for (const Attempt& a : batch_.attempts) {
    if (!is_terminal(a.state)) in_flight_.insert(a.contact_id);
  }
  for (ContactId id : batch_.released) in_flight_.erase(id);
  if (in_flight_.empty()) return;
  auto hold = [this](auto& rows, auto& held, auto contact_of) {
    auto kept = std::stable_partition(rows.begin(), rows.end(), [&](const auto& row) {
      return !in_flight_.count(contact_of(row));
    });
    std::move(kept, rows.end(), std::back_inserter(held));
    rows.erase(kept, rows.end());
  };
  hold(batch_.attempts, held_.attempts, [](const Attempt& a) { return a.contact_id; });
  hold(batch_.contacts, held_.contacts, [](const Contact& c) { return c.id; });
}

void BatchingStorage::restore_held_locked() {
  if (held_.attempts.empty() && held_.contacts.empty()) return;
  std::move(held_.attempts.begin(), held_.attempts.end(), std::back_inserter(batch_.attempts));
  std::move(held_.contacts.begin(), held_.contacts.end(), std::back_inserter(batch_.contacts));
  held_.attempts.clear();
  held_.contacts.clear();
  attempt_at_.clear();
  contact_at_.clear();
  for (std::size_t i = 0; i < batch_.attempts.size(); ++i) {
    attempt_at_.emplace(batch_.attempts[i].call_id, i);
  }
  for (std::size_t i = 0; i < batch_.contacts.size(); ++i) {
    contact_at_.emplace(batch_.contacts[i].id, i);
  }
}

void BatchingStorage::write_buffer_locked() {
  if (batch_.empty()) return;
  target()->write_batch(batch_);  // throws: the batch stays for the next try
  for (Contact& c : batch_.contacts) {
    // The state written becomes the leased contact's; the one it replaces is kept for reuse.
    if (leased_.count(c.id)) std::swap(leased_contacts_[c.id], c);
    keep_spare_locked(std::move(c));
  }
  batch_.clear();
  attempt_at_.clear();
  contact_at_.clear();
  releasing_.clear();
  ++flushes_;
}

void BatchingStorage::flush_if_full_locked() {
  if (batch_.size() >= kMaxBuffered) flush_locked();
}

void BatchingStorage::forget_lease_locked(ContactId id) {
  leased_.erase(id);
  auto held = leased_contacts_.find(id);
  if (held == leased_contacts_.end()) return;
  keep_spare_locked(std::move(held->second));
  leased_contacts_.erase(held);
}

void BatchingStorage::keep_spare_locked(Contact&& c) {
  if (spare_contacts_.size() < kMaxSpareContacts) spare_contacts_.push_back(std::move(c));
}

Contact BatchingStorage::take_spare_locked() {
  if (spare_contacts_.empty()) return Contact{};
  Contact c = std::move(spare_contacts_.back());
  spare_contacts_.pop_back();
  return c;
}

void BatchingStorage::flush_if_releasing_locked(std::span<const ContactId> ids) {
  if (releasing_.empty()) return;
  for (ContactId id : ids) {
    if (releasing_.count(id)) {
      flush_locked(FlushScope::kHoldCallsInFlight);  // writes every contact it releases
      return;
    }
  }
}

namespace {
// A row of the batch written again replaces the buffered one: the batch holds each row once.
// A new row is copied into what `fresh_row` returns.
template <class Row, class FreshRow>
void keep_last(std::vector<Row>& rows, std::unordered_map<std::uint64_t, std::size_t>& at,
               std::uint64_t key, const Row& row, FreshRow fresh_row) {
  auto [it, fresh] = at.emplace(key, rows.size());
  if (fresh) rows.push_back(fresh_row());
  rows[it->second] = row;
}
}  // namespace

void BatchingStorage::put_attempt(const Attempt& a) {
  std::lock_guard<std::mutex> lock(mutex_);
  keep_last(batch_.attempts, attempt_at_, a.call_id, a, [] { return Attempt{}; });
  flush_if_full_locked();
}

void BatchingStorage::update_contact(const Contact& c) {
  std::lock_guard<std::mutex> lock(mutex_);
  keep_last(batch_.contacts, contact_at_, c.id, c, [this] { return take_spare_locked(); });
  flush_if_full_locked();
}

void BatchingStorage::append_journal(const JournalEntry& e) {
  std::lock_guard<std::mutex> lock(mutex_);
  batch_.journal.push_back(e);
  flush_if_full_locked();
}

void BatchingStorage::release_lease(ContactId id, std::string_view owner) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (owner != owner_) {
    flush_locked();
    target()->release_lease(id, owner);
    return;
  }
  if (releasing_.insert(id).second) batch_.released.push_back(id);
  forget_lease_locked(id);
  flush_if_full_locked();
}

CallId BatchingStorage::allocate_call_id() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (call_ids_.empty()) {
    std::vector<CallId> ids = target()->allocate_call_ids(kCallIdBlock);
    call_ids_.assign(ids.begin(), ids.end());
    if (call_ids_.empty()) return target()->allocate_call_id();
  }
  CallId id = call_ids_.front();
  call_ids_.pop_front();
  return id;
}

std::optional<Contact> BatchingStorage::get_contact(ContactId id) {
  Contact c;
  if (!read_contact(id, c)) return std::nullopt;
  return c;
}

bool BatchingStorage::read_contact(ContactId id, Contact& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = contact_at_.find(id);
  if (it != contact_at_.end()) {
    out = batch_.contacts[it->second];
    return true;
  }
  if (!leased_.count(id)) return target()->read_contact(id, out);
  auto held = leased_contacts_.find(id);
  if (held != leased_contacts_.end()) {
    out = held->second;
    return true;
  }
  if (!target()->read_contact(id, out)) return false;
  leased_contacts_.emplace(id, take_spare_locked()).first->second = out;
  return true;
}

std::vector<ContactId> BatchingStorage::claim_leases(std::span<const ContactId> ids,
                                                     std::string_view owner, TimePoint now,
                                                     Duration ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_if_releasing_locked(ids);
  std::vector<ContactId> claimed = target()->claim_leases(ids, owner, now, ttl);
  if (owner == owner_) {
    // A contact refused (its renewal, when this owner held it) is another owner's now.
    if (claimed.size() != ids.size()) {
      std::unordered_set<ContactId> granted(claimed.begin(), claimed.end());
      for (ContactId id : ids) {
        if (!granted.count(id)) forget_lease_locked(id);
      }
    }
    leased_.insert(claimed.begin(), claimed.end());
  }
  return claimed;
}

std::vector<ContactId> BatchingStorage::claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                                  std::string_view owner,
                                                                  TimePoint now, Duration ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_if_releasing_locked(ids);
  std::vector<ContactId> claimed = target()->claim_leases_to_reconcile(ids, owner, now, ttl);
  if (owner == owner_) leased_.insert(claimed.begin(), claimed.end());
  return claimed;
}

bool BatchingStorage::renew_lease(ContactId id, std::string_view owner, TimePoint now,
                                  Duration ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_if_releasing_locked(std::span<const ContactId>(&id, 1));
  const bool renewed = target()->renew_lease(id, owner, now, ttl);
  if (!renewed && owner == owner_) forget_lease_locked(id);
  return renewed;
}

// The reads and batch writes below see (or follow) everything written before them.

void BatchingStorage::update_contacts(std::span<const Contact> c) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  target()->update_contacts(c);
  for (const Contact& contact : c) {
    if (leased_.count(contact.id)) leased_contacts_[contact.id] = contact;
  }
}

std::size_t BatchingStorage::scan_contacts(const ContactScan& s,
                                           const std::function<bool(const Contact&)>& v) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  return target()->scan_contacts(s, v);
}

std::size_t BatchingStorage::scan_contact_views(
    const ContactScan& s, const std::function<ScanStep(const ContactView&)>& v) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A refill's scan leaves out the contacts under a live lease: those in a call among them.
  const bool refill = s.dialable_only && s.skip_leased_at;
  flush_locked(refill ? FlushScope::kHoldCallsInFlight : FlushScope::kAll);
  return target()->scan_contact_views(s, v);
}

void BatchingStorage::defer_contacts(std::string_view campaign, std::span<const ContactId> ids,
                                     TimePoint until) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked(FlushScope::kHoldCallsInFlight);
  target()->defer_contacts(campaign, ids, until);
}

std::size_t BatchingStorage::contact_count(std::string_view id) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  return target()->contact_count(id);
}

std::vector<std::size_t> BatchingStorage::count_by_status(std::string_view id) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  return target()->count_by_status(id);
}

void BatchingStorage::release_leases(std::span<const ContactId> ids, std::string_view owner) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  target()->release_leases(ids, owner);
  if (owner == owner_) {
    for (ContactId id : ids) forget_lease_locked(id);
  }
}

std::optional<Lease> BatchingStorage::get_lease(ContactId id) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  return target()->get_lease(id);
}

void BatchingStorage::put_attempts(std::span<const Attempt> a) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  target()->put_attempts(a);
}

std::vector<Attempt> BatchingStorage::attempts_of(ContactId id) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  return target()->attempts_of(id);
}

void BatchingStorage::scan_attempts(std::string_view id,
                                    const std::function<bool(const Attempt&)>& v) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  target()->scan_attempts(id, v);
}

void BatchingStorage::scan_open_attempts(std::string_view id,
                                         const std::function<bool(const Attempt&)>& v) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  target()->scan_open_attempts(id, v);
}

void BatchingStorage::append_journal_entries(std::span<const JournalEntry> e) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  target()->append_journal_entries(e);
}

void BatchingStorage::scan_journal(std::string_view id,
                                   const std::function<bool(const JournalEntry&)>& v) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  target()->scan_journal(id, v);
}

void BatchingStorage::write_batch(const StorageWriteBatch& b) {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
  target()->write_batch(b);
}

// ---- SharedAbandonCounts ----

namespace {
TimePoint minute_of(TimePoint t) { return std::chrono::floor<std::chrono::minutes>(t); }
AbandonCounts minus(AbandonCounts a, const AbandonCounts& b) {
  a.live_answers -= b.live_answers;
  a.abandons -= b.abandons;
  a.machines -= b.machines;
  return a;
}
AbandonCounts at_least_zero(AbandonCounts a) {
  a.live_answers = std::max<std::int64_t>(0, a.live_answers);
  a.abandons = std::max<std::int64_t>(0, a.abandons);
  a.machines = std::max<std::int64_t>(0, a.machines);
  return a;
}
bool any(const AbandonCounts& a) { return a.live_answers || a.abandons || a.machines; }
}  // namespace

void SharedAbandonCounts::add(TimePoint lease_t, const AbandonCounts& one) {
  AbandonCounts& b = bucket(lease_t);
  b.live_answers += one.live_answers;
  b.abandons += one.abandons;
  b.machines += one.machines;
  unseen(lease_t);  // drops what the others have read by now, so recent_ stays short
  recent_.push_back({lease_t, one});
  recent_sum_.live_answers += one.live_answers;
  recent_sum_.abandons += one.abandons;
  recent_sum_.machines += one.machines;
}

AbandonCounts SharedAbandonCounts::unseen(TimePoint lease_now) {
  while (!recent_.empty() && recent_.front().at + kUnseenFor <= lease_now) {
    recent_sum_ = minus(recent_sum_, recent_.front().counts);
    recent_.pop_front();
  }
  return recent_sum_;
}

AbandonCounts& SharedAbandonCounts::bucket(TimePoint t) {
  const TimePoint minute = minute_of(t);
  changed_[minute] = true;
  return own_[minute];
}

std::vector<AbandonBucket> SharedAbandonCounts::sync(Storage& storage, TimePoint lease_now,
                                                     Duration window) {
  // This engine's row for the minute, zeros included, tells the others it is placing calls.
  if (!own_.contains(minute_of(lease_now))) bucket(lease_now);
  if (!changed_.empty()) {
    std::vector<AbandonBucket> mine;
    mine.reserve(changed_.size());
    for (const auto& [minute, changed] : changed_) mine.push_back({minute, own_[minute]});
    storage.put_abandon_counts(campaign_id_, owner_, mine);
    changed_.clear();
  }
  std::vector<AbandonBucket> news;
  const TimePoint now_minute = minute_of(lease_now);
  if (synced_minute_ == TimePoint::min()) {
    // What the campaign counted before this engine came: in one bucket, at now.
    const TimePoint from = window > Duration(0) ? minute_of(lease_now - window) : TimePoint::min();
    AbandonCounts before = storage.abandon_counts(campaign_id_, from, now_minute);
    for (auto it = own_.lower_bound(from); it != own_.end() && it->first < now_minute; ++it) {
      before = minus(before, it->second);
    }
    before = at_least_zero(before);
    if (any(before)) news.push_back({lease_now, before});
  } else {
    // The minutes since the last sync's, that one included (others may have written to it
    // since), one by one; a long gap (an idle night) in one read, in one bucket.
    TimePoint gap_end = synced_minute_ + kMinutesReadOneByOne;
    if (gap_end < now_minute) {
      AbandonCounts gap = storage.abandon_counts(campaign_id_, gap_end, now_minute);
      for (auto it = own_.lower_bound(gap_end); it != own_.end() && it->first < now_minute; ++it) {
        gap = minus(gap, it->second);
      }
      gap = at_least_zero(gap);
      if (any(gap)) news.push_back({now_minute - std::chrono::minutes(1), gap});
    } else {
      gap_end = now_minute;
    }
    for (TimePoint m = synced_minute_; m < gap_end; m += std::chrono::minutes(1)) {
      others_.try_emplace(m);
    }
  }
  others_.try_emplace(now_minute);
  for (auto it = others_.lower_bound(std::min(synced_minute_, now_minute)); it != others_.end();
       ++it) {
    const TimePoint m = it->first;
    const AbandonCounts all = storage.abandon_counts(campaign_id_, m, m + std::chrono::minutes(1));
    engines_[m] = all.engines;
    AbandonCounts now_seen = at_least_zero(minus(all, own_[m]));
    AbandonCounts fresh = at_least_zero(minus(now_seen, it->second));
    it->second = now_seen;
    if (any(fresh)) news.push_back({m, fresh});
  }
  synced_minute_ = now_minute;
  // Minutes before the last sync's are not read again; a window's older minutes are not needed.
  others_.erase(others_.begin(), others_.lower_bound(now_minute));
  engines_.erase(engines_.begin(), engines_.lower_bound(now_minute - std::chrono::minutes(1)));
  const TimePoint keep_own =
      window > Duration(0) ? minute_of(lease_now - window) : TimePoint::min();
  own_.erase(own_.begin(), own_.lower_bound(std::min(keep_own, now_minute)));
  return news;
}

int SharedAbandonCounts::engines() const {
  std::int64_t most = 1;
  for (const auto& [minute, n] : engines_) most = std::max(most, n);
  return static_cast<int>(std::min<std::int64_t>(most, 1'000'000));
}

}  // namespace omnivox
