// omnivox.SipTelephony: the SIP backend (omnivox/sip_config.h) as an omnivox.Telephony, so a
// Python host builds it from a campaign file's `telephony` section and hands it to Engine(...)
// like any other telephony.
#include "common.h"
// common.h first.
#include <atomic>
#include <optional>
#include <set>

#include "engine_box.h"
#include "omnivox/sip_config.h"

namespace omnivox::py_bindings {

namespace {

class PySipTelephony;
std::mutex g_sips_mutex;
std::set<PySipTelephony*> g_sips;  // the live ones, for the exit hook

// What Engine(...) receives: the backend's SipTelephony behind a wrapper that also owns the
// backend, so the Python object is the one thing the engine keeps alive.
class PySipTelephony final : public TelephonyWrapper {
 public:
  explicit PySipTelephony(std::unique_ptr<SipEngineBackend> backend)
      : TelephonyWrapper(&backend->telephony()), backend_(std::move(backend)) {
    std::lock_guard lock(g_sips_mutex);
    g_sips.insert(this);
  }

  ~PySipTelephony() override {
    // The SIP thread may be waiting for the GIL (a listener called through an agent's leg).
    std::optional<py::gil_scoped_release> release;
    if (Py_IsInitialized() && PyGILState_Check()) release.emplace();
    {
      std::lock_guard lock(g_sips_mutex);
      g_sips.erase(this);
    }
    backend_.reset();
  }

  // ~Engine calls this while the engine is still whole: the last moment its agents can be
  // logged in or out safely, whether or not the host called detach().
  void stop() override {
    backend_->detach();
    attached_ = false;
    stopped_ = true;
    TelephonyWrapper::stop();
  }

  void attach(EngineBox& box) {
    if (stopped_) {
      throw Error(ErrorCode::kState,
                  "SipTelephony.attach: its engine was closed and it stopped; build a new one");
    }
    Engine& engine = box.get();
    bool mine = false;
    {
      py::gil_scoped_acquire gil;
      mine = py::isinstance<Telephony>(box.telephony_obj) &&
             box.telephony_obj.cast<Telephony*>() == static_cast<Telephony*>(this);
    }
    if (!mine) {
      throw Error(ErrorCode::kInvalidArgument,
                  "SipTelephony.attach: the engine's telephony is not this SipTelephony");
    }
    if (box.clock && box.clock->is_virtual()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "SipTelephony.attach: SIP calls run in real time: the engine's clock must be "
                  "omnivox.system_clock(), not a VirtualClock");
    }
    backend_->attach(&engine);
    attached_ = true;
  }

  void detach() {
    backend_->detach();
    attached_ = false;
  }

  void connect_agent(AgentId agent, const std::string& uri) {
    require_attached("connect_agent");
    backend_->connect_agent(agent, uri);
  }

  void disconnect_agent(AgentId agent) {
    require_attached("disconnect_agent");
    backend_->disconnect_agent(agent);
  }

  SipTelephony& sip() { return backend_->telephony(); }
  bool attached() const { return attached_; }

 private:
  void require_attached(const char* what) {
    if (!attached_) {
      throw Error(ErrorCode::kState, std::string("SipTelephony.") + what +
                                         ": not attached to an engine (call attach(engine) first)");
    }
  }

  std::unique_ptr<SipEngineBackend> backend_;
  std::atomic<bool> attached_{false};
  std::atomic<bool> stopped_{false};
};

// At interpreter exit an engine never closed is not destroyed, so neither is its telephony: the
// agents' phones and the customers would stay connected until their SIP timers ran out.
void stop_all_sip() {
  py::gil_scoped_release release;
  std::lock_guard lock(g_sips_mutex);
  for (PySipTelephony* s : g_sips) s->stop();
}

}  // namespace

void bind_sip(py::module_& m) {
  using release = py::call_guard<py::gil_scoped_release>;
  // Registered before the package's _stop_all_engines, so it runs after it (atexit is LIFO).
  py::module_::import("atexit").attr("register")(py::cpp_function(&stop_all_sip));

  py::class_<SipStats>(m, "SipStats",
                       "Counters of a SipTelephony since it was built (a snapshot; "
                       "SipTelephony.stats()).")
      .def_readonly("invites_sent", &SipStats::invites_sent)
      .def_readonly("answered", &SipStats::answered,
                    "Customer calls answered (agent legs not counted).")
      .def_readonly("cancels_sent", &SipStats::cancels_sent)
      .def_readonly("byes_sent", &SipStats::byes_sent)
      .def_readonly("byes_received", &SipStats::byes_received)
      .def_readonly("auth_challenges", &SipStats::auth_challenges)
      .def_readonly("queue_overflows", &SipStats::queue_overflows,
                    "Calls failed because they waited over max_queue_wait_s for the CPS limit.")
      .def_readonly("rtp_packets_received", &SipStats::rtp_packets_received)
      .def_readonly("rtp_packets_sent", &SipStats::rtp_packets_sent)
      .def_readonly("bridges", &SipStats::bridges)
      .def_readonly("bridge_delay_us_last", &SipStats::bridge_delay_us_last,
                    "Microseconds from bridge() to the first customer packet relayed to the "
                    "agent, for the latest bridge (0 before any).")
      .def_readonly("bridge_delay_us_max", &SipStats::bridge_delay_us_max,
                    "The largest bridge_delay_us_last seen, microseconds.")
      .def_readonly("verdict_to_relay_us_last", &SipStats::verdict_to_relay_us_last,
                    "Microseconds from the AMD verdict to the first customer packet relayed to "
                    "the agent, for the latest bridged call that ran AMD (0 before any).")
      .def_readonly("calls_now", &SipStats::calls_now, "SIP dialogs open now.")
      .def_readonly("agents_up", &SipStats::agents_up);

  py::class_<PySipTelephony, Telephony, std::shared_ptr<PySipTelephony>>(
      m, "SipTelephony",
      "The SIP backend (docs/sip.md) as a Telephony: pass it to Engine(storage, sip, "
      "system_clock()), then attach(engine) so that an agent's phone leg logs the agent in "
      "(AVAILABLE) while it is up and out (LOGGED_OUT, after its call) when it drops. It serves "
      "one engine and stops when that engine is closed. Trunk credentials come from "
      "OMNIVOX_SIP_USERNAME / OMNIVOX_SIP_PASSWORD.")
      .def(py::init([](const std::string& telephony_json, const std::string& base_dir) {
             std::unique_ptr<SipEngineBackend> backend;
             {
               py::gil_scoped_release release;
               backend =
                   std::make_unique<SipEngineBackend>(telephony_json, base_dir, "SipTelephony");
             }
             return std::make_shared<PySipTelephony>(std::move(backend));
           }),
           py::arg("telephony_json"), py::arg("base_dir") = ".",
           "telephony_json: a campaign file's `telephony` object as JSON text (docs/"
           "campaign-file.md; `trunk` is required, `backend` and `agents` are not used); "
           "base_dir resolves its WAV paths. Binds the SIP socket (`listen`, e.g. "
           "'127.0.0.1:0' for any free port). Raises ConfigError naming the field "
           "('SipTelephony: field 'telephony.trunk': ...') or IoError if the address is taken.")
      .def(
          "attach", [](PySipTelephony& s, EngineBox& engine) { s.attach(engine); },
          py::arg("engine"), release(),
          "Lets the agents' legs log `engine`'s agents in and out; `engine` must be the Engine "
          "built over this SipTelephony, on a system clock (a VirtualClock raises "
          "InvalidArgumentError: SIP runs in real time). Call it before connect_agent().")
      .def("detach", &PySipTelephony::detach, release(),
           "Legs no longer change agent states (a change in progress is waited for). Closing the "
           "engine detaches too.")
      .def_property_readonly("attached", &PySipTelephony::attached,
                             "True between attach() and detach() or the engine's close().")
      .def("connect_agent", &PySipTelephony::connect_agent, py::arg("agent"), py::arg("uri"),
           release(),
           "Calls the agent's phone (uri 'sip:user@host[:port]') and keeps the leg up; the "
           "agent becomes AVAILABLE when it answers. Returns at once (the call goes on on the "
           "SIP thread); a phone already connected is left as it is. Raises "
           "InvalidArgumentError for a URI that is not 'sip:...', NotFoundError for an agent "
           "the engine does not have, StateError when not attached.")
      .def("disconnect_agent", &PySipTelephony::disconnect_agent, py::arg("agent"), release(),
           "Hangs up the agent's leg; the agent is LOGGED_OUT (after its call, if on one). "
           "Returns at once. Same errors as connect_agent().")
      .def(
          "stats", [](PySipTelephony& s) { return s.sip().stats(); }, release(),
          "A snapshot of the SipStats counters.")
      .def_property_readonly(
          "local_port", [](PySipTelephony& s) -> int { return s.sip().local_port(); },
          "The UDP port the SIP socket is bound to (the actual one when `listen` gave port 0).");
}

}  // namespace omnivox::py_bindings
