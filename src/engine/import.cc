// Contact import from CSV (libcsv) with E.164 normalisation (libphonenumber).
//
// The file is read in large chunks and split into physical lines; each line (without its "\n" or
// "\r\n") is fed to libcsv followed by a single "\n", so libcsv sees exactly one terminator per
// feed and we always know which physical line a row started on. libcsv's terminator function is
// set to accept only '\n' (a lone '\r' inside a line is data). A record that spans several lines
// (a quoted field with an embedded newline) keeps copies of its continuation lines, so that when
// it turns out to be an unbalanced quote we can report it at its start line and re-parse from
// the line after it: good rows swallowed by the runaway quote still load.
#include "omnivox/import.h"

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>
#include <cctz/time_zone.h>
#include <csv.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <sys/mman.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <thread>

#include "core/input_checks.h"

// libphonenumber's compiled-in metadata (its generated metadata.cc; metadata.h is not among the
// installed headers). The same bytes PhoneNumberUtil loads at start.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace omnivox {
namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

const PhoneNumberUtil& phone_util() { return *PhoneNumberUtil::GetInstance(); }

const std::set<std::string>& supported_regions() {
  static const std::set<std::string> regions = [] {
    std::set<std::string> r;
    phone_util().GetSupportedRegions(&r);
    return r;
  }();
  return regions;
}

std::string_view trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

const char* parse_error_text(PhoneNumberUtil::ErrorType e) {
  switch (e) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return "invalid country code";
    case PhoneNumberUtil::NOT_A_NUMBER:
      return "not a number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return "too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return "too short";
    case PhoneNumberUtil::TOO_LONG_NSN:
      return "too long";
    default:
      return "cannot parse";
  }
}

// libphonenumber's metadata, compiled once for the fast path (PhoneNormalizer's comment) and
// shared, read-only, by all threads: for each country calling code the regions
// GetRegionCodesForCountryCallingCode lists (in its order), and for each region the number
// descriptions IsValidNumber reads. The patterns are the metadata's own strings compiled with ICU
// as libphonenumber's ICU regexp adapter compiles them; each thread runs them with its own
// matchers (PhoneScratch), so the fast path never goes through libphonenumber's RegExpCache,
// whose lock and string hashing made threads contend.
class PhoneRules {
 public:
  // One PhoneNumberDesc as PhoneNumberUtil::IsNumberMatchingDesc reads it.
  struct Desc {
    int pattern = -1;          // into patterns(); -1: empty national_number_pattern (no match)
    std::vector<int> lengths;  // possible_length; empty: not checked
  };
  // One region's (or non-geographical entity's) PhoneMetadata.
  struct Region {
    const PhoneMetadata* metadata = nullptr;  // in PhoneRules' own copy of the collection
    std::string id;
    int country_code = 0;
    int leading_digits = -1;  // -1: !has_leading_digits()
    Desc general;
    Desc fixed_line;
    Desc mobile;
    bool same_mobile_and_fixed_line = false;
    // premium_rate, toll_free, shared_cost, voip, personal_number, pager, uan, voicemail
    std::array<Desc, 8> other_types;
    std::vector<int> local_only_lengths;     // general_desc's possible_length_local_only
    int national_prefix = -1;                // national_prefix_for_parsing; -1: none
    bool national_prefix_transform = false;  // has a national_prefix_transform_rule
    // As the default region of numbers written without '+' (normalize_without_plus): the
    // international prefix when it is plain digits (empty otherwise: then no number without '+'
    // is read here).
    std::string idd_digits;
    std::string country_code_digits;
  };
  struct CallingCode {
    bool known = false;                  // GetRegionCodeForCountryCode is not "ZZ"
    std::vector<const Region*> regions;  // GetRegionCodesForCountryCallingCode's order
    const Region* main = nullptr;        // the metadata Parse uses for the code
  };

  static const PhoneRules& get() {
    static const PhoneRules rules;
    return rules;
  }

  // False if the metadata could not be read or compiled: then everything goes through Parse.
  bool usable() const { return usable_; }
  const CallingCode* code(int code) const {
    return code > 0 && code < kCount && codes_[code].known ? &codes_[code] : nullptr;
  }
  const Region* region(const std::string& id) const {
    const auto it = regions_by_id_.find(id);
    return it == regions_by_id_.end() ? nullptr : it->second;
  }
  std::size_t pattern_count() const { return patterns_.size(); }
  const icu::RegexPattern& pattern(int index) const { return *patterns_[index]; }

  static constexpr int kCount = 1000;

 private:
  PhoneRules() {
    const PhoneNumberUtil& util = phone_util();
    if (!collection_.ParseFromArray(i18n::phonenumbers::metadata_get(),
                                    i18n::phonenumbers::metadata_size())) {
      return;
    }
    std::map<int, const Region*> non_geographical;  // "001" entities by calling code
    for (const PhoneMetadata& m : collection_.metadata()) {
      Region& r = regions_.emplace_back();
      if (!read_region(m, r)) return;
      if (r.id == "001") {
        non_geographical[r.country_code] = &r;
      } else {
        regions_by_id_[r.id] = &r;
      }
    }
    std::string main_region;
    std::list<std::string> region_ids;
    for (int code = 1; code < kCount; ++code) {
      util.GetRegionCodeForCountryCode(code, &main_region);
      CallingCode& c = codes_[code];
      c.known = main_region != "ZZ";
      if (!c.known) continue;
      region_ids.clear();
      util.GetRegionCodesForCountryCallingCode(code, &region_ids);
      for (const std::string& id : region_ids) {
        const Region* r = id == "001" ? non_geographical[code] : region(id);
        if (!r || r->country_code != code) return;  // not the metadata we expect: all via Parse
        c.regions.push_back(r);
      }
      // Parse (ParseHelper) reads the number with GetMetadataForRegionOrCallingCode of the
      // code's main region.
      c.main = main_region == "001" ? non_geographical[code] : region(main_region);
      if (!c.main) return;
    }
    usable_ = true;
  }

  // The index of `pattern` compiled (shared between descriptions); -2 if ICU rejects it.
  int add_pattern(const std::string& pattern) {
    const auto it = pattern_index_.find(pattern);
    if (it != pattern_index_.end()) return it->second;
    UErrorCode status = U_ZERO_ERROR;
    UParseError parse_error;
    std::unique_ptr<icu::RegexPattern> compiled(
        icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(pattern), 0, parse_error, status));
    if (U_FAILURE(status) || !compiled) return -2;
    patterns_.push_back(std::move(compiled));
    const int index = static_cast<int>(patterns_.size() - 1);
    pattern_index_.emplace(pattern, index);
    return index;
  }

  bool read_desc(const i18n::phonenumbers::PhoneNumberDesc& d, Desc& out) {
    out.lengths.assign(d.possible_length().begin(), d.possible_length().end());
    if (d.national_number_pattern().empty()) return true;
    out.pattern = add_pattern(d.national_number_pattern());
    return out.pattern != -2;
  }

  static bool all_digits(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  }

  bool read_region(const PhoneMetadata& m, Region& r) {
    r.metadata = &m;
    r.id = m.id();
    r.country_code = m.country_code();
    if (m.has_leading_digits()) {
      r.leading_digits = add_pattern(m.leading_digits());
      if (r.leading_digits == -2) return false;
    }
    r.same_mobile_and_fixed_line = m.same_mobile_and_fixed_line_pattern();
    const i18n::phonenumbers::PhoneNumberDesc* others[] = {
        &m.premium_rate(),    &m.toll_free(), &m.shared_cost(), &m.voip(),
        &m.personal_number(), &m.pager(),     &m.uan(),         &m.voicemail()};
    for (std::size_t i = 0; i < r.other_types.size(); ++i) {
      if (!read_desc(*others[i], r.other_types[i])) return false;
    }
    if (!read_desc(m.general_desc(), r.general) || !read_desc(m.fixed_line(), r.fixed_line) ||
        !read_desc(m.mobile(), r.mobile)) {
      return false;
    }
    r.local_only_lengths.assign(m.general_desc().possible_length_local_only().begin(),
                                m.general_desc().possible_length_local_only().end());
    r.country_code_digits = std::to_string(r.country_code);
    // Parse tries the international prefix first (ParsePrefixAsIdd): where it is a pattern, or
    // empty (which matches any number), numbers without '+' are all left to Parse.
    if (!m.international_prefix().empty() && all_digits(m.international_prefix())) {
      r.idd_digits = m.international_prefix();
    }
    if (!m.national_prefix_for_parsing().empty()) {
      r.national_prefix = add_pattern(m.national_prefix_for_parsing());
      if (r.national_prefix == -2) return false;
    }
    r.national_prefix_transform = !m.national_prefix_transform_rule().empty();
    return true;
  }

  bool usable_ = false;
  PhoneMetadataCollection collection_;
  std::deque<Region> regions_;  // stable addresses
  std::map<std::string, const Region*> regions_by_id_;
  std::array<CallingCode, kCount> codes_;
  std::vector<std::unique_ptr<icu::RegexPattern>> patterns_;
  std::map<std::string, int> pattern_index_;
};

// Per-thread state of phone normalisation, reused from number to number.
struct PhoneScratch {
  std::string input;
  std::string digits;
  std::string out;
  std::string reason;
  PhoneNumber number;
  // The thread's matchers of PhoneRules' patterns (created on first use), and the text they
  // run on, converted once per text.
  std::vector<std::unique_ptr<icu::RegexMatcher>> matchers;
  std::string text;
  icu::UnicodeString unicode;
  bool regex_failed = false;  // an ICU error: the fast path gives up (Parse decides)
  // The default region last looked up (normalize_without_plus).
  std::string region_id;
  const PhoneRules::Region* region = nullptr;
  // The time zone last found in the tz database (rows of a file often share one).
  std::string known_zone;

  // Whether PhoneRules' pattern `index` matches the whole of `text` (RegExp::FullMatch) or, if
  // !whole, a start of it (RegExp::Consume: lookingAt; `*end` gets the match's length).
  bool match(int index, std::string_view text, bool whole, int* end = nullptr) {
    const PhoneRules& rules = PhoneRules::get();
    if (matchers.size() < rules.pattern_count()) matchers.resize(rules.pattern_count());
    UErrorCode status = U_ZERO_ERROR;
    auto& matcher = matchers[static_cast<std::size_t>(index)];
    if (!matcher) matcher.reset(rules.pattern(index).matcher(status));
    if (U_FAILURE(status) || !matcher) {
      matcher.reset();
      regex_failed = true;
      return false;
    }
    if (text != this->text) {
      this->text.assign(text.data(), text.size());
      unicode = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
    }
    matcher->reset(unicode);
    const bool found = whole ? matcher->matches(status) : matcher->lookingAt(status);
    if (found && end) *end = matcher->end(status);
    if (U_FAILURE(status)) {
      regex_failed = true;
      return false;
    }
    return found;
  }
};

// PhoneNumberUtil::IsNumberMatchingDesc: the length among the possible lengths (if listed), and
// the national number pattern (RegexBasedMatcher::MatchNationalNumber without prefix match: an
// empty pattern matches nothing) matching the whole number.
bool matches_desc(std::string_view nsn, const PhoneRules::Desc& d, PhoneScratch& s) {
  if (!d.lengths.empty() && std::find(d.lengths.begin(), d.lengths.end(),
                                      static_cast<int>(nsn.size())) == d.lengths.end()) {
    return false;
  }
  return d.pattern >= 0 && s.match(d.pattern, nsn, true);
}

// PhoneNumberUtil::GetNumberTypeHelper(...) != UNKNOWN: the general description, then any type.
// (Only whether some type matches counts here, so the cheap likely ones go first; mobile counts
// only when its pattern differs from fixed line's, as GetNumberTypeHelper has it.)
bool has_number_type(std::string_view nsn, const PhoneRules::Region& r, PhoneScratch& s) {
  if (!matches_desc(nsn, r.general, s)) return false;
  if (matches_desc(nsn, r.fixed_line, s)) return true;
  if (!r.same_mobile_and_fixed_line && matches_desc(nsn, r.mobile, s)) return true;
  for (const PhoneRules::Desc& d : r.other_types) {
    if (matches_desc(nsn, d, s)) return true;
  }
  return false;
}

// PhoneNumberUtil::IsValidNumber for the number (code, nsn), `nsn` being its national significant
// number as GetNationalSignificantNumber writes it (finish_fast): the region of the number as
// GetRegionCodeForNumber finds it (the only region of the code; or the first of the code's regions
// whose leading digits start the number, or, for a region without leading digits, where the number
// has a type), then IsValidNumberForRegion (a number type in that region's metadata).
bool is_valid_number(const PhoneRules::CallingCode& code, std::string_view nsn, PhoneScratch& s) {
  if (code.regions.size() == 1) return has_number_type(nsn, *code.regions.front(), s);
  for (const PhoneRules::Region* r : code.regions) {
    if (r->leading_digits >= 0) {
      if (s.match(r->leading_digits, nsn, false)) return has_number_type(nsn, *r, s);
    } else if (has_number_type(nsn, *r, s)) {
      return true;  // IsValidNumberForRegion asks the same of the same region again
    }
  }
  return false;  // region "ZZ": not valid
}

// Collects the digits of `raw` from `from` on into s.digits; false (ask Parse) if `raw` has
// anything but digits and the separators Parse ignores (space, '-', '.', '(' and ')') or too many
// digits to be a number.
bool collect_digits(std::string_view raw, std::size_t from, PhoneScratch& s) {
  constexpr std::size_t kMaxDigits = 4 + 3 + 17;  // IDD + calling code + longest NSN
  std::string& digits = s.digits;
  digits.clear();
  for (std::size_t i = from; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c >= '0' && c <= '9') {
      if (digits.size() == kMaxDigits) return false;
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return false;
    }
  }
  return true;
}

// What the fast path made of a number.
enum class FastResult {
  kValid,     // the E.164 form is in `*out`
  kInvalid,   // Parse would read it as PhoneScratch::number, which is not a valid number
  kAskParse,  // not read here: Parse decides
};

// PhoneNumberUtil::SetItalianLeadingZerosForPhoneNumber's fields for national significant number
// `nsn`: leading zeros are kept as italian_leading_zero and number_of_leading_zeros (all of them
// but the last digit).
void set_leading_zeros(std::string_view nsn, PhoneNumber& number) {
  if (nsn.size() < 2 || nsn[0] != '0') return;
  number.set_italian_leading_zero(true);
  std::size_t zeros = 1;
  while (zeros < nsn.size() - 1 && nsn[zeros] == '0') ++zeros;
  if (zeros != 1) number.set_number_of_leading_zeros(static_cast<int>(zeros));
}

// Finishes the fast path for a number read as country code `code` and national significant number
// `nsn`: kValid with "+<code><nsn>" (Format(E164)) in `*out`, or kInvalid with the number Parse
// would have made in s.number (for the rejection reason).
FastResult finish_fast(const PhoneRules::CallingCode& code, int code_value, std::string_view nsn,
                       PhoneScratch& s, std::string* out) {
  // libphonenumber's NSN bounds (2..17), which Parse checks on these digits (ParseHelper; its
  // errors are left to Parse). Parse keeps leading zeros (set_leading_zeros), which
  // GetNationalSignificantNumber writes back before the number's value: the national significant
  // number IsValidNumber and Format(E164) use is `nsn` as written, with or without leading zeros.
  if (nsn.size() < 2 || nsn.size() > 17) return FastResult::kAskParse;
  const bool valid = is_valid_number(code, nsn, s);
  if (s.regex_failed) return FastResult::kAskParse;
  if (!valid) {
    std::uint64_t national = 0;
    for (const char c : nsn) national = national * 10 + static_cast<std::uint64_t>(c - '0');
    s.number.Clear();
    s.number.set_country_code(code_value);
    s.number.set_national_number(national);
    set_leading_zeros(nsn, s.number);
    return FastResult::kInvalid;
  }
  out->assign(1, '+');
  out->append(std::to_string(code_value));
  out->append(nsn.data(), nsn.size());
  return FastResult::kValid;
}

// The national significant number Parse makes of `number` (digits after the calling code, or a
// national number) with region `r`'s metadata:
// PhoneNumberUtil::MaybeStripNationalPrefixAndCarrierCode (the national prefix for parsing, matched
// at the start as RegExp::Consume does, comes off unless the number matched the general pattern and
// the rest does not), then ParseHelper, which keeps the stripped number only if TestNumberLength
// does not find it too short, of a local-only length or of an invalid length. False (ask Parse) for
// what is not decided here: a prefix rule with a transform rule, and stripped lengths that are
// neither possible nor local-only ones.
bool strip_national_prefix(const PhoneRules::Region& r, std::string_view number, PhoneScratch& s,
                           std::string_view* nsn) {
  *nsn = number;
  if (r.national_prefix < 0 || number.empty()) return true;
  int end = 0;
  const bool found = s.match(r.national_prefix, number, false, &end);
  if (s.regex_failed) return false;
  if (!found || end == 0) return true;  // nothing to strip (an empty match strips nothing)
  if (r.national_prefix_transform) return false;
  const std::string_view stripped = number.substr(static_cast<std::size_t>(end));
  if (r.general.pattern >= 0 && s.match(r.general.pattern, number, true) &&
      !s.match(r.general.pattern, stripped, true)) {
    return !s.regex_failed;  // the original was a viable number and the rest is not: kept
  }
  if (s.regex_failed) return false;
  const int length = static_cast<int>(stripped.size());
  const auto& local = r.local_only_lengths;
  if (std::find(local.begin(), local.end(), length) != local.end()) return true;  // kept
  const auto& lengths = r.general.lengths;
  if (std::find(lengths.begin(), lengths.end(), length) == lengths.end()) return false;
  *nsn = stripped;  // IS_POSSIBLE: stripped
  return true;
}

// The number after a '+' or an international prefix (digits in s.digits from `from`), as
// Parse's MaybeExtractCountryCode reads it: at most 2 digits is "too short after IDD" and a
// leading 0 is no code (both to Parse); the country calling code is the shortest leading 1-3
// digits libphonenumber knows as one (codes are prefix-free; ExtractCountryCode); the rest, less
// the national prefix as the code's main region strips it (ParseHelper reads the number with that
// region's metadata), is the national significant number.
FastResult normalize_after_idd(std::size_t from, PhoneScratch& s, std::string* out) {
  const PhoneRules& rules = PhoneRules::get();
  const std::string_view digits = std::string_view(s.digits).substr(from);
  if (digits.size() <= 2 || digits[0] == '0') return FastResult::kAskParse;
  int code_value = 0;
  const PhoneRules::CallingCode* code = nullptr;
  std::size_t code_len = 0;
  while (!code && code_len < 3) {
    code_value = code_value * 10 + (digits[code_len++] - '0');
    code = rules.code(code_value);
  }
  if (!code) return FastResult::kAskParse;
  std::string_view nsn;
  if (!strip_national_prefix(*code->main, digits.substr(code_len), s, &nsn)) {
    return FastResult::kAskParse;
  }
  return finish_fast(*code, code_value, nsn, s, out);
}

// A number written without '+' in default region `region_id`, as Parse reads it
// (MaybeExtractCountryCode, then ParseHelper's national prefix stripping). Left to Parse: all of
// them in a region whose international prefix is a pattern (such as AU's or FI's), and those
// starting with the region's calling code (Parse may then take the code off). Otherwise:
// - it starts with the region's international prefix (plain digits, e.g. GB's "00") and a digit
//   other than 0 (ParsePrefixAsIdd): read as after a '+';
// - else it is a national number of the region, less its national prefix
//   (strip_national_prefix; e.g. GB's "0").
FastResult normalize_without_plus(std::string_view raw, const std::string& region_id,
                                  PhoneScratch& s, std::string* out) {
  const PhoneRules& rules = PhoneRules::get();
  if (s.region_id != region_id) {
    s.region_id = region_id;
    s.region = rules.region(region_id);
  }
  const PhoneRules::Region* region = s.region;
  if (!region || region->idd_digits.empty() || !collect_digits(raw, 0, s)) {
    return FastResult::kAskParse;
  }
  const std::string_view digits = s.digits;
  const std::string& idd = region->idd_digits;
  if (digits.substr(0, idd.size()) == idd) {
    if (digits.size() == idd.size() || digits[idd.size()] == '0') return FastResult::kAskParse;
    return normalize_after_idd(idd.size(), s, out);
  }
  if (digits.substr(0, region->country_code_digits.size()) == region->country_code_digits) {
    return FastResult::kAskParse;
  }
  const PhoneRules::CallingCode* code = rules.code(region->country_code);
  std::string_view nsn;
  if (!code || !strip_national_prefix(*region, digits, s, &nsn)) return FastResult::kAskParse;
  return finish_fast(*code, region->country_code, nsn, s, out);
}

// The fast path (PhoneNormalizer's comment).
FastResult normalize_fast(std::string_view raw, const std::string& region_id, PhoneScratch& s,
                          std::string* out) {
  if (raw.size() < 4 || !PhoneRules::get().usable()) return FastResult::kAskParse;
  s.regex_failed = false;
  if (raw[0] == '+') {
    return collect_digits(raw, 1, s) ? normalize_after_idd(0, s, out) : FastResult::kAskParse;
  }
  return normalize_without_plus(raw, region_id, s, out);
}

// The rejection reason of `number` (as Parse made it), which IsValidNumber finds invalid:
// IsPossibleNumberWithReason's verdict, for the default region or the number's calling code.
std::string invalid_number_reason(const PhoneNumber& number, const std::string& region) {
  const PhoneNumberUtil& util = phone_util();
  const char* what = "invalid number";
  switch (util.IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::TOO_SHORT:
      what = "too short";
      break;
    case PhoneNumberUtil::TOO_LONG:
      what = "too long";
      break;
    case PhoneNumberUtil::INVALID_LENGTH:
      what = "wrong length";
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      what = "invalid country code";
      break;
    default:
      break;
  }
  std::string reason = what;
  if (number.country_code() == util.GetCountryCodeForRegion(region)) {
    reason += " for region ";
    reason += region;
  } else if (std::strcmp(what, "invalid country code") != 0) {
    reason += " for country code +";
    reason += std::to_string(number.country_code());
  }
  return reason;
}

// Normalises `raw` (already trimmed, non-empty) to E.164 in `*out` through libphonenumber's
// Parse. `scratch` and `number` are caller-owned so a loop can reuse them.
bool normalize_phone_parse(std::string_view raw, const std::string& region, std::string& scratch,
                           PhoneNumber& number, std::string* out, std::string* reason) {
  const PhoneNumberUtil& util = phone_util();
  scratch.assign(raw.data(), raw.size());
  const PhoneNumberUtil::ErrorType err = util.Parse(scratch, region, &number);
  if (err != PhoneNumberUtil::NO_PARSING_ERROR) {
    if (reason) *reason = parse_error_text(err);
    return false;
  }
  if (!util.IsValidNumber(number)) {
    if (reason) *reason = invalid_number_reason(number, region);
    return false;
  }
  util.Format(number, PhoneNumberUtil::E164, out);
  return true;
}

// Normalises `raw` (trimmed, non-empty): the fast path first when allowed, else Parse.
bool normalize_phone(std::string_view raw, const std::string& region, bool fast_path,
                     PhoneScratch& s, std::string* out, std::string* reason) {
  if (fast_path) {
    switch (normalize_fast(raw, region, s, out)) {
      case FastResult::kValid:
        return true;
      case FastResult::kInvalid:
        if (reason) *reason = invalid_number_reason(s.number, region);
        return false;
      case FastResult::kAskParse:
        break;
    }
  }
  return normalize_phone_parse(raw, region, s.input, s.number, out, reason);
}

// A value quoted in an error message: at most 40 bytes (not splitting a UTF-8 sequence).
std::string quoted_value(std::string_view v) {
  constexpr std::size_t kMax = 40;
  if (v.size() <= kMax) return std::string(v);
  std::size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return std::string(v.substr(0, n)) + "...";
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  static const char* hex = "0123456789ABCDEF";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 0xF];
}

// detail::known_time_zone with the thread's last good zone remembered (rows share zones).
bool known_time_zone(const std::string& zone, PhoneScratch& s) {
  if (zone == s.known_zone) return true;
  if (!detail::known_time_zone(zone)) return false;
  s.known_zone = zone;
  return true;
}

int only_newline_is_term(unsigned char c) { return c == '\n'; }

// Allocates blocks of 2 MiB and more on transparent huge pages where the kernel offers them
// (madvise): the import's duplicate indexes are tables of tens of megabytes probed at random,
// one probe per key, and with 4 KiB pages nearly every probe also missed the TLB.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return static_cast<T*>(::operator new(bytes));
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without huge pages the table still works
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < kHugePage) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
};

// The bytes left in `in` after its position; 0 when it cannot tell (a pipe).
std::size_t bytes_left(std::istream& in) {
  const std::istream::pos_type here = in.tellg();
  if (here == std::istream::pos_type(-1)) return 0;
  in.seekg(0, std::ios::end);
  const std::istream::pos_type end = in.tellg();
  if (!in || end == std::istream::pos_type(-1)) in.clear();
  in.seekg(here);
  return end == std::istream::pos_type(-1) || end < here ? 0 : static_cast<std::size_t>(end - here);
}

// Reads physical lines from a stream in large chunks. The returned view excludes the "\n" and a
// "\r" before it, and stays valid until the next call.
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in), buf_(1 << 20) {}

  bool next(std::string_view* line) {
    for (;;) {
      const char* base = buf_.data();
      if (const void* nl = std::memchr(base + scan_, '\n', end_ - scan_)) {
        const std::size_t pos = static_cast<const char*>(nl) - base;
        *line = std::string_view(base + begin_, pos - begin_);
        begin_ = scan_ = pos + 1;
        strip_cr(line);
        return true;
      }
      scan_ = end_;
      if (eof_) {
        if (begin_ == end_) return false;
        *line = std::string_view(base + begin_, end_ - begin_);
        begin_ = scan_ = end_;
        strip_cr(line);
        return true;
      }
      fill();
    }
  }

  bool bad() const { return in_.bad(); }
  // Bytes handed out so far, line ends included.
  std::size_t consumed() const { return read_ - (end_ - begin_); }

 private:
  static void strip_cr(std::string_view* line) {
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  }

  void fill() {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      scan_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    in_.read(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_));
    const std::size_t got = static_cast<std::size_t>(in_.gcount());
    end_ += got;
    read_ += got;
    if (got == 0 || !in_) eof_ = true;
  }

  std::istream& in_;
  std::vector<char> buf_;
  std::size_t begin_ = 0;  // start of the unconsumed data
  std::size_t scan_ = 0;   // where to resume looking for '\n'
  std::size_t end_ = 0;    // end of the valid data
  std::size_t read_ = 0;   // bytes read from the stream
  bool eof_ = false;
};

// Owns a libcsv parser.
class CsvParser {
 public:
  CsvParser(unsigned char options, char delimiter) : options_(options), delimiter_(delimiter) {
    init();
  }
  ~CsvParser() { csv_free(&p_); }
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;

  csv_parser* get() { return &p_; }
  // Back to the start-of-row state, dropping any partial row (csv_fini would submit it).
  void reset() {
    csv_free(&p_);
    init();
  }

 private:
  void init() {
    if (csv_init(&p_, options_) != 0) throw Error(ErrorCode::kIo, "libcsv: csv_init failed");
    csv_set_delim(&p_, static_cast<unsigned char>(delimiter_));
    csv_set_term_func(&p_, only_newline_is_term);
  }

  csv_parser p_;
  unsigned char options_;
  char delimiter_;
};

enum class Role : unsigned char { kAttribute, kPhone, kId, kPriority, kTimeZone };

class CsvImporter {
 public:
  CsvImporter(std::istream& in, const ImportOptions& options,
              const std::function<void(ImportedContact&&)>& sink, const std::string& source)
      : reader_(in), options_(options), sink_(sink), source_(source), input_bytes_(bytes_left(in)) {
    report_.source_name = source;
    max_lines_ = std::max<std::size_t>(1, options.max_lines_per_record);
    fast_path_ = options.phone_fast_path;
    if (options.threads == 0) {
      threads_ = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, kMaxThreads);
      start_workers_after_rows_ = kAutoParallelRows;
    } else {
      threads_ = std::min<std::size_t>(options.threads, 64);
    }
  }
  ~CsvImporter() { stop_workers(); }
  CsvImporter(const CsvImporter&) = delete;
  CsvImporter& operator=(const CsvImporter&) = delete;

  ImportReport run() {
    try {
      normalizer_.emplace(options_.default_region);
    } catch (const Error& e) {
      throw Error(ErrorCode::kConfig, source_ + ": " + e.what());
    }
    region_ = normalizer_->default_region();
    char delim = options_.delimiter;
    if (delim == '"' || delim == '\n' || delim == '\r') {
      throw Error(ErrorCode::kConfig, source_ + ": invalid delimiter " + describe_char(delim));
    }

    Line line;
    // The header: the first non-blank line (after an optional UTF-8 BOM) decides the delimiter.
    for (;;) {
      if (!fetch(&line)) throw Error(ErrorCode::kConfig, source_ + ": no header row");
      if (line.no == 1 && line.text.substr(0, 3) == "\xEF\xBB\xBF") line.text.remove_prefix(3);
      if (!trim(line.text).empty()) break;
    }
    if (delim == 0) {
      const auto commas = std::count(line.text.begin(), line.text.end(), ',');
      const auto semis = std::count(line.text.begin(), line.text.end(), ';');
      delim = semis > commas ? ';' : ',';
    }
    parser_.emplace(static_cast<unsigned char>(CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL),
                    delim);

    feed(line);
    for (;;) {
      while (fetch(&line)) feed(line);
      if (!in_record_) break;
      finish_at_eof();  // may rewind, leaving lines to replay
    }
    submit_batch();
    drain(true);
    stop_workers();
    if (!header_done_) throw Error(ErrorCode::kConfig, source_ + ": no header row");
    if (reader_.bad()) throw Error(ErrorCode::kIo, source_ + ": read error");
    return std::move(report_);
  }

 private:
  struct Line {
    std::size_t no = 0;
    std::string_view text;
  };
  struct SavedLine {
    std::size_t no = 0;
    std::string text;
  };

  // The next line: a replayed one (after an unbalanced quote), else the next one of the input.
  bool fetch(Line* line) {
    if (!replay_.empty()) {
      replayed_ = std::move(replay_.front());
      replay_.pop_front();
      line->no = replayed_.no;
      line->text = replayed_.text;
      return true;
    }
    if (!reader_.next(&line->text)) return false;
    line->no = ++physical_line_;
    return true;
  }

  static void on_field(void* data, std::size_t len, void* self) {
    auto* me = static_cast<CsvImporter*>(self);
    const std::size_t offset = me->field_data_.size();
    if (len > 0) me->field_data_.append(static_cast<const char*>(data), len);
    me->field_spans_.emplace_back(offset, len);
  }
  static void on_row(int /*c*/, void* self) { static_cast<CsvImporter*>(self)->row_done_ = true; }

  std::string_view field(std::size_t i) const {
    return std::string_view(field_data_).substr(field_spans_[i].first, field_spans_[i].second);
  }

  std::string column_name(std::size_t i) const {
    if (i < header_.size()) return "'" + header_[i] + "'";
    return std::to_string(i + 1);
  }

  void feed(const Line& line) {
    if (!in_record_) {
      in_record_ = true;
      record_start_ = line.no;
      record_lines_ = 0;
      saved_.clear();
      field_data_.clear();
      field_spans_.clear();
      row_done_ = false;
    } else {
      saved_.push_back(SavedLine{line.no, std::string(line.text)});
    }
    ++record_lines_;
    csv_parser* p = parser_->get();
    std::size_t used = csv_parse(p, line.text.data(), line.text.size(), on_field, on_row, this);
    if (csv_error(p) == CSV_SUCCESS) used += csv_parse(p, "\n", 1, on_field, on_row, this);
    if (csv_error(p) == CSV_EPARSE) {
      parse_error(line, used);
      return;
    }
    if (csv_error(p) != CSV_SUCCESS) {
      throw Error(ErrorCode::kIo, source_ + ":" + std::to_string(record_start_) +
                                      ": libcsv: " + csv_strerror(csv_error(p)));
    }
    if (row_done_) {
      in_record_ = false;
      finish_row();
      return;
    }
    // Still inside a quoted field.
    if (record_lines_ == 1) open_column_ = field_spans_.size();
    if (record_lines_ >= max_lines_) {
      unbalanced_quote("still open after " + std::to_string(record_lines_) + " lines");
    }
  }

  // libcsv (strict) stopped at byte `pos` of `line`.
  void parse_error(const Line& line, std::size_t pos) {
    const bool was_quoted = parser_->get()->quoted != 0;
    const std::size_t column = field_spans_.size();
    if (line.no != record_start_ && column == open_column_) {
      // The field that was open at the end of the start line "closed" on a later line and is
      // followed by garbage: the opening quote had no partner.
      unbalanced_quote("closed on line " + std::to_string(line.no) + " by a quote followed by " +
                       describe_char(pos < line.text.size() ? line.text[pos] : '\n'));
      return;
    }
    const char c = pos < line.text.size() ? line.text[pos] : '\n';
    std::string reason;
    if (!was_quoted) {
      reason = "quote inside unquoted field";
    } else if (c == '"') {
      reason = "unexpected quote after closing quote";
    } else {
      reason = "unexpected " + describe_char(c) + " after closing quote";
    }
    reason += " in column " + column_name(column);
    if (line.no != record_start_) reason += " (on line " + std::to_string(line.no) + ")";
    if (!header_done_) header_error(reason);
    ++report_.rows_read;
    reject(record_start_, std::move(reason));
    rewind();
  }

  void unbalanced_quote(const std::string& detail) {
    std::string reason =
        "unbalanced quote in column " + column_name(open_column_) + " (" + detail + ")";
    if (!header_done_) header_error(reason);
    ++report_.rows_read;
    reject(record_start_, std::move(reason));
    rewind();
  }

  [[noreturn]] void header_error(const std::string& reason) {
    throw Error(ErrorCode::kConfig,
                source_ + ":" + std::to_string(record_start_) + ": bad header: " + reason);
  }

  // Drops the current record and resumes parsing at the line after its start line.
  void rewind() {
    parser_->reset();
    in_record_ = false;
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) replay_.push_front(std::move(*it));
    saved_.clear();
  }

  // End of input inside a record: since every line is fed with its "\n", that record has a
  // quoted field still open.
  void finish_at_eof() {
    csv_parser* p = parser_->get();
    if (csv_fini(p, on_field, on_row, this) != 0 || csv_error(p) == CSV_EPARSE) {
      unbalanced_quote("still open at end of input");
    } else {
      in_record_ = false;
      if (row_done_) finish_row();
    }
  }

  void set_header() {
    header_.clear();
    for (std::size_t i = 0; i < field_spans_.size(); ++i) header_.emplace_back(field(i));
    header_done_ = true;
    roles_.assign(header_.size(), Role::kAttribute);
    // A mapped column whose name appears twice would be read from whichever comes first.
    auto check_unique = [&](std::vector<std::string>::const_iterator it, const char* what) {
      const auto again = std::find(it + 1, header_.cend(), *it);
      if (again == header_.cend()) return;
      header_error("columns " + std::to_string(it - header_.cbegin() + 1) + " and " +
                   std::to_string(again - header_.cbegin() + 1) + " are both named '" + *it +
                   "' (the " + what + " column must appear once)");
    };
    auto find = [&](const std::string& name, const char* what) -> std::size_t {
      auto it = std::find(header_.cbegin(), header_.cend(), name);
      if (it == header_.cend()) {
        std::string cols;
        for (const auto& h : header_) cols += (cols.empty() ? "'" : ", '") + h + "'";
        throw Error(ErrorCode::kConfig, source_ + ":" + std::to_string(record_start_) + ": " +
                                            what + " column '" + name +
                                            "' not found in header (columns: " + cols + ")");
      }
      check_unique(it, what);
      return static_cast<std::size_t>(it - header_.cbegin());
    };
    const ColumnMapping& m = options_.mapping;
    if (m.phone_columns.empty()) {
      throw Error(ErrorCode::kConfig, source_ + ": the column mapping names no phone column");
    }
    phone_cols_.clear();
    for (const auto& name : m.phone_columns) {
      const std::size_t i = find(name, "phone");
      if (std::find(phone_cols_.begin(), phone_cols_.end(), i) == phone_cols_.end()) {
        phone_cols_.push_back(i);
      }
      roles_[i] = Role::kPhone;
    }
    id_col_ = priority_col_ = tz_col_ = kNone;
    if (!m.external_id_column.empty()) {
      auto it = std::find(header_.cbegin(), header_.cend(), m.external_id_column);
      if (it != header_.cend()) {
        check_unique(it, "id");
        id_col_ = static_cast<std::size_t>(it - header_.cbegin());
      }
    }
    if (!m.priority_column.empty()) priority_col_ = find(m.priority_column, "priority");
    if (!m.time_zone_column.empty()) tz_col_ = find(m.time_zone_column, "time zone");
    auto assign = [&](std::size_t i, Role r) {
      if (i != kNone && roles_[i] == Role::kAttribute) roles_[i] = r;
    };
    assign(id_col_, Role::kId);
    assign(priority_col_, Role::kPriority);
    assign(tz_col_, Role::kTimeZone);
    attribute_count_ =
        static_cast<std::size_t>(std::count(roles_.begin(), roles_.end(), Role::kAttribute));
  }

  void finish_row() {
    const std::size_t n = field_spans_.size();
    if (n == 0) return;  // blank line
    if (!header_done_) {
      set_header();
      return;
    }
    ++report_.rows_read;
    if (n != header_.size()) {
      std::string reason =
          "expected " + std::to_string(header_.size()) + " fields, got " + std::to_string(n);
      if (record_lines_ > 1) {
        // A quote that opened a field on the start line swallowed the following lines; re-parse
        // them on their own.
        reason += " (row spans lines " + std::to_string(record_start_) + "-" +
                  std::to_string(record_start_ + record_lines_ - 1) +
                  ": unbalanced quote in column " + column_name(open_column_) + "?)";
        reject(record_start_, std::move(reason));
        rewind();
        return;
      }
      reject(record_start_, std::move(reason));
      return;
    }
    // The row's checks and phone numbers are done by process_row, here or on a worker thread.
    Batch& b = current_batch();
    RowItem& item = b.items.emplace_back();
    item.line = record_start_;
    item.row_index = report_.rows_read;
    item.first_field = b.spans.size();
    item.field_count = n;
    item.pending = true;
    const std::size_t base = b.data.size();
    b.data.append(field_data_);
    for (const auto& [offset, length] : field_spans_) b.spans.emplace_back(base + offset, length);
    if (b.items.size() >= kBatchRows) submit_batch();
  }

  // ---- Rows in batches: checked and normalised by process_row, emitted in file order ----

  // A data row with the right field count, to be checked and normalised; or a row already
  // rejected while parsing (pending == false, reason set).
  struct RowItem {
    std::size_t line = 0;
    std::size_t row_index = 0;    // 1-based data-row index (the external id fallback)
    std::size_t first_field = 0;  // into Batch::spans
    std::size_t field_count = 0;
    bool pending = false;
    bool loaded = false;
    std::string reason;
    ImportedContact contact;
  };
  struct Batch {
    std::string data;                                        // the rows' fields, concatenated
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // (offset, length) into data
    std::vector<RowItem> items;
    bool done = false;  // processed (guarded by mu_ while workers run)
    std::exception_ptr error;

    std::string_view field(const RowItem& item, std::size_t i) const {
      const auto& [offset, length] = spans[item.first_field + i];
      return std::string_view(data).substr(offset, length);
    }
    void clear() {
      data.clear();
      spans.clear();
      items.clear();
      done = false;
      error = nullptr;
    }
  };

  static constexpr std::size_t kBatchRows = 256;
  static constexpr std::size_t kAutoParallelRows = 4096;
  static constexpr std::size_t kMaxThreads = 8;

  Batch& current_batch() {
    if (!current_) {
      if (!free_.empty()) {
        current_ = std::move(free_.back());
        free_.pop_back();
      } else {
        current_ = std::make_unique<Batch>();
      }
    }
    return *current_;
  }

  void recycle(std::unique_ptr<Batch> b) {
    b->clear();
    free_.push_back(std::move(b));
  }

  // A row rejected while parsing: queued behind the rows before it, so errors stay in order.
  void reject(std::size_t line, std::string reason) {
    Batch& b = current_batch();
    RowItem& item = b.items.emplace_back();
    item.line = line;
    item.reason = std::move(reason);
    if (b.items.size() >= kBatchRows) submit_batch();
  }

  void record_rejection(std::size_t line, std::string reason) {
    ++report_.rows_rejected;
    if (report_.errors.size() < options_.max_errors_kept) {
      report_.errors.push_back(ImportError{line, std::move(reason)});
    }
  }

  void submit_batch() {
    if (!current_ || current_->items.empty()) return;
    if (workers_.empty() && threads_ > 1 && report_.rows_read > start_workers_after_rows_) {
      start_workers();
    }
    if (workers_.empty()) {
      process_batch(*current_, main_scratch_);
      emit(*current_);
      recycle(std::move(current_));
      return;
    }
    Batch* b = current_.get();
    in_flight_.push_back(std::move(current_));
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.push_back(b);
    }
    work_cv_.notify_one();
    drain(false);
  }

  // Emits the finished batches at the head of the queue; blocks (helping with pending batches)
  // while more than a window of batches are in flight, or until all are done if `all`.
  void drain(bool all) {
    const std::size_t window = 4 * threads_;
    while (!in_flight_.empty()) {
      Batch& front = *in_flight_.front();
      bool done;
      {
        std::lock_guard<std::mutex> lock(mu_);
        done = front.done;
      }
      if (done) {
        emit(front);
        recycle(std::move(in_flight_.front()));
        in_flight_.pop_front();
        continue;
      }
      if (!all && in_flight_.size() <= window) return;
      Batch* help = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (!pending_.empty()) {
          help = pending_.front();
          pending_.pop_front();
        } else {
          done_cv_.wait(lock, [&] { return front.done; });
          continue;
        }
      }
      process_batch(*help, main_scratch_);
      {
        std::lock_guard<std::mutex> lock(mu_);
        help->done = true;
      }
    }
  }

  void start_workers() {
    const std::size_t count = threads_ - 1;
    workers_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) workers_.emplace_back([this] { work(); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void work() {
    PhoneScratch scratch;
    for (;;) {
      Batch* b;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
        if (stop_) return;
        b = pending_.front();
        pending_.pop_front();
      }
      process_batch(*b, scratch);
      {
        std::lock_guard<std::mutex> lock(mu_);
        b->done = true;
      }
      done_cv_.notify_all();
    }
  }

  // Runs on any thread: reads only the header state (fixed once the header is read).
  void process_batch(Batch& b, PhoneScratch& scratch) const {
    try {
      for (RowItem& item : b.items) {
        if (item.pending) process_row(b, item, scratch);
      }
    } catch (...) {
      b.error = std::current_exception();
    }
  }

  // On the calling thread, in file order.
  void emit(Batch& b) {
    if (b.error) std::rethrow_exception(b.error);
    reserve_first_lines();
    // The indexes' memory is read a few rows ahead, so each row's probes find it in cache.
    constexpr std::size_t kPrefetchRows = 4;
    for (std::size_t k = 0; k < kPrefetchRows && k < b.items.size(); ++k) prefetch(b.items[k]);
    for (std::size_t k = 0; k < b.items.size(); ++k) {
      if (k + kPrefetchRows < b.items.size()) prefetch(b.items[k + kPrefetchRows]);
      RowItem& item = b.items[k];
      if (item.loaded && first_use(item)) {
        ++report_.rows_loaded;
        sink_(std::move(item.contact));
      } else {
        record_rejection(item.line, std::move(item.reason));
      }
    }
  }

  // ---- Duplicates: an external id or a number of an earlier contact of this import ----
  // Storage keys a contact by its external id, and one number in two contacts is dialled twice.

  // key -> line of first use
  using FirstLines =
      absl::flat_hash_map<std::string, std::size_t, absl::Hash<std::string>, std::equal_to<>,
                          HugePageAllocator<std::pair<const std::string, std::size_t>>>;

  // Sizes the indexes once for the whole file, from the rows per byte parsed so far, so a large
  // import does not rehash them as they grow.
  void reserve_first_lines() {
    if (reserved_ || input_bytes_ == 0 || reader_.consumed() == 0) return;
    reserved_ = true;
    const double rows = static_cast<double>(report_.rows_read) * static_cast<double>(input_bytes_) /
                        static_cast<double>(reader_.consumed());
    const auto expected = static_cast<std::size_t>(std::min(rows * 1.05, 1e8));
    first_line_by_number_.reserve(expected);
    if (id_col_ != kNone) first_line_by_id_.reserve(expected);
  }

  // Records `key` as first used on `line`; false, with `*reason` naming the earlier line, if an
  // earlier contact used it.
  static bool first_seen(FirstLines& lines, const std::string& key, std::size_t line,
                         const char* what, std::string* reason) {
    const auto [it, fresh] = lines.try_emplace(key, line);
    if (!fresh) {
      *reason = std::string("duplicate ") + what + " '" + quoted_value(key) + "' (first at line " +
                std::to_string(it->second) + ")";
    }
    return fresh;
  }

  void prefetch(const RowItem& item) const {
    if (!item.loaded) return;
    if (id_col_ != kNone) first_line_by_id_.prefetch(item.contact.external_id);
    for (const auto& n : item.contact.phone_numbers) first_line_by_number_.prefetch(n);
  }

  // On the calling thread, in file order: records the row's id (when the file has an id column)
  // and numbers; false, with item.reason set and nothing recorded, if one is a duplicate.
  bool first_use(RowItem& item) {
    const ImportedContact& c = item.contact;
    const bool ids_from_file = id_col_ != kNone;
    if (ids_from_file &&
        !first_seen(first_line_by_id_, c.external_id, c.line, "id", &item.reason)) {
      return false;
    }
    for (std::size_t k = 0; k < c.phone_numbers.size(); ++k) {
      if (first_seen(first_line_by_number_, c.phone_numbers[k], c.line, "number", &item.reason)) {
        continue;
      }
      for (std::size_t j = 0; j < k; ++j) first_line_by_number_.erase(c.phone_numbers[j]);
      if (ids_from_file) first_line_by_id_.erase(c.external_id);
      return false;
    }
    return true;
  }

  // Checks one row and normalises its numbers: sets item.loaded and item.contact, or
  // item.reason.
  void process_row(const Batch& b, RowItem& item, PhoneScratch& scratch) const {
    const std::size_t n = item.field_count;
    auto field = [&](std::size_t i) { return b.field(item, i); };
    for (std::size_t i = 0; i < n; ++i) {
      if (!detail::valid_utf8(field(i))) {
        item.reason = "invalid UTF-8 in column " + column_name(i);
        return;
      }
      // C strings and the storage backends would cut the value at the NUL.
      if (field(i).find('\0') != std::string_view::npos) {
        item.reason = "NUL byte in column " + column_name(i);
        return;
      }
    }
    ImportedContact& contact = item.contact;
    contact.line = item.line;
    std::string first_invalid;
    for (const std::size_t col : phone_cols_) {
      const std::string_view raw = trim(field(col));
      if (raw.empty()) continue;
      std::string& e164 = scratch.out;
      if (normalize_phone(raw, region_, fast_path_, scratch, &e164, &scratch.reason)) {
        if (std::find(contact.phone_numbers.begin(), contact.phone_numbers.end(), e164) ==
            contact.phone_numbers.end()) {
          contact.phone_numbers.push_back(e164);
        }
      } else if (first_invalid.empty()) {
        first_invalid = "invalid phone number '" + quoted_value(raw) + "' in column " +
                        column_name(col) + ": " + scratch.reason;
      }
    }
    if (contact.phone_numbers.empty()) {
      if (first_invalid.empty()) {
        first_invalid = phone_cols_.size() == 1 ? "missing phone number in column "
                                                : "missing phone number in columns ";
        for (std::size_t k = 0; k < phone_cols_.size(); ++k) {
          if (k > 0) first_invalid += ", ";
          first_invalid += column_name(phone_cols_[k]);
        }
      }
      item.reason = std::move(first_invalid);
      return;
    }
    if (priority_col_ != kNone) {
      std::string_view v = trim(field(priority_col_));
      if (!v.empty()) {
        std::string_view digits = v;
        if (digits.front() == '+') digits.remove_prefix(1);
        int value = 0;
        auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) {
          item.reason = "invalid priority '" + quoted_value(v) + "' in column " +
                        column_name(priority_col_) + ": not an integer";
          contact = ImportedContact{};
          return;
        }
        contact.priority = value;
      }
    }
    if (tz_col_ != kNone) {
      contact.time_zone = std::string(trim(field(tz_col_)));
      if (!contact.time_zone.empty() && !known_time_zone(contact.time_zone, scratch)) {
        item.reason = "unknown time zone '" + quoted_value(contact.time_zone) + "' in column " +
                      column_name(tz_col_) + " (not in the IANA tz database)";
        contact = ImportedContact{};
        return;
      }
    }
    if (id_col_ != kNone) contact.external_id = std::string(trim(field(id_col_)));
    if (contact.external_id.empty()) contact.external_id = std::to_string(item.row_index);
    if (options_.mapping.keep_attributes && attribute_count_ > 0) {
      contact.attributes.reserve(attribute_count_);
      for (std::size_t i = 0; i < n; ++i) {
        if (roles_[i] == Role::kAttribute) contact.attributes.emplace_back(header_[i], field(i));
      }
    }
    item.loaded = true;
  }

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  LineReader reader_;
  const ImportOptions& options_;
  const std::function<void(ImportedContact&&)>& sink_;
  const std::string& source_;
  ImportReport report_;
  std::optional<PhoneNormalizer> normalizer_;
  std::string region_;
  std::optional<CsvParser> parser_;
  std::size_t max_lines_ = 20;

  std::size_t physical_line_ = 0;
  std::deque<SavedLine> replay_;  // lines to parse again after an unbalanced quote
  SavedLine replayed_;            // owns the text of the replayed line being parsed

  // The record being parsed.
  bool in_record_ = false;
  bool row_done_ = false;
  std::size_t record_start_ = 0;
  std::size_t record_lines_ = 0;
  std::size_t open_column_ = 0;   // index of the field left open at the end of the start line
  std::vector<SavedLine> saved_;  // the record's lines after its start line
  std::string field_data_;        // the record's fields, concatenated
  std::vector<std::pair<std::size_t, std::size_t>> field_spans_;  // (offset, length)

  bool header_done_ = false;
  std::vector<std::string> header_;
  std::vector<Role> roles_;
  std::vector<std::size_t> phone_cols_;
  std::size_t id_col_ = kNone;
  std::size_t priority_col_ = kNone;
  std::size_t tz_col_ = kNone;
  std::size_t attribute_count_ = 0;

  std::size_t input_bytes_ = 0;  // the input's size when known (bytes_left), else 0
  bool reserved_ = false;
  FirstLines first_line_by_id_;
  FirstLines first_line_by_number_;

  // Rows in batches (finish_row, submit_batch).
  bool fast_path_ = true;
  std::size_t threads_ = 1;                       // total, the calling thread included
  std::size_t start_workers_after_rows_ = 0;      // data rows read before the workers start
  std::unique_ptr<Batch> current_;                // being filled by the parser
  std::deque<std::unique_ptr<Batch>> in_flight_;  // submitted, in file order
  std::vector<std::unique_ptr<Batch>> free_;      // for reuse
  PhoneScratch main_scratch_;
  std::vector<std::thread> workers_;
  std::mutex mu_;  // guards pending_, stop_ and Batch::done while workers run
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Batch*> pending_;  // submitted, not yet taken by a thread
  bool stop_ = false;
};

}  // namespace

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

PhoneNormalizer::PhoneNormalizer(std::string default_region, bool fast_path)
    : default_region_(std::move(default_region)), fast_path_(fast_path) {
  for (char& c : default_region_) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (supported_regions().count(default_region_) == 0) {
    throw Error(ErrorCode::kConfig,
                "unknown region '" + default_region_ + "' (not a region libphonenumber knows)");
  }
}

std::optional<std::string> PhoneNormalizer::to_e164(std::string_view raw,
                                                    std::string* reason) const {
  raw = trim(raw);
  if (raw.empty()) {
    if (reason) *reason = "empty";
    return std::nullopt;
  }
  thread_local PhoneScratch scratch;
  std::string out;
  if (!normalize_phone(raw, default_region_, fast_path_, scratch, &out, reason)) {
    return std::nullopt;
  }
  return out;
}

std::string ImportReport::summary(std::size_t max_errors) const {
  std::string s = "loaded " + std::to_string(rows_loaded) + " of " + std::to_string(rows_read) +
                  " rows, rejected " + std::to_string(rows_rejected);
  const std::size_t shown = std::min(max_errors, errors.size());
  for (std::size_t i = 0; i < shown; ++i) {
    s += '\n';
    if (source_name.empty()) {
      s += "line " + std::to_string(errors[i].line);
    } else {
      s += source_name;
      if (errors[i].line != 0) s += ":" + std::to_string(errors[i].line);
    }
    s += ": " + errors[i].reason;
  }
  if (rows_rejected > shown) {
    s += "\n... and " + std::to_string(rows_rejected - shown) + " more";
  }
  return s;
}

ImportReport import_contacts_csv(std::istream& in, const ImportOptions& options,
                                 const std::function<void(ImportedContact&&)>& sink,
                                 const std::string& source_name) {
  CsvImporter importer(in, options, sink, source_name);
  return importer.run();
}

ImportReport import_contacts_csv_file(const std::string& path, const ImportOptions& options,
                                      const std::function<void(ImportedContact&&)>& sink) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw Error(ErrorCode::kIo,
                path + ": cannot open: " + (err != 0 ? std::strerror(err) : "unknown error"));
  }
  return import_contacts_csv(in, options, sink, path);
}

}  // namespace omnivox
