/* The C API's threading contract (docs/c-api.md, "Threading and ownership"): with the engine on
 * its own threads, a host thread that holds its own lock while it calls a state-changing function
 * (set_disposition, set_agent_state) must not have the engine run originate() or a callback on
 * that thread, where originate() taking the same lock would deadlock. The host lock here is an
 * error-checking mutex: taking it on a thread that holds it returns EDEADLK instead of hanging,
 * and the test counts that. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <omnivox/omnivox.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CONTACTS 40
#define MAX_PENDING 64

typedef struct host {
  omnivox_engine* engine;
  pthread_t host_thread;
  pthread_mutex_t host_lock; /* the PBX's own lock, taken by originate() too */
  pthread_mutex_t counts;    /* guards the fields below */
  long originates, on_host_thread, deadlocks, dispositions;
  omnivox_call_id pending[MAX_PENDING]; /* calls in wrap-up, for the host thread */
  int pending_count;
} host;

static void report(host* h, omnivox_call_id call, int kind) {
  omnivox_call_event e = OMNIVOX_CALL_EVENT_INIT;
  e.call_id = call;
  e.kind = kind;
  omnivox_engine_report_call_event(h->engine, &e, NULL);
}

static void tel_start(void* user_data, omnivox_engine* engine) {
  ((host*)user_data)->engine = engine;
}

static int tel_originate(void* user_data, const omnivox_originate_request* r) {
  host* h = (host*)user_data;
  int rc = pthread_mutex_lock(&h->host_lock);
  if (rc == 0) pthread_mutex_unlock(&h->host_lock);
  pthread_mutex_lock(&h->counts);
  ++h->originates;
  if (rc == EDEADLK) ++h->deadlocks;
  if (pthread_equal(pthread_self(), h->host_thread)) ++h->on_host_thread;
  pthread_mutex_unlock(&h->counts);
  report(h, r->call_id, OMNIVOX_EVENT_INITIATED);
  report(h, r->call_id, OMNIVOX_EVENT_ANSWERED);
  return 0;
}

static void tel_hangup(void* user_data, omnivox_call_id call) {
  report((host*)user_data, call, OMNIVOX_EVENT_COMPLETED);
}

static void tel_bridge(void* user_data, omnivox_call_id call, omnivox_agent_id agent) {
  (void)agent;
  report((host*)user_data, call, OMNIVOX_EVENT_BRIDGED);
  report((host*)user_data, call, OMNIVOX_EVENT_COMPLETED);
}

static void tel_play(void* user_data, omnivox_call_id call, const char* message) {
  (void)user_data;
  (void)call;
  (void)message;
}

/* On an engine thread: hands the call in wrap-up to the host thread. */
static void on_agent_state(void* user_data, const omnivox_agent_state_event* e) {
  host* h = (host*)user_data;
  if (e->to != OMNIVOX_AGENT_WRAP_UP || e->call_id == 0) return;
  pthread_mutex_lock(&h->counts);
  if (h->pending_count < MAX_PENDING) h->pending[h->pending_count++] = e->call_id;
  pthread_mutex_unlock(&h->counts);
}

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

static int fail(const char* what, char* err) {
  fprintf(stderr, "threading_test: %s: %s\n", what, err != NULL ? err : "");
  omnivox_free(err);
  return 1;
}

int main(void) {
  host h;
  pthread_mutexattr_t attr;
  omnivox_telephony tel;
  omnivox_engine_options o;
  omnivox_callbacks cb = OMNIVOX_CALLBACKS_INIT;
  omnivox_statistics st;
  char* err = NULL;
  int i, waited, ok;

  memset(&h, 0, sizeof h);
  h.host_thread = pthread_self();
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&h.host_lock, &attr);
  pthread_mutex_init(&h.counts, NULL);

  memset(&tel, 0, sizeof tel);
  tel.version = OMNIVOX_TELEPHONY_VERSION;
  tel.user_data = &h;
  tel.start = tel_start;
  tel.originate = tel_originate;
  tel.hangup = tel_hangup;
  tel.bridge = tel_bridge;
  tel.play = tel_play;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.telephony_kind = OMNIVOX_TELEPHONY_CUSTOM;
  o.telephony = &tel;
  o.clock_kind = OMNIVOX_CLOCK_SYSTEM;
  o.decision_interval_ms = 20;
  if (omnivox_engine_create(&o, &h.engine, &err) != OMNIVOX_OK) return fail("create", err);
  cb.user_data = &h;
  cb.on_agent_state = on_agent_state;
  if (omnivox_engine_set_callbacks(h.engine, &cb, &err) != OMNIVOX_OK) return fail("cb", err);
  if (omnivox_engine_add_campaign(h.engine,
                                  "{\"id\": \"t\", \"dial_mode\": \"PROGRESSIVE\","
                                  " \"compliance\": \"NONE\", \"call_window\": \"00:00-24:00\","
                                  " \"max_attempts\": 1, \"default_region\": \"US\"}",
                                  NULL, NULL, &err) != OMNIVOX_OK) {
    return fail("campaign", err);
  }
  for (i = 0; i < 2; ++i) {
    if (omnivox_engine_add_agent(h.engine, "t", i == 0 ? "ada" : "bob", 0, NULL, &err) !=
        OMNIVOX_OK) {
      return fail("agent", err);
    }
  }
  for (i = 0; i < CONTACTS; ++i) {
    char number[32];
    const char* numbers[1];
    sprintf(number, "+1212555%04d", 6000 + i);
    numbers[0] = number;
    if (omnivox_engine_add_contact(h.engine, "t", NULL, numbers, 1, NULL, &err) != OMNIVOX_OK) {
      return fail("contact", err);
    }
  }
  if (omnivox_engine_start(h.engine, 2, &err) != OMNIVOX_OK) return fail("start", err);
  if (omnivox_engine_start_campaign(h.engine, "t", &err) != OMNIVOX_OK) return fail("go", err);
  /* The agents log in, and every disposition is given, from this thread under the host lock. */
  pthread_mutex_lock(&h.host_lock);
  for (i = 0; i < 2; ++i) {
    if (omnivox_engine_set_agent_state(h.engine, (omnivox_agent_id)i, OMNIVOX_AGENT_AVAILABLE,
                                       &err) != OMNIVOX_OK) {
      return fail("login", err);
    }
  }
  pthread_mutex_unlock(&h.host_lock);
  /* A bounded wait (at most 30 s; well under a second expected), not a timed assertion. */
  for (waited = 0; waited < 3000; ++waited) {
    omnivox_call_id calls[MAX_PENDING];
    int n;
    pthread_mutex_lock(&h.host_lock);
    pthread_mutex_lock(&h.counts);
    n = h.pending_count;
    memcpy(calls, h.pending, sizeof calls[0] * (size_t)n);
    h.pending_count = 0;
    pthread_mutex_unlock(&h.counts);
    for (i = 0; i < n; ++i) {
      if (omnivox_engine_set_disposition(h.engine, calls[i], OMNIVOX_DISPOSITION_SALE, 0, &err) !=
          OMNIVOX_OK) {
        pthread_mutex_unlock(&h.host_lock);
        return fail("disposition", err);
      }
      ++h.dispositions;
    }
    pthread_mutex_unlock(&h.host_lock);
    if (omnivox_engine_statistics(h.engine, "t", &st, &err) != OMNIVOX_OK) return fail("st", err);
    if (st.contacts_final == CONTACTS && st.attempts_in_flight == 0 &&
        st.agents_by_state[OMNIVOX_AGENT_AVAILABLE] == 2) {
      break;
    }
    sleep_ms(10);
  }
  omnivox_engine_stop(h.engine, NULL);
  omnivox_engine_destroy(h.engine);
  printf(
      "originates %ld (on the host thread %ld, host lock re-taken %ld), dispositions %ld, "
      "contacts final %ld/%d\n",
      h.originates, h.on_host_thread, h.deadlocks, h.dispositions, (long)st.contacts_final,
      CONTACTS);
  ok = h.originates == CONTACTS && h.on_host_thread == 0 && h.deadlocks == 0 &&
       h.dispositions == CONTACTS && st.contacts_final == CONTACTS;
  return ok ? 0 : 1;
}
