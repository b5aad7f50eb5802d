// Fault injectors built on the `...Wrapper` interfaces, for testing an engine setup against a
// flaky carrier and a flaky database: FaultyTelephony (drops, duplicates, reorders and delays
// call events; fails originations) and FaultyStorage (throws the error a real backend throws on
// a lost connection; stalls). Header-only; needs only libomnivox (no GoogleTest).
//
// Usage (a simulated campaign; a real Telephony or Storage works the same way):
//
//     VirtualClock clock(start);
//     auto memory = make_memory_storage();
//     StorageFaultOptions sf;  sf.error_probability = 0.02;  sf.clock = &clock;
//     FaultyStorage storage(memory.get(), sf);
//     Simulator sim(world, &clock);
//     TelephonyFaultOptions tf;  tf.drop_probability = 0.01;
//     FaultyTelephony telephony(&sim, &clock, tf);
//     Engine engine(options, &storage, &telephony, &clock, &sim);
//     sim.attach(&engine);
//
// Determinism: each injector draws from its own std::mt19937_64 seeded from its options, one
// fixed sequence of draws per call, so with a VirtualClock (one driving thread) a run is
// reproducible from the seeds. Delayed and held-back events are delivered through the Clock
// given (the engine's), so they arrive at a definite virtual instant, in a definite order.
//
// Thread-safety: every method may be called from any thread (an internal mutex); events are
// forwarded to the engine's sink outside that mutex. With several threads the fault decisions
// depend on the interleaving, so only virtual-time runs are reproducible.
#ifndef OMNIVOX_TESTING_FAULTS_H_
#define OMNIVOX_TESTING_FAULTS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "omnivox/clock.h"
#include "omnivox/storage.h"
#include "omnivox/telephony.h"
#include "omnivox/types.h"

namespace omnivox::testing {

// ---------------------------------------------------------------------------------------------
// Telephony
// ---------------------------------------------------------------------------------------------

/// Faults injected into call events and originations. Probabilities are in [0, 1] and drawn
/// independently per event (per originate for the origination faults); every field states its
/// default. With every probability at its default (0) the wrapper changes nothing.
struct TelephonyFaultOptions {
  /// Seed of the injector's own std::mt19937_64. Default: 1.
  std::uint64_t seed = 1;
  /// An event is never delivered (a lost webhook). Default: 0.
  double drop_probability = 0.0;
  /// An event is delivered twice: once at once, once more `duplicate_delay` later (a provider
  /// retrying a webhook). Default: 0.
  double duplicate_probability = 0.0;
  /// Virtual (or wall, with a real clock) time between an event and its duplicate. Default: 0 ms
  /// (the copy follows right after, as its own clock timer).
  Duration duplicate_delay{0};
  /// An event is held back and delivered just after the next event of the same call overtakes
  /// it — or `reorder_max_hold` later if none comes — so the engine sees the two swapped.
  /// Default: 0.
  double reorder_probability = 0.0;
  /// Longest time an event is held back for reordering. Default: 1000 ms (under the 2 s hold
  /// window of the compliance profiles, so a held-back BRIDGED does not by itself turn a
  /// connected call into an abandon).
  Duration reorder_max_hold{1000};
  /// An event is delivered late, after a delay drawn uniformly from [0, max_delay] (later
  /// events of the same call are not held back, so a long delay also reorders). Default: 0.
  double delay_probability = 0.0;
  /// Longest delay of a delayed event. Default: 1000 ms.
  Duration max_delay{1000};
  /// originate() throws omnivox::Error(kIo) instead of dialing: a backend breaking the Telephony
  /// contract (which says originate must not throw); the engine must survive it. Default: 0.
  double originate_throw_probability = 0.0;
  /// The call is not dialed; a kFailed event (fail_reason kNetwork, provider_code 503) arrives
  /// `originate_fail_delay` later instead, as from a provider that rejected the request.
  /// Default: 0.
  double originate_fail_probability = 0.0;
  /// Delay of that kFailed event. Default: 100 ms.
  Duration originate_fail_delay{100};
};

/// What a FaultyTelephony injected so far.
struct TelephonyFaultCounts {
  std::uint64_t events = 0;  ///< events received from the target
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;  ///< held back for reordering
  std::uint64_t delayed = 0;
  std::uint64_t originates = 0;         ///< originate() calls received
  std::uint64_t originates_thrown = 0;  ///< originate() threw
  std::uint64_t originates_failed = 0;  ///< answered by an injected kFailed event
};

/// A TelephonyWrapper that injects TelephonyFaultOptions' faults. Each event the target reports
/// is judged in this order: dropped, else reordered (held back), else delayed; then, if it was
/// not dropped, possibly duplicated. hangup/bridge/play/lookup_call are forwarded unchanged.
/// set_enabled(false) stops injecting new faults (events already held or delayed are still
/// delivered), to check that an engine recovers once the faults stop.
class FaultyTelephony : public TelephonyWrapper {
 public:
  /// `target` and `clock` (the engine's clock: deliveries are scheduled on it) must outlive this
  /// object. Throws Error(kInvalidArgument) for a null target or clock or a probability outside
  /// [0, 1].
  FaultyTelephony(Telephony* target, Clock* clock, TelephonyFaultOptions options = {})
      : TelephonyWrapper(target), clock_(clock), options_(options), rng_(options.seed) {
    if (target == nullptr || clock == nullptr) {
      throw Error(ErrorCode::kInvalidArgument, "FaultyTelephony: target and clock are required");
    }
    for (double p : {options.drop_probability, options.duplicate_probability,
                     options.reorder_probability, options.delay_probability,
                     options.originate_throw_probability, options.originate_fail_probability}) {
      if (!(p >= 0.0 && p <= 1.0)) {
        throw Error(ErrorCode::kInvalidArgument,
                    "FaultyTelephony: a probability is outside [0, 1]");
      }
    }
    intercept_.owner = this;
  }
  ~FaultyTelephony() override { *alive_ = false; }

  /// Turns fault injection on (the default) or off. Thread-safe.
  void set_enabled(bool enabled) { enabled_.store(enabled); }
  bool enabled() const { return enabled_.load(); }
  /// What was injected so far. Thread-safe.
  TelephonyFaultCounts counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_;
  }
  /// Events held back or delayed and not delivered yet. Thread-safe.
  std::size_t undelivered() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return in_transit_;
  }

  void start(CallEventSink* sink) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sink_ = sink;
      stopped_ = false;
    }
    TelephonyWrapper::start(&intercept_);
  }

  void originate(const OriginateRequest& request) override {
    enum { kDial, kThrow, kFail } what = kDial;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counts_.originates;
      // Two draws per originate whether or not enabled: the sequence stays the same.
      double throw_u = uniform(), fail_u = uniform();
      if (enabled_.load()) {
        if (throw_u < options_.originate_throw_probability) {
          what = kThrow;
          ++counts_.originates_thrown;
        } else if (fail_u < options_.originate_fail_probability) {
          what = kFail;
          ++counts_.originates_failed;
        }
      }
    }
    if (what == kThrow) {
      throw Error(ErrorCode::kIo, "FaultyTelephony: injected originate failure for call " +
                                      std::to_string(request.call_id));
    }
    if (what == kFail) {
      CallEvent failed;
      failed.call_id = request.call_id;
      failed.kind = CallEventKind::kFailed;
      failed.fail_reason = FailReason::kNetwork;
      failed.provider_code = 503;
      failed.timestamp = clock_->now() + options_.originate_fail_delay;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++in_transit_;
      }
      deliver_later(failed, clock_->now() + options_.originate_fail_delay);
      return;
    }
    TelephonyWrapper::originate(request);
  }

  void stop() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    TelephonyWrapper::stop();
  }

 private:
  struct Intercept final : CallEventSink {
    FaultyTelephony* owner = nullptr;
    void on_call_event(const CallEvent& event) override { owner->receive(event); }
  };
  struct Held {
    CallEvent event;
    TimerId timer = 0;
    std::uint64_t serial = 0;
  };

  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  // One event from the target: decide its fate, then deliver what is due now outside the lock.
  void receive(const CallEvent& event) {
    std::vector<CallEvent> now_out;
    std::optional<std::pair<CallEvent, TimePoint>> later, copy;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counts_.events;
      // Five draws per event whether or not enabled: the sequence stays the same.
      double drop_u = uniform(), reorder_u = uniform(), delay_u = uniform(), dup_u = uniform();
      double delay_frac = uniform();
      bool on = enabled_.load();
      TimePoint t = clock_->now();
      if (on && drop_u < options_.drop_probability) {
        ++counts_.dropped;
        return;
      }
      if (on && reorder_u < options_.reorder_probability) {
        ++counts_.reordered;
        ++in_transit_;
        Held h;
        h.event = event;
        h.serial = ++serial_;
        std::uint64_t serial = h.serial;
        CallId call = event.call_id;
        h.timer = schedule(t + options_.reorder_max_hold,
                           [this, call, serial] { release_held(call, serial); });
        held_[call].push_back(std::move(h));
      } else if (on && delay_u < options_.delay_probability) {
        ++counts_.delayed;
        ++in_transit_;
        auto d = Duration(static_cast<Duration::rep>(
            delay_frac * static_cast<double>(options_.max_delay.count())));
        later.emplace(event, t + d);
      } else {
        now_out.push_back(event);
        // Events held back for this call are overtaken by this one: they follow it now.
        if (auto it = held_.find(event.call_id); it != held_.end()) {
          for (Held& h : it->second) {
            clock_->cancel(h.timer);
            --in_transit_;
            now_out.push_back(std::move(h.event));
          }
          held_.erase(it);
        }
      }
      if (on && dup_u < options_.duplicate_probability) {
        ++counts_.duplicated;
        ++in_transit_;
        copy.emplace(event, t + options_.duplicate_delay);
      }
    }
    for (const CallEvent& e : now_out) forward(e);
    if (later) deliver_later(later->first, later->second);
    if (copy) deliver_later(copy->first, copy->second);
  }

  // Delivers an event counted in in_transit_ at `when`, through the clock.
  void deliver_later(const CallEvent& event, TimePoint when) {
    schedule(when, [this, event] {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --in_transit_;
      }
      forward(event);
    });
  }

  // The hold of a reordered event ran out with no later event of its call: deliver it anyway.
  void release_held(CallId call, std::uint64_t serial) {
    std::optional<CallEvent> out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = held_.find(call);
      if (it == held_.end()) return;
      auto& list = it->second;
      for (auto h = list.begin(); h != list.end(); ++h) {
        if (h->serial != serial) continue;
        out = std::move(h->event);
        list.erase(h);
        --in_transit_;
        break;
      }
      if (list.empty()) held_.erase(it);
    }
    if (out) forward(*out);
  }

  template <typename Fn>
  TimerId schedule(TimePoint when, Fn fn) {
    std::weak_ptr<bool> token = alive_;
    return clock_->schedule_at(when, [token, fn = std::move(fn)]() mutable {
      auto alive = token.lock();
      if (alive && *alive) fn();
    });
  }

  void forward(const CallEvent& event) {
    CallEventSink* sink = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_) return;
      sink = sink_;
    }
    if (sink != nullptr) sink->on_call_event(event);
  }

  Clock* clock_;
  TelephonyFaultOptions options_;
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::atomic<bool> enabled_{true};
  CallEventSink* sink_ = nullptr;
  bool stopped_ = false;
  Intercept intercept_;
  std::map<CallId, std::vector<Held>> held_;
  std::uint64_t serial_ = 0;
  std::size_t in_transit_ = 0;
  TelephonyFaultCounts counts_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

/// Storage operations, as bits of StorageFaultOptions::operations.
enum StorageOperation : std::uint32_t {
  kOpCampaigns = 1u << 0,       ///< put_campaign, get_campaign, campaign_ids, put_list, lists
  kOpAddContact = 1u << 1,      ///< add_contact
  kOpGetContact = 1u << 2,      ///< get_contact, read_contact
  kOpUpdateContact = 1u << 3,   ///< update_contact
  kOpScanContacts = 1u << 4,    ///< scan_contacts (and _views), contact_count, count_by_status
  kOpClaimLeases = 1u << 5,     ///< claim_leases
  kOpRenewLease = 1u << 6,      ///< renew_lease
  kOpReleaseLease = 1u << 7,    ///< release_lease
  kOpGetLease = 1u << 8,        ///< get_lease
  kOpAllocateCallId = 1u << 9,  ///< allocate_call_id
  kOpPutAttempt = 1u << 10,     ///< put_attempt
  kOpReadAttempts = 1u << 11,   ///< attempts_of, scan_attempts, scan_open_attempts
  kOpDnc = 1u << 12,            ///< add_dnc, is_dnc
  kOpJournal = 1u << 13,        ///< append_journal, scan_journal
  kOpMarkEvent = 1u << 14,      ///< mark_event_processed
};
/// Every operation.
inline constexpr std::uint32_t kAllStorageOperations = (1u << 15) - 1;
/// The operations an engine performs while dialing (everything but campaign setup and contact
/// loading, which a test usually wants to succeed).
inline constexpr std::uint32_t kEngineStorageOperations =
    kAllStorageOperations & ~(kOpCampaigns | kOpAddContact);

/// Faults injected into storage calls. Probabilities are in [0, 1], drawn independently per
/// call of a selected operation; every field states its default.
struct StorageFaultOptions {
  /// Seed of the injector's own std::mt19937_64. Default: 1.
  std::uint64_t seed = 1;
  /// The call throws omnivox::Error(ErrorCode::kStorage, "... connection lost ...") — what the
  /// PostgreSQL backend throws once its reconnect retries are used up — before reaching the
  /// target (so nothing is written). Default: 0.
  double error_probability = 0.0;
  /// The call stalls for `stall` before it reaches the target (a slow or locked database).
  /// Default: 0.
  double stall_probability = 0.0;
  /// How long a stall lasts. Default: 200 ms.
  Duration stall{200};
  /// Which operations may fail or stall (StorageOperation bits). Default: kAllStorageOperations.
  std::uint32_t operations = kAllStorageOperations;
  /// The clock a stall passes on. A virtual clock (a VirtualClock, or a wrapper of one): the
  /// stall moves its now() forward by `stall` without firing timers (VirtualTimeDriver::pass) —
  /// the driving thread was blocked, so timers falling due meanwhile fire late, as they would
  /// behind a blocked engine thread; it does not wait (virtual time cannot pass while its only
  /// thread waits: that would deadlock). A real clock or null: the calling thread sleeps `stall`
  /// of wall time. Default: null.
  Clock* clock = nullptr;
};

/// What a FaultyStorage injected so far.
struct StorageFaultCounts {
  std::uint64_t calls = 0;  ///< calls of selected operations
  std::uint64_t errors = 0;
  std::uint64_t stalls = 0;
};

/// A StorageWrapper that injects StorageFaultOptions' faults before forwarding. A failed call
/// never reaches the target (like a lost connection before the statement ran).
/// set_enabled(false) stops injecting.
class FaultyStorage : public StorageWrapper {
 public:
  /// `target` (and options.clock, if set) must outlive this object. Throws
  /// Error(kInvalidArgument) for a null target or a probability outside [0, 1].
  FaultyStorage(Storage* target, StorageFaultOptions options = {})
      : StorageWrapper(target), options_(options), rng_(options.seed) {
    if (target == nullptr) {
      throw Error(ErrorCode::kInvalidArgument, "FaultyStorage: target is required");
    }
    for (double p : {options.error_probability, options.stall_probability}) {
      if (!(p >= 0.0 && p <= 1.0)) {
        throw Error(ErrorCode::kInvalidArgument, "FaultyStorage: a probability is outside [0, 1]");
      }
    }
    if (options.clock != nullptr) virtual_time_ = options.clock->virtual_time();
  }

  /// Turns fault injection on (the default) or off. Thread-safe.
  void set_enabled(bool enabled) { enabled_.store(enabled); }
  bool enabled() const { return enabled_.load(); }
  /// What was injected so far. Thread-safe.
  StorageFaultCounts counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_;
  }

  void put_campaign(const CampaignConfig& c) override {
    inject(kOpCampaigns, "put_campaign");
    StorageWrapper::put_campaign(c);
  }
  std::optional<CampaignConfig> get_campaign(std::string_view id) override {
    inject(kOpCampaigns, "get_campaign");
    return StorageWrapper::get_campaign(id);
  }
  std::vector<std::string> campaign_ids() override {
    inject(kOpCampaigns, "campaign_ids");
    return StorageWrapper::campaign_ids();
  }
  void put_list(const ContactList& l) override {
    inject(kOpCampaigns, "put_list");
    StorageWrapper::put_list(l);
  }
  std::vector<ContactList> lists(std::string_view id) override {
    inject(kOpCampaigns, "lists");
    return StorageWrapper::lists(id);
  }
  ContactId add_contact(Contact c) override {
    inject(kOpAddContact, "add_contact");
    return StorageWrapper::add_contact(std::move(c));
  }
  std::optional<Contact> get_contact(ContactId id) override {
    inject(kOpGetContact, "get_contact");
    return StorageWrapper::get_contact(id);
  }
  bool read_contact(ContactId id, Contact& out) override {
    inject(kOpGetContact, "read_contact");
    return StorageWrapper::read_contact(id, out);
  }
  void update_contact(const Contact& c) override {
    inject(kOpUpdateContact, "update_contact");
    StorageWrapper::update_contact(c);
  }
  std::size_t scan_contacts(const ContactScan& s,
                            const std::function<bool(const Contact&)>& v) override {
    inject(kOpScanContacts, "scan_contacts");
    return StorageWrapper::scan_contacts(s, v);
  }
  std::size_t scan_contact_views(const ContactScan& s,
                                 const std::function<ScanStep(const ContactView&)>& v) override {
    inject(kOpScanContacts, "scan_contact_views");
    return StorageWrapper::scan_contact_views(s, v);
  }
  std::size_t contact_count(std::string_view id) override {
    inject(kOpScanContacts, "contact_count");
    return StorageWrapper::contact_count(id);
  }
  std::vector<std::size_t> count_by_status(std::string_view id) override {
    inject(kOpScanContacts, "count_by_status");
    return StorageWrapper::count_by_status(id);
  }
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    inject(kOpClaimLeases, "claim_leases");
    return StorageWrapper::claim_leases(ids, owner, now, ttl);
  }
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override {
    inject(kOpRenewLease, "renew_lease");
    return StorageWrapper::renew_lease(id, owner, now, ttl);
  }
  void release_lease(ContactId id, std::string_view owner) override {
    inject(kOpReleaseLease, "release_lease");
    StorageWrapper::release_lease(id, owner);
  }
  std::optional<Lease> get_lease(ContactId id) override {
    inject(kOpGetLease, "get_lease");
    return StorageWrapper::get_lease(id);
  }
  CallId allocate_call_id() override {
    inject(kOpAllocateCallId, "allocate_call_id");
    return StorageWrapper::allocate_call_id();
  }
  void put_attempt(const Attempt& a) override {
    inject(kOpPutAttempt, "put_attempt");
    StorageWrapper::put_attempt(a);
  }
  std::vector<Attempt> attempts_of(ContactId id) override {
    inject(kOpReadAttempts, "attempts_of");
    return StorageWrapper::attempts_of(id);
  }
  void scan_attempts(std::string_view id, const std::function<bool(const Attempt&)>& v) override {
    inject(kOpReadAttempts, "scan_attempts");
    StorageWrapper::scan_attempts(id, v);
  }
  void scan_open_attempts(std::string_view id,
                          const std::function<bool(const Attempt&)>& v) override {
    inject(kOpReadAttempts, "scan_open_attempts");
    StorageWrapper::scan_open_attempts(id, v);
  }
  void add_dnc(std::string_view list, std::string_view e164) override {
    inject(kOpDnc, "add_dnc");
    StorageWrapper::add_dnc(list, e164);
  }
  bool is_dnc(std::string_view campaign, std::string_view e164) override {
    inject(kOpDnc, "is_dnc");
    return StorageWrapper::is_dnc(campaign, e164);
  }
  void append_journal(const JournalEntry& e) override {
    inject(kOpJournal, "append_journal");
    StorageWrapper::append_journal(e);
  }
  void scan_journal(std::string_view id,
                    const std::function<bool(const JournalEntry&)>& v) override {
    inject(kOpJournal, "scan_journal");
    StorageWrapper::scan_journal(id, v);
  }
  bool mark_event_processed(std::string_view key) override {
    inject(kOpMarkEvent, "mark_event_processed");
    return StorageWrapper::mark_event_processed(key);
  }

 private:
  // Decides this call's fault (two draws per selected call, enabled or not), stalls, throws.
  void inject(StorageOperation op, const char* name) {
    if ((options_.operations & op) == 0) return;
    bool stall = false, fail = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counts_.calls;
      double stall_u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      double error_u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      if (enabled_.load()) {
        stall = stall_u < options_.stall_probability;
        fail = error_u < options_.error_probability;
        counts_.stalls += stall;
        counts_.errors += fail;
      }
    }
    if (stall) {
      if (virtual_time_ != nullptr) {
        virtual_time_->pass(options_.stall);
      } else {
        std::this_thread::sleep_for(options_.stall);
      }
    }
    if (fail) {
      throw Error(ErrorCode::kStorage,
                  std::string("faulty storage: ") + name + ": connection lost (injected fault)");
    }
  }

  StorageFaultOptions options_;
  VirtualTimeDriver* virtual_time_ = nullptr;
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::atomic<bool> enabled_{true};
  StorageFaultCounts counts_;
};

}  // namespace omnivox::testing

#endif  // OMNIVOX_TESTING_FAULTS_H_
