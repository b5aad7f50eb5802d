// X-Twilio-Signature: https://www.twilio.com/docs/usage/webhooks/webhooks-security
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/url.hpp>
#include <cstring>
#include <optional>

#include "omnivox/twilio_webhook.h"

namespace omnivox {

namespace urls = boost::urls;

namespace {

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(written < 0 ? 0 : static_cast<std::size_t>(written));
  return out;
}

std::string sha256_hex(std::string_view body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const TwilioParams& params) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(params.size());
  for (const auto& p : params) sorted.push_back(&p);
  // Byte-wise (case-sensitive) order of names, a repeated name in the order of its values, and a
  // pair sent twice counted once: twilio-python and twilio-node sort and deduplicate this way.
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });
  sorted.erase(std::unique(sorted.begin(), sorted.end(),
                           [](const auto* a, const auto* b) { return *a == *b; }),
               sorted.end());
  std::size_t total = url.size();
  for (const auto* p : sorted) total += p->first.size() + p->second.size();
  std::string data;
  data.reserve(total);
  data.append(url);
  for (const auto* p : sorted) {
    data.append(p->first);
    data.append(p->second);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  return base64(mac, mac_len);
}

std::vector<std::string> twilio_url_variants(std::string_view url) {
  std::vector<std::string> out{std::string(url)};
  auto parsed = urls::parse_uri_reference(urls::string_view(url.data(), url.size()));
  if (!parsed || !parsed->has_authority()) return out;
  urls::url u(*parsed);
  if (u.has_port()) {
    u.remove_port();
    out.emplace_back(u.buffer());
    return out;
  }
  std::string scheme = u.scheme();
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  const char* default_port = scheme == "https" ? "443" : scheme == "http" ? "80" : nullptr;
  if (default_port) {
    u.set_port(default_port);
    out.emplace_back(u.buffer());
  }
  return out;
}

TwilioSignatureCheck verify_twilio_signature(std::string_view auth_token, std::string_view url,
                                             const TwilioParams& params, std::string_view body,
                                             std::string_view signature, bool json_body) {
  TwilioSignatureCheck check;
  if (signature.empty()) {
    check.reason = "no X-Twilio-Signature";
    return check;
  }
  // JSON bodies: the URL carries bodySHA256 and the signature covers the URL alone.
  std::optional<std::string> body_sha;
  if (auto parsed = urls::parse_uri_reference(urls::string_view(url.data(), url.size()))) {
    try {
      // An empty query is skipped: Boost.URL 1.81 iterates the params of "?#..." past the end
      // (found by fuzzing); it holds no named parameter anyway.
      if (!parsed->encoded_query().empty()) {
        for (auto p : parsed->params()) {
          // The first one, as twilio-python (parse_qs()[0]) and twilio-node (searchParams.get).
          if (p.key == "bodySHA256" && !body_sha) body_sha = std::string(p.value);
        }
      }
    } catch (const std::exception&) {
      check.reason = "malformed query string";
      return check;
    }
  }
  if (json_body && !body_sha) {
    // Twilio signs a JSON body only through bodySHA256: without it nothing covers the body.
    check.reason = "a JSON body needs a bodySHA256 query parameter in the URL";
    return check;
  }
  const TwilioParams no_params;
  const TwilioParams& signed_params = body_sha ? no_params : params;
  // A flag, not matched_url's emptiness: an empty URL can match too (found by fuzzing).
  bool matched = false;
  // Stopping at the first match tells a timing observer only which public URL form matched.
  for (const std::string& candidate : twilio_url_variants(url)) {
    if (equal_constant_time(twilio_signature(auth_token, candidate, signed_params), signature)) {
      check.matched_url = candidate;
      matched = true;
      break;
    }
  }
  if (!matched) {
    check.reason = "no URL form matches the signature";
    return check;
  }
  if (body_sha && !equal_constant_time(sha256_hex(body), *body_sha)) {
    check.matched_url.clear();
    check.reason = "bodySHA256 does not match the body";
    return check;
  }
  check.valid = true;
  return check;
}

TwilioParams parse_form(std::string_view body) {
  TwilioParams out;
  if (body.empty()) return out;
  try {
    urls::encoding_opts opt;
    opt.space_as_plus = true;
    urls::params_view view(urls::string_view(body.data(), body.size()), opt);
    for (auto p : view) out.emplace_back(std::string(p.key), std::string(p.value));
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, std::string("form body: ") + e.what());
  }
  return out;
}

}  // namespace omnivox
