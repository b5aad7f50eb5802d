// The smallest Omnivox host: a campaign of a few contacts, two agents, the simulator as the
// telephony backend, run in virtual time. Build it against an installed Omnivox with
// examples/cpp/CMakeLists.txt (find_package(omnivox)).
#include <omnivox/engine.h>
#include <omnivox/sim.h>

#include <cstdio>

int main() {
  using namespace omnivox;
  auto storage = make_memory_storage();
  VirtualClock clock(parse_utc("2026-05-04T13:00:00Z"));  // 09:00 in New York
  SimulationOptions world;
  world.seed = 7;
  Simulator sim(world, &clock);
  Engine engine({}, storage.get(), &sim, &clock, &sim);
  sim.attach(&engine);

  CampaignConfig campaign;
  campaign.id = "hello";
  campaign.max_attempts = 3;
  engine.add_campaign(campaign);
  for (int i = 0; i < 20; ++i) {
    Contact contact;
    contact.external_id = "contact-" + std::to_string(i);
    contact.numbers.push_back(PhoneNumber{"+1212555" + std::to_string(1000 + i)});
    engine.add_contact("hello", contact);
  }
  for (const char* name : {"alice", "bob"}) {
    engine.set_agent_state(engine.add_agent("hello", name), AgentState::kAvailable);
  }
  engine.start_campaign("hello");
  engine.run_until_done(std::chrono::hours(72));

  CampaignStatistics s = engine.statistics("hello");
  std::printf(
      "attempts %ld, live answers %ld, abandons %ld, occupancy %.1f%%, contacts final %zu/%zu\n",
      s.attempts, s.live_answers, s.abandons, 100 * s.occupancy, s.contacts_final,
      s.contacts_total);
  return s.contacts_final == s.contacts_total ? 0 : 1;
}
