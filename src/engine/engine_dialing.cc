#include "engine/engine_impl.h"

namespace omnivox {

bool Engine::Impl::flush_writes() {
  if (!batching) return true;
  try {
    batching->flush();
    return true;
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kError, "flush",
                       std::string("writing to storage failed (kept, retried): ") + e.what());
    return false;
  }
}

void Engine::Impl::schedule_flush() {
  if (flush_timer || batching->buffered() == 0) return;
  flush_timer = schedule(now() + kFlushDelay, [](Impl& self) {
    self.flush_timer = 0;
    if (!self.flush_writes()) {
      self.flush_timer = self.schedule(self.now() + std::chrono::seconds(1), [](Impl& again) {
        again.flush_timer = 0;
        again.flush_writes();
      });
    }
  });
}

void Engine::Impl::send_when_durable(OriginateRequest req) {
  outbox.push_back(std::move(req));
  if (outbox_holds == 0) release_outbox();
}

void Engine::Impl::release_outbox() {
  std::vector<OriginateRequest> out;
  out.swap(outbox);
  if (out.empty()) return;
  // Calls that end with this process need no record before they start: a crash loses both.
  const bool durable = !telephony->calls_outlive_engine() || flush_writes();
  for (const OriginateRequest& req : out) {
    if (durable) {
      send_originate(req);
    } else {
      fail_originate(req.call_id);
    }
  }
}

int Engine::Impl::launch_batch(Campaign& c, int wanted) {
  OutboxHold hold(*this);
  int launched = 0;
  while (launched < wanted && !c.queue.empty()) {
    // Reused buffers: a launch is as frequent as an attempt. (Not reentrant-safe to share:
    // originate below may run nested handlers that launch too, so take them out first.)
    std::vector<DialQueueEntry> batch = std::move(c.launch_buffer);
    std::vector<ContactId> ids = std::move(c.launch_ids);
    batch.clear();
    ids.clear();
    while (static_cast<int>(batch.size()) < wanted - launched && !c.queue.empty()) {
      batch.push_back(std::move(c.queue.front()));
      c.queue.pop_front();
    }
    // Leases claimed with the refill less than half a lease ago are still this engine's; the
    // others are claimed (or renewed) now.
    const TimePoint lease_t = lease_now();
    for (const auto& e : batch) {
      auto it = c.leased_ahead.find(e.contact_id);
      if (it != c.leased_ahead.end()) {
        const bool fresh = it->second + options.lease_ttl / 2 > lease_t;
        c.leased_ahead.erase(it);
        if (fresh) continue;
      }
      ids.push_back(e.contact_id);
    }
    std::vector<ContactId> claimed;
    try {
      if (!ids.empty()) {
        claimed = storage->claim_leases(ids, options.owner_token, lease_t, options.lease_ttl);
      }
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kWarn, "claim", std::string("lease claim failed: ") + e.what());
      for (auto& entry : batch) c.held.erase(entry.contact_id);
      refill_soon(c);
      return launched;
    }
    // Usually every lease is granted: only build a lookup set when some were refused.
    const bool all_claimed = claimed.size() == ids.size();
    std::unordered_set<ContactId> refused;
    if (!all_claimed) {
      refused.insert(ids.begin(), ids.end());
      for (ContactId id : claimed) refused.erase(id);
      reconcile_soon(c);
    }
    for (auto& entry : batch) {
      if (!all_claimed && refused.count(entry.contact_id)) {
        c.held.erase(entry.contact_id);
        continue;
      }
      if (originate(c, entry, kNoAgent) != kNoCall) ++launched;
    }
    c.launch_buffer = std::move(batch);
    c.launch_ids = std::move(ids);
  }
  return launched;
}

CallId Engine::Impl::originate(Campaign& c, const DialQueueEntry& entry, AgentId dedicated) {
  try {
    return place_call(c, entry, dedicated);
  } catch (const std::exception& e) {
    logger.log_limited(
        LogLevel::kError, "originate",
        "contact " + std::to_string(entry.contact_id) + " not dialed: storage failed: " + e.what());
    c.held.erase(entry.contact_id);
    refill_soon(c);
    try {
      storage->release_lease(entry.contact_id, options.owner_token);
    } catch (const std::exception&) {
      // The lease expires by itself.
    }
    return kNoCall;
  }
}

CallId Engine::Impl::place_call(Campaign& c, const DialQueueEntry& entry, AgentId dedicated) {
  TimePoint t = now();
  Borrowed<Contact> scratch(contact_buffer);
  Contact* contact = storage->read_contact(entry.contact_id, *scratch) ? &*scratch : nullptr;
  auto drop = [&](const std::string& why) {
    storage->release_lease(entry.contact_id, options.owner_token);
    c.held.erase(entry.contact_id);
    logger.log(LogLevel::kDebug,
               "dial queue entry " + std::to_string(entry.contact_id) + " dropped: " + why);
    return kNoCall;
  };
  if (!contact) return drop("contact vanished");
  const bool agent_guaranteed = dedicated != kNoAgent || entry.callback_agent != kNoAgent;
  EligibilityReport report =
      c.generator->explain(*contact, t, options.owner_token, false, agent_guaranteed);
  if (report.reason != Ineligibility::kNone) return drop(report.detail);
  if (storage->is_dnc(c.config.id, entry.number)) {
    contact->status = ContactStatus::kDoNotCall;
    storage->update_contact(*contact);
    return drop("on a DNC list");
  }
  if (entry.callback_agent != kNoAgent && dedicated == kNoAgent) {
    Agent& owner = agents.at(entry.callback_agent);
    if (owner.state != AgentState::kAvailable) return drop("callback owner not available");
    dedicated = owner.id;
  }
  std::uint16_t number_index = entry.number_index;
  PhoneNumber& number = contact->numbers.at(number_index);
  CallId id = storage->allocate_call_id();
  Call call;
  call.campaign = &c;
  call.sm = CallStateMachine(t);
  Attempt& a = call.attempt;
  a.call_id = id;
  a.contact_id = contact->id;
  a.campaign_id = c.config.id;
  a.number = number.e164;
  a.number_index = number_index;
  a.attempt_number = static_cast<std::uint16_t>(contact->attempts + 1);
  a.caller_id = c.config.caller_ids.empty()
                    ? std::string()
                    : c.config.caller_ids[c.caller_id_next++ % c.config.caller_ids.size()];
  a.created_at = t;
  // The attempt is recorded before the contact counts it: a crash between the two writes leaves
  // an open attempt, which reconciliation closes and counts (account_attempt).
  storage->put_attempt(a);
  contact->attempts++;
  number.attempts++;
  contact->last_attempt_at = t;
  if (contact->status == ContactStatus::kCallback) contact->status = ContactStatus::kRetry;
  try {
    storage->update_contact(*contact);
  } catch (const std::exception& e) {
    // Recorded but not dialed: close it as FAILED (network) once storage takes it again.
    logger.log_limited(LogLevel::kError, "originate",
                       "call " + std::to_string(id) + " not dialed: storage failed: " + e.what());
    a.state = CallState::kFailed;
    a.fail_reason = FailReason::kNetwork;
    a.disposition = Disposition::kFailed;
    a.ended_at = t;
    unsaved.emplace(id, UnsavedCompletion{&c, a, std::nullopt, t});
    schedule_unsaved_retry();
    return kNoCall;
  }
  call.dedicated_agent = dedicated;
  if (dedicated != kNoAgent) {
    Agent& ag = agents[dedicated];
    set_preview(ag, std::nullopt);
    ag.call = id;
    ag.working_for = &c;
    set_agent(ag, AgentState::kReserved, id);
  }
  ++c.attempts;
  ++c.pending;
  ++c.in_flight;
  OriginateRequest req;
  req.call_id = id;
  req.contact_id = contact->id;
  req.external_id = contact->external_id;
  req.campaign_id = c.config.id;
  req.to = number.e164;
  req.from = a.caller_id;
  req.attempt_number = a.attempt_number;
  req.ring_timeout = c.config.ring_timeout;
  req.amd = c.config.amd;
  auto it = remember_call(id, std::move(call));
  arm_timeout(it->second);
  ensure_renewal();
  if (options.journal_state_changes) {
    journal(c, id, contact->id, "state", "QUEUED to " + number.e164);
  }
  notify(EventListener::kCallStates, [&](EventListener& l) {
    l.on_call_state(
        {t, c.config.id, id, contact->id, CallState::kQueued, CallState::kQueued, dedicated});
  });
  if (batching) {
    send_when_durable(std::move(req));
  } else {
    send_originate(req);
  }
  return id;
}

void Engine::Impl::send_originate(const OriginateRequest& req) {
  try {
    telephony->originate(req);
  } catch (const std::exception& e) {
    // Telephony must report failures as events, not throw; one that throws gets the same: the
    // call fails (network) right after this handler, and its contact stays held until then.
    logger.log_limited(
        LogLevel::kError, "originate",
        "call " + std::to_string(req.call_id) + ": telephony originate threw: " + e.what());
    fail_originate(req.call_id);
  }
}

void Engine::Impl::fail_originate(CallId id) {
  CallEvent failed;
  failed.call_id = id;
  failed.kind = CallEventKind::kFailed;
  failed.fail_reason = FailReason::kNetwork;
  schedule(now(), [this, failed] { handle_event(failed); });
}

std::unordered_map<CallId, Engine::Impl::Call>::iterator Engine::Impl::remember_call(CallId id,
                                                                                     Call&& call) {
  if (spare_call_nodes.empty()) return calls.emplace(id, std::move(call)).first;
  auto node = std::move(spare_call_nodes.back());
  spare_call_nodes.pop_back();
  node.key() = id;
  node.mapped() = std::move(call);
  return calls.insert(std::move(node)).position;
}

void Engine::Impl::forget_call(CallId id) {
  auto node = calls.extract(id);
  if (!node.empty() && spare_call_nodes.size() < kSpareCallNodes) {
    spare_call_nodes.push_back(std::move(node));
  }
}

void Engine::Impl::ensure_renewal() {
  if (renew_timer || calls.empty()) return;
  renew_timer = schedule(now() + renewal_interval(), [](Impl& self) { self.renew_leases(); });
}

Duration Engine::Impl::renewal_interval() {
  if (!options.lease_clock) return options.lease_ttl / 2;
  const TimePoint engine_t = now(), lease_t = lease_now();
  Duration interval = options.lease_ttl / 4;
  if (renewal_mark && engine_t > renewal_mark->first && lease_t > renewal_mark->second) {
    const double lease_per_engine = static_cast<double>((lease_t - renewal_mark->second).count()) /
                                    static_cast<double>((engine_t - renewal_mark->first).count());
    const double half = static_cast<double>((options.lease_ttl / 2).count());
    interval = Duration(static_cast<Duration::rep>(
        std::clamp(half / lease_per_engine, 1.0, static_cast<double>(options.lease_ttl.count()))));
  }
  renewal_mark = {engine_t, lease_t};
  return interval;
}

void Engine::Impl::renew_leases() {
  renew_timer = 0;
  TimePoint t = lease_now();
  try {
    std::vector<ContactId> ids;
    ids.reserve(calls.size());
    for (auto& [id, call] : calls) ids.push_back(call.attempt.contact_id);
    std::vector<ContactId> renewed =
        storage->claim_leases(ids, options.owner_token, t, options.lease_ttl);
    if (renewed.size() != ids.size()) {
      std::unordered_set<ContactId> kept(renewed.begin(), renewed.end());
      for (auto& [id, call] : calls) {
        if (kept.count(call.attempt.contact_id)) continue;
        logger.log_limited(LogLevel::kWarn, "renew",
                           "lease of contact " + std::to_string(call.attempt.contact_id) +
                               " was lost during call " + std::to_string(id));
      }
    }
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kError, "renew",
                       std::string("renewing leases failed (retried): ") + e.what());
  }
  ensure_renewal();
}

}  // namespace omnivox
