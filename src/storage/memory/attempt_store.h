// The memory backend's stored attempt. MemoryStorage keeps them in chunks by call id
// (attempt_store.cc). Internal to libomnivox.
#ifndef OMNIVOX_STORAGE_MEMORY_ATTEMPT_STORE_H_
#define OMNIVOX_STORAGE_MEMORY_ATTEMPT_STORE_H_

#include <cstdint>

#include "omnivox/storage.h"
#include "storage/memory/compact_strings.h"

namespace omnivox::memory {

// One stored attempt, linked to its contact's other attempts. Compact (120 bytes, an Attempt is
// over 200): the campaign and caller ID are interned, the number and provider id are inline up to
// 15 characters. A simulation stores an attempt per call and updates it twice; the copies of four
// std::strings and the pages of the larger records were a tenth of its time.
struct AttemptSlot {
  CallId call_id = kNoCall;  // kNoCall: empty slot
  ContactId contact_id = kNoContact;
  // The previous attempt of the same contact. A singly linked list from the newest: adding an
  // attempt does not touch the previous one's record (long out of the cache by then).
  CallId older = kNoCall;
  TimePoint created_at{};
  TimePoint answered_at{};
  TimePoint bridged_at{};
  TimePoint ended_at{};
  SmallString number;
  SmallString provider_call_id;
  std::uint32_t campaign = 0;   // in MemoryStorage::attempt_strings_
  std::uint32_t caller_id = 0;  // in MemoryStorage::attempt_strings_ (0: none)
  AgentId agent = kNoAgent;
  std::int32_t provider_code = 0;
  std::uint16_t number_index = 0;
  std::uint16_t attempt_number = 0;
  CallState state = CallState::kQueued;
  FailReason fail_reason = FailReason::kNone;
  AmdResult amd = AmdResult::kNone;
  Disposition disposition = Disposition::kNone;
};

}  // namespace omnivox::memory

#endif  // OMNIVOX_STORAGE_MEMORY_ATTEMPT_STORE_H_
