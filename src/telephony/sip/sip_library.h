// What libomnivox_sip hands the core. The SIP backend (libre, and the OpenSSL it brings) is a
// library of its own so that libomnivox and libomnivox_c need neither; the core's SIP users that
// do not link it (the C API's OMNIVOX_TELEPHONY_SIP, the Java binding) load it the first time a
// SIP engine is made (src/core/sip_loader.h), so they call it only through this table: the
// telephony itself through its virtual Telephony interface, the rest through the functions here.
#ifndef OMNIVOX_TELEPHONY_SIP_SIP_LIBRARY_H_
#define OMNIVOX_TELEPHONY_SIP_SIP_LIBRARY_H_

#include <memory>
#include <string>

#include "omnivox/sip.h"
#include "omnivox/telephony.h"
#include "omnivox/types.h"

namespace omnivox::sip_library {

/// Bumped when SipBackend's layout or meaning changes.
inline constexpr int kBackendAbi = 1;

/// The SIP backend's entry points, same contracts as in omnivox/sip.h.
struct SipBackend {
  int abi;              ///< kBackendAbi of the build that made the library
  const char* version;  ///< OMNIVOX_VERSION_STRING of that build
  /// A SipTelephony (as its Telephony interface: the caller never names its destructor).
  std::unique_ptr<Telephony> (*make)(SipOptions options);
  /// SipCredentials::from_environment.
  SipCredentials (*credentials_from_environment)();
  /// SipTelephony::connect_agent / disconnect_agent of a telephony `make` returned.
  void (*connect_agent)(Telephony& sip, AgentId agent, const std::string& uri);
  void (*disconnect_agent)(Telephony& sip, AgentId agent);
};

/// The library's file name (its SONAME) and its entry point's symbol.
inline constexpr const char* kSipLibrary = "libomnivox_sip.so.0";
inline constexpr const char* kSipEntryPoint = "omnivox_sip_backend_v1";

}  // namespace omnivox::sip_library

/// Defined by libomnivox_sip (src/telephony/sip/sip_library.cc); never null.
extern "C" const omnivox::sip_library::SipBackend* omnivox_sip_backend_v1();

#endif  // OMNIVOX_TELEPHONY_SIP_SIP_LIBRARY_H_
