// Answering-machine and fax detection (omnivox/amd.h). The timing rules are those whose
// parameters Asterisk's app_amd documents (initial silence, greeting, after-greeting silence,
// words, word length, total analysis time); this is an independent implementation on 20 ms
// frames. Voice activity: speexdsp's preprocessor VAD, gated by frame energy over a tracked
// noise floor (docs/amd.md says why). Fax: spandsp's modem connect-tone detectors.
#include <spandsp.h>
#include <speex/speex_preprocess.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "omnivox/amd.h"
#include "omnivox/types.h"

namespace omnivox {
namespace {

constexpr int kFrameSamples = 160;  // 20 ms at 8 kHz
constexpr Duration kFrame{20};
// The energy gate's first noise floor is the quietest frame of the first second (or of a shorter
// initial_silence / total_analysis_time); until then frames wait, so that a person who speaks
// from the very first frame is not taken for the line's noise.
constexpr std::size_t kStartupFrames = 50;
// Below this a frame is silence whatever the noise floor: -55 dBFS is under the quietest speech
// a telephone line delivers and above a quiet line's idle noise.
constexpr double kAbsoluteFloorDb = -55.0;

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

void validate(const AmdOptions& o) {
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
  switch (o.voice_detector) {
    case AmdVoiceDetector::kSpeex:
    case AmdVoiceDetector::kEnergy:
    case AmdVoiceDetector::kSpeexAndEnergy:
      break;
    default:
      throw Error(ErrorCode::kInvalidArgument, "AmdOptions.voice_detector is not a known value");
  }
}

}  // namespace

struct AmdDetector::State {
  AmdOptions options;
  SpeexPreprocessState* speex = nullptr;
  modem_connect_tones_rx_state_t* cng = nullptr;
  modem_connect_tones_rx_state_t* ced = nullptr;

  std::array<std::int16_t, kFrameSamples> frame{};
  int frame_fill = 0;
  std::int64_t samples_fed = 0;
  Duration time{0};       // audio time of the frames analysed
  Duration rule_time{0};  // end of the last frame the timing rules have seen (<= time)

  // Noise floor of the line in dBFS; unset until the first frame.
  bool speex_voice = false;  // the speexdsp VAD's last decision (hysteresis)
  double floor_db = 0;
  // Frames of the first second, held until the first noise floor is known: energy (dBFS) and
  // the speexdsp VAD's decision.
  struct HeldFrame {
    double db;
    bool speex;
  };
  std::vector<HeldFrame> held;
  bool floor_known = false;
  std::size_t startup_frames = kStartupFrames;

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
    if (speex != nullptr) speex_preprocess_state_destroy(speex);
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

  double frame_db(const std::int16_t* s) const {
    double sum = 0;
    for (int i = 0; i < kFrameSamples; ++i) sum += static_cast<double>(s[i]) * s[i];
    const double ms = sum / kFrameSamples / (32768.0 * 32768.0);
    return 10.0 * std::log10(ms + 1e-12);
  }

  // The energy gate: voice when the frame stands energy_gate_db above the noise floor. The floor
  // follows a quieter frame at once and rises slowly (about 3 dB a second), so speech, loud and
  // short, does not lift it while a louder line noise is learnt within seconds.
  bool energy_voice(double db) {
    const bool voice = db > kAbsoluteFloorDb && db > floor_db + options.energy_gate_db;
    if (db < floor_db) {
      floor_db = db < kAbsoluteFloorDb - 30 ? kAbsoluteFloorDb - 30 : db;
    } else {
      floor_db += voice ? 0.01 : 0.06;
    }
    return voice;
  }

  // The speexdsp VAD's decision on the frame (true when it is not used).
  bool speex_voiced(const std::int16_t* s) {
    bool speex_says = true;
    if (options.voice_detector != AmdVoiceDetector::kEnergy) {
      std::array<spx_int16_t, kFrameSamples> copy;  // the preprocessor denoises in place
      std::copy(s, s + kFrameSamples, copy.begin());
      speex_preprocess_run(speex, copy.data());
      // The VAD's own decision, with its start / continue hysteresis, from the frame's speech
      // probability: the same rule SPEEX_PREPROCESS_SET_VAD enables, without the warning that
      // control prints to stderr on every call (one line per answered call in a dialler).
      spx_int32_t prob = 0;
      speex_preprocess_ctl(speex, SPEEX_PREPROCESS_GET_PROB, &prob);
      speex_says =
          prob > (speex_voice ? options.vad_probability_continue : options.vad_probability_start);
      speex_voice = speex_says;
    }
    return speex_says;
  }

  void analyse_frame() {
    if (options.detect_fax) {
      modem_connect_tones_rx(cng, frame.data(), kFrameSamples);
      modem_connect_tones_rx(ced, frame.data(), kFrameSamples);
    }
    const bool speex_says = speex_voiced(frame.data());
    time += kFrame;
    if (fax_tone != MODEM_CONNECT_TONES_NONE) {
      decide(AmdResult::kFax, fax_tone == MODEM_CONNECT_TONES_FAX_CNG ? "fax_cng" : "fax_ced");
      return;
    }
    if (floor_known) {
      apply_rules(speex_says && (options.voice_detector == AmdVoiceDetector::kSpeex ||
                                 energy_voice(frame_db(frame.data()))));
      return;
    }
    held.push_back({frame_db(frame.data()), speex_says});
    if (held.size() >= startup_frames) release_held();
  }

  // The first noise floor is known: the held frames go through the gate and the rules, in order.
  void release_held() {
    floor_known = true;
    double lowest = 0;
    for (const HeldFrame& f : held) lowest = std::min(lowest, f.db);
    floor_db = std::max(lowest, kAbsoluteFloorDb - 30);
    for (const HeldFrame& f : held) {
      if (decision) break;
      apply_rules(f.speex && energy_voice(f.db));
    }
    held.clear();
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
  validate(options);
  State& s = *state_;
  s.options = options;
  if (options.voice_detector == AmdVoiceDetector::kSpeex) {
    s.floor_known = true;  // no energy gate: nothing to wait for
  } else {
    const auto frames = [](Duration d) { return static_cast<std::size_t>(d / kFrame); };
    s.startup_frames =
        std::max<std::size_t>(1, std::min({kStartupFrames, frames(options.initial_silence),
                                           frames(options.total_analysis_time)}));
    s.held.reserve(s.startup_frames);
  }
  if (options.voice_detector != AmdVoiceDetector::kEnergy) {
    s.speex = speex_preprocess_state_init(kFrameSamples, kSampleRate);
    if (s.speex == nullptr) throw Error(ErrorCode::kInvalidArgument, "speexdsp: no preprocessor");
    // Only the speech probability is read; the denoised audio is not used.
    spx_int32_t off = 0;
    speex_preprocess_ctl(s.speex, SPEEX_PREPROCESS_SET_DENOISE, &off);
  }
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
  std::size_t i = 0;
  while (!s.decision && i < samples.size()) {
    const std::size_t take = std::min<std::size_t>(
        samples.size() - i, static_cast<std::size_t>(kFrameSamples - s.frame_fill));
    std::copy_n(samples.begin() + static_cast<std::ptrdiff_t>(i), take,
                s.frame.begin() + s.frame_fill);
    s.frame_fill += static_cast<int>(take);
    s.samples_fed += static_cast<std::int64_t>(take);
    i += take;
    if (s.frame_fill == kFrameSamples) {
      s.frame_fill = 0;
      s.analyse_frame();
    }
  }
  return s.decision;
}

std::optional<AmdDecision> AmdDetector::decision() const { return state_->decision; }

AmdDecision AmdDetector::finish() {
  State& s = *state_;
  if (!s.decision && !s.floor_known) s.release_held();
  if (!s.decision) {
    // A partial last frame is too short for the VAD; the rules already saw every whole frame.
    s.time = Duration{s.samples_fed * 1000 / kSampleRate};
    s.decide(AmdResult::kUnknown, "end_of_audio");
  }
  return *s.decision;
}

Duration AmdDetector::audio_time() const {
  return Duration{state_->samples_fed * 1000 / kSampleRate};
}

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
