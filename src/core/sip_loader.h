// The SIP backend library (telephony/sip/sip_library.h) for the core's SIP users: the copy
// already in the process when the host linked omnivox::sip, else libomnivox_sip beside the
// loaded libomnivox / libomnivox_c, else one on the dynamic loader's path; only a library of this
// Omnivox version is accepted. A static build has the backend inside libomnivox.a.
#ifndef OMNIVOX_CORE_SIP_LOADER_H_
#define OMNIVOX_CORE_SIP_LOADER_H_

#include "telephony/sip/sip_library.h"

namespace omnivox {

/// The SIP backend, loaded at the first call. Throws Error(kConfig) "SIP telephony: no SIP
/// backend: ..." naming the library and every path tried, or the version found. Thread-safe.
const sip_library::SipBackend& sip_backend();

}  // namespace omnivox

#endif  // OMNIVOX_CORE_SIP_LOADER_H_
