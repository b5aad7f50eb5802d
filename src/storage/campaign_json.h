// The one JSON codec of a CampaignConfig: the campaign file's schema (docs/campaign-files.md:
// field names, units, dial modes and dispositions by name) is also the document the persistent
// backends store a campaign as. The campaign-file parser (src/core/config.cc) reads a file's
// campaign fields with read_campaign, through a FieldReader that also checks time zones and
// phone numbers; storage writes campaign_to_json and reads it back with read_campaign.
// Internal to libomnivox.
#ifndef OMNIVOX_STORAGE_CAMPAIGN_JSON_H_
#define OMNIVOX_STORAGE_CAMPAIGN_JSON_H_

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "omnivox/call_window.h"
#include "omnivox/model.h"

namespace omnivox::campaign_json {
namespace json = boost::json;

/// Reads typed JSON values and fails with Error(kConfig) "SOURCE: field 'FIELD': REASON". The
/// checks a campaign file needs beyond JSON (a known time zone, valid phone numbers) are
/// virtual: a stored campaign was checked when it was written, and its reader takes them as
/// they are. Not thread-safe to share while being derived from; const methods only read.
class FieldReader {
 public:
  /// `check_ranges`: false for a stored campaign (limits are the campaign file's; a campaign
  /// built through the C++ API may go beyond them).
  explicit FieldReader(std::string source, bool check_ranges = true)
      : source_(std::move(source)), check_ranges_(check_ranges) {}
  virtual ~FieldReader() = default;

  [[noreturn]] void fail(const std::string& field, const std::string& reason) const;
  const json::object& object(const json::value& v, const std::string& field) const;
  /// Fails naming the first key of `o` in neither `keys` nor `more`, and the keys allowed.
  void allow_only(const json::object& o, const std::string& field,
                  std::initializer_list<const char*> keys,
                  std::initializer_list<const char*> more = {}) const;
  double number(const json::value& v, const std::string& field) const;
  /// A number as an error message shows it.
  static std::string shown(double x);
  double number_in(const json::value& v, const std::string& field, double lo, double hi) const;
  int integer(const json::value& v, const std::string& field, int lo, int hi) const;
  std::string string(const json::value& v, const std::string& field) const;
  bool boolean(const json::value& v, const std::string& field) const;
  std::vector<std::string> strings(const json::value& v, const std::string& field) const;
  /// "HH:MM-HH:MM" or "closed".
  LocalTimeRange range(const json::value& v, const std::string& field) const;
  /// "HH:MM-HH:MM" for every day, or {"default": "...", "sunday": "closed", ...}.
  CallWindow call_window(const json::value& v, const std::string& field) const;

  /// An IANA time zone name. Here: any string.
  virtual std::string time_zone(const json::value& v, const std::string& field) const;
  /// A region code (ISO 3166-1 alpha-2) for numbers written without '+'. Here: any string.
  virtual std::string region_code(const json::value& v, const std::string& field) const;
  /// E.164 numbers, in canonical form. Here: the strings as they are.
  virtual std::vector<std::string> phone_numbers(const json::value& v, const std::string& field,
                                                 const std::string& region) const;

 private:
  std::string source_;
  bool check_ranges_;
};

/// The top-level keys of a campaign file that are the CampaignConfig's.
inline constexpr std::initializer_list<const char*> kCampaignKeys = {"id",
                                                                     "name",
                                                                     "dial_mode",
                                                                     "power_lines_per_agent",
                                                                     "call_window",
                                                                     "time_zone",
                                                                     "max_attempts",
                                                                     "max_attempts_per_number",
                                                                     "retry",
                                                                     "ring_timeout_s",
                                                                     "hold_window_s",
                                                                     "amd",
                                                                     "caller_ids",
                                                                     "safe_harbor_message",
                                                                     "voicemail_message",
                                                                     "default_region",
                                                                     "dial_queue_capacity",
                                                                     "dnc",
                                                                     "compliance"};

/// Reads the campaign's fields of `o` into `c` (fields left out keep their value in `c`), in the
/// order: identity and dialing, retry, calls, compliance. Throws Error(kConfig) naming the field.
/// Other keys of `o` are the caller's to check.
void read_campaign(const FieldReader& r, const json::object& o, CampaignConfig& c);

/// Every field of `c` in the campaign file's schema; read_campaign reads it back to `c` (a day
/// closed in a call window reads back as LocalTimeRange{}).
json::object campaign_to_json(const CampaignConfig& c);

}  // namespace omnivox::campaign_json

#endif  // OMNIVOX_STORAGE_CAMPAIGN_JSON_H_
