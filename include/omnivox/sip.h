// The SIP backend: SipTelephony places calls through a SIP trunk (RFC 3261), hears the callee's
// audio over RTP (RFC 3550, G.711 PCMU / PCMA), detects answering machines and fax (omnivox/amd.h),
// plays messages, and connects answered people to agents' SIP phones. Built on libre (baresip's
// SIP, SDP and RTP library).
//
// Call flow (docs/sip.md has the whole picture and the deployment guide):
//   originate()  → INVITE sip:<E.164>@<trunk host> through the trunk, SDP offering PCMU and PCMA
//                  on a local RTP port; digest authentication (RFC 2617 / RFC 8760 MD5) when the
//                  trunk challenges and credentials are set; kInitiated when sent.
//   100/180/183  → kRinging (183 with early media too);
//   200          → kAnswered; the backend answers ACK, anchors the callee's RTP, and (when the
//                  request asked for AMD) runs the detector → kAmdResult;
//   486/600      → kBusy; 408/480, or 487 after the backend's own CANCEL at the ring timeout →
//                  kNoAnswer; 404/484/604 → kFailed / kInvalidNumber; 403/503/other 4xx–6xx, or
//                  no answer at all (Timer B, 32 s) → kFailed / kNetwork (retryable); the final
//                  code is the event's provider_code.
//                  No response at all by the ring timeout (the trunk is down; libre does not see
//                  ICMP errors on UDP) → kFailed / kNetwork, provider code 408, as Timer B.
//                  An answer without PCMU or PCMA → BYE, kFailed / kNetwork, provider code 488.
//   bridge()     → the customer leg is connected to the agent's nailed-up leg: the backend relays
//                  RTP between the two in-process (a back-to-back user agent, PCMU ↔ PCMA
//                  transcoded); kBridged. If the agent's leg is not up or is on another call,
//                  the customer hears default_message_wav (if set) and gets BYE: kCompleted,
//                  no kBridged.
//   play()       → streams a WAV file (8 kHz mono; see read_wav_file) into the call; a hangup()
//                  asked while a message plays takes effect when it ends (the message is heard).
//                  On a call AMD took for a machine the message starts at the greeting's end
//                  (BeepDetector with `amd`'s beep_* options: the beep, silence, or at most
//                  beep_max_wait), so that the recording holds all of it.
//   stop_amd()   → the detector of an answered call stops and is freed: no kAmdResult follows
//                  (the engine puts the call through unclassified, AMD suspended at the cap).
//   hangup()     → CANCEL before the answer (kCanceled), BYE after (kCompleted).
//
// Inbound: an INVITE to one of SipOptions::inbound_numbers is answered at once (200 OK with an SDP
// answer in PCMU or PCMA) and handed to the engine (CallEventSink::on_inbound_call) to queue; the
// caller waits in silence until bridge() connects an agent the same way as an outbound call; a
// BYE from the caller ends it with kCompleted; hangup() sends BYE. An INVITE to another number
// gets 404 Not Found.
//
// Agents: connect_agent() calls an agent's phone once and keeps that leg up ("nailed-up"): a
// person answered later is connected in milliseconds, without another ring. The host learns of
// the leg through SipOptions::on_agent_leg (up → log the agent in; down → log it out). An agent
// leg lost during a bridged call ends the customer's call after the safe-harbor message.
//
// Limits: originates are paced to calls_per_second with a queue; a request that would wait
// longer than max_queue_wait fails at once (kFailed / kNetwork, provider code 503), so pacing
// sees the back-pressure as calls in flight, as with the Twilio backend.
//
// Restart reconciliation: lookup_call() is not overridden (nullopt): SIP cannot ask about a
// dialog a dead process left, so the engine closes such an attempt from what storage knows.
//
// Threading: all SIP and RTP work runs on one libre event loop on a thread the backend owns; the
// Telephony methods post commands to it and return at once (never block). Events reach the
// engine's sink from that thread.
#ifndef OMNIVOX_SIP_H_
#define OMNIVOX_SIP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omnivox/amd.h"
#include "omnivox/log.h"
#include "omnivox/model.h"
#include "omnivox/telephony.h"
#include "omnivox/types.h"

namespace omnivox {

/// Digest credentials toward the trunk.
struct SipCredentials {
  std::string username;  ///< empty = no authentication
  std::string password;
  /// Reads OMNIVOX_SIP_USERNAME and OMNIVOX_SIP_PASSWORD (both unset = no authentication; one
  /// without the other throws Error(kConfig) naming the missing variable).
  static SipCredentials from_environment();
};

/// Settings of SipTelephony. Every field states its default.
struct SipOptions {
  /// Local SIP address, "host:port" (UDP). Default: "127.0.0.1:5060".
  std::string listen = "127.0.0.1:5060";
  /// The next hop every call goes through, a SIP URI, e.g. "sip:trunk.example.net:5060" or
  /// "sip:127.0.0.1:5070". Required.
  std::string trunk;
  /// Digest credentials toward the trunk. Default: none.
  SipCredentials credentials;
  /// First and last local RTP port (even ports are used, RTCP not sent). Default: 20000–29999.
  std::uint16_t rtp_port_min = 20000;
  std::uint16_t rtp_port_max = 29999;
  /// INVITEs sent per second at most. Default: 50.
  double calls_per_second = 50.0;
  /// A request whose turn would come later than this fails at once (kFailed / kNetwork, provider
  /// code 503). Default: 25 s.
  Duration max_queue_wait = std::chrono::seconds(25);
  /// Interval of the OPTIONS keep-alive toward the trunk; 0 = none. Default: 30 s.
  Duration options_interval = std::chrono::seconds(30);
  /// Detector thresholds for calls whose OriginateRequest asks for AMD, and where a MACHINE
  /// call's message starts (the beep_* fields). Default: AmdOptions{}.
  AmdOptions amd;
  /// The WAV played when play() names a message that is not a readable WAV file (a campaign's
  /// text message, say). Empty = such a play() is skipped with a warning. Default: empty.
  std::string default_message_wav;
  /// Keep the leading "+" of the E.164 number in the request URI ("sip:+15551234567@trunk");
  /// false writes "sip:15551234567@trunk", as many trunks expect. Default: true.
  bool keep_plus_in_request_uri = true;
  /// The dialled numbers (DIDs) this engine answers, E.164 or an inbound queue's id. An INVITE
  /// whose Request-URI user (or, failing that, To user) is one of them, with or without the
  /// leading "+", is answered at once (200 OK, no audio until an agent is bridged: the caller
  /// waits in silence) and reported through CallEventSink::on_inbound_call with that number as
  /// `to`; the caller's hangup (BYE) before bridge() is reported as kCompleted, which the engine
  /// counts as an inbound abandon. Any other INVITE gets 404 Not Found and a warning naming the
  /// number. Default: none (every INVITE gets 404).
  std::vector<std::string> inbound_numbers;
  /// User-Agent header. Default: "omnivox".
  std::string user_agent = "omnivox";
  /// Agents' legs going up (true) or down (false); called on the backend's thread, must not
  /// block. Default: none.
  std::function<void(AgentId agent, bool up)> on_agent_leg;
  /// Where warnings go. Null = stderr. Default: null.
  std::shared_ptr<LogSink> log_sink;
};

/// Counters of the backend, for hosts and tests. All counts since start().
struct SipStats {
  long invites_sent = 0;     ///< INVITEs sent (customer calls and agent legs)
  long answered = 0;         ///< calls answered (200 OK to an INVITE)
  long cancels_sent = 0;     ///< CANCELs sent (calls given up before an answer)
  long byes_sent = 0;        ///< BYEs sent (calls hung up by this side)
  long byes_received = 0;    ///< BYEs received (calls hung up by the other side)
  long auth_challenges = 0;  ///< 401/407 challenges answered with credentials
  long queue_overflows =
      0;  ///< calls failed at once (503): the call-rate queue would wait too long
  long rtp_packets_received = 0;  ///< RTP packets received, every leg
  long rtp_packets_sent = 0;      ///< RTP packets sent (relayed or played), every leg
  long bridges = 0;               ///< customer calls bridged to an agent leg
  long inbound_answered = 0;      ///< INVITEs to an inbound number answered (200 OK)
  long inbound_refused = 0;       ///< INVITEs refused (404 unknown number, 488 no G.711, 503)
  /// Connect delay of the latest bridge: bridge() → the first customer packet relayed to the
  /// agent, microseconds (0 before any). The largest seen so far.
  long bridge_delay_us_last = 0;
  long bridge_delay_us_max = 0;
  /// For a bridged call that ran AMD: its verdict → the first customer packet relayed to the
  /// agent, microseconds, the latest (0 before any). Includes the host's reaction (bridge()).
  long verdict_to_relay_us_last = 0;
  std::size_t calls_now = 0;  ///< dialogs open
  std::size_t agents_up = 0;  ///< nailed-up agent legs
};

/// A final SIP response code → the event kind and failure reason it maps to (see the file
/// comment). `canceled_by_us` is true when the backend sent CANCEL (487 → kNoAnswer then).
struct SipOutcome {
  CallEventKind kind = CallEventKind::kFailed;
  FailReason fail_reason = FailReason::kNone;
};
SipOutcome sip_final_code_to_outcome(int code, bool canceled_by_us);

/// The Telephony backend over SIP. Construction validates the options (throws Error(kConfig)
/// naming the field) and binds the SIP socket (Error(kIo) if the address is taken); the
/// destructor stops the event loop, ending open calls with BYE / CANCEL.
class SipTelephony final : public Telephony {
 public:
  explicit SipTelephony(SipOptions options);
  ~SipTelephony() override;

  void start(CallEventSink* sink) override;
  void originate(const OriginateRequest& request) override;
  void hangup(CallId call) override;
  void bridge(CallId call, AgentId agent) override;
  void play(CallId call, const std::string& message) override;
  void stop_amd(CallId call) override;
  void stop() override;

  /// Calls the agent's phone (`uri`, e.g. "sip:1001@pbx.example.net") and keeps the leg up;
  /// SipOptions::on_agent_leg reports it up or down. Calling again for a connected agent does
  /// nothing. Thread-safe.
  void connect_agent(AgentId agent, const std::string& uri);
  /// Hangs up the agent's leg. Thread-safe.
  void disconnect_agent(AgentId agent);
  /// Counters now. Thread-safe.
  SipStats stats() const;
  /// The local SIP port actually bound (useful with port 0). Thread-safe.
  std::uint16_t local_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omnivox

#endif  // OMNIVOX_SIP_H_
