// Basic vocabulary types shared by every Omnivox header.
//
// Times are UTC instants with millisecond resolution; durations are milliseconds.
// Identifiers are plain integers so they cross the C API and the bindings unchanged.
#ifndef OMNIVOX_TYPES_H_
#define OMNIVOX_TYPES_H_

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace omnivox {

/// A span of time, in milliseconds.
using Duration = std::chrono::milliseconds;
/// An instant, UTC, millisecond resolution (std::chrono::system_clock's epoch: 1970-01-01 UTC).
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// Identifies a contact within one Storage (assigned by Storage::add_contact, never reused).
using ContactId = std::uint64_t;
/// Identifies one attempt (call) within one Storage (Storage::allocate_call_id, never reused).
using CallId = std::uint64_t;
/// Identifies an agent within one engine (0..agents-1 for the simulator's agents).
using AgentId = std::uint32_t;

inline constexpr ContactId kNoContact = 0;
inline constexpr CallId kNoCall = 0;
inline constexpr AgentId kNoAgent = 0xFFFFFFFFu;

/// Converts seconds (possibly fractional) to a Duration, rounding to the nearest millisecond.
inline Duration seconds_to_duration(double seconds) {
  return Duration(static_cast<std::int64_t>(seconds * 1000.0 + (seconds >= 0 ? 0.5 : -0.5)));
}
/// Converts a Duration to fractional seconds.
inline double to_seconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

/// Formats a TimePoint as ISO 8601 UTC with milliseconds, e.g. "2026-05-04T08:00:00.000Z".
std::string format_utc(TimePoint t);
/// Parses ISO 8601 "YYYY-MM-DDTHH:MM[:SS[.mmm]](Z|+hh:mm|-hh:mm)". Throws omnivox::Error on a bad
/// string.
TimePoint parse_utc(const std::string& text);

/// Categories of errors thrown by the C++ API (and mapped to status codes by the C API).
enum class ErrorCode {
  kInvalidArgument,  ///< a value the caller passed is out of range or malformed
  kConfig,           ///< a campaign or engine configuration is invalid
  kNotFound,         ///< a named object (contact, call, agent, campaign) does not exist
  kIo,               ///< a file could not be read or written
  kStorage,          ///< the storage backend failed
  kState,            ///< the call is not valid in the object's current state
};

/// The one exception type the C++ API throws. what() names the place (file:line, field, call id)
/// and the reason.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace omnivox

#endif  // OMNIVOX_TYPES_H_
