// The SIP backend of `omnivox run`: the campaign file's `telephony` section turned into a
// SipTelephony, the agents' phones connected at their shift start, and the dispositions a person
// at a phone has no way to give.
//
// Agents: each agent is the phone listed in `telephony.agents` (engine name = its id). At the
// shift start the backend calls every phone and keeps the leg up (SipTelephony::connect_agent);
// a leg that comes up logs the agent in (AVAILABLE), a leg that goes down logs it out. A phone
// that did not answer, or whose leg dropped, is called again every kReconnectInterval while the
// shift lasts. At the shift end the agents are logged out (after their call) and their legs hung
// up.
//
// Inbound: the numbers and ids of the file's `inbound` queues are the SIP backend's inbound
// numbers (SipOptions::inbound_numbers): callers to them are answered and queued by the engine,
// and the agents with the queue's skill take them on their nailed-up legs.
//
// Dispositions: a phone has no disposition keys, so a bridged call the customer or the agent
// hangs up is recorded COMPLETED as soon as the agent enters wrap-up. A host that wants agents'
// dispositions (SALE, CALLBACK, ...) embeds the engine and calls Engine::set_disposition itself.
//
// Threading: on_agent_leg arrives on the SIP thread and on_agent_state on the engine's thread;
// Engine methods are thread-safe. detach() before the engine is destroyed.
#ifndef OMNIVOX_CLI_SIP_RUN_H_
#define OMNIVOX_CLI_SIP_RUN_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/sip.h"

namespace omnivox::cli {

/// Checks the telephony section's WAV files can be played (read_wav_file) and makes them the
/// campaign's safe-harbor and voicemail messages. Throws Error(kConfig) "source: field
/// 'telephony.x': reason".
void use_message_wavs(CampaignFile& file, const std::string& source);

class SipRun final : public EventListener {
 public:
  /// How often a phone whose leg is down is called again during its shift.
  static constexpr std::chrono::seconds kReconnectInterval{10};
  /// How long into a shift with no phone answered before the run says so.
  static constexpr std::chrono::seconds kSilentPhonesWarning{15};

  /// Binds the SIP socket (throws Error(kIo) if the address is taken, Error(kConfig) for a bad
  /// setting, naming it).
  explicit SipRun(const CampaignFile& file);
  ~SipRun() override;

  Telephony* telephony() { return telephony_.get(); }
  SipTelephony& sip() { return *telephony_; }

  /// The engine and its agents, in the order of `telephony.agents`. Before the engine starts.
  void attach(Engine* engine, std::vector<AgentId> agents);
  /// Shift start (true): calls every agent's phone; shift end (false): logs the agents out (their
  /// legs are hung up once they are out, after their call).
  void set_shift(bool working);
  /// Calls again the phones whose leg is down, at most every kReconnectInterval, and says so on
  /// stderr once if no phone has answered kSilentPhonesWarning into the shift. From the run's
  /// loop.
  void tick();
  /// Agents whose leg is up now.
  int agents_up() const;
  /// No engine call from here on (the SIP thread may still report legs). Before the engine is
  /// destroyed.
  void detach();

  unsigned interests() const override { return kAgentStates; }
  void on_agent_state(const AgentStateChange& change) override;

 private:
  void on_leg(AgentId agent, bool up);
  void dial(bool all);

  const CampaignFile& file_;
  std::atomic<Engine*> engine_{nullptr};
  std::vector<AgentId> agents_;
  mutable std::mutex mutex_;  // guards the vectors below and engine calls from the SIP thread
  std::vector<bool> leg_up_;
  std::vector<std::chrono::steady_clock::time_point> last_dial_;
  std::atomic<bool> working_{false};
  std::chrono::steady_clock::time_point shift_start_{};
  bool any_leg_up_ = false;  // since the shift started
  bool warned_ = false;
  std::unique_ptr<SipTelephony> telephony_;  // last: its thread may call on_leg until destroyed
};

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_SIP_RUN_H_
