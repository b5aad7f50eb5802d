// Helpers shared by the fuzz targets (tests/fuzz/*_fuzz.cc): an invariant check that stops the
// process on violation, so libFuzzer (and the replay ctests) report it as a crash with the input.
#ifndef OMNIVOX_TESTS_FUZZ_FUZZ_CHECK_H_
#define OMNIVOX_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

// Checks an invariant the code under test promises; on violation prints where and aborts.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

// Reports an exception the API does not document and aborts.
#define FUZZ_UNEXPECTED_EXCEPTION(what)                                                    \
  do {                                                                                     \
    std::fprintf(stderr, "%s:%d: undocumented exception: %s\n", __FILE__, __LINE__, what); \
    std::abort();                                                                          \
  } while (0)

#endif  // OMNIVOX_TESTS_FUZZ_FUZZ_CHECK_H_
