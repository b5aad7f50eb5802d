// What libomnivox_phone hands the core. The code that calls libphonenumber (E.164 normalisation,
// phone_fast_path.cc, and the offline geocoder that names a US number's state) is a library of
// its own, so that libomnivox and libomnivox_c need neither libphonenumber nor the protobuf, ICU
// and geocoding libraries it brings; the core loads it the first time a number is normalised, a
// region checked or a NANP number's state looked up (phone_library.cc).
#ifndef OMNIVOX_ENGINE_PHONE_LIBRARY_H_
#define OMNIVOX_ENGINE_PHONE_LIBRARY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/phone_fast_path.h"

namespace omnivox::detail {

/// Bumped when PhoneBackend's layout or meaning changes.
inline constexpr int kPhoneBackendAbi = 1;

/// The phone library's entry points.
struct PhoneBackend {
  int abi;              ///< kPhoneBackendAbi of the build that made the library
  const char* version;  ///< OMNIVOX_VERSION_STRING of that build
  /// normalize_phone (phone_fast_path.h), same contract.
  bool (*normalize)(std::string_view raw, const std::string& region, bool fast_path,
                    PhoneScratch& s, std::string* out, std::string* reason);
  /// Whether libphonenumber knows ISO 3166-1 region `region` (upper case).
  bool (*supported_region)(const std::string& region);
  /// The offline geocoder's English description of +1 `national_number` ("Texas", "Ontario",
  /// "San Antonio, TX", ...), "" when it has none.
  std::string (*nanp_description)(std::uint64_t national_number);
};

/// The library's file name (its SONAME) and its entry point's symbol.
inline constexpr const char* kPhoneLibrary = "libomnivox_phone.so.0";
inline constexpr const char* kPhoneEntryPoint = "omnivox_phone_backend_v1";

/// The phone library, loaded at the first call: the copy in the process (a host that linked
/// omnivox::phone), else the one beside the loaded libomnivox / libomnivox_c, else one on the
/// loader's path; only one of this version. Throws Error(kConfig) "phone numbers: no phone
/// library: ..." naming the paths tried. A static build has it inside libomnivox.a. Thread-safe.
const PhoneBackend& phone_backend();

}  // namespace omnivox::detail

/// Defined by libomnivox_phone (phone_fast_path.cc); never null.
extern "C" const omnivox::detail::PhoneBackend* omnivox_phone_backend_v1();

#endif  // OMNIVOX_ENGINE_PHONE_LIBRARY_H_
