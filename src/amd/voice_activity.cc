// Voice activity for AMD and the greeting-end detector (voice_activity.h). docs/amd.md says why
// the energy gate stands in front of speexdsp's VAD.
#include "amd/voice_activity.h"

#include <speex/speex_preprocess.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace omnivox::amd_detail {
namespace {

// Below this a frame is silence whatever the noise floor: -55 dBFS is under the quietest speech
// a telephone line delivers and above a quiet line's idle noise.
constexpr double kAbsoluteFloorDb = -55.0;

}  // namespace

double frame_db(const std::int16_t* s) {
  double sum = 0;
  for (int i = 0; i < kFrameSamples; ++i) sum += static_cast<double>(s[i]) * s[i];
  const double ms = sum / kFrameSamples / (32768.0 * 32768.0);
  return 10.0 * std::log10(ms + 1e-12);
}

void Framer::feed(std::span<const std::int16_t> samples, const std::function<bool()>& on_frame) {
  std::size_t i = 0;
  while (i < samples.size()) {
    const std::size_t take =
        std::min<std::size_t>(samples.size() - i, static_cast<std::size_t>(kFrameSamples - fill));
    std::copy_n(samples.begin() + static_cast<std::ptrdiff_t>(i), take, frame + fill);
    fill += static_cast<int>(take);
    samples_fed += static_cast<std::int64_t>(take);
    i += take;
    if (fill == kFrameSamples) {
      fill = 0;
      if (!on_frame()) return;
    }
  }
}

Duration Framer::audio_time() const {
  return Duration{samples_fed * 1000 / AmdDetector::kSampleRate};
}

VoiceActivity::VoiceActivity(const AmdOptions& options, std::size_t startup_frames)
    : options_(options), startup_frames_(std::max<std::size_t>(1, startup_frames)) {
  if (options.voice_detector == AmdVoiceDetector::kSpeex) {
    floor_known_ = true;  // no energy gate: nothing to wait for
  } else {
    held_.reserve(startup_frames_);
  }
  if (options.voice_detector != AmdVoiceDetector::kEnergy) {
    speex_ = speex_preprocess_state_init(kFrameSamples, AmdDetector::kSampleRate);
    if (speex_ == nullptr) throw Error(ErrorCode::kInvalidArgument, "speexdsp: no preprocessor");
    // Only the speech probability is read; the denoised audio is not used.
    spx_int32_t off = 0;
    speex_preprocess_ctl(speex_, SPEEX_PREPROCESS_SET_DENOISE, &off);
  }
}

VoiceActivity::~VoiceActivity() {
  if (speex_ != nullptr) speex_preprocess_state_destroy(speex_);
}

// The energy gate: voice when the frame stands energy_gate_db above the noise floor. The floor
// follows a quieter frame at once and rises slowly (about 3 dB a second), so speech, loud and
// short, does not lift it while a louder line noise is learnt within seconds.
bool VoiceActivity::energy_voice(double db) {
  const bool voice = db > kAbsoluteFloorDb && db > floor_db_ + options_.energy_gate_db;
  if (db < floor_db_) {
    floor_db_ = db < kAbsoluteFloorDb - 30 ? kAbsoluteFloorDb - 30 : db;
  } else {
    floor_db_ += voice ? 0.01 : 0.06;
  }
  return voice;
}

// The speexdsp VAD's decision on the frame (true when it is not used).
bool VoiceActivity::speex_voiced(const std::int16_t* s) {
  bool speex_says = true;
  if (options_.voice_detector != AmdVoiceDetector::kEnergy) {
    std::array<spx_int16_t, kFrameSamples> copy;  // the preprocessor denoises in place
    std::copy(s, s + kFrameSamples, copy.begin());
    speex_preprocess_run(speex_, copy.data());
    // The VAD's own decision, with its start / continue hysteresis, from the frame's speech
    // probability: the same rule SPEEX_PREPROCESS_SET_VAD enables, without the warning that
    // control prints to stderr on every call (one line per answered call in a dialler).
    spx_int32_t prob = 0;
    speex_preprocess_ctl(speex_, SPEEX_PREPROCESS_GET_PROB, &prob);
    speex_says =
        prob > (speex_voice_ ? options_.vad_probability_continue : options_.vad_probability_start);
    speex_voice_ = speex_says;
  }
  return speex_says;
}

void VoiceActivity::push(const std::int16_t* frame, const FrameSink& sink) {
  const bool speex_says = speex_voiced(frame);
  if (floor_known_) {
    sink(speex_says &&
         (options_.voice_detector == AmdVoiceDetector::kSpeex || energy_voice(frame_db(frame))));
    return;
  }
  held_.push_back({frame_db(frame), speex_says});
  if (held_.size() >= startup_frames_) flush(sink);
}

void VoiceActivity::flush(const FrameSink& sink) {
  if (floor_known_) return;
  floor_known_ = true;
  double lowest = 0;
  for (const HeldFrame& f : held_) lowest = std::min(lowest, f.db);
  floor_db_ = std::max(lowest, kAbsoluteFloorDb - 30);
  for (const HeldFrame& f : held_) {
    if (!sink(f.speex && energy_voice(f.db))) break;
  }
  held_.clear();
}

}  // namespace omnivox::amd_detail
