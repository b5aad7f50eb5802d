// Adapters from the C backend structs (omnivox_telephony, omnivox_storage) to the C++
// Telephony and Storage interfaces. Internal to the C API.
#ifndef OMNIVOX_SRC_CAPI_C_BACKENDS_H_
#define OMNIVOX_SRC_CAPI_C_BACKENDS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "omnivox/clock.h"
#include "omnivox/omnivox.h"
#include "omnivox/storage.h"
#include "omnivox/telephony.h"

namespace omnivox::capi {

// Converts and checks a host's event (throws CError(EINVALID) naming the bad field).
CallEvent event_from_c(const omnivox_call_event& e);
// Checks a C telephony struct (version, required functions); throws CError(EINVALID).
void validate(const omnivox_telephony& t);
// Checks a C storage struct; throws CError(EINVALID).
void validate(const omnivox_storage& s);

// Telephony written in C. Events the host reports while this thread is inside a step of the
// engine (a telephony function, a callback) are queued on the clock at "now" and applied after
// the step; others go to the engine's sink at once.
class CTelephony final : public Telephony {
 public:
  // Copies the fields of the version `t` was written for (validate(t) first).
  CTelephony(const omnivox_telephony& t, omnivox_engine* handle, Clock* clock);
  ~CTelephony() override;

  void start(CallEventSink* sink) override;
  void originate(const OriginateRequest& request) override;
  void hangup(CallId call) override;
  void bridge(CallId call, AgentId agent) override;
  void play(CallId call, const std::string& message) override;
  void stop_amd(CallId call) override;
  void stop() override;
  std::optional<CallEvent> lookup_call(const Attempt& attempt) override;

  // Reports an event from the host (any thread).
  void report(const CallEvent& event);
  // Applies the event after the engine's current step: a timer at the clock's "now".
  void defer(const CallEvent& event);

 private:
  // Hands the event to the engine (unless stopped).
  void deliver(const CallEvent& event);

  omnivox_telephony t_{};
  omnivox_engine* handle_;
  Clock* clock_;
  std::recursive_mutex mutex_;  // guards sink_ against stop()
  CallEventSink* sink_ = nullptr;
  std::atomic<bool> stopped_{false};
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// Storage written in C. Campaign configurations cross as the JSON documents `campaign_json`
// returns (the engine handle keeps them).
class CStorage final : public Storage {
 public:
  CStorage(const omnivox_storage& s, const void* handle,
           std::function<std::string(const std::string&)> campaign_json)
      : s_(s), handle_(handle), campaign_json_(std::move(campaign_json)) {}

  void put_campaign(const CampaignConfig& campaign) override;
  std::optional<CampaignConfig> get_campaign(std::string_view campaign_id) override;
  void put_list(const ContactList& list) override;
  std::vector<ContactList> lists(std::string_view campaign_id) override;
  ContactId add_contact(Contact contact) override;
  std::optional<Contact> get_contact(ContactId id) override;
  void update_contact(const Contact& contact) override;
  std::size_t scan_contacts(const ContactScan& scan,
                            const std::function<bool(const Contact&)>& visit) override;
  std::size_t contact_count(std::string_view campaign_id) override;
  std::vector<std::size_t> count_by_status(std::string_view campaign_id) override;
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override;
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override;
  void release_lease(ContactId id, std::string_view owner) override;
  std::optional<Lease> get_lease(ContactId id) override;
  CallId allocate_call_id() override;
  void put_attempt(const Attempt& attempt) override;
  std::vector<Attempt> attempts_of(ContactId id) override;
  void scan_attempts(std::string_view campaign_id,
                     const std::function<bool(const Attempt&)>& visit) override;
  void add_dnc(std::string_view list, std::string_view e164) override;
  bool is_dnc(std::string_view campaign_id, std::string_view e164) override;
  void append_journal(const JournalEntry& entry) override;
  void scan_journal(std::string_view campaign_id,
                    const std::function<bool(const JournalEntry&)>& visit) override;
  bool mark_event_processed(std::string_view key) override;

 private:
  omnivox_storage s_;
  const void* handle_;
  std::function<std::string(const std::string&)> campaign_json_;
};

}  // namespace omnivox::capi

#endif  // OMNIVOX_SRC_CAPI_C_BACKENDS_H_
