// The core's side of libomnivox_phone (engine/phone_library.h): the loader, and the functions
// the importer, PhoneNormalizer and the queue generator call, forwarded to the library.
#include "engine/phone_library.h"

#include "base/backend_library.h"
#include "omnivox/import.h"

namespace omnivox {

const detail::PhoneBackend& detail::phone_backend() {
#ifdef OMNIVOX_PHONE_IN_CORE
  return *omnivox_phone_backend_v1();  // a static build: the library is in this one
#else
  std::string why;
  const PhoneBackend* backend = backend_library::load<PhoneBackend>(
      kPhoneLibrary, kPhoneEntryPoint, reinterpret_cast<const void*>(&phone_backend),
      "install the omnivox phone component beside libomnivox, or link omnivox::phone",
      kPhoneBackendAbi, why);
  if (backend == nullptr)
    throw Error(ErrorCode::kConfig, "phone numbers: no phone library: " + why);
  return *backend;
#endif
}

bool detail::normalize_phone(std::string_view raw, const std::string& region, bool fast_path,
                             PhoneScratch& s, std::string* out, std::string* reason) {
  return phone_backend().normalize(raw, region, fast_path, s, out, reason);
}

PhoneNormalizer::PhoneNormalizer(std::string default_region, bool fast_path)
    : default_region_(std::move(default_region)), fast_path_(fast_path) {
  for (char& c : default_region_) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (!detail::phone_backend().supported_region(default_region_)) {
    throw Error(ErrorCode::kConfig,
                "unknown region '" + default_region_ + "' (not a region libphonenumber knows)");
  }
}

std::optional<std::string> PhoneNormalizer::to_e164(std::string_view raw,
                                                    std::string* reason) const {
  raw = detail::trim(raw);
  if (raw.empty()) {
    if (reason) *reason = "empty";
    return std::nullopt;
  }
  thread_local detail::PhoneScratch scratch;
  std::string out;
  if (!detail::normalize_phone(raw, default_region_, fast_path_, scratch, &out, reason)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace omnivox
