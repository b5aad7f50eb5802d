// MemoryStorage's upkeep of its campaign indexes (campaign_index.h): contacts into and out of the
// ready set, waiting and deferred contacts promoted when due, leases that ran out.
#include "storage/memory/campaign_index.h"

#include <algorithm>
#include <vector>

#include "storage/memory/memory_storage.h"

namespace omnivox::memory {

void MemoryStorage::expire_leases(CampaignData& data, std::int64_t now_ms) {
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

void MemoryStorage::index(CampaignData& data, ContactRecord& r, std::uint32_t index_of) {
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

void MemoryStorage::compact_waiting(CampaignData& data) {
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

void MemoryStorage::defer(CampaignData& data, std::uint32_t index, std::int64_t until_ms) {
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

void MemoryStorage::promote(CampaignData& data, std::int64_t due_by_ms) {
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

}  // namespace omnivox::memory
