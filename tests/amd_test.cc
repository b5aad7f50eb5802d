// WAV reading (parse_wav, read_wav_file), the answering-machine / fax detector and the
// greeting-end (beep) detector (omnivox/amd.h) on synthetic signals and short recordings from the
// corpus (tests/data/amd).
#include "omnivox/amd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audio/g711.h"
#include "audio/wav.h"
#include "omnivox/types.h"

namespace omnivox {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Samples = std::vector<std::int16_t>;

const std::string kData = std::string(OMNIVOX_TEST_DATA_DIR) + "/amd/";

void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}
void tag(Bytes& b, const char* s) { b.insert(b.end(), s, s + 4); }

struct Fmt {
  std::uint16_t format = 1, channels = 1;
  std::uint32_t rate = 8000;
  std::uint16_t block_align = 2, bits = 16;
};

// A WAV file: fmt, optional extra chunks before data, data bytes with a declared size.
Bytes wav(const Fmt& f, const Bytes& data, std::uint32_t declared, const Bytes& extra = {}) {
  Bytes b;
  tag(b, "RIFF");
  put32(b, 0);  // the reader does not trust it; left 0 as streaming writers do
  tag(b, "WAVE");
  tag(b, "fmt ");
  put32(b, 16);
  put16(b, f.format);
  put16(b, f.channels);
  put32(b, f.rate);
  put32(b, f.rate * f.block_align);
  put16(b, f.block_align);
  put16(b, f.bits);
  b.insert(b.end(), extra.begin(), extra.end());
  tag(b, "data");
  put32(b, declared);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}
Bytes wav(const Fmt& f, const Bytes& data) {
  return wav(f, data, static_cast<std::uint32_t>(data.size()));
}

// Expects Error(kInvalidArgument) whose message is "<wav>: " + reason (reason a substring).
void expect_invalid(const Bytes& bytes, const std::string& reason) {
  try {
    parse_wav(bytes);
    ADD_FAILURE() << "accepted; expected: " << reason;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(std::string(e.what()).rfind("<wav>: ", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}

Samples tone(double hz, double seconds, double amplitude = 8000) {
  Samples s(static_cast<std::size_t>(seconds * 8000));
  for (std::size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<std::int16_t>(amplitude * std::sin(2 * std::numbers::pi * hz * i / 8000.0));
  }
  return s;
}
Samples silence(double seconds) { return Samples(static_cast<std::size_t>(seconds * 8000), 0); }
// Speech-like: a 200 Hz buzz with harmonics, syllables of 200 ms voiced / 60 ms quieter.
Samples babble(double seconds) {
  Samples s(static_cast<std::size_t>(seconds * 8000));
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double t = i / 8000.0;
    const bool syllable = std::fmod(t, 0.26) < 0.2;
    double v = 0;
    for (int h = 1; h <= 8; ++h) v += std::sin(2 * std::numbers::pi * 200 * h * t) / h;
    s[i] = static_cast<std::int16_t>((syllable ? 4000 : 40) * v);
  }
  return s;
}
Samples concat(std::initializer_list<Samples> parts) {
  Samples out;
  for (const Samples& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

AmdDecision classify(const Samples& s, const AmdOptions& o = {}, std::size_t chunk = 160) {
  AmdDetector d(o);
  for (std::size_t i = 0; i < s.size(); i += chunk) {
    d.feed(std::span<const std::int16_t>(s).subspan(i, std::min(chunk, s.size() - i)));
  }
  return d.finish();
}

// ---- WAV ----

TEST(Wav, PcmRoundTrip) {
  const Samples s = {0, 1, -1, 32767, -32768, 1234};
  const PcmAudio a = parse_wav(audio::encode_wav(s, 8000));
  EXPECT_EQ(a.samples, s);
  EXPECT_EQ(a.sample_rate, 8000);
}

TEST(Wav, G711MuLawAndALaw) {
  const Bytes data = {0x00, 0x7F, 0x80, 0xFF, 0x55, 0xD5};
  for (auto [format, law] : {std::pair{7, audio::G711Law::kMuLaw}, {6, audio::G711Law::kALaw}}) {
    Fmt f;
    f.format = static_cast<std::uint16_t>(format);
    f.bits = 8;
    f.block_align = 1;
    const PcmAudio a = parse_wav(wav(f, data));
    Samples want(data.size());
    audio::g711_decode(law, data, want);
    EXPECT_EQ(a.samples, want) << "format " << format;
  }
}

TEST(Wav, SkipsUnknownChunksWithPadding) {
  Bytes extra;
  tag(extra, "LIST");
  put32(extra, 3);  // odd: one pad byte follows
  extra.insert(extra.end(), {'a', 'b', 'c', 0});
  const PcmAudio a = parse_wav(wav(Fmt{}, {1, 0, 2, 0}, 4, extra));
  EXPECT_EQ(a.samples, (Samples{1, 2}));
}

TEST(Wav, ExtensibleFormatAndStreamingSize) {
  Bytes b;
  tag(b, "RIFF");
  put32(b, 0xFFFFFFFF);
  tag(b, "WAVE");
  tag(b, "fmt ");
  put32(b, 40);
  put16(b, 0xFFFE);
  put16(b, 1);
  put32(b, 8000);
  put32(b, 16000);
  put16(b, 2);
  put16(b, 16);
  put16(b, 22);  // cbSize
  put16(b, 16);  // valid bits
  put32(b, 4);   // channel mask
  put16(b, 1);   // sub-format GUID begins with the format tag (PCM)
  b.insert(b.end(), 14, 0);
  tag(b, "data");
  put32(b, 0xFFFFFFFF);  // a streaming writer's "to the end"
  b.insert(b.end(), {5, 0, 6, 0});
  EXPECT_EQ(parse_wav(b).samples, (Samples{5, 6}));
}

TEST(Wav, RefusesOtherFormats) {
  Fmt rate;
  rate.rate = 44100;
  expect_invalid(wav(rate, {0, 0}), "44100 Hz, expected 8000 Hz");
  Fmt stereo;
  stereo.channels = 2;
  expect_invalid(wav(stereo, {0, 0, 0, 0}), "2 channels, expected mono");
  Fmt float32;
  float32.format = 3;
  expect_invalid(wav(float32, {0, 0, 0, 0}), "format tag 3");
  Fmt eight;
  eight.bits = 8;
  eight.block_align = 1;
  expect_invalid(wav(eight, {0, 0}), "8 bits per sample, expected 16");
  Fmt align;
  align.block_align = 4;
  expect_invalid(wav(align, {0, 0}), "block align 4");
}

TEST(Wav, RefusesMalformedFiles) {
  expect_invalid({}, "not a RIFF/WAVE file");
  const std::string text = "this is not a wav file at all";
  expect_invalid(Bytes(text.begin(), text.end()), "not a RIFF/WAVE file");
  expect_invalid(wav(Fmt{}, {1, 0, 2, 0}, 400), "truncated data chunk (400 bytes declared, 4");
  expect_invalid(wav(Fmt{}, {1, 0, 2}), "not a whole number of 16-bit samples");
  Bytes no_data = audio::encode_wav(Samples{1, 2}, 8000);
  no_data.resize(36);  // RIFF header and fmt chunk only
  expect_invalid(no_data, "no data chunk");
  Bytes header_only = audio::encode_wav(Samples{}, 8000);
  header_only.resize(12);
  expect_invalid(header_only, "no fmt chunk");
  Bytes data_first;
  tag(data_first, "RIFF");
  put32(data_first, 0);
  tag(data_first, "WAVE");
  tag(data_first, "data");
  put32(data_first, 0);
  expect_invalid(data_first, "data chunk before the fmt chunk");
  Bytes short_fmt = audio::encode_wav(Samples{}, 8000);
  short_fmt[16] = 8;  // fmt chunk size 8
  expect_invalid(short_fmt, "fmt chunk of 8 bytes");
  Bytes huge_chunk = wav(Fmt{}, {}, 0);
  huge_chunk.resize(36);
  tag(huge_chunk, "junk");
  put32(huge_chunk, 0x7FFFFFFF);
  expect_invalid(huge_chunk, "truncated junk chunk");
}

TEST(Wav, EveryPrefixAndByteFlipEitherParsesOrIsInvalid) {
  const Bytes good = audio::encode_wav(tone(440, 0.05), 8000);
  auto survive = [](const Bytes& b) {
    try {
      parse_wav(b);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    }
  };
  for (std::size_t n = 0; n <= 60; ++n) survive(Bytes(good.begin(), good.begin() + n));
  for (std::size_t i = 0; i < 44; ++i) {
    for (std::uint8_t v : {0x00, 0x01, 0x7F, 0x80, 0xFF}) {
      Bytes b = good;
      b[i] = v;
      survive(b);
    }
  }
}

TEST(Wav, FilesReadWriteAndErrors) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("omnivox_amd_test_" + std::to_string(::getpid()) + ".wav"))
                               .string();
  const Samples s = tone(1000, 0.1);
  audio::write_wav_file(path, s);
  EXPECT_EQ(read_wav_file(path).samples, s);
  std::filesystem::remove(path);
  try {
    read_wav_file(path);
    ADD_FAILURE() << "read a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  try {
    read_wav_file(std::string(OMNIVOX_TEST_DATA_DIR));  // a folder
    ADD_FAILURE() << "read a folder";
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == ErrorCode::kIo || e.code() == ErrorCode::kInvalidArgument);
  }
  EXPECT_THROW(classify_wav_file(path), Error);
}

// ---- detector ----

TEST(AmdDetector, SilenceIsInitialSilence) {
  const AmdDecision d = classify(silence(4));
  EXPECT_EQ(d.result, AmdResult::kMachine);
  EXPECT_EQ(d.cause, "initial_silence");
  EXPECT_EQ(d.decision_time, Duration{2500});
  AmdOptions human;
  human.silent_answer_is_machine = false;
  EXPECT_EQ(classify(silence(4), human).result, AmdResult::kHuman);
}

TEST(AmdDetector, FaxTones) {
  const AmdDecision ced = classify(concat({silence(0.5), tone(2100, 3)}));
  EXPECT_EQ(ced.result, AmdResult::kFax);
  EXPECT_EQ(ced.cause, "fax_ced");
  EXPECT_LT(ced.decision_time, Duration{2500});
  const AmdDecision cng =
      classify(concat({silence(0.3), tone(1100, 0.5), silence(3), tone(1100, 0.5), silence(1)}));
  EXPECT_EQ(cng.result, AmdResult::kFax);
  EXPECT_EQ(cng.cause, "fax_cng");
  AmdOptions no_fax;
  no_fax.detect_fax = false;
  EXPECT_NE(classify(concat({silence(0.5), tone(2100, 3)}), no_fax).result, AmdResult::kFax);
}

TEST(AmdDetector, ShortGreetingThenSilenceIsHuman) {
  const AmdDecision d = classify(concat({silence(0.5), babble(0.5), silence(2)}));
  EXPECT_EQ(d.result, AmdResult::kHuman);
  EXPECT_EQ(d.cause, "short_greeting");
  EXPECT_GE(d.words, 1);
  EXPECT_LE(d.greeting_length, Duration{600});
  // The greeting ends about 1 s in; the decision follows after_greeting_silence later.
  EXPECT_GE(d.decision_time, Duration{1700});
  EXPECT_LE(d.decision_time, Duration{2000});
}

TEST(AmdDetector, VoiceFromTheFirstFrameIsHeard) {
  // A steady voice from the first sample: the energy gate must not take it for the line's noise.
  for (auto v : {AmdVoiceDetector::kEnergy, AmdVoiceDetector::kSpeexAndEnergy}) {
    AmdOptions o;
    o.voice_detector = v;
    const AmdDecision d = classify(concat({tone(300, 0.6, 3000), silence(2.5)}), o);
    EXPECT_EQ(d.result, AmdResult::kHuman) << d.cause;
    EXPECT_EQ(d.cause, "short_greeting");
    EXPECT_EQ(d.greeting_length, Duration{600});
    EXPECT_EQ(d.decision_time, Duration{1400});
  }
}

TEST(AmdDetector, SpeexLearnsASteadyToneTheEnergyGateDoesNot) {
  // docs/amd.md: why speexdsp stays in the default. A 400 Hz tone from 1 s to 5 s over quiet
  // line noise: speexdsp takes it for noise within about a second, the energy gate alone does not.
  Samples s = concat({silence(1), tone(400, 4, 3000)});
  std::uint32_t x = 12345;
  for (auto& v : s) {
    x = x * 1664525u + 1013904223u;
    v = static_cast<std::int16_t>(v + static_cast<int>(x >> 24) - 128);
  }
  AmdOptions o;
  o.detect_fax = false;
  const AmdDecision both = classify(s, o);
  EXPECT_EQ(both.result, AmdResult::kHuman) << both.cause;
  EXPECT_LT(both.greeting_length, Duration{1500});
  o.voice_detector = AmdVoiceDetector::kEnergy;
  const AmdDecision energy = classify(s, o);
  EXPECT_EQ(energy.result, AmdResult::kMachine) << energy.cause;
  EXPECT_EQ(energy.cause, "long_greeting");
}

TEST(AmdDetector, LongGreetingIsMachine) {
  const AmdDecision d = classify(concat({silence(0.5), babble(4), silence(1)}));
  EXPECT_EQ(d.result, AmdResult::kMachine);
  EXPECT_TRUE(d.cause == "long_greeting" || d.cause == "max_words") << d.cause;
  AmdOptions many_words;
  many_words.max_number_of_words = 1000;
  const AmdDecision long_one = classify(concat({silence(0.5), babble(4), silence(1)}), many_words);
  EXPECT_EQ(long_one.cause, "long_greeting");
  EXPECT_GT(long_one.greeting_length, AmdOptions{}.max_greeting_length);
}

TEST(AmdDetector, NotSureAfterTotalAnalysisTime) {
  AmdOptions o;
  o.initial_silence = Duration{60000};
  o.total_analysis_time = Duration{1000};
  const AmdDecision d = classify(silence(3), o);
  EXPECT_EQ(d.result, AmdResult::kUnknown);
  EXPECT_EQ(d.cause, "analysis_timeout");
  EXPECT_EQ(d.decision_time, Duration{1000});
}

TEST(AmdDetector, EndOfAudioAndStreaming) {
  AmdDetector d;
  EXPECT_FALSE(d.feed({}).has_value());
  const Samples s = silence(0.5);
  d.feed(std::span<const std::int16_t>(s).first(1001));
  EXPECT_EQ(d.audio_time(), Duration{125});
  EXPECT_FALSE(d.decision().has_value());
  const AmdDecision end = d.finish();
  EXPECT_EQ(end.result, AmdResult::kUnknown);
  EXPECT_EQ(end.cause, "end_of_audio");
  EXPECT_EQ(d.finish().cause, "end_of_audio");  // finish again: the same decision
}

TEST(AmdDetector, ChunkSizeDoesNotChangeTheDecision) {
  const Samples s = concat({silence(0.4), babble(0.6), silence(2)});
  const AmdDecision whole = classify(s, {}, s.size());
  for (std::size_t chunk : {1, 7, 80, 161, 999}) {
    const AmdDecision d = classify(s, {}, chunk);
    EXPECT_EQ(d.result, whole.result) << chunk;
    EXPECT_EQ(d.cause, whole.cause) << chunk;
    EXPECT_EQ(d.decision_time, whole.decision_time) << chunk;
  }
}

TEST(AmdDetector, DecisionIsKeptAndMoves) {
  AmdDetector d;
  const Samples s = silence(3);
  const auto first = d.feed(s);
  ASSERT_TRUE(first.has_value());
  const auto again = d.feed(tone(2100, 3));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->cause, first->cause);
  AmdDetector moved(std::move(d));
  EXPECT_EQ(moved.decision()->cause, "initial_silence");
  AmdDetector assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.finish().cause, "initial_silence");
}

TEST(AmdDetector, VoiceDetectorsAllRun) {
  for (auto v :
       {AmdVoiceDetector::kSpeex, AmdVoiceDetector::kEnergy, AmdVoiceDetector::kSpeexAndEnergy}) {
    AmdOptions o;
    o.voice_detector = v;
    EXPECT_EQ(classify(concat({silence(0.5), babble(4)}), o).result, AmdResult::kMachine);
  }
}

// Expects Detector(o) to throw Error(kInvalidArgument) naming `field`.
template <typename Detector>
void expect_bad_field(const AmdOptions& o, const std::string& field) {
  try {
    Detector d(o);
    ADD_FAILURE() << "accepted a bad " << field;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(AmdDetector, OptionsValidatedByName) {
  const auto expect_field = expect_bad_field<AmdDetector>;
  AmdOptions o;
  o.initial_silence = Duration{-1};
  expect_field(o, "initial_silence");
  o = {};
  o.between_words_silence = Duration{-5};
  expect_field(o, "between_words_silence");
  o = {};
  o.total_analysis_time = Duration{-1};
  expect_field(o, "total_analysis_time");
  o = {};
  o.vad_probability_start = 101;
  expect_field(o, "vad_probability_start");
  o = {};
  o.vad_probability_continue = -1;
  expect_field(o, "vad_probability_continue");
  o = {};
  o.max_number_of_words = -1;
  expect_field(o, "max_number_of_words");
  o = {};
  o.energy_gate_db = 61;
  expect_field(o, "energy_gate_db");
  o = {};
  o.voice_detector = static_cast<AmdVoiceDetector>(9);
  expect_field(o, "voice_detector");
  EXPECT_NO_THROW(AmdDetector{AmdOptions{}});
}

TEST(AmdDetector, CorpusRecordings) {
  const AmdDecision human = classify_wav_file(kData + "human_hello.wav");
  EXPECT_EQ(human.result, AmdResult::kHuman) << human.cause;
  const AmdDecision machine = classify_wav_file(kData + "machine_voicemail.wav");
  EXPECT_EQ(machine.result, AmdResult::kMachine) << machine.cause;
  const AmdDecision fax = classify_wav_file(kData + "fax_cng.wav");
  EXPECT_EQ(fax.result, AmdResult::kFax) << fax.cause;
  EXPECT_EQ(fax.cause, "fax_cng");
}

// ---- greeting end (beep) ----

std::optional<GreetingEnd> greeting_end(const Samples& s, const AmdOptions& o = {},
                                        std::size_t chunk = 160) {
  BeepDetector d(o);
  for (std::size_t i = 0; i < s.size() && !d.result(); i += chunk) {
    d.feed(std::span<const std::int16_t>(s).subspan(i, std::min(chunk, s.size() - i)));
  }
  return d.result();
}

constexpr Duration kBeepTolerance{40};

TEST(BeepDetector, EndsAtTheBeepsEnd) {
  // Greeting 3 s, 0.4 s pause, a 0.5 s beep ending at 3.9 s, then the recording's silence.
  for (double hz : {440.0, 1000.0, 1412.5, 2000.0}) {
    for (std::size_t chunk : {160u, 97u, 1000u}) {
      const auto end = greeting_end(
          concat({babble(3), silence(0.4), tone(hz, 0.5, 6000), silence(3)}), {}, chunk);
      ASSERT_TRUE(end) << hz;
      EXPECT_EQ(end->cause, "beep") << hz;
      EXPECT_LE(std::chrono::abs(end->time - Duration{3900}), kBeepTolerance) << hz;
      EXPECT_NEAR(end->beep_frequency_hz, hz, 25) << hz;
      EXPECT_GE(end->beep_length, Duration{460});
      EXPECT_LE(end->beep_length, Duration{540});
    }
  }
  // A beep straight after the greeting, short and quiet, over line noise.
  Samples noisy = concat({babble(2.5), tone(1000, 0.2, 1500), silence(2)});
  std::srand(7);
  for (auto& v : noisy) v = static_cast<std::int16_t>(v + std::rand() % 81 - 40);
  const auto end = greeting_end(noisy);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->cause, "beep");
  EXPECT_LE(std::chrono::abs(end->time - Duration{2700}), kBeepTolerance);
}

TEST(BeepDetector, SilenceEndsAGreetingWithoutBeep) {
  const auto end = greeting_end(concat({babble(3), silence(4)}));
  ASSERT_TRUE(end);
  EXPECT_EQ(end->cause, "silence");
  // The greeting's last syllable ends at 3.0 s (babble's syllables are 200 ms of every 260).
  EXPECT_GE(end->time, Duration{4400});
  EXPECT_LE(end->time, Duration{4560});
  EXPECT_EQ(end->beep_frequency_hz, 0);
  // Tones too short, too low or too high are not beeps: the silence after them decides.
  for (const Samples& t : {tone(1000, 0.1, 6000), tone(300, 0.5, 6000), tone(2500, 0.5, 6000)}) {
    const auto e = greeting_end(concat({babble(2), t, silence(3)}));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->cause, "silence");
  }
  AmdOptions o;
  o.beep_silence = Duration{800};
  const auto quick = greeting_end(concat({babble(3), silence(4)}), o);
  ASSERT_TRUE(quick);
  EXPECT_LE(quick->time, Duration{3860});
}

TEST(BeepDetector, EndlessTalkWaitsAtMostMaxWait) {
  const auto end = greeting_end(babble(25));
  ASSERT_TRUE(end);
  EXPECT_EQ(end->cause, "max_wait");
  EXPECT_EQ(end->time, Duration{20000});
  AmdOptions o;
  o.beep_max_wait = Duration{5000};
  BeepDetector d(o);
  const Samples talk = babble(4.99);
  EXPECT_FALSE(d.feed(talk));
  EXPECT_EQ(d.audio_time(), Duration{4990});
  const auto later = d.feed(babble(1));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->time, Duration{5000});
  EXPECT_EQ(d.result()->cause, "max_wait");
  BeepDetector moved = std::move(d);
  EXPECT_TRUE(moved.result());
}

TEST(BeepDetector, OptionsValidatedByName) {
  const auto expect_field = expect_bad_field<BeepDetector>;
  AmdOptions o;
  o.beep_min_length = Duration{-1};
  expect_field(o, "beep_min_length");
  o = {};
  o.beep_max_frequency_hz = 300;
  expect_field(o, "beep_max_frequency_hz");
  o = {};
  o.beep_min_frequency_hz = 50;
  expect_field(o, "beep_min_frequency_hz");
  o = {};
  o.beep_tone_share_percent = 0;
  expect_field(o, "beep_tone_share_percent");
  o = {};
  o.beep_min_level_db = 3;
  expect_field(o, "beep_min_level_db");
  o = {};
  o.beep_max_wait = Duration{-1};
  expect_field(o, "beep_max_wait");
  o = {};
  o.energy_gate_db = 61;  // the voice decision's options are AmdDetector's
  expect_field(o, "energy_gate_db");
}

// A corpus machine (tests/amd/make_corpus.sh) whose greeting ends with a 0.5 s, 1000 Hz beep and
// 1 s of silence: AMD's MACHINE verdict, then the beep detector on the audio that follows it.
TEST(BeepDetector, CorpusGreetingsEndingInABeep) {
  for (const char* name : {"machine_beep.wav", "machine_beep_noisy.wav"}) {
    const PcmAudio audio = read_wav_file(kData + name);
    const std::span<const std::int16_t> all(audio.samples);
    AmdDetector amd;
    std::size_t i = 0;
    for (; i < all.size() && !amd.decision(); i += 160) amd.feed(all.subspan(i, 160));
    ASSERT_TRUE(amd.decision()) << name;
    ASSERT_EQ(amd.decision()->result, AmdResult::kMachine) << name;
    BeepDetector beep;
    for (; i < all.size() && !beep.result(); i += 160) {
      beep.feed(all.subspan(i, std::min<std::size_t>(160, all.size() - i)));
    }
    ASSERT_TRUE(beep.result()) << name;
    EXPECT_EQ(beep.result()->cause, "beep") << name;
    EXPECT_NEAR(beep.result()->beep_frequency_hz, 1000, 25) << name;
    const Duration file_length{static_cast<long>(all.size()) / 8};
    const Duration beep_end = file_length - Duration{1000};
    EXPECT_LE(std::chrono::abs(amd.decision()->decision_time + beep.result()->time - beep_end),
              kBeepTolerance)
        << name;
  }
}

// A survey over a corpus made by tests/amd/make_corpus.sh (OMNIVOX_BEEP_CORPUS=DIR): for every
// machine, where the greeting's end was found against the file's beep end (length - 1 s).
TEST(BeepDetector, DISABLED_CorpusSurvey) {
  const char* dir = std::getenv("OMNIVOX_BEEP_CORPUS");
  if (dir == nullptr) GTEST_SKIP() << "OMNIVOX_BEEP_CORPUS not set";
  for (const auto& entry : std::filesystem::directory_iterator(std::string(dir) + "/machine")) {
    const PcmAudio audio = read_wav_file(entry.path().string());
    const std::span<const std::int16_t> all(audio.samples);
    AmdDetector amd;
    std::size_t i = 0;
    for (; i < all.size() && !amd.decision(); i += 160) {
      amd.feed(all.subspan(i, std::min<std::size_t>(160, all.size() - i)));
    }
    BeepDetector beep;
    for (; i < all.size() && !beep.result(); i += 160) {
      beep.feed(all.subspan(i, std::min<std::size_t>(160, all.size() - i)));
    }
    const long beep_end = static_cast<long>(all.size()) / 8 - 1000;
    const long verdict = amd.decision() ? amd.decision()->decision_time.count() : -1;
    std::printf("%s verdict %ld %s end %ld expected-if-beep %ld\n", entry.path().filename().c_str(),
                verdict, beep.result() ? beep.result()->cause.c_str() : "none",
                beep.result() ? verdict + beep.result()->time.count() : -1, beep_end);
  }
}

}  // namespace
}  // namespace omnivox
