#include "omnivox/config.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

#include "core/input_checks.h"

namespace omnivox {
namespace json = boost::json;
namespace {

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

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

// The JSON text of a campaign file: without its UTF-8 byte order mark (editors on Windows write
// one), and only if it is UTF-8 at all, as JSON requires; else an error naming where it stops
// being UTF-8 (line:column and byte offset in the file).
std::string_view utf8_json(std::string_view text, const std::string& source) {
  const std::size_t bom = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  const std::size_t bad = bom + detail::utf8_valid_prefix(text.substr(bom));
  if (bad == text.size()) return text.substr(bom);
  const std::size_t line = 1 + std::count(text.begin(), text.begin() + bad, '\n');
  const std::size_t newline = bad == 0 ? std::string_view::npos : text.rfind('\n', bad - 1);
  const std::size_t column = bad - (newline == std::string_view::npos ? 0 : newline + 1) + 1;
  static const char* const kHex = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(text[bad]);
  throw Error(ErrorCode::kConfig, source + ":" + std::to_string(line) + ":" +
                                      std::to_string(column) + ": not UTF-8 (byte 0x" +
                                      kHex[byte >> 4] + kHex[byte & 0xF] + " at offset " +
                                      std::to_string(bad) + "); save the campaign file as UTF-8");
}

// A decimal port number, 0–65535, or nullopt.
std::optional<std::uint16_t> port_number(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(ch - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// A duration in whole milliseconds, 0 to a day, as the AMD thresholds are written ("*_ms").
Duration milliseconds(const Reader& r, const json::value& v, const std::string& field) {
  return Duration(r.integer(v, field, 0, 86400000));
}

AmdOptions read_amd_options(const Reader& r, const json::value& v) {
  const auto& o = r.object(v, "telephony.amd");
  r.allow_only(o, "telephony.amd",
               {"initial_silence_ms",
                "max_greeting_length_ms",
                "after_greeting_silence_ms",
                "total_analysis_time_ms",
                "min_word_length_ms",
                "max_word_length_ms",
                "between_words_silence_ms",
                "max_number_of_words",
                "silent_answer_is_machine",
                "detect_fax",
                "vad_probability_start",
                "vad_probability_continue",
                "voice_detector",
                "energy_gate_db",
                "beep_min_length_ms",
                "beep_min_frequency_hz",
                "beep_max_frequency_hz",
                "beep_tone_share_percent",
                "beep_min_level_db",
                "beep_silence_ms",
                "beep_max_wait_ms"});
  AmdOptions a;
  const std::string f = "telephony.amd.";
  const std::pair<const char*, Duration AmdOptions::*> durations[] = {
      {"initial_silence_ms", &AmdOptions::initial_silence},
      {"max_greeting_length_ms", &AmdOptions::max_greeting_length},
      {"after_greeting_silence_ms", &AmdOptions::after_greeting_silence},
      {"total_analysis_time_ms", &AmdOptions::total_analysis_time},
      {"min_word_length_ms", &AmdOptions::min_word_length},
      {"max_word_length_ms", &AmdOptions::max_word_length},
      {"between_words_silence_ms", &AmdOptions::between_words_silence},
      {"beep_min_length_ms", &AmdOptions::beep_min_length},
      {"beep_silence_ms", &AmdOptions::beep_silence},
      {"beep_max_wait_ms", &AmdOptions::beep_max_wait}};
  for (const auto& [key, member] : durations) {
    if (auto* x = o.if_contains(key)) a.*member = milliseconds(r, *x, f + key);
  }
  if (auto* x = o.if_contains("max_number_of_words")) {
    a.max_number_of_words = r.integer(*x, f + "max_number_of_words", 1, 1000);
  }
  if (auto* x = o.if_contains("silent_answer_is_machine")) {
    a.silent_answer_is_machine = r.boolean(*x, f + "silent_answer_is_machine");
  }
  if (auto* x = o.if_contains("detect_fax")) a.detect_fax = r.boolean(*x, f + "detect_fax");
  if (auto* x = o.if_contains("vad_probability_start")) {
    a.vad_probability_start = r.integer(*x, f + "vad_probability_start", 0, 100);
  }
  if (auto* x = o.if_contains("vad_probability_continue")) {
    a.vad_probability_continue = r.integer(*x, f + "vad_probability_continue", 0, 100);
  }
  if (auto* x = o.if_contains("voice_detector")) {
    const std::string d = r.string(*x, f + "voice_detector");
    if (d == "speex") {
      a.voice_detector = AmdVoiceDetector::kSpeex;
    } else if (d == "energy") {
      a.voice_detector = AmdVoiceDetector::kEnergy;
    } else if (d == "speex_and_energy") {
      a.voice_detector = AmdVoiceDetector::kSpeexAndEnergy;
    } else {
      r.fail(f + "voice_detector", "must be \"speex\", \"energy\" or \"speex_and_energy\"");
    }
  }
  const std::tuple<const char*, int AmdOptions::*, int, int> integers[] = {
      {"energy_gate_db", &AmdOptions::energy_gate_db, 0, 60},
      {"beep_min_frequency_hz", &AmdOptions::beep_min_frequency_hz, 100, 3900},
      {"beep_max_frequency_hz", &AmdOptions::beep_max_frequency_hz, 100, 3900},
      {"beep_tone_share_percent", &AmdOptions::beep_tone_share_percent, 1, 100},
      {"beep_min_level_db", &AmdOptions::beep_min_level_db, -90, 0}};
  for (const auto& [key, member, lo, hi] : integers) {
    if (auto* x = o.if_contains(key)) a.*member = r.integer(*x, f + key, lo, hi);
  }
  if (a.beep_max_frequency_hz < a.beep_min_frequency_hz) {
    r.fail(f + "beep_max_frequency_hz", "must not be below beep_min_frequency_hz");
  }
  return a;
}

// The `telephony` section. The SIP settings are checked whichever backend is chosen, so switching
// "backend" is the only edit between a rehearsal on the simulator and real calls.
TelephonyConfig read_telephony(const Reader& r, const json::value& v, const std::string& base_dir) {
  const auto& o = r.object(v, "telephony");
  r.allow_only(o, "telephony",
               {"backend", "listen", "trunk", "rtp_ports", "calls_per_second", "max_queue_wait_s",
                "options_interval_s", "keep_plus_in_request_uri", "user_agent", "agents", "amd",
                "safe_harbor_wav", "voicemail_wav", "public_url"});
  TelephonyConfig t;
  if (auto* x = o.if_contains("backend")) {
    const std::string backend = r.string(*x, "telephony.backend");
    if (backend == "simulator") {
      t.backend = TelephonyConfig::Backend::kSimulator;
    } else if (backend == "sip") {
      t.backend = TelephonyConfig::Backend::kSip;
    } else if (backend == "twilio") {
      t.backend = TelephonyConfig::Backend::kTwilio;
    } else {
      r.fail("telephony.backend",
             "must be \"simulator\", \"sip\" or \"twilio\", got '" + backend + "'");
    }
  }
  if (auto* x = o.if_contains("public_url")) {
    t.public_url = r.string(*x, "telephony.public_url");
    if (t.public_url.rfind("https://", 0) != 0 && t.public_url.rfind("http://", 0) != 0) {
      r.fail("telephony.public_url", "must start with https:// (or http://)");
    }
    while (!t.public_url.empty() && t.public_url.back() == '/') t.public_url.pop_back();
  }
  if (auto* x = o.if_contains("listen")) {
    t.listen = r.string(*x, "telephony.listen");
    const std::size_t colon = t.listen.rfind(':');
    if (colon == std::string::npos || colon == 0 ||
        !port_number(std::string_view(t.listen).substr(colon + 1))) {
      r.fail("telephony.listen", "must be \"host:port\" (port 0-65535), got '" + t.listen + "'");
    }
  }
  if (auto* x = o.if_contains("trunk")) {
    t.trunk = r.string(*x, "telephony.trunk");
    if (!t.trunk.starts_with("sip:") || t.trunk.size() == 4) {
      r.fail("telephony.trunk", "must be a SIP URI \"sip:host[:port]\", got '" + t.trunk + "'");
    }
  }
  if (auto* x = o.if_contains("rtp_ports")) {
    const std::string text = r.string(*x, "telephony.rtp_ports");
    const std::size_t dash = text.find('-');
    std::optional<std::uint16_t> lo, hi;
    if (dash != std::string::npos) {
      lo = port_number(std::string_view(text).substr(0, dash));
      hi = port_number(std::string_view(text).substr(dash + 1));
    }
    if (!lo || !hi || *lo == 0 || *hi <= *lo) {
      r.fail("telephony.rtp_ports",
             "must be \"first-last\" with 1 <= first < last <= 65535, got '" + text + "'");
    }
    t.rtp_port_min = *lo;
    t.rtp_port_max = *hi;
  }
  if (auto* x = o.if_contains("calls_per_second")) {
    t.calls_per_second = r.number_in(*x, "telephony.calls_per_second", 0.01, 10000);
  }
  if (auto* x = o.if_contains("max_queue_wait_s")) {
    t.max_queue_wait_s = r.number_in(*x, "telephony.max_queue_wait_s", 0, 3600);
  }
  if (auto* x = o.if_contains("options_interval_s")) {
    t.options_interval_s = r.number_in(*x, "telephony.options_interval_s", 0, 86400);
  }
  if (auto* x = o.if_contains("keep_plus_in_request_uri")) {
    t.keep_plus_in_request_uri = r.boolean(*x, "telephony.keep_plus_in_request_uri");
  }
  if (auto* x = o.if_contains("user_agent")) {
    t.user_agent = r.string(*x, "telephony.user_agent");
    // A header value: a line break would end the header and start another.
    if (t.user_agent.empty() || t.user_agent.find_first_of("\r\n") != std::string::npos) {
      r.fail("telephony.user_agent", "must be one non-empty line");
    }
  }
  if (auto* x = o.if_contains("agents")) {
    if (!x->is_array()) r.fail("telephony.agents", "must be an array of {id, uri}");
    std::set<std::string> ids;
    for (std::size_t i = 0; i < x->get_array().size(); ++i) {
      const std::string field = "telephony.agents[" + std::to_string(i) + "]";
      const auto& a = r.object(x->get_array()[i], field);
      r.allow_only(a, field, {"id", "uri"});
      const auto* id = a.if_contains("id");
      const auto* uri = a.if_contains("uri");
      if (!id || !uri) r.fail(field, "needs \"id\" and \"uri\"");
      SipAgentConfig agent{r.string(*id, field + ".id"), r.string(*uri, field + ".uri")};
      if (agent.id.empty()) r.fail(field + ".id", "must not be empty");
      if (!ids.insert(agent.id).second) {
        r.fail(field + ".id", "'" + agent.id + "' is listed twice");
      }
      if (!agent.uri.starts_with("sip:") || agent.uri.size() == 4) {
        r.fail(field + ".uri",
               "must be a SIP URI \"sip:user@host[:port]\", got '" + agent.uri + "'");
      }
      t.agents.push_back(std::move(agent));
    }
  }
  if (auto* x = o.if_contains("amd")) t.amd = read_amd_options(r, *x);
  if (auto* x = o.if_contains("safe_harbor_wav")) {
    t.safe_harbor_wav = resolve(base_dir, r.path(*x, "telephony.safe_harbor_wav"));
  }
  if (auto* x = o.if_contains("voicemail_wav")) {
    t.voicemail_wav = resolve(base_dir, r.path(*x, "telephony.voicemail_wav"));
  }
  if (t.backend == TelephonyConfig::Backend::kTwilio && t.public_url.empty()) {
    r.fail("telephony.public_url", "is required with the Twilio backend");
  }
  if (t.backend == TelephonyConfig::Backend::kSip) {
    if (t.trunk.empty()) r.fail("telephony.trunk", "is required with the SIP backend");
    if (t.agents.empty()) {
      r.fail("telephony.agents", "must list at least one agent's phone with the SIP backend");
    }
  }
  return t;
}

// The `inbound` queues, `agent_skills` and `blending` (docs/blending.md).
void read_inbound(const Reader& r, const json::object& o, CampaignFile& f) {
  if (auto* v = o.if_contains("inbound")) {
    if (!v->is_array()) r.fail("inbound", "must be an array of queues");
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      const std::string field = "inbound[" + std::to_string(i) + "]";
      const auto& q = r.object(v->get_array()[i], field);
      r.allow_only(q, field,
                   {"id", "numbers", "priority", "answer_within_s", "service_level_target"});
      InboundQueueConfig queue;
      if (auto* x = q.if_contains("id")) queue.id = r.string(*x, field + ".id");
      if (queue.id.empty()) r.fail(field + ".id", "is required and must not be empty");
      for (const auto& other : f.inbound) {
        if (other.id == queue.id) r.fail(field + ".id", "'" + queue.id + "' is used twice");
      }
      if (auto* x = q.if_contains("numbers")) queue.numbers = r.strings(*x, field + ".numbers");
      if (auto* x = q.if_contains("priority"))
        queue.priority = r.integer(*x, field + ".priority", -1000, 1000);
      if (auto* x = q.if_contains("answer_within_s")) {
        queue.answer_within =
            seconds_to_duration(r.number_in(*x, field + ".answer_within_s", 0, 86400));
      }
      if (auto* x = q.if_contains("service_level_target")) {
        queue.service_level_target = r.number_in(*x, field + ".service_level_target", 0, 1);
      }
      f.inbound.push_back(std::move(queue));
    }
  }
  auto known_queue = [&](const std::string& id, const std::string& field) {
    for (const auto& q : f.inbound) {
      if (q.id == id) return;
    }
    r.fail(field, "'" + id + "' is not one of the inbound queues");
  };
  if (auto* v = o.if_contains("agent_skills")) {
    if (!v->is_array()) r.fail("agent_skills", "must be an array of agent groups");
    int total = 0;
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      const std::string field = "agent_skills[" + std::to_string(i) + "]";
      const auto& g = r.object(v->get_array()[i], field);
      r.allow_only(g, field, {"agents", "queues", "outbound"});
      AgentSkillGroup group;
      const auto* count = g.if_contains("agents");
      if (!count) r.fail(field + ".agents", "is required");
      group.agents = r.integer(*count, field + ".agents", 0, 100000);
      total += group.agents;
      if (auto* x = g.if_contains("outbound"))
        group.skills.outbound = r.boolean(*x, field + ".outbound");
      if (auto* x = g.if_contains("queues")) {
        if (!x->is_array()) r.fail(field + ".queues", "must be an array");
        for (std::size_t k = 0; k < x->get_array().size(); ++k) {
          const std::string qf = field + ".queues[" + std::to_string(k) + "]";
          const json::value& item = x->get_array()[k];
          InboundSkill skill;
          if (item.is_string()) {
            skill.queue = r.string(item, qf);
          } else {
            const auto& so = r.object(item, qf);
            r.allow_only(so, qf, {"queue", "priority"});
            const auto* name = so.if_contains("queue");
            if (!name) r.fail(qf + ".queue", "is required");
            skill.queue = r.string(*name, qf + ".queue");
            if (auto* p = so.if_contains("priority"))
              skill.priority = r.integer(*p, qf + ".priority", -1000, 1000);
          }
          known_queue(skill.queue, qf);
          group.skills.queues.push_back(std::move(skill));
        }
      }
      f.agent_skills.push_back(std::move(group));
    }
    if (total > f.agents) {
      r.fail("agent_skills", "the groups have " + std::to_string(total) +
                                 " agents, more than the campaign's " + std::to_string(f.agents));
    }
  }
  if (auto* v = o.if_contains("blending")) {
    const auto& b = r.object(*v, "blending");
    r.allow_only(b, "blending",
                 {"rule", "reserve", "queue", "min_free_all", "min_free_outbound", "kappa", "c"});
    BlendingConfig& c = f.blending;
    if (auto* x = b.if_contains("rule")) {
      const std::string rule = r.string(*x, "blending.rule");
      if (rule == "none")
        c.rule = BlendingRule::kNone;
      else if (rule == "threshold")
        c.rule = BlendingRule::kThreshold;
      else if (rule == "service_level")
        c.rule = BlendingRule::kServiceLevel;
      else if (rule == "dialxfree")
        c.rule = BlendingRule::kDialxfree;
      else
        r.fail("blending.rule", "must be none, threshold, service_level or dialxfree");
    }
    if (auto* x = b.if_contains("reserve"))
      c.reserve = r.integer(*x, "blending.reserve", 0, 100000);
    if (auto* x = b.if_contains("queue")) {
      c.queue = r.string(*x, "blending.queue");
      known_queue(c.queue, "blending.queue");
    }
    if (auto* x = b.if_contains("min_free_all"))
      c.min_free_all = r.integer(*x, "blending.min_free_all", 0, 100000);
    if (auto* x = b.if_contains("min_free_outbound"))
      c.min_free_outbound = r.integer(*x, "blending.min_free_outbound", 0, 100000);
    if (auto* x = b.if_contains("kappa")) c.kappa = r.number_in(*x, "blending.kappa", 0, 100);
    if (auto* x = b.if_contains("c")) c.c = r.integer(*x, "blending.c", -1000, 1000);
  }
}

// `simulation.inbound`: the arrival streams.
std::vector<InboundArrivals> read_inbound_arrivals(const Reader& r, const json::value& v) {
  if (!v.is_array()) r.fail("simulation.inbound", "must be an array of arrival streams");
  std::vector<InboundArrivals> out;
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    const std::string field = "simulation.inbound[" + std::to_string(i) + "]";
    const auto& a = r.object(v.get_array()[i], field);
    r.allow_only(a, field,
                 {"number", "from", "start", "periods", "busyness_shape", "service_s", "patience_s",
                  "balk_probability"});
    InboundArrivals s;
    const auto* number = a.if_contains("number");
    if (!number) r.fail(field + ".number", "is required");
    s.number = r.string(*number, field + ".number");
    if (auto* x = a.if_contains("from")) s.from = r.string(*x, field + ".from");
    if (auto* x = a.if_contains("start")) {
      try {
        s.start = parse_utc(r.string(*x, field + ".start"));
      } catch (const Error& e) {
        r.fail(field + ".start", e.what());
      }
    }
    if (auto* x = a.if_contains("periods")) {
      if (!x->is_array()) r.fail(field + ".periods", "must be an array of {hours, calls_per_hour}");
      for (std::size_t k = 0; k < x->get_array().size(); ++k) {
        const std::string pf = field + ".periods[" + std::to_string(k) + "]";
        const auto& p = r.object(x->get_array()[k], pf);
        r.allow_only(p, pf, {"hours", "calls_per_hour"});
        const auto* hours = p.if_contains("hours");
        const auto* rate = p.if_contains("calls_per_hour");
        if (!hours || !rate) r.fail(pf, "needs \"hours\" and \"calls_per_hour\"");
        s.periods.emplace_back(
            seconds_to_duration(3600 * r.number_in(*hours, pf + ".hours", 0, 8760)),
            r.number_in(*rate, pf + ".calls_per_hour", 0, 1e6));
      }
    }
    if (auto* x = a.if_contains("busyness_shape"))
      s.busyness_shape = r.number_in(*x, field + ".busyness_shape", 0, 1e6);
    if (auto* x = a.if_contains("service_s")) s.service = r.distribution(*x, field + ".service_s");
    if (auto* x = a.if_contains("patience_s"))
      s.patience = r.distribution(*x, field + ".patience_s");
    if (auto* x = a.if_contains("balk_probability"))
      s.balk_probability = r.number_in(*x, field + ".balk_probability", 0, 1);
    out.push_back(std::move(s));
  }
  return out;
}

// The campaign's identity and when and how it dials: id, name, dial mode, agents, start, call
// window, agent shift, time zone, attempt limits.
void read_dialing(const Reader& r, const json::object& o, CampaignFile& f) {
  CampaignConfig& c = f.campaign;
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
  if (auto* v = o.if_contains("agents")) f.agents = r.integer(*v, "agents", 1, 100000);
  if (auto* v = o.if_contains("start")) {
    try {
      f.start = parse_utc(r.string(*v, "start"));
    } catch (const Error& e) {
      r.fail("start", e.what());
    }
  }
  if (auto* v = o.if_contains("call_window")) {
    // "09:00-21:00" for every day, or {"default": "...", "sunday": "closed", ...}
    if (v->is_string()) {
      LocalTimeRange range = r.range(*v, "call_window");
      for (auto& day : c.call_window.by_weekday) day = range;
    } else {
      const auto& w = r.object(*v, "call_window");
      static const char* const kDays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                          "thursday", "friday", "saturday"};
      r.allow_only(w, "call_window",
                   {"default", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
                    "saturday"});
      LocalTimeRange def{};
      if (auto* d = w.if_contains("default")) def = r.range(*d, "call_window.default");
      for (int day = 0; day < 7; ++day) {
        c.call_window.by_weekday[day] = def;
        if (auto* d = w.if_contains(kDays[day])) {
          c.call_window.by_weekday[day] = r.range(*d, std::string("call_window.") + kDays[day]);
        }
      }
    }
  }
  f.agent_shift = c.call_window;
  if (auto* v = o.if_contains("agent_shift")) {
    LocalTimeRange range = r.range(*v, "agent_shift");
    for (int day = 0; day < 7; ++day) {
      // Agents work on the days calls are allowed.
      f.agent_shift.by_weekday[day] =
          c.call_window.by_weekday[day].closed() ? LocalTimeRange{} : range;
    }
  }
  if (auto* v = o.if_contains("time_zone")) c.fallback_time_zone = r.time_zone(*v, "time_zone");
  if (auto* v = o.if_contains("max_attempts"))
    c.max_attempts = r.integer(*v, "max_attempts", 0, 10000);
  if (auto* v = o.if_contains("max_attempts_per_number")) {
    c.max_attempts_per_number = r.integer(*v, "max_attempts_per_number", 0, 10000);
  }
}

// `retry`: a rule per disposition.
void read_retry(const Reader& r, const json::value& v, CampaignConfig& c) {
  // {"NO_ANSWER": {"delay_s": 1800}, "FAX": {"final": true}, "BUSY": 600}
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
void read_calls(const Reader& r, const json::object& o, CampaignConfig& c) {
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
    c.default_region = r.region(*v, "default_region").default_region();
  }
  const PhoneNormalizer numbers(c.default_region);
  if (auto* v = o.if_contains("caller_ids")) {
    c.caller_ids = r.phone_numbers(*v, "caller_ids", numbers);
    if (c.caller_ids.empty()) {
      r.fail("caller_ids", "must list at least one number (leave the key out for the default)");
    }
  }
  if (auto* v = o.if_contains("dial_queue_capacity")) {
    c.dial_queue_capacity = r.integer(*v, "dial_queue_capacity", 0, 10000000);
  }
  if (auto* v = o.if_contains("dnc")) c.dnc_numbers = r.phone_numbers(*v, "dnc", numbers);
}

// `compliance`: a profile by name, or a custom one over a base profile.
void read_compliance(const Reader& r, const json::value& v, CampaignConfig& c) {
  // "US_FTC_FCC", or {"base": "UK_OFCOM", "name": "...", overrides...} for a custom profile.
  auto named = [&](const std::string& name, const std::string& field) {
    auto p = ComplianceProfile::by_name(name);
    if (!p)
      r.fail(field,
             "unknown profile '" + name + "' (NONE, US_FTC_FCC, UK_OFCOM, CA_CRTC, AU_ACMA)");
    return *p;
  };
  if (v.is_string()) {
    c.compliance = named(r.string(v, "compliance"), "compliance");
  } else {
    const auto& co = r.object(v, "compliance");
    r.allow_only(
        co, "compliance",
        {"base", "name", "abandon_cap", "abandon_window_h", "count_amd_false_positives",
         "amd_false_positive_rate", "hold_window_s", "min_ring_s", "call_window", "holidays",
         "no_repeat_after_abandon_h", "no_repeat_after_machine_h", "abandon_guard_risk"});
    c.compliance = ComplianceProfile::none();
    if (auto* x = co.if_contains("base"))
      c.compliance = named(r.string(*x, "compliance.base"), "compliance.base");
    c.compliance.name = "CUSTOM";
    if (auto* x = co.if_contains("name")) c.compliance.name = r.string(*x, "compliance.name");
    if (auto* x = co.if_contains("abandon_cap"))
      c.compliance.abandon_cap = r.number_in(*x, "compliance.abandon_cap", 0.0001, 1);
    if (auto* x = co.if_contains("abandon_window_h")) {
      c.compliance.abandon_window =
          seconds_to_duration(r.number_in(*x, "compliance.abandon_window_h", 0, 24 * 3650) * 3600);
    }
    if (auto* x = co.if_contains("count_amd_false_positives")) {
      c.compliance.count_amd_false_positives =
          r.boolean(*x, "compliance.count_amd_false_positives");
    }
    if (auto* x = co.if_contains("amd_false_positive_rate")) {
      c.compliance.amd_false_positive_rate =
          r.number_in(*x, "compliance.amd_false_positive_rate", 0, 1);
    }
    if (auto* x = co.if_contains("abandon_guard_risk")) {
      c.compliance.abandon_guard_risk = r.number_in(*x, "compliance.abandon_guard_risk", 0, 0.01);
    }
    if (auto* x = co.if_contains("hold_window_s")) {
      c.compliance.hold_window =
          seconds_to_duration(r.number_in(*x, "compliance.hold_window_s", 0, 600));
    }
    if (auto* x = co.if_contains("min_ring_s")) {
      c.compliance.min_ring = seconds_to_duration(r.number_in(*x, "compliance.min_ring_s", 0, 600));
    }
    if (auto* x = co.if_contains("call_window")) {
      LocalTimeRange range = r.range(*x, "compliance.call_window");
      for (auto& day : c.compliance.call_window.by_weekday) day = range;
    }
    if (auto* x = co.if_contains("holidays"))
      c.compliance.holidays = r.strings(*x, "compliance.holidays");
    if (auto* x = co.if_contains("no_repeat_after_abandon_h")) {
      c.compliance.no_repeat_after_abandon = seconds_to_duration(
          r.number_in(*x, "compliance.no_repeat_after_abandon_h", 0, 24 * 365) * 3600);
    }
    if (auto* x = co.if_contains("no_repeat_after_machine_h")) {
      c.compliance.no_repeat_after_machine = seconds_to_duration(
          r.number_in(*x, "compliance.no_repeat_after_machine_h", 0, 24 * 365) * 3600);
    }
  }
}

// `contacts`: the file and how its columns map onto contacts.
void read_contacts(const Reader& r, const json::value& v, const std::string& base_dir,
                   CampaignFile& f) {
  const auto& co = r.object(v, "contacts");
  r.allow_only(co, "contacts",
               {"file", "default_region", "phone_columns", "id_column", "priority_column",
                "time_zone_column", "delimiter"});
  if (auto* x = co.if_contains("file"))
    f.contacts_path = resolve(base_dir, r.path(*x, "contacts.file"));
  if (auto* x = co.if_contains("default_region")) {
    f.import.default_region = r.region(*x, "contacts.default_region").default_region();
  }
  if (auto* x = co.if_contains("phone_columns")) {
    f.import.mapping.phone_columns = r.strings(*x, "contacts.phone_columns");
    if (f.import.mapping.phone_columns.empty())
      r.fail("contacts.phone_columns", "must not be empty");
  }
  if (auto* x = co.if_contains("id_column")) {
    f.import.mapping.external_id_column = r.string(*x, "contacts.id_column");
  }
  if (auto* x = co.if_contains("priority_column")) {
    f.import.mapping.priority_column = r.string(*x, "contacts.priority_column");
  }
  if (auto* x = co.if_contains("time_zone_column")) {
    f.import.mapping.time_zone_column = r.string(*x, "contacts.time_zone_column");
  }
  if (auto* x = co.if_contains("delimiter")) {
    std::string d = r.string(*x, "contacts.delimiter");
    if (d != "," && d != ";") r.fail("contacts.delimiter", "must be \",\" or \";\"");
    f.import.delimiter = d[0];
  }
}

// The parametric world of `simulation` (`so`): outcome probabilities and delays.
void read_parametric_world(const Reader& r, const json::object& so, ParametricWorld& p) {
  if (auto* x = so.if_contains("p_live")) p.p_live = r.number_in(*x, "simulation.p_live", 0, 1);
  if (auto* x = so.if_contains("p_machine"))
    p.p_machine = r.number_in(*x, "simulation.p_machine", 0, 1);
  if (auto* x = so.if_contains("p_busy")) p.p_busy = r.number_in(*x, "simulation.p_busy", 0, 1);
  if (auto* x = so.if_contains("p_invalid"))
    p.p_invalid = r.number_in(*x, "simulation.p_invalid", 0, 1);
  if (p.p_live + p.p_machine + p.p_busy + p.p_invalid > 1.0 + 1e-9) {
    r.fail("simulation.p_live", "p_live + p_machine + p_busy + p_invalid must be <= 1");
  }
  if (auto* x = so.if_contains("answer_delay_s"))
    p.answer_delay = r.distribution(*x, "simulation.answer_delay_s");
  if (auto* x = so.if_contains("busy_delay_s"))
    p.busy_delay = r.distribution(*x, "simulation.busy_delay_s");
  if (auto* x = so.if_contains("talk_s")) p.talk = r.distribution(*x, "simulation.talk_s");
  if (auto* x = so.if_contains("p_sale")) p.p_sale = r.number_in(*x, "simulation.p_sale", 0, 1);
  if (auto* x = so.if_contains("p_live_changes")) {
    // [{"at": "2026-05-04T16:00:00Z", "p_live": 0.15}, ...]
    if (!x->is_array()) r.fail("simulation.p_live_changes", "must be an array of {at, p_live}");
    for (std::size_t i = 0; i < x->get_array().size(); ++i) {
      std::string field = "simulation.p_live_changes[" + std::to_string(i) + "]";
      const auto& ch = r.object(x->get_array()[i], field);
      r.allow_only(ch, field, {"at", "p_live"});
      const auto* at = ch.if_contains("at");
      const auto* pl = ch.if_contains("p_live");
      if (!at || !pl) r.fail(field, "needs \"at\" and \"p_live\"");
      TimePoint when;
      try {
        when = parse_utc(r.string(*at, field + ".at"));
      } catch (const Error& e) {
        r.fail(field + ".at", e.what());
      }
      p.p_live_changes.emplace_back(when, r.number_in(*pl, field + ".p_live", 0, 1));
    }
    std::sort(p.p_live_changes.begin(), p.p_live_changes.end());
  }
}

// `simulation`: the simulated world (parametric or a replay of the contacts file) and agents.
void read_simulation(const Reader& r, const json::value& v, const std::string& base_dir,
                     CampaignFile& f) {
  const auto& so = r.object(v, "simulation");
  r.allow_only(so, "simulation",
               {"seed",
                "world",
                "replay_file",
                "share_no_answer",
                "share_busy",
                "share_machine",
                "p_live",
                "p_machine",
                "p_busy",
                "p_invalid",
                "answer_delay_s",
                "talk_s",
                "p_sale",
                "wrap_up_s",
                "setup_delay_s",
                "amd_delay_s",
                "amd_false_positive",
                "amd_false_negative",
                "bridge_delay_s",
                "patience_s",
                "busy_delay_s",
                "p_live_changes",
                "inbound"});
  SimulationOptions& s = f.simulation;
  if (auto* x = so.if_contains("seed"))
    s.seed = static_cast<std::uint64_t>(r.integer(*x, "simulation.seed", 0, 2147483647));
  std::string world = "parametric";
  if (auto* x = so.if_contains("world")) world = r.string(*x, "simulation.world");
  if (world != "parametric" && world != "replay") {
    r.fail("simulation.world", "must be \"parametric\" or \"replay\"");
  }
  if (world == "replay") {
    f.replay_path = f.contacts_path;
    if (auto* x = so.if_contains("replay_file")) {
      f.replay_path = resolve(base_dir, r.path(*x, "simulation.replay_file"));
    }
    if (f.replay_path.empty()) r.fail("simulation.replay_file", "is required for the replay world");
    s.replay = ReplayWorld{};
    if (auto* x = so.if_contains("share_no_answer"))
      s.replay->share_no_answer = r.number_in(*x, "simulation.share_no_answer", 0, 1);
    if (auto* x = so.if_contains("share_busy"))
      s.replay->share_busy = r.number_in(*x, "simulation.share_busy", 0, 1);
    if (auto* x = so.if_contains("share_machine"))
      s.replay->share_machine = r.number_in(*x, "simulation.share_machine", 0, 1);
    if (auto* x = so.if_contains("answer_delay_s"))
      s.replay->answer_delay = r.distribution(*x, "simulation.answer_delay_s");
    if (auto* x = so.if_contains("busy_delay_s"))
      s.replay->busy_delay = r.distribution(*x, "simulation.busy_delay_s");
  } else {
    read_parametric_world(r, so, s.parametric);
  }
  if (auto* x = so.if_contains("wrap_up_s")) s.wrap_up = r.distribution(*x, "simulation.wrap_up_s");
  if (auto* x = so.if_contains("setup_delay_s"))
    s.setup_delay = r.distribution(*x, "simulation.setup_delay_s");
  if (auto* x = so.if_contains("amd_delay_s"))
    s.amd_delay = r.distribution(*x, "simulation.amd_delay_s");
  if (auto* x = so.if_contains("amd_false_positive"))
    s.amd_false_positive = r.number_in(*x, "simulation.amd_false_positive", 0, 1);
  if (auto* x = so.if_contains("amd_false_negative"))
    s.amd_false_negative = r.number_in(*x, "simulation.amd_false_negative", 0, 1);
  if (auto* x = so.if_contains("bridge_delay_s"))
    s.bridge_delay = r.distribution(*x, "simulation.bridge_delay_s");
  if (auto* x = so.if_contains("patience_s"))
    s.patience = r.distribution(*x, "simulation.patience_s");
  if (auto* x = so.if_contains("inbound")) s.inbound = read_inbound_arrivals(r, *x);
}

}  // namespace

CampaignFile parse_campaign_json(const std::string& text, const std::string& base_dir,
                                 const std::string& source) {
  Reader r(source);
  json::value root;
  {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.allow_comments = true;
    opts.allow_trailing_commas = true;
    root = json::parse(utf8_json(text, source), ec, {}, opts);
    if (ec) throw Error(ErrorCode::kConfig, source + ": not valid JSON: " + ec.message());
  }
  const auto& o = r.object(root, "(top level)");
  r.allow_only(o, "",
               {"id",
                "name",
                "dial_mode",
                "power_lines_per_agent",
                "agents",
                "start",
                "call_window",
                "time_zone",
                "max_attempts",
                "max_attempts_per_number",
                "retry",
                "ring_timeout_s",
                "hold_window_s",
                "amd",
                "caller_ids",
                "safe_harbor_message",
                "voicemail_message",
                "default_region",
                "dial_queue_capacity",
                "dnc",
                "contacts",
                "simulation",
                "max_duration_days",
                "agent_shift",
                "compliance",
                "telephony",
                "inbound",
                "agent_skills",
                "blending"});
  CampaignFile f;
  read_dialing(r, o, f);
  CampaignConfig& c = f.campaign;
  if (auto* v = o.if_contains("retry")) read_retry(r, *v, c);
  read_calls(r, o, c);
  if (auto* v = o.if_contains("compliance")) read_compliance(r, *v, c);
  if (auto* v = o.if_contains("max_duration_days")) {
    f.max_duration = seconds_to_duration(r.number_in(*v, "max_duration_days", 0.001, 3650) * 86400);
  }
  f.import.default_region = c.default_region;
  if (auto* v = o.if_contains("contacts")) read_contacts(r, *v, base_dir, f);
  if (auto* v = o.if_contains("telephony")) {
    f.telephony = read_telephony(r, *v, base_dir);
    // With real phones the agents are the phones listed; a different count is a mistake.
    if (f.telephony.backend == TelephonyConfig::Backend::kSip) {
      const int listed = static_cast<int>(f.telephony.agents.size());
      if (o.if_contains("agents") && f.agents != listed) {
        r.fail("agents", std::to_string(f.agents) + " agents, but telephony.agents lists " +
                             std::to_string(listed) +
                             " (leave \"agents\" out with the SIP backend)");
      }
      f.agents = listed;
    }
  }
  if (auto* v = o.if_contains("simulation")) read_simulation(r, *v, base_dir, f);
  read_inbound(r, o, f);
  return f;
}

void apply_inbound(const CampaignFile& file, Engine& engine, const std::vector<AgentId>& agents) {
  for (const auto& queue : file.inbound) engine.add_inbound_queue(queue);
  std::size_t next = 0;
  for (const auto& group : file.agent_skills) {
    for (int i = 0; i < group.agents && next < agents.size(); ++i) {
      engine.set_agent_skills(agents[next++], group.skills);
    }
  }
  engine.set_blending(file.campaign.id, file.blending);
}

CampaignFile load_campaign_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, path + ": cannot open campaign file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string base = std::filesystem::path(path).parent_path().string();
  return parse_campaign_json(buffer.str(), base, path);
}

namespace {

[[noreturn]] void scenario_fail(const std::string& path, const std::string& field,
                                const std::string& why) {
  throw Error(ErrorCode::kConfig, path + ": field '" + field + "': " + why);
}

double scenario_number(const json::value& v, const std::string& path, const std::string& field) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  scenario_fail(path, field, "must be a number");
}

}  // namespace

BenchScenario load_bench_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, path + ": cannot open scenario");
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  json::value root = json::parse(text.str(), ec, {}, opts);
  if (ec) throw Error(ErrorCode::kConfig, path + ": not valid JSON: " + ec.message());
  if (!root.is_object()) scenario_fail(path, "(top level)", "must be an object");
  const auto& o = root.get_object();
  BenchScenario s;
  for (const auto& kv : o) {
    std::string key(kv.key());
    static const char* const kKeys[] = {"name",  "description", "campaign", "seeds",
                                        "hours", "contacts",    "policies", "optimum"};
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      scenario_fail(path, key,
                    "unknown key (expected name, description, campaign, seeds, hours, contacts, "
                    "policies, optimum)");
    }
  }
  std::string base = std::filesystem::path(path).parent_path().string();
  if (auto* v = o.if_contains("name")) s.name = json::value_to<std::string>(*v);
  if (auto* v = o.if_contains("description")) s.description = json::value_to<std::string>(*v);
  if (auto* v = o.if_contains("campaign")) {
    s.file = parse_campaign_json(json::serialize(*v), base, path + " campaign");
  } else {
    scenario_fail(path, "campaign", "is required");
  }
  if (auto* v = o.if_contains("seeds"))
    s.seeds = static_cast<int>(scenario_number(*v, path, "seeds"));
  if (auto* v = o.if_contains("hours")) s.hours = scenario_number(*v, path, "hours");
  if (auto* v = o.if_contains("contacts"))
    s.contacts = static_cast<long>(scenario_number(*v, path, "contacts"));
  if (auto* v = o.if_contains("policies")) {
    if (!v->is_array()) scenario_fail(path, "policies", "must be an array of policy names");
    for (const auto& p : v->get_array()) {
      if (!p.is_string()) scenario_fail(path, "policies", "must be an array of policy names");
      s.policies.emplace_back(p.get_string());
    }
  }
  if (auto* v = o.if_contains("optimum")) {
    // {"p": 0.25, "attempt_mean_s": 20, "handle_mean_s": 120}: the stylised model's parameters.
    if (!v->is_object()) scenario_fail(path, "optimum", "must be an object");
    OptimumModel m;
    const auto& oo = v->get_object();
    if (auto* x = oo.if_contains("p")) m.p_live = scenario_number(*x, path, "optimum.p");
    if (auto* x = oo.if_contains("attempt_mean_s"))
      m.attempt_mean_s = scenario_number(*x, path, "optimum.attempt_mean_s");
    if (auto* x = oo.if_contains("handle_mean_s"))
      m.handle_mean_s = scenario_number(*x, path, "optimum.handle_mean_s");
    m.agents = s.file.agents;
    m.abandon_cap = s.file.campaign.compliance.abandon_cap;
    s.optimum = m;
  }
  if (s.seeds < 1 || s.seeds > 1000) scenario_fail(path, "seeds", "must be between 1 and 1000");
  if (!(s.hours > 0)) scenario_fail(path, "hours", "must be positive");
  if (s.policies.empty()) s.policies = {"progressive", "predictive"};
  if (s.file.contacts_path.empty() && s.contacts <= 0) {
    scenario_fail(path, "contacts",
                  "give a number of synthetic contacts or campaign.contacts.file");
  }
  return s;
}

}  // namespace omnivox
