// The SQLite backend (see omnivox/sqlite_storage.h). One connection, one mutex; statements are
// prepared once in the constructor and reset after each use.
#include "omnivox/sqlite_storage.h"

#include <sqlite3.h>

#include <boost/json.hpp>
#include <limits>
#include <mutex>

namespace omnivox {
namespace {

namespace json = boost::json;

constexpr const char* kSchema = R"sql(
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

constexpr const char* kContactColumns =
    "id, campaign_id, list_name, external_id, priority, list_order, numbers, attributes, "
    "time_zone, status, attempts, not_connected, next_number, last_disposition, "
    "last_attempt_at, next_attempt_at, callback_agent";
constexpr const char* kAttemptColumns =
    "call_id, contact_id, campaign_id, number, number_index, attempt_number, caller_id, "
    "provider_call_id, state, fail_reason, amd, disposition, agent, created_at, answered_at, "
    "bridged_at, ended_at, provider_code";

std::int64_t ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint tp(std::int64_t v) { return TimePoint(Duration(v)); }

// ---- JSON of the value types ----

json::array window_to_json(const CallWindow& w) {
  json::array a;
  for (const auto& r : w.by_weekday) a.push_back(json::array{r.start_minute, r.end_minute});
  return a;
}
CallWindow window_from_json(const json::value& v) {
  CallWindow w;
  const auto& a = v.as_array();
  for (std::size_t i = 0; i < 7 && i < a.size(); ++i) {
    const auto& r = a[i].as_array();
    w.by_weekday[i].start_minute = static_cast<int>(r[0].to_number<std::int64_t>());
    w.by_weekday[i].end_minute = static_cast<int>(r[1].to_number<std::int64_t>());
  }
  return w;
}
json::array strings_to_json(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}
std::vector<std::string> strings_from_json(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}
std::int64_t i64(const json::object& o, const char* key) {
  return o.at(key).to_number<std::int64_t>();
}
double f64(const json::object& o, const char* key) { return o.at(key).to_number<double>(); }
std::string str(const json::object& o, const char* key) {
  return std::string(o.at(key).as_string());
}

std::string campaign_to_json(const CampaignConfig& c) {
  json::object o;
  o["id"] = c.id;
  o["name"] = c.name;
  o["dial_mode"] = static_cast<int>(c.dial_mode);
  o["power_lines_per_agent"] = c.power_lines_per_agent;
  o["call_window"] = window_to_json(c.call_window);
  o["fallback_time_zone"] = c.fallback_time_zone;
  o["max_attempts"] = c.max_attempts;
  o["max_attempts_per_number"] = c.max_attempts_per_number;
  json::array rules;
  for (const auto& [d, r] : c.retry_rules) {
    rules.push_back(json::array{static_cast<int>(d), r.final, r.delay.count()});
  }
  o["retry_rules"] = std::move(rules);
  o["ring_timeout"] = c.ring_timeout.count();
  o["hold_window"] = c.hold_window.count();
  o["amd"] = c.amd;
  o["caller_ids"] = strings_to_json(c.caller_ids);
  o["safe_harbor_message"] = c.safe_harbor_message;
  o["voicemail_message"] = c.voicemail_message;
  o["default_region"] = c.default_region;
  o["dial_queue_capacity"] = static_cast<std::uint64_t>(c.dial_queue_capacity);
  o["dnc_numbers"] = strings_to_json(c.dnc_numbers);
  const ComplianceProfile& p = c.compliance;
  json::object cp;
  cp["name"] = p.name;
  cp["abandon_cap"] = p.abandon_cap;
  cp["abandon_window"] = p.abandon_window.count();
  cp["count_amd_false_positives"] = p.count_amd_false_positives;
  cp["amd_false_positive_rate"] = p.amd_false_positive_rate;
  cp["hold_window"] = p.hold_window.count();
  cp["min_ring"] = p.min_ring.count();
  cp["call_window"] = window_to_json(p.call_window);
  json::array regions;
  for (const auto& r : p.region_rules) {
    json::object ro;
    ro["region"] = r.region;
    ro["call_window"] =
        r.call_window ? json::value(window_to_json(*r.call_window)) : json::value(nullptr);
    ro["max_calls_per_24h"] = r.max_calls_per_24h;
    regions.push_back(std::move(ro));
  }
  cp["region_rules"] = std::move(regions);
  cp["holidays"] = strings_to_json(p.holidays);
  cp["no_repeat_after_abandon"] = p.no_repeat_after_abandon.count();
  cp["no_repeat_after_machine"] = p.no_repeat_after_machine.count();
  o["compliance"] = std::move(cp);
  return json::serialize(o);
}

CampaignConfig campaign_from_json(std::string_view text) {
  json::object o = json::parse(text).as_object();
  CampaignConfig c;
  c.id = str(o, "id");
  c.name = str(o, "name");
  c.dial_mode = static_cast<DialMode>(i64(o, "dial_mode"));
  c.power_lines_per_agent = f64(o, "power_lines_per_agent");
  c.call_window = window_from_json(o.at("call_window"));
  c.fallback_time_zone = str(o, "fallback_time_zone");
  c.max_attempts = static_cast<int>(i64(o, "max_attempts"));
  c.max_attempts_per_number = static_cast<int>(i64(o, "max_attempts_per_number"));
  c.retry_rules.clear();
  for (const auto& r : o.at("retry_rules").as_array()) {
    const auto& a = r.as_array();
    c.retry_rules[static_cast<Disposition>(a[0].to_number<int>())] =
        RetryRule{a[1].as_bool(), Duration(a[2].to_number<std::int64_t>())};
  }
  c.ring_timeout = Duration(i64(o, "ring_timeout"));
  c.hold_window = Duration(i64(o, "hold_window"));
  c.amd = o.at("amd").as_bool();
  c.caller_ids = strings_from_json(o.at("caller_ids"));
  c.safe_harbor_message = str(o, "safe_harbor_message");
  c.voicemail_message = str(o, "voicemail_message");
  c.default_region = str(o, "default_region");
  c.dial_queue_capacity = static_cast<std::size_t>(i64(o, "dial_queue_capacity"));
  c.dnc_numbers = strings_from_json(o.at("dnc_numbers"));
  const json::object& cp = o.at("compliance").as_object();
  ComplianceProfile& p = c.compliance;
  p.name = str(cp, "name");
  p.abandon_cap = f64(cp, "abandon_cap");
  p.abandon_window = Duration(i64(cp, "abandon_window"));
  p.count_amd_false_positives = cp.at("count_amd_false_positives").as_bool();
  p.amd_false_positive_rate = f64(cp, "amd_false_positive_rate");
  p.hold_window = Duration(i64(cp, "hold_window"));
  p.min_ring = Duration(i64(cp, "min_ring"));
  p.call_window = window_from_json(cp.at("call_window"));
  p.region_rules.clear();
  for (const auto& rv : cp.at("region_rules").as_array()) {
    const auto& ro = rv.as_object();
    RegionRule r;
    r.region = str(ro, "region");
    if (!ro.at("call_window").is_null()) r.call_window = window_from_json(ro.at("call_window"));
    r.max_calls_per_24h = static_cast<int>(i64(ro, "max_calls_per_24h"));
    p.region_rules.push_back(std::move(r));
  }
  p.holidays = strings_from_json(cp.at("holidays"));
  p.no_repeat_after_abandon = Duration(i64(cp, "no_repeat_after_abandon"));
  p.no_repeat_after_machine = Duration(i64(cp, "no_repeat_after_machine"));
  return c;
}

std::string numbers_to_json(const std::vector<PhoneNumber>& numbers) {
  json::array a;
  for (const auto& n : numbers) {
    a.push_back(json::object{{"e164", n.e164},
                             {"zone_set", n.zone_set},
                             {"attempts", n.attempts},
                             {"last_disposition", static_cast<int>(n.last_disposition)},
                             {"invalid", n.invalid},
                             {"last_abandon_at", ms(n.last_abandon_at)},
                             {"last_machine_at", ms(n.last_machine_at)}});
  }
  return json::serialize(a);
}
std::vector<PhoneNumber> numbers_from_json(std::string_view text) {
  std::vector<PhoneNumber> out;
  json::value v = json::parse(text);
  for (const auto& e : v.as_array()) {
    const auto& o = e.as_object();
    PhoneNumber n;
    n.e164 = str(o, "e164");
    n.zone_set = static_cast<ZoneSetId>(i64(o, "zone_set"));
    n.attempts = static_cast<std::uint16_t>(i64(o, "attempts"));
    n.last_disposition = static_cast<Disposition>(i64(o, "last_disposition"));
    n.invalid = o.at("invalid").as_bool();
    n.last_abandon_at = tp(i64(o, "last_abandon_at"));
    n.last_machine_at = tp(i64(o, "last_machine_at"));
    out.push_back(std::move(n));
  }
  return out;
}
std::string attributes_to_json(const std::vector<std::pair<std::string, std::string>>& attrs) {
  json::array a;
  for (const auto& [k, v] : attrs) a.push_back(json::array{json::string(k), json::string(v)});
  return json::serialize(a);
}
std::vector<std::pair<std::string, std::string>> attributes_from_json(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  json::value v = json::parse(text);
  for (const auto& e : v.as_array()) {
    const auto& p = e.as_array();
    out.emplace_back(std::string(p[0].as_string()), std::string(p[1].as_string()));
  }
  return out;
}

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
  void prepare(sqlite3* db, const char* sql) {
    db_ = db;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      throw Error(ErrorCode::kStorage,
                  std::string("sqlite storage: prepare '") + sql + "': " + sqlite3_errmsg(db));
    }
  }
  sqlite3_stmt* get() const { return stmt_; }
  sqlite3* db() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// One use of a statement within an operation: binds, steps, reads columns, resets at the end.
class Use {
 public:
  Use(Stmt& s, const char* op) : s_(s), op_(op) {}
  ~Use() {
    sqlite3_reset(s_.get());
    sqlite3_clear_bindings(s_.get());
  }
  Use& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_.get(), i, v));
    return *this;
  }
  Use& bind(int i, std::string_view v) {
    check(sqlite3_bind_text(s_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
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

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const std::string& path, const SqliteStorageOptions& options) : options_(options) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw Error(ErrorCode::kStorage, "sqlite storage: open '" + path + "': " + msg);
    }
    try {
      sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
      if (options_.wal) exec("open: set WAL", "PRAGMA journal_mode=WAL");
      exec("open: set synchronous",
           options_.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      exec("open: begin", "BEGIN IMMEDIATE");
      try {
        exec("open: create schema",
             "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        int version = read_version();
        if (version > kSqliteSchemaVersion) {
          throw Error(ErrorCode::kStorage,
                      "sqlite storage: open '" + path + "': the database has schema version " +
                          std::to_string(version) +
                          ", newer than this build of Omnivox supports (" +
                          std::to_string(kSqliteSchemaVersion) + "); upgrade Omnivox");
        }
        exec("open: create schema", kSchema);
        if (version == 0) {
          exec("open: write schema version", ("INSERT INTO schema_version (version) VALUES (" +
                                              std::to_string(kSqliteSchemaVersion) + ")")
                                                 .c_str());
        }
        exec("open: commit", "COMMIT");
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
      prepare_all();
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
  void put_list(const ContactList& list) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use(put_list_, "put_list")
        .bind(1, list.campaign_id)
        .bind(2, list.name)
        .bind(3, std::int64_t{list.active})
        .run();
  }
  std::vector<ContactList> lists(std::string_view campaign_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ContactList> out;
    Use u(lists_, "lists");
    u.bind(1, campaign_id);
    while (u.step()) out.push_back({std::string(campaign_id), u.text(0), u.i64(1) != 0});
    return out;
  }

  // ---- contacts ----
  ContactId add_contact(Contact contact) override {
    std::string numbers = numbers_to_json(contact.numbers);
    std::string attributes = attributes_to_json(contact.attributes);
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "add_contact");
    {
      Use u(next_list_order_, "add_contact: list order");
      u.bind(1, contact.campaign_id);
      u.step();
      contact.list_order = static_cast<std::uint64_t>(u.i64(0));
    }
    {
      Use u(insert_contact_, "add_contact");
      bind_contact(u, contact, numbers, attributes);
      u.bind(5, static_cast<std::int64_t>(contact.list_order));
      u.run();
    }
    ContactId id = static_cast<ContactId>(sqlite3_last_insert_rowid(db_));
    tx.commit();
    return id;
  }
  std::optional<Contact> get_contact(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(get_contact_, "get_contact");
    u.bind(1, static_cast<std::int64_t>(id));
    if (!u.step()) return std::nullopt;
    return read_contact(u);
  }
  void update_contact(const Contact& contact) override {
    std::string numbers = numbers_to_json(contact.numbers);
    std::string attributes = attributes_to_json(contact.attributes);
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(update_contact_, "update_contact");
    bind_contact(u, contact, numbers, attributes);
    u.bind(1, static_cast<std::int64_t>(contact.id));
    u.run();
    if (u.changes() == 0) {
      throw Error(ErrorCode::kNotFound,
                  "update_contact: unknown contact id " + std::to_string(contact.id));
    }
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
    std::vector<ContactId> claimed;
    claimed.reserve(ids.size());
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction tx(*this, "claim_leases", "BEGIN IMMEDIATE");
    for (ContactId id : ids) {
      Use u(claim_lease_, "claim_leases");
      u.bind(1, static_cast<std::int64_t>(id))
          .bind(2, owner)
          .bind(3, ms(now + ttl))
          .bind(4, ms(now));
      u.run();
      if (u.changes() > 0) claimed.push_back(id);
    }
    tx.commit();
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
    Use(release_lease_, "release_lease")
        .bind(1, static_cast<std::int64_t>(id))
        .bind(2, owner)
        .run();
  }
  std::optional<Lease> get_lease(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(get_lease_, "get_lease");
    u.bind(1, static_cast<std::int64_t>(id));
    if (!u.step()) return std::nullopt;
    return Lease{id, u.text(0), tp(u.i64(1))};
  }

  // ---- attempts ----
  CallId allocate_call_id() override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(allocate_call_id_, "allocate_call_id");
    if (!u.step()) {
      throw Error(ErrorCode::kStorage, "sqlite storage: allocate_call_id: counter row missing");
    }
    CallId id = static_cast<CallId>(u.i64(0));
    u.run();
    return id;
  }
  void put_attempt(const Attempt& a) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(put_attempt_, "put_attempt");
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
        .bind(18, std::int64_t{a.provider_code})
        .run();
  }
  std::vector<Attempt> attempts_of(ContactId id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Attempt> out;
    Use u(attempts_of_, "attempts_of");
    u.bind(1, static_cast<std::int64_t>(id));
    while (u.step()) out.push_back(read_attempt(u));
    return out;
  }
  void scan_attempts(std::string_view campaign_id,
                     const std::function<bool(const Attempt&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(scan_attempts_, "scan_attempts");
    u.bind(1, campaign_id);
    while (u.step()) {
      if (!visit(read_attempt(u))) return;
    }
  }

  // ---- DNC ----
  void add_dnc(std::string_view list, std::string_view e164) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use(add_dnc_, "add_dnc").bind(1, list).bind(2, e164).run();
  }
  bool is_dnc(std::string_view campaign_id, std::string_view e164) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(is_dnc_, "is_dnc");
    u.bind(1, e164).bind(2, campaign_id);
    return u.step();
  }

  // ---- journal and deduplication ----
  void append_journal(const JournalEntry& e) override {
    if (!options_.keep_journal) return;
    std::lock_guard<std::mutex> lock(mutex_);
    Use(append_journal_, "append_journal")
        .bind(1, e.campaign_id)
        .bind(2, ms(e.at))
        .bind(3, static_cast<std::int64_t>(e.call_id))
        .bind(4, static_cast<std::int64_t>(e.contact_id))
        .bind(5, e.kind)
        .bind(6, e.detail)
        .run();
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
  bool mark_event_processed(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Use u(mark_processed_, "mark_event_processed");
    u.bind(1, key);
    u.run();
    return u.changes() > 0;
  }

 private:
  // BEGIN .. COMMIT; rolls back if not committed. Caller holds mutex_.
  class Transaction {
   public:
    Transaction(SqliteStorage& s, const char* op, const char* begin = "BEGIN IMMEDIATE")
        : s_(s), op_(op) {
      s_.exec(op_, begin);
    }
    ~Transaction() {
      if (!done_) sqlite3_exec(s_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
      s_.exec(op_, "COMMIT");
      done_ = true;
    }

   private:
    SqliteStorage& s_;
    const char* op_;
    bool done_ = false;
  };

  void exec(const std::string& op, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw Error(ErrorCode::kStorage, "sqlite storage: " + op + ": " + msg);
    }
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
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }
  std::vector<Stmt*> all_statements() {
    return {&put_campaign_,    &get_campaign_,     &put_list_,    &lists_,
            &next_list_order_, &insert_contact_,   &get_contact_, &update_contact_,
            &scan_all_,        &scan_callbacks_,   &scan_ready_,  &contact_count_,
            &count_by_status_, &claim_lease_,      &renew_lease_, &release_lease_,
            &get_lease_,       &allocate_call_id_, &put_attempt_, &attempts_of_,
            &scan_attempts_,   &add_dnc_,          &is_dnc_,      &append_journal_,
            &scan_journal_,    &mark_processed_};
  }
  void prepare_all() {
    const std::string cols = kContactColumns;
    const std::string acols = kAttemptColumns;
    put_campaign_.prepare(db_,
                          "INSERT INTO campaigns (id, config) VALUES (?1, ?2) "
                          "ON CONFLICT (id) DO UPDATE SET config = excluded.config");
    get_campaign_.prepare(db_, "SELECT config FROM campaigns WHERE id = ?1");
    put_list_.prepare(db_,
                      "INSERT INTO lists (campaign_id, name, active) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (campaign_id, name) DO UPDATE SET active = excluded.active");
    lists_.prepare(db_, "SELECT name, active FROM lists WHERE campaign_id = ?1 ORDER BY seq");
    next_list_order_.prepare(
        db_, "SELECT COALESCE(MAX(list_order), 0) + 1 FROM contacts WHERE campaign_id = ?1");
    // Parameters 2.. of insert and update are the same; ?1 is unused by insert (id assigned).
    insert_contact_.prepare(
        db_,
        "INSERT INTO contacts (campaign_id, list_name, external_id, priority, list_order, "
        "numbers, attributes, time_zone, status, attempts, not_connected, next_number, "
        "last_disposition, last_attempt_at, next_attempt_at, callback_agent) VALUES "
        "(?2, ?3, ?4, ?6, ?5, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
    // campaign_id and list_order are fixed at load time (as in the memory backend).
    update_contact_.prepare(
        db_,
        "UPDATE contacts SET list_name = ?3, external_id = ?4, priority = ?6, numbers = ?7, "
        "attributes = ?8, time_zone = ?9, status = ?10, attempts = ?11, not_connected = ?12, "
        "next_number = ?13, last_disposition = ?14, last_attempt_at = ?15, "
        "next_attempt_at = ?16, callback_agent = ?17 WHERE id = ?1");
    get_contact_.prepare(db_, ("SELECT " + cols + " FROM contacts WHERE id = ?1").c_str());
    scan_all_.prepare(db_, ("SELECT " + cols +
                            " FROM contacts WHERE campaign_id = ?1 "
                            "ORDER BY priority DESC, list_order")
                               .c_str());
    scan_callbacks_.prepare(db_, ("SELECT " + cols +
                                  " FROM contacts WHERE campaign_id = ?1 AND status = 2 "
                                  "AND next_attempt_at <= ?2 ORDER BY next_attempt_at, id")
                                     .c_str());
    scan_ready_.prepare(db_, ("SELECT " + cols +
                              " FROM contacts WHERE campaign_id = ?1 AND status IN (0, 1) "
                              "AND next_attempt_at <= ?2 ORDER BY priority DESC, list_order")
                                 .c_str());
    contact_count_.prepare(db_, "SELECT COUNT(*) FROM contacts WHERE campaign_id = ?1");
    count_by_status_.prepare(
        db_, "SELECT status, COUNT(*) FROM contacts WHERE campaign_id = ?1 GROUP BY status");
    // Claims unless another owner holds a live lease (expiry > now); unknown contacts skipped.
    claim_lease_.prepare(
        db_,
        "INSERT INTO leases (contact_id, owner, expiry) "
        "SELECT id, ?2, ?3 FROM contacts WHERE id = ?1 "
        "ON CONFLICT (contact_id) DO UPDATE SET owner = excluded.owner, expiry = excluded.expiry "
        "WHERE leases.owner = excluded.owner OR leases.expiry <= ?4");
    renew_lease_.prepare(db_, "UPDATE leases SET expiry = ?1 WHERE contact_id = ?2 AND owner = ?3");
    release_lease_.prepare(db_, "DELETE FROM leases WHERE contact_id = ?1 AND owner = ?2");
    get_lease_.prepare(db_, "SELECT owner, expiry FROM leases WHERE contact_id = ?1");
    allocate_call_id_.prepare(
        db_, "UPDATE counters SET value = value + 1 WHERE name = 'call_id' RETURNING value");
    put_attempt_.prepare(db_, ("INSERT OR REPLACE INTO attempts (" + acols +
                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                               "?13, ?14, ?15, ?16, ?17, ?18)")
                                  .c_str());
    attempts_of_.prepare(
        db_, ("SELECT " + acols + " FROM attempts WHERE contact_id = ?1 ORDER BY call_id").c_str());
    scan_attempts_.prepare(
        db_,
        ("SELECT " + acols + " FROM attempts WHERE campaign_id = ?1 ORDER BY call_id").c_str());
    add_dnc_.prepare(db_, "INSERT OR IGNORE INTO dnc (list, e164) VALUES (?1, ?2)");
    is_dnc_.prepare(db_, "SELECT 1 FROM dnc WHERE e164 = ?1 AND list IN ('global', ?2) LIMIT 1");
    append_journal_.prepare(db_,
                            "INSERT INTO journal (campaign_id, at, call_id, contact_id, kind, "
                            "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    scan_journal_.prepare(db_,
                          "SELECT at, call_id, contact_id, kind, detail FROM journal "
                          "WHERE campaign_id = ?1 ORDER BY seq");
    mark_processed_.prepare(db_, "INSERT OR IGNORE INTO processed_events (key) VALUES (?1)");
  }

  static void bind_contact(Use& u, const Contact& c, const std::string& numbers,
                           const std::string& attributes) {
    u.bind(2, c.campaign_id)
        .bind(3, c.list_name)
        .bind(4, c.external_id)
        .bind(6, std::int64_t{c.priority})
        .bind(7, numbers)
        .bind(8, attributes)
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
  static Contact read_contact(const Use& u) {
    Contact c;
    c.id = static_cast<ContactId>(u.i64(0));
    c.campaign_id = u.text(1);
    c.list_name = u.text(2);
    c.external_id = u.text(3);
    c.priority = static_cast<std::int32_t>(u.i64(4));
    c.list_order = static_cast<std::uint64_t>(u.i64(5));
    try {
      c.numbers = numbers_from_json(u.text(6));
      c.attributes = attributes_from_json(u.text(7));
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
    return a;
  }

  SqliteStorageOptions options_;
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  Stmt put_campaign_, get_campaign_, put_list_, lists_, next_list_order_, insert_contact_,
      get_contact_, update_contact_, scan_all_, scan_callbacks_, scan_ready_, contact_count_,
      count_by_status_, claim_lease_, renew_lease_, release_lease_, get_lease_, allocate_call_id_,
      put_attempt_, attempts_of_, scan_attempts_, add_dnc_, is_dnc_, append_journal_, scan_journal_,
      mark_processed_;
};

}  // namespace

std::unique_ptr<Storage> make_sqlite_storage(const std::string& path,
                                             const SqliteStorageOptions& options) {
  return std::make_unique<SqliteStorage>(path, options);
}

}  // namespace omnivox
