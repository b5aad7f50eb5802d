// TwilioTelephony: Twilio's Call resource (https://www.twilio.com/docs/voice/api/call-resource)
// driven from one io_context thread. See include/omnivox/twilio.h.
#include "omnivox/twilio.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "telephony/twilio/https_client.h"
#include "telephony/twilio/twilio_util.h"

namespace omnivox {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using twilio_detail::HttpsClient;
using twilio_detail::HttpsResult;

// ---- mappings ----

FailReason twilio_error_to_fail_reason(int code) {
  switch (code) {
    case 21211:  // Invalid 'To' Phone Number
    case 21214:  // 'To' phone number cannot be reached
    case 21217:  // Phone number does not appear to be valid
    case 21401:  // Invalid Phone Number
    case 21407:  // This Phone Number type does not support Voice
      return FailReason::kInvalidNumber;
    case 21215:  // Geo Permission configuration is not permitting call
    case 21216:  // Account not allowed to call this number (blocked, premium)
    case 21610:  // Attempt to send to unsubscribed recipient
    case 13227:  // No International Authorization (geo permissions)
    case 32203:  // Blocked by Voice Dialing Policy / Fraud Guard
      return FailReason::kRejected;
    case 20003:  // Authentication Error
    case 20404:  // Resource not found (account)
    case 21205:  // Url is not a valid URL
    case 21210:  // 'From' phone number not verified
    case 21212:  // Invalid 'From' Phone Number
    case 21213:  // 'From' phone number is required
      return FailReason::kConfig;
    default:
      return FailReason::kNetwork;
  }
}

std::optional<CallEventKind> twilio_call_status_to_kind(const std::string& s) {
  if (s == "queued" || s == "initiated") return CallEventKind::kInitiated;
  if (s == "ringing") return CallEventKind::kRinging;
  if (s == "in-progress" || s == "answered") return CallEventKind::kAnswered;
  if (s == "completed") return CallEventKind::kCompleted;
  if (s == "busy") return CallEventKind::kBusy;
  if (s == "no-answer") return CallEventKind::kNoAnswer;
  if (s == "failed") return CallEventKind::kFailed;
  if (s == "canceled") return CallEventKind::kCanceled;
  return std::nullopt;
}

std::optional<AmdResult> twilio_answered_by_to_amd(const std::string& s) {
  if (s == "human") return AmdResult::kHuman;
  if (s == "machine_start" || s == "machine_end_beep" || s == "machine_end_silence" ||
      s == "machine_end_other") {
    return AmdResult::kMachine;
  }
  if (s == "fax") return AmdResult::kFax;
  if (s == "unknown") return AmdResult::kUnknown;
  return std::nullopt;
}

TwilioCredentials TwilioCredentials::from_environment() {
  auto get = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
  };
  TwilioCredentials c;
  c.account_sid = get("TWILIO_ACCOUNT_SID");
  std::string token = get("TWILIO_AUTH_TOKEN");
  std::string key = get("TWILIO_API_KEY");
  std::string secret = get("TWILIO_API_SECRET");
  if (c.account_sid.empty()) throw Error(ErrorCode::kConfig, "TWILIO_ACCOUNT_SID is not set");
  if (token.empty()) {
    throw Error(ErrorCode::kConfig,
                "TWILIO_AUTH_TOKEN is not set (it signs the webhooks, also with an API key)");
  }
  if (!key.empty() || !secret.empty()) {
    if (key.empty() || secret.empty()) {
      throw Error(ErrorCode::kConfig, "TWILIO_API_KEY and TWILIO_API_SECRET must be set together");
    }
    c.username = key;
    c.password = secret;
    c.webhook_auth_token = token;
  } else {
    c.username = c.account_sid;
    c.password = token;
  }
  return c;
}

namespace twilio_detail {

// "Tue, 31 Aug 2010 20:36:29 +0000" (RFC 2822, as Twilio writes dates) → TimePoint; epoch if bad
// (a field out of range, e.g. a year of eighteen digits, whose milliseconds would overflow).
TimePoint parse_rfc2822(const std::string& text) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char month[4] = {};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  char sign = '+';
  int offset = 0;
  const char* p = text.c_str();
  if (const char* comma = std::strchr(p, ',')) p = comma + 1;
  // Field widths keep every number within an int (%d on more digits is undefined).
  int n = std::sscanf(p, " %2d %3s %4d %2d:%2d:%2d %c%4d", &day, month, &year, &hh, &mm, &ss, &sign,
                      &offset);
  if (n < 6) return TimePoint{};
  if (day < 1 || day > 31 || year < 1970 || hh > 23 || mm > 59 || ss > 60 || hh < 0 || mm < 0 ||
      ss < 0) {
    return TimePoint{};
  }
  if (n == 8 && (offset < 0 || offset % 100 > 59 || (sign != '+' && sign != '-'))) {
    return TimePoint{};
  }
  int mon = -1;
  for (int i = 0; i < 12; ++i) {
    if (std::strncmp(month, kMonths[i], 3) == 0) mon = i;
  }
  if (mon < 0) return TimePoint{};
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  std::time_t t = timegm(&tm);
  if (n == 8) {
    int off_s = (offset / 100) * 3600 + (offset % 100) * 60;
    t += sign == '-' ? off_s : -off_s;
  }
  return TimePoint(std::chrono::seconds(t));
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

}  // namespace twilio_detail

using twilio_detail::parse_rfc2822;
using twilio_detail::xml_escape;

namespace {

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  boost::urls::encoding_opts opt;
  opt.space_as_plus = true;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += boost::urls::encode(k, boost::urls::unreserved_chars, opt);
    out += '=';
    out += boost::urls::encode(v, boost::urls::unreserved_chars, opt);
  }
  return out;
}

struct TwilioError {
  int code = 0;
  std::string message;
};

TwilioError parse_error(const std::string& body) {
  TwilioError e;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return e;
  const auto& o = v.as_object();
  if (auto* c = o.if_contains("code"); c && c->is_int64()) e.code = static_cast<int>(c->as_int64());
  if (auto* m = o.if_contains("message"); m && m->is_string()) e.message = m->as_string().c_str();
  return e;
}

std::string json_string(const json::value& v, const char* key) {
  if (!v.is_object()) return {};
  auto* f = v.as_object().if_contains(key);
  return f && f->is_string() ? std::string(f->as_string().c_str()) : std::string();
}

bool retryable(const HttpsResult& r) {
  return r.status == 0 || r.status == 429 || (r.status >= 500 && r.status <= 599);
}

}  // namespace

struct TwilioTelephony::Impl {
  struct CallRecord {
    OriginateRequest request;
    std::string sid;
    enum class Phase { kQueued, kCreating, kCreated } phase = Phase::kQueued;
    bool answered = false;
    bool cancel_requested = false;  // hangup() before the CallSid was known
    bool ending_by_twiml = false;   // play() redirected it to a message that hangs up
    bool initiated_reported = false;
    std::string instruction;  // TwiML the answer URL returns now; empty = hold
  };

  explicit Impl(TwilioOptions o) : options(std::move(o)) {
    if (options.credentials.account_sid.empty()) {
      throw Error(ErrorCode::kConfig, "twilio credentials.account_sid: required");
    }
    if (options.credentials.password.empty()) {
      throw Error(ErrorCode::kConfig, "twilio credentials.password: required (auth token)");
    }
    if (options.public_webhook_base_url.empty()) {
      throw Error(ErrorCode::kConfig, "twilio public_webhook_base_url: required");
    }
    while (options.public_webhook_base_url.back() == '/')
      options.public_webhook_base_url.pop_back();
    if (!(options.calls_per_second > 0.0)) {
      throw Error(ErrorCode::kConfig, "twilio calls_per_second: must be > 0");
    }
    if (options.max_concurrent_requests < 1) {
      throw Error(ErrorCode::kConfig, "twilio max_concurrent_requests: must be >= 1");
    }
    if (options.max_retries < 0) throw Error(ErrorCode::kConfig, "twilio max_retries: >= 0");
    interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / options.calls_per_second));
    io = std::make_unique<asio::io_context>(1);
    twilio_detail::HttpsClientOptions co;
    co.base_url = options.api_base_url;
    co.username = options.credentials.username.empty() ? options.credentials.account_sid
                                                       : options.credentials.username;
    co.password = options.credentials.password;
    co.timeout = options.request_timeout;
    co.max_concurrent = options.max_concurrent_requests;
    co.verify_peer = options.verify_peer;
    co.ca_pem = options.ca_pem;
    client = std::make_unique<HttpsClient>(*io, co);
    pump_timer = std::make_unique<asio::steady_timer>(*io);
    rng.seed(options.jitter_seed ? options.jitter_seed : std::random_device{}());
    calls_path =
        "/2010-04-01/Accounts/" +
        boost::urls::encode(options.credentials.account_sid, boost::urls::unreserved_chars) +
        "/Calls";
    next_inbound_id = kFirstInboundCallId +
                      static_cast<CallId>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    work.emplace(io->get_executor());
    thread = std::thread([this] { io->run(); });
  }

  ~Impl() { shutdown(); }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(sink_mu);
      sink = nullptr;
    }
    if (thread.joinable()) {
      work.reset();
      io->stop();
      thread.join();
    }
    if (io) {
      client->shutdown();
      pump_timer.reset();
      io.reset();  // destroys suspended requests' frames
      client.reset();
    }
  }

  // ---- events ----
  void emit(const CallEvent& e) {
    std::lock_guard<std::mutex> lock(sink_mu);
    if (sink) sink->on_call_event(e);
  }

  CallEvent event_for(const CallRecord& rec, CallEventKind kind) {
    CallEvent e;
    e.call_id = rec.request.call_id;
    e.provider_call_id = rec.sid;
    e.kind = kind;
    e.timestamp = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
    return e;
  }

  // Ends the record and reports `e` (backend-originated terminal events).
  void end_call(CallId id, const CallEvent& e) {
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = calls.find(id);
      if (it != calls.end()) {
        if (!it->second.sid.empty()) by_sid.erase(it->second.sid);
        calls.erase(it);
      }
    }
    emit(e);
  }

  // ---- CPS queue ----
  Duration wait_locked(std::chrono::steady_clock::time_point now) const {
    auto start = std::max(next_slot, now) + interval * static_cast<std::int64_t>(queue.size());
    return std::chrono::duration_cast<Duration>(start - now);
  }

  void pump() {
    for (;;) {
      CallId id;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (queue.empty()) return;
        auto now = std::chrono::steady_clock::now();
        if (now < next_slot) {
          if (!pump_armed) {
            pump_armed = true;
            pump_timer->expires_at(next_slot);
            pump_timer->async_wait([this](boost::system::error_code ec) {
              pump_armed = false;
              if (!ec) pump();
            });
          }
          return;
        }
        id = queue.front();
        queue.pop_front();
        next_slot = now + interval;  // now >= next_slot here: never faster than the CPS
        auto it = calls.find(id);
        if (it == calls.end()) continue;
        it->second.phase = CallRecord::Phase::kCreating;
      }
      asio::co_spawn(*io, create(id), asio::detached);
    }
  }

  // ---- REST with retries ----
  // Sends the request, retrying what may be retried; the final answer of a failed request is
  // logged. `kind` ("create", "update", "lookup") keys the log's rate limit; `what` names the
  // request and its call in the log line.
  asio::awaitable<HttpsResult> send(http::verb verb, std::string target, std::string body,
                                    bool idempotent, const char* kind, std::string what) {
    HttpsResult r;
    for (int attempt = 0;; ++attempt) {
      r = co_await client->request(verb, target, body);
      bool give_up = !retryable(r) || attempt >= options.max_retries ||
                     (r.status == 0 && r.sent && !idempotent);  // may have been acted on
      if (give_up) {
        if (r.status < 200 || r.status > 299) log_failure(kind, what, r, attempt);
        co_return r;
      }
      Duration cap = std::min(options.retry_max_delay,
                              Duration(options.retry_base_delay.count() << std::min(attempt, 20)));
      // "Equal jitter": half the backoff fixed, half random, so retries spread but never bunch
      // at zero.
      std::uniform_int_distribution<std::int64_t> jitter(
          0, std::max<std::int64_t>(0, cap.count() / 2));
      Duration delay(cap.count() - cap.count() / 2 + jitter(rng));
      if (!r.retry_after.empty()) {
        char* end = nullptr;
        long secs = std::strtol(r.retry_after.c_str(), &end, 10);
        if (end != r.retry_after.c_str() && secs >= 0) {
          delay = std::min(options.retry_max_delay, Duration(secs * 1000));
        }
      }
      retries.fetch_add(1);
      asio::steady_timer t(*io, delay);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  void log_failure(const char* kind, const std::string& what, const HttpsResult& r, int retries) {
    std::string line = "twilio: " + what + " failed: ";
    if (r.status == 0) {
      line += "transport error (" + (r.error.empty() ? std::string("no answer") : r.error) + ")";
    } else {
      line += "HTTP " + std::to_string(r.status);
      TwilioError err = parse_error(r.body);
      if (err.code) line += ", Twilio error " + std::to_string(err.code);
      if (!err.message.empty()) line += " (" + err.message + ")";
    }
    if (retries > 0) line += " after " + std::to_string(retries) + " retries";
    logger.log_limited(LogLevel::kWarn, std::string("twilio ") + kind, line);
  }

  std::string webhook_url(const char* path, CallId id) const {
    return options.public_webhook_base_url + path + "?call=" + std::to_string(id);
  }

  asio::awaitable<void> create(CallId id) {
    OriginateRequest req;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = calls.find(id);
      if (it == calls.end()) co_return;
      req = it->second.request;
    }
    auto ring_s = std::chrono::ceil<std::chrono::seconds>(
                      std::max(req.ring_timeout, options.min_ring_timeout))
                      .count();
    ring_s = std::clamp<std::int64_t>(ring_s, 5, 600);  // Twilio's accepted range
    std::vector<std::pair<std::string, std::string>> form{
        {"To", req.to},
        {"From", req.from},
        {"Url", webhook_url("/twilio/voice", id)},
        {"Method", "POST"},
        {"StatusCallback", webhook_url("/twilio/status", id)},
        {"StatusCallbackMethod", "POST"},
        {"StatusCallbackEvent", "initiated"},
        {"StatusCallbackEvent", "ringing"},
        {"StatusCallbackEvent", "answered"},
        {"StatusCallbackEvent", "completed"},
        {"Timeout", std::to_string(ring_s)},
    };
    if (req.amd) {
      form.emplace_back("MachineDetection", options.machine_detection);
      if (options.async_amd) {
        form.emplace_back("AsyncAmd", "true");
        form.emplace_back("AsyncAmdStatusCallback", webhook_url("/twilio/amd", id));
        form.emplace_back("AsyncAmdStatusCallbackMethod", "POST");
      }
    }
    HttpsResult r =
        co_await send(http::verb::post, calls_path + ".json", form_encode(form),
                      /*idempotent=*/false, "create", "creating call " + std::to_string(id));
    if (r.status == 200 || r.status == 201) {
      boost::system::error_code ec;
      json::value v = json::parse(r.body, ec);
      std::string sid = ec ? std::string() : json_string(v, "sid");
      if (!sid.empty()) {
        std::optional<CallEvent> e;
        bool cancel = false;
        {
          std::lock_guard<std::mutex> lock(mu);
          auto it = calls.find(id);
          if (it == calls.end()) co_return;
          CallRecord& rec = it->second;
          if (rec.sid.empty()) rec.sid = sid;
          by_sid[rec.sid] = id;
          rec.phase = CallRecord::Phase::kCreated;
          cancel = rec.cancel_requested;
          // The `initiated` callback may have overtaken this answer: report the event once.
          if (!rec.initiated_reported) e = event_for(rec, CallEventKind::kInitiated);
          rec.initiated_reported = true;
        }
        created.fetch_add(1);
        if (e) emit(*e);
        if (cancel) co_await remote_hangup(id);
        co_return;
      }
      logger.log_limited(LogLevel::kWarn, "twilio create",
                         "twilio: creating call " + std::to_string(id) + " failed: HTTP " +
                             std::to_string(r.status) + " without a call sid");
      r.status = 502;  // a 2xx without a CallSid: treat as a provider failure
    }
    CallEvent e;
    e.call_id = id;
    e.kind = CallEventKind::kFailed;
    e.timestamp = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
    if (r.status == 0) {
      e.fail_reason = FailReason::kNetwork;
    } else {
      TwilioError err = parse_error(r.body);
      e.provider_code = err.code ? err.code : r.status;
      e.fail_reason = err.code ? twilio_error_to_fail_reason(err.code)
                      : (r.status == 401 || r.status == 403 || r.status == 404)
                          ? FailReason::kConfig
                          : FailReason::kNetwork;
    }
    create_failures.fetch_add(1);
    end_call(id, e);
  }

  // POST to the call resource; returns the result.
  asio::awaitable<HttpsResult> update(CallId id, const std::string& sid, std::string name,
                                      std::string value) {
    std::string what = "updating call " + std::to_string(id) + " (" + sid + ", " + name + ")";
    std::vector<std::pair<std::string, std::string>> form;
    form.emplace_back(std::move(name), std::move(value));
    co_return co_await send(http::verb::post, call_path(sid), form_encode(form),
                            /*idempotent=*/true, "update", std::move(what));
  }

  std::string call_path(const std::string& sid) const {
    return calls_path + "/" + boost::urls::encode(sid, boost::urls::unreserved_chars) + ".json";
  }

  asio::awaitable<void> remote_hangup(CallId id) {
    std::string sid;
    bool answered = false;
    std::optional<CallEvent> canceled_here;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = calls.find(id);
      if (it == calls.end()) co_return;
      CallRecord& rec = it->second;
      if (rec.phase == CallRecord::Phase::kQueued) {
        // Still in our CPS queue: Twilio never heard of it.
        queue.erase(std::remove(queue.begin(), queue.end(), id), queue.end());
        canceled_before_create.fetch_add(1);
        canceled_here = event_for(rec, CallEventKind::kCanceled);
        calls.erase(it);
      }
    }
    if (canceled_here) {
      emit(*canceled_here);
      co_return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = calls.find(id);
      if (it == calls.end()) co_return;
      CallRecord& rec = it->second;
      if (rec.phase == CallRecord::Phase::kCreating) {
        rec.cancel_requested = true;  // create() hangs it up once Twilio answers
        co_return;
      }
      if (rec.ending_by_twiml) co_return;  // the message's <Hangup/> ends it
      sid = rec.sid;
      answered = rec.answered;
    }
    HttpsResult r = co_await update(id, sid, "Status", answered ? "completed" : "canceled");
    if (r.status != 200 && r.status != 201) co_return;  // the state timeouts still end it
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    std::string status = ec ? std::string() : json_string(v, "status");
    if (!answered && status == "canceled") {
      // A call canceled while queued at Twilio fires no status callback: report it here.
      CallEvent e;
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = calls.find(id);
        if (it == calls.end()) co_return;
        e = event_for(it->second, CallEventKind::kCanceled);
      }
      end_call(id, e);
    } else if (!answered && status == "in-progress") {
      co_await update(id, sid, "Status", "completed");  // answered meanwhile
    }
  }

  asio::awaitable<void> redirect(CallId id, std::string twiml, bool bridge) {
    std::string sid;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = calls.find(id);
      if (it == calls.end() || it->second.sid.empty()) co_return;
      sid = it->second.sid;
    }
    HttpsResult r = co_await update(id, sid, "Twiml", twiml);
    bool ok = r.status == 200 || r.status == 201;
    if (bridge && ok) {
      CallEvent e;
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = calls.find(id);
        if (it == calls.end()) co_return;
        e = event_for(it->second, CallEventKind::kBridged);
      }
      emit(e);
    } else if (!bridge && !ok) {
      // The message could not be played: hang up plainly.
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = calls.find(id);
        if (it == calls.end()) co_return;
        it->second.ending_by_twiml = false;
      }
      co_await remote_hangup(id);
    }
  }

  std::string dial_twiml(AgentId agent) const {
    auto it = options.agent_dial_targets.find(agent);
    std::string dial;
    if (it == options.agent_dial_targets.end()) {
      dial = "<Conference startConferenceOnEnter=\"true\" endConferenceOnExit=\"true\">" +
             xml_escape(options.agent_conference_prefix + std::to_string(agent)) + "</Conference>";
    } else {
      const std::string& t = it->second;
      if (t.rfind("client:", 0) == 0) {
        dial = "<Client>" + xml_escape(t.substr(7)) + "</Client>";
      } else if (t.rfind("sip:", 0) == 0) {
        dial = "<Sip>" + xml_escape(t) + "</Sip>";
      } else {
        dial = "<Number>" + xml_escape(t) + "</Number>";
      }
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial>" + dial +
           "</Dial><Hangup/></Response>";
  }

  static std::string message_twiml(const std::string& message) {
    std::string say = message.rfind("https://", 0) == 0 || message.rfind("http://", 0) == 0
                          ? "<Play>" + xml_escape(message) + "</Play>"
                          : "<Say>" + xml_escape(message) + "</Say>";
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>" + say + "<Hangup/></Response>";
  }

  TwilioOptions options;
  Logger logger{options.log_sink};
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<HttpsClient> client;
  std::unique_ptr<asio::steady_timer> pump_timer;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::mt19937_64 rng;  // io thread only
  std::string calls_path;
  std::chrono::nanoseconds interval{};

  std::mutex sink_mu;
  CallEventSink* sink = nullptr;

  mutable std::mutex mu;  // guards everything below
  std::unordered_map<CallId, CallRecord> calls;
  std::unordered_map<std::string, CallId> by_sid;
  CallId next_inbound_id = kFirstInboundCallId;  // set at construction, see accept_inbound()
  std::deque<CallId> queue;
  std::chrono::steady_clock::time_point next_slot{};
  bool pump_armed = false;  // io thread only

  std::atomic<long> created{0}, create_failures{0}, retries{0}, overflows{0},
      canceled_before_create{0};
};

TwilioTelephony::TwilioTelephony(TwilioOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {}

TwilioTelephony::~TwilioTelephony() { impl_->shutdown(); }

void TwilioTelephony::start(CallEventSink* sink) {
  std::lock_guard<std::mutex> lock(impl_->sink_mu);
  impl_->sink = sink;
}

void TwilioTelephony::stop() { impl_->shutdown(); }

void TwilioTelephony::originate(const OriginateRequest& request) {
  Impl& m = *impl_;
  bool overflow = false;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (!m.io) return;
    if (m.wait_locked(std::chrono::steady_clock::now()) > m.options.max_queue_wait) {
      overflow = true;
    } else {
      Impl::CallRecord rec;
      rec.request = request;
      m.calls[request.call_id] = std::move(rec);
      m.queue.push_back(request.call_id);
    }
  }
  if (overflow) {
    m.overflows.fetch_add(1);
    CallEvent e;
    e.call_id = request.call_id;
    e.kind = CallEventKind::kFailed;
    e.fail_reason = FailReason::kNetwork;
    e.provider_code = 20429;  // Twilio's "Too Many Requests"
    // Never report from inside originate(): hand it to the backend's thread.
    asio::post(*m.io, [impl = impl_, e] { impl->emit(e); });
    return;
  }
  asio::post(*m.io, [impl = impl_] { impl->pump(); });
}

void TwilioTelephony::hangup(CallId call) {
  if (!impl_->io) return;
  asio::co_spawn(*impl_->io, impl_->remote_hangup(call), asio::detached);
}

void TwilioTelephony::bridge(CallId call, AgentId agent) {
  Impl& m = *impl_;
  std::string twiml = m.dial_twiml(agent);
  {
    std::lock_guard<std::mutex> lock(m.mu);
    auto it = m.calls.find(call);
    if (it == m.calls.end() || !m.io) return;
    it->second.instruction = twiml;
  }
  asio::co_spawn(*m.io, m.redirect(call, twiml, true), asio::detached);
}

void TwilioTelephony::play(CallId call, const std::string& message) {
  Impl& m = *impl_;
  std::string twiml = Impl::message_twiml(message);
  {
    std::lock_guard<std::mutex> lock(m.mu);
    auto it = m.calls.find(call);
    if (it == m.calls.end() || !m.io) return;
    it->second.instruction = twiml;
    it->second.ending_by_twiml = true;
  }
  asio::co_spawn(*m.io, m.redirect(call, twiml, false), asio::detached);
}

std::optional<CallEvent> TwilioTelephony::lookup_call(const Attempt& attempt) {
  Impl& m = *impl_;
  std::string sid = attempt.provider_call_id;
  if (sid.empty()) {
    std::lock_guard<std::mutex> lock(m.mu);
    auto it = m.calls.find(attempt.call_id);
    if (it != m.calls.end()) sid = it->second.sid;
  }
  if (sid.empty() || !m.io) return std::nullopt;
  auto promise = std::make_shared<std::promise<HttpsResult>>();
  auto future = promise->get_future();
  std::string target = m.call_path(sid);
  std::string what = "looking up call " + std::to_string(attempt.call_id) + " (" + sid + ")";
  asio::co_spawn(
      *m.io,
      [impl = impl_, promise, target, what]() -> asio::awaitable<void> {
        HttpsResult r = co_await impl->send(http::verb::get, target, "", true, "lookup", what);
        promise->set_value(std::move(r));
      },
      asio::detached);
  if (future.wait_for(m.options.request_timeout * (m.options.max_retries + 1) +
                      std::chrono::seconds(1)) != std::future_status::ready) {
    return std::nullopt;
  }
  HttpsResult r = future.get();
  if (r.status != 200) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec) return std::nullopt;
  auto kind = twilio_call_status_to_kind(json_string(v, "status"));
  if (!kind) return std::nullopt;
  CallEvent e;
  e.call_id = attempt.call_id;
  e.provider_call_id = sid;
  e.kind = *kind;
  std::string end = json_string(v, "end_time");
  e.timestamp = end.empty() ? TimePoint{} : parse_rfc2822(end);
  if (e.kind == CallEventKind::kFailed) e.fail_reason = FailReason::kNetwork;
  return e;
}

void TwilioTelephony::deliver(const CallEvent& event) {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    auto it = m.calls.find(event.call_id);
    if (it != m.calls.end()) {
      Impl::CallRecord& rec = it->second;
      if (rec.sid.empty() && !event.provider_call_id.empty()) {
        rec.sid = event.provider_call_id;
        m.by_sid[rec.sid] = event.call_id;
      }
      if (event.kind == CallEventKind::kInitiated) {
        if (rec.initiated_reported) return;  // the 201 reported it already
        rec.initiated_reported = true;
      }
      if (event.kind == CallEventKind::kAnswered || event.kind == CallEventKind::kAmdResult) {
        rec.answered = true;
      }
      if (ends_call(event.kind)) {
        if (!rec.sid.empty()) m.by_sid.erase(rec.sid);
        m.calls.erase(it);
      }
    }
  }
  m.emit(event);
}

std::string TwilioTelephony::voice_twiml(CallId call, const std::string& voice_url) {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    auto it = m.calls.find(call);
    if (it == m.calls.end()) {
      // Not (or no longer) a call of this backend: nobody will take it.
      return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>";
    }
    if (!it->second.instruction.empty()) return it->second.instruction;
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Pause length=\"" +
         std::to_string(std::max(1, m.options.hold_pause_seconds)) +
         "\"/><Redirect method=\"POST\">" + xml_escape(voice_url) + "</Redirect></Response>";
}

CallId TwilioTelephony::call_for_sid(const std::string& sid) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->by_sid.find(sid);
  return it == impl_->by_sid.end() ? kNoCall : it->second;
}

CallId TwilioTelephony::accept_inbound(const std::string& sid, const std::string& to,
                                       const std::string& from) {
  Impl& m = *impl_;
  InboundCall in;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (auto it = m.by_sid.find(sid); it != m.by_sid.end()) return it->second;
    if (!m.io) return kNoCall;
    in.call_id = m.next_inbound_id++;
    Impl::CallRecord rec;
    rec.request.call_id = in.call_id;
    rec.request.to = from;  // the far end
    rec.request.from = to;
    rec.sid = sid;
    rec.phase = Impl::CallRecord::Phase::kCreated;
    rec.answered = true;  // the voice URL's TwiML answers it
    rec.initiated_reported = true;
    m.calls[in.call_id] = std::move(rec);
    m.by_sid[sid] = in.call_id;
  }
  in.provider_call_id = sid;
  in.to = to;
  in.from = from;
  in.timestamp = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  {
    std::lock_guard<std::mutex> lock(m.sink_mu);
    if (m.sink) {
      m.sink->on_inbound_call(in);
      return in.call_id;
    }
  }
  std::lock_guard<std::mutex> lock(m.mu);  // nobody to take it
  m.by_sid.erase(sid);
  m.calls.erase(in.call_id);
  return kNoCall;
}

std::size_t TwilioTelephony::queue_depth() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->queue.size();
}

Duration TwilioTelephony::queue_wait() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->wait_locked(std::chrono::steady_clock::now());
}

TwilioStats TwilioTelephony::stats() const {
  TwilioStats s;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    s.queued_now = impl_->queue.size();
  }
  s.calls_created = impl_->created.load();
  s.create_failures = impl_->create_failures.load();
  s.http_retries = impl_->retries.load();
  s.queue_overflows = impl_->overflows.load();
  s.canceled_before_create = impl_->canceled_before_create.load();
  return s;
}

const TwilioOptions& TwilioTelephony::options() const { return impl_->options; }

}  // namespace omnivox
