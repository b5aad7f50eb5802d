#include "cli/planning_commands.h"

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <string>

#include "omnivox/erlang.h"
#include "omnivox/optimum.h"

namespace omnivox::cli {
namespace json = boost::json;
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// JSON has no infinity: a quantity documented as possibly +infinity (the wait of an unstable
// queue, the multiplier of a zero abandon cap) is written as null. NaN is left for
// require_finite_numbers to report.
json::value unbounded_as_null(double x) {
  if (x == kInf) return nullptr;
  return x;
}

// Every other number of a planner's answer is finite for inputs within the documented limits;
// one that is not is reported as an error naming the field rather than printed as invalid JSON.
void require_finite_numbers(const json::object& out, const std::string& command) {
  for (const auto& [field, value] : out) {
    if (value.is_double() && !std::isfinite(value.get_double())) {
      throw Error(ErrorCode::kInvalidArgument,
                  command + ": " + std::string(field) + " is not finite for these inputs");
    }
  }
}

std::string show(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Accepts a number between lo and hi, each end included or not as `ends` says ("[]", "(]",
// "[)" or "()"), and +infinity when allow_infinity; never NaN. CLI11 puts the option's name
// before the message and exits with code 2.
CLI::Validator number_in(double lo, double hi, const char* ends = "[]",
                         bool allow_infinity = false) {
  const bool lo_open = ends[0] == '(', hi_open = ends[1] == ')';
  const std::string range =
      ends[0] + show(lo) + ", " + show(hi) + ends[1] + (allow_infinity ? " or inf" : "");
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v)) return "not a number: " + text;
        if (allow_infinity && v == kInf) return {};
        if ((lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi)) return {};
        return "must be in " + range + " (got " + text + ")";
      },
      "in " + range);
}

struct PlanningArgs {
  int lines = 0;
  double traffic = -1, blocking = -1;
  double calls = 0, interval_s = 1800, aht_s = 180, answer_within_s = 20, patience_s = 300;
  int agents = 0;
  double p_live = 0.3, attempt_mean_s = 20, handle_mean_s = 120, cap = 0.03;
  double hold_window_s = 0;
  int patience_phases = 0, max_waiting = 0;
  double amd_mean_s = 0, answered_share = 1, counted_abandons_per_machine = 0, handle_cv = 1;
};

}  // namespace

std::function<int()> add_planning_commands(CLI::App& app) {
  auto args = std::make_shared<PlanningArgs>();
  CLI::App* erlang = app.add_subcommand("erlang", "Queueing formulas for planners (JSON out)");
  erlang->require_subcommand(1);

  CLI::App* b = erlang->add_subcommand("b", "Erlang B: blocking of N lines offered A Erlangs");
  b->add_option("--lines", args->lines, "Lines (servers)")
      ->required()
      ->check(CLI::Range(1, kErlangMaxServers));
  auto* traffic = b->add_option("--traffic", args->traffic, "Offered traffic (Erlangs)")
                      ->check(number_in(0, std::numeric_limits<double>::max()));
  auto* blocking =
      b->add_option("--blocking", args->blocking, "Target blocking (0-1): solve for traffic")
          ->check(number_in(0, 1, "()"));
  traffic->excludes(blocking);

  auto add_interval = [&](CLI::App* cmd) {
    cmd->add_option("--calls-per-interval", args->calls, "Calls arriving in the interval")
        ->required()
        ->check(number_in(0, kErlangMaxCalls));
    cmd->add_option("--interval-s", args->interval_s, "Interval length (s)")
        ->capture_default_str()
        ->check(number_in(kErlangMinTimeS, kErlangMaxTimeS));
    cmd->add_option("--aht-s", args->aht_s, "Average handle time (s)")
        ->required()
        ->check(number_in(kErlangMinTimeS, kErlangMaxTimeS));
    cmd->add_option("--agents", args->agents, "Agents")
        ->required()
        ->check(CLI::Range(1, kErlangMaxServers));
    cmd->add_option("--answer-within-s", args->answer_within_s, "Service-level threshold (s)")
        ->capture_default_str()
        ->check(number_in(0, kErlangMaxTimeS));
  };
  CLI::App* c = erlang->add_subcommand(
      "c", "Erlang C: waiting, service level, ASA (waits of an unstable queue are null)");
  add_interval(c);
  CLI::App* a = erlang->add_subcommand("a", "Erlang A: with abandonment (exponential patience)");
  add_interval(a);
  a->add_option("--patience-s", args->patience_s, "Mean patience (s); inf = Erlang C")
      ->required()
      ->check(number_in(kErlangMinTimeS, kErlangMaxTimeS, "[]", true));

  CLI::App* opt = app.add_subcommand(
      "optimum",
      "Optimal predictive pacing in the stylised model, with a hold window or with AMD "
      "(constrained MDP; JSON out)");
  opt->add_option("--agents", args->agents, "Agents N")->required()->check(CLI::Range(1, 200));
  opt->add_option("--p", args->p_live, "Live-answer probability (p_live)")
      ->required()
      ->check(number_in(0, 1, "(]"));
  const double max_double = std::numeric_limits<double>::max();
  opt->add_option("--attempt-mean-s", args->attempt_mean_s, "Mean attempt resolution time (s)")
      ->capture_default_str()
      ->check(number_in(0, max_double, "(]"));
  opt->add_option("--handle-mean-s", args->handle_mean_s, "Mean handle time (s)")
      ->capture_default_str()
      ->check(number_in(0, max_double, "(]"));
  opt->add_option("--cap", args->cap, "Abandon cap (abandons / live answers), [0, 1)")
      ->capture_default_str()
      ->check(number_in(0, 1, "[)"));
  opt->add_option("--hold-window-s", args->hold_window_s,
                  "Hold window (s): a live answer waits this long for an agent; 0 = abandoned "
                  "at once (the stylised model)")
      ->capture_default_str()
      ->check(number_in(0, kOptimumMaxTimeS, "[]"));
  opt->add_option("--patience-phases", args->patience_phases,
                  "Erlang phases of the hold window (0 = automatic)")
      ->capture_default_str()
      ->check(CLI::Range(0, kOptimumMaxPatiencePhases));
  opt->add_option("--max-waiting", args->max_waiting, "Most calls waiting at once (0 = automatic)")
      ->capture_default_str()
      ->check(CLI::Range(0, kOptimumMaxWaiting));
  opt->add_option("--amd-mean-s", args->amd_mean_s,
                  "Mean AMD classification time of an answered attempt (s); 0 = no AMD. With "
                  "AMD, --p is the share handed to an agent and --attempt-mean-s ends at the "
                  "answer")
      ->capture_default_str()
      ->check(number_in(0, kOptimumMaxTimeS, "[]"));
  opt->add_option("--answered-share", args->answered_share,
                  "With AMD: share of attempts answered (classified), [p, 1]")
      ->capture_default_str()
      ->check(number_in(0, 1, "(]"));
  opt->add_option("--handle-cv", args->handle_cv,
                  "Coefficient of variation of the handle time; 1 = exponential, other values a "
                  "two-phase Coxian fit (no hold window, no AMD)")
      ->capture_default_str()
      ->check(number_in(kOptimumMinHandleCv, kOptimumMaxHandleCv, "[]"));
  opt->add_option("--counted-abandons-per-machine", args->counted_abandons_per_machine,
                  "With AMD: abandons the cap counts per machine result (a profile's AMD "
                  "false-positive estimate)")
      ->capture_default_str()
      ->check(number_in(0, 1, "[]"));

  return [=]() -> int {
    json::object out;
    std::string command;
    if (*b) {
      command = "erlang b";
      if (args->traffic < 0 && args->blocking < 0) {
        throw Error(ErrorCode::kInvalidArgument, "erlang b: give --traffic or --blocking");
      }
      out["model"] = "erlang_b";
      out["lines"] = args->lines;
      if (args->traffic >= 0) {
        out["traffic_erlangs"] = args->traffic;
        out["blocking"] = erlang_b(args->lines, args->traffic);
        out["carried_erlangs"] = erlang_b_carried_erlangs(args->lines, args->traffic);
      } else {
        double offered = erlang_b_offered_traffic(args->lines, args->blocking);
        out["blocking"] = args->blocking;
        out["traffic_erlangs"] = offered;
        out["carried_erlangs"] = offered * (1 - args->blocking);
      }
    } else if (*c) {
      command = "erlang c";
      ErlangCResult r =
          erlang_c(args->calls, args->interval_s, args->aht_s, args->agents, args->answer_within_s);
      out = {{"model", "erlang_c"},
             {"calls_per_interval", args->calls},
             {"interval_s", args->interval_s},
             {"aht_s", args->aht_s},
             {"agents", args->agents},
             {"answer_within_s", args->answer_within_s},
             {"traffic_erlangs", r.traffic_erlangs},
             {"p_wait", r.p_wait},
             {"service_level", r.service_level},
             {"asa_s", unbounded_as_null(r.asa_s)},
             {"mean_wait_of_waiting_s", unbounded_as_null(r.mean_wait_of_waiting_s)},
             {"occupancy", r.occupancy}};
    } else if (*a) {
      command = "erlang a";
      ErlangAInput in;
      in.calls = args->calls;
      in.interval_s = args->interval_s;
      in.aht_s = args->aht_s;
      in.patience_s = args->patience_s;
      in.agents = args->agents;
      in.answer_within_s = args->answer_within_s;
      ErlangAResult r = erlang_a(in);
      out = {{"model", "erlang_a"},
             {"calls_per_interval", args->calls},
             {"interval_s", args->interval_s},
             {"aht_s", args->aht_s},
             {"patience_s", unbounded_as_null(args->patience_s)},
             {"agents", args->agents},
             {"answer_within_s", args->answer_within_s},
             {"traffic_erlangs", r.traffic_erlangs},
             {"p_wait", r.p_wait},
             {"p_abandon", r.p_abandon},
             {"service_level", r.service_level},
             {"service_level_definition", "answered within t / all arrivals"},
             {"p_abandon_within_t", r.p_abandon_within_t},
             {"asa_s", unbounded_as_null(r.asa_s)},
             {"asa_population", "served calls"},
             {"mean_wait_all_s", unbounded_as_null(r.mean_wait_all_s)},
             {"mean_wait_of_waiting_s", unbounded_as_null(r.mean_wait_of_waiting_s)},
             {"mean_queue", unbounded_as_null(r.mean_queue)},
             {"occupancy", r.occupancy}};
    } else if (*opt) {
      command = "optimum";
      OptimumModel m;
      m.agents = args->agents;
      m.p_live = args->p_live;
      m.attempt_mean_s = args->attempt_mean_s;
      m.handle_mean_s = args->handle_mean_s;
      m.abandon_cap = args->cap;
      m.hold_window_s = args->hold_window_s;
      m.patience_phases = args->patience_phases;
      m.max_waiting = args->max_waiting;
      m.amd_mean_s = args->amd_mean_s;
      m.answered_share = args->answered_share;
      m.counted_abandons_per_machine = args->counted_abandons_per_machine;
      m.handle_cv = args->handle_cv;
      OptimumResult r = solve_optimum(m);
      out = {{"model", "stylised_predictive"},
             {"agents", m.agents},
             {"p", m.p_live},
             {"attempt_mean_s", m.attempt_mean_s},
             {"handle_mean_s", m.handle_mean_s},
             {"cap", m.abandon_cap},
             {"occupancy", r.occupancy},
             {"abandon_rate", r.abandon_rate},
             {"connects_per_hour", r.connects_per_hour},
             {"attempts_per_hour", r.attempts_per_hour},
             {"lambda", unbounded_as_null(r.lambda)},
             {"mixing_weight", r.mixing_weight},
             {"max_in_flight", r.max_in_flight},
             {"threshold_form", r.threshold_form}};
      if (m.hold_window_s > 0) {
        // The hold-window model (omnivox/optimum.h): its inputs as used and its queue.
        out["model"] = "hold_window_predictive";
        out["hold_window_s"] = m.hold_window_s;
        out["patience_phases"] = r.patience_phases;
        out["max_waiting"] = r.max_waiting;
        out["queue_binding"] = r.queue_binding;
        out["mean_waiting"] = r.mixing_weight * r.feasible.mean_waiting +
                              (1 - r.mixing_weight) * r.infeasible.mean_waiting;
      }
      if (m.amd_mean_s > 0) {
        // The AMD model (omnivox/optimum.h): its inputs and its classification places.
        out["model"] = "amd_predictive";
        out["amd_mean_s"] = m.amd_mean_s;
        out["answered_share"] = m.answered_share;
        out["counted_abandons_per_machine"] = m.counted_abandons_per_machine;
        out["max_classifying"] = r.max_classifying;
        out["classifying_binding"] = r.classifying_binding;
      }
      if (m.handle_cv != 1) {
        out["model"] = "coxian_handle_predictive";
        out["handle_cv"] = m.handle_cv;
      }
    } else {
      return -1;
    }
    require_finite_numbers(out, command);
    std::cout << json::serialize(out) << std::endl;
    return 0;
  };
}

}  // namespace omnivox::cli
