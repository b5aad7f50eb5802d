#include "cli/run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>
#include <unordered_map>

#include "cli/csv_writer.h"
#include "cli/sip_run.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/sim.h"
#include "omnivox/storage.h"
#include "omnivox/storage_url.h"
#include "serve/records.h"

namespace omnivox::cli {
namespace json = boost::json;
namespace {

struct MetricsSample {
  CampaignStatistics stats;
  double interval_occupancy = 0;
};

std::string short_time(TimePoint t) { return format_utc(t).substr(0, 16).replace(10, 1, " "); }

std::string progress_line(const CampaignStatistics& s) {
  char buf[256];
  int busy = s.agents_by_state[static_cast<int>(AgentState::kReserved)] +
             s.agents_by_state[static_cast<int>(AgentState::kOnCall)] +
             s.agents_by_state[static_cast<int>(AgentState::kWrapUp)];
  std::snprintf(buf, sizeof buf,
                "[%s UTC] agents idle %d busy %d | attempts %ld | live %ld | abandon %.2f%% | "
                "contacts left %zu",
                short_time(s.at).c_str(),
                s.agents_by_state[static_cast<int>(AgentState::kAvailable)], busy, s.attempts,
                s.live_answers, 100.0 * s.abandon_rate, s.contacts_total - s.contacts_final);
  return buf;
}

// The signal (SIGINT or SIGTERM) that asked the run to stop, 0 if none. The handler only sets
// it: the run's loops read it, stop dialing and finish in order.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "read and written in a signal handler");

void on_stop_signal(int signal) {
  // A second signal: whoever sent it will not wait for the calls in progress to end.
  if (g_stop_signal.exchange(signal) != 0) _exit(128 + signal);
}

// Routes SIGINT and SIGTERM to g_stop_signal while it lives (the previous handlers come back
// afterwards).
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, &saved_int_);
    sigaction(SIGTERM, &action, &saved_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &saved_int_, nullptr);
    sigaction(SIGTERM, &saved_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  /// The signal received, 0 if none.
  int received() const { return g_stop_signal.load(); }

 private:
  struct sigaction saved_int_ {};
  struct sigaction saved_term_ {};
};

// The calls this engine still has in flight (dialing, talking or in wrap-up) for the campaign.
std::vector<CallId> calls_in_progress(Engine& engine, Storage& storage,
                                      const std::string& campaign_id) {
  std::vector<CallId> calls;
  storage.scan_attempts(campaign_id, [&](const Attempt& a) {
    if (a.disposition == Disposition::kNone && engine.call_state(a.call_id)) {
      calls.push_back(a.call_id);
    }
    return true;
  });
  return calls;
}

// The files a run writes into its output folder.
constexpr const char* kOutputFiles[] = {"calls.csv", "calls.jsonl", "metrics.json", "summary.json"};

// Makes sure a run's results can be written before anything is imported or dialed: creates the
// folder, writes and removes a probe file in it, and checks that the output files already there
// can be opened for writing (left unchanged). Throws Error(kIo) naming the path and the reason.
void check_outputs_writable(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw Error(ErrorCode::kIo, dir + ": cannot create the output folder: " + error.message());
  }
  std::string probe = dir + "/.omnivox-write-probe-XXXXXX";
  const int fd = mkstemp(probe.data());
  if (fd < 0) {
    throw Error(ErrorCode::kIo, dir + ": cannot write in the output folder: " + strerror(errno));
  }
  const bool written = write(fd, "probe\n", 6) == 6;
  const int write_error = errno;
  const bool closed = close(fd) == 0;
  const int close_error = errno;
  unlink(probe.c_str());
  if (!written || !closed) {
    throw Error(ErrorCode::kIo, dir + ": cannot write in the output folder: " +
                                    strerror(!written ? write_error : close_error));
  }
  for (const char* name : kOutputFiles) {
    const std::string path = dir + "/" + name;
    const int existing = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (existing >= 0) {
      close(existing);
    } else if (errno != ENOENT) {
      throw Error(ErrorCode::kIo, path + ": cannot write the output file: " + strerror(errno));
    }
  }
}

// What the report and the outputs read of the campaign's contacts, taken in one scan: the
// calls files need each contact's external id, which only a full Contact carries, and the same
// pass counts the statuses.
struct ContactTally {
  std::size_t by_status[7] = {};
  std::unordered_map<ContactId, std::string> external;
};

ContactTally tally_contacts(Storage& storage, const std::string& campaign_id) {
  ContactTally tally;
  ContactScan all;
  all.campaign_id = campaign_id;
  all.dialable_only = false;
  storage.scan_contacts(all, [&](const Contact& c) {
    ++tally.by_status[static_cast<int>(c.status)];
    tally.external.emplace(c.id, c.external_id);
    return true;
  });
  return tally;
}

void write_outputs(const std::string& dir, Storage& storage, const CampaignFile& file,
                   std::unordered_map<ContactId, std::string>& external,
                   const std::vector<MetricsSample>& metrics, const json::object& summary) {
  std::filesystem::create_directories(dir);
  // The call records run to tens of megabytes: large buffers write them in fewer system calls.
  constexpr std::size_t kRecordsBuffer = 1 << 20;
  std::vector<char> csv_buffer(kRecordsBuffer), jsonl_buffer(kRecordsBuffer);
  std::ofstream csv, jsonl;
  csv.rdbuf()->pubsetbuf(csv_buffer.data(), static_cast<std::streamsize>(csv_buffer.size()));
  jsonl.rdbuf()->pubsetbuf(jsonl_buffer.data(), static_cast<std::streamsize>(jsonl_buffer.size()));
  csv.open(dir + "/calls.csv");
  jsonl.open(dir + "/calls.jsonl");
  if (!csv || !jsonl) throw Error(ErrorCode::kIo, dir + ": cannot write call records");
  CsvWriter calls(csv);
  calls.row("call_id", "contact_id", "external_id", "number", "attempt_number", "caller_id",
            "state", "disposition", "fail_reason", "amd", "agent", "created_at", "answered_at",
            "bridged_at", "ended_at", "provider_code", "direction", "queue", "wait_s");
  auto t = [](TimePoint tp) { return tp == TimePoint{} ? std::string() : format_utc(tp); };
  json::serializer json_writer;
  // Inbound calls (their queue in campaign_id): the wait from arrival to an agent or the hangup.
  auto record = [&](const Attempt& a) {
    const std::string& ext = external[a.contact_id];
    const bool in = a.direction == CallDirection::kInbound;
    const TimePoint left = a.bridged_at != TimePoint{} ? a.bridged_at : a.ended_at;
    calls.row(a.call_id, a.contact_id, ext, a.number, a.attempt_number, a.caller_id,
              to_string(a.state), to_string(a.disposition), to_string(a.fail_reason),
              to_string(a.amd), a.agent == kNoAgent ? std::string() : std::to_string(a.agent),
              t(a.created_at), t(a.answered_at), t(a.bridged_at), t(a.ended_at),
              a.provider_code == 0 ? std::string() : std::to_string(a.provider_code),
              to_string(a.direction), in ? a.campaign_id : std::string(),
              in ? std::to_string(to_seconds(left - a.answered_at)) : std::string());
    // A record's JSON fits in the arena on the stack: no heap call builds or frees it.
    unsigned char arena[4096];
    json::monotonic_resource record_memory(arena, sizeof arena);
    const json::object record_json = serve::attempt_json(a, &ext, &record_memory);
    json_writer.reset(&record_json);
    while (!json_writer.done()) {
      char chunk[4096];
      const std::string_view part = json_writer.read(chunk, sizeof chunk);
      jsonl.write(part.data(), static_cast<std::streamsize>(part.size()));
    }
    jsonl.put('\n');
    return true;
  };
  storage.scan_attempts(file.campaign.id, record);
  for (const InboundQueueConfig& queue : file.inbound) storage.scan_attempts(queue.id, record);
  json::array series;
  for (const auto& m : metrics) {
    const auto& s = m.stats;
    int busy = s.agents_by_state[static_cast<int>(AgentState::kReserved)] +
               s.agents_by_state[static_cast<int>(AgentState::kOnCall)] +
               s.agents_by_state[static_cast<int>(AgentState::kWrapUp)];
    series.push_back(
        json::object{{"t", format_utc(s.at)},
                     {"agents_idle", s.agents_by_state[static_cast<int>(AgentState::kAvailable)]},
                     {"agents_busy", busy},
                     {"attempts", s.attempts},
                     {"attempts_in_flight", s.attempts_in_flight},
                     {"live_answers", s.live_answers},
                     {"abandons", s.abandons},
                     {"abandon_rate", s.abandon_rate},
                     {"occupancy", s.occupancy},
                     {"occupancy_interval", m.interval_occupancy},
                     {"dial_level", s.dial_level},
                     {"contacts_final", s.contacts_final}});
  }
  std::ofstream metrics_out(dir + "/metrics.json");
  metrics_out << json::serialize(json::object{
                     {"campaign_id", file.campaign.id}, {"interval_s", 900}, {"samples", series}})
              << '\n';
  std::ofstream summary_out(dir + "/summary.json");
  summary_out << json::serialize(summary) << '\n';
  if (!csv || !jsonl || !metrics_out || !summary_out) {
    throw Error(ErrorCode::kIo, dir + ": writing the outputs failed");
  }
}

// ---- The stages of a run ----

// The campaign file with the command line's overrides, checked against the backend it names.
CampaignFile load_run_file(const RunArgs& args) {
  CampaignFile file = load_campaign_file(args.campaign_path);
  if (!args.contacts_path.empty()) {
    if (file.replay_path == file.contacts_path) file.replay_path = args.contacts_path;
    file.contacts_path = args.contacts_path;
  }
  if (args.seed) file.simulation.seed = *args.seed;
  if (file.contacts_path.empty()) {
    throw Error(
        ErrorCode::kConfig,
        args.campaign_path + ": field 'contacts.file': no contacts (set it or pass --contacts)");
  }
  if (file.telephony.backend == TelephonyConfig::Backend::kTwilio && !args.import_only) {
    throw Error(ErrorCode::kConfig, args.campaign_path +
                                        ": field 'telephony.backend': \"twilio\" campaigns are "
                                        "run by `omnivox serve`, which receives Twilio's webhooks");
  }
  const bool sip_backend = file.telephony.backend == TelephonyConfig::Backend::kSip;
  if (sip_backend && !args.import_only) {
    // Real calls take real time: the campaign runs on the wall clock from now.
    if (!args.realtime || args.speed != 1.0) {
      throw Error(ErrorCode::kConfig,
                  args.campaign_path +
                      ": field 'telephony.backend': \"sip\" places real calls: run it with "
                      "--realtime (and no --speed)");
    }
    use_message_wavs(file, args.campaign_path);
  }
  return file;
}

StorageOpenOptions run_storage_options(const RunArgs& args) {
  StorageOpenOptions storage_options;
  storage_options.tenant = args.tenant;
  storage_options.keep_journal = storage_kind(args.storage_url) != StorageKind::kMemory;
  return storage_options;
}

// The clocks of a run: the campaign's, and the wall clock leases are read on.
struct RunClocks {
  // A database may be shared with other engines, each on its own (accelerated or virtual)
  // clock: leases are read on the wall clock, which they all share. Null with memory storage.
  std::unique_ptr<Clock> wall_clock;
  std::unique_ptr<Clock> clock;
  VirtualClock* virtual_clock = nullptr;  // `clock` when the run is simulated in virtual time
};

RunClocks make_run_clocks(const RunArgs& args, CampaignFile& file, bool sip_backend) {
  RunClocks c;
  if (storage_kind(args.storage_url) != StorageKind::kMemory) c.wall_clock = make_system_clock();
  if (sip_backend) {
    c.clock = make_system_clock();
    file.start = c.clock->now();
  } else if (args.realtime) {
    c.clock = make_system_clock(args.speed, file.start);
  } else {
    auto vc = std::make_unique<VirtualClock>(file.start);
    c.virtual_clock = vc.get();
    c.clock = std::move(vc);
  }
  return c;
}

// The telephony: the simulated world (also the agents' side: talk, wrap-up, dispositions), or
// real calls through a SIP trunk to the agents' phones (cli/sip_run.h).
struct RunTelephony {
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<SipRun> sip;
  Telephony* telephony = nullptr;
  EventListener* listener = nullptr;
};

using ReplayRecords = decltype(ReplayWorld::records);

// `replay_records`: the replay world's data when the file names one (moved into the simulator,
// not copied: the bank's is 45,211 records).
RunTelephony build_telephony(const RunArgs& args, const CampaignFile& file,
                             ReplayRecords replay_records, bool sip_backend, Clock* clock) {
  RunTelephony t;
  if (sip_backend && !args.import_only) {
    t.sip = std::make_unique<SipRun>(file);
    t.telephony = t.sip->telephony();
    t.listener = t.sip.get();
  } else {
    SimulationOptions simulation = file.simulation;
    if (simulation.replay) simulation.replay->records = std::move(replay_records);
    t.sim = std::make_unique<Simulator>(std::move(simulation), clock);
    t.telephony = t.sim.get();
    t.listener = t.sim.get();
  }
  return t;
}

// A campaign whose import finished is resumed as stored. One never imported, or whose import a
// killed process left unfinished, is imported (again): rows stored already stay as they are.
// False (said on stderr) when the import loaded no contact.
bool import_or_resume(const RunArgs& args, const CampaignFile& file, Engine& engine,
                      Storage& storage, ImportReport& report) {
  const std::string list_name = "main";
  bool import_finished = false;
  for (const ContactList& list : storage.lists(file.campaign.id)) {
    if (list.name == list_name && list.import_complete) import_finished = true;
  }
  const std::size_t stored = storage.contact_count(file.campaign.id);
  if (import_finished) {
    std::fprintf(stderr, "resuming campaign %s: %zu contacts already in %s\n",
                 file.campaign.id.c_str(), stored, mask_storage_url(args.storage_url).c_str());
  } else {
    if (stored > 0) {
      std::fprintf(stderr, "campaign %s: completing an unfinished import (%zu contacts stored)\n",
                   file.campaign.id.c_str(), stored);
    }
    report = engine.import_contacts(file.campaign.id, list_name, file.contacts_path, file.import);
    std::fprintf(stderr, "import %s: %s\n", file.contacts_path.c_str(), report.summary(10).c_str());
    if (report.rows_already_stored > 0) {
      std::fprintf(stderr, "import %s: %zu of the rows loaded were stored already\n",
                   file.contacts_path.c_str(), report.rows_already_stored);
    }
    if (report.rows_loaded == 0) {
      std::fprintf(stderr, "omnivox: error: no contacts loaded from %s\n",
                   file.contacts_path.c_str());
      return false;
    }
  }
  return true;
}

// After `stop_signal` (the campaign stopped dialing): the calls in progress get the ring timeout
// and a grace to end, then are hung up, and wrap-ups still open after another grace are recorded
// as COMPLETED.
void end_calls_in_progress(int stop_signal, const CampaignFile& file, Engine& engine,
                           Storage& storage, Telephony& telephony, Clock& clock,
                           VirtualClock* virtual_clock) {
  std::fprintf(stderr,
               "omnivox: %s: dialing stopped; ending the calls in progress (send it again to "
               "quit at once)\n",
               stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
  const Duration grace = std::chrono::seconds(10);
  auto no_calls_left = [&] { return engine.statistics(file.campaign.id).attempts_in_flight == 0; };
  // Runs the engine until no call is left or the clock reads `deadline`.
  auto run_until = [&](TimePoint deadline) {
    while (!no_calls_left() && clock.now() < deadline) {
      if (virtual_clock) {
        if (virtual_clock->pending() == 0) return;
        engine.run_for(std::min<Duration>(std::chrono::seconds(1), deadline - clock.now()));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  };
  run_until(clock.now() + file.campaign.ring_timeout + grace);
  for (CallId call : calls_in_progress(engine, storage, file.campaign.id)) {
    telephony.hangup(call);
  }
  run_until(clock.now() + grace);
  for (CallId call : calls_in_progress(engine, storage, file.campaign.id)) {
    try {
      engine.set_disposition(call, Disposition::kCompleted);
    } catch (const Error&) {
      // Not in wrap-up (it ended meanwhile, or it is still ringing): nothing to record.
    }
  }
  run_until(clock.now() + grace);
}

// How a run ended, for its report.
struct RunOutcome {
  CampaignStatistics stats;
  bool finished = false;
  int stop_signal = 0;
  double wall_s = 0;
};

// Prints the run report; returns the summary that write_outputs writes.
json::object report_run(const RunArgs& args, const CampaignFile& file, Engine& engine,
                        const std::size_t (&by_status)[7], const RunOutcome& outcome,
                        const ImportReport& report) {
  const CampaignStatistics& s = outcome.stats;
  const bool finished = outcome.finished;
  const int stop_signal = outcome.stop_signal;
  const double wall_s = outcome.wall_s;

  double hours = std::chrono::duration<double>(s.at - file.start).count() / 3600.0;
  std::printf("\nOmnivox run report — campaign %s%s\n", file.campaign.id.c_str(),
              file.campaign.name.empty() ? "" : (" (" + file.campaign.name + ")").c_str());
  std::printf("  %-28s %s\n", "dial mode", to_string(file.campaign.dial_mode));
  std::printf("  %-28s %d\n", "agents", file.agents);
  std::printf("  %-28s %s → %s (%.1f h virtual, %.2f s wall)\n", "period",
              short_time(file.start).c_str(), short_time(s.at).c_str(), hours, wall_s);
  std::printf("  %-28s %s\n", "finished",
              finished      ? "yes (nothing left to dial)"
              : stop_signal ? "no (interrupted)"
                            : "no (time limit)");
  std::printf("  %-28s %zu\n", "contacts", s.contacts_total);
  for (int k = 0; k < 7; ++k) {
    if (by_status[k]) {
      std::printf("    %-26s %zu\n", to_string(static_cast<ContactStatus>(k)), by_status[k]);
    }
  }
  std::printf("  %-28s %ld\n", "attempts", s.attempts);
  if (s.attempts_reconciled) {
    std::printf("  %-28s %ld\n", "reconciled (earlier engine)", s.attempts_reconciled);
  }
  std::printf("  %-28s %ld\n", "live answers", s.live_answers);
  std::printf("  %-28s %ld\n", "connects (bridged)", s.connects);
  std::printf("  %-28s %ld\n", "machines", s.machines);
  if (s.amd_suspended) {
    std::printf("  %-28s %ld (put through without AMD at the cap)\n", "AMD suspended",
                s.amd_suspended);
  }
  std::printf("  %-28s %ld (%.3f%% of live answers)\n", "abandons", s.abandons,
              100.0 * s.abandon_rate);
  for (const std::string& queue : engine.inbound_queues()) {
    const InboundQueueStatistics in = engine.inbound_statistics(queue);
    std::printf(
        "  %-28s %ld offered, %ld answered, %ld abandoned (%.1f%%); service level %.1f%%, "
        "ASA %.1f s\n",
        ("inbound " + queue).c_str(), in.offered, in.answered, in.abandoned,
        100.0 * in.abandon_rate, 100.0 * in.service_level, in.asa_s);
  }
  std::printf("  %-28s %.1f%%\n", "agent occupancy", 100.0 * s.occupancy);
  std::printf("  %-28s %.1f h talk, %.1f h wrap-up\n", "agent time", s.talk_seconds / 3600,
              s.wrap_seconds / 3600);
  std::printf("  dispositions\n");
  for (int k = 1; k < kDispositionCount; ++k) {
    if (s.dispositions[k]) {
      std::printf("    %-26s %ld\n", to_string(static_cast<Disposition>(k)), s.dispositions[k]);
    }
  }

  json::object summary{{"campaign_id", file.campaign.id},
                       {"dial_mode", to_string(file.campaign.dial_mode)},
                       {"agents", file.agents},
                       {"seed", file.simulation.seed},
                       {"start", format_utc(file.start)},
                       {"end", format_utc(s.at)},
                       {"finished", finished},
                       {"interrupted", stop_signal != 0},
                       {"wall_seconds", wall_s},
                       {"contacts", s.contacts_total},
                       {"contacts_final", s.contacts_final},
                       {"attempts", s.attempts},
                       {"attempts_reconciled", s.attempts_reconciled},
                       {"storage", mask_storage_url(args.storage_url)},
                       {"live_answers", s.live_answers},
                       {"connects", s.connects},
                       {"amd_suspended", s.amd_suspended},
                       {"abandons", s.abandons},
                       {"abandon_rate", s.abandon_rate},
                       {"occupancy", s.occupancy},
                       {"import_rows_loaded", report.rows_loaded},
                       {"import_rows_rejected", report.rows_rejected}};
  json::object statuses;
  for (int k = 0; k < 7; ++k) statuses[to_string(static_cast<ContactStatus>(k))] = by_status[k];
  summary["contacts_by_status"] = statuses;
  json::object dispositions;
  for (int k = 1; k < kDispositionCount; ++k) {
    if (s.dispositions[k]) dispositions[to_string(static_cast<Disposition>(k))] = s.dispositions[k];
  }
  summary["dispositions"] = dispositions;
  return summary;
}

// The run's agents: the SIP phones of the campaign file, or simulated agents "agent-1", ...
std::vector<AgentId> add_run_agents(const CampaignFile& file, Engine& engine, SipRun* sip) {
  std::vector<AgentId> agents;
  for (int i = 0; i < file.agents; ++i) {
    agents.push_back(engine.add_agent(
        file.campaign.id, sip ? file.telephony.agents[i].id : "agent-" + std::to_string(i + 1)));
  }
  return agents;
}

// Agents follow their shift in the campaign's zone: in at each start, out at each end, until the
// run's end or until the campaign is done (no more shifts then: the run ends with the last
// timer). Scheduled on the run's clock, which must stop before this object goes.
class AgentShifts {
 public:
  AgentShifts(const CampaignFile& file, Engine& engine, Clock& clock, SipRun* sip,
              std::vector<AgentId> agents)
      : file_(file),
        engine_(engine),
        clock_(clock),
        sip_(sip),
        agents_(std::move(agents)),
        end_(file.start + file.max_duration) {
    for (int day = 0; day < 7; ++day) {
      const LocalTimeRange& r = file.agent_shift.by_weekday[day];
      shift_end_.by_weekday[day] = r.closed() || r.end_minute >= 24 * 60
                                       ? LocalTimeRange{}
                                       : LocalTimeRange{r.end_minute, 24 * 60};
    }
  }
  AgentShifts(const AgentShifts&) = delete;
  AgentShifts& operator=(const AgentShifts&) = delete;

  // Logs the agents in now if the first shift is on, else schedules its start.
  void start() {
    TimeZoneMap& zones = engine_.time_zones();
    const std::string& zone = file_.campaign.fallback_time_zone;
    if (zones.is_open(kUnknownZoneSet, file_.agent_shift, file_.start, zone)) {
      turn(true);
    } else if (auto first =
                   zones.next_open(kUnknownZoneSet, file_.agent_shift, file_.start, zone)) {
      clock_.schedule_at(*first, [this] { turn(true); });
    }
  }
  // No shift starts or ends after this.
  void campaign_done() { campaign_done_ = true; }
  bool is_campaign_done() const { return campaign_done_; }

 private:
  void turn(bool starting) {
    if (campaign_done_) return;
    if (sip_) {
      sip_->set_shift(starting);  // agents in as their phones answer
    } else {
      for (AgentId id : agents_) {
        engine_.set_agent_state(id, starting ? AgentState::kAvailable : AgentState::kLoggedOut);
      }
    }
    TimePoint t = clock_.now() + std::chrono::minutes(1);
    auto next =
        engine_.time_zones().next_open(kUnknownZoneSet, starting ? shift_end_ : file_.agent_shift,
                                       t, file_.campaign.fallback_time_zone);
    if (next && *next < end_) clock_.schedule_at(*next, [this, starting] { turn(!starting); });
  }

  const CampaignFile& file_;
  Engine& engine_;
  Clock& clock_;
  SipRun* sip_;
  std::vector<AgentId> agents_;
  TimePoint end_;
  CallWindow shift_end_;  // open from each shift's end to midnight
  std::atomic<bool> campaign_done_{false};
};

// The run's progress: the metrics time series (one sample every 15 minutes of the run's clock)
// and the progress display (one line redrawn on a terminal, a line a day otherwise).
class RunProgress {
 public:
  RunProgress(const RunArgs& args, const CampaignFile& file)
      : quiet_(args.quiet),
        tty_(isatty(STDERR_FILENO) && !args.quiet),
        start_(file.start),
        next_sample_(file.start) {}

  bool tty() const { return tty_; }
  bool sample_due(TimePoint now) const { return now >= next_sample_; }
  TimePoint next_sample() const { return next_sample_; }
  // Takes the sample due (the next one falls 15 minutes later).
  void sample_due_now(const CampaignStatistics& s) {
    sample(s);
    next_sample_ += kSampleEvery;
  }
  void sample(const CampaignStatistics& s) {
    MetricsSample m{s, 0};
    double handle = s.talk_seconds + s.wrap_seconds;
    double working = handle + (s.logged_in_seconds - s.talk_seconds - s.wrap_seconds);
    if (working - last_working_ > 0)
      m.interval_occupancy = (handle - last_handle_) / (working - last_working_);
    last_handle_ = handle;
    last_working_ = working;
    metrics_.push_back(m);
  }
  void show(const CampaignStatistics& s, bool force) {
    if (quiet_) return;
    auto now = std::chrono::steady_clock::now();
    if (tty_) {
      if (force || now - last_print_ > std::chrono::milliseconds(100)) {
        std::fprintf(stderr, "\r%s\033[K", progress_line(s).c_str());
        last_print_ = now;
      }
    } else {
      long day = std::chrono::duration_cast<std::chrono::hours>(s.at - start_).count() / 24;
      if (force || day != last_day_) {
        std::fprintf(stderr, "%s\n", progress_line(s).c_str());
        last_day_ = day;
      }
    }
  }
  const std::vector<MetricsSample>& metrics() const { return metrics_; }

 private:
  static constexpr Duration kSampleEvery = std::chrono::minutes(15);
  bool quiet_;
  bool tty_;
  TimePoint start_;
  TimePoint next_sample_;
  std::vector<MetricsSample> metrics_;
  double last_handle_ = 0, last_working_ = 0;
  std::chrono::steady_clock::time_point last_print_ = std::chrono::steady_clock::now();
  long last_day_ = -1;
};

// The run's wall-clock time and its budget (--wall-limit).
class WallTime {
 public:
  explicit WallTime(std::optional<double> limit_s) : limit_s_(limit_s) {}
  double elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  bool limit_hit() const { return limit_s_ && elapsed_s() >= *limit_s_; }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::optional<double> limit_s_;
};

// What the run loops read and drive.
struct RunLoop {
  const CampaignFile& file;
  Engine& engine;
  const StopSignals& stop_signals;
  const WallTime& wall;
  AgentShifts& shifts;
  RunProgress& progress;
  TimePoint end;
  bool running(TimePoint now) const {
    return now < end && !wall.limit_hit() && !stop_signals.received();
  }
};

// Runs a simulation on its virtual clock until the run's end, the wall limit, a stop signal or
// nothing left to fire. True when the campaign finished (nothing left on the clock).
bool run_on_virtual_clock(RunLoop& run, VirtualClock& clock) {
  const std::string& campaign_id = run.file.campaign.id;
  while (run.running(clock.now())) {
    TimePoint step_end = std::min(run.end, run.progress.next_sample());
    run.engine.run_for(step_end - clock.now());
    // Statistics read storage's counts: taken once a step, for the sample and the end check.
    std::optional<CampaignStatistics> now_stats;
    if (run.progress.sample_due(clock.now())) {
      now_stats = run.engine.statistics(campaign_id);
      run.progress.sample_due_now(*now_stats);
      run.progress.show(*now_stats, false);
    }
    if (clock.pending() == 0) return true;
    if (!run.shifts.is_campaign_done()) {
      if (!now_stats) now_stats = run.engine.statistics(campaign_id);
      if (now_stats->contacts_final == now_stats->contacts_total &&
          now_stats->attempts_in_flight == 0) {
        run.shifts.campaign_done();  // no more shifts: the run ends with the last timer
      }
    }
  }
  return false;
}

// Runs the engine on its own thread against a real clock, looking every 100 ms, until the run's
// end, the wall limit, a stop signal or every contact final with no call in flight (true then).
bool run_on_real_clock(RunLoop& run, Clock& clock, SipRun* sip) {
  run.engine.start(1);
  while (run.running(clock.now())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (sip) sip->tick();
    CampaignStatistics s = run.engine.statistics(run.file.campaign.id);
    run.progress.show(s, false);
    if (run.progress.sample_due(clock.now())) run.progress.sample_due_now(s);
    if (s.contacts_final == s.contacts_total && s.attempts_in_flight == 0) {
      run.shifts.campaign_done();
      return true;
    }
  }
  return false;
}

// The agents' SIP phones are hung up in order (BYE), while the engine still runs; at most 5 s.
void hang_up_agent_phones(SipRun& sip) {
  sip.set_shift(false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (sip.agents_up() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

int run_command(const RunArgs& args) {
  CampaignFile file = load_run_file(args);
  const bool sip_backend = file.telephony.backend == TelephonyConfig::Backend::kSip;
  // A run stops in order on SIGINT or SIGTERM from here on, even one that arrives while the
  // contacts are being imported.
  std::optional<StopSignals> stop_signals;
  if (!args.import_only) {
    check_outputs_writable(args.out_dir);
    stop_signals.emplace();
  }
  ReplayRecords replay_records;
  if (file.simulation.replay) {
    replay_records = std::move(ReplayWorld::load_bank_csv(file.replay_path).records);
  }

  const WallTime wall(args.wall_limit_s);
  std::unique_ptr<Storage> storage = open_storage(args.storage_url, run_storage_options(args));
  RunClocks clocks = make_run_clocks(args, file, sip_backend);
  std::unique_ptr<Clock>& clock = clocks.clock;
  VirtualClock* const virtual_clock = clocks.virtual_clock;
  RunTelephony phones =
      build_telephony(args, file, std::move(replay_records), sip_backend, clock.get());
  std::unique_ptr<Simulator>& sim = phones.sim;
  std::unique_ptr<SipRun>& sip = phones.sip;
  Telephony* const telephony = phones.telephony;
  EngineOptions options;
  options.journal_state_changes = false;
  options.owner_token = args.owner;
  options.lease_clock = clocks.wall_clock.get();
  if (args.lease_ttl_s) {
    options.lease_ttl = Duration(static_cast<Duration::rep>(*args.lease_ttl_s * 1000));
  }
  // Held so that it can end before the outputs are written (see the end of this function).
  std::optional<Engine> engine_holder;
  Engine& engine =
      engine_holder.emplace(options, storage.get(), telephony, clock.get(), phones.listener);
  if (sim) sim->attach(&engine);
  engine.add_campaign(file.campaign);

  ImportReport report;
  if (!import_or_resume(args, file, engine, *storage, report)) return 2;
  if (args.import_only) return 0;
  std::vector<AgentId> agents = add_run_agents(file, engine, sip.get());
  if (sip) sip->attach(&engine, agents);
  apply_inbound(file, engine, agents);
  AgentShifts shifts(file, engine, *clock, sip.get(), std::move(agents));
  shifts.start();
  // The clock's timers call `shifts` and, through the simulator, the engine: it stops before they
  // go, however this function is left.
  struct StopClockFirst {
    Clock& clock;
    ~StopClockFirst() { clock.stop(); }
  } stop_clock_first{*clock};
  if (!stop_signals->received()) engine.start_campaign(file.campaign.id);

  RunProgress progress(args, file);
  RunLoop run{file, engine, *stop_signals, wall, shifts, progress, file.start + file.max_duration};
  const bool finished = virtual_clock ? run_on_virtual_clock(run, *virtual_clock)
                                      : run_on_real_clock(run, *clock, sip.get());
  const int stop_signal = stop_signals->received();
  if (stop_signal != 0) {
    // Interrupted: no new call (end_calls_in_progress ends those in progress).
    engine.stop_campaign(file.campaign.id);
    shifts.campaign_done();
    if (progress.tty()) std::fprintf(stderr, "\n");
    end_calls_in_progress(stop_signal, file, engine, *storage, *telephony, *clock, virtual_clock);
  }
  if (sip) hang_up_agent_phones(*sip);
  // Nothing fires on the clock from here on, and the engine's threads end: the report and the
  // outputs see one final state.
  clock->stop();
  engine.stop();
  if (sip) sip->detach();
  CampaignStatistics s = engine.statistics(file.campaign.id);
  progress.sample(s);
  progress.show(s, true);
  if (progress.tty()) std::fprintf(stderr, "\n");

  ContactTally contacts = tally_contacts(*storage, file.campaign.id);
  const json::object summary = report_run(args, file, engine, contacts.by_status,
                                          {s, finished, stop_signal, wall.elapsed_s()}, report);
  // Ending the engine writes the records of the inbound calls it still holds (still queued, or
  // with an agent): the outputs are written after, so calls.csv has every call the report counts.
  engine_holder.reset();
  write_outputs(args.out_dir, *storage, file, contacts.external, progress.metrics(), summary);
  std::printf("  %-28s %s/{calls.csv,calls.jsonl,metrics.json,summary.json}\n", "wrote",
              args.out_dir.c_str());
  return stop_signal != 0 ? 128 + stop_signal : 0;
}

}  // namespace omnivox::cli
