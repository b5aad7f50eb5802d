// What every language adapter does when the engine calls the host's code (a telephony backend
// or an event listener written in C, Java or Python): an originate the backend does not take
// becomes a FAILED call, and a callback that throws is contained, logged and counted, so that
// no host failure reaches an engine thread. Used by the C API's telephony adapter, the Java
// facade and the Python module.
//
// Internal: not installed.
#ifndef OMNIVOX_SRC_BINDINGS_SUPPORT_HOST_CALLBACKS_H_
#define OMNIVOX_SRC_BINDINGS_SUPPORT_HOST_CALLBACKS_H_

#include <exception>
#include <mutex>
#include <string>
#include <string_view>

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
