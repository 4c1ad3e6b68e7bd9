#include "io/k8s/event_recorder.h"

#include <fmt/format.h>

namespace lbd::k8s {

void EventRecorder::record(const EventSpec& spec, std::function<void(bool)> done) {
  write(spec, true, std::move(done));
}

void EventRecorder::write(const EventSpec& spec, bool retry_as_new,
                          std::function<void(bool)> done) {
  const WallClock now = clock_();
  // Like client-go: the object's name plus the time in hex nanoseconds, unique per recorder.
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const auto write = aggregator_.next(spec, fmt::format("{:x}", nanos));
  const std::string collection = "/api/v1/namespaces/" + spec.namespace_ + "/events";
  auto finish = [this, spec, write, retry_as_new, done](ApiResponse response) {
    if (response.ok()) {
      aggregator_.written(spec, write);
      if (done) done(true);
      return;
    }
    if (!write.create && response.status == 404 && retry_as_new) {
      // The Event expired on the server (default TTL one hour): start a new one.
      aggregator_.forget(spec);
      this->write(spec, false, done);
      return;
    }
    log_->warn("event {} for {}/{} not recorded: {}", spec.reason, spec.namespace_,
               spec.involved_name, response.describe());
    if (done) done(false);
  };
  if (write.create) {
    Json event = eventObject(spec, write.name.substr(spec.involved_name.size() + 1), now);
    api_.call("POST", collection, event.dump(), "application/json", std::move(finish));
  } else {
    api_.call("PATCH", collection + "/" + write.name, eventRepeatPatch(write.count, now).dump(),
              "application/merge-patch+json", std::move(finish));
  }
}

}  // namespace lbd::k8s
