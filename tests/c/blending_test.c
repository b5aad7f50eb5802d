/* Tests of the C API's inbound queues, agents' skills and blending (omnivox_engine_add_inbound_
 * queue, _set_agent_skills, _set_agent_skills2, _set_blending, _inbound_statistics): a simulated
 * engine whose callers reach a queue its skilled agents answer, agents shared by two campaigns,
 * and misuse. Strict C99. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "omnivox/omnivox.h"

#define START_MS 1777899600000LL /* 2026-05-04T13:00:00Z */
#define HOUR_MS (3600LL * 1000)
#define DID "+15550100001"

/* A campaign with no contacts and a simulated world whose callers dial DID at 40 an hour for an
 * hour (5-minute services, 2-minute patience on average). */
static const char* kCampaign =
    "{\"id\": \"out\", \"dial_mode\": \"PROGRESSIVE\", \"default_region\": \"US\","
    " \"simulation\": {\"seed\": 5, \"wrap_up_s\": 0, \"inbound\": [{\"number\": \"" DID
    "\","
    " \"start\": \"2026-05-04T13:00:00Z\", \"periods\": [{\"hours\": 1, \"calls_per_hour\": 40}],"
    " \"service_s\": {\"exponential\": 300}, \"patience_s\": {\"exponential\": 120}}]}}";

typedef struct counts {
  long inbound;  /* records of calls to the queue */
  long outbound; /* records of the campaign's calls */
} counts;

static void on_attempt(void* user_data, const omnivox_attempt_event* e) {
  counts* c = (counts*)user_data;
  if (strcmp(e->campaign_id, "help") == 0) {
    ++c->inbound;
  } else {
    ++c->outbound;
  }
}

/* A simulated engine with kCampaign added, reporting finished attempts to `on_finished`; NULL
 * (and a failed check) if it could not be made. */
static omnivox_engine* blend_engine(void (*on_finished)(void*, const omnivox_attempt_event*),
                                    void* user_data) {
  omnivox_engine_options o;
  omnivox_engine* engine = NULL;
  omnivox_callbacks cb = OMNIVOX_CALLBACKS_INIT;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.simulation_json = kCampaign;
  o.start_ms = START_MS;
  CHECK_OK(omnivox_engine_create(&o, &engine, &err_));
  if (engine == NULL) return NULL;
  cb.user_data = user_data;
  cb.on_attempt_finished = on_finished;
  CHECK_OK(omnivox_engine_set_callbacks(engine, &cb, &err_));
  CHECK_OK(omnivox_engine_add_campaign(engine, kCampaign, NULL, NULL, &err_));
  return engine;
}

static void test_inbound_queue(void) {
  omnivox_engine* engine;
  omnivox_inbound_queue q = OMNIVOX_INBOUND_QUEUE_INIT;
  omnivox_blending b = OMNIVOX_BLENDING_INIT;
  omnivox_inbound_statistics s = OMNIVOX_INBOUND_STATISTICS_INIT;
  const char* numbers[1] = {DID};
  const char* queues[1] = {"help"};
  const int priorities[1] = {2};
  omnivox_agent_id agents[3];
  counts c = {0, 0};
  int i;

  engine = blend_engine(on_attempt, &c);
  if (engine == NULL) return;
  q.id = "help";
  q.numbers = numbers;
  q.number_count = 1;
  q.answer_within_ms = 30000;
  CHECK_OK(omnivox_engine_add_inbound_queue(engine, &q, &err_));
  for (i = 0; i < 3; ++i) {
    CHECK_OK(omnivox_engine_add_agent(engine, "out", "agent", 1, &agents[i], &err_));
    /* two inbound-only agents and one blended one */
    CHECK_OK(omnivox_engine_set_agent_skills(engine, agents[i], queues, i == 0 ? priorities : NULL,
                                             1, i == 2, &err_));
  }
  b.rule = OMNIVOX_BLENDING_THRESHOLD;
  b.reserve = 1;
  CHECK_OK(omnivox_engine_set_blending(engine, "out", &b, &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "out", &err_));
  CHECK_OK(omnivox_engine_run_for(engine, 3 * HOUR_MS, &err_));

  CHECK_OK(omnivox_engine_inbound_statistics(engine, "help", &s, &err_));
  CHECK(s.version == OMNIVOX_INBOUND_STATISTICS_VERSION);
  CHECK(s.offered > 20 && s.offered < 70);
  CHECK(s.answered > 10);
  CHECK(s.waiting == 0);
  CHECK(s.offered == s.answered + s.abandoned);
  CHECK(s.answered_within <= s.answered && s.abandoned_within <= s.abandoned);
  CHECK(s.service_level > 0 && s.service_level <= 1);
  CHECK(s.asa_seconds >= 0 && s.handle_seconds > 0);
  CHECK(s.abandon_rate >= 0 && s.abandon_rate < 1);
  /* every call the queue ended is reported under the queue's id; the campaign had no contacts */
  CHECK(c.inbound == s.offered);
  CHECK(c.outbound == 0);
  printf("  queue help: %ld offered, %ld answered, %ld abandoned, service level %.3f, ASA %.1f s\n",
         (long)s.offered, (long)s.answered, (long)s.abandoned, s.service_level, s.asa_seconds);

  /* misuse */
  {
    omnivox_inbound_queue bad = OMNIVOX_INBOUND_QUEUE_INIT;
    omnivox_blending bad_b = OMNIVOX_BLENDING_INIT;
    omnivox_inbound_statistics bad_s = OMNIVOX_INBOUND_STATISTICS_INIT;
    const char* bad_numbers[1] = {"12345"};
    bad.version = 0;
    bad.id = "x";
    CHECK_ERR(OMNIVOX_EINVALID, "omnivox_inbound_queue",
              omnivox_engine_add_inbound_queue(engine, &bad, &err));
    bad.version = OMNIVOX_INBOUND_QUEUE_VERSION;
    bad.id = "";
    CHECK_ERR(OMNIVOX_ECONFIG, "id", omnivox_engine_add_inbound_queue(engine, &bad, &err));
    bad.id = "x";
    bad.answer_within_ms = -1;
    CHECK_ERR(OMNIVOX_ECONFIG, "answer_within_ms",
              omnivox_engine_add_inbound_queue(engine, &bad, &err));
    bad.answer_within_ms = 0;
    bad.service_level_target = 1.5;
    CHECK_ERR(OMNIVOX_ECONFIG, "service_level_target",
              omnivox_engine_add_inbound_queue(engine, &bad, &err));
    bad.service_level_target = 0.8;
    bad.numbers = bad_numbers;
    bad.number_count = 1;
    CHECK_ERR(OMNIVOX_EINVALID, "queue->numbers[0]",
              omnivox_engine_add_inbound_queue(engine, &bad, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "queue", omnivox_engine_add_inbound_queue(engine, NULL, &err));
    CHECK_ERR(OMNIVOX_ENOTFOUND, "agent",
              omnivox_engine_set_agent_skills(engine, 999, queues, NULL, 1, 1, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "queues",
              omnivox_engine_set_agent_skills(engine, agents[0], NULL, NULL, 1, 1, &err));
    bad_b.rule = 7;
    CHECK_ERR(OMNIVOX_EINVALID, "rule", omnivox_engine_set_blending(engine, "out", &bad_b, &err));
    bad_b.rule = OMNIVOX_BLENDING_THRESHOLD;
    bad_b.reserve = -1;
    CHECK_ERR(OMNIVOX_ECONFIG, "reserve", omnivox_engine_set_blending(engine, "out", &bad_b, &err));
    bad_b.reserve = 0;
    CHECK_ERR(OMNIVOX_ENOTFOUND, "nope", omnivox_engine_set_blending(engine, "nope", &bad_b, &err));
    CHECK_ERR(OMNIVOX_ENOTFOUND, "nope",
              omnivox_engine_inbound_statistics(engine, "nope", &bad_s, &err));
    bad_s.version = 0;
    CHECK_ERR(OMNIVOX_EINVALID, "omnivox_inbound_statistics",
              omnivox_engine_inbound_statistics(engine, "help", &bad_s, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "engine", omnivox_engine_add_inbound_queue(NULL, &q, &err));
  }
  omnivox_engine_destroy(engine);
}

/* Bridged calls by campaign, and by whom. */
typedef struct shared_counts {
  long bridged_out, bridged_second, by_others;
  omnivox_agent_id shared[2];
} shared_counts;

static void on_shared_attempt(void* user_data, const omnivox_attempt_event* e) {
  shared_counts* c = (shared_counts*)user_data;
  if (e->bridged_at_ms == 0) return;
  if (strcmp(e->campaign_id, "second") == 0) {
    ++c->bridged_second;
  } else {
    ++c->bridged_out;
  }
  if (e->agent != c->shared[0] && e->agent != c->shared[1]) ++c->by_others;
}

static void test_agents_shared_by_campaigns(void) {
  omnivox_engine* engine;
  omnivox_agent_skills k = OMNIVOX_AGENT_SKILLS_INIT;
  const char* campaigns[1] = {"second"};
  const int priorities[1] = {1};
  shared_counts c = {0, 0, 0, {0, 0}};
  char number[16];
  int i;

  engine = blend_engine(on_shared_attempt, &c);
  if (engine == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(
      engine, "{\"id\": \"second\", \"dial_mode\": \"PROGRESSIVE\", \"default_region\": \"US\"}",
      NULL, NULL, &err_));
  for (i = 0; i < 40; ++i) {
    const char* numbers[1];
    snprintf(number, sizeof number, "+1212%07d", 2000000 + i);
    numbers[0] = number;
    CHECK_OK(omnivox_engine_add_contact(engine, "second", NULL, numbers, 1, NULL, &err_));
  }
  /* Two agents of "out" (which has no contacts) that also take "second"'s calls. */
  for (i = 0; i < 2; ++i) {
    CHECK_OK(omnivox_engine_add_agent(engine, "out", "agent", 1, &c.shared[i], &err_));
  }
  k.campaigns = campaigns;
  k.campaign_priorities = priorities;
  k.campaign_count = 1;
  CHECK_OK(omnivox_engine_set_agent_skills2(engine, c.shared[0], &k, &err_));
  CHECK_OK(omnivox_engine_set_agent_skills2(engine, c.shared[1], &k, &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "out", &err_));
  CHECK_OK(omnivox_engine_start_campaign(engine, "second", &err_));
  CHECK_OK(omnivox_engine_run_for(engine, 8 * HOUR_MS, &err_));
  printf("  shared agents: %ld bridged calls of \"second\", %ld of \"out\"\n", c.bridged_second,
         c.bridged_out);
  CHECK(c.bridged_second > 5);
  CHECK(c.bridged_out == 0);
  CHECK(c.by_others == 0);

  /* misuse */
  {
    omnivox_agent_skills bad = OMNIVOX_AGENT_SKILLS_INIT;
    const char* unknown[1] = {"nope"};
    const char* twice[2] = {"second", "second"};
    bad.version = 0;
    CHECK_ERR(OMNIVOX_EINVALID, "omnivox_agent_skills",
              omnivox_engine_set_agent_skills2(engine, c.shared[0], &bad, &err));
    bad.version = OMNIVOX_AGENT_SKILLS_VERSION;
    CHECK_ERR(OMNIVOX_EINVALID, "skills",
              omnivox_engine_set_agent_skills2(engine, c.shared[0], NULL, &err));
    bad.campaign_count = 1;
    CHECK_ERR(OMNIVOX_EINVALID, "campaigns",
              omnivox_engine_set_agent_skills2(engine, c.shared[0], &bad, &err));
    bad.campaigns = unknown;
    CHECK_ERR(OMNIVOX_ENOTFOUND, "nope",
              omnivox_engine_set_agent_skills2(engine, c.shared[0], &bad, &err));
    bad.campaigns = twice;
    bad.campaign_count = 2;
    CHECK_ERR(OMNIVOX_ECONFIG, "twice",
              omnivox_engine_set_agent_skills2(engine, c.shared[0], &bad, &err));
    bad.campaign_count = 1;
    bad.outbound = 0;
    CHECK_ERR(OMNIVOX_ECONFIG, "no outbound",
              omnivox_engine_set_agent_skills2(engine, c.shared[0], &bad, &err));
    CHECK_ERR(OMNIVOX_ENOTFOUND, "agent", omnivox_engine_set_agent_skills2(engine, 999, &k, &err));
  }
  omnivox_engine_destroy(engine);
}

int main(void) {
  test_inbound_queue();
  test_agents_shared_by_campaigns();
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("PASS: C API inbound queues, skills and blending\n");
  return 0;
}
