// What every Storage backend shares: contact views and the default scan_contact_views (see
// omnivox/storage.h).
#include "omnivox/storage.h"

#include <exception>
#include <map>

namespace omnivox {

PhoneNumberView view_of(const PhoneNumber& number) {
  return {.e164 = number.e164,
          .zone_set = number.zone_set,
          .attempts = number.attempts,
          .last_disposition = number.last_disposition,
          .invalid = number.invalid,
          .last_abandon_at = number.last_abandon_at,
          .last_machine_at = number.last_machine_at};
}

ContactView view_of(const Contact& contact, std::vector<PhoneNumberView>& numbers) {
  numbers.resize(contact.numbers.size());
  for (std::size_t i = 0; i < numbers.size(); ++i) numbers[i] = view_of(contact.numbers[i]);
  return {.id = contact.id,
          .status = contact.status,
          .priority = contact.priority,
          .attempts = contact.attempts,
          .next_number = contact.next_number,
          .last_disposition = contact.last_disposition,
          .last_attempt_at = contact.last_attempt_at,
          .next_attempt_at = contact.next_attempt_at,
          .callback_agent = contact.callback_agent,
          .time_zone = contact.time_zone,
          .numbers = numbers};
}

std::size_t Storage::add_contacts(std::span<Contact> contacts) {
  for (Contact& contact : contacts) {
    contact.id = add_contact(contact);
  }
  return contacts.size();
}

void Storage::update_contacts(std::span<const Contact> contacts) {
  for (const Contact& contact : contacts) update_contact(contact);
}

void Storage::release_leases(std::span<const ContactId> ids, std::string_view owner) {
  for (ContactId id : ids) release_lease(id, owner);
}

std::vector<CallId> Storage::allocate_call_ids(std::size_t n) {
  std::vector<CallId> ids;
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) ids.push_back(allocate_call_id());
  return ids;
}

void Storage::put_attempts(std::span<const Attempt> attempts) {
  for (const Attempt& attempt : attempts) put_attempt(attempt);
}

void Storage::append_journal_entries(std::span<const JournalEntry> entries) {
  for (const JournalEntry& entry : entries) append_journal(entry);
}

void Storage::write_batch(const StorageWriteBatch& batch) {
  put_attempts(batch.attempts);
  update_contacts(batch.contacts);
  append_journal_entries(batch.journal);
  release_leases(batch.released, batch.release_owner);
}

std::size_t Storage::scan_contact_views(const ContactScan& scan,
                                        const std::function<ScanStep(const ContactView&)>& visit) {
  std::vector<PhoneNumberView> numbers;  // reused for every contact
  // The deferrals asked for, by time: contacts of one zone share it, so few runs.
  std::map<TimePoint, std::vector<ContactId>> deferred;
  std::vector<ContactId>* run = nullptr;
  TimePoint run_until = TimePoint::min();
  std::size_t visited = 0;
  scan_contacts(scan, [&](const Contact& contact) {
    if (scan.skip && scan.skip(contact.id)) return true;
    ++visited;
    const ScanStep step = visit(view_of(contact, numbers));
    if (step.defer_until != TimePoint::min()) {
      if (run == nullptr || run_until != step.defer_until) {
        run_until = step.defer_until;
        run = &deferred[run_until];
      }
      run->push_back(contact.id);
    }
    return step.more;
  });
  for (const auto& [until, ids] : deferred) {
    try {
      defer_contacts(scan.campaign_id, ids, until);
    } catch (const std::exception&) {
      // A hint only: without it the next scan visits these contacts again.
    }
  }
  return visited;
}

}  // namespace omnivox
