#include "serve/store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <mutex>
#include <pqxx/pqxx>

#include "omnivox/storage_url.h"
#include "omnivox/types.h"

namespace omnivox::serve {
namespace {

std::string hex(const unsigned char* bytes, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(bytes)) != 1) {
    throw Error(ErrorCode::kIo, "token: OpenSSL RAND_bytes failed");
  }
  return hex(buffer.data(), bytes);
}

class MemoryServeStore final : public ServeStore {
 public:
  void put_token(const TokenRecord& token) override {
    std::lock_guard lock(mutex_);
    tokens_.push_back(token);
  }
  std::vector<TokenRecord> tokens() override {
    std::lock_guard lock(mutex_);
    return tokens_;
  }
  bool revoke_token(std::string_view tenant, std::string_view id) override {
    std::lock_guard lock(mutex_);
    for (auto& t : tokens_) {
      if (t.tenant == tenant && t.id == id) return t.revoked = true;
    }
    return false;
  }
  void put_campaign(const CampaignRecord& c) override {
    std::lock_guard lock(mutex_);
    campaigns_[{c.tenant, c.id}] = c;
  }
  std::vector<CampaignRecord> campaigns() override {
    std::lock_guard lock(mutex_);
    std::vector<CampaignRecord> out;
    for (const auto& [key, c] : campaigns_) out.push_back(c);
    return out;
  }
  void delete_campaign(std::string_view tenant, std::string_view id) override {
    std::lock_guard lock(mutex_);
    campaigns_.erase({std::string(tenant), std::string(id)});
  }

 private:
  std::mutex mutex_;
  std::vector<TokenRecord> tokens_;
  std::map<std::pair<std::string, std::string>, CampaignRecord> campaigns_;
};

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS omnivox_serve_tokens (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, "
    "scope TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE, label TEXT NOT NULL, created_at TEXT NOT "
    "NULL, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS omnivox_serve_campaigns (tenant TEXT NOT NULL, id TEXT NOT NULL, "
    "file_json TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (tenant, id));";

TokenRecord token_of(const std::string& id, const std::string& tenant, const std::string& scope,
                     const std::string& sha, const std::string& label, const std::string& created,
                     bool revoked) {
  return TokenRecord{id,      tenant, scope_from_string(scope).value_or(Scope::kRead), sha, label,
                     created, revoked};
}

// One connection, serialized: the store is read at start-up and on token cache misses, so it
// never competes with the engine's own connections for throughput.
class SqliteServeStore final : public ServeStore {
 public:
  explicit SqliteServeStore(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw Error(ErrorCode::kStorage, path + ": cannot open: " + why);
    }
    sqlite3_busy_timeout(db_, 5000);
    exec("open", kSchema);
  }
  ~SqliteServeStore() override { sqlite3_close(db_); }

  void put_token(const TokenRecord& t) override {
    run("put_token",
        "INSERT INTO omnivox_serve_tokens (id, tenant, scope, sha256, label, created_at, revoked) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {t.id, t.tenant, to_string(t.scope), t.sha256, t.label, t.created_at,
         t.revoked ? "1" : "0"});
  }
  std::vector<TokenRecord> tokens() override {
    std::vector<TokenRecord> out;
    run("tokens",
        "SELECT id, tenant, scope, sha256, label, created_at, revoked FROM omnivox_serve_tokens "
        "ORDER BY tenant, created_at, id",
        {}, [&](const std::vector<std::string>& r) {
          out.push_back(token_of(r[0], r[1], r[2], r[3], r[4], r[5], r[6] == "1"));
        });
    return out;
  }
  bool revoke_token(std::string_view tenant, std::string_view id) override {
    run("revoke_token", "UPDATE omnivox_serve_tokens SET revoked = 1 WHERE tenant = ? AND id = ?",
        {std::string(tenant), std::string(id)});
    return sqlite3_changes(db_) > 0;
  }
  void put_campaign(const CampaignRecord& c) override {
    run("put_campaign",
        "INSERT INTO omnivox_serve_campaigns (tenant, id, file_json, state) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (tenant, id) DO UPDATE SET file_json = excluded.file_json, state = "
        "excluded.state",
        {c.tenant, c.id, c.file_json, c.state});
  }
  std::vector<CampaignRecord> campaigns() override {
    std::vector<CampaignRecord> out;
    run("campaigns",
        "SELECT tenant, id, file_json, state FROM omnivox_serve_campaigns ORDER BY tenant, id", {},
        [&](const std::vector<std::string>& r) {
          out.push_back({r[0], r[1], r[2], r[3]});
        });
    return out;
  }
  void delete_campaign(std::string_view tenant, std::string_view id) override {
    run("delete_campaign", "DELETE FROM omnivox_serve_campaigns WHERE tenant = ? AND id = ?",
        {std::string(tenant), std::string(id)});
  }

 private:
  void exec(const char* what, const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string why = message ? message : "unknown error";
      sqlite3_free(message);
      throw Error(ErrorCode::kStorage, std::string("serve store: ") + what + ": " + why);
    }
  }
  void run(const char* what, const char* sql, const std::vector<std::string>& params,
           const std::function<void(const std::vector<std::string>&)>& row = {}) {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = nullptr;
    auto fail = [&] {
      std::string why = sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      throw Error(ErrorCode::kStorage, std::string("serve store: ") + what + ": " + why);
    };
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) fail();
    for (std::size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].data(),
                        static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
    }
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail();
      std::vector<std::string> values(sqlite3_column_count(stmt));
      for (std::size_t i = 0; i < values.size(); ++i) {
        const auto* text = sqlite3_column_text(stmt, static_cast<int>(i));
        if (text) values[i].assign(reinterpret_cast<const char*>(text));
      }
      if (row) row(values);
    }
    sqlite3_finalize(stmt);
  }

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

class PostgresServeStore final : public ServeStore {
 public:
  explicit PostgresServeStore(const std::string& conninfo) : conninfo_(conninfo) {
    run("open", [](pqxx::work& tx) { tx.exec(kSchema); });
  }
  void put_token(const TokenRecord& t) override {
    run("put_token", [&](pqxx::work& tx) {
      tx.exec_params(
          "INSERT INTO omnivox_serve_tokens (id, tenant, scope, sha256, label, created_at, "
          "revoked) VALUES ($1, $2, $3, $4, $5, $6, $7)",
          t.id, t.tenant, std::string(to_string(t.scope)), t.sha256, t.label, t.created_at,
          t.revoked ? 1 : 0);
    });
  }
  std::vector<TokenRecord> tokens() override {
    std::vector<TokenRecord> out;
    run("tokens", [&](pqxx::work& tx) {
      for (const auto& r :
           tx.exec("SELECT id, tenant, scope, sha256, label, created_at, revoked FROM "
                   "omnivox_serve_tokens ORDER BY tenant, created_at, id")) {
        out.push_back(token_of(r[0].as<std::string>(), r[1].as<std::string>(),
                               r[2].as<std::string>(), r[3].as<std::string>(),
                               r[4].as<std::string>(), r[5].as<std::string>(),
                               r[6].as<int>() != 0));
      }
    });
    return out;
  }
  bool revoke_token(std::string_view tenant, std::string_view id) override {
    bool changed = false;
    run("revoke_token", [&](pqxx::work& tx) {
      changed = tx.exec_params(
                      "UPDATE omnivox_serve_tokens SET revoked = 1 WHERE tenant = $1 AND "
                      "id = $2",
                      std::string(tenant), std::string(id))
                    .affected_rows() > 0;
    });
    return changed;
  }
  void put_campaign(const CampaignRecord& c) override {
    run("put_campaign", [&](pqxx::work& tx) {
      tx.exec_params(
          "INSERT INTO omnivox_serve_campaigns (tenant, id, file_json, state) VALUES ($1, $2, "
          "$3, $4) ON CONFLICT (tenant, id) DO UPDATE SET file_json = excluded.file_json, state = "
          "excluded.state",
          c.tenant, c.id, c.file_json, c.state);
    });
  }
  std::vector<CampaignRecord> campaigns() override {
    std::vector<CampaignRecord> out;
    run("campaigns", [&](pqxx::work& tx) {
      for (const auto& r : tx.exec("SELECT tenant, id, file_json, state FROM "
                                   "omnivox_serve_campaigns ORDER BY tenant, id")) {
        out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                       r[3].as<std::string>()});
      }
    });
    return out;
  }
  void delete_campaign(std::string_view tenant, std::string_view id) override {
    run("delete_campaign", [&](pqxx::work& tx) {
      tx.exec_params("DELETE FROM omnivox_serve_campaigns WHERE tenant = $1 AND id = $2",
                     std::string(tenant), std::string(id));
    });
  }

 private:
  // One connection, opened again after a failure (the next call reconnects).
  void run(const char* what, const std::function<void(pqxx::work&)>& body) {
    std::lock_guard lock(mutex_);
    try {
      if (!conn_ || !conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(conninfo_);
      pqxx::work tx(*conn_);
      body(tx);
      tx.commit();
    } catch (const std::exception& e) {
      conn_.reset();
      throw Error(ErrorCode::kStorage, std::string("serve store: ") + what + ": " + e.what());
    }
  }

  std::string conninfo_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

const char* to_string(Scope scope) { return scope == Scope::kControl ? "control" : "read"; }

std::optional<Scope> scope_from_string(std::string_view name) {
  if (name == "read") return Scope::kRead;
  if (name == "control") return Scope::kControl;
  return std::nullopt;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::kIo, "SHA-256: OpenSSL EVP_Digest failed");
  }
  return hex(digest, n);
}

NewToken make_token(const std::string& tenant, Scope scope, const std::string& label) {
  NewToken t;
  t.token = "ovx_" + random_hex(24);
  t.record.id = random_hex(6);
  t.record.tenant = tenant;
  t.record.scope = scope;
  t.record.sha256 = sha256_hex(t.token);
  t.record.label = label;
  t.record.created_at =
      format_utc(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()));
  return t;
}

std::unique_ptr<ServeStore> open_serve_store(const std::string& url) {
  switch (storage_kind(url)) {
    case StorageKind::kMemory:
      return std::make_unique<MemoryServeStore>();
    case StorageKind::kSqlite: {
      std::string path = url.substr(std::string("sqlite:").size());
      if (path.rfind("//", 0) == 0) path = path.substr(2);
      if (path.empty()) throw Error(ErrorCode::kConfig, "storage URL: no file path after sqlite:");
      return std::make_unique<SqliteServeStore>(path);
    }
    case StorageKind::kPostgres:
      return std::make_unique<PostgresServeStore>(url);
  }
  throw Error(ErrorCode::kConfig, "storage URL: unknown storage");
}

}  // namespace omnivox::serve
