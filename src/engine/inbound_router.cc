#include "engine/inbound_router.h"

#include <algorithm>
#include <cmath>

#include "omnivox/blending.h"

namespace omnivox {

const char* to_string(BlendingRule rule) {
  switch (rule) {
    case BlendingRule::kNone:
      return "none";
    case BlendingRule::kThreshold:
      return "threshold";
    case BlendingRule::kServiceLevel:
      return "service_level";
    case BlendingRule::kDialxfree:
      return "dialxfree";
  }
  return "none";
}

namespace detail {

namespace {
// The arrival rate of kServiceLevel is measured over this window (and needs a few minutes).
constexpr Duration kRateWindow = std::chrono::minutes(30);
constexpr Duration kMinRateData = std::chrono::minutes(5);
constexpr Duration kSolveEvery = std::chrono::seconds(10);
// Calls between two feedback corrections of kServiceLevel's reserve.
constexpr long kFeedbackCalls = 50;
constexpr double kPriorHandleS = 180.0;
}  // namespace

void InboundRouter::add_queue(const InboundQueueConfig& config) {
  if (config.id.empty()) throw Error(ErrorCode::kConfig, "inbound queue id: must not be empty");
  if (config.answer_within < Duration(0)) {
    throw Error(ErrorCode::kConfig, "inbound queue " + config.id + ": answer_within is negative");
  }
  if (!(config.service_level_target >= 0 && config.service_level_target <= 1)) {
    throw Error(ErrorCode::kConfig,
                "inbound queue " + config.id + ": service_level_target must be in [0, 1]");
  }
  std::size_t index = queues_.size();
  for (std::size_t i = 0; i < queues_.size(); ++i) {
    if (queues_[i].config.id == config.id) index = i;  // replaced: keeps its calls and counts
  }
  if (index == queues_.size()) queues_.emplace_back();
  Queue& q = queues_[index];
  q.config = config;
  q.stats.queue_id = config.id;
  by_number_[config.id] = index;
  for (const auto& number : config.numbers) by_number_[number] = index;
}

void InboundRouter::set_skills(AgentId agent, const AgentSkills& skills) {
  for (const auto& skill : skills.queues) {
    if (skill.queue.empty()) throw Error(ErrorCode::kConfig, "agent skill: empty queue id");
  }
  for (auto& [queue, by_agent] : skill_of_queue_) {
    if (agent < by_agent.size()) by_agent[agent] = kNoSkill;
  }
  for (const auto& skill : skills.queues) {
    std::vector<int>& by_agent = skill_of_queue_[skill.queue];
    if (by_agent.size() <= agent) by_agent.resize(agent + 1, kNoSkill);
    by_agent[agent] = skill.priority;
  }
  inbound_only_ += (skills.outbound ? 0 : 1) - (takes_outbound(agent) ? 0 : 1);
  if (inbound_only_by_agent_.size() <= agent) inbound_only_by_agent_.resize(agent + 1, false);
  inbound_only_by_agent_[agent] = !skills.outbound;
  skills_[agent] = skills;
}

void InboundRouter::set_blending(const std::string& campaign_id, const BlendingConfig& config) {
  if (config.reserve < 0) throw Error(ErrorCode::kConfig, "blending.reserve: must be >= 0");
  if (!(config.kappa >= 0 && config.kappa <= 100)) {
    throw Error(ErrorCode::kConfig, "blending.kappa: must be in [0, 100]");
  }
  if (config.min_free_all < 0 || config.min_free_outbound < 0) {
    throw Error(ErrorCode::kConfig, "blending.min_free_all / min_free_outbound: must be >= 0");
  }
  Blend& b = blends_[campaign_id];
  b.config = config;
  b.reserve = config.reserve;
  b.offset = 0;
  b.next_solve = TimePoint{};
}

std::vector<std::string> InboundRouter::queue_ids() const {
  std::vector<std::string> ids;
  for (const auto& q : queues_) ids.push_back(q.config.id);
  return ids;
}

InboundQueueStatistics InboundRouter::statistics(const std::string& queue_id) const {
  for (const auto& q : queues_) {
    if (q.config.id != queue_id) continue;
    InboundQueueStatistics s = q.stats;
    s.waiting = static_cast<long>(q.waiting.size());
    const long ended = s.answered + s.abandoned;
    if (ended > 0) {
      s.service_level = static_cast<double>(s.answered_within) / ended;
      s.abandon_rate = static_cast<double>(s.abandoned) / ended;
    }
    if (s.answered > 0) s.asa_s = s.wait_seconds_answered / s.answered;
    return s;
  }
  throw Error(ErrorCode::kNotFound, "unknown inbound queue '" + queue_id + "'");
}

InboundRouter::Queue* InboundRouter::queue_for(const std::string& dialled) {
  auto it = by_number_.find(dialled);
  return it == by_number_.end() ? nullptr : &queues_[it->second];
}

void InboundRouter::arrive(const InboundCall& in) {
  Host& h = *host_;
  if (in.call_id < kFirstInboundCallId || calls_.count(in.call_id)) {
    h.logger().log_limited(LogLevel::kWarn, "inbound",
                           "inbound call " + std::to_string(in.call_id) +
                               " refused: its id is below kFirstInboundCallId or in use");
    return;
  }
  Queue* q = queue_for(in.to);
  if (q == nullptr) {
    h.logger().log_limited(LogLevel::kWarn, "inbound",
                           "inbound call to " + in.to + " hung up: no queue serves that number");
    h.telephony().hangup(in.call_id);
    return;
  }
  const TimePoint t = h.now();
  Call& c = calls_[in.call_id];
  c.queue = static_cast<std::size_t>(q - queues_.data());
  c.arrived = t;
  Attempt& r = c.record;
  r.call_id = in.call_id;
  r.campaign_id = q->config.id;
  r.number = in.from;
  r.caller_id = in.to;
  r.provider_call_id = in.provider_call_id;
  r.direction = CallDirection::kInbound;
  r.attempt_number = 1;
  r.state = CallState::kHuman;
  r.created_at = t;
  r.answered_at = t;  // telephony answered it to queue it
  ++q->stats.offered;
  q->recent_arrivals.push_back(t);
  while (!q->recent_arrivals.empty() && q->recent_arrivals.front() < t - kRateWindow) {
    q->recent_arrivals.pop_front();
  }
  // The free agent that prefers this queue most, then the one idle longest.
  AgentId best = kNoAgent;
  int best_priority = 0;
  TimePoint best_idle{};
  auto consider = [&](AgentId a, int priority) {
    if (!h.agent_free(a)) return;
    const TimePoint idle = h.agent_idle_since(a);
    if (best == kNoAgent || priority > best_priority ||
        (priority == best_priority && (idle < best_idle || (idle == best_idle && a < best)))) {
      best = a, best_priority = priority, best_idle = idle;
    }
  };
  // The free agents with the queue's skill: from the free agents, fewer than the skilled ones in a
  // busy centre (the choice is a total order: the same agent either way).
  const std::vector<int>& skill_of = skill_of_queue_[q->config.id];
  free_buffer_.clear();
  h.available_agents(free_buffer_);
  for (AgentId a : free_buffer_) {
    if (a < skill_of.size() && skill_of[a] != kNoSkill) consider(a, skill_of[a]);
  }
  if (best != kNoAgent) {
    connect(c, best);
  } else {
    q->waiting.push_back(in.call_id);
    ++waiting_;
  }
}

void InboundRouter::connect(Call& c, AgentId agent) {
  Host& h = *host_;
  Queue& q = queues_[c.queue];
  const TimePoint t = h.now();
  c.phase = Phase::kReserved;
  c.agent = agent;
  c.taken = t;
  c.record.agent = agent;
  const double wait = to_seconds(t - c.arrived);
  ++q.stats.answered;
  q.stats.wait_seconds_answered += wait;
  ++q.window_ended;
  if (t - c.arrived <= q.config.answer_within) ++q.stats.answered_within, ++q.window_in_time;
  h.agent_busy(agent, AgentState::kReserved, c.record.call_id);
  h.telephony().bridge(c.record.call_id, agent);
}

bool InboundRouter::on_event(const CallEvent& e) {
  auto it = calls_.find(e.call_id);
  if (it == calls_.end()) return false;
  Call& c = it->second;
  Host& h = *host_;
  const TimePoint t = h.now();
  if (!e.provider_call_id.empty() && c.record.provider_call_id.empty()) {
    c.record.provider_call_id = e.provider_call_id;
  }
  if (e.provider_code) c.record.provider_code = e.provider_code;
  if (e.kind == CallEventKind::kBridged && c.phase == Phase::kReserved) {
    c.phase = Phase::kTalking;
    c.record.state = CallState::kBridged;
    c.record.bridged_at = t;
    h.agent_busy(c.agent, AgentState::kOnCall, c.record.call_id);
    return true;
  }
  if (!ends_call(e.kind)) return true;
  switch (c.phase) {
    case Phase::kWaiting: {
      Queue& q = queues_[c.queue];
      q.waiting.erase(std::remove(q.waiting.begin(), q.waiting.end(), e.call_id), q.waiting.end());
      --waiting_;
      ++q.stats.abandoned;
      q.stats.wait_seconds_abandoned += to_seconds(t - c.arrived);
      ++q.window_ended;
      if (t - c.arrived <= q.config.answer_within) ++q.stats.abandoned_within, ++q.window_in_time;
      end(c, CallState::kAbandoned, Disposition::kAbandoned);
      return true;
    }
    case Phase::kReserved: {  // hung up while being connected
      const AgentId agent = c.agent;
      end(c, CallState::kCompleted, Disposition::kCompleted);
      h.agent_done(agent);
      return true;
    }
    case Phase::kTalking: {
      c.phase = Phase::kWrapUp;
      c.record.state = CallState::kCompleted;
      c.record.ended_at = t;
      h.agent_busy(c.agent, AgentState::kWrapUp, c.record.call_id);
      const CallId id = c.record.call_id;
      c.wrap_timer = h.schedule(t + h.max_wrap_up(), [this, id] {
        auto found = calls_.find(id);
        if (found == calls_.end()) return;
        found->second.wrap_timer = 0;
        dispose(id, Disposition::kCompleted);
      });
      return true;
    }
    case Phase::kWrapUp:
      return true;
  }
  return true;
}

bool InboundRouter::awaiting_disposition(CallId id) const {
  auto it = calls_.find(id);
  return it != calls_.end() && it->second.phase == Phase::kWrapUp;
}

bool InboundRouter::dispose(CallId id, Disposition disposition) {
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second.phase != Phase::kWrapUp) return false;
  Call& c = it->second;
  Host& h = *host_;
  if (c.wrap_timer) h.cancel(c.wrap_timer), c.wrap_timer = 0;
  Queue& q = queues_[c.queue];
  q.stats.handle_seconds += to_seconds(h.now() - c.taken);
  ++q.handled;
  const AgentId agent = c.agent;
  end(c, CallState::kCompleted, disposition);
  h.agent_done(agent);
  return true;
}

void InboundRouter::end(Call& c, CallState state, Disposition disposition) {
  c.record.state = state;
  c.record.disposition = disposition;
  if (c.record.ended_at == TimePoint{}) c.record.ended_at = host_->now();
  const Attempt record = std::move(c.record);
  calls_.erase(record.call_id);  // `c` is gone
  save(record);
  host_->finished(record);
}

void InboundRouter::save(const Attempt& record) {
  if (!unsaved_.empty()) {  // keeps the order; the timer writes it with the others
    unsaved_.push_back(record);
    return;
  }
  try {
    host_->storage().put_attempt(record);
  } catch (const std::exception& e) {
    host_->logger().log_limited(LogLevel::kWarn, "inbound-storage",
                                "inbound call " + std::to_string(record.call_id) +
                                    ": record not stored, retrying every second: " + e.what());
    unsaved_.push_back(record);
    unsaved_timer_ = host_->schedule(host_->now() + std::chrono::seconds(1), [this] {
      unsaved_timer_ = 0;
      save_unsaved();
    });
  }
}

void InboundRouter::save_unsaved() {
  std::vector<Attempt> records;
  records.swap(unsaved_);
  for (std::size_t i = 0; i < records.size(); ++i) {
    save(records[i]);
    if (!unsaved_.empty()) {  // refused again: the rest waits behind it
      unsaved_.insert(unsaved_.end(), records.begin() + static_cast<std::ptrdiff_t>(i + 1),
                      records.end());
      return;
    }
  }
}

bool InboundRouter::offer(AgentId agent) {
  if (waiting_ == 0) return false;
  auto skills = skills_.find(agent);
  if (skills == skills_.end()) return false;
  // The agent's highest skill priority, then the queue's priority, then the call waiting longest.
  Queue* best = nullptr;
  int best_skill = 0;
  TimePoint best_arrival{};
  for (const auto& skill : skills->second.queues) {
    Queue* q = queue_for(skill.queue);
    if (q == nullptr || q->config.id != skill.queue || q->waiting.empty()) continue;
    const TimePoint arrival = calls_.at(q->waiting.front()).arrived;
    if (best == nullptr || skill.priority > best_skill ||
        (skill.priority == best_skill &&
         (q->config.priority > best->config.priority ||
          (q->config.priority == best->config.priority && arrival < best_arrival)))) {
      best = q, best_skill = skill.priority, best_arrival = arrival;
    }
  }
  if (best == nullptr) return false;
  const CallId id = best->waiting.front();
  best->waiting.pop_front();
  --waiting_;
  connect(calls_.at(id), agent);
  return true;
}

void InboundRouter::adjust_snapshot(const std::string& campaign_id,
                                    const std::vector<AgentId>& campaign_agents,
                                    const std::vector<AgentId>& available, PacingSnapshot& s) {
  if (inbound_only_ == 0) {
    apply_blending(campaign_id, s.agents_idle, 0, s);
    return;
  }
  int idle_inbound_only = 0;
  for (AgentId a : available) idle_inbound_only += takes_outbound(a) ? 0 : 1;
  int logged_in_inbound_only = 0, busy_inbound_only = 0;
  for (AgentId a : campaign_agents) {
    if (takes_outbound(a)) continue;
    const AgentState st = host_->agent_state(a);
    if (st != AgentState::kLoggedOut) ++logged_in_inbound_only;
    if (st == AgentState::kReserved || st == AgentState::kOnCall || st == AgentState::kWrapUp) {
      ++busy_inbound_only;
    }
  }
  const int free_all = s.agents_idle;
  s.agents_idle = std::max(0, s.agents_idle - idle_inbound_only);
  s.agents_busy = std::max(0, s.agents_busy - busy_inbound_only);
  s.agents_logged_in = std::max(0, s.agents_logged_in - logged_in_inbound_only);
  apply_blending(campaign_id, free_all, logged_in_inbound_only, s);
}

void InboundRouter::apply_blending(const std::string& campaign_id, int free_all,
                                   int logged_in_inbound_only, PacingSnapshot& s) {
  auto it = blends_.find(campaign_id);
  if (it == blends_.end()) return;
  Blend& b = it->second;
  b.free_all = free_all;
  int reserve = 0;
  if (b.config.rule == BlendingRule::kThreshold) {
    reserve = b.config.reserve;
  } else if (b.config.rule == BlendingRule::kServiceLevel) {
    reserve = reserve_of(b, s.agents_logged_in + logged_in_inbound_only);
  }
  // The reserve counts every free agent an inbound call may take (the threshold model's pool, of
  // which the reserve of kServiceLevel is computed): free inbound-only agents hold their share of
  // it, and the campaign keeps only the rest of its free agents back.
  const int held = std::max(0, reserve - std::max(0, free_all - s.agents_idle));
  if (held > 0) {
    // The held agents are not the campaign's to dial for: neither free nor staffed for it.
    s.agents_idle -= std::min(held, s.agents_idle);
    s.agents_logged_in = std::max(s.agents_busy, s.agents_logged_in - held);
  }
}

int InboundRouter::reserve_of(Blend& b, int agents) {
  const TimePoint t = host_->now();
  if (t < b.next_solve || queues_.empty()) return b.reserve;
  b.next_solve = t + kSolveEvery;
  Queue* q = &queues_.front();
  if (!b.config.queue.empty()) {
    q = queue_for(b.config.queue);
    if (q == nullptr || q->config.id != b.config.queue) return b.reserve;
  }
  const double target = q->config.service_level_target;
  if (q->window_ended >= kFeedbackCalls) {
    const double measured = static_cast<double>(q->window_in_time) / q->window_ended;
    if (measured < target - 0.02) ++b.offset;
    if (measured > target + 0.05) --b.offset;
    b.offset = std::clamp(b.offset, -agents, agents);
    q->window_ended = q->window_in_time = 0;
  }
  while (!q->recent_arrivals.empty() && q->recent_arrivals.front() < t - kRateWindow) {
    q->recent_arrivals.pop_front();
  }
  int model_reserve = b.config.reserve;
  if (agents >= 1 && !q->recent_arrivals.empty() &&
      t - q->recent_arrivals.front() >= kMinRateData) {
    ThresholdBlendModel m;
    m.agents = agents;
    m.arrival_rate_per_s =
        static_cast<double>(q->recent_arrivals.size()) / to_seconds(t - q->recent_arrivals.front());
    m.mean_service_s = q->handled > 5 ? q->stats.handle_seconds / q->handled : kPriorHandleS;
    m.answer_within = q->config.answer_within;
    model_reserve = reserve_for_service_level(m, target);
  }
  b.reserve = std::clamp(model_reserve + b.offset, 0, std::max(agents, 0));
  return b.reserve;
}

int InboundRouter::decide(const std::string& campaign_id, const PacingSnapshot& s, int wanted) {
  auto it = blends_.find(campaign_id);
  if (it == blends_.end() || it->second.config.rule != BlendingRule::kDialxfree) return wanted;
  Blend& b = it->second;
  if (b.frees_seen == frees_) return 0;  // it dials when a service ends
  b.frees_seen = frees_;
  if (b.free_all < b.config.min_free_all || s.agents_idle < b.config.min_free_outbound) return 0;
  const int dial =
      static_cast<int>(std::lround(b.config.kappa * s.agents_idle)) + b.config.c - s.calls_pending;
  return std::max(dial, 0);
}

void InboundRouter::cancel_timers() {
  Host& h = *host_;
  if (unsaved_timer_) h.cancel(unsaved_timer_), unsaved_timer_ = 0;
  for (const Attempt& r : unsaved_) save_last(r);  // reported already
  unsaved_.clear();
  std::vector<Attempt> records;
  // Waiting calls first, each queue's in arrival order, then those with an agent by id.
  for (Queue& q : queues_) {
    for (CallId id : q.waiting) {
      Attempt& r = calls_.at(id).record;
      r.state = CallState::kCanceled;
      r.disposition = Disposition::kNoAnswer;
      records.push_back(std::move(r));
      calls_.erase(id);
    }
    q.waiting.clear();
    waiting_ = 0;
  }
  std::vector<CallId> taken;
  for (const auto& [id, c] : calls_) taken.push_back(id);
  std::sort(taken.begin(), taken.end());
  for (CallId id : taken) {
    Call& c = calls_.at(id);
    if (c.wrap_timer) h.cancel(c.wrap_timer), c.wrap_timer = 0;
    c.record.state = CallState::kCompleted;
    c.record.disposition = Disposition::kCompleted;
    records.push_back(std::move(c.record));
  }
  calls_.clear();
  const TimePoint t = h.now();
  for (Attempt& r : records) {
    if (r.ended_at == TimePoint{}) r.ended_at = t;
    save_last(r);
    h.finished(r);
  }
}

void InboundRouter::save_last(const Attempt& record) {
  try {
    host_->storage().put_attempt(record);
  } catch (const std::exception& e) {
    host_->logger().log(LogLevel::kError, "inbound call " + std::to_string(record.call_id) +
                                              ": record lost as the engine ends: " + e.what());
  }
}

}  // namespace detail
}  // namespace omnivox
