#include "serve/server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>
#include <vector>

namespace omnivox::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

bool benign(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == beast::error::timeout ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

// Unsubscribes a stream's waker however the stream ends.
struct Subscription {
  EventJournal* journal;
  std::uint64_t id;
  ~Subscription() { journal->unsubscribe(id); }
};

}  // namespace

struct Server::Impl {
  Impl(Service* s, ServerOptions o)
      : service(s), options(std::move(o)), io(std::max(1, options.threads)), acceptor(io) {}

  template <class Stream>
  asio::awaitable<bool> write_response(Stream& stream, const Response& r, bool keep_alive) {
    http::response<http::string_body> res;
    res.version(11);
    res.result(static_cast<unsigned>(r.status));
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::server, "omnivox");
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.body() = r.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
    auto [ec, n] = co_await http::async_write(stream, res, kNoThrow);
    co_return !ec;
  }

  // Server-Sent Events: the journal's events after `s.after`, then each new one as it comes.
  template <class Stream>
  asio::awaitable<void> stream_events(Stream& stream, Response::EventStream s) {
    auto executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor);
    auto pending = std::make_shared<std::atomic<bool>>(false);
    Subscription subscription{s.journal.get(), s.journal->subscribe([executor, timer, pending] {
                                pending->store(true);
                                asio::post(executor, [timer] { timer->cancel(); });
                              })};
    std::string out =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Connection: close\r\nX-Accel-Buffering: no\r\nServer: omnivox\r\n\r\nretry: 1000\n\n";
    std::uint64_t cursor = s.after;
    bool first = true;
    for (;;) {
      bool gap = false;
      pending->store(false);
      auto events = s.journal->read_after(cursor, s.campaign_id, 512, &gap, &cursor);
      if (first && gap) out += "event: gap\ndata: {}\n\n";
      first = false;
      for (const Event& e : events) {
        out += "id: " + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: " + e.data + "\n\n";
      }
      if (!out.empty()) {
        beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), kNoThrow);
        if (ec) co_return;
        out.clear();
        if (events.size() == 512) continue;
      }
      if (pending->load()) continue;
      timer->expires_after(options.keepalive_interval);
      auto [ec] = co_await timer->async_wait(kNoThrow);
      if (!ec) out = ": keep-alive\n\n";
      if (stopping.load()) co_return;
    }
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
      Response r;
      bool keep_alive = false;
      if (ec) {
        if (benign(ec)) co_return;
        r.status = ec == http::error::header_limit ? 431 : 400;
        r.body = std::string("{\"error\":{\"code\":\"") +
                 (r.status == 431 ? "header_too_large" : "malformed_request") +
                 "\",\"field\":null,\"message\":\"the request could not be read\"}}\n";
        co_await write_response(stream, r, false);
        co_return;
      }
      const auto& head = parser.get();
      std::size_t limit = service->body_limit(std::string_view(head.method_string()),
                                              std::string_view(head.target()),
                                              std::string_view(head[http::field::content_type]));
      parser.body_limit(limit);
      if (beast::iequals(head[http::field::expect], "100-continue")) {
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(kContinue), kNoThrow);
        if (wec) co_return;
      }
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kNoThrow);
      if (bec) {
        if (benign(bec)) co_return;
        r.status = bec == http::error::body_limit ? 413 : 400;
        r.body = bec == http::error::body_limit
                     ? "{\"error\":{\"code\":\"body_too_large\",\"field\":null,\"message\":\"the "
                       "body is over " +
                           std::to_string(limit) + " bytes\"}}\n"
                     : "{\"error\":{\"code\":\"malformed_request\",\"field\":null,\"message\":"
                       "\"the request could not be read\"}}\n";
        co_await write_response(stream, r, false);
        co_return;
      }
      auto& req = parser.get();
      Request request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& field : req) {
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      request.body = std::move(req.body());
      keep_alive = req.keep_alive();
      r = service->handle(request);
      if (r.events) {
        co_await stream_events(stream, *r.events);
        co_return;
      }
      if (!co_await write_response(stream, r, keep_alive) || !keep_alive) co_return;
    }
  }

  asio::awaitable<void> plain_session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> tls_session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
    if (ec) co_return;
    co_await serve(stream);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kNoThrow);
  }

  asio::awaitable<void> session(tcp::socket socket) {
    struct Slot {
      std::atomic<std::size_t>& n;
      ~Slot() { --n; }
    } slot{open};
    if (tls) {
      co_await tls_session(std::move(socket));
    } else {
      co_await plain_session(std::move(socket));
    }
  }

  asio::awaitable<void> listen() {
    asio::steady_timer pause(io);
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // Out of descriptors: retry later instead of spinning.
        pause.expires_after(std::chrono::milliseconds(100));
        co_await pause.async_wait(kNoThrow);
        continue;
      }
      if (open.load() >= options.max_connections) continue;  // closed by the socket's end
      ++open;
      asio::co_spawn(asio::make_strand(io), session(std::move(socket)), asio::detached);
    }
  }

  Service* service;
  ServerOptions options;
  std::atomic<std::size_t> open{0};
  std::atomic<bool> stopping{false};
  std::unique_ptr<ssl::context> tls;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool stopped = false;
};

Server::Server(Service* service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {
  auto& o = impl_->options;
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    throw Error(ErrorCode::kConfig, "TLS needs both --tls-cert and --tls-key");
  }
  if (!o.tls_cert.empty()) {
    impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    impl_->tls->use_certificate_chain_file(o.tls_cert, ec);
    if (ec)
      throw Error(ErrorCode::kIo, o.tls_cert + ": cannot load the certificate: " + ec.message());
    impl_->tls->use_private_key_file(o.tls_key, ssl::context::pem, ec);
    if (ec)
      throw Error(ErrorCode::kIo, o.tls_key + ": cannot load the private key: " + ec.message());
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(o.address, ec);
  if (ec) throw Error(ErrorCode::kConfig, "listen address '" + o.address + "': " + ec.message());
  tcp::endpoint endpoint(address, o.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw Error(ErrorCode::kIo,
                o.address + ":" + std::to_string(o.port) + ": cannot listen: " + ec.message());
  }
  impl_->port = acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->listen(), asio::detached);
  for (int i = 0; i < std::max(1, o.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->port; }

void Server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  asio::post(impl_->io, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace omnivox::serve
