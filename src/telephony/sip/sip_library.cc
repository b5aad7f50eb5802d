#include "telephony/sip/sip_library.h"

#include "omnivox/version.h"

namespace omnivox::sip_library {
namespace {

std::unique_ptr<Telephony> make(SipOptions options) {
  return std::make_unique<SipTelephony>(std::move(options));
}

// `sip` is always one `make` returned: the core holds no other SIP telephony.
void connect_agent(Telephony& sip, AgentId agent, const std::string& uri) {
  static_cast<SipTelephony&>(sip).connect_agent(agent, uri);
}

void disconnect_agent(Telephony& sip, AgentId agent) {
  static_cast<SipTelephony&>(sip).disconnect_agent(agent);
}

constexpr SipBackend kBackend{kBackendAbi,    OMNIVOX_VERSION_STRING,
                              &make,          &SipCredentials::from_environment,
                              &connect_agent, &disconnect_agent};

}  // namespace
}  // namespace omnivox::sip_library

extern "C" const omnivox::sip_library::SipBackend* omnivox_sip_backend_v1() {
  return &omnivox::sip_library::kBackend;
}
