// The SIP backend's internals, shared by its source files. Everything here except the command
// queue, the sink and the counters is touched only on the libre loop thread.
#ifndef OMNIVOX_TELEPHONY_SIP_SIP_INTERNAL_H_
#define OMNIVOX_TELEPHONY_SIP_SIP_INTERNAL_H_

// libre's headers need to be told what the platform has (its build passes these as -D flags);
// HAVE_INET6 only widens a union that keeps its size through padding.
#ifndef HAVE_INTTYPES_H
#define HAVE_INTTYPES_H 1
#endif
#ifndef HAVE_STDBOOL_H
#define HAVE_STDBOOL_H 1
#endif
#ifndef HAVE_INET6
#define HAVE_INET6 1
#endif
#ifndef RELEASE
#define RELEASE 1
#endif
#include <netinet/in.h>
#include <re.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "audio/g711.h"
#include "omnivox/amd.h"
#include "omnivox/log.h"
#include "omnivox/sip.h"

namespace omnivox::sip_detail {

struct Impl;
struct Call;
struct AgentLeg;

/// One RTP stream of a leg: its socket (own SSRC and sequence numbers), its SDP session, and the
/// far end's address and codec from the answer.
struct Media {
  Impl* impl = nullptr;
  Call* call = nullptr;       ///< the customer leg this belongs to, or
  AgentLeg* agent = nullptr;  ///< the agent leg
  sdp_session* sdp = nullptr;
  sdp_media* m = nullptr;
  struct rtp_sock* rtp = nullptr;
  sa remote{};
  bool remote_set = false;
  audio::G711Law law = audio::G711Law::kMuLaw;
  std::uint32_t tx_ts = 0;  ///< RTP timestamp of the next packet sent
  bool tx_marker = true;    ///< the next packet starts a talkspurt (RFC 3551 section 4.1)
  ~Media();
};

/// A message being played into a customer leg.
struct Playback {
  std::shared_ptr<const std::vector<std::int16_t>> pcm;
  std::size_t pos = 0;
  std::uint64_t started_ms = 0;  ///< tmr_jiffies() at the first packet
  std::uint64_t packets = 0;
  bool then_hangup = false;     ///< end the call with BYE when the message ends
  bool after_greeting = false;  ///< waits for the machine's greeting to end (beep, silence)
};

struct Call {
  Impl* impl = nullptr;
  OriginateRequest request;
  std::string sip_call_id;
  std::uint32_t sequence = 0;
  sipsess* sess = nullptr;
  Media media;
  tmr ring_tmr{};
  tmr amd_tmr{};
  tmr play_tmr{};
  bool invite_sent = false;
  bool inbound = false;  ///< the caller's INVITE, answered by us (request.to is the DID)
  bool ringing_reported = false;
  bool answered = false;
  bool no_codec = false;
  bool hangup_requested = false;
  bool ended = false;
  std::unique_ptr<AmdDetector> amd;
  bool amd_done = false;
  /// After a MACHINE verdict until the greeting ends: its end, for a voicemail message.
  std::unique_ptr<BeepDetector> beep;
  std::uint64_t beep_since_ms = 0;  ///< tmr_jiffies() at the verdict
  std::uint64_t beep_heard_ms = 0;  ///< tmr_jiffies() at the last audio it read
  std::optional<Playback> playback;
  AgentId bridged_agent = kNoAgent;
  std::chrono::steady_clock::time_point bridged_at{};
  std::chrono::steady_clock::time_point amd_decided_at{};
  bool first_relay_seen = false;
  Call() {
    tmr_init(&ring_tmr);
    tmr_init(&amd_tmr);
    tmr_init(&play_tmr);
  }
  ~Call() {
    tmr_cancel(&ring_tmr);
    tmr_cancel(&amd_tmr);
    tmr_cancel(&play_tmr);
    mem_deref(sess);
  }
};

/// An agent's nailed-up leg.
struct AgentLeg {
  Impl* impl = nullptr;
  AgentId agent = kNoAgent;
  std::string uri;
  sipsess* sess = nullptr;
  Media media;
  bool up = false;
  bool ended = false;
  CallId bridged_call = kNoCall;
  ~AgentLeg() { mem_deref(sess); }
};

struct Impl {
  explicit Impl(SipOptions options);
  ~Impl();

  SipOptions options;
  Logger log;
  std::string trunk_host;      ///< host of the trunk URI ("[v6]" bracketed)
  std::string trunk_hostport;  ///< host:port of the trunk
  std::string local_host;      ///< our IP as written in SDP and URIs
  sa listen_addr{};
  sa media_addr{};  ///< IP the RTP sockets bind, port 0
  std::chrono::nanoseconds interval{};

  // Shared with other threads.
  std::thread thread;
  std::mutex cmd_mu;
  std::deque<std::function<void()>> commands;
  bool wake_pending = false;
  bool stopped = false;
  std::mutex sink_mu;
  CallEventSink* sink = nullptr;
  mutable std::mutex stats_mu;
  SipStats counters;
  std::atomic<std::uint16_t> bound_port{0};

  // Loop thread only.
  mqueue* mq = nullptr;
  struct dnsc* dns_client = nullptr;
  struct sip* stack = nullptr;
  sipsess_sock* sess_sock = nullptr;
  tmr options_tmr{};
  tmr pace_tmr{};
  tmr reap_tmr{};
  tmr stop_tmr{};
  bool stopping = false;
  bool sip_exited = false;
  std::unordered_map<CallId, std::unique_ptr<Call>> calls;
  std::unordered_map<AgentId, std::unique_ptr<AgentLeg>> agents;
  std::vector<std::unique_ptr<Call>> graveyard;
  std::vector<std::unique_ptr<AgentLeg>> agent_graveyard;
  std::deque<CallId> queue;
  std::chrono::steady_clock::time_point next_slot{};
  CallId next_inbound_id = kFirstInboundCallId;  ///< set at start, see setup_loop()
  std::unordered_map<std::string, std::shared_ptr<const std::vector<std::int16_t>>> wav_cache;

  // Loop lifetime (sip.cc).
  void run(std::promise<std::string>& ready);
  std::string setup_loop();
  void teardown_loop();
  void post(std::function<void()> fn);
  static void on_mqueue(int id, void* data, void* arg);
  void guarded(const char* what, const std::function<void()>& fn);
  void shutdown();
  void begin_stop();
  static void on_sip_exit(void* arg);
  static void on_stop_timer(void* arg);
  static std::string fmt_sa_ip(const sa& addr);

  void emit(Call& c, CallEventKind kind, int code, FailReason reason = FailReason::kNone,
            AmdResult amd = AmdResult::kNone);
  void stats_add(long SipStats::*field, long n = 1);

  // Calls (sip.cc).
  void retire_call(CallId id);
  static void on_reap(void* arg);
  void reap();
  Call* find_call(CallId id);
  void cmd_originate(const OriginateRequest& request);
  void pump();
  static void on_pace_timer(void* arg);
  std::string request_uri_for(const std::string& to) const;
  static int auth_handler(char** username, char** password, const char* realm, void* arg);
  void send_invite(Call& c);
  static void on_progress(const sip_msg* msg, void* arg);
  static int on_answer(const sip_msg* msg, void* arg);
  static void on_established(const sip_msg* msg, void* arg);
  static void on_close(int err, const sip_msg* msg, void* arg);
  static void on_ring_timeout(void* arg);
  void end_answered(Call& c, int code);
  void cmd_hangup(CallId id);
  static void on_incoming(const sip_msg* msg, void* arg);
  std::string inbound_number_for(const sip_msg& msg) const;
  void accept_inbound(const sip_msg& msg);
  static void on_inbound_established(const sip_msg* msg, void* arg);
  static void on_options_timer(void* arg);
  void send_options();
  static void on_options_response(int err, const sip_msg* msg, void* arg);

  // Media, AMD, messages (sip_media.cc).
  void validate_media_options();
  int open_media(Media& media, void* owner_unused, mbuf** offer);
  bool take_remote(Media& media);
  bool accept_answer(Media& media, const sip_msg* msg);
  int answer_offer(Media& media, const sip_msg* msg, mbuf** descp);
  static int on_offer(mbuf** descp, const sip_msg* msg, void* arg);
  static int on_agent_offer(mbuf** descp, const sip_msg* msg, void* arg);
  void stop_media(Call& c);
  void on_call_media_up(Call& c);
  static void on_rtp(const sa* src, const rtp_header* hdr, mbuf* mb, void* arg);
  void customer_audio(Call& c, const rtp_header& hdr, const std::uint8_t* data, std::size_t n);
  void agent_audio(AgentLeg& leg, const rtp_header& hdr, const std::uint8_t* data, std::size_t n);
  bool send_audio(Media& media, const std::uint8_t* g711, std::size_t n, audio::G711Law law);
  static void on_amd_timer(void* arg);
  void report_amd(Call& c, const AmdDecision& d);
  void stop_detector(Call& c);
  void cmd_stop_amd(CallId id);
  std::shared_ptr<const std::vector<std::int16_t>> load_message(const std::string& message);
  bool playing(const Call& c) const { return c.playback.has_value(); }
  void cmd_play(CallId id, const std::string& message);
  bool start_playback(Call& c, const std::string& message, bool then_hangup);
  static void on_play_timer(void* arg);
  void play_tick(Call& c);
  void greeting_ended(Call& c);

  // Agents and bridges (sip_agents.cc).
  void cmd_connect_agent(AgentId agent, const std::string& uri);
  void drop_agent(AgentId agent, bool report);
  void unbridge_agent(AgentId agent);
  void cmd_bridge(CallId call, AgentId agent);
  void safe_harbor_then_hangup(Call& c);
  static int on_agent_answer(const sip_msg* msg, void* arg);
  static void on_agent_established(const sip_msg* msg, void* arg);
  static void on_agent_close(int err, const sip_msg* msg, void* arg);
  void report_agent(AgentId agent, bool up);
};

}  // namespace omnivox::sip_detail

#endif  // OMNIVOX_TELEPHONY_SIP_SIP_INTERNAL_H_
