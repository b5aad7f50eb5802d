// Fuzz target: WAV bytes (parse_wav, omnivox/amd.h) and the answering-machine detector on what
// they decode to.
//
// Input: the bytes of a file. Checks what amd.h promises: parse_wav either returns mono 8 kHz
// samples (no more than the bytes could hold) or throws Error(kInvalidArgument) with a message
// "<source>: reason"; the samples, fed to an AmdDetector in chunks whose sizes come from the
// input, give a decision whose time is within the audio fed, and finish() returns the same
// decision on a second call. The detector also reads the bytes themselves as samples, so any
// audio reaches it, not only valid files.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "omnivox/amd.h"
#include "omnivox/types.h"

namespace {

void detect(std::span<const std::int16_t> samples, std::uint8_t shape) {
  omnivox::AmdOptions options;
  // A few option sets, chosen by the input: defaults, every voice detector, short windows.
  options.voice_detector = static_cast<omnivox::AmdVoiceDetector>(shape % 3);
  if (shape & 0x08) options.total_analysis_time = omnivox::Duration{300};
  if (shape & 0x10) options.detect_fax = false;
  if (shape & 0x20) options.silent_answer_is_machine = false;
  const std::size_t chunk = 1 + (shape >> 6) * 97;
  omnivox::AmdDetector detector(options);
  std::size_t fed = 0;
  for (std::size_t i = 0; i < samples.size(); i += chunk) {
    const std::size_t n = std::min(chunk, samples.size() - i);
    const auto d = detector.feed(samples.subspan(i, n));
    fed += n;
    if (d) {
      FUZZ_CHECK(d->decision_time.count() >= 0);
      FUZZ_CHECK(d->decision_time.count() <= static_cast<long long>(fed / 8 + 1));
      break;
    }
  }
  const omnivox::AmdDecision first = detector.finish();
  const omnivox::AmdDecision second = detector.finish();
  FUZZ_CHECK(first.result == second.result && first.cause == second.cause);
  FUZZ_CHECK(!first.cause.empty());
  FUZZ_CHECK(first.result != omnivox::AmdResult::kNone);
  FUZZ_CHECK(first.decision_time <= detector.audio_time());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    const omnivox::PcmAudio audio = omnivox::parse_wav(bytes, "fuzz");
    FUZZ_CHECK(audio.sample_rate == omnivox::AmdDetector::kSampleRate);
    FUZZ_CHECK(audio.samples.size() <= size);
    detect(audio.samples, size > 20 ? data[20] : 0);
  } catch (const omnivox::Error& e) {
    FUZZ_CHECK(e.code() == omnivox::ErrorCode::kInvalidArgument);
    FUZZ_CHECK(std::string(e.what()).rfind("fuzz: ", 0) == 0);
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  // The raw bytes as 16-bit samples: arbitrary audio for the detector.
  std::vector<std::int16_t> raw(size / 2);
  if (!raw.empty()) std::memcpy(raw.data(), data, raw.size() * 2);
  try {
    detect(raw, size > 0 ? data[size - 1] : 0);
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  return 0;
}
