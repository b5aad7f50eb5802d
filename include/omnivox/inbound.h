// Inbound queues and blending: calls telephony reports as arriving (CallEventSink::
// on_inbound_call) join the queue of their dialled number, wait first-in first-out (queues ordered
// by priority) for an agent with the queue's skill, and are abandoned when the caller hangs up
// first. Agents are shared: an agent of a campaign may also hold inbound skills, or hold inbound
// skills only; a campaign's outbound pacing sees only the agents it may use, less the ones its
// blending rule keeps free for inbound (docs/blending.md).
//
// Words: ACD queue, skill, service level (share of calls answered within T seconds), ASA
// (average speed of answer), blending. Thread-safety: configured and read through Engine's
// thread-safe methods.
#ifndef OMNIVOX_INBOUND_H_
#define OMNIVOX_INBOUND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "omnivox/types.h"

namespace omnivox {

/// One inbound (ACD) queue. Every field states its default.
struct InboundQueueConfig {
  /// Identifier, unique per engine, not empty; inbound call records carry it in
  /// Attempt::campaign_id. Default: empty (must be set).
  std::string id;
  /// The dialled numbers (DIDs, E.164) whose calls join this queue. A call to a number no queue
  /// lists joins the queue whose id equals the number, if any; otherwise it is hung up and
  /// logged. Default: none.
  std::vector<std::string> numbers;
  /// When an agent serves several queues, calls of the higher-priority queue go first; within a
  /// priority, the call waiting longest. Default: 0.
  int priority = 0;
  /// T of the service level: a call answered within this long counts as answered in time.
  /// Default: 20 s.
  Duration answer_within = std::chrono::seconds(20);
  /// The share of calls to answer within `answer_within` (BlendingRule::kServiceLevel holds it).
  /// Default: 0.8.
  double service_level_target = 0.8;
};

/// One agent's inbound skill: a queue and the agent's priority for it (higher first: when a
/// freed agent could take calls of several queues, the queue of its highest skill priority goes
/// first, then the queue's own priority, then the longest-waiting call).
struct InboundSkill {
  std::string queue;
  int priority = 0;
};

/// One agent's outbound skill: a campaign whose calls the agent takes besides those of the
/// campaign it was added to, and the agent's priority for it (higher first).
struct CampaignSkill {
  std::string campaign;
  int priority = 0;
};

/// What an agent may work on. Every field states its default.
///
/// An agent shared by several outbound campaigns (`campaigns` not empty; docs/blending.md,
/// "Agents shared by campaigns"): each campaign's live answers may be bridged to it; when it is
/// freed and live answers of several of its campaigns wait, the campaign of its highest priority
/// goes first. Pacing counts it, while it is free, for one campaign only (so two campaigns never
/// both dial for the same free agent): the first of its campaigns by priority that is started and
/// has outbound work (calls in progress, contacts in its dial queue, or contacts it may still
/// find); busy, for the campaign whose call it holds; paused, for its own. Inbound calls come
/// first as for any agent (a live outbound answer waiting for an agent before both).
struct AgentSkills {
  /// Inbound queues the agent answers. Default: none.
  std::vector<InboundSkill> queues;
  /// The agent takes its campaign's outbound calls (false: an inbound-only agent, never counted
  /// by the campaign's pacing; `campaigns` must then be empty). Default: true.
  bool outbound = true;
  /// Other outbound campaigns whose calls the agent takes. Its own campaign stays first among
  /// those of equal priority, at priority 0 unless listed here with another. Default: none (the
  /// agent takes its own campaign's calls only).
  std::vector<CampaignSkill> campaigns;
};

/// How a campaign shares its agents with inbound queues (docs/blending.md).
enum class BlendingRule : std::uint8_t {
  /// Inbound calls take free agents first and agents freed while calls wait; the campaign's
  /// pacing sees all its free outbound agents. Default.
  kNone,
  /// Bhulai & Koole (2003), "A queueing model for call blending in call centers", IEEE TAC
  /// 48(8): outbound work only while more than `reserve` agents would stay free for inbound:
  /// pacing sees max(free outbound agents - max(reserve - free inbound-only agents, 0), 0) free
  /// agents (free inbound-only agents count towards the reserve: inbound calls may take them).
  kThreshold,
  /// The threshold rule with `reserve` chosen online: the smallest reserve whose predicted
  /// service level (the threshold model's birth-death chain, omnivox/blending.h, with the
  /// measured arrival rate and handle time) meets `queue`'s target, corrected by feedback when
  /// the measured service level misses it.
  kServiceLevel,
  /// Deslauriers, L'Ecuyer, Pichitlamken, Ingolfsson & Avramidis (2007), "Markov chain models of
  /// a telephone call center with call blending", Computers & OR 34(6) — the dialler of their
  /// blend model (ContactCenters' ThresholdDialerPolicy): each time an agent ends a service, if
  /// at least `min_free_all` agents are free (inbound and blend) and at least `min_free_outbound`
  /// outbound agents are free, dial round(kappa x free outbound agents) + c - calls in progress.
  kDialxfree,
};
/// "none", "threshold", "service_level", "dialxfree".
const char* to_string(BlendingRule rule);

/// A campaign's blending. Every field states its default.
struct BlendingConfig {
  /// Default: kNone.
  BlendingRule rule = BlendingRule::kNone;
  /// Agents kept free for inbound (kThreshold; the starting value for kServiceLevel). >= 0.
  /// Default: 0.
  int reserve = 0;
  /// The queue whose service level drives kServiceLevel (empty = the first queue added). Default:
  /// empty.
  std::string queue;
  /// kDialxfree's thresholds and dial factor (Deslauriers et al.'s example: 4, 1, 2, 0).
  int min_free_all = 4;
  int min_free_outbound = 1;
  double kappa = 2.0;
  int c = 0;
};

/// Statistics of one inbound queue since it was added. Service level = answered within T /
/// (answered + abandoned); abandon rate = abandoned / (answered + abandoned); ASA = mean wait of
/// answered calls.
struct InboundQueueStatistics {
  std::string queue_id;
  long offered = 0;                   ///< calls that arrived
  long answered = 0;                  ///< taken by an agent
  long abandoned = 0;                 ///< the caller hung up waiting
  long answered_within = 0;           ///< answered within answer_within
  long abandoned_within = 0;          ///< abandoned within answer_within
  long waiting = 0;                   ///< waiting now
  double wait_seconds_answered = 0;   ///< total wait of answered calls
  double wait_seconds_abandoned = 0;  ///< total wait of abandoned calls
  double handle_seconds = 0;          ///< total agent time (answer to end of wrap-up)
  double service_level = 0;           ///< see above (0 with no call ended)
  double asa_s = 0;                   ///< average speed of answer, seconds
  double abandon_rate = 0;
};

}  // namespace omnivox

#endif  // OMNIVOX_INBOUND_H_
