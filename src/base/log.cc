#include "omnivox/log.h"

#include <cstdio>
#include <string>

namespace omnivox {
namespace {

class StderrLogSink final : public LogSink {
 public:
  void write(LogLevel level, std::string_view message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::fprintf(stderr, "omnivox %s %.*s\n", to_string(level), static_cast<int>(message.size()),
                 message.data());
  }

 private:
  std::mutex mutex_;
};

}  // namespace

const char* to_string(LogLevel level) {
  static const char* const kNames[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};
  return kNames[static_cast<int>(level)];
}

std::shared_ptr<LogSink> make_stderr_log_sink() { return std::make_shared<StderrLogSink>(); }

Logger::Logger(std::shared_ptr<LogSink> sink, LogLevel min_level)
    : sink_(sink ? std::move(sink) : make_stderr_log_sink()), min_level_(min_level) {}

void Logger::log(LogLevel level, std::string_view message) {
  if (!enabled(level)) return;
  sink_->write(level, message);
}

void Logger::log_limited(LogLevel level, std::string_view key, std::string_view message,
                         std::chrono::seconds interval) {
  if (!enabled(level)) return;
  std::size_t suppressed = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Limit& limit = limits_[std::string(key)];
    auto now = std::chrono::steady_clock::now();
    if (limit.last != std::chrono::steady_clock::time_point{} && now - limit.last < interval) {
      ++limit.suppressed;
      return;
    }
    limit.last = now;
    suppressed = limit.suppressed;
    limit.suppressed = 0;
  }
  if (suppressed == 0) {
    sink_->write(level, message);
  } else {
    sink_->write(level, std::string(message) + " (" + std::to_string(suppressed) +
                            " similar messages suppressed)");
  }
}

}  // namespace omnivox
