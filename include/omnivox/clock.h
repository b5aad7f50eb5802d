// The Clock interface: the current time and timers. A real clock (wall time) or the simulator's
// virtual clock, which jumps from event to event so a day-long campaign runs in seconds.
#ifndef OMNIVOX_CLOCK_H_
#define OMNIVOX_CLOCK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "omnivox/types.h"

namespace omnivox {

/// Identifies a scheduled timer; 0 is never a valid id.
using TimerId = std::uint64_t;

/// What a timer scheduled with Clock::schedule_call() runs: on_timer(key) with the key given
/// then. For the timers a simulation sets by the million (a call's events and timeouts): no
/// std::function is built, moved and destroyed per timer.
class TimerTarget {
 public:
  /// Called once when the timer fires, on the thread Clock::schedule_at() names.
  virtual void on_timer(std::uint64_t key) = 0;

 protected:
  ~TimerTarget() = default;
};

/// Moves a virtual clock's time: what Engine::run_for(), run_until_done(), poll() and idle()
/// need from a clock whose time moves only when its owner says so (Clock::virtual_time()).
/// VirtualClock implements it; a clock wrapper may put its own in front of one to see or change
/// how time moves. Every method is called from the one thread that drives the clock, except
/// now(), next_due() and pending(), which are thread-safe.
class VirtualTimeDriver {
 public:
  /// The clock's current instant, UTC (the same as its Clock::now()).
  virtual TimePoint now() const = 0;
  /// Fires the earliest pending timer if it is due at or before `limit`, moving now() to its
  /// time. Returns false (and moves now() to `limit`) when none is due by then. now() never
  /// moves backwards: a timer that fell due before now() fires at now().
  virtual bool advance_one(TimePoint limit) = 0;
  /// Like advance_one, but leaves now() unchanged when no timer is due by `limit` (time stops
  /// at the last event). Same as `next_due() <= limit && advance_one(next_due())`, in one step.
  virtual bool fire_next(TimePoint limit) = 0;
  /// Fires every timer due at or before `limit` in time order, then sets now() to `limit`.
  /// Returns the number of timers fired.
  virtual std::size_t advance_to(TimePoint limit) = 0;
  /// The time of the earliest pending timer, or TimePoint::max() when none is pending.
  virtual TimePoint next_due() const = 0;
  /// Number of pending (not cancelled) timers.
  virtual std::size_t pending() const = 0;
  /// Moves now() forward by `d` (nothing for `d` <= 0) without firing anything: the driving
  /// thread was blocked for `d` (a stalled storage call, see omnivox/testing/faults.h), so
  /// timers that fell due meanwhile fire late, at the next advance, in their order.
  virtual void pass(Duration d) = 0;

 protected:
  ~VirtualTimeDriver() = default;
};

class Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;

  /// The current instant, UTC. Thread-safe.
  virtual TimePoint now() const = 0;
  /// Runs `fn` once at (or as soon as possible after) `when`. Never runs `fn` inside this call.
  /// For a real clock `fn` runs on the clock's own thread; for the virtual clock, inside
  /// VirtualClock::advance(). Thread-safe.
  virtual TimerId schedule_at(TimePoint when, std::function<void()> fn) = 0;
  /// As schedule_at(when, fn) with fn calling `target->on_timer(key)`: the same order, thread
  /// and cancel(). `target` must outlive the timer or cancel it. The default does exactly that
  /// through schedule_at (so a wrapper that overrides only schedule_at sees these timers too);
  /// VirtualClock keeps the target and key without a std::function. Thread-safe.
  virtual TimerId schedule_call(TimePoint when, TimerTarget* target, std::uint64_t key) {
    return schedule_at(when, [target, key] { target->on_timer(key); });
  }
  /// Cancels a timer that has not fired; a no-op for fired or unknown ids. It does not wait for
  /// a callback already running on another thread: see wait_for_running_timers(). Thread-safe.
  virtual void cancel(TimerId id) = 0;
  /// Waits until every timer callback that was running when it was called has returned, so an
  /// object whose timers were cancelled can then be destroyed (cancel() cannot stop a callback
  /// already under way). Returns at once when called from inside a timer callback (no other runs
  /// meanwhile on a clock with one timer thread). Must not be called holding a lock such a
  /// callback may take. Thread-safe. The default returns at once: right for a clock that fires
  /// only inside calls its owner makes (VirtualClock::advance_*).
  virtual void wait_for_running_timers() {}
  /// Stops firing timers for good, so whatever they call into can be destroyed afterwards:
  /// pending timers and any scheduled later never fire, and once stop() returns no callback is
  /// running (it waits for one under way, except when called from inside that callback: then the
  /// clock stops right after it returns). now() keeps working. Idempotent. Thread-safe. The
  /// default does nothing: a clock that fires only inside its owner's calls stops when they stop.
  virtual void stop() {}
  /// For a clock whose time moves only when its owner drives it (simulation): the driver that
  /// moves it, valid as long as the clock. nullptr (the default) for a clock that follows real
  /// time. The engine asks once per run_for()/run_until_done()/poll()/idle() call and drives
  /// the clock only through it. Thread-safe.
  virtual VirtualTimeDriver* virtual_time() { return nullptr; }
  /// True exactly when virtual_time() is not nullptr: time only moves through the driver; the
  /// engine then runs every handler inline on the thread that drives it. Thread-safe.
  bool is_virtual() const { return const_cast<Clock*>(this)->virtual_time() != nullptr; }
};

/// Forwards every call to another Clock, virtual_time() included: wrapping a VirtualClock gives
/// a virtual clock the engine drives as it would the VirtualClock itself. A subclass that wants
/// to see or change how virtual time moves overrides virtual_time() to return its own
/// VirtualTimeDriver, which in turn drives `target()->virtual_time()`.
class ClockWrapper : public Clock {
 public:
  explicit ClockWrapper(Clock* target) : target_(target) {}
  Clock* target() const { return target_; }
  TimePoint now() const override { return target_->now(); }
  TimerId schedule_at(TimePoint when, std::function<void()> fn) override {
    return target_->schedule_at(when, std::move(fn));
  }
  void cancel(TimerId id) override { target_->cancel(id); }
  void wait_for_running_timers() override { target_->wait_for_running_timers(); }
  void stop() override { target_->stop(); }
  VirtualTimeDriver* virtual_time() override { return target_->virtual_time(); }

 private:
  Clock* target_;
};

/// Wall-clock time from std::chrono::system_clock; timers fire on one internal thread.
/// `speed` > 1 makes time run faster than the wall clock from the moment of construction
/// (for watching a simulation at `--speed X`); `start` sets the clock's initial reading.
/// Destroying it stops it (Clock::stop()); it must not be destroyed from inside its own timer
/// callback. Shut down what its timers call into in this order: stop() the clock (or cancel
/// their timers and wait_for_running_timers()), then destroy the targets, then the clock.
std::unique_ptr<Clock> make_system_clock(double speed = 1.0, TimePoint start = TimePoint{});

/// Discrete-event virtual time: its own VirtualTimeDriver. Not thread-safe beyond what Clock
/// and VirtualTimeDriver promise: schedule_at and cancel may be called from any thread, but it
/// is advanced from one thread. Timers at the same instant fire in the order they were
/// scheduled. Final, so calls through a VirtualClock* (as the engine makes once it knows it
/// drives one) are direct calls.
class VirtualClock final : public Clock, public VirtualTimeDriver {
 public:
  explicit VirtualClock(TimePoint start);
  ~VirtualClock() override;
  TimePoint now() const override;
  TimerId schedule_at(TimePoint when, std::function<void()> fn) override;
  TimerId schedule_call(TimePoint when, TimerTarget* target, std::uint64_t key) override;
  void cancel(TimerId id) override;
  /// Returns this clock.
  VirtualTimeDriver* virtual_time() override { return this; }

  // VirtualTimeDriver: see there.
  bool advance_one(TimePoint limit) override;
  bool fire_next(TimePoint limit) override;
  std::size_t advance_to(TimePoint limit) override;
  TimePoint next_due() const override;
  std::size_t pending() const override;
  void pass(Duration d) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omnivox

#endif  // OMNIVOX_CLOCK_H_
