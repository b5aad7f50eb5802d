// open_storage (see omnivox/storage_url.h).
#include "omnivox/storage_url.h"

#include <regex>

#include "base/backend_library.h"
#include "omnivox/postgres_storage.h"
#include "omnivox/sqlite_storage.h"
#include "storage/storage_backends.h"

namespace omnivox {
namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

[[noreturn]] void bad_url(const std::string& url, const std::string& reason) {
  throw Error(ErrorCode::kConfig, "storage URL '" + mask_storage_url(url) + "': " + reason);
}

// The SQLite path of "sqlite:PATH" / "sqlite://PATH".
std::string sqlite_path(const std::string& url) {
  std::string rest = url.substr(std::string("sqlite:").size());
  if (starts_with(rest, "//")) rest = rest.substr(2);
  return rest;
}

// One pass of mask_conninfo_password's replacements.
std::string mask_passwords_once(const std::string& conninfo) {
  // URI form: scheme://user:secret@host... (the userinfo ends at the first '@' of the
  // authority); keyword form: password=secret or password='se cret'.
  static const std::regex uri(R"(^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*):[^@/?#]*@)");
  static const std::regex keyword(R"((^|[\s])password\s*=\s*('([^'\\]|\\.)*'|[^\s]*))");
  static const std::regex query_password(R"(([?&]password=)[^&]*)");
  std::string out = std::regex_replace(conninfo, uri, "$1:***@");
  out = std::regex_replace(out, keyword, "$1password=***");
  out = std::regex_replace(out, query_password, "$1***");
  return out;
}

// The PostgreSQL backend, loaded at the first call (storage/storage_backends.h); throws
// Error(kStorage) naming the URL and what was tried when no usable library is found.
const storage_backends::PostgresBackend& postgres_backend(const std::string& url) {
#ifdef OMNIVOX_POSTGRES_IN_CORE
  return *omnivox_postgres_backend_v1();  // a static build: the backend is in this library
#else
  std::string why;
  const storage_backends::PostgresBackend* backend =
      backend_library::load<storage_backends::PostgresBackend>(
          storage_backends::kPostgresLibrary, storage_backends::kPostgresEntryPoint,
          reinterpret_cast<const void*>(&open_storage),
          "install the omnivox postgres component beside libomnivox, or link omnivox::postgres",
          storage_backends::kBackendAbi, why);
  if (backend == nullptr) {
    throw Error(ErrorCode::kStorage,
                "storage URL '" + mask_storage_url(url) + "': no PostgreSQL backend: " + why);
  }
  return *backend;
#endif
}

}  // namespace

std::string mask_conninfo_password(const std::string& conninfo) {
  std::string hidden = "<connection string of " + std::to_string(conninfo.size()) + " bytes>";
  if (conninfo.size() > kMaxMaskedConninfo) return hidden;
  // A masked string must mask to itself (it is what logs and messages show, and may be masked
  // again); one pass may uncover another password (an unterminated quote, a second key), so
  // passes repeat until nothing changes.
  std::string out = conninfo;
  for (int pass = 0; pass < 8; ++pass) {
    std::string next = mask_passwords_once(out);
    if (next == out) return out;
    out = std::move(next);
  }
  return hidden;
}

std::string mask_storage_url(const std::string& url) {
  // Masking runs std::regex, whose recursion overflows the stack on inputs of some ten thousand
  // bytes; a prefix of the URL could end inside the password.
  if (url.size() > kMaxStorageUrlBytes) {
    return "(a URL of " + std::to_string(url.size()) + " bytes, not shown)";
  }
  return mask_conninfo_password(url);
}

StorageKind storage_kind(const std::string& url) {
  // A NUL would cut the path or connection string where C libraries read it (and the message
  // showing it), so the storage opened would not be the one named.
  if (auto nul = url.find('\0'); nul != std::string::npos) {
    throw Error(ErrorCode::kConfig,
                "storage URL: a NUL byte at offset " + std::to_string(nul) + " (not allowed)");
  }
  if (url.size() > kMaxStorageUrlBytes) {
    bad_url(url, "longer than " + std::to_string(kMaxStorageUrlBytes) + " bytes");
  }
  if (url.empty())
    bad_url(url,
            "empty; expected memory, sqlite:PATH, postgres://... or "
            "a libpq keyword string (host=... dbname=...)");
  if (url == "memory" || url == "memory:" || url == "memory://") return StorageKind::kMemory;
  if (starts_with(url, "sqlite:")) return StorageKind::kSqlite;
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) {
    return StorageKind::kPostgres;
  }
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos && url.find('=') != std::string::npos) {
    return StorageKind::kPostgres;  // libpq keyword/value form
  }
  bad_url(url,
          "unknown storage; expected memory, sqlite:PATH, postgres://... or a libpq "
          "keyword string (host=... dbname=...)");
}

std::unique_ptr<Storage> open_storage(const std::string& url, const StorageOpenOptions& options) {
  if (options.tenant.empty()) bad_url(url, "the tenant must not be empty");
  switch (storage_kind(url)) {
    case StorageKind::kMemory: {
      MemoryStorageOptions o;
      o.keep_journal = options.keep_journal;
      return make_memory_storage(o);
    }
    case StorageKind::kSqlite: {
      std::string path = sqlite_path(url);
      if (path.empty()) bad_url(url, "no file path after sqlite:");
      SqliteStorageOptions o;
      o.keep_journal = options.keep_journal;
      o.busy_timeout_ms = options.busy_timeout_ms;
      o.tenant = options.tenant;
      o.create_if_missing = options.create_if_missing;
      return make_sqlite_storage(path, o);
    }
    case StorageKind::kPostgres: {
      PostgresStorageOptions o;
      o.keep_journal = options.keep_journal;
      o.retry_total_ms = options.retry_total_ms;
      o.log = options.log;
      o.tenant = options.tenant;
      return postgres_backend(url).open(url, o);
    }
  }
  bad_url(url, "unknown storage");
}

}  // namespace omnivox
