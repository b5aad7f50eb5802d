// Engine and simulator throughput. Goals (issue 2): >= 500,000 simulated attempts per wall-clock
// second on one core; the bank campaign replay under 10 s.
//   ./build/benchmarks/omnivox_benchmarks --benchmark_filter=Simulated
#include <benchmark/benchmark.h>

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
}
BENCHMARK(BM_SimulatedAttempts)->Args({100000, 200})->Unit(benchmark::kMillisecond)->Iterations(1);

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
