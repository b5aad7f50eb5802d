// Fuzz target: contact import (omnivox/import.h) — CSV parsing with libcsv and E.164
// normalisation with libphonenumber.
//
// Input: the first byte picks the ImportOptions (delimiter, default region, column mapping, small
// limits so the fuzzer reaches them); the rest is the CSV file. Checks what import.h promises:
// only Error(kConfig) escapes (for a file-level problem), every contact handed to the sink has at
// least one E.164 number, the counts add up, and no more than max_errors_kept errors are kept.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <sstream>
#include <string>

#include "fuzz_check.h"
#include "omnivox/import.h"

namespace {

bool is_e164(const std::string& n) {
  if (n.size() < 2 || n.size() > 16 || n[0] != '+' || n[1] == '0') return false;
  for (std::size_t i = 1; i < n.size(); ++i) {
    if (n[i] < '0' || n[i] > '9') return false;
  }
  return true;
}

omnivox::ImportOptions options_from(std::uint8_t b) {
  omnivox::ImportOptions o;
  static const char kDelimiters[] = {0, ',', ';', 0};
  static const char* const kRegions[] = {"US", "PT", "GB", "BR"};
  o.delimiter = kDelimiters[b & 3];
  o.default_region = kRegions[(b >> 2) & 3];
  switch ((b >> 4) & 3) {
    case 0:  // defaults: "phone", "id"
      break;
    case 1:  // two numbers, priority and time zone columns
      o.mapping.phone_columns = {"phone", "phone2"};
      o.mapping.priority_column = "priority";
      o.mapping.time_zone_column = "tz";
      break;
    case 2:  // no id column: the row index is the id
      o.mapping.external_id_column = "no-such-id-column";
      o.mapping.keep_attributes = false;
      break;
    case 3:  // tiny limits
      o.max_errors_kept = 2;
      o.max_lines_per_record = 2;
      break;
  }
  if (b & 0x40) o.max_lines_per_record = 1;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const omnivox::ImportOptions options = options_from(data[0]);
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  std::size_t handed = 0;
  try {
    omnivox::ImportReport report = omnivox::import_contacts_csv(
        in, options,
        [&](omnivox::ImportedContact&& c) {
          ++handed;
          FUZZ_CHECK(!c.phone_numbers.empty());
          for (const auto& n : c.phone_numbers) FUZZ_CHECK(is_e164(n));
          FUZZ_CHECK(c.line >= 1);
          FUZZ_CHECK(!c.external_id.empty());
        },
        "fuzz.csv");
    FUZZ_CHECK(report.rows_loaded == handed);
    FUZZ_CHECK(report.rows_loaded + report.rows_rejected == report.rows_read);
    FUZZ_CHECK(report.errors.size() <= options.max_errors_kept);
    FUZZ_CHECK(report.errors.size() <= report.rows_rejected);
    (void)report.summary();
  } catch (const omnivox::Error& e) {
    FUZZ_CHECK(e.code() == omnivox::ErrorCode::kConfig);
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  return 0;
}
