// The Storage conformance suite on the PostgreSQL backend, against a throwaway PostgreSQL 15
// cluster (tests/support/pg_test_cluster.h; one cluster for this test binary, one database per
// test), plus the PostgreSQL-specific behaviour: migrations, tenants on one database, bad
// connection strings, a newer schema, read-only databases, connection loss, open_storage URLs.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "omnivox/postgres_storage.h"
#include "omnivox/storage_url.h"
#include "omnivox/testing/storage_conformance.h"
#include "pg_test_cluster.h"

namespace omnivox::testing {
namespace {

PgTestCluster& cluster() { return PgTestCluster::shared(); }

// A database migrated once; every test database is a copy of it (CREATE DATABASE ... TEMPLATE).
const std::string& template_database() {
  static const std::string name = [] {
    cluster().create_database("omnivox_template");
    make_postgres_storage(cluster().conninfo("omnivox_template")).reset();
    return std::string("omnivox_template");
  }();
  return name;
}

std::string fresh_database(const std::string& prefix = "t", bool migrated = true) {
  static std::atomic<int> counter{0};
  std::string name = prefix + "_" + std::to_string(counter++);
  return migrated ? cluster().create_database(name, template_database())
                  : cluster().create_database(name);
}

// The contacts a dial-queue refill's scan of `campaign` at `at` visits, in order; it asks to
// defer `defer` (if visited) until `until`, as a refill does a contact whose window is closed.
std::vector<ContactId> views_visited(Storage& storage, const std::string& campaign, TimePoint at,
                                     ContactId defer, TimePoint until) {
  ContactScan scan;
  scan.campaign_id = campaign;
  scan.due_by = at;
  std::vector<ContactId> seen;
  storage.scan_contact_views(scan, [&](const ContactView& v) {
    seen.push_back(v.id);
    return v.id == defer ? ScanStep::defer(until) : ScanStep::next();
  });
  return seen;
}

// A TCP proxy on 127.0.0.1 (a port of 55400-55499) to the test cluster that can drop a
// connection right after the server answers the next request sent through it: the server has
// run (and, for an autocommitted statement, committed) the request, and the client never hears
// so. One thread relays every connection; the destructor stops it.
class CuttingProxy {
 public:
  explicit CuttingProxy(int target_port) : target_port_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    for (int port = 55400; port < 55500 && port_ == 0; ++port) {
      sockaddr_in addr = loopback(port);
      if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) port_ = port;
    }
    if (port_ == 0 || ::listen(listener_, 8) != 0) {
      ::close(listener_);
      throw std::runtime_error("CuttingProxy: no free port in 55400-55499");
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~CuttingProxy() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  CuttingProxy(const CuttingProxy&) = delete;
  CuttingProxy& operator=(const CuttingProxy&) = delete;
  int port() const { return port_; }
  // The next request relayed to the server: its answer is dropped with the connection.
  void cut_after_next_answer() { armed_ = true; }
  int cuts() const { return cuts_; }

 private:
  struct Link {
    int client = -1, server = -1;
    bool cutting = false;
  };
  static sockaddr_in loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    return addr;
  }
  static bool send_all(int fd, const char* data, ssize_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, data, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      if (w <= 0) return false;
      data += w, n -= w;
    }
    return true;
  }
  void serve() {
    std::vector<Link> links;
    char buf[1 << 16];
    while (!stop_) {
      std::vector<pollfd> fds;
      for (const Link& l : links) {
        fds.push_back({l.client, POLLIN, 0});
        fds.push_back({l.server, POLLIN, 0});
      }
      fds.push_back({listener_, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      std::vector<Link> kept;
      for (std::size_t i = 0; i < links.size(); ++i) {
        Link l = links[i];
        bool open = true;
        if (fds[2 * i].revents != 0) {
          const ssize_t n = ::read(l.client, buf, sizeof buf);
          open = n > 0 && send_all(l.server, buf, n);
          if (open && armed_.exchange(false)) l.cutting = true;
        }
        if (open && fds[2 * i + 1].revents != 0) {
          const ssize_t n = ::read(l.server, buf, sizeof buf);
          if (n > 0 && l.cutting) {
            ++cuts_;
            open = false;
          } else {
            open = n > 0 && send_all(l.client, buf, n);
          }
        }
        if (open) {
          kept.push_back(l);
        } else {
          ::close(l.client);
          ::close(l.server);
        }
      }
      links = std::move(kept);
      if (fds.back().revents & POLLIN) {
        Link l;
        l.client = ::accept(listener_, nullptr, nullptr);
        l.server = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr = loopback(target_port_);
        if (l.client >= 0 &&
            ::connect(l.server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
          links.push_back(l);
        } else {
          if (l.client >= 0) ::close(l.client);
          ::close(l.server);
        }
      }
    }
    for (const Link& l : links) {
      ::close(l.client);
      ::close(l.server);
    }
  }
  const int target_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false}, armed_{false};
  std::atomic<int> cuts_{0};
  std::thread thread_;
};

// Adds `n` NEW contacts to campaign c1, external ids PREFIX0.., one number each
// (NUMBER_PREFIX followed by the index); returns their ids in order.
std::vector<ContactId> add_new_contacts(Storage& storage, int n, const std::string& prefix,
                                        const std::string& number_prefix) {
  std::vector<ContactId> ids;
  for (int i = 0; i < n; ++i) {
    Contact c;
    c.campaign_id = "c1";
    c.external_id = prefix + std::to_string(i);
    c.numbers.push_back(PhoneNumber{number_prefix + std::to_string(i)});
    ids.push_back(storage.add_contact(c));
  }
  return ids;
}

std::string db_name_of(const std::string& conninfo) {
  return conninfo.substr(
      conninfo.find("dbname=") + 7,
      conninfo.find(' ', conninfo.find("dbname=")) - conninfo.find("dbname=") - 7);
}

template <int PageSize>
struct PostgresFactory {
  PostgresFactory() : conninfo(fresh_database("conf")) {}
  ~PostgresFactory() {
    try {
      cluster().drop_database(db_name_of(conninfo));
    } catch (...) {
    }
  }
  PostgresStorageOptions options(const std::string& tenant) const {
    PostgresStorageOptions o;
    o.tenant = tenant;
    o.scan_page_size = PageSize;
    return o;
  }
  std::unique_ptr<Storage> create() { return make_postgres_storage(conninfo, options("default")); }
  std::unique_ptr<Storage> create_for_tenant(const std::string& tenant) {
    return make_postgres_storage(conninfo, options(tenant));
  }
  std::string conninfo;
};

using PostgresDefaultPages = PostgresFactory<1000>;
// Pages of 2 rows: every scan of the suite crosses page boundaries (keyset pagination).
using PostgresTinyPages = PostgresFactory<2>;

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StorageConformanceTest,
                               ::testing::Types<PostgresDefaultPages>);
INSTANTIATE_TYPED_TEST_SUITE_P(PostgresTinyPages, StorageConformanceTest,
                               ::testing::Types<PostgresTinyPages>);

namespace {

std::string expect_storage_error(const std::function<void()>& fn, ErrorCode code,
                                 const std::string& must_contain) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing '" << must_contain << "'";
  } catch (const Error& e) {
    std::cout << "  error as reported: " << e.what() << "\n";
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(must_contain), std::string::npos) << e.what();
    return e.what();
  }
  return "";
}

TEST(PostgresStorage, PersistsAcrossReopenAndSharesOneDatabase) {
  std::string conninfo = fresh_database();
  TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  ContactId id;
  {
    auto s = make_postgres_storage(conninfo);
    Contact c;
    c.campaign_id = "c1";
    c.external_id = "a";
    c.numbers.push_back(PhoneNumber{"+351912345678"});
    id = s->add_contact(c);
    std::vector<ContactId> ids = {id};
    EXPECT_EQ(s->claim_leases(ids, "A", now, std::chrono::seconds(30)).size(), 1u);
    EXPECT_TRUE(s->mark_event_processed("CA1:1"));
  }
  auto a = make_postgres_storage(conninfo);
  auto b = make_postgres_storage(conninfo);
  ASSERT_TRUE(a->get_contact(id).has_value());
  EXPECT_EQ(a->get_contact(id)->numbers.at(0).e164, "+351912345678");
  EXPECT_EQ(b->get_lease(id)->owner, "A");
  std::vector<ContactId> ids = {id};
  EXPECT_TRUE(b->claim_leases(ids, "B", now, std::chrono::seconds(30)).empty());
  EXPECT_EQ(b->claim_leases(ids, "B", now + std::chrono::seconds(30), std::chrono::seconds(30)),
            ids);  // expired: reclaimable by anyone
  EXPECT_FALSE(a->mark_event_processed("CA1:1"));
  EXPECT_NE(a->allocate_call_id(), b->allocate_call_id());
}

// add_contacts stores a batch as one add_contact each would, in statements of many contacts:
// ids set, a contact whose key is stored (before, or earlier in the batch) given that id and not
// counted, numbers and attributes kept, load order continuing across batches and campaigns.
TEST(PostgresStorage, AddContactsStoresABatchAsOneAddContactEachWould) {
  const std::string conninfo = fresh_database("batch");
  auto s = make_postgres_storage(conninfo);
  Contact first;
  first.campaign_id = "c1";
  first.external_id = "k1";
  first.numbers.push_back(PhoneNumber{"+351910000001"});
  const ContactId stored = s->add_contact(first);
  auto contact = [](std::string campaign, std::string external, std::string number) {
    Contact c;
    c.campaign_id = std::move(campaign);
    c.external_id = std::move(external);
    c.numbers.push_back(PhoneNumber{std::move(number)});
    return c;
  };
  std::vector<Contact> batch = {
      contact("c1", "", "+351910000002"), contact("c1", "k1", "+351910000003"),
      contact("c1", "k2", "+351910000004"), contact("c1", "k2", "+351910000005"),
      contact("c2", "", "+351910000006")};
  batch[0].numbers.push_back(PhoneNumber{"+351920000002"});
  batch[0].attributes = {{"note", "two numbers"}};
  EXPECT_EQ(s->add_contacts(batch), 3u);
  EXPECT_EQ(batch[1].id, stored);
  EXPECT_EQ(batch[3].id, batch[2].id);
  EXPECT_NE(batch[0].id, batch[2].id);
  const std::optional<Contact> two = s->get_contact(batch[0].id);
  ASSERT_TRUE(two.has_value());
  ASSERT_EQ(two->numbers.size(), 2u);
  EXPECT_EQ(two->numbers[0].e164, "+351910000002");
  EXPECT_EQ(two->numbers[1].e164, "+351920000002");
  EXPECT_EQ(two->attributes, batch[0].attributes);
  EXPECT_EQ(s->get_contact(batch[2].id)->numbers.at(0).e164, "+351910000004");
  EXPECT_EQ(s->get_contact(stored)->numbers.at(0).e164, "+351910000001");
  EXPECT_EQ(s->contact_count("c1"), 3u);
  EXPECT_EQ(s->contact_count("c2"), 1u);
  // More than one statement's worth: the dialing order is the order given.
  std::vector<Contact> many;
  for (int i = 0; i < 2500; ++i) {
    many.push_back(contact("c1", "m" + std::to_string(i), "+3519300" + std::to_string(10000 + i)));
  }
  EXPECT_EQ(s->add_contacts(many), many.size());
  std::vector<ContactId> expected = {stored, batch[0].id, batch[2].id};
  for (const Contact& c : many) expected.push_back(c.id);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  EXPECT_EQ(views_visited(*s, "c1", now, 0, now), expected);
}

TEST(PostgresStorage, ConcurrentOpensMigrateOnce) {
  std::string conninfo = fresh_database("mig", /*migrated=*/false);
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::mutex m;
  std::vector<std::string> errors;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      try {
        PostgresStorageOptions o;
        o.tenant = "tenant-" + std::to_string(i);
        make_postgres_storage(conninfo, o).reset();
        ++opened;
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(m);
        errors.push_back(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 4);
  EXPECT_TRUE(errors.empty()) << errors.front();
  const std::string db = db_name_of(conninfo);
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM omnivox_schema_migrations", db),
            std::to_string(kPostgresSchemaVersion));
  EXPECT_EQ(cluster().query_value("SELECT max(version) FROM omnivox_schema_migrations", db),
            std::to_string(kPostgresSchemaVersion));
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM tenants", db), "4");
}

// What schema version 10 moves, moved back: the contacts' key and dialing order indexes of
// contacts again (as versions 1 and 2 made them), contact_keys dropped: a database as version 9
// left it.
// A contact of campaign c1 whose numbers have every field set and e164s of any bytes: the
// delimiters of the stored text, quotes, backslashes, an empty one, multibyte characters.
Contact contact_with_odd_numbers(const std::string& external_id, TimePoint now) {
  Contact c;
  c.campaign_id = "c1";
  c.external_id = external_id;
  const std::vector<std::string> odd = {"+351912345678", "1,2:3;4", "", "\"q\" \\ ,9:", "ünï 📞"};
  for (std::size_t i = 0; i < odd.size(); ++i) {
    PhoneNumber n;
    n.e164 = odd[i];
    n.zone_set = static_cast<ZoneSetId>(i == 0 ? 0xFFFFFFFFu : i);
    n.attempts = static_cast<std::uint16_t>(i * 3);
    n.last_disposition = i == 1 ? Disposition::kBusy : Disposition::kNone;
    n.invalid = i == 2;
    n.last_abandon_at = i == 3 ? now - std::chrono::hours(30) : TimePoint{};
    n.last_machine_at = i == 4 ? now - std::chrono::minutes(5) : TimePoint{};
    c.numbers.push_back(n);
  }
  return c;
}

void expect_same_numbers(const std::vector<PhoneNumber>& got,
                         const std::vector<PhoneNumber>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].e164, want[i].e164);
    EXPECT_EQ(got[i].zone_set, want[i].zone_set);
    EXPECT_EQ(got[i].attempts, want[i].attempts);
    EXPECT_EQ(got[i].last_disposition, want[i].last_disposition);
    EXPECT_EQ(got[i].invalid, want[i].invalid);
    EXPECT_EQ(got[i].last_abandon_at, want[i].last_abandon_at);
    EXPECT_EQ(got[i].last_machine_at, want[i].last_machine_at);
  }
}

// The numbers of every contact a dial-queue refill of c1 at `now` visits, by contact.
std::map<ContactId, std::vector<PhoneNumber>> numbers_viewed(Storage& s, TimePoint now) {
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.due_by = now;
  std::map<ContactId, std::vector<PhoneNumber>> out;
  s.scan_contact_views(scan, [&](const ContactView& v) {
    std::vector<PhoneNumber>& numbers = out[v.id];
    for (const PhoneNumberView& n : v.numbers) {
      numbers.push_back(PhoneNumber{std::string(n.e164), n.zone_set, n.attempts, n.last_disposition,
                                    n.invalid, n.last_abandon_at, n.last_machine_at});
    }
    return ScanStep::next();
  });
  return out;
}

// What schema version 11 changes, undone: each contact's numbers rows of phone_numbers again
// (as version 1 made the table), read back from the text column, which is dropped.
const std::string kUndoVersion11 = R"sql(
CREATE TABLE phone_numbers (
  contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  idx integer NOT NULL,
  tenant_id text NOT NULL,
  e164 text NOT NULL,
  zone_set bigint NOT NULL,
  attempts integer NOT NULL,
  last_disposition smallint NOT NULL,
  invalid boolean NOT NULL,
  last_abandon_at bigint NOT NULL,
  last_machine_at bigint NOT NULL,
  PRIMARY KEY (contact_id, idx)
);
CREATE INDEX phone_numbers_e164 ON phone_numbers (tenant_id, e164);
DO $$
DECLARE
  r record;
  b bytea;
  pos integer;
  colon integer;
  len integer;
  idx integer;
  f text[];
BEGIN
  FOR r IN SELECT id, tenant_id, numbers FROM contacts LOOP
    b := convert_to(r.numbers, 'UTF8');
    pos := 1;
    idx := 0;
    WHILE pos <= length(b) LOOP
      colon := position('\x3a'::bytea IN substring(b FROM pos));
      f := string_to_array(convert_from(substring(b FROM pos FOR colon - 1), 'UTF8'), ',');
      len := f[7]::integer;
      INSERT INTO phone_numbers VALUES (r.id, idx, r.tenant_id,
        convert_from(substring(b FROM pos + colon FOR len), 'UTF8'), f[1]::bigint,
        f[2]::integer, f[3]::smallint, f[4]::integer::boolean, f[5]::bigint, f[6]::bigint);
      pos := pos + colon + len;
      idx := idx + 1;
    END LOOP;
  END LOOP;
END
$$;
ALTER TABLE contacts DROP COLUMN numbers;
DELETE FROM omnivox_schema_migrations WHERE version = 11;
)sql";

// What schema version 12 changes, undone: the attempts' indexes as version 1 made them.
const std::string kUndoVersion12 =
    "DROP INDEX attempts_contact; CREATE INDEX attempts_contact ON attempts (tenant_id, "
    "contact_id, call_id); CREATE INDEX attempts_provider ON attempts (tenant_id, "
    "provider_call_id) WHERE provider_call_id <> ''; DELETE FROM omnivox_schema_migrations "
    "WHERE version = 12;";

// What schema version 13 changes, undone: no index of the deferred contacts in dialing order.
const std::string kUndoVersion13 =
    "DROP INDEX contacts_deferred_order; DELETE FROM omnivox_schema_migrations WHERE version = "
    "13;";

// What schema versions 12 and 13 change, undone: a database as version 11 left it.
const std::string kUndoVersions12To13 = kUndoVersion13 + kUndoVersion12;

// What schema versions 11 to 13 change, undone: a database as version 10 left it.
const std::string kUndoVersions11To13 = kUndoVersions12To13 + kUndoVersion11;

// What schema versions 10 to 13 change, undone: a database as version 9 left it.
const std::string kUndoVersions10To13 =
    kUndoVersions11To13 +
    "CREATE UNIQUE INDEX contacts_external ON contacts (tenant_id, campaign_id, list_name, "
    "external_id) WHERE external_id <> ''; CREATE INDEX contacts_order ON contacts (tenant_id, "
    "campaign_id, (-(priority::bigint)), list_order); DROP TABLE contact_keys; DELETE FROM "
    "omnivox_schema_migrations WHERE version = 10;";

// What schema versions 9 to 13 change, undone: the attributes a jsonb column of contacts again
// (at its end), their table dropped: a database as version 8 left it.
const std::string kUndoVersions9To13 =
    kUndoVersions10To13 +
    "ALTER TABLE contacts ADD COLUMN attributes jsonb NOT NULL DEFAULT '[]'; UPDATE contacts c "
    "SET attributes = a.attributes::jsonb FROM contact_attributes a WHERE a.contact_id = c.id; "
    "ALTER TABLE contacts ALTER COLUMN attributes DROP DEFAULT; DROP TABLE contact_attributes; "
    "DELETE FROM omnivox_schema_migrations WHERE version = 9;";

// What schema versions 8 to 13 change, undone (version 8's indexes created again as version 1
// made them): a database as version 7 left it.
const std::string kUndoVersions8To13 =
    kUndoVersions9To13 +
    "CREATE INDEX contacts_status ON contacts (tenant_id, campaign_id, status); CREATE INDEX "
    "contacts_ready ON contacts (tenant_id, campaign_id, (-(priority::bigint)), list_order) "
    "INCLUDE (next_attempt_at) WHERE status IN (0, 1); DELETE FROM omnivox_schema_migrations "
    "WHERE version = 8;";

// What schema versions 7 to 13 change, undone: a database as version 6 left it.
const std::string kUndoVersions7To13 =
    kUndoVersions8To13 +
    "CREATE INDEX leases_expiry ON leases (tenant_id, expiry); DROP INDEX leases_owner_expiry; "
    "DELETE FROM omnivox_schema_migrations WHERE version = 7;";

// What schema versions 5 to 13 change, undone: a database as version 4 left it.
const std::string kUndoVersions5To13 =
    kUndoVersions7To13 +
    "DROP INDEX leases_expiry; DELETE FROM omnivox_schema_migrations WHERE version = 6; "
    "DROP INDEX contacts_scheduled; DROP INDEX journal_writer; ALTER TABLE journal DROP COLUMN "
    "writer, DROP COLUMN writer_seq; DELETE FROM omnivox_schema_migrations WHERE version = 5;";

// Deferrals of `ids` stored as an engine long gone left them: until 1 ms after the epoch, passed.
void store_passed_deferrals(const std::string& db, const std::vector<ContactId>& ids) {
  std::string list;
  for (ContactId id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
  cluster().exec("UPDATE contacts SET defer_until = 1 WHERE id IN (" + list + ")", db);
}

// A database made by this build taken back to schema `version` (`undo`: what the later versions
// added, removed), then opened: migrated in place to the current version.
std::unique_ptr<Storage> open_migrated_from(const std::string& conninfo, const std::string& undo,
                                            int version) {
  const std::string db = db_name_of(conninfo);
  cluster().exec(undo, db);
  EXPECT_EQ(cluster().query_value("SELECT max(version) FROM omnivox_schema_migrations", db),
            std::to_string(version));
  auto s = make_postgres_storage(conninfo);
  EXPECT_EQ(cluster().query_value("SELECT max(version) FROM omnivox_schema_migrations", db),
            std::to_string(kPostgresSchemaVersion));
  return s;
}

// A database at schema version 3 (what version 4 adds removed again) is upgraded in place: the
// per-status counts start from its rows and follow later writes; a refill's deferral, a DNC
// answer kept by one Storage and a change made through another, work on it.
TEST(PostgresStorage, MigratesAVersion3DatabaseAndKeepsItsCounts) {
  std::string conninfo = fresh_database("v3");
  const std::string db = db_name_of(conninfo);
  std::vector<ContactId> ids;
  {
    auto s = make_postgres_storage(conninfo);
    for (int i = 0; i < 4; ++i) {
      Contact c;
      c.campaign_id = "c1";
      c.external_id = "x" + std::to_string(i);
      c.numbers.push_back(PhoneNumber{"+35191234567" + std::to_string(i)});
      c.status = i == 3 ? ContactStatus::kDone : ContactStatus::kNew;
      ids.push_back(s->add_contact(c));
    }
  }
  cluster().exec(kUndoVersions5To13, db);
  cluster().exec(
      "DROP TRIGGER contacts_counts_insert ON contacts; DROP TRIGGER contacts_counts_update ON "
      "contacts; DROP TRIGGER contacts_counts_delete ON contacts; DROP FUNCTION "
      "omnivox_status_counts_trigger(); DROP TABLE status_counts; DROP TRIGGER dnc_changed ON "
      "dnc; DROP FUNCTION omnivox_dnc_changed(); DROP INDEX contacts_ready_now; DROP INDEX "
      "contacts_deferred; ALTER TABLE contacts DROP COLUMN defer_until; ALTER TABLE contacts "
      "RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor); "
      "ALTER TABLE leases RESET (autovacuum_vacuum_scale_factor); DELETE FROM "
      "omnivox_schema_migrations WHERE version = 4",
      db);
  ASSERT_EQ(cluster().query_value("SELECT max(version) FROM omnivox_schema_migrations", db), "3");
  auto s = make_postgres_storage(conninfo);
  EXPECT_EQ(cluster().query_value("SELECT max(version) FROM omnivox_schema_migrations", db),
            std::to_string(kPostgresSchemaVersion));
  std::vector<std::size_t> counts = s->count_by_status("c1");
  EXPECT_EQ(counts[static_cast<int>(ContactStatus::kNew)], 3u);
  EXPECT_EQ(counts[static_cast<int>(ContactStatus::kDone)], 1u);
  EXPECT_EQ(s->contact_count("c1"), 4u);
  Contact added;
  added.campaign_id = "c1";
  added.external_id = "x4";
  added.numbers.push_back(PhoneNumber{"+351912345674"});
  ids.push_back(s->add_contact(added));
  Contact first = *s->get_contact(ids[0]);
  first.status = ContactStatus::kRetry;
  s->update_contact(first);
  counts = s->count_by_status("c1");
  EXPECT_EQ(counts[static_cast<int>(ContactStatus::kNew)], 3u);
  EXPECT_EQ(counts[static_cast<int>(ContactStatus::kRetry)], 1u);
  EXPECT_EQ(counts[static_cast<int>(ContactStatus::kDone)], 1u);
  EXPECT_EQ(s->contact_count("c1"), 5u);

  // A deferral: the scan that meets a deferred contact again stores it; until its time no scan
  // of this Storage visits it, and at its time every scan does.
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  const TimePoint opens = now + std::chrono::hours(1);
  auto visited = [&](Storage& storage, TimePoint at, ContactId defer) {
    return views_visited(storage, "c1", at, defer, opens);
  };
  EXPECT_EQ(visited(*s, now, ids[1]).size(), 4u);
  EXPECT_EQ(visited(*s, now, kNoContact).size(), 3u);
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM contacts WHERE defer_until > 0", db), "1");
  EXPECT_EQ(visited(*s, now, kNoContact).size(), 3u);
  auto other = make_postgres_storage(conninfo);  // did not defer to that time: visits it
  EXPECT_EQ(visited(*other, now, kNoContact).size(), 4u);
  EXPECT_EQ(visited(*s, opens, kNoContact).size(), 4u);
  // Passed, it stays stored (hiding no one) until the contact's next write.
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM contacts WHERE defer_until > 0", db), "1");

  // DNC: the scan read the answers; a number added through another Storage is seen at once.
  EXPECT_FALSE(s->is_dnc("c1", "+351912345672"));
  other->add_dnc("global", "+351912345672");
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {  // the notification crosses a socket
    seen = s->is_dnc("c1", "+351912345672");
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(seen);
  other->remove_dnc("global", "+351912345672");
  seen = true;
  for (int i = 0; i < 200 && seen; ++i) {
    seen = s->is_dnc("c1", "+351912345672");
    if (seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(seen);
}

// A Storage holds the tenant's DNC lists whole while they have at most 16,384 entries (its
// refills then read no DNC answers), and reads the answers with the refills' rows when the lists
// are longer; either way each answer follows every change, through it or another connection.
TEST(PostgresStorage, DncAnswersFollowChangesWhetherTheListsAreHeldWholeOrNot) {
  const std::string conninfo = fresh_database("dnc_whole");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  auto s = make_postgres_storage(conninfo);
  auto other = make_postgres_storage(conninfo);
  add_new_contacts(*s, 3, "d-", "+35191234630");
  auto answer_becomes = [&](const std::string& campaign, const std::string& number, bool expected) {
    bool answer = !expected;
    for (int i = 0; i < 200 && answer != expected; ++i) {  // the notification crosses a socket
      answer = s->is_dnc(campaign, number);
      if (answer != expected) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return answer == expected;
  };
  auto refill_visits = [&] {
    return views_visited(*s, "c1", now, kNoContact, now + std::chrono::hours(1)).size();
  };
  EXPECT_EQ(refill_visits(), 3u);
  EXPECT_FALSE(s->is_dnc("c1", "+351912346301"));
  other->add_dnc("c1", "+351912346301");
  EXPECT_TRUE(answer_becomes("c1", "+351912346301", true));
  EXPECT_FALSE(s->is_dnc("c2", "+351912346301"));
  EXPECT_FALSE(s->is_dnc("c1", "+351912346300"));

  // Longer than a Storage holds whole: answered from the refills' rows and by query.
  cluster().exec(
      "INSERT INTO dnc (tenant_id, list, e164) SELECT 'default', 'global', "
      "'+4420' || g FROM generate_series(1, 16384) g",
      db);
  EXPECT_TRUE(answer_becomes("c1", "+442016384", true));
  EXPECT_EQ(refill_visits(), 3u);
  EXPECT_TRUE(s->is_dnc("c1", "+351912346301"));
  EXPECT_FALSE(s->is_dnc("c1", "+351912346302"));
  other->add_dnc("global", "+351912346302");
  EXPECT_TRUE(answer_becomes("c1", "+351912346302", true));
  EXPECT_EQ(refill_visits(), 3u);
  EXPECT_TRUE(s->is_dnc("c2", "+351912346302"));

  // Short again: held whole again, and still following changes.
  cluster().exec("DELETE FROM dnc WHERE e164 LIKE '+4420%'", db);
  EXPECT_TRUE(answer_becomes("c1", "+442016384", false));
  EXPECT_TRUE(s->is_dnc("c1", "+351912346302"));
  EXPECT_EQ(refill_visits(), 3u);
  EXPECT_TRUE(other->remove_dnc("c1", "+351912346301"));
  EXPECT_TRUE(answer_becomes("c1", "+351912346301", false));
  s->add_dnc("c1", "+351912346300");
  EXPECT_TRUE(s->is_dnc("c1", "+351912346300"));
}

// Engines on one campaign each defer the contacts their refills find outside their window
// (Storage::defer_contacts). A stored deferral is its engine's hint: it hides a contact only from
// the Storage objects that wake at that time themselves, hides no one once its time has passed
// (it stays stored until the contact's next write), and ends at any write of the contact, so a
// contact that is due is always visited by some engine.
TEST(PostgresStorage, AnEnginesDeferralNeverHidesADueContactFromAnother) {
  const std::string conninfo = fresh_database("defer");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  const TimePoint opens = now + std::chrono::hours(1);
  const TimePoint later = now + std::chrono::hours(2);
  auto count_deferred = [&] {
    return cluster().query_value("SELECT count(*) FROM contacts WHERE defer_until > 0", db);
  };
  auto a = make_postgres_storage(conninfo);
  auto b = make_postgres_storage(conninfo);
  std::vector<ContactId> ids;
  ids = add_new_contacts(*a, 3, "d", "+35191234560");
  // a defers ids[0] until `opens`, b defers ids[1] until `later`; the second scan of each
  // meets its contact again and stores the deferral.
  for (int i = 0; i < 2; ++i) {
    views_visited(*a, "c1", now, ids[0], opens);
    views_visited(*b, "c1", now, ids[1], later);
  }
  EXPECT_EQ(count_deferred(), "2");
  // Each leaves out only what it deferred itself (it wakes then); the other's it visits.
  EXPECT_EQ(views_visited(*a, "c1", now, kNoContact, now),
            (std::vector<ContactId>{ids[1], ids[2]}));
  EXPECT_EQ(views_visited(*b, "c1", now, kNoContact, now),
            (std::vector<ContactId>{ids[0], ids[2]}));
  // a's engine ends: a new one visits every contact, before `opens` and at it; a's deferral,
  // passed, stays stored.
  a.reset();
  auto c = make_postgres_storage(conninfo);
  EXPECT_EQ(views_visited(*c, "c1", now, kNoContact, now).size(), 3u);
  EXPECT_EQ(views_visited(*c, "c1", opens, kNoContact, now).size(), 3u);
  EXPECT_EQ(views_visited(*c, "c1", opens, kNoContact, now).size(), 3u);
  EXPECT_EQ(count_deferred(), "2");
  // A write by another engine (a retry scheduled) ends b's deferral: b visits the contact once
  // it is due, long before the time b deferred it to.
  Contact retry = *c->get_contact(ids[1]);
  retry.status = ContactStatus::kRetry;
  retry.attempts = 1;
  retry.next_attempt_at = now + std::chrono::minutes(2);
  c->update_contact(retry);
  EXPECT_EQ(count_deferred(), "1");
  EXPECT_EQ(views_visited(*b, "c1", now, kNoContact, now),
            (std::vector<ContactId>{ids[0], ids[2]}));
  EXPECT_EQ(views_visited(*b, "c1", now + std::chrono::minutes(2), kNoContact, now),
            (std::vector<ContactId>{ids[0], ids[1], ids[2]}));
}

// A database at schema version 4 is upgraded in place: its journal lines (without keys) stay,
// and later ones, written alone or in a batch, follow them in order.
TEST(PostgresStorage, MigratesAVersion4DatabaseAndKeepsItsJournal) {
  const std::string conninfo = fresh_database("v4");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  auto line = [&](const std::string& detail) {
    JournalEntry e;
    e.at = now;
    e.campaign_id = "c1";
    e.kind = "state";
    e.detail = detail;
    return e;
  };
  {
    auto s = make_postgres_storage(conninfo);
    add_new_contacts(*s, 1, "m", "+35191234550");
    s->append_journal(line("before 1"));
    s->append_journal(line("before 2"));
  }
  auto s = open_migrated_from(conninfo, kUndoVersions5To13, 4);
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM pg_indexes WHERE indexname IN "
                                  "('contacts_scheduled', 'journal_writer', 'leases_owner_expiry')",
                                  db),
            "3");
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM journal WHERE writer IS NULL", db), "2");
  std::vector<JournalEntry> more = {line("after 1"), line("after 2")};
  s->append_journal_entries(more);
  s->append_journal(line("after 3"));
  std::vector<std::string> details;
  s->scan_journal("c1", [&](const JournalEntry& e) {
    details.push_back(e.detail);
    return true;
  });
  EXPECT_EQ(details,
            (std::vector<std::string>{"before 1", "before 2", "after 1", "after 2", "after 3"}));
  EXPECT_EQ(cluster().query_value("SELECT count(DISTINCT (writer, writer_seq)) FROM journal "
                                  "WHERE writer IS NOT NULL",
                                  db),
            "3");
}

// earliest_lease_expiry among many leases of the asker, live and released, and of owners named
// before and after it: only the other owners' live leases on the campaign count.
std::optional<TimePoint> other_owners_first_expiry_among_many(const std::string& conninfo,
                                                              TimePoint now) {
  auto s = make_postgres_storage(conninfo);
  std::vector<ContactId> mine = add_new_contacts(*s, 300, "mine", "+3519123");
  std::vector<ContactId> theirs = add_new_contacts(*s, 4, "theirs", "+3519124");
  Contact elsewhere;
  elsewhere.campaign_id = "c2";
  elsewhere.external_id = "elsewhere";
  elsewhere.numbers.push_back(PhoneNumber{"+351912500000"});
  const ContactId other_campaigns = s->add_contact(elsewhere);
  const auto minutes = [](int m) { return std::chrono::minutes(m); };
  // The asker's leases expire first; half of them released (dead rows until a vacuum).
  const std::span<const ContactId> all_mine(mine);
  EXPECT_EQ(s->claim_leases(all_mine, "me", now, minutes(1)).size(), mine.size());
  s->release_leases(all_mine.first(150), "me");
  EXPECT_EQ(s->claim_leases({&theirs[0], 1}, "a-before", now, minutes(9)).size(), 1u);
  EXPECT_EQ(s->claim_leases({&theirs[1], 1}, "z-after", now, minutes(7)).size(), 1u);
  EXPECT_EQ(s->claim_leases({&theirs[2], 1}, "z-after", now - minutes(10), minutes(5)).size(), 1u);
  EXPECT_EQ(s->claim_leases({&other_campaigns, 1}, "a-before", now, minutes(2)).size(), 1u);
  EXPECT_EQ(s->earliest_lease_expiry("c1", "a-before", now), now + minutes(1));
  EXPECT_EQ(s->earliest_lease_expiry("c2", "me", now), now + minutes(2));
  EXPECT_EQ(s->earliest_lease_expiry("c2", "a-before", now), std::nullopt);
  return s->earliest_lease_expiry("c1", "me", now);
}

TEST(PostgresStorage, EarliestLeaseExpiryCountsOnlyTheOtherOwnersLiveLeasesOnTheCampaign) {
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  EXPECT_EQ(other_owners_first_expiry_among_many(fresh_database("expiry"), now),
            now + std::chrono::minutes(7));
}

// A database at schema version 6 (leases by expiry) is upgraded to leases by owner and expiry,
// and the leases it holds are answered for.
TEST(PostgresStorage, MigratesAVersion6DatabaseAndAnswersForItsLeases) {
  const std::string conninfo = fresh_database("v6");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  ContactId id = kNoContact;
  {
    auto s = make_postgres_storage(conninfo);
    id = add_new_contacts(*s, 1, "v6-", "+35191234540")[0];
    ASSERT_EQ(s->claim_leases({&id, 1}, "them", now, std::chrono::minutes(3)).size(), 1u);
  }
  auto s = open_migrated_from(conninfo, kUndoVersions7To13, 6);
  EXPECT_EQ(cluster().query_value("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM "
                                  "pg_indexes WHERE tablename = 'leases'",
                                  db),
            "leases_owner_expiry,leases_pkey");
  EXPECT_EQ(s->earliest_lease_expiry("c1", "me", now), now + std::chrono::minutes(3));
  EXPECT_EQ(s->earliest_lease_expiry("c1", "them", now), std::nullopt);
  EXPECT_EQ(other_owners_first_expiry_among_many(conninfo, now), now + std::chrono::minutes(3));
}

// A database at schema version 7 loses the indexes by status and of all dialable contacts; a
// dialable scan of whole contacts still returns every dialable contact in dialing order, the
// deferred ones with the others, and claims find their contacts.
TEST(PostgresStorage, MigratesAVersion7DatabaseAndScansItsDialableContactsInOrder) {
  const std::string conninfo = fresh_database("v7");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  std::vector<ContactId> ids;
  {
    auto s = make_postgres_storage(conninfo);
    ids = add_new_contacts(*s, 6, "v7-", "+35191234550");
    Contact done = *s->get_contact(ids[1]);
    done.status = ContactStatus::kDone;
    s->update_contact(done);
    Contact later = *s->get_contact(ids[2]);
    later.status = ContactStatus::kRetry;
    later.next_attempt_at = now + std::chrono::hours(1);
    s->update_contact(later);
    Contact first = *s->get_contact(ids[5]);
    first.priority = 5;
    s->update_contact(first);
  }
  store_passed_deferrals(db, {ids[3], ids[5]});
  auto s = open_migrated_from(conninfo, kUndoVersions8To13, 7);
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM pg_indexes WHERE indexname IN "
                                  "('contacts_status', 'contacts_ready')",
                                  db),
            "0");
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.dialable_only = true;
  scan.due_by = now;
  std::vector<ContactId> seen;
  s->scan_contacts(scan, [&](const Contact& c) {
    seen.push_back(c.id);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<ContactId>{ids[5], ids[0], ids[3], ids[4]}));
  EXPECT_EQ(s->claim_leases(ids, "me", now, std::chrono::minutes(1)).size(), ids.size());
}

// A database at schema version 8 has its contacts' attributes moved to their own table: they
// read back as they were, whole contacts and dialable scans read them, the contacts' rows no
// longer hold them, and later writes store them there.
TEST(PostgresStorage, MigratesAVersion8DatabaseAndReadsItsAttributesBack) {
  const std::string conninfo = fresh_database("v8");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  const std::vector<std::pair<std::string, std::string>> attributes = {
      {"name", "Zoë \"Q\" O'Brien"}, {"balance", "1,200.50"}, {"name", "second"}};
  std::vector<ContactId> ids;
  {
    auto s = make_postgres_storage(conninfo);
    ids = add_new_contacts(*s, 3, "v8-", "+35191234570");
    Contact c = *s->get_contact(ids[0]);
    c.attributes = attributes;
    s->update_contact(c);
  }
  auto s = open_migrated_from(conninfo, kUndoVersions9To13, 8);
  // No attributes column left in contacts; a row of attributes per contact.
  EXPECT_EQ(cluster().query_value(
                "SELECT (SELECT count(*) FROM information_schema.columns WHERE table_name = "
                "'contacts' AND column_name = 'attributes') || ',' || (SELECT count(*) FROM "
                "contact_attributes)",
                db),
            "0,3");
  EXPECT_EQ(s->get_contact(ids[0])->attributes, attributes);
  EXPECT_TRUE(s->get_contact(ids[1])->attributes.empty());
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.dialable_only = true;
  scan.due_by = now;
  std::map<ContactId, std::vector<std::pair<std::string, std::string>>> scanned;
  s->scan_contacts(scan, [&](const Contact& c) {
    scanned[c.id] = c.attributes;
    return true;
  });
  ASSERT_EQ(scanned.size(), 3u);
  EXPECT_EQ(scanned[ids[0]], attributes);
  Contact changed = *s->get_contact(ids[1]);
  changed.attributes = {{"segment", "b"}};
  changed.status = ContactStatus::kRetry;
  s->update_contacts({&changed, 1});
  EXPECT_EQ(s->get_contact(ids[1])->attributes, changed.attributes);
  EXPECT_EQ(s->get_contact(ids[1])->status, ContactStatus::kRetry);
}

// A database at schema version 9 has its contacts' keys and dialing order moved to
// contact_keys: contacts no longer carry those indexes, an import of a stored key finds its
// contact, a whole scan follows the dialing order (a priority changed before the migration
// included), and a write that changes a key or a priority is followed there.
TEST(PostgresStorage, MigratesAVersion9DatabaseAndKeepsItsKeysAndOrder) {
  const std::string conninfo = fresh_database("v9");
  const std::string db = db_name_of(conninfo);
  std::vector<ContactId> ids;
  {
    auto s = make_postgres_storage(conninfo);
    ids = add_new_contacts(*s, 4, "v9-", "+35191234590");
    Contact first = *s->get_contact(ids[3]);
    first.priority = 5;
    s->update_contact(first);
  }
  auto s = open_migrated_from(conninfo, kUndoVersions10To13, 9);
  EXPECT_EQ(cluster().query_value("SELECT count(*) || ',' || (SELECT count(*) FROM pg_indexes "
                                  "WHERE tablename = 'contacts' AND indexname IN "
                                  "('contacts_external', 'contacts_order')) FROM contact_keys",
                                  db),
            "4,0");
  auto all_in_order = [&] {
    ContactScan scan;
    scan.campaign_id = "c1";
    scan.dialable_only = false;
    std::vector<ContactId> seen;
    s->scan_contacts(scan, [&](const Contact& c) {
      seen.push_back(c.id);
      return true;
    });
    return seen;
  };
  EXPECT_EQ(all_in_order(), (std::vector<ContactId>{ids[3], ids[0], ids[1], ids[2]}));
  Contact again = *s->get_contact(ids[1]);
  again.id = kNoContact;
  EXPECT_EQ(s->add_contact(again), ids[1]);
  Contact moved = *s->get_contact(ids[2]);
  moved.external_id = "renamed";
  moved.priority = 9;
  s->update_contacts({&moved, 1});
  EXPECT_EQ(all_in_order(), (std::vector<ContactId>{ids[2], ids[3], ids[0], ids[1]}));
  moved.id = kNoContact;
  EXPECT_EQ(s->add_contact(moved), ids[2]);
  EXPECT_EQ(s->contact_count("c1"), 4u);
}

// A contact's writes leave its row of contact_keys alone (no new row version) unless its list,
// external id or priority change, through a write batch or update_contact alike; its old key is
// then free for another contact.
// A database at schema version 10 (a contact's numbers rows of phone_numbers) is upgraded in
// place: each contact's numbers read back as they were, whatever their bytes, and a contact
// without numbers has none; the table is gone and later writes keep the numbers.
TEST(PostgresStorage, MigratesAVersion10DatabaseAndKeepsEachContactsNumbers) {
  const std::string conninfo = fresh_database("v10");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  std::vector<Contact> stored = {contact_with_odd_numbers("odd", now),
                                 contact_with_odd_numbers("none", now)};
  stored[1].numbers.clear();
  {
    auto s = make_postgres_storage(conninfo);
    for (Contact& c : stored) c.id = s->add_contact(c);
  }
  auto s = open_migrated_from(conninfo, kUndoVersions11To13, 10);
  EXPECT_EQ(cluster().query_value("SELECT to_regclass('phone_numbers')::text", db), "");
  for (const Contact& c : stored) expect_same_numbers(s->get_contact(c.id)->numbers, c.numbers);
  const auto viewed = numbers_viewed(*s, now);
  ASSERT_EQ(viewed.size(), 2u);
  for (const Contact& c : stored) expect_same_numbers(viewed.at(c.id), c.numbers);
  Contact later = stored[0];
  later.numbers[0].attempts = 2;
  s->update_contacts({&later, 1});
  expect_same_numbers(s->get_contact(later.id)->numbers, later.numbers);
}

// A migration to version 11 that cannot finish (here a view of the database's own depends on
// phone_numbers, so the table cannot be dropped) writes nothing: the database stays at version
// 10 with its numbers' rows, and no column was added.
TEST(PostgresStorage, AFailedMigrationOfTheNumbersWritesNothing) {
  const std::string conninfo = fresh_database("v10fail");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  {
    auto s = make_postgres_storage(conninfo);
    s->add_contact(contact_with_odd_numbers("odd", now));
  }
  cluster().exec(kUndoVersions11To13 + "CREATE VIEW numbers_report AS SELECT * FROM phone_numbers;",
                 db);
  expect_storage_error([&] { make_postgres_storage(conninfo); }, ErrorCode::kStorage,
                       "phone_numbers");
  EXPECT_EQ(cluster().query_value("SELECT max(version) FROM omnivox_schema_migrations", db), "10");
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM phone_numbers", db), "5");
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM information_schema.columns WHERE "
                                  "table_name = 'contacts' AND column_name = 'numbers'",
                                  db),
            "0");
}

TEST(PostgresStorage, KeysAreWrittenOnlyWhenTheyChange) {
  const std::string conninfo = fresh_database("keys");
  const std::string db = db_name_of(conninfo);
  auto s = make_postgres_storage(conninfo);
  const std::vector<ContactId> ids = add_new_contacts(*s, 2, "k", "+35191234600");
  const std::string version_sql =
      "SELECT xmin::text FROM contact_keys WHERE contact_id = " + std::to_string(ids[0]);
  const std::string stored = cluster().query_value(version_sql, db);
  Contact c = *s->get_contact(ids[0]);
  c.status = ContactStatus::kRetry;
  c.attempts = 1;
  s->update_contacts({&c, 1});
  c.attempts = 2;
  s->update_contact(c);
  EXPECT_EQ(cluster().query_value(version_sql, db), stored);
  const std::string old_key = c.external_id;
  c.external_id = "k-new";
  s->update_contact(c);
  EXPECT_NE(cluster().query_value(version_sql, db), stored);
  EXPECT_EQ(
      cluster().query_value(
          "SELECT external_id FROM contact_keys WHERE contact_id = " + std::to_string(ids[0]), db),
      "k-new");
  Contact newcomer = *s->get_contact(ids[1]);
  newcomer.id = kNoContact;
  newcomer.external_id = old_key;
  const ContactId added = s->add_contact(newcomer);
  EXPECT_NE(added, ids[0]);
  EXPECT_NE(added, ids[1]);
  c.external_id = "k-new";
  c.id = kNoContact;
  EXPECT_EQ(s->add_contact(c), ids[0]);
}

// A scan's deferrals are stored by the campaign's next scan before it reads (so it does not
// read them only to leave them out), while they hold: not a deferral whose time has come by
// then (the engine slept through a closed window), nor one of a contact written since.
TEST(PostgresStorage, TheNextScanStoresTheDeferralsThatStillHoldBeforeItReads) {
  const std::string conninfo = fresh_database("next");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  auto s = make_postgres_storage(conninfo);
  const std::vector<ContactId> ids = add_new_contacts(*s, 3, "n", "+35191234610");
  auto stored = [&](ContactId id) {
    return cluster().query_value(
        "SELECT defer_until FROM contacts WHERE id = " + std::to_string(id), db);
  };
  ContactScan first;
  first.campaign_id = "c1";
  first.due_by = now;
  s->scan_contact_views(first, [&](const ContactView& v) {
    if (v.id == ids[2]) return ScanStep::defer(now + std::chrono::minutes(10));
    return ScanStep::defer(now + std::chrono::hours(1));
  });
  EXPECT_EQ(stored(ids[1]), "0");  // kept in the Storage object only
  Contact written = *s->get_contact(ids[0]);
  written.attempts = 1;
  s->update_contact(written);
  ContactScan next = first;
  next.due_by = now + std::chrono::minutes(20);
  std::vector<ContactId> seen;
  std::string stored_when_read;
  s->scan_contact_views(next, [&](const ContactView& v) {
    if (seen.empty()) stored_when_read = stored(ids[1]);
    seen.push_back(v.id);
    return ScanStep::next();
  });
  EXPECT_EQ(stored_when_read, std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 (now + std::chrono::hours(1)).time_since_epoch())
                                                 .count()));
  EXPECT_EQ(seen, (std::vector<ContactId>{ids[0], ids[2]}));
  EXPECT_EQ(stored(ids[0]), "0");
  EXPECT_EQ(stored(ids[2]), "0");
}

// A ready scan's first page is sized by what the campaign's last scan read before its visitor
// stopped, less what it deferred; whatever the sizes, every scan visits the contacts in dialing
// order, each once: a scan that stops early, one that defers, one that reads on after a small
// first page, and one after the deferrals passed.
TEST(PostgresStorage, ReadyScansVisitInDialingOrderWhateverTheirFirstPage) {
  const std::string conninfo = fresh_database("pages");
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  auto s = make_postgres_storage(conninfo);
  const std::vector<ContactId> ids = add_new_contacts(*s, 600, "p", "+3519123450");
  auto scan_at = [&](TimePoint due, const std::function<ScanStep(std::size_t, ContactId)>& step) {
    ContactScan scan;
    scan.campaign_id = "c1";
    scan.due_by = due;
    std::vector<ContactId> seen;
    s->scan_contact_views(scan, [&](const ContactView& v) {
      seen.push_back(v.id);
      return step(seen.size(), v.id);
    });
    return seen;
  };
  auto ids_where = [&](const std::function<bool(std::size_t)>& keep, std::size_t count) {
    std::vector<ContactId> out;
    for (std::size_t i = 0; i < ids.size() && out.size() < count; ++i) {
      if (keep(i)) out.push_back(ids[i]);
    }
    return out;
  };
  const TimePoint later = now + std::chrono::hours(1);
  auto every_third = [&](ContactId id) {
    return (std::find(ids.begin(), ids.end(), id) - ids.begin()) % 3 == 0;
  };
  // 300 read across three pages (128, 256, 512), every third deferred: 200 wanted.
  EXPECT_EQ(scan_at(now,
                    [&](std::size_t n, ContactId id) {
                      if (n == 300) return ScanStep::stop();
                      return every_third(id) ? ScanStep::defer(later) : ScanStep::next();
                    }),
            ids_where([](std::size_t) { return true; }, 300));
  auto not_deferred = [](std::size_t i) { return i >= 300 || i % 3 != 0; };
  EXPECT_EQ(
      scan_at(now + std::chrono::minutes(1),
              [](std::size_t n, ContactId) { return n == 5 ? ScanStep::stop() : ScanStep{}; }),
      ids_where(not_deferred, 5));
  // A first page of 22 rows, then pages twice as large to the end.
  EXPECT_EQ(
      scan_at(now + std::chrono::minutes(2), [](std::size_t, ContactId) { return ScanStep{}; }),
      ids_where(not_deferred, ids.size()));
  EXPECT_EQ(scan_at(later, [](std::size_t, ContactId) { return ScanStep{}; }), ids);
}

// A write of a contact whose attributes are unchanged leaves their row as it was (no new row
// version); a change is written, by a write batch and by update_contact alike; a contact with
// no attributes row (removed by hand) reads as having none and gets one at its next write.
TEST(PostgresStorage, AttributesAreWrittenOnlyWhenTheyChange) {
  const std::string conninfo = fresh_database("attrs");
  const std::string db = db_name_of(conninfo);
  auto s = make_postgres_storage(conninfo);
  const ContactId id = add_new_contacts(*s, 1, "a", "+35191234580")[0];
  const std::string version_sql =
      "SELECT xmin::text FROM contact_attributes WHERE contact_id = " + std::to_string(id);
  Contact c = *s->get_contact(id);
  c.attributes = {{"tier", "gold"}};
  s->update_contact(c);
  const std::string written = cluster().query_value(version_sql, db);
  c.attempts = 1;
  s->update_contacts({&c, 1});
  c.attempts = 2;
  s->update_contact(c);
  EXPECT_EQ(cluster().query_value(version_sql, db), written);
  EXPECT_EQ(s->get_contact(id)->attempts, 2);
  c.attributes = {{"tier", "silver"}};
  s->update_contacts({&c, 1});
  EXPECT_NE(cluster().query_value(version_sql, db), written);
  EXPECT_EQ(s->get_contact(id)->attributes, c.attributes);
  cluster().exec("DELETE FROM contact_attributes WHERE contact_id = " + std::to_string(id), db);
  EXPECT_TRUE(s->get_contact(id)->attributes.empty());
  s->update_contacts({&c, 1});
  EXPECT_EQ(s->get_contact(id)->attributes, c.attributes);
}

// While it holds a contact's lease, a Storage sends the contact's attributes and key with a
// write batch only when they differ from those it read at the claim or wrote since: a change
// made behind its back in that time (which the lease rules out) is left as it is, a change of
// its own is written. Once the lease is released it sends them again.
TEST(PostgresStorage, ALeaseHoldersBatchesSendAttributesAndKeyOnlyWhenItChangedThem) {
  const std::string conninfo = fresh_database("held");
  const std::string db = db_name_of(conninfo);
  auto s = make_postgres_storage(conninfo);
  const ContactId id = add_new_contacts(*s, 1, "h", "+35191234590")[0];
  const std::string where = " WHERE contact_id = " + std::to_string(id);
  const auto behind_its_back = [&] {
    cluster().exec("UPDATE contact_attributes SET attributes = '[]'" + where, db);
    cluster().exec("UPDATE contact_keys SET external_id = 'other'" + where, db);
  };
  const auto stored_key = [&] {
    return cluster().query_value("SELECT external_id FROM contact_keys" + where, db);
  };
  Contact first = *s->get_contact(id);
  first.attributes = {{"tier", "gold"}};
  s->update_contact(first);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  const std::vector<ContactId> ids = {id};
  ASSERT_EQ(s->claim_leases(ids, "A", now, std::chrono::seconds(30)), ids);
  Contact c;
  ASSERT_TRUE(s->read_contact(id, c));
  behind_its_back();
  StorageWriteBatch batch;
  c.attempts = 1;
  batch.contacts = {c};
  s->write_batch(batch);
  EXPECT_EQ(s->get_contact(id)->attempts, 1);
  EXPECT_TRUE(s->get_contact(id)->attributes.empty());
  EXPECT_EQ(stored_key(), "other");

  c.attributes = {{"tier", "silver"}};
  batch.contacts = {c};
  s->write_batch(batch);
  EXPECT_EQ(s->get_contact(id)->attributes, c.attributes);
  EXPECT_EQ(stored_key(), "h0");
  behind_its_back();
  c.attempts = 2;
  batch.contacts = {c};
  batch.released = ids;
  batch.release_owner = "A";
  s->write_batch(batch);
  EXPECT_FALSE(s->get_lease(id).has_value());
  EXPECT_TRUE(s->get_contact(id)->attributes.empty());

  // Released: written whole again, whether or not the contact changed.
  c.attempts = 3;
  batch.contacts = {c};
  batch.released.clear();
  s->write_batch(batch);
  EXPECT_EQ(s->get_contact(id)->attributes, c.attributes);
  EXPECT_EQ(stored_key(), "h0");
}

// A survey of the campaign's schedule (scheduled_after) reads only the RETRY and CALLBACK
// contacts due after its instant, by due time.
TEST(PostgresStorage, AScheduleSurveyReadsOnlyTheScheduledContacts) {
  const std::string conninfo = fresh_database("survey");
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  auto s = make_postgres_storage(conninfo);
  std::vector<ContactId> ids = add_new_contacts(*s, 5, "s", "+35191234530");
  auto set = [&](int i, ContactStatus status, TimePoint next) {
    Contact c = *s->get_contact(ids[static_cast<std::size_t>(i)]);
    c.status = status;
    c.next_attempt_at = next;
    s->update_contact(c);
  };
  set(1, ContactStatus::kRetry, now + std::chrono::minutes(10));
  set(2, ContactStatus::kCallback, now + std::chrono::minutes(5));
  set(3, ContactStatus::kRetry, now - std::chrono::minutes(5));
  set(4, ContactStatus::kDone, now + std::chrono::minutes(1));
  ContactScan scan;
  scan.campaign_id = "c1";
  scan.dialable_only = false;
  scan.scheduled_after = now;
  std::vector<ContactId> seen;
  s->scan_contact_views(scan, [&](const ContactView& v) {
    seen.push_back(v.id);
    return ScanStep::next();
  });
  EXPECT_EQ(seen, (std::vector<ContactId>{ids[2], ids[1]}));
}

// A Storage that reaches the test cluster's database `db` through `proxy`, with the retry
// budget `retry_total_ms`.
std::unique_ptr<Storage> storage_through(const CuttingProxy& proxy, const std::string& db,
                                         int retry_total_ms) {
  PostgresStorageOptions o;
  o.retry_total_ms = retry_total_ms;
  return make_postgres_storage("host=127.0.0.1 port=" + std::to_string(proxy.port()) +
                                   " user=postgres dbname=" + db + " connect_timeout=5",
                               o);
}

// A write batch of one new attempt of contact `id` (campaign c1) and a journal line per detail.
StorageWriteBatch attempt_with_journal(Storage& s, ContactId id,
                                       const std::vector<std::string>& details) {
  StorageWriteBatch batch;
  for (const std::string& d : details) {
    JournalEntry e;
    e.at = parse_utc("2026-05-04T08:00:00Z");
    e.campaign_id = "c1";
    e.contact_id = id;
    e.kind = "state";
    e.detail = d;
    batch.journal.push_back(e);
  }
  Attempt a;
  a.call_id = s.allocate_call_id();
  a.contact_id = id;
  a.campaign_id = "c1";
  batch.attempts.push_back(a);
  return batch;
}

std::vector<std::string> journal_details(Storage& s) {
  std::vector<std::string> details;
  s.scan_journal("c1", [&](const JournalEntry& e) {
    details.push_back(e.detail);
    return true;
  });
  return details;
}

// The definition of index `name` in the database `db`, as pg_indexes gives it ("" if none).
std::string index_definition(const std::string& db, const std::string& name) {
  return cluster().query_value(
      "SELECT coalesce((SELECT indexdef FROM pg_indexes WHERE indexname "
      "= '" +
          name + "'), '')",
      db);
}

// A database at schema version 11 (the attempts indexed by provider call id, and by contact
// after the tenant) is upgraded in place: each contact's attempts read back as written, the index
// by provider call id is gone, the one by contact starts with its id, and later writes add to it.
TEST(PostgresStorage, MigratesAVersion11DatabaseAndKeepsEachContactsAttempts) {
  const std::string conninfo = fresh_database("v11");
  const std::string db = db_name_of(conninfo);
  auto writer = make_postgres_storage(conninfo);
  const std::vector<ContactId> ids = add_new_contacts(*writer, 2, "a", "+35191234700");
  StorageWriteBatch answered = attempt_with_journal(*writer, ids[0], {"one"});
  answered.attempts[0].provider_call_id = "CA01";
  answered.attempts[0].disposition = Disposition::kNoAnswer;
  writer->write_batch(answered);
  writer->write_batch(attempt_with_journal(*writer, ids[0], {"two"}));
  writer->write_batch(attempt_with_journal(*writer, ids[1], {"three"}));
  writer.reset();
  auto s = open_migrated_from(conninfo, kUndoVersions12To13, 11);
  EXPECT_EQ(index_definition(db, "attempts_provider"), "");
  EXPECT_NE(index_definition(db, "attempts_contact").find("(contact_id, call_id)"),
            std::string::npos)
      << index_definition(db, "attempts_contact");
  const std::vector<Attempt> first = s->attempts_of(ids[0]);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_LT(first[0].call_id, first[1].call_id);
  EXPECT_EQ(first[0].provider_call_id, "CA01");
  EXPECT_EQ(first[0].disposition, Disposition::kNoAnswer);
  EXPECT_EQ(s->attempts_of(ids[1]).size(), 1u);
  s->write_batch(attempt_with_journal(*s, ids[1], {"four"}));
  EXPECT_EQ(s->attempts_of(ids[1]).size(), 2u);
}

// A migration to version 12 that cannot finish (here the index by provider call id was dropped
// by hand) writes nothing: the database stays at version 11 with its index by tenant and contact.
TEST(PostgresStorage, AFailedMigrationOfTheAttemptsIndexesWritesNothing) {
  const std::string conninfo = fresh_database("v11fail");
  const std::string db = db_name_of(conninfo);
  make_postgres_storage(conninfo).reset();
  cluster().exec(kUndoVersions12To13 + "DROP INDEX attempts_provider;", db);
  expect_storage_error([&] { make_postgres_storage(conninfo); }, ErrorCode::kStorage,
                       "attempts_provider");
  EXPECT_EQ(cluster().query_value("SELECT max(version) FROM omnivox_schema_migrations", db), "11");
  EXPECT_NE(index_definition(db, "attempts_contact").find("(tenant_id, contact_id, call_id)"),
            std::string::npos)
      << index_definition(db, "attempts_contact");
}

// A database at schema version 12 gets the index of the deferred contacts in dialing order; a
// deferral stored before, passed, hides its contact from no scan, which visits it in dialing
// order with the others.
TEST(PostgresStorage, MigratesAVersion12DatabaseAndVisitsItsPassedDeferralsInOrder) {
  const std::string conninfo = fresh_database("v12");
  const std::string db = db_name_of(conninfo);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  std::vector<ContactId> ids;
  {
    auto s = make_postgres_storage(conninfo);
    ids = add_new_contacts(*s, 4, "v12-", "+35191234570");
  }
  store_passed_deferrals(db, {ids[0], ids[2]});
  auto s = open_migrated_from(conninfo, kUndoVersion13, 12);
  EXPECT_NE(index_definition(db, "contacts_deferred_order").find("defer_until)"), std::string::npos)
      << index_definition(db, "contacts_deferred_order");
  EXPECT_EQ(views_visited(*s, "c1", now, kNoContact, now), ids);
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM contacts WHERE defer_until > 0", db), "2");
}

// A migration to version 13 that cannot finish (here a table of the database's own holds the
// index's name) writes nothing: the database stays at version 12, its table untouched.
TEST(PostgresStorage, AFailedMigrationOfTheDeferredOrderWritesNothing) {
  const std::string conninfo = fresh_database("v12fail");
  const std::string db = db_name_of(conninfo);
  make_postgres_storage(conninfo).reset();
  cluster().exec(kUndoVersion13 + "CREATE TABLE contacts_deferred_order (note text);", db);
  expect_storage_error([&] { make_postgres_storage(conninfo); }, ErrorCode::kStorage,
                       "contacts_deferred_order");
  EXPECT_EQ(cluster().query_value("SELECT max(version) FROM omnivox_schema_migrations", db), "12");
  EXPECT_EQ(cluster().query_value("SELECT relkind FROM pg_class WHERE relname = "
                                  "'contacts_deferred_order'",
                                  db),
            "r");
}

// A write batch whose answer is lost after the server committed it (the connection drops) is
// run again on a new connection; its journal lines are not added twice. A proxy between the
// Storage and the server drops the connection right after the server answers the batch.
TEST(PostgresStorage, ABatchRunAgainAfterALostAnswerWritesItsJournalOnce) {
  const std::string conninfo = fresh_database("retry");
  CuttingProxy proxy(cluster().port());
  auto s = storage_through(proxy, db_name_of(conninfo), 20000);
  const ContactId id = add_new_contacts(*s, 1, "j", "+35191234520")[0];
  s->write_batch(attempt_with_journal(*s, id, {"one"}));  // prepares the statement
  const StorageWriteBatch second = attempt_with_journal(*s, id, {"two", "three"});
  proxy.cut_after_next_answer();
  s->write_batch(second);
  EXPECT_EQ(proxy.cuts(), 1);
  EXPECT_EQ(journal_details(*s), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(s->attempts_of(id).size(), 2u);
  // A journal line written alone, likewise.
  JournalEntry alone = second.journal.front();
  alone.detail = "four";
  proxy.cut_after_next_answer();
  s->append_journal(alone);
  EXPECT_EQ(proxy.cuts(), 2);
  EXPECT_EQ(journal_details(*s), (std::vector<std::string>{"one", "two", "three", "four"}));
}

// When the retries run out (none allowed here) after the server committed a batch, the write
// throws; the caller sends the same batch again, with more lines at its end (what an engine's
// BatchingStorage does), and the lines committed before are not added twice.
TEST(PostgresStorage, ABatchSentAgainAfterItsRetriesRanOutWritesItsJournalOnce) {
  const std::string conninfo = fresh_database("again");
  CuttingProxy proxy(cluster().port());
  auto s = storage_through(proxy, db_name_of(conninfo), 0);
  const ContactId id = add_new_contacts(*s, 1, "j", "+35191234521")[0];
  s->write_batch(attempt_with_journal(*s, id, {"one"}));
  StorageWriteBatch second = attempt_with_journal(*s, id, {"two", "three"});
  proxy.cut_after_next_answer();
  EXPECT_THROW(s->write_batch(second), Error);
  EXPECT_EQ(proxy.cuts(), 1);
  JournalEntry more = second.journal.back();
  more.detail = "four";
  second.journal.push_back(more);
  s->write_batch(second);
  EXPECT_EQ(journal_details(*s), (std::vector<std::string>{"one", "two", "three", "four"}));
  EXPECT_EQ(s->attempts_of(id).size(), 2u);
  // Another batch's lines get new keys: the same text written again is a new line.
  s->write_batch(attempt_with_journal(*s, id, {"two"}));
  EXPECT_EQ(journal_details(*s), (std::vector<std::string>{"one", "two", "three", "four", "two"}));
}

TEST(PostgresStorage, ManyConnectionsClaimingNeverShareAContact) {
  std::string conninfo = fresh_database();
  constexpr int kContacts = 64;
  constexpr int kWorkers = 4;
  constexpr int kRounds = 40;
  {
    auto s = make_postgres_storage(conninfo);
    for (int i = 0; i < kContacts; ++i) {
      Contact c;
      c.campaign_id = "c1";
      c.external_id = std::to_string(i);
      s->add_contact(c);
    }
  }
  std::vector<std::atomic<int>> holder(kContacts + 1);
  for (auto& h : holder) h.store(-1);
  std::atomic<int> violations{0}, claims{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto s = make_postgres_storage(conninfo);  // one connection per worker
      const std::string owner = "node-" + std::to_string(w);
      std::vector<ContactId> want;
      for (int round = 0; round < kRounds; ++round) {
        want.clear();
        for (int i = kContacts; i >= 1; --i) {  // descending: lock order is the backend's job
          if ((i + round + w) % 2 == 0) want.push_back(static_cast<ContactId>(i));
        }
        TimePoint now = TimePoint(Duration(1'780'000'000'000));
        auto got = s->claim_leases(want, owner, now, std::chrono::hours(1));
        claims += static_cast<int>(got.size());
        for (ContactId id : got) {
          int expected = -1;
          if (!holder[id].compare_exchange_strong(expected, w)) ++violations;
        }
        for (ContactId id : got) {
          int expected = w;
          if (!holder[id].compare_exchange_strong(expected, -1)) ++violations;
          s->release_lease(id, owner);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(claims.load(), 0);
}

TEST(PostgresStorage, DialableScanSurveyOpenAttemptsAndLeaseExpiriesUseTheirIndexes) {
  std::string conninfo = fresh_database();
  make_postgres_storage(conninfo).reset();
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  tx.exec("SET LOCAL enable_seqscan = off");  // tiny tables: show that an index CAN serve it
  auto plan = [&](const std::string& sql) {
    std::string out;
    for (const auto& row : tx.exec("EXPLAIN " + sql)) out += row[0].as<std::string>() + "\n";
    return out;
  };
  // The plan of `sql` reads `index`, in the index's order (no sort) when `ordered`.
  auto expect_served = [&](const std::string& sql, const std::string& index, bool ordered) {
    const std::string p = plan(sql);
    EXPECT_NE(p.find(index), std::string::npos) << p;
    if (ordered) EXPECT_EQ(p.find("Sort"), std::string::npos) << p;
  };
  // A dialable scan's contacts without a deferral, in dialing order.
  expect_served(
      "SELECT id FROM contacts c WHERE c.defer_until = 0 AND c.tenant_id = 'default' "
      "AND c.campaign_id = 'c1' AND c.status IN (0, 1) AND c.next_attempt_at <= 5 "
      "AND (-(c.priority::bigint), c.list_order) > (-100::bigint, 0::bigint) "
      "ORDER BY -(c.priority::bigint), c.list_order LIMIT 10",
      "contacts_ready_now", true);
  // Those whose deferral has passed, in dialing order, the time checked in the index.
  const std::string passed = plan(
      "SELECT id FROM contacts c WHERE c.defer_until > 0 AND c.defer_until <= 5 AND "
      "c.tenant_id = 'default' AND c.campaign_id = 'c1' AND c.status IN (0, 1) AND "
      "c.next_attempt_at <= 5 AND (-(c.priority::bigint), c.list_order) > (-100::bigint, "
      "0::bigint) ORDER BY -(c.priority::bigint), c.list_order LIMIT 10");
  EXPECT_NE(passed.find("contacts_deferred_order"), std::string::npos) << passed;
  EXPECT_EQ(passed.find("Sort"), std::string::npos) << passed;
  EXPECT_NE(passed.find("Index Cond: ((tenant_id = 'default'::text) AND (campaign_id = 'c1'::text) "
                        "AND (ROW("),
            std::string::npos)
      << passed;
  EXPECT_NE(passed.find("(defer_until <= 5)"), std::string::npos) << passed;
  expect_served(
      "SELECT id FROM contacts c WHERE c.tenant_id = 'default' AND c.campaign_id = 'c1' "
      "AND c.status = 2 AND c.next_attempt_at <= 5 AND (c.next_attempt_at, c.id) > (0, 0) "
      "ORDER BY c.next_attempt_at, c.id LIMIT 10",
      "contacts_callback", false);
  expect_served(
      "SELECT id FROM contacts c WHERE c.tenant_id = 'default' AND c.campaign_id = 'c1' "
      "AND c.status IN (1, 2) AND c.next_attempt_at > 5 AND (c.next_attempt_at, c.id) > (0, 0) "
      "ORDER BY c.next_attempt_at, c.id LIMIT 10",
      "contacts_scheduled", true);
  // A whole scan, in dialing order (contact_keys: schema version 10).
  expect_served(
      "SELECT k.contact_id FROM contact_keys k WHERE k.tenant_id = 'default' "
      "AND k.campaign_id = 'c1' AND (-(k.priority::bigint), k.list_order) > (-100::bigint, "
      "0::bigint) ORDER BY -(k.priority::bigint), k.list_order LIMIT 10",
      "contact_keys_order", true);
  expect_served(
      "SELECT call_id FROM attempts WHERE tenant_id = 'default' AND campaign_id = 'c1' "
      "AND disposition = 0 AND call_id > 0 ORDER BY call_id LIMIT 10",
      "attempts_open", false);
  // A contact's attempts (few: sorted or not); and the open attempt a claim of an expired lease
  // looks for, through this index or attempts_open (open attempts are few: the calls in flight).
  expect_served(
      "SELECT call_id FROM attempts WHERE tenant_id = 'default' AND contact_id = 1 "
      "ORDER BY call_id",
      "attempts_contact", false);
  const std::string open_attempt_probe = plan(
      "SELECT 1 FROM attempts a WHERE a.tenant_id = 'default' AND a.contact_id = 1 "
      "AND a.disposition = 0");
  EXPECT_NE(open_attempt_probe.find("Index"), std::string::npos) << open_attempt_probe;
  EXPECT_EQ(open_attempt_probe.find("Seq Scan"), std::string::npos) << open_attempt_probe;
  // The owners one index step each, then each other owner's leases in expiry order; the
  // campaign's contacts are never walked.
  const std::string lease_question = plan(
      "WITH RECURSIVE o(owner) AS (SELECT min(owner) FROM leases WHERE tenant_id = 'default' "
      "UNION ALL SELECT (SELECT min(n.owner) FROM leases n WHERE n.tenant_id = 'default' "
      "AND n.owner > o.owner) FROM o WHERE o.owner IS NOT NULL) "
      "SELECT min(x.expiry) FROM o CROSS JOIN LATERAL (SELECT l.expiry FROM leases l "
      "WHERE l.tenant_id = 'default' AND l.owner = o.owner AND l.expiry > 5 AND (SELECT "
      "c.campaign_id FROM contacts c WHERE c.id = l.contact_id) = 'c1' ORDER BY l.expiry "
      "LIMIT 1) x WHERE o.owner <> 'me'");
  EXPECT_NE(lease_question.find("leases_owner_expiry"), std::string::npos) << lease_question;
  EXPECT_EQ(lease_question.find("Sort"), std::string::npos) << lease_question;
  EXPECT_NE(lease_question.find("contacts_pkey"), std::string::npos) << lease_question;
}

// A deferral looks each contact up by its key whatever the statistics say: late in a campaign,
// when they say few contacts are ready, a plan through contacts_ready walked every ready contact
// per id (the form of the statement before checked tenant, campaign and status as plain
// equalities, and was planned so here).
TEST(PostgresStorage, DeferralsLookContactsUpByIdWhenFewAreReady) {
  const std::string conninfo = fresh_database("defer_plan");
  std::vector<ContactId> ids;
  {
    auto s = make_postgres_storage(conninfo);
    ids = add_new_contacts(*s, 2000, "d", "+3519126");
  }
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  tx.exec("UPDATE contacts SET status = 3");  // DONE: the statistics say none is ready
  tx.exec("ANALYZE contacts");
  tx.exec("SET plan_cache_mode = force_generic_plan");
  tx.exec(
      "PREPARE defer(text, text, bigint[], bigint, bigint[]) AS UPDATE contacts c SET "
      "defer_until = $4 FROM (SELECT x.id FROM unnest($3::bigint[], $5::bigint[]) AS d(id, v) "
      "CROSS JOIN LATERAL (SELECT k.id FROM contacts k WHERE k.id = d.id AND (k.tenant_id, "
      "k.campaign_id, k.status IN (0, 1), k.xmin::text::bigint) IS NOT DISTINCT FROM ($1, $2, "
      "true, d.v) FOR NO KEY UPDATE SKIP LOCKED) x) k WHERE c.id = k.id");
  std::string plan;
  for (const auto& row : tx.exec("EXPLAIN EXECUTE defer('default', 'c1', '{100}', 5, '{1}')")) {
    plan += row[0].as<std::string>() + "\n";
  }
  EXPECT_EQ(plan.find("contacts_ready"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
  EXPECT_NE(plan.find("contacts_pkey"), std::string::npos) << plan;
}

// Lease claims and the reads of claimed contacts find the contacts through the primary key
// alone, whatever the statistics say: before the first ANALYZE of a freshly loaded campaign the
// planner took the tenant for rare and joined an index led by the tenant into the lookup by id,
// reading an entry for every contact of the tenant per claim.
TEST(PostgresStorage, ClaimsFindContactsByIdBeforeTheFirstAnalyze) {
  const std::string conninfo = fresh_database("claim_plan");
  const std::string db = db_name_of(conninfo);
  cluster().exec("ALTER TABLE contacts SET (autovacuum_enabled = false)", db);
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  std::vector<Contact> contacts(20000);
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    contacts[i].campaign_id = "c1";
    contacts[i].external_id = "plan" + std::to_string(i);
    contacts[i].numbers.push_back(PhoneNumber{"+35191270" + std::to_string(10000 + i)});
  }
  std::vector<ContactId> ids;
  {
    auto s = make_postgres_storage(conninfo);
    ASSERT_EQ(s->add_contacts(contacts), contacts.size());
    s->scan_contacts(ContactScan{.campaign_id = "c1"}, [&](const Contact& c) {
      ids.push_back(c.id);
      return ids.size() < 300;
    });
    ASSERT_EQ(ids.size(), 300u);
  }
  // A server process reports its index reads when it exits: those of the load and the scan,
  // then those of the claims.
  const auto reported_after = [&](const std::string& before) {
    const std::string sql =
        "SELECT sum(idx_scan) FILTER (WHERE indexrelname = 'contacts_pkey') || ' ' || "
        "coalesce(sum(idx_scan) FILTER (WHERE indexrelname <> 'contacts_pkey'), 0) "
        "FROM pg_stat_user_indexes WHERE relname = 'contacts'";
    std::string now_reported = cluster().query_value(sql, db);
    for (int wait = 0; wait < 100 && now_reported == before; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      now_reported = cluster().query_value(sql, db);
    }
    return now_reported;
  };
  const std::string before = reported_after("0 0");
  ASSERT_NE(before, "0 0") << "the scan's index reads were never reported";
  {
    auto s = make_postgres_storage(conninfo);
    for (int pass = 0; pass < 3; ++pass) {
      const std::span<const ContactId> batch(ids.data() + 100 * pass, 100);
      ASSERT_EQ(s->claim_leases(batch, "me", now, std::chrono::minutes(1)).size(), 100u);
      EXPECT_TRUE(s->get_contact(batch[0]).has_value());
    }
  }
  const std::string after = reported_after(before);
  ASSERT_NE(after, before) << "the claims' index reads were never reported";
  // Only contacts_pkey was read: the second count (every other index of contacts) is unchanged.
  EXPECT_EQ(after.substr(after.find(' ')), before.substr(before.find(' ')))
      << before << " -> " << after;
}

// A contact's numbers read back as they were written, through a contact read and a refill's
// view, whatever bytes their e164 holds (the backend reads them as a text of its own format).
TEST(PostgresStorage, NumbersReadBackAsWrittenWhateverTheirBytes) {
  auto s = make_postgres_storage(fresh_database("numbers"));
  const TimePoint now = parse_utc("2026-05-04T08:00:00Z");
  Contact c = contact_with_odd_numbers("n1", now);
  const ContactId id = s->add_contact(c);
  expect_same_numbers(s->get_contact(id)->numbers, c.numbers);
  const auto viewed = numbers_viewed(*s, now);
  ASSERT_EQ(viewed.size(), 1u);
  expect_same_numbers(viewed.at(id), c.numbers);
  c.id = id;
  c.numbers[1].attempts = 7;
  c.numbers.pop_back();
  s->update_contact(c);
  expect_same_numbers(s->get_contact(id)->numbers, c.numbers);
  c.numbers[0].last_disposition = Disposition::kNoAnswer;
  s->update_contacts({&c, 1});
  expect_same_numbers(s->get_contact(id)->numbers, c.numbers);
  Contact none = c;
  none.id = kNoContact;
  none.external_id = "n2";
  none.numbers.clear();
  EXPECT_TRUE(s->get_contact(s->add_contact(none))->numbers.empty());
}

// Call ids come from the sequence a block at a time per Storage object, handed out in order: an
// object's ids follow one another, another object's come from another block, and none is given
// twice.
TEST(PostgresStorage, CallIdsAreDrawnInBlocksAndHandedOutInOrder) {
  const std::string conninfo = fresh_database("call_ids");
  auto a = make_postgres_storage(conninfo);
  auto b = make_postgres_storage(conninfo);
  const std::vector<CallId> first = a->allocate_call_ids(64);
  const std::vector<CallId> other = b->allocate_call_ids(64);
  const std::vector<CallId> second = a->allocate_call_ids(64);
  const CallId single = a->allocate_call_id();
  const std::vector<CallId> more_than_a_block = b->allocate_call_ids(3000);
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i], first[0] + i);
  EXPECT_EQ(second.front(), first.back() + 1);
  EXPECT_EQ(single, second.back() + 1);
  EXPECT_GE(other.front(), first.front() + 1024);
  std::set<CallId> all(first.begin(), first.end());
  for (const auto* ids : {&other, &second, &more_than_a_block})
    all.insert(ids->begin(), ids->end());
  all.insert(single);
  EXPECT_EQ(all.size(), 64u * 3 + 1 + 3000);
  EXPECT_EQ(all.count(0), 0u);
}

// ---- bad input ----

TEST(PostgresStorage, UnreachableServerIsAClearErrorWithThePasswordMasked) {
  // A port nothing listens on: the cluster's port + 1 is not ours; find a closed one.
  std::string conninfo =
      "host=127.0.0.1 port=1 user=postgres password=s3cret dbname=x "
      "connect_timeout=3";
  std::string what = expect_storage_error([&] { make_postgres_storage(conninfo); },
                                          ErrorCode::kStorage, "cannot connect");
  EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;
  EXPECT_NE(what.find("password=***"), std::string::npos) << what;
  EXPECT_NE(what.find("port=1"), std::string::npos) << what;
}

TEST(PostgresStorage, MalformedConnectionStringIsAClearError) {
  expect_storage_error([&] { make_postgres_storage("host=127.0.0.1 port"); }, ErrorCode::kStorage,
                       "host=127.0.0.1 port");
  expect_storage_error([&] { make_postgres_storage("postgresql://[::1"); }, ErrorCode::kStorage,
                       "cannot connect");
}

TEST(PostgresStorage, MissingDatabaseIsAClearError) {
  std::string what =
      expect_storage_error([&] { make_postgres_storage(cluster().conninfo("no_such_database")); },
                           ErrorCode::kStorage, "no_such_database");
  EXPECT_NE(what.find("does not exist"), std::string::npos) << what;
}

TEST(PostgresStorage, RefusesANewerSchemaAndWritesNothing) {
  std::string conninfo = fresh_database();
  const std::string db = db_name_of(conninfo);
  cluster().exec(
      "INSERT INTO omnivox_schema_migrations (version, description) "
      "VALUES (99, 'from the future')",
      db);
  PostgresStorageOptions o;
  o.tenant = "newcomer";
  std::string what = expect_storage_error([&] { make_postgres_storage(conninfo, o); },
                                          ErrorCode::kStorage, "schema version 99");
  EXPECT_NE(what.find("newer than this build"), std::string::npos) << what;
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM tenants WHERE id = 'newcomer'", db), "0");
}

TEST(PostgresStorage, RefusesAnOlderSchemaWhenMigrationsAreOff) {
  std::string conninfo = fresh_database("old", /*migrated=*/false);
  PostgresStorageOptions o;
  o.migrate = false;
  expect_storage_error([&] { make_postgres_storage(conninfo, o); }, ErrorCode::kStorage,
                       "migrations are disabled");
  EXPECT_EQ(cluster().query_value("SELECT to_regclass('contacts')::text", db_name_of(conninfo)),
            "");
}

TEST(PostgresStorage, ReadOnlyDatabaseIsRefusedAtOpen) {
  std::string conninfo = fresh_database("ro");
  const std::string db = db_name_of(conninfo);
  cluster().exec("ALTER DATABASE " + db + " SET default_transaction_read_only = on");
  PostgresStorageOptions o;
  o.tenant = "reader";
  expect_storage_error([&] { make_postgres_storage(conninfo, o); }, ErrorCode::kStorage,
                       "read-only");
  // Also for a fresh (unmigrated) read-only database: nothing is created.
  std::string fresh = fresh_database("ro_fresh", /*migrated=*/false);
  cluster().exec("ALTER DATABASE " + db_name_of(fresh) + " SET default_transaction_read_only = on");
  expect_storage_error([&] { make_postgres_storage(fresh); }, ErrorCode::kStorage, "read-only");
  cluster().exec("ALTER DATABASE " + db + " SET default_transaction_read_only = off");
  EXPECT_EQ(cluster().query_value("SELECT count(*) FROM tenants WHERE id = 'reader'", db), "0");
  EXPECT_EQ(cluster().query_value("SELECT to_regclass('contacts')::text", db_name_of(fresh)), "");
}

TEST(PostgresStorage, ReadOnlyRoleIsRefusedAtOpen) {
  std::string conninfo = fresh_database("rorole");
  const std::string db = db_name_of(conninfo);
  cluster().exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
      "'omnivox_reader') THEN CREATE ROLE omnivox_reader LOGIN; END IF; END $$");
  cluster().exec("ALTER ROLE omnivox_reader SET default_transaction_read_only = on");
  cluster().exec("GRANT ALL ON ALL TABLES IN SCHEMA public TO omnivox_reader", db);
  std::string as_reader = conninfo;
  as_reader.replace(as_reader.find("user=postgres"), 13, "user=omnivox_reader");
  expect_storage_error([&] { make_postgres_storage(as_reader); }, ErrorCode::kStorage, "read-only");
}

// ---- connection loss ----

TEST(PostgresStorage, ReconnectsAndRetriesWhenTheServerComesBack) {
  std::string conninfo = fresh_database("loss");
  struct CapturingSink : LogSink {
    void write(LogLevel level, std::string_view message) override {
      std::lock_guard<std::mutex> lock(mutex);
      lines.push_back(std::string(to_string(level)) + " " + std::string(message));
    }
    std::mutex mutex;
    std::vector<std::string> lines;
  };
  auto sink = std::make_shared<CapturingSink>();
  PostgresStorageOptions o;
  o.retry_total_ms = 60000;
  o.log = sink;
  auto s = make_postgres_storage(conninfo, o);
  Contact c;
  c.campaign_id = "c1";
  c.external_id = "survivor";
  ContactId id = s->add_contact(c);

  cluster().stop_server();
  std::thread restarter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    cluster().start_server();
  });
  // Runs while the server is down: reconnects with backoff until it is back.
  std::optional<Contact> got;
  EXPECT_NO_THROW(got = s->get_contact(id));
  restarter.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->external_id, "survivor");
  {
    std::lock_guard<std::mutex> lock(sink->mutex);
    ASSERT_GE(sink->lines.size(), 2u);
    for (const auto& line : sink->lines) std::cout << "  logged: " << line << "\n";
    EXPECT_NE(sink->lines.front().find("postgres storage: get_contact: connection lost ("),
              std::string::npos)
        << sink->lines.front();
    EXPECT_NE(sink->lines.back().find("postgres storage: get_contact: reconnected after "),
              std::string::npos)
        << sink->lines.back();
  }
  c.external_id = "after";
  EXPECT_NE(s->add_contact(c), id);
  EXPECT_EQ(s->contact_count("c1"), 2u);
}

TEST(PostgresStorage, GivesUpAfterTheRetryTimeWithAClearError) {
  std::string conninfo = fresh_database("gone");
  PostgresStorageOptions o;
  o.retry_total_ms = 400;
  auto s = make_postgres_storage(conninfo, o);
  cluster().stop_server();
  std::string what;
  try {
    s->contact_count("c1");
    ADD_FAILURE() << "no error with the server down";
  } catch (const Error& e) {
    what = e.what();
    std::cout << "  error as reported: " << what << "\n";
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
  }
  cluster().start_server();
  EXPECT_NE(what.find("postgres storage: contact_count: connection lost, retried"),
            std::string::npos)
      << what;
  // Usable again once the server is back.
  EXPECT_EQ(s->contact_count("c1"), 0u);
}

// ---- URLs ----

TEST(StorageUrl, OpensEveryBackend) {
  EXPECT_EQ(storage_kind("memory"), StorageKind::kMemory);
  EXPECT_EQ(storage_kind("sqlite:/tmp/x.db"), StorageKind::kSqlite);
  EXPECT_EQ(storage_kind("sqlite:///tmp/x.db"), StorageKind::kSqlite);
  EXPECT_EQ(storage_kind("postgres://h/db"), StorageKind::kPostgres);
  EXPECT_EQ(storage_kind("postgresql://h/db"), StorageKind::kPostgres);
  EXPECT_EQ(storage_kind("host=h dbname=db"), StorageKind::kPostgres);

  auto mem = open_storage("memory");
  Contact c;
  c.campaign_id = "c1";
  EXPECT_EQ(mem->add_contact(c), 1u);

  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("omnivox-url-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    auto sq = open_storage("sqlite:" + (dir / "a.db").string());
    EXPECT_EQ(sq->add_contact(c), 1u);
    auto sq2 = open_storage("sqlite://" + (dir / "a.db").string());  // sqlite:///abs/path
    EXPECT_TRUE(sq2->get_contact(1).has_value());
    StorageOpenOptions other;
    other.tenant = "other";
    auto sq3 = open_storage("sqlite:" + (dir / "a.db").string(), other);
    EXPECT_FALSE(sq3->get_contact(1).has_value());
  }
  fs::remove_all(dir);

  std::string db = db_name_of(fresh_database("url"));
  auto uri = open_storage("postgresql://postgres@127.0.0.1:" + std::to_string(cluster().port()) +
                          "/" + db);
  ContactId id = uri->add_contact(c);
  auto kw = open_storage(cluster().conninfo(db));
  EXPECT_TRUE(kw->get_contact(id).has_value());
  StorageOpenOptions other;
  other.tenant = "other";
  auto kw_other = open_storage(cluster().conninfo(db), other);
  EXPECT_FALSE(kw_other->get_contact(id).has_value());
}

TEST(StorageUrl, BadUrlsAreConfigErrorsNamingTheUrl) {
  expect_storage_error([] { open_storage(""); }, ErrorCode::kConfig, "empty");
  expect_storage_error([] { open_storage("redis://localhost"); }, ErrorCode::kConfig,
                       "storage URL 'redis://localhost': unknown storage");
  expect_storage_error([] { open_storage("sqlite:"); }, ErrorCode::kConfig, "no file path");
  expect_storage_error([] { open_storage("memory", StorageOpenOptions{""}); }, ErrorCode::kConfig,
                       "tenant");
  std::string what = expect_storage_error(
      [] { open_storage("postgresql://postgres:hunter2@127.0.0.1:1/db?connect_timeout=3"); },
      ErrorCode::kStorage, "postgresql://postgres:***@127.0.0.1:1/db");
  EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  expect_storage_error([] { open_storage("sqlite:/nonexistent-omnivox-dir/x/db.sqlite"); },
                       ErrorCode::kStorage, "/nonexistent-omnivox-dir/x/db.sqlite");
}

TEST(StorageUrl, MasksPasswords) {
  EXPECT_EQ(mask_storage_url("postgresql://u:secret@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(mask_storage_url("postgres://u@h/db"), "postgres://u@h/db");
  EXPECT_EQ(mask_storage_url("host=h password=secret dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(mask_storage_url("password='se cret' host=h"), "password=*** host=h");
  EXPECT_EQ(mask_storage_url("postgresql://h/db?password=secret&sslmode=require"),
            "postgresql://h/db?password=***&sslmode=require");
  EXPECT_EQ(mask_storage_url("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
}

}  // namespace
}  // namespace omnivox::testing
