// open_storage (omnivox/storage_url.h) with StorageOpenOptions::create_if_missing: a reader that
// must not create a database (omnivox status) gets a clear error for a path with no file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "omnivox/postgres_storage.h"
#include "omnivox/storage_url.h"

namespace omnivox {
namespace {

class SqliteCreateIfMissing : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("omnivox_storage_url_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SqliteCreateIfMissing, MissingFileIsNotFoundAndNothingIsCreated) {
  const std::string path = (dir_ / "mistyped.db").string();
  StorageOpenOptions options;
  options.create_if_missing = false;
  try {
    open_storage("sqlite:" + path, options);
    FAIL() << "opened a database that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(std::string(e.what()), "sqlite storage: no database at '" + path + "'");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(SqliteCreateIfMissing, ExistingDatabaseOpensAndTheDefaultStillCreates) {
  const std::string url = "sqlite:" + (dir_ / "s.db").string();
  {
    std::unique_ptr<Storage> created = open_storage(url);  // create_if_missing defaults to true
    CampaignConfig c;
    c.id = "kept";
    created->put_campaign(c);
  }
  StorageOpenOptions options;
  options.create_if_missing = false;
  std::unique_ptr<Storage> reopened = open_storage(url, options);
  ASSERT_TRUE(reopened->get_campaign("kept").has_value());
}

// Masking a password runs std::regex, which overflowed the stack on a 50,000-byte URL (found by
// the storage_url fuzz target): such URLs are refused before it runs.
TEST(StorageUrl, OverlongUrlIsRefusedWithoutBeingShown) {
  const std::string url = "postgres://dialer:" + std::string(50000, 's') + "@db/omnivox";
  EXPECT_EQ(mask_storage_url(url), "(a URL of 50029 bytes, not shown)");
  try {
    storage_kind(url);
    FAIL() << "an overlong URL was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_EQ(std::string(e.what()),
              "storage URL '(a URL of 50029 bytes, not shown)': longer than 2048 bytes");
  }
  const std::string longest = "postgres://dialer:secret@db/" + std::string(2020, 'd');
  ASSERT_EQ(longest.size(), kMaxStorageUrlBytes);
  EXPECT_EQ(storage_kind(longest), StorageKind::kPostgres);
  EXPECT_EQ(mask_storage_url(longest), "postgres://dialer:***@db/" + std::string(2020, 'd'));
}

// A connection string far past what masking shows (a pasted file, say) is refused by libpq or
// the server, never a stack overflow in the masking of the error message.
TEST(PostgresStorageOpen, HugeConnectionStringIsAnErrorNotACrash) {
  const std::string conninfo =
      "host=127.0.0.1 port=1 connect_timeout=1 password=" + std::string(100000, 'x');
  const std::string shown = "<connection string of " + std::to_string(conninfo.size()) + " bytes>";
  EXPECT_EQ(mask_conninfo_password(conninfo), shown);
  try {
    make_postgres_storage(conninfo);
    FAIL() << "connected to port 1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(shown), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace omnivox
