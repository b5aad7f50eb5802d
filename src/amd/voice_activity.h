// Which 20 ms frames of a call's audio are voice: speexdsp's preprocessor VAD gated by frame
// energy over the line's tracked noise floor, as AmdOptions::voice_detector chooses. Shared by
// the answering-machine detector and the greeting-end (beep) detector so both hear voice and
// silence alike. Not thread-safe; one per call.
#ifndef OMNIVOX_AMD_VOICE_ACTIVITY_H_
#define OMNIVOX_AMD_VOICE_ACTIVITY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "omnivox/amd.h"

struct SpeexPreprocessState_;

namespace omnivox::amd_detail {

inline constexpr int kFrameSamples = 160;  // 20 ms at 8 kHz
inline constexpr Duration kFrame{20};

/// Throws Error(kInvalidArgument) "AmdOptions.field ..." for an out-of-range option.
void validate(const AmdOptions& options);

/// Energy of kFrameSamples samples in dBFS.
double frame_db(const std::int16_t* s);

/// Cuts a stream of samples of any length into kFrameSamples frames.
struct Framer {
  std::int16_t frame[kFrameSamples] = {};
  int fill = 0;
  std::int64_t samples_fed = 0;

  /// Appends `samples`; `on_frame` reads each whole `frame` and returns false to drop the rest
  /// of `samples` (uncounted).
  void feed(std::span<const std::int16_t> samples, const std::function<bool()>& on_frame);
  /// Audio time of the samples fed.
  Duration audio_time() const;
};

class VoiceActivity {
 public:
  /// Called with each frame's decision (true = voice), in order; returns false to drop the
  /// decisions of the frames still held (the caller has decided).
  using FrameSink = std::function<bool(bool voice)>;

  /// `startup_frames`: frames held while the first noise floor is learnt (the quietest of them),
  /// so that a person who speaks from the first frame is not taken for the line's noise.
  /// Throws Error(kInvalidArgument) if speexdsp cannot make a preprocessor.
  VoiceActivity(const AmdOptions& options, std::size_t startup_frames);
  ~VoiceActivity();
  VoiceActivity(const VoiceActivity&) = delete;
  VoiceActivity& operator=(const VoiceActivity&) = delete;

  /// Classifies the next frame (kFrameSamples samples). `sink` hears nothing while the first
  /// noise floor is learnt, then the held frames and this one.
  void push(const std::int16_t* frame, const FrameSink& sink);
  /// The audio ended: the held frames are decided against the floor they show.
  void flush(const FrameSink& sink);

 private:
  struct HeldFrame {
    double db;
    bool speex;
  };
  bool energy_voice(double db);
  bool speex_voiced(const std::int16_t* s);

  AmdOptions options_;
  SpeexPreprocessState_* speex_ = nullptr;
  bool speex_voice_ = false;  // the speexdsp VAD's last decision (hysteresis)
  double floor_db_ = 0;       // noise floor of the line in dBFS, once known
  bool floor_known_ = false;
  std::size_t startup_frames_;
  std::vector<HeldFrame> held_;
};

}  // namespace omnivox::amd_detail

#endif  // OMNIVOX_AMD_VOICE_ACTIVITY_H_
