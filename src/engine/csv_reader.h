// Reading a CSV file as the importer does: physical lines read in large chunks, and libcsv
// parsers that end a record only at '\n'. Internal to libomnivox.
#ifndef OMNIVOX_ENGINE_CSV_READER_H_
#define OMNIVOX_ENGINE_CSV_READER_H_

#include <csv.h>

#include <cstddef>
#include <cstring>
#include <istream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnivox::detail {

// The bytes left in `in` after its position; 0 when it cannot tell (a pipe).
std::size_t bytes_left(std::istream& in);

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

// Owns a libcsv parser whose only record terminator is '\n' (a lone '\r' inside a line is data).
class CsvParser {
 public:
  CsvParser(unsigned char options, char delimiter);
  ~CsvParser();
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;

  csv_parser* get() { return &p_; }
  // Back to the start-of-row state, dropping any partial row (csv_fini would submit it).
  void reset();

 private:
  void init();

  csv_parser p_;
  unsigned char options_;
  char delimiter_;
};

// One record's fields as libcsv hands them over: their bytes end to end, and each field's span.
// A record may take several physical lines (a quoted field holding a line break).
struct CsvRecord {
  std::string data;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // (offset in data, length)
  bool done = false;                                       // libcsv ended the record

  void clear() {
    data.clear();
    spans.clear();
    done = false;
  }
  std::size_t size() const { return spans.size(); }
  std::string_view field(std::size_t i) const {
    return std::string_view(data).substr(spans[i].first, spans[i].second);
  }
  // Feeds one physical line and its '\n' to `parser`. Returns the bytes of the line libcsv took
  // (where it stopped on a parse error); csv_error(parser) tells the outcome.
  std::size_t parse_line(csv_parser* parser, std::string_view line);
  // End of input: submits a record left open (csv_fini). False when libcsv reports an error.
  bool finish(csv_parser* parser);

  static void on_field(void* bytes, std::size_t len, void* self);
  static void on_row(int terminator, void* self);
};

}  // namespace omnivox::detail

#endif  // OMNIVOX_ENGINE_CSV_READER_H_
