// E.164 normalisation of phone numbers: PhoneNormalizer's fast path (its comment in
// include/omnivox/import.h) on libphonenumber's own metadata, compiled once and run with ICU
// regex matchers owned by each thread, and libphonenumber's Parse for everything else. This file
// is the library libomnivox_phone (its entry point is at the end; engine/phone_library.h).
#include "engine/phone_fast_path.h"

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/phone_library.h"
#include "omnivox/import.h"
#include "omnivox/version.h"

// libphonenumber's compiled-in metadata (its generated metadata.cc; metadata.h is not among the
// installed headers). The same bytes PhoneNumberUtil loads at start.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace omnivox {

namespace detail {

// One PhoneNumberDesc as PhoneNumberUtil::IsNumberMatchingDesc reads it.
struct PhoneDesc {
  int pattern = -1;          // into patterns(); -1: empty national_number_pattern (no match)
  std::vector<int> lengths;  // possible_length; empty: not checked
};
// One region's (or non-geographical entity's) PhoneMetadata.
struct PhoneRegion {
  const i18n::phonenumbers::PhoneMetadata* metadata =
      nullptr;  // in PhoneRules' own copy of the collection
  std::string id;
  int country_code = 0;
  int leading_digits = -1;  // -1: !has_leading_digits()
  PhoneDesc general;
  PhoneDesc fixed_line;
  PhoneDesc mobile;
  bool same_mobile_and_fixed_line = false;
  // premium_rate, toll_free, shared_cost, voip, personal_number, pager, uan, voicemail
  std::array<PhoneDesc, 8> other_types;
  std::vector<int> local_only_lengths;     // general_desc's possible_length_local_only
  int national_prefix = -1;                // national_prefix_for_parsing; -1: none
  bool national_prefix_transform = false;  // has a national_prefix_transform_rule
  // As the default region of numbers written without '+' (normalize_without_plus): the
  // international prefix when it is plain digits (empty otherwise: then no number without '+'
  // is read here).
  std::string idd_digits;
  std::string country_code_digits;
};

struct PhoneScratch::Lib {
  i18n::phonenumbers::PhoneNumber number;
  std::vector<std::unique_ptr<icu::RegexMatcher>> matchers;
  icu::UnicodeString unicode;
};

PhoneScratch::Lib& PhoneScratch::state() {
  if (!lib) lib = {new Lib, [](Lib* l) { delete l; }};
  return *lib;
}

}  // namespace detail

namespace {

using detail::PhoneScratch;
using detail::trim;
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
  using Desc = detail::PhoneDesc;
  using Region = detail::PhoneRegion;
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
    PhoneNumber& number = s.state().number;
    number.Clear();
    number.set_country_code(code_value);
    number.set_national_number(national);
    set_leading_zeros(nsn, number);
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

}  // namespace

bool detail::PhoneScratch::match(int index, std::string_view text, bool whole, int* end) {
  const PhoneRules& rules = PhoneRules::get();
  auto& [number, matchers, unicode] = state();
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

namespace {

bool normalize(std::string_view raw, const std::string& region, bool fast_path, PhoneScratch& s,
               std::string* out, std::string* reason) {
  if (fast_path) {
    switch (normalize_fast(raw, region, s, out)) {
      case FastResult::kValid:
        return true;
      case FastResult::kInvalid:
        if (reason) *reason = invalid_number_reason(s.state().number, region);
        return false;
      case FastResult::kAskParse:
        break;
    }
  }
  return normalize_phone_parse(raw, region, s.input, s.state().number, out, reason);
}

bool supported_region(const std::string& region) { return supported_regions().count(region) > 0; }

std::string nanp_description(std::uint64_t national_number) {
  // Process-wide and never destroyed (it is thread-safe and outlives every caller).
  static const auto* geocoder = new i18n::phonenumbers::PhoneNumberOfflineGeocoder();
  static const auto* english = new icu::Locale("en");
  PhoneNumber number;
  number.set_country_code(1);
  number.set_national_number(national_number);
  return geocoder->GetDescriptionForValidNumber(number, *english);
}

constexpr detail::PhoneBackend kBackend{detail::kPhoneBackendAbi, OMNIVOX_VERSION_STRING,
                                        &normalize, &supported_region, &nanp_description};

}  // namespace
}  // namespace omnivox

extern "C" __attribute__((visibility("default"))) const omnivox::detail::PhoneBackend*
omnivox_phone_backend_v1() {
  return &omnivox::kBackend;
}
