// Telephony and Storage written in C: adapters from omnivox_telephony / omnivox_storage to
// the C++ interfaces. No exception crosses a C backend's frames: visitors passed to the backend
// catch everything and the adapter re-raises after the backend function returned.
#include "capi/c_backends.h"

#include <cstddef>
#include <cstring>
#include <exception>
#include <limits>
#include <vector>

#include "bindings_support/host_callbacks.h"
#include "bindings_support/plain_forms.h"
#include "capi/capi_internal.h"
#include "omnivox/config.h"

namespace omnivox::capi {

namespace {

std::string storage_text(const char* s, const char* what) {
  if (s == nullptr) return std::string();
  if (!valid_utf8(s)) {
    throw Error(ErrorCode::kStorage, std::string("C storage: ") + what + " is not valid UTF-8");
  }
  return std::string(s);
}

template <typename Enum>
Enum storage_enum(int value, int count, const char* what) {
  return bindings_support::checked_enum<Enum>(value, count, std::string("C storage: ") + what,
                                              ErrorCode::kStorage);
}

std::uint16_t storage_u16(std::uint32_t value, const char* what) {
  if (value > 0xFFFFu) {
    throw Error(ErrorCode::kStorage, std::string("C storage: ") + what + " (" +
                                         std::to_string(value) + ") is over 65535");
  }
  return static_cast<std::uint16_t>(value);
}

// ---- Contact <-> omnivox_contact ----

struct ContactView {
  std::vector<omnivox_phone_number> numbers;
  std::vector<omnivox_attribute> attributes;
  omnivox_contact c{};
  explicit ContactView(const Contact& k) {
    numbers.reserve(k.numbers.size());
    for (const PhoneNumber& n : k.numbers) {
      omnivox_phone_number p{};
      p.e164 = n.e164.c_str();
      p.zone_set = n.zone_set;
      p.attempts = n.attempts;
      p.last_disposition = static_cast<int>(n.last_disposition);
      p.invalid = n.invalid ? 1 : 0;
      p.last_abandon_at_ms = ms_of(n.last_abandon_at);
      p.last_machine_at_ms = ms_of(n.last_machine_at);
      numbers.push_back(p);
    }
    attributes.reserve(k.attributes.size());
    for (const auto& [name, value] : k.attributes) {
      attributes.push_back({name.c_str(), value.c_str()});
    }
    c.id = k.id;
    c.campaign_id = k.campaign_id.c_str();
    c.list_name = k.list_name.c_str();
    c.external_id = k.external_id.c_str();
    c.priority = k.priority;
    c.list_order = k.list_order;
    c.numbers = numbers.empty() ? nullptr : numbers.data();
    c.number_count = numbers.size();
    c.attributes = attributes.empty() ? nullptr : attributes.data();
    c.attribute_count = attributes.size();
    c.time_zone = k.time_zone.c_str();
    c.status = static_cast<int>(k.status);
    c.attempts = k.attempts;
    c.not_connected = k.not_connected;
    c.next_number = k.next_number;
    c.last_disposition = static_cast<int>(k.last_disposition);
    c.last_attempt_at_ms = ms_of(k.last_attempt_at);
    c.next_attempt_at_ms = ms_of(k.next_attempt_at);
    c.callback_agent = k.callback_agent;
  }
};

Contact contact_from_c(const omnivox_contact& c) {
  Contact k;
  k.id = c.id;
  k.campaign_id = storage_text(c.campaign_id, "contact.campaign_id");
  k.list_name = storage_text(c.list_name, "contact.list_name");
  k.external_id = storage_text(c.external_id, "contact.external_id");
  k.priority = c.priority;
  k.list_order = c.list_order;
  if (c.number_count > 0 && c.numbers == nullptr) {
    throw Error(ErrorCode::kStorage, "C storage: contact.numbers is NULL with number_count > 0");
  }
  k.numbers.reserve(c.number_count);
  for (std::size_t i = 0; i < c.number_count; ++i) {
    const omnivox_phone_number& p = c.numbers[i];
    PhoneNumber n;
    n.e164 = storage_text(p.e164, "contact.numbers[].e164");
    // The engine's preview and originate paths rely on the E.164 bound.
    if (n.e164.size() > 1 + OMNIVOX_MAX_E164_DIGITS) {
      throw Error(ErrorCode::kStorage, "C storage: contact.numbers[].e164 has more than " +
                                           std::to_string(OMNIVOX_MAX_E164_DIGITS) + " digits");
    }
    n.zone_set = p.zone_set;
    n.attempts = storage_u16(p.attempts, "contact.numbers[].attempts");
    n.last_disposition = storage_enum<Disposition>(p.last_disposition, kDispositionCount,
                                                   "contact.numbers[].last_disposition");
    n.invalid = p.invalid != 0;
    n.last_abandon_at = time_of(p.last_abandon_at_ms);
    n.last_machine_at = time_of(p.last_machine_at_ms);
    k.numbers.push_back(std::move(n));
  }
  if (c.attribute_count > 0 && c.attributes == nullptr) {
    throw Error(ErrorCode::kStorage,
                "C storage: contact.attributes is NULL with attribute_count > 0");
  }
  for (std::size_t i = 0; i < c.attribute_count; ++i) {
    k.attributes.emplace_back(storage_text(c.attributes[i].name, "contact.attributes[].name"),
                              storage_text(c.attributes[i].value, "contact.attributes[].value"));
  }
  k.time_zone = storage_text(c.time_zone, "contact.time_zone");
  k.status = storage_enum<ContactStatus>(c.status, OMNIVOX_CONTACT_STATUS_COUNT, "contact.status");
  k.attempts = storage_u16(c.attempts, "contact.attempts");
  k.not_connected = storage_u16(c.not_connected, "contact.not_connected");
  k.next_number = storage_u16(c.next_number, "contact.next_number");
  k.last_disposition =
      storage_enum<Disposition>(c.last_disposition, kDispositionCount, "contact.last_disposition");
  k.last_attempt_at = time_of(c.last_attempt_at_ms);
  k.next_attempt_at = time_of(c.next_attempt_at_ms);
  k.callback_agent = c.callback_agent;
  return k;
}

// ---- Attempt <-> omnivox_attempt ----

omnivox_attempt attempt_to_c(const Attempt& a) {
  omnivox_attempt c{};
  bindings_support::fill_attempt(a, c);
  return c;
}

Attempt attempt_from_c(const omnivox_attempt& c) {
  Attempt a;
  a.call_id = c.call_id;
  a.contact_id = c.contact_id;
  a.campaign_id = storage_text(c.campaign_id, "attempt.campaign_id");
  a.number = storage_text(c.number, "attempt.number");
  a.number_index = storage_u16(c.number_index, "attempt.number_index");
  a.attempt_number = storage_u16(c.attempt_number, "attempt.attempt_number");
  a.caller_id = storage_text(c.caller_id, "attempt.caller_id");
  a.provider_call_id = storage_text(c.provider_call_id, "attempt.provider_call_id");
  a.state = storage_enum<CallState>(c.state, kCallStateCount, "attempt.state");
  a.fail_reason =
      storage_enum<FailReason>(c.fail_reason, OMNIVOX_FAIL_REASON_COUNT, "attempt.fail_reason");
  a.amd = storage_enum<AmdResult>(c.amd, OMNIVOX_AMD_RESULT_COUNT, "attempt.amd");
  a.disposition =
      storage_enum<Disposition>(c.disposition, kDispositionCount, "attempt.disposition");
  a.agent = c.agent;
  a.created_at = time_of(c.created_at_ms);
  a.answered_at = time_of(c.answered_at_ms);
  a.bridged_at = time_of(c.bridged_at_ms);
  a.ended_at = time_of(c.ended_at_ms);
  a.provider_code = c.provider_code;
  return a;
}

// ---- calling into the C storage ----

void check(int rc, const char* function) {
  if (rc == OMNIVOX_OK) return;
  throw Error(rc == OMNIVOX_ENOTFOUND ? ErrorCode::kNotFound : ErrorCode::kStorage,
              std::string("C storage: ") + function + " returned " + omnivox_status_name(rc));
}

// What a visitor or receiver passed to the C storage collects; the first exception thrown
// inside it stops the visit and is re-raised once the storage function returned.
template <typename Fn>
struct VisitContext {
  explicit VisitContext(Fn* f) : fn(f) {}
  Fn* fn;
  std::exception_ptr error;
  std::size_t visited = 0;
  void rethrow() {
    if (error) std::rethrow_exception(error);
  }
};

using ContactFn = std::function<bool(const Contact&)>;
using AttemptFn = std::function<bool(const Attempt&)>;
using ListFn = std::function<bool(const ContactList&)>;
using JournalFn = std::function<bool(const JournalEntry&)>;

int visit_contact(void* ctx, const omnivox_contact* c) noexcept {
  auto* v = static_cast<VisitContext<const ContactFn>*>(ctx);
  if (v->error) return 0;
  try {
    if (c == nullptr) throw Error(ErrorCode::kStorage, "C storage: visited a NULL contact");
    ++v->visited;
    return (*v->fn)(contact_from_c(*c)) ? 1 : 0;
  } catch (...) {
    v->error = std::current_exception();
    return 0;
  }
}

int visit_attempt(void* ctx, const omnivox_attempt* a) noexcept {
  auto* v = static_cast<VisitContext<const AttemptFn>*>(ctx);
  if (v->error) return 0;
  try {
    if (a == nullptr) throw Error(ErrorCode::kStorage, "C storage: visited a NULL attempt");
    ++v->visited;
    return (*v->fn)(attempt_from_c(*a)) ? 1 : 0;
  } catch (...) {
    v->error = std::current_exception();
    return 0;
  }
}

int visit_list(void* ctx, const omnivox_contact_list* l) noexcept {
  auto* v = static_cast<VisitContext<const ListFn>*>(ctx);
  if (v->error) return 0;
  try {
    if (l == nullptr) throw Error(ErrorCode::kStorage, "C storage: visited a NULL list");
    ++v->visited;
    return (*v->fn)(ContactList{storage_text(l->campaign_id, "list.campaign_id"),
                                storage_text(l->name, "list.name"), l->active != 0})
               ? 1
               : 0;
  } catch (...) {
    v->error = std::current_exception();
    return 0;
  }
}

int visit_journal(void* ctx, const omnivox_journal_entry* e) noexcept {
  auto* v = static_cast<VisitContext<const JournalFn>*>(ctx);
  if (v->error) return 0;
  try {
    if (e == nullptr) throw Error(ErrorCode::kStorage, "C storage: visited a NULL journal entry");
    ++v->visited;
    JournalEntry j{time_of(e->at_ms),
                   storage_text(e->campaign_id, "journal.campaign_id"),
                   e->call_id,
                   e->contact_id,
                   storage_text(e->kind, "journal.kind"),
                   storage_text(e->detail, "journal.detail")};
    return (*v->fn)(j) ? 1 : 0;
  } catch (...) {
    v->error = std::current_exception();
    return 0;
  }
}

template <typename T>
struct Received {
  std::optional<T> value;
  std::exception_ptr error;
};

void receive_text(void* ctx, const char* text) noexcept {
  auto* r = static_cast<Received<std::string>*>(ctx);
  try {
    r->value = storage_text(text, "campaign JSON");
  } catch (...) {
    r->error = std::current_exception();
  }
}

void receive_contact(void* ctx, const omnivox_contact* c) noexcept {
  auto* r = static_cast<Received<Contact>*>(ctx);
  try {
    if (c == nullptr) throw Error(ErrorCode::kStorage, "C storage: received a NULL contact");
    r->value = contact_from_c(*c);
  } catch (...) {
    r->error = std::current_exception();
  }
}

void receive_lease(void* ctx, const omnivox_lease* l) noexcept {
  auto* r = static_cast<Received<Lease>*>(ctx);
  try {
    if (l == nullptr) throw Error(ErrorCode::kStorage, "C storage: received a NULL lease");
    r->value = Lease{l->contact_id, storage_text(l->owner, "lease.owner"), time_of(l->expiry_ms)};
  } catch (...) {
    r->error = std::current_exception();
  }
}

}  // namespace

#define REQUIRE_FN(s, f)                                                                  \
  if ((s).f == nullptr) {                                                                 \
    throw CError{OMNIVOX_EINVALID, "storage function '" #f "' is NULL (it is required)"}; \
  }

void validate(const omnivox_storage& s) {
  check_version(s.version, OMNIVOX_STORAGE_VERSION, "omnivox_storage");
  REQUIRE_FN(s, put_campaign);
  REQUIRE_FN(s, get_campaign);
  REQUIRE_FN(s, put_list);
  REQUIRE_FN(s, scan_lists);
  REQUIRE_FN(s, add_contact);
  REQUIRE_FN(s, get_contact);
  REQUIRE_FN(s, update_contact);
  REQUIRE_FN(s, scan_contacts);
  REQUIRE_FN(s, contact_count);
  REQUIRE_FN(s, count_by_status);
  REQUIRE_FN(s, claim_leases);
  REQUIRE_FN(s, renew_lease);
  REQUIRE_FN(s, release_lease);
  REQUIRE_FN(s, get_lease);
  REQUIRE_FN(s, allocate_call_id);
  REQUIRE_FN(s, put_attempt);
  REQUIRE_FN(s, scan_contact_attempts);
  REQUIRE_FN(s, scan_attempts);
  REQUIRE_FN(s, add_dnc);
  REQUIRE_FN(s, is_dnc);
  REQUIRE_FN(s, mark_event_processed);
}

void validate(const omnivox_telephony& t) {
  check_version(t.version, OMNIVOX_TELEPHONY_VERSION, "omnivox_telephony", 1);
  if (t.originate == nullptr) {
    throw CError{OMNIVOX_EINVALID, "telephony function 'originate' is NULL (it is required)"};
  }
  if (t.hangup == nullptr) {
    throw CError{OMNIVOX_EINVALID, "telephony function 'hangup' is NULL (it is required)"};
  }
  if (t.bridge == nullptr) {
    throw CError{OMNIVOX_EINVALID, "telephony function 'bridge' is NULL (it is required)"};
  }
}

// ---- CStorage ----

#define STORAGE_CALL(fn, ...)                   \
  do {                                          \
    InsideScope in_(handle_, Inside::kStorage); \
    rc_ = s_.fn(s_.user_data, __VA_ARGS__);     \
  } while (0)

void CStorage::put_campaign(const CampaignConfig& campaign) {
  std::string json = campaign_json_(campaign.id);
  int rc_;
  STORAGE_CALL(put_campaign, campaign.id.c_str(), json.c_str());
  check(rc_, "put_campaign");
}

std::optional<CampaignConfig> CStorage::get_campaign(std::string_view campaign_id) {
  std::string id(campaign_id);
  Received<std::string> r;
  int rc_;
  STORAGE_CALL(get_campaign, id.c_str(), receive_text, &r);
  if (r.error) std::rethrow_exception(r.error);
  if (rc_ == OMNIVOX_ENOTFOUND) return std::nullopt;
  check(rc_, "get_campaign");
  if (!r.value) throw Error(ErrorCode::kStorage, "C storage: get_campaign returned no JSON");
  return parse_campaign_json(*r.value, ".", "C storage campaign '" + id + "'").campaign;
}

void CStorage::put_list(const ContactList& list) {
  omnivox_contact_list l{list.campaign_id.c_str(), list.name.c_str(), list.active ? 1 : 0};
  int rc_;
  STORAGE_CALL(put_list, &l);
  check(rc_, "put_list");
}

std::vector<ContactList> CStorage::lists(std::string_view campaign_id) {
  std::string id(campaign_id);
  std::vector<ContactList> out;
  const ListFn fn = [&](const ContactList& l) {
    out.push_back(l);
    return true;
  };
  VisitContext<const ListFn> v(&fn);
  int rc_;
  STORAGE_CALL(scan_lists, id.c_str(), visit_list, &v);
  v.rethrow();
  check(rc_, "scan_lists");
  return out;
}

ContactId CStorage::add_contact(Contact contact) {
  ContactView view(contact);
  omnivox_contact_id id = 0;
  std::uint64_t order = 0;
  int rc_;
  STORAGE_CALL(add_contact, &view.c, &id, &order);
  check(rc_, "add_contact");
  if (id == kNoContact) throw Error(ErrorCode::kStorage, "C storage: add_contact returned id 0");
  return id;
}

std::optional<Contact> CStorage::get_contact(ContactId id) {
  Received<Contact> r;
  int rc_;
  STORAGE_CALL(get_contact, id, receive_contact, &r);
  if (r.error) std::rethrow_exception(r.error);
  if (rc_ == OMNIVOX_ENOTFOUND) return std::nullopt;
  check(rc_, "get_contact");
  if (!r.value) throw Error(ErrorCode::kStorage, "C storage: get_contact returned no contact");
  return std::move(r.value);
}

void CStorage::update_contact(const Contact& contact) {
  ContactView view(contact);
  int rc_;
  STORAGE_CALL(update_contact, &view.c);
  if (rc_ == OMNIVOX_ENOTFOUND) {
    throw Error(ErrorCode::kNotFound,
                "update_contact: unknown contact id " + std::to_string(contact.id));
  }
  check(rc_, "update_contact");
}

std::size_t CStorage::scan_contacts(const ContactScan& scan, const ContactFn& visit) {
  omnivox_contact_scan c{
      scan.campaign_id.c_str(), scan.dialable_only ? 1 : 0,
      scan.due_by == TimePoint::max() ? std::numeric_limits<int64_t>::max() : ms_of(scan.due_by)};
  VisitContext<const ContactFn> v(&visit);
  std::uint64_t visited = 0;
  int rc_;
  STORAGE_CALL(scan_contacts, &c, visit_contact, &v, &visited);
  v.rethrow();
  check(rc_, "scan_contacts");
  return v.visited;
}

std::size_t CStorage::contact_count(std::string_view campaign_id) {
  std::string id(campaign_id);
  std::uint64_t n = 0;
  int rc_;
  STORAGE_CALL(contact_count, id.c_str(), &n);
  check(rc_, "contact_count");
  return n;
}

std::vector<std::size_t> CStorage::count_by_status(std::string_view campaign_id) {
  std::string id(campaign_id);
  std::uint64_t counts[OMNIVOX_CONTACT_STATUS_COUNT] = {};
  int rc_;
  STORAGE_CALL(count_by_status, id.c_str(), counts);
  check(rc_, "count_by_status");
  return std::vector<std::size_t>(counts, counts + OMNIVOX_CONTACT_STATUS_COUNT);
}

std::vector<ContactId> CStorage::claim_leases(std::span<const ContactId> ids,
                                              std::string_view owner, TimePoint now, Duration ttl) {
  std::vector<ContactId> claimed(ids.size());
  if (ids.empty()) return claimed;
  std::string o(owner);
  std::size_t count = 0;
  int rc_;
  STORAGE_CALL(claim_leases, ids.data(), ids.size(), o.c_str(), ms_of(now), ttl.count(),
               claimed.data(), &count);
  check(rc_, "claim_leases");
  if (count > ids.size()) {
    throw Error(ErrorCode::kStorage, "C storage: claim_leases claimed more ids than asked");
  }
  claimed.resize(count);
  return claimed;
}

bool CStorage::renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) {
  std::string o(owner);
  int renewed = 0;
  int rc_;
  STORAGE_CALL(renew_lease, id, o.c_str(), ms_of(now), ttl.count(), &renewed);
  check(rc_, "renew_lease");
  return renewed != 0;
}

void CStorage::release_lease(ContactId id, std::string_view owner) {
  std::string o(owner);
  int rc_;
  STORAGE_CALL(release_lease, id, o.c_str());
  check(rc_, "release_lease");
}

std::optional<Lease> CStorage::get_lease(ContactId id) {
  Received<Lease> r;
  int rc_;
  STORAGE_CALL(get_lease, id, receive_lease, &r);
  if (r.error) std::rethrow_exception(r.error);
  if (rc_ == OMNIVOX_ENOTFOUND) return std::nullopt;
  check(rc_, "get_lease");
  return std::move(r.value);
}

CallId CStorage::allocate_call_id() {
  omnivox_call_id id = 0;
  int rc_;
  STORAGE_CALL(allocate_call_id, &id);
  check(rc_, "allocate_call_id");
  if (id == kNoCall) throw Error(ErrorCode::kStorage, "C storage: allocate_call_id returned 0");
  return id;
}

void CStorage::put_attempt(const Attempt& attempt) {
  omnivox_attempt a = attempt_to_c(attempt);
  int rc_;
  STORAGE_CALL(put_attempt, &a);
  check(rc_, "put_attempt");
}

std::vector<Attempt> CStorage::attempts_of(ContactId id) {
  std::vector<Attempt> out;
  const AttemptFn fn = [&](const Attempt& a) {
    out.push_back(a);
    return true;
  };
  VisitContext<const AttemptFn> v(&fn);
  int rc_;
  STORAGE_CALL(scan_contact_attempts, id, visit_attempt, &v);
  v.rethrow();
  check(rc_, "scan_contact_attempts");
  return out;
}

void CStorage::scan_attempts(std::string_view campaign_id, const AttemptFn& visit) {
  std::string id(campaign_id);
  VisitContext<const AttemptFn> v(&visit);
  int rc_;
  STORAGE_CALL(scan_attempts, id.c_str(), visit_attempt, &v);
  v.rethrow();
  check(rc_, "scan_attempts");
}

void CStorage::add_dnc(std::string_view list, std::string_view e164) {
  std::string l(list), n(e164);
  int rc_;
  STORAGE_CALL(add_dnc, l.c_str(), n.c_str());
  check(rc_, "add_dnc");
}

bool CStorage::is_dnc(std::string_view campaign_id, std::string_view e164) {
  std::string c(campaign_id), n(e164);
  int out = 0;
  int rc_;
  STORAGE_CALL(is_dnc, c.c_str(), n.c_str(), &out);
  check(rc_, "is_dnc");
  return out != 0;
}

void CStorage::append_journal(const JournalEntry& entry) {
  if (s_.append_journal == nullptr) return;
  omnivox_journal_entry e{ms_of(entry.at),  entry.campaign_id.c_str(), entry.call_id,
                          entry.contact_id, entry.kind.c_str(),        entry.detail.c_str()};
  int rc_;
  STORAGE_CALL(append_journal, &e);
  check(rc_, "append_journal");
}

void CStorage::scan_journal(std::string_view campaign_id, const JournalFn& visit) {
  if (s_.scan_journal == nullptr) return;
  std::string id(campaign_id);
  VisitContext<const JournalFn> v(&visit);
  int rc_;
  STORAGE_CALL(scan_journal, id.c_str(), visit_journal, &v);
  v.rethrow();
  check(rc_, "scan_journal");
}

bool CStorage::mark_event_processed(std::string_view key) {
  std::string k(key);
  int first = 0;
  int rc_;
  STORAGE_CALL(mark_event_processed, k.c_str(), &first);
  check(rc_, "mark_event_processed");
  return first != 0;
}

// ---- CTelephony ----

CTelephony::CTelephony(const omnivox_telephony& t, omnivox_engine* handle, Clock* clock)
    : handle_(handle), clock_(clock) {
  // An older host's struct ends before the fields of later versions: never read past it.
  std::memcpy(&t_, &t, t.version == 1 ? offsetof(omnivox_telephony, stop_amd) : sizeof t_);
}

CTelephony::~CTelephony() = default;

void CTelephony::start(CallEventSink* sink) {
  {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    sink_ = sink;
  }
  if (t_.start != nullptr) {
    InsideScope in(handle_, Inside::kTelephony);
    t_.start(t_.user_data, handle_);
  }
}

void CTelephony::originate(const OriginateRequest& request) {
  omnivox_originate_request r{};
  bindings_support::fill_originate_request(request, r);
  int rc;
  {
    InsideScope in(handle_, Inside::kTelephony);
    rc = t_.originate(t_.user_data, &r);
  }
  if (rc != 0) {
    // Inside the engine's step: never applied re-entrantly.
    defer(bindings_support::failed_originate(request.call_id, FailReason::kRejected));
  }
}

void CTelephony::hangup(CallId call) {
  InsideScope in(handle_, Inside::kTelephony);
  t_.hangup(t_.user_data, call);
}

void CTelephony::bridge(CallId call, AgentId agent) {
  InsideScope in(handle_, Inside::kTelephony);
  t_.bridge(t_.user_data, call, agent);
}

void CTelephony::play(CallId call, const std::string& message) {
  if (t_.play == nullptr) return;
  InsideScope in(handle_, Inside::kTelephony);
  t_.play(t_.user_data, call, message.c_str());
}

void CTelephony::stop_amd(CallId call) {
  if (t_.stop_amd == nullptr) return;
  InsideScope in(handle_, Inside::kTelephony);
  t_.stop_amd(t_.user_data, call);
}

void CTelephony::stop() {
  {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    sink_ = nullptr;
    stopped_ = true;
  }
  if (t_.stop != nullptr) {
    InsideScope in(handle_, Inside::kTelephony);
    t_.stop(t_.user_data);
  }
}

std::optional<CallEvent> CTelephony::lookup_call(const Attempt& attempt) {
  if (t_.lookup_call == nullptr) return std::nullopt;
  omnivox_attempt a = attempt_to_c(attempt);
  omnivox_call_event e{};
  e.version = OMNIVOX_CALL_EVENT_VERSION;
  int known;
  {
    InsideScope in(handle_, Inside::kTelephony);
    known = t_.lookup_call(t_.user_data, &a, &e);
  }
  if (known == 0) return std::nullopt;
  try {
    CallEvent event = event_from_c(e);
    event.call_id = attempt.call_id;
    return event;
  } catch (...) {
    return std::nullopt;  // a malformed answer counts as "cannot tell"
  }
}

void CTelephony::report(const CallEvent& event) {
  if (stopped_) return;
  Inside in = inside_of(handle_);
  if (in == Inside::kTelephony || in == Inside::kCallback) {
    defer(event);
  } else {
    deliver(event);
  }
}

void CTelephony::defer(const CallEvent& event) {
  std::weak_ptr<int> token = alive_;
  clock_->schedule_at(clock_->now(), [this, token, event] {
    if (token.expired()) return;
    deliver(event);
  });
}

void CTelephony::deliver(const CallEvent& event) {
  // Under the lock, so stop() (engine teardown) cannot complete while an event is being handed
  // to the engine from another thread. Recursive: a delivery applied inline may lead to another.
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (sink_ != nullptr) sink_->on_call_event(event);
}

CallEvent event_from_c(const omnivox_call_event& e) {
  static_assert(OMNIVOX_CALL_EVENT_KIND_COUNT == bindings_support::kCallEventKindCount);
  static_assert(OMNIVOX_AMD_RESULT_COUNT == bindings_support::kAmdResultCount);
  static_assert(OMNIVOX_FAIL_REASON_COUNT == bindings_support::kFailReasonCount);
  check_version(e.version, OMNIVOX_CALL_EVENT_VERSION, "omnivox_call_event");
  return bindings_support::call_event_from(e, "event.", [](const char* s, const std::string& name) {
    return s == nullptr ? std::string() : text_arg(s, name.c_str());
  });
}

}  // namespace omnivox::capi
