#pragma once
// The simulation's clock and agenda: events ordered by simulated time, ties in the order they
// were scheduled (so a run is the same on every machine for the same seed). Time jumps from one
// event to the next: an idle second of 1,000 hosts costs nothing, unlike a millisecond tick loop.
// The hot events (watch deliveries, decides, heartbeat timers) are plain records; the rare ones
// (writes on their way, scenario steps) carry a callback kept in a slot table, so the heap moves
// 32-byte records and never std::function objects.

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "core/election/heartbeat.h"

namespace lbd::sim {

using election::MonotonicTime;

enum class EventKind : std::uint8_t {
  WatchDue,        // host: watch events have reached it
  Decide,          // host: a posted decide (decideSoon)
  Wakeup,          // host: the election's next_wakeup timer; arg = timer generation
  HeartbeatTimer,  // host: renew-interval elapsed
  Callback,        // arg = slot of the callback
};

struct Event {
  MonotonicTime at;
  std::uint64_t seq = 0;
  EventKind kind = EventKind::Callback;
  std::uint32_t host = 0;
  std::uint64_t arg = 0;
};

class EventQueue {
 public:
  explicit EventQueue(MonotonicTime start) : now_(start) {}

  MonotonicTime now() const { return now_; }
  bool empty() const { return heap_.empty(); }
  MonotonicTime nextAt() const { return heap_.top().at; }

  void push(MonotonicTime at, EventKind kind, std::uint32_t host, std::uint64_t arg = 0) {
    heap_.push({at < now_ ? now_ : at, seq_++, kind, host, arg});
  }
  void call(MonotonicTime at, std::function<void()> callback) {
    std::uint64_t slot;
    if (free_.empty()) {
      slot = callbacks_.size();
      callbacks_.push_back(std::move(callback));
    } else {
      slot = free_.back();
      free_.pop_back();
      callbacks_[slot] = std::move(callback);
    }
    push(at, EventKind::Callback, 0, slot);
  }
  /// The next event; the clock moves to its time.
  Event pop() {
    Event event = heap_.top();
    heap_.pop();
    now_ = event.at;
    return event;
  }
  /// Runs and frees a Callback event's slot.
  void runCallback(const Event& event) {
    std::function<void()> callback = std::move(callbacks_[event.arg]);
    callbacks_[event.arg] = nullptr;
    free_.push_back(event.arg);
    callback();
  }
  /// Moves the clock to `at` when nothing is due before it.
  void advanceTo(MonotonicTime at) {
    if (at > now_) now_ = at;
  }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };
  MonotonicTime now_;
  std::uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  std::vector<std::function<void()>> callbacks_;
  std::vector<std::uint64_t> free_;
};

}  // namespace lbd::sim
