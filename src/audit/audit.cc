// After-the-fact compliance audit of a campaign's call records.
#include "omnivox/audit.h"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "omnivox/compliance.h"
#include "omnivox/model.h"
#include "omnivox/storage.h"

namespace omnivox {
namespace {

bool is_live(const Attempt& a) {
  return a.amd != AmdResult::kMachine && a.answered_at != TimePoint{} && a.state != CallState::kFax;
}

}  // namespace

ComplianceAudit audit_campaign(Storage& storage, const CampaignConfig& campaign,
                               TimeZoneMap& zones) {
  ComplianceAudit audit;
  const ComplianceProfile& profile = campaign.compliance;
  const CallWindow window = CallWindow::intersect(campaign.call_window, profile.call_window);
  auto note = [&](const std::string& text) {
    if (audit.examples.size() < 10) audit.examples.push_back(text);
  };
  std::vector<Attempt> attempts;
  storage.scan_attempts(campaign.id, [&](const Attempt& a) {
    attempts.push_back(a);
    return true;
  });
  std::sort(attempts.begin(), attempts.end(),
            [](const Attempt& a, const Attempt& b) { return a.created_at < b.created_at; });
  // Per number: the last abandon and AMD-machine end times seen so far.
  std::unordered_map<std::string, std::pair<TimePoint, TimePoint>> last_bad;
  // The abandon cap is checked at each live answer and machine result, in answer order.
  enum class Outcome { kLive, kAbandoned, kMachine };
  std::vector<std::pair<TimePoint, Outcome>> cap_events;
  for (const Attempt& a : attempts) {
    ++audit.attempts;
    ZoneSetId zs = zones.zone_set_for(a.number);
    if (!zones.is_open(zs, window, a.created_at, campaign.fallback_time_zone)) {
      ++audit.outside_window;
      note("call " + std::to_string(a.call_id) + " to " + a.number + " at " +
           format_utc(a.created_at) + " is outside the call window");
    }
    if (!profile.holidays.empty()) {
      auto names = zones.zone_names(zs);
      if (names.empty()) names.push_back(campaign.fallback_time_zone);
      for (const auto& zone : names) {
        std::string date = TimeZoneMap::local_time_string(zone, a.created_at).substr(0, 10);
        if (std::find(profile.holidays.begin(), profile.holidays.end(), date) !=
            profile.holidays.end()) {
          ++audit.on_holiday;
          note("call " + std::to_string(a.call_id) + " on holiday " + date);
          break;
        }
      }
    }
    bool gave_up = a.state == CallState::kCanceled ||
                   (a.state == CallState::kFailed && a.fail_reason == FailReason::kTimeout);
    if (gave_up && a.answered_at == TimePoint{} && a.ended_at != TimePoint{} &&
        a.ended_at - a.created_at < profile.min_ring) {
      ++audit.under_min_ring;
      note("call " + std::to_string(a.call_id) + " given up after " +
           std::to_string(to_seconds(a.ended_at - a.created_at)) + " s");
    }
    auto& [abandon_at, machine_at] = last_bad[a.number];
    {
      if (profile.no_repeat_after_abandon > Duration(0) && abandon_at != TimePoint{} &&
          a.created_at < abandon_at + profile.no_repeat_after_abandon) {
        ++audit.repeat_violations;
        note("call " + std::to_string(a.call_id) + " to " + a.number + " repeats an abandon");
      }
      if (profile.no_repeat_after_machine > Duration(0) && machine_at != TimePoint{} &&
          a.created_at < machine_at + profile.no_repeat_after_machine) {
        ++audit.repeat_violations;
        note("call " + std::to_string(a.call_id) + " to " + a.number + " repeats an AMD machine");
      }
    }
    if (a.disposition == Disposition::kAbandoned) abandon_at = a.ended_at;
    if (a.amd == AmdResult::kMachine) machine_at = a.ended_at;
    if (is_live(a)) {
      cap_events.emplace_back(a.answered_at, a.disposition == Disposition::kAbandoned
                                                 ? Outcome::kAbandoned
                                                 : Outcome::kLive);
    } else if (a.amd == AmdResult::kMachine && a.answered_at != TimePoint{}) {
      cap_events.emplace_back(a.answered_at, Outcome::kMachine);
    }
  }
  if (profile.abandon_cap < 1.0) {
    std::sort(cap_events.begin(), cap_events.end());
    std::deque<std::pair<TimePoint, Outcome>> in_window;
    long live = 0, abandons = 0, machines = 0;
    auto count = [&](Outcome o, long by) {
      if (o == Outcome::kMachine) {
        machines += by;
      } else {
        live += by;
        if (o == Outcome::kAbandoned) abandons += by;
      }
    };
    const double min_live = 1.0 / profile.abandon_cap;
    const bool machines_count = profile.abandons_per_machine() > 0;
    for (const auto& e : cap_events) {
      in_window.push_back(e);
      count(e.second, 1);
      if (profile.abandon_window > Duration(0)) {
        while (!in_window.empty() && in_window.front().first <= e.first - profile.abandon_window) {
          count(in_window.front().second, -1);
          in_window.pop_front();
        }
      }
      if (live < min_live) continue;
      const double counted_rate =
          profile.counted_abandons(static_cast<double>(abandons), static_cast<double>(machines)) /
          static_cast<double>(live);
      const double abandon_rate = static_cast<double>(abandons) / static_cast<double>(live);
      audit.max_window_rate = std::max(audit.max_window_rate, counted_rate);
      audit.max_window_abandon_rate = std::max(audit.max_window_abandon_rate, abandon_rate);
      if (counted_rate > profile.abandon_cap + 1e-12) {
        ++audit.cap_breaches;
        note(machines_count
                 ? "abandon rate as counted " + std::to_string(counted_rate) + " (abandons alone " +
                       std::to_string(abandon_rate) + ") at " + format_utc(e.first)
                 : "abandon rate " + std::to_string(abandon_rate) + " at " + format_utc(e.first));
      }
    }
  }
  return audit;
}

}  // namespace omnivox
