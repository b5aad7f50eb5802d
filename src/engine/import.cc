// Contact import from CSV (libcsv) with E.164 normalisation (libphonenumber).
//
// The file is read in large chunks and split into physical lines; each line (without its "\n" or
// "\r\n") is fed to libcsv followed by a single "\n", so libcsv sees exactly one terminator per
// feed and we always know which physical line a row started on. libcsv's terminator function is
// set to accept only '\n' (a lone '\r' inside a line is data). A record that spans several lines
// (a quoted field with an embedded newline) keeps copies of its continuation lines, so that when
// it turns out to be an unbalanced quote we can report it at its start line and re-parse from
// the line after it: good rows swallowed by the runaway quote still load.
#include "omnivox/import.h"

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>
#include <csv.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <thread>

#include "core/input_checks.h"
#include "engine/csv_reader.h"
#include "engine/phone_fast_path.h"

namespace omnivox {
namespace {

using detail::bytes_left;
using detail::CsvParser;
using detail::CsvRecord;
using detail::LineReader;
using detail::normalize_phone;
using detail::PhoneScratch;
using detail::trim;

// A value quoted in an error message: at most 40 bytes (not splitting a UTF-8 sequence).
std::string quoted_value(std::string_view v) {
  constexpr std::size_t kMax = 40;
  if (v.size() <= kMax) return std::string(v);
  std::size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return std::string(v.substr(0, n)) + "...";
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  static const char* hex = "0123456789ABCDEF";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 0xF];
}

// detail::known_time_zone with the thread's last good zone remembered (rows share zones).
bool known_time_zone(const std::string& zone, PhoneScratch& s) {
  if (zone == s.known_zone) return true;
  if (!detail::known_time_zone(zone)) return false;
  s.known_zone = zone;
  return true;
}

// Allocates blocks of 2 MiB and more on transparent huge pages where the kernel offers them
// (madvise): the import's duplicate indexes are tables of tens of megabytes probed at random,
// one probe per key, and with 4 KiB pages nearly every probe also missed the TLB.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return static_cast<T*>(::operator new(bytes));
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without huge pages the table still works
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < kHugePage) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
};

enum class Role : unsigned char { kAttribute, kPhone, kId, kPriority, kTimeZone };

class CsvImporter {
 public:
  CsvImporter(std::istream& in, const ImportOptions& options,
              const std::function<void(ImportedContact&&)>& sink, const std::string& source)
      : reader_(in), options_(options), sink_(sink), source_(source), input_bytes_(bytes_left(in)) {
    report_.source_name = source;
    max_lines_ = std::max<std::size_t>(1, options.max_lines_per_record);
    fast_path_ = options.phone_fast_path;
    if (options.threads == 0) {
      threads_ = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, kMaxThreads);
      start_workers_after_rows_ = kAutoParallelRows;
    } else {
      threads_ = std::min<std::size_t>(options.threads, 64);
    }
  }
  ~CsvImporter() { stop_workers(); }
  CsvImporter(const CsvImporter&) = delete;
  CsvImporter& operator=(const CsvImporter&) = delete;

  ImportReport run() {
    try {
      normalizer_.emplace(options_.default_region);
    } catch (const Error& e) {
      throw Error(ErrorCode::kConfig, source_ + ": " + e.what());
    }
    region_ = normalizer_->default_region();
    char delim = options_.delimiter;
    if (delim == '"' || delim == '\n' || delim == '\r') {
      throw Error(ErrorCode::kConfig, source_ + ": invalid delimiter " + describe_char(delim));
    }

    Line line;
    // The header: the first non-blank line (after an optional UTF-8 BOM) decides the delimiter.
    for (;;) {
      if (!fetch(&line)) throw Error(ErrorCode::kConfig, source_ + ": no header row");
      if (line.no == 1 && line.text.substr(0, 3) == "\xEF\xBB\xBF") line.text.remove_prefix(3);
      if (!trim(line.text).empty()) break;
    }
    if (delim == 0) {
      const auto commas = std::count(line.text.begin(), line.text.end(), ',');
      const auto semis = std::count(line.text.begin(), line.text.end(), ';');
      delim = semis > commas ? ';' : ',';
    }
    parser_.emplace(static_cast<unsigned char>(CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL),
                    delim);

    feed(line);
    for (;;) {
      while (fetch(&line)) feed(line);
      if (!in_record_) break;
      finish_at_eof();  // may rewind, leaving lines to replay
    }
    submit_batch();
    drain(true);
    stop_workers();
    if (!header_done_) throw Error(ErrorCode::kConfig, source_ + ": no header row");
    if (reader_.bad()) throw Error(ErrorCode::kIo, source_ + ": read error");
    return std::move(report_);
  }

 private:
  struct Line {
    std::size_t no = 0;
    std::string_view text;
  };
  struct SavedLine {
    std::size_t no = 0;
    std::string text;
  };

  // The next line: a replayed one (after an unbalanced quote), else the next one of the input.
  bool fetch(Line* line) {
    if (!replay_.empty()) {
      replayed_ = std::move(replay_.front());
      replay_.pop_front();
      line->no = replayed_.no;
      line->text = replayed_.text;
      return true;
    }
    if (!reader_.next(&line->text)) return false;
    line->no = ++physical_line_;
    return true;
  }

  std::string_view field(std::size_t i) const { return record_.field(i); }

  std::string column_name(std::size_t i) const {
    if (i < header_.size()) return "'" + header_[i] + "'";
    return std::to_string(i + 1);
  }

  void feed(const Line& line) {
    if (!in_record_) {
      in_record_ = true;
      record_start_ = line.no;
      record_lines_ = 0;
      saved_.clear();
      record_.clear();
    } else {
      saved_.push_back(SavedLine{line.no, std::string(line.text)});
    }
    ++record_lines_;
    csv_parser* p = parser_->get();
    const std::size_t used = record_.parse_line(p, line.text);
    if (csv_error(p) == CSV_EPARSE) {
      parse_error(line, used);
      return;
    }
    if (csv_error(p) != CSV_SUCCESS) {
      throw Error(ErrorCode::kIo, source_ + ":" + std::to_string(record_start_) +
                                      ": libcsv: " + csv_strerror(csv_error(p)));
    }
    if (record_.done) {
      in_record_ = false;
      finish_row();
      return;
    }
    // Still inside a quoted field.
    if (record_lines_ == 1) open_column_ = record_.size();
    if (record_lines_ >= max_lines_) {
      unbalanced_quote("still open after " + std::to_string(record_lines_) + " lines");
    }
  }

  // libcsv (strict) stopped at byte `pos` of `line`.
  void parse_error(const Line& line, std::size_t pos) {
    const bool was_quoted = parser_->get()->quoted != 0;
    const std::size_t column = record_.size();
    if (line.no != record_start_ && column == open_column_) {
      // The field that was open at the end of the start line "closed" on a later line and is
      // followed by garbage: the opening quote had no partner.
      unbalanced_quote("closed on line " + std::to_string(line.no) + " by a quote followed by " +
                       describe_char(pos < line.text.size() ? line.text[pos] : '\n'));
      return;
    }
    const char c = pos < line.text.size() ? line.text[pos] : '\n';
    std::string reason;
    if (!was_quoted) {
      reason = "quote inside unquoted field";
    } else if (c == '"') {
      reason = "unexpected quote after closing quote";
    } else {
      reason = "unexpected " + describe_char(c) + " after closing quote";
    }
    reason += " in column " + column_name(column);
    if (line.no != record_start_) reason += " (on line " + std::to_string(line.no) + ")";
    if (!header_done_) header_error(reason);
    ++report_.rows_read;
    reject(record_start_, std::move(reason));
    rewind();
  }

  void unbalanced_quote(const std::string& detail) {
    std::string reason =
        "unbalanced quote in column " + column_name(open_column_) + " (" + detail + ")";
    if (!header_done_) header_error(reason);
    ++report_.rows_read;
    reject(record_start_, std::move(reason));
    rewind();
  }

  [[noreturn]] void header_error(const std::string& reason) {
    throw Error(ErrorCode::kConfig,
                source_ + ":" + std::to_string(record_start_) + ": bad header: " + reason);
  }

  // Drops the current record and resumes parsing at the line after its start line.
  void rewind() {
    parser_->reset();
    in_record_ = false;
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) replay_.push_front(std::move(*it));
    saved_.clear();
  }

  // End of input inside a record: since every line is fed with its "\n", that record has a
  // quoted field still open.
  void finish_at_eof() {
    if (!record_.finish(parser_->get())) {
      unbalanced_quote("still open at end of input");
    } else {
      in_record_ = false;
      if (record_.done) finish_row();
    }
  }

  void set_header() {
    header_.clear();
    for (std::size_t i = 0; i < record_.size(); ++i) header_.emplace_back(field(i));
    header_done_ = true;
    roles_.assign(header_.size(), Role::kAttribute);
    // A mapped column whose name appears twice would be read from whichever comes first.
    auto check_unique = [&](std::vector<std::string>::const_iterator it, const char* what) {
      const auto again = std::find(it + 1, header_.cend(), *it);
      if (again == header_.cend()) return;
      header_error("columns " + std::to_string(it - header_.cbegin() + 1) + " and " +
                   std::to_string(again - header_.cbegin() + 1) + " are both named '" + *it +
                   "' (the " + what + " column must appear once)");
    };
    auto find = [&](const std::string& name, const char* what) -> std::size_t {
      auto it = std::find(header_.cbegin(), header_.cend(), name);
      if (it == header_.cend()) {
        std::string cols;
        for (const auto& h : header_) cols += (cols.empty() ? "'" : ", '") + h + "'";
        throw Error(ErrorCode::kConfig, source_ + ":" + std::to_string(record_start_) + ": " +
                                            what + " column '" + name +
                                            "' not found in header (columns: " + cols + ")");
      }
      check_unique(it, what);
      return static_cast<std::size_t>(it - header_.cbegin());
    };
    const ColumnMapping& m = options_.mapping;
    if (m.phone_columns.empty()) {
      throw Error(ErrorCode::kConfig, source_ + ": the column mapping names no phone column");
    }
    phone_cols_.clear();
    for (const auto& name : m.phone_columns) {
      const std::size_t i = find(name, "phone");
      if (std::find(phone_cols_.begin(), phone_cols_.end(), i) == phone_cols_.end()) {
        phone_cols_.push_back(i);
      }
      roles_[i] = Role::kPhone;
    }
    id_col_ = priority_col_ = tz_col_ = kNone;
    if (!m.external_id_column.empty()) {
      auto it = std::find(header_.cbegin(), header_.cend(), m.external_id_column);
      if (it != header_.cend()) {
        check_unique(it, "id");
        id_col_ = static_cast<std::size_t>(it - header_.cbegin());
      }
    }
    if (!m.priority_column.empty()) priority_col_ = find(m.priority_column, "priority");
    if (!m.time_zone_column.empty()) tz_col_ = find(m.time_zone_column, "time zone");
    auto assign = [&](std::size_t i, Role r) {
      if (i != kNone && roles_[i] == Role::kAttribute) roles_[i] = r;
    };
    assign(id_col_, Role::kId);
    assign(priority_col_, Role::kPriority);
    assign(tz_col_, Role::kTimeZone);
    attribute_count_ =
        static_cast<std::size_t>(std::count(roles_.begin(), roles_.end(), Role::kAttribute));
  }

  void finish_row() {
    const std::size_t n = record_.size();
    if (n == 0) return;  // blank line
    if (!header_done_) {
      set_header();
      return;
    }
    ++report_.rows_read;
    if (n != header_.size()) {
      std::string reason =
          "expected " + std::to_string(header_.size()) + " fields, got " + std::to_string(n);
      if (record_lines_ > 1) {
        // A quote that opened a field on the start line swallowed the following lines; re-parse
        // them on their own.
        reason += " (row spans lines " + std::to_string(record_start_) + "-" +
                  std::to_string(record_start_ + record_lines_ - 1) +
                  ": unbalanced quote in column " + column_name(open_column_) + "?)";
        reject(record_start_, std::move(reason));
        rewind();
        return;
      }
      reject(record_start_, std::move(reason));
      return;
    }
    // The row's checks and phone numbers are done by process_row, here or on a worker thread.
    Batch& b = current_batch();
    RowItem& item = b.items.emplace_back();
    item.line = record_start_;
    item.row_index = report_.rows_read;
    item.first_field = b.spans.size();
    item.field_count = n;
    item.pending = true;
    const std::size_t base = b.data.size();
    b.data.append(record_.data);
    for (const auto& [offset, length] : record_.spans) b.spans.emplace_back(base + offset, length);
    if (b.items.size() >= kBatchRows) submit_batch();
  }

  // ---- Rows in batches: checked and normalised by process_row, emitted in file order ----

  // A data row with the right field count, to be checked and normalised; or a row already
  // rejected while parsing (pending == false, reason set).
  struct RowItem {
    std::size_t line = 0;
    std::size_t row_index = 0;    // 1-based data-row index (the external id fallback)
    std::size_t first_field = 0;  // into Batch::spans
    std::size_t field_count = 0;
    bool pending = false;
    bool loaded = false;
    std::string reason;
    ImportedContact contact;
  };
  struct Batch {
    std::string data;                                        // the rows' fields, concatenated
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // (offset, length) into data
    std::vector<RowItem> items;
    bool done = false;  // processed (guarded by mu_ while workers run)
    std::exception_ptr error;

    std::string_view field(const RowItem& item, std::size_t i) const {
      const auto& [offset, length] = spans[item.first_field + i];
      return std::string_view(data).substr(offset, length);
    }
    void clear() {
      data.clear();
      spans.clear();
      items.clear();
      done = false;
      error = nullptr;
    }
  };

  static constexpr std::size_t kBatchRows = 256;
  static constexpr std::size_t kAutoParallelRows = 4096;
  static constexpr std::size_t kMaxThreads = 8;

  Batch& current_batch() {
    if (!current_) {
      if (!free_.empty()) {
        current_ = std::move(free_.back());
        free_.pop_back();
      } else {
        current_ = std::make_unique<Batch>();
      }
    }
    return *current_;
  }

  void recycle(std::unique_ptr<Batch> b) {
    b->clear();
    free_.push_back(std::move(b));
  }

  // A row rejected while parsing: queued behind the rows before it, so errors stay in order.
  void reject(std::size_t line, std::string reason) {
    Batch& b = current_batch();
    RowItem& item = b.items.emplace_back();
    item.line = line;
    item.reason = std::move(reason);
    if (b.items.size() >= kBatchRows) submit_batch();
  }

  void record_rejection(std::size_t line, std::string reason) {
    ++report_.rows_rejected;
    if (report_.errors.size() < options_.max_errors_kept) {
      report_.errors.push_back(ImportError{line, std::move(reason)});
    }
  }

  void submit_batch() {
    if (!current_ || current_->items.empty()) return;
    if (workers_.empty() && threads_ > 1 && report_.rows_read > start_workers_after_rows_) {
      start_workers();
    }
    if (workers_.empty()) {
      process_batch(*current_, main_scratch_);
      emit(*current_);
      recycle(std::move(current_));
      return;
    }
    Batch* b = current_.get();
    in_flight_.push_back(std::move(current_));
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.push_back(b);
    }
    work_cv_.notify_one();
    drain(false);
  }

  // Emits the finished batches at the head of the queue; blocks (helping with pending batches)
  // while more than a window of batches are in flight, or until all are done if `all`.
  void drain(bool all) {
    const std::size_t window = 4 * threads_;
    while (!in_flight_.empty()) {
      Batch& front = *in_flight_.front();
      bool done;
      {
        std::lock_guard<std::mutex> lock(mu_);
        done = front.done;
      }
      if (done) {
        emit(front);
        recycle(std::move(in_flight_.front()));
        in_flight_.pop_front();
        continue;
      }
      if (!all && in_flight_.size() <= window) return;
      Batch* help = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (!pending_.empty()) {
          help = pending_.front();
          pending_.pop_front();
        } else {
          done_cv_.wait(lock, [&] { return front.done; });
          continue;
        }
      }
      process_batch(*help, main_scratch_);
      {
        std::lock_guard<std::mutex> lock(mu_);
        help->done = true;
      }
    }
  }

  void start_workers() {
    const std::size_t count = threads_ - 1;
    workers_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) workers_.emplace_back([this] { work(); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void work() {
    PhoneScratch scratch;
    for (;;) {
      Batch* b;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
        if (stop_) return;
        b = pending_.front();
        pending_.pop_front();
      }
      process_batch(*b, scratch);
      {
        std::lock_guard<std::mutex> lock(mu_);
        b->done = true;
      }
      done_cv_.notify_all();
    }
  }

  // Runs on any thread: reads only the header state (fixed once the header is read).
  void process_batch(Batch& b, PhoneScratch& scratch) const {
    try {
      for (RowItem& item : b.items) {
        if (item.pending) process_row(b, item, scratch);
      }
    } catch (...) {
      b.error = std::current_exception();
    }
  }

  // On the calling thread, in file order.
  void emit(Batch& b) {
    if (b.error) std::rethrow_exception(b.error);
    reserve_first_lines();
    // The indexes' memory is read a few rows ahead, so each row's probes find it in cache.
    constexpr std::size_t kPrefetchRows = 4;
    for (std::size_t k = 0; k < kPrefetchRows && k < b.items.size(); ++k) prefetch(b.items[k]);
    for (std::size_t k = 0; k < b.items.size(); ++k) {
      if (k + kPrefetchRows < b.items.size()) prefetch(b.items[k + kPrefetchRows]);
      RowItem& item = b.items[k];
      if (item.loaded && first_use(item)) {
        ++report_.rows_loaded;
        sink_(std::move(item.contact));
      } else {
        record_rejection(item.line, std::move(item.reason));
      }
    }
  }

  // ---- Duplicates: an external id or a number of an earlier contact of this import ----
  // Storage keys a contact by its external id, and one number in two contacts is dialled twice.

  // key -> line of first use
  using FirstLines =
      absl::flat_hash_map<std::string, std::size_t, absl::Hash<std::string>, std::equal_to<>,
                          HugePageAllocator<std::pair<const std::string, std::size_t>>>;

  // Sizes the indexes once for the whole file, from the rows per byte parsed so far, so a large
  // import does not rehash them as they grow.
  void reserve_first_lines() {
    if (reserved_ || input_bytes_ == 0 || reader_.consumed() == 0) return;
    reserved_ = true;
    const double rows = static_cast<double>(report_.rows_read) * static_cast<double>(input_bytes_) /
                        static_cast<double>(reader_.consumed());
    const auto expected = static_cast<std::size_t>(std::min(rows * 1.05, 1e8));
    first_line_by_number_.reserve(expected);
    if (id_col_ != kNone) first_line_by_id_.reserve(expected);
  }

  // Records `key` as first used on `line`; false, with `*reason` naming the earlier line, if an
  // earlier contact used it.
  static bool first_seen(FirstLines& lines, const std::string& key, std::size_t line,
                         const char* what, std::string* reason) {
    const auto [it, fresh] = lines.try_emplace(key, line);
    if (!fresh) {
      *reason = std::string("duplicate ") + what + " '" + quoted_value(key) + "' (first at line " +
                std::to_string(it->second) + ")";
    }
    return fresh;
  }

  void prefetch(const RowItem& item) const {
    if (!item.loaded) return;
    if (id_col_ != kNone) first_line_by_id_.prefetch(item.contact.external_id);
    for (const auto& n : item.contact.phone_numbers) first_line_by_number_.prefetch(n);
  }

  // On the calling thread, in file order: records the row's id (when the file has an id column)
  // and numbers; false, with item.reason set and nothing recorded, if one is a duplicate.
  bool first_use(RowItem& item) {
    const ImportedContact& c = item.contact;
    const bool ids_from_file = id_col_ != kNone;
    if (ids_from_file &&
        !first_seen(first_line_by_id_, c.external_id, c.line, "id", &item.reason)) {
      return false;
    }
    for (std::size_t k = 0; k < c.phone_numbers.size(); ++k) {
      if (first_seen(first_line_by_number_, c.phone_numbers[k], c.line, "number", &item.reason)) {
        continue;
      }
      for (std::size_t j = 0; j < k; ++j) first_line_by_number_.erase(c.phone_numbers[j]);
      if (ids_from_file) first_line_by_id_.erase(c.external_id);
      return false;
    }
    return true;
  }

  // Checks one row and normalises its numbers: sets item.loaded and item.contact, or
  // item.reason.
  void process_row(const Batch& b, RowItem& item, PhoneScratch& scratch) const {
    const std::size_t n = item.field_count;
    auto field = [&](std::size_t i) { return b.field(item, i); };
    for (std::size_t i = 0; i < n; ++i) {
      if (!detail::valid_utf8(field(i))) {
        item.reason = "invalid UTF-8 in column " + column_name(i);
        return;
      }
      // C strings and the storage backends would cut the value at the NUL.
      if (field(i).find('\0') != std::string_view::npos) {
        item.reason = "NUL byte in column " + column_name(i);
        return;
      }
    }
    ImportedContact& contact = item.contact;
    contact.line = item.line;
    std::string first_invalid;
    for (const std::size_t col : phone_cols_) {
      const std::string_view raw = trim(field(col));
      if (raw.empty()) continue;
      std::string& e164 = scratch.out;
      if (normalize_phone(raw, region_, fast_path_, scratch, &e164, &scratch.reason)) {
        if (std::find(contact.phone_numbers.begin(), contact.phone_numbers.end(), e164) ==
            contact.phone_numbers.end()) {
          contact.phone_numbers.push_back(e164);
        }
      } else if (first_invalid.empty()) {
        first_invalid = "invalid phone number '" + quoted_value(raw) + "' in column " +
                        column_name(col) + ": " + scratch.reason;
      }
    }
    if (contact.phone_numbers.empty()) {
      if (first_invalid.empty()) {
        first_invalid = phone_cols_.size() == 1 ? "missing phone number in column "
                                                : "missing phone number in columns ";
        for (std::size_t k = 0; k < phone_cols_.size(); ++k) {
          if (k > 0) first_invalid += ", ";
          first_invalid += column_name(phone_cols_[k]);
        }
      }
      item.reason = std::move(first_invalid);
      return;
    }
    if (priority_col_ != kNone) {
      std::string_view v = trim(field(priority_col_));
      if (!v.empty()) {
        std::string_view digits = v;
        if (digits.front() == '+') digits.remove_prefix(1);
        int value = 0;
        auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) {
          item.reason = "invalid priority '" + quoted_value(v) + "' in column " +
                        column_name(priority_col_) + ": not an integer";
          contact = ImportedContact{};
          return;
        }
        contact.priority = value;
      }
    }
    if (tz_col_ != kNone) {
      contact.time_zone = std::string(trim(field(tz_col_)));
      if (!contact.time_zone.empty() && !known_time_zone(contact.time_zone, scratch)) {
        item.reason = "unknown time zone '" + quoted_value(contact.time_zone) + "' in column " +
                      column_name(tz_col_) + " (not in the IANA tz database)";
        contact = ImportedContact{};
        return;
      }
    }
    if (id_col_ != kNone) contact.external_id = std::string(trim(field(id_col_)));
    if (contact.external_id.empty()) contact.external_id = std::to_string(item.row_index);
    if (options_.mapping.keep_attributes && attribute_count_ > 0) {
      contact.attributes.reserve(attribute_count_);
      for (std::size_t i = 0; i < n; ++i) {
        if (roles_[i] == Role::kAttribute) contact.attributes.emplace_back(header_[i], field(i));
      }
    }
    item.loaded = true;
  }

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  LineReader reader_;
  const ImportOptions& options_;
  const std::function<void(ImportedContact&&)>& sink_;
  const std::string& source_;
  ImportReport report_;
  std::optional<PhoneNormalizer> normalizer_;
  std::string region_;
  std::optional<CsvParser> parser_;
  std::size_t max_lines_ = 20;

  std::size_t physical_line_ = 0;
  std::deque<SavedLine> replay_;  // lines to parse again after an unbalanced quote
  SavedLine replayed_;            // owns the text of the replayed line being parsed

  // The record being parsed.
  bool in_record_ = false;
  std::size_t record_start_ = 0;
  std::size_t record_lines_ = 0;
  std::size_t open_column_ = 0;   // index of the field left open at the end of the start line
  std::vector<SavedLine> saved_;  // the record's lines after its start line
  CsvRecord record_;

  bool header_done_ = false;
  std::vector<std::string> header_;
  std::vector<Role> roles_;
  std::vector<std::size_t> phone_cols_;
  std::size_t id_col_ = kNone;
  std::size_t priority_col_ = kNone;
  std::size_t tz_col_ = kNone;
  std::size_t attribute_count_ = 0;

  std::size_t input_bytes_ = 0;  // the input's size when known (bytes_left), else 0
  bool reserved_ = false;
  FirstLines first_line_by_id_;
  FirstLines first_line_by_number_;

  // Rows in batches (finish_row, submit_batch).
  bool fast_path_ = true;
  std::size_t threads_ = 1;                       // total, the calling thread included
  std::size_t start_workers_after_rows_ = 0;      // data rows read before the workers start
  std::unique_ptr<Batch> current_;                // being filled by the parser
  std::deque<std::unique_ptr<Batch>> in_flight_;  // submitted, in file order
  std::vector<std::unique_ptr<Batch>> free_;      // for reuse
  PhoneScratch main_scratch_;
  std::vector<std::thread> workers_;
  std::mutex mu_;  // guards pending_, stop_ and Batch::done while workers run
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Batch*> pending_;  // submitted, not yet taken by a thread
  bool stop_ = false;
};

}  // namespace

std::string ImportReport::summary(std::size_t max_errors) const {
  std::string s = "loaded " + std::to_string(rows_loaded) + " of " + std::to_string(rows_read) +
                  " rows, rejected " + std::to_string(rows_rejected);
  const std::size_t shown = std::min(max_errors, errors.size());
  for (std::size_t i = 0; i < shown; ++i) {
    s += '\n';
    if (source_name.empty()) {
      s += "line " + std::to_string(errors[i].line);
    } else {
      s += source_name;
      if (errors[i].line != 0) s += ":" + std::to_string(errors[i].line);
    }
    s += ": " + errors[i].reason;
  }
  if (rows_rejected > shown) {
    s += "\n... and " + std::to_string(rows_rejected - shown) + " more";
  }
  return s;
}

ImportReport import_contacts_csv(std::istream& in, const ImportOptions& options,
                                 const std::function<void(ImportedContact&&)>& sink,
                                 const std::string& source_name) {
  CsvImporter importer(in, options, sink, source_name);
  return importer.run();
}

ImportReport import_contacts_csv_file(const std::string& path, const ImportOptions& options,
                                      const std::function<void(ImportedContact&&)>& sink) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw Error(ErrorCode::kIo,
                path + ": cannot open: " + (err != 0 ? std::strerror(err) : "unknown error"));
  }
  return import_contacts_csv(in, options, sink, path);
}

}  // namespace omnivox
