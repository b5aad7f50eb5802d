#include "omnivox/import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <sstream>
#include <unordered_set>

namespace omnivox {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

struct Result {
  ImportReport report;
  std::vector<ImportedContact> contacts;
};

ImportOptions pt_options() {
  ImportOptions options;
  options.default_region = "PT";
  return options;
}

Result import_text(const std::string& text, const ImportOptions& options = pt_options(),
                   const std::string& source = "test.csv") {
  std::istringstream in(text);
  Result r;
  r.report = import_contacts_csv(
      in, options, [&](ImportedContact&& c) { r.contacts.push_back(std::move(c)); }, source);
  return r;
}

std::vector<std::size_t> lines_of(const std::vector<ImportedContact>& contacts) {
  std::vector<std::size_t> lines;
  for (const auto& c : contacts) lines.push_back(c.line);
  return lines;
}

std::string attribute(const ImportedContact& c, const std::string& name) {
  for (const auto& [k, v] : c.attributes) {
    if (k == name) return v;
  }
  return "<absent>";
}

// Good and broken rows mixed; every line number below is a physical line of the file.
const char* const kMixed =
    "id,name,phone,note\n"                                       // 1 header
    "c1,Ana,+351 912 345 678,ok\n"                               // 2 good
    "c2,\"Silva, Bruno\",912345679,\"said \"\"call me\"\"\n"     // 3 good, spans lines 3-4
    "after 6pm, on line 2\"\n"                                   // 4
    "c3,\"Carla,+351912345680,unbalanced\n"                      // 5 unbalanced quote
    "c4,Duarte,+351912345681,good after the unbalanced quote\n"  // 6 good
    "c5,Eva,+351912345682\n"                                     // 7 3 fields
    "c6,F\xC3\xA1"
    "bio,,no phone\n"                                               // 8 missing number
    "c7,Gil,12,too short\n"                                         // 9 invalid number
    "c8,H\xFF\xFEo,+351912345683,bad UTF-8\n"                       // 10 invalid UTF-8
    "c9,\"In\xC3\xAAs \"\"the great\"\"\",+351 21 234 5678,good\n"  // 11 good
    "c10,Jo\xC3\xA3o,b\"ad,stray quote\n"                           // 12 quote in unquoted field
    "c11,\"Lu\xC3\xADs\"x,+351912345684,junk after quote\n"         // 13 junk after closing quote
    "\n"                                                            // 14 blank: ignored
    "c12,Marta,+351912345685,\"last, good\"";                       // 15 good, no final newline

TEST(ImportCsv, MixedGoodAndBrokenRowsReportLinesAndReasons) {
  Result r = import_text(kMixed);
  const ImportReport& rep = r.report;

  EXPECT_THAT(lines_of(r.contacts), ElementsAre(2, 3, 6, 11, 15));
  ASSERT_EQ(r.contacts.size(), 5u);
  EXPECT_EQ(r.contacts[0].external_id, "c1");
  EXPECT_THAT(r.contacts[0].phone_numbers, ElementsAre("+351912345678"));
  EXPECT_EQ(r.contacts[1].external_id, "c2");
  EXPECT_EQ(attribute(r.contacts[1], "name"), "Silva, Bruno");
  EXPECT_EQ(attribute(r.contacts[1], "note"), "said \"call me\"\nafter 6pm, on line 2");
  EXPECT_THAT(r.contacts[1].phone_numbers, ElementsAre("+351912345679"));
  EXPECT_EQ(r.contacts[2].external_id, "c4");
  EXPECT_EQ(attribute(r.contacts[3], "name"), "In\xC3\xAAs \"the great\"");
  EXPECT_THAT(r.contacts[3].phone_numbers, ElementsAre("+351212345678"));
  EXPECT_EQ(attribute(r.contacts[4], "note"), "last, good");
  // The phone and id columns are not attributes.
  EXPECT_THAT(r.contacts[0].attributes, ElementsAre(Pair("name", "Ana"), Pair("note", "ok")));

  EXPECT_EQ(rep.rows_read, 12u);
  EXPECT_EQ(rep.rows_loaded, 5u);
  EXPECT_EQ(rep.rows_rejected, 7u);
  ASSERT_EQ(rep.errors.size(), 7u);
  std::vector<std::pair<std::size_t, std::string>> errors;
  for (const auto& e : rep.errors) errors.emplace_back(e.line, e.reason);
  EXPECT_THAT(
      errors,
      ElementsAre(
          Pair(5,
               "unbalanced quote in column 'name' (closed on line 11 by a quote followed by "
               "'I')"),
          Pair(7, "expected 4 fields, got 3"), Pair(8, "missing phone number in column 'phone'"),
          Pair(9, "invalid phone number '12' in column 'phone': too short for region PT"),
          Pair(10, "invalid UTF-8 in column 'name'"),
          Pair(12, "quote inside unquoted field in column 'phone'"),
          Pair(13, "unexpected 'x' after closing quote in column 'name'")));

  const std::string summary = rep.summary(2);
  EXPECT_EQ(summary,
            "loaded 5 of 12 rows, rejected 7\n"
            "test.csv:5: unbalanced quote in column 'name' (closed on line 11 by a quote "
            "followed by 'I')\n"
            "test.csv:7: expected 4 fields, got 3\n"
            "... and 5 more");
}

TEST(ImportCsv, UnbalancedQuoteAtEndOfInputStillLoadsLaterRows) {
  Result r = import_text(
      "id,phone,note\n"
      "a,912345601,ok\n"
      "b,912345602,\"never closed\n"
      "c,912345603,ok\n"
      "d,912345604,ok\n");
  EXPECT_THAT(lines_of(r.contacts), ElementsAre(2, 4, 5));
  ASSERT_EQ(r.report.errors.size(), 1u);
  EXPECT_EQ(r.report.errors[0].line, 3u);
  EXPECT_EQ(r.report.errors[0].reason,
            "unbalanced quote in column 'note' (still open at end of input)");
  EXPECT_EQ(r.report.rows_read, 4u);
  EXPECT_EQ(r.report.rows_rejected, 1u);
}

TEST(ImportCsv, UnbalancedQuoteOpenTooLongIsCutAtMaxLinesPerRecord) {
  ImportOptions options = pt_options();
  options.max_lines_per_record = 3;
  Result r = import_text(
      "id,phone,note\n"
      "a,912345601,\"three lines\n"
      "are\n"
      "fine\"\n"
      "b,912345602,\"runaway\n"
      "c,912345603,ok\n"
      "d,912345604,ok\n"
      "e,912345605,ok\n",
      options);
  EXPECT_THAT(lines_of(r.contacts), ElementsAre(2, 6, 7, 8));
  EXPECT_EQ(attribute(r.contacts[0], "note"), "three lines\nare\nfine");
  ASSERT_EQ(r.report.errors.size(), 1u);
  EXPECT_EQ(r.report.errors[0].line, 5u);
  EXPECT_EQ(r.report.errors[0].reason,
            "unbalanced quote in column 'note' (still open after 3 lines)");
}

TEST(ImportCsv, SemicolonFileIsDetected) {
  Result r = import_text(
      "id;name;phone;city\n"
      "1;\"Ana; Maria\";+351912345678;Lisboa, PT\n"
      "2;Bruno;912345679;Porto\n");
  ASSERT_EQ(r.contacts.size(), 2u);
  EXPECT_EQ(r.report.rows_rejected, 0u);
  EXPECT_EQ(attribute(r.contacts[0], "name"), "Ana; Maria");
  EXPECT_EQ(attribute(r.contacts[0], "city"), "Lisboa, PT");
  EXPECT_THAT(r.contacts[1].phone_numbers, ElementsAre("+351912345679"));
}

TEST(ImportCsv, CommaFileIsDetectedAndDelimiterCanBeForced) {
  const std::string text =
      "id,phone,note\n"
      "1,912345678,a;b;c\n";
  Result r = import_text(text);
  ASSERT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(attribute(r.contacts[0], "note"), "a;b;c");

  ImportOptions semicolon = pt_options();
  semicolon.delimiter = ';';
  // With ';' forced, "id,phone,note" is one column: no "phone" column.
  EXPECT_THROW(import_text(text, semicolon), Error);
}

TEST(ImportCsv, CrlfLineEndings) {
  Result r = import_text(
      "id,phone,note\r\n"
      "1,912345678,plain\r\n"
      "2,912345679,\"two\r\nlines\"\r\n"
      "3,12,bad\r\n"
      "4,912345680,last\r\n");
  EXPECT_THAT(lines_of(r.contacts), ElementsAre(2, 3, 6));
  EXPECT_EQ(attribute(r.contacts[0], "note"), "plain");
  EXPECT_EQ(attribute(r.contacts[1], "note"), "two\nlines");
  EXPECT_EQ(attribute(r.contacts[2], "note"), "last");
  ASSERT_EQ(r.report.errors.size(), 1u);
  EXPECT_EQ(r.report.errors[0].line, 5u);
}

TEST(ImportCsv, Utf8BomOnHeader) {
  Result r = import_text(
      "\xEF\xBB\xBFid,phone,name\n"
      "x-1,912345678,Ana\n");
  ASSERT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(r.contacts[0].external_id, "x-1");
  EXPECT_THAT(r.contacts[0].attributes, ElementsAre(Pair("name", "Ana")));
}

TEST(ImportCsv, TwoPhoneColumnsFirstEmptyUsesSecond) {
  ImportOptions options = pt_options();
  options.mapping.phone_columns = {"mobile", "home"};
  Result r = import_text(
      "id,mobile,home\n"
      "a,,212345678\n"
      "b,912345678,212345679\n"
      "c,912345670,912345670\n"
      "d,,\n"
      "e,12,212345671\n"
      "f,12,\n",
      options);
  ASSERT_EQ(r.contacts.size(), 4u);
  EXPECT_THAT(r.contacts[0].phone_numbers, ElementsAre("+351212345678"));
  EXPECT_THAT(r.contacts[1].phone_numbers, ElementsAre("+351912345678", "+351212345679"));
  EXPECT_THAT(r.contacts[2].phone_numbers, ElementsAre("+351912345670"));  // no duplicate
  // A row with one valid number loads; the invalid one is dropped.
  EXPECT_THAT(r.contacts[3].phone_numbers, ElementsAre("+351212345671"));
  ASSERT_EQ(r.report.errors.size(), 2u);
  EXPECT_EQ(r.report.errors[0].line, 5u);
  EXPECT_EQ(r.report.errors[0].reason, "missing phone number in columns 'mobile', 'home'");
  EXPECT_EQ(r.report.errors[1].line, 7u);
  EXPECT_EQ(r.report.errors[1].reason,
            "invalid phone number '12' in column 'mobile': too short for region PT");
}

TEST(ImportCsv, MissingMappedColumnThrowsConfigError) {
  ImportOptions options = pt_options();
  options.mapping.phone_columns = {"telefone"};
  try {
    import_text("id,phone\n1,912345678\n", options, "bank.csv");
    FAIL() << "expected omnivox::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_EQ(std::string(e.what()),
              "bank.csv:1: phone column 'telefone' not found in header (columns: 'id', 'phone')");
  }
  ImportOptions priority = pt_options();
  priority.mapping.priority_column = "prio";
  EXPECT_THROW(import_text("id,phone\n1,912345678\n", priority), Error);
}

TEST(ImportCsv, UnknownRegionThrows) {
  ImportOptions options = pt_options();
  options.default_region = "XX";
  try {
    import_text("id,phone\n1,912345678\n", options);
    FAIL() << "expected omnivox::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
  }
}

TEST(ImportCsv, NoHeaderThrows) {
  EXPECT_THROW(import_text(""), Error);
  EXPECT_THROW(import_text("\n\n"), Error);
  EXPECT_THROW(import_text("id,\"phone\n"), Error);  // header with an unbalanced quote
}

TEST(ImportCsv, HeaderOnlyLoadsNothing) {
  Result r = import_text("id,phone\n");
  EXPECT_EQ(r.report.rows_read, 0u);
  EXPECT_TRUE(r.contacts.empty());
  EXPECT_EQ(r.report.summary(), "loaded 0 of 0 rows, rejected 0");
}

TEST(ImportCsv, IdFallbackPriorityTimeZoneAndAttributes) {
  ImportOptions options = pt_options();
  options.mapping.external_id_column = "ref";  // absent: the data-row index is used
  options.mapping.priority_column = "prio";
  options.mapping.time_zone_column = "tz";
  options.mapping.keep_attributes = false;
  Result r = import_text(
      "phone,prio,tz,extra\n"
      "912345678,5,Europe/Lisbon,x\n"
      "912345679,high,Europe/Lisbon,y\n"
      "912345670,,Atlantic/Azores,z\n",
      options);
  ASSERT_EQ(r.contacts.size(), 2u);
  EXPECT_EQ(r.contacts[0].external_id, "1");
  EXPECT_EQ(r.contacts[0].priority, 5);
  EXPECT_EQ(r.contacts[0].time_zone, "Europe/Lisbon");
  EXPECT_TRUE(r.contacts[0].attributes.empty());
  EXPECT_EQ(r.contacts[1].external_id, "3");
  EXPECT_EQ(r.contacts[1].priority, 0);
  EXPECT_EQ(r.contacts[1].time_zone, "Atlantic/Azores");
  ASSERT_EQ(r.report.errors.size(), 1u);
  EXPECT_EQ(r.report.errors[0].reason, "invalid priority 'high' in column 'prio': not an integer");
}

TEST(ImportCsv, MaxErrorsKeptStillCountsRows) {
  ImportOptions options = pt_options();
  options.max_errors_kept = 2;
  Result r = import_text("id,phone\n1,1\n2,2\n3,3\n4,912345678\n", options);
  EXPECT_EQ(r.report.rows_rejected, 3u);
  EXPECT_EQ(r.report.errors.size(), 2u);
  EXPECT_EQ(r.report.rows_loaded, 1u);
}

TEST(ImportCsv, MissingFileThrowsIoError) {
  try {
    import_contacts_csv_file("/nonexistent/contacts.csv", ImportOptions{},
                             [](ImportedContact&&) {});
    FAIL() << "expected omnivox::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/contacts.csv"), std::string::npos);
  }
}

TEST(PhoneNormalizer, NormalizesToE164) {
  PhoneNormalizer pt("PT");
  EXPECT_EQ(pt.default_region(), "PT");
  EXPECT_EQ(pt.to_e164("+351 912 345 678"), "+351912345678");
  EXPECT_EQ(pt.to_e164("912345678"), "+351912345678");
  EXPECT_EQ(pt.to_e164("21 234 5678"), "+351212345678");
  EXPECT_EQ(pt.to_e164("00351 912 345 678"), "+351912345678");
  EXPECT_EQ(pt.to_e164("+44 20 7946 0958"), "+442079460958");

  PhoneNormalizer us("us");  // case-insensitive
  EXPECT_EQ(us.default_region(), "US");
  EXPECT_EQ(us.to_e164("(202) 555-0143"), "+12025550143");
  EXPECT_EQ(us.to_e164("+1 202-555-0143"), "+12025550143");
}

TEST(PhoneNormalizer, RejectsWithReason) {
  PhoneNormalizer pt("PT");
  std::string reason;
  // Portugal has no trunk prefix '0': this is one digit too long.
  EXPECT_EQ(pt.to_e164("021 234 5678", &reason), std::nullopt);
  EXPECT_EQ(reason, "too long for region PT");
  EXPECT_EQ(pt.to_e164("12", &reason), std::nullopt);
  EXPECT_EQ(reason, "too short for region PT");
  EXPECT_EQ(pt.to_e164("abc", &reason), std::nullopt);
  EXPECT_EQ(reason, "not a number");
  EXPECT_EQ(pt.to_e164("   ", &reason), std::nullopt);
  EXPECT_EQ(reason, "empty");
  EXPECT_EQ(pt.to_e164("+351 237 000 000", &reason), std::nullopt);  // 237: no such area code
  EXPECT_EQ(reason, "invalid number for region PT");
  EXPECT_EQ(pt.to_e164("+44 12", &reason), std::nullopt);
  EXPECT_EQ(reason, "too short for country code +44");
  EXPECT_EQ(pt.to_e164("(202) 555-0143"), std::nullopt);  // a US number without +1
}

TEST(PhoneNormalizer, UnknownRegionThrows) {
  EXPECT_THROW(PhoneNormalizer("XX"), Error);
  EXPECT_THROW(PhoneNormalizer(""), Error);
}

std::vector<std::pair<std::size_t, std::string>> errors_of(const ImportReport& report) {
  std::vector<std::pair<std::size_t, std::string>> errors;
  for (const auto& e : report.errors) errors.emplace_back(e.line, e.reason);
  return errors;
}

TEST(ImportCsv, MappedColumnNamedTwiceInTheHeaderIsRejected) {
  ImportOptions options = pt_options();
  options.mapping.time_zone_column = "tz";
  const struct {
    const char* header;
    const char* message;
  } cases[] = {
      {"id,phone,name,phone",
       "bank.csv:1: bad header: columns 2 and 4 are both named 'phone' (the phone column must "
       "appear once)"},
      {"id,phone,tz,id",
       "bank.csv:1: bad header: columns 1 and 4 are both named 'id' (the id column must appear "
       "once)"},
      {"tz,id,phone,tz",
       "bank.csv:1: bad header: columns 1 and 4 are both named 'tz' (the time zone column must "
       "appear once)"},
  };
  for (const auto& c : cases) {
    try {
      import_text(std::string(c.header) + "\n1,912345678,x,y\n", options, "bank.csv");
      ADD_FAILURE() << "accepted header " << c.header;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConfig);
      EXPECT_EQ(std::string(e.what()), c.message);
    }
  }
  // Unmapped columns may repeat: they are attributes.
  Result r = import_text("id,phone,note,note\n1,912345678,a,b\n");
  ASSERT_EQ(r.contacts.size(), 1u);
  EXPECT_THAT(r.contacts[0].attributes, ElementsAre(Pair("note", "a"), Pair("note", "b")));
}

TEST(ImportCsv, DuplicateIdsAndNumbersRejectTheLaterRowNamingTheFirstLine) {
  ImportOptions options = pt_options();
  options.mapping.phone_columns = {"mobile", "home"};
  Result r = import_text(
      "id,mobile,home\n"
      "a,+351912345601,\n"       // 2
      "b,912345602,\n"           // 3
      "a,912345603,\n"           // 4 duplicate id
      "c,+351 912 345 601,\n"    // 5 duplicate number, written differently
      "d,912345603,\n"           // 6 loads: line 4 was rejected, its number is free
      "c,912345604,\n"           // 7 loads: line 5 was rejected, its id is free
      "e,912345605,912345602\n"  // 8 second number is line 3's
      "f,912345605,\n"           // 9 loads: line 8 claimed nothing
      ",912345606,\n"            // 10 no id: the row index, 9
      "9,912345607,\n",          // 11 duplicate of line 10's fallback id
      options);
  EXPECT_THAT(lines_of(r.contacts), ElementsAre(2, 3, 6, 7, 9, 10));
  EXPECT_EQ(r.contacts[4].external_id, "f");
  EXPECT_EQ(r.contacts[5].external_id, "9");
  EXPECT_THAT(errors_of(r.report),
              ElementsAre(Pair(4, "duplicate id 'a' (first at line 2)"),
                          Pair(5, "duplicate number '+351912345601' (first at line 2)"),
                          Pair(8, "duplicate number '+351912345602' (first at line 3)"),
                          Pair(11, "duplicate id '9' (first at line 10)")));
  EXPECT_EQ(r.report.rows_read, 10u);
  EXPECT_EQ(r.report.rows_loaded, 6u);
  EXPECT_EQ(r.report.rows_rejected, 4u);
}

TEST(ImportCsv, WithoutAnIdColumnOnlyNumbersAreCheckedForDuplicates) {
  Result r = import_text("phone\n912345601\n912345602\n912345601\n");
  EXPECT_THAT(lines_of(r.contacts), ElementsAre(2, 3));
  EXPECT_THAT(errors_of(r.report),
              ElementsAre(Pair(4, "duplicate number '+351912345601' (first at line 2)")));
}

// Duplicates are decided in file order on the calling thread: the same report with worker
// threads as without, also when the first use is in another batch than the duplicate.
TEST(ImportCsv, DuplicatesAreTheSameWithWorkerThreads) {
  std::string text = "id,phone\n";
  for (int i = 0; i < 20000; ++i) {
    const int id = i % 997 == 5 ? i - 5 : i;       // every 997th row repeats an earlier id
    const int number = i % 1009 == 7 ? i - 7 : i;  // every 1009th an earlier number
    text += "c" + std::to_string(id) + "," + std::to_string(910000000 + number) + "\n";
  }
  ImportOptions serial = pt_options();
  serial.threads = 1;
  ImportOptions parallel = pt_options();
  parallel.threads = 4;
  Result a = import_text(text, serial);
  Result b = import_text(text, parallel);
  EXPECT_EQ(a.report.rows_rejected, 21u + 20u);
  EXPECT_EQ(a.report.rows_loaded, 20000u - 41u);
  EXPECT_EQ(lines_of(a.contacts), lines_of(b.contacts));
  EXPECT_EQ(errors_of(a.report), errors_of(b.report));
  ASSERT_GE(a.report.errors.size(), 2u);
  EXPECT_EQ(a.report.errors[0].line, 7u);  // data row 5 repeats row 0's id
  EXPECT_EQ(a.report.errors[0].reason, "duplicate id 'c0' (first at line 2)");
  EXPECT_EQ(a.report.errors[1].line, 9u);  // data row 7 repeats row 0's number
  EXPECT_EQ(a.report.errors[1].reason, "duplicate number '+351910000000' (first at line 2)");
}

TEST(ImportCsv, NulByteInAFieldRejectsTheRow) {
  using namespace std::string_literals;
  Result r = import_text(
      "id,phone,note\n"
      "ab\0cd,912345601,x\n"
      "e,912345602,y\0z\n"
      "f,912345603,ok\n"s);
  EXPECT_THAT(lines_of(r.contacts), ElementsAre(4));
  EXPECT_THAT(errors_of(r.report), ElementsAre(Pair(2, "NUL byte in column 'id'"),
                                               Pair(3, "NUL byte in column 'note'")));
}

TEST(ImportCsv, UnknownTimeZoneRejectsTheRow) {
  ImportOptions options = pt_options();
  options.mapping.time_zone_column = "tz";
  Result r = import_text(
      "id,phone,tz\n"
      "a,912345601,Europe/Lisbon\n"
      "b,912345602,Europe/Lisbn\n"
      "c,912345603,\n"
      "d,912345604,Atlantic/Azores\n"
      "e,912345605,/usr/share/zoneinfo/UTC\n",
      options);
  EXPECT_THAT(lines_of(r.contacts), ElementsAre(2, 4, 5));
  EXPECT_EQ(r.contacts[2].time_zone, "Atlantic/Azores");
  EXPECT_THAT(errors_of(r.report),
              ElementsAre(Pair(3,
                               "unknown time zone 'Europe/Lisbn' in column 'tz' (not in the IANA "
                               "tz database)"),
                          Pair(6,
                               "unknown time zone '/usr/share/zoneinfo/UTC' in column 'tz' (not "
                               "in the IANA tz database)")));
}

// The bank campaign sample: UCI Bank Marketing with synthetic Portuguese numbers
// (examples/data/make_bank_contacts.py).
TEST(ImportCsv, BankMarketingExampleLoadsCompletely) {
  ImportOptions options = pt_options();
  options.default_region = "PT";
  std::size_t loaded = 0;
  std::unordered_set<std::string> numbers;
  bool all_portuguese = true;
  bool has_columns = true;
  const auto start = std::chrono::steady_clock::now();
  ImportReport report = import_contacts_csv_file(
      OMNIVOX_EXAMPLES_DIR "/data/bank-full.csv", options, [&](ImportedContact&& c) {
        ++loaded;
        for (auto& n : c.phone_numbers) {
          if (n.rfind("+351", 0) != 0) all_portuguese = false;
          numbers.insert(std::move(n));
        }
        if (loaded == 1) {
          has_columns = c.external_id == "bank-00001" && c.attributes.size() == 17 &&
                        c.attributes[0].first == "age" && c.attributes[12].first == "campaign" &&
                        c.attributes[16] == std::pair<std::string, std::string>("y", "no");
        }
      });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ bank    ] " << report.rows_loaded << " rows in " << seconds << " s ("
            << static_cast<long>(report.rows_loaded / seconds) << " rows/s)\n";

  EXPECT_EQ(report.rows_read, 45211u);
  EXPECT_EQ(report.rows_loaded, 45211u);
  EXPECT_EQ(report.rows_rejected, 0u) << report.summary();
  EXPECT_EQ(loaded, 45211u);
  EXPECT_EQ(numbers.size(), 45211u);
  EXPECT_TRUE(all_portuguese);
  EXPECT_TRUE(has_columns);
}

}  // namespace
}  // namespace omnivox
