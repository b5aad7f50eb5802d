// Planning and pacing: Erlang formulas (erlang.h), the optimum solver (optimum.h) and the pacing
// policies (pacing.h, policies.h), including Python-implemented policies.
#include "engine_box.h"
// engine_box.h (and common.h) first.
#include <string>
#include <type_traits>

#include "omnivox/config.h"
#include "omnivox/erlang.h"
#include "omnivox/optimum.h"
#include "omnivox/policies.h"

namespace omnivox::py_bindings {

namespace {

// Where an error of a Python policy goes: the engine running it (SharedPolicy sets
// t_policy_errors), else sys.unraisablehook (the policy called directly, outside an engine).
void policy_error(const char* where, py::error_already_set& e) {
  t_policy_failed = true;
  if (t_policy_errors != nullptr) {
    t_policy_errors->record(where, e);
  } else {
    e.discard_as_unraisable(where);
  }
}

// The largest decision a Python policy may return: far above any real dial queue, low enough
// that a runaway value (10**12, a timestamp) is reported instead of draining the campaign.
constexpr long long kMaxLaunches = 100000;

// A pacing policy written in Python: subclass omnivox.PacingPolicy and override decide().
//
// The engine asks wants_details() and tick_interval() around every decision and decide() at each
// one, so the crossing into Python is what a simple Python rule costs: a method the subclass
// leaves to the base is answered without taking the GIL (which methods are overridden is found
// once, at the first call), and decide() gets one PacingSnapshot object per policy, refilled in
// place, instead of a new copy with its Python wrapper per decision.
class PyPacingPolicy : public PacingPolicy {
 public:
  std::string name() const override {
    if (!overrides(kName)) return default_name_;
    py::gil_scoped_acquire gil;
    CallbackScope cb;
    try {
      py::function f = py::get_override(static_cast<const PacingPolicy*>(this), "name");
      if (f) return f().cast<std::string>();
      return default_name_;
    } catch (py::error_already_set& e) {
      policy_error("PacingPolicy.name", e);
    } catch (const std::exception&) {
    }
    return "python";
  }
  int decide(const PacingSnapshot& s) override {
    py::gil_scoped_acquire gil;
    CallbackScope cb;
    try {
      py::object f = decide_override();
      if (!f) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "PacingPolicy.decide is not implemented (or the Python object is gone)");
        throw py::error_already_set();
      }
      py::object r;
      {
        Deciding guard(this);
        r = py::reinterpret_steal<py::object>(PyObject_CallOneArg(f.ptr(), snapshot_for(s)));
      }
      if (!r) throw py::error_already_set();
      if (!PyLong_Check(r.ptr()) || PyBool_Check(r.ptr())) {
        std::string type = py::str(r.get_type().attr("__name__"));
        PyErr_SetString(PyExc_TypeError,
                        ("PacingPolicy.decide must return an int, not " + type).c_str());
        throw py::error_already_set();
      }
      int overflow = 0;
      long long n = PyLong_AsLongLongAndOverflow(r.ptr(), &overflow);
      if (overflow != 0 || n < 0 || n > kMaxLaunches) {
        std::string text = py::str(r);
        PyErr_SetString(PyExc_ValueError,
                        ("PacingPolicy.decide returned " + text + ": must be 0.." +
                         std::to_string(kMaxLaunches) + " attempts to launch")
                            .c_str());
        throw py::error_already_set();
      }
      return static_cast<int>(n);
    } catch (py::error_already_set& e) {
      policy_error("PacingPolicy.decide", e);
    }
    return 0;  // launch nothing this epoch; the host's run raises the error
  }
  bool wants_details() const override {
    if (!overrides(kWantsDetails)) return false;
    py::gil_scoped_acquire gil;
    CallbackScope cb;
    try {
      py::function f = py::get_override(static_cast<const PacingPolicy*>(this), "wants_details");
      return f && static_cast<bool>(py::bool_(f()));
    } catch (py::error_already_set& e) {
      policy_error("PacingPolicy.wants_details", e);
    }
    return false;
  }
  Duration tick_interval() const override {
    if (!overrides(kTickInterval)) return Duration(0);
    py::gil_scoped_acquire gil;
    CallbackScope cb;
    try {
      py::function f = py::get_override(static_cast<const PacingPolicy*>(this), "tick_interval");
      return f ? f().cast<Duration>() : Duration(0);
    } catch (py::error_already_set& e) {
      policy_error("PacingPolicy.tick_interval", e);
    } catch (const py::cast_error&) {
      PyErr_SetString(PyExc_TypeError,
                      "PacingPolicy.tick_interval must return a timedelta or seconds");
      py::error_already_set e;
      policy_error("PacingPolicy.tick_interval", e);
    }
    return Duration(0);
  }

 private:
  enum Method { kName = 1, kWantsDetails = 2, kTickInterval = 4 };

  // The policy whose decide() runs on this thread (an engine shared by threads may run one
  // policy on several at once, switching the GIL inside Python).
  static inline thread_local const PyPacingPolicy* t_deciding = nullptr;
  struct Deciding {
    explicit Deciding(const PyPacingPolicy* p) : saved(t_deciding) { t_deciding = p; }
    ~Deciding() { t_deciding = saved; }
    const PyPacingPolicy* saved;
  };

  bool overrides(Method m) const {
    int found = overridden_.load(std::memory_order_acquire);
    if (found < 0) found = find_overrides();
    return (found & m) != 0;
  }
  int find_overrides() const {
    py::gil_scoped_acquire gil;
    int found = overridden_.load(std::memory_order_acquire);
    if (found >= 0) return found;  // another engine's thread found them meanwhile
    found = 0;
    try {
      const auto* self = static_cast<const PacingPolicy*>(this);
      if (py::get_override(self, "name")) found |= kName;
      if (py::get_override(self, "wants_details")) found |= kWantsDetails;
      if (py::get_override(self, "tick_interval")) found |= kTickInterval;
      default_name_ =
          py::str(py::cast(self, py::return_value_policy::reference).get_type().attr("__name__"));
    } catch (py::error_already_set& e) {
      policy_error("PacingPolicy", e);
      default_name_ = "python";
    }
    overridden_.store(found, std::memory_order_release);
    return found;
  }

  // The Python decide() of this object, or null when there is none: the base class's binding
  // (a C++ function), the object gone, or a call from inside decide() (super().decide()).
  py::object decide_override() const {
    if (t_deciding == this) return {};
    static const py::detail::type_info* type = py::detail::get_type_info(typeid(PacingPolicy));
    py::handle self = py::detail::get_object_handle(static_cast<const PacingPolicy*>(this), type);
    if (!self) return {};
    static PyObject* name = PyUnicode_InternFromString("decide");
    auto f = py::reinterpret_steal<py::object>(PyObject_GetAttr(self.ptr(), name));
    if (!f) throw py::error_already_set();
    PyObject* fn = PyMethod_Check(f.ptr()) ? PyMethod_GET_FUNCTION(f.ptr()) : f.ptr();
    if (PyCFunction_Check(fn)) return {};
    return f;
  }

  // The snapshot object for this decision: the last one refilled, unless Python kept a
  // reference to it (a policy that stores its snapshots keeps each as it was).
  PyObject* snapshot_for(const PacingSnapshot& s) {
    if (snapshot_ && Py_REFCNT(snapshot_->ptr()) == 1) {
      *snapshot_value_ = s;
    } else {
      snapshot_ = gil_safe_object(py::cast(s));
      snapshot_value_ = snapshot_->cast<PacingSnapshot*>();
    }
    return snapshot_->ptr();
  }

  mutable std::atomic<int> overridden_{-1};  // Method bits, -1 until found
  mutable std::string default_name_ = "python";
  std::shared_ptr<py::object> snapshot_;  // released with the GIL, from any thread
  PacingSnapshot* snapshot_value_ = nullptr;
};

// The engine (through make_pi_policy) takes unique ownership of a TunablePolicy; this lets the
// Python object keep sharing it.
class SharedTunable final : public TunablePolicy {
 public:
  explicit SharedTunable(std::shared_ptr<TunablePolicy> p) : p_(std::move(p)) {}
  std::string name() const override { return p_->name(); }
  int decide(const PacingSnapshot& s) override { return p_->decide(s); }
  bool wants_details() const override { return p_->wants_details(); }
  Duration tick_interval() const override { return p_->tick_interval(); }
  double parameter() const override { return p_->parameter(); }
  void set_parameter(double v) override { p_->set_parameter(v); }
  double parameter_min() const override { return p_->parameter_min(); }
  double parameter_max() const override { return p_->parameter_max(); }

 private:
  std::shared_ptr<TunablePolicy> p_;
};

// Reading a PacingSnapshot's numbers is most of what a simple Python rule does. pybind11's
// generic getter (argument loading, overload dispatch) costs several times a plain C function,
// so the number fields get a METH_O getter reading the C++ struct in place; the setter,
// signature and docstring stay pybind11's.
PacingSnapshot* snapshot_of(PyObject* self) {
  static auto* type = reinterpret_cast<PyTypeObject*>(
      py::detail::get_type_handle(typeid(PacingSnapshot), true).ptr());
  if (!PyObject_TypeCheck(self, type)) {
    PyErr_SetString(PyExc_TypeError, "expected a PacingSnapshot");
    return nullptr;
  }
  auto* s = reinterpret_cast<py::detail::instance*>(self)
                ->get_value_and_holder()
                .value_ptr<PacingSnapshot>();
  if (s == nullptr) PyErr_SetString(PyExc_TypeError, "PacingSnapshot not initialised");
  return s;
}

template <auto Field>
PyObject* snapshot_number(PyObject* /*unused*/, PyObject* self) {
  PacingSnapshot* s = snapshot_of(self);
  if (s == nullptr) return nullptr;
  const auto& v = s->*Field;
  if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(v)>>) {
    return PyFloat_FromDouble(v);
  } else {
    return PyLong_FromLongLong(v);
  }
}

template <auto Field>
void def_fast_number(py::class_<PacingSnapshot>& cls, const char* name) {
  py::object old = cls.attr("__dict__")[name];
  // The signature line pybind11 gave the old getter (the stubs read the type from it).
  static std::string doc;
  doc = py::str(old.attr("fget").attr("__doc__"));
  static PyMethodDef def{name, &snapshot_number<Field>, METH_O, doc.c_str()};
  auto getter = py::reinterpret_steal<py::object>(PyCFunction_New(&def, nullptr));
  if (!getter) throw py::error_already_set();
  py::object property = py::module_::import("builtins").attr("property");
  py::setattr(cls, name, property(getter, old.attr("fset"), py::none(), old.attr("__doc__")));
}

template <typename T>
std::shared_ptr<T> shared(std::unique_ptr<T> p) {
  return std::shared_ptr<T>(std::move(p));
}

}  // namespace

// The types pacing policies are made of, registered before the engine's methods that take them
// (so that their signatures, and the stubs, name them).
void bind_policy_types(py::module_& m) {
  // ---- pacing policies ----
  py::class_<PendingCallView>(m, "PendingCallView",
                              "An attempt in flight that has not resolved yet (QUEUED..ANSWERED).")
      .def(py::init<>())
      .def_readwrite("call", &PendingCallView::call)
      .def_readwrite("elapsed_s", &PendingCallView::elapsed_s)
      .def("__repr__", [](const PendingCallView& v) {
        return "PendingCallView(call=" + std::to_string(v.call) +
               ", elapsed_s=" + std::string(py::repr(py::float_(v.elapsed_s))) + ")";
      });
  py::class_<BusyAgentView>(m, "BusyAgentView",
                            "An agent handling a call (RESERVED, ON_CALL or WRAP_UP).")
      .def(py::init<>())
      .def_readwrite("agent", &BusyAgentView::agent)
      .def_readwrite("state", &BusyAgentView::state)
      .def_readwrite("elapsed_s", &BusyAgentView::elapsed_s)
      .def("__repr__", [](const BusyAgentView& v) {
        return "BusyAgentView(agent=" + std::to_string(v.agent) +
               ", state=" + std::string(py::str(py::cast(v.state))) +
               ", elapsed_s=" + std::string(py::repr(py::float_(v.elapsed_s))) + ")";
      });

  py::class_<PacingSnapshot> snapshot(m, "PacingSnapshot");
  snapshot.def(py::init<>())
      .def_readwrite("now", &PacingSnapshot::now)
      .def_readwrite("agents_logged_in", &PacingSnapshot::agents_logged_in)
      .def_readwrite("agents_idle", &PacingSnapshot::agents_idle)
      .def_readwrite("agents_paused", &PacingSnapshot::agents_paused)
      .def_readwrite("agents_busy", &PacingSnapshot::agents_busy)
      .def_readwrite("busy_elapsed_s", &PacingSnapshot::busy_elapsed_s)
      .def_readwrite("calls_pending", &PacingSnapshot::calls_pending)
      .def_readwrite("pending_elapsed_s", &PacingSnapshot::pending_elapsed_s)
      .def_readwrite("calls_classifying", &PacingSnapshot::calls_classifying)
      .def_readwrite("calls_waiting", &PacingSnapshot::calls_waiting)
      .def_readwrite("dial_queue_size", &PacingSnapshot::dial_queue_size)
      .def_readwrite("live_answer_probability", &PacingSnapshot::live_answer_probability)
      .def_readwrite("mean_time_to_resolve_s", &PacingSnapshot::mean_time_to_resolve_s)
      .def_readwrite("mean_handle_s", &PacingSnapshot::mean_handle_s)
      .def_property_readonly("recent_handle_s",
                             [](const PacingSnapshot& s) {
                               return std::vector<double>(s.recent_handle_s.begin(),
                                                          s.recent_handle_s.end());
                             })
      .def_property_readonly("recent_live_resolve_s",
                             [](const PacingSnapshot& s) {
                               return std::vector<double>(s.recent_live_resolve_s.begin(),
                                                          s.recent_live_resolve_s.end());
                             })
      .def_property_readonly("recent_other_resolve_s",
                             [](const PacingSnapshot& s) {
                               return std::vector<double>(s.recent_other_resolve_s.begin(),
                                                          s.recent_other_resolve_s.end());
                             })
      .def_readwrite("pending_calls", &PacingSnapshot::pending_calls,
                     "Attempts in flight with their call ids and time since launch (only if the "
                     "policy wants_details()).")
      .def_readwrite("busy_agents", &PacingSnapshot::busy_agents,
                     "Busy agents with their elapsed handle time (only if the policy "
                     "wants_details()).")
      .def_readwrite("attempts_resolved", &PacingSnapshot::attempts_resolved)
      .def_readwrite("classifications_finished", &PacingSnapshot::classifications_finished)
      .def_readwrite("mean_classification_s", &PacingSnapshot::mean_classification_s)
      .def_readwrite("calling_day_left", &PacingSnapshot::calling_day_left)
      .def_readwrite("abandon_rate", &PacingSnapshot::abandon_rate)
      .def_readwrite("abandon_cap", &PacingSnapshot::abandon_cap)
      .def_readwrite("hold_window_s", &PacingSnapshot::hold_window_s)
      .def_readwrite("live_answers", &PacingSnapshot::live_answers)
      .def_readwrite("abandons", &PacingSnapshot::abandons);
  def_fast_number<&PacingSnapshot::agents_logged_in>(snapshot, "agents_logged_in");
  def_fast_number<&PacingSnapshot::agents_idle>(snapshot, "agents_idle");
  def_fast_number<&PacingSnapshot::agents_paused>(snapshot, "agents_paused");
  def_fast_number<&PacingSnapshot::agents_busy>(snapshot, "agents_busy");
  def_fast_number<&PacingSnapshot::calls_pending>(snapshot, "calls_pending");
  def_fast_number<&PacingSnapshot::calls_classifying>(snapshot, "calls_classifying");
  def_fast_number<&PacingSnapshot::calls_waiting>(snapshot, "calls_waiting");
  def_fast_number<&PacingSnapshot::dial_queue_size>(snapshot, "dial_queue_size");
  def_fast_number<&PacingSnapshot::live_answer_probability>(snapshot, "live_answer_probability");
  def_fast_number<&PacingSnapshot::mean_time_to_resolve_s>(snapshot, "mean_time_to_resolve_s");
  def_fast_number<&PacingSnapshot::mean_handle_s>(snapshot, "mean_handle_s");
  def_fast_number<&PacingSnapshot::attempts_resolved>(snapshot, "attempts_resolved");
  def_fast_number<&PacingSnapshot::calling_day_left>(snapshot, "calling_day_left");
  def_fast_number<&PacingSnapshot::abandon_rate>(snapshot, "abandon_rate");
  def_fast_number<&PacingSnapshot::abandon_cap>(snapshot, "abandon_cap");
  def_fast_number<&PacingSnapshot::hold_window_s>(snapshot, "hold_window_s");
  def_fast_number<&PacingSnapshot::live_answers>(snapshot, "live_answers");
  def_fast_number<&PacingSnapshot::abandons>(snapshot, "abandons");

  py::class_<PacingPolicy, PyPacingPolicy, std::shared_ptr<PacingPolicy>>(
      m, "PacingPolicy",
      "Decides how many attempts to launch. Use a built-in one (omnivox.policies) or subclass "
      "it and override decide(snapshot) -> int (and optionally name(), wants_details(), "
      "tick_interval()). decide runs on the engine's thread with the GIL and must return an int "
      "in 0..100000. An exception, or any other result, counts as 0 launches, is recorded and "
      "logged by the engine and raised (CallbackError) from the host's next run_for / "
      "run_until_done / poll. The engine keeps the policy object alive.")
      .def(py::init<>())
      .def("name", &PacingPolicy::name)
      .def("decide", &PacingPolicy::decide, py::arg("snapshot"))
      .def("wants_details", &PacingPolicy::wants_details)
      .def("tick_interval", &PacingPolicy::tick_interval)
      .def("__repr__", [](PacingPolicy& p) { return "<PacingPolicy " + p.name() + ">"; });

  py::class_<TunablePolicy, PacingPolicy, std::shared_ptr<TunablePolicy>>(m, "TunablePolicy")
      .def_property("parameter", &TunablePolicy::parameter, &TunablePolicy::set_parameter,
                    "The current value (set: clamped to [parameter_min, parameter_max]).")
      .def_property_readonly("parameter_min", &TunablePolicy::parameter_min)
      .def_property_readonly("parameter_max", &TunablePolicy::parameter_max);
}

void bind_planning(py::module_& m) {
  using release = py::call_guard<py::gil_scoped_release>;

  // ---- Erlang ----
  m.def("erlang_b", &erlang_b, py::arg("lines"), py::arg("traffic_erlangs"),
        "Blocking probability B(N, A). Raises InvalidArgumentError on bad inputs.");
  m.def("erlang_b_offered_traffic", &erlang_b_offered_traffic, py::arg("lines"),
        py::arg("blocking"), "Offered traffic A at which `lines` block exactly `blocking`.");
  m.def("erlang_b_carried_traffic", &erlang_b_carried_traffic, py::arg("lines"),
        py::arg("blocking"));
  m.def("erlang_b_lines", &erlang_b_lines, py::arg("traffic_erlangs"), py::arg("blocking"),
        "Smallest number of lines with blocking <= `blocking`.");
  py::class_<ErlangCResult>(m, "ErlangCResult", "Erlang C results (erlang.h).")
      .def_readonly("traffic_erlangs", &ErlangCResult::traffic_erlangs)
      .def_readonly("p_wait", &ErlangCResult::p_wait)
      .def_readonly("service_level", &ErlangCResult::service_level)
      .def_readonly("asa_s", &ErlangCResult::asa_s)
      .def_readonly("mean_wait_of_waiting_s", &ErlangCResult::mean_wait_of_waiting_s)
      .def_readonly("occupancy", &ErlangCResult::occupancy);
  m.def("erlang_c", &erlang_c, py::arg("calls"), py::arg("interval_s"), py::arg("aht_s"),
        py::arg("agents"), py::arg("answer_within_s"), "Erlang C for an interval (M/M/N, FCFS).");
  m.def("erlang_c_probability_of_wait", &erlang_c_probability_of_wait, py::arg("agents"),
        py::arg("traffic_erlangs"));
  m.def("erlang_c_agents", &erlang_c_agents, py::arg("calls"), py::arg("interval_s"),
        py::arg("aht_s"), py::arg("answer_within_s"), py::arg("target_service_level"),
        "Smallest number of agents meeting the service level.");
  // Keyword defaults are read from default-constructed structs: the header's defaults are the
  // only ones, and a change there reaches Python without an edit here.
  const ErlangAInput erlang_a_defaults;
  py::class_<ErlangAInput>(m, "ErlangAInput", "Erlang A inputs (M/M/N+M).")
      .def(py::init([](double calls, double interval_s, double aht_s, double patience_s, int agents,
                       double answer_within_s) {
             return ErlangAInput{calls, interval_s, aht_s, patience_s, agents, answer_within_s};
           }),
           py::arg("calls") = erlang_a_defaults.calls,
           py::arg("interval_s") = erlang_a_defaults.interval_s,
           py::arg("aht_s") = erlang_a_defaults.aht_s,
           py::arg("patience_s") = erlang_a_defaults.patience_s,
           py::arg("agents") = erlang_a_defaults.agents,
           py::arg("answer_within_s") = erlang_a_defaults.answer_within_s)
      .def_readwrite("calls", &ErlangAInput::calls)
      .def_readwrite("interval_s", &ErlangAInput::interval_s)
      .def_readwrite("aht_s", &ErlangAInput::aht_s)
      .def_readwrite("patience_s", &ErlangAInput::patience_s)
      .def_readwrite("agents", &ErlangAInput::agents)
      .def_readwrite("answer_within_s", &ErlangAInput::answer_within_s);
  def_field_pickle<ErlangAInput>(m, "ErlangAInput");
  py::class_<ErlangAResult>(m, "ErlangAResult", "Erlang A results (erlang.h).")
      .def_readonly("traffic_erlangs", &ErlangAResult::traffic_erlangs)
      .def_readonly("p_wait", &ErlangAResult::p_wait)
      .def_readonly("p_abandon", &ErlangAResult::p_abandon)
      .def_readonly("service_level", &ErlangAResult::service_level)
      .def_readonly("p_abandon_within_t", &ErlangAResult::p_abandon_within_t)
      .def_readonly("mean_wait_all_s", &ErlangAResult::mean_wait_all_s)
      .def_readonly("asa_s", &ErlangAResult::asa_s)
      .def_readonly("mean_wait_of_waiting_s", &ErlangAResult::mean_wait_of_waiting_s)
      .def_readonly("mean_queue", &ErlangAResult::mean_queue)
      .def_readonly("occupancy", &ErlangAResult::occupancy);
  m.def("erlang_a", &erlang_a, py::arg("input"), release(), "Erlang A (M/M/N+M).");

  // ---- optimum ----
  const OptimumModel optimum_defaults;
  py::class_<OptimumModel>(m, "OptimumModel",
                           "The predictive-dialing model (optimum.h): stylised, or with a hold "
                           "window, answering-machine detection, a handle time that is not "
                           "exponential or a limit on the attempts in flight.")
      .def(py::init([](int agents, double p_live, double attempt_mean_s, double handle_mean_s,
                       double abandon_cap, int max_in_flight, double tolerance,
                       double hold_window_s, int patience_phases, int max_waiting,
                       std::vector<int> in_flight_limit, double amd_mean_s, double answered_share,
                       double counted_abandons_per_machine, int max_classifying, double handle_cv) {
             OptimumModel model;
             model.agents = agents;
             model.p_live = p_live;
             model.attempt_mean_s = attempt_mean_s;
             model.handle_mean_s = handle_mean_s;
             model.abandon_cap = abandon_cap;
             model.max_in_flight = max_in_flight;
             model.tolerance = tolerance;
             model.hold_window_s = hold_window_s;
             model.patience_phases = patience_phases;
             model.max_waiting = max_waiting;
             model.in_flight_limit = std::move(in_flight_limit);
             model.amd_mean_s = amd_mean_s;
             model.answered_share = answered_share;
             model.counted_abandons_per_machine = counted_abandons_per_machine;
             model.max_classifying = max_classifying;
             model.handle_cv = handle_cv;
             return model;
           }),
           py::arg("agents") = optimum_defaults.agents, py::arg("p_live") = optimum_defaults.p_live,
           py::arg("attempt_mean_s") = optimum_defaults.attempt_mean_s,
           py::arg("handle_mean_s") = optimum_defaults.handle_mean_s,
           py::arg("abandon_cap") = optimum_defaults.abandon_cap,
           py::arg("max_in_flight") = optimum_defaults.max_in_flight,
           py::arg("tolerance") = optimum_defaults.tolerance,
           py::arg("hold_window_s") = optimum_defaults.hold_window_s,
           py::arg("patience_phases") = optimum_defaults.patience_phases,
           py::arg("max_waiting") = optimum_defaults.max_waiting,
           py::arg("in_flight_limit") = optimum_defaults.in_flight_limit,
           py::arg("amd_mean_s") = optimum_defaults.amd_mean_s,
           py::arg("answered_share") = optimum_defaults.answered_share,
           py::arg("counted_abandons_per_machine") = optimum_defaults.counted_abandons_per_machine,
           py::arg("max_classifying") = optimum_defaults.max_classifying,
           py::arg("handle_cv") = optimum_defaults.handle_cv)
      .def_readwrite("agents", &OptimumModel::agents)
      .def_readwrite("p_live", &OptimumModel::p_live)
      .def_readwrite("attempt_mean_s", &OptimumModel::attempt_mean_s)
      .def_readwrite("handle_mean_s", &OptimumModel::handle_mean_s)
      .def_readwrite("abandon_cap", &OptimumModel::abandon_cap)
      .def_readwrite("max_in_flight", &OptimumModel::max_in_flight)
      .def_readwrite("tolerance", &OptimumModel::tolerance)
      .def_readwrite("hold_window_s", &OptimumModel::hold_window_s)
      .def_readwrite("patience_phases", &OptimumModel::patience_phases)
      .def_readwrite("max_waiting", &OptimumModel::max_waiting)
      .def_readwrite("in_flight_limit", &OptimumModel::in_flight_limit,
                     "Reading gives a copy of the list: assign a whole list to change it.")
      .def_readwrite("amd_mean_s", &OptimumModel::amd_mean_s)
      .def_readwrite("answered_share", &OptimumModel::answered_share)
      .def_readwrite("counted_abandons_per_machine", &OptimumModel::counted_abandons_per_machine)
      .def_readwrite("max_classifying", &OptimumModel::max_classifying)
      .def_readwrite("handle_cv", &OptimumModel::handle_cv);
  def_field_repr<OptimumModel>(m, "OptimumModel",
                               {"agents", "p_live", "attempt_mean_s", "handle_mean_s",
                                "abandon_cap", "hold_window_s", "amd_mean_s", "handle_cv"});
  def_field_pickle<OptimumModel>(m, "OptimumModel");

  py::class_<BenchScenario>(m, "Scenario",
                            "A pacing research scenario (benchmarks/scenarios/*.json, "
                            "docs/pacing.md): a campaign with the bench's seeds, hours, synthetic "
                            "contacts, policies and the stylised model's parameters.")
      .def(py::init<>())
      .def_readwrite("name", &BenchScenario::name)
      .def_readwrite("description", &BenchScenario::description)
      .def_readwrite("file", &BenchScenario::file,
                     "The campaign (the file's \"campaign\" section, parsed as a campaign file).")
      .def_readwrite("seeds", &BenchScenario::seeds)
      .def_readwrite("hours", &BenchScenario::hours, "Virtual hours per run. Default: 8.")
      .def_readwrite("contacts", &BenchScenario::contacts,
                     "Synthetic contacts when the campaign has no contacts file. Default: 0.")
      .def_readwrite("policies", &BenchScenario::policies,
                     "Bench policy names (\"progressive\", \"power:2\", ...). Default: "
                     "progressive, predictive.")
      .def_readwrite("optimum", &BenchScenario::optimum,
                     "The stylised model (agents and cap from the campaign) when the file gives "
                     "one, else None.");
  def_field_repr<BenchScenario>(m, "Scenario",
                                {"name", "seeds", "hours", "contacts", "policies", "optimum"});
  def_field_pickle<BenchScenario>(m, "Scenario");
  m.def("load_scenario", &load_bench_scenario, py::arg("path"),
        py::call_guard<py::gil_scoped_release>(),
        "Reads a pacing scenario file (benchmarks/scenarios/*.json, JSON with comments) as "
        "`omnivox bench-pacing` does. Relative paths resolve against the file's folder. Raises "
        "IoError if it cannot be read, ConfigError naming the field otherwise.");
  py::class_<PolicyStats>(m, "PolicyStats")
      .def_readonly("occupancy", &PolicyStats::occupancy)
      .def_readonly("connects_per_hour", &PolicyStats::connects_per_hour)
      .def_readonly("abandons_per_hour", &PolicyStats::abandons_per_hour)
      .def_readonly("live_answers_per_hour", &PolicyStats::live_answers_per_hour)
      .def_readonly("attempts_per_hour", &PolicyStats::attempts_per_hour)
      .def_readonly("abandon_rate", &PolicyStats::abandon_rate)
      .def_readonly("mean_in_flight", &PolicyStats::mean_in_flight)
      .def_readonly("cap_probability", &PolicyStats::cap_probability)
      .def_readonly("mean_waiting", &PolicyStats::mean_waiting)
      .def_readonly("queue_full_probability", &PolicyStats::queue_full_probability)
      .def_readonly("mean_classifying", &PolicyStats::mean_classifying)
      .def_readonly("classifying_full_probability", &PolicyStats::classifying_full_probability)
      .def_readonly("machine_results_per_hour", &PolicyStats::machine_results_per_hour);
  py::class_<OptimumResult>(m, "OptimumResult", "The optimum and its two bracketing policies.")
      .def_readonly("occupancy", &OptimumResult::occupancy)
      .def_readonly("connects_per_hour", &OptimumResult::connects_per_hour)
      .def_readonly("abandons_per_hour", &OptimumResult::abandons_per_hour)
      .def_readonly("live_answers_per_hour", &OptimumResult::live_answers_per_hour)
      .def_readonly("attempts_per_hour", &OptimumResult::attempts_per_hour)
      .def_readonly("abandon_rate", &OptimumResult::abandon_rate)
      .def_readonly("lambda_", &OptimumResult::lambda)
      .def_readonly("feasible", &OptimumResult::feasible)
      .def_readonly("infeasible", &OptimumResult::infeasible)
      .def_readonly("mixing_weight", &OptimumResult::mixing_weight)
      .def_readonly("feasible_target", &OptimumResult::feasible_target)
      .def_readonly("infeasible_target", &OptimumResult::infeasible_target)
      .def_readonly("feasible_target_by_classifying",
                    &OptimumResult::feasible_target_by_classifying)
      .def_readonly("infeasible_target_by_classifying",
                    &OptimumResult::infeasible_target_by_classifying)
      .def_readonly("threshold_form", &OptimumResult::threshold_form)
      .def_readonly("max_in_flight", &OptimumResult::max_in_flight)
      .def_readonly("cap_binding", &OptimumResult::cap_binding)
      .def_readonly("lambda_iterations", &OptimumResult::lambda_iterations)
      .def_readonly("policy_evaluations", &OptimumResult::policy_evaluations)
      .def_readonly("rvi_sweeps", &OptimumResult::rvi_sweeps)
      .def_readonly("stat_sweeps", &OptimumResult::stat_sweeps)
      .def_readonly("patience_phases", &OptimumResult::patience_phases)
      .def_readonly("max_waiting", &OptimumResult::max_waiting)
      .def_readonly("queue_binding", &OptimumResult::queue_binding)
      .def_readonly("max_classifying", &OptimumResult::max_classifying)
      .def_readonly("classifying_binding", &OptimumResult::classifying_binding);
  m.def("solve_optimum", &solve_optimum, py::arg("model"), release(),
        "Solves the constrained MDP (releases the GIL; N = 100 at p_live 0.1 takes ~0.15 s).");
  m.def("evaluate_threshold_policy", &evaluate_threshold_policy, py::arg("model"),
        py::arg("target"), release(),
        "Stationary statistics of 'launch up to target[b]' (model.max_in_flight > 0).");

  m.def(
      "progressive_policy", [] { return shared(make_progressive_policy()); },
      "PROGRESSIVE: max(idle - pending, 0).");
  m.def(
      "power_policy", [](double lines) { return shared(make_power_policy(lines)); },
      py::arg("lines_per_agent"), "POWER: 1 <= lines_per_agent <= 10 (ConfigError otherwise).");
  m.def(
      "preview_policy", [] { return shared(make_preview_policy()); },
      "PREVIEW: never launches by itself.");
  py::class_<PredictiveOptions>(m, "PredictiveOptions", "PREDICTIVE settings (pacing.h).")
      .def(py::init<>())
      .def_readwrite("target_share_of_cap", &PredictiveOptions::target_share_of_cap)
      .def_readwrite("warm_up_attempts", &PredictiveOptions::warm_up_attempts)
      .def_readwrite("adjust_every_live_answers", &PredictiveOptions::adjust_every_live_answers);
  m.def(
      "predictive_policy",
      [](std::optional<PredictiveOptions> o) {
        return shared(make_predictive_policy(o.value_or(PredictiveOptions{})));
      },
      py::arg("options") = py::none(), "PREDICTIVE (certainty-equivalent optimal control).");
  m.def(
      "policy_for", [](const CampaignConfig& c) { return shared(make_policy_for(c)); },
      py::arg("campaign"), "The policy of a campaign's dial mode.");

  const ThresholdOptions threshold_defaults;
  py::class_<ThresholdOptions>(m, "ThresholdOptions", "Threshold policy settings.")
      .def(py::init([](double k, double c, int min_free) {
             return ThresholdOptions{k, c, min_free};
           }),
           py::arg("k") = threshold_defaults.k, py::arg("c") = threshold_defaults.c,
           py::arg("min_free") = threshold_defaults.min_free)
      .def_readwrite("k", &ThresholdOptions::k)
      .def_readwrite("c", &ThresholdOptions::c)
      .def_readwrite("min_free", &ThresholdOptions::min_free);
  def_field_pickle<ThresholdOptions>(m, "ThresholdOptions");
  m.def(
      "threshold_policy",
      [](std::optional<ThresholdOptions> o) {
        return shared(make_threshold_policy(o.value_or(ThresholdOptions{})));
      },
      py::arg("options") = py::none(), "Bell Canada / DIALXFREE threshold policy (tunable k).");
  m.def(
      "tunable_power_policy", [](double lines) { return shared(make_tunable_power_policy(lines)); },
      py::arg("lines_per_agent") = 2.0, "POWER as a TunablePolicy.");

  py::class_<ExpectedAvailabilityOptions>(m, "ExpectedAvailabilityOptions",
                                          "Expected-availability policy settings.")
      .def(py::init<>())
      .def_readwrite("look_ahead_s", &ExpectedAvailabilityOptions::look_ahead_s)
      .def_readwrite("max_look_ahead_s", &ExpectedAvailabilityOptions::max_look_ahead_s)
      .def_readwrite("adapt", &ExpectedAvailabilityOptions::adapt)
      .def_readwrite("safety", &ExpectedAvailabilityOptions::safety)
      .def_readwrite("adapt_every_live_answers",
                     &ExpectedAvailabilityOptions::adapt_every_live_answers)
      .def_readwrite("step_s", &ExpectedAvailabilityOptions::step_s)
      .def_readwrite("min_samples", &ExpectedAvailabilityOptions::min_samples)
      .def_readwrite("tick", &ExpectedAvailabilityOptions::tick);
  m.def(
      "expected_availability_policy",
      [](std::optional<ExpectedAvailabilityOptions> o) {
        return shared(make_expected_availability_policy(o.value_or(ExpectedAvailabilityOptions{})));
      },
      py::arg("options") = py::none(), "EIS-style expected availability (tunable W).");

  py::class_<VicidialOptions>(m, "VicidialOptions", "VICIdial adaptive dial level settings.")
      .def(py::init<>())
      .def_readwrite("method", &VicidialOptions::method)
      .def_readwrite("initial_level", &VicidialOptions::initial_level)
      .def_readwrite("max_level", &VicidialOptions::max_level)
      .def_readwrite("intensity", &VicidialOptions::intensity)
      .def_readwrite("dl_diff_target", &VicidialOptions::dl_diff_target)
      .def_readwrite("drop_limit", &VicidialOptions::drop_limit)
      .def_readwrite("min_calls_today", &VicidialOptions::min_calls_today)
      .def_readwrite("sample_interval", &VicidialOptions::sample_interval)
      .def_readwrite("samples_per_update", &VicidialOptions::samples_per_update);
  m.def(
      "vicidial_policy",
      [](std::optional<VicidialOptions> o) {
        return shared(make_vicidial_policy(o.value_or(VicidialOptions{})));
      },
      py::arg("options") = py::none(), "VICIdial ADAPT_* dial level (tunable level).");

  py::class_<PiOptions>(m, "PiOptions", "PI wrapper settings.")
      .def(py::init<>())
      .def_readwrite("safety", &PiOptions::safety)
      .def_readwrite("window_live_answers", &PiOptions::window_live_answers)
      .def_readwrite("min_live_answers", &PiOptions::min_live_answers)
      .def_readwrite("update_every_live_answers", &PiOptions::update_every_live_answers)
      .def_readwrite("kp", &PiOptions::kp)
      .def_readwrite("ki", &PiOptions::ki);
  m.def(
      "pi_policy",
      [](std::shared_ptr<TunablePolicy> inner, std::optional<PiOptions> o) {
        if (!inner) throw Error(ErrorCode::kConfig, "pi_policy: inner policy is None");
        return shared(
            make_pi_policy(std::make_unique<SharedTunable>(inner), o.value_or(PiOptions{})));
      },
      py::arg("inner"), py::arg("options") = py::none(),
      "Tunes a TunablePolicy's parameter so the abandon rate tracks cap x safety. The inner "
      "policy object is shared (its parameter is readable between runs).");

  py::class_<OpenLoopOptions>(m, "OpenLoopOptions", "Open-loop Poisson settings.")
      .def(py::init<>())
      .def_readwrite("rate_per_s", &OpenLoopOptions::rate_per_s)
      .def_readwrite("seed", &OpenLoopOptions::seed)
      .def_readwrite("tick", &OpenLoopOptions::tick);
  m.def(
      "open_loop_policy",
      [](std::optional<OpenLoopOptions> o) {
        return shared(make_open_loop_policy(o.value_or(OpenLoopOptions{})));
      },
      py::arg("options") = py::none(), "Attempts as a Poisson process of rate lambda.");

  py::class_<OracleOptions>(m, "OracleOptions", "Oracle settings.")
      .def(py::init<>())
      .def_readwrite("ring_timeout", &OracleOptions::ring_timeout)
      .def_readwrite("amd", &OracleOptions::amd)
      .def_readwrite("slack_s", &OracleOptions::slack_s)
      .def_readwrite("max_lookahead", &OracleOptions::max_lookahead)
      .def_readwrite("tick", &OracleOptions::tick);
  m.def(
      "oracle_policy",
      [](std::shared_ptr<Simulator> simulator, std::optional<OracleOptions> o) {
        if (!simulator)
          throw Error(ErrorCode::kInvalidArgument, "oracle_policy: simulator is None");
        std::shared_ptr<PacingPolicy> inner =
            shared(make_oracle_policy(simulator.get(), o.value_or(OracleOptions{})));
        return std::shared_ptr<PacingPolicy>(
            std::make_shared<KeepPolicy>(std::move(inner), std::shared_ptr<void>(simulator)));
      },
      py::arg("simulator"), py::arg("options") = py::none(),
      "The simulation-only upper bound; reads the future from `simulator` (kept alive by the "
      "policy). Parametric world only.");
}

}  // namespace omnivox::py_bindings
