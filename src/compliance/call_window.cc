// Call windows and the phone-prefix → time-zone map (see include/omnivox/call_window.h).
//
// Design notes
// ------------
// * Zones are process-wide: each IANA zone is loaded once (ZoneRegistry), together with a table of
//   its UTC-offset segments for 1970–2100 built from cctz's transitions. Local time of an instant
//   is then a binary search plus integer arithmetic; instants outside the table fall back to cctz.
//   Zones are never freed (like cctz's own zone cache), so raw pointers to them stay valid.
// * The prefix map is a 10-ary digit trie built by load() and immutable afterwards; zone_set_for()
//   walks at most one node per digit and keeps the deepest mapped node (longest prefix).
// * Zone sets are stored append-only in fixed-size chunks whose addresses never change: readers
//   (zone_set_for, zone_names, is_open, next_open) take no lock; intern_zones() appends under a
//   mutex and publishes the new count with a release store.
// * is_open() evaluates the window in each zone of the set and also computes the interval of
//   instants around t over which that answer cannot change (until the next window edge, local
//   midnight or UTC-offset change in any zone of the set). The answer and interval are kept in a
//   small per-thread, direct-mapped cache keyed by the zone set's serial number and the window's
//   contents, so repeated checks during a queue scan cost one hash and one compare, with no locks
//   and no sharing between threads.
#include "omnivox/call_window.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <unordered_map>

namespace omnivox {
namespace {

constexpr std::int64_t kMsPerMinute = 60'000;
constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::int64_t kMinutesPerDay = 1440;
constexpr std::int64_t kSearchSpanMs = 14 * kMsPerDay;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Serial numbers for zones and zone sets: process-wide unique, never 0 (0 = empty cache slot).
std::uint64_t next_serial() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

// ---- zones -----------------------------------------------------------------------------------

// One IANA zone with its UTC-offset segments: segment i is [starts[i], starts[i+1]) (seconds since
// the epoch, the last one ends at table_until) with offset offsets[i] seconds east of UTC.
struct Zone {
  std::string name;
  cctz::time_zone tz;
  std::uint64_t serial = 0;
  std::vector<std::int64_t> starts;
  std::vector<std::int32_t> offsets;
  std::int64_t table_from = 0;
  std::int64_t table_until = 0;
};

// A span of time (milliseconds since the epoch) with a constant UTC offset.
struct OffsetSegment {
  std::int64_t from_ms;
  std::int64_t until_ms;
  std::int64_t offset_ms;
};

constexpr std::int64_t kTableFrom = 0;            // 1970-01-01T00:00:00Z
constexpr std::int64_t kTableUntil = 4102444800;  // 2100-01-01T00:00:00Z

cctz::time_point<cctz::seconds> to_tp(std::int64_t sec) {
  return cctz::time_point<cctz::seconds>(cctz::seconds(sec));
}
std::int64_t from_tp(cctz::time_point<cctz::seconds> tp) {
  return static_cast<std::int64_t>(tp.time_since_epoch().count());
}

// The instant at which a civil transition takes effect.
std::int64_t transition_instant(const cctz::time_zone& tz,
                                const cctz::time_zone::civil_transition& tr) {
  return from_tp(tz.lookup(tr.to).trans);
}

void build_offset_table(Zone& zone) {
  zone.table_from = kTableFrom;
  zone.table_until = kTableUntil;
  zone.starts.push_back(kTableFrom);
  zone.offsets.push_back(zone.tz.lookup(to_tp(kTableFrom)).offset);
  std::int64_t at = kTableFrom;
  cctz::time_zone::civil_transition tr;
  while (zone.tz.next_transition(to_tp(at), &tr)) {
    std::int64_t when = transition_instant(zone.tz, tr);
    if (when <= at) when = at + 1;  // defensive: always make progress
    if (when >= kTableUntil) break;
    std::int32_t offset = zone.tz.lookup(to_tp(when)).offset;
    if (offset != zone.offsets.back()) {
      zone.starts.push_back(when);
      zone.offsets.push_back(offset);
    }
    at = when;
  }
}

OffsetSegment offset_segment(const Zone& zone, std::int64_t t_ms) {
  std::int64_t sec = floor_div(t_ms, 1000);
  if (sec >= zone.table_from && sec < zone.table_until) {
    auto it = std::upper_bound(zone.starts.begin(), zone.starts.end(), sec);
    std::size_t i = static_cast<std::size_t>(it - zone.starts.begin()) - 1;
    std::int64_t until = i + 1 < zone.starts.size() ? zone.starts[i + 1] : zone.table_until;
    return {zone.starts[i] * 1000, until * 1000, std::int64_t{zone.offsets[i]} * 1000};
  }
  // Outside the table: ask cctz directly (correct, just slower).
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min() / 2;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 2;
  OffsetSegment seg{kMin, kMax, std::int64_t{zone.tz.lookup(to_tp(sec)).offset} * 1000};
  cctz::time_zone::civil_transition tr;
  if (zone.tz.next_transition(to_tp(sec), &tr)) {
    seg.until_ms = transition_instant(zone.tz, tr) * 1000;
  }
  if (zone.tz.prev_transition(to_tp(sec + 1), &tr)) {
    seg.from_ms = transition_instant(zone.tz, tr) * 1000;
  }
  return seg;
}

// Process-wide registry of loaded zones; entries live until the process exits.
class ZoneRegistry {
 public:
  static ZoneRegistry& instance() {
    static ZoneRegistry* registry = new ZoneRegistry();  // never destroyed: zones outlive maps
    return *registry;
  }

  // The zone named `name`, or nullptr if the tz database does not know it.
  const Zone* find(std::string_view name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = zones_.find(std::string(name));
    if (it != zones_.end()) return it->second.get();
    if (name.empty()) return nullptr;
    cctz::time_zone tz;
    if (!cctz::load_time_zone(std::string(name), &tz)) return nullptr;
    auto zone = std::make_unique<Zone>();
    zone->name = std::string(name);
    zone->tz = tz;
    zone->serial = next_serial();
    build_offset_table(*zone);
    const Zone* result = zone.get();
    zones_.emplace(zone->name, std::move(zone));
    return result;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Zone>> zones_;
};

const Zone& zone_or_throw(std::string_view name) {
  const Zone* zone = ZoneRegistry::instance().find(name);
  if (zone == nullptr) {
    throw Error(ErrorCode::kConfig, "unknown time zone '" + std::string(name) + "'");
  }
  return *zone;
}

// The fallback zone for kUnknownZoneSet, with a per-thread memo of the last name asked for so the
// hot path takes no lock.
const Zone& fallback_zone_for(std::string_view name) {
  thread_local std::string last_name;
  thread_local const Zone* last_zone = nullptr;
  if (last_zone != nullptr && name == last_name) return *last_zone;
  const Zone& zone = zone_or_throw(name);
  last_name.assign(name);
  last_zone = &zone;
  return zone;
}

// ---- window evaluation -----------------------------------------------------------------------

// Whether a window is open at an instant, and the interval [from_ms, until_ms) containing that
// instant over which the answer stays the same.
struct Evaluation {
  bool open;
  std::int64_t from_ms;
  std::int64_t until_ms;
};

std::int64_t clamp_minute(int minute) {
  return std::clamp<std::int64_t>(minute, 0, kMinutesPerDay);
}

Evaluation evaluate_zone(const Zone& zone, const CallWindow& window, std::int64_t t_ms) {
  OffsetSegment seg = offset_segment(zone, t_ms);
  std::int64_t local_ms = t_ms + seg.offset_ms;
  std::int64_t day = floor_div(local_ms, kMsPerDay);
  std::int64_t ms_of_day = local_ms - day * kMsPerDay;
  int weekday = static_cast<int>(((day + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  const LocalTimeRange& range = window.by_weekday[static_cast<std::size_t>(weekday)];
  std::int64_t start = clamp_minute(range.start_minute) * kMsPerMinute;
  std::int64_t end = clamp_minute(range.end_minute) * kMsPerMinute;
  bool open = false;
  std::int64_t lo = 0;
  std::int64_t hi = kMsPerDay;
  if (end > start) {
    if (ms_of_day < start) {
      hi = start;
    } else if (ms_of_day < end) {
      open = true;
      lo = start;
      hi = end;
    } else {
      lo = end;
    }
  }
  std::int64_t base = day * kMsPerDay - seg.offset_ms;  // local midnight as an instant, this offset
  return {open, std::max(base + lo, seg.from_ms), std::min(base + hi, seg.until_ms)};
}

Evaluation evaluate_zones(const std::vector<const Zone*>& zones, const CallWindow& window,
                          std::int64_t t_ms) {
  Evaluation result{true, std::numeric_limits<std::int64_t>::min(),
                    std::numeric_limits<std::int64_t>::max()};
  for (const Zone* zone : zones) {
    Evaluation e = evaluate_zone(*zone, window, t_ms);
    result.open = result.open && e.open;
    result.from_ms = std::max(result.from_ms, e.from_ms);
    result.until_ms = std::min(result.until_ms, e.until_ms);
  }
  return result;
}

// The earliest instant in [t_ms, limit_ms] at which the window is open in `zone`.
std::optional<std::int64_t> next_open_in_zone(const Zone& zone, const CallWindow& window,
                                              std::int64_t t_ms, std::int64_t limit_ms) {
  std::int64_t at = t_ms;
  // Each step moves to the next window edge, local midnight or offset change: a handful per day.
  for (int step = 0; step < 10'000 && at <= limit_ms; ++step) {
    Evaluation e = evaluate_zone(zone, window, at);
    if (e.open) return at;
    at = std::max(e.until_ms, at + 1);
  }
  return std::nullopt;
}

bool never_open(const CallWindow& window) {
  return std::all_of(window.by_weekday.begin(), window.by_weekday.end(), [](const auto& r) {
    return clamp_minute(r.end_minute) <= clamp_minute(r.start_minute);
  });
}

// ---- per-thread result cache -----------------------------------------------------------------

struct CacheEntry {
  std::uint64_t serial = 0;  // of the zone set (or of the fallback zone); 0 = empty slot
  std::int64_t from_ms = 0;
  std::int64_t until_ms = 0;
  std::array<LocalTimeRange, 7> window{};
  bool open = false;
};

constexpr std::size_t kCacheBits = 10;
constexpr std::size_t kCacheSize = std::size_t{1} << kCacheBits;

struct ResultCache {
  std::array<CacheEntry, kCacheSize> entries;
};

std::size_t cache_slot(std::uint64_t serial, const CallWindow& window) {
  std::uint64_t h = serial * 0x9E3779B97F4A7C15ull;
  for (const LocalTimeRange& r : window.by_weekday) {
    std::uint64_t word =
        (static_cast<std::uint64_t>(static_cast<std::uint32_t>(r.start_minute)) << 32) |
        static_cast<std::uint32_t>(r.end_minute);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
  }
  return static_cast<std::size_t>(h >> (64 - kCacheBits));
}

bool same_window(const std::array<LocalTimeRange, 7>& a, const CallWindow& b) {
  for (std::size_t i = 0; i < 7; ++i) {
    if (a[i].start_minute != b.by_weekday[i].start_minute ||
        a[i].end_minute != b.by_weekday[i].end_minute) {
      return false;
    }
  }
  return true;
}

bool cached_is_open(std::uint64_t serial, const std::vector<const Zone*>& zones,
                    const CallWindow& window, std::int64_t t_ms) {
  thread_local std::unique_ptr<ResultCache> cache;
  if (!cache) cache = std::make_unique<ResultCache>();
  CacheEntry& entry = cache->entries[cache_slot(serial, window)];
  if (entry.serial == serial && t_ms >= entry.from_ms && t_ms < entry.until_ms &&
      same_window(entry.window, window)) {
    return entry.open;
  }
  Evaluation e = evaluate_zones(zones, window, t_ms);
  entry.serial = serial;
  entry.from_ms = e.from_ms;
  entry.until_ms = e.until_ms;
  entry.window = window.by_weekday;
  entry.open = e.open;
  return e.open;
}

// ---- parsing helpers -------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  std::size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// "HH:MM" (one or two hour digits) → minutes after midnight, 00:00..24:00; -1 if malformed.
int parse_clock(std::string_view s) {
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() != colon + 3) {
    return -1;
  }
  int hours = 0;
  for (std::size_t i = 0; i < colon; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    hours = hours * 10 + (s[i] - '0');
  }
  if (s[colon + 1] < '0' || s[colon + 1] > '5' || s[colon + 2] < '0' || s[colon + 2] > '9') {
    return -1;
  }
  int minutes = (s[colon + 1] - '0') * 10 + (s[colon + 2] - '0');
  int total = hours * 60 + minutes;
  return total <= kMinutesPerDay ? total : -1;
}

std::string set_key(const std::vector<std::string>& sorted_names) {
  std::string key;
  for (const std::string& name : sorted_names) {
    if (!key.empty()) key += '&';
    key += name;
  }
  return key;
}

}  // namespace

// ---- CallWindow ------------------------------------------------------------------------------

CallWindow CallWindow::every_day(int start_minute, int end_minute) {
  if (start_minute < 0 || start_minute > kMinutesPerDay || end_minute < 0 ||
      end_minute > kMinutesPerDay) {
    throw Error(ErrorCode::kInvalidArgument,
                "call window minutes out of range [0, 1440]: " + std::to_string(start_minute) +
                    "-" + std::to_string(end_minute));
  }
  CallWindow window;
  window.by_weekday.fill(LocalTimeRange{start_minute, end_minute});
  return window;
}

CallWindow CallWindow::always() { return every_day(0, static_cast<int>(kMinutesPerDay)); }

CallWindow CallWindow::intersect(const CallWindow& a, const CallWindow& b) {
  CallWindow r;
  for (std::size_t day = 0; day < 7; ++day) {
    LocalTimeRange& out = r.by_weekday[day];
    out.start_minute = std::max(a.by_weekday[day].start_minute, b.by_weekday[day].start_minute);
    out.end_minute = std::min(a.by_weekday[day].end_minute, b.by_weekday[day].end_minute);
    if (out.end_minute < out.start_minute) out.end_minute = out.start_minute;
  }
  return r;
}

LocalTimeRange CallWindow::parse_range(std::string_view text) {
  std::string_view s = trim(text);
  std::size_t dash = s.find('-');
  int start = -1;
  int end = -1;
  if (dash != std::string_view::npos) {
    start = parse_clock(trim(s.substr(0, dash)));
    end = parse_clock(trim(s.substr(dash + 1)));
  }
  if (start < 0 || end < 0 || start == kMinutesPerDay) {
    throw Error(ErrorCode::kConfig, "bad call window '" + std::string(text) +
                                        "': expected HH:MM-HH:MM, e.g. 09:00-21:00");
  }
  if (end < start) {
    throw Error(ErrorCode::kConfig, "bad call window '" + std::string(text) +
                                        "': end before start (windows do not wrap past midnight)");
  }
  return LocalTimeRange{start, end};
}

// ---- TimeZoneMap -----------------------------------------------------------------------------

namespace {

struct ZoneSet {
  std::uint64_t serial = 0;
  std::vector<const Zone*> zones;
  std::vector<std::string> names;
};

// Append-only storage with stable addresses: lock-free reads of published slots.
class ZoneSetStore {
 public:
  static constexpr std::size_t kChunkBits = 10;
  static constexpr std::size_t kChunkSize = std::size_t{1} << kChunkBits;
  static constexpr std::size_t kMaxChunks = 4096;  // ~4 million zone sets

  ZoneSetStore() : chunks_(new std::atomic<ZoneSet*>[kMaxChunks]) {
    for (std::size_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr);
  }
  ~ZoneSetStore() {
    for (std::size_t i = 0; i < kMaxChunks; ++i) delete[] chunks_[i].load();
  }
  ZoneSetStore(const ZoneSetStore&) = delete;
  ZoneSetStore& operator=(const ZoneSetStore&) = delete;

  std::size_t size() const { return count_.load(std::memory_order_acquire); }

  // nullptr if id has not been published.
  const ZoneSet* get(ZoneSetId id) const {
    if (id >= count_.load(std::memory_order_acquire)) return nullptr;
    const ZoneSet* chunk = chunks_[id >> kChunkBits].load(std::memory_order_acquire);
    return &chunk[id & (kChunkSize - 1)];
  }

  // Writers must be serialized by the caller.
  ZoneSetId append(ZoneSet set) {
    std::size_t id = count_.load(std::memory_order_relaxed);
    std::size_t chunk_index = id >> kChunkBits;
    if (chunk_index >= kMaxChunks) throw Error(ErrorCode::kConfig, "too many zone sets");
    ZoneSet* chunk = chunks_[chunk_index].load(std::memory_order_relaxed);
    if (chunk == nullptr) {
      chunk = new ZoneSet[kChunkSize];
      chunks_[chunk_index].store(chunk, std::memory_order_release);
    }
    chunk[id & (kChunkSize - 1)] = std::move(set);
    count_.store(id + 1, std::memory_order_release);
    return static_cast<ZoneSetId>(id);
  }

 private:
  std::unique_ptr<std::atomic<ZoneSet*>[]> chunks_;
  std::atomic<std::size_t> count_{0};
};

constexpr std::uint32_t kNoNode = 0;
constexpr ZoneSetId kNoSet = std::numeric_limits<ZoneSetId>::max();

struct TrieNode {
  std::array<std::uint32_t, 10> child{};  // kNoNode (0, the root, is never a child) = none
  ZoneSetId set = kNoSet;
  std::uint32_t line = 0;  // the map line that set it, for duplicate diagnostics
};

}  // namespace

struct TimeZoneMap::Impl {
  std::vector<TrieNode> trie{TrieNode{}};  // immutable after load()
  ZoneSetStore sets;
  std::mutex intern_mu;                                   // serializes intern()
  std::unordered_map<std::string, ZoneSetId> set_by_key;  // guarded by intern_mu

  Impl() {
    sets.append(ZoneSet{});  // kUnknownZoneSet: no zones
  }

  // names must be non-empty; throws Error(kConfig) naming an unknown zone.
  ZoneSetId intern(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string key = set_key(names);
    std::lock_guard<std::mutex> lock(intern_mu);
    auto it = set_by_key.find(key);
    if (it != set_by_key.end()) return it->second;
    ZoneSet set;
    set.serial = next_serial();
    for (const std::string& name : names) set.zones.push_back(&zone_or_throw(name));
    set.names = std::move(names);
    ZoneSetId id = sets.append(std::move(set));
    set_by_key.emplace(std::move(key), id);
    return id;
  }

  const ZoneSet& set_or_throw(ZoneSetId id) const {
    const ZoneSet* set = sets.get(id);
    if (set == nullptr) {
      throw Error(ErrorCode::kInvalidArgument, "unknown zone set id " + std::to_string(id));
    }
    return *set;
  }
};

TimeZoneMap::TimeZoneMap() : impl_(std::make_unique<Impl>()) {}
TimeZoneMap::~TimeZoneMap() = default;
TimeZoneMap::TimeZoneMap(TimeZoneMap&&) noexcept = default;
TimeZoneMap& TimeZoneMap::operator=(TimeZoneMap&&) noexcept = default;

TimeZoneMap TimeZoneMap::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw Error(ErrorCode::kIo, path + ": cannot open: " + std::strerror(errno));
  }
  TimeZoneMap map;
  Impl& impl = *map.impl_;
  std::string raw;
  std::uint32_t line_no = 0;
  auto fail = [&](const std::string& reason) -> void {
    throw Error(ErrorCode::kConfig, path + ":" + std::to_string(line_no) + ": " + reason);
  };
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    std::size_t bar = line.find('|');
    if (bar == std::string_view::npos) fail("expected '<prefix>|<zone>[&<zone>...]'");
    std::string_view prefix = trim(line.substr(0, bar));
    std::string_view zones_text = trim(line.substr(bar + 1));
    if (prefix.empty() || prefix.size() > 15 ||
        !std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      fail("bad prefix '" + std::string(prefix) + "': expected 1 to 15 digits");
    }
    std::vector<std::string> names;
    std::size_t pos = 0;
    while (true) {
      std::size_t amp = zones_text.find('&', pos);
      std::string_view name = trim(zones_text.substr(
          pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos));
      if (name.empty() || name.find('|') != std::string_view::npos) {
        fail("bad zone list '" + std::string(zones_text) + "'");
      }
      if (ZoneRegistry::instance().find(name) == nullptr) {
        fail("unknown time zone '" + std::string(name) + "'");
      }
      names.emplace_back(name);
      if (amp == std::string_view::npos) break;
      pos = amp + 1;
    }
    ZoneSetId id = impl.intern(std::move(names));
    std::uint32_t node = 0;
    for (char c : prefix) {
      std::size_t digit = static_cast<std::size_t>(c - '0');
      if (impl.trie[node].child[digit] == kNoNode) {
        impl.trie[node].child[digit] = static_cast<std::uint32_t>(impl.trie.size());
        impl.trie.emplace_back();
      }
      node = impl.trie[node].child[digit];
    }
    TrieNode& target = impl.trie[node];
    if (target.set != kNoSet && target.set != id) {
      fail("prefix " + std::string(prefix) + " already mapped to other zones on line " +
           std::to_string(target.line));
    }
    if (target.set == kNoSet) {  // identical duplicates are tolerated
      target.set = id;
      target.line = line_no;
    }
  }
  if (in.bad()) throw Error(ErrorCode::kIo, path + ": read error");
  return map;
}

std::string TimeZoneMap::default_path() {
  static constexpr const char* kRelative = "/phone-timezones/map_data.txt";
  if (const char* dir = std::getenv("OMNIVOX_DATA_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + kRelative;
  }
  std::error_code ec;
  // Beside the library that holds this function, as installed (lib/ -> share/omnivox/): an
  // install moved to another prefix, or unpacked anywhere, finds its own copy.
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&TimeZoneMap::default_path), &info) != 0 &&
      info.dli_fname != nullptr) {
    std::filesystem::path library(info.dli_fname);
    std::string beside = (library.parent_path() / OMNIVOX_DATA_RELATIVE_DIR).string() + kRelative;
    if (std::filesystem::is_regular_file(beside, ec)) return beside;
  }
  std::string installed = std::string(OMNIVOX_DATA_INSTALL_DIR) + kRelative;
  if (std::filesystem::is_regular_file(installed, ec)) return installed;
  return std::string(OMNIVOX_DATA_SOURCE_DIR) + kRelative;  // run from the build tree
}

ZoneSetId TimeZoneMap::zone_set_for(std::string_view e164) const {
  if (!impl_) return kUnknownZoneSet;
  const std::vector<TrieNode>& trie = impl_->trie;
  ZoneSetId best = kUnknownZoneSet;
  std::uint32_t node = 0;
  for (char c : e164) {
    if (c < '0' || c > '9') {
      if (c == '+' || c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') continue;
      break;
    }
    node = trie[node].child[static_cast<std::size_t>(c - '0')];
    if (node == kNoNode) break;
    if (trie[node].set != kNoSet) best = trie[node].set;
  }
  return best;
}

ZoneSetId TimeZoneMap::intern_zones(const std::vector<std::string>& zone_names) {
  if (!impl_) impl_ = std::make_unique<Impl>();
  if (zone_names.empty()) return kUnknownZoneSet;
  return impl_->intern(zone_names);
}

std::vector<std::string> TimeZoneMap::zone_names(ZoneSetId id) const {
  if (id == kUnknownZoneSet) return {};
  if (!impl_) throw Error(ErrorCode::kInvalidArgument, "unknown zone set id " + std::to_string(id));
  return impl_->set_or_throw(id).names;
}

std::size_t TimeZoneMap::zone_set_count() const { return impl_ ? impl_->sets.size() : 1; }

bool TimeZoneMap::is_open(ZoneSetId id, const CallWindow& window, TimePoint t,
                          std::string_view fallback_zone) const {
  std::int64_t t_ms = t.time_since_epoch().count();
  if (id == kUnknownZoneSet) {
    const Zone& zone = fallback_zone_for(fallback_zone);
    thread_local std::vector<const Zone*> one(1);
    one[0] = &zone;
    return cached_is_open(zone.serial, one, window, t_ms);
  }
  if (!impl_) throw Error(ErrorCode::kInvalidArgument, "unknown zone set id " + std::to_string(id));
  const ZoneSet& set = impl_->set_or_throw(id);
  return cached_is_open(set.serial, set.zones, window, t_ms);
}

std::optional<TimePoint> TimeZoneMap::next_open(ZoneSetId id, const CallWindow& window, TimePoint t,
                                                std::string_view fallback_zone) const {
  std::vector<const Zone*> fallback;
  const std::vector<const Zone*>* zones = nullptr;
  if (id == kUnknownZoneSet) {
    fallback.push_back(&fallback_zone_for(fallback_zone));
    zones = &fallback;
  } else {
    if (!impl_) {
      throw Error(ErrorCode::kInvalidArgument, "unknown zone set id " + std::to_string(id));
    }
    zones = &impl_->set_or_throw(id).zones;
  }
  if (never_open(window)) return std::nullopt;
  const std::int64_t t_ms = t.time_since_epoch().count();
  const std::int64_t limit_ms = t_ms + kSearchSpanMs;
  // Jump every zone to its own next opening at or after `at`; the latest of those is a lower
  // bound for the set's opening. Repeat until all zones are open at the same instant. Each round
  // strictly advances `at` to some zone's window start, so the loop is short and bounded.
  std::int64_t at = t_ms;
  for (int round = 0; round < 100'000; ++round) {
    std::int64_t latest = at;
    for (const Zone* zone : *zones) {
      std::optional<std::int64_t> open = next_open_in_zone(*zone, window, at, limit_ms);
      if (!open) return std::nullopt;
      latest = std::max(latest, *open);
    }
    if (latest == at) return TimePoint(Duration(at));
    at = latest;
  }
  return std::nullopt;
}

std::string TimeZoneMap::local_time_string(std::string_view zone, TimePoint t) {
  return cctz::format("%Y-%m-%d %H:%M:%S", t, zone_or_throw(zone).tz);
}

}  // namespace omnivox
