// The Twilio Programmable Voice backend: TwilioTelephony places and controls calls through
// Twilio's REST API (https://www.twilio.com/docs/voice/api/call-resource) and hears back through
// status callbacks, which a host receives with TwilioWebhookHandler (omnivox/twilio_webhook.h).
//
// Call flow (docs/twilio.md has the whole picture):
//   originate()  → POST /2010-04-01/Accounts/{AccountSid}/Calls.json (To, From, Url, StatusCallback
//                  with StatusCallbackEvent initiated ringing answered completed, Timeout, and
//                  MachineDetection/AsyncAmd when the campaign asks for AMD). 201 = queued at
//                  Twilio (reported as kInitiated); the outcome comes from the callbacks.
//   the answer URL (…/twilio/voice) → TwiML that holds the person (a short pause, then a redirect
//   to
//                  itself) until the engine decides;
//   bridge()     → the call is redirected (POST to the call resource, Twiml=) into the agent's
//                  conference, or dialled to the agent's endpoint; kBridged when Twilio accepts;
//   play()       → the call is redirected to <Say>/<Play> the message, then <Hangup/>;
//   inbound      → a number's voice URL (…/twilio/inbound) hands the call to the engine's queue
//                  (accept_inbound) and holds the caller as above until bridge() or hangup();
//   hangup()     → Status=completed (answered) or Status=canceled (not yet answered). Cancelling a
//                  call still in the backend's queue, or still queued at Twilio, fires no Twilio
//                  callback, so the backend reports kCanceled itself.
//
// Limits: Twilio accepts a fixed number of call creations per second per account (1 by default;
// https://www.twilio.com/docs/voice/api/calls-per-second). The backend paces its POSTs to
// TwilioOptions::calls_per_second with a queue. Pacing learns of the queue because a queued call
// is an attempt in flight in state QUEUED: every policy counts it as pending, so progressive and
// power modes stop launching while the queue is full; queue_depth() and queue_wait() let a host
// or a custom policy see it; and a request that would wait longer than max_queue_wait is failed at
// once (FAILED/network, provider code 20429, retried by the campaign's FAILED rule) instead of
// timing out in QUEUED. HTTP 429 and 5xx answers (and transport errors) are retried with full
// jitter exponential backoff, honouring Retry-After.
//
// Threading: the REST work runs on an io_context on one thread the backend owns; the Telephony
// methods only queue work and return (they never block). Events reach the engine's sink from the
// backend's thread and from whatever thread calls deliver() (the webhook server's).
#ifndef OMNIVOX_TWILIO_H_
#define OMNIVOX_TWILIO_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "omnivox/log.h"
#include "omnivox/model.h"
#include "omnivox/telephony.h"
#include "omnivox/types.h"

namespace omnivox {

/// How the backend authenticates to Twilio's REST API (HTTP Basic auth). Either the account SID
/// and its auth token, or an API key SID ("SK…") and its secret, always with the account SID in
/// the URL (https://www.twilio.com/docs/iam/api-keys).
struct TwilioCredentials {
  std::string account_sid;  ///< "AC…"; names the account in every REST path
  std::string username;     ///< account SID or API key SID; empty = account_sid
  std::string password;     ///< auth token or API key secret
  /// The auth token that signs webhooks (X-Twilio-Signature). With an API key the REST password is
  /// the key's secret, but webhooks are still signed with the account's auth token. Empty =
  /// password.
  std::string webhook_auth_token;

  /// Reads TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY and TWILIO_API_SECRET. With an API
  /// key and secret they authenticate the REST calls and TWILIO_AUTH_TOKEN (still required) signs
  /// the webhooks. Throws Error(kConfig) naming the missing variable.
  static TwilioCredentials from_environment();
  /// The token webhooks are signed with.
  const std::string& signing_token() const {
    return webhook_auth_token.empty() ? password : webhook_auth_token;
  }
};

/// Settings of TwilioTelephony. Every field states its default.
struct TwilioOptions {
  TwilioCredentials credentials;
  /// REST API base, scheme https (tests point it at 127.0.0.1). Default: "https://api.twilio.com".
  std::string api_base_url = "https://api.twilio.com";
  /// The public base URL Twilio reaches the webhook server at, as Twilio sees it (no trailing
  /// slash), e.g. "https://dialer.example.com". The backend appends /twilio/voice,
  /// /twilio/status and /twilio/amd with ?call=<engine call id>. Required.
  std::string public_webhook_base_url;
  /// Call creations per second for the account (Twilio's CPS limit). Default: 1.
  double calls_per_second = 1.0;
  /// A request whose turn in the CPS queue would come later than this fails at once
  /// (FAILED/network, provider code 20429). Keep it under the engine's QUEUED timeout
  /// (StateTimeouts::queued, 30 s). Default: 25 s.
  Duration max_queue_wait = std::chrono::seconds(25);
  /// Retries of a request answered 429/5xx or lost in transport. Default: 4.
  int max_retries = 4;
  /// First backoff; doubles each retry, capped at retry_max_delay; full jitter. Default: 500 ms.
  Duration retry_base_delay{500};
  /// Cap of one backoff. Default: 8 s.
  Duration retry_max_delay{8000};
  /// Whole-request timeout (connect, TLS, write, read). Default: 10 s.
  Duration request_timeout{10000};
  /// Requests in flight at once (TLS connections). Default: 8.
  int max_concurrent_requests = 8;
  /// The Timeout sent is max(OriginateRequest::ring_timeout, this), in whole seconds: never ring
  /// shorter than the compliance minimum (US FTC 15 s, 16 CFR 310.4(b)(1)(v)). Default: 15 s.
  Duration min_ring_timeout = std::chrono::seconds(15);
  /// MachineDetection value when OriginateRequest::amd: "Enable" (returns at the first
  /// decision) or "DetectMessageEnd" (waits for the beep: the voicemail drop lands on the
  /// recording). Default: "DetectMessageEnd".
  std::string machine_detection = "DetectMessageEnd";
  /// Ask for asynchronous AMD (AsyncAmd=true): the person is held by the answer URL while AMD
  /// runs and the result arrives at /twilio/amd. Default: true.
  bool async_amd = true;
  /// Seconds the hold TwiML pauses before it fetches the answer URL again. Default: 5.
  int hold_pause_seconds = 5;
  /// Conference name of agent N: prefix + N (the agent's own leg joins the same conference).
  /// Default: "omnivox-agent-".
  std::string agent_conference_prefix = "omnivox-agent-";
  /// Agents dialled directly instead of a conference: AgentId → "client:NAME", "sip:URI" or an
  /// E.164 number (<Dial><Client>/<Sip>/<Number>). Default: none (every agent by conference).
  std::map<AgentId, std::string> agent_dial_targets;
  /// Verify the API server's certificate and host name. Default: true.
  bool verify_peer = true;
  /// Extra trusted CA certificates (PEM), e.g. a test CA. Default: none (the system store).
  std::string ca_pem;
  /// Seed of the backoff jitter; 0 = random. Default: 0.
  std::uint64_t jitter_seed = 0;
  /// Where failed REST requests are reported: a WARN line naming the request, the call, the HTTP
  /// status (or the transport error) and Twilio's error code and message, once retries are
  /// exhausted; at most one line per 10 s per kind of request (create, update, lookup), the next
  /// line saying how many were suppressed. Null = stderr. Default: null.
  std::shared_ptr<LogSink> log_sink;
};

/// Counters of the backend, for hosts and tests. All counts since start().
struct TwilioStats {
  std::size_t queued_now = 0;       ///< originate requests waiting for a CPS slot
  long calls_created = 0;           ///< 201 answers
  long create_failures = 0;         ///< originates reported kFailed by the backend
  long http_retries = 0;            ///< 429/5xx/transport retries of any request
  long queue_overflows = 0;         ///< requests failed for exceeding max_queue_wait
  long canceled_before_create = 0;  ///< hangups of calls still in the CPS queue
};

/// Twilio's numeric error code (https://www.twilio.com/docs/api/errors) → why an attempt failed:
/// 21211/21214/21217/21401/21407 (invalid or unreachable To) → kInvalidNumber; 21215/21216/
/// 21610/13227/32203 (geo permissions, blocked or premium destination, unsubscribed) → kRejected;
/// 20003/20404/21205/21210/21212/21213 (authentication, unknown account, bad Url or From) →
/// kConfig; anything else → kNetwork (the caller keeps the code in provider_code).
FailReason twilio_error_to_fail_reason(int twilio_code);

/// A status callback's CallStatus ("completed", "busy", ...) → the event kind, or nullopt for an
/// unknown value. `queued`/`initiated` → kInitiated, `ringing` → kRinging, `in-progress` →
/// kAnswered.
std::optional<CallEventKind> twilio_call_status_to_kind(const std::string& call_status);

/// AnsweredBy ("human", "machine_start", "machine_end_beep", "machine_end_silence",
/// "machine_end_other", "fax", "unknown") → AMD result; nullopt for an unknown value.
std::optional<AmdResult> twilio_answered_by_to_amd(const std::string& answered_by);

/// The Telephony backend over Twilio's REST API. See the file comment for the call flow, limits
/// and threading. Construction validates the options (throws Error(kConfig) naming the field)
/// and starts the backend's thread; the destructor stops it.
class TwilioTelephony final : public Telephony {
 public:
  explicit TwilioTelephony(TwilioOptions options);
  ~TwilioTelephony() override;

  void start(CallEventSink* sink) override;
  void originate(const OriginateRequest& request) override;
  void hangup(CallId call) override;
  void bridge(CallId call, AgentId agent) override;
  void play(CallId call, const std::string& message) override;
  void stop() override;
  /// GET /2010-04-01/Accounts/{Sid}/Calls/{CallSid}.json: the call's status as an event (see
  /// twilio_call_status_to_kind). nullopt when the attempt has no CallSid, Twilio does not know it
  /// (404), or the request fails within request_timeout. Blocks up to about request_timeout.
  std::optional<CallEvent> lookup_call(const Attempt& attempt) override;

  // ---- for the webhook handler (thread-safe) ----
  /// Reports an event that arrived by webhook: records the CallSid ↔ CallId pair, drops what the
  /// backend already reported itself (kInitiated after a 201), and forwards to the engine's sink.
  void deliver(const CallEvent& event);
  /// The TwiML the answer URL returns for this call now: the engine's latest instruction
  /// (bridge, play) or the hold loop. `voice_url` is the URL Twilio fetched (the redirect target).
  std::string voice_twiml(CallId call, const std::string& voice_url);
  /// The engine call id of a CallSid seen by this backend, or kNoCall.
  CallId call_for_sid(const std::string& call_sid) const;
  /// An inbound call Twilio reports at a number's voice URL (…/twilio/inbound, the webhook
  /// handler): gives the CallSid a call id at or above kFirstInboundCallId (the first one from
  /// the wall clock in microseconds, so a restarted backend does not reuse an earlier process's
  /// ids, whose records may be stored), hands the call to the engine (on_inbound_call, with
  /// `to` the dialled number and `from` the caller) and returns the id. The call is then one of
  /// the backend's like an answered outbound call: bridge() redirects it into the agent's
  /// conference (or dials the agent), hangup() completes it, its status callbacks end it. A
  /// CallSid seen before returns its id and is not handed over again. kNoCall when no engine is
  /// attached (start() not called, or stopped).
  CallId accept_inbound(const std::string& call_sid, const std::string& to,
                        const std::string& from);

  // ---- back-pressure and counters (thread-safe) ----
  /// Originate requests waiting for a CPS slot now.
  std::size_t queue_depth() const;
  /// How long a request queued now would wait for its slot.
  Duration queue_wait() const;
  TwilioStats stats() const;
  const TwilioOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace omnivox

#endif  // OMNIVOX_TWILIO_H_
