#include "core/sip_loader.h"

#include <string>

#include "base/backend_library.h"

namespace omnivox {

const sip_library::SipBackend& sip_backend() {
#ifdef OMNIVOX_SIP_IN_CORE
  return *omnivox_sip_backend_v1();  // a static build: the backend is in this library
#else
  std::string why;
  const sip_library::SipBackend* backend = backend_library::load<sip_library::SipBackend>(
      sip_library::kSipLibrary, sip_library::kSipEntryPoint,
      reinterpret_cast<const void*>(&sip_backend),
      "install the omnivox sip component beside libomnivox, or link omnivox::sip",
      sip_library::kBackendAbi, why);
  if (backend == nullptr) throw Error(ErrorCode::kConfig, "SIP telephony: no SIP backend: " + why);
  return *backend;
#endif
}

}  // namespace omnivox
