#include "omnivox/clock.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "util/light_mutex.h"

namespace omnivox {
namespace {

// Every pending timer has a slot holding its callback, its time and its sequence number (which
// increases with each timer scheduled, so same-instant timers fire in scheduling order). A
// TimerId is (generation << 32 | slot): cancel() finds its slot without a lookup table, and a
// stale id (fired or cancelled, slot reused) no longer matches.
struct Timer {
  TimePoint when;
  TimerId id;
  std::function<void()> fn;  // empty when `target` is set
  TimerTarget* target = nullptr;
  std::uint64_t key = 0;
  void run() {
    if (target != nullptr) {
      target->on_timer(key);
    } else {
      fn();
    }
  }
};

constexpr std::uint32_t kNoSlot = 0xFFFFFFFFu;

class TimerSlots {
 public:
  struct Slot {
    TimerId id = 0;  // 0: free
    std::uint32_t generation = 0;
    TimePoint when{};
    std::uint64_t sequence = 0;
    std::function<void()> fn;  // or, for Clock::schedule_call, the target and key
    TimerTarget* target = nullptr;
    std::uint64_t key = 0;
    // Where the timer waits: its place in a heap, or its bucket and list neighbours in a wheel.
    std::uint32_t place = 0;
    std::uint32_t prev = kNoSlot;
    std::uint32_t next = kNoSlot;
    bool in_heap = false;
  };
  std::uint32_t add(TimePoint when, std::function<void()> fn) {
    const std::uint32_t slot = add(when);
    slots_[slot].fn = std::move(fn);
    return slot;
  }
  std::uint32_t add(TimePoint when, TimerTarget* target, std::uint64_t key) {
    const std::uint32_t slot = add(when);
    slots_[slot].target = target;
    slots_[slot].key = key;
    return slot;
  }
  // The slot of a new timer at `when`, its callback not set yet.
  std::uint32_t add(TimePoint when) {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    Slot& s = slots_[slot];
    ++s.generation;
    s.id = (static_cast<TimerId>(s.generation) << 32) | slot;
    s.when = when;
    s.sequence = ++sequence_;  // 64 bits: never wraps
    return slot;
  }
  // The slot of a pending timer, or kNoSlot for an unknown, fired or cancelled id.
  std::uint32_t find(TimerId id) const {
    const auto slot = static_cast<std::uint32_t>(id & 0xFFFFFFFFu);
    if (id == 0 || slot >= slots_.size() || slots_[slot].id != id) return kNoSlot;
    return slot;
  }
  // (when, sequence) order: the firing order.
  bool earlier(std::uint32_t a, std::uint32_t b) const {
    const Slot& x = slots_[a];
    const Slot& y = slots_[b];
    return x.when != y.when ? x.when < y.when : x.sequence < y.sequence;
  }
  Slot& operator[](std::uint32_t slot) { return slots_[slot]; }
  const Slot& operator[](std::uint32_t slot) const { return slots_[slot]; }
  // Frees the slot and hands back its timer.
  Timer take(std::uint32_t slot) {
    Slot& s = slots_[slot];
    Timer t{s.when, s.id, {}, s.target, s.key};
    if (s.target == nullptr) {
      t.fn = std::move(s.fn);
      s.fn = nullptr;
    }
    s.id = 0;
    s.target = nullptr;
    free_.push_back(slot);
    return t;
  }

 private:
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t sequence_ = 0;
};

// A 4-ary min-heap of slots in firing order: half the depth of a binary heap, and a node's
// children share a cache line. Each slot knows its place, so a cancelled timer leaves at once: a
// simulation cancels about as many timers as it fires (a call's timeout when it ends, the rest of
// a call's events when it is bridged or hung up).
class SlotHeap {
 public:
  struct Entry {
    TimePoint when;
    std::uint64_t sequence;
    std::uint32_t slot;
  };
  explicit SlotHeap(TimerSlots& slots) : slots_(slots) {}
  void push(std::uint32_t slot) {
    const TimerSlots::Slot& s = slots_[slot];
    slots_[slot].in_heap = true;
    heap_.push_back(Entry{s.when, s.sequence, slot});
    sift_up(heap_.size() - 1);
  }
  const Entry* top() const { return heap_.empty() ? nullptr : &heap_.front(); }
  void remove(std::uint32_t slot) {
    slots_[slot].in_heap = false;
    const std::size_t i = slots_[slot].place;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;
    heap_[i] = last;
    if (i > 0 && earlier(last, heap_[(i - 1) / kArity])) {
      sift_up(i);
    } else {
      sift_down(i);
    }
  }
  std::size_t size() const { return heap_.size(); }

 private:
  static constexpr std::size_t kArity = 4;
  static bool earlier(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when < b.when : a.sequence < b.sequence;
  }
  void place(std::size_t i, const Entry& e) {
    heap_[i] = e;
    slots_[e.slot].place = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i) {
    Entry e = heap_[i];
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
    Entry e = heap_[i];
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
  TimerSlots& slots_;
  std::vector<Entry> heap_;
};

// The real-time clock's timers: a heap.
class TimerHeap {
 public:
  TimerId push(TimePoint when, std::function<void()> fn) {
    const std::uint32_t slot = slots_.add(when, std::move(fn));
    heap_.push(slot);
    return slots_[slot].id;
  }
  void cancel(TimerId id) {
    const std::uint32_t slot = slots_.find(id);
    if (slot == kNoSlot) return;
    heap_.remove(slot);
    slots_.take(slot);
  }
  // The earliest timer's time, or nullopt.
  std::optional<TimePoint> next_due() const {
    const SlotHeap::Entry* top = heap_.top();
    if (top == nullptr) return std::nullopt;
    return top->when;
  }
  // Removes and returns the earliest timer (there must be one).
  Timer pop() {
    const std::uint32_t slot = heap_.top()->slot;
    heap_.remove(slot);
    return slots_.take(slot);
  }
  std::size_t size() const { return heap_.size(); }

 private:
  TimerSlots slots_;
  SlotHeap heap_{slots_};
};

// The virtual clock's timers: a timing wheel (G. Varghese, A. Lauck, "Hashed and hierarchical
// timing wheels", SOSP 1987) of 2,048 buckets of 128 ms, covering the next 262 s, with a heap for
// the timers beyond. A simulation schedules almost all its timers (call events, timeouts,
// wrap-ups) within minutes, so scheduling and cancelling them is a list insert or unlink, and
// finding the next one a bitmap scan, where the heap took a sift of ~600 entries each.
// Exactly the heap's firing order: each bucket's list is kept in (when, sequence) order, and
// every timer in the wheel fires before every timer in the heap.
class TimerWheel {
 public:
  TimerWheel() : buckets_(kBuckets), bits_(kWords, 0) {}

  // Schedules a timer at `when` calling `callback...` (a std::function, or a target and key).
  template <typename... Callback>
  TimerId push(TimePoint when, Callback&&... callback) {
    if (size() == 0) cursor_ = bucket_of(when);  // the first pending timer sets the window
    const std::uint32_t slot = slots_.add(when, std::forward<Callback>(callback)...);
    place(slot);
    return slots_[slot].id;
  }
  void cancel(TimerId id) {
    const std::uint32_t slot = slots_.find(id);
    if (slot == kNoSlot) return;
    if (slots_[slot].in_heap) {
      far_.remove(slot);
    } else {
      unlink(slot);
    }
    slots_.take(slot);
  }
  // The earliest timer's time, or nullopt. Moves the window's start up to its bucket.
  std::optional<TimePoint> next_due() {
    const std::uint32_t slot = first();
    if (slot == kNoSlot) return std::nullopt;
    return slots_[slot].when;
  }
  // Removes and returns the earliest timer if it is due at or before `limit`.
  std::optional<Timer> pop_due(TimePoint limit) {
    const std::uint32_t slot = first();
    if (slot == kNoSlot || slots_[slot].when > limit) return std::nullopt;
    unlink(slot);
    return slots_.take(slot);
  }
  std::size_t size() const { return in_wheel_ + far_.size(); }

 private:
  static constexpr int kBucketShift = 7;  // 128 ms buckets
  static constexpr std::size_t kBuckets = std::size_t{1} << 11;
  static constexpr std::size_t kWords = kBuckets / 64;

  static std::int64_t bucket_of(TimePoint t) {
    return t.time_since_epoch().count() >> kBucketShift;  // floor, also before the epoch
  }
  // A timer before the window's start (time moved on without firing) waits in its first bucket,
  // where its time sorts it first.
  void place(std::uint32_t slot) {
    const std::int64_t bucket = std::max(bucket_of(slots_[slot].when), cursor_);
    if (bucket - cursor_ >= static_cast<std::int64_t>(kBuckets)) {
      far_.push(slot);
    } else {
      link(slot, static_cast<std::uint32_t>(bucket & (kBuckets - 1)));
    }
  }
  // Inserts in (when, sequence) order: from the tail, where a new timer usually belongs.
  void link(std::uint32_t slot, std::uint32_t index) {
    TimerSlots::Slot& s = slots_[slot];
    s.in_heap = false;
    s.place = index;
    std::uint32_t after = buckets_[index].tail;
    while (after != kNoSlot && slots_.earlier(slot, after)) after = slots_[after].prev;
    const std::uint32_t before = after == kNoSlot ? buckets_[index].head : slots_[after].next;
    s.prev = after;
    s.next = before;
    (after == kNoSlot ? buckets_[index].head : slots_[after].next) = slot;
    (before == kNoSlot ? buckets_[index].tail : slots_[before].prev) = slot;
    bits_[index / 64] |= std::uint64_t{1} << (index % 64);
    ++in_wheel_;
  }
  void unlink(std::uint32_t slot) {
    const TimerSlots::Slot& s = slots_[slot];
    const std::uint32_t index = s.place;
    (s.prev == kNoSlot ? buckets_[index].head : slots_[s.prev].next) = s.next;
    (s.next == kNoSlot ? buckets_[index].tail : slots_[s.next].prev) = s.prev;
    if (buckets_[index].head == kNoSlot) bits_[index / 64] &= ~(std::uint64_t{1} << (index % 64));
    --in_wheel_;
  }
  // The earliest pending timer's slot (kNoSlot if none). The window starts at its bucket
  // afterwards, and the heap's timers that fall in the window moved into it.
  std::uint32_t first() {
    if (in_wheel_ == 0) {
      if (far_.size() == 0) return kNoSlot;
      cursor_ = bucket_of(far_.top()->when);
      pull_far();
    }
    const std::size_t index = next_occupied(static_cast<std::size_t>(cursor_ & (kBuckets - 1)));
    const std::int64_t ahead =
        static_cast<std::int64_t>((index - static_cast<std::size_t>(cursor_)) & (kBuckets - 1));
    if (ahead > 0) {
      cursor_ += ahead;
      pull_far();
    }
    return buckets_[index].head;
  }
  void pull_far() {
    const std::int64_t end = cursor_ + static_cast<std::int64_t>(kBuckets);
    while (const SlotHeap::Entry* top = far_.top()) {
      if (bucket_of(top->when) >= end) break;
      const std::uint32_t slot = top->slot;
      far_.remove(slot);
      place(slot);
    }
  }
  // The first occupied bucket at or after `from`, going round (the wheel is not empty).
  std::size_t next_occupied(std::size_t from) const {
    const std::size_t start = from / 64;
    const std::uint64_t at_or_after = ~std::uint64_t{0} << (from % 64);
    if (std::uint64_t bits = bits_[start] & at_or_after) return start * 64 + lowest(bits);
    for (std::size_t k = 1; k < kWords; ++k) {
      const std::size_t word = (start + k) % kWords;
      if (bits_[word] != 0) return word * 64 + lowest(bits_[word]);
    }
    return start * 64 + lowest(bits_[start] & ~at_or_after);
  }
  static std::size_t lowest(std::uint64_t bits) {
    return static_cast<std::size_t>(std::countr_zero(bits));
  }

  TimerSlots slots_;
  SlotHeap far_{slots_};
  std::int64_t cursor_ = 0;  // the window's first bucket number (time >> kBucketShift)
  struct Bucket {
    std::uint32_t head = kNoSlot;  // its earliest timer
    std::uint32_t tail = kNoSlot;  // its latest
  };
  std::vector<Bucket> buckets_;      // 16 KB: stays in the first-level cache
  std::vector<std::uint64_t> bits_;  // occupied buckets
  std::size_t in_wheel_ = 0;
};

class SystemClock final : public Clock {
 public:
  SystemClock(double speed, TimePoint start) : speed_(speed > 0 ? speed : 1.0) {
    wall_start_ = std::chrono::steady_clock::now();
    start_ = start == TimePoint{}
                 ? std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now())
                 : start;
    thread_ = std::thread([this] { loop(); });
    timer_thread_ = thread_.get_id();
  }
  ~SystemClock() override { stop(); }
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
  void wait_for_running_timers() override {
    if (std::this_thread::get_id() == timer_thread_) return;
    std::unique_lock<std::mutex> lock(mutex_);
    const std::uint64_t started = callbacks_started_;
    callback_done_.wait(lock, [&] { return callbacks_finished_ >= started; });
  }
  void stop() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (std::this_thread::get_id() == timer_thread_) return;  // the loop ends after this callback
    std::lock_guard<std::mutex> lock(join_mutex_);
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      const std::optional<TimePoint> due = heap_.next_due();
      if (!due) {
        cv_.wait(lock);
        continue;
      }
      TimePoint now_virtual = now();
      if (*due > now_virtual) {
        auto wait =
            std::chrono::duration_cast<std::chrono::microseconds>((*due - now_virtual) / speed_);
        cv_.wait_for(lock, wait + std::chrono::microseconds(100));
        continue;
      }
      // Counted as running from the moment it leaves the heap: cancel() can no longer reach
      // it, so wait_for_running_timers() must.
      Timer t = heap_.pop();
      ++callbacks_started_;
      lock.unlock();
      t.run();
      t = Timer{};  // the callback's captures go before it counts as finished
      lock.lock();
      ++callbacks_finished_;
      callback_done_.notify_all();
    }
  }

  double speed_;
  std::chrono::steady_clock::time_point wall_start_;
  TimePoint start_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  TimerHeap heap_;
  bool stopping_ = false;
  std::uint64_t callbacks_started_ = 0;   // popped from the heap to run
  std::uint64_t callbacks_finished_ = 0;  // returned
  std::condition_variable callback_done_;
  std::thread thread_;
  std::thread::id timer_thread_;
  std::mutex join_mutex_;  // one stop() joins the thread; a concurrent one waits for it
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
  TimerWheel timers;
};

VirtualClock::VirtualClock(TimePoint start) : impl_(std::make_unique<Impl>()) {
  impl_->set_now(start);
}
VirtualClock::~VirtualClock() = default;

TimePoint VirtualClock::now() const { return impl_->get_now(); }

TimerId VirtualClock::schedule_at(TimePoint when, std::function<void()> fn) {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  return impl_->timers.push(std::max(when, impl_->get_now()), std::move(fn));
}

TimerId VirtualClock::schedule_call(TimePoint when, TimerTarget* target, std::uint64_t key) {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  return impl_->timers.push(std::max(when, impl_->get_now()), target, key);
}

void VirtualClock::cancel(TimerId id) {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  impl_->timers.cancel(id);
}

bool VirtualClock::advance_one(TimePoint limit) {
  std::unique_lock<detail::LightMutex> lock(impl_->mutex);
  std::optional<Timer> t = impl_->timers.pop_due(limit);
  impl_->set_now(std::max(impl_->get_now(), t ? t->when : limit));
  lock.unlock();
  if (!t) return false;
  t->run();
  return true;
}

bool VirtualClock::fire_next(TimePoint limit) {
  std::unique_lock<detail::LightMutex> lock(impl_->mutex);
  std::optional<Timer> t = impl_->timers.pop_due(limit);
  if (!t) return false;
  impl_->set_now(std::max(impl_->get_now(), t->when));
  lock.unlock();
  t->run();
  return true;
}

std::size_t VirtualClock::advance_to(TimePoint limit) {
  std::size_t fired = 0;
  while (advance_one(limit)) ++fired;
  return fired;
}

TimePoint VirtualClock::next_due() const {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  return impl_->timers.next_due().value_or(TimePoint::max());
}

void VirtualClock::pass(Duration d) {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  if (d > Duration(0)) impl_->set_now(impl_->get_now() + d);
}

std::size_t VirtualClock::pending() const {
  std::lock_guard<detail::LightMutex> lock(impl_->mutex);
  return impl_->timers.size();
}

}  // namespace omnivox
