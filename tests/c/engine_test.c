/* Tests of the C API's general engine (omnivox_engine_*): telephony and storage written in C,
 * preview, a real-time engine on engine-owned threads, and misuse. Strict C99 (plus POSIX
 * nanosleep for the real-time test's bounded wait). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c_backends.h"
#include "check.h"
#include "omnivox/omnivox.h"
#include "omnivox/version.h"

#define DAY_MS (24LL * 3600 * 1000)
#define START_MS 1777899600000LL /* 2026-05-04T13:00:00Z: 09:00 in New York */

/* ------------------------------------------------------------------------------------------ */
/* Recording what the callbacks deliver */

#define MAX_RECORDS 4096

typedef struct attempt_record {
  omnivox_call_id call_id;
  omnivox_contact_id contact_id;
  int attempt_number;
  int state;
  int disposition;
  int64_t ended_at_ms;
} attempt_record;

typedef struct recorder {
  omnivox_engine* engine;
  attempt_record records[MAX_RECORDS];
  int count;
  long pacing;
  long call_states;
  long agent_states;
  long failed_states;      /* call state events into FAILED */
  int dispose_as_host;     /* set SALE when an agent enters WRAP_UP */
  long host_dispositions;  /* successful set_disposition calls */
  int try_run_in_callback; /* once: run_for / destroy from a callback */
  int run_in_callback_rc;
} recorder;

static void rec_attempt(void* user_data, const omnivox_attempt_event* e) {
  recorder* r = (recorder*)user_data;
  if (r->count < MAX_RECORDS) {
    attempt_record* a = &r->records[r->count++];
    a->call_id = e->call_id;
    a->contact_id = e->contact_id;
    a->attempt_number = e->attempt_number;
    a->state = e->state;
    a->disposition = e->disposition;
    a->ended_at_ms = e->ended_at_ms;
  }
}

static void rec_pacing(void* user_data, const omnivox_pacing_event* e) {
  recorder* r = (recorder*)user_data;
  (void)e;
  ++r->pacing;
}

static void rec_call_state(void* user_data, const omnivox_call_state_event* e) {
  recorder* r = (recorder*)user_data;
  ++r->call_states;
  if (e->to == OMNIVOX_CALL_FAILED) ++r->failed_states;
}

static void rec_agent_state(void* user_data, const omnivox_agent_state_event* e) {
  recorder* r = (recorder*)user_data;
  ++r->agent_states;
  if (r->try_run_in_callback) {
    char* err = NULL;
    r->try_run_in_callback = 0;
    r->run_in_callback_rc = omnivox_engine_run_for(r->engine, 1000, &err);
    omnivox_free(err);
    omnivox_engine_destroy(r->engine); /* refused from a callback: the engine goes on */
  }
  if (r->dispose_as_host && e->to == OMNIVOX_AGENT_WRAP_UP && e->call_id != 0) {
    if (omnivox_engine_set_disposition(r->engine, e->call_id, OMNIVOX_DISPOSITION_SALE, 0, NULL) ==
        OMNIVOX_OK) {
      ++r->host_dispositions;
    }
  }
}

static void install(recorder* r, omnivox_engine* engine) {
  omnivox_callbacks cb = OMNIVOX_CALLBACKS_INIT;
  r->engine = engine;
  cb.user_data = r;
  cb.on_attempt_finished = rec_attempt;
  cb.on_pacing_decision = rec_pacing;
  cb.on_call_state = rec_call_state;
  cb.on_agent_state = rec_agent_state;
  CHECK_OK(omnivox_engine_set_callbacks(engine, &cb, &err_));
}

static recorder* new_recorder(void) { return (recorder*)calloc(1, sizeof(recorder)); }

/* ------------------------------------------------------------------------------------------ */
/* 1. A campaign driven by telephony written in C */

static const char* kScriptCampaign =
    "{\"id\": \"script\", \"dial_mode\": \"PROGRESSIVE\", \"max_attempts\": 3,"
    " \"default_region\": \"US\", \"retry\": {\"NO_ANSWER\": 600, \"BUSY\": 300,"
    " \"FAILED\": 300}}";

/* An engine on the virtual clock from START_MS over the C telephony `tel` (NULL if refused). */
static omnivox_engine* engine_over(const omnivox_telephony* tel) {
  omnivox_engine_options o;
  omnivox_engine* engine = NULL;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  o.telephony = tel;
  o.start_ms = START_MS;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  return engine;
}

static void test_c_telephony(void) {
  omnivox_telephony tel;
  script_telephony* script = script_telephony_create(1.0, &tel);
  omnivox_engine* engine = engine_over(&tel);
  recorder* r = new_recorder();
  omnivox_statistics st;
  char* id = NULL;
  int finished = 0, i, answered_contacts = 0;
  long by_disposition[OMNIVOX_DISPOSITION_COUNT];

  if (engine == NULL) return;
  install(r, engine);
  r->dispose_as_host = 1;
  r->try_run_in_callback = 1;
  CHECK_OK(omnivox_engine_add_campaign(engine, kScriptCampaign, NULL, &id, &err_));
  CHECK(id != NULL && strcmp(id, "script") == 0);
  omnivox_free(id);
  CHECK_OK(omnivox_engine_add_agent(engine, "script", "ada", 1, NULL, &err_));
  CHECK_OK(omnivox_engine_add_agent(engine, "script", "bob", 1, NULL, &err_));
  for (i = 0; i < 40; ++i) {
    char number[32];
    const char* numbers[1];
    sprintf(number, "+1212555%04d", 1000 + i);
    numbers[0] = number;
    if (i % 10 <= 3) ++answered_contacts;
    CHECK_OK(omnivox_engine_add_contact(engine, "script", NULL, numbers, 1, NULL, &err_));
  }
  CHECK_OK(omnivox_engine_start_campaign(engine, "script", &err_));
  CHECK_OK(omnivox_engine_run_until_done(engine, 2 * DAY_MS, &finished, &err_));
  CHECK(finished == 1);
  CHECK_OK(omnivox_engine_statistics(engine, "script", &st, &err_));

  memset(by_disposition, 0, sizeof by_disposition);
  for (i = 0; i < r->count; ++i) {
    if (r->records[i].disposition >= 0 && r->records[i].disposition < OMNIVOX_DISPOSITION_COUNT) {
      ++by_disposition[r->records[i].disposition];
    }
  }
  /* Digits 0-3 answer and are sold on the first attempt; 4-5 busy, 6-7 no answer, 8-9 failed:
   * three attempts each, then EXHAUSTED. */
  CHECK(st.contacts_total == 40);
  CHECK(st.contacts_final == 40);
  CHECK(st.attempts == answered_contacts + 3 * (40 - answered_contacts));
  CHECK(r->count == st.attempts);
  CHECK(st.attempts_in_flight == 0);
  CHECK(by_disposition[OMNIVOX_DISPOSITION_SALE] == answered_contacts);
  CHECK(r->host_dispositions == answered_contacts);
  CHECK(st.connects == answered_contacts);
  CHECK(by_disposition[OMNIVOX_DISPOSITION_BUSY] == 3 * 8);
  CHECK(by_disposition[OMNIVOX_DISPOSITION_NO_ANSWER] == 3 * 8);
  CHECK(by_disposition[OMNIVOX_DISPOSITION_FAILED] == 3 * 8);
  CHECK(r->failed_states == 3 * 8);
  CHECK(script_telephony_originated(script) == st.attempts);
  CHECK(script_telephony_report_errors(script) == 0);
  CHECK(r->pacing > 0);
  /* Running or destroying from a callback was refused; the engine went on. */
  CHECK(r->run_in_callback_rc == OMNIVOX_ESTATE);
  omnivox_engine_destroy(engine);
  script_telephony_destroy(script);
  free(r);
}

/* ------------------------------------------------------------------------------------------ */
/* 2. Storage written in C: the same simulated campaign as with the memory backend */

static const char* kSimCampaign =
    "{\"id\": \"sim\", \"dial_mode\": \"POWER\", \"power_lines_per_agent\": 1.5,"
    " \"max_attempts\": 3, \"default_region\": \"US\","
    " \"simulation\": {\"seed\": 11, \"p_live\": 0.4, \"p_busy\": 0.1,"
    " \"talk_s\": {\"exponential\": 60}, \"wrap_up_s\": 5}}";

/* Runs kSimCampaign (3 agents, 60 contacts) on the simulator over the given storage. */
static recorder* run_sim(int storage_kind, const omnivox_storage* storage, omnivox_statistics* st) {
  omnivox_engine_options o;
  omnivox_engine* engine = NULL;
  recorder* r = new_recorder();
  int i, finished = 0;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.storage_kind = storage_kind;
  o.storage = storage;
  o.simulation_json = kSimCampaign;
  o.start_ms = START_MS;
  o.owner_token = "c-test";
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return r;
  install(r, engine);
  CHECK_OK(omnivox_engine_add_campaign(engine, kSimCampaign, NULL, NULL, &err_));
  for (i = 0; i < 3; ++i) {
    CHECK_OK(omnivox_engine_add_agent(engine, "sim", "agent", 1, NULL, &err_));
  }
  for (i = 0; i < 60; ++i) {
    char number[32];
    const char* numbers[2];
    sprintf(number, "+1212555%04d", 2000 + i);
    numbers[0] = number;
    numbers[1] = "+13125550100";
    CHECK_OK(
        omnivox_engine_add_contact(engine, "sim", NULL, numbers, i % 3 == 0 ? 2 : 1, NULL, &err_));
  }
  CHECK_OK(omnivox_engine_add_dnc(engine, "sim", "+12125552005", &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "sim", &err_));
  CHECK_OK(omnivox_engine_run_until_done(engine, 3 * DAY_MS, &finished, &err_));
  CHECK(finished == 1);
  CHECK_OK(omnivox_engine_statistics(engine, "sim", st, &err_));
  omnivox_engine_destroy(engine);
  return r;
}

static void test_c_storage(void) {
  omnivox_storage table;
  array_storage* store = array_storage_create(&table);
  omnivox_statistics mem_st, c_st;
  recorder* mem = run_sim(OMNIVOX_STORAGE_MEMORY, NULL, &mem_st);
  recorder* arr = run_sim(OMNIVOX_STORAGE_CUSTOM, &table, &c_st);
  int i, same = 1;

  CHECK(array_storage_calls(store) > 1000); /* the engine really used it */
  CHECK(mem->count > 60);
  CHECK(mem->count == arr->count);
  for (i = 0; i < mem->count && i < arr->count; ++i) {
    const attempt_record* a = &mem->records[i];
    const attempt_record* b = &arr->records[i];
    if (a->call_id != b->call_id || a->contact_id != b->contact_id ||
        a->attempt_number != b->attempt_number || a->state != b->state ||
        a->disposition != b->disposition || a->ended_at_ms != b->ended_at_ms) {
      if (same) {
        fprintf(stderr, "first difference at attempt %d: call %lu/%lu contact %lu/%lu %s/%s\n", i,
                (unsigned long)a->call_id, (unsigned long)b->call_id, (unsigned long)a->contact_id,
                (unsigned long)b->contact_id, omnivox_disposition_name(a->disposition),
                omnivox_disposition_name(b->disposition));
      }
      same = 0;
    }
  }
  CHECK(same);
  CHECK(mem_st.attempts == c_st.attempts);
  CHECK(mem_st.live_answers == c_st.live_answers);
  CHECK(mem_st.abandons == c_st.abandons);
  CHECK(mem_st.connects == c_st.connects);
  CHECK(mem_st.contacts_final == c_st.contacts_final);
  CHECK(c_st.contacts_total == 60 && c_st.contacts_final == 60);
  CHECK(c_st.dispositions[OMNIVOX_DISPOSITION_SALE] +
            c_st.dispositions[OMNIVOX_DISPOSITION_NOT_INTERESTED] >
        0);
  free(mem);
  free(arr);
  array_storage_destroy(store);
}

/* ------------------------------------------------------------------------------------------ */
/* 3. Preview through C */

static void test_preview(void) {
  omnivox_engine_options o;
  omnivox_telephony tel;
  script_telephony* script = script_telephony_create(1.0, &tel);
  omnivox_engine* engine = NULL;
  recorder* r = new_recorder();
  omnivox_preview_entry entry;
  omnivox_contact_id first = 0, second = 0;
  omnivox_agent_id agent = 0;
  omnivox_call_id call = 0;
  int found = -1, state = -1;
  const char* n1[1] = {"+12125553000"}; /* answers */
  const char* n2[1] = {"+12125553001"}; /* answers */

  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  o.telephony = &tel;
  o.start_ms = START_MS;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  install(r, engine);
  r->dispose_as_host = 1;
  CHECK_OK(omnivox_engine_add_campaign(
      engine, "{\"id\": \"pv\", \"dial_mode\": \"PREVIEW\", \"default_region\": \"US\"}", NULL,
      NULL, &err_));
  CHECK_OK(omnivox_engine_add_agent(engine, "pv", "ada", 1, &agent, &err_));
  CHECK_OK(omnivox_engine_add_contact(engine, "pv", "c-1", n1, 1, &first, &err_));
  CHECK_OK(omnivox_engine_add_contact(engine, "pv", "c-2", n2, 1, &second, &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "pv", &err_));
  CHECK_OK(omnivox_engine_run_for(engine, 1000, &err_));
  CHECK(script_telephony_originated(script) == 0); /* PREVIEW never dials by itself */

  CHECK_OK(omnivox_engine_preview_next(engine, agent, &entry, &found, &err_));
  CHECK(found == 1 && entry.contact_id == first && strcmp(entry.number, n1[0]) == 0);
  CHECK_OK(omnivox_engine_skip_preview(engine, agent, &err_));
  CHECK_OK(omnivox_engine_preview_next(engine, agent, &entry, &found, &err_));
  CHECK(found == 1 && entry.contact_id == second && strcmp(entry.number, n2[0]) == 0);
  CHECK_OK(omnivox_engine_dial_preview(engine, agent, &call, &err_));
  CHECK(call != 0);
  CHECK(script_telephony_originated(script) == 1);
  CHECK_ERR(OMNIVOX_ESTATE, "", omnivox_engine_dial_preview(engine, agent, NULL, &err));
  CHECK_OK(omnivox_engine_run_for(engine, 120000, &err_));
  CHECK(r->count == 1 && r->records[0].call_id == call &&
        r->records[0].disposition == OMNIVOX_DISPOSITION_SALE);
  CHECK_OK(omnivox_engine_agent_state(engine, agent, &state, &err_));
  CHECK(state == OMNIVOX_AGENT_AVAILABLE);
  /* The skipped contact is offered again; once it is taken nothing is left. */
  CHECK_OK(omnivox_engine_preview_next(engine, agent, &entry, &found, &err_));
  CHECK(found == 1 && entry.contact_id == first);
  CHECK_OK(omnivox_engine_skip_preview(engine, agent, &err_));
  omnivox_engine_destroy(engine);
  script_telephony_destroy(script);
  free(r);
}

/* ------------------------------------------------------------------------------------------ */
/* 4. Real time: system clock, engine-owned threads, events from the clock's timer thread */

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

static void test_real_time(void) {
  omnivox_engine_options o;
  omnivox_telephony tel;
  /* Delays scaled to 1/100: an answered call takes about 0.45 s. */
  script_telephony* script = script_telephony_create(0.01, &tel);
  omnivox_engine* engine = NULL;
  recorder* r = new_recorder();
  omnivox_statistics st;
  int i, waited = 0;

  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  o.telephony = &tel;
  o.clock_kind = OMNIVOX_CLOCK_SYSTEM;
  o.decision_interval_ms = 20;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  install(r, engine);
  r->dispose_as_host = 1;
  CHECK_OK(
      omnivox_engine_add_campaign(engine,
                                  "{\"id\": \"rt\", \"dial_mode\": \"PROGRESSIVE\","
                                  " \"compliance\": \"NONE\", \"call_window\": \"00:00-24:00\","
                                  " \"max_attempts\": 1, \"default_region\": \"US\"}",
                                  NULL, NULL, &err_));
  CHECK_OK(omnivox_engine_add_agent(engine, "rt", "ada", 1, NULL, &err_));
  CHECK_OK(omnivox_engine_add_agent(engine, "rt", "bob", 1, NULL, &err_));
  for (i = 0; i < 6; ++i) {
    char number[32];
    const char* numbers[1];
    sprintf(number, "+1212555%04d", 4000 + i % 2); /* digits 0, 1: answered */
    numbers[0] = number;
    CHECK_OK(omnivox_engine_add_contact(engine, "rt", NULL, numbers, 1, NULL, &err_));
  }
  CHECK_ERR(OMNIVOX_ESTATE, "virtual", omnivox_engine_run_until_done(engine, 1000, NULL, &err));
  CHECK_OK(omnivox_engine_start(engine, 2, &err_));
  CHECK_ERR(OMNIVOX_ESTATE, "already", omnivox_engine_start(engine, 2, &err));
  CHECK_ERR(OMNIVOX_ESTATE, "threads", omnivox_engine_run_for(engine, 10, &err));
  CHECK_OK(omnivox_engine_start_campaign(engine, "rt", &err_));
  /* A bounded wait (at most 30 s; about 2 s expected), not a timed assertion. */
  for (waited = 0; waited < 3000; ++waited) {
    CHECK_OK(omnivox_engine_statistics(engine, "rt", &st, &err_));
    if (st.contacts_final == 6 && st.attempts_in_flight == 0 &&
        st.agents_by_state[OMNIVOX_AGENT_AVAILABLE] == 2)
      break;
    sleep_ms(10);
  }
  CHECK_OK(omnivox_engine_stop(engine, &err_));
  CHECK(st.contacts_final == 6);
  CHECK(st.attempts == 6);
  CHECK(st.connects == 6);
  CHECK(r->host_dispositions == 6);
  CHECK(script_telephony_report_errors(script) == 0);
  omnivox_engine_destroy(engine);
  script_telephony_destroy(script);
  free(r);
}

/* ------------------------------------------------------------------------------------------ */
/* 5. SQLite storage through the C API */

static void test_sqlite(void) {
  omnivox_engine_options o;
  omnivox_engine* engine = NULL;
  omnivox_statistics st;
  int finished = 0, i;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.storage_kind = OMNIVOX_STORAGE_SQLITE;
  o.sqlite_path = ":memory:";
  o.simulation_json = kSimCampaign;
  o.start_ms = START_MS;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(engine, kSimCampaign, NULL, NULL, &err_));
  CHECK_OK(
      omnivox_engine_set_campaign_option(engine, "sim", "dial_mode", "\"PROGRESSIVE\"", &err_));
  CHECK_ERR(OMNIVOX_ECONFIG, "dial_mode",
            omnivox_engine_set_campaign_option(engine, "sim", "dial_mode", "\"TURBO\"", &err));
  CHECK_ERR(OMNIVOX_ENOTFOUND, "nope",
            omnivox_engine_set_campaign_option(engine, "nope", "max_attempts", "2", &err));
  CHECK_OK(omnivox_engine_add_agent(engine, "sim", "ada", 1, NULL, &err_));
  for (i = 0; i < 10; ++i) {
    char number[32];
    const char* numbers[1];
    sprintf(number, "+1212555%04d", 5000 + i);
    numbers[0] = number;
    CHECK_OK(omnivox_engine_add_contact(engine, "sim", NULL, numbers, 1, NULL, &err_));
  }
  CHECK_OK(omnivox_engine_start_campaign(engine, "sim", &err_));
  CHECK_OK(omnivox_engine_run_until_done(engine, 3 * DAY_MS, &finished, &err_));
  CHECK(finished == 1);
  CHECK_OK(omnivox_engine_statistics(engine, "sim", &st, &err_));
  CHECK(st.contacts_total == 10 && st.contacts_final == 10);
  omnivox_engine_destroy(engine);
}

/* ------------------------------------------------------------------------------------------ */
/* 6. Misuse */

static void test_misuse(void) {
  omnivox_engine_options o;
  omnivox_telephony tel;
  omnivox_storage table;
  script_telephony* script = script_telephony_create(1.0, &tel);
  array_storage* store = array_storage_create(&table);
  omnivox_engine* engine = NULL;
  omnivox_engine* dead = NULL;
  omnivox_call_event ev = OMNIVOX_CALL_EVENT_INIT;
  int64_t now = 0;
  int probe = 999;
  uint64_t timer = 0;
  const char* bad_utf8 = "caf\xC3";

  /* NULL handles and arguments. */
  CHECK_ERR(OMNIVOX_EINVALID, "engine", omnivox_engine_now(NULL, &now, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "options", omnivox_engine_create(NULL, &engine, &err));
  CHECK(engine == NULL);
  omnivox_engine_destroy(NULL); /* a no-op */

  /* Backend structs of an unknown version, or missing a required function. */
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  o.telephony = &tel;
  tel.version = 3;
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_telephony.version 3",
            omnivox_engine_create(&o, &engine, &err));
  tel.version = OMNIVOX_TELEPHONY_VERSION;
  tel.originate = NULL;
  CHECK_ERR(OMNIVOX_EINVALID, "originate", omnivox_engine_create(&o, &engine, &err));
  script_telephony_destroy(script);
  script = script_telephony_create(1.0, &tel);
  o.telephony = NULL;
  CHECK_ERR(OMNIVOX_EINVALID, "options.telephony", omnivox_engine_create(&o, &engine, &err));
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.storage_kind = OMNIVOX_STORAGE_CUSTOM;
  o.storage = &table;
  table.version = 7;
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_storage.version 7",
            omnivox_engine_create(&o, &engine, &err));
  table.version = OMNIVOX_STORAGE_VERSION;
  table.claim_leases = NULL;
  CHECK_ERR(OMNIVOX_EINVALID, "claim_leases", omnivox_engine_create(&o, &engine, &err));
  array_storage_destroy(store);
  store = array_storage_create(&table);

  /* Wrong enums in options. */
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.clock_kind = 5;
  CHECK_ERR(OMNIVOX_EINVALID, "clock_kind", omnivox_engine_create(&o, &engine, &err));
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.storage_kind = -1;
  CHECK_ERR(OMNIVOX_EINVALID, "storage_kind", omnivox_engine_create(&o, &engine, &err));
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.simulation_json = "{\"simulation\": {\"p_live\": \"lots\"}}";
  CHECK_ERR(OMNIVOX_ECONFIG, "p_live", omnivox_engine_create(&o, &engine, &err));

  /* A destroyed handle is an error, not a crash. */
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  CHECK_OK(omnivox_engine_create(&o, &dead, &err_));
  omnivox_engine_destroy(dead);
  CHECK_ERR(OMNIVOX_EINVALID, "not a live omnivox_engine", omnivox_engine_now(dead, &now, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "not a live", omnivox_engine_start_campaign(dead, "x", &err));
  omnivox_engine_destroy(dead); /* twice: a no-op */
  /* A pointer that is not an engine handle at all. */
  CHECK_ERR(OMNIVOX_EINVALID, "not a live", omnivox_engine_now((omnivox_engine*)&o, &now, &err));

  /* An engine over the C storage, with the C telephony. */
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.storage_kind = OMNIVOX_STORAGE_CUSTOM;
  o.storage = &table;
  o.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  o.telephony = &tel;
  o.start_ms = START_MS;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(engine, "{\"id\": \"m\"}", NULL, NULL, &err_));
  CHECK_ERR(OMNIVOX_ECONFIG, "",
            omnivox_engine_add_campaign(engine, "{\"id\": ", NULL, NULL, &err));
  CHECK_ERR(OMNIVOX_ECONFIG, "bogus",
            omnivox_engine_add_campaign(engine, "{\"id\": \"m\", \"bogus\": 1}", NULL, NULL, &err));
  /* Invalid UTF-8 anywhere a string goes in. */
  CHECK_ERR(OMNIVOX_EINVALID, "UTF-8",
            omnivox_engine_add_campaign(engine, bad_utf8, NULL, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "UTF-8", omnivox_engine_start_campaign(engine, bad_utf8, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "UTF-8",
            omnivox_engine_add_agent(engine, "m", bad_utf8, 1, NULL, &err));
  CHECK_ERR(OMNIVOX_ENOTFOUND, "nope", omnivox_engine_start_campaign(engine, "nope", &err));
  CHECK_ERR(OMNIVOX_ENOTFOUND, "nope",
            omnivox_engine_add_agent(engine, "nope", "x", 1, NULL, &err));
  /* Wrong enums. */
  CHECK_ERR(OMNIVOX_EINVALID, "state", omnivox_engine_set_agent_state(engine, 0, 42, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "disposition",
            omnivox_engine_set_disposition(engine, 1, OMNIVOX_DISPOSITION_BUSY, 0, &err));
  ev.call_id = 1;
  ev.kind = 99;
  CHECK_ERR(OMNIVOX_EINVALID, "event.kind", omnivox_engine_report_call_event(engine, &ev, &err));
  ev.kind = OMNIVOX_EVENT_FAILED;
  ev.fail_reason = -3;
  CHECK_ERR(OMNIVOX_EINVALID, "fail_reason", omnivox_engine_report_call_event(engine, &ev, &err));
  ev.fail_reason = OMNIVOX_FAIL_NONE;
  ev.provider_call_id = bad_utf8;
  CHECK_ERR(OMNIVOX_EINVALID, "UTF-8", omnivox_engine_report_call_event(engine, &ev, &err));
  ev.provider_call_id = NULL;
  CHECK_OK(omnivox_engine_report_call_event(engine, &ev, &err_)); /* unknown call: ignored */
  CHECK_ERR(OMNIVOX_EINVALID, "fn", omnivox_engine_schedule(engine, 0, NULL, NULL, &timer, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "threads", omnivox_engine_start(engine, 0, &err));
  CHECK_ERR(OMNIVOX_ESTATE, "virtual", omnivox_engine_start(engine, 1, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "duration", omnivox_engine_run_for(engine, -1, &err));
  /* A storage function may not call the engine: refused, and the engine goes on. */
  array_storage_probe_engine(store, engine, &probe);
  {
    omnivox_statistics st;
    CHECK_OK(omnivox_engine_statistics(engine, "m", &st, &err_));
  }
  CHECK(probe == OMNIVOX_ESTATE);
  omnivox_engine_destroy(engine);
  CHECK_ERR(OMNIVOX_EINVALID, "not a live", omnivox_engine_run_for(engine, 1, &err));

  /* The simulation handle is checked the same way. */
  {
    omnivox_simulation* sim = NULL;
    CHECK_OK(omnivox_simulation_create("{\"id\": \"s\"}", NULL, &sim, &err_));
    omnivox_simulation_destroy(sim);
    CHECK_ERR(OMNIVOX_EINVALID, "not a live omnivox_simulation",
              omnivox_simulation_start(sim, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "not a live",
              omnivox_simulation_now((omnivox_simulation*)&o, &now, &err));
    omnivox_simulation_destroy(sim);
  }

  /* report_call_event needs custom telephony. */
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  CHECK_ERR(OMNIVOX_ESTATE, "CUSTOM", omnivox_engine_report_call_event(engine, &ev, &err));
  omnivox_engine_destroy(engine);

  script_telephony_destroy(script);
  array_storage_destroy(store);
}

/* ------------------------------------------------------------------------------------------ */
/* 7. ABI: struct versions, initialisers, the library version, the log callback, input bounds */

typedef struct log_record {
  int lines;
  int info_started; /* the "campaign lg started" line at INFO */
  int below_level;  /* lines under the configured level (must stay 0) */
} log_record;

static void record_log(void* user_data, int level, const char* message) {
  log_record* rec = (log_record*)user_data;
  ++rec->lines;
  if (level < OMNIVOX_LOG_INFO) ++rec->below_level;
  if (level == OMNIVOX_LOG_INFO && strstr(message, "campaign lg started") != NULL) {
    ++rec->info_started;
  }
}

/* Whether s ends in "..." after a whole UTF-8 character (no dangling lead byte). */
static int clipped_cleanly(const char* s) {
  size_t n = strlen(s), i, start;
  unsigned char lead;
  size_t need;
  if (n < 3 || strcmp(s + n - 3, "...") != 0) return 0;
  n -= 3;
  start = n;
  while (start > 0 && (((unsigned char)s[start - 1]) & 0xC0) == 0x80) --start;
  if (start == 0) return 1;
  lead = (unsigned char)s[start - 1];
  need = lead < 0x80 ? 0 : (lead & 0xE0) == 0xC0 ? 1 : (lead & 0xF0) == 0xE0 ? 2 : 3;
  i = n - start;
  return i == need;
}

static void test_versions(void) {
  omnivox_engine_options o = OMNIVOX_ENGINE_OPTIONS_INIT;
  omnivox_engine_options d;
  omnivox_callbacks cb = OMNIVOX_CALLBACKS_INIT;
  omnivox_call_event ev = OMNIVOX_CALL_EVENT_INIT;
  omnivox_erlang_c_input in = OMNIVOX_ERLANG_C_INPUT_INIT;
  omnivox_erlang_c_result c;
  omnivox_telephony tel = OMNIVOX_TELEPHONY_INIT;
  omnivox_storage table = OMNIVOX_STORAGE_INIT;
  omnivox_telephony tel_live;
  script_telephony* script = script_telephony_create(1.0, &tel_live);
  omnivox_engine* engine = NULL;
  omnivox_statistics st;
  char* id = NULL;

  CHECK(omnivox_version() == OMNIVOX_VERSION_NUMBER);
  CHECK(strcmp(omnivox_version_string(), OMNIVOX_VERSION_STRING) == 0);
  CHECK(tel.version == OMNIVOX_TELEPHONY_VERSION && tel.originate == NULL);
  CHECK(table.version == OMNIVOX_STORAGE_VERSION && table.put_campaign == NULL);

  /* The initialiser and the init function give the same defaults. */
  memset(&d, 0xAB, sizeof d);
  CHECK(omnivox_engine_options_init(&d, OMNIVOX_ENGINE_OPTIONS_VERSION) == OMNIVOX_OK);
  CHECK(d.version == o.version && d.owner_token == o.owner_token &&
        d.lease_ttl_ms == o.lease_ttl_ms && d.decision_interval_ms == o.decision_interval_ms &&
        d.max_wrap_up_ms == o.max_wrap_up_ms && d.log_level == o.log_level &&
        d.journal_state_changes == o.journal_state_changes &&
        d.time_zone_map_path == o.time_zone_map_path && d.storage_kind == o.storage_kind &&
        d.sqlite_path == o.sqlite_path && d.storage == o.storage &&
        d.telephony_kind == o.telephony_kind && d.simulation_json == o.simulation_json &&
        d.simulation_base_dir == o.simulation_base_dir && d.telephony == o.telephony &&
        d.clock_kind == o.clock_kind && d.start_ms == o.start_ms && d.sip_json == o.sip_json &&
        d.sip_base_dir == o.sip_base_dir && d.log_fn == o.log_fn &&
        d.log_user_data == o.log_user_data);
  /* An unknown version leaves the struct alone: a newer library never writes past it. */
  d.lease_ttl_ms = 7;
  CHECK(omnivox_engine_options_init(&d, OMNIVOX_ENGINE_OPTIONS_VERSION + 1) == OMNIVOX_EINVALID);
  CHECK(d.lease_ttl_ms == 7);
  CHECK(omnivox_engine_options_init(NULL, OMNIVOX_ENGINE_OPTIONS_VERSION) == OMNIVOX_EINVALID);

  /* Structs of an unknown version are refused, naming the struct. */
  o.version = 0; /* e.g. zero-filled by memset and never initialised */
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_engine_options.version 0",
            omnivox_engine_create(&o, &engine, &err));
  CHECK(engine == NULL);
  o.version = OMNIVOX_ENGINE_OPTIONS_VERSION + 1;
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_engine_options.version",
            omnivox_engine_create(&o, &engine, &err));
  in.calls = 10;
  in.interval_s = 1800;
  in.aht_s = 240;
  in.agents = 2;
  CHECK_OK(omnivox_erlang_c(&in, &c, &err_));
  in.version = 0;
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_erlang_c_input.version 0", omnivox_erlang_c(&in, &c, &err));

  o.version = OMNIVOX_ENGINE_OPTIONS_VERSION;
  o.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  o.telephony = &tel_live;
  o.start_ms = START_MS;
  /* A version-1 telephony struct (before stop_amd) is still taken. */
  tel_live.version = 1;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  omnivox_engine_destroy(engine);
  tel_live.version = OMNIVOX_TELEPHONY_VERSION;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  cb.version = 3;
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_callbacks.version 3",
            omnivox_engine_set_callbacks(engine, &cb, &err));
  cb.version = OMNIVOX_CALLBACKS_VERSION;
  CHECK_OK(omnivox_engine_set_callbacks(engine, &cb, &err_));
  ev.call_id = 12345; /* unknown: ignored once it passes the checks */
  ev.kind = OMNIVOX_EVENT_COMPLETED;
  CHECK_OK(omnivox_engine_report_call_event(engine, &ev, &err_));
  ev.version = 0;
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_call_event.version 0",
            omnivox_engine_report_call_event(engine, &ev, &err));

  /* Statistics say how many entries of their fixed-capacity arrays are filled. */
  CHECK_OK(omnivox_engine_add_campaign(engine, "{\"id\": \"v\"}", NULL, &id, &err_));
  CHECK_OK(omnivox_engine_statistics(engine, "v", &st, &err_));
  CHECK(st.agent_state_count == OMNIVOX_AGENT_STATE_COUNT);
  CHECK(st.disposition_count == OMNIVOX_DISPOSITION_COUNT);
  CHECK(st.disposition_count <= OMNIVOX_STATISTICS_MAX_DISPOSITIONS);
  CHECK(st.dispositions[OMNIVOX_STATISTICS_MAX_DISPOSITIONS - 1] == 0);
  omnivox_free(id);
  omnivox_engine_destroy(engine);
  script_telephony_destroy(script);
}

/* A world where machines answer three times as often as people, under UK_OFCOM (each AMD
 * machine result counts 0.05 abandons), dialled PROGRESSIVE by 10 agents from 09:00 in London.
 * `version` is the options struct's: 1 = a host compiled before suspend_amd_at_cap. */
static void run_amd_heavy(unsigned int version, int suspend, omnivox_statistics* st,
                          omnivox_statistics_extra* extra) {
  static const char* campaign =
      "{\"id\": \"amd\", \"dial_mode\": \"PROGRESSIVE\", \"amd\": true, \"max_attempts\": 1,"
      " \"default_region\": \"GB\", \"compliance\": \"UK_OFCOM\","
      " \"simulation\": {\"seed\": 5, \"p_live\": 0.15, \"p_machine\": 0.45, \"p_busy\": 0.1,"
      " \"p_invalid\": 0, \"amd_false_positive\": 0.03, \"talk_s\": {\"exponential\": 60},"
      " \"wrap_up_s\": 5}}";
  omnivox_engine_options o;
  omnivox_engine* engine = NULL;
  int i, finished = 0;
  CHECK_OK(omnivox_engine_options_init(&o, version));
  if (version >= 2) o.suspend_amd_at_cap = suspend;
  o.simulation_json = campaign;
  o.start_ms = 1777881600000LL; /* 2026-05-04T08:00:00Z: 09:00 in London */
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(engine, campaign, NULL, NULL, &err_));
  for (i = 0; i < 10; ++i)
    CHECK_OK(omnivox_engine_add_agent(engine, "amd", "agent", 1, NULL, &err_));
  for (i = 0; i < 600; ++i) {
    char number[32];
    const char* numbers[1];
    sprintf(number, "+44207946%04d", i);
    numbers[0] = number;
    CHECK_OK(omnivox_engine_add_contact(engine, "amd", NULL, numbers, 1, NULL, &err_));
  }
  CHECK_OK(omnivox_engine_start_campaign(engine, "amd", &err_));
  CHECK_OK(omnivox_engine_run_until_done(engine, DAY_MS, &finished, &err_));
  CHECK(finished == 1);
  CHECK_OK(omnivox_engine_statistics(engine, "amd", st, &err_));
  CHECK_OK(omnivox_engine_statistics_extra(engine, "amd", extra, &err_));
  omnivox_engine_destroy(engine);
}

static void test_amd_suspended_at_the_cap(void) {
  omnivox_engine_options o = OMNIVOX_ENGINE_OPTIONS_INIT;
  omnivox_engine_options v1;
  omnivox_statistics on, off, old;
  omnivox_statistics_extra on_x = OMNIVOX_STATISTICS_EXTRA_INIT;
  omnivox_statistics_extra off_x = OMNIVOX_STATISTICS_EXTRA_INIT;
  omnivox_statistics_extra old_x = OMNIVOX_STATISTICS_EXTRA_INIT;
  omnivox_statistics_extra bad = OMNIVOX_STATISTICS_EXTRA_INIT;
  omnivox_engine* engine = NULL;
  const unsigned char* past_v1 = (const unsigned char*)&v1.suspend_amd_at_cap;

  /* On by default, from the initialiser and the init function. */
  CHECK(o.version == 2 && o.suspend_amd_at_cap == 1);
  memset(&v1, 0xAB, sizeof v1);
  CHECK(omnivox_engine_options_init(&v1, OMNIVOX_ENGINE_OPTIONS_VERSION) == OMNIVOX_OK);
  CHECK(v1.suspend_amd_at_cap == 1);
  /* A version-1 host's struct ends before the field: init writes nothing past its end. */
  memset(&v1, 0xAB, sizeof v1);
  CHECK(omnivox_engine_options_init(&v1, 1) == OMNIVOX_OK);
  CHECK(v1.version == 1 && v1.lease_ttl_ms == 300000 && v1.log_user_data == NULL);
  CHECK(past_v1[0] == 0xAB && past_v1[sizeof v1.suspend_amd_at_cap - 1] == 0xAB);

  run_amd_heavy(2, 0, &off, &off_x);
  run_amd_heavy(2, 1, &on, &on_x);
  run_amd_heavy(1, 0, &old, &old_x); /* version 1: the default, on */
  printf(
      "AMD always: %lld machines, %lld live answers; suspended at the cap: %lld machines, "
      "%lld live answers, %lld put through without AMD\n",
      (long long)off.machines, (long long)off.live_answers, (long long)on.machines,
      (long long)on.live_answers, (long long)on_x.amd_suspended);
  CHECK(off_x.version == OMNIVOX_STATISTICS_EXTRA_VERSION);
  CHECK(off_x.amd_suspended == 0);
  CHECK(on_x.amd_suspended > 0);
  CHECK(old_x.amd_suspended == on_x.amd_suspended && old.machines == on.machines);
  /* Put through as live answers, not classified: fewer machine results, more live answers. */
  CHECK(on.machines < off.machines);
  CHECK(on.live_answers >= off.live_answers + on_x.amd_suspended / 2);
  CHECK(on.attempts == off.attempts); /* every contact dialled once either way */

  o.start_ms = START_MS;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(engine, "{\"id\": \"x\"}", NULL, NULL, &err_));
  bad.version = 0;
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_statistics_extra.version 0",
            omnivox_engine_statistics_extra(engine, "x", &bad, &err));
  CHECK_ERR(OMNIVOX_ENOTFOUND, "nope",
            omnivox_engine_statistics_extra(engine, "nope", &on_x, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "out", omnivox_engine_statistics_extra(engine, "x", NULL, &err));
  omnivox_engine_destroy(engine);
}

/* AMD suspended at the cap reaches a C telephony: under the default US_FTC_FCC profile (each AMD
 * machine result counts 0.05 abandons) the first answer of a campaign with AMD finds no live
 * answer in the window, so it is put through unclassified and the engine calls stop_amd for it.
 * A version-1 struct ends before stop_amd: the engine never calls it then. */
static void stop_amd_run(unsigned int telephony_version, long* stop_amd_calls,
                         long* amd_suspended) {
  omnivox_telephony tel;
  script_telephony* script = script_telephony_create(1.0, &tel);
  omnivox_engine* engine = NULL;
  omnivox_statistics_extra x = OMNIVOX_STATISTICS_EXTRA_INIT;
  const char* numbers[1] = {"+12125551001"}; /* last digit 1: answered after 4 s */
  char* id = NULL;

  tel.version = telephony_version;
  engine = engine_over(&tel);
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(engine,
                                       "{\"id\": \"amd\", \"dial_mode\": \"PROGRESSIVE\", "
                                       "\"amd\": true, \"max_attempts\": 1, "
                                       "\"default_region\": \"US\"}",
                                       NULL, &id, &err_));
  omnivox_free(id);
  CHECK_OK(omnivox_engine_add_agent(engine, "amd", "ada", 1, NULL, &err_));
  CHECK_OK(omnivox_engine_add_contact(engine, "amd", NULL, numbers, 1, NULL, &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "amd", &err_));
  /* Past the call's end (answered at 4 s, completed 40 s after the bridge): a timer still
   * pending when the engine is destroyed never fires, and its event would leak. */
  CHECK_OK(omnivox_engine_run_for(engine, 60000, &err_));
  CHECK_OK(omnivox_engine_statistics_extra(engine, "amd", &x, &err_));
  *stop_amd_calls = script_telephony_stop_amd_calls(script);
  *amd_suspended = (long)x.amd_suspended;
  CHECK(script_telephony_report_errors(script) == 0);
  omnivox_engine_destroy(engine);
  script_telephony_destroy(script);
}

static void test_stop_amd(void) {
  long calls = -1, suspended = -1;
  stop_amd_run(OMNIVOX_TELEPHONY_VERSION, &calls, &suspended);
  printf("telephony version %u: stop_amd called %ld times, %ld answers AMD suspended\n",
         OMNIVOX_TELEPHONY_VERSION, calls, suspended);
  CHECK(suspended == 1 && calls == 1);
  stop_amd_run(1, &calls, &suspended);
  CHECK(suspended == 1 && calls == 0);
}

static void test_log_callback(void) {
  omnivox_engine_options o = OMNIVOX_ENGINE_OPTIONS_INIT;
  omnivox_engine* engine = NULL;
  log_record rec;
  memset(&rec, 0, sizeof rec);

  o.log_fn = record_log;
  o.log_user_data = &rec;
  o.log_level = OMNIVOX_LOG_INFO;
  o.start_ms = START_MS;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(engine, "{\"id\": \"lg\"}", NULL, NULL, &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "lg", &err_));
  CHECK_OK(omnivox_engine_run_for(engine, 1000, &err_));
  CHECK(rec.info_started == 1);
  CHECK(rec.below_level == 0);
  omnivox_engine_destroy(engine);

  /* At the default level (WARN) the INFO line is not passed on. */
  memset(&rec, 0, sizeof rec);
  o.log_level = OMNIVOX_LOG_WARN;
  engine = NULL;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(engine, "{\"id\": \"lg\"}", NULL, NULL, &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "lg", &err_));
  CHECK(rec.info_started == 0);
  omnivox_engine_destroy(engine);
}

static void test_bounds(void) {
  omnivox_engine_options o = OMNIVOX_ENGINE_OPTIONS_INIT;
  omnivox_telephony tel;
  script_telephony* script = script_telephony_create(1.0, &tel);
  omnivox_engine* engine = NULL;
  omnivox_preview_entry entry;
  omnivox_contact_id contact = 0;
  omnivox_agent_id ada = 0, bob = 0;
  int found = -1;
  const char* fifteen[1] = {"+123456789012345"};
  const char* sixteen[1] = {"+1234567890123456"};
  const char* forty[1] = {"+1234567890123456789012345678901234567890"};
  const char* letters[1] = {"+1212555x000"};
  const char* ok[1] = {"+12125554000"};
  char* long_name = (char*)malloc(OMNIVOX_MAX_STRING + 2);
  char* long_number = (char*)malloc(OMNIVOX_MAX_STRING);
  char* err = NULL;
  size_t i;

  if (long_name == NULL || long_number == NULL) return;
  memset(long_name, 'a', OMNIVOX_MAX_STRING + 1);
  long_name[OMNIVOX_MAX_STRING + 1] = '\0';
  /* "+" then two-byte characters ("é"), so the message that quotes it is clipped mid-text. */
  long_number[0] = '+';
  for (i = 1; i + 2 < OMNIVOX_MAX_STRING; i += 2) {
    long_number[i] = (char)0xC3;
    long_number[i + 1] = (char)0xA9;
  }
  long_number[i] = '\0';

  o.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  o.telephony = &tel;
  o.start_ms = START_MS;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(
      engine, "{\"id\": \"b\", \"dial_mode\": \"PREVIEW\", \"default_region\": \"US\"}", NULL, NULL,
      &err_));

  /* E.164: at most 15 digits, on every entry point that takes a number. */
  CHECK_OK(omnivox_engine_add_dnc(engine, "global", fifteen[0], &err_));
  CHECK_ERR(OMNIVOX_EINVALID, "at most 15",
            omnivox_engine_add_contact(engine, "b", NULL, sixteen, 1, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "40 digits",
            omnivox_engine_add_contact(engine, "b", NULL, forty, 1, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "not an E.164",
            omnivox_engine_add_contact(engine, "b", NULL, letters, 1, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "at most 15",
            omnivox_engine_add_dnc(engine, "global", sixteen[0], &err));
  CHECK_ERR(OMNIVOX_EINVALID, "at most 15", omnivox_engine_add_dnc(engine, "b", forty[0], &err));

  /* Strings longer than OMNIVOX_MAX_STRING bytes. */
  CHECK_ERR(OMNIVOX_EINVALID, "longer than 4096",
            omnivox_engine_add_agent(engine, "b", long_name, 1, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "longer than 4096",
            omnivox_engine_start_campaign(engine, long_name, &err));
  long_name[OMNIVOX_MAX_STRING] = '\0'; /* exactly the bound: accepted */
  CHECK_OK(omnivox_engine_add_agent(engine, "b", long_name, 0, NULL, &err_));

  /* A message quoting a long argument is clipped, at a character boundary. */
  CHECK(omnivox_engine_add_dnc(engine, "global", long_number, &err) == OMNIVOX_EINVALID);
  CHECK(err != NULL && strlen(err) <= OMNIVOX_MAX_ERROR);
  CHECK(err != NULL && clipped_cleanly(err));
  CHECK(err != NULL && strstr(err, "omnivox_engine_add_dnc") == err);
  omnivox_free(err);
  err = NULL;

  /* preview_next that fails leaves nothing reserved: the contact goes to the next agent. */
  CHECK_OK(omnivox_engine_add_agent(engine, "b", "ada", 1, &ada, &err_));
  CHECK_OK(omnivox_engine_add_agent(engine, "b", "bob", 1, &bob, &err_));
  CHECK_OK(omnivox_engine_add_contact(engine, "b", "c-1", ok, 1, &contact, &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "b", &err_));
  CHECK_OK(omnivox_engine_run_for(engine, 1000, &err_));
  CHECK_ERR(OMNIVOX_EINVALID, "'out'",
            omnivox_engine_preview_next(engine, ada, NULL, &found, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'found'",
            omnivox_engine_preview_next(engine, ada, &entry, NULL, &err));
  CHECK_ERR(OMNIVOX_ENOTFOUND, "", omnivox_engine_preview_next(engine, 4242, &entry, &found, &err));
  CHECK_ERR(OMNIVOX_ESTATE, "", omnivox_engine_dial_preview(engine, ada, NULL, &err));
  CHECK_OK(omnivox_engine_preview_next(engine, bob, &entry, &found, &err_));
  CHECK(found == 1 && entry.contact_id == contact);
  CHECK_OK(omnivox_engine_skip_preview(engine, bob, &err_));

  omnivox_engine_destroy(engine);
  script_telephony_destroy(script);
  free(long_name);
  free(long_number);
}

int main(void) {
  test_c_telephony();
  test_c_storage();
  test_preview();
  test_sqlite();
  test_misuse();
  test_real_time();
  test_versions();
  test_amd_suspended_at_the_cap();
  test_stop_amd();
  test_log_callback();
  test_bounds();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all C engine tests passed\n");
  return 0;
}
