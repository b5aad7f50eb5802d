// The queue generator: decides which (contact, number) entries are dialable now and fills the
// campaign's dial queue (VICIdial: hopper) in order — callbacks due, then priority, then list
// order — and explains, per contact, which rule excludes it (docs/architecture.md, Eligibility).
#ifndef OMNIVOX_QUEUE_GENERATOR_H_
#define OMNIVOX_QUEUE_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omnivox/call_window.h"
#include "omnivox/model.h"
#include "omnivox/storage.h"

namespace omnivox {

class Clock;

/// The first rule that excludes a contact. The rules are checked in this order: final status,
/// lifetime cap, valid number, retry delay / callback time, holiday, call window, repeat rules
/// (abandon, then AMD machine), the region's 24 h call cap, DNC, lease. New values are appended at
/// the end so that arrays indexed by this enum keep their meaning.
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
  /// The local date is a holiday of the compliance profile (in any zone of the number's set).
  kHoliday,
  /// The number's region (e.g. US-FL) allows at most N calls per 24 h to a contact, and the
  /// contact had N in the last 24 h.
  kRegionCallCap,
  /// The number had an ABANDONED call within ComplianceProfile::no_repeat_after_abandon and no
  /// agent is guaranteed.
  kRepeatAfterAbandon,
  /// The number had an AMD MACHINE result within ComplianceProfile::no_repeat_after_machine and
  /// no agent is guaranteed.
  kRepeatAfterMachine,
};
inline constexpr int kIneligibilityCount = 13;
/// snake_case name ("outside_call_window").
const char* to_string(Ineligibility r);

/// One dialable entry.
struct DialQueueEntry {
  ContactId contact_id = kNoContact;  ///< the contact to dial
  std::uint16_t number_index = 0;     ///< index into the contact's numbers
  std::string number;                 ///< E.164
  bool callback = false;              ///< a scheduled callback (status CALLBACK)
  AgentId callback_agent = kNoAgent;  ///< the callback's owner, or kNoAgent for anyone
};

/// Why a contact is (not) dialable now.
struct EligibilityReport {
  ContactId contact_id = kNoContact;  ///< the contact asked about
  Ineligibility reason =
      Ineligibility::kNone;  ///< the first rule that excludes it (kNone: dialable)
  std::string detail;        ///< e.g. "local time 22:14 in Europe/Lisbon; window 09:00-21:00"
  std::optional<TimePoint> eligible_at;  ///< when it may become dialable, if known
};

/// Evaluates the eligibility rules. Thread-safety: not thread-safe (one per engine campaign).
///
/// Compliance rules (docs/architecture.md, Eligibility and Compliance profiles) on top of the
/// campaign's:
///  - call window: campaign ∩ profile, and for a number in a region with a RegionRule (found from
///    the number's NPA-NXX with libphonenumber's offline geocoder, US and Canadian numbers;
///    cached per NPA-NXX) ∩ the rule's window;
///  - holidays: no call while the local date, in any zone of the number's zone set, is one of
///    ComplianceProfile::holidays;
///  - repeat rules (no_repeat_after_abandon / _machine) per number, measured from
///    PhoneNumber::last_abandon_at / last_machine_at, or, for numbers whose last_disposition is
///    ABANDONED / MACHINE with those times unset, from the attempt history in Storage; waived when
///    an agent is guaranteed: explain(..., agent_guaranteed = true), a contact owned by an agent
///    (Contact::callback_agent, i.e. DialQueueEntry::callback_agent), or a PREVIEW campaign;
///  - a region's max_calls_per_24h: the contact's attempts (any state, any number) created in the
///    last 24 h, read from Storage only for contacts that pass every cheaper rule, have at least
///    that many lifetime attempts and a last attempt in the last 24 h.
class QueueGenerator {
 public:
  /// `zones` must outlive the generator; `storage` too. Throws Error(kConfig) for a holiday that
  /// is not a "YYYY-MM-DD" date.
  QueueGenerator(const CampaignConfig& campaign, Storage* storage, TimeZoneMap* zones);
  ~QueueGenerator();
  QueueGenerator(QueueGenerator&&) noexcept;
  QueueGenerator& operator=(QueueGenerator&&) noexcept;

  /// The zone set of a contact's number (its time_zone override, or the prefix map).
  ZoneSetId zone_set_for(const Contact& contact, const PhoneNumber& number);
  /// Explains one contact at `now`; `check_storage_rules` also consults DNC and leases (the
  /// attempt-history rules, region cap and the repeat rules' fallback, are always checked).
  /// `agent_guaranteed`: the call will be connected to a reserved agent (preview, call now, owned
  /// callback), which waives the repeat rules.
  EligibilityReport explain(const Contact& contact, TimePoint now, std::string_view owner = {},
                            bool check_storage_rules = true, bool agent_guaranteed = false);
  /// Appends up to `max_entries` dialable entries to `out`, skipping contacts for which
  /// `is_held` is true (already queued or in flight here); contacts under a live lease may be left
  /// out too (ContactScan::skip_leased_at: the memory backend does). Contacts found on a DNC list
  /// are marked DNC (final) in storage. Returns the earliest time a contact excluded by the call
  /// window, a holiday, a repeat rule or a region cap may become dialable (for a wake-up timer),
  /// or TimePoint::max() if none. Retry and callback due times are not scanned for (the engine
  /// tracks the ones it sets). A contact excluded by its attempt history (region cap, repeat-rule
  /// fallback) is remembered and not read from storage again until that exclusion ends (new
  /// attempts only lengthen it); `now` is expected not to go backwards between calls.
  TimePoint fill(TimePoint now, std::size_t max_entries,
                 const std::function<bool(ContactId)>& is_held, std::vector<DialQueueEntry>& out);
  /// Counts the contacts of the campaign by Ineligibility (index = enum value).
  std::vector<std::size_t> census(TimePoint now);

  const CampaignConfig& campaign() const { return campaign_; }
  /// The clock lease expiries are compared on (EngineOptions::lease_clock); nullptr = the `now`
  /// passed to explain and fill. Must outlive the generator. Default: nullptr.
  void set_lease_clock(const Clock* clock) { lease_clock_ = clock; }

 private:
  struct State;           // compiled compliance rules and caches (queue_generator.cc)
  struct Check;           // outcome of the rules that need no storage call
  struct History;         // outcome of the rules that read the attempt history
  struct HistorySubject;  // what those rules read of a contact

  // Rules that need no storage call: status, caps, numbers, retry/callback time, holiday, call
  // window, repeat rules from the number's recorded times.
  void quick_check(const ContactView& c, TimePoint now, bool agent_guaranteed, bool want_next_open,
                   Check* out);
  // Rules that read the attempt history (only when quick_check asked for it).
  void read_history(const HistorySubject& c, const Check& check, TimePoint now,
                    bool agent_guaranteed, History* out);
  bool agent_guaranteed_for(AgentId callback_agent) const;
  // zone_set_for on a view: the number's zone set, else the contact's time_zone override's.
  ZoneSetId zone_set_of(std::string_view time_zone, const PhoneNumberView& number);

  CampaignConfig campaign_;
  Storage* storage_;
  TimeZoneMap* zones_;
  const Clock* lease_clock_ = nullptr;
  std::unique_ptr<State> state_;
};

}  // namespace omnivox

#endif  // OMNIVOX_QUEUE_GENERATOR_H_
