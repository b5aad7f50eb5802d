#include "omnivox/queue_generator.h"

#include <algorithm>
#include <cstdio>

namespace omnivox {

const char* to_string(Ineligibility r) {
  static const char* const kNames[] = {"dialable",       "final_status",   "max_attempts",
                                       "no_valid_number", "retry_delay",   "callback_not_due",
                                       "outside_call_window", "do_not_call", "leased"};
  return kNames[static_cast<int>(r)];
}

QueueGenerator::QueueGenerator(const CampaignConfig& campaign, Storage* storage,
                               TimeZoneMap* zones)
    : campaign_(campaign), storage_(storage), zones_(zones) {
  // The compliance profile's hours bound the campaign's: use the intersection, day by day.
  for (int day = 0; day < 7; ++day) {
    LocalTimeRange& mine = campaign_.call_window.by_weekday[day];
    const LocalTimeRange& rule = campaign.compliance.call_window.by_weekday[day];
    mine.start_minute = std::max(mine.start_minute, rule.start_minute);
    mine.end_minute = std::min(mine.end_minute, rule.end_minute);
    if (mine.end_minute < mine.start_minute) mine.end_minute = mine.start_minute;
  }
}

ZoneSetId QueueGenerator::zone_set_for(const Contact& contact, const PhoneNumber& number) {
  if (number.zone_set != kUnknownZoneSet) return number.zone_set;
  if (!contact.time_zone.empty()) return zones_->intern_zones({contact.time_zone});
  return zones_->zone_set_for(number.e164);
}

const QueueGenerator::WindowCache& QueueGenerator::window_at(ZoneSetId zone_set, TimePoint now,
                                                             bool want_next_open) {
  if (zone_set >= window_cache_.size()) window_cache_.resize(zone_set + 1);
  WindowCache& cache = window_cache_[zone_set];
  if (!cache.computed || cache.at != now) {
    cache.at = now;
    cache.computed = true;
    cache.open = zones_->is_open(zone_set, campaign_.call_window, now, campaign_.fallback_time_zone);
    cache.next_open = TimePoint::min();  // not computed yet
  }
  if (!cache.open && want_next_open && cache.next_open == TimePoint::min()) {
    auto next = zones_->next_open(zone_set, campaign_.call_window, now,
                                  campaign_.fallback_time_zone);
    cache.next_open = next ? *next : TimePoint::max();
  }
  return cache;
}

Ineligibility QueueGenerator::quick_check(const Contact& c, TimePoint now, int* number_index,
                                          std::optional<TimePoint>* eligible_at,
                                          bool want_next_open) {
  if (is_final(c.status)) return Ineligibility::kFinalStatus;
  if (campaign_.max_attempts > 0 && c.attempts >= campaign_.max_attempts) {
    return Ineligibility::kMaxAttempts;
  }
  int chosen = -1;
  const std::size_t n = c.numbers.size();
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t i = (c.next_number + k) % n;
    const PhoneNumber& number = c.numbers[i];
    if (number.invalid) continue;
    if (campaign_.max_attempts_per_number > 0 &&
        number.attempts >= campaign_.max_attempts_per_number) {
      continue;
    }
    chosen = static_cast<int>(i);
    break;
  }
  if (chosen < 0) return Ineligibility::kNoValidNumber;
  *number_index = chosen;
  if (c.next_attempt_at > now) {
    *eligible_at = c.next_attempt_at;
    return c.status == ContactStatus::kCallback ? Ineligibility::kCallbackNotDue
                                                : Ineligibility::kRetryDelay;
  }
  const WindowCache& window =
      window_at(zone_set_for(c, c.numbers[chosen]), now, want_next_open);
  if (!window.open) {
    if (want_next_open && window.next_open != TimePoint::max()) *eligible_at = window.next_open;
    return Ineligibility::kOutsideCallWindow;
  }
  return Ineligibility::kNone;
}

EligibilityReport QueueGenerator::explain(const Contact& contact, TimePoint now,
                                          std::string_view owner, bool check_storage_rules) {
  EligibilityReport report;
  report.contact_id = contact.id;
  int number_index = 0;
  std::optional<TimePoint> eligible_at;
  report.reason = quick_check(contact, now, &number_index, &eligible_at, true);
  report.eligible_at = eligible_at;
  switch (report.reason) {
    case Ineligibility::kFinalStatus:
      report.detail = std::string("status ") + to_string(contact.status);
      return report;
    case Ineligibility::kMaxAttempts:
      report.detail = std::to_string(contact.attempts) + " attempts, cap " +
                      std::to_string(campaign_.max_attempts);
      return report;
    case Ineligibility::kNoValidNumber:
      report.detail = "no number is valid and under its per-number cap";
      return report;
    case Ineligibility::kRetryDelay:
    case Ineligibility::kCallbackNotDue:
      report.detail = std::string(report.reason == Ineligibility::kRetryDelay
                                      ? "retry delay after "
                                      : "callback scheduled; ") +
                      to_string(contact.last_disposition) + "; due " +
                      format_utc(contact.next_attempt_at);
      return report;
    case Ineligibility::kOutsideCallWindow: {
      const PhoneNumber& number = contact.numbers[number_index];
      ZoneSetId zs = zone_set_for(contact, number);
      auto names = zones_->zone_names(zs);
      if (names.empty()) names.push_back(campaign_.fallback_time_zone);
      std::string detail;
      for (const auto& zone : names) {
        if (!detail.empty()) detail += ", ";
        detail += "local time " + TimeZoneMap::local_time_string(zone, now).substr(11, 5) +
                  " in " + zone;
      }
      const LocalTimeRange& range = campaign_.call_window.by_weekday[0];
      char window[32];
      std::snprintf(window, sizeof window, "%02d:%02d-%02d:%02d", range.start_minute / 60,
                    range.start_minute % 60, range.end_minute / 60, range.end_minute % 60);
      report.detail = detail + "; window " + window + " (Sunday's; see campaign for others)";
      if (report.eligible_at) report.detail += "; opens " + format_utc(*report.eligible_at);
      return report;
    }
    default: break;
  }
  if (!check_storage_rules) return report;
  const PhoneNumber& number = contact.numbers[number_index];
  if (storage_->is_dnc(campaign_.id, number.e164)) {
    report.reason = Ineligibility::kDoNotCall;
    report.detail = number.e164 + " is on a DNC list";
    return report;
  }
  if (auto lease = storage_->get_lease(contact.id); lease && lease->expiry > now) {
    report.reason = Ineligibility::kLeased;
    report.detail = "leased by " + lease->owner + " until " + format_utc(lease->expiry);
    report.eligible_at = lease->expiry;
    return report;
  }
  report.detail = "dialable now on " + number.e164;
  return report;
}

TimePoint QueueGenerator::fill(TimePoint now, std::size_t max_entries,
                               const std::function<bool(ContactId)>& is_held,
                               std::vector<DialQueueEntry>& out) {
  TimePoint wake = TimePoint::max();
  if (max_entries == 0) return wake;
  std::vector<DialQueueEntry> candidates;
  ContactScan scan;
  scan.campaign_id = campaign_.id;
  scan.due_by = now;
  storage_->scan_contacts(scan, [&](const Contact& c) {
    if (is_held(c.id)) return true;
    int number_index = 0;
    std::optional<TimePoint> eligible_at;
    Ineligibility why = quick_check(c, now, &number_index, &eligible_at, true);
    if (why == Ineligibility::kNone) {
      DialQueueEntry entry;
      entry.contact_id = c.id;
      entry.number_index = static_cast<std::uint16_t>(number_index);
      entry.number = c.numbers[number_index].e164;
      entry.callback = c.status == ContactStatus::kCallback;
      entry.callback_agent = c.callback_agent;
      candidates.push_back(std::move(entry));
      return candidates.size() < max_entries;
    }
    if (why == Ineligibility::kOutsideCallWindow && eligible_at) wake = std::min(wake, *eligible_at);
    return true;
  });
  for (auto& entry : candidates) {
    if (storage_->is_dnc(campaign_.id, entry.number)) {
      if (auto contact = storage_->get_contact(entry.contact_id)) {
        contact->status = ContactStatus::kDoNotCall;
        storage_->update_contact(*contact);
      }
      continue;
    }
    out.push_back(std::move(entry));
  }
  return wake;
}

std::vector<std::size_t> QueueGenerator::census(TimePoint now) {
  std::vector<std::size_t> counts(kIneligibilityCount, 0);
  std::vector<Contact> open;
  ContactScan scan;
  scan.campaign_id = campaign_.id;
  scan.dialable_only = false;
  storage_->scan_contacts(scan, [&](const Contact& c) {
    int number_index = 0;
    std::optional<TimePoint> eligible_at;
    Ineligibility why = quick_check(c, now, &number_index, &eligible_at, false);
    if (why == Ineligibility::kNone) {
      open.push_back(c);
    } else {
      ++counts[static_cast<int>(why)];
    }
    return true;
  });
  for (const Contact& c : open) {
    ++counts[static_cast<int>(explain(c, now).reason)];
  }
  return counts;
}

}  // namespace omnivox
