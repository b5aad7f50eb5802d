#include <cstdio>

#include "engine/engine_impl.h"

namespace omnivox {

void Engine::Impl::pace(Campaign& c) {
  if (!c.started) return;
  TimePoint t = now();
  PacingSnapshot& s = c.snapshot;
  s.now = t;
  auto in = [&](AgentState st) { return c.agents_in_state[static_cast<int>(st)]; };
  if (c.agents_departing > 0) release_departing(c);
  if (c.shared_agents > 0) {
    const AgentCounts n = count_agents(c);
    s.agents_idle = n.idle;
    s.agents_paused = n.paused;
    s.agents_busy = n.busy;
    s.agents_logged_in = n.logged_in;
  } else {
    s.agents_idle = in(AgentState::kAvailable)-c.agents_previewing - c.agents_departing;
    s.agents_paused = in(AgentState::kPaused);
    s.agents_busy = in(AgentState::kReserved) + in(AgentState::kOnCall) + in(AgentState::kWrapUp);
    s.agents_logged_in = static_cast<int>(c.agents.size()) - in(AgentState::kLoggedOut);
  }
  if (inbound->active()) inbound->adjust_snapshot(c.config.id, c.agents, c.available, s);
  s.busy_elapsed_s.clear();
  s.pending_elapsed_s.clear();
  s.pending_calls.clear();
  s.busy_agents.clear();
  if (c.policy->wants_details()) {
    for (AgentId id : c.agents) {
      const Agent& a = agents[id];
      const bool counted = a.shared.empty() || (a.working_for ? a.working_for : a.campaign) == &c;
      if (counted && (a.state == AgentState::kReserved || a.state == AgentState::kOnCall ||
                      a.state == AgentState::kWrapUp)) {
        double elapsed = to_seconds(t - a.handle_since);
        s.busy_elapsed_s.push_back(elapsed);
        s.busy_agents.push_back({a.id, a.state, elapsed});
      }
    }
  }
  // The calls in flight's ages: the policy's details, and the abandon governor's model of which
  // of them can still become live answers.
  const bool details = c.policy->wants_details();
  for (const auto& [id, call] : calls) {
    if (call.campaign == &c && call.pending) {
      double elapsed = to_seconds(t - call.attempt.created_at);
      s.pending_elapsed_s.push_back(elapsed);
      if (details) s.pending_calls.push_back({id, elapsed});
    }
  }
  s.recent_handle_s = c.handle_samples.view();
  s.recent_live_resolve_s = c.live_resolve_samples.view();
  s.recent_other_resolve_s = c.other_resolve_samples.view();
  s.attempts_resolved = c.resolved;
  if (t >= c.day_left_valid_until) {  // local-time formatting is costly: once a minute
    c.day_left = day_left(c, t);
    c.day_left_valid_until = t + std::chrono::minutes(1);
  }
  s.calling_day_left = c.day_left;
  s.calls_pending = c.pending;
  s.calls_classifying = c.classifying;
  s.classifications_finished = c.classified;
  s.mean_classification_s = c.classified > 0 ? c.classification_seconds / c.classified : 0.0;
  s.calls_waiting = static_cast<int>(c.waiting.size());
  sync_abandon_counts(c);
  const AbandonGovernor::Window window = c.governor->window(t);
  s.live_answers = window.live_answers;
  s.abandons = window.abandons;
  s.abandon_rate = window.rate;
  s.abandon_cap = c.config.compliance.abandon_cap;
  s.hold_window_s = to_seconds(c.config.hold_window);
  if (c.resolved > 20) {
    s.live_answer_probability = static_cast<double>(c.live_answers) / c.resolved;
    s.mean_time_to_resolve_s = c.resolve_seconds / c.resolved;
  }
  if (c.handled > 5) s.mean_handle_s = c.handle_seconds / c.handled;
  s.dial_queue_size = static_cast<int>(c.queue.size());
  s.real_time = !clock->is_virtual();
  int wanted = std::max(c.policy->decide(s), 0);
  if (inbound->active()) wanted = inbound->decide(c.config.id, s, wanted);
  AbandonGovernor::Exposure exposure;
  exposure.now = s.now;
  exposure.agents_idle = s.agents_idle;
  exposure.calls_waiting = s.calls_waiting;
  exposure.calls_pending = s.calls_pending;
  // The governor bounds p from the sample proportion itself, not the snapshot's prior.
  exposure.live_answer_probability =
      c.resolved > 0 ? static_cast<double>(c.live_answers) / c.resolved : 0.0;
  exposure.attempts_resolved = c.resolved;
  exposure.pending_ages_s = s.pending_elapsed_s;
  exposure.live_resolve_s = s.recent_live_resolve_s;
  exposure.other_resolve_s = s.recent_other_resolve_s;
  exposure.amd = c.config.amd;
  share_budget(c, exposure);
  int allowed = c.governor->clamp(wanted, exposure);
  int launched = 0;
  if (allowed > 0) {
    if (static_cast<int>(c.queue.size()) < allowed) refill(c, allowed);
    launched = launch_batch(c, allowed);
    if (launched < allowed) schedule_wake(c);
  }
  ensure_tick(c);
  if (wanted > 0 || launched > 0) {
    notify(EventListener::kPacingDecisions, [&](EventListener& l) {
      l.on_pacing_decision({t, c.config.id, c.policy->name(), s.agents_idle, s.agents_busy,
                            s.calls_pending, wanted, allowed, launched});
    });
  }
  if (c.shared_agents > 0) {
    const bool work = has_work(c);
    const bool ran_out = c.had_work && !work;
    c.had_work = work;
    if (ran_out) hand_over_shared_agents(c);
  }
}

double Engine::Impl::day_left(const Campaign& c, TimePoint t) const {
  std::string local = TimeZoneMap::local_time_string(c.config.fallback_time_zone, t);
  int minute = std::stoi(local.substr(11, 2)) * 60 + std::stoi(local.substr(14, 2));
  // The weekday does not matter much here: use the widest range of the week.
  int start = 24 * 60, end = 0;
  for (const auto& r : c.config.call_window.by_weekday) {
    if (r.closed()) continue;
    start = std::min(start, r.start_minute);
    end = std::max(end, r.end_minute);
  }
  if (end <= start) return 0.0;
  if (minute <= start) return 1.0;
  if (minute >= end) return 0.0;
  return static_cast<double>(end - minute) / (end - start);
}

void Engine::Impl::ensure_tick(Campaign& c) {
  Duration every = c.policy->tick_interval();
  if (every <= Duration(0) && !clock->is_virtual()) every = options.decision_interval;
  if (every <= Duration(0) || c.tick_timer || !c.started) return;
  int idle = c.agents_in_state[static_cast<int>(AgentState::kAvailable)];
  bool work =
      c.in_flight > 0 || (idle > 0 && (!c.queue.empty() || now() >= c.refill_blocked_until));
  if (!work) return;
  Campaign* cp = &c;
  c.tick_timer = schedule(now() + every, [cp](Impl& self) {
    cp->tick_timer = 0;
    self.pace(*cp);
  });
}

std::size_t Engine::Impl::queue_capacity(const Campaign& c) const {
  if (c.config.dial_queue_capacity) return c.config.dial_queue_capacity;
  return std::max<std::size_t>(64, 4 * c.agents.size());
}

void Engine::Impl::refill(Campaign& c, int wanted) {
  TimePoint t = now();
  if (t < c.refill_blocked_until) return;
  std::size_t capacity = std::max<std::size_t>(queue_capacity(c), wanted);
  if (c.queue.size() >= capacity) return;
  std::vector<DialQueueEntry>& fresh = c.refill_buffer;  // reused: refills are frequent
  fresh.clear();
  TimePoint window_wake;
  try {
    window_wake = c.generator->fill(
        t, capacity - c.queue.size(), [&](ContactId id) { return c.held.count(id) > 0; }, fresh);
  } catch (const std::exception& e) {
    // Storage failed mid-scan: try again in a second (pace's wake timer), or nothing would
    // ever wake the campaign again.
    logger.log_limited(LogLevel::kError, "refill",
                       std::string("filling the dial queue failed (retried): ") + e.what());
    refill_soon(c);
    return;
  }
  const std::size_t first_fresh = c.queue.size();
  for (auto& e : fresh) {
    c.held.insert(e.contact_id);
    c.queue.push_back(std::move(e));
  }
  // A database answers one claim for the whole refill about as fast as one for a launch. The
  // launch then trusts a lease for half its time to live: only lease times every engine reads
  // on one clock (a wall clock, or the lease clock) make that safe.
  const bool leases_on_shared_clock = options.lease_clock || !clock->is_virtual();
  const bool claims_ahead = batching && leases_on_shared_clock;
  if (claims_ahead && c.queue.size() > first_fresh) claim_queued_leases(c, first_fresh);
  if (c.queue.size() < capacity) {
    // Nothing more is dialable before a window opens or a retry falls due.
    while (!c.retry_due.empty() && c.retry_due.top() <= t) c.retry_due.pop();
    TimePoint next_retry = c.retry_due.empty() ? TimePoint::max() : c.retry_due.top();
    c.refill_blocked_until = std::min(window_wake, next_retry);
    // Engines that claim ahead hold leases on contacts they have not dialled yet, hidden from
    // this scan; one that dies leaves them to expire, and nothing else would wake this engine
    // for them: look again when the first of the other engines' leases expires.
    if (claims_ahead) survey_stored_schedule(c, t, wake_for_others_leases(c, t));
  }
}

void Engine::Impl::survey_stored_schedule(Campaign& c, TimePoint t, bool others_active) {
  if (t >= c.next_survey_at) {
    c.stored_due = {};
    read_stored_schedule(c, t, c.stored_due);
    c.next_survey_at = t + options.lease_ttl / 2;
    c.others_active_since_survey = others_active;
  } else {
    c.others_active_since_survey = c.others_active_since_survey || others_active;
  }
  while (!c.stored_due.empty() && c.stored_due.top() <= t) c.stored_due.pop();
  if (!c.stored_due.empty()) unblock_refill(c, c.stored_due.top());
  // An engine active since the survey may have scheduled retries it will never dial (it may
  // stop): survey again.
  if (c.others_active_since_survey) unblock_refill(c, c.next_survey_at);
}

void Engine::Impl::claim_queued_leases(Campaign& c, std::size_t first) {
  std::vector<ContactId> ids;
  ids.reserve(c.queue.size() - first);
  for (std::size_t i = first; i < c.queue.size(); ++i) ids.push_back(c.queue[i].contact_id);
  const TimePoint at = lease_now();
  std::vector<ContactId> claimed;
  try {
    claimed = storage->claim_leases(ids, options.owner_token, at, options.lease_ttl);
  } catch (const std::exception& e) {
    // Each entry's lease is claimed at its launch instead.
    logger.log_limited(LogLevel::kWarn, "claim", std::string("lease claim failed: ") + e.what());
    return;
  }
  for (ContactId id : claimed) c.leased_ahead[id] = at;
  if (claimed.size() == ids.size()) return;
  // Another engine holds the rest, or reconciliation must close their open attempts first.
  reconcile_soon(c);
  auto refused = [&](const DialQueueEntry& e) { return !c.leased_ahead.count(e.contact_id); };
  for (auto it = c.queue.begin() + static_cast<std::ptrdiff_t>(first); it != c.queue.end(); ++it) {
    if (refused(*it)) c.held.erase(it->contact_id);
  }
  c.queue.erase(
      std::remove_if(c.queue.begin() + static_cast<std::ptrdiff_t>(first), c.queue.end(), refused),
      c.queue.end());
}

bool Engine::Impl::wake_for_others_leases(Campaign& c, TimePoint t) {
  std::optional<TimePoint> expiry;
  const TimePoint lease_t = lease_now();
  try {
    expiry = storage->earliest_lease_expiry(c.config.id, options.owner_token, lease_t);
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kWarn, "leases",
                       std::string("reading other engines' leases failed: ") + e.what());
    expiry = lease_t + options.lease_ttl;  // look again a lease later
  }
  // On the engine's clock, as if it ran at the lease clock's pace: a faster engine clock looks
  // early and finds the lease still live, then waits again for what is left of it.
  if (expiry) c.refill_blocked_until = std::min(c.refill_blocked_until, t + (*expiry - lease_t));
  return expiry.has_value();
}

void Engine::Impl::release_leases_ahead(Campaign& c) {
  if (c.leased_ahead.empty()) return;
  std::vector<ContactId> ids;
  ids.reserve(c.leased_ahead.size());
  for (const auto& [id, at] : c.leased_ahead) ids.push_back(id);
  c.leased_ahead.clear();
  try {
    storage->release_leases(ids, options.owner_token);
  } catch (const std::exception&) {
    // They expire by themselves.
  }
}

void Engine::Impl::schedule_wake(Campaign& c) {
  TimePoint at = c.refill_blocked_until;
  if (at == TimePoint::max()) return;
  // Already unblocked, yet fewer calls launched than wanted (storage stalled past the block, or
  // leases were refused): look again in a second rather than wait for an event that may never
  // come (the campaign's last calls may have ended).
  if (at <= now()) at = now() + std::chrono::seconds(1);
  if (c.wake_timer && c.wake_at <= at) return;
  if (c.wake_timer) clock->cancel(c.wake_timer);
  c.wake_at = at;
  Campaign* cp = &c;
  c.wake_timer = schedule(at, [cp](Impl& self) {
    cp->wake_timer = 0;
    cp->wake_at = TimePoint::max();
    self.pace(*cp);
  });
}

void Engine::Impl::refill_soon(Campaign& c) {
  TimePoint soon = now() + std::chrono::seconds(1);
  if (c.refill_blocked_until <= now() || c.refill_blocked_until > soon) {
    c.refill_blocked_until = soon;
  }
  schedule_wake(c);  // now: later storage calls of this handler may stall past `soon`
}

void Engine::Impl::unblock_refill(Campaign& c, TimePoint due) {
  c.refill_blocked_until = std::min(c.refill_blocked_until, due);
}

void Engine::Impl::count_live_answer(Campaign& c, TimePoint t) {
  c.governor->record_live_answer(t);
  c.shared_counts->add_live_answer(lease_now());
}

void Engine::Impl::count_abandon(Campaign& c, TimePoint t) {
  c.governor->record_abandon(t);
  c.shared_counts->add_abandon(lease_now());
}

void Engine::Impl::count_machine(Campaign& c, TimePoint t) {
  c.governor->record_amd_machine(t);
  c.shared_counts->add_machine(lease_now());
}

bool Engine::Impl::amd_suspended(Campaign& c, const Call& call, TimePoint t) {
  if (!options.suspend_amd_at_cap) return false;
  AbandonGovernor::Exposure exposure;
  exposure.now = t;
  share_budget(c, exposure);
  if (c.governor->amd_allowed(exposure, c.classifying)) return false;
  ++c.amd_suspended;
  char detail[160];
  std::snprintf(detail, sizeof detail,
                "answered without AMD: counted abandon rate %.4f %% in the window, cap %.4f %%, "
                "%d answers being classified",
                100 * c.governor->rate(t), 100 * c.governor->profile().abandon_cap, c.classifying);
  journal(c, call.attempt.call_id, call.attempt.contact_id, "amd_suspended", detail);
  return true;
}

void Engine::Impl::share_budget(Campaign& c, AbandonGovernor::Exposure& exposure) {
  exposure.engines = c.shared_counts->engines();
  const AbandonCounts unseen = c.shared_counts->unseen(lease_now());
  exposure.unseen_live_answers = static_cast<long>(unseen.live_answers);
  exposure.unseen_abandons = static_cast<long>(unseen.abandons);
  exposure.unseen_machines = static_cast<long>(unseen.machines);
}

void Engine::Impl::sync_abandon_counts(Campaign& c) {
  const TimePoint t = lease_now();
  const auto wall = std::chrono::steady_clock::now();
  if (c.counts_synced_at != TimePoint::min() &&
      (t < c.counts_synced_at + SharedAbandonCounts::kSyncEvery ||
       wall < c.counts_synced_wall + std::chrono::milliseconds(50))) {
    return;
  }
  c.counts_synced_at = t;
  c.counts_synced_wall = wall;
  try {
    // The others' calls count as this engine's own, at their time on this engine's clock.
    for (const AbandonBucket& b :
         c.shared_counts->sync(*storage, t, c.governor->profile().abandon_window)) {
      const TimePoint at = now() - (t - b.minute);
      for (std::int64_t i = 0; i < b.counts.live_answers; ++i) c.governor->record_live_answer(at);
      for (std::int64_t i = 0; i < b.counts.abandons; ++i) c.governor->record_abandon(at);
      for (std::int64_t i = 0; i < b.counts.machines; ++i) c.governor->record_amd_machine(at);
    }
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kWarn, "abandon counts",
                       std::string("sharing abandon counts failed: ") + e.what());
  }
}

}  // namespace omnivox
