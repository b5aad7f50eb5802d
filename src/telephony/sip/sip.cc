// SipTelephony: SIP calls through a trunk on one libre event loop. See include/omnivox/sip.h and
// docs/sip.md.
//
// Everything libre owns (the SIP stack, sessions, SDP, RTP sockets, timers) lives on the loop
// thread: libre keeps its main-loop state per thread (re_thread_init), so a second backend in the
// same process runs its own loop. Other threads reach the loop through a command queue and an
// mqueue wake-up.
#include <sys/resource.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string_view>

#include "telephony/sip/sip_internal.h"

namespace omnivox {

using sip_detail::Call;

SipCredentials SipCredentials::from_environment() {
  const char* user = std::getenv("OMNIVOX_SIP_USERNAME");
  const char* pass = std::getenv("OMNIVOX_SIP_PASSWORD");
  if (!user && !pass) return {};
  if (!user) throw Error(ErrorCode::kConfig, "OMNIVOX_SIP_USERNAME is not set (the password is)");
  if (!pass) throw Error(ErrorCode::kConfig, "OMNIVOX_SIP_PASSWORD is not set (the username is)");
  return SipCredentials{user, pass};
}

namespace sip_detail {

namespace {

// "host:port" → sa; throws Error(kConfig) naming `field`.
sa parse_hostport(const std::string& text, const char* field) {
  sa addr;
  if (sa_decode(&addr, text.c_str(), text.size()) != 0) {
    throw Error(ErrorCode::kConfig, std::string("sip ") + field + ": \"" + text +
                                        "\" is not host:port with a numeric IP address");
  }
  return addr;
}

}  // namespace

Impl::Impl(SipOptions o) : options(std::move(o)), log(options.log_sink) {
  listen_addr = parse_hostport(options.listen, "listen");
  if (options.trunk.empty()) throw Error(ErrorCode::kConfig, "sip trunk: required");
  {
    pl p;
    pl_set_str(&p, options.trunk.c_str());
    uri u;
    if (uri_decode(&u, &p) != 0 || pl_strcasecmp(&u.scheme, "sip") != 0 || !pl_isset(&u.host)) {
      throw Error(ErrorCode::kConfig,
                  "sip trunk: \"" + options.trunk + "\" is not a SIP URI like sip:host:port");
    }
    trunk_host = std::string(u.host.p, u.host.l);
    if (u.af == AF_INET6) trunk_host = "[" + trunk_host + "]";
    trunk_hostport = trunk_host + ":" + std::to_string(u.port ? u.port : 5060);
  }
  if (options.rtp_port_min == 0 || options.rtp_port_max < options.rtp_port_min) {
    throw Error(ErrorCode::kConfig, "sip rtp_port_min/rtp_port_max: need 0 < min <= max");
  }
  if (!(options.calls_per_second > 0.0)) {
    throw Error(ErrorCode::kConfig, "sip calls_per_second: must be > 0");
  }
  if (options.max_queue_wait.count() < 0) {
    throw Error(ErrorCode::kConfig, "sip max_queue_wait: must be >= 0");
  }
  if (options.options_interval.count() < 0) {
    throw Error(ErrorCode::kConfig, "sip options_interval: must be >= 0");
  }
  if (!options.credentials.username.empty() && options.credentials.password.empty()) {
    throw Error(ErrorCode::kConfig, "sip credentials.password: required with a username");
  }
  validate_media_options();
  interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / options.calls_per_second));

  std::promise<std::string> ready;
  auto started = ready.get_future();
  thread = std::thread([this, &ready] { run(ready); });
  std::string error = started.get();
  if (!error.empty()) {
    thread.join();
    throw Error(ErrorCode::kIo, error);
  }
}

Impl::~Impl() { shutdown(); }

void Impl::run(std::promise<std::string>& ready) {
  std::string error;
  bool initialised = false;
  if (int err = re_thread_init(); err != 0 && err != EALREADY) {
    ready.set_value("sip: libre thread init failed: " + std::string(std::strerror(err)));
    return;
  }
  try {
    error = setup_loop();
    initialised = error.empty();
  } catch (const std::exception& e) {
    error = std::string("sip: ") + e.what();
  }
  if (!initialised) {
    teardown_loop();
    re_thread_close();
    ready.set_value(error);
    return;
  }
  ready.set_value({});
  re_main(nullptr);
  teardown_loop();
  re_thread_close();
}

std::string Impl::setup_loop() {
  if (int err = libre_init(); err != 0) {
    return "sip: libre_init: " + std::string(std::strerror(err));
  }
  // One descriptor per call (its RTP socket): libre's table grows to the process limit, not
  // its default of 1024.
  {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
        lim.rlim_cur > 1024) {
      (void)fd_setsize(static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 1 << 20)));
    }
  }
  if (int err = mqueue_alloc(&mq, &Impl::on_mqueue, this); err != 0) {
    return "sip: command queue: " + std::string(std::strerror(err));
  }
  // A DNS client so a trunk given by name resolves (RFC 3263); IP trunks never use it.
  {
    sa servers[4];
    uint32_t n = 4;
    char domain[64] = "";
    if (dns_srv_get(domain, sizeof(domain), servers, &n) == 0 && n > 0) {
      (void)dnsc_alloc(&dns_client, nullptr, servers, n);
    }
  }
  if (int err = sip_alloc(&stack, dns_client, 4096, 4096, 256, options.user_agent.c_str(),
                          &Impl::on_sip_exit, this);
      err != 0) {
    return "sip: sip_alloc: " + std::string(std::strerror(err));
  }
  if (int err = sip_transp_add(stack, SIP_TRANSP_UDP, &listen_addr); err != 0) {
    return "sip listen: cannot bind UDP " + options.listen + ": " + std::strerror(err);
  }
  sa bound;
  if (sip_transp_laddr(stack, &bound, SIP_TRANSP_UDP, nullptr) == 0) {
    bound_port.store(sa_port(&bound));
  }
  if (int err = sipsess_listen(&sess_sock, stack, 4096, &Impl::on_incoming, this); err != 0) {
    return "sip: sipsess_listen: " + std::string(std::strerror(err));
  }
  media_addr = listen_addr;
  sa_set_port(&media_addr, 0);
  if (sa_is_any(&media_addr)) {
    if (net_default_source_addr_get(sa_af(&listen_addr), &media_addr) != 0) {
      sa_set_str(&media_addr, "127.0.0.1", 0);
    }
  }
  local_host = fmt_sa_ip(media_addr);
  // Inbound ids start from the wall clock in microseconds, so a restarted process does not hand
  // out an id an earlier one gave (their records may be stored).
  next_inbound_id = kFirstInboundCallId +
                    static_cast<CallId>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  if (options.options_interval.count() > 0) {
    tmr_start(&options_tmr, static_cast<uint64_t>(options.options_interval.count()),
              &Impl::on_options_timer, this);
  }
  return {};
}

void Impl::teardown_loop() {
  tmr_cancel(&options_tmr);
  tmr_cancel(&pace_tmr);
  tmr_cancel(&reap_tmr);
  tmr_cancel(&stop_tmr);
  graveyard.clear();
  calls.clear();
  agents.clear();
  sess_sock = static_cast<sipsess_sock*>(mem_deref(sess_sock));
  if (stack && !stopping) {
    sip_close(stack, true);
    stack = static_cast<struct sip*>(mem_deref(stack));
  } else if (stack) {
    // sip_close(false) was called: the stack's destructor ran the exit handler and kept it
    // alive; the forced close ends transactions that outlived the grace period first.
    if (!sip_exited) sip_close(stack, true);
    if (sip_exited) {
      stack = static_cast<struct sip*>(mem_deref(stack));
    } else {
      log.log(LogLevel::kWarn, "sip: the SIP stack did not close; its memory is left");
    }
  }
  dns_client = static_cast<struct dnsc*>(mem_deref(dns_client));
  {
    std::lock_guard<std::mutex> lock(cmd_mu);
    stopped = true;
    mq = static_cast<mqueue*>(mem_deref(mq));
  }
  libre_close();
}

std::string Impl::fmt_sa_ip(const sa& addr) {
  char buf[64] = "";
  sa_ntop(&addr, buf, sizeof(buf));
  std::string s = buf;
  if (sa_af(&addr) == AF_INET6) s = "[" + s + "]";
  return s;
}

// ---- commands from other threads ----

void Impl::post(std::function<void()> fn) {
  // The wake-up is pushed under the lock: once stop() has set `stopped`, the loop may free the
  // mqueue.
  std::lock_guard<std::mutex> lock(cmd_mu);
  if (stopped || !mq) return;
  commands.push_back(std::move(fn));
  if (!wake_pending) {
    wake_pending = true;
    mqueue_push(mq, 0, nullptr);
  }
}

void Impl::on_mqueue(int, void*, void* arg) {
  auto* self = static_cast<Impl*>(arg);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(self->cmd_mu);
    batch.swap(self->commands);
    self->wake_pending = false;
  }
  for (auto& fn : batch) self->guarded("command", fn);
}

void Impl::guarded(const char* what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    log.log(LogLevel::kError, std::string("sip: ") + what + ": " + e.what());
  } catch (...) {
    log.log(LogLevel::kError, std::string("sip: ") + what + ": unknown exception");
  }
}

void Impl::shutdown() {
  {
    std::lock_guard<std::mutex> lock(sink_mu);
    sink = nullptr;
  }
  if (!thread.joinable()) return;
  post([this] { begin_stop(); });
  {
    std::lock_guard<std::mutex> lock(cmd_mu);
    stopped = true;
  }
  thread.join();
}

// Ends every call and agent leg (libre sends CANCEL or BYE and waits for their transactions),
// then closes the stack; the loop ends when the stack has finished, or after a grace period.
void Impl::begin_stop() {
  stopping = true;
  tmr_cancel(&options_tmr);
  tmr_cancel(&pace_tmr);
  queue.clear();
  std::vector<CallId> ids;
  for (auto& [id, call] : calls) ids.push_back(id);
  for (CallId id : ids) {
    auto it = calls.find(id);
    if (it == calls.end()) continue;
    Call& c = *it->second;
    if (c.sess && c.answered) stats_add(&SipStats::byes_sent);
    if (c.sess && !c.answered) stats_add(&SipStats::cancels_sent);
    retire_call(id);
  }
  std::vector<AgentId> agent_ids;
  for (auto& [id, leg] : agents) agent_ids.push_back(id);
  for (AgentId id : agent_ids) drop_agent(id, false);
  reap();
  sess_sock = static_cast<sipsess_sock*>(mem_deref(sess_sock));
  sip_close(stack, false);  // the exit handler runs when the last transaction ends
  tmr_start(&stop_tmr, 2000, &Impl::on_stop_timer, this);
}

void Impl::on_sip_exit(void* arg) {
  auto* self = static_cast<Impl*>(arg);
  self->sip_exited = true;
  if (self->stopping) re_cancel();
}

void Impl::on_stop_timer(void* arg) {
  (void)arg;
  re_cancel();
}

// ---- events and stats ----

void Impl::emit(Call& c, CallEventKind kind, int code, FailReason reason, AmdResult amd) {
  CallEvent e;
  e.call_id = c.request.call_id;
  e.provider_call_id = c.sip_call_id;
  e.kind = kind;
  e.sequence = ++c.sequence;
  e.timestamp = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  e.amd = amd;
  e.fail_reason = reason;
  e.provider_code = code;
  std::lock_guard<std::mutex> lock(sink_mu);
  if (sink) sink->on_call_event(e);
}

void Impl::stats_add(long SipStats::*field, long n) {
  std::lock_guard<std::mutex> lock(stats_mu);
  counters.*field += n;
}

// ---- call lifetime ----

// Ends a call's record: its timers stop, its session is released (libre sends CANCEL before an
// answer, BYE after, unless the far end ended it) and its media closes. The record itself is
// freed on a later loop turn, as libre may be inside one of its callbacks now.
void Impl::retire_call(CallId id) {
  auto it = calls.find(id);
  if (it == calls.end()) return;
  std::unique_ptr<Call> c = std::move(it->second);
  calls.erase(it);
  c->ended = true;
  tmr_cancel(&c->ring_tmr);
  stop_media(*c);
  if (c->bridged_agent != kNoAgent) unbridge_agent(c->bridged_agent);
  c->sess = static_cast<sipsess*>(mem_deref(c->sess));
  if (c->invite_sent) {
    std::lock_guard<std::mutex> lock(stats_mu);
    --counters.calls_now;
  }
  graveyard.push_back(std::move(c));
  if (!tmr_isrunning(&reap_tmr)) tmr_start(&reap_tmr, 0, &Impl::on_reap, this);
}

void Impl::on_reap(void* arg) { static_cast<Impl*>(arg)->reap(); }

void Impl::reap() {
  graveyard.clear();
  agent_graveyard.clear();
}

Call* Impl::find_call(CallId id) {
  auto it = calls.find(id);
  return it == calls.end() ? nullptr : it->second.get();
}

// ---- originate, pacing ----

void Impl::cmd_originate(const OriginateRequest& request) {
  if (stopping) return;
  if (calls.count(request.call_id)) {
    log.log(LogLevel::kWarn,
            "sip: originate for call " + std::to_string(request.call_id) + " already open");
    return;
  }
  auto c = std::make_unique<Call>();
  c->impl = this;
  c->request = request;
  auto now = std::chrono::steady_clock::now();
  auto start = std::max(next_slot, now) + interval * static_cast<std::int64_t>(queue.size());
  if (start - now > options.max_queue_wait) {
    stats_add(&SipStats::queue_overflows);
    emit(*c, CallEventKind::kFailed, 503, FailReason::kNetwork);
    return;
  }
  CallId id = request.call_id;
  calls.emplace(id, std::move(c));
  queue.push_back(id);
  pump();
}

void Impl::pump() {
  while (!queue.empty() && !stopping) {
    auto now = std::chrono::steady_clock::now();
    if (now < next_slot) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_slot - now).count();
      tmr_start(&pace_tmr, static_cast<uint64_t>(std::max<std::int64_t>(wait, 1)),
                &Impl::on_pace_timer, this);
      return;
    }
    CallId id = queue.front();
    queue.pop_front();
    Call* c = find_call(id);
    if (!c) continue;
    // Slots follow each other, so timer lateness does not lower the rate; a slot missed by more
    // than one interval is not made up (never two INVITEs closer than the CPS allows twice).
    next_slot = (now - next_slot < interval ? next_slot : now) + interval;
    send_invite(*c);
  }
}

void Impl::on_pace_timer(void* arg) {
  auto* self = static_cast<Impl*>(arg);
  self->guarded("pacing", [self] { self->pump(); });
}

std::string Impl::request_uri_for(const std::string& to) const {
  std::string user = to;
  if (!options.keep_plus_in_request_uri && !user.empty() && user[0] == '+') user.erase(0, 1);
  return "sip:" + user + "@" + trunk_hostport;
}

int Impl::auth_handler(char** username, char** password, const char* realm, void* arg) {
  auto* self = static_cast<Impl*>(arg);
  self->stats_add(&SipStats::auth_challenges);
  const auto& cred = self->options.credentials;
  if (cred.username.empty()) return EAUTH;
  (void)realm;
  int err = str_dup(username, cred.username.c_str());
  if (!err) err = str_dup(password, cred.password.c_str());
  return err;
}

void Impl::send_invite(Call& c) {
  CallId id = c.request.call_id;
  mbuf* offer = nullptr;
  c.media.call = &c;
  int err = open_media(c.media, this, &offer);
  if (err) {
    log.log_limited(LogLevel::kWarn, "sip-rtp", "sip: no RTP port: " + std::string(strerror(err)));
    emit(c, CallEventKind::kFailed, 503, FailReason::kNetwork);
    retire_call(id);
    return;
  }
  std::string to_uri = request_uri_for(c.request.to);
  std::string from_user = c.request.from.empty() ? "omnivox" : c.request.from;
  std::string from_uri = "sip:" + from_user + "@" + trunk_host;
  err = sipsess_connect(&c.sess, sess_sock, to_uri.c_str(), from_user.c_str(), from_uri.c_str(),
                        "omnivox", nullptr, 0, "application/sdp", offer, &Impl::auth_handler, this,
                        false, &Impl::on_offer, &Impl::on_answer, &Impl::on_progress,
                        &Impl::on_established, nullptr, nullptr, &Impl::on_close, &c, nullptr);
  mem_deref(offer);
  if (err) {
    log.log_limited(LogLevel::kWarn, "sip-invite",
                    "sip: INVITE to " + to_uri + " not sent: " + strerror(err));
    emit(c, CallEventKind::kFailed, 503, FailReason::kNetwork);
    retire_call(id);
    return;
  }
  c.sip_call_id = sip_dialog_callid(sipsess_dialog(c.sess));
  c.invite_sent = true;
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++counters.invites_sent;
    ++counters.calls_now;
  }
  emit(c, CallEventKind::kInitiated, 0);
  auto ring_ms = std::max<std::int64_t>(c.request.ring_timeout.count(), 1);
  tmr_start(&c.ring_tmr, static_cast<uint64_t>(ring_ms), &Impl::on_ring_timeout, &c);
}

// ---- libre callbacks of a customer call ----

void Impl::on_progress(const sip_msg* msg, void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->ended) return;
  c->impl->guarded("progress", [c, msg] {
    if (!c->ringing_reported) {
      c->ringing_reported = true;
      c->impl->emit(*c, CallEventKind::kRinging, msg->scode);
    }
  });
}

int Impl::on_answer(const sip_msg* msg, void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->ended) return 0;
  int result = 0;
  c->impl->guarded("answer", [&] {
    if (!c->impl->accept_answer(c->media, msg)) {
      c->no_codec = true;
      result = EPROTO;  // libre ACKs, then sends BYE and reports the close
    }
  });
  return result;
}

void Impl::on_established(const sip_msg* msg, void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->ended) return;
  Impl* self = c->impl;
  self->guarded("established", [self, c, msg] {
    tmr_cancel(&c->ring_tmr);
    c->answered = true;
    self->stats_add(&SipStats::answered);
    if (!c->ringing_reported) c->ringing_reported = true;
    self->emit(*c, CallEventKind::kAnswered, msg ? msg->scode : 200);
    self->on_call_media_up(*c);
    if (c->hangup_requested) self->cmd_hangup(c->request.call_id);
  });
}

void Impl::on_close(int err, const sip_msg* msg, void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->ended) return;
  Impl* self = c->impl;
  self->guarded("close", [self, c, err, msg] {
    CallId id = c->request.call_id;
    c->sess = static_cast<sipsess*>(mem_deref(c->sess));  // terminated: no further callbacks
    if (c->no_codec) {
      self->stats_add(&SipStats::byes_sent);
      self->emit(*c, CallEventKind::kFailed, 488, FailReason::kNetwork);
      self->retire_call(id);
      return;
    }
    if (c->answered) {
      // The far end hung up (BYE) or the dialog failed.
      if (err == ECONNRESET) self->stats_add(&SipStats::byes_received);
      self->end_answered(*c, 200);
      return;
    }
    if (msg && msg->scode >= 300) {
      SipOutcome o = sip_final_code_to_outcome(msg->scode, false);
      self->emit(*c, o.kind, msg->scode, o.fail_reason);
    } else {
      // No final response: Timer B fired (RFC 3261 17.1.1.2) or the transport failed.
      int code = err == ETIMEDOUT ? 408 : 503;
      self->log.log_limited(LogLevel::kWarn, "sip-transport",
                            "sip: call " + c->sip_call_id + " failed without a response: " +
                                std::string(strerror(err ? err : EPROTO)));
      self->emit(*c, CallEventKind::kFailed, code, FailReason::kNetwork);
    }
    self->retire_call(id);
  });
}

void Impl::on_ring_timeout(void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->ended || c->answered) return;
  Impl* self = c->impl;
  self->guarded("ring timeout", [self, c] {
    // CANCEL (RFC 3261 section 9): libre sends it once a provisional response has arrived and
    // absorbs the 487; a 200 crossing it is ACKed and ended with BYE by libre.
    self->stats_add(&SipStats::cancels_sent);
    if (c->ringing_reported) {
      self->emit(*c, CallEventKind::kNoAnswer, 487);
    } else {
      // Not even a 100 Trying: the trunk is unreachable or silent (libre does not see ICMP
      // errors on UDP), which is no statement about the callee; reported as Timer B would be.
      self->log.log_limited(LogLevel::kWarn, "sip-silent-trunk",
                            "sip: trunk " + self->options.trunk +
                                " sent no response to an INVITE within the ring timeout");
      self->emit(*c, CallEventKind::kFailed, 408, FailReason::kNetwork);
    }
    self->retire_call(c->request.call_id);
  });
}

// Ends an answered call after its end was decided (BYE received or sent).
void Impl::end_answered(Call& c, int code) {
  emit(c, CallEventKind::kCompleted, code);
  retire_call(c.request.call_id);
}

// ---- hangup ----

void Impl::cmd_hangup(CallId id) {
  Call* c = find_call(id);
  if (!c) return;
  if (!c->invite_sent) {
    queue.erase(std::remove(queue.begin(), queue.end(), id), queue.end());
    emit(*c, CallEventKind::kCanceled, 0);
    retire_call(id);
    return;
  }
  if (!c->answered) {
    stats_add(&SipStats::cancels_sent);
    emit(*c, CallEventKind::kCanceled, 487);
    retire_call(id);
    return;
  }
  if (playing(*c)) {
    c->hangup_requested = true;  // the message is heard to its end first
    return;
  }
  stats_add(&SipStats::byes_sent);
  end_answered(*c, 200);
}

// ---- incoming requests ----

void Impl::on_incoming(const sip_msg* msg, void* arg) {
  auto* self = static_cast<Impl*>(arg);
  if (!msg) return;
  self->guarded("incoming INVITE", [self, msg] {
    if (self->stopping) {
      self->stats_add(&SipStats::inbound_refused);
      (void)sip_treply(nullptr, self->stack, msg, 503, "Service Unavailable");
      return;
    }
    self->accept_inbound(*msg);
  });
}

// The configured number the INVITE dials: its Request-URI user, else its To user, compared with
// and without a leading "+" (trunks differ in writing E.164). Empty when none matches.
std::string Impl::inbound_number_for(const sip_msg& msg) const {
  auto bare = [](std::string_view s) { return !s.empty() && s[0] == '+' ? s.substr(1) : s; };
  for (const pl* user : {&msg.uri.user, &msg.to.uri.user}) {
    if (!pl_isset(user)) continue;
    const std::string dialled(user->p, user->l);
    for (const std::string& number : options.inbound_numbers) {
      if (bare(number) == bare(dialled)) return number;
    }
  }
  return {};
}

// An ACD answers at once and queues the caller (the wait is measured from the answer, as the
// engine's service level counts it); the caller hears nothing until an agent is bridged.
void Impl::accept_inbound(const sip_msg& msg) {
  const std::string number = inbound_number_for(msg);
  const std::string caller =
      pl_isset(&msg.from.uri.user) ? std::string(msg.from.uri.user.p, msg.from.uri.user.l) : "";
  if (number.empty()) {
    const std::string dialled =
        pl_isset(&msg.uri.user) ? std::string(msg.uri.user.p, msg.uri.user.l) : "(no user)";
    log.log_limited(LogLevel::kWarn, "sip-inbound-unknown",
                    "sip: inbound INVITE to " + dialled + " from " + caller +
                        " refused (404): no inbound queue serves that number");
    stats_add(&SipStats::inbound_refused);
    (void)sip_treply(nullptr, stack, &msg, 404, "Not Found");
    return;
  }
  auto c = std::make_unique<Call>();
  c->impl = this;
  c->inbound = true;
  c->request.call_id = next_inbound_id++;
  c->request.to = number;
  c->request.from = caller;
  c->media.call = c.get();
  mbuf* answer = nullptr;
  int err = open_media(c->media, nullptr, nullptr);
  if (err) {
    log.log_limited(LogLevel::kWarn, "sip-rtp", "sip: no RTP port: " + std::string(strerror(err)));
    stats_add(&SipStats::inbound_refused);
    (void)sip_treply(nullptr, stack, &msg, 503, "Service Unavailable");
    return;
  }
  // An offer without G.711 is refused (RFC 3261 section 13.3.1.3); an INVITE without SDP gets
  // our offer in the 200 and its answer comes in the ACK (on_answer).
  err = answer_offer(c->media, &msg, &answer);
  if (err) {
    mem_deref(answer);
    stats_add(&SipStats::inbound_refused);
    (void)sip_treply(nullptr, stack, &msg, 488, "Not Acceptable Here");
    return;
  }
  err = sipsess_accept(&c->sess, sess_sock, &msg, 200, "OK", "omnivox", "application/sdp", answer,
                       &Impl::auth_handler, this, false, &Impl::on_offer, &Impl::on_answer,
                       &Impl::on_inbound_established, nullptr, nullptr, &Impl::on_close, c.get(),
                       nullptr);
  mem_deref(answer);
  if (err) {
    log.log_limited(LogLevel::kWarn, "sip-inbound",
                    "sip: inbound INVITE to " + number + " not answered: " + strerror(err));
    stats_add(&SipStats::inbound_refused);
    (void)sip_treply(nullptr, stack, &msg, 500, "Server Internal Error");
    return;
  }
  // The dialog exists and is answered: hangup() sends BYE, bridge() connects it.
  c->invite_sent = true;
  c->answered = true;
  c->ringing_reported = true;
  c->sip_call_id = std::string(msg.callid.p, msg.callid.l);
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++counters.inbound_answered;
    ++counters.calls_now;
  }
  InboundCall in;
  in.call_id = c->request.call_id;
  in.provider_call_id = c->sip_call_id;
  in.to = number;
  in.from = caller;
  in.timestamp = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  calls.emplace(in.call_id, std::move(c));
  std::lock_guard<std::mutex> lock(sink_mu);
  if (sink) sink->on_inbound_call(in);
}

void Impl::on_inbound_established(const sip_msg*, void* arg) {
  // The caller's ACK: nothing to do, the call was reported at the answer.
  (void)arg;
}

// ---- OPTIONS keep-alive ----

void Impl::on_options_timer(void* arg) {
  auto* self = static_cast<Impl*>(arg);
  self->guarded("options", [self] { self->send_options(); });
  if (!self->stopping) {
    tmr_start(&self->options_tmr, static_cast<uint64_t>(self->options.options_interval.count()),
              &Impl::on_options_timer, self);
  }
}

void Impl::send_options() {
  if (!stack || stopping) return;
  std::string uri = "sip:" + trunk_hostport;
  std::string from = "sip:omnivox@" + local_host;
  sip_dialog* dlg = nullptr;
  if (int err = sip_dialog_alloc(&dlg, uri.c_str(), uri.c_str(), nullptr, from.c_str(), nullptr, 0);
      err != 0) {
    log.log_limited(LogLevel::kWarn, "sip-options",
                    "sip: OPTIONS not sent: " + std::string(strerror(err)));
    return;
  }
  int err = sip_drequestf(nullptr, stack, true, "OPTIONS", dlg, 0, nullptr, nullptr,
                          &Impl::on_options_response, this, "Content-Length: 0\r\n\r\n");
  mem_deref(dlg);
  if (err) {
    log.log_limited(LogLevel::kWarn, "sip-options",
                    "sip: OPTIONS to " + uri + " not sent: " + strerror(err));
  }
}

void Impl::on_options_response(int err, const sip_msg* msg, void* arg) {
  auto* self = static_cast<Impl*>(arg);
  if (self->stopping) return;
  // Any response shows the trunk alive (a 405 too); only silence and 5xx/6xx are worth a line.
  if (err) {
    self->log.log_limited(
        LogLevel::kWarn, "sip-options",
        "sip: trunk " + self->options.trunk + " did not answer OPTIONS: " + strerror(err));
  } else if (msg && msg->scode >= 500) {
    self->log.log_limited(LogLevel::kWarn, "sip-options",
                          "sip: trunk " + self->options.trunk + " answered OPTIONS with " +
                              std::to_string(msg->scode));
  }
}

}  // namespace sip_detail

// ---- the public face ----

struct SipTelephony::Impl : sip_detail::Impl {
  using sip_detail::Impl::Impl;
};

SipTelephony::SipTelephony(SipOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

SipTelephony::~SipTelephony() { impl_->shutdown(); }

void SipTelephony::start(CallEventSink* sink) {
  std::lock_guard<std::mutex> lock(impl_->sink_mu);
  impl_->sink = sink;
}

void SipTelephony::originate(const OriginateRequest& request) {
  sip_detail::Impl* impl = impl_.get();
  impl->post([impl, request] { impl->cmd_originate(request); });
}

void SipTelephony::hangup(CallId call) {
  sip_detail::Impl* impl = impl_.get();
  impl->post([impl, call] { impl->cmd_hangup(call); });
}

void SipTelephony::bridge(CallId call, AgentId agent) {
  sip_detail::Impl* impl = impl_.get();
  impl->post([impl, call, agent] { impl->cmd_bridge(call, agent); });
}

void SipTelephony::play(CallId call, const std::string& message) {
  sip_detail::Impl* impl = impl_.get();
  impl->post([impl, call, message] { impl->cmd_play(call, message); });
}

void SipTelephony::stop_amd(CallId call) {
  sip_detail::Impl* impl = impl_.get();
  impl->post([impl, call] { impl->cmd_stop_amd(call); });
}

void SipTelephony::stop() { impl_->shutdown(); }

void SipTelephony::connect_agent(AgentId agent, const std::string& uri) {
  sip_detail::Impl* impl = impl_.get();
  impl->post([impl, agent, uri] { impl->cmd_connect_agent(agent, uri); });
}

void SipTelephony::disconnect_agent(AgentId agent) {
  sip_detail::Impl* impl = impl_.get();
  impl->post([impl, agent] { impl->drop_agent(agent, true); });
}

SipStats SipTelephony::stats() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mu);
  return impl_->counters;
}

std::uint16_t SipTelephony::local_port() const { return impl_->bound_port.load(); }

}  // namespace omnivox
