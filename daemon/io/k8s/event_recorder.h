#pragma once
// Records core/v1 Events about Services (IPAllocated, AllocationFailed, ...) so `kubectl
// describe service` shows what lbd did. Repeats of the same event patch its count and
// lastTimestamp instead of creating new objects (core/k8s/event_aggregator.h).
//
// Events are best effort and the lowest request class: under a storm they wait until status
// writes are done. While one waits, repeats of it fold into its count (one request, not N),
// and at most kMaxPending distinct events wait at a time; beyond that an event is dropped and
// counted, never lost silently. A failure is logged, never retried beyond the scheduler's own
// retries, and never blocks the caller.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>

#include "core/k8s/event_aggregator.h"
#include "core/k8s/object_builders.h"
#include "io/k8s/api_client.h"

namespace lbd::k8s {

struct EventCounters {
  std::uint64_t written = 0;     // requests the server accepted
  std::uint64_t aggregated = 0;  // occurrences folded into a waiting or existing Event's count
  std::uint64_t dropped = 0;     // not written: too many distinct events waiting
  std::uint64_t failed = 0;      // not written: the server refused or did not answer
};

class EventRecorder {
 public:
  using Clock = std::function<WallClock()>;
  static constexpr std::size_t kMaxPending = 1024;

  EventRecorder(
      ApiClient& api, std::shared_ptr<spdlog::logger> log,
      Clock clock = [] { return std::chrono::system_clock::now(); });
  ~EventRecorder();

  /// `done` (optional) gets whether the server took the event (a folded repeat: whether the
  /// write that carried it was taken).
  void record(const EventSpec& spec, std::function<void(bool)> done = {});

  const EventCounters& counters() const { return counters_; }
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    EventSpec spec;
    std::int32_t occurrences = 0;  // not yet carried by a request
    bool in_flight = false;
    std::vector<std::function<void(bool)>> done;
  };
  void submit(const std::string& key, bool retry_as_new);
  void finish(const std::string& key, bool written);

  ApiClient& api_;
  std::shared_ptr<spdlog::logger> log_;
  Clock clock_;
  EventAggregator aggregator_;
  std::unordered_map<std::string, Pending> pending_;
  EventCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lbd::k8s
