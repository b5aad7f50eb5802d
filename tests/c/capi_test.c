/* Tests of the C API (include/omnivox/omnivox.h), compiled as strict C99. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "omnivox/omnivox.h"

#ifndef OMNIVOX_TEST_DATA_DIR
#define OMNIVOX_TEST_DATA_DIR "tests/data"
#endif

static const char* kCampaign =
    "{\n"
    "  \"id\": \"capi\",\n"
    "  \"dial_mode\": \"POWER\",\n"
    "  \"power_lines_per_agent\": 1.5,\n"
    "  \"agents\": 3,\n"
    "  \"start\": \"2026-05-04T13:00:00Z\",\n"
    "  \"max_attempts\": 3,\n"
    "  \"default_region\": \"US\",\n"
    "  \"simulation\": {\"seed\": 5, \"p_live\": 0.4, \"talk_s\": {\"exponential\": 60},\n"
    "                  \"wrap_up_s\": 5}\n"
    "}\n";

#define CONTACTS 50

struct counters {
  long call_state;
  long agent_state;
  long pacing;
  long attempts;
  long attempts_bad; /* attempt events that look wrong */
  long dispositions[OMNIVOX_DISPOSITION_COUNT];
  long manual_dispositions; /* set_disposition calls from the callback that succeeded */
  int run_from_callback_rc;
  omnivox_simulation* sim;
};

static void on_call_state(void* user_data, const omnivox_call_state_event* e) {
  struct counters* c = (struct counters*)user_data;
  ++c->call_state;
  if (e->call_id == 0 || strcmp(e->campaign_id, "capi") != 0) ++c->attempts_bad;
}

static void on_agent_state(void* user_data, const omnivox_agent_state_event* e) {
  struct counters* c = (struct counters*)user_data;
  ++c->agent_state;
  if (c->run_from_callback_rc == 1) { /* once: running from a callback is refused */
    char* err = NULL;
    c->run_from_callback_rc = omnivox_simulation_run_for(c->sim, 1000, &err);
    omnivox_free(err);
  }
  /* The host's agents disposition the first few calls themselves (as SALE). */
  if (e->to == OMNIVOX_AGENT_WRAP_UP && e->call_id != 0 && c->manual_dispositions < 3) {
    if (omnivox_simulation_set_disposition(c->sim, e->call_id, OMNIVOX_DISPOSITION_SALE, 0, NULL) ==
        OMNIVOX_OK) {
      ++c->manual_dispositions;
    }
  }
}

static void on_pacing(void* user_data, const omnivox_pacing_event* e) {
  struct counters* c = (struct counters*)user_data;
  ++c->pacing;
  if (e->launched > e->requested || e->policy == NULL) ++c->attempts_bad;
}

static void on_attempt(void* user_data, const omnivox_attempt_event* e) {
  struct counters* c = (struct counters*)user_data;
  ++c->attempts;
  if (e->state < OMNIVOX_CALL_COMPLETED || e->state >= OMNIVOX_CALL_STATE_COUNT ||
      e->number == NULL || e->number[0] != '+' || strcmp(e->campaign_id, "capi") != 0 ||
      e->attempt_number < 1 || e->attempt_number > 3 || e->ended_at_ms < e->created_at_ms) {
    ++c->attempts_bad;
  }
  if (e->disposition >= 0 && e->disposition < OMNIVOX_DISPOSITION_COUNT) {
    ++c->dispositions[e->disposition];
  } else {
    ++c->attempts_bad;
  }
}

static void test_names_and_erlang(void) {
  omnivox_erlang_b_result b;
  omnivox_erlang_c_input in = OMNIVOX_ERLANG_C_INPUT_INIT;
  omnivox_erlang_c_result c;

  CHECK(strcmp(omnivox_status_name(OMNIVOX_EINVALID), "EINVALID") == 0);
  CHECK(strcmp(omnivox_status_name(12345), "UNKNOWN") == 0);
  CHECK(strcmp(omnivox_agent_state_name(OMNIVOX_AGENT_WRAP_UP), "WRAP_UP") == 0);
  CHECK(strcmp(omnivox_disposition_name(OMNIVOX_DISPOSITION_NO_ANSWER), "NO_ANSWER") == 0);
  CHECK(strcmp(omnivox_call_state_name(OMNIVOX_CALL_BRIDGED), "BRIDGED") == 0);
  CHECK(strcmp(omnivox_ineligibility_name(OMNIVOX_INELIGIBLE_OUTSIDE_CALL_WINDOW),
               "outside_call_window") == 0);
  CHECK(strcmp(omnivox_disposition_name(-1), "UNKNOWN") == 0);
  omnivox_free(NULL);

  CHECK_OK(omnivox_erlang_b(15, 8.108, &b, &err_));
  CHECK(fabs(b.blocking - 0.01) < 1e-4);
  CHECK(fabs(b.carried_traffic_erlangs - 8.108 * (1 - b.blocking)) < 1e-9);
  CHECK_ERR(OMNIVOX_EINVALID, "lines", omnivox_erlang_b(-1, 1.0, &b, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'out'", omnivox_erlang_b(1, 1.0, NULL, &err));

  in.calls = 360;
  in.interval_s = 1800;
  in.aht_s = 240;
  in.agents = 55;
  in.answer_within_s = 20;
  CHECK_OK(omnivox_erlang_c(&in, &c, &err_));
  CHECK(fabs(c.p_wait - 0.2387) < 1e-3);
  CHECK(fabs(c.service_level - 0.8668) < 1e-3);
  CHECK(fabs(c.asa_s - 8.18) < 1e-2);
  CHECK(fabs(c.traffic_erlangs - 48.0) < 1e-9);
  CHECK_ERR(OMNIVOX_EINVALID, "'input'", omnivox_erlang_c(NULL, &c, &err));
  in.agents = 0;
  CHECK_ERR(OMNIVOX_EINVALID, "agents", omnivox_erlang_c(&in, &c, &err));
  /* A NULL errptr is allowed. */
  CHECK(omnivox_erlang_b(-1, 1.0, &b, NULL) == OMNIVOX_EINVALID);
}

static void test_create_errors(void) {
  omnivox_simulation* sim = (omnivox_simulation*)&failures; /* must be reset to NULL */
  char* err = NULL;

  CHECK_ERR(OMNIVOX_EINVALID, "campaign_json", omnivox_simulation_create(NULL, NULL, &sim, &err));
  CHECK(sim == NULL);
  CHECK_ERR(OMNIVOX_EINVALID, "'out'", omnivox_simulation_create(kCampaign, NULL, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "UTF-8",
            omnivox_simulation_create("{\"id\": \"\xff\xfe\"}", NULL, &sim, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "base_dir",
            omnivox_simulation_create(kCampaign, "\xc0\xaf", &sim, &err));
  CHECK_ERR(OMNIVOX_ECONFIG, "", omnivox_simulation_create("{ not json", NULL, &sim, &err));
  CHECK_ERR(OMNIVOX_ECONFIG, "no_such_key",
            omnivox_simulation_create("{\"no_such_key\": 1}", NULL, &sim, &err));
  CHECK_ERR(OMNIVOX_ECONFIG, "max_attempts",
            omnivox_simulation_create("{\"max_attempts\": \"three\"}", NULL, &sim, &err));
  CHECK(sim == NULL);

  /* An earlier message in *errptr is freed and replaced (no leak under ASan/valgrind). */
  CHECK(omnivox_simulation_create(NULL, NULL, &sim, &err) == OMNIVOX_EINVALID);
  CHECK(omnivox_simulation_create("{ not json", NULL, &sim, &err) == OMNIVOX_ECONFIG);
  CHECK(err != NULL && strstr(err, "campaign_json") != NULL);
  omnivox_free(err);

  omnivox_simulation_destroy(NULL);
}

/* The contacts file of tests/data/small_campaign.json, found through base_dir. */
static void test_import(void) {
  omnivox_simulation* sim = NULL;
  omnivox_import_report report;
  char* summary = NULL;
  int finished = 0;
  omnivox_statistics st;
  FILE* f = fopen(OMNIVOX_TEST_DATA_DIR "/small_campaign.json", "rb");
  char json[4096];
  size_t n;

  CHECK(f != NULL);
  if (f == NULL) return;
  n = fread(json, 1, sizeof json - 1, f);
  fclose(f);
  json[n] = '\0';

  CHECK_OK(omnivox_simulation_create(json, OMNIVOX_TEST_DATA_DIR, &sim, &err_));
  CHECK(sim != NULL);
  if (sim == NULL) return;
  CHECK_ERR(
      OMNIVOX_EIO, "no-such-file.csv",
      omnivox_simulation_import_contacts(sim, "/nonexistent/no-such-file.csv", NULL, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "csv_path",
            omnivox_simulation_import_contacts(sim, "\xed\xa0\x80.csv", NULL, NULL, &err));
  CHECK_OK(omnivox_simulation_import_contacts(sim, NULL, &report, &summary, &err_));
  CHECK(report.rows_loaded > 0);
  CHECK(report.rows_rejected > 0); /* the file has bad rows on purpose */
  CHECK(report.rows_read == report.rows_loaded + report.rows_rejected);
  CHECK(summary != NULL && strstr(summary, "loaded") != NULL);
  omnivox_free(summary);

  CHECK_OK(omnivox_simulation_start(sim, &err_));
  CHECK_OK(omnivox_simulation_run_until_done(sim, 0, &finished, &err_));
  CHECK(finished == 1);
  CHECK_OK(omnivox_simulation_statistics(sim, &st, &err_));
  CHECK(st.contacts_total == report.rows_loaded);
  CHECK(st.contacts_final == st.contacts_total);
  CHECK(st.attempts > 0);
  omnivox_simulation_destroy(sim);
}

/* Agent statistics of a finished simulation: the times add up to the logged-in time, the calls
 * handled to the campaign's connects, the intervals to the totals; bad arguments are refused. */
static void check_agent_statistics(omnivox_simulation* sim, const omnivox_statistics* st) {
  omnivox_agent_statistics* stats = NULL;
  omnivox_agent_activity total = OMNIVOX_AGENT_ACTIVITY_INIT;
  omnivox_agent_activity a = OMNIVOX_AGENT_ACTIVITY_INIT;
  omnivox_agent_summary agent = OMNIVOX_AGENT_SUMMARY_INIT;
  int64_t at_ms = 0, interval_ms = 0, handled = 0;
  size_t agents = 0, intervals = 0, i, k;
  double logged_in = 0, interval_logged_in = 0;
  CHECK_OK(omnivox_simulation_agent_statistics(sim, &stats, &err_));
  if (stats == NULL) return;
  CHECK_OK(omnivox_agent_statistics_info(stats, &at_ms, &interval_ms, &agents, &intervals, &err_));
  CHECK(interval_ms == 900000);
  CHECK(at_ms == st->at_ms);
  CHECK(agents == 3);
  CHECK(intervals >= 1);
  for (i = 0; i < agents; ++i) {
    CHECK_OK(omnivox_agent_statistics_agent(stats, i, &agent, &err_));
    CHECK(agent.name != NULL && strncmp(agent.name, "agent-", 6) == 0);
    CHECK(agent.state == OMNIVOX_AGENT_AVAILABLE);
    CHECK_OK(
        omnivox_agent_statistics_activity(stats, i, OMNIVOX_AGENT_STATISTICS_TOTALS, &a, &err_));
    CHECK(fabs(a.talk_seconds + a.wrap_seconds + a.idle_seconds + a.paused_seconds -
               a.logged_in_seconds) < 1e-6);
    CHECK(a.occupancy > 0.0 && a.occupancy <= 1.0);
    CHECK(a.disposition_count == OMNIVOX_DISPOSITION_COUNT);
    handled += a.calls_handled;
    logged_in += a.logged_in_seconds;
    for (k = 0; k < intervals; ++k) {
      omnivox_agent_activity in = OMNIVOX_AGENT_ACTIVITY_INIT;
      CHECK_OK(omnivox_agent_statistics_activity(stats, i, k, &in, &err_));
      CHECK(in.end_ms - in.start_ms <= interval_ms);
      interval_logged_in += in.logged_in_seconds;
    }
  }
  CHECK(handled == st->connects);
  CHECK(fabs(interval_logged_in - logged_in) < 1e-6);
  CHECK_OK(omnivox_agent_statistics_activity(stats, OMNIVOX_AGENT_STATISTICS_CAMPAIGN,
                                             OMNIVOX_AGENT_STATISTICS_TOTALS, &total, &err_));
  CHECK(total.calls_handled == st->connects);
  CHECK(fabs(total.logged_in_seconds - st->logged_in_seconds) < 1e-3);
  CHECK(fabs(total.occupancy - st->occupancy) < 1e-9);
  CHECK(total.dispositions[OMNIVOX_DISPOSITION_SALE] == st->dispositions[OMNIVOX_DISPOSITION_SALE]);

  CHECK_ERR(OMNIVOX_EINVALID, "agent_index",
            omnivox_agent_statistics_agent(stats, 3, &agent, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "interval_index",
            omnivox_agent_statistics_activity(stats, 0, intervals, &a, &err));
  a.version = 99;
  CHECK_ERR(OMNIVOX_EINVALID, "omnivox_agent_activity",
            omnivox_agent_statistics_activity(stats, 0, OMNIVOX_AGENT_STATISTICS_TOTALS, &a, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'out'", omnivox_simulation_agent_statistics(sim, NULL, &err));
  omnivox_agent_statistics_destroy(stats);
  /* A destroyed snapshot is refused, destroying it again is a no-op. */
  CHECK_ERR(OMNIVOX_EINVALID, "not a live",
            omnivox_agent_statistics_info(stats, NULL, NULL, NULL, NULL, &err));
  omnivox_agent_statistics_destroy(stats);
}

static void test_campaign(void) {
  omnivox_simulation* sim = NULL;
  struct counters counters;
  omnivox_callbacks callbacks = OMNIVOX_CALLBACKS_INIT;
  omnivox_contact_id ids[CONTACTS];
  omnivox_agent_id* agents = NULL;
  size_t agent_count = 0;
  char number[32];
  char second[32];
  char* campaign_id = NULL;
  char* detail = NULL;
  omnivox_eligibility elig;
  omnivox_statistics st;
  int64_t t0 = 0;
  int64_t t1 = 0;
  int state = -1;
  int finished = 0;
  int i;
  long sum = 0;
  omnivox_call_id call = 0;

  memset(&counters, 0, sizeof counters);
  CHECK_OK(omnivox_simulation_create(kCampaign, NULL, &sim, &err_));
  CHECK(sim != NULL);
  if (sim == NULL) return;
  counters.sim = sim;
  counters.run_from_callback_rc = 1;

  /* NULL handle → EINVALID naming it, for every kind of function. */
  CHECK_ERR(OMNIVOX_EINVALID, "'sim'", omnivox_simulation_start(NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'sim'", omnivox_simulation_statistics(NULL, &st, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'sim'", omnivox_simulation_run_for(NULL, 10, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'out'", omnivox_simulation_statistics(sim, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'out_ms'", omnivox_simulation_now(sim, NULL, &err));

  callbacks.user_data = &counters;
  callbacks.on_call_state = on_call_state;
  callbacks.on_agent_state = on_agent_state;
  callbacks.on_pacing_decision = on_pacing;
  callbacks.on_attempt_finished = on_attempt;
  CHECK_OK(omnivox_simulation_set_callbacks(sim, &callbacks, &err_));

  CHECK_OK(omnivox_simulation_campaign_id(sim, &campaign_id, &err_));
  CHECK(campaign_id != NULL && strcmp(campaign_id, "capi") == 0);
  omnivox_free(campaign_id);

  CHECK_OK(omnivox_simulation_agents(sim, &agents, &agent_count, &err_));
  CHECK(agent_count == 3);
  if (agent_count == 3) {
    CHECK(agents[0] != agents[1] && agents[1] != agents[2]);
    CHECK_OK(omnivox_simulation_agent_state(sim, agents[0], &state, &err_));
    CHECK(state == OMNIVOX_AGENT_AVAILABLE);
    /* Enum misuse. */
    CHECK_ERR(OMNIVOX_EINVALID, "state",
              omnivox_simulation_set_agent_state(sim, agents[0], 42, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "state",
              omnivox_simulation_set_agent_state(sim, agents[0], OMNIVOX_AGENT_ON_CALL, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "state",
              omnivox_simulation_set_agent_state(sim, agents[0], -1, &err));
    /* Pause and resume. */
    CHECK_OK(omnivox_simulation_set_agent_state(sim, agents[2], OMNIVOX_AGENT_PAUSED, &err_));
    CHECK_OK(omnivox_simulation_agent_state(sim, agents[2], &state, &err_));
    CHECK(state == OMNIVOX_AGENT_PAUSED);
    CHECK_OK(omnivox_simulation_set_agent_state(sim, agents[2], OMNIVOX_AGENT_AVAILABLE, &err_));
    CHECK_OK(omnivox_simulation_agent_state(sim, agents[2], &state, &err_));
    CHECK(state == OMNIVOX_AGENT_AVAILABLE);
  }
  {
    char* err = NULL;
    CHECK(omnivox_simulation_set_agent_state(sim, 999, OMNIVOX_AGENT_PAUSED, &err) ==
          OMNIVOX_ENOTFOUND);
    CHECK(err != NULL && strstr(err, "999") != NULL);
    omnivox_free(err);
  }

  /* Contacts: 50 New York numbers (09:00 there at the start); the first has two numbers. */
  for (i = 0; i < CONTACTS; ++i) {
    const char* numbers[2];
    char ext[16];
    sprintf(number, "+1212555%04d", 1000 + i);
    sprintf(second, "+1212556%04d", 1000 + i);
    sprintf(ext, "c%d", i);
    numbers[0] = number;
    numbers[1] = second;
    ids[i] = 0;
    CHECK_OK(omnivox_simulation_add_contact(sim, ext, numbers, i == 0 ? 2 : 1, &ids[i], &err_));
    CHECK(ids[i] != 0);
    CHECK(i == 0 || ids[i] != ids[i - 1]);
  }
  {
    const char* bad_utf8[1] = {"+1212555\xff"};
    const char* not_e164[1] = {"2125550100"};
    const char* with_null[2] = {"+12125550100", NULL};
    const char* too_long[1] = {"+1234567890123456"};
    CHECK_ERR(OMNIVOX_EINVALID, "'numbers'",
              omnivox_simulation_add_contact(sim, "x", NULL, 1, NULL, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "number_count",
              omnivox_simulation_add_contact(sim, "x", not_e164, 0, NULL, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "numbers[0]",
              omnivox_simulation_add_contact(sim, "x", bad_utf8, 1, NULL, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "numbers[1]",
              omnivox_simulation_add_contact(sim, "x", with_null, 2, NULL, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "E.164",
              omnivox_simulation_add_contact(sim, "x", not_e164, 1, NULL, &err));
    CHECK_ERR(OMNIVOX_EINVALID, "external_id",
              omnivox_simulation_add_contact(sim, "\x80", with_null, 1, NULL, &err));
    /* E.164 allows at most 15 digits. */
    CHECK_ERR(OMNIVOX_EINVALID, "numbers[0]' has 16 digits",
              omnivox_simulation_add_contact(sim, "x", too_long, 1, NULL, &err));
  }

  /* DNC: the last contact's only number. */
  sprintf(number, "+1212555%04d", 1000 + CONTACTS - 1);
  CHECK_OK(omnivox_simulation_add_dnc(sim, "global", number, &err_));
  CHECK_ERR(OMNIVOX_EINVALID, "'list'", omnivox_simulation_add_dnc(sim, NULL, number, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'e164'", omnivox_simulation_add_dnc(sim, "global", "12345", &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'e164'", omnivox_simulation_add_dnc(sim, "global", "+1\xc3", &err));
  CHECK_ERR(
      OMNIVOX_EINVALID, "at most 15",
      omnivox_simulation_add_dnc(sim, "global", "+1234567890123456789012345678901234567890", &err));

  /* Explain. */
  CHECK_OK(omnivox_simulation_explain(sim, ids[CONTACTS - 1], &elig, &detail, &err_));
  CHECK(elig.reason == OMNIVOX_INELIGIBLE_DO_NOT_CALL);
  CHECK(detail != NULL);
  omnivox_free(detail);
  detail = NULL;
  CHECK_OK(omnivox_simulation_explain(sim, ids[1], &elig, NULL, &err_));
  CHECK(elig.reason == OMNIVOX_DIALABLE);
  CHECK_ERR(OMNIVOX_ENOTFOUND, "", omnivox_simulation_explain(sim, 987654321, &elig, NULL, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "'out'", omnivox_simulation_explain(sim, ids[1], NULL, NULL, &err));

  /* Disposition misuse. */
  CHECK_ERR(OMNIVOX_EINVALID, "disposition",
            omnivox_simulation_set_disposition(sim, 1, 99, 0, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "disposition",
            omnivox_simulation_set_disposition(sim, 1, OMNIVOX_DISPOSITION_BUSY, 0, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "callback_at_ms",
            omnivox_simulation_set_disposition(sim, 1, OMNIVOX_DISPOSITION_CALLBACK, 0, &err));
  CHECK_ERR(OMNIVOX_ESTATE, "not awaiting",
            omnivox_simulation_set_disposition(sim, 424242, OMNIVOX_DISPOSITION_SALE, 0, &err));

  /* Run arguments. */
  CHECK_ERR(OMNIVOX_EINVALID, "duration", omnivox_simulation_run_for(sim, -5, &err));
  CHECK_ERR(OMNIVOX_EINVALID, "limit", omnivox_simulation_run_until_done(sim, -1, NULL, &err));

  /* Call now: an unknown contact is refused, a real one is dialed for agent 0. */
  CHECK(agent_count == 3);
  if (agent_count == 3) {
    char* err = NULL;
    CHECK(omnivox_simulation_call_now(sim, 987654321, agents[0], &call, &err) != OMNIVOX_OK);
    CHECK(err != NULL && strlen(err) > 0);
    omnivox_free(err);
    CHECK_OK(omnivox_simulation_call_now(sim, ids[0], agents[0], &call, &err_));
    CHECK(call != 0);
  }

  /* Start and run one virtual minute. */
  CHECK_OK(omnivox_simulation_now(sim, &t0, &err_));
  CHECK(t0 == 1777899600000LL); /* 2026-05-04T13:00:00Z */
  CHECK_OK(omnivox_simulation_start(sim, &err_));
  CHECK_OK(omnivox_simulation_run_for(sim, 60000, &err_));
  CHECK_OK(omnivox_simulation_now(sim, &t1, &err_));
  CHECK(t1 - t0 == 60000);
  CHECK_OK(omnivox_simulation_statistics(sim, &st, &err_));
  CHECK(st.attempts > 0);
  CHECK(st.contacts_total == CONTACTS);
  CHECK(counters.pacing > 0);
  CHECK(counters.call_state > 0);
  CHECK(counters.run_from_callback_rc == OMNIVOX_ESTATE);

  /* Run to the end. */
  CHECK_OK(omnivox_simulation_run_until_done(sim, 0, &finished, &err_));
  CHECK(finished == 1);
  CHECK_OK(omnivox_simulation_statistics(sim, &st, &err_));
  printf(
      "capi: attempts %ld, live %ld, connects %ld, abandons %ld, final %lu/%lu, callbacks: "
      "call %ld agent %ld pacing %ld attempts %ld, manual dispositions %ld\n",
      (long)st.attempts, (long)st.live_answers, (long)st.connects, (long)st.abandons,
      (unsigned long)st.contacts_final, (unsigned long)st.contacts_total, counters.call_state,
      counters.agent_state, counters.pacing, counters.attempts, counters.manual_dispositions);
  CHECK(st.attempts > 0);
  CHECK(st.attempts_in_flight == 0);
  CHECK(st.contacts_total == CONTACTS);
  CHECK(st.contacts_final == st.contacts_total);
  CHECK(st.live_answers > 0);
  CHECK(st.connects <= st.live_answers);
  CHECK(st.abandons <= st.live_answers);
  CHECK(st.abandon_rate >= 0.0 && st.abandon_rate <= 1.0);
  CHECK(st.occupancy > 0.0 && st.occupancy <= 1.0);
  CHECK(st.agents_by_state[OMNIVOX_AGENT_AVAILABLE] == 3);
  /* One attempt-finished callback per attempt, with the dispositions the statistics count. */
  CHECK(counters.attempts == st.attempts);
  CHECK(counters.attempts_bad == 0);
  for (i = 0; i < OMNIVOX_DISPOSITION_COUNT; ++i) {
    CHECK(counters.dispositions[i] == st.dispositions[i]);
    sum += counters.dispositions[i];
  }
  CHECK(sum == st.attempts);
  /* The dispositions set from the callback took effect. */
  CHECK(counters.manual_dispositions == 3);
  CHECK(st.dispositions[OMNIVOX_DISPOSITION_SALE] >= 3);
  /* Every attempt changed state at least twice (QUEUED → DIALING → ... → terminal). */
  CHECK(counters.call_state >= 2 * st.attempts);
  CHECK(counters.agent_state >= 2 * st.connects);
  /* The DNC contact was never dialed and is final. */
  CHECK_OK(omnivox_simulation_explain(sim, ids[CONTACTS - 1], &elig, NULL, &err_));
  CHECK(elig.reason == OMNIVOX_INELIGIBLE_FINAL_STATUS ||
        elig.reason == OMNIVOX_INELIGIBLE_DO_NOT_CALL);

  check_agent_statistics(sim, &st);

  /* Stop, and removing the callbacks. */
  CHECK_OK(omnivox_simulation_stop(sim, &err_));
  CHECK_OK(omnivox_simulation_set_callbacks(sim, NULL, &err_));

  omnivox_free(agents);
  omnivox_simulation_destroy(sim);
}

int main(void) {
  test_names_and_erlang();
  test_create_errors();
  test_import();
  test_campaign();
  if (failures != 0) {
    fprintf(stderr, "capi_test: %d failure(s)\n", failures);
    return 1;
  }
  printf("capi_test: all checks passed\n");
  return 0;
}
