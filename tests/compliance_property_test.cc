// Property test: random scenarios — profile, pacing policy, world, numbers across countries —
// run for two simulated days, and the compliance audit of every call record must be clean: no
// call outside its window or on a holiday, under the ring minimum, inside a repeat window, or
// past the abandon cap.
#include <gtest/gtest.h>

#include <random>

#include "omnivox/audit.h"
#include "omnivox/compliance.h"
#include "omnivox/engine.h"
#include "omnivox/policies.h"
#include "omnivox/sim.h"

namespace omnivox {
namespace {

std::string random_number(std::mt19937_64& rng, int i) {
  std::string suffix = std::to_string(1000000 + i).substr(1);
  switch (rng() % 7) {
    case 0:
      return "+1212" + std::to_string(2000000 + i);  // New York
    case 1:
      return "+1305" + std::to_string(2000000 + i);  // Florida
    case 2:
      return "+1208" + std::to_string(3000000 + i);  // Boise, two zones
    case 3:
      return "+1416" + std::to_string(2000000 + i);  // Toronto
    case 4:
      return "+44207946" + suffix.substr(2);  // London
    case 5:
      return "+6129" + std::to_string(1000000 + i);  // Sydney
    default:
      return "+35121" + std::to_string(3000000 + i);  // Lisbon
  }
}

std::unique_ptr<PacingPolicy> random_policy(std::mt19937_64& rng, std::string* name) {
  switch (rng() % 5) {
    case 0:
      *name = "predictive";
      return make_predictive_policy();
    case 1:
      *name = "power(3)";
      return make_power_policy(3.0);
    case 2:
      *name = "vicidial";
      return make_vicidial_policy();
    case 3:
      *name = "expected_availability";
      return make_expected_availability_policy();
    default: {
      *name = "threshold(2, 2)";
      ThresholdOptions o;
      o.k = 2;
      o.c = 2;
      return make_threshold_policy(o);
    }
  }
}

// 60 seeds (about 20 s): UK_OFCOM's 24-hour window turns over within the two days, and on these
// seeds a rate held at the cap passes it after a lull unless the governor bounds the windows
// ending later as well.
TEST(ComplianceProperty, RandomScenariosNeverBreakARule) {
  const char* profiles[] = {"US_FTC_FCC", "UK_OFCOM", "CA_CRTC", "AU_ACMA", "NONE"};
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    std::mt19937_64 rng(seed * 7919);
    std::uniform_real_distribution<double> u(0, 1);
    SimulationOptions so;
    so.seed = seed;
    so.parametric.p_live = 0.15 + 0.3 * u(rng);
    // Machines up to 40 % of attempts: under a profile that counts AMD false positives, machine
    // results alone would pass the cap in many of these worlds; the engine suspends AMD instead.
    so.parametric.p_machine = 0.4 * u(rng);
    so.parametric.p_busy = 0.1 * u(rng);
    so.parametric.p_invalid = 0.02;
    so.parametric.talk = Distribution::lognormal(60 + 120 * u(rng), 60);
    so.wrap_up = Distribution::fixed(5 + 10 * u(rng));
    so.amd_false_positive = 0.05 * u(rng);
    CampaignConfig c;
    c.id = "prop";
    std::string profile_name = profiles[rng() % 5];
    c.compliance = *ComplianceProfile::by_name(profile_name);
    if (profile_name == "NONE") c.compliance.abandon_cap = 0.05;
    c.call_window = CallWindow::every_day(7 * 60 + static_cast<int>(rng() % 120), 22 * 60);
    c.amd = rng() % 2 == 0;
    c.max_attempts = 3;
    c.ring_timeout = std::chrono::seconds(20 + rng() % 10);
    c.retry_rules[Disposition::kNoAnswer] = {false, std::chrono::minutes(20)};
    c.retry_rules[Disposition::kMachine] = {false, std::chrono::minutes(30)};
    c.retry_rules[Disposition::kAbandoned] = {false, std::chrono::minutes(30)};
    EngineOptions eo = Simulation::quiet_engine_options();
    eo.log_level = LogLevel::kError;
    // Start on a Friday so weekends (and AU's closed Sunday) are crossed.
    Simulation simulation(so, parse_utc("2026-04-24T00:00:00Z"), eo);
    Engine& engine = simulation.engine();
    engine.add_campaign(c);
    std::string policy_name;
    engine.set_pacing_policy("prop", random_policy(rng, &policy_name));
    for (int i = 0; i < 3000; ++i) {
      Contact ct;
      ct.numbers.push_back(PhoneNumber{random_number(rng, i)});
      engine.add_contact("prop", std::move(ct));
    }
    int agents = 3 + static_cast<int>(rng() % 20);
    simulation.add_agents("prop", agents);
    engine.start_campaign("prop");
    engine.run_for(std::chrono::hours(48));
    ComplianceAudit audit = audit_campaign(simulation.storage(), c, engine.time_zones());
    SCOPED_TRACE("seed " + std::to_string(seed) + ": " + profile_name + ", " + policy_name +
                 ", amd " + std::to_string(c.amd) + ", " + std::to_string(agents) + " agents");
    CampaignStatistics st = engine.statistics("prop");
    std::printf(
        "seed %2llu %-10s %-22s amd %d agents %2d: %5ld attempts, abandon rate %.2f%% "
        "(window max %.2f%% counted), %ld machines, %ld answers with AMD suspended\n",
        static_cast<unsigned long long>(seed), profile_name.c_str(), policy_name.c_str(),
        c.amd ? 1 : 0, agents, audit.attempts, 100 * st.abandon_rate, 100 * audit.max_window_rate,
        st.machines, st.amd_suspended);
    EXPECT_GT(audit.attempts, 100);
    EXPECT_TRUE(audit.clean()) << "outside window " << audit.outside_window << ", holiday "
                               << audit.on_holiday << ", ring " << audit.under_min_ring
                               << ", repeat " << audit.repeat_violations << ", cap "
                               << audit.cap_breaches << "; e.g. "
                               << (audit.examples.empty() ? "" : audit.examples[0]);
  }
}

}  // namespace
}  // namespace omnivox
