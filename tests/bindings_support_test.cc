// The language adapters' shared conversions (src/bindings_support): one conversion fills a C
// struct of omnivox.h and a record with strings and signed agent ids alike; what a host passes
// in is checked once, with errors that name the field.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "bindings_support/campaign_loading.h"
#include "bindings_support/host_callbacks.h"
#include "bindings_support/plain_forms.h"
#include "omnivox/omnivox.h"

namespace omnivox::bindings_support {
namespace {

// A record as the Java facade writes them: std::string, long long, -1 for no agent, the facade's
// own enums, a campaign id the C struct lacks and no fixed-capacity counts.
enum class HostCallState { kFirst };
struct HostAttempt {
  long long call_id = 0;
  long long contact_id = 0;
  std::string campaign_id;
  std::string number;
  int attempt_number = 0;
  HostCallState state = HostCallState::kFirst;
  int disposition = 0;
  int fail_reason = 0;
  long long agent = 0;
  long long created_at_ms = 0;
  long long answered_at_ms = 0;
  long long bridged_at_ms = 0;
  long long ended_at_ms = 0;
};
struct HostStatistics {
  std::string campaign_id;
  long long at_ms = 0, attempts = 0, attempts_in_flight = 0, live_answers = 0, machines = 0;
  long long abandons = 0, connects = 0;
  double abandon_rate = 0, abandon_rate_window = 0, occupancy = 0, dial_level = 0;
  double talk_seconds = 0, wrap_seconds = 0, logged_in_seconds = 0;
  long long contacts_total = 0, contacts_final = 0, dial_queue_size = 0;
  long long agents_by_state[kAgentStateCount] = {};
  long long dispositions[kDispositionCount] = {};
};
struct HostEvent {
  long long call_id = 0;
  int kind = 0;
  std::string provider_call_id;
  long long sequence = 0;
  long long timestamp_ms = 0;
  int amd = 0;
  int fail_reason = 0;
  int provider_code = 0;
};

Attempt sample_attempt() {
  Attempt a;
  a.call_id = 42;
  a.contact_id = 7;
  a.campaign_id = "spring";
  a.number = "+15551230000";
  a.attempt_number = 2;
  a.state = CallState::kFailed;
  a.fail_reason = FailReason::kNetwork;
  a.disposition = Disposition::kFailed;
  a.agent = kNoAgent;
  a.created_at = time_of(1000);
  a.ended_at = time_of(5000);
  a.provider_code = 503;
  return a;
}

TEST(BindingsSupport, OneAttemptConversionFillsTheCStructAndAHostRecord) {
  const Attempt a = sample_attempt();
  omnivox_attempt c{};
  fill_attempt(a, c);
  EXPECT_EQ(c.call_id, 42u);
  EXPECT_STREQ(c.campaign_id, "spring");  // borrowed from the attempt
  EXPECT_EQ(c.campaign_id, a.campaign_id.c_str());
  EXPECT_EQ(c.state, OMNIVOX_CALL_FAILED);
  EXPECT_EQ(c.fail_reason, OMNIVOX_FAIL_NETWORK);
  EXPECT_EQ(c.agent, OMNIVOX_NO_AGENT);
  EXPECT_EQ(c.created_at_ms, 1000);
  EXPECT_EQ(c.answered_at_ms, 0);
  EXPECT_EQ(c.ended_at_ms, 5000);
  EXPECT_EQ(c.provider_code, 503);

  HostAttempt h;
  fill_attempt(a, h);
  EXPECT_EQ(h.campaign_id, "spring");  // copied
  EXPECT_EQ(h.number, "+15551230000");
  EXPECT_EQ(h.agent, -1);  // signed: -1 for no agent
  EXPECT_EQ(h.disposition, static_cast<int>(Disposition::kFailed));
  EXPECT_EQ(h.ended_at_ms, 5000);
}

TEST(BindingsSupport, StatisticsFillEveryCountAndTheCapacityFields) {
  CampaignStatistics s;
  s.campaign_id = "spring";
  s.at = time_of(60000);
  s.attempts = 10;
  s.abandon_rate = 0.25;
  s.abandon_rate_window = 0.5;
  s.contacts_total = 99;
  s.agents_by_state[static_cast<int>(AgentState::kPaused)] = 3;
  s.dispositions[static_cast<int>(Disposition::kSale)] = 4;

  omnivox_statistics c{};
  fill_statistics(s, c);
  EXPECT_EQ(c.at_ms, 60000);
  EXPECT_EQ(c.attempts, 10);
  EXPECT_DOUBLE_EQ(c.abandon_rate, 0.25);
  EXPECT_EQ(c.contacts_total, 99u);
  EXPECT_EQ(c.agent_state_count, static_cast<std::uint32_t>(OMNIVOX_AGENT_STATE_COUNT));
  EXPECT_EQ(c.disposition_count, static_cast<std::uint32_t>(OMNIVOX_DISPOSITION_COUNT));
  EXPECT_EQ(c.agents_by_state[OMNIVOX_AGENT_PAUSED], 3);
  EXPECT_EQ(c.dispositions[OMNIVOX_DISPOSITION_SALE], 4);
  EXPECT_EQ(c.dispositions[OMNIVOX_DISPOSITION_COUNT], 0);  // beyond the library's count

  HostStatistics h;
  fill_statistics(s, h);
  EXPECT_EQ(h.campaign_id, "spring");
  EXPECT_DOUBLE_EQ(h.abandon_rate_window, 0.5);  // a field only this form has
  EXPECT_EQ(h.agents_by_state[static_cast<int>(AgentState::kPaused)], 3);
}

TEST(BindingsSupport, AnImportReportFillsTheCCountsAndAHostSummary) {
  ImportReport r;
  r.rows_read = 3;
  r.rows_loaded = 2;
  r.rows_rejected = 1;
  omnivox_import_report c{};
  fill_import_report(r, c);
  EXPECT_EQ(c.rows_read, 3u);
  EXPECT_EQ(c.rows_rejected, 1u);
  struct {
    long long rows_read = 0, rows_loaded = 0, rows_rejected = 0;
    std::string summary;
  } h;
  fill_import_report(r, h);
  EXPECT_EQ(h.rows_loaded, 2);
  EXPECT_EQ(h.summary, r.summary());
}

TEST(BindingsSupport, InboundStatisticsTakeEitherNameOfTheAverageSpeedOfAnswer) {
  InboundQueueStatistics s;
  s.queue_id = "support";
  s.offered = 5;
  s.asa_s = 12.5;
  omnivox_inbound_statistics c{};
  fill_inbound_statistics(s, c);
  EXPECT_EQ(c.offered, 5);
  EXPECT_DOUBLE_EQ(c.asa_seconds, 12.5);
}

TEST(BindingsSupport, HostCallEventsAreCheckedFieldByField) {
  auto copy = [](const std::string& s, const std::string&) { return s; };
  HostEvent e;
  e.call_id = 9;
  e.kind = static_cast<int>(CallEventKind::kFailed);
  e.fail_reason = static_cast<int>(FailReason::kTimeout);
  e.sequence = 4294967295LL;
  e.timestamp_ms = 1234;
  e.provider_call_id = "CA1";
  CallEvent ev = call_event_from(e, "report: ", copy);
  EXPECT_EQ(ev.call_id, 9u);
  EXPECT_EQ(ev.kind, CallEventKind::kFailed);
  EXPECT_EQ(ev.fail_reason, FailReason::kTimeout);
  EXPECT_EQ(ev.sequence, 4294967295u);
  EXPECT_EQ(ev.timestamp, time_of(1234));
  EXPECT_EQ(ev.provider_call_id, "CA1");

  auto message_of = [&](const HostEvent& bad) {
    try {
      call_event_from(bad, "report: ", copy);
    } catch (const Error& err) {
      EXPECT_EQ(err.code(), ErrorCode::kInvalidArgument);
      return std::string(err.what());
    }
    return std::string("no error");
  };
  HostEvent bad = e;
  bad.kind = kCallEventKindCount;
  EXPECT_EQ(message_of(bad), "report: kind (10) is out of range");
  bad = e;
  bad.sequence = 4294967296LL;
  EXPECT_EQ(message_of(bad), "report: sequence (4294967296) is out of range");
  bad = e;
  bad.timestamp_ms = -1;
  EXPECT_EQ(message_of(bad), "report: timestamp_ms is negative");

  // The C struct: its counts are the library's.
  static_assert(OMNIVOX_CALL_EVENT_KIND_COUNT == kCallEventKindCount);
  static_assert(OMNIVOX_AMD_RESULT_COUNT == kAmdResultCount);
  static_assert(OMNIVOX_FAIL_REASON_COUNT == kFailReasonCount);
  omnivox_call_event c = OMNIVOX_CALL_EVENT_INIT;
  c.call_id = 3;
  c.amd = OMNIVOX_AMD_RESULT_COUNT;
  EXPECT_THROW(call_event_from(c, "event.",
                               [](const char* s, const std::string&) {
                                 return s == nullptr ? std::string() : std::string(s);
                               }),
               Error);
}

TEST(BindingsSupport, WhatAHostSetsIsCheckedOnce) {
  EXPECT_EQ(host_agent_state(OMNIVOX_AGENT_PAUSED, "state"), AgentState::kPaused);
  EXPECT_THROW(host_agent_state(OMNIVOX_AGENT_ON_CALL, "state"), Error);

  auto [d, at] = agent_disposition(OMNIVOX_DISPOSITION_CALLBACK, 90000, "");
  EXPECT_EQ(d, Disposition::kCallback);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, time_of(90000));
  EXPECT_FALSE(agent_disposition(OMNIVOX_DISPOSITION_SALE, 0, "").second.has_value());
  EXPECT_THROW(agent_disposition(OMNIVOX_DISPOSITION_CALLBACK, 0, ""), Error);  // no time
  EXPECT_THROW(agent_disposition(OMNIVOX_DISPOSITION_BUSY, 0, ""), Error);      // a system one
  EXPECT_THROW(agent_disposition(OMNIVOX_DISPOSITION_COUNT, 0, ""), Error);     // out of range
  EXPECT_THROW(agent_disposition(OMNIVOX_DISPOSITION_SALE, -5, ""), Error);     // negative time

  try {
    inbound_queue_from("q", {"+15550000000"}, 1, -1, 0.8, "field queue->");
    FAIL() << "a negative T was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_EQ(std::string(e.what()), "field queue->answer_within_ms is negative");
  }
  const InboundQueueConfig q = inbound_queue_from("q", {"+15550000000"}, 1, 20000, 0.8, "");
  EXPECT_EQ(q.answer_within, Duration(20000));

  EXPECT_THROW(blending_from(OMNIVOX_BLENDING_DIALXFREE + 1, 0, "", 0, 0, 1.0, 0, ""), Error);
  try {
    blending_from(OMNIVOX_BLENDING_DIALXFREE, 0, "", 4, 1, std::nan(""), 0, "b.");
    FAIL() << "a NaN kappa was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
  }
}

TEST(BindingsSupport, AThrowingHostCallbackIsContainedLoggedAndCounted) {
  std::string logged;
  struct Sink final : LogSink {
    explicit Sink(std::string* out) : out_(out) {}
    void write(LogLevel, std::string_view message) override { *out_ = std::string(message); }
    std::string* out_;
  };
  Logger logger(std::make_shared<Sink>(&logged), LogLevel::kWarn);
  CallbackFailures failures("test-callback");
  failures.set_logger(&logger);
  EXPECT_TRUE(contain_callback(failures, "Backend.hangup", [] {}));
  EXPECT_FALSE(
      contain_callback(failures, "Backend.originate", [] { throw std::runtime_error("no line"); }));
  EXPECT_EQ(failures.count(), 1);
  EXPECT_EQ(failures.last(), "Backend.originate: no line");
  EXPECT_NE(logged.find("Backend.originate: no line"), std::string::npos);
  failures.clear_last();
  EXPECT_EQ(failures.last(), "");
  EXPECT_EQ(failures.count(), 1);

  const CallEvent failed = failed_originate(17, FailReason::kRejected);
  EXPECT_EQ(failed.call_id, 17u);
  EXPECT_EQ(failed.kind, CallEventKind::kFailed);
  EXPECT_EQ(failed.fail_reason, FailReason::kRejected);
}

TEST(BindingsSupport, AReplayWorldNeedsItsFile) {
  CampaignFile parametric;
  EXPECT_FALSE(load_replay_records(parametric));
  CampaignFile replay;
  replay.simulation.replay.emplace();
  try {
    load_replay_records(replay);
    FAIL() << "a replay world without a file was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
  }
}

}  // namespace
}  // namespace omnivox::bindings_support
