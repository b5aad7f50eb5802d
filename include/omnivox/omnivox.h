/* The Omnivox C API: a stable C99 interface over the C++ engine, for hosts and language
 * bindings that cannot use C++.
 *
 * Conventions (as libgit2 and LevelDB's c.h):
 *  - Objects are opaque handles created by omnivox_<object>_create() and released by
 *    omnivox_<object>_destroy(). Functions are named omnivox_<object>_<verb>.
 *  - Every function returns an int status: OMNIVOX_OK (0) or a negative OMNIVOX_E* code
 *    (the exceptions are omnivox_free(), the *_destroy() functions and the *_name() lookups,
 *    which cannot fail). Results come back through out-parameters, which are written only on
 *    success.
 *  - The last parameter of every fallible function is `char** errptr`. It may be NULL (no
 *    message wanted). Otherwise *errptr must be NULL or a message an earlier call returned: on
 *    error the old message is freed and *errptr receives a new NUL-terminated UTF-8 message
 *    naming the argument, field or object at fault; on success *errptr is left untouched.
 *  - Everything the library allocates for the caller (messages, strings, arrays) is released
 *    with omnivox_free(). Handles are released with their *_destroy() function only.
 *  - Strings passed in must be valid NUL-terminated UTF-8 (else OMNIVOX_EINVALID); the library
 *    copies what it keeps, so they need only live for the duration of the call.
 *  - A NULL handle or a NULL required argument gives OMNIVOX_EINVALID naming the argument; an
 *    out-of-range enum value gives OMNIVOX_EINVALID. No C++ exception ever crosses this API.
 *  - Times are milliseconds since 1970-01-01T00:00:00Z (UTC); durations are milliseconds.
 *
 * Thread-safety: omnivox_free(), the *_name() functions and the Erlang functions are
 * thread-safe. A simulation handle is NOT thread-safe: use each handle from one thread at a
 * time (different handles may be used from different threads concurrently). Callbacks run on
 * the thread that called omnivox_simulation_run_for() / omnivox_simulation_run_until_done()
 * (or any function that makes the engine act at once, e.g. start).
 *
 * This slice covers simulated engines (memory storage, virtual clock, simulated telephony and
 * agents) built from a campaign JSON document, and the Erlang B / C formulas. Custom telephony,
 * storage, clocks and real-time engines are not available through the C API yet.
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
#define OMNIVOX_EINVALID (-1)  /* a value passed is NULL, out of range or malformed */
#define OMNIVOX_ECONFIG (-2)   /* a campaign or engine configuration is invalid */
#define OMNIVOX_ENOTFOUND (-3) /* a named object (contact, call, agent, campaign) does not exist \
                                */
#define OMNIVOX_EIO (-4)       /* a file could not be read or written */
#define OMNIVOX_ESTORAGE (-5)  /* the storage backend failed */
#define OMNIVOX_ESTATE (-6)    /* the call is not valid in the object's current state */
#define OMNIVOX_EINTERNAL (-7) /* an unexpected internal error (a bug, or out of memory) */

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
 * unchanged. Callbacks run on the engine's thread (the caller of run_for / run_until_done /
 * start ...), must not block, and must not call omnivox_simulation_run_for(),
 * omnivox_simulation_run_until_done() or omnivox_simulation_destroy() on the same handle (the
 * run functions return OMNIVOX_ESTATE then). Other functions of the handle may be called; engine
 * actions they request run after the callback returns. */
typedef struct omnivox_callbacks {
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
  int agents_by_state[OMNIVOX_AGENT_STATE_COUNT];  /* index = enum omnivox_agent_state */
  int64_t dispositions[OMNIVOX_DISPOSITION_COUNT]; /* index = enum omnivox_disposition */
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
/* Erlang formulas (omnivox/erlang.h). Thread-safe. Times in seconds, traffic in Erlangs.
 * EINVALID naming the parameter for negative, non-finite or out-of-range inputs. */

typedef struct omnivox_erlang_b_result {
  double blocking;                /* B(lines, traffic) */
  double carried_traffic_erlangs; /* traffic x (1 - blocking) */
} omnivox_erlang_b_result;

/* Erlang B for `lines` >= 0 servers offered `traffic_erlangs` >= 0. */
OMNIVOX_C_API int omnivox_erlang_b(int lines, double traffic_erlangs, omnivox_erlang_b_result* out,
                                   char** errptr);

typedef struct omnivox_erlang_c_input {
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
