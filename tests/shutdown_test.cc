// Shutdown with a real clock: the clock's thread keeps firing timers while the engine, the
// simulator and the clock are destroyed, and nothing may call into a component that is gone.
// These tests are meant for the asan and tsan presets as much as for the plain build.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "omnivox/clock.h"
#include "omnivox/engine.h"
#include "omnivox/sim.h"
#include "omnivox/storage.h"

namespace omnivox {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = parse_utc("2026-05-04T13:00:00Z");

// Polls `condition` every millisecond for up to `limit` of wall time.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(SystemClockShutdown, StopWaitsForTheCallbackUnderWayAndFiresNothingAfterIt) {
  auto clock = make_system_clock();
  std::atomic<bool> entered{false}, returned{false};
  std::atomic<int> late{0};
  clock->schedule_at(clock->now(), [&] {
    entered = true;
    std::this_thread::sleep_for(100ms);
    returned = true;
  });
  clock->schedule_at(clock->now() + 1ms, [&] { ++late; });
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  clock->stop();
  EXPECT_TRUE(returned) << "stop() returned while a callback was still running";
  clock->schedule_at(clock->now(), [&] { ++late; });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(late, 0) << "a timer fired after stop()";
  clock->stop();  // idempotent
  EXPECT_GT(clock->now(), TimePoint{}) << "now() keeps working";
}

TEST(SystemClockShutdown, WaitForRunningTimersWaitsForACallbackCancelTooLateToStop) {
  auto clock = make_system_clock();
  std::atomic<bool> entered{false}, returned{false};
  const TimerId id = clock->schedule_at(clock->now(), [&] {
    entered = true;
    std::this_thread::sleep_for(100ms);
    returned = true;
  });
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  clock->cancel(id);  // already running: cancel() cannot stop it
  clock->wait_for_running_timers();
  EXPECT_TRUE(returned);
  // The clock goes on after a wait: later timers still fire.
  std::atomic<bool> fired{false};
  clock->schedule_at(clock->now(), [&] { fired = true; });
  EXPECT_TRUE(eventually([&] { return fired.load(); }));
}

TEST(SystemClockShutdown, StopAndWaitFromInsideACallbackReturnAtOnce) {
  auto clock = make_system_clock();
  std::atomic<bool> returned{false};
  std::atomic<int> late{0};
  Clock* raw = clock.get();
  clock->schedule_at(clock->now(), [&, raw] {
    raw->wait_for_running_timers();
    raw->stop();
    returned = true;
  });
  ASSERT_TRUE(eventually([&] { return returned.load(); }));
  clock->schedule_at(clock->now(), [&] { ++late; });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(late, 0);
  clock.reset();  // joins the stopped thread
}

// Counts events; optionally blocks inside the first one until told to go on.
struct CountingSink final : CallEventSink {
  std::atomic<int> events{0};
  std::atomic<bool> block_first{false};
  std::atomic<bool> entered{false}, returned{false};
  void on_call_event(const CallEvent&) override {
    if (block_first.exchange(false)) {
      entered = true;
      std::this_thread::sleep_for(100ms);
      returned = true;
    }
    ++events;
  }
};

OriginateRequest request(CallId id) {
  OriginateRequest r;
  r.call_id = id;
  r.to = "+12125550100";
  r.ring_timeout = 10s;
  return r;
}

TEST(SimulatorShutdown, StopDropsPendingEventsAndStartReopens) {
  VirtualClock clock(kStart);
  Simulator sim(SimulationOptions{}, &clock);
  CountingSink sink;
  sim.start(&sink);
  sim.originate(request(1));
  clock.advance_to(kStart + 1s);  // the call's first events
  const int before = sink.events;
  EXPECT_GT(before, 0);
  sim.stop();
  EXPECT_EQ(clock.pending(), 0u) << "stop() cancels the call's pending events";
  sim.originate(request(2));
  clock.advance_to(kStart + 1h);
  EXPECT_EQ(sink.events, before) << "no event reaches the sink after stop()";
  sim.start(&sink);
  sim.originate(request(3));
  clock.advance_to(kStart + 2h);
  EXPECT_GT(sink.events, before) << "start() sends events again";
}

TEST(SimulatorShutdown, StopWaitsForADeliveryUnderWayOnARealClock) {
  auto clock = make_system_clock(1.0, kStart);
  SimulationOptions so;
  so.setup_delay = Distribution::fixed(0);
  Simulator sim(so, clock.get());
  CountingSink sink;
  sink.block_first = true;
  sim.start(&sink);
  sim.originate(request(1));
  ASSERT_TRUE(eventually([&] { return sink.entered.load(); }));
  sim.stop();
  EXPECT_TRUE(sink.returned) << "stop() returned while the sink was still being called";
  const int after_stop = sink.events;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink.events, after_stop);
}

MemoryStorageOptions without_journal() {
  MemoryStorageOptions options;
  options.keep_journal = false;
  return options;
}

// A campaign on a real clock running 1,000 times faster than the wall: rings, talks and wrap-ups
// take milliseconds, so the clock's thread is delivering events, timeouts and wrap-ups almost all
// the time, and the engine's own thread is handling them.
struct RealClockRig {
  std::unique_ptr<Clock> clock = make_system_clock(1000.0, kStart);
  std::unique_ptr<Storage> storage = make_memory_storage(without_journal());
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<Engine> engine;

  explicit RealClockRig(std::uint64_t seed) {
    SimulationOptions so;
    so.seed = seed;
    so.parametric.answer_delay = Distribution::exponential(4);
    so.parametric.talk = Distribution::exponential(5);
    so.wrap_up = Distribution::fixed(1);
    sim = std::make_unique<Simulator>(so, clock.get());
    EngineOptions eo = Simulation::quiet_engine_options();
    engine = std::make_unique<Engine>(eo, storage.get(), sim.get(), clock.get(), sim.get());
    sim->attach(engine.get());
    CampaignConfig c;
    c.id = "shutdown";
    c.compliance = ComplianceProfile::none();
    c.call_window = CallWindow::always();
    c.ring_timeout = 10s;
    c.max_attempts = 3;
    engine->add_campaign(c);
    for (int i = 0; i < 400; ++i) {
      Contact ct;
      ct.numbers.push_back(PhoneNumber{"+1212555" + std::to_string(1000 + i)});
      engine->add_contact("shutdown", ct);
    }
    for (int i = 0; i < 8; ++i) {
      engine->set_agent_state(engine->add_agent("shutdown", "a"), AgentState::kAvailable);
    }
    engine->start(2);
    engine->start_campaign("shutdown");
  }
};

// The order `omnivox run` used to tear down in: the engine while the clock's thread still
// delivers the simulator's events into its sink, then the simulator, then the clock.
TEST(EngineShutdown, DestroyedWhileARealClockSimulatorDeliversEvents) {
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE(round);
    RealClockRig rig(static_cast<std::uint64_t>(round) + 1);
    ASSERT_TRUE(eventually([&] { return rig.sim->originated() >= 20; }))
        << "the campaign did not get going";
    std::this_thread::sleep_for(std::chrono::microseconds(250 * (round % 8)));
    rig.engine.reset();
    const std::uint64_t originated = rig.sim->originated();
    // The simulator outlives the engine on the running clock: whatever was pending is dropped.
    std::this_thread::sleep_for(2ms);
    EXPECT_EQ(rig.sim->originated(), originated) << "nothing dials once the engine is gone";
    rig.sim.reset();
    rig.clock.reset();
  }
}

// The order `omnivox run` uses now: the clock stops first (no timer fires any more), then the
// engine's threads, and the engine and the simulator go while the clock object still exists.
TEST(EngineShutdown, ClockStoppedFirstThenEngineAndSimulator) {
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    RealClockRig rig(static_cast<std::uint64_t>(round) + 100);
    ASSERT_TRUE(eventually([&] { return rig.sim->originated() >= 20; }));
    std::this_thread::sleep_for(std::chrono::microseconds(300 * (round % 5)));
    rig.clock->stop();
    rig.engine->stop();
    const std::uint64_t originated = rig.sim->originated();
    const long attempts = rig.engine->statistics("shutdown").attempts;
    std::this_thread::sleep_for(5ms);
    EXPECT_EQ(rig.sim->originated(), originated) << "nothing runs once the clock is stopped";
    EXPECT_EQ(rig.engine->statistics("shutdown").attempts, attempts);
    rig.engine.reset();
    rig.sim.reset();
  }
}

}  // namespace
}  // namespace omnivox
