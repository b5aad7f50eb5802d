// Research pacing policies (docs/architecture.md, Pacing), all behind PacingPolicy
// (omnivox/pacing.h): threshold, expected availability, VICIdial adaptive dial level, a PI feedback
// wrapper, an open-loop Poisson rate and the simulation-only oracle. Give one to a campaign with
// Engine::set_pacing_policy(). The abandon-rate governor (omnivox/compliance.h) sits above every
// one of them and clamps what they ask for; they need not enforce the cap themselves, but the
// adaptive ones aim at it (a share of PacingSnapshot::abandon_cap).
//
// Words used below: "free agents" = max(agents_idle - calls_waiting, 0) (a waiting live answer
// takes the next idle agent); "pending" = calls_pending (launched, not resolved yet).
//
// Measured rates: the snapshot counts live answers and abandons over the compliance profile's
// window. Policies that need counts over their own windows (VICIdial, PI) follow the increases
// of those counts from one decision to the next; when the profile's window is rolling (UK: 24 h)
// old answers leaving it while new ones arrive make them undercount slightly.
//
// Thread-safety: none; the engine calls a policy on its own thread only.
#ifndef OMNIVOX_POLICIES_H_
#define OMNIVOX_POLICIES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omnivox/pacing.h"
#include "omnivox/types.h"

namespace omnivox {

/// A policy with one tunable scalar that sets how hard it dials: raising the parameter never
/// makes the policy launch fewer calls in the same state. The PI wrapper (make_pi_policy) tunes
/// it.
class TunablePolicy : public PacingPolicy {
 public:
  /// The current value.
  virtual double parameter() const = 0;
  /// Sets the value, clamped to [parameter_min(), parameter_max()].
  virtual void set_parameter(double value) = 0;
  /// The smallest value the parameter takes (the most cautious end for most policies).
  virtual double parameter_min() const = 0;
  /// The largest value the parameter takes.
  virtual double parameter_max() const = 0;
};

// ---------------------------------------------------------------------------------------------
// 1. Threshold (Bell Canada / ContactCenters "DIALXFREE")

/// Every field states its default.
struct ThresholdOptions {
  /// kappa: lines per free agent, the tunable parameter, in [0, 10]. Default: 1.
  double k = 1.0;
  /// c: a constant number of lines added, in [-100, 100]. Default: 0.
  double c = 0.0;
  /// s: dial only when at least this many agents are free (0 = always). Default: 0.
  int min_free = 0;
};

/// Launches max(round(k * free + c) - pending, 0) when free >= s, else 0. The threshold form of
/// the Bell Canada dialer studied by Deslauriers, L'Ecuyer, Pichitlamken, Ingolfsson & Avramidis
/// (2007), "Markov chain models of a telephone call center with call blending", Computers &
/// Operations Research 34(6), and the DIALXFREE dialer policy of the ContactCenters simulation
/// library (Buist & L'Ecuyer, Universite de Montreal), which produces round(kappa N + c) calls
/// when N free agents reach the threshold s; here the calls already pending are subtracted so
/// that repeated decisions do not stack up. k = 1, c = 0 is progressive; k = 2 is DIAL2XFREE.
/// Tunable parameter: k. Throws Error(kConfig) for values outside the ranges above.
std::unique_ptr<TunablePolicy> make_threshold_policy(const ThresholdOptions& options = {});

/// POWER as a TunablePolicy: max(round(lines * free) - pending, 0); the tunable parameter is
/// `lines_per_agent` in [1, 10] (throws Error(kConfig) outside). Default: 2.
std::unique_ptr<TunablePolicy> make_tunable_power_policy(double lines_per_agent = 2.0);

// ---------------------------------------------------------------------------------------------
// 2. Expected availability (EIS style)

/// Every field states its default.
struct ExpectedAvailabilityOptions {
  /// W: the look-ahead window (s), the tunable parameter. Default: 5.
  double look_ahead_s = 5.0;
  /// W stays in [0, max_look_ahead_s]. Default: 60.
  double max_look_ahead_s = 60.0;
  /// Adapt W with the outer loop below (turn off when a PI wrapper tunes W). Default: true.
  bool adapt = true;
  /// Outer-loop target: abandon_cap x safety. Default: 0.8.
  double safety = 0.8;
  /// The outer loop acts at most once per this many new live answers. Default: 20.
  long adapt_every_live_answers = 20;
  /// W moves by this much (s) per outer-loop step. Default: 1.
  double step_s = 1.0;
  /// Empirical distributions are used once they hold this many samples (else exponential
  /// handle times / the mean live-answer probability). Default: 30.
  int min_samples = 30;
  /// Decide at least this often (the expectations change as time passes). Default: 1 s.
  Duration tick = std::chrono::seconds(1);
};

/// Launches the expected shortfall of agents over a look-ahead window W, divided by the
/// live-answer probability p (rounded; never negative):
///     expected free = free + sum over busy agents of P(H <= e + W | H > e)
///     expected live = sum over pending calls of P(live | not resolved after its elapsed r)
///     launch        = round((expected free - expected live) / p)
/// where e is the agent's elapsed handle time and H the handle time (hand-over to the end of
/// wrap-up): empirical from recent_handle_s when it holds >= min_samples samples, else
/// exponential with mean_handle_s (memoryless: 1 - exp(-W / mean)); an agent busy longer than
/// every sample also uses the exponential form. P(live | r) = p S_L(r) / (p S_L(r) + (1-p) S_O(r))
/// with S_L, S_O the empirical survival functions of recent_live_resolve_s and
/// recent_other_resolve_s (p itself when either holds fewer than min_samples samples).
/// Outer loop: every adapt_every_live_answers new live answers, W grows by step_s if the
/// measured abandon_rate is under abandon_cap x safety and shrinks by step_s if it is over.
/// Source: the expected-availability predictive dialer of US patent 5,640,445 (EIS
/// International, "Outbound call pacing method which statistically matches the number of calls
/// dialed to the number of available operators", 1997): agents are counted as available when
/// they are expected to finish within the time a new call takes to be answered.
/// Tunable parameter: W. Throws Error(kConfig) for a negative W, max, step, safety <= 0 or
/// adapt_every_live_answers < 1.
std::unique_ptr<TunablePolicy> make_expected_availability_policy(
    const ExpectedAvailabilityOptions& options = {});

// ---------------------------------------------------------------------------------------------
// 3. VICIdial adaptive dial level (the industry baseline)

/// VICIdial's adaptive dial methods: what happens when today's drop (abandon) rate is over the
/// limit.
enum class VicidialDropMethod {
  kHardLimit,  ///< ADAPT_HARD_LIMIT: dial level back to 1
  kAverage,    ///< ADAPT_AVERAGE: dial level halved (may briefly run over the limit)
  kTapered,    ///< ADAPT_TAPERED: dial level x calling_day_left (lenient early, strict late)
};

/// Every field states its default (VICIdial's own defaults where it has one).
struct VicidialOptions {
  /// What the dial level does over the drop limit (ADAPT_HARD_LIMIT, ADAPT_AVERAGE or
  /// ADAPT_TAPERED). Default: HARD_LIMIT.
  VicidialDropMethod method = VicidialDropMethod::kHardLimit;
  /// Starting dial level (auto_dial_level), in [1, max_level]. Default: 1.
  double initial_level = 1.0;
  /// adaptive_maximum_level, >= 1. Default: 3.
  double max_level = 3.0;
  /// adaptive_intensity, percent in [-40, 40]: positive values amplify rises and damp falls,
  /// negative the reverse. Default: 0.
  double intensity = 0.0;
  /// adaptive_dl_diff_target (agents): the target of (ready agents - waiting calls); -1 aims at
  /// one customer waiting, +1 at one agent waiting. Default: 0.
  double dl_diff_target = 0.0;
  /// adaptive_dropped_percentage as a fraction; 0 = the snapshot's abandon_cap. Default: 0.
  double drop_limit = 0.0;
  /// The day's drop rule applies only after more than this many attempts today. Default: 50.
  long min_calls_today = 50;
  /// Sampling period of ready agents / waiting calls. Default: 1 s.
  Duration sample_interval = std::chrono::seconds(1);
  /// Samples per dial-level update (VICIdial: 15, i.e. every 15 s). Default: 15.
  int samples_per_update = 15;
};

/// VICIdial's adaptive predictive dialing (AST_VDadapt.pl, the "ADAPT_*" dial methods; the
/// launch rule of AST_VDauto.pl), a re-implementation of the published algorithm.
/// Sampling: at most once per sample_interval (the policy asks to be called every
/// sample_interval), it records ready = agents_idle, waiting = calls_waiting and
/// agents = agents_idle + agents on a call (RESERVED or ON_CALL; VICIdial's READY + INCALL/QUEUE,
/// its "agents_calc" without available_only_ratio_tally: paused agents and agents in wrap-up,
/// which VICIdial shows as PAUSED while they disposition, do not count).
/// Update, every samples_per_update samples, with means over them:
///     m     = (mean ready - mean waiting + dl_diff_target) / mean agents
///     m'    = m (1 + intensity/100) if m >= 0, else m |intensity/100 - 1|
///     level = clamp(level (1 + m'), 1, max_level)
/// then the drop rules: if more than 20 attempts resolved in the last 60 s and more than half of
/// them were abandons, level /= 2; if more than min_calls_today attempts resolved today and
/// today's abandons / live answers exceed the limit, ADAPT_HARD_LIMIT sets level = 1,
/// ADAPT_AVERAGE halves it and ADAPT_TAPERED multiplies it by calling_day_left (VICIdial:
/// hours left to adaptive_latest_server_time / 10, capped at 1); finally level >= 1.
/// "Today" starts when calling_day_left rises (the campaign zone's midnight).
/// Launch: max(round(level x agents) - lines, 0) with lines = calls in progress = pending +
/// waiting + calls on an agent (RESERVED or ON_CALL) — VICIdial's vicidial_auto_calls rows in
/// SENT, RINGING, LIVE, XFER and CLOSER. At level 1 this is progressive.
/// Tunable parameter: the dial level itself, in [1, max_level] (the policy keeps adapting it).
/// Throws Error(kConfig) for options outside the ranges above.
std::unique_ptr<TunablePolicy> make_vicidial_policy(const VicidialOptions& options = {});

// ---------------------------------------------------------------------------------------------
// 4. PI feedback wrapper

/// Every field states its default.
struct PiOptions {
  /// Target abandon rate: abandon_cap x safety. Default: 0.8.
  double safety = 0.8;
  /// M: the measured rate is over the last M live answers. Default: 300.
  long window_live_answers = 300;
  /// Fewer live answers than this in the window (cold start): progressive pacing. Default: 50.
  long min_live_answers = 50;
  /// The controller acts once per this many new live answers. Default: 10.
  long update_every_live_answers = 10;
  /// Gains, in units of the parameter's range (max - min) per unit of relative error
  /// e = (target - measured) / target: parameter = start + range (kp e + ki sum e), clamped to
  /// the range; the integral term alone is kept within what reaches either end of the range
  /// (anti-windup), so the parameter comes off a limit as soon as the error changes sign.
  /// Defaults: kp 0.05, ki 0.02.
  double kp = 0.05;
  double ki = 0.02;  ///< integral gain (see kp). Default: 0.02.
};

/// Wraps a TunablePolicy and tunes its parameter so that the abandon rate over the last M live
/// answers tracks abandon_cap x safety (a discrete PI controller on the relative error, acting
/// every update_every_live_answers live answers; "start" is the inner policy's parameter when
/// wrapped). The inner policy is asked at every decision (so its own state stays current), but
/// while the window holds fewer than min_live_answers live answers (cold start) the wrapper
/// returns the progressive count max(free - pending, 0) instead, and afterwards never less than
/// it: progressive cannot abandon, so dialing under it only idles agents, and a parameter driven
/// to a value that launches nothing (threshold k = 0) cannot stall the campaign. Turn off the
/// inner policy's own adaptation (ExpectedAvailabilityOptions::adapt) when wrapping it.
/// Name: "pi(<inner>)".
/// Throws Error(kConfig) for a null inner policy or options out of range (counts < 1,
/// safety <= 0, negative gains).
std::unique_ptr<PacingPolicy> make_pi_policy(std::unique_ptr<TunablePolicy> inner,
                                             const PiOptions& options = {});

// ---------------------------------------------------------------------------------------------
// 5. Open-loop Poisson rate (research baseline)

/// Every field states its default.
struct OpenLoopOptions {
  /// lambda: attempts per second, > 0 and finite. Default: 1.
  double rate_per_s = 1.0;
  /// Seed of the policy's own std::mt19937_64. Default: 1.
  std::uint64_t seed = 1;
  /// Decide at least this often. Default: 100 ms.
  Duration tick = std::chrono::milliseconds(100);
};

/// Attempts as a Poisson process of rate lambda whatever the agents do: each decision launches
/// the number of arrivals since the previous decision, a Poisson(lambda x elapsed) draw (the
/// first decision launches none). Deterministic given the seed and the decision times. The
/// engine launches at most the dial queue's size; arrivals beyond it are dropped, not carried.
/// With every attempt a live answer, exponential talk, no wrap-up and no hold window this makes
/// the campaign an Erlang loss system (M/M/N/N). Throws Error(kConfig) for a bad rate or tick.
std::unique_ptr<PacingPolicy> make_open_loop_policy(const OpenLoopOptions& options = {});

// ---------------------------------------------------------------------------------------------
// 6. Oracle (simulation only)

/// What the future holds for one attempt in flight: an oracle's view (simulation only; no real
/// telephony can know this). See OutcomeForecaster::forecast().
struct CallForecast {
  /// The engine will see a live answer (HUMAN): a person, or an answering machine when the
  /// campaign does not use AMD (the engine treats every answer as a person then), or an AMD
  /// false negative. An AMD false positive (a person classified MACHINE) is not a live answer.
  bool live_answer = false;
  /// When the engine sees the attempt resolve: the live answer (after AMD when used), or the
  /// attempt's end (busy, no answer, invalid) or its AMD machine result.
  TimePoint resolves_at{};
  /// Seconds the call stays connected once bridged to an agent (live answers; 0 otherwise).
  double talk_s = 0.0;
};

/// The same for the next attempt(s) not originated yet, relative to their originate time.
struct OriginateForecast {
  bool live_answer = false;       ///< as CallForecast::live_answer
  double resolves_after_s = 0.0;  ///< originate → resolution (as CallForecast::resolves_at)
  double talk_s = 0.0;            ///< as CallForecast::talk_s
};

/// The future as only a simulation knows it, read by the oracle policy. The Simulator
/// (omnivox/sim.h) implements it; the pacing layer sees only this interface. Queries never change
/// what happens to calls already originated.
class OutcomeForecaster {
 public:
  virtual ~OutcomeForecaster() = default;
  /// The fate of an attempt in flight (originated and not ended), or nullopt if unknown.
  virtual std::optional<CallForecast> forecast(CallId call) const = 0;
  /// When a busy agent will be free again (end of the call plus the wrap-up), or nullopt if
  /// unknown.
  virtual std::optional<TimePoint> agent_free_at(AgentId agent) = 0;
  /// The fates of the next `n` attempts to be originated (in originate order), for a campaign
  /// with that ring timeout and AMD setting; peeking again returns the same ones until they are
  /// used.
  virtual std::vector<OriginateForecast> peek_next_originates(std::size_t n, Duration ring_timeout,
                                                              bool amd) = 0;
};

/// Every field states its default.
struct OracleOptions {
  /// The campaign's ring timeout and AMD setting (to foresee attempts not launched yet).
  /// Defaults: 25 s, false (CampaignConfig's defaults).
  Duration ring_timeout = std::chrono::seconds(25);
  bool amd = false;  ///< the campaign runs AMD (see ring_timeout). Default: false.
  /// A live answer may meet its agent up to this long after answering (<= the hold window).
  /// Default: 0 (an agent must be free when the person answers).
  double slack_s = 0.0;
  /// Attempts looked at per decision, at most. Default: 500.
  int max_lookahead = 500;
  /// Decide at least this often (the oracle launches a call when its answer will meet an
  /// agent, so finer ticks waste less agent time). Default: 200 ms.
  Duration tick = std::chrono::milliseconds(200);
};

/// The oracle: an upper bound on what any pacing policy can do, available only in simulation,
/// since it reads the future from an OutcomeForecaster (the Simulator: forecast, agent_free_at,
/// peek_next_originates). At each decision it knows when every busy agent will be free (end of
/// talk plus wrap-up), which pending attempts will be live answers and when, and the fates of
/// the next attempts it could launch. It matches live answers to agent free times greedily in
/// time order (each live answer takes the earliest agent free by then, as the engine does;
/// the matching is maximal) and launches the next attempts in originate order as long as each
/// live answer among them adds one to the matching, i.e. meets a free agent without taking one
/// that an earlier-launched live answer needs; it stops at the first live answer that would
/// not, so no call is abandoned unless unavoidable (an agent leaving, an unknown busy agent,
/// or the governor's clamp). Attempts that will not be live cost no agent time and are
/// launched up to the last accepted live answer. Conservative simplifications: an agent
/// matched to a future live answer is not reused later in the same plan, and a busy agent whose
/// free time the simulator does not know is never counted free. Requires the parametric world
/// (peek_next_originates throws with a replay world) and one campaign per simulator.
/// `forecaster` must outlive the policy. Throws Error(kInvalidArgument) for a null forecaster.
std::unique_ptr<PacingPolicy> make_oracle_policy(OutcomeForecaster* forecaster,
                                                 const OracleOptions& options = {});

}  // namespace omnivox

#endif  // OMNIVOX_POLICIES_H_
