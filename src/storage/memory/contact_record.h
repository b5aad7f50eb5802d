// The memory backend's compact contact record (about 140 bytes) and its conversions from and to
// the Contact of include/omnivox/storage.h. Internal to libomnivox.
#ifndef OMNIVOX_STORAGE_MEMORY_CONTACT_RECORD_H_
#define OMNIVOX_STORAGE_MEMORY_CONTACT_RECORD_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "omnivox/storage.h"
#include "storage/memory/compact_strings.h"

namespace omnivox::memory {

// Times are stored as milliseconds since the epoch.
inline std::int64_t to_ms(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_ms(std::int64_t ms) { return TimePoint(Duration(ms)); }

struct NumberRecord {
  SmallString e164;
  std::int64_t last_abandon_ms = 0;
  std::int64_t last_machine_ms = 0;
  ZoneSetId zone_set = kUnknownZoneSet;
  std::uint16_t attempts = 0;
  Disposition last_disposition = Disposition::kNone;
  bool invalid = false;
};

// What only some contacts have: a second and further numbers, attributes.
struct ContactExtra {
  std::vector<NumberRecord> more_numbers;
  std::vector<std::pair<std::string, std::string>> attributes;
};

struct ContactRecord {
  SmallString external_id;
  NumberRecord first_number;
  std::int64_t last_attempt_ms = 0;
  std::int64_t next_attempt_ms = 0;
  std::int64_t lease_expiry_ms = 0;
  CallId last_call = kNoCall;  // newest attempt of this contact (head of its attempt list)
  std::unique_ptr<ContactExtra> extra;
  std::uint32_t campaign = 0;     // interned campaign id
  std::uint32_t list_name = 0;    // interned
  std::uint32_t time_zone = 0;    // interned
  std::uint32_t lease_owner = 0;  // interned owner token + 1; 0 = no lease held
  std::uint32_t list_order = 0;
  std::int32_t priority = 0;
  AgentId callback_agent = kNoAgent;
  std::uint16_t attempts = 0;
  std::uint16_t not_connected = 0;
  std::uint16_t next_number = 0;
  std::uint16_t number_count = 0;
  ContactStatus status = ContactStatus::kNew;
  Disposition last_disposition = Disposition::kNone;
  bool deferred = false;  // taken out of the ready set by defer_contacts until a due time
};

inline void to_record(const PhoneNumber& n, NumberRecord& r) {
  r.e164.assign(n.e164);
  r.last_abandon_ms = to_ms(n.last_abandon_at);
  r.last_machine_ms = to_ms(n.last_machine_at);
  r.zone_set = n.zone_set;
  r.attempts = n.attempts;
  r.last_disposition = n.last_disposition;
  r.invalid = n.invalid;
}
// Copies `from` into `to` unless they are equal already: a contact read into a reused buffer
// mostly finds its campaign, list and zone names there.
inline void copy_if_changed(std::string& to, std::string_view from) {
  if (to.size() == from.size() &&
      (from.empty() || std::memcmp(to.data(), from.data(), from.size()) == 0)) {
    return;
  }
  to.assign(from);
}

inline void from_record(const NumberRecord& r, PhoneNumber& n) {
  n.e164.assign(r.e164.view());  // differs from contact to contact: no comparison first
  n.last_abandon_at = from_ms(r.last_abandon_ms);
  n.last_machine_at = from_ms(r.last_machine_ms);
  n.zone_set = r.zone_set;
  n.attempts = r.attempts;
  n.last_disposition = r.last_disposition;
  n.invalid = r.invalid;
}

}  // namespace omnivox::memory

#endif  // OMNIVOX_STORAGE_MEMORY_CONTACT_RECORD_H_
