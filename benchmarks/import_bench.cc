// Contact import with E.164 normalisation, rows per second (goal >= 200,000 / s).
// BM_ContactImport/bank: examples/data/bank-full.csv (45,211 rows, canonical Portuguese E.164).
// BM_ContactImport/mixed: 1,000,000 generated rows (benchmarks/import_bench_data.h) in varied
// national and international formats of 14 countries, ~3 % broken, default region GB.
// Both read from memory (an istringstream), so the figure is parse + normalise, not disk.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "import_bench_data.h"
#include "omnivox/import.h"

namespace {

using namespace omnivox;

const std::string& bank_file() {
  static const std::string text = [] {
    std::ifstream in(OMNIVOX_EXAMPLES_DIR "/data/bank-full.csv", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  return text;
}

const std::string& mixed_file() {
  static const std::string text = bench::make_mixed_contacts_csv(1000000);
  return text;
}

// state.range(0): ImportOptions::threads; state.range(1): 1 = fast path, 0 = every number
// through libphonenumber's Parse (the reference path).
void run_import(benchmark::State& state, const std::string& text, const char* region) {
  ImportOptions options;
  options.default_region = region;
  options.threads = static_cast<std::size_t>(state.range(0));
  options.phone_fast_path = state.range(1) != 0;
  std::size_t loaded = 0;
  std::size_t rejected = 0;
  std::size_t rows = 0;
  for (auto _ : state) {
    std::istringstream in(text);
    ImportReport report = import_contacts_csv(
        in, options, [&](ImportedContact&& c) { benchmark::DoNotOptimize(c.phone_numbers); },
        "bench.csv");
    rows += report.rows_read;
    loaded = report.rows_loaded;
    rejected = report.rows_rejected;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(rows));
  state.counters["loaded"] = static_cast<double>(loaded);
  state.counters["rejected"] = static_cast<double>(rejected);
}

void BM_ContactImport_Bank(benchmark::State& state) { run_import(state, bank_file(), "PT"); }
void BM_ContactImport_Mixed(benchmark::State& state) {
  run_import(state, mixed_file(), bench::kMixedContactsRegion);
}

// items_per_second is computed from wall time (UseRealTime) so the parallel runs count; the CPU
// column is the whole process's (all threads), so CPU / row is the cost on one core.
void import_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads", "fast"})
      ->Args({1, 0})
      ->Args({1, 1})
      ->Args({2, 1})
      ->MeasureProcessCPUTime()
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_ContactImport_Bank)->Name("BM_ContactImport/bank")->Apply(import_args);
BENCHMARK(BM_ContactImport_Mixed)
    ->Name("BM_ContactImport/mixed_1M")
    ->Apply(import_args)
    ->Iterations(1);

}  // namespace
