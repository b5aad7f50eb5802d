#include "engine/engine_impl.h"

namespace omnivox {

void Engine::Impl::reconcile(Campaign& c) {
  if (c.reconcile_timer) clock->cancel(c.reconcile_timer), c.reconcile_timer = 0;
  TimePoint t = now();
  c.last_reconcile = t;
  TimePoint next_look = TimePoint::max();
  std::vector<Attempt> open;
  try {
    storage->scan_open_attempts(c.config.id, [&](const Attempt& a) {
      if (!calls.count(a.call_id) && !unsaved.count(a.call_id)) open.push_back(a);
      return true;
    });
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kError, "reconcile",
                       std::string("reading open attempts failed: ") + e.what());
    next_look = t + std::chrono::seconds(5);
  }
  // Lease expiries are on the lease clock; a look again is scheduled on the engine's.
  const TimePoint lease_t = lease_now();
  std::size_t closed = 0;
  for (Attempt& a : open) {
    try {
      auto lease = storage->get_lease(a.contact_id);
      if (lease && lease->expiry > lease_t && lease->owner != options.owner_token) {
        next_look =
            std::min(next_look, t + (lease->expiry - lease_t) + std::chrono::milliseconds(100));
        continue;
      }
      const ContactId ids[1] = {a.contact_id};
      // Claiming first keeps two surviving engines from closing the same attempt.
      if (storage->claim_leases_to_reconcile(ids, options.owner_token, lease_t, options.lease_ttl)
              .empty()) {
        next_look = std::min(next_look, t + options.lease_ttl / 2);
        continue;
      }
      // Read again under our lease: its engine may have finished the call (and released the
      // lease) since the scan, and its record is the truth then.
      if (!still_open(a)) {
        if (!c.held.count(a.contact_id)) storage->release_lease(a.contact_id, options.owner_token);
        continue;
      }
      close_orphan(c, a, t);
      ++closed;
      if (!c.held.count(a.contact_id)) storage->release_lease(a.contact_id, options.owner_token);
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kError, "reconcile",
                         "reconciling call " + std::to_string(a.call_id) + " failed: " + e.what());
      next_look = std::min(next_look, t + std::chrono::seconds(5));
    }
  }
  if (closed > 0 && c.started) {
    // An engine died: the retries it scheduled are stored, yet no live engine is waiting for
    // them (each waits only for the retries it scheduled itself), and neither for the ones
    // just given to the calls closed here.
    learn_stored_retries(c);
    if (!c.retry_due.empty()) unblock_refill(c, c.retry_due.top());
    schedule_wake(c);
  }
  if (next_look != TimePoint::max() && c.started) {
    Campaign* cp = &c;
    c.reconcile_timer = schedule(next_look, [cp](Impl& self) {
      cp->reconcile_timer = 0;
      self.reconcile(*cp);
    });
  }
}

void Engine::Impl::learn_stored_retries(Campaign& c) {
  read_stored_schedule(c, now(), c.retry_due);
}

void Engine::Impl::read_stored_schedule(
    Campaign& c, TimePoint t,
    std::priority_queue<TimePoint, std::vector<TimePoint>, std::greater<TimePoint>>& due) {
  ContactScan scan;
  scan.campaign_id = c.config.id;
  // Every contact, not the dialable-by-time scan: that one would move the backend's whole
  // future into its ready set (the memory backend's promote), and every refill after it would
  // pass over contacts not due yet.
  scan.dialable_only = false;
  scan.scheduled_after = t;  // a backend may read only those
  try {
    storage->scan_contact_views(scan, [&](const ContactView& v) -> ScanStep {
      // NEW contacts' times are deferral hints (Storage::defer_contacts), not scheduled work.
      const bool scheduled =
          v.status == ContactStatus::kRetry || v.status == ContactStatus::kCallback;
      if (scheduled && v.next_attempt_at > t) due.push(v.next_attempt_at);
      return ScanStep::next();
    });
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kError, "schedule",
                       std::string("reading scheduled retries failed: ") + e.what());
  }
}

void Engine::Impl::reconcile_soon(Campaign& c) {
  if (c.reconcile_timer || !c.started) return;
  Campaign* cp = &c;
  c.reconcile_timer =
      schedule(std::max(now(), c.last_reconcile + options.lease_ttl / 2), [cp](Impl& self) {
        cp->reconcile_timer = 0;
        self.reconcile(*cp);
      });
}

bool Engine::Impl::still_open(Attempt& a) {
  for (Attempt& stored : storage->attempts_of(a.contact_id)) {
    if (stored.call_id != a.call_id) continue;
    if (stored.disposition != Disposition::kNone) return false;
    a = std::move(stored);
    return true;
  }
  return false;
}

void Engine::Impl::close_orphan(Campaign& c, Attempt a, TimePoint t) {
  std::optional<CallEvent> looked;
  try {
    looked = telephony->lookup_call(a);
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kWarn, "reconcile",
                       std::string("telephony lookup_call threw: ") + e.what());
  }
  Disposition d = Disposition::kFailed;
  std::string how = "telephony could not tell";
  const bool bridged = a.bridged_at != TimePoint{};
  const bool answered = a.answered_at != TimePoint{};
  if (looked && ends_call(looked->kind)) {
    how = std::string("telephony reported ") + to_string(looked->kind);
    if (looked->provider_code) a.provider_code = looked->provider_code;
    switch (looked->kind) {
      case CallEventKind::kBusy:
        d = Disposition::kBusy, a.state = CallState::kBusy;
        break;
      case CallEventKind::kNoAnswer:
        d = Disposition::kNoAnswer, a.state = CallState::kNoAnswer;
        break;
      case CallEventKind::kCanceled:
        d = Disposition::kCanceled, a.state = CallState::kCanceled;
        break;
      case CallEventKind::kFailed:
        a.state = CallState::kFailed;
        a.fail_reason =
            looked->fail_reason == FailReason::kNone ? FailReason::kUnknown : looked->fail_reason;
        d = a.fail_reason == FailReason::kInvalidNumber ? Disposition::kInvalidNumber
                                                        : Disposition::kFailed;
        break;
      default:  // kCompleted: it was answered
        d = bridged ? Disposition::kCompleted : Disposition::kAbandoned;
        a.state = bridged ? CallState::kCompleted : CallState::kAbandoned;
        break;
    }
  } else {
    if (looked) {
      how = "telephony reported it live; hung up";
      telephony->hangup(a.call_id);
    }
    if (bridged) {
      d = Disposition::kCompleted, a.state = CallState::kCompleted;
    } else if (answered) {
      d = Disposition::kAbandoned, a.state = CallState::kAbandoned;
    } else {
      d = Disposition::kFailed, a.state = CallState::kFailed, a.fail_reason = FailReason::kUnknown;
    }
  }
  if (d == Disposition::kAbandoned) count_abandon(c, a.answered_at);
  a.disposition = d;
  a.ended_at = t;
  // A later attempt of the same contact (dialed after the lease expired) owns its state now.
  // Later by attempt number, not by call id: engines draw call ids in blocks (BatchingStorage),
  // so an engine's later attempt can have a lower id than another engine's earlier one, and
  // skipping the contact then would leave it as the placement wrote it (counted, never settled).
  bool superseded = false;
  for (const Attempt& other : storage->attempts_of(a.contact_id)) {
    if (other.attempt_number > a.attempt_number) superseded = true;
  }
  if (!superseded) {
    if (auto contact = storage->get_contact(a.contact_id)) {
      account_attempt(*contact, a);
      apply_disposition(c, *contact, a, d, std::nullopt, t);
      storage->update_contact(*contact);
    }
  }
  storage->put_attempt(a);
  ++c.reconciled;
  logger.log_limited(LogLevel::kWarn, "reconcile",
                     "call " + std::to_string(a.call_id) + " of contact " +
                         std::to_string(a.contact_id) + " was open from an earlier engine (" + how +
                         "): closed as " + to_string(d));
  journal(c, a.call_id, a.contact_id, "reconciled", how + "; closed as " + to_string(d));
  notify(EventListener::kAttemptsFinished, [&](EventListener& l) { l.on_attempt_finished(a); });
}

}  // namespace omnivox
