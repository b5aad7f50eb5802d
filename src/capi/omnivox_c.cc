// The C API (include/omnivox/omnivox.h) over the C++ API. Every entry point catches every
// exception and maps it to a status code and a malloc'ed message.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/erlang.h"
#include "omnivox/event_listener.h"
#include "omnivox/omnivox.h"
#include "omnivox/queue_generator.h"
#include "omnivox/sim.h"
#include "omnivox/types.h"

namespace {

using omnivox::Error;
using omnivox::ErrorCode;

// A failure detected by the C layer itself (argument checks).
struct CError {
  int status;
  std::string message;
};

char* dup_string(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) return nullptr;
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

// Stores a message in *errptr (freeing an earlier one) and returns the status.
int fail(char** errptr, int status, std::string_view message) noexcept {
  if (errptr != nullptr) {
    std::free(*errptr);
    *errptr = nullptr;
    try {
      *errptr = dup_string(message);
    } catch (...) {
    }
  }
  return status;
}

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return OMNIVOX_EINVALID;
    case ErrorCode::kConfig:
      return OMNIVOX_ECONFIG;
    case ErrorCode::kNotFound:
      return OMNIVOX_ENOTFOUND;
    case ErrorCode::kIo:
      return OMNIVOX_EIO;
    case ErrorCode::kStorage:
      return OMNIVOX_ESTORAGE;
    case ErrorCode::kState:
      return OMNIVOX_ESTATE;
  }
  return OMNIVOX_EINTERNAL;
}

// Runs `body` (returning nothing; it throws on failure) and maps exceptions to statuses.
template <typename F>
int guarded(const char* function, char** errptr, F&& body) noexcept {
  try {
    body();
    return OMNIVOX_OK;
  } catch (const CError& e) {
    return fail(errptr, e.status, std::string(function) + ": " + e.message);
  } catch (const Error& e) {
    return fail(errptr, status_of(e.code()), std::string(function) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return fail(errptr, OMNIVOX_EINTERNAL, "out of memory");
  } catch (const std::exception& e) {
    try {
      return fail(errptr, OMNIVOX_EINTERNAL,
                  std::string(function) + ": internal error: " + e.what());
    } catch (...) {
      return fail(errptr, OMNIVOX_EINTERNAL, "internal error");
    }
  } catch (...) {
    return fail(errptr, OMNIVOX_EINTERNAL, "internal error (unknown exception)");
  }
}

bool valid_utf8(const char* s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  while (*p != 0) {
    unsigned c = *p;
    int extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++p;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    ++p;
    for (int i = 0; i < extra; ++i, ++p) {
      if ((*p & 0xC0) != 0x80) return false;  // also stops at the NUL
      cp = (cp << 6) | (*p & 0x3F);
    }
    // Overlong forms, surrogates and values above U+10FFFF.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
  }
  return true;
}

void require(const void* p, const char* name) {
  if (p == nullptr) throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is NULL"};
}

std::string text_arg(const char* s, const char* name) {
  require(s, name);
  if (!valid_utf8(s)) {
    throw CError{OMNIVOX_EINVALID, std::string("argument '") + name + "' is not valid UTF-8"};
  }
  return std::string(s);
}

std::int64_t ms_of(omnivox::TimePoint t) { return t.time_since_epoch().count(); }

// Forwards engine events to the C callbacks.
class CListener final : public omnivox::EventListener {
 public:
  omnivox_callbacks callbacks{};
  bool in_callback = false;

  void on_call_state(const omnivox::CallStateChange& c) override {
    if (callbacks.on_call_state == nullptr) return;
    omnivox_call_state_event e{};
    e.at_ms = ms_of(c.at);
    e.campaign_id = c.campaign_id.c_str();
    e.call_id = c.call_id;
    e.contact_id = c.contact_id;
    e.from = static_cast<int>(c.from);
    e.to = static_cast<int>(c.to);
    e.agent = c.agent;
    Scope s(this);
    callbacks.on_call_state(callbacks.user_data, &e);
  }
  void on_agent_state(const omnivox::AgentStateChange& c) override {
    if (callbacks.on_agent_state == nullptr) return;
    omnivox_agent_state_event e{};
    e.at_ms = ms_of(c.at);
    e.campaign_id = c.campaign_id.c_str();
    e.agent = c.agent;
    e.from = static_cast<int>(c.from);
    e.to = static_cast<int>(c.to);
    e.call_id = c.call_id;
    Scope s(this);
    callbacks.on_agent_state(callbacks.user_data, &e);
  }
  void on_pacing_decision(const omnivox::PacingDecision& d) override {
    if (callbacks.on_pacing_decision == nullptr) return;
    omnivox_pacing_event e{};
    e.at_ms = ms_of(d.at);
    e.campaign_id = d.campaign_id.c_str();
    e.policy = d.policy.c_str();
    e.agents_idle = d.agents_idle;
    e.agents_busy = d.agents_busy;
    e.calls_pending = d.calls_pending;
    e.requested = d.requested;
    e.allowed = d.allowed;
    e.launched = d.launched;
    Scope s(this);
    callbacks.on_pacing_decision(callbacks.user_data, &e);
  }
  void on_attempt_finished(const omnivox::Attempt& a) override {
    if (callbacks.on_attempt_finished == nullptr) return;
    omnivox_attempt_event e{};
    e.call_id = a.call_id;
    e.contact_id = a.contact_id;
    e.campaign_id = a.campaign_id.c_str();
    e.number = a.number.c_str();
    e.attempt_number = a.attempt_number;
    e.state = static_cast<int>(a.state);
    e.disposition = static_cast<int>(a.disposition);
    e.agent = a.agent;
    e.created_at_ms = ms_of(a.created_at);
    e.answered_at_ms = ms_of(a.answered_at);
    e.bridged_at_ms = ms_of(a.bridged_at);
    e.ended_at_ms = ms_of(a.ended_at);
    Scope s(this);
    callbacks.on_attempt_finished(callbacks.user_data, &e);
  }

 private:
  struct Scope {
    explicit Scope(CListener* l) : l_(l), was_(l->in_callback) { l_->in_callback = true; }
    ~Scope() { l_->in_callback = was_; }
    CListener* l_;
    bool was_;
  };
};

}  // namespace

struct omnivox_simulation {
  omnivox::CampaignFile file;
  std::string base_dir;
  std::unique_ptr<CListener> listener = std::make_unique<CListener>();
  std::unique_ptr<omnivox::Simulation> sim;
  std::vector<omnivox::AgentId> agents;
  const std::string& campaign() const { return file.campaign.id; }
  omnivox::Engine& engine() { return sim->engine(); }
};

namespace {

omnivox_simulation& handle(omnivox_simulation* sim) {
  require(sim, "sim");
  return *sim;
}

void not_in_callback(omnivox_simulation& s) {
  if (s.listener->in_callback) {
    throw CError{OMNIVOX_ESTATE, "cannot run the simulation from one of its callbacks"};
  }
}

}  // namespace

extern "C" {

const char* omnivox_status_name(int status) {
  switch (status) {
    case OMNIVOX_OK:
      return "OK";
    case OMNIVOX_EINVALID:
      return "EINVALID";
    case OMNIVOX_ECONFIG:
      return "ECONFIG";
    case OMNIVOX_ENOTFOUND:
      return "ENOTFOUND";
    case OMNIVOX_EIO:
      return "EIO";
    case OMNIVOX_ESTORAGE:
      return "ESTORAGE";
    case OMNIVOX_ESTATE:
      return "ESTATE";
    case OMNIVOX_EINTERNAL:
      return "EINTERNAL";
    default:
      return "UNKNOWN";
  }
}

void omnivox_free(void* ptr) { std::free(ptr); }

const char* omnivox_agent_state_name(int state) {
  if (state < 0 || state >= OMNIVOX_AGENT_STATE_COUNT) return "UNKNOWN";
  return omnivox::to_string(static_cast<omnivox::AgentState>(state));
}
const char* omnivox_call_state_name(int state) {
  if (state < 0 || state >= OMNIVOX_CALL_STATE_COUNT) return "UNKNOWN";
  return omnivox::to_string(static_cast<omnivox::CallState>(state));
}
const char* omnivox_disposition_name(int disposition) {
  if (disposition < 0 || disposition >= OMNIVOX_DISPOSITION_COUNT) return "UNKNOWN";
  return omnivox::to_string(static_cast<omnivox::Disposition>(disposition));
}
const char* omnivox_ineligibility_name(int reason) {
  if (reason < 0 || reason >= OMNIVOX_INELIGIBILITY_COUNT) return "UNKNOWN";
  return omnivox::to_string(static_cast<omnivox::Ineligibility>(reason));
}

int omnivox_simulation_create(const char* campaign_json, const char* base_dir,
                              omnivox_simulation** out, char** errptr) {
  if (out != nullptr) *out = nullptr;
  return guarded("omnivox_simulation_create", errptr, [&] {
    std::string json = text_arg(campaign_json, "campaign_json");
    std::string dir = base_dir == nullptr ? std::string(".") : text_arg(base_dir, "base_dir");
    require(out, "out");
    auto s = std::make_unique<omnivox_simulation>();
    s->base_dir = dir;
    s->file = omnivox::parse_campaign_json(json, dir, "campaign_json");
    if (s->file.simulation.replay) {
      if (s->file.replay_path.empty()) {
        throw CError{OMNIVOX_ECONFIG, "replay world without a replay file"};
      }
      omnivox::ReplayWorld replay = omnivox::ReplayWorld::load_bank_csv(s->file.replay_path);
      s->file.simulation.replay->records = std::move(replay.records);
    }
    s->sim = std::make_unique<omnivox::Simulation>(
        s->file.simulation, s->file.start, omnivox::Simulation::quiet_engine_options(),
        omnivox::MemoryStorageOptions{/*keep_journal=*/false}, s->listener.get());
    s->engine().add_campaign(s->file.campaign);
    s->agents = s->sim->add_agents(s->file.campaign.id, s->file.agents, /*log_in=*/true);
    *out = s.release();
  });
}

void omnivox_simulation_destroy(omnivox_simulation* sim) {
  try {
    delete sim;
  } catch (...) {
  }
}

int omnivox_simulation_set_callbacks(omnivox_simulation* sim, const omnivox_callbacks* callbacks,
                                     char** errptr) {
  return guarded("omnivox_simulation_set_callbacks", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    s.listener->callbacks = callbacks != nullptr ? *callbacks : omnivox_callbacks{};
  });
}

int omnivox_simulation_campaign_id(omnivox_simulation* sim, char** out, char** errptr) {
  return guarded("omnivox_simulation_campaign_id", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    require(out, "out");
    char* p = dup_string(s.campaign());
    if (p == nullptr) throw std::bad_alloc();
    *out = p;
  });
}

int omnivox_simulation_import_contacts(omnivox_simulation* sim, const char* csv_path,
                                       omnivox_import_report* report, char** summary,
                                       char** errptr) {
  return guarded("omnivox_simulation_import_contacts", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    std::string path = csv_path != nullptr ? text_arg(csv_path, "csv_path") : s.file.contacts_path;
    if (path.empty()) {
      throw CError{OMNIVOX_EINVALID,
                   "argument 'csv_path' is NULL and the campaign has no 'contacts.file'"};
    }
    omnivox::ImportReport r = s.engine().import_contacts(s.campaign(), "main", path, s.file.import);
    char* text = nullptr;
    if (summary != nullptr) {
      text = dup_string(r.summary(10));
      if (text == nullptr) throw std::bad_alloc();
    }
    if (report != nullptr) {
      report->rows_read = r.rows_read;
      report->rows_loaded = r.rows_loaded;
      report->rows_rejected = r.rows_rejected;
    }
    if (summary != nullptr) *summary = text;
  });
}

int omnivox_simulation_add_contact(omnivox_simulation* sim, const char* external_id,
                                   const char* const* numbers, size_t number_count,
                                   omnivox_contact_id* out, char** errptr) {
  return guarded("omnivox_simulation_add_contact", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    omnivox::Contact contact;
    if (external_id != nullptr) contact.external_id = text_arg(external_id, "external_id");
    require(numbers, "numbers");
    if (number_count == 0) throw CError{OMNIVOX_EINVALID, "argument 'number_count' is 0"};
    for (size_t i = 0; i < number_count; ++i) {
      std::string name = "numbers[" + std::to_string(i) + "]";
      omnivox::PhoneNumber n;
      n.e164 = text_arg(numbers[i], name.c_str());
      contact.numbers.push_back(std::move(n));
    }
    omnivox::ContactId id = s.engine().add_contact(s.campaign(), std::move(contact));
    if (out != nullptr) *out = id;
  });
}

int omnivox_simulation_add_dnc(omnivox_simulation* sim, const char* list, const char* e164,
                               char** errptr) {
  return guarded("omnivox_simulation_add_dnc", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    std::string l = text_arg(list, "list");
    std::string n = text_arg(e164, "e164");
    if (l.empty()) throw CError{OMNIVOX_EINVALID, "argument 'list' is empty"};
    if (n.size() < 2 || n[0] != '+') {
      throw CError{OMNIVOX_EINVALID, "argument 'e164' ('" + n + "') is not an E.164 number"};
    }
    s.engine().add_dnc(l, n);
  });
}

int omnivox_simulation_add_agent(omnivox_simulation* sim, const char* name, int log_in,
                                 omnivox_agent_id* out, char** errptr) {
  return guarded("omnivox_simulation_add_agent", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    std::string n = text_arg(name, "name");
    s.agents.reserve(s.agents.size() + 1);
    omnivox::AgentId id = s.engine().add_agent(s.campaign(), n);
    s.agents.push_back(id);
    if (log_in) s.engine().set_agent_state(id, omnivox::AgentState::kAvailable);
    if (out != nullptr) *out = id;
  });
}

int omnivox_simulation_agents(omnivox_simulation* sim, omnivox_agent_id** out, size_t* count,
                              char** errptr) {
  return guarded("omnivox_simulation_agents", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    require(out, "out");
    require(count, "count");
    omnivox_agent_id* ids = nullptr;
    if (!s.agents.empty()) {
      ids = static_cast<omnivox_agent_id*>(std::malloc(s.agents.size() * sizeof(omnivox_agent_id)));
      if (ids == nullptr) throw std::bad_alloc();
      for (size_t i = 0; i < s.agents.size(); ++i) ids[i] = s.agents[i];
    }
    *out = ids;
    *count = s.agents.size();
  });
}

int omnivox_simulation_start(omnivox_simulation* sim, char** errptr) {
  return guarded("omnivox_simulation_start", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    s.engine().start_campaign(s.campaign());
  });
}

int omnivox_simulation_stop(omnivox_simulation* sim, char** errptr) {
  return guarded("omnivox_simulation_stop", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    s.engine().stop_campaign(s.campaign());
  });
}

int omnivox_simulation_run_for(omnivox_simulation* sim, int64_t duration_ms, char** errptr) {
  return guarded("omnivox_simulation_run_for", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    if (duration_ms < 0) throw CError{OMNIVOX_EINVALID, "argument 'duration_ms' is negative"};
    not_in_callback(s);
    s.engine().run_for(omnivox::Duration(duration_ms));
  });
}

int omnivox_simulation_run_until_done(omnivox_simulation* sim, int64_t limit_ms, int* finished,
                                      char** errptr) {
  return guarded("omnivox_simulation_run_until_done", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    if (limit_ms < 0) throw CError{OMNIVOX_EINVALID, "argument 'limit_ms' is negative"};
    not_in_callback(s);
    omnivox::Duration limit = limit_ms == 0 ? s.file.max_duration : omnivox::Duration(limit_ms);
    bool done = s.engine().run_until_done(limit);
    if (finished != nullptr) *finished = done ? 1 : 0;
  });
}

int omnivox_simulation_now(omnivox_simulation* sim, int64_t* out_ms, char** errptr) {
  return guarded("omnivox_simulation_now", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    require(out_ms, "out_ms");
    *out_ms = ms_of(s.sim->clock().now());
  });
}

int omnivox_simulation_set_agent_state(omnivox_simulation* sim, omnivox_agent_id agent, int state,
                                       char** errptr) {
  return guarded("omnivox_simulation_set_agent_state", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    if (state != OMNIVOX_AGENT_LOGGED_OUT && state != OMNIVOX_AGENT_AVAILABLE &&
        state != OMNIVOX_AGENT_PAUSED) {
      throw CError{OMNIVOX_EINVALID, "argument 'state' (" + std::to_string(state) +
                                         ") is not LOGGED_OUT, AVAILABLE or PAUSED"};
    }
    s.engine().set_agent_state(agent, static_cast<omnivox::AgentState>(state));
  });
}

int omnivox_simulation_agent_state(omnivox_simulation* sim, omnivox_agent_id agent, int* out_state,
                                   char** errptr) {
  return guarded("omnivox_simulation_agent_state", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    require(out_state, "out_state");
    *out_state = static_cast<int>(s.engine().agent_state(agent));
  });
}

int omnivox_simulation_set_disposition(omnivox_simulation* sim, omnivox_call_id call,
                                       int disposition, int64_t callback_at_ms, char** errptr) {
  return guarded("omnivox_simulation_set_disposition", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    if (disposition < OMNIVOX_DISPOSITION_SALE || disposition > OMNIVOX_DISPOSITION_COMPLETED) {
      throw CError{OMNIVOX_EINVALID, "argument 'disposition' (" + std::to_string(disposition) +
                                         ") is not an agent disposition (SALE .. COMPLETED)"};
    }
    if (callback_at_ms < 0) throw CError{OMNIVOX_EINVALID, "argument 'callback_at_ms' is negative"};
    std::optional<omnivox::TimePoint> at;
    if (callback_at_ms > 0) at = omnivox::TimePoint(omnivox::Duration(callback_at_ms));
    if (disposition == OMNIVOX_DISPOSITION_CALLBACK && !at) {
      throw CError{OMNIVOX_EINVALID, "argument 'callback_at_ms' is required for CALLBACK"};
    }
    s.engine().set_disposition(call, static_cast<omnivox::Disposition>(disposition), at);
  });
}

int omnivox_simulation_call_now(omnivox_simulation* sim, omnivox_contact_id contact,
                                omnivox_agent_id agent, omnivox_call_id* out, char** errptr) {
  return guarded("omnivox_simulation_call_now", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    omnivox::CallId id = s.engine().call_now(contact, agent);
    if (out != nullptr) *out = id;
  });
}

int omnivox_simulation_statistics(omnivox_simulation* sim, omnivox_statistics* out, char** errptr) {
  return guarded("omnivox_simulation_statistics", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    require(out, "out");
    omnivox::CampaignStatistics st = s.engine().statistics(s.campaign());
    omnivox_statistics r{};
    r.at_ms = ms_of(st.at);
    r.attempts = st.attempts;
    r.attempts_in_flight = st.attempts_in_flight;
    r.live_answers = st.live_answers;
    r.machines = st.machines;
    r.abandons = st.abandons;
    r.connects = st.connects;
    r.abandon_rate = st.abandon_rate;
    r.occupancy = st.occupancy;
    r.dial_level = st.dial_level;
    r.talk_seconds = st.talk_seconds;
    r.wrap_seconds = st.wrap_seconds;
    r.logged_in_seconds = st.logged_in_seconds;
    r.contacts_total = st.contacts_total;
    r.contacts_final = st.contacts_final;
    r.dial_queue_size = st.dial_queue_size;
    static_assert(OMNIVOX_AGENT_STATE_COUNT == omnivox::kAgentStateCount);
    static_assert(OMNIVOX_DISPOSITION_COUNT == omnivox::kDispositionCount);
    for (int i = 0; i < OMNIVOX_AGENT_STATE_COUNT; ++i)
      r.agents_by_state[i] = st.agents_by_state[i];
    for (int i = 0; i < OMNIVOX_DISPOSITION_COUNT; ++i) r.dispositions[i] = st.dispositions[i];
    *out = r;
  });
}

int omnivox_simulation_explain(omnivox_simulation* sim, omnivox_contact_id contact,
                               omnivox_eligibility* out, char** detail, char** errptr) {
  return guarded("omnivox_simulation_explain", errptr, [&] {
    omnivox_simulation& s = handle(sim);
    require(out, "out");
    omnivox::EligibilityReport rep = s.engine().explain(contact);
    char* text = nullptr;
    if (detail != nullptr) {
      text = dup_string(rep.detail);
      if (text == nullptr) throw std::bad_alloc();
    }
    static_assert(OMNIVOX_INELIGIBILITY_COUNT == omnivox::kIneligibilityCount);
    out->reason = static_cast<int>(rep.reason);
    out->eligible_at_ms = rep.eligible_at ? ms_of(*rep.eligible_at) : 0;
    if (detail != nullptr) *detail = text;
  });
}

int omnivox_erlang_b(int lines, double traffic_erlangs, omnivox_erlang_b_result* out,
                     char** errptr) {
  return guarded("omnivox_erlang_b", errptr, [&] {
    require(out, "out");
    double b = omnivox::erlang_b(lines, traffic_erlangs);
    out->blocking = b;
    out->carried_traffic_erlangs = traffic_erlangs * (1.0 - b);
  });
}

int omnivox_erlang_c(const omnivox_erlang_c_input* input, omnivox_erlang_c_result* out,
                     char** errptr) {
  return guarded("omnivox_erlang_c", errptr, [&] {
    require(input, "input");
    require(out, "out");
    omnivox::ErlangCResult r = omnivox::erlang_c(input->calls, input->interval_s, input->aht_s,
                                                 input->agents, input->answer_within_s);
    out->traffic_erlangs = r.traffic_erlangs;
    out->p_wait = r.p_wait;
    out->service_level = r.service_level;
    out->asa_s = r.asa_s;
    out->mean_wait_of_waiting_s = r.mean_wait_of_waiting_s;
    out->occupancy = r.occupancy;
  });
}

}  // extern "C"
