#include "audio/g711.h"

// spandsp's headers must be read through its umbrella header (they need its macros first).
#include <spandsp.h>

#include <algorithm>

namespace omnivox::audio {

std::size_t g711_decode(G711Law law, std::span<const std::uint8_t> in,
                        std::span<std::int16_t> out) {
  const std::size_t n = std::min(in.size(), out.size());
  if (law == G711Law::kMuLaw) {
    for (std::size_t i = 0; i < n; ++i) out[i] = ulaw_to_linear(in[i]);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = alaw_to_linear(in[i]);
  }
  return n;
}

std::size_t g711_encode(G711Law law, std::span<const std::int16_t> in,
                        std::span<std::uint8_t> out) {
  const std::size_t n = std::min(in.size(), out.size());
  if (law == G711Law::kMuLaw) {
    for (std::size_t i = 0; i < n; ++i) out[i] = linear_to_ulaw(in[i]);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = linear_to_alaw(in[i]);
  }
  return n;
}

}  // namespace omnivox::audio
