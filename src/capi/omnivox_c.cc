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

#include "capi/capi_internal.h"
#include "omnivox/config.h"
#include "omnivox/engine.h"
#include "omnivox/erlang.h"
#include "omnivox/event_listener.h"
#include "omnivox/omnivox.h"
#include "omnivox/queue_generator.h"
#include "omnivox/sim.h"
#include "omnivox/types.h"

using omnivox::capi::CError;
using omnivox::capi::check_version;
using omnivox::capi::contact_arg;
using omnivox::capi::dup_string;
using omnivox::capi::e164_arg;
using omnivox::capi::guarded;
using omnivox::capi::HandleKind;
using omnivox::capi::HandleUse;
using omnivox::capi::json_arg;
using omnivox::capi::ms_of;
using omnivox::capi::require;
using omnivox::capi::text_arg;

struct omnivox_simulation : omnivox::capi::HandleBase {
  omnivox::CampaignFile file;
  std::string base_dir;
  std::unique_ptr<omnivox::capi::CListener> listener =
      std::make_unique<omnivox::capi::CListener>(this);
  std::unique_ptr<omnivox::Simulation> sim;
  std::vector<omnivox::AgentId> agents;
  const std::string& campaign() const { return file.campaign.id; }
  omnivox::Engine& engine() { return sim->engine(); }
};

namespace {

// Checks and holds the handle for the rest of the calling function.
#define SIM_HANDLE(sim)   \
  HandleUse use_;         \
  omnivox_simulation& s = \
      omnivox::capi::use_handle(sim, HandleKind::kSimulation, "sim", "omnivox_simulation", use_)

void not_in_callback(omnivox_simulation& s) {
  if (omnivox::capi::inside_of(&s) != omnivox::capi::Inside::kNothing) {
    throw CError{OMNIVOX_ESTATE, "cannot run the simulation from one of its callbacks"};
  }
}

}  // namespace

extern "C" {

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
    std::string json = json_arg(campaign_json, "campaign_json");
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
    omnivox::capi::register_handle(s.get(), HandleKind::kSimulation);
    *out = s.release();
  });
}

void omnivox_simulation_destroy(omnivox_simulation* sim) {
  if (sim == nullptr) return;
  // From one of its own callbacks the handle is in use by this very thread: refuse.
  if (omnivox::capi::inside_of(sim) != omnivox::capi::Inside::kNothing) return;
  if (!omnivox::capi::unregister_handle(sim, HandleKind::kSimulation)) return;
  omnivox::capi::wait_unused(sim);
  try {
    delete sim;
  } catch (...) {
  }
}

int omnivox_simulation_set_callbacks(omnivox_simulation* sim, const omnivox_callbacks* callbacks,
                                     char** errptr) {
  return guarded("omnivox_simulation_set_callbacks", errptr, [&] {
    SIM_HANDLE(sim);
    s.listener->set(callbacks);
  });
}

int omnivox_simulation_campaign_id(omnivox_simulation* sim, char** out, char** errptr) {
  return guarded("omnivox_simulation_campaign_id", errptr, [&] {
    SIM_HANDLE(sim);
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
    SIM_HANDLE(sim);
    std::string path = csv_path != nullptr ? text_arg(csv_path, "csv_path") : s.file.contacts_path;
    if (path.empty()) {
      throw CError{OMNIVOX_EINVALID,
                   "argument 'csv_path' is NULL and the campaign has no 'contacts.file'"};
    }
    omnivox::ImportReport r = s.engine().import_contacts(s.campaign(), "main", path, s.file.import);
    omnivox::capi::to_c(r, report, summary);
  });
}

int omnivox_simulation_add_contact(omnivox_simulation* sim, const char* external_id,
                                   const char* const* numbers, size_t number_count,
                                   omnivox_contact_id* out, char** errptr) {
  return guarded("omnivox_simulation_add_contact", errptr, [&] {
    SIM_HANDLE(sim);
    omnivox::Contact contact = contact_arg(external_id, numbers, number_count);
    omnivox::ContactId id = s.engine().add_contact(s.campaign(), std::move(contact));
    if (out != nullptr) *out = id;
  });
}

int omnivox_simulation_add_dnc(omnivox_simulation* sim, const char* list, const char* e164,
                               char** errptr) {
  return guarded("omnivox_simulation_add_dnc", errptr, [&] {
    SIM_HANDLE(sim);
    std::string l = text_arg(list, "list");
    std::string n = e164_arg(e164, "e164");
    if (l.empty()) throw CError{OMNIVOX_EINVALID, "argument 'list' is empty"};
    s.engine().add_dnc(l, n);
  });
}

int omnivox_simulation_add_agent(omnivox_simulation* sim, const char* name, int log_in,
                                 omnivox_agent_id* out, char** errptr) {
  return guarded("omnivox_simulation_add_agent", errptr, [&] {
    SIM_HANDLE(sim);
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
    SIM_HANDLE(sim);
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
    SIM_HANDLE(sim);
    s.engine().start_campaign(s.campaign());
  });
}

int omnivox_simulation_stop(omnivox_simulation* sim, char** errptr) {
  return guarded("omnivox_simulation_stop", errptr, [&] {
    SIM_HANDLE(sim);
    s.engine().stop_campaign(s.campaign());
  });
}

int omnivox_simulation_run_for(omnivox_simulation* sim, int64_t duration_ms, char** errptr) {
  return guarded("omnivox_simulation_run_for", errptr, [&] {
    SIM_HANDLE(sim);
    not_in_callback(s);
    s.engine().run_for(omnivox::Duration(duration_ms));
  });
}

int omnivox_simulation_run_until_done(omnivox_simulation* sim, int64_t limit_ms, int* finished,
                                      char** errptr) {
  return guarded("omnivox_simulation_run_until_done", errptr, [&] {
    SIM_HANDLE(sim);
    not_in_callback(s);
    omnivox::Duration limit = limit_ms == 0 ? s.file.max_duration : omnivox::Duration(limit_ms);
    bool done = s.engine().run_until_done(limit);
    if (finished != nullptr) *finished = done ? 1 : 0;
  });
}

int omnivox_simulation_now(omnivox_simulation* sim, int64_t* out_ms, char** errptr) {
  return guarded("omnivox_simulation_now", errptr, [&] {
    SIM_HANDLE(sim);
    require(out_ms, "out_ms");
    *out_ms = ms_of(s.sim->clock().now());
  });
}

int omnivox_simulation_set_agent_state(omnivox_simulation* sim, omnivox_agent_id agent, int state,
                                       char** errptr) {
  return guarded("omnivox_simulation_set_agent_state", errptr, [&] {
    SIM_HANDLE(sim);
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
    SIM_HANDLE(sim);
    require(out_state, "out_state");
    *out_state = static_cast<int>(s.engine().agent_state(agent));
  });
}

int omnivox_simulation_set_disposition(omnivox_simulation* sim, omnivox_call_id call,
                                       int disposition, int64_t callback_at_ms, char** errptr) {
  return guarded("omnivox_simulation_set_disposition", errptr, [&] {
    SIM_HANDLE(sim);
    if (disposition < OMNIVOX_DISPOSITION_SALE || disposition > OMNIVOX_DISPOSITION_COMPLETED) {
      throw CError{OMNIVOX_EINVALID, "argument 'disposition' (" + std::to_string(disposition) +
                                         ") is not an agent disposition (SALE .. COMPLETED)"};
    }
    std::optional<omnivox::TimePoint> at;  // 0: none; a negative one the engine refuses
    if (callback_at_ms != 0) at = omnivox::TimePoint(omnivox::Duration(callback_at_ms));
    if (disposition == OMNIVOX_DISPOSITION_CALLBACK && !at) {
      throw CError{OMNIVOX_EINVALID, "argument 'callback_at_ms' is required for CALLBACK"};
    }
    s.engine().set_disposition(call, static_cast<omnivox::Disposition>(disposition), at);
  });
}

int omnivox_simulation_call_now(omnivox_simulation* sim, omnivox_contact_id contact,
                                omnivox_agent_id agent, omnivox_call_id* out, char** errptr) {
  return guarded("omnivox_simulation_call_now", errptr, [&] {
    SIM_HANDLE(sim);
    omnivox::CallId id = s.engine().call_now(contact, agent);
    if (out != nullptr) *out = id;
  });
}

int omnivox_simulation_statistics(omnivox_simulation* sim, omnivox_statistics* out, char** errptr) {
  return guarded("omnivox_simulation_statistics", errptr, [&] {
    SIM_HANDLE(sim);
    require(out, "out");
    omnivox::capi::to_c(s.engine().statistics(s.campaign()), out);
  });
}

int omnivox_simulation_agent_statistics(omnivox_simulation* sim, omnivox_agent_statistics** out,
                                        char** errptr) {
  return guarded("omnivox_simulation_agent_statistics", errptr, [&] {
    SIM_HANDLE(sim);
    require(out, "out");
    *out = omnivox::capi::new_agent_statistics(s.engine().agent_statistics(s.campaign()));
  });
}

int omnivox_simulation_explain(omnivox_simulation* sim, omnivox_contact_id contact,
                               omnivox_eligibility* out, char** detail, char** errptr) {
  return guarded("omnivox_simulation_explain", errptr, [&] {
    SIM_HANDLE(sim);
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
    check_version(input->version, OMNIVOX_ERLANG_C_INPUT_VERSION, "omnivox_erlang_c_input");
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
