// Shared plumbing of the C API: see capi_internal.h.
#include "capi/capi_internal.h"

#include <unordered_map>

#include "omnivox/model.h"
#include "omnivox/telephony.h"
#include "omnivox/version.h"

namespace omnivox::capi {

char* dup_string(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) return nullptr;
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

std::string_view clip_utf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  // Back up over continuation bytes so the cut never splits a character.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

int fail(char** errptr, int status, std::string_view message) noexcept {
  if (errptr != nullptr) {
    std::free(*errptr);
    *errptr = nullptr;
    // A message quotes host input, which may be long: keep it bounded for the host's logs.
    if (message.size() > OMNIVOX_MAX_ERROR) {
      static constexpr std::string_view kEllipsis = "...";
      std::string clipped(clip_utf8(message, OMNIVOX_MAX_ERROR - kEllipsis.size()));
      clipped += kEllipsis;
      *errptr = dup_string(clipped);  // NULL if out of memory: the status still tells
    } else {
      *errptr = dup_string(message);
    }
  }
  return status;
}

void check_version(unsigned int version, unsigned int newest, const char* struct_name,
                   unsigned int oldest) {
  if (oldest == 0) oldest = newest;
  if (version < oldest || version > newest) {
    const std::string known =
        oldest == newest ? "version " + std::to_string(newest)
                         : "versions " + std::to_string(oldest) + " to " + std::to_string(newest);
    throw CError{OMNIVOX_EINVALID, std::string(struct_name) + ".version " +
                                       std::to_string(version) +
                                       " is not supported (this library knows " + known +
                                       "; initialise it with its _INIT)"};
  }
}

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return OMNIVOX_EINVALID;
    case ErrorCode::kConfig:
      return OMNIVOX_ECONFIG;
    case ErrorCode::kNotFound:
      return OMNIVOX_ENOTFOUND;
    case ErrorCode::kIo:
      return OMNIVOX_EIO;
    case ErrorCode::kStorage:
      return OMNIVOX_ESTORAGE;
    case ErrorCode::kState:
      return OMNIVOX_ESTATE;
  }
  return OMNIVOX_EINTERNAL;
}

int status_of_current_exception(const char* function, char** errptr) noexcept {
  try {
    try {
      throw;
    } catch (const CError& e) {
      return fail(errptr, e.status, std::string(function) + ": " + e.message);
    } catch (const Error& e) {
      return fail(errptr, status_of(e.code()), std::string(function) + ": " + e.what());
    } catch (const std::bad_alloc&) {
      return fail(errptr, OMNIVOX_EINTERNAL, "out of memory");
    } catch (const std::exception& e) {
      return fail(errptr, OMNIVOX_EINTERNAL,
                  std::string(function) + ": internal error: " + e.what());
    }
  } catch (...) {
    return fail(errptr, OMNIVOX_EINTERNAL, "internal error (unknown exception)");
  }
}

bool valid_utf8(const char* s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  while (*p != 0) {
    unsigned c = *p;
    int extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++p;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    ++p;
    for (int i = 0; i < extra; ++i, ++p) {
      if ((*p & 0xC0) != 0x80) return false;  // also stops at the NUL
      cp = (cp << 6) | (*p & 0x3F);
    }
    // Overlong forms, surrogates and values above U+10FFFF.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
  }
  return true;
}

void require(const void* p, const char* name) {
  if (p == nullptr) throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is NULL"};
}

namespace {

std::string bounded_text(const char* s, const char* name, std::size_t max_bytes) {
  require(s, name);
  if (strnlen(s, max_bytes + 1) > max_bytes) {
    throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is longer than " +
                                       std::to_string(max_bytes) + " bytes"};
  }
  if (!valid_utf8(s)) {
    throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is not valid UTF-8"};
  }
  return std::string(s);
}

}  // namespace

std::string text_arg(const char* s, const char* name) {
  return bounded_text(s, name, OMNIVOX_MAX_STRING);
}

std::string json_arg(const char* s, const char* name) {
  return bounded_text(s, name, OMNIVOX_MAX_JSON);
}

void check_e164(std::string_view n, const char* name) {
  bool digits = n.size() >= 2 && n[0] == '+';
  for (std::size_t i = 1; digits && i < n.size(); ++i) digits = n[i] >= '0' && n[i] <= '9';
  if (!digits) {
    throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' ('" + std::string(n) +
                                       "') is not an E.164 number ('+' and digits)"};
  }
  if (n.size() - 1 > OMNIVOX_MAX_E164_DIGITS) {
    throw CError{OMNIVOX_EINVALID,
                 std::string("argument '") + name + "' has " + std::to_string(n.size() - 1) +
                     " digits; E.164 allows at most " + std::to_string(OMNIVOX_MAX_E164_DIGITS)};
  }
}

std::string e164_arg(const char* s, const char* name) {
  std::string n = text_arg(s, name);
  check_e164(n, name);
  return n;
}

Contact contact_arg(const char* external_id, const char* const* numbers, size_t number_count) {
  Contact contact;
  if (external_id != nullptr) contact.external_id = text_arg(external_id, "external_id");
  require(numbers, "numbers");
  if (number_count == 0) throw CError{OMNIVOX_EINVALID, "argument 'number_count' is 0"};
  for (size_t i = 0; i < number_count; ++i) {
    std::string name = "numbers[" + std::to_string(i) + "]";
    PhoneNumber n;
    n.e164 = e164_arg(numbers[i], name.c_str());
    contact.numbers.push_back(std::move(n));
  }
  return contact;
}

// ---- registry ----

namespace {
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::unordered_map<const void*, HandleKind>& registry() {
  static auto* live = new std::unordered_map<const void*, HandleKind>();  // never destroyed:
  return *live;  // handles may be destroyed from static destructors of the host
}
}  // namespace

void register_handle(const void* handle, HandleKind kind) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[handle] = kind;
}

bool unregister_handle(const void* handle, HandleKind kind) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = registry().find(handle);
  if (it == registry().end() || it->second != kind) return false;
  registry().erase(it);
  return true;
}

bool acquire_handle(const HandleBase* handle, HandleKind kind) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = registry().find(handle);
  if (it == registry().end() || it->second != kind) return false;
  const_cast<HandleBase*>(handle)->users.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

void wait_unused(const HandleBase* handle) {
  while (handle->users.load(std::memory_order_acquire) > 0) std::this_thread::yield();
}

InsideState& inside_state() {
  thread_local InsideState state;
  return state;
}

// ---- listener ----

void CListener::set(const omnivox_callbacks* callbacks) {
  if (callbacks != nullptr) {
    check_version(callbacks->version, OMNIVOX_CALLBACKS_VERSION, "omnivox_callbacks");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  callbacks_ = callbacks != nullptr ? *callbacks : omnivox_callbacks{};
}

omnivox_callbacks CListener::get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return callbacks_;
}

void CListener::on_call_state(const CallStateChange& c) {
  omnivox_callbacks cb = get();
  if (cb.on_call_state == nullptr) return;
  omnivox_call_state_event e{};
  bindings_support::fill_call_state_event(c, e);
  InsideScope in(owner_, Inside::kCallback);
  cb.on_call_state(cb.user_data, &e);
}

void CListener::on_agent_state(const AgentStateChange& c) {
  omnivox_callbacks cb = get();
  if (cb.on_agent_state == nullptr) return;
  omnivox_agent_state_event e{};
  bindings_support::fill_agent_state_event(c, e);
  InsideScope in(owner_, Inside::kCallback);
  cb.on_agent_state(cb.user_data, &e);
}

void CListener::on_pacing_decision(const PacingDecision& d) {
  omnivox_callbacks cb = get();
  if (cb.on_pacing_decision == nullptr) return;
  omnivox_pacing_event e{};
  bindings_support::fill_pacing_event(d, e);
  InsideScope in(owner_, Inside::kCallback);
  cb.on_pacing_decision(cb.user_data, &e);
}

void CListener::on_attempt_finished(const Attempt& a) {
  omnivox_callbacks cb = get();
  if (cb.on_attempt_finished == nullptr) return;
  omnivox_attempt_event e{};
  bindings_support::fill_attempt(a, e);
  InsideScope in(owner_, Inside::kCallback);
  cb.on_attempt_finished(cb.user_data, &e);
}

void to_c(const ImportReport& r, omnivox_import_report* report, char** summary) {
  char* text = nullptr;
  if (summary != nullptr) {
    text = dup_string(r.summary());
    if (text == nullptr) throw std::bad_alloc();
  }
  if (report != nullptr) bindings_support::fill_import_report(r, *report);
  if (summary != nullptr) *summary = text;
}

void to_c(const CampaignStatistics& st, omnivox_statistics* out) {
  // The C enums mirror the C++ ones; the arrays' capacities are checked where they are filled.
  static_assert(OMNIVOX_AGENT_STATE_COUNT == kAgentStateCount);
  static_assert(OMNIVOX_DISPOSITION_COUNT == kDispositionCount);
  omnivox_statistics r{};
  bindings_support::fill_statistics(st, r);
  *out = r;
}

}  // namespace omnivox::capi

extern "C" {

unsigned int omnivox_version(void) { return OMNIVOX_VERSION_NUMBER; }

const char* omnivox_version_string(void) { return OMNIVOX_VERSION_STRING; }

const char* omnivox_status_name(int status) {
  switch (status) {
    case OMNIVOX_OK:
      return "OK";
    case OMNIVOX_EINVALID:
      return "EINVALID";
    case OMNIVOX_ECONFIG:
      return "ECONFIG";
    case OMNIVOX_ENOTFOUND:
      return "ENOTFOUND";
    case OMNIVOX_EIO:
      return "EIO";
    case OMNIVOX_ESTORAGE:
      return "ESTORAGE";
    case OMNIVOX_ESTATE:
      return "ESTATE";
    case OMNIVOX_EINTERNAL:
      return "EINTERNAL";
    default:
      return "UNKNOWN";
  }
}

void omnivox_free(void* ptr) { std::free(ptr); }

const char* omnivox_contact_status_name(int status) {
  static_assert(OMNIVOX_CONTACT_STATUS_COUNT == 7);
  if (status < 0 || status >= OMNIVOX_CONTACT_STATUS_COUNT) return "UNKNOWN";
  return omnivox::to_string(static_cast<omnivox::ContactStatus>(status));
}
const char* omnivox_call_event_kind_name(int kind) {
  if (kind < 0 || kind >= OMNIVOX_CALL_EVENT_KIND_COUNT) return "UNKNOWN";
  return omnivox::to_string(static_cast<omnivox::CallEventKind>(kind));
}
const char* omnivox_amd_result_name(int result) {
  if (result < 0 || result >= OMNIVOX_AMD_RESULT_COUNT) return "UNKNOWN";
  return omnivox::to_string(static_cast<omnivox::AmdResult>(result));
}
const char* omnivox_fail_reason_name(int reason) {
  if (reason < 0 || reason >= OMNIVOX_FAIL_REASON_COUNT) return "UNKNOWN";
  return omnivox::to_string(static_cast<omnivox::FailReason>(reason));
}

}  // extern "C"
