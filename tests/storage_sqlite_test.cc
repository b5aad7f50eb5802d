// The Storage conformance suite on the SQLite backend (a temporary file per test), plus the
// SQLite-specific behaviour: persistence across reopen, schema version check, error messages.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "omnivox/sqlite_storage.h"
#include "omnivox/testing/storage_conformance.h"

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

 private:
  fs::path path_;
};

struct SqliteStorageFactory {
  std::unique_ptr<Storage> create() { return make_sqlite_storage(dir.file("omnivox.db")); }
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
  EXPECT_EQ(s->allocate_call_id(), 2u);  // never reused
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
