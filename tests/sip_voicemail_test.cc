// The SIP backend's voicemail drop after the beep: a play() on a call AMD took for a machine
// waits for the greeting's end (BeepDetector) before its first packet; a person's message does
// not wait. SIPp (uas_answer_stream.xml) answers and streams a greeting made at test time with
// espeak-ng and sox; the first packet of the message is seen in the backend's rtp_packets_sent,
// polled every 2 ms, and timed from the answer (when SIPp starts its stream). Ports: SIP
// 25500–25599, RTP 32000–32499 (test `slot` k: SIP 25500+10k, RTP 32000+50k..+29).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "omnivox/amd.h"
#include "omnivox/sip.h"

namespace omnivox {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSippPath = "/usr/bin/sipp";
const std::string kScenarioDir = std::string(OMNIVOX_TEST_DATA_DIR) + "/../sip/scenarios/";

// SIPp as the trunk's far end, in its own directory; killed when the test ends.
class FarEnd {
 public:
  FarEnd(const fs::path& dir, int sip_port, int media_port) {
    std::vector<std::string> args = {kSippPath};
    std::istringstream words("-sf " + kScenarioDir + "uas_answer_stream.xml -i 127.0.0.1 -p " +
                             std::to_string(sip_port) + " -mi 127.0.0.1 -mp " +
                             std::to_string(media_port) +
                             " -m 1 -timeout 30s -timeout_error -nostdin");
    for (std::string w; words >> w;) args.push_back(w);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "sipp.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid_, kSippPath, &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    std::this_thread::sleep_for(300ms);  // its SIP port bound
  }
  ~FarEnd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// Events with the steady time they arrived.
class Events : public CallEventSink {
 public:
  void on_call_event(const CallEvent& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.emplace(e.kind, std::make_pair(e, Clock::now()));
    cv_.notify_all();
  }
  std::optional<std::pair<CallEvent, Clock::time_point>> wait(CallEventKind kind,
                                                              std::chrono::seconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, deadline, [&] { return seen_.count(kind) > 0; })) return std::nullopt;
    return seen_.find(kind)->second;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<CallEventKind, std::pair<CallEvent, Clock::time_point>> seen_;
};

bool shell(const std::string& cmd) {
  return std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()) == 0;
}

// Audio time of a WAV file.
Duration wav_length(const fs::path& path) {
  return Duration{static_cast<long>(read_wav_file(path.string()).samples.size()) / 8};
}

struct Drop {
  AmdResult verdict = AmdResult::kNone;
  Duration first_packet{-1};  ///< from the answer; -1 if none was sent
  Duration verdict_at{-1};    ///< from the answer
  long packets = 0;
  bool completed = false;
};

// One call to SIPp streaming `dir`/greeting.wav: on the AMD verdict the test plays a 1 s message
// and hangs up, as the engine does for a voicemail drop.
Drop drop_message(const fs::path& dir, int slot) {
  const int sip_port = 25500 + 10 * slot;
  const int rtp_base = 32000 + 50 * slot;
  Drop out;
  if (!shell("sox -n -r 8000 -c 1 -b 16 '" + (dir / "message.wav").string() +
             "' synth 1 sine 600 vol 0.3")) {
    ADD_FAILURE() << "sox failed";
    return out;
  }
  FarEnd far(dir, sip_port, rtp_base);
  EXPECT_TRUE(far.running());
  SipOptions o;
  o.listen = "127.0.0.1:0";
  o.trunk = "sip:127.0.0.1:" + std::to_string(sip_port);
  o.rtp_port_min = static_cast<std::uint16_t>(rtp_base + 10);
  o.rtp_port_max = static_cast<std::uint16_t>(rtp_base + 29);
  o.options_interval = Duration(0);
  Events events;
  SipTelephony sip(o);
  sip.start(&events);
  OriginateRequest req;
  req.call_id = 1;
  req.to = "+15551230000";
  req.from = "+15559870000";
  req.ring_timeout = Duration(10000);
  req.amd = true;
  sip.originate(req);
  auto answered = events.wait(CallEventKind::kAnswered, 10s);
  auto amd = events.wait(CallEventKind::kAmdResult, 10s);
  if (!answered || !amd) {
    ADD_FAILURE() << "no answer or no AMD verdict";
    sip.stop();
    return out;
  }
  out.verdict = amd->first.amd;
  out.verdict_at = std::chrono::duration_cast<Duration>(amd->second - answered->second);
  const long sent_before = sip.stats().rtp_packets_sent;
  sip.play(1, (dir / "message.wav").string());
  sip.hangup(1);
  for (auto end = Clock::now() + 25s; Clock::now() < end;) {
    if (sip.stats().rtp_packets_sent > sent_before) {
      out.first_packet = std::chrono::duration_cast<Duration>(Clock::now() - answered->second);
      break;
    }
    std::this_thread::sleep_for(2ms);
  }
  auto done = events.wait(CallEventKind::kCompleted, 10s);
  out.completed = done.has_value();
  out.packets = sip.stats().rtp_packets_sent - sent_before;
  sip.stop();
  std::printf("verdict %s at %ld ms, first message packet at %ld ms, %ld packets\n",
              to_string(out.verdict), static_cast<long>(out.verdict_at.count()),
              static_cast<long>(out.first_packet.count()), out.packets);
  return out;
}

class SipVoicemailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kSippPath, X_OK) != 0) GTEST_SKIP() << "sipp not installed";
    dir_ = fs::temp_directory_path() /
           ("omnivox_vm_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // espeak-ng's `text` at 8 kHz followed by the sox effects `tail`, as greeting.wav (u-law).
  bool greeting(const std::string& text, const std::string& tail) {
    const std::string d = "cd '" + dir_.string() + "' && ";
    return shell(d + "espeak-ng -w speech.wav '" + text +
                 "' && sox speech.wav -r 8000 -c 1 -b 16 speech8k.wav && "
                 "sox -n -r 8000 -c 1 -b 16 gap.wav trim 0 0.4 && "
                 "sox -n -r 8000 -c 1 -b 16 beep.wav synth 0.5 sine 1000 gain -n -8 && "
                 "sox -n -r 8000 -c 1 -b 16 tail.wav trim 0 4 && " +
                 tail);
  }
  fs::path dir_;
};

const char* kVoicemail =
    "Hello, you have reached the voicemail of John Smith. I am not available right now. Please "
    "leave your name and number after the tone.";

TEST_F(SipVoicemailTest, MessageStartsAfterTheBeep) {
  if (!greeting(kVoicemail, "sox speech8k.wav gap.wav beep.wav tail.wav -e u-law greeting.wav")) {
    GTEST_SKIP() << "espeak-ng or sox missing";
  }
  const Duration beep_end = wav_length(dir_ / "greeting.wav") - Duration{4000};
  std::printf("beep ends at %ld ms\n", static_cast<long>(beep_end.count()));
  const Drop d = drop_message(dir_, 0);
  EXPECT_EQ(d.verdict, AmdResult::kMachine);
  EXPECT_LT(d.verdict_at, beep_end);  // the play() came during the greeting
  // The beep ends beep_end after the answer (SIPp streams from the ACK); the detector says so
  // on the frame after it, and the message starts on the next timer tick.
  EXPECT_GE(d.first_packet, beep_end - Duration{20}) << "beep ends at " << beep_end.count();
  EXPECT_LE(d.first_packet, beep_end + Duration{300}) << "beep ends at " << beep_end.count();
  EXPECT_GE(d.packets, 49);  // the whole 1 s message, then BYE
  EXPECT_TRUE(d.completed);
}

TEST_F(SipVoicemailTest, GreetingWithoutBeepEndsOnSilence) {
  // No beep, and the far end stops sending when its greeting ends (as with silence
  // suppression): the wall-clock silence bound starts the message beep_silence later.
  if (!greeting(kVoicemail, "sox speech8k.wav -e u-law greeting.wav pad 0 0.2")) {
    GTEST_SKIP() << "espeak-ng or sox missing";
  }
  const Duration stream_end = wav_length(dir_ / "greeting.wav");
  const Drop d = drop_message(dir_, 1);
  EXPECT_EQ(d.verdict, AmdResult::kMachine);
  EXPECT_GE(d.first_packet, stream_end + Duration{1400}) << "stream ends at " << stream_end.count();
  EXPECT_LE(d.first_packet, stream_end + Duration{1900}) << "stream ends at " << stream_end.count();
  EXPECT_TRUE(d.completed);
}

TEST_F(SipVoicemailTest, PersonsMessageIsNotDelayed) {
  if (!greeting("Hello?", "sox speech8k.wav -e u-law greeting.wav pad 0.2 4")) {
    GTEST_SKIP() << "espeak-ng or sox missing";
  }
  const Drop d = drop_message(dir_, 2);
  EXPECT_EQ(d.verdict, AmdResult::kHuman);
  EXPECT_LE(d.first_packet - d.verdict_at, Duration{200});
  EXPECT_TRUE(d.completed);
}

}  // namespace
}  // namespace omnivox
