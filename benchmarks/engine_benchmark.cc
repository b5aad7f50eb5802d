// Engine and simulator throughput. Goals: >= 500,000 simulated attempts per wall-clock
// second on one core; the bank campaign replay under 10 s.
//   ./build/benchmarks/omnivox_benchmarks --benchmark_filter=Simulated
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "omnivox/call_state_machine.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

const TimePoint kStart = parse_utc("2026-05-04T08:00:00Z");

// A parametric campaign with an always-open window: attempts are limited only by the engine.
void BM_SimulatedAttempts(benchmark::State& state) {
  const int contacts = static_cast<int>(state.range(0));
  const int agents = static_cast<int>(state.range(1));
  std::int64_t attempts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    SimulationOptions so;
    so.parametric.talk = Distribution::exponential(60);
    so.wrap_up = Distribution::fixed(5);
    Simulation simulation(so, kStart);
    Engine& engine = simulation.engine();
    CampaignConfig c;
    c.id = "bench";
    c.compliance = ComplianceProfile::none();
    c.call_window = CallWindow::always();
    c.max_attempts = 3;
    c.dial_mode = DialMode::kPower;
    c.power_lines_per_agent = 3;
    engine.add_campaign(c);
    for (int i = 0; i < contacts; ++i) {
      Contact ct;
      ct.numbers.push_back(PhoneNumber{"+1212" + std::to_string(5000000 + i % 4000000)});
      engine.add_contact("bench", std::move(ct));
    }
    simulation.add_agents("bench", agents);
    state.ResumeTiming();
    engine.start_campaign("bench");
    engine.run_until_done(std::chrono::hours(24 * 365));
    attempts += engine.statistics("bench").attempts;
  }
  state.counters["attempts_per_s"] =
      benchmark::Counter(static_cast<double>(attempts), benchmark::Counter::kIsRate);
  state.counters["attempts"] = static_cast<double>(attempts);
}
BENCHMARK(BM_SimulatedAttempts)->Args({100000, 200})->Unit(benchmark::kMillisecond)->Iterations(1);

// An 8-hour calling day of a large contact centre (goal: 1,000 agents over 10,000,000 contacts in
// under 60 s of wall time). US rules (FTC/FCC abandon cap through the governor, 08:00-21:00 in
// the contact's zone: New York numbers, the day starts 09:00 EDT), POWER dialing at 2 lines per
// agent, the simulator's default parametric world (30 % live, lognormal 180 s talk) and 10 s
// wrap-up. Loading the contacts is timed separately ("load_s") from the day ("day_s").
void BM_SimulatedDay(benchmark::State& state) {
  const int contacts = static_cast<int>(state.range(0));
  const int agents = static_cast<int>(state.range(1));
  for (auto _ : state) {
    SimulationOptions so;
    so.wrap_up = Distribution::fixed(10);
    const TimePoint start = parse_utc("2026-05-05T13:00:00Z");
    Simulation simulation(so, start);
    Engine& engine = simulation.engine();
    CampaignConfig c;
    c.id = "day";
    c.max_attempts = 3;
    c.dial_mode = DialMode::kPower;
    c.power_lines_per_agent = 2;
    engine.add_campaign(c);
    auto load_begin = std::chrono::steady_clock::now();
    std::string number = "+1212";
    for (int i = 0; i < contacts; ++i) {
      Contact ct;
      number.resize(5);
      number += std::to_string(2000000 + i % 7000000);
      ct.numbers.push_back(PhoneNumber{number});
      engine.add_contact("day", std::move(ct));
    }
    simulation.add_agents("day", agents);
    auto day_begin = std::chrono::steady_clock::now();
    engine.start_campaign("day");
    engine.run_for(std::chrono::hours(8));
    auto day_end = std::chrono::steady_clock::now();
    auto s = engine.statistics("day");
    state.counters["load_s"] = std::chrono::duration<double>(day_begin - load_begin).count();
    state.counters["day_s"] = std::chrono::duration<double>(day_end - day_begin).count();
    state.counters["attempts"] = static_cast<double>(s.attempts);
    state.counters["attempts_per_s"] = static_cast<double>(s.attempts) /
                                       std::chrono::duration<double>(day_end - day_begin).count();
    state.counters["abandon_rate"] = s.abandon_rate;
  }
}
BENCHMARK(BM_SimulatedDay)
    ->Args({1000000, 1000})
    ->Args({10000000, 1000})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

void BM_StateMachineEvents(benchmark::State& state) {
  const CallEventKind kinds[] = {CallEventKind::kInitiated, CallEventKind::kRinging,
                                 CallEventKind::kAnswered, CallEventKind::kBridged,
                                 CallEventKind::kCompleted};
  TimePoint t = kStart;
  std::int64_t events = 0;
  for (auto _ : state) {
    CallStateMachine sm(t);
    std::uint32_t seq = 0;
    for (auto kind : kinds) {
      CallEvent e;
      e.kind = kind;
      e.sequence = ++seq;
      benchmark::DoNotOptimize(sm.apply(e, t));
    }
    events += 5;
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StateMachineEvents);

// The bank replay as `omnivox run` does it, minus the report (import included).
void BM_BankCampaign(benchmark::State& state) {
  const std::string path = std::string(OMNIVOX_EXAMPLES_DIR) + "/campaigns/bank.json";
  for (auto _ : state) {
    CampaignFile file = load_campaign_file(path);
    ReplayWorld replay = ReplayWorld::load_bank_csv(file.replay_path);
    file.simulation.replay->records = std::move(replay.records);
    Simulation simulation(file.simulation, file.start);
    Engine& engine = simulation.engine();
    engine.add_campaign(file.campaign);
    engine.import_contacts(file.campaign.id, "main", file.contacts_path, file.import);
    simulation.add_agents(file.campaign.id, file.agents);
    engine.start_campaign(file.campaign.id);
    engine.run_until_done(file.max_duration);
    auto s = engine.statistics(file.campaign.id);
    state.counters["attempts"] = static_cast<double>(s.attempts);
    state.counters["contacts_final"] = static_cast<double>(s.contacts_final);
  }
}
BENCHMARK(BM_BankCampaign)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace omnivox
