// Fuzz target: storage URLs (omnivox/storage_url.h) — telling the backend from the URL's form,
// masking its password for logs, and opening the memory backend.
//
// Input: the URL text. Checks what storage_url.h promises: storage_kind either names the backend
// the URL's prefix selects or throws Error(kConfig) whose message carries the masked URL;
// mask_storage_url never throws, and masking twice changes nothing; a "memory" URL opens an empty
// store, and an empty tenant is Error(kConfig). SQLite and PostgreSQL URLs are not opened: that
// would create files or connect to servers the input names.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "fuzz_check.h"
#include "omnivox/storage_url.h"

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string url(reinterpret_cast<const char*>(data), size);
  std::string masked;
  try {
    masked = omnivox::mask_storage_url(url);
    FUZZ_CHECK(omnivox::mask_storage_url(masked) == masked);
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  try {
    const omnivox::StorageKind kind = omnivox::storage_kind(url);
    if (url == "memory" || url == "memory:" || url == "memory://") {
      FUZZ_CHECK(kind == omnivox::StorageKind::kMemory);
    } else if (starts_with(url, "sqlite:")) {
      FUZZ_CHECK(kind == omnivox::StorageKind::kSqlite);
    } else {
      FUZZ_CHECK(kind == omnivox::StorageKind::kPostgres);
    }
    if (kind == omnivox::StorageKind::kMemory) {
      std::unique_ptr<omnivox::Storage> storage = omnivox::open_storage(url);
      FUZZ_CHECK(storage != nullptr);
      FUZZ_CHECK(storage->campaign_ids().empty());
      omnivox::StorageOpenOptions no_tenant;
      no_tenant.tenant.clear();
      try {
        (void)omnivox::open_storage(url, no_tenant);
        FUZZ_CHECK(!"an empty tenant was accepted");
      } catch (const omnivox::Error& e) {
        FUZZ_CHECK(e.code() == omnivox::ErrorCode::kConfig);
      }
    }
  } catch (const omnivox::Error& e) {
    FUZZ_CHECK(e.code() == omnivox::ErrorCode::kConfig);
    const std::string message = e.what();
    if (url.find('\0') != std::string::npos) {
      FUZZ_CHECK(message.find("a NUL byte at offset") != std::string::npos);
    } else {
      FUZZ_CHECK(message.find("'" + masked + "'") != std::string::npos);
    }
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  return 0;
}
