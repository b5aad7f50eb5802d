// The engine's types in plain forms: see plain_forms.h.
#include "bindings_support/plain_forms.h"

#include <cmath>
#include <string>
#include <utility>

namespace omnivox::bindings_support {

void throw_out_of_range(std::string_view what, long long value, ErrorCode code) {
  throw Error(code, std::string(what) + " (" + std::to_string(value) + ") is out of range");
}

InboundQueueConfig inbound_queue_from(std::string id, std::vector<std::string> numbers,
                                      int priority, std::int64_t answer_within_ms,
                                      double service_level_target, std::string_view prefix) {
  if (answer_within_ms < 0) {
    throw Error(ErrorCode::kConfig, std::string(prefix) + "answer_within_ms is negative");
  }
  InboundQueueConfig q;
  q.id = std::move(id);
  q.numbers = std::move(numbers);
  q.priority = priority;
  q.answer_within = Duration(answer_within_ms);
  q.service_level_target = service_level_target;
  return q;
}

BlendingConfig blending_from(int rule, int reserve, std::string queue, int min_free_all,
                             int min_free_outbound, double kappa, int c, std::string_view prefix) {
  const std::string p(prefix);
  BlendingConfig b;
  b.rule =
      checked_enum<BlendingRule>(rule, static_cast<int>(BlendingRule::kDialxfree) + 1, p + "rule");
  b.reserve = reserve;
  b.queue = std::move(queue);
  b.min_free_all = min_free_all;
  b.min_free_outbound = min_free_outbound;
  if (!std::isfinite(kappa)) throw Error(ErrorCode::kConfig, p + "kappa is not finite");
  b.kappa = kappa;
  b.c = c;
  return b;
}

AgentState host_agent_state(int state, std::string_view what) {
  const auto s = static_cast<AgentState>(state);
  if (s != AgentState::kLoggedOut && s != AgentState::kAvailable && s != AgentState::kPaused) {
    throw Error(ErrorCode::kInvalidArgument, std::string(what) + " (" + std::to_string(state) +
                                                 ") is not LOGGED_OUT, AVAILABLE or PAUSED");
  }
  return s;
}

std::pair<Disposition, std::optional<TimePoint>> agent_disposition(int disposition,
                                                                   std::int64_t callback_at_ms,
                                                                   std::string_view prefix) {
  const std::string p(prefix);
  const auto d = checked_enum<Disposition>(disposition, kDispositionCount, p + "disposition");
  if (!is_agent_disposition(d)) {
    throw Error(
        ErrorCode::kInvalidArgument,
        p + "disposition " + to_string(d) + " is not an agent disposition (SALE .. COMPLETED)");
  }
  if (callback_at_ms < 0) {
    throw Error(ErrorCode::kInvalidArgument, p + "callback_at_ms is negative");
  }
  std::optional<TimePoint> at;
  if (callback_at_ms > 0) at = time_of(callback_at_ms);
  if (d == Disposition::kCallback && !at) {
    throw Error(ErrorCode::kInvalidArgument, p + "callback_at_ms is required for CALLBACK");
  }
  return {d, at};
}

}  // namespace omnivox::bindings_support
