#include "engine/engine_impl.h"

namespace omnivox {

namespace {

Disposition system_disposition(const CallStateMachine& sm, bool bridged) {
  switch (sm.state()) {
    case CallState::kCompleted:
      if (bridged) return Disposition::kCompleted;
      return sm.amd() == AmdResult::kFax ? Disposition::kFax : Disposition::kMachine;
    case CallState::kAbandoned:
      return Disposition::kAbandoned;
    case CallState::kBusy:
      return Disposition::kBusy;
    case CallState::kNoAnswer:
      return Disposition::kNoAnswer;
    case CallState::kFailed:
      return sm.fail_reason() == FailReason::kInvalidNumber ? Disposition::kInvalidNumber
                                                            : Disposition::kFailed;
    case CallState::kCanceled:
      return Disposition::kCanceled;
    default:
      return Disposition::kNone;
  }
}

}  // namespace

void Engine::Impl::arm_timeout(Call& call) {
  auto deadline = call.sm.deadline(options.timeouts, call.campaign->config.ring_timeout);
  if (!deadline) return;
  call.timeout_at = *deadline;
  if (call.timeout_timer) return;  // the pending timer re-arms itself when it fires early
  CallId id = call.attempt.call_id;
  call.timeout_timer = schedule_call_timer(*deadline, CallTimer::kTimeout, id);
}

void Engine::Impl::on_timeout(CallId id) {
  auto it = calls.find(id);
  if (it == calls.end()) return;
  Call& call = it->second;
  call.timeout_timer = 0;
  if (is_terminal(call.sm.state())) return;
  if (now() < call.timeout_at) {
    call.timeout_timer = schedule_call_timer(call.timeout_at, CallTimer::kTimeout, id);
    return;
  }
  CallState before = call.sm.state();
  auto r = call.sm.force(CallState::kFailed, now(), FailReason::kTimeout);
  logger.log_limited(LogLevel::kWarn, "timeout",
                     "call " + std::to_string(id) + " timed out in state " + to_string(before));
  telephony->hangup(id);
  after_transition(call, r);
}

void Engine::Impl::post_event(const CallEvent& event) {
  if (inline_ok()) {
    run_handler([&] { handle_event(event); });  // no copy of the event: it runs now
    return;
  }
  post_handler([this, event] { handle_event(event); });
}

void Engine::Impl::handle_event(const CallEvent& event) {
  if (event.call_id >= kFirstInboundCallId && inbound->on_event(event)) return;
  auto it = calls.find(event.call_id);
  if (it == calls.end()) {
    logger.log(LogLevel::kDebug, std::string("event ") + to_string(event.kind) +
                                     " for finished or unknown call " +
                                     std::to_string(event.call_id));
    return;
  }
  Call& call = it->second;
  if (event.kind == CallEventKind::kAmdResult && call.amd_stopped) {
    // Telephony was told to stop classifying this call; a result already on its way is moot.
    logger.log(LogLevel::kDebug, "AMD result for call " + std::to_string(event.call_id) +
                                     " put through without AMD: dropped");
    return;
  }
  TimePoint t = now();
  if (!event.provider_call_id.empty() && call.attempt.provider_call_id.empty()) {
    call.attempt.provider_call_id = event.provider_call_id;
  }
  if (event.provider_code) call.attempt.provider_code = event.provider_code;
  auto r = call.sm.apply(event, t);
  if (r.outcome != ApplyOutcome::kApplied) {
    journal(*call.campaign, call.attempt.call_id, call.attempt.contact_id,
            r.outcome == ApplyOutcome::kDuplicate ? "duplicate_event" : "late_event",
            std::string(to_string(event.kind)) + " seq " + std::to_string(event.sequence) +
                " in state " + to_string(r.from));
    return;
  }
  after_transition(call, r);
}

void Engine::Impl::after_transition(Call& call, const CallStateMachine::Result& r) {
  Campaign& c = *call.campaign;
  TimePoint t = now();
  CallId id = call.attempt.call_id;
  call.attempt.state = r.to;
  if (call.classifying && r.to != CallState::kAnswered) {
    call.classifying = false;
    --c.classifying;
    ++c.classified;
    c.classification_seconds += to_seconds(t - call.attempt.answered_at);
  }
  if (options.journal_state_changes) {
    journal(c, id, call.attempt.contact_id, "state",
            std::string(to_string(r.from)) + " -> " + to_string(r.to));
  }
  notify(EventListener::kCallStates, [&](EventListener& l) {
    l.on_call_state({t, c.config.id, id, call.attempt.contact_id, r.from, r.to, call.agent});
  });
  auto resolve = [&] {
    if (!call.pending) return;
    call.pending = false;
    --c.pending;
    ++c.resolved;
    double took = to_seconds(t - call.attempt.created_at);
    c.resolve_seconds += took;
    (r.to == CallState::kHuman ? c.live_resolve_samples : c.other_resolve_samples).add(took);
  };
  switch (r.to) {
    case CallState::kAnswered:
      call.attempt.answered_at = t;
      if (c.config.amd && !amd_suspended(c, call, t)) {
        call.classifying = true;
        ++c.classifying;
        break;
      }
      if (c.config.amd) {
        call.amd_stopped = true;
        telephony->stop_amd(id);
      }
      after_transition(call, call.sm.force(CallState::kHuman, t));
      return;
    case CallState::kHuman: {
      if (call.attempt.answered_at == TimePoint{}) call.attempt.answered_at = t;
      call.attempt.amd = call.sm.amd();  // NONE when the campaign does not use AMD
      resolve();
      ++c.live_answers;
      // At the answer, as the audit counts it: a live answer AMD classified leaves the window
      // with the audit's, not the classification's seconds later.
      count_live_answer(c, call.attempt.answered_at);
      Agent* agent =
          call.dedicated_agent != kNoAgent ? &agents[call.dedicated_agent] : longest_idle_agent(c);
      if (agent) {
        connect(call, *agent);
      } else {
        call.waiting = true;
        c.waiting.push_back(id);
      }
      call.hold_timer = schedule_call_timer(t + c.config.hold_window, CallTimer::kHold, id);
      break;
    }
    case CallState::kMachine:
    case CallState::kFax:
      if (call.attempt.answered_at == TimePoint{}) call.attempt.answered_at = t;
      call.attempt.amd = call.sm.amd();
      resolve();
      ++c.machines;
      if (r.to == CallState::kMachine) count_machine(c, t);
      if (!c.config.voicemail_message.empty() && r.to == CallState::kMachine) {
        telephony->play(id, c.config.voicemail_message);
      }
      telephony->hangup(id);
      break;
    case CallState::kBridged: {
      call.bridged = true;
      call.waiting = false;
      call.attempt.bridged_at = t;
      ++c.connects;
      if (call.hold_timer) clock->cancel(call.hold_timer), call.hold_timer = 0;
      if (call.agent != kNoAgent) set_agent(agents[call.agent], AgentState::kOnCall, id);
      break;
    }
    default:
      break;
  }
  if (is_terminal(r.to)) {
    resolve();
    finish(call);
    return;
  }
  arm_timeout(call);
  // Dialing, ringing and an answer not yet classified by AMD change no pacing input (agents,
  // pending and waiting calls, answers): only a policy that reads the calls' ages decides again.
  const bool inputs_unchanged =
      r.to == CallState::kDialing || r.to == CallState::kRinging || r.to == CallState::kAnswered;
  if (!inputs_unchanged || c.policy->wants_details()) pace(c);
}

void Engine::Impl::on_hold_expired(CallId id) {
  auto it = calls.find(id);
  if (it == calls.end()) return;
  Call& call = it->second;
  call.hold_timer = 0;
  if (call.sm.state() != CallState::kHuman) return;
  auto r = call.sm.force(CallState::kAbandoned, now());
  Campaign& c = *call.campaign;
  telephony->play(id, c.config.safe_harbor_message);
  telephony->hangup(id);
  after_transition(call, r);
}

void Engine::Impl::finish(Call& call) {
  Campaign& c = *call.campaign;
  TimePoint t = now();
  CallId id = call.attempt.call_id;
  if (call.timeout_timer) clock->cancel(call.timeout_timer), call.timeout_timer = 0;
  if (call.hold_timer) clock->cancel(call.hold_timer), call.hold_timer = 0;
  if (call.waiting) {
    c.waiting.erase(std::remove(c.waiting.begin(), c.waiting.end(), id), c.waiting.end());
    call.waiting = false;
  }
  call.attempt.ended_at = t;
  call.attempt.fail_reason = call.sm.fail_reason();
  if (call.sm.state() == CallState::kAbandoned) {
    ++c.abandons;
    count_abandon(c, t);
  }
  AgentId agent_id = call.agent != kNoAgent ? call.agent : call.dedicated_agent;
  if (call.bridged && agent_id != kNoAgent) {
    // The agent wraps up and sets the disposition (set_disposition).
    call.awaiting_disposition = true;
    try {
      storage->put_attempt(call.attempt);  // bridged_at survives a crash in wrap-up
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kError, "wrap_up",
                         "recording call " + std::to_string(id) + " failed: " + e.what());
    }
    set_agent(agents[agent_id], AgentState::kWrapUp, id);
    call.wrap_timer = schedule_call_timer(t + options.max_wrap_up, CallTimer::kWrapUp, id);
    pace(c);
    return;
  }
  Agent* freed = nullptr;
  if (agent_id != kNoAgent) {
    Agent& a = agents[agent_id];
    if (a.call == id) {
      a.call = kNoCall;
      agent_freed(a);
      freed = &a;
    }
  }
  complete(call, system_disposition(call.sm, call.bridged), std::nullopt);  // paces `c`
  if (freed && !freed->shared.empty()) pace_campaigns_of(*freed, &c);
}

void Engine::Impl::on_wrap_up_expired(CallId id) {
  auto it = calls.find(id);
  if (it == calls.end() || !it->second.awaiting_disposition) return;
  it->second.wrap_timer = 0;
  logger.log_limited(LogLevel::kWarn, "wrap_up",
                     "call " + std::to_string(id) + ": no disposition after " +
                         std::to_string(options.max_wrap_up.count() / 1000) +
                         " s of wrap-up; recorded as COMPLETED");
  end_wrap_up(it->second, Disposition::kCompleted, std::nullopt);
}

void Engine::Impl::end_wrap_up(Call& call, Disposition d, std::optional<TimePoint> callback_at) {
  AgentId agent_id = call.agent != kNoAgent ? call.agent : call.dedicated_agent;
  Campaign& campaign = *call.campaign;
  TimePoint t = now();
  if (call.attempt.bridged_at != TimePoint{}) {
    ++campaign.handled;
    TimePoint handed =
        agent_id != kNoAgent ? agents[agent_id].handle_since : call.attempt.bridged_at;
    double handle = to_seconds(t - std::min(handed, call.attempt.bridged_at));
    campaign.handle_seconds += handle;
    campaign.handle_samples.add(handle);
    if (agent_id != kNoAgent) activity.on_handled(agent_id, d, t);
  }
  // With an agent, pacing decides once, after the agent is free too (not also in between).
  complete(call, d, callback_at, /*pace_after=*/agent_id == kNoAgent);  // forgets `call`
  if (agent_id != kNoAgent) {
    Agent& a = agents[agent_id];
    a.call = kNoCall;
    agent_freed(a);
    pace(campaign);
    if (!a.shared.empty()) pace_campaigns_of(a, &campaign);
  }
}

void Engine::Impl::complete(Call& call, Disposition d, std::optional<TimePoint> callback_at,
                            bool pace_after) {
  Campaign& c = *call.campaign;
  TimePoint t = now();
  CallId id = call.attempt.call_id;
  if (call.wrap_timer) clock->cancel(call.wrap_timer), call.wrap_timer = 0;
  call.attempt.disposition = d;
  ++c.dispositions[static_cast<int>(d)];
  --c.in_flight;
  if (options.journal_state_changes) {
    journal(c, id, call.attempt.contact_id, "disposition", to_string(d));
  }
  UnsavedCompletion done{&c, std::move(call.attempt), callback_at, t};
  forget_call(id);  // `call` is gone
  if (save_completion(done)) {
    c.held.erase(done.attempt.contact_id);
  } else {
    unsaved.emplace(id, done);
    schedule_unsaved_retry();
  }
  notify(EventListener::kAttemptsFinished,
         [&](EventListener& l) { l.on_attempt_finished(done.attempt); });
  if (pace_after) pace(c);
}

bool Engine::Impl::save_completion(const UnsavedCompletion& done) {
  const Attempt& a = done.attempt;
  try {
    Borrowed<Contact> contact(contact_buffer);
    if (storage->read_contact(a.contact_id, *contact)) {
      account_attempt(*contact, a);
      apply_disposition(*done.campaign, *contact, a, a.disposition, done.callback_at, done.at);
      storage->update_contact(*contact);
    }
    storage->put_attempt(a);
    storage->release_lease(a.contact_id, options.owner_token);
    return true;
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kError, "complete",
                       "recording call " + std::to_string(a.call_id) +
                           " failed (kept, retried every second): " + e.what());
    return false;
  }
}

void Engine::Impl::schedule_unsaved_retry() {
  if (unsaved_timer || unsaved.empty()) return;
  unsaved_timer =
      schedule(now() + std::chrono::seconds(1), [](Impl& self) { self.retry_unsaved(); });
}

void Engine::Impl::retry_unsaved() {
  unsaved_timer = 0;
  for (auto it = unsaved.begin(); it != unsaved.end();) {
    if (!save_completion(it->second)) break;  // storage still away: keep the rest too
    Campaign& c = *it->second.campaign;
    c.held.erase(it->second.attempt.contact_id);
    it = unsaved.erase(it);
    pace(c);
  }
  if (!unsaved.empty()) {
    // Keep the leases of the contacts waiting here alive while storage is away.
    for (auto& [id, done] : unsaved) {
      try {
        storage->renew_lease(done.attempt.contact_id, options.owner_token, lease_now(),
                             options.lease_ttl);
      } catch (const std::exception&) {
        break;
      }
    }
  }
  schedule_unsaved_retry();
}

void Engine::Impl::account_attempt(Contact& contact, const Attempt& a) {
  if (contact.attempts >= a.attempt_number) return;
  contact.attempts = a.attempt_number;
  if (a.number_index < contact.numbers.size()) contact.numbers[a.number_index].attempts++;
  contact.last_attempt_at = std::max(contact.last_attempt_at, a.created_at);
  if (contact.status == ContactStatus::kCallback) contact.status = ContactStatus::kRetry;
}

void Engine::Impl::apply_disposition(Campaign& c, Contact& contact, const Attempt& a, Disposition d,
                                     std::optional<TimePoint> callback_at, TimePoint t) {
  contact.last_disposition = d;
  PhoneNumber* number =
      a.number_index < contact.numbers.size() ? &contact.numbers[a.number_index] : nullptr;
  if (number) number->last_disposition = d;
  if (number && d == Disposition::kAbandoned) number->last_abandon_at = t;  // repeat rules
  if (number && d == Disposition::kMachine) number->last_machine_at = t;
  switch (d) {
    case Disposition::kBusy:
    case Disposition::kNoAnswer:
    case Disposition::kFailed:
    case Disposition::kCanceled:
    case Disposition::kInvalidNumber:
    case Disposition::kMachine:
    case Disposition::kFax:
      ++contact.not_connected;
      break;
    default:
      break;
  }
  auto retry_at = [&](TimePoint due) {
    contact.status = ContactStatus::kRetry;
    contact.next_attempt_at = due;
    if (!contact.numbers.empty()) {
      contact.next_number =
          static_cast<std::uint16_t>((a.number_index + 1) % contact.numbers.size());
    }
    c.retry_due.push(due);
    unblock_refill(c, due);
  };
  if (d == Disposition::kInvalidNumber || d == Disposition::kWrongNumber) {
    if (number) number->invalid = true;
    bool any_valid = std::any_of(contact.numbers.begin(), contact.numbers.end(),
                                 [](const PhoneNumber& n) { return !n.invalid; });
    if (!any_valid) {
      contact.status =
          d == Disposition::kWrongNumber ? ContactStatus::kDone : ContactStatus::kInvalid;
      return;
    }
    retry_at(t);
  } else if (d == Disposition::kCallback) {
    contact.status = ContactStatus::kCallback;
    contact.next_attempt_at = callback_at.value_or(t + std::chrono::hours(1));
    contact.callback_agent = kNoAgent;
    c.retry_due.push(contact.next_attempt_at);
    unblock_refill(c, contact.next_attempt_at);
    return;
  } else if (d == Disposition::kDoNotCall) {
    contact.status = ContactStatus::kDoNotCall;
    if (number) storage->add_dnc(c.config.id, number->e164);
    return;
  } else if (is_agent_disposition(d)) {
    contact.status = ContactStatus::kDone;
    return;
  } else {
    auto rule = c.config.retry_rules.find(d);
    if (rule == c.config.retry_rules.end() || rule->second.final) {
      contact.status = ContactStatus::kDone;
      return;
    }
    retry_at(t + rule->second.delay);
  }
  if (c.config.max_attempts > 0 && contact.attempts >= c.config.max_attempts) {
    contact.status = ContactStatus::kExhausted;
  }
}

void Engine::set_disposition(CallId call, Disposition disposition,
                             std::optional<TimePoint> callback_at) {
  if (callback_at && callback_at->time_since_epoch() < Duration(0)) {
    throw Error(ErrorCode::kInvalidArgument,
                "set_disposition: argument 'callback_at' is negative (before the Unix epoch)");
  }
  if (call >= kFirstInboundCallId) {
    {
      std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
      if (!impl_->inbound->awaiting_disposition(call)) {
        throw Error(ErrorCode::kState, "set_disposition: inbound call " + std::to_string(call) +
                                           " is not awaiting a disposition");
      }
    }
    impl_->mutate([this, call, disposition] { impl_->inbound->dispose(call, disposition); });
    return;
  }
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    auto it = impl_->calls.find(call);
    if (it == impl_->calls.end() || !it->second.awaiting_disposition) {
      throw Error(ErrorCode::kState, "set_disposition: call " + std::to_string(call) +
                                         " is not awaiting a disposition");
    }
  }
  impl_->mutate([this, call, disposition, callback_at] {
    auto it = impl_->calls.find(call);
    if (it == impl_->calls.end() || !it->second.awaiting_disposition) return;
    impl_->end_wrap_up(it->second, disposition, callback_at);
  });
}

std::optional<CallState> Engine::call_state(CallId call) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  auto it = impl_->calls.find(call);
  if (it == impl_->calls.end()) return std::nullopt;
  return it->second.sm.state();
}

}  // namespace omnivox
