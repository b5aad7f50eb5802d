#include "omnivox/sip_config.h"

#include "core/sip_loader.h"

namespace omnivox {

SipOptions sip_options_for(const TelephonyConfig& t) {
  SipOptions o;
  o.listen = t.listen;
  o.trunk = t.trunk;
  o.credentials = sip_backend().credentials_from_environment();
  o.rtp_port_min = t.rtp_port_min;
  o.rtp_port_max = t.rtp_port_max;
  o.calls_per_second = t.calls_per_second;
  o.max_queue_wait = seconds_to_duration(t.max_queue_wait_s);
  o.options_interval = seconds_to_duration(t.options_interval_s);
  o.keep_plus_in_request_uri = t.keep_plus_in_request_uri;
  o.user_agent = t.user_agent;
  o.amd = t.amd;
  o.default_message_wav = t.safe_harbor_wav;
  return o;
}

SipEngineBackend::SipEngineBackend(const std::string& section_json, const std::string& base_dir,
                                   const std::string& source, std::shared_ptr<LogSink> log_sink) {
  // Read as the `telephony` section of a campaign file, so its keys, ranges and error messages
  // are the campaign file's (the line break ends a trailing // comment).
  const CampaignFile file =
      parse_campaign_json("{\"telephony\": " + section_json + "\n}", base_dir, source);
  if (file.telephony.trunk.empty()) {
    throw Error(ErrorCode::kConfig, source + ": field 'telephony.trunk': is required");
  }
  SipOptions options = sip_options_for(file.telephony);
  options.on_agent_leg = [this](AgentId agent, bool up) { on_leg(agent, up); };
  if (log_sink) options.log_sink = std::move(log_sink);
  sip_ = sip_backend().make(std::move(options));
}

SipEngineBackend::~SipEngineBackend() { sip_.reset(); }

void SipEngineBackend::attach(Engine* engine) {
  std::lock_guard lock(mutex_);
  engine_ = engine;
}

void SipEngineBackend::detach() {
  std::lock_guard lock(mutex_);
  engine_ = nullptr;
}

void SipEngineBackend::check_agent(AgentId agent) {
  std::lock_guard lock(mutex_);
  if (engine_ == nullptr) throw Error(ErrorCode::kState, "the SIP backend has no engine");
  engine_->agent_state(agent);  // Error(kNotFound) for an agent the engine does not have
}

void SipEngineBackend::connect_agent(AgentId agent, const std::string& uri) {
  if (!uri.starts_with("sip:") || uri.size() == 4) {
    throw Error(ErrorCode::kInvalidArgument, "uri '" + uri + "' is not a SIP URI (sip:user@host)");
  }
  check_agent(agent);
  sip_backend().connect_agent(*sip_, agent, uri);
}

void SipEngineBackend::disconnect_agent(AgentId agent) {
  check_agent(agent);
  sip_backend().disconnect_agent(*sip_, agent);
}

void SipEngineBackend::on_leg(AgentId agent, bool up) {
  std::lock_guard lock(mutex_);
  if (engine_ == nullptr) return;
  try {
    engine_->set_agent_state(agent, up ? AgentState::kAvailable : AgentState::kLoggedOut);
  } catch (const Error&) {
    // Not one of the engine's agents: a leg the host connected for an id it never added.
  }
}

}  // namespace omnivox
