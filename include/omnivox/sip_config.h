// The SIP backend configured by a campaign file's `telephony` section (omnivox/config.h), shared
// by every host that builds one from such a section: the C API's OMNIVOX_TELEPHONY_SIP, the
// Java binding's EngineConfig.sipJson and `omnivox run`.
#ifndef OMNIVOX_SIP_CONFIG_H_
#define OMNIVOX_SIP_CONFIG_H_

#include <memory>
#include <mutex>
#include <string>

#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/sip.h"

namespace omnivox {

/// SipOptions for a telephony section; credentials from OMNIVOX_SIP_USERNAME /
/// OMNIVOX_SIP_PASSWORD (SipCredentials::from_environment, which throws Error(kConfig) naming a
/// missing one). Loads libomnivox_sip if the process has none yet (Error(kConfig) naming the
/// paths tried when it is missing). The safe-harbor WAV, if any, is the default message (a
/// campaign's text message cannot be spoken). on_agent_leg and log_sink are left for the caller.
SipOptions sip_options_for(const TelephonyConfig& telephony);

/// The SIP telephony of an engine a host builds from a `telephony` section alone: a
/// SipTelephony whose agents' legs log the agents in (up: AVAILABLE) and out (down: LOGGED_OUT,
/// after their call).
class SipEngineBackend {
 public:
  /// `section_json` is a campaign file's `telephony` object (JSON text, comments allowed; its
  /// "backend" and "agents" keys are not used: agents connect with connect_agent()); `base_dir`
  /// resolves its WAV paths; `source` names the host's field in errors; `log_sink` receives the
  /// SIP stack's log lines (null = stderr). Throws Error(kConfig)
  /// "<source>: field 'telephony.x': reason", or Error(kIo) if the SIP address is taken.
  SipEngineBackend(const std::string& section_json, const std::string& base_dir,
                   const std::string& source, std::shared_ptr<LogSink> log_sink = nullptr);
  ~SipEngineBackend();
  SipEngineBackend(const SipEngineBackend&) = delete;
  SipEngineBackend& operator=(const SipEngineBackend&) = delete;

  /// The SIP telephony (from libomnivox_sip: calling its own functions, as opposed to the
  /// Telephony interface's, needs omnivox::sip linked).
  SipTelephony& telephony() { return static_cast<SipTelephony&>(*sip_); }
  /// The engine whose agents the legs log in and out. Before the engine starts.
  void attach(Engine* engine);
  /// No engine call after it returns (a call in progress is waited for). Before the engine is
  /// destroyed.
  void detach();

  /// SipTelephony::connect_agent for one of the attached engine's agents. Throws
  /// Error(kInvalidArgument) if `uri` is not "sip:...", Error(kNotFound) for an agent the engine
  /// does not have, Error(kState) when detached.
  void connect_agent(AgentId agent, const std::string& uri);
  /// SipTelephony::disconnect_agent, with the same agent checks.
  void disconnect_agent(AgentId agent);

 private:
  void on_leg(AgentId agent, bool up);
  void check_agent(AgentId agent);

  std::mutex mutex_;  // guards engine_ and the engine calls made from the SIP thread
  Engine* engine_ = nullptr;
  // A SipTelephony held as its interface, so that destroying it is a virtual call into
  // libomnivox_sip, which the core loads at run time (src/core/sip_loader.h). Last: its thread
  // may call on_leg until destroyed.
  std::unique_ptr<Telephony> sip_;
};

}  // namespace omnivox

#endif  // OMNIVOX_SIP_CONFIG_H_
