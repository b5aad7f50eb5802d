// The SIP backend's agent legs and bridges: each agent's phone is called once and kept up
// ("nailed up"); a bridge relays RTP between a customer leg and an agent leg in-process (a
// back-to-back user agent), so connecting an answered person costs one packet, not a SIP round
// trip. docs/sip.md explains why this is preferred to re-INVITEs (RFC 3725).
#include <cerrno>
#include <cstring>

#include "telephony/sip/sip_internal.h"

namespace omnivox::sip_detail {

void Impl::report_agent(AgentId agent, bool up) {
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    std::size_t n = 0;
    for (auto& [id, leg] : agents) n += leg->up ? 1 : 0;
    counters.agents_up = n;
  }
  if (options.on_agent_leg) {
    try {
      options.on_agent_leg(agent, up);
    } catch (const std::exception& e) {
      log.log(LogLevel::kError, std::string("sip: on_agent_leg threw: ") + e.what());
    } catch (...) {
      log.log(LogLevel::kError, "sip: on_agent_leg threw");
    }
  }
}

void Impl::cmd_connect_agent(AgentId agent, const std::string& uri) {
  if (stopping) return;
  if (agents.count(agent)) return;  // connected or connecting already
  auto leg = std::make_unique<AgentLeg>();
  leg->impl = this;
  leg->agent = agent;
  leg->uri = uri;
  leg->media.agent = leg.get();
  mbuf* offer = nullptr;
  int err = open_media(leg->media, nullptr, &offer);
  if (!err) {
    std::string from = "sip:omnivox@" + local_host;
    if (bound_port.load()) from += ":" + std::to_string(bound_port.load());
    err = sipsess_connect(&leg->sess, sess_sock, uri.c_str(), "omnivox", from.c_str(), "omnivox",
                          nullptr, 0, "application/sdp", offer, &Impl::auth_handler, this, false,
                          &Impl::on_agent_offer, &Impl::on_agent_answer, nullptr,
                          &Impl::on_agent_established, nullptr, nullptr, &Impl::on_agent_close,
                          leg.get(), nullptr);
  }
  mem_deref(offer);
  if (err) {
    log.log(LogLevel::kWarn, "sip: agent " + std::to_string(agent) + " leg to " + uri +
                                 " not started: " + std::strerror(err));
    report_agent(agent, false);
    return;
  }
  stats_add(&SipStats::invites_sent);
  agents.emplace(agent, std::move(leg));
}

int Impl::on_agent_answer(const sip_msg* msg, void* arg) {
  auto* leg = static_cast<AgentLeg*>(arg);
  if (leg->ended) return 0;
  bool ok = false;
  leg->impl->guarded("agent answer", [&] { ok = leg->impl->accept_answer(leg->media, msg); });
  return ok ? 0 : EPROTO;
}

int Impl::on_agent_offer(mbuf** descp, const sip_msg* msg, void* arg) {
  auto* leg = static_cast<AgentLeg*>(arg);
  if (leg->ended) return EPROTO;
  int err = EPROTO;
  leg->impl->guarded("agent re-INVITE",
                     [&] { err = leg->impl->answer_offer(leg->media, msg, descp); });
  return err;
}

void Impl::on_agent_established(const sip_msg*, void* arg) {
  auto* leg = static_cast<AgentLeg*>(arg);
  if (leg->ended) return;
  leg->up = true;
  leg->impl->guarded("agent up", [leg] { leg->impl->report_agent(leg->agent, true); });
}

void Impl::on_agent_close(int err, const sip_msg* msg, void* arg) {
  auto* leg = static_cast<AgentLeg*>(arg);
  if (leg->ended) return;
  Impl* self = leg->impl;
  self->guarded("agent close", [self, leg, err, msg] {
    if (err == ECONNRESET) self->stats_add(&SipStats::byes_received);
    if (!leg->up) {
      std::string why = msg ? std::to_string(msg->scode) : std::string(std::strerror(err));
      self->log.log(LogLevel::kWarn, "sip: agent " + std::to_string(leg->agent) + " leg to " +
                                         leg->uri + " failed: " + why);
    }
    leg->sess = static_cast<sipsess*>(mem_deref(leg->sess));
    self->drop_agent(leg->agent, true);
  });
}

// Closes an agent's leg (BYE when up). A customer bridged to it hears the safe-harbor message
// and is hung up.
void Impl::drop_agent(AgentId agent, bool report) {
  auto it = agents.find(agent);
  if (it == agents.end()) return;
  std::unique_ptr<AgentLeg> leg = std::move(it->second);
  agents.erase(it);
  leg->ended = true;
  bool was_up = leg->up;
  leg->up = false;
  if (leg->sess && was_up) stats_add(&SipStats::byes_sent);
  leg->sess = static_cast<sipsess*>(mem_deref(leg->sess));
  leg->media.rtp = static_cast<struct rtp_sock*>(mem_deref(leg->media.rtp));
  CallId call = leg->bridged_call;
  agent_graveyard.push_back(std::move(leg));
  if (!tmr_isrunning(&reap_tmr)) tmr_start(&reap_tmr, 0, &Impl::on_reap, this);
  if (report) report_agent(agent, false);
  if (call != kNoCall) {
    if (Call* c = find_call(call)) {
      c->bridged_agent = kNoAgent;
      if (!stopping) safe_harbor_then_hangup(*c);
    }
  }
}

// The customer's call ended: the agent's leg stays up and is free for the next call.
void Impl::unbridge_agent(AgentId agent) {
  auto it = agents.find(agent);
  if (it != agents.end()) it->second->bridged_call = kNoCall;
}

// Plays the default message (a safe-harbor notice) and then hangs up; hangs up at once when
// there is no message to play.
void Impl::safe_harbor_then_hangup(Call& c) {
  if (start_playback(c, options.default_message_wav, true)) return;
  stats_add(&SipStats::byes_sent);
  end_answered(c, 200);
}

void Impl::cmd_bridge(CallId id, AgentId agent) {
  Call* c = find_call(id);
  if (!c) return;
  if (!c->answered) {
    log.log(LogLevel::kWarn, "sip: bridge() of unanswered call " + std::to_string(id));
    return;
  }
  auto it = agents.find(agent);
  AgentLeg* leg = it == agents.end() ? nullptr : it->second.get();
  if (!leg || !leg->up || leg->bridged_call != kNoCall) {
    log.log(LogLevel::kWarn, "sip: agent " + std::to_string(agent) +
                                 (leg && leg->up ? " is on another call" : " has no leg up") +
                                 "; call " + std::to_string(id) + " gets the message and ends");
    safe_harbor_then_hangup(*c);
    return;
  }
  if (c->playback) {
    tmr_cancel(&c->play_tmr);
    c->playback.reset();
  }
  stop_detector(*c);  // the agent hears the callee from now on
  c->bridged_agent = agent;
  c->bridged_at = std::chrono::steady_clock::now();
  c->first_relay_seen = false;
  c->media.tx_marker = true;
  leg->media.tx_marker = true;
  leg->bridged_call = id;
  stats_add(&SipStats::bridges);
  emit(*c, CallEventKind::kBridged, 200);
}

void Impl::agent_audio(AgentLeg& leg, const rtp_header& hdr, const std::uint8_t* data,
                       std::size_t n) {
  if (leg.bridged_call == kNoCall) return;
  audio::G711Law law = hdr.pt == 8 ? audio::G711Law::kALaw : audio::G711Law::kMuLaw;
  if (hdr.pt != 0 && hdr.pt != 8) return;
  Call* c = find_call(leg.bridged_call);
  if (!c || c->ended) return;
  send_audio(c->media, data, n, law);
}

}  // namespace omnivox::sip_detail
