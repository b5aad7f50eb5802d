#include "serve/campaign.h"

#include <algorithm>

#include "omnivox/sim.h"
#include "omnivox/twilio.h"

namespace omnivox::serve {
namespace json = boost::json;

namespace {

class SimulatorBackend final : public CampaignBackend {
 public:
  SimulatorBackend(const CampaignFile& file, Clock* clock, EventListener* downstream)
      : sim_(file.simulation, clock, downstream) {}
  Telephony* telephony() override { return &sim_; }
  EventListener* listener() override { return &sim_; }
  void attach(Engine* engine, const std::vector<AgentId>&) override { sim_.attach(engine); }

 private:
  Simulator sim_;
};

double seconds_between(TimePoint a, TimePoint b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

// Twilio Programmable Voice: calls through the REST API, events from the webhooks the server
// routes here (TwilioWebhookHandler checks their signatures and deduplicates them in storage).
// The engine's agents join Twilio conferences (TwilioOptions::agent_conference_prefix).
class TwilioBackend final : public CampaignBackend {
 public:
  TwilioBackend(const CampaignFile& file, const BackendContext& c)
      : downstream_(c.downstream),
        public_url_(file.telephony.public_url),
        telephony_(options(file, c)),
        handler_(c.storage, &telephony_) {}
  ~TwilioBackend() override { telephony_.stop(); }
  Telephony* telephony() override { return &telephony_; }
  EventListener* listener() override { return downstream_; }
  bool webhook(const WebhookRequest& request, WebhookResponse& response) override {
    WebhookRequest r = request;
    r.url = public_url_ + request.url;  // the target as received: Twilio signed the public URL
    response = handler_.handle(r);
    return true;
  }

 private:
  static TwilioOptions options(const CampaignFile& file, const BackendContext& c) {
    TwilioOptions o;
    o.credentials = TwilioCredentials::from_environment();
    o.public_webhook_base_url = file.telephony.public_url + c.webhook_path;
    o.calls_per_second = file.telephony.calls_per_second;
    return o;
  }

  EventListener* downstream_;
  std::string public_url_;
  TwilioTelephony telephony_;
  TwilioWebhookHandler handler_;
};

std::unique_ptr<CampaignBackend> make_backend(CampaignFile& file, const BackendContext& c) {
  switch (file.telephony.backend) {
    case TelephonyConfig::Backend::kSimulator:
      break;
    case TelephonyConfig::Backend::kTwilio:
      return std::make_unique<TwilioBackend>(file, c);
    case TelephonyConfig::Backend::kSip:
      throw Error(ErrorCode::kConfig,
                  "field 'telephony.backend': \"sip\" is served by the omnivox tool only");
  }
  return std::make_unique<SimulatorBackend>(file, c.clock, c.downstream);
}

void Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++counts[i];
  }
  ++count;
  sum += seconds;
}

// Forwards log lines and counts warnings and errors (for /metrics).
class CampaignRuntime::CountingLog final : public LogSink {
 public:
  CountingLog(std::shared_ptr<LogSink> target, CampaignRuntime* owner)
      : target_(target ? std::move(target) : make_stderr_log_sink()), owner_(owner) {}
  void write(LogLevel level, std::string_view message) override {
    if (level >= LogLevel::kWarn && level < LogLevel::kOff) {
      std::lock_guard lock(owner_->mutex_);
      ++owner_->metrics_.log_lines[static_cast<int>(level)];
    }
    target_->write(level, message);
  }

 private:
  std::shared_ptr<LogSink> target_;
  CampaignRuntime* owner_;
};

CampaignRuntime::CampaignRuntime(CampaignFile file, std::string file_json,
                                 const std::string& tenant, Storage* storage,
                                 const Clock* lease_clock, const BackendFactory& factory,
                                 std::shared_ptr<EventJournal> journal, double speed,
                                 std::shared_ptr<LogSink> log)
    : file_(std::move(file)), file_json_(std::move(file_json)), journal_(std::move(journal)) {
  log_ = std::make_shared<CountingLog>(std::move(log), this);
  clock_ = make_system_clock(speed);
  backend_ = factory(file_, BackendContext{clock_.get(), this, storage,
                                           "/twilio/" + tenant + "/" + file_.campaign.id});
  EngineOptions options;
  options.lease_clock = lease_clock;
  options.journal_state_changes = false;  // the serve journal has them
  options.log_sink = log_;
  engine_ = std::make_unique<Engine>(options, storage, backend_->telephony(), clock_.get(),
                                     backend_->listener());
  engine_->add_campaign(file_.campaign);
  std::vector<AgentId> ids;
  for (int i = 0; i < file_.agents; ++i) {
    const bool sip = file_.telephony.backend == TelephonyConfig::Backend::kSip &&
                     i < static_cast<int>(file_.telephony.agents.size());
    ids.push_back(add_agent(sip ? file_.telephony.agents[i].id : "agent-" + std::to_string(i + 1)));
  }
  backend_->attach(engine_.get(), ids);
  apply_inbound(file_, *engine_, ids);  // the file's inbound queues, agents' skills, blending
  engine_->start(1);
}

CampaignRuntime::~CampaignRuntime() {
  clock_->stop();
  engine_->stop();
  backend_->detach();
  engine_.reset();
  backend_.reset();
  clock_.reset();
}

std::string CampaignRuntime::file_json() const {
  std::lock_guard lock(mutex_);
  return file_json_;
}

std::string CampaignRuntime::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void CampaignRuntime::publish_campaign_state() {
  std::string state = this->state();
  journal_->append(id(), "campaign",
                   json::serialize(json::object{{"campaign_id", id()}, {"state", state}}));
}

void CampaignRuntime::start() {
  engine_->start_campaign(id());
  {
    std::lock_guard lock(mutex_);
    state_ = "running";
  }
  backend_->set_running(true);
  publish_campaign_state();
}

void CampaignRuntime::restore(const std::string& stored_state) {
  if (stored_state == "running") return start();
  if (stored_state != "paused" && stored_state != "stopped") return;
  std::lock_guard lock(mutex_);
  state_ = stored_state;
}

void CampaignRuntime::pause() {
  engine_->stop_campaign(id());
  {
    std::lock_guard lock(mutex_);
    state_ = "paused";
  }
  backend_->set_running(false);
  publish_campaign_state();
}

void CampaignRuntime::stop() {
  engine_->stop_campaign(id());
  {
    std::lock_guard lock(mutex_);
    state_ = "stopped";
  }
  backend_->set_running(false);
  for (const AgentInfo& a : agents()) engine_->set_agent_state(a.id, AgentState::kLoggedOut);
  publish_campaign_state();
}

void CampaignRuntime::update(CampaignFile file, std::string file_json) {
  engine_->add_campaign(file.campaign);
  const int more = file.agents - file_.agents;
  {
    std::lock_guard lock(mutex_);
    file.simulation = file_.simulation;  // the running world stays as it was made
    file.telephony = file_.telephony;
    file_ = std::move(file);
    file_json_ = std::move(file_json);
  }
  for (int i = 0; i < more; ++i) add_agent("agent-" + std::to_string(agents().size() + 1));
}

std::vector<AgentInfo> CampaignRuntime::agents() const {
  std::lock_guard lock(mutex_);
  return agents_;
}

AgentInfo CampaignRuntime::agent(AgentId id) const {
  std::lock_guard lock(mutex_);
  for (const AgentInfo& a : agents_) {
    if (a.id == id) return a;
  }
  throw Error(ErrorCode::kNotFound,
              "agent " + std::to_string(id) + ": not in campaign " + file_.campaign.id);
}

AgentId CampaignRuntime::add_agent(const std::string& name) {
  AgentId agent = engine_->add_agent(id(), name);
  std::lock_guard lock(mutex_);
  agents_.push_back(AgentInfo{agent, name, AgentState::kLoggedOut, clock_->now(), {}});
  return agent;
}

void CampaignRuntime::set_agent_state(AgentId id, AgentState state, const std::string& reason) {
  agent(id);  // throws for another campaign's agent
  engine_->set_agent_state(id, state);
  std::lock_guard lock(mutex_);
  for (AgentInfo& a : agents_) {
    if (a.id == id) a.pause_reason = state == AgentState::kPaused ? reason : std::string();
  }
}

CampaignMetrics CampaignRuntime::metrics() const {
  std::lock_guard lock(mutex_);
  CampaignMetrics m = metrics_;
  for (const auto& [call, times] : calls_) ++m.calls_by_state[static_cast<int>(times.state)];
  return m;
}

std::size_t CampaignRuntime::calls_in_flight() const {
  std::lock_guard lock(mutex_);
  return calls_.size();
}

void CampaignRuntime::tick() {
  backend_->tick();
  if (state() != "running") return;
  CampaignStatistics s = engine_->statistics(id());
  journal_->append(id(), "statistics", json::serialize(statistics_json(s, file_)));
}

void CampaignRuntime::on_call_state(const CallStateChange& c) {
  {
    std::lock_guard lock(mutex_);
    if (is_terminal(c.to)) {
      calls_.erase(c.call_id);
    } else {
      CallTimes& t = calls_[c.call_id];
      t.state = c.to;
      if (c.to == CallState::kDialing) t.dialing = c.at;
      if ((c.to == CallState::kRinging || c.to == CallState::kAnswered) && !t.rang &&
          t.dialing != TimePoint{}) {
        t.rang = true;
        metrics_.post_dial_delay.observe(seconds_between(t.dialing, c.at));
      }
      if (c.to == CallState::kHuman) t.live = c.at;
      if (c.to == CallState::kBridged && t.live != TimePoint{}) {
        metrics_.connect_delay.observe(seconds_between(t.live, c.at));
      }
    }
  }
  json::object o{{"campaign_id", c.campaign_id}, {"call_id", c.call_id},
                 {"contact_id", c.contact_id},   {"from", to_string(c.from)},
                 {"to", to_string(c.to)},        {"at", format_utc(c.at)}};
  if (c.agent != kNoAgent) o["agent_id"] = c.agent;
  journal_->append(c.campaign_id, "call", json::serialize(o));
}

void CampaignRuntime::on_agent_state(const AgentStateChange& c) {
  {
    std::lock_guard lock(mutex_);
    for (AgentInfo& a : agents_) {
      if (a.id != c.agent) continue;
      a.state = c.to;
      a.since = c.at;
      if (c.to != AgentState::kPaused) a.pause_reason.clear();
    }
  }
  json::object o{{"campaign_id", c.campaign_id},
                 {"agent_id", c.agent},
                 {"from", to_string(c.from)},
                 {"to", to_string(c.to)},
                 {"at", format_utc(c.at)}};
  if (c.call_id != kNoCall) o["call_id"] = c.call_id;
  journal_->append(c.campaign_id, "agent", json::serialize(o));
}

void CampaignRuntime::on_attempt_finished(const Attempt& a) {
  std::lock_guard lock(mutex_);
  ++metrics_.attempts_by_result[static_cast<int>(a.disposition)];
  if (a.amd != AmdResult::kNone) ++metrics_.amd_verdicts[static_cast<int>(a.amd)];
  if (a.fail_reason != FailReason::kNone) ++metrics_.fail_reasons[static_cast<int>(a.fail_reason)];
}

json::object statistics_json(const CampaignStatistics& s, const CampaignFile& file) {
  json::object agents;
  for (int k = 0; k < kAgentStateCount; ++k) {
    agents[to_string(static_cast<AgentState>(k))] = s.agents_by_state[k];
  }
  json::object dispositions;
  for (int k = 1; k < kDispositionCount; ++k) {
    dispositions[to_string(static_cast<Disposition>(k))] = s.dispositions[k];
  }
  return json::object{{"campaign_id", s.campaign_id},
                      {"at", format_utc(s.at)},
                      {"agents_by_state", agents},
                      {"attempts", s.attempts},
                      {"attempts_in_flight", s.attempts_in_flight},
                      {"live_answers", s.live_answers},
                      {"machines", s.machines},
                      {"abandons", s.abandons},
                      {"connects", s.connects},
                      {"abandon_rate", s.abandon_rate},
                      {"abandon_rate_window", s.abandon_rate_window},
                      {"abandon_cap", file.campaign.compliance.abandon_cap},
                      {"occupancy", s.occupancy},
                      {"dial_level", s.dial_level},
                      {"talk_seconds", s.talk_seconds},
                      {"wrap_seconds", s.wrap_seconds},
                      {"logged_in_seconds", s.logged_in_seconds},
                      {"contacts_total", s.contacts_total},
                      {"contacts_final", s.contacts_final},
                      {"dial_queue_size", s.dial_queue_size},
                      {"dispositions", dispositions},
                      {"attempts_reconciled", s.attempts_reconciled},
                      {"completions_unsaved", s.completions_unsaved}};
}

}  // namespace omnivox::serve
