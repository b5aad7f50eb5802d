// The virtual clock's firing order against a reference model: timers fire in (time, scheduling
// order), whatever mix of callbacks and targets (schedule_at, schedule_call), near and far timers
// (its timing wheel covers the next 262 s; later ones wait in a heap), cancellations, schedules
// from inside callbacks and time passing without firing.
#include "omnivox/clock.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <utility>
#include <vector>

namespace omnivox {
namespace {

const TimePoint kStart = TimePoint(Duration(1'780'000'000'000));  // 2026-05-28, in ms

// What the clock must do, by brute force: pending timers ordered by (time, sequence).
struct ReferenceClock {
  TimePoint now = kStart;
  std::uint64_t sequence = 0;
  std::map<std::pair<TimePoint, std::uint64_t>, int> pending;  // → timer label
  std::map<int, std::pair<TimePoint, std::uint64_t>> by_label;

  void schedule(TimePoint when, int label) {
    auto key = std::make_pair(std::max(when, now), ++sequence);
    pending[key] = label;
    by_label[label] = key;
  }
  void cancel(int label) {
    auto it = by_label.find(label);
    if (it == by_label.end()) return;
    pending.erase(it->second);
    by_label.erase(it);
  }
  // The next label to fire, removed.
  int pop() {
    auto it = pending.begin();
    int label = it->second;
    now = std::max(now, it->first.first);
    by_label.erase(label);
    pending.erase(it);
    return label;
  }
};

// Half the timers go through schedule_call (a target and key), half through schedule_at.
class ClockDriver final : public TimerTarget {
 public:
  explicit ClockDriver(std::uint64_t seed) : rng_(seed), clock_(kStart) {}

  // A time ahead of now: mostly within seconds, some on the same millisecond as others, some
  // minutes to days ahead (beyond the wheel), a few in the past (clamped to now).
  TimePoint pick_time() {
    const TimePoint now = clock_.now();
    switch (std::uniform_int_distribution<int>(0, 9)(rng_)) {
      case 0:
        return now;
      case 1:
        return now - Duration(std::uniform_int_distribution<int>(1, 5000)(rng_));
      case 2:
        return now + Duration(1000 * std::uniform_int_distribution<int>(0, 5)(rng_));
      case 3:
        return now + Duration(std::uniform_int_distribution<std::int64_t>(
                         200'000, 400'000)(rng_));  // across the wheel's end
      case 4:
        return now +
               Duration(std::uniform_int_distribution<std::int64_t>(0, 3 * 86'400'000LL)(rng_));
      default:
        return now + Duration(std::uniform_int_distribution<int>(0, 120'000)(rng_));
    }
  }
  void schedule(TimePoint when) {
    const int label = next_label_++;
    reference_.schedule(when, label);
    if (std::uniform_int_distribution<int>(0, 1)(rng_) == 0) {
      ids_[label] = clock_.schedule_at(when, [this, label] { on_fire(label); });
    } else {
      ids_[label] = clock_.schedule_call(when, this, static_cast<std::uint64_t>(label));
    }
  }
  void on_timer(std::uint64_t key) override { on_fire(static_cast<int>(key)); }
  void cancel_some() {
    if (ids_.empty()) return;
    auto it = ids_.begin();
    std::advance(it, std::uniform_int_distribution<std::size_t>(0, ids_.size() - 1)(rng_));
    clock_.cancel(it->second);
    clock_.cancel(it->second);  // twice: a no-op
    reference_.cancel(it->first);
    ids_.erase(it);
  }
  void on_fire(int label) {
    fired_.push_back(label);
    expected_.push_back(reference_.pop());
    ids_.erase(label);
    EXPECT_EQ(clock_.now(), reference_.now);
    // Callbacks schedule and cancel too (a call event leads to the next).
    const int roll = std::uniform_int_distribution<int>(0, 3)(rng_);
    if (roll < 2) schedule(pick_time());
    if (roll == 0) cancel_some();
  }
  void run(int operations) {
    for (int i = 0; i < operations; ++i) {
      switch (std::uniform_int_distribution<int>(0, 9)(rng_)) {
        case 0:
        case 1:
        case 2:
        case 3:
          schedule(pick_time());
          break;
        case 4:
          cancel_some();
          break;
        case 5: {
          // Time passes without firing (a stalled storage call), then catches up.
          const Duration d(std::uniform_int_distribution<int>(0, 400'000)(rng_));
          clock_.pass(d);
          reference_.now += d;
          break;
        }
        case 6: {
          const TimePoint limit =
              clock_.now() + Duration(std::uniform_int_distribution<int>(0, 60'000)(rng_));
          clock_.advance_to(limit);
          reference_.now = std::max(reference_.now, limit);
          EXPECT_EQ(clock_.now(), reference_.now);
          break;
        }
        default: {
          const TimePoint due = reference_.pending.empty()
                                    ? TimePoint::max()
                                    : reference_.pending.begin()->first.first;
          ASSERT_EQ(clock_.next_due(), due);
          clock_.fire_next(TimePoint::max());
          break;
        }
      }
      ASSERT_EQ(clock_.pending(), reference_.pending.size());
    }
    while (clock_.fire_next(TimePoint::max())) {
    }
    EXPECT_TRUE(reference_.pending.empty());
    EXPECT_EQ(clock_.pending(), 0u);
  }
  const std::vector<int>& fired() const { return fired_; }
  const std::vector<int>& expected() const { return expected_; }

 private:
  std::mt19937_64 rng_;
  VirtualClock clock_;
  ReferenceClock reference_;
  std::map<int, TimerId> ids_;
  int next_label_ = 0;
  std::vector<int> fired_;
  std::vector<int> expected_;
};

TEST(VirtualClock, FiresInTimeThenSchedulingOrderUnderRandomOperations) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    ClockDriver driver(seed);
    driver.run(5000);
    ASSERT_EQ(driver.fired(), driver.expected()) << "seed " << seed;
    EXPECT_GT(driver.fired().size(), 1000u);
  }
}

TEST(VirtualClock, SameInstantTimersFireInSchedulingOrderNearAndFar) {
  VirtualClock clock(kStart);
  std::vector<int> order;
  const TimePoint near = kStart + Duration(5'000);
  const TimePoint far = kStart + Duration(3'600'000);  // an hour: beyond the wheel
  clock.schedule_at(far, [&] { order.push_back(1); });
  clock.schedule_at(near, [&] { order.push_back(2); });
  clock.schedule_at(far, [&] { order.push_back(3); });
  clock.schedule_at(near, [&] {
    order.push_back(4);
    clock.schedule_at(far, [&] { order.push_back(5); });  // same instant, scheduled later
  });
  clock.advance_to(kStart + Duration(4'000'000));
  EXPECT_EQ(order, (std::vector<int>{2, 4, 1, 3, 5}));
  EXPECT_EQ(clock.now(), kStart + Duration(4'000'000));
}

TEST(VirtualClock, CancelledAndStaleIdsAreNoOps) {
  VirtualClock clock(kStart);
  int fired = 0;
  TimerId a = clock.schedule_at(kStart + Duration(10), [&] { ++fired; });
  TimerId b = clock.schedule_at(kStart + Duration(10'000'000), [&] { fired += 10; });
  clock.cancel(a);
  clock.cancel(b);
  EXPECT_EQ(clock.pending(), 0u);
  EXPECT_EQ(clock.next_due(), TimePoint::max());
  // The freed slots are reused: the old ids must not cancel the new timers.
  clock.schedule_at(kStart + Duration(20), [&] { fired += 100; });
  clock.schedule_at(kStart + Duration(20'000'000), [&] { fired += 1000; });
  clock.cancel(a);
  clock.cancel(b);
  clock.cancel(0);
  EXPECT_EQ(clock.pending(), 2u);
  clock.advance_to(TimePoint::max() - Duration(1));
  EXPECT_EQ(fired, 1100);
}

TEST(VirtualClock, TimersBehindTheWindowFireFirst) {
  VirtualClock clock(kStart);
  std::vector<int> order;
  // The window starts at the first timer's bucket; time then moves on without firing, and a
  // timer scheduled "now" is older than the one pending in the window.
  clock.schedule_at(kStart + Duration(100'000), [&] { order.push_back(1); });
  EXPECT_EQ(clock.next_due(), kStart + Duration(100'000));
  clock.pass(Duration(50'000));
  clock.schedule_at(kStart, [&] { order.push_back(2); });  // clamped to now
  clock.schedule_at(kStart + Duration(50'001), [&] { order.push_back(3); });
  EXPECT_EQ(clock.next_due(), kStart + Duration(50'000));
  clock.advance_to(kStart + Duration(200'000));
  EXPECT_EQ(order, (std::vector<int>{2, 3, 1}));
}

// A clock wrapper that overrides only schedule_at still sees schedule_call's timers (the default
// implementation goes through schedule_at), and they fire on the target with their key.
TEST(ClockWrapper, ScheduleCallGoesThroughScheduleAtByDefault) {
  struct CountingClock final : ClockWrapper {
    using ClockWrapper::ClockWrapper;
    TimerId schedule_at(TimePoint when, std::function<void()> fn) override {
      ++scheduled;
      return ClockWrapper::schedule_at(when, std::move(fn));
    }
    int scheduled = 0;
  };
  struct Recorder final : TimerTarget {
    void on_timer(std::uint64_t key) override { keys.push_back(key); }
    std::vector<std::uint64_t> keys;
  };
  VirtualClock clock(kStart);
  CountingClock wrapper(&clock);
  Recorder recorder;
  wrapper.schedule_call(kStart + Duration(20), &recorder, 7);
  const TimerId cancelled = wrapper.schedule_call(kStart + Duration(10), &recorder, 8);
  wrapper.schedule_call(kStart + Duration(10), &recorder, 9);
  wrapper.cancel(cancelled);
  EXPECT_EQ(wrapper.scheduled, 3);
  EXPECT_EQ(clock.advance_to(kStart + Duration(30)), 2u);
  EXPECT_EQ(recorder.keys, (std::vector<std::uint64_t>{9, 7}));
}

}  // namespace
}  // namespace omnivox
