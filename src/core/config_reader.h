// Reading a campaign file's JSON: the Reader that checks each field and names it in errors, and
// the readers of the sections that have files of their own (telephony_config.cc,
// inbound_config.cc). Internal to the config part (config.cc).
#ifndef OMNIVOX_CORE_CONFIG_READER_H_
#define OMNIVOX_CORE_CONFIG_READER_H_

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/input_checks.h"
#include "omnivox/config.h"

namespace omnivox::campaign_file {
namespace json = boost::json;

class Reader {
 public:
  Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
    throw Error(ErrorCode::kConfig, source_ + ": field '" + field + "': " + reason);
  }

  const json::object& object(const json::value& v, const std::string& field) const {
    if (!v.is_object()) fail(field, "must be an object");
    return v.get_object();
  }
  void allow_only(const json::object& o, const std::string& field,
                  std::initializer_list<const char*> keys) const {
    std::set<std::string> allowed(keys.begin(), keys.end());
    for (const auto& kv : o) {
      std::string key(kv.key());
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
        fail(field.empty() ? key : field + "." + key,
             "unknown key (expected one of: " + list + ")");
      }
    }
  }
  double number(const json::value& v, const std::string& field) const {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    if (v.is_double()) return v.get_double();
    fail(field, "must be a number");
  }
  // A number as an error message shows it: Boost.JSON reads one beyond a double's range (1e400)
  // as infinity, which would read as if "inf" had been written.
  static std::string shown(double x) {
    if (!std::isfinite(x)) return "a number out of range";
    std::ostringstream out;
    out << x;
    return out.str();
  }
  double number_in(const json::value& v, const std::string& field, double lo, double hi) const {
    double x = number(v, field);
    if (!(x >= lo && x <= hi)) {
      fail(field, "must be between " + shown(lo) + " and " + shown(hi) + ", got " + shown(x));
    }
    return x;
  }
  int integer(const json::value& v, const std::string& field, int lo, int hi) const {
    const std::string range =
        "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
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
  std::string string(const json::value& v, const std::string& field) const {
    if (!v.is_string()) fail(field, "must be a string");
    return std::string(v.get_string());
  }
  // A file path: a NUL byte (\u0000 in JSON) would silently cut it short.
  std::string path(const json::value& v, const std::string& field) const {
    std::string p = string(v, field);
    if (const auto nul = p.find('\0'); nul != std::string::npos) {
      fail(field,
           "contains a NUL byte (\\u0000) at offset " + std::to_string(nul) + "; a path cannot");
    }
    return p;
  }
  // An IANA time zone name the tz database knows (as the engine will look it up).
  std::string time_zone(const json::value& v, const std::string& field) const {
    std::string zone = string(v, field);
    if (!detail::known_time_zone(zone)) {
      fail(field, "unknown time zone '" + zone + "' (use an IANA name such as Europe/Lisbon)");
    }
    return zone;
  }
  // A region code libphonenumber knows, and the normaliser for numbers written without '+'.
  PhoneNormalizer region(const json::value& v, const std::string& field) const {
    try {
      return PhoneNormalizer(string(v, field));
    } catch (const Error& e) {
      fail(field, e.what());
    }
  }
  // E.164 numbers ("+" and the country code), each valid by libphonenumber; returned in
  // canonical form ("+1 212 555 0101" -> "+12125550101").
  std::vector<std::string> phone_numbers(const json::value& v, const std::string& field,
                                         const PhoneNormalizer& normalizer) const {
    std::vector<std::string> numbers = strings(v, field);
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      std::string reason = "it must start with '+' and the country code";
      std::optional<std::string> e164;
      if (numbers[i].starts_with('+')) e164 = normalizer.to_e164(numbers[i], &reason);
      if (!e164) {
        fail(field + "[" + std::to_string(i) + "]",
             "'" + numbers[i] + "' is not an E.164 phone number (" + reason + ")");
      }
      numbers[i] = std::move(*e164);
    }
    return numbers;
  }
  bool boolean(const json::value& v, const std::string& field) const {
    if (!v.is_bool()) fail(field, "must be true or false");
    return v.get_bool();
  }
  std::vector<std::string> strings(const json::value& v, const std::string& field) const {
    if (!v.is_array()) fail(field, "must be an array of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
      out.push_back(string(v.get_array()[i], field + "[" + std::to_string(i) + "]"));
    }
    return out;
  }
  // A number of seconds (fixed), or {"fixed": s} / {"exponential": mean} /
  // {"lognormal": [mean, sd]} / {"empirical": [s, ...]}.
  Distribution distribution(const json::value& v, const std::string& field) const {
    if (v.is_number()) return Distribution::fixed(number_in(v, field, 0, 1e7));
    const auto& o = object(v, field);
    if (o.size() != 1)
      fail(field, "must have exactly one of fixed, exponential, lognormal, gamma, empirical");
    const auto& [key, value] = *o.begin();
    std::string k(key);
    if (k == "fixed") return Distribution::fixed(number_in(value, field + ".fixed", 0, 1e7));
    if (k == "exponential") {
      return Distribution::exponential(number_in(value, field + ".exponential", 0, 1e7));
    }
    if (k == "lognormal") {
      if (!value.is_array() || value.get_array().size() != 2) {
        fail(field + ".lognormal", "must be [mean_s, sd_s]");
      }
      return Distribution::lognormal(
          number_in(value.get_array()[0], field + ".lognormal[0]", 0, 1e7),
          number_in(value.get_array()[1], field + ".lognormal[1]", 0, 1e7));
    }
    if (k == "gamma") {
      if (!value.is_array() || value.get_array().size() != 2) {
        fail(field + ".gamma", "must be [mean_s, sd_s]");
      }
      return Distribution::gamma(number_in(value.get_array()[0], field + ".gamma[0]", 0, 1e7),
                                 number_in(value.get_array()[1], field + ".gamma[1]", 0, 1e7));
    }
    if (k == "empirical") {
      if (!value.is_array() || value.get_array().empty()) {
        fail(field + ".empirical", "must be a non-empty array of seconds");
      }
      std::vector<double> samples;
      for (const auto& x : value.get_array())
        samples.push_back(number_in(x, field + ".empirical", 0, 1e7));
      return Distribution::empirical(std::move(samples));
    }
    fail(field, "unknown distribution '" + k + "'");
  }
  LocalTimeRange range(const json::value& v, const std::string& field) const {
    std::string text = string(v, field);
    if (text == "closed") return LocalTimeRange{};
    try {
      return CallWindow::parse_range(text);
    } catch (const Error& e) {
      fail(field, e.what());
    }
  }

 private:
  std::string source_;
};

// `path` relative to the campaign file's folder `base_dir` (unless absolute).
inline std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

// The `telephony` section. The SIP settings are checked whichever backend is chosen, so switching
// "backend" is the only edit between a rehearsal on the simulator and real calls.
TelephonyConfig read_telephony(const Reader& r, const json::value& v, const std::string& base_dir);

// The `inbound` queues, `agent_skills` and `blending` (docs/blending.md).
void read_inbound(const Reader& r, const json::object& o, CampaignFile& f);

// `simulation.inbound`: the arrival streams.
std::vector<InboundArrivals> read_inbound_arrivals(const Reader& r, const json::value& v);

}  // namespace omnivox::campaign_file

#endif  // OMNIVOX_CORE_CONFIG_READER_H_
