// Erlang B, C and A (see include/omnivox/erlang.h for the formulas and their sources).
#include "omnivox/erlang.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace omnivox {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Past this many queue-length terms an Erlang A solve would take seconds; only a patience
// absurdly long against the handle time needs them.
constexpr long kMaxQueueTerms = 10'000'000;

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorCode::kInvalidArgument, what);
}

// %g keeps huge inputs (1e300) readable in messages, where std::to_string prints 300 digits.
std::string show(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void require_range(double v, double lo, double hi, const char* name) {
  if (!(v >= lo && v <= hi)) {  // also rejects NaN
    invalid(std::string("erlang: ") + name + " must be between " + show(lo) + " and " + show(hi) +
            " (got " + show(v) + ")");
  }
}

void require_servers(int v, int lo, const char* name) {
  if (v < lo || v > kErlangMaxServers) {
    invalid(std::string("erlang: ") + name + " must be between " + std::to_string(lo) + " and " +
            std::to_string(kErlangMaxServers) + " (got " + std::to_string(v) + ")");
  }
}

void require_finite_nonnegative(double v, const char* name) {
  if (!std::isfinite(v) || v < 0) {
    invalid(std::string("erlang: ") + name + " must be finite and >= 0 (got " + show(v) + ")");
  }
}

void require_probability(double v, const char* name) {
  if (!(v > 0 && v < 1)) {
    invalid(std::string("erlang: ") + name + " must be in (0, 1) (got " + show(v) + ")");
  }
}

[[noreturn]] void too_many_servers(const char* function, double traffic) {
  invalid(std::string("erlang: ") + function + ": traffic_erlangs " + show(traffic) +
          " needs more than " + std::to_string(kErlangMaxServers) + " servers");
}

// Unchecked B(N, A) by the stable recursion.
double erlang_b_raw(int lines, double a) {
  double b = 1.0;
  for (int n = 1; n <= lines; ++n) b = a * b / (n + a * b);
  return b;
}

// log(1 / B(N, A)) without overflow: 1/B(n) = 1 + (n / A) / B(n - 1). A > 0.
double log_inv_erlang_b(int lines, double a) {
  double l = 0.0;
  const double log_a = std::log(a);
  for (int n = 1; n <= lines; ++n) {
    const double y = std::log(static_cast<double>(n)) - log_a + l;  // log((n/A) / B(n-1))
    l = y > 0 ? y + std::log1p(std::exp(-y)) : std::log1p(std::exp(y));
  }
  return l;
}

// C(N, A) from B(N, A); A < N.
double erlang_c_from_b(int agents, double a, double b) {
  return agents * b / (agents - a * (1.0 - b));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Erlang B

double erlang_b(int lines, double traffic_erlangs) {
  require_servers(lines, 0, "lines");
  require_finite_nonnegative(traffic_erlangs, "traffic_erlangs");
  return erlang_b_raw(lines, traffic_erlangs);
}

double erlang_b_carried_erlangs(int lines, double traffic_erlangs) {
  require_servers(lines, 0, "lines");
  require_finite_nonnegative(traffic_erlangs, "traffic_erlangs");
  const double a = traffic_erlangs;
  if (a == 0) return 0.0;
  // A (1 - B) = s / (1 + s / A) with s(n) = A (1/B(n) - 1) = n (1 + s(n-1) / A), s(0) = 0: sums
  // of positive terms only, so it keeps full precision where B rounds to 1 (A >> N, carried
  // -> N). s overflows only when B < 1e-18, where the carried traffic is A to double precision.
  double s = 0.0;
  for (int n = 1; n <= lines; ++n) s = n * (1.0 + s / a);
  return std::isinf(s) ? a : s / (1.0 + s / a);
}

double erlang_b_offered_traffic(int lines, double blocking) {
  require_servers(lines, 1, "lines");
  require_probability(blocking, "blocking");
  // B(N, A) increases strictly from 0 to 1 in A. Bracket, then safeguarded Newton with
  // dB/dA = B (N / A - 1 + B).
  double lo = 0.0, hi = static_cast<double>(lines);
  while (erlang_b_raw(lines, hi) < blocking && hi < 1e300) {
    lo = hi;
    hi *= 2.0;
  }
  double a = 0.5 * (lo + hi);
  for (int it = 0; it < 200; ++it) {
    const double b = erlang_b_raw(lines, a);
    const double f = b - blocking;
    if (f < 0)
      lo = a;
    else
      hi = a;
    const double slope = b * (lines / a - 1.0 + b);
    double next = slope > 0 ? a - f / slope : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const bool done = std::fabs(next - a) <= 1e-13 * a || hi - lo <= 1e-14 * hi;
    a = next;
    if (done) break;
  }
  return a;
}

double erlang_b_carried_traffic(int lines, double blocking) {
  return erlang_b_offered_traffic(lines, blocking) * (1.0 - blocking);
}

int erlang_b_lines(double traffic_erlangs, double blocking) {
  require_finite_nonnegative(traffic_erlangs, "traffic_erlangs");
  require_probability(blocking, "blocking");
  double b = 1.0;
  int n = 0;
  while (b > blocking) {
    if (n == kErlangMaxServers) too_many_servers("erlang_b_lines", traffic_erlangs);
    ++n;
    b = traffic_erlangs * b / (n + traffic_erlangs * b);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Erlang C

double erlang_c_probability_of_wait(int agents, double traffic_erlangs) {
  require_servers(agents, 1, "agents");
  require_finite_nonnegative(traffic_erlangs, "traffic_erlangs");
  if (traffic_erlangs >= agents) return 1.0;
  return erlang_c_from_b(agents, traffic_erlangs, erlang_b_raw(agents, traffic_erlangs));
}

namespace {

// Within these limits the offered load is at most 1e24 Erlangs and every wait is finite
// whenever the queue is stable.
void check_interval_inputs(double calls, double interval_s, double aht_s, double within_s) {
  require_range(calls, 0, kErlangMaxCalls, "calls");
  require_range(interval_s, kErlangMinTimeS, kErlangMaxTimeS, "interval_s");
  require_range(aht_s, kErlangMinTimeS, kErlangMaxTimeS, "aht_s");
  require_range(within_s, 0, kErlangMaxTimeS, "answer_within_s");
}

ErlangCResult erlang_c_unchecked(double a, double aht_s, int agents, double within_s) {
  ErlangCResult r;
  r.traffic_erlangs = a;
  if (a >= agents) {
    r.p_wait = 1.0;
    r.service_level = 0.0;
    r.asa_s = kInf;
    r.mean_wait_of_waiting_s = kInf;
    r.occupancy = 1.0;
    return r;
  }
  r.p_wait = erlang_c_from_b(agents, a, erlang_b_raw(agents, a));
  r.service_level = 1.0 - r.p_wait * std::exp(-(agents - a) * within_s / aht_s);
  r.mean_wait_of_waiting_s = aht_s / (agents - a);
  r.asa_s = r.p_wait * r.mean_wait_of_waiting_s;
  r.occupancy = a / agents;
  return r;
}

}  // namespace

ErlangCResult erlang_c(double calls, double interval_s, double aht_s, int agents,
                       double answer_within_s) {
  check_interval_inputs(calls, interval_s, aht_s, answer_within_s);
  require_servers(agents, 1, "agents");
  return erlang_c_unchecked(calls * aht_s / interval_s, aht_s, agents, answer_within_s);
}

int erlang_c_agents(double calls, double interval_s, double aht_s, double answer_within_s,
                    double target_service_level) {
  check_interval_inputs(calls, interval_s, aht_s, answer_within_s);
  require_probability(target_service_level, "target_service_level");
  const double a = calls * aht_s / interval_s;
  // Walk B(n, A) up from n = 0 and test every stable n.
  double b = 1.0;
  for (int n = 1; n <= kErlangMaxServers; ++n) {
    b = a * b / (n + a * b);
    if (a >= n) continue;
    const double c = erlang_c_from_b(n, a, b);
    if (1.0 - c * std::exp(-(n - a) * answer_within_s / aht_s) >= target_service_level) {
      return n;
    }
  }
  too_many_servers("erlang_c_agents", a);
}

// ---------------------------------------------------------------------------------------------
// Erlang A

ErlangAResult erlang_a(const ErlangAInput& in) {
  check_interval_inputs(in.calls, in.interval_s, in.aht_s, in.answer_within_s);
  require_servers(in.agents, 1, "agents");
  if (in.patience_s != kInf) {  // +infinity is Erlang C
    require_range(in.patience_s, kErlangMinTimeS, kErlangMaxTimeS, "patience_s");
  }
  const int n = in.agents;
  const double t = in.answer_within_s;
  const double lambda = in.calls / in.interval_s;
  const double mu = 1.0 / in.aht_s;
  const double a = lambda / mu;

  ErlangAResult r;
  r.traffic_erlangs = a;
  if (lambda == 0) {
    r.service_level = 1.0;
    return r;
  }
  if (std::isinf(in.patience_s)) {  // Erlang C
    const ErlangCResult c = erlang_c_unchecked(a, in.aht_s, n, t);
    r.p_wait = c.p_wait;
    r.service_level = c.service_level;
    r.asa_s = c.asa_s;
    r.mean_wait_all_s = c.asa_s;
    r.mean_wait_of_waiting_s = c.mean_wait_of_waiting_s;
    r.mean_queue = lambda * c.asa_s;
    r.occupancy = c.occupancy;
    return r;
  }
  const double theta = 1.0 / in.patience_s;
  const double nmu = n * mu;

  // Stationary distribution relative to pi_N: the states below N sum to
  //   L = sum_{k<=N} pi_k / pi_N = 1 / B(N, A)  (k = N included),
  // the queue states to U = sum_{q>=0} u_q with u_q = pi_{N+q} / pi_N
  //   = prod_{j=1..q} lambda / (N mu + j theta),
  // which peaks at q* = floor((lambda - N mu) / theta) (0 if lambda <= N mu). Both can be far
  // beyond the double range (L ~ N! / A^N), so the queue sums are kept relative to u_{q*} and
  // the two parts meet only in the log ratio g = (L - 1) / U: P(wait) = 1 / (1 + g). Every
  // quantity conditional on waiting then keeps full precision even where P(wait) underflows.
  const double log_low_minus_one = [&] {
    const double l = log_inv_erlang_b(n, a);  // log L
    return l + std::log(-std::expm1(-l));     // log(L - 1); -inf when B = 1
  }();
  const double log_lambda = std::log(lambda);
  const double q_peak = std::max(0.0, std::floor((lambda - nmu) / theta));
  if (q_peak > kMaxQueueTerms) {
    invalid("erlang_a: patience_s " + show(in.patience_s) + " is too long for this overload: " +
            "the queue would peak at ~" + show(q_peak) + " calls ((calls / interval_s - " +
            "agents / aht_s) x patience_s), more than the limit " +
            show(static_cast<double>(kMaxQueueTerms)));
  }
  double log_peak = 0.0;  // log u_{q*}
  for (long q = 1; q <= static_cast<long>(q_peak); ++q) {
    log_peak += log_lambda - std::log(nmu + q * theta);
  }

  // Service-level pieces (FCFS). A call that finds q others queued:
  //   served with probability N mu / (N mu + (q+1) theta); given served, its wait is
  //   H_{q+1} = sum_{m=1..q+1} Exp(N mu + m theta), CDF I_x(q+1, N mu/theta + 1), x = 1 - e^{-theta
  //   t}; its offered wait V (time to reach an agent if it never abandoned) is sum_{m=0..q} Exp(N
  //   mu + m theta), CDF I_x(q+1, N mu/theta); P(still queued at t) = e^{-theta t} (1 - F_V(t)).
  // I_x(a+1, b) = I_x(a, b) - x^a (1-x)^b Gamma(a+b) / (Gamma(a+1) Gamma(b)), and the
  // subtracted term tau_a obeys tau_{a+1} / tau_a = x (a + b) / (a + 1).
  const bool timed = t > 0;
  const double b1 = nmu / theta + 1.0;  // for H
  const double b2 = nmu / theta;        // for V
  const double log_1mx = -theta * t;    // log(1 - x)
  const double log_x = timed ? std::log(-std::expm1(-theta * t)) : 0.0;
  const double surv_theta = std::exp(-theta * t);
  double i1 = timed ? -std::expm1(-(nmu + theta) * t) : 0.0;  // I_x(1, b1) = 1 - (1-x)^b1
  double i2 = timed ? -std::expm1(-nmu * t) : 0.0;            // I_x(1, b2)
  double log_tau1 = log_x + b1 * log_1mx + std::log(b1);      // tau_1 for b1
  double log_tau2 = log_x + b2 * log_1mx + std::log(b2);      // tau_1 for b2

  double lu = 0.0;        // log u_q
  double harmonic = 0.0;  // E[H_{q+1}] = sum_{m=1..q+1} 1 / (N mu + m theta)
  // Sums of u_q / u_{q*} (>= 1: the peak term is 1) times q, P(served within t | q), ...
  double sum_u = 0, sum_qu = 0, sum_sl = 0, sum_asa = 0, sum_ab_t = 0;
  for (long q = 0;; ++q) {
    if (q > 0) lu += log_lambda - std::log(nmu + q * theta);
    const double w = std::exp(lu - log_peak);
    const double served = nmu / (nmu + (q + 1) * theta);
    harmonic += 1.0 / (nmu + (q + 1) * theta);
    sum_u += w;
    sum_qu += q * w;
    sum_asa += w * served * harmonic;
    const double p_served_t = served * std::max(0.0, i1);
    sum_sl += w * p_served_t;
    sum_ab_t += w * std::max(0.0, 1.0 - surv_theta * (1.0 - std::max(0.0, i2)) - p_served_t);
    if (timed) {
      const double aa = static_cast<double>(q + 1);
      i1 -= std::exp(log_tau1);
      i2 -= std::exp(log_tau2);
      log_tau1 += log_x + std::log((aa + b1) / (aa + 1.0));
      log_tau2 += log_x + std::log((aa + b2) / (aa + 1.0));
    }
    if (q > q_peak && w * (1.0 + q) < 1e-17 * sum_u) break;
    if (q > q_peak + kMaxQueueTerms) {
      invalid("erlang_a: the queue-length series needs more than " +
              show(static_cast<double>(kMaxQueueTerms)) +
              " terms (patience_s too long against aht_s)");
    }
  }
  const double g = std::exp(log_low_minus_one - (log_peak + std::log(sum_u)));
  r.p_wait = 1.0 / (1.0 + g);
  const double p_no_wait = 1.0 / (1.0 + 1.0 / g);  // 1 - p_wait without its rounding
  const double mean_queue_if_waiting = sum_qu / sum_u;
  r.mean_queue = r.p_wait * mean_queue_if_waiting;
  r.p_abandon = theta * r.mean_queue / lambda;
  r.service_level = std::min(1.0, p_no_wait + r.p_wait * (sum_sl / sum_u));
  r.p_abandon_within_t = std::min(r.p_abandon, r.p_wait * (sum_ab_t / sum_u));
  r.mean_wait_all_s = r.mean_queue / lambda;
  r.asa_s = r.p_abandon < 1 ? r.p_wait * (sum_asa / sum_u) / (1.0 - r.p_abandon) : 0.0;
  r.mean_wait_of_waiting_s = mean_queue_if_waiting / lambda;
  r.occupancy = a * (1.0 - r.p_abandon) / n;
  return r;
}

}  // namespace omnivox
