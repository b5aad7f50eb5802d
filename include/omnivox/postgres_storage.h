// The PostgreSQL backend: a Storage shared by several engine processes through one PostgreSQL
// database (PostgreSQL 12 or newer; tested with 15), through libpqxx 6.4.
//
// Layout: one connection per Storage object, guarded by one mutex (calls are serialised; open
// one Storage per thread that needs parallel throughput). Every statement is prepared once per
// connection and run with bound parameters: no data is ever spliced into SQL text.
//
// Schema: versioned migrations, applied on open inside one transaction that holds
// pg_advisory_xact_lock(kPostgresMigrationLock), so several processes opening the same database
// at once apply each migration exactly once. Applied versions are rows of the table
// omnivox_schema_migrations. A database whose newest applied version is greater than
// kPostgresSchemaVersion (written by a newer Omnivox) is refused with Error(kStorage) and nothing
// is written. Tables: tenants, campaigns, contact_lists, contacts, phone_numbers, dnc, leases,
// attempts (call records with provider call ids), journal, processed_events, and the
// sequence omnivox_call_id_seq. See docs/storage.md.
//
// Tenants: every row carries tenant_id and every query filters on the tenant of the Storage
// object (PostgresStorageOptions::tenant), so a Storage of tenant A cannot read, lease or change
// tenant B's rows even in the same database: B's contact ids and call ids are invisible to it
// (get_contact returns nullopt, claim_leases skips them, update_contact throws kNotFound). Ids
// (contacts, call ids, journal) are drawn from database-wide sequences: unique across tenants.
//
// Leases: claim_leases is one INSERT ... ON CONFLICT DO UPDATE ... WHERE leases.owner = owner OR
// leases.expiry <= now RETURNING statement over the whole batch (ids locked in ascending order,
// so concurrent batches never deadlock): atomic per batch, and an expired lease is reclaimable
// by any process. Times are stored as milliseconds since the Unix epoch (UTC), the engine's
// clock, not the database's: the engines' clocks are what decide expiry.
//
// Scans (scan_contacts, scan_attempts, scan_open_attempts, scan_journal) read in pages of
// scan_page_size rows, each page one statement ordered by an index (keyset pagination);
// the visitor runs outside the connection lock, so it may call back into this Storage. A row
// changed between two pages may be visited twice or not at all (like any paginated read).
//
// Connection loss: an operation that meets a broken connection (pqxx::broken_connection: the
// server went away, restarted, or the network dropped) reconnects and retries the WHOLE
// operation's transaction, with exponential backoff (retry_initial_backoff_ms, doubling up to
// retry_max_backoff_ms) until retry_total_ms has passed; then it throws Error(kStorage,
// "postgres storage: <operation>: connection lost, retried N times over S s: <message>").
// A failed transaction is rolled back by the server, so nothing is ever half-applied. Operations
// of one idempotent statement (reads, upserts, lease claims, renewals and releases, write
// batches, journal lines) run autocommitted, one round trip each, and are simply run again:
// journal lines carry a key chosen by the Storage object (a random writer id and a sequence
// number), so a batch run again after its answer was lost adds none twice (and when the retries
// run out, the same lines sent again by the caller, as BatchingStorage does with a failed batch,
// get the keys they had, so neither then); add_contact, update_contact and mark_event_processed
// run in BEGIN .. COMMIT, and when the connection breaks during their COMMIT the outcome is
// unknown (pqxx::in_doubt_error): that is reported as Error(kStorage, "... commit outcome
// unknown ...") and not retried (a retry could add a contact twice or report a first-seen event
// as a duplicate).
//
// Thread-safety: every method may be called concurrently from several threads; several
// processes may use the same database.
//
// Errors: Error(ErrorCode::kStorage, "postgres storage: <operation>: <reason>") naming the
// connection (password masked) at open; Error(kNotFound) from update_contact for an unknown id.
#ifndef OMNIVOX_POSTGRES_STORAGE_H_
#define OMNIVOX_POSTGRES_STORAGE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "omnivox/log.h"
#include "omnivox/storage.h"

namespace omnivox {

/// Options of the PostgreSQL backend. Every field states its default.
struct PostgresStorageOptions {
  /// The tenant this Storage reads and writes; rows of other tenants are invisible.
  /// Non-empty, at most 200 bytes. Default: "default".
  std::string tenant = "default";
  /// Keep the event journal (it grows with every state change). Default: true.
  bool keep_journal = true;
  /// How long an operation keeps reconnecting and retrying after the connection is lost, in
  /// milliseconds, before it throws Error(kStorage). 0 = fail at once. Default: 30000.
  int retry_total_ms = 30000;
  /// The first wait before a reconnect, in milliseconds; doubles after each failure.
  /// Default: 50.
  int retry_initial_backoff_ms = 50;
  /// The longest wait between two reconnects, in milliseconds. Default: 2000.
  int retry_max_backoff_ms = 2000;
  /// Rows fetched per round trip by the scans (scan_contact_views, which a refill stops early,
  /// starts the campaign's ready contacts at what its last refill read, less what it deferred,
  /// plus a quarter and 16, or at 128, and doubles up to this). Default: 1000.
  int scan_page_size = 1000;
  /// Where connection losses are reported while they are retried: a WARN line per lost
  /// connection (rate-limited to one per 10 s) and an INFO line when an operation succeeds
  /// after reconnecting. Null: not logged (the Error thrown when retries run out still says
  /// what happened). Default: null.
  std::shared_ptr<LogSink> log;
  /// Apply missing schema migrations on open. When false, a database whose schema is older than
  /// kPostgresSchemaVersion is refused with Error(kStorage) instead. Default: true.
  bool migrate = true;
};

/// The schema version this build writes (and the newest it reads).
inline constexpr int kPostgresSchemaVersion = 13;

/// The pg_advisory_xact_lock key that serialises schema migrations ("omnivox" in ASCII).
inline constexpr long long kPostgresMigrationLock = 0x6f6d6e69766f78LL;

/// Connects to the database named by `conninfo` (a libpq connection string: keyword form
/// "host=... port=... dbname=... user=..." or a URI "postgresql://user@host:port/db"),
/// applies missing schema migrations and registers the tenant. Throws Error(kStorage) naming the
/// connection (password masked) and the reason when the server cannot be reached, the
/// connection string is malformed, the database does not exist, the schema is newer than
/// kPostgresSchemaVersion, or the database is read-only; Error(kConfig) for a bad tenant.
std::unique_ptr<Storage> make_postgres_storage(const std::string& conninfo,
                                               const PostgresStorageOptions& options = {});

/// `conninfo` with any password replaced by "***" (keyword form "password=..." and URI form
/// "user:secret@host"), for error messages and logs. A connection string longer than
/// kMaxMaskedConninfo bytes is not shown at all: "<connection string of N bytes>".
std::string mask_conninfo_password(const std::string& conninfo);
/// The longest connection string mask_conninfo_password shows (the masking's regular expressions
/// recurse per character: a string of some 20 KB overflowed the stack).
inline constexpr std::size_t kMaxMaskedConninfo = 2048;

}  // namespace omnivox

#endif  // OMNIVOX_POSTGRES_STORAGE_H_
