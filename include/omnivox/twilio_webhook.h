// The secure front door for Twilio's webhooks: request signature validation
// (https://www.twilio.com/docs/usage/webhooks/webhooks-security), a transport-agnostic handler that
// turns status, AMD and answer-URL requests into canonical call events and TwiML, and a small
// Boost.Beast HTTP server around it.
#ifndef OMNIVOX_TWILIO_WEBHOOK_H_
#define OMNIVOX_TWILIO_WEBHOOK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "omnivox/storage.h"
#include "omnivox/twilio.h"

namespace omnivox {

/// Request parameters in arrival order (a key may repeat).
using TwilioParams = std::vector<std::pair<std::string, std::string>>;

/// X-Twilio-Signature of a request, as Twilio computes it and its helper libraries check it
/// (https://www.twilio.com/docs/usage/webhooks/webhooks-security; twilio-python RequestValidator,
/// twilio-node validateRequest): base64(HMAC-SHA1(auth token, url + the POST parameters sorted by
/// name, a repeated name by value, each as name immediately followed by value)). A name=value pair
/// sent more than once counts once. Names and values compare byte-wise (UTF-8 code-point order).
/// For a JSON body pass no params: the body is covered by the bodySHA256 query parameter inside
/// `url`. Uses OpenSSL. Thread-safe.
std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const TwilioParams& params);

/// The URL forms Twilio's helper libraries accept for one request URL, the given one first:
///   - the URL as given;
///   - with a port: the URL without it (https://example.com:1234/path → https://example.com/path);
///   - without a port, for http and https: the URL with the scheme's default port added (:80,
///     :443).
/// Twilio signs the URL it was configured with; proxies and load balancers add or strip the port.
/// A string that is not a URL with an authority has only itself. Thread-safe.
std::vector<std::string> twilio_url_variants(std::string_view url);

/// The outcome of a signature check.
struct TwilioSignatureCheck {
  bool valid = false;
  std::string matched_url;  ///< the URL form whose signature matched (empty when invalid)
  std::string reason;       ///< why it is invalid ("no URL form matches", "bodySHA256 ...")
};

/// Checks a request's X-Twilio-Signature against every URL form (twilio_url_variants); the request
/// is valid when any form matches. When the URL carries bodySHA256 (its first occurrence), the
/// signature covers the URL alone and the raw `body` must hash (SHA-256, lower-case hex) to that
/// value; otherwise `params` are the decoded form parameters. `json_body` says the body is JSON
/// (Content-Type application/json): Twilio signs such a body only through bodySHA256, so a JSON
/// body with no bodySHA256 in the URL is invalid. Each comparison takes constant time.
/// Never throws on bad input: it is invalid, with the reason. Thread-safe.
TwilioSignatureCheck verify_twilio_signature(std::string_view auth_token, std::string_view url,
                                             const TwilioParams& params, std::string_view body,
                                             std::string_view signature, bool json_body = false);

/// Decodes an application/x-www-form-urlencoded string ('+' is a space). Throws
/// Error(kInvalidArgument) when it is malformed (bad percent escape).
TwilioParams parse_form(std::string_view body);

/// One HTTP request as the transport received it.
struct WebhookRequest {
  std::string method;  ///< "POST", "GET", ...
  /// The full URL as Twilio requested it: the public scheme, host (and port) and the target,
  /// e.g. "https://dialer.example.com/twilio/status?call=42". A host behind a proxy builds it from
  /// the public base URL, not from its listening address.
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names in any case
  std::string body;
};

/// The answer to send back.
struct WebhookResponse {
  int status = 200;
  std::string content_type = "text/xml";
  std::string body;
};

/// Settings of the handler.
struct TwilioWebhookOptions {
  /// Bodies above this are refused with 400 (Twilio's callbacks are a few hundred bytes). Default:
  /// 64 KiB.
  std::size_t max_body_bytes = 64 * 1024;
  /// URLs above this are refused with 400. Default: 4 KiB.
  std::size_t max_url_bytes = 4096;
  /// Prefix of the deduplication keys in Storage::mark_event_processed. Default: "twilio:".
  std::string dedup_prefix = "twilio:";
};

/// Counters of the handler (for hosts, tests and benchmarks).
struct TwilioWebhookStats {
  std::uint64_t accepted = 0;  ///< 200 answers to requests seen for the first time
  std::uint64_t forged = 0;    ///< 403: missing or wrong signature
  /// 200 answers to genuine repeats (Twilio's retries, events sent twice): nothing applied again
  std::uint64_t replayed = 0;
  std::uint64_t malformed = 0;  ///< 400: too big, bad form, missing fields, unknown path
  std::uint64_t events = 0;     ///< call events delivered to the backend
};

/// Transport-agnostic handler of Twilio's webhooks. Paths (at the end of the URL's path):
///   /twilio/status?call=ID  status callbacks (CallSid, CallStatus, SequenceNumber, Timestamp,
///                           CallDuration, SipResponseCode, AnsweredBy, ErrorCode) → one event;
///                           deduplicated on (CallSid, SequenceNumber); answers an empty
///                           <Response/>;
///   /twilio/amd?call=ID     AsyncAmdStatusCallback (CallSid, AnsweredBy) → kAmdResult;
///                           deduplicated on (CallSid, "amd");
///   /twilio/voice?call=ID   the answer URL: kAnswered (and kAmdResult when AnsweredBy is present),
///                           answered with the call's TwiML (TwilioTelephony::voice_twiml);
///   /twilio/inbound         a number's voice URL (To, From, CallSid; no call parameter): a new
///                           inbound call for the engine's queues (TwilioTelephony::
///                           accept_inbound), answered with the hold TwiML, which fetches
///                           …/twilio/voice?call=ID (same prefix) until an agent takes it; a
///                           retry (idempotency token) or a known CallSid hands nothing over
///                           again. Status callbacks of inbound calls (the number's
///                           StatusCallback, …/twilio/status) may omit `call`: the CallSid names
///                           the call.
/// Every request must be a POST with a valid X-Twilio-Signature (verify_twilio_signature). Answers:
/// 403 for a missing or wrong signature; 400 for an oversized or malformed request, a wrong method
/// or an unknown path; in both cases nothing changes. A validly signed repeat of a request already
/// processed, here or on another node sharing the Storage, is answered 200 like the first and
/// applies nothing: Twilio retries a webhook whose answer was slow or lost (the retry carries the
/// first request's I-Twilio-Idempotency-Token header) and may send an event twice. A status or AMD
/// request repeats when its event key does; an answer-URL request when its idempotency token does
/// (key "<dedup_prefix>retry:<token>"; its events are not delivered again, its TwiML is returned
/// again). A storage failure while recording the key answers 503 (Twilio retries). The `call`
/// query parameter is covered by the signature, so the CallId ↔ CallSid pair cannot be forged; the
/// CallSid is put in CallEvent::provider_call_id. Twilio's SequenceNumber (0, 1, 2, ...) becomes
/// CallEvent::sequence + 1 (0 there means "none").
/// Thread-safe: handle() may run on many threads at once. Never throws.
class TwilioWebhookHandler {
 public:
  /// `storage` holds the processed-event keys; `telephony` receives the events and gives the
  /// TwiML. Neither is owned; both must outlive the handler. The auth token is
  /// telephony->options().credentials.signing_token().
  TwilioWebhookHandler(Storage* storage, TwilioTelephony* telephony,
                       TwilioWebhookOptions options = {});
  ~TwilioWebhookHandler();
  TwilioWebhookHandler(const TwilioWebhookHandler&) = delete;
  TwilioWebhookHandler& operator=(const TwilioWebhookHandler&) = delete;

  WebhookResponse handle(const WebhookRequest& request);
  TwilioWebhookStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Settings of the HTTP server.
struct TwilioWebhookServerOptions {
  /// Listening address. Default: "127.0.0.1" (put a TLS-terminating proxy in front).
  std::string address = "127.0.0.1";
  /// Listening port; 0 = any free port (see TwilioWebhookServer::port()). Default: 0.
  std::uint16_t port = 0;
  /// The public base URL (scheme://host[:port], no trailing slash) Twilio uses; the request URL
  /// given to the handler is this + the request target. Empty = "http://<address>:<port>".
  std::string public_base_url;
  /// Threads running the server. Default: 1.
  int threads = 1;
  /// A connection idle (or slow to send a request) this long is closed. Default: 30 s.
  Duration idle_timeout = std::chrono::seconds(30);
  /// Header bytes accepted per request (over it: 400, connection closed). Default: 8 KiB.
  std::size_t max_header_bytes = 8 * 1024;
  /// Body bytes accepted per request (over it: 400, connection closed). Default: 64 KiB.
  std::size_t max_body_bytes = 64 * 1024;
  /// Connections open at once. At the limit the server accepts nothing more until one closes (an
  /// idle one closes after idle_timeout); new connections wait in the kernel's listen queue.
  /// Keep it under the process's open-file limit (RLIMIT_NOFILE); when descriptors run out
  /// anyway, the server retries accepting every 100 ms. Must be >= 1. Default: 1024.
  std::size_t max_connections = 1024;
};

/// A Boost.Beast HTTP/1.1 server for the webhooks (keep-alive, bounded reads, timeouts, at most
/// max_connections connections). A bad request gets its 4xx answer and the server keeps serving
/// other connections. Its threads are its own; it never busy-waits. Thread-safe.
class TwilioWebhookServer {
 public:
  /// Binds and starts serving at once. Throws Error(kIo) when the address cannot be bound,
  /// Error(kConfig) for a bad address or max_connections of 0.
  TwilioWebhookServer(TwilioWebhookHandler* handler, TwilioWebhookServerOptions options);
  /// Stops (see stop()).
  ~TwilioWebhookServer();
  TwilioWebhookServer(const TwilioWebhookServer&) = delete;
  TwilioWebhookServer& operator=(const TwilioWebhookServer&) = delete;
  /// The bound port.
  std::uint16_t port() const;
  /// The public base URL in use.
  const std::string& public_base_url() const;
  /// Requests answered so far (any status).
  std::uint64_t requests() const;
  /// Closes the listener and every connection and joins the threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omnivox

#endif  // OMNIVOX_TWILIO_WEBHOOK_H_
