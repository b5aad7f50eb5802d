// The domain model: contacts and their phone numbers, attempts (calls), dispositions, agents,
// callbacks, and the campaign configuration. Words as in docs/architecture.md, Glossary.
#ifndef OMNIVOX_MODEL_H_
#define OMNIVOX_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "omnivox/call_window.h"
#include "omnivox/compliance.h"
#include "omnivox/types.h"

namespace omnivox {

/// The outcome code of an attempt. System dispositions are set by the engine from telephony
/// events; agent dispositions are set by the agent (or the simulator's agents) after the call.
enum class Disposition : std::uint8_t {
  kNone = 0,
  // system
  kBusy,
  kNoAnswer,
  kMachine,
  kFax,
  kAbandoned,
  kInvalidNumber,
  kFailed,
  kCanceled,
  // agent
  kSale,
  kNotInterested,
  kCallback,
  kDoNotCall,
  kWrongNumber,
  kCompleted,  ///< connected and ended without a more specific agent disposition
};
inline constexpr int kDispositionCount = 15;

/// Upper-case name ("NO_ANSWER", "SALE", ...).
const char* to_string(Disposition d);
/// Parses an upper-case name; nullopt when unknown.
std::optional<Disposition> disposition_from_string(std::string_view name);
/// True for dispositions an agent sets (SALE .. COMPLETED).
bool is_agent_disposition(Disposition d);

/// Where a contact stands. NEW, RETRY and CALLBACK are dialable (subject to the eligibility
/// rules); the others are final.
enum class ContactStatus : std::uint8_t {
  kNew = 0,    ///< never attempted
  kRetry,      ///< attempted, to be retried after the retry delay of its last disposition
  kCallback,   ///< a callback is scheduled at Contact::callback_at
  kDone,       ///< reached and dispositioned (final)
  kDoNotCall,  ///< asked not to be called, or on a DNC list at dial time (final)
  kInvalid,    ///< no valid number left (final)
  kExhausted,  ///< attempt caps reached (final)
};
const char* to_string(ContactStatus s);
inline bool is_final(ContactStatus s) { return s >= ContactStatus::kDone; }

/// Dial modes (docs/architecture.md, Glossary).
enum class DialMode : std::uint8_t { kPreview, kProgressive, kPower, kPredictive };
const char* to_string(DialMode m);
std::optional<DialMode> dial_mode_from_string(std::string_view name);

/// Agent states (docs/architecture.md, Glossary).
enum class AgentState : std::uint8_t {
  kLoggedOut = 0,
  kAvailable,
  kReserved,  ///< a live answer is being connected to this agent
  kOnCall,
  kWrapUp,
  kPaused,
};
inline constexpr int kAgentStateCount = 6;
const char* to_string(AgentState s);

/// One phone number of a contact, with its own counters.
struct PhoneNumber {
  std::string e164;                      ///< "+351912345678"
  ZoneSetId zone_set = kUnknownZoneSet;  ///< from the prefix map (or the contact's zone)
  std::uint16_t attempts = 0;            ///< lifetime attempts on this number
  Disposition last_disposition = Disposition::kNone;  ///< of the last attempt on this number
  bool invalid = false;  ///< telephony reported it invalid: never dialed again
  /// End of the last ABANDONED attempt on this number (epoch if none or unknown). Set by the
  /// engine with last_disposition; read by the repeat rule no_repeat_after_abandon.
  TimePoint last_abandon_at{};
  /// End of the last attempt on this number that ended MACHINE (AMD) (epoch if none or unknown).
  /// Set by the engine with last_disposition; read by the repeat rule no_repeat_after_machine.
  TimePoint last_machine_at{};
};

/// A person to reach (VICIdial: lead).
struct Contact {
  ContactId id = kNoContact;         ///< assigned by Storage::add_contact
  std::string campaign_id;           ///< the campaign it belongs to
  std::string list_name;             ///< contact list it was loaded with
  std::string external_id;           ///< the host's id
  std::int32_t priority = 0;         ///< higher is dialed first
  std::uint64_t list_order = 0;      ///< load order within the campaign, assigned by Storage
  std::vector<PhoneNumber> numbers;  ///< 1..n, in dialing order
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string time_zone;  ///< IANA override from the address; empty = by prefix
  ContactStatus status = ContactStatus::kNew;  ///< where it stands (NEW until first attempted)
  std::uint16_t attempts = 0;                  ///< lifetime attempts over all numbers
  std::uint16_t not_connected = 0;  ///< attempts that reached no one (busy, no answer, failed)
  std::uint16_t next_number = 0;    ///< index into numbers to dial next
  Disposition last_disposition = Disposition::kNone;  ///< of the last attempt (NONE before one)
  TimePoint last_attempt_at{};                        ///< start of the last attempt (epoch if none)
  TimePoint next_attempt_at{};        ///< not dialable before this (retry delay / callback time)
  AgentId callback_agent = kNoAgent;  ///< owner of a CALLBACK, or kNoAgent for anyone

  /// Looks up an attribute by column name; nullptr when absent.
  const std::string* attribute(std::string_view name) const;
};

/// A contact list (VICIdial: list): a named set of contacts loaded together.
struct ContactList {
  std::string campaign_id;  ///< the campaign it belongs to
  std::string name;         ///< unique within the campaign
  bool active = true;       ///< its contacts are dialed (false: left out of the dial queue)
  /// False from the start of an import into the list until its last row is stored: a list left
  /// false by a process that died mid-import is unfinished, and a restart completes it (imports
  /// are idempotent by external id, Storage::add_contact) before dialling. Default: true.
  bool import_complete = true;
};

/// Why an attempt failed (CallState::kFailed).
enum class FailReason : std::uint8_t {
  kNone = 0,
  kInvalidNumber,
  kRejected,
  kNetwork,
  kTimeout,
  kConfig,
  kUnknown,  ///< reconciled after a restart with no answer from telephony
};
const char* to_string(FailReason r);

/// Call states in rank order (docs/architecture.md, Call state machine). Terminal states follow
/// BRIDGED.
enum class CallState : std::uint8_t {
  kQueued = 0,
  kDialing,
  kRinging,
  kAnswered,
  kHuman,
  kMachine,
  kFax,
  kBridged,
  // terminal
  kCompleted,
  kAbandoned,
  kBusy,
  kNoAnswer,
  kFailed,
  kCanceled,
};
inline constexpr int kCallStateCount = 14;
const char* to_string(CallState s);
/// The rank used for the monotone rule: QUEUED 0, DIALING 1, RINGING 2, ANSWERED 3,
/// HUMAN/MACHINE/FAX 4, BRIDGED 5, every terminal state 6.
int rank_of(CallState s);
inline bool is_terminal(CallState s) { return s >= CallState::kCompleted; }

/// AMD (answering-machine detection) results.
enum class AmdResult : std::uint8_t { kNone = 0, kHuman, kMachine, kFax, kUnknown };
const char* to_string(AmdResult r);

/// Who placed a call: the engine (an attempt of a campaign) or a caller (an inbound call).
enum class CallDirection : std::uint8_t { kOutbound = 0, kInbound };
/// "outbound" or "inbound".
const char* to_string(CallDirection d);

/// Inbound call ids are chosen by telephony, at or above this and unique per telephony (the SIP
/// backend adds its start time in microseconds, so a restarted process does not reuse one); the
/// engine's own ids for the calls it places (Storage::allocate_call_id) stay below it.
inline constexpr CallId kFirstInboundCallId = 0x80000000000000ull;  // 2^55
/// The direction a call id implies (the id ranges above). Storage keeps no direction column:
/// every backend sets Attempt::direction from the id when it reads a record.
inline CallDirection direction_of(CallId id) {
  return id >= kFirstInboundCallId ? CallDirection::kInbound : CallDirection::kOutbound;
}

/// One attempt (call record). Inbound calls have records too (direction kInbound): their
/// campaign_id is the queue's id, contact_id kNoContact, number the caller's and caller_id the
/// dialled number, answered_at their arrival (telephony answered them to queue them) and
/// bridged_at the moment an agent took them; the engine reports them to
/// EventListener::on_attempt_finished and stores them (Storage::put_attempt) when they end, so
/// Storage::scan_attempts(queue id) lists them.
struct Attempt {
  CallId call_id = kNoCall;              ///< the call's id (Storage::allocate_call_id)
  ContactId contact_id = kNoContact;     ///< the contact called
  std::string campaign_id;               ///< the contact's campaign
  std::string number;                    ///< E.164 dialed
  std::uint16_t number_index = 0;        ///< index of `number` in the contact's numbers
  std::uint16_t attempt_number = 0;      ///< 1-based, over the contact's lifetime
  std::string caller_id;                 ///< the caller id presented (E.164), empty for the trunk's
  std::string provider_call_id;          ///< telephony's own id of the call (e.g. a SIP Call-ID)
  CallState state = CallState::kQueued;  ///< the call's state (terminal once ended)
  FailReason fail_reason = FailReason::kNone;    ///< why it failed (state FAILED), else NONE
  AmdResult amd = AmdResult::kNone;              ///< AMD's result, NONE without AMD
  Disposition disposition = Disposition::kNone;  ///< outcome, NONE while in flight
  AgentId agent = kNoAgent;  ///< the agent it was bridged or reserved to, or kNoAgent
  TimePoint created_at{};    ///< launch (the attempt stored), UTC
  TimePoint answered_at{};   ///< epoch if never answered
  TimePoint bridged_at{};    ///< epoch if never bridged
  TimePoint ended_at{};      ///< epoch while in flight
  int provider_code = 0;     ///< SIP or provider error code, 0 if none
  CallDirection direction = CallDirection::kOutbound;
};

/// What happens after a disposition: final, or retry after a delay.
struct RetryRule {
  bool final = false;  ///< the contact is done with this disposition (no retry)
  Duration delay{0};   ///< otherwise retry no sooner than this after the attempt ended
};

/// One outbound calling effort. Every field states its default.
struct CampaignConfig {
  /// Identifier, unique per Storage. Default: "default".
  std::string id = "default";
  /// Display name. Default: empty (the id is shown).
  std::string name;
  /// Dial mode. Default: PROGRESSIVE.
  DialMode dial_mode = DialMode::kProgressive;
  /// Lines per idle agent in POWER mode. Default: 2.0.
  double power_lines_per_agent = 2.0;
  /// Allowed calling hours in the called party's local time. Default: 09:00–21:00 every day.
  CallWindow call_window = CallWindow::every_day(9 * 60, 21 * 60);
  /// IANA zone used for contacts whose zone is unknown. Default: "UTC".
  std::string fallback_time_zone = "UTC";
  /// Lifetime attempts per contact over all its numbers; 0 = unlimited. Default: 10.
  int max_attempts = 10;
  /// Lifetime attempts per number; 0 = unlimited. Default: 0.
  int max_attempts_per_number = 0;
  /// Retry rules per system disposition; dispositions not listed are final. Defaults:
  /// BUSY retry after 10 min, NO_ANSWER 1 h, MACHINE 2 h, ABANDONED 1 h, FAILED 1 h,
  /// CANCELED 1 min, FAX/INVALID_NUMBER/agent dispositions final, CALLBACK per request.
  std::map<Disposition, RetryRule> retry_rules = default_retry_rules();
  /// How long a number may ring before the attempt ends as NO_ANSWER. Default: 25 s.
  Duration ring_timeout = std::chrono::seconds(25);
  /// How long a live answer may wait for an agent before it is ABANDONED. Default: 2 s.
  Duration hold_window = std::chrono::seconds(2);
  /// Ask telephony for AMD. Default: false (every answer is treated as HUMAN).
  bool amd = false;
  /// Caller IDs (E.164) used in rotation. Default: {"+15550100000"}.
  std::vector<std::string> caller_ids{"+15550100000"};
  /// The safe-harbor message played to an abandoned call. Default: a generic text.
  std::string safe_harbor_message =
      "Sorry we missed you. This call was from Omnivox. Call us back.";
  /// Voicemail drop for AMD machines; empty = hang up. Default: empty.
  std::string voicemail_message;
  /// Region for numbers without a country code on import. Default: "US".
  std::string default_region = "US";
  /// Dial queue capacity; 0 = automatic (4 × agents, at least 64). Default: 0.
  std::size_t dial_queue_capacity = 0;
  /// DNC numbers of this campaign (E.164). Default: none.
  std::vector<std::string> dnc_numbers;
  /// The rule set enforced on top of the fields above: its call window is intersected with
  /// call_window, its abandon cap is held by the governor, ring_timeout must be at least its
  /// min_ring and hold_window at most its hold_window. Default: US_FTC_FCC.
  ComplianceProfile compliance = ComplianceProfile::us_ftc_fcc();

  /// The default retry_rules (see there).
  static std::map<Disposition, RetryRule> default_retry_rules();
};

}  // namespace omnivox

#endif  // OMNIVOX_MODEL_H_
