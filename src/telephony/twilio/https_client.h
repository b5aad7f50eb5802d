// A small HTTPS/1.1 client for Twilio's REST API on Boost.Beast + OpenSSL, for coroutines on one
// io_context thread: bounded concurrency, kept-alive connections reused, whole-request timeouts,
// certificate and host-name verification. Internal to the Twilio backend.
#ifndef OMNIVOX_SRC_TELEPHONY_TWILIO_HTTPS_CLIENT_H_
#define OMNIVOX_SRC_TELEPHONY_TWILIO_HTTPS_CLIENT_H_

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/verb.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "omnivox/types.h"

namespace omnivox::twilio_detail {

struct HttpsResult {
  int status = 0;           ///< HTTP status; 0 when the request failed in transport
  std::string body;         ///< response body
  std::string retry_after;  ///< Retry-After header, if any
  std::string error;        ///< transport error text when status == 0
  /// The request was written to the server: after a transport error the server may have acted on
  /// it, so a non-idempotent request (call creation) must not be sent again.
  bool sent = false;
};

struct HttpsClientOptions {
  std::string base_url;  ///< "https://host[:port][/prefix]"
  std::string username;  ///< Basic auth
  std::string password;
  Duration timeout{10000};
  int max_concurrent = 8;
  bool verify_peer = true;
  std::string ca_pem;
};

/// Every method runs on the io_context's one thread.
class HttpsClient {
 public:
  /// Throws Error(kConfig) for a base URL that is not https://host[:port][/path].
  HttpsClient(boost::asio::io_context& io, HttpsClientOptions options);
  ~HttpsClient();

  /// Sends `verb` to base path + `target` with a form body (may be empty) and Basic auth.
  boost::asio::awaitable<HttpsResult> request(boost::beast::http::verb verb, std::string target,
                                              std::string form_body);
  /// Before the io_context is destroyed: drops kept-alive connections and waiters, and makes
  /// requests still suspended forget the client when their frames are destroyed.
  void shutdown();

 private:
  struct Connection;
  boost::asio::awaitable<void> acquire();
  void release();
  boost::asio::awaitable<HttpsResult> exchange(Connection& c, boost::beast::http::verb verb,
                                               const std::string& target, const std::string& body,
                                               bool& reusable);

  boost::asio::io_context& io_;
  HttpsClientOptions options_;
  boost::asio::ssl::context ssl_;
  std::string host_, port_, prefix_, authorization_;
  int active_ = 0;
  bool shut_down_ = false;
  std::deque<boost::asio::steady_timer*> waiters_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace omnivox::twilio_detail

#endif  // OMNIVOX_SRC_TELEPHONY_TWILIO_HTTPS_CLIENT_H_
