// Contact import from CSV, with phone numbers normalised to E.164 by libphonenumber.
//
// Format: RFC 4180 (quoted fields, doubled quotes, CRLF or LF), with a header row; the delimiter
// is ',' or ';' (auto-detected from the header unless set). Parsing is done by libcsv.
// A bad row — unbalanced quote, wrong field count, missing or invalid number, bad UTF-8, a NUL
// byte, an unknown time zone, an external id or a number already used by an earlier contact of
// the same import — is reported with its line number (1-based, physical line of the file where
// the row starts) and the reason, then skipped; the rest of the file still loads. A quote left open
// swallows at most ImportOptions::max_lines_per_record lines: the row is reported as an unbalanced
// quote and the lines after its start line are parsed again, so the good rows among them still
// load. Details: a UTF-8 BOM before the header is skipped; spaces and tabs around unquoted fields
// are trimmed (libcsv's default); a line break inside a quoted field is stored as "\n" (also for
// CRLF files); blank lines are ignored.
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
/// PhoneNumberUtil is a thread-safe singleton; the fast path's compiled metadata is immutable and
/// shared, its regex matchers are per thread).
///
/// Fast path: a number written with digits and only spaces, dashes, dots and parentheses between
/// them skips libphonenumber's Parse (ICU regexes for extraction, extensions, country code) and
/// IsValidNumber (whose regexes go through a cache shared by all threads, behind a lock):
/// - "+" then the number ("+351912345678", "+44 20 7946 0958", "+1 (415) 555-0123"): the country
///   calling code is the shortest leading 1-3 digits libphonenumber knows as one (codes are
///   prefix-free, as Parse does it), the rest is the national number;
/// - the default region's international prefix when it is plain digits ("00" in GB, "011" in
///   the US) then the number: read as after a "+" (Parse's ParsePrefixAsIdd); in a region whose
///   international prefix is a pattern (AU, FI, ...) numbers without "+" all go through Parse;
/// - a national number of the default region ("020 7946 0958" in GB), unless it starts with the
///   region's calling code (Parse may then take the code off).
/// The national prefix for parsing (GB's "0", MX's "1" after "+52", ...; metadata patterns
/// without a transform rule) comes off as Parse strips it (MaybeStripNationalPrefixAndCarrierCode:
/// unless the number matched the general pattern and the rest does not; then kept only if the
/// rest has a possible length). Leading zeros of the national significant number are kept, as
/// Parse keeps them (Italian leading zero: "+39 06 1234 5678"). Validity is libphonenumber's
/// IsValidNumber rule (the region of the number among the regions of its calling code, by leading
/// digits or number type; then a number type of that region's metadata), run on the same
/// metadata and patterns with ICU regex matchers owned by each thread; the rejection reason of an
/// invalid number is IsPossibleNumberWithReason's on the same number, as after Parse. Everything
/// else goes through Parse: other characters, unknown calling codes, lengths out of bounds,
/// national prefix rules with a transform rule, stripped lengths that are neither possible nor
/// local-only. The results and rejection reasons are the same as through Parse alone:
/// tests/import_fast_path_test.cc compares both on every row of the bank file, on 1,000,000
/// generated rows of 14 countries, on tricky numbers and on libphonenumber's example numbers of
/// every region in each form (and broken), with several default regions.
class PhoneNormalizer {
 public:
  /// `default_region`: ISO 3166-1 alpha-2 region used for numbers written without "+"
  /// (e.g. "PT", "US"). Throws Error(kConfig) if libphonenumber does not know the region.
  /// `fast_path`: false sends every number through Parse (the reference path; for tests).
  explicit PhoneNormalizer(std::string default_region, bool fast_path = true);
  /// The E.164 form ("+351912345678") of `raw`, or nullopt with `*reason` set
  /// ("not a number", "invalid number for region PT", ...) when it is not a valid number.
  std::optional<std::string> to_e164(std::string_view raw, std::string* reason = nullptr) const;
  const std::string& default_region() const { return default_region_; }
  bool fast_path() const { return fast_path_; }

 private:
  std::string default_region_;
  bool fast_path_ = true;
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
  /// Which columns hold the numbers, the id, the priority and the time zone. Default: see
  /// ColumnMapping.
  ColumnMapping mapping;
  /// Stop keeping error details after this many (rows are still counted). Default: 1000.
  std::size_t max_errors_kept = 1000;
  /// A quoted field still open after this many physical lines is an unbalanced quote. Default: 20.
  std::size_t max_lines_per_record = 20;
  /// Threads checking and normalising rows (the phone numbers are most of an import's time).
  /// 1: everything on the calling thread. N > 1: the calling thread parses the CSV and hands
  /// batches of rows to N - 1 worker threads, helping them when they fall behind. Whatever the
  /// count, the result is the same: the sink is called on the calling thread in file order with
  /// the same contacts, and the report (counts, errors with their lines, their order) is the
  /// same. Default 0: automatic, std::thread::hardware_concurrency() threads (at most 8), the
  /// workers started only once the file has more than 4,096 data rows (small imports stay on the
  /// calling thread).
  std::size_t threads = 0;
  /// Use PhoneNormalizer's fast path ("+...", "00...", national numbers of the default region);
  /// same results, less time, and threads that do not contend. Default: true. false: every number
  /// through libphonenumber's Parse (the reference path; for tests and diagnosis).
  bool phone_fast_path = true;
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
  std::size_t line = 0;  ///< physical line where the row starts (1-based); 0: the whole file
  std::string reason;    ///< why it was rejected, human-readable
};

/// What an import did.
struct ImportReport {
  std::size_t rows_read = 0;      ///< data rows seen (not counting the header)
  std::size_t rows_loaded = 0;    ///< rows handed to the sink
  std::size_t rows_rejected = 0;  ///< rows skipped with an error
  /// Of rows_loaded, those whose contact (campaign, list, external id) was stored already (an
  /// import run again, or completing one a dead process left unfinished); set by
  /// Engine::import_contacts, 0 for the parser alone.
  std::size_t rows_already_stored = 0;
  std::vector<ImportError> errors;  ///< at most ImportOptions::max_errors_kept entries
  std::string source_name;          ///< the import's source_name (prefixes summary() lines)
  /// "loaded N of M rows, rejected K" plus the first errors, one per line, prefixed by the
  /// source name ("bank.csv:7: reason"; "line 7: reason" if source_name is empty).
  std::string summary(std::size_t max_errors = 10) const;
};

/// Reads contacts from `in`, handing each good row to `sink` in file order, on the calling thread
/// (also when ImportOptions::threads uses worker threads). An exception from the sink stops the
/// import (the workers are stopped and joined) and propagates.
/// Throws Error(kConfig) only for problems that stop the whole import: no header, a mapped
/// column missing from the header or named twice in it, an unknown default region.
/// `source_name` prefixes messages.
/// Duplicates are checked in file order against the contacts loaded before: a row whose external
/// id (when the file has the id column) or one of whose numbers belongs to an earlier contact is
/// rejected, "duplicate id 'X' (first at line N)" or
/// "duplicate number '+...' (first at line N)". A row's own repeated numbers are kept once.
ImportReport import_contacts_csv(std::istream& in, const ImportOptions& options,
                                 const std::function<void(ImportedContact&&)>& sink,
                                 const std::string& source_name = "<input>");
/// Opens `path` and imports it; throws Error(kIo) naming the path if it cannot be opened.
ImportReport import_contacts_csv_file(const std::string& path, const ImportOptions& options,
                                      const std::function<void(ImportedContact&&)>& sink);

}  // namespace omnivox

#endif  // OMNIVOX_IMPORT_H_
