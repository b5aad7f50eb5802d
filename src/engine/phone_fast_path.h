// The phone-number side of the import: E.164 normalisation through PhoneNormalizer's fast path
// (include/omnivox/import.h) or libphonenumber's Parse, with the state one thread reuses from
// number to number. Internal to libomnivox (the importer and PhoneNormalizer).
#ifndef OMNIVOX_ENGINE_PHONE_FAST_PATH_H_
#define OMNIVOX_ENGINE_PHONE_FAST_PATH_H_

#include <phonenumbers/phonenumber.pb.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace omnivox::detail {

struct PhoneRegion;  // one region's compiled metadata (phone_fast_path.cc)

// Per-thread state of phone normalisation, reused from number to number.
struct PhoneScratch {
  std::string input;
  std::string digits;
  std::string out;
  std::string reason;
  i18n::phonenumbers::PhoneNumber number;
  // The thread's matchers of PhoneRules' patterns (created on first use), and the text they
  // run on, converted once per text.
  std::vector<std::unique_ptr<icu::RegexMatcher>> matchers;
  std::string text;
  icu::UnicodeString unicode;
  bool regex_failed = false;  // an ICU error: the fast path gives up (Parse decides)
  // The default region last looked up (normalize_without_plus).
  std::string region_id;
  const PhoneRegion* region = nullptr;
  // The time zone last found in the tz database (rows of a file often share one).
  std::string known_zone;

  // Whether the fast path's pattern `index` matches the whole of `text` (RegExp::FullMatch) or,
  // if !whole, a start of it (RegExp::Consume: lookingAt; `*end` gets the match's length).
  bool match(int index, std::string_view text, bool whole, int* end = nullptr);
};

// Normalises `raw` (trimmed, non-empty) to E.164 in `*out`: the fast path first when
// `fast_path`, else libphonenumber's Parse. False with `*reason` (if not null) set when it is not
// a valid number for default region `region`.
bool normalize_phone(std::string_view raw, const std::string& region, bool fast_path,
                     PhoneScratch& s, std::string* out, std::string* reason);

// `s` without the spaces and tabs around it (as libcsv trims unquoted fields).
inline std::string_view trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

}  // namespace omnivox::detail

#endif  // OMNIVOX_ENGINE_PHONE_FAST_PATH_H_
