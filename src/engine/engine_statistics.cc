#include "engine/engine_impl.h"

namespace omnivox {

CampaignStatistics Engine::Impl::stats(const Campaign& c) const {
  CampaignStatistics s;
  TimePoint t = now();
  s.campaign_id = c.config.id;
  s.at = t;
  s.attempts_reconciled = c.reconciled;
  for (const auto& [id, done] : unsaved) s.completions_unsaved += done.campaign == &c;
  double in_state[kAgentStateCount] = {};
  for (AgentId id : c.agents) {
    const Agent& a = agents[id];
    ++s.agents_by_state[static_cast<int>(a.state)];
    for (int k = 0; k < kAgentStateCount; ++k) in_state[k] += a.seconds_in[k];
    in_state[static_cast<int>(a.state)] += to_seconds(t - a.state_since);
  }
  s.attempts = c.attempts;
  s.attempts_in_flight = c.in_flight;
  s.live_answers = c.live_answers;
  s.machines = c.machines;
  s.abandons = c.abandons;
  s.connects = c.connects;
  s.amd_suspended = c.amd_suspended;
  s.abandon_rate = c.live_answers ? static_cast<double>(c.abandons) / c.live_answers : 0.0;
  s.abandon_rate_window = c.governor->window(t).rate;
  s.talk_seconds = in_state[static_cast<int>(AgentState::kOnCall)] +
                   in_state[static_cast<int>(AgentState::kReserved)];
  s.wrap_seconds = in_state[static_cast<int>(AgentState::kWrapUp)];
  double available = in_state[static_cast<int>(AgentState::kAvailable)];
  s.logged_in_seconds =
      s.talk_seconds + s.wrap_seconds + available + in_state[static_cast<int>(AgentState::kPaused)];
  double working = s.talk_seconds + s.wrap_seconds + available;
  s.occupancy = working > 0 ? (s.talk_seconds + s.wrap_seconds) / working : 0.0;
  int staffed = 0;
  for (AgentId id : c.agents) {
    AgentState st = agents[id].state;
    if (st != AgentState::kLoggedOut && st != AgentState::kPaused) ++staffed;
  }
  s.dial_level = staffed ? static_cast<double>(c.in_flight) / staffed : 0.0;
  // Every contact has one status: the counts by status sum to the total (one query, not two).
  auto by_status = storage->count_by_status(c.config.id);
  for (std::size_t k = 0; k < by_status.size(); ++k) {
    s.contacts_total += by_status[k];
    if (is_final(static_cast<ContactStatus>(k))) s.contacts_final += by_status[k];
  }
  s.dial_queue_size = c.queue.size();
  for (int k = 0; k < kDispositionCount; ++k) s.dispositions[k] = c.dispositions[k];
  return s;
}

CampaignStatistics Engine::statistics(const std::string& campaign_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  return impl_->stats(impl_->campaign_or_throw(campaign_id));
}

AgentStatistics Engine::agent_statistics(const std::string& campaign_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->campaign_or_throw(campaign_id);
  return impl_->activity.report(campaign_id, impl_->now());
}

EligibilityReport Engine::explain(ContactId contact_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  auto contact = impl_->storage->get_contact(contact_id);
  if (!contact) {
    throw Error(ErrorCode::kNotFound, "explain: unknown contact " + std::to_string(contact_id));
  }
  Impl::Campaign& c = impl_->campaign_or_throw(contact->campaign_id);
  return c.generator->explain(*contact, impl_->now(), impl_->options.owner_token);
}

EligibilityCensus Engine::census(const std::string& campaign_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Campaign& c = impl_->campaign_or_throw(campaign_id);
  return {c.generator->census(impl_->now())};
}

}  // namespace omnivox
