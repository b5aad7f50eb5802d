// The after-the-fact compliance audit: reads a campaign's call records from storage and checks
// them against its compliance profile (omnivox/compliance.h) — call windows, holidays, minimum
// ring time, repeat rules, the rolling abandon cap. A part of its own above storage and the
// compliance rules (docs/architecture.md, Parts and layers).
#ifndef OMNIVOX_AUDIT_H_
#define OMNIVOX_AUDIT_H_

#include <string>
#include <vector>

#include "omnivox/call_window.h"
#include "omnivox/compliance.h"
#include "omnivox/model.h"
#include "omnivox/storage.h"

namespace omnivox {

/// What an after-the-fact audit of a campaign's call records found. Every count should be 0.
struct ComplianceAudit {
  long attempts = 0;           ///< attempts audited
  long outside_window = 0;     ///< dialed outside campaign ∩ profile windows in local time
  long on_holiday = 0;         ///< dialed on a profile holiday (local date)
  long under_min_ring = 0;     ///< given up by the engine (CANCELED / FAILED timeout) before
                               ///< the profile's minimum ring time, without an answer
  long repeat_violations = 0;  ///< dialed inside a repeat window after an abandon / AMD machine
  /// Live answers and AMD machine results at which the rolling abandon rate as the profile
  /// counts it (ComplianceProfile::counted_abandons: abandons plus, when the profile counts AMD
  /// false positives, its estimate per machine result, over the live answers in the window), with
  /// at least 1/cap live answers in the window, exceeded the cap.
  long cap_breaches = 0;
  double max_window_rate = 0;  ///< the highest such counted rolling rate seen (fraction)
  /// The highest rolling rate of abandons alone at the same instants (fraction); equal to
  /// max_window_rate unless the profile counts AMD false positives.
  double max_window_abandon_rate = 0;
  std::vector<std::string> examples;  ///< up to 10 human-readable violations
  /// True when no rule was broken (every violation count is 0).
  bool clean() const {
    return outside_window + on_holiday + under_min_ring + repeat_violations + cap_breaches == 0;
  }
};

/// Audits every attempt of a campaign in `storage` against its compliance profile: call windows
/// (called party's local time from the number's zone set), holidays, the minimum ring time, the
/// repeat rules (unless the attempt had an agent: AMD rules only bind automated dialing) and the
/// rolling abandon cap on the rate as the profile counts it (ComplianceProfile::counted_abandons,
/// the governor's definition), checked at every live answer and AMD machine result (each at its
/// answered_at) once the window holds at least 1/cap live answers, so one early abandon does not
/// count as a breach. Region rules are not re-derived. Errors: what `storage` throws.
/// Thread-safety: as `storage` and `zones`.
ComplianceAudit audit_campaign(Storage& storage, const CampaignConfig& campaign,
                               TimeZoneMap& zones);

}  // namespace omnivox

#endif  // OMNIVOX_AUDIT_H_
