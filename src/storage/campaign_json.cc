#include "storage/campaign_json.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>

#include "omnivox/types.h"

namespace omnivox::campaign_json {
namespace {

constexpr const char* kDays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                 "thursday", "friday", "saturday"};

std::string clock_text(int minute) {
  char buf[24];  // room for any two ints, so the compiler can prove nothing is cut
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

json::string range_to_json(const LocalTimeRange& r) {
  if (r.closed()) return "closed";
  return json::string(clock_text(r.start_minute) + "-" + clock_text(r.end_minute));
}

json::object window_to_json(const CallWindow& w) {
  json::object o;
  for (int day = 0; day < 7; ++day) o[kDays[day]] = range_to_json(w.by_weekday[day]);
  return o;
}

json::array strings_to_json(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

constexpr double kHour = 3600.0;

// `retry`: a rule per disposition, {"NO_ANSWER": {"delay_s": 1800}, "FAX": {"final": true},
// "BUSY": 600}.
void read_retry(const FieldReader& r, const json::value& v, CampaignConfig& c) {
  const auto& rules = r.object(v, "retry");
  for (const auto& kv : rules) {
    std::string name(kv.key());
    std::string field = "retry." + name;
    auto d = disposition_from_string(name);
    if (!d) r.fail(field, "unknown disposition (use e.g. BUSY, NO_ANSWER, MACHINE)");
    RetryRule rule;
    if (kv.value().is_number()) {
      rule.delay = seconds_to_duration(r.number_in(kv.value(), field, 0, 1e8));
    } else {
      const auto& ro = r.object(kv.value(), field);
      r.allow_only(ro, field, {"delay_s", "final"});
      if (auto* x = ro.if_contains("delay_s")) {
        rule.delay = seconds_to_duration(r.number_in(*x, field + ".delay_s", 0, 1e8));
      }
      if (auto* x = ro.if_contains("final")) rule.final = r.boolean(*x, field + ".final");
    }
    c.retry_rules[*d] = rule;
  }
}

// How calls are placed: ring timeout, hold window, AMD, messages, default region, caller IDs, the
// dial queue, the DNC numbers.
void read_calls(const FieldReader& r, const json::object& o, CampaignConfig& c) {
  if (auto* v = o.if_contains("ring_timeout_s")) {
    c.ring_timeout = seconds_to_duration(r.number_in(*v, "ring_timeout_s", 1, 600));
  }
  if (auto* v = o.if_contains("hold_window_s")) {
    c.hold_window = seconds_to_duration(r.number_in(*v, "hold_window_s", 0, 600));
  }
  if (auto* v = o.if_contains("amd")) c.amd = r.boolean(*v, "amd");
  if (auto* v = o.if_contains("safe_harbor_message")) {
    c.safe_harbor_message = r.string(*v, "safe_harbor_message");
  }
  if (auto* v = o.if_contains("voicemail_message")) {
    c.voicemail_message = r.string(*v, "voicemail_message");
  }
  if (auto* v = o.if_contains("default_region")) {
    c.default_region = r.region_code(*v, "default_region");
  }
  if (auto* v = o.if_contains("caller_ids")) {
    c.caller_ids = r.phone_numbers(*v, "caller_ids", c.default_region);
    if (c.caller_ids.empty()) {
      r.fail("caller_ids", "must list at least one number (leave the key out for the default)");
    }
  }
  if (auto* v = o.if_contains("dial_queue_capacity")) {
    c.dial_queue_capacity = r.integer(*v, "dial_queue_capacity", 0, 10000000);
  }
  if (auto* v = o.if_contains("dnc")) {
    c.dnc_numbers = r.phone_numbers(*v, "dnc", c.default_region);
  }
}

// `compliance.region_rules`: [{"region": "US-FL", "call_window": ..., "max_calls_per_24h": 3}].
std::vector<RegionRule> read_region_rules(const FieldReader& r, const json::value& v) {
  const std::string field = "compliance.region_rules";
  if (!v.is_array()) r.fail(field, "must be an array of objects");
  std::vector<RegionRule> rules;
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    const std::string at = field + "[" + std::to_string(i) + "]";
    const auto& ro = r.object(v.get_array()[i], at);
    r.allow_only(ro, at, {"region", "call_window", "max_calls_per_24h"});
    RegionRule rule;
    if (auto* x = ro.if_contains("region")) rule.region = r.string(*x, at + ".region");
    if (rule.region.empty()) r.fail(at + ".region", "must not be empty");
    if (auto* x = ro.if_contains("call_window"); x && !x->is_null()) {
      rule.call_window = r.call_window(*x, at + ".call_window");
    }
    if (auto* x = ro.if_contains("max_calls_per_24h")) {
      rule.max_calls_per_24h = r.integer(*x, at + ".max_calls_per_24h", 0, 1000);
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

// `compliance`: a profile by name, or a custom one over a base profile:
// "US_FTC_FCC", or {"base": "UK_OFCOM", "name": "...", overrides...}.
void read_compliance(const FieldReader& r, const json::value& v, CampaignConfig& c) {
  auto named = [&](const std::string& name, const std::string& field) {
    auto p = ComplianceProfile::by_name(name);
    if (!p)
      r.fail(field,
             "unknown profile '" + name + "' (NONE, US_FTC_FCC, UK_OFCOM, CA_CRTC, AU_ACMA)");
    return *p;
  };
  if (v.is_string()) {
    c.compliance = named(r.string(v, "compliance"), "compliance");
    return;
  }
  const auto& co = r.object(v, "compliance");
  r.allow_only(
      co, "compliance",
      {"base", "name", "abandon_cap", "abandon_window_h", "count_amd_false_positives",
       "amd_false_positive_rate", "hold_window_s", "min_ring_s", "call_window", "region_rules",
       "holidays", "no_repeat_after_abandon_h", "no_repeat_after_machine_h", "abandon_guard_risk"});
  ComplianceProfile& p = c.compliance;
  p = ComplianceProfile::none();
  if (auto* x = co.if_contains("base"))
    p = named(r.string(*x, "compliance.base"), "compliance.base");
  p.name = "CUSTOM";
  if (auto* x = co.if_contains("name")) p.name = r.string(*x, "compliance.name");
  if (auto* x = co.if_contains("abandon_cap"))
    p.abandon_cap = r.number_in(*x, "compliance.abandon_cap", 0.0001, 1);
  if (auto* x = co.if_contains("abandon_window_h")) {
    p.abandon_window =
        seconds_to_duration(r.number_in(*x, "compliance.abandon_window_h", 0, 24 * 3650) * kHour);
  }
  if (auto* x = co.if_contains("count_amd_false_positives")) {
    p.count_amd_false_positives = r.boolean(*x, "compliance.count_amd_false_positives");
  }
  if (auto* x = co.if_contains("amd_false_positive_rate")) {
    p.amd_false_positive_rate = r.number_in(*x, "compliance.amd_false_positive_rate", 0, 1);
  }
  if (auto* x = co.if_contains("abandon_guard_risk")) {
    p.abandon_guard_risk = r.number_in(*x, "compliance.abandon_guard_risk", 0, 0.01);
  }
  if (auto* x = co.if_contains("hold_window_s")) {
    p.hold_window = seconds_to_duration(r.number_in(*x, "compliance.hold_window_s", 0, 600));
  }
  if (auto* x = co.if_contains("min_ring_s")) {
    p.min_ring = seconds_to_duration(r.number_in(*x, "compliance.min_ring_s", 0, 600));
  }
  if (auto* x = co.if_contains("call_window")) {
    p.call_window = r.call_window(*x, "compliance.call_window");
  }
  if (auto* x = co.if_contains("region_rules")) p.region_rules = read_region_rules(r, *x);
  if (auto* x = co.if_contains("holidays")) p.holidays = r.strings(*x, "compliance.holidays");
  if (auto* x = co.if_contains("no_repeat_after_abandon_h")) {
    p.no_repeat_after_abandon = seconds_to_duration(
        r.number_in(*x, "compliance.no_repeat_after_abandon_h", 0, 24 * 365) * kHour);
  }
  if (auto* x = co.if_contains("no_repeat_after_machine_h")) {
    p.no_repeat_after_machine = seconds_to_duration(
        r.number_in(*x, "compliance.no_repeat_after_machine_h", 0, 24 * 365) * kHour);
  }
}

}  // namespace

void FieldReader::fail(const std::string& field, const std::string& reason) const {
  throw Error(ErrorCode::kConfig, source_ + ": field '" + field + "': " + reason);
}

const json::object& FieldReader::object(const json::value& v, const std::string& field) const {
  if (!v.is_object()) fail(field, "must be an object");
  return v.get_object();
}

void FieldReader::allow_only(const json::object& o, const std::string& field,
                             std::initializer_list<const char*> keys,
                             std::initializer_list<const char*> more) const {
  std::set<std::string> allowed(keys.begin(), keys.end());
  allowed.insert(more.begin(), more.end());
  for (const auto& kv : o) {
    std::string key(kv.key());
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
      fail(field.empty() ? key : field + "." + key, "unknown key (expected one of: " + list + ")");
    }
  }
}

double FieldReader::number(const json::value& v, const std::string& field) const {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  fail(field, "must be a number");
}

// Boost.JSON reads a number beyond a double's range (1e400) as infinity, which would read as if
// "inf" had been written.
std::string FieldReader::shown(double x) {
  if (!std::isfinite(x)) return "a number out of range";
  std::ostringstream out;
  out << x;
  return out.str();
}

double FieldReader::number_in(const json::value& v, const std::string& field, double lo,
                              double hi) const {
  double x = number(v, field);
  if (check_ranges_ ? !(x >= lo && x <= hi) : !std::isfinite(x)) {
    fail(field, "must be between " + shown(lo) + " and " + shown(hi) + ", got " + shown(x));
  }
  return x;
}

int FieldReader::integer(const json::value& v, const std::string& field, int lo, int hi) const {
  if (!check_ranges_) lo = std::numeric_limits<int>::min(), hi = std::numeric_limits<int>::max();
  const std::string range = "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
  if (v.is_int64()) {
    const std::int64_t x = v.get_int64();
    if (x < lo || x > hi) fail(field, range + ", got " + std::to_string(x));
    return static_cast<int>(x);
  }
  // Boost.JSON keeps integers above 2^63-1 as uint64 and those above 2^64-1 as double.
  if (v.is_uint64()) fail(field, range + ", got " + std::to_string(v.get_uint64()));
  if (v.is_double() && std::trunc(v.get_double()) == v.get_double() &&
      (v.get_double() < lo || v.get_double() > hi)) {
    fail(field, range + ", got " + shown(v.get_double()));
  }
  fail(field, "must be an integer");
}

std::string FieldReader::string(const json::value& v, const std::string& field) const {
  if (!v.is_string()) fail(field, "must be a string");
  return std::string(v.get_string());
}

bool FieldReader::boolean(const json::value& v, const std::string& field) const {
  if (!v.is_bool()) fail(field, "must be true or false");
  return v.get_bool();
}

std::vector<std::string> FieldReader::strings(const json::value& v,
                                              const std::string& field) const {
  if (!v.is_array()) fail(field, "must be an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    out.push_back(string(v.get_array()[i], field + "[" + std::to_string(i) + "]"));
  }
  return out;
}

LocalTimeRange FieldReader::range(const json::value& v, const std::string& field) const {
  std::string text = string(v, field);
  if (text == "closed") return LocalTimeRange{};
  try {
    return CallWindow::parse_range(text);
  } catch (const Error& e) {
    fail(field, e.what());
  }
}

CallWindow FieldReader::call_window(const json::value& v, const std::string& field) const {
  CallWindow window;
  if (v.is_string()) {
    LocalTimeRange range_all = range(v, field);
    for (auto& day : window.by_weekday) day = range_all;
    return window;
  }
  const auto& w = object(v, field);
  allow_only(
      w, field,
      {"default", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"});
  LocalTimeRange def{};
  if (auto* d = w.if_contains("default")) def = range(*d, field + ".default");
  for (int day = 0; day < 7; ++day) {
    window.by_weekday[day] = def;
    if (auto* d = w.if_contains(kDays[day])) {
      window.by_weekday[day] = range(*d, field + "." + kDays[day]);
    }
  }
  return window;
}

std::string FieldReader::time_zone(const json::value& v, const std::string& field) const {
  return string(v, field);
}

std::string FieldReader::region_code(const json::value& v, const std::string& field) const {
  return string(v, field);
}

std::vector<std::string> FieldReader::phone_numbers(const json::value& v, const std::string& field,
                                                    const std::string& /*region*/) const {
  return strings(v, field);
}

void read_campaign(const FieldReader& r, const json::object& o, CampaignConfig& c) {
  if (auto* v = o.if_contains("id")) c.id = r.string(*v, "id");
  if (c.id.empty()) r.fail("id", "must not be empty");
  if (auto* v = o.if_contains("name")) c.name = r.string(*v, "name");
  if (auto* v = o.if_contains("dial_mode")) {
    auto mode = dial_mode_from_string(r.string(*v, "dial_mode"));
    if (!mode) r.fail("dial_mode", "must be PREVIEW, PROGRESSIVE, POWER or PREDICTIVE");
    c.dial_mode = *mode;
  }
  if (auto* v = o.if_contains("power_lines_per_agent")) {
    c.power_lines_per_agent = r.number_in(*v, "power_lines_per_agent", 1, 10);
  }
  if (auto* v = o.if_contains("call_window")) c.call_window = r.call_window(*v, "call_window");
  if (auto* v = o.if_contains("time_zone")) c.fallback_time_zone = r.time_zone(*v, "time_zone");
  if (auto* v = o.if_contains("max_attempts"))
    c.max_attempts = r.integer(*v, "max_attempts", 0, 10000);
  if (auto* v = o.if_contains("max_attempts_per_number")) {
    c.max_attempts_per_number = r.integer(*v, "max_attempts_per_number", 0, 10000);
  }
  if (auto* v = o.if_contains("retry")) read_retry(r, *v, c);
  read_calls(r, o, c);
  if (auto* v = o.if_contains("compliance")) read_compliance(r, *v, c);
}

json::object campaign_to_json(const CampaignConfig& c) {
  json::object o;
  o["id"] = c.id;
  o["name"] = c.name;
  o["dial_mode"] = to_string(c.dial_mode);
  o["power_lines_per_agent"] = c.power_lines_per_agent;
  o["call_window"] = window_to_json(c.call_window);
  o["time_zone"] = c.fallback_time_zone;
  o["max_attempts"] = c.max_attempts;
  o["max_attempts_per_number"] = c.max_attempts_per_number;
  json::object retry;
  for (const auto& [d, rule] : c.retry_rules) {
    retry[to_string(d)] = json::object{{"delay_s", to_seconds(rule.delay)}, {"final", rule.final}};
  }
  o["retry"] = std::move(retry);
  o["ring_timeout_s"] = to_seconds(c.ring_timeout);
  o["hold_window_s"] = to_seconds(c.hold_window);
  o["amd"] = c.amd;
  o["safe_harbor_message"] = c.safe_harbor_message;
  o["voicemail_message"] = c.voicemail_message;
  o["default_region"] = c.default_region;
  // An empty list means the default caller ID, written by leaving the key out.
  if (!c.caller_ids.empty()) o["caller_ids"] = strings_to_json(c.caller_ids);
  o["dial_queue_capacity"] = static_cast<std::int64_t>(c.dial_queue_capacity);
  o["dnc"] = strings_to_json(c.dnc_numbers);
  const ComplianceProfile& p = c.compliance;
  json::object cp;
  cp["name"] = p.name;
  cp["abandon_cap"] = p.abandon_cap;
  cp["abandon_window_h"] = to_seconds(p.abandon_window) / kHour;
  cp["count_amd_false_positives"] = p.count_amd_false_positives;
  cp["amd_false_positive_rate"] = p.amd_false_positive_rate;
  cp["abandon_guard_risk"] = p.abandon_guard_risk;
  cp["hold_window_s"] = to_seconds(p.hold_window);
  cp["min_ring_s"] = to_seconds(p.min_ring);
  cp["call_window"] = window_to_json(p.call_window);
  json::array regions;
  for (const auto& rule : p.region_rules) {
    regions.push_back(json::object{
        {"region", rule.region},
        {"call_window",
         rule.call_window ? json::value(window_to_json(*rule.call_window)) : json::value(nullptr)},
        {"max_calls_per_24h", rule.max_calls_per_24h}});
  }
  cp["region_rules"] = std::move(regions);
  cp["holidays"] = strings_to_json(p.holidays);
  cp["no_repeat_after_abandon_h"] = to_seconds(p.no_repeat_after_abandon) / kHour;
  cp["no_repeat_after_machine_h"] = to_seconds(p.no_repeat_after_machine) / kHour;
  o["compliance"] = std::move(cp);
  return o;
}

}  // namespace omnivox::campaign_json
