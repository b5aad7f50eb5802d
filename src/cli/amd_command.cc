#include "cli/amd_command.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "omnivox/amd.h"
#include "omnivox/types.h"

namespace omnivox::cli {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

struct AmdArgs {
  std::string file;
  std::string corpus;
  bool json = false;
  bool list = false;
  std::string vad = "both";
  bool silent_is_human = false;
  bool no_fax = false;
  AmdOptions options;
  // Durations as integers for CLI11, copied into options after parsing.
  long long initial_silence = 0, max_greeting = 0, after_greeting = 0, total = 0, min_word = 0,
            max_word = 0, between_words = 0;
};

const char* verdict(AmdResult r) {
  switch (r) {
    case AmdResult::kHuman:
      return "HUMAN";
    case AmdResult::kMachine:
      return "MACHINE";
    case AmdResult::kFax:
      return "FAX";
    default:
      return "NOTSURE";
  }
}

json::object decision_json(const AmdDecision& d) {
  return {{"verdict", verdict(d.result)},
          {"cause", d.cause},
          {"decision_time_ms", d.decision_time.count()},
          {"words", d.words},
          {"greeting_length_ms", d.greeting_length.count()}};
}

constexpr std::array<const char*, 3> kLabels = {"human", "machine", "fax"};
constexpr std::array<AmdResult, 4> kVerdicts = {AmdResult::kHuman, AmdResult::kMachine,
                                                AmdResult::kFax, AmdResult::kUnknown};

int verdict_index(AmdResult r) {
  for (std::size_t i = 0; i < kVerdicts.size(); ++i) {
    if (kVerdicts[i] == r) return static_cast<int>(i);
  }
  return 3;
}

double median_ms(std::vector<long long> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? static_cast<double>(v[m]) : (v[m - 1] + v[m]) / 2.0;
}

int classify_one(const AmdArgs& a) {
  const AmdDecision d = classify_wav_file(a.file, a.options);
  if (a.json) {
    json::object o = decision_json(d);
    o["file"] = a.file;
    std::cout << json::serialize(o) << "\n";
  } else {
    std::printf("%s: %s (%s) at %lld ms, %d words, greeting %lld ms\n", a.file.c_str(),
                verdict(d.result), d.cause.c_str(), static_cast<long long>(d.decision_time.count()),
                d.words, static_cast<long long>(d.greeting_length.count()));
  }
  return 0;
}

int classify_corpus(const AmdArgs& a) {
  const fs::path root(a.corpus);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw Error(ErrorCode::kIo, a.corpus + ": not a folder");
  }
  long long matrix[3][4] = {};
  std::vector<long long> times;
  json::array wrong, all;
  int files = 0;
  for (std::size_t label = 0; label < kLabels.size(); ++label) {
    const fs::path dir = root / kLabels[label];
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".wav") paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& p : paths) {
      const AmdDecision d = classify_wav_file(p.string(), a.options);
      ++files;
      ++matrix[label][verdict_index(d.result)];
      times.push_back(d.decision_time.count());
      json::object o = decision_json(d);
      o["file"] = p.string();
      o["label"] = kLabels[label];
      const bool right = verdict_index(d.result) == static_cast<int>(label);
      if (a.list) all.push_back(o);
      if (!right) wrong.push_back(std::move(o));
    }
  }
  if (files == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                a.corpus + ": no .wav files under human/, machine/ or fax/");
  }
  long long correct = 0, humans = 0;
  for (int i = 0; i < 3; ++i) correct += matrix[i][i];
  for (long long c : matrix[0]) humans += c;
  const double accuracy = static_cast<double>(correct) / files;
  const double people_as_machine = humans ? static_cast<double>(matrix[0][1]) / humans : 0.0;
  const double median = median_ms(times);
  if (a.json) {
    json::object m;
    for (int i = 0; i < 3; ++i) {
      json::object row;
      for (int j = 0; j < 4; ++j) row[verdict(kVerdicts[j])] = matrix[i][j];
      m[kLabels[i]] = std::move(row);
    }
    json::object out{{"files", files},
                     {"accuracy", accuracy},
                     {"people_as_machine", people_as_machine},
                     {"median_decision_time_ms", median},
                     {"confusion", std::move(m)},
                     {"misclassified", std::move(wrong)}};
    if (a.list) out["decisions"] = std::move(all);
    std::cout << json::serialize(out) << "\n";
    return 0;
  }
  std::printf("%-10s %8s %8s %8s %8s\n", "label", "HUMAN", "MACHINE", "FAX", "NOTSURE");
  for (int i = 0; i < 3; ++i) {
    std::printf("%-10s %8lld %8lld %8lld %8lld\n", kLabels[i], matrix[i][0], matrix[i][1],
                matrix[i][2], matrix[i][3]);
  }
  std::printf(
      "files %d, accuracy %.1f %%, people classified as machines %.1f %%, median "
      "decision time %.0f ms\n",
      files, 100 * accuracy, 100 * people_as_machine, median);
  for (const auto& v : (a.list ? all : wrong)) {
    const json::object& o = v.as_object();
    std::printf("  %s: %s, %s (%s) at %lld ms\n", o.at("file").as_string().c_str(),
                o.at("label").as_string().c_str(), o.at("verdict").as_string().c_str(),
                o.at("cause").as_string().c_str(),
                static_cast<long long>(o.at("decision_time_ms").as_int64()));
  }
  return 0;
}

}  // namespace

std::function<int()> add_amd_commands(CLI::App& app) {
  auto args = std::make_shared<AmdArgs>();
  CLI::App* amd = app.add_subcommand("amd", "Answering-machine and fax detection on recordings");
  amd->require_subcommand(1);
  CLI::App* classify = amd->add_subcommand(
      "classify", "Classify a WAV recording (8 kHz mono) or a labelled corpus of them");
  AmdArgs& a = *args;
  const AmdOptions d;
  a.initial_silence = d.initial_silence.count();
  a.max_greeting = d.max_greeting_length.count();
  a.after_greeting = d.after_greeting_silence.count();
  a.total = d.total_analysis_time.count();
  a.min_word = d.min_word_length.count();
  a.max_word = d.max_word_length.count();
  a.between_words = d.between_words_silence.count();
  classify->add_option("file", a.file, "WAV file (PCM 16-bit or G.711, mono, 8000 Hz)");
  classify->add_option("--corpus", a.corpus,
                       "Folder with human/, machine/ and fax/ subfolders of WAV files");
  classify->add_flag("--json", a.json, "One JSON object instead of text");
  classify->add_flag("--list", a.list, "With --corpus: every file's decision, not only errors");
  const auto ms = CLI::Range(0LL, 3600000LL);
  classify->add_option("--initial-silence", a.initial_silence, "ms")
      ->check(ms)
      ->capture_default_str();
  classify->add_option("--max-greeting", a.max_greeting, "ms")->check(ms)->capture_default_str();
  classify->add_option("--after-greeting-silence", a.after_greeting, "ms")
      ->check(ms)
      ->capture_default_str();
  classify->add_option("--total-analysis-time", a.total, "ms")->check(ms)->capture_default_str();
  classify->add_option("--min-word-length", a.min_word, "ms")->check(ms)->capture_default_str();
  classify->add_option("--max-word-length", a.max_word, "ms")->check(ms)->capture_default_str();
  classify->add_option("--between-words-silence", a.between_words, "ms")
      ->check(ms)
      ->capture_default_str();
  classify->add_option("--max-words", a.options.max_number_of_words, "Words")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  classify->add_flag("--silent-is-human", a.silent_is_human,
                     "Initial silence means a person (default: a machine)");
  classify->add_flag("--no-fax", a.no_fax, "Do not detect fax tones");
  classify->add_option("--vad", a.vad, "Voice detector: speex, energy or both")
      ->check(CLI::IsMember({"speex", "energy", "both"}))
      ->capture_default_str();
  classify->add_option("--vad-start", a.options.vad_probability_start, "speexdsp VAD, 0-100")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  classify->add_option("--vad-continue", a.options.vad_probability_continue, "speexdsp VAD, 0-100")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  classify->add_option("--energy-gate-db", a.options.energy_gate_db, "dB over the noise floor")
      ->check(CLI::Range(0, 60))
      ->capture_default_str();
  return [amd, classify, args]() -> int {
    if (!*amd) return -1;
    AmdArgs& a = *args;
    if (!*classify) return 2;
    if (a.file.empty() == a.corpus.empty()) {
      std::fprintf(stderr, "omnivox amd classify: give one FILE or --corpus DIR\n");
      return 2;
    }
    AmdOptions& o = a.options;
    o.initial_silence = Duration{a.initial_silence};
    o.max_greeting_length = Duration{a.max_greeting};
    o.after_greeting_silence = Duration{a.after_greeting};
    o.total_analysis_time = Duration{a.total};
    o.min_word_length = Duration{a.min_word};
    o.max_word_length = Duration{a.max_word};
    o.between_words_silence = Duration{a.between_words};
    o.silent_answer_is_machine = !a.silent_is_human;
    o.detect_fax = !a.no_fax;
    o.voice_detector = a.vad == "speex"    ? AmdVoiceDetector::kSpeex
                       : a.vad == "energy" ? AmdVoiceDetector::kEnergy
                                           : AmdVoiceDetector::kSpeexAndEnergy;
    return a.corpus.empty() ? classify_one(a) : classify_corpus(a);
  };
}

}  // namespace omnivox::cli
