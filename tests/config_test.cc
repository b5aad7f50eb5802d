// Campaign files (omnivox/config.h): values that look plausible but cannot work are rejected when
// the file is loaded, with the field (and index) and the reason.
#include "omnivox/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "omnivox/amd.h"

namespace omnivox {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CampaignFile parse(const std::string& json) { return parse_campaign_json(json, "/base", "c.json"); }

// The kConfig message parse() throws for `json`.
std::string config_error(const std::string& json) {
  try {
    parse(json);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << json;
  return "";
}

TEST(ConfigPhoneNumbers, CallerIdsAndDncAreValidE164InCanonicalForm) {
  CampaignFile f = parse(
      R"({"id": "x", "caller_ids": ["+351210000000", "+1 212 555 0101"],
          "dnc": ["+44 20 7946 0958"]})");
  EXPECT_THAT(f.campaign.caller_ids, ElementsAre("+351210000000", "+12125550101"));
  EXPECT_THAT(f.campaign.dnc_numbers, ElementsAre("+442079460958"));
  EXPECT_TRUE(parse(R"({"id": "x", "dnc": []})").campaign.dnc_numbers.empty());
}

TEST(ConfigPhoneNumbers, RejectsEmptyCallerIdsAndNumbersThatAreNotE164) {
  EXPECT_EQ(config_error(R"({"id": "x", "caller_ids": []})"),
            "c.json: field 'caller_ids': must list at least one number (leave the key out for "
            "the default)");
  EXPECT_EQ(config_error(R"({"id": "x", "caller_ids": ["notanumber"]})"),
            "c.json: field 'caller_ids[0]': 'notanumber' is not an E.164 phone number (it must "
            "start with '+' and the country code)");
  EXPECT_EQ(config_error(R"({"id": "x", "caller_ids": ["+351210000000", "+44 12"]})"),
            "c.json: field 'caller_ids[1]': '+44 12' is not an E.164 phone number (too short for "
            "country code +44)");
  // A national number is not E.164, even when the default region would make it one.
  EXPECT_THAT(config_error(R"({"id": "x", "default_region": "PT", "caller_ids": ["912345678"]})"),
              HasSubstr("field 'caller_ids[0]': '912345678' is not an E.164 phone number"));
  EXPECT_EQ(config_error(R"({"id": "x", "dnc": ["+351912345678", "garbage"]})"),
            "c.json: field 'dnc[1]': 'garbage' is not an E.164 phone number (it must start with "
            "'+' and the country code)");
  EXPECT_THAT(config_error(R"({"id": "x", "dnc": ["+not a number"]})"),
              HasSubstr("field 'dnc[0]': '+not a number' is not an E.164 phone number ("));
  EXPECT_THAT(config_error(R"({"id": "x", "dnc": [12125550101]})"),
              HasSubstr("field 'dnc[0]': must be a string"));
}

TEST(ConfigPhoneNumbers, UnknownRegionsNameTheirField) {
  EXPECT_THAT(config_error(R"({"id": "x", "default_region": "XX"})"),
              HasSubstr("c.json: field 'default_region': unknown region 'XX'"));
  EXPECT_THAT(config_error(R"({"id": "x", "contacts": {"default_region": "Portugal"}})"),
              HasSubstr("c.json: field 'contacts.default_region': unknown region 'PORTUGAL'"));
  EXPECT_EQ(parse(R"({"id": "x", "default_region": "pt"})").campaign.default_region, "PT");
}

TEST(ConfigTimeZone, UnknownZoneIsRejectedAtLoadNamingTheField) {
  EXPECT_EQ(parse(R"({"id": "x", "time_zone": "America/New_York"})").campaign.fallback_time_zone,
            "America/New_York");
  EXPECT_EQ(config_error(R"({"id": "x", "time_zone": "Europe/Lisbn"})"),
            "c.json: field 'time_zone': unknown time zone 'Europe/Lisbn' (use an IANA name such "
            "as Europe/Lisbon)");
  EXPECT_THAT(config_error(R"({"id": "x", "time_zone": ""})"),
              HasSubstr("field 'time_zone': unknown time zone ''"));
  // Only tz database names: the tz library reads a path as a zone file ("/dev/stdin" waited for
  // input).
  for (const char* path : {"/usr/share/zoneinfo/UTC", "../../../../usr/share/zoneinfo/UTC",
                           "Europe/../Europe/Lisbon"}) {
    EXPECT_EQ(config_error(std::string(R"({"id": "x", "time_zone": ")") + path + R"("})"),
              std::string("c.json: field 'time_zone': unknown time zone '") + path +
                  "' (use an IANA name such as Europe/Lisbon)");
  }
  EXPECT_EQ(parse(R"({"id": "x", "time_zone": "Etc/GMT+5"})").campaign.fallback_time_zone,
            "Etc/GMT+5");
  // The tz database would read the name up to the NUL as a good zone.
  EXPECT_THAT(config_error(R"({"id": "x", "time_zone": "UTC\u0000junk"})"),
              HasSubstr("field 'time_zone': unknown time zone"));
}

TEST(ConfigIntegers, ValuesBeyondTheIntegerTypesAreReportedAsWritten) {
  const struct {
    const char* written;
    const char* reported;
  } agents[] = {
      {"18446744073709551615", "got 18446744073709551615"},  // 2^64 - 1: a uint64
      {"9223372036854775808", "got 9223372036854775808"},    // 2^63: a uint64
      {"-9223372036854775808", "got -9223372036854775808"},
      {"4294967297", "got 4294967297"},        // 2^32 + 1: would wrap to 1 in an int
      {"100000000000000000000", "got 1e+20"},  // above 2^64 - 1 Boost.JSON has only a double
      {"1e400", "got a number out of range"},  // beyond a double: infinity
  };
  for (const auto& a : agents) {
    EXPECT_EQ(config_error(std::string(R"({"id": "x", "agents": )") + a.written + "}"),
              std::string("c.json: field 'agents': must be between 1 and 100000, ") + a.reported);
  }
  EXPECT_EQ(config_error(R"({"id": "x", "agents": 2.5})"),
            "c.json: field 'agents': must be an integer");
  EXPECT_EQ(config_error(R"({"id": "x", "simulation": {"seed": 18446744073709551615}})"),
            "c.json: field 'simulation.seed': must be between 0 and 2147483647, got "
            "18446744073709551615");
  EXPECT_EQ(parse(R"({"id": "x", "agents": 100000})").agents, 100000);
  EXPECT_EQ(config_error(R"({"id": "x", "ring_timeout_s": -1e400})"),
            "c.json: field 'ring_timeout_s': must be between 1 and 600, got a number out of range");
}

TEST(ConfigPaths, NulByteInAPathIsRejected) {
  EXPECT_EQ(config_error(R"({"id": "x", "contacts": {"file": "contacts.csv\u0000.txt"}})"),
            "c.json: field 'contacts.file': contains a NUL byte (\\u0000) at offset 12; a path "
            "cannot");
  EXPECT_THAT(
      config_error(
          R"({"id": "x", "simulation": {"world": "replay", "replay_file": "\u0000/etc/x"}})"),
      HasSubstr("field 'simulation.replay_file': contains a NUL byte"));
  EXPECT_EQ(parse(R"({"id": "x", "contacts": {"file": "c.csv"}})").contacts_path, "/base/c.csv");
}

TEST(ConfigEncoding, ByteOrderMarkIsSkipped) {
  CampaignFile f = parse("\xEF\xBB\xBF{\"id\": \"bom\", \"agents\": 3}");
  EXPECT_EQ(f.campaign.id, "bom");
  EXPECT_EQ(f.agents, 3);
}

TEST(ConfigEncoding, InvalidUtf8IsReportedWithLineColumnAndOffset) {
  // Latin-1 "é" (0xE9) in a name: line 3, column 15, byte offset 29 of the file.
  EXPECT_EQ(config_error("{\n  \"id\": \"x\",\n  \"name\": \"Caf\xE9\"\n}"),
            "c.json:3:15: not UTF-8 (byte 0xE9 at offset 29); save the campaign file as UTF-8");
  // Offsets count the byte order mark too.
  EXPECT_EQ(config_error("\xEF\xBB\xBF{\"id\": \"\xFF\"}"),
            "c.json:1:12: not UTF-8 (byte 0xFF at offset 11); save the campaign file as UTF-8");
  // A UTF-16 file (what some editors save as "Unicode") is not valid UTF-8 from its first byte.
  EXPECT_EQ(config_error(std::string("\xFF\xFE{\0", 4)),
            "c.json:1:1: not UTF-8 (byte 0xFF at offset 0); save the campaign file as UTF-8");
  // A surrogate encoded in UTF-8 (CESU-8) is not UTF-8 either.
  EXPECT_THAT(config_error("{\"id\": \"\xED\xA0\x80\"}"), HasSubstr("c.json:1:9: not UTF-8"));
}

TEST(ConfigEncoding, LoadCampaignFileChecksTheFileItself) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "omnivox_config_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "latin1.json").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "{\"id\": \"x\", \"name\": \"S\xE3o Paulo\"}";
  }
  try {
    load_campaign_file(path);
    FAIL() << "a Latin-1 file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_EQ(std::string(e.what()), path +
                                         ":1:23: not UTF-8 (byte 0xE3 at offset 22); save the "
                                         "campaign file as UTF-8");
  }
  std::filesystem::remove_all(dir);
}

TEST(ConfigShippedFiles, ExampleCampaignStillLoads) {
  CampaignFile f = load_campaign_file(OMNIVOX_EXAMPLES_DIR "/campaigns/bank.json");
  EXPECT_EQ(f.campaign.id, "bank");
  EXPECT_THAT(f.campaign.caller_ids, ElementsAre("+351210000000", "+351220000000"));
  EXPECT_EQ(f.campaign.fallback_time_zone, "Europe/Lisbon");
  for (const char* name : {"fast_campaign.json", "small_campaign.json"}) {
    EXPECT_NO_THROW(load_campaign_file(std::string(OMNIVOX_TEST_DATA_DIR "/") + name)) << name;
  }
}

TEST(ConfigShippedFiles, SipExampleLoadsAndItsMessagesArePlayable) {
  CampaignFile f = load_campaign_file(OMNIVOX_EXAMPLES_DIR "/campaigns/sip.json");
  EXPECT_EQ(f.telephony.backend, TelephonyConfig::Backend::kSip);
  EXPECT_EQ(f.agents, 3);
  for (const std::string& wav : {f.telephony.safe_harbor_wav, f.telephony.voicemail_wav}) {
    EXPECT_GT(read_wav_file(wav).samples.size(), 8000u) << wav;  // at least a second
  }
  EXPECT_TRUE(std::filesystem::exists(f.contacts_path)) << f.contacts_path;
}

// The `telephony` section: the backend, the SIP settings and the agents' phones.
TEST(TelephonyConfig, SimulatorByDefault) {
  CampaignFile f = parse(R"({"id": "x", "agents": 7})");
  EXPECT_EQ(f.telephony.backend, TelephonyConfig::Backend::kSimulator);
  EXPECT_EQ(f.agents, 7);
  EXPECT_EQ(f.telephony.listen, "127.0.0.1:5060");
  EXPECT_EQ(f.telephony.rtp_port_min, 20000);
  EXPECT_EQ(f.telephony.rtp_port_max, 29999);
}

TEST(TelephonyConfig, SipSectionWithAgentsAmdAndWavs) {
  CampaignFile f = parse(R"({"id": "x", "telephony": {
      "backend": "sip", "listen": "0.0.0.0:5070", "trunk": "sip:10.0.0.1:5060",
      "rtp_ports": "40000-40999", "calls_per_second": 5, "options_interval_s": 0,
      "max_queue_wait_s": 3, "keep_plus_in_request_uri": false, "user_agent": "acme",
      "agents": [{"id": "alice", "uri": "sip:alice@127.0.0.1:5080"},
                 {"id": "bob", "uri": "sip:bob@127.0.0.1:5081"}],
      "amd": {"initial_silence_ms": 3000, "max_number_of_words": 4, "detect_fax": false},
      "safe_harbor_wav": "sounds/sorry.wav", "voicemail_wav": "/abs/vm.wav"}})");
  const TelephonyConfig& t = f.telephony;
  EXPECT_EQ(t.backend, TelephonyConfig::Backend::kSip);
  EXPECT_EQ(t.listen, "0.0.0.0:5070");
  EXPECT_EQ(t.trunk, "sip:10.0.0.1:5060");
  EXPECT_EQ(t.rtp_port_min, 40000);
  EXPECT_EQ(t.rtp_port_max, 40999);
  EXPECT_EQ(t.calls_per_second, 5);
  EXPECT_EQ(t.options_interval_s, 0);
  EXPECT_EQ(t.max_queue_wait_s, 3);
  EXPECT_FALSE(t.keep_plus_in_request_uri);
  EXPECT_EQ(t.user_agent, "acme");
  ASSERT_EQ(t.agents.size(), 2u);
  EXPECT_EQ(t.agents[1].id, "bob");
  EXPECT_EQ(t.agents[1].uri, "sip:bob@127.0.0.1:5081");
  EXPECT_EQ(f.agents, 2);  // the phones listed are the agents
  EXPECT_EQ(t.amd.initial_silence, std::chrono::milliseconds(3000));
  EXPECT_EQ(t.amd.max_number_of_words, 4);
  EXPECT_FALSE(t.amd.detect_fax);
  EXPECT_EQ(t.amd.max_greeting_length, AmdOptions{}.max_greeting_length);
  EXPECT_EQ(t.safe_harbor_wav, "/base/sounds/sorry.wav");
  EXPECT_EQ(t.voicemail_wav, "/abs/vm.wav");
}

TEST(TelephonyConfig, AmdVoiceDecisionAndBeepKeys) {
  CampaignFile f = parse(R"({"id": "x", "telephony": {"amd": {
      "voice_detector": "energy", "energy_gate_db": 12, "beep_min_length_ms": 200,
      "beep_min_frequency_hz": 500, "beep_max_frequency_hz": 1800, "beep_tone_share_percent": 70,
      "beep_min_level_db": -40, "beep_silence_ms": 2000, "beep_max_wait_ms": 15000}}})");
  const AmdOptions& a = f.telephony.amd;
  EXPECT_EQ(a.voice_detector, AmdVoiceDetector::kEnergy);
  EXPECT_EQ(a.energy_gate_db, 12);
  EXPECT_EQ(a.beep_min_length, std::chrono::milliseconds(200));
  EXPECT_EQ(a.beep_min_frequency_hz, 500);
  EXPECT_EQ(a.beep_max_frequency_hz, 1800);
  EXPECT_EQ(a.beep_tone_share_percent, 70);
  EXPECT_EQ(a.beep_min_level_db, -40);
  EXPECT_EQ(a.beep_silence, std::chrono::milliseconds(2000));
  EXPECT_EQ(a.beep_max_wait, std::chrono::milliseconds(15000));
  for (const char* d : {"speex", "speex_and_energy"}) {
    const std::string text =
        std::string(R"({"id": "x", "telephony": {"amd": {"voice_detector": ")") + d + "\"}}}";
    EXPECT_NE(parse(text).telephony.amd.voice_detector, AmdVoiceDetector::kEnergy) << d;
  }
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"amd": {"voice_detector": "vad"}}})"),
              HasSubstr("field 'telephony.amd.voice_detector': must be \"speex\""));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"amd": {"energy_gate_db": 61}}})"),
              HasSubstr("field 'telephony.amd.energy_gate_db': must be between 0 and 60"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"amd": {"beep_max_frequency_hz": 300}}})"),
              HasSubstr("field 'telephony.amd.beep_max_frequency_hz': must not be below"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"amd": {"beep_min_level_db": 1}}})"),
              HasSubstr("field 'telephony.amd.beep_min_level_db': must be between -90 and 0"));
}

TEST(TelephonyConfig, BadValuesNameTheirField) {
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"backend": "pstn"}})"),
              HasSubstr("field 'telephony.backend': must be \"simulator\", \"sip\" or \"twilio\""));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"backend": "twilio"}})"),
              HasSubstr("field 'telephony.public_url': is required with the Twilio backend"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"public_url": "dialer.example.com"}})"),
              HasSubstr("field 'telephony.public_url': must start with https://"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"trunk": "sip:t", "bogus": 1}})"),
              HasSubstr("field 'telephony.bogus': unknown key"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"listen": "127.0.0.1"}})"),
              HasSubstr("field 'telephony.listen': must be \"host:port\""));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"listen": "h:70000"}})"),
              HasSubstr("field 'telephony.listen'"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"trunk": "10.0.0.1:5060"}})"),
              HasSubstr("field 'telephony.trunk': must be a SIP URI"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"rtp_ports": "30000-20000"}})"),
              HasSubstr("field 'telephony.rtp_ports': must be \"first-last\""));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"rtp_ports": "20000"}})"),
              HasSubstr("field 'telephony.rtp_ports'"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"calls_per_second": 0}})"),
              HasSubstr("field 'telephony.calls_per_second': must be between"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"user_agent": "a\r\nX-Evil: 1"}})"),
              HasSubstr("field 'telephony.user_agent': must be one non-empty line"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"amd": {"initial_silence": 5}}})"),
              HasSubstr("field 'telephony.amd.initial_silence': unknown key"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"amd": {"initial_silence_ms": -1}}})"),
              HasSubstr("field 'telephony.amd.initial_silence_ms': must be between 0"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"amd": {"vad_probability_start": 101}}})"),
              HasSubstr("field 'telephony.amd.vad_probability_start': must be between 0 and 100"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"agents": [{"id": "a"}]}})"),
              HasSubstr("field 'telephony.agents[0]': needs \"id\" and \"uri\""));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"agents": [{"id": "a", "uri": "a@b"}]}})"),
              HasSubstr("field 'telephony.agents[0].uri': must be a SIP URI"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"agents": [{"id": "a", "uri": "sip:a@h"},
                                                           {"id": "a", "uri": "sip:b@h"}]}})"),
              HasSubstr("field 'telephony.agents[1].id': 'a' is listed twice"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"safe_harbor_wav": "a\u0000b"}})"),
              HasSubstr("field 'telephony.safe_harbor_wav': contains a NUL byte"));
}

TEST(TelephonyConfig, SipNeedsATrunkAndPhonesAndAgreesOnTheAgentCount) {
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"backend": "sip",
                  "agents": [{"id": "a", "uri": "sip:a@h"}]}})"),
              HasSubstr("field 'telephony.trunk': is required with the SIP backend"));
  EXPECT_THAT(config_error(R"({"id": "x", "telephony": {"backend": "sip", "trunk": "sip:t"}})"),
              HasSubstr("field 'telephony.agents': must list at least one agent's phone"));
  EXPECT_THAT(config_error(R"({"id": "x", "agents": 3, "telephony": {"backend": "sip",
                  "trunk": "sip:t", "agents": [{"id": "a", "uri": "sip:a@h"}]}})"),
              HasSubstr("field 'agents': 3 agents, but telephony.agents lists 1"));
  // The same count written twice is fine; a simulator run ignores the phones.
  EXPECT_EQ(parse(R"({"id": "x", "agents": 1, "telephony": {"backend": "sip", "trunk": "sip:t",
                  "agents": [{"id": "a", "uri": "sip:a@h"}]}})")
                .agents,
            1);
  EXPECT_EQ(parse(R"({"id": "x", "agents": 4, "telephony": {"agents": [{"id": "a",
                  "uri": "sip:a@h"}]}})")
                .agents,
            4);
}

}  // namespace
}  // namespace omnivox
