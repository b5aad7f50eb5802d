/* Backends written in C for the C API tests and examples: a storage over plain arrays
 * (omnivox_storage) and a scripted telephony (omnivox_telephony). Strict C99. */
#ifndef OMNIVOX_TESTS_C_C_BACKENDS_H_
#define OMNIVOX_TESTS_C_C_BACKENDS_H_

#include "omnivox/omnivox.h"

/* ---- storage: arrays, a linear search, no persistence ---- */

typedef struct array_storage array_storage;

/* A new, empty storage; fills *out with its function table. */
array_storage* array_storage_create(omnivox_storage* out);
void array_storage_destroy(array_storage* s);
/* Calls counted so far (every function), to show the engine really used it. */
long array_storage_calls(const array_storage* s);
/* Test hook: when set, contact_count calls this engine function first and stores its status
 * (it must be refused: storage functions may not call the engine). */
void array_storage_probe_engine(array_storage* s, omnivox_engine* engine, int* status_out);

/* ---- telephony: a scripted world in the engine's clock ----
 * The last digit d of the dialed number decides the outcome of every attempt:
 *   0, 1, 2, 3: a person answers after 4 s (then BRIDGED at once when bridged, talk 40 s);
 *   4, 5:       busy after 3 s;
 *   6, 7:       no answer after 20 s;
 *   8:          originate refuses the call (returns non-zero: the engine records FAILED);
 *   9:          FAILED (network) reported from inside originate itself (queued by the engine).
 * Events are reported from timers set with omnivox_engine_schedule(), and (BRIDGED, the end of
 * a hung-up call) from inside bridge() / hangup(). */

typedef struct script_telephony script_telephony;

/* `time_scale` multiplies every delay (1.0 = as above; 0.01 for a fast real-time run). */
script_telephony* script_telephony_create(double time_scale, omnivox_telephony* out);
void script_telephony_destroy(script_telephony* t);
long script_telephony_originated(const script_telephony* t);
/* Events report_call_event refused (should stay 0). */
long script_telephony_report_errors(const script_telephony* t);
/* Calls of stop_amd (answers the engine put through with AMD suspended at the cap). */
long script_telephony_stop_amd_calls(const script_telephony* t);

#endif /* OMNIVOX_TESTS_C_C_BACKENDS_H_ */
