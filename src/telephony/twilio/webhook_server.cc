// TwilioWebhookServer: a Boost.Beast HTTP/1.1 server in front of TwilioWebhookHandler.
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "omnivox/twilio_webhook.h"

namespace omnivox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}

struct TwilioWebhookServer::Impl {
  Impl(TwilioWebhookHandler* h, TwilioWebhookServerOptions o)
      : handler(h), options(std::move(o)), io(std::max(1, options.threads)), acceptor(io) {}

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      stream.expires_after(options.idle_timeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
      http::response<http::string_body> res;
      bool keep_alive = false;
      if (ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::eof || ec == asio::error::connection_reset ||
            ec == asio::error::operation_aborted) {
          break;
        }
        // Oversized or unparsable: answer 400 and close (the stream position is lost).
        res.result(http::status::bad_request);
        res.set(http::field::content_type, "text/plain");
        res.body() = ec == http::error::body_limit || ec == http::error::header_limit
                         ? "request too large"
                         : "malformed request: " + ec.message();
      } else {
        auto& req = parser.get();
        WebhookRequest wr;
        wr.method = std::string(req.method_string());
        wr.url = public_base + std::string(req.target());
        wr.headers.reserve(8);
        for (const auto& field : req) {
          wr.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        wr.body = std::move(req.body());
        WebhookResponse r = handler->handle(wr);
        res.result(static_cast<unsigned>(r.status));
        res.set(http::field::content_type, r.content_type);
        res.body() = std::move(r.body);
        keep_alive = req.keep_alive();
      }
      res.version(11);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      requests.fetch_add(1, std::memory_order_relaxed);
      stream.expires_after(options.idle_timeout);
      auto [wec, wn] = co_await http::async_write(stream, res, kNoThrow);
      if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> listen() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. too many open files: keep serving the others
      }
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }

  TwilioWebhookHandler* handler;
  TwilioWebhookServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::string public_base;
  std::uint16_t port = 0;
  std::atomic<std::uint64_t> requests{0};
  std::mutex stop_mu;
};

TwilioWebhookServer::TwilioWebhookServer(TwilioWebhookHandler* handler,
                                         TwilioWebhookServerOptions options)
    : impl_(std::make_unique<Impl>(handler, std::move(options))) {
  Impl& m = *impl_;
  if (!handler) throw Error(ErrorCode::kInvalidArgument, "TwilioWebhookServer: null handler");
  boost::system::error_code ec;
  auto address = asio::ip::make_address(m.options.address, ec);
  if (ec)
    throw Error(ErrorCode::kConfig,
                "webhook server address '" + m.options.address + "': " + ec.message());
  tcp::endpoint endpoint(address, m.options.port);
  m.acceptor.open(endpoint.protocol(), ec);
  if (!ec) m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(endpoint, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw Error(ErrorCode::kIo, "webhook server: cannot listen on " + m.options.address + ":" +
                                    std::to_string(m.options.port) + ": " + ec.message());
  }
  m.port = m.acceptor.local_endpoint().port();
  m.public_base = m.options.public_base_url.empty()
                      ? "http://" + m.options.address + ":" + std::to_string(m.port)
                      : m.options.public_base_url;
  while (!m.public_base.empty() && m.public_base.back() == '/') m.public_base.pop_back();
  asio::co_spawn(m.io, m.listen(), asio::detached);
  for (int i = 0; i < std::max(1, m.options.threads); ++i) {
    m.threads.emplace_back([&m] { m.io.run(); });
  }
}

TwilioWebhookServer::~TwilioWebhookServer() { stop(); }

std::uint16_t TwilioWebhookServer::port() const { return impl_->port; }
const std::string& TwilioWebhookServer::public_base_url() const { return impl_->public_base; }
std::uint64_t TwilioWebhookServer::requests() const { return impl_->requests.load(); }

void TwilioWebhookServer::stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->threads.empty()) return;
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace omnivox
