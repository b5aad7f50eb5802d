// The Java binding's facade: a small C++ surface over the Omnivox engine that SWIG wraps into the
// Java package org.omnivox (bindings/swig/omnivox.i). It speaks only plain types — strings
// (UTF-8), 64-bit integers (ids, milliseconds since the Unix epoch UTC, durations in ms),
// doubles, bools, small structs and enums — so no std::function, unique_ptr or span crosses JNI.
//
// Errors: every method throws omnivox::Error(code, message) naming the method and the reason;
// the SWIG layer maps it to org.omnivox.OmnivoxException carrying the ErrorCode.
//
// Callbacks: TelephonyBackend and EventListener are SWIG directors — a Java class extends them.
// The engine calls them on its own threads (or on the thread running runFor()/runUntilDone()
// with a virtual clock). An exception thrown by a callback never reaches the engine: it is
// caught at the boundary, logged by the engine's logger, kept as lastCallbackError() and
// counted; a failing originate() is reported to the engine as a FAILED call. The engine goes on.
//
// Lifetimes: the Engine keeps the Java backend and listener reachable (the Java proxy holds
// them) until close(). A backend or listener deleted while an engine uses it is detached first
// (the engine then sees FAILED calls / no events), never called after its deletion.
#ifndef OMNIVOX_BINDINGS_SWIG_FACADE_OMNIVOX_JAVA_H_
#define OMNIVOX_BINDINGS_SWIG_FACADE_OMNIVOX_JAVA_H_

#include <memory>
#include <string>
#include <vector>

namespace omnivox {
struct CampaignFile;
class Engine;
}  // namespace omnivox

namespace omnivox::bindings {

// ---- enums (same values and order as the C++ enums of omnivox/model.h and telephony.h) ----

/// Agent states (docs/architecture.md, Glossary).
enum class AgentState { LOGGED_OUT, AVAILABLE, RESERVED, ON_CALL, WRAP_UP, PAUSED };
/// Call states in rank order; terminal states follow BRIDGED.
enum class CallState {
  QUEUED,
  DIALING,
  RINGING,
  ANSWERED,
  HUMAN,
  MACHINE,
  FAX,
  BRIDGED,
  COMPLETED,
  ABANDONED,
  BUSY,
  NO_ANSWER,
  FAILED,
  CANCELED
};
/// Attempt outcomes: system dispositions (BUSY .. CANCELED), then agent ones (SALE .. COMPLETED).
enum class Disposition {
  NONE,
  BUSY,
  NO_ANSWER,
  MACHINE,
  FAX,
  ABANDONED,
  INVALID_NUMBER,
  FAILED,
  CANCELED,
  SALE,
  NOT_INTERESTED,
  CALLBACK,
  DNC,  // do not call (the C++ name)
  WRONG_NUMBER,
  COMPLETED
};
/// Kinds of call events a telephony backend reports (omnivox::CallEventKind).
enum class CallEventKind {
  INITIATED,
  RINGING,
  ANSWERED,
  AMD_RESULT,
  BRIDGED,
  COMPLETED,
  BUSY,
  NO_ANSWER,
  FAILED,
  CANCELED
};
/// Answering-machine detection results.
enum class AmdResult { NONE, HUMAN, MACHINE, FAX, UNKNOWN };
/// Why a call failed.
enum class FailReason { NONE, INVALID_NUMBER, REJECTED, NETWORK, TIMEOUT, CONFIG, UNKNOWN };

// ---- plain records ----

/// How Engine.create() builds an engine. Every field states its default.
struct EngineConfig {
  /// SQLite database file for the storage (":memory:" = a private in-memory SQLite database);
  /// empty = the in-process memory storage. Default: empty.
  std::string sqlite_path;
  /// Virtual clock (time moves only in runFor()/runUntilDone(); reproducible) or the system
  /// clock (wall time; run with start()/stop()). Default: true.
  bool virtual_clock = true;
  /// Initial clock reading, ISO 8601 UTC. Empty = 2026-05-04T13:00:00Z (09:00 in New York) for
  /// a virtual clock, the current time for the system clock. Default: empty.
  std::string start;
  /// System clock only: how much faster than wall time it runs (> 0). Default: 1.
  double clock_speed = 1.0;
  /// Minimum engine log level: TRACE, DEBUG, INFO, WARN, ERROR or OFF (to stderr). Default: WARN.
  std::string log_level = "WARN";
  /// Real clock: pacing is decided on events and at least this often (ms, > 0). Default: 250.
  long long decision_interval_ms = 250;
  /// With no TelephonyBackend, the built-in simulator plays telephony and agents (parametric
  /// world of omnivox/sim.h) with this seed. Default: 1.
  long long simulator_seed = 1;
  /// A campaign file's `telephony` section as JSON text (docs/sip.md): with it, and no
  /// TelephonyBackend, the engine dials through the SIP backend instead of the simulator, and
  /// agents log in and out as their phones connect (Engine.sipConnectAgent). Needs
  /// virtual_clock = false. Empty = no SIP. Default: empty.
  std::string sip_json;
  /// Folder against which sip_json's relative paths (WAV files) are resolved. Empty = the
  /// current folder. Default: empty.
  std::string sip_base_dir;
  /// Suspend AMD at the abandon cap: under a compliance profile that counts AMD false positives
  /// as abandons (US_FTC_FCC, UK_OFCOM), an answer the counted abandon budget cannot take one
  /// more machine result for is not classified by AMD but put through as a live answer (to a
  /// free agent, or held as the hold window says) and counted in Statistics.amdSuspended; AMD
  /// resumes when the rolling window allows. No effect under other profiles or without AMD.
  /// false = AMD classifies every answer, and machine results alone may take the counted rate
  /// over the cap (docs/compliance.md, "AMD suspended at the cap"). Default: true.
  bool suspend_amd_at_cap = true;
};

/// What the engine asks a TelephonyBackend to dial (omnivox::OriginateRequest).
struct OriginateInfo {
  long long call_id = 0;     ///< the engine's id; report events with it
  long long contact_id = 0;  ///< the contact dialed
  std::string external_id;   ///< the contact's host id
  std::string campaign_id;
  std::string to;                     ///< E.164
  std::string from;                   ///< caller ID, E.164
  int attempt_number = 1;             ///< 1-based, over the contact's lifetime
  long long ring_timeout_ms = 25000;  ///< give up ringing after this and report NO_ANSWER
  bool amd = false;                   ///< run answering-machine detection
};

/// One event about one call, as a backend reports it (omnivox::CallEvent).
struct CallEventData {
  long long call_id = 0;  ///< from OriginateInfo
  CallEventKind kind = CallEventKind::INITIATED;
  std::string provider_call_id;     ///< the provider's id of the call; may be empty
  long long sequence = 0;           ///< provider sequence number (0..2^32-1); dedup with call id
  long long timestamp_ms = 0;       ///< when it happened (ms since epoch, UTC); 0 = engine clock
  AmdResult amd = AmdResult::NONE;  ///< for AMD_RESULT
  FailReason fail_reason = FailReason::NONE;  ///< for FAILED
  int provider_code = 0;                      ///< SIP or provider code; 0 if none
};

/// A call changed state.
struct CallStateEvent {
  long long at_ms = 0;
  std::string campaign_id;
  long long call_id = 0;
  long long contact_id = 0;
  CallState from = CallState::QUEUED;
  CallState to = CallState::QUEUED;
  long long agent = -1;  ///< -1 = none
};

/// An agent changed state.
struct AgentStateEvent {
  long long at_ms = 0;
  std::string campaign_id;
  long long agent = -1;
  AgentState from = AgentState::LOGGED_OUT;
  AgentState to = AgentState::LOGGED_OUT;
  long long call_id = 0;  ///< the call that caused it; 0 = none
};

/// One pacing decision (omnivox::PacingDecision).
struct PacingEvent {
  long long at_ms = 0;
  std::string campaign_id;
  std::string policy;
  int agents_idle = 0;
  int agents_busy = 0;
  int calls_pending = 0;
  int requested = 0;  ///< what the policy asked for
  int allowed = 0;    ///< what the abandon-rate governor allowed
  int launched = 0;   ///< what the engine launched
};

/// A finished attempt (omnivox::Attempt); times in ms since epoch, 0 = never.
struct AttemptRecord {
  long long call_id = 0;
  long long contact_id = 0;
  std::string campaign_id;
  std::string number;  ///< E.164 dialed
  int attempt_number = 0;
  CallState state = CallState::QUEUED;
  Disposition disposition = Disposition::NONE;
  FailReason fail_reason = FailReason::NONE;
  long long agent = -1;  ///< -1 = none
  long long created_at_ms = 0;
  long long answered_at_ms = 0;
  long long bridged_at_ms = 0;
  long long ended_at_ms = 0;
};

/// Live statistics of one campaign (omnivox::CampaignStatistics).
struct Statistics {
  std::string campaign_id;
  long long at_ms = 0;
  long long attempts = 0;  ///< launched
  long long attempts_in_flight = 0;
  long long live_answers = 0;
  long long machines = 0;
  long long abandons = 0;
  long long connects = 0;  ///< bridged to an agent
  /// Answers put through as live answers without AMD because the counted abandon budget could
  /// not take one more machine result (EngineConfig.suspendAmdAtCap); counted among live_answers.
  long long amd_suspended = 0;
  double abandon_rate = 0.0;  ///< abandons / live answers
  /// abandons / live answers in the compliance profile's rolling window (what the cap applies to)
  double abandon_rate_window = 0.0;
  double occupancy = 0.0;   ///< (talk + wrap) / logged-in agent time
  double dial_level = 0.0;  ///< attempts in flight per non-paused logged-in agent
  double talk_seconds = 0.0;
  double wrap_seconds = 0.0;
  double logged_in_seconds = 0.0;
  long long contacts_total = 0;
  long long contacts_final = 0;  ///< DONE, DNC, INVALID or EXHAUSTED
  long long dial_queue_size = 0;
  /// Agents now in `state`.
  long long agents_in_state(AgentState state) const;
  /// Attempts that ended with `disposition` so far.
  long long disposition_count(Disposition disposition) const;
#ifndef SWIG
  long long agents_by_state[6] = {};
  long long dispositions[15] = {};
#endif
};

/// What an agent (or all agents of a campaign, summed) did over a span: the whole time or one
/// 15-minute interval (omnivox::AgentActivity). Seconds. talk = RESERVED + ON_CALL, wrap =
/// WRAP_UP (after-call work), idle = AVAILABLE, paused = PAUSED, logged-in = their sum.
struct AgentActivity {
  long long start_ms = 0;  ///< interval start; totals: first login (0 if never)
  long long end_ms = 0;    ///< interval end, or the snapshot's time (interval under way, totals)
  long long calls_handled = 0;  ///< bridged calls whose wrap-up ended in the span
  double talk_seconds = 0.0;
  double wrap_seconds = 0.0;
  double idle_seconds = 0.0;
  double paused_seconds = 0.0;
  double logged_in_seconds = 0.0;
  double occupancy = 0.0;             ///< (talk + wrap) / (logged-in - paused), 0..1
  double longest_idle_seconds = 0.0;  ///< longest unbroken AVAILABLE stretch (part in an interval)
  /// Handled calls that ended with `disposition`.
  long long disposition_count(Disposition disposition) const;
  /// `count` per logged-in hour (0 if never logged in): sales per hour =
  /// perLoggedInHour(dispositionCount(Disposition.SALE)).
  double per_logged_in_hour(double count) const;
#ifndef SWIG
  long long dispositions[15] = {};
#endif
};

/// One agent's statistics (omnivox::AgentSummary).
struct AgentSummary {
  long long agent = -1;
  std::string name;
  AgentState state = AgentState::LOGGED_OUT;  ///< now
  double seconds_in_state = 0.0;              ///< time in the current state
  AgentActivity totals;
  /// Per interval, aligned with AgentStatistics.intervals.
  std::vector<AgentActivity> intervals;
};

/// What a campaign's agents did, a snapshot (omnivox::AgentStatistics): per agent and summed,
/// in total and per 15-minute interval (the latest 7 days).
struct AgentStatistics {
  std::string campaign_id;
  long long at_ms = 0;
  long long interval_ms = 0;             ///< 900000 (15 minutes)
  std::vector<AgentSummary> agents;      ///< in the order they were added
  AgentActivity totals;                  ///< all agents summed
  std::vector<AgentActivity> intervals;  ///< all agents summed per interval, oldest first
};

/// Why a contact is (not) dialable now (omnivox::EligibilityReport).
struct Eligibility {
  bool eligible = false;  ///< dialable now
  std::string reason;     ///< snake_case Ineligibility name ("none", "outside_call_window", ...)
  std::string detail;     ///< human-readable
  long long eligible_at_ms = 0;  ///< when it may become dialable; 0 = unknown
};

/// A reserved PREVIEW entry; `found` is false when nothing is dialable now.
struct PreviewEntry {
  bool found = false;
  long long contact_id = 0;
  int number_index = 0;
  std::string number;  ///< E.164
  bool callback = false;
};

/// What a contact import did.
struct ImportResult {
  long long rows_read = 0;
  long long rows_loaded = 0;
  long long rows_rejected = 0;
  std::string summary;  ///< "loaded N of M rows, rejected K" and the first errors
};

// ---- callbacks (SWIG directors) ----

/// A telephony backend written in Java: extend it and override originate/hangup/bridge/play
/// (and optionally stopAmd/stop).
/// Those run on an engine thread; they must not block — queue the work and report the outcome
/// with report()/reportAfter(). Thread-safety: report() may be called from any thread once the
/// backend is attached to an engine (Engine.create), including from inside the callbacks (the
/// event is then queued on the engine clock and applied after the callback returns).
class TelephonyBackend {
 public:
  TelephonyBackend();
  virtual ~TelephonyBackend();
  TelephonyBackend(const TelephonyBackend&) = delete;
  TelephonyBackend& operator=(const TelephonyBackend&) = delete;

  /// Start dialing `request.call_id`; report INITIATED, RINGING, ... and one ending event.
  virtual void originate(const OriginateInfo& request) = 0;
  /// End the call (cancel it if unanswered); report COMPLETED or CANCELED.
  virtual void hangup(long long call_id) = 0;
  /// Connect the answered call to the agent; report BRIDGED (or an ending event).
  virtual void bridge(long long call_id, long long agent) = 0;
  /// Play a message (safe-harbor or voicemail drop) to the answered call.
  virtual void play(long long call_id, const std::string& message) = 0;
  /// Stop answering-machine detection on the answered call: the engine puts it through without
  /// waiting for its AMD result (AMD suspended at the abandon cap,
  /// EngineConfig.suspendAmdAtCap). Stop classifying its audio and report no AMD_RESULT for it;
  /// a result reported anyway is dropped. A Java exception is recorded like any callback
  /// error and the call still goes through. Default: nothing.
  virtual void stop_amd(long long call_id) {}
  /// The engine stops: no events are accepted after it. Default: nothing.
  virtual void stop() {}

  /// Reports an event about a call now. Throws OmnivoxException(STATE) when not attached.
  void report(long long call_id, CallEventKind kind);
  /// Reports a full event now.
  void report(const CallEventData& event);
  /// Reports an event `delay_ms` (>= 0) from now on the engine's clock: with a virtual clock
  /// this is how a backend makes simulated time pass (runUntilDone waits for it).
  void report_after(long long delay_ms, long long call_id, CallEventKind kind);
  void report_after(long long delay_ms, const CallEventData& event);
  /// The attached engine's clock (ms since epoch, UTC). Throws OmnivoxException(STATE) when
  /// not attached.
  long long now_ms() const;
  /// True while attached to a live engine.
  bool attached() const;

#ifndef SWIG
  struct Link;
  std::shared_ptr<Link> link_;
#endif
};

/// Hears every state change and pacing decision. Override what you need; the methods run on an
/// engine thread, must not block, and may call Engine methods (mutating ones then apply after
/// the current engine step). The event objects are valid only during the call: copy fields.
class EventListener {
 public:
  EventListener();
  virtual ~EventListener();
  EventListener(const EventListener&) = delete;
  EventListener& operator=(const EventListener&) = delete;
  virtual void on_call_state(const CallStateEvent& event) {}
  virtual void on_agent_state(const AgentStateEvent& event) {}
  virtual void on_pacing_decision(const PacingEvent& event) {}
  /// An attempt ended and its disposition is final for the engine.
  virtual void on_attempt_finished(const AttemptRecord& attempt) {}

#ifndef SWIG
  struct Link;
  std::shared_ptr<Link> link_;
#endif
};

// ---- inbound queues and blending (omnivox/inbound.h, docs/blending.md) ----

/// How a campaign shares its agents with inbound queues (omnivox::BlendingRule).
enum class BlendingRule { NONE, THRESHOLD, SERVICE_LEVEL, DIALXFREE };

/// An inbound queue's statistics since it was added (omnivox::InboundQueueStatistics): service
/// level = answered_within / (answered + abandoned), abandon rate = abandoned / (answered +
/// abandoned), ASA = mean wait of answered calls; times in seconds.
struct InboundStatistics {
  std::string queue_id;
  long long offered = 0;
  long long answered = 0;
  long long abandoned = 0;
  long long answered_within = 0;
  long long abandoned_within = 0;
  long long waiting = 0;
  double wait_seconds_answered = 0;
  double wait_seconds_abandoned = 0;
  double handle_seconds = 0;
  double service_level = 0;
  double asa_s = 0;
  double abandon_rate = 0;
};

// ---- the engine ----

/// An Omnivox engine with its storage, clock and telephony, or a whole simulation rig.
/// Thread-safety: every method may be called from any thread (the engine serialises them);
/// runFor/runUntilDone/poll, start/stop and close must not be called from inside a callback
/// (OmnivoxException(STATE)). After close() every method throws OmnivoxException(STATE).
class Engine {
 public:
  /// An engine over memory or SQLite storage and a virtual or system clock. `telephony` null =
  /// the built-in simulator (parametric world, config.simulator_seed) also plays the agents'
  /// wrap-ups. `listener` may be null. A backend can be attached to one engine at a time.
  static Engine* create(const EngineConfig& config, TelephonyBackend* telephony,
                        EventListener* listener);
  /// The simulation rig of a campaign file's JSON text (docs/campaign-file.md), exactly as
  /// omnivox_simulation_create does: memory storage, a virtual clock at the file's "start",
  /// its simulated world (replay data loaded), the campaign added and its "agents" logged in.
  /// `base_dir` resolves relative paths. `listener` may be null.
  static Engine* simulation(const std::string& campaign_json, const std::string& base_dir,
                            EventListener* listener);
  /// The same from a campaign file (relative paths resolved against its folder).
  static Engine* simulation_file(const std::string& path, EventListener* listener);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Stops owned threads and frees the engine. Idempotent.
  void close();
  bool closed() const;
  bool is_simulation() const;

  // ---- campaigns and contacts ----
  /// Adds (or replaces) a campaign from campaign-file JSON; returns its id. Agents are not added
  /// (see add_agents); a simulation's world keys are ignored here.
  std::string add_campaign_json(const std::string& json, const std::string& base_dir);
  /// The same from a file.
  std::string add_campaign_file(const std::string& path);
  /// The campaign most recently added (a simulation's campaign). Empty if none.
  std::string campaign_id() const;
  /// Imports contacts from CSV into list `list_name`; `csv_path` empty = the campaign file's
  /// contacts.file, with its column mapping.
  ImportResult import_contacts(const std::string& campaign_id, const std::string& list_name,
                               const std::string& csv_path);
  /// Adds one contact with its numbers (E.164, dialing order, at least one). Returns its id.
  long long add_contact(const std::string& campaign_id, const std::string& external_id,
                        const std::vector<std::string>& numbers);
  /// Adds a number to a DNC list ("global" or a campaign id).
  void add_dnc(const std::string& list, const std::string& e164);
  void start_campaign(const std::string& campaign_id);
  void stop_campaign(const std::string& campaign_id);

  // ---- agents ----
  /// Adds an agent (LOGGED_OUT); returns its id.
  long long add_agent(const std::string& campaign_id, const std::string& name);
  /// Adds `count` agents "agent-1".. and logs them in if `log_in`; returns their ids.
  std::vector<long long> add_agents(const std::string& campaign_id, int count, bool log_in);
  /// The agents added so far (a simulation's file agents first).
  std::vector<long long> agents() const;
  /// LOGGED_OUT, AVAILABLE or PAUSED (others: OmnivoxException(INVALID_ARGUMENT)).
  void set_agent_state(long long agent, AgentState state);
  AgentState agent_state(long long agent) const;
  /// Ends an agent's wrap-up with an agent disposition (SALE .. COMPLETED); CALLBACK needs
  /// callback_at_ms > 0 (ms since epoch), others take 0.
  void set_disposition(long long call_id, Disposition disposition, long long callback_at_ms);

  // ---- inbound queues and blending (implemented in blending_java.cc) ----
  /// Adds an inbound queue: its id (records carry it as their campaign id), the dialled numbers
  /// (E.164) whose calls join it, its priority (higher first), the service level's T in ms and
  /// its target (0..1). An id added again replaces its settings. OmnivoxException(CONFIG).
  void add_inbound_queue(const std::string& id, const std::vector<std::string>& numbers,
                         int priority, long long answer_within_ms, double service_level_target);
  /// Sets the inbound queues an agent answers, with its priority for each (`priorities` empty:
  /// all 0, else one per queue), and whether it takes its campaign's outbound calls.
  /// OmnivoxException(NOT_FOUND) for an unknown agent, (INVALID_ARGUMENT) for a length mismatch.
  void set_agent_skills(long long agent, const std::vector<std::string>& queues,
                        const std::vector<long long>& priorities, bool outbound);
  /// The same, and the other campaigns whose calls the agent takes, with its priority for each
  /// (`campaign_priorities` empty: all 0, else one per campaign; its own campaign is at 0 unless
  /// listed). A free agent shared by campaigns is counted by one campaign's pacing at a time
  /// (docs/blending.md, "Agents shared by campaigns"). OmnivoxException(NOT_FOUND) for an unknown
  /// agent or campaign, (CONFIG) for a campaign listed twice, (INVALID_ARGUMENT) for a length
  /// mismatch.
  void set_agent_skills(long long agent, const std::vector<std::string>& queues,
                        const std::vector<long long>& priorities, bool outbound,
                        const std::vector<std::string>& campaigns,
                        const std::vector<long long>& campaign_priorities);
  /// Sets a campaign's blending rule: THRESHOLD keeps `reserve` agents free for inbound,
  /// SERVICE_LEVEL chooses the reserve for `queue`'s target (empty: the first queue), DIALXFREE
  /// dials round(kappa x free outbound agents) + c when min_free_all agents and
  /// min_free_outbound outbound agents are free. OmnivoxException(NOT_FOUND, CONFIG).
  void set_blending(const std::string& campaign_id, BlendingRule rule, int reserve,
                    const std::string& queue, int min_free_all, int min_free_outbound, double kappa,
                    int c);
  /// A queue's statistics. OmnivoxException(NOT_FOUND) for an unknown queue.
  InboundStatistics inbound_statistics(const std::string& queue_id) const;
  /// The inbound queues' ids, in the order they were added.
  std::vector<std::string> inbound_queues() const;

  // ---- SIP (EngineConfig.sip_json) ----
  /// Calls the agent's phone at `uri` ("sip:user@host[:port]") and keeps the leg up: the agent
  /// becomes AVAILABLE when the phone answers and LOGGED_OUT when the leg ends. Connecting a
  /// connected agent does nothing. OmnivoxException(STATE) if the engine has no sip_json,
  /// (INVALID_ARGUMENT) for a URI not starting "sip:", (NOT_FOUND) for an unknown agent.
  void sip_connect_agent(long long agent, const std::string& uri);
  /// Hangs up the agent's phone leg; the agent is logged out (after its call, if on one).
  void sip_disconnect_agent(long long agent);

  // ---- preview and call now ----
  PreviewEntry preview_next(long long agent);
  long long dial_preview(long long agent);
  void skip_preview(long long agent);
  long long call_now(long long contact_id, long long agent);

  // ---- running ----
  /// The engine clock, ms since epoch (UTC).
  long long now_ms() const;
  /// System clock: runs the engine on `threads` (>= 1) owned threads; returns at once.
  void start(int threads);
  /// Stops owned threads (waits for them).
  void stop();
  /// Runs ready handlers without blocking; returns how many ran.
  long long poll();
  /// Runs for `duration_ms` of virtual (or wall) time; returns handlers run.
  long long run_for(long long duration_ms);
  /// Virtual clock: runs until every started campaign is done or `limit_ms` passed (0 = the
  /// campaign file's max_duration_days for a simulation, else 60 days). True if done.
  bool run_until_done(long long limit_ms);
  bool idle() const;

  // ---- reading ----
  Statistics statistics(const std::string& campaign_id) const;
  /// What the campaign's agents did (calls handled, talk, wrap-up, idle and paused time,
  /// occupancy, dispositions, longest idle), in total and per 15-minute interval.
  /// OmnivoxException(NOT_FOUND) for an unknown campaign.
  AgentStatistics agent_statistics(const std::string& campaign_id) const;
  Eligibility explain(long long contact_id) const;
  /// The state of a call in flight; OmnivoxException(NOT_FOUND) once finished.
  CallState call_state(long long call_id) const;

  // ---- callback failures ----
  /// The last exception a Java callback threw ("Class.method: message"), or empty.
  std::string last_callback_error() const;
  /// How many callback exceptions were caught so far.
  long long callback_error_count() const;
  void clear_callback_error();

#ifndef SWIG
  struct State;

 private:
  Engine();
  static Engine* make_simulation(omnivox::CampaignFile file, EventListener* listener);
  State& live() const;
  // The C++ engine, for the facade's other files (blending_java.cc).
  ::omnivox::Engine& cpp_engine() const;
  std::unique_ptr<State> state_;
#endif
};

#ifndef SWIG
/// Installed once by the JNI layer (JNI_OnLoad): brackets every Java callback the engine makes.
/// `enter` attaches the thread to the JVM if needed and pushes a JNI local frame, `leave` pops
/// it, so local references made during a callback (e.g. while translating a Java exception)
/// are freed even on engine threads, which never return to Java to free them.
struct CallbackFrame {
  void (*enter)() = nullptr;
  void (*leave)() = nullptr;
};
void set_callback_frame(CallbackFrame frame);
#endif

/// Converts ISO 8601 UTC text to ms since epoch; OmnivoxException(INVALID_ARGUMENT) if malformed.
long long parse_utc_ms(const std::string& text);
/// Formats ms since epoch as "2026-05-04T08:00:00.000Z".
std::string format_utc_ms(long long ms);
/// Upper-case C++ name of a disposition ("NO_ANSWER"), as in omnivox::to_string.
std::string disposition_name(Disposition disposition);
/// Parses a disposition name; OmnivoxException(INVALID_ARGUMENT) when unknown.
Disposition disposition_from_name(const std::string& name);

}  // namespace omnivox::bindings

#endif  // OMNIVOX_BINDINGS_SWIG_FACADE_OMNIVOX_JAVA_H_
