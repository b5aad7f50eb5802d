#include "serve/events.h"

#include <algorithm>
#include <chrono>

namespace omnivox::serve {

EventJournal::EventJournal(std::size_t capacity)
    : capacity_(std::max<std::size_t>(1, capacity)),
      next_seq_(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count())) {}

std::uint64_t EventJournal::append(std::string campaign_id, std::string type, std::string data) {
  std::uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    seq = next_seq_++;
    events_.push_back(Event{seq, std::move(campaign_id), std::move(type), std::move(data)});
    if (events_.size() > capacity_) events_.pop_front();
  }
  std::lock_guard lock(waiters_mutex_);
  for (auto& [id, wake] : waiters_) wake();
  return seq;
}

std::vector<Event> EventJournal::read_after(std::uint64_t after, std::string_view campaign_id,
                                            std::size_t max, bool* gap,
                                            std::uint64_t* scanned_to) const {
  std::vector<Event> out;
  std::lock_guard lock(mutex_);
  if (gap) *gap = !events_.empty() && after + 1 < events_.front().seq;
  if (scanned_to) *scanned_to = after;
  if (events_.empty() || after >= events_.back().seq) return out;
  // Sequence numbers are consecutive: the first event after `after` is found by offset.
  std::size_t start = after < events_.front().seq ? 0 : after + 1 - events_.front().seq;
  for (std::size_t i = start; i < events_.size() && out.size() < max; ++i) {
    const Event& e = events_[i];
    if (scanned_to) *scanned_to = e.seq;
    if (campaign_id.empty() || e.campaign_id == campaign_id) out.push_back(e);
  }
  return out;
}

std::uint64_t EventJournal::last_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_ - 1;
}

std::uint64_t EventJournal::subscribe(std::function<void()> wake) {
  std::lock_guard lock(waiters_mutex_);
  waiters_.emplace(next_waiter_, std::move(wake));
  return next_waiter_++;
}

void EventJournal::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(waiters_mutex_);
  waiters_.erase(id);
}

}  // namespace omnivox::serve
