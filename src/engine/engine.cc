#include "omnivox/engine.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <queue>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "engine/agent_activity_recorder.h"
#include "engine/inbound_router.h"
#include "engine/write_batch.h"
#include "util/light_mutex.h"

namespace omnivox {
namespace asio = boost::asio;

namespace {

// The engine whose virtual clock this thread is driving: handlers for it run inline.
thread_local const void* t_driving_engine = nullptr;

// Returns drive(d) with `d` the clock's driver as a VirtualClock* when that is its exact type
// (a bare VirtualClock, or a wrapper that forwards to one): VirtualClock is final, so the calls
// a simulation makes per event are direct. Any other driver goes through the interface.
template <typename Drive>
decltype(auto) with_driver(VirtualTimeDriver* driver, Drive&& drive) {
  if (typeid(*driver) == typeid(VirtualClock)) return drive(static_cast<VirtualClock*>(driver));
  return drive(driver);
}

std::string random_owner_token() {
  std::random_device rd;
  std::ostringstream out;
  out << "omnivox-" << std::hex << rd() << rd();
  return out.str();
}

Disposition system_disposition(const CallStateMachine& sm, bool bridged) {
  switch (sm.state()) {
    case CallState::kCompleted:
      if (bridged) return Disposition::kCompleted;
      return sm.amd() == AmdResult::kFax ? Disposition::kFax : Disposition::kMachine;
    case CallState::kAbandoned:
      return Disposition::kAbandoned;
    case CallState::kBusy:
      return Disposition::kBusy;
    case CallState::kNoAnswer:
      return Disposition::kNoAnswer;
    case CallState::kFailed:
      return sm.fail_reason() == FailReason::kInvalidNumber ? Disposition::kInvalidNumber
                                                            : Disposition::kFailed;
    case CallState::kCanceled:
      return Disposition::kCanceled;
    default:
      return Disposition::kNone;
  }
}

}  // namespace

// A set of contact ids: a bitmap for the small, dense ids storages hand out, a hash set beyond.
class ContactIdSet {
 public:
  bool count(ContactId id) const {
    if (id < kDense) return id < bits_.size() && bits_[id];
    return sparse_.count(id) > 0;
  }
  void insert(ContactId id) {
    if (id < kDense) {
      if (id >= bits_.size()) bits_.resize(std::max<std::size_t>(id + 1, 2 * bits_.size()));
      bits_[id] = true;
    } else {
      sparse_.insert(id);
    }
  }
  void erase(ContactId id) {
    if (id < kDense) {
      if (id < bits_.size()) bits_[id] = false;
    } else {
      sparse_.erase(id);
    }
  }

 private:
  static constexpr ContactId kDense = ContactId{1} << 24;
  std::vector<bool> bits_;
  std::unordered_set<ContactId> sparse_;
};

// The last N samples, oldest first, contiguous (for std::span).
class SampleRing {
 public:
  void add(double x) {
    if (buffer_.size() >= 2 * kKeep) buffer_.erase(buffer_.begin(), buffer_.end() - kKeep);
    buffer_.push_back(x);
  }
  std::span<const double> view() const {
    std::size_t n = std::min(buffer_.size(), kKeep);
    return {buffer_.data() + buffer_.size() - n, n};
  }

 private:
  static constexpr std::size_t kKeep = 1000;
  std::vector<double> buffer_;
};

// A buffer reused across calls (its strings and vectors keep their capacity), lent out for a
// scope. A nested use (a handler running inside another, e.g. through a telephony that reports
// inline) finds it lent and gets a fresh one instead of overwriting the outer one's.
template <typename T>
struct ReusableBuffer {
  T value;
  bool lent = false;
};
template <typename T>
class Borrowed {
 public:
  explicit Borrowed(ReusableBuffer<T>& buffer) : buffer_(buffer.lent ? nullptr : &buffer) {
    if (buffer_ != nullptr) {
      buffer_->lent = true;
    } else {
      fallback_.emplace();
    }
  }
  ~Borrowed() {
    if (buffer_ != nullptr) buffer_->lent = false;
  }
  Borrowed(const Borrowed&) = delete;
  Borrowed& operator=(const Borrowed&) = delete;
  T& operator*() { return buffer_ != nullptr ? buffer_->value : *fallback_; }
  T* operator->() { return &**this; }

 private:
  ReusableBuffer<T>* buffer_;
  std::optional<T> fallback_;
};

struct Engine::Impl {
  struct Campaign;
  struct Agent {
    AgentId id = kNoAgent;
    std::string name;
    std::string campaign_id;
    Campaign* campaign = nullptr;  // campaign_id's (campaign objects are never replaced)
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
    // Due times of retries and callbacks, earliest on top.
    std::priority_queue<TimePoint, std::vector<TimePoint>, std::greater<TimePoint>> retry_due;
    TimePoint refill_blocked_until{};
    TimerId wake_timer = 0;
    TimePoint wake_at = TimePoint::max();
    std::vector<AgentId> agents;
    std::vector<AgentId> available;  // the AVAILABLE ones among `agents`, in no order
    int agents_in_state[kAgentStateCount] = {};
    int agents_previewing = 0;  // AVAILABLE agents holding a preview (not idle for pacing)
    int agents_departing = 0;   // AVAILABLE agents waiting to pause or log out (not idle either)
    std::size_t caller_id_next = 0;
    int pending = 0;
    std::deque<CallId> waiting;  // live answers waiting for an agent, oldest first
    long in_flight = 0;
    // statistics
    long attempts = 0, live_answers = 0, machines = 0, abandons = 0, connects = 0;
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

  Impl(EngineOptions opts, Storage* s, Telephony* t, Clock* c, EventListener* l)
      : options(std::move(opts)),
        storage(s),
        telephony(t),
        clock(c),
        listener(l),
        logger(options.log_sink, options.log_level) {
    if (!storage || !telephony || !clock) {
      throw Error(ErrorCode::kInvalidArgument, "Engine: storage, telephony and clock are required");
    }
    if (options.owner_token.empty()) options.owner_token = random_owner_token();
    if (storage->prefers_batched_writes()) {
      batching = std::make_unique<BatchingStorage>(storage, options.owner_token);
      storage = batching.get();
    }
    zones = TimeZoneMap::load(options.time_zone_map_path.empty() ? TimeZoneMap::default_path()
                                                                 : options.time_zone_map_path);
    sink.impl = this;
    call_timers.impl = this;
    telephony->start(&sink);
  }

  TimePoint now() const { return clock->now(); }
  // Lease times: on the clock every engine sharing the storage reads (EngineOptions::lease_clock).
  TimePoint lease_now() const { return options.lease_clock ? options.lease_clock->now() : now(); }
  bool inline_ok() const { return t_driving_engine == this; }

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
  void cancel_all_timers() {
    auto cancel = [this](TimerId& t) {
      if (t) clock->cancel(t), t = 0;
    };
    for (auto& [id, call] : calls) {
      cancel(call.timeout_timer);
      cancel(call.hold_timer);
      cancel(call.wrap_timer);
    }
    for (auto& [id, c] : campaigns) {
      cancel(c->tick_timer);
      cancel(c->wake_timer);
      cancel(c->reconcile_timer);
    }
    cancel(renew_timer);
    cancel(unsaved_timer);
    cancel(flush_timer);
    inbound->cancel_timers();
  }

  void journal(const Campaign& c, CallId call, ContactId contact, std::string kind,
               std::string detail) {
    try {
      storage->append_journal(
          {now(), c.config.id, call, contact, std::move(kind), std::move(detail)});
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kWarn, "journal",
                         std::string("journal append failed: ") + e.what());
    }
  }

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

  Campaign& campaign_or_throw(const std::string& id) {
    auto it = campaigns.find(id);
    if (it == campaigns.end()) throw Error(ErrorCode::kNotFound, "unknown campaign '" + id + "'");
    return *it->second;
  }
  Agent& agent_or_throw(AgentId id) {
    if (id >= agents.size()) {
      throw Error(ErrorCode::kNotFound, "unknown agent " + std::to_string(id));
    }
    return agents[id];
  }

  // ---- agents ----
  void set_agent(Agent& a, AgentState to, CallId call) {
    TimePoint t = now();
    a.seconds_in[static_cast<int>(a.state)] += to_seconds(t - a.state_since);
    AgentState from = a.state;
    Campaign& c = *a.campaign;
    --c.agents_in_state[static_cast<int>(from)];
    ++c.agents_in_state[static_cast<int>(to)];
    if (from != to && from == AgentState::kAvailable) {
      *std::find(c.available.begin(), c.available.end(), a.id) = c.available.back();
      c.available.pop_back();
    } else if (from != to && to == AgentState::kAvailable) {
      c.available.push_back(a.id);
    }
    a.state = to;
    a.state_since = t;
    activity.on_state(a.id, to, t);
    if (to == AgentState::kAvailable) a.idle_since = t;
    if (to == AgentState::kReserved ||
        (to == AgentState::kOnCall && from != AgentState::kReserved)) {
      a.handle_since = t;
    }
    notify(EventListener::kAgentStates, [&](EventListener& l) {
      l.on_agent_state({t, a.campaign_id, a.id, from, to, call});
    });
  }
  void set_preview(Agent& a, std::optional<DialQueueEntry> entry) {
    Campaign& c = *a.campaign;
    c.agents_previewing += (entry ? 1 : 0) - (a.preview ? 1 : 0);
    a.preview = std::move(entry);
  }

  // The longest-idle AVAILABLE agent, preferring those not about to pause or log out; agents
  // holding a preview are never taken.
  // The AVAILABLE agent (without a preview) to connect a live answer to: one that is not about
  // to leave, idle the longest, the first added on a tie.
  Agent* longest_idle_agent(Campaign& c) {
    Agent* best = nullptr;
    for (AgentId id : c.available) {
      Agent& a = agents[id];
      if (a.preview || (inbound->active() && !inbound->takes_outbound(id))) continue;
      if (!best) {
        best = &a;
        continue;
      }
      bool a_departing = a.after_wrap_up.has_value(),
           best_departing = best->after_wrap_up.has_value();
      if (a_departing != best_departing      ? !a_departing
          : a.idle_since != best->idle_since ? a.idle_since < best->idle_since
                                             : a.id < best->id) {
        best = &a;
      }
    }
    return best;
  }

  // An agent is free again: serve a waiting live answer first, else let pacing use it.
  void agent_freed(Agent& a) {
    Campaign& c = *a.campaign;
    if (inbound->active()) inbound->note_free();
    if (a.after_wrap_up && *a.after_wrap_up != AgentState::kAvailable) {
      AgentState next = *a.after_wrap_up;
      a.after_wrap_up.reset();
      set_agent(a, next, kNoCall);
      return;
    }
    a.after_wrap_up.reset();
    set_agent(a, AgentState::kAvailable, kNoCall);
    // Inbound-only agents never take the campaign's calls.
    const bool outbound = !inbound->active() || inbound->takes_outbound(a.id);
    while (outbound && !c.waiting.empty()) {
      CallId id = c.waiting.front();
      c.waiting.pop_front();
      auto it = calls.find(id);
      if (it == calls.end() || it->second.sm.state() != CallState::kHuman) continue;
      connect(it->second, a);
      return;
    }
    if (inbound->active()) inbound->offer(a.id);
  }

  void connect(Call& call, Agent& a) {
    if (a.state == AgentState::kAvailable && a.after_wrap_up) {
      --call.campaign->agents_departing;  // leaves after this call instead
    }
    call.waiting = false;
    call.agent = a.id;
    call.attempt.agent = a.id;
    a.call = call.attempt.call_id;
    if (a.state != AgentState::kReserved) set_agent(a, AgentState::kReserved, call.attempt.call_id);
    telephony->bridge(call.attempt.call_id, a.id);
  }

  // ---- pacing ----
  void pace(Campaign& c) {
    if (!c.started) return;
    TimePoint t = now();
    PacingSnapshot& s = c.snapshot;
    s.now = t;
    auto in = [&](AgentState st) { return c.agents_in_state[static_cast<int>(st)]; };
    if (c.agents_departing > 0) release_departing(c);
    s.agents_idle = in(AgentState::kAvailable)-c.agents_previewing - c.agents_departing;
    s.agents_paused = in(AgentState::kPaused);
    s.agents_busy = in(AgentState::kReserved) + in(AgentState::kOnCall) + in(AgentState::kWrapUp);
    s.agents_logged_in = static_cast<int>(c.agents.size()) - in(AgentState::kLoggedOut);
    if (inbound->active()) inbound->adjust_snapshot(c.config.id, c.agents, c.available, s);
    s.busy_elapsed_s.clear();
    s.pending_elapsed_s.clear();
    s.pending_calls.clear();
    s.busy_agents.clear();
    if (c.policy->wants_details()) {
      for (AgentId id : c.agents) {
        const Agent& a = agents[id];
        if (a.state == AgentState::kReserved || a.state == AgentState::kOnCall ||
            a.state == AgentState::kWrapUp) {
          double elapsed = to_seconds(t - a.handle_since);
          s.busy_elapsed_s.push_back(elapsed);
          s.busy_agents.push_back({a.id, a.state, elapsed});
        }
      }
      for (const auto& [id, call] : calls) {
        if (call.campaign == &c && call.pending) {
          double elapsed = to_seconds(t - call.attempt.created_at);
          s.pending_elapsed_s.push_back(elapsed);
          s.pending_calls.push_back({id, elapsed});
        }
      }
    }
    s.recent_handle_s = c.handle_samples.view();
    s.recent_live_resolve_s = c.live_resolve_samples.view();
    s.recent_other_resolve_s = c.other_resolve_samples.view();
    s.attempts_resolved = c.resolved;
    if (t >= c.day_left_valid_until) {  // local-time formatting is costly: once a minute
      c.day_left = day_left(c, t);
      c.day_left_valid_until = t + std::chrono::minutes(1);
    }
    s.calling_day_left = c.day_left;
    s.calls_pending = c.pending;
    s.calls_waiting = static_cast<int>(c.waiting.size());
    sync_abandon_counts(c);
    const AbandonGovernor::Window window = c.governor->window(t);
    s.live_answers = window.live_answers;
    s.abandons = window.abandons;
    s.abandon_rate = window.rate;
    s.abandon_cap = c.config.compliance.abandon_cap;
    if (c.resolved > 20) {
      s.live_answer_probability = static_cast<double>(c.live_answers) / c.resolved;
      s.mean_time_to_resolve_s = c.resolve_seconds / c.resolved;
    }
    if (c.handled > 5) s.mean_handle_s = c.handle_seconds / c.handled;
    s.dial_queue_size = static_cast<int>(c.queue.size());
    s.real_time = !clock->is_virtual();
    int wanted = std::max(c.policy->decide(s), 0);
    if (inbound->active()) wanted = inbound->decide(c.config.id, s, wanted);
    AbandonGovernor::Exposure exposure;
    exposure.now = s.now;
    exposure.agents_idle = s.agents_idle;
    exposure.calls_waiting = s.calls_waiting;
    exposure.calls_pending = s.calls_pending;
    exposure.live_answer_probability = s.live_answer_probability;
    exposure.attempts_resolved = s.attempts_resolved;
    int allowed = c.governor->clamp(wanted, exposure);
    int launched = 0;
    if (allowed > 0) {
      if (static_cast<int>(c.queue.size()) < allowed) refill(c, allowed);
      launched = launch_batch(c, allowed);
      if (launched < allowed) schedule_wake(c);
    }
    ensure_tick(c);
    if (wanted > 0 || launched > 0) {
      notify(EventListener::kPacingDecisions, [&](EventListener& l) {
        l.on_pacing_decision({t, c.config.id, c.policy->name(), s.agents_idle, s.agents_busy,
                              s.calls_pending, wanted, allowed, launched});
      });
    }
  }

  // An AVAILABLE agent asked to pause or log out leaves only once the calls already launched can
  // be answered by the agents who stay: otherwise a live answer would find nobody (an abandon
  // that progressive pacing promises never to cause).
  bool can_depart(const Campaign& c) const {
    int idle = c.agents_in_state[static_cast<int>(AgentState::kAvailable)] - c.agents_previewing -
               c.agents_departing;
    return c.pending + static_cast<int>(c.waiting.size()) < idle;  // idle counts the leaver
  }
  void release_departing(Campaign& c) {
    for (AgentId id : c.agents) {
      if (c.agents_departing == 0) return;
      Agent& a = agents[id];
      if (a.state != AgentState::kAvailable || !a.after_wrap_up) continue;
      // This agent is counted as departing; it may go if the others cover the pending calls.
      --c.agents_departing;
      if (!can_depart(c)) {
        ++c.agents_departing;
        return;
      }
      AgentState next = *a.after_wrap_up;
      a.after_wrap_up.reset();
      set_agent(a, next, kNoCall);
    }
  }

  // Share of today's call window still ahead in the campaign's zone.
  double day_left(const Campaign& c, TimePoint t) const {
    std::string local = TimeZoneMap::local_time_string(c.config.fallback_time_zone, t);
    int minute = std::stoi(local.substr(11, 2)) * 60 + std::stoi(local.substr(14, 2));
    // The weekday does not matter much here: use the widest range of the week.
    int start = 24 * 60, end = 0;
    for (const auto& r : c.config.call_window.by_weekday) {
      if (r.closed()) continue;
      start = std::min(start, r.start_minute);
      end = std::max(end, r.end_minute);
    }
    if (end <= start) return 0.0;
    if (minute <= start) return 1.0;
    if (minute >= end) return 0.0;
    return static_cast<double>(end - minute) / (end - start);
  }

  // Periodic decisions, only while there is something to decide: the policy's own tick, or with
  // a real clock the engine's decision interval (time passing changes what a policy sees).
  // With a virtual clock nothing changes between events unless the policy asks for ticks.
  void ensure_tick(Campaign& c) {
    Duration every = c.policy->tick_interval();
    if (every <= Duration(0) && !clock->is_virtual()) every = options.decision_interval;
    if (every <= Duration(0) || c.tick_timer || !c.started) return;
    int idle = c.agents_in_state[static_cast<int>(AgentState::kAvailable)];
    bool work =
        c.in_flight > 0 || (idle > 0 && (!c.queue.empty() || now() >= c.refill_blocked_until));
    if (!work) return;
    Campaign* cp = &c;
    c.tick_timer = schedule(now() + every, [cp](Impl& self) {
      cp->tick_timer = 0;
      self.pace(*cp);
    });
  }

  std::size_t queue_capacity(const Campaign& c) const {
    if (c.config.dial_queue_capacity) return c.config.dial_queue_capacity;
    return std::max<std::size_t>(64, 4 * c.agents.size());
  }

  void refill(Campaign& c, int wanted) {
    TimePoint t = now();
    if (t < c.refill_blocked_until) return;
    std::size_t capacity = std::max<std::size_t>(queue_capacity(c), wanted);
    if (c.queue.size() >= capacity) return;
    std::vector<DialQueueEntry>& fresh = c.refill_buffer;  // reused: refills are frequent
    fresh.clear();
    TimePoint window_wake;
    try {
      window_wake = c.generator->fill(
          t, capacity - c.queue.size(), [&](ContactId id) { return c.held.count(id) > 0; }, fresh);
    } catch (const std::exception& e) {
      // Storage failed mid-scan: try again in a second (pace's wake timer), or nothing would
      // ever wake the campaign again.
      logger.log_limited(LogLevel::kError, "refill",
                         std::string("filling the dial queue failed (retried): ") + e.what());
      refill_soon(c);
      return;
    }
    for (auto& e : fresh) {
      c.held.insert(e.contact_id);
      c.queue.push_back(std::move(e));
    }
    if (c.queue.size() < capacity) {
      // Nothing more is dialable before a window opens or a retry falls due.
      while (!c.retry_due.empty() && c.retry_due.top() <= t) c.retry_due.pop();
      TimePoint next_retry = c.retry_due.empty() ? TimePoint::max() : c.retry_due.top();
      c.refill_blocked_until = std::min(window_wake, next_retry);
    }
  }

  void schedule_wake(Campaign& c) {
    TimePoint at = c.refill_blocked_until;
    if (at == TimePoint::max()) return;
    // Already unblocked, yet fewer calls launched than wanted (storage stalled past the block, or
    // leases were refused): look again in a second rather than wait for an event that may never
    // come (the campaign's last calls may have ended).
    if (at <= now()) at = now() + std::chrono::seconds(1);
    if (c.wake_timer && c.wake_at <= at) return;
    if (c.wake_timer) clock->cancel(c.wake_timer);
    c.wake_at = at;
    Campaign* cp = &c;
    c.wake_timer = schedule(at, [cp](Impl& self) {
      cp->wake_timer = 0;
      cp->wake_at = TimePoint::max();
      self.pace(*cp);
    });
  }

  // After a storage failure dropped dial queue entries: refill (and so pace, through its wake
  // timer) again in a second, not at once (storage is failing) and not never (nothing else may
  // wake an idle campaign).
  void refill_soon(Campaign& c) {
    TimePoint soon = now() + std::chrono::seconds(1);
    if (c.refill_blocked_until <= now() || c.refill_blocked_until > soon) {
      c.refill_blocked_until = soon;
    }
    schedule_wake(c);  // now: later storage calls of this handler may stall past `soon`
  }

  void unblock_refill(Campaign& c, TimePoint due) {
    c.refill_blocked_until = std::min(c.refill_blocked_until, due);
  }

  // ---- group commit ----
  // Applies the buffered writes; on failure they stay buffered and a flush is tried in a second.
  bool flush_writes() {
    if (!batching) return true;
    try {
      batching->flush();
      return true;
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kError, "flush",
                         std::string("writing to storage failed (kept, retried): ") + e.what());
      return false;
    }
  }
  // A real clock flushes a few ms after the handlers that wrote (a virtual one at each launch
  // and when the simulation returns).
  void schedule_flush() {
    if (flush_timer || batching->buffered() == 0) return;
    flush_timer = schedule(now() + kFlushDelay, [](Impl& self) {
      self.flush_timer = 0;
      if (!self.flush_writes()) {
        self.flush_timer = self.schedule(self.now() + std::chrono::seconds(1), [](Impl& again) {
          again.flush_timer = 0;
          again.flush_writes();
        });
      }
    });
  }
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
  void send_when_durable(OriginateRequest req) {
    outbox.push_back(std::move(req));
    if (outbox_holds == 0) release_outbox();
  }
  void release_outbox() {
    std::vector<OriginateRequest> out;
    out.swap(outbox);
    if (out.empty()) return;
    const bool durable = flush_writes();
    for (const OriginateRequest& req : out) {
      if (durable) {
        send_originate(req);
      } else {
        fail_originate(req.call_id);
      }
    }
  }

  // ---- campaign-wide abandon counts ----
  void count_live_answer(Campaign& c, TimePoint t) {
    c.governor->record_live_answer(t);
    c.shared_counts->add_live_answer(lease_now());
  }
  void count_abandon(Campaign& c, TimePoint t) {
    c.governor->record_abandon(t);
    c.shared_counts->add_abandon(lease_now());
  }
  void count_machine(Campaign& c, TimePoint t) {
    c.governor->record_amd_machine(t);
    c.shared_counts->add_machine(lease_now());
  }
  // Once a second on the lease clock, and at most 20 times a wall second (a simulation's lease
  // clock may run hours a second): this engine's counts out, the other engines' in.
  void sync_abandon_counts(Campaign& c) {
    const TimePoint t = lease_now();
    const auto wall = std::chrono::steady_clock::now();
    if (c.counts_synced_at != TimePoint::min() &&
        (t < c.counts_synced_at + std::chrono::seconds(1) ||
         wall < c.counts_synced_wall + std::chrono::milliseconds(50))) {
      return;
    }
    c.counts_synced_at = t;
    c.counts_synced_wall = wall;
    try {
      // The others' calls count as this engine's own, at their time on this engine's clock.
      for (const AbandonBucket& b :
           c.shared_counts->sync(*storage, t, c.governor->profile().abandon_window)) {
        const TimePoint at = now() - (t - b.minute);
        for (std::int64_t i = 0; i < b.counts.live_answers; ++i) c.governor->record_live_answer(at);
        for (std::int64_t i = 0; i < b.counts.abandons; ++i) c.governor->record_abandon(at);
        for (std::int64_t i = 0; i < b.counts.machines; ++i) c.governor->record_amd_machine(at);
      }
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kWarn, "abandon counts",
                         std::string("sharing abandon counts failed: ") + e.what());
    }
  }

  int launch_batch(Campaign& c, int wanted) {
    OutboxHold hold(*this);
    int launched = 0;
    while (launched < wanted && !c.queue.empty()) {
      // Reused buffers: a launch is as frequent as an attempt. (Not reentrant-safe to share:
      // originate below may run nested handlers that launch too, so take them out first.)
      std::vector<DialQueueEntry> batch = std::move(c.launch_buffer);
      std::vector<ContactId> ids = std::move(c.launch_ids);
      batch.clear();
      ids.clear();
      while (static_cast<int>(batch.size()) < wanted - launched && !c.queue.empty()) {
        batch.push_back(std::move(c.queue.front()));
        c.queue.pop_front();
      }
      for (const auto& e : batch) ids.push_back(e.contact_id);
      std::vector<ContactId> claimed;
      try {
        claimed = storage->claim_leases(ids, options.owner_token, lease_now(), options.lease_ttl);
      } catch (const std::exception& e) {
        logger.log_limited(LogLevel::kWarn, "claim",
                           std::string("lease claim failed: ") + e.what());
        for (auto& entry : batch) c.held.erase(entry.contact_id);
        refill_soon(c);
        return launched;
      }
      // Usually every lease is granted: only build a lookup set when some were refused.
      const bool all_claimed = claimed.size() == ids.size();
      std::unordered_set<ContactId> ok;
      if (!all_claimed) {
        ok.insert(claimed.begin(), claimed.end());
        reconcile_soon(c);
      }
      for (auto& entry : batch) {
        if (!all_claimed && !ok.count(entry.contact_id)) {
          c.held.erase(entry.contact_id);
          continue;
        }
        if (originate(c, entry, kNoAgent) != kNoCall) ++launched;
      }
      c.launch_buffer = std::move(batch);
      c.launch_ids = std::move(ids);
    }
    return launched;
  }

  // Leased `entry` → an attempt. Re-checks eligibility (time passed since the queue was filled).
  // A storage failure before the call is placed drops the entry (lease released if possible);
  // nothing has been dialed then.
  CallId originate(Campaign& c, const DialQueueEntry& entry, AgentId dedicated) {
    try {
      return place_call(c, entry, dedicated);
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kError, "originate",
                         "contact " + std::to_string(entry.contact_id) +
                             " not dialed: storage failed: " + e.what());
      c.held.erase(entry.contact_id);
      refill_soon(c);
      try {
        storage->release_lease(entry.contact_id, options.owner_token);
      } catch (const std::exception&) {
        // The lease expires by itself.
      }
      return kNoCall;
    }
  }

  CallId place_call(Campaign& c, const DialQueueEntry& entry, AgentId dedicated) {
    TimePoint t = now();
    Borrowed<Contact> scratch(contact_buffer);
    Contact* contact = storage->read_contact(entry.contact_id, *scratch) ? &*scratch : nullptr;
    auto drop = [&](const std::string& why) {
      storage->release_lease(entry.contact_id, options.owner_token);
      c.held.erase(entry.contact_id);
      logger.log(LogLevel::kDebug,
                 "dial queue entry " + std::to_string(entry.contact_id) + " dropped: " + why);
      return kNoCall;
    };
    if (!contact) return drop("contact vanished");
    const bool agent_guaranteed = dedicated != kNoAgent || entry.callback_agent != kNoAgent;
    EligibilityReport report =
        c.generator->explain(*contact, t, options.owner_token, false, agent_guaranteed);
    if (report.reason != Ineligibility::kNone) return drop(report.detail);
    if (storage->is_dnc(c.config.id, entry.number)) {
      contact->status = ContactStatus::kDoNotCall;
      storage->update_contact(*contact);
      return drop("on a DNC list");
    }
    if (entry.callback_agent != kNoAgent && dedicated == kNoAgent) {
      Agent& owner = agents.at(entry.callback_agent);
      if (owner.state != AgentState::kAvailable) return drop("callback owner not available");
      dedicated = owner.id;
    }
    std::uint16_t number_index = entry.number_index;
    PhoneNumber& number = contact->numbers.at(number_index);
    CallId id = storage->allocate_call_id();
    Call call;
    call.campaign = &c;
    call.sm = CallStateMachine(t);
    Attempt& a = call.attempt;
    a.call_id = id;
    a.contact_id = contact->id;
    a.campaign_id = c.config.id;
    a.number = number.e164;
    a.number_index = number_index;
    a.attempt_number = static_cast<std::uint16_t>(contact->attempts + 1);
    a.caller_id = c.config.caller_ids.empty()
                      ? std::string()
                      : c.config.caller_ids[c.caller_id_next++ % c.config.caller_ids.size()];
    a.created_at = t;
    // The attempt is recorded before the contact counts it: a crash between the two writes leaves
    // an open attempt, which reconciliation closes and counts (account_attempt).
    storage->put_attempt(a);
    contact->attempts++;
    number.attempts++;
    contact->last_attempt_at = t;
    if (contact->status == ContactStatus::kCallback) contact->status = ContactStatus::kRetry;
    try {
      storage->update_contact(*contact);
    } catch (const std::exception& e) {
      // Recorded but not dialed: close it as FAILED (network) once storage takes it again.
      logger.log_limited(LogLevel::kError, "originate",
                         "call " + std::to_string(id) + " not dialed: storage failed: " + e.what());
      a.state = CallState::kFailed;
      a.fail_reason = FailReason::kNetwork;
      a.disposition = Disposition::kFailed;
      a.ended_at = t;
      unsaved.emplace(id, UnsavedCompletion{&c, a, std::nullopt, t});
      schedule_unsaved_retry();
      return kNoCall;
    }
    call.dedicated_agent = dedicated;
    if (dedicated != kNoAgent) {
      Agent& ag = agents[dedicated];
      set_preview(ag, std::nullopt);
      ag.call = id;
      set_agent(ag, AgentState::kReserved, id);
    }
    ++c.attempts;
    ++c.pending;
    ++c.in_flight;
    OriginateRequest req;
    req.call_id = id;
    req.contact_id = contact->id;
    req.external_id = contact->external_id;
    req.campaign_id = c.config.id;
    req.to = number.e164;
    req.from = a.caller_id;
    req.attempt_number = a.attempt_number;
    req.ring_timeout = c.config.ring_timeout;
    req.amd = c.config.amd;
    auto it = remember_call(id, std::move(call));
    arm_timeout(it->second);
    ensure_renewal();
    if (options.journal_state_changes) {
      journal(c, id, contact->id, "state", "QUEUED to " + number.e164);
    }
    notify(EventListener::kCallStates, [&](EventListener& l) {
      l.on_call_state(
          {t, c.config.id, id, contact->id, CallState::kQueued, CallState::kQueued, dedicated});
    });
    if (batching) {
      send_when_durable(std::move(req));
    } else {
      send_originate(req);
    }
    return id;
  }
  void send_originate(const OriginateRequest& req) {
    try {
      telephony->originate(req);
    } catch (const std::exception& e) {
      // Telephony must report failures as events, not throw; one that throws gets the same: the
      // call fails (network) right after this handler, and its contact stays held until then.
      logger.log_limited(
          LogLevel::kError, "originate",
          "call " + std::to_string(req.call_id) + ": telephony originate threw: " + e.what());
      fail_originate(req.call_id);
    }
  }
  void fail_originate(CallId id) {
    CallEvent failed;
    failed.call_id = id;
    failed.kind = CallEventKind::kFailed;
    failed.fail_reason = FailReason::kNetwork;
    schedule(now(), [this, failed] { handle_event(failed); });
  }

  // A call's map node is kept when it ends and reused for a later call: no allocation per call.
  std::unordered_map<CallId, Call>::iterator remember_call(CallId id, Call&& call) {
    if (spare_call_nodes.empty()) return calls.emplace(id, std::move(call)).first;
    auto node = std::move(spare_call_nodes.back());
    spare_call_nodes.pop_back();
    node.key() = id;
    node.mapped() = std::move(call);
    return calls.insert(std::move(node)).position;
  }
  void forget_call(CallId id) {
    auto node = calls.extract(id);
    if (!node.empty() && spare_call_nodes.size() < kSpareCallNodes) {
      spare_call_nodes.push_back(std::move(node));
    }
  }

  // ---- timers of calls ----
  void arm_timeout(Call& call) {
    auto deadline = call.sm.deadline(options.timeouts, call.campaign->config.ring_timeout);
    if (!deadline) return;
    call.timeout_at = *deadline;
    if (call.timeout_timer) return;  // the pending timer re-arms itself when it fires early
    CallId id = call.attempt.call_id;
    call.timeout_timer = schedule_call_timer(*deadline, CallTimer::kTimeout, id);
  }

  void on_timeout(CallId id) {
    auto it = calls.find(id);
    if (it == calls.end()) return;
    Call& call = it->second;
    call.timeout_timer = 0;
    if (is_terminal(call.sm.state())) return;
    if (now() < call.timeout_at) {
      call.timeout_timer = schedule_call_timer(call.timeout_at, CallTimer::kTimeout, id);
      return;
    }
    CallState before = call.sm.state();
    auto r = call.sm.force(CallState::kFailed, now(), FailReason::kTimeout);
    logger.log_limited(LogLevel::kWarn, "timeout",
                       "call " + std::to_string(id) + " timed out in state " + to_string(before));
    telephony->hangup(id);
    after_transition(call, r);
  }

  void ensure_renewal() {
    if (renew_timer || calls.empty()) return;
    renew_timer = schedule(now() + renewal_interval(), [](Impl& self) { self.renew_leases(); });
  }
  // Half a lease's life on the lease clock, in the engine clock's time: the two may run at
  // different rates (an accelerated or virtual engine clock, a wall lease clock), so the rate
  // is measured between renewals; until it is known, a quarter of the lease.
  Duration renewal_interval() {
    if (!options.lease_clock) return options.lease_ttl / 2;
    const TimePoint engine_t = now(), lease_t = lease_now();
    Duration interval = options.lease_ttl / 4;
    if (renewal_mark && engine_t > renewal_mark->first && lease_t > renewal_mark->second) {
      const double lease_per_engine =
          static_cast<double>((lease_t - renewal_mark->second).count()) /
          static_cast<double>((engine_t - renewal_mark->first).count());
      const double half = static_cast<double>((options.lease_ttl / 2).count());
      interval = Duration(static_cast<Duration::rep>(std::clamp(
          half / lease_per_engine, 1.0, static_cast<double>(options.lease_ttl.count()))));
    }
    renewal_mark = {engine_t, lease_t};
    return interval;
  }
  // Every call's lease in one claim: claiming a lease the owner holds renews it.
  void renew_leases() {
    renew_timer = 0;
    TimePoint t = lease_now();
    try {
      std::vector<ContactId> ids;
      ids.reserve(calls.size());
      for (auto& [id, call] : calls) ids.push_back(call.attempt.contact_id);
      std::vector<ContactId> renewed =
          storage->claim_leases(ids, options.owner_token, t, options.lease_ttl);
      if (renewed.size() != ids.size()) {
        std::unordered_set<ContactId> kept(renewed.begin(), renewed.end());
        for (auto& [id, call] : calls) {
          if (kept.count(call.attempt.contact_id)) continue;
          logger.log_limited(LogLevel::kWarn, "renew",
                             "lease of contact " + std::to_string(call.attempt.contact_id) +
                                 " was lost during call " + std::to_string(id));
        }
      }
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kError, "renew",
                         std::string("renewing leases failed (retried): ") + e.what());
    }
    ensure_renewal();
  }

  // ---- events ----
  void post_event(const CallEvent& event) {
    if (inline_ok()) {
      run_handler([&] { handle_event(event); });  // no copy of the event: it runs now
      return;
    }
    post_handler([this, event] { handle_event(event); });
  }

  void handle_event(const CallEvent& event) {
    if (event.call_id >= kFirstInboundCallId && inbound->on_event(event)) return;
    auto it = calls.find(event.call_id);
    if (it == calls.end()) {
      logger.log(LogLevel::kDebug, std::string("event ") + to_string(event.kind) +
                                       " for finished or unknown call " +
                                       std::to_string(event.call_id));
      return;
    }
    Call& call = it->second;
    TimePoint t = now();
    if (!event.provider_call_id.empty() && call.attempt.provider_call_id.empty()) {
      call.attempt.provider_call_id = event.provider_call_id;
    }
    if (event.provider_code) call.attempt.provider_code = event.provider_code;
    auto r = call.sm.apply(event, t);
    if (r.outcome != ApplyOutcome::kApplied) {
      journal(*call.campaign, call.attempt.call_id, call.attempt.contact_id,
              r.outcome == ApplyOutcome::kDuplicate ? "duplicate_event" : "late_event",
              std::string(to_string(event.kind)) + " seq " + std::to_string(event.sequence) +
                  " in state " + to_string(r.from));
      return;
    }
    after_transition(call, r);
  }

  void after_transition(Call& call, const CallStateMachine::Result& r) {
    Campaign& c = *call.campaign;
    TimePoint t = now();
    CallId id = call.attempt.call_id;
    call.attempt.state = r.to;
    if (options.journal_state_changes) {
      journal(c, id, call.attempt.contact_id, "state",
              std::string(to_string(r.from)) + " -> " + to_string(r.to));
    }
    notify(EventListener::kCallStates, [&](EventListener& l) {
      l.on_call_state({t, c.config.id, id, call.attempt.contact_id, r.from, r.to, call.agent});
    });
    auto resolve = [&] {
      if (!call.pending) return;
      call.pending = false;
      --c.pending;
      ++c.resolved;
      double took = to_seconds(t - call.attempt.created_at);
      c.resolve_seconds += took;
      (r.to == CallState::kHuman ? c.live_resolve_samples : c.other_resolve_samples).add(took);
    };
    switch (r.to) {
      case CallState::kAnswered:
        call.attempt.answered_at = t;
        if (!c.config.amd) {
          auto human = call.sm.force(CallState::kHuman, t);
          after_transition(call, human);
          return;
        }
        break;
      case CallState::kHuman: {
        if (call.attempt.answered_at == TimePoint{}) call.attempt.answered_at = t;
        call.attempt.amd = call.sm.amd();  // NONE when the campaign does not use AMD
        resolve();
        ++c.live_answers;
        count_live_answer(c, t);
        Agent* agent = call.dedicated_agent != kNoAgent ? &agents[call.dedicated_agent]
                                                        : longest_idle_agent(c);
        if (agent) {
          connect(call, *agent);
        } else {
          call.waiting = true;
          c.waiting.push_back(id);
        }
        call.hold_timer = schedule_call_timer(t + c.config.hold_window, CallTimer::kHold, id);
        break;
      }
      case CallState::kMachine:
      case CallState::kFax:
        if (call.attempt.answered_at == TimePoint{}) call.attempt.answered_at = t;
        call.attempt.amd = call.sm.amd();
        resolve();
        ++c.machines;
        if (r.to == CallState::kMachine) count_machine(c, t);
        if (!c.config.voicemail_message.empty() && r.to == CallState::kMachine) {
          telephony->play(id, c.config.voicemail_message);
        }
        telephony->hangup(id);
        break;
      case CallState::kBridged: {
        call.bridged = true;
        call.waiting = false;
        call.attempt.bridged_at = t;
        ++c.connects;
        if (call.hold_timer) clock->cancel(call.hold_timer), call.hold_timer = 0;
        if (call.agent != kNoAgent) set_agent(agents[call.agent], AgentState::kOnCall, id);
        break;
      }
      default:
        break;
    }
    if (is_terminal(r.to)) {
      resolve();
      finish(call);
      return;
    }
    arm_timeout(call);
    // Dialing, ringing and an answer not yet classified by AMD change no pacing input (agents,
    // pending and waiting calls, answers): only a policy that reads the calls' ages decides again.
    const bool inputs_unchanged =
        r.to == CallState::kDialing || r.to == CallState::kRinging || r.to == CallState::kAnswered;
    if (!inputs_unchanged || c.policy->wants_details()) pace(c);
  }

  void on_hold_expired(CallId id) {
    auto it = calls.find(id);
    if (it == calls.end()) return;
    Call& call = it->second;
    call.hold_timer = 0;
    if (call.sm.state() != CallState::kHuman) return;
    auto r = call.sm.force(CallState::kAbandoned, now());
    Campaign& c = *call.campaign;
    telephony->play(id, c.config.safe_harbor_message);
    telephony->hangup(id);
    after_transition(call, r);
  }

  void finish(Call& call) {
    Campaign& c = *call.campaign;
    TimePoint t = now();
    CallId id = call.attempt.call_id;
    if (call.timeout_timer) clock->cancel(call.timeout_timer), call.timeout_timer = 0;
    if (call.hold_timer) clock->cancel(call.hold_timer), call.hold_timer = 0;
    if (call.waiting) {
      c.waiting.erase(std::remove(c.waiting.begin(), c.waiting.end(), id), c.waiting.end());
      call.waiting = false;
    }
    call.attempt.ended_at = t;
    call.attempt.fail_reason = call.sm.fail_reason();
    if (call.sm.state() == CallState::kAbandoned) {
      ++c.abandons;
      count_abandon(c, t);
    }
    AgentId agent_id = call.agent != kNoAgent ? call.agent : call.dedicated_agent;
    if (call.bridged && agent_id != kNoAgent) {
      // The agent wraps up and sets the disposition (set_disposition).
      call.awaiting_disposition = true;
      try {
        storage->put_attempt(call.attempt);  // bridged_at survives a crash in wrap-up
      } catch (const std::exception& e) {
        logger.log_limited(LogLevel::kError, "wrap_up",
                           "recording call " + std::to_string(id) + " failed: " + e.what());
      }
      set_agent(agents[agent_id], AgentState::kWrapUp, id);
      call.wrap_timer = schedule_call_timer(t + options.max_wrap_up, CallTimer::kWrapUp, id);
      pace(c);
      return;
    }
    if (agent_id != kNoAgent) {
      Agent& a = agents[agent_id];
      if (a.call == id) {
        a.call = kNoCall;
        agent_freed(a);
      }
    }
    complete(call, system_disposition(call.sm, call.bridged), std::nullopt);
  }

  void on_wrap_up_expired(CallId id) {
    auto it = calls.find(id);
    if (it == calls.end() || !it->second.awaiting_disposition) return;
    it->second.wrap_timer = 0;
    logger.log_limited(LogLevel::kWarn, "wrap_up",
                       "call " + std::to_string(id) + ": no disposition after " +
                           std::to_string(options.max_wrap_up.count() / 1000) +
                           " s of wrap-up; recorded as COMPLETED");
    end_wrap_up(it->second, Disposition::kCompleted, std::nullopt);
  }

  void end_wrap_up(Call& call, Disposition d, std::optional<TimePoint> callback_at) {
    AgentId agent_id = call.agent != kNoAgent ? call.agent : call.dedicated_agent;
    Campaign& campaign = *call.campaign;
    TimePoint t = now();
    if (call.attempt.bridged_at != TimePoint{}) {
      ++campaign.handled;
      TimePoint handed =
          agent_id != kNoAgent ? agents[agent_id].handle_since : call.attempt.bridged_at;
      double handle = to_seconds(t - std::min(handed, call.attempt.bridged_at));
      campaign.handle_seconds += handle;
      campaign.handle_samples.add(handle);
      if (agent_id != kNoAgent) activity.on_handled(agent_id, d, t);
    }
    // With an agent, pacing decides once, after the agent is free too (not also in between).
    complete(call, d, callback_at, /*pace_after=*/agent_id == kNoAgent);  // forgets `call`
    if (agent_id != kNoAgent) {
      Agent& a = agents[agent_id];
      a.call = kNoCall;
      agent_freed(a);
      pace(campaign);
    }
  }

  // Applies the attempt's disposition to its contact, records it and forgets the call; then
  // paces the campaign unless the caller does.
  void complete(Call& call, Disposition d, std::optional<TimePoint> callback_at,
                bool pace_after = true) {
    Campaign& c = *call.campaign;
    TimePoint t = now();
    CallId id = call.attempt.call_id;
    if (call.wrap_timer) clock->cancel(call.wrap_timer), call.wrap_timer = 0;
    call.attempt.disposition = d;
    ++c.dispositions[static_cast<int>(d)];
    --c.in_flight;
    if (options.journal_state_changes) {
      journal(c, id, call.attempt.contact_id, "disposition", to_string(d));
    }
    UnsavedCompletion done{&c, std::move(call.attempt), callback_at, t};
    forget_call(id);  // `call` is gone
    if (save_completion(done)) {
      c.held.erase(done.attempt.contact_id);
    } else {
      unsaved.emplace(id, done);
      schedule_unsaved_retry();
    }
    notify(EventListener::kAttemptsFinished,
           [&](EventListener& l) { l.on_attempt_finished(done.attempt); });
    if (pace_after) pace(c);
  }

  // Writes a finished attempt and its contact's new state, then releases the lease. False (and
  // logged) when storage refused; the caller keeps it for a later try.
  bool save_completion(const UnsavedCompletion& done) {
    const Attempt& a = done.attempt;
    try {
      Borrowed<Contact> contact(contact_buffer);
      if (storage->read_contact(a.contact_id, *contact)) {
        account_attempt(*contact, a);
        apply_disposition(*done.campaign, *contact, a, a.disposition, done.callback_at, done.at);
        storage->update_contact(*contact);
      }
      storage->put_attempt(a);
      storage->release_lease(a.contact_id, options.owner_token);
      return true;
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kError, "complete",
                         "recording call " + std::to_string(a.call_id) +
                             " failed (kept, retried every second): " + e.what());
      return false;
    }
  }

  void schedule_unsaved_retry() {
    if (unsaved_timer || unsaved.empty()) return;
    unsaved_timer =
        schedule(now() + std::chrono::seconds(1), [](Impl& self) { self.retry_unsaved(); });
  }
  void retry_unsaved() {
    unsaved_timer = 0;
    for (auto it = unsaved.begin(); it != unsaved.end();) {
      if (!save_completion(it->second)) break;  // storage still away: keep the rest too
      Campaign& c = *it->second.campaign;
      c.held.erase(it->second.attempt.contact_id);
      it = unsaved.erase(it);
      pace(c);
    }
    if (!unsaved.empty()) {
      // Keep the leases of the contacts waiting here alive while storage is away.
      for (auto& [id, done] : unsaved) {
        try {
          storage->renew_lease(done.attempt.contact_id, options.owner_token, lease_now(),
                               options.lease_ttl);
        } catch (const std::exception&) {
          break;
        }
      }
    }
    schedule_unsaved_retry();
  }

  // Counts an attempt its contact has not counted yet (recorded, then the engine died or storage
  // failed before the contact was updated).
  static void account_attempt(Contact& contact, const Attempt& a) {
    if (contact.attempts >= a.attempt_number) return;
    contact.attempts = a.attempt_number;
    if (a.number_index < contact.numbers.size()) contact.numbers[a.number_index].attempts++;
    contact.last_attempt_at = std::max(contact.last_attempt_at, a.created_at);
    if (contact.status == ContactStatus::kCallback) contact.status = ContactStatus::kRetry;
  }

  // Checks a contact to be added to a campaign and sets its campaign and its numbers' zone sets.
  // Caller holds the lock. Throws Error(kNotFound) for an unknown campaign, Error(kInvalidArgument)
  // for a contact without numbers or with a number that is not E.164.
  Campaign& prepare_contact(const std::string& campaign_id, Contact& contact) {
    Campaign& c = campaign_or_throw(campaign_id);
    if (contact.numbers.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "contact '" + contact.external_id + "': at least one phone number is required");
    }
    contact.campaign_id = campaign_id;
    ZoneSetId zone_override = kUnknownZoneSet;
    if (!contact.time_zone.empty()) zone_override = zones.intern_zones({contact.time_zone});
    for (auto& n : contact.numbers) {
      if (n.e164.empty() || n.e164[0] != '+') {
        throw Error(ErrorCode::kInvalidArgument,
                    "contact '" + contact.external_id + "': number '" + n.e164 + "' is not E.164");
      }
      n.zone_set = zone_override != kUnknownZoneSet ? zone_override : zones.zone_set_for(n.e164);
    }
    return c;
  }

  // ---- restart reconciliation ----
  // Closes the campaign's open attempts (no disposition in storage) that no live engine owns:
  // placed by an engine that stopped or died. An attempt whose contact is still under another
  // owner's live lease is looked at again when that lease expires.
  void reconcile(Campaign& c) {
    if (c.reconcile_timer) clock->cancel(c.reconcile_timer), c.reconcile_timer = 0;
    TimePoint t = now();
    c.last_reconcile = t;
    TimePoint next_look = TimePoint::max();
    std::vector<Attempt> open;
    try {
      storage->scan_open_attempts(c.config.id, [&](const Attempt& a) {
        if (!calls.count(a.call_id) && !unsaved.count(a.call_id)) open.push_back(a);
        return true;
      });
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kError, "reconcile",
                         std::string("reading open attempts failed: ") + e.what());
      next_look = t + std::chrono::seconds(5);
    }
    // Lease expiries are on the lease clock; a look again is scheduled on the engine's.
    const TimePoint lease_t = lease_now();
    for (Attempt& a : open) {
      try {
        auto lease = storage->get_lease(a.contact_id);
        if (lease && lease->expiry > lease_t && lease->owner != options.owner_token) {
          next_look =
              std::min(next_look, t + (lease->expiry - lease_t) + std::chrono::milliseconds(100));
          continue;
        }
        const ContactId ids[1] = {a.contact_id};
        // Claiming first keeps two surviving engines from closing the same attempt.
        if (storage->claim_leases_to_reconcile(ids, options.owner_token, lease_t, options.lease_ttl)
                .empty()) {
          next_look = std::min(next_look, t + options.lease_ttl / 2);
          continue;
        }
        // Read again under our lease: its engine may have finished the call (and released the
        // lease) since the scan, and its record is the truth then.
        if (!still_open(a)) {
          if (!c.held.count(a.contact_id))
            storage->release_lease(a.contact_id, options.owner_token);
          continue;
        }
        close_orphan(c, a, t);
        if (!c.held.count(a.contact_id)) storage->release_lease(a.contact_id, options.owner_token);
      } catch (const std::exception& e) {
        logger.log_limited(
            LogLevel::kError, "reconcile",
            "reconciling call " + std::to_string(a.call_id) + " failed: " + e.what());
        next_look = std::min(next_look, t + std::chrono::seconds(5));
      }
    }
    if (next_look != TimePoint::max() && c.started) {
      Campaign* cp = &c;
      c.reconcile_timer = schedule(next_look, [cp](Impl& self) {
        cp->reconcile_timer = 0;
        self.reconcile(*cp);
      });
    }
  }

  // Retries and callbacks an earlier engine scheduled (the campaign resumed from storage): the
  // refill must know when they fall due, or a campaign with nothing due now would never wake.
  void learn_stored_retries(Campaign& c) {
    const TimePoint t = now();
    ContactScan scan;
    scan.campaign_id = c.config.id;
    // Every contact, not the dialable-by-time scan: that one would move the backend's whole
    // future into its ready set (the memory backend's promote), and every refill after it would
    // pass over contacts not due yet.
    scan.dialable_only = false;
    try {
      storage->scan_contact_views(scan, [&](const ContactView& v) -> ScanStep {
        // NEW contacts' times are deferral hints (Storage::defer_contacts), not scheduled work.
        const bool scheduled =
            v.status == ContactStatus::kRetry || v.status == ContactStatus::kCallback;
        if (scheduled && v.next_attempt_at > t) c.retry_due.push(v.next_attempt_at);
        return ScanStep::next();
      });
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kError, "start",
                         std::string("reading scheduled retries failed: ") + e.what());
    }
  }

  // Some contacts were refused a lease: held by a live engine, or left by a dead one with an
  // open attempt, which storage lets only reconciliation take over (Storage::claim_leases). The
  // dead engine may have died after this one started, so look again, at most every half lease.
  void reconcile_soon(Campaign& c) {
    if (c.reconcile_timer || !c.started) return;
    Campaign* cp = &c;
    c.reconcile_timer =
        schedule(std::max(now(), c.last_reconcile + options.lease_ttl / 2), [cp](Impl& self) {
          cp->reconcile_timer = 0;
          self.reconcile(*cp);
        });
  }

  // True when storage still holds `a` without a disposition; `a` is then what storage holds.
  bool still_open(Attempt& a) {
    for (Attempt& stored : storage->attempts_of(a.contact_id)) {
      if (stored.call_id != a.call_id) continue;
      if (stored.disposition != Disposition::kNone) return false;
      a = std::move(stored);
      return true;
    }
    return false;
  }

  // One open attempt of an earlier engine, its contact leased by us: ask telephony how it ended;
  // if it cannot tell, close it by what storage knows (bridged: COMPLETED, the agent talked;
  // answered only: ABANDONED, the person heard silence; otherwise FAILED/unknown, retryable by
  // the campaign's rules).
  void close_orphan(Campaign& c, Attempt a, TimePoint t) {
    std::optional<CallEvent> looked;
    try {
      looked = telephony->lookup_call(a);
    } catch (const std::exception& e) {
      logger.log_limited(LogLevel::kWarn, "reconcile",
                         std::string("telephony lookup_call threw: ") + e.what());
    }
    Disposition d = Disposition::kFailed;
    std::string how = "telephony could not tell";
    const bool bridged = a.bridged_at != TimePoint{};
    const bool answered = a.answered_at != TimePoint{};
    if (looked && ends_call(looked->kind)) {
      how = std::string("telephony reported ") + to_string(looked->kind);
      if (looked->provider_code) a.provider_code = looked->provider_code;
      switch (looked->kind) {
        case CallEventKind::kBusy:
          d = Disposition::kBusy, a.state = CallState::kBusy;
          break;
        case CallEventKind::kNoAnswer:
          d = Disposition::kNoAnswer, a.state = CallState::kNoAnswer;
          break;
        case CallEventKind::kCanceled:
          d = Disposition::kCanceled, a.state = CallState::kCanceled;
          break;
        case CallEventKind::kFailed:
          a.state = CallState::kFailed;
          a.fail_reason =
              looked->fail_reason == FailReason::kNone ? FailReason::kUnknown : looked->fail_reason;
          d = a.fail_reason == FailReason::kInvalidNumber ? Disposition::kInvalidNumber
                                                          : Disposition::kFailed;
          break;
        default:  // kCompleted: it was answered
          d = bridged ? Disposition::kCompleted : Disposition::kAbandoned;
          a.state = bridged ? CallState::kCompleted : CallState::kAbandoned;
          break;
      }
    } else {
      if (looked) {
        how = "telephony reported it live; hung up";
        telephony->hangup(a.call_id);
      }
      if (bridged) {
        d = Disposition::kCompleted, a.state = CallState::kCompleted;
      } else if (answered) {
        d = Disposition::kAbandoned, a.state = CallState::kAbandoned;
      } else {
        d = Disposition::kFailed, a.state = CallState::kFailed,
        a.fail_reason = FailReason::kUnknown;
      }
    }
    if (d == Disposition::kAbandoned) count_abandon(c, a.answered_at);
    a.disposition = d;
    a.ended_at = t;
    // A later attempt of the same contact (dialed after the lease expired) owns its state now.
    bool superseded = false;
    for (const Attempt& other : storage->attempts_of(a.contact_id)) {
      if (other.call_id > a.call_id) superseded = true;
    }
    if (!superseded) {
      if (auto contact = storage->get_contact(a.contact_id)) {
        account_attempt(*contact, a);
        apply_disposition(c, *contact, a, d, std::nullopt, t);
        storage->update_contact(*contact);
      }
    }
    storage->put_attempt(a);
    ++c.reconciled;
    logger.log_limited(LogLevel::kWarn, "reconcile",
                       "call " + std::to_string(a.call_id) + " of contact " +
                           std::to_string(a.contact_id) + " was open from an earlier engine (" +
                           how + "): closed as " + to_string(d));
    journal(c, a.call_id, a.contact_id, "reconciled", how + "; closed as " + to_string(d));
    notify(EventListener::kAttemptsFinished, [&](EventListener& l) { l.on_attempt_finished(a); });
  }

  void apply_disposition(Campaign& c, Contact& contact, const Attempt& a, Disposition d,
                         std::optional<TimePoint> callback_at, TimePoint t) {
    contact.last_disposition = d;
    PhoneNumber* number =
        a.number_index < contact.numbers.size() ? &contact.numbers[a.number_index] : nullptr;
    if (number) number->last_disposition = d;
    if (number && d == Disposition::kAbandoned) number->last_abandon_at = t;  // repeat rules
    if (number && d == Disposition::kMachine) number->last_machine_at = t;
    switch (d) {
      case Disposition::kBusy:
      case Disposition::kNoAnswer:
      case Disposition::kFailed:
      case Disposition::kCanceled:
      case Disposition::kInvalidNumber:
      case Disposition::kMachine:
      case Disposition::kFax:
        ++contact.not_connected;
        break;
      default:
        break;
    }
    auto retry_at = [&](TimePoint due) {
      contact.status = ContactStatus::kRetry;
      contact.next_attempt_at = due;
      if (!contact.numbers.empty()) {
        contact.next_number =
            static_cast<std::uint16_t>((a.number_index + 1) % contact.numbers.size());
      }
      c.retry_due.push(due);
      unblock_refill(c, due);
    };
    if (d == Disposition::kInvalidNumber || d == Disposition::kWrongNumber) {
      if (number) number->invalid = true;
      bool any_valid = std::any_of(contact.numbers.begin(), contact.numbers.end(),
                                   [](const PhoneNumber& n) { return !n.invalid; });
      if (!any_valid) {
        contact.status =
            d == Disposition::kWrongNumber ? ContactStatus::kDone : ContactStatus::kInvalid;
        return;
      }
      retry_at(t);
    } else if (d == Disposition::kCallback) {
      contact.status = ContactStatus::kCallback;
      contact.next_attempt_at = callback_at.value_or(t + std::chrono::hours(1));
      contact.callback_agent = kNoAgent;
      c.retry_due.push(contact.next_attempt_at);
      unblock_refill(c, contact.next_attempt_at);
      return;
    } else if (d == Disposition::kDoNotCall) {
      contact.status = ContactStatus::kDoNotCall;
      if (number) storage->add_dnc(c.config.id, number->e164);
      return;
    } else if (is_agent_disposition(d)) {
      contact.status = ContactStatus::kDone;
      return;
    } else {
      auto rule = c.config.retry_rules.find(d);
      if (rule == c.config.retry_rules.end() || rule->second.final) {
        contact.status = ContactStatus::kDone;
        return;
      }
      retry_at(t + rule->second.delay);
    }
    if (c.config.max_attempts > 0 && contact.attempts >= c.config.max_attempts) {
      contact.status = ContactStatus::kExhausted;
    }
  }

  // ---- statistics ----
  CampaignStatistics stats(const Campaign& c) const {
    CampaignStatistics s;
    TimePoint t = now();
    s.campaign_id = c.config.id;
    s.at = t;
    s.attempts_reconciled = c.reconciled;
    for (const auto& [id, done] : unsaved) s.completions_unsaved += done.campaign == &c;
    double in_state[kAgentStateCount] = {};
    for (AgentId id : c.agents) {
      const Agent& a = agents[id];
      ++s.agents_by_state[static_cast<int>(a.state)];
      for (int k = 0; k < kAgentStateCount; ++k) in_state[k] += a.seconds_in[k];
      in_state[static_cast<int>(a.state)] += to_seconds(t - a.state_since);
    }
    s.attempts = c.attempts;
    s.attempts_in_flight = c.in_flight;
    s.live_answers = c.live_answers;
    s.machines = c.machines;
    s.abandons = c.abandons;
    s.connects = c.connects;
    s.abandon_rate = c.live_answers ? static_cast<double>(c.abandons) / c.live_answers : 0.0;
    s.abandon_rate_window = c.governor->window(t).rate;
    s.talk_seconds = in_state[static_cast<int>(AgentState::kOnCall)] +
                     in_state[static_cast<int>(AgentState::kReserved)];
    s.wrap_seconds = in_state[static_cast<int>(AgentState::kWrapUp)];
    double available = in_state[static_cast<int>(AgentState::kAvailable)];
    s.logged_in_seconds = s.talk_seconds + s.wrap_seconds + available +
                          in_state[static_cast<int>(AgentState::kPaused)];
    double working = s.talk_seconds + s.wrap_seconds + available;
    s.occupancy = working > 0 ? (s.talk_seconds + s.wrap_seconds) / working : 0.0;
    int staffed = 0;
    for (AgentId id : c.agents) {
      AgentState st = agents[id].state;
      if (st != AgentState::kLoggedOut && st != AgentState::kPaused) ++staffed;
    }
    s.dial_level = staffed ? static_cast<double>(c.in_flight) / staffed : 0.0;
    s.contacts_total = storage->contact_count(c.config.id);
    auto by_status = storage->count_by_status(c.config.id);
    for (std::size_t k = 0; k < by_status.size(); ++k) {
      if (is_final(static_cast<ContactStatus>(k))) s.contacts_final += by_status[k];
    }
    s.dial_queue_size = c.queue.size();
    for (int k = 0; k < kDispositionCount; ++k) s.dispositions[k] = c.dispositions[k];
    return s;
  }
};

// The engine's agents, timers and listener as the inbound router sees them (inbound_router.h).
struct Engine::Impl::InboundHost final : detail::InboundRouter::Host {
  explicit InboundHost(Impl& engine) : e(engine) {}
  Impl& e;
  TimePoint now() const override { return e.now(); }
  Telephony& telephony() override { return *e.telephony; }
  Logger& logger() override { return e.logger; }
  Duration max_wrap_up() const override { return e.options.max_wrap_up; }
  bool agent_free(AgentId id) const override {
    const Agent& a = e.agents[id];
    if (a.state != AgentState::kAvailable || a.preview || a.after_wrap_up) return false;
    if (!e.inbound->takes_outbound(id)) return true;
    // An outbound agent its campaign's calls in progress count on stays for them: taking it
    // would turn their live answer into an abandon.
    const Campaign& c = *a.campaign;
    int idle = -c.pending - static_cast<int>(c.waiting.size());
    if (!e.inbound->any_inbound_only()) {
      idle += c.agents_in_state[static_cast<int>(AgentState::kAvailable)] - c.agents_previewing -
              c.agents_departing;
      return idle > 0;
    }
    for (AgentId other : c.available) {
      const Agent& o = e.agents[other];
      idle += !o.preview && !o.after_wrap_up && e.inbound->takes_outbound(other);
    }
    return idle > 0;
  }
  TimePoint agent_idle_since(AgentId id) const override { return e.agents[id].idle_since; }
  AgentState agent_state(AgentId id) const override { return e.agents[id].state; }
  void agent_busy(AgentId id, AgentState state, CallId call) override {
    Agent& a = e.agents[id];
    a.call = call;
    e.set_agent(a, state, call);
  }
  void agent_done(AgentId id) override {
    Agent& a = e.agents[id];
    a.call = kNoCall;
    e.agent_freed(a);
    e.pace(*a.campaign);
  }
  TimerId schedule(TimePoint at, std::function<void()> fn) override {
    return e.schedule(at, std::move(fn));
  }
  void cancel(TimerId timer) override { e.clock->cancel(timer); }
  void finished(const Attempt& record) override {
    e.notify(EventListener::kAttemptsFinished,
             [&](EventListener& l) { l.on_attempt_finished(record); });
  }
  Storage& storage() override { return *e.storage; }
};

// ---------------------------------------------------------------------------------------------

Engine::Engine(EngineOptions options, Storage* storage, Telephony* telephony, Clock* clock,
               EventListener* listener)
    : impl_(std::make_unique<Impl>(std::move(options), storage, telephony, clock, listener)) {
  impl_->inbound_host = std::make_unique<Impl::InboundHost>(*impl_);
  impl_->inbound = std::make_unique<detail::InboundRouter>(impl_->inbound_host.get());
}

Engine::~Engine() {
  // Nothing may call into the engine once its parts go: first other threads' timers and events
  // are shut out, then the engine's threads end, then telephony stops sending (Telephony::stop()),
  // then the timers go.
  impl_->gate->close();
  stop();
  impl_->telephony->stop();
  // The clock outlives the engine (engine.h): nothing of ours may fire on it afterwards.
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->cancel_all_timers();
  impl_->flush_writes();  // what a crash would lose is recoverable; a clean end loses nothing
}

void Engine::add_campaign(const CampaignConfig& campaign) {
  if (campaign.id.empty()) throw Error(ErrorCode::kConfig, "campaign.id: must not be empty");
  if (campaign.max_attempts < 0) throw Error(ErrorCode::kConfig, "max_attempts: must be >= 0");
  if (campaign.ring_timeout < std::chrono::seconds(1)) {
    throw Error(ErrorCode::kConfig, "ring_timeout: must be at least 1 s");
  }
  if (campaign.hold_window < Duration(0)) throw Error(ErrorCode::kConfig, "hold_window: negative");
  const ComplianceProfile& profile = campaign.compliance;
  if (campaign.ring_timeout < profile.min_ring) {
    throw Error(ErrorCode::kConfig,
                "ring_timeout_s: " + std::to_string(to_seconds(campaign.ring_timeout)) +
                    " s is under the " + profile.name + " minimum ring time of " +
                    std::to_string(to_seconds(profile.min_ring)) + " s");
  }
  if (campaign.hold_window > profile.hold_window) {
    throw Error(ErrorCode::kConfig,
                "hold_window_s: " + std::to_string(to_seconds(campaign.hold_window)) +
                    " s is over the " + profile.name + " hold window of " +
                    std::to_string(to_seconds(profile.hold_window)) + " s");
  }
  if (!(profile.abandon_cap > 0.0 && profile.abandon_cap <= 1.0)) {
    throw Error(ErrorCode::kConfig, "compliance.abandon_cap: must be in (0, 1]");
  }
  auto policy = make_policy_for(campaign);
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->storage->put_campaign(campaign);
  // A campaign added again keeps its object: its agents, calls and timers point to it.
  std::unique_ptr<Impl::Campaign>& c = impl_->campaigns[campaign.id];
  if (!c) c = std::make_unique<Impl::Campaign>();
  c->config = campaign;
  c->policy = std::move(policy);
  c->generator = std::make_unique<QueueGenerator>(campaign, impl_->storage, &impl_->zones);
  c->generator->set_lease_clock(impl_->options.lease_clock);
  // The rolling abandon rate survives a config change: a new profile, the same recorded calls.
  if (c->governor) {
    c->governor->set_profile(campaign.compliance, impl_->now());
  } else {
    c->governor = std::make_unique<AbandonGovernor>(campaign.compliance);
    c->shared_counts =
        std::make_unique<SharedAbandonCounts>(campaign.id, impl_->options.owner_token);
  }
  for (const auto& number : campaign.dnc_numbers) impl_->storage->add_dnc(campaign.id, number);
}

ImportReport Engine::import_contacts(const std::string& campaign_id, const std::string& list_name,
                                     const std::string& csv_path, const ImportOptions& options) {
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    impl_->campaign_or_throw(campaign_id);
  }
  Storage& storage = *impl_->storage;
  // Unfinished until the last row is stored: a restart that finds it so imports again.
  storage.put_list({campaign_id, list_name, true, false});
  // Rows go to storage a batch at a time, one transaction each: an import is a few hundred
  // commits, not one per row, and a batch is stored whole or not at all.
  constexpr std::size_t kBatch = 1024;
  std::vector<Contact> batch;
  batch.reserve(kBatch);
  std::size_t already_stored = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    already_stored += batch.size() - storage.add_contacts(batch);
    batch.clear();
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    impl_->campaign_or_throw(campaign_id).refill_blocked_until = TimePoint{};
  };
  ImportReport report = import_contacts_csv_file(csv_path, options, [&](ImportedContact&& row) {
    Contact& contact = batch.emplace_back();
    contact.list_name = list_name;
    contact.external_id = std::move(row.external_id);
    contact.priority = row.priority;
    contact.time_zone = std::move(row.time_zone);
    contact.attributes = std::move(row.attributes);
    for (auto& n : row.phone_numbers) contact.numbers.push_back(PhoneNumber{std::move(n)});
    {
      std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
      impl_->prepare_contact(campaign_id, contact);
    }
    if (batch.size() == kBatch) flush();
  });
  flush();
  storage.put_list({campaign_id, list_name, true, true});
  report.rows_already_stored = already_stored;
  return report;
}

ContactId Engine::add_contact(const std::string& campaign_id, Contact contact) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Campaign& c = impl_->prepare_contact(campaign_id, contact);
  ContactId id = impl_->storage->add_contact(std::move(contact));
  c.refill_blocked_until = TimePoint{};
  return id;
}

void Engine::add_dnc(const std::string& list, const std::string& e164) {
  impl_->storage->add_dnc(list, e164);
}

void Engine::start_campaign(const std::string& campaign_id) {
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    impl_->campaign_or_throw(campaign_id);
  }
  impl_->mutate([this, campaign_id] {
    Impl::Campaign& c = impl_->campaign_or_throw(campaign_id);
    c.started = true;
    c.refill_blocked_until = TimePoint{};
    impl_->reconcile(c);
    impl_->learn_stored_retries(c);
    impl_->logger.log(LogLevel::kInfo,
                      "campaign " + campaign_id + " started with policy " + c.policy->name());
    impl_->pace(c);
  });
}

void Engine::stop_campaign(const std::string& campaign_id) {
  impl_->mutate([this, campaign_id] {
    Impl::Campaign& c = impl_->campaign_or_throw(campaign_id);
    c.started = false;
    for (auto& e : c.queue) c.held.erase(e.contact_id);
    c.queue.clear();
    if (c.wake_timer) impl_->clock->cancel(c.wake_timer), c.wake_timer = 0;
    if (c.reconcile_timer) impl_->clock->cancel(c.reconcile_timer), c.reconcile_timer = 0;
  });
}

void Engine::set_pacing_policy(const std::string& campaign_id,
                               std::unique_ptr<PacingPolicy> policy) {
  if (!policy) throw Error(ErrorCode::kInvalidArgument, "set_pacing_policy: policy is null");
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->campaign_or_throw(campaign_id).policy = std::move(policy);
}

AgentId Engine::add_agent(const std::string& campaign_id, const std::string& name) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Campaign& c = impl_->campaign_or_throw(campaign_id);
  Impl::Agent a;
  a.id = static_cast<AgentId>(impl_->agents.size());
  a.name = name;
  a.campaign_id = campaign_id;
  a.campaign = &c;
  a.state_since = impl_->now();
  impl_->activity.add_agent(a.id, campaign_id, name, a.state_since);
  impl_->agents.push_back(std::move(a));
  c.agents.push_back(impl_->agents.back().id);
  ++c.agents_in_state[static_cast<int>(AgentState::kLoggedOut)];
  return impl_->agents.back().id;
}

void Engine::set_agent_state(AgentId agent, AgentState state) {
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    impl_->agent_or_throw(agent);
  }
  if (state == AgentState::kReserved || state == AgentState::kOnCall ||
      state == AgentState::kWrapUp) {
    throw Error(ErrorCode::kInvalidArgument, std::string("set_agent_state: ") + to_string(state) +
                                                 " is set by the engine, not the host");
  }
  impl_->mutate([this, agent, state] {
    Impl::Agent& a = impl_->agents[agent];
    switch (a.state) {
      case AgentState::kReserved:
      case AgentState::kOnCall:
      case AgentState::kWrapUp:
        a.after_wrap_up = state;
        return;
      default:
        break;
    }
    if (a.state == state) return;
    Impl::Campaign& campaign = *a.campaign;
    if (a.state == AgentState::kAvailable && a.after_wrap_up) {
      // Already departing: a new request replaces the old one (AVAILABLE cancels it).
      --campaign.agents_departing;
      a.after_wrap_up.reset();
      if (state == AgentState::kAvailable) {
        impl_->pace(campaign);
        return;
      }
    }
    if (a.state == AgentState::kAvailable && !a.preview && !impl_->can_depart(campaign)) {
      ++campaign.agents_departing;
      a.after_wrap_up = state;
      impl_->pace(campaign);
      return;
    }
    if (a.preview && state != AgentState::kAvailable) {
      impl_->storage->release_lease(a.preview->contact_id, impl_->options.owner_token);
      a.campaign->held.erase(a.preview->contact_id);
      impl_->set_preview(a, std::nullopt);
    }
    if (state == AgentState::kAvailable) {
      impl_->agent_freed(a);
    } else {
      impl_->set_agent(a, state, kNoCall);
    }
    impl_->pace(*a.campaign);
  });
}

void Engine::set_disposition(CallId call, Disposition disposition,
                             std::optional<TimePoint> callback_at) {
  if (call >= kFirstInboundCallId) {
    {
      std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
      if (!impl_->inbound->awaiting_disposition(call)) {
        throw Error(ErrorCode::kState, "set_disposition: inbound call " + std::to_string(call) +
                                           " is not awaiting a disposition");
      }
    }
    impl_->mutate([this, call, disposition] { impl_->inbound->dispose(call, disposition); });
    return;
  }
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    auto it = impl_->calls.find(call);
    if (it == impl_->calls.end() || !it->second.awaiting_disposition) {
      throw Error(ErrorCode::kState, "set_disposition: call " + std::to_string(call) +
                                         " is not awaiting a disposition");
    }
  }
  impl_->mutate([this, call, disposition, callback_at] {
    auto it = impl_->calls.find(call);
    if (it == impl_->calls.end() || !it->second.awaiting_disposition) return;
    impl_->end_wrap_up(it->second, disposition, callback_at);
  });
}

std::optional<DialQueueEntry> Engine::preview_next(AgentId agent) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Agent& a = impl_->agent_or_throw(agent);
  if (a.preview) return a.preview;
  if (a.state != AgentState::kAvailable) {
    throw Error(ErrorCode::kState, "preview_next: agent " + std::to_string(agent) + " is " +
                                       to_string(a.state) + ", not AVAILABLE");
  }
  Impl::Campaign& c = *a.campaign;
  for (int round = 0; round < 2; ++round) {
    if (c.queue.empty()) {
      c.refill_blocked_until = TimePoint{};
      impl_->refill(c, 1);
    }
    while (!c.queue.empty()) {
      DialQueueEntry e = std::move(c.queue.front());
      c.queue.pop_front();
      std::vector<ContactId> ids{e.contact_id};
      auto claimed = impl_->storage->claim_leases(ids, impl_->options.owner_token,
                                                  impl_->lease_now(), impl_->options.lease_ttl);
      if (claimed.empty()) {
        c.held.erase(e.contact_id);
        continue;
      }
      impl_->set_preview(a, e);
      return e;
    }
  }
  return std::nullopt;
}

CallId Engine::dial_preview(AgentId agent) {
  CallId id = kNoCall;
  impl_->run_handler([&] {
    Impl::Agent& a = impl_->agent_or_throw(agent);
    if (!a.preview) {
      throw Error(ErrorCode::kState,
                  "dial_preview: agent " + std::to_string(agent) + " has no previewed contact");
    }
    DialQueueEntry e = *a.preview;
    id = impl_->originate(*a.campaign, e, agent);
  });
  if (id == kNoCall) {
    throw Error(ErrorCode::kState, "dial_preview: the previewed contact is no longer dialable");
  }
  return id;
}

void Engine::skip_preview(AgentId agent) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Agent& a = impl_->agent_or_throw(agent);
  if (!a.preview) return;
  impl_->storage->release_lease(a.preview->contact_id, impl_->options.owner_token);
  a.campaign->held.erase(a.preview->contact_id);
  impl_->set_preview(a, std::nullopt);
}

CallId Engine::call_now(ContactId contact_id, AgentId agent) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Agent& a = impl_->agent_or_throw(agent);
  if (a.state != AgentState::kAvailable || a.preview) {
    throw Error(ErrorCode::kState, "call_now: agent " + std::to_string(agent) + " is not free");
  }
  Impl::Campaign& c = *a.campaign;
  auto contact = impl_->storage->get_contact(contact_id);
  if (!contact || contact->campaign_id != c.config.id) {
    throw Error(ErrorCode::kNotFound, "call_now: contact " + std::to_string(contact_id) +
                                          " is not in campaign " + c.config.id);
  }
  if (c.held.count(contact_id)) {
    // Queued here but not dialed: take it out of the dial queue.
    auto it = std::find_if(c.queue.begin(), c.queue.end(),
                           [&](const DialQueueEntry& e) { return e.contact_id == contact_id; });
    if (it == c.queue.end()) {
      throw Error(ErrorCode::kState,
                  "call_now: contact " + std::to_string(contact_id) + " is already being dialed");
    }
    c.queue.erase(it);
    c.held.erase(contact_id);
  }
  EligibilityReport report = c.generator->explain(
      *contact, impl_->now(), impl_->options.owner_token, true, /*agent_guaranteed=*/true);
  if (report.reason != Ineligibility::kNone) {
    throw Error(ErrorCode::kState, "call_now: contact " + std::to_string(contact_id) +
                                       " is not dialable: " + to_string(report.reason) + " (" +
                                       report.detail + ")");
  }
  std::vector<ContactId> ids{contact_id};
  if (impl_->storage
          ->claim_leases(ids, impl_->options.owner_token, impl_->lease_now(),
                         impl_->options.lease_ttl)
          .empty()) {
    throw Error(ErrorCode::kState,
                "call_now: contact " + std::to_string(contact_id) + " is leased by another engine");
  }
  DialQueueEntry e;
  e.contact_id = contact_id;
  int index = contact->next_number % std::max<std::size_t>(1, contact->numbers.size());
  e.number_index = static_cast<std::uint16_t>(index);
  e.number = contact->numbers[index].e164;
  c.held.insert(contact_id);
  CallId id = kNoCall;
  impl_->run_handler([&] { id = impl_->originate(c, e, agent); });
  if (id == kNoCall) throw Error(ErrorCode::kState, "call_now: contact could not be dialed");
  return id;
}

void Engine::start(int threads) {
  if (impl_->clock->is_virtual()) {
    throw Error(ErrorCode::kState,
                "start: a virtual clock is driven with run_for()/run_until_done()");
  }
  if (!impl_->threads.empty()) return;
  impl_->io.restart();
  impl_->work = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      impl_->io.get_executor());
  for (int i = 0; i < std::max(1, threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

void Engine::stop() {
  if (impl_->threads.empty()) return;
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->flush_writes();
}

std::size_t Engine::poll() {
  std::size_t n = 0;
  if (VirtualTimeDriver* driver = impl_->clock->virtual_time()) {
    const void* saved = t_driving_engine;
    t_driving_engine = impl_.get();
    n += impl_->io.poll();
    n += with_driver(driver, [](auto* d) {
      std::size_t fired = 0;
      while (d->advance_one(d->now())) ++fired;
      return fired;
    });
    t_driving_engine = saved;
    impl_->io.restart();
    impl_->flush_writes();
    return n;
  }
  n = impl_->io.poll();
  impl_->io.restart();
  return n;
}

std::size_t Engine::run_for(Duration d) {
  VirtualTimeDriver* driver = impl_->clock->virtual_time();
  if (driver == nullptr) {
    std::size_t n = impl_->io.run_for(d);
    impl_->io.restart();
    return n;
  }
  TimePoint limit = driver->now() + d;
  const void* saved = t_driving_engine;
  t_driving_engine = impl_.get();
  std::size_t n = impl_->io.poll();
  impl_->io.restart();
  n += with_driver(driver, [this, limit](auto* vc) {
    std::size_t ran = 0;
    while (vc->advance_one(limit)) {
      ++ran;
      ran += impl_->io.poll();
      impl_->io.restart();
    }
    return ran;
  });
  t_driving_engine = saved;
  impl_->flush_writes();
  return n;
}

bool Engine::run_until_done(Duration limit) {
  VirtualTimeDriver* driver = impl_->clock->virtual_time();
  if (driver == nullptr) {
    throw Error(ErrorCode::kState, "run_until_done: needs a virtual clock (Clock::virtual_time)");
  }
  TimePoint end = driver->now() + limit;
  const void* saved = t_driving_engine;
  t_driving_engine = impl_.get();
  impl_->io.poll();
  impl_->io.restart();
  with_driver(driver, [this, end](auto* vc) {
    // Unlike run_for, time stops at the last event rather than at the limit.
    while (vc->fire_next(end)) {
      // Handlers of this thread run inline; io only holds work posted by other threads.
      if (impl_->posted.load(std::memory_order_acquire) != 0 &&
          impl_->posted.exchange(0, std::memory_order_acq_rel) != 0) {
        impl_->io.poll();
        impl_->io.restart();
      }
    }
  });
  t_driving_engine = saved;
  impl_->flush_writes();
  return driver->pending() == 0;
}

bool Engine::idle() const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  const VirtualTimeDriver* driver = impl_->clock->virtual_time();
  return impl_->calls.empty() && (driver == nullptr || driver->pending() == 0);
}

void Engine::add_inbound_queue(const InboundQueueConfig& queue) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->inbound->add_queue(queue);
}

void Engine::set_agent_skills(AgentId agent, const AgentSkills& skills) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->agent_or_throw(agent);
  impl_->inbound->set_skills(agent, skills);
}

void Engine::set_blending(const std::string& campaign_id, const BlendingConfig& blending) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->campaign_or_throw(campaign_id);
  impl_->inbound->set_blending(campaign_id, blending);
}

InboundQueueStatistics Engine::inbound_statistics(const std::string& queue_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  return impl_->inbound->statistics(queue_id);
}

std::vector<std::string> Engine::inbound_queues() const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  return impl_->inbound->queue_ids();
}

CampaignStatistics Engine::statistics(const std::string& campaign_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  return impl_->stats(impl_->campaign_or_throw(campaign_id));
}

AgentStatistics Engine::agent_statistics(const std::string& campaign_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->campaign_or_throw(campaign_id);
  return impl_->activity.report(campaign_id, impl_->now());
}

EligibilityReport Engine::explain(ContactId contact_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  auto contact = impl_->storage->get_contact(contact_id);
  if (!contact) {
    throw Error(ErrorCode::kNotFound, "explain: unknown contact " + std::to_string(contact_id));
  }
  Impl::Campaign& c = impl_->campaign_or_throw(contact->campaign_id);
  return c.generator->explain(*contact, impl_->now(), impl_->options.owner_token);
}

EligibilityCensus Engine::census(const std::string& campaign_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Campaign& c = impl_->campaign_or_throw(campaign_id);
  return {c.generator->census(impl_->now())};
}

AgentState Engine::agent_state(AgentId agent) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  return impl_->agent_or_throw(agent).state;
}

std::optional<CallState> Engine::call_state(CallId call) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  auto it = impl_->calls.find(call);
  if (it == impl_->calls.end()) return std::nullopt;
  return it->second.sm.state();
}

const std::string& Engine::owner_token() const { return impl_->options.owner_token; }
Clock* Engine::clock() const { return impl_->clock; }
Storage* Engine::storage() const { return impl_->storage; }
TimeZoneMap& Engine::time_zones() { return impl_->zones; }
Logger& Engine::logger() { return impl_->logger; }

}  // namespace omnivox
