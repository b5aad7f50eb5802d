// Host callbacks seen from the engine: see host_callbacks.h.
#include "bindings_support/host_callbacks.h"

namespace omnivox::bindings_support {

CallEvent failed_originate(CallId call, FailReason reason) {
  CallEvent failed;
  failed.call_id = call;
  failed.kind = CallEventKind::kFailed;
  failed.fail_reason = reason;
  return failed;
}

void CallbackFailures::set_logger(Logger* logger) {
  std::lock_guard<std::mutex> lock(mutex_);
  logger_ = logger;
}

void CallbackFailures::record(std::string_view message) noexcept {
  try {
    Logger* logger;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last_ = std::string(message);
      ++count_;
      logger = logger_;
    }
    if (logger != nullptr) logger->log_limited(LogLevel::kError, log_key_, message);
  } catch (...) {
  }
}

std::string CallbackFailures::last() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_;
}

long long CallbackFailures::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return count_;
}

void CallbackFailures::clear_last() {
  std::lock_guard<std::mutex> lock(mutex_);
  last_.clear();
}

}  // namespace omnivox::bindings_support
