// The input checks of core/input_checks.h: strict UTF-8 and time-zone names.
#include "core/input_checks.h"

#include <cctz/time_zone.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace omnivox {

std::size_t detail::utf8_valid_prefix(std::string_view s) {
  const auto* const begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* p = begin;
  const auto* end = begin + s.size();
  while (p < end) {
    // ASCII fast path, 8 bytes at a time.
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p >= end) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return static_cast<std::size_t>(p - begin);
    }
    if (static_cast<std::size_t>(end - p) <= n) return static_cast<std::size_t>(p - begin);
    for (std::size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return static_cast<std::size_t>(p - begin);
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return static_cast<std::size_t>(p - begin);
    }
    p += n + 1;
  }
  return s.size();
}

bool detail::known_time_zone(const std::string& zone) {
  if (zone.empty() || zone.front() == '/') return false;
  for (const char c : zone) {
    const bool name_char = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+' ||
                           c == ':';
    if (!name_char) return false;  // no '.', so no "..", nor a NUL that would cut the name
  }
  cctz::time_zone tz;
  return cctz::load_time_zone(zone, &tz);
}

}  // namespace omnivox
