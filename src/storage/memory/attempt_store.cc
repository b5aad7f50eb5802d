// MemoryStorage's attempts (attempt_store.h): stored densely by call id in chunks, linked per
// contact, evicted after their retention.
#include "storage/memory/attempt_store.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/memory/memory_storage.h"

namespace omnivox::memory {

CallId MemoryStorage::allocate_call_id() {
  std::lock_guard<detail::LightMutex> lock(mutex_);
  return ++last_call_id_;
}

void MemoryStorage::put_attempt(const Attempt& attempt) {
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

std::vector<Attempt> MemoryStorage::attempts_of(ContactId id) {
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

void MemoryStorage::scan_attempts(std::string_view campaign_id,
                                  const std::function<bool(const Attempt&)>& visit) {
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

void MemoryStorage::store(AttemptSlot& slot, const Attempt& a) {
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

void MemoryStorage::load(const AttemptSlot& slot, Attempt& a) const {
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

AttemptSlot* MemoryStorage::find_slot(CallId id) {
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

void MemoryStorage::unlink(AttemptSlot& slot) {
  const CallId head = head_of(slot.contact_id);
  if (head == slot.call_id) {
    set_head(slot.contact_id, slot.older);
  } else {
    for (AttemptSlot* newer = find_slot(head); newer != nullptr; newer = find_slot(newer->older)) {
      if (newer->older == slot.call_id) {
        newer->older = slot.older;
        break;
      }
    }
  }
  slot.older = kNoCall;
}

void MemoryStorage::note_finished(const AttemptSlot& a) {
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

void MemoryStorage::evict(CallId id) {
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

}  // namespace omnivox::memory
