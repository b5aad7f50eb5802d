// Logging through a host-supplied sink. The engine logs nothing above DEBUG on the per-event path;
// repeated warnings are rate-limited (RateLimitedLog) so a day-long campaign's log stays readable.
#ifndef OMNIVOX_LOG_H_
#define OMNIVOX_LOG_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace omnivox {

enum class LogLevel : int { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };
const char* to_string(LogLevel level);

/// Receives log lines. write() may be called from any engine thread concurrently; implementations
/// must be thread-safe and must not call back into the engine.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(LogLevel level, std::string_view message) = 0;
};

/// Writes "LEVEL message" lines to stderr. Thread-safe.
std::shared_ptr<LogSink> make_stderr_log_sink();

/// A leveled logger over a sink, with per-key rate limiting of repeated messages.
/// Thread-safe.
class Logger {
 public:
  /// `min_level`: lines below it are dropped. `sink` null = the stderr sink.
  explicit Logger(std::shared_ptr<LogSink> sink = nullptr, LogLevel min_level = LogLevel::kInfo);
  bool enabled(LogLevel level) const { return level >= min_level_; }
  void set_level(LogLevel level) { min_level_ = level; }
  void log(LogLevel level, std::string_view message);
  /// Logs at most once per `interval` (wall time) per `key`; the next line that gets through
  /// says how many were suppressed.
  void log_limited(LogLevel level, std::string_view key, std::string_view message,
                   std::chrono::seconds interval = std::chrono::seconds(10));

 private:
  struct Limit {
    std::chrono::steady_clock::time_point last{};
    std::size_t suppressed = 0;
  };
  std::shared_ptr<LogSink> sink_;
  LogLevel min_level_;
  std::mutex mutex_;
  std::unordered_map<std::string, Limit> limits_;
};

}  // namespace omnivox

#endif  // OMNIVOX_LOG_H_
