// The SIP backend's media: SDP offer and answer (RFC 3264), RTP (RFC 3550) in G.711 (RFC 3551),
// answering-machine detection on the callee's audio, and messages played into a call.
#include <cerrno>
#include <cstring>

#include "telephony/sip/sip_internal.h"

namespace omnivox::sip_detail {

namespace {

constexpr std::size_t kSamplesPerPacket = 160;  // 20 ms at 8 kHz (RFC 3551 section 4.2)
constexpr std::uint64_t kPacketMs = 20;

bool law_of_payload(int pt, audio::G711Law* law) {
  if (pt == 0) {
    *law = audio::G711Law::kMuLaw;
    return true;
  }
  if (pt == 8) {
    *law = audio::G711Law::kALaw;
    return true;
  }
  return false;
}

}  // namespace

Media::~Media() {
  rtp = static_cast<struct rtp_sock*>(mem_deref(rtp));
  sdp = static_cast<sdp_session*>(mem_deref(sdp));
}

void Impl::validate_media_options() {
  // The detector checks its own thresholds; one built here turns a bad option into a
  // construction error instead of a failure on the first answered call.
  try {
    AmdDetector probe(options.amd);
  } catch (const Error& e) {
    throw Error(ErrorCode::kConfig, std::string("sip amd: ") + e.what());
  }
}

// A local RTP port from the range and an SDP offer of PCMU, PCMA and telephone-event
// (RFC 4733), so any G.711 trunk can answer.
int Impl::open_media(Media& media, void*, mbuf** offer) {
  int err = rtp_listen(&media.rtp, IPPROTO_UDP, &media_addr, options.rtp_port_min,
                       options.rtp_port_max, false, &Impl::on_rtp, nullptr, &media);
  if (err) return err;
  media.impl = this;
  media.tx_ts = rand_u32();
  err = sdp_session_alloc(&media.sdp, &media_addr);
  if (!err) {
    err = sdp_media_add(&media.m, media.sdp, "audio", sa_port(rtp_local(media.rtp)), "RTP/AVP");
  }
  if (!err) {
    err = sdp_format_add(nullptr, media.m, false, "0", "PCMU", 8000, 1, nullptr, nullptr, nullptr,
                         false, nullptr);
  }
  if (!err) {
    err = sdp_format_add(nullptr, media.m, false, "8", "PCMA", 8000, 1, nullptr, nullptr, nullptr,
                         false, nullptr);
  }
  if (!err) {
    err = sdp_format_add(nullptr, media.m, false, "101", "telephone-event", 8000, 1, nullptr,
                         nullptr, nullptr, false, "0-15");
  }
  if (!err) sdp_media_set_lattr(media.m, true, "ptime", "%u", 20u);
  if (!err && offer) err = sdp_encode(offer, media.sdp, true);
  return err;
}

// Takes the far end's RTP address and the first G.711 format it accepted from the SDP just
// decoded into the leg's session.
bool Impl::take_remote(Media& media) {
  if (!sdp_media_rport(media.m)) return false;
  const list* formats = sdp_media_format_lst(media.m, false);
  for (le* e = formats ? formats->head : nullptr; e; e = e->next) {
    auto* f = static_cast<const sdp_format*>(e->data);
    if (!f->sup) continue;
    audio::G711Law law;
    if (law_of_payload(f->pt, &law)) {
      media.law = law;
      media.remote = *sdp_media_raddr(media.m);
      media.remote_set = true;
      return true;
    }
  }
  return false;
}

// Reads the answer SDP: the far end's RTP address and codec.
bool Impl::accept_answer(Media& media, const sip_msg* msg) {
  if (!msg || !msg->mb || mbuf_get_left(msg->mb) == 0 || !media.sdp) return false;
  if (sdp_decode(media.sdp, msg->mb, false) != 0) return false;
  return take_remote(media);
}

// A re-INVITE from the far end (a session refresh, hold, a new media address): its offer is
// answered from the same formats and the leg follows the new address; a re-INVITE without SDP
// gets our offer again (RFC 3264 section 8). An offer without G.711 is refused (488).
int Impl::answer_offer(Media& media, const sip_msg* msg, mbuf** descp) {
  if (!media.sdp) return EPROTO;
  if (!msg || !msg->mb || mbuf_get_left(msg->mb) == 0) {
    return sdp_encode(descp, media.sdp, true);
  }
  if (int err = sdp_decode(media.sdp, msg->mb, true); err != 0) return err;
  if (!take_remote(media)) return EPROTO;
  media.tx_marker = true;
  return sdp_encode(descp, media.sdp, false);
}

int Impl::on_offer(mbuf** descp, const sip_msg* msg, void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->ended) return EPROTO;
  int err = EPROTO;
  c->impl->guarded("re-INVITE", [&] { err = c->impl->answer_offer(c->media, msg, descp); });
  return err;
}

void Impl::stop_media(Call& c) {
  tmr_cancel(&c.amd_tmr);
  tmr_cancel(&c.play_tmr);
  c.playback.reset();
  c.media.rtp = static_cast<struct rtp_sock*>(mem_deref(c.media.rtp));
}

// The callee answered: the detector starts on its audio, with a deadline in wall time in case
// no audio arrives (a trunk that sends none still gets a verdict).
void Impl::on_call_media_up(Call& c) {
  if (!c.request.amd || c.amd_done) return;  // or stop_amd() came first
  c.amd = std::make_unique<AmdDetector>(options.amd);
  auto deadline = options.amd.total_analysis_time + std::chrono::milliseconds(1000);
  tmr_start(&c.amd_tmr, static_cast<uint64_t>(deadline.count()), &Impl::on_amd_timer, &c);
}

void Impl::on_amd_timer(void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->ended || c->amd_done || !c->amd) return;
  c->impl->guarded("amd", [c] { c->impl->report_amd(*c, c->amd->finish()); });
}

void Impl::report_amd(Call& c, const AmdDecision& d) {
  if (c.amd_done) return;
  c.amd_done = true;
  c.amd_decided_at = std::chrono::steady_clock::now();
  tmr_cancel(&c.amd_tmr);
  AmdResult r = d.result == AmdResult::kNone ? AmdResult::kUnknown : d.result;
  emit(c, CallEventKind::kAmdResult, 200, FailReason::kNone, r);
  c.amd.reset();  // the audio is not analysed further
  if (r == AmdResult::kMachine) {
    // A voicemail message waits for the greeting's end: the beep is listened for from now on.
    c.beep = std::make_unique<BeepDetector>(options.amd);
    c.beep_since_ms = c.beep_heard_ms = tmr_jiffies();
  }
}

// No verdict is wanted any more (the call is bridged, or put through unclassified): the
// detector and its deadline go, and the callee's audio is no longer analysed.
void Impl::stop_detector(Call& c) {
  c.amd.reset();
  c.amd_done = true;
  tmr_cancel(&c.amd_tmr);
}

void Impl::cmd_stop_amd(CallId id) {
  if (Call* c = find_call(id)) stop_detector(*c);
}

void Impl::on_rtp(const sa*, const rtp_header* hdr, mbuf* mb, void* arg) {
  auto* media = static_cast<Media*>(arg);
  Impl* self = media->impl;
  if (!self || !hdr || !mb) return;
  self->stats_add(&SipStats::rtp_packets_received);
  const std::uint8_t* data = mbuf_buf(mb);
  std::size_t n = mbuf_get_left(mb);
  self->guarded("rtp", [&] {
    if (media->call && !media->call->ended) {
      self->customer_audio(*media->call, *hdr, data, n);
    } else if (media->agent && !media->agent->ended) {
      self->agent_audio(*media->agent, *hdr, data, n);
    }
  });
}

void Impl::customer_audio(Call& c, const rtp_header& hdr, const std::uint8_t* data, std::size_t n) {
  if (!c.answered) return;  // early media is not analysed
  audio::G711Law law;
  if (!law_of_payload(hdr.pt, &law) || n == 0) return;  // telephone-event, comfort noise, ...
  if (c.bridged_agent != kNoAgent) {
    auto it = agents.find(c.bridged_agent);
    if (it != agents.end() && it->second->up) {
      if (send_audio(it->second->media, data, n, law) && !c.first_relay_seen) {
        c.first_relay_seen = true;
        auto now = std::chrono::steady_clock::now();
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - c.bridged_at).count();
        std::lock_guard<std::mutex> lock(stats_mu);
        if (c.amd_decided_at != std::chrono::steady_clock::time_point{}) {
          counters.verdict_to_relay_us_last = static_cast<long>(
              std::chrono::duration_cast<std::chrono::microseconds>(now - c.amd_decided_at)
                  .count());
        }
        counters.bridge_delay_us_last = static_cast<long>(us);
        counters.bridge_delay_us_max =
            std::max(counters.bridge_delay_us_max, counters.bridge_delay_us_last);
      }
    }
    return;
  }
  if ((c.amd && !c.amd_done) || c.beep) {
    std::int16_t pcm[1024];
    std::size_t count = std::min(n, sizeof(pcm) / sizeof(pcm[0]));
    audio::g711_decode(law, {data, count}, {pcm, count});
    if (c.beep) {
      c.beep_heard_ms = tmr_jiffies();
      if (c.beep->feed({pcm, count})) greeting_ended(c);
    } else if (auto d = c.amd->feed({pcm, count})) {
      report_amd(c, *d);
    }
  }
}

// Sends G.711 bytes in `law` on `media`, transcoding to the leg's own law if they differ; the
// socket stamps its own SSRC and sequence number, the leg its own timestamp.
bool Impl::send_audio(Media& media, const std::uint8_t* g711, std::size_t n, audio::G711Law law) {
  if (!media.rtp || !media.remote_set || n == 0) return false;
  mbuf* mb = mbuf_alloc(RTP_HEADER_SIZE + n);
  if (!mb) return false;
  mb->pos = RTP_HEADER_SIZE;
  mb->end = RTP_HEADER_SIZE;
  if (law == media.law) {
    mbuf_write_mem(mb, g711, n);
  } else {
    std::int16_t pcm[1024];
    std::uint8_t out[1024];
    std::size_t count = std::min<std::size_t>(n, 1024);
    audio::g711_decode(law, {g711, count}, {pcm, count});
    audio::g711_encode(media.law, {pcm, count}, {out, count});
    mbuf_write_mem(mb, out, count);
    n = count;
  }
  mb->pos = RTP_HEADER_SIZE;
  int err = rtp_send(media.rtp, &media.remote, false, media.tx_marker,
                     static_cast<uint8_t>(audio::rtp_payload_type(media.law)), media.tx_ts, mb);
  mem_deref(mb);
  media.tx_marker = false;
  media.tx_ts += static_cast<std::uint32_t>(n);
  if (err) return false;
  stats_add(&SipStats::rtp_packets_sent);
  return true;
}

// ---- messages ----

std::shared_ptr<const std::vector<std::int16_t>> Impl::load_message(const std::string& message) {
  auto try_file =
      [this](const std::string& path) -> std::shared_ptr<const std::vector<std::int16_t>> {
    if (path.empty()) return nullptr;
    if (auto it = wav_cache.find(path); it != wav_cache.end()) return it->second;
    try {
      PcmAudio a = read_wav_file(path);
      auto pcm = std::make_shared<const std::vector<std::int16_t>>(std::move(a.samples));
      wav_cache.emplace(path, pcm);
      return pcm;
    } catch (const std::exception&) {
      return nullptr;
    }
  };
  if (auto pcm = try_file(message)) return pcm;
  if (auto pcm = try_file(options.default_message_wav)) return pcm;
  if (!options.default_message_wav.empty()) {
    log.log_limited(LogLevel::kWarn, "sip-default-wav",
                    "sip default_message_wav: \"" + options.default_message_wav +
                        "\" is not a readable 8 kHz mono WAV; message skipped");
  }
  return nullptr;
}

void Impl::cmd_play(CallId id, const std::string& message) {
  Call* c = find_call(id);
  if (!c || !c->answered) return;
  if (c->bridged_agent != kNoAgent) {
    log.log_limited(LogLevel::kWarn, "sip-play-bridged",
                    "sip: play() on a bridged call is ignored (the agent is speaking)");
    return;
  }
  if (!start_playback(*c, message, false)) {
    log.log_limited(LogLevel::kWarn, "sip-play",
                    "sip: message \"" + message +
                        "\" is not a readable WAV and no default_message_wav is set; skipped");
  }
}

bool Impl::start_playback(Call& c, const std::string& message, bool then_hangup) {
  auto pcm = load_message(message);
  if (!pcm || !c.media.remote_set) return false;
  Playback p;
  p.pcm = std::move(pcm);
  p.started_ms = tmr_jiffies();
  p.then_hangup = then_hangup || (c.playback && c.playback->then_hangup);
  p.after_greeting = c.beep != nullptr;  // a machine still greeting: the recording starts later
  c.playback = std::move(p);
  c.media.tx_marker = true;
  tmr_start(&c.play_tmr, 0, &Impl::on_play_timer, &c);
  return true;
}

// The machine's greeting ended (BeepDetector): a message waiting for it starts now.
void Impl::greeting_ended(Call& c) {
  c.beep.reset();
  if (!c.playback || !c.playback->after_greeting) return;
  c.playback->after_greeting = false;
  c.playback->started_ms = tmr_jiffies();
  tmr_start(&c.play_tmr, 0, &Impl::on_play_timer, &c);
}

void Impl::on_play_timer(void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->ended) return;
  c->impl->guarded("play", [c] { c->impl->play_tick(*c); });
}

// One 20 ms packet per tick; ticks are scheduled against the start time so the stream keeps
// real time whatever the timer's lateness.
void Impl::play_tick(Call& c) {
  if (!c.playback) return;
  Playback& p = *c.playback;
  if (p.after_greeting) {
    // The detector decides on the audio; these wall-clock bounds cover a far end that stops
    // sending it (silence suppression) or sends none.
    const std::uint64_t now = tmr_jiffies();
    const auto ms = [](Duration d) { return static_cast<std::uint64_t>(d.count()); };
    if (now - c.beep_heard_ms < ms(options.amd.beep_silence) &&
        now - c.beep_since_ms < ms(options.amd.beep_max_wait)) {
      tmr_start(&c.play_tmr, kPacketMs * 5, &Impl::on_play_timer, &c);
      return;
    }
    greeting_ended(c);
    return;
  }
  const auto& pcm = *p.pcm;
  if (p.pos < pcm.size()) {
    std::size_t count = std::min(kSamplesPerPacket, pcm.size() - p.pos);
    std::uint8_t g711[kSamplesPerPacket];
    audio::g711_encode(c.media.law, {pcm.data() + p.pos, count}, {g711, count});
    send_audio(c.media, g711, count, c.media.law);
    p.pos += count;
    ++p.packets;
  }
  if (p.pos >= pcm.size()) {
    bool hang = p.then_hangup || c.hangup_requested;
    c.playback.reset();
    if (hang) {
      stats_add(&SipStats::byes_sent);
      end_answered(c, 200);
    }
    return;
  }
  std::uint64_t next = p.started_ms + p.packets * kPacketMs;
  std::uint64_t now = tmr_jiffies();
  tmr_start(&c.play_tmr, next > now ? next - now : 0, &Impl::on_play_timer, &c);
}

}  // namespace omnivox::sip_detail
