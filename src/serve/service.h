// The HTTP/JSON API of `omnivox serve`, apart from the transport: a request in, a response out
// (the Beast server in server.h feeds it; tests and the fuzzer call it directly). It owns the
// tenants (each with its Storage, its engines — one per campaign — and its event journal), the
// token check, the rate limit and the route table.
//
// Twilio's webhooks for a campaign arrive at /twilio/<tenant>/<campaign>/twilio/{status,amd,voice}
// (the Twilio backend's public_webhook_base_url is the file's telephony.public_url plus
// /twilio/<tenant>/<campaign>) and are checked by their X-Twilio-Signature (TwilioWebhookHandler).
//
// Authentication: every other route but /healthz, /readyz, / and /static/ needs
// `Authorization: Bearer <token>` (RFC 6750). A token belongs to one tenant and has a scope:
// read (GET routes, the event stream, /metrics) or control (everything). Tokens are compared by
// their SHA-256 with CRYPTO_memcmp (constant time). A tenant's routes see only its campaigns: an
// id of another tenant's campaign is answered 404 like one that does not exist.
//
// Errors: {"error":{"code":"...","field":"...","message":"..."}} with a 4xx status for bad input
// (400 invalid, 401 no or unknown token, 403 scope, 404, 405, 409 state, 413 too large, 415,
// 429 rate limit) and 5xx for the server's own failures (503 storage). handle() never throws.
//
// Thread-safety: handle() may run on several threads at once.
#ifndef OMNIVOX_SERVE_SERVICE_H_
#define OMNIVOX_SERVE_SERVICE_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "omnivox/log.h"
#include "omnivox/storage.h"
#include "serve/campaign.h"
#include "serve/events.h"
#include "serve/store.h"

namespace omnivox::serve {

struct Request {
  std::string method;  ///< "GET", "POST", ...
  std::string target;  ///< origin-form: path and query, e.g. "/v1/calls?limit=10"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// The value of a header (names compare case-insensitively); empty when absent.
  std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set for GET /v1/events: the transport streams this journal's events of `campaign_id`
  /// (empty: all) after `after` as Server-Sent Events instead of sending `body`.
  struct EventStream {
    std::shared_ptr<EventJournal> journal;
    std::string campaign_id;
    std::uint64_t after = 0;
  };
  std::optional<EventStream> events;
};

/// One route: method, path template ("{name}" is one segment; "{path}", last, takes the rest)
/// and who may call it: "public", "read", "control", or "signed" (a provider's webhook with its
/// own signature).
struct RouteInfo {
  std::string method;
  std::string path;
  std::string auth;
};

struct ServiceOptions {
  /// Storage URL (omnivox/storage_url.h) of every tenant's Storage. Default: "memory".
  std::string storage_url = "memory";
  /// Engine clocks' pace: virtual seconds per wall second of simulated campaigns. Default: 1.
  double speed = 1.0;
  /// Requests per second per token, and the burst a token may spend at once (token bucket);
  /// over it: 429 with Retry-After. Default: 100 and 200.
  double rate_per_s = 100;
  double rate_burst = 200;
  /// Body limits: CSV uploads and every other body (JSON). Default: 8 MiB and 64 KiB.
  std::size_t max_csv_bytes = 8 << 20;
  std::size_t max_json_bytes = 64 << 10;
  /// Folder the files a campaign file names (replay data, WAV messages) must be in; empty: a
  /// campaign file created through the API may name no file. Default: empty.
  std::string files_dir;
  /// Campaigns a tenant may have; creating one more answers 409 too_many_campaigns (each has an
  /// engine and a thread). Default: 1000.
  std::size_t max_campaigns = 1000;
  /// Events kept per tenant for resuming a stream. Default: 65536.
  std::size_t journal_capacity = 65536;
  /// Makes each campaign's telephony. Default: the simulator for every campaign.
  BackendFactory backend_factory;
  /// Where engine logs go; null = stderr.
  std::shared_ptr<LogSink> log;
};

class Service {
 public:
  /// `store` holds tokens and campaign files; it must outlive the Service.
  Service(ServiceOptions options, ServeStore* store);
  /// Stops every campaign's engine in order.
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// Serves every stored campaign of every tenant that has a token: engines made, those stored
  /// as running started again. Returns how many campaigns; one that cannot be made is logged and
  /// skipped.
  std::size_t load();
  /// Answers a request. Never throws.
  Response handle(const Request& request) noexcept;
  /// The largest body accepted for a request with this method, target and Content-Type.
  std::size_t body_limit(std::string_view method, std::string_view target,
                         std::string_view content_type) const;
  /// Every route the API serves.
  static const std::vector<RouteInfo>& routes();
  /// Statistics events and backend ticks of every running campaign; call about once a second.
  void tick();
  /// Stops dialing everywhere (calls in flight finish); returns the calls still in flight.
  std::size_t stop_dialing();
  std::size_t calls_in_flight() const;

  struct Tenant;
  struct Context;

 private:
  Response dispatch(const Request& request);
  std::shared_ptr<Tenant> tenant(const std::string& name);
  std::optional<TokenRecord> authenticate(const std::string& token);

  ServiceOptions options_;
  ServeStore* store_;
  std::unique_ptr<Clock> wall_clock_;
  mutable std::mutex mutex_;  // guards tenants_, tokens_, buckets_
  std::map<std::string, std::shared_ptr<Tenant>> tenants_;
  std::vector<TokenRecord> tokens_;
  std::chrono::steady_clock::time_point tokens_loaded_{};
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at{};
  };
  std::map<std::string, Bucket> buckets_;
};

}  // namespace omnivox::serve

#endif  // OMNIVOX_SERVE_SERVICE_H_
