/* The smallest Omnivox host in C: a campaign from JSON, 20 contacts, two simulated agents,
 * run in virtual time through the C API (include/omnivox/omnivox.h). */
#include <omnivox/omnivox.h>
#include <stdio.h>

static const char* kCampaign =
    "{\"id\": \"hello\", \"agents\": 2, \"max_attempts\": 3,"
    " \"start\": \"2026-05-04T13:00:00Z\", \"simulation\": {\"seed\": 7}}";

static void on_attempt(void* user_data, const omnivox_attempt_event* e) {
  long* finished = (long*)user_data;
  ++*finished;
  if (*finished <= 5) {
    printf("attempt %lu to %s: %s\n", (unsigned long)e->call_id, e->number,
           omnivox_disposition_name(e->disposition));
  }
}

int main(void) {
  omnivox_simulation* sim = NULL;
  omnivox_callbacks callbacks = OMNIVOX_CALLBACKS_INIT;
  omnivox_statistics st;
  long finished_attempts = 0;
  char* err = NULL;
  int done = 0;
  int i;

  if (omnivox_simulation_create(kCampaign, NULL, &sim, &err) != OMNIVOX_OK) {
    fprintf(stderr, "hello_campaign: %s\n", err);
    omnivox_free(err);
    return 1;
  }
  callbacks.user_data = &finished_attempts;
  callbacks.on_attempt_finished = on_attempt;
  if (omnivox_simulation_set_callbacks(sim, &callbacks, &err) != OMNIVOX_OK) goto fail;
  for (i = 0; i < 20; ++i) {
    char number[32];
    const char* numbers[1];
    sprintf(number, "+1212555%04d", 1000 + i);
    numbers[0] = number;
    if (omnivox_simulation_add_contact(sim, NULL, numbers, 1, NULL, &err) != OMNIVOX_OK) goto fail;
  }
  if (omnivox_simulation_start(sim, &err) != OMNIVOX_OK) goto fail;
  if (omnivox_simulation_run_until_done(sim, 72LL * 3600 * 1000, &done, &err) != OMNIVOX_OK) {
    goto fail;
  }
  if (omnivox_simulation_statistics(sim, &st, &err) != OMNIVOX_OK) goto fail;
  printf(
      "attempts %ld (%ld callbacks), live answers %ld, abandons %ld, occupancy %.1f%%, "
      "contacts final %lu/%lu\n",
      (long)st.attempts, finished_attempts, (long)st.live_answers, (long)st.abandons,
      100 * st.occupancy, (unsigned long)st.contacts_final, (unsigned long)st.contacts_total);
  omnivox_simulation_destroy(sim);
  return st.contacts_final == st.contacts_total && finished_attempts == st.attempts ? 0 : 1;

fail:
  fprintf(stderr, "hello_campaign: %s\n", err);
  omnivox_free(err);
  omnivox_simulation_destroy(sim);
  return 1;
}
