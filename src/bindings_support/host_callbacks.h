// What every language adapter does when the engine calls the host's code (a telephony backend
// or an event listener written in C, Java or Python): an originate the backend does not take
// becomes a FAILED call, a callback that throws is contained, logged and counted, so that no
// host failure reaches an engine thread, and the backend's events reach the engine after its
// step, never inside it. Used by the C API's telephony adapter, the Java facade and the Python
// module.
//
// Internal: not installed.
#ifndef OMNIVOX_SRC_BINDINGS_SUPPORT_HOST_CALLBACKS_H_
#define OMNIVOX_SRC_BINDINGS_SUPPORT_HOST_CALLBACKS_H_

#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "omnivox/clock.h"
#include "omnivox/log.h"
#include "omnivox/model.h"
#include "omnivox/telephony.h"
#include "omnivox/types.h"

namespace omnivox::bindings_support {

/// The event that stands for an originate the host's backend did not take (it refused it or
/// threw): a FAILED call with `reason`. The engine expects an outcome for every originate
/// (telephony.h); the adapter hands this one over after the engine's current step, never inside
/// its originate call.
CallEvent failed_originate(CallId call, FailReason reason);

/// How a host's telephony backend hands its call events to the engine. An event the backend
/// reports while the engine is inside one of its calls (originate, hangup, a listener callback)
/// must wait until the engine's step returns (telephony.h): defer() schedules it on the engine's
/// clock at "now". Owned through a shared_ptr: a deferred event holds it weakly, so one that
/// fires after the handoff is gone is dropped.
///
/// Thread-safety: every function may be called from any thread. detach() waits for a delivery in
/// progress on another thread (the sink is used under a lock; recursive, because a delivery may
/// lead to another on the same thread) and no event reaches the sink after it returns.
class EventHandoff : public std::enable_shared_from_this<EventHandoff> {
 public:
  virtual ~EventHandoff() = default;
  /// Events go to `sink`; deferred ones through `clock` (not owned; both outlive attach..detach).
  void attach(CallEventSink* sink, Clock* clock);
  void detach();
  bool attached() const;
  /// Hands the event to the engine now. False (nothing done) when detached.
  bool deliver(const CallEvent& event);
  /// Hands the event to the engine after its current step, at the clock's "now". False when
  /// detached.
  bool defer(const CallEvent& event);

 private:
  mutable std::recursive_mutex mutex_;
  CallEventSink* sink_ = nullptr;
  Clock* clock_ = nullptr;
};

/// Where an engine's callback failures go: the last message, a count, and the engine's log
/// (rate-limited under `log_key`, e.g. "java-callback"). Thread-safe; record() never throws.
class CallbackFailures {
 public:
  explicit CallbackFailures(std::string log_key) : log_key_(std::move(log_key)) {}
  /// The engine's logger, once the engine exists (not owned; null: count only).
  void set_logger(Logger* logger);
  void record(std::string_view message) noexcept;
  std::string last() const;
  long long count() const;
  void clear_last();

 private:
  mutable std::mutex mutex_;
  std::string log_key_;
  std::string last_;
  long long count_ = 0;
  Logger* logger_ = nullptr;
};

/// Runs a host callback; an exception it throws is recorded in `failures` as "what: message"
/// and contained. Returns false if it threw.
template <typename F>
bool contain_callback(CallbackFailures& failures, std::string_view what, F&& call) noexcept {
  try {
    call();
    return true;
  } catch (const std::exception& e) {
    failures.record(std::string(what) + ": " + e.what());
  } catch (...) {
    failures.record(std::string(what) + ": unknown exception");
  }
  return false;
}

}  // namespace omnivox::bindings_support

#endif  // OMNIVOX_SRC_BINDINGS_SUPPORT_HOST_CALLBACKS_H_
