// The entry point through which libomnivox finds this library (storage/storage_backends.h).
#include "omnivox/version.h"
#include "storage/storage_backends.h"

extern "C" const omnivox::storage_backends::PostgresBackend* omnivox_postgres_backend_v1() {
  static const omnivox::storage_backends::PostgresBackend backend{
      omnivox::storage_backends::kBackendAbi, OMNIVOX_VERSION_STRING,
      &omnivox::make_postgres_storage};
  return &backend;
}
