/* Makes the C API load one of the libraries it loads at run time, and prints the outcome: "OK",
 * or the status name and the message; exit 0 when it worked. Used by
 * tests/package/backend_libraries_test.sh and tests/install_test.sh. Strict C99.
 * Usage: omnivox_backend_probe sip    (an engine with SIP telephony: libomnivox_sip)
 *        omnivox_backend_probe phone  (a campaign with a default region: libomnivox_phone) */
#include <stdio.h>
#include <string.h>

#include "omnivox/omnivox.h"

int main(int argc, char** argv) {
  const int sip = argc > 1 && strcmp(argv[1], "sip") == 0;
  omnivox_engine_options o;
  omnivox_engine_options_init(&o, OMNIVOX_ENGINE_OPTIONS_VERSION);
  if (sip) {
    o.telephony_kind = OMNIVOX_TELEPHONY_SIP;
    o.clock_kind = OMNIVOX_CLOCK_SYSTEM;
    /* Port 0: any free port. The trunk is never called (no campaign). */
    o.sip_json =
        "{\"listen\": \"127.0.0.1:0\", \"trunk\": \"sip:127.0.0.1:9\", "
        "\"options_interval_s\": 0}";
  }
  omnivox_engine* engine = NULL;
  char* err = NULL;
  int rc = omnivox_engine_create(&o, &engine, &err);
  if (rc == OMNIVOX_OK && !sip) {
    /* The campaign's default region is checked against libphonenumber's regions. */
    rc = omnivox_engine_add_campaign(engine, "{\"id\": \"p\", \"default_region\": \"US\"}", NULL,
                                     NULL, &err);
  }
  if (engine != NULL) omnivox_engine_destroy(engine);
  if (rc != OMNIVOX_OK) {
    printf("%s: %s\n", omnivox_status_name(rc), err != NULL ? err : "(no message)");
    omnivox_free(err);
    return 1;
  }
  printf("OK\n");
  return 0;
}
