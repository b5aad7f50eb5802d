// The chaos suite: simulated campaigns (virtual clock, simulator, memory storage) run under each
// fault of omnivox/testing/faults.h alone and under all of them together, with fixed seeds, and
// the engine's invariants (docs/architecture.md, Invariants) checked after each run:
//   - nothing lost: every contact ends final (the engine finished the campaign), every attempt
//     launched is recorded exactly once, closed, and counted by its contact;
//   - no contact dialed twice at once: no two attempts of a contact overlap, neither in the
//     records nor at the telephony (originate .. the carrier's end of the call);
//   - no call stuck: no call in flight, no agent left reserved, on a call or in wrap-up;
//   - compliance: the after-the-fact audit (call windows, minimum ring, abandon cap) is clean,
//     every originate happened inside the window, no DNC number dialed;
//   - the engine still runs: it finishes the campaign, also after faults that stop midway.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "omnivox/audit.h"
#include "omnivox/compliance.h"
#include "omnivox/engine.h"
#include "omnivox/sim.h"
#include "omnivox/testing/faults.h"

namespace omnivox {
namespace {

using testing::FaultyStorage;
using testing::FaultyTelephony;
using testing::StorageFaultOptions;
using testing::TelephonyFaultOptions;

const TimePoint kStart = parse_utc("2026-05-04T12:00:00Z");  // 08:00 in New York

// Just above the simulator: what the carrier really did — each originate it received and when
// each call really ended (before any event fault).
class CarrierLog : public TelephonyWrapper {
 public:
  struct Call {
    ContactId contact = kNoContact;
    std::string number;
    TimePoint originated{};
    TimePoint ended = TimePoint::max();
  };
  CarrierLog(Telephony* target, Clock* clock) : TelephonyWrapper(target), clock_(clock) {
    intercept_.log = this;
  }
  void start(CallEventSink* sink) override {
    sink_ = sink;
    TelephonyWrapper::start(&intercept_);
  }
  void originate(const OriginateRequest& r) override {
    calls[r.call_id] = {r.contact_id, r.to, clock_->now(), TimePoint::max()};
    TelephonyWrapper::originate(r);
  }
  std::map<CallId, Call> calls;

 private:
  struct Intercept final : CallEventSink {
    CarrierLog* log = nullptr;
    void on_call_event(const CallEvent& e) override {
      if (ends_call(e.kind)) {
        auto it = log->calls.find(e.call_id);
        if (it != log->calls.end() && it->second.ended == TimePoint::max()) {
          it->second.ended = log->clock_->now();
        }
      }
      log->sink_->on_call_event(e);
    }
  } intercept_;
  Clock* clock_;
  CallEventSink* sink_ = nullptr;
};

// Downstream of the simulator: launches and finishes as the engine reports them.
class Recorder : public EventListener {
 public:
  void on_call_state(const CallStateChange& c) override {
    if (c.from == CallState::kQueued && c.to == CallState::kQueued) {
      if (!launched.insert(c.call_id).second) ++relaunched;
      if (!in_flight.insert(c.contact_id).second) ++double_dials;
    }
  }
  void on_attempt_finished(const Attempt& a) override {
    ++finished[a.call_id];
    in_flight.erase(a.contact_id);
  }
  std::set<CallId> launched;
  std::map<CallId, int> finished;
  std::set<ContactId> in_flight;
  int relaunched = 0, double_dials = 0;
};

std::string us_number(int area, int i) {
  return "+1" + std::to_string(area) + "555" + std::to_string(1000000 + i).substr(3);
}

struct Scenario {
  std::string name;
  TelephonyFaultOptions telephony;
  StorageFaultOptions storage;
  DialMode mode = DialMode::kProgressive;
  /// Faults stop after this much virtual time; the campaign must then finish. max = never.
  Duration faults_for = Duration::max();
  /// The abandon cap is audited. Off only where the faults themselves abandon calls: a lost or
  /// late BRIDGED event makes the engine abandon (safe-harbor, hang up, count it) a call the
  /// carrier had connected, at the carrier's drop rate, which no pacing can undo.
  bool audit_abandon_cap = true;
};

std::ostream& operator<<(std::ostream& out, const Scenario& s) { return out << s.name; }

// The wired rig: memory storage behind FaultyStorage; the simulator behind CarrierLog behind
// FaultyTelephony; one engine over them on a virtual clock.
struct Rig {
  VirtualClock clock{kStart};
  std::unique_ptr<Storage> memory = make_memory_storage();
  FaultyStorage storage;
  Recorder recorder;
  Simulator sim;
  CarrierLog carrier;
  FaultyTelephony telephony;
  Engine engine;

  static SimulationOptions world() {
    SimulationOptions so;
    so.seed = 11;
    so.parametric.p_live = 0.3;
    so.parametric.p_machine = 0.1;
    so.parametric.p_busy = 0.15;
    so.parametric.p_invalid = 0.05;
    so.parametric.talk = Distribution::exponential(90);
    so.wrap_up = Distribution::fixed(5);
    return so;
  }
  static EngineOptions engine_options() {
    EngineOptions eo;
    // The injected faults are logged by the thousand; OMNIVOX_CHAOS_LOG=1 shows them.
    eo.log_level = std::getenv("OMNIVOX_CHAOS_LOG") ? LogLevel::kDebug : LogLevel::kOff;
    return eo;
  }
  static StorageFaultOptions with_clock(StorageFaultOptions o, Clock* clock) {
    o.clock = clock;
    return o;
  }

  explicit Rig(const Scenario& s)
      : storage(memory.get(), with_clock(s.storage, &clock)),
        sim(world(), &clock, &recorder),
        carrier(&sim, &clock),
        telephony(&carrier, &clock, s.telephony),
        engine(engine_options(), &storage, &telephony, &clock, &sim) {
    sim.attach(&engine);
    storage.set_enabled(false);  // setup succeeds; faults start with the campaign
    telephony.set_enabled(false);
  }
};

struct CampaignSetup {
  CampaignConfig campaign;
  std::set<std::string> dnc;
  int contacts = 0;
  int agents = 0;
};

CampaignSetup set_up(Rig& rig, DialMode mode) {
  CampaignSetup s;
  CampaignConfig& c = s.campaign;
  c.id = "chaos";
  c.dial_mode = mode;
  c.max_attempts = 3;
  c.call_window = CallWindow::every_day(9 * 60, 21 * 60);
  c.retry_rules[Disposition::kNoAnswer] = {false, std::chrono::minutes(30)};
  c.retry_rules[Disposition::kMachine] = {false, std::chrono::minutes(45)};
  rig.engine.add_campaign(c);
  // Four US zones (New York, Chicago, Denver, Los Angeles): the windows open at different times.
  const int areas[] = {212, 312, 303, 213};
  s.contacts = 500;
  for (int i = 0; i < s.contacts; ++i) {
    Contact contact;
    contact.external_id = "c" + std::to_string(i);
    contact.numbers.push_back(PhoneNumber{us_number(areas[i % 4], i)});
    if (i % 3 == 0) contact.numbers.push_back(PhoneNumber{us_number(areas[(i + 1) % 4], i + 5000)});
    if (i % 40 == 0) s.dnc.insert(contact.numbers[0].e164);
    rig.engine.add_contact(c.id, contact);
  }
  for (const auto& n : s.dnc) rig.engine.add_dnc("global", n);
  s.agents = 8;
  for (int i = 0; i < s.agents; ++i) {
    rig.engine.set_agent_state(rig.engine.add_agent(c.id, "a" + std::to_string(i)),
                               AgentState::kAvailable);
  }
  return s;
}

// Runs the scenario's campaign to the end and checks every invariant.
void run_and_check(const Scenario& sc) {
  Rig rig(sc);
  CampaignSetup setup = set_up(rig, sc.mode);
  const CampaignConfig& c = setup.campaign;
  rig.storage.set_enabled(true);
  rig.telephony.set_enabled(true);
  rig.engine.start_campaign(c.id);
  if (sc.faults_for != Duration::max()) {
    rig.engine.run_for(sc.faults_for);
    rig.storage.set_enabled(false);
    rig.telephony.set_enabled(false);
  }
  const bool finished = rig.engine.run_until_done(std::chrono::hours(24 * 30));
  rig.storage.set_enabled(false);  // the checks below read storage
  rig.telephony.set_enabled(false);
  auto tf = rig.telephony.counts();
  auto stf = rig.storage.counts();
  SCOPED_TRACE("telephony faults: dropped " + std::to_string(tf.dropped) + ", duplicated " +
               std::to_string(tf.duplicated) + ", reordered " + std::to_string(tf.reordered) +
               ", delayed " + std::to_string(tf.delayed) + ", originates thrown " +
               std::to_string(tf.originates_thrown) + ", failed " +
               std::to_string(tf.originates_failed) + "; storage errors " +
               std::to_string(stf.errors) + ", stalls " + std::to_string(stf.stalls));

  // Each fault of the scenario was injected.
  const TelephonyFaultOptions& to = sc.telephony;
  EXPECT_EQ(to.drop_probability > 0, tf.dropped > 0);
  EXPECT_EQ(to.duplicate_probability > 0, tf.duplicated > 0);
  EXPECT_EQ(to.reorder_probability > 0, tf.reordered > 0);
  EXPECT_EQ(to.delay_probability > 0, tf.delayed > 0);
  EXPECT_EQ(to.originate_throw_probability > 0, tf.originates_thrown > 0);
  EXPECT_EQ(to.originate_fail_probability > 0, tf.originates_failed > 0);
  EXPECT_EQ(sc.storage.error_probability > 0, stf.errors > 0);
  EXPECT_EQ(sc.storage.stall_probability > 0, stf.stalls > 0);

  // The engine still runs: it finished the campaign (no timer left, nothing in transit).
  EXPECT_TRUE(finished) << "campaign not finished after 30 virtual days";
  EXPECT_EQ(rig.telephony.undelivered(), 0u);
  CampaignStatistics s = rig.engine.statistics(c.id);
  EXPECT_EQ(s.attempts_in_flight, 0) << "calls stuck in flight";
  EXPECT_EQ(s.completions_unsaved, 0u) << "finished attempts never saved";
  EXPECT_EQ(s.contacts_final, s.contacts_total) << "contacts left dialable but not dialed";
  EXPECT_GT(s.attempts, setup.contacts - static_cast<long>(setup.dnc.size()));

  // No call stuck: no agent is held by a call.
  for (AgentId a = 0; a < static_cast<AgentId>(setup.agents); ++a) {
    EXPECT_EQ(rig.engine.agent_state(a), AgentState::kAvailable) << "agent " << a;
  }
  for (CallId id : rig.recorder.launched) {
    EXPECT_FALSE(rig.engine.call_state(id).has_value()) << "call " << id << " still open";
  }

  // Nothing lost: every launched attempt finished exactly once and is recorded closed.
  EXPECT_EQ(rig.recorder.relaunched, 0);
  EXPECT_EQ(rig.recorder.double_dials, 0) << "a contact launched while its attempt was open";
  for (CallId id : rig.recorder.launched) {
    auto it = rig.recorder.finished.find(id);
    EXPECT_TRUE(it != rig.recorder.finished.end() && it->second == 1)
        << "call " << id << " finished " << (it == rig.recorder.finished.end() ? 0 : it->second)
        << " times";
  }
  ContactScan all;
  all.campaign_id = c.id;
  all.dialable_only = false;
  std::vector<Contact> contacts;
  rig.memory->scan_contacts(all, [&](const Contact& ct) {
    contacts.push_back(ct);
    return true;
  });
  ASSERT_EQ(contacts.size(), static_cast<std::size_t>(setup.contacts));
  std::set<CallId> recorded;
  TimeZoneMap& zones = rig.engine.time_zones();
  const CallWindow window = CallWindow::intersect(c.call_window, c.compliance.call_window);
  int violations = 0;
  auto fail = [&](const std::string& what) {
    if (++violations <= 15) ADD_FAILURE() << what;
  };
  for (const Contact& ct : contacts) {
    std::string who = "contact " + std::to_string(ct.id) + " (" + ct.external_id + ")";
    if (!is_final(ct.status)) fail(who + ": status " + to_string(ct.status));
    std::vector<Attempt> attempts = rig.memory->attempts_of(ct.id);
    if (attempts.size() != ct.attempts) {
      fail(who + ": counts " + std::to_string(ct.attempts) + " attempts, " +
           std::to_string(attempts.size()) + " recorded");
    }
    if (attempts.size() > static_cast<std::size_t>(c.max_attempts)) fail(who + ": over the cap");
    std::set<int> numbers;
    for (const Attempt& a : attempts) {
      recorded.insert(a.call_id);
      if (!numbers.insert(a.attempt_number).second) fail(who + ": attempt number twice");
      if (a.disposition == Disposition::kNone || !is_terminal(a.state) ||
          a.ended_at == TimePoint{}) {
        fail(who + ": call " + std::to_string(a.call_id) + " not closed (state " +
             to_string(a.state) + ")");
      }
      if (setup.dnc.count(a.number)) fail(who + ": dialed DNC number " + a.number);
    }
    std::sort(attempts.begin(), attempts.end(),
              [](const Attempt& x, const Attempt& y) { return x.created_at < y.created_at; });
    for (std::size_t i = 1; i < attempts.size(); ++i) {
      if (attempts[i - 1].ended_at > attempts[i].created_at) {
        fail(who + ": call " + std::to_string(attempts[i].call_id) + " started while call " +
             std::to_string(attempts[i - 1].call_id) + " was open");
      }
    }
    if (setup.dnc.count(ct.numbers[0].e164) && ct.numbers.size() == 1) {
      if (ct.status != ContactStatus::kDoNotCall) fail(who + ": on DNC but not DNC");
    }
  }
  for (CallId id : rig.recorder.launched) {
    if (!recorded.count(id)) fail("launched call " + std::to_string(id) + " not recorded");
  }

  // At the carrier: every call it dialed is recorded, inside the window, and a contact's calls
  // never overlap (originate .. the carrier's own end of the call).
  std::map<ContactId, std::vector<CarrierLog::Call>> by_contact;
  for (const auto& [id, call] : rig.carrier.calls) {
    if (!recorded.count(id)) fail("carrier call " + std::to_string(id) + " not recorded");
    if (!zones.is_open(zones.zone_set_for(call.number), window, call.originated,
                       c.fallback_time_zone)) {
      fail("call " + std::to_string(id) + " to " + call.number + " dialed at " +
           format_utc(call.originated) + ", outside the call window");
    }
    by_contact[call.contact].push_back(call);
  }
  for (auto& [contact, calls] : by_contact) {
    std::sort(calls.begin(), calls.end(),
              [](const auto& x, const auto& y) { return x.originated < y.originated; });
    for (std::size_t i = 1; i < calls.size(); ++i) {
      if (calls[i - 1].ended > calls[i].originated) {
        fail("contact " + std::to_string(contact) + " dialed at " +
             format_utc(calls[i].originated) + " while its call of " +
             format_utc(calls[i - 1].originated) + " was still live at the carrier");
      }
    }
  }

  // Compliance, after the fact.
  ComplianceAudit audit = audit_campaign(*rig.memory, c, zones);
  std::string examples;
  for (const auto& e : audit.examples) examples += "\n  " + e;
  EXPECT_EQ(audit.outside_window + audit.on_holiday + audit.under_min_ring +
                audit.repeat_violations + (sc.audit_abandon_cap ? audit.cap_breaches : 0),
            0)
      << "outside window " << audit.outside_window << ", under min ring " << audit.under_min_ring
      << ", cap breaches " << audit.cap_breaches << " (max rate " << audit.max_window_rate << ")"
      << examples;
  if (sc.audit_abandon_cap) EXPECT_LE(s.abandon_rate, c.compliance.abandon_cap);
  EXPECT_EQ(violations, 0);
}

class Chaos : public ::testing::TestWithParam<Scenario> {};

TEST_P(Chaos, CampaignKeepsEveryInvariant) { run_and_check(GetParam()); }

std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  out.push_back({"NoFault", {}, {}});
  {
    Scenario s{"DroppedEvents", {}, {}};
    s.telephony.seed = 101;
    s.telephony.drop_probability = 0.01;
    out.push_back(s);
  }
  {
    Scenario s{"DuplicatedEvents", {}, {}};
    s.telephony.seed = 102;
    s.telephony.duplicate_probability = 0.2;
    s.telephony.duplicate_delay = std::chrono::milliseconds(700);
    out.push_back(s);
  }
  {
    Scenario s{"ReorderedEvents", {}, {}};
    s.telephony.seed = 103;
    s.telephony.reorder_probability = 0.1;
    out.push_back(s);
  }
  {
    Scenario s{"DelayedEvents", {}, {}};
    s.telephony.seed = 104;
    s.telephony.delay_probability = 0.2;
    s.telephony.max_delay = std::chrono::milliseconds(1500);
    out.push_back(s);
  }
  {
    Scenario s{"OriginateThrows", {}, {}};
    s.telephony.seed = 105;
    s.telephony.originate_throw_probability = 0.05;
    out.push_back(s);
  }
  {
    Scenario s{"OriginateFails", {}, {}};
    s.telephony.seed = 106;
    s.telephony.originate_fail_probability = 0.1;
    out.push_back(s);
  }
  {
    Scenario s{"StorageErrors", {}, {}};
    s.storage.seed = 107;
    s.storage.error_probability = 0.03;
    out.push_back(s);
  }
  {
    Scenario s{"StorageStalls", {}, {}};
    s.storage.seed = 108;
    s.storage.stall_probability = 0.05;
    s.storage.stall = std::chrono::milliseconds(1500);
    out.push_back(s);
  }
  auto all = [](std::string name, std::uint64_t seed) {
    Scenario s{std::move(name), {}, {}};
    s.telephony.seed = seed;
    s.telephony.drop_probability = 0.005;
    s.telephony.duplicate_probability = 0.1;
    s.telephony.reorder_probability = 0.05;
    s.telephony.delay_probability = 0.1;
    s.telephony.max_delay = std::chrono::milliseconds(1000);
    s.telephony.originate_throw_probability = 0.02;
    s.telephony.originate_fail_probability = 0.05;
    s.storage.seed = seed + 1;
    s.storage.error_probability = 0.02;
    s.storage.stall_probability = 0.02;
    s.storage.stall = std::chrono::milliseconds(500);
    return s;
  };
  out.push_back(all("AllTogether", 201));
  {
    Scenario s = all("AllTogetherPredictive", 301);
    s.mode = DialMode::kPredictive;
    out.push_back(s);
  }
  {
    // Heavy faults for the first three hours, then a healthy carrier and database: the engine
    // must pick up and finish the campaign.
    Scenario s{"HeavyFaultsThenRecovery", {}, {}};
    s.telephony.seed = 401;
    s.telephony.drop_probability = 0.1;
    s.telephony.duplicate_probability = 0.3;
    s.telephony.reorder_probability = 0.2;
    s.telephony.delay_probability = 0.3;
    s.telephony.originate_throw_probability = 0.2;
    s.telephony.originate_fail_probability = 0.2;
    s.storage.seed = 402;
    s.storage.error_probability = 0.05;
    s.storage.stall_probability = 0.1;
    s.faults_for = std::chrono::hours(3);
    s.audit_abandon_cap = false;  // 10 % of BRIDGED events lost: 10 % of live answers abandoned
    out.push_back(s);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Faults, Chaos, ::testing::ValuesIn(scenarios()),
                         [](const auto& info) { return info.param.name; });

// The injectors themselves: same seed, same faults; disabled, nothing changes.
TEST(FaultInjectors, SameSeedSameFaultsAndDisabledChangesNothing) {
  auto run = [](bool enabled) {
    Scenario s;
    for (const Scenario& each : scenarios()) {
      if (each.name == "AllTogether") s = each;
    }
    Rig rig(s);
    CampaignSetup setup = set_up(rig, DialMode::kProgressive);
    rig.storage.set_enabled(enabled);
    rig.telephony.set_enabled(enabled);
    rig.engine.start_campaign(setup.campaign.id);
    rig.engine.run_for(std::chrono::hours(2));
    rig.storage.set_enabled(false);
    auto t = rig.telephony.counts();
    auto st = rig.storage.counts();
    CampaignStatistics stats = rig.engine.statistics(setup.campaign.id);
    return std::make_tuple(t.dropped, t.duplicated, t.reordered, t.delayed, t.originates_thrown,
                           t.originates_failed, st.errors, st.stalls, stats.attempts,
                           stats.live_answers);
  };
  auto a = run(true), b = run(true);
  EXPECT_EQ(a, b);
  EXPECT_GT(std::get<0>(a), 0u);
  EXPECT_GT(std::get<6>(a), 0u);
  auto off = run(false);
  EXPECT_EQ(std::get<0>(off) + std::get<1>(off) + std::get<6>(off) + std::get<7>(off), 0u);
}

TEST(FaultInjectors, StorageErrorIsTheLostConnectionErrorAndRespectsTheOperationMask) {
  auto memory = make_memory_storage();
  StorageFaultOptions o;
  o.error_probability = 1.0;
  o.operations = testing::kOpGetContact;
  FaultyStorage storage(memory.get(), o);
  Contact c;
  c.campaign_id = "x";
  c.numbers.push_back(PhoneNumber{"+12125550100"});
  ContactId id = storage.add_contact(c);  // not selected: passes
  try {
    storage.get_contact(id);
    FAIL() << "no error injected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
    EXPECT_NE(std::string(e.what()).find("connection lost"), std::string::npos);
  }
  storage.set_enabled(false);
  EXPECT_TRUE(storage.get_contact(id).has_value());
  EXPECT_EQ(storage.counts().errors, 1u);
}

TEST(FaultInjectors, VirtualStallPassesTimeWithoutFiringTimers) {
  VirtualClock clock(kStart);
  auto memory = make_memory_storage();
  StorageFaultOptions o;
  o.stall_probability = 1.0;
  o.stall = std::chrono::seconds(3);
  o.clock = &clock;
  FaultyStorage storage(memory.get(), o);
  bool fired = false;
  clock.schedule_at(kStart + std::chrono::seconds(1), [&] { fired = true; });
  storage.get_contact(1);
  EXPECT_EQ(clock.now(), kStart + std::chrono::seconds(3));
  EXPECT_FALSE(fired) << "a stall blocks the driving thread: timers fire late, not inside it";
  clock.advance_to(clock.now());
  EXPECT_TRUE(fired);
}

TEST(FaultInjectors, RejectsProbabilitiesOutsideZeroToOne) {
  VirtualClock clock(kStart);
  auto memory = make_memory_storage();
  StorageFaultOptions so;
  so.error_probability = 1.5;
  EXPECT_THROW(FaultyStorage(memory.get(), so), Error);
  Simulator sim(SimulationOptions{}, &clock);
  TelephonyFaultOptions to;
  to.drop_probability = -0.1;
  EXPECT_THROW(FaultyTelephony(&sim, &clock, to), Error);
}

}  // namespace
}  // namespace omnivox
