// The `telephony` section of a campaign file: the backend, the SIP trunk and phones, AMD options
// and the message recordings.
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

#include "core/config_reader.h"

namespace omnivox::campaign_file {
namespace {

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

}  // namespace

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

}  // namespace omnivox::campaign_file
