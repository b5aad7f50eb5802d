#include "cli/twilio_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "omnivox/clock.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/twilio.h"
#include "omnivox/twilio_webhook.h"

namespace omnivox::cli {

namespace {

struct VerifyArgs {
  std::string token, url, signature, body_path;
  std::vector<std::string> params;
};

struct ServeArgs {
  std::string campaign_path, public_url, listen = "127.0.0.1";
  int port = 8080;
  double cps = 1.0;
  double wrap_up_s = 60.0;
  double for_s = 0.0;  // 0 = until SIGINT/SIGTERM
};

// Reads the whole file at `path` into `out`, refusing a directory, an unreadable file and one
// larger than `limit` bytes (a device such as /dev/zero never ends: the limit bounds the read).
// Returns the reason of a refusal, or an empty string.
std::string read_body_file(const std::string& path, std::size_t limit, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot open: ") + std::strerror(errno);
  std::string why;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    why = std::string("cannot read: ") + std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    why = "is a directory";
  }
  char chunk[16 * 1024];
  while (why.empty()) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::string("cannot read: ") + std::strerror(errno);
    } else if (n == 0) {
      break;
    } else if (out.size() + static_cast<std::size_t>(n) > limit) {
      why = "larger than " + std::to_string(limit) + " bytes, the webhook server's body limit";
    } else {
      out.append(chunk, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return why;
}

// Twilio's form bodies start with a parameter name; a JSON body with an object or an array.
bool looks_like_json(std::string_view body) {
  auto first = body.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (body[first] == '{' || body[first] == '[');
}

int verify(const VerifyArgs& a) {
  TwilioParams params;
  for (const std::string& kv : a.params) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "omnivox: error: --param '%s': expected K=V\n", kv.c_str());
      return 2;
    }
    params.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  std::string body;
  bool json_body = false;
  if (!a.body_path.empty()) {
    std::string why =
        read_body_file(a.body_path, TwilioWebhookServerOptions{}.max_body_bytes, body);
    if (!why.empty()) {
      std::fprintf(stderr, "omnivox: error: --body '%s': %s\n", a.body_path.c_str(), why.c_str());
      return 2;
    }
    json_body = looks_like_json(body);
    // A form body captured as sent (no bodySHA256 in the URL): its parameters are what is signed.
    if (!json_body && a.url.find("bodySHA256=") == std::string::npos && params.empty()) {
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
      params = parse_form(body);
    }
  }
  auto check = verify_twilio_signature(a.token, a.url, params, body, a.signature, json_body);
  if (check.valid) {
    std::printf("valid: yes\nmatched URL: %s\n", check.matched_url.c_str());
    if (check.matched_url != a.url) {
      std::printf("note: Twilio signed a different form of the URL than the one given\n");
    }
    return 0;
  }
  std::printf("valid: no\nreason: %s\n", check.reason.c_str());
  bool body_hashed = a.url.find("bodySHA256=") != std::string::npos;
  if (json_body && !body_hashed) {
    std::printf(
        "Twilio signs a JSON body through a bodySHA256 query parameter (the body's SHA-256): give "
        "the URL exactly as requested, with that parameter\n");
    return 1;
  }
  std::printf("expected signatures with this token:\n");
  for (const std::string& u : twilio_url_variants(a.url)) {
    std::printf("  %s  %s\n",
                twilio_signature(a.token, u, body_hashed ? TwilioParams{} : params).c_str(),
                u.c_str());
  }
  std::printf(
      "check that the URL is exactly the public one Twilio requested (scheme, host, port, path, "
      "query) and that the token is the account's auth token\n");
  return 1;
}

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

int serve(const ServeArgs& a) {
  CampaignFile file = load_campaign_file(a.campaign_path);
  TwilioOptions to;
  to.credentials = TwilioCredentials::from_environment();
  to.public_webhook_base_url = a.public_url;
  to.calls_per_second = a.cps;
  auto storage = make_memory_storage();
  auto clock = make_system_clock();
  TwilioTelephony telephony(to);
  TwilioWebhookHandler handler(storage.get(), &telephony);
  TwilioWebhookServerOptions so;
  so.address = a.listen;
  so.port = static_cast<std::uint16_t>(a.port);
  so.public_base_url = a.public_url;
  so.threads = 2;
  TwilioWebhookServer server(&handler, so);
  EngineOptions eo;
  eo.max_wrap_up = seconds_to_duration(a.wrap_up_s);
  Engine engine(eo, storage.get(), &telephony, clock.get());
  engine.add_campaign(file.campaign);
  if (!file.contacts_path.empty()) {
    ImportReport report =
        engine.import_contacts(file.campaign.id, "default", file.contacts_path, file.import);
    std::fprintf(stderr, "%s\n", report.summary().c_str());
  }
  std::vector<AgentId> agents;
  for (int i = 0; i < file.agents; ++i) {
    agents.push_back(engine.add_agent(file.campaign.id, "agent" + std::to_string(i)));
  }
  // The file's inbound queues: their numbers' voice URL is <public URL>/twilio/inbound.
  apply_inbound(file, engine, agents);
  for (AgentId agent : agents) engine.set_agent_state(agent, AgentState::kAvailable);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  engine.start(1);
  engine.start_campaign(file.campaign.id);
  std::fprintf(stderr, "serving Twilio webhooks on %s:%u for %s; agents join conferences %s<N>\n",
               a.listen.c_str(), server.port(), server.public_base_url().c_str(),
               to.agent_conference_prefix.c_str());
  auto until = a.for_s > 0 ? std::chrono::steady_clock::now() + seconds_to_duration(a.for_s)
                           : std::chrono::steady_clock::time_point::max();
  while (!g_stop && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto s = engine.statistics(file.campaign.id);
    if (s.contacts_final == s.contacts_total && s.attempts_in_flight == 0) break;
  }
  engine.stop_campaign(file.campaign.id);
  engine.stop();
  auto s = engine.statistics(file.campaign.id);
  auto w = handler.stats();
  std::printf(
      "attempts %ld, live answers %ld, connects %ld, abandons %ld; webhooks accepted %llu, "
      "forged %llu, replayed %llu, malformed %llu\n",
      s.attempts, s.live_answers, s.connects, s.abandons,
      static_cast<unsigned long long>(w.accepted), static_cast<unsigned long long>(w.forged),
      static_cast<unsigned long long>(w.replayed), static_cast<unsigned long long>(w.malformed));
  for (const std::string& queue : engine.inbound_queues()) {
    const InboundQueueStatistics in = engine.inbound_statistics(queue);
    std::printf("inbound %s: %ld offered, %ld answered, %ld abandoned\n", queue.c_str(), in.offered,
                in.answered, in.abandoned);
  }
  server.stop();
  telephony.stop();
  return 0;
}

}  // namespace

std::function<int()> add_twilio_commands(CLI::App& app) {
  auto verify_args = std::make_shared<VerifyArgs>();
  auto serve_args = std::make_shared<ServeArgs>();
  CLI::App* twilio = app.add_subcommand("twilio", "Twilio backend tools");
  twilio->require_subcommand(1);
  CLI::App* v = twilio->add_subcommand("verify-signature",
                                       "Check an X-Twilio-Signature (exit 0 valid, 1 not)");
  v->add_option("--token", verify_args->token, "Account auth token")->required();
  v->add_option("--url", verify_args->url, "Full public URL Twilio requested")->required();
  v->add_option("--signature", verify_args->signature, "X-Twilio-Signature header")->required();
  v->add_option("--param", verify_args->params, "POST parameter K=V (repeatable)");
  v->add_option("--body", verify_args->body_path,
                "Raw body: JSON (URL with bodySHA256) or a form when no --param is given");
  CLI::App* s = twilio->add_subcommand(
      "serve", "Dial a campaign through Twilio with the webhook server in front of the engine");
  s->add_option("--campaign", serve_args->campaign_path, "Campaign file (JSON)")->required();
  s->add_option("--public-url", serve_args->public_url,
                "Public base URL Twilio reaches this server at, e.g. https://dialer.example.com")
      ->required();
  s->add_option("--listen", serve_args->listen, "Listening address")->capture_default_str();
  s->add_option("--port", serve_args->port,
                "Listening port, 1-65535, or 0 for any free port (the bound port is printed)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  s->add_option("--cps", serve_args->cps, "Calls per second of the account")->capture_default_str();
  s->add_option("--wrap-up", serve_args->wrap_up_s,
                "Seconds of wrap-up before a call without disposition is COMPLETED")
      ->capture_default_str();
  s->add_option("--for", serve_args->for_s, "Stop after this many seconds (0 = when done)");
  return [twilio, v, s, verify_args, serve_args]() -> int {
    if (!*twilio) return -1;
    if (*v) return verify(*verify_args);
    if (*s) return serve(*serve_args);
    return 2;
  };
}

}  // namespace omnivox::cli
