// One campaign served by `omnivox serve`: its campaign file, the engine that runs it on the wall
// clock, the telephony its file names, and what the API, the event stream and /metrics read of
// it (agent states with the time they entered them, calls in flight, counters, histograms).
//
// Threading: the engine runs on a thread of its own (Engine::start). The listener's callbacks
// come on the engine's thread and take the runtime's mutex briefly; the API's threads read under
// the same mutex. Engine methods are thread-safe.
#ifndef OMNIVOX_SERVE_CAMPAIGN_H_
#define OMNIVOX_SERVE_CAMPAIGN_H_

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/twilio_webhook.h"
#include "serve/events.h"

namespace omnivox::serve {

/// The telephony side of a served campaign.
class CampaignBackend {
 public:
  virtual ~CampaignBackend() = default;
  virtual Telephony* telephony() = 0;
  /// The engine's listener; it forwards every callback the serve part wants (its interests) to
  /// the `downstream` listener it was made with.
  virtual EventListener* listener() = 0;
  /// The engine and its agents, before the engine starts.
  virtual void attach(Engine* engine, const std::vector<AgentId>& agents) {}
  /// The campaign started (true) or paused / stopped (false).
  virtual void set_running(bool running) {}
  /// About once a second.
  virtual void tick() {}
  /// No engine call from here on; before the engine is destroyed.
  virtual void detach() {}
  /// Telephony is up (readiness).
  virtual bool ready() const { return true; }
  /// A provider's webhook for this campaign (Twilio's, under /twilio/): true with `response`
  /// set when the backend takes webhooks. `url` is the public URL the provider requested.
  virtual bool webhook(const WebhookRequest& request, WebhookResponse& response) { return false; }
};

/// Where a backend is made: the campaign's engine clock, the listener its own listener forwards
/// to, the tenant's Storage (webhook deduplication) and the path under which its webhooks arrive
/// ("/twilio/<tenant>/<campaign>").
struct BackendContext {
  Clock* clock = nullptr;
  EventListener* downstream = nullptr;
  Storage* storage = nullptr;
  std::string webhook_path;
};

/// Makes the backend a campaign file names, before the engine is made: it may complete the file
/// (e.g. the messages its WAV files carry) and may keep a reference to it (the runtime's copy,
/// which outlives the backend). Throws omnivox::Error naming the field for a backend it cannot
/// make.
using BackendFactory =
    std::function<std::unique_ptr<CampaignBackend>(CampaignFile& file, const BackendContext&)>;

/// The backends of the library: the simulated world of the file's `simulation` section on the
/// context's clock (its agents disposition their calls after their wrap-up time), or Twilio
/// (credentials from the environment, webhooks at telephony.public_url + webhook_path). Throws
/// Error(kConfig) for the SIP backend (the tool's factory makes it) and missing credentials.
std::unique_ptr<CampaignBackend> make_backend(CampaignFile& file, const BackendContext& context);

/// Histogram in the Prometheus sense: cumulative counts per upper bound.
struct Histogram {
  static constexpr std::array<double, 10> kBounds = {0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30};
  std::array<std::uint64_t, kBounds.size()> counts{};
  std::uint64_t count = 0;
  double sum = 0;
  void observe(double seconds);
};

/// Per-agent facts the engine does not keep: when the current state began and why it paused.
struct AgentInfo {
  AgentId id = kNoAgent;
  std::string name;
  AgentState state = AgentState::kLoggedOut;
  TimePoint since{};
  std::string pause_reason;
};

/// What /metrics shows of a campaign, copied out under the runtime's lock.
struct CampaignMetrics {
  std::array<std::uint64_t, kDispositionCount> attempts_by_result{};
  std::array<std::uint64_t, 5> amd_verdicts{};  ///< index = AmdResult
  std::array<std::uint64_t, 7> fail_reasons{};  ///< index = FailReason
  std::array<std::uint64_t, kCallStateCount> calls_by_state{};
  std::array<std::uint64_t, 6> log_lines{};  ///< index = LogLevel, warnings and errors
  Histogram post_dial_delay;                 ///< DIALING → RINGING (or answer)
  Histogram connect_delay;                   ///< live answer → BRIDGED
};

class CampaignRuntime final : public EventListener {
 public:
  /// Makes the engine (started on its own thread, the campaign not started) on `storage`, with
  /// `lease_clock` for leases; adds the campaign and the file's agents (LOGGED_OUT). `speed`:
  /// the engine clock's pace (1 = wall clock). Throws omnivox::Error as the engine or the
  /// factory do.
  /// `tenant` names the webhook path of the campaign's backend.
  CampaignRuntime(CampaignFile file, std::string file_json, const std::string& tenant,
                  Storage* storage, const Clock* lease_clock, const BackendFactory& factory,
                  std::shared_ptr<EventJournal> journal, double speed,
                  std::shared_ptr<LogSink> log);
  /// Stops in order: the clock's timers, the engine's thread, the backend.
  ~CampaignRuntime() override;

  const std::string& id() const { return file_.campaign.id; }
  const CampaignFile& file() const { return file_; }
  std::string file_json() const;
  Engine& engine() { return *engine_; }
  bool ready() const { return backend_->ready(); }
  CampaignBackend& backend() { return *backend_; }

  /// "idle" (never started), "running", "paused" or "stopped".
  std::string state() const;
  void start();
  /// A campaign served again after a restart: "paused" or "stopped" as it was stored (nothing
  /// dials), "running" starts it.
  void restore(const std::string& stored_state);
  /// Stops launching calls (those in flight finish); stop() also logs the agents out.
  void pause();
  void stop();
  /// Replaces the campaign's configuration (same id and telephony backend); more agents in the
  /// new file are added.
  void update(CampaignFile file, std::string file_json);

  std::vector<AgentInfo> agents() const;
  /// Throws Error(kNotFound) for an agent of another campaign.
  AgentInfo agent(AgentId id) const;
  AgentId add_agent(const std::string& name);
  void set_agent_state(AgentId id, AgentState state, const std::string& reason);
  CampaignMetrics metrics() const;
  /// Calls in flight now (each holds its contact's lease).
  std::size_t calls_in_flight() const;

  /// Publishes a statistics event and ticks the backend; about once a second.
  void tick();

  // EventListener
  unsigned interests() const override { return kCallStates | kAgentStates | kAttemptsFinished; }
  void on_call_state(const CallStateChange& change) override;
  void on_agent_state(const AgentStateChange& change) override;
  void on_attempt_finished(const Attempt& attempt) override;

 private:
  struct CallTimes {
    CallState state = CallState::kQueued;
    TimePoint dialing{};
    TimePoint live{};
    bool rang = false;
  };
  class CountingLog;
  void publish_campaign_state();

  CampaignFile file_;
  std::string file_json_;
  std::shared_ptr<EventJournal> journal_;
  mutable std::mutex mutex_;
  std::string state_ = "idle";
  std::vector<AgentInfo> agents_;
  std::unordered_map<CallId, CallTimes> calls_;
  CampaignMetrics metrics_;
  std::shared_ptr<CountingLog> log_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<CampaignBackend> backend_;
  std::unique_ptr<Engine> engine_;
};

/// JSON of live statistics (the API's statistics and the events' ticks).
boost::json::object statistics_json(const CampaignStatistics& s, const CampaignFile& file);

}  // namespace omnivox::serve

#endif  // OMNIVOX_SERVE_CAMPAIGN_H_
