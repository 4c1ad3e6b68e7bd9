#pragma once
// Records core/v1 Events about Services (IPAllocated, AllocationFailed, ...) so `kubectl
// describe service` shows what lbd did. Repeats of the same event patch its count and
// lastTimestamp instead of creating new objects (core/k8s/event_aggregator.h). Events are
// best effort: a failure is logged, never retried beyond the API client's own retries, and
// never blocks the caller.

#include <chrono>
#include <functional>
#include <memory>

#include <spdlog/logger.h>

#include "core/k8s/event_aggregator.h"
#include "core/k8s/object_builders.h"
#include "io/k8s/api_client.h"

namespace lbd::k8s {

class EventRecorder {
 public:
  using Clock = std::function<WallClock()>;

  EventRecorder(
      ApiClient& api, std::shared_ptr<spdlog::logger> log,
      Clock clock = [] { return std::chrono::system_clock::now(); })
      : api_(api), log_(std::move(log)), clock_(std::move(clock)) {}

  /// `done` (optional) gets whether the server took the event.
  void record(const EventSpec& spec, std::function<void(bool)> done = {});

 private:
  void write(const EventSpec& spec, bool retry_as_new, std::function<void(bool)> done);

  ApiClient& api_;
  std::shared_ptr<spdlog::logger> log_;
  Clock clock_;
  EventAggregator aggregator_;
};

}  // namespace lbd::k8s
