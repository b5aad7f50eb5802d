// What `omnivox serve` keeps beside the engine's Storage, in the same database the storage URL
// names (tables omnivox_serve_tokens and omnivox_serve_campaigns; the memory URL keeps them in
// the process): the API's bearer tokens, stored as SHA-256 hashes, and the campaign files it
// serves with their run state.
//
// Thread-safety: every method may be called from several threads at once. Errors throw
// omnivox::Error(kStorage) naming the operation.
#ifndef OMNIVOX_SERVE_STORE_H_
#define OMNIVOX_SERVE_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnivox::serve {

/// What a token may do: kRead reads (the page, /metrics, events); kControl also changes things.
enum class Scope { kRead, kControl };
const char* to_string(Scope scope);
std::optional<Scope> scope_from_string(std::string_view name);

/// A stored token: never the token itself, only its SHA-256.
struct TokenRecord {
  std::string id;      ///< public handle (token list / revoke), 12 hex digits
  std::string tenant;  ///< the only tenant whose data the token reaches
  Scope scope = Scope::kRead;
  std::string sha256;  ///< lower-case hex SHA-256 of the token
  std::string label;
  std::string created_at;  ///< ISO 8601 UTC
  bool revoked = false;
};

/// A campaign served: its campaign file's JSON as given and its run state.
struct CampaignRecord {
  std::string tenant;
  std::string id;
  std::string file_json;
  std::string state;  ///< "idle", "running", "paused" or "stopped"
};

class ServeStore {
 public:
  virtual ~ServeStore() = default;
  virtual void put_token(const TokenRecord& token) = 0;
  /// Every token of every tenant, revoked ones included.
  virtual std::vector<TokenRecord> tokens() = 0;
  /// Marks a tenant's token revoked; false when the tenant has no token with that id.
  virtual bool revoke_token(std::string_view tenant, std::string_view id) = 0;
  /// Creates or replaces (tenant, id).
  virtual void put_campaign(const CampaignRecord& campaign) = 0;
  virtual std::vector<CampaignRecord> campaigns() = 0;
  virtual void delete_campaign(std::string_view tenant, std::string_view id) = 0;
};

/// The store of a storage URL (omnivox/storage_url.h): "memory" (in-process), "sqlite:PATH"
/// (created if missing), "postgres://..." or a libpq keyword string. Throws Error(kConfig) for a
/// bad URL, Error(kStorage) when the database cannot be opened.
std::unique_ptr<ServeStore> open_serve_store(const std::string& storage_url);

/// Lower-case hex SHA-256 (FIPS 180-4) of `data` (OpenSSL).
std::string sha256_hex(std::string_view data);

/// A new random token ("ovx_" + 48 hex digits, 192 bits from OpenSSL's RAND_bytes) and its
/// record (to store with put_token). The token is shown once; only its hash is kept.
struct NewToken {
  std::string token;
  TokenRecord record;
};
NewToken make_token(const std::string& tenant, Scope scope, const std::string& label);

}  // namespace omnivox::serve

#endif  // OMNIVOX_SERVE_STORE_H_
