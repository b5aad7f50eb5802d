#include "engine/engine_impl.h"

namespace omnivox {

void Engine::Impl::set_agent(Agent& a, AgentState to, CallId call) {
  TimePoint t = now();
  a.seconds_in[static_cast<int>(a.state)] += to_seconds(t - a.state_since);
  AgentState from = a.state;
  auto count = [&](Campaign& c) {
    --c.agents_in_state[static_cast<int>(from)];
    ++c.agents_in_state[static_cast<int>(to)];
    if (from != to && from == AgentState::kAvailable) {
      *std::find(c.available.begin(), c.available.end(), a.id) = c.available.back();
      c.available.pop_back();
    } else if (from != to && to == AgentState::kAvailable) {
      c.available.push_back(a.id);
    }
  };
  if (a.shared.empty()) {
    count(*a.campaign);
  } else {
    for (Campaign* c : a.shared) count(*c);
  }
  a.state = to;
  a.state_since = t;
  activity.on_state(a.id, to, t);
  if (to == AgentState::kAvailable) a.idle_since = t;
  if (to == AgentState::kReserved || (to == AgentState::kOnCall && from != AgentState::kReserved)) {
    a.handle_since = t;
  }
  notify(EventListener::kAgentStates, [&](EventListener& l) {
    l.on_agent_state({t, a.campaign_id, a.id, from, to, call});
  });
}

void Engine::Impl::set_preview(Agent& a, std::optional<DialQueueEntry> entry) {
  Campaign& c = *a.campaign;
  c.agents_previewing += (entry ? 1 : 0) - (a.preview ? 1 : 0);
  a.preview = std::move(entry);
}

Engine::Impl::Agent* Engine::Impl::longest_idle_agent(Campaign& c) {
  Agent* best = nullptr;
  bool best_mine = true;
  for (AgentId id : c.available) {
    Agent& a = agents[id];
    if (a.preview || (inbound->active() && !inbound->takes_outbound(id))) continue;
    // With shared agents, first those c's pacing counted (it dialled for them).
    const bool mine = c.shared_agents == 0 || a.shared.empty() || counted_for(a) == &c;
    if (!best) {
      best = &a;
      best_mine = mine;
      continue;
    }
    bool a_departing = a.after_wrap_up.has_value(),
         best_departing = best->after_wrap_up.has_value();
    if (mine != best_mine                  ? mine
        : a_departing != best_departing    ? !a_departing
        : a.idle_since != best->idle_since ? a.idle_since < best->idle_since
                                           : a.id < best->id) {
      best = &a;
      best_mine = mine;
    }
  }
  return best;
}

bool Engine::Impl::has_work(const Campaign& c) const {
  return c.started && (c.pending > 0 || !c.waiting.empty() || !c.queue.empty() ||
                       now() >= c.refill_blocked_until);
}

const Engine::Impl::Campaign* Engine::Impl::counted_for(const Agent& a) const {
  if (a.shared.empty()) return a.campaign;
  const Campaign* first = nullptr;
  for (const Campaign* c : a.shared) {
    if (!c->started) continue;
    if (first == nullptr) first = c;
    if (has_work(*c)) return c;
  }
  return first;
}

void Engine::Impl::hand_over_shared_agents(const Campaign& c) {
  std::vector<Campaign*> others;
  for (AgentId id : c.agents) {
    for (Campaign* other : agents[id].shared) {
      if (other != &c && std::find(others.begin(), others.end(), other) == others.end()) {
        others.push_back(other);
      }
    }
  }
  // A campaign paced here may run out of work too and hand over in turn: each does so once, as
  // only a change from work to none hands over.
  for (Campaign* other : others) pace(*other);
}
Engine::Impl::AgentCounts Engine::Impl::count_agents(const Campaign& c, AgentId leaver,
                                                     bool outbound_only) const {
  AgentCounts n;
  for (AgentId id : c.agents) {
    const Agent& a = agents[id];
    if (outbound_only && inbound->active() && !inbound->takes_outbound(id)) continue;
    const bool shared = !a.shared.empty();
    switch (a.state) {
      case AgentState::kLoggedOut:
        break;
      case AgentState::kAvailable: {
        const bool free = !a.preview && (!a.after_wrap_up || a.id == leaver);
        if (!shared || (free ? counted_for(a) == &c : a.campaign == &c)) {
          ++n.logged_in;
          n.idle += free;
        }
        break;
      }
      case AgentState::kPaused:
        if (!shared || a.campaign == &c) ++n.logged_in, ++n.paused;
        break;
      default:  // RESERVED, ON_CALL, WRAP_UP
        if (!shared || (a.working_for ? a.working_for : a.campaign) == &c) {
          ++n.logged_in, ++n.busy;
        }
        break;
    }
  }
  return n;
}

void Engine::Impl::set_agent_campaigns(Agent& a, std::vector<Campaign*> ordered) {
  if (ordered.size() <= 1) ordered.clear();
  auto leave = [&](Campaign& c) {
    --c.agents_in_state[static_cast<int>(a.state)];
    if (a.state == AgentState::kAvailable) {
      c.available.erase(std::find(c.available.begin(), c.available.end(), a.id));
    }
    c.agents.erase(std::find(c.agents.begin(), c.agents.end(), a.id));
  };
  auto join = [&](Campaign& c) {
    ++c.agents_in_state[static_cast<int>(a.state)];
    if (a.state == AgentState::kAvailable) c.available.push_back(a.id);
    c.agents.push_back(a.id);
  };
  for (Campaign* c : a.shared) {
    --c->shared_agents;
    if (c != a.campaign) leave(*c);
  }
  a.shared = std::move(ordered);
  for (Campaign* c : a.shared) {
    ++c->shared_agents;
    if (c != a.campaign) join(*c);
  }
}

void Engine::Impl::pace_campaigns_of(const Agent& a, const Campaign* done) {
  if (a.shared.empty()) {
    if (a.campaign != done) pace(*a.campaign);
    return;
  }
  for (Campaign* c : a.shared) {
    if (c != done) pace(*c);
  }
}

bool Engine::Impl::serve_waiting(Campaign& c, Agent& a) {
  while (!c.waiting.empty()) {
    CallId id = c.waiting.front();
    c.waiting.pop_front();
    auto it = calls.find(id);
    if (it == calls.end() || it->second.sm.state() != CallState::kHuman) continue;
    connect(it->second, a);
    return true;
  }
  return false;
}

void Engine::Impl::agent_freed(Agent& a) {
  a.working_for = nullptr;
  if (inbound->active()) inbound->note_free();
  if (a.after_wrap_up && *a.after_wrap_up != AgentState::kAvailable) {
    AgentState next = *a.after_wrap_up;
    a.after_wrap_up.reset();
    set_agent(a, next, kNoCall);
    return;
  }
  a.after_wrap_up.reset();
  set_agent(a, AgentState::kAvailable, kNoCall);
  // Inbound-only agents never take the campaign's calls.
  const bool outbound = !inbound->active() || inbound->takes_outbound(a.id);
  if (outbound) {
    if (a.shared.empty()) {
      if (serve_waiting(*a.campaign, a)) return;
    } else {
      // The live answers of the campaign of its highest skill priority first.
      for (Campaign* c : a.shared) {
        if (serve_waiting(*c, a)) return;
      }
    }
  }
  if (inbound->active()) inbound->offer(a.id);
}

void Engine::Impl::connect(Call& call, Agent& a) {
  if (a.state == AgentState::kAvailable && a.after_wrap_up) {
    --a.campaign->agents_departing;  // leaves after this call instead
  }
  a.working_for = call.campaign;
  call.waiting = false;
  call.agent = a.id;
  call.attempt.agent = a.id;
  a.call = call.attempt.call_id;
  if (a.state != AgentState::kReserved) set_agent(a, AgentState::kReserved, call.attempt.call_id);
  telephony->bridge(call.attempt.call_id, a.id);
}

bool Engine::Impl::can_depart(const Campaign& c) const {
  int idle = c.agents_in_state[static_cast<int>(AgentState::kAvailable)] - c.agents_previewing -
             c.agents_departing;
  return c.pending + static_cast<int>(c.waiting.size()) < idle;  // idle counts the leaver
}

bool Engine::Impl::agent_can_depart(const Agent& a) const {
  if (a.shared.empty()) return can_depart(*a.campaign);
  const Campaign* c = counted_for(a);
  if (c == nullptr) return true;
  return c->pending + static_cast<int>(c->waiting.size()) < count_agents(*c, a.id).idle;
}

void Engine::Impl::release_departing(Campaign& c) {
  for (AgentId id : c.agents) {
    if (c.agents_departing == 0) return;
    Agent& a = agents[id];
    // A shared agent's departure is counted by its own campaign.
    if (a.campaign != &c || a.state != AgentState::kAvailable || !a.after_wrap_up) continue;
    // This agent is counted as departing; it may go if the others cover the pending calls.
    --c.agents_departing;
    if (!agent_can_depart(a)) {
      ++c.agents_departing;
      return;
    }
    AgentState next = *a.after_wrap_up;
    a.after_wrap_up.reset();
    set_agent(a, next, kNoCall);
  }
}

AgentId Engine::add_agent(const std::string& campaign_id, const std::string& name) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Campaign& c = impl_->campaign_or_throw(campaign_id);
  Impl::Agent a;
  a.id = static_cast<AgentId>(impl_->agents.size());
  a.name = name;
  a.campaign_id = campaign_id;
  a.campaign = &c;
  a.state_since = impl_->now();
  impl_->activity.add_agent(a.id, campaign_id, name, a.state_since);
  impl_->agents.push_back(std::move(a));
  c.agents.push_back(impl_->agents.back().id);
  ++c.agents_in_state[static_cast<int>(AgentState::kLoggedOut)];
  return impl_->agents.back().id;
}

void Engine::set_agent_state(AgentId agent, AgentState state) {
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    impl_->agent_or_throw(agent);
  }
  if (state == AgentState::kReserved || state == AgentState::kOnCall ||
      state == AgentState::kWrapUp) {
    throw Error(ErrorCode::kInvalidArgument, std::string("set_agent_state: ") + to_string(state) +
                                                 " is set by the engine, not the host");
  }
  impl_->mutate([this, agent, state] {
    Impl::Agent& a = impl_->agents[agent];
    switch (a.state) {
      case AgentState::kReserved:
      case AgentState::kOnCall:
      case AgentState::kWrapUp:
        a.after_wrap_up = state;
        return;
      default:
        break;
    }
    if (a.state == state) return;
    Impl::Campaign& campaign = *a.campaign;
    if (a.state == AgentState::kAvailable && a.after_wrap_up) {
      // Already departing: a new request replaces the old one (AVAILABLE cancels it).
      --campaign.agents_departing;
      a.after_wrap_up.reset();
      if (state == AgentState::kAvailable) {
        impl_->pace_campaigns_of(a);
        return;
      }
    }
    if (a.state == AgentState::kAvailable && !a.preview && !impl_->agent_can_depart(a)) {
      ++campaign.agents_departing;
      a.after_wrap_up = state;
      impl_->pace_campaigns_of(a);
      return;
    }
    if (a.preview && state != AgentState::kAvailable) {
      impl_->storage->release_lease(a.preview->contact_id, impl_->options.owner_token);
      a.campaign->held.erase(a.preview->contact_id);
      impl_->set_preview(a, std::nullopt);
    }
    if (state == AgentState::kAvailable) {
      impl_->agent_freed(a);
    } else {
      impl_->set_agent(a, state, kNoCall);
    }
    impl_->pace_campaigns_of(a);
  });
}

std::optional<DialQueueEntry> Engine::preview_next(AgentId agent) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Agent& a = impl_->agent_or_throw(agent);
  if (a.preview) return a.preview;
  if (a.state != AgentState::kAvailable) {
    throw Error(ErrorCode::kState, "preview_next: agent " + std::to_string(agent) + " is " +
                                       to_string(a.state) + ", not AVAILABLE");
  }
  Impl::Campaign& c = *a.campaign;
  for (int round = 0; round < 2; ++round) {
    if (c.queue.empty()) {
      c.refill_blocked_until = TimePoint{};
      impl_->refill(c, 1);
    }
    while (!c.queue.empty()) {
      DialQueueEntry e = std::move(c.queue.front());
      c.queue.pop_front();
      c.leased_ahead.erase(e.contact_id);  // claimed again below: a renewal
      std::vector<ContactId> ids{e.contact_id};
      auto claimed = impl_->storage->claim_leases(ids, impl_->options.owner_token,
                                                  impl_->lease_now(), impl_->options.lease_ttl);
      if (claimed.empty()) {
        c.held.erase(e.contact_id);
        continue;
      }
      impl_->set_preview(a, e);
      return e;
    }
  }
  return std::nullopt;
}

CallId Engine::dial_preview(AgentId agent) {
  CallId id = kNoCall;
  impl_->run_handler([&] {
    Impl::Agent& a = impl_->agent_or_throw(agent);
    if (!a.preview) {
      throw Error(ErrorCode::kState,
                  "dial_preview: agent " + std::to_string(agent) + " has no previewed contact");
    }
    DialQueueEntry e = *a.preview;
    id = impl_->originate(*a.campaign, e, agent);
  });
  if (id == kNoCall) {
    throw Error(ErrorCode::kState, "dial_preview: the previewed contact is no longer dialable");
  }
  return id;
}

void Engine::skip_preview(AgentId agent) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Agent& a = impl_->agent_or_throw(agent);
  if (!a.preview) return;
  impl_->storage->release_lease(a.preview->contact_id, impl_->options.owner_token);
  a.campaign->held.erase(a.preview->contact_id);
  impl_->set_preview(a, std::nullopt);
}

CallId Engine::call_now(ContactId contact_id, AgentId agent) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Agent& a = impl_->agent_or_throw(agent);
  if (a.state != AgentState::kAvailable || a.preview) {
    throw Error(ErrorCode::kState, "call_now: agent " + std::to_string(agent) + " is not free");
  }
  auto contact = impl_->storage->get_contact(contact_id);
  Impl::Campaign* own = a.campaign;  // or, for a shared agent, the contact's campaign
  for (Impl::Campaign* other : a.shared) {
    if (contact && other->config.id == contact->campaign_id) own = other;
  }
  Impl::Campaign& c = *own;
  if (!contact || contact->campaign_id != c.config.id) {
    throw Error(ErrorCode::kNotFound, "call_now: contact " + std::to_string(contact_id) +
                                          " is not in campaign " + c.config.id);
  }
  if (c.held.count(contact_id)) {
    // Queued here but not dialed: take it out of the dial queue.
    auto it = std::find_if(c.queue.begin(), c.queue.end(),
                           [&](const DialQueueEntry& e) { return e.contact_id == contact_id; });
    if (it == c.queue.end()) {
      throw Error(ErrorCode::kState,
                  "call_now: contact " + std::to_string(contact_id) + " is already being dialed");
    }
    c.queue.erase(it);
    c.held.erase(contact_id);
    c.leased_ahead.erase(contact_id);  // claimed again below: a renewal
  }
  EligibilityReport report = c.generator->explain(
      *contact, impl_->now(), impl_->options.owner_token, true, /*agent_guaranteed=*/true);
  if (report.reason != Ineligibility::kNone) {
    throw Error(ErrorCode::kState, "call_now: contact " + std::to_string(contact_id) +
                                       " is not dialable: " + to_string(report.reason) + " (" +
                                       report.detail + ")");
  }
  std::vector<ContactId> ids{contact_id};
  if (impl_->storage
          ->claim_leases(ids, impl_->options.owner_token, impl_->lease_now(),
                         impl_->options.lease_ttl)
          .empty()) {
    throw Error(ErrorCode::kState,
                "call_now: contact " + std::to_string(contact_id) + " is leased by another engine");
  }
  DialQueueEntry e;
  e.contact_id = contact_id;
  int index = contact->next_number % std::max<std::size_t>(1, contact->numbers.size());
  e.number_index = static_cast<std::uint16_t>(index);
  e.number = contact->numbers[index].e164;
  c.held.insert(contact_id);
  CallId id = kNoCall;
  impl_->run_handler([&] { id = impl_->originate(c, e, agent); });
  if (id == kNoCall) throw Error(ErrorCode::kState, "call_now: contact could not be dialed");
  return id;
}

AgentState Engine::agent_state(AgentId agent) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  return impl_->agent_or_throw(agent).state;
}

}  // namespace omnivox
