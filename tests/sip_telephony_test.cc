// SipTelephony against SIPp (sip-tester) as the far end, all on 127.0.0.1. Each test has its own
// SIP ports (25xxx) and RTP ports (31xxx) so tests run in parallel do not collide; SIPp runs with
// -m 1 and a bounded -timeout, is waited for with a deadline and killed at the end. SIPp's exit
// code 0 says its scenario passed (e.g. our CANCEL or BYE arrived as expected).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "omnivox/clock.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/sip.h"
#include "omnivox/storage.h"

namespace omnivox {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kScenarios = std::string(OMNIVOX_TEST_DATA_DIR) + "/../sip/scenarios/";
constexpr const char* kSipp = "/usr/bin/sipp";

bool have_sipp() { return ::access(kSipp, X_OK) == 0; }

// A SIPp process running one scenario in its own working directory.
class Sipp {
 public:
  Sipp(const std::string& scenario, int sip_port, int media_port, const fs::path& dir,
       std::vector<std::string> extra = {}, int timeout_s = 20) {
    std::vector<std::string> args = {kSipp,
                                     "-sf",
                                     kScenarios + scenario,
                                     "-i",
                                     "127.0.0.1",
                                     "-p",
                                     std::to_string(sip_port),
                                     "-mi",
                                     "127.0.0.1",
                                     "-mp",
                                     std::to_string(media_port),
                                     "-m",
                                     "1",
                                     "-timeout",
                                     std::to_string(timeout_s) + "s",
                                     "-timeout_error",
                                     "-nostdin",
                                     "-trace_err",
                                     "-trace_msg"};
    for (auto& a : extra) args.push_back(a);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir(dir.c_str()) != 0) ::_exit(126);
      int out = ::open("sipp.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out >= 0) {
        ::dup2(out, 1);
        ::dup2(out, 2);
      }
      int in = ::open("/dev/null", O_RDONLY);
      if (in >= 0) ::dup2(in, 0);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(kSipp, argv.data());
      ::_exit(127);
    }
    std::this_thread::sleep_for(300ms);  // let it bind its port
  }
  ~Sipp() { kill(); }

  // Waits for the exit (deadline), returns the exit code, -1 if killed or still running.
  int wait(std::chrono::milliseconds deadline = 25s) {
    if (pid_ <= 0) return code_;
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = 0;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return code_;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = 0;
    }
  }

 private:
  pid_t pid_ = -1;
  int code_ = -1;
};

class Recorder : public CallEventSink {
 public:
  void on_call_event(const CallEvent& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
    cv_.notify_all();
  }
  // Waits until an event of `kind` for `call` arrived; returns it.
  std::optional<CallEvent> wait_for(CallId call, CallEventKind kind,
                                    std::chrono::milliseconds deadline = 15s) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<CallEvent> found;
    cv_.wait_for(lock, deadline, [&] {
      for (auto& e : events_) {
        if (e.call_id == call && e.kind == kind) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::optional<CallEvent> wait_end(CallId call, std::chrono::milliseconds deadline = 15s) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<CallEvent> found;
    cv_.wait_for(lock, deadline, [&] {
      for (auto& e : events_) {
        if (e.call_id == call && ends_call(e.kind)) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<CallEvent> events(CallId call) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<CallEvent> out;
    for (auto& e : events_) {
      if (e.call_id == call) out.push_back(e);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<CallEvent> events_;
};

OriginateRequest request(CallId id, Duration ring = Duration(10000)) {
  OriginateRequest r;
  r.call_id = id;
  r.to = "+15551230000";
  r.from = "+15559870000";
  r.ring_timeout = ring;
  return r;
}

void print_file(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return;
  std::fprintf(stderr, "---- %s\n", path.c_str());
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) std::fwrite(buf, 1, n, stderr);
  std::fclose(f);
}

// SIPp's output and error log in `dir`, for a failing test.
void print_sipp_log(const fs::path& dir) {
  for (auto& entry : fs::recursive_directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (name.find("errors.log") != std::string::npos || name == "sipp.out") print_file(entry);
  }
}

// Shell commands (sox, espeak-ng) that make test audio; true on success.
bool run_shell(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

// A machine greeting, spoken by espeak-ng, as an 8 kHz µ-law WAV for SIPp's rtp_stream.
bool make_greeting(const fs::path& dir) {
  return run_shell("cd '" + dir.string() +
                   "' && espeak-ng -w speech.wav 'Hello, you have reached the voicemail of John "
                   "Smith. I am not available right now. Please leave your name and number "
                   "after the tone and I will call you back.' && sox speech.wav -r 8000 -c 1 -e "
                   "u-law greeting.wav");
}

// A person answering: "Hello?" then silence, as greeting.wav (8 kHz µ-law).
bool make_hello(const fs::path& dir) {
  return run_shell("cd '" + dir.string() +
                   "' && espeak-ng -w speech.wav 'Hello?' && sox speech.wav -r 8000 -c 1 -e u-law "
                   "greeting.wav pad 0.2 4");
}

// A 440 Hz tone, 8 kHz 16-bit mono.
bool make_tone(const fs::path& path, double seconds) {
  return run_shell("sox -n -r 8000 -c 1 -b 16 -e signed-integer '" + path.string() + "' synth " +
                   std::to_string(seconds) + " sine 440 vol 0.5");
}

// One test's world: a working directory, SIPp far ends, a backend whose trunk is the first far
// end, and the events it reported. Test `slot` k owns SIP ports 25100+10k.. (the trunk, +5 an
// agent phone) and RTP ports 31000+20k.. (SIPp media +0 and +4, the backend's +8..+19), so tests
// run in parallel never share a port.
class Rig {
 public:
  Rig(const std::string& name, int slot)
      : dir_(fs::temp_directory_path() /
             ("omnivox_sip_" + name + "_" + std::to_string(::getpid()))),
        trunk_port_(25100 + 10 * slot),
        rtp_base_(31000 + 20 * slot) {
    fs::create_directories(dir_ / "agent");
    options.listen = "127.0.0.1:0";
    options.trunk = "sip:127.0.0.1:" + std::to_string(trunk_port_);
    options.rtp_port_min = static_cast<std::uint16_t>(rtp_base_ + 8);
    options.rtp_port_max = static_cast<std::uint16_t>(rtp_base_ + 19);
    options.options_interval = Duration(0);
  }
  ~Rig() {
    if (sip) sip->stop();
    far_.reset();
    agent_.reset();
    fs::remove_all(dir_);
  }
  const fs::path& dir() const { return dir_; }
  // The far end behind the trunk.
  void far_end(const std::string& scenario, std::vector<std::string> args = {}) {
    far_ = std::make_unique<Sipp>(scenario, trunk_port_, rtp_base_, dir_, std::move(args));
  }
  // An agent's phone; returns its URI.
  std::string agent_phone(const std::string& scenario, std::vector<std::string> args = {}) {
    agent_ = std::make_unique<Sipp>(scenario, trunk_port_ + 5, rtp_base_ + 4, dir_ / "agent",
                                    std::move(args));
    return "sip:agent@127.0.0.1:" + std::to_string(trunk_port_ + 5);
  }
  SipTelephony& start() {
    sip = std::make_unique<SipTelephony>(options);
    sip->start(&rec);
    return *sip;
  }
  // SIPp's exit code (0: its scenario passed), its logs printed otherwise.
  int far_exit() { return exit_of(far_.get()); }
  int agent_exit() { return exit_of(agent_.get()); }

  SipOptions options;
  Recorder rec;
  std::unique_ptr<SipTelephony> sip;

 private:
  int exit_of(Sipp* s) {
    int code = s ? s->wait() : -1;
    if (code != 0) print_sipp_log(dir_);
    return code;
  }
  fs::path dir_;
  int trunk_port_;
  int rtp_base_;
  std::unique_ptr<Sipp> far_;
  std::unique_ptr<Sipp> agent_;
};

#define REQUIRE_SIPP() \
  if (!have_sipp()) GTEST_SKIP() << "sipp not installed"

TEST(SipTelephonyTest, OutboundCallAnsweredThenHungUpWithBye) {
  REQUIRE_SIPP();
  Rig rig("answer", 0);
  rig.far_end("uas_answer.xml");
  SipTelephony& sip = rig.start();
  EXPECT_NE(sip.local_port(), 0);
  sip.originate(request(1));
  auto answered = rig.rec.wait_for(1, CallEventKind::kAnswered);
  ASSERT_TRUE(answered) << (print_sipp_log(rig.dir()), "no answer");
  EXPECT_EQ(answered->provider_code, 200);
  EXPECT_FALSE(answered->provider_call_id.empty());
  sip.hangup(1);
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_EQ(rig.far_exit(), 0);  // our BYE arrived
  auto events = rig.rec.events(1);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events[0].kind, CallEventKind::kInitiated);
  EXPECT_EQ(events[1].kind, CallEventKind::kRinging);
  for (std::size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].sequence, events[i - 1].sequence);
    EXPECT_EQ(events[i].provider_call_id, events[0].provider_call_id);
  }
  auto s = sip.stats();
  EXPECT_EQ(s.invites_sent, 1);
  EXPECT_EQ(s.answered, 1);
  EXPECT_EQ(s.byes_sent, 1);
  EXPECT_EQ(s.calls_now, 0u);
}

// One call against a SIPp far end that refuses it with `code`; returns the ending event.
std::optional<CallEvent> rejected_call(int code, int slot) {
  Rig rig("reject" + std::to_string(code), slot);
  rig.far_end("uas_reject_" + std::to_string(code) + ".xml");
  rig.start().originate(request(1));
  auto end = rig.rec.wait_end(1);
  EXPECT_EQ(rig.far_exit(), 0) << code;
  return end;
}

TEST(SipTelephonyTest, BusyMapsToBusy) {
  REQUIRE_SIPP();
  auto end = rejected_call(486, 1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kBusy);
  EXPECT_EQ(end->provider_code, 486);
}

TEST(SipTelephonyTest, NotFoundMapsToInvalidNumber) {
  REQUIRE_SIPP();
  auto end = rejected_call(404, 2);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kFailed);
  EXPECT_EQ(end->fail_reason, FailReason::kInvalidNumber);
  EXPECT_EQ(end->provider_code, 404);
}

TEST(SipTelephonyTest, ServiceUnavailableMapsToNetworkFailure) {
  REQUIRE_SIPP();
  auto end = rejected_call(503, 3);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kFailed);
  EXPECT_EQ(end->fail_reason, FailReason::kNetwork);
  EXPECT_EQ(end->provider_code, 503);
}

TEST(SipTelephonyTest, RingTimeoutSendsCancelAndReportsNoAnswer) {
  REQUIRE_SIPP();
  Rig rig("ring", 4);
  rig.far_end("uas_ring_forever.xml");
  SipTelephony& sip = rig.start();
  sip.originate(request(1, Duration(1500)));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kRinging));
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kNoAnswer);
  EXPECT_EQ(end->provider_code, 487);
  EXPECT_EQ(rig.far_exit(), 0);  // our CANCEL arrived and the 487 was ACKed
  EXPECT_EQ(sip.stats().cancels_sent, 1);
}

TEST(SipTelephonyTest, HangupWhileRingingCancels) {
  REQUIRE_SIPP();
  Rig rig("cancel", 5);
  rig.far_end("uas_ring_forever.xml");
  SipTelephony& sip = rig.start();
  sip.originate(request(1));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kRinging));
  sip.hangup(1);
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCanceled);
  EXPECT_EQ(rig.far_exit(), 0);
}

TEST(SipTelephonyTest, FarEndByeCompletesTheCall) {
  REQUIRE_SIPP();
  Rig rig("farbye", 6);
  rig.far_end("uas_answer_then_bye.xml");
  SipTelephony& sip = rig.start();
  sip.originate(request(1));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kAnswered));
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_EQ(rig.far_exit(), 0);
  EXPECT_EQ(sip.stats().byes_received, 1);
  EXPECT_EQ(sip.stats().byes_sent, 0);
}

TEST(SipTelephonyTest, ReInviteFromTheFarEndIsAnswered) {
  REQUIRE_SIPP();
  Rig rig("reinvite", 25);
  rig.far_end("uas_reinvite.xml");
  SipTelephony& sip = rig.start();
  sip.originate(request(1));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kAnswered));
  std::this_thread::sleep_for(800ms);       // the re-INVITE (now PCMA only) and its answer
  EXPECT_EQ(rig.rec.events(1).size(), 3u);  // initiated, ringing, answered: nothing ended
  sip.hangup(1);
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_EQ(rig.far_exit(), 0);  // our 200 answered PCMA, and our BYE arrived
}

TEST(SipTelephonyTest, AnswerWithoutG711IsHungUpAs488) {
  REQUIRE_SIPP();
  Rig rig("g729", 7);
  rig.far_end("uas_answer_g729.xml");
  rig.start().originate(request(1));
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kFailed);
  EXPECT_EQ(end->provider_code, 488);
  EXPECT_EQ(rig.far_exit(), 0);  // our BYE arrived
}

TEST(SipTelephonyTest, QueueOverflowAndQueuedHangup) {
  // Nothing listens on the trunk port: only the queue is exercised (the one INVITE sent fails
  // later, which the test does not wait for).
  Rig rig("queue", 8);
  rig.options.calls_per_second = 0.5;  // one INVITE every 2 s
  rig.options.max_queue_wait = Duration(3000);
  SipTelephony& sip = rig.start();
  for (CallId id = 1; id <= 4; ++id) sip.originate(request(id));
  // 1 is sent now, 2 waits 2 s, 3 would wait 4 s (> 3 s) and 4 too.
  auto e3 = rig.rec.wait_end(3, 3s);
  ASSERT_TRUE(e3);
  EXPECT_EQ(e3->kind, CallEventKind::kFailed);
  EXPECT_EQ(e3->fail_reason, FailReason::kNetwork);
  EXPECT_EQ(e3->provider_code, 503);
  ASSERT_TRUE(rig.rec.wait_end(4, 3s));
  sip.hangup(2);
  auto e2 = rig.rec.wait_end(2, 3s);
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->kind, CallEventKind::kCanceled);
  EXPECT_EQ(rig.rec.events(2).size(), 1u);  // never initiated: nothing was sent
  auto s = sip.stats();
  EXPECT_EQ(s.queue_overflows, 2);
  EXPECT_EQ(s.invites_sent, 1);
}

TEST(SipTelephonyTest, UnreachableTrunkFailsAsNetwork) {
  // Nothing listens on the trunk's port: no response at all (libre does not see the ICMP port
  // unreachable), so at the ring timeout the call fails as Timer B would, not as no-answer.
  Rig rig("unreachable", 9);
  rig.start().originate(request(1, Duration(1500)));
  auto end = rig.rec.wait_end(1, 5s);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kFailed);
  EXPECT_EQ(end->fail_reason, FailReason::kNetwork);
  EXPECT_EQ(end->provider_code, 408);
}

TEST(SipTelephonyTest, BadOptionsThrowConfigErrors) {
  Rig rig("options", 10);
  SipOptions o;
  EXPECT_THROW(SipTelephony{o}, Error);  // no trunk
  o = rig.options;
  o.listen = "not an address";
  EXPECT_THROW(SipTelephony{o}, Error);
  o = rig.options;
  o.calls_per_second = 0;
  EXPECT_THROW(SipTelephony{o}, Error);
  o = rig.options;
  o.trunk = "http://x";
  EXPECT_THROW(SipTelephony{o}, Error);
  o = rig.options;
  o.rtp_port_max = 10;
  EXPECT_THROW(SipTelephony{o}, Error);
}

TEST(SipTelephonyTest, SecondBackendOnATakenPortFailsWithIoError) {
  Rig rig("taken", 11);
  rig.options.listen = "127.0.0.1:25211";
  SipTelephony first(rig.options);
  EXPECT_EQ(first.local_port(), 25211);
  try {
    SipTelephony second(rig.options);
    FAIL() << "bound twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
}

TEST(SipTelephonyTest, AmdVerdictFromTheCalleesAudio) {
  REQUIRE_SIPP();
  Rig rig("amd", 12);
  if (!make_greeting(rig.dir())) GTEST_SKIP() << "espeak-ng or sox missing";
  rig.far_end("uas_answer_stream.xml");
  SipTelephony& sip = rig.start();
  auto req = request(1);
  req.amd = true;
  sip.originate(req);
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kAnswered));
  auto amd = rig.rec.wait_for(1, CallEventKind::kAmdResult, 10s);
  ASSERT_TRUE(amd);
  EXPECT_GT(sip.stats().rtp_packets_received, 10);
  // A spoken greeting of several sentences is a machine's.
  EXPECT_EQ(amd->amd, AmdResult::kMachine);
  sip.hangup(1);
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_EQ(rig.far_exit(), 0);
}

TEST(SipTelephonyTest, AmdTakesAShortHelloForAPerson) {
  REQUIRE_SIPP();
  Rig rig("amdhuman", 24);
  if (!make_hello(rig.dir())) GTEST_SKIP() << "espeak-ng or sox missing";
  rig.far_end("uas_answer_stream.xml");
  SipTelephony& sip = rig.start();
  auto req = request(1);
  req.amd = true;
  sip.originate(req);
  auto amd = rig.rec.wait_for(1, CallEventKind::kAmdResult, 10s);
  ASSERT_TRUE(amd);
  EXPECT_EQ(amd->amd, AmdResult::kHuman);
  sip.hangup(1);
  ASSERT_TRUE(rig.rec.wait_end(1));
  EXPECT_EQ(rig.far_exit(), 0);
}

TEST(SipTelephonyTest, PlayStreamsTheMessageAndHangupWaitsForItsEnd) {
  REQUIRE_SIPP();
  Rig rig("play", 13);
  if (!make_tone(rig.dir() / "message.wav", 1.0)) GTEST_SKIP() << "sox missing";
  rig.far_end("uas_answer.xml");
  SipTelephony& sip = rig.start();
  sip.originate(request(1));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kAnswered));
  auto t0 = std::chrono::steady_clock::now();
  sip.play(1, (rig.dir() / "message.wav").string());
  sip.hangup(1);  // takes effect when the 1 s message has been heard
  auto end = rig.rec.wait_end(1, 5s);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  EXPECT_GE(sip.stats().rtp_packets_sent, 50);  // 1 s in 20 ms packets
  EXPECT_EQ(rig.far_exit(), 0);
}

TEST(SipTelephonyTest, PlayOfAnUnknownMessageWithoutDefaultIsSkipped) {
  REQUIRE_SIPP();
  Rig rig("playskip", 14);
  rig.far_end("uas_answer.xml");
  SipTelephony& sip = rig.start();
  sip.originate(request(1));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kAnswered));
  sip.play(1, "Please hold, an agent will be with you shortly.");
  sip.hangup(1);
  auto end = rig.rec.wait_end(1, 3s);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_EQ(sip.stats().rtp_packets_sent, 0);
  EXPECT_EQ(rig.far_exit(), 0);
}

// Records SipOptions::on_agent_leg calls.
struct AgentLegs {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<AgentId, bool>> seen;
  void watch(SipOptions& o) {
    o.on_agent_leg = [this](AgentId a, bool up) {
      std::lock_guard<std::mutex> lock(mu);
      seen.emplace_back(a, up);
      cv.notify_all();
    };
  }
  bool wait(AgentId a, bool up, std::chrono::milliseconds deadline = 10s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, deadline, [&] {
      return std::find(seen.begin(), seen.end(), std::make_pair(a, up)) != seen.end();
    });
  }
};

// A bridge between a SIPp customer streaming speech (PCMU) and a SIPp agent phone answering
// `agent_scenario` that echoes RTP.
void bridge_and_relay(const std::string& name, int slot, const std::string& agent_scenario) {
  Rig rig(name, slot);
  if (!make_greeting(rig.dir())) GTEST_SKIP() << "espeak-ng or sox missing";
  // The agent's phone echoes what it hears, so audio relayed to it comes back to the customer.
  std::string agent_uri = rig.agent_phone(agent_scenario, {"-rtp_echo"});
  rig.far_end("uas_answer_stream.xml");
  AgentLegs legs;
  legs.watch(rig.options);
  SipTelephony& sip = rig.start();
  sip.connect_agent(7, agent_uri);
  ASSERT_TRUE(legs.wait(7, true)) << (print_sipp_log(rig.dir()), "agent leg not up");
  EXPECT_EQ(sip.stats().agents_up, 1u);
  sip.originate(request(1));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kAnswered));
  sip.bridge(1, 7);
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kBridged, 5s));
  std::this_thread::sleep_for(1500ms);
  auto s = sip.stats();
  EXPECT_EQ(s.bridges, 1);
  // The customer's packets went to the agent, came back echoed and went on to the customer.
  EXPECT_GT(s.rtp_packets_sent, 100);
  EXPECT_GT(s.rtp_packets_received, 100);
  EXPECT_GT(s.bridge_delay_us_last, 0);
  // A packet's wait (20 ms), not a SIP round trip; generous for a loaded CI machine.
  EXPECT_LT(s.bridge_delay_us_last, 1000000);
  std::printf("bridge delay (bridge() → first relayed packet): %.2f ms\n",
              s.bridge_delay_us_last / 1000.0);
  sip.hangup(1);
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_EQ(rig.far_exit(), 0);
  // The agent's leg stays up for the next call until disconnect_agent.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sip.stats().agents_up, 1u);
  sip.disconnect_agent(7);
  EXPECT_TRUE(legs.wait(7, false));
  EXPECT_EQ(rig.agent_exit(), 0);
}

TEST(SipTelephonyTest, BridgeRelaysRtpBetweenCustomerAndNailedUpAgentLeg) {
  REQUIRE_SIPP();
  bridge_and_relay("bridge", 15, "uas_answer.xml");
}

TEST(SipTelephonyTest, BridgeTranscodesBetweenPcmuAndPcmaLegs) {
  REQUIRE_SIPP();
  bridge_and_relay("bridgealaw", 21, "uas_answer_pcma.xml");
}

TEST(SipTelephonyTest, StopEndsOpenCallsWithByeAndCancel) {
  REQUIRE_SIPP();
  Rig answered("stopbye", 22);
  answered.far_end("uas_answer.xml");
  Rig ringing("stopcancel", 23);
  ringing.far_end("uas_ring_forever.xml");
  // Two backends (one trunk each): one with an answered call, one with a ringing call.
  SipTelephony& a = answered.start();
  SipTelephony& r = ringing.start();
  a.originate(request(1));
  r.originate(request(2));
  ASSERT_TRUE(answered.rec.wait_for(1, CallEventKind::kAnswered));
  ASSERT_TRUE(ringing.rec.wait_for(2, CallEventKind::kRinging));
  a.stop();
  r.stop();
  std::size_t seen_a = answered.rec.events(1).size();
  std::size_t seen_r = ringing.rec.events(2).size();
  EXPECT_EQ(answered.far_exit(), 0);  // BYE arrived
  EXPECT_EQ(ringing.far_exit(), 0);   // CANCEL arrived
  EXPECT_EQ(a.stats().byes_sent, 1);
  EXPECT_EQ(r.stats().cancels_sent, 1);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(answered.rec.events(1).size(), seen_a);  // nothing after stop() returned
  EXPECT_EQ(ringing.rec.events(2).size(), seen_r);
}

TEST(SipTelephonyTest, AgentLegLostDuringBridgeEndsCustomerAfterTheMessage) {
  REQUIRE_SIPP();
  Rig rig("agentlost", 16);
  if (!make_tone(rig.dir() / "safe_harbor.wav", 0.5)) GTEST_SKIP() << "sox missing";
  std::string agent_uri = rig.agent_phone("uas_agent_hangs_up.xml");
  rig.far_end("uas_answer.xml");
  rig.options.default_message_wav = (rig.dir() / "safe_harbor.wav").string();
  AgentLegs legs;
  legs.watch(rig.options);
  SipTelephony& sip = rig.start();
  sip.connect_agent(3, agent_uri);
  ASSERT_TRUE(legs.wait(3, true));
  sip.originate(request(1));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kAnswered));
  sip.bridge(1, 3);
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kBridged, 5s));
  ASSERT_TRUE(legs.wait(3, false));  // the agent hung up
  auto end = rig.rec.wait_end(1, 5s);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_GE(sip.stats().rtp_packets_sent, 20);  // the 0.5 s message
  EXPECT_EQ(rig.far_exit(), 0);
  EXPECT_EQ(rig.agent_exit(), 0);
}

TEST(SipTelephonyTest, BridgeToAnAgentWithoutLegPlaysTheMessageAndEnds) {
  REQUIRE_SIPP();
  Rig rig("noagent", 17);
  rig.far_end("uas_answer.xml");
  SipTelephony& sip = rig.start();
  sip.originate(request(1));
  ASSERT_TRUE(rig.rec.wait_for(1, CallEventKind::kAnswered));
  sip.bridge(1, 99);
  auto end = rig.rec.wait_end(1, 5s);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_EQ(rig.rec.events(1).back().kind, CallEventKind::kCompleted);
  EXPECT_EQ(rig.far_exit(), 0);
}

// The SIP backend under an engine: every event it reports is counted on its way to the engine
// (the engine's sink is wrapped at start()), and bridge() reaches the backend `bridge_delay`
// late, as if the answered call had waited that long for an agent.
class SlowBridgeSip : public TelephonyWrapper, public CallEventSink {
 public:
  SlowBridgeSip(Telephony* sip, Duration bridge_delay)
      : TelephonyWrapper(sip), bridge_delay_(bridge_delay) {}
  ~SlowBridgeSip() override { join(); }
  void start(CallEventSink* engine) override {
    engine_ = engine;
    target()->start(this);
  }
  void bridge(CallId call, AgentId agent) override {
    join();
    bridger_ = std::thread([this, call, agent] {
      std::this_thread::sleep_for(bridge_delay_);
      target()->bridge(call, agent);
    });
  }
  void stop() override {
    join();
    target()->stop();
  }
  void on_call_event(const CallEvent& e) override {
    if (e.kind == CallEventKind::kAmdResult) ++amd_results;
    engine_->on_call_event(e);
  }
  std::atomic<int> amd_results{0};

 private:
  void join() {
    if (bridger_.joinable()) bridger_.join();
  }
  Duration bridge_delay_;
  CallEventSink* engine_ = nullptr;
  std::thread bridger_;
};

int journaled(Storage& storage, const std::string& kind) {
  int n = 0;
  storage.scan_journal("amd", [&](const JournalEntry& e) {
    n += e.kind == kind;
    return true;
  });
  return n;
}

// AMD suspended at the abandon cap: the engine puts the answer through as a person and tells
// the backend to stop classifying it. The callee plays a machine's greeting, which the detector
// takes for a machine within its deadline (AmdVerdictFromTheCalleesAudio), and the call reaches
// the agent only after that deadline. No AMD result reaches the engine, and the journal holds
// the suspension and no late event.
TEST(SipTelephonyTest, AmdSuspendedAtTheCapStopsTheDetectorAndTheCallGoesToAnAgent) {
  REQUIRE_SIPP();
  Rig rig("amdsuspended", 22);
  if (!make_greeting(rig.dir())) GTEST_SKIP() << "espeak-ng or sox missing";
  std::string agent_uri = rig.agent_phone("uas_answer.xml", {"-rtp_echo"});
  rig.far_end("uas_answer_stream.xml");
  AgentLegs legs;
  legs.watch(rig.options);
  rig.sip = std::make_unique<SipTelephony>(rig.options);
  // Past the detector's deadline, by which it reports a verdict on any audio (sip_media.cc).
  SlowBridgeSip telephony(rig.sip.get(), rig.options.amd.total_analysis_time + 2s);
  auto clock = make_system_clock();
  auto storage = make_memory_storage();
  EngineOptions eo;
  eo.log_level = LogLevel::kWarn;
  ASSERT_TRUE(eo.suspend_amd_at_cap);  // the default
  Engine engine(eo, storage.get(), &telephony, clock.get());
  CampaignConfig c;
  c.id = "amd";
  c.dial_mode = DialMode::kPower;
  c.power_lines_per_agent = 1;
  c.call_window = CallWindow::always();
  c.amd = true;
  c.max_attempts = 1;
  // Machine results count against the cap: with no live answer in the window yet the budget
  // cannot take one, so the first answer is not classified.
  c.compliance = ComplianceProfile::none();
  c.compliance.abandon_cap = 0.03;
  c.compliance.count_amd_false_positives = true;
  c.compliance.amd_false_positive_rate = 0.05;
  c.compliance.hold_window = std::chrono::seconds(30);
  c.hold_window = std::chrono::seconds(30);
  engine.add_campaign(c);
  const AgentId agent = engine.add_agent("amd", "agent");
  Contact contact;
  contact.campaign_id = "amd";
  contact.external_id = "machine";
  contact.numbers.push_back(PhoneNumber{.e164 = "+15551230000"});
  engine.add_contact("amd", contact);
  rig.sip->connect_agent(agent, agent_uri);
  ASSERT_TRUE(legs.wait(agent, true)) << (print_sipp_log(rig.dir()), "agent leg not up");
  engine.set_agent_state(agent, AgentState::kAvailable);
  engine.start(1);
  engine.start_campaign("amd");
  const auto until = [&](const std::function<bool()>& done, std::chrono::milliseconds deadline) {
    for (auto end = std::chrono::steady_clock::now() + deadline;
         std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(20ms)) {
      if (done()) return true;
    }
    return done();
  };
  ASSERT_TRUE(until([&] { return journaled(*storage, "amd_suspended") == 1; }, 10s))
      << (print_sipp_log(rig.dir()), "the answer was not put through unclassified");
  EXPECT_TRUE(until([&] { return engine.statistics("amd").connects == 1; }, 15s));
  const CampaignStatistics s = engine.statistics("amd");
  engine.stop();
  EXPECT_EQ(telephony.amd_results, 0);
  EXPECT_EQ(journaled(*storage, "late_event"), 0);
  EXPECT_EQ(s.amd_suspended, 1);
  EXPECT_EQ(s.machines, 0);
  EXPECT_EQ(s.abandons, 0);
  EXPECT_EQ(rig.sip->stats().bridges, 1);
}

// A call through a far end that challenges the INVITE and checks the answer to it (user
// "alice", password "secret"); returns the call's ending event.
std::optional<CallEvent> challenged_call(const std::string& password, int slot) {
  Rig rig("auth" + password, slot);
  rig.far_end("uas_auth.xml");
  rig.options.credentials = {"alice", password};
  SipTelephony& sip = rig.start();
  sip.originate(request(1));
  if (password == "secret" && rig.rec.wait_for(1, CallEventKind::kAnswered)) sip.hangup(1);
  auto end = rig.rec.wait_end(1);
  EXPECT_EQ(sip.stats().auth_challenges, 1);
  EXPECT_EQ(rig.far_exit(), 0);
  return end;
}

TEST(SipTelephonyTest, DigestChallengeAnsweredWithTheCredentials) {
  REQUIRE_SIPP();
  auto end = challenged_call("secret", 18);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
}

TEST(SipTelephonyTest, DigestChallengeWithAWrongPasswordFails) {
  REQUIRE_SIPP();
  auto end = challenged_call("wrong", 19);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kFailed);
  EXPECT_EQ(end->provider_code, 403);
}

// Keeps the log lines the backend writes.
class LogLines : public LogSink {
 public:
  void write(LogLevel, std::string_view message) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(message);
  }
  bool has(const std::string& part) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& l : lines_) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST(SipTelephonyTest, OptionsKeepAliveFailureIsLoggedAndKeepsGoing) {
  REQUIRE_SIPP();
  Rig rig("options503", 20);
  rig.far_end("uas_options_503.xml");
  auto log = std::make_shared<LogLines>();
  rig.options.log_sink = log;
  rig.options.options_interval = Duration(300);
  rig.start();
  EXPECT_EQ(rig.far_exit(), 0);  // an OPTIONS arrived and got its 503
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!log->has("answered OPTIONS with 503") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(log->has("answered OPTIONS with 503"));
}

// The network between the trunk and the backend, losing RTP: SIP passes through unchanged except
// the INVITE's SDP, whose audio port becomes the relay's own, so the far end's RTP reaches the
// backend through the relay, which drops `loss` of it: in every block of 20 packets, that share
// at positions a seeded std::mt19937_64 picks (the same packets are lost on every run, and the
// share holds however short the call). The backend's own RTP and the far
// end's responses and in-dialog requests go direct (Via, Contact and SDP name their senders).
class LossyRelay {
 public:
  LossyRelay(int sip_port, int far_sip_port, int rtp_port, double loss, std::uint64_t seed)
      : far_sip_port_(far_sip_port),
        rtp_port_(rtp_port),
        rng_(seed),
        drops_per_block_(static_cast<int>(loss * kBlock + 0.5)) {
    sip_fd_ = bound_socket(sip_port);
    rtp_fd_ = bound_socket(rtp_port);
    thread_ = std::thread([this] { run(); });
  }
  ~LossyRelay() {
    stop_ = true;
    thread_.join();
    ::close(sip_fd_);
    ::close(rtp_fd_);
  }
  long forwarded() const { return forwarded_; }
  long dropped() const { return dropped_; }

 private:
  static int bound_socket(int port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a = loopback(port);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      throw std::runtime_error("relay: cannot bind 127.0.0.1:" + std::to_string(port));
    }
    return fd;
  }
  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }
  void run() {
    pollfd fds[2] = {{sip_fd_, POLLIN, 0}, {rtp_fd_, POLLIN, 0}};
    char buf[8192];
    while (!stop_) {
      if (::poll(fds, 2, 50) <= 0) continue;
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      if (fds[0].revents & POLLIN) {
        ssize_t n =
            ::recvfrom(sip_fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) sip(std::string(buf, static_cast<std::size_t>(n)), from);
      }
      if (fds[1].revents & POLLIN) {
        ssize_t n = ::recv(rtp_fd_, buf, sizeof(buf), 0);
        if (n > 0 && backend_rtp_port_ != 0) {
          if (lost()) {
            ++dropped_;
          } else {
            ++forwarded_;
            sockaddr_in to = loopback(backend_rtp_port_);
            ::sendto(rtp_fd_, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to));
          }
        }
      }
    }
  }
  bool lost() {
    if (in_block_ == 0) {
      block_.assign(kBlock, false);
      std::fill_n(block_.begin(), drops_per_block_, true);
      std::shuffle(block_.begin(), block_.end(), rng_);
    }
    bool drop = block_[static_cast<std::size_t>(in_block_)];
    in_block_ = (in_block_ + 1) % kBlock;
    return drop;
  }
  void sip(std::string msg, const sockaddr_in& from) {
    sockaddr_in to = loopback(far_sip_port_);
    if (ntohs(from.sin_port) == far_sip_port_) {
      to = backend_sip_;
    } else {
      backend_sip_ = from;
      auto m = msg.find("\r\nm=audio ");
      if (msg.rfind("INVITE ", 0) == 0 && m != std::string::npos) {
        auto start = m + 10;
        auto end = msg.find(' ', start);
        backend_rtp_port_ = std::stoi(msg.substr(start, end - start));
        std::string ours = std::to_string(rtp_port_);
        // Same number of digits, so Content-Length stays right.
        if (ours.size() == end - start) msg.replace(start, end - start, ours);
      }
    }
    ::sendto(sip_fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }

  int far_sip_port_;
  int rtp_port_;
  int sip_fd_ = -1;
  int rtp_fd_ = -1;
  sockaddr_in backend_sip_{};
  std::atomic<int> backend_rtp_port_{0};
  static constexpr int kBlock = 20;
  std::mt19937_64 rng_;
  int drops_per_block_;
  std::vector<bool> block_;
  int in_block_ = 0;
  std::atomic<long> forwarded_{0};
  std::atomic<long> dropped_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One call whose far end streams greeting.wav through a relay losing `loss` of its RTP: the AMD
// verdict must be `expected` and the call must still end cleanly. Slots 30+ (SIP 25400.., RTP
// 31600..): the relay takes the trunk's port and RTP +4, SIPp the trunk's +1.
struct LossCase {
  const char* name;
  int slot;
  double loss;
  bool (*make_audio)(const fs::path&);
  AmdResult expected;
};

void PrintTo(const LossCase& c, std::ostream* os) { *os << c.name; }

class SipRtpLossTest : public ::testing::TestWithParam<LossCase> {};

TEST_P(SipRtpLossTest, VerdictAndCallSurvive) {
  REQUIRE_SIPP();
  const LossCase& c = GetParam();
  Rig rig(c.name, c.slot);
  if (!c.make_audio(rig.dir())) GTEST_SKIP() << "espeak-ng or sox missing";
  int trunk = 25100 + 10 * c.slot;
  int rtp = 31000 + 20 * c.slot;
  LossyRelay relay(trunk, trunk + 1, rtp + 4, c.loss, 20261206);
  Sipp far("uas_answer_stream.xml", trunk + 1, rtp, rig.dir());
  SipTelephony& sip = rig.start();
  auto req = request(1);
  req.amd = true;
  sip.originate(req);
  auto amd = rig.rec.wait_for(1, CallEventKind::kAmdResult, 12s);
  ASSERT_TRUE(amd) << (print_sipp_log(rig.dir()), "no AMD verdict");
  std::this_thread::sleep_for(500ms);  // a few more packets after the verdict
  sip.hangup(1);
  auto end = rig.rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  EXPECT_EQ(far.wait(), 0) << (print_sipp_log(rig.dir()), "SIPp did not get our BYE");
  long total = relay.forwarded() + relay.dropped();
  double share = total ? static_cast<double>(relay.dropped()) / static_cast<double>(total) : 0;
  std::printf("%s: %ld of %ld packets dropped (%.1f%%), verdict %s\n", c.name, relay.dropped(),
              total, share * 100, to_string(amd->amd));
  EXPECT_GT(total, 20);
  EXPECT_NEAR(share, c.loss, 0.03);
  // Every packet the relay forwarded arrived, but for one or two still on their way when our
  // BYE closed the call's socket.
  long received = sip.stats().rtp_packets_received;
  EXPECT_LE(received, relay.forwarded());
  EXPECT_GE(received, relay.forwarded() - 2);
  EXPECT_EQ(amd->amd, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Loss, SipRtpLossTest,
    ::testing::Values(LossCase{"loss10machine", 30, 0.10, make_greeting, AmdResult::kMachine},
                      LossCase{"loss10hello", 31, 0.10, make_hello, AmdResult::kHuman},
                      LossCase{"loss25machine", 32, 0.25, make_greeting, AmdResult::kMachine},
                      LossCase{"loss25hello", 33, 0.25, make_hello, AmdResult::kHuman}),
    [](const ::testing::TestParamInfo<LossCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace omnivox
