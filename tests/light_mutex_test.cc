// The light mutexes of the simulation's hot locks (src/util/light_mutex.h): mutual exclusion
// under contention (threads that must sleep and be woken), try_lock, and recursion.
#include "util/light_mutex.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace omnivox::detail {
namespace {

template <typename Mutex>
long contended_increments(int threads, int each) {
  Mutex mutex;
  long counter = 0;  // not atomic: only the mutex keeps it exact
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < each; ++i) {
        std::lock_guard<Mutex> lock(mutex);
        long seen = counter;
        if (i % 64 == 0) std::this_thread::yield();  // hold it a while: others must sleep
        counter = seen + 1;
      }
    });
  }
  for (auto& w : workers) w.join();
  return counter;
}

// Whether another thread can take `mutex` now (it lets it go again).
template <typename Mutex>
bool free_for_another_thread(Mutex& mutex) {
  bool got = false;
  std::thread([&] {
    got = mutex.try_lock();
    if (got) mutex.unlock();
  }).join();
  return got;
}

TEST(LightMutex, ExcludesUnderContention) {
  EXPECT_EQ(contended_increments<LightMutex>(4, 20000), 80000);
}

TEST(LightMutex, TryLockFailsWhileHeld) {
  LightMutex mutex;
  ASSERT_TRUE(mutex.try_lock());
  EXPECT_FALSE(free_for_another_thread(mutex));
  mutex.unlock();
  EXPECT_TRUE(free_for_another_thread(mutex));
}

TEST(LightRecursiveMutex, TheOwnerLocksAgainOthersWait) {
  EXPECT_EQ(contended_increments<LightRecursiveMutex>(4, 20000), 80000);
  LightRecursiveMutex mutex;
  mutex.lock();
  ASSERT_TRUE(mutex.try_lock());  // again, same thread
  mutex.lock();
  EXPECT_FALSE(free_for_another_thread(mutex));
  mutex.unlock();
  mutex.unlock();
  EXPECT_FALSE(free_for_another_thread(mutex));  // still held once
  mutex.unlock();
  EXPECT_TRUE(free_for_another_thread(mutex));
}

}  // namespace
}  // namespace omnivox::detail
