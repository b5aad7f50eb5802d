// TwilioWebhookHandler: see include/omnivox/twilio_webhook.h. Parameters of Twilio's callbacks:
// https://www.twilio.com/docs/voice/api/call-resource#statuscallback and
// https://www.twilio.com/docs/voice/answering-machine-detection#asyncamdstatuscallback-parameters
#include "omnivox/twilio_webhook.h"

#include <atomic>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <cctype>
#include <charconv>

#include "telephony/twilio/twilio_util.h"

namespace omnivox {

namespace urls = boost::urls;

namespace {

constexpr const char* kEmptyTwiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";
// Twilio's idempotency tokens are short identifiers; an oversized one is not stored as a key.
constexpr std::size_t kMaxIdempotencyToken = 256;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

const std::string* find_param(const TwilioParams& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.first == name) return &p.second;
  }
  return nullptr;
}

template <typename T>
bool parse_uint(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// SIP final response → why the call failed (RFC 3261 section 21).
FailReason sip_to_fail_reason(int sip) {
  switch (sip) {
    case 404:  // Not Found
    case 484:  // Address Incomplete
    case 604:  // Does Not Exist Anywhere
      return FailReason::kInvalidNumber;
    case 403:  // Forbidden
    case 603:  // Decline
    case 607:  // Unwanted
    case 608:  // Rejected
      return FailReason::kRejected;
    default:
      return FailReason::kNetwork;
  }
}

enum class Route { kStatus, kAmd, kVoice, kInbound };

}  // namespace

struct TwilioWebhookHandler::Impl {
  Storage* storage;
  TwilioTelephony* telephony;
  TwilioWebhookOptions options;
  std::string token;
  std::atomic<std::uint64_t> accepted{0}, forged{0}, replayed{0}, malformed{0}, events{0};

  WebhookResponse reject(int status, std::atomic<std::uint64_t>& counter, std::string why) {
    counter.fetch_add(1, std::memory_order_relaxed);
    return WebhookResponse{status, "text/plain", std::move(why)};
  }
  WebhookResponse bad(std::string why) { return reject(400, malformed, std::move(why)); }

  // A number's voice URL: a new inbound call for the engine's queue, held until an agent takes
  // it. Twilio's retry of the same fetch (its idempotency token) or a repeat of the CallSid gets
  // the same answer and hands nothing over again.
  WebhookResponse inbound(const WebhookRequest& req, const TwilioParams& params,
                          const std::string& sid, std::string_view idempotency_token) {
    const std::string* to = find_param(params, "To");
    const std::string* from = find_param(params, "From");
    if (!to || to->empty()) return bad("no To");
    bool first_time = true;
    if (!idempotency_token.empty() && idempotency_token.size() <= kMaxIdempotencyToken) {
      try {
        first_time = storage->mark_event_processed(options.dedup_prefix +
                                                   "retry:" + std::string(idempotency_token));
      } catch (const std::exception& e) {
        malformed.fetch_add(1, std::memory_order_relaxed);
        return WebhookResponse{503, "text/plain", std::string("storage: ") + e.what()};
      }
    }
    const CallId call = telephony->accept_inbound(sid, *to, from ? *from : std::string());
    (first_time ? accepted : replayed).fetch_add(1, std::memory_order_relaxed);
    // The hold loop fetches the call's own voice URL: the same prefix, …/twilio/voice?call=ID.
    std::string voice = req.url.substr(0, req.url.find_first_of("?#"));
    voice.resize(voice.size() - std::string_view("inbound").size());
    voice += "voice?call=" + std::to_string(call);
    return WebhookResponse{200, "text/xml", telephony->voice_twiml(call, voice)};
  }

  WebhookResponse handle(const WebhookRequest& req) {
    if (req.url.size() > options.max_url_bytes) return bad("URL too long");
    if (req.body.size() > options.max_body_bytes) return bad("body too large");
    if (req.method != "POST") return bad("only POST is accepted");
    auto parsed = urls::parse_uri(req.url);
    if (!parsed) return bad("malformed URL");
    Route route;
    std::string_view path(parsed->encoded_path().data(), parsed->encoded_path().size());
    if (ends_with(path, "/twilio/status")) {
      route = Route::kStatus;
    } else if (ends_with(path, "/twilio/amd")) {
      route = Route::kAmd;
    } else if (ends_with(path, "/twilio/voice")) {
      route = Route::kVoice;
    } else if (ends_with(path, "/twilio/inbound")) {
      route = Route::kInbound;
    } else {
      return bad("unknown path");
    }
    CallId call = kNoCall;
    try {
      // An empty query is skipped: Boost.URL 1.81 iterates the params of "?#..." past the end
      // (found by fuzzing); it holds no call parameter anyway.
      if (!parsed->encoded_query().empty()) {
        for (auto p : parsed->params()) {
          if (p.key == "call" &&
              !parse_uint(std::string_view(p.value.data(), p.value.size()), call)) {
            return bad("bad call parameter");
          }
        }
      }
    } catch (const std::exception&) {
      return bad("malformed query string");
    }
    // An inbound call has no id before the engine gives it one; its status callbacks (the
    // number's StatusCallback) may carry none either: the CallSid names it.
    if (call == kNoCall && route != Route::kInbound && route != Route::kStatus) {
      return bad("no call parameter");
    }

    std::string_view signature, content_type, idempotency_token;
    for (const auto& [name, value] : req.headers) {
      if (iequals(name, "X-Twilio-Signature")) signature = value;
      if (iequals(name, "Content-Type")) content_type = value;
      if (iequals(name, "I-Twilio-Idempotency-Token")) idempotency_token = value;
    }
    // Twilio's callbacks are forms; JSON bodies are signed through bodySHA256 in the URL.
    bool json_body = content_type.substr(0, 16) == "application/json";
    TwilioParams params;
    try {
      if (json_body) {
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(req.body, ec);
        if (ec || !v.is_object()) return bad("malformed JSON body");
        for (const auto& [k, val] : v.as_object()) {
          if (val.is_string()) {
            params.emplace_back(std::string(k), std::string(val.as_string()));
          } else if (val.is_int64() || val.is_uint64()) {
            params.emplace_back(std::string(k), boost::json::serialize(val));
          }
        }
      } else {
        params = parse_form(req.body);
      }
    } catch (const std::exception&) {
      return bad("malformed form body");
    }
    if (signature.empty()) return reject(403, forged, "missing X-Twilio-Signature");
    auto check = verify_twilio_signature(token, req.url, json_body ? TwilioParams{} : params,
                                         req.body, signature, json_body);
    if (!check.valid) return reject(403, forged, "invalid signature: " + check.reason);

    const std::string* sid = find_param(params, "CallSid");
    if (!sid || sid->empty() || sid->size() > 64) return bad("no CallSid");
    CallId known = telephony->call_for_sid(*sid);
    if (route == Route::kInbound) {
      if (call != kNoCall) return bad("an inbound call has no call parameter");
      return inbound(req, params, *sid, idempotency_token);
    }
    if (call == kNoCall) {
      if (known < kFirstInboundCallId) return bad("no call parameter");
      call = known;
    }
    if (known != kNoCall && known != call) return bad("CallSid belongs to another call");

    CallEvent base;
    base.call_id = call;
    base.provider_call_id = *sid;
    if (const std::string* ts = find_param(params, "Timestamp")) {
      base.timestamp = twilio_detail::parse_rfc2822(*ts);
    }
    int sip = 0;
    if (const std::string* s = find_param(params, "SipResponseCode")) {
      if (!parse_uint(*s, sip)) return bad("bad SipResponseCode");
    }
    std::optional<AmdResult> amd;
    if (const std::string* a = find_param(params, "AnsweredBy"); a && !a->empty()) {
      amd = twilio_answered_by_to_amd(*a);
      if (!amd) return bad("unknown AnsweredBy");
    }

    std::vector<CallEvent> out;
    // What makes a repeat of this request recognisable. A status or AMD event has its own key,
    // which a retry (same idempotency token, same body) repeats as well.
    std::string key;
    WebhookResponse response{200, "text/xml", kEmptyTwiml};
    switch (route) {
      case Route::kStatus: {
        const std::string* status = find_param(params, "CallStatus");
        if (!status) return bad("no CallStatus");
        auto kind = twilio_call_status_to_kind(*status);
        if (!kind) return bad("unknown CallStatus");
        CallEvent e = base;
        e.kind = *kind;
        if (const std::string* seq = find_param(params, "SequenceNumber")) {
          std::uint32_t n = 0;
          if (!parse_uint(*seq, n) || n == 0xFFFFFFFFu) return bad("bad SequenceNumber");
          e.sequence = n + 1;  // Twilio counts from 0; CallEvent's 0 means "none"
          key = options.dedup_prefix + *sid + ":" + *seq;
        } else {
          key = options.dedup_prefix + *sid + ":" + *status;
        }
        int error_code = 0;
        if (const std::string* ec = find_param(params, "ErrorCode"); ec && !ec->empty()) {
          if (!parse_uint(*ec, error_code)) return bad("bad ErrorCode");
        }
        if (e.kind == CallEventKind::kFailed) {
          e.fail_reason =
              error_code ? twilio_error_to_fail_reason(error_code) : sip_to_fail_reason(sip);
        }
        e.provider_code = error_code ? error_code : sip;
        out.push_back(e);
        if (e.kind == CallEventKind::kAnswered && amd) {  // synchronous AMD
          CallEvent a = base;
          a.kind = CallEventKind::kAmdResult;
          a.amd = *amd;
          out.push_back(a);
        }
        break;
      }
      case Route::kAmd: {
        if (!amd) return bad("no AnsweredBy");
        CallEvent a = base;
        a.kind = CallEventKind::kAmdResult;
        a.amd = *amd;
        out.push_back(a);
        key = options.dedup_prefix + *sid + ":amd";
        break;
      }
      case Route::kInbound:
        break;  // answered above
      case Route::kVoice: {
        // The answer URL (and its hold redirects) has no event key: each fetch is a new request.
        // Twilio's retry of one fetch carries the fetch's idempotency token, which keys it.
        if (!idempotency_token.empty() && idempotency_token.size() <= kMaxIdempotencyToken) {
          key = options.dedup_prefix + "retry:" + std::string(idempotency_token);
        }
        const std::string* status = find_param(params, "CallStatus");
        if (status && *status == "in-progress") {
          CallEvent e = base;
          e.kind = CallEventKind::kAnswered;
          out.push_back(e);
          if (amd) {
            CallEvent a = base;
            a.kind = CallEventKind::kAmdResult;
            a.amd = *amd;
            out.push_back(a);
          }
        }
        break;
      }
    }
    bool first_time = true;
    if (!key.empty()) {
      try {
        first_time = storage->mark_event_processed(key);
      } catch (const std::exception& e) {
        malformed.fetch_add(1, std::memory_order_relaxed);
        // Not recorded: Twilio may send it again.
        return WebhookResponse{503, "text/plain", std::string("storage: ") + e.what()};
      }
    }
    // A genuine request seen before (here or on a node sharing the Storage) is Twilio retrying
    // after a slow or lost answer, or sending an event twice: it gets the same 200 as the first
    // time, so Twilio stops retrying, and its events are not applied again.
    if (first_time) {
      for (const CallEvent& e : out) telephony->deliver(e);
      events.fetch_add(out.size(), std::memory_order_relaxed);
    }
    if (route == Route::kVoice) response.body = telephony->voice_twiml(call, req.url);
    (first_time ? accepted : replayed).fetch_add(1, std::memory_order_relaxed);
    return response;
  }
};

TwilioWebhookHandler::TwilioWebhookHandler(Storage* storage, TwilioTelephony* telephony,
                                           TwilioWebhookOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (!storage || !telephony) {
    throw Error(ErrorCode::kInvalidArgument, "TwilioWebhookHandler: null storage or telephony");
  }
  impl_->storage = storage;
  impl_->telephony = telephony;
  impl_->options = std::move(options);
  impl_->token = telephony->options().credentials.signing_token();
}

TwilioWebhookHandler::~TwilioWebhookHandler() = default;

WebhookResponse TwilioWebhookHandler::handle(const WebhookRequest& request) {
  try {
    return impl_->handle(request);
  } catch (const std::exception& e) {
    return impl_->bad(std::string("bad request: ") + e.what());
  }
}

TwilioWebhookStats TwilioWebhookHandler::stats() const {
  TwilioWebhookStats s;
  s.accepted = impl_->accepted.load();
  s.forged = impl_->forged.load();
  s.replayed = impl_->replayed.load();
  s.malformed = impl_->malformed.load();
  s.events = impl_->events.load();
  return s;
}

}  // namespace omnivox
