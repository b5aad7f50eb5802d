// The engine's state and its handlers (Engine::Impl, omnivox/engine.h), shared by the files that
// implement them: engine.cc (construction, campaigns, contacts, running), engine_agents.cc,
// engine_pacing.cc (decisions and the dial queue), engine_dialing.cc (leases, placing calls, group
// commit), engine_call_events.cc (a call's events, timers, wrap-up and disposition),
// engine_reconcile.cc (open attempts of earlier engines) and engine_statistics.cc. Internal to
// libomnivox.
#ifndef OMNIVOX_ENGINE_ENGINE_IMPL_H_
#define OMNIVOX_ENGINE_ENGINE_IMPL_H_

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/agent_activity_recorder.h"
#include "engine/engine_containers.h"
#include "engine/inbound_router.h"
#include "engine/write_batch.h"
#include "omnivox/engine.h"
#include "util/light_mutex.h"

namespace omnivox {
namespace asio = boost::asio;

namespace detail {
// The engine whose virtual clock this thread is driving: handlers for it run inline.
inline thread_local const void* t_driving_engine = nullptr;
}  // namespace detail

struct Engine::Impl {
  struct Campaign;
  struct Agent {
    AgentId id = kNoAgent;
    std::string name;
    std::string campaign_id;
    Campaign* campaign = nullptr;  // campaign_id's (campaign objects are never replaced)
    // A shared agent (its skills list other campaigns): every campaign whose calls it takes,
    // `campaign` among them, highest skill priority first (on a tie its own, then the skills'
    // order). Empty for an agent of one campaign, which takes `campaign`'s calls only.
    std::vector<Campaign*> shared;
    // The campaign whose call the agent holds (null: none, or an inbound call).
    Campaign* working_for = nullptr;
    AgentState state = AgentState::kLoggedOut;
    TimePoint state_since{};
    TimePoint idle_since{};
    TimePoint handle_since{};  // when the current call was handed over (RESERVED)
    CallId call = kNoCall;
    std::optional<AgentState> after_wrap_up;  // state requested while busy
    std::optional<DialQueueEntry> preview;
    double seconds_in[kAgentStateCount] = {};
  };

  struct Campaign;
  struct Call {
    Attempt attempt;
    CallStateMachine sm;
    Campaign* campaign = nullptr;
    AgentId dedicated_agent = kNoAgent;  // preview, call now, owned callback
    AgentId agent = kNoAgent;            // reserved or bridged agent
    bool pending = true;                 // counted in Campaign::pending
    bool classifying = false;            // counted in Campaign::classifying
    bool amd_stopped = false;            // put through unclassified: an AMD result is dropped
    bool waiting = false;                // live answer waiting for an agent
    bool bridged = false;
    bool awaiting_disposition = false;
    TimerId timeout_timer = 0;
    TimePoint timeout_at = TimePoint::max();
    TimerId hold_timer = 0;
    TimerId wrap_timer = 0;
  };

  struct Campaign {
    CampaignConfig config;
    std::unique_ptr<PacingPolicy> policy;
    std::unique_ptr<QueueGenerator> generator;
    std::unique_ptr<AbandonGovernor> governor;
    // This engine's share of the campaign's abandon counts in storage (write_batch.h).
    std::unique_ptr<SharedAbandonCounts> shared_counts;
    TimePoint counts_synced_at = TimePoint::min();  // lease clock
    std::chrono::steady_clock::time_point counts_synced_wall{};
    bool started = false;
    std::deque<DialQueueEntry> queue;
    ContactIdSet held;  // queued, previewed or in flight here
    std::vector<DialQueueEntry> refill_buffer;
    std::vector<DialQueueEntry> launch_buffer;  // launch_batch's, reused
    std::vector<ContactId> launch_ids;          // idem
    // Queued contacts whose lease was claimed with the refill (on a database: one statement
    // for the refill, not one per launch), and the lease clock's time of that claim.
    std::unordered_map<ContactId, TimePoint> leased_ahead;
    // Due times of retries and callbacks, earliest on top.
    std::priority_queue<TimePoint, std::vector<TimePoint>, std::greater<TimePoint>> retry_due;
    // With other engines on the campaign: the scheduled times storage held at the last survey
    // (any engine's retries and callbacks), when the next survey may run, and whether another
    // engine held a lease since the last one (it may have scheduled more since).
    std::priority_queue<TimePoint, std::vector<TimePoint>, std::greater<TimePoint>> stored_due;
    TimePoint next_survey_at{};
    bool others_active_since_survey = false;
    TimePoint refill_blocked_until{};
    TimerId wake_timer = 0;
    TimePoint wake_at = TimePoint::max();
    std::vector<AgentId> agents;     // its own agents, then the shared ones of other campaigns
    std::vector<AgentId> available;  // the AVAILABLE ones among `agents`, in no order
    // Shared agents among `agents`: pacing then counts each agent (count_agents), not the
    // per-state totals, which count a shared agent in every campaign it serves.
    int shared_agents = 0;
    bool had_work = true;  // has_work at its last pacing (with shared agents)
    int agents_in_state[kAgentStateCount] = {};
    int agents_previewing = 0;  // AVAILABLE agents holding a preview (not idle for pacing)
    int agents_departing = 0;   // AVAILABLE agents waiting to pause or log out (not idle either)
    std::size_t caller_id_next = 0;
    int pending = 0;
    std::deque<CallId> waiting;  // live answers waiting for an agent, oldest first
    long in_flight = 0;
    // statistics
    long attempts = 0, live_answers = 0, machines = 0, abandons = 0, connects = 0;
    long amd_suspended = 0;  // answers put through without AMD at the cap
    int classifying = 0;     // answered calls whose AMD result is still to come
    long classified = 0;     // classifications finished, and their summed times (pacing)
    double classification_seconds = 0;
    long resolved = 0;  // attempts resolved to a live answer or an end before it
    double resolve_seconds = 0, handle_seconds = 0;
    SampleRing handle_samples, live_resolve_samples, other_resolve_samples;
    TimerId tick_timer = 0;
    double day_left = 1.0;
    TimePoint day_left_valid_until{};
    long handled = 0;
    long dispositions[kDispositionCount] = {};
    long reconciled = 0;  // open attempts of earlier engines closed by reconcile()
    TimerId reconcile_timer = 0;
    TimePoint last_reconcile{};  // engine clock
    PacingSnapshot snapshot;
  };

  // A finished attempt whose record storage refused (e.g. the database is away): kept, with its
  // contact held, and written again until storage takes it, so nothing is lost.
  struct UnsavedCompletion {
    Campaign* campaign = nullptr;
    Attempt attempt;
    std::optional<TimePoint> callback_at;
    TimePoint at{};
  };

  EngineOptions options;
  Storage* storage;
  Telephony* telephony;
  Clock* clock;
  EventListener* listener;
  Logger logger;
  TimeZoneMap zones;

  asio::io_context io;
  asio::strand<asio::io_context::executor_type> strand{io.get_executor()};
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  mutable detail::LightRecursiveMutex mutex;
  int depth = 0;
  // Handlers posted to `io` (counted after posting), so a simulation loop polls only when needed.
  std::atomic<std::size_t> posted{0};
  std::vector<std::function<void()>> deferred;

  std::unordered_map<std::string, std::unique_ptr<Campaign>> campaigns;
  std::vector<Agent> agents;
  // Inbound queues, skills and blending (omnivox/inbound.h); every hook is skipped until one is
  // configured. Made by Engine's constructor (InboundHost is defined after Impl).
  struct InboundHost;
  std::unique_ptr<InboundHost> inbound_host;
  std::unique_ptr<detail::InboundRouter> inbound;
  detail::AgentActivityRecorder activity;  // agent_statistics()
  std::unordered_map<CallId, Call> calls;
  static constexpr std::size_t kSpareCallNodes = 256;
  std::vector<std::unordered_map<CallId, Call>::node_type> spare_call_nodes;  // remember_call
  ReusableBuffer<Contact> contact_buffer;  // for read_contact (see Borrowed)
  TimerId renew_timer = 0;
  // (engine clock, lease clock) at the last renewal: their relative rate (renewal_interval).
  std::optional<std::pair<TimePoint, TimePoint>> renewal_mark;
  std::map<CallId, UnsavedCompletion> unsaved;
  TimerId unsaved_timer = 0;
  // Group commit (write_batch.h): with a database, `storage` is `batching`, and originates wait
  // in `outbox` until the writes before them are durable.
  std::unique_ptr<BatchingStorage> batching;
  std::vector<OriginateRequest> outbox;
  int outbox_holds = 0;
  TimerId flush_timer = 0;
  // What other threads (a real clock's timers, telephony's events) pass through to post work to
  // the engine. ~Engine closes it before anything else goes: closing waits for a post under way,
  // and afterwards they are dropped. Timers hold it by weak reference, so a clock that outlives
  // the engine fires into nothing.
  struct Gate {
    detail::LightMutex mutex;  // held across each post through the gate
    bool open = true;
    // Runs `post` unless the gate is closed.
    template <typename Post>
    void pass(Post&& post) {
      std::lock_guard<detail::LightMutex> lock(mutex);
      if (open) post();
    }
    void close() {
      std::lock_guard<detail::LightMutex> lock(mutex);
      open = false;
    }
  };
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();

  // Where telephony reports events. The driving thread's events run inline, not through the gate
  // (that thread cannot be destroying the engine meanwhile).
  struct Sink final : CallEventSink {
    Impl* impl = nullptr;
    void on_call_event(const CallEvent& event) override {
      if (impl->inline_ok()) {
        impl->post_event(event);
        return;
      }
      impl->gate->pass([&] { impl->post_event(event); });
    }
    void on_inbound_call(const InboundCall& call) override {
      auto arrive = [i = impl, call] { i->inbound->arrive(call); };
      if (impl->inline_ok()) {
        impl->post_handler(arrive);
        return;
      }
      impl->gate->pass([&] { impl->post_handler(arrive); });
    }
  } sink;

  Impl(EngineOptions opts, Storage* s, Telephony* t, Clock* c, EventListener* l);

  TimePoint now() const { return clock->now(); }
  // Lease times: on the clock every engine sharing the storage reads (EngineOptions::lease_clock).
  TimePoint lease_now() const { return options.lease_clock ? options.lease_clock->now() : now(); }
  bool inline_ok() const { return detail::t_driving_engine == this; }

  // ---- execution ----
  // Runs `fn` under the engine lock; work requested meanwhile by listeners runs after it.
  template <typename Fn>
  void run_handler(Fn&& fn) {
    std::lock_guard<detail::LightRecursiveMutex> lock(mutex);
    ++depth;
    try {
      fn();
    } catch (const std::exception& e) {
      logger.log(LogLevel::kError, std::string("engine handler failed: ") + e.what());
    }
    if (depth == 1) {
      while (!deferred.empty()) {
        auto next = std::move(deferred.front());
        deferred.erase(deferred.begin());
        try {
          next();
        } catch (const std::exception& e) {
          logger.log(LogLevel::kError, std::string("engine deferred call failed: ") + e.what());
        }
      }
      if (batching && !clock->is_virtual()) schedule_flush();
    }
    --depth;
  }
  // A mutating public call: deferred when made from inside a handler (a listener callback).
  template <typename Fn>
  void mutate(Fn&& fn) {
    std::unique_lock<detail::LightRecursiveMutex> lock(mutex);
    if (depth > 0) {
      deferred.emplace_back(std::forward<Fn>(fn));
      return;
    }
    lock.unlock();
    run_handler(std::forward<Fn>(fn));
  }
  template <typename Fn>
  void post_handler(Fn&& fn) {
    if (inline_ok()) {
      run_handler(fn);
    } else {
      // Through the strand: with several engine threads, events still apply in arrival order.
      asio::post(strand, [this, fn = std::forward<Fn>(fn)]() mutable { run_handler(fn); });
      posted.fetch_add(1, std::memory_order_release);  // after the post: see run_until_done
    }
  }
  // One std::function per timer. On the hot path `fn` takes the engine (`void(Impl&)`) and
  // captures at most 8 bytes, so the callback fits std::function's inline storage (no allocation);
  // any other `void()` handler works too.
  // A virtual clock fires only on its driving thread and ~Engine cancels every pending timer (all
  // are kept in the fields of calls, campaigns and the engine), so its timers need no liveness
  // token; a real clock's thread may race with ~Engine, so its timers post through the gate.
  template <typename Fn>
  TimerId schedule(TimePoint at, Fn fn) {
    if (clock->is_virtual()) {
      return clock->schedule_at(at, [this, fn] { post_handler([this, fn] { invoke(fn); }); });
    }
    std::weak_ptr<Gate> weak_gate = gate;
    return clock->schedule_at(at, [this, weak_gate = std::move(weak_gate), fn] {
      if (const std::shared_ptr<Gate> open_gate = weak_gate.lock()) {
        open_gate->pass([&] { post_handler([this, fn] { invoke(fn); }); });
      }
    });
  }
  // A call's own timers (a simulated attempt sets two or three): on a virtual clock through
  // Clock::schedule_call, the call's id and the timer's kind in one key, no std::function.
  enum class CallTimer : std::uint8_t { kTimeout, kHold, kWrapUp };
  static constexpr int kCallTimerShift = 56;
  static constexpr CallId kCallTimerIds = (CallId{1} << kCallTimerShift) - 1;
  struct CallTimers final : TimerTarget {
    Impl* impl = nullptr;
    void on_timer(std::uint64_t key) override {
      Impl* self = impl;
      const auto kind = static_cast<CallTimer>(key >> kCallTimerShift);
      const CallId id = key & kCallTimerIds;
      self->post_handler([self, kind, id] { self->fire_call_timer(kind, id); });
    }
  };
  CallTimers call_timers;
  TimerId schedule_call_timer(TimePoint at, CallTimer kind, CallId id) {
    if (clock->is_virtual() && id <= kCallTimerIds) {
      const std::uint64_t key =
          (std::uint64_t{static_cast<std::uint8_t>(kind)} << kCallTimerShift) | id;
      return clock->schedule_call(at, &call_timers, key);
    }
    return schedule(at, [kind, id](Impl& self) { self.fire_call_timer(kind, id); });
  }
  void fire_call_timer(CallTimer kind, CallId id) {
    switch (kind) {
      case CallTimer::kTimeout:
        on_timeout(id);
        break;
      case CallTimer::kHold:
        on_hold_expired(id);
        break;
      case CallTimer::kWrapUp:
        on_wrap_up_expired(id);
        break;
    }
  }
  template <typename Fn>
  void invoke(const Fn& fn) {
    if constexpr (std::is_invocable_v<const Fn&, Impl&>) {
      fn(*this);
    } else {
      fn();
    }
  }
  void cancel_all_timers();

  void journal(const Campaign& c, CallId call, ContactId contact, std::string kind,
               std::string detail);

  template <typename Fn>
  void notify(EventListener::Interest kind, Fn&& fn) {
    if (!listener || !(listener->interests() & kind)) return;
    try {
      fn(*listener);
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kWarn, "listener",
                         std::string("event listener threw: ") + e.what());
    }
  }

  Campaign& campaign_or_throw(const std::string& id);
  Agent& agent_or_throw(AgentId id);

  // ---- agents ----
  void set_agent(Agent& a, AgentState to, CallId call);
  void set_preview(Agent& a, std::optional<DialQueueEntry> entry);

  // The longest-idle AVAILABLE agent, preferring those not about to pause or log out; agents
  // holding a preview are never taken.
  // The AVAILABLE agent (without a preview) to connect a live answer to: one that is not about
  // to leave, idle the longest, the first added on a tie.
  Agent* longest_idle_agent(Campaign& c);

  // The campaign whose pacing counts a shared agent while it is free: the first of its campaigns
  // (by skill priority) that is started and has outbound work: calls pending or waiting for an
  // agent, contacts in its dial queue, or a refill not known to come up empty. With none, the
  // first started one; null when none is started.
  const Campaign* counted_for(const Agent& a) const;
  // Started, with outbound work (counted_for's test).
  bool has_work(const Campaign& c) const;
  // `c` has just run out of work: the campaigns that share its agents count them now and must
  // decide again (no event of theirs may come: they may have had no agent, so no call).
  void hand_over_shared_agents(const Campaign& c);
  // Campaign `c`'s agents as its pacing sees them when some are shared: an agent of `c` alone as
  // the per-state totals count it; a shared agent free only for the campaign counted_for names,
  // busy for the campaign whose call it holds (its own for an inbound call), paused or holding a
  // preview for its own. `leaver` counts as free though about to leave (can_depart);
  // `outbound_only` leaves inbound-only agents out.
  struct AgentCounts {
    int idle = 0, busy = 0, paused = 0, logged_in = 0;
  };
  AgentCounts count_agents(const Campaign& c, AgentId leaver = kNoAgent,
                           bool outbound_only = false) const;
  // Sets the other campaigns a shared agent serves (AgentSkills::campaigns), `ordered` by
  // priority, its own among them; an empty list makes it an agent of its own campaign alone.
  void set_agent_campaigns(Agent& a, std::vector<Campaign*> ordered);
  // Paces each campaign whose calls the agent takes, but `done` (paced already).
  void pace_campaigns_of(const Agent& a, const Campaign* done = nullptr);
  // Connects the oldest live answer of `c` waiting for an agent to `a` (true), if any.
  bool serve_waiting(Campaign& c, Agent& a);

  // An agent is free again: serve a waiting live answer first, else let pacing use it.
  void agent_freed(Agent& a);

  void connect(Call& call, Agent& a);

  // ---- pacing ----
  void pace(Campaign& c);

  // An AVAILABLE agent asked to pause or log out leaves only once the calls already launched can
  // be answered by the agents who stay: otherwise a live answer would find nobody (an abandon
  // that progressive pacing promises never to cause).
  bool can_depart(const Campaign& c) const;
  // can_depart for `a`'s campaign, or for a shared agent the one counting it.
  bool agent_can_depart(const Agent& a) const;
  void release_departing(Campaign& c);

  // Share of today's call window still ahead in the campaign's zone.
  double day_left(const Campaign& c, TimePoint t) const;

  // Periodic decisions, only while there is something to decide: the policy's own tick, or with
  // a real clock the engine's decision interval (time passing changes what a policy sees).
  // With a virtual clock nothing changes between events unless the policy asks for ticks.
  void ensure_tick(Campaign& c);

  std::size_t queue_capacity(const Campaign& c) const;

  void refill(Campaign& c, int wanted);
  // Claims the leases of the entries refill just queued (from `first` on); drops those refused.
  void claim_queued_leases(Campaign& c, std::size_t first);
  // Releases the leases claimed ahead for entries leaving the queue undialled.
  void release_leases_ahead(Campaign& c);
  // A refill that came up short: refill again when another engine's lease on this campaign
  // expires (a dead engine's claimed contacts are dialable then).
  // True when another engine holds a lease on the campaign.
  bool wake_for_others_leases(Campaign& c, TimePoint t);
  // A refill that came up short where other engines share the campaign: each engine waits only
  // for the retries it scheduled itself, so one that stops, normally or not, leaves its retries
  // to engines that never learnt of them. Reads the campaign's stored schedule (at most every
  // half lease, and again while other engines are active) and wakes when its next entry falls
  // due.
  void survey_stored_schedule(Campaign& c, TimePoint t, bool others_active);

  void schedule_wake(Campaign& c);

  // After a storage failure dropped dial queue entries: refill (and so pace, through its wake
  // timer) again in a second, not at once (storage is failing) and not never (nothing else may
  // wake an idle campaign).
  void refill_soon(Campaign& c);

  void unblock_refill(Campaign& c, TimePoint due);

  // ---- group commit ----
  // Applies the buffered writes; on failure they stay buffered and a flush is tried in a second.
  bool flush_writes();
  // A real clock flushes a few ms after the handlers that wrote (a virtual one at each launch
  // and when the simulation returns).
  void schedule_flush();
  static constexpr Duration kFlushDelay = std::chrono::milliseconds(5);
  // While held (a launch batch), originates wait in the outbox; the last release makes the
  // batch's attempts durable in one write, then sends them. If that write fails none is sent:
  // each fails as a network failure and its contact is retried later.
  struct OutboxHold {
    Impl& impl;
    explicit OutboxHold(Impl& i) : impl(i) { ++impl.outbox_holds; }
    OutboxHold(const OutboxHold&) = delete;
    OutboxHold& operator=(const OutboxHold&) = delete;
    ~OutboxHold() {
      if (--impl.outbox_holds == 0) impl.release_outbox();
    }
  };
  void send_when_durable(OriginateRequest req);
  void release_outbox();

  // ---- campaign-wide abandon counts ----
  void count_live_answer(Campaign& c, TimePoint t);
  void count_abandon(Campaign& c, TimePoint t);
  void count_machine(Campaign& c, TimePoint t);
  // Whether the call just answered skips AMD because the counted abandon budget cannot take
  // one more machine result (EngineOptions::suspend_amd_at_cap); counts and journals it if so.
  bool amd_suspended(Campaign& c, const Call& call, TimePoint t);
  // Once a second on the lease clock, and at most 20 times a wall second (a simulation's lease
  // clock may run hours a second): this engine's counts out, the other engines' in.
  void sync_abandon_counts(Campaign& c);
  // The governor's view of the engines sharing the campaign's budget and of this engine's
  // counts they have not read yet.
  void share_budget(Campaign& c, AbandonGovernor::Exposure& exposure);

  int launch_batch(Campaign& c, int wanted);

  // Leased `entry` → an attempt. Re-checks eligibility (time passed since the queue was filled).
  // A storage failure before the call is placed drops the entry (lease released if possible);
  // nothing has been dialed then.
  CallId originate(Campaign& c, const DialQueueEntry& entry, AgentId dedicated);

  CallId place_call(Campaign& c, const DialQueueEntry& entry, AgentId dedicated);
  void send_originate(const OriginateRequest& req);
  void fail_originate(CallId id);

  // A call's map node is kept when it ends and reused for a later call: no allocation per call.
  std::unordered_map<CallId, Call>::iterator remember_call(CallId id, Call&& call);
  void forget_call(CallId id);

  // ---- timers of calls ----
  void arm_timeout(Call& call);

  void on_timeout(CallId id);

  void ensure_renewal();
  // Half a lease's life on the lease clock, in the engine clock's time: the two may run at
  // different rates (an accelerated or virtual engine clock, a wall lease clock), so the rate
  // is measured between renewals; until it is known, a quarter of the lease.
  Duration renewal_interval();
  // Every call's lease in one claim: claiming a lease the owner holds renews it.
  void renew_leases();

  // ---- events ----
  void post_event(const CallEvent& event);

  void handle_event(const CallEvent& event);

  void after_transition(Call& call, const CallStateMachine::Result& r);

  void on_hold_expired(CallId id);

  void finish(Call& call);

  void on_wrap_up_expired(CallId id);

  void end_wrap_up(Call& call, Disposition d, std::optional<TimePoint> callback_at);

  // Applies the attempt's disposition to its contact, records it and forgets the call; then
  // paces the campaign unless the caller does.
  void complete(Call& call, Disposition d, std::optional<TimePoint> callback_at,
                bool pace_after = true);

  // Writes a finished attempt and its contact's new state, then releases the lease. False (and
  // logged) when storage refused; the caller keeps it for a later try.
  bool save_completion(const UnsavedCompletion& done);

  void schedule_unsaved_retry();
  void retry_unsaved();

  // Counts an attempt its contact has not counted yet (recorded, then the engine died or storage
  // failed before the contact was updated).
  static void account_attempt(Contact& contact, const Attempt& a);

  // Checks a contact to be added to a campaign and sets its campaign and its numbers' zone sets.
  // Caller holds the lock. Throws Error(kNotFound) for an unknown campaign, Error(kInvalidArgument)
  // for a contact without numbers or with a number that is not E.164.
  Campaign& prepare_contact(const std::string& campaign_id, Contact& contact);

  // ---- restart reconciliation ----
  // Closes the campaign's open attempts (no disposition in storage) that no live engine owns:
  // placed by an engine that stopped or died. An attempt whose contact is still under another
  // owner's live lease is looked at again when that lease expires.
  void reconcile(Campaign& c);

  // Retries and callbacks an earlier engine scheduled (the campaign resumed from storage): the
  // refill must know when they fall due, or a campaign with nothing due now would never wake.
  void learn_stored_retries(Campaign& c);
  // The due times after `t` of the campaign's stored retries and callbacks, pushed on `due`.
  void read_stored_schedule(
      Campaign& c, TimePoint t,
      std::priority_queue<TimePoint, std::vector<TimePoint>, std::greater<TimePoint>>& due);

  // Some contacts were refused a lease: held by a live engine, or left by a dead one with an
  // open attempt, which storage lets only reconciliation take over (Storage::claim_leases). The
  // dead engine may have died after this one started, so look again, at most every half lease.
  void reconcile_soon(Campaign& c);

  // True when storage still holds `a` without a disposition; `a` is then what storage holds.
  bool still_open(Attempt& a);

  // One open attempt of an earlier engine, its contact leased by us: ask telephony how it ended;
  // if it cannot tell, close it by what storage knows (bridged: COMPLETED, the agent talked;
  // answered only: ABANDONED, the person heard silence; otherwise FAILED/unknown, retryable by
  // the campaign's rules).
  void close_orphan(Campaign& c, Attempt a, TimePoint t);

  void apply_disposition(Campaign& c, Contact& contact, const Attempt& a, Disposition d,
                         std::optional<TimePoint> callback_at, TimePoint t);

  // ---- statistics ----
  CampaignStatistics stats(const Campaign& c) const;
};

}  // namespace omnivox

#endif  // OMNIVOX_ENGINE_ENGINE_IMPL_H_
