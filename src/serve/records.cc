#include "serve/records.h"

namespace omnivox::serve {
namespace json = boost::json;

json::object attempt_json(const Attempt& a, const std::string* external_id,
                          json::storage_ptr storage) {
  auto time_or_null = [&](TimePoint t) -> json::value {
    if (t == TimePoint{}) return nullptr;
    return json::string(format_utc(t), storage);
  };
  // Room for every field at once: growing rehashes the keys already in.
  constexpr std::size_t kFields = 18;
  json::object o(kFields, storage);
  o["call_id"] = a.call_id;
  o["contact_id"] = a.contact_id;
  if (external_id) o["external_id"] = *external_id;
  o["campaign_id"] = a.campaign_id;
  o["number"] = a.number;
  o["attempt_number"] = a.attempt_number;
  o["caller_id"] = a.caller_id;
  o["state"] = to_string(a.state);
  o["disposition"] = to_string(a.disposition);
  o["fail_reason"] = to_string(a.fail_reason);
  o["amd"] = to_string(a.amd);
  o["agent"] = a.agent == kNoAgent ? json::value(nullptr) : json::value(a.agent);
  o["created_at"] = time_or_null(a.created_at);
  o["answered_at"] = time_or_null(a.answered_at);
  o["bridged_at"] = time_or_null(a.bridged_at);
  o["ended_at"] = time_or_null(a.ended_at);
  o["provider_code"] = a.provider_code;
  o["direction"] = to_string(a.direction);
  return o;
}

}  // namespace omnivox::serve
