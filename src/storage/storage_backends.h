// How the core finds a storage backend that lives in a library of its own (docs/storage.md,
// "Backend libraries"). The PostgreSQL backend is libomnivox_postgres.so, so that libomnivox and
// libomnivox_c do not need libpqxx, libpq or the OpenSSL libpq brings; open_storage() loads it
// the first time a PostgreSQL URL is opened: already in the process when the host linked
// omnivox::postgres, else with dlopen() from beside the loaded core library (where an install
// puts it), else by name (LD_LIBRARY_PATH, the system's library path).
//
// The entry point is a C symbol so that dlsym() finds it by name; what it returns is C++ (the
// Storage interface, PostgresStorageOptions), so the core accepts only a backend built from the
// same Omnivox version (kBackendAbi and the version string both match).
#ifndef OMNIVOX_STORAGE_STORAGE_BACKENDS_H_
#define OMNIVOX_STORAGE_STORAGE_BACKENDS_H_

#include <memory>
#include <string>

#include "omnivox/postgres_storage.h"
#include "omnivox/storage.h"

namespace omnivox::storage_backends {

/// Bumped when PostgresBackend's layout or meaning changes.
inline constexpr int kBackendAbi = 1;

/// What the PostgreSQL backend library hands the core.
struct PostgresBackend {
  int abi;              ///< kBackendAbi of the build that made the library
  const char* version;  ///< OMNIVOX_VERSION_STRING of that build
  /// make_postgres_storage (include/omnivox/postgres_storage.h), same contract.
  std::unique_ptr<Storage> (*open)(const std::string& conninfo,
                                   const PostgresStorageOptions& options);
};

/// The library's file name (its SONAME) and its entry point's symbol.
inline constexpr const char* kPostgresLibrary = "libomnivox_postgres.so.0";
inline constexpr const char* kPostgresEntryPoint = "omnivox_postgres_backend_v1";

}  // namespace omnivox::storage_backends

/// Defined by libomnivox_postgres (src/storage/postgres/postgres_backend.cc); never null.
extern "C" const omnivox::storage_backends::PostgresBackend* omnivox_postgres_backend_v1();

#endif  // OMNIVOX_STORAGE_STORAGE_BACKENDS_H_
