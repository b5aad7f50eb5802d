// The _omnivox extension module: exception hierarchy, enums, and the sections of the other
// translation units. The public package is `omnivox` (bindings/python/omnivox/__init__.py).
#include "common.h"
// common.h first: its casters must precede every other pybind11 use.
#include <cctype>

#include "omnivox/call_state_machine.h"
#include "omnivox/engine.h"
#include "omnivox/log.h"
#include "omnivox/model.h"
#include "omnivox/policies.h"
#include "omnivox/queue_generator.h"
#include "omnivox/sim.h"
#include "omnivox/telephony.h"

namespace omnivox::py_bindings {

ErrorClasses& error_classes() {
  static ErrorClasses classes;
  return classes;
}

PyObject* error_class_for(ErrorCode code) {
  ErrorClasses& c = error_classes();
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return c.invalid_argument;
    case ErrorCode::kConfig:
      return c.config;
    case ErrorCode::kNotFound:
      return c.not_found;
    case ErrorCode::kIo:
      return c.io;
    case ErrorCode::kStorage:
      return c.storage;
    case ErrorCode::kState:
      return c.state;
  }
  return c.base;
}

void bind_sip(py::module_& m);  // sip.cc

namespace {

PyObject* new_error(py::module_& m, const char* name, std::initializer_list<PyObject*> bases,
                    const char* doc) {
  py::tuple t(bases.size());
  std::size_t i = 0;
  for (PyObject* b : bases) t[i++] = py::reinterpret_borrow<py::object>(b);
  std::string qualified = std::string("omnivox.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, t.ptr(), nullptr);
  if (cls == nullptr) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(cls));
  return cls;  // the module keeps a reference; we keep this one for the process lifetime
}

std::string upper(const char* s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r;
}

// An enum whose member names are the C++ to_string() names, upper-cased.
template <typename E>
void name_values(py::enum_<E>& e, int count) {
  for (int i = 0; i < count; ++i) {
    E v = static_cast<E>(i);
    e.value(upper(to_string(v)).c_str(), v);
  }
}

}  // namespace

void register_errors(py::module_& m) {
  ErrorClasses& c = error_classes();
  c.base = new_error(m, "OmnivoxError", {PyExc_Exception},
                     "Base class of every error the omnivox package raises (omnivox::Error).");
  c.invalid_argument =
      new_error(m, "InvalidArgumentError", {c.base, PyExc_ValueError},
                "A value passed is out of range or malformed (ErrorCode::kInvalidArgument).");
  c.config = new_error(m, "ConfigError", {c.base, PyExc_ValueError},
                       "A campaign or engine configuration is invalid (ErrorCode::kConfig).");
  c.not_found =
      new_error(m, "NotFoundError", {c.base, PyExc_LookupError},
                "A named object (contact, call, agent, campaign) does not exist (kNotFound).");
  c.io = new_error(m, "IoError", {c.base, PyExc_OSError},
                   "A file could not be read or written (ErrorCode::kIo).");
  c.storage =
      new_error(m, "StorageError", {c.base}, "The storage backend failed (ErrorCode::kStorage).");
  c.state = new_error(m, "StateError", {c.base, PyExc_RuntimeError},
                      "The call is not valid in the object's current state (ErrorCode::kState).");
  c.callback = new_error(m, "CallbackError", {c.base},
                         "A Python callback (telephony, listener, timer, policy, log sink) raised "
                         "on an engine thread; the engine went on. The original exception is in "
                         "__cause__.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(error_class_for(e.code()), e.what());
    }
  });
}

void bind_enums(py::module_& m) {
  py::enum_<ErrorCode>(m, "ErrorCode")
      .value("INVALID_ARGUMENT", ErrorCode::kInvalidArgument)
      .value("CONFIG", ErrorCode::kConfig)
      .value("NOT_FOUND", ErrorCode::kNotFound)
      .value("IO", ErrorCode::kIo)
      .value("STORAGE", ErrorCode::kStorage)
      .value("STATE", ErrorCode::kState);

  py::enum_<Disposition> disposition(m, "Disposition");
  name_values(disposition, kDispositionCount);
  disposition.def_property_readonly(
      "is_agent_disposition", [](Disposition d) { return is_agent_disposition(d); },
      "True for dispositions an agent sets (SALE .. COMPLETED).");

  py::enum_<ContactStatus> status(m, "ContactStatus");
  name_values(status, 7);
  status.def_property_readonly(
      "is_final", [](ContactStatus s) { return is_final(s); },
      "DONE, DNC, INVALID and EXHAUSTED are final.");

  py::enum_<DialMode> mode(m, "DialMode");
  name_values(mode, 4);

  py::enum_<AgentState> agent(m, "AgentState");
  name_values(agent, kAgentStateCount);

  py::enum_<FailReason> fail(m, "FailReason");
  name_values(fail, 7);

  py::enum_<CallState> call(m, "CallState");
  name_values(call, kCallStateCount);
  call.def_property_readonly(
          "is_terminal", [](CallState s) { return is_terminal(s); }, "True for terminal states.")
      .def_property_readonly(
          "rank", [](CallState s) { return rank_of(s); },
          "Rank used for the monotone rule (0..6).");

  py::enum_<AmdResult> amd(m, "AmdResult");
  name_values(amd, 5);

  py::enum_<CallEventKind> kind(m, "CallEventKind");
  name_values(kind, 10);
  kind.def_property_readonly(
      "ends_call", [](CallEventKind k) { return ends_call(k); },
      "True for the kinds that end a call (COMPLETED .. CANCELED).");

  py::enum_<Ineligibility> inel(m, "Ineligibility");
  name_values(inel, kIneligibilityCount);

  py::enum_<LogLevel> level(m, "LogLevel", "Log levels.");
  name_values(level, 6);

  py::enum_<VicidialDropMethod>(m, "VicidialDropMethod")
      .value("HARD_LIMIT", VicidialDropMethod::kHardLimit)
      .value("AVERAGE", VicidialDropMethod::kAverage)
      .value("TAPERED", VicidialDropMethod::kTapered);

  m.def("format_utc", &format_utc, py::arg("t"),
        "ISO 8601 UTC with milliseconds, e.g. '2026-05-04T08:00:00.000Z'.");
  m.def("parse_utc", &parse_utc, py::arg("text"),
        "Parses 'YYYY-MM-DDTHH:MM[:SS[.mmm]](Z|+hh:mm|-hh:mm)' to an aware UTC datetime. Raises "
        "InvalidArgumentError on a bad string.");
  m.def(
      "disposition_from_string",
      [](const std::string& name) { return disposition_from_string(name); }, py::arg("name"),
      "Disposition by its upper-case name, or None.");
}

}  // namespace omnivox::py_bindings

PYBIND11_MODULE(_omnivox, m) {
  using namespace omnivox::py_bindings;
  m.doc() = "Omnivox dialler engine, C++ core (use the `omnivox` package, not this module).";
  register_errors(m);
  bind_enums(m);
  // A type is registered before the first signature that names it.
  bind_world(m);
  bind_model(m);
  bind_policy_types(m);
  bind_engine(m);
  bind_blending(m);
  bind_simulation(m);
  bind_planning(m);
  bind_sip(m);
  apply_header_docs(m);
}
