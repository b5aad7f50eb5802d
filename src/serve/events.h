// The live-event journal of one tenant: call-state changes, agent-state changes and statistics
// ticks, each with a sequence number that Server-Sent Events carry as `id:`
// (https://html.spec.whatwg.org/multipage/server-sent-events.html). A client that reconnects
// with Last-Event-ID gets every retained event after it, in order, none twice.
//
// Sequence numbers start at the server's start time in microseconds since the Unix epoch and
// grow by one per event, so they keep growing across restarts of the server (an id from before
// a restart is older than every id after it). The journal keeps the last `capacity` events in
// memory; a client asking for an older one is told with a `gap` (events were lost to it).
//
// Thread-safety: every method may be called from any thread.
#ifndef OMNIVOX_SERVE_EVENTS_H_
#define OMNIVOX_SERVE_EVENTS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace omnivox::serve {

struct Event {
  std::uint64_t seq = 0;
  std::string campaign_id;
  std::string type;  ///< "call", "agent", "statistics", "campaign"
  std::string data;  ///< one line of JSON
};

class EventJournal {
 public:
  /// `capacity`: events kept for resuming (at least 1).
  explicit EventJournal(std::size_t capacity = 65536);
  /// Appends an event; returns its sequence number. Wakes every waiter.
  std::uint64_t append(std::string campaign_id, std::string type, std::string data);
  /// Up to `max` events with seq > `after`, of `campaign_id` (empty: every campaign), in order.
  /// `gap` (if given) is set when events after `after` were already dropped; `scanned_to` (if
  /// given) to the last sequence number looked at (the cursor of the next read: events of other
  /// campaigns are skipped, not read again).
  std::vector<Event> read_after(std::uint64_t after, std::string_view campaign_id, std::size_t max,
                                bool* gap = nullptr, std::uint64_t* scanned_to = nullptr) const;
  /// The newest sequence number (first - 1 when empty).
  std::uint64_t last_seq() const;
  /// `wake` is called (on the appending thread, without the journal's lock held) after each
  /// append until unsubscribe(id); it must be quick and must not call into the journal.
  std::uint64_t subscribe(std::function<void()> wake);
  void unsubscribe(std::uint64_t id);

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Event> events_;
  std::uint64_t next_seq_;
  std::mutex waiters_mutex_;
  std::map<std::uint64_t, std::function<void()>> waiters_;
  std::uint64_t next_waiter_ = 1;
};

}  // namespace omnivox::serve

#endif  // OMNIVOX_SERVE_EVENTS_H_
