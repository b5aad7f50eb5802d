// The simulator (sim.h): world models, the Simulator telephony, and the Simulation rig.
#include "engine_box.h"
// engine_box.h (and common.h) first.
#include <sstream>

namespace omnivox::py_bindings {

namespace {

// What one Python Simulation object owns.
struct SimBox {
  std::unique_ptr<Simulation> sim;
  py::object listener_obj;
  PyEventListener* py_listener = nullptr;
  std::shared_ptr<CallbackErrors> errors = std::make_shared<CallbackErrors>();
  std::weak_ptr<EngineBox> engine_box;

  ~SimBox() {
    {
      std::optional<py::gil_scoped_release> release;
      if (Py_IsInitialized() && PyGILState_Check()) release.emplace();
      sim.reset();
    }
    if (py_listener) py_listener->unbind();
    errors->engine = nullptr;
    if (Py_IsInitialized()) {
      py::gil_scoped_acquire gil;
      listener_obj = py::object();
    } else {
      listener_obj.release();
    }
  }
};

}  // namespace

namespace {
// A duration in seconds for a Distribution: the range a campaign file accepts (config.cc).
double checked_seconds(double v, const char* kind, const char* what) {
  if (!std::isfinite(v) || v < 0 || v > 1e7) {
    std::ostringstream m;
    m << "Distribution." << kind << ": " << what << " must be 0..1e7 seconds (got " << v << ")";
    throw Error(ErrorCode::kInvalidArgument, m.str());
  }
  return v;
}
}  // namespace

// The simulated world's settings, registered before the campaign-file types that hold them.
void bind_world(py::module_& m) {
  using release = py::call_guard<py::gil_scoped_release>;

  py::class_<Distribution> dist(m, "Distribution",
                                "A distribution of durations in seconds (sim.h).");
  py::enum_<Distribution::Kind>(dist, "Kind")
      .value("FIXED", Distribution::Kind::kFixed)
      .value("EXPONENTIAL", Distribution::Kind::kExponential)
      .value("LOGNORMAL", Distribution::Kind::kLognormal)
      .value("EMPIRICAL", Distribution::Kind::kEmpirical)
      .value("GAMMA", Distribution::Kind::kGamma);
  dist.def(py::init<>())
      .def_readwrite("kind", &Distribution::kind)
      .def_readwrite("mean_s", &Distribution::mean_s)
      .def_readwrite("sd_s", &Distribution::sd_s)
      .def_readwrite("samples_s", &Distribution::samples_s)
      .def_static(
          "fixed",
          [](double s) { return Distribution::fixed(checked_seconds(s, "fixed", "seconds")); },
          py::arg("seconds"), "Always `seconds` (0..1e7). InvalidArgumentError otherwise.")
      .def_static(
          "exponential",
          [](double mean) {
            return Distribution::exponential(checked_seconds(mean, "exponential", "mean_s"));
          },
          py::arg("mean_s"),
          "Exponential with mean `mean_s` seconds (0..1e7). InvalidArgumentError otherwise.")
      .def_static(
          "lognormal",
          [](double mean, double sd) {
            return Distribution::lognormal(checked_seconds(mean, "lognormal", "mean_s"),
                                           checked_seconds(sd, "lognormal", "sd_s"));
          },
          py::arg("mean_s"), py::arg("sd_s"),
          "Lognormal with the mean and standard deviation of the value, in seconds (each "
          "0..1e7). InvalidArgumentError otherwise.")
      .def_static(
          "empirical",
          [](std::vector<double> samples) {
            if (samples.empty()) {
              throw Error(ErrorCode::kInvalidArgument,
                          "Distribution.empirical: samples_s must not be empty");
            }
            for (double x : samples) checked_seconds(x, "empirical", "samples_s");
            return Distribution::empirical(std::move(samples));
          },
          py::arg("samples_s"),
          "Drawn uniformly from `samples_s` (seconds, each 0..1e7, at least one). "
          "InvalidArgumentError otherwise.")
      .def("mean", &Distribution::mean)
      .def("__repr__", [](const Distribution& d) {
        // The constructor call that makes it (an empirical one by its size and mean).
        auto num = [](double x) { return std::string(py::repr(py::float_(x))); };
        switch (d.kind) {
          case Distribution::Kind::kFixed:
            return "Distribution.fixed(" + num(d.mean_s) + ")";
          case Distribution::Kind::kExponential:
            return "Distribution.exponential(" + num(d.mean_s) + ")";
          case Distribution::Kind::kLognormal:
            return "Distribution.lognormal(" + num(d.mean_s) + ", " + num(d.sd_s) + ")";
          case Distribution::Kind::kGamma:
            return "Distribution.gamma(" + num(d.mean_s) + ", " + num(d.sd_s) + ")";
          case Distribution::Kind::kEmpirical:
            break;
        }
        return "Distribution.empirical(<" + std::to_string(d.samples_s.size()) + " samples, mean " +
               num(d.mean()) + ">)";
      });

  py::class_<ParametricWorld>(m, "ParametricWorld")
      .def(py::init<>())
      .def_readwrite("p_live", &ParametricWorld::p_live)
      .def_readwrite("p_machine", &ParametricWorld::p_machine)
      .def_readwrite("p_busy", &ParametricWorld::p_busy)
      .def_readwrite("p_invalid", &ParametricWorld::p_invalid)
      .def_readwrite("answer_delay", &ParametricWorld::answer_delay)
      .def_readwrite("busy_delay", &ParametricWorld::busy_delay)
      .def_readwrite("invalid_delay", &ParametricWorld::invalid_delay)
      .def_readwrite("talk", &ParametricWorld::talk)
      .def_readwrite("p_sale", &ParametricWorld::p_sale)
      .def_readwrite("p_live_changes", &ParametricWorld::p_live_changes,
                     "list[tuple[datetime, float]] (copy).")
      .def("p_live_at", &ParametricWorld::p_live_at, py::arg("t"));

  py::class_<ReplayRecord>(m, "ReplayRecord", "One replayed contact.")
      .def(py::init<>())
      .def_readwrite("reached_on_attempt", &ReplayRecord::reached_on_attempt)
      .def_readwrite("talk_s", &ReplayRecord::talk_s)
      .def_readwrite("success", &ReplayRecord::success);

  py::class_<ReplayWorld>(m, "ReplayWorld", "A real data set replayed (e.g. UCI Bank Marketing).")
      .def(py::init<>())
      .def_readwrite("records", &ReplayWorld::records, "dict[str, ReplayRecord] (copy).")
      .def_readwrite("share_no_answer", &ReplayWorld::share_no_answer)
      .def_readwrite("share_busy", &ReplayWorld::share_busy)
      .def_readwrite("share_machine", &ReplayWorld::share_machine)
      .def_readwrite("busy_delay", &ReplayWorld::busy_delay)
      .def_readwrite("answer_delay", &ReplayWorld::answer_delay)
      .def_static("load_bank_csv", &ReplayWorld::load_bank_csv, py::arg("path"), release());

  py::class_<SimulationOptions>(m, "SimulationOptions",
                                "How the simulated world and agents behave.")
      .def(py::init<>())
      .def_readwrite("seed", &SimulationOptions::seed)
      .def_readwrite("parametric", &SimulationOptions::parametric)
      .def_readwrite("replay", &SimulationOptions::replay,
                     "ReplayWorld or None (copy); replay is used when set.")
      .def_readwrite("setup_delay", &SimulationOptions::setup_delay)
      .def_readwrite("wrap_up", &SimulationOptions::wrap_up)
      .def_readwrite("amd_delay", &SimulationOptions::amd_delay)
      .def_readwrite("amd_false_positive", &SimulationOptions::amd_false_positive)
      .def_readwrite("amd_false_negative", &SimulationOptions::amd_false_negative)
      .def_readwrite("bridge_delay", &SimulationOptions::bridge_delay)
      .def_readwrite("patience", &SimulationOptions::patience);

  def_field_repr<ParametricWorld>(
      m, "ParametricWorld",
      {"p_live", "p_machine", "p_busy", "p_invalid", "answer_delay", "talk", "p_sale"});
  def_field_repr<ReplayWorld>(m, "ReplayWorld",
                              {"share_no_answer", "share_busy", "share_machine", "answer_delay"});
  def_field_repr<SimulationOptions>(m, "SimulationOptions",
                                    {"seed", "parametric", "replay", "wrap_up", "patience",
                                     "amd_false_positive", "amd_false_negative"});
  def_field_pickle<Distribution>(m, "Distribution");
  def_field_pickle<ParametricWorld>(m, "ParametricWorld");
  def_field_pickle<ReplayRecord>(m, "ReplayRecord");
  def_field_pickle<ReplayWorld>(m, "ReplayWorld");
  def_field_pickle<SimulationOptions>(m, "SimulationOptions");
}

void bind_simulation(py::module_& m) {
  using release = py::call_guard<py::gil_scoped_release>;

  py::class_<CallForecast>(m, "CallForecast")
      .def_readonly("live_answer", &CallForecast::live_answer)
      .def_readonly("resolves_at", &CallForecast::resolves_at)
      .def_readonly("talk_s", &CallForecast::talk_s);
  py::class_<OriginateForecast>(m, "OriginateForecast")
      .def_readonly("live_answer", &OriginateForecast::live_answer)
      .def_readonly("resolves_after_s", &OriginateForecast::resolves_after_s)
      .def_readonly("talk_s", &OriginateForecast::talk_s);

  py::class_<Simulator, Telephony, EventListener, std::shared_ptr<Simulator>>(
      m, "Simulator",
      "Simulated telephony plus simulated agents. Pass it to Engine(...) as telephony AND "
      "listener (the engine attaches it); chain your own listener through `downstream`.")
      .def(py::init([](SimulationOptions options, std::shared_ptr<Clock> clock,
                       EventListener* downstream) {
             if (!clock) throw Error(ErrorCode::kInvalidArgument, "Simulator: clock is None");
             return std::make_shared<Simulator>(std::move(options), clock.get(), downstream);
           }),
           py::arg("options"), py::arg("clock"), py::arg("downstream") = nullptr,
           py::keep_alive<1, 3>(), py::keep_alive<1, 4>())
      .def_property_readonly("originated", &Simulator::originated)
      .def("forecast", &Simulator::forecast, py::arg("call_id"), release())
      .def("agent_free_at", &Simulator::agent_free_at, py::arg("agent"), release())
      .def("peek_next_originates", &Simulator::peek_next_originates, py::arg("n"),
           py::arg("ring_timeout"), py::arg("amd") = false, release());

  py::class_<SimBox, std::shared_ptr<SimBox>>(
      m, "Simulation",
      "A whole simulated campaign rig: memory storage, a VirtualClock at `start`, a Simulator "
      "and an Engine over them. Add a campaign, contacts and agents through .engine, start the "
      "campaign, then engine.run_for() / run_until_done(). Drive it from one thread.")
      .def(
          py::init([](SimulationOptions world, TimePoint start,
                      std::optional<EngineOptions> engine_options, bool keep_journal,
                      py::object listener) {
            auto box = std::make_shared<SimBox>();
            if (!listener.is_none() && !py::isinstance<EventListener>(listener)) {
              throw py::type_error("Simulation: listener must be an omnivox.EventListener or None");
            }
            EventListener* lis = listener.is_none() ? nullptr : listener.cast<EventListener*>();
            box->listener_obj = listener;
            box->py_listener = dynamic_cast<PyEventListener*>(lis);
            if (box->py_listener) box->py_listener->bind(box->errors);
            try {
              EngineOptions opts = engine_options.value_or(Simulation::quiet_engine_options());
              bind_log_sink(opts, box->errors);
              MemoryStorageOptions storage_options;
              storage_options.keep_journal = keep_journal;
              py::gil_scoped_release release;
              box->sim = std::make_unique<Simulation>(std::move(world), start, std::move(opts),
                                                      storage_options, lis);
            } catch (...) {
              if (box->py_listener) box->py_listener->unbind();
              box->py_listener = nullptr;
              throw;
            }
            box->errors->engine = &box->sim->engine();
            return box;
          }),
          py::arg("world"), py::arg("start"), py::arg("engine_options") = py::none(),
          py::arg("keep_journal") = false, py::arg("listener") = py::none(),
          "engine_options None: quiet (warnings and errors only, no state-change journal). "
          "listener: an EventListener hearing every event after the simulator.")
      .def_property_readonly(
          "engine",
          [](const std::shared_ptr<SimBox>& box) {
            if (auto existing = box->engine_box.lock()) return existing;
            auto e = std::make_shared<EngineBox>();
            e->engine = &box->sim->engine();
            e->keep = box;
            e->storage = std::shared_ptr<Storage>(box, &box->sim->storage());
            e->clock = std::shared_ptr<Clock>(box, &box->sim->clock());
            e->simulator = &box->sim->simulator();
            e->errors = box->errors;
            box->engine_box = e;
            return e;
          },
          "The rig's Engine (lives as long as the simulation).")
      .def_property_readonly("storage",
                             [](const std::shared_ptr<SimBox>& box) {
                               return std::shared_ptr<Storage>(box, &box->sim->storage());
                             })
      .def_property_readonly("clock",
                             [](const std::shared_ptr<SimBox>& box) {
                               return std::shared_ptr<VirtualClock>(box, &box->sim->clock());
                             })
      .def_property_readonly("simulator",
                             [](const std::shared_ptr<SimBox>& box) {
                               return std::shared_ptr<Simulator>(box, &box->sim->simulator());
                             })
      .def(
          "add_agents",
          [](SimBox& box, const std::string& campaign, int count, bool log_in) {
            if (count < 0 || count > 100000) {
              throw Error(ErrorCode::kInvalidArgument, "add_agents: count must be 0..100000");
            }
            return box.sim->add_agents(campaign, count, log_in);
          },
          py::arg("campaign_id"), py::arg("count"), py::arg("log_in") = true, release(),
          "Adds `count` agents named agent-1.. (AVAILABLE if log_in). Returns their ids.")
      .def_static("quiet_engine_options", &Simulation::quiet_engine_options);
}

}  // namespace omnivox::py_bindings
