/* The Omnivox C API: a stable C99 interface over the C++ engine, for hosts and language
 * bindings that cannot use C++. Guide with examples: docs/c-api.md.
 *
 * Conventions (as libgit2 and LevelDB's c.h):
 *  - Objects are opaque handles created by omnivox_<object>_create() and released by
 *    omnivox_<object>_destroy(). Functions are named omnivox_<object>_<verb>.
 *  - Every function returns an int status: OMNIVOX_OK (0) or a negative OMNIVOX_E* code
 *    (the exceptions are omnivox_free(), the *_destroy() functions and the *_name() and
 *    version lookups, which cannot fail; omnivox_engine_options_init() returns a status but
 *    takes no errptr). Results come back through out-parameters, which are written only on
 *    success.
 *  - The last parameter of every fallible function is `char** errptr`. It may be NULL (no
 *    message wanted). Otherwise *errptr must be NULL or a message an earlier call returned: on
 *    error the old message is freed and *errptr receives a new NUL-terminated UTF-8 message
 *    naming the function and the argument, field or object at fault; on success *errptr is left
 *    untouched.
 *  - Everything the library allocates for the caller (messages, strings, arrays) is released
 *    with omnivox_free(). Handles are released with their *_destroy() function only.
 *  - Strings passed in must be valid NUL-terminated UTF-8 (else OMNIVOX_EINVALID); the library
 *    copies what it keeps, so they need only live for the duration of the call.
 *  - A NULL handle or a NULL required argument gives OMNIVOX_EINVALID naming the argument; an
 *    out-of-range enum value gives OMNIVOX_EINVALID. No C++ exception ever crosses this API
 *    (nor a C backend's frames: exceptions are caught before a C function pointer is called
 *    back and re-raised as a status after it returns).
 *  - Handles are checked against a registry of live handles: a handle that was destroyed (or a
 *    pointer that never was a handle of that type) gives OMNIVOX_EINVALID instead of a crash.
 *    Limits: once the allocator reuses a destroyed handle's address for a new handle of the
 *    same type, the stale pointer names the new handle (this cannot be detected); and a handle
 *    must not be destroyed while another thread is between entering and leaving a call on it
 *    that is not thread-safe (destroy waits for calls in progress on other threads to return).
 *  - Times are milliseconds since 1970-01-01T00:00:00Z (UTC); durations are milliseconds.
 *  - Every struct the host fills in and passes to the library (options, callbacks, call events,
 *    backend vtables, Erlang C input) starts with `unsigned int version`: initialise it with
 *    its OMNIVOX_<STRUCT>_INIT macro (or omnivox_engine_options_init()), which sets the
 *    version the host was compiled against. A version this library does not know gives
 *    OMNIVOX_EINVALID naming the struct. ABI policy: docs/c-api.md.
 *  - Strings passed in are at most OMNIVOX_MAX_STRING bytes (OMNIVOX_MAX_JSON for JSON
 *    documents), else OMNIVOX_EINVALID; E.164 numbers are "+" and 1..15 digits (ITU-T E.164).
 *    Error messages are at most OMNIVOX_MAX_ERROR bytes (a longer one is cut at a UTF-8
 *    character boundary and ends in "...").
 *
 * Thread-safety: omnivox_free(), the *_name() functions and the Erlang functions are
 * thread-safe. A simulation handle is NOT thread-safe: use each handle from one thread at a
 * time. An engine handle is thread-safe except where a function says otherwise (see
 * "Engines" below).
 *
 * Two handle types:
 *  - omnivox_simulation: the quick path. One campaign JSON document gives memory storage, a
 *    virtual clock, the simulated telephony and agents, and the campaign.
 *  - omnivox_engine: the general engine. Storage (memory, SQLite, or the host's own storage in
 *    C: omnivox_storage), telephony (the simulator, or the host's own telephony in C:
 *    omnivox_telephony) and clock (virtual, the system clock with engine-owned threads or
 *    driven by poll/run_for, or OMNIVOX_CLOCK_HOST for the host's own event loop) are chosen at
 * creation; campaigns come from JSON.
 */
#ifndef OMNIVOX_OMNIVOX_H_
#define OMNIVOX_OMNIVOX_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define OMNIVOX_C_API
#elif defined(__GNUC__)
#define OMNIVOX_C_API __attribute__((visibility("default")))
#else
#define OMNIVOX_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Status codes (mirror omnivox::ErrorCode). */

#define OMNIVOX_OK 0
#define OMNIVOX_EINVALID (-1) /* a value passed is NULL, out of range or malformed */
#define OMNIVOX_ECONFIG (-2)  /* a campaign or engine configuration is invalid */
#define OMNIVOX_ENOTFOUND                                                                        \
  (-3)                         /* a named object (contact, call, agent, campaign) does not exist \
                                */
#define OMNIVOX_EIO (-4)       /* a file could not be read or written */
#define OMNIVOX_ESTORAGE (-5)  /* the storage backend failed */
#define OMNIVOX_ESTATE (-6)    /* the call is not valid in the object's current state */
#define OMNIVOX_EINTERNAL (-7) /* an unexpected internal error (a bug, or out of memory) */

/* Limits on what the host passes in (bytes, not counting the NUL). */
#define OMNIVOX_MAX_STRING 4096u    /* names, ids, paths, numbers, messages */
#define OMNIVOX_MAX_JSON 16777216u  /* campaign, simulation and SIP JSON documents */
#define OMNIVOX_MAX_E164_DIGITS 15u /* ITU-T E.164 */
#define OMNIVOX_MAX_ERROR 1024u     /* an error message written to *errptr */

/* The library's version, as OMNIVOX_VERSION_NUMBER in omnivox/version.h
 * (major * 10000 + minor * 100 + patch) and as "major.minor.patch". Compare with the
 * OMNIVOX_VERSION_NUMBER the host was compiled against to detect a different library at run
 * time. Thread-safe; the string is static. */
OMNIVOX_C_API unsigned int omnivox_version(void);
OMNIVOX_C_API const char* omnivox_version_string(void);

/* A static name for a status code ("OK", "EINVALID", ...; "UNKNOWN" for other values).
 * Thread-safe; the string is owned by the library and must not be freed. */
OMNIVOX_C_API const char* omnivox_status_name(int status);

/* Frees anything this library allocated for the caller (error messages, strings, arrays).
 * NULL is a no-op. Thread-safe. */
OMNIVOX_C_API void omnivox_free(void* ptr);

/* ------------------------------------------------------------------------------------------ */
/* Enumerations (same numeric values as the C++ enums). Functions take them as int. */

typedef uint64_t omnivox_contact_id; /* 0 = no contact */
typedef uint64_t omnivox_call_id;    /* 0 = no call */
typedef uint32_t omnivox_agent_id;   /* 0xFFFFFFFF = no agent */
#define OMNIVOX_NO_AGENT ((omnivox_agent_id)0xFFFFFFFFu)

enum omnivox_agent_state {
  OMNIVOX_AGENT_LOGGED_OUT = 0,
  OMNIVOX_AGENT_AVAILABLE = 1,
  OMNIVOX_AGENT_RESERVED = 2, /* read-only: cannot be set */
  OMNIVOX_AGENT_ON_CALL = 3,  /* read-only */
  OMNIVOX_AGENT_WRAP_UP = 4,  /* read-only */
  OMNIVOX_AGENT_PAUSED = 5
};
#define OMNIVOX_AGENT_STATE_COUNT 6

enum omnivox_call_state {
  OMNIVOX_CALL_QUEUED = 0,
  OMNIVOX_CALL_DIALING,
  OMNIVOX_CALL_RINGING,
  OMNIVOX_CALL_ANSWERED,
  OMNIVOX_CALL_HUMAN,
  OMNIVOX_CALL_MACHINE,
  OMNIVOX_CALL_FAX,
  OMNIVOX_CALL_BRIDGED,
  OMNIVOX_CALL_COMPLETED, /* terminal states from here on */
  OMNIVOX_CALL_ABANDONED,
  OMNIVOX_CALL_BUSY,
  OMNIVOX_CALL_NO_ANSWER,
  OMNIVOX_CALL_FAILED,
  OMNIVOX_CALL_CANCELED
};
#define OMNIVOX_CALL_STATE_COUNT 14

enum omnivox_disposition {
  OMNIVOX_DISPOSITION_NONE = 0,
  OMNIVOX_DISPOSITION_BUSY, /* system dispositions */
  OMNIVOX_DISPOSITION_NO_ANSWER,
  OMNIVOX_DISPOSITION_MACHINE,
  OMNIVOX_DISPOSITION_FAX,
  OMNIVOX_DISPOSITION_ABANDONED,
  OMNIVOX_DISPOSITION_INVALID_NUMBER,
  OMNIVOX_DISPOSITION_FAILED,
  OMNIVOX_DISPOSITION_CANCELED,
  OMNIVOX_DISPOSITION_SALE, /* agent dispositions (settable) */
  OMNIVOX_DISPOSITION_NOT_INTERESTED,
  OMNIVOX_DISPOSITION_CALLBACK,
  OMNIVOX_DISPOSITION_DO_NOT_CALL,
  OMNIVOX_DISPOSITION_WRONG_NUMBER,
  OMNIVOX_DISPOSITION_COMPLETED
};
#define OMNIVOX_DISPOSITION_COUNT 15

/* Why a contact is not dialable now (omnivox::Ineligibility). */
enum omnivox_ineligibility {
  OMNIVOX_DIALABLE = 0,
  OMNIVOX_INELIGIBLE_FINAL_STATUS,
  OMNIVOX_INELIGIBLE_MAX_ATTEMPTS,
  OMNIVOX_INELIGIBLE_NO_VALID_NUMBER,
  OMNIVOX_INELIGIBLE_RETRY_DELAY,
  OMNIVOX_INELIGIBLE_CALLBACK_NOT_DUE,
  OMNIVOX_INELIGIBLE_OUTSIDE_CALL_WINDOW,
  OMNIVOX_INELIGIBLE_DO_NOT_CALL,
  OMNIVOX_INELIGIBLE_LEASED,
  OMNIVOX_INELIGIBLE_HOLIDAY,
  OMNIVOX_INELIGIBLE_REGION_CALL_CAP,
  OMNIVOX_INELIGIBLE_REPEAT_AFTER_ABANDON,
  OMNIVOX_INELIGIBLE_REPEAT_AFTER_MACHINE
};
#define OMNIVOX_INELIGIBILITY_COUNT 13

/* Static upper-case names ("AVAILABLE", "NO_ANSWER", "HUMAN") and snake_case reasons
 * ("outside_call_window"); "UNKNOWN" for out-of-range values. Thread-safe; not to be freed. */
OMNIVOX_C_API const char* omnivox_agent_state_name(int state);
OMNIVOX_C_API const char* omnivox_call_state_name(int state);
OMNIVOX_C_API const char* omnivox_disposition_name(int disposition);
OMNIVOX_C_API const char* omnivox_ineligibility_name(int reason);

/* ------------------------------------------------------------------------------------------ */
/* Events. Pointers inside an event (strings) are valid only during the callback. */

typedef struct omnivox_call_state_event {
  int64_t at_ms;
  const char* campaign_id;
  omnivox_call_id call_id;
  omnivox_contact_id contact_id;
  int from; /* enum omnivox_call_state */
  int to;
  omnivox_agent_id agent; /* OMNIVOX_NO_AGENT if none */
} omnivox_call_state_event;

typedef struct omnivox_agent_state_event {
  int64_t at_ms;
  const char* campaign_id;
  omnivox_agent_id agent;
  int from; /* enum omnivox_agent_state */
  int to;
  omnivox_call_id call_id; /* the call that caused it, 0 if none */
} omnivox_agent_state_event;

typedef struct omnivox_pacing_event {
  int64_t at_ms;
  const char* campaign_id;
  const char* policy;
  int agents_idle;
  int agents_busy;
  int calls_pending;
  int requested; /* what the policy asked for */
  int allowed;   /* what the abandon-rate governor allowed */
  int launched;  /* what the engine launched */
} omnivox_pacing_event;

typedef struct omnivox_attempt_event {
  omnivox_call_id call_id;
  omnivox_contact_id contact_id;
  const char* campaign_id;
  const char* number; /* E.164 dialed */
  int attempt_number; /* 1-based over the contact's lifetime */
  int state;          /* terminal enum omnivox_call_state */
  int disposition;    /* enum omnivox_disposition */
  omnivox_agent_id agent;
  int64_t created_at_ms;
  int64_t answered_at_ms; /* 0 if never answered */
  int64_t bridged_at_ms;  /* 0 if never bridged */
  int64_t ended_at_ms;
} omnivox_attempt_event;

/* Event callbacks. Any pointer may be NULL (that event is ignored). `user_data` is passed back
 * unchanged. Callbacks run on the engine's thread (simulation: the caller of run_for /
 * run_until_done / start ...; engine: see "Engines" below), one at a time, and must not block.
 * They must not run or destroy the same handle: omnivox_simulation_run_for() /
 * _run_until_done() and omnivox_engine_run_for() / _run_until_done() / _poll() / _start() /
 * _stop() return OMNIVOX_ESTATE there, and *_destroy() does nothing. Other functions of the
 * handle may be called (e.g. set_disposition when an agent enters WRAP_UP); engine actions they
 * request run after the callback's step. */
#define OMNIVOX_CALLBACKS_VERSION 1u
/* Initialiser: omnivox_callbacks cb = OMNIVOX_CALLBACKS_INIT; (no callbacks). */
#define OMNIVOX_CALLBACKS_INIT \
  { OMNIVOX_CALLBACKS_VERSION, NULL, NULL, NULL, NULL, NULL }
typedef struct omnivox_callbacks {
  unsigned int version; /* OMNIVOX_CALLBACKS_VERSION (else set_callbacks: EINVALID) */
  void* user_data;
  void (*on_call_state)(void* user_data, const omnivox_call_state_event* event);
  void (*on_agent_state)(void* user_data, const omnivox_agent_state_event* event);
  void (*on_pacing_decision)(void* user_data, const omnivox_pacing_event* event);
  /* An attempt reached a terminal state and its disposition is final for the engine: once per
   * attempt. */
  void (*on_attempt_finished)(void* user_data, const omnivox_attempt_event* event);
} omnivox_callbacks;

/* ------------------------------------------------------------------------------------------ */
/* Simulations: a campaign run against simulated telephony and agents in virtual time. */

typedef struct omnivox_simulation omnivox_simulation;

#define OMNIVOX_STATISTICS_MAX_AGENT_STATES 16
#define OMNIVOX_STATISTICS_MAX_DISPOSITIONS 64

/* Live statistics of the simulation's campaign (the plain-number fields of
 * omnivox::CampaignStatistics). */
typedef struct omnivox_statistics {
  int64_t at_ms;
  int64_t attempts; /* launched */
  int64_t attempts_in_flight;
  int64_t live_answers;
  int64_t machines;
  int64_t abandons;
  int64_t connects;    /* bridged to an agent */
  double abandon_rate; /* abandons / live answers (0 when none) */
  double occupancy;    /* (talk + wrap) / logged-in agent time */
  double dial_level;   /* attempts in flight per non-paused logged-in agent */
  double talk_seconds;
  double wrap_seconds;
  double logged_in_seconds;
  uint64_t contacts_total;
  uint64_t contacts_final; /* DONE, DNC, INVALID or EXHAUSTED */
  uint64_t dial_queue_size;
  /* Fixed capacities, so that a new agent state or disposition moves no field: the counts say
   * how many entries this library filled (the rest are 0). */
  uint32_t agent_state_count; /* OMNIVOX_AGENT_STATE_COUNT of the library */
  uint32_t disposition_count; /* OMNIVOX_DISPOSITION_COUNT of the library */
  int agents_by_state[OMNIVOX_STATISTICS_MAX_AGENT_STATES];  /* index = enum omnivox_agent_state */
  int64_t dispositions[OMNIVOX_STATISTICS_MAX_DISPOSITIONS]; /* index = enum omnivox_disposition */
} omnivox_statistics;

/* Result of a CSV import. */
typedef struct omnivox_import_report {
  uint64_t rows_read;
  uint64_t rows_loaded;
  uint64_t rows_rejected;
} omnivox_import_report;

/* Why a contact is (not) dialable now. */
typedef struct omnivox_eligibility {
  int reason;             /* enum omnivox_ineligibility; OMNIVOX_DIALABLE if dialable now */
  int64_t eligible_at_ms; /* when it may become dialable, 0 if unknown */
} omnivox_eligibility;

/* Creates a simulation from campaign JSON text (the format `omnivox run` reads; see
 * docs/campaign-file.md): memory storage, a virtual clock at the file's "start", the simulated
 * world of its "simulation" section, the campaign, and its "agents" agents ("agent-1"...,
 * ids 0..agents-1) logged in (AVAILABLE). "agent_shift" is not applied (agents stay logged in
 * until you change them). The contacts file is NOT imported: call
 * omnivox_simulation_import_contacts(). The campaign is not started.
 * `base_dir` resolves relative paths in the JSON (NULL = the current directory).
 * A replay world loads its replay data file here (OMNIVOX_EIO if unreadable).
 * On success *out receives a new handle (release with omnivox_simulation_destroy()); on error
 * *out is set to NULL. Errors: EINVALID (NULL/bad UTF-8), ECONFIG (bad JSON or key, naming the
 * field), EIO. */
OMNIVOX_C_API int omnivox_simulation_create(const char* campaign_json, const char* base_dir,
                                            omnivox_simulation** out, char** errptr);

/* Destroys a simulation (NULL is a no-op). Calls in flight are dropped. Must not be called from
 * one of its callbacks. */
OMNIVOX_C_API void omnivox_simulation_destroy(omnivox_simulation* sim);

/* Installs the event callbacks (copied; NULL `callbacks` removes them). Events from then on are
 * delivered; install them before starting the campaign to see every event. */
OMNIVOX_C_API int omnivox_simulation_set_callbacks(omnivox_simulation* sim,
                                                   const omnivox_callbacks* callbacks,
                                                   char** errptr);

/* The campaign id: *out receives a new string (free with omnivox_free()). */
OMNIVOX_C_API int omnivox_simulation_campaign_id(omnivox_simulation* sim, char** out,
                                                 char** errptr);

/* Imports contacts from a CSV file into the campaign (list "main") with the campaign file's
 * "contacts" options; `csv_path` NULL = the campaign file's "contacts.file". Bad rows are
 * skipped and counted. `report` (may be NULL) receives the counts; `summary` (may be NULL)
 * receives a new human-readable summary with the first errors (free with omnivox_free()).
 * Errors: EINVALID (no path given or configured), EIO (unreadable file), ECONFIG (no header,
 * missing mapped column). */
OMNIVOX_C_API int omnivox_simulation_import_contacts(omnivox_simulation* sim, const char* csv_path,
                                                     omnivox_import_report* report, char** summary,
                                                     char** errptr);

/* Adds one contact with `number_count` (>= 1) E.164 numbers ("+12125550100"), dialed in that
 * order. `external_id` may be NULL (empty). *out (may be NULL) receives its id. */
OMNIVOX_C_API int omnivox_simulation_add_contact(omnivox_simulation* sim, const char* external_id,
                                                 const char* const* numbers, size_t number_count,
                                                 omnivox_contact_id* out, char** errptr);

/* Adds an E.164 number to a DNC list: "global" or a campaign id. */
OMNIVOX_C_API int omnivox_simulation_add_dnc(omnivox_simulation* sim, const char* list,
                                             const char* e164, char** errptr);

/* Adds an agent named `name` to the campaign, logged in (AVAILABLE) if `log_in` is non-zero.
 * *out (may be NULL) receives its id. */
OMNIVOX_C_API int omnivox_simulation_add_agent(omnivox_simulation* sim, const char* name,
                                               int log_in, omnivox_agent_id* out, char** errptr);

/* The ids of the simulation's agents: *out receives a new array of *count ids (free with
 * omnivox_free(); NULL when *count is 0). */
OMNIVOX_C_API int omnivox_simulation_agents(omnivox_simulation* sim, omnivox_agent_id** out,
                                            size_t* count, char** errptr);

/* Starts / stops dialing the campaign (stop: calls in flight finish normally). */
OMNIVOX_C_API int omnivox_simulation_start(omnivox_simulation* sim, char** errptr);
OMNIVOX_C_API int omnivox_simulation_stop(omnivox_simulation* sim, char** errptr);

/* Runs `duration_ms` (>= 0) of virtual time (every due event, callbacks included). */
OMNIVOX_C_API int omnivox_simulation_run_for(omnivox_simulation* sim, int64_t duration_ms,
                                             char** errptr);

/* Runs until the started campaign has no dialable contact left and no call in flight, or until
 * `limit_ms` of virtual time passed (0 = the campaign file's "max_duration_days"; < 0 is
 * EINVALID). *finished (may be NULL) receives 1 if it finished, 0 if the limit was hit. */
OMNIVOX_C_API int omnivox_simulation_run_until_done(omnivox_simulation* sim, int64_t limit_ms,
                                                    int* finished, char** errptr);

/* The virtual time now. */
OMNIVOX_C_API int omnivox_simulation_now(omnivox_simulation* sim, int64_t* out_ms, char** errptr);

/* Logs in (AVAILABLE), pauses (PAUSED), resumes (AVAILABLE) or logs out (LOGGED_OUT) an agent;
 * other states are EINVALID. An agent on a call finishes it first. ENOTFOUND for an unknown
 * agent. */
OMNIVOX_C_API int omnivox_simulation_set_agent_state(omnivox_simulation* sim,
                                                     omnivox_agent_id agent, int state,
                                                     char** errptr);
/* An agent's current state (enum omnivox_agent_state). */
OMNIVOX_C_API int omnivox_simulation_agent_state(omnivox_simulation* sim, omnivox_agent_id agent,
                                                 int* out_state, char** errptr);

/* Ends an agent's wrap-up of `call` with an agent disposition (SALE .. COMPLETED; other values
 * are EINVALID). CALLBACK needs `callback_at_ms` > 0 (0 = none for the others). ESTATE if the
 * call is not awaiting a disposition. (The simulated agents disposition their own calls after
 * the wrap-up time; call this from on_agent_state when an agent enters WRAP_UP to override.) */
OMNIVOX_C_API int omnivox_simulation_set_disposition(omnivox_simulation* sim, omnivox_call_id call,
                                                     int disposition, int64_t callback_at_ms,
                                                     char** errptr);

/* "Call now": dials a contact for an AVAILABLE agent if the contact is eligible. *out (may be
 * NULL) receives the call id. ESTATE (with the reason) if it cannot be dialed now. */
OMNIVOX_C_API int omnivox_simulation_call_now(omnivox_simulation* sim, omnivox_contact_id contact,
                                              omnivox_agent_id agent, omnivox_call_id* out,
                                              char** errptr);

/* Reads the campaign's live statistics into *out. */
OMNIVOX_C_API int omnivox_simulation_statistics(omnivox_simulation* sim, omnivox_statistics* out,
                                                char** errptr);

/* Explains why a contact is (not) dialable now: *out receives the reason code; `detail` (may be
 * NULL) receives a new string (e.g. "local time 22:14 in America/New_York; window 09:00-21:00",
 * possibly empty; free with omnivox_free()). ENOTFOUND for an unknown contact. */
OMNIVOX_C_API int omnivox_simulation_explain(omnivox_simulation* sim, omnivox_contact_id contact,
                                             omnivox_eligibility* out, char** detail,
                                             char** errptr);

/* ------------------------------------------------------------------------------------------ */
/* More enumerations (same numeric values as the C++ enums). */

/* Where a contact stands (omnivox::ContactStatus). NEW, RETRY, CALLBACK are dialable. */
enum omnivox_contact_status {
  OMNIVOX_CONTACT_NEW = 0,
  OMNIVOX_CONTACT_RETRY,
  OMNIVOX_CONTACT_CALLBACK,
  OMNIVOX_CONTACT_DONE, /* final statuses from here on */
  OMNIVOX_CONTACT_DO_NOT_CALL,
  OMNIVOX_CONTACT_INVALID,
  OMNIVOX_CONTACT_EXHAUSTED
};
#define OMNIVOX_CONTACT_STATUS_COUNT 7

/* Kinds of call events telephony reports (omnivox::CallEventKind). COMPLETED and later end the
 * call. */
enum omnivox_call_event_kind {
  OMNIVOX_EVENT_INITIATED = 0, /* the provider accepted the call (DIALING) */
  OMNIVOX_EVENT_RINGING,       /* the far end is ringing */
  OMNIVOX_EVENT_ANSWERED,      /* picked up (person or machine not yet known) */
  OMNIVOX_EVENT_AMD_RESULT,    /* AMD finished: see omnivox_call_event.amd */
  OMNIVOX_EVENT_BRIDGED,       /* connected to the agent given in bridge() */
  OMNIVOX_EVENT_COMPLETED,     /* ended normally after an answer */
  OMNIVOX_EVENT_BUSY,
  OMNIVOX_EVENT_NO_ANSWER,
  OMNIVOX_EVENT_FAILED,  /* could not be placed: see fail_reason, provider_code */
  OMNIVOX_EVENT_CANCELED /* canceled before answer at the engine's request */
};
#define OMNIVOX_CALL_EVENT_KIND_COUNT 10

/* Answering-machine detection results (omnivox::AmdResult). */
enum omnivox_amd_result {
  OMNIVOX_AMD_NONE = 0,
  OMNIVOX_AMD_HUMAN,
  OMNIVOX_AMD_MACHINE,
  OMNIVOX_AMD_FAX,
  OMNIVOX_AMD_UNKNOWN
};
#define OMNIVOX_AMD_RESULT_COUNT 5

/* Why an attempt failed (omnivox::FailReason). */
enum omnivox_fail_reason {
  OMNIVOX_FAIL_NONE = 0,
  OMNIVOX_FAIL_INVALID_NUMBER,
  OMNIVOX_FAIL_REJECTED,
  OMNIVOX_FAIL_NETWORK,
  OMNIVOX_FAIL_TIMEOUT,
  OMNIVOX_FAIL_CONFIG,
  OMNIVOX_FAIL_UNKNOWN
};
#define OMNIVOX_FAIL_REASON_COUNT 7

/* Static names as the C++ to_string() gives them ("CALLBACK", "NO_ANSWER", "MACHINE",
 * "INVALID_NUMBER"); "UNKNOWN" for out-of-range values. Thread-safe; not to be freed. */
OMNIVOX_C_API const char* omnivox_contact_status_name(int status);
OMNIVOX_C_API const char* omnivox_call_event_kind_name(int kind);
OMNIVOX_C_API const char* omnivox_amd_result_name(int result);
OMNIVOX_C_API const char* omnivox_fail_reason_name(int reason);

/* ------------------------------------------------------------------------------------------ */
/* Records shared by the engine API and the storage interface. In every record the library
 * passes to the host, pointers (strings, arrays) are valid only during the call that passes
 * it; in every record the host passes in, they need only be valid during the call. */

/* One phone number of a contact, with its own counters (omnivox::PhoneNumber). */
typedef struct omnivox_phone_number {
  const char* e164;           /* "+351912345678" */
  uint32_t zone_set;          /* time-zone set from the prefix map; 0 = unknown */
  uint32_t attempts;          /* lifetime attempts on this number (0..65535) */
  int last_disposition;       /* enum omnivox_disposition */
  int invalid;                /* non-zero: reported invalid, never dialed again */
  int64_t last_abandon_at_ms; /* end of its last ABANDONED attempt, 0 if none */
  int64_t last_machine_at_ms; /* end of its last MACHINE attempt, 0 if none */
} omnivox_phone_number;

/* A name/value pair (a contact attribute: a CSV column kept with the contact). */
typedef struct omnivox_attribute {
  const char* name;
  const char* value;
} omnivox_attribute;

/* A person to reach (omnivox::Contact). */
typedef struct omnivox_contact {
  omnivox_contact_id id; /* assigned by the storage's add_contact */
  const char* campaign_id;
  const char* list_name;
  const char* external_id;             /* the host's id ("" if none) */
  int32_t priority;                    /* higher is dialed first */
  uint64_t list_order;                 /* load order within the campaign, assigned by the storage */
  const omnivox_phone_number* numbers; /* in dialing order */
  size_t number_count;
  const omnivox_attribute* attributes;
  size_t attribute_count;
  const char* time_zone;           /* IANA override; "" = by prefix */
  int status;                      /* enum omnivox_contact_status */
  uint32_t attempts;               /* lifetime attempts over all numbers (0..65535) */
  uint32_t not_connected;          /* attempts that reached no one (0..65535) */
  uint32_t next_number;            /* index into numbers to dial next (0..65535) */
  int last_disposition;            /* enum omnivox_disposition */
  int64_t last_attempt_at_ms;      /* 0 if none */
  int64_t next_attempt_at_ms;      /* not dialable before this (retry delay / callback time) */
  omnivox_agent_id callback_agent; /* OMNIVOX_NO_AGENT = anyone */
} omnivox_contact;

/* One attempt, i.e. one call record (omnivox::Attempt). */
typedef struct omnivox_attempt {
  omnivox_call_id call_id;
  omnivox_contact_id contact_id;
  const char* campaign_id;
  const char* number; /* E.164 dialed */
  uint32_t number_index;
  uint32_t attempt_number; /* 1-based over the contact's lifetime */
  const char* caller_id;
  const char* provider_call_id; /* "" if none */
  int state;                    /* enum omnivox_call_state */
  int fail_reason;              /* enum omnivox_fail_reason */
  int amd;                      /* enum omnivox_amd_result */
  int disposition;              /* enum omnivox_disposition; NONE while open */
  omnivox_agent_id agent;
  int64_t created_at_ms;
  int64_t answered_at_ms; /* 0 if never answered */
  int64_t bridged_at_ms;  /* 0 if never bridged */
  int64_t ended_at_ms;    /* 0 while in flight */
  int provider_code;      /* SIP or provider error code, 0 if none */
} omnivox_attempt;

/* ------------------------------------------------------------------------------------------ */
/* Telephony written in C: the host places and controls calls; the engine decides.
 *
 * Fill an omnivox_telephony and pass it in omnivox_engine_options (the struct is copied;
 * `user_data` stays the host's, the engine never frees it and it must outlive the engine).
 * The engine calls these functions on its own thread (the one driving it: an engine-owned
 * thread, or the host thread inside omnivox_engine_run_for() / _poll() / _run_until_done() /
 * any engine function that makes the engine act at once, e.g. start_campaign or call_now).
 * They must not block (queue the work, report the outcome as events later) and must not call
 * omnivox_engine_run_for(), _poll(), _run_until_done(), _start(), _stop() or _destroy() (those
 * return OMNIVOX_ESTATE then); other engine functions may be called.
 *
 * Events: the host reports what happens to each call with omnivox_engine_report_call_event(),
 * from any thread. An event reported from inside one of these functions (e.g. a FAILED from
 * originate, or the CANCELED that follows hangup) is queued and applied right after the
 * engine's current step, at the same clock time, never re-entrantly. With a virtual clock,
 * events that happen "later" are reported from a timer the host sets with
 * omnivox_engine_schedule(), or from the host's loop between run calls.
 */
/* Version 2 appended stop_amd; a version-1 struct is still accepted (it has no stop_amd). */
#define OMNIVOX_TELEPHONY_VERSION 2u

/* What the engine asks telephony to dial (omnivox::OriginateRequest). */
typedef struct omnivox_originate_request {
  omnivox_call_id call_id; /* the engine's id: events must carry it back */
  omnivox_contact_id contact_id;
  const char* external_id; /* the contact's host id ("" if none) */
  const char* campaign_id;
  const char* to;          /* E.164 */
  const char* from;        /* caller ID, E.164 ("" if none) */
  int attempt_number;      /* 1-based over the contact's lifetime */
  int64_t ring_timeout_ms; /* give up ringing after this and report NO_ANSWER */
  int amd;                 /* non-zero: run answering-machine detection */
} omnivox_originate_request;

/* One event about one call (omnivox::CallEvent). */
#define OMNIVOX_CALL_EVENT_VERSION 1u
/* Initialiser: omnivox_call_event e = OMNIVOX_CALL_EVENT_INIT; then set call_id, kind, ... */
#define OMNIVOX_CALL_EVENT_INIT \
  { OMNIVOX_CALL_EVENT_VERSION, 0, NULL, 0, 0, 0, 0, 0, 0 }
typedef struct omnivox_call_event {
  unsigned int version;         /* OMNIVOX_CALL_EVENT_VERSION (else EINVALID) */
  omnivox_call_id call_id;      /* from omnivox_originate_request */
  const char* provider_call_id; /* the provider's id; NULL or "" if none */
  int kind;                     /* enum omnivox_call_event_kind */
  uint32_t sequence;    /* provider sequence number; (call, sequence) deduplicates; 0 = none */
  int64_t timestamp_ms; /* when it happened; 0 = the engine's clock now */
  int amd;              /* enum omnivox_amd_result, for OMNIVOX_EVENT_AMD_RESULT */
  int fail_reason;      /* enum omnivox_fail_reason, for OMNIVOX_EVENT_FAILED */
  int provider_code;    /* SIP response or provider error code; 0 if none */
} omnivox_call_event;

typedef struct omnivox_engine omnivox_engine;

/* Initialiser: omnivox_telephony t = OMNIVOX_TELEPHONY_INIT; then set the functions. */
#define OMNIVOX_TELEPHONY_INIT \
  { OMNIVOX_TELEPHONY_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }
typedef struct omnivox_telephony {
  unsigned int version; /* OMNIVOX_TELEPHONY_VERSION (else engine creation fails: EINVALID) */
  void* user_data;      /* passed to every function below */
  /* Optional. Called once while the engine is created, before any other function: `engine` is
   * the handle to report events to (omnivox_engine_create() has not returned yet; do not call
   * other engine functions from here). */
  void (*start)(void* user_data, omnivox_engine* engine);
  /* Required. Starts dialing request->to. Return 0 if accepted (the outcome follows as events)
   * or non-zero if it cannot be placed: the engine then records a FAILED event (REJECTED) for
   * the call itself. */
  int (*originate)(void* user_data, const omnivox_originate_request* request);
  /* Required. Ends the call (cancels it if not answered): report COMPLETED or CANCELED. */
  void (*hangup)(void* user_data, omnivox_call_id call);
  /* Required. Connects the answered call to the agent: report BRIDGED (or an ending event). */
  void (*bridge)(void* user_data, omnivox_call_id call, omnivox_agent_id agent);
  /* Optional (NULL: messages are not played). Plays a message (safe-harbor or voicemail drop)
   * to the answered call; the engine hangs up afterwards itself. */
  void (*play)(void* user_data, omnivox_call_id call, const char* message);
  /* Optional. The engine is being destroyed: no events are accepted after this returns. */
  void (*stop)(void* user_data);
  /* Optional (NULL: cannot tell). Restart reconciliation: what the backend knows of a call an
   * earlier engine placed and never saw end. Fill *out and return 1 if known (an ending kind if
   * it ended, another kind if still live: the engine then hangs it up), 0 if unknown. May block
   * briefly (called once per open attempt when a campaign starts). */
  int (*lookup_call)(void* user_data, const omnivox_attempt* attempt, omnivox_call_event* out);
  /* Version 2. Optional (NULL: nothing is stopped). The engine puts this answered call through
   * without waiting for its AMD result (AMD suspended at the abandon cap:
   * omnivox_engine_options.suspend_amd_at_cap): stop classifying its audio and report no
   * AMD_RESULT for it. A result reported anyway is dropped by the engine. */
  void (*stop_amd)(void* user_data, omnivox_call_id call);
} omnivox_telephony;

/* ------------------------------------------------------------------------------------------ */
/* Storage written in C: the host keeps contacts, leases, attempts and the rest (the contract of
 * omnivox::Storage, include/omnivox/storage.h, in C).
 *
 * Fill an omnivox_storage and pass it in omnivox_engine_options (copied; `user_data` stays
 * the host's and must outlive the engine). Every function returns OMNIVOX_OK or a negative
 * status (OMNIVOX_ESTORAGE for a backend failure; the engine turns it into an error naming the
 * function; OMNIVOX_ENOTFOUND where stated). Records passed in are valid only during the call:
 * the storage copies what it keeps (strings and arrays too). Records it passes out (through a
 * `visit` / `receive` function) need only be valid during that call; the engine copies them.
 *
 * Threading: with an engine-owned thread pool or a host that calls engine functions from
 * several threads, the functions may be called concurrently: guard shared state. Functions
 * must not call back into the engine, and a `visit` function must not be called after the
 * storage function returned. `visit` returns non-zero to continue, 0 to stop.
 *
 * Campaign configurations are stored as the campaign JSON document (the campaign-file format,
 * docs/campaign-file.md) the host gave omnivox_engine_add_campaign(), kept verbatim.
 */
#define OMNIVOX_STORAGE_VERSION 1u

/* A contact list (omnivox::ContactList). */
typedef struct omnivox_contact_list {
  const char* campaign_id;
  const char* name;
  int active; /* non-zero: its contacts are dialed */
} omnivox_contact_list;

/* An exclusive, time-limited claim on a contact by one engine (omnivox::Lease). */
typedef struct omnivox_lease {
  omnivox_contact_id contact_id;
  const char* owner; /* owner token (one per engine) */
  int64_t expiry_ms; /* the lease is live while now < expiry */
} omnivox_lease;

/* One line of the append-only event journal (omnivox::JournalEntry). */
typedef struct omnivox_journal_entry {
  int64_t at_ms;
  const char* campaign_id;
  omnivox_call_id call_id;
  omnivox_contact_id contact_id;
  const char* kind;   /* "state", "late_event", "duplicate_event", "lease", ... */
  const char* detail; /* human-readable */
} omnivox_journal_entry;

/* Which contacts scan_contacts visits (omnivox::ContactScan). */
typedef struct omnivox_contact_scan {
  const char* campaign_id;
  /* Non-zero: visit only dialable contacts (NEW, RETRY, CALLBACK) with next_attempt_at <=
   * due_by_ms. Zero: every contact of the campaign. */
  int dialable_only;
  int64_t due_by_ms; /* INT64_MAX = no limit */
} omnivox_contact_scan;

typedef int (*omnivox_contact_visitor)(void* ctx, const omnivox_contact* contact);
typedef int (*omnivox_attempt_visitor)(void* ctx, const omnivox_attempt* attempt);
typedef int (*omnivox_list_visitor)(void* ctx, const omnivox_contact_list* list);
typedef int (*omnivox_journal_visitor)(void* ctx, const omnivox_journal_entry* entry);

/* Initialiser: omnivox_storage s = OMNIVOX_STORAGE_INIT; then set the functions. */
#define OMNIVOX_STORAGE_INIT                                                                   \
  {                                                                                            \
    OMNIVOX_STORAGE_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL           \
  }
typedef struct omnivox_storage {
  unsigned int version; /* OMNIVOX_STORAGE_VERSION (else engine creation fails: EINVALID) */
  void* user_data;      /* passed to every function below */

  /* ---- campaigns and lists (all required) ---- */
  /* Creates or replaces a campaign: its id and its JSON document. */
  int (*put_campaign)(void* user_data, const char* campaign_id, const char* config_json);
  /* Calls receive(ctx, json) once with the stored JSON, or returns OMNIVOX_ENOTFOUND. */
  int (*get_campaign)(void* user_data, const char* campaign_id,
                      void (*receive)(void* ctx, const char* config_json), void* ctx);
  /* Creates or replaces (by campaign and name) a contact list. */
  int (*put_list)(void* user_data, const omnivox_contact_list* list);
  /* Visits the lists of a campaign. */
  int (*scan_lists)(void* user_data, const char* campaign_id, omnivox_list_visitor visit,
                    void* ctx);

  /* ---- contacts (all required) ---- */
  /* Stores a new contact (contact->id and ->list_order are to be assigned): ids are unique in
   * the storage and never 0; list_order counts 1, 2, ... per campaign in load order. */
  int (*add_contact)(void* user_data, const omnivox_contact* contact, omnivox_contact_id* out_id,
                     uint64_t* out_list_order);
  /* Calls receive(ctx, contact) once, or returns OMNIVOX_ENOTFOUND. */
  int (*get_contact)(void* user_data, omnivox_contact_id id,
                     void (*receive)(void* ctx, const omnivox_contact* contact), void* ctx);
  /* Replaces a stored contact (by id), keeping its campaign_id and list_order; ENOTFOUND for an
   * unknown id. */
  int (*update_contact)(void* user_data, const omnivox_contact* contact);
  /* Visits the campaign's contacts in dialing order until visit returns 0: with dialable_only,
   * CALLBACK contacts first by (next_attempt_at, id), then NEW/RETRY by priority (higher first)
   * then list_order; otherwise every contact by priority then list_order. *visited receives
   * the number of contacts passed to visit. */
  int (*scan_contacts)(void* user_data, const omnivox_contact_scan* scan,
                       omnivox_contact_visitor visit, void* ctx, uint64_t* visited);
  /* Number of contacts of a campaign (0 for an unknown campaign). */
  int (*contact_count)(void* user_data, const char* campaign_id, uint64_t* out);
  /* Contacts per status (index = enum omnivox_contact_status; zeros for an unknown campaign). */
  int (*count_by_status)(void* user_data, const char* campaign_id,
                         uint64_t out[OMNIVOX_CONTACT_STATUS_COUNT]);

  /* ---- leases (all required; atomic check-and-claim: docs/architecture.md, Parts) ---- */
  /* Claims every listed contact that has no live lease of another owner at now_ms, giving it a
   * lease of `owner` until now_ms + ttl_ms (renewing one the owner holds). Writes the ids
   * claimed, in input order, to claimed[0..*claimed_count) (room for `count` ids). Unknown ids
   * are skipped. The engine claims with it for restart reconciliation too, so it must take over
   * expired leases whatever the contact's attempts: with a storage of yours, a contact may be
   * dialled while a dead engine's call to it is still open, which the built-in backends refuse
   * (docs/storage.md, Leases). */
  int (*claim_leases)(void* user_data, const omnivox_contact_id* ids, size_t count,
                      const char* owner, int64_t now_ms, int64_t ttl_ms,
                      omnivox_contact_id* claimed, size_t* claimed_count);
  /* Extends a lease held by `owner`: *renewed = 1, or 0 if not held by `owner` any more. */
  int (*renew_lease)(void* user_data, omnivox_contact_id id, const char* owner, int64_t now_ms,
                     int64_t ttl_ms, int* renewed);
  /* Releases a lease held by `owner` (a no-op otherwise). */
  int (*release_lease)(void* user_data, omnivox_contact_id id, const char* owner);
  /* Calls receive(ctx, lease) with the contact's held lease (live or expired), or returns
   * OMNIVOX_ENOTFOUND if it has none (never claimed, or released). */
  int (*get_lease)(void* user_data, omnivox_contact_id id,
                   void (*receive)(void* ctx, const omnivox_lease* lease), void* ctx);

  /* ---- attempts (all required) ---- */
  /* A new call id, unique within this storage, never 0. */
  int (*allocate_call_id)(void* user_data, omnivox_call_id* out);
  /* Inserts or replaces the attempt with this call_id. */
  int (*put_attempt)(void* user_data, const omnivox_attempt* attempt);
  /* Visits the attempts of a contact in call-id order. */
  int (*scan_contact_attempts)(void* user_data, omnivox_contact_id id,
                               omnivox_attempt_visitor visit, void* ctx);
  /* Visits the attempts of a campaign in call-id order until visit returns 0. */
  int (*scan_attempts)(void* user_data, const char* campaign_id, omnivox_attempt_visitor visit,
                       void* ctx);

  /* ---- DNC (both required) ---- */
  /* Adds an E.164 number to a DNC list ("global" or a campaign id). */
  int (*add_dnc)(void* user_data, const char* list, const char* e164);
  /* *out = 1 if the number is on the "global" list or the campaign's list, else 0. */
  int (*is_dnc)(void* user_data, const char* campaign_id, const char* e164, int* out);

  /* ---- journal (optional: NULL = not kept) and deduplication (required) ---- */
  int (*append_journal)(void* user_data, const omnivox_journal_entry* entry);
  int (*scan_journal)(void* user_data, const char* campaign_id, omnivox_journal_visitor visit,
                      void* ctx);
  /* Records a processed provider event key: *first_time = 1, or 0 if it was already recorded. */
  int (*mark_event_processed)(void* user_data, const char* key, int* first_time);
} omnivox_storage;

/* Deprecated names of the version-1 vtables (same types). */
typedef omnivox_telephony omnivox_telephony_v1;
typedef omnivox_storage omnivox_storage_v1;
#define OMNIVOX_TELEPHONY_V1 1u
#define OMNIVOX_STORAGE_V1 OMNIVOX_STORAGE_VERSION

/* ------------------------------------------------------------------------------------------ */
/* Engines.
 *
 * Thread-safety: every omnivox_engine_* function may be called from any thread concurrently
 * (the engine serialises them under its lock), except create, destroy, start, stop, poll,
 * run_for, run_until_done and run_due, which drive or tear down the engine: call those from one
 * host thread at a time, and never from a callback, a telephony function or a storage function
 * (they return OMNIVOX_ESTATE there; destroy does nothing there). Storage functions must not
 * call any engine function (OMNIVOX_ESTATE).
 *
 * Callbacks (omnivox_callbacks) and telephony functions run on the engine's thread: with
 * OMNIVOX_CLOCK_VIRTUAL, the thread inside run_for / run_until_done / poll (or any function
 * that makes the engine act at once); with OMNIVOX_CLOCK_SYSTEM, the engine-owned threads after
 * omnivox_engine_start(), or the host thread inside poll / run_for without start; with
 * OMNIVOX_CLOCK_HOST, the host's loop thread inside run_due (or any function that makes the
 * engine act at once; report_call_event only queues there). One callback
 * runs at a time. Engine functions called from a callback that change state (set_disposition,
 * set_agent_state, call_now, ...) are applied after the callback's step.
 */

enum omnivox_storage_kind {
  OMNIVOX_STORAGE_MEMORY = 0, /* in-process memory (not persistent) */
  OMNIVOX_STORAGE_SQLITE = 1, /* a SQLite file: options.sqlite_path (":memory:" = private) */
  OMNIVOX_STORAGE_CUSTOM = 2  /* the host's omnivox_storage: options.storage */
};

enum omnivox_telephony_kind {
  OMNIVOX_TELEPHONY_SIMULATOR = 0, /* simulated world and agents: options.simulation_json */
  OMNIVOX_TELEPHONY_CUSTOM = 1,    /* the host's omnivox_telephony: options.telephony */
  OMNIVOX_TELEPHONY_SIP = 2 /* real calls through a SIP trunk (docs/sip.md): options.sip_json;
                               needs OMNIVOX_CLOCK_SYSTEM */
};

enum omnivox_clock_kind {
  OMNIVOX_CLOCK_VIRTUAL = 0, /* virtual time from options.start_ms, moved by run_for/_until_done */
  OMNIVOX_CLOCK_SYSTEM = 1,  /* wall-clock time (UTC) */
  /* Wall-clock time moved by the host's own event loop, no engine threads: the engine runs only
   * inside omnivox_engine_run_due() (and _poll) on the host's thread; the loop waits for
   * omnivox_engine_next_deadline_ms() and/or omnivox_engine_wakeup_fd(). See docs/c-api.md */
  OMNIVOX_CLOCK_HOST = 2
};

enum omnivox_log_level {
  OMNIVOX_LOG_TRACE = 0,
  OMNIVOX_LOG_DEBUG,
  OMNIVOX_LOG_INFO,
  OMNIVOX_LOG_WARN,
  OMNIVOX_LOG_ERROR,
  OMNIVOX_LOG_OFF
};

/* Receives the engine's log lines (options.log_fn): `level` is enum omnivox_log_level,
 * `message` one NUL-terminated UTF-8 line without a newline, valid only during the call.
 * Called from any engine thread, possibly concurrently: must be thread-safe, must not block
 * long and must not call engine functions. */
typedef void (*omnivox_log_fn)(void* user_data, int level, const char* message);

/* Version 2 appended suspend_amd_at_cap; a version-1 struct is still accepted (the field then
 * takes its default). */
#define OMNIVOX_ENGINE_OPTIONS_VERSION 2u
/* Initialiser with the defaults below: omnivox_engine_options o = OMNIVOX_ENGINE_OPTIONS_INIT; */
#define OMNIVOX_ENGINE_OPTIONS_INIT                                                        \
  {                                                                                        \
    OMNIVOX_ENGINE_OPTIONS_VERSION, NULL, 300000, 250, 900000, OMNIVOX_LOG_WARN, 0, NULL,  \
        OMNIVOX_STORAGE_MEMORY, NULL, NULL, OMNIVOX_TELEPHONY_SIMULATOR, NULL, NULL, NULL, \
        OMNIVOX_CLOCK_VIRTUAL, 0, NULL, NULL, NULL, NULL, 1                                \
  }

/* Engine settings. Start from OMNIVOX_ENGINE_OPTIONS_INIT or omnivox_engine_options_init(),
 * then set what you need; every field states the default they give. */
typedef struct omnivox_engine_options {
  unsigned int version;         /* OMNIVOX_ENGINE_OPTIONS_VERSION (else create: EINVALID) */
  const char* owner_token;      /* lease owner token; NULL or "" = generated. Default NULL */
  int64_t lease_ttl_ms;         /* lease time-to-live, > 0. Default 300000 (5 min) */
  int64_t decision_interval_ms; /* real clocks decide pacing at least this often, > 0.
                                   Default 250 */
  int64_t max_wrap_up_ms;    /* an agent in WRAP_UP this long gets COMPLETED, > 0. Default 900000 */
  int log_level;             /* enum omnivox_log_level: lines below it are dropped. Default WARN */
  int journal_state_changes; /* journal every call state change. Default 0 */
  /* phone-prefix -> zone map file; NULL = share/omnivox/phone-timezones/map_data.txt of the
     install the library was loaded from (found from the library's own path, so a moved install
     works), $OMNIVOX_DATA_DIR/phone-timezones/map_data.txt if that is set. Default NULL */
  const char* time_zone_map_path;

  int storage_kind;               /* enum omnivox_storage_kind. Default MEMORY */
  const char* sqlite_path;        /* for OMNIVOX_STORAGE_SQLITE. Default NULL */
  const omnivox_storage* storage; /* for OMNIVOX_STORAGE_CUSTOM (copied). Default NULL */

  int telephony_kind; /* enum omnivox_telephony_kind. Default SIMULATOR */
  /* For OMNIVOX_TELEPHONY_SIMULATOR: a campaign JSON document whose "simulation" section
   * (docs/campaign-file.md) defines the simulated world and agents; NULL = the defaults. */
  const char* simulation_json;
  const char* simulation_base_dir;    /* resolves a replay data path; NULL = ".". Default NULL */
  const omnivox_telephony* telephony; /* for OMNIVOX_TELEPHONY_CUSTOM (copied). Default NULL */

  int clock_kind;   /* enum omnivox_clock_kind. Default VIRTUAL */
  int64_t start_ms; /* a virtual clock's start; 0 = the system time now. Default 0 */

  /* For OMNIVOX_TELEPHONY_SIP: the SIP settings as the "telephony" object of a campaign file
   * (docs/campaign-file.md: "trunk" required, "listen", "rtp_ports", "calls_per_second", "amd",
   * "safe_harbor_wav", ...; leave out "backend" and "agents": agents' phones are connected
   * with omnivox_engine_sip_connect_agent()). Credentials come from OMNIVOX_SIP_USERNAME /
   * OMNIVOX_SIP_PASSWORD. Default NULL */
  const char* sip_json;
  const char* sip_base_dir; /* resolves sip_json's WAV paths; NULL = ".". Default NULL */

  /* Where the engine's and the SIP telephony's log lines at log_level and above go:
   * log_fn(log_user_data, level, message); NULL = "omnivox LEVEL message" lines on stderr.
   * Default NULL */
  omnivox_log_fn log_fn;
  void* log_user_data; /* Default NULL */

  /* Version 2. Non-zero: suspend AMD at the abandon cap. Under a compliance profile that counts
   * AMD false positives as abandons (US_FTC_FCC, UK_OFCOM), an answer the counted abandon budget
   * cannot take one more machine result for is not classified by AMD but put through as a live
   * answer (to a free agent, or held as the hold window says) and counted in
   * omnivox_statistics_extra.amd_suspended; AMD resumes when the rolling window allows. No
   * effect under other profiles or for campaigns without AMD. 0: AMD classifies every answer,
   * and machine results alone may take the counted rate over the cap (docs/compliance.md, "AMD
   * suspended at the cap"). A version-1 struct gets the default. Default 1 (on) */
  int suspend_amd_at_cap;
} omnivox_engine_options;

/* Fills *options with the defaults above for struct version `version` (pass
 * OMNIVOX_ENGINE_OPTIONS_VERSION; an older version gets that version's fields only, nothing is
 * written past them). OMNIVOX_EINVALID for NULL or a version this library does not know (then
 * *options is untouched). Thread-safe. */
OMNIVOX_C_API int omnivox_engine_options_init(omnivox_engine_options* options,
                                              unsigned int version);

/* Creates an engine over the chosen storage, telephony and clock. On success *out receives a
 * new handle (release with omnivox_engine_destroy()); on error *out is set to NULL.
 * Errors: EINVALID (NULL options, an unknown kind, a backend struct of an unknown version or
 * with a required function missing, naming it; bad UTF-8; SIP telephony on a virtual clock),
 * ECONFIG (bad simulation or SIP JSON naming the field, a time-zone map, one SIP credential
 * variable without the other), EIO (the SIP address is taken), ESTORAGE (the SQLite file cannot
 * be opened). */
OMNIVOX_C_API int omnivox_engine_create(const omnivox_engine_options* options, omnivox_engine** out,
                                        char** errptr);

/* Destroys an engine (NULL or an already destroyed handle is a no-op): stops engine-owned
 * threads, calls telephony stop, drops calls in flight (a persistent storage keeps them open
 * for reconciliation). Waits for engine calls in progress on other threads to return. Does
 * nothing when called from a callback, telephony or storage function of this engine. Refused
 * for the engine handle of a simulation (omnivox_simulation_engine()): that handle stays live,
 * and an error naming the rule (OMNIVOX_ESTATE) goes to the engine's log (stderr). */
OMNIVOX_C_API void omnivox_engine_destroy(omnivox_engine* engine);

/* The engine handle of a simulation: *out receives an engine handle (virtual clock, memory
 * storage, the simulator) on which every omnivox_engine_* function works; its campaign is the
 * simulation's (omnivox_simulation_campaign_id()). The handle is borrowed: the simulation owns
 * it, it stays valid until omnivox_simulation_destroy(), and omnivox_engine_destroy() refuses
 * it. The simulation's functions act on this same engine (callbacks set on either handle are
 * the same callbacks); omnivox_simulation_agents() lists the agents of the simulation's
 * functions, not those added with omnivox_engine_add_agent(). Not thread-safe, as the
 * simulation handle. On error *out is NULL. Errors: EINVALID (NULL or dead `sim`, NULL `out`). */
OMNIVOX_C_API int omnivox_simulation_engine(omnivox_simulation* sim, omnivox_engine** out,
                                            char** errptr);

/* Installs the event callbacks (copied; NULL removes them). Thread-safe: events from then on go
 * to the new callbacks (an event being delivered on another thread may still reach the old
 * ones). Install them before starting a campaign to see every event. */
OMNIVOX_C_API int omnivox_engine_set_callbacks(omnivox_engine* engine,
                                               const omnivox_callbacks* callbacks, char** errptr);

/* ---- campaigns ---- */

/* Adds (or replaces, by id) a campaign from campaign JSON (docs/campaign-file.md; the keys
 * "agents", "agent_shift", "start", "simulation", "max_duration_days" are accepted and ignored
 * here: agents are added with omnivox_engine_add_agent(), the world is the engine's).
 * `base_dir` resolves relative paths (NULL = "."). *campaign_id (may be NULL) receives a new
 * string with the campaign's id (free with omnivox_free()). The campaign is not started.
 * JSON is the documented way to configure a campaign; omnivox_engine_set_campaign_option()
 * changes one key of it. Errors: ECONFIG naming the field. */
OMNIVOX_C_API int omnivox_engine_add_campaign(omnivox_engine* engine, const char* campaign_json,
                                              const char* base_dir, char** campaign_id,
                                              char** errptr);

/* Configuration from calls: sets one top-level key of a campaign's JSON document to
 * `value_json` (a JSON value: "\"POWER\"", "3", "{\"...\": ...}"), re-validates the whole
 * document and applies it (as add_campaign: a pacing policy set since is replaced by the dial
 * mode's). The key "id" cannot be changed. ENOTFOUND for an unknown campaign; ECONFIG for a bad
 * key or value (the campaign keeps its previous configuration). */
OMNIVOX_C_API int omnivox_engine_set_campaign_option(omnivox_engine* engine,
                                                     const char* campaign_id, const char* key,
                                                     const char* value_json, char** errptr);

/* Starts / stops dialing a campaign (stop: calls in flight finish normally). ENOTFOUND. */
OMNIVOX_C_API int omnivox_engine_start_campaign(omnivox_engine* engine, const char* campaign_id,
                                                char** errptr);
OMNIVOX_C_API int omnivox_engine_stop_campaign(omnivox_engine* engine, const char* campaign_id,
                                               char** errptr);

/* ---- contacts ---- */

/* Imports contacts from CSV into the campaign's list `list_name` (NULL = "main") with the
 * campaign JSON's "contacts" options; `csv_path` NULL = its "contacts.file". As
 * omnivox_simulation_import_contacts() otherwise. */
OMNIVOX_C_API int omnivox_engine_import_contacts(omnivox_engine* engine, const char* campaign_id,
                                                 const char* list_name, const char* csv_path,
                                                 omnivox_import_report* report, char** summary,
                                                 char** errptr);

/* Adds one contact with `number_count` (>= 1) E.164 numbers, dialed in that order, to list
 * "main". `external_id` may be NULL. *out (may be NULL) receives its id. */
OMNIVOX_C_API int omnivox_engine_add_contact(omnivox_engine* engine, const char* campaign_id,
                                             const char* external_id, const char* const* numbers,
                                             size_t number_count, omnivox_contact_id* out,
                                             char** errptr);

/* Adds an E.164 number to a DNC list: "global" or a campaign id. */
OMNIVOX_C_API int omnivox_engine_add_dnc(omnivox_engine* engine, const char* list, const char* e164,
                                         char** errptr);

/* ---- agents ---- */

/* Adds an agent to a campaign, logged in (AVAILABLE) if `log_in` is non-zero, else LOGGED_OUT.
 * *out (may be NULL) receives its id (0, 1, 2, ... per engine). ENOTFOUND campaign. */
OMNIVOX_C_API int omnivox_engine_add_agent(omnivox_engine* engine, const char* campaign_id,
                                           const char* name, int log_in, omnivox_agent_id* out,
                                           char** errptr);
/* As omnivox_simulation_set_agent_state() / _agent_state().
 * Threading (also set_disposition and add_agent's log-in): while the engine runs on its own
 * threads (omnivox_engine_start), a call from a host thread checks its arguments, queues the
 * change and returns: an engine thread applies it, so originate() and the callbacks never run on
 * the caller's thread (a failure then goes to the log callback). See docs/c-api.md. */
OMNIVOX_C_API int omnivox_engine_set_agent_state(omnivox_engine* engine, omnivox_agent_id agent,
                                                 int state, char** errptr);
OMNIVOX_C_API int omnivox_engine_agent_state(omnivox_engine* engine, omnivox_agent_id agent,
                                             int* out_state, char** errptr);
/* As omnivox_simulation_set_disposition(). With the simulator, its agents disposition their
 * calls after the wrap-up time unless the host does first. */
OMNIVOX_C_API int omnivox_engine_set_disposition(omnivox_engine* engine, omnivox_call_id call,
                                                 int disposition, int64_t callback_at_ms,
                                                 char** errptr);

/* ---- SIP agents' phones (OMNIVOX_TELEPHONY_SIP) ---- */

/* Calls the agent's phone (`uri`, e.g. "sip:1001@pbx.example.net"; directly, not through the
 * trunk) and keeps the leg up between calls: while it is up the agent is AVAILABLE, when it
 * drops the agent is logged out after its call (the agent_state callback shows both). Calling
 * again for a connected agent does nothing. Thread-safe; returns at once (the phone rings
 * afterwards). Errors: ESTATE (the engine's telephony is not SIP), ENOTFOUND (unknown agent),
 * EINVALID (a NULL or non-SIP uri). */
OMNIVOX_C_API int omnivox_engine_sip_connect_agent(omnivox_engine* engine, omnivox_agent_id agent,
                                                   const char* uri, char** errptr);
/* Hangs up the agent's leg (the agent is then logged out after its call). Thread-safe.
 * Errors: ESTATE (not SIP telephony), ENOTFOUND (unknown agent). */
OMNIVOX_C_API int omnivox_engine_sip_disconnect_agent(omnivox_engine* engine,
                                                      omnivox_agent_id agent, char** errptr);

/* ---- preview and call now ---- */

/* The contact an agent previews (omnivox::DialQueueEntry). */
typedef struct omnivox_preview_entry {
  omnivox_contact_id contact_id;
  int number_index;                /* which of the contact's numbers */
  char number[32];                 /* E.164, NUL-terminated (E.164 has at most 15 digits) */
  int callback;                    /* non-zero: a scheduled callback */
  omnivox_agent_id callback_agent; /* OMNIVOX_NO_AGENT if for anyone */
} omnivox_preview_entry;

/* PREVIEW: reserves (leases) the next dialable entry of the agent's campaign for the agent.
 * *found receives 1 and *out the entry, or *found 0 (and *out untouched) if none is dialable
 * now. The agent then dials it (dial_preview) or skips it (skip_preview). ENOTFOUND agent. */
OMNIVOX_C_API int omnivox_engine_preview_next(omnivox_engine* engine, omnivox_agent_id agent,
                                              omnivox_preview_entry* out, int* found,
                                              char** errptr);
/* Dials the agent's previewed entry; *out (may be NULL) receives the call id. ESTATE if the
 * agent has no preview. */
OMNIVOX_C_API int omnivox_engine_dial_preview(omnivox_engine* engine, omnivox_agent_id agent,
                                              omnivox_call_id* out, char** errptr);
/* Skips the agent's previewed entry (released, not counted as an attempt). */
OMNIVOX_C_API int omnivox_engine_skip_preview(omnivox_engine* engine, omnivox_agent_id agent,
                                              char** errptr);
/* "Call now": as omnivox_simulation_call_now(). */
OMNIVOX_C_API int omnivox_engine_call_now(omnivox_engine* engine, omnivox_contact_id contact,
                                          omnivox_agent_id agent, omnivox_call_id* out,
                                          char** errptr);

/* ---- telephony events and timers ---- */

/* Reports one call event (telephony written in C). Thread-safe: any thread, any time after
 * originate of that call was called (from inside a telephony function it is queued: see
 * omnivox_telephony). Events for unknown or finished calls are ignored (journaled); a
 * duplicate (call, sequence) or an event that would move the call backwards is ignored.
 * EINVALID for a bad kind / amd / fail_reason value or call_id 0; ESTATE if the engine was
 * not created with OMNIVOX_TELEPHONY_CUSTOM. */
OMNIVOX_C_API int omnivox_engine_report_call_event(omnivox_engine* engine,
                                                   const omnivox_call_event* event, char** errptr);

/* Runs fn(user_data) once at (or as soon as possible after) `at_ms` on the engine's clock:
 * with a virtual clock inside run_for / run_until_done / poll on the driving thread (so a C
 * telephony can make things happen in virtual time); with the system clock on the clock's
 * timer thread. Never inside this call. fn may report call events and call engine functions
 * except the driving ones (run_for, ...; ESTATE). *timer_id (may be NULL) receives an id for
 * omnivox_engine_cancel_timer(). Thread-safe. Timers pending when the engine is destroyed
 * never fire. */
OMNIVOX_C_API int omnivox_engine_schedule(omnivox_engine* engine, int64_t at_ms,
                                          void (*fn)(void* user_data), void* user_data,
                                          uint64_t* timer_id, char** errptr);
/* Cancels a timer that has not fired (a no-op for fired or unknown ids). Thread-safe. */
OMNIVOX_C_API int omnivox_engine_cancel_timer(omnivox_engine* engine, uint64_t timer_id,
                                              char** errptr);

/* ---- running ---- */

/* System clock only: runs the engine on `threads` (1..64) engine-owned threads and returns at
 * once; callbacks and telephony functions then run on those threads. ESTATE with a virtual
 * clock or when already started. */
OMNIVOX_C_API int omnivox_engine_start(omnivox_engine* engine, int threads, char** errptr);
/* Stops engine-owned threads (waits for them). A no-op if not started. */
OMNIVOX_C_API int omnivox_engine_stop(omnivox_engine* engine, char** errptr);
/* Runs ready work without blocking (virtual clock: also timers due now); *ran (may be NULL)
 * receives how many handlers ran. For a host loop. ESTATE while engine-owned threads run. */
OMNIVOX_C_API int omnivox_engine_poll(omnivox_engine* engine, size_t* ran, char** errptr);
/* Runs for `duration_ms` (>= 0): virtual time with a virtual clock, wall time (blocking the
 * calling thread, which then runs the engine's work) with the system clock. ESTATE while
 * engine-owned threads run. */
OMNIVOX_C_API int omnivox_engine_run_for(omnivox_engine* engine, int64_t duration_ms,
                                         char** errptr);
/* Virtual clock only: runs until every started campaign has no dialable contact left and no
 * call in flight (and no timer pending), or until `limit_ms` (> 0) of virtual time passed.
 * *finished (may be NULL) receives 1 if it finished. ESTATE with the system clock. */
OMNIVOX_C_API int omnivox_engine_run_until_done(omnivox_engine* engine, int64_t limit_ms,
                                                int* finished, char** errptr);
/* ---- host event loop (OMNIVOX_CLOCK_HOST; ESTATE with another clock) ---- */

/* *timeout_ms receives how many milliseconds (rounded up) from now the engine next needs
 * omnivox_engine_run_due(): 0 when work is due now, -1 when nothing is scheduled (wait only for
 * the wake-up descriptor or the host's own events) -- the convention of poll()'s timeout.
 * Ask again after every run_due and after calling any other engine function. Thread-safe. */
OMNIVOX_C_API int omnivox_engine_next_deadline_ms(omnivox_engine* engine, int64_t* timeout_ms,
                                                  char** errptr);
/* Runs, on the calling thread, everything due by the wall clock now: timers, call events the
 * host reported, work queued from other threads; callbacks and telephony functions run inside
 * this call. Never blocks waiting for time. Empties the wake-up descriptor. *ran (may be NULL)
 * receives how many handlers ran. One host thread at a time, never from a callback. */
OMNIVOX_C_API int omnivox_engine_run_due(omnivox_engine* engine, size_t* ran, char** errptr);
/* *fd receives a file descriptor (Linux eventfd, owned by the engine, closed by
 * omnivox_engine_destroy; never read or close it) that becomes readable when work was queued
 * from outside run_due (omnivox_engine_report_call_event or _schedule from any thread, a state
 * change made between run_due calls); run_due empties it. Poll it for POLLIN beside the
 * deadline. ESTATE where there is none (not Linux; *fd = -1). Thread-safe. */
OMNIVOX_C_API int omnivox_engine_wakeup_fd(omnivox_engine* engine, int* fd, char** errptr);

/* The engine clock's time now. */
OMNIVOX_C_API int omnivox_engine_now(omnivox_engine* engine, int64_t* out_ms, char** errptr);
/* *out = 1 when no call is in flight and (virtual clock) no timer is pending, else 0. */
OMNIVOX_C_API int omnivox_engine_idle(omnivox_engine* engine, int* out, char** errptr);

/* ---- reading ---- */

/* A campaign's live statistics. ENOTFOUND campaign. */
OMNIVOX_C_API int omnivox_engine_statistics(omnivox_engine* engine, const char* campaign_id,
                                            omnivox_statistics* out, char** errptr);

#define OMNIVOX_STATISTICS_EXTRA_VERSION 1u
/* Initialiser: omnivox_statistics_extra s = OMNIVOX_STATISTICS_EXTRA_INIT; */
#define OMNIVOX_STATISTICS_EXTRA_INIT \
  { OMNIVOX_STATISTICS_EXTRA_VERSION, 0 }
/* A campaign's live statistics that omnivox_statistics (whose layout is fixed) does not hold.
 * The caller sets `version`; the library fills the fields of that version. */
typedef struct omnivox_statistics_extra {
  unsigned int version; /* OMNIVOX_STATISTICS_EXTRA_VERSION (else EINVALID) */
  /* Answers put through as live answers without AMD classification because the counted abandon
   * budget could not take one more machine result (omnivox_engine_options.suspend_amd_at_cap);
   * counted among omnivox_statistics.live_answers. Calls, since the campaign was added. */
  int64_t amd_suspended;
} omnivox_statistics_extra;

/* A campaign's live statistics beyond omnivox_statistics into *out (a simulation's campaign:
 * through omnivox_simulation_engine()). Thread-safe as omnivox_engine_statistics.
 * Errors: EINVALID (NULL or dead engine, NULL out, an unknown out->version), ENOTFOUND campaign. */
OMNIVOX_C_API int omnivox_engine_statistics_extra(omnivox_engine* engine, const char* campaign_id,
                                                  omnivox_statistics_extra* out, char** errptr);
/* As omnivox_simulation_explain(). */
OMNIVOX_C_API int omnivox_engine_explain(omnivox_engine* engine, omnivox_contact_id contact,
                                         omnivox_eligibility* out, char** detail, char** errptr);
/* The engine's lease owner token: *out receives a new string (free with omnivox_free()). */
OMNIVOX_C_API int omnivox_engine_owner_token(omnivox_engine* engine, char** out, char** errptr);

/* ------------------------------------------------------------------------------------------ */
/* Agent statistics (omnivox::AgentStatistics, engine.h): per agent and summed over a campaign,
 * calls handled, talk, wrap-up, idle and paused time, occupancy, dispositions and longest idle,
 * in total and per 15-minute interval. A call takes a snapshot: an opaque, read-only handle
 * whose figures are read with the functions below and which is released with
 * omnivox_agent_statistics_destroy(). Reading a snapshot is thread-safe (it never changes). */

typedef struct omnivox_agent_statistics omnivox_agent_statistics;

/* Index arguments of omnivox_agent_statistics_activity(). */
#define OMNIVOX_AGENT_STATISTICS_CAMPAIGN ((size_t)-1) /* agent_index: all agents summed */
#define OMNIVOX_AGENT_STATISTICS_TOTALS ((size_t)-1)   /* interval_index: the whole time */

#define OMNIVOX_AGENT_ACTIVITY_VERSION 1u
/* Initialiser: omnivox_agent_activity a = OMNIVOX_AGENT_ACTIVITY_INIT; */
#define OMNIVOX_AGENT_ACTIVITY_INIT                                        \
  {                                                                        \
    OMNIVOX_AGENT_ACTIVITY_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, { 0 } \
  }
/* What an agent (or all agents summed) did over a span: the whole time or one interval. The
 * caller sets `version` (OMNIVOX_AGENT_ACTIVITY_INIT); the library fills the rest. Times in
 * seconds. talk = RESERVED + ON_CALL, wrap = WRAP_UP (after-call work), idle = AVAILABLE,
 * paused = PAUSED, logged_in = talk + wrap + idle + paused. */
typedef struct omnivox_agent_activity {
  unsigned int version;  /* OMNIVOX_AGENT_ACTIVITY_VERSION (else EINVALID) */
  int64_t start_ms;      /* interval start; totals: first login (0 if never) */
  int64_t end_ms;        /* interval end, or the snapshot's time (interval under way, totals) */
  int64_t calls_handled; /* bridged calls whose wrap-up ended in the span */
  double talk_seconds;
  double wrap_seconds;
  double idle_seconds;
  double paused_seconds;
  double logged_in_seconds;
  /* (talk + wrap) / (logged_in - paused), 0..1; 0 when the denominator is 0 (contact-centre
   * occupancy: handle time over handle plus available time, pauses excluded). */
  double occupancy;
  double longest_idle_seconds; /* longest unbroken AVAILABLE stretch (its part in an interval) */
  /* The handled calls by final disposition; as in omnivox_statistics, a fixed capacity with the
   * count this library filled (sales per hour = dispositions[SALE] / logged-in hours). */
  uint32_t disposition_count;
  int64_t dispositions[OMNIVOX_STATISTICS_MAX_DISPOSITIONS]; /* index = enum omnivox_disposition */
} omnivox_agent_activity;

#define OMNIVOX_AGENT_SUMMARY_VERSION 1u
/* Initialiser: omnivox_agent_summary s = OMNIVOX_AGENT_SUMMARY_INIT; */
#define OMNIVOX_AGENT_SUMMARY_INIT \
  { OMNIVOX_AGENT_SUMMARY_VERSION, 0, NULL, 0, 0 }
/* One agent of a snapshot. The caller sets `version`; the library fills the rest. */
typedef struct omnivox_agent_summary {
  unsigned int version; /* OMNIVOX_AGENT_SUMMARY_VERSION (else EINVALID) */
  omnivox_agent_id agent;
  const char* name;        /* owned by the snapshot: valid until it is destroyed */
  int state;               /* enum omnivox_agent_state, now */
  double seconds_in_state; /* time in the current state */
} omnivox_agent_summary;

/* Takes a snapshot of a campaign's agent statistics: *out receives a new handle (release with
 * omnivox_agent_statistics_destroy()). ENOTFOUND for an unknown campaign. */
OMNIVOX_C_API int omnivox_engine_agent_statistics(omnivox_engine* engine, const char* campaign_id,
                                                  omnivox_agent_statistics** out, char** errptr);
/* The same for the simulation's campaign. */
OMNIVOX_C_API int omnivox_simulation_agent_statistics(omnivox_simulation* sim,
                                                      omnivox_agent_statistics** out,
                                                      char** errptr);
/* Releases a snapshot (NULL or an already destroyed one is a no-op). */
OMNIVOX_C_API void omnivox_agent_statistics_destroy(omnivox_agent_statistics* stats);
/* The snapshot's time, the interval length (900000 ms), how many agents (in the order they were
 * added) and how many intervals (oldest first, the same for every agent and the campaign). Any
 * out-parameter may be NULL. */
OMNIVOX_C_API int omnivox_agent_statistics_info(const omnivox_agent_statistics* stats,
                                                int64_t* at_ms, int64_t* interval_ms,
                                                size_t* agent_count, size_t* interval_count,
                                                char** errptr);
/* Agent `agent_index` (< agent_count, else EINVALID) into *out. */
OMNIVOX_C_API int omnivox_agent_statistics_agent(const omnivox_agent_statistics* stats,
                                                 size_t agent_index, omnivox_agent_summary* out,
                                                 char** errptr);
/* The activity of agent `agent_index` (or OMNIVOX_AGENT_STATISTICS_CAMPAIGN: all agents summed,
 * the longest idle being the longest of theirs) over interval `interval_index` (or
 * OMNIVOX_AGENT_STATISTICS_TOTALS: the whole time) into *out. EINVALID for an index out of
 * range. */
OMNIVOX_C_API int omnivox_agent_statistics_activity(const omnivox_agent_statistics* stats,
                                                    size_t agent_index, size_t interval_index,
                                                    omnivox_agent_activity* out, char** errptr);

/* ------------------------------------------------------------------------------------------ */
/* Inbound queues, agents' skills and blending (omnivox/inbound.h, docs/blending.md): calls a
 * telephony reports as inbound join the queue of their dialled number and wait for an agent with
 * the queue's skill; a campaign's blending rule decides how many of its free agents its outbound
 * pacing may use. The campaign file's `inbound`, `skills` and `blending` sections do the same.
 * These functions take the engine's lock: call them before the engine's threads start, or not
 * holding a lock the host's telephony takes (the engine may be calling it). */

#define OMNIVOX_INBOUND_QUEUE_VERSION 1u
/* Initialiser with the defaults below: omnivox_inbound_queue q = OMNIVOX_INBOUND_QUEUE_INIT; */
#define OMNIVOX_INBOUND_QUEUE_INIT \
  { OMNIVOX_INBOUND_QUEUE_VERSION, NULL, NULL, 0, 0, 20000, 0.8 }
/* One inbound (ACD) queue. */
typedef struct omnivox_inbound_queue {
  unsigned int version;        /* OMNIVOX_INBOUND_QUEUE_VERSION (else EINVALID) */
  const char* id;              /* required, unique per engine; records carry it as campaign id */
  const char* const* numbers;  /* the dialled numbers (E.164) whose calls join it; may be NULL */
  size_t number_count;         /* entries of `numbers` */
  int priority;                /* higher first, for an agent serving several queues; default 0 */
  int64_t answer_within_ms;    /* T of the service level, >= 0; default 20000 */
  double service_level_target; /* share to answer within T, 0..1; default 0.8 */
} omnivox_inbound_queue;

/* Adds an inbound queue (adding an id again replaces its settings, keeping its calls and
 * counts). A call to a number no queue lists joins the queue whose id is that number, else it is
 * hung up. EINVALID for a bad struct or number, ECONFIG for an empty id or a value out of range. */
OMNIVOX_C_API int omnivox_engine_add_inbound_queue(omnivox_engine* engine,
                                                   const omnivox_inbound_queue* queue,
                                                   char** errptr);

/* Sets what an agent may work on: the inbound queues `queues[i]` with skill priorities
 * `priorities[i]` (higher first; `priorities` may be NULL: all 0), `count` of them (0: none),
 * and whether it takes its campaign's outbound calls (`outbound` 0: an inbound-only agent, which
 * its campaign's pacing never counts). ENOTFOUND for an unknown agent. */
OMNIVOX_C_API int omnivox_engine_set_agent_skills(omnivox_engine* engine, omnivox_agent_id agent,
                                                  const char* const* queues, const int* priorities,
                                                  size_t count, int outbound, char** errptr);

#define OMNIVOX_AGENT_SKILLS_VERSION 1u
/* Initialiser with the defaults below: omnivox_agent_skills k = OMNIVOX_AGENT_SKILLS_INIT; */
#define OMNIVOX_AGENT_SKILLS_INIT \
  { OMNIVOX_AGENT_SKILLS_VERSION, NULL, NULL, 0, 1, NULL, NULL, 0 }
/* What an agent may work on (omnivox::AgentSkills): inbound queues, whether it takes outbound
 * calls, and other outbound campaigns whose calls it takes. An agent shared by campaigns is
 * counted by one campaign's pacing at a time while free: the first of its campaigns by priority
 * that is started and has work (docs/blending.md, "Agents shared by campaigns"). */
typedef struct omnivox_agent_skills {
  unsigned int version;           /* OMNIVOX_AGENT_SKILLS_VERSION (else EINVALID) */
  const char* const* queues;      /* inbound queue ids; NULL only when queue_count is 0 */
  const int* queue_priorities;    /* the agent's priority per queue (higher first); NULL:
                                     all 0 */
  size_t queue_count;             /* entries of `queues`; default 0 */
  int outbound;                   /* takes outbound calls (0: inbound-only); default 1 */
  const char* const* campaigns;   /* other campaigns whose calls it takes; NULL only when
                                     campaign_count is 0 */
  const int* campaign_priorities; /* the agent's priority per campaign (higher first); its
                                     own campaign is at 0 unless listed; NULL: all 0 */
  size_t campaign_count;          /* entries of `campaigns`; default 0 */
} omnivox_agent_skills;

/* Sets what an agent may work on, from a versioned struct (omnivox_engine_set_agent_skills with
 * the agent's campaigns). ENOTFOUND for an unknown agent or campaign, EINVALID for a bad struct
 * or a NULL array with a count, ECONFIG for a campaign listed twice or campaigns for an agent
 * with `outbound` 0. */
OMNIVOX_C_API int omnivox_engine_set_agent_skills2(omnivox_engine* engine, omnivox_agent_id agent,
                                                   const omnivox_agent_skills* skills,
                                                   char** errptr);

/* Blending rules (omnivox::BlendingRule). */
enum omnivox_blending_rule {
  OMNIVOX_BLENDING_NONE = 0,          /* inbound takes freed agents first; pacing sees the rest */
  OMNIVOX_BLENDING_THRESHOLD = 1,     /* keep `reserve` free agents for inbound (Bhulai & Koole
                                         2003) */
  OMNIVOX_BLENDING_SERVICE_LEVEL = 2, /* the reserve chosen online for the queue's target */
  OMNIVOX_BLENDING_DIALXFREE = 3      /* Deslauriers et al. (2007)'s dialler rule */
};

#define OMNIVOX_BLENDING_VERSION 1u
/* Initialiser with the defaults below: omnivox_blending b = OMNIVOX_BLENDING_INIT; */
#define OMNIVOX_BLENDING_INIT \
  { OMNIVOX_BLENDING_VERSION, OMNIVOX_BLENDING_NONE, 0, NULL, 4, 1, 2.0, 0 }
/* How a campaign shares its agents with inbound queues (docs/blending.md). */
typedef struct omnivox_blending {
  unsigned int version;  /* OMNIVOX_BLENDING_VERSION (else EINVALID) */
  int rule;              /* enum omnivox_blending_rule; default NONE */
  int reserve;           /* THRESHOLD's reserve (SERVICE_LEVEL's start), >= 0; default 0 */
  const char* queue;     /* SERVICE_LEVEL's queue; NULL or "": the first queue added */
  int min_free_all;      /* DIALXFREE: free agents of every kind needed to dial; default 4 */
  int min_free_outbound; /* DIALXFREE: free outbound agents needed; default 1 */
  double kappa;          /* DIALXFREE: calls per free outbound agent, 0..100; default 2 */
  int c;                 /* DIALXFREE: calls added; default 0 */
} omnivox_blending;

/* Sets a campaign's blending rule. ENOTFOUND for an unknown campaign, EINVALID for an unknown
 * rule, ECONFIG for a value out of range. */
OMNIVOX_C_API int omnivox_engine_set_blending(omnivox_engine* engine, const char* campaign_id,
                                              const omnivox_blending* blending, char** errptr);

#define OMNIVOX_INBOUND_STATISTICS_VERSION 1u
/* Initialiser: omnivox_inbound_statistics s = OMNIVOX_INBOUND_STATISTICS_INIT; */
#define OMNIVOX_INBOUND_STATISTICS_INIT \
  { OMNIVOX_INBOUND_STATISTICS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
/* A queue's statistics since it was added. The caller sets `version`; the library fills the
 * rest. Service level = answered within T / (answered + abandoned); abandon rate = abandoned /
 * (answered + abandoned); ASA = mean wait of answered calls. Times in seconds. */
typedef struct omnivox_inbound_statistics {
  unsigned int version; /* OMNIVOX_INBOUND_STATISTICS_VERSION (else EINVALID) */
  int64_t offered;      /* calls that arrived */
  int64_t answered;     /* taken by an agent */
  int64_t abandoned;    /* the caller hung up waiting */
  int64_t answered_within;
  int64_t abandoned_within;
  int64_t waiting; /* waiting now */
  double wait_seconds_answered;
  double wait_seconds_abandoned;
  double handle_seconds; /* agent time, answer to the end of wrap-up */
  double service_level;  /* 0 with no call ended */
  double asa_seconds;
  double abandon_rate;
} omnivox_inbound_statistics;

/* A queue's statistics into *out. ENOTFOUND for an unknown queue. */
OMNIVOX_C_API int omnivox_engine_inbound_statistics(omnivox_engine* engine, const char* queue_id,
                                                    omnivox_inbound_statistics* out, char** errptr);

/* ------------------------------------------------------------------------------------------ */
/* Erlang formulas (omnivox/erlang.h). Thread-safe. Times in seconds, traffic in Erlangs.
 * EINVALID naming the parameter for negative, non-finite or out-of-range inputs. */

typedef struct omnivox_erlang_b_result {
  double blocking;                /* B(lines, traffic) */
  double carried_traffic_erlangs; /* traffic x (1 - blocking) */
} omnivox_erlang_b_result;

/* Erlang B for `lines` >= 0 servers offered `traffic_erlangs` >= 0. */
OMNIVOX_C_API int omnivox_erlang_b(int lines, double traffic_erlangs, omnivox_erlang_b_result* out,
                                   char** errptr);

#define OMNIVOX_ERLANG_C_INPUT_VERSION 1u
#define OMNIVOX_ERLANG_C_INPUT_INIT \
  { OMNIVOX_ERLANG_C_INPUT_VERSION, 0, 0, 0, 0, 0 }
typedef struct omnivox_erlang_c_input {
  unsigned int version;   /* OMNIVOX_ERLANG_C_INPUT_VERSION (else EINVALID) */
  double calls;           /* arrivals in the interval, >= 0 */
  double interval_s;      /* > 0 */
  double aht_s;           /* mean handle time, > 0 */
  int agents;             /* >= 1 */
  double answer_within_s; /* service-level threshold, >= 0 */
} omnivox_erlang_c_input;

typedef struct omnivox_erlang_c_result {
  double traffic_erlangs;
  double p_wait;        /* C(N, A) */
  double service_level; /* P(wait <= answer_within_s) */
  double asa_s;         /* mean wait over all calls (+inf if unstable) */
  double mean_wait_of_waiting_s;
  double occupancy;
} omnivox_erlang_c_result;

/* Erlang C (M/M/N). An unstable system (traffic >= agents) is not an error: p_wait 1,
 * service_level 0, waits +infinity, occupancy 1. */
OMNIVOX_C_API int omnivox_erlang_c(const omnivox_erlang_c_input* input,
                                   omnivox_erlang_c_result* out, char** errptr);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* OMNIVOX_OMNIVOX_H_ */
