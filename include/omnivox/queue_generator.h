// The queue generator: decides which (contact, number) entries are dialable now and fills the
// campaign's dial queue (VICIdial: hopper) in order — callbacks due, then priority, then list
// order — and explains, per contact, which rule excludes it (DESIGN.md section 4).
#ifndef OMNIVOX_QUEUE_GENERATOR_H_
#define OMNIVOX_QUEUE_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "omnivox/call_window.h"
#include "omnivox/model.h"
#include "omnivox/storage.h"

namespace omnivox {

/// The first rule that excludes a contact, checked in this order.
enum class Ineligibility : std::uint8_t {
  kNone = 0,           ///< dialable now
  kFinalStatus,        ///< DONE, DNC, INVALID or EXHAUSTED
  kMaxAttempts,        ///< the lifetime attempt cap is reached
  kNoValidNumber,      ///< every number is invalid or over its per-number cap
  kRetryDelay,         ///< the retry delay of the last disposition has not passed
  kCallbackNotDue,     ///< a callback is scheduled later
  kOutsideCallWindow,  ///< the contact's local time is outside the call window
  kDoNotCall,          ///< the number is on a DNC list
  kLeased,             ///< another engine (or this one) holds a live lease
};
inline constexpr int kIneligibilityCount = 9;
/// snake_case name ("outside_call_window").
const char* to_string(Ineligibility r);

/// One dialable entry.
struct DialQueueEntry {
  ContactId contact_id = kNoContact;
  std::uint16_t number_index = 0;
  std::string number;  ///< E.164
  bool callback = false;
  AgentId callback_agent = kNoAgent;
};

/// Why a contact is (not) dialable now.
struct EligibilityReport {
  ContactId contact_id = kNoContact;
  Ineligibility reason = Ineligibility::kNone;
  std::string detail;  ///< e.g. "local time 22:14 in Europe/Lisbon; window 09:00-21:00"
  std::optional<TimePoint> eligible_at;  ///< when it may become dialable, if known
};

/// Evaluates the eligibility rules. Thread-safety: not thread-safe (one per engine campaign).
class QueueGenerator {
 public:
  /// `zones` must outlive the generator; `storage` too.
  QueueGenerator(const CampaignConfig& campaign, Storage* storage, TimeZoneMap* zones);

  /// The zone set of a contact's number (its time_zone override, or the prefix map).
  ZoneSetId zone_set_for(const Contact& contact, const PhoneNumber& number);
  /// Explains one contact at `now`; `check_storage_rules` also consults DNC and leases.
  EligibilityReport explain(const Contact& contact, TimePoint now, std::string_view owner = {},
                            bool check_storage_rules = true);
  /// Appends up to `max_entries` dialable entries to `out`, skipping contacts for which
  /// `is_held` is true (already queued or in flight here). Contacts found on a DNC list are
  /// marked DNC (final) in storage. Returns the earliest time a contact excluded by the call
  /// window may become dialable (for a wake-up timer), or TimePoint::max() if none.
  /// Retry and callback due times are not scanned for (the engine tracks the ones it sets).
  TimePoint fill(TimePoint now, std::size_t max_entries,
                 const std::function<bool(ContactId)>& is_held, std::vector<DialQueueEntry>& out);
  /// Counts the contacts of the campaign by Ineligibility (index = enum value).
  std::vector<std::size_t> census(TimePoint now);

  const CampaignConfig& campaign() const { return campaign_; }

 private:
  struct WindowCache {
    TimePoint at{};
    bool computed = false;
    bool open = false;
    TimePoint next_open = TimePoint::max();
  };
  // Rules that need no storage call: status, caps, numbers, retry/callback time, call window.
  Ineligibility quick_check(const Contact& c, TimePoint now, int* number_index,
                            std::optional<TimePoint>* eligible_at, bool want_next_open);
  const WindowCache& window_at(ZoneSetId zone_set, TimePoint now, bool want_next_open);

  CampaignConfig campaign_;
  Storage* storage_;
  TimeZoneMap* zones_;
  std::vector<WindowCache> window_cache_;
};

}  // namespace omnivox

#endif  // OMNIVOX_QUEUE_GENERATOR_H_
