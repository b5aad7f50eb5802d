#include "omnivox/engine.h"

#include <random>
#include <sstream>
#include <typeinfo>

#include "engine/engine_impl.h"

namespace omnivox {

namespace {

// Returns drive(d) with `d` the clock's driver as a VirtualClock* when that is its exact type
// (a bare VirtualClock, or a wrapper that forwards to one): VirtualClock is final, so the calls
// a simulation makes per event are direct. Any other driver goes through the interface.
template <typename Drive>
decltype(auto) with_driver(VirtualTimeDriver* driver, Drive&& drive) {
  if (typeid(*driver) == typeid(VirtualClock)) return drive(static_cast<VirtualClock*>(driver));
  return drive(driver);
}

// The bindings pass durations through unchecked: the engine is where a negative one is refused.
void check_not_negative(const char* function, const char* argument, Duration d) {
  if (d >= Duration(0)) return;
  throw Error(ErrorCode::kInvalidArgument, std::string(function) + ": argument '" + argument +
                                               "' is negative (" + std::to_string(d.count()) +
                                               " ms)");
}

std::string random_owner_token() {
  std::random_device rd;
  std::ostringstream out;
  out << "omnivox-" << std::hex << rd() << rd();
  return out.str();
}

}  // namespace

Engine::Impl::Impl(EngineOptions opts, Storage* s, Telephony* t, Clock* c, EventListener* l)
    : options(std::move(opts)),
      storage(s),
      telephony(t),
      clock(c),
      listener(l),
      logger(options.log_sink, options.log_level) {
  if (!storage || !telephony || !clock) {
    throw Error(ErrorCode::kInvalidArgument, "Engine: storage, telephony and clock are required");
  }
  if (options.owner_token.empty()) options.owner_token = random_owner_token();
  if (storage->prefers_batched_writes()) {
    batching = std::make_unique<BatchingStorage>(storage, options.owner_token);
    // Calls that end with this process need no row of their own until they end.
    batching->set_hold_calls_in_flight(!telephony->calls_outlive_engine());
    storage = batching.get();
  }
  zones = TimeZoneMap::load(options.time_zone_map_path.empty() ? TimeZoneMap::default_path()
                                                               : options.time_zone_map_path);
  sink.impl = this;
  call_timers.impl = this;
  telephony->start(&sink);
}

void Engine::Impl::cancel_all_timers() {
  auto cancel = [this](TimerId& t) {
    if (t) clock->cancel(t), t = 0;
  };
  for (auto& [id, call] : calls) {
    cancel(call.timeout_timer);
    cancel(call.hold_timer);
    cancel(call.wrap_timer);
  }
  for (auto& [id, c] : campaigns) {
    cancel(c->tick_timer);
    cancel(c->wake_timer);
    cancel(c->reconcile_timer);
  }
  cancel(renew_timer);
  cancel(unsaved_timer);
  cancel(flush_timer);
  inbound->cancel_timers();
}

void Engine::Impl::journal(const Campaign& c, CallId call, ContactId contact, std::string kind,
                           std::string detail) {
  try {
    storage->append_journal(
        {now(), c.config.id, call, contact, std::move(kind), std::move(detail)});
  } catch (const std::exception& e) {
    logger.log_limited(LogLevel::kWarn, "journal",
                       std::string("journal append failed: ") + e.what());
  }
}

Engine::Impl::Campaign& Engine::Impl::campaign_or_throw(const std::string& id) {
  auto it = campaigns.find(id);
  if (it == campaigns.end()) throw Error(ErrorCode::kNotFound, "unknown campaign '" + id + "'");
  return *it->second;
}

Engine::Impl::Agent& Engine::Impl::agent_or_throw(AgentId id) {
  if (id >= agents.size()) {
    throw Error(ErrorCode::kNotFound, "unknown agent " + std::to_string(id));
  }
  return agents[id];
}

Engine::Impl::Campaign& Engine::Impl::prepare_contact(const std::string& campaign_id,
                                                      Contact& contact) {
  Campaign& c = campaign_or_throw(campaign_id);
  if (contact.numbers.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "contact '" + contact.external_id + "': at least one phone number is required");
  }
  contact.campaign_id = campaign_id;
  ZoneSetId zone_override = kUnknownZoneSet;
  if (!contact.time_zone.empty()) zone_override = zones.intern_zones({contact.time_zone});
  for (auto& n : contact.numbers) {
    if (n.e164.empty() || n.e164[0] != '+') {
      throw Error(ErrorCode::kInvalidArgument,
                  "contact '" + contact.external_id + "': number '" + n.e164 + "' is not E.164");
    }
    n.zone_set = zone_override != kUnknownZoneSet ? zone_override : zones.zone_set_for(n.e164);
  }
  return c;
}

// The engine's agents, timers and listener as the inbound router sees them (inbound_router.h).
struct Engine::Impl::InboundHost final : detail::InboundRouter::Host {
  explicit InboundHost(Impl& engine) : e(engine) {}
  Impl& e;
  TimePoint now() const override { return e.now(); }
  Telephony& telephony() override { return *e.telephony; }
  Logger& logger() override { return e.logger; }
  Duration max_wrap_up() const override { return e.options.max_wrap_up; }
  bool agent_free(AgentId id) const override {
    const Agent& a = e.agents[id];
    if (a.state != AgentState::kAvailable || a.preview || a.after_wrap_up) return false;
    if (!e.inbound->takes_outbound(id)) return true;
    // An outbound agent its campaign's calls in progress count on stays for them: taking it
    // would turn their live answer into an abandon. A shared agent: the campaign counting it.
    const Campaign* counting = e.counted_for(a);
    if (counting == nullptr) return true;
    const Campaign& c = *counting;
    int idle = -c.pending - static_cast<int>(c.waiting.size());
    if (c.shared_agents > 0) return idle + e.count_agents(c, kNoAgent, true).idle > 0;
    if (!e.inbound->any_inbound_only()) {
      idle += c.agents_in_state[static_cast<int>(AgentState::kAvailable)] - c.agents_previewing -
              c.agents_departing;
      return idle > 0;
    }
    for (AgentId other : c.available) {
      const Agent& o = e.agents[other];
      idle += !o.preview && !o.after_wrap_up && e.inbound->takes_outbound(other);
    }
    return idle > 0;
  }
  TimePoint agent_idle_since(AgentId id) const override { return e.agents[id].idle_since; }
  AgentState agent_state(AgentId id) const override { return e.agents[id].state; }
  void available_agents(std::vector<AgentId>& out) const override {
    for (const auto& [id, c] : e.campaigns) {
      if (c->shared_agents == 0) {
        out.insert(out.end(), c->available.begin(), c->available.end());
        continue;
      }
      for (AgentId a : c->available) {  // a shared agent once: from its own campaign's list
        if (e.agents[a].campaign == c.get()) out.push_back(a);
      }
    }
  }
  void agent_busy(AgentId id, AgentState state, CallId call) override {
    Agent& a = e.agents[id];
    a.call = call;
    a.working_for = nullptr;
    e.set_agent(a, state, call);
  }
  void agent_done(AgentId id) override {
    Agent& a = e.agents[id];
    a.call = kNoCall;
    e.agent_freed(a);
    e.pace_campaigns_of(a);
  }
  TimerId schedule(TimePoint at, std::function<void()> fn) override {
    return e.schedule(at, std::move(fn));
  }
  void cancel(TimerId timer) override { e.clock->cancel(timer); }
  void finished(const Attempt& record) override {
    e.notify(EventListener::kAttemptsFinished,
             [&](EventListener& l) { l.on_attempt_finished(record); });
  }
  Storage& storage() override { return *e.storage; }
};

// ---------------------------------------------------------------------------------------------

Engine::Engine(EngineOptions options, Storage* storage, Telephony* telephony, Clock* clock,
               EventListener* listener)
    : impl_(std::make_unique<Impl>(std::move(options), storage, telephony, clock, listener)) {
  impl_->inbound_host = std::make_unique<Impl::InboundHost>(*impl_);
  impl_->inbound = std::make_unique<detail::InboundRouter>(impl_->inbound_host.get());
}

Engine::~Engine() {
  // Nothing may call into the engine once its parts go: first other threads' timers and events
  // are shut out, then the engine's threads end, then telephony stops sending (Telephony::stop()),
  // then the timers go.
  impl_->gate->close();
  stop();
  impl_->telephony->stop();
  // The clock outlives the engine (engine.h): nothing of ours may fire on it afterwards.
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->cancel_all_timers();
  impl_->flush_writes();  // what a crash would lose is recoverable; a clean end loses nothing
}

void Engine::add_campaign(const CampaignConfig& campaign) {
  if (campaign.id.empty()) throw Error(ErrorCode::kConfig, "campaign.id: must not be empty");
  if (campaign.max_attempts < 0) throw Error(ErrorCode::kConfig, "max_attempts: must be >= 0");
  if (campaign.ring_timeout < std::chrono::seconds(1)) {
    throw Error(ErrorCode::kConfig, "ring_timeout: must be at least 1 s");
  }
  if (campaign.hold_window < Duration(0)) throw Error(ErrorCode::kConfig, "hold_window: negative");
  const ComplianceProfile& profile = campaign.compliance;
  if (campaign.ring_timeout < profile.min_ring) {
    throw Error(ErrorCode::kConfig,
                "ring_timeout_s: " + std::to_string(to_seconds(campaign.ring_timeout)) +
                    " s is under the " + profile.name + " minimum ring time of " +
                    std::to_string(to_seconds(profile.min_ring)) + " s");
  }
  if (campaign.hold_window > profile.hold_window) {
    throw Error(ErrorCode::kConfig,
                "hold_window_s: " + std::to_string(to_seconds(campaign.hold_window)) +
                    " s is over the " + profile.name + " hold window of " +
                    std::to_string(to_seconds(profile.hold_window)) + " s");
  }
  if (!(profile.abandon_cap > 0.0 && profile.abandon_cap <= 1.0)) {
    throw Error(ErrorCode::kConfig, "compliance.abandon_cap: must be in (0, 1]");
  }
  auto policy = make_policy_for(campaign);
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->storage->put_campaign(campaign);
  // A campaign added again keeps its object: its agents, calls and timers point to it.
  std::unique_ptr<Impl::Campaign>& c = impl_->campaigns[campaign.id];
  if (!c) c = std::make_unique<Impl::Campaign>();
  c->config = campaign;
  c->policy = std::move(policy);
  c->generator = std::make_unique<QueueGenerator>(campaign, impl_->storage, &impl_->zones);
  c->generator->set_lease_clock(impl_->options.lease_clock);
  // The rolling abandon rate survives a config change: a new profile, the same recorded calls.
  if (c->governor) {
    c->governor->set_profile(campaign.compliance, impl_->now());
  } else {
    c->governor = std::make_unique<AbandonGovernor>(campaign.compliance);
    c->shared_counts =
        std::make_unique<SharedAbandonCounts>(campaign.id, impl_->options.owner_token);
  }
  for (const auto& number : campaign.dnc_numbers) impl_->storage->add_dnc(campaign.id, number);
}

ImportReport Engine::import_contacts(const std::string& campaign_id, const std::string& list_name,
                                     const std::string& csv_path, const ImportOptions& options) {
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    impl_->campaign_or_throw(campaign_id);
  }
  Storage& storage = *impl_->storage;
  // Unfinished until the last row is stored: a restart that finds it so imports again.
  storage.put_list({campaign_id, list_name, true, false});
  // Rows go to storage a batch at a time, one transaction each: an import is a few hundred
  // commits, not one per row, and a batch is stored whole or not at all.
  constexpr std::size_t kBatch = 1024;
  std::vector<Contact> batch;
  batch.reserve(kBatch);
  std::size_t already_stored = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    already_stored += batch.size() - storage.add_contacts(batch);
    batch.clear();
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    impl_->campaign_or_throw(campaign_id).refill_blocked_until = TimePoint{};
  };
  ImportReport report = import_contacts_csv_file(csv_path, options, [&](ImportedContact&& row) {
    Contact& contact = batch.emplace_back();
    contact.list_name = list_name;
    contact.external_id = std::move(row.external_id);
    contact.priority = row.priority;
    contact.time_zone = std::move(row.time_zone);
    contact.attributes = std::move(row.attributes);
    for (auto& n : row.phone_numbers) contact.numbers.push_back(PhoneNumber{std::move(n)});
    {
      std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
      impl_->prepare_contact(campaign_id, contact);
    }
    if (batch.size() == kBatch) flush();
  });
  flush();
  storage.put_list({campaign_id, list_name, true, true});
  report.rows_already_stored = already_stored;
  return report;
}

ContactId Engine::add_contact(const std::string& campaign_id, Contact contact) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Campaign& c = impl_->prepare_contact(campaign_id, contact);
  ContactId id = impl_->storage->add_contact(std::move(contact));
  c.refill_blocked_until = TimePoint{};
  return id;
}

void Engine::add_dnc(const std::string& list, const std::string& e164) {
  impl_->storage->add_dnc(list, e164);
}

void Engine::start_campaign(const std::string& campaign_id) {
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
    impl_->campaign_or_throw(campaign_id);
  }
  impl_->mutate([this, campaign_id] {
    Impl::Campaign& c = impl_->campaign_or_throw(campaign_id);
    c.started = true;
    c.refill_blocked_until = TimePoint{};
    const auto reconciled_before = c.reconciled;
    impl_->reconcile(c);
    // Closing a dead engine's calls has already read the stored retries.
    if (c.reconciled == reconciled_before) impl_->learn_stored_retries(c);
    impl_->logger.log(LogLevel::kInfo,
                      "campaign " + campaign_id + " started with policy " + c.policy->name());
    impl_->pace(c);
  });
}

void Engine::stop_campaign(const std::string& campaign_id) {
  impl_->mutate([this, campaign_id] {
    Impl::Campaign& c = impl_->campaign_or_throw(campaign_id);
    c.started = false;
    for (auto& e : c.queue) c.held.erase(e.contact_id);
    c.queue.clear();
    impl_->release_leases_ahead(c);
    if (c.wake_timer) impl_->clock->cancel(c.wake_timer), c.wake_timer = 0;
    if (c.reconcile_timer) impl_->clock->cancel(c.reconcile_timer), c.reconcile_timer = 0;
  });
}

void Engine::set_pacing_policy(const std::string& campaign_id,
                               std::unique_ptr<PacingPolicy> policy) {
  if (!policy) throw Error(ErrorCode::kInvalidArgument, "set_pacing_policy: policy is null");
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->campaign_or_throw(campaign_id).policy = std::move(policy);
}

void Engine::start(int threads) {
  if (impl_->clock->is_virtual()) {
    throw Error(ErrorCode::kState,
                "start: a virtual clock is driven with run_for()/run_until_done()");
  }
  if (!impl_->threads.empty()) return;
  impl_->io.restart();
  impl_->work = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      impl_->io.get_executor());
  for (int i = 0; i < std::max(1, threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

void Engine::stop() {
  if (impl_->threads.empty()) return;
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->flush_writes();
}

std::size_t Engine::poll() {
  std::size_t n = 0;
  if (VirtualTimeDriver* driver = impl_->clock->virtual_time()) {
    const void* saved = detail::t_driving_engine;
    detail::t_driving_engine = impl_.get();
    n += impl_->io.poll();
    n += with_driver(driver, [](auto* d) {
      std::size_t fired = 0;
      while (d->advance_one(d->now())) ++fired;
      return fired;
    });
    detail::t_driving_engine = saved;
    impl_->io.restart();
    impl_->flush_writes();
    return n;
  }
  n = impl_->io.poll();
  impl_->io.restart();
  return n;
}

std::size_t Engine::run_for(Duration d) {
  check_not_negative("run_for", "duration", d);
  VirtualTimeDriver* driver = impl_->clock->virtual_time();
  if (driver == nullptr) {
    std::size_t n = impl_->io.run_for(d);
    impl_->io.restart();
    return n;
  }
  TimePoint limit = driver->now() + d;
  const void* saved = detail::t_driving_engine;
  detail::t_driving_engine = impl_.get();
  std::size_t n = impl_->io.poll();
  impl_->io.restart();
  n += with_driver(driver, [this, limit](auto* vc) {
    std::size_t ran = 0;
    while (vc->advance_one(limit)) {
      ++ran;
      ran += impl_->io.poll();
      impl_->io.restart();
    }
    return ran;
  });
  detail::t_driving_engine = saved;
  impl_->flush_writes();
  return n;
}

bool Engine::run_until_done(Duration limit) {
  check_not_negative("run_until_done", "limit", limit);
  VirtualTimeDriver* driver = impl_->clock->virtual_time();
  if (driver == nullptr) {
    throw Error(ErrorCode::kState, "run_until_done: needs a virtual clock (Clock::virtual_time)");
  }
  TimePoint end = driver->now() + limit;
  const void* saved = detail::t_driving_engine;
  detail::t_driving_engine = impl_.get();
  impl_->io.poll();
  impl_->io.restart();
  with_driver(driver, [this, end](auto* vc) {
    // Unlike run_for, time stops at the last event rather than at the limit.
    while (vc->fire_next(end)) {
      // Handlers of this thread run inline; io only holds work posted by other threads.
      if (impl_->posted.load(std::memory_order_acquire) != 0 &&
          impl_->posted.exchange(0, std::memory_order_acq_rel) != 0) {
        impl_->io.poll();
        impl_->io.restart();
      }
    }
  });
  detail::t_driving_engine = saved;
  impl_->flush_writes();
  return driver->pending() == 0;
}

bool Engine::idle() const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  const VirtualTimeDriver* driver = impl_->clock->virtual_time();
  return impl_->calls.empty() && (driver == nullptr || driver->pending() == 0);
}

void Engine::add_inbound_queue(const InboundQueueConfig& queue) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->inbound->add_queue(queue);
}

void Engine::set_agent_skills(AgentId agent, const AgentSkills& skills) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  Impl::Agent& a = impl_->agent_or_throw(agent);
  const std::string where = "agent " + std::to_string(agent) + " skills: ";
  if (!skills.outbound && !skills.campaigns.empty()) {
    throw Error(ErrorCode::kConfig,
                where + "campaigns given to an agent that takes no outbound calls");
  }
  // Its own campaign at priority 0 unless listed; a stable sort keeps it first on a tie.
  std::vector<std::pair<int, Impl::Campaign*>> ranked{{0, a.campaign}};
  for (const CampaignSkill& skill : skills.campaigns) {
    if (skill.campaign.empty()) throw Error(ErrorCode::kConfig, where + "empty campaign id");
    auto found = impl_->campaigns.find(skill.campaign);
    if (found == impl_->campaigns.end()) {
      throw Error(ErrorCode::kNotFound, where + "unknown campaign '" + skill.campaign + "'");
    }
    Impl::Campaign* c = found->second.get();
    if (std::count_if(skills.campaigns.begin(), skills.campaigns.end(),
                      [&](const auto& other) { return other.campaign == skill.campaign; }) > 1) {
      throw Error(ErrorCode::kConfig, where + "campaign '" + skill.campaign + "' listed twice");
    }
    if (c == a.campaign) {
      ranked.front().first = skill.priority;
    } else {
      ranked.emplace_back(skill.priority, c);
    }
  }
  impl_->inbound->set_skills(agent, skills);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  std::vector<Impl::Campaign*> ordered;
  for (const auto& [priority, c] : ranked) ordered.push_back(c);
  impl_->set_agent_campaigns(a, std::move(ordered));
}

void Engine::set_blending(const std::string& campaign_id, const BlendingConfig& blending) {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  impl_->campaign_or_throw(campaign_id);
  impl_->inbound->set_blending(campaign_id, blending);
}

InboundQueueStatistics Engine::inbound_statistics(const std::string& queue_id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  return impl_->inbound->statistics(queue_id);
}

std::vector<std::string> Engine::inbound_queues() const {
  std::lock_guard<detail::LightRecursiveMutex> lock(impl_->mutex);
  return impl_->inbound->queue_ids();
}

const std::string& Engine::owner_token() const { return impl_->options.owner_token; }

Clock* Engine::clock() const { return impl_->clock; }

Storage* Engine::storage() const { return impl_->storage; }

TimeZoneMap& Engine::time_zones() { return impl_->zones; }

Logger& Engine::logger() { return impl_->logger; }

}  // namespace omnivox
