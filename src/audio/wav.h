// WAV files (RIFF/WAVE, Microsoft's multimedia file format): the reader behind parse_wav /
// read_wav_file (omnivox/amd.h) and a writer for tests and the AMD corpus tools.
#ifndef OMNIVOX_AUDIO_WAV_H_
#define OMNIVOX_AUDIO_WAV_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace omnivox::audio {

/// Encodes mono 16-bit PCM samples at `sample_rate` as the bytes of a canonical WAV file
/// (RIFF, fmt chunk format 1, data chunk).
std::vector<std::uint8_t> encode_wav(std::span<const std::int16_t> samples, int sample_rate);

/// Writes encode_wav's bytes to `path`. Throws Error(kIo) naming the path if it cannot.
void write_wav_file(const std::string& path, std::span<const std::int16_t> samples,
                    int sample_rate = 8000);

}  // namespace omnivox::audio

#endif  // OMNIVOX_AUDIO_WAV_H_
