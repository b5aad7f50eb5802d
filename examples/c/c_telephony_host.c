/* A host that brings its own telephony, written in C: the engine decides whom to dial and when;
 * this "PBX" places the calls and reports what happens to them. Here the PBX is a toy that
 * answers every third call after 6 s, finds every third line busy, and lets the rest ring out;
 * a real host would talk to Asterisk, FreeSWITCH or a SIP stack instead, and report events from
 * its own threads with omnivox_engine_report_call_event().
 *
 * The engine runs in virtual time (a simulated day in well under a second); the PBX makes
 * things happen "later" with omnivox_engine_schedule(). The host's agents give every connected
 * call a disposition (SALE) from the agent-state callback when they enter WRAP_UP. */
#include <omnivox/omnivox.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pbx {
  omnivox_engine* engine; /* set by pbx_start */
  long placed;
} pbx;

typedef struct later {
  pbx* p;
  omnivox_call_id call;
  int kind; /* enum omnivox_call_event_kind */
} later;

static void report(pbx* p, omnivox_call_id call, int kind) {
  omnivox_call_event e = OMNIVOX_CALL_EVENT_INIT;
  char* err = NULL;
  e.call_id = call;
  e.kind = kind;
  if (omnivox_engine_report_call_event(p->engine, &e, &err) != OMNIVOX_OK) {
    fprintf(stderr, "pbx: %s\n", err);
    omnivox_free(err);
  }
}

static void fire(void* user_data) {
  later* l = (later*)user_data;
  report(l->p, l->call, l->kind);
  free(l);
}

/* Reports `kind` for `call` after `seconds` of engine time. */
static void report_after(pbx* p, omnivox_call_id call, int kind, double seconds) {
  int64_t now = 0;
  later* l = (later*)malloc(sizeof *l);
  if (l == NULL) return;
  l->p = p;
  l->call = call;
  l->kind = kind;
  omnivox_engine_now(p->engine, &now, NULL);
  if (omnivox_engine_schedule(p->engine, now + (int64_t)(seconds * 1000), fire, l, NULL, NULL) !=
      OMNIVOX_OK) {
    free(l);
  }
}

/* ---- the omnivox_telephony functions ---- */

static void pbx_start(void* user_data, omnivox_engine* engine) {
  ((pbx*)user_data)->engine = engine;
}

static int pbx_originate(void* user_data, const omnivox_originate_request* r) {
  pbx* p = (pbx*)user_data;
  long n = ++p->placed;
  report_after(p, r->call_id, OMNIVOX_EVENT_INITIATED, 0.3);
  if (n % 3 == 0) {
    report_after(p, r->call_id, OMNIVOX_EVENT_RINGING, 1.0);
    report_after(p, r->call_id, OMNIVOX_EVENT_ANSWERED, 6.0);
  } else if (n % 3 == 1) {
    report_after(p, r->call_id, OMNIVOX_EVENT_BUSY, 2.0);
  } else {
    report_after(p, r->call_id, OMNIVOX_EVENT_RINGING, 1.0);
    report_after(p, r->call_id, OMNIVOX_EVENT_NO_ANSWER, 20.0);
  }
  return 0; /* accepted: the outcome follows as events */
}

static void pbx_hangup(void* user_data, omnivox_call_id call) {
  /* Reporting from inside a telephony function is fine: the engine queues it. */
  report((pbx*)user_data, call, OMNIVOX_EVENT_COMPLETED);
}

static void pbx_bridge(void* user_data, omnivox_call_id call, omnivox_agent_id agent) {
  pbx* p = (pbx*)user_data;
  (void)agent;
  report(p, call, OMNIVOX_EVENT_BRIDGED);
  report_after(p, call, OMNIVOX_EVENT_COMPLETED, 90.0); /* the conversation */
}

static void pbx_play(void* user_data, omnivox_call_id call, const char* message) {
  (void)user_data;
  printf("pbx: playing to call %lu: %s\n", (unsigned long)call, message);
}

/* ---- the host's agents ---- */

typedef struct host {
  omnivox_engine* engine;
  long attempts_finished;
  long sales;
} host;

static void on_agent_state(void* user_data, const omnivox_agent_state_event* e) {
  host* h = (host*)user_data;
  if (e->to == OMNIVOX_AGENT_WRAP_UP && e->call_id != 0) {
    /* Allowed from a callback: applied after the engine's current step. */
    if (omnivox_engine_set_disposition(h->engine, e->call_id, OMNIVOX_DISPOSITION_SALE, 0, NULL) ==
        OMNIVOX_OK) {
      ++h->sales;
    }
  }
}

static void on_attempt(void* user_data, const omnivox_attempt_event* e) {
  host* h = (host*)user_data;
  if (++h->attempts_finished <= 6) {
    printf("attempt %lu to %s (try %d): %s\n", (unsigned long)e->call_id, e->number,
           e->attempt_number, omnivox_disposition_name(e->disposition));
  }
}

int main(void) {
  pbx p = {NULL, 0};
  host h = {NULL, 0, 0};
  omnivox_telephony telephony;
  omnivox_engine_options options;
  omnivox_callbacks callbacks = OMNIVOX_CALLBACKS_INIT;
  omnivox_engine* engine = NULL;
  omnivox_statistics st;
  char* err = NULL;
  int i, finished = 0;

  memset(&telephony, 0, sizeof telephony);
  telephony.version = OMNIVOX_TELEPHONY_VERSION;
  telephony.user_data = &p;
  telephony.start = pbx_start;
  telephony.originate = pbx_originate;
  telephony.hangup = pbx_hangup;
  telephony.bridge = pbx_bridge;
  telephony.play = pbx_play;

  omnivox_engine_options_init(&options, OMNIVOX_ENGINE_OPTIONS_VERSION);
  options.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  options.telephony = &telephony;
  options.clock_kind = OMNIVOX_CLOCK_VIRTUAL;
  options.start_ms = 1777899600000LL; /* 2026-05-04T13:00:00Z, 09:00 in New York */
  if (omnivox_engine_create(&options, &engine, &err) != OMNIVOX_OK) goto fail;
  h.engine = engine;

  callbacks.user_data = &h;
  callbacks.on_agent_state = on_agent_state;
  callbacks.on_attempt_finished = on_attempt;
  if (omnivox_engine_set_callbacks(engine, &callbacks, &err) != OMNIVOX_OK) goto fail;

  if (omnivox_engine_add_campaign(engine,
                                  "{\"id\": \"pbx\", \"dial_mode\": \"PROGRESSIVE\","
                                  " \"max_attempts\": 4, \"retry\": {\"BUSY\": 300}}",
                                  NULL, NULL, &err) != OMNIVOX_OK) {
    goto fail;
  }
  if (omnivox_engine_add_agent(engine, "pbx", "ada", 1, NULL, &err) != OMNIVOX_OK) goto fail;
  if (omnivox_engine_add_agent(engine, "pbx", "grace", 1, NULL, &err) != OMNIVOX_OK) goto fail;
  for (i = 0; i < 30; ++i) {
    char number[32];
    const char* numbers[1];
    sprintf(number, "+1212555%04d", 1000 + i);
    numbers[0] = number;
    if (omnivox_engine_add_contact(engine, "pbx", NULL, numbers, 1, NULL, &err) != OMNIVOX_OK) {
      goto fail;
    }
  }
  if (omnivox_engine_start_campaign(engine, "pbx", &err) != OMNIVOX_OK) goto fail;
  if (omnivox_engine_run_until_done(engine, 2LL * 24 * 3600 * 1000, &finished, &err) !=
      OMNIVOX_OK) {
    goto fail;
  }
  if (omnivox_engine_statistics(engine, "pbx", &st, &err) != OMNIVOX_OK) goto fail;
  printf(
      "pbx placed %ld calls; attempts %ld, connects %ld, sales %ld, busy %ld, no answer %ld, "
      "contacts final %lu/%lu\n",
      p.placed, (long)st.attempts, (long)st.connects, h.sales,
      (long)st.dispositions[OMNIVOX_DISPOSITION_BUSY],
      (long)st.dispositions[OMNIVOX_DISPOSITION_NO_ANSWER], (unsigned long)st.contacts_final,
      (unsigned long)st.contacts_total);
  omnivox_engine_destroy(engine);
  return finished && st.contacts_final == st.contacts_total && p.placed == st.attempts &&
                 h.sales == st.connects && h.attempts_finished == st.attempts
             ? 0
             : 1;

fail:
  fprintf(stderr, "c_telephony_host: %s\n", err != NULL ? err : "(no message)");
  omnivox_free(err);
  omnivox_engine_destroy(engine);
  return 1;
}
