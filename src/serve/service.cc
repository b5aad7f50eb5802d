#include "serve/service.h"

#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/input_checks.h"
#include "omnivox/sim.h"
#include "omnivox/storage_url.h"
#include "serve/assets.h"
#include "serve/metrics.h"
#include "serve/records.h"

namespace omnivox::serve {
namespace json = boost::json;

struct Service::Tenant {
  std::string name;
  std::unique_ptr<Storage> storage;
  std::shared_ptr<EventJournal> journal;
  std::mutex mutex;  // guards campaigns
  std::map<std::string, std::shared_ptr<CampaignRuntime>> campaigns;
  std::atomic<std::uint64_t> storage_errors{0};

  std::vector<std::shared_ptr<CampaignRuntime>> all() {
    std::lock_guard lock(mutex);
    std::vector<std::shared_ptr<CampaignRuntime>> out;
    for (auto& [id, rt] : campaigns) out.push_back(rt);
    return out;
  }
};

namespace {

// A refusal: the status, a stable code, the field or parameter at fault, and why.
struct ApiError {
  int status;
  std::string code;
  std::string field;
  std::string message;
};

[[noreturn]] void fail(int status, std::string code, std::string field, std::string message) {
  throw ApiError{status, std::move(code), std::move(field), std::move(message)};
}

// Boost.JSON writes a string's bytes as they are, and text echoed from a request (a CSV header,
// a row, a path segment) need not be UTF-8; a body must stay valid JSON (RFC 8259 section 8.1),
// so each byte that starts no valid sequence becomes U+FFFD.
std::string with_valid_utf8(std::string text) {
  std::string_view rest = text;
  std::size_t valid = detail::utf8_valid_prefix(rest);
  if (valid == rest.size()) return text;
  std::string out;
  out.reserve(text.size() + 16);
  for (;;) {
    out.append(rest.substr(0, valid));
    if (valid == rest.size()) break;
    out += "\xEF\xBF\xBD";
    rest.remove_prefix(valid + 1);
    valid = detail::utf8_valid_prefix(rest);
  }
  return out;
}

Response json_response(int status, const json::value& v) {
  Response r;
  r.status = status;
  r.body = with_valid_utf8(json::serialize(v));
  r.body += '\n';
  return r;
}

Response error_response(const ApiError& e) {
  json::object error{{"code", e.code}, {"message", e.message}};
  error["field"] = e.field.empty() ? json::value(nullptr) : json::value(e.field);
  Response r = json_response(e.status, json::object{{"error", error}});
  if (e.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"omnivox\"");
  return r;
}

// The field an omnivox::Error message names ("...: field 'x': ..."), if any.
std::string field_of(const std::string& message) {
  static const std::regex field(R"(field '([^']{1,200})')");
  std::smatch m;
  if (message.size() < 4096 && std::regex_search(message, m, field)) return m[1];
  return std::string();
}

ApiError from_error(const Error& e) {
  std::string message = e.what();
  switch (e.code()) {
    case ErrorCode::kNotFound:
      return {404, "not_found", field_of(message), message};
    case ErrorCode::kInvalidArgument:
      return {400, "invalid_argument", field_of(message), message};
    case ErrorCode::kConfig:
      return {400, "invalid_config", field_of(message), message};
    case ErrorCode::kState:
      return {409, "conflict", field_of(message), message};
    case ErrorCode::kStorage:
      return {503, "storage_unavailable", "", message};
    case ErrorCode::kIo:
      return {500, "io_error", "", message};
  }
  return {500, "internal", "", message};
}

struct Route;

struct Ctx {
  const Request& req;
  const ServiceOptions& options;
  ServeStore* store;
  std::shared_ptr<Service::Tenant> tenant;
  std::map<std::string, std::string> path;
  std::map<std::string, std::string> query;
};

using Handler = Response (*)(Ctx&);

struct Route {
  RouteInfo info;
  Handler handler;
};

// ---- reading requests ----

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string content_type(const Request& req) {
  std::string type = lower(req.header("Content-Type"));
  if (auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

json::object body_object(Ctx& c) {
  if (content_type(c.req) != "application/json") {
    fail(415, "unsupported_media_type", "Content-Type", "expected application/json");
  }
  if (c.req.body.size() > c.options.max_json_bytes) {
    fail(413, "body_too_large", "",
         "a JSON body is at most " + std::to_string(c.options.max_json_bytes) + " bytes");
  }
  boost::system::error_code ec;
  json::parse_options po;
  po.max_depth = 32;
  json::value v = json::parse(c.req.body, ec, {}, po);
  if (ec) fail(400, "invalid_json", "", "the body is not JSON: " + ec.message());
  if (!v.is_object()) fail(400, "invalid_json", "", "the body must be a JSON object");
  return std::move(v.as_object());
}

const json::value* member(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

std::optional<std::string> opt_string(const json::object& o, std::string_view name) {
  const json::value* v = member(o, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(400, "invalid_field", std::string(name), "must be a string");
  return std::string(v->as_string());
}

std::string req_string(const json::object& o, std::string_view name) {
  auto s = opt_string(o, name);
  if (!s) fail(400, "missing_field", std::string(name), "is required");
  return *s;
}

std::optional<std::int64_t> opt_int(const json::object& o, std::string_view name, std::int64_t lo,
                                    std::int64_t hi) {
  const json::value* v = member(o, name);
  if (!v) return std::nullopt;
  std::int64_t x = 0;
  if (v->is_int64()) {
    x = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(hi)) {
    x = static_cast<std::int64_t>(v->as_uint64());
  } else {
    fail(400, "invalid_field", std::string(name), "must be a whole number");
  }
  if (x < lo || x > hi) {
    fail(400, "invalid_field", std::string(name),
         "must be from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return x;
}

std::optional<std::string> query(Ctx& c, const std::string& name) {
  auto it = c.query.find(name);
  if (it == c.query.end()) return std::nullopt;
  return it->second;
}

std::int64_t parse_integer(const std::string& text, const std::string& field, std::int64_t lo,
                           std::int64_t hi) {
  std::int64_t x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || end != text.data() + text.size() || x < lo || x > hi) {
    fail(400, "invalid_parameter", field,
         "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return x;
}

TimePoint parse_time(const std::string& text, const std::string& field) {
  try {
    return parse_utc(text);
  } catch (const std::exception&) {
    fail(400, "invalid_time", field, "expected ISO 8601 UTC, e.g. 2026-05-04T08:00:00Z");
  }
}

bool is_e164(std::string_view s) {
  if (s.size() < 3 || s.size() > 16 || s[0] != '+' || s[1] == '0') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

bool is_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
  });
}

// ---- campaigns ----

std::shared_ptr<CampaignRuntime> campaign(Ctx& c, const std::string& id) {
  std::lock_guard lock(c.tenant->mutex);
  auto it = c.tenant->campaigns.find(id);
  if (it == c.tenant->campaigns.end()) {
    fail(404, "campaign_not_found", "id", "no campaign '" + id + "'");
  }
  return it->second;
}

std::shared_ptr<CampaignRuntime> campaign(Ctx& c) { return campaign(c, c.path.at("id")); }

// A campaign file from an API body: parsed as `omnivox run` reads files, its files confined to
// the files folder, and its replay data loaded.
CampaignFile parse_file(const ServiceOptions& options, const std::string& text) {
  std::string base = options.files_dir.empty() ? "." : options.files_dir;
  CampaignFile file = parse_campaign_json(text, base, "campaign");
  auto inside = [&](const std::string& path, const char* field) {
    if (path.empty()) return;
    if (options.files_dir.empty()) {
      fail(400, "file_not_allowed", field,
           "this server reads no file a campaign names (start it with --files-dir)");
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    auto root = fs::weakly_canonical(options.files_dir, ec).string();
    auto full = fs::weakly_canonical(path, ec).string();
    if (ec || full.rfind(root + "/", 0) != 0) {
      fail(400, "file_not_allowed", field, "'" + path + "' is outside the files folder");
    }
  };
  if (file.simulation.replay) {
    inside(file.replay_path, "simulation.world");
    ReplayWorld replay = ReplayWorld::load_bank_csv(file.replay_path);
    file.simulation.replay->records = std::move(replay.records);
  }
  inside(file.telephony.safe_harbor_wav, "telephony.safe_harbor_wav");
  inside(file.telephony.voicemail_wav, "telephony.voicemail_wav");
  if (!is_id(file.campaign.id)) {
    fail(400, "invalid_field", "id", "1 to 64 letters, digits, '-', '_' or '.'");
  }
  return file;
}

json::value file_value(const std::string& text) {
  json::parse_options po;
  po.allow_comments = true;
  po.allow_trailing_commas = true;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, po);
  return ec ? json::value(text) : v;
}

json::object campaign_json(CampaignRuntime& rt) {
  const CampaignFile& f = rt.file();
  return json::object{
      {"id", f.campaign.id},
      {"name", f.campaign.name},
      {"state", rt.state()},
      {"dial_mode", to_string(f.campaign.dial_mode)},
      {"agents", static_cast<std::int64_t>(rt.agents().size())},
      {"telephony", f.telephony.backend == TelephonyConfig::Backend::kSip      ? "sip"
                    : f.telephony.backend == TelephonyConfig::Backend::kTwilio ? "twilio"
                                                                               : "simulator"},
      {"abandon_cap", f.campaign.compliance.abandon_cap},
      {"file", file_value(rt.file_json())}};
}

std::shared_ptr<CampaignRuntime> make_runtime(Ctx& c, CampaignFile file, std::string text) {
  return std::make_shared<CampaignRuntime>(
      std::move(file), std::move(text), c.tenant->name, c.tenant->storage.get(), nullptr,
      c.options.backend_factory, c.tenant->journal, c.options.speed, c.options.log);
}

Response list_campaigns(Ctx& c) {
  json::array out;
  for (auto& rt : c.tenant->all()) out.push_back(campaign_json(*rt));
  return json_response(200, json::object{{"campaigns", out}});
}

Response create_campaign(Ctx& c) {
  body_object(c);  // media type, size and syntax first
  CampaignFile file = parse_file(c.options, c.req.body);
  {
    std::lock_guard lock(c.tenant->mutex);
    if (c.tenant->campaigns.count(file.campaign.id)) {
      fail(409, "campaign_exists", "id", "campaign '" + file.campaign.id + "' exists");
    }
    if (c.tenant->campaigns.size() >= c.options.max_campaigns) {
      fail(409, "too_many_campaigns", "", "at most " + std::to_string(c.options.max_campaigns));
    }
  }
  const std::string id = file.campaign.id;
  auto rt = make_runtime(c, std::move(file), c.req.body);
  {
    std::lock_guard lock(c.tenant->mutex);
    if (!c.tenant->campaigns.emplace(id, rt).second) {
      fail(409, "campaign_exists", "id", "campaign '" + id + "' exists");
    }
  }
  c.store->put_campaign({c.tenant->name, id, c.req.body, "idle"});
  return json_response(201, campaign_json(*rt));
}

Response get_campaign(Ctx& c) { return json_response(200, campaign_json(*campaign(c))); }

Response update_campaign(Ctx& c) {
  auto rt = campaign(c);
  body_object(c);
  CampaignFile file = parse_file(c.options, c.req.body);
  if (file.campaign.id != rt->id()) {
    fail(400, "invalid_field", "id", "must stay '" + rt->id() + "'");
  }
  if (file.telephony.backend != rt->file().telephony.backend) {
    fail(409, "conflict", "telephony.backend", "a served campaign keeps its telephony");
  }
  rt->update(std::move(file), c.req.body);
  c.store->put_campaign({c.tenant->name, rt->id(), c.req.body, rt->state()});
  return json_response(200, campaign_json(*rt));
}

Response delete_campaign(Ctx& c) {
  auto rt = campaign(c);
  if (rt->state() == "running") {
    fail(409, "campaign_running", "", "pause or stop the campaign first");
  }
  if (rt->calls_in_flight() > 0 || rt->engine().statistics(rt->id()).attempts_in_flight > 0) {
    fail(409, "calls_in_flight", "", "the campaign still has calls in flight");
  }
  {
    std::lock_guard lock(c.tenant->mutex);
    c.tenant->campaigns.erase(rt->id());
  }
  c.store->delete_campaign(c.tenant->name, rt->id());
  return json_response(200, json::object{{"deleted", rt->id()}});
}

template <void (CampaignRuntime::*action)()>
Response control(Ctx& c) {
  auto rt = campaign(c);
  (rt.get()->*action)();
  c.store->put_campaign({c.tenant->name, rt->id(), rt->file_json(), rt->state()});
  return json_response(200, campaign_json(*rt));
}

// ---- contacts ----

json::value time_or_null(TimePoint t) {
  return t == TimePoint{} ? json::value(nullptr) : json::value(format_utc(t));
}

json::value agent_or_null(AgentId a) {
  return a == kNoAgent ? json::value(nullptr) : json::value(a);
}

json::object contact_json(const Contact& k) {
  json::array numbers;
  for (const PhoneNumber& n : k.numbers) {
    numbers.push_back(json::object{{"number", n.e164},
                                   {"attempts", n.attempts},
                                   {"last_disposition", to_string(n.last_disposition)},
                                   {"invalid", n.invalid}});
  }
  json::object attributes;
  for (const auto& [name, value] : k.attributes) attributes[name] = value;
  return json::object{{"id", k.id},
                      {"campaign_id", k.campaign_id},
                      {"list", k.list_name},
                      {"external_id", k.external_id},
                      {"priority", k.priority},
                      {"status", to_string(k.status)},
                      {"attempts", k.attempts},
                      {"last_disposition", to_string(k.last_disposition)},
                      {"last_attempt_at", time_or_null(k.last_attempt_at)},
                      {"next_attempt_at", time_or_null(k.next_attempt_at)},
                      {"callback_agent", agent_or_null(k.callback_agent)},
                      {"time_zone", k.time_zone},
                      {"numbers", numbers},
                      {"attributes", attributes}};
}

ContactId contact_id(Ctx& c) {
  return static_cast<ContactId>(
      parse_integer(c.path.at("contact"), "contact", 1, std::numeric_limits<std::int64_t>::max()));
}

Contact contact_of(Ctx& c, CampaignRuntime& rt, ContactId id) {
  auto k = c.tenant->storage->get_contact(id);
  if (!k || k->campaign_id != rt.id()) {
    fail(404, "contact_not_found", "contact",
         "no contact " + std::to_string(id) + " in " + rt.id());
  }
  return *k;
}

Response upload_contacts(Ctx& c, CampaignRuntime& rt) {
  std::string list = query(c, "list").value_or("main");
  if (!is_id(list)) fail(400, "invalid_parameter", "list", "1 to 64 letters, digits, -, _ or .");
  char path[] = "/tmp/omnivox-upload-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) fail(500, "io_error", "", "cannot store the upload");
  struct Unlink {
    const char* p;
    ~Unlink() { unlink(p); }
  } unlink_later{path};
  std::size_t written = 0;
  while (written < c.req.body.size()) {
    ssize_t n = write(fd, c.req.body.data() + written, c.req.body.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  close(fd);
  if (written != c.req.body.size()) fail(500, "io_error", "", "cannot store the upload");
  ImportOptions options = rt.file().import;
  ImportReport report = rt.engine().import_contacts(rt.id(), list, path, options);
  json::array errors;
  for (const ImportError& e : report.errors) {
    errors.push_back(json::object{{"line", e.line}, {"reason", e.reason}});
  }
  return json_response(200, json::object{{"list", list},
                                         {"rows_read", report.rows_read},
                                         {"rows_loaded", report.rows_loaded},
                                         {"rows_rejected", report.rows_rejected},
                                         {"rows_already_stored", report.rows_already_stored},
                                         {"errors", errors}});
}

void apply_contact_fields(const json::object& o, Contact& k) {
  if (auto p = opt_int(o, "priority", -1000000, 1000000)) k.priority = static_cast<int>(*p);
  if (auto tz = opt_string(o, "time_zone")) k.time_zone = *tz;
  if (const json::value* attrs = member(o, "attributes")) {
    if (!attrs->is_object()) fail(400, "invalid_field", "attributes", "must be an object");
    k.attributes.clear();
    for (const auto& kv : attrs->as_object()) {
      if (!kv.value().is_string()) {
        fail(400, "invalid_field", "attributes." + std::string(kv.key()), "must be a string");
      }
      k.attributes.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
  }
}

Response add_contacts(Ctx& c) {
  auto rt = campaign(c);
  if (content_type(c.req) == "text/csv") return upload_contacts(c, *rt);
  json::object o = body_object(c);
  Contact k;
  k.campaign_id = rt->id();
  k.list_name = opt_string(o, "list").value_or("api");
  if (!is_id(k.list_name)) fail(400, "invalid_field", "list", "1 to 64 letters, digits, -, _ or .");
  k.external_id = opt_string(o, "external_id").value_or("");
  const json::value* numbers = member(o, "numbers");
  if (!numbers || !numbers->is_array() || numbers->as_array().empty() ||
      numbers->as_array().size() > 10) {
    fail(400, "invalid_field", "numbers", "1 to 10 E.164 numbers are required");
  }
  for (std::size_t i = 0; i < numbers->as_array().size(); ++i) {
    const json::value& n = numbers->as_array()[i];
    if (!n.is_string() || !is_e164(n.as_string())) {
      fail(400, "invalid_field", "numbers[" + std::to_string(i) + "]",
           "must be an E.164 number (+ and up to 15 digits)");
    }
    k.numbers.push_back(PhoneNumber{std::string(n.as_string())});
  }
  apply_contact_fields(o, k);
  ContactId id = rt->engine().add_contact(rt->id(), std::move(k));
  auto stored = c.tenant->storage->get_contact(id);
  return json_response(201, stored ? json::value(contact_json(*stored)) : json::value(id));
}

Response get_contact(Ctx& c) {
  auto rt = campaign(c);
  Contact k = contact_of(c, *rt, contact_id(c));
  json::object out = contact_json(k);
  json::array attempts;
  for (const Attempt& a : c.tenant->storage->attempts_of(k.id)) {
    attempts.push_back(attempt_json(a));
  }
  out["calls"] = attempts;
  EligibilityReport e = rt->engine().explain(k.id);
  out["eligibility"] =
      json::object{{"dialable", e.reason == Ineligibility::kNone},
                   {"reason", to_string(e.reason)},
                   {"detail", e.detail},
                   {"eligible_at", e.eligible_at ? json::value(format_utc(*e.eligible_at))
                                                 : json::value(nullptr)}};
  return json_response(200, out);
}

Response update_contact(Ctx& c) {
  auto rt = campaign(c);
  json::object o = body_object(c);
  Contact k = contact_of(c, *rt, contact_id(c));
  apply_contact_fields(o, k);
  c.tenant->storage->update_contact(k);
  return json_response(200, contact_json(k));
}

Response add_callback(Ctx& c) {
  auto rt = campaign(c);
  json::object o = body_object(c);
  auto id = opt_int(o, "contact_id", 1, std::numeric_limits<std::int64_t>::max());
  if (!id) fail(400, "missing_field", "contact_id", "is required");
  Contact k = contact_of(c, *rt, static_cast<ContactId>(*id));
  TimePoint at = parse_time(req_string(o, "at"), "at");
  AgentId agent = kNoAgent;
  if (auto a = opt_int(o, "agent_id", 0, std::numeric_limits<std::int32_t>::max())) {
    agent = static_cast<AgentId>(*a);
    rt->agent(agent);
  }
  if (k.status == ContactStatus::kDoNotCall) {
    fail(409, "contact_do_not_call", "contact_id", "the contact asked not to be called");
  }
  k.status = ContactStatus::kCallback;
  k.next_attempt_at = at;
  k.callback_agent = agent;
  c.tenant->storage->update_contact(k);
  return json_response(201, contact_json(k));
}

Response list_callbacks(Ctx& c) {
  auto rt = campaign(c);
  json::array out;
  ContactScan scan;
  scan.campaign_id = rt->id();
  scan.dialable_only = false;
  c.tenant->storage->scan_contacts(scan, [&](const Contact& k) {
    if (k.status == ContactStatus::kCallback) {
      out.push_back(json::object{{"contact_id", k.id},
                                 {"at", time_or_null(k.next_attempt_at)},
                                 {"agent_id", agent_or_null(k.callback_agent)}});
    }
    return out.size() < 10000;
  });
  return json_response(200, json::object{{"callbacks", out}});
}

Response add_dnc(Ctx& c) {
  json::object o = body_object(c);
  std::string list = opt_string(o, "list").value_or("global");
  std::string number = req_string(o, "number");
  if (!is_e164(number)) fail(400, "invalid_field", "number", "must be an E.164 number");
  if (list != "global") campaign(c, list);  // a campaign list of this tenant
  c.tenant->storage->add_dnc(list, number);
  return json_response(201, json::object{{"list", list}, {"number", number}});
}

Response remove_dnc(Ctx& c) {
  const std::string& list = c.path.at("list");
  const std::string& number = c.path.at("number");
  if (!is_e164(number)) fail(400, "invalid_field", "number", "must be an E.164 number");
  if (list != "global") campaign(c, list);
  if (!c.tenant->storage->remove_dnc(list, number)) {
    fail(404, "not_on_list", "number", number + " is not on DNC list '" + list + "'");
  }
  return json_response(200, json::object{{"list", list}, {"number", number}, {"removed", true}});
}

// ---- agents ----

AgentId agent_id(Ctx& c) {
  return static_cast<AgentId>(
      parse_integer(c.path.at("agent"), "agent", 0, std::numeric_limits<std::int32_t>::max()));
}

json::object agent_json(CampaignRuntime& rt, const AgentInfo& a) {
  TimePoint now = rt.engine().clock()->now();
  return json::object{{"id", a.id},
                      {"name", a.name},
                      {"state", to_string(a.state)},
                      {"since", format_utc(a.since)},
                      {"seconds_in_state", std::chrono::duration<double>(now - a.since).count()},
                      {"pause_reason", a.pause_reason.empty() ? json::value(nullptr)
                                                              : json::value(a.pause_reason)}};
}

json::object activity_json(const AgentActivity& a) {
  json::object dispositions;
  for (int k = 1; k < kDispositionCount; ++k) {
    if (a.dispositions[k]) dispositions[to_string(static_cast<Disposition>(k))] = a.dispositions[k];
  }
  return json::object{
      {"start", time_or_null(a.start)},
      {"end", time_or_null(a.end)},
      {"calls_handled", a.calls_handled},
      {"talk_seconds", a.talk_seconds},
      {"wrap_seconds", a.wrap_seconds},
      {"idle_seconds", a.idle_seconds},
      {"paused_seconds", a.paused_seconds},
      {"logged_in_seconds", a.logged_in_seconds},
      {"occupancy", a.occupancy},
      {"longest_idle_seconds", a.longest_idle_seconds},
      {"sales_per_hour", a.per_logged_in_hour(static_cast<double>(
                             a.dispositions[static_cast<int>(Disposition::kSale)]))},
      {"dispositions", dispositions}};
}

json::array series_json(const std::vector<AgentActivity>& series) {
  json::array out;
  for (const AgentActivity& a : series) out.push_back(activity_json(a));
  return out;
}

// The agents with their state, time in state and pause reason, and Engine::agent_statistics:
// totals per agent and for the campaign, and with ?intervals=true the 15-minute series.
Response list_agents(Ctx& c) {
  auto rt = campaign(c);
  const bool intervals = query(c, "intervals").value_or("false") == "true";
  AgentStatistics stats = rt->engine().agent_statistics(rt->id());
  std::map<AgentId, std::string> reasons;
  for (const AgentInfo& a : rt->agents()) reasons[a.id] = a.pause_reason;
  json::array agents;
  for (const AgentSummary& a : stats.agents) {
    const std::string& reason = reasons[a.agent];
    json::object o{{"id", a.agent},
                   {"name", a.name},
                   {"state", to_string(a.state)},
                   {"seconds_in_state", a.seconds_in_state},
                   {"pause_reason", reason.empty() ? json::value(nullptr) : json::value(reason)},
                   {"totals", activity_json(a.totals)}};
    if (intervals) o["intervals"] = series_json(a.intervals);
    agents.push_back(std::move(o));
  }
  json::object out{{"campaign_id", rt->id()},
                   {"at", format_utc(stats.at)},
                   {"interval_seconds", to_seconds(stats.interval)},
                   {"agents", agents},
                   {"totals", activity_json(stats.totals)}};
  if (intervals) out["intervals"] = series_json(stats.intervals);
  return json_response(200, out);
}

Response add_agent(Ctx& c) {
  auto rt = campaign(c);
  json::object o = body_object(c);
  std::string name = req_string(o, "name");
  if (name.empty() || name.size() > 128) fail(400, "invalid_field", "name", "1 to 128 bytes");
  AgentId id = rt->add_agent(name);
  return json_response(201, agent_json(*rt, rt->agent(id)));
}

Response set_agent_state(Ctx& c) {
  auto rt = campaign(c);
  AgentId id = agent_id(c);
  rt->agent(id);
  json::object o = body_object(c);
  std::string state = req_string(o, "state");
  AgentState s;
  if (state == "AVAILABLE") {
    s = AgentState::kAvailable;
  } else if (state == "PAUSED") {
    s = AgentState::kPaused;
  } else if (state == "LOGGED_OUT") {
    s = AgentState::kLoggedOut;
  } else {
    fail(400, "invalid_field", "state", "one of AVAILABLE (log in, resume), PAUSED, LOGGED_OUT");
  }
  std::string reason = opt_string(o, "reason").value_or("");
  if (reason.size() > 256) fail(400, "invalid_field", "reason", "at most 256 bytes");
  rt->set_agent_state(id, s, reason);
  return json_response(200, agent_json(*rt, rt->agent(id)));
}

Response next_contact(Ctx& c) {
  auto rt = campaign(c);
  AgentId id = agent_id(c);
  rt->agent(id);
  auto entry = rt->engine().preview_next(id);
  if (!entry) return json_response(200, json::object{{"entry", nullptr}});
  return json_response(200,
                       json::object{{"entry", json::object{{"contact_id", entry->contact_id},
                                                           {"number", entry->number},
                                                           {"number_index", entry->number_index},
                                                           {"callback", entry->callback}}}});
}

Response dial_preview(Ctx& c) {
  auto rt = campaign(c);
  AgentId id = agent_id(c);
  rt->agent(id);
  CallId call = rt->engine().dial_preview(id);
  return json_response(201, json::object{{"call_id", call}});
}

Response skip_preview(Ctx& c) {
  auto rt = campaign(c);
  AgentId id = agent_id(c);
  rt->agent(id);
  rt->engine().skip_preview(id);
  return json_response(200, json::object{{"skipped", true}});
}

Response call_now(Ctx& c) {
  auto rt = campaign(c);
  AgentId id = agent_id(c);
  rt->agent(id);
  json::object o = body_object(c);
  auto contact = opt_int(o, "contact_id", 1, std::numeric_limits<std::int64_t>::max());
  if (!contact) fail(400, "missing_field", "contact_id", "is required");
  contact_of(c, *rt, static_cast<ContactId>(*contact));
  CallId call = rt->engine().call_now(static_cast<ContactId>(*contact), id);
  return json_response(201, json::object{{"call_id", call}});
}

// ---- calls, statistics ----

Response set_disposition(Ctx& c) {
  auto rt = campaign(c);
  CallId call = static_cast<CallId>(
      parse_integer(c.path.at("call"), "call", 1, std::numeric_limits<std::int64_t>::max()));
  json::object o = body_object(c);
  auto d = disposition_from_string(req_string(o, "disposition"));
  if (!d || !is_agent_disposition(*d)) {
    fail(400, "invalid_field", "disposition",
         "an agent disposition: SALE, NOT_INTERESTED, CALLBACK, DNC, WRONG_NUMBER, COMPLETED");
  }
  std::optional<TimePoint> at;
  if (auto text = opt_string(o, "callback_at")) at = parse_time(*text, "callback_at");
  if (*d == Disposition::kCallback && !at) {
    fail(400, "missing_field", "callback_at", "is required with CALLBACK");
  }
  if (!rt->engine().call_state(call)) {
    fail(404, "call_not_found", "call", "no call " + std::to_string(call) + " in progress");
  }
  rt->engine().set_disposition(call, *d, at);
  return json_response(200, json::object{{"call_id", call}, {"disposition", to_string(*d)}});
}

Response list_calls(Ctx& c) {
  auto rt = campaign(c);
  const auto max = std::numeric_limits<std::int64_t>::max();
  TimePoint from = TimePoint::min(), to = TimePoint::max();
  if (auto f = query(c, "from")) from = parse_time(*f, "from");
  if (auto t = query(c, "to")) to = parse_time(*t, "to");
  std::optional<Disposition> disposition;
  if (auto d = query(c, "disposition")) {
    disposition = disposition_from_string(*d);
    if (!disposition) fail(400, "invalid_parameter", "disposition", "unknown disposition");
  }
  CallId after = 0;
  if (auto a = query(c, "after")) after = static_cast<CallId>(parse_integer(*a, "after", 0, max));
  std::size_t limit = 100;
  if (auto l = query(c, "limit"))
    limit = static_cast<std::size_t>(parse_integer(*l, "limit", 1, 1000));
  json::array out;
  bool more = false;
  CallId last = 0;
  c.tenant->storage->scan_attempts(rt->id(), [&](const Attempt& a) {
    if (a.call_id <= after || a.created_at < from || a.created_at >= to) return true;
    if (disposition && a.disposition != *disposition) return true;
    if (out.size() == limit) {
      more = true;
      return false;
    }
    out.push_back(attempt_json(a));
    last = a.call_id;
    return true;
  });
  json::object page{{"calls", out}};
  page["next_after"] = more ? json::value(last) : json::value(nullptr);
  return json_response(200, page);
}

Response statistics(Ctx& c) {
  auto rt = campaign(c);
  return json_response(200, statistics_json(rt->engine().statistics(rt->id()), rt->file()));
}

Response census(Ctx& c) {
  auto rt = campaign(c);
  EligibilityCensus census = rt->engine().census(rt->id());
  json::object by_reason;
  for (std::size_t k = 0; k < census.by_reason.size(); ++k) {
    by_reason[k == 0 ? "dialable" : to_string(static_cast<Ineligibility>(k))] = census.by_reason[k];
  }
  return json_response(200, json::object{{"campaign_id", rt->id()}, {"by_reason", by_reason}});
}

// ---- events, metrics, health, page ----

Response events(Ctx& c) {
  Response r;
  r.content_type = "text/event-stream";
  Response::EventStream s;
  s.journal = c.tenant->journal;
  if (auto id = query(c, "campaign")) {
    campaign(c, *id);
    s.campaign_id = *id;
  }
  std::string last = c.req.header("Last-Event-ID");
  if (last.empty()) {
    if (auto q = query(c, "last_event_id")) last = *q;
  }
  if (!last.empty()) {
    s.after = static_cast<std::uint64_t>(
        parse_integer(last, "Last-Event-ID", 0, std::numeric_limits<std::int64_t>::max()));
  } else {
    s.after = s.journal->last_seq();  // a new client starts from now
  }
  r.events = std::move(s);
  return r;
}

Response metrics(Ctx& c) {
  std::vector<MetricsInput> inputs;
  for (auto& rt : c.tenant->all()) {
    inputs.push_back(MetricsInput{rt->id(), rt->engine().statistics(rt->id()), rt->metrics(),
                                  rt->calls_in_flight()});
  }
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = render_metrics(inputs, c.tenant->storage_errors.load());
  return r;
}

Response healthz(Ctx&) { return json_response(200, json::object{{"status", "ok"}}); }

Response page_asset(std::string_view path) {
  for (std::size_t i = 0; i < kPageAssetCount; ++i) {
    const Asset& a = kPageAssets[i];
    if (path == a.path) {
      Response r;
      r.content_type = a.content_type;
      r.body.assign(reinterpret_cast<const char*>(a.data), a.size);
      r.headers.emplace_back("Cache-Control", "no-cache");
      return r;
    }
  }
  fail(404, "not_found", "path", "no such file");
}

Response index_page(Ctx&) { return page_asset("index.html"); }
Response static_file(Ctx& c) { return page_asset(c.path.at("path")); }

Response readyz(Ctx&);  // needs the Service: answered in dispatch

// A provider's webhook, /twilio/<tenant>/<campaign>/...: no bearer token (Twilio cannot send
// one); the campaign's backend checks the request's signature (X-Twilio-Signature).
Response webhook(Ctx& c) {
  auto rt = campaign(c);
  WebhookRequest w;
  w.method = c.req.method;
  w.url = c.req.target;
  w.headers = c.req.headers;
  w.body = c.req.body;
  WebhookResponse answer;
  if (!rt->backend().webhook(w, answer)) {
    fail(404, "not_found", "id", "campaign '" + rt->id() + "' takes no webhooks");
  }
  Response r;
  r.status = answer.status;
  r.content_type = answer.content_type;
  r.body = std::move(answer.body);
  return r;
}

const std::vector<Route>& route_table() {
  static const std::vector<Route> routes = {
      {{"GET", "/healthz", "public"}, healthz},
      {{"GET", "/readyz", "public"}, readyz},
      {{"GET", "/", "public"}, index_page},
      {{"GET", "/static/{path}", "public"}, static_file},
      {{"GET", "/metrics", "read"}, metrics},
      {{"GET", "/v1/events", "read"}, events},
      {{"GET", "/v1/campaigns", "read"}, list_campaigns},
      {{"POST", "/v1/campaigns", "control"}, create_campaign},
      {{"GET", "/v1/campaigns/{id}", "read"}, get_campaign},
      {{"PUT", "/v1/campaigns/{id}", "control"}, update_campaign},
      {{"DELETE", "/v1/campaigns/{id}", "control"}, delete_campaign},
      {{"POST", "/v1/campaigns/{id}/start", "control"}, control<&CampaignRuntime::start>},
      {{"POST", "/v1/campaigns/{id}/pause", "control"}, control<&CampaignRuntime::pause>},
      {{"POST", "/v1/campaigns/{id}/stop", "control"}, control<&CampaignRuntime::stop>},
      {{"GET", "/v1/campaigns/{id}/statistics", "read"}, statistics},
      {{"GET", "/v1/campaigns/{id}/census", "read"}, census},
      {{"GET", "/v1/campaigns/{id}/calls", "read"}, list_calls},
      {{"POST", "/v1/campaigns/{id}/calls/{call}/disposition", "control"}, set_disposition},
      {{"POST", "/v1/campaigns/{id}/contacts", "control"}, add_contacts},
      {{"GET", "/v1/campaigns/{id}/contacts/{contact}", "read"}, get_contact},
      {{"PATCH", "/v1/campaigns/{id}/contacts/{contact}", "control"}, update_contact},
      {{"GET", "/v1/campaigns/{id}/callbacks", "read"}, list_callbacks},
      {{"POST", "/v1/campaigns/{id}/callbacks", "control"}, add_callback},
      {{"GET", "/v1/campaigns/{id}/agents", "read"}, list_agents},
      {{"POST", "/v1/campaigns/{id}/agents", "control"}, add_agent},
      {{"PUT", "/v1/campaigns/{id}/agents/{agent}/state", "control"}, set_agent_state},
      {{"POST", "/v1/campaigns/{id}/agents/{agent}/next-contact", "control"}, next_contact},
      {{"POST", "/v1/campaigns/{id}/agents/{agent}/preview/dial", "control"}, dial_preview},
      {{"POST", "/v1/campaigns/{id}/agents/{agent}/preview/skip", "control"}, skip_preview},
      {{"POST", "/v1/campaigns/{id}/agents/{agent}/call-now", "control"}, call_now},
      {{"POST", "/v1/dnc", "control"}, add_dnc},
      {{"DELETE", "/v1/dnc/{list}/{number}", "control"}, remove_dnc},
      {{"POST", "/twilio/{tenant}/{id}/{path}", "signed"}, webhook},
  };
  return routes;
}

Response readyz(Ctx&) { return json_response(200, json::object{{"status", "ready"}}); }

// Matches a path against a template; fills `params`.
bool match(const std::string& pattern, const std::vector<std::string>& segments,
           std::map<std::string, std::string>& params) {
  std::vector<std::string> parts;
  for (std::size_t start = 1; start <= pattern.size();) {
    std::size_t slash = pattern.find('/', start);
    if (slash == std::string::npos) slash = pattern.size();
    parts.push_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  if (pattern == "/") parts.assign(1, "");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i >= segments.size()) return false;
    const std::string& p = parts[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      const std::string name = p.substr(1, p.size() - 2);
      if (segments[i].empty()) return false;
      if (name == "path") {  // the rest of the path
        std::string rest = segments[i];
        for (std::size_t j = i + 1; j < segments.size(); ++j) rest += "/" + segments[j];
        if (rest.find("..") != std::string::npos) return false;
        params[name] = rest;
        return true;
      }
      params[name] = segments[i];
    } else if (p != segments[i]) {
      return false;
    }
  }
  return parts.size() == segments.size();
}

}  // namespace

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && lower(k) == lower(name)) return v;
  }
  return std::string();
}

Service::Service(ServiceOptions options, ServeStore* store)
    : options_(std::move(options)), store_(store), wall_clock_(make_system_clock()) {
  if (!options_.backend_factory) options_.backend_factory = make_backend;
}

Service::~Service() {
  std::map<std::string, std::shared_ptr<Tenant>> tenants;
  {
    std::lock_guard lock(mutex_);
    tenants.swap(tenants_);
  }
  for (auto& [name, t] : tenants) {
    std::lock_guard lock(t->mutex);
    t->campaigns.clear();
  }
}

const std::vector<RouteInfo>& Service::routes() {
  static const std::vector<RouteInfo> infos = [] {
    std::vector<RouteInfo> out;
    for (const Route& r : route_table()) out.push_back(r.info);
    return out;
  }();
  return infos;
}

std::shared_ptr<Service::Tenant> Service::tenant(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& t = tenants_[name];
  if (!t) {
    auto made = std::make_shared<Tenant>();
    made->name = name;
    StorageOpenOptions so;
    so.tenant = name;
    made->storage = open_storage(options_.storage_url, so);
    made->journal = std::make_shared<EventJournal>(options_.journal_capacity);
    t = std::move(made);
  }
  return t;
}

std::optional<TokenRecord> Service::authenticate(const std::string& token) {
  const std::string presented = sha256_hex(token);
  auto now = std::chrono::steady_clock::now();
  auto find = [&]() -> std::optional<TokenRecord> {
    std::optional<TokenRecord> found;
    for (const TokenRecord& t : tokens_) {
      // Every stored hash is compared, each in constant time: the time taken says nothing about
      // how close a guess came, nor which token matched.
      if (t.sha256.size() == presented.size() &&
          CRYPTO_memcmp(t.sha256.data(), presented.data(), presented.size()) == 0 && !t.revoked) {
        found = t;
      }
    }
    return found;
  };
  std::lock_guard lock(mutex_);
  // Tokens created or revoked by `omnivox token` in another process are seen within 5 s, and
  // at once on a miss (at most once a second: unknown tokens cannot hammer the database).
  const bool stale = now - tokens_loaded_ > std::chrono::seconds(5);
  if (!stale) {
    if (auto t = find()) return t;
  }
  if (stale || now - tokens_loaded_ > std::chrono::seconds(1)) {
    tokens_ = store_->tokens();
    tokens_loaded_ = now;
  }
  return find();
}

std::size_t Service::load() {
  std::size_t served = 0;
  for (const TokenRecord& t : store_->tokens()) {
    if (!t.revoked) tenant(t.tenant);
  }
  for (const CampaignRecord& rec : store_->campaigns()) {
    try {
      auto t = tenant(rec.tenant);
      CampaignFile file = parse_file(options_, rec.file_json);
      auto rt = std::make_shared<CampaignRuntime>(
          std::move(file), rec.file_json, rec.tenant, t->storage.get(), nullptr,
          options_.backend_factory, t->journal, options_.speed, options_.log);
      rt->restore(rec.state);
      std::lock_guard lock(t->mutex);
      t->campaigns[rec.id] = rt;
      ++served;
    } catch (const ApiError& e) {
      std::fprintf(stderr, "omnivox serve: campaign %s/%s not served: %s\n", rec.tenant.c_str(),
                   rec.id.c_str(), e.message.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "omnivox serve: campaign %s/%s not served: %s\n", rec.tenant.c_str(),
                   rec.id.c_str(), e.what());
    }
  }
  return served;
}

std::size_t Service::body_limit(std::string_view method, std::string_view target,
                                std::string_view type) const {
  std::string t = lower(type);
  const bool csv = method == "POST" && t.rfind("text/csv", 0) == 0 &&
                   target.find("/contacts") != std::string_view::npos;
  return csv ? options_.max_csv_bytes : options_.max_json_bytes;
}

void Service::tick() {
  std::vector<std::shared_ptr<Tenant>> tenants;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, t] : tenants_) tenants.push_back(t);
  }
  for (auto& t : tenants) {
    for (auto& rt : t->all()) {
      try {
        rt->tick();
      } catch (const std::exception& e) {
        if (const auto* error = dynamic_cast<const Error*>(&e);
            error && error->code() == ErrorCode::kStorage) {
          ++t->storage_errors;
        }
      }
    }
  }
}

std::size_t Service::stop_dialing() {
  std::vector<std::shared_ptr<Tenant>> tenants;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, t] : tenants_) tenants.push_back(t);
  }
  for (auto& t : tenants) {
    for (auto& rt : t->all()) {
      try {
        rt->engine().stop_campaign(rt->id());
      } catch (const std::exception&) {
        // An unknown or finished campaign: nothing to stop.
      }
    }
  }
  return calls_in_flight();
}

std::size_t Service::calls_in_flight() const {
  std::size_t n = 0;
  std::lock_guard lock(mutex_);
  for (auto& [name, t] : tenants_) {
    for (auto& rt : t->all()) n += rt->calls_in_flight();
  }
  return n;
}

Response Service::handle(const Request& request) noexcept {
  try {
    return dispatch(request);
  } catch (const ApiError& e) {
    return error_response(e);
  } catch (const Error& e) {
    return error_response(from_error(e));
  } catch (const std::exception& e) {
    return error_response({500, "internal", "", e.what()});
  } catch (...) {
    Response r;
    r.status = 500;
    r.body = "{\"error\":{\"code\":\"internal\",\"field\":null,\"message\":\"unknown\"}}\n";
    return r;
  }
}

Response Service::dispatch(const Request& req) {
  auto parsed = boost::urls::parse_origin_form(req.target);
  if (!parsed) fail(400, "invalid_target", "", "the request target is not a path");
  std::vector<std::string> segments;
  for (auto s : parsed->segments()) segments.push_back(s);
  if (segments.empty()) segments.emplace_back();
  std::map<std::string, std::string> query;
  for (auto p : parsed->params()) query[p.key] = p.value;
  const Route* route = nullptr;
  std::map<std::string, std::string> params;
  std::string allowed;
  for (const Route& r : route_table()) {
    std::map<std::string, std::string> p;
    if (!match(r.info.path, segments, p)) continue;
    if (r.info.method == req.method) {
      route = &r;
      params = std::move(p);
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + r.info.method;
  }
  if (!route) {
    if (allowed.empty()) fail(404, "not_found", "", "no route for this path");
    ApiError e{405, "method_not_allowed", "", "allowed: " + allowed};
    Response r = error_response(e);
    r.headers.emplace_back("Allow", allowed);
    return r;
  }
  Ctx ctx{req, options_, store_, nullptr, std::move(params), std::move(query)};
  if (route->info.auth == "signed") {
    {
      std::lock_guard lock(mutex_);
      auto it = tenants_.find(ctx.path.at("tenant"));
      if (it == tenants_.end()) fail(404, "not_found", "tenant", "no such tenant");
      ctx.tenant = it->second;
    }
    return route->handler(ctx);
  }
  if (route->info.auth == "public") {
    if (route->handler == readyz) {
      std::vector<std::shared_ptr<Tenant>> tenants;
      {
        std::lock_guard lock(mutex_);
        for (auto& [name, t] : tenants_) tenants.push_back(t);
      }
      for (auto& t : tenants) {
        try {
          t->storage->campaign_ids();
        } catch (const std::exception& e) {
          fail(503, "storage_unavailable", "", "tenant " + t->name + ": " + e.what());
        }
        for (auto& rt : t->all()) {
          if (!rt->ready()) fail(503, "telephony_down", "", "campaign " + rt->id());
        }
      }
    }
    return route->handler(ctx);
  }
  std::string authorization = req.header("Authorization");
  if (authorization.size() < 7 || lower(authorization.substr(0, 7)) != "bearer ") {
    fail(401, "unauthorized", "Authorization", "a bearer token is required");
  }
  auto token = authenticate(authorization.substr(7));
  if (!token) fail(401, "invalid_token", "Authorization", "unknown or revoked token");
  if (route->info.auth == "control" && token->scope != Scope::kControl) {
    fail(403, "insufficient_scope", "Authorization", "this route needs a control token");
  }
  {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    Bucket& b = buckets_[token->id];
    if (b.at == std::chrono::steady_clock::time_point{}) b.tokens = options_.rate_burst;
    b.tokens = std::min(
        options_.rate_burst,
        b.tokens + options_.rate_per_s * std::chrono::duration<double>(now - b.at).count());
    b.at = now;
    if (b.tokens < 1) {
      ApiError e{429, "rate_limited", "", "too many requests for this token"};
      Response r = error_response(e);
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    b.tokens -= 1;
  }
  ctx.tenant = tenant(token->tenant);
  try {
    return route->handler(ctx);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kStorage) ++ctx.tenant->storage_errors;
    throw;
  }
}

}  // namespace omnivox::serve
