// Helpers shared by the Twilio backend's files. Internal.
#ifndef OMNIVOX_SRC_TELEPHONY_TWILIO_TWILIO_UTIL_H_
#define OMNIVOX_SRC_TELEPHONY_TWILIO_TWILIO_UTIL_H_

#include <string>
#include <string_view>

#include "omnivox/types.h"

namespace omnivox::twilio_detail {

/// "Tue, 31 Aug 2010 20:36:29 +0000" (RFC 2822 dates, as Twilio writes them) → UTC; the epoch
/// when the text is not such a date or a field is out of range (years 1970-9999).
TimePoint parse_rfc2822(const std::string& text);
/// Escapes &, <, >, " and ' for XML text and attributes (TwiML).
std::string xml_escape(std::string_view s);

}  // namespace omnivox::twilio_detail

#endif  // OMNIVOX_SRC_TELEPHONY_TWILIO_TWILIO_UTIL_H_
