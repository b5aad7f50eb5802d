// The Engine composes Storage, Telephony, Clock and an optional EventListener and runs campaigns:
// queue generator → pacing → lease → originate → call state machine → bridge to the longest-idle
// agent within the hold window (else ABANDONED + safe-harbor) → disposition → retry schedule.
//
// Threading: all engine state lives on one logical thread, a Boost.Asio io_context (not exposed).
// Either the engine runs it on threads it owns (start()/stop()), or the host drives it
// (poll()/run_for()), so a PBX can embed it in its own loop. With a virtual clock
// (Clock::is_virtual), run_for() advances virtual time and every handler runs inline on the
// calling thread: a simulated day takes seconds and is reproducible.
// Public methods are thread-safe: they run at once under the engine's lock (getters return a
// consistent snapshot); mutating methods called from inside a listener callback run after the
// current handler.
#ifndef OMNIVOX_ENGINE_H_
#define OMNIVOX_ENGINE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omnivox/call_state_machine.h"
#include "omnivox/clock.h"
#include "omnivox/event_listener.h"
#include "omnivox/import.h"
#include "omnivox/inbound.h"
#include "omnivox/log.h"
#include "omnivox/model.h"
#include "omnivox/pacing.h"
#include "omnivox/queue_generator.h"
#include "omnivox/storage.h"
#include "omnivox/telephony.h"

namespace omnivox {

/// Engine settings. Every field states its default.
struct EngineOptions {
  /// Lease owner token; empty = generated ("omnivox-<random hex>"). Default: empty.
  std::string owner_token;
  /// Lease time-to-live, on lease_clock; leases of live calls are renewed at half of it (on the
  /// engine's clock, so at least that often when the engine's clock runs faster). Default: 5 min.
  Duration lease_ttl = std::chrono::minutes(5);
  /// The clock lease times are read from: claims, renewals, and restart reconciliation's test of
  /// whether another engine is alive (its lease is live). Engines sharing a storage must read
  /// leases on one clock: with their own accelerated or virtual clocks, which disagree, each
  /// would take the others' leases for expired (and dial their contacts) or for live long after
  /// their owner died. Give every engine on a shared database the wall clock (a speed-1
  /// make_system_clock; the hosts' clocks kept in step by NTP to well under lease_ttl), as
  /// `omnivox run --storage` does. Must outlive the engine. nullptr = the engine's own clock
  /// (one engine, or engines driven by one clock). Default: nullptr.
  const Clock* lease_clock = nullptr;
  /// With a real clock, pacing is decided on every event and at least this often while a
  /// campaign has work (a virtual clock decides on events and the policy's own ticks). Default:
  /// 250 ms.
  Duration decision_interval = std::chrono::milliseconds(250);
  /// Per-state timeouts of the call state machine. Defaults: see StateTimeouts.
  StateTimeouts timeouts;
  /// Where log lines go; null = stderr. Default: null.
  std::shared_ptr<LogSink> log_sink;
  /// Minimum level logged. Default: INFO.
  LogLevel log_level = LogLevel::kInfo;
  /// The phone-prefix → time-zone map file; empty = TimeZoneMap::default_path(). Default: empty.
  std::string time_zone_map_path;
  /// An agent still in WRAP_UP this long after a call is given disposition COMPLETED and made
  /// AVAILABLE again (a host that forgot set_disposition must not lose the agent). Default: 15 min.
  Duration max_wrap_up = std::chrono::minutes(15);
  /// Record a journal line for every call state change (not only anomalies). Default: true.
  bool journal_state_changes = true;
  /// Suspend AMD at the cap: under a compliance profile that counts AMD false positives as
  /// abandons (ComplianceProfile::abandons_per_machine() > 0, abandon_cap < 1), a call answered
  /// while the governor's budget cannot take the estimate of one more machine result
  /// (AbandonGovernor::amd_allowed) is not classified: it goes to an agent as a live answer, or
  /// waits for one as the hold window says, and is journaled "amd_suspended"
  /// (CampaignStatistics::amd_suspended counts it). AMD resumes when the rolling window allows.
  /// No effect under other profiles or without AMD. false = AMD classifies every answer, and
  /// machine results alone may take the counted rate over the cap (docs/compliance.md, "AMD
  /// suspended at the cap"). Default: true.
  bool suspend_amd_at_cap = true;
};

/// Live statistics of one campaign.
struct CampaignStatistics {
  std::string campaign_id;                     ///< the campaign
  TimePoint at{};                              ///< when taken, on the engine's clock
  int agents_by_state[kAgentStateCount] = {};  ///< agents now, index = AgentState
  long attempts = 0;                           ///< attempts launched
  long attempts_in_flight = 0;                 ///< attempts launched and not ended, now
  long live_answers = 0;  ///< answered by a person: HUMAN (or answered without AMD)
  long machines = 0;      ///< answered by a machine or a fax (AMD)
  long abandons = 0;      ///< live answers that found no agent within the hold window
  long connects = 0;      ///< bridged to an agent
  /// Answers put through as live answers without AMD because the counted abandon budget could
  /// not take one more machine result (EngineOptions::suspend_amd_at_cap); counted among
  /// live_answers.
  long amd_suspended = 0;
  /// Abandons / live answers over the whole run so far (0 when none): cumulative, unlike the
  /// compliance window's rate a pacing policy sees (PacingSnapshot::abandon_rate).
  double abandon_rate = 0.0;
  /// The rate the cap applies to: counted abandons / live answers in the compliance profile's
  /// rolling window (AbandonGovernor::rate; the whole run when the profile has no window), as
  /// pacing sees it (PacingSnapshot::abandon_rate). 0 when the window holds no live answer.
  double abandon_rate_window = 0.0;
  double occupancy = 0.0;           ///< (talk + wrap) / (logged-in - paused) agent time, run so far
  double dial_level = 0.0;          ///< attempts in flight per non-paused logged-in agent, now
  double talk_seconds = 0.0;        ///< RESERVED and ON_CALL time, s, total over all agents
  double wrap_seconds = 0.0;        ///< WRAP_UP time, s, total over all agents
  double logged_in_seconds = 0.0;   ///< time not LOGGED_OUT, s, total over all agents
  std::size_t contacts_total = 0;   ///< contacts stored for the campaign
  std::size_t contacts_final = 0;   ///< DONE, DNC, INVALID or EXHAUSTED
  std::size_t dial_queue_size = 0;  ///< entries in the dial queue, now
  long dispositions[kDispositionCount] = {};  ///< index = Disposition (attempts launched here)
  /// Open attempts of an earlier (stopped or dead) engine that this one closed at start_campaign
  /// or later (restart reconciliation); not counted in `attempts` or `dispositions`.
  long attempts_reconciled = 0;
  /// Finished attempts storage has not taken yet (it failed): kept and written again every
  /// second; their contacts stay held. 0 in normal operation.
  std::size_t completions_unsaved = 0;
};

/// A campaign's contacts counted by the first rule that excludes them now.
struct EligibilityCensus {
  std::vector<std::size_t> by_reason;  ///< index = Ineligibility (0 = dialable now)
};

// ---- agent statistics ----
// What each agent of a campaign did (calls handled, talk, wrap-up, idle and paused time,
// occupancy, dispositions, longest idle), in total and per 15-minute interval, as a supervisor's
// real-time screen and interval reports show them (Engine::agent_statistics()). Time in each
// agent state is counted from the engine's own state changes, on the engine's clock, to the
// millisecond; so for every agent and every interval talk + wrap + idle + paused == logged-in
// time exactly (up to the millisecond-to-second conversion).

/// The length of the intervals of the series: 15 minutes, the interval of contact-centre
/// workforce management (forecasts, schedules and interval reports are kept per 15 minutes).
/// Intervals start at multiples of it since 1970-01-01T00:00:00Z, so on the quarter hour in UTC
/// (and in every time zone whose offset is a multiple of 15 minutes).
inline constexpr Duration kAgentStatisticsInterval = std::chrono::minutes(15);

/// How many intervals the series keep per agent: the latest 7 days (672 intervals). Older
/// intervals are dropped; the totals keep counting.
inline constexpr int kAgentStatisticsIntervalsKept = 7 * 24 * 4;

/// What one agent (or all agents of a campaign, summed) did over a span of time: the whole
/// time the engine knows them (totals) or one interval. Times are in seconds.
///
/// The states are counted as in CampaignStatistics:
///  - talk: RESERVED and ON_CALL (from the moment a live answer is handed to the agent until
///    the call ends),
///  - wrap-up (after-call work): WRAP_UP,
///  - idle: AVAILABLE (waiting for a call, or holding a preview),
///  - paused: PAUSED (not ready, "aux"),
///  - logged-in: every state except LOGGED_OUT, so logged_in = talk + wrap + idle + paused.
struct AgentActivity {
  /// Start of the span: the interval's start; for totals, the first time the agent (for a
  /// campaign: any of its agents) logged in (epoch if never).
  TimePoint start{};
  /// End of the span: the interval's end, or the snapshot's time for the interval under way and
  /// for totals.
  TimePoint end{};
  /// Calls the agent handled: bridged calls whose wrap-up ended in the span (the agent's
  /// set_disposition, or the engine's COMPLETED after EngineOptions::max_wrap_up).
  long calls_handled = 0;
  double talk_seconds = 0.0;
  double wrap_seconds = 0.0;
  double idle_seconds = 0.0;
  double paused_seconds = 0.0;
  double logged_in_seconds = 0.0;
  /// Occupancy, 0..1: (talk + wrap) / (logged-in - paused), the share of the time agents were
  /// ready for calls that they spent handling them (the contact-centre convention: Erlang C
  /// occupancy, handle time over handle plus available time; paused time is excluded as not
  /// ready). 0 when the denominator is 0. Same formula as CampaignStatistics::occupancy.
  double occupancy = 0.0;
  /// The longest unbroken AVAILABLE stretch: for totals, the whole stretch (one still going
  /// counts up to the snapshot's time); for an interval, its part inside the interval. For a
  /// campaign, the longest of its agents'.
  double longest_idle_seconds = 0.0;
  /// The handled calls by their final disposition (index = Disposition), counted with
  /// calls_handled. Sales per hour: dispositions[kSale] / (logged_in_seconds / 3600); see
  /// per_logged_in_hour().
  long dispositions[kDispositionCount] = {};

  /// `count` per logged-in hour of this span (0 when never logged in), e.g.
  /// per_logged_in_hour(dispositions[static_cast<int>(Disposition::kSale)]) = sales per hour.
  double per_logged_in_hour(double count) const {
    return logged_in_seconds > 0 ? count * 3600.0 / logged_in_seconds : 0.0;
  }
};

/// One agent's statistics.
struct AgentSummary {
  AgentId agent = kNoAgent;                   ///< the agent's id
  std::string name;                           ///< the name given to Engine::add_agent
  AgentState state = AgentState::kLoggedOut;  ///< now
  /// How long the agent has been in `state`, in seconds (time in state, as on a real-time
  /// screen).
  double seconds_in_state = 0.0;
  AgentActivity totals;
  /// Per interval, aligned with AgentStatistics::intervals (same length and starts; zeros where
  /// the agent was logged out).
  std::vector<AgentActivity> intervals;
};

/// The agent statistics of one campaign at one moment (a consistent snapshot).
struct AgentStatistics {
  std::string campaign_id;                       ///< the campaign whose agents these are
  TimePoint at{};                                ///< the snapshot's time, on the engine's clock
  Duration interval = kAgentStatisticsInterval;  ///< length of each of `intervals` (15 min)
  /// The campaign's agents, in the order they were added.
  std::vector<AgentSummary> agents;
  /// All agents summed (longest_idle_seconds: the longest of theirs; occupancy from the sums).
  /// dispositions counts only calls agents handled: CampaignStatistics::dispositions counts
  /// every attempt.
  AgentActivity totals;
  /// Per interval, oldest first: from the interval in which an agent first logged in (at most
  /// kAgentStatisticsIntervalsKept back) to the one under way; empty if no agent ever logged
  /// in.
  std::vector<AgentActivity> intervals;
};

class Engine {
 public:
  /// The engine does not own storage, telephony, clock or listener; they must outlive it.
  /// Throws Error(kConfig) if the time-zone map cannot be loaded.
  Engine(EngineOptions options, Storage* storage, Telephony* telephony, Clock* clock,
         EventListener* listener = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- campaigns and contacts ----
  /// Stores the campaign (validated: throws Error(kConfig) naming the field). Not started yet.
  /// Adding an id again replaces its config, pacing policy and queue rules and keeps the rest:
  /// started or not, agents, dial queue, calls in flight (they finish under the new config),
  /// statistics, and the abandon governor's recorded calls (the rolling abandon rate goes on
  /// under the new compliance profile: AbandonGovernor::set_profile).
  void add_campaign(const CampaignConfig& campaign);
  /// Adds contacts from CSV into a campaign's list; numbers use the campaign's default_region
  /// unless options.default_region is set differently. Returns the import report.
  /// Idempotent and resumable: a contact is identified by (campaign, list, external id) and a
  /// row whose contact is stored already is counted in rows_already_stored and left as it is;
  /// rows are stored in transactions of about a thousand (Storage::add_contacts), and the list is
  /// marked import_complete = false from the start until the last row is stored, so an import
  /// cut short (the process killed) is seen as unfinished and completed by running it again.
  /// Two imports of one file at once, in one process or several, store each contact once.
  ImportReport import_contacts(const std::string& campaign_id, const std::string& list_name,
                               const std::string& csv_path, const ImportOptions& options);
  /// Adds one contact (numbers must be E.164). Returns its id; for a contact whose (list,
  /// external id) is stored already, the stored contact's id (it is left as it is).
  ContactId add_contact(const std::string& campaign_id, Contact contact);
  /// Adds a number to a DNC list ("global" or a campaign id).
  void add_dnc(const std::string& list, const std::string& e164);
  /// Starts dialing a campaign (its agents must be added). Throws Error(kNotFound).
  /// Restart reconciliation runs first: open attempts in storage (no disposition) that no live
  /// engine owns — placed by an engine that stopped or died — are asked of
  /// Telephony::lookup_call() and closed with the outcome it reports, or, when it cannot tell,
  /// as COMPLETED (bridged), ABANDONED (answered, never bridged) or FAILED/unknown (retryable by
  /// the campaign's rules). Attempts whose contact is still under another owner's live lease are
  /// looked at again when that lease expires. Each closed attempt is journaled ("reconciled"),
  /// logged, and reported through EventListener::on_attempt_finished.
  void start_campaign(const std::string& campaign_id);
  /// Stops launching new attempts for a campaign; calls in flight finish normally.
  void stop_campaign(const std::string& campaign_id);
  /// Replaces the campaign's pacing policy (by default the one make_policy_for() gives for its
  /// dial mode) with any PacingPolicy, e.g. one of omnivox/policies.h. It decides from the next
  /// decision epoch on; the abandon-rate governor still clamps it. add_campaign() for the same
  /// id restores the dial mode's policy. Throws Error(kNotFound) for an unknown campaign and
  /// Error(kInvalidArgument) for a null policy. Thread-safe (takes the engine lock); from a
  /// listener callback it applies at once (no policy method is running during callbacks).
  void set_pacing_policy(const std::string& campaign_id, std::unique_ptr<PacingPolicy> policy);

  // ---- agents ----
  /// Adds an agent to a campaign, LOGGED_OUT. Returns its id (0, 1, 2, ... per engine).
  AgentId add_agent(const std::string& campaign_id, const std::string& name);
  /// Logs in (AVAILABLE), pauses (PAUSED), resumes (AVAILABLE) or logs out (LOGGED_OUT) an agent.
  /// An agent on a call finishes it first (the change applies after wrap-up).
  void set_agent_state(AgentId agent, AgentState state);
  /// Ends an agent's wrap-up of a call with its disposition; CALLBACK needs `callback_at`.
  /// The agent becomes AVAILABLE (or PAUSED/LOGGED_OUT if requested meanwhile). Throws
  /// Error(kInvalidArgument) for a `callback_at` before the Unix epoch, Error(kState) for a call
  /// not awaiting a disposition.
  void set_disposition(CallId call, Disposition disposition,
                       std::optional<TimePoint> callback_at = std::nullopt);

  // ---- preview and call now ----
  /// PREVIEW: reserves the next dialable entry of the agent's campaign for the agent (leased),
  /// or nullopt if none is dialable now.
  std::optional<DialQueueEntry> preview_next(AgentId agent);
  /// Dials the previewed entry for the agent. Returns the call id.
  CallId dial_preview(AgentId agent);
  /// Skips the previewed entry (released, not counted as an attempt).
  void skip_preview(AgentId agent);
  /// "Call now": dials a chosen contact for an agent (AVAILABLE) if it is eligible and its
  /// lease can be claimed. Throws Error(kState) with the reason otherwise.
  CallId call_now(ContactId contact, AgentId agent);

  // ---- running ----
  /// Runs the engine on `threads` owned threads (real clock). Returns immediately.
  void start(int threads = 1);
  /// Stops owned threads (waits for them). Calls in flight stay in storage for reconciliation.
  void stop();
  /// Runs ready handlers without blocking; returns how many ran. (Virtual clock: also fires
  /// timers due now.)
  std::size_t poll();
  /// Runs for the given duration: wall time with a real clock, virtual time with a virtual clock.
  /// Throws Error(kInvalidArgument) for a negative duration.
  std::size_t run_for(Duration d);
  /// Virtual clock only: runs until every started campaign has no dialable contact left and no
  /// call in flight, or until `limit` of virtual time passed. Returns true if finished. Throws
  /// Error(kInvalidArgument) for a negative limit, Error(kState) with a real clock
  /// (Clock::virtual_time() is nullptr).
  bool run_until_done(Duration limit);
  /// True when no call is in flight and, with a virtual clock, no timer is pending (nothing
  /// will happen unless the host acts).
  bool idle() const;

  // ---- inbound queues and blending (omnivox/inbound.h, docs/blending.md) ----
  /// Adds an inbound queue; adding an id again replaces its config and keeps its calls and
  /// counts. Throws Error(kConfig) naming the field.
  void add_inbound_queue(const InboundQueueConfig& queue);
  /// Sets what an agent may work on: inbound queues with priorities, whether it takes its
  /// campaign's outbound calls, and other campaigns whose calls it takes (AgentSkills). Applies
  /// from the agent's next call. Throws Error(kNotFound) for an unknown agent or campaign,
  /// Error(kConfig) for an empty queue or campaign id, a campaign listed twice, or campaigns for
  /// an agent that takes no outbound calls.
  void set_agent_skills(AgentId agent, const AgentSkills& skills);
  /// Sets how a campaign shares its agents with inbound queues. Throws Error(kNotFound) for an
  /// unknown campaign, Error(kConfig) naming the field.
  void set_blending(const std::string& campaign_id, const BlendingConfig& blending);
  /// An inbound queue's statistics since it was added. Throws Error(kNotFound).
  InboundQueueStatistics inbound_statistics(const std::string& queue_id) const;
  /// The inbound queues' ids, in the order they were added.
  std::vector<std::string> inbound_queues() const;

  // ---- reading ----
  /// The campaign's live statistics now. Throws Error(kNotFound).
  CampaignStatistics statistics(const std::string& campaign_id) const;
  /// What the campaign's agents did: per agent and summed, calls handled, talk, wrap-up, idle
  /// and paused time, occupancy, dispositions and longest idle, in total and per 15-minute
  /// interval (AgentActivity has the definitions). Throws Error(kNotFound) for an
  /// unknown campaign. Thread-safe, a consistent snapshot as statistics(); its cost grows with
  /// agents x intervals kept (at most 7 days of intervals per agent).
  AgentStatistics agent_statistics(const std::string& campaign_id) const;
  /// Why a contact is (not) dialable now.
  EligibilityReport explain(ContactId contact) const;
  /// The campaign's contacts counted by the first rule excluding them.
  EligibilityCensus census(const std::string& campaign_id) const;
  /// The agent's current state.
  AgentState agent_state(AgentId agent) const;
  /// The current state of a call in flight (nullopt once it is finished and forgotten).
  std::optional<CallState> call_state(CallId call) const;
  /// The lease owner token this engine claims contacts with (EngineOptions::owner_token, or the
  /// one generated).
  const std::string& owner_token() const;
  /// The engine's clock.
  Clock* clock() const;
  /// The engine's storage.
  Storage* storage() const;
  TimeZoneMap& time_zones();
  Logger& logger();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omnivox

#endif  // OMNIVOX_ENGINE_H_
