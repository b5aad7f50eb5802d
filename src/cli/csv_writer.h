// CSV output for the command-line tool's files (calls.csv, runs.csv): every field is written
// through csv_field(), so a value holding a comma, a quote or a line break never breaks a record.
#ifndef OMNIVOX_CLI_CSV_WRITER_H_
#define OMNIVOX_CLI_CSV_WRITER_H_

#include <charconv>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

namespace omnivox::cli {

/// Appends `value` to `record` as one RFC 4180 field: in double quotes, with each quote doubled,
/// when it holds a comma, a double quote, a CR or an LF; as is otherwise. NUL bytes are dropped
/// (a NUL in a text file truncates it for many readers); every other byte is kept.
inline void append_csv_field(std::string& record, std::string_view value) {
  // One pass over the bytes: find_first_of searches its four characters once per byte.
  bool quoted = false;
  bool has_nul = false;
  for (const char c : value) {
    quoted |= c == ',' || c == '"' || c == '\r' || c == '\n';
    has_nul |= c == '\0';
  }
  if (!quoted && !has_nul) {
    record.append(value);
    return;
  }
  if (quoted) record += '"';
  for (char c : value) {
    if (c == '\0') continue;
    if (c == '"') record += '"';
    record += c;
  }
  if (quoted) record += '"';
}

/// `value` as one RFC 4180 field (see append_csv_field).
inline std::string csv_field(std::string_view value) {
  std::string field;
  append_csv_field(field, value);
  return field;
}

/// Writes CSV records to a stream, each value through append_csv_field. Text values are written
/// as they are; integers in decimal; floating-point values as the stream would print them (its
/// precision and flags). Records end in "\n". Not thread-safe; the stream must outlive it.
class CsvWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}

  /// Writes one record of `values` (strings, string views, integers or floating point).
  template <typename... Values>
  void row(const Values&... values) {
    record_.clear();
    bool first = true;
    ((append(value_text(values), first)), ...);
    record_ += '\n';
    out_ << record_;
  }

 private:
  void append(std::string_view text, bool& first) {
    if (!first) record_ += ',';
    first = false;
    append_csv_field(record_, text);
  }
  template <typename T>
  std::string_view value_text(const T& value) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      return std::string_view(value);
    } else if constexpr (std::is_integral_v<T>) {
      const char* end = std::to_chars(number_, number_ + sizeof number_, value).ptr;
      return std::string_view(number_, static_cast<std::size_t>(end - number_));
    } else {
      std::ostringstream text;
      text.copyfmt(out_);
      text << value;
      formatted_ = text.str();
      return formatted_;
    }
  }

  std::ostream& out_;
  std::string record_;
  char number_[24];
  std::string formatted_;
};

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_CSV_WRITER_H_
