// Checks of untrusted text shared by the contact import (per CSV field) and the campaign-file
// reader: strict UTF-8, and time zone names.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace omnivox::detail {

/// The length in bytes of the longest prefix of `text` that is strict UTF-8 (no overlong forms,
/// no surrogates, nothing above U+10FFFF, no sequence cut off at the end): text.size() when all
/// of it is, else the offset of the first byte of the first bad sequence. Thread-safe.
std::size_t utf8_valid_prefix(std::string_view text);

/// Whether all of `text` is strict UTF-8 (utf8_valid_prefix).
inline bool valid_utf8(std::string_view text) { return utf8_valid_prefix(text) == text.size(); }

/// Whether `zone` is a time zone of the tz database ("Europe/Lisbon", "UTC", "Etc/GMT+5"), as
/// the engine will look it up. Only names of that shape are looked up at all: the tz library
/// reads an absolute path, or one climbing out of its folder, as a zone file, so "/dev/stdin"
/// would wait for input. Thread-safe.
bool known_time_zone(const std::string& zone);

}  // namespace omnivox::detail
