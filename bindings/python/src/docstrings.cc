// The docstrings of the module's classes, properties, methods and enum values come from the
// public headers' comments (one source): tools/gen_docstrings.py turns them into a table at build
// time, applied here once every binding exists. A binding's own docstring stays only where it
// says something Python-specific; it follows the header's text.
#include "common.h"
// common.h first.
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace omnivox::py_bindings {

namespace {

struct HeaderDoc {
  const char* path;  // Python path under the module: "Class", "Class.member", "function"
  const char* doc;
};

constexpr HeaderDoc kHeaderDocs[] = {
#include "header_docs.inc"
};

// Lower case, runs of white space as one space, no trailing period: to tell whether a binding's
// text only repeats the header's.
std::string normalized(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::tolower(u));
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  return out;
}

std::string strip(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string combine(const std::string& header, const std::string& own) {
  std::string h = normalized(header);
  std::string o = normalized(own);
  if (o.empty() || h.find(o) != std::string::npos) return header;
  if (o.find(h) != std::string::npos) return strip(own);
  return header + "\n\n" + strip(own);
}

std::string text_of(PyObject* doc) {
  if (doc == nullptr || !PyUnicode_Check(doc)) return {};
  return py::reinterpret_borrow<py::str>(doc);
}

// pybind11 keeps a function's docstring (its signatures, then the text) in the PyMethodDef it
// allocated, with strdup: replaced the same way.
void set_function_doc(PyObject* fn, const std::string& header) {
  auto* f = reinterpret_cast<PyCFunctionObject*>(fn);
  std::string old = f->m_ml->ml_doc != nullptr ? f->m_ml->ml_doc : "";
  std::string doc;
  std::size_t first_end = old.find('\n');
  std::string first = old.substr(0, first_end);
  std::string rest = first_end == std::string::npos ? "" : old.substr(first_end + 1);
  const std::string overloaded = "Overloaded function.";
  if (rest.rfind(overloaded, 0) == 0) {
    // name(*args, **kwargs) / Overloaded function. / 1. signature / text ...: the header's text
    // for all of them first.
    doc = first + "\n" + overloaded + "\n\n" + header + "\n" + rest.substr(overloaded.size());
  } else {
    doc = first + "\n\n" + combine(header, rest) + "\n";
  }
  char* copy = strdup(doc.c_str());
  if (copy == nullptr) throw std::bad_alloc();
  std::free(const_cast<char*>(f->m_ml->ml_doc));
  f->m_ml->ml_doc = copy;
}

// A type's tp_doc (what an enum's generated __doc__ starts with), owned by the type.
void set_type_doc(PyObject* type, const std::string& doc) {
  auto* t = reinterpret_cast<PyTypeObject*>(type);
  auto* copy = static_cast<char*>(PyObject_Malloc(doc.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, doc.c_str(), doc.size() + 1);
  PyObject_Free(const_cast<char*>(t->tp_doc));
  t->tp_doc = copy;
}

bool is_enum(PyObject* type) { return PyObject_HasAttrString(type, "__entries") != 0; }

void apply(PyObject* target, const std::string& header) {
  if (PyType_Check(target)) {
    auto* t = reinterpret_cast<PyTypeObject*>(target);
    std::string doc = combine(header, t->tp_doc != nullptr ? t->tp_doc : "");
    set_type_doc(target, doc);
    if (!is_enum(target) && PyObject_SetAttrString(target, "__doc__", py::str(doc).ptr()) != 0)
      throw py::error_already_set();
    return;
  }
  if (PyObject_TypeCheck(target, &PyProperty_Type)) {
    py::object own = py::reinterpret_steal<py::object>(PyObject_GetAttrString(target, "__doc__"));
    if (!own) throw py::error_already_set();
    py::str doc(combine(header, text_of(own.ptr())));
    if (PyObject_SetAttrString(target, "__doc__", doc.ptr()) != 0) throw py::error_already_set();
    return;
  }
  PyObject* fn = target;
  if (PyInstanceMethod_Check(fn)) fn = PyInstanceMethod_GET_FUNCTION(fn);
  py::object inner;
  if (Py_IS_TYPE(fn, &PyStaticMethod_Type)) {
    inner = py::reinterpret_borrow<py::object>(target).attr("__func__");
    fn = inner.ptr();
  }
  if (PyCFunction_Check(fn)) set_function_doc(fn, header);
}

// The object a path names, looked up in each scope's own dictionary (a member documented on the
// C++ base is applied where the Python base defines it).
PyObject* resolve(py::module_& m, std::string_view path, std::string* enum_value,
                  PyObject** enum_type) {
  PyObject* scope = m.ptr();
  while (true) {
    std::size_t dot = path.find('.');
    std::string name(path.substr(0, dot));
    PyObject* dict = PyType_Check(scope) ? reinterpret_cast<PyTypeObject*>(scope)->tp_dict
                                         : PyModule_GetDict(scope);
    if (dot == std::string::npos && PyType_Check(scope) && is_enum(scope)) {
      py::dict entries = py::reinterpret_borrow<py::object>(scope).attr("__entries");
      if (entries.contains(name)) {
        *enum_value = name;
        *enum_type = scope;
        return nullptr;
      }
    }
    PyObject* item = PyDict_GetItemString(dict, name.c_str());
    if (item == nullptr) return nullptr;
    if (dot == std::string::npos) return item;
    if (!PyType_Check(item)) return nullptr;
    scope = item;
    path.remove_prefix(dot + 1);
  }
}

}  // namespace

void apply_header_docs(py::module_& m) {
  for (const HeaderDoc& d : kHeaderDocs) {
    std::string value;
    PyObject* type = nullptr;
    PyObject* target = resolve(m, d.path, &value, &type);
    if (target != nullptr) {
      apply(target, d.doc);
    } else if (type != nullptr) {
      py::dict entries = py::reinterpret_borrow<py::object>(type).attr("__entries");
      py::tuple entry = entries[py::str(value)];
      entries[py::str(value)] = py::make_tuple(entry[0], py::str(d.doc));
    }
  }
}

}  // namespace omnivox::py_bindings
