// The end of an answering machine's greeting (omnivox/amd.h, BeepDetector): the beep, found as
// a steady single tone with a bank of spandsp Goertzel filters, or a silence heard as AmdDetector
// hears it (amd/voice_activity.h), or a maximum wait.
#include <spandsp.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "amd/voice_activity.h"
#include "omnivox/amd.h"

namespace omnivox {
namespace {

using amd_detail::kFrame;
using amd_detail::kFrameSamples;

// Filters 25 Hz apart on 20 ms frames (bins 50 Hz wide): a tone between two filters still puts
// about 80 % of its energy in the nearer one.
constexpr int kFilterSpacingHz = 25;
// A beep's frequency may wander by this many filters between frames and still be one tone.
constexpr int kSteadyFilters = 2;
// Silence is counted once the first noise floor is learnt over this many frames (as AmdDetector,
// at most a second; by then the greeting ending in silence has not lasted beep_silence).
constexpr std::size_t kStartupFrames = 50;

}  // namespace

struct BeepDetector::State {
  AmdOptions options;
  std::unique_ptr<amd_detail::VoiceActivity> voice;
  std::vector<int> frequencies;
  std::vector<goertzel_descriptor_t> descriptors;
  std::vector<goertzel_state_t> filters;

  amd_detail::Framer framer;
  Duration time{0};       // audio time of the frames analysed
  Duration rule_time{0};  // end of the last frame the silence rule has seen (<= time)
  Duration silence_run{0};

  int tone_filter = -1;  // filter of the tone being heard, -1 when none
  Duration tone_run{0};
  std::optional<GreetingEnd> result;

  void done(const char* cause, Duration at, int hz = 0, Duration length = Duration{0}) {
    GreetingEnd e;
    e.cause = cause;
    e.time = at;
    e.beep_frequency_hz = hz;
    e.beep_length = length;
    result = std::move(e);
  }

  // The filter holding the frame's energy when it is a tone loud and pure enough; -1 otherwise.
  int tone_of_frame() {
    double energy = 0;
    for (std::int16_t v : framer.frame) energy += static_cast<double>(v) * v;
    if (amd_detail::frame_db(framer.frame) < options.beep_min_level_db || energy <= 0) return -1;
    int best = -1;
    double best_power = 0;
    for (std::size_t i = 0; i < filters.size(); ++i) {
      goertzel_update(&filters[i], framer.frame, kFrameSamples);
      const double power = goertzel_result(&filters[i]);  // also resets the filter
      if (power > best_power) {
        best_power = power;
        best = static_cast<int>(i);
      }
    }
    // A full-scale sine at a filter's centre gives N * energy (spandsp's floating-point scale).
    const double share = best_power / (kFrameSamples * energy);
    return share * 100.0 >= options.beep_tone_share_percent ? best : -1;
  }

  void analyse_frame() {
    time += kFrame;
    const int tone = tone_of_frame();
    if (tone >= 0 && tone_filter >= 0 && std::abs(tone - tone_filter) <= kSteadyFilters) {
      tone_run += kFrame;
    } else {
      if (tone_filter >= 0 && tone_run >= options.beep_min_length) {
        // The frame that ends the tone decides: the beep ended one frame ago.
        return done("beep", time - kFrame, frequencies[static_cast<std::size_t>(tone_filter)],
                    tone_run);
      }
      tone_filter = tone;
      tone_run = tone >= 0 ? kFrame : Duration{0};
    }
    voice->push(framer.frame, [this](bool v) {
      rule_time += kFrame;
      silence_run = v ? Duration{0} : silence_run + kFrame;
      if (silence_run >= options.beep_silence) done("silence", rule_time);
      return !result;
    });
    if (!result && time >= options.beep_max_wait) done("max_wait", time);
  }
};

BeepDetector::BeepDetector(const AmdOptions& options) : state_(std::make_unique<State>()) {
  amd_detail::validate(options);
  State& s = *state_;
  s.options = options;
  s.voice = std::make_unique<amd_detail::VoiceActivity>(
      options, std::min(kStartupFrames, static_cast<std::size_t>(options.beep_silence / kFrame)));
  for (int hz = options.beep_min_frequency_hz; hz <= options.beep_max_frequency_hz;
       hz += kFilterSpacingHz) {
    s.frequencies.push_back(hz);
  }
  s.descriptors.resize(s.frequencies.size());
  s.filters.resize(s.frequencies.size());
  for (std::size_t i = 0; i < s.frequencies.size(); ++i) {
    make_goertzel_descriptor(&s.descriptors[i], static_cast<float>(s.frequencies[i]),
                             kFrameSamples);
    goertzel_init(&s.filters[i], &s.descriptors[i]);
  }
}

BeepDetector::~BeepDetector() = default;
BeepDetector::BeepDetector(BeepDetector&&) noexcept = default;
BeepDetector& BeepDetector::operator=(BeepDetector&&) noexcept = default;

std::optional<GreetingEnd> BeepDetector::feed(std::span<const std::int16_t> samples) {
  State& s = *state_;
  if (!s.result) s.framer.feed(samples, [&s] { return s.analyse_frame(), !s.result; });
  return s.result;
}

std::optional<GreetingEnd> BeepDetector::result() const { return state_->result; }

Duration BeepDetector::audio_time() const { return state_->framer.audio_time(); }

}  // namespace omnivox
