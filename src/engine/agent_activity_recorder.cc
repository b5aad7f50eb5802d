#include "engine/agent_activity_recorder.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "omnivox/engine.h"
#include "omnivox/types.h"

namespace omnivox::detail {
namespace {

constexpr std::int64_t kIntervalMs = kAgentStatisticsInterval.count();
constexpr std::int64_t kNoFloor = std::numeric_limits<std::int64_t>::min();

std::int64_t ms_of(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint at_ms(std::int64_t ms) { return TimePoint(Duration(ms)); }

std::int64_t interval_of(std::int64_t ms) {
  // Floor division: times before the epoch (a test clock) still fall in the right interval.
  std::int64_t q = ms / kIntervalMs;
  return (ms % kIntervalMs != 0 && ms < 0) ? q - 1 : q;
}

// Calls fn(interval, from, to) for each interval's part of [from, to).
template <typename Fn>
void for_each_interval(std::int64_t from, std::int64_t to, Fn&& fn) {
  while (from < to) {
    std::int64_t k = interval_of(from);
    std::int64_t end = std::min(to, (k + 1) * kIntervalMs);
    fn(k, from, end);
    from = end;
  }
}

using Tally = AgentActivityRecorder::Tally;

// Adds [from, to) in `state` to `t`. An AVAILABLE stretch that began at `stretch_start` counts
// its part since `floor` (the interval's start) towards the longest idle.
void add_time(Tally& t, AgentState state, std::int64_t from, std::int64_t to,
              std::int64_t stretch_start, std::int64_t floor) {
  t.ms[static_cast<int>(state)] += to - from;
  if (state == AgentState::kAvailable) {
    t.longest_idle_ms = std::max(t.longest_idle_ms, to - std::max(stretch_start, floor));
  }
}

void add_tally(Tally& into, const Tally& t) {
  for (int k = 0; k < kAgentStateCount; ++k) into.ms[k] += t.ms[k];
  into.longest_idle_ms = std::max(into.longest_idle_ms, t.longest_idle_ms);
  into.handled += t.handled;
  for (int k = 0; k < kDispositionCount; ++k) into.dispositions[k] += t.dispositions[k];
}

AgentActivity to_activity(const Tally& t, TimePoint start, TimePoint end) {
  auto ms = [&](AgentState s) { return t.ms[static_cast<int>(s)]; };
  std::int64_t talk = ms(AgentState::kReserved) + ms(AgentState::kOnCall);
  std::int64_t wrap = ms(AgentState::kWrapUp);
  std::int64_t idle = ms(AgentState::kAvailable);
  std::int64_t paused = ms(AgentState::kPaused);
  AgentActivity a;
  a.start = start;
  a.end = end;
  a.calls_handled = t.handled;
  a.talk_seconds = static_cast<double>(talk) / 1000.0;
  a.wrap_seconds = static_cast<double>(wrap) / 1000.0;
  a.idle_seconds = static_cast<double>(idle) / 1000.0;
  a.paused_seconds = static_cast<double>(paused) / 1000.0;
  a.logged_in_seconds = static_cast<double>(talk + wrap + idle + paused) / 1000.0;
  std::int64_t ready = talk + wrap + idle;
  a.occupancy = ready > 0 ? static_cast<double>(talk + wrap) / static_cast<double>(ready) : 0.0;
  a.longest_idle_seconds = static_cast<double>(t.longest_idle_ms) / 1000.0;
  for (int k = 0; k < kDispositionCount; ++k) a.dispositions[k] = t.dispositions[k];
  return a;
}

}  // namespace

AgentActivityRecorder::Agent& AgentActivityRecorder::agent(AgentId id) { return agents_.at(id); }

AgentActivityRecorder::Bucket& AgentActivityRecorder::bucket(Agent& a, std::int64_t index) {
  auto& b = a.buckets;
  if (b.empty() || b.back().index < index) {
    b.push_back(Bucket{index, {}});
    while (b.front().index <= index - kAgentStatisticsIntervalsKept) b.pop_front();
    return b.back();
  }
  // An interval already open (time only moves forward, so nearly always the newest).
  auto it = std::find_if(b.rbegin(), b.rend(), [&](const Bucket& x) { return x.index <= index; });
  if (it != b.rend() && it->index == index) return *it;
  return *b.insert(it.base(), Bucket{index, {}});
}

void AgentActivityRecorder::add_agent(AgentId id, const std::string& campaign_id,
                                      const std::string& name, TimePoint t) {
  if (agents_.size() <= id) agents_.resize(static_cast<std::size_t>(id) + 1);
  Agent& a = agents_[id];
  a.id = id;
  a.name = name;
  a.since = t;
  a.state_start = t;
  by_campaign_[campaign_id].push_back(id);
}

void AgentActivityRecorder::on_state(AgentId id, AgentState to, TimePoint t) {
  Agent& a = agent(id);
  std::int64_t from = ms_of(a.since), until = ms_of(t);
  if (until > from) {
    std::int64_t stretch = ms_of(a.state_start);
    add_time(a.totals, a.state, from, until, stretch, kNoFloor);
    if (a.state != AgentState::kLoggedOut) {
      for_each_interval(from, until, [&](std::int64_t k, std::int64_t s, std::int64_t e) {
        add_time(bucket(a, k).tally, a.state, s, e, stretch, k * kIntervalMs);
      });
    }
    a.since = t;
  }
  if (to == a.state) return;
  if (a.state == AgentState::kLoggedOut && a.first_login == TimePoint{}) a.first_login = t;
  a.state = to;
  a.state_start = t;
}

void AgentActivityRecorder::on_handled(AgentId id, Disposition disposition, TimePoint t) {
  Agent& a = agent(id);
  int d = static_cast<int>(disposition);
  ++a.totals.handled;
  ++a.totals.dispositions[d];
  Tally& in = bucket(a, interval_of(ms_of(t))).tally;
  ++in.handled;
  ++in.dispositions[d];
}

AgentStatistics AgentActivityRecorder::report(const std::string& campaign_id, TimePoint now) const {
  AgentStatistics r;
  r.campaign_id = campaign_id;
  r.at = now;
  auto found = by_campaign_.find(campaign_id);
  if (found == by_campaign_.end()) return r;
  const std::vector<AgentId>& ids = found->second;
  const std::int64_t now_ms = ms_of(now);

  // The series: from the first interval an agent was logged in to the one under way.
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  for (AgentId id : ids) {
    const Agent& a = agents_[id];
    if (!a.buckets.empty()) first = std::min(first, a.buckets.front().index);
    if (a.state != AgentState::kLoggedOut) first = std::min(first, interval_of(ms_of(a.since)));
  }
  std::int64_t last = first;
  if (first != std::numeric_limits<std::int64_t>::max()) {
    // At an interval's very start the one under way is still empty: it is not shown yet.
    last = std::max(first, interval_of(now_ms - 1));
    first = std::max(first, last - kAgentStatisticsIntervalsKept + 1);
  }
  const std::size_t n = first == std::numeric_limits<std::int64_t>::max()
                            ? 0
                            : static_cast<std::size_t>(last - first + 1);

  Tally campaign_totals;
  std::vector<Tally> campaign_series(n);
  TimePoint campaign_start{};
  r.agents.reserve(ids.size());
  for (AgentId id : ids) {
    const Agent& a = agents_[id];
    Tally totals = a.totals;
    std::vector<Tally> series(n);
    for (const Bucket& b : a.buckets) {
      if (b.index >= first && b.index <= last) add_tally(series[b.index - first], b.tally);
    }
    std::int64_t from = ms_of(a.since), stretch = ms_of(a.state_start);
    if (now_ms > from) {  // the state under way, counted up to now
      add_time(totals, a.state, from, now_ms, stretch, kNoFloor);
      if (a.state != AgentState::kLoggedOut) {
        for_each_interval(from, now_ms, [&](std::int64_t k, std::int64_t s, std::int64_t e) {
          if (k >= first && k <= last) {
            add_time(series[k - first], a.state, s, e, stretch, k * kIntervalMs);
          }
        });
      }
    }

    AgentSummary s;
    s.agent = a.id;
    s.name = a.name;
    s.state = a.state;
    s.seconds_in_state = static_cast<double>(std::max<std::int64_t>(0, now_ms - stretch)) / 1000.0;
    s.totals = to_activity(totals, a.first_login, now);
    s.intervals.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
      std::int64_t start = (first + static_cast<std::int64_t>(k)) * kIntervalMs;
      s.intervals.push_back(
          to_activity(series[k], at_ms(start), at_ms(std::min(start + kIntervalMs, now_ms))));
      add_tally(campaign_series[k], series[k]);
    }
    add_tally(campaign_totals, totals);
    if (a.first_login != TimePoint{} &&
        (campaign_start == TimePoint{} || a.first_login < campaign_start)) {
      campaign_start = a.first_login;
    }
    r.agents.push_back(std::move(s));
  }
  r.totals = to_activity(campaign_totals, campaign_start, now);
  r.intervals.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    std::int64_t start = (first + static_cast<std::int64_t>(k)) * kIntervalMs;
    r.intervals.push_back(to_activity(campaign_series[k], at_ms(start),
                                      at_ms(std::min(start + kIntervalMs, now_ms))));
  }
  return r;
}

}  // namespace omnivox::detail
