// TwilioTelephony and the webhook server over real sockets on 127.0.0.1: a fake Calls API over
// HTTPS (self-signed certificate made at test time with OpenSSL) answers 201, 400 with Twilio
// error codes, 429, 500 and slow responses, then sends signed status callbacks over HTTP to the
// webhook server — with duplicates, out-of-order delivery and a lost `ringing` — and the engine
// (real clock, memory storage) must reach the right states and dispositions.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <set>
#include <thread>

#include "omnivox/clock.h"
#include "omnivox/engine.h"
#include "omnivox/twilio.h"
#include "omnivox/twilio_webhook.h"

namespace omnivox {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

const char* kAccount = "AC0123456789abcdef0123456789abcdef";
const char* kToken = "loopback-auth-token";
const char* kPublicBase = "https://hooks.example.test";

// ---- a self-signed certificate for 127.0.0.1, made now ----
struct TestCert {
  std::string cert_pem, key_pem;
};

TestCert make_cert() {
  TestCert out;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  out.cert_pem.assign(data, n);
  BIO_free(b);
  b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  n = BIO_get_mem_data(b, &data);
  out.key_pem.assign(data, n);
  BIO_free(b);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

std::string form_escape(const std::string& v) {
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

std::string form_encode(const TwilioParams& params) {
  std::string body;
  for (const auto& [k, v] : params) {
    if (!body.empty()) body += '&';
    body += form_escape(k) + "=" + form_escape(v);
  }
  return body;
}

// ---- timed tasks on one thread ----
class Scheduler {
 public:
  Scheduler() : thread_([this] { run(); }) {}
  ~Scheduler() { stop(); }
  void at(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(m_);
    tasks_.push(Task{when, seq_++, std::move(fn)});
    cv_.notify_one();
  }
  void after(std::chrono::milliseconds d, std::function<void()> fn) {
    at(std::chrono::steady_clock::now() + d, std::move(fn));
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      if (stopped_) return;
      stopped_ = true;
      cv_.notify_one();
    }
    thread_.join();
  }

 private:
  struct Task {
    std::chrono::steady_clock::time_point when;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Task& o) const { return std::tie(when, seq) > std::tie(o.when, o.seq); }
  };
  void run() {
    std::unique_lock<std::mutex> lock(m_);
    while (!stopped_) {
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto when = tasks_.top().when;
      if (std::chrono::steady_clock::now() < when) {
        cv_.wait_until(lock, when);
        continue;
      }
      auto fn = std::move(const_cast<Task&>(tasks_.top()).fn);
      tasks_.pop();
      lock.unlock();
      fn();
      lock.lock();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::priority_queue<Task, std::vector<Task>, std::greater<>> tasks_;
  std::uint64_t seq_ = 0;
  bool stopped_ = false;
  std::thread thread_;
};

// ---- what the fake Twilio does with a number ----
enum class Scenario {
  kHuman,  // initiated, ringing, answered; talks once bridged
  kBusy,
  kNoAnswer,
  kInvalid,      // 400, code 21211
  kBlocked,      // 400, code 21216
  kUnknownCode,  // 400, code 45678
  kRateLimited,  // 429 once (Retry-After: 0), then as kHuman
  kServerError,  // 500 once, then as kHuman
  kSlow,         // 201 after 1.2 s, then as kHuman
  kDuplicates,   // as kHuman, every callback sent twice
  kOutOfOrder,   // as kHuman, ringing delivered after answered
  kLostRinging,  // as kHuman, no ringing callback
  kMachine,      // answered, AMD says machine_end_beep
  kRingForever,  // rings until canceled
};

// The fake Calls API: HTTPS on 127.0.0.1, one thread per connection; callbacks go over HTTP to the
// webhook server at 127.0.0.1:webhook_port, signed for the URLs the backend gave.
class FakeTwilio {
 public:
  // `port` 0: any free port.
  FakeTwilio(const TestCert& cert, std::function<Scenario(const std::string&)> scenario_of,
             std::uint16_t port = 0)
      : scenario_of_(std::move(scenario_of)), ssl_(asio::ssl::context::tls_server), acceptor_(io_) {
    ssl_.use_certificate_chain(asio::buffer(cert.cert_pem));
    ssl_.use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~FakeTwilio() { stop(); }

  void stop() {
    if (stopping_.exchange(true)) return;
    // A callback blocked reading the webhook server's answer (the server may stop first) must
    // not keep the scheduler from stopping: break its connection.
    if (int fd = webhook_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    boost::system::error_code ec;
    // Wake the accept() blocked in the accept thread with a connection, and close the acceptor
    // only after joining it: closing it under a blocked accept() is a data race (TSan).
    try {
      tcp::socket s(io_);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    } catch (...) {
    }
    accept_thread_.join();
    acceptor_.close(ec);
    std::vector<std::thread> conns;
    {
      std::lock_guard<std::mutex> lock(m_);
      conns.swap(conn_threads_);
    }
    for (auto& t : conns) t.join();
    scheduler_.stop();
  }

  std::uint16_t port() const { return port_; }
  void set_webhook_port(std::uint16_t p) { webhook_port_ = p; }
  int creates() const { return creates_.load(); }
  int updates_with(const std::string& needle) {
    std::lock_guard<std::mutex> lock(m_);
    int n = 0;
    for (const auto& u : updates_) n += u.find(needle) != std::string::npos;
    return n;
  }
  std::size_t callbacks_sent() const { return callbacks_sent_.load(); }
  std::size_t callbacks_refused() const { return callbacks_refused_.load(); }
  std::vector<int> create_timeouts() {
    std::lock_guard<std::mutex> lock(m_);
    return timeouts_;
  }
  bool saw_amd_request() const { return saw_amd_.load(); }

  // A caller dials `to`: Twilio fetches the number's voice URL (…/twilio/inbound, signed), then
  // holds the caller as its TwiML says until the call is redirected; the caller hangs up after
  // `patience` unless the call ended before (a <Dial> redirect ends it 300 ms later). Status
  // callbacks go to the number's StatusCallback, …/twilio/status with no call parameter.
  void call_in(const std::string& to, const std::string& from, std::chrono::milliseconds patience) {
    std::string sid;
    {
      std::lock_guard<std::mutex> lock(m_);
      Call c;
      c.sid = "CA" + std::to_string(900000 + ++sid_counter_);
      c.to = from;
      c.status_url = std::string(kPublicBase) + "/twilio/status";
      c.answered = true;
      c.status = "in-progress";
      sid = c.sid;
      calls_[sid] = c;
    }
    scheduler_.after(0ms, [this, sid, to, from] {
      post_signed(std::string(kPublicBase) + "/twilio/inbound", {{"CallSid", sid},
                                                                 {"AccountSid", kAccount},
                                                                 {"From", from},
                                                                 {"To", to},
                                                                 {"CallStatus", "ringing"},
                                                                 {"Direction", "inbound"}});
    });
    scheduler_.after(patience, [this, sid] {
      std::lock_guard<std::mutex> lock(m_);
      Call& c = calls_[sid];
      if (c.ended) return;
      c.ended = true;
      c.status = "completed";
      send_status(c, "completed", 0ms);
    });
  }

 private:
  struct Call {
    std::string sid, to, status_url, voice_url, amd_url;
    Scenario scenario = Scenario::kHuman;
    int next_seq = 0;
    bool answered = false;
    bool ended = false;
    std::string status = "queued";
  };

  void accept_loop() {
    while (!stopping_) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stopping_) break;
      std::lock_guard<std::mutex> lock(m_);
      conn_threads_.emplace_back([this, s = std::move(s)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(tcp::socket socket) {
    beast::ssl_stream<tcp::socket> stream(std::move(socket), ssl_);
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      http::read(stream, buffer, req, ec);
      if (ec) break;
      http::response<http::string_body> res = answer(req);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || !req.keep_alive() || stopping_) break;
    }
    stream.next_layer().close(ec);
  }

  static http::response<http::string_body> json_response(int status, const std::string& body) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = body;
    return res;
  }

  std::string call_json(const Call& c) {
    return R"({"sid":")" + c.sid + R"(","status":")" + c.status +
           R"(","end_time":"Tue, 31 Aug 2010 20:36:29 +0000"})";
  }

  http::response<http::string_body> answer(const http::request<http::string_body>& req) {
    std::string expected_auth;
    {
      std::string cred = std::string(kAccount) + ":" + kToken;
      std::string enc(4 * ((cred.size() + 2) / 3) + 1, '\0');
      enc.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(enc.data()),
                                 reinterpret_cast<const unsigned char*>(cred.data()), cred.size()));
      expected_auth = "Basic " + enc;
    }
    if (req[http::field::authorization] != expected_auth) {
      return json_response(401, R"({"code":20003,"message":"Authenticate","status":401})");
    }
    std::string target(req.target());
    std::string prefix = std::string("/2010-04-01/Accounts/") + kAccount + "/Calls";
    if (target.rfind(prefix, 0) != 0) return json_response(404, R"({"code":20404})");
    std::string rest = target.substr(prefix.size());
    TwilioParams form = parse_form(req.body());
    auto get = [&](const std::string& k) {
      for (auto& [kk, v] : form)
        if (kk == k) return v;
      return std::string();
    };
    if (rest == ".json" && req.method() == http::verb::post) return create(get, form);
    // /CAxxx.json
    std::string sid = rest.substr(1, rest.size() - 6);
    std::lock_guard<std::mutex> lock(m_);
    auto it = calls_.find(sid);
    if (it == calls_.end()) return json_response(404, R"({"code":20404})");
    Call& c = it->second;
    if (req.method() == http::verb::get) return json_response(200, call_json(c));
    updates_.push_back(req.body());
    std::string status = get("Status"), twiml = get("Twiml");
    if (status == "canceled") {
      if (!c.answered && !c.ended) {
        bool was_ringing = c.status == "ringing";
        c.status = "canceled";
        c.ended = true;
        if (was_ringing) send_status(c, "canceled", 0ms);
      }
    } else if (status == "completed") {
      if (!c.ended) {
        c.ended = true;
        c.status = "completed";
        send_status(c, "completed", 0ms);
      }
    } else if (twiml.find("<Dial>") != std::string::npos) {
      if (!c.ended) {
        c.ended = true;  // talks, then the person hangs up
        send_status(c, "completed", 300ms);
      }
    } else if (twiml.find("<Hangup/>") != std::string::npos) {
      if (!c.ended) {
        c.ended = true;
        send_status(c, "completed", 50ms);
      }
    }
    return json_response(200, call_json(c));
  }

  template <typename Get>
  http::response<http::string_body> create(Get& get, const TwilioParams& form) {
    std::string to = get("To");
    Scenario sc = scenario_of_(to);
    {
      std::lock_guard<std::mutex> lock(m_);
      timeouts_.push_back(std::stoi(get("Timeout")));
      if (!get("MachineDetection").empty()) saw_amd_ = true;
      int& tries = tries_[to];
      ++tries;
      if (sc == Scenario::kRateLimited && tries == 1) {
        auto res = json_response(429, R"({"code":20429,"message":"Too Many Requests"})");
        res.set(http::field::retry_after, "0");
        return res;
      }
      if (sc == Scenario::kServerError && tries == 1) {
        return json_response(500, R"({"code":20500,"message":"Internal Server Error"})");
      }
    }
    if (sc == Scenario::kInvalid) {
      return json_response(400, R"({"code":21211,"message":"Invalid 'To' Phone Number"})");
    }
    if (sc == Scenario::kBlocked) {
      return json_response(400, R"({"code":21216,"message":"Account not allowed to call"})");
    }
    if (sc == Scenario::kUnknownCode) {
      return json_response(400, R"({"code":45678,"message":"Something new"})");
    }
    if (sc == Scenario::kSlow) std::this_thread::sleep_for(1200ms);
    std::lock_guard<std::mutex> lock(m_);
    Call c;
    c.sid = "CA" + std::to_string(100000 + ++sid_counter_);
    c.to = to;
    c.status_url = get("StatusCallback");
    c.voice_url = get("Url");
    c.amd_url = get("AsyncAmdStatusCallback");
    c.scenario = sc;
    creates_.fetch_add(1);
    Call& stored = calls_[c.sid] = c;
    script(stored);
    return json_response(201, call_json(stored));
  }

  // Schedules a call's life (m_ held).
  void script(Call& c) {
    const std::string sid = c.sid;
    auto status_at = [&](const char* status, std::chrono::milliseconds d, int seq) {
      scheduler_.after(d, [this, sid, status = std::string(status), seq] {
        std::string url;
        TwilioParams p;
        {
          std::lock_guard<std::mutex> lock(m_);
          Call& c = calls_[sid];
          // A late callback of the out-of-order scenario is sent even after the call ended.
          if (c.ended && status != "completed" && c.scenario != Scenario::kOutOfOrder) return;
          if (status == "in-progress") c.answered = true;
          if (!c.ended) c.status = status;
          url = c.status_url;
          p = {{"AccountSid", kAccount},
               {"CallSid", sid},
               {"CallStatus", status},
               {"SequenceNumber", std::to_string(seq)},
               {"To", c.to},
               {"Timestamp", "Tue, 31 Aug 2010 20:36:29 +0000"}};
        }
        post_signed(url, p);
        if (calls_scenario(sid) == Scenario::kDuplicates) post_signed(url, p);
        if (status == "in-progress") answer_url(sid);
      });
    };
    switch (c.scenario) {
      case Scenario::kBusy:
        status_at("initiated", 10ms, 0);
        status_at("ringing", 30ms, 1);
        end_at(sid, "busy", 60ms, 2);
        break;
      case Scenario::kNoAnswer:
        status_at("initiated", 10ms, 0);
        status_at("ringing", 30ms, 1);
        end_at(sid, "no-answer", 80ms, 2);
        break;
      case Scenario::kRingForever:
        status_at("initiated", 10ms, 0);
        status_at("ringing", 30ms, 1);
        break;
      case Scenario::kOutOfOrder:
        status_at("initiated", 10ms, 0);
        status_at("in-progress", 40ms, 2);
        status_at("ringing", 90ms, 1);  // arrives late
        break;
      case Scenario::kLostRinging:
        status_at("initiated", 10ms, 0);
        status_at("in-progress", 50ms, 2);
        break;
      case Scenario::kMachine:
        status_at("initiated", 10ms, 0);
        status_at("ringing", 30ms, 1);
        status_at("in-progress", 60ms, 2);
        scheduler_.after(150ms, [this, sid] {
          std::string url;
          {
            std::lock_guard<std::mutex> lock(m_);
            url = calls_[sid].amd_url;
          }
          post_signed(url, {{"AccountSid", kAccount},
                            {"CallSid", sid},
                            {"AnsweredBy", "machine_end_beep"},
                            {"MachineDetectionDuration", "3100"}});
        });
        break;
      default:  // the human flavours
        status_at("initiated", 10ms, 0);
        status_at("ringing", 30ms, 1);
        status_at("in-progress", 60ms, 2);
        break;
    }
  }

  Scenario calls_scenario(const std::string& sid) {
    std::lock_guard<std::mutex> lock(m_);
    return calls_[sid].scenario;
  }

  void end_at(const std::string& sid, const char* status, std::chrono::milliseconds d, int seq) {
    scheduler_.after(d, [this, sid, status = std::string(status), seq] {
      std::string url;
      TwilioParams p;
      {
        std::lock_guard<std::mutex> lock(m_);
        Call& c = calls_[sid];
        if (c.ended) return;
        c.ended = true;
        c.status = status;
        url = c.status_url;
        p = {{"CallSid", sid},
             {"CallStatus", status},
             {"SequenceNumber", std::to_string(seq)},
             {"SipResponseCode", status == "busy" ? "486" : "487"}};
      }
      post_signed(url, p);
    });
  }

  // A completed/canceled callback after `d` (m_ held by the caller).
  void send_status(Call& c, const std::string& status, std::chrono::milliseconds d) {
    int seq = 10 + c.next_seq++;  // after every scripted one
    std::string sid = c.sid, url = c.status_url;
    bool dup = c.scenario == Scenario::kDuplicates;
    scheduler_.after(d, [this, sid, url, status, seq, dup] {
      TwilioParams p = {{"CallSid", sid},
                        {"CallStatus", status},
                        {"SequenceNumber", std::to_string(seq)},
                        {"CallDuration", "12"}};
      post_signed(url, p);
      if (dup) post_signed(url, p);
    });
  }

  void answer_url(const std::string& sid) {
    std::string url;
    {
      std::lock_guard<std::mutex> lock(m_);
      url = calls_[sid].voice_url;
    }
    post_signed(url, {{"CallSid", sid}, {"CallStatus", "in-progress"}});
  }

  // POSTs a signed form to the webhook server; the URL's host is the public one (a proxy would
  // forward it), the socket goes to 127.0.0.1.
  void post_signed(const std::string& url, const TwilioParams& params) {
    if (stopping_) return;
    auto u = boost::urls::parse_uri(url);
    if (!u) return;
    std::string target = std::string(u->encoded_target());
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, u->host());
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.set("X-Twilio-Signature", twilio_signature(kToken, url, params));
    req.body() = form_encode(params);
    req.prepare_payload();
    try {
      if (!webhook_) {
        webhook_ = std::make_unique<tcp::socket>(io_);
        webhook_->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), webhook_port_));
        webhook_fd_ = webhook_->native_handle();
      }
      http::write(*webhook_, req);
      beast::flat_buffer b;
      http::response<http::string_body> res;
      http::read(*webhook_, b, res);
      callbacks_sent_.fetch_add(1);
      if (res.result_int() != 200) callbacks_refused_.fetch_add(1);
      if (!res.keep_alive()) webhook_fd_ = -1, webhook_.reset();
    } catch (const std::exception&) {
      webhook_fd_ = -1;
      webhook_.reset();
    }
  }

  std::function<Scenario(const std::string&)> scenario_of_;
  asio::io_context io_;
  asio::ssl::context ssl_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> webhook_port_{0};
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex m_;
  std::vector<std::thread> conn_threads_;
  std::map<std::string, Call> calls_;
  std::map<std::string, int> tries_;
  std::vector<std::string> updates_;
  std::vector<int> timeouts_;
  int sid_counter_ = 0;
  std::atomic<int> creates_{0};
  std::atomic<std::size_t> callbacks_sent_{0}, callbacks_refused_{0};
  std::atomic<bool> saw_amd_{false};
  std::unique_ptr<tcp::socket> webhook_;  // scheduler thread only
  std::atomic<int> webhook_fd_{-1};       // its descriptor, for stop()
  Scheduler scheduler_;                   // last: stopped first
};

TwilioOptions loopback_options(const TestCert& cert, std::uint16_t api_port) {
  TwilioOptions o;
  o.credentials.account_sid = kAccount;
  o.credentials.password = kToken;
  o.api_base_url = "https://127.0.0.1:" + std::to_string(api_port);
  o.public_webhook_base_url = kPublicBase;
  o.ca_pem = cert.cert_pem;
  o.calls_per_second = 500;
  o.retry_base_delay = 20ms;
  o.retry_max_delay = 100ms;
  o.max_retries = 2;
  o.request_timeout = 5s;
  o.jitter_seed = 7;
  return o;
}

// Keeps every log line, for tests of what the backend reports.
struct CapturingLogSink : LogSink {
  std::mutex m;
  std::vector<std::pair<LogLevel, std::string>> lines;
  void write(LogLevel level, std::string_view message) override {
    std::lock_guard<std::mutex> lock(m);
    lines.emplace_back(level, std::string(message));
  }
  // WARN lines containing every one of `parts`.
  int count(std::initializer_list<std::string_view> parts) {
    std::lock_guard<std::mutex> lock(m);
    int n = 0;
    for (const auto& [level, line] : lines) {
      bool all = level == LogLevel::kWarn;
      for (std::string_view part : parts) all = all && line.find(part) != std::string::npos;
      n += all;
    }
    return n;
  }
};

struct CollectingSink : CallEventSink {
  std::mutex m;
  std::condition_variable cv;
  std::vector<CallEvent> events;
  void on_call_event(const CallEvent& e) override {
    std::lock_guard<std::mutex> lock(m);
    events.push_back(e);
    cv.notify_all();
  }
  // Waits (bounded) for an event of `kind` for `call`.
  std::optional<CallEvent> wait_for(CallId call, CallEventKind kind,
                                    std::chrono::milliseconds limit = 10s) {
    std::unique_lock<std::mutex> lock(m);
    std::optional<CallEvent> found;
    cv.wait_for(lock, limit, [&] {
      for (const auto& e : events)
        if (e.call_id == call && e.kind == kind) return found = e, true;
      return false;
    });
    return found;
  }
};

OriginateRequest request_to(CallId id, const std::string& to) {
  OriginateRequest r;
  r.call_id = id;
  r.to = to;
  r.from = "+15550100000";
  r.ring_timeout = 10s;
  return r;
}

// ---- the backend alone ----

class TwilioBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cert_ = new TestCert(make_cert()); }
  static void TearDownTestSuite() { delete cert_; }
  static TestCert* cert_;
};
TestCert* TwilioBackendTest::cert_ = nullptr;

TEST_F(TwilioBackendTest, CreateErrorsMapToFailures) {
  std::map<std::string, Scenario> by_number = {{"+15550000001", Scenario::kInvalid},
                                               {"+15550000002", Scenario::kBlocked},
                                               {"+15550000003", Scenario::kUnknownCode},
                                               {"+15550000004", Scenario::kRateLimited},
                                               {"+15550000005", Scenario::kRingForever}};
  FakeTwilio fake(*cert_, [&](const std::string& to) { return by_number.at(to); });
  auto storage = make_memory_storage();
  auto log = std::make_shared<CapturingLogSink>();
  auto options = loopback_options(*cert_, fake.port());
  options.log_sink = log;
  TwilioTelephony tel(options);
  CollectingSink sink;
  tel.start(&sink);
  TwilioWebhookHandler handler(storage.get(), &tel);
  TwilioWebhookServerOptions so;
  so.public_base_url = kPublicBase;
  TwilioWebhookServer server(&handler, so);
  fake.set_webhook_port(server.port());

  for (CallId id = 1; id <= 5; ++id)
    tel.originate(request_to(id, "+1555000000" + std::to_string(id)));
  auto invalid = sink.wait_for(1, CallEventKind::kFailed);
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->fail_reason, FailReason::kInvalidNumber);
  EXPECT_EQ(invalid->provider_code, 21211);
  auto blocked = sink.wait_for(2, CallEventKind::kFailed);
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->fail_reason, FailReason::kRejected);
  auto unknown = sink.wait_for(3, CallEventKind::kFailed);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->fail_reason, FailReason::kNetwork);
  EXPECT_EQ(unknown->provider_code, 45678);
  // 429 then 201: retried, then created.
  auto created = sink.wait_for(4, CallEventKind::kInitiated);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->provider_call_id.substr(0, 2), "CA");
  EXPECT_GE(tel.stats().http_retries, 1);
  // Ringing, then canceled by us: the backend reports kCanceled from the API's answer.
  ASSERT_TRUE(sink.wait_for(5, CallEventKind::kRinging));
  tel.hangup(5);
  auto canceled = sink.wait_for(5, CallEventKind::kCanceled);
  ASSERT_TRUE(canceled);
  EXPECT_EQ(fake.updates_with("Status=canceled"), 1);
  // The Timeout sent is never under the ring minimum (15 s by default; the request asked 10 s).
  for (int t : fake.create_timeouts()) EXPECT_EQ(t, 15);

  // Restart reconciliation: lookup_call asks the Calls API.
  Attempt a;
  a.call_id = 4;
  a.provider_call_id = created->provider_call_id;
  auto looked = tel.lookup_call(a);
  ASSERT_TRUE(looked);
  EXPECT_EQ(looked->provider_call_id, a.provider_call_id);
  Attempt unknown_sid;
  unknown_sid.call_id = 99;
  unknown_sid.provider_call_id = "CA_unknown";
  EXPECT_FALSE(tel.lookup_call(unknown_sid));
  // Each failed request is logged with its call and Twilio's answer; three refused creations
  // within 10 s make one line (the rate limit counts the others for the next line).
  EXPECT_EQ(log->count({"twilio: creating call ", " failed: HTTP 400, Twilio error "}), 1);
  EXPECT_EQ(log->count({"twilio: looking up call 99 (CA_unknown) failed: HTTP 404"}), 1);
  EXPECT_EQ(log->count({"creating call 4"}), 0);  // retried, then created: not a failure
  tel.stop();
  server.stop();
  fake.stop();
}

TEST_F(TwilioBackendTest, ServerErrorsExhaustRetriesAndQueueAppliesBackPressure) {
  FakeTwilio fake(*cert_, [](const std::string&) { return Scenario::kRingForever; });
  auto options = loopback_options(*cert_, fake.port());
  options.api_base_url = "https://127.0.0.1:1";  // nothing listens: transport errors
  options.max_retries = 1;
  {
    auto log = std::make_shared<CapturingLogSink>();
    options.log_sink = log;
    TwilioTelephony tel(options);
    CollectingSink sink;
    tel.start(&sink);
    tel.originate(request_to(1, "+15550000001"));
    auto failed = sink.wait_for(1, CallEventKind::kFailed);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->fail_reason, FailReason::kNetwork);
    EXPECT_EQ(tel.stats().http_retries, 1);
    EXPECT_EQ(
        log->count({"twilio: creating call 1 failed: transport error (", ") after 1 retries"}), 1);
    options.log_sink = nullptr;
  }
  // One call per second, at most 2.5 s of queue: the 4th request in a burst fails at once with
  // Twilio's 20429, and hangups of queued calls are reported canceled by the backend itself.
  options = loopback_options(*cert_, fake.port());
  options.calls_per_second = 1;
  options.max_queue_wait = 2500ms;
  TwilioTelephony tel(options);
  CollectingSink sink;
  tel.start(&sink);
  for (CallId id = 1; id <= 4; ++id)
    tel.originate(request_to(id, "+1555000000" + std::to_string(id)));
  auto overflow = sink.wait_for(4, CallEventKind::kFailed);
  ASSERT_TRUE(overflow);
  EXPECT_EQ(overflow->provider_code, 20429);
  EXPECT_EQ(tel.queue_depth(), 2u);
  EXPECT_GT(tel.queue_wait(), 1000ms);
  tel.hangup(2);
  tel.hangup(3);
  ASSERT_TRUE(sink.wait_for(2, CallEventKind::kCanceled));
  ASSERT_TRUE(sink.wait_for(3, CallEventKind::kCanceled));
  EXPECT_EQ(tel.queue_depth(), 0u);
  EXPECT_EQ(tel.stats().canceled_before_create, 2);
  EXPECT_EQ(tel.stats().queue_overflows, 1);
  tel.stop();
  fake.stop();
}

// Raw bytes to the webhook server; returns the status line's code (0 when the connection closed
// without an answer).
int raw_exchange(std::uint16_t port, const std::string& bytes) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  boost::system::error_code ec;
  asio::write(s, asio::buffer(bytes), ec);
  beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(s, b, res, ec);
  return ec ? 0 : static_cast<int>(res.result_int());
}

TEST_F(TwilioBackendTest, WebhookServerRefusesBadRequestsAndKeepsServing) {
  FakeTwilio fake(*cert_, [](const std::string&) { return Scenario::kRingForever; });
  auto storage = make_memory_storage();
  TwilioTelephony tel(loopback_options(*cert_, fake.port()));
  CollectingSink sink;
  tel.start(&sink);
  TwilioWebhookHandler handler(storage.get(), &tel);
  TwilioWebhookServerOptions so;
  so.public_base_url = kPublicBase;
  TwilioWebhookServer server(&handler, so);
  EXPECT_EQ(raw_exchange(server.port(), "NOT HTTP AT ALL\r\n\r\n"), 400);
  EXPECT_EQ(raw_exchange(server.port(),
                         "POST /twilio/status?call=1 HTTP/1.1\r\nHost: x\r\n"
                         "Content-Length: 200000\r\n\r\n" +
                             std::string(200000, 'a')),
            400);
  EXPECT_EQ(raw_exchange(server.port(),
                         "POST /twilio/status?call=1 HTTP/1.1\r\nHost: x\r\n"
                         "X-Big: " +
                             std::string(20000, 'h') + "\r\n\r\n"),
            400);
  std::string body = "CallSid=CA1&CallStatus=ringing&SequenceNumber=1";
  auto request = [&](const std::string& signature) {
    return "POST /twilio/status?call=1 HTTP/1.1\r\nHost: hooks.example.test\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: " +
           signature + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  EXPECT_EQ(raw_exchange(server.port(), request("forged")), 403);
  std::string good =
      twilio_signature(kToken, std::string(kPublicBase) + "/twilio/status?call=1",
                       {{"CallSid", "CA1"}, {"CallStatus", "ringing"}, {"SequenceNumber", "1"}});
  EXPECT_EQ(raw_exchange(server.port(), request(good)), 200);
  EXPECT_EQ(raw_exchange(server.port(), request(good)), 200);  // a repeat: answered, not applied
  ASSERT_TRUE(sink.wait_for(1, CallEventKind::kRinging));
  {
    std::lock_guard<std::mutex> lock(sink.m);
    EXPECT_EQ(sink.events.size(), 1u);
  }
  server.stop();
  tel.stop();
  fake.stop();
}

// ---- the server under load: plain POSIX sockets, to hold connections and descriptors ----

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// An unsigned request on a kept-alive connection: the server answers 403 and keeps it open.
bool send_unsigned_request(int fd) {
  const std::string req =
      "POST /twilio/status?call=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
  return ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
}

// The status code of the answer arriving within `limit`, or 0 when none does.
int answer_within(int fd, std::chrono::milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return 0;
  char buf[512];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  std::string head(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  return head.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(head.c_str() + 9) : 0;
}

// CPU time (user + system) of the whole process.
std::chrono::microseconds process_cpu_time() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return std::chrono::seconds(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         std::chrono::microseconds(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// CPU the process uses over one second of wall time while the test thread sleeps: what the
// server's threads burn while they should be waiting.
std::chrono::microseconds idle_cpu_over_one_second() {
  auto before = process_cpu_time();
  std::this_thread::sleep_for(1s);
  return process_cpu_time() - before;
}

struct Descriptors {
  std::vector<int> fds;
  ~Descriptors() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

TEST_F(TwilioBackendTest, WebhookServerHoldsConnectionsBeyondItsLimitWithoutSpinning) {
  auto storage = make_memory_storage();
  TwilioTelephony tel(loopback_options(*cert_, 1));  // the REST API is never reached here
  TwilioWebhookHandler handler(storage.get(), &tel);
  TwilioWebhookServerOptions so;
  so.public_base_url = kPublicBase;
  so.max_connections = 4;
  TwilioWebhookServer server(&handler, so);
  Descriptors clients;
  for (int i = 0; i < 10; ++i) {
    int fd = connect_to(server.port());
    ASSERT_GE(fd, 0);
    clients.fds.push_back(fd);
    ASSERT_TRUE(send_unsigned_request(fd));
  }
  // The first four are served; the other six wait in the listen queue, unanswered.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(answer_within(clients.fds[i], 5s), 403) << i;
  for (int i = 4; i < 10; ++i) EXPECT_EQ(answer_within(clients.fds[i], 300ms), 0) << i;
  EXPECT_LT(idle_cpu_over_one_second(), 250ms);
  EXPECT_EQ(server.requests(), 4u);
  // Closing the served four frees four places: the next four in line are served.
  for (int i = 0; i < 4; ++i) ::close(std::exchange(clients.fds[i], -1));
  for (int i = 4; i < 8; ++i) EXPECT_EQ(answer_within(clients.fds[i], 5s), 403) << i;
  for (int i = 8; i < 10; ++i) EXPECT_EQ(answer_within(clients.fds[i], 300ms), 0) << i;
  server.stop();
  tel.stop();
}

// With the process out of file descriptors, a pending connection makes every accept fail at once:
// the server must wait between attempts, not retry in a loop, and serve it once descriptors free.
TEST_F(TwilioBackendTest, WebhookServerWaitsWhenDescriptorsRunOut) {
  auto storage = make_memory_storage();
  TwilioTelephony tel(loopback_options(*cert_, 1));
  TwilioWebhookHandler handler(storage.get(), &tel);
  TwilioWebhookServerOptions so;
  so.public_base_url = kPublicBase;
  TwilioWebhookServer server(&handler, so);

  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct RestoreLimit {
    rlimit saved;
    ~RestoreLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  } restore{saved};
  Descriptors fillers;
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null_fd, 0);
  fillers.fds.push_back(null_fd);
  // New descriptors take the lowest free numbers: a limit a little above this one leaves a few.
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(null_fd) + 16;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  for (int fd; (fd = ::fcntl(null_fd, F_DUPFD_CLOEXEC, 0)) >= 0;) fillers.fds.push_back(fd);
  ASSERT_EQ(errno, EMFILE);
  // One free descriptor, for the client: the server has none left to accept it with.
  ::close(fillers.fds.back());
  fillers.fds.pop_back();
  Descriptors client;
  client.fds.push_back(connect_to(server.port()));
  ASSERT_GE(client.fds[0], 0);
  ASSERT_TRUE(send_unsigned_request(client.fds[0]));
  std::this_thread::sleep_for(200ms);
  EXPECT_LT(idle_cpu_over_one_second(), 250ms);
  EXPECT_EQ(answer_within(client.fds[0], 0ms), 0);

  ::setrlimit(RLIMIT_NOFILE, &saved);
  for (int& fd : fillers.fds) ::close(std::exchange(fd, -1));
  EXPECT_EQ(answer_within(client.fds[0], 5s), 403);
  server.stop();
  tel.stop();
}

// ---- the engine behind it ----

// Gives every call an agent finishes the disposition SALE, and checks that no contact is in two
// calls at once.
struct AgentDesk : EventListener {
  Engine* engine = nullptr;
  std::mutex m;
  std::set<ContactId> in_call;
  std::vector<Attempt> finished;
  int doubled = 0;
  void on_call_state(const CallStateChange& c) override {
    if (c.from == CallState::kQueued && c.to == CallState::kQueued) {
      std::lock_guard<std::mutex> lock(m);
      if (!in_call.insert(c.contact_id).second) ++doubled;
    }
  }
  void on_agent_state(const AgentStateChange& c) override {
    if (c.to == AgentState::kWrapUp) engine->set_disposition(c.call_id, Disposition::kSale);
  }
  void on_attempt_finished(const Attempt& a) override {
    std::lock_guard<std::mutex> lock(m);
    in_call.erase(a.contact_id);
    finished.push_back(a);
  }
};

struct Loopback {
  Loopback(const TestCert& cert, std::function<Scenario(const std::string&)> scenario_of, bool amd,
           int agents)
      : fake(cert, std::move(scenario_of)),
        clock(make_system_clock()),
        storage(make_memory_storage()),
        tel(loopback_options(cert, fake.port())),
        handler(storage.get(), &tel),
        server(&handler, server_options()) {
    fake.set_webhook_port(server.port());
    EngineOptions eo;
    eo.log_level = LogLevel::kError;
    engine = std::make_unique<Engine>(eo, storage.get(), &tel, clock.get(), &desk);
    desk.engine = engine.get();
    CampaignConfig c;
    c.id = "tw";
    c.compliance = ComplianceProfile::none();
    c.call_window = CallWindow::always();
    c.ring_timeout = 10s;
    c.amd = amd;
    c.voicemail_message = amd ? "Hello from Omnivox, please call us back." : "";
    c.max_attempts = 1;
    c.retry_rules = {};  // every disposition final: one attempt per contact
    engine->add_campaign(c);
    for (int i = 0; i < agents; ++i) {
      engine->set_agent_state(engine->add_agent("tw", "agent" + std::to_string(i)),
                              AgentState::kAvailable);
    }
  }
  static TwilioWebhookServerOptions server_options() {
    TwilioWebhookServerOptions so;
    so.public_base_url = kPublicBase;
    so.threads = 2;
    return so;
  }
  // Runs until every contact is final and no call is in flight (at most `limit` of wall time).
  CampaignStatistics run(std::chrono::seconds limit) {
    engine->start(1);
    engine->start_campaign("tw");
    CampaignStatistics s;
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(50ms);
      s = engine->statistics("tw");
      if (s.contacts_final == s.contacts_total && s.attempts_in_flight == 0) break;
    }
    engine->stop();
    tel.stop();
    server.stop();
    fake.stop();
    return s;
  }
  std::map<std::string, Attempt> attempts_by_number() {
    std::map<std::string, Attempt> out;
    storage->scan_attempts("tw", [&](const Attempt& a) {
      out[a.number] = a;
      return true;
    });
    return out;
  }

  FakeTwilio fake;
  AgentDesk desk;
  std::unique_ptr<Clock> clock;
  std::unique_ptr<Storage> storage;
  TwilioTelephony tel;
  TwilioWebhookHandler handler;
  TwilioWebhookServer server;
  std::unique_ptr<Engine> engine;
};

TEST_F(TwilioBackendTest, EngineReachesTheRightDispositions) {
  std::map<std::string, Scenario> by_number = {
      {"+12125550101", Scenario::kHuman},       {"+12125550102", Scenario::kBusy},
      {"+12125550103", Scenario::kNoAnswer},    {"+12125550104", Scenario::kInvalid},
      {"+12125550105", Scenario::kBlocked},     {"+12125550106", Scenario::kRateLimited},
      {"+12125550107", Scenario::kServerError}, {"+12125550108", Scenario::kSlow},
      {"+12125550109", Scenario::kDuplicates},  {"+12125550110", Scenario::kOutOfOrder},
      {"+12125550111", Scenario::kLostRinging},
  };
  Loopback lb(
      *cert_, [&](const std::string& to) { return by_number.at(to); }, false, 4);
  for (const auto& [number, sc] : by_number) {
    Contact ct;
    ct.numbers.push_back(PhoneNumber{number});
    lb.engine->add_contact("tw", ct);
  }
  auto s = lb.run(40s);
  EXPECT_EQ(s.contacts_final, by_number.size());
  EXPECT_EQ(s.attempts_in_flight, 0);
  auto a = lb.attempts_by_number();
  ASSERT_EQ(a.size(), by_number.size());
  for (const char* human : {"+12125550101", "+12125550106", "+12125550107", "+12125550108",
                            "+12125550109", "+12125550110", "+12125550111"}) {
    EXPECT_EQ(a[human].disposition, Disposition::kSale) << human;
    EXPECT_EQ(a[human].provider_call_id.substr(0, 2), "CA") << human;
    EXPECT_NE(a[human].bridged_at, TimePoint{}) << human;
  }
  EXPECT_EQ(a["+12125550102"].disposition, Disposition::kBusy);
  EXPECT_EQ(a["+12125550103"].disposition, Disposition::kNoAnswer);
  EXPECT_EQ(a["+12125550104"].disposition, Disposition::kInvalidNumber);
  EXPECT_EQ(a["+12125550104"].provider_code, 21211);
  EXPECT_EQ(a["+12125550105"].disposition, Disposition::kFailed);
  EXPECT_EQ(a["+12125550105"].fail_reason, FailReason::kRejected);
  // The duplicates were answered at the door without being applied again; the late ringing was
  // journaled.
  EXPECT_GE(lb.handler.stats().replayed, 4u);
  bool late = false;
  lb.storage->scan_journal("tw", [&](const JournalEntry& e) {
    late |= e.kind == "late_event" && e.detail.find("ringing") != std::string::npos;
    return true;
  });
  EXPECT_TRUE(late);
  EXPECT_EQ(lb.desk.doubled, 0);
  EXPECT_GE(lb.fake.updates_with("Conference"), 7);
}

TEST_F(TwilioBackendTest, MachineGetsTheVoicemailDrop) {
  Loopback lb(
      *cert_, [](const std::string&) { return Scenario::kMachine; }, true, 1);
  Contact ct;
  ct.numbers.push_back(PhoneNumber{"+12125550199"});
  lb.engine->add_contact("tw", ct);
  auto s = lb.run(20s);
  EXPECT_EQ(s.contacts_final, 1u);
  auto a = lb.attempts_by_number();
  EXPECT_EQ(a["+12125550199"].disposition, Disposition::kMachine);
  EXPECT_EQ(a["+12125550199"].amd, AmdResult::kMachine);
  EXPECT_TRUE(lb.fake.saw_amd_request());
  EXPECT_EQ(lb.fake.updates_with("Hello+from+Omnivox"), 1);  // <Say> then <Hangup/>
  EXPECT_EQ(lb.fake.updates_with("Status=completed"), 0);    // the TwiML hung up, not a REST call
}

TEST_F(TwilioBackendTest, CampaignOfThreeHundredCallsKeepsTheInvariants) {
  const Scenario mix[] = {Scenario::kHuman,      Scenario::kHuman,       Scenario::kBusy,
                          Scenario::kNoAnswer,   Scenario::kInvalid,     Scenario::kDuplicates,
                          Scenario::kOutOfOrder, Scenario::kLostRinging, Scenario::kHuman,
                          Scenario::kServerError};
  auto scenario_of = [&](const std::string& to) {
    return mix[std::stoi(to.substr(to.size() - 3)) % 10];
  };
  Loopback lb(*cert_, scenario_of, false, 20);
  const int n = 300;
  for (int i = 0; i < n; ++i) {
    Contact ct;
    ct.numbers.push_back(PhoneNumber{"+1212555" + std::to_string(1000 + i)});
    lb.engine->add_contact("tw", ct);
  }
  auto s = lb.run(50s);
  EXPECT_EQ(s.contacts_total, static_cast<std::size_t>(n));
  EXPECT_EQ(s.contacts_final, static_cast<std::size_t>(n));
  EXPECT_EQ(s.attempts_in_flight, 0);
  std::set<CallId> ids;
  int sales = 0, invalid = 0;
  lb.storage->scan_attempts("tw", [&](const Attempt& a) {
    EXPECT_TRUE(ids.insert(a.call_id).second) << "attempt id reused: " << a.call_id;
    EXPECT_NE(a.disposition, Disposition::kNone) << "call " << a.call_id;
    sales += a.disposition == Disposition::kSale;
    invalid += a.disposition == Disposition::kInvalidNumber;
    return true;
  });
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(sales, n * 7 / 10);  // human, duplicates, out of order, lost ringing, 500 first
  EXPECT_EQ(invalid, n / 10);
  auto by_status = lb.storage->count_by_status("tw");
  std::size_t dialable = by_status[0] + by_status[1] + by_status[2];
  EXPECT_EQ(dialable, 0u);  // one attempt each, every disposition final
  EXPECT_EQ(lb.desk.doubled, 0);
  EXPECT_EQ(lb.handler.stats().forged, 0u);
}

// Inbound calls to a queue's number through the voice URL: the first caller is bridged into the
// agent's conference at once, the second waits for the agent and is bridged after the first
// call's wrap-up, the third hangs up while queued (an inbound abandon), and a call to a number no
// queue serves is hung up. Real signed HTTP requests both ways; ports 27150 and 27151.
TEST_F(TwilioBackendTest, InboundCallsAreQueuedBridgedAndAbandoned) {
  FakeTwilio fake(
      *cert_, [](const std::string&) { return Scenario::kHuman; }, 27151);
  AgentDesk desk;
  auto clock = make_system_clock();
  auto storage = make_memory_storage();
  TwilioTelephony tel(loopback_options(*cert_, fake.port()));
  TwilioWebhookHandler handler(storage.get(), &tel);
  TwilioWebhookServerOptions so = Loopback::server_options();
  so.port = 27150;
  TwilioWebhookServer server(&handler, so);
  fake.set_webhook_port(server.port());
  EngineOptions eo;
  eo.log_level = LogLevel::kError;
  Engine engine(eo, storage.get(), &tel, clock.get(), &desk);
  desk.engine = &engine;
  CampaignConfig c;
  c.id = "tw";
  c.compliance = ComplianceProfile::none();
  c.call_window = CallWindow::always();
  engine.add_campaign(c);
  InboundQueueConfig q;
  q.id = "help";
  q.numbers = {"+15550100001"};
  engine.add_inbound_queue(q);
  const AgentId agent = engine.add_agent("tw", "agent");
  engine.set_agent_skills(agent, AgentSkills{{{"help", 0}}, false});
  engine.set_agent_state(agent, AgentState::kAvailable);
  engine.start(1);
  engine.start_campaign("tw");
  fake.call_in("+15550100001", "+12125550201", 20s);
  std::this_thread::sleep_for(100ms);  // the first caller reaches the agent first
  fake.call_in("+15550100001", "+12125550202", 20s);
  fake.call_in("+15550100001", "+12125550203", 150ms);
  fake.call_in("+15550109999", "+12125550204", 20s);
  InboundQueueStatistics s;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);
    s = engine.inbound_statistics("help");
    std::lock_guard<std::mutex> lock(desk.m);
    if (desk.finished.size() >= 3) break;
  }
  engine.stop();
  tel.stop();
  server.stop();
  fake.stop();
  EXPECT_EQ(s.offered, 3);
  EXPECT_EQ(s.answered, 2);
  EXPECT_EQ(s.abandoned, 1);
  std::map<std::string, Attempt> by_caller;
  storage->scan_attempts("help", [&](const Attempt& a) {
    by_caller[a.number] = a;
    return true;
  });
  ASSERT_EQ(by_caller.size(), 3u);
  for (const char* answered : {"+12125550201", "+12125550202"}) {
    const Attempt& a = by_caller[answered];
    EXPECT_EQ(a.direction, CallDirection::kInbound) << answered;
    EXPECT_EQ(a.disposition, Disposition::kSale) << answered;  // the agent's, after the talk
    EXPECT_EQ(a.agent, agent) << answered;
    EXPECT_NE(a.bridged_at, TimePoint{}) << answered;
    EXPECT_EQ(a.provider_call_id.substr(0, 4), "CA90") << answered;
    EXPECT_EQ(a.caller_id, "+15550100001") << answered;
  }
  EXPECT_LT(by_caller["+12125550201"].bridged_at, by_caller["+12125550202"].bridged_at);
  EXPECT_EQ(by_caller["+12125550203"].disposition, Disposition::kAbandoned);
  EXPECT_EQ(by_caller["+12125550203"].bridged_at, TimePoint{});
  EXPECT_GE(by_caller["+12125550203"].call_id, kFirstInboundCallId);
  // Both answered calls were redirected into the agent's conference; the unknown number's call
  // was completed through the REST API.
  EXPECT_EQ(fake.updates_with("Conference"), 2);
  EXPECT_GE(fake.updates_with("Status=completed"), 1);
  EXPECT_EQ(fake.callbacks_refused(), 0u);
  EXPECT_EQ(handler.stats().forged, 0u);
}

}  // namespace
}  // namespace omnivox
