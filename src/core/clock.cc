#include "omnivox/clock.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

namespace omnivox {
namespace {

struct Timer {
  TimePoint when;
  TimerId id;  // ids increase, so (when, id) orders same-instant timers by scheduling order
  std::function<void()> fn;
};
struct Later {
  bool operator()(const Timer& a, const Timer& b) const {
    return a.when != b.when ? a.when > b.when : a.id > b.id;
  }
};

// A min-heap of timers with lazy cancellation: a cancelled timer stays in the heap until it
// reaches the top, but leaves `live_` at once, so size() counts only pending timers.
class TimerHeap {
 public:
  TimerId push(TimePoint when, std::function<void()> fn) {
    TimerId id = ++last_id_;
    heap_.push_back(Timer{when, id, std::move(fn)});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
    live_.insert(id);
    return id;
  }
  void cancel(TimerId id) { live_.erase(id); }
  // Drops cancelled timers from the top; returns the top or nullptr.
  Timer* top() {
    while (!heap_.empty()) {
      if (live_.count(heap_.front().id)) return &heap_.front();
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      heap_.pop_back();
    }
    return nullptr;
  }
  // Removes the top (which top() returned).
  Timer pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Timer t = std::move(heap_.back());
    heap_.pop_back();
    live_.erase(t.id);
    return t;
  }
  std::size_t size() const { return live_.size(); }

 private:
  std::vector<Timer> heap_;
  std::unordered_set<TimerId> live_;
  TimerId last_id_ = 0;
};

class SystemClock final : public Clock {
 public:
  SystemClock(double speed, TimePoint start) : speed_(speed > 0 ? speed : 1.0) {
    wall_start_ = std::chrono::steady_clock::now();
    start_ = start == TimePoint{} ? std::chrono::time_point_cast<Duration>(
                                        std::chrono::system_clock::now())
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
      Timer* top = heap_.top();
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
  mutable std::mutex mutex;
  TimePoint now;
  TimerHeap heap;
};

VirtualClock::VirtualClock(TimePoint start) : impl_(std::make_unique<Impl>()) {
  impl_->now = start;
}
VirtualClock::~VirtualClock() = default;

TimePoint VirtualClock::now() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->now;
}

TimerId VirtualClock::schedule_at(TimePoint when, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->heap.push(std::max(when, impl_->now), std::move(fn));
}

void VirtualClock::cancel(TimerId id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->heap.cancel(id);
}

bool VirtualClock::advance_one(TimePoint limit) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  Timer* top = impl_->heap.top();
  if (top == nullptr || top->when > limit) {
    impl_->now = std::max(impl_->now, limit);
    return false;
  }
  Timer t = impl_->heap.pop();
  impl_->now = std::max(impl_->now, t.when);
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
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Timer* top = impl_->heap.top();
  return top ? top->when : TimePoint::max();
}

std::size_t VirtualClock::pending() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->heap.size();
}

}  // namespace omnivox
