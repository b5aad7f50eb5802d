// Calls per second SipTelephony sustains against a SIP far end (SIPp's built-in "uas" scenario:
// 180, 200, wait for BYE), and the bridge delay of a nailed-up agent leg. benchmarks/sip_cps.sh
// starts SIPp and runs this; benchmarks/README.md records the figures.
//
//   omnivox_sip_cps_bench cps --trunk-port P --calls N --cps X [--hold-ms H]
//       N calls paced at X per second, each hung up H ms after its answer; prints the rate of
//       INVITEs and of answers achieved, the peak of open dialogs, and the failures.
//   omnivox_sip_cps_bench bridge --trunk-port P --agent-port A --calls N
//       N calls in turn, with AMD, to a far end that streams a person's "Hello?" then silence;
//       each bridged to one agent leg (SIPp with -rtp_echo) as soon as its verdict arrives;
//       prints the delays bridge() → and verdict → the first customer packet relayed to the
//       agent (median, max).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "omnivox/sip.h"

using namespace omnivox;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string mode;
  int trunk_port = 25901;
  int agent_port = 25902;
  int calls = 1000;
  double cps = 100;
  int hold_ms = 1000;
};

Args parse(int argc, char** argv) {
  Args a;
  if (argc > 1) a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--trunk-port")
      a.trunk_port = std::atoi(v);
    else if (k == "--agent-port")
      a.agent_port = std::atoi(v);
    else if (k == "--calls")
      a.calls = std::atoi(v);
    else if (k == "--cps")
      a.cps = std::atof(v);
    else if (k == "--hold-ms")
      a.hold_ms = std::atoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.mode != "cps" && a.mode != "bridge") {
    std::fprintf(stderr,
                 "usage: %s cps|bridge [--trunk-port P] [--agent-port A] [--calls N] "
                 "[--cps X] [--hold-ms H]\n",
                 argv[0]);
    std::exit(2);
  }
  return a;
}

// Collects events; hangs calls up `hold` after their answer from its own thread (the sink must
// not block or call back).
class Driver : public CallEventSink {
 public:
  void on_call_event(const CallEvent& e) override {
    std::lock_guard<std::mutex> lock(mu);
    auto now = Clock::now();
    if (e.kind == CallEventKind::kInitiated) {
      ++initiated;
      if (first_invite == Clock::time_point{}) first_invite = now;
      last_invite = now;
    } else if (e.kind == CallEventKind::kAnswered) {
      ++answered;
      last_answer = now;
      answered_calls.push_back({e.call_id, now});
    } else if (e.kind == CallEventKind::kAmdResult) {
      ++amd_results;
      if (e.amd == AmdResult::kHuman) ++humans;
    } else if (e.kind == CallEventKind::kBridged) {
      ++bridged;
    } else if (ends_call(e.kind)) {
      ++ended;
      if (e.kind != CallEventKind::kCompleted)
        ++failures[std::string(to_string(e.kind)) + "/" + std::to_string(e.provider_code)];
    }
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  long initiated = 0, answered = 0, amd_results = 0, humans = 0, bridged = 0, ended = 0;
  Clock::time_point first_invite{}, last_invite{}, last_answer{};
  std::vector<std::pair<CallId, Clock::time_point>> answered_calls;
  std::map<std::string, long> failures;
};

SipOptions base_options(int trunk_port) {
  SipOptions o;
  o.listen = "127.0.0.1:0";
  o.trunk = "sip:127.0.0.1:" + std::to_string(trunk_port);
  o.rtp_port_min = 32000;
  o.rtp_port_max = 39999;
  o.options_interval = Duration(0);
  return o;
}

OriginateRequest request(CallId id) {
  OriginateRequest r;
  r.call_id = id;
  r.to = "+1555" + std::to_string(1000000 + id);
  r.from = "+15559870000";
  r.ring_timeout = Duration(20000);
  return r;
}

int run_cps(const Args& a) {
  SipOptions o = base_options(a.trunk_port);
  o.calls_per_second = a.cps;
  o.max_queue_wait = Duration(3600 * 1000);
  SipTelephony sip(o);
  Driver d;
  sip.start(&d);
  auto t0 = Clock::now();
  for (int i = 1; i <= a.calls; ++i) sip.originate(request(i));
  std::size_t peak = 0;
  std::size_t hung = 0;
  auto deadline =
      t0 + std::chrono::milliseconds(static_cast<long>(a.calls / a.cps * 1000) + a.hold_ms + 30000);
  for (;;) {
    std::vector<CallId> due;
    {
      std::unique_lock<std::mutex> lock(d.mu);
      d.cv.wait_for(lock, std::chrono::milliseconds(5));
      if (d.ended >= a.calls || Clock::now() > deadline) break;
      auto now = Clock::now();
      while (hung < d.answered_calls.size() &&
             now - d.answered_calls[hung].second >= std::chrono::milliseconds(a.hold_ms)) {
        due.push_back(d.answered_calls[hung++].first);
      }
    }
    for (CallId id : due) sip.hangup(id);
    peak = std::max(peak, sip.stats().calls_now);
  }
  SipStats s = sip.stats();
  sip.stop();
  std::lock_guard<std::mutex> lock(d.mu);
  double invite_span = std::chrono::duration<double>(d.last_invite - d.first_invite).count();
  double answer_span = std::chrono::duration<double>(d.last_answer - d.first_invite).count();
  std::printf("target %.0f cps, %d calls, hold %d ms\n", a.cps, a.calls, a.hold_ms);
  std::printf("  INVITEs sent: %ld in %.2f s = %.1f /s\n", s.invites_sent, invite_span,
              invite_span > 0 ? (s.invites_sent - 1) / invite_span : 0.0);
  std::printf("  answered: %ld, answers %.1f /s\n", d.answered,
              answer_span > 0 ? d.answered / answer_span : 0.0);
  std::printf("  peak open dialogs: %zu, BYEs sent %ld, ended %ld\n", peak, s.byes_sent, d.ended);
  for (auto& [k, n] : d.failures) std::printf("  not completed: %s x %ld\n", k.c_str(), n);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu =
      ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf("  CPU of this process: %.2f s, %.0f us per call\n", cpu,
              s.invites_sent ? cpu * 1e6 / s.invites_sent : 0.0);
  return d.answered == a.calls ? 0 : 1;
}

int run_bridge(const Args& a) {
  SipOptions o = base_options(a.trunk_port);
  std::mutex mu;
  std::condition_variable cv;
  bool up = false;
  o.on_agent_leg = [&](AgentId, bool u) {
    std::lock_guard<std::mutex> lock(mu);
    up = u;
    cv.notify_all();
  };
  SipTelephony sip(o);
  Driver d;
  sip.start(&d);
  sip.connect_agent(1, "sip:agent@127.0.0.1:" + std::to_string(a.agent_port));
  {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return up; })) {
      std::fprintf(stderr, "agent leg did not come up\n");
      return 1;
    }
  }
  std::vector<double> delays_ms, verdict_ms;
  for (int i = 1; i <= a.calls; ++i) {
    OriginateRequest r = request(i);
    r.amd = true;
    sip.originate(r);
    {
      // The host's reaction to the verdict, as the engine's: bridge() as soon as it arrives.
      std::unique_lock<std::mutex> lock(d.mu);
      if (!d.cv.wait_for(lock, std::chrono::seconds(15), [&] { return d.amd_results >= i; })) {
        break;
      }
    }
    long before = sip.stats().bridges;
    sip.bridge(i, 1);
    // Audio flows every 20 ms; the first relayed packet follows within one.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    SipStats s = sip.stats();
    if (s.bridges == before + 1) {
      delays_ms.push_back(s.bridge_delay_us_last / 1000.0);
      verdict_ms.push_back(s.verdict_to_relay_us_last / 1000.0);
    }
    sip.hangup(i);
    std::unique_lock<std::mutex> lock(d.mu);
    d.cv.wait_for(lock, std::chrono::seconds(5), [&] { return d.ended >= i; });
  }
  sip.stop();
  if (delays_ms.empty()) {
    std::fprintf(stderr, "no bridge measured\n");
    return 1;
  }
  std::sort(delays_ms.begin(), delays_ms.end());
  std::sort(verdict_ms.begin(), verdict_ms.end());
  std::printf(
      "bridges %zu (%ld HUMAN verdicts): bridge() → first relayed packet median %.2f ms, "
      "max %.2f ms; AMD verdict → first relayed packet median %.2f ms, max %.2f ms\n",
      delays_ms.size(), d.humans, delays_ms[delays_ms.size() / 2], delays_ms.back(),
      verdict_ms[verdict_ms.size() / 2], verdict_ms.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  try {
    return a.mode == "cps" ? run_cps(a) : run_bridge(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
