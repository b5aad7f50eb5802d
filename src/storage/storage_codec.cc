// Encodings shared by the persistent backends (see storage_codec.h).
#include "storage/storage_codec.h"

#include <boost/json.hpp>
#include <charconv>
#include <stdexcept>

#include "storage/campaign_json.h"

namespace omnivox::storage_codec {
namespace {
namespace json = boost::json;

CallWindow window_from_json(const json::value& v) {
  CallWindow w;
  const auto& a = v.as_array();
  for (std::size_t i = 0; i < 7 && i < a.size(); ++i) {
    const auto& r = a[i].as_array();
    w.by_weekday[i].start_minute = static_cast<int>(r[0].to_number<std::int64_t>());
    w.by_weekday[i].end_minute = static_cast<int>(r[1].to_number<std::int64_t>());
  }
  return w;
}
std::vector<std::string> strings_from_json(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}
std::int64_t i64(const json::object& o, const char* key) {
  return o.at(key).to_number<std::int64_t>();
}
double f64(const json::object& o, const char* key) { return o.at(key).to_number<double>(); }
std::string str(const json::object& o, const char* key) {
  return std::string(o.at(key).as_string());
}

}  // namespace

std::string campaign_to_json(const CampaignConfig& c) {
  return json::serialize(campaign_json::campaign_to_json(c));
}

namespace {

// A campaign as stored before the backends shared the campaign file's schema: integer enums,
// durations in ms, the key "retry_rules". Databases written then still load.
CampaignConfig campaign_from_earlier_json(const json::object& o) {
  CampaignConfig c;
  c.id = str(o, "id");
  c.name = str(o, "name");
  c.dial_mode = static_cast<DialMode>(i64(o, "dial_mode"));
  c.power_lines_per_agent = f64(o, "power_lines_per_agent");
  c.call_window = window_from_json(o.at("call_window"));
  c.fallback_time_zone = str(o, "fallback_time_zone");
  c.max_attempts = static_cast<int>(i64(o, "max_attempts"));
  c.max_attempts_per_number = static_cast<int>(i64(o, "max_attempts_per_number"));
  c.retry_rules.clear();
  for (const auto& r : o.at("retry_rules").as_array()) {
    const auto& a = r.as_array();
    c.retry_rules[static_cast<Disposition>(a[0].to_number<int>())] =
        RetryRule{a[1].as_bool(), Duration(a[2].to_number<std::int64_t>())};
  }
  c.ring_timeout = Duration(i64(o, "ring_timeout"));
  c.hold_window = Duration(i64(o, "hold_window"));
  c.amd = o.at("amd").as_bool();
  c.caller_ids = strings_from_json(o.at("caller_ids"));
  c.safe_harbor_message = str(o, "safe_harbor_message");
  c.voicemail_message = str(o, "voicemail_message");
  c.default_region = str(o, "default_region");
  c.dial_queue_capacity = static_cast<std::size_t>(i64(o, "dial_queue_capacity"));
  c.dnc_numbers = strings_from_json(o.at("dnc_numbers"));
  const json::object& cp = o.at("compliance").as_object();
  ComplianceProfile& p = c.compliance;
  p.name = str(cp, "name");
  p.abandon_cap = f64(cp, "abandon_cap");
  p.abandon_window = Duration(i64(cp, "abandon_window"));
  p.count_amd_false_positives = cp.at("count_amd_false_positives").as_bool();
  p.amd_false_positive_rate = f64(cp, "amd_false_positive_rate");
  p.hold_window = Duration(i64(cp, "hold_window"));
  p.min_ring = Duration(i64(cp, "min_ring"));
  p.call_window = window_from_json(cp.at("call_window"));
  p.region_rules.clear();
  for (const auto& rv : cp.at("region_rules").as_array()) {
    const auto& ro = rv.as_object();
    RegionRule r;
    r.region = str(ro, "region");
    if (!ro.at("call_window").is_null()) r.call_window = window_from_json(ro.at("call_window"));
    r.max_calls_per_24h = static_cast<int>(i64(ro, "max_calls_per_24h"));
    p.region_rules.push_back(std::move(r));
  }
  p.holidays = strings_from_json(cp.at("holidays"));
  p.no_repeat_after_abandon = Duration(i64(cp, "no_repeat_after_abandon"));
  p.no_repeat_after_machine = Duration(i64(cp, "no_repeat_after_machine"));
  return c;
}

}  // namespace

CampaignConfig campaign_from_json(std::string_view text) {
  json::value v = json::parse(text);
  const json::object& o = v.as_object();
  if (o.contains("retry_rules")) return campaign_from_earlier_json(o);
  CampaignConfig c;
  const std::string id = o.contains("id") && o.at("id").is_string()
                             ? std::string(o.at("id").as_string())
                             : std::string("?");
  const campaign_json::FieldReader reader("stored campaign '" + id + "'", /*check_ranges=*/false);
  reader.allow_only(o, "", campaign_json::kCampaignKeys);
  // Every rule was stored: none of the defaults stays unless stored.
  if (o.contains("retry")) c.retry_rules.clear();
  campaign_json::read_campaign(reader, o, c);
  return c;
}

namespace {
// Contacts' numbers and attributes are encoded and decoded at every write and read of a
// contact: their JSON values live in a buffer on the stack (a monotonic resource) rather than
// in one heap block per array, object and string.
constexpr std::size_t kStackBytes = 4096;

json::array numbers_array(const std::vector<PhoneNumber>& numbers, json::storage_ptr sp = {}) {
  json::array a(sp);
  a.reserve(numbers.size());
  for (const auto& n : numbers) {
    json::object& o = a.emplace_back(json::object_kind).get_object();
    o.reserve(7);
    o.emplace("e164", n.e164);
    o.emplace("zone_set", n.zone_set);
    o.emplace("attempts", n.attempts);
    o.emplace("last_disposition", static_cast<int>(n.last_disposition));
    o.emplace("invalid", n.invalid);
    o.emplace("last_abandon_at", ms(n.last_abandon_at));
    o.emplace("last_machine_at", ms(n.last_machine_at));
  }
  return a;
}
json::array attributes_array(const std::vector<std::pair<std::string, std::string>>& attrs,
                             json::storage_ptr sp = {}) {
  json::array a(sp);
  a.reserve(attrs.size());
  for (const auto& [k, v] : attrs) {
    json::array& pair = a.emplace_back(json::array_kind).get_array();
    pair.reserve(2);
    pair.emplace_back(json::string_view(k));
    pair.emplace_back(json::string_view(v));
  }
  return a;
}
}  // namespace

std::string numbers_to_json(const std::vector<PhoneNumber>& numbers) {
  unsigned char buf[kStackBytes];
  json::monotonic_resource mr(buf, sizeof buf);
  return json::serialize(numbers_array(numbers, &mr));
}

std::vector<PhoneNumber> numbers_from_json(std::string_view text) {
  std::vector<PhoneNumber> out;
  unsigned char buf[kStackBytes];
  json::monotonic_resource mr(buf, sizeof buf);
  json::value v = json::parse(text, &mr);
  for (const auto& e : v.as_array()) {
    const auto& o = e.as_object();
    PhoneNumber n;
    n.e164 = str(o, "e164");
    n.zone_set = static_cast<ZoneSetId>(i64(o, "zone_set"));
    n.attempts = static_cast<std::uint16_t>(i64(o, "attempts"));
    n.last_disposition = static_cast<Disposition>(i64(o, "last_disposition"));
    n.invalid = o.at("invalid").as_bool();
    n.last_abandon_at = tp(i64(o, "last_abandon_at"));
    n.last_machine_at = tp(i64(o, "last_machine_at"));
    out.push_back(std::move(n));
  }
  return out;
}
void numbers_to_text(const std::vector<PhoneNumber>& numbers, std::string& out) {
  out.clear();
  char buf[24];
  auto field = [&](std::int64_t v, char after) {
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;  // 24 bytes hold any int64
    out.append(buf, end);
    out.push_back(after);
  };
  for (const PhoneNumber& n : numbers) {
    field(n.zone_set, ',');
    field(n.attempts, ',');
    field(static_cast<std::int64_t>(n.last_disposition), ',');
    field(n.invalid ? 1 : 0, ',');
    field(ms(n.last_abandon_at), ',');
    field(ms(n.last_machine_at), ',');
    field(static_cast<std::int64_t>(n.e164.size()), ':');
    out += n.e164;
  }
}
std::string numbers_to_text(const std::vector<PhoneNumber>& numbers) {
  std::string out;
  numbers_to_text(numbers, out);
  return out;
}

void numbers_from_text(std::string_view text, std::vector<PhoneNumber>& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  auto malformed = [&]() {
    return std::invalid_argument("malformed numbers at byte " + std::to_string(p - text.data()));
  };
  auto field = [&](char after) {
    std::int64_t v = 0;
    const auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || next == end || *next != after) throw malformed();
    p = next + 1;
    return v;
  };
  std::size_t count = 0;
  while (p != end) {
    if (count == out.size()) out.emplace_back();
    PhoneNumber& n = out[count++];
    n.zone_set = static_cast<ZoneSetId>(field(','));
    n.attempts = static_cast<std::uint16_t>(field(','));
    n.last_disposition = static_cast<Disposition>(field(','));
    const std::int64_t invalid = field(',');
    if (invalid != 0 && invalid != 1) throw malformed();
    n.invalid = invalid == 1;
    n.last_abandon_at = tp(field(','));
    n.last_machine_at = tp(field(','));
    const std::int64_t bytes = field(':');
    if (bytes < 0 || bytes > end - p) throw malformed();
    n.e164.assign(p, static_cast<std::size_t>(bytes));
    p += bytes;
  }
  out.resize(count);
}

std::string attributes_to_json(const std::vector<std::pair<std::string, std::string>>& attrs) {
  unsigned char buf[kStackBytes];
  json::monotonic_resource mr(buf, sizeof buf);
  return json::serialize(attributes_array(attrs, &mr));
}
std::vector<std::pair<std::string, std::string>> attributes_from_json(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  unsigned char buf[kStackBytes];
  json::monotonic_resource mr(buf, sizeof buf);
  json::value v = json::parse(text, &mr);
  const json::array& rows = v.as_array();
  out.reserve(rows.size());
  for (const auto& e : rows) {
    const auto& p = e.as_array();
    out.emplace_back(std::string(p[0].as_string()), std::string(p[1].as_string()));
  }
  return out;
}

void attributes_to_text(const std::vector<std::pair<std::string, std::string>>& attrs,
                        std::string& out) {
  out.clear();
  char buf[24];
  auto bytes = [&](const std::string& s) {
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, s.size());
    (void)ec;  // 24 bytes hold any size
    out.append(buf, end);
    out.push_back(':');
    out += s;
  };
  for (const auto& [key, value] : attrs) {
    bytes(key);
    bytes(value);
  }
}
std::string attributes_to_text(const std::vector<std::pair<std::string, std::string>>& attrs) {
  std::string out;
  attributes_to_text(attrs, out);
  return out;
}

void attributes_from_text(std::string_view text,
                          std::vector<std::pair<std::string, std::string>>& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  auto bytes = [&](std::string& into) {
    std::uint64_t n = 0;
    const auto [next, ec] = std::from_chars(p, end, n);
    if (ec != std::errc() || next == end || *next != ':' ||
        n > static_cast<std::uint64_t>(end - next - 1)) {
      throw std::invalid_argument("malformed attributes at byte " +
                                  std::to_string(p - text.data()));
    }
    into.assign(next + 1, static_cast<std::size_t>(n));
    p = next + 1 + n;
  };
  std::size_t count = 0;
  while (p != end) {
    if (count == out.size()) out.emplace_back();
    auto& [key, value] = out[count++];
    bytes(key);
    bytes(value);
  }
  out.resize(count);
}

}  // namespace omnivox::storage_codec
