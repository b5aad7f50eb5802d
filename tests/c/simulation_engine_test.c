/* The engine handle of a simulation (omnivox_simulation_engine): a simulation driven through the
 * omnivox_engine_* functions, the same state seen through both handles, and the borrowed handle
 * refused by omnivox_engine_destroy. Strict C99 plus POSIX (dup/dup2 to read the refusal off
 * stderr). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "check.h"
#include "omnivox/omnivox.h"

static const char* kCampaign =
    "{\n"
    "  \"id\": \"sim-engine\",\n"
    "  \"dial_mode\": \"POWER\",\n"
    "  \"power_lines_per_agent\": 1.5,\n"
    "  \"agents\": 2,\n"
    "  \"start\": \"2026-05-04T13:00:00Z\",\n"
    "  \"max_attempts\": 2,\n"
    "  \"default_region\": \"US\",\n"
    "  \"simulation\": {\"seed\": 11, \"p_live\": 0.5, \"talk_s\": {\"exponential\": 60},\n"
    "                  \"wrap_up_s\": 5}\n"
    "}\n";

#define CONTACTS 40

static long attempts_finished = 0;

static void on_attempt(void* user_data, const omnivox_attempt_event* e) {
  (void)user_data;
  if (strcmp(e->campaign_id, "sim-engine") == 0) ++attempts_finished;
}

/* Calls omnivox_engine_destroy(engine) with stderr sent to a temporary file; returns what it
 * wrote (malloc'ed, possibly empty) or NULL if stderr could not be redirected. */
static char* destroy_capturing_stderr(omnivox_engine* engine) {
  FILE* tmp = tmpfile();
  int saved;
  off_t size;
  char* text;
  ssize_t got;
  if (tmp == NULL) return NULL;
  fflush(stderr);
  saved = dup(2);
  if (saved < 0 || dup2(fileno(tmp), 2) < 0) {
    fclose(tmp);
    return NULL;
  }
  omnivox_engine_destroy(engine);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  /* The library wrote through the descriptor: read it back the same way. */
  size = lseek(fileno(tmp), 0, SEEK_END);
  text = size >= 0 ? (char*)malloc((size_t)size + 1) : NULL;
  if (text == NULL || lseek(fileno(tmp), 0, SEEK_SET) != 0) {
    free(text);
    fclose(tmp);
    return NULL;
  }
  got = read(fileno(tmp), text, (size_t)size);
  text[got > 0 ? got : 0] = '\0';
  fclose(tmp);
  return text;
}

int main(void) {
  omnivox_simulation* sim = NULL;
  omnivox_engine* engine = NULL;
  omnivox_engine* again = NULL;
  omnivox_callbacks cb = OMNIVOX_CALLBACKS_INIT;
  omnivox_statistics est;
  omnivox_statistics sst;
  omnivox_agent_id added[2];
  omnivox_agent_id* agents = NULL;
  size_t agent_count = 0;
  char* campaign = NULL;
  char* captured;
  int64_t t0 = 0, t1 = 0, ts = 0;
  int state = -1;
  int i, in_states = 0, finished = 0;

  CHECK_OK(omnivox_simulation_create(kCampaign, NULL, &sim, &err_));
  CHECK(sim != NULL);
  if (sim == NULL) return 1;

  /* Argument checks. */
  CHECK_ERR(OMNIVOX_EINVALID, "'sim'", omnivox_simulation_engine(NULL, &engine, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'out'", omnivox_simulation_engine(sim, NULL, &err));

  CHECK_OK(omnivox_simulation_engine(sim, &engine, &err_));
  CHECK(engine != NULL);
  if (engine == NULL) return 1;
  CHECK_OK(omnivox_simulation_engine(sim, &again, &err_));
  CHECK(again == engine); /* one engine per simulation */
  CHECK_OK(omnivox_simulation_campaign_id(sim, &campaign, &err_));
  CHECK(campaign != NULL && strcmp(campaign, "sim-engine") == 0);
  CHECK_ERR(OMNIVOX_ENOTFOUND, "no-such", omnivox_engine_statistics(engine, "no-such", &est, &err));

  /* Drive the simulation through the engine handle: agents, contacts, callbacks, run. */
  cb.on_attempt_finished = on_attempt;
  CHECK_OK(omnivox_engine_set_callbacks(engine, &cb, &err_));
  CHECK_OK(omnivox_engine_add_agent(engine, campaign, "extra-1", 1, &added[0], &err_));
  CHECK_OK(omnivox_engine_add_agent(engine, campaign, "extra-2", 1, &added[1], &err_));
  CHECK_OK(omnivox_engine_agent_state(engine, added[0], &state, &err_));
  CHECK(state == OMNIVOX_AGENT_AVAILABLE);
  /* The simulation's own agents ("agents": 2) are the engine's too. */
  CHECK_OK(omnivox_simulation_agents(sim, &agents, &agent_count, &err_));
  CHECK(agent_count == 2);
  if (agent_count == 2) {
    CHECK_OK(omnivox_engine_agent_state(engine, agents[0], &state, &err_));
    CHECK(state == OMNIVOX_AGENT_AVAILABLE);
  }
  omnivox_free(agents);
  for (i = 0; i < CONTACTS; ++i) {
    char number[32];
    const char* numbers[1];
    sprintf(number, "+1212555%04d", 2000 + i);
    numbers[0] = number;
    CHECK_OK(omnivox_engine_add_contact(engine, campaign, NULL, numbers, 1, NULL, &err_));
  }

  CHECK_OK(omnivox_engine_now(engine, &t0, &err_));
  CHECK(t0 == 1777899600000LL); /* the campaign file's "start", 2026-05-04T13:00:00Z */
  CHECK_OK(omnivox_engine_start_campaign(engine, campaign, &err_));
  CHECK_OK(omnivox_engine_run_for(engine, 600000, &err_)); /* ten virtual minutes */
  CHECK_OK(omnivox_engine_now(engine, &t1, &err_));
  CHECK(t1 - t0 == 600000);
  CHECK_OK(omnivox_simulation_now(sim, &ts, &err_));
  CHECK(ts == t1);

  CHECK_OK(omnivox_engine_statistics(engine, campaign, &est, &err_));
  CHECK(est.contacts_total == CONTACTS);
  CHECK(est.attempts > 0);
  CHECK(attempts_finished > 0);
  CHECK(attempts_finished <= est.attempts);
  CHECK(est.agent_state_count <= OMNIVOX_STATISTICS_MAX_AGENT_STATES);
  for (i = 0; i < (int)est.agent_state_count; ++i) in_states += est.agents_by_state[i];
  CHECK(in_states == 4); /* two from the file, two added through the engine handle */
  /* The simulation's statistics are the engine's. */
  CHECK_OK(omnivox_simulation_statistics(sim, &sst, &err_));
  CHECK(sst.attempts == est.attempts);
  CHECK(sst.contacts_total == est.contacts_total);
  CHECK(sst.at_ms == est.at_ms);

  /* A virtual clock has no engine-owned threads. */
  CHECK_ERR(OMNIVOX_ESTATE, "virtual clock", omnivox_engine_start(engine, 1, &err));

  /* The borrowed handle outlives omnivox_engine_destroy: refused, with the rule in the log. */
  captured = destroy_capturing_stderr(engine);
  CHECK(captured != NULL);
  if (captured != NULL) {
    CHECK(strstr(captured, "omnivox_engine_destroy: refused") != NULL);
    CHECK(strstr(captured, "omnivox_simulation_destroy") != NULL);
    free(captured);
  }
  CHECK_OK(omnivox_engine_now(engine, &t1, &err_));
  CHECK_OK(omnivox_engine_run_until_done(engine, 3600000, &finished, &err_));
  CHECK_OK(omnivox_engine_statistics(engine, campaign, &est, &err_));
  CHECK(est.attempts >= sst.attempts);

  /* Destroying the simulation ends the engine handle with it. */
  omnivox_simulation_destroy(sim);
  CHECK_ERR(OMNIVOX_EINVALID, "not a live", omnivox_engine_now(engine, &t1, &err));
  omnivox_engine_destroy(engine); /* a dead handle: a no-op */
  omnivox_free(campaign);

  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("simulation engine handle: all checks passed\n");
  return 0;
}
