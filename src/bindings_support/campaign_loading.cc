// Campaign files as the language adapters load them: see campaign_loading.h.
#include "bindings_support/campaign_loading.h"

#include <utility>

#include "omnivox/sim.h"

namespace omnivox::bindings_support {

bool load_replay_records(CampaignFile& file) {
  if (!file.simulation.replay) return false;
  if (file.replay_path.empty()) {
    throw Error(ErrorCode::kConfig, "replay world without a replay file");
  }
  ReplayWorld replay = ReplayWorld::load_bank_csv(file.replay_path);
  file.simulation.replay->records = std::move(replay.records);
  return true;
}

}  // namespace omnivox::bindings_support
