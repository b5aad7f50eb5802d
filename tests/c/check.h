/* Assertion macros of the C API tests (strict C99): failures are counted, not fatal, so one run
 * reports every failed check. Include once per test program. */
#ifndef OMNIVOX_TESTS_C_CHECK_H_
#define OMNIVOX_TESTS_C_CHECK_H_

#include <stdio.h>
#include <string.h>

#include "omnivox/omnivox.h"

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/* Asserts an OK status, printing the message otherwise. */
#define CHECK_OK(call)                                                          \
  do {                                                                          \
    char* err_ = NULL;                                                          \
    int rc_ = (call);                                                           \
    if (rc_ != OMNIVOX_OK) {                                                    \
      fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__, #call, \
              omnivox_status_name(rc_), err_ ? err_ : "(no message)");          \
      ++failures;                                                               \
    }                                                                           \
    omnivox_free(err_);                                                         \
  } while (0)

/* Asserts status `code` and an error message containing `needle`. `call` uses `err`. */
#define CHECK_ERR(code, needle, call)                                                           \
  do {                                                                                          \
    char* err = NULL;                                                                           \
    int rc_ = (call);                                                                           \
    if (rc_ != (code)) {                                                                        \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (%s)\n", __FILE__, __LINE__, #call,   \
              omnivox_status_name(rc_), omnivox_status_name(code), err ? err : "(no message)"); \
      ++failures;                                                                               \
    } else if (err == NULL || strstr(err, (needle)) == NULL) {                                  \
      fprintf(stderr, "%s:%d: %s: message '%s' lacks '%s'\n", __FILE__, __LINE__, #call,        \
              err ? err : "(null)", (needle));                                                  \
      ++failures;                                                                               \
    }                                                                                           \
    omnivox_free(err);                                                                          \
  } while (0)

#endif /* OMNIVOX_TESTS_C_CHECK_H_ */
