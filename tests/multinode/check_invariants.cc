// Checks the engine core's invariants over what a Storage holds for one campaign, after several
// engines ran it (or one was killed and restarted):
//   - call ids are unique; each contact's attempt numbers are unique and its attempt count
//     equals its recorded attempts (every attempt recorded exactly once);
//   - exclusion: no two attempts of one contact overlap in time (no contact dialed twice at once,
//     i.e. never held by two engines' leases while dialing);
//   - each (list, external id) is stored once (imports, concurrent or resumed, never duplicate);
//   - with --closed: no attempt is left open, and every contact is final or retryable;
//   - with --contacts N: the campaign has exactly N contacts (an import lost none);
//   - with --max-abandon-rate R: abandons / live answers over the campaign's attempts is at
//     most R (the campaign's rate, whichever engines placed the calls);
//   - with --audit-cap: the compliance audit (omnivox/audit.h) of the campaign's records under
//     its stored profile finds no window over the abandon cap, AMD machine results counted as
//     the profile says.
// Usage: omnivox_check_invariants --storage URL --campaign ID [--closed] [--contacts N]
//                                 [--max-abandon-rate R] [--audit-cap]
// Prints a one-line summary; exit 0 when every invariant holds, 1 otherwise (each violation is
// printed), 2 on bad usage.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "omnivox/audit.h"
#include "omnivox/call_window.h"
#include "omnivox/storage_url.h"

int main(int argc, char** argv) {
  std::string url, campaign;
  bool require_closed = false;
  long expected_contacts = -1;
  double max_abandon_rate = -1;
  bool audit_cap = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--storage") && i + 1 < argc) {
      url = argv[++i];
    } else if (!std::strcmp(argv[i], "--campaign") && i + 1 < argc) {
      campaign = argv[++i];
    } else if (!std::strcmp(argv[i], "--closed")) {
      require_closed = true;
    } else if (!std::strcmp(argv[i], "--contacts") && i + 1 < argc) {
      expected_contacts = std::atol(argv[++i]);
    } else if (!std::strcmp(argv[i], "--max-abandon-rate") && i + 1 < argc) {
      max_abandon_rate = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--audit-cap")) {
      audit_cap = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s --storage URL --campaign ID [--closed] [--contacts N] "
                   "[--max-abandon-rate R] [--audit-cap]\n",
                   argv[0]);
      return 2;
    }
  }
  if (url.empty() || campaign.empty()) {
    std::fprintf(stderr,
                 "usage: %s --storage URL --campaign ID [--closed] [--contacts N] "
                 "[--max-abandon-rate R] [--audit-cap]\n",
                 argv[0]);
    return 2;
  }
  using namespace omnivox;
  try {
    auto storage = open_storage(url);
    std::vector<Contact> contacts;
    ContactScan all;
    all.campaign_id = campaign;
    all.dialable_only = false;
    storage->scan_contacts(all, [&](const Contact& c) {
      contacts.push_back(c);
      return true;
    });
    std::map<ContactId, std::vector<Attempt>> by_contact;
    std::set<CallId> ids;
    long attempts = 0, open = 0, violations = 0, live = 0, abandoned = 0;
    auto violation = [&](const std::string& what) {
      if (++violations <= 20) std::printf("VIOLATION %s\n", what.c_str());
    };
    storage->scan_attempts(campaign, [&](const Attempt& a) {
      ++attempts;
      if (a.disposition == Disposition::kNone) ++open;
      // A live answer: a person answered (bridged to an agent, or abandoned waiting for one).
      if (a.disposition == Disposition::kAbandoned) ++abandoned, ++live;
      if (a.disposition != Disposition::kAbandoned && a.bridged_at != TimePoint{}) ++live;
      if (!ids.insert(a.call_id).second) {
        violation("call id " + std::to_string(a.call_id) + " recorded twice");
      }
      by_contact[a.contact_id].push_back(a);
      return true;
    });
    std::set<std::pair<std::string, std::string>> keys;
    for (const Contact& c : contacts) {
      if (!c.external_id.empty() && !keys.insert({c.list_name, c.external_id}).second) {
        violation("list " + c.list_name + ": external id " + c.external_id + " stored twice");
      }
    }
    if (expected_contacts >= 0 && static_cast<long>(contacts.size()) != expected_contacts) {
      violation(std::to_string(contacts.size()) + " contacts stored, " +
                std::to_string(expected_contacts) + " expected");
    }
    std::size_t final_or_retryable = 0;
    for (const Contact& c : contacts) {
      std::vector<Attempt>& list = by_contact[c.id];
      std::string who = "contact " + std::to_string(c.id) + " (" + c.external_id + ")";
      if (static_cast<std::size_t>(c.attempts) != list.size()) {
        violation(who + ": counts " + std::to_string(c.attempts) + " attempts, " +
                  std::to_string(list.size()) + " recorded");
      }
      std::set<int> numbers;
      for (const Attempt& a : list) {
        if (!numbers.insert(a.attempt_number).second) {
          violation(who + ": attempt number " + std::to_string(a.attempt_number) + " twice");
        }
      }
      std::sort(list.begin(), list.end(),
                [](const Attempt& x, const Attempt& y) { return x.created_at < y.created_at; });
      for (std::size_t i = 1; i < list.size(); ++i) {
        const Attempt& before = list[i - 1];
        bool still_open = before.ended_at == TimePoint{};
        if (still_open || before.ended_at > list[i].created_at) {
          violation(who + ": call " + std::to_string(list[i].call_id) + " started while call " +
                    std::to_string(before.call_id) + " was live");
        }
      }
      bool retryable = c.status == ContactStatus::kRetry || c.status == ContactStatus::kCallback ||
                       (c.status == ContactStatus::kNew && list.empty());
      if (is_final(c.status) || retryable) {
        ++final_or_retryable;
      } else if (require_closed) {
        violation(who + ": status " + to_string(c.status) + " with " + std::to_string(list.size()) +
                  " attempts");
      }
    }
    if (require_closed && open > 0) violation(std::to_string(open) + " attempts still open");
    const double abandon_rate = live ? static_cast<double>(abandoned) / live : 0.0;
    if (max_abandon_rate >= 0 && abandon_rate > max_abandon_rate) {
      violation("abandon rate " + std::to_string(abandon_rate) + " (" + std::to_string(abandoned) +
                " of " + std::to_string(live) + " live answers) over " +
                std::to_string(max_abandon_rate));
    }
    if (max_abandon_rate >= 0) {
      std::printf("live answers %ld, abandons %ld, abandon rate %.4f\n", live, abandoned,
                  abandon_rate);
    }
    if (audit_cap) {
      const std::optional<CampaignConfig> config = storage->get_campaign(campaign);
      if (!config) {
        violation("campaign " + campaign + " not stored");
      } else {
        TimeZoneMap zones;
        const ComplianceAudit audit = audit_campaign(*storage, *config, zones);
        long machines = 0;
        for (const auto& [id, list] : by_contact) {
          for (const Attempt& a : list) machines += a.amd == AmdResult::kMachine;
        }
        std::printf(
            "audit: AMD machines %ld, highest counted rate %.4f (abandons alone %.4f), "
            "cap breaches %ld\n",
            machines, audit.max_window_rate, audit.max_window_abandon_rate, audit.cap_breaches);
        if (audit.cap_breaches > 0) {
          violation("audit: " + std::to_string(audit.cap_breaches) + " cap breaches; e.g. " +
                    (audit.examples.empty() ? std::string() : audit.examples.front()));
        }
      }
    }
    std::printf("contacts %zu, attempts %ld, open %ld, final or retryable %zu, violations %ld\n",
                contacts.size(), attempts, open, final_or_retryable, violations);
    return violations == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omnivox_check_invariants: %s\n", e.what());
    return 1;
  }
}
