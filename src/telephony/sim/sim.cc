#include "omnivox/sim.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string_view>
#include <vector>

#include "engine/csv_reader.h"
#include "util/light_mutex.h"

namespace omnivox {

double Distribution::sample(std::mt19937_64& rng) const {
  switch (kind) {
    case Kind::kFixed:
      return std::max(0.0, mean_s);
    case Kind::kExponential: {
      if (mean_s <= 0) return 0.0;
      std::exponential_distribution<double> d(1.0 / mean_s);
      return d(rng);
    }
    case Kind::kLognormal: {
      if (mean_s <= 0) return 0.0;
      // Parameters of the underlying normal from the value's mean and standard deviation.
      double v = sd_s * sd_s;
      double sigma2 = std::log(1.0 + v / (mean_s * mean_s));
      double mu = std::log(mean_s) - sigma2 / 2.0;
      std::lognormal_distribution<double> d(mu, std::sqrt(sigma2));
      return d(rng);
    }
    case Kind::kEmpirical: {
      if (samples_s.empty()) return 0.0;
      std::uniform_int_distribution<std::size_t> d(0, samples_s.size() - 1);
      return std::max(0.0, samples_s[d(rng)]);
    }
    case Kind::kGamma: {
      if (mean_s <= 0) return 0.0;
      if (sd_s <= 0) return mean_s;
      std::gamma_distribution<double> d(mean_s * mean_s / (sd_s * sd_s), sd_s * sd_s / mean_s);
      return d(rng);
    }
  }
  return 0.0;
}

double Distribution::mean() const {
  if (kind == Kind::kEmpirical) {
    if (samples_s.empty()) return 0.0;
    double sum = 0;
    for (double s : samples_s) sum += s;
    return sum / samples_s.size();
  }
  return mean_s;
}

ReplayWorld ReplayWorld::load_bank_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, path + ": cannot open");
  detail::LineReader reader(in);
  std::size_t line_no = 0;
  auto fail = [&](std::size_t at, const std::string& reason) -> Error {
    return Error(ErrorCode::kConfig, path + ":" + std::to_string(at) + ": " + reason);
  };
  std::string_view line;
  if (!reader.next(&line)) throw fail(1, "empty file");
  ++line_no;
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  const char delim =
      std::count(line.begin(), line.end(), ';') >= std::count(line.begin(), line.end(), ',') ? ';'
                                                                                             : ',';
  // libcsv as the importer uses it: RFC 4180 quoting (a quoted field may hold the delimiter, a
  // doubled quote or a line break), strict about stray quotes, records ended only by '\n'.
  detail::CsvParser parser(static_cast<unsigned char>(CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL),
                           delim);
  detail::CsvRecord record;
  // Reads the next record (which may span lines inside quotes) into `record`; false at the end.
  // `line` holds the header line, not parsed yet.
  bool line_pending = true;
  std::size_t record_line = 0;
  auto next_record = [&] {
    record.clear();
    for (bool started = false; !record.done;) {
      if (line_pending) {
        line_pending = false;
      } else if (reader.next(&line)) {
        ++line_no;
      } else if (started) {
        throw fail(record_line, "unbalanced quote (still open at the end of the file)");
      } else {
        return false;
      }
      if (!started) {
        if (line.empty()) continue;  // blank lines between records
        started = true;
        record_line = line_no;
      }
      csv_parser* p = parser.get();
      const std::size_t used = record.parse_line(p, line);
      if (csv_error(p) == CSV_EPARSE) {
        throw fail(line_no, std::string(p->quoted ? "unexpected character after a closing quote"
                                                  : "quote inside an unquoted field") +
                                " (byte " + std::to_string(used + 1) + " of the line)");
      }
      if (csv_error(p) != CSV_SUCCESS) {
        throw fail(line_no, std::string("libcsv: ") + csv_strerror(csv_error(p)));
      }
    }
    return true;
  };
  if (!next_record()) throw fail(1, "empty file");
  std::vector<std::string> header;
  for (std::size_t i = 0; i < record.size(); ++i) header.emplace_back(record.field(i));
  auto column = [&](const char* name) -> std::size_t {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw fail(record_line, std::string("missing column '") + name + "'");
    return static_cast<std::size_t>(it - header.begin());
  };
  std::size_t id_col = column("id"), campaign_col = column("campaign"),
              duration_col = column("duration"), y_col = column("y");
  ReplayWorld world;
  while (next_record()) {
    std::size_t fields = record.size();
    // A delimiter that ends a row adds no field (spreadsheet exports write one).
    if (fields == header.size() + 1 && record.spans.back().second == 0) --fields;
    if (fields != header.size()) {
      throw fail(record_line, "expected " + std::to_string(header.size()) + " fields, got " +
                                  std::to_string(fields));
    }
    ReplayRecord r;
    try {
      r.reached_on_attempt = std::max(1, std::stoi(std::string(record.field(campaign_col))));
      r.talk_s = std::max(0.0, std::stod(std::string(record.field(duration_col))));
    } catch (const std::exception&) {
      throw fail(record_line, "campaign/duration are not numbers");
    }
    r.success = record.field(y_col) == "yes";
    world.records[std::string(record.field(id_col))] = r;
  }
  if (reader.bad()) throw Error(ErrorCode::kIo, path + ": read error");
  return world;
}

struct Simulator::Lock {
  detail::LightRecursiveMutex mutex;
};

struct Simulator::SimCall {
  using Outcome = Simulator::Fate;
  Outcome outcome = Outcome::kNoAnswer;
  double talk_s = 0;
  Disposition agent_disposition = Disposition::kNotInterested;
  std::uint32_t sequence = 0;
  bool answered = false;
  bool bridged = false;
  AgentId agent = kNoAgent;  // once bridged
  std::vector<TimerId> timers;
  std::vector<PendingEvent> pending;  // what each of `timers` delivers, by slot
  CallForecast forecast;              // what the engine will see (oracle queries)
};

Simulator::Simulator(SimulationOptions options, Clock* clock, EventListener* downstream)
    : EventListenerWrapper(downstream),
      options_(std::move(options)),
      clock_(clock),
      lock_(std::make_unique<Lock>()),
      rng_(options_.seed) {
  event_timers_.simulator = this;
  wrap_up_timers_.simulator = this;
  // Busyness factors are drawn here, before any outbound draw; without inbound streams the
  // generator's sequence is the one every earlier version drew.
  for (auto& arrivals : options_.inbound) {
    InboundStream stream;
    if (arrivals.start == TimePoint{}) arrivals.start = clock_->now();
    stream.at = arrivals.start;
    if (arrivals.busyness_shape > 0) {
      std::gamma_distribution<double> b(arrivals.busyness_shape, 1.0 / arrivals.busyness_shape);
      stream.busyness = b(rng_);
    }
    inbound_.push_back(stream);
  }
}

std::vector<double> Simulator::busyness() const {
  std::vector<double> out;
  for (const auto& s : inbound_) out.push_back(s.busyness);
  return out;
}

// Draws the stream's next arrival. The rate is constant within a period: an exponential gap at
// the period's rate, drawn again from the period's end when it falls beyond (memorylessness).
void Simulator::schedule_inbound(std::size_t i) {
  const InboundArrivals& a = options_.inbound[i];
  InboundStream& stream = inbound_[i];
  TimePoint period_start = a.start;
  for (const auto& [length, per_hour] : a.periods) {
    const TimePoint period_end = period_start + length;
    if (stream.at < period_end) {
      const double rate = per_hour * stream.busyness / 3600.0;
      if (rate > 0) {
        std::exponential_distribution<double> gap(rate);
        const TimePoint next = stream.at + seconds_to_duration(gap(rng_));
        if (next < period_end) {
          stream.at = next;
          timers_set_ = true;
          stream.timer = clock_->schedule_at(next, [this, i] { inbound_arrival(i); });
          return;
        }
      }
      stream.at = period_end;
    }
    period_start = period_end;
  }
  stream.timer = 0;  // past the last period
}

CallId Simulator::next_inbound_id() {
  Storage* storage = engine_ != nullptr ? engine_->storage() : nullptr;
  if (storage == nullptr) return kFirstInboundCallId + inbound_calls_.load();
  if (inbound_ids_.empty()) {
    // A block per storage call: on a database each allocation is a statement.
    constexpr std::size_t kBlock = 64;
    try {
      inbound_ids_ = storage->allocate_call_ids(kBlock);
    } catch (const std::exception&) {
      return kNoCall;
    }
    std::reverse(inbound_ids_.begin(), inbound_ids_.end());
  }
  const CallId id = inbound_ids_.back();
  inbound_ids_.pop_back();
  return kFirstInboundCallId + id;
}

void Simulator::inbound_arrival(std::size_t i) {
  InboundCall in;
  CallEventSink* sink;
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
    if (stopped_ || sink_ == nullptr) return;
    const InboundArrivals& a = options_.inbound[i];
    inbound_[i].timer = 0;
    const CallId id = next_inbound_id();
    if (id == kNoCall) {
      schedule_inbound(i);
      return;
    }
    inbound_calls_.fetch_add(1);
    SimCall& c = insert_call(id);
    c.outcome = Fate::kLive;
    c.answered = true;
    c.talk_s = a.service.sample(rng_);
    c.agent_disposition = Disposition::kCompleted;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const bool balks = a.balk_probability > 0 && u(rng_) < a.balk_probability;
    const double patience = a.patience.sample(rng_);
    // The caller hangs up after their patience unless an agent takes the call first (bridge()
    // cancels it); a balking caller at once, unless taken as the call arrives.
    emit(c, id, clock_->now(), CallEventKind::kCompleted, balks ? 0.0 : patience);
    in.call_id = id;
    in.to = a.number;
    in.from = a.from;
    in.timestamp = clock_->now();
    schedule_inbound(i);
    sink = sink_;
  }
  // Outside our lock, as deliver().
  sink->on_inbound_call(in);
}

namespace {
constexpr CallId kDenseCalls = CallId{1} << 24;
}

Simulator::SimCall* Simulator::find_call(CallId id) const {
  if (id >= dense_base_ && id - dense_base_ < kDenseCalls) {
    const CallId i = id - dense_base_;
    return i < calls_dense_.size() ? calls_dense_[i].get() : nullptr;
  }
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

Simulator::SimCall& Simulator::insert_call(CallId id) {
  std::unique_ptr<SimCall> call;
  if (spare_calls_.empty()) {
    call = std::make_unique<SimCall>();
    call->timers.reserve(6);  // at most 5 events are pending at once
    call->pending.reserve(6);
  } else {
    call = std::move(spare_calls_.back());
    spare_calls_.pop_back();
    std::vector<TimerId> timers = std::move(call->timers);
    std::vector<PendingEvent> pending = std::move(call->pending);
    *call = SimCall{};
    timers.clear();
    pending.clear();
    call->timers = std::move(timers);
    call->pending = std::move(pending);
  }
  SimCall& c = *call;
  std::unique_ptr<SimCall>* slot;
  if (id >= dense_base_ && id - dense_base_ < kDenseCalls) {
    if (id - dense_base_ >= calls_dense_.size()) {
      // Before growing, drop the leading slots of ended calls when they are half the table.
      std::size_t ended = 0;
      while (ended < calls_dense_.size() && !calls_dense_[ended]) ++ended;
      if (ended > 0 && ended >= calls_dense_.size() / 2) {
        calls_dense_.erase(calls_dense_.begin(),
                           calls_dense_.begin() + static_cast<std::ptrdiff_t>(ended));
        dense_base_ += ended;
      }
      const std::size_t i = id - dense_base_;
      if (i >= calls_dense_.size()) {
        calls_dense_.resize(std::max<std::size_t>(i + 1, 2 * calls_dense_.size()));
      }
    }
    slot = &calls_dense_[id - dense_base_];
  } else {
    slot = &calls_[id];
  }
  if (*slot && spare_calls_.size() < 1024) spare_calls_.push_back(std::move(*slot));
  *slot = std::move(call);
  return c;
}

void Simulator::erase_call(CallId id) {
  std::unique_ptr<SimCall> call;
  if (id >= dense_base_ && id - dense_base_ < kDenseCalls) {
    if (id - dense_base_ < calls_dense_.size()) call = std::move(calls_dense_[id - dense_base_]);
  } else if (auto it = calls_.find(id); it != calls_.end()) {
    call = std::move(it->second);
    calls_.erase(it);
  }
  if (call && spare_calls_.size() < 1024) spare_calls_.push_back(std::move(call));
}

Simulator::~Simulator() {
  // No event of ours may fire on the clock afterwards.
  stop();
}

void Simulator::attach(Engine* engine) {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  engine_ = engine;
}

void Simulator::start(CallEventSink* sink) {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  sink_ = sink;
  stopped_ = false;
  for (std::size_t i = 0; i < inbound_.size(); ++i) {
    if (inbound_[i].timer == 0) schedule_inbound(i);
  }
}

void Simulator::stop() {
  bool timers_set;
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
    timers_set = timers_set_;
    timers_set_ = false;
    stopped_ = true;
    sink_ = nullptr;
    engine_ = nullptr;
    for (auto& call : calls_dense_) {
      if (call) cancel_timers(*call);
    }
    for (auto& [id, call] : calls_) cancel_timers(*call);
    for (auto& [agent, plan] : agent_plans_) clear_plan(plan);
    for (auto& stream : inbound_) {
      if (stream.timer != 0) clock_->cancel(stream.timer), stream.timer = 0;
    }
  }
  // A real clock's thread may have taken one of those timers before they were cancelled: its
  // delivery, if past our lock, still calls the sink or the engine. Outside our lock, which the
  // delivery may be waiting for. A simulator that set no timer since it last stopped leaves the
  // clock alone: ~Simulator after ~Engine may run when the clock is gone.
  if (timers_set) clock_->wait_for_running_timers();
}

void Simulator::emit(SimCall& call, CallId id, TimePoint now, CallEventKind kind, double delay_s,
                     AmdResult amd, FailReason reason) {
  if (stopped_) return;
  timers_set_ = true;
  const std::uint64_t slot = call.pending.size();
  call.pending.push_back(PendingEvent{kind, ++call.sequence, amd, reason});
  const TimePoint at = now + seconds_to_duration(delay_s);
  TimerId timer;
  if (slot < kEventSlots && id < (CallId{1} << (64 - kEventSlotBits))) {
    // (call, slot) packed in one word: the timer's key, no std::function per simulated event.
    // ~Simulator cancels pending timers, so no liveness token.
    timer = clock_->schedule_call(at, &event_timers_, (id << kEventSlotBits) | slot);
  } else {
    timer = clock_->schedule_at(at, [this, id, slot] { deliver(id, slot); });
  }
  call.timers.push_back(timer);
}

void Simulator::deliver(CallId id, std::size_t slot) {
  CallEvent e;
  CallEventSink* sink;
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
    SimCall* found = find_call(id);
    if (found == nullptr || slot >= found->pending.size()) return;
    SimCall& c = *found;
    const PendingEvent p = c.pending[slot];
    e.call_id = id;
    e.kind = p.kind;
    e.sequence = p.sequence;
    e.timestamp = clock_->now();
    e.amd = p.amd;
    e.fail_reason = p.reason;
    if (p.kind == CallEventKind::kAnswered) c.answered = true;
    if (ends_call(p.kind)) {
      if (c.bridged) {
        // Kept for the agent's wrap-up, which ends with it.
        auto plan = agent_plans_.find(c.agent);
        if (plan != agent_plans_.end() && plan->second.call == id) {
          plan->second.disposition = c.agent_disposition;
        }
      }
      erase_call(id);
    }
    sink = sink_;
  }
  // Outside our lock: a real-time engine's sink takes the engine's mutex, and the engine calls
  // on_agent_state() (which takes ours) holding it — a lock-order inversion TSan found. stop()
  // waits for this call before the sink may go.
  if (sink != nullptr) sink->on_call_event(e);
}

void Simulator::cancel_timers(SimCall& call) {
  for (TimerId t : call.timers) clock_->cancel(t);
  call.timers.clear();
  call.pending.clear();  // their slots are free again: the cancelled timers never fire
}

// Draws one parametric attempt ahead of its originate, every variable it may need in a fixed
// order (so the draws do not depend on the campaign that will dial it).
Simulator::Draws Simulator::draw_parametric_ahead() {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const ParametricWorld& w = options_.parametric;
  Draws d;
  d.setup_s = options_.setup_delay.sample(rng_);
  const double p_live = w.p_live_at(clock_->now());
  double x = u(rng_);
  if (x < p_live) {
    d.fate = Fate::kLive;
    d.ring_s = w.answer_delay.sample(rng_);
    d.talk_s = w.talk.sample(rng_);
    d.agent_disposition = u(rng_) < w.p_sale ? Disposition::kSale : Disposition::kNotInterested;
  } else if ((x -= p_live) < w.p_machine) {
    d.fate = Fate::kMachine;
    d.ring_s = w.answer_delay.sample(rng_);
  } else if ((x -= w.p_machine) < w.p_busy) {
    d.fate = Fate::kBusy;
    d.ring_s = w.busy_delay.sample(rng_);
  } else if ((x -= w.p_busy) < w.p_invalid) {
    d.fate = Fate::kInvalid;
    d.ring_s = w.invalid_delay.sample(rng_);
  } else {
    d.fate = Fate::kNoAnswer;
  }
  if (d.fate == Fate::kLive || d.fate == Fate::kMachine) {
    d.amd_u = u(rng_);
    d.amd_delay_s = options_.amd_delay.sample(rng_);
    d.patience_s = options_.patience.sample(rng_);
  }
  return d;
}

OriginateForecast Simulator::forecast_of(const Draws& d, Duration ring_timeout, bool amd) const {
  OriginateForecast f;
  const double timeout_s = to_seconds(ring_timeout);
  Fate fate = d.fate;
  bool answers = fate == Fate::kLive || fate == Fate::kMachine;
  if (answers && d.ring_s >= timeout_s) fate = Fate::kNoAnswer;
  switch (fate) {
    case Fate::kBusy:
    case Fate::kInvalid:
      f.resolves_after_s = d.setup_s + d.ring_s;
      return f;
    case Fate::kNoAnswer:
      f.resolves_after_s = d.setup_s + timeout_s;
      return f;
    case Fate::kLive:
    case Fate::kMachine:
      break;
  }
  bool human = fate == Fate::kLive;
  f.resolves_after_s = d.setup_s + d.ring_s;
  if (amd) {
    f.live_answer =
        human ? !(d.amd_u < options_.amd_false_positive) : d.amd_u < options_.amd_false_negative;
    f.resolves_after_s = d.setup_s + d.ring_s + d.amd_delay_s;
  } else {
    f.live_answer = true;  // without AMD the engine treats every answer as a person
  }
  f.talk_s = human ? d.talk_s : 20.0;
  return f;
}

void Simulator::originate(const OriginateRequest& request) {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  ++originated_;
  CallId id = request.call_id;
  SimCall& c = insert_call(id);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double ring_timeout = to_seconds(request.ring_timeout);
  double setup = 0, ring = 0, amd_u = 1.0, amd_delay = 0, patience = 0;
  if (!ahead_.empty() && !options_.replay) {
    // Drawn ahead by peek_next_originates(): the forecast given then comes true.
    Draws d = ahead_.front();
    ahead_.pop_front();
    setup = d.setup_s;
    c.outcome = d.fate;
    ring = d.ring_s;
    if (d.fate == Fate::kLive) {
      c.talk_s = d.talk_s;
      c.agent_disposition = d.agent_disposition;
    }
    amd_u = d.amd_u;
    amd_delay = d.amd_delay_s;
    patience = d.patience_s;
    bool answers = c.outcome == Fate::kLive || c.outcome == Fate::kMachine;
    if (answers && ring >= ring_timeout) c.outcome = Fate::kNoAnswer;
  } else {
    // Drawn now, in the order every earlier version drew them (seeds keep their runs).
    setup = options_.setup_delay.sample(rng_);
    if (options_.replay) {
      auto it = options_.replay->records.find(request.external_id);
      ReplayRecord rec = it != options_.replay->records.end() ? it->second : ReplayRecord{};
      if (request.attempt_number >= rec.reached_on_attempt) {
        c.outcome = SimCall::Outcome::kLive;
        c.talk_s = rec.talk_s;
        c.agent_disposition = rec.success ? Disposition::kSale : Disposition::kNotInterested;
        // The data says this attempt reached the client: it answers before the ring timeout.
        ring = std::min(options_.replay->answer_delay.sample(rng_),
                        0.9 * to_seconds(request.ring_timeout));
      } else {
        const ReplayWorld& w = *options_.replay;
        double total = w.share_no_answer + w.share_busy + w.share_machine;
        double x = u(rng_) * (total > 0 ? total : 1.0);
        if (x < w.share_busy) {
          c.outcome = SimCall::Outcome::kBusy;
          ring = w.busy_delay.sample(rng_);
        } else if (x < w.share_busy + w.share_machine) {
          c.outcome = SimCall::Outcome::kMachine;
          ring = w.answer_delay.sample(rng_);
        } else {
          c.outcome = SimCall::Outcome::kNoAnswer;
        }
      }
    } else {
      const ParametricWorld& w = options_.parametric;
      const double p_live = w.p_live_at(clock_->now());
      double x = u(rng_);
      if (x < p_live) {
        c.outcome = SimCall::Outcome::kLive;
        ring = w.answer_delay.sample(rng_);
        c.talk_s = w.talk.sample(rng_);
        c.agent_disposition = u(rng_) < w.p_sale ? Disposition::kSale : Disposition::kNotInterested;
      } else if ((x -= p_live) < w.p_machine) {
        c.outcome = SimCall::Outcome::kMachine;
        ring = w.answer_delay.sample(rng_);
      } else if ((x -= w.p_machine) < w.p_busy) {
        c.outcome = SimCall::Outcome::kBusy;
        ring = w.busy_delay.sample(rng_);
      } else if ((x -= w.p_busy) < w.p_invalid) {
        c.outcome = SimCall::Outcome::kInvalid;
        ring = w.invalid_delay.sample(rng_);
      } else {
        c.outcome = SimCall::Outcome::kNoAnswer;
      }
    }
    bool answers = c.outcome == SimCall::Outcome::kLive || c.outcome == SimCall::Outcome::kMachine;
    if (answers && ring >= ring_timeout) c.outcome = SimCall::Outcome::kNoAnswer;
    if (c.outcome == SimCall::Outcome::kLive || c.outcome == SimCall::Outcome::kMachine) {
      if (request.amd) {
        amd_u = u(rng_);
        amd_delay = options_.amd_delay.sample(rng_);
      }
      patience = options_.patience.sample(rng_);
    }
  }

  const TimePoint now = clock_->now();
  c.forecast = CallForecast{};
  emit(c, id, now, CallEventKind::kInitiated, setup);
  switch (c.outcome) {
    case SimCall::Outcome::kBusy:
      c.forecast.resolves_at = now + seconds_to_duration(setup + ring);
      emit(c, id, now, CallEventKind::kBusy, setup + ring);
      return;
    case SimCall::Outcome::kInvalid:
      c.forecast.resolves_at = now + seconds_to_duration(setup + ring);
      emit(c, id, now, CallEventKind::kFailed, setup + ring, AmdResult::kNone,
           FailReason::kInvalidNumber);
      return;
    case SimCall::Outcome::kNoAnswer:
      c.forecast.resolves_at = now + seconds_to_duration(setup + ring_timeout);
      emit(c, id, now, CallEventKind::kRinging, setup);
      emit(c, id, now, CallEventKind::kNoAnswer, setup + ring_timeout);
      return;
    case SimCall::Outcome::kLive:
    case SimCall::Outcome::kMachine:
      break;
  }
  emit(c, id, now, CallEventKind::kRinging, setup);
  emit(c, id, now, CallEventKind::kAnswered, setup + ring);
  bool human = c.outcome == SimCall::Outcome::kLive;
  c.forecast.resolves_at = now + seconds_to_duration(setup + ring);
  c.forecast.live_answer = true;  // without AMD the engine treats every answer as a person
  if (request.amd) {
    AmdResult amd;
    if (human) {
      amd = amd_u < options_.amd_false_positive ? AmdResult::kMachine : AmdResult::kHuman;
    } else {
      amd = amd_u < options_.amd_false_negative ? AmdResult::kHuman : AmdResult::kMachine;
    }
    emit(c, id, now, CallEventKind::kAmdResult, setup + ring + amd_delay, amd);
    c.forecast.live_answer = amd == AmdResult::kHuman;
    c.forecast.resolves_at = now + seconds_to_duration(setup + ring + amd_delay);
  }
  if (!human) {
    // A machine reached without AMD talks to whoever answers it for its greeting's length.
    c.talk_s = 20.0;
    c.agent_disposition = Disposition::kMachine;
  }
  c.forecast.talk_s = c.forecast.live_answer ? c.talk_s : 0.0;
  // The person hangs up if nobody comes: counted as abandoned by the state machine.
  emit(c, id, now, CallEventKind::kCompleted, setup + ring + patience);
}

std::optional<CallForecast> Simulator::forecast(CallId id) const {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  SimCall* c = find_call(id);
  if (c == nullptr) return std::nullopt;
  return c->forecast;
}

std::optional<TimePoint> Simulator::agent_free_at(AgentId agent) {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  auto it = agent_plans_.find(agent);
  if (it == agent_plans_.end() || it->second.call == kNoCall) return std::nullopt;
  AgentPlan& plan = it->second;
  if (plan.free_at) return plan.free_at;
  if (!plan.wrap_s) plan.wrap_s = options_.wrap_up.sample(rng_);
  return plan.talk_end + seconds_to_duration(*plan.wrap_s);
}

std::vector<OriginateForecast> Simulator::peek_next_originates(std::size_t n, Duration ring_timeout,
                                                               bool amd) {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  if (options_.replay) {
    throw Error(ErrorCode::kState,
                "peek_next_originates: a replay world decides an attempt's fate by its contact; "
                "only the parametric world can be peeked");
  }
  while (ahead_.size() < n) ahead_.push_back(draw_parametric_ahead());
  std::vector<OriginateForecast> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(forecast_of(ahead_[i], ring_timeout, amd));
  return out;
}

void Simulator::hangup(CallId id) {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  SimCall* found = find_call(id);
  if (found == nullptr) return;
  SimCall& c = *found;
  cancel_timers(c);
  const TimePoint now = clock_->now();
  emit(c, id, now, c.answered ? CallEventKind::kCompleted : CallEventKind::kCanceled, 0.0);
}

void Simulator::bridge(CallId id, AgentId agent) {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  SimCall* found = find_call(id);
  if (found == nullptr) return;
  SimCall& c = *found;
  cancel_timers(c);  // the patience hangup no longer applies
  c.bridged = true;
  c.agent = agent;
  double delay = options_.bridge_delay.sample(rng_);
  const TimePoint now = clock_->now();
  emit(c, id, now, CallEventKind::kBridged, delay);
  emit(c, id, now, CallEventKind::kCompleted, delay + c.talk_s);
  AgentPlan& plan = agent_plans_[agent];
  clear_plan(plan);
  plan.call = id;
  plan.talk_end = now + seconds_to_duration(delay + c.talk_s);
}

void Simulator::stop_amd(CallId id) {
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  SimCall* found = find_call(id);
  if (found == nullptr) return;
  SimCall& c = *found;
  for (std::size_t slot = 0; slot < c.pending.size() && slot < c.timers.size(); ++slot) {
    if (c.pending[slot].kind == CallEventKind::kAmdResult) clock_->cancel(c.timers[slot]);
  }
  // Put through unclassified: the engine takes the answer as a person now, machine or not, and
  // a machine talks its greeting to the agent.
  c.forecast.live_answer = true;
  c.forecast.resolves_at = clock_->now();
  c.forecast.talk_s = c.talk_s;
}

void Simulator::play(CallId, const std::string&) {}

bool Simulator::calls_outlive_engine() const { return options_.calls_outlive_engine; }

void Simulator::on_agent_state(const AgentStateChange& change) {
  EventListenerWrapper::on_agent_state(change);
  if (change.to != AgentState::kWrapUp && change.to != AgentState::kReserved &&
      change.to != AgentState::kOnCall) {
    std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
    // Free (or gone): no call ahead, and a wrap-up the engine closed itself ends here.
    if (auto plan = agent_plans_.find(change.agent); plan != agent_plans_.end()) {
      clear_plan(plan->second);
    }
  }
  if (change.to != AgentState::kWrapUp) return;
  std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
  if (engine_ == nullptr || stopped_) return;
  const CallId call = change.call_id;
  AgentPlan& plan = agent_plans_[change.agent];
  if (plan.call != call) {
    clear_plan(plan);  // not a call bridged here: the agent's disposition is unknown
    plan.call = call;
    plan.talk_end = clock_->now();
  }
  // The wrap-up drawn ahead by agent_free_at() if there was one, else drawn now.
  const double wrap = plan.wrap_s ? *plan.wrap_s : options_.wrap_up.sample(rng_);
  plan.wrap_s = wrap;
  plan.free_at = clock_->now() + seconds_to_duration(wrap);
  if (plan.wrap_timer != 0) clock_->cancel(plan.wrap_timer);
  plan.wrap_timer = clock_->schedule_call(*plan.free_at, &wrap_up_timers_, change.agent);
  timers_set_ = true;
}

void Simulator::end_wrap_up(AgentId agent) {
  CallId call;
  Disposition d;
  Engine* engine;
  {
    std::lock_guard<detail::LightRecursiveMutex> lock(lock_->mutex);
    auto plan = agent_plans_.find(agent);
    if (plan == agent_plans_.end() || plan->second.wrap_timer == 0) return;
    plan->second.wrap_timer = 0;
    call = plan->second.call;
    d = plan->second.disposition;
    engine = engine_;
  }
  if (engine == nullptr) return;  // stopped
  // Outside our lock, as deliver(): the engine calls on_agent_state() back.
  try {
    engine->set_disposition(call, d);
  } catch (const Error&) {
    // The engine already closed the wrap-up (max_wrap_up): nothing to do.
  }
}

void Simulator::clear_plan(AgentPlan& plan) {
  if (plan.wrap_timer != 0) clock_->cancel(plan.wrap_timer);
  plan = AgentPlan{};
}

EngineOptions Simulation::quiet_engine_options() {
  EngineOptions options;
  options.journal_state_changes = false;
  options.log_level = LogLevel::kWarn;
  return options;
}

Simulation::Simulation(SimulationOptions world, TimePoint start, EngineOptions engine_options,
                       const MemoryStorageOptions& storage_options, EventListener* downstream)
    : storage_(make_memory_storage(storage_options)),
      clock_(start),
      simulator_(std::move(world), &clock_, downstream),
      engine_(std::move(engine_options), storage_.get(), &simulator_, &clock_, &simulator_) {
  simulator_.attach(&engine_);
}

std::vector<AgentId> Simulation::add_agents(const std::string& campaign_id, int count,
                                            bool log_in) {
  std::vector<AgentId> ids;
  for (int i = 0; i < count; ++i) {
    ids.push_back(engine_.add_agent(campaign_id, "agent-" + std::to_string(i + 1)));
    if (log_in) engine_.set_agent_state(ids.back(), AgentState::kAvailable);
  }
  return ids;
}

}  // namespace omnivox
