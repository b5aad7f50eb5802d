// The Java binding's facade over the C++ API (see omnivox_java.h). The adapters here are the
// only place a Java callback is called from; each call is guarded so that no exception (a
// Swig::DirectorException carrying a Java throwable, or anything else) reaches an engine thread.
#include "omnivox_java.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "bindings_support/campaign_loading.h"
#include "bindings_support/host_callbacks.h"
#include "bindings_support/plain_forms.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/sim.h"
#include "omnivox/sip_config.h"
#include "omnivox/sqlite_storage.h"
#include "omnivox/storage.h"
#include "omnivox/telephony.h"
#include "omnivox/types.h"

namespace omnivox::bindings {

namespace {

using omnivox::Error;
using omnivox::ErrorCode;

static_assert(static_cast<int>(AgentState::PAUSED) + 1 == omnivox::kAgentStateCount);
static_assert(static_cast<int>(CallState::CANCELED) + 1 == omnivox::kCallStateCount);
static_assert(static_cast<int>(Disposition::COMPLETED) + 1 == omnivox::kDispositionCount);
static_assert(static_cast<int>(CallEventKind::CANCELED) ==
              static_cast<int>(omnivox::CallEventKind::kCanceled));
static_assert(static_cast<int>(AmdResult::UNKNOWN) ==
              static_cast<int>(omnivox::AmdResult::kUnknown));
static_assert(static_cast<int>(FailReason::UNKNOWN) ==
              static_cast<int>(omnivox::FailReason::kUnknown));

// > 0 while this thread runs a Java callback called by an engine.
thread_local int t_callback_depth = 0;

struct CallbackScope {
  CallbackScope() { ++t_callback_depth; }
  ~CallbackScope() { --t_callback_depth; }
};

using bindings_support::CallbackFailures;
using bindings_support::ms_of;
using bindings_support::time_of;

[[noreturn]] void invalid(const std::string& where, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument, where + ": " + why);
}

// The facade's enum `value` as the C++ enum E (same values), checked against E's `count`.
template <typename E, typename V>
E checked_enum(V value, int count, const char* where, const char* name) {
  return bindings_support::checked_enum<E>(value, count, std::string(where) + ": " + name);
}

omnivox::AgentId agent_id(long long agent, const char* where) {
  if (agent < 0 || agent >= static_cast<long long>(omnivox::kNoAgent)) {
    invalid(where, "agent id " + std::to_string(agent) + " is out of range");
  }
  return static_cast<omnivox::AgentId>(agent);
}

std::uint64_t positive_id(long long id, const char* where, const char* name) {
  if (id <= 0) invalid(where, std::string(name) + " " + std::to_string(id) + " is not a valid id");
  return static_cast<std::uint64_t>(id);
}

long long agent_out(omnivox::AgentId a) {
  long long out;
  bindings_support::put_agent(out, a);
  return out;
}

omnivox::LogLevel log_level_of(const std::string& name) {
  static const std::pair<const char*, omnivox::LogLevel> kLevels[] = {
      {"TRACE", omnivox::LogLevel::kTrace}, {"DEBUG", omnivox::LogLevel::kDebug},
      {"INFO", omnivox::LogLevel::kInfo},   {"WARN", omnivox::LogLevel::kWarn},
      {"ERROR", omnivox::LogLevel::kError}, {"OFF", omnivox::LogLevel::kOff}};
  for (const auto& [n, level] : kLevels) {
    if (name == n) return level;
  }
  invalid("EngineConfig.logLevel", "'" + name + "' is not TRACE, DEBUG, INFO, WARN, ERROR or OFF");
}

omnivox::CallEvent to_call_event(const CallEventData& e, const char* where) {
  positive_id(e.call_id, where, "call id");
  return bindings_support::call_event_from(
      e, std::string(where) + ": ", [](const std::string& s, const std::string&) { return s; });
}

// Counts the threads using a target so that detaching it (the target being deleted, or its
// engine closing) waits until no thread is inside a call that uses it.
class UseCount {
 public:
  // Returns false if detached.
  bool enter() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (detached_) return false;
    ++active_;
    return true;
  }
  void leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--active_ == 0) idle_.notify_all();
  }
  // Marks detached and waits for the current users, unless this thread is one of them (a
  // callback deleting its own object): then it cannot wait for itself.
  void detach() {
    std::unique_lock<std::mutex> lock(mutex_);
    detached_ = true;
    if (t_callback_depth == 0) idle_.wait(lock, [this] { return active_ == 0; });
  }
  void reattach() {
    std::lock_guard<std::mutex> lock(mutex_);
    detached_ = false;
  }
  bool detached() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return detached_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  int active_ = 0;
  bool detached_ = false;
};

class Using {
 public:
  explicit Using(UseCount& c) : c_(c), ok_(c.enter()) {}
  ~Using() {
    if (ok_) c_.leave();
  }
  explicit operator bool() const { return ok_; }

 private:
  UseCount& c_;
  bool ok_;
};

// Where callback failures go: the engine's logger, the last message and a count.
struct ErrorLog : CallbackFailures {
  ErrorLog() : CallbackFailures("java-callback") {}
};

CallbackFrame g_callback_frame;

struct FrameScope {
  FrameScope() {
    if (g_callback_frame.enter) g_callback_frame.enter();
  }
  ~FrameScope() {
    if (g_callback_frame.leave) g_callback_frame.leave();
  }
};

// Runs a Java callback; an exception becomes a recorded error. Returns false if it threw.
template <typename F>
bool guarded_callback(ErrorLog& log, const char* what, F&& call) noexcept {
  CallbackScope scope;
  FrameScope frame;
  return bindings_support::contain_callback(log, what, std::forward<F>(call));
}

}  // namespace

void set_callback_frame(CallbackFrame frame) { g_callback_frame = frame; }

// ---------------------------------------------------------------------------------------------
// TelephonyBackend

struct TelephonyBackend::Link {
  // Guards `sink`/`clock` (set while attached to an engine).
  UseCount engine_use;
  std::atomic<omnivox::CallEventSink*> sink{nullptr};
  std::atomic<omnivox::Clock*> clock{nullptr};
  std::atomic<bool> attached{false};
  // Guards `backend` (the Java object, gone once it is deleted).
  UseCount backend_use;
  TelephonyBackend* backend = nullptr;
};

TelephonyBackend::TelephonyBackend() : link_(std::make_shared<Link>()) {
  link_->backend = this;
  link_->engine_use.detach();  // not attached to an engine yet
}

TelephonyBackend::~TelephonyBackend() { link_->backend_use.detach(); }

namespace {

// Delivers an event now, or (from inside a callback, or with a delay) through the clock, so the
// engine never sees an event inside one of its own telephony calls.
void deliver(const std::shared_ptr<TelephonyBackend::Link>& link, const omnivox::CallEvent& ev,
             long long delay_ms, const char* where) {
  Using use(link->engine_use);
  if (!use) throw Error(ErrorCode::kState, std::string(where) + ": not attached to an engine");
  if (delay_ms < 0) invalid(where, "delay_ms is negative");
  omnivox::Clock* clock = link->clock.load();
  if (delay_ms == 0 && t_callback_depth == 0) {
    link->sink.load()->on_call_event(ev);
    return;
  }
  std::weak_ptr<TelephonyBackend::Link> weak = link;
  clock->schedule_at(clock->now() + omnivox::Duration(delay_ms), [weak, ev] {
    auto l = weak.lock();
    if (!l) return;
    Using u(l->engine_use);
    if (u) l->sink.load()->on_call_event(ev);
  });
}

}  // namespace

void TelephonyBackend::report(long long call_id, CallEventKind kind) {
  CallEventData e;
  e.call_id = call_id;
  e.kind = kind;
  report(e);
}
void TelephonyBackend::report(const CallEventData& event) {
  deliver(link_, to_call_event(event, "TelephonyBackend.report"), 0, "TelephonyBackend.report");
}
void TelephonyBackend::report_after(long long delay_ms, long long call_id, CallEventKind kind) {
  CallEventData e;
  e.call_id = call_id;
  e.kind = kind;
  report_after(delay_ms, e);
}
void TelephonyBackend::report_after(long long delay_ms, const CallEventData& event) {
  deliver(link_, to_call_event(event, "TelephonyBackend.reportAfter"), delay_ms,
          "TelephonyBackend.reportAfter");
}
long long TelephonyBackend::now_ms() const {
  Using use(link_->engine_use);
  if (!use) throw Error(ErrorCode::kState, "TelephonyBackend.nowMs: not attached to an engine");
  return ms_of(link_->clock.load()->now());
}
bool TelephonyBackend::attached() const { return !link_->engine_use.detached(); }

// ---------------------------------------------------------------------------------------------
// EventListener

struct EventListener::Link {
  UseCount use;
  EventListener* listener = nullptr;
};

EventListener::EventListener() : link_(std::make_shared<Link>()) { link_->listener = this; }
EventListener::~EventListener() { link_->use.detach(); }

namespace {

// The engine's Telephony over a Java TelephonyBackend.
class JavaTelephony final : public omnivox::Telephony {
 public:
  JavaTelephony(std::shared_ptr<TelephonyBackend::Link> link, omnivox::Clock* clock,
                ErrorLog* errors)
      : link_(std::move(link)), clock_(clock), errors_(errors) {}

  void start(omnivox::CallEventSink* sink) override {
    link_->sink = sink;
    link_->clock = clock_;
    link_->engine_use.reattach();
  }
  // Detaches from the engine (before it is destroyed): reports are refused from then on.
  void detach() { link_->engine_use.detach(); }

  void originate(const omnivox::OriginateRequest& r) override {
    OriginateInfo info;
    bindings_support::fill_originate_request(r, info);
    bool ok = call("TelephonyBackend.originate", [&](TelephonyBackend& b) { b.originate(info); });
    if (!ok) {
      omnivox::CallEvent ev =
          bindings_support::failed_originate(r.call_id, omnivox::FailReason::kRejected);
      auto link = link_;
      clock_->schedule_at(clock_->now(), [weak = std::weak_ptr(link), ev] {
        auto l = weak.lock();
        if (!l) return;
        Using u(l->engine_use);
        if (u) l->sink.load()->on_call_event(ev);
      });
    }
  }
  void hangup(omnivox::CallId call_id) override {
    call("TelephonyBackend.hangup",
         [&](TelephonyBackend& b) { b.hangup(static_cast<long long>(call_id)); });
  }
  void bridge(omnivox::CallId call_id, omnivox::AgentId agent) override {
    call("TelephonyBackend.bridge",
         [&](TelephonyBackend& b) { b.bridge(static_cast<long long>(call_id), agent_out(agent)); });
  }
  void play(omnivox::CallId call_id, const std::string& message) override {
    call("TelephonyBackend.play",
         [&](TelephonyBackend& b) { b.play(static_cast<long long>(call_id), message); });
  }
  void stop_amd(omnivox::CallId call_id) override {
    call("TelephonyBackend.stopAmd",
         [&](TelephonyBackend& b) { b.stop_amd(static_cast<long long>(call_id)); });
  }
  void stop() override {
    call("TelephonyBackend.stop", [](TelephonyBackend& b) { b.stop(); });
  }

 private:
  // Calls the backend if it still exists; false if it is gone or threw.
  template <typename F>
  bool call(const char* what, F&& f) {
    Using use(link_->backend_use);
    if (!use) {
      errors_->record(std::string(what) + ": the backend was deleted");
      return false;
    }
    return guarded_callback(*errors_, what, [&] { f(*link_->backend); });
  }

  std::shared_ptr<TelephonyBackend::Link> link_;
  omnivox::Clock* clock_;
  ErrorLog* errors_;
};

// The engine's EventListener over a Java EventListener (may be null).
class JavaListener final : public omnivox::EventListener {
 public:
  JavaListener(std::shared_ptr<bindings::EventListener::Link> link, ErrorLog* errors)
      : link_(std::move(link)), errors_(errors) {}

  void on_call_state(const omnivox::CallStateChange& c) override {
    if (!link_) return;
    CallStateEvent e;
    bindings_support::fill_call_state_event(c, e);
    call("EventListener.onCallState", [&](bindings::EventListener& l) { l.on_call_state(e); });
  }
  void on_agent_state(const omnivox::AgentStateChange& c) override {
    if (!link_) return;
    AgentStateEvent e;
    bindings_support::fill_agent_state_event(c, e);
    call("EventListener.onAgentState", [&](bindings::EventListener& l) { l.on_agent_state(e); });
  }
  void on_pacing_decision(const omnivox::PacingDecision& d) override {
    if (!link_) return;
    PacingEvent e;
    bindings_support::fill_pacing_event(d, e);
    call("EventListener.onPacingDecision",
         [&](bindings::EventListener& l) { l.on_pacing_decision(e); });
  }
  void on_attempt_finished(const omnivox::Attempt& a) override {
    if (!link_) return;
    AttemptRecord r;
    bindings_support::fill_attempt(a, r);
    call("EventListener.onAttemptFinished",
         [&](bindings::EventListener& l) { l.on_attempt_finished(r); });
  }

 private:
  template <typename F>
  void call(const char* what, F&& f) {
    Using use(link_->use);
    if (!use) return;  // the Java listener was deleted: events are dropped
    guarded_callback(*errors_, what, [&] { f(*link_->listener); });
  }

  std::shared_ptr<bindings::EventListener::Link> link_;
  ErrorLog* errors_;
};

omnivox::EngineOptions engine_options(const EngineConfig& config) {
  omnivox::EngineOptions o;
  o.log_level = log_level_of(config.log_level);
  if (config.decision_interval_ms <= 0) {
    invalid("EngineConfig.decisionIntervalMs", "must be > 0");
  }
  o.decision_interval = omnivox::Duration(config.decision_interval_ms);
  o.journal_state_changes = false;
  o.suspend_amd_at_cap = config.suspend_amd_at_cap;
  return o;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Engine

struct Engine::State {
  ErrorLog errors;
  // Owned parts (Engine.create); a simulation rig owns its own.
  std::unique_ptr<omnivox::Storage> storage;
  std::unique_ptr<omnivox::Clock> clock;
  std::unique_ptr<JavaTelephony> telephony;
  std::unique_ptr<omnivox::Simulator> simulator;
  std::unique_ptr<omnivox::SipEngineBackend> sip;
  std::unique_ptr<JavaListener> listener;
  std::unique_ptr<omnivox::Engine> engine;
  std::unique_ptr<omnivox::Simulation> simulation;
  // Campaign files by campaign id (contacts path and import options).
  std::map<std::string, omnivox::CampaignFile> files;
  std::string last_campaign;
  omnivox::Duration max_duration = std::chrono::hours(24 * 60);
  std::vector<long long> agents;
  mutable std::mutex mutex;  // guards files, last_campaign, agents

  omnivox::Engine& eng() { return simulation ? simulation->engine() : *engine; }
  const omnivox::Engine& eng() const { return simulation ? simulation->engine() : *engine; }
};

Engine::Engine() : state_(std::make_unique<State>()) {}

Engine::~Engine() {
  try {
    close();
  } catch (...) {
  }
}

Engine::State& Engine::live() const {
  if (!state_) throw Error(ErrorCode::kState, "Engine: the engine is closed");
  return *state_;
}

omnivox::Engine& Engine::cpp_engine() const { return live().eng(); }

namespace {

void not_in_callback(const char* where) {
  if (t_callback_depth > 0) {
    throw Error(ErrorCode::kState,
                std::string(where) + ": not allowed from inside an engine callback");
  }
}

}  // namespace

Engine* Engine::create(const EngineConfig& config, TelephonyBackend* telephony,
                       EventListener* listener) {
  const bool sip = !config.sip_json.empty();
  if (sip && telephony) {
    invalid("Engine.create", "EngineConfig.sipJson is set and a TelephonyBackend is given");
  }
  if (sip && config.virtual_clock) {
    invalid("EngineConfig.virtualClock",
            "must be false with EngineConfig.sipJson: SIP calls run on the system clock");
  }
  std::unique_ptr<Engine> self(new Engine());
  State& s = *self->state_;
  omnivox::EngineOptions options = engine_options(config);
  s.storage = config.sqlite_path.empty() ? omnivox::make_memory_storage({false})
                                         : omnivox::make_sqlite_storage(config.sqlite_path);
  if (config.virtual_clock) {
    s.clock = std::make_unique<omnivox::VirtualClock>(
        omnivox::parse_utc(config.start.empty() ? "2026-05-04T13:00:00Z" : config.start));
  } else {
    if (!(config.clock_speed > 0.0)) invalid("EngineConfig.clockSpeed", "must be > 0");
    omnivox::TimePoint start =
        config.start.empty()
            ? std::chrono::time_point_cast<omnivox::Duration>(std::chrono::system_clock::now())
            : omnivox::parse_utc(config.start);
    s.clock = omnivox::make_system_clock(config.clock_speed, start);
  }
  if (listener) s.listener = std::make_unique<JavaListener>(listener->link_, &s.errors);
  omnivox::Telephony* tel = nullptr;
  omnivox::EventListener* events = s.listener.get();
  if (telephony) {
    if (telephony->attached()) {
      throw Error(ErrorCode::kState, "Engine.create: the telephony backend is already attached");
    }
    s.telephony = std::make_unique<JavaTelephony>(telephony->link_, s.clock.get(), &s.errors);
    tel = s.telephony.get();
  } else if (sip) {
    s.sip = std::make_unique<omnivox::SipEngineBackend>(
        config.sip_json, config.sip_base_dir.empty() ? "." : config.sip_base_dir,
        "EngineConfig.sipJson");
    tel = &s.sip->telephony();
  } else {
    omnivox::SimulationOptions world;
    world.seed = static_cast<std::uint64_t>(config.simulator_seed);
    s.simulator = std::make_unique<omnivox::Simulator>(world, s.clock.get(), s.listener.get());
    tel = s.simulator.get();
    events = s.simulator.get();
  }
  s.engine = std::make_unique<omnivox::Engine>(std::move(options), s.storage.get(), tel,
                                               s.clock.get(), events);
  if (s.simulator) s.simulator->attach(s.engine.get());
  if (s.sip) s.sip->attach(s.engine.get());
  s.errors.set_logger(&s.engine->logger());
  return self.release();
}

Engine* Engine::simulation(const std::string& campaign_json, const std::string& base_dir,
                           EventListener* listener) {
  return make_simulation(omnivox::parse_campaign_json(
                             campaign_json, base_dir.empty() ? "." : base_dir, "campaign_json"),
                         listener);
}

Engine* Engine::simulation_file(const std::string& path, EventListener* listener) {
  return make_simulation(omnivox::load_campaign_file(path), listener);
}

Engine* Engine::make_simulation(omnivox::CampaignFile file, EventListener* listener) {
  bindings_support::load_replay_records(file);
  std::unique_ptr<Engine> self(new Engine());
  State& s = *self->state_;
  if (listener) s.listener = std::make_unique<JavaListener>(listener->link_, &s.errors);
  s.simulation = std::make_unique<omnivox::Simulation>(
      file.simulation, file.start, omnivox::Simulation::quiet_engine_options(),
      omnivox::MemoryStorageOptions{/*keep_journal=*/false}, s.listener.get());
  s.errors.set_logger(&s.simulation->engine().logger());
  s.simulation->engine().add_campaign(file.campaign);
  for (omnivox::AgentId a : s.simulation->add_agents(file.campaign.id, file.agents, true)) {
    s.agents.push_back(a);
  }
  s.max_duration = file.max_duration;
  s.last_campaign = file.campaign.id;
  s.files[file.campaign.id] = std::move(file);
  return self.release();
}

void Engine::close() {
  if (!state_) return;
  not_in_callback("Engine.close");
  State& s = *state_;
  if (s.simulation || s.engine) s.eng().stop();  // absent if a factory failed half-way
  if (s.telephony) s.telephony->detach();
  if (s.sip) s.sip->detach();  // its thread logs agents in and out until then
  // Destroy in reverse dependency order: engine (calls telephony.stop()), then its parts.
  s.simulation.reset();
  s.engine.reset();
  s.simulator.reset();
  s.telephony.reset();
  s.listener.reset();
  s.clock.reset();
  s.sip.reset();
  s.storage.reset();
  state_.reset();
}

bool Engine::closed() const { return !state_; }
bool Engine::is_simulation() const { return live().simulation != nullptr; }

std::string Engine::add_campaign_json(const std::string& json, const std::string& base_dir) {
  State& s = live();
  omnivox::CampaignFile file =
      omnivox::parse_campaign_json(json, base_dir.empty() ? "." : base_dir, "campaign_json");
  s.eng().add_campaign(file.campaign);
  std::lock_guard<std::mutex> lock(s.mutex);
  s.last_campaign = file.campaign.id;
  std::string id = file.campaign.id;
  s.files[id] = std::move(file);
  return id;
}

std::string Engine::add_campaign_file(const std::string& path) {
  State& s = live();
  omnivox::CampaignFile file = omnivox::load_campaign_file(path);
  s.eng().add_campaign(file.campaign);
  std::lock_guard<std::mutex> lock(s.mutex);
  s.last_campaign = file.campaign.id;
  std::string id = file.campaign.id;
  s.files[id] = std::move(file);
  return id;
}

std::string Engine::campaign_id() const {
  State& s = live();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.last_campaign;
}

ImportResult Engine::import_contacts(const std::string& campaign_id, const std::string& list_name,
                                     const std::string& csv_path) {
  State& s = live();
  if (list_name.empty()) invalid("Engine.importContacts", "list name is empty");
  std::string path = csv_path;
  omnivox::ImportOptions options;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.files.find(campaign_id);
    if (it != s.files.end()) {
      options = it->second.import;
      if (path.empty()) path = it->second.contacts_path;
    }
  }
  if (path.empty()) {
    invalid("Engine.importContacts",
            "csv path is empty and campaign '" + campaign_id + "' has no contacts.file");
  }
  omnivox::ImportReport r = s.eng().import_contacts(campaign_id, list_name, path, options);
  ImportResult out;
  bindings_support::fill_import_report(r, out);
  return out;
}

long long Engine::add_contact(const std::string& campaign_id, const std::string& external_id,
                              const std::vector<std::string>& numbers) {
  State& s = live();
  if (numbers.empty()) invalid("Engine.addContact", "at least one phone number is required");
  omnivox::Contact contact;
  contact.external_id = external_id;
  for (const auto& n : numbers) {
    if (n.size() < 2 || n[0] != '+') {
      invalid("Engine.addContact", "'" + n + "' is not an E.164 number");
    }
    omnivox::PhoneNumber p;
    p.e164 = n;
    contact.numbers.push_back(std::move(p));
  }
  return static_cast<long long>(s.eng().add_contact(campaign_id, std::move(contact)));
}

void Engine::add_dnc(const std::string& list, const std::string& e164) {
  State& s = live();
  if (list.empty()) invalid("Engine.addDnc", "list is empty");
  if (e164.size() < 2 || e164[0] != '+') {
    invalid("Engine.addDnc", "'" + e164 + "' is not an E.164 number");
  }
  s.eng().add_dnc(list, e164);
}

void Engine::start_campaign(const std::string& campaign_id) {
  live().eng().start_campaign(campaign_id);
}
void Engine::stop_campaign(const std::string& campaign_id) {
  live().eng().stop_campaign(campaign_id);
}

long long Engine::add_agent(const std::string& campaign_id, const std::string& name) {
  State& s = live();
  long long id = s.eng().add_agent(campaign_id, name);
  std::lock_guard<std::mutex> lock(s.mutex);
  s.agents.push_back(id);
  return id;
}

std::vector<long long> Engine::add_agents(const std::string& campaign_id, int count, bool log_in) {
  State& s = live();
  if (count < 0) invalid("Engine.addAgents", "count is negative");
  std::vector<long long> ids;
  for (int i = 0; i < count; ++i) {
    long long id = add_agent(campaign_id, "agent-" + std::to_string(i + 1));
    if (log_in)
      s.eng().set_agent_state(static_cast<omnivox::AgentId>(id), omnivox::AgentState::kAvailable);
    ids.push_back(id);
  }
  return ids;
}

std::vector<long long> Engine::agents() const {
  State& s = live();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.agents;
}

void Engine::set_agent_state(long long agent, AgentState state) {
  State& s = live();
  const omnivox::AgentState to =
      bindings_support::host_agent_state(static_cast<int>(state), "Engine.setAgentState: state");
  s.eng().set_agent_state(agent_id(agent, "Engine.setAgentState"), to);
}

AgentState Engine::agent_state(long long agent) const {
  return static_cast<AgentState>(live().eng().agent_state(agent_id(agent, "Engine.agentState")));
}

void Engine::set_disposition(long long call_id, Disposition disposition, long long callback_at_ms) {
  State& s = live();
  const char* where = "Engine.setDisposition";
  const auto [d, at] = bindings_support::agent_disposition(
      static_cast<int>(disposition), callback_at_ms, "Engine.setDisposition: ");
  s.eng().set_disposition(positive_id(call_id, where, "call id"), d, at);
}

namespace {

omnivox::SipEngineBackend& sip_of(Engine::State& s, const char* where) {
  if (!s.sip) {
    throw Error(ErrorCode::kState, std::string(where) + ": the engine has no EngineConfig.sipJson");
  }
  return *s.sip;
}

}  // namespace

void Engine::sip_connect_agent(long long agent, const std::string& uri) {
  sip_of(live(), "Engine.sipConnectAgent")
      .connect_agent(agent_id(agent, "Engine.sipConnectAgent"), uri);
}

void Engine::sip_disconnect_agent(long long agent) {
  sip_of(live(), "Engine.sipDisconnectAgent")
      .disconnect_agent(agent_id(agent, "Engine.sipDisconnectAgent"));
}

PreviewEntry Engine::preview_next(long long agent) {
  auto e = live().eng().preview_next(agent_id(agent, "Engine.previewNext"));
  PreviewEntry out;
  if (e) {
    out.found = true;
    out.contact_id = static_cast<long long>(e->contact_id);
    out.number_index = e->number_index;
    out.number = e->number;
    out.callback = e->callback;
  }
  return out;
}

long long Engine::dial_preview(long long agent) {
  return static_cast<long long>(live().eng().dial_preview(agent_id(agent, "Engine.dialPreview")));
}
void Engine::skip_preview(long long agent) {
  live().eng().skip_preview(agent_id(agent, "Engine.skipPreview"));
}
long long Engine::call_now(long long contact_id, long long agent) {
  State& s = live();
  return static_cast<long long>(s.eng().call_now(
      positive_id(contact_id, "Engine.callNow", "contact id"), agent_id(agent, "Engine.callNow")));
}

long long Engine::now_ms() const { return ms_of(live().eng().clock()->now()); }

void Engine::start(int threads) {
  State& s = live();
  not_in_callback("Engine.start");
  if (threads < 1) invalid("Engine.start", "threads must be >= 1");
  s.eng().start(threads);
}
void Engine::stop() {
  State& s = live();
  not_in_callback("Engine.stop");
  s.eng().stop();
}
long long Engine::poll() {
  State& s = live();
  not_in_callback("Engine.poll");
  return static_cast<long long>(s.eng().poll());
}
long long Engine::run_for(long long duration_ms) {
  State& s = live();
  not_in_callback("Engine.runFor");
  return static_cast<long long>(s.eng().run_for(omnivox::Duration(duration_ms)));
}
bool Engine::run_until_done(long long limit_ms) {
  State& s = live();
  not_in_callback("Engine.runUntilDone");
  omnivox::Duration limit = limit_ms == 0 ? s.max_duration : omnivox::Duration(limit_ms);
  return s.eng().run_until_done(limit);
}
bool Engine::idle() const { return live().eng().idle(); }

Statistics Engine::statistics(const std::string& campaign_id) const {
  Statistics r;
  bindings_support::fill_statistics(live().eng().statistics(campaign_id), r);
  return r;
}

long long Statistics::agents_in_state(AgentState state) const {
  return agents_by_state[static_cast<int>(checked_enum<omnivox::AgentState>(
      state, omnivox::kAgentStateCount, "Statistics.agentsInState", "state"))];
}
long long Statistics::disposition_count(Disposition disposition) const {
  return dispositions[static_cast<int>(checked_enum<omnivox::Disposition>(
      disposition, omnivox::kDispositionCount, "Statistics.dispositionCount", "disposition"))];
}

namespace {
AgentActivity activity_of(const omnivox::AgentActivity& a) {
  AgentActivity r;
  bindings_support::fill_activity(a, r);
  return r;
}
std::vector<AgentActivity> activities_of(const std::vector<omnivox::AgentActivity>& in) {
  std::vector<AgentActivity> out;
  out.reserve(in.size());
  for (const omnivox::AgentActivity& a : in) out.push_back(activity_of(a));
  return out;
}
}  // namespace

AgentStatistics Engine::agent_statistics(const std::string& campaign_id) const {
  omnivox::AgentStatistics st = live().eng().agent_statistics(campaign_id);
  AgentStatistics r;
  r.campaign_id = st.campaign_id;
  r.at_ms = ms_of(st.at);
  r.interval_ms = st.interval.count();
  r.agents.reserve(st.agents.size());
  for (const omnivox::AgentSummary& a : st.agents) {
    AgentSummary s;
    bindings_support::fill_agent_summary(a, s);
    s.totals = activity_of(a.totals);
    s.intervals = activities_of(a.intervals);
    r.agents.push_back(std::move(s));
  }
  r.totals = activity_of(st.totals);
  r.intervals = activities_of(st.intervals);
  return r;
}

long long AgentActivity::disposition_count(Disposition disposition) const {
  return dispositions[static_cast<int>(checked_enum<omnivox::Disposition>(
      disposition, omnivox::kDispositionCount, "AgentActivity.dispositionCount", "disposition"))];
}
double AgentActivity::per_logged_in_hour(double count) const {
  return logged_in_seconds > 0 ? count * 3600.0 / logged_in_seconds : 0.0;
}

Eligibility Engine::explain(long long contact_id) const {
  omnivox::EligibilityReport rep =
      live().eng().explain(positive_id(contact_id, "Engine.explain", "contact id"));
  Eligibility e;
  e.eligible = rep.reason == omnivox::Ineligibility::kNone;
  e.reason = omnivox::to_string(rep.reason);
  e.detail = rep.detail;
  e.eligible_at_ms = rep.eligible_at ? ms_of(*rep.eligible_at) : 0;
  return e;
}

CallState Engine::call_state(long long call_id) const {
  auto st = live().eng().call_state(positive_id(call_id, "Engine.callState", "call id"));
  if (!st) {
    throw Error(ErrorCode::kNotFound,
                "Engine.callState: call " + std::to_string(call_id) + " is not in flight");
  }
  return static_cast<CallState>(*st);
}

std::string Engine::last_callback_error() const { return live().errors.last(); }
long long Engine::callback_error_count() const { return live().errors.count(); }
void Engine::clear_callback_error() { live().errors.clear_last(); }

long long parse_utc_ms(const std::string& text) {
  try {
    return ms_of(omnivox::parse_utc(text));
  } catch (const Error& e) {
    invalid("parseUtcMs", e.what());
  }
}
std::string format_utc_ms(long long ms) { return omnivox::format_utc(time_of(ms)); }
std::string disposition_name(Disposition disposition) {
  return omnivox::to_string(checked_enum<omnivox::Disposition>(
      disposition, omnivox::kDispositionCount, "dispositionName", "disposition"));
}
Disposition disposition_from_name(const std::string& name) {
  auto d = omnivox::disposition_from_string(name);
  if (!d) invalid("dispositionFromName", "'" + name + "' is not a disposition name");
  return static_cast<Disposition>(*d);
}

}  // namespace omnivox::bindings
