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

void EventHandoff::attach(CallEventSink* sink, Clock* clock) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sink_ = sink;
  clock_ = clock;
}

void EventHandoff::detach() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sink_ = nullptr;
  clock_ = nullptr;
}

bool EventHandoff::attached() const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return sink_ != nullptr;
}

bool EventHandoff::deliver(const CallEvent& event) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (sink_ == nullptr) return false;
  sink_->on_call_event(event);
  return true;
}

bool EventHandoff::defer(const CallEvent& event) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (sink_ == nullptr || clock_ == nullptr) return false;
  std::weak_ptr<EventHandoff> weak = weak_from_this();
  clock_->schedule_at(clock_->now(), [weak, event] {
    if (auto self = weak.lock()) self->deliver(event);
  });
  return true;
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
