// Mutexes for the locks a simulation takes tens of times per call attempt (the virtual clock, the
// memory storage, the engine's handler lock), almost never contended: one thread drives a
// virtual-time run. Their uncontended lock and unlock are a single atomic instruction in the
// caller, where std::mutex calls into the C library (pthread_mutex_lock: type checks, owner
// bookkeeping); under contention they sleep on a futex like std::mutex does.
//
// Under ThreadSanitizer both are the standard mutexes: TSan's lock-order (deadlock) checks know
// those, and it is what the threading tests run under.
#pragma once

#include <pthread.h>

#include <atomic>
#include <mutex>

namespace omnivox::detail {

#if defined(__SANITIZE_THREAD__)
#define OMNIVOX_STANDARD_MUTEXES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OMNIVOX_STANDARD_MUTEXES 1
#endif
#endif

#ifdef OMNIVOX_STANDARD_MUTEXES
using LightMutex = std::mutex;
using LightRecursiveMutex = std::recursive_mutex;
#else

/// A non-recursive mutex (Lockable). The three-state futex algorithm of U. Drepper, "Futexes Are
/// Tricky" (2011), mutex 3: 0 free, 1 locked, 2 locked and perhaps waited on; unlock wakes a
/// sleeper only from state 2. The sleep is std::atomic::wait (a futex on Linux).
class LightMutex {
 public:
  void lock() noexcept {
    int seen = 0;
    if (state_.compare_exchange_strong(seen, 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      return;
    }
    lock_contended(seen);
  }
  bool try_lock() noexcept {
    int seen = 0;
    return state_.compare_exchange_strong(seen, 1, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void unlock() noexcept {
    if (state_.exchange(0, std::memory_order_release) == 2) state_.notify_one();
  }

 private:
  void lock_contended(int seen) noexcept {
    if (seen != 2) seen = state_.exchange(2, std::memory_order_acquire);
    while (seen != 0) {
      state_.wait(2, std::memory_order_relaxed);
      seen = state_.exchange(2, std::memory_order_acquire);
    }
  }
  std::atomic<int> state_{0};
};

/// A recursive mutex over LightMutex: the owning thread (told apart by pthread_self(), unique
/// among live threads) may lock again; each lock needs its unlock.
class LightRecursiveMutex {
 public:
  void lock() noexcept {
    const void* me = this_thread();
    if (owner_.load(std::memory_order_relaxed) == me) {
      ++depth_;
      return;
    }
    mutex_.lock();
    owner_.store(me, std::memory_order_relaxed);
    depth_ = 1;
  }
  bool try_lock() noexcept {
    const void* me = this_thread();
    if (owner_.load(std::memory_order_relaxed) == me) {
      ++depth_;
      return true;
    }
    if (!mutex_.try_lock()) return false;
    owner_.store(me, std::memory_order_relaxed);
    depth_ = 1;
    return true;
  }
  void unlock() noexcept {
    if (--depth_ > 0) return;
    owner_.store(nullptr, std::memory_order_relaxed);
    mutex_.unlock();
  }

 private:
  // pthread_self() reads the thread pointer; a thread_local's address in a shared library goes
  // through __tls_get_addr, which cost more than the lock itself.
  static const void* this_thread() noexcept {
    return reinterpret_cast<const void*>(pthread_self());
  }
  LightMutex mutex_;
  // Only the owner writes its own address here, and only it can read its own address back;
  // other threads may read a stale value, which is never theirs.
  std::atomic<const void*> owner_{nullptr};
  unsigned depth_ = 0;
};

#endif

}  // namespace omnivox::detail
