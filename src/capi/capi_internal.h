// Shared plumbing of the C API (include/omnivox/omnivox.h): status mapping, argument checks, the
// registry of live handles, re-entry tracking and the listener that forwards engine events to C
// callbacks. Internal: not installed.
#ifndef OMNIVOX_SRC_CAPI_CAPI_INTERNAL_H_
#define OMNIVOX_SRC_CAPI_CAPI_INTERNAL_H_

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "bindings_support/plain_forms.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/omnivox.h"
#include "omnivox/sim.h"
#include "omnivox/types.h"

namespace omnivox::capi {

// A failure detected by the C layer itself (argument checks, misuse).
struct CError {
  int status;
  std::string message;
};

char* dup_string(std::string_view s);
// At most max_bytes of s, cut before a UTF-8 character that would not fit whole.
std::string_view clip_utf8(std::string_view s, std::size_t max_bytes);
// Stores a message (clipped to OMNIVOX_MAX_ERROR) in *errptr, freeing an earlier one, and
// returns the status.
int fail(char** errptr, int status, std::string_view message) noexcept;
int status_of(ErrorCode code);
// Maps the exception in flight (inside a catch block) to a status and message.
int status_of_current_exception(const char* function, char** errptr) noexcept;

// Runs `body` (it throws on failure) and maps every exception to a status.
template <typename F>
int guarded(const char* function, char** errptr, F&& body) noexcept {
  try {
    body();
    return OMNIVOX_OK;
  } catch (...) {
    return status_of_current_exception(function, errptr);
  }
}

// Throws EINVALID naming the struct unless a host-filled struct's version is one this library
// knows: `newest`, or from `oldest` (0 = newest only) on, for a struct that gained fields and
// keeps taking the versions before (docs/c-api.md, ABI policy).
void check_version(unsigned int version, unsigned int newest, const char* struct_name,
                   unsigned int oldest = 0);

bool valid_utf8(const char* s);
void require(const void* p, const char* name);
// A required UTF-8 string argument of at most OMNIVOX_MAX_STRING bytes, copied.
std::string text_arg(const char* s, const char* name);
// A required UTF-8 JSON document of at most OMNIVOX_MAX_JSON bytes, copied.
std::string json_arg(const char* s, const char* name);
// Throws EINVALID unless n is "+" and 1..OMNIVOX_MAX_E164_DIGITS digits.
void check_e164(std::string_view n, const char* name);
// A required E.164 number argument (check_e164; the engine checks the rest), copied.
std::string e164_arg(const char* s, const char* name);
// A contact from the C arguments of *_add_contact: optional external id, 1+ E.164 numbers.
Contact contact_arg(const char* external_id, const char* const* numbers, size_t number_count);

using bindings_support::ms_of;
using bindings_support::time_of;

// ---- live handles ----
// Every handle the C API gives out is registered here until its destroy function runs; calls
// check membership before touching the object, so a destroyed handle is an error, not a crash.
// Each handle counts the C API calls in progress on it (`users`); destroy unregisters first,
// then waits for that count to drop to zero.
enum class HandleKind { kSimulation, kEngine, kAgentStatistics };

struct HandleBase {
  std::atomic<int> users{0};
};

void register_handle(const void* handle, HandleKind kind);
// Removes the handle; false if it was not registered with that kind.
bool unregister_handle(const void* handle, HandleKind kind);
// Increments users of a live handle; false if not registered with that kind.
bool acquire_handle(const HandleBase* handle, HandleKind kind);
// Waits until no call is in progress on a handle (after unregister_handle).
void wait_unused(const HandleBase* handle);

// Holds a handle's `users` count for the duration of one C API call.
class HandleUse {
 public:
  HandleUse() = default;
  HandleUse(const HandleUse&) = delete;
  HandleUse& operator=(const HandleUse&) = delete;
  ~HandleUse() {
    if (handle_ != nullptr) handle_->users.fetch_sub(1, std::memory_order_acq_rel);
  }
  void set(HandleBase* h) { handle_ = h; }

 private:
  HandleBase* handle_ = nullptr;
};

// Checks a handle argument and holds it; throws CError(EINVALID) for NULL or a dead handle.
template <typename H>
H& use_handle(H* p, HandleKind kind, const char* name, const char* type, HandleUse& use) {
  if (p == nullptr) throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is NULL"};
  if (!acquire_handle(p, kind)) {
    throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is not a live " + type +
                                       " (destroyed, or never created)"};
  }
  use.set(p);
  return *p;
}

// ---- re-entry ----
// What the current thread is doing inside an engine of the C API: running a host callback,
// a C telephony function, a C storage function, or a host timer.
enum class Inside { kNothing, kCallback, kTelephony, kStorage, kTimer };
struct InsideState {
  const void* handle = nullptr;
  Inside what = Inside::kNothing;
};
InsideState& inside_state();

// Marks the current thread as inside `what` of `handle` for its lifetime.
class InsideScope {
 public:
  InsideScope(const void* handle, Inside what) : saved_(inside_state()) {
    inside_state() = {handle, what};
  }
  ~InsideScope() { inside_state() = saved_; }
  InsideScope(const InsideScope&) = delete;
  InsideScope& operator=(const InsideScope&) = delete;

 private:
  InsideState saved_;
};

// What the current thread is inside of for `handle` (kNothing for another handle).
inline Inside inside_of(const void* handle) {
  const InsideState& s = inside_state();
  return s.handle == handle ? s.what : Inside::kNothing;
}

// ---- events to C callbacks ----
class CListener final : public EventListener {
 public:
  explicit CListener(const void* owner) : owner_(owner) {}
  void set(const omnivox_callbacks* callbacks);
  void on_call_state(const CallStateChange& c) override;
  void on_agent_state(const AgentStateChange& c) override;
  void on_pacing_decision(const PacingDecision& d) override;
  void on_attempt_finished(const Attempt& a) override;

 private:
  omnivox_callbacks get() const;
  const void* owner_;
  mutable std::mutex mutex_;
  omnivox_callbacks callbacks_{};
};

// ---- conversions ----
void to_c(const CampaignStatistics& st, omnivox_statistics* out);
/// A new registered snapshot handle holding `stats` (agent_statistics_c.cc).
omnivox_agent_statistics* new_agent_statistics(AgentStatistics stats);
/// Hands an import's outcome to the C caller: counts into *report and a new summary string
/// into *summary (either may be NULL). Throws std::bad_alloc before writing anything.
void to_c(const ImportReport& r, omnivox_import_report* report, char** summary);

// The C++ engine of a live engine handle, held by `use` (for the C API's other files); throws
// as every engine function does for NULL, a dead handle or a call from a storage function.
Engine& engine_of(omnivox_engine* engine, HandleUse& use);

// The engine handle of a simulation handle (engine_c.cc): a virtual clock at `start`, memory
// storage and the simulated `world`, as omnivox::Simulation builds them, with the campaign of
// `campaign_json` added (its id into *campaign_id). Registered as a live engine handle that
// omnivox_engine_destroy() refuses: `simulation` owns it and releases it with
// destroy_simulation_engine(). Throws as omnivox_engine_add_campaign() does.
omnivox_engine* new_simulation_engine(const void* simulation, SimulationOptions world,
                                      TimePoint start, const std::string& campaign_json,
                                      const std::string& base_dir, std::string* campaign_id);
void destroy_simulation_engine(omnivox_engine* engine);

}  // namespace omnivox::capi

#endif  // OMNIVOX_SRC_CAPI_CAPI_INTERNAL_H_
