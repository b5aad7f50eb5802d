// Contact import from CSV, with phone numbers normalised to E.164 by libphonenumber.
//
// Format: RFC 4180 (quoted fields, doubled quotes, CRLF or LF), with a header row; the delimiter
// is ',' or ';' (auto-detected from the header unless set). Parsing is done by libcsv.
// A bad row — unbalanced quote, wrong field count, missing or invalid number, bad UTF-8 — is
// reported with its line number (1-based, physical line of the file where the row starts) and
// the reason, then skipped; the rest of the file still loads. A quote left open swallows at most
// ImportOptions::max_lines_per_record lines: the row is reported as an unbalanced quote and the
// lines after its start line are parsed again, so the good rows among them still load.
// Details: a UTF-8 BOM before the header is skipped; spaces and tabs around unquoted fields are
// trimmed (libcsv's default); a line break inside a quoted field is stored as "\n" (also for CRLF
// files); blank lines are ignored.
#ifndef OMNIVOX_IMPORT_H_
#define OMNIVOX_IMPORT_H_

#include <cstddef>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "omnivox/types.h"

namespace omnivox {

/// Normalises phone numbers to E.164 with libphonenumber. Thread-safe (libphonenumber's
/// PhoneNumberUtil is a thread-safe singleton).
class PhoneNormalizer {
 public:
  /// `default_region`: ISO 3166-1 alpha-2 region used for numbers written without "+"
  /// (e.g. "PT", "US"). Throws Error(kConfig) if libphonenumber does not know the region.
  explicit PhoneNormalizer(std::string default_region);
  /// The E.164 form ("+351912345678") of `raw`, or nullopt with `*reason` set
  /// ("not a number", "invalid number for region PT", ...) when it is not a valid number.
  std::optional<std::string> to_e164(std::string_view raw, std::string* reason = nullptr) const;
  const std::string& default_region() const { return default_region_; }

 private:
  std::string default_region_;
};

/// Which CSV columns hold what (by header name, case-sensitive).
struct ColumnMapping {
  /// Columns holding phone numbers, in dialing order. Default: {"phone"}. Empty cells are skipped;
  /// a row with no valid number is rejected.
  std::vector<std::string> phone_columns{"phone"};
  /// Column with the host's id of the contact. Default: "id"; if absent from the header, the
  /// row's 1-based data-row index is used.
  std::string external_id_column = "id";
  /// Optional column with an integer priority (higher first). Default: none (priority 0).
  std::string priority_column;
  /// Optional column with an IANA time zone overriding the prefix map. Default: none.
  std::string time_zone_column;
  /// Keep the other columns as contact attributes. Default: true.
  bool keep_attributes = true;
};

/// How to import.
struct ImportOptions {
  /// ',' or ';'. Default 0: detect from the header line (the more frequent of the two).
  char delimiter = 0;
  /// Region for numbers without a country code. Default: "US".
  std::string default_region = "US";
  ColumnMapping mapping;
  /// Stop keeping error details after this many (rows are still counted). Default: 1000.
  std::size_t max_errors_kept = 1000;
  /// A quoted field still open after this many physical lines is an unbalanced quote. Default: 20.
  std::size_t max_lines_per_record = 20;
};

/// One contact as read from a row.
struct ImportedContact {
  std::size_t line = 0;                    ///< physical line where the row starts (1-based)
  std::string external_id;                 ///< from the id column, or the data-row index
  std::vector<std::string> phone_numbers;  ///< E.164, in dialing order, at least one
  int priority = 0;
  std::string time_zone;  ///< IANA zone from the mapping's column, or empty
  std::vector<std::pair<std::string, std::string>> attributes;  ///< (column, value)
};

/// One rejected row (or a problem with the file itself, line 0 for the whole file).
struct ImportError {
  std::size_t line = 0;
  std::string reason;
};

/// What an import did.
struct ImportReport {
  std::size_t rows_read = 0;        ///< data rows seen (not counting the header)
  std::size_t rows_loaded = 0;      ///< rows handed to the sink
  std::size_t rows_rejected = 0;    ///< rows skipped with an error
  std::vector<ImportError> errors;  ///< at most ImportOptions::max_errors_kept entries
  std::string source_name;          ///< the import's source_name (prefixes summary() lines)
  /// "loaded N of M rows, rejected K" plus the first errors, one per line, prefixed by the
  /// source name ("bank.csv:7: reason"; "line 7: reason" if source_name is empty).
  std::string summary(std::size_t max_errors = 10) const;
};

/// Reads contacts from `in`, handing each good row to `sink` in file order.
/// Throws Error(kConfig) only for problems that stop the whole import: no header, a mapped
/// column missing from the header, an unknown default region. `source_name` prefixes messages.
ImportReport import_contacts_csv(std::istream& in, const ImportOptions& options,
                                 const std::function<void(ImportedContact&&)>& sink,
                                 const std::string& source_name = "<input>");
/// Opens `path` and imports it; throws Error(kIo) naming the path if it cannot be opened.
ImportReport import_contacts_csv_file(const std::string& path, const ImportOptions& options,
                                      const std::function<void(ImportedContact&&)>& sink);

}  // namespace omnivox

#endif  // OMNIVOX_IMPORT_H_
