// X-Twilio-Signature validation and the webhook handler, in process (no network).
// Expected signatures are Twilio's published example, the vectors of Twilio's helper libraries,
// and values computed independently from the algorithm's definition (Python's hmac, or
// `openssl dgst -sha1 -hmac TOKEN -binary | base64`); each was recomputed before it was asserted.
#include <gtest/gtest.h>

#include <cctype>
#include <mutex>
#include <vector>

#include "omnivox/storage.h"
#include "omnivox/twilio.h"
#include "omnivox/twilio_webhook.h"
#include "telephony/twilio/twilio_util.h"

namespace omnivox {
namespace {

const TwilioParams kPublishedParams = {{"CallSid", "CA1234567890ABCDE"},
                                       {"Caller", "+14158675310"},
                                       {"Digits", "1234"},
                                       {"From", "+14158675310"},
                                       {"To", "+18005551212"}};
const char* kPublishedUrl = "https://example.com/myapp.php?foo=1&bar=2";

// Twilio's Timestamp parameter. A year of eighteen digits (found by the twilio_webhook fuzzer)
// overflowed the conversion to milliseconds: out-of-range fields give the epoch ("unknown").
TEST(TwilioDates, Rfc2822TimestampsParseAndOutOfRangeFieldsAreRejected) {
  using twilio_detail::parse_rfc2822;
  EXPECT_EQ(parse_rfc2822("Tue, 31 Aug 2010 20:36:29 +0000"), parse_utc("2010-08-31T20:36:29Z"));
  EXPECT_EQ(parse_rfc2822("Tue, 31 Aug 2010 22:06:29 +0130"), parse_utc("2010-08-31T20:36:29Z"));
  EXPECT_EQ(parse_rfc2822("Tue, 31 Aug 2010 20:36:29"), parse_utc("2010-08-31T20:36:29Z"));
  for (const char* bad :
       {"Tue, 31 Aug 209999999999999910 20:36:29 +0000", "Tue, 31 Aug 2010 24:00:00 +0000",
        "Tue, 32 Aug 2010 20:36:29 +0000", "Tue, 31 Aug 1969 20:36:29 +0000",
        "Tue, 31 Aug 2010 20:36:29 +0075", "Tue, 31 Foo 2010 20:36:29 +0000", "", "31 Aug"}) {
    EXPECT_EQ(parse_rfc2822(bad), TimePoint{}) << bad;
  }
}

TEST(TwilioSignature, MatchesTwilioPublishedExample) {
  EXPECT_EQ(twilio_signature("12345", kPublishedUrl, kPublishedParams),
            "L/OH5YylLD5NRKLltdqwSvS0BnU=");
  // Parameter order on the wire does not matter: they are sorted.
  TwilioParams shuffled(kPublishedParams.rbegin(), kPublishedParams.rend());
  auto check =
      verify_twilio_signature("12345", kPublishedUrl, shuffled, "", "L/OH5YylLD5NRKLltdqwSvS0BnU=");
  EXPECT_TRUE(check.valid);
  EXPECT_EQ(check.matched_url, kPublishedUrl);
}

TEST(TwilioSignature, WrongTokenParamOrSignatureIsInvalid) {
  const char* good = "L/OH5YylLD5NRKLltdqwSvS0BnU=";
  EXPECT_FALSE(verify_twilio_signature("12346", kPublishedUrl, kPublishedParams, "", good).valid);
  TwilioParams tampered = kPublishedParams;
  tampered[2].second = "1235";
  EXPECT_FALSE(verify_twilio_signature("12345", kPublishedUrl, tampered, "", good).valid);
  EXPECT_FALSE(verify_twilio_signature("12345", "https://example.com/myapp.php?foo=1&bar=3",
                                       kPublishedParams, "", good)
                   .valid);
  auto empty = verify_twilio_signature("12345", kPublishedUrl, kPublishedParams, "", "");
  EXPECT_FALSE(empty.valid);
  EXPECT_FALSE(empty.reason.empty());
  EXPECT_FALSE(verify_twilio_signature("12345", kPublishedUrl, kPublishedParams, "", "AAAA").valid);
}

TEST(TwilioSignature, RepeatedKeysSortByValue) {
  TwilioParams params = {{"Tag", "b"}, {"Tag", "a"}, {"A", "x"}};
  EXPECT_EQ(twilio_signature("12345", "https://example.com/cb", params),
            "eXwCShSg57kfAHbR3136iXSY0Tc=");
}

// A name=value pair sent twice counts once, as in twilio-python and twilio-node. The expected
// value is HMAC-SHA1 over "https://api.twilio.com/SidCA123SidAccountAC123" (each pair once),
// computed with openssl.
TEST(TwilioSignature, ExactDuplicatePairsCountOnce) {
  TwilioParams twice = {
      {"SidAccount", "AC123"}, {"Sid", "CA123"}, {"Sid", "CA123"}, {"SidAccount", "AC123"}};
  TwilioParams once = {{"Sid", "CA123"}, {"SidAccount", "AC123"}};
  EXPECT_EQ(twilio_signature("12345", "https://api.twilio.com/", twice),
            "KhDCHXLQk1YCEO2jlKikWRQzBTo=");
  EXPECT_EQ(twilio_signature("12345", "https://api.twilio.com/", once),
            "KhDCHXLQk1YCEO2jlKikWRQzBTo=");
  EXPECT_TRUE(verify_twilio_signature("12345", "https://api.twilio.com/", twice, "",
                                      "KhDCHXLQk1YCEO2jlKikWRQzBTo=")
                  .valid);
  // The same name with two different values is two pairs: both are signed.
  TwilioParams two_values = {{"Sid", "CA123"}, {"Sid", "CA124"}, {"SidAccount", "AC123"}};
  EXPECT_NE(twilio_signature("12345", "https://api.twilio.com/", two_values),
            "KhDCHXLQk1YCEO2jlKikWRQzBTo=");
}

// The vectors of twilio-python's tests/unit/test_request_validator.py (also twilio-node's
// spec/validation.spec.js): token "12345", these parameters, and the URL below with its port
// stripped or added. Each expected value was recomputed with `openssl dgst -sha1 -hmac 12345`. The
// phone numbers are +14158675309: with +12349013030 the published "RSOYDt4T1cUTdK1PDd93/VVr8B8="
// does not reproduce. For http with a port to strip, the remembered expected value did not
// reproduce either; "OyGYPqTF6ztdbRNCvuQO/oPvqQ4=" is derived from the algorithm (HMAC-SHA1 over
// "http://mycompany.com/myapp.php?foo=1&bar=2" followed by the sorted parameters).
const TwilioParams kHelperParams = {{"CallSid", "CA1234567890ABCDE"},
                                    {"Caller", "+14158675309"},
                                    {"Digits", "1234"},
                                    {"From", "+14158675309"},
                                    {"To", "+18005551212"}};
const char* kHelperUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
const char* kHelperSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

TEST(TwilioSignature, MatchesTheHelperLibrariesVectors) {
  EXPECT_EQ(twilio_signature("12345", kHelperUrl, kHelperParams), kHelperSignature);
  auto check = verify_twilio_signature("12345", kHelperUrl, kHelperParams, "", kHelperSignature);
  EXPECT_TRUE(check.valid);
  EXPECT_EQ(check.matched_url, kHelperUrl);
}

TEST(TwilioSignature, PortIsStrippedFromAnyUrlThatHasOne) {
  // https: signed without the port, received behind a non-default one.
  auto https = verify_twilio_signature("12345", "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
                                       kHelperParams, "", kHelperSignature);
  EXPECT_TRUE(https.valid) << https.reason;
  EXPECT_EQ(https.matched_url, kHelperUrl);
  // http, likewise.
  EXPECT_EQ(twilio_signature("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", kHelperParams),
            "OyGYPqTF6ztdbRNCvuQO/oPvqQ4=");
  auto http = verify_twilio_signature("12345", "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
                                      kHelperParams, "", "OyGYPqTF6ztdbRNCvuQO/oPvqQ4=");
  EXPECT_TRUE(http.valid) << http.reason;
  EXPECT_EQ(http.matched_url, "http://mycompany.com/myapp.php?foo=1&bar=2");
  // The port is covered when it is signed: another port or no port does not match that.
  const char* signed_with_1234 = "CYn1h0gLBdNxDGkKJg6hYohgeD8=";
  EXPECT_EQ(
      twilio_signature("12345", "https://mycompany.com:1234/myapp.php?foo=1&bar=2", kHelperParams),
      signed_with_1234);
  EXPECT_TRUE(verify_twilio_signature("12345", "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
                                      kHelperParams, "", signed_with_1234)
                  .valid);
  EXPECT_FALSE(verify_twilio_signature("12345", "https://mycompany.com:1235/myapp.php?foo=1&bar=2",
                                       kHelperParams, "", signed_with_1234)
                   .valid);
  EXPECT_FALSE(
      verify_twilio_signature("12345", kHelperUrl, kHelperParams, "", signed_with_1234).valid);
}

TEST(TwilioSignature, DefaultPortIsAddedToAUrlWithoutOne) {
  // twilio-python's "adds port" vectors: signed with :443 (:80), received without a port.
  auto https = verify_twilio_signature("12345", kHelperUrl, kHelperParams, "",
                                       "kvajT1Ptam85bY51eRf/AJRuM3w=");
  EXPECT_TRUE(https.valid) << https.reason;
  EXPECT_EQ(https.matched_url, "https://mycompany.com:443/myapp.php?foo=1&bar=2");
  auto http = verify_twilio_signature("12345", "http://mycompany.com/myapp.php?foo=1&bar=2",
                                      kHelperParams, "", "0ZXoZLH/DfblKGATFgpif+LLRf4=");
  EXPECT_TRUE(http.valid) << http.reason;
  EXPECT_EQ(http.matched_url, "http://mycompany.com:80/myapp.php?foo=1&bar=2");
  // The scheme's own default only: http's :80 is not tried for https.
  EXPECT_FALSE(verify_twilio_signature("12345", kHelperUrl, kHelperParams, "",
                                       "0ZXoZLH/DfblKGATFgpif+LLRf4=")
                   .valid);
}

TEST(TwilioSignature, DefaultPortAddedOrStripped) {
  // Signed by Twilio with :443; the proxy hands us the URL without the port, and vice versa.
  const char* sig = "kY4RepqQPJPRHK7NolxkOXkBCy0=";
  TwilioParams params = {{"CallSid", "CA1"}};
  auto without = verify_twilio_signature("12345", "https://example.com/cb?call=7", params, "", sig);
  EXPECT_TRUE(without.valid);
  EXPECT_EQ(without.matched_url, "https://example.com:443/cb?call=7");
  auto with =
      verify_twilio_signature("12345", "https://example.com:443/cb?call=7", params, "", sig);
  EXPECT_TRUE(with.valid);
  EXPECT_EQ(with.matched_url, "https://example.com:443/cb?call=7");
  // Received on :8443, the forms are :8443 and no port; neither is the signed :443.
  EXPECT_FALSE(
      verify_twilio_signature("12345", "https://example.com:8443/cb?call=7", params, "", sig)
          .valid);

  auto variants = twilio_url_variants("http://h.example:80/x?a=1");
  ASSERT_EQ(variants.size(), 2u);
  EXPECT_EQ(variants[1], "http://h.example/x?a=1");
  variants = twilio_url_variants("http://h.example/x");
  ASSERT_EQ(variants.size(), 2u);
  EXPECT_EQ(variants[1], "http://h.example:80/x");
  variants = twilio_url_variants("https://h.example:8443/x#f");
  ASSERT_EQ(variants.size(), 2u);
  EXPECT_EQ(variants[1], "https://h.example/x#f");
  variants = twilio_url_variants("wss://h.example/x");  // no default port known: as given
  EXPECT_EQ(variants.size(), 1u);
  EXPECT_EQ(twilio_url_variants("not a url").size(), 1u);
}

TEST(TwilioSignature, JsonBodyIsCoveredByBodySha256) {
  std::string body = R"({"property": "value", "boolean": true})";
  std::string url =
      "https://example.com/myapp?bodySHA256="
      "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
  const char* sig = "Klp85180pYIxzIO5cuyxpfh1BKw=";
  EXPECT_TRUE(verify_twilio_signature("12345", url, {}, body, sig).valid);
  EXPECT_TRUE(verify_twilio_signature("12345", url, {}, body, sig, /*json_body=*/true).valid);
  auto tampered = verify_twilio_signature("12345", url, {}, body + " ", sig);
  EXPECT_FALSE(tampered.valid);
  EXPECT_NE(tampered.reason.find("bodySHA256"), std::string::npos);
}

// twilio-python's body vectors: the hash of the body, appended to the URL of the vectors above,
// and the signature over that URL alone.
TEST(TwilioSignature, JsonBodyHelperVectorsWithEveryUrlForm) {
  const std::string body = R"({"property": "value", "boolean": true})";
  const std::string hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
  const std::string url = std::string(kHelperUrl) + "&bodySHA256=" + hash;
  const char* sig = "a9nBmqA0ju/hNViExpshrM61xv4=";
  EXPECT_EQ(twilio_signature("12345", url, {}), sig);
  for (const std::string& received :
       {url, "https://mycompany.com:1234/myapp.php?foo=1&bar=2&bodySHA256=" + hash}) {
    auto check = verify_twilio_signature("12345", received, {}, body, sig, /*json_body=*/true);
    EXPECT_TRUE(check.valid) << received << ": " << check.reason;
    EXPECT_EQ(check.matched_url, url);
  }
  // The form parameters a caller may still pass are not part of a body-signed request.
  EXPECT_TRUE(verify_twilio_signature("12345", url, kHelperParams, body, sig, true).valid);
  EXPECT_FALSE(verify_twilio_signature("12345", url, {}, body + "\n", sig, true).valid);
}

TEST(TwilioSignature, JsonBodyWithoutBodySha256IsInvalid) {
  const std::string body = R"({"CallSid": "CA1"})";
  // Even a signature that covers the URL alone: nothing covers the body.
  const std::string sig = twilio_signature("12345", kHelperUrl, {});
  auto check = verify_twilio_signature("12345", kHelperUrl, {}, body, sig, /*json_body=*/true);
  EXPECT_FALSE(check.valid);
  EXPECT_TRUE(check.matched_url.empty());
  EXPECT_NE(check.reason.find("bodySHA256"), std::string::npos) << check.reason;
}

TEST(TwilioSignature, ParseFormDecodesAndRejectsBadEscapes) {
  auto p = parse_form("To=%2B14155550100&Say=hello+world&Empty=&Flag");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].second, "+14155550100");
  EXPECT_EQ(p[1].second, "hello world");
  EXPECT_EQ(p[2].second, "");
  EXPECT_EQ(p[3].first, "Flag");
  EXPECT_THROW(parse_form("To=%zz"), Error);
}

TEST(TwilioMapping, ErrorCodesStatusesAndAnsweredBy) {
  EXPECT_EQ(twilio_error_to_fail_reason(21211), FailReason::kInvalidNumber);
  EXPECT_EQ(twilio_error_to_fail_reason(21216), FailReason::kRejected);
  EXPECT_EQ(twilio_error_to_fail_reason(21212), FailReason::kConfig);
  EXPECT_EQ(twilio_error_to_fail_reason(99999), FailReason::kNetwork);
  EXPECT_EQ(twilio_call_status_to_kind("no-answer"), CallEventKind::kNoAnswer);
  EXPECT_EQ(twilio_call_status_to_kind("in-progress"), CallEventKind::kAnswered);
  EXPECT_FALSE(twilio_call_status_to_kind("bogus"));
  EXPECT_EQ(twilio_answered_by_to_amd("machine_end_beep"), AmdResult::kMachine);
  EXPECT_EQ(twilio_answered_by_to_amd("human"), AmdResult::kHuman);
  EXPECT_FALSE(twilio_answered_by_to_amd("robot"));
}

// ---- the handler ----

struct CollectingSink : CallEventSink {
  std::mutex m;
  std::vector<CallEvent> events;
  void on_call_event(const CallEvent& e) override {
    std::lock_guard<std::mutex> lock(m);
    events.push_back(e);
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(m);
    return events.size();
  }
};

TwilioOptions offline_options() {
  TwilioOptions o;
  o.credentials.account_sid = "AC00000000000000000000000000000000";
  o.credentials.password = "secret-token";
  o.api_base_url = "https://127.0.0.1:1";  // never reached by these tests
  o.public_webhook_base_url = "https://dialer.example.com";
  o.max_retries = 0;
  return o;
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

WebhookRequest signed_request(const std::string& url, const TwilioParams& params,
                              const std::string& token = "secret-token") {
  WebhookRequest r;
  r.method = "POST";
  r.url = url;
  std::string body;
  for (const auto& [k, v] : params) {
    if (!body.empty()) body += '&';
    body += form_escape(k) + "=" + form_escape(v);
  }
  r.body = body;
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
               {"x-twilio-signature", twilio_signature(token, url, params)}};
  return r;
}

TEST(TwilioWebhookHandler, StatusCallbackBecomesOneCanonicalEvent) {
  auto storage = make_memory_storage();
  TwilioTelephony tel(offline_options());
  CollectingSink sink;
  tel.start(&sink);
  TwilioWebhookHandler handler(storage.get(), &tel);
  auto res = handler.handle(signed_request("https://dialer.example.com/twilio/status?call=42",
                                           {{"CallSid", "CA42"},
                                            {"CallStatus", "completed"},
                                            {"SequenceNumber", "3"},
                                            {"CallDuration", "17"},
                                            {"SipResponseCode", "200"},
                                            {"Timestamp", "Tue, 31 Aug 2010 20:36:29 +0000"}}));
  EXPECT_EQ(res.status, 200);
  ASSERT_EQ(sink.size(), 1u);
  const CallEvent& e = sink.events[0];
  EXPECT_EQ(e.call_id, 42u);
  EXPECT_EQ(e.provider_call_id, "CA42");
  EXPECT_EQ(e.kind, CallEventKind::kCompleted);
  EXPECT_EQ(e.sequence, 4u);  // Twilio's 3, shifted so that 0 keeps meaning "none"
  EXPECT_EQ(e.provider_code, 200);
  EXPECT_EQ(format_utc(e.timestamp), "2010-08-31T20:36:29.000Z");
}

TEST(TwilioWebhookHandler, FailedCallKeepsReasonAndCode) {
  auto storage = make_memory_storage();
  TwilioTelephony tel(offline_options());
  CollectingSink sink;
  tel.start(&sink);
  TwilioWebhookHandler handler(storage.get(), &tel);
  EXPECT_EQ(handler
                .handle(signed_request("https://dialer.example.com/twilio/status?call=5",
                                       {{"CallSid", "CA5"},
                                        {"CallStatus", "failed"},
                                        {"SequenceNumber", "1"},
                                        {"SipResponseCode", "404"}}))
                .status,
            200);
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.events[0].kind, CallEventKind::kFailed);
  EXPECT_EQ(sink.events[0].fail_reason, FailReason::kInvalidNumber);
  EXPECT_EQ(sink.events[0].provider_code, 404);
}

TEST(TwilioWebhookHandler, ForgedUnsignedOversizedMalformedChangeNothing) {
  auto storage = make_memory_storage();
  TwilioTelephony tel(offline_options());
  CollectingSink sink;
  tel.start(&sink);
  TwilioWebhookHandler handler(storage.get(), &tel);
  const std::string url = "https://dialer.example.com/twilio/status?call=7";
  TwilioParams ringing = {{"CallSid", "CA7"}, {"CallStatus", "ringing"}, {"SequenceNumber", "1"}};

  auto forged = signed_request(url, ringing, "not-the-token");
  EXPECT_EQ(handler.handle(forged).status, 403);
  auto unsigned_req = signed_request(url, ringing);
  unsigned_req.headers.pop_back();
  EXPECT_EQ(handler.handle(unsigned_req).status, 403);
  // Signed for another call id: the call parameter is covered by the signature.
  auto moved = signed_request(url, ringing);
  moved.url = "https://dialer.example.com/twilio/status?call=8";
  EXPECT_EQ(handler.handle(moved).status, 403);
  auto oversized = signed_request(url, ringing);
  oversized.body += "&Pad=" + std::string(70 * 1024, 'x');
  EXPECT_EQ(handler.handle(oversized).status, 400);
  auto bad_status = signed_request(url, {{"CallSid", "CA7"}, {"CallStatus", "exploded"}});
  EXPECT_EQ(handler.handle(bad_status).status, 400);
  auto no_sid = signed_request(url, {{"CallStatus", "ringing"}});
  EXPECT_EQ(handler.handle(no_sid).status, 400);
  auto bad_escape = signed_request(url, ringing);
  bad_escape.body = "CallSid=%zz";
  EXPECT_EQ(handler.handle(bad_escape).status, 400);
  auto get = signed_request(url, ringing);
  get.method = "GET";
  EXPECT_EQ(handler.handle(get).status, 400);
  EXPECT_EQ(
      handler.handle(signed_request("https://dialer.example.com/other?call=7", ringing)).status,
      400);
  EXPECT_EQ(
      handler.handle(signed_request("https://dialer.example.com/twilio/status", ringing)).status,
      400);
  EXPECT_EQ(sink.size(), 0u);

  EXPECT_EQ(handler.handle(signed_request(url, ringing)).status, 200);
  EXPECT_EQ(handler.handle(signed_request(url, ringing)).status, 200);  // a repeat: not applied
  EXPECT_EQ(sink.size(), 1u);
  auto s = handler.stats();
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.replayed, 1u);
  EXPECT_EQ(s.forged, 3u);
  EXPECT_EQ(s.malformed, 7u);
}

TEST(TwilioWebhookHandler, DeduplicationHoldsAcrossHandlersSharingStorage) {
  // Two nodes (or a restarted one) with one Storage: an event is processed once.
  auto storage = make_memory_storage();
  TwilioTelephony tel_a(offline_options()), tel_b(offline_options());
  CollectingSink sink_a, sink_b;
  tel_a.start(&sink_a);
  tel_b.start(&sink_b);
  TwilioWebhookHandler a(storage.get(), &tel_a), b(storage.get(), &tel_b);
  auto req = signed_request("https://dialer.example.com/twilio/status?call=9",
                            {{"CallSid", "CA9"}, {"CallStatus", "busy"}, {"SequenceNumber", "2"}});
  EXPECT_EQ(a.handle(req).status, 200);
  EXPECT_EQ(b.handle(req).status, 200);
  EXPECT_EQ(sink_a.size() + sink_b.size(), 1u);
  EXPECT_EQ(b.stats().replayed, 1u);
}

// Twilio retries a webhook whose answer was slow or lost, with the first request's
// I-Twilio-Idempotency-Token. The retry must get 200 (a 4xx makes Twilio log an error and, for the
// answer URL, drop the call) and apply nothing twice; a forged copy is still refused.
TEST(TwilioWebhookHandler, RetriesAreAnswered200AndAppliedOnce) {
  auto storage = make_memory_storage();
  TwilioTelephony tel(offline_options());
  CollectingSink sink;
  tel.start(&sink);
  TwilioWebhookHandler handler(storage.get(), &tel);
  auto with_token = [](WebhookRequest r, const std::string& token) {
    r.headers.emplace_back("I-Twilio-Idempotency-Token", token);
    return r;
  };

  auto status = with_token(
      signed_request("https://dialer.example.com/twilio/status?call=21",
                     {{"CallSid", "CA21"}, {"CallStatus", "ringing"}, {"SequenceNumber", "1"}}),
      "idem-status-1");
  auto first = handler.handle(status);
  auto retry = handler.handle(status);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(sink.size(), 1u);

  // The answer URL: a retried fetch gets the call's TwiML again, its kAnswered is not redelivered.
  auto voice = signed_request("https://dialer.example.com/twilio/voice?call=22",
                              {{"CallSid", "CA22"}, {"CallStatus", "in-progress"}});
  auto fetch = with_token(voice, "idem-voice-1");
  auto voice_first = handler.handle(fetch);
  auto voice_retry = handler.handle(fetch);
  EXPECT_EQ(voice_first.status, 200);
  EXPECT_EQ(voice_retry.status, 200);
  EXPECT_EQ(voice_retry.body, voice_first.body);
  EXPECT_NE(voice_retry.body.find("<Response>"), std::string::npos);
  ASSERT_EQ(sink.size(), 2u);
  EXPECT_EQ(sink.events[1].kind, CallEventKind::kAnswered);

  // A forged request naming a token not seen yet is refused and does not use the token up: the
  // genuine request with that token is then applied.
  auto forged = with_token(
      signed_request("https://dialer.example.com/twilio/voice?call=22",
                     {{"CallSid", "CA22"}, {"CallStatus", "in-progress"}}, "not-the-token"),
      "idem-voice-2");
  EXPECT_EQ(handler.handle(forged).status, 403);
  EXPECT_EQ(sink.size(), 2u);
  EXPECT_EQ(handler.handle(with_token(voice, "idem-voice-2")).status, 200);
  EXPECT_EQ(sink.size(), 3u);
  // A forged copy of an applied request is refused too, not taken for a retry.
  auto forged_retry = status;
  forged_retry.headers[1].second = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  EXPECT_EQ(handler.handle(forged_retry).status, 403);

  auto s = handler.stats();
  EXPECT_EQ(s.accepted, 3u);
  EXPECT_EQ(s.replayed, 2u);
  EXPECT_EQ(s.forged, 2u);
  EXPECT_EQ(s.events, 3u);
}

TEST(TwilioWebhookHandler, AmdAndAnswerUrl) {
  auto storage = make_memory_storage();
  TwilioTelephony tel(offline_options());
  CollectingSink sink;
  tel.start(&sink);
  TwilioWebhookHandler handler(storage.get(), &tel);
  auto amd = signed_request("https://dialer.example.com/twilio/amd?call=11",
                            {{"CallSid", "CA11"}, {"AnsweredBy", "machine_end_beep"}});
  EXPECT_EQ(handler.handle(amd).status, 200);
  EXPECT_EQ(handler.handle(amd).status, 200);
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.events[0].kind, CallEventKind::kAmdResult);
  EXPECT_EQ(sink.events[0].amd, AmdResult::kMachine);

  // The answer URL of a call this backend does not know gets a hangup, and is not an error.
  auto voice = signed_request("https://dialer.example.com/twilio/voice?call=12",
                              {{"CallSid", "CA12"}, {"CallStatus", "in-progress"}});
  auto res = handler.handle(voice);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "text/xml");
  EXPECT_NE(res.body.find("<Hangup/>"), std::string::npos);
  ASSERT_EQ(sink.size(), 2u);
  EXPECT_EQ(sink.events[1].kind, CallEventKind::kAnswered);
}

TEST(TwilioWebhookHandler, JsonBodySignedWithBodySha256) {
  auto storage = make_memory_storage();
  TwilioTelephony tel(offline_options());
  CollectingSink sink;
  tel.start(&sink);
  TwilioWebhookHandler handler(storage.get(), &tel);
  std::string body = R"({"CallSid":"CA13","CallStatus":"ringing","SequenceNumber":"1"})";
  WebhookRequest r;
  r.method = "POST";
  r.body = body;
  r.url =
      "https://dialer.example.com/twilio/status?call=13&bodySHA256="
      "8e0a8da8dbd1eb0bdd0dbc6f1ffb0d11e4f3ef3a2fd6b4b2ba4e7bd58c5f4c1a";
  r.headers = {{"Content-Type", "application/json"},
               {"X-Twilio-Signature", twilio_signature("secret-token", r.url, {})}};
  // That hash is not the body's: refused.
  EXPECT_EQ(handler.handle(r).status, 403);
  EXPECT_EQ(sink.size(), 0u);
  r.url =
      "https://dialer.example.com/twilio/status?call=13&bodySHA256="
      "c49db15adf9c13ad99c8f2793feb60c7834dbe182b145e0ec45dc8c8f0839af1";
  r.headers[1].second = twilio_signature("secret-token", r.url, {});
  // Without bodySHA256 nothing covers a JSON body: refused even when the URL's signature is good.
  WebhookRequest unhashed = r;
  unhashed.url = "https://dialer.example.com/twilio/status?call=13";
  unhashed.headers[1].second = twilio_signature("secret-token", unhashed.url, {});
  EXPECT_EQ(handler.handle(unhashed).status, 403);
  EXPECT_EQ(sink.size(), 0u);
  EXPECT_EQ(handler.handle(r).status, 200);
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.events[0].kind, CallEventKind::kRinging);
  EXPECT_EQ(sink.events[0].sequence, 2u);
}

}  // namespace
}  // namespace omnivox
