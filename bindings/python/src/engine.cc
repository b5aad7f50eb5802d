// Engine, Storage, Clock, Telephony and EventListener bindings, and the callback plumbing
// (engine_box.h explains the GIL rules).
#include "engine_box.h"
// engine_box.h (and common.h) first.
#include <set>

#include "bindings_support/host_callbacks.h"
#include "omnivox/audit.h"
#include "omnivox/compliance.h"
#include "omnivox/log.h"
#include "omnivox/queue_generator.h"
#include "omnivox/sqlite_storage.h"

namespace omnivox::py_bindings {

thread_local int t_callback_depth = 0;
thread_local CallbackErrors* t_policy_errors = nullptr;
thread_local bool t_policy_failed = false;
namespace {
// Set while CallbackErrors::record logs: a log sink that raises is recorded without logging
// again (which would call the failing sink once more, without end).
thread_local bool t_recording = false;
// Telephony methods running on this thread: events reported meanwhile are scheduled on the
// engine clock instead of being handed over inline (telephony.h forbids the latter).
thread_local int t_in_telephony_call = 0;
struct TelephonyCallScope {
  TelephonyCallScope() { ++t_in_telephony_call; }
  ~TelephonyCallScope() { --t_in_telephony_call; }
};

// Live engines, so that the package's atexit hook can stop their threads before the interpreter
// goes away (a thread that wants the GIL after finalisation would hang).
std::mutex g_live_mutex;
std::set<EngineBox*> g_live;

std::string exception_text(py::error_already_set& e) {
  std::string type = "exception";
  try {
    type = py::str(e.type().attr("__name__"));
  } catch (...) {
  }
  std::string text;
  try {
    text = py::str(e.value());
  } catch (...) {
    PyErr_Clear();
  }
  return type + ": " + text;
}

// Everything a Storage scan visits, copied into a list (`scan` is a member such as
// &Storage::scan_attempts, called with `key` and a visitor).
template <typename T, typename Scan, typename Key>
std::vector<T> collect(Storage& storage, Scan scan, const Key& key) {
  std::vector<T> out;
  (storage.*scan)(key, [&](const T& item) {
    out.push_back(item);
    return true;
  });
  return out;
}
}  // namespace

void require_not_in_callback(const char* what) {
  if (t_callback_depth > 0) {
    throw Error(ErrorCode::kState, std::string(what) +
                                       ": cannot be called from an engine callback (it would "
                                       "deadlock); call it after the callback returns");
  }
}

void CallbackErrors::record(const char* where, py::error_already_set& e) {
  if (e.matches(PyExc_KeyboardInterrupt) || e.matches(PyExc_SystemExit)) {
    // Ctrl-C landed while Python code of a callback ran: the host's run stops with it.
    if (!interrupt) interrupt = e.value();
    return;
  }
  if (e.trace() && e.value()) {
    // The host sees where its callback failed (the error object alone has no traceback).
    PyException_SetTraceback(e.value().ptr(), e.trace().ptr());
  }
  std::string message = std::string(where) + " raised " + exception_text(e);
  ++count;
  try {
    py::object error = py::reinterpret_borrow<py::object>(error_classes().callback)(message);
    error.attr("__cause__") = e.value();
    error.attr("where") = where;
    last = error;
    if (raise_errors && !pending) pending = error;
  } catch (py::error_already_set&) {
    PyErr_Clear();
  }
  if (engine != nullptr && !t_recording) {
    Engine* target = engine;
    t_recording = true;
    {
      py::gil_scoped_release release;  // the log sink may be Python, or block on stderr
      try {
        target->logger().log(LogLevel::kError, "python callback: " + message);
      } catch (...) {
      }
    }
    t_recording = false;
  }
}

void CallbackErrors::raise_pending() {
  py::object error;
  if (interrupt) {
    error = std::move(interrupt);
    interrupt = py::object();
  } else if (pending) {
    error = std::move(pending);
    pending = py::object();
  } else {
    return;
  }
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
  throw py::error_already_set();
}

CallbackErrors::~CallbackErrors() {
  if (Py_IsInitialized()) {
    py::gil_scoped_acquire gil;
    last = py::object();
    pending = py::object();
    interrupt = py::object();
  } else {
    // Interpreter gone: leak rather than touch it.
    last.release();
    pending.release();
    interrupt.release();
  }
}

std::shared_ptr<py::object> gil_safe_object(py::object o) {
  return std::shared_ptr<py::object>(new py::object(std::move(o)), [](py::object* p) {
    if (Py_IsInitialized()) {
      py::gil_scoped_acquire gil;
      delete p;
    } else {
      p->release();
      delete p;
    }
  });
}

// ---- SinkHandle ----
void SinkHandle::report(const CallEvent& event) {
  std::lock_guard<std::recursive_mutex> lock(mutex);
  if (target == nullptr) {
    throw Error(ErrorCode::kState, "CallEventSink: its engine is closed or gone");
  }
  if (t_in_telephony_call > 0 && clock != nullptr) {
    // Inside originate()/hangup()/...: hand it over once the engine's handler has returned.
    std::weak_ptr<SinkHandle> weak = weak_from_this();
    clock->schedule_at(clock->now(), [weak, event] {
      if (auto self = weak.lock()) {
        std::lock_guard<std::recursive_mutex> l(self->mutex);
        if (self->target != nullptr) self->target->on_call_event(event);
      }
    });
    return;
  }
  target->on_call_event(event);
}

void SinkHandle::invalidate() {
  std::lock_guard<std::recursive_mutex> lock(mutex);
  target = nullptr;
  clock = nullptr;
}

// ---- PyTelephony ----
PyTelephony::~PyTelephony() {
  if (sink_) sink_->invalidate();
}

void PyTelephony::bind(std::shared_ptr<CallbackErrors> errors, Clock* clock) {
  if (bound_) {
    throw Error(ErrorCode::kState,
                "Telephony: this object already serves an engine (one engine at a time; close "
                "the other engine first)");
  }
  errors_ = std::move(errors);
  clock_ = clock;
  bound_ = true;
}

void PyTelephony::unbind() {
  if (sink_) sink_->invalidate();
  bound_ = false;
  clock_ = nullptr;
}

void PyTelephony::start(CallEventSink* sink) {
  auto handle = std::make_shared<SinkHandle>();
  handle->target = sink;
  handle->clock = clock_;
  py::gil_scoped_acquire gil;
  if (sink_) sink_->invalidate();
  sink_ = handle;
  CallbackScope cb;
  TelephonyCallScope scope;
  try {
    py::function f = py::get_override(static_cast<const Telephony*>(this), "start");
    if (f) f(handle);
  } catch (py::error_already_set& e) {
    if (errors_) errors_->record("Telephony.start", e);
  }
}

void PyTelephony::fail_later(CallId call) {
  if (!sink_) return;
  CallEvent failed = bindings_support::failed_originate(call, FailReason::kConfig);
  py::gil_scoped_release release;
  try {
    sink_->report(failed);  // scheduled: we are inside originate()
  } catch (...) {
  }
}

void PyTelephony::originate(const OriginateRequest& request) {
  py::gil_scoped_acquire gil;
  CallbackScope cb;
  TelephonyCallScope scope;
  try {
    py::function f = py::get_override(static_cast<const Telephony*>(this), "originate");
    if (!f) {
      PyErr_SetString(PyExc_NotImplementedError, "Telephony.originate is not implemented");
      throw py::error_already_set();
    }
    f(request);
  } catch (py::error_already_set& e) {
    if (errors_) errors_->record("Telephony.originate", e);
    // telephony.h: report a failure as a FAILED event instead of throwing.
    fail_later(request.call_id);
  }
}

#define OMNIVOX_PY_TELEPHONY_VOID(NAME, WHERE, ...)                               \
  py::gil_scoped_acquire gil;                                                     \
  CallbackScope cb;                                                               \
  TelephonyCallScope scope;                                                       \
  try {                                                                           \
    py::function f = py::get_override(static_cast<const Telephony*>(this), NAME); \
    if (f) f(__VA_ARGS__);                                                        \
  } catch (py::error_already_set & e) {                                           \
    if (errors_) errors_->record(WHERE, e);                                       \
  }

void PyTelephony::hangup(CallId call) {
  OMNIVOX_PY_TELEPHONY_VOID("hangup", "Telephony.hangup", call)
}
void PyTelephony::bridge(CallId call, AgentId agent) {
  OMNIVOX_PY_TELEPHONY_VOID("bridge", "Telephony.bridge", call, agent)
}
void PyTelephony::play(CallId call, const std::string& message) {
  OMNIVOX_PY_TELEPHONY_VOID("play", "Telephony.play", call, message)
}
void PyTelephony::stop_amd(CallId call) {
  OMNIVOX_PY_TELEPHONY_VOID("stop_amd", "Telephony.stop_amd", call)
}
void PyTelephony::stop(){OMNIVOX_PY_TELEPHONY_VOID("stop", "Telephony.stop")}
#undef OMNIVOX_PY_TELEPHONY_VOID

std::optional<CallEvent> PyTelephony::lookup_call(const Attempt& attempt) {
  py::gil_scoped_acquire gil;
  CallbackScope cb;
  TelephonyCallScope scope;
  try {
    py::function f = py::get_override(static_cast<const Telephony*>(this), "lookup_call");
    if (!f) return std::nullopt;
    py::object r = f(attempt);
    if (r.is_none()) return std::nullopt;
    return r.cast<CallEvent>();
  } catch (py::error_already_set& e) {
    if (errors_) errors_->record("Telephony.lookup_call", e);
  } catch (const py::cast_error&) {
    PyErr_SetString(PyExc_TypeError, "Telephony.lookup_call must return a CallEvent or None");
    py::error_already_set e;
    if (errors_) errors_->record("Telephony.lookup_call", e);
  }
  return std::nullopt;
}

// ---- PyEventListener ----
void PyEventListener::bind(std::shared_ptr<CallbackErrors> errors) {
  if (bound_) {
    throw Error(ErrorCode::kState,
                "EventListener: this object already listens to an engine (one at a time)");
  }
  errors_ = std::move(errors);
  bound_ = true;
}
void PyEventListener::unbind() { bound_ = false; }

template <typename T>
void PyEventListener::dispatch(const char* name, int slot, const T& value) {
  if (overridden_[slot].load(std::memory_order_relaxed) == 2) return;  // no GIL needed
  py::gil_scoped_acquire gil;
  CallbackScope cb;
  try {
    py::function f = py::get_override(static_cast<const EventListener*>(this), name);
    if (!f) {
      overridden_[slot] = 2;
      return;
    }
    overridden_[slot] = 1;
    f(value);
  } catch (py::error_already_set& e) {
    std::string where = std::string("EventListener.") + name;
    if (errors_) {
      errors_->record(where.c_str(), e);
    } else {
      e.discard_as_unraisable(where.c_str());
    }
  }
}

void PyEventListener::on_call_state(const CallStateChange& c) { dispatch("on_call_state", 0, c); }
void PyEventListener::on_agent_state(const AgentStateChange& c) {
  dispatch("on_agent_state", 1, c);
}
void PyEventListener::on_pacing_decision(const PacingDecision& d) {
  dispatch("on_pacing_decision", 2, d);
}
void PyEventListener::on_attempt_finished(const Attempt& a) {
  dispatch("on_attempt_finished", 3, a);
}

// ---- EngineBox ----
Engine& EngineBox::get() const {
  if (engine == nullptr) throw Error(ErrorCode::kState, "Engine: it is closed");
  return *engine;
}

void EngineBox::close() {
  if (engine == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(g_live_mutex);
    g_live.erase(this);
  }
  {
    std::optional<py::gil_scoped_release> release;
    if (PyGILState_Check()) release.emplace();
    if (py_telephony && py_telephony->sink()) py_telephony->sink()->invalidate();
    if (owned) {
      owned->stop();
      owned.reset();
    }
  }
  if (simulator != nullptr && owned == nullptr && !keep) {
    simulator->start(nullptr);  // no events into the destroyed engine from pending timers
    simulator->attach(nullptr);
  }
  if (py_telephony) py_telephony->unbind();
  if (py_listener) py_listener->unbind();
  errors->engine = nullptr;
  engine = nullptr;
  // Break Python-level cycles (a listener holding its engine): the engine no longer calls them.
  if (Py_IsInitialized()) {
    py::gil_scoped_acquire gil;
    telephony_obj = py::object();
    listener_obj = py::object();
  }
}

EngineBox::~EngineBox() {
  if (!keep) close();
  if (Py_IsInitialized()) {
    py::gil_scoped_acquire gil;
    telephony_obj = py::object();
    listener_obj = py::object();
  } else {
    telephony_obj.release();
    listener_obj.release();
  }
}

namespace {

// What the engine owns for a policy given from Python: the shared C++ policy, the Python object
// (so a Python subclass keeps its overrides however the host drops it) and where its errors go.
class SharedPolicy final : public PacingPolicy {
 public:
  SharedPolicy(std::shared_ptr<PacingPolicy> p, std::shared_ptr<py::object> owner,
               std::shared_ptr<CallbackErrors> errors)
      : p_(std::move(p)), owner_(std::move(owner)), errors_(std::move(errors)) {}
  std::string name() const override {
    Scope s(errors_.get());
    return p_->name();
  }
  int decide(const PacingSnapshot& snapshot) override {
    Scope s(errors_.get());
    t_policy_failed = false;
    int n = p_->decide(snapshot);
    failed_ = t_policy_failed;
    return n;
  }
  bool wants_details() const override {
    Scope s(errors_.get());
    return p_->wants_details();
  }
  Duration tick_interval() const override {
    Scope s(errors_.get());
    Duration every = p_->tick_interval();
    // A failed decision launched nothing; with nothing in flight no event would ask again and the
    // campaign would stall without a sound. Deciding again each second keeps raising the error
    // (or recovers once the policy does).
    if (failed_ && every <= Duration(0)) every = std::chrono::seconds(1);
    return every;
  }

 private:
  struct Scope {
    explicit Scope(CallbackErrors* e) : saved(t_policy_errors) { t_policy_errors = e; }
    ~Scope() { t_policy_errors = saved; }
    CallbackErrors* saved;
  };
  std::shared_ptr<PacingPolicy> p_;
  std::shared_ptr<py::object> owner_;
  std::shared_ptr<CallbackErrors> errors_;
  bool failed_ = false;  // the last decision raised or returned a bad value
};

// A LogSink that calls a Python callable(level, message). Its errors go to the engine it was
// last given to (Engine / Simulation construction binds it).
class PyLogSink final : public LogSink {
 public:
  explicit PyLogSink(py::object fn) : fn_(gil_safe_object(std::move(fn))) {}
  void write(LogLevel level, std::string_view message) override {
    if (!Py_IsInitialized()) return;
    py::gil_scoped_acquire gil;
    CallbackScope cb;
    try {
      (*fn_)(level, py::str(message.data(), message.size()));
    } catch (py::error_already_set& e) {
      if (auto errors = errors_.lock()) {
        errors->record("log sink", e);
      } else {
        e.discard_as_unraisable("omnivox log sink");
      }
    }
  }
  py::object callable() const { return *fn_; }
  void bind(const std::shared_ptr<CallbackErrors>& errors) { errors_ = errors; }

 private:
  std::shared_ptr<py::object> fn_;
  std::weak_ptr<CallbackErrors> errors_;
};

// Between two slices of a run (GIL held): a callback error or Ctrl-C stops the host's run.
void check_between_slices(EngineBox& b) {
  b.errors->raise_pending();
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

// Wall time of one slice of a run: how late a Ctrl-C or a callback error may be noticed.
constexpr auto kSliceWall = std::chrono::milliseconds(100);
// Events per slice above which the virtual-time slice is halved (signals are checked at least
// every few thousand events).
constexpr std::size_t kSliceEvents = 4000;

// One contact from a row of Engine.add_contacts (see its docstring); `index` names it in errors.
Contact contact_from_row(const py::handle& row, std::size_t index) {
  if (py::isinstance<Contact>(row)) return row.cast<Contact>();
  std::string where = "Engine.add_contacts: row " + std::to_string(index);
  if (!py::isinstance<py::dict>(row)) invalid_argument(where + ": not a dict or Contact");
  Contact c;
  bool has_number = false;
  auto add_number = [&](const py::handle& n) {
    c.numbers.emplace_back();
    c.numbers.back().e164 = n.cast<std::string>();
    has_number = true;
  };
  for (const auto& [key_obj, v] : row.cast<py::dict>()) {
    std::string key = py::str(key_obj);
    try {
      if (key == "numbers" || key == "number") {
        if (py::isinstance<py::str>(v)) {
          add_number(v);
        } else {
          for (const auto& n : v) add_number(n);
        }
      } else if (key == "external_id") {
        c.external_id = py::str(v);
      } else if (key == "priority") {
        c.priority = v.cast<std::int32_t>();
      } else if (key == "time_zone") {
        c.time_zone = v.cast<std::string>();
      } else if (key == "list_name") {
        c.list_name = v.cast<std::string>();
      } else if (key == "attributes") {
        for (const auto& [k, x] : v.cast<py::dict>())
          c.attributes.emplace_back(py::str(k), py::str(x));
      } else if (!v.is_none() && !(PyFloat_Check(v.ptr()) && std::isnan(v.cast<double>()))) {
        c.attributes.emplace_back(key, py::str(v));
      }
    } catch (const py::cast_error&) {
      invalid_argument(where + ": bad value for '" + key + "'");
    }
  }
  if (!has_number) invalid_argument(where + ": no 'numbers'");
  return c;
}

std::vector<Contact> contacts_from_rows(const py::object& rows) {
  // A DataFrame by its records; anything else iterable row by row.
  py::object records = py::hasattr(rows, "to_dict") && !py::isinstance<py::dict>(rows)
                           ? rows.attr("to_dict")("records")
                           : rows;
  std::vector<Contact> out;
  std::size_t i = 0;
  for (const auto& row : records) out.push_back(contact_from_row(row, i++));
  return out;
}

// The progress= argument of a run: a callable(virtual time reached) called between slices at
// most every kProgressEvery of wall time, or True for a tqdm bar (omnivox._progress_bar: its
// close(time reached) ends it, with None when the run raised).
constexpr auto kProgressEvery = std::chrono::milliseconds(500);
class Progress {
 public:
  Progress(const py::object& arg, TimePoint start, TimePoint end) {
    if (arg.is_none() || (PyBool_Check(arg.ptr()) && !arg.cast<bool>())) return;
    if (PyBool_Check(arg.ptr())) {
      fn_ = py::module_::import("omnivox").attr("_progress_bar")(start, end);
    } else if (PyCallable_Check(arg.ptr())) {
      fn_ = arg;
    } else {
      throw py::type_error("progress must be a callable(datetime), True or None");
    }
    last_ = std::chrono::steady_clock::now();
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() {
    if (!fn_ || !py::hasattr(fn_, "close")) return;
    try {
      fn_.attr("close")(reached_);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("omnivox progress close");
    }
  }
  // The run ended normally at `now`.
  void done(TimePoint now) { reached_ = py::cast(now); }
  void tick(TimePoint now) {
    if (!fn_) return;
    auto wall = std::chrono::steady_clock::now();
    if (wall - last_ < kProgressEvery) return;
    last_ = wall;
    fn_(now);
  }

 private:
  py::object fn_;
  py::object reached_ = py::none();
  std::chrono::steady_clock::time_point last_;
};

// Engine.run_for in slices (GIL held on entry and between slices, released while the engine
// runs): wall-time slices of at most kSliceWall with a real clock; virtual-time slices adapted so
// that each takes well under kSliceWall and runs at most about kSliceEvents handlers. A run in
// slices is the same run: the virtual clock stops at each slice's end exactly as at the end.
std::size_t run_in_slices(EngineBox& b, Duration d, const py::object& progress_arg) {
  Engine& e = b.get();
  check_between_slices(b);
  std::size_t total = 0;
  Clock* clock = e.clock();
  Progress progress(progress_arg, clock->now(), clock->now() + d);
  if (!clock->is_virtual()) {
    auto end = std::chrono::steady_clock::now() + d;
    do {
      auto left = std::chrono::duration_cast<Duration>(end - std::chrono::steady_clock::now());
      Duration slice = std::max(Duration(0), std::min<Duration>(left, kSliceWall));
      {
        py::gil_scoped_release release;
        total += e.run_for(slice);
      }
      check_between_slices(b);
      progress.tick(clock->now());
    } while (std::chrono::steady_clock::now() < end);
    progress.done(clock->now());
    return total;
  }
  TimePoint end = clock->now() + d;
  Duration step = std::chrono::seconds(10);
  do {
    Duration slice = std::min(step, end - clock->now());
    auto t0 = std::chrono::steady_clock::now();
    std::size_t n = 0;
    {
      py::gil_scoped_release release;
      n = e.run_for(slice);
    }
    total += n;
    check_between_slices(b);
    progress.tick(clock->now());
    auto wall = std::chrono::steady_clock::now() - t0;
    if (wall > kSliceWall / 2 || n > kSliceEvents) {
      step = std::max(Duration(1), step / 2);
    } else if (wall < kSliceWall / 8 && n < kSliceEvents / 4 && step < std::chrono::hours(24)) {
      step *= 2;
    }
  } while (clock->now() < end);
  progress.done(clock->now());
  return total;
}

// Engine.run_until_done in slices of virtual time (as run_in_slices).
bool run_until_done_in_slices(EngineBox& b, Duration limit, const py::object& progress_arg) {
  Engine& e = b.get();
  check_between_slices(b);
  Clock* clock = e.clock();
  Progress progress(progress_arg, clock->now(), clock->now() + limit);
  if (!clock->is_virtual()) {
    py::gil_scoped_release release;
    return e.run_until_done(limit);  // raises StateError
  }
  TimePoint end = clock->now() + limit;
  TimePoint slice_end = clock->now();
  Duration step = std::chrono::seconds(10);
  for (;;) {
    slice_end = std::min(end, slice_end + step);
    auto t0 = std::chrono::steady_clock::now();
    bool done = false;
    {
      py::gil_scoped_release release;
      done = e.run_until_done(slice_end - clock->now());
    }
    check_between_slices(b);
    if (done || slice_end >= end) {
      progress.done(clock->now());
      return done;
    }
    progress.tick(clock->now());
    auto wall = std::chrono::steady_clock::now() - t0;
    if (wall > kSliceWall / 2) {
      step = std::max(Duration(1), step / 2);
    } else if (wall < kSliceWall / 8 && step < std::chrono::hours(24)) {
      step *= 2;
    }
  }
}

}  // namespace

void bind_log_sink(const EngineOptions& options, const std::shared_ptr<CallbackErrors>& errors) {
  if (auto* sink = dynamic_cast<PyLogSink*>(options.log_sink.get())) sink->bind(errors);
}

std::unique_ptr<PacingPolicy> share_policy(std::shared_ptr<PacingPolicy> policy, py::object owner,
                                           std::shared_ptr<CallbackErrors> errors) {
  if (!policy) throw Error(ErrorCode::kInvalidArgument, "policy is None");
  std::shared_ptr<py::object> held;
  if (owner && !owner.is_none()) held = gil_safe_object(std::move(owner));
  return std::make_unique<SharedPolicy>(std::move(policy), std::move(held), std::move(errors));
}

namespace {

// ---- agent statistics (Engine.agent_statistics) ----
py::dict disposition_counts(const long (&counts)[kDispositionCount]) {
  py::dict d;
  for (int i = 0; i < kDispositionCount; ++i) d[py::cast(static_cast<Disposition>(i))] = counts[i];
  return d;
}

// One DataFrame row's activity columns (dispositions as "dispositions.NAME").
void activity_columns(py::dict& row, const AgentActivity& a) {
  row["start"] = py::cast(a.start);
  row["end"] = py::cast(a.end);
  row["calls_handled"] = a.calls_handled;
  row["talk_seconds"] = a.talk_seconds;
  row["wrap_seconds"] = a.wrap_seconds;
  row["idle_seconds"] = a.idle_seconds;
  row["paused_seconds"] = a.paused_seconds;
  row["logged_in_seconds"] = a.logged_in_seconds;
  row["occupancy"] = a.occupancy;
  row["longest_idle_seconds"] = a.longest_idle_seconds;
  for (int i = 0; i < kDispositionCount; ++i) {
    row[py::str(std::string("dispositions.") + to_string(static_cast<Disposition>(i)))] =
        a.dispositions[i];
  }
}

void bind_agent_statistics(py::module_& m) {
  py::class_<AgentActivity>(
      m, "AgentActivity",
      "What one agent (or all agents of a campaign, summed) did over a span: the whole time "
      "(totals) or one 15-minute interval. Seconds. talk = RESERVED + ON_CALL, wrap = WRAP_UP "
      "(after-call work), idle = AVAILABLE, paused = PAUSED, logged_in = talk + wrap + idle + "
      "paused.")
      .def_readonly("start", &AgentActivity::start,
                    "Interval start; for totals the first login (None if never logged in).")
      .def_readonly("end", &AgentActivity::end,
                    "Interval end, or the snapshot's time (interval under way, totals).")
      .def_readonly("calls_handled", &AgentActivity::calls_handled,
                    "Bridged calls whose wrap-up ended in the span.")
      .def_readonly("talk_seconds", &AgentActivity::talk_seconds, "RESERVED + ON_CALL, s.")
      .def_readonly("wrap_seconds", &AgentActivity::wrap_seconds, "WRAP_UP, s.")
      .def_readonly("idle_seconds", &AgentActivity::idle_seconds, "AVAILABLE, s.")
      .def_readonly("paused_seconds", &AgentActivity::paused_seconds, "PAUSED, s.")
      .def_readonly("logged_in_seconds", &AgentActivity::logged_in_seconds,
                    "Every state but LOGGED_OUT, s.")
      .def_readonly("occupancy", &AgentActivity::occupancy,
                    "(talk + wrap) / (logged_in - paused), 0..1 (0 when never ready).")
      .def_readonly("longest_idle_seconds", &AgentActivity::longest_idle_seconds,
                    "Longest unbroken AVAILABLE stretch (its part inside an interval), s.")
      .def_property_readonly(
          "dispositions", [](const AgentActivity& a) { return disposition_counts(a.dispositions); },
          "dict[Disposition, int]: the handled calls by final disposition.")
      .def("per_logged_in_hour", &AgentActivity::per_logged_in_hour, py::arg("count"),
           "`count` per logged-in hour of the span, e.g. "
           "a.per_logged_in_hour(a.dispositions[Disposition.SALE]) = sales per hour.");
  def_field_repr<AgentActivity>(
      m, "AgentActivity", {"start", "end", "calls_handled", "logged_in_seconds", "occupancy"});

  py::class_<AgentSummary>(m, "AgentSummary", "One agent's statistics (AgentStatistics.agents).")
      .def_readonly("agent", &AgentSummary::agent, "The agent id.")
      .def_readonly("name", &AgentSummary::name)
      .def_readonly("state", &AgentSummary::state, "The agent's state now.")
      .def_readonly("seconds_in_state", &AgentSummary::seconds_in_state,
                    "Time in the current state, s.")
      .def_readonly("totals", &AgentSummary::totals, "AgentActivity over the whole time.")
      .def_readonly("intervals", &AgentSummary::intervals,
                    "list[AgentActivity] per 15-minute interval, aligned with "
                    "AgentStatistics.intervals.");
  def_field_repr<AgentSummary>(m, "AgentSummary", {"agent", "name", "state", "seconds_in_state"});

  py::class_<AgentStatistics>(
      m, "AgentStatistics",
      "What a campaign's agents did, a snapshot (Engine.agent_statistics): per agent and summed, "
      "in total and per 15-minute interval (on the quarter hour, the latest 7 days).")
      .def_readonly("campaign_id", &AgentStatistics::campaign_id)
      .def_readonly("at", &AgentStatistics::at, "The snapshot's time (engine clock).")
      .def_readonly("interval", &AgentStatistics::interval, "The interval length (15 minutes).")
      .def_readonly("agents", &AgentStatistics::agents,
                    "list[AgentSummary], in the order the agents were added.")
      .def_readonly("totals", &AgentStatistics::totals,
                    "AgentActivity of all agents summed (longest idle: the longest of theirs).")
      .def_readonly("intervals", &AgentStatistics::intervals,
                    "list[AgentActivity] of all agents summed per interval, oldest first.")
      .def(
          "to_pandas",
          [](const AgentStatistics& s, bool intervals) {
            py::object pd = py::module_::import("omnivox").attr("_require")(
                "pandas", "python3-pandas", "to_pandas()");
            py::list rows;
            for (const AgentSummary& a : s.agents) {
              auto add = [&](const AgentActivity& activity) {
                py::dict row;
                row["agent"] = a.agent;
                row["name"] = a.name;
                row["state"] = to_string(a.state);
                row["seconds_in_state"] = a.seconds_in_state;
                activity_columns(row, activity);
                rows.append(row);
              };
              if (!intervals) {
                add(a.totals);
              } else {
                for (const AgentActivity& in : a.intervals) add(in);
              }
            }
            return pd.attr("DataFrame").attr("from_records")(rows);
          },
          py::arg("intervals") = false,
          "A pandas DataFrame with one row per agent (its totals), or with intervals=True one "
          "row per agent and interval: agent, name, state, seconds_in_state, start, end, "
          "calls_handled, talk/wrap/idle/paused/logged_in_seconds, occupancy, "
          "longest_idle_seconds and one dispositions.NAME column per disposition. ImportError "
          "without pandas.");
  def_field_repr<AgentStatistics>(m, "AgentStatistics", {"campaign_id", "at", "totals"});
}
}  // namespace

void bind_engine(py::module_& m) {
  bind_agent_statistics(m);
  using release = py::call_guard<py::gil_scoped_release>;

  m.def(
      "_stop_all_engines",
      [] {
        std::vector<EngineBox*> boxes;
        {
          std::lock_guard<std::mutex> lock(g_live_mutex);
          boxes.assign(g_live.begin(), g_live.end());
        }
        for (EngineBox* b : boxes) {
          if (b->engine) b->engine->stop();
        }
      },
      release(), "Stops the threads of every live engine (the package's atexit hook).");

  // ---- storage ----
  py::class_<Lease>(m, "Lease")
      .def_readonly("contact_id", &Lease::contact_id)
      .def_readonly("owner", &Lease::owner)
      .def_readonly("expiry", &Lease::expiry);
  py::class_<JournalEntry>(m, "JournalEntry")
      .def_readonly("at", &JournalEntry::at)
      .def_readonly("campaign_id", &JournalEntry::campaign_id)
      .def_readonly("call_id", &JournalEntry::call_id)
      .def_readonly("contact_id", &JournalEntry::contact_id)
      .def_readonly("kind", &JournalEntry::kind)
      .def_readonly("detail", &JournalEntry::detail);

  py::class_<Storage, std::shared_ptr<Storage>>(
      m, "Storage",
      "Where contacts, attempts, leases and the journal live. Create one with memory_storage() "
      "or sqlite_storage(). Every method is thread-safe and releases the GIL.")
      .def(
          "get_campaign", [](Storage& s, const std::string& id) { return s.get_campaign(id); },
          py::arg("campaign_id"), release())
      .def(
          "lists", [](Storage& s, const std::string& id) { return s.lists(id); },
          py::arg("campaign_id"), release())
      .def("get_contact", &Storage::get_contact, py::arg("contact_id"), release(),
           "The contact, or None.")
      .def(
          "contact_count", [](Storage& s, const std::string& id) { return s.contact_count(id); },
          py::arg("campaign_id"), release())
      .def(
          "count_by_status",
          [](Storage& s, const std::string& id) {
            std::vector<std::size_t> v;
            {
              py::gil_scoped_release r;
              v = s.count_by_status(id);
            }
            py::dict d;
            for (std::size_t i = 0; i < v.size(); ++i)
              d[py::cast(static_cast<ContactStatus>(i))] = v[i];
            return d;
          },
          py::arg("campaign_id"), "dict[ContactStatus, int].")
      .def(
          "contacts",
          [](Storage& s, const std::string& id, bool dialable_only) {
            ContactScan scan;
            scan.campaign_id = id;
            scan.dialable_only = dialable_only;
            return collect<Contact>(s, &Storage::scan_contacts, scan);
          },
          py::arg("campaign_id"), py::arg("dialable_only") = false, release(),
          "The campaign's contacts in dialing order (a list copy).")
      .def("attempts_of", &Storage::attempts_of, py::arg("contact_id"), release())
      .def(
          "attempts",
          [](Storage& s, const std::string& id) {
            return collect<Attempt>(s, &Storage::scan_attempts, id);
          },
          py::arg("campaign_id"), release(), "Every attempt of a campaign in call-id order.")
      .def(
          "open_attempts",
          [](Storage& s, const std::string& id) {
            return collect<Attempt>(s, &Storage::scan_open_attempts, id);
          },
          py::arg("campaign_id"), release(), "Attempts with no disposition yet.")
      .def(
          "journal",
          [](Storage& s, const std::string& id) {
            return collect<JournalEntry>(s, &Storage::scan_journal, id);
          },
          py::arg("campaign_id"), release(),
          "The campaign's event journal in append order (a list; empty when the storage keeps "
          "none).")
      .def("get_lease", &Storage::get_lease, py::arg("contact_id"), release())
      .def(
          "add_dnc",
          [](Storage& s, const std::string& list, const std::string& n) { s.add_dnc(list, n); },
          py::arg("list"), py::arg("e164"), release())
      .def(
          "is_dnc",
          [](Storage& s, const std::string& c, const std::string& n) { return s.is_dnc(c, n); },
          py::arg("campaign_id"), py::arg("e164"), release());

  m.def(
      "memory_storage",
      [](bool keep_journal) {
        MemoryStorageOptions options;
        options.keep_journal = keep_journal;
        return std::shared_ptr<Storage>(make_memory_storage(options));
      },
      py::arg("keep_journal") = MemoryStorageOptions{}.keep_journal,
      "The in-process memory backend (fast, not persistent). keep_journal: keep the event "
      "journal (grows with every state change).");
  m.def(
      "sqlite_storage",
      [](const std::string& path, int busy_timeout_ms, bool wal, bool synchronous_full,
         bool keep_journal) {
        SqliteStorageOptions o;
        o.busy_timeout_ms = busy_timeout_ms;
        o.wal = wal;
        o.synchronous_full = synchronous_full;
        o.keep_journal = keep_journal;
        return std::shared_ptr<Storage>(make_sqlite_storage(path, o));
      },
      py::arg("path"), py::arg("busy_timeout_ms") = SqliteStorageOptions{}.busy_timeout_ms,
      py::arg("wal") = SqliteStorageOptions{}.wal,
      py::arg("synchronous_full") = SqliteStorageOptions{}.synchronous_full,
      py::arg("keep_journal") = SqliteStorageOptions{}.keep_journal, release(),
      "The SQLite backend in one database file (':memory:' for a private one). Raises "
      "StorageError if it cannot be opened.");

  // ---- clocks ----
  py::class_<Clock, std::shared_ptr<Clock>>(
      m, "Clock", "The current time and timers: VirtualClock or system_clock().")
      .def("now", &Clock::now, "The current instant (aware UTC datetime).")
      .def_property_readonly("is_virtual", &Clock::is_virtual)
      .def(
          "schedule_at",
          [](Clock& c, TimePoint when, py::function fn) {
            auto held = gil_safe_object(std::move(fn));
            py::gil_scoped_release release;
            return c.schedule_at(when, [held] {
              if (!Py_IsInitialized()) return;
              py::gil_scoped_acquire gil;
              CallbackScope cb;
              try {
                (*held)();
              } catch (py::error_already_set& e) {
                e.discard_as_unraisable("omnivox Clock.schedule_at callback");
              }
            });
          },
          py::arg("when"), py::arg("fn"),
          "Runs fn() once at `when` (on the clock's thread for a real clock, inside advance / "
          "Engine.run_for for a virtual one). An exception from fn goes to "
          "sys.unraisablehook. Returns the timer id.")
      .def("cancel", &Clock::cancel, py::arg("timer_id"), release());

  py::class_<VirtualClock, Clock, std::shared_ptr<VirtualClock>>(
      m, "VirtualClock",
      "Discrete-event virtual time: a simulated day runs in seconds. Drive it from one thread.")
      .def(py::init<TimePoint>(), py::arg("start"))
      .def("advance_one", &VirtualClock::advance_one, py::arg("limit"), release())
      .def("fire_next", &VirtualClock::fire_next, py::arg("limit"), release())
      .def("advance_to", &VirtualClock::advance_to, py::arg("limit"), release())
      .def("next_due", &VirtualClock::next_due, "None-free: datetime.max-like far future if none.")
      .def("pending", &VirtualClock::pending);

  m.def(
      "system_clock",
      [](double speed, TimePoint start) {
        if (!(speed > 0) || !std::isfinite(speed)) {
          throw Error(ErrorCode::kInvalidArgument, "system_clock: speed must be > 0");
        }
        // The clock's destructor joins its timer thread, which may be waiting for the GIL to
        // run a Python timer: destroy it without the GIL.
        return std::shared_ptr<Clock>(make_system_clock(speed, start).release(), [](Clock* c) {
          if (Py_IsInitialized() && PyGILState_Check()) {
            py::gil_scoped_release release;
            delete c;
          } else {
            delete c;
          }
        });
      },
      py::arg("speed") = 1.0, py::arg("start") = TimePoint{},
      "Wall-clock time; timers fire on one internal thread. speed > 1 runs faster than the "
      "wall clock; start (aware datetime) sets the initial reading (None: now).");

  // ---- telephony ----
  py::class_<SinkHandle, std::shared_ptr<SinkHandle>>(
      m, "CallEventSink",
      "Where a Python Telephony reports call events. Thread-safe, never blocks; callable from "
      "any thread. Inside originate()/hangup()/bridge()/play() the event is delivered after the "
      "method returns (scheduled on the engine clock). After its engine is closed it raises "
      "StateError.")
      .def("on_call_event", &SinkHandle::report, py::arg("event"), release())
      .def(
          "report",
          [](SinkHandle& s, CallId call_id, CallEventKind kind, AmdResult amd,
             FailReason fail_reason, int provider_code, std::string provider_call_id,
             std::uint32_t sequence) {
            CallEvent e;
            e.call_id = call_id;
            e.kind = kind;
            e.amd = amd;
            e.fail_reason = fail_reason;
            e.provider_code = provider_code;
            e.provider_call_id = std::move(provider_call_id);
            e.sequence = sequence;
            s.report(e);
          },
          py::arg("call_id"), py::arg("kind"), py::arg("amd") = AmdResult::kNone,
          py::arg("fail_reason") = FailReason::kNone, py::arg("provider_code") = 0,
          py::arg("provider_call_id") = std::string(), py::arg("sequence") = 0u, release(),
          "Shorthand for on_call_event(CallEvent(...)) stamped with the engine clock.");

  py::class_<Telephony, PyTelephony, std::shared_ptr<Telephony>>(
      m, "Telephony",
      "Subclass it to place calls from Python: override originate(request), hangup(call_id), "
      "bridge(call_id, agent), play(call_id, message) (and optionally start(sink), stop(), "
      "stop_amd(call_id), lookup_call(attempt)); report outcomes with self.sink.report(call_id, "
      "kind, ...). "
      "Methods run on the engine's thread with the GIL held and must not block. An exception is "
      "caught, recorded (Engine.last_callback_error()) and logged; from originate() the attempt "
      "then ends FAILED (fail_reason CONFIG). Serves one engine at a time.")
      .def(py::init<>())
      .def_property_readonly(
          "sink",
          [](Telephony& t) -> std::shared_ptr<SinkHandle> {
            auto* p = dynamic_cast<PyTelephony*>(&t);
            return p ? p->sink() : nullptr;
          },
          "The CallEventSink of the engine this telephony serves (None before).")
      .def(
          "schedule",
          [](Telephony& t, Duration delay, py::function fn) {
            auto* p = dynamic_cast<PyTelephony*>(&t);
            if (p == nullptr || p->clock() == nullptr) {
              throw Error(ErrorCode::kState, "Telephony.schedule: not serving an engine");
            }
            auto held = gil_safe_object(std::move(fn));
            std::weak_ptr<CallbackErrors> errors = p->errors();
            Clock* clock = p->clock();
            py::gil_scoped_release release;
            return clock->schedule_at(clock->now() + delay, [held, errors] {
              if (!Py_IsInitialized()) return;
              py::gil_scoped_acquire gil;
              CallbackScope cb;
              try {
                (*held)();
              } catch (py::error_already_set& e) {
                if (auto errs = errors.lock()) {
                  errs->record("Telephony.schedule callback", e);
                } else {
                  e.discard_as_unraisable("omnivox Telephony.schedule callback");
                }
              }
            });
          },
          py::arg("delay"), py::arg("fn"),
          "Runs fn() after `delay` of engine-clock time (virtual or real); an exception is "
          "recorded like any callback error. Returns the timer id.")
      .def(
          "cancel",
          [](Telephony& t, TimerId id) {
            auto* p = dynamic_cast<PyTelephony*>(&t);
            if (p != nullptr && p->clock() != nullptr) {
              py::gil_scoped_release release;
              p->clock()->cancel(id);
            }
          },
          py::arg("timer_id"), "Cancels a timer from schedule().")
      .def(
          "now",
          [](Telephony& t) {
            auto* p = dynamic_cast<PyTelephony*>(&t);
            if (p == nullptr || p->clock() == nullptr) {
              throw Error(ErrorCode::kState, "Telephony.now: not serving an engine");
            }
            return p->clock()->now();
          },
          "The engine clock's now.")
      .def(
          "stop_amd", [](Telephony&, CallId) {}, py::arg("call_id"),
          "Override it when your provider runs the detection: the default does nothing. An "
          "exception is recorded (Engine.last_callback_error()) and logged; the call still goes "
          "through.");

  py::class_<EventListener, PyEventListener, std::shared_ptr<EventListener>>(
      m, "EventListener",
      "Subclass it and override any of on_call_state(change), on_agent_state(change), "
      "on_pacing_decision(decision), on_attempt_finished(attempt). Called on the engine's "
      "thread with the GIL held; must not block; may call Engine methods (mutations apply after "
      "the current handler). An exception is caught, recorded and logged; the engine goes on. "
      "Listens to one engine at a time.")
      .def(py::init<>())
      .def(
          "on_call_state", [](EventListener&, const CallStateChange&) {}, py::arg("change"))
      .def(
          "on_agent_state", [](EventListener&, const AgentStateChange&) {}, py::arg("change"))
      .def(
          "on_pacing_decision", [](EventListener&, const PacingDecision&) {}, py::arg("decision"))
      .def(
          "on_attempt_finished", [](EventListener&, const Attempt&) {}, py::arg("attempt"));

  // ---- engine ----
  py::class_<StateTimeouts>(m, "StateTimeouts")
      .def(py::init<>())
      .def_readwrite("queued", &StateTimeouts::queued)
      .def_readwrite("dialing", &StateTimeouts::dialing)
      .def_readwrite("ringing_extra", &StateTimeouts::ringing_extra)
      .def_readwrite("answered", &StateTimeouts::answered)
      .def_readwrite("human", &StateTimeouts::human)
      .def_readwrite("machine", &StateTimeouts::machine)
      .def_readwrite("bridged", &StateTimeouts::bridged);

  py::class_<EngineOptions>(m, "EngineOptions")
      .def(py::init<>())
      .def_readwrite("owner_token", &EngineOptions::owner_token)
      .def_readwrite("lease_ttl", &EngineOptions::lease_ttl)
      .def_readwrite("decision_interval", &EngineOptions::decision_interval)
      .def_readwrite("timeouts", &EngineOptions::timeouts)
      .def_readwrite("log_level", &EngineOptions::log_level)
      .def_readwrite("time_zone_map_path", &EngineOptions::time_zone_map_path)
      .def_readwrite("max_wrap_up", &EngineOptions::max_wrap_up)
      .def_readwrite("journal_state_changes", &EngineOptions::journal_state_changes)
      .def_readwrite("suspend_amd_at_cap", &EngineOptions::suspend_amd_at_cap)
      .def_property(
          "log_sink",
          [](const EngineOptions& o) -> py::object {
            if (auto* s = dynamic_cast<PyLogSink*>(o.log_sink.get())) return s->callable();
            return py::none();
          },
          [](EngineOptions& o, py::object fn) {
            if (fn.is_none()) {
              o.log_sink = nullptr;
            } else {
              if (!PyCallable_Check(fn.ptr())) {
                throw Error(ErrorCode::kInvalidArgument, "log_sink must be callable or None");
              }
              o.log_sink = std::make_shared<PyLogSink>(std::move(fn));
            }
          },
          "None (stderr) or a callable(level: LogLevel, message: str), called from engine "
          "threads with the GIL; it must not call back into the engine.");

  py::class_<EngineBox, std::shared_ptr<EngineBox>>(
      m, "Engine",
      "Runs campaigns over a Storage, a Telephony, a Clock and an optional EventListener. Every "
      "method is thread-safe and releases the GIL. Use close() (or a with block) to stop its "
      "threads and free it deterministically.")
      .def(
          py::init([](std::shared_ptr<Storage> storage, py::object telephony,
                      std::shared_ptr<Clock> clock, py::object listener,
                      std::optional<EngineOptions> options) {
            if (!storage) throw Error(ErrorCode::kInvalidArgument, "Engine: storage is None");
            if (!clock) throw Error(ErrorCode::kInvalidArgument, "Engine: clock is None");
            if (telephony.is_none()) {
              throw Error(ErrorCode::kInvalidArgument, "Engine: telephony is None");
            }
            auto box = std::make_shared<EngineBox>();
            box->storage = storage;
            box->clock = clock;
            if (!py::isinstance<Telephony>(telephony)) {
              throw py::type_error("Engine: telephony must be an omnivox.Telephony (or Simulator)");
            }
            if (!listener.is_none() && !py::isinstance<EventListener>(listener)) {
              throw py::type_error("Engine: listener must be an omnivox.EventListener or None");
            }
            Telephony* tel = telephony.cast<Telephony*>();
            EventListener* lis = listener.is_none() ? nullptr : listener.cast<EventListener*>();
            box->telephony_obj = telephony;
            box->listener_obj = listener;
            box->py_telephony = dynamic_cast<PyTelephony*>(tel);
            box->py_listener = dynamic_cast<PyEventListener*>(lis);
            box->simulator = dynamic_cast<Simulator*>(tel);
            if (box->py_telephony) box->py_telephony->bind(box->errors, clock.get());
            try {
              if (box->py_listener) box->py_listener->bind(box->errors);
              EngineOptions opts = options.value_or(EngineOptions{});
              bind_log_sink(opts, box->errors);
              {
                py::gil_scoped_release release;
                box->owned = std::make_unique<Engine>(opts, storage.get(), tel, clock.get(), lis);
              }
            } catch (...) {
              if (box->py_telephony) box->py_telephony->unbind();
              if (box->py_listener) box->py_listener->unbind();
              box->py_telephony = nullptr;
              box->py_listener = nullptr;
              box->simulator = nullptr;
              throw;
            }
            box->engine = box->owned.get();
            box->errors->engine = box->engine;
            if (box->simulator) box->simulator->attach(box->engine);
            {
              std::lock_guard<std::mutex> lock(g_live_mutex);
              g_live.insert(box.get());
            }
            return box;
          }),
          py::arg("storage"), py::arg("telephony"), py::arg("clock"),
          py::arg("listener") = py::none(), py::arg("options") = py::none(),
          "telephony: a Telephony subclass or a Simulator (which is then attached to this "
          "engine to play its agents; pass it as listener too). The engine keeps every part "
          "alive. Raises ConfigError if the time-zone map cannot be loaded.")
      .def(
          "close",
          [](EngineBox& b) {
            require_not_in_callback("Engine.close");
            if (b.keep) {
              throw Error(ErrorCode::kState,
                          "Engine.close: this engine belongs to a Simulation (it lives as long "
                          "as the simulation)");
            }
            b.close();
          },
          "Stops the engine's threads and destroys it; later calls raise StateError. Idempotent.")
      .def_property_readonly(
          "closed", [](const EngineBox& b) { return b.engine == nullptr; },
          "True once close() ran: every other call raises StateError.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](EngineBox& b, py::args) {
             if (!b.keep) b.close();
             return false;
           })
      // campaigns and contacts
      .def(
          "add_campaign",
          [](EngineBox& box_, const CampaignConfig& c) {
            Engine& e = box_.get();
            e.add_campaign(c);
          },
          py::arg("campaign"), release())
      .def(
          "import_contacts",
          [](EngineBox& box_, const std::string& campaign, const std::string& list,
             const std::string& path, std::optional<ImportOptions> options) {
            Engine& e = box_.get();
            return e.import_contacts(campaign, list, path, options.value_or(ImportOptions{}));
          },
          py::arg("campaign_id"), py::arg("list_name"), py::arg("csv_path"),
          py::arg("options") = py::none(), release(),
          "Adds contacts from a CSV file into a campaign's list; returns the ImportReport (bad "
          "rows are reported, not raised). Raises IoError / ConfigError for the whole file.")
      .def(
          "add_contact",
          [](EngineBox& box_, const std::string& campaign, Contact c) {
            Engine& e = box_.get();
            return e.add_contact(campaign, std::move(c));
          },
          py::arg("campaign_id"), py::arg("contact"), release())
      .def(
          "add_contacts",
          [](EngineBox& box_, const std::string& campaign, const py::object& rows) {
            std::vector<Contact> contacts = contacts_from_rows(rows);
            std::vector<ContactId> ids;
            ids.reserve(contacts.size());
            py::gil_scoped_release release;
            Engine& e = box_.get();
            for (auto& c : contacts) {
              try {
                ids.push_back(e.add_contact(campaign, std::move(c)));
              } catch (const Error& err) {
                throw Error(err.code(), "Engine.add_contacts: row " + std::to_string(ids.size()) +
                                            ": " + err.what());
              }
            }
            return ids;
          },
          py::arg("campaign_id"), py::arg("rows"),
          "Adds many contacts as add_contact does; returns their ids in order. rows: Contact "
          "objects, dicts or a pandas DataFrame (one row per contact). A row's keys: numbers "
          "(an E.164 str or a list of them) or number, and optionally external_id, priority, "
          "time_zone, list_name, attributes (a dict); any other key is an attribute (its value "
          "as str; None and NaN are left out). A row that is not a dict or Contact, lacks "
          "numbers or has a value of the wrong type is an InvalidArgumentError naming it, "
          "raised before any row is added; an error of add_contact (a number not in E.164, "
          "an unknown campaign) names its row and stops there, the rows before it staying "
          "added (adding them again leaves them as they are when they have external ids).")
      .def(
          "add_dnc",
          [](EngineBox& box_, const std::string& list, const std::string& n) {
            Engine& e = box_.get();
            e.add_dnc(list, n);
          },
          py::arg("list"), py::arg("e164"), release())
      .def(
          "start_campaign",
          [](EngineBox& box_, const std::string& id) {
            Engine& e = box_.get();
            e.start_campaign(id);
          },
          py::arg("campaign_id"), release())
      .def(
          "stop_campaign",
          [](EngineBox& box_, const std::string& id) {
            Engine& e = box_.get();
            e.stop_campaign(id);
          },
          py::arg("campaign_id"), release())
      .def(
          "set_pacing_policy",
          [](EngineBox& box_, const std::string& id, std::shared_ptr<PacingPolicy> p) {
            Engine& e = box_.get();
            if (!p) throw Error(ErrorCode::kInvalidArgument, "set_pacing_policy: policy is None");
            // The Python object itself (the same instance for a Python subclass), kept alive by
            // the engine.
            py::object owner = py::cast(p);
            if (auto* k = dynamic_cast<KeepPolicy*>(p.get()); k != nullptr && box_.keep &&
                                                              !k->keep.owner_before(box_.keep) &&
                                                              !box_.keep.owner_before(k->keep)) {
              p = k->inner;  // same simulation: no cycle through the engine
              owner = py::object();
            }
            auto shared = share_policy(std::move(p), std::move(owner), box_.errors);
            py::gil_scoped_release release;
            e.set_pacing_policy(id, std::move(shared));
          },
          py::arg("campaign_id"), py::arg("policy"),
          "Replaces the campaign's pacing policy (see omnivox.policies). The engine keeps the "
          "policy object alive (a Python subclass included) and shares it: read its state from "
          "Python only while the engine is not running.")
      // agents
      .def(
          "add_agent",
          [](EngineBox& box_, const std::string& c, const std::string& n) {
            Engine& e = box_.get();
            return e.add_agent(c, n);
          },
          py::arg("campaign_id"), py::arg("name"), release())
      .def(
          "set_agent_state",
          [](EngineBox& box_, AgentId a, AgentState s) {
            Engine& e = box_.get();
            e.set_agent_state(a, s);
          },
          py::arg("agent"), py::arg("state"), release())
      .def(
          "set_disposition",
          [](EngineBox& box_, CallId call, Disposition d, TimePoint callback_at) {
            Engine& e = box_.get();
            std::optional<TimePoint> at;
            if (callback_at != TimePoint{}) at = callback_at;
            e.set_disposition(call, d, at);
          },
          py::arg("call_id"), py::arg("disposition"), py::arg("callback_at") = TimePoint{},
          release())
      // preview and call now
      .def(
          "preview_next",
          [](EngineBox& box_, AgentId a) {
            Engine& e = box_.get();
            return e.preview_next(a);
          },
          py::arg("agent"), release())
      .def(
          "dial_preview",
          [](EngineBox& box_, AgentId a) {
            Engine& e = box_.get();
            return e.dial_preview(a);
          },
          py::arg("agent"), release())
      .def(
          "skip_preview",
          [](EngineBox& box_, AgentId a) {
            Engine& e = box_.get();
            e.skip_preview(a);
          },
          py::arg("agent"), release())
      .def(
          "call_now",
          [](EngineBox& box_, ContactId c, AgentId a) {
            Engine& e = box_.get();
            return e.call_now(c, a);
          },
          py::arg("contact_id"), py::arg("agent"), release())
      // running
      .def(
          "start",
          [](EngineBox& b, int threads) {
            require_not_in_callback("Engine.start");
            if (threads < 1 || threads > 64) {
              throw Error(ErrorCode::kInvalidArgument, "Engine.start: threads must be 1..64");
            }
            b.get().start(threads);
          },
          py::arg("threads") = 1, release())
      .def(
          "stop",
          [](EngineBox& b) {
            require_not_in_callback("Engine.stop");
            b.get().stop();
          },
          release())
      .def(
          "poll",
          [](EngineBox& b) {
            require_not_in_callback("Engine.poll");
            Engine& e = b.get();
            check_between_slices(b);
            std::size_t n = 0;
            {
              py::gil_scoped_release release;
              n = e.poll();
            }
            check_between_slices(b);
            return n;
          },
          "Runs the ready handlers without blocking; returns how many ran. Raises the pending "
          "callback error (CallbackError) or KeyboardInterrupt, as run_for.")
      .def(
          "run_for",
          [](EngineBox& b, Duration d, const py::object& progress) {
            require_not_in_callback("Engine.run_for");
            if (d.count() < 0) {
              throw Error(ErrorCode::kInvalidArgument, "Engine.run_for: negative duration");
            }
            return run_in_slices(b, d, progress);
          },
          py::arg("duration"), py::arg("progress") = py::none(),
          "`duration`: a timedelta or seconds. Returns the handlers run. Stops early, within about "
          "100 ms of wall time, and raises: KeyboardInterrupt on Ctrl-C (also from inside a "
          "Python callback); CallbackError (.where names the callback, __cause__ is the "
          "original exception) when a Python callback raised, during this run or since the "
          "last one (unless raise_callback_errors is False). The engine stays usable: call "
          "run_for again to go on. progress: a callable(datetime) called with the time reached "
          "at most every 0.5 s of wall time, or True for a tqdm progress bar (ImportError "
          "without tqdm).")
      .def(
          "run_until_done",
          [](EngineBox& b, Duration limit, const py::object& progress) {
            require_not_in_callback("Engine.run_until_done");
            if (limit.count() < 0) {
              throw Error(ErrorCode::kInvalidArgument, "Engine.run_until_done: negative limit");
            }
            return run_until_done_in_slices(b, limit, progress);
          },
          py::arg("limit"), py::arg("progress") = py::none(),
          "`limit`: a timedelta or seconds. Raises KeyboardInterrupt / CallbackError and takes "
          "progress= as run_for (a bar's total is `limit`).")
      .def(
          "idle",
          [](EngineBox& box_) {
            Engine& e = box_.get();
            return e.idle();
          },
          release())
      // reading
      .def(
          "statistics",
          [](EngineBox& box_, const std::string& id) {
            Engine& e = box_.get();
            return e.statistics(id);
          },
          py::arg("campaign_id"), release())
      .def(
          "explain",
          [](EngineBox& box_, ContactId c) {
            Engine& e = box_.get();
            return e.explain(c);
          },
          py::arg("contact_id"), release())
      .def(
          "agent_statistics",
          [](EngineBox& box_, const std::string& id) {
            Engine& e = box_.get();
            return e.agent_statistics(id);
          },
          py::arg("campaign_id"), release(),
          "What the campaign's agents did (AgentStatistics): per agent and summed, calls "
          "handled, talk, wrap-up, idle and paused time, occupancy, dispositions and longest "
          "idle, in total and per 15-minute interval. NotFoundError for an unknown campaign.")
      .def(
          "census",
          [](EngineBox& b, const std::string& id) {
            EligibilityCensus c;
            {
              py::gil_scoped_release r;
              c = b.get().census(id);
            }
            py::dict d;
            for (std::size_t i = 0; i < c.by_reason.size(); ++i)
              d[py::cast(static_cast<Ineligibility>(i))] = c.by_reason[i];
            return d;
          },
          py::arg("campaign_id"),
          "The campaign's contacts counted by the first rule excluding them: "
          "dict[Ineligibility, int] (NONE = dialable now).")
      .def(
          "agent_state",
          [](EngineBox& box_, AgentId a) {
            Engine& e = box_.get();
            return e.agent_state(a);
          },
          py::arg("agent"), release())
      .def(
          "call_state",
          [](EngineBox& box_, CallId c) {
            Engine& e = box_.get();
            return e.call_state(c);
          },
          py::arg("call_id"), release())
      .def(
          "audit",
          [](EngineBox& box_, const std::string& id) {
            Engine& e = box_.get();
            auto campaign = e.storage()->get_campaign(id);
            if (!campaign)
              throw Error(ErrorCode::kNotFound, "Engine.audit: no campaign '" + id + "'");
            return audit_campaign(*e.storage(), *campaign, e.time_zones());
          },
          py::arg("campaign_id"), release(),
          "Audits the campaign's attempts against its compliance profile (compliance.h).")
      .def_property_readonly("owner_token",
                             [](EngineBox& box_) {
                               Engine& e = box_.get();
                               return e.owner_token();
                             })
      .def(
          "now",
          [](EngineBox& box_) {
            Engine& e = box_.get();
            return e.clock()->now();
          },
          release(), "The engine clock's now.")
      .def_property_readonly("clock",
                             [](EngineBox& b) -> std::shared_ptr<Clock> {
                               b.get();
                               return b.clock;
                             })
      .def_property_readonly("storage",
                             [](EngineBox& b) -> std::shared_ptr<Storage> {
                               b.get();
                               return b.storage;
                             })
      .def(
          "log",
          [](EngineBox& box_, LogLevel level, const std::string& message) {
            Engine& e = box_.get();
            e.logger().log(level, message);
          },
          py::arg("level"), py::arg("message"), release(), "Logs through the engine's logger.")
      // callback errors
      .def_property_readonly(
          "callback_error_count", [](EngineBox& b) { return b.errors->count; },
          "How many Python callbacks raised since the engine was created (or cleared).")
      .def(
          "last_callback_error",
          [](EngineBox& b) -> py::object { return b.errors->last ? b.errors->last : py::none(); },
          "The last CallbackError (its __cause__ is the original exception), or None.")
      .def(
          "clear_callback_errors",
          [](EngineBox& b) {
            b.errors->count = 0;
            b.errors->last = py::object();
            b.errors->pending = py::object();
          },
          "Forgets the recorded callback errors (a pending one is not raised).")
      .def_property(
          "raise_callback_errors", [](const EngineBox& b) { return b.errors->raise_errors; },
          [](EngineBox& b, bool on) {
            b.errors->raise_errors = on;
            if (!on) b.errors->pending = py::object();
          },
          "True (the default): the next run_for / run_until_done / poll raises the first "
          "callback error not raised yet, as CallbackError. False: errors are only counted, "
          "logged and kept (last_callback_error()); the engine goes on.");
}

}  // namespace omnivox::py_bindings
