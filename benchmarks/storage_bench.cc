// The memory Storage at scale: bytes per contact (goal <= 256 B), and dial-queue refills over
// 1,000,000 and 10,000,000 contacts (benchmarks/README.md).
//
//   ./build/benchmarks/omnivox_storage_bench
//   ./build/benchmarks/omnivox_storage_bench --benchmark_filter=Refill/10000000
//
// Bytes per contact: the heap in use (glibc mallinfo2(): uordblks + hblkhd, the bytes handed out
// by malloc from its arenas and as mmapped large blocks, with malloc's per-block headers) after
// loading N contacts into a fresh memory Storage, minus before, over N. Also the resident set
// (/proc/self/statm) delta for comparison; it includes freed-but-kept heap pages and is the coarser
// figure. Goal: ≤ 256 bytes per contact without attributes (an external id, one E.164 number, an
// IANA time zone, other fields default).
//
// Scans: a full scan of 1,000,000 contacts, as Contacts (scan_contacts) and as ContactViews
// (scan_contact_views), in ns per contact.
//
// Refill: QueueGenerator::fill() for a dial queue of 256 entries over a campaign whose first 90 %
// of contacts (in dialing order) are in a zone whose call window is closed (Asia/Tokyo at night)
// and the rest in an open one (America/New_York, late morning). The first refill must pass every
// closed contact; a steady-state refill follows after the 256 contacts taken were dialed (status
// RETRY in an hour), one simulated second later. Goal: ≤ 50 ms per million contacts scanned;
// better, a steady-state refill that does not rescan the closed contacts. Refill times are given
// as wall time and as the thread's CPU time (the per-core cost on a shared, loaded machine).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "omnivox/call_window.h"
#include "omnivox/queue_generator.h"
#include "omnivox/storage.h"

namespace omnivox {
namespace {

const TimePoint kNow = parse_utc("2026-05-04T15:00:00Z");  // 11:00 New York, 00:00 Tokyo

// Bytes handed out by malloc: small blocks from the arenas plus large blocks (mmapped).
std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

Contact make_contact(const std::string& campaign, std::size_t i, const char* zone) {
  Contact c;
  c.campaign_id = campaign;
  c.external_id = "C" + std::to_string(1000000 + i);
  c.numbers.push_back(PhoneNumber{"+1212" + std::to_string(1000000 + i % 9000000)});
  c.time_zone = zone;
  return c;
}

void BM_MemoryPerContact(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  double heap_per_contact = 0, rss_per_contact = 0;
  for (auto _ : state) {
    malloc_trim(0);
    const std::size_t heap_before = heap_in_use();
    const std::size_t rss_before = resident_bytes();
    auto storage = make_memory_storage();
    CampaignConfig campaign;
    campaign.id = "memory";
    storage->put_campaign(campaign);
    for (std::size_t i = 0; i < n; ++i) {
      storage->add_contact(make_contact(campaign.id, i, "America/New_York"));
    }
    heap_per_contact = static_cast<double>(heap_in_use() - heap_before) / n;
    rss_per_contact = static_cast<double>(resident_bytes() - rss_before) / n;
    benchmark::DoNotOptimize(storage.get());
  }
  state.counters["heap_bytes_per_contact"] = heap_per_contact;
  state.counters["rss_bytes_per_contact"] = rss_per_contact;
}
BENCHMARK(BM_MemoryPerContact)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1);

// Full scans of N contacts (half in Tokyo, half in New York): `scan_once(storage, scan)` scans
// once and returns the number visited; reports the wall time per contact visited.
template <typename ScanOnce>
void run_full_scans(benchmark::State& state, ScanOnce&& scan_once) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  auto storage = make_memory_storage();
  for (std::size_t i = 0; i < n; ++i) {
    storage->add_contact(make_contact("scan", i, i % 2 ? "Asia/Tokyo" : "America/New_York"));
  }
  ContactScan scan;
  scan.campaign_id = "scan";
  std::size_t visited = 0;
  double seconds = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    visited += scan_once(*storage, scan);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["ns_per_contact"] = seconds * 1e9 / std::max<double>(1, visited);
}

// A full scan (every contact materialized for the visitor): the storage's share of a refill
// before Storage::scan_contact_views.
void BM_ScanContacts(benchmark::State& state) {
  run_full_scans(state, [](Storage& storage, const ContactScan& scan) {
    std::uint64_t sum = 0;
    std::size_t visited = storage.scan_contacts(scan, [&](const Contact& c) {
      sum += c.numbers[0].e164.size() + c.time_zone.size();
      return true;
    });
    benchmark::DoNotOptimize(sum);
    return visited;
  });
}
BENCHMARK(BM_ScanContacts)->Arg(1000000)->Unit(benchmark::kMillisecond);

// The same scan as views (Storage::scan_contact_views, what a refill uses): no Contact built.
void BM_ScanContactViews(benchmark::State& state) {
  run_full_scans(state, [](Storage& storage, const ContactScan& scan) {
    std::uint64_t sum = 0;
    std::size_t visited = storage.scan_contact_views(scan, [&](const ContactView& c) {
      sum += c.numbers[0].e164.size() + c.time_zone.size();
      return ScanStep::next();
    });
    benchmark::DoNotOptimize(sum);
    return visited;
  });
}
BENCHMARK(BM_ScanContactViews)->Arg(1000000)->Unit(benchmark::kMillisecond);

// CPU time of this thread, in ms: the per-core cost (wall time on a shared machine is not).
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Counts the contacts a scan visits (scan_contacts and scan_contact_views return that number).
class CountingStorage final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::size_t scan_contacts(const ContactScan& s,
                            const std::function<bool(const Contact&)>& v) override {
    std::size_t visited = StorageWrapper::scan_contacts(s, v);
    scanned += visited;
    return visited;
  }
  std::size_t scan_contact_views(const ContactScan& s,
                                 const std::function<ScanStep(const ContactView&)>& v) override {
    std::size_t visited = StorageWrapper::scan_contact_views(s, v);
    scanned += visited;
    return visited;
  }
  std::size_t scanned = 0;
};

void BM_Refill(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const std::size_t closed = n / 10 * 9;
  constexpr std::size_t kQueue = 256;
  constexpr int kSteadyRefills = 20;
  auto storage = make_memory_storage();
  CampaignConfig campaign;
  campaign.id = "refill";
  campaign.compliance = ComplianceProfile::none();
  campaign.call_window = CallWindow::every_day(9 * 60, 21 * 60);
  campaign.fallback_time_zone = "America/New_York";
  storage->put_campaign(campaign);
  for (std::size_t i = 0; i < n; ++i) {
    storage->add_contact(
        make_contact(campaign.id, i, i < closed ? "Asia/Tokyo" : "America/New_York"));
  }
  CountingStorage counting(storage.get());
  TimeZoneMap zones;
  QueueGenerator generator(campaign, &counting, &zones);
  std::vector<DialQueueEntry> queue;
  auto not_held = [](ContactId) { return false; };
  double first_ms = 0, first_cpu_ms = 0, steady_ms = 0;
  std::size_t first_scanned = 0, steady_scanned = 0;
  for (auto _ : state) {
    counting.scanned = 0;
    auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = thread_cpu_ms();
    generator.fill(kNow, kQueue, not_held, queue);
    first_cpu_ms = thread_cpu_ms() - cpu0;
    auto t1 = std::chrono::steady_clock::now();
    first_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    first_scanned = counting.scanned;
    TimePoint now = kNow;
    counting.scanned = 0;
    double total = 0;
    for (int r = 0; r < kSteadyRefills; ++r) {
      // The entries taken are dialed: RETRY in an hour (as the engine records an attempt).
      for (const DialQueueEntry& e : queue) {
        auto c = storage->get_contact(e.contact_id);
        c->status = ContactStatus::kRetry;
        ++c->attempts;
        ++c->numbers[0].attempts;
        c->last_attempt_at = now;
        c->next_attempt_at = now + std::chrono::hours(1);
        storage->update_contact(*c);
      }
      queue.clear();
      now += std::chrono::seconds(1);
      auto s0 = std::chrono::steady_clock::now();
      generator.fill(now, kQueue, not_held, queue);
      auto s1 = std::chrono::steady_clock::now();
      total += std::chrono::duration<double, std::milli>(s1 - s0).count();
      if (queue.size() != kQueue) state.SkipWithError("refill came back short");
    }
    steady_ms = total / kSteadyRefills;
    steady_scanned = counting.scanned / kSteadyRefills;
    state.SetIterationTime(first_ms / 1000.0);
  }
  state.counters["first_refill_ms"] = first_ms;
  state.counters["first_scanned"] = static_cast<double>(first_scanned);
  state.counters["first_ms_per_million_scanned"] =
      first_ms * 1e6 / std::max<double>(1, static_cast<double>(first_scanned));
  state.counters["first_refill_cpu_ms"] = first_cpu_ms;
  state.counters["first_cpu_ms_per_million_scanned"] =
      first_cpu_ms * 1e6 / std::max<double>(1, static_cast<double>(first_scanned));
  state.counters["steady_refill_ms"] = steady_ms;
  state.counters["steady_scanned"] = static_cast<double>(steady_scanned);
}
BENCHMARK(BM_Refill)
    ->Arg(1000000)
    ->Arg(10000000)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1);

}  // namespace
}  // namespace omnivox
