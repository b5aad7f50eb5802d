// The C++ side of the cross-language equality test: runs a campaign file in simulation exactly as
// omnivox_simulation_create + import_contacts(NULL) + start + run_until_done(0) do, and writes
// one line per finished attempt, in callback order, then the campaign statistics:
//   A <call_id> <contact_id> <attempt_number> <DISPOSITION> <ended_at_ms>
//   S attempts=<n> live_answers=<n> abandons=<n> connects=<n> contacts_final=<n>
// Usage: omnivox_bank_dump_cpp CAMPAIGN_JSON OUT_TXT
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>

#include "omnivox/config.h"
#include "omnivox/sim.h"

namespace {

class AttemptWriter : public omnivox::EventListener {
 public:
  explicit AttemptWriter(std::FILE* out) : out_(out) {}
  void on_attempt_finished(const omnivox::Attempt& a) override {
    std::fprintf(out_, "A %llu %llu %u %s %lld\n", static_cast<unsigned long long>(a.call_id),
                 static_cast<unsigned long long>(a.contact_id),
                 static_cast<unsigned>(a.attempt_number), omnivox::to_string(a.disposition),
                 static_cast<long long>(a.ended_at.time_since_epoch().count()));
  }

 private:
  std::FILE* out_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CAMPAIGN_JSON OUT_TXT\n", argv[0]);
    return 2;
  }
  try {
    std::filesystem::path campaign_path = argv[1];
    std::ifstream in(campaign_path);
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    omnivox::CampaignFile file = omnivox::parse_campaign_json(
        json, campaign_path.parent_path().string(), campaign_path.string());
    if (file.simulation.replay) {
      file.simulation.replay->records =
          omnivox::ReplayWorld::load_bank_csv(file.replay_path).records;
    }
    std::FILE* out = std::fopen(argv[2], "w");
    if (out == nullptr) {
      std::perror(argv[2]);
      return 1;
    }
    AttemptWriter writer(out);
    omnivox::Simulation sim(file.simulation, file.start,
                            omnivox::Simulation::quiet_engine_options(),
                            omnivox::MemoryStorageOptions{/*keep_journal=*/false}, &writer);
    omnivox::Engine& engine = sim.engine();
    engine.add_campaign(file.campaign);
    sim.add_agents(file.campaign.id, file.agents, /*log_in=*/true);
    engine.import_contacts(file.campaign.id, "main", file.contacts_path, file.import);
    engine.start_campaign(file.campaign.id);
    engine.run_until_done(file.max_duration);
    omnivox::CampaignStatistics s = engine.statistics(file.campaign.id);
    std::fprintf(out,
                 "S attempts=%ld live_answers=%ld abandons=%ld connects=%ld contacts_final=%zu\n",
                 s.attempts, s.live_answers, s.abandons, s.connects, s.contacts_final);
    return std::fclose(out) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omnivox_bank_dump_cpp: %s\n", e.what());
    return 1;
  }
}
