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
#include "storage/campaign_json.h"

namespace omnivox::campaign_file {
namespace json = boost::json;

// The campaign file's field reader: the campaign's own fields are read by the CampaignConfig
// codec (storage/campaign_json.h) through it, with time zones and phone numbers checked.
class Reader : public campaign_json::FieldReader {
 public:
  explicit Reader(std::string source) : FieldReader(std::move(source)) {}

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
  std::string time_zone(const json::value& v, const std::string& field) const override {
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
  // A region code libphonenumber knows.
  std::string region_code(const json::value& v, const std::string& field) const override {
    return region(v, field).default_region();
  }
  // E.164 numbers ("+" and the country code), each valid by libphonenumber; returned in
  // canonical form ("+1 212 555 0101" -> "+12125550101").
  std::vector<std::string> phone_numbers(const json::value& v, const std::string& field,
                                         const std::string& region_code) const override {
    const PhoneNormalizer normalizer(region_code);
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
