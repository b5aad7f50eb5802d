// Answering-machine and fax detection (omnivox/amd.h). The timing rules are those whose
// parameters Asterisk's app_amd documents (initial silence, greeting, after-greeting silence,
// words, word length, total analysis time); this is an independent implementation on 20 ms
// frames. Voice activity: speexdsp's preprocessor VAD, gated by frame energy over a tracked
// noise floor (docs/amd.md says why). Fax: spandsp's modem connect-tone detectors.
#include "omnivox/amd.h"

#include <spandsp.h>

#include <algorithm>
#include <utility>

#include "amd/voice_activity.h"
#include "omnivox/types.h"

namespace omnivox {
namespace {

using amd_detail::kFrame;
using amd_detail::kFrameSamples;

// The energy gate's first noise floor is the quietest frame of the first second (or of a shorter
// initial_silence / total_analysis_time); until then frames wait, so that a person who speaks
// from the very first frame is not taken for the line's noise.
constexpr std::size_t kStartupFrames = 50;

void check_duration(Duration d, const char* field) {
  if (d.count() < 0) {
    throw Error(ErrorCode::kInvalidArgument, std::string("AmdOptions.") + field +
                                                 " must not be negative, got " +
                                                 std::to_string(d.count()) + " ms");
  }
}

void check_range(int v, int lo, int hi, const char* field) {
  if (v < lo || v > hi) {
    throw Error(ErrorCode::kInvalidArgument, std::string("AmdOptions.") + field + " must be " +
                                                 std::to_string(lo) + "–" + std::to_string(hi) +
                                                 ", got " + std::to_string(v));
  }
}

}  // namespace

void amd_detail::validate(const AmdOptions& o) {
  check_duration(o.initial_silence, "initial_silence");
  check_duration(o.max_greeting_length, "max_greeting_length");
  check_duration(o.after_greeting_silence, "after_greeting_silence");
  check_duration(o.total_analysis_time, "total_analysis_time");
  check_duration(o.min_word_length, "min_word_length");
  check_duration(o.max_word_length, "max_word_length");
  check_duration(o.between_words_silence, "between_words_silence");
  check_range(o.max_number_of_words, 0, 1000, "max_number_of_words");
  check_range(o.vad_probability_start, 0, 100, "vad_probability_start");
  check_range(o.vad_probability_continue, 0, 100, "vad_probability_continue");
  check_range(o.energy_gate_db, 0, 60, "energy_gate_db");
  check_duration(o.beep_min_length, "beep_min_length");
  check_range(o.beep_min_frequency_hz, 100, 3900, "beep_min_frequency_hz");
  check_range(o.beep_max_frequency_hz, o.beep_min_frequency_hz, 3900, "beep_max_frequency_hz");
  check_range(o.beep_tone_share_percent, 1, 100, "beep_tone_share_percent");
  check_range(o.beep_min_level_db, -90, 0, "beep_min_level_db");
  check_duration(o.beep_silence, "beep_silence");
  check_duration(o.beep_max_wait, "beep_max_wait");
  switch (o.voice_detector) {
    case AmdVoiceDetector::kSpeex:
    case AmdVoiceDetector::kEnergy:
    case AmdVoiceDetector::kSpeexAndEnergy:
      break;
    default:
      throw Error(ErrorCode::kInvalidArgument, "AmdOptions.voice_detector is not a known value");
  }
}

struct AmdDetector::State {
  AmdOptions options;
  std::unique_ptr<amd_detail::VoiceActivity> voice;
  modem_connect_tones_rx_state_t* cng = nullptr;
  modem_connect_tones_rx_state_t* ced = nullptr;

  amd_detail::Framer framer;
  Duration time{0};       // audio time of the frames analysed
  Duration rule_time{0};  // end of the last frame the timing rules have seen (<= time)

  // Voice runs and words.
  Duration voice_run{0};    // current voiced run, bridging gaps under between_words_silence
  Duration silence_run{0};  // silence since the last voiced frame
  bool in_word = false;
  int words = 0;
  bool greeting_started = false;
  Duration greeting_start{0};
  Duration greeting_end{0};  // end of the last voiced frame of the greeting

  int fax_tone = MODEM_CONNECT_TONES_NONE;
  std::optional<AmdDecision> decision;

  ~State() {
    if (cng != nullptr) modem_connect_tones_rx_free(cng);
    if (ced != nullptr) modem_connect_tones_rx_free(ced);
  }

  static void on_tone(void* user, int code, int /*level*/, int /*delay*/) {
    auto* self = static_cast<State*>(user);
    if (code != MODEM_CONNECT_TONES_NONE && self->fax_tone == MODEM_CONNECT_TONES_NONE) {
      self->fax_tone = code;
    }
  }

  void decide(AmdResult result, const char* cause) {
    AmdDecision d;
    d.result = result;
    d.cause = cause;
    d.decision_time = time;
    d.words = words;
    d.greeting_length = greeting_started ? greeting_end - greeting_start : Duration{0};
    decision = std::move(d);
  }

  // The timing rules hear each frame's voice decision until a decision is taken.
  bool rules(bool voice) {
    if (!decision) apply_rules(voice);
    return !decision;
  }

  void analyse_frame() {
    if (options.detect_fax) {
      modem_connect_tones_rx(cng, framer.frame, kFrameSamples);
      modem_connect_tones_rx(ced, framer.frame, kFrameSamples);
    }
    time += kFrame;
    if (fax_tone != MODEM_CONNECT_TONES_NONE) {
      decide(AmdResult::kFax, fax_tone == MODEM_CONNECT_TONES_FAX_CNG ? "fax_cng" : "fax_ced");
      return;
    }
    voice->push(framer.frame, [this](bool v) { return rules(v); });
  }

  // The timing rules on the next frame's voice decision. A decision is stamped with the audio
  // analysed when it is taken (`time`), which the held frames of the first second may pass.
  void apply_rules(bool voice) {
    rule_time += kFrame;
    const Duration t = rule_time;
    const AmdOptions& o = options;
    if (voice) {
      silence_run = Duration{0};
      voice_run += kFrame;
      if (!in_word && voice_run >= o.min_word_length) {
        in_word = true;
        ++words;
        if (!greeting_started) {
          greeting_started = true;
          greeting_start = t - voice_run;
        }
      }
      if (greeting_started) greeting_end = t;
      if (in_word && words > o.max_number_of_words) return decide(AmdResult::kMachine, "max_words");
      if (in_word && voice_run > o.max_word_length) {
        return decide(AmdResult::kMachine, "max_word_length");
      }
      if (greeting_started && greeting_end - greeting_start > o.max_greeting_length) {
        return decide(AmdResult::kMachine, "long_greeting");
      }
    } else {
      silence_run += kFrame;
      if (silence_run >= o.between_words_silence) {
        in_word = false;
        voice_run = Duration{0};
      }
      if (greeting_started && silence_run >= o.after_greeting_silence) {
        return decide(AmdResult::kHuman, "short_greeting");
      }
      if (!greeting_started && t >= o.initial_silence) {
        return decide(o.silent_answer_is_machine ? AmdResult::kMachine : AmdResult::kHuman,
                      "initial_silence");
      }
    }
    if (t >= o.total_analysis_time) decide(AmdResult::kUnknown, "analysis_timeout");
  }
};

AmdDetector::AmdDetector(const AmdOptions& options) : state_(std::make_unique<State>()) {
  amd_detail::validate(options);
  State& s = *state_;
  s.options = options;
  const auto frames = [](Duration d) { return static_cast<std::size_t>(d / kFrame); };
  s.voice = std::make_unique<amd_detail::VoiceActivity>(
      options, std::min({kStartupFrames, frames(options.initial_silence),
                         frames(options.total_analysis_time)}));
  if (options.detect_fax) {
    s.cng = modem_connect_tones_rx_init(nullptr, MODEM_CONNECT_TONES_FAX_CNG, &State::on_tone, &s);
    // CED and the V.25 answer tone are both 2100 Hz; this detector reports either (with or
    // without phase reversals).
    s.ced = modem_connect_tones_rx_init(nullptr, MODEM_CONNECT_TONES_ANS, &State::on_tone, &s);
    if (s.cng == nullptr || s.ced == nullptr) {
      throw Error(ErrorCode::kInvalidArgument, "spandsp: no tone detector");
    }
  }
}

AmdDetector::~AmdDetector() = default;
AmdDetector::AmdDetector(AmdDetector&&) noexcept = default;
AmdDetector& AmdDetector::operator=(AmdDetector&&) noexcept = default;

std::optional<AmdDecision> AmdDetector::feed(std::span<const std::int16_t> samples) {
  State& s = *state_;
  if (!s.decision) s.framer.feed(samples, [&s] { return s.analyse_frame(), !s.decision; });
  return s.decision;
}

std::optional<AmdDecision> AmdDetector::decision() const { return state_->decision; }

AmdDecision AmdDetector::finish() {
  State& s = *state_;
  if (!s.decision) s.voice->flush([&s](bool v) { return s.rules(v); });
  if (!s.decision) {
    // A partial last frame is too short for the VAD; the rules already saw every whole frame.
    s.time = s.framer.audio_time();
    s.decide(AmdResult::kUnknown, "end_of_audio");
  }
  return *s.decision;
}

Duration AmdDetector::audio_time() const { return state_->framer.audio_time(); }

AmdDecision classify_wav_file(const std::string& path, const AmdOptions& options) {
  const PcmAudio audio = read_wav_file(path);
  AmdDetector detector(options);
  const std::span<const std::int16_t> all(audio.samples);
  for (std::size_t i = 0; i < all.size() && !detector.decision(); i += kFrameSamples) {
    detector.feed(all.subspan(i, std::min<std::size_t>(kFrameSamples, all.size() - i)));
  }
  return detector.finish();
}

}  // namespace omnivox
