/* A host that owns its event loop (docs/c-api.md, "A host's own event loop"): an engine on
 * OMNIVOX_CLOCK_HOST, no engine threads, driven by a poll() loop that waits for the engine's
 * wake-up descriptor and its next deadline and then calls omnivox_engine_run_due(). The fake PBX
 * answers every call from its own thread (report_call_event from there only queues and wakes the
 * loop). Every originate() must run on the loop's thread; the campaign must finish within a wall
 * limit. */
#define _XOPEN_SOURCE 700
#include <omnivox/omnivox.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CONTACTS 40
#define MAX_PENDING 64
#define WALL_LIMIT_MS 30000

typedef struct host {
  omnivox_engine* engine;
  pthread_t loop_thread;
  pthread_mutex_t mutex; /* guards the PBX queue and the counts */
  pthread_cond_t cv;
  omnivox_call_id to_answer[MAX_PENDING]; /* originated, for the PBX thread */
  int to_answer_count;
  int pbx_stop;
  long originates, off_loop_thread, in_wrap_up_count;
  omnivox_call_id wrap_up[MAX_PENDING]; /* calls in wrap-up, for the loop */
  int wrap_up_count;
} host;

static void report(host* h, omnivox_call_id call, int kind) {
  omnivox_call_event e = OMNIVOX_CALL_EVENT_INIT;
  e.call_id = call;
  e.kind = kind;
  omnivox_engine_report_call_event(h->engine, &e, NULL);
}

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The PBX's own thread: rings for a millisecond, then the callee answers. */
static void* pbx_thread(void* arg) {
  host* h = (host*)arg;
  pthread_mutex_lock(&h->mutex);
  for (;;) {
    omnivox_call_id call;
    while (h->to_answer_count == 0 && !h->pbx_stop) pthread_cond_wait(&h->cv, &h->mutex);
    if (h->to_answer_count == 0) break;
    call = h->to_answer[--h->to_answer_count];
    pthread_mutex_unlock(&h->mutex);
    sleep_ms(1);
    report(h, call, OMNIVOX_EVENT_INITIATED);
    report(h, call, OMNIVOX_EVENT_ANSWERED);
    pthread_mutex_lock(&h->mutex);
  }
  pthread_mutex_unlock(&h->mutex);
  return NULL;
}

static void tel_start(void* user_data, omnivox_engine* engine) {
  ((host*)user_data)->engine = engine;
}

static int tel_originate(void* user_data, const omnivox_originate_request* r) {
  host* h = (host*)user_data;
  pthread_mutex_lock(&h->mutex);
  ++h->originates;
  if (!pthread_equal(pthread_self(), h->loop_thread)) ++h->off_loop_thread;
  if (h->to_answer_count < MAX_PENDING) h->to_answer[h->to_answer_count++] = r->call_id;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mutex);
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

static void on_agent_state(void* user_data, const omnivox_agent_state_event* e) {
  host* h = (host*)user_data;
  if (e->to != OMNIVOX_AGENT_WRAP_UP || e->call_id == 0) return;
  pthread_mutex_lock(&h->mutex);
  if (h->wrap_up_count < MAX_PENDING) h->wrap_up[h->wrap_up_count++] = e->call_id;
  pthread_mutex_unlock(&h->mutex);
}

static int fail(const char* what, char* err) {
  fprintf(stderr, "host_loop_test: %s: %s\n", what, err != NULL ? err : "");
  omnivox_free(err);
  return 1;
}

/* The host-loop functions refuse an engine on another clock, and the host clock refuses
 * engine threads and run_for. */
static int misuse(void) {
  omnivox_engine_options o;
  omnivox_engine* e = NULL;
  int64_t ms = 0;
  int fd = 0;
  int bad = 0;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  if (omnivox_engine_create(&o, &e, NULL) != OMNIVOX_OK) return 1;
  bad |= omnivox_engine_next_deadline_ms(e, &ms, NULL) != OMNIVOX_ESTATE;
  bad |= omnivox_engine_run_due(e, NULL, NULL) != OMNIVOX_ESTATE;
  bad |= omnivox_engine_wakeup_fd(e, &fd, NULL) != OMNIVOX_ESTATE;
  bad |= fd != -1;
  omnivox_engine_destroy(e);
  o.clock_kind = OMNIVOX_CLOCK_HOST;
  if (omnivox_engine_create(&o, &e, NULL) != OMNIVOX_OK) return 1;
  bad |= omnivox_engine_start(e, 1, NULL) != OMNIVOX_ESTATE;
  bad |= omnivox_engine_run_for(e, 10, NULL) != OMNIVOX_ESTATE;
  bad |= omnivox_engine_run_until_done(e, 10, NULL, NULL) != OMNIVOX_ESTATE;
  bad |= omnivox_engine_next_deadline_ms(e, NULL, NULL) != OMNIVOX_EINVALID;
  bad |= omnivox_engine_next_deadline_ms(NULL, &ms, NULL) != OMNIVOX_EINVALID;
  bad |= omnivox_engine_run_due(e, NULL, NULL) != OMNIVOX_OK;
  omnivox_engine_destroy(e);
  if (bad) fprintf(stderr, "host_loop_test: misuse not refused as documented\n");
  return bad;
}

static void note(void* user_data) { ++*(int*)user_data; }

int main(void) {
  host h;
  pthread_t pbx;
  omnivox_telephony tel;
  omnivox_engine_options o;
  omnivox_callbacks cb = OMNIVOX_CALLBACKS_INIT;
  omnivox_statistics st;
  char* err = NULL;
  int i, fd = -1, ok, done = 0, noted = 0;
  long start, wakeups = 0, loops = 0, dispositions = 0;
  int64_t deadline, t;

  if (misuse()) return 1;

  memset(&h, 0, sizeof h);
  memset(&st, 0, sizeof st);
  h.loop_thread = pthread_self();
  pthread_mutex_init(&h.mutex, NULL);
  pthread_cond_init(&h.cv, NULL);

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
  o.clock_kind = OMNIVOX_CLOCK_HOST;
  o.decision_interval_ms = 20;
  if (omnivox_engine_create(&o, &h.engine, &err) != OMNIVOX_OK) return fail("create", err);
  if (omnivox_engine_wakeup_fd(h.engine, &fd, &err) != OMNIVOX_OK) return fail("fd", err);
  cb.user_data = &h;
  cb.on_agent_state = on_agent_state;
  if (omnivox_engine_set_callbacks(h.engine, &cb, &err) != OMNIVOX_OK) return fail("cb", err);

  /* A host timer set outside run_due: the descriptor wakes, the deadline is about 5 ms away,
   * and the timer fires only inside run_due. */
  {
    struct pollfd p;
    if (omnivox_engine_now(h.engine, &t, &err) != OMNIVOX_OK) return fail("now", err);
    if (omnivox_engine_schedule(h.engine, t + 5, note, &noted, NULL, &err) != OMNIVOX_OK) {
      return fail("schedule", err);
    }
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) return fail("not woken by schedule", NULL);
    if (omnivox_engine_next_deadline_ms(h.engine, &deadline, &err) != OMNIVOX_OK) {
      return fail("deadline", err);
    }
    if (deadline < 0 || deadline > 5) return fail("deadline out of 0..5 ms", NULL);
    if (noted != 0) return fail("timer fired outside run_due", NULL);
    sleep_ms(6);
    if (omnivox_engine_run_due(h.engine, NULL, &err) != OMNIVOX_OK) return fail("run_due", err);
    if (noted != 1) return fail("due timer did not fire in run_due", NULL);
    if (poll(&p, 1, 0) != 0) return fail("run_due left the descriptor readable", NULL);
  }

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
  pthread_create(&pbx, NULL, pbx_thread, &h);
  if (omnivox_engine_start_campaign(h.engine, "t", &err) != OMNIVOX_OK) return fail("go", err);
  for (i = 0; i < 2; ++i) {
    if (omnivox_engine_set_agent_state(h.engine, (omnivox_agent_id)i, OMNIVOX_AGENT_AVAILABLE,
                                       &err) != OMNIVOX_OK) {
      return fail("login", err);
    }
  }

  /* The host's loop. */
  start = now_ms();
  while (now_ms() - start < WALL_LIMIT_MS) {
    struct pollfd p;
    omnivox_call_id calls[MAX_PENDING];
    int n, timeout;
    ++loops;
    if (omnivox_engine_next_deadline_ms(h.engine, &deadline, &err) != OMNIVOX_OK) {
      return fail("deadline", err);
    }
    /* Capped so a lost wake-up shows as slowness, not a hang. */
    timeout = deadline < 0 || deadline > 1000 ? 1000 : (int)deadline;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, timeout) > 0 && (p.revents & POLLIN)) ++wakeups;
    if (omnivox_engine_run_due(h.engine, NULL, &err) != OMNIVOX_OK) return fail("run_due", err);
    /* The agents' dispositions, given by the loop between run_due calls. */
    pthread_mutex_lock(&h.mutex);
    n = h.wrap_up_count;
    memcpy(calls, h.wrap_up, sizeof calls[0] * (size_t)n);
    h.wrap_up_count = 0;
    pthread_mutex_unlock(&h.mutex);
    for (i = 0; i < n; ++i) {
      if (omnivox_engine_set_disposition(h.engine, calls[i], OMNIVOX_DISPOSITION_SALE, 0, &err) !=
          OMNIVOX_OK) {
        return fail("disposition", err);
      }
      ++dispositions;
    }
    if (omnivox_engine_statistics(h.engine, "t", &st, &err) != OMNIVOX_OK) return fail("st", err);
    if (st.contacts_final == CONTACTS && st.attempts_in_flight == 0 &&
        st.agents_by_state[OMNIVOX_AGENT_AVAILABLE] == 2) {
      done = 1;
      break;
    }
  }
  pthread_mutex_lock(&h.mutex);
  h.pbx_stop = 1;
  pthread_cond_signal(&h.cv);
  pthread_mutex_unlock(&h.mutex);
  pthread_join(pbx, NULL);
  omnivox_engine_destroy(h.engine);
  printf(
      "%s in %ld ms: originates %ld (off the loop thread %ld), dispositions %ld, contacts final "
      "%ld/%d, %ld loop turns, %ld wake-ups\n",
      done ? "finished" : "NOT finished", now_ms() - start, h.originates, h.off_loop_thread,
      dispositions, (long)st.contacts_final, CONTACTS, loops, wakeups);
  ok = done && h.originates == CONTACTS && h.off_loop_thread == 0 && dispositions == CONTACTS &&
       st.contacts_final == CONTACTS && wakeups > 0;
  return ok ? 0 : 1;
}
