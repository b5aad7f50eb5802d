// kill -9 while a process migrates a version-7 SQLite file to the current schema version. The
// migration rewrites every contact inside the transaction that opens the file, so wherever the
// process dies the file must be either the version-7 file as it was or the migrated file whole,
// and in both cases open (migrating if it is still version 7) with every contact, number and
// attribute as written. The version-7 file is built from tests/data/sqlite_schema_v7.sql (frozen),
// so the test follows whatever migrations come after version 7.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "omnivox/sqlite_storage.h"

namespace omnivox {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kContacts = 10000;
constexpr int kTrials = 24;
constexpr unsigned kSeed = 20261207;

// Contact i's numbers: one, or two for every third contact, every field set.
std::vector<PhoneNumber> numbers_of(int i) {
  std::vector<PhoneNumber> out;
  for (int k = 0; k < 1 + (i % 3 == 0); ++k) {
    PhoneNumber n;
    n.e164 = "+3519" + std::to_string(10000000 + 2 * i + k);
    n.zone_set = static_cast<ZoneSetId>(i % 5);
    n.attempts = static_cast<std::uint16_t>((i + k) % 4);
    n.last_disposition = (i + k) % 2 ? Disposition::kNoAnswer : Disposition::kNone;
    n.invalid = (i + k) % 7 == 0;
    n.last_abandon_at = TimePoint(std::chrono::milliseconds(1000LL * i));
    n.last_machine_at = TimePoint(std::chrono::milliseconds(1000LL * i + 500 * k));
    out.push_back(n);
  }
  return out;
}

// The numbers as a version-7 file stores them (JSON).
std::string numbers_json(const std::vector<PhoneNumber>& numbers) {
  std::ostringstream o;
  o << '[';
  for (std::size_t k = 0; k < numbers.size(); ++k) {
    const PhoneNumber& n = numbers[k];
    o << (k ? "," : "") << "{\"e164\":\"" << n.e164 << "\",\"zone_set\":" << n.zone_set
      << ",\"attempts\":" << n.attempts
      << ",\"last_disposition\":" << static_cast<int>(n.last_disposition)
      << ",\"invalid\":" << (n.invalid ? "true" : "false")
      << ",\"last_abandon_at\":" << n.last_abandon_at.time_since_epoch().count()
      << ",\"last_machine_at\":" << n.last_machine_at.time_since_epoch().count() << '}';
  }
  o << ']';
  return o.str();
}

std::string name_of(int i) { return "Name " + std::to_string(i); }

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "") << "\n"
      << sql.substr(0, 200);
}

// Writes the version-7 file: the frozen schema, one list and kContacts contacts of campaign c1.
void write_version7_file(const std::string& path) {
  std::ifstream schema(std::string(OMNIVOX_TEST_DATA_DIR) + "/sqlite_schema_v7.sql");
  ASSERT_TRUE(schema) << "tests/data/sqlite_schema_v7.sql";
  std::stringstream text;
  text << schema.rdbuf();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_NO_FATAL_FAILURE(exec(db, text.str()));
  ASSERT_NO_FATAL_FAILURE(exec(db,
                               "BEGIN; INSERT INTO lists (tenant_id, campaign_id, name, active, "
                               "import_complete) VALUES ('default', 'c1', 'main', 1, 1)"));
  sqlite3_stmt* contact = nullptr;
  sqlite3_stmt* attributes = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(
                db,
                "INSERT INTO contacts (id, campaign_id, list_name, external_id, priority, "
                "list_order, numbers, time_zone, status, attempts, not_connected, next_number, "
                "last_disposition, last_attempt_at, next_attempt_at, callback_agent, tenant_id) "
                "VALUES (?1, 'c1', 'main', 'x' || ?1, 0, ?1, ?2, 'Europe/Lisbon', 0, ?3, 0, 0, 0, "
                "0, 0, 0, 'default')",
                -1, &contact, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "INSERT INTO contact_attributes (contact_id, attributes) VALUES "
                               "(?1, json_array(json_array('name', ?2)))",
                               -1, &attributes, nullptr),
            SQLITE_OK);
  for (int i = 1; i <= kContacts; ++i) {
    const std::string json = numbers_json(numbers_of(i));
    const std::string name = name_of(i);
    sqlite3_bind_int(contact, 1, i);
    sqlite3_bind_text(contact, 2, json.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(contact, 3, i % 4);
    sqlite3_bind_int(attributes, 1, i);
    sqlite3_bind_text(attributes, 2, name.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(contact), SQLITE_DONE) << sqlite3_errmsg(db);
    ASSERT_EQ(sqlite3_step(attributes), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_reset(contact);
    sqlite3_reset(attributes);
  }
  sqlite3_finalize(contact);
  sqlite3_finalize(attributes);
  ASSERT_NO_FATAL_FAILURE(exec(db, "COMMIT"));
  sqlite3_close(db);
}

// The file's schema version, and whether every contact's stored numbers are still the JSON
// written (a version-7 file as it was), read through a connection of its own.
struct RawState {
  int version = -1;
  bool numbers_as_written = false;
};
RawState raw_state(const std::string& path) {
  RawState r;
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    r.version = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  st = nullptr;
  if (r.version == 7 && sqlite3_prepare_v2(db, "SELECT id, numbers FROM contacts ORDER BY id", -1,
                                           &st, nullptr) == SQLITE_OK) {
    int seen = 0;
    bool same = true;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const int id = sqlite3_column_int(st, 0);
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      same = same && id == seen + 1 && text != nullptr && numbers_json(numbers_of(id)) == text;
      ++seen;
    }
    r.numbers_as_written = same && seen == kContacts;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return r;
}

// Opens the file (migrating it) and checks every contact, number and attribute.
void expect_every_contact_intact(const std::string& path, int trial) {
  std::unique_ptr<Storage> s;
  try {
    s = make_sqlite_storage(path);
  } catch (const std::exception& e) {
    FAIL() << "trial " << trial << ": the file does not open: " << e.what();
  }
  EXPECT_EQ(s->contact_count("c1"), static_cast<std::size_t>(kContacts)) << "trial " << trial;
  int bad = 0;
  for (int i = 1; i <= kContacts && bad < 5; ++i) {
    const std::optional<Contact> c = s->get_contact(static_cast<ContactId>(i));
    const std::vector<PhoneNumber> want = numbers_of(i);
    bool same = c.has_value() && c->external_id == "x" + std::to_string(i) &&
                c->attempts == i % 4 && c->numbers.size() == want.size() && c->attribute("name") &&
                *c->attribute("name") == name_of(i);
    for (std::size_t k = 0; same && k < want.size(); ++k) {
      const PhoneNumber& n = c->numbers[k];
      same = n.e164 == want[k].e164 && n.zone_set == want[k].zone_set &&
             n.attempts == want[k].attempts && n.last_disposition == want[k].last_disposition &&
             n.invalid == want[k].invalid && n.last_abandon_at == want[k].last_abandon_at &&
             n.last_machine_at == want[k].last_machine_at;
    }
    if (!same) {
      ++bad;
      ADD_FAILURE() << "trial " << trial << ": contact " << i << " is not as written";
    }
  }
  s.reset();
  EXPECT_EQ(raw_state(path).version, kSqliteSchemaVersion) << "trial " << trial;
}

// A child process that opens (and so migrates) the file and exits; it writes one byte to `ready`
// just before it opens and one when the open (the migration's transaction) has returned. Killed
// and reaped by the destructor if still running.
class Migrator {
 public:
  explicit Migrator(const std::string& path) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      const char go = 'g';
      if (::write(fds[1], &go, 1) != 1) ::_exit(3);
      try {
        auto storage = make_sqlite_storage(path);
        if (::write(fds[1], &go, 1) != 1) ::_exit(3);
      } catch (...) {
        ::_exit(2);
      }
      ::_exit(0);  // no static destructors, no gtest teardown in the child
    }
    ::close(fds[1]);
    ready_ = fds[0];
  }
  ~Migrator() {
    kill();
    if (ready_ >= 0) ::close(ready_);
  }
  // Waits (at most 10 s) until the child is about to open the file.
  bool started() { return next_byte(10000); }
  // Waits (at most 60 s) until the child's open, the migration included, has returned.
  bool opened() { return next_byte(60000); }
  // SIGKILL now (if still running), then reaped; true if it had exited cleanly before.
  bool kill() {
    if (pid_ <= 0) return false;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  // Waits (at most 60 s) for a clean exit.
  bool finished() {
    for (int i = 0; i < 6000 && pid_ > 0; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  bool next_byte(int timeout_ms) {
    if (pid_ <= 0 || ready_ < 0) return false;
    pollfd p{ready_, POLLIN, 0};
    char go = 0;
    return ::poll(&p, 1, timeout_ms) == 1 && ::read(ready_, &go, 1) == 1;
  }

  pid_t pid_ = -1;
  int ready_ = -1;
};

// A fresh copy of the version-7 file at `work` (no WAL or shared memory left from before).
void copy_version7(const fs::path& pristine, const fs::path& work) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(work.string() + suffix);
  }
  fs::copy_file(pristine, work);
}

TEST(SqliteMigrationKill9, KillDuringTheMigrationToTheCurrentVersionLeavesItUndoneOrWhole) {
  const fs::path dir =
      fs::temp_directory_path() / ("omnivox_migration_kill9_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{dir};
  const fs::path pristine = dir / "v7.sqlite";
  const fs::path work = dir / "work.sqlite";
  ASSERT_NO_FATAL_FAILURE(write_version7_file(pristine.string()));
  ASSERT_EQ(raw_state(pristine.string()).version, 7);
  ASSERT_TRUE(raw_state(pristine.string()).numbers_as_written);

  // How long a process takes from just before it opens the file until the open, the migration
  // included, returns: the kills land at random moments of that span.
  copy_version7(pristine, work);
  std::chrono::microseconds span{};
  {
    Migrator m(work.string());
    ASSERT_TRUE(m.started());
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(m.opened()) << "an unkilled migration did not finish";
    span = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 t0);
    ASSERT_TRUE(m.finished()) << "an unkilled migration did not exit cleanly";
  }
  ASSERT_NO_FATAL_FAILURE(expect_every_contact_intact(work.string(), -1));

  std::mt19937 random(kSeed);
  std::uniform_int_distribution<long> at(0, span.count());
  int undone = 0;
  int whole = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    copy_version7(pristine, work);
    {
      Migrator m(work.string());
      ASSERT_TRUE(m.started()) << "trial " << trial;
      std::this_thread::sleep_for(std::chrono::microseconds(at(random)));
      m.kill();
    }
    const RawState after = raw_state(work.string());
    if (after.version == 7) {
      EXPECT_TRUE(after.numbers_as_written) << "trial " << trial << ": version 7, rows changed";
      ++undone;
    } else {
      EXPECT_EQ(after.version, kSqliteSchemaVersion) << "trial " << trial;
      ++whole;
    }
    ASSERT_NO_FATAL_FAILURE(expect_every_contact_intact(work.string(), trial));
  }
  std::printf(
      "%d kills at random moments of the %.1f ms an open with its migration takes: %d left "
      "version 7 as written, %d after the migration committed\n",
      kTrials, span.count() / 1000.0, undone, whole);
  // Some kill must land before the commit, or the test did not test the migration.
  EXPECT_GT(undone, 0);
}

}  // namespace
}  // namespace omnivox
