// Fuzz target: Twilio webhooks (omnivox/twilio_webhook.h) — form decoding, URL variants,
// X-Twilio-Signature validation, and the webhook handler end to end (in process, no network).
//
// Input: an HTTP-like text, so seeds are real Twilio callbacks and crashes read as requests:
//   METHOD URL\n
//   Header-Name: value\n      (any number)
//   \n
//   body
// Placeholders let the fuzzer get past the signature check into the parsing behind it: a header
// value "!sign" becomes the request's correct X-Twilio-Signature (for the harness's auth token),
// and "!bodysha" in the URL becomes the SHA-256 (hex) of the body (Twilio's JSON-body scheme).
// Checks: handle() never throws and answers 200, 400, 403 or 503; parse_form throws only
// Error(kInvalidArgument); the validator never throws and accepts the correct signature of a
// request it parsed. OMNIVOX_FUZZ_VERBOSE=1 prints each answer (to see what a seed reaches).
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "omnivox/storage.h"
#include "omnivox/twilio.h"
#include "omnivox/twilio_webhook.h"

namespace {

constexpr const char* kToken = "fuzz-auth-token";

struct DiscardSink : omnivox::CallEventSink {
  void on_call_event(const omnivox::CallEvent&) override {}
};

omnivox::TwilioTelephony& telephony() {
  // One backend for the process (it owns a thread); it never reaches the network: no originate.
  static DiscardSink sink;
  static omnivox::TwilioTelephony* tel = [] {
    omnivox::TwilioOptions o;
    o.credentials.account_sid = "AC00000000000000000000000000000000";
    o.credentials.password = kToken;
    o.api_base_url = "https://127.0.0.1:1";
    o.public_webhook_base_url = "https://dialer.example.com";
    o.max_retries = 0;
    auto* t = new omnivox::TwilioTelephony(o);
    t->start(&sink);
    return t;
  }();
  return *tel;
}

std::string sha256_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string_view take_line(std::string_view& s) {
  std::size_t nl = s.find('\n');
  std::string_view line = s.substr(0, nl);
  s = nl == std::string_view::npos ? std::string_view() : s.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// parse_form, checking its documented error.
bool parse_form_checked(std::string_view body, omnivox::TwilioParams& out) {
  try {
    out = omnivox::parse_form(body);
    return true;
  } catch (const omnivox::Error& e) {
    FUZZ_CHECK(e.code() == omnivox::ErrorCode::kInvalidArgument);
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  omnivox::WebhookRequest req;
  std::string_view request_line = take_line(in);
  std::size_t sp = request_line.find(' ');
  req.method = std::string(request_line.substr(0, sp));
  if (sp != std::string_view::npos) req.url = std::string(request_line.substr(sp + 1));
  bool sign = false;
  while (!in.empty()) {
    std::string_view line = take_line(in);
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    std::string name(line.substr(0, colon));
    std::string value;
    if (colon != std::string_view::npos) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      value = std::string(v);
    }
    if (value == "!sign") sign = true;
    req.headers.emplace_back(std::move(name), std::move(value));
  }
  req.body = std::string(in);
  if (auto at = req.url.find("!bodysha"); at != std::string::npos) {
    req.url.replace(at, 8, sha256_hex(req.body));
  }

  bool json_body = false;
  for (const auto& [name, value] : req.headers) {
    if (name == "Content-Type" && value.rfind("application/json", 0) == 0) json_body = true;
  }
  omnivox::TwilioParams params;
  bool form_ok = !json_body && parse_form_checked(req.body, params);
  if (sign) {
    const std::string signature =
        omnivox::twilio_signature(kToken, req.url, form_ok ? params : omnivox::TwilioParams{});
    for (auto& h : req.headers) {
      if (h.second == "!sign") h.second = signature;
    }
  }

  // The validator on its own: never throws; the correct signature of what we parsed is valid
  // (unless the URL's bodySHA256 does not match the body).
  for (const auto& [name, value] : req.headers) {
    try {
      auto check = omnivox::verify_twilio_signature(kToken, req.url, params, req.body, value);
      if (!check.valid) FUZZ_CHECK(check.matched_url.empty());
    } catch (const std::exception& e) {
      FUZZ_UNEXPECTED_EXCEPTION(e.what());
    }
  }
  if (sign && form_ok && req.url.find("bodySHA256") == std::string::npos) {
    auto check = omnivox::verify_twilio_signature(
        kToken, req.url, params, req.body, omnivox::twilio_signature(kToken, req.url, params));
    FUZZ_CHECK(check.valid);
  }
  try {
    auto variants = omnivox::twilio_url_variants(req.url);
    FUZZ_CHECK(!variants.empty() && variants[0] == req.url);
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }

  // The handler, with its own storage per input so replays behave the same every time.
  auto storage = omnivox::make_memory_storage();
  omnivox::TwilioWebhookOptions options;
  options.max_body_bytes = 2048;  // small, so the fuzzer reaches the limits
  options.max_url_bytes = 512;
  omnivox::TwilioWebhookHandler handler(storage.get(), &telephony(), options);
  static const bool verbose = std::getenv("OMNIVOX_FUZZ_VERBOSE") != nullptr;
  for (int round = 0; round < 2; ++round) {  // the second time it may be a replay
    omnivox::WebhookResponse res;
    try {
      res = handler.handle(req);
    } catch (const std::exception& e) {
      FUZZ_UNEXPECTED_EXCEPTION(e.what());
    } catch (...) {
      FUZZ_UNEXPECTED_EXCEPTION("non-std exception");
    }
    if (verbose) std::fprintf(stderr, "  round %d: %d %s\n", round, res.status, res.body.c_str());
    FUZZ_CHECK(res.status == 200 || res.status == 400 || res.status == 403 || res.status == 503);
  }
  auto stats = handler.stats();
  FUZZ_CHECK(stats.accepted + stats.forged + stats.replayed + stats.malformed == 2);
  return 0;
}
