// Strict UTF-8 validation, shared by the contact import (per CSV field) and the campaign-file
// reader (whole file, to name where a file stops being UTF-8).
#pragma once

#include <cstddef>
#include <string_view>

namespace omnivox::detail {

/// The length in bytes of the longest prefix of `text` that is strict UTF-8 (no overlong forms,
/// no surrogates, nothing above U+10FFFF, no sequence cut off at the end): text.size() when all
/// of it is, else the offset of the first byte of the first bad sequence. Thread-safe.
std::size_t utf8_valid_prefix(std::string_view text);

/// Whether all of `text` is strict UTF-8 (utf8_valid_prefix).
inline bool valid_utf8(std::string_view text) { return utf8_valid_prefix(text) == text.size(); }

}  // namespace omnivox::detail
