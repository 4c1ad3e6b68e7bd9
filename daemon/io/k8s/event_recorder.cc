#include "io/k8s/event_recorder.h"

#include <fmt/format.h>

namespace lbd::k8s {

EventRecorder::EventRecorder(ApiClient& api, std::shared_ptr<spdlog::logger> log, Clock clock)
    : api_(api), log_(std::move(log)), clock_(std::move(clock)) {}

EventRecorder::~EventRecorder() {
  *alive_ = false;
}

void EventRecorder::record(const EventSpec& spec, std::function<void(bool)> done) {
  std::string key = EventAggregator::keyOf(spec);
  auto found = pending_.find(key);
  if (found != pending_.end()) {
    ++found->second.occurrences;
    ++counters_.aggregated;
    if (done) found->second.done.push_back(std::move(done));
    // A queued request will carry it; if one is on the wire, finish() sends another.
    return;
  }
  if (pending_.size() >= kMaxPending) {
    if (counters_.dropped++ % 1000 == 0) {
      log_->warn("events: {} waiting to be written; dropping {} for {}/{} ({} dropped so far)",
                 pending_.size(), spec.reason, spec.namespace_, spec.involved_name,
                 counters_.dropped);
    }
    if (done) done(false);
    return;
  }
  Pending& pending = pending_[key];
  pending.spec = spec;
  pending.occurrences = 1;
  if (done) pending.done.push_back(std::move(done));
  submit(key, true);
}

void EventRecorder::submit(const std::string& key, bool retry_as_new) {
  // What to write is decided when the scheduler gets to it: by then more repeats may have
  // been folded in, and the aggregator knows the Event's latest count.
  auto write = std::make_shared<EventAggregator::Write>();
  auto carried = std::make_shared<std::int32_t>(0);
  auto build = [this, alive = alive_, key, write, carried]() -> std::optional<OutgoingRequest> {
    if (!*alive) return std::nullopt;
    auto it = pending_.find(key);
    if (it == pending_.end()) return std::nullopt;
    Pending& pending = it->second;
    const WallClock now = clock_();
    // Like client-go: the object's name plus the time in hex nanoseconds, unique per recorder.
    const auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    *write = aggregator_.next(pending.spec, fmt::format("{:x}", nanos), pending.occurrences);
    *carried = pending.occurrences;
    pending.occurrences = 0;
    pending.in_flight = true;
    const std::string collection = "/api/v1/namespaces/" + pending.spec.namespace_ + "/events";
    if (write->create) {
      const std::string suffix = write->name.substr(pending.spec.involved_name.size() + 1);
      return OutgoingRequest{"POST",
                             collection,
                             eventObject(pending.spec, suffix, now, write->count).dump(),
                             "application/json",
                             {},
                             std::nullopt};
    }
    return OutgoingRequest{"PATCH",
                           collection + "/" + write->name,
                           eventRepeatPatch(write->count, now).dump(),
                           "application/merge-patch+json",
                           {},
                           std::nullopt};
  };
  api_.submit(RequestClass::Event, std::move(build),
              [this, alive = alive_, key, write, carried, retry_as_new](ApiResponse response) {
                if (!*alive) return;
                auto it = pending_.find(key);
                if (it == pending_.end()) return;
                Pending& pending = it->second;
                pending.in_flight = false;
                if (response.ok()) {
                  ++counters_.written;
                  aggregator_.written(pending.spec, *write);
                  finish(key, true);
                  return;
                }
                if (!write->create && response.status == 404 && retry_as_new) {
                  // The Event expired on the server (default TTL one hour): start a new one
                  // that carries the same occurrences.
                  aggregator_.forget(pending.spec);
                  pending.occurrences += *carried;
                  submit(key, false);
                  return;
                }
                if (response.dropped) {
                  ++counters_.dropped;
                } else {
                  ++counters_.failed;
                }
                log_->warn("event {} for {}/{} not recorded: {}", pending.spec.reason,
                           pending.spec.namespace_, pending.spec.involved_name,
                           response.describe());
                finish(key, false);
              });
}

void EventRecorder::finish(const std::string& key, bool written) {
  auto it = pending_.find(key);
  Pending& pending = it->second;
  if (pending.occurrences > 0) {
    // Repeats arrived while the request was on the wire: one more request carries them.
    // (Their callbacks wait for it.)
    submit(key, true);
    return;
  }
  auto callbacks = std::move(pending.done);
  pending_.erase(it);
  for (auto& done : callbacks)
    done(written);
}

}  // namespace lbd::k8s
