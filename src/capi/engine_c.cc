// The general engine handle of the C API (omnivox_engine_*): storage, telephony and clock chosen
// at creation, campaigns from JSON. See include/omnivox/omnivox.h.
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bindings_support/campaign_loading.h"
#include "capi/c_backends.h"
#include "capi/capi_internal.h"
#include "omnivox/clock.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/log.h"
#include "omnivox/sim.h"
#include "omnivox/sip_config.h"
#include "omnivox/sqlite_storage.h"
#include "omnivox/storage.h"

#if defined(__linux__)
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace json = boost::json;

using omnivox::capi::CError;
using omnivox::capi::check_version;
using omnivox::capi::contact_arg;
using omnivox::capi::dup_string;
using omnivox::capi::e164_arg;
using omnivox::capi::guarded;
using omnivox::capi::HandleKind;
using omnivox::capi::HandleUse;
using omnivox::capi::Inside;
using omnivox::capi::inside_of;
using omnivox::capi::json_arg;
using omnivox::capi::ms_of;
using omnivox::capi::require;
using omnivox::capi::text_arg;
using omnivox::capi::time_of;

namespace {

// A campaign as the host configured it: its JSON document (what a C storage stores) and the
// parsed campaign file (import options, contacts path).
struct CampaignDoc {
  std::string json;
  std::string base_dir;
  omnivox::CampaignFile file;
};

// OMNIVOX_CLOCK_HOST: a VirtualClock whose time the host's loop moves to the wall clock in
// omnivox_engine_run_due(), so every handler runs inline on the host's thread. A timer
// scheduled from outside run_due (another thread, or the host's loop between calls) makes the
// wake-up file descriptor readable (Linux eventfd).
class HostClock final : public omnivox::ClockWrapper {
 public:
  explicit HostClock(std::unique_ptr<omnivox::VirtualClock> vc)
      : ClockWrapper(vc.get()), vc_(std::move(vc)) {
#if defined(__linux__)
    fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
#endif
  }
  ~HostClock() override {
#if defined(__linux__)
    if (fd_ >= 0) ::close(fd_);
#endif
  }
  omnivox::VirtualClock* vc() const { return vc_.get(); }
  int fd() const { return fd_; }
  omnivox::TimerId schedule_at(omnivox::TimePoint when, std::function<void()> fn) override {
    omnivox::TimerId id = vc_->schedule_at(when, std::move(fn));
    wake();
    return id;
  }
  omnivox::TimerId schedule_call(omnivox::TimePoint when, omnivox::TimerTarget* target,
                                 std::uint64_t key) override {
    omnivox::TimerId id = vc_->schedule_call(when, target, key);
    wake();
    return id;
  }
  // Marks the calling thread as the one inside run_due (its timers need no wake-up).
  void set_driver(bool driving) {
    driver_.store(driving ? std::this_thread::get_id() : std::thread::id{});
  }
  bool driving_here() const { return driver_.load() == std::this_thread::get_id(); }
  // Empties the descriptor (run_due runs what woke it).
  void drain() {
#if defined(__linux__)
    if (fd_ >= 0) {
      std::uint64_t v;
      while (::read(fd_, &v, sizeof v) < 0 && errno == EINTR) {
      }
    }
#endif
  }

 private:
  void wake() {
#if defined(__linux__)
    if (fd_ < 0 || driving_here()) return;
    std::uint64_t one = 1;
    while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
#endif
  }

  std::unique_ptr<omnivox::VirtualClock> vc_;
  int fd_ = -1;
  std::atomic<std::thread::id> driver_{};
};

omnivox::TimePoint wall_now() {
  return std::chrono::time_point_cast<omnivox::Duration>(std::chrono::system_clock::now());
}

}  // namespace

struct omnivox_engine : omnivox::capi::HandleBase {
  // Members are torn down explicitly in destroy_engine(), engine first.
  std::unique_ptr<omnivox::capi::CListener> listener;
  std::unique_ptr<omnivox::Clock> clock;
  omnivox::VirtualClock* virtual_clock = nullptr;  // == clock.get() when virtual
  HostClock* host_clock = nullptr;                 // == clock.get() for OMNIVOX_CLOCK_HOST
  std::unique_ptr<omnivox::Storage> storage;
  std::unique_ptr<omnivox::Simulator> simulator;
  std::unique_ptr<omnivox::capi::CTelephony> telephony;
  std::unique_ptr<omnivox::SipEngineBackend> sip;
  std::unique_ptr<omnivox::Engine> engine;
  std::atomic<bool> threads_running{false};
  // Where a state change applied on an engine thread reports its failure (deferred()).
  std::unique_ptr<omnivox::Logger> log;
  // State changes the host made from its own threads while the engine runs on its threads,
  // applied in order by `applier` (deferred()). The mutex is never held while the engine runs.
  std::mutex queued_mutex;
  std::condition_variable queued_cv;
  std::deque<std::function<void()>> queued;
  bool applier_stopping = false;
  std::thread applier;

  void start_applier() {
    {
      std::lock_guard<std::mutex> lock(queued_mutex);
      applier_stopping = false;
    }
    applier = std::thread([this] {
      std::unique_lock<std::mutex> lock(queued_mutex);
      for (;;) {
        queued_cv.wait(lock, [this] { return applier_stopping || !queued.empty(); });
        if (queued.empty()) return;  // stopping, and everything queued is applied
        std::function<void()> fn = std::move(queued.front());
        queued.pop_front();
        lock.unlock();
        fn();
        lock.lock();
      }
    });
  }
  // Applies what is still queued, then ends the applier thread.
  void stop_applier() {
    {
      std::lock_guard<std::mutex> lock(queued_mutex);
      applier_stopping = true;
    }
    queued_cv.notify_all();
    if (applier.joinable()) applier.join();
  }
  std::mutex campaigns_mutex;
  std::map<std::string, CampaignDoc> campaigns;
  // Host timers capture a weak reference: none fires into a destroyed handle.
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  // The simulation handle this engine handle belongs to (omnivox_simulation_engine()), or null
  // for a handle of omnivox_engine_create(): a borrowed handle is destroyed with its simulation.
  const void* simulation = nullptr;

  std::string campaign_json(const std::string& id) {
    std::lock_guard<std::mutex> lock(campaigns_mutex);
    auto it = campaigns.find(id);
    if (it != campaigns.end()) return it->second.json;
    json::object o;
    o["id"] = id;
    return json::serialize(o);
  }
  CampaignDoc campaign_doc(const std::string& id) {
    std::lock_guard<std::mutex> lock(campaigns_mutex);
    auto it = campaigns.find(id);
    if (it == campaigns.end()) {
      throw omnivox::Error(omnivox::ErrorCode::kNotFound, "unknown campaign '" + id + "'");
    }
    return it->second;
  }
};

namespace {

// Checks and holds the handle for the rest of the calling function. Every engine function
// refuses to run from inside a C storage function of the same engine.
#define ENGINE_HANDLE(engine)                                                                   \
  HandleUse use_;                                                                               \
  omnivox_engine& h =                                                                           \
      omnivox::capi::use_handle(engine, HandleKind::kEngine, "engine", "omnivox_engine", use_); \
  not_inside_storage(h)

void not_inside_storage(omnivox_engine& h) {
  if (inside_of(&h) == Inside::kStorage) {
    throw CError{OMNIVOX_ESTATE, "engine functions cannot be called from a storage function"};
  }
}

// The functions that drive or tear down the engine cannot run from inside one of its steps.
void not_inside_engine(omnivox_engine& h, const char* what) {
  if (inside_of(&h) != Inside::kNothing) {
    throw CError{OMNIVOX_ESTATE, std::string("cannot ") + what +
                                     " from a callback, telephony, storage or timer function "
                                     "of the same engine"};
  }
}

void not_threaded(omnivox_engine& h, const char* what) {
  if (h.threads_running.load()) {
    throw CError{OMNIVOX_ESTATE,
                 std::string("cannot ") + what + " while engine-owned threads run (stop first)"};
  }
}

}  // namespace

omnivox::Engine& omnivox::capi::engine_of(omnivox_engine* engine, HandleUse& use) {
  omnivox_engine& h = use_handle(engine, HandleKind::kEngine, "engine", "omnivox_engine", use);
  not_inside_storage(h);
  return *h.engine;
}

namespace {

std::string campaign_arg(const char* campaign_id) {
  std::string id = text_arg(campaign_id, "campaign_id");
  if (id.empty()) throw CError{OMNIVOX_EINVALID, "argument 'campaign_id' is empty"};
  return id;
}

// Engine and SIP log lines to the host's log function. It filters by level itself because the
// SIP stack's logger has its own fixed level.
class CLogSink final : public omnivox::LogSink {
 public:
  CLogSink(omnivox_log_fn fn, void* user_data, omnivox::LogLevel min_level)
      : fn_(fn), user_data_(user_data), min_level_(min_level) {}
  void write(omnivox::LogLevel level, std::string_view message) override {
    if (level < min_level_) return;
    // The host gets a NUL-terminated line; a throwing allocation must not reach its frames.
    try {
      std::string line(message);
      fn_(user_data_, static_cast<int>(level), line.c_str());
    } catch (...) {
    }
  }

 private:
  omnivox_log_fn fn_;
  void* user_data_;
  omnivox::LogLevel min_level_;
};

omnivox::LogLevel log_level_arg(int level) {
  if (level < OMNIVOX_LOG_TRACE || level > OMNIVOX_LOG_OFF) {
    throw CError{OMNIVOX_EINVALID,
                 "options.log_level (" + std::to_string(level) + ") is out of range"};
  }
  return static_cast<omnivox::LogLevel>(level);
}

std::int64_t positive_ms(std::int64_t v, const char* name) {
  if (v <= 0) throw CError{OMNIVOX_EINVALID, std::string(name) + " must be > 0"};
  return v;
}

omnivox::SimulationOptions simulation_world(const char* json_text, const char* base_dir) {
  if (json_text == nullptr) return omnivox::SimulationOptions{};
  std::string text = json_arg(json_text, "options.simulation_json");
  std::string dir =
      base_dir == nullptr ? std::string(".") : text_arg(base_dir, "options.simulation_base_dir");
  omnivox::CampaignFile file = omnivox::parse_campaign_json(text, dir, "simulation_json");
  omnivox::bindings_support::load_replay_records(file);
  return std::move(file.simulation);
}

// Adds or replaces a campaign from its JSON document: the document is recorded first (a C
// storage reads it from put_campaign), restored if the engine refuses the campaign.
std::string apply_campaign(omnivox_engine& h, const std::string& text, const std::string& dir) {
  CampaignDoc doc{text, dir, omnivox::parse_campaign_json(text, dir, "campaign_json")};
  std::string id = doc.file.campaign.id;
  std::optional<CampaignDoc> previous;
  {
    std::lock_guard<std::mutex> lock(h.campaigns_mutex);
    auto it = h.campaigns.find(id);
    if (it != h.campaigns.end()) previous = it->second;
    h.campaigns[id] = doc;
  }
  try {
    h.engine->add_campaign(doc.file.campaign);
  } catch (...) {
    std::lock_guard<std::mutex> lock(h.campaigns_mutex);
    if (previous) {
      h.campaigns[id] = std::move(*previous);
    } else {
      h.campaigns.erase(id);
    }
    throw;
  }
  return id;
}

// The engine's SIP backend, or the error naming what is wrong.
omnivox::SipEngineBackend& sip_of(omnivox_engine& h) {
  if (!h.sip) {
    throw CError{OMNIVOX_ESTATE, "the engine's telephony is not OMNIVOX_TELEPHONY_SIP"};
  }
  return *h.sip;
}

}  // namespace

namespace {

// The threading contract (docs/c-api.md, "Threading and ownership"): while the engine runs on
// its own threads, a state change the host makes from one of its threads is applied on an engine
// thread, never on the caller's. Applied there, it would run the host's callbacks and originate()
// on the caller's stack, where the host may hold a lock those take (a deadlock). From inside a
// callback or backend function the engine already defers it; in host-driven mode (poll, run_for)
// the host's thread is the engine's thread. Returns whether `fn` was queued.
template <typename Fn>
bool deferred(omnivox_engine& h, const char* what, Fn fn) {
  if (!h.threads_running.load() || omnivox::capi::inside_of(&h) != Inside::kNothing) return false;
  omnivox_engine* raw = &h;
  {
    std::lock_guard<std::mutex> lock(h.queued_mutex);
    if (h.applier_stopping || !h.applier.joinable()) return false;
    h.queued.emplace_back([raw, what, fn] {
      try {
        fn();
      } catch (const std::exception& e) {
        raw->log->log(omnivox::LogLevel::kWarn,
                      std::string(what) + " (applied later): " + e.what());
      }
    });
  }
  h.queued_cv.notify_one();
  return true;
}

}  // namespace

namespace {

// Unregisters a live engine handle, waits for the calls in progress on it, and tears it down.
void destroy_engine(omnivox_engine* h) {
  if (!omnivox::capi::unregister_handle(h, HandleKind::kEngine)) return;
  omnivox::capi::wait_unused(h);
  try {
    h->threads_running = false;
    h->stop_applier();
    h->alive.reset();
    if (h->sip) h->sip->detach();  // its thread logs agents in and out until then
    h->engine.reset();             // stops owned threads, then telephony stop
    // Timers still pending on the clock may reach the telephony adapter: the clock goes first.
    h->clock.reset();
    h->telephony.reset();
    h->sip.reset();
    h->simulator.reset();
    h->storage.reset();
    delete h;
  } catch (...) {
  }
}

}  // namespace

omnivox_engine* omnivox::capi::new_simulation_engine(const void* simulation,
                                                     SimulationOptions world, TimePoint start,
                                                     const std::string& campaign_json,
                                                     const std::string& base_dir,
                                                     std::string* campaign_id) {
  EngineOptions eo = Simulation::quiet_engine_options();
  auto h = std::make_unique<omnivox_engine>();
  h->simulation = simulation;
  h->log = std::make_unique<Logger>(make_stderr_log_sink(), eo.log_level);
  h->listener = std::make_unique<CListener>(h.get());
  auto vc = std::make_unique<VirtualClock>(start);
  h->virtual_clock = vc.get();
  h->clock = std::move(vc);
  h->storage = make_memory_storage(Simulation::quiet_storage_options());
  h->simulator = std::make_unique<Simulator>(std::move(world), h->clock.get(), h->listener.get());
  h->engine = std::make_unique<Engine>(eo, h->storage.get(), h->simulator.get(), h->clock.get(),
                                       h->simulator.get());
  h->simulator->attach(h->engine.get());
  *campaign_id = apply_campaign(*h, campaign_json, base_dir);
  register_handle(h.get(), HandleKind::kEngine);
  return h.release();
}

void omnivox::capi::destroy_simulation_engine(omnivox_engine* engine) {
  if (engine != nullptr) destroy_engine(engine);
}

extern "C" {

int omnivox_engine_options_init(omnivox_engine_options* out, unsigned int version) {
  if (out == nullptr || version < 1 || version > OMNIVOX_ENGINE_OPTIONS_VERSION) {
    return OMNIVOX_EINVALID;
  }
  omnivox_engine_options defaults{};
  omnivox_engine_options* o = &defaults;
  o->version = version;
  o->owner_token = nullptr;
  o->lease_ttl_ms = 300000;
  o->decision_interval_ms = 250;
  o->max_wrap_up_ms = 900000;
  o->log_level = OMNIVOX_LOG_WARN;
  o->journal_state_changes = 0;
  o->time_zone_map_path = nullptr;
  o->storage_kind = OMNIVOX_STORAGE_MEMORY;
  o->sqlite_path = nullptr;
  o->storage = nullptr;
  o->telephony_kind = OMNIVOX_TELEPHONY_SIMULATOR;
  o->simulation_json = nullptr;
  o->simulation_base_dir = nullptr;
  o->telephony = nullptr;
  o->clock_kind = OMNIVOX_CLOCK_VIRTUAL;
  o->start_ms = 0;
  o->sip_json = nullptr;
  o->sip_base_dir = nullptr;
  o->log_fn = nullptr;
  o->log_user_data = nullptr;
  o->suspend_amd_at_cap = 1;
  // An older host's struct ends before the fields of later versions: never write past it.
  const std::size_t size = version == 1 ? offsetof(omnivox_engine_options, suspend_amd_at_cap)
                                        : sizeof(omnivox_engine_options);
  std::memcpy(out, &defaults, size);
  return OMNIVOX_OK;
}

int omnivox_engine_create(const omnivox_engine_options* options, omnivox_engine** out,
                          char** errptr) {
  if (out != nullptr) *out = nullptr;
  return guarded("omnivox_engine_create", errptr, [&] {
    require(options, "options");
    require(out, "out");
    const omnivox_engine_options& o = *options;
    check_version(o.version, OMNIVOX_ENGINE_OPTIONS_VERSION, "omnivox_engine_options", 1);
    omnivox::EngineOptions eo;
    eo.log_level = log_level_arg(o.log_level);
    if (o.log_fn != nullptr) {
      eo.log_sink = std::make_shared<CLogSink>(o.log_fn, o.log_user_data, eo.log_level);
    }
    if (o.owner_token != nullptr) eo.owner_token = text_arg(o.owner_token, "options.owner_token");
    eo.lease_ttl = omnivox::Duration(positive_ms(o.lease_ttl_ms, "options.lease_ttl_ms"));
    eo.decision_interval =
        omnivox::Duration(positive_ms(o.decision_interval_ms, "options.decision_interval_ms"));
    eo.max_wrap_up = omnivox::Duration(positive_ms(o.max_wrap_up_ms, "options.max_wrap_up_ms"));
    eo.journal_state_changes = o.journal_state_changes != 0;
    if (o.version >= 2) eo.suspend_amd_at_cap = o.suspend_amd_at_cap != 0;
    if (o.time_zone_map_path != nullptr) {
      eo.time_zone_map_path = text_arg(o.time_zone_map_path, "options.time_zone_map_path");
    }
    if (o.start_ms < 0) throw CError{OMNIVOX_EINVALID, "options.start_ms is negative"};

    auto h = std::make_unique<omnivox_engine>();
    h->log = std::make_unique<omnivox::Logger>(
        eo.log_sink ? eo.log_sink : omnivox::make_stderr_log_sink(), eo.log_level);
    h->listener = std::make_unique<omnivox::capi::CListener>(h.get());

    // Clock.
    switch (o.clock_kind) {
      case OMNIVOX_CLOCK_VIRTUAL: {
        omnivox::TimePoint start =
            o.start_ms != 0
                ? time_of(o.start_ms)
                : std::chrono::time_point_cast<omnivox::Duration>(std::chrono::system_clock::now());
        auto vc = std::make_unique<omnivox::VirtualClock>(start);
        h->virtual_clock = vc.get();
        h->clock = std::move(vc);
        break;
      }
      case OMNIVOX_CLOCK_SYSTEM:
        h->clock = omnivox::make_system_clock(1.0);
        break;
      case OMNIVOX_CLOCK_HOST: {
        auto hc = std::make_unique<HostClock>(std::make_unique<omnivox::VirtualClock>(wall_now()));
        h->host_clock = hc.get();
        h->clock = std::move(hc);
        break;
      }
      default:
        throw CError{OMNIVOX_EINVALID,
                     "options.clock_kind (" + std::to_string(o.clock_kind) + ") is out of range"};
    }

    // Storage.
    switch (o.storage_kind) {
      case OMNIVOX_STORAGE_MEMORY: {
        omnivox::MemoryStorageOptions memory_options;
        memory_options.keep_journal = eo.journal_state_changes;
        h->storage = omnivox::make_memory_storage(memory_options);
        break;
      }
      case OMNIVOX_STORAGE_SQLITE:
        h->storage = omnivox::make_sqlite_storage(text_arg(o.sqlite_path, "options.sqlite_path"));
        break;
      case OMNIVOX_STORAGE_CUSTOM: {
        require(o.storage, "options.storage");
        omnivox::capi::validate(*o.storage);
        omnivox_engine* raw = h.get();
        h->storage = std::make_unique<omnivox::capi::CStorage>(
            *o.storage, raw, [raw](const std::string& id) { return raw->campaign_json(id); });
        break;
      }
      default:
        throw CError{OMNIVOX_EINVALID, "options.storage_kind (" + std::to_string(o.storage_kind) +
                                           ") is out of range"};
    }

    // Telephony, and the engine.
    switch (o.telephony_kind) {
      case OMNIVOX_TELEPHONY_SIMULATOR: {
        omnivox::SimulationOptions world =
            simulation_world(o.simulation_json, o.simulation_base_dir);
        h->simulator = std::make_unique<omnivox::Simulator>(std::move(world), h->clock.get(),
                                                            h->listener.get());
        h->engine = std::make_unique<omnivox::Engine>(eo, h->storage.get(), h->simulator.get(),
                                                      h->clock.get(), h->simulator.get());
        h->simulator->attach(h->engine.get());
        break;
      }
      case OMNIVOX_TELEPHONY_CUSTOM:
        require(o.telephony, "options.telephony");
        omnivox::capi::validate(*o.telephony);
        h->telephony =
            std::make_unique<omnivox::capi::CTelephony>(*o.telephony, h.get(), h->clock.get());
        h->engine = std::make_unique<omnivox::Engine>(eo, h->storage.get(), h->telephony.get(),
                                                      h->clock.get(), h->listener.get());
        break;
      case OMNIVOX_TELEPHONY_SIP: {
        if (h->virtual_clock != nullptr || h->host_clock != nullptr) {
          throw CError{OMNIVOX_EINVALID,
                       "options.telephony_kind OMNIVOX_TELEPHONY_SIP places real calls: it needs "
                       "options.clock_kind OMNIVOX_CLOCK_SYSTEM"};
        }
        const std::string dir = o.sip_base_dir == nullptr
                                    ? std::string(".")
                                    : text_arg(o.sip_base_dir, "options.sip_base_dir");
        h->sip = std::make_unique<omnivox::SipEngineBackend>(
            json_arg(o.sip_json, "options.sip_json"), dir, "sip_json", eo.log_sink);
        h->engine = std::make_unique<omnivox::Engine>(eo, h->storage.get(), &h->sip->telephony(),
                                                      h->clock.get(), h->listener.get());
        h->sip->attach(h->engine.get());
        break;
      }
      default:
        throw CError{OMNIVOX_EINVALID, "options.telephony_kind (" +
                                           std::to_string(o.telephony_kind) + ") is out of range"};
    }
    omnivox::capi::register_handle(h.get(), HandleKind::kEngine);
    *out = h.release();
  });
}

void omnivox_engine_destroy(omnivox_engine* engine) {
  if (engine == nullptr) return;
  if (inside_of(engine) != Inside::kNothing) return;  // from its own step: refused
  {
    HandleUse use;
    if (!omnivox::capi::acquire_handle(engine, HandleKind::kEngine)) return;
    use.set(engine);
    if (engine->simulation != nullptr) {
      // void: the refusal can only be reported through the engine's log.
      engine->log->log(omnivox::LogLevel::kError,
                       "omnivox_engine_destroy: refused (OMNIVOX_ESTATE): this engine handle "
                       "belongs to a simulation (omnivox_simulation_engine) and lives until "
                       "omnivox_simulation_destroy");
      return;
    }
  }
  destroy_engine(engine);
}

int omnivox_engine_set_callbacks(omnivox_engine* engine, const omnivox_callbacks* callbacks,
                                 char** errptr) {
  return guarded("omnivox_engine_set_callbacks", errptr, [&] {
    ENGINE_HANDLE(engine);
    h.listener->set(callbacks);
  });
}

int omnivox_engine_add_campaign(omnivox_engine* engine, const char* campaign_json,
                                const char* base_dir, char** campaign_id, char** errptr) {
  return guarded("omnivox_engine_add_campaign", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string text = json_arg(campaign_json, "campaign_json");
    std::string dir = base_dir == nullptr ? std::string(".") : text_arg(base_dir, "base_dir");
    std::string id = apply_campaign(h, text, dir);
    if (campaign_id != nullptr) {
      char* p = dup_string(id);
      if (p == nullptr) throw std::bad_alloc();
      *campaign_id = p;
    }
  });
}

int omnivox_engine_set_campaign_option(omnivox_engine* engine, const char* campaign_id,
                                       const char* key, const char* value_json, char** errptr) {
  return guarded("omnivox_engine_set_campaign_option", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string id = campaign_arg(campaign_id);
    std::string k = text_arg(key, "key");
    std::string v = json_arg(value_json, "value_json");
    if (k == "id") throw CError{OMNIVOX_EINVALID, "the key 'id' cannot be changed"};
    CampaignDoc doc = h.campaign_doc(id);
    boost::system::error_code ec;
    json::value value = json::parse(v, ec);
    if (ec) {
      throw CError{OMNIVOX_ECONFIG,
                   "value_json for '" + k + "' is not a JSON value: " + ec.message()};
    }
    json::value root = json::parse(doc.json, ec);
    if (ec || !root.is_object()) {
      throw CError{OMNIVOX_EINTERNAL, "stored campaign JSON of '" + id + "' does not parse"};
    }
    root.as_object()[k] = value;
    apply_campaign(h, json::serialize(root), doc.base_dir);
  });
}

int omnivox_engine_start_campaign(omnivox_engine* engine, const char* campaign_id, char** errptr) {
  return guarded("omnivox_engine_start_campaign", errptr, [&] {
    ENGINE_HANDLE(engine);
    h.engine->start_campaign(campaign_arg(campaign_id));
  });
}

int omnivox_engine_stop_campaign(omnivox_engine* engine, const char* campaign_id, char** errptr) {
  return guarded("omnivox_engine_stop_campaign", errptr, [&] {
    ENGINE_HANDLE(engine);
    h.engine->stop_campaign(campaign_arg(campaign_id));
  });
}

int omnivox_engine_import_contacts(omnivox_engine* engine, const char* campaign_id,
                                   const char* list_name, const char* csv_path,
                                   omnivox_import_report* report, char** summary, char** errptr) {
  return guarded("omnivox_engine_import_contacts", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string id = campaign_arg(campaign_id);
    std::string list =
        list_name == nullptr ? std::string("main") : text_arg(list_name, "list_name");
    CampaignDoc doc = h.campaign_doc(id);
    std::string path =
        csv_path != nullptr ? text_arg(csv_path, "csv_path") : doc.file.contacts_path;
    if (path.empty()) {
      throw CError{OMNIVOX_EINVALID,
                   "argument 'csv_path' is NULL and the campaign has no 'contacts.file'"};
    }
    omnivox::ImportReport r = h.engine->import_contacts(id, list, path, doc.file.import);
    omnivox::capi::to_c(r, report, summary);
  });
}

int omnivox_engine_add_contact(omnivox_engine* engine, const char* campaign_id,
                               const char* external_id, const char* const* numbers,
                               size_t number_count, omnivox_contact_id* out, char** errptr) {
  return guarded("omnivox_engine_add_contact", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string id = campaign_arg(campaign_id);
    omnivox::Contact contact = contact_arg(external_id, numbers, number_count);
    contact.list_name = "main";
    omnivox::ContactId cid = h.engine->add_contact(id, std::move(contact));
    if (out != nullptr) *out = cid;
  });
}

int omnivox_engine_add_dnc(omnivox_engine* engine, const char* list, const char* e164,
                           char** errptr) {
  return guarded("omnivox_engine_add_dnc", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string l = text_arg(list, "list");
    std::string n = e164_arg(e164, "e164");
    if (l.empty()) throw CError{OMNIVOX_EINVALID, "argument 'list' is empty"};
    h.engine->add_dnc(l, n);
  });
}

int omnivox_engine_add_agent(omnivox_engine* engine, const char* campaign_id, const char* name,
                             int log_in, omnivox_agent_id* out, char** errptr) {
  return guarded("omnivox_engine_add_agent", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string id = campaign_arg(campaign_id);
    std::string n = text_arg(name, "name");
    omnivox::AgentId agent = h.engine->add_agent(id, n);
    if (log_in) {
      omnivox::Engine* e = h.engine.get();
      auto available = [e, agent] { e->set_agent_state(agent, omnivox::AgentState::kAvailable); };
      if (!deferred(h, "omnivox_engine_add_agent", available)) available();
    }
    if (out != nullptr) *out = agent;
  });
}

int omnivox_engine_set_agent_state(omnivox_engine* engine, omnivox_agent_id agent, int state,
                                   char** errptr) {
  return guarded("omnivox_engine_set_agent_state", errptr, [&] {
    ENGINE_HANDLE(engine);
    const omnivox::AgentState to =
        omnivox::bindings_support::host_agent_state(state, "argument state");
    // No look-up of the agent here: it would wait for the engine's lock, which an engine thread
    // holds while it calls originate() (that may wait for the host's lock this caller holds).
    omnivox::Engine* e = h.engine.get();
    if (!deferred(h, "omnivox_engine_set_agent_state",
                  [e, agent, to] { e->set_agent_state(agent, to); })) {
      e->set_agent_state(agent, to);
    }
  });
}

int omnivox_engine_agent_state(omnivox_engine* engine, omnivox_agent_id agent, int* out_state,
                               char** errptr) {
  return guarded("omnivox_engine_agent_state", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(out_state, "out_state");
    *out_state = static_cast<int>(h.engine->agent_state(agent));
  });
}

int omnivox_engine_set_disposition(omnivox_engine* engine, omnivox_call_id call, int disposition,
                                   int64_t callback_at_ms, char** errptr) {
  return guarded("omnivox_engine_set_disposition", errptr, [&] {
    ENGINE_HANDLE(engine);
    // Checked here, not left to the engine: on the engine's threads the call is applied later.
    // Named members, not a structured binding: Clang 14 (the sanitizer builds) cannot capture one.
    const auto checked =
        omnivox::bindings_support::agent_disposition(disposition, callback_at_ms, "argument ");
    const omnivox::Disposition d = checked.first;
    const std::optional<omnivox::TimePoint> at = checked.second;
    omnivox::Engine* e = h.engine.get();
    if (!deferred(h, "omnivox_engine_set_disposition",
                  [e, call, d, at] { e->set_disposition(call, d, at); })) {
      e->set_disposition(call, d, at);
    }
  });
}

int omnivox_engine_preview_next(omnivox_engine* engine, omnivox_agent_id agent,
                                omnivox_preview_entry* out, int* found, char** errptr) {
  return guarded("omnivox_engine_preview_next", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(out, "out");
    require(found, "found");
    std::optional<omnivox::DialQueueEntry> e = h.engine->preview_next(agent);
    if (!e) {
      *found = 0;
      return;
    }
    omnivox_preview_entry r{};
    if (e->number.size() >= sizeof(r.number)) {
      // The entry is reserved for the agent by now: release it, or the contact stays leased
      // with no way for the host to dial or skip it.
      h.engine->skip_preview(agent);
      throw CError{OMNIVOX_EINTERNAL, "previewed number '" + e->number + "' is too long"};
    }
    r.contact_id = e->contact_id;
    r.number_index = e->number_index;
    std::memcpy(r.number, e->number.c_str(), e->number.size() + 1);
    r.callback = e->callback ? 1 : 0;
    r.callback_agent = e->callback_agent;
    *out = r;
    *found = 1;
  });
}

int omnivox_engine_dial_preview(omnivox_engine* engine, omnivox_agent_id agent,
                                omnivox_call_id* out, char** errptr) {
  return guarded("omnivox_engine_dial_preview", errptr, [&] {
    ENGINE_HANDLE(engine);
    omnivox::CallId id = h.engine->dial_preview(agent);
    if (out != nullptr) *out = id;
  });
}

int omnivox_engine_skip_preview(omnivox_engine* engine, omnivox_agent_id agent, char** errptr) {
  return guarded("omnivox_engine_skip_preview", errptr, [&] {
    ENGINE_HANDLE(engine);
    h.engine->skip_preview(agent);
  });
}

int omnivox_engine_call_now(omnivox_engine* engine, omnivox_contact_id contact,
                            omnivox_agent_id agent, omnivox_call_id* out, char** errptr) {
  return guarded("omnivox_engine_call_now", errptr, [&] {
    ENGINE_HANDLE(engine);
    omnivox::CallId id = h.engine->call_now(contact, agent);
    if (out != nullptr) *out = id;
  });
}

int omnivox_engine_report_call_event(omnivox_engine* engine, const omnivox_call_event* event,
                                     char** errptr) {
  return guarded("omnivox_engine_report_call_event", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(event, "event");
    if (!h.telephony) {
      throw CError{OMNIVOX_ESTATE, "the engine's telephony is not OMNIVOX_TELEPHONY_CUSTOM"};
    }
    if (event->call_id == 0) throw CError{OMNIVOX_EINVALID, "event.call_id is 0"};
    if (h.host_clock != nullptr && !h.host_clock->driving_here()) {
      // Host-driven: never run the engine on the caller's stack; the next run_due applies it.
      h.telephony->defer(omnivox::capi::event_from_c(*event));
      return;
    }
    h.telephony->report(omnivox::capi::event_from_c(*event));
  });
}

int omnivox_engine_schedule(omnivox_engine* engine, int64_t at_ms, void (*fn)(void* user_data),
                            void* user_data, uint64_t* timer_id, char** errptr) {
  return guarded("omnivox_engine_schedule", errptr, [&] {
    ENGINE_HANDLE(engine);
    if (fn == nullptr) throw CError{OMNIVOX_EINVALID, "argument 'fn' is NULL"};
    if (at_ms < 0) throw CError{OMNIVOX_EINVALID, "argument 'at_ms' is negative"};
    std::weak_ptr<int> token = h.alive;
    omnivox_engine* raw = &h;
    omnivox::TimerId id = h.clock->schedule_at(time_of(at_ms), [token, raw, fn, user_data] {
      if (token.expired()) return;
      omnivox::capi::InsideScope in(raw, Inside::kTimer);
      fn(user_data);
    });
    if (timer_id != nullptr) *timer_id = id;
  });
}

int omnivox_engine_cancel_timer(omnivox_engine* engine, uint64_t timer_id, char** errptr) {
  return guarded("omnivox_engine_cancel_timer", errptr, [&] {
    ENGINE_HANDLE(engine);
    h.clock->cancel(timer_id);
  });
}

int omnivox_engine_start(omnivox_engine* engine, int threads, char** errptr) {
  return guarded("omnivox_engine_start", errptr, [&] {
    ENGINE_HANDLE(engine);
    not_inside_engine(h, "start the engine");
    if (threads < 1 || threads > 64) {
      throw CError{OMNIVOX_EINVALID,
                   "argument 'threads' (" + std::to_string(threads) + ") is not in 1..64"};
    }
    if (h.virtual_clock != nullptr) {
      throw CError{OMNIVOX_ESTATE,
                   "a virtual clock is driven with run_for()/run_until_done(), not threads"};
    }
    if (h.host_clock != nullptr) {
      throw CError{OMNIVOX_ESTATE, "a host clock is driven with run_due(), not threads"};
    }
    if (h.threads_running.load()) throw CError{OMNIVOX_ESTATE, "the engine is already started"};
    h.engine->start(threads);
    h.start_applier();
    h.threads_running = true;
  });
}

int omnivox_engine_stop(omnivox_engine* engine, char** errptr) {
  return guarded("omnivox_engine_stop", errptr, [&] {
    ENGINE_HANDLE(engine);
    not_inside_engine(h, "stop the engine");
    h.threads_running = false;
    h.stop_applier();  // what the host queued is applied first
    h.engine->stop();
  });
}

int omnivox_engine_poll(omnivox_engine* engine, size_t* ran, char** errptr) {
  return guarded("omnivox_engine_poll", errptr, [&] {
    ENGINE_HANDLE(engine);
    not_inside_engine(h, "poll the engine");
    not_threaded(h, "poll");
    size_t n = h.engine->poll();
    if (ran != nullptr) *ran = n;
  });
}

int omnivox_engine_run_for(omnivox_engine* engine, int64_t duration_ms, char** errptr) {
  return guarded("omnivox_engine_run_for", errptr, [&] {
    ENGINE_HANDLE(engine);
    not_inside_engine(h, "run the engine");
    not_threaded(h, "run_for");
    if (h.host_clock != nullptr) {
      throw CError{OMNIVOX_ESTATE, "a host clock follows the wall clock: use run_due()"};
    }
    h.engine->run_for(omnivox::Duration(duration_ms));
  });
}

int omnivox_engine_run_until_done(omnivox_engine* engine, int64_t limit_ms, int* finished,
                                  char** errptr) {
  return guarded("omnivox_engine_run_until_done", errptr, [&] {
    ENGINE_HANDLE(engine);
    if (limit_ms <= 0) throw CError{OMNIVOX_EINVALID, "argument 'limit_ms' must be > 0"};
    not_inside_engine(h, "run the engine");
    if (h.virtual_clock == nullptr) {
      throw CError{OMNIVOX_ESTATE, "run_until_done needs a virtual clock"};
    }
    bool done = h.engine->run_until_done(omnivox::Duration(limit_ms));
    if (finished != nullptr) *finished = done ? 1 : 0;
  });
}

namespace {

HostClock& host_clock_of(omnivox_engine& h) {
  if (h.host_clock == nullptr) throw CError{OMNIVOX_ESTATE, "the clock is not OMNIVOX_CLOCK_HOST"};
  return *h.host_clock;
}

}  // namespace

int omnivox_engine_next_deadline_ms(omnivox_engine* engine, int64_t* timeout_ms, char** errptr) {
  return guarded("omnivox_engine_next_deadline_ms", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(timeout_ms, "timeout_ms");
    omnivox::TimePoint due = host_clock_of(h).vc()->next_due();
    if (due == omnivox::TimePoint::max()) {
      *timeout_ms = -1;
      return;
    }
    auto left = std::chrono::ceil<std::chrono::milliseconds>(due - wall_now()).count();
    *timeout_ms = left < 0 ? 0 : static_cast<int64_t>(left);
  });
}

int omnivox_engine_run_due(omnivox_engine* engine, size_t* ran, char** errptr) {
  return guarded("omnivox_engine_run_due", errptr, [&] {
    ENGINE_HANDLE(engine);
    not_inside_engine(h, "run the engine");
    HostClock& hc = host_clock_of(h);
    hc.drain();
    struct Driving {
      HostClock& c;
      explicit Driving(HostClock& clock) : c(clock) { c.set_driver(true); }
      ~Driving() { c.set_driver(false); }
    } driving(hc);
    omnivox::TimePoint wall = wall_now();
    omnivox::TimePoint now = hc.vc()->now();
    size_t n = wall > now ? h.engine->run_for(wall - now) : h.engine->poll();
    if (ran != nullptr) *ran = n;
  });
}

int omnivox_engine_wakeup_fd(omnivox_engine* engine, int* fd, char** errptr) {
  if (fd != nullptr) *fd = -1;
  return guarded("omnivox_engine_wakeup_fd", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(fd, "fd");
    if (host_clock_of(h).fd() < 0) {
      throw CError{OMNIVOX_ESTATE, "no wake-up file descriptor on this platform (Linux eventfd)"};
    }
    *fd = h.host_clock->fd();
  });
}

int omnivox_engine_now(omnivox_engine* engine, int64_t* out_ms, char** errptr) {
  return guarded("omnivox_engine_now", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(out_ms, "out_ms");
    *out_ms = ms_of(h.clock->now());
  });
}

int omnivox_engine_idle(omnivox_engine* engine, int* out, char** errptr) {
  return guarded("omnivox_engine_idle", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(out, "out");
    *out = h.engine->idle() ? 1 : 0;
  });
}

int omnivox_engine_statistics(omnivox_engine* engine, const char* campaign_id,
                              omnivox_statistics* out, char** errptr) {
  return guarded("omnivox_engine_statistics", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string id = campaign_arg(campaign_id);
    require(out, "out");
    h.campaign_doc(id);  // ENOTFOUND for an unknown campaign
    omnivox::capi::to_c(h.engine->statistics(id), out);
  });
}

int omnivox_engine_statistics_extra(omnivox_engine* engine, const char* campaign_id,
                                    omnivox_statistics_extra* out, char** errptr) {
  return guarded("omnivox_engine_statistics_extra", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string id = campaign_arg(campaign_id);
    require(out, "out");
    check_version(out->version, OMNIVOX_STATISTICS_EXTRA_VERSION, "omnivox_statistics_extra");
    h.campaign_doc(id);  // ENOTFOUND for an unknown campaign
    omnivox_statistics_extra r{};
    r.version = out->version;
    r.amd_suspended = h.engine->statistics(id).amd_suspended;
    *out = r;
  });
}

int omnivox_engine_agent_statistics(omnivox_engine* engine, const char* campaign_id,
                                    omnivox_agent_statistics** out, char** errptr) {
  return guarded("omnivox_engine_agent_statistics", errptr, [&] {
    ENGINE_HANDLE(engine);
    std::string id = campaign_arg(campaign_id);
    require(out, "out");
    h.campaign_doc(id);  // ENOTFOUND for an unknown campaign
    *out = omnivox::capi::new_agent_statistics(h.engine->agent_statistics(id));
  });
}

int omnivox_engine_explain(omnivox_engine* engine, omnivox_contact_id contact,
                           omnivox_eligibility* out, char** detail, char** errptr) {
  return guarded("omnivox_engine_explain", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(out, "out");
    omnivox::EligibilityReport rep = h.engine->explain(contact);
    char* text = nullptr;
    if (detail != nullptr) {
      text = dup_string(rep.detail);
      if (text == nullptr) throw std::bad_alloc();
    }
    out->reason = static_cast<int>(rep.reason);
    out->eligible_at_ms = rep.eligible_at ? ms_of(*rep.eligible_at) : 0;
    if (detail != nullptr) *detail = text;
  });
}

int omnivox_engine_sip_connect_agent(omnivox_engine* engine, omnivox_agent_id agent,
                                     const char* uri, char** errptr) {
  return guarded("omnivox_engine_sip_connect_agent", errptr, [&] {
    ENGINE_HANDLE(engine);
    sip_of(h).connect_agent(agent, text_arg(uri, "uri"));
  });
}

int omnivox_engine_sip_disconnect_agent(omnivox_engine* engine, omnivox_agent_id agent,
                                        char** errptr) {
  return guarded("omnivox_engine_sip_disconnect_agent", errptr, [&] {
    ENGINE_HANDLE(engine);
    sip_of(h).disconnect_agent(agent);
  });
}

int omnivox_engine_owner_token(omnivox_engine* engine, char** out, char** errptr) {
  return guarded("omnivox_engine_owner_token", errptr, [&] {
    ENGINE_HANDLE(engine);
    require(out, "out");
    char* p = dup_string(h.engine->owner_token());
    if (p == nullptr) throw std::bad_alloc();
    *out = p;
  });
}

}  // extern "C"
