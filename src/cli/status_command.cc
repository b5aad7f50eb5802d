#include "cli/status_command.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>

#include "omnivox/call_window.h"
#include "omnivox/queue_generator.h"
#include "omnivox/storage.h"
#include "omnivox/storage_url.h"

namespace omnivox::cli {
namespace json = boost::json;

namespace {

json::object campaign_status(Storage& storage, TimeZoneMap& zones, const std::string& id,
                             TimePoint now) {
  std::optional<CampaignConfig> config = storage.get_campaign(id);
  if (!config) throw Error(ErrorCode::kNotFound, "status: unknown campaign '" + id + "'");
  std::vector<std::size_t> by_status = storage.count_by_status(id);
  std::size_t total = 0, final_count = 0;
  json::object statuses;
  for (std::size_t k = 0; k < by_status.size(); ++k) {
    auto status = static_cast<ContactStatus>(k);
    total += by_status[k];
    if (is_final(status)) final_count += by_status[k];
    statuses[to_string(status)] = by_status[k];
  }
  const std::size_t retryable = by_status.at(static_cast<int>(ContactStatus::kRetry)) +
                                by_status.at(static_cast<int>(ContactStatus::kCallback));
  long attempts = 0, open = 0;
  long dispositions[kDispositionCount] = {};
  storage.scan_attempts(id, [&](const Attempt& a) {
    ++attempts;
    if (a.disposition == Disposition::kNone) ++open;
    ++dispositions[static_cast<int>(a.disposition)];
    return true;
  });
  json::object by_disposition;
  for (int k = 1; k < kDispositionCount; ++k) {
    if (dispositions[k]) by_disposition[to_string(static_cast<Disposition>(k))] = dispositions[k];
  }
  QueueGenerator generator(*config, &storage, &zones);
  std::vector<std::size_t> census = generator.census(now);
  json::object not_dialable;
  for (std::size_t k = 1; k < census.size(); ++k) {
    if (census[k]) not_dialable[to_string(static_cast<Ineligibility>(k))] = census[k];
  }
  json::array lists;
  for (const ContactList& list : storage.lists(id)) {
    lists.push_back(json::object{
        {"name", list.name}, {"active", list.active}, {"import_complete", list.import_complete}});
  }
  return json::object{
      {"id", id},
      {"lists", lists},
      {"name", config->name},
      {"dial_mode", to_string(config->dial_mode)},
      {"contacts", json::object{{"total", total},
                                {"final", final_count},
                                {"retryable", retryable},
                                {"new", by_status.at(static_cast<int>(ContactStatus::kNew))},
                                {"by_status", statuses}}},
      {"attempts",
       json::object{{"total", attempts}, {"in_flight", open}, {"by_disposition", by_disposition}}},
      {"dialable_now", census.empty() ? 0 : census[0]},
      {"not_dialable", not_dialable}};
}

void print_text(const json::object& report) {
  std::printf("storage %s (tenant %s) at %s\n", report.at("storage").as_string().c_str(),
              report.at("tenant").as_string().c_str(), report.at("at").as_string().c_str());
  for (const auto& v : report.at("campaigns").as_array()) {
    const json::object& c = v.as_object();
    const json::object& contacts = c.at("contacts").as_object();
    const json::object& attempts = c.at("attempts").as_object();
    std::printf("\ncampaign %s%s — %s\n", c.at("id").as_string().c_str(),
                c.at("name").as_string().empty()
                    ? ""
                    : (" (" + std::string(c.at("name").as_string()) + ")").c_str(),
                c.at("dial_mode").as_string().c_str());
    auto n = [](const json::value& x) { return static_cast<long long>(x.to_number<double>()); };
    for (const json::value& l : c.at("lists").as_array()) {
      const json::object& list = l.as_object();
      std::printf("  %-24s %s%s%s\n", "list", list.at("name").as_string().c_str(),
                  list.at("active").as_bool() ? "" : " (inactive)",
                  list.at("import_complete").as_bool()
                      ? ""
                      : " (import unfinished: omnivox import or run completes it)");
    }
    std::printf("  %-24s %lld\n", "contacts", n(contacts.at("total")));
    std::printf("  %-24s %lld\n", "final", n(contacts.at("final")));
    std::printf("  %-24s %lld\n", "retryable", n(contacts.at("retryable")));
    std::printf("  %-24s %lld\n", "never dialed", n(contacts.at("new")));
    std::printf("  %-24s %lld\n", "attempts", n(attempts.at("total")));
    std::printf("  %-24s %lld\n", "in flight", n(attempts.at("in_flight")));
    for (const auto& [k, count] : attempts.at("by_disposition").as_object()) {
      std::printf("    %-22s %lld\n", std::string(k).c_str(), n(count));
    }
    std::printf("  %-24s %lld\n", "dialable now", n(c.at("dialable_now")));
    const json::object& why = c.at("not_dialable").as_object();
    if (!why.empty()) std::printf("  not dialable now, by first reason\n");
    for (const auto& [k, count] : why) {
      std::printf("    %-22s %lld\n", std::string(k).c_str(), n(count));
    }
  }
}

}  // namespace

int status_command(const StatusArgs& args) {
  StorageOpenOptions options;
  options.tenant = args.tenant;
  // Status only reads: a mistyped path must not leave a new, empty database behind.
  options.create_if_missing = false;
  std::unique_ptr<Storage> storage;
  try {
    storage = open_storage(args.storage_url, options);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    throw Error(ErrorCode::kConfig, std::string(e.what()) + " (check --storage)");
  }
  std::vector<std::string> ids = args.campaigns.empty() ? storage->campaign_ids() : args.campaigns;
  TimeZoneMap zones = TimeZoneMap::load(TimeZoneMap::default_path());
  const TimePoint now = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  json::array campaigns;
  for (const std::string& id : ids) campaigns.push_back(campaign_status(*storage, zones, id, now));
  json::object report{{"storage", mask_storage_url(args.storage_url)},
                      {"tenant", args.tenant},
                      {"at", format_utc(now)},
                      {"campaigns", std::move(campaigns)}};
  if (args.json) {
    std::printf("%s\n", json::serialize(report).c_str());
  } else {
    print_text(report);
    if (ids.empty()) std::printf("\nno campaigns stored for this tenant\n");
  }
  return 0;
}

}  // namespace omnivox::cli
