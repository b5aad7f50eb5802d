// Answering-machine and fax detection on a call's audio: is the answering party a person, an
// answering machine (voicemail greeting), or a fax / modem?
//
// The detector reads the callee's audio from the answer on (8 kHz, 16-bit linear PCM, mono, in
// frames of any length) and decides with the timing rules answering-machine detectors have used
// since the first predictive diallers (the ones Asterisk's app_amd documents): a person answers
// with a short greeting ("Hello?") and then waits in silence for the caller; a machine speaks a
// long greeting of several words without pausing long, often after a moment of silence.
//   - voice activity, frame by frame (20 ms), from speexdsp's preprocessor VAD (libspeexdsp)
//     gated by frame energy over the line's noise floor (AmdVoiceDetector);
//   - words: runs of voice at least min_word_length long, separated by silence of at least
//     between_words_silence;
//   - the greeting: from the first word to the last voice before a silence of
//     after_greeting_silence (pauses between its words are shorter);
//   - HUMAN when a greeting (the first voiced run) is shorter than max_greeting_length and
//     followed by after_greeting_silence of silence, or when nothing but silence is heard for
//     initial_silence (a person who says nothing: cause "initial_silence" gives MACHINE in
//     app_amd; here it is a setting, see silent_answer_is_machine);
//   - MACHINE when the greeting lasts longer than max_greeting_length, or more than
//     max_number_of_words words are spoken, or a word lasts longer than max_word_length;
//   - FAX when a CNG tone (1100 Hz, T.30) or a CED / answer tone (2100 Hz, V.25 / T.30) is
//     detected, with spandsp's tone detectors;
//   - NOTSURE when total_analysis_time passes with no rule satisfied.
// Every threshold is in AmdOptions with its default. A decision names its rule (`cause`) and
// when it was taken (`decision_time`, audio time from the first sample).
//
// Thread-safety: an AmdDetector is not thread-safe; use one per call from one thread at a time.
// Different detectors are independent. A moved-from detector may only be destroyed or assigned.
// Cost: about 12 µs of CPU per 20 ms frame (measured, docs/amd.md): one core follows over a
// thousand calls.
#ifndef OMNIVOX_AMD_H_
#define OMNIVOX_AMD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "omnivox/model.h"
#include "omnivox/types.h"

namespace omnivox {

/// Which frames count as voice. speexdsp's VAD alone (its speech probability with the start /
/// continue hysteresis) takes line noise for voice and holds voice through the silence after a
/// greeting: on the telephone-band corpus of docs/amd.md it takes 20 % of people for machines.
/// The energy gate (a frame at least energy_gate_db above the line's tracked noise floor, and
/// above -55 dBFS) does not.
enum class AmdVoiceDetector : std::uint8_t {
  kSpeex,           ///< speexdsp's VAD decision alone
  kEnergy,          ///< the energy gate alone
  kSpeexAndEnergy,  ///< voice when both say voice (the default)
};

/// Thresholds of the detector. Every field states its default; durations are audio time.
struct AmdOptions {
  /// Silence from the answer after which the callee is taken as silent (rule
  /// "initial_silence"). Default: 2500 ms.
  Duration initial_silence{2500};
  /// A first voiced run (the greeting) longer than this is a machine's. Default: 2000 ms
  /// (app_amd: 1500 ms; people who answer "Hello, Smith residence." take 1.5 s, and taking a
  /// person for a machine costs more than the later decision, docs/amd.md).
  Duration max_greeting_length{2000};
  /// Silence after a short greeting that makes it a person waiting for the caller. Default:
  /// 800 ms.
  Duration after_greeting_silence{800};
  /// Total audio analysed before NOTSURE. Default: 5000 ms.
  Duration total_analysis_time{5000};
  /// Shortest voiced run counted as a word (shorter ones are noise). Default: 100 ms.
  Duration min_word_length{100};
  /// A single word longer than this is a machine's. Default: 5000 ms.
  Duration max_word_length{5000};
  /// Silence that separates two words. Default: 50 ms.
  Duration between_words_silence{50};
  /// More words than this before a decision is a machine. Default: 3.
  int max_number_of_words = 3;
  /// What silence for initial_silence means: true = MACHINE (as app_amd: a voicemail system
  /// that has not started its greeting), false = HUMAN. Default: true.
  bool silent_answer_is_machine = true;
  /// Detect fax and modem tones (CNG 1100 Hz, CED 2100 Hz). Default: true.
  bool detect_fax = true;
  /// The speexdsp VAD's probability (0–100) to enter voice. Default: 80.
  int vad_probability_start = 80;
  /// The speexdsp VAD's probability (0–100) to stay in voice. Default: 65.
  int vad_probability_continue = 65;
  /// Which frames count as voice. Default: kSpeexAndEnergy.
  AmdVoiceDetector voice_detector = AmdVoiceDetector::kSpeexAndEnergy;
  /// The energy gate's margin over the noise floor, in dB (0–60). Default: 9.
  int energy_gate_db = 9;

  // The end of a machine's greeting (BeepDetector), where a voicemail message starts.
  /// The shortest steady single tone taken for the beep that closes a greeting. Default: 150 ms.
  Duration beep_min_length{150};
  /// The beep's frequency range in Hz (100–3900). Default: 400–2100 Hz.
  int beep_min_frequency_hz = 400;
  int beep_max_frequency_hz = 2100;
  /// Share of a 20 ms frame's energy, in percent (1–100), at the strongest frequency for the
  /// frame to count as tone: a beep puts nearly all of it there, speech spreads it over
  /// harmonics. Default: 60.
  int beep_tone_share_percent = 60;
  /// A tone quieter than this, in dBFS (-90–0), is not a beep. Default: -45.
  int beep_min_level_db = -45;
  /// Silence (as voice_detector and energy_gate_db decide) that ends a greeting without a beep.
  /// Default: 1500 ms.
  Duration beep_silence{1500};
  /// The longest wait for the greeting's end; the message starts then whatever is heard.
  /// Default: 20000 ms.
  Duration beep_max_wait{20000};
};

/// The outcome of detection on one call.
struct AmdDecision {
  /// kHuman, kMachine, kFax, or kUnknown for NOTSURE.
  AmdResult result = AmdResult::kUnknown;
  /// The rule that decided, e.g. "short_greeting", "long_greeting", "max_words", "max_word_length",
  /// "initial_silence", "fax_cng", "fax_ced", "analysis_timeout", "end_of_audio".
  std::string cause;
  /// Audio time from the first sample fed to the decision.
  Duration decision_time{0};
  /// Words counted and the greeting's length when the decision was taken.
  int words = 0;
  Duration greeting_length{0};
};

/// Streaming detector of one call. Construction throws Error(kInvalidArgument) naming the field
/// for an out-of-range option (negative durations, probabilities outside 0–100).
class AmdDetector {
 public:
  /// Samples per second the detector reads.
  static constexpr int kSampleRate = 8000;

  explicit AmdDetector(const AmdOptions& options = {});
  ~AmdDetector();
  AmdDetector(const AmdDetector&) = delete;
  AmdDetector& operator=(const AmdDetector&) = delete;
  AmdDetector(AmdDetector&&) noexcept;
  AmdDetector& operator=(AmdDetector&&) noexcept;

  /// Reads the next samples (8 kHz, 16-bit linear PCM, mono; any count, including 0). Returns
  /// the decision once taken (and on every later call); samples fed after it are ignored.
  std::optional<AmdDecision> feed(std::span<const std::int16_t> samples);
  /// The decision, if taken.
  std::optional<AmdDecision> decision() const;
  /// The audio ended (the call hung up or the recording ended): decides now from what was
  /// heard if not decided yet (cause "end_of_audio" unless a rule applies). Returns the decision.
  AmdDecision finish();
  /// Audio time fed so far.
  Duration audio_time() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Where a machine's greeting ended, as BeepDetector found it.
struct GreetingEnd {
  /// "beep" (the end of a steady tone), "silence" (beep_silence of silence) or "max_wait".
  std::string cause;
  /// Audio time from the first sample fed to the detector: the beep's end, the end of the
  /// silence, or beep_max_wait. A message started then is not heard over the greeting.
  Duration time{0};
  /// The beep's frequency (Hz, to about 25 Hz) and length; 0 for the other causes.
  int beep_frequency_hz = 0;
  Duration beep_length{0};
};

/// Streaming detector of the end of an answering machine's greeting, fed the callee's audio
/// after a MACHINE verdict (8 kHz, 16-bit linear PCM, mono, frames of any length) so that a
/// voicemail message starts when the recording does. Whichever comes first:
///   - a beep: one steady tone between beep_min_frequency_hz and beep_max_frequency_hz lasting
///     at least beep_min_length, found with spandsp's Goertzel filters (a bank 25 Hz apart on
///     20 ms frames); the end is reported when the tone stops;
///   - beep_silence of silence, from the same voice decision as AmdDetector (voice_detector,
///     energy_gate_db, the speexdsp VAD probabilities);
///   - beep_max_wait of audio.
/// Construction throws Error(kInvalidArgument) naming the field for an out-of-range option (as
/// AmdDetector). Not thread-safe: one per call, one thread at a time. Cost: about 23 µs of CPU
/// per 20 ms frame (measured, docs/amd.md), from the verdict to the greeting's end only.
class BeepDetector {
 public:
  explicit BeepDetector(const AmdOptions& options = {});
  ~BeepDetector();
  BeepDetector(const BeepDetector&) = delete;
  BeepDetector& operator=(const BeepDetector&) = delete;
  BeepDetector(BeepDetector&&) noexcept;
  BeepDetector& operator=(BeepDetector&&) noexcept;

  /// Reads the next samples. Returns the greeting's end once found (and on every later call);
  /// samples fed after it are ignored.
  std::optional<GreetingEnd> feed(std::span<const std::int16_t> samples);
  /// The greeting's end, if found.
  std::optional<GreetingEnd> result() const;
  /// Audio time fed so far.
  Duration audio_time() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// A mono 8 kHz 16-bit PCM recording read from a WAV file.
struct PcmAudio {
  std::vector<std::int16_t> samples;
  int sample_rate = AmdDetector::kSampleRate;
};

/// Reads a WAV file (RIFF, PCM 16-bit, or G.711 µ-law / A-law, mono, 8000 Hz). Throws Error(kIo)
/// if the file cannot be read, Error(kInvalidArgument) "path: reason" for another format (e.g.
/// "path: 44100 Hz, expected 8000 Hz", "path: 2 channels, expected mono", "path: not a RIFF/WAVE
/// file", "path: truncated data chunk").
PcmAudio read_wav_file(const std::string& path);
/// Parses WAV bytes as read_wav_file does; `source` names them in errors.
PcmAudio parse_wav(std::span<const std::uint8_t> bytes, const std::string& source = "<wav>");

/// Classifies a whole recording: feeds it in 20 ms frames and finishes. Throws as read_wav_file.
AmdDecision classify_wav_file(const std::string& path, const AmdOptions& options = {});

}  // namespace omnivox

#endif  // OMNIVOX_AMD_H_
