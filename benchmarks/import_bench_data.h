// A generated contact file for the import benchmark (benchmarks/import_bench.cc) and the import
// fast-path equivalence test (tests/import_fast_path_test.cc): phone numbers of several countries
// (US, GB, PT, DE, FR, AU, IT, ES, BR, AR, MX, NL, JP, IN) written the ways hosts export them —
// canonical E.164, "+CC" with spaces, dashes, dots or parentheses, "00CC", national with the trunk
// prefix 0 for the default region GB — plus about 3 % of broken numbers (too short, too long,
// letters, unknown country code, empty). Deterministic: the same bytes for the same arguments.
//
// The numbers are drawn from number ranges (mobile and geographic) where libphonenumber 8.12
// finds nearly every subscriber number valid, so the broken ~3 % are most of the rejections. Import
// it with default region "GB" (kMixedContactsRegion).
#ifndef OMNIVOX_BENCHMARKS_IMPORT_BENCH_DATA_H_
#define OMNIVOX_BENCHMARKS_IMPORT_BENCH_DATA_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

namespace omnivox::bench {

inline constexpr const char* kMixedContactsRegion = "GB";

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

struct NumberRange {
  const char* calling_code;  // without '+'
  const char* prefix;        // leading digits of the national significant number
  int length;                // digits of the national significant number
  int group;                 // digits in the first group when written with separators
};

// Mobile and geographic ranges (national significant numbers, without trunk prefix).
inline constexpr NumberRange kNumberRanges[] = {
    {"1", "2023", 10, 3},  {"1", "2124", 10, 3},  {"1", "4156", 10, 3},  {"1", "6177", 10, 3},
    {"1", "7138", 10, 3},  {"1", "9174", 10, 3},  {"44", "207", 10, 2},  {"44", "161", 10, 3},
    {"44", "7400", 10, 4}, {"44", "7956", 10, 4}, {"44", "1314", 10, 3}, {"351", "91", 9, 3},
    {"351", "93", 9, 3},   {"351", "96", 9, 3},   {"351", "21", 9, 2},   {"351", "22", 9, 2},
    {"49", "30", 10, 2},   {"49", "151", 11, 3},  {"49", "170", 10, 3},  {"49", "89", 10, 2},
    {"33", "1", 9, 1},     {"33", "61", 9, 1},    {"33", "76", 9, 1},    {"33", "45", 9, 1},
    {"61", "41", 9, 3},    {"61", "29", 9, 1},    {"61", "39", 9, 1},    {"39", "06", 10, 2},
    {"39", "33", 10, 3},   {"39", "02", 10, 2},   {"34", "6", 9, 3},     {"34", "91", 9, 2},
    {"55", "119", 11, 2},  {"55", "213", 10, 2},  {"54", "9114", 11, 3}, {"54", "114", 10, 2},
    {"52", "55", 10, 2},   {"52", "155", 11, 3},  {"31", "61", 9, 1},    {"31", "20", 9, 2},
    {"81", "901", 10, 2},  {"81", "35", 9, 1},    {"91", "98", 10, 5},   {"91", "112", 10, 2},
};

// One phone cell: a number of a random range in a random format, or a broken one.
inline std::string make_phone_cell(SplitMix64& rng) {
  const std::size_t broken = rng.below(100);
  if (broken < 3) {
    switch (rng.below(6)) {
      case 0:
        return "+44 12";
      case 1:
        return "+351 91234567890123";
      case 2:
        return "call me later";
      case 3:
        return "+999 123 456 789";
      case 4:
        return "";
      default:
        return "0" + std::to_string(100 + rng.below(900));
    }
  }
  const NumberRange& r = kNumberRanges[rng.below(std::size(kNumberRanges))];
  std::string nsn = r.prefix;
  while (static_cast<int>(nsn.size()) < r.length) nsn += static_cast<char>('0' + rng.below(10));
  const std::string cc = r.calling_code;
  const std::string head = nsn.substr(0, static_cast<std::size_t>(r.group));
  const std::string tail = nsn.substr(static_cast<std::size_t>(r.group));
  const std::string tail_a = tail.substr(0, tail.size() / 2);
  const std::string tail_b = tail.substr(tail.size() / 2);
  const bool home = cc == "44";  // the default region GB: national formats with trunk 0
  switch (rng.below(home ? 12 : 9)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return "+" + cc + nsn;  // canonical E.164
    case 4:
      return "+" + cc + " " + head + " " + tail_a + " " + tail_b;
    case 5:
      return "+" + cc + "-" + head + "-" + tail_a + "-" + tail_b;
    case 6:
      return "00" + cc + " " + head + " " + tail;
    case 7:
      return "+" + cc + " (" + head + ") " + tail_a + "-" + tail_b;
    case 8:
      return "+" + cc + "." + head + "." + tail;
    case 9:
      return "0" + nsn;
    case 10:
      return "0" + head + " " + tail_a + " " + tail_b;
    default:
      return "(0" + head + ") " + tail;
  }
}

// The CSV (comma-separated, header "id,name,phone,city,segment") of `rows` data rows.
inline std::string make_mixed_contacts_csv(std::size_t rows, std::uint64_t seed = 20261121) {
  static const char* const kCities[] = {"Lisboa", "London", "Berlin", "Paris", "Sydney",
                                        "Roma",   "Madrid", "Austin", "Osaka", "\"Porto, PT\""};
  static const char* const kNames[] = {"Ana", "Bruno", "Carla", "Duarte", "Eva",
                                       "Gil", "Hugo",  "Ines",  "Joana",  "Luis"};
  SplitMix64 rng(seed);
  std::string out = "id,name,phone,city,segment\n";
  out.reserve(rows * 56);
  for (std::size_t i = 1; i <= rows; ++i) {
    out += 'c';
    out += std::to_string(i);
    out += ',';
    out += kNames[rng.below(std::size(kNames))];
    out += ',';
    std::string phone = make_phone_cell(rng);
    if (phone.find(',') != std::string::npos) {
      out += '"' + phone + '"';
    } else {
      out += phone;
    }
    out += ',';
    out += kCities[rng.below(std::size(kCities))];
    out += ",s";
    out += std::to_string(rng.below(8));
    out += '\n';
  }
  return out;
}

}  // namespace omnivox::bench

#endif  // OMNIVOX_BENCHMARKS_IMPORT_BENCH_DATA_H_
