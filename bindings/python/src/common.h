// Shared pieces of the _omnivox extension module: type casters for times and strings, the error
// classes, and the helpers every translation unit uses. Include this first in every .cc of the
// module (the casters are explicit specialisations and must be seen before any use).
//
// Conventions of the Python API (docs/bindings-python.md):
//  * instants (omnivox::TimePoint) are timezone-aware datetime.datetime in UTC; the C++ "unset"
//    value (the epoch) is None both ways; a naive datetime is refused (InvalidArgumentError);
//  * durations (omnivox::Duration, ms) are datetime.timedelta; a plain int or float is accepted
//    as seconds;
//  * strings are str only (bytes are refused, a str that is not valid UTF-8, i.e. holds lone
//    surrogates, raises InvalidArgumentError).
#ifndef OMNIVOX_PY_COMMON_H_
#define OMNIVOX_PY_COMMON_H_

#include <Python.h>
#include <datetime.h>
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "omnivox/types.h"

namespace py = pybind11;

namespace omnivox::py_bindings {

// PyDateTime_IMPORT sets a per-translation-unit static; do it lazily in each TU that converts.
inline void ensure_datetime_api() {
  if (!PyDateTimeAPI) {
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) throw py::error_already_set();
  }
}

// 1970-01-01T00:00:00+00:00, created once per TU and never freed (safe at interpreter exit).
inline PyObject* epoch_utc() {
  static PyObject* epoch = [] {
    ensure_datetime_api();
    PyObject* e = PyDateTimeAPI->DateTime_FromDateAndTime(
        1970, 1, 1, 0, 0, 0, 0, PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
    if (e == nullptr) throw py::error_already_set();
    return e;
  }();
  return epoch;
}

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// A timedelta from milliseconds (new reference).
inline PyObject* timedelta_from_ms(std::int64_t ms) {
  ensure_datetime_api();
  std::int64_t days = floor_div(ms, 86400000);
  std::int64_t rest = ms - days * 86400000;
  return PyDelta_FromDSU(static_cast<int>(days), static_cast<int>(rest / 1000),
                         static_cast<int>((rest % 1000) * 1000));
}

// Milliseconds of a timedelta, rounded down to the millisecond.
inline std::int64_t ms_from_timedelta(PyObject* d) {
  std::int64_t days = PyDateTime_DELTA_GET_DAYS(d);
  std::int64_t secs = PyDateTime_DELTA_GET_SECONDS(d);
  std::int64_t us = PyDateTime_DELTA_GET_MICROSECONDS(d);
  return days * 86400000 + secs * 1000 + floor_div(us, 1000);
}

// The module's exception classes (set once by register_errors()).
struct ErrorClasses {
  PyObject* base = nullptr;  // OmnivoxError
  PyObject* invalid_argument = nullptr;
  PyObject* config = nullptr;
  PyObject* not_found = nullptr;
  PyObject* io = nullptr;
  PyObject* storage = nullptr;
  PyObject* state = nullptr;
  PyObject* callback = nullptr;  // CallbackError: a Python callback raised (see engine.cc)
};
ErrorClasses& error_classes();
PyObject* error_class_for(ErrorCode code);

// Thrown by the casters (mapped to InvalidArgumentError by the module's translator).
[[noreturn]] inline void invalid_argument(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

// The names of the properties of a Python type (and its bases) that have a setter, sorted.
inline std::vector<std::string> writable_fields(const py::handle& type) {
  py::module_ builtins = py::module_::import("builtins");
  py::object property = builtins.attr("property");
  std::vector<std::string> out;
  for (const auto& name : py::list(builtins.attr("dir")(type))) {
    std::string key = py::str(name);
    if (key.rfind("__", 0) == 0) continue;
    py::object attr = py::getattr(type, name, py::none());
    if (py::isinstance(attr, property) && !attr.attr("fset").is_none()) out.push_back(key);
  }
  return out;
}

// Pickling of a plain struct by its fields: the state is {name: value} of every writable
// property (nested structs pickle the same way), restored onto a default-constructed object.
template <typename T>
void def_field_pickle(py::module_& m, const char* name) {
  auto cls = py::reinterpret_borrow<py::class_<T>>(m.attr(name));
  cls.def(py::pickle(
      [](const py::object& self) {
        py::dict state;
        for (const auto& name : writable_fields(py::type::of(self)))
          state[py::str(name)] = self.attr(name.c_str());
        return state;
      },
      [](const py::dict& state) {
        py::object obj = py::cast(T{});
        for (const auto& item : state) py::setattr(obj, item.first, item.second);
        return obj.cast<T>();
      }));
}

// __repr__ as Name(field=value, ...) over the given fields: enums by name
// (DialMode.PREDICTIVE), durations in seconds, the rest by their own repr.
template <typename T>
void def_field_repr(py::module_& m, const char* name, std::vector<std::string> fields) {
  auto cls = py::reinterpret_borrow<py::class_<T>>(m.attr(name));
  cls.def("__repr__", [fields = std::move(fields)](const py::object& self) {
    py::object timedelta = py::module_::import("datetime").attr("timedelta");
    std::string out = std::string(py::str(py::type::of(self).attr("__name__"))) + "(";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      py::object v = self.attr(fields[i].c_str());
      std::string text;
      if (py::hasattr(py::type::of(v), "__members__")) {
        text = py::str(v);
      } else if (py::isinstance(v, timedelta)) {
        text = std::string(py::repr(v.attr("total_seconds")())) + " s";
      } else {
        text = py::repr(v);
      }
      out += (i ? ", " : "") + fields[i] + "=" + text;
    }
    return out + ")";
  });
}

// Module sections (one translation unit each, to keep compile times short).
void register_errors(py::module_& m);
void bind_enums(py::module_& m);
void bind_world(py::module_& m);
void bind_model(py::module_& m);
void bind_policy_types(py::module_& m);
void bind_engine(py::module_& m);
void bind_blending(py::module_& m);  // blending.cc: after bind_engine (adds Engine methods)
void bind_simulation(py::module_& m);
void bind_planning(py::module_& m);
// Last: the docstrings from the public headers' comments (docstrings.cc).
void apply_header_docs(py::module_& m);

}  // namespace omnivox::py_bindings

namespace pybind11::detail {

// omnivox::TimePoint <-> aware datetime (UTC); epoch <-> None.
template <>
struct type_caster<omnivox::TimePoint> {
 public:
  PYBIND11_TYPE_CASTER(omnivox::TimePoint, const_name("datetime.datetime | None"));

  bool load(handle src, bool) {
    using namespace omnivox::py_bindings;
    if (src.is_none()) {
      value = omnivox::TimePoint{};
      return true;
    }
    ensure_datetime_api();
    if (!PyDateTime_Check(src.ptr())) return false;
    PyObject* tz = PyObject_GetAttrString(src.ptr(), "tzinfo");
    if (tz == nullptr) throw error_already_set();
    bool naive = tz == Py_None;
    Py_DECREF(tz);
    if (naive) {
      invalid_argument(
          "naive datetime: give a timezone-aware datetime (e.g. tzinfo=datetime.timezone.utc)");
    }
    PyObject* delta = PyNumber_Subtract(src.ptr(), epoch_utc());
    if (delta == nullptr) throw error_already_set();
    std::int64_t ms = ms_from_timedelta(delta);
    Py_DECREF(delta);
    value = omnivox::TimePoint(omnivox::Duration(ms));
    return true;
  }

  static handle cast(const omnivox::TimePoint& t, return_value_policy, handle) {
    using namespace omnivox::py_bindings;
    if (t == omnivox::TimePoint{}) return none().release();
    PyObject* delta = timedelta_from_ms(t.time_since_epoch().count());
    if (delta == nullptr) throw error_already_set();
    PyObject* r = PyNumber_Add(epoch_utc(), delta);
    Py_DECREF(delta);
    if (r == nullptr) throw error_already_set();
    return r;
  }
};

// omnivox::Duration <-> timedelta; int or float seconds accepted on input.
template <>
struct type_caster<omnivox::Duration> {
 public:
  PYBIND11_TYPE_CASTER(omnivox::Duration, const_name("datetime.timedelta | float"));

  bool load(handle src, bool) {
    using namespace omnivox::py_bindings;
    ensure_datetime_api();
    if (PyDelta_Check(src.ptr())) {
      value = omnivox::Duration(ms_from_timedelta(src.ptr()));
      return true;
    }
    if (PyBool_Check(src.ptr())) return false;
    if (PyLong_Check(src.ptr()) || PyFloat_Check(src.ptr())) {
      double s = PyFloat_AsDouble(src.ptr());
      if (s == -1.0 && PyErr_Occurred()) throw error_already_set();
      if (!std::isfinite(s) || std::fabs(s) > 9.0e15) {
        invalid_argument("duration in seconds must be finite and reasonable");
      }
      value = omnivox::seconds_to_duration(s);
      return true;
    }
    return false;
  }

  static handle cast(const omnivox::Duration& d, return_value_policy, handle) {
    PyObject* r = omnivox::py_bindings::timedelta_from_ms(d.count());
    if (r == nullptr) throw error_already_set();
    return r;
  }
};

// std::string: str only. bytes would otherwise pass unchecked (possibly invalid UTF-8) into the
// engine; a str holding lone surrogates cannot be UTF-8 and is refused with a clear message.
template <>
struct type_caster<std::string> : string_caster<std::string> {
  bool load(handle src, bool convert) {
    if (!src || !PyUnicode_Check(src.ptr())) return false;
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(src.ptr(), &size);
    if (data == nullptr) {
      PyErr_Clear();
      omnivox::py_bindings::invalid_argument(
          "string is not valid UTF-8 (it holds lone surrogates)");
    }
    value.assign(data, static_cast<std::size_t>(size));
    return true;
  }
};

}  // namespace pybind11::detail

#endif  // OMNIVOX_PY_COMMON_H_
