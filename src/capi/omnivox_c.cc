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

#include "bindings_support/campaign_loading.h"
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
using omnivox::capi::dup_string;
using omnivox::capi::guarded;
using omnivox::capi::HandleKind;
using omnivox::capi::HandleUse;
using omnivox::capi::json_arg;
using omnivox::capi::require;
using omnivox::capi::text_arg;

// A simulation is a campaign on an engine handle of its own (omnivox_simulation_engine()): the
// functions that repeat omnivox_engine_* ones forward to them with the simulation's campaign.
struct omnivox_simulation : omnivox::capi::HandleBase {
  omnivox::CampaignFile file;
  std::string campaign;
  omnivox_engine* engine = nullptr;  // owned; destroy_simulation_engine()
  std::vector<omnivox::AgentId> agents;
  ~omnivox_simulation() { omnivox::capi::destroy_simulation_engine(engine); }
};

namespace {

// Checks and holds the handle for the rest of the calling function.
#define SIM_HANDLE(sim)   \
  HandleUse use_;         \
  omnivox_simulation& s = \
      omnivox::capi::use_handle(sim, HandleKind::kSimulation, "sim", "omnivox_simulation", use_)

// Runs `call` (an omnivox_engine_* call on the simulation's engine handle, returning its status)
// while holding the simulation; its error message is prefixed with `function`, the simulation
// function the host called.
template <typename F>
int on_engine(const char* function, omnivox_simulation* sim, char** errptr, F&& call) {
  int status = OMNIVOX_OK;
  int checked = guarded(function, errptr, [&] {
    SIM_HANDLE(sim);
    status = call(s);
  });
  if (checked != OMNIVOX_OK) return checked;
  if (status != OMNIVOX_OK && errptr != nullptr && *errptr != nullptr) {
    return omnivox::capi::fail(errptr, status, std::string(function) + ": " + *errptr);
  }
  return status;
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
    s->file = omnivox::parse_campaign_json(json, dir, "campaign_json");
    omnivox::bindings_support::load_replay_records(s->file);
    // The records go to the simulator; the handle keeps the rest of the file.
    s->engine = omnivox::capi::new_simulation_engine(s.get(), std::move(s->file.simulation),
                                                     s->file.start, json, dir, &s->campaign);
    for (int i = 0; i < s->file.agents; ++i) {
      omnivox_agent_id id = 0;
      std::string name = "agent-" + std::to_string(i + 1);
      char* err = nullptr;
      int rc = omnivox_engine_add_agent(s->engine, s->campaign.c_str(), name.c_str(), 1, &id, &err);
      if (rc != OMNIVOX_OK) {
        CError e{rc, err != nullptr ? err : "adding agents failed"};
        std::free(err);
        throw e;
      }
      s->agents.push_back(id);
    }
    omnivox::capi::register_handle(s.get(), HandleKind::kSimulation);
    *out = s.release();
  });
}

void omnivox_simulation_destroy(omnivox_simulation* sim) {
  if (sim == nullptr) return;
  {
    // From one of its own callbacks the handle is in use by this very thread: refuse.
    HandleUse use;
    if (!omnivox::capi::acquire_handle(sim, HandleKind::kSimulation)) return;
    use.set(sim);
    if (omnivox::capi::inside_of(sim->engine) != omnivox::capi::Inside::kNothing) return;
  }
  if (!omnivox::capi::unregister_handle(sim, HandleKind::kSimulation)) return;
  omnivox::capi::wait_unused(sim);
  try {
    delete sim;
  } catch (...) {
  }
}

int omnivox_simulation_engine(omnivox_simulation* sim, omnivox_engine** out, char** errptr) {
  if (out != nullptr) *out = nullptr;
  return guarded("omnivox_simulation_engine", errptr, [&] {
    SIM_HANDLE(sim);
    require(out, "out");
    *out = s.engine;
  });
}

int omnivox_simulation_set_callbacks(omnivox_simulation* sim, const omnivox_callbacks* callbacks,
                                     char** errptr) {
  return on_engine("omnivox_simulation_set_callbacks", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_set_callbacks(s.engine, callbacks, errptr);
  });
}

int omnivox_simulation_campaign_id(omnivox_simulation* sim, char** out, char** errptr) {
  return guarded("omnivox_simulation_campaign_id", errptr, [&] {
    SIM_HANDLE(sim);
    require(out, "out");
    char* p = dup_string(s.campaign);
    if (p == nullptr) throw std::bad_alloc();
    *out = p;
  });
}

int omnivox_simulation_import_contacts(omnivox_simulation* sim, const char* csv_path,
                                       omnivox_import_report* report, char** summary,
                                       char** errptr) {
  return on_engine("omnivox_simulation_import_contacts", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_import_contacts(s.engine, s.campaign.c_str(), nullptr, csv_path, report,
                                          summary, errptr);
  });
}

int omnivox_simulation_add_contact(omnivox_simulation* sim, const char* external_id,
                                   const char* const* numbers, size_t number_count,
                                   omnivox_contact_id* out, char** errptr) {
  return on_engine("omnivox_simulation_add_contact", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_add_contact(s.engine, s.campaign.c_str(), external_id, numbers,
                                      number_count, out, errptr);
  });
}

int omnivox_simulation_add_dnc(omnivox_simulation* sim, const char* list, const char* e164,
                               char** errptr) {
  return on_engine("omnivox_simulation_add_dnc", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_add_dnc(s.engine, list, e164, errptr);
  });
}

int omnivox_simulation_add_agent(omnivox_simulation* sim, const char* name, int log_in,
                                 omnivox_agent_id* out, char** errptr) {
  return on_engine("omnivox_simulation_add_agent", sim, errptr, [&](omnivox_simulation& s) {
    s.agents.reserve(s.agents.size() + 1);
    omnivox_agent_id id = 0;
    int rc = omnivox_engine_add_agent(s.engine, s.campaign.c_str(), name, log_in, &id, errptr);
    if (rc != OMNIVOX_OK) return rc;
    s.agents.push_back(id);
    if (out != nullptr) *out = id;
    return rc;
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
  return on_engine("omnivox_simulation_start", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_start_campaign(s.engine, s.campaign.c_str(), errptr);
  });
}

int omnivox_simulation_stop(omnivox_simulation* sim, char** errptr) {
  return on_engine("omnivox_simulation_stop", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_stop_campaign(s.engine, s.campaign.c_str(), errptr);
  });
}

int omnivox_simulation_run_for(omnivox_simulation* sim, int64_t duration_ms, char** errptr) {
  return on_engine("omnivox_simulation_run_for", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_run_for(s.engine, duration_ms, errptr);
  });
}

int omnivox_simulation_run_until_done(omnivox_simulation* sim, int64_t limit_ms, int* finished,
                                      char** errptr) {
  return on_engine("omnivox_simulation_run_until_done", sim, errptr, [&](omnivox_simulation& s) {
    // 0 = the campaign file's limit; a negative one the engine handle refuses.
    int64_t limit = limit_ms == 0 ? s.file.max_duration.count() : limit_ms;
    return omnivox_engine_run_until_done(s.engine, limit, finished, errptr);
  });
}

int omnivox_simulation_now(omnivox_simulation* sim, int64_t* out_ms, char** errptr) {
  return on_engine("omnivox_simulation_now", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_now(s.engine, out_ms, errptr);
  });
}

int omnivox_simulation_set_agent_state(omnivox_simulation* sim, omnivox_agent_id agent, int state,
                                       char** errptr) {
  return on_engine("omnivox_simulation_set_agent_state", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_set_agent_state(s.engine, agent, state, errptr);
  });
}

int omnivox_simulation_agent_state(omnivox_simulation* sim, omnivox_agent_id agent, int* out_state,
                                   char** errptr) {
  return on_engine("omnivox_simulation_agent_state", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_agent_state(s.engine, agent, out_state, errptr);
  });
}

int omnivox_simulation_set_disposition(omnivox_simulation* sim, omnivox_call_id call,
                                       int disposition, int64_t callback_at_ms, char** errptr) {
  return on_engine("omnivox_simulation_set_disposition", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_set_disposition(s.engine, call, disposition, callback_at_ms, errptr);
  });
}

int omnivox_simulation_call_now(omnivox_simulation* sim, omnivox_contact_id contact,
                                omnivox_agent_id agent, omnivox_call_id* out, char** errptr) {
  return on_engine("omnivox_simulation_call_now", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_call_now(s.engine, contact, agent, out, errptr);
  });
}

int omnivox_simulation_statistics(omnivox_simulation* sim, omnivox_statistics* out, char** errptr) {
  return on_engine("omnivox_simulation_statistics", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_statistics(s.engine, s.campaign.c_str(), out, errptr);
  });
}

int omnivox_simulation_agent_statistics(omnivox_simulation* sim, omnivox_agent_statistics** out,
                                        char** errptr) {
  return on_engine("omnivox_simulation_agent_statistics", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_agent_statistics(s.engine, s.campaign.c_str(), out, errptr);
  });
}

int omnivox_simulation_explain(omnivox_simulation* sim, omnivox_contact_id contact,
                               omnivox_eligibility* out, char** detail, char** errptr) {
  return on_engine("omnivox_simulation_explain", sim, errptr, [&](omnivox_simulation& s) {
    return omnivox_engine_explain(s.engine, contact, out, detail, errptr);
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
