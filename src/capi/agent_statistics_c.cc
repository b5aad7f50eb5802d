// The C API's agent statistics snapshots (include/omnivox/omnivox.h, "Agent statistics").
#include <cstddef>
#include <string>
#include <utility>

#include "bindings_support/plain_forms.h"
#include "capi/capi_internal.h"
#include "omnivox/engine.h"
#include "omnivox/omnivox.h"

struct omnivox_agent_statistics : omnivox::capi::HandleBase {
  omnivox::AgentStatistics stats;
};

namespace omnivox::capi {

omnivox_agent_statistics* new_agent_statistics(AgentStatistics stats) {
  auto* h = new omnivox_agent_statistics();
  h->stats = std::move(stats);
  register_handle(h, HandleKind::kAgentStatistics);
  return h;
}

namespace {

const AgentStatistics& snapshot(const omnivox_agent_statistics* p, HandleUse& use) {
  return use_handle(const_cast<omnivox_agent_statistics*>(p), HandleKind::kAgentStatistics, "stats",
                    "omnivox_agent_statistics", use)
      .stats;
}

void activity_to_c(const AgentActivity& a, omnivox_agent_activity* out) {
  static_assert(OMNIVOX_DISPOSITION_COUNT == kDispositionCount);
  omnivox_agent_activity r{};
  r.version = OMNIVOX_AGENT_ACTIVITY_VERSION;
  bindings_support::fill_activity(a, r);
  *out = r;
}

void check_index(std::size_t index, std::size_t count, const char* name) {
  if (index >= count) {
    throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is " +
                                       std::to_string(index) + ", not under " +
                                       std::to_string(count)};
  }
}

}  // namespace
}  // namespace omnivox::capi

using omnivox::capi::guarded;
using omnivox::capi::HandleKind;
using omnivox::capi::HandleUse;
using omnivox::capi::require;

extern "C" {

void omnivox_agent_statistics_destroy(omnivox_agent_statistics* stats) {
  if (stats == nullptr) return;
  if (!omnivox::capi::unregister_handle(stats, HandleKind::kAgentStatistics)) return;
  omnivox::capi::wait_unused(stats);
  delete stats;
}

int omnivox_agent_statistics_info(const omnivox_agent_statistics* stats, int64_t* at_ms,
                                  int64_t* interval_ms, size_t* agent_count, size_t* interval_count,
                                  char** errptr) {
  return guarded("omnivox_agent_statistics_info", errptr, [&] {
    HandleUse use;
    const omnivox::AgentStatistics& s = omnivox::capi::snapshot(stats, use);
    if (at_ms != nullptr) *at_ms = omnivox::capi::ms_of(s.at);
    if (interval_ms != nullptr) *interval_ms = s.interval.count();
    if (agent_count != nullptr) *agent_count = s.agents.size();
    if (interval_count != nullptr) *interval_count = s.intervals.size();
  });
}

int omnivox_agent_statistics_agent(const omnivox_agent_statistics* stats, size_t agent_index,
                                   omnivox_agent_summary* out, char** errptr) {
  return guarded("omnivox_agent_statistics_agent", errptr, [&] {
    HandleUse use;
    const omnivox::AgentStatistics& s = omnivox::capi::snapshot(stats, use);
    require(out, "out");
    omnivox::capi::check_version(out->version, OMNIVOX_AGENT_SUMMARY_VERSION,
                                 "omnivox_agent_summary");
    omnivox::capi::check_index(agent_index, s.agents.size(), "agent_index");
    const omnivox::AgentSummary& a = s.agents[agent_index];
    omnivox_agent_summary r{};
    r.version = OMNIVOX_AGENT_SUMMARY_VERSION;
    omnivox::bindings_support::fill_agent_summary(a, r);
    *out = r;
  });
}

int omnivox_agent_statistics_activity(const omnivox_agent_statistics* stats, size_t agent_index,
                                      size_t interval_index, omnivox_agent_activity* out,
                                      char** errptr) {
  return guarded("omnivox_agent_statistics_activity", errptr, [&] {
    HandleUse use;
    const omnivox::AgentStatistics& s = omnivox::capi::snapshot(stats, use);
    require(out, "out");
    omnivox::capi::check_version(out->version, OMNIVOX_AGENT_ACTIVITY_VERSION,
                                 "omnivox_agent_activity");
    const omnivox::AgentActivity* totals = &s.totals;
    const std::vector<omnivox::AgentActivity>* intervals = &s.intervals;
    if (agent_index != OMNIVOX_AGENT_STATISTICS_CAMPAIGN) {
      omnivox::capi::check_index(agent_index, s.agents.size(), "agent_index");
      totals = &s.agents[agent_index].totals;
      intervals = &s.agents[agent_index].intervals;
    }
    if (interval_index == OMNIVOX_AGENT_STATISTICS_TOTALS) {
      omnivox::capi::activity_to_c(*totals, out);
      return;
    }
    omnivox::capi::check_index(interval_index, intervals->size(), "interval_index");
    omnivox::capi::activity_to_c((*intervals)[interval_index], out);
  });
}

}  // extern "C"
