// The simulator: a discrete-event model of the called population and of the agents, driving an
// Engine through the same Telephony interface a real backend implements, on a VirtualClock.
//
// World models:
//  - parametric: probabilities of live answer / machine / busy / no answer / invalid, and
//    ring-time, talk-time and wrap-up distributions (exponential, lognormal, fixed, empirical),
//    AMD delay and false-positive rate;
//  - replay: a real data set (e.g. the UCI Bank Marketing data): contact i is reached on attempt
//    number campaign_i (earlier attempts end as no-answer, busy or machine in configurable
//    shares), talks for duration_i seconds, and its agent disposition comes from y_i.
// Every random draw comes from one std::mt19937_64 seeded by SimulationOptions::seed, so a run is
// reproducible from its seed (with a VirtualClock). With a real clock (watching a simulation at
// wall-clock pace) timers fire on the clock's thread; an internal mutex keeps that safe.
#ifndef OMNIVOX_SIM_H_
#define OMNIVOX_SIM_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "omnivox/clock.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/telephony.h"

namespace omnivox {

/// A distribution of durations in seconds.
struct Distribution {
  enum class Kind { kFixed, kExponential, kLognormal, kEmpirical };
  Kind kind = Kind::kFixed;
  double mean_s = 0.0;              ///< fixed value, or the mean (exponential, lognormal)
  double sd_s = 0.0;                ///< lognormal standard deviation (of the value, not the log)
  std::vector<double> samples_s;    ///< empirical: drawn uniformly from these
  static Distribution fixed(double s) { return {Kind::kFixed, s, 0, {}}; }
  static Distribution exponential(double mean) { return {Kind::kExponential, mean, 0, {}}; }
  static Distribution lognormal(double mean, double sd) { return {Kind::kLognormal, mean, sd, {}}; }
  static Distribution empirical(std::vector<double> s) {
    return {Kind::kEmpirical, 0, 0, std::move(s)};
  }
  /// Draws one value (>= 0).
  double sample(std::mt19937_64& rng) const;
  /// The distribution's mean.
  double mean() const;
};

/// The parametric world: what happens when a number is dialed. Shares need not sum to 1; the
/// remainder of live + machine + busy + invalid is no-answer.
struct ParametricWorld {
  double p_live = 0.3;       ///< a person answers
  double p_machine = 0.1;    ///< an answering machine answers
  double p_busy = 0.05;
  double p_invalid = 0.01;   ///< the number is invalid (fails fast)
  Distribution answer_delay = Distribution::exponential(8.0);  ///< ring time before an answer
  Distribution busy_delay = Distribution::fixed(3.0);
  Distribution invalid_delay = Distribution::fixed(1.0);
  Distribution talk = Distribution::lognormal(180.0, 120.0);   ///< person's talk time
  double p_sale = 0.1;       ///< a talk ends in SALE (else NOT_INTERESTED)
};

/// The replay world: per contact external id, the real attempt number that reached the person,
/// the talk seconds and the outcome.
struct ReplayRecord {
  int reached_on_attempt = 1;  ///< campaign_i
  double talk_s = 0.0;         ///< duration_i
  bool success = false;        ///< y_i == yes
};
struct ReplayWorld {
  std::unordered_map<std::string, ReplayRecord> records;  ///< by Contact::external_id
  /// Shares of the ending of an attempt before the reaching one (normalised).
  double share_no_answer = 0.6;
  double share_busy = 0.2;
  double share_machine = 0.2;
  Distribution busy_delay = Distribution::fixed(4.0);
  /// Ring time of an attempt that reaches the person.
  Distribution answer_delay = Distribution::lognormal(9.0, 4.0);
  /// Loads the Bank Marketing CSV shape: columns id, campaign, duration, y (';' or ',').
  /// Throws Error(kIo/kConfig) naming file:line on a bad file.
  static ReplayWorld load_bank_csv(const std::string& path);
};

/// How the simulated world and agents behave.
struct SimulationOptions {
  std::uint64_t seed = 1;
  /// Exactly one of the two world models is used: replay if set, else parametric.
  ParametricWorld parametric;
  std::optional<ReplayWorld> replay;
  /// Delay from originate to the provider's "initiated". Default: 0.2 s.
  Distribution setup_delay = Distribution::fixed(0.2);
  /// Agent wrap-up after a talk. Default: fixed 10 s.
  Distribution wrap_up = Distribution::fixed(10.0);
  /// AMD decision delay after answer (only when the campaign asks for AMD). Default: 2.5 s.
  Distribution amd_delay = Distribution::fixed(2.5);
  /// AMD false positives: a person classified as MACHINE (counts as abandoned). Default: 0.
  double amd_false_positive = 0.0;
  /// AMD false negatives: a machine classified as HUMAN. Default: 0.
  double amd_false_negative = 0.0;
  /// Bridge delay (agent leg connects). Default: 0.
  Distribution bridge_delay = Distribution::fixed(0.0);
  /// How long a person waits in silence before hanging up (an abandon by the called party),
  /// if not bridged before the engine's hold window. Default: 30 s.
  Distribution patience = Distribution::fixed(30.0);
};

/// Simulated telephony plus simulated agents. Attach it to an Engine as its Telephony and its
/// EventListener (chain your own listener through `downstream`).
class Simulator final : public Telephony, public EventListenerWrapper {
 public:
  /// `clock` is usually a VirtualClock; any Clock works (a real one gives wall-clock pace).
  Simulator(SimulationOptions options, Clock* clock, EventListener* downstream = nullptr);
  ~Simulator() override;

  /// The engine whose agents this simulator plays (set before the engine starts dialing).
  void attach(Engine* engine) { engine_ = engine; }

  // Telephony
  void start(CallEventSink* sink) override { sink_ = sink; }
  void originate(const OriginateRequest& request) override;
  void hangup(CallId call) override;
  void bridge(CallId call, AgentId agent) override;
  void play(CallId call, const std::string& message) override;

  // EventListener: agents in WRAP_UP disposition their call after the wrap-up time.
  void on_agent_state(const AgentStateChange& change) override;

  /// Attempts originated so far.
  std::uint64_t originated() const { return originated_.load(); }

 private:
  struct SimCall;
  void emit(CallId call, CallEventKind kind, double delay_s, AmdResult amd = AmdResult::kNone,
            FailReason reason = FailReason::kNone);
  void end_call(SimCall& call, CallEventKind kind, double delay_s);

  SimulationOptions options_;
  Clock* clock_;
  std::recursive_mutex mutex_;
  Engine* engine_ = nullptr;
  CallEventSink* sink_ = nullptr;
  std::mt19937_64 rng_;
  std::atomic<std::uint64_t> originated_{0};
  std::unordered_map<CallId, std::unique_ptr<SimCall>> calls_;
  // Agent dispositions of bridged calls that ended, until their agent's wrap-up.
  std::unordered_map<CallId, Disposition> dispositions_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace omnivox

#endif  // OMNIVOX_SIM_H_
