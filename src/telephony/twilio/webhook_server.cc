// TwilioWebhookServer: a Boost.Beast HTTP/1.1 server in front of TwilioWebhookHandler.
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "omnivox/twilio_webhook.h"

namespace omnivox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// After a failed accept (out of descriptors or kernel memory) the pending connection stays queued
// and the next accept fails at once: wait this long instead of retrying in a loop.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
}  // namespace

struct TwilioWebhookServer::Impl {
  Impl(TwilioWebhookHandler* h, TwilioWebhookServerOptions o)
      : handler(h),
        options(std::move(o)),
        io(std::max(1, options.threads)),
        acceptor(io),
        accept_strand(asio::make_strand(io)),
        accept_pause(accept_strand) {}

  // Counts one open connection for as long as its session lives, however the session ends.
  class ConnectionSlot {
   public:
    explicit ConnectionSlot(Impl* server) : server_(server) {}
    ConnectionSlot(ConnectionSlot&& other) noexcept
        : server_(std::exchange(other.server_, nullptr)) {}
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(ConnectionSlot&&) = delete;
    ~ConnectionSlot() {
      if (!server_) return;
      // The listener may be paused at the limit: this connection's end frees a place. A stopped
      // server is destroying its sessions: nobody listens any more.
      if (server_->open_connections.fetch_sub(1) == server_->options.max_connections &&
          !server_->io.stopped()) {
        asio::post(server_->accept_strand, [s = server_] { s->accept_pause.cancel(); });
      }
    }

   private:
    Impl* server_;
  };

  asio::awaitable<void> session(tcp::socket socket, ConnectionSlot) {
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

  // Runs on accept_strand, which also runs every use of accept_pause.
  asio::awaitable<void> listen() {
    for (;;) {
      if (open_connections.load() >= options.max_connections) {
        // At the limit: accept nothing until a connection ends (it cancels the wait); new
        // connections wait in the kernel's listen queue meanwhile.
        accept_pause.expires_at(asio::steady_timer::time_point::max());
        co_await accept_pause.async_wait(kNoThrow);
        continue;
      }
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // E.g. too many open files: keep serving the others, and retry later.
        accept_pause.expires_after(kAcceptRetryDelay);
        co_await accept_pause.async_wait(kNoThrow);
        continue;
      }
      open_connections.fetch_add(1);
      asio::co_spawn(io, session(std::move(socket), ConnectionSlot(this)), asio::detached);
    }
  }

  TwilioWebhookHandler* handler;
  TwilioWebhookServerOptions options;
  // Before io: the sessions io destroys with it still count themselves out.
  std::atomic<std::size_t> open_connections{0};
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::strand<asio::io_context::executor_type> accept_strand;
  asio::steady_timer accept_pause;  // on accept_strand: the listener's wait at the limit
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
  if (m.options.max_connections < 1) {
    throw Error(ErrorCode::kConfig, "webhook server max_connections: must be >= 1");
  }
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
  asio::co_spawn(m.accept_strand, m.listen(), asio::detached);
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
