/* The C side of the cross-language equality test: runs a campaign file in simulation through the
 * C API — omnivox_simulation_create(JSON text, the file's folder) + import_contacts(NULL) +
 * start + run_until_done(0) — and writes one line per finished attempt, in callback order, then
 * the campaign statistics:
 *   A <call_id> <contact_id> <attempt_number> <DISPOSITION> <ended_at_ms>
 *   S attempts=<n> live_answers=<n> abandons=<n> connects=<n> contacts_final=<n>
 * Usage: omnivox_bank_dump_c CAMPAIGN_JSON OUT_TXT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omnivox/omnivox.h"

static void on_attempt(void* user_data, const omnivox_attempt_event* e) {
  FILE* out = (FILE*)user_data;
  fprintf(out, "A %llu %llu %d %s %lld\n", (unsigned long long)e->call_id,
          (unsigned long long)e->contact_id, e->attempt_number,
          omnivox_disposition_name(e->disposition), (long long)e->ended_at_ms);
}

/* Reads a whole file into a new NUL-terminated buffer (NULL on error). */
static char* read_file(const char* path) {
  FILE* f = fopen(path, "rb");
  char* text = NULL;
  size_t size = 0, cap = 0, n;
  if (f == NULL) return NULL;
  for (;;) {
    if (size + 4096 + 1 > cap) {
      char* p;
      cap = cap == 0 ? 65536 : cap * 2;
      p = (char*)realloc(text, cap);
      if (p == NULL) {
        free(text);
        fclose(f);
        return NULL;
      }
      text = p;
    }
    n = fread(text + size, 1, 4096, f);
    size += n;
    if (n < 4096) break;
  }
  fclose(f);
  text[size] = '\0';
  return text;
}

int main(int argc, char** argv) {
  omnivox_simulation* sim = NULL;
  omnivox_callbacks cb = OMNIVOX_CALLBACKS_INIT;
  omnivox_statistics st;
  char* json;
  char* dir;
  char* slash;
  char* err = NULL;
  FILE* out;
  int finished = 0;

  if (argc != 3) {
    fprintf(stderr, "usage: %s CAMPAIGN_JSON OUT_TXT\n", argv[0]);
    return 2;
  }
  json = read_file(argv[1]);
  if (json == NULL) {
    fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 1;
  }
  /* The file's folder resolves its relative paths (as the C++ loader does). */
  dir = (char*)malloc(strlen(argv[1]) + 2);
  if (dir == NULL) return 1;
  strcpy(dir, argv[1]);
  slash = strrchr(dir, '/');
  if (slash != NULL) {
    *slash = '\0';
  } else {
    strcpy(dir, ".");
  }
  out = fopen(argv[2], "w");
  if (out == NULL) {
    perror(argv[2]);
    return 1;
  }
  cb.user_data = out;
  cb.on_attempt_finished = on_attempt;
  if (omnivox_simulation_create(json, dir, &sim, &err) != OMNIVOX_OK ||
      omnivox_simulation_set_callbacks(sim, &cb, &err) != OMNIVOX_OK ||
      omnivox_simulation_import_contacts(sim, NULL, NULL, NULL, &err) != OMNIVOX_OK ||
      omnivox_simulation_start(sim, &err) != OMNIVOX_OK ||
      omnivox_simulation_run_until_done(sim, 0, &finished, &err) != OMNIVOX_OK ||
      omnivox_simulation_statistics(sim, &st, &err) != OMNIVOX_OK) {
    fprintf(stderr, "omnivox_bank_dump_c: %s\n", err != NULL ? err : "(no message)");
    omnivox_free(err);
    omnivox_simulation_destroy(sim);
    fclose(out);
    return 1;
  }
  fprintf(out,
          "S attempts=%lld live_answers=%lld abandons=%lld connects=%lld contacts_final=%llu\n",
          (long long)st.attempts, (long long)st.live_answers, (long long)st.abandons,
          (long long)st.connects, (unsigned long long)st.contacts_final);
  omnivox_simulation_destroy(sim);
  free(json);
  free(dir);
  return fclose(out) == 0 ? 0 : 1;
}
