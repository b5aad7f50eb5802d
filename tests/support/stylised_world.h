// The world and campaign of the stylised pacing model (docs/pacing.md, "The optimum as a
// reference") for tests that run the engine in the simulator against the optimum's figures.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "omnivox/engine.h"
#include "omnivox/sim.h"

namespace omnivox {

/// Simulation options of the stylised model: every attempt resolves after an exponential time
/// of mean `attempt_mean_s` seconds, live with probability `p_live` and otherwise busy (no
/// machines, no invalid numbers); a live call is handled for an exponential time of mean
/// `handle_mean_s` seconds, with no set-up or wrap-up, and its caller waits up to an hour (the
/// campaign's hold window decides when it is abandoned).
inline SimulationOptions stylised_world(std::uint64_t seed, double p_live, double attempt_mean_s,
                                        double handle_mean_s) {
  SimulationOptions so;
  so.seed = seed;
  so.parametric.p_live = p_live;
  so.parametric.p_machine = 0;
  so.parametric.p_busy = 1 - p_live;
  so.parametric.p_invalid = 0;
  so.parametric.answer_delay = Distribution::exponential(attempt_mean_s);
  so.parametric.busy_delay = Distribution::exponential(attempt_mean_s);
  so.parametric.talk = Distribution::exponential(handle_mean_s);
  so.setup_delay = Distribution::fixed(0);
  so.wrap_up = Distribution::fixed(0);
  so.patience = Distribution::fixed(3600);
  return so;
}

/// A PREDICTIVE campaign of the stylised model: always open, one attempt per contact, never cut
/// short by the ring timeout, the abandon cap `abandon_cap` (a fraction of live answers) under a
/// compliance profile of its own name with no other rule, and the hold window `hold_window`.
inline CampaignConfig stylised_campaign(std::string id, double abandon_cap, Duration hold_window) {
  CampaignConfig c;
  c.compliance = ComplianceProfile::none();
  c.compliance.name = "STYLISED";
  c.compliance.abandon_cap = abandon_cap;
  c.compliance.hold_window = hold_window;
  c.id = std::move(id);
  c.dial_mode = DialMode::kPredictive;
  c.call_window = CallWindow::always();
  c.max_attempts = 1;
  c.retry_rules.clear();
  c.ring_timeout = std::chrono::hours(1);
  c.hold_window = hold_window;
  return c;
}

/// Adds `count` contacts to `campaign`, each with its own number (+12122000000 onwards).
inline void add_numbered_contacts(Engine& engine, const std::string& campaign, long count) {
  for (long i = 0; i < count; ++i) {
    Contact contact;
    contact.numbers.push_back(PhoneNumber{"+1212" + std::to_string(2000000 + i)});
    engine.add_contact(campaign, std::move(contact));
  }
}

}  // namespace omnivox
