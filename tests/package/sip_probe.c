/* Makes one engine with SIP telephony through the C API (which loads libomnivox_sip at that
 * moment) and prints the outcome: "OK", or the status name and the message. Exit 0 when the
 * engine was made. Used by tests/package/backend_libraries_test.sh. Strict C99. */
#include <stdio.h>

#include "omnivox/omnivox.h"

int main(void) {
  omnivox_engine_options o;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  o.telephony_kind = OMNIVOX_TELEPHONY_SIP;
  o.clock_kind = OMNIVOX_CLOCK_SYSTEM;
  /* Port 0: any free port. The trunk is never called (no campaign). */
  o.sip_json =
      "{\"listen\": \"127.0.0.1:0\", \"trunk\": \"sip:127.0.0.1:9\", "
      "\"options_interval_s\": 0}";
  omnivox_engine* engine = NULL;
  char* err = NULL;
  int rc = omnivox_engine_create(&o, &engine, &err);
  if (rc != OMNIVOX_OK) {
    printf("%s: %s\n", omnivox_status_name(rc), err != NULL ? err : "(no message)");
    omnivox_free(err);
    return 1;
  }
  omnivox_engine_destroy(engine);
  printf("OK\n");
  return 0;
}
