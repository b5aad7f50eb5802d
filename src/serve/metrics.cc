#include "serve/metrics.h"

#include <cstdio>
#include <functional>

namespace omnivox::serve {
namespace {

// Label values escaped as the format asks: backslash, double quote and line feed.
std::string escape(std::string_view value) {
  std::string out;
  for (char ch : value) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

std::string number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", x);
  return buffer;
}

class Writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, const std::vector<std::pair<const char*, std::string>>& labels,
              double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i) out_ += ',';
        out_ += labels[i].first;
        out_ += "=\"";
        out_ += escape(labels[i].second);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }
  void histogram(const char* name, const std::string& campaign, const Histogram& h) {
    for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i) {
      sample(std::string(name) + "_bucket",
             {{"campaign", campaign}, {"le", number(Histogram::kBounds[i])}},
             static_cast<double>(h.counts[i]));
    }
    sample(std::string(name) + "_bucket", {{"campaign", campaign}, {"le", "+Inf"}},
           static_cast<double>(h.count));
    sample(std::string(name) + "_sum", {{"campaign", campaign}}, h.sum);
    sample(std::string(name) + "_count", {{"campaign", campaign}}, static_cast<double>(h.count));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string render_metrics(const std::vector<MetricsInput>& campaigns,
                           std::uint64_t storage_errors) {
  Writer w;
  auto each = [&](const std::function<void(const MetricsInput&)>& f) {
    for (const MetricsInput& c : campaigns) f(c);
  };
  w.family("omnivox_attempts_total", "counter",
           "Attempts finished, by campaign and result (the attempt's disposition).");
  each([&](const MetricsInput& c) {
    for (int k = 0; k < kDispositionCount; ++k) {
      if (c.metrics.attempts_by_result[k] == 0) continue;
      w.sample("omnivox_attempts_total",
               {{"campaign", c.campaign_id}, {"result", to_string(static_cast<Disposition>(k))}},
               static_cast<double>(c.metrics.attempts_by_result[k]));
    }
  });
  w.family("omnivox_attempts_launched_total", "counter", "Attempts launched, by campaign.");
  each([&](const MetricsInput& c) {
    w.sample("omnivox_attempts_launched_total", {{"campaign", c.campaign_id}},
             static_cast<double>(c.statistics.attempts));
  });
  w.family("omnivox_calls_active", "gauge", "Calls in flight, by campaign and call state.");
  each([&](const MetricsInput& c) {
    for (int k = 0; k < kCallStateCount; ++k) {
      if (is_terminal(static_cast<CallState>(k))) continue;
      w.sample("omnivox_calls_active",
               {{"campaign", c.campaign_id}, {"state", to_string(static_cast<CallState>(k))}},
               static_cast<double>(c.metrics.calls_by_state[k]));
    }
  });
  w.family("omnivox_agents", "gauge", "Agents, by campaign and agent state.");
  each([&](const MetricsInput& c) {
    for (int k = 0; k < kAgentStateCount; ++k) {
      w.sample("omnivox_agents",
               {{"campaign", c.campaign_id}, {"state", to_string(static_cast<AgentState>(k))}},
               c.statistics.agents_by_state[k]);
    }
  });
  w.family("omnivox_dial_level", "gauge",
           "Attempts in flight per logged-in, non-paused agent, by campaign.");
  each([&](const MetricsInput& c) {
    w.sample("omnivox_dial_level", {{"campaign", c.campaign_id}}, c.statistics.dial_level);
  });
  w.family("omnivox_abandon_ratio", "gauge",
           "Abandoned calls over live answers since the campaign started (0-1), by campaign.");
  each([&](const MetricsInput& c) {
    w.sample("omnivox_abandon_ratio", {{"campaign", c.campaign_id}}, c.statistics.abandon_rate);
  });
  w.family("omnivox_occupancy_ratio", "gauge",
           "Agents' talk and wrap-up time over logged-in time (0-1), by campaign.");
  each([&](const MetricsInput& c) {
    w.sample("omnivox_occupancy_ratio", {{"campaign", c.campaign_id}}, c.statistics.occupancy);
  });
  w.family("omnivox_post_dial_delay_seconds", "histogram",
           "Time from dialing to ringing (or answer), by campaign.");
  each([&](const MetricsInput& c) {
    w.histogram("omnivox_post_dial_delay_seconds", c.campaign_id, c.metrics.post_dial_delay);
  });
  w.family("omnivox_connect_delay_seconds", "histogram",
           "Time from a live answer to its bridge to an agent, by campaign.");
  each([&](const MetricsInput& c) {
    w.histogram("omnivox_connect_delay_seconds", c.campaign_id, c.metrics.connect_delay);
  });
  w.family("omnivox_amd_verdicts_total", "counter",
           "Answering-machine detection verdicts of finished attempts, by campaign and verdict.");
  each([&](const MetricsInput& c) {
    for (int k = 1; k < 5; ++k) {
      w.sample("omnivox_amd_verdicts_total",
               {{"campaign", c.campaign_id}, {"verdict", to_string(static_cast<AmdResult>(k))}},
               static_cast<double>(c.metrics.amd_verdicts[k]));
    }
  });
  w.family("omnivox_leases_held", "gauge",
           "Contact leases held by the campaign's calls in flight, by campaign.");
  each([&](const MetricsInput& c) {
    w.sample("omnivox_leases_held", {{"campaign", c.campaign_id}},
             static_cast<double>(c.calls_in_flight));
  });
  w.family("omnivox_contacts", "gauge", "Contacts of the campaign, by campaign and kind.");
  each([&](const MetricsInput& c) {
    w.sample("omnivox_contacts", {{"campaign", c.campaign_id}, {"kind", "total"}},
             static_cast<double>(c.statistics.contacts_total));
    w.sample("omnivox_contacts", {{"campaign", c.campaign_id}, {"kind", "final"}},
             static_cast<double>(c.statistics.contacts_final));
    w.sample("omnivox_contacts", {{"campaign", c.campaign_id}, {"kind", "queued"}},
             static_cast<double>(c.statistics.dial_queue_size));
  });
  w.family("omnivox_telephony_errors_total", "counter",
           "Attempts that failed in telephony, by campaign and reason.");
  each([&](const MetricsInput& c) {
    for (int k = 1; k < 7; ++k) {
      w.sample("omnivox_telephony_errors_total",
               {{"campaign", c.campaign_id}, {"reason", to_string(static_cast<FailReason>(k))}},
               static_cast<double>(c.metrics.fail_reasons[k]));
    }
  });
  w.family("omnivox_completions_unsaved", "gauge",
           "Finished attempts storage has not taken yet (retried every second), by campaign.");
  each([&](const MetricsInput& c) {
    w.sample("omnivox_completions_unsaved", {{"campaign", c.campaign_id}},
             static_cast<double>(c.statistics.completions_unsaved));
  });
  w.family("omnivox_engine_log_messages_total", "counter",
           "Warnings and errors the campaign's engine logged, by campaign and level.");
  each([&](const MetricsInput& c) {
    w.sample("omnivox_engine_log_messages_total", {{"campaign", c.campaign_id}, {"level", "warn"}},
             static_cast<double>(c.metrics.log_lines[static_cast<int>(LogLevel::kWarn)]));
    w.sample("omnivox_engine_log_messages_total", {{"campaign", c.campaign_id}, {"level", "error"}},
             static_cast<double>(c.metrics.log_lines[static_cast<int>(LogLevel::kError)]));
  });
  w.family("omnivox_storage_errors_total", "counter",
           "Storage failures met while answering API requests and ticking statistics.");
  w.sample("omnivox_storage_errors_total", {}, static_cast<double>(storage_errors));
  return w.take();
}

}  // namespace omnivox::serve
