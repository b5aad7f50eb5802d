// A campaign's indexes in the memory backend: the ready set (a bitmap over list order per
// priority), the queue of contacts due later, deferred runs, leased bits and the external-id
// index, in CampaignData. MemoryStorage keeps them (campaign_index.cc). Internal to libomnivox.
#ifndef OMNIVOX_STORAGE_MEMORY_CAMPAIGN_INDEX_H_
#define OMNIVOX_STORAGE_MEMORY_CAMPAIGN_INDEX_H_

#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "omnivox/storage.h"
#include "storage/memory/contact_record.h"

namespace omnivox::memory {

// Dialing order: priority desc, then list_order asc.
struct OrderKey {
  std::int32_t neg_priority;
  std::uint64_t list_order;
};

// A set of OrderKeys as one bitmap over list_order per priority level: O(1) insert and erase,
// iteration in dialing order (priority desc, list order asc). list_order is dense per campaign.
// Each level also keeps a summary bitmap (bit w: word w is not empty), so an iteration jumps
// over empty stretches 4,096 list orders at a time: late in a campaign the few contacts left to
// dial are scattered over a mostly empty bitmap, and a refill must not walk all of it.
class ReadySet {
 public:
  ReadySet() = default;
  ReadySet(const ReadySet&) = delete;  // find_level's cache points into levels_
  ReadySet& operator=(const ReadySet&) = delete;
  bool insert(const OrderKey& k) {
    Level& level = levels_[k.neg_priority];
    const std::size_t word = k.list_order / 64;
    const std::uint64_t mask = std::uint64_t{1} << (k.list_order % 64);
    if (word >= level.words.size()) {
      level.words.resize(std::max(word + 1, level.words.size() * 3 / 2), 0);
      level.summary.resize((level.words.size() + 63) / 64, 0);
    }
    if (level.words[word] & mask) return false;
    level.words[word] |= mask;
    level.summary[word / 64] |= std::uint64_t{1} << (word % 64);
    return true;
  }
  std::size_t erase(const OrderKey& k) {
    Level* level = find_level(k.neg_priority);
    if (level == nullptr) return 0;
    const std::size_t word = k.list_order / 64;
    const std::uint64_t mask = std::uint64_t{1} << (k.list_order % 64);
    if (word >= level->words.size() || !(level->words[word] & mask)) return 0;
    level->words[word] &= ~mask;
    if (level->words[word] == 0) level->summary[word / 64] &= ~(std::uint64_t{1} << (word % 64));
    return 1;
  }
  bool contains(const OrderKey& k) const {
    auto it = levels_.find(k.neg_priority);
    if (it == levels_.end()) return false;
    const std::size_t word = k.list_order / 64;
    return word < it->second.words.size() &&
           (it->second.words[word] >> (k.list_order % 64) & 1) != 0;
  }
  // Calls fn(list_order) in dialing order until it returns false, leaving out the list orders
  // set in `masked` (a bitmap over list order) when given.
  template <typename Fn>
  void for_each(Fn&& fn, const std::vector<std::uint64_t>* masked = nullptr) {
    for (auto& [priority, level] : levels_) {
      for (std::size_t s = 0; s < level.summary.size(); ++s) {
        std::uint64_t words = level.summary[s];
        while (words != 0) {
          const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(words));
          words &= words - 1;
          std::uint64_t bits = level.words[w];
          if (masked != nullptr && w < masked->size()) bits &= ~(*masked)[w];
          while (bits != 0) {
            const int bit = std::countr_zero(bits);
            bits &= bits - 1;
            if (!fn(w * 64 + static_cast<std::uint64_t>(bit))) return;
          }
        }
      }
    }
  }

 private:
  struct Level {
    std::vector<std::uint64_t> words;
    std::vector<std::uint64_t> summary;  // bit w set: words[w] != 0
  };
  // The level of a priority, or nullptr. Runs of erases (a refill's deferrals) mostly hit one
  // level: the last one found is remembered (map nodes are stable, levels never removed).
  Level* find_level(std::int32_t neg_priority) {
    if (last_found_ != nullptr && last_found_priority_ == neg_priority) return last_found_;
    auto it = levels_.find(neg_priority);
    if (it == levels_.end()) return nullptr;
    last_found_priority_ = neg_priority;
    last_found_ = &it->second;
    return last_found_;
  }
  std::map<std::int32_t, Level> levels_;
  std::int32_t last_found_priority_ = 0;
  Level* last_found_ = nullptr;
};

// A dialable contact not in the ready set until `due_ms` (its retry time, or a deferral).
struct WaitingEntry {
  std::int64_t due_ms;
  std::uint32_t index;  // contact id - 1
  bool operator>(const WaitingEntry& o) const { return due_ms > o.due_ms; }
};

// Entries (a contact and a time it is due) taken earliest first. They mostly arrive in due order
// per delay (retries with one delay per disposition, leases with one TTL, as time goes forward):
// those go to up to eight FIFO runs, O(1), where a heap over every waiting contact costs a sift
// (and its cache misses) each; the rest to a heap.
class DueQueue {
 public:
  // Best fit: the run with the latest end at or before the entry's time. Due times are "now +
  // a delay", and a campaign has a few delays (its retry rules, the lease time): each delay's
  // entries arrive in order and end up in a run of their own.
  void push(const WaitingEntry& e) {
    std::deque<WaitingEntry>* best = nullptr;
    for (auto& run : runs_) {
      if (run.empty() || run.back().due_ms <= e.due_ms) {
        if (!best || best->empty() || (!run.empty() && run.back().due_ms > best->back().due_ms)) {
          best = &run;
        }
      }
    }
    if (!best && runs_.size() < kMaxRuns) best = &runs_.emplace_back();
    earliest_ms_ = std::min(earliest_ms_, e.due_ms);
    if (best) {
      best->push_back(e);
    } else {
      heap_.push_back(e);
      std::push_heap(heap_.begin(), heap_.end(), std::greater<WaitingEntry>{});
    }
  }
  // Takes the earliest entry due at or before `now_ms` into `out`; false if none.
  bool pop_due(std::int64_t now_ms, WaitingEntry& out) {
    if (now_ms < earliest_ms_) return false;  // most calls: nothing due yet
    std::deque<WaitingEntry>* first = nullptr;
    for (auto& run : runs_) {
      if (!run.empty() && (!first || run.front().due_ms < first->front().due_ms)) first = &run;
    }
    const bool from_run = first && first->front().due_ms <= now_ms;
    const bool from_heap = !heap_.empty() && heap_.front().due_ms <= now_ms;
    if (!from_run && !from_heap) {
      earliest_ms_ = std::min(first ? first->front().due_ms : kNever,
                              heap_.empty() ? kNever : heap_.front().due_ms);
      return false;
    }
    if (from_run && (!from_heap || first->front().due_ms <= heap_.front().due_ms)) {
      out = first->front();
      first->pop_front();
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<WaitingEntry>{});
      out = heap_.back();
      heap_.pop_back();
    }
    earliest_ms_ = out.due_ms;  // a lower bound: the next call looks again
    return true;
  }
  std::size_t size() const {
    std::size_t n = heap_.size();
    for (const auto& run : runs_) n += run.size();
    return n;
  }
  // Moves every entry to the end of `out`, in no order.
  void drain_into(std::vector<WaitingEntry>& out) {
    for (auto& run : runs_) {
      out.insert(out.end(), run.begin(), run.end());
      run.clear();
    }
    out.insert(out.end(), heap_.begin(), heap_.end());
    heap_.clear();
    earliest_ms_ = kNever;
  }

 private:
  static constexpr std::size_t kMaxRuns = 8;
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  // No entry is due before this (a lower bound of the earliest due time).
  std::int64_t earliest_ms_ = kNever;
  std::vector<std::deque<WaitingEntry>> runs_;  // each in due order
  std::vector<WaitingEntry> heap_;              // the rest
};

// A campaign's contacts by (list, external id), the key that makes add_contact idempotent: a
// flat set of contact indexes (about 11 bytes a contact) whose hash and equality read the keys
// from the records, so no key is stored twice.
struct ExternalKey {
  std::uint32_t list_name;  // interned
  std::string_view external_id;
};
struct ExternalKeyOps {
  using is_transparent = void;
  const std::vector<ContactRecord>* records;
  ExternalKey key(std::uint32_t index) const {
    const ContactRecord& r = (*records)[index];
    return {r.list_name, r.external_id.view()};
  }
  ExternalKey key(const ExternalKey& k) const { return k; }
  template <class A>
  std::size_t operator()(const A& a) const {
    const ExternalKey k = key(a);
    return absl::Hash<std::pair<std::uint32_t, std::string_view>>{}({k.list_name, k.external_id});
  }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    const ExternalKey x = key(a), y = key(b);
    return x.list_name == y.list_name && x.external_id == y.external_id;
  }
};
using ExternalIdIndex = absl::flat_hash_set<std::uint32_t, ExternalKeyOps, ExternalKeyOps>;

struct CampaignData {
  explicit CampaignData(const std::vector<ContactRecord>* records)
      : by_external_id(0, ExternalKeyOps{records}, ExternalKeyOps{records}) {}
  std::string id;
  CampaignConfig config;
  bool has_config = false;
  std::vector<ContactList> lists;
  // Every contact, in dialing order (for full scans).
  ReadySet all;
  std::size_t contact_count = 0;
  // Dialable contacts (NEW, RETRY) due at or before `promoted_until`, in dialing order: a scan
  // for dialable contacts visits these, not the whole campaign.
  ReadySet ready;
  std::vector<std::uint32_t> by_list_order;  // [list_order - 1] = contact id - 1
  // Dialable contacts not in `ready`, by due time, promoted into `ready` as scans pass their
  // time. Lazy: an entry whose contact changed since is skipped when it comes up (and the queue
  // is compacted when stale entries pile up).
  DueQueue waiting;
  // Contacts deferred (defer_contacts) until a time, by that time: also out of `ready` until
  // then, and promoted (and skipped when stale) as waiting entries are. A refill defers runs of
  // contacts of one zone to one time: a deferral appends 4 bytes to its run, no heap push.
  std::map<std::int64_t, std::vector<std::uint32_t>> deferred;
  std::size_t deferred_entries = 0;                // over every run
  std::vector<std::uint32_t>* last_run = nullptr;  // deferred[last_run_until], or null
  std::int64_t last_run_until = 0;
  std::int64_t promoted_until_ms = 0;  // epoch: new contacts (due at epoch) go straight to ready
  // Contacts under a lease, as a bitmap over list order, and their lease expiries as a lazy
  // min-heap of (expiry, contact index): a scan asked to leave out leased contacts
  // (ContactScan::skip_leased_at) first clears the bits of leases that ran out, then masks the
  // ready set with the rest, so the contacts in calls cost nothing per refill.
  std::vector<std::uint64_t> leased;
  DueQueue lease_expiries;
  // Contacts with status CALLBACK, by due time.
  std::set<std::pair<TimePoint, ContactId>> callbacks;
  std::uint64_t next_list_order = 1;
  std::vector<std::size_t> by_status = std::vector<std::size_t>(7, 0);
  std::vector<JournalEntry> journal;
  ExternalIdIndex by_external_id;
};

}  // namespace omnivox::memory

#endif  // OMNIVOX_STORAGE_MEMORY_CAMPAIGN_INDEX_H_
