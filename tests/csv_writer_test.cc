// The command-line tool's CSV fields and records (src/cli/csv_writer.h): RFC 4180 quoting, and
// no NUL byte ever written.
#include "cli/csv_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>

namespace omnivox::cli {
namespace {

TEST(CsvField, PlainValuesAreWrittenAsTheyAre) {
  EXPECT_EQ(csv_field("+15550100000"), "+15550100000");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("tab\there"), "tab\there");
}

TEST(CsvField, CommasQuotesAndLineBreaksAreQuoted) {
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_field("+1555,INJECTED\n9,9,9"), "\"+1555,INJECTED\n9,9,9\"");
}

TEST(CsvField, NulBytesAreDropped) {
  EXPECT_EQ(csv_field(std::string("ab\0c", 4)), "abc");
  EXPECT_EQ(csv_field(std::string("a,\0\"", 4)), "\"a,\"\"\"");
  EXPECT_EQ(csv_field(std::string("\0", 1)), "");
}

TEST(CsvWriter, WritesOneRecordPerRowWithEveryFieldQuotedAsNeeded) {
  std::ostringstream out;
  CsvWriter csv(out);
  csv.row("id", "name", "count", "share");
  const std::string name = "Bo, Jr.";
  csv.row(std::string("x\ny"), name, std::uint64_t{18446744073709551615u}, 0.25);
  csv.row(std::string_view("q\""), "", -3, 1.5e-7);
  EXPECT_EQ(out.str(),
            "id,name,count,share\n"
            "\"x\ny\",\"Bo, Jr.\",18446744073709551615,0.25\n"
            "\"q\"\"\",,-3,1.5e-07\n");
}

TEST(CsvWriter, FloatingPointValuesFollowTheStreamsFormat) {
  std::ostringstream out;
  out.precision(3);
  CsvWriter csv(out);
  csv.row(3.14159, 2.0);
  EXPECT_EQ(out.str(), "3.14,2\n");
}

}  // namespace
}  // namespace omnivox::cli
