// The Telephony interface: how the engine places and controls calls, and how the telephony
// backend reports back. In the style of LevelDB's Env: small, abstract, non-copyable, with a
// forwarding TelephonyWrapper so tests can inject faults.
#ifndef OMNIVOX_TELEPHONY_H_
#define OMNIVOX_TELEPHONY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "omnivox/model.h"
#include "omnivox/types.h"

namespace omnivox {

/// What the engine asks telephony to dial.
struct OriginateRequest {
  CallId call_id = kNoCall;           ///< the engine's id; events must carry it back
  ContactId contact_id = kNoContact;  ///< the contact called
  std::string external_id;            ///< the contact's host id (lets a simulator replay data)
  std::string campaign_id;            ///< the contact's campaign
  std::string to;                     ///< E.164
  std::string from;                   ///< caller ID, E.164
  std::uint16_t attempt_number = 1;   ///< 1-based, over the contact's lifetime
  Duration ring_timeout{25000};       ///< give up ringing after this; report NO_ANSWER
  bool amd = false;                   ///< run answering-machine detection
};

/// Kinds of call events, the canonical vocabulary every backend maps its own onto.
enum class CallEventKind : std::uint8_t {
  kInitiated,  ///< the provider accepted the call (DIALING)
  kRinging,    ///< the far end is ringing
  kAnswered,   ///< the far end picked up (person or machine not yet known)
  kAmdResult,  ///< AMD finished: see CallEvent::amd
  kBridged,    ///< connected to the agent given in bridge()
  kCompleted,  ///< ended normally after an answer (hangup by either side)
  kBusy,       ///< ended: busy
  kNoAnswer,   ///< ended: rang out
  kFailed,     ///< ended: could not be placed (see fail_reason, provider_code)
  kCanceled,   ///< ended: canceled before answer at the engine's request
};
const char* to_string(CallEventKind k);
/// True for the kinds that end a call.
inline bool ends_call(CallEventKind k) { return k >= CallEventKind::kCompleted; }

/// One event about one call, as reported by telephony.
struct CallEvent {
  CallId call_id = kNoCall;      ///< the engine's id from OriginateRequest
  std::string provider_call_id;  ///< e.g. Twilio's CallSid; may be empty for the simulator
  CallEventKind kind = CallEventKind::kInitiated;  ///< what happened
  std::uint32_t sequence = 0;        ///< provider sequence number; (call, sequence) deduplicates
  TimePoint timestamp{};             ///< when it happened, UTC (0 = use the engine clock)
  AmdResult amd = AmdResult::kNone;  ///< for kAmdResult
  FailReason fail_reason = FailReason::kNone;  ///< for kFailed
  int provider_code = 0;                       ///< SIP response or provider error code; 0 if none
};

/// An inbound call telephony has answered and hands to the engine to queue (omnivox/inbound.h).
/// Its later events come through CallEventSink::on_call_event with the same call_id: kBridged
/// after Telephony::bridge(), kCompleted when either side hangs up (before an agent took it,
/// the caller abandoned).
struct InboundCall {
  CallId call_id = kNoCall;      ///< chosen by telephony, >= kFirstInboundCallId (model.h)
  std::string provider_call_id;  ///< e.g. Twilio's CallSid; may be empty
  std::string to;                ///< the dialled number (DID), E.164: selects the queue
  std::string from;              ///< the caller's number, E.164 if known
  TimePoint timestamp{};         ///< arrival, UTC (0 = use the engine clock)
};

/// Where telephony reports events. Thread-safe: may be called from any thread, at any time
/// after originate() returned (never from inside originate()/hangup()/bridge()/play() on the
/// engine's own thread — schedule instead), and must not block.
class CallEventSink {
 public:
  virtual ~CallEventSink() = default;
  /// Reports one event about one call (any thread, never blocks).
  virtual void on_call_event(const CallEvent& event) = 0;
  /// An inbound call arrived. Default: ignored (a sink that takes no inbound calls; the caller
  /// hears ringing until telephony gives up).
  virtual void on_inbound_call(const InboundCall& call) {}
};

/// Places and controls calls. All methods are called from the engine's thread, must not block
/// (queue work and report through the sink), and must not throw: report a failure as a kFailed
/// event instead.
class Telephony {
 public:
  Telephony() = default;
  Telephony(const Telephony&) = delete;
  Telephony& operator=(const Telephony&) = delete;
  virtual ~Telephony() = default;

  /// Called once by the engine before any other method; events go to `sink` from then on.
  virtual void start(CallEventSink* sink) = 0;
  /// Starts dialing. The outcome arrives as events.
  virtual void originate(const OriginateRequest& request) = 0;
  /// Ends the call (cancels it if not answered yet). A kCompleted or kCanceled event follows.
  virtual void hangup(CallId call) = 0;
  /// Connects the answered call to the agent. A kBridged event follows (or an ending event).
  virtual void bridge(CallId call, AgentId agent) = 0;
  /// Plays a message (safe-harbor or voicemail drop) to the answered call.
  virtual void play(CallId call, const std::string& message) = 0;
  /// Stops answering-machine detection on an answered call the engine puts through without
  /// waiting for it (AMD suspended at the abandon cap: EngineOptions::suspend_amd_at_cap). The
  /// backend should stop classifying the call's audio and free what the detection holds; no
  /// kAmdResult should follow. A result reported anyway (already on its way, or a backend that
  /// cannot stop its provider's detection) is dropped by the engine. Default: nothing.
  virtual void stop_amd(CallId call) {}
  /// Stops: no events after it returns.
  virtual void stop() {}
  /// Restart reconciliation: what the backend knows now of a call an earlier engine placed and
  /// never saw end (`attempt` is the open attempt from Storage: call_id, provider_call_id,
  /// number). Returns the call's ending event (kind with ends_call() true, timestamps, codes)
  /// if the provider says it has ended; an event of another kind if it is still live (the
  /// engine then hangs it up); nullopt if the backend cannot tell (the default: the simulator
  /// forgets calls with its process). May block briefly (it is called once per open attempt
  /// when a campaign starts); must not throw.
  virtual std::optional<CallEvent> lookup_call(const Attempt& attempt) { return std::nullopt; }
  /// Whether a call this backend places can go on after the engine's process dies (a carrier,
  /// a PBX: true, the default) or ends with it (a simulator in the engine's process: false).
  /// When true the engine makes each attempt durable in storage before its originate leaves it,
  /// so that a restarted engine knows every call that may still be up (docs/storage.md, "Group
  /// commit"); when false a crash loses the calls with the buffered attempts, and the engine
  /// commits in larger groups. Must not throw.
  virtual bool calls_outlive_engine() const { return true; }
};

/// Forwards every call to another Telephony; subclass it to intercept some.
class TelephonyWrapper : public Telephony {
 public:
  explicit TelephonyWrapper(Telephony* target) : target_(target) {}
  Telephony* target() const { return target_; }
  void start(CallEventSink* sink) override { target_->start(sink); }
  void originate(const OriginateRequest& request) override { target_->originate(request); }
  void hangup(CallId call) override { target_->hangup(call); }
  void bridge(CallId call, AgentId agent) override { target_->bridge(call, agent); }
  void play(CallId call, const std::string& message) override { target_->play(call, message); }
  void stop_amd(CallId call) override { target_->stop_amd(call); }
  void stop() override { target_->stop(); }
  std::optional<CallEvent> lookup_call(const Attempt& attempt) override {
    return target_->lookup_call(attempt);
  }
  bool calls_outlive_engine() const override { return target_->calls_outlive_engine(); }

 private:
  Telephony* target_;
};

}  // namespace omnivox

#endif  // OMNIVOX_TELEPHONY_H_
