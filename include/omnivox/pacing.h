// Pacing: at each decision epoch (docs/architecture.md, Pacing) a PacingPolicy sees a snapshot of
// the campaign and returns how many new attempts to launch.
#ifndef OMNIVOX_PACING_H_
#define OMNIVOX_PACING_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "omnivox/model.h"
#include "omnivox/types.h"

namespace omnivox {

/// An attempt in flight that has not resolved yet (QUEUED..ANSWERED).
struct PendingCallView {
  CallId call = kNoCall;  ///< the attempt's call id
  double elapsed_s = 0;   ///< time since launch, in s
};
/// An agent handling a call (RESERVED, ON_CALL or WRAP_UP).
struct BusyAgentView {
  AgentId agent = kNoAgent;                ///< the agent's id
  AgentState state = AgentState::kOnCall;  ///< RESERVED, ON_CALL or WRAP_UP
  double elapsed_s = 0;  ///< time since the call was handed to the agent (RESERVED), in s
};

/// What a policy sees. Times in seconds.
struct PacingSnapshot {
  TimePoint now{};           ///< the decision's time, on the engine's clock
  int agents_logged_in = 0;  ///< agents not LOGGED_OUT
  int agents_idle = 0;       ///< agents AVAILABLE
  int agents_paused = 0;     ///< agents PAUSED
  int agents_busy = 0;       ///< agents RESERVED, ON_CALL or WRAP_UP
  /// Elapsed time (s) in its state of each busy agent (only if the policy wants_details()).
  std::vector<double> busy_elapsed_s;
  /// Attempts launched and not yet resolved to a live answer or an end (QUEUED..ANSWERED).
  int calls_pending = 0;
  /// Elapsed time (s) since launch of each pending attempt (only if the policy wants_details()).
  std::vector<double> pending_elapsed_s;
  /// The same, with call ids (only if the policy wants_details()).
  std::vector<PendingCallView> pending_calls;
  /// Busy agents with their elapsed handle time (only if the policy wants_details()).
  std::vector<BusyAgentView> busy_agents;
  /// Of calls_pending, the answered calls still in answering-machine detection (AMD): answered,
  /// not yet handed to an agent as a person nor hung up as a machine. 0 without AMD, and for
  /// answers put through unclassified (AMD suspended at the cap, EngineOptions). Default: 0.
  int calls_classifying = 0;
  /// Live answers waiting for an agent right now.
  int calls_waiting = 0;
  /// Dialable entries in the dial queue.
  int dial_queue_size = 0;
  /// Share of resolved attempts that are live answers, estimated online over the campaign so
  /// far (the prior before any data: 0.3).
  double live_answer_probability = 0.3;
  /// Mean time from launch to a live answer or an end, in s, estimated online (prior: 20 s).
  double mean_time_to_resolve_s = 20.0;
  /// Mean handle time (bridge → end of wrap-up), in s, estimated online (prior: 120 s).
  double mean_handle_s = 120.0;
  /// Recent handle times (hand-over to the agent → end of wrap-up), in s, up to 1,000, oldest
  /// first; valid only during decide().
  std::span<const double> recent_handle_s;
  /// Recent times from launch to a live answer, in s, up to 1,000, oldest first; valid only
  /// during decide().
  std::span<const double> recent_live_resolve_s;
  /// Recent times from launch to the end of an attempt that reached no person, in s, up to
  /// 1,000, oldest first; valid only during decide().
  std::span<const double> recent_other_resolve_s;
  /// Attempts resolved so far (live answers + attempts ended before one).
  long attempts_resolved = 0;
  /// AMD classifications finished so far (answers whose classification ended: a person, a
  /// machine, a fax, or the call ended first). 0 without AMD. Default: 0.
  long classifications_finished = 0;
  /// Mean time from the answer to the end of its classification over those, in s (0 until one
  /// finished; mean_time_to_resolve_s includes it for classified answers). Default: 0.
  double mean_classification_s = 0;
  /// Share of today's call window still ahead, in the campaign's time zone (1 before it opens,
  /// 0 after it closes).
  double calling_day_left = 1.0;
  /// Abandon rate over the compliance window (counted abandons / live answers, a fraction; not
  /// the cumulative CampaignStatistics::abandon_rate).
  double abandon_rate = 0.0;
  double abandon_cap = 0.03;  ///< the compliance profile's cap (fraction, 0.03 = 3 %)
  long live_answers = 0;      ///< live answers in the compliance window
  long abandons = 0;          ///< counted abandons in the compliance window
  /// The campaign's hold window, in s: how long a live answer that finds no free agent waits
  /// for one before it is abandoned (0: abandoned at once). Default: 0.
  double hold_window_s = 0;
  /// True when the engine's clock follows real time: the engine's thread waits for decide(),
  /// so long work belongs on another thread. False with a virtual clock (simulation), where
  /// time stands still while decide() runs and a policy may compute at length inline and stay
  /// reproducible. Default: false.
  bool real_time = false;
};

/// Decides how many attempts to launch. Called on the engine's thread only.
class PacingPolicy {
 public:
  virtual ~PacingPolicy() = default;
  /// Short name for reports ("progressive", "power(2.0)").
  virtual std::string name() const = 0;
  /// New attempts to launch now (>= 0). The engine launches at most the dial queue's size.
  virtual int decide(const PacingSnapshot& snapshot) = 0;
  /// True if decide() reads the per-agent and per-call vectors (busy_elapsed_s,
  /// pending_elapsed_s, pending_calls, busy_agents); the engine skips building them otherwise.
  /// Default: false.
  virtual bool wants_details() const { return false; }
  /// Besides every event, decide also this often while the campaign has work (0 = events only).
  /// Default: 0.
  virtual Duration tick_interval() const { return Duration(0); }
};

/// PROGRESSIVE: one line per idle agent: max(idle - pending, 0). With no AMD false positives it
/// never abandons (every live answer finds its reserved agent).
std::unique_ptr<PacingPolicy> make_progressive_policy();
/// POWER: a fixed number of lines per idle agent: max(round(lines * idle) - pending, 0).
/// Throws Error(kConfig) unless 1 <= lines_per_agent <= 10.
std::unique_ptr<PacingPolicy> make_power_policy(double lines_per_agent);
/// PREVIEW: never launches by itself; agents ask for the next contact (Engine::preview_next) and
/// dial it (Engine::dial_preview), or the host dials a chosen entry (Engine::call_now).
std::unique_ptr<PacingPolicy> make_preview_policy();
/// PREDICTIVE settings. Every field states its default.
struct PredictiveOptions {
  /// Target abandon rate as a share of the campaign's cap (the governor holds the cap itself).
  /// Default: 0.9.
  double target_share_of_cap = 0.9;
  /// Resolved attempts before the policy leaves progressive pacing (it also waits for 10
  /// finished calls). Default: 50.
  long warm_up_attempts = 50;
  /// Safety margin of the estimates, in posterior standard deviations: the model is solved
  /// with p, the handle time and the attempt time each moved this far towards fewer launches
  /// (a margin that is wide on the first data and vanishes as the sample grows). Default: 1.
  double credible_z = 1.0;
  /// Model parameters known in advance instead of estimated (all three > 0, or unused): the
  /// research bench's measure of what learning them costs (`predictive:p=P,attempt=A,handle=H`).
  /// p_live in (0, 1], times in s. Default: 0 (estimated online).
  double known_p_live = 0;
  double known_attempt_mean_s = 0;  ///< see known_p_live
  double known_handle_mean_s = 0;   ///< see known_p_live
  /// Live answers between adjustments of the model's abandon allowance. Default: 200.
  long adjust_every_live_answers = 200;
  /// Research option, 0 (the default) = off. When > 0, the policy plans within the abandon
  /// governor's limit of the moment: it computes the most calls in flight the governor allows
  /// each number of busy agents now (its budget of abandons, the live-answer bound p_hi of
  /// omnivox/compliance.h, a chance of at most this much that the calls in flight bring more
  /// live answers than the budget and the free agents absorb), and where the model's targets
  /// pass it, solves the model again with that limit inside (OptimumModel::in_flight_limit), so
  /// that the abandons the governor's cuts save are spent where it allows them. Measured worse
  /// than the default (docs/pacing.md); used with a virtual clock only (a real clock ignores it).
  double plan_within_governor_risk = 0;
};

/// PREDICTIVE, the default we recommend: certainty-equivalent optimal control. It estimates the
/// live-answer probability p, the mean time an attempt takes to resolve and the mean handle time
/// online, solves the constrained MDP of optimum.h for the logged-in agents with those estimates
/// (cached by rounded parameters) and dials "up to T(b)" attempts in flight for b busy agents,
/// switching between the two bracketing optimal thresholds by the measured abandon rate (the
/// long-run mixture of the two is the optimum). An outer loop scales the model's abandon
/// allowance when the measured rate (over the compliance window) drifts from the target, which
/// absorbs the gap between the model and a real world (non-exponential times). With the
/// snapshot's hold_window_s > 0 (and no AMD classification finished) the model has the hold
/// window, for teams of up to 50 agents (optimum.h, Erlang(2) patience). The estimates start with
/// the first data: means under right censoring (the calls still running count with their elapsed
/// times) moved by `credible_z` posterior standard deviations towards caution; progressive only
/// until `warm_up_attempts` have resolved and 10 calls have finished. Sources: Samuelson (1999) and
/// Koole's predictive-dialing Markov models; the solver's own references in optimum.h.
std::unique_ptr<PacingPolicy> make_predictive_policy(const PredictiveOptions& options = {});

/// The policy for a campaign's dial mode (PREVIEW, PROGRESSIVE, POWER or PREDICTIVE). Throws
/// Error(kConfig) for a value outside the enumeration.
std::unique_ptr<PacingPolicy> make_policy_for(const CampaignConfig& campaign);

}  // namespace omnivox

#endif  // OMNIVOX_PACING_H_
