// The optimum reference for predictive pacing: the best long-run occupancy any dialer can reach
// under the researchers' stylised model, subject to an abandon-rate cap. Pacing policies
// (omnivox/pacing.h) are judged against it in simulation.
//
// Model (continuous time, all times in seconds):
//  * N agents; state (b, d) = (busy agents, attempts in flight).
//  * Each attempt in flight resolves at rate 1/attempt_mean_s. With probability p_live it is a
//    live answer: connected to a free agent if b < N (a "connect", b -> b+1), otherwise
//    abandoned at once (no hold window, no queue). Otherwise it is a failure and just ends.
//  * Each busy agent finishes at rate 1/handle_mean_s (exponential handle time incl. wrap-up).
//  * At every transition epoch the dialer may launch any number of new attempts, instantly:
//    the action is a target in-flight level T >= d (T <= max_in_flight); ringing attempts
//    cannot be cancelled. The continuous-time chain then evolves from the post-decision state
//    (b, T). (Nothing changes between events, so deciding only at events loses nothing.)
//  * Objective: maximise the long-run connect rate (equivalently occupancy E[b]/N, since
//    connects/s = E[b]/handle_mean_s) subject to abandons / live answers <= abandon_cap.
//
// Method: constrained MDP via a Lagrangian. For a penalty lambda per abandon (reward 1 per
// connect) the unconstrained average-reward problem is solved by policy iteration over the
// POST-decision states (the physical state between events): evaluate a policy exactly, make it
// greedy in every pre-decision state (b, d) (the target T >= d with the largest relative value;
// the current one is kept unless another is strictly better), repeat until nothing changes
// (Howard; Puterman, Markov Decision Processes, s. 8.6). The evaluation needs no iteration: a
// natural move from (b, d) keeps b + d (connect) or lowers it (failure, abandon, call end), and
// only a top-up raises it, always onto a "landing" state, (b, T(b)) for a threshold policy. One
// pass over the states in order of b + d writes each relative value as an affine function of
// the gain and the N + 1 landing states' values (coefficients: the probabilities of the landing
// state reached first, the expected time and rewards until then), and a dense solve of the
// landing states' own equations finishes it. The same pass carries the long-run averages a
// policy is judged by (connects, abandons, busy agents, attempts in flight, time at the cap), so
// policy statistics are exact too, not estimated from a value function or a power iteration.
// Rewards are counted per event (connect or abandon), so the gain is a rate per second. The
// ratio constraint is linear in the long-run rates, (1 - cap) A - cap C <= 0, so penalising
// abandons alone with lambda in [0, (1 - cap) / cap] covers every multiplier. The search over
// lambda keeps a bracket [lambda_lo, lambda_hi] whose optimal deterministic policies violate /
// satisfy the cap, stepping to the crossing of their Lagrangian lines C - lambda A (bisection as
// fallback) until no third policy beats both there by more than the tolerance; each Lagrangian
// problem's policy iteration starts from the previous problem's policy, so it takes a few
// evaluations. The optimum then time-shares the two bracketing policies: weight w on the
// feasible one, with w chosen on the RATES (w A1 + (1-w) A2 = cap (w L1 + (1-w) L2)), so the
// mixed abandon ratio equals the cap exactly; mixing the ratios themselves would be wrong.
//
// The solver does not assume the "launch up to T(b)" form; it checks it on the solved relative
// values (h(b, .) must not rise beyond the chosen target) and reports it in threshold_form.
//
// Cost (one core, RelWithDebInfo, attempts 20 s, handling 120 s, cap 3 %): at tolerance 1e-9,
// p_live = 0.25: N = 10 ~1 ms, N = 50 ~20 ms, N = 200 ~0.5 s; p_live = 0.1: N = 100 ~0.2 s;
// at tolerance 1e-3, p_live = 0.25: N = 500 ~15 s, N = 700 ~45 s; p_live = 0.001: N = 10
// ~0.3 s, N = 50 ~16 s. A policy evaluation costs ~(N + 70) x 0.5 ns per state, over
// (N + 1)(D + 1) states with D ~ N (attempt/handle) / p, and a solve takes 20-180 of them (more
// for small p_live); the time scales and the tolerance matter little (the
// evaluation is exact; the tolerance only ends the multiplier search). So that every accepted
// model solves within about a minute and a few hundred MB, the solve is refused up front (before
// anything is allocated) beyond kOptimumMaxStates states, an in-flight cap of
// kOptimumMaxInFlight or kOptimumMaxWork estimated operations (states x (N + 71) x 120
// evaluations).
//
// Hold window (hold_window_s = H > 0): a live answer that finds every agent busy waits for one,
// served nearest-deadline first, and is abandoned when H runs out. The state is (b, queue, d),
// where the queue (only at b = N) is the multiset of the waiting calls' patience phases: each
// call's patience is Erlang(k, k / H) (mean H, the phase-type stand-in for the fixed window;
// CV 1 / sqrt(k)), and at most W calls wait (a live answer finding W waiting is abandoned at
// once), C(k + W, W) configurations. A connect is counted when an agent takes the call, an
// abandon when its last phase ends. The same exact evaluation applies with the layer
// b + q + d: a live answer joining the queue or a phase ending short of the last keeps it,
// towards a higher-numbered queue configuration, and every other move lowers it; so an
// evaluation costs ~R + 6 per state over R (D + 1) states, R = N + C(k + W, W), and a dense
// solve of R + 1 unknowns. Erlang phases make the patience more variable than the fixed window
// (a waiting call is served a little less often), so the optimum rises with k towards the fixed
// window's: at N = 5, p_live 0.45, attempts 15.8 s, handling 121.7 s, H = 2 s, occupancy
// 0.815831 (k = 1), 0.815934 (k = 8), 0.815941 (k = 16), ~0.81595 extrapolated (tests
// OptimumHoldWindow.*): k = 8, the default, is within ~2e-5. As H -> 0 the optimum tends to the
// stylised one (0.813043 there; 0.813045 at H = 1 ms). The targets reported (feasible_target)
// are those with nobody waiting; the solved policy also sets one per queue configuration.
// With abandon_cap = 0 no call may ever wait (it could be abandoned), so the stylised
// progressive solution below applies unchanged.
//
// Answering-machine detection (amd_mean_s > 0): an attempt rings for an
// exponential time of mean attempt_mean_s; with probability answered_share it is answered and
// spends an exponential classification time of mean amd_mean_s before it is handed to an agent
// (probability p_live / answered_share: a person, or a machine taken for one) or hung up as a
// machine (a machine, or a person taken for one). The dialer sees which attempts are ringing
// and which are in classification, so the state is (b, c, d): c calls in classification, d
// ringing, at most C in classification (an answer arriving with C classifying is hung up
// unclassified; C grows while that has any weight). Without a hold window a person classified
// while every agent is busy is abandoned at once. The abandon rate is the one a compliance profile
// that counts AMD false positives computes: (abandons + counted_abandons_per_machine x machine
// results) / live answers. The same exact evaluation applies with the layer b + c + d: a ringing
// call answered (c + 1, d - 1) and a classified person taking an agent (b + 1, c - 1) keep it,
// towards a row of larger (b + c, b), and every other move lowers it; the rows are the
// (N + 1)(C + 1) pairs (b, c), the landing states one per pair. A threshold policy over the
// calls not yet resolved (ringing or classifying: the engine's pending calls), "launch up to
// T(b) - d - c", is a policy of this model (evaluate_threshold_policy); the solved one may
// also use c. With amd_mean_s -> 0 the model tends to the stylised one with p_live and
// attempt_mean_s.
//
// AMD with a hold window (amd_mean_s > 0, hold_window_s > 0, abandon_cap > 0): a person
// classified while every agent is busy waits as in the hold-window model (the window runs from
// the classification, as the engine's hold timer does), so the state is (b, c, queue, d). The
// same exact evaluation applies with the layer b + c + q + d: an answer, a person taking an
// agent, a person joining the queue and a patience phase ending short of the last keep it,
// towards a row of larger (b + c + q, b, queue configuration), and every other move lowers it.
// The rows are the (C + 1)(N + C(k + W, W)) triples (b, c, configuration), the configuration
// empty at b < N, and the dense solve of one unknown per row grows as their cube: at N = 10 and
// 20, k = 8, the work limit stops W at 3 and C at 6 (queue_binding and classifying_binding are
// then set; at N = 10 the solved policies spend ~1e-6 of their time at either limit), and the
// occupancy follows the trend of k = 1..6 solved without binding limits (steps ~1 / k: k = 8 is
// ~5e-5 below k -> infinity at N = 10, 2 s classification, 2 s window). Solve time ~1.5-5 s at
// N = 10-20 (omnivox_optimum_solve_bench --amd-hold). With hold_window_s -> 0 the model tends to
// the AMD one, with amd_mean_s -> 0 to the hold-window one at the cap less the counted machine
// results (tests OptimumAmdHoldWindow.*).
//
// abandon_cap = 0 is solved directly: with p_live > 0 a policy has no abandons iff it never
// lets b + d exceed N (with AMD b + c + d), so the actions are restricted to T <= N - b (- c)
// and lambda is not needed. With AMD the machine results still count
// counted_abandons_per_machine each: abandon_rate is then not 0.
#ifndef OMNIVOX_OPTIMUM_H_
#define OMNIVOX_OPTIMUM_H_

#include <vector>

#include "omnivox/types.h"

namespace omnivox {

/// Most states, (agents + 1) x (max_in_flight + 1), a solve may use (~40 bytes each).
inline constexpr double kOptimumMaxStates = 2e6;
/// Most estimated operations (see the cost note above) a solve may need: about a minute on one
/// core at most.
inline constexpr double kOptimumMaxWork = 1e11;
/// Largest in-flight cap D a solve may use. Beyond it (p_live below ~2e-4 for 10 agents) some
/// policies the search meets keep states idle for so long that their relative values reach
/// 1e13 and policy iteration, left with rounding noise, need not converge (seen at D ~ 77,000).
inline constexpr double kOptimumMaxInFlight = 4e4;
/// Range of attempt_mean_s and handle_mean_s (s).
inline constexpr double kOptimumMinTimeS = 1e-3;
inline constexpr double kOptimumMaxTimeS = 1e9;
/// Erlang phases of a waiting call's patience when OptimumModel::patience_phases is 0, and the
/// most allowed (see the hold-window note above for the error they leave).
inline constexpr int kOptimumDefaultPatiencePhases = 8;
inline constexpr int kOptimumMaxPatiencePhases = 64;
/// Most calls waiting at once OptimumModel::max_waiting may give (the automatic one stops
/// there too).
inline constexpr int kOptimumMaxWaiting = 16;
/// Most calls in AMD classification at once OptimumModel::max_classifying may give (the
/// automatic one stops there too).
inline constexpr int kOptimumMaxClassifying = 64;
/// Range of OptimumModel::handle_cv: a two-phase Coxian fits a coefficient of variation from
/// 1 / sqrt(2) up.
inline constexpr double kOptimumMinHandleCv = 0.7071067811865476;
inline constexpr double kOptimumMaxHandleCv = 100;

struct OptimumModel {
  int agents = 10;      ///< N >= 1
  double p_live = 0.3;  ///< probability an attempt is a live answer, (0, 1]
  /// Mean time from launch to resolution (s), in [kOptimumMinTimeS, kOptimumMaxTimeS].
  double attempt_mean_s = 20;
  /// Mean handle time (s), in [kOptimumMinTimeS, kOptimumMaxTimeS].
  double handle_mean_s = 120;
  double abandon_cap = 0.03;  ///< alpha: max long-run abandons / live answers, [0, 1)
  /// Cap D on attempts in flight (the state space is (N+1) x (D+1)). 0 = automatic: starts at
  /// max(N, 1.2 N (attempt/handle) / p + 3 sqrt(N) / p + 10) and grows by 25 % (re-solving)
  /// while a solved policy spends more than 1e-9 of its time at the cap, as long as the grown
  /// solve stays within kOptimumMaxStates and kOptimumMaxWork (past them the result keeps
  /// cap_binding = true). Targets for states of negligible probability (b far below N) may
  /// still sit at D; cap_probability says how much the cap matters.
  int max_in_flight = 0;
  /// Relative accuracy of the multiplier search: it ends when no policy beats the two
  /// bracketing ones' Lagrangian by more than tolerance x (connects per second at full
  /// occupancy). Policy evaluation and statistics are exact (to rounding) at any tolerance.
  double tolerance = 1e-9;
  /// Hold window H (s): a live answer that finds every agent busy waits up to H for one (the
  /// waiting call nearest its deadline is served first, as first-come-first-served does with
  /// equal patience) and is abandoned when H runs out. 0 = the stylised model (abandoned at
  /// once), solved by the fast path above, unchanged. In [0, kOptimumMaxTimeS].
  double hold_window_s = 0;
  /// k, the Erlang phases of a waiting call's patience (Erlang(k) with mean H, coefficient of
  /// variation 1 / sqrt(k), the phase-type stand-in for the deterministic window). 0 =
  /// kOptimumDefaultPatiencePhases. In [0, kOptimumMaxPatiencePhases]; used only with a hold
  /// window.
  int patience_phases = 0;
  /// W, the most calls that can wait at once (a live answer finding W waiting is abandoned at
  /// once). 0 = automatic: starts at 2 and grows by one (re-solving) while a solved policy
  /// spends more than 1e-9 of its time with W waiting, within kOptimumMaxWaiting and the state
  /// and work limits. In [0, kOptimumMaxWaiting]; used only with a hold window.
  int max_waiting = 0;
  /// Most attempts in flight a policy may hold with b busy agents, entry b = 0..N (with a hold
  /// window the states with calls waiting take entry N): a limit imposed from outside the model,
  /// such as what the abandon governor allows at the moment (PREDICTIVE plans within it). A
  /// state already above its limit launches nothing. Entries below 0 count as 0, and at b = 0 as
  /// 1 (the dialer must launch something with nobody busy). Empty (the default): no limit but
  /// max_in_flight. Any other size than N + 1 is refused (Error kInvalidArgument).
  std::vector<int> in_flight_limit;
  /// Answering-machine detection (see the note above): the mean classification time of an
  /// answered attempt (s), exponential. 0 = no AMD (the default; the fields below are then not
  /// used). In [0, kOptimumMaxTimeS]; with a hold window a person classified while every agent
  /// is busy waits up to hold_window_s (see the note above). attempt_mean_s is then the mean
  /// time to an answer or a failure, without the classification.
  double amd_mean_s = 0;
  /// With AMD: the share of attempts answered (and so classified), in [p_live, 1]; p_live is
  /// the share handed to an agent.
  double answered_share = 1;
  /// With AMD: abandons counted per machine result (a compliance profile's
  /// amd_false_positive_rate when it counts false positives, else 0), in [0, 1].
  double counted_abandons_per_machine = 0;
  /// With AMD: C, the most calls in classification at once. 0 = automatic: starts at 4 and
  /// grows by 2 (re-solving) while a solved policy spends more than 1e-9 of its time with C
  /// classifying, within kOptimumMaxClassifying and the state and work limits. In
  /// [0, kOptimumMaxClassifying].
  int max_classifying = 0;
  /// Coefficient of variation of the handle time (standard deviation / mean). 1 (the default):
  /// exponential, the chain above. Any other value: the handle time is the two-phase Coxian
  /// with the mean handle_mean_s and this coefficient of variation (Marie's two-moment fit,
  /// phase rates 2 / m and 1 / (m cv^2), on to the second phase with probability 1 / (2 cv^2);
  /// R. Marie, "Calculating equilibrium probabilities for lambda(n)/C_k/1/N queues", ACM
  /// SIGMETRICS 1980; Tijms, A First Course in Stochastic Models, 2003, s. 2.4). The state is
  /// then (b, n2, d), n2 of the b calls in their second phase: (N + 1)(N + 2) / 2 rows, each a
  /// landing state, so the dense solve grows as N^6 (N = 50 is near kOptimumMaxWork). With a
  /// hold window the state is (b, n2, queue, d), N (N + 1) / 2 + (N + 1) C(k + W, W) rows (a
  /// waiting call an agent takes starts in phase 1; the layer is b + q + d, as in the
  /// hold-window chain); at cv 1 it is the hold-window model, and as the window closes the
  /// Coxian one (tests OptimumCoxianHoldWindow.*). In [kOptimumMinHandleCv,
  /// kOptimumMaxHandleCv]; only with amd_mean_s = 0 (Error kInvalidArgument otherwise).
  /// evaluate_threshold_policy() reads target[b] for every n2 (and queue).
  double handle_cv = 1;
};

/// Long-run statistics of one stationary deterministic policy (or of the mixture).
struct PolicyStats {
  double occupancy = 0;              ///< E[busy] / N
  double connects_per_hour = 0;      ///< live answers that got an agent
  double abandons_per_hour = 0;      ///< live answers with no free agent
  double live_answers_per_hour = 0;  ///< connects + abandons
  double attempts_per_hour = 0;      ///< launches (= resolutions)
  /// (abandons + counted_abandons_per_machine x machine results) / live answers (0 if none)
  double abandon_rate = 0;
  double mean_in_flight = 0;  ///< E[d] (with AMD the ringing calls)
  /// Stationary probability that the in-flight count is at max_in_flight (the cap is binding
  /// somewhere the policy actually goes). Should be ~0 for a trustworthy result.
  double cap_probability = 0;
  double mean_waiting = 0;  ///< E[calls waiting for an agent] (0 without a hold window)
  /// Stationary probability that max_waiting calls wait (a further live answer is abandoned at
  /// once). Should be ~0 for a trustworthy result.
  double queue_full_probability = 0;
  double mean_classifying = 0;  ///< E[calls in AMD classification] (0 without AMD)
  /// Stationary probability that max_classifying calls are in classification (0 without AMD).
  /// Should be ~0 for a trustworthy result.
  double classifying_full_probability = 0;
  double machine_results_per_hour = 0;  ///< calls AMD hung up as machines (0 without AMD)
};

/// The optimum and its two bracketing policies. The first fields are the optimum's long-run
/// statistics (the mixture of the two policies below).
struct OptimumResult {
  double occupancy = 0;              ///< E[busy] / N, the share of agent time on calls (0..1)
  double connects_per_hour = 0;      ///< live answers that got an agent, per hour
  double abandons_per_hour = 0;      ///< live answers with no free agent, per hour
  double live_answers_per_hour = 0;  ///< connects + abandons, per hour
  double attempts_per_hour = 0;      ///< launches (= resolutions), per hour
  double abandon_rate = 0;           ///< = abandon_cap when the cap binds, less if it does not
  /// The Lagrange multiplier: penalty per abandon in units of one connect (0 if the cap does
  /// not bind; +infinity for abandon_cap = 0).
  double lambda = 0;
  /// The two deterministic policies optimal at `lambda`: `feasible` (abandon ratio <= cap) and
  /// `infeasible` (ratio > cap). `mixing_weight` is the long-run fraction of time to run the
  /// feasible one (time-sharing in long blocks; rates mix linearly). If the cap does not bind,
  /// or abandon_cap = 0, both are the same policy and mixing_weight = 1.
  PolicyStats feasible;
  PolicyStats infeasible;    ///< the policy with abandon ratio > cap (see `feasible`)
  double mixing_weight = 1;  ///< long-run share of time on `feasible` (0..1, see above)
  /// Each policy as launch-up-to targets: target[b] = T such that, with b busy agents and d in
  /// flight, the policy launches max(0, T - d) attempts. Filled when the solved policy has
  /// this threshold form (checked state by state, see `threshold_form`). With a hold window,
  /// the targets with nobody waiting (the solved policy also has one per queue configuration);
  /// with AMD, those with nobody in classification (it also has one per c).
  std::vector<int> feasible_target;
  std::vector<int> infeasible_target;  ///< the same for `infeasible`
  /// With AMD, each policy's targets by calls in classification too (with a hold window, those
  /// with nobody waiting): target_by_classifying[c][b] = T such that, with b busy agents, c
  /// calls in classification and d ringing, the policy launches max(0, T - d), for c from 0 to
  /// max_classifying; entry 0 is feasible_target. Empty without AMD or the threshold form.
  std::vector<std::vector<int>> feasible_target_by_classifying;
  /// The same for `infeasible` (entry 0 is infeasible_target).
  std::vector<std::vector<int>> infeasible_target_by_classifying;
  /// True when every solved policy was verified to be of the form "launch up to T(b)".
  bool threshold_form = false;
  int max_in_flight = 0;  ///< the D actually used
  /// True when a policy spends more than 1e-9 of its time with d = D (raise max_in_flight).
  bool cap_binding = false;
  int lambda_iterations = 0;   ///< Lagrangian problems solved
  int policy_evaluations = 0;  ///< exact policy evaluations (policy-iteration steps), all problems
  long long rvi_sweeps = 0;    ///< always 0: the solver does no value-iteration sweeps
  long long stat_sweeps = 0;   ///< always 0: statistics come from the exact evaluations
  int patience_phases = 0;     ///< the k used (0 without a hold window)
  int max_waiting = 0;         ///< the W used (0 without a hold window)
  /// True when a policy spends more than 1e-9 of its time with W calls waiting (raise W).
  bool queue_binding = false;
  int max_classifying = 0;  ///< the C used (0 without AMD)
  /// True when a policy spends more than 1e-9 of its time with C calls in classification.
  bool classifying_binding = false;
};

/// Solves the model. Throws omnivox::Error(kInvalidArgument) naming the field on an invalid
/// model, and naming p_live, agents and attempt_mean_s / handle_mean_s (or max_in_flight when
/// set; with a hold window also hold_window_s, patience_phases and max_waiting) when the solve
/// would need more than kOptimumMaxStates states or kOptimumMaxWork estimated state updates;
/// that check runs before anything is allocated. Every number in the
/// result is finite except `lambda` for abandon_cap = 0. Thread-safe: no shared state; runs on
/// the calling thread.
OptimumResult solve_optimum(const OptimumModel& model);

/// The stationary statistics (to model.tolerance) of one threshold policy: "launch up to
/// target[b]", target.size() == N+1, each entry in [0, max_in_flight]. model.max_in_flight
/// must be > 0 here; abandon_cap is not used. With a hold window (and abandon_cap > 0) the
/// queue's states take target[N], a policy that reads the busy agents only, over max_waiting
/// places (0: 2). With AMD target[b] counts the calls ringing or in classification (as the
/// engine's pending calls do; not the calls waiting for an agent): a state (b, c, d) launches
/// max(0, target[b] - c - d), over max_classifying places (0: 4). Same errors and limits as
/// solve_optimum().
PolicyStats evaluate_threshold_policy(const OptimumModel& model, const std::vector<int>& target);

}  // namespace omnivox

#endif  // OMNIVOX_OPTIMUM_H_
