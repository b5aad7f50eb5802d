// The import's speed-ups give the same results as the plain path:
// - PhoneNormalizer's fast path (international numbers without libphonenumber's Parse) against
//   Parse alone, on every number of the bank file and of 1,000,000 generated rows (varied
//   formats, 14 countries, broken numbers; benchmarks/import_bench_data.h): identical E.164
//   output, identical valid / invalid verdicts and reasons.
// - Parallel import (ImportOptions::threads) against the calling thread alone: identical
//   contacts in identical order, identical reports, errors still naming file:line and column.
// OMNIVOX_IMPORT_EQUIVALENCE_ROWS overrides the generated row count (e.g. under sanitizers).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../benchmarks/import_bench_data.h"
#include "omnivox/import.h"
#include "phonenumbers/phonenumberutil.h"

namespace omnivox {
namespace {

std::size_t generated_rows() {
  if (const char* v = std::getenv("OMNIVOX_IMPORT_EQUIVALENCE_ROWS")) {
    return static_cast<std::size_t>(std::strtoull(v, nullptr, 10));
  }
  return 1000000;
}

// Everything an import produced, as comparable text: one line per contact (all fields) and the
// report's counts and errors.
struct Outcome {
  std::vector<std::string> contacts;
  ImportReport report;
};

std::string describe(const ImportedContact& c) {
  std::string s = std::to_string(c.line) + "|" + c.external_id + "|" + std::to_string(c.priority) +
                  "|" + c.time_zone + "|";
  for (const auto& n : c.phone_numbers) s += n + " ";
  s += "|";
  for (const auto& [k, v] : c.attributes) s += k + "=" + v + ";";
  return s;
}

Outcome run_import(const std::string& text, ImportOptions options,
                   const std::string& source = "gen.csv") {
  Outcome o;
  std::istringstream in(text);
  o.report = import_contacts_csv(
      in, options, [&](ImportedContact&& c) { o.contacts.push_back(describe(c)); }, source);
  return o;
}

void expect_same(const Outcome& a, const Outcome& b) {
  EXPECT_EQ(a.report.rows_read, b.report.rows_read);
  EXPECT_EQ(a.report.rows_loaded, b.report.rows_loaded);
  EXPECT_EQ(a.report.rows_rejected, b.report.rows_rejected);
  ASSERT_EQ(a.report.errors.size(), b.report.errors.size());
  for (std::size_t i = 0; i < a.report.errors.size(); ++i) {
    ASSERT_EQ(a.report.errors[i].line, b.report.errors[i].line) << "error " << i;
    ASSERT_EQ(a.report.errors[i].reason, b.report.errors[i].reason) << "error " << i;
  }
  EXPECT_EQ(a.report.summary(50), b.report.summary(50));
  ASSERT_EQ(a.contacts.size(), b.contacts.size());
  for (std::size_t i = 0; i < a.contacts.size(); ++i) {
    ASSERT_EQ(a.contacts[i], b.contacts[i]) << "contact " << i;
  }
}

// Compares fast path and Parse on one number; counts disagreements (reported, at most 20).
struct Comparison {
  PhoneNormalizer fast;
  PhoneNormalizer reference;
  std::size_t numbers = 0;
  std::size_t valid = 0;
  std::size_t mismatches = 0;

  explicit Comparison(const std::string& region) : fast(region, true), reference(region, false) {}

  void check(std::string_view raw) {
    ++numbers;
    std::string fast_reason = "<none>";
    std::string reference_reason = "<none>";
    const auto a = fast.to_e164(raw, &fast_reason);
    const auto b = reference.to_e164(raw, &reference_reason);
    if (b) ++valid;
    if (a != b || fast_reason != reference_reason) {
      if (++mismatches <= 20) {
        ADD_FAILURE() << "'" << raw << "': fast path "
                      << a.value_or("invalid (" + fast_reason + ")") << ", Parse "
                      << b.value_or("invalid (" + reference_reason + ")");
      }
    }
  }
};

TEST(PhoneNormalizerFastPath, TrickyNumbersSameAsParse) {
  for (const char* region : {"GB", "US", "PT", "DE", "AR", "IT", "RU", "MX", "CN", "KR", "FR"}) {
    Comparison cmp(region);
    for (const char* raw : {
             "+351912345678",
             "+351 912 345 678",
             "+44 20 7946 0958",
             "+44 020 7946 0958",
             "+44 (0)20 7946 0958",
             "+1 (415) 555-0123",
             "+1.415.555.0123",
             "+1 1 415 555 0123",
             "+14155550123",
             "+1 202-555-0143",
             "+39 06 1234 5678",
             "+39 3123456789",
             "+39 02 1234 5678",
             "+54 9 11 1234 5678",
             "+54 11 15 1234 5678",
             "+54 11 1234 5678",
             "+52 1 55 1234 5678",
             "+52 55 1234 5678",
             "+55 11 91234 5678",
             "+55 0 11 91234 5678",
             "+7 8 495 123 45 67",
             "+7 495 123 45 67",
             "+61 4 1234 5678",
             "+61 1831 4 1234 5678",
             "+800 1234 5678",
             "+882 34 1234 5678",
             "+979 1 2345 6789",
             "+49 30 1234 5678",
             "+49 030 1234 5678",
             "+33 6 12 34 56 78",
             "+33 0 6 12 34 56 78",
             "+81 90 1234 5678",
             "+91 98765 43210",
             "+999 123 456",
             "+0 123 456 789",
             "+44 12",
             "+1",
             "+12",
             "+123",
             "+44 7700 900123 ext 5",
             "+44 7700 900123#",
             "++44 7700 900123",
             "+ 44 7700 900123",
             "+44-7700-900-123",
             "+(44) 7700 900123",
             "+44 7700 900123 )",
             "+3519123456789012345",
             "+35191234567890123456789",
             "+1 800 555 0199",
             "+1 268 464 1234",
             "+1 684 733 1234",
             "+44 1481 712345",
             "+44 7781 123456",
             "+262 692 12 34 56",
             "+590 690 00 12 34",
             // National prefixes for parsing after the calling code: patterns with and without
             // carrier code groups, a transform rule (AR), stripped or kept by length and pattern.
             "+86 0 10 1234 5678",
             "+86 10 1234 5678",
             "+86 12593 10 1234 5678",
             "+86 17951 138 0013 8000",
             "+86 138 0013 8000",
             "+82 0 2 1234 5678",
             "+82 082 2 1234 5678",
             "+82 2 1234 5678",
             "+82 010 1234 5678",
             "+52 01 55 1234 5678",
             "+52 044 55 1234 5678",
             "+52 045 55 1234 5678",
             "+52 1 1234",
             "+52 1 222 123 4567",
             "+7 8 912 345 67 89",
             "+7 912 345 67 89",
             "+33 0 1 23 45 67 89",
             "+1 1 800 555 0199",
             "+61 0 2 1234 5678",
             "+61 1831 2 1234 5678",
             // National forms of the regions above.
             "8 495 123 45 67",
             "8 912 345 67 89",
             "810 44 20 7946 0958",
             "0 30 1234 5678",
             "010 1234 5678",
             "02 1234 5678",
             "01 23 45 67 89",
             "044 55 1234 5678",
             "55 1234 5678",
             // Leading zeros of the national significant number (Italian leading zero).
             "+39 0669812345",
             "+39 06 698 12345",
             "+39 00 1234 5678",
             "+39 000 000 0000",
             "+39 0000",
             "+39 00",
             "+39 0 1",
             "+242 06 123 4567",
             "+225 07 12 34 56 78",
             "0039 06 1234 5678",
             "06698 12345",
             "06 1234 5678",
             "0039 0 1",
             // International prefix (GB, DE, PT, AR, IT: "00"; US: "011").
             "0044 20 7946 0958",
             "00 44 20 7946 0958",
             "0044 (0)20 7946 0958",
             "0044 020 7946 0958",
             "(0044) 7700 900123",
             "0044-7700-900-123",
             "00 1 415 555 0123",
             "011 44 20 7946 0958",
             "011 351 912 345 678",
             "00351912345678",
             "00 39 06 1234 5678",
             "00 54 9 11 1234 5678",
             "00 800 1234 5678",
             "000 44 20 7946 0958",
             "00 0 44 20 7946 0958",
             "0044",
             "00441",
             "00 44 12",
             "00 999 123 456 789",
             "0044 7700 900123 ext 5",
             // National forms, with and without the trunk prefix.
             "020 7946 0958",
             "(020) 7946 0958",
             "(0)20 7946 0958",
             "((020)) 7946 0958",
             "02079460958",
             "0-20-7946-0958",
             "0.20.7946.0958",
             "020 7946 0958 )",
             "2079460958",
             "07700 900123",
             "0 7700 900123",
             "7700 900123",
             "01481 712345",
             "07781 123456",
             "01624 612345",
             "0800 123 4567",
             "447700900123",
             "44 7700 900123",
             "0123",
             "012",
             "0 12",
             "1 415 555 0123",
             "415 555 0123",
             "(415) 555-0123",
             "1 (415) 555-0123",
             "4155550123",
             "912 345 678",
             "351 912 345 678",
             "0912345678",
             "030 1234 5678",
             "30 1234 5678",
             "0151 1234 5678",
             "011 15 1234 5678",
             "011 1234 5678",
             "0 11 15 1234 5678",
             "9 11 1234 5678",
             "06 1234 5678",
             "3123456789",
             "1234",
             "123 456 789 012 345 678 901",
         }) {
      cmp.check(raw);
    }
    EXPECT_EQ(cmp.mismatches, 0u) << "region " << region;
  }
}

// libphonenumber's example number of every type of every region, written in every form the fast
// path reads ("+CC", "00CC", "011CC", national with and without the trunk prefix, with
// separators) and broken (a digit changed, missing or extra), read with several default regions:
// every region's metadata (the regions sharing a calling code and their leading digits too) goes
// through the fast path's own IsValidNumber.
TEST(PhoneNormalizerFastPath, ExampleNumbersOfEveryRegionSameAsParse) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  std::vector<std::string> numbers;
  bench::SplitMix64 rng(7);
  for (const std::string& region : regions) {
    for (int type = PhoneNumberUtil::FIXED_LINE; type <= PhoneNumberUtil::VOICEMAIL; ++type) {
      PhoneNumber example;
      if (!util.GetExampleNumberForType(region, static_cast<PhoneNumberUtil::PhoneNumberType>(type),
                                        &example)) {
        continue;
      }
      std::string nsn;
      util.GetNationalSignificantNumber(example, &nsn);
      const std::string cc = std::to_string(example.country_code());
      // Broken: one digit changed, one missing, one more. Neighbours: the example's first half
      // with random digits after it (mostly valid numbers of the same range or of a region that
      // shares the calling code).
      std::string changed = nsn;
      changed[rng.below(changed.size())] = static_cast<char>('0' + rng.below(10));
      std::vector<std::string> variants = {nsn, changed, nsn.substr(0, nsn.size() - 1),
                                           nsn + std::to_string(rng.below(10))};
      for (int k = 0; k < 3; ++k) {
        std::string neighbour = nsn;
        for (std::size_t i = nsn.size() / 2; i < nsn.size(); ++i) {
          neighbour[i] = static_cast<char>('0' + rng.below(10));
        }
        variants.push_back(neighbour);
      }
      for (const std::string& n : variants) {
        const std::string spaced = n.size() > 4 ? n.substr(0, 3) + " " + n.substr(3) : n;
        numbers.push_back("+" + cc + n);
        numbers.push_back("+" + cc + " " + spaced);
        numbers.push_back("00" + cc + n);
        numbers.push_back("00 " + cc + " (" + spaced + ")");
        numbers.push_back("011" + cc + n);
        numbers.push_back(n);
        numbers.push_back("0" + n);
        numbers.push_back("(0" + spaced + ")");
        numbers.push_back("1" + n);
        numbers.push_back("990" + cc + n);  // FI's international prefix is a pattern
      }
    }
  }
  ASSERT_GT(numbers.size(), 10000u);
  for (const char* region : {"GB", "US", "IT", "AR", "RU", "JE", "AU", "FI", "HK", "CL"}) {
    Comparison cmp(region);
    for (const std::string& raw : numbers) cmp.check(raw);
    EXPECT_EQ(cmp.mismatches, 0u) << "region " << region;
    EXPECT_GT(cmp.valid, numbers.size() / 20) << "region " << region;
  }
}

// Every number of the bank campaign's file (canonical Portuguese E.164).
TEST(PhoneNormalizerFastPath, BankFileSameAsParse) {
  std::ifstream in(OMNIVOX_EXAMPLES_DIR "/data/bank-full.csv", std::ios::binary);
  ASSERT_TRUE(in.good());
  std::string line;
  std::getline(in, line);  // header: id;phone;...
  Comparison cmp("PT");
  while (std::getline(in, line)) {
    const auto a = line.find(';');
    const auto b = line.find(';', a + 1);
    cmp.check(line.substr(a + 1, b - a - 1));
  }
  EXPECT_EQ(cmp.numbers, 45211u);
  EXPECT_EQ(cmp.valid, 45211u);
  EXPECT_EQ(cmp.mismatches, 0u);
}

// The generated file, imported with the fast path and with Parse alone: the same contacts (all
// fields) and the same report, row by row.
TEST(PhoneNormalizerFastPath, GeneratedFileImportSameAsParse) {
  const std::size_t rows = generated_rows();
  const std::string text = bench::make_mixed_contacts_csv(rows);
  ImportOptions options;
  options.default_region = bench::kMixedContactsRegion;
  options.max_errors_kept = rows;
  options.threads = 1;
  options.mapping.keep_attributes = false;  // the numbers are what differs; keeps memory small
  const Outcome reference = [&] {
    ImportOptions o = options;
    o.phone_fast_path = false;
    return run_import(text, o);
  }();
  const Outcome fast = run_import(text, options);
  EXPECT_EQ(reference.report.rows_read, rows);
  // The generator's ranges are mostly valid numbers, and it writes ~3 % broken ones.
  EXPECT_GT(reference.report.rows_loaded, rows * 3 / 4);
  EXPECT_GT(reference.report.rows_rejected, rows / 50);
  expect_same(fast, reference);
}

// A small file with CSV-level errors (quotes, field counts, bad UTF-8) every few rows, so they
// fall inside and across batches of rows.
std::string file_with_errors(std::size_t rows) {
  std::string text = "id,name,phone,note\n";
  bench::SplitMix64 rng(42);
  for (std::size_t i = 1; i <= rows; ++i) {
    const std::string id = "r" + std::to_string(i);
    switch (i % 97 == 0 ? 1 + rng.below(5) : 0) {
      case 1:
        text += id + ",\"Open quote,+351912345678,x\n";
        break;
      case 2:
        text += id + ",too,few\n";
        break;
      case 3:
        text += id + ",Bad\xFF,+351912345678,x\n";
        break;
      case 4:
        text += id + ",\"Multi\nline\",+351 91 234 5678,\"a \"\"quoted\"\" note\"\n";
        break;
      case 5:
        text += id + ",x\"y,+351912345678,stray quote\n";
        break;
      default:
        text += id + ",Name," + bench::make_phone_cell(rng) + ",note " + std::to_string(i) + "\n";
    }
  }
  return text;
}

TEST(ImportParallel, SameResultsAsCallingThreadAlone) {
  const std::string text = file_with_errors(20000);
  ImportOptions options;
  options.default_region = "GB";
  options.max_errors_kept = 100000;
  options.threads = 1;
  const Outcome serial = run_import(text, options, "errors.csv");
  EXPECT_EQ(serial.report.rows_read, 20000u);
  EXPECT_GT(serial.report.rows_rejected, 200u);
  for (const std::size_t threads : {2u, 3u, 5u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    options.threads = threads;
    expect_same(run_import(text, options, "errors.csv"), serial);
  }
  options.threads = 0;  // automatic: workers start after 4,096 rows
  expect_same(run_import(text, options, "errors.csv"), serial);
}

TEST(ImportParallel, ErrorsNameFileLineAndColumn) {
  // Row 2 (line 3) is bad; 600 good rows around it so several batches are in flight.
  std::string text = "id,phone\n";
  text += "a1,+351912345678\n";
  text += "a2,+351 91 23\n";
  for (int i = 0; i < 600; ++i)
    text += "b" + std::to_string(i) + ",+35191" + std::to_string(1000000 + i) + "\n";
  text += "z1,not a phone\n";
  ImportOptions options;
  options.default_region = "PT";
  options.threads = 2;
  const Outcome o = run_import(text, options, "contacts.csv");
  ASSERT_EQ(o.report.errors.size(), 2u);
  EXPECT_EQ(o.report.errors[0].line, 3u);
  EXPECT_EQ(o.report.errors[1].line, 604u);
  const std::string summary = o.report.summary();
  EXPECT_NE(summary.find("contacts.csv:3: invalid phone number '+351 91 23' in column 'phone': "),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("contacts.csv:604: invalid phone number 'not a phone' in column 'phone': "
                         "not a number"),
            std::string::npos)
      << summary;
  options.threads = 1;
  expect_same(run_import(text, options, "contacts.csv"), o);
}

TEST(ImportParallel, SinkExceptionStopsTheImport) {
  const std::string text = bench::make_mixed_contacts_csv(20000);
  ImportOptions options;
  options.default_region = bench::kMixedContactsRegion;
  options.threads = 3;
  std::size_t seen = 0;
  std::istringstream in(text);
  EXPECT_THROW(import_contacts_csv(in, options,
                                   [&](ImportedContact&&) {
                                     if (++seen == 5000) throw std::runtime_error("host full");
                                   }),
               std::runtime_error);
  EXPECT_EQ(seen, 5000u);
}

}  // namespace
}  // namespace omnivox
