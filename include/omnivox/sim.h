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
// wall-clock pace) timers fire on the clock's thread; an internal mutex keeps that safe, and
// stop() and the destructor wait for an event under way, so neither the engine nor the simulator
// is called after it is gone.
#ifndef OMNIVOX_SIM_H_
#define OMNIVOX_SIM_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "omnivox/clock.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/policies.h"
#include "omnivox/storage.h"
#include "omnivox/telephony.h"

namespace omnivox {

/// A distribution of durations in seconds.
struct Distribution {
  /// The family: FIXED, EXPONENTIAL, LOGNORMAL, EMPIRICAL or GAMMA.
  enum class Kind { kFixed, kExponential, kLognormal, kEmpirical, kGamma };
  Kind kind = Kind::kFixed;       ///< the family; default FIXED
  double mean_s = 0.0;            ///< fixed value, or the mean (exponential, lognormal, gamma)
  double sd_s = 0.0;              ///< lognormal, gamma: standard deviation (of the value)
  std::vector<double> samples_s;  ///< empirical: drawn uniformly from these
  static Distribution fixed(double s) { return {Kind::kFixed, s, 0, {}}; }
  static Distribution exponential(double mean) { return {Kind::kExponential, mean, 0, {}}; }
  static Distribution lognormal(double mean, double sd) { return {Kind::kLognormal, mean, sd, {}}; }
  /// Gamma with this mean and standard deviation: shape (mean / sd)^2, scale sd^2 / mean.
  static Distribution gamma(double mean, double sd) { return {Kind::kGamma, mean, sd, {}}; }
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
  double p_live = 0.3;      ///< a person answers
  double p_machine = 0.1;   ///< an answering machine answers
  double p_busy = 0.05;     ///< the line is busy
  double p_invalid = 0.01;  ///< the number is invalid (fails fast)
  Distribution answer_delay = Distribution::exponential(8.0);  ///< ring time before an answer
  Distribution busy_delay = Distribution::fixed(3.0);          ///< time to a busy signal (s)
  Distribution invalid_delay = Distribution::fixed(1.0);  ///< time to an invalid-number failure (s)
  Distribution talk = Distribution::lognormal(180.0, 120.0);  ///< person's talk time
  double p_sale = 0.1;  ///< a talk ends in SALE (else NOT_INTERESTED)
  /// From each instant on (UTC, ascending), p_live takes the paired value; the share it loses
  /// or gains goes to no-answer. Models a day whose answer rate changes (e.g. halves at noon).
  /// Default: none.
  std::vector<std::pair<TimePoint, double>> p_live_changes;
  /// p_live in force at t.
  double p_live_at(TimePoint t) const {
    double p = p_live;
    for (const auto& [from, value] : p_live_changes) {
      if (t >= from) p = value;
    }
    return p;
  }
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
  /// Share of the attempts before the reaching one that end unanswered (the three shares are
  /// normalised). Default: 0.6.
  double share_no_answer = 0.6;
  /// Share of the attempts before the reaching one that end busy. Default: 0.2.
  double share_busy = 0.2;
  /// Share of the attempts before the reaching one that an answering machine takes. Default: 0.2.
  double share_machine = 0.2;
  /// Time to a busy signal (s). Default: fixed 4 s.
  Distribution busy_delay = Distribution::fixed(4.0);
  /// Ring time of an attempt that reaches the person.
  Distribution answer_delay = Distribution::lognormal(9.0, 4.0);
  /// Loads the Bank Marketing CSV shape: columns id, campaign, duration, y, delimited by ';' or
  /// ',' (whichever the header holds more of; ';' on a tie). Read with libcsv as the contact
  /// importer reads CSV (RFC 4180: a quoted field may hold the delimiter, doubled quotes or a
  /// line break; spaces around an unquoted field are trimmed); blank lines are skipped and a
  /// delimiter that ends a row adds no field. Throws Error(kIo) when the file cannot be read,
  /// Error(kConfig) naming file:line and the reason on a bad line (a stray quote, a quote left
  /// open, a field count other than the header's, campaign/duration not numbers).
  static ReplayWorld load_bank_csv(const std::string& path);
};

/// Inbound calls to one dialled number: a Poisson process whose rate is constant in each period
/// and multiplied by a busyness factor B drawn once per simulator (Gamma with mean 1; Jongbloed &
/// Koole 2001, Deslauriers et al. 2007), so days differ more than Poisson alone. Every field
/// states its default.
struct InboundArrivals {
  /// The number the callers dial (a queue's number or id, InboundQueueConfig). Default: empty.
  std::string number;
  /// The callers' number shown to the engine. Default: "+15550199999".
  std::string from = "+15550199999";
  /// Consecutive periods from `start`: each (length, calls per hour). No arrivals after the last
  /// one. Default: none.
  std::vector<std::pair<Duration, double>> periods;
  /// When the first period starts; epoch = the clock's time when the simulator is built.
  /// Default: epoch.
  TimePoint start{};
  /// Shape of the busyness factor's Gamma(shape, 1 / shape) (variance 1 / shape); 0 = B is 1.
  /// Default: 0.
  double busyness_shape = 0.0;
  /// Talk time once an agent answers. Default: exponential, mean 180 s.
  Distribution service = Distribution::exponential(180.0);
  /// How long a caller waits for an agent before hanging up. Default: exponential, mean 300 s.
  Distribution patience = Distribution::exponential(300.0);
  /// Share of callers who hang up at once when they have to wait at all (balking). Default: 0.
  double balk_probability = 0.0;
};

/// How the simulated world and agents behave.
struct SimulationOptions {
  /// Seed of the one random generator every draw comes from: a run is reproducible from it.
  /// Default: 1.
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
  /// Inbound calls, one stream per dialled number (they reach the engine through
  /// CallEventSink::on_inbound_call; the agents' wrap-up after them is `wrap_up`). Default: none.
  /// Their call ids are kFirstInboundCallId plus an id the attached engine's Storage allocates
  /// (Storage::allocate_call_ids, a block at a time; an id left unused leaves a gap), so runs on
  /// one persistent storage never reuse an earlier run's ids and overwrite its records; with no
  /// engine attached they are kFirstInboundCallId, + 1, ... A call whose id storage cannot
  /// allocate (the database away) does not arrive.
  std::vector<InboundArrivals> inbound;
  /// Whether the engine treats the simulated calls as a carrier's that outlive its process
  /// (Telephony::calls_outlive_engine): true makes it record each attempt durably before the
  /// call starts, as with real telephony — what a crash test of that path needs. Default: false
  /// (the calls end with the process; the engine commits in larger groups).
  bool calls_outlive_engine = false;
};

/// Simulated telephony plus simulated agents. Attach it to an Engine as its Telephony and its
/// EventListener (chain your own listener through `downstream`).
class Simulator final : public Telephony, public EventListenerWrapper, public OutcomeForecaster {
 public:
  /// `clock` is usually a VirtualClock; any Clock works (a real one gives wall-clock pace). The
  /// clock must outlive the simulator, except that once stop() returned the clock may go first:
  /// a stopped simulator's destructor does not touch it.
  Simulator(SimulationOptions options, Clock* clock, EventListener* downstream = nullptr);
  /// Stops (see stop()): with a real clock it waits for an event being delivered on the clock's
  /// thread, so it must not run holding a lock the engine's event handling takes.
  ~Simulator() override;

  /// The engine whose agents this simulator plays (set before the engine starts dialing; the
  /// engine's destructor detaches it through stop()). Thread-safe.
  void attach(Engine* engine);

  // Telephony
  /// Sends events to `sink` from now on (again, after a stop()). Thread-safe.
  void start(CallEventSink* sink) override;
  /// Detaches the sink and the attached engine and drops every pending event and wrap-up: once
  /// it returns, the simulator calls neither again (it waits for a delivery under way on a real
  /// clock's thread, unless called from inside one), and calls originated later get no events.
  /// The Engine's destructor calls it. Must not be called holding a lock the engine's event
  /// handling takes. Thread-safe.
  void stop() override;
  void originate(const OriginateRequest& request) override;
  void hangup(CallId call) override;
  void bridge(CallId call, AgentId agent) override;
  void play(CallId call, const std::string& message) override;
  /// The call's AMD result, not delivered yet, is dropped, and its forecast() follows: a live
  /// answer resolved now, talking for its talk time (a machine's greeting). Thread-safe.
  void stop_amd(CallId call) override;
  /// SimulationOptions::calls_outlive_engine (default false: simulated calls end with the
  /// process that simulates them).
  bool calls_outlive_engine() const override;

  // EventListener: agents in WRAP_UP disposition their call after the wrap-up time.
  void on_agent_state(const AgentStateChange& change) override;
  /// Agent states (the simulated agents' wrap-ups), plus what the wrapped listener wants.
  unsigned interests() const override { return kAgentStates | EventListenerWrapper::interests(); }

  /// Attempts originated so far.
  std::uint64_t originated() const { return originated_.load(); }
  /// Inbound calls generated so far (SimulationOptions::inbound).
  std::uint64_t inbound_calls() const { return inbound_calls_.load(); }
  /// Each inbound stream's busyness factor, drawn when the simulator was built.
  std::vector<double> busyness() const;

  // ---- oracle queries (simulation only) ----
  // The oracle pacing policy (omnivox/policies.h) is an upper bound that only a simulation can
  // run: it reads the future from these. They never change what happens to calls already
  // originated. peek_next_originates() and agent_free_at() may draw random numbers ahead of time
  // (from the one seeded generator, so a run stays reproducible from its seed and the sequence
  // of queries); a run that never calls them draws exactly as before.

  /// The fate of an attempt in flight (originated and not ended), or nullopt if unknown.
  std::optional<CallForecast> forecast(CallId call) const override;
  /// When a busy agent will be free again (end of the call plus the wrap-up), or nullopt if the
  /// agent is not on a call bridged by this simulator. Draws the agent's wrap-up now if it was
  /// not drawn yet (it is then used when the wrap-up starts).
  std::optional<TimePoint> agent_free_at(AgentId agent) override;
  /// The fates of the next `n` attempts to be originated (in originate order), for a campaign
  /// with that ring timeout and AMD setting. Draws them now and keeps them for the next
  /// originate() calls, so peeking again returns the same ones until they are used. Parametric
  /// world only: throws Error(kState) with a replay world (there the fate depends on the contact,
  /// unknown until dialed). The draws are shared by every campaign on this simulator.
  std::vector<OriginateForecast> peek_next_originates(std::size_t n, Duration ring_timeout,
                                                      bool amd) override;

 private:
  struct SimCall;
  enum class Fate { kLive, kMachine, kBusy, kNoAnswer, kInvalid };
  // One attempt's random draws, before the campaign's ring timeout and AMD setting apply.
  struct Draws {
    double setup_s = 0;
    Fate fate = Fate::kNoAnswer;
    double ring_s = 0;  // answer, busy or invalid delay
    double talk_s = 0;  // live answers
    Disposition agent_disposition = Disposition::kNotInterested;
    double amd_u = 1.0;  // uniform draw deciding an AMD error (answered calls)
    double amd_delay_s = 0;
    double patience_s = 0;
  };
  // An agent's bridged call and wrap-up (call kNoCall: none; entries are reused, not erased).
  struct AgentPlan {
    CallId call = kNoCall;
    TimePoint talk_end{};
    std::optional<double> wrap_s;      // drawn ahead by agent_free_at(), or at wrap-up
    std::optional<TimePoint> free_at;  // known once the wrap-up started
    Disposition disposition = Disposition::kCompleted;  // the agent's, set when the call ends
    TimerId wrap_timer = 0;  // pending end of the wrap-up: set_disposition(call, disposition)
  };
  // Ends wrap-ups: the timer's key is the agent's id.
  struct WrapUpTimers final : TimerTarget {
    Simulator* simulator = nullptr;
    void on_timer(std::uint64_t key) override { simulator->end_wrap_up(static_cast<AgentId>(key)); }
  };
  WrapUpTimers wrap_up_timers_;
  void end_wrap_up(AgentId agent);
  // Forgets the agent's plan (it is free or gone), cancelling a pending wrap-up end.
  void clear_plan(AgentPlan& plan);
  Draws draw_parametric_ahead();
  OriginateForecast forecast_of(const Draws& d, Duration ring_timeout, bool amd) const;
  // A call event scheduled on the clock; its timer carries only (call, slot in SimCall::pending).
  struct PendingEvent {
    CallEventKind kind;
    std::uint32_t sequence;
    AmdResult amd;
    FailReason reason;
  };
  static constexpr int kEventSlotBits = 4;
  static constexpr std::size_t kEventSlots = std::size_t{1} << kEventSlotBits;
  // Schedules `kind` for `call` (with id `id`) `delay_s` seconds after `now`.
  void emit(SimCall& call, CallId id, TimePoint now, CallEventKind kind, double delay_s,
            AmdResult amd = AmdResult::kNone, FailReason reason = FailReason::kNone);
  void deliver(CallId call, std::size_t slot);
  // Fires a call's events: the timer's key is (call << kEventSlotBits | slot).
  struct EventTimers final : TimerTarget {
    Simulator* simulator = nullptr;
    void on_timer(std::uint64_t key) override {
      simulator->deliver(key >> kEventSlotBits, static_cast<std::size_t>(key & (kEventSlots - 1)));
    }
  };
  EventTimers event_timers_;
  void cancel_timers(SimCall& call);
  void end_call(SimCall& call, CallEventKind kind, double delay_s);

  SimulationOptions options_;
  Clock* clock_;
  // The simulator's lock (recursive: a handler may call back in); opaque so this header does not
  // carry the library's internal mutex type.
  struct Lock;
  std::unique_ptr<Lock> lock_;
  // Under the lock: the engine and sink events go to, and whether stop() detached them.
  Engine* engine_ = nullptr;
  CallEventSink* sink_ = nullptr;
  bool stopped_ = false;
  bool timers_set_ = false;  // a timer was set on the clock since the last stop()
  std::mt19937_64 rng_;
  std::atomic<std::uint64_t> originated_{0};
  // Live calls by id: a table indexed by id for the small, dense ids storages allocate, a map
  // beyond; ended calls' objects are kept for reuse.
  SimCall* find_call(CallId id) const;
  SimCall& insert_call(CallId id);
  void erase_call(CallId id);
  std::vector<std::unique_ptr<SimCall>> calls_dense_;  // [id - dense_base_]
  // Call ids below this ended (or live in calls_): the table slides forward as calls end, so a
  // long run does not keep a slot per call ever made.
  CallId dense_base_ = 0;
  std::unordered_map<CallId, std::unique_ptr<SimCall>> calls_;
  std::vector<std::unique_ptr<SimCall>> spare_calls_;
  // Attempts drawn ahead by peek_next_originates(), used by the next originate() calls.
  std::deque<Draws> ahead_;
  // Agents on a bridged call or in its wrap-up: when they will be free.
  std::unordered_map<AgentId, AgentPlan> agent_plans_;
  // Inbound streams: each one's busyness, next arrival timer and the time its process reached.
  struct InboundStream {
    double busyness = 1.0;
    TimePoint at{};
    TimerId timer = 0;
  };
  std::vector<InboundStream> inbound_;
  std::atomic<std::uint64_t> inbound_calls_{0};
  // Ids allocated from the engine's storage and not used yet, the next one last.
  std::vector<CallId> inbound_ids_;
  // The next inbound call's id, kNoCall when storage refused one.
  CallId next_inbound_id();
  void schedule_inbound(std::size_t stream);
  void inbound_arrival(std::size_t stream);
};

/// A whole simulated campaign rig, wired: in-process memory storage, a virtual clock starting at
/// `start`, a Simulator for `world` and an Engine over them (the simulator plays telephony and
/// agents). For tests, benchmarks and research scripts: build, add a campaign, contacts and
/// agents through engine(), start the campaign, then engine().run_for() / run_until_done().
/// Not thread-safe (like the virtual clock it drives).
class Simulation {
 public:
  /// Engine options for simulations: no journal of every state change, warnings and errors only.
  static EngineOptions quiet_engine_options();
  /// Memory storage options without the event journal (a simulation does not read it).
  static MemoryStorageOptions quiet_storage_options() {
    MemoryStorageOptions options;
    options.keep_journal = false;
    return options;
  }

  /// `downstream` (optional, not owned, must outlive the simulation) hears every event after
  /// the simulator (chained through Simulator's `downstream`).
  Simulation(SimulationOptions world, TimePoint start,
             EngineOptions engine_options = quiet_engine_options(),
             const MemoryStorageOptions& storage_options = quiet_storage_options(),
             EventListener* downstream = nullptr);
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// The rig's memory storage.
  Storage& storage() { return *storage_; }
  /// The rig's virtual clock (time moves only while the engine runs).
  VirtualClock& clock() { return clock_; }
  /// The rig's simulated telephony and agents.
  Simulator& simulator() { return simulator_; }
  Engine& engine() { return engine_; }
  /// Adds `count` agents named "agent-1".. to a campaign, AVAILABLE if `log_in`. Returns their ids.
  std::vector<AgentId> add_agents(const std::string& campaign_id, int count, bool log_in = true);

 private:
  std::unique_ptr<Storage> storage_;
  VirtualClock clock_;
  Simulator simulator_;
  Engine engine_;
};

}  // namespace omnivox

#endif  // OMNIVOX_SIM_H_
