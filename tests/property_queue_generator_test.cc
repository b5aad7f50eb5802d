// Property tests of the queue generator (docs/architecture.md, Eligibility) over random campaigns:
// contacts with random numbers in a dozen time zones (and zone overrides), statuses, attempt counts
// and histories, retry and callback times, invalid numbers, DNC entries, leases of this and another
// owner, held contacts, priorities, at a random instant of a week, under the NONE, US_FTC_FCC,
// UK_OFCOM and CA_CRTC profiles, from fixed seeds. Checked, against rules recomputed here:
//   - fill() never yields a held contact, a final one, one at its attempt cap, a number that is
//     invalid or at its per-number cap or not the first usable one from next_number, a contact
//     before its retry / callback time, outside the call window in any zone of its number, on a
//     DNC list, or inside a repeat window (UK_OFCOM, no agent guaranteed);
//   - it yields exactly the contacts explain() calls dialable (NONE; LEASED ones may be left out,
//     see ContactScan::skip_leased_at), in the documented order — due callbacks first (by
//     due time), then priority (higher first), then list order — and a smaller fill is a prefix
//     of a larger one;
//   - contacts explain() finds on a DNC list are marked DNC by fill();
//   - census() counts each reason exactly as explain() gives it.
// A failure prints the seed, the case, and a minimal world (contacts removed while it fails).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "omnivox/queue_generator.h"

namespace omnivox {
namespace {

const TimePoint kMonday = parse_utc("2026-05-04T00:00:00Z");
const std::string kMe = "me", kOther = "other";

// One contact of a random world, with what storage holds around it.
struct ContactSpec {
  Contact contact;
  std::vector<std::string> dnc_lists;                      // "global" / campaign id, for numbers[0]
  std::optional<std::pair<std::string, TimePoint>> lease;  // owner, claimed at (ttl 5 min)
  std::vector<Attempt> history;
  bool held = false;
};

struct WorldSpec {
  CampaignConfig campaign;
  TimePoint now{};
  std::vector<ContactSpec> contacts;
  std::size_t partial = 1;  // capacity of the smaller fill
};

std::string describe(const ContactSpec& s) {
  const Contact& c = s.contact;
  std::ostringstream out;
  out << "contact " << c.external_id << " status " << to_string(c.status) << " attempts "
      << c.attempts << " prio " << c.priority << " next_at " << format_utc(c.next_attempt_at)
      << " next_number " << c.next_number << " tz '" << c.time_zone << "' cb_agent "
      << (c.callback_agent == kNoAgent ? -1 : static_cast<int>(c.callback_agent));
  for (const auto& n : c.numbers) {
    out << "\n      " << n.e164 << " attempts " << n.attempts << (n.invalid ? " invalid" : "")
        << " last " << to_string(n.last_disposition);
    if (n.last_abandon_at != TimePoint{}) out << " abandon@" << format_utc(n.last_abandon_at);
    if (n.last_machine_at != TimePoint{}) out << " machine@" << format_utc(n.last_machine_at);
  }
  for (const auto& l : s.dnc_lists) out << "\n      DNC on " << l;
  if (s.lease) out << "\n      lease " << s.lease->first << " @" << format_utc(s.lease->second);
  for (const auto& a : s.history) {
    out << "\n      attempt " << a.number << " " << to_string(a.disposition) << " @"
        << format_utc(a.created_at);
  }
  if (s.held) out << "\n      held";
  return out.str();
}

std::string describe(const WorldSpec& w) {
  std::ostringstream out;
  out << "profile " << w.campaign.compliance.name << ", now " << format_utc(w.now) << ", window "
      << w.campaign.call_window.by_weekday[0].start_minute << "-"
      << w.campaign.call_window.by_weekday[0].end_minute << ", max_attempts "
      << w.campaign.max_attempts << " per number " << w.campaign.max_attempts_per_number
      << ", mode " << to_string(w.campaign.dial_mode) << ", partial " << w.partial;
  for (const auto& c : w.contacts) out << "\n    " << describe(c);
  return out.str();
}

WorldSpec random_world(std::mt19937_64& rng) {
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto minutes = [&](int lo, int hi) {
    return std::chrono::minutes(std::uniform_int_distribution<int>(lo, hi)(rng));
  };
  WorldSpec w;
  CampaignConfig& c = w.campaign;
  c.id = "prop";
  const ComplianceProfile profiles[] = {ComplianceProfile::none(), ComplianceProfile::us_ftc_fcc(),
                                        ComplianceProfile::uk_ofcom(),
                                        ComplianceProfile::ca_crtc()};
  c.compliance = profiles[pick(4)];
  c.call_window = CallWindow::every_day(7 * 60 + pick(5) * 60, 17 * 60 + pick(6) * 60);
  c.max_attempts = std::array{0, 3, 5}[pick(3)];
  c.max_attempts_per_number = chance(0.3) ? 2 : 0;
  c.dial_mode = chance(0.15) ? DialMode::kPreview : DialMode::kProgressive;
  w.now = kMonday + minutes(0, 7 * 24 * 60 - 1);

  // Numbers by zone (none in Florida: its region rule is not recomputed here).
  const char* prefixes[] = {"+1212555", "+1312555", "+1303555", "+1213555", "+1907555", "+1808555",
                            "+35121",   "+4420794", "+6129",    "+8135",    "+5511",    "+1416555"};
  const char* zones[] = {"America/New_York", "Europe/Lisbon", "Asia/Tokyo", "Australia/Perth",
                         "Pacific/Honolulu"};
  const ContactStatus statuses[] = {ContactStatus::kNew,       ContactStatus::kNew,
                                    ContactStatus::kRetry,     ContactStatus::kRetry,
                                    ContactStatus::kCallback,  ContactStatus::kDone,
                                    ContactStatus::kDoNotCall, ContactStatus::kExhausted};
  const Disposition lasts[] = {Disposition::kNone, Disposition::kNoAnswer, Disposition::kBusy,
                               Disposition::kAbandoned, Disposition::kMachine};
  int n = 5 + pick(36);
  for (int i = 0; i < n; ++i) {
    ContactSpec s;
    Contact& ct = s.contact;
    ct.campaign_id = c.id;
    ct.external_id = "c" + std::to_string(i);
    ct.priority = pick(5) - 2;
    ct.status = statuses[pick(8)];
    ct.attempts = static_cast<std::uint16_t>(ct.status == ContactStatus::kNew ? 0 : pick(7));
    if (chance(0.15)) ct.time_zone = zones[pick(5)];
    int numbers = 1 + pick(3);
    for (int k = 0; k < numbers; ++k) {
      PhoneNumber num;
      std::string digits = std::to_string(1000000 + i * 10 + k).substr(1);
      num.e164 = std::string(prefixes[pick(12)]) + digits;
      num.invalid = chance(0.1);
      num.attempts = static_cast<std::uint16_t>(pick(4));
      num.last_disposition = lasts[pick(5)];
      if (num.last_disposition == Disposition::kAbandoned && chance(0.7)) {
        num.last_abandon_at = w.now - minutes(0, 100 * 60);
      }
      if (num.last_disposition == Disposition::kMachine && chance(0.7)) {
        num.last_machine_at = w.now - minutes(0, 30 * 60);
      }
      ct.numbers.push_back(num);
    }
    ct.next_number = static_cast<std::uint16_t>(pick(numbers));
    if (ct.status != ContactStatus::kNew || chance(0.1)) {
      ct.next_attempt_at = w.now + minutes(-180, 180);
    }
    if (ct.status == ContactStatus::kCallback && chance(0.3)) ct.callback_agent = 0;
    if (chance(0.1)) s.dnc_lists.push_back(chance(0.5) ? "global" : c.id);
    if (chance(0.2)) s.lease = {{chance(0.5) ? kMe : kOther, w.now - minutes(0, 10)}};
    if (chance(0.3)) {
      // Some history on the first number (the repeat rules' fallback reads it).
      for (int k = 0, m = 1 + pick(3); k < m; ++k) {
        Attempt a;
        a.campaign_id = c.id;
        a.number = ct.numbers[0].e164;
        a.attempt_number = static_cast<std::uint16_t>(k + 1);
        a.disposition = lasts[1 + pick(4)];
        a.state = CallState::kCompleted;
        a.created_at = w.now - minutes(0, 96 * 60);
        a.ended_at = a.created_at + std::chrono::seconds(40);
        s.history.push_back(a);
      }
    }
    s.held = chance(0.1);
    w.contacts.push_back(s);
  }
  w.partial = 1 + static_cast<std::size_t>(pick(n));
  return w;
}

// Weekday (0 = Sunday) and minute of day of a "YYYY-MM-DD HH:MM:SS" local time.
std::pair<int, int> weekday_and_minute(const std::string& local) {
  using namespace std::chrono;
  year_month_day ymd{year{std::stoi(local.substr(0, 4))},
                     month{static_cast<unsigned>(std::stoi(local.substr(5, 2)))},
                     day{static_cast<unsigned>(std::stoi(local.substr(8, 2)))}};
  int weekday = static_cast<int>(std::chrono::weekday{sys_days{ymd}}.c_encoding());
  return {weekday, std::stoi(local.substr(11, 2)) * 60 + std::stoi(local.substr(14, 2))};
}

// Builds the world in a fresh storage and checks every property; the first violation, or nullopt.
// What the worlds covered (so a generator that yields nothing cannot pass vacuously).
struct Coverage {
  std::size_t yielded = 0;
  std::set<Ineligibility> reasons;
};

std::optional<std::string> check(const WorldSpec& w, TimeZoneMap& zones,
                                 Coverage* coverage = nullptr) {
  auto storage = make_memory_storage();
  storage->put_campaign(w.campaign);
  std::map<ContactId, const ContactSpec*> spec_of;
  std::set<ContactId> held;
  CallId next_call = 1;
  for (const ContactSpec& s : w.contacts) {
    Contact c = s.contact;
    for (auto& n : c.numbers) {
      n.zone_set =
          c.time_zone.empty() ? zones.zone_set_for(n.e164) : zones.intern_zones({c.time_zone});
    }
    ContactId id = storage->add_contact(c);
    c.id = id;
    c.list_order = storage->get_contact(id)->list_order;
    storage->update_contact(c);
    spec_of[id] = &s;
    for (const auto& list : s.dnc_lists) storage->add_dnc(list, c.numbers[0].e164);
    if (s.lease) {
      const ContactId ids[1] = {id};
      storage->claim_leases(ids, s.lease->first, s.lease->second, std::chrono::minutes(5));
    }
    for (Attempt a : s.history) {
      a.call_id = next_call++;
      a.contact_id = id;
      storage->put_attempt(a);
    }
    if (s.held) held.insert(id);
  }
  std::map<ContactId, Contact> before;
  ContactScan all;
  all.campaign_id = w.campaign.id;
  all.dialable_only = false;
  storage->scan_contacts(all, [&](const Contact& c) {
    before[c.id] = c;
    return true;
  });
  auto who = [&](ContactId id) {
    return "contact " + spec_of.at(id)->contact.external_id + " (id " + std::to_string(id) + ")";
  };

  // explain() and census() agree.
  std::map<ContactId, Ineligibility> reason;
  std::vector<std::size_t> counted(kIneligibilityCount, 0);
  {
    QueueGenerator gen(w.campaign, storage.get(), &zones);
    for (const auto& [id, c] : before) {
      reason[id] = gen.explain(c, w.now, kMe).reason;
      ++counted[static_cast<int>(reason[id])];
    }
    std::vector<std::size_t> census =
        QueueGenerator(w.campaign, storage.get(), &zones).census(w.now);
    for (int r = 0; r < kIneligibilityCount; ++r) {
      if (census[r] != counted[r]) {
        return "census counts " + std::to_string(census[r]) + " " +
               to_string(static_cast<Ineligibility>(r)) + ", explain gives " +
               std::to_string(counted[r]);
      }
    }
  }

  auto is_held = [&](ContactId id) { return held.count(id) > 0; };
  std::vector<DialQueueEntry> partial, full;
  QueueGenerator(w.campaign, storage.get(), &zones).fill(w.now, w.partial, is_held, partial);
  QueueGenerator(w.campaign, storage.get(), &zones).fill(w.now, before.size() + 10, is_held, full);

  if (partial.size() > w.partial) return "a fill yielded more than its capacity";
  if (partial.size() != std::min(w.partial, full.size())) {
    return "a fill of " + std::to_string(w.partial) + " yielded " + std::to_string(partial.size()) +
           " of " + std::to_string(full.size()) + " dialable";
  }
  for (std::size_t i = 0; i < partial.size(); ++i) {
    if (partial[i].contact_id != full[i].contact_id) {
      return "the smaller fill is not a prefix of the larger at " + std::to_string(i) + ": " +
             who(partial[i].contact_id) + " vs " + who(full[i].contact_id);
    }
  }

  if (coverage) {
    coverage->yielded += full.size();
    for (const auto& [id, r] : reason) coverage->reasons.insert(r);
  }
  // Exactly the dialable ones; LEASED ones may be yielded or not (ContactScan::skip_leased_at is
  // a hint: the memory backend leaves them out, others yield them and the claim sorts it out).
  std::set<ContactId> yielded;
  for (const auto& e : full) {
    if (!yielded.insert(e.contact_id).second) return who(e.contact_id) + " yielded twice";
  }
  for (const auto& [id, r] : reason) {
    bool dialable = r == Ineligibility::kNone;
    if (!held.count(id) && r != Ineligibility::kLeased && dialable != yielded.count(id) > 0) {
      return who(id) + ": explain says " + to_string(r) + " but fill " +
             (yielded.count(id) ? "yielded it" : "did not yield it");
    }
    auto lease = storage->get_lease(id);
    const bool leased = lease && lease->expiry > w.now;  // may be left out: not seen, not marked
    if (!held.count(id) && !leased && r == Ineligibility::kDoNotCall &&
        storage->get_contact(id)->status != ContactStatus::kDoNotCall) {
      return who(id) + ": on a DNC list but not marked DNC by fill";
    }
  }

  // Each yielded entry against the rules recomputed here.
  const CampaignConfig& cc = w.campaign;
  const CallWindow window = CallWindow::intersect(cc.call_window, cc.compliance.call_window);
  const bool preview = cc.dial_mode == DialMode::kPreview;
  for (const DialQueueEntry& e : full) {
    const Contact& c = before.at(e.contact_id);
    const std::string id = who(e.contact_id);
    if (held.count(c.id)) return id + ": held but yielded";
    if (is_final(c.status)) return id + ": final status " + to_string(c.status) + " yielded";
    if (cc.max_attempts > 0 && c.attempts >= cc.max_attempts) return id + ": at its attempt cap";
    if (c.next_attempt_at > w.now) return id + ": yielded before its retry/callback time";
    // The first usable number from next_number.
    std::optional<std::size_t> first;
    for (std::size_t j = 0; j < c.numbers.size() && !first; ++j) {
      std::size_t i = (c.next_number + j) % c.numbers.size();
      const PhoneNumber& n = c.numbers[i];
      if (!n.invalid &&
          !(cc.max_attempts_per_number > 0 && n.attempts >= cc.max_attempts_per_number)) {
        first = i;
      }
    }
    if (!first || *first != e.number_index) return id + ": not its first usable number";
    const PhoneNumber& number = c.numbers[e.number_index];
    if (e.number != number.e164) return id + ": entry number differs from the contact's";
    auto names = zones.zone_names(number.zone_set);
    if (names.empty()) names.push_back(cc.fallback_time_zone);
    for (const auto& zone : names) {
      auto [weekday, minute] = weekday_and_minute(TimeZoneMap::local_time_string(zone, w.now));
      if (!window.by_weekday[weekday].contains(minute)) {
        return id + ": yielded at local " + TimeZoneMap::local_time_string(zone, w.now) + " in " +
               zone + ", outside the window";
      }
    }
    if (storage->is_dnc(cc.id, number.e164)) return id + ": number on a DNC list";
    const bool guaranteed = preview || c.callback_agent != kNoAgent;
    const ComplianceProfile& p = cc.compliance;
    if (!guaranteed && p.no_repeat_after_abandon > Duration(0)) {
      TimePoint abandon = number.last_abandon_at;
      if (abandon == TimePoint{} && number.last_disposition == Disposition::kAbandoned) {
        for (const Attempt& a : spec_of.at(c.id)->history) {
          if (a.number == number.e164 && a.disposition == Disposition::kAbandoned) {
            abandon = std::max(abandon, a.ended_at);
          }
        }
      }
      if (abandon != TimePoint{} && abandon + p.no_repeat_after_abandon > w.now) {
        return id + ": yielded inside the repeat window after an abandon";
      }
    }
    if (!guaranteed && p.no_repeat_after_machine > Duration(0) &&
        number.last_machine_at != TimePoint{} &&
        number.last_machine_at + p.no_repeat_after_machine > w.now) {
      return id + ": yielded inside the repeat window after an AMD machine";
    }
    if (e.callback != (c.status == ContactStatus::kCallback)) return id + ": callback flag wrong";
  }
  // Order: due callbacks (by due time), then priority (higher first), then list order.
  for (std::size_t i = 1; i < full.size(); ++i) {
    const Contact& a = before.at(full[i - 1].contact_id);
    const Contact& b = before.at(full[i].contact_id);
    // Due callbacks among themselves by due time, then id (every backend orders them so; the
    // Storage header only says "first"); the rest by priority, then list order.
    auto key = [](const Contact& c) {
      bool cb = c.status == ContactStatus::kCallback;
      return std::make_tuple(cb ? 0 : 1, cb ? c.next_attempt_at : TimePoint{},
                             cb ? std::int64_t{0} : -static_cast<std::int64_t>(c.priority),
                             cb ? c.id : c.list_order);
    };
    if (key(b) < key(a)) {
      return "order: " + who(b.id) + " (prio " + std::to_string(b.priority) + ") after " +
             who(a.id) + " (prio " + std::to_string(a.priority) + ")";
    }
  }
  return std::nullopt;
}

// Removes contacts one at a time while the world still fails.
WorldSpec shrink(WorldSpec w, TimeZoneMap& zones) {
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t i = 0; i < w.contacts.size(); ++i) {
      WorldSpec smaller = w;
      smaller.contacts.erase(smaller.contacts.begin() + static_cast<std::ptrdiff_t>(i));
      smaller.partial =
          std::min(smaller.partial, std::max<std::size_t>(1, smaller.contacts.size()));
      if (!smaller.contacts.empty() && check(smaller, zones)) {
        w = std::move(smaller);
        progress = true;
        break;
      }
    }
  }
  return w;
}

TEST(QueueGeneratorProperties, RandomWorldsKeepEveryRule) {
  TimeZoneMap zones = TimeZoneMap::load(TimeZoneMap::default_path());
  constexpr std::uint64_t kSeeds[] = {1, 2, 20260504};
  constexpr int kWorldsPerSeed = 150;
  Coverage coverage;
  for (std::uint64_t seed : kSeeds) {
    std::mt19937_64 rng(seed);
    for (int n = 0; n < kWorldsPerSeed; ++n) {
      WorldSpec w = random_world(rng);
      if (auto broken = check(w, zones, &coverage)) {
        WorldSpec minimal = shrink(w, zones);
        FAIL() << "seed " << seed << ", world " << n << ": " << *broken << "\nminimal world ("
               << minimal.contacts.size() << " contacts): " << check(minimal, zones).value_or("?")
               << "\n  " << describe(minimal);
      }
    }
  }
  EXPECT_GT(coverage.yielded, 500u);
  for (Ineligibility r :
       {Ineligibility::kNone, Ineligibility::kFinalStatus, Ineligibility::kMaxAttempts,
        Ineligibility::kNoValidNumber, Ineligibility::kRetryDelay, Ineligibility::kCallbackNotDue,
        Ineligibility::kOutsideCallWindow, Ineligibility::kDoNotCall, Ineligibility::kLeased,
        Ineligibility::kRepeatAfterAbandon, Ineligibility::kRepeatAfterMachine}) {
    EXPECT_TRUE(coverage.reasons.count(r)) << "no world produced " << to_string(r);
  }
}

}  // namespace
}  // namespace omnivox
