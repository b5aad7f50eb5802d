// Opening a Storage from a URL: the one string a CLI flag, a config file or an environment
// variable carries.
//
//   "memory"                         the in-process memory backend (make_memory_storage)
//   "sqlite:PATH", "sqlite://PATH"   the SQLite backend on file PATH (relative or absolute:
//                                    "sqlite:///var/lib/omnivox.db" is /var/lib/omnivox.db);
//                                    "sqlite::memory:" is a private in-memory database
//   "postgres://...", "postgresql://..."
//                                    the PostgreSQL backend; the whole URL is handed to libpq
//                                    (https://www.postgresql.org/docs/15/libpq-connect.html,
//                                    section 34.1.1.2 "Connection URIs")
//   "host=... dbname=..."            a libpq keyword/value connection string (any string with
//                                    '=' and no scheme): the PostgreSQL backend
#ifndef OMNIVOX_STORAGE_URL_H_
#define OMNIVOX_STORAGE_URL_H_

#include <cstddef>
#include <memory>
#include <string>

#include "omnivox/log.h"
#include "omnivox/storage.h"

namespace omnivox {

/// Options of open_storage(). Every field states its default.
struct StorageOpenOptions {
  /// The tenant the Storage reads and writes (SQLite and PostgreSQL; see their headers).
  /// The memory backend is always one tenant's store and ignores it. Default: "default".
  std::string tenant = "default";
  /// Keep the event journal. Default: true.
  bool keep_journal = true;
  /// PostgreSQL: how long an operation reconnects and retries after the connection is lost,
  /// in milliseconds (PostgresStorageOptions::retry_total_ms). Default: 30000.
  int retry_total_ms = 30000;
  /// PostgreSQL: where lost connections and reconnects are reported while retried
  /// (PostgresStorageOptions::log). Null: not logged. Default: null.
  std::shared_ptr<LogSink> log;
  /// SQLite: how long a statement waits for another connection's lock, in milliseconds.
  /// Default: 5000.
  int busy_timeout_ms = 5000;
  /// SQLite: create the database file when there is none (SqliteStorageOptions::
  /// create_if_missing). false: a path with no file throws Error(kNotFound) naming it, and
  /// nothing is created. PostgreSQL never creates a database; memory always starts empty.
  /// Default: true.
  bool create_if_missing = true;
};

/// Which backend a URL names.
enum class StorageKind { kMemory, kSqlite, kPostgres };

/// The longest storage URL accepted, in bytes (real ones, libpq keyword strings with certificate
/// paths included, are a few hundred).
inline constexpr std::size_t kMaxStorageUrlBytes = 2048;

/// Which backend `url` names, without opening it. Throws Error(kConfig) naming the URL
/// (password masked) for an empty or unknown form, or one longer than kMaxStorageUrlBytes.
StorageKind storage_kind(const std::string& url);

/// `url` with any password replaced by "***" (safe to log); a URL longer than
/// kMaxStorageUrlBytes is not shown at all: "(a URL of N bytes, not shown)".
std::string mask_storage_url(const std::string& url);

/// Opens the Storage `url` names (see the file comment). Throws Error(kConfig, "storage URL
/// '<masked url>': <reason>") for a malformed URL or bad options, and Error(kStorage, ...)
/// naming the URL (password masked) when the backend cannot open it (unreachable server,
/// missing database, unwritable file, schema newer than this build, read-only database), and
/// Error(kNotFound, "... no database at 'PATH'") for a SQLite file that does not exist when
/// options.create_if_missing is false.
std::unique_ptr<Storage> open_storage(const std::string& url,
                                      const StorageOpenOptions& options = {});

}  // namespace omnivox

#endif  // OMNIVOX_STORAGE_URL_H_
