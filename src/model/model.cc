#include "omnivox/model.h"

#include <array>

namespace omnivox {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> find_name(const std::array<const char*, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr std::array<const char*, kDispositionCount> kDispositionNames = {
    "NONE",           "BUSY",           "NO_ANSWER", "MACHINE",      "FAX",
    "ABANDONED",      "INVALID_NUMBER", "FAILED",    "CANCELED",     "SALE",
    "NOT_INTERESTED", "CALLBACK",       "DNC",       "WRONG_NUMBER", "COMPLETED"};
constexpr std::array<const char*, 7> kContactStatusNames = {"NEW", "RETRY",   "CALLBACK", "DONE",
                                                            "DNC", "INVALID", "EXHAUSTED"};
constexpr std::array<const char*, 4> kDialModeNames = {"PREVIEW", "PROGRESSIVE", "POWER",
                                                       "PREDICTIVE"};
constexpr std::array<const char*, kAgentStateCount> kAgentStateNames = {
    "LOGGED_OUT", "AVAILABLE", "RESERVED", "ON_CALL", "WRAP_UP", "PAUSED"};
constexpr std::array<const char*, 7> kFailReasonNames = {
    "none", "invalid_number", "rejected", "network", "timeout", "config", "unknown"};
constexpr std::array<const char*, kCallStateCount> kCallStateNames = {
    "QUEUED",  "DIALING",   "RINGING",   "ANSWERED", "HUMAN",     "MACHINE", "FAX",
    "BRIDGED", "COMPLETED", "ABANDONED", "BUSY",     "NO_ANSWER", "FAILED",  "CANCELED"};
constexpr std::array<const char*, 5> kAmdNames = {"NONE", "HUMAN", "MACHINE", "FAX", "UNKNOWN"};
}  // namespace

const char* to_string(Disposition d) { return kDispositionNames.at(static_cast<std::size_t>(d)); }
std::optional<Disposition> disposition_from_string(std::string_view name) {
  return find_name<Disposition>(kDispositionNames, name);
}
bool is_agent_disposition(Disposition d) { return d >= Disposition::kSale; }
const char* to_string(ContactStatus s) {
  return kContactStatusNames.at(static_cast<std::size_t>(s));
}
const char* to_string(DialMode m) { return kDialModeNames.at(static_cast<std::size_t>(m)); }
std::optional<DialMode> dial_mode_from_string(std::string_view name) {
  return find_name<DialMode>(kDialModeNames, name);
}
const char* to_string(AgentState s) { return kAgentStateNames.at(static_cast<std::size_t>(s)); }
const char* to_string(FailReason r) { return kFailReasonNames.at(static_cast<std::size_t>(r)); }
const char* to_string(CallState s) { return kCallStateNames.at(static_cast<std::size_t>(s)); }
const char* to_string(AmdResult r) { return kAmdNames.at(static_cast<std::size_t>(r)); }
const char* to_string(CallDirection d) {
  return d == CallDirection::kInbound ? "inbound" : "outbound";
}

int rank_of(CallState s) {
  switch (s) {
    case CallState::kQueued:
      return 0;
    case CallState::kDialing:
      return 1;
    case CallState::kRinging:
      return 2;
    case CallState::kAnswered:
      return 3;
    case CallState::kHuman:
    case CallState::kMachine:
    case CallState::kFax:
      return 4;
    case CallState::kBridged:
      return 5;
    default:
      return 6;
  }
}

const std::string* Contact::attribute(std::string_view name) const {
  for (const auto& [key, value] : attributes) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::map<Disposition, RetryRule> CampaignConfig::default_retry_rules() {
  using std::chrono::minutes;
  return {
      {Disposition::kBusy, {false, minutes(10)}},
      {Disposition::kNoAnswer, {false, minutes(60)}},
      {Disposition::kMachine, {false, minutes(120)}},
      {Disposition::kAbandoned, {false, minutes(60)}},
      {Disposition::kFailed, {false, minutes(60)}},
      {Disposition::kCanceled, {false, minutes(1)}},
  };
}

}  // namespace omnivox
