// The Storage conformance suite on the SQLite backend (a temporary file per test), plus the
// SQLite-specific behaviour: persistence across reopen, schema version check, error messages.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "omnivox/sqlite_storage.h"
#include "omnivox/testing/storage_conformance.h"
#include "storage/storage_codec.h"

namespace omnivox::testing {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("omnivox-sqlite-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct SqliteStorageFactory {
  std::unique_ptr<Storage> create() { return make_sqlite_storage(dir.file("omnivox.db")); }
  // Another Storage on the same file, for another tenant.
  std::unique_ptr<Storage> create_for_tenant(const std::string& tenant) {
    SqliteStorageOptions options;
    options.tenant = tenant;
    return make_sqlite_storage(dir.file("omnivox.db"), options);
  }
  TempDir dir;
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StorageConformanceTest,
                               ::testing::Types<SqliteStorageFactory>);

namespace {

TEST(SqliteStorage, PersistsAcrossReopen) {
  TempDir dir;
  const std::string path = dir.file("db.sqlite");
  TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  {
    auto s = make_sqlite_storage(path);
    CampaignConfig c;
    c.id = "c1";
    c.name = "persisted";
    s->put_campaign(c);
    Contact contact;
    contact.campaign_id = "c1";
    contact.external_id = "a";
    contact.numbers.push_back(PhoneNumber{"+351912345678"});
    EXPECT_EQ(s->add_contact(contact), 1u);
    std::vector<ContactId> ids = {1};
    EXPECT_EQ(s->claim_leases(ids, "A", now, std::chrono::seconds(30)).size(), 1u);
    EXPECT_EQ(s->allocate_call_id(), 1u);
    s->add_dnc("global", "+15550000001");
    EXPECT_TRUE(s->mark_event_processed("CA1:1"));
    s->append_journal({now, "c1", 1, 1, "state", "QUEUED -> DIALING"});
  }
  auto s = make_sqlite_storage(path);
  ASSERT_TRUE(s->get_campaign("c1").has_value());
  EXPECT_EQ(s->get_campaign("c1")->name, "persisted");
  auto c = s->get_contact(1);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->external_id, "a");
  EXPECT_EQ(c->numbers.at(0).e164, "+351912345678");
  ASSERT_TRUE(s->get_lease(1).has_value());
  EXPECT_EQ(s->get_lease(1)->owner, "A");
  EXPECT_GT(s->allocate_call_id(), 1u);  // never reused (the rest of the first block is a gap)
  EXPECT_TRUE(s->is_dnc("c1", "+15550000001"));
  EXPECT_FALSE(s->mark_event_processed("CA1:1"));
  int entries = 0;
  s->scan_journal("c1", [&](const JournalEntry& e) {
    EXPECT_EQ(e.detail, "QUEUED -> DIALING");
    return ++entries > 0;
  });
  EXPECT_EQ(entries, 1);
  Contact next;
  next.campaign_id = "c1";
  EXPECT_EQ(s->add_contact(next), 2u);
  EXPECT_EQ(s->get_contact(2)->list_order, c->list_order + 1);
}

TEST(SqliteStorage, TwoConnectionsOnOneFileShareLeases) {
  TempDir dir;
  const std::string path = dir.file("db.sqlite");
  auto a = make_sqlite_storage(path);
  auto b = make_sqlite_storage(path);
  Contact contact;
  contact.campaign_id = "c1";
  ContactId id = a->add_contact(contact);
  TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  std::vector<ContactId> ids = {id};
  EXPECT_EQ(a->claim_leases(ids, "A", now, std::chrono::seconds(30)).size(), 1u);
  EXPECT_TRUE(b->claim_leases(ids, "B", now, std::chrono::seconds(30)).empty());
  EXPECT_NE(a->allocate_call_id(), b->allocate_call_id());
}

TEST(SqliteStorage, RefusesNewerSchemaVersion) {
  TempDir dir;
  const std::string path = dir.file("db.sqlite");
  make_sqlite_storage(path).reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  try {
    make_sqlite_storage(path);
    ADD_FAILURE() << "a newer schema version was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
    std::string what = e.what();
    EXPECT_NE(what.find("schema version 99"), std::string::npos) << what;
    EXPECT_NE(what.find(path), std::string::npos) << what;
  }
}

// The schema of version 1 as it was released (single tenant), to make a v1 file.
constexpr const char* kV1Schema = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE campaigns (id TEXT PRIMARY KEY, config TEXT NOT NULL);
CREATE TABLE lists (seq INTEGER PRIMARY KEY, campaign_id TEXT NOT NULL, name TEXT NOT NULL,
  active INTEGER NOT NULL, UNIQUE (campaign_id, name));
CREATE TABLE contacts (id INTEGER PRIMARY KEY, campaign_id TEXT NOT NULL,
  list_name TEXT NOT NULL, external_id TEXT NOT NULL, priority INTEGER NOT NULL,
  list_order INTEGER NOT NULL, numbers TEXT NOT NULL, attributes TEXT NOT NULL,
  time_zone TEXT NOT NULL, status INTEGER NOT NULL, attempts INTEGER NOT NULL,
  not_connected INTEGER NOT NULL, next_number INTEGER NOT NULL,
  last_disposition INTEGER NOT NULL, last_attempt_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL, callback_agent INTEGER NOT NULL);
CREATE INDEX contacts_order ON contacts (campaign_id, priority DESC, list_order);
CREATE INDEX contacts_load ON contacts (campaign_id, list_order);
CREATE INDEX contacts_status ON contacts (campaign_id, status);
CREATE INDEX contacts_ready ON contacts (campaign_id, priority DESC, list_order,
  next_attempt_at) WHERE status IN (0, 1);
CREATE INDEX contacts_callback ON contacts (campaign_id, next_attempt_at) WHERE status = 2;
CREATE TABLE leases (contact_id INTEGER PRIMARY KEY, owner TEXT NOT NULL,
  expiry INTEGER NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('call_id', 7);
CREATE TABLE attempts (call_id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL,
  campaign_id TEXT NOT NULL, number TEXT NOT NULL, number_index INTEGER NOT NULL,
  attempt_number INTEGER NOT NULL, caller_id TEXT NOT NULL, provider_call_id TEXT NOT NULL,
  state INTEGER NOT NULL, fail_reason INTEGER NOT NULL, amd INTEGER NOT NULL,
  disposition INTEGER NOT NULL, agent INTEGER NOT NULL, created_at INTEGER NOT NULL,
  answered_at INTEGER NOT NULL, bridged_at INTEGER NOT NULL, ended_at INTEGER NOT NULL,
  provider_code INTEGER NOT NULL);
CREATE INDEX attempts_contact ON attempts (contact_id, call_id);
CREATE INDEX attempts_campaign ON attempts (campaign_id, call_id);
CREATE TABLE dnc (list TEXT NOT NULL, e164 TEXT NOT NULL, PRIMARY KEY (e164, list))
  WITHOUT ROWID;
CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, campaign_id TEXT NOT NULL,
  at INTEGER NOT NULL, call_id INTEGER NOT NULL, contact_id INTEGER NOT NULL,
  kind TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX journal_campaign ON journal (campaign_id, seq);
CREATE TABLE processed_events (key TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO campaigns VALUES ('c1', '{"broken":true}');
INSERT INTO lists (campaign_id, name, active) VALUES ('c1', 'spring', 1);
INSERT INTO contacts VALUES (1, 'c1', 'spring', 'ext-1', 5, 1,
  '[{"e164":"+351912345678","zone_set":0,"attempts":1,"last_disposition":1,"invalid":false,"last_abandon_at":0,"last_machine_at":0}]',
  '[["name","Ana"]]', 'Europe/Lisbon', 1, 1, 1, 0, 1, 100, 200, 0);
INSERT INTO leases VALUES (1, 'node-a', 999);
INSERT INTO attempts VALUES (7, 1, 'c1', '+351912345678', 0, 1, '+15550100000', 'CA7', 9, 0,
  0, 0, 0, 100, 0, 0, 0, 0);
INSERT INTO dnc VALUES ('global', '+15550000001');
INSERT INTO journal (campaign_id, at, call_id, contact_id, kind, detail)
  VALUES ('c1', 100, 7, 1, 'state', 'QUEUED -> DIALING');
INSERT INTO processed_events VALUES ('CA7:1');
)sql";

// Writes a version-1 file at `path` (kV1Schema and its rows), then runs `more_sql` on it.
void write_version1_file(const std::string& path, const char* more_sql = "") {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, kV1Schema, nullptr, nullptr, &err), SQLITE_OK) << err;
  ASSERT_EQ(sqlite3_exec(db, more_sql, nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_close(db);
}

TEST(SqliteStorage, MigratesAVersion1FileToTenants) {
  TempDir dir;
  const std::string path = dir.file("v1.sqlite");
  ASSERT_NO_FATAL_FAILURE(write_version1_file(path));

  auto s = make_sqlite_storage(path);  // tenant "default": the v1 rows are its rows
  auto c = s->get_contact(1);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->external_id, "ext-1");
  EXPECT_EQ(c->numbers.at(0).e164, "+351912345678");
  EXPECT_EQ(c->attribute("name") ? *c->attribute("name") : "", "Ana");
  EXPECT_EQ(s->lists("c1").size(), 1u);
  EXPECT_EQ(s->get_lease(1)->owner, "node-a");
  ASSERT_EQ(s->attempts_of(1).size(), 1u);
  EXPECT_EQ(s->attempts_of(1)[0].provider_call_id, "CA7");
  int open = 0;
  s->scan_open_attempts("c1", [&](const Attempt& a) {
    EXPECT_EQ(a.call_id, 7u);
    return ++open > 0;
  });
  EXPECT_EQ(open, 1);
  EXPECT_TRUE(s->is_dnc("c1", "+15550000001"));
  EXPECT_FALSE(s->mark_event_processed("CA7:1"));
  EXPECT_EQ(s->allocate_call_id(), 8u);  // the counter carries on
  // The per-status counts (schema v5) start from the migrated rows and follow new ones.
  EXPECT_EQ(s->contact_count("c1"), 1u);
  EXPECT_EQ(s->count_by_status("c1").at(1), 1u);
  int entries = 0;
  s->scan_journal("c1", [&](const JournalEntry&) { return ++entries > 0; });
  EXPECT_EQ(entries, 1);
  Contact next;
  next.campaign_id = "c1";
  ContactId id2 = s->add_contact(next);
  EXPECT_EQ(id2, 2u);
  EXPECT_EQ(s->get_contact(id2)->list_order, 2u);
  EXPECT_EQ(s->contact_count("c1"), 2u);
  EXPECT_EQ(s->count_by_status("c1").at(0), 1u);

  // Another tenant on the migrated file sees none of it.
  SqliteStorageOptions other;
  other.tenant = "other";
  auto t = make_sqlite_storage(path, other);
  EXPECT_FALSE(t->get_contact(1).has_value());
  EXPECT_EQ(t->contact_count("c1"), 0u);
  EXPECT_TRUE(t->mark_event_processed("CA7:1"));
  s.reset();
  t.reset();

  // The current version now; reopening does not migrate again.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), kSqliteSchemaVersion);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);  // one row
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(make_sqlite_storage(path)->contact_count("c1"), 2u);
}

// A file written before contacts were unique by (campaign, list, external id), with the
// duplicates two concurrent imports left: the migration keeps the first copy of each and drops
// the others that were never dialled.
TEST(SqliteStorage, MigrationDropsUndialledDuplicateContacts) {
  TempDir dir;
  const std::string path = dir.file("dups.sqlite");
  const char* duplicates = R"sql(
INSERT INTO contacts VALUES (2, 'c1', 'spring', 'ext-1', 5, 2, '[]', '[]', '', 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO contacts VALUES (3, 'c1', 'spring', 'ext-2', 5, 3, '[]', '[]', '', 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO contacts VALUES (4, 'c1', 'spring', 'ext-2', 5, 4, '[]', '[]', '', 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO contacts VALUES (5, 'c1', 'autumn', 'ext-2', 5, 5, '[]', '[]', '', 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO contacts VALUES (6, 'c1', 'spring', '', 5, 6, '[]', '[]', '', 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO contacts VALUES (7, 'c1', 'spring', '', 5, 7, '[]', '[]', '', 0, 0, 0, 0, 0, 0, 0, 0);
)sql";
  ASSERT_NO_FATAL_FAILURE(write_version1_file(path, duplicates));

  auto s = make_sqlite_storage(path);
  EXPECT_TRUE(s->get_contact(1).has_value());   // dialled, the first ext-1
  EXPECT_FALSE(s->get_contact(2).has_value());  // a second ext-1, never dialled
  EXPECT_TRUE(s->get_contact(3).has_value());
  EXPECT_FALSE(s->get_contact(4).has_value());
  EXPECT_TRUE(s->get_contact(5).has_value());  // another list
  EXPECT_EQ(s->contact_count("c1"), 5u);       // 1, 3, 5 and the two without an external id
  EXPECT_TRUE(s->lists("c1").at(0).import_complete);
  Contact again;
  again.campaign_id = "c1";
  again.list_name = "spring";
  again.external_id = "ext-2";
  EXPECT_EQ(s->add_contact(again), 3u);
}

TEST(SqliteStorage, BadTenantIsAConfigError) {
  SqliteStorageOptions options;
  options.tenant = "";
  try {
    make_sqlite_storage(":memory:", options);
    ADD_FAILURE() << "an empty tenant was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig) << e.what();
  }
}

// Runs `fn` in a child process as an unprivileged user when this process is root (file
// permissions do not bind root), and returns what it wrote to the pipe.
std::string run_unprivileged(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      out = "setuid failed";
    } else {
      out = fn();
    }
    ssize_t ignored = ::write(fds[1], out.data(), out.size());
    (void)ignored;
    ::_exit(0);  // no static destructors, no gtest teardown in the child
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

std::string open_error(const std::string& path) {
  try {
    auto s = make_sqlite_storage(path);
    Contact c;
    c.campaign_id = "c1";
    s->add_contact(c);
    return "opened and wrote";
  } catch (const Error& e) {
    return std::string(e.code() == ErrorCode::kStorage ? "kStorage: " : "other: ") + e.what();
  }
}

// The WAL is copied into the database file as it grows (by the Storage's checkpoint thread,
// or failing that by the committing connection), not only when the last connection closes: a
// long campaign would otherwise keep its whole history in the WAL.
TEST(SqliteStorage, WalIsCopiedIntoTheDatabaseWhileTheStorageIsOpen) {
  TempDir dir;
  const std::string path = dir.file("db.sqlite");
  auto s = make_sqlite_storage(path);
  // ~60 MB of contacts in commits of ~2 MB: the WAL passes 10,000 pages (~40 MB) midway.
  const std::string filler(2000, 'x');
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<Contact> contacts(1000);
    for (std::size_t i = 0; i < contacts.size(); ++i) {
      contacts[i].campaign_id = "c1";
      contacts[i].external_id = std::to_string(batch) + "-" + std::to_string(i);
      contacts[i].attributes = {{"note", filler}};
    }
    s->add_contacts(contacts);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::uintmax_t database_bytes = fs::file_size(path);
  while (database_bytes < 16u << 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    database_bytes = fs::file_size(path);
  }
  EXPECT_GE(database_bytes, 16u << 20);
  EXPECT_EQ(s->contact_count("c1"), 30000u);
}

TEST(SqliteStorage, ReadOnlyFileIsRefusedAtOpenAndNothingIsWritten) {
  TempDir dir;
  const std::string path = dir.file("ro.sqlite");
  make_sqlite_storage(path).reset();
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(path.c_str(), 0444);
  struct stat before {};
  ::stat(path.c_str(), &before);
  std::string what = run_unprivileged([&] { return open_error(path); });
  std::cout << "  error as reported: " << what << "\n";
  EXPECT_EQ(what.rfind("kStorage: ", 0), 0u) << what;
  EXPECT_NE(what.find("read-only"), std::string::npos) << what;
  EXPECT_NE(what.find(path), std::string::npos) << what;
  struct stat after {};
  ::stat(path.c_str(), &after);
  EXPECT_EQ(before.st_size, after.st_size);
  EXPECT_EQ(before.st_mtime, after.st_mtime);
}

TEST(SqliteStorage, ReadOnlyDirectoryIsAClearErrorAtOpen) {
  TempDir dir;
  fs::create_directories(dir.path() / "ro");
  const std::string path = dir.file("ro/db.sqlite");
  ::chmod(dir.path().c_str(), 0755);
  ::chmod((dir.path() / "ro").c_str(), 0555);
  std::string what = run_unprivileged([&] { return open_error(path); });
  std::cout << "  error as reported: " << what << "\n";
  EXPECT_EQ(what.rfind("kStorage: ", 0), 0u) << what;
  EXPECT_NE(what.find(path), std::string::npos) << what;
  EXPECT_FALSE(fs::exists(path));

  // An existing, writable file in a read-only directory: SQLite cannot create its -wal file.
  const std::string existing = dir.file("ro2/db.sqlite");
  fs::create_directories(dir.path() / "ro2");
  make_sqlite_storage(existing).reset();
  ::chmod(existing.c_str(), 0666);
  ::chmod((dir.path() / "ro2").c_str(), 0555);
  what = run_unprivileged([&] { return open_error(existing); });
  std::cout << "  error as reported: " << what << "\n";
  EXPECT_EQ(what.rfind("kStorage: ", 0), 0u) << what;
  EXPECT_NE(what.find(existing), std::string::npos) << what;
}

TEST(SqliteStorage, OpenFailureNamesThePath) {
  try {
    make_sqlite_storage("/nonexistent-dir-omnivox/x/db.sqlite");
    ADD_FAILURE() << "opened a file in a missing directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir-omnivox/x/db.sqlite"), std::string::npos)
        << e.what();
  }
}

// A version-5 file (made from a migrated one: the index on status back, the DNC change counter
// and its triggers gone) is migrated to the current version: the index goes, DNC changes are
// counted, and nothing else changes.
// The numbers of the version-1 file's contact, as JSON (stored so before version 8).
#define OMNIVOX_V1_CONTACT_NUMBERS_JSON                                                 \
  "'[{\"e164\":\"+351912345678\",\"zone_set\":0,\"attempts\":1,\"last_disposition\":1," \
  "\"invalid\":false,\"last_abandon_at\":0,\"last_machine_at\":0}]'"

// The statement of the frozen version-7 schema (tests/data/sqlite_schema_v7.sql) that creates
// the trigger `name`.
std::string frozen_trigger(const std::string& name) {
  std::ifstream in(std::string(OMNIVOX_TEST_DATA_DIR) + "/sqlite_schema_v7.sql");
  std::stringstream text;
  text << in.rdbuf();
  const std::string schema = text.str();
  const std::size_t start = schema.find("CREATE TRIGGER " + name + " ");
  const std::size_t end = schema.find("\nEND;", start);
  if (start == std::string::npos || end == std::string::npos) {
    ADD_FAILURE() << "no trigger " << name << " in tests/data/sqlite_schema_v7.sql";
    return "";
  }
  return schema.substr(start, end + 5 - start) + "\n";
}

// Turns the version-1 file, migrated to the current version, back into version 9 (status counts
// kept by triggers on contacts, as since version 5).
std::string back_to_version9() {
  return frozen_trigger("contacts_counted") + frozen_trigger("contacts_recounted") +
         "UPDATE schema_version SET version = 9;";
}

// Turns a file of version 9 made by back_to_version9 back into version 8 (attributes as JSON).
constexpr const char* kBackToVersion8 =
    "UPDATE contact_attributes SET attributes = '[[\"name\",\"Ana\"]]' WHERE contact_id = 1;"
    "UPDATE schema_version SET version = 8;";

// Turns a file of version 8 made by kBackToVersion8 back into version 7 (numbers as JSON).
constexpr const char* kBackToVersion7 =
    "UPDATE contacts SET numbers = " OMNIVOX_V1_CONTACT_NUMBERS_JSON
    " WHERE id = 1;"
    "UPDATE schema_version SET version = 7;";

// Turns a file of version 7 back into version 6 (the contacts' attributes in their row),
// keeping its contacts' attributes.
constexpr const char* kBackToVersion6 = R"sql(
ALTER TABLE contacts ADD COLUMN attributes TEXT NOT NULL DEFAULT '[]';
UPDATE contacts SET attributes = (SELECT attributes FROM contact_attributes
  WHERE contact_id = contacts.id);
DROP TRIGGER contacts_attributes_removed;
DROP TABLE contact_attributes;
UPDATE schema_version SET version = 6;
)sql";

// Runs `sql` on the file at `path` through a connection of its own.
void run_sql_on(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// A version-9 file at `path`: the version-1 file's rows, migrated, then turned back.
void write_version9_file(const std::string& path) {
  ASSERT_NO_FATAL_FAILURE(write_version1_file(path));
  make_sqlite_storage(path).reset();
  run_sql_on(path, back_to_version9().c_str());
}

// A version-8 file at `path`: the version-1 file's rows, migrated, then turned back.
void write_version8_file(const std::string& path) {
  ASSERT_NO_FATAL_FAILURE(write_version9_file(path));
  run_sql_on(path, kBackToVersion8);
}

// A version-7 file at `path`: the version-1 file's rows, migrated, then turned back.
void write_version7_file(const std::string& path) {
  ASSERT_NO_FATAL_FAILURE(write_version8_file(path));
  run_sql_on(path, kBackToVersion7);
}

// A version-6 file at `path`: the version-1 file's rows, migrated, then turned back.
void write_version6_file(const std::string& path) {
  ASSERT_NO_FATAL_FAILURE(write_version7_file(path));
  run_sql_on(path, kBackToVersion6);
}

// The columns of the first row `sql` answers on the file at `path`, as ints (none: no row).
std::vector<int> ints_of_row(const std::string& path, const char* sql) {
  std::vector<int> out;
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(st); ++i) out.push_back(sqlite3_column_int(st, i));
  } else {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

// Version 7 moves the contacts' attributes into a table of their own: a version-6 file's
// attributes are read as before, follow the writes, and leave the contacts' rows.
TEST(SqliteStorage, MigratesAVersion6FileToAttributesApart) {
  TempDir dir;
  const std::string path = dir.file("v6.sqlite");
  ASSERT_NO_FATAL_FAILURE(write_version6_file(path));
  run_sql_on(path, R"sql(
INSERT INTO contacts (id, campaign_id, list_name, external_id, priority, list_order, numbers,
  attributes, time_zone, status, attempts, not_connected, next_number, last_disposition,
  last_attempt_at, next_attempt_at, callback_agent, tenant_id)
  VALUES (2, 'c1', 'spring', 'ext-2', 0, 2, '[]', '[]', '', 0, 0, 0, 0, 0, 0, 0, 0, 'default');
)sql");
  auto s = make_sqlite_storage(path);
  Contact first = *s->get_contact(1);
  EXPECT_EQ(first.attribute("name") ? *first.attribute("name") : "", "Ana");
  EXPECT_EQ(first.external_id, "ext-1");
  EXPECT_TRUE(s->get_contact(2)->attributes.empty());
  first.attempts = 2;
  s->update_contact(first);
  Contact second = *s->get_contact(2);
  second.attributes = {{"note", "called"}};
  s->update_contacts({&second, 1});
  Contact third;
  third.campaign_id = "c1";
  third.external_id = "ext-3";
  third.attributes = {{"age", "41"}};
  const ContactId third_id = s->add_contact(third);
  s.reset();

  auto reopened = make_sqlite_storage(path);
  EXPECT_EQ(*reopened->get_contact(1)->attribute("name"), "Ana");
  EXPECT_EQ(reopened->get_contact(1)->attempts, 2);
  EXPECT_EQ(reopened->get_contact(2)->attributes, second.attributes);
  EXPECT_EQ(reopened->get_contact(third_id)->attributes, third.attributes);
  reopened.reset();
  EXPECT_EQ(
      ints_of_row(path,
                  "SELECT (SELECT version FROM schema_version), "
                  "(SELECT COUNT(*) FROM pragma_table_info('contacts') WHERE name = 'attributes'), "
                  "(SELECT COUNT(*) FROM contact_attributes)"),
      (std::vector<int>{kSqliteSchemaVersion, 0, 3}));
}

// Version 8 stores a contact's numbers as compact text instead of JSON: a version-7 file's
// numbers read as before (every field, whatever the e164's bytes), follow the writes, and are
// stored as text afterwards; a refill's views read them too.
TEST(SqliteStorage, MigratesAVersion7FileToNumbersAsText) {
  TempDir dir;
  const std::string path = dir.file("v7.sqlite");
  ASSERT_NO_FATAL_FAILURE(write_version7_file(path));
  run_sql_on(path, R"sql(
INSERT INTO contacts (id, campaign_id, list_name, external_id, priority, list_order, numbers,
  time_zone, status, attempts, not_connected, next_number, last_disposition, last_attempt_at,
  next_attempt_at, callback_agent, tenant_id)
  VALUES (2, 'c1', 'spring', 'ext-2', 0, 2,
  '[{"e164":"+351 \"9\":1,2","zone_set":4000000000,"attempts":3,"last_disposition":2,"invalid":true,"last_abandon_at":-5,"last_machine_at":1764000000123},{"e164":"","zone_set":7,"attempts":0,"last_disposition":0,"invalid":false,"last_abandon_at":0,"last_machine_at":0}]',
  '', 0, 0, 0, 0, 0, 0, 0, 0, 'default'),
  (3, 'c1', 'spring', 'ext-3', 0, 3, '[]', '', 0, 0, 0, 0, 0, 0, 0, 0, 'default');
)sql");
  auto s = make_sqlite_storage(path);
  const Contact first = *s->get_contact(1);
  ASSERT_EQ(first.numbers.size(), 1u);
  EXPECT_EQ(first.numbers[0].e164, "+351912345678");
  EXPECT_EQ(first.numbers[0].attempts, 1);
  EXPECT_EQ(first.numbers[0].last_disposition, static_cast<Disposition>(1));
  Contact second = *s->get_contact(2);
  ASSERT_EQ(second.numbers.size(), 2u);
  EXPECT_EQ(second.numbers[0].e164, "+351 \"9\":1,2");
  EXPECT_EQ(second.numbers[0].zone_set, 4000000000u);
  EXPECT_EQ(second.numbers[0].attempts, 3);
  EXPECT_EQ(second.numbers[0].last_disposition, static_cast<Disposition>(2));
  EXPECT_TRUE(second.numbers[0].invalid);
  EXPECT_EQ(second.numbers[0].last_abandon_at, TimePoint(Duration(-5)));
  EXPECT_EQ(second.numbers[0].last_machine_at, TimePoint(Duration(1764000000123)));
  EXPECT_EQ(second.numbers[1].e164, "");
  EXPECT_EQ(second.numbers[1].zone_set, 7u);
  EXPECT_FALSE(second.numbers[1].invalid);
  EXPECT_TRUE(s->get_contact(3)->numbers.empty());
  second.numbers[1].e164 = "+351210000000";
  second.numbers[1].attempts = 1;
  s->update_contact(second);
  std::vector<std::string> viewed;
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.dialable_only = true;
  scan.due_by = TimePoint(Duration(1));
  s->scan_contact_views(scan, [&](const ContactView& v) {
    if (v.id == 2) {
      for (const PhoneNumberView& n : v.numbers) viewed.emplace_back(n.e164);
    }
    return ScanStep::next();
  });
  EXPECT_EQ(viewed, (std::vector<std::string>{"+351 \"9\":1,2", "+351210000000"}));
  s.reset();

  auto reopened = make_sqlite_storage(path);
  const Contact again = *reopened->get_contact(2);
  ASSERT_EQ(again.numbers.size(), 2u);
  EXPECT_EQ(again.numbers[0].e164, second.numbers[0].e164);
  EXPECT_EQ(again.numbers[0].last_machine_at, second.numbers[0].last_machine_at);
  EXPECT_EQ(again.numbers[1].e164, "+351210000000");
  EXPECT_EQ(again.numbers[1].attempts, 1);
  reopened.reset();
  EXPECT_EQ(ints_of_row(path,
                        "SELECT (SELECT version FROM schema_version), "
                        "(SELECT COUNT(*) FROM contacts WHERE numbers LIKE '[%'), "
                        "(SELECT numbers = '0,1,1,0,0,0,13:+351912345678' FROM contacts "
                        "WHERE id = 1)"),
            (std::vector<int>{kSqliteSchemaVersion, 0, 1}));
}

// A version-7 file with numbers that are not JSON is refused at open, and nothing is written.
TEST(SqliteStorage, MigrationToNumbersAsTextRefusesNumbersThatAreNotJson) {
  TempDir dir;
  const std::string path = dir.file("v7-bad.sqlite");
  ASSERT_NO_FATAL_FAILURE(write_version7_file(path));
  run_sql_on(path, "UPDATE contacts SET numbers = '[{\"e164\":' WHERE id = 1");
  try {
    make_sqlite_storage(path);
    ADD_FAILURE() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
    EXPECT_NE(std::string(e.what()).find("migrate schema v7 -> v8"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ints_of_row(path,
                        "SELECT (SELECT version FROM schema_version), "
                        "(SELECT COUNT(*) FROM contacts WHERE numbers = '[{\"e164\":')"),
            (std::vector<int>{7, 1}));
}

// The numbers' text: every field, e164s with the separators in them or empty, and text the
// codec did not write refused.
TEST(SqliteStorage, NumbersAsTextRoundTripAndRefuseOtherText) {
  using namespace storage_codec;
  PhoneNumber odd{"+1,2:3", 4000000000u, 65535, Disposition::kBusy, true};
  odd.last_abandon_at = TimePoint(Duration(-5));
  odd.last_machine_at = TimePoint(Duration(1764000000123));
  const PhoneNumber empty{};
  const std::string text = numbers_to_text({odd, empty});
  EXPECT_EQ(text, "4000000000,65535," + std::to_string(static_cast<int>(Disposition::kBusy)) +
                      ",1,-5,1764000000123,6:+1,2:3" +
                      std::to_string(static_cast<int>(kUnknownZoneSet)) + ",0,0,0,0,0,0:");
  std::vector<PhoneNumber> back(5);  // replaced, not appended to
  numbers_from_text(text, back);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].e164, odd.e164);
  EXPECT_EQ(back[0].zone_set, odd.zone_set);
  EXPECT_EQ(back[0].attempts, odd.attempts);
  EXPECT_EQ(back[0].last_disposition, odd.last_disposition);
  EXPECT_TRUE(back[0].invalid);
  EXPECT_EQ(back[0].last_abandon_at, odd.last_abandon_at);
  EXPECT_EQ(back[0].last_machine_at, odd.last_machine_at);
  EXPECT_EQ(back[1].e164, "");
  EXPECT_EQ(back[1].zone_set, kUnknownZoneSet);
  EXPECT_EQ(numbers_to_text({}), "");
  numbers_from_text("", back);
  EXPECT_TRUE(back.empty());
  for (const char* bad : {"[]", "1,2,3", "0,0,0,2,0,0,1:+", "0,0,0,0,0,0,5:+1",
                          "0,0,0,0,0,0,-1:", "0,0,0,0,0,0,0:x"}) {
    EXPECT_THROW(numbers_from_text(bad, back), std::invalid_argument) << bad;
  }
}

// Version 9 stores a contact's attributes as compact text instead of JSON: a version-8 file's
// attributes read as before (order, duplicates and any bytes kept), follow the writes, and are
// stored as text afterwards.
TEST(SqliteStorage, MigratesAVersion8FileToAttributesAsText) {
  TempDir dir;
  const std::string path = dir.file("v8.sqlite");
  ASSERT_NO_FATAL_FAILURE(write_version8_file(path));
  run_sql_on(path, R"sql(
INSERT INTO contacts (id, campaign_id, list_name, external_id, priority, list_order, numbers,
  time_zone, status, attempts, not_connected, next_number, last_disposition, last_attempt_at,
  next_attempt_at, callback_agent, tenant_id)
  VALUES (2, 'c1', 'spring', 'ext-2', 0, 2, '', '', 0, 0, 0, 0, 0, 0, 0, 0, 'default'),
  (3, 'c1', 'spring', 'ext-3', 0, 3, '', '', 0, 0, 0, 0, 0, 0, 0, 0, 'default');
INSERT INTO contact_attributes (contact_id, attributes) VALUES
  (2, '[["3:k,ey","va\"l:1"],["",""],["3:k,ey","again"],["note","olá"]]'), (3, '[]');
)sql");
  const std::vector<std::pair<std::string, std::string>> odd{
      {"3:k,ey", "va\"l:1"}, {"", ""}, {"3:k,ey", "again"}, {"note", "olá"}};
  auto s = make_sqlite_storage(path);
  const Contact first = *s->get_contact(1);
  EXPECT_EQ(first.attributes, (std::vector<std::pair<std::string, std::string>>{{"name", "Ana"}}));
  Contact second = *s->get_contact(2);
  EXPECT_EQ(second.attributes, odd);
  EXPECT_TRUE(s->get_contact(3)->attributes.empty());
  second.attributes.emplace_back("age", "41");
  s->update_contact(second);
  s.reset();

  auto reopened = make_sqlite_storage(path);
  EXPECT_EQ(reopened->get_contact(2)->attributes, second.attributes);
  EXPECT_EQ(reopened->get_contact(1)->attributes, first.attributes);
  reopened.reset();
  EXPECT_EQ(ints_of_row(path,
                        "SELECT (SELECT version FROM schema_version), "
                        "(SELECT COUNT(*) FROM contact_attributes WHERE attributes LIKE '[%'), "
                        "(SELECT attributes = '4:name3:Ana' FROM contact_attributes "
                        "WHERE contact_id = 1), "
                        "(SELECT attributes = '' FROM contact_attributes WHERE contact_id = 3)"),
            (std::vector<int>{kSqliteSchemaVersion, 0, 1, 1}));
}

// A version-9 file (status counts kept by triggers) is migrated to the current version: the
// triggers on inserts and updates go, the counts stay, and the Storage's own writes keep them.
TEST(SqliteStorage, MigratesAVersion9FileToStatusCountsKeptByItsWrites) {
  TempDir dir;
  const std::string path = dir.file("v9.sqlite");
  ASSERT_NO_FATAL_FAILURE(write_version9_file(path));
  auto s = make_sqlite_storage(path);
  EXPECT_EQ(s->count_by_status("c1").at(static_cast<int>(ContactStatus::kRetry)), 1u);
  Contact first = *s->get_contact(1);
  first.status = ContactStatus::kDone;
  s->update_contact(first);
  Contact added;
  added.campaign_id = "c1";
  s->add_contact(added);
  const std::vector<std::size_t> counts = s->count_by_status("c1");
  EXPECT_EQ(counts.at(static_cast<int>(ContactStatus::kNew)), 1u);
  EXPECT_EQ(counts.at(static_cast<int>(ContactStatus::kRetry)), 0u);
  EXPECT_EQ(counts.at(static_cast<int>(ContactStatus::kDone)), 1u);
  s.reset();
  EXPECT_EQ(ints_of_row(path,
                        "SELECT (SELECT version FROM schema_version), "
                        "(SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND name IN "
                        "('contacts_counted', 'contacts_recounted')), "
                        "(SELECT COUNT(*) FROM sqlite_schema WHERE name = 'contacts_uncounted'), "
                        "(SELECT SUM(n) FROM status_counts WHERE campaign_id = 'c1')"),
            (std::vector<int>{kSqliteSchemaVersion, 0, 1, 2}));
}

// The status counts follow a contact whose status another connection changed since this one
// wrote it (its last write is not what the file holds), and a write batch that fails leaves them
// as they were.
TEST(SqliteStorage, StatusCountsFollowOtherWritersAndFailedBatches) {
  TempDir dir;
  const std::string path = dir.file("counts.sqlite");
  auto a = make_sqlite_storage(path);
  auto b = make_sqlite_storage(path);
  Contact contact;
  contact.campaign_id = "c1";
  contact.id = a->add_contact(contact);
  const auto counts = [&](Storage& s) {
    std::vector<std::size_t> n = s.count_by_status("c1");
    n.resize(static_cast<std::size_t>(ContactStatus::kExhausted) + 1);
    return n;
  };
  const auto only = [](ContactStatus status) {
    std::vector<std::size_t> n(static_cast<std::size_t>(ContactStatus::kExhausted) + 1);
    n[static_cast<std::size_t>(status)] = 1;
    return n;
  };
  contact.status = ContactStatus::kRetry;
  a->update_contact(contact);
  EXPECT_EQ(counts(*a), only(ContactStatus::kRetry));
  Contact elsewhere = *b->get_contact(contact.id);
  elsewhere.status = ContactStatus::kCallback;
  b->update_contact(elsewhere);
  EXPECT_EQ(counts(*a), only(ContactStatus::kCallback));
  contact.status = ContactStatus::kDone;  // a last wrote kRetry
  a->update_contact(contact);
  EXPECT_EQ(counts(*b), only(ContactStatus::kDone));

  StorageWriteBatch failing;
  contact.status = ContactStatus::kExhausted;
  failing.contacts.push_back(contact);
  Contact unknown;
  unknown.id = contact.id + 1000;
  unknown.campaign_id = "c1";
  failing.contacts.push_back(unknown);
  EXPECT_THROW(a->write_batch(failing), Error);
  EXPECT_EQ(counts(*a), only(ContactStatus::kDone));
  EXPECT_EQ(a->get_contact(contact.id)->status, ContactStatus::kDone);
  contact.status = ContactStatus::kInvalid;  // a's last write (kExhausted) was rolled back
  a->update_contact(contact);
  EXPECT_EQ(counts(*b), only(ContactStatus::kInvalid));
  EXPECT_EQ(a->contact_count("c1"), 1u);
}

// A version-8 file with attributes that are not JSON is refused at open, and nothing is written:
// another contact's attributes stay JSON.
TEST(SqliteStorage, MigrationToAttributesAsTextRefusesAttributesThatAreNotJson) {
  TempDir dir;
  const std::string path = dir.file("v8-bad.sqlite");
  ASSERT_NO_FATAL_FAILURE(write_version8_file(path));
  run_sql_on(path, R"sql(
INSERT INTO contacts (id, campaign_id, list_name, external_id, priority, list_order, numbers,
  time_zone, status, attempts, not_connected, next_number, last_disposition, last_attempt_at,
  next_attempt_at, callback_agent, tenant_id)
  VALUES (2, 'c1', 'spring', 'ext-2', 0, 2, '', '', 0, 0, 0, 0, 0, 0, 0, 0, 'default');
INSERT INTO contact_attributes (contact_id, attributes) VALUES (2, '[["name",');
)sql");
  try {
    make_sqlite_storage(path);
    ADD_FAILURE() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
    EXPECT_NE(std::string(e.what()).find("migrate schema v8 -> v9"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("attributes are not JSON"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ints_of_row(path,
                        "SELECT (SELECT version FROM schema_version), "
                        "(SELECT attributes = '[[\"name\",\"Ana\"]]' FROM contact_attributes "
                        "WHERE contact_id = 1), "
                        "(SELECT attributes = '[[\"name\",' FROM contact_attributes "
                        "WHERE contact_id = 2)"),
            (std::vector<int>{8, 1, 1}));
}

// The attributes' text: keys and values with the separators in them or empty, duplicates kept,
// and text the codec did not write refused.
TEST(SqliteStorage, AttributesAsTextRoundTripAndRefuseOtherText) {
  using namespace storage_codec;
  const std::vector<std::pair<std::string, std::string>> odd{
      {"1:a", "b:2"}, {"", ""}, {"1:a", "x"}, {std::string("n\0l", 3), "é"}};
  const std::string text = attributes_to_text(odd);
  EXPECT_EQ(text, "3:1:a3:b:20:0:3:1:a1:x3:" + std::string("n\0l", 3) + "2:é");
  std::vector<std::pair<std::string, std::string>> back(5, {"old", "old"});  // replaced
  attributes_from_text(text, back);
  EXPECT_EQ(back, odd);
  EXPECT_EQ(attributes_to_text({}), "");
  attributes_from_text("", back);
  EXPECT_TRUE(back.empty());
  for (const char* bad : {"[]", "1:a", "1:a1:", "2:a", "1:a2:b", "-1:", "1:a-1:", "x:a1:b"}) {
    EXPECT_THROW(attributes_from_text(bad, back), std::invalid_argument) << bad;
  }
}

// Call ids are drawn from the database's counter 1,024 at a time per Storage object (one commit
// per draw instead of one per 64 ids): one object's ids follow one another, another object's
// (another process's) come from another block, an object opened later starts after every block
// drawn, and no id is given twice.
TEST(SqliteStorage, CallIdsAreDrawnInBlocksAndHandedOutInOrder) {
  TempDir dir;
  const std::string path = dir.file("call_ids.sqlite");
  auto a = make_sqlite_storage(path);
  auto b = make_sqlite_storage(path);
  std::vector<CallId> ids_of_a = a->allocate_call_ids(64);
  const std::vector<CallId> ids_of_b = b->allocate_call_ids(2000);
  for (CallId id : a->allocate_call_ids(64)) ids_of_a.push_back(id);
  ids_of_a.push_back(a->allocate_call_id());
  for (std::size_t i = 1; i < ids_of_a.size(); ++i) EXPECT_EQ(ids_of_a[i], ids_of_a[i - 1] + 1);
  for (std::size_t i = 1; i < ids_of_b.size(); ++i) EXPECT_EQ(ids_of_b[i], ids_of_b[i - 1] + 1);
  EXPECT_EQ(ids_of_a.front(), 1u);
  EXPECT_EQ(ids_of_b.front(), 1025u);  // after a's block
  const CallId later = make_sqlite_storage(path)->allocate_call_id();
  EXPECT_EQ(later, ids_of_b.back() + 1);
}

TEST(SqliteStorage, MigratesAVersion5FileToCountedDncChanges) {
  TempDir dir;
  const std::string path = dir.file("v5.sqlite");
  ASSERT_NO_FATAL_FAILURE(write_version6_file(path));
  run_sql_on(path, R"sql(
DROP TRIGGER dnc_added;
DROP TRIGGER dnc_removed;
DROP TRIGGER dnc_updated;
DELETE FROM counters WHERE name = 'dnc_changes';
CREATE INDEX contacts_status ON contacts (tenant_id, campaign_id, status);
UPDATE schema_version SET version = 5;
)sql");
  auto s = make_sqlite_storage(path);
  EXPECT_EQ(s->get_contact(1)->external_id, "ext-1");
  EXPECT_EQ(s->count_by_status("c1").at(1), 1u);
  EXPECT_TRUE(s->is_dnc("c1", "+15550000001"));
  EXPECT_FALSE(s->is_dnc("c1", "+15550000002"));
  auto other = make_sqlite_storage(path);
  other->add_dnc("c1", "+15550000002");
  EXPECT_TRUE(s->is_dnc("c1", "+15550000002"));  // counted by the new triggers
  s.reset();
  other.reset();
  EXPECT_EQ(ints_of_row(path,
                        "SELECT (SELECT version FROM schema_version), "
                        "(SELECT COUNT(*) FROM sqlite_schema WHERE name = 'contacts_status'), "
                        "(SELECT value FROM counters WHERE name = 'dnc_changes')"),
            (std::vector<int>{kSqliteSchemaVersion, 0, 1}));
}

// DNC answers are kept between checks, but a change to a list through this Storage, another
// Storage on the file, or a bare connection is seen at the next check.
// Every field of a contact, as text (Contact has no operator==).
std::string describe(const Contact& c) {
  std::string out =
      std::to_string(c.id) + "|" + c.campaign_id + "|" + c.list_name + "|" + c.external_id + "|" +
      std::to_string(c.priority) + "|" + std::to_string(c.list_order) + "|" +
      storage_codec::numbers_to_json(c.numbers) + "|" +
      storage_codec::attributes_to_json(c.attributes) + "|" + c.time_zone + "|" +
      std::to_string(static_cast<int>(c.status)) + "|" + std::to_string(c.attempts) + "|" +
      std::to_string(c.not_connected) + "|" + std::to_string(c.next_number) + "|" +
      std::to_string(static_cast<int>(c.last_disposition)) + "|" + std::to_string(c.callback_agent);
  return out + "|" + format_utc(c.last_attempt_at) + "|" + format_utc(c.next_attempt_at);
}

// The contacts a claim took are read together at the first read of one of them: each read
// answers what a read of its own (through another connection) answers, a contact written
// after that read is read as written, and one whose lease was released is read afresh.
TEST(SqliteStorage, ClaimedContactsReadTogetherAnswerAsSingleReads) {
  TempDir dir;
  const std::string path = dir.file("db.sqlite");
  auto s = make_sqlite_storage(path);
  auto other = make_sqlite_storage(path);
  std::vector<ContactId> ids;
  for (int i = 0; i < 6; ++i) {
    Contact c;
    c.campaign_id = "c1";
    c.external_id = "x" + std::to_string(i);
    c.priority = i;
    c.time_zone = i % 2 ? "Europe/Lisbon" : "";
    c.numbers = {PhoneNumber{"+35191234567" + std::to_string(i)}, PhoneNumber{"+351213000000"}};
    c.numbers[0].attempts = static_cast<std::uint16_t>(i);
    c.attributes = {{"name", "n" + std::to_string(i)}, {"balance", std::to_string(100 * i)}};
    c.attempts = static_cast<std::uint16_t>(i);
    c.next_attempt_at = parse_utc("2026-05-04T08:00:00Z") + std::chrono::minutes(i);
    ids.push_back(s->add_contact(c));
  }
  const TimePoint now = parse_utc("2026-05-04T09:00:00Z");
  ASSERT_EQ(s->claim_leases(ids, "A", now, std::chrono::minutes(5)).size(), ids.size());

  Contact read;
  ASSERT_TRUE(s->read_contact(ids[3], read));  // reads all six
  EXPECT_EQ(describe(read), describe(*other->get_contact(ids[3])));
  Contact written = *other->get_contact(ids[4]);
  written.attempts = 9;
  written.status = ContactStatus::kRetry;
  written.attributes.push_back({"note", "called"});
  s->update_contact(written);
  std::vector<ContactId> released = {ids[5]};
  s->release_leases(released, "A");
  Contact elsewhere = *other->get_contact(ids[5]);
  elsewhere.attempts = 7;
  other->update_contact(elsewhere);  // no lease held: another engine may write it

  for (ContactId id : ids) {
    ASSERT_TRUE(s->read_contact(id, read)) << id;
    EXPECT_EQ(describe(read), describe(*other->get_contact(id))) << id;
  }
  EXPECT_EQ(read.attempts, 7);
  ASSERT_TRUE(s->read_contact(ids[4], read));
  EXPECT_EQ(read.attempts, 9);
  EXPECT_EQ(read.attributes.size(), 3u);
  EXPECT_FALSE(s->read_contact(ids.back() + 100, read));
  // A renewal is not read ahead: the contact is read as it stands when asked.
  ASSERT_EQ(s->claim_leases(ids, "A", now, std::chrono::minutes(5)).size(), ids.size());
  Contact renewed = *other->get_contact(ids[0]);
  renewed.attempts = 11;
  other->update_contact(renewed);
  ASSERT_TRUE(s->read_contact(ids[0], read));
  EXPECT_EQ(read.attempts, 11);
  // A contact whose lease another engine took over (it had expired) is not read ahead with
  // the others: that engine may write it before this one asks.
  std::vector<ContactId> late_ids;
  for (const char* key : {"late-1", "late-2"}) {
    Contact late;
    late.campaign_id = "c1";
    late.external_id = key;
    late_ids.push_back(s->add_contact(late));
  }
  ASSERT_EQ(s->claim_leases(late_ids, "A", now, std::chrono::minutes(5)).size(), 2u);
  std::vector<ContactId> taken_ids = {late_ids[1]};
  ASSERT_EQ(
      other->claim_leases(taken_ids, "B", now + std::chrono::minutes(6), std::chrono::minutes(5))
          .size(),
      1u);
  ASSERT_TRUE(s->read_contact(late_ids[0], read));  // reads the ones still held ahead
  Contact taken = *other->get_contact(late_ids[1]);
  taken.attempts = 3;
  other->update_contact(taken);
  ASSERT_TRUE(s->read_contact(late_ids[1], read));
  EXPECT_EQ(read.attempts, 3);
}

TEST(SqliteStorage, DncAnswersFollowEveryChangeToTheLists) {
  TempDir dir;
  const std::string path = dir.file("dnc.sqlite");
  auto s = make_sqlite_storage(path);
  auto other = make_sqlite_storage(path);
  EXPECT_FALSE(s->is_dnc("c1", "+351911111111"));
  EXPECT_FALSE(s->is_dnc("c1", "+351911111111"));
  other->add_dnc("global", "+351911111111");
  EXPECT_TRUE(s->is_dnc("c1", "+351911111111"));
  EXPECT_TRUE(s->is_dnc("c2", "+351911111111"));
  EXPECT_TRUE(other->remove_dnc("global", "+351911111111"));
  EXPECT_FALSE(s->is_dnc("c1", "+351911111111"));
  s->add_dnc("c1", "+351911111111");  // a campaign's list: that campaign only
  EXPECT_TRUE(s->is_dnc("c1", "+351911111111"));
  EXPECT_FALSE(s->is_dnc("c2", "+351911111111"));
  EXPECT_TRUE(other->is_dnc("c1", "+351911111111"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM dnc", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_FALSE(s->is_dnc("c1", "+351911111111"));
  EXPECT_FALSE(other->is_dnc("c1", "+351911111111"));
  // Other tenants' lists are not this tenant's, answers kept or not.
  SqliteStorageOptions b;
  b.tenant = "b";
  auto tenant_b = make_sqlite_storage(path, b);
  tenant_b->add_dnc("global", "+351922222222");
  EXPECT_FALSE(s->is_dnc("c1", "+351922222222"));
  EXPECT_TRUE(tenant_b->is_dnc("c1", "+351922222222"));
}

// A check reads every list the number is on and answers for the campaign's own list and the
// global one; the other lists' entries (sorted before and after them) do not count.
TEST(SqliteStorage, ANumberOnSeveralListsIsListedForThoseCampaignsOnly) {
  const std::string number = "+351933333333";
  auto s = make_sqlite_storage(":memory:");
  for (const char* list : {"a", "c2", "zz"}) s->add_dnc(list, number);
  for (const char* campaign : {"a", "c2", "zz"})
    EXPECT_TRUE(s->is_dnc(campaign, number)) << campaign;
  EXPECT_FALSE(s->is_dnc("c1", number));
  EXPECT_FALSE(s->is_dnc("a", "+351933333334"));
  s->add_dnc("global", number);
  EXPECT_TRUE(s->is_dnc("c1", number));
  EXPECT_TRUE(s->remove_dnc("global", number));
  EXPECT_FALSE(s->is_dnc("c1", number));
}

// Lists longer than the Storage object reads whole (16,384 entries) are looked up number by
// number, with the same answers; shorter ones are read whole (the tests above).
TEST(SqliteStorage, DncListsTooLongToReadWholeAreLookedUpByNumber) {
  auto s = make_sqlite_storage(":memory:");
  for (int i = 0; i < 17000; ++i) {
    s->add_dnc(i % 2 == 1 ? "global" : "c2", "+3519" + std::to_string(10000000 + i));
  }
  const auto listed_for_c1 = [&](const std::string& number) { return s->is_dnc("c1", number); };
  EXPECT_TRUE(listed_for_c1("+351910000001"));   // global
  EXPECT_FALSE(listed_for_c1("+351910000000"));  // c2's
  EXPECT_TRUE(s->is_dnc("c2", "+351910000000"));
  EXPECT_FALSE(listed_for_c1("+351999999999"));
  s->add_dnc("c1", "+351910000000");
  EXPECT_TRUE(listed_for_c1("+351910000000"));
  EXPECT_TRUE(s->remove_dnc("global", "+351910000001"));
  EXPECT_FALSE(listed_for_c1("+351910000001"));
}

// A number another process adds to a DNC list is on it for the next check after the addition
// is committed, however many answers were kept before and whatever this Storage wrote between.
TEST(SqliteStorage, DncAdditionByAnotherProcessCountsFromTheNextCheck) {
  TempDir dir;
  const std::string path = dir.file("dnc.sqlite");
  const std::string number = "+351933333333";
  int to_child[2];
  int to_parent[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(to_parent), 0);
  // Forked before this process opens the file: the child holds no connection of the parent's.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Only the parent holds the write end the child reads: if the parent goes away the read
    // ends, and so does the child.
    ::close(to_child[1]);
    ::close(to_parent[0]);
    char go = 0;
    char done = 'k';
    if (::read(to_child[0], &go, 1) != 1) ::_exit(1);
    try {
      make_sqlite_storage(path)->add_dnc("global", number);
    } catch (const std::exception&) {
      done = 'e';
    }
    ssize_t ignored = ::write(to_parent[1], &done, 1);
    (void)ignored;
    ::_exit(0);
  }
  // A failed ASSERT leaves the test early: the child must not outlive it holding the test's
  // output open, so every way out closes the pipes and kills and reaps the child.
  struct ChildGuard {
    pid_t pid;
    int fds[3];
    ~ChildGuard() {
      for (int fd : fds) ::close(fd);
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } child{pid, {to_child[0], to_child[1], to_parent[0]}};
  // The end the child answers on is the child's alone, so a child that dies without answering
  // ends the read below; to_child[0] stays open here, so a write to a dead child is no SIGPIPE.
  ::close(to_parent[1]);
  auto s = make_sqlite_storage(path);
  Contact c;
  c.campaign_id = "c1";
  c.external_id = "x1";
  c.numbers.push_back(PhoneNumber{.e164 = number});
  c.id = s->add_contact(c);
  EXPECT_FALSE(s->is_dnc("c1", number));
  EXPECT_FALSE(s->is_dnc("c1", number));
  c.attempts = 1;
  s->update_contact(c);  // a commit of this Storage's own between the checks
  EXPECT_FALSE(s->is_dnc("c1", number));
  const char go = 'g';
  ASSERT_EQ(::write(to_child[1], &go, 1), 1);
  char done = 0;
  ASSERT_EQ(::read(to_parent[0], &done, 1), 1);
  ::waitpid(pid, nullptr, 0);
  child.pid = -1;
  ASSERT_EQ(done, 'k');
  EXPECT_TRUE(s->is_dnc("c1", number));
  EXPECT_TRUE(s->is_dnc("c2", number));
}

// A refill's scan leaves out, before reading their rows, the contacts its caller skips and the
// ones deferred past its due time, and visits a deferred contact again once its time has come.
TEST(SqliteStorage, ViewScansLeaveOutSkippedAndDeferredContacts) {
  TempDir dir;
  auto s = make_sqlite_storage(dir.file("views.sqlite"));
  std::vector<ContactId> ids;
  for (int i = 0; i < 4; ++i) {
    Contact c;
    c.campaign_id = "c1";
    c.external_id = "x" + std::to_string(i);
    c.numbers.push_back(PhoneNumber{"+35191000000" + std::to_string(i)});
    ids.push_back(s->add_contact(c));
  }
  const TimePoint t0 = TimePoint(std::chrono::hours(1000));
  auto visit = [&](TimePoint due, ContactId skipped) {
    ContactScan scan;
    scan.campaign_id = "c1";
    scan.due_by = due;
    scan.skip = [&](ContactId id) { return id == skipped; };
    std::vector<ContactId> seen;
    s->scan_contact_views(scan, [&](const ContactView& v) {
      seen.push_back(v.id);
      return v.id == ids[1] ? ScanStep::defer(t0 + std::chrono::hours(1)) : ScanStep::next();
    });
    return seen;
  };
  EXPECT_EQ(visit(t0, ids[3]), (std::vector<ContactId>{ids[0], ids[1], ids[2]}));
  EXPECT_EQ(visit(t0, kNoContact), (std::vector<ContactId>{ids[0], ids[2], ids[3]}));
  s->defer_contacts("c1", std::vector<ContactId>{ids[2]}, t0 + std::chrono::hours(2));
  EXPECT_EQ(visit(t0 + std::chrono::hours(1), kNoContact),
            (std::vector<ContactId>{ids[0], ids[1], ids[3]}));
  Contact written = *s->get_contact(ids[2]);  // a write ends its deferral
  s->update_contact(written);
  EXPECT_EQ(visit(t0, kNoContact), (std::vector<ContactId>{ids[0], ids[2], ids[3]}));
}

// Deferrals are kept by contact id in pages of ids: contacts whose ids lie pages apart are each
// left out until their own time, and one whose time has come is visited again.
TEST(SqliteStorage, DeferralsOfContactsFarApartInIdsAreKeptApart) {
  TempDir dir;
  auto s = make_sqlite_storage(dir.file("deferrals.sqlite"));
  std::vector<Contact> contacts(9000);
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    contacts[i].campaign_id = "c1";
    contacts[i].external_id = "x" + std::to_string(i);
    contacts[i].numbers.push_back(PhoneNumber{"+351910000000"});
  }
  ASSERT_EQ(s->add_contacts(contacts), contacts.size());
  const TimePoint t0 = TimePoint(std::chrono::hours(1000));
  const ContactId first = contacts.front().id;
  const ContactId far = contacts[8500].id;
  s->defer_contacts("c1", std::vector<ContactId>{first}, t0 + std::chrono::hours(1));
  s->defer_contacts("c1", std::vector<ContactId>{far}, t0 + std::chrono::hours(2));
  auto visited = [&](TimePoint due) {
    std::set<ContactId> seen;
    s->scan_contact_views({.campaign_id = "c1", .due_by = due}, [&](const ContactView& v) {
      seen.insert(v.id);
      return ScanStep::next();
    });
    return seen;
  };
  std::set<ContactId> seen = visited(t0);
  EXPECT_EQ(seen.size(), contacts.size() - 2);
  EXPECT_FALSE(seen.contains(first));
  EXPECT_FALSE(seen.contains(far));
  seen = visited(t0 + std::chrono::hours(1));
  EXPECT_TRUE(seen.contains(first));
  EXPECT_FALSE(seen.contains(far));
  EXPECT_EQ(visited(t0).size(), contacts.size() - 1);  // first's deferral has ended
  EXPECT_EQ(visited(t0 + std::chrono::hours(2)).size(), contacts.size());
}

// A scan for the scheduled work after an instant (ContactScan::scheduled_after) reads only the
// RETRY and CALLBACK contacts due after it, callbacks first.
TEST(SqliteStorage, ScheduledScanReadsOnlyRetriesAndCallbacksDueLater) {
  TempDir dir;
  auto s = make_sqlite_storage(dir.file("scheduled.sqlite"));
  const TimePoint t = TimePoint(std::chrono::hours(1000));
  struct Row {
    ContactStatus status;
    TimePoint due;
  };
  const std::vector<Row> rows = {{ContactStatus::kNew, TimePoint{}},
                                 {ContactStatus::kNew, t + std::chrono::hours(1)},
                                 {ContactStatus::kRetry, t - std::chrono::hours(1)},
                                 {ContactStatus::kRetry, t + std::chrono::hours(2)},
                                 {ContactStatus::kCallback, t},
                                 {ContactStatus::kCallback, t + std::chrono::hours(3)},
                                 {ContactStatus::kDone, t + std::chrono::hours(4)}};
  std::vector<ContactId> ids;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Contact c;
    c.campaign_id = "c1";
    c.external_id = "x" + std::to_string(i);
    c.numbers.push_back(PhoneNumber{"+35191000000" + std::to_string(i)});
    c.id = s->add_contact(c);
    c.status = rows[i].status;
    c.next_attempt_at = rows[i].due;
    s->update_contact(c);
    ids.push_back(c.id);
  }
  Contact other;  // another campaign's
  other.campaign_id = "c2";
  other.id = s->add_contact(other);
  other.status = ContactStatus::kRetry;
  other.next_attempt_at = t + std::chrono::hours(1);
  s->update_contact(other);
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.dialable_only = false;
  scan.scheduled_after = t;
  std::vector<ContactId> seen;
  s->scan_contact_views(scan, [&](const ContactView& v) {
    seen.push_back(v.id);
    EXPECT_EQ(v.numbers.size(), 1u);
    return ScanStep::next();
  });
  EXPECT_EQ(seen, (std::vector<ContactId>{ids[5], ids[3]}));
  // Without the hint: every contact of the campaign.
  scan.scheduled_after.reset();
  seen.clear();
  s->scan_contact_views(scan, [&](const ContactView& v) {
    seen.push_back(v.id);
    return ScanStep::next();
  });
  EXPECT_EQ(seen.size(), rows.size());
}

// Numbers and attributes are stored as JSON (Boost.JSON): the stored text for plain and escaped
// characters, round trips, and a document in another layout (spaces, escapes) still reads.
TEST(SqliteStorage, NumbersAndAttributesAsJsonWhateverTheirCharacters) {
  using namespace storage_codec;
  PhoneNumber plain{"+351912345678", 4000000000u, 3, Disposition::kBusy, true};
  plain.last_abandon_at = TimePoint(Duration(-5));
  plain.last_machine_at = TimePoint(Duration(1764000000123));
  EXPECT_EQ(numbers_to_json({plain}),
            R"([{"e164":"+351912345678","zone_set":4000000000,"attempts":3,"last_disposition":)" +
                std::to_string(static_cast<int>(Disposition::kBusy)) +
                R"(,"invalid":true,"last_abandon_at":-5,"last_machine_at":1764000000123}])");
  EXPECT_EQ(attributes_to_json({{"age", "58"}, {"", ""}, {"a/b", "x y"}}),
            R"([["age","58"],["",""],["a/b","x y"]])");
  EXPECT_EQ(numbers_to_json({}), "[]");
  EXPECT_EQ(attributes_to_json({}), "[]");
  EXPECT_EQ(attributes_to_json({{"q", "say \"hi\"\\\n\x01"}}), R"([["q","say \"hi\"\\\n\u0001"]])");

  Contact c;
  c.campaign_id = "c1";
  c.external_id = "odd";
  PhoneNumber odd = plain;
  odd.e164 = "+351 \"9\"\t";
  c.numbers = {plain, odd};
  c.attributes = {{"name", "Zo\xc3\xab \"Q\" \\ /"}, {"line", "a\nb\x7f"}, {"", ""}, {"k", "v"}};
  TempDir dir;
  auto s = make_sqlite_storage(dir.file("codec.sqlite"));
  const ContactId id = s->add_contact(c);
  auto back = s->get_contact(id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->attributes, c.attributes);
  ASSERT_EQ(back->numbers.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->numbers[i].e164, c.numbers[i].e164);
    EXPECT_EQ(back->numbers[i].zone_set, c.numbers[i].zone_set);
    EXPECT_EQ(back->numbers[i].attempts, c.numbers[i].attempts);
    EXPECT_EQ(back->numbers[i].last_disposition, c.numbers[i].last_disposition);
    EXPECT_EQ(back->numbers[i].invalid, c.numbers[i].invalid);
    EXPECT_EQ(back->numbers[i].last_abandon_at, c.numbers[i].last_abandon_at);
    EXPECT_EQ(back->numbers[i].last_machine_at, c.numbers[i].last_machine_at);
  }

  // Another layout of the same documents (as another writer might store them).
  auto numbers = numbers_from_json(
      R"( [ {"zone_set": 7, "e164": "+1\u0035", "attempts": 1, "last_disposition": 0,
            "invalid": false, "last_abandon_at": 0, "last_machine_at": 2} ] )");
  ASSERT_EQ(numbers.size(), 1u);
  EXPECT_EQ(numbers[0].e164, "+15");
  EXPECT_EQ(numbers[0].zone_set, 7u);
  EXPECT_EQ(numbers[0].last_machine_at, TimePoint(Duration(2)));
  EXPECT_EQ(attributes_from_json(R"([ ["a", "\u00e9"] ,["b","c"]])"),
            (std::vector<std::pair<std::string, std::string>>{{"a", "\xc3\xa9"}, {"b", "c"}}));
  EXPECT_THROW(attributes_from_json(R"([["a","b"])"), std::exception);
  EXPECT_THROW(numbers_from_json("[{}]"), std::exception);
}

// A Storage keeps the attributes' text it last read or wrote of a contact to spare writing them
// again: a change made through another connection is still read, and a write stores the values
// it is given, changed or not.
TEST(SqliteStorage, KeptAttributesFollowTheStoredText) {
  TempDir dir;
  const std::string path = dir.file("attributes.sqlite");
  auto s = make_sqlite_storage(path);
  auto other = make_sqlite_storage(path);
  Contact c;
  c.campaign_id = "c1";
  c.external_id = "x1";
  c.numbers = {PhoneNumber{"+351911111111"}};
  c.attributes = {{"name", "Ana"}, {"balance", "10"}};
  const ContactId id = s->add_contact(c);
  Contact read = *s->get_contact(id);
  EXPECT_EQ(read.attributes, c.attributes);
  read.attempts = 1;
  s->update_contact(read);  // the values read: the text kept
  Contact changed = read;
  changed.attributes[1].second = "20";
  other->update_contact(changed);
  EXPECT_EQ(s->get_contact(id)->attributes, changed.attributes);
  s->update_contact(read);  // the values it last read: stored, though it keeps other ones
  EXPECT_EQ(other->get_contact(id)->attributes, c.attributes);
  read.attributes.emplace_back("note", "called");
  s->update_contact(read);
  EXPECT_EQ(other->get_contact(id)->attributes, read.attributes);
  EXPECT_EQ(s->get_contact(id)->attributes, read.attributes);
  std::vector<Contact> both{read, read};
  both[1].attributes.clear();
  s->update_contacts({both.data() + 1, 1});
  EXPECT_TRUE(other->get_contact(id)->attributes.empty());
  EXPECT_TRUE(s->get_contact(id)->attributes.empty());
  EXPECT_EQ(s->get_contact(id)->attempts, 1);

  // A write of new values that rolls back (a batch with an unknown contact) leaves the file's
  // text as it was: the same values written again are stored.
  Contact renamed = *s->get_contact(id);
  renamed.attributes = {{"name", "Eva"}};
  Contact unknown = renamed;
  unknown.id = id + 1000;
  std::vector<Contact> failing{renamed, unknown};
  EXPECT_THROW(s->update_contacts(failing), Error);
  EXPECT_TRUE(other->get_contact(id)->attributes.empty());
  s->update_contact(renamed);
  EXPECT_EQ(other->get_contact(id)->attributes, renamed.attributes);
  // Changed through another connection after this object wrote them: written again.
  Contact cleared = renamed;
  cleared.attributes.clear();
  other->update_contact(cleared);
  s->update_contact(renamed);
  EXPECT_EQ(other->get_contact(id)->attributes, renamed.attributes);
}

TEST(SqliteStorage, InMemoryDatabaseAndJournalOption) {
  SqliteStorageOptions options;
  options.keep_journal = false;
  auto s = make_sqlite_storage(":memory:", options);
  s->append_journal({TimePoint{}, "c1", 1, 1, "state", "x"});
  int n = 0;
  s->scan_journal("c1", [&](const JournalEntry&) { return ++n > 0; });
  EXPECT_EQ(n, 0);
  EXPECT_NE(s->allocate_call_id(), kNoCall);
}

}  // namespace
}  // namespace omnivox::testing
