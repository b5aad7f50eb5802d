#include "cli/sip_run.h"

#include <algorithm>
#include <cstdio>

#include "omnivox/amd.h"
#include "omnivox/sip_config.h"

namespace omnivox::cli {

void use_message_wavs(CampaignFile& file, const std::string& source) {
  auto check = [&](const std::string& path, const char* field) {
    try {
      read_wav_file(path);
    } catch (const Error& e) {
      throw Error(ErrorCode::kConfig,
                  source + ": field 'telephony." + field + "': cannot be played: " + e.what());
    }
  };
  if (!file.telephony.safe_harbor_wav.empty()) {
    check(file.telephony.safe_harbor_wav, "safe_harbor_wav");
    file.campaign.safe_harbor_message = file.telephony.safe_harbor_wav;
  }
  if (!file.telephony.voicemail_wav.empty()) {
    check(file.telephony.voicemail_wav, "voicemail_wav");
    file.campaign.voicemail_message = file.telephony.voicemail_wav;
  }
}

SipRun::SipRun(const CampaignFile& file) : file_(file) {
  SipOptions options = sip_options_for(file.telephony);
  options.on_agent_leg = [this](AgentId agent, bool up) { on_leg(agent, up); };
  // The inbound queues' numbers (and ids, which the engine accepts as numbers too) are answered.
  for (const InboundQueueConfig& queue : file.inbound) {
    options.inbound_numbers.push_back(queue.id);
    options.inbound_numbers.insert(options.inbound_numbers.end(), queue.numbers.begin(),
                                   queue.numbers.end());
  }
  telephony_ = std::make_unique<SipTelephony>(std::move(options));
}

SipRun::~SipRun() { telephony_.reset(); }

void SipRun::attach(Engine* engine, std::vector<AgentId> agents) {
  std::lock_guard lock(mutex_);
  agents_ = std::move(agents);
  leg_up_.assign(agents_.size(), false);
  last_dial_.assign(agents_.size(), std::chrono::steady_clock::time_point{});
  engine_ = engine;
}

void SipRun::set_shift(bool working) {
  working_ = working;
  Engine* engine = engine_;
  if (!engine) return;
  if (working) {
    {
      std::lock_guard lock(mutex_);
      shift_start_ = std::chrono::steady_clock::now();
      any_leg_up_ = false;
      warned_ = false;
    }
    dial(true);
  } else {
    // Out after their call; on_agent_state hangs the leg up once the agent is out.
    for (AgentId agent : agents_) engine->set_agent_state(agent, AgentState::kLoggedOut);
  }
}

void SipRun::tick() {
  if (!working_ || !engine_) return;
  dial(false);
  std::lock_guard lock(mutex_);
  if (any_leg_up_ || warned_ ||
      std::chrono::steady_clock::now() - shift_start_ < kSilentPhonesWarning) {
    return;
  }
  // Nothing is dialed without an agent: a run that only waits should say why.
  warned_ = true;
  std::string uris;
  for (const SipAgentConfig& agent : file_.telephony.agents) {
    uris += (uris.empty() ? "" : ", ") + agent.uri;
  }
  std::fprintf(stderr,
               "\nomnivox: no agent's phone has answered yet (%s); calling them again every "
               "%lld s\n",
               uris.c_str(), static_cast<long long>(kReconnectInterval.count()));
}

// Calls the phones whose leg is down (all with `all`, else those last called an interval ago).
// The backend is called outside the lock: its thread may be waiting on it to report a leg.
void SipRun::dial(bool all) {
  std::vector<std::size_t> due;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      if (leg_up_[i] || (!all && now - last_dial_[i] < kReconnectInterval)) continue;
      last_dial_[i] = now;
      due.push_back(i);
    }
  }
  for (std::size_t i : due) telephony_->connect_agent(agents_[i], file_.telephony.agents[i].uri);
}

int SipRun::agents_up() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count(leg_up_.begin(), leg_up_.end(), true));
}

void SipRun::detach() {
  std::lock_guard lock(mutex_);
  engine_ = nullptr;
}

void SipRun::on_leg(AgentId agent, bool up) {
  {
    std::lock_guard lock(mutex_);
    const auto it = std::find(agents_.begin(), agents_.end(), agent);
    if (it == agents_.end()) return;
    const auto index = static_cast<std::size_t>(it - agents_.begin());
    leg_up_[index] = up;
    any_leg_up_ = any_leg_up_ || up;
    // A phone lost is called again a full interval later: one that rejects at once is not
    // called in a loop.
    last_dial_[index] = std::chrono::steady_clock::now();
    // The engine is called under the lock, so detach() waits for the call to return.
    Engine* engine = engine_;
    if (!engine) return;
    if (!up || working_) {
      engine->set_agent_state(agent, up ? AgentState::kAvailable : AgentState::kLoggedOut);
      return;
    }
  }
  // Answered after the shift ended: the agent stays out.
  telephony_->disconnect_agent(agent);
}

void SipRun::on_agent_state(const AgentStateChange& change) {
  Engine* engine = engine_;
  if (!engine) return;
  if (change.to == AgentState::kWrapUp && change.call_id != kNoCall) {
    engine->set_disposition(change.call_id, Disposition::kCompleted);
  } else if (change.to == AgentState::kLoggedOut && !working_) {
    telephony_->disconnect_agent(change.agent);
  }
}

}  // namespace omnivox::cli
