// Erlang B, C and A against published examples, identities and independent computations.
#include "omnivox/erlang.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace omnivox {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Expects omnivox::Error(kInvalidArgument) whose message names `param`.
template <typename F>
void expect_invalid(F&& f, const std::string& param) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one naming " << param;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(param), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Erlang B

TEST(ErlangB, FifteenLinesAtOnePercentCarryTheTableTraffic) {
  EXPECT_NEAR(erlang_b_offered_traffic(15, 0.01), 8.108, 0.0005);
  EXPECT_NEAR(erlang_b(15, 8.108), 0.01, 1e-5);
  EXPECT_NEAR(erlang_b_carried_traffic(15, 0.01), 8.108 * 0.99, 0.0005);
  EXPECT_EQ(erlang_b_lines(8.108, 0.01), 15);
  EXPECT_EQ(erlang_b_lines(8.2, 0.01), 16);
}

TEST(ErlangB, SmallCasesByHand) {
  EXPECT_DOUBLE_EQ(erlang_b(0, 3.0), 1.0);
  EXPECT_DOUBLE_EQ(erlang_b(4, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(erlang_b(1, 1.0), 0.5);        // A / (1 + A)
  EXPECT_DOUBLE_EQ(erlang_b(2, 2.0), 2.0 / 5.0);  // (A^2/2) / (1 + A + A^2/2)
  EXPECT_NEAR(erlang_b(3, 1.5), (1.5 * 1.5 * 1.5 / 6) / (1 + 1.5 + 1.125 + 0.5625), 1e-15);
}

TEST(ErlangB, InverseRoundTripsAndIsStableForLargeN) {
  for (int n : {1, 2, 7, 30, 120, 500, 2000}) {
    for (double target : {1e-6, 0.001, 0.01, 0.05, 0.3, 0.9}) {
      const double a = erlang_b_offered_traffic(n, target);
      ASSERT_TRUE(std::isfinite(a)) << n << " " << target;
      EXPECT_NEAR(erlang_b(n, a), target, 1e-10 * std::max(1.0, target * 100)) << n;
      EXPECT_NEAR(erlang_b_carried_traffic(n, target), a * (1 - target), 1e-9 * a);
    }
  }
  // B decreases in N and increases in A; no overflow for big inputs.
  EXPECT_GT(erlang_b(2000, 1900.0), erlang_b(2001, 1900.0));
  EXPECT_LT(erlang_b(2000, 1900.0), erlang_b(2000, 1901.0));
  EXPECT_EQ(erlang_b(5000, 1.0), 0.0);  // underflows gracefully to 0 (true value ~1e-16326)
}

// Carried traffic A (1 - B) where B rounds to 1: it tends to the number of lines.
TEST(ErlangB, CarriedTrafficTendsToTheLinesUnderHugeLoad) {
  EXPECT_EQ(erlang_b(100, 1e20), 1.0);  // 1 - B ~ 1e-18 is below double resolution
  EXPECT_NEAR(erlang_b_carried_erlangs(100, 1e20), 100.0, 1e-12);
  EXPECT_NEAR(erlang_b_carried_erlangs(100, 1e300), 100.0, 1e-12);
  // One line: carried = A / (1 + A), the busy probability.
  EXPECT_NEAR(erlang_b_carried_erlangs(1, 1e20), 1.0, 1e-15);
  EXPECT_DOUBLE_EQ(erlang_b_carried_erlangs(1, 3.0), 0.75);
  // Where B is well inside (0, 1) it agrees with A (1 - B).
  for (int n : {1, 15, 120, 2000}) {
    for (double a : {0.5, 8.108, 100.0, 1900.0, 5000.0}) {
      EXPECT_NEAR(erlang_b_carried_erlangs(n, a), a * (1 - erlang_b(n, a)), 1e-12 * a) << n << a;
    }
  }
  // Growing, never above N nor A.
  double prev = 0;
  for (double a = 1; a < 1e30; a *= 10) {
    const double c = erlang_b_carried_erlangs(50, a);
    EXPECT_GE(c, prev) << a;
    EXPECT_LE(c, std::min(50.0, a)) << a;
    prev = c;
  }
  EXPECT_EQ(erlang_b_carried_erlangs(4, 0.0), 0.0);
  EXPECT_EQ(erlang_b_carried_erlangs(0, 3.0), 0.0);
  EXPECT_DOUBLE_EQ(erlang_b_carried_erlangs(5000, 1.0), 1.0);  // B ~ 1e-16326
}

TEST(ErlangB, RejectsInvalidInputsNamingTheParameter) {
  expect_invalid([] { erlang_b(-1, 1.0); }, "lines");
  expect_invalid([] { erlang_b(3, -0.5); }, "traffic_erlangs");
  expect_invalid([] { erlang_b(3, kInf); }, "traffic_erlangs");
  expect_invalid([] { erlang_b(3, std::nan("")); }, "traffic_erlangs");
  expect_invalid([] { erlang_b_offered_traffic(0, 0.01); }, "lines");
  expect_invalid([] { erlang_b_offered_traffic(5, 0.0); }, "blocking");
  expect_invalid([] { erlang_b_offered_traffic(5, 1.0); }, "blocking");
  expect_invalid([] { erlang_b_lines(-2.0, 0.01); }, "traffic_erlangs");
  expect_invalid([] { erlang_b_lines(2.0, 1.5); }, "blocking");
  expect_invalid([] { erlang_b_carried_erlangs(3, kInf); }, "traffic_erlangs");
}

// Inputs that would run for minutes (O(N) per evaluation) are refused at once.
TEST(ErlangB, RefusesServerCountsBeyondTheLimit) {
  expect_invalid([] { erlang_b(kErlangMaxServers + 1, 5.0); }, "lines");
  expect_invalid([] { erlang_b(2'000'000'000, 5.0); }, "lines");
  expect_invalid([] { erlang_b_carried_erlangs(2'000'000'000, 5.0); }, "lines");
  expect_invalid([] { erlang_b_offered_traffic(2'000'000'000, 0.01); }, "lines");
  expect_invalid([] { erlang_b_lines(1e20, 0.01); }, "traffic_erlangs");
  EXPECT_GT(erlang_b(kErlangMaxServers, 9e4), 0.0);
  EXPECT_LE(erlang_b_lines(9e4, 0.01), kErlangMaxServers);
}

// ---------------------------------------------------------------------------------------------
// Erlang C

TEST(ErlangC, ThreeSixtyCallsPerHalfHourFiftyFiveAgents) {
  const ErlangCResult r = erlang_c(360, 1800, 240, 55, 20);
  EXPECT_DOUBLE_EQ(r.traffic_erlangs, 48.0);
  EXPECT_NEAR(r.p_wait, 0.2387, 0.00005);
  EXPECT_NEAR(r.service_level, 0.8668, 0.00005);
  EXPECT_NEAR(r.asa_s, 8.18, 0.005);
  EXPECT_NEAR(r.occupancy, 48.0 / 55.0, 1e-15);
  EXPECT_NEAR(r.mean_wait_of_waiting_s, 240.0 / 7.0, 1e-12);
  EXPECT_NEAR(r.p_wait, erlang_c_probability_of_wait(55, 48.0), 1e-15);
}

TEST(ErlangC, AgentsForTargetServiceLevel) {
  const int n = erlang_c_agents(360, 1800, 240, 20, 0.80);
  EXPECT_GE(erlang_c(360, 1800, 240, n, 20).service_level, 0.80);
  EXPECT_LT(erlang_c(360, 1800, 240, n - 1, 20).service_level, 0.80);
  EXPECT_EQ(erlang_c_agents(360, 1800, 240, 20, 0.86), 55);  // 0.8668 at 55
}

TEST(ErlangC, UnstableLoadReportsInfiniteWait) {
  const ErlangCResult r = erlang_c(450, 1800, 240, 60, 20);  // A = 60 = N
  EXPECT_EQ(r.p_wait, 1.0);
  EXPECT_EQ(r.service_level, 0.0);
  EXPECT_TRUE(std::isinf(r.asa_s));
  EXPECT_EQ(r.occupancy, 1.0);
  EXPECT_EQ(erlang_c_probability_of_wait(3, 5.0), 1.0);
}

TEST(ErlangC, ZeroThresholdAndLargeN) {
  const ErlangCResult r0 = erlang_c(360, 1800, 240, 55, 0);
  EXPECT_NEAR(r0.service_level, 1 - r0.p_wait, 1e-15);
  const ErlangCResult big = erlang_c(9000, 1800, 120, 620, 20);  // A = 600
  EXPECT_GT(big.p_wait, 0.0);
  EXPECT_LT(big.p_wait, 1.0);
  EXPECT_GT(big.service_level, 0.0);
  EXPECT_LT(big.service_level, 1.0);
}

TEST(ErlangC, RejectsInvalidInputsNamingTheParameter) {
  expect_invalid([] { erlang_c(-1, 1800, 240, 55, 20); }, "calls");
  expect_invalid([] { erlang_c(360, 0, 240, 55, 20); }, "interval_s");
  expect_invalid([] { erlang_c(360, 1800, -240, 55, 20); }, "aht_s");
  expect_invalid([] { erlang_c(360, 1800, 240, 0, 20); }, "agents");
  expect_invalid([] { erlang_c(360, 1800, 240, 55, -1); }, "answer_within_s");
  expect_invalid([] { erlang_c_agents(360, 1800, 240, 20, 1.0); }, "target_service_level");
  expect_invalid([] { erlang_c_probability_of_wait(0, 1.0); }, "agents");
}

// Inputs whose load overflows, or that would run for minutes, are refused naming the input;
// at the limits every result is finite but the documented unbounded waits.
TEST(ErlangC, RefusesInputsBeyondTheLimitsAndIsFiniteWithinThem) {
  expect_invalid([] { erlang_c(1e300, 1800, 1e300, 5, 20); }, "calls");
  expect_invalid([] { erlang_c(360, 1800, 1e300, 5, 20); }, "aht_s");
  expect_invalid([] { erlang_c(360, 1e-300, 240, 5, 20); }, "interval_s");
  expect_invalid([] { erlang_c(360, 1800, 240, 5, 1e300); }, "answer_within_s");
  expect_invalid([] { erlang_c(360, 1800, 240, 2'000'000'000, 20); }, "agents");
  expect_invalid([] { erlang_c_probability_of_wait(2'000'000'000, 1.0); }, "agents");
  expect_invalid([] { erlang_c_agents(kErlangMaxCalls, 1, 1e6, 20, 0.8); }, "traffic_erlangs");

  const ErlangCResult worst =
      erlang_c(kErlangMaxCalls, kErlangMinTimeS, kErlangMaxTimeS, kErlangMaxServers, 0);
  EXPECT_TRUE(std::isfinite(worst.traffic_erlangs));
  EXPECT_EQ(worst.p_wait, 1.0);
  EXPECT_TRUE(std::isinf(worst.asa_s));
  // Stable within one rounding step of capacity: long but finite waits.
  const double interval = 1800, aht = kErlangMaxTimeS;
  const int n = kErlangMaxServers;
  const double calls = std::nextafter(n * interval / aht, 0.0);
  const ErlangCResult edge = erlang_c(calls, interval, aht, n, kErlangMaxTimeS);
  if (edge.traffic_erlangs < n) {
    EXPECT_TRUE(std::isfinite(edge.asa_s));
    EXPECT_TRUE(std::isfinite(edge.mean_wait_of_waiting_s));
    EXPECT_TRUE(std::isfinite(edge.service_level));
  }
}

// ---------------------------------------------------------------------------------------------
// Erlang A

ErlangAInput example_a() {
  ErlangAInput in;
  in.calls = 100;
  in.interval_s = 1800;
  in.aht_s = 180;
  in.patience_s = 300;
  in.agents = 14;
  in.answer_within_s = 20;
  return in;
}

TEST(ErlangA, HundredCallsPerHalfHourFourteenAgents) {
  const ErlangAResult r = erlang_a(example_a());
  EXPECT_NEAR(r.traffic_erlangs, 10.0, 1e-12);
  EXPECT_NEAR(r.p_wait, 0.14526, 0.000005);
  EXPECT_NEAR(r.p_abandon, 0.013984, 0.0000005);
}

TEST(ErlangA, FlowAndLittleIdentitiesHold) {
  const ErlangAInput in = example_a();
  const ErlangAResult r = erlang_a(in);
  const double lambda = in.calls / in.interval_s;
  // Abandons = theta E[Q]; Little: E[W over all] = E[Q] / lambda = P(abandon) x patience.
  EXPECT_NEAR(r.mean_wait_all_s, r.mean_queue / lambda, 1e-12);
  EXPECT_NEAR(r.mean_wait_all_s, r.p_abandon * in.patience_s, 1e-9);
  EXPECT_NEAR(r.mean_wait_of_waiting_s * r.p_wait, r.mean_wait_all_s, 1e-12);
  EXPECT_NEAR(r.occupancy, 10.0 * (1 - r.p_abandon) / 14, 1e-15);
  // Served calls wait less on average than all calls (abandoners are the long waits).
  EXPECT_LT(r.asa_s * (1 - r.p_abandon), r.mean_wait_all_s);
  EXPECT_LE(r.service_level, 1 - r.p_abandon);
  EXPECT_GE(r.service_level, 1 - r.p_wait);
  EXPECT_LE(r.p_abandon_within_t, r.p_abandon);
}

TEST(ErlangA, ServiceLevelLimitsInT) {
  ErlangAInput in = example_a();
  in.answer_within_s = 0;
  const ErlangAResult r0 = erlang_a(in);
  EXPECT_NEAR(r0.service_level, 1 - r0.p_wait, 1e-15);
  EXPECT_EQ(r0.p_abandon_within_t, 0.0);
  in.answer_within_s = 1e5;
  const ErlangAResult rinf = erlang_a(in);
  EXPECT_NEAR(rinf.service_level, 1 - rinf.p_abandon, 1e-12);
  EXPECT_NEAR(rinf.p_abandon_within_t, rinf.p_abandon, 1e-12);
  double prev = 0;
  for (double t : {0.0, 1.0, 5.0, 20.0, 60.0, 300.0}) {
    in.answer_within_s = t;
    const double sl = erlang_a(in).service_level;
    EXPECT_GE(sl, prev) << t;
    prev = sl;
  }
}

// Independent check of the service level: the stationary queue by direct products, and for a
// call that finds q queued, P(served within t) by uniformising its own absorbing chain
// (q ahead -> q-1 at N mu + q theta, ..., 0 ahead -> served at N mu; abandons at theta).
TEST(ErlangA, ServiceLevelMatchesUniformisedTaggedCallChain) {
  for (double t : {5.0, 20.0, 90.0}) {
    ErlangAInput in = example_a();
    in.answer_within_s = t;
    const ErlangAResult r = erlang_a(in);
    const int n = in.agents, qmax = 150;
    const double lambda = in.calls / in.interval_s, mu = 1 / in.aht_s, th = 1 / in.patience_s;
    std::vector<double> pi(n + qmax + 1);
    pi[0] = 1;
    for (int k = 1; k <= n + qmax; ++k) {
      pi[k] = pi[k - 1] * lambda / (k <= n ? k * mu : n * mu + (k - n) * th);
    }
    double z = 0;
    for (double v : pi) z += v;
    double sl = 0;
    for (int k = 0; k < n; ++k) sl += pi[k] / z;
    const double gamma = n * mu + (qmax + 1) * th;
    for (int q = 0; q < qmax; ++q) {
      // state i = calls ahead (q..0), index q+1 = served.
      std::vector<double> x(q + 2, 0.0), y(q + 2);
      x[q] = 1;
      double served = 0, weight = std::exp(-gamma * t), cum_weight = 0;
      for (int step = 0; step < 2000; ++step) {
        served += weight * x[q + 1];
        cum_weight += weight;
        std::fill(y.begin(), y.end(), 0.0);
        y[q + 1] = x[q + 1];
        for (int i = 0; i <= q; ++i) {
          const double adv = (n * mu + i * th) / gamma, ab = th / gamma;
          y[i] += x[i] * (1 - adv - ab);
          y[i == 0 ? q + 1 : i - 1] += x[i] * adv;
        }
        x.swap(y);
        weight *= gamma * t / (step + 1);
      }
      ASSERT_NEAR(cum_weight, 1.0, 1e-12);
      sl += pi[n + q] / z * served;
    }
    EXPECT_NEAR(r.service_level, sl, 1e-10) << t;
  }
}

// Mean waits against a seeded simulation of FCFS M/M/N+M (loose, statistical tolerance).
TEST(ErlangA, WaitsMatchSimulation) {
  const ErlangAInput in = example_a();
  const ErlangAResult r = erlang_a(in);
  const double lambda = in.calls / in.interval_s, mu = 1 / in.aht_s;
  std::mt19937_64 rng(12345);
  std::exponential_distribution<double> e(1.0);
  std::priority_queue<double, std::vector<double>, std::greater<double>> ends;
  std::deque<std::pair<double, double>> queue;  // (arrival, give-up time)
  double now = 0, next_arrival = e(rng) / lambda, wait_served = 0;
  long arrivals = 0, served = 0, abandoned = 0, served_in_t = 0;
  while (arrivals < 400000) {
    const double end = ends.empty() ? kInf : ends.top();
    if (next_arrival < end) {
      now = next_arrival;
      next_arrival = now + e(rng) / lambda;
      ++arrivals;
      if (static_cast<int>(ends.size()) < in.agents) {
        ends.push(now + e(rng) / mu);
        ++served;
        ++served_in_t;
      } else {
        queue.emplace_back(now, now + e(rng) * in.patience_s);
      }
    } else {
      now = end;
      ends.pop();
      while (!queue.empty() && queue.front().second < now) {
        ++abandoned;
        queue.pop_front();
      }
      if (!queue.empty()) {
        const double w = now - queue.front().first;
        queue.pop_front();
        wait_served += w;
        ++served;
        if (w <= in.answer_within_s) ++served_in_t;
        ends.push(now + e(rng) / mu);
      }
    }
  }
  EXPECT_NEAR(static_cast<double>(abandoned) / arrivals, r.p_abandon, 0.002);
  EXPECT_NEAR(static_cast<double>(served_in_t) / arrivals, r.service_level, 0.003);
  EXPECT_NEAR(wait_served / served, r.asa_s, 0.05 * r.asa_s);
}

TEST(ErlangA, TendsToErlangCAsPatienceGrows) {
  ErlangAInput in;
  in.calls = 360;
  in.interval_s = 1800;
  in.aht_s = 240;
  in.agents = 55;
  in.answer_within_s = 20;
  const ErlangCResult c = erlang_c(360, 1800, 240, 55, 20);
  in.patience_s = 1e8;
  const ErlangAResult a = erlang_a(in);
  EXPECT_NEAR(a.p_wait, c.p_wait, 1e-6);
  EXPECT_NEAR(a.service_level, c.service_level, 1e-6);
  EXPECT_NEAR(a.asa_s, c.asa_s, 1e-4);
  in.patience_s = kInf;
  const ErlangAResult exact = erlang_a(in);
  EXPECT_DOUBLE_EQ(exact.p_wait, c.p_wait);
  EXPECT_DOUBLE_EQ(exact.service_level, c.service_level);
  EXPECT_EQ(exact.p_abandon, 0.0);
  // Shorter patience: fewer waiting calls, more abandons.
  in.patience_s = 60;
  const ErlangAResult impatient = erlang_a(in);
  EXPECT_LT(impatient.p_wait, c.p_wait);
  EXPECT_GT(impatient.p_abandon, 0.0);
}

TEST(ErlangA, StableForHundredsOfAgentsAndOverload) {
  ErlangAInput in;
  in.interval_s = 3600;
  in.aht_s = 120;
  in.patience_s = 60;
  in.answer_within_s = 20;
  in.calls = 18000;  // A = 600 Erlangs
  for (int n : {300, 400, 590, 600, 650, 900}) {
    in.agents = n;
    const ErlangAResult r = erlang_a(in);
    EXPECT_TRUE(std::isfinite(r.p_wait) && r.p_wait >= 0 && r.p_wait <= 1) << n;
    EXPECT_TRUE(std::isfinite(r.p_abandon) && r.p_abandon >= 0 && r.p_abandon <= 1) << n;
    EXPECT_TRUE(r.service_level >= 0 && r.service_level <= 1) << n;
    EXPECT_TRUE(std::isfinite(r.asa_s)) << n;
    if (n <= 400) {
      // Heavy overload: the fluid limit, abandon fraction ~ 1 - N / A.
      EXPECT_NEAR(r.p_abandon, 1.0 - n / 600.0, 0.01) << n;
      EXPECT_NEAR(r.occupancy, 1.0, 0.01) << n;
    }
  }
}

// Light load on many agents: the part below N (~N! / A^N) is far beyond the double range and
// P(wait) underflows; the series must still end and every quantity conditional on waiting must
// match the queue alone.
TEST(ErlangA, LightLoadOnHundredsAndThousandsOfAgents) {
  ErlangAInput in = example_a();
  const double lambda = in.calls / in.interval_s, mu = 1 / in.aht_s, theta = 1 / in.patience_s;
  for (int n : {200, 300, 1000, 20000}) {
    in.agents = n;
    const ErlangAResult r = erlang_a(in);
    // Independent: the queue alone, by direct products (its terms fall fast here).
    double sum_u = 0, sum_qu = 0, u = 1;
    for (int q = 0; q < 60; ++q) {
      if (q > 0) u *= lambda / (n * mu + q * theta);
      sum_u += u;
      sum_qu += q * u;
    }
    EXPECT_NEAR(r.mean_wait_of_waiting_s, sum_qu / sum_u / lambda, 1e-12 * r.mean_wait_of_waiting_s)
        << n;
    // A waiting call waits about Exp(N mu + theta): the first of a service end and its patience.
    EXPECT_NEAR(r.mean_wait_of_waiting_s, 1 / (n * mu + theta), 0.1 / (n * mu + theta)) << n;
    // P(wait) = U / (L + U - 1), L - 1 = sum_{k<N} N! / (k! A^(N-k)), in logs by lgamma.
    const double a = lambda / mu;
    double log_l1 = -kInf;
    for (int k = 0; k < n; ++k) {
      const double t = std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - (n - k) * std::log(a);
      log_l1 = std::max(log_l1, t) + std::log1p(std::exp(-std::fabs(log_l1 - t)));
    }
    const double p_wait = 1 / (1 + std::exp(log_l1 - std::log(sum_u)));
    EXPECT_NEAR(r.p_wait, p_wait, 1e-9 * p_wait + 1e-300) << n;
    EXPECT_TRUE(r.p_wait >= 0 && r.p_wait < 1e-100) << n;
    EXPECT_EQ(r.service_level, 1.0) << n;
    EXPECT_NEAR(r.occupancy, a / n, 1e-12) << n;
    EXPECT_TRUE(std::isfinite(r.asa_s) && std::isfinite(r.mean_queue)) << n;
  }
}

TEST(ErlangA, OverloadOnAThousandAgents) {
  ErlangAInput in;
  in.interval_s = 3600;
  in.aht_s = 120;
  in.patience_s = 60;
  in.calls = 60000;  // A = 2000 Erlangs
  in.agents = 1000;
  const ErlangAResult r = erlang_a(in);
  EXPECT_NEAR(r.p_abandon, 0.5, 0.01);
  EXPECT_NEAR(r.occupancy, 1.0, 0.01);
  EXPECT_GT(r.p_wait, 0.99);
  EXPECT_TRUE(std::isfinite(r.asa_s) && std::isfinite(r.mean_wait_of_waiting_s));
}

TEST(ErlangA, RefusesPatienceBeyondTheLimits) {
  ErlangAInput in = example_a();
  in.patience_s = 1e300;
  expect_invalid([&] { erlang_a(in); }, "patience_s");
  in.patience_s = -kInf;
  expect_invalid([&] { erlang_a(in); }, "patience_s");
  // An overload whose queue would peak at ~1e21 calls: refused before summing.
  in = example_a();
  in.calls = kErlangMaxCalls;
  in.interval_s = 1;
  in.aht_s = 1;
  in.patience_s = kErlangMaxTimeS;
  expect_invalid([&] { erlang_a(in); }, "patience_s");
  in = example_a();
  in.agents = kErlangMaxServers + 1;
  expect_invalid([&] { erlang_a(in); }, "agents");
}

TEST(ErlangA, RejectsInvalidInputsNamingTheParameter) {
  auto with = [](auto edit) {
    ErlangAInput in = example_a();
    edit(in);
    return in;
  };
  expect_invalid([&] { erlang_a(with([](ErlangAInput& i) { i.calls = -1; })); }, "calls");
  expect_invalid([&] { erlang_a(with([](ErlangAInput& i) { i.interval_s = 0; })); }, "interval_s");
  expect_invalid([&] { erlang_a(with([](ErlangAInput& i) { i.aht_s = kInf; })); }, "aht_s");
  expect_invalid([&] { erlang_a(with([](ErlangAInput& i) { i.patience_s = 0; })); }, "patience_s");
  expect_invalid([&] { erlang_a(with([](ErlangAInput& i) { i.patience_s = std::nan(""); })); },
                 "patience_s");
  expect_invalid([&] { erlang_a(with([](ErlangAInput& i) { i.agents = 0; })); }, "agents");
  expect_invalid([&] { erlang_a(with([](ErlangAInput& i) { i.answer_within_s = -5; })); },
                 "answer_within_s");
}

}  // namespace
}  // namespace omnivox
