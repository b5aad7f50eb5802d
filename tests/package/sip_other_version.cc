// A stand-in for libomnivox_sip from another Omnivox release: its entry point reports another
// version, so the core must refuse it (tests/package/backend_libraries_test.sh). It makes nothing.
#include "telephony/sip/sip_library.h"

extern "C" const omnivox::sip_library::SipBackend* omnivox_sip_backend_v1() {
  static const omnivox::sip_library::SipBackend backend{
      omnivox::sip_library::kBackendAbi, "0.0.0-other", nullptr, nullptr, nullptr, nullptr};
  return &backend;
}
