// The phone-number side of the import: E.164 normalisation through PhoneNormalizer's fast path
// (include/omnivox/import.h) or libphonenumber's Parse, with the state one thread reuses from
// number to number. Internal to libomnivox (the importer and PhoneNormalizer). The code that
// calls libphonenumber is the library libomnivox_phone (phone_fast_path.cc), which the core
// loads on first need (engine/phone_library.h): this header names none of its types.
#ifndef OMNIVOX_ENGINE_PHONE_FAST_PATH_H_
#define OMNIVOX_ENGINE_PHONE_FAST_PATH_H_

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
  // The text the thread's pattern matchers last ran on.
  std::string text;
  bool regex_failed = false;  // an ICU error: the fast path gives up (Parse decides)
  // The default region last looked up (normalize_without_plus).
  std::string region_id;
  const PhoneRegion* region = nullptr;
  // The time zone last found in the tz database (rows of a file often share one).
  std::string known_zone;

  // libphonenumber's and ICU's per-thread objects (the number, the thread's matchers of
  // PhoneRules' patterns, the text converted once per text): made by libomnivox_phone on first
  // use, destroyed through the deleter it sets, so the core never names their types.
  struct Lib;
  std::unique_ptr<Lib, void (*)(Lib*)> lib{nullptr, nullptr};

  // In libomnivox_phone only. The objects above, made if needed.
  Lib& state();
  // In libomnivox_phone only. Whether the fast path's pattern `index` matches the whole of
  // `text` (RegExp::FullMatch) or, if !whole, a start of it (RegExp::Consume: lookingAt; `*end`
  // gets the match's length).
  bool match(int index, std::string_view text, bool whole, int* end = nullptr);
};

// Normalises `raw` (trimmed, non-empty) to E.164 in `*out`: the fast path first when
// `fast_path`, else libphonenumber's Parse. False with `*reason` (if not null) set when it is not
// a valid number for default region `region`. Loads libomnivox_phone at the first call (throws
// Error(kConfig) naming the paths tried when it is missing).
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
