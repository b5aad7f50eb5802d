// The SQLite backend (see omnivox/sqlite_storage.h). One connection, one mutex; statements are
// prepared once in the constructor and reset after each use.
#include "omnivox/sqlite_storage.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "storage/storage_codec.h"

namespace omnivox {
namespace {

using namespace storage_codec;

// Schema version 1 (single tenant), as released: a new file is created at v1 and migrated.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS campaigns (
  id TEXT PRIMARY KEY,
  config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lists (
  seq INTEGER PRIMARY KEY,
  campaign_id TEXT NOT NULL,
  name TEXT NOT NULL,
  active INTEGER NOT NULL,
  UNIQUE (campaign_id, name)
);
CREATE TABLE IF NOT EXISTS contacts (
  id INTEGER PRIMARY KEY,
  campaign_id TEXT NOT NULL,
  list_name TEXT NOT NULL,
  external_id TEXT NOT NULL,
  priority INTEGER NOT NULL,
  list_order INTEGER NOT NULL,
  numbers TEXT NOT NULL,
  attributes TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  status INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  not_connected INTEGER NOT NULL,
  next_number INTEGER NOT NULL,
  last_disposition INTEGER NOT NULL,
  last_attempt_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  callback_agent INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_order ON contacts (campaign_id, priority DESC, list_order);
CREATE INDEX IF NOT EXISTS contacts_load ON contacts (campaign_id, list_order);
CREATE INDEX IF NOT EXISTS contacts_status ON contacts (campaign_id, status);
CREATE INDEX IF NOT EXISTS contacts_ready ON contacts (campaign_id, priority DESC, list_order,
  next_attempt_at) WHERE status IN (0, 1);
CREATE INDEX IF NOT EXISTS contacts_callback ON contacts (campaign_id, next_attempt_at)
  WHERE status = 2;
CREATE TABLE IF NOT EXISTS leases (
  contact_id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,
  expiry INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO counters (name, value) VALUES ('call_id', 0);
CREATE TABLE IF NOT EXISTS attempts (
  call_id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL,
  campaign_id TEXT NOT NULL,
  number TEXT NOT NULL,
  number_index INTEGER NOT NULL,
  attempt_number INTEGER NOT NULL,
  caller_id TEXT NOT NULL,
  provider_call_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  fail_reason INTEGER NOT NULL,
  amd INTEGER NOT NULL,
  disposition INTEGER NOT NULL,
  agent INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  answered_at INTEGER NOT NULL,
  bridged_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  provider_code INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_contact ON attempts (contact_id, call_id);
CREATE INDEX IF NOT EXISTS attempts_campaign ON attempts (campaign_id, call_id);
CREATE TABLE IF NOT EXISTS dnc (
  list TEXT NOT NULL,
  e164 TEXT NOT NULL,
  PRIMARY KEY (e164, list)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  call_id INTEGER NOT NULL,
  contact_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_campaign ON journal (campaign_id, seq);
CREATE TABLE IF NOT EXISTS processed_events (key TEXT PRIMARY KEY) WITHOUT ROWID;
)sql";

// Version 2: tenants. Every row carries tenant_id and every key includes it; rows written by
// version 1 belong to the tenant "default". Tables whose primary key changes are rebuilt.
constexpr const char* kMigrateV1ToV2 = R"sql(
CREATE TABLE tenants (id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO tenants (id) VALUES ('default');
CREATE TABLE campaigns_v2 (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
INSERT INTO campaigns_v2 (tenant_id, id, config) SELECT 'default', id, config FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_v2 RENAME TO campaigns;
CREATE TABLE lists_v2 (
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  name TEXT NOT NULL,
  active INTEGER NOT NULL,
  UNIQUE (tenant_id, campaign_id, name)
);
INSERT INTO lists_v2 (seq, tenant_id, campaign_id, name, active)
  SELECT seq, 'default', campaign_id, name, active FROM lists;
DROP TABLE lists;
ALTER TABLE lists_v2 RENAME TO lists;
ALTER TABLE contacts ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
DROP INDEX IF EXISTS contacts_order;
DROP INDEX IF EXISTS contacts_load;
DROP INDEX IF EXISTS contacts_status;
DROP INDEX IF EXISTS contacts_ready;
DROP INDEX IF EXISTS contacts_callback;
CREATE INDEX contacts_order ON contacts (tenant_id, campaign_id, priority DESC, list_order);
CREATE INDEX contacts_load ON contacts (tenant_id, campaign_id, list_order);
CREATE INDEX contacts_status ON contacts (tenant_id, campaign_id, status);
CREATE INDEX contacts_ready ON contacts (tenant_id, campaign_id, priority DESC, list_order,
  next_attempt_at) WHERE status IN (0, 1);
CREATE INDEX contacts_callback ON contacts (tenant_id, campaign_id, next_attempt_at)
  WHERE status = 2;
ALTER TABLE leases ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE attempts ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
DROP INDEX IF EXISTS attempts_contact;
DROP INDEX IF EXISTS attempts_campaign;
CREATE INDEX attempts_contact ON attempts (tenant_id, contact_id, call_id);
CREATE INDEX attempts_campaign ON attempts (tenant_id, campaign_id, call_id);
CREATE INDEX attempts_open ON attempts (tenant_id, campaign_id, call_id) WHERE disposition = 0;
CREATE TABLE dnc_v2 (
  tenant_id TEXT NOT NULL,
  list TEXT NOT NULL,
  e164 TEXT NOT NULL,
  PRIMARY KEY (tenant_id, e164, list)
) WITHOUT ROWID;
INSERT INTO dnc_v2 (tenant_id, list, e164) SELECT 'default', list, e164 FROM dnc;
DROP TABLE dnc;
ALTER TABLE dnc_v2 RENAME TO dnc;
ALTER TABLE journal ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
DROP INDEX IF EXISTS journal_campaign;
CREATE INDEX journal_campaign ON journal (tenant_id, campaign_id, seq);
CREATE TABLE processed_events_v2 (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
INSERT INTO processed_events_v2 (tenant_id, key) SELECT 'default', key FROM processed_events;
DROP TABLE processed_events;
ALTER TABLE processed_events_v2 RENAME TO processed_events;
UPDATE schema_version SET version = 2;
)sql";

// Version 3: contacts unique by (campaign, list, external id), so an import that runs
// twice stores each contact once (OMNIVOX_SQL_UNIQUE_CONTACT_KEY); lists record whether their
// import finished.
constexpr const char* kMigrateV2ToV3 = R"sql(
ALTER TABLE lists ADD COLUMN import_complete INTEGER NOT NULL DEFAULT 1;
)sql" OMNIVOX_SQL_UNIQUE_CONTACT_KEY R"sql(
UPDATE schema_version SET version = 3;
)sql";

// Version 4: each engine's counts of live answers, abandons and AMD machines per minute of a
// campaign, added up by the abandon governors of all the campaign's engines.
constexpr const char* kMigrateV3ToV4 = R"sql(
CREATE TABLE abandon_counts (
  tenant_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  minute INTEGER NOT NULL,
  owner TEXT NOT NULL,
  live_answers INTEGER NOT NULL,
  abandons INTEGER NOT NULL,
  machines INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, minute, owner)
) WITHOUT ROWID;
UPDATE schema_version SET version = 4;
)sql";

// Version 5: the number of each campaign's contacts per status, kept by triggers, so the counts
// the statistics read are a few rows rather than a walk over the campaign's index.
constexpr const char* kMigrateV4ToV5 = R"sql(
CREATE TABLE status_counts (
  tenant_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, status)
) WITHOUT ROWID;
INSERT INTO status_counts (tenant_id, campaign_id, status, n)
  SELECT tenant_id, campaign_id, status, COUNT(*) FROM contacts
  GROUP BY tenant_id, campaign_id, status;
CREATE TRIGGER contacts_counted AFTER INSERT ON contacts BEGIN
  INSERT INTO status_counts (tenant_id, campaign_id, status, n)
    VALUES (NEW.tenant_id, NEW.campaign_id, NEW.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contacts_uncounted AFTER DELETE ON contacts BEGIN
  UPDATE status_counts SET n = n - 1
    WHERE tenant_id = OLD.tenant_id AND campaign_id = OLD.campaign_id AND status = OLD.status;
END;
CREATE TRIGGER contacts_recounted AFTER UPDATE OF tenant_id, campaign_id, status ON contacts
WHEN OLD.status IS NOT NEW.status OR OLD.campaign_id IS NOT NEW.campaign_id
  OR OLD.tenant_id IS NOT NEW.tenant_id BEGIN
  UPDATE status_counts SET n = n - 1
    WHERE tenant_id = OLD.tenant_id AND campaign_id = OLD.campaign_id AND status = OLD.status;
  INSERT INTO status_counts (tenant_id, campaign_id, status, n)
    VALUES (NEW.tenant_id, NEW.campaign_id, NEW.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
UPDATE schema_version SET version = 5;
)sql";

// Version 6: a counter of DNC changes (kept by triggers), so an engine answers DNC checks from
// what it read until a list changes; the index on (campaign, status) goes (the counts come from
// status_counts, no query reads it, and every status change rewrote an entry of it).
constexpr const char* kMigrateV5ToV6 = R"sql(
DROP INDEX IF EXISTS contacts_status;
INSERT OR IGNORE INTO counters (name, value) VALUES ('dnc_changes', 0);
CREATE TRIGGER dnc_added AFTER INSERT ON dnc BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'dnc_changes';
END;
CREATE TRIGGER dnc_removed AFTER DELETE ON dnc BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'dnc_changes';
END;
CREATE TRIGGER dnc_updated AFTER UPDATE ON dnc BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'dnc_changes';
END;
UPDATE schema_version SET version = 6;
)sql";

// Version 7: a contact's attributes in a table of their own. They rarely change once stored,
// while the contact's row is rewritten twice per call: without them the row is ~230 bytes
// instead of ~530, more contacts share a page, and a write batch appends fewer pages to the WAL.
// (ALTER TABLE DROP COLUMN rewrites the table: every row, once.)
constexpr const char* kMigrateV6ToV7 = R"sql(
CREATE TABLE contact_attributes (
  contact_id INTEGER PRIMARY KEY,
  attributes TEXT NOT NULL
);
INSERT INTO contact_attributes (contact_id, attributes) SELECT id, attributes FROM contacts;
ALTER TABLE contacts DROP COLUMN attributes;
CREATE TRIGGER contacts_attributes_removed AFTER DELETE ON contacts BEGIN
  DELETE FROM contact_attributes WHERE contact_id = OLD.id;
END;
UPDATE schema_version SET version = 7;
)sql";

// Version 8: a contact's numbers as compact text (storage_codec::numbers_to_text, as PostgreSQL
// sends them) instead of JSON: the numbers are decoded at every refill row and contact read and
// encoded at every write, and the text is about a quarter of the JSON's bytes (135 -> 30 for a
// bank contact's one number), so more contacts share a page. omnivox_numbers_as_text is the
// codec's own conversion, registered on the opening connection; a stored document it cannot
// read fails the migration, and nothing is written.
constexpr const char* kMigrateV7ToV8 = R"sql(
UPDATE contacts SET numbers = omnivox_numbers_as_text(numbers);
UPDATE schema_version SET version = 8;
)sql";

// Version 9: a contact's attributes as compact text (storage_codec::attributes_to_text) instead
// of JSON, for the same reasons: they are decoded at every contact read (each placed call) and
// encoded at every import, and JSON's parser was most of that. omnivox_attributes_as_text is the
// codec's own conversion; a stored document it cannot read fails the migration, and nothing is
// written.
constexpr const char* kMigrateV8ToV9 = R"sql(
UPDATE contact_attributes SET attributes = omnivox_attributes_as_text(attributes);
UPDATE schema_version SET version = 9;
)sql";

// Version 10: the status counts of an inserted or updated contact are kept by the statements'
// caller (SqliteStorage::count_status, one upsert per campaign and status at the commit) instead
// of a trigger per row: the update trigger was two statements of its own at each status change
// of a contact (a few per call). Deleting a contact still counts through its trigger (deletes
// are rare). The counts stored stay as they are.
constexpr const char* kMigrateV9ToV10 = R"sql(
DROP TRIGGER contacts_counted;
DROP TRIGGER contacts_recounted;
UPDATE schema_version SET version = 10;
)sql";

// A contact's columns in Contact's order, its attributes joined from their table (a contact
// stored without any reads as an empty list).
constexpr int kContactColumnCount = 17;
constexpr const char* kContactColumns =
    "id, campaign_id, list_name, external_id, priority, list_order, numbers, "
    "COALESCE((SELECT attributes FROM contact_attributes WHERE contact_id = contacts.id), ''), "
    "time_zone, status, attempts, not_connected, next_number, last_disposition, "
    "last_attempt_at, next_attempt_at, callback_agent";
constexpr const char* kAttemptColumns =
    "call_id, contact_id, campaign_id, number, number_index, attempt_number, caller_id, "
    "provider_call_id, state, fail_reason, amd, disposition, agent, created_at, answered_at, "
    "bridged_at, ended_at, provider_code";

// ---- statements ----

class SqliteStorage;

// A prepared statement, reset (and its bindings cleared) when a Use goes out of scope.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { finalize(); }
  void finalize() {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
  // `tenant` is bound to ?30 of every use when the statement has that parameter.
  void prepare(sqlite3* db, const char* sql, const std::string* tenant = nullptr) {
    db_ = db;
    if (tenant) tenant_ = tenant;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      throw Error(ErrorCode::kStorage,
                  std::string("sqlite storage: prepare '") + sql + "': " + sqlite3_errmsg(db));
    }
  }
  sqlite3_stmt* get() const { return stmt_; }
  sqlite3* db() const { return db_; }
  const std::string* tenant() const { return tenant_; }
  void set_tenant(const std::string* tenant) { tenant_ = tenant; }

 private:
  sqlite3* db_ = nullptr;
  const std::string* tenant_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// One use of a statement within an operation: binds, steps, reads columns, resets at the end.
class Use {
 public:
  static constexpr int kTenantParam = 30;
  Use(Stmt& s, const char* op) : s_(s), op_(op) {
    if (s_.tenant() && sqlite3_bind_parameter_count(s_.get()) >= kTenantParam) {
      bind(kTenantParam, std::string_view(*s_.tenant()));
    }
  }
  ~Use() {
    sqlite3_reset(s_.get());
    sqlite3_clear_bindings(s_.get());
  }
  Use& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_.get(), i, v));
    return *this;
  }
  // Not copied: every value bound outlives the use (the use resets the statement before the
  // operation returns).
  Use& bind(int i, std::string_view v) {
    check(sqlite3_bind_text(s_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
    return *this;
  }
  // True when a row is available, false when done.
  bool step() {
    int rc = sqlite3_step(s_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(rc);
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  std::int64_t i64(int col) const { return sqlite3_column_int64(s_.get(), col); }
  // Valid until the next step or the end of the use.
  std::string_view view(int col) const {
    const unsigned char* p = sqlite3_column_text(s_.get(), col);
    int n = sqlite3_column_bytes(s_.get(), col);
    return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string_view();
  }
  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(s_.get(), col);
    int n = sqlite3_column_bytes(s_.get(), col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
  }
  int changes() const { return sqlite3_changes(s_.db()); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(rc);
  }
  [[noreturn]] void fail(int rc) {
    throw Error(ErrorCode::kStorage, std::string("sqlite storage: ") + op_ + ": " +
                                         sqlite3_errmsg(s_.db()) + " (" + sqlite3_errstr(rc) + ")");
  }
  Stmt& s_;
  const char* op_;
};

// Copies the WAL into the database file on a thread of its own, through a connection of its
// own, once the WAL holds kPages frames: a checkpoint writes thousands of pages and syncs the
// file, which the thread that commits a write batch (the engine's) then does not wait for.
// PASSIVE checkpoints, as SQLite's automatic ones: they wait for no reader or writer. The WAL
// starts again from its beginning only once a checkpoint has copied all of it, which one pass
// that runs while batches are committed never does: the thread copies again what was committed
// during its last pass (a few hundred pages, then a few dozen) until none is left, and only if
// some still are after kPasses does the committing connection, at its next commit, copy them
// itself. Durability is the WAL's, as before.
class Checkpointer {
 public:
  // A checkpoint per 10,000 frames (~40 MB of WAL) rather than SQLite's 1,000: a page that
  // many batches rewrite is written into the database once.
  static constexpr int kPages = 10000;
  // Checkpoint passes per wake-up of the thread.
  static constexpr int kPasses = 4;
  Checkpointer(const std::string& path, int busy_timeout_ms) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
      return;
    }
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    // A connection learns that the file is in WAL mode, and opens the WAL, at its first read;
    // until then a checkpoint through it does nothing and says so only with a log of -1 frames.
    if (sqlite3_exec(db_, "PRAGMA schema_version", nullptr, nullptr, nullptr) != SQLITE_OK) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
      return;
    }
    thread_ = std::thread([this] { run(); });
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    sqlite3_close_v2(db_);  // the last connection to close copies what is left
  }
  bool ok() const { return db_ != nullptr; }
  // sqlite3_wal_hook's callback, on the committing thread: the WAL holds `pages` frames.
  static int committed(void* self, sqlite3* db, const char* name, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    if (pages < kPages) return SQLITE_OK;
    {
      std::lock_guard<std::mutex> lock(c->mutex_);
      if (c->running_) return SQLITE_OK;
      if (!c->copied_) {
        c->wanted_ = true;
        c->wake_.notify_one();
        return SQLITE_OK;
      }
      c->copied_ = false;
    }
    // The rest, here (SQLite's own hook checkpoints on this thread too).
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || wanted_; });
      if (stop_) return;
      wanted_ = false;
      running_ = true;
      lock.unlock();
      // Passes until the WAL is copied whole (each copies what was committed during the last,
      // far less), so the committing connection starts the WAL over without copying anything.
      // A failure (the file busy past the timeout) leaves the WAL longer: the next copies it.
      bool whole = false;
      for (int pass = 0; pass < kPasses && !whole; ++pass) {
        int frames = 0;
        int copied = 0;
        if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied) !=
                SQLITE_OK ||
            frames < 0) {
          break;  // (-1 frames: no checkpoint ran) the committing connection copies instead
        }
        whole = copied >= frames;
      }
      lock.lock();
      running_ = false;
      copied_ = !whole;
    }
  }

  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;   // a copy asked of the thread
  bool running_ = false;  // the thread is copying
  bool copied_ = false;   // the thread copied; the committing connection finishes
  bool stop_ = false;
  std::thread thread_;
};

// The refills' deferrals: contact id -> until (ms since the Unix epoch), in pages of 4,096 ids
// allocated as a deferral first needs one. A refill asks for every index entry it passes over
// (~2.9 M a bank run), in dialing order, which follows the ids closely: an array read in order
// rather than a hash probe at a random place.
class DeferralTable {
 public:
  static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();
  bool empty() const { return count_ == 0; }
  std::int64_t until(ContactId id) const {
    const std::size_t page = id / kPageSize;
    if (page >= pages_.size() || !pages_[page]) return kNone;
    return (*pages_[page])[id % kPageSize];
  }
  void set(ContactId id, std::int64_t until_ms) {
    const std::size_t page = id / kPageSize;
    if (page >= pages_.size()) pages_.resize(page + 1);
    if (!pages_[page]) {
      pages_[page] = std::make_unique<Page>();
      pages_[page]->fill(kNone);
    }
    std::int64_t& slot = (*pages_[page])[id % kPageSize];
    if (slot == kNone) ++count_;
    slot = until_ms;
  }
  void erase(ContactId id) {
    const std::size_t page = id / kPageSize;
    if (page >= pages_.size() || !pages_[page]) return;
    std::int64_t& slot = (*pages_[page])[id % kPageSize];
    if (slot == kNone) return;
    slot = kNone;
    --count_;
  }

 private:
  static constexpr std::size_t kPageSize = 4096;
  using Page = std::array<std::int64_t, kPageSize>;
  std::vector<std::unique_ptr<Page>> pages_;
  std::size_t count_ = 0;
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const std::string& path, const SqliteStorageOptions& options) : options_(options) {
    if (options_.tenant.empty() || options_.tenant.size() > 200) {
      throw Error(ErrorCode::kConfig,
                  "sqlite storage: tenant must be 1..200 bytes, got '" + options_.tenant + "'");
    }
    const int create = options_.create_if_missing ? SQLITE_OPEN_CREATE : 0;
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | create | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      std::error_code ec;
      if (rc == SQLITE_CANTOPEN && !create && !std::filesystem::exists(path, ec)) {
        throw Error(ErrorCode::kNotFound, "sqlite storage: no database at '" + path + "'");
      }
      if (rc == SQLITE_CANTOPEN) {
        msg += " (does the directory exist, and may this process create files in it?)";
      }
      throw Error(ErrorCode::kStorage, "sqlite storage: open '" + path + "': " + msg);
    }
    if (sqlite3_db_readonly(db_, "main") == 1) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw Error(ErrorCode::kStorage, "sqlite storage: open '" + path +
                                           "': the database file is read-only; Omnivox needs to "
                                           "write. Nothing was written.");
    }
    try {
      sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
      const std::string where = "open '" + path + "'";
      if (options_.wal) {
        try {
          exec(where + ": set WAL", "PRAGMA journal_mode=WAL");
        } catch (const Error& e) {
          throw Error(ErrorCode::kStorage, std::string(e.what()) + " (WAL mode creates " + path +
                                               "-wal and " + path +
                                               "-shm: the directory must be writable)");
        }
      }
      exec(where + ": set synchronous",
           options_.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      // A campaign's working set (contacts, open attempts, leases, their indexes) in this
      // connection's page cache rather than read back through the OS at every statement.
      exec(where + ": set cache size", "PRAGMA cache_size=-32768");
      // A checkpoint syncs the file twice; each commit appends its pages to the WAL, so one every
      // 1,000 pages (SQLite's default) was one every ~100 write batches. Every 10,000 pages
      // (~40 MB of WAL) writes a page rewritten by many batches into the database once. On a
      // file, a Checkpointer makes them off this connection's thread.
      exec(where + ": set checkpoint interval", "PRAGMA wal_autocheckpoint=10000");
      for (const auto& [name, convert, refusal] :
           {std::tuple{"omnivox_numbers_as_text", &json_as_text<&numbers_json_as_text>,
                       "a contact's numbers are not JSON: "},
            std::tuple{"omnivox_attributes_as_text", &json_as_text<&attributes_json_as_text>,
                       "a contact's attributes are not JSON: "}}) {
        if (sqlite3_create_function_v2(
                db_, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                const_cast<char*>(refusal), convert, nullptr, nullptr, nullptr) != SQLITE_OK) {
          throw Error(ErrorCode::kStorage,
                      "sqlite storage: " + where + ": register a function: " + sqlite3_errmsg(db_));
        }
      }
      exec(where + ": begin", "BEGIN IMMEDIATE");
      try {
        exec(where + ": create schema",
             "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        int version = read_version();
        if (version > kSqliteSchemaVersion) {
          throw Error(ErrorCode::kStorage, "sqlite storage: open '" + path +
                                               "': the database has schema version " +
                                               std::to_string(version) +
                                               ", newer than this build of Omnivox supports (" +
                                               std::to_string(kSqliteSchemaVersion) +
                                               "); upgrade Omnivox. Nothing was written.");
        }
        if (version == 0) {
          exec(where + ": create schema v1", kSchemaV1);
          exec(where + ": write schema version", "INSERT INTO schema_version (version) VALUES (1)");
          version = 1;
        }
        if (version == 1) {
          exec(where + ": migrate schema v1 -> v2", kMigrateV1ToV2);
          version = 2;
        }
        if (version == 2) {
          exec(where + ": migrate schema v2 -> v3", kMigrateV2ToV3);
          version = 3;
        }
        if (version == 3) {
          exec(where + ": migrate schema v3 -> v4", kMigrateV3ToV4);
          version = 4;
        }
        if (version == 4) {
          exec(where + ": migrate schema v4 -> v5", kMigrateV4ToV5);
          version = 5;
        }
        if (version == 5) {
          exec(where + ": migrate schema v5 -> v6", kMigrateV5ToV6);
          version = 6;
        }
        if (version == 6) {
          exec(where + ": migrate schema v6 -> v7", kMigrateV6ToV7);
          version = 7;
        }
        if (version == 7) {
          exec(where + ": migrate schema v7 -> v8", kMigrateV7ToV8);
          version = 8;
        }
        if (version == 8) {
          exec(where + ": migrate schema v8 -> v9", kMigrateV8ToV9);
          version = 9;
        }
        if (version == 9) {
          exec(where + ": migrate schema v9 -> v10", kMigrateV9ToV10);
          version = 10;
        }
        {
          Stmt s;
          s.prepare(db_, "INSERT OR IGNORE INTO tenants (id) VALUES (?1)");
          Use(s, "open: register tenant").bind(1, options_.tenant).run();
        }
        exec(where + ": commit", "COMMIT");
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
      prepare_all();
      wal_file_ = options_.wal && !path.empty() && path != ":memory:" && in_wal_mode();
      if (wal_file_) {
        auto checkpointer = std::make_unique<Checkpointer>(path, options_.busy_timeout_ms);
        if (checkpointer->ok()) {
          checkpointer_ = std::move(checkpointer);
          // Replaces the automatic checkpoints (SQLite's own WAL hook).
          sqlite3_wal_hook(db_, &Checkpointer::committed, checkpointer_.get());
        }
      }
    } catch (...) {
      close();
      throw;
    }
  }
  ~SqliteStorage() override { close(); }

  // ---- campaigns and lists ----
  void put_campaign(const CampaignConfig& campaign) override {
    std::string text = campaign_to_json(campaign);
    std::lock_guard<std::mutex> lock(mutex_);
    Use(put_campaign_, "put_campaign").bind(1, campaign.id).bind(2, text).run();
  }
  std::optional<CampaignConfig> get_campaign(std::string_view campaign_id) override {
    std::string text;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Use u(get_campaign_, "get_campaign");
      u.bind(1, campaign_id);
      if (!u.step()) return std::nullopt;
      text = u.text(0);
    }
    try {
      return campaign_from_json(text);
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kStorage, "sqlite storage: get_campaign '" + std::string(campaign_id) +
                                           "': bad stored configuration: " + e.what());
    }
  }
  std::vector<std::string> campaign_ids() override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    Use u(campaign_ids_, "campaign_ids");
    while (u.step()) out.push_back(u.text(0));
    return out;
  }
  void put_list(const ContactList& list) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use(put_list_, "put_list")
        .bind(1, list.campaign_id)
        .bind(2, list.name)
        .bind(3, std::int64_t{list.active})
        .bind(4, std::int64_t{list.import_complete})
        .run();
  }
  std::vector<ContactList> lists(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ContactList> out;
    Use u(lists_, "lists");
    u.bind(1, campaign_id);
    while (u.step()) {
      out.push_back({std::string(campaign_id), u.text(0), u.i64(1) != 0, u.i64(2) != 0});
    }
    return out;
  }

  // ---- contacts ----
  ContactId add_contact(Contact contact) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "add_contact");
    ContactId id = store_contact(contact, "add_contact").first;
    tx.commit();
    return id;
  }
  std::size_t add_contacts(std::span<Contact> contacts) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "add_contacts");
    std::size_t added = 0;
    NextListOrder next;
    for (Contact& c : contacts) {
      auto [id, is_new] = store_contact(c, "add_contacts", &next);
      c.id = id;
      added += is_new;
    }
    tx.commit();
    return added;
  }
  std::optional<Contact> get_contact(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(get_contact_, "get_contact");
    u.bind(1, static_cast<std::int64_t>(id));
    if (!u.step()) return std::nullopt;
    return read_contact(u, /*keep=*/true);
  }
  // A contact this object claimed moments ago (see claim()) is read with every other one it
  // claimed and has not read yet, in one read transaction, and each is answered from there
  // once: the engine reads each contact it claimed as it places the call. Any other read is a
  // read of its own.
  bool read_contact(ContactId id, Contact& out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    auto held = claimed_.find(id);
    if (held != claimed_.end() && now >= held->second.fresh_until) {
      claimed_.erase(held);
      held = claimed_.end();
    }
    if (held != claimed_.end() && !held->second.loaded) {
      read_claimed(now);
      held = claimed_.find(id);
    }
    if (held != claimed_.end() && held->second.loaded) {
      out = std::move(held->second.contact);
      claimed_.erase(held);
      return true;
    }
    Use u(get_contact_, "read_contact");
    u.bind(1, static_cast<std::int64_t>(id));
    if (!u.step()) return false;
    out = read_contact(u, /*keep=*/true);
    return true;
  }
  void update_contact(const Contact& contact) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "update_contact");
    numbers_to_text(contact.numbers, numbers_text_);
    write_contact(contact, numbers_text_);
    tx.commit();
  }
  void update_contacts(std::span<const Contact> contacts) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "update_contacts");
    write_contacts(contacts);
    tx.commit();
  }
  std::size_t scan_contacts(const ContactScan& scan,
                            const std::function<bool(const Contact&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t visited = 0;
    if (!scan.dialable_only) {
      Use u(scan_all_, "scan_contacts");
      u.bind(1, scan.campaign_id);
      while (u.step()) {
        ++visited;
        if (!visit(read_contact(u))) break;
      }
      return visited;
    }
    // One read transaction: both halves see the same snapshot.
    Transaction tx(*this, "scan_contacts", "BEGIN");
    {
      Use u(scan_callbacks_, "scan_contacts: callbacks");
      u.bind(1, scan.campaign_id).bind(2, ms(scan.due_by));
      while (u.step()) {
        ++visited;
        if (!visit(read_contact(u))) return visited;
      }
    }
    Use u(scan_ready_, "scan_contacts");
    u.bind(1, scan.campaign_id).bind(2, ms(scan.due_by));
    while (u.step()) {
      ++visited;
      if (!visit(read_contact(u))) break;
    }
    return visited;
  }
  // A refill passes over many contacts it does not take: the views read only the columns the
  // eligibility rules read, decode nothing of a contact the caller skips or deferred, and leave
  // out contacts under a live lease in the query.
  std::size_t scan_contact_views(
      const ContactScan& scan, const std::function<ScanStep(const ContactView&)>& visit) override {
    // Without dialable_only: every contact (the default, through scan_contacts), or with
    // scheduled_after only the scheduled ones, through the indexes of callbacks and of NEW and
    // RETRY contacts by due time, which a survey of the campaign's schedule reads.
    if (!scan.dialable_only && !scan.scheduled_after)
      return Storage::scan_contact_views(scan, visit);
    const bool scheduled = !scan.dialable_only;
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t due = ms(scan.due_by);
    const std::int64_t leased_at =
        scan.skip_leased_at ? ms(*scan.skip_leased_at) : std::numeric_limits<std::int64_t>::max();
    std::size_t visited = 0;
    std::vector<PhoneNumber> numbers;
    std::vector<PhoneNumberView> number_views;
    std::string time_zone;
    std::vector<std::pair<ContactId, TimePoint>> deferrals;
    // omnivox_passed_over reads the scan (its skip) while the statements run.
    scanning_ = &scan;
    struct EndScan {
      const ContactScan*& scanning;
      ~EndScan() { scanning = nullptr; }
    } end_scan{scanning_};
    auto visit_rows = [&](Stmt& statement, const char* what, bool ready) {
      Use u(statement, what);
      u.bind(1, scan.campaign_id);
      if (scheduled) {
        u.bind(2, ms(*scan.scheduled_after));
      } else {
        u.bind(2, due).bind(3, leased_at);
      }
      while (u.step()) {
        const auto id = static_cast<ContactId>(u.i64(0));
        if (scheduled && scan.skip && scan.skip(id)) continue;
        try {
          numbers_from_text(u.view(1), numbers);
        } catch (const std::exception& e) {
          throw Error(ErrorCode::kStorage, "sqlite storage: contact " + std::to_string(id) +
                                               ": bad stored numbers: " + e.what());
        }
        number_views.resize(numbers.size());
        for (std::size_t i = 0; i < numbers.size(); ++i) number_views[i] = view_of(numbers[i]);
        time_zone.assign(u.view(2));
        ContactView view{.id = id,
                         .status = static_cast<ContactStatus>(u.i64(3)),
                         .priority = static_cast<std::int32_t>(u.i64(10)),
                         .attempts = static_cast<std::uint16_t>(u.i64(4)),
                         .next_number = static_cast<std::uint16_t>(u.i64(5)),
                         .last_disposition = static_cast<Disposition>(u.i64(6)),
                         .last_attempt_at = tp(u.i64(7)),
                         .next_attempt_at = tp(u.i64(8)),
                         .callback_agent = static_cast<AgentId>(u.i64(9)),
                         .time_zone = time_zone,
                         .numbers = number_views};
        ++visited;
        const ScanStep step = visit(view);
        if (ready && !scheduled && step.defer_until != TimePoint::min()) {
          deferrals.emplace_back(id, step.defer_until);
        }
        if (!step.more) return false;
      }
      return true;
    };
    {
      // One read transaction: both halves see the same snapshot.
      Transaction tx(*this, "scan_contact_views", "BEGIN");
      if (scheduled) {
        if (visit_rows(scheduled_callbacks_, "scan_contact_views: scheduled callbacks", false)) {
          visit_rows(scheduled_retries_, "scan_contact_views: scheduled retries", true);
        }
      } else if (visit_rows(views_callbacks_, "scan_contact_views: callbacks", false)) {
        visit_rows(views_ready_, "scan_contact_views", true);
      }
    }
    for (const auto& [id, until] : deferrals) deferred_.set(id, ms(until));
    return visited;
  }
  // Kept in this object (the engine that scanned wakes itself at `until`): a contact written
  // through it leaves, one written by another process stays deferred until then (its window
  // cannot open earlier unless its numbers or zone changed).
  void defer_contacts(std::string_view campaign_id, std::span<const ContactId> ids,
                      TimePoint until) override {
    (void)campaign_id;
    std::lock_guard<std::mutex> lock(mutex_);
    for (ContactId id : ids) deferred_.set(id, ms(until));
  }
  std::size_t contact_count(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(contact_count_, "contact_count");
    u.bind(1, campaign_id);
    u.step();
    return static_cast<std::size_t>(u.i64(0));
  }
  std::vector<std::size_t> count_by_status(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::size_t> out(7, 0);
    Use u(count_by_status_, "count_by_status");
    u.bind(1, campaign_id);
    while (u.step()) {
      std::int64_t s = u.i64(0);
      if (s >= 0 && s < 7) out[static_cast<std::size_t>(s)] = static_cast<std::size_t>(u.i64(1));
    }
    return out;
  }

  // ---- leases ----
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    return claim(claim_lease_, "claim_leases", ids, owner, now, ttl);
  }
  std::vector<ContactId> claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                   std::string_view owner, TimePoint now,
                                                   Duration ttl) override {
    return claim(take_over_lease_, "claim_leases_to_reconcile", ids, owner, now, ttl);
  }
  // One statement for all the ids (a JSON array of them, expanded by json_each): it returns
  // the ids it inserted or took over, in no set order, which are then put in the order of `ids`.
  std::vector<ContactId> claim(Stmt& statement, const char* what, std::span<const ContactId> ids,
                               std::string_view owner, TimePoint now, Duration ttl) {
    std::vector<ContactId> claimed;
    claimed.reserve(ids.size());
    std::lock_guard<std::mutex> lock(mutex_);
    ids_to_json(ids, ids_json_);
    Transaction tx(*this, what, "BEGIN IMMEDIATE");
    {
      Use u(statement, what);
      u.bind(1, std::string_view(ids_json_)).bind(2, owner).bind(3, ms(now + ttl)).bind(4, ms(now));
      while (u.step()) claimed.push_back(static_cast<ContactId>(u.i64(0)));
    }
    tx.commit();
    in_order_of(ids, claimed);
    remember_claims(&statement == &claim_lease_, ids, claimed, owner, ms(now + ttl), ttl);
    return claimed;
  }
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(renew_lease_, "renew_lease");
    u.bind(1, ms(now + ttl)).bind(2, static_cast<std::int64_t>(id)).bind(3, owner);
    u.run();
    return u.changes() > 0;
  }
  void release_lease(ContactId id, std::string_view owner) override {
    std::lock_guard<std::mutex> lock(mutex_);
    delete_leases({&id, 1}, owner);
  }
  void release_leases(std::span<const ContactId> ids, std::string_view owner) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "release_leases");
    delete_leases(ids, owner);
    tx.commit();
  }
  std::optional<Lease> get_lease(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(get_lease_, "get_lease");
    u.bind(1, static_cast<std::int64_t>(id));
    if (!u.step()) return std::nullopt;
    return Lease{id, u.text(0), tp(u.i64(1))};
  }
  std::optional<TimePoint> earliest_lease_expiry(std::string_view campaign_id,
                                                 std::string_view owner, TimePoint now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(earliest_lease_expiry_, "earliest_lease_expiry");
    u.bind(1, campaign_id).bind(2, owner).bind(3, ms(now));
    if (!u.step()) return std::nullopt;
    return tp(u.i64(0));
  }

  // ---- attempts ----
  CallId allocate_call_id() override { return allocate_call_ids(1).front(); }
  // Drawn from the counter kCallIdsDrawn at a time (or n, when more) and handed out in order:
  // an engine asks for 64 at a time, and each draw is a commit of its own.
  std::vector<CallId> allocate_call_ids(std::size_t n) override {
    std::vector<CallId> ids;
    if (n == 0) return ids;
    std::lock_guard<std::mutex> lock(mutex_);
    if (call_ids_left_ < n) {
      // The ids left of the last draw do not run on into this one: they are a gap.
      const std::size_t draw = std::max(n, kCallIdsDrawn);
      Use u(allocate_call_ids_, "allocate_call_ids");
      u.bind(1, static_cast<std::int64_t>(draw));
      if (!u.step()) {
        throw Error(ErrorCode::kStorage, "sqlite storage: allocate_call_ids: counter row missing");
      }
      const auto last = static_cast<CallId>(u.i64(0));
      u.run();
      next_call_id_ = last - draw + 1;
      call_ids_left_ = draw;
    }
    ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i) ids.push_back(next_call_id_ + i);
    next_call_id_ += n;
    call_ids_left_ -= n;
    return ids;
  }
  void put_attempt(const Attempt& a) override {
    std::lock_guard<std::mutex> lock(mutex_);
    write_attempt(a);
  }
  void put_attempts(std::span<const Attempt> attempts) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "put_attempts");
    for (const Attempt& a : attempts) write_attempt(a);
    tx.commit();
  }
  void write_batch(const StorageWriteBatch& batch) override {
    if (batch.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "write_batch");
    for (const Attempt& a : batch.attempts) write_attempt(a);
    write_contacts(batch.contacts);
    for (const JournalEntry& e : batch.journal) write_journal(e);
    delete_leases(batch.released, batch.release_owner);
    tx.commit();
  }
  bool prefers_batched_writes() const override { return true; }
  std::vector<Attempt> attempts_of(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Attempt> out;
    Use u(attempts_of_, "attempts_of");
    u.bind(1, static_cast<std::int64_t>(id));
    while (u.step()) out.push_back(read_attempt(u));
    return out;
  }

 private:
  // Caller holds mutex_ (and, for several, a transaction).
  // An attempt is written when it is placed and again as its call goes on: the later writes
  // update its state in place, leaving the indexes on its contact and campaign alone.
  // A new attempt (one this object has not written open) is inserted at once; an update of
  // one that is not stored falls back to the upsert.
  void write_attempt(const Attempt& a) {
    const bool open = a.disposition == Disposition::kNone;
    auto written = open_attempts_.find(a.call_id);
    if (written != open_attempts_.end()) {
      if (!open) open_attempts_.erase(written);
      Use u(update_attempt_state_, "put_attempt");
      bind_attempt(u, a);
      u.run();
      if (u.changes() > 0) return;
    }
    Use u(put_attempt_, "put_attempt");
    bind_attempt(u, a);
    u.run();
    if (open && u.changes() > 0) {
      if (open_attempts_.size() >= kKeysKept) open_attempts_.clear();
      open_attempts_.insert(a.call_id);
    }
  }
  static void bind_attempt(Use& u, const Attempt& a) {
    u.bind(1, static_cast<std::int64_t>(a.call_id))
        .bind(2, static_cast<std::int64_t>(a.contact_id))
        .bind(3, a.campaign_id)
        .bind(4, a.number)
        .bind(5, std::int64_t{a.number_index})
        .bind(6, std::int64_t{a.attempt_number})
        .bind(7, a.caller_id)
        .bind(8, a.provider_call_id)
        .bind(9, static_cast<std::int64_t>(a.state))
        .bind(10, static_cast<std::int64_t>(a.fail_reason))
        .bind(11, static_cast<std::int64_t>(a.amd))
        .bind(12, static_cast<std::int64_t>(a.disposition))
        .bind(13, std::int64_t{a.agent})
        .bind(14, ms(a.created_at))
        .bind(15, ms(a.answered_at))
        .bind(16, ms(a.bridged_at))
        .bind(17, ms(a.ended_at))
        .bind(18, std::int64_t{a.provider_code});
  }
  void write_contact(const Contact& contact, const std::string& numbers) {
    if (!deferred_.empty()) deferred_.erase(contact.id);
    if (!claimed_.empty()) claimed_.erase(contact.id);
    if (!write_contact_row(contact, numbers)) {
      throw Error(ErrorCode::kNotFound,
                  "update_contact: unknown contact id " + std::to_string(contact.id));
    }
    attributes_to_text(contact.attributes, attributes_text_);
    auto known = attributes_.find(contact.id);
    if (known != attributes_.end() && known->second.confirmed == attributes_epoch_ &&
        known->second.text == attributes_text_) {
      return;  // the file holds them
    }
    Use u(put_attributes_, "update_contact: attributes");
    u.bind(1, static_cast<std::int64_t>(contact.id)).bind(2, attributes_text_);
    u.run();
    keep_attributes(contact.id, attributes_text_).confirmed = attributes_epoch_;
  }
  // False when no contact of this tenant has the id.
  bool write_contact_row(const Contact& contact, const std::string& numbers) {
    // Usually only the dialling state changed, and placing a call leaves the status and the
    // due time as they were: then no index is written, or only those on status and due time
    // (each index entry rewritten is another page in the commit). The status and due time
    // this object last wrote say which applies (each statement checks, so a stale guess costs
    // only a statement).
    const std::pair<std::int64_t, std::int64_t> keys{static_cast<std::int64_t>(contact.status),
                                                     ms(contact.next_attempt_at)};
    auto last = index_keys_.find(contact.id);
    const bool moved = last != index_keys_.end() && last->second != keys;
    // The status and campaign the row holds, counted from when the status changes: the ones
    // this object last wrote until a statement finds otherwise, then read.
    std::optional<std::int64_t> stored_status;
    if (last != index_keys_.end()) stored_status = last->second.first;
    std::string_view stored_campaign = contact.campaign_id;
    if (last == index_keys_.end() && index_keys_.size() >= kKeysKept) index_keys_.clear();
    index_keys_[contact.id] = keys;
    if (!moved) {
      Use u(update_counts_, "update_contact");
      bind_contact(u, contact, numbers);
      u.bind(1, static_cast<std::int64_t>(contact.id));
      u.run();
      if (u.changes() > 0) return true;
    }
    std::string campaign_read;
    for (int pass = 0; pass < 2; ++pass) {
      if (!stored_status) {
        Use u(stored_status_, "update_contact");
        u.bind(1, static_cast<std::int64_t>(contact.id));
        if (!u.step()) return false;
        stored_status = u.i64(0);
        campaign_read = u.view(1);
        stored_campaign = campaign_read;
      }
      for (Stmt* statement : {&update_dialling_state_, &update_contact_}) {
        Use u(*statement, "update_contact");
        bind_contact(u, contact, numbers);
        u.bind(1, static_cast<std::int64_t>(contact.id))
            .bind(kStoredStatusParam, *stored_status)
            .bind(kStoredCampaignParam, stored_campaign);
        u.run();
        if (u.changes() > 0) {
          if (*stored_status != keys.first) {
            count_status(stored_campaign, *stored_status, -1);
            count_status(stored_campaign, keys.first, 1);
          }
          return true;
        }
      }
      stored_status.reset();  // another writer changed it: read what the row holds
    }
    return false;
  }
  // status_counts' parameters of the statements that may change a contact's status.
  static constexpr int kStoredStatusParam = 31;
  static constexpr int kStoredCampaignParam = 32;
  // Adds `n` to the count of the campaign's contacts with the status, at the transaction's
  // commit (write_status_counts).
  void count_status(std::string_view campaign_id, std::int64_t status, std::int64_t n) {
    for (StatusCountChange& change : status_count_changes_) {
      if (change.status == status && change.campaign_id == campaign_id) {
        change.n += n;
        return;
      }
    }
    status_count_changes_.push_back({std::string(campaign_id), status, n});
  }
  void write_status_counts(const char* op) {
    for (const StatusCountChange& change : status_count_changes_) {
      if (change.n == 0) continue;
      Use(add_status_count_, op)
          .bind(1, change.campaign_id)
          .bind(2, change.status)
          .bind(3, change.n)
          .run();
    }
    status_count_changes_.clear();
  }
  void write_contacts(std::span<const Contact> contacts) {
    for (const Contact& c : contacts) {
      numbers_to_text(c.numbers, numbers_text_);
      write_contact(c, numbers_text_);
    }
  }
  void write_journal(const JournalEntry& e) {
    if (!options_.keep_journal) return;
    Use(append_journal_, "append_journal")
        .bind(1, e.campaign_id)
        .bind(2, ms(e.at))
        .bind(3, static_cast<std::int64_t>(e.call_id))
        .bind(4, static_cast<std::int64_t>(e.contact_id))
        .bind(5, e.kind)
        .bind(6, e.detail)
        .run();
  }
  void delete_leases(std::span<const ContactId> ids, std::string_view owner) {
    for (ContactId id : ids) {
      forget_claim(id);
      Use(release_lease_, "release_leases")
          .bind(1, static_cast<std::int64_t>(id))
          .bind(2, owner)
          .run();
    }
  }

 public:
  void scan_attempts(std::string_view campaign_id,
                     const std::function<bool(const Attempt&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(scan_attempts_, "scan_attempts");
    u.bind(1, campaign_id);
    while (u.step()) {
      if (!visit(read_attempt(u))) return;
    }
  }

  void scan_open_attempts(std::string_view campaign_id,
                          const std::function<bool(const Attempt&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(scan_open_attempts_, "scan_open_attempts");
    u.bind(1, campaign_id);
    while (u.step()) {
      if (!visit(read_attempt(u))) return;
    }
  }

  // ---- DNC ----
  void add_dnc(std::string_view list, std::string_view e164) override {
    std::lock_guard<std::mutex> lock(mutex_);
    dnc_answers_.clear();
    dnc_lists_stale_ = true;
    Use(add_dnc_, "add_dnc").bind(1, list).bind(2, e164).run();
  }
  bool remove_dnc(std::string_view list, std::string_view e164) override {
    std::lock_guard<std::mutex> lock(mutex_);
    dnc_answers_.clear();
    dnc_lists_stale_ = true;
    Use u(remove_dnc_, "remove_dnc");
    u.bind(1, list).bind(2, e164).run();
    return u.changes() > 0;
  }
  // An engine checks each number twice per attempt (at the refill and at the launch): the
  // answers are kept until a DNC list changes, and an answer is as of the check, as a query
  // would be. A check first looks at the WAL-index header in shared memory (no lock, no
  // system call): unchanged since the last look, nothing was committed by any connection of
  // any process since, and the kept answers stand. Otherwise (or without a WAL) it asks SQLite
  // whether another connection committed (PRAGMA data_version: a read transaction) and only
  // then reads the DNC change counter.
  bool is_dnc(std::string_view campaign_id, std::string_view e164) override {
    std::lock_guard<std::mutex> lock(mutex_);
    // Read before the read transaction below: a commit after this read changes the header, so
    // the next check looks again; one before it, the transaction sees.
    WalIndexHeader header;
    const bool header_read = read_wal_index_header(header);
    if (!header_read || !wal_header_seen_ || header != *wal_header_seen_) {
      Use u(data_version_, "is_dnc: data version");
      u.step();
      const std::int64_t version = u.i64(0);
      if (version != data_version_seen_) {
        data_version_seen_ = version;
        Use c(dnc_changes_, "is_dnc: DNC changes");
        const std::int64_t changes = c.step() ? c.i64(0) : -1;
        if (changes != dnc_changes_seen_) {
          dnc_changes_seen_ = changes;
          dnc_answers_.clear();
          dnc_lists_stale_ = true;
        }
      }
      if (header_read) {
        wal_header_seen_ = header;
      } else {
        wal_header_seen_.reset();
      }
    }
    // (absl's own string_view: this abseil is built without std::string_view.)
    const absl::string_view number(e164.data(), e164.size());
    if (dnc_lists_stale_) read_dnc_lists();
    if (dnc_lists_) {
      auto lists = dnc_lists_->find(number);
      if (lists == dnc_lists_->end()) return false;
      for (const std::string& list : lists->second) {
        if (list == "global" || list == campaign_id) return true;
      }
      return false;
    }
    auto known = dnc_answers_.find(number);
    if (known != dnc_answers_.end()) {
      for (const auto& [campaign, listed] : known->second) {
        if (campaign == campaign_id) return listed;
      }
    }
    Use u(is_dnc_, "is_dnc");
    u.bind(1, e164);
    bool listed = false;
    while (!listed && u.step()) {
      const std::string_view list = u.view(0);
      listed = list == "global" || list == campaign_id;
    }
    if (known == dnc_answers_.end()) {
      if (dnc_answers_.size() >= kDncAnswersKept) dnc_answers_.clear();
      known = dnc_answers_.try_emplace(number).first;
    }
    known->second.emplace_back(campaign_id, listed);
    return listed;
  }

  // The tenant's DNC lists whole, by number, when they hold at most kDncEntriesLoaded entries
  // (then a check reads no table); otherwise none, and each number is looked up. Read when a
  // check finds them stale: at the first check, and after a change to the lists through this
  // object or committed by another connection. Caller holds mutex_.
  void read_dnc_lists() {
    dnc_lists_stale_ = false;
    dnc_lists_.reset();
    absl::flat_hash_map<std::string, std::vector<std::string>> lists;
    std::size_t entries = 0;
    Use u(dnc_entries_, "is_dnc: DNC lists");
    u.bind(1, static_cast<std::int64_t>(kDncEntriesLoaded + 1));
    while (u.step()) {
      if (++entries > kDncEntriesLoaded) return;
      const std::string_view e164 = u.view(0);
      lists[absl::string_view(e164.data(), e164.size())].push_back(u.text(1));
    }
    dnc_lists_ = std::move(lists);
  }

  // ---- journal and deduplication ----
  void append_journal(const JournalEntry& e) override {
    if (!options_.keep_journal) return;
    std::lock_guard<std::mutex> lock(mutex_);
    write_journal(e);
  }
  void append_journal_entries(std::span<const JournalEntry> entries) override {
    if (!options_.keep_journal || entries.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "append_journal_entries");
    for (const JournalEntry& e : entries) write_journal(e);
    tx.commit();
  }
  void scan_journal(std::string_view campaign_id,
                    const std::function<bool(const JournalEntry&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(scan_journal_, "scan_journal");
    u.bind(1, campaign_id);
    while (u.step()) {
      JournalEntry e;
      e.campaign_id = std::string(campaign_id);
      e.at = tp(u.i64(0));
      e.call_id = static_cast<CallId>(u.i64(1));
      e.contact_id = static_cast<ContactId>(u.i64(2));
      e.kind = u.text(3);
      e.detail = u.text(4);
      if (!visit(e)) return;
    }
  }
  void put_abandon_counts(std::string_view campaign_id, std::string_view owner,
                          std::span<const AbandonBucket> buckets) override {
    if (buckets.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "put_abandon_counts");
    for (const AbandonBucket& b : buckets) {
      Use(put_abandon_counts_, "put_abandon_counts")
          .bind(1, campaign_id)
          .bind(2, ms(b.minute))
          .bind(3, owner)
          .bind(4, b.counts.live_answers)
          .bind(5, b.counts.abandons)
          .bind(6, b.counts.machines)
          .run();
    }
    tx.commit();
  }
  AbandonCounts abandon_counts(std::string_view campaign_id, TimePoint from,
                               TimePoint to) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(abandon_counts_, "abandon_counts");
    u.bind(1, campaign_id).bind(2, ms(from)).bind(3, ms(to));
    AbandonCounts sum;
    if (u.step()) sum = {u.i64(0), u.i64(1), u.i64(2), u.i64(3)};
    return sum;
  }
  bool mark_event_processed(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(mark_processed_, "mark_event_processed");
    u.bind(1, key);
    u.run();
    return u.changes() > 0;
  }

 private:
  // The first copy of the WAL-index header at the start of the database's shared memory (the
  // -shm file): https://www.sqlite.org/walformat.html, "The WAL-Index Header". A writer stores
  // it twice, the second copy first, when a transaction commits; every commit changes it (the
  // last frame's index and checksum grow, or a WAL started over has new salts), so an
  // unchanged header means no commit since it was read.
  struct WalIndexHeader {
    std::array<unsigned char, 48> bytes{};
    bool operator==(const WalIndexHeader&) const = default;
  };
  // False when there is none to read (no WAL, its shared memory not mapped) or a writer is
  // storing it at this moment (the two copies differ). Caller holds mutex_.
  bool read_wal_index_header(WalIndexHeader& out) {
    // (Mapping the shared memory of a file not in WAL mode would create its -shm file.)
    if (!wal_file_) return false;
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
        !file->pMethods || file->pMethods->iVersion < 2 || !file->pMethods->xShmMap) {
      return false;
    }
    volatile void* region = nullptr;
    constexpr int kRegionSize = 32768;  // SQLite's wal-index region size
    if (file->pMethods->xShmMap(file, 0, kRegionSize, 0, &region) != SQLITE_OK || !region) {
      return false;
    }
    // As SQLite reads it (walIndexTryHdr): the first copy, a barrier, the second copy.
    const auto* shared = static_cast<const volatile unsigned char*>(region);
    WalIndexHeader second;
    for (std::size_t i = 0; i < out.bytes.size(); ++i) out.bytes[i] = shared[i];
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (std::size_t i = 0; i < second.bytes.size(); ++i) {
      second.bytes[i] = shared[out.bytes.size() + i];
    }
    constexpr std::size_t kIsInit = 12;  // WalIndexHdr.isInit
    return out == second && out.bytes[kIsInit] != 0;
  }

  // BEGIN .. COMMIT; rolls back if not committed. Caller holds mutex_.
  class Transaction {
   public:
    Transaction(SqliteStorage& s, const char* op, const char* begin = "BEGIN IMMEDIATE")
        : s_(s), op_(op), writes_(std::string_view(begin) != "BEGIN") {
      s_.status_count_changes_.clear();
      s_.exec(op_, begin);
      try {
        if (writes_) s_.refresh_attributes_epoch();
      } catch (...) {
        sqlite3_exec(s_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
    ~Transaction() {
      if (done_) return;
      s_.status_count_changes_.clear();
      sqlite3_exec(s_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
      if (writes_) ++s_.attributes_epoch_;  // what it wrote is gone
    }
    void commit() {
      s_.write_status_counts(op_);
      s_.exec(op_, "COMMIT");
      done_ = true;
    }

   private:
    SqliteStorage& s_;
    const char* op_;
    bool writes_;
    bool done_ = false;
  };

  // The load order the next new contact of a campaign gets, within one write transaction (no
  // other connection adds contacts meanwhile): read once, then counted.
  struct NextListOrder {
    std::string campaign_id;
    std::uint64_t value = 0;  // 0: not read
  };

  // Inserts a contact unless its (campaign, list, external id) is stored: its id and whether it
  // is new. Caller holds mutex_ inside a transaction.
  std::pair<ContactId, bool> store_contact(Contact& contact, const char* op,
                                           NextListOrder* next = nullptr) {
    numbers_to_text(contact.numbers, numbers_text_);
    const std::string& numbers = numbers_text_;
    if (next && next->value != 0 && next->campaign_id == contact.campaign_id) {
      contact.list_order = next->value;
    } else {
      Use u(next_list_order_, op);
      u.bind(1, contact.campaign_id);
      u.step();
      contact.list_order = static_cast<std::uint64_t>(u.i64(0));
    }
    {
      Use u(insert_contact_, op);
      bind_contact(u, contact, numbers);
      u.bind(5, static_cast<std::int64_t>(contact.list_order));
      u.run();
      const bool added = u.changes() > 0;
      if (next) *next = {contact.campaign_id, contact.list_order + (added ? 1 : 0)};
      if (added) {
        count_status(contact.campaign_id, static_cast<std::int64_t>(contact.status), 1);
        const auto id = static_cast<ContactId>(sqlite3_last_insert_rowid(db_));
        attributes_.erase(id);
        attributes_to_text(contact.attributes, attributes_text_);
        Use a(put_attributes_, op);
        a.bind(1, static_cast<std::int64_t>(id)).bind(2, attributes_text_);
        a.run();
        return {id, true};
      }
    }
    Use u(find_contact_, op);
    u.bind(1, contact.campaign_id).bind(2, contact.list_name).bind(3, contact.external_id);
    if (!u.step()) {
      throw Error(ErrorCode::kStorage, std::string("sqlite storage: ") + op + ": contact '" +
                                           contact.external_id + "' was neither stored nor found");
    }
    contact.list_order = static_cast<std::uint64_t>(u.i64(1));
    return {static_cast<ContactId>(u.i64(0)), false};
  }

  // Runs `sql`, retrying while the database is busy, up to the busy timeout. SQLite's own busy
  // handler does not cover every case: a journal-mode change of a file another process is
  // creating, or a BEGIN that meets another connection's WAL recovery, answer SQLITE_BUSY at
  // once, and two processes importing at the same moment met them.
  void exec(const std::string& op, const char* sql) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.busy_timeout_ms);
    for (int attempt = 0;; ++attempt) {
      char* err = nullptr;
      const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
      if (rc == SQLITE_OK) return;
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      if ((rc & 0xFF) == SQLITE_BUSY && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1 + (attempt * 7) % 20));
        continue;
      }
      throw Error(ErrorCode::kStorage, "sqlite storage: " + op + ": " + msg);
    }
  }
  // SQLite keeps the journal mode it had when it cannot change it (a file system without
  // shared memory): what it answers now, not what was asked.
  bool in_wal_mode() {
    Stmt s;
    s.prepare(db_, "PRAGMA journal_mode");
    Use u(s, "open: read journal mode");
    return u.step() && u.view(0) == "wal";
  }
  int read_version() {
    Stmt s;
    s.prepare(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    Use u(s, "open: read schema version");
    u.step();
    return static_cast<int>(u.i64(0));
  }
  void close() {
    // Statements are finalised by their destructors; finalise now so the close succeeds.
    for (Stmt* s : all_statements()) s->finalize();
    if (db_) {
      sqlite3_wal_hook(db_, nullptr, nullptr);
      sqlite3_close_v2(db_);
    }
    db_ = nullptr;
    checkpointer_.reset();
  }
  std::vector<Stmt*> all_statements() {
    return {&campaign_ids_,
            &put_campaign_,
            &get_campaign_,
            &put_list_,
            &lists_,
            &next_list_order_,
            &insert_contact_,
            &get_contact_,
            &get_leased_contacts_,
            &update_contact_,
            &put_attributes_,
            &scan_all_,
            &scan_callbacks_,
            &scan_ready_,
            &views_callbacks_,
            &views_ready_,
            &scheduled_callbacks_,
            &scheduled_retries_,
            &update_dialling_state_,
            &update_attempt_state_,
            &update_counts_,
            &contact_count_,
            &count_by_status_,
            &claim_lease_,
            &renew_lease_,
            &take_over_lease_,
            &release_lease_,
            &get_lease_,
            &earliest_lease_expiry_,
            &allocate_call_ids_,
            &put_attempt_,
            &attempts_of_,
            &scan_attempts_,
            &scan_open_attempts_,
            &add_dnc_,
            &is_dnc_,
            &append_journal_,
            &scan_journal_,
            &mark_processed_,
            &find_contact_,
            &put_abandon_counts_,
            &abandon_counts_,
            &remove_dnc_,
            &data_version_,
            &dnc_changes_,
            &dnc_entries_,
            &stored_status_,
            &add_status_count_};
  }
  void prepare_all() {
    if (sqlite3_create_function_v2(db_, "omnivox_passed_over", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                   this, &passed_over, nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw Error(ErrorCode::kStorage,
                  std::string("sqlite storage: register a function: ") + sqlite3_errmsg(db_));
    }
    // Every statement binds the Storage's tenant to ?30 (see Use).
    for (Stmt* st : all_statements()) st->set_tenant(&options_.tenant);
    const std::string cols = kContactColumns;
    const std::string acols = kAttemptColumns;
    put_campaign_.prepare(db_,
                          "INSERT INTO campaigns (tenant_id, id, config) VALUES (?30, ?1, ?2) "
                          "ON CONFLICT (tenant_id, id) DO UPDATE SET config = excluded.config");
    campaign_ids_.prepare(db_, "SELECT id FROM campaigns WHERE tenant_id = ?30 ORDER BY id");
    get_campaign_.prepare(db_, "SELECT config FROM campaigns WHERE tenant_id = ?30 AND id = ?1");
    put_list_.prepare(
        db_,
        "INSERT INTO lists (tenant_id, campaign_id, name, active, import_complete) VALUES "
        "(?30, ?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, campaign_id, name) DO UPDATE SET "
        "active = excluded.active, import_complete = excluded.import_complete");
    lists_.prepare(db_,
                   "SELECT name, active, import_complete FROM lists WHERE tenant_id = ?30 "
                   "AND campaign_id = ?1 ORDER BY seq");
    next_list_order_.prepare(
        db_,
        "SELECT COALESCE(MAX(list_order), 0) + 1 FROM contacts WHERE tenant_id = ?30 "
        "AND campaign_id = ?1");
    // Parameters 2.. of insert and update are the same; ?1 is unused by insert (id assigned).
    insert_contact_.prepare(
        db_,
        "INSERT INTO contacts (tenant_id, campaign_id, list_name, external_id, priority, "
        "list_order, numbers, time_zone, status, attempts, not_connected, next_number, "
        "last_disposition, last_attempt_at, next_attempt_at, callback_agent) VALUES "
        "(?30, ?2, ?3, ?4, ?6, ?5, ?7, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
        "ON CONFLICT (tenant_id, campaign_id, list_name, external_id) WHERE external_id <> '' "
        "DO NOTHING");
    find_contact_.prepare(db_,
                          "SELECT id, list_order FROM contacts WHERE tenant_id = ?30 AND "
                          "campaign_id = ?1 AND list_name = ?2 AND external_id = ?3 AND "
                          "external_id <> ''");  // the condition of the unique index
    // campaign_id and list_order are fixed at load time (as in the memory backend). The
    // statements that may change the status apply only to the status and campaign the caller
    // counts from (?31, ?32: write_contact_row).
    update_contact_.prepare(
        db_,
        "UPDATE contacts SET list_name = ?3, external_id = ?4, priority = ?6, numbers = ?7, "
        "time_zone = ?9, status = ?10, attempts = ?11, not_connected = ?12, "
        "next_number = ?13, last_disposition = ?14, last_attempt_at = ?15, "
        "next_attempt_at = ?16, callback_agent = ?17 WHERE id = ?1 AND tenant_id = ?30 "
        "AND status = ?31 AND campaign_id = ?32");
    // Written only when it changed: most writes of a contact leave its attributes as they were.
    put_attributes_.prepare(
        db_,
        "INSERT INTO contact_attributes (contact_id, attributes) VALUES (?1, ?2) "
        "ON CONFLICT (contact_id) DO UPDATE SET attributes = "
        "excluded.attributes WHERE attributes IS NOT excluded.attributes");
    update_dialling_state_.prepare(
        db_,
        "UPDATE contacts SET numbers = ?7, time_zone = ?9, status = ?10, "
        "attempts = ?11, not_connected = ?12, next_number = ?13, last_disposition = ?14, "
        "last_attempt_at = ?15, next_attempt_at = ?16, callback_agent = ?17 WHERE id = ?1 AND "
        "tenant_id = ?30 AND list_name = ?3 AND external_id = ?4 AND priority = ?6 AND "
        "status = ?31 AND campaign_id = ?32");
    stored_status_.prepare(
        db_, "SELECT status, campaign_id FROM contacts WHERE id = ?1 AND tenant_id = ?30");
    add_status_count_.prepare(
        db_,
        "INSERT INTO status_counts (tenant_id, campaign_id, status, n) VALUES (?30, ?1, ?2, ?3) "
        "ON CONFLICT (tenant_id, campaign_id, status) DO UPDATE SET n = n + excluded.n");
    update_counts_.prepare(
        db_,
        "UPDATE contacts SET numbers = ?7, time_zone = ?9, attempts = ?11, "
        "not_connected = ?12, next_number = ?13, last_disposition = ?14, last_attempt_at = ?15, "
        "callback_agent = ?17 WHERE id = ?1 AND tenant_id = ?30 AND list_name = ?3 AND "
        "external_id = ?4 AND priority = ?6 AND status = ?10 AND next_attempt_at = ?16");
    get_contact_.prepare(
        db_, ("SELECT " + cols + " FROM contacts WHERE id = ?1 AND tenant_id = ?30").c_str());
    // ?1: a JSON array of contact ids, each looked up by its key.
    get_leased_contacts_.prepare(
        db_, ("SELECT " + cols +
              ", leases.owner, leases.expiry FROM (SELECT value AS wanted FROM json_each(?1)) j "
              "CROSS JOIN contacts ON contacts.id = j.wanted JOIN leases ON leases.contact_id = "
              "contacts.id AND "
              "leases.tenant_id = ?30 WHERE contacts.tenant_id = ?30")
                 .c_str());
    scan_all_.prepare(db_, ("SELECT " + cols +
                            " FROM contacts WHERE tenant_id = ?30 AND campaign_id = ?1 "
                            "ORDER BY priority DESC, list_order")
                               .c_str());
    scan_callbacks_.prepare(
        db_, ("SELECT " + cols +
              " FROM contacts WHERE tenant_id = ?30 AND campaign_id = ?1 AND status = 2 "
              "AND next_attempt_at <= ?2 ORDER BY next_attempt_at, id")
                 .c_str());
    scan_ready_.prepare(
        db_, ("SELECT " + cols +
              " FROM contacts WHERE tenant_id = ?30 AND campaign_id = ?1 AND status IN (0, 1) "
              "AND next_attempt_at <= ?2 ORDER BY priority DESC, list_order")
                 .c_str());
    // scan_contact_views: ?3 the instant at which a lease counts as live. Both conditions on
    // the contact's id are decided on the index entry, before the row is read (SQLite defers
    // the table seek until a column needs it): most entries a refill meets are deferred.
    const std::string view_cols =
        "SELECT id, numbers, time_zone, status, attempts, next_number, last_disposition, "
        "last_attempt_at, next_attempt_at, callback_agent, priority FROM contacts ";
    const std::string not_leased =
        "AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.contact_id = contacts.id AND "
        "l.expiry > ?3) ";
    views_callbacks_.prepare(
        db_, (view_cols +
              "WHERE tenant_id = ?30 AND campaign_id = ?1 AND status = 2 AND next_attempt_at <= ?2 "
              "AND NOT omnivox_passed_over(id, 0) " +
              not_leased + "ORDER BY next_attempt_at, id")
                 .c_str());
    views_ready_.prepare(db_, (view_cols +
                               "WHERE tenant_id = ?30 AND campaign_id = ?1 AND status IN (0, 1) "
                               "AND next_attempt_at <= ?2 AND NOT omnivox_passed_over(id, 1) " +
                               not_leased + "ORDER BY priority DESC, list_order")
                                  .c_str());
    // scan_contact_views with scheduled_after (?2): callbacks by due time through their index;
    // RETRY contacts through the index of NEW and RETRY ones, whose due time is in its entries
    // (NEW contacts are due at once: left out on the entry, before the row is read).
    scheduled_callbacks_.prepare(
        db_, (view_cols +
              "WHERE tenant_id = ?30 AND campaign_id = ?1 AND status = 2 AND next_attempt_at > ?2 "
              "ORDER BY next_attempt_at, id")
                 .c_str());
    scheduled_retries_.prepare(
        db_,
        (view_cols + "WHERE tenant_id = ?30 AND campaign_id = ?1 AND status IN (0, 1) "
                     "AND next_attempt_at > ?2 AND status = 1 ORDER BY priority DESC, list_order")
            .c_str());
    contact_count_.prepare(db_,
                           "SELECT COALESCE(SUM(n), 0) FROM status_counts "
                           "WHERE tenant_id = ?30 AND campaign_id = ?1");
    count_by_status_.prepare(db_,
                             "SELECT status, n FROM status_counts "
                             "WHERE tenant_id = ?30 AND campaign_id = ?1");
    // Claims each contact of ?1 (a JSON array of ids, in order) unless another owner holds a
    // live lease (expiry > now) or, expired, left an open attempt (reconciliation's to close:
    // take_over_lease_); unknown contacts skipped. Returns the ids claimed: an upsert returns
    // the rows it inserted or updated, not those its WHERE left alone.
    const std::string claim_sql =
        "INSERT INTO leases (contact_id, owner, expiry, tenant_id) "
        "SELECT c.id, ?2, ?3, c.tenant_id FROM json_each(?1) j CROSS JOIN contacts c "
        "ON c.id = j.value "
        "WHERE c.tenant_id = ?30 "
        "ON CONFLICT (contact_id) DO UPDATE SET owner = excluded.owner, expiry = excluded.expiry "
        "WHERE leases.owner = excluded.owner OR (leases.expiry <= ?4";
    claim_lease_.prepare(db_, (claim_sql + " AND NOT EXISTS (SELECT 1 FROM attempts WHERE "
                                           "attempts.contact_id = leases.contact_id AND "
                                           "attempts.disposition = 0)) RETURNING contact_id")
                                  .c_str());
    take_over_lease_.prepare(db_, (claim_sql + ") RETURNING contact_id").c_str());
    renew_lease_.prepare(db_,
                         "UPDATE leases SET expiry = ?1 WHERE contact_id = ?2 AND owner = ?3 "
                         "AND tenant_id = ?30");
    release_lease_.prepare(db_,
                           "DELETE FROM leases WHERE contact_id = ?1 AND owner = ?2 "
                           "AND tenant_id = ?30");
    get_lease_.prepare(
        db_, "SELECT owner, expiry FROM leases WHERE contact_id = ?1 AND tenant_id = ?30");
    earliest_lease_expiry_.prepare(
        db_,
        // CROSS JOIN keeps the leases (a few per engine) as the outer loop, not the contacts.
        "SELECT l.expiry FROM leases l CROSS JOIN contacts c ON c.id = l.contact_id "
        "WHERE c.tenant_id = ?30 AND c.campaign_id = ?1 AND l.tenant_id = ?30 AND l.owner <> ?2 "
        "AND l.expiry > ?3 ORDER BY l.expiry LIMIT 1");
    allocate_call_ids_.prepare(
        db_, "UPDATE counters SET value = value + ?1 WHERE name = 'call_id' RETURNING value");
    // Never overwrites another tenant's attempt with the same call id.
    put_attempt_.prepare(
        db_, ("INSERT INTO attempts (" + acols +
              ", tenant_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
              "?15, ?16, ?17, ?18, ?30) " OMNIVOX_SQL_ATTEMPT_UPSERT
              "WHERE attempts.tenant_id = excluded.tenant_id")
                 .c_str());
    update_attempt_state_.prepare(
        db_,
        "UPDATE attempts SET number = ?4, number_index = ?5, attempt_number = ?6, caller_id = ?7, "
        "provider_call_id = ?8, state = ?9, fail_reason = ?10, amd = ?11, disposition = ?12, "
        "agent = ?13, created_at = ?14, answered_at = ?15, bridged_at = ?16, ended_at = ?17, "
        "provider_code = ?18 WHERE call_id = ?1 AND tenant_id = ?30 AND contact_id = ?2 AND "
        "campaign_id = ?3");
    attempts_of_.prepare(
        db_, ("SELECT " + acols +
              " FROM attempts WHERE tenant_id = ?30 AND contact_id = ?1 ORDER BY call_id")
                 .c_str());
    scan_attempts_.prepare(
        db_, ("SELECT " + acols +
              " FROM attempts WHERE tenant_id = ?30 AND campaign_id = ?1 ORDER BY call_id")
                 .c_str());
    // Served by the partial index attempts_open.
    scan_open_attempts_.prepare(db_, ("SELECT " + acols +
                                      " FROM attempts WHERE tenant_id = ?30 AND campaign_id = ?1 "
                                      "AND disposition = 0 ORDER BY call_id")
                                         .c_str());
    add_dnc_.prepare(db_, "INSERT OR IGNORE INTO dnc (tenant_id, list, e164) VALUES (?30, ?1, ?2)");
    remove_dnc_.prepare(db_, "DELETE FROM dnc WHERE tenant_id = ?30 AND list = ?1 AND e164 = ?2");
    // The number's lists, compared here: the lists' condition in the query (an OR, or an IN
    // list) builds a temporary table at every check. A number is on a few lists at most.
    is_dnc_.prepare(db_, "SELECT list FROM dnc WHERE tenant_id = ?30 AND e164 = ?1");
    data_version_.prepare(db_, "PRAGMA data_version");
    dnc_changes_.prepare(db_, "SELECT value FROM counters WHERE name = 'dnc_changes'");
    dnc_entries_.prepare(db_, "SELECT e164, list FROM dnc WHERE tenant_id = ?30 LIMIT ?1");
    append_journal_.prepare(db_,
                            "INSERT INTO journal (tenant_id, campaign_id, at, call_id, contact_id, "
                            "kind, detail) VALUES (?30, ?1, ?2, ?3, ?4, ?5, ?6)");
    scan_journal_.prepare(db_,
                          "SELECT at, call_id, contact_id, kind, detail FROM journal "
                          "WHERE tenant_id = ?30 AND campaign_id = ?1 ORDER BY seq");
    put_abandon_counts_.prepare(
        db_,
        "INSERT INTO abandon_counts (tenant_id, campaign_id, minute, owner, live_answers, "
        "abandons, machines) VALUES (?30, ?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id, "
        "campaign_id, minute, owner) DO UPDATE SET live_answers = excluded.live_answers, "
        "abandons = excluded.abandons, machines = excluded.machines");
    abandon_counts_.prepare(db_,
                            "SELECT COALESCE(SUM(live_answers), 0), COALESCE(SUM(abandons), 0), "
                            "COALESCE(SUM(machines), 0), COUNT(DISTINCT owner) FROM abandon_counts "
                            "WHERE tenant_id = ?30 "
                            "AND campaign_id = ?1 AND minute >= ?2 AND minute < ?3");
    mark_processed_.prepare(
        db_, "INSERT OR IGNORE INTO processed_events (tenant_id, key) VALUES (?30, ?1)");
  }

  // Puts `subset` (ids drawn from `ids`, each as often as it occurs there at most) in the order
  // of `ids`.
  static void in_order_of(std::span<const ContactId> ids, std::vector<ContactId>& subset) {
    if (std::is_sorted(subset.begin(), subset.end()) && std::is_sorted(ids.begin(), ids.end())) {
      return;
    }
    absl::flat_hash_map<ContactId, std::size_t> left;
    for (ContactId id : subset) ++left[id];
    subset.clear();
    for (ContactId id : ids) {
      auto it = left.find(id);
      if (it == left.end() || it->second == 0) continue;
      --it->second;
      subset.push_back(id);
    }
  }

  // `ids` as a JSON array ("[1,2]"), for json_each.
  static void ids_to_json(std::span<const ContactId> ids, std::string& out) {
    out.assign(1, '[');
    char buf[24];
    for (ContactId id : ids) {
      if (out.size() > 1) out.push_back(',');
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, id);
      (void)ec;  // 24 bytes hold any id
      out.append(buf, end);
    }
    out.push_back(']');
  }

  // omnivox_numbers_as_text(json) and omnivox_attributes_as_text(json): a contact's numbers as
  // stored before schema version 8 (JSON), as stored since, and its attributes likewise for
  // version 9 (the migrations). The function's user data is the start of its error message.
  static std::string numbers_json_as_text(std::string_view json) {
    return numbers_to_text(numbers_from_json(json));
  }
  static std::string attributes_json_as_text(std::string_view json) {
    return attributes_to_text(attributes_from_json(json));
  }
  template <std::string (*kConvert)(std::string_view)>
  static void json_as_text(sqlite3_context* ctx, int, sqlite3_value** argv) {
    try {
      const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
      const std::string text =
          kConvert({p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))});
      sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    } catch (const std::exception& e) {
      const std::string message =
          static_cast<const char*>(sqlite3_user_data(ctx)) + std::string(e.what());
      sqlite3_result_error(ctx, message.c_str(), -1);  // no exception crosses SQLite's frames
    }
  }

  // omnivox_passed_over(id, ready): 1 for a contact the running scan_contact_views leaves out
  // before its row is read: one its caller skips, or (ready = 1: NEW and RETRY contacts) one
  // deferred until after the scan's due time; a deferral whose time has come ends.
  static void passed_over(sqlite3_context* ctx, int, sqlite3_value** argv) {
    auto* self = static_cast<SqliteStorage*>(sqlite3_user_data(ctx));
    const ContactScan* scan = self->scanning_;
    const auto id = static_cast<ContactId>(sqlite3_value_int64(argv[0]));
    bool out = false;
    try {
      // Deferrals first: most entries a refill passes over are deferred.
      if (scan && sqlite3_value_int64(argv[1]) != 0 && !self->deferred_.empty()) {
        const std::int64_t until = self->deferred_.until(id);
        if (until != DeferralTable::kNone) {
          if (ms(scan->due_by) < until) {
            out = true;
          } else {
            self->deferred_.erase(id);
          }
        }
      }
      if (!out && scan && scan->skip && scan->skip(id)) out = true;
    } catch (const std::exception& e) {
      sqlite3_result_error(ctx, e.what(), -1);  // no exception crosses SQLite's frames
      return;
    }
    sqlite3_result_int(ctx, out ? 1 : 0);
  }

  // A contact's attributes rarely change once it is stored, while it is read when each call is
  // placed and written twice per call: the text last read or written of a contact is kept with
  // the attributes epoch in which the file last held it (read, or written by this object);
  // while the epoch is unchanged a write whose values encode to the same text writes nothing.
  // (The codec gives one text per list of values, so equal texts are equal values.) Caller
  // holds mutex_.
  std::vector<std::pair<std::string, std::string>> attributes_read(ContactId id,
                                                                   std::string_view text,
                                                                   bool keep) {
    std::vector<std::pair<std::string, std::string>> values;
    attributes_from_text(text, values);
    auto kept = attributes_.find(id);
    if (kept != attributes_.end() && kept->second.text == text) {
      kept->second.confirmed = attributes_epoch_;
    } else if (keep) {
      keep_attributes(id, text).confirmed = attributes_epoch_;
    }
    return values;
  }
  struct KeptAttributes {
    std::string text;
    std::uint64_t confirmed = 0;  // the attributes epoch in which the file held `text`; 0: none
  };
  KeptAttributes& keep_attributes(ContactId id, std::string_view text) {
    if (attributes_.size() >= kAttributesKept && !attributes_.contains(id)) attributes_.clear();
    KeptAttributes& k = attributes_[id];
    k.text.assign(text);
    k.confirmed = 0;
    return k;
  }
  // The epoch moves on when another connection has committed since the last write transaction
  // began (PRAGMA data_version, read holding the write lock) and when a write transaction rolls
  // back: then no kept pair says what the file holds until it is read or written again. Caller
  // holds mutex_ inside a write transaction.
  void refresh_attributes_epoch() {
    Use u(data_version_, "data version");
    u.step();
    const std::int64_t version = u.i64(0);
    if (version != attributes_data_version_) {
      attributes_data_version_ = version;
      ++attributes_epoch_;
    }
  }

  // After a claim: the contacts newly claimed wait in claimed_ for read_contact; under the
  // lease, what is read of them stays what the file holds until this object writes them. They
  // are read only while the lease is still the one this claim wrote (same owner and expiry: no
  // one took it over), and kept no longer than ttl / 2 of real time nor past a renewal (an
  // engine renews a lease it may have lost, on a clock this object does not read). A contact
  // refused is no longer held. Caller holds mutex_.
  void remember_claims(bool for_calls, std::span<const ContactId> ids,
                       std::span<const ContactId> claimed, std::string_view owner,
                       std::int64_t expiry, Duration ttl) {
    if (claimed.size() != ids.size()) {
      std::unordered_set<ContactId> granted(claimed.begin(), claimed.end());
      for (ContactId id : ids) {
        if (!granted.contains(id)) forget_claim(id);
      }
    }
    if (!for_calls) return;
    const auto fresh_until = std::chrono::steady_clock::now() + ttl / 2;
    for (ContactId id : claimed) {
      if (held_.size() >= kKeysKept && !held_.contains(id)) held_.clear();
      if (!held_.insert(id).second) {
        claimed_.erase(id);  // a renewal
        continue;
      }
      if (claimed_.size() >= kClaimedKept) claimed_.clear();
      claimed_[id] = ClaimedContact{Contact{}, std::string(owner), expiry, fresh_until, false};
    }
  }
  void forget_claim(ContactId id) {
    held_.erase(id);
    claimed_.erase(id);
  }
  // Reads every contact of claimed_ not read yet, with its lease, in one statement (the ids as
  // a JSON array); one no longer fresh, not stored, or whose lease is no longer the one the
  // claim wrote leaves claimed_ (read alone, if asked). Caller holds mutex_.
  void read_claimed(std::chrono::steady_clock::time_point now) {
    std::vector<ContactId> wanted;
    for (auto it = claimed_.begin(); it != claimed_.end();) {
      if (!it->second.loaded && now >= it->second.fresh_until) {
        it = claimed_.erase(it);
        continue;
      }
      if (!it->second.loaded) wanted.push_back(it->first);
      ++it;
    }
    ids_to_json(wanted, ids_json_);
    {
      Transaction tx(*this, "read_contact: claimed", "BEGIN");
      Use u(get_leased_contacts_, "read_contact: claimed");
      u.bind(1, std::string_view(ids_json_));
      while (u.step()) {
        auto held = claimed_.find(static_cast<ContactId>(u.i64(0)));
        if (held == claimed_.end() || held->second.loaded ||
            u.view(kContactColumnCount) != held->second.owner ||
            u.i64(kContactColumnCount + 1) != held->second.expiry) {
          continue;
        }
        held->second.contact = read_contact(u, /*keep=*/true);
        held->second.loaded = true;
      }
    }
    for (ContactId id : wanted) {
      auto held = claimed_.find(id);
      if (held != claimed_.end() && !held->second.loaded) claimed_.erase(held);
    }
  }

  static void bind_contact(Use& u, const Contact& c, const std::string& numbers) {
    u.bind(2, c.campaign_id)
        .bind(3, c.list_name)
        .bind(4, c.external_id)
        .bind(6, std::int64_t{c.priority})
        .bind(7, numbers)
        .bind(9, c.time_zone)
        .bind(10, static_cast<std::int64_t>(c.status))
        .bind(11, std::int64_t{c.attempts})
        .bind(12, std::int64_t{c.not_connected})
        .bind(13, std::int64_t{c.next_number})
        .bind(14, static_cast<std::int64_t>(c.last_disposition))
        .bind(15, ms(c.last_attempt_at))
        .bind(16, ms(c.next_attempt_at))
        .bind(17, std::int64_t{c.callback_agent});
  }
  // `keep`: remember the attributes read (a contact read to place a call, written back soon).
  Contact read_contact(const Use& u, bool keep = false) {
    Contact c;
    c.id = static_cast<ContactId>(u.i64(0));
    c.campaign_id = u.text(1);
    c.list_name = u.text(2);
    c.external_id = u.text(3);
    c.priority = static_cast<std::int32_t>(u.i64(4));
    c.list_order = static_cast<std::uint64_t>(u.i64(5));
    try {
      numbers_from_text(u.view(6), c.numbers);
      c.attributes = attributes_read(c.id, u.view(7), keep);
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kStorage, "sqlite storage: contact " + std::to_string(c.id) +
                                           ": bad stored numbers/attributes: " + e.what());
    }
    c.time_zone = u.text(8);
    c.status = static_cast<ContactStatus>(u.i64(9));
    c.attempts = static_cast<std::uint16_t>(u.i64(10));
    c.not_connected = static_cast<std::uint16_t>(u.i64(11));
    c.next_number = static_cast<std::uint16_t>(u.i64(12));
    c.last_disposition = static_cast<Disposition>(u.i64(13));
    c.last_attempt_at = tp(u.i64(14));
    c.next_attempt_at = tp(u.i64(15));
    c.callback_agent = static_cast<AgentId>(u.i64(16));
    return c;
  }
  static Attempt read_attempt(const Use& u) {
    Attempt a;
    a.call_id = static_cast<CallId>(u.i64(0));
    a.contact_id = static_cast<ContactId>(u.i64(1));
    a.campaign_id = u.text(2);
    a.number = u.text(3);
    a.number_index = static_cast<std::uint16_t>(u.i64(4));
    a.attempt_number = static_cast<std::uint16_t>(u.i64(5));
    a.caller_id = u.text(6);
    a.provider_call_id = u.text(7);
    a.state = static_cast<CallState>(u.i64(8));
    a.fail_reason = static_cast<FailReason>(u.i64(9));
    a.amd = static_cast<AmdResult>(u.i64(10));
    a.disposition = static_cast<Disposition>(u.i64(11));
    a.agent = static_cast<AgentId>(u.i64(12));
    a.created_at = tp(u.i64(13));
    a.answered_at = tp(u.i64(14));
    a.bridged_at = tp(u.i64(15));
    a.ended_at = tp(u.i64(16));
    a.provider_code = static_cast<int>(u.i64(17));
    a.direction = direction_of(a.call_id);
    return a;
  }

  SqliteStorageOptions options_;
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Checkpointer> checkpointer_;  // null: SQLite's automatic checkpoints
  Stmt find_contact_, put_abandon_counts_, abandon_counts_, remove_dnc_, take_over_lease_,
      earliest_lease_expiry_;
  Stmt views_callbacks_, views_ready_, update_dialling_state_, update_attempt_state_,
      update_counts_, scheduled_callbacks_, scheduled_retries_;
  // defer_contacts' hints: contact -> until (UTC). Guarded by mutex_.
  DeferralTable deferred_;
  // Open attempts this object wrote (their later writes update them in place), and the status
  // and due time it last wrote of each contact (write_contact's choice of statement); each
  // dropped whole at kKeysKept entries. Guarded by mutex_.
  static constexpr std::size_t kKeysKept = 1 << 20;
  absl::flat_hash_set<CallId> open_attempts_;
  absl::flat_hash_map<ContactId, std::pair<std::int64_t, std::int64_t>> index_keys_;
  // The attributes' texts kept (attributes_read), dropped whole at kAttributesKept entries (the
  // contacts in calls, and more). Guarded by mutex_.
  static constexpr std::size_t kAttributesKept = 8192;
  absl::flat_hash_map<ContactId, KeptAttributes> attributes_;
  std::uint64_t attributes_epoch_ = 1;
  std::int64_t attributes_data_version_ = -1;
  // Leases claimed through claim_leases and not released here (a claim of one is a renewal),
  // dropped whole at kKeysKept; the contacts newly claimed, for read_contact (remember_claims),
  // dropped whole at kClaimedKept. Guarded by mutex_.
  struct ClaimedContact {
    Contact contact;
    std::string owner;    // the lease the claim wrote
    std::int64_t expiry;  // ms
    std::chrono::steady_clock::time_point fresh_until;
    bool loaded = false;
  };
  static constexpr std::size_t kClaimedKept = 8192;
  absl::flat_hash_set<ContactId> held_;
  std::unordered_map<ContactId, ClaimedContact> claimed_;
  // Call ids drawn and not handed out yet: call_ids_left_ from next_call_id_. Guarded by mutex_.
  static constexpr std::size_t kCallIdsDrawn = 1024;
  CallId next_call_id_ = 0;
  std::size_t call_ids_left_ = 0;
  // A contact's numbers and attributes as text, for the statements that write them; the ids of
  // a claim as a JSON array. Guarded by mutex_.
  std::string numbers_text_;
  std::string attributes_text_;
  std::string ids_json_;
  // The scan_contact_views running (mutex_ held), for omnivox_passed_over; else null.
  const ContactScan* scanning_ = nullptr;
  // is_dnc's answers, by number (most fit a std::string's own buffer: a flat table of them is
  // a probe or two per check) then campaign, while the DNC change counter is as seen; dropped
  // whole when they hold kDncAnswersKept numbers. Guarded by mutex_.
  static constexpr std::size_t kDncAnswersKept = 1 << 20;
  absl::flat_hash_map<std::string, std::vector<std::pair<std::string, bool>>> dnc_answers_;
  std::int64_t data_version_seen_ = -1;
  std::int64_t dnc_changes_seen_ = -1;
  // A file in WAL mode (not ":memory:", not a rollback journal): it has a WAL-index header.
  bool wal_file_ = false;
  // The WAL-index header as read before the last check that asked SQLite; unset when none was.
  std::optional<WalIndexHeader> wal_header_seen_;
  Stmt data_version_, dnc_changes_, dnc_entries_;
  // What the open transaction's inserts and updates of contacts changed in status_counts, by
  // campaign and status: written just before it commits, dropped if it rolls back. Few entries
  // (a campaign's statuses). Guarded by mutex_.
  struct StatusCountChange {
    std::string campaign_id;
    std::int64_t status;
    std::int64_t n;
  };
  std::vector<StatusCountChange> status_count_changes_;
  Stmt stored_status_, add_status_count_;
  // The tenant's DNC lists, by number, while they hold at most kDncEntriesLoaded entries (a
  // megabyte or so); unset when they hold more: then is_dnc looks each number up.
  static constexpr std::size_t kDncEntriesLoaded = 16384;
  std::optional<absl::flat_hash_map<std::string, std::vector<std::string>>> dnc_lists_;
  bool dnc_lists_stale_ = true;  // read them again at the next check
  Stmt campaign_ids_, put_campaign_, get_campaign_, put_list_, lists_, next_list_order_,
      insert_contact_, get_contact_, get_leased_contacts_, update_contact_, put_attributes_,
      scan_all_, scan_callbacks_, scan_ready_, contact_count_, count_by_status_, claim_lease_,
      renew_lease_, release_lease_, get_lease_, allocate_call_ids_, put_attempt_, attempts_of_,
      scan_attempts_, scan_open_attempts_, add_dnc_, is_dnc_, append_journal_, scan_journal_,
      mark_processed_;
};

}  // namespace

std::unique_ptr<Storage> make_sqlite_storage(const std::string& path,
                                             const SqliteStorageOptions& options) {
  return std::make_unique<SqliteStorage>(path, options);
}

}  // namespace omnivox
