// The transport of `omnivox serve`: a Boost.Beast HTTP/1.1 server (keep-alive, bounded headers
// and bodies, idle timeouts), optionally over TLS (OpenSSL), in front of a Service. GET
// /v1/events streams Server-Sent Events; Twilio's webhooks (/twilio/...) are answered by the
// Service like any request.
//
// Threading: one io_context on `threads` threads of its own; each connection runs on a strand.
#ifndef OMNIVOX_SERVE_SERVER_H_
#define OMNIVOX_SERVE_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "serve/service.h"

namespace omnivox::serve {

struct ServerOptions {
  /// Listening address and port (0: any free port, see Server::port()). Default: 127.0.0.1:0.
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  /// Threads running the io_context. Default: 2.
  int threads = 2;
  /// PEM certificate chain and private key; both empty: plain HTTP. Default: empty.
  std::string tls_cert;
  std::string tls_key;
  /// A connection idle this long (no request, or a request slow to arrive) is closed; an event
  /// stream is never idle (a comment line every keepalive_interval). Default: 30 s, 15 s.
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds keepalive_interval{15};
  /// Header bytes per request. Default: 16 KiB.
  std::size_t max_header_bytes = 16 << 10;
  /// Connections at once; over it a new connection is closed at once. Default: 4096.
  std::size_t max_connections = 4096;
};

class Server {
 public:
  /// Binds and serves at once. Throws Error(kIo) when the address cannot be bound or the TLS
  /// files cannot be loaded, Error(kConfig) for a bad address. `service` must outlive it.
  Server(Service* service, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  std::uint16_t port() const;
  /// Closes the listener and every connection, and joins the threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omnivox::serve

#endif  // OMNIVOX_SERVE_SERVER_H_
