// The SQLite backend: a persistent Storage in one database file, through the SQLite3 C API.
//
// Layout: one connection per Storage object, opened in WAL mode with a busy timeout; every
// statement is prepared once and reused with bound parameters. Multi-row operations run in one
// transaction; claim_leases runs in one BEGIN IMMEDIATE transaction, so the check-and-claim is
// atomic even against another process using the same file. Contacts keep their phone numbers
// and attributes as JSON columns; partial indexes on (campaign, status, next_attempt_at) and
// (campaign, priority, list_order) serve the dialable scan; a partial index on open attempts
// (disposition = kNone) serves scan_open_attempts. The contacts a claim_leases takes are read
// together, in one read transaction, at the first read_contact of one of them, and each is then
// answered from there once (while the claim's lease is unchanged; docs/storage.md). The schema
// carries a version (table schema_version), upgraded on open inside the opening transaction (BEGIN
// IMMEDIATE, so two processes opening one file at once migrate it once): version 1 files (single
// tenant) are migrated to version 2 (tenants), their rows becoming the tenant "default". A file
// written by a newer schema is refused with Error(kStorage) and nothing is written. A read-only
// file (or a file in a directory where SQLite cannot create its -wal/-shm files) is refused at
// open.
//
// Tenants: every row carries tenant_id and every statement filters on the Storage's tenant
// (SqliteStorageOptions::tenant), so Storages of two tenants on one file never see each other's
// campaigns, contacts, leases, attempts, DNC entries, journal or processed-event keys. Contact
// ids and call ids are unique across the tenants of a file.
//
// Thread-safety: every method may be called concurrently; one mutex guards the connection
// (calls are serialised). scan_contacts / scan_attempts / scan_journal hold it while visiting,
// so a visitor must not call back into the Storage (as the Storage contract says). On a file in
// WAL mode the Storage also runs a thread of its own, with a second connection, that copies the
// WAL into the database (checkpoints) so that the thread committing writes does not wait for it;
// the destructor stops it.
//
// Errors: omnivox::Error(ErrorCode::kStorage, "sqlite storage: <operation>: <SQLite message>"),
// and Error(kNotFound) from update_contact for an unknown id.
//
// Several Storage objects (or processes) may open the same file: leases, call ids and dedup
// keys live in the file and are claimed in transactions, so they stay exclusive (a
// two-connection test in one process, and tests/multinode/: an engine killed with SIGKILL and a
// new process resuming the campaign). Restart reconciliation of open attempts is the engine's
// (Engine::start_campaign over scan_open_attempts), not the backend's.
#ifndef OMNIVOX_SQLITE_STORAGE_H_
#define OMNIVOX_SQLITE_STORAGE_H_

#include <memory>
#include <string>

#include "omnivox/storage.h"

namespace omnivox {

/// Options of the SQLite backend. Every field states its default.
struct SqliteStorageOptions {
  /// How long a statement waits for a lock held by another connection before failing with
  /// SQLITE_BUSY, in milliseconds (sqlite3_busy_timeout). Default: 5000.
  int busy_timeout_ms = 5000;
  /// Use write-ahead logging (PRAGMA journal_mode=WAL): readers do not block the writer.
  /// Default: true. (Ignored for ":memory:" databases.)
  bool wal = true;
  /// PRAGMA synchronous=FULL instead of NORMAL: with WAL, NORMAL may lose the last
  /// transactions on a power failure (never corrupts); FULL fsyncs every commit. Default: false.
  bool synchronous_full = false;
  /// Keep the event journal (it grows with every state change). Default: true.
  bool keep_journal = true;
  /// The tenant this Storage reads and writes; rows of other tenants are invisible.
  /// Non-empty, at most 200 bytes. Default: "default".
  std::string tenant = "default";
  /// Create the database file when there is none. false: opening a path with no file throws
  /// Error(kNotFound, "... no database at 'PATH'") and creates nothing (for readers such as
  /// `omnivox status`, where a mistyped path must not leave an empty database). Default: true.
  bool create_if_missing = true;
};

/// The schema version this build writes (and the newest it reads).
inline constexpr int kSqliteSchemaVersion = 10;

/// Opens (creating if needed) the SQLite database at `path` (":memory:" for a private in-memory
/// database). Throws Error(kStorage) if it cannot be opened or created, is read-only, or if its
/// schema version is newer than kSqliteSchemaVersion; Error(kConfig) for a bad tenant;
/// Error(kNotFound) for a missing file when options.create_if_missing is false.
std::unique_ptr<Storage> make_sqlite_storage(const std::string& path,
                                             const SqliteStorageOptions& options = {});

}  // namespace omnivox

#endif  // OMNIVOX_SQLITE_STORAGE_H_
