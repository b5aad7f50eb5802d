#include "omnivox/clock.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/light_mutex.h"

namespace omnivox {
namespace {

// Heap entries are small PODs; the callbacks live in a slot table so heap moves stay cheap.
// A TimerId is (generation << 32 | slot): cancel() finds its slot without a lookup table and a
// stale id (fired or cancelled, slot reused) no longer matches.
// 16 bytes, so a node's four children share one cache line.
struct HeapEntry {
  TimePoint when;
  // (sequence << 32) | slot: the sequence number increases with each timer scheduled, so
  // same-instant timers fire in scheduling order; the slot (in TimerHeap::slots_) holds the
  // callback.
  std::uint64_t order;
  std::uint32_t slot() const { return static_cast<std::uint32_t>(order); }
};
struct Timer {
  TimePoint when;
  TimerId id;
  std::function<void()> fn;
};

// A min-heap of timers on (when, sequence). Each slot knows its entry's place in the heap, so a
// cancelled timer leaves the heap at once: a simulation cancels about as many timers as it fires
// (a call's timeout when it ends, the rest of a call's events when it is bridged or hung up), and
// leaving them in place until they reached the top cost a full sift each.
class TimerHeap {
 public:
  TimerId push(TimePoint when, std::function<void()> fn) {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
      pos_.push_back(0);
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    Slot& s = slots_[slot];
    ++s.generation;
    TimerId id = (static_cast<TimerId>(s.generation) << 32) | slot;
    s.id = id;
    s.fn = std::move(fn);
    if (seq_ == 0xFFFFFFFFu) renumber();
    heap_.push_back(HeapEntry{when, (++seq_ << 32) | slot});
    sift_up(heap_.size() - 1);
    return id;
  }
  void cancel(TimerId id) {
    std::uint32_t slot = static_cast<std::uint32_t>(id & 0xFFFFFFFFu);
    if (id == 0 || slot >= slots_.size() || slots_[slot].id != id) return;
    remove_at(pos_[slot]);
    release(slot);
  }
  // The earliest timer, or nullptr.
  const HeapEntry* top() const { return heap_.empty() ? nullptr : &heap_.front(); }
  // Removes the top (which top() returned).
  Timer pop() {
    const HeapEntry e = heap_.front();
    remove_at(0);
    Slot& s = slots_[e.slot()];
    Timer t{e.when, s.id, std::move(s.fn)};
    release(e.slot());
    return t;
  }
  std::size_t size() const { return heap_.size(); }

 private:
  // A 4-ary min-heap on (when, order): half the depth of a binary heap, and a node's children
  // share a cache line. (when, order) is a total order, so the firing order is the same
  // as with any other heap.
  static constexpr std::size_t kArity = 4;
  static bool earlier(const HeapEntry& a, const HeapEntry& b) {
    return a.when != b.when ? a.when < b.when : a.order < b.order;
  }
  void place(std::size_t i, const HeapEntry& e) {
    heap_[i] = e;
    pos_[e.slot()] = static_cast<std::uint32_t>(i);
  }
  // The 32-bit sequence ran out (after 4 billion timers): number the pending ones again from 1,
  // in firing order. A sorted array is a heap, so only the positions change.
  void renumber() {
    std::sort(heap_.begin(), heap_.end(), earlier);
    for (std::size_t i = 0; i < heap_.size(); ++i) {
      heap_[i].order = (static_cast<std::uint64_t>(i + 1) << 32) | heap_[i].slot();
      pos_[heap_[i].slot()] = static_cast<std::uint32_t>(i);
    }
    seq_ = heap_.size();
  }
  void sift_up(std::size_t i) {
    HeapEntry e = heap_[i];
    while (i > 0) {
      std::size_t parent = (i - 1) / kArity;
      if (!earlier(e, heap_[parent])) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, e);
  }
  void sift_down(std::size_t i) {
    const std::size_t n = heap_.size();
    HeapEntry e = heap_[i];
    for (;;) {
      std::size_t first = i * kArity + 1;
      if (first >= n) break;
      std::size_t best = first;
      std::size_t last = std::min(first + kArity, n);
      for (std::size_t c = first + 1; c < last; ++c) {
        if (earlier(heap_[c], heap_[best])) best = c;
      }
      if (!earlier(heap_[best], e)) break;
      place(i, heap_[best]);
      i = best;
    }
    place(i, e);
  }
  // Removes the entry at `i`: the last entry takes its place and moves up or down.
  void remove_at(std::size_t i) {
    const HeapEntry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;
    heap_[i] = last;
    if (i > 0 && earlier(last, heap_[(i - 1) / kArity])) {
      sift_up(i);
    } else {
      sift_down(i);
    }
  }
  struct Slot {
    TimerId id = 0;  // 0: free
    std::uint32_t generation = 0;
    std::function<void()> fn;
  };
  void release(std::uint32_t slot) {
    slots_[slot].id = 0;
    slots_[slot].fn = nullptr;
    free_.push_back(slot);
  }
  std::vector<HeapEntry> heap_;
  std::vector<Slot> slots_;
  // pos_[slot]: index of the slot's entry in heap_ while pending. Apart from the slots (48 bytes
  // each), so the moves of a sift touch a small array.
  std::vector<std::uint32_t> pos_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
};

class SystemClock final : public Clock {
 public:
  SystemClock(double speed, TimePoint start) : speed_(speed > 0 ? speed : 1.0) {
    wall_start_ = std::chrono::steady_clock::now();
    start_ = start == TimePoint{}
                 ? std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now())
                 : start;
    thread_ = std::thread([this] { loop(); });
  }
  ~SystemClock() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  TimePoint now() const override {
    auto elapsed = std::chrono::steady_clock::now() - wall_start_;
    return start_ + std::chrono::duration_cast<Duration>(elapsed * speed_);
  }
  TimerId schedule_at(TimePoint when, std::function<void()> fn) override {
    TimerId id;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      id = heap_.push(when, std::move(fn));
    }
    cv_.notify_all();
    return id;
  }
  void cancel(TimerId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    heap_.cancel(id);
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      const HeapEntry* top = heap_.top();
      if (top == nullptr) {
        cv_.wait(lock);
        continue;
      }
      TimePoint now_virtual = now();
      if (top->when > now_virtual) {
        auto wait = std::chrono::duration_cast<std::chrono::microseconds>(
            (top->when - now_virtual) / speed_);
        cv_.wait_for(lock, wait + std::chrono::microseconds(100));
        continue;
      }
      Timer t = heap_.pop();
      lock.unlock();
      t.fn();
      lock.lock();
    }
  }

  double speed_;
  std::chrono::steady_clock::time_point wall_start_;
  TimePoint start_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  TimerHeap heap_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Clock> make_system_clock(double speed, TimePoint start) {
  return std::make_unique<SystemClock>(speed, start);
}

struct VirtualClock::Impl {
  mutable detail::LightMutex mutex;
  // Written under `mutex`; read without it (now() is the hottest call of a simulation).
  std::atomic<Duration::rep> now{0};
  TimePoint get_now() const { return TimePoint(Duration(now.load(std::memory_order_acquire))); }
  void set_now(TimePoint t) { now.store(t.time_since_epoch().count(), std::memory_order_release); }
  TimerHeap heap;
};

VirtualClock::VirtualClock(TimePoint start) : impl_(std::make_unique<Impl>()) {
  impl_->set_now(start);
}
VirtualClock::~VirtualClock() = default;

TimePoint VirtualClock::now() const { return impl_->get_now(); }

TimerId VirtualClock::schedule_at(TimePoint when, std::function<void()> fn) {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  return impl_->heap.push(std::max(when, impl_->get_now()), std::move(fn));
}

void VirtualClock::cancel(TimerId id) {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  impl_->heap.cancel(id);
}

bool VirtualClock::advance_one(TimePoint limit) {
  std::unique_lock<detail::LightMutex> lock(impl_->mutex);
  const HeapEntry* top = impl_->heap.top();
  if (top == nullptr || top->when > limit) {
    impl_->set_now(std::max(impl_->get_now(), limit));
    return false;
  }
  Timer t = impl_->heap.pop();
  impl_->set_now(std::max(impl_->get_now(), t.when));
  lock.unlock();
  t.fn();
  return true;
}

bool VirtualClock::fire_next(TimePoint limit) {
  std::unique_lock<detail::LightMutex> lock(impl_->mutex);
  const HeapEntry* top = impl_->heap.top();
  if (top == nullptr || top->when > limit) return false;
  Timer t = impl_->heap.pop();
  impl_->set_now(std::max(impl_->get_now(), t.when));
  lock.unlock();
  t.fn();
  return true;
}

std::size_t VirtualClock::advance_to(TimePoint limit) {
  std::size_t fired = 0;
  while (advance_one(limit)) ++fired;
  return fired;
}

TimePoint VirtualClock::next_due() const {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  const HeapEntry* top = impl_->heap.top();
  return top ? top->when : TimePoint::max();
}

void VirtualClock::pass(Duration d) {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  if (d > Duration(0)) impl_->set_now(impl_->get_now() + d);
}

std::size_t VirtualClock::pending() const {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  return impl_->heap.size();
}

}  // namespace omnivox
