/* The C API's SIP telephony (OMNIVOX_TELEPHONY_SIP): options checked at creation, an agent's
 * phone (a SIPp UAS on 127.0.0.1:5391) connected and disconnected with the agent logged in and
 * out by its leg, and misuse. Strict C99 (plus POSIX for nanosleep and the SIPp process).
 * Usage: omnivox_capi_sip_test SCENARIO_DIR (tests/sip/scenarios). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "omnivox/omnivox.h"

static const char* const kSipJson =
    "{\"listen\": \"127.0.0.1:0\", \"trunk\": \"sip:127.0.0.1:5390\", "
    "\"rtp_ports\": \"42000-42099\", \"options_interval_s\": 0}";

static void sleep_ms(long ms) {
  struct timespec t;
  t.tv_sec = ms / 1000;
  t.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&t, NULL);
}

/* The agent's state once it is `want`, or its last state after about `ms` milliseconds. */
static int wait_for_state(omnivox_engine* e, omnivox_agent_id agent, int want, long ms) {
  int state = -1;
  for (long waited = 0; waited <= ms; waited += 50) {
    char* err_ = NULL;
    if (omnivox_engine_agent_state(e, agent, &state, &err_) != OMNIVOX_OK) omnivox_free(err_);
    if (state == want) break;
    sleep_ms(50);
  }
  return state;
}

static omnivox_engine_options sip_options(void) {
  omnivox_engine_options o;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.telephony_kind = OMNIVOX_TELEPHONY_SIP;
  o.clock_kind = OMNIVOX_CLOCK_SYSTEM;
  o.sip_json = kSipJson;
  return o;
}

static void test_creation_checks(void) {
  omnivox_engine* e = NULL;
  omnivox_engine_options o = sip_options();
  o.clock_kind = OMNIVOX_CLOCK_VIRTUAL;
  CHECK_ERR(OMNIVOX_EINVALID, "OMNIVOX_CLOCK_SYSTEM", omnivox_engine_create(&o, &e, &err));
  CHECK(e == NULL);
  o = sip_options();
  o.sip_json = NULL;
  CHECK_ERR(OMNIVOX_EINVALID, "options.sip_json", omnivox_engine_create(&o, &e, &err));
  o.sip_json = "{\"trunk\": \"10.0.0.1\"}";
  CHECK_ERR(OMNIVOX_ECONFIG, "telephony.trunk", omnivox_engine_create(&o, &e, &err));
  o.sip_json = "{\"listen\": \"127.0.0.1:0\"}";
  CHECK_ERR(OMNIVOX_ECONFIG, "telephony.trunk", omnivox_engine_create(&o, &e, &err));
  o.sip_json = "{\"trunk\": \"sip:127.0.0.1\", \"rtp_port\": \"1-2\"}";
  CHECK_ERR(OMNIVOX_ECONFIG, "telephony.rtp_port", omnivox_engine_create(&o, &e, &err));
  CHECK(e == NULL);

  /* The SIP functions on an engine of another telephony. */
  omnivox_engine_options sim;
  omnivox_engine_options_init(&sim, OMNIVOX_ENGINE_OPTIONS_VERSION);
  CHECK_OK(omnivox_engine_create(&sim, &e, &err_));
  CHECK_ERR(OMNIVOX_ESTATE, "not OMNIVOX_TELEPHONY_SIP",
            omnivox_engine_sip_connect_agent(e, 0, "sip:a@127.0.0.1", &err));
  omnivox_engine_destroy(e);
}

static void test_agent_leg(const char* scenario_dir) {
  omnivox_engine* e = NULL;
  omnivox_engine_options o = sip_options();
  CHECK_OK(omnivox_engine_create(&o, &e, &err_));
  if (e == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(e, "{\"id\": \"sip-c\", \"compliance\": \"NONE\"}", NULL,
                                       NULL, &err_));
  omnivox_agent_id agent = 0;
  CHECK_OK(omnivox_engine_add_agent(e, "sip-c", "alice", 0, &agent, &err_));
  CHECK_ERR(OMNIVOX_EINVALID, "not a SIP URI",
            omnivox_engine_sip_connect_agent(e, agent, "alice@127.0.0.1", &err));
  CHECK_ERR(OMNIVOX_ENOTFOUND, "", omnivox_engine_sip_connect_agent(e, 99, "sip:a@h", &err));
  CHECK_ERR(OMNIVOX_ENOTFOUND, "", omnivox_engine_sip_disconnect_agent(e, 99, &err));

  /* The agent's phone: answers once and stays until our BYE. */
  char scenario[1024];
  snprintf(scenario, sizeof scenario, "%s/uas_answer.xml", scenario_dir);
  pid_t phone = fork();
  if (phone == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(126);
    execlp("sipp", "sipp", "-sf", scenario, "-i", "127.0.0.1", "-p", "5391", "-mi", "127.0.0.1",
           "-mp", "42200", "-m", "1", "-nostdin", (char*)NULL);
    _exit(127);
  }
  CHECK(phone > 0);
  sleep_ms(500);

  CHECK_OK(omnivox_engine_sip_connect_agent(e, agent, "sip:alice@127.0.0.1:5391", &err_));
  CHECK(wait_for_state(e, agent, OMNIVOX_AGENT_AVAILABLE, 10000) == OMNIVOX_AGENT_AVAILABLE);
  CHECK_OK(omnivox_engine_sip_connect_agent(e, agent, "sip:alice@127.0.0.1:5391", &err_));
  CHECK_OK(omnivox_engine_sip_disconnect_agent(e, agent, &err_));
  CHECK(wait_for_state(e, agent, OMNIVOX_AGENT_LOGGED_OUT, 10000) == OMNIVOX_AGENT_LOGGED_OUT);
  omnivox_engine_destroy(e);
  if (phone > 0) {
    /* The phone took one call and saw it hung up: SIPp exits 0 by itself. */
    int status = -1;
    pid_t done = 0;
    for (int waited = 0; waited < 100 && done == 0; ++waited) {
      done = waitpid(phone, &status, WNOHANG);
      if (done == 0) sleep_ms(50);
    }
    if (done == 0) {
      kill(phone, SIGTERM);
      waitpid(phone, &status, 0);
    }
    CHECK(done == phone && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
}

/* SIP stack warnings reach the host's log function, not stderr. The function runs on the SIP
 * thread: the counters are atomic (GCC/Clang builtins; C99 has no atomics). */
static int sip_warnings = 0;
static int below_warn = 0;

static void count_sip_log(void* user_data, int level, const char* message) {
  (void)user_data;
  if (level < OMNIVOX_LOG_WARN) __atomic_add_fetch(&below_warn, 1, __ATOMIC_SEQ_CST);
  if (level == OMNIVOX_LOG_WARN && strstr(message, "sip: agent") != NULL) {
    __atomic_add_fetch(&sip_warnings, 1, __ATOMIC_SEQ_CST);
  }
}

static void test_log_callback(void) {
  omnivox_engine* e = NULL;
  omnivox_engine_options o = sip_options();
  omnivox_agent_id agent = 0;
  o.log_fn = count_sip_log;
  CHECK_OK(omnivox_engine_create(&o, &e, &err_));
  if (e == NULL) return;
  CHECK_OK(omnivox_engine_add_campaign(e, "{\"id\": \"sip-l\", \"compliance\": \"NONE\"}", NULL,
                                       NULL, &err_));
  CHECK_OK(omnivox_engine_add_agent(e, "sip-l", "bob", 0, &agent, &err_));
  /* The stack listens on UDP only: a TCP leg fails at once with a warning. */
  CHECK_OK(
      omnivox_engine_sip_connect_agent(e, agent, "sip:bob@127.0.0.1:5399;transport=tcp", &err_));
  for (int waited = 0; waited < 5000 && __atomic_load_n(&sip_warnings, __ATOMIC_SEQ_CST) == 0;
       waited += 50) {
    sleep_ms(50);
  }
  CHECK(__atomic_load_n(&sip_warnings, __ATOMIC_SEQ_CST) >= 1);
  CHECK(__atomic_load_n(&below_warn, __ATOMIC_SEQ_CST) == 0);
  omnivox_engine_destroy(e);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SCENARIO_DIR\n", argv[0]);
    return 2;
  }
  test_creation_checks();
  test_agent_leg(argv[1]);
  test_log_callback();
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
