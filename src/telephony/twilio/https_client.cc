#include "telephony/twilio/https_client.h"

#include <openssl/evp.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>

namespace omnivox::twilio_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct HttpsClient::Connection {
  explicit Connection(asio::io_context& io, asio::ssl::context& ssl) : stream(io, ssl) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

HttpsClient::HttpsClient(asio::io_context& io, HttpsClientOptions options)
    : io_(io), options_(std::move(options)), ssl_(asio::ssl::context::tls_client) {
  auto parsed = boost::urls::parse_uri(options_.base_url);
  if (!parsed || parsed->scheme() != "https" || parsed->host().empty()) {
    throw Error(
        ErrorCode::kConfig,
        "twilio api_base_url: must be https://host[:port][/path], got '" + options_.base_url + "'");
  }
  host_ = parsed->host();
  port_ = parsed->has_port() ? std::string(parsed->port()) : "443";
  prefix_ = std::string(parsed->encoded_path());
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  std::string credentials = options_.username + ":" + options_.password;
  std::string encoded(4 * ((credentials.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                          reinterpret_cast<const unsigned char*>(credentials.data()),
                          static_cast<int>(credentials.size()));
  encoded.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  authorization_ = "Basic " + encoded;

  ssl_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  if (options_.verify_peer) {
    ssl_.set_default_verify_paths();
    if (!options_.ca_pem.empty()) {
      boost::system::error_code ec;
      ssl_.add_certificate_authority(asio::buffer(options_.ca_pem), ec);
      if (ec) throw Error(ErrorCode::kConfig, "twilio ca_pem: " + ec.message());
    }
    ssl_.set_verify_mode(asio::ssl::verify_peer);
  } else {
    ssl_.set_verify_mode(asio::ssl::verify_none);
  }
}

HttpsClient::~HttpsClient() = default;

asio::awaitable<void> HttpsClient::acquire() {
  while (active_ >= options_.max_concurrent) {
    asio::steady_timer wake(io_, asio::steady_timer::time_point::max());
    waiters_.push_back(&wake);
    co_await wake.async_wait(kNoThrow);
  }
  ++active_;
}

void HttpsClient::shutdown() {
  shut_down_ = true;
  waiters_.clear();
  idle_.clear();
}

void HttpsClient::release() {
  if (shut_down_) return;
  --active_;
  if (!waiters_.empty()) {
    waiters_.front()->cancel();
    waiters_.pop_front();
  }
}

asio::awaitable<HttpsResult> HttpsClient::exchange(Connection& c, http::verb verb,
                                                   const std::string& target,
                                                   const std::string& body, bool& reusable) {
  HttpsResult result;
  reusable = false;
  http::request<http::string_body> req{verb, prefix_ + target, 11};
  req.set(http::field::host, host_);
  req.set(http::field::user_agent, "omnivox-twilio/0.1");
  req.set(http::field::authorization, authorization_);
  req.set(http::field::accept, "application/json");
  if (verb == http::verb::post) {
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  beast::get_lowest_layer(c.stream).expires_after(options_.timeout);
  auto [wec, written] = co_await http::async_write(c.stream, req, kNoThrow);
  if (wec) {
    result.error = "write: " + wec.message();
    co_return result;
  }
  result.sent = true;
  http::response_parser<http::string_body> parser;
  parser.body_limit(4 * 1024 * 1024);
  auto [rec, read] = co_await http::async_read(c.stream, c.buffer, parser, kNoThrow);
  if (rec) {
    result.error = "read: " + rec.message();
    co_return result;
  }
  auto& res = parser.get();
  result.status = static_cast<int>(res.result_int());
  result.body = std::move(res.body());
  if (auto it = res.find(http::field::retry_after); it != res.end()) {
    result.retry_after = std::string(it->value());
  }
  reusable = res.keep_alive();
  co_return result;
}

asio::awaitable<HttpsResult> HttpsClient::request(http::verb verb, std::string target,
                                                  std::string form_body) {
  co_await acquire();
  struct Release {
    HttpsClient* self;
    ~Release() { self->release(); }
  } release_on_exit{this};

  // A kept-alive connection the server closed meanwhile fails on write or read: try it once, then
  // a fresh connection.
  while (!idle_.empty()) {
    std::unique_ptr<Connection> c = std::move(idle_.back());
    idle_.pop_back();
    bool reusable = false;
    HttpsResult r = co_await exchange(*c, verb, target, form_body, reusable);
    if (r.status != 0) {
      if (reusable && !shut_down_ && static_cast<int>(idle_.size()) < options_.max_concurrent) {
        idle_.push_back(std::move(c));
      }
      co_return r;
    }
  }

  HttpsResult result;
  auto c = std::make_unique<Connection>(io_, ssl_);
  tcp::resolver resolver(io_);
  auto [ec, endpoints] = co_await resolver.async_resolve(host_, port_, kNoThrow);
  if (ec) {
    result.error = "resolve " + host_ + ": " + ec.message();
    co_return result;
  }
  if (!SSL_set_tlsext_host_name(c->stream.native_handle(), host_.c_str())) {
    result.error = "SNI " + host_;
    co_return result;
  }
  if (options_.verify_peer) c->stream.set_verify_callback(asio::ssl::host_name_verification(host_));
  auto& tcp_layer = beast::get_lowest_layer(c->stream);
  tcp_layer.expires_after(options_.timeout);
  auto [cec, endpoint] = co_await tcp_layer.async_connect(endpoints, kNoThrow);
  if (cec) {
    result.error = "connect " + host_ + ":" + port_ + ": " + cec.message();
    co_return result;
  }
  tcp_layer.expires_after(options_.timeout);
  auto [hec] = co_await c->stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (hec) {
    result.error = "TLS handshake with " + host_ + ": " + hec.message();
    co_return result;
  }
  bool reusable = false;
  result = co_await exchange(*c, verb, target, form_body, reusable);
  if (result.status != 0 && reusable && !shut_down_ &&
      static_cast<int>(idle_.size()) < options_.max_concurrent) {
    idle_.push_back(std::move(c));
  }
  co_return result;
}

}  // namespace omnivox::twilio_detail
