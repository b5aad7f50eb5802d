// Classical queueing formulas for planners: Erlang B (loss), Erlang C (M/M/N delay) and
// Erlang A (M/M/N+M, delay with exponential impatience).
//
// Units: every time is in seconds; traffic is in Erlangs (arrival rate x mean holding time,
// i.e. the mean number of busy servers if nothing were lost). Probabilities are fractions
// (0.01 = 1 %).
//
// Sources:
//  * Erlang B: A. K. Erlang (1917), "Solution of some problems in the theory of probabilities of
//    significance in automatic telephone exchanges". Computed with the recursion
//    B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1)), which is stable for any n (every step is a
//    convex-combination-like ratio, no factorials or powers).
//  * Erlang C: same paper; C(N, A) = N B(N, A) / (N - A (1 - B(N, A))), the service level
//    1 - C e^{-(N - A) t / AHT} and the ASA C AHT / (N - A) for FCFS M/M/N.
//  * Erlang A: C. Palm (1943), "Intensitatsschwankungen im Fernsprechverkehr" (M/M/N with
//    exponential impatience); O. Garnett, A. Mandelbaum & M. Reiman (2002), "Designing a call
//    center with impatient customers", Manufacturing & Service Operations Management 4(3).
//    Computed exactly from the birth-death chain (births lambda; deaths k mu for k <= N and
//    N mu + (k - N) theta above N): the part below N is 1 / B(N, A) in log scale, the queue
//    part is summed relative to its peak and truncated only where the terms fall below 1e-17 of
//    the running sum, and the two meet only through the log of their ratio; so it is exact to
//    double precision up to kErlangMaxServers agents, also where P(wait) underflows.
//
// Limits: servers (lines, agents, and the results of erlang_b_lines and erlang_c_agents) are at
// most kErlangMaxServers; calls per interval at most kErlangMaxCalls; interval_s, aht_s and a
// finite patience_s between kErlangMinTimeS and kErlangMaxTimeS; answer_within_s between 0 and
// kErlangMaxTimeS. Within them every result is finite except the waits of an unstable Erlang C
// queue, which are documented as +infinity. traffic_erlangs given directly (Erlang B) may be any
// finite value >= 0.
//
// Errors: every function throws omnivox::Error(ErrorCode::kInvalidArgument, ...) naming the
// parameter when an input is negative, not finite where a finite value is required, beyond the
// limits above, or otherwise out of range (see each function).
//
// Thread-safety: every function is pure (no shared state) and may be called from any thread.
#ifndef OMNIVOX_ERLANG_H_
#define OMNIVOX_ERLANG_H_

#include "omnivox/types.h"

namespace omnivox {

/// Most servers (lines or agents) any function takes or returns: beyond it the O(N) recursions
/// stop being instant.
inline constexpr int kErlangMaxServers = 100000;  // no digit separator: SWIG reads this header
/// Most calls per interval.
inline constexpr double kErlangMaxCalls = 1e12;
/// Shortest interval, handle time or patience (s).
inline constexpr double kErlangMinTimeS = 1e-3;
/// Longest interval, handle time, patience or service-level threshold (s), ~31.7 years.
inline constexpr double kErlangMaxTimeS = 1e9;

// ---------------------------------------------------------------------------------------------
// Erlang B (M/M/N/N, blocked calls cleared)

/// Blocking probability B(N, A) of `lines` servers offered `traffic_erlangs` Erlangs.
/// 0 <= lines <= kErlangMaxServers (B(0, A) = 1), traffic_erlangs >= 0 and finite (B(N, 0) = 0
/// for N >= 1).
double erlang_b(int lines, double traffic_erlangs);

/// The traffic carried (Erlangs, = mean busy lines) when `lines` servers are offered
/// `traffic_erlangs`: A (1 - B(N, A)), with 1 - B computed as its own sum of positive terms
/// (1 - B = s / (A + s), s(n) = n (1 + s(n-1) / A)), so it stays exact where B rounds to 1:
/// it tends to N as A grows (100 lines offered 1e20 Erlangs carry 100), and to A as B -> 0.
/// Same inputs as erlang_b().
double erlang_b_carried_erlangs(int lines, double traffic_erlangs);

/// The offered traffic A (Erlangs) at which `lines` servers block exactly `blocking` of the
/// calls: solves B(lines, A) = blocking by safeguarded Newton (bisection fallback) to ~1e-12
/// relative. Example: 15 lines at 1 % blocking -> 8.108 Erlangs. 1 <= lines <=
/// kErlangMaxServers, 0 < blocking < 1.
double erlang_b_offered_traffic(int lines, double blocking);

/// The traffic carried (Erlangs, = mean busy lines) at that point: A (1 - blocking).
double erlang_b_carried_traffic(int lines, double blocking);

/// The smallest number of lines whose blocking at `traffic_erlangs` is <= `blocking`.
/// traffic_erlangs >= 0 and finite, 0 < blocking < 1. O(result) time; throws (naming
/// traffic_erlangs) if more than kErlangMaxServers lines would be needed.
int erlang_b_lines(double traffic_erlangs, double blocking);

// ---------------------------------------------------------------------------------------------
// Erlang C (M/M/N, infinite patience, FCFS)

struct ErlangCResult {
  double traffic_erlangs = 0;  ///< offered load A = calls x AHT / interval
  /// Probability that an arriving call waits (all agents busy), C(N, A).
  double p_wait = 0;
  /// P(wait <= answer_within_s) over all calls = 1 - C e^{-(N - A) t / AHT}.
  double service_level = 0;
  /// Average speed of answer: mean wait over ALL calls (those answered at once count 0 s),
  /// = C AHT / (N - A).
  double asa_s = 0;
  /// Mean wait of the calls that do wait, AHT / (N - A).
  double mean_wait_of_waiting_s = 0;
  /// Agent occupancy A / N (fraction of agent time on calls).
  double occupancy = 0;
};

/// Erlang C for an interval: `calls` arriving uniformly over `interval_s` seconds with mean
/// handle time `aht_s`, `agents` agents, service-level threshold `answer_within_s`.
/// 1 <= agents <= kErlangMaxServers; calls, interval_s, aht_s and answer_within_s within the
/// limits at the top of this file. Every field is finite except in one documented case: if the
/// system is unstable (A >= N) the queue grows without bound and the result has p_wait = 1,
/// service_level = 0, asa_s = mean_wait_of_waiting_s = +infinity, occupancy = 1.
/// Example: 360 calls / 1800 s, AHT 240 s, 55 agents, t = 20 s -> p_wait 0.2387,
/// service_level 0.8668, asa_s 8.18.
ErlangCResult erlang_c(double calls, double interval_s, double aht_s, int agents,
                       double answer_within_s);

/// C(N, A): probability of wait for `agents` servers offered `traffic_erlangs` (1 if A >= N).
/// 1 <= agents <= kErlangMaxServers, traffic_erlangs >= 0 and finite.
double erlang_c_probability_of_wait(int agents, double traffic_erlangs);

/// The smallest number of agents whose Erlang C service level (P(wait <= answer_within_s))
/// is >= target_service_level (0 < target < 1). Same other inputs as erlang_c(). O(result)
/// time; throws (naming traffic_erlangs) if more than kErlangMaxServers agents would be needed.
int erlang_c_agents(double calls, double interval_s, double aht_s, double answer_within_s,
                    double target_service_level);

// ---------------------------------------------------------------------------------------------
// Erlang A (M/M/N+M: exponential patience with mean patience_s, FCFS, abandoning calls leave)

struct ErlangAInput {
  double calls = 0;             ///< arrivals in the interval, >= 0
  double interval_s = 1800;     ///< interval length (s), > 0
  double aht_s = 180;           ///< mean handle time 1/mu (s), > 0
  double patience_s = 300;      ///< mean patience 1/theta (s); +infinity = Erlang C
  int agents = 1;               ///< N >= 1
  double answer_within_s = 20;  ///< service-level threshold t (s), >= 0
};

struct ErlangAResult {
  double traffic_erlangs = 0;  ///< offered load A = lambda / mu
  /// Probability that an arriving call finds all agents busy and has to wait (PASTA).
  double p_wait = 0;
  /// Probability that an arriving call abandons before reaching an agent (theta E[Q] / lambda).
  double p_abandon = 0;
  /// Service level, definition used: the fraction of ALL arriving calls that are answered by
  /// an agent within answer_within_s seconds, P(served and wait <= t). Calls that abandon (at
  /// any time, even before t) count as failures; nothing is excluded from the denominator.
  /// Exact for FCFS: a call that finds q others queued is served with probability
  /// N mu / (N mu + (q + 1) theta), and given that its wait is a sum of exponentials with rates
  /// N mu + m theta (m = 1..q+1), whose CDF is the regularized incomplete beta
  /// I_{1 - e^{-theta t}}(q + 1, N mu / theta + 1).
  double service_level = 0;
  /// Fraction of ALL arrivals that abandon within answer_within_s seconds (so planners who
  /// prefer "answered within t / (arrivals - abandoned within t)" can form it).
  double p_abandon_within_t = 0;
  /// Mean wait over ALL arrivals (served or abandoned; no-wait calls count 0 s): E[Q] / lambda.
  double mean_wait_all_s = 0;
  /// Average speed of answer: mean wait of the SERVED calls only (no-wait calls count 0 s).
  double asa_s = 0;
  /// Mean wait of the calls that had to wait (served or abandoned): mean_wait_all_s / p_wait,
  /// computed from the queue alone, so it stays exact where p_wait underflows to 0.
  double mean_wait_of_waiting_s = 0;
  /// Mean number of calls queued, E[Q].
  double mean_queue = 0;
  /// Agent occupancy: carried load / N = A (1 - p_abandon) / N.
  double occupancy = 0;
};

/// Erlang A. Numerically stable up to kErlangMaxServers agents and for overloaded systems (A > N is
/// allowed: impatience keeps the queue finite). Example: 100 calls / 1800 s, AHT 180 s,
/// patience 300 s, 14 agents -> p_wait 0.14526, p_abandon 0.013984.
/// With patience_s = +infinity the result is Erlang C (p_abandon = 0), with the unstable case
/// reported as in erlang_c(). With calls = 0 every probability and wait is 0 and
/// service_level is 1. p_wait, p_abandon, mean_queue and mean_wait_all_s do not depend on the
/// queue discipline; service_level, p_abandon_within_t and asa_s assume FCFS. Every field is
/// finite when patience_s is. Also throws kInvalidArgument (naming patience_s) if the queue
/// would need more than 1e7 terms, which only a patience absurdly long against the handle time
/// asks for (the terms grow like (A - N) patience_s / aht_s in overload and like
/// sqrt(N patience_s / aht_s) near capacity); such a solve would otherwise take seconds.
ErlangAResult erlang_a(const ErlangAInput& in);

}  // namespace omnivox

#endif  // OMNIVOX_ERLANG_H_
