// Ownership and callback plumbing shared by engine.cc and sim.cc.
//
// Threads and the GIL: every Python -> engine call releases the GIL (the engine thread may be
// waiting for it inside a callback while holding the engine lock); every engine -> Python
// callback acquires it. A Python callback that raises is caught at the boundary, recorded in the
// engine's CallbackErrors (Engine.last_callback_error()) and logged through the engine logger;
// the engine goes on.
#ifndef OMNIVOX_PY_ENGINE_BOX_H_
#define OMNIVOX_PY_ENGINE_BOX_H_

#include "common.h"
// common.h first.
#include <atomic>
#include <deque>
#include <optional>

#include "omnivox/clock.h"
#include "omnivox/engine.h"
#include "omnivox/event_listener.h"
#include "omnivox/pacing.h"
#include "omnivox/sim.h"
#include "omnivox/storage.h"
#include "omnivox/telephony.h"

namespace omnivox::py_bindings {

// Depth of engine -> Python callbacks on this thread: running or closing the engine from inside
// one would deadlock (the engine is mid-handler), so those calls raise StateError there.
extern thread_local int t_callback_depth;
struct CallbackScope {
  CallbackScope() { ++t_callback_depth; }
  ~CallbackScope() { --t_callback_depth; }
};
void require_not_in_callback(const char* what);

// Where an engine's Python callback errors go. Touched only with the GIL held.
//
// An error is counted, logged and kept as `pending` until the host's next run_for /
// run_until_done / poll raises it: a failing callback must stop the host's loop rather than
// leave a run that silently makes no progress. A KeyboardInterrupt (or SystemExit) raised inside
// a callback is kept as `interrupt` and re-raised as itself.
struct CallbackErrors {
  Engine* engine = nullptr;  // for logging; null when the engine is gone
  std::size_t count = 0;
  py::object last;     // a CallbackError with the original exception as __cause__
  py::object pending;  // the first error not raised to the host yet
  py::object interrupt;
  bool raise_errors = true;  // Engine.raise_callback_errors
  // Records the Python exception in `e` (GIL held) raised by `where`.
  void record(const char* where, py::error_already_set& e);
  // Raises (as a Python exception) the pending interrupt or error, if any; GIL held.
  void raise_pending();
  ~CallbackErrors();
};

// Set while the engine runs a policy through its wrapper: a Python policy's errors are recorded
// there (a policy object is not tied to one engine).
extern thread_local CallbackErrors* t_policy_errors;
// Set by a Python policy whose call failed (read and cleared by the engine's policy wrapper).
extern thread_local bool t_policy_failed;

// A Python object that is released with the GIL held, from whatever thread drops the last
// reference (engine timers hold these).
std::shared_ptr<py::object> gil_safe_object(py::object o);

// The sink a Python Telephony reports through; it outlives the engine safely (reports after the
// engine is gone raise StateError).
struct SinkHandle : std::enable_shared_from_this<SinkHandle> {
  std::recursive_mutex mutex;
  CallEventSink* target = nullptr;
  Clock* clock = nullptr;
  // Called without the GIL.
  void report(const CallEvent& event);
  void invalidate();
};

// Telephony implemented by a Python subclass of omnivox.Telephony.
class PyTelephony : public Telephony {
 public:
  using Telephony::Telephony;
  ~PyTelephony() override;
  void start(CallEventSink* sink) override;
  void originate(const OriginateRequest& request) override;
  void hangup(CallId call) override;
  void bridge(CallId call, AgentId agent) override;
  void play(CallId call, const std::string& message) override;
  void stop_amd(CallId call) override;
  void stop() override;
  std::optional<CallEvent> lookup_call(const Attempt& attempt) override;

  // Ties this object to one engine (clock for scheduling, error store). StateError if it already
  // serves a live engine.
  void bind(std::shared_ptr<CallbackErrors> errors, Clock* clock);
  void unbind();
  std::shared_ptr<SinkHandle> sink() const { return sink_; }
  Clock* clock() const { return clock_; }
  const std::shared_ptr<CallbackErrors>& errors() const { return errors_; }

 private:
  void fail_later(CallId call);
  std::shared_ptr<CallbackErrors> errors_;
  Clock* clock_ = nullptr;
  bool bound_ = false;
  std::shared_ptr<SinkHandle> sink_;
};

// EventListener implemented by a Python subclass of omnivox.EventListener.
class PyEventListener : public EventListener {
 public:
  void on_call_state(const CallStateChange& change) override;
  void on_agent_state(const AgentStateChange& change) override;
  void on_pacing_decision(const PacingDecision& decision) override;
  void on_attempt_finished(const Attempt& attempt) override;
  void bind(std::shared_ptr<CallbackErrors> errors);
  void unbind();

 private:
  template <typename T>
  void dispatch(const char* name, int slot, const T& value);
  std::shared_ptr<CallbackErrors> errors_;
  bool bound_ = false;
  // Which methods the Python class overrides: 0 unknown, 1 yes, 2 no.
  std::atomic<int> overridden_[4] = {0, 0, 0, 0};
};

// Everything one Python Engine object keeps alive. For a standalone engine it owns the engine and
// holds the storage, clock, telephony and listener; for a Simulation's engine it keeps the
// simulation alive (`keep`).
struct EngineBox {
  Engine* engine = nullptr;
  std::unique_ptr<Engine> owned;
  std::shared_ptr<void> keep;
  std::shared_ptr<Storage> storage;
  std::shared_ptr<Clock> clock;
  py::object telephony_obj, listener_obj;
  PyTelephony* py_telephony = nullptr;
  PyEventListener* py_listener = nullptr;
  Simulator* simulator = nullptr;
  std::shared_ptr<CallbackErrors> errors = std::make_shared<CallbackErrors>();

  Engine& get() const;
  void close();
  ~EngineBox();
};

// Wraps a shared PacingPolicy so the engine can own "it" while Python keeps the object. `owner`
// (the Python object, may be None) is kept alive as long as the engine uses the policy: a
// Python subclass must not lose its Python half when the host drops its last reference.
// `errors` receives the errors of a Python policy.
std::unique_ptr<PacingPolicy> share_policy(std::shared_ptr<PacingPolicy> policy,
                                           py::object owner = py::object(),
                                           std::shared_ptr<CallbackErrors> errors = nullptr);

// Sends the errors of a Python log sink in `options` (if any) to `errors`.
void bind_log_sink(const EngineOptions& options, const std::shared_ptr<CallbackErrors>& errors);

// A policy that needs another object alive (the oracle needs its Simulator). Given to the engine
// of the very object it keeps alive, only `inner` is shared (else a reference cycle would keep
// the simulation alive for ever; that engine dies before its simulator anyway).
struct KeepPolicy final : PacingPolicy {
  KeepPolicy(std::shared_ptr<PacingPolicy> i, std::shared_ptr<void> k)
      : inner(std::move(i)), keep(std::move(k)) {}
  std::string name() const override { return inner->name(); }
  int decide(const PacingSnapshot& s) override { return inner->decide(s); }
  bool wants_details() const override { return inner->wants_details(); }
  Duration tick_interval() const override { return inner->tick_interval(); }
  std::shared_ptr<PacingPolicy> inner;
  std::shared_ptr<void> keep;
};

}  // namespace omnivox::py_bindings

#endif  // OMNIVOX_PY_ENGINE_BOX_H_
