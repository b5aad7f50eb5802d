// Campaign files as the language adapters load them: the parsed file plus the data its world
// needs. Used by the C API (simulations, an engine's simulated world), the Java facade and the
// Python module (CampaignFile.load_replay).
//
// Internal: not installed.
#ifndef OMNIVOX_SRC_BINDINGS_SUPPORT_CAMPAIGN_LOADING_H_
#define OMNIVOX_SRC_BINDINGS_SUPPORT_CAMPAIGN_LOADING_H_

#include "omnivox/config.h"

namespace omnivox::bindings_support {

/// With a replay world (`"world": "replay"`, docs/campaign-file.md), loads its records from the
/// file's replay_path into file.simulation.replay, as `omnivox run` does; returns whether it
/// did. Throws Error(kConfig) for a replay world without a replay file, and what
/// ReplayWorld::load_bank_csv throws (kIo, kConfig naming file:line).
bool load_replay_records(CampaignFile& file);

}  // namespace omnivox::bindings_support

#endif  // OMNIVOX_SRC_BINDINGS_SUPPORT_CAMPAIGN_LOADING_H_
