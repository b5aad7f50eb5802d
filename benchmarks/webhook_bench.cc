// Twilio webhook requests handled per second: signature check (HMAC-SHA1), form parse,
// deduplication (memory Storage), mapping and a call-state change — in process, and over loopback
// HTTP through TwilioWebhookServer (one keep-alive connection).
#include <benchmark/benchmark.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <mutex>
#include <vector>

#include "omnivox/call_state_machine.h"
#include "omnivox/storage.h"
#include "omnivox/twilio.h"
#include "omnivox/twilio_webhook.h"

namespace {

using namespace omnivox;

const char* kToken = "bench-auth-token";
const char* kBase = "https://dialer.example.com";
constexpr int kCalls = 12500;  // × 4 status callbacks = 50,000 distinct signed requests

std::string escape(const std::string& v) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The callbacks of kCalls calls (initiated, ringing, in-progress, completed), as Twilio sends them.
const std::vector<WebhookRequest>& requests() {
  static const std::vector<WebhookRequest> all = [] {
    std::vector<WebhookRequest> out;
    const char* statuses[] = {"initiated", "ringing", "in-progress", "completed"};
    for (int s = 0; s < 4; ++s) {
      for (int c = 1; c <= kCalls; ++c) {
        std::string url = std::string(kBase) + "/twilio/status?call=" + std::to_string(c);
        TwilioParams p = {{"AccountSid", "AC0123456789abcdef0123456789abcdef"},
                          {"ApiVersion", "2010-04-01"},
                          {"CallSid", "CA" + std::to_string(1000000 + c)},
                          {"CallStatus", statuses[s]},
                          {"Direction", "outbound-api"},
                          {"From", "+15550100000"},
                          {"SequenceNumber", std::to_string(s)},
                          {"Timestamp", "Tue, 31 Aug 2010 20:36:29 +0000"},
                          {"To", "+1212555" + std::to_string(1000 + c % 9000)}};
        if (s == 3) p.emplace_back("CallDuration", "42");
        WebhookRequest r;
        r.method = "POST";
        r.url = url;
        for (const auto& [k, v] : p) {
          if (!r.body.empty()) r.body += '&';
          r.body += escape(k) + "=" + escape(v);
        }
        r.headers = {{"Host", "dialer.example.com"},
                     {"Content-Type", "application/x-www-form-urlencoded"},
                     {"X-Twilio-Signature", twilio_signature(kToken, url, p)}};
        out.push_back(std::move(r));
      }
    }
    return out;
  }();
  return all;
}

// Applies each event to its call's state machine (the engine's state change, without the engine).
struct StateSink : CallEventSink {
  std::mutex m;
  std::vector<CallStateMachine> calls{kCalls + 1};
  long applied = 0;
  void on_call_event(const CallEvent& e) override {
    std::lock_guard<std::mutex> lock(m);
    if (e.call_id < calls.size()) {
      applied += calls[e.call_id].apply(e, TimePoint{}).outcome == ApplyOutcome::kApplied;
    }
  }
};

TwilioOptions offline_options() {
  TwilioOptions o;
  o.credentials.account_sid = "AC0123456789abcdef0123456789abcdef";
  o.credentials.password = kToken;
  o.api_base_url = "https://127.0.0.1:1";  // no REST call is made
  o.public_webhook_base_url = kBase;
  return o;
}

// A fresh storage, backend and sink per pass over the 50,000 requests (so none is a replay).
struct World {
  std::unique_ptr<Storage> storage = make_memory_storage();
  TwilioTelephony telephony{offline_options()};
  StateSink sink;
  TwilioWebhookHandler handler{storage.get(), &telephony};
  World() { telephony.start(&sink); }
};

void BM_WebhookInProcess(benchmark::State& state) {
  const auto& reqs = requests();
  auto world = std::make_unique<World>();
  std::size_t i = 0;
  long ok = 0;
  for (auto _ : state) {
    if (i == reqs.size()) {
      state.PauseTiming();
      world = std::make_unique<World>();
      i = 0;
      state.ResumeTiming();
    }
    ok += world->handler.handle(reqs[i++]).status == 200;
  }
  if (ok != static_cast<long>(state.iterations())) state.SkipWithError("a request was refused");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WebhookInProcess)->Unit(benchmark::kMicrosecond);

void BM_WebhookSignatureOnly(benchmark::State& state) {
  const auto& r = requests()[0];
  TwilioParams p = parse_form(r.body);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        verify_twilio_signature(kToken, r.url, p, r.body, r.headers[2].second).valid);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WebhookSignatureOnly)->Unit(benchmark::kMicrosecond);

void BM_WebhookLoopbackHttp(benchmark::State& state) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  const auto& reqs = requests();
  auto world = std::make_unique<World>();
  TwilioWebhookServerOptions so;
  so.public_base_url = kBase;
  auto server = std::make_unique<TwilioWebhookServer>(&world->handler, so);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server->port()});
  boost::beast::flat_buffer buffer;
  std::size_t i = 0;
  long ok = 0;
  std::size_t prefix = std::string(kBase).size();
  for (auto _ : state) {
    if (i == reqs.size()) {
      state.PauseTiming();
      socket.close();
      server.reset();
      world = std::make_unique<World>();
      server = std::make_unique<TwilioWebhookServer>(&world->handler, so);
      socket = asio::ip::tcp::socket(io);
      socket.connect({asio::ip::make_address("127.0.0.1"), server->port()});
      i = 0;
      state.ResumeTiming();
    }
    const WebhookRequest& r = reqs[i++];
    http::request<http::string_body> req{http::verb::post, r.url.substr(prefix), 11};
    for (const auto& [k, v] : r.headers) req.set(k, v);
    req.body() = r.body;
    req.prepare_payload();
    http::write(socket, req);
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    ok += res.result_int() == 200;
  }
  if (ok != static_cast<long>(state.iterations())) state.SkipWithError("a request was refused");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WebhookLoopbackHttp)->Unit(benchmark::kMicrosecond);

}  // namespace
