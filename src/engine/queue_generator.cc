#include "omnivox/queue_generator.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "engine/phone_library.h"
#include "omnivox/clock.h"

namespace omnivox {
namespace {

constexpr Duration k24h = std::chrono::hours(24);
const cctz::civil_day kEpochDay(1970, 1, 1);
constexpr const char* kWeekdayNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

// ---- regions: libphonenumber's English description of a NANP number → ISO 3166-2 ----------

struct Subdivision {
  std::string_view name;
  std::string_view code;
};

// US states, DC and the territories in NANP (ISO 3166-2:US), with the names the geocoder uses.
constexpr Subdivision kUsSubdivisions[] = {
    {"Alabama", "AL"},
    {"Alaska", "AK"},
    {"Arizona", "AZ"},
    {"Arkansas", "AR"},
    {"California", "CA"},
    {"Colorado", "CO"},
    {"Connecticut", "CT"},
    {"Delaware", "DE"},
    {"Florida", "FL"},
    {"Georgia", "GA"},
    {"Hawaii", "HI"},
    {"Idaho", "ID"},
    {"Illinois", "IL"},
    {"Indiana", "IN"},
    {"Iowa", "IA"},
    {"Kansas", "KS"},
    {"Kentucky", "KY"},
    {"Louisiana", "LA"},
    {"Maine", "ME"},
    {"Maryland", "MD"},
    {"Massachusetts", "MA"},
    {"Michigan", "MI"},
    {"Minnesota", "MN"},
    {"Mississippi", "MS"},
    {"Missouri", "MO"},
    {"Montana", "MT"},
    {"Nebraska", "NE"},
    {"Nevada", "NV"},
    {"New Hampshire", "NH"},
    {"New Jersey", "NJ"},
    {"New Mexico", "NM"},
    {"New York", "NY"},
    {"North Carolina", "NC"},
    {"North Dakota", "ND"},
    {"Ohio", "OH"},
    {"Oklahoma", "OK"},
    {"Oregon", "OR"},
    {"Pennsylvania", "PA"},
    {"Rhode Island", "RI"},
    {"South Carolina", "SC"},
    {"South Dakota", "SD"},
    {"Tennessee", "TN"},
    {"Texas", "TX"},
    {"Utah", "UT"},
    {"Vermont", "VT"},
    {"Virginia", "VA"},
    {"Washington", "WA"},
    {"West Virginia", "WV"},
    {"Wisconsin", "WI"},
    {"Wyoming", "WY"},
    {"Washington D.C.", "DC"},
    {"Washington DC", "DC"},
    {"District of Columbia", "DC"},
    {"American Samoa", "AS"},
    {"Guam", "GU"},
    {"Northern Mariana Islands", "MP"},
    {"Puerto Rico", "PR"},
    {"U.S. Virgin Islands", "VI"},
    {"US Virgin Islands", "VI"},
};

// Canadian provinces and territories (ISO 3166-2:CA).
constexpr Subdivision kCaSubdivisions[] = {
    {"Alberta", "AB"},
    {"British Columbia", "BC"},
    {"Manitoba", "MB"},
    {"New Brunswick", "NB"},
    {"Newfoundland and Labrador", "NL"},
    {"Newfoundland", "NL"},
    {"Nova Scotia", "NS"},
    {"Northwest Territories", "NT"},
    {"Nunavut", "NU"},
    {"Ontario", "ON"},
    {"Prince Edward Island", "PE"},
    {"Quebec", "QC"},
    {"Québec", "QC"},
    {"Saskatchewan", "SK"},
    {"Yukon", "YT"},
};

std::string subdivision_by_code(std::string_view code) {
  for (const auto& s : kUsSubdivisions) {
    if (s.code == code) return "US-" + std::string(code);
  }
  for (const auto& s : kCaSubdivisions) {
    if (s.code == code) return "CA-" + std::string(code);
  }
  return {};
}

std::string subdivision_by_name(std::string_view name) {
  for (const auto& s : kUsSubdivisions) {
    if (s.name == name) return "US-" + std::string(s.code);
  }
  for (const auto& s : kCaSubdivisions) {
    if (s.name == name) return "CA-" + std::string(s.code);
  }
  return {};
}

// "Miami, FL" → "US-FL"; "Florida" → "US-FL"; "Ontario" → "CA-ON"; anything else → "".
std::string region_from_description(std::string_view description) {
  std::size_t comma = description.rfind(", ");
  if (comma != std::string_view::npos) {
    std::string_view tail = description.substr(comma + 2);
    std::string region = subdivision_by_code(tail);
    if (region.empty()) region = subdivision_by_name(tail);
    if (!region.empty()) return region;
  }
  std::string region = subdivision_by_name(description);
  return region.empty() ? subdivision_by_code(description) : region;
}

// The ISO 3166-2 region of a NANP number (+1 and `national_number`), or "" if unknown: from
// libphonenumber's offline geocoder, in libomnivox_phone (engine/phone_library.h).
std::string nanp_region(std::uint64_t national_number) {
  return region_from_description(detail::phone_backend().nanp_description(national_number));
}

// ---- windows and dates -------------------------------------------------------------------------

std::string hhmm(int minute) {
  char text[24];
  std::snprintf(text, sizeof text, "%02d:%02d", minute / 60, minute % 60);
  return text;
}

std::string range_text(const LocalTimeRange& range) {
  if (range.closed()) return "closed";
  return hhmm(range.start_minute) + "-" + hhmm(range.end_minute);
}

// "72 h", "90 min", "45 s".
std::string duration_text(Duration d) {
  using namespace std::chrono;
  if (d % hours(1) == Duration(0)) return std::to_string(duration_cast<hours>(d).count()) + " h";
  if (d % minutes(1) == Duration(0)) {
    return std::to_string(duration_cast<minutes>(d).count()) + " min";
  }
  return std::to_string(duration_cast<seconds>(d).count()) + " s";
}

cctz::time_point<cctz::seconds> to_cctz(TimePoint t) {
  return std::chrono::floor<cctz::seconds>(t);
}

cctz::civil_second local_time(const cctz::time_zone& tz, TimePoint t) {
  return cctz::convert(to_cctz(t), tz);
}

std::int64_t day_number(const cctz::civil_second& cs) {
  return static_cast<std::int64_t>(cctz::civil_day(cs) - kEpochDay);
}

int weekday_index(const cctz::civil_second& cs) {  // 0 = Sunday
  switch (cctz::get_weekday(cctz::civil_day(cs))) {
    case cctz::weekday::sunday:
      return 0;
    case cctz::weekday::monday:
      return 1;
    case cctz::weekday::tuesday:
      return 2;
    case cctz::weekday::wednesday:
      return 3;
    case cctz::weekday::thursday:
      return 4;
    case cctz::weekday::friday:
      return 5;
    case cctz::weekday::saturday:
      return 6;
  }
  return 0;
}

// The first instant of local day `day` (days since 1970-01-01) in `tz`.
TimePoint start_of_day(const cctz::time_zone& tz, std::int64_t day) {
  cctz::civil_second midnight(kEpochDay + day);
  cctz::time_zone::civil_lookup cl = tz.lookup(midnight);
  auto tp = cl.kind == cctz::time_zone::civil_lookup::SKIPPED ? cl.trans : cl.pre;
  return std::chrono::time_point_cast<Duration>(tp);
}

std::string date_text(std::int64_t day) {
  cctz::civil_day d = kEpochDay + day;
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", static_cast<int>(d.year()), d.month(),
                d.day());
  return text;
}

// "YYYY-MM-DD" → days since 1970-01-01; nullopt if malformed or not a calendar date.
std::optional<std::int64_t> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int fields[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lengths[3] = {4, 2, 2};
  for (int f = 0; f < 3; ++f) {
    for (std::size_t i = 0; i < lengths[f]; ++i) {
      char ch = text[starts[f] + i];
      if (ch < '0' || ch > '9') return std::nullopt;
      fields[f] = fields[f] * 10 + (ch - '0');
    }
  }
  cctz::civil_day d(fields[0], fields[1], fields[2]);
  if (d.year() != fields[0] || d.month() != fields[1] || d.day() != fields[2]) return std::nullopt;
  return static_cast<std::int64_t>(d - kEpochDay);
}

bool no_time(TimePoint t) { return t == TimePoint{}; }

}  // namespace

// ---- compiled rules and caches -----------------------------------------------------------------

struct QueueGenerator::Check {
  Ineligibility reason = Ineligibility::kNone;
  int number_index = -1;
  ZoneSetId zone_set = kUnknownZoneSet;
  int window = 0;   // index into State::windows
  int region = -1;  // index into State::regions, -1 if none
  std::optional<TimePoint> eligible_at;
  TimePoint repeat_since{};     // the abandon / machine result behind a repeat-rule exclusion
  bool history_cap = false;     // the region's 24 h cap must be counted from the history
  bool history_repeat = false;  // the repeat rules must be read from the history
  bool needs_history() const { return history_cap || history_repeat; }
};

// What read_history reads of a contact: the number quick_check chose, and the contact's last
// attempt. Owned: fill() reads the history after the scan that viewed the contact.
struct QueueGenerator::HistorySubject {
  ContactId id = kNoContact;
  std::string e164;                                   // the chosen number
  Disposition last_disposition = Disposition::kNone;  // the chosen number's
  TimePoint last_attempt_at{};                        // the contact's
};

struct QueueGenerator::History {
  Ineligibility repeat_reason = Ineligibility::kNone;  // kNone: no repeat rule excludes
  TimePoint repeat_until{};
  TimePoint repeat_since{};
  int recent_calls = 0;   // the contact's attempts created in the last 24 h
  TimePoint cap_until{};  // epoch: the region cap does not exclude
  // The first rule that excludes, and until when.
  Ineligibility reason() const {
    if (repeat_reason != Ineligibility::kNone) return repeat_reason;
    return no_time(cap_until) ? Ineligibility::kNone : Ineligibility::kRegionCallCap;
  }
  TimePoint until() const {
    return repeat_reason != Ineligibility::kNone ? repeat_until : cap_until;
  }
};

struct QueueGenerator::State {
  struct Region {
    std::string code;  // "US-FL"
    int window = 0;    // index into windows
    int max_calls_per_24h = 0;
  };
  // Whether a zone set's window is open (and not a holiday) in one UTC minute. Windows are in
  // whole local minutes, holidays whole local days, and every zone's UTC offset has been whole
  // minutes since 1972: the answer holds for the whole minute, so a refill at every event of a
  // busy campaign converts local time once a minute instead of each time.
  struct WindowCache {
    TimePoint from{};  // the minute it holds for: [from, until); empty until first computed
    TimePoint until{};
    bool open = false;
    bool holiday = false;
    TimePoint next_allowed = TimePoint::min();  // min: not computed; max: none within the span
  };
  // A storage verdict remembered by fill() so that a contact excluded by the history is not read
  // again until its exclusion ends (history only grows, so the exclusion cannot end sooner).
  struct Block {
    int number_index = -1;
    int region = -1;
    TimePoint repeat_until{};
    TimePoint cap_until{};
  };

  std::vector<CallWindow> windows;          // [0] campaign ∩ profile; [1 + r] ∩ region r's rule
  std::vector<std::string> window_sources;  // "campaign ∩ US_FTC_FCC ∩ US-FL"
  std::vector<Region> regions;
  bool nanp_regions = false;  // some region is a US or Canadian one (the only ones resolved)
  // NPA → NXX → region index, -1 for none, kUnresolved until the geocoder has been asked. The
  // exchange tables (2 KB each) are allocated for the area codes seen.
  static constexpr std::int16_t kUnresolved = -2;
  std::vector<std::unique_ptr<std::array<std::int16_t, 1000>>> region_by_prefix;
  std::vector<std::int64_t> holidays;                 // sorted, days since 1970-01-01
  std::vector<WindowCache> window_cache;              // [zone_set * windows.size() + window]
  std::vector<std::vector<cctz::time_zone>> zone_tz;  // per zone set, loaded on first use
  std::unordered_map<ContactId, Block> blocks;
  // The zone set of the last contact time_zone override looked up: contacts loaded together
  // usually share it, and TimeZoneMap::intern_zones builds a vector per call.
  std::string last_time_zone;
  ZoneSetId last_time_zone_set = kUnknownZoneSet;
  // Times until which fill() deferred contacts (Storage::defer_contacts), earliest on top: the
  // scans skip those contacts, so fill()'s wake-up must still name their reopening.
  std::priority_queue<TimePoint, std::vector<TimePoint>, std::greater<TimePoint>> deferrals;
  // The numbers of the view explain() checks (reused: the engine explains every call it places).
  std::vector<PhoneNumberView> explained_numbers;

  bool is_holiday(std::int64_t day) const {
    return std::binary_search(holidays.begin(), holidays.end(), day);
  }

  const std::vector<cctz::time_zone>& zones_of(const TimeZoneMap& map, ZoneSetId zs,
                                               const std::string& fallback) {
    if (zs >= zone_tz.size()) zone_tz.resize(zs + 1);
    std::vector<cctz::time_zone>& tzs = zone_tz[zs];
    if (tzs.empty()) {
      std::vector<std::string> names = map.zone_names(zs);
      if (names.empty()) names.push_back(fallback);
      for (const std::string& name : names) {
        cctz::time_zone tz;
        if (!cctz::load_time_zone(name, &tz)) tz = cctz::utc_time_zone();
        tzs.push_back(tz);
      }
    }
    return tzs;
  }

  // t itself if the local date at t is no holiday in any zone of the set; otherwise the end of
  // the run of holidays (the latest over the zones where it is one).
  TimePoint holiday_until(const TimeZoneMap& map, ZoneSetId zs, const std::string& fallback,
                          TimePoint t) {
    if (holidays.empty()) return t;
    TimePoint end = t;
    for (const cctz::time_zone& tz : zones_of(map, zs, fallback)) {
      std::int64_t day = day_number(local_time(tz, t));
      if (!is_holiday(day)) continue;
      while (is_holiday(day + 1)) ++day;
      end = std::max(end, start_of_day(tz, day + 1));
    }
    return end;
  }

  // The earliest instant >= t with the window open and no holiday, if any within the search.
  std::optional<TimePoint> next_allowed(const TimeZoneMap& map, ZoneSetId zs, int w,
                                        const std::string& fallback, TimePoint t) {
    for (int step = 0; step < 64; ++step) {
      std::optional<TimePoint> open = map.next_open(zs, windows[w], t, fallback);
      if (!open) return std::nullopt;
      TimePoint after = holiday_until(map, zs, fallback, *open);
      if (after == *open) return open;
      t = after;
    }
    return std::nullopt;
  }

  const WindowCache& window_at(const TimeZoneMap& map, ZoneSetId zs, int w,
                               const std::string& fallback, TimePoint now, bool want_next) {
    std::size_t index = static_cast<std::size_t>(zs) * windows.size() + w;
    if (index >= window_cache.size()) window_cache.resize((zs + 1) * windows.size());
    WindowCache& cache = window_cache[index];
    if (now < cache.from || now >= cache.until) {
      cache.from = std::chrono::floor<std::chrono::minutes>(now);
      cache.until = cache.from + std::chrono::minutes(1);
      cache.holiday = holiday_until(map, zs, fallback, now) != now;
      cache.open = map.is_open(zs, windows[w], now, fallback);
      cache.next_allowed = TimePoint::min();
    }
    if ((cache.holiday || !cache.open) && want_next && cache.next_allowed == TimePoint::min()) {
      cache.next_allowed = next_allowed(map, zs, w, fallback, now).value_or(TimePoint::max());
    }
    return cache;
  }

  // The index of the region rule that applies to a number, or -1. Cost: two array reads by
  // NPA-NXX (the geocoder runs once per NPA-NXX).
  int region_of(std::string_view e) {
    if (!nanp_regions) return -1;
    if (e.size() < 8 || e[0] != '+' || e[1] != '1') return -1;
    unsigned digits[6];
    for (std::size_t i = 0; i < 6; ++i) {
      digits[i] = static_cast<unsigned char>(e[i + 2]) - '0';
      if (digits[i] > 9) return -1;
    }
    unsigned npa = digits[0] * 100 + digits[1] * 10 + digits[2];
    unsigned nxx = digits[3] * 100 + digits[4] * 10 + digits[5];
    if (region_by_prefix.empty()) region_by_prefix.resize(1000);
    auto& exchanges = region_by_prefix[npa];
    if (!exchanges) {
      exchanges = std::make_unique<std::array<std::int16_t, 1000>>();
      exchanges->fill(kUnresolved);
    }
    std::int16_t& slot = (*exchanges)[nxx];
    if (slot != kUnresolved) return slot;
    std::uint64_t national = npa * 1000 + nxx;
    std::size_t i = 8;
    for (; i < e.size() && i < 12 && e[i] >= '0' && e[i] <= '9'; ++i) {
      national = national * 10 + static_cast<std::uint64_t>(e[i] - '0');
    }
    for (; i < 12; ++i) national *= 10;
    std::string code = nanp_region(national);
    slot = -1;
    for (std::size_t r = 0; r < regions.size(); ++r) {
      if (regions[r].code == code) slot = static_cast<std::int16_t>(r);
    }
    return slot;
  }
};

// ---- QueueGenerator ----------------------------------------------------------------------------

const char* to_string(Ineligibility r) {
  static const char* const kNames[] = {"dialable",
                                       "final_status",
                                       "max_attempts",
                                       "no_valid_number",
                                       "retry_delay",
                                       "callback_not_due",
                                       "outside_call_window",
                                       "do_not_call",
                                       "leased",
                                       "holiday",
                                       "region_call_cap",
                                       "repeat_after_abandon",
                                       "repeat_after_machine"};
  static_assert(sizeof kNames / sizeof kNames[0] == kIneligibilityCount);
  return kNames[static_cast<int>(r)];
}

QueueGenerator::QueueGenerator(const CampaignConfig& campaign, Storage* storage, TimeZoneMap* zones)
    : campaign_(campaign), storage_(storage), zones_(zones), state_(std::make_unique<State>()) {
  const ComplianceProfile& profile = campaign.compliance;
  // The compliance profile's hours bound the campaign's: use the intersection, day by day.
  campaign_.call_window = CallWindow::intersect(campaign_.call_window, profile.call_window);
  State& s = *state_;
  s.windows.push_back(campaign_.call_window);
  s.window_sources.push_back(profile.name == "NONE" ? "campaign" : "campaign ∩ " + profile.name);
  // One combined rule per region: the intersection of its windows and the smallest cap.
  for (const RegionRule& rule : profile.region_rules) {
    auto it = std::find_if(s.regions.begin(), s.regions.end(),
                           [&](const State::Region& r) { return r.code == rule.region; });
    if (it == s.regions.end()) {
      s.regions.push_back({rule.region, static_cast<int>(s.windows.size()), 0});
      s.windows.push_back(s.windows[0]);
      s.window_sources.push_back(s.window_sources[0] + " ∩ " + rule.region);
      it = s.regions.end() - 1;
    }
    if (rule.call_window)
      s.windows[it->window] = CallWindow::intersect(s.windows[it->window], *rule.call_window);
    if (rule.max_calls_per_24h > 0) {
      it->max_calls_per_24h = it->max_calls_per_24h > 0
                                  ? std::min(it->max_calls_per_24h, rule.max_calls_per_24h)
                                  : rule.max_calls_per_24h;
    }
    if (rule.region.rfind("US-", 0) == 0 || rule.region.rfind("CA-", 0) == 0) {
      s.nanp_regions = true;
    }
  }
  for (const std::string& text : profile.holidays) {
    auto day = parse_date(text);
    if (!day) {
      throw Error(ErrorCode::kConfig, "compliance profile " + profile.name + ": holiday '" + text +
                                          "' is not a YYYY-MM-DD date");
    }
    s.holidays.push_back(*day);
  }
  std::sort(s.holidays.begin(), s.holidays.end());
  s.holidays.erase(std::unique(s.holidays.begin(), s.holidays.end()), s.holidays.end());
}

QueueGenerator::~QueueGenerator() = default;
QueueGenerator::QueueGenerator(QueueGenerator&&) noexcept = default;
QueueGenerator& QueueGenerator::operator=(QueueGenerator&&) noexcept = default;

ZoneSetId QueueGenerator::zone_set_for(const Contact& contact, const PhoneNumber& number) {
  return zone_set_of(contact.time_zone, view_of(number));
}

ZoneSetId QueueGenerator::zone_set_of(std::string_view time_zone, const PhoneNumberView& number) {
  if (number.zone_set != kUnknownZoneSet) return number.zone_set;
  if (!time_zone.empty()) {
    State& s = *state_;
    if (s.last_time_zone_set == kUnknownZoneSet || s.last_time_zone != time_zone) {
      s.last_time_zone_set = zones_->intern_zones({std::string(time_zone)});
      s.last_time_zone = time_zone;
    }
    return s.last_time_zone_set;
  }
  return zones_->zone_set_for(number.e164);
}

bool QueueGenerator::agent_guaranteed_for(AgentId callback_agent) const {
  // An owned callback is dialed only with its owner reserved; PREVIEW dials only for an agent.
  return callback_agent != kNoAgent || campaign_.dial_mode == DialMode::kPreview;
}

void QueueGenerator::quick_check(const ContactView& c, TimePoint now, bool agent_guaranteed,
                                 bool want_next_open, Check* out) {
  Check& k = *out;
  k = Check{};
  if (is_final(c.status)) {
    k.reason = Ineligibility::kFinalStatus;
    return;
  }
  if (campaign_.max_attempts > 0 && c.attempts >= campaign_.max_attempts) {
    k.reason = Ineligibility::kMaxAttempts;
    return;
  }
  int chosen = -1;
  const std::size_t n = c.numbers.size();
  for (std::size_t j = 0; j < n; ++j) {
    std::size_t i = (c.next_number + j) % n;
    const PhoneNumberView& number = c.numbers[i];
    if (number.invalid) continue;
    if (campaign_.max_attempts_per_number > 0 &&
        number.attempts >= campaign_.max_attempts_per_number) {
      continue;
    }
    chosen = static_cast<int>(i);
    break;
  }
  if (chosen < 0) {
    k.reason = Ineligibility::kNoValidNumber;
    return;
  }
  k.number_index = chosen;
  if (c.next_attempt_at > now) {
    k.eligible_at = c.next_attempt_at;
    k.reason = c.status == ContactStatus::kCallback ? Ineligibility::kCallbackNotDue
                                                    : Ineligibility::kRetryDelay;
    return;
  }
  State& s = *state_;
  const PhoneNumberView& number = c.numbers[chosen];
  k.zone_set = zone_set_of(c.time_zone, number);
  k.region = s.regions.empty() ? -1 : s.region_of(number.e164);
  k.window = k.region >= 0 ? s.regions[k.region].window : 0;
  const State::WindowCache& window =
      s.window_at(*zones_, k.zone_set, k.window, campaign_.fallback_time_zone, now, want_next_open);
  if (window.holiday || !window.open) {
    k.reason = window.holiday ? Ineligibility::kHoliday : Ineligibility::kOutsideCallWindow;
    if (want_next_open && window.next_allowed != TimePoint::max()) {
      k.eligible_at = window.next_allowed;
    }
    return;
  }
  const ComplianceProfile& profile = campaign_.compliance;
  if (!agent_guaranteed) {
    TimePoint until{};
    auto consider = [&](Duration span, TimePoint at, Ineligibility why) {
      if (span <= Duration(0) || no_time(at)) return;
      if (at + span > now && at + span > until) {
        until = at + span;
        k.reason = why;
        k.repeat_since = at;
      }
    };
    consider(profile.no_repeat_after_abandon, number.last_abandon_at,
             Ineligibility::kRepeatAfterAbandon);
    consider(profile.no_repeat_after_machine, number.last_machine_at,
             Ineligibility::kRepeatAfterMachine);
    if (k.reason != Ineligibility::kNone) {
      k.eligible_at = until;
      return;
    }
    // Times not recorded on the number (older data): read them from the attempt history.
    k.history_repeat =
        (profile.no_repeat_after_abandon > Duration(0) &&
         number.last_disposition == Disposition::kAbandoned && no_time(number.last_abandon_at)) ||
        (profile.no_repeat_after_machine > Duration(0) &&
         number.last_disposition == Disposition::kMachine && no_time(number.last_machine_at));
  }
  if (k.region >= 0) {
    // Attempts in the last 24 h <= lifetime attempts, and none if the last one is older.
    int cap = s.regions[k.region].max_calls_per_24h;
    k.history_cap = cap > 0 && c.attempts >= cap &&
                    (no_time(c.last_attempt_at) || c.last_attempt_at + k24h > now);
  }
}

void QueueGenerator::read_history(const HistorySubject& c, const Check& k, TimePoint now,
                                  bool agent_guaranteed, History* out) {
  History& h = *out;
  h = History{};
  if (!k.needs_history()) return;
  std::vector<Attempt> attempts = storage_->attempts_of(c.id);
  const ComplianceProfile& profile = campaign_.compliance;
  if (k.history_repeat && !agent_guaranteed) {
    auto end_of = [](const Attempt& a) { return no_time(a.ended_at) ? a.created_at : a.ended_at; };
    TimePoint abandon_at{}, machine_at{};
    const Attempt* last = nullptr;
    for (const Attempt& a : attempts) {
      if (a.number != c.e164) continue;
      if (a.disposition == Disposition::kAbandoned) abandon_at = std::max(abandon_at, end_of(a));
      // MACHINE is an AMD result (without AMD every answer is HUMAN); counted whatever
      // Attempt::amd says.
      if (a.disposition == Disposition::kMachine) machine_at = std::max(machine_at, end_of(a));
      if (last == nullptr || a.created_at >= last->created_at) last = &a;
    }
    // The number's last disposition is that of its last attempt (or, with no record of it, of
    // the contact's last attempt).
    TimePoint last_at = last ? end_of(*last) : c.last_attempt_at;
    if (c.last_disposition == Disposition::kAbandoned) {
      abandon_at = std::max(abandon_at, last_at);
    }
    if (c.last_disposition == Disposition::kMachine) {
      machine_at = std::max(machine_at, last_at);
    }
    auto consider = [&](Duration span, TimePoint at, Ineligibility why) {
      if (span <= Duration(0) || no_time(at)) return;
      if (at + span > now && at + span > h.repeat_until) {
        h.repeat_until = at + span;
        h.repeat_reason = why;
        h.repeat_since = at;
      }
    };
    consider(profile.no_repeat_after_abandon, abandon_at, Ineligibility::kRepeatAfterAbandon);
    consider(profile.no_repeat_after_machine, machine_at, Ineligibility::kRepeatAfterMachine);
  }
  if (k.history_cap) {
    int cap = state_->regions[k.region].max_calls_per_24h;
    std::vector<TimePoint> recent;
    for (const Attempt& a : attempts) {
      if (a.created_at + k24h > now) recent.push_back(a.created_at);
    }
    h.recent_calls = static_cast<int>(recent.size());
    if (h.recent_calls >= cap) {
      std::sort(recent.begin(), recent.end());
      // Dialable again once only cap - 1 of them are in the last 24 h.
      h.cap_until = recent[recent.size() - static_cast<std::size_t>(cap)] + k24h;
    }
  }
}

EligibilityReport QueueGenerator::explain(const Contact& contact, TimePoint now,
                                          std::string_view owner, bool check_storage_rules,
                                          bool agent_guaranteed) {
  EligibilityReport report;
  report.contact_id = contact.id;
  bool guaranteed = agent_guaranteed || agent_guaranteed_for(contact.callback_agent);
  Check k;
  quick_check(view_of(contact, state_->explained_numbers), now, guaranteed, true, &k);
  report.reason = k.reason;
  report.eligible_at = k.eligible_at;
  State& s = *state_;
  const ComplianceProfile& profile = campaign_.compliance;
  auto next_allowed = [&] {
    return report.eligible_at ? "; next allowed " + format_utc(*report.eligible_at) : std::string();
  };
  switch (report.reason) {
    case Ineligibility::kFinalStatus:
      report.detail = std::string("status ") + to_string(contact.status);
      return report;
    case Ineligibility::kMaxAttempts:
      report.detail = std::to_string(contact.attempts) + " attempts, cap " +
                      std::to_string(campaign_.max_attempts);
      return report;
    case Ineligibility::kNoValidNumber:
      report.detail = "no number is valid and under its per-number cap";
      return report;
    case Ineligibility::kRetryDelay:
    case Ineligibility::kCallbackNotDue:
      report.detail =
          std::string(report.reason == Ineligibility::kRetryDelay ? "retry delay after "
                                                                  : "callback scheduled; ") +
          to_string(contact.last_disposition) + "; due " + format_utc(contact.next_attempt_at);
      return report;
    case Ineligibility::kOutsideCallWindow: {
      const CallWindow& window = s.windows[k.window];
      auto names = zones_->zone_names(k.zone_set);
      if (names.empty()) names.push_back(campaign_.fallback_time_zone);
      const auto& tzs = s.zones_of(*zones_, k.zone_set, campaign_.fallback_time_zone);
      std::string detail;
      for (std::size_t i = 0; i < names.size() && i < tzs.size(); ++i) {
        cctz::civil_second local = local_time(tzs[i], now);
        int weekday = weekday_index(local);
        if (!detail.empty()) detail += "; ";
        detail += "local time " + hhmm(local.hour() * 60 + local.minute()) + " " +
                  kWeekdayNames[weekday] + " in " + names[i] + ", window on " +
                  kWeekdayNames[weekday] + "s " + range_text(window.by_weekday[weekday]);
      }
      report.detail = detail + " (" + s.window_sources[k.window] + ")";
      if (report.eligible_at) report.detail += "; opens " + format_utc(*report.eligible_at);
      return report;
    }
    case Ineligibility::kHoliday: {
      auto names = zones_->zone_names(k.zone_set);
      if (names.empty()) names.push_back(campaign_.fallback_time_zone);
      const auto& tzs = s.zones_of(*zones_, k.zone_set, campaign_.fallback_time_zone);
      std::string detail;
      for (std::size_t i = 0; i < names.size() && i < tzs.size(); ++i) {
        std::int64_t day = day_number(local_time(tzs[i], now));
        if (!s.is_holiday(day)) continue;
        if (!detail.empty()) detail += ", ";
        detail += date_text(day) + " in " + names[i];
      }
      report.detail = "holiday: " + detail + " (" + profile.name + ")" + next_allowed();
      return report;
    }
    case Ineligibility::kRepeatAfterAbandon:
    case Ineligibility::kRepeatAfterMachine: {
      bool abandon = report.reason == Ineligibility::kRepeatAfterAbandon;
      report.detail = contact.numbers[k.number_index].e164 + ": " +
                      (abandon ? "abandoned call" : "AMD machine result") + " at " +
                      format_utc(k.repeat_since) + "; no repeat within " +
                      duration_text(abandon ? profile.no_repeat_after_abandon
                                            : profile.no_repeat_after_machine) +
                      " unless an agent is guaranteed (" + profile.name + ")" + next_allowed();
      return report;
    }
    default:
      break;
  }
  const PhoneNumber& number = contact.numbers[k.number_index];
  if (k.needs_history()) {
    History h;
    read_history({contact.id, number.e164, number.last_disposition, contact.last_attempt_at}, k,
                 now, guaranteed, &h);
    report.reason = h.reason();
    if (report.reason != Ineligibility::kNone) {
      report.eligible_at = h.until();
      if (report.reason == Ineligibility::kRegionCallCap) {
        const State::Region& region = s.regions[k.region];
        report.detail = region.code + ": " + std::to_string(h.recent_calls) +
                        " calls in 24 h, cap " + std::to_string(region.max_calls_per_24h) + " (" +
                        profile.name + ")" + next_allowed();
      } else {
        bool abandon = report.reason == Ineligibility::kRepeatAfterAbandon;
        report.detail = number.e164 + ": " + (abandon ? "abandoned call" : "AMD machine result") +
                        " at " + format_utc(h.repeat_since) + "; no repeat within " +
                        duration_text(abandon ? profile.no_repeat_after_abandon
                                              : profile.no_repeat_after_machine) +
                        " unless an agent is guaranteed (" + profile.name + ")" + next_allowed();
      }
      return report;
    }
  }
  if (!check_storage_rules) return report;
  if (storage_->is_dnc(campaign_.id, number.e164)) {
    report.reason = Ineligibility::kDoNotCall;
    report.detail = number.e164 + " is on a DNC list";
    return report;
  }
  const TimePoint lease_now = lease_clock_ ? lease_clock_->now() : now;
  if (auto lease = storage_->get_lease(contact.id); lease && lease->expiry > lease_now) {
    report.reason = Ineligibility::kLeased;
    report.detail = "leased by " + lease->owner + " until " + format_utc(lease->expiry);
    report.eligible_at = now + (lease->expiry - lease_now);
    return report;
  }
  report.detail = "dialable now on " + number.e164;
  if (k.region >= 0) report.detail += " (" + s.regions[k.region].code + ")";
  return report;
}

TimePoint QueueGenerator::fill(TimePoint now, std::size_t max_entries,
                               const std::function<bool(ContactId)>& is_held,
                               std::vector<DialQueueEntry>& out) {
  TimePoint wake = TimePoint::max();
  if (max_entries == 0) return wake;
  State& s = *state_;
  while (!s.deferrals.empty() && s.deferrals.top() <= now) s.deferrals.pop();
  if (!s.deferrals.empty()) wake = std::min(wake, s.deferrals.top());
  if (s.blocks.size() > 4096) {
    std::erase_if(s.blocks, [&](const auto& item) {
      return item.second.repeat_until <= now && item.second.cap_until <= now;
    });
  }
  struct Candidate {
    DialQueueEntry entry;
    bool guaranteed = false;
    std::optional<Check> check;             // set when the history must be read
    std::optional<HistorySubject> subject;  // idem
  };
  std::vector<ContactId> done;  // decided by the checks after a scan; sorted before a rescan
  // The times contacts were deferred until by this fill (each recorded once in s.deferrals);
  // contacts of one zone share one, so it changes only between runs of contacts.
  std::set<TimePoint> deferred_until;
  TimePoint last_deferred_until = TimePoint::min();
  std::size_t accepted = 0;
  // Usually one scan. Candidates that need a storage check (DNC, history) are checked after the
  // scan (the scan's visitor may not call into storage); if some are rejected, scan again.
  // Reused across calls: a fresh vector of this size per fill was a large allocation each time.
  // (fill is not reentrant: neither the visitor nor the storage checks call back into it.)
  static thread_local std::vector<Candidate> candidates_buffer;
  std::vector<Candidate>& candidates = candidates_buffer;
  struct ClearOnExit {
    std::vector<Candidate>& v;
    ~ClearOnExit() { v.clear(); }
  } clear_on_exit{candidates};
  for (;;) {
    candidates.clear();
    const std::size_t need = max_entries - accepted;
    std::size_t plain = 0;
    std::size_t uncertain = 0;
    bool stopped = false;
    ContactScan scan;
    scan.campaign_id = campaign_.id;
    scan.due_by = now;
    // In a call (here or on another engine): a claim would fail.
    scan.skip_leased_at = lease_clock_ ? lease_clock_->now() : now;
    scan.skip = [&](ContactId id) {
      return is_held(id) || (!done.empty() && std::binary_search(done.begin(), done.end(), id));
    };
    // Views, not Contacts: most contacts visited are passed over (closed call windows). The view
    // scan never visits a contact scan.skip names.
    storage_->scan_contact_views(scan, [&](const ContactView& c) -> ScanStep {
      bool guaranteed = agent_guaranteed_for(c.callback_agent);
      Check k;
      quick_check(c, now, guaranteed, true, &k);
      if (k.reason == Ineligibility::kNone && k.needs_history()) {
        auto it = s.blocks.find(c.id);
        if (it != s.blocks.end()) {
          TimePoint until{};
          if (k.history_repeat && !guaranteed && it->second.number_index == k.number_index) {
            until = std::max(until, it->second.repeat_until);
          }
          if (k.history_cap && it->second.region == k.region) {
            until = std::max(until, it->second.cap_until);
          }
          if (until > now) {
            wake = std::min(wake, until);
            return ScanStep::next();
          }
        }
      }
      if (k.reason == Ineligibility::kNone) {
        Candidate candidate;
        candidate.entry.contact_id = c.id;
        candidate.entry.number_index = static_cast<std::uint16_t>(k.number_index);
        const PhoneNumberView& number = c.numbers[k.number_index];
        candidate.entry.number = number.e164;
        candidate.entry.callback = c.status == ContactStatus::kCallback;
        candidate.entry.callback_agent = c.callback_agent;
        candidate.guaranteed = guaranteed;
        if (k.needs_history()) {
          candidate.check = k;
          candidate.subject = HistorySubject{c.id, std::string(number.e164),
                                             number.last_disposition, c.last_attempt_at};
          ++uncertain;
        } else {
          ++plain;
        }
        candidates.push_back(std::move(candidate));
        // Stop when enough are sure to pass the history (bounding the storage reads per scan).
        if (plain >= need || uncertain >= 4 * need + 16) {
          stopped = true;
          return ScanStep::stop();
        }
        return ScanStep::next();
      }
      if (k.eligible_at &&
          (k.reason == Ineligibility::kOutsideCallWindow || k.reason == Ineligibility::kHoliday ||
           k.reason == Ineligibility::kRepeatAfterAbandon ||
           k.reason == Ineligibility::kRepeatAfterMachine)) {
        wake = std::min(wake, *k.eligible_at);
        // Closed window or holiday: nothing but time changes that, so later refills may skip
        // the contact until then (the defer_contacts hint; the memory backend honours it).
        // Recorded before the storage acts on it: fill()'s wake-up must name every reopening.
        if (k.reason == Ineligibility::kOutsideCallWindow || k.reason == Ineligibility::kHoliday) {
          if (last_deferred_until != *k.eligible_at) {
            last_deferred_until = *k.eligible_at;
            if (deferred_until.insert(last_deferred_until).second) {
              s.deferrals.push(last_deferred_until);
            }
          }
          return ScanStep::defer(*k.eligible_at);
        }
      }
      return ScanStep::next();
    });
    bool rejected = false;
    for (auto& candidate : candidates) {
      if (accepted >= max_entries) break;
      ContactId id = candidate.entry.contact_id;
      done.push_back(id);
      if (candidate.check) {
        History h;
        read_history(*candidate.subject, *candidate.check, now, candidate.guaranteed, &h);
        if (h.reason() != Ineligibility::kNone) {
          State::Block& block = s.blocks[id];
          block.number_index = candidate.check->number_index;
          block.region = candidate.check->region;
          block.repeat_until =
              h.repeat_reason != Ineligibility::kNone ? h.repeat_until : TimePoint{};
          block.cap_until = h.cap_until;
          wake = std::min(wake, h.until());
          rejected = true;
          continue;
        }
        s.blocks.erase(id);
      }
      if (storage_->is_dnc(campaign_.id, candidate.entry.number)) {
        if (auto contact = storage_->get_contact(id)) {
          contact->status = ContactStatus::kDoNotCall;
          storage_->update_contact(*contact);
        }
        rejected = true;
        continue;
      }
      out.push_back(std::move(candidate.entry));
      ++accepted;
    }
    if (accepted >= max_entries || !stopped || !rejected) break;
    std::sort(done.begin(), done.end());
  }
  return wake;
}

std::vector<std::size_t> QueueGenerator::census(TimePoint now) {
  std::vector<std::size_t> counts(kIneligibilityCount, 0);
  std::vector<Contact> open;
  ContactScan scan;
  scan.campaign_id = campaign_.id;
  scan.dialable_only = false;
  std::vector<PhoneNumberView> numbers;
  storage_->scan_contacts(scan, [&](const Contact& c) {
    Check k;
    quick_check(view_of(c, numbers), now, agent_guaranteed_for(c.callback_agent), false, &k);
    if (k.reason == Ineligibility::kNone) {
      open.push_back(c);
    } else {
      ++counts[static_cast<int>(k.reason)];
    }
    return true;
  });
  for (const Contact& c : open) {
    ++counts[static_cast<int>(explain(c, now).reason)];
  }
  return counts;
}

}  // namespace omnivox
