// Fuzz target: the HTTP/JSON API of `omnivox serve` (src/serve/service.h) — the request parser
// (Boost.Beast's, as the server uses it), the router, bearer-token checks and every handler's
// JSON and CSV bodies, in process (no network).
//
// Input: a raw HTTP/1.1 request. A header value "!control" or "!read" becomes
// "Bearer <token>" of the harness's tenant with that scope, so inputs get past authentication
// into the handlers. The harness serves one simulated campaign, "demo", with contacts and
// agents (at most 8 campaigns: creating more is refused).
// Checks: handle() never throws, answers with a status from 200 to 499 or 503 (a 500 is a
// handler failing on input it should have refused), and an error's body is the JSON error.
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_check.h"
#include "serve/service.h"
#include "serve/store.h"

namespace {

namespace http = boost::beast::http;
using omnivox::serve::Request;
using omnivox::serve::Response;

struct Harness {
  std::unique_ptr<omnivox::serve::ServeStore> store = omnivox::serve::open_serve_store("memory");
  std::unique_ptr<omnivox::serve::Service> service;
  std::string control, read;

  Harness() {
    auto c = omnivox::serve::make_token("fuzz", omnivox::serve::Scope::kControl, "fuzz");
    auto r = omnivox::serve::make_token("fuzz", omnivox::serve::Scope::kRead, "fuzz");
    store->put_token(c.record);
    store->put_token(r.record);
    control = "Bearer " + c.token;
    read = "Bearer " + r.token;
    omnivox::serve::ServiceOptions o;
    o.rate_per_s = 1e12;
    o.rate_burst = 1e12;
    o.max_campaigns = 8;
    service = std::make_unique<omnivox::serve::Service>(o, store.get());
    send("POST", "/v1/campaigns", "application/json",
         R"({"id":"demo","agents":2,"call_window":"00:00-24:00","time_zone":"UTC",)"
         R"("default_region":"PT","contacts":{"phone_columns":["phone"],"id_column":"id"}})");
    send("POST", "/v1/campaigns/demo/contacts", "text/csv",
         "id,phone\na,+351912300001\nb,+351912300002\n");
  }
  void send(const char* method, const char* target, const char* type, std::string body) {
    Request r{method, target, {{"Authorization", control}, {"Content-Type", type}}, body};
    service->handle(r);
  }
};

Harness& harness() {
  static Harness* h = new Harness();  // lives for the process (engines own threads)
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = harness();
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec && ec != http::error::need_more) return 0;
  if (!parser.is_header_done()) return 0;
  auto& msg = parser.get();
  Request request;
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  for (const auto& field : msg) {
    std::string value(field.value());
    if (value == "!control") value = h.control;
    if (value == "!read") value = h.read;
    request.headers.emplace_back(std::string(field.name_string()), value);
  }
  request.body = msg.body();
  Response response;
  try {
    response = h.service->handle(request);
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  if (std::getenv("OMNIVOX_FUZZ_VERBOSE")) {
    std::fprintf(stderr, "%d %s\n", response.status, response.body.substr(0, 300).c_str());
  }
  FUZZ_CHECK(response.status >= 200 && (response.status < 500 || response.status == 503));
  if (response.status >= 400) {
    boost::system::error_code jec;
    auto v = boost::json::parse(response.body, jec);
    FUZZ_CHECK(!jec && v.is_object() && v.as_object().contains("error"));
  }
  return 0;
}
