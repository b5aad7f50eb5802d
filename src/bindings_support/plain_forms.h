// The engine's types in plain forms, written once for every language adapter: the C API
// (include/omnivox/omnivox.h), the Java facade (bindings/swig/facade) and the Python module
// (bindings/python). A plain form is a struct of integers, doubles, enums and strings: times are
// milliseconds since the Unix epoch (UTC), durations milliseconds, per-state and per-disposition
// counts arrays indexed by the enum's value.
//
// Each function fills any struct that names its fields as the C API does (at_ms, attempts, ...),
// so the C structs and the Java facade's records take the same conversion. What a field's type
// asks for decides its form (put() below): `const char*` borrows the source's string (valid while
// the source lives), `std::string` copies it; a signed agent id is -1 for no agent, an unsigned
// one keeps kNoAgent (OMNIVOX_NO_AGENT). Fields one form has and another lacks (a C struct's
// `version` and fixed-capacity counts, the Java records' campaign id) are filled where present.
//
// Internal: not installed. Thread-safety: pure functions of their arguments.
#ifndef OMNIVOX_SRC_BINDINGS_SUPPORT_PLAIN_FORMS_H_
#define OMNIVOX_SRC_BINDINGS_SUPPORT_PLAIN_FORMS_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/import.h"
#include "omnivox/inbound.h"
#include "omnivox/model.h"
#include "omnivox/telephony.h"
#include "omnivox/types.h"

namespace omnivox::bindings_support {

// How many values the enums without a count constant of their own have.
inline constexpr int kCallEventKindCount = static_cast<int>(CallEventKind::kCanceled) + 1;
inline constexpr int kAmdResultCount = static_cast<int>(AmdResult::kUnknown) + 1;
inline constexpr int kFailReasonCount = static_cast<int>(FailReason::kUnknown) + 1;

inline std::int64_t ms_of(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint time_of(std::int64_t ms) { return TimePoint(Duration(ms)); }

// Throws Error(code) "`what` (value) is out of range" (bindings_support.cc).
[[noreturn]] void throw_out_of_range(std::string_view what, long long value,
                                     ErrorCode code = ErrorCode::kInvalidArgument);

/// `value` as the enum E of `count` values (0 .. count - 1), from an int or any enum (a host
/// language's mirror of E). Throws Error(code) naming `what` and the value when out of range.
template <typename E, typename V>
E checked_enum(V value, int count, std::string_view what,
               ErrorCode code = ErrorCode::kInvalidArgument) {
  long long v;
  if constexpr (std::is_enum_v<V>) {
    v = static_cast<long long>(static_cast<std::underlying_type_t<V>>(value));
  } else {
    v = static_cast<long long>(value);
  }
  if (v < 0 || v >= count) throw_out_of_range(what, v, code);
  return static_cast<E>(v);
}

// ---- one field in its plain form ----

template <typename T>
void put(T& out, TimePoint t) {
  out = static_cast<T>(ms_of(t));
}
inline void put(const char*& out, const std::string& s) { out = s.c_str(); }
inline void put(std::string& out, const std::string& s) { out = s; }
template <typename T, typename S>
requires(std::is_arithmetic_v<S> || std::is_enum_v<S>) void put(T& out, S value) {
  if constexpr (std::is_enum_v<S>) {
    out = static_cast<T>(static_cast<int>(value));
  } else {
    out = static_cast<T>(value);
  }
}
/// An agent id: -1 for kNoAgent in a signed field, the id itself in an unsigned one.
template <typename T>
void put_agent(T& out, AgentId agent) {
  if constexpr (std::is_signed_v<T>) {
    out = agent == kNoAgent ? T(-1) : static_cast<T>(agent);
  } else {
    out = static_cast<T>(agent);
  }
}
/// The counts of `in` into the array `out` (its capacity may be larger; the rest is left).
template <typename Out, std::size_t M, typename In, std::size_t N>
void put_counts(Out (&out)[M], const In (&in)[N]) {
  static_assert(N <= M, "a plain form holds every count");
  for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<Out>(in[i]);
}

// ---- statistics ----

/// A campaign's live statistics (CampaignStatistics).
template <typename Out>
void fill_statistics(const CampaignStatistics& s, Out& r) {
  if constexpr (requires { r.campaign_id; }) put(r.campaign_id, s.campaign_id);
  put(r.at_ms, s.at);
  put(r.attempts, s.attempts);
  put(r.attempts_in_flight, s.attempts_in_flight);
  put(r.live_answers, s.live_answers);
  put(r.machines, s.machines);
  put(r.abandons, s.abandons);
  put(r.connects, s.connects);
  // C's omnivox_statistics is fixed in layout: the C API gives this one in its own struct.
  if constexpr (requires { r.amd_suspended; }) put(r.amd_suspended, s.amd_suspended);
  put(r.abandon_rate, s.abandon_rate);
  if constexpr (requires { r.abandon_rate_window; }) {
    put(r.abandon_rate_window, s.abandon_rate_window);
  }
  put(r.occupancy, s.occupancy);
  put(r.dial_level, s.dial_level);
  put(r.talk_seconds, s.talk_seconds);
  put(r.wrap_seconds, s.wrap_seconds);
  put(r.logged_in_seconds, s.logged_in_seconds);
  put(r.contacts_total, s.contacts_total);
  put(r.contacts_final, s.contacts_final);
  put(r.dial_queue_size, s.dial_queue_size);
  // Int fields: C's fixed-capacity counts (the Java record has a method disposition_count).
  if constexpr (requires { r.agent_state_count = 0u; }) r.agent_state_count = kAgentStateCount;
  if constexpr (requires { r.disposition_count = 0u; }) r.disposition_count = kDispositionCount;
  // A form that keeps its counts under other names fills them with put_counts itself.
  if constexpr (requires { r.agents_by_state; }) put_counts(r.agents_by_state, s.agents_by_state);
  if constexpr (requires { r.dispositions; }) put_counts(r.dispositions, s.dispositions);
}

/// What agents did over a span (AgentActivity).
template <typename Out>
void fill_activity(const AgentActivity& a, Out& r) {
  put(r.start_ms, a.start);
  put(r.end_ms, a.end);
  put(r.calls_handled, a.calls_handled);
  put(r.talk_seconds, a.talk_seconds);
  put(r.wrap_seconds, a.wrap_seconds);
  put(r.idle_seconds, a.idle_seconds);
  put(r.paused_seconds, a.paused_seconds);
  put(r.logged_in_seconds, a.logged_in_seconds);
  put(r.occupancy, a.occupancy);
  put(r.longest_idle_seconds, a.longest_idle_seconds);
  if constexpr (requires { r.disposition_count = 0u; }) r.disposition_count = kDispositionCount;
  if constexpr (requires { r.dispositions; }) put_counts(r.dispositions, a.dispositions);
}

/// One agent of a snapshot (AgentSummary), without its activity.
template <typename Out>
void fill_agent_summary(const AgentSummary& a, Out& r) {
  put_agent(r.agent, a.agent);
  put(r.name, a.name);
  put(r.state, a.state);
  put(r.seconds_in_state, a.seconds_in_state);
}

/// An inbound queue's statistics (InboundQueueStatistics).
template <typename Out>
void fill_inbound_statistics(const InboundQueueStatistics& s, Out& r) {
  if constexpr (requires { r.queue_id; }) put(r.queue_id, s.queue_id);
  put(r.offered, s.offered);
  put(r.answered, s.answered);
  put(r.abandoned, s.abandoned);
  put(r.answered_within, s.answered_within);
  put(r.abandoned_within, s.abandoned_within);
  put(r.waiting, s.waiting);
  put(r.wait_seconds_answered, s.wait_seconds_answered);
  put(r.wait_seconds_abandoned, s.wait_seconds_abandoned);
  put(r.handle_seconds, s.handle_seconds);
  put(r.service_level, s.service_level);
  if constexpr (requires { r.asa_seconds; }) {
    put(r.asa_seconds, s.asa_s);
  } else {
    put(r.asa_s, s.asa_s);
  }
  put(r.abandon_rate, s.abandon_rate);
}

/// What a contact import did (ImportReport): the row counts, and where the form has a summary,
/// "loaded N of M rows, rejected K" with the first ImportReport::summary() errors.
template <typename Out>
void fill_import_report(const ImportReport& r, Out& out) {
  put(out.rows_read, r.rows_read);
  put(out.rows_loaded, r.rows_loaded);
  put(out.rows_rejected, r.rows_rejected);
  if constexpr (requires { out.summary = std::string(); }) out.summary = r.summary();
}

// ---- events and call records ----

template <typename Out>
void fill_call_state_event(const CallStateChange& c, Out& e) {
  put(e.at_ms, c.at);
  put(e.campaign_id, c.campaign_id);
  put(e.call_id, c.call_id);
  put(e.contact_id, c.contact_id);
  put(e.from, c.from);
  put(e.to, c.to);
  put_agent(e.agent, c.agent);
}

template <typename Out>
void fill_agent_state_event(const AgentStateChange& c, Out& e) {
  put(e.at_ms, c.at);
  put(e.campaign_id, c.campaign_id);
  put_agent(e.agent, c.agent);
  put(e.from, c.from);
  put(e.to, c.to);
  put(e.call_id, c.call_id);
}

template <typename Out>
void fill_pacing_event(const PacingDecision& d, Out& e) {
  put(e.at_ms, d.at);
  put(e.campaign_id, d.campaign_id);
  put(e.policy, d.policy);
  put(e.agents_idle, d.agents_idle);
  put(e.agents_busy, d.agents_busy);
  put(e.calls_pending, d.calls_pending);
  put(e.requested, d.requested);
  put(e.allowed, d.allowed);
  put(e.launched, d.launched);
}

/// A call record (Attempt): the fields a finished-attempt event carries, and the storage
/// record's (number index, caller id, provider fields, AMD) where the form has them.
template <typename Out>
void fill_attempt(const Attempt& a, Out& r) {
  put(r.call_id, a.call_id);
  put(r.contact_id, a.contact_id);
  put(r.campaign_id, a.campaign_id);
  put(r.number, a.number);
  if constexpr (requires { r.number_index; }) put(r.number_index, a.number_index);
  put(r.attempt_number, a.attempt_number);
  if constexpr (requires { r.caller_id; }) put(r.caller_id, a.caller_id);
  if constexpr (requires { r.provider_call_id; }) put(r.provider_call_id, a.provider_call_id);
  put(r.state, a.state);
  if constexpr (requires { r.fail_reason; }) put(r.fail_reason, a.fail_reason);
  if constexpr (requires { r.amd; }) put(r.amd, a.amd);
  put(r.disposition, a.disposition);
  put_agent(r.agent, a.agent);
  put(r.created_at_ms, a.created_at);
  put(r.answered_at_ms, a.answered_at);
  put(r.bridged_at_ms, a.bridged_at);
  put(r.ended_at_ms, a.ended_at);
  if constexpr (requires { r.provider_code; }) put(r.provider_code, a.provider_code);
}

/// What the engine asks a host's telephony backend to dial (OriginateRequest).
template <typename Out>
void fill_originate_request(const OriginateRequest& q, Out& r) {
  put(r.call_id, q.call_id);
  put(r.contact_id, q.contact_id);
  put(r.external_id, q.external_id);
  put(r.campaign_id, q.campaign_id);
  put(r.to, q.to);
  put(r.from, q.from);
  put(r.attempt_number, q.attempt_number);
  put(r.ring_timeout_ms, q.ring_timeout.count());
  put(r.amd, q.amd);
}

/// A host's call event (omnivox_call_event, the Java CallEventData) as the engine's CallEvent.
/// Throws Error(kInvalidArgument) naming the field (`prefix` + its name, e.g. "event.kind") for
/// an enum out of range, a negative timestamp or a sequence outside 0 .. 2^32 - 1. `text(value,
/// name)` makes the provider's call id a string (the C API checks NULL, length and UTF-8 there).
template <typename In, typename Text>
CallEvent call_event_from(const In& e, std::string_view prefix, Text&& text) {
  const std::string p(prefix);
  CallEvent out;
  out.call_id = static_cast<CallId>(e.call_id);
  out.kind = checked_enum<CallEventKind>(e.kind, kCallEventKindCount, p + "kind");
  out.amd = checked_enum<AmdResult>(e.amd, kAmdResultCount, p + "amd");
  out.fail_reason = checked_enum<FailReason>(e.fail_reason, kFailReasonCount, p + "fail_reason");
  if constexpr (std::is_signed_v<decltype(e.sequence)>) {
    if (e.sequence < 0 || e.sequence > std::numeric_limits<std::uint32_t>::max()) {
      throw_out_of_range(p + "sequence", e.sequence);
    }
  }
  out.sequence = static_cast<std::uint32_t>(e.sequence);
  if (e.timestamp_ms < 0) {
    throw Error(ErrorCode::kInvalidArgument, p + "timestamp_ms is negative");
  }
  out.timestamp = time_of(e.timestamp_ms);
  out.provider_call_id = text(e.provider_call_id, p + "provider_call_id");
  out.provider_code = e.provider_code;
  return out;
}

// ---- what a host sets, from its plain form ----
// `prefix` starts every message and names the fields' owner ("queue->", "Engine.setBlending: ").

/// An inbound queue: its id, dialled numbers (E.164; the engine checks them), priority, the
/// service level's T in ms and target. Throws Error(kConfig) for a negative T.
InboundQueueConfig inbound_queue_from(std::string id, std::vector<std::string> numbers,
                                      int priority, std::int64_t answer_within_ms,
                                      double service_level_target, std::string_view prefix);

/// A campaign's blending rule (docs/blending.md). Throws Error(kInvalidArgument) for a rule
/// out of range, Error(kConfig) for a kappa that is not finite.
BlendingConfig blending_from(int rule, int reserve, std::string queue, int min_free_all,
                             int min_free_outbound, double kappa, int c, std::string_view prefix);

/// A state a host may give an agent: LOGGED_OUT, AVAILABLE or PAUSED (the engine sets the
/// others). Throws Error(kInvalidArgument) naming `what` otherwise.
AgentState host_agent_state(int state, std::string_view what);

/// An agent's disposition of a call (SALE .. COMPLETED) and its callback time (ms since the
/// epoch; 0 = none): CALLBACK needs one. Throws Error(kInvalidArgument) naming `prefix`'s
/// arguments otherwise. The engine checks the time itself; a host that applies the call later
/// (the C API's engine threads) checks first so that the error reaches its caller.
std::pair<Disposition, std::optional<TimePoint>> agent_disposition(int disposition,
                                                                   std::int64_t callback_at_ms,
                                                                   std::string_view prefix);

}  // namespace omnivox::bindings_support

#endif  // OMNIVOX_SRC_BINDINGS_SUPPORT_PLAIN_FORMS_H_
