// G.711 (ITU-T G.711) µ-law and A-law, the codecs of the telephone network and of RTP payload
// types 0 (PCMU) and 8 (PCMA), RFC 3551. One byte per sample at 8 kHz; spandsp's codec.
#ifndef OMNIVOX_AUDIO_G711_H_
#define OMNIVOX_AUDIO_G711_H_

#include <cstdint>
#include <span>

namespace omnivox::audio {

enum class G711Law : std::uint8_t {
  kMuLaw,  ///< PCMU, RTP payload type 0 (North America, Japan)
  kALaw,   ///< PCMA, RTP payload type 8 (elsewhere)
};

/// The static RTP payload type of the law (RFC 3551, table 4).
constexpr int rtp_payload_type(G711Law law) { return law == G711Law::kMuLaw ? 0 : 8; }

/// Decodes `in.size()` G.711 bytes into `out` (16-bit linear PCM); `out` must be at least as
/// long. Returns the samples written.
std::size_t g711_decode(G711Law law, std::span<const std::uint8_t> in, std::span<std::int16_t> out);
/// Encodes `in.size()` linear samples into `out` (one byte each); `out` must be at least as long.
/// Returns the bytes written.
std::size_t g711_encode(G711Law law, std::span<const std::int16_t> in, std::span<std::uint8_t> out);

}  // namespace omnivox::audio

#endif  // OMNIVOX_AUDIO_G711_H_
