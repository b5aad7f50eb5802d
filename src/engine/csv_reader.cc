#include "engine/csv_reader.h"

#include <istream>

#include "omnivox/types.h"

namespace omnivox::detail {
namespace {

int only_newline_is_term(unsigned char c) { return c == '\n'; }

}  // namespace

std::size_t bytes_left(std::istream& in) {
  const std::istream::pos_type here = in.tellg();
  if (here == std::istream::pos_type(-1)) return 0;
  in.seekg(0, std::ios::end);
  const std::istream::pos_type end = in.tellg();
  if (!in || end == std::istream::pos_type(-1)) in.clear();
  in.seekg(here);
  return end == std::istream::pos_type(-1) || end < here ? 0 : static_cast<std::size_t>(end - here);
}

CsvParser::CsvParser(unsigned char options, char delimiter)
    : options_(options), delimiter_(delimiter) {
  init();
}

CsvParser::~CsvParser() { csv_free(&p_); }

void CsvParser::reset() {
  csv_free(&p_);
  init();
}

void CsvParser::init() {
  if (csv_init(&p_, options_) != 0) throw Error(ErrorCode::kIo, "libcsv: csv_init failed");
  csv_set_delim(&p_, static_cast<unsigned char>(delimiter_));
  csv_set_term_func(&p_, only_newline_is_term);
}

void CsvRecord::on_field(void* bytes, std::size_t len, void* self) {
  auto* record = static_cast<CsvRecord*>(self);
  record->spans.emplace_back(record->data.size(), len);
  if (len > 0) record->data.append(static_cast<const char*>(bytes), len);
}

void CsvRecord::on_row(int /*terminator*/, void* self) {
  static_cast<CsvRecord*>(self)->done = true;
}

std::size_t CsvRecord::parse_line(csv_parser* parser, std::string_view line) {
  std::size_t used = csv_parse(parser, line.data(), line.size(), on_field, on_row, this);
  if (csv_error(parser) == CSV_SUCCESS) used += csv_parse(parser, "\n", 1, on_field, on_row, this);
  return used;
}

bool CsvRecord::finish(csv_parser* parser) {
  return csv_fini(parser, on_field, on_row, this) == 0 && csv_error(parser) != CSV_EPARSE;
}

}  // namespace omnivox::detail
