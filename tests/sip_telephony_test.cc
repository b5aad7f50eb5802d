// SipTelephony against SIPp (sip-tester) as the far end, all on 127.0.0.1. Each test has its own
// SIP ports (25xxx) and RTP ports (31xxx) so tests run in parallel do not collide; SIPp runs with
// -m 1 and a bounded -timeout, is waited for with a deadline and killed at the end. SIPp's exit
// code 0 says its scenario passed (e.g. our CANCEL or BYE arrived as expected).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "omnivox/sip.h"

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

fs::path temp_dir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("omnivox_sip_" + name + "_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

SipOptions options_for(int trunk_port, int rtp_base) {
  SipOptions o;
  o.listen = "127.0.0.1:0";
  o.trunk = "sip:127.0.0.1:" + std::to_string(trunk_port);
  o.rtp_port_min = static_cast<std::uint16_t>(rtp_base);
  o.rtp_port_max = static_cast<std::uint16_t>(rtp_base + 19);
  o.options_interval = Duration(0);
  return o;
}

OriginateRequest request(CallId id, Duration ring = Duration(10000)) {
  OriginateRequest r;
  r.call_id = id;
  r.to = "+15551230000";
  r.from = "+15559870000";
  r.ring_timeout = ring;
  return r;
}

void print_sipp_log(const fs::path& dir) {
  for (auto& entry : fs::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (name.find("errors.log") == std::string::npos && name != "sipp.out") continue;
    std::FILE* f = std::fopen(entry.path().c_str(), "r");
    if (!f) continue;
    std::fprintf(stderr, "---- %s\n", name.c_str());
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) std::fwrite(buf, 1, n, stderr);
    std::fclose(f);
  }
}

#define REQUIRE_SIPP() \
  if (!have_sipp()) GTEST_SKIP() << "sipp not installed"

TEST(SipTelephonyTest, OutboundCallAnsweredThenHungUpWithBye) {
  REQUIRE_SIPP();
  auto dir = temp_dir("answer");
  Sipp sipp("uas_answer.xml", 25101, 31000, dir);
  Recorder rec;
  SipTelephony sip(options_for(25101, 31100));
  EXPECT_NE(sip.local_port(), 0);
  sip.start(&rec);
  sip.originate(request(1));
  auto answered = rec.wait_for(1, CallEventKind::kAnswered);
  ASSERT_TRUE(answered) << (print_sipp_log(dir), "no answer");
  EXPECT_EQ(answered->provider_code, 200);
  EXPECT_FALSE(answered->provider_call_id.empty());
  sip.hangup(1);
  auto end = rec.wait_end(1);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, CallEventKind::kCompleted);
  int code = sipp.wait();
  if (code != 0) print_sipp_log(dir);
  EXPECT_EQ(code, 0);
  auto events = rec.events(1);
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
  sip.stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace omnivox
