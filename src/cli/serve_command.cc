#include "cli/serve_command.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "cli/sip_run.h"
#include "omnivox/storage_url.h"
#include "serve/server.h"
#include "serve/service.h"
#include "serve/store.h"

namespace omnivox::cli {
namespace {

struct ServeArgs {
  std::string storage_url = "memory";
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert, tls_key;
  double speed = 1.0;
  double rate = 100;
  std::string files_dir;
  std::string tenant = "default";
  std::string token_file;
  double drain_s = 30;
  int threads = 2;
  bool routes = false;
};

struct TokenArgs {
  std::string storage_url;
  std::string tenant = "default";
  std::string list_tenant;  ///< token list: empty = every tenant
  std::string scope = "read";
  std::string label;
  std::string id;
};

// A SIP campaign: its agents are the phones of `telephony.agents` (cli/sip_run.h); the engine's
// listener feeds both SipRun and the serve part.
class SipBackend final : public serve::CampaignBackend, public EventListener {
 public:
  SipBackend(CampaignFile& file, EventListener* downstream)
      : downstream_(downstream), sip_((use_message_wavs(file, "campaign"), file)) {}
  Telephony* telephony() override { return sip_.telephony(); }
  EventListener* listener() override { return this; }
  void attach(Engine* engine, const std::vector<AgentId>& agents) override {
    sip_.attach(engine, agents);
  }
  void set_running(bool running) override { sip_.set_shift(running); }
  void tick() override { sip_.tick(); }
  void detach() override { sip_.detach(); }

  unsigned interests() const override { return sip_.interests() | downstream_->interests(); }
  void on_call_state(const CallStateChange& c) override { downstream_->on_call_state(c); }
  void on_agent_state(const AgentStateChange& c) override {
    sip_.on_agent_state(c);
    downstream_->on_agent_state(c);
  }
  void on_pacing_decision(const PacingDecision& d) override { downstream_->on_pacing_decision(d); }
  void on_attempt_finished(const Attempt& a) override { downstream_->on_attempt_finished(a); }

 private:
  EventListener* downstream_;
  SipRun sip_;
};

std::unique_ptr<serve::CampaignBackend> make_backend(CampaignFile& file,
                                                     const serve::BackendContext& context) {
  if (file.telephony.backend == TelephonyConfig::Backend::kSip) {
    return std::make_unique<SipBackend>(file, context.downstream);
  }
  return serve::make_backend(file, context);
}

std::atomic<int> g_signal{0};
extern "C" void on_serve_signal(int signal) {
  if (g_signal.exchange(signal) != 0) _exit(128 + signal);
}

int serve_main(const ServeArgs& a) {
  if (a.routes) {
    for (const serve::RouteInfo& r : serve::Service::routes()) {
      std::printf("%s %s %s\n", r.method.c_str(), r.path.c_str(), r.auth.c_str());
    }
    return 0;
  }
  auto colon = a.listen.rfind(':');
  if (colon == std::string::npos) {
    throw Error(ErrorCode::kConfig, "--listen '" + a.listen + "': expected HOST:PORT");
  }
  serve::ServerOptions so;
  so.address = a.listen.substr(0, colon);
  if (so.address.size() > 2 && so.address.front() == '[' && so.address.back() == ']') {
    so.address = so.address.substr(1, so.address.size() - 2);  // [::1]:8080
  }
  if (so.address == "localhost") so.address = "127.0.0.1";
  try {
    int port = std::stoi(a.listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    so.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    throw Error(ErrorCode::kConfig, "--listen '" + a.listen + "': the port must be 0-65535");
  }
  so.tls_cert = a.tls_cert;
  so.tls_key = a.tls_key;
  so.threads = a.threads;

  auto store = serve::open_serve_store(a.storage_url);
  if (storage_kind(a.storage_url) == StorageKind::kMemory) {
    // Nothing outlives the process: the tokens of this run are made here and shown once.
    std::string lines;
    for (serve::Scope scope : {serve::Scope::kControl, serve::Scope::kRead}) {
      serve::NewToken t = serve::make_token(a.tenant, scope, "memory storage");
      store->put_token(t.record);
      lines += std::string(serve::to_string(scope)) + " " + t.token + "\n";
    }
    if (!a.token_file.empty()) {
      std::ofstream out(a.token_file);
      out << lines;
      chmod(a.token_file.c_str(), 0600);
      if (!out) throw Error(ErrorCode::kIo, a.token_file + ": cannot write the tokens");
    } else {
      std::printf("tokens of tenant %s (memory storage, this run only):\n%s", a.tenant.c_str(),
                  lines.c_str());
    }
  }
  serve::ServiceOptions options;
  options.storage_url = a.storage_url;
  options.speed = a.speed;
  options.rate_per_s = a.rate;
  options.rate_burst = 2 * a.rate;
  options.files_dir = a.files_dir;
  options.backend_factory = make_backend;
  serve::Service service(options, store.get());
  std::size_t campaigns = service.load();

  struct sigaction action {};
  action.sa_handler = on_serve_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  serve::Server server(&service, so);
  std::fprintf(stderr, "omnivox serve: %s://%s:%u (%zu campaigns, storage %s)\n",
               a.tls_cert.empty() ? "http" : "https", so.address.c_str(), server.port(), campaigns,
               mask_storage_url(a.storage_url).c_str());
  std::fflush(stdout);
  auto next_tick = std::chrono::steady_clock::now();
  while (g_signal.load() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (std::chrono::steady_clock::now() >= next_tick) {
      service.tick();
      next_tick += std::chrono::seconds(1);
    }
  }
  const int signal = g_signal.load();
  std::size_t left = service.stop_dialing();
  std::fprintf(stderr, "omnivox serve: %s: dialing stopped, %zu calls in flight\n",
               signal == SIGINT ? "SIGINT" : "SIGTERM", left);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(a.drain_s * 1000));
  while (left > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = service.calls_in_flight();
  }
  server.stop();
  return 128 + signal;
}

int token_main(const std::string& action, const TokenArgs& a) {
  if (storage_kind(a.storage_url) == StorageKind::kMemory) {
    std::fprintf(stderr,
                 "omnivox: error: --storage memory keeps tokens inside the serving process: "
                 "`omnivox serve --storage memory` prints its own\n");
    return 2;
  }
  auto store = serve::open_serve_store(a.storage_url);
  if (action == "create") {
    auto scope = serve::scope_from_string(a.scope);
    if (!scope) {
      std::fprintf(stderr, "omnivox: error: --scope '%s': expected read or control\n",
                   a.scope.c_str());
      return 2;
    }
    serve::NewToken t = serve::make_token(a.tenant, *scope, a.label);
    store->put_token(t.record);
    std::fprintf(stderr, "token %s of tenant %s, scope %s (shown once; only its hash is kept)\n",
                 t.record.id.c_str(), a.tenant.c_str(), serve::to_string(*scope));
    std::printf("%s\n", t.token.c_str());
    return 0;
  }
  if (action == "list") {
    std::printf("%-12s  %-16s  %-7s  %-24s  %-7s  %s\n", "id", "tenant", "scope", "created",
                "revoked", "label");
    for (const serve::TokenRecord& t : store->tokens()) {
      if (!a.tenant.empty() && t.tenant != a.tenant) continue;
      std::printf("%-12s  %-16s  %-7s  %-24s  %-7s  %s\n", t.id.c_str(), t.tenant.c_str(),
                  serve::to_string(t.scope), t.created_at.c_str(), t.revoked ? "yes" : "no",
                  t.label.c_str());
    }
    return 0;
  }
  if (!store->revoke_token(a.tenant, a.id)) {
    std::fprintf(stderr, "omnivox: error: tenant %s has no token '%s'\n", a.tenant.c_str(),
                 a.id.c_str());
    return 1;
  }
  std::fprintf(stderr, "token %s of tenant %s revoked\n", a.id.c_str(), a.tenant.c_str());
  return 0;
}

}  // namespace

std::function<int()> add_serve_commands(CLI::App& app) {
  auto serve_args = std::make_shared<ServeArgs>();
  CLI::App* s = app.add_subcommand(
      "serve", "Serve the stored campaigns: HTTP/JSON API, live events, metrics, live page");
  s->add_option("--storage", serve_args->storage_url,
                "Storage URL: memory (a demo: tokens printed) | sqlite:PATH | postgres://...")
      ->capture_default_str();
  s->add_option("--listen", serve_args->listen, "HOST:PORT to listen on (port 0: any free one)")
      ->capture_default_str();
  s->add_option("--tls-cert", serve_args->tls_cert, "PEM certificate chain: serve HTTPS");
  s->add_option("--tls-key", serve_args->tls_key, "PEM private key of --tls-cert");
  s->add_option("--speed", serve_args->speed,
                "Simulated campaigns: virtual seconds per wall second")
      ->check(CLI::Range(0.01, 1000.0))
      ->capture_default_str();
  s->add_option("--rate-limit", serve_args->rate, "Requests per second per token (burst: 2x)")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();
  s->add_option("--files-dir", serve_args->files_dir,
                "Folder the files a campaign names (replay data, WAV) must be in");
  s->add_option("--tenant", serve_args->tenant, "Memory storage: the tenant of the printed tokens")
      ->capture_default_str();
  s->add_option("--token-file", serve_args->token_file,
                "Memory storage: write the tokens here (mode 0600) instead of printing them");
  s->add_option("--drain-timeout", serve_args->drain_s,
                "On SIGINT/SIGTERM: seconds the calls in flight get to end")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  s->add_option("--threads", serve_args->threads, "HTTP threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  s->add_flag("--routes", serve_args->routes, "Print the route table (METHOD PATH AUTH) and exit");

  auto token_args = std::make_shared<TokenArgs>();
  auto action = std::make_shared<std::string>();
  CLI::App* t = app.add_subcommand("token", "Bearer tokens of `omnivox serve` (stored hashed)");
  t->require_subcommand(1);
  auto common = [&](CLI::App* cmd, bool tenant_required) {
    cmd->add_option("--storage", token_args->storage_url, "Storage URL")->required();
    if (tenant_required) {
      cmd->add_option("--tenant", token_args->tenant, "Tenant")->required();
    } else {
      cmd->add_option("--tenant", token_args->list_tenant, "Tenant (default: every tenant)");
    }
  };
  CLI::App* create = t->add_subcommand("create", "Make a token; prints it once on stdout");
  common(create, true);
  create->add_option("--scope", token_args->scope, "read (page, metrics, events) or control")
      ->required();
  create->add_option("--label", token_args->label, "A note shown by `token list`");
  CLI::App* list = t->add_subcommand("list", "The tokens (never the tokens themselves)");
  common(list, false);
  CLI::App* revoke = t->add_subcommand("revoke", "Revoke a token by its id");
  common(revoke, true);
  revoke->add_option("--id", token_args->id, "Token id (from `token list`)")->required();
  return [s, t, create, list, serve_args, token_args]() -> int {
    if (*s) return serve_main(*serve_args);
    if (*t) {
      if (*list) token_args->tenant = token_args->list_tenant;
      return token_main(*create ? "create" : *list ? "list" : "revoke", *token_args);
    }
    return -1;
  };
}

}  // namespace omnivox::cli
