#include "core/election/heartbeat.h"

#include <algorithm>

#include "core/election/lease_names.h"

namespace lbd::election {

std::int32_t leaseSeconds(Duration duration) {
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(duration).count();
  return static_cast<std::int32_t>(std::max<std::int64_t>(1, seconds));
}

k8s::LeaseSpec heartbeatLease(const HeartbeatIdentity& identity,
                              const std::optional<k8s::Lease>& current, k8s::WallClock now) {
  k8s::LeaseSpec spec;
  spec.namespace_ = identity.lease_namespace;
  spec.name = heartbeatLeaseName(identity.node);
  spec.holder_identity = identity.node;
  spec.lease_duration_seconds = leaseSeconds(identity.lease_duration);
  spec.renew_time = now;
  spec.acquire_time = now;
  if (current) {
    spec.resource_version = current->meta.resource_version;
    spec.annotations = current->meta.annotations;
    spec.lease_transitions = current->lease_transitions;
    if (current->holder_identity == identity.node) {
      // A renewal: the term goes on. An unreadable acquireTime restarts it rather than
      // dropping the field.
      if (auto acquired = k8s::parseMicroTime(current->acquire_time)) spec.acquire_time = *acquired;
    } else {
      ++spec.lease_transitions;
    }
  }
  spec.annotations[std::string(kConfigHashAnnotation)] = identity.config_hash;
  spec.annotations[std::string(kVersionAnnotation)] = identity.version;
  if (identity.fast_endpoint.empty()) {
    spec.annotations.erase(std::string(kFastHeartbeatAnnotation));
  } else {
    spec.annotations[std::string(kFastHeartbeatAnnotation)] = identity.fast_endpoint;
  }
  return spec;
}

std::optional<k8s::LeaseSpec> heartbeatRelease(const HeartbeatIdentity& identity,
                                               const std::optional<k8s::Lease>& current,
                                               k8s::WallClock now) {
  if (!current || current->holder_identity != identity.node) return std::nullopt;
  k8s::LeaseSpec spec = heartbeatLease(identity, current, now);
  spec.holder_identity.clear();
  return spec;
}

void HeartbeatTracker::observe(const k8s::Lease& lease, MonotonicTime now) {
  auto [it, inserted] = records_.try_emplace(lease.meta.name);
  Record& record = it->second;
  const std::int32_t duration = lease.lease_duration_seconds.value_or(0);
  // Only a changed record restarts the clock: a host that stopped renewing looks the same on
  // every read and expires lease-duration after we first saw it so.
  const bool changed =
      inserted || record.holder != lease.holder_identity || record.renew_time != lease.renew_time ||
      record.acquire_time != lease.acquire_time || record.transitions != lease.lease_transitions ||
      record.duration_seconds != duration;
  if (!changed) return;
  record.holder = lease.holder_identity;
  record.renew_time = lease.renew_time;
  record.acquire_time = lease.acquire_time;
  record.transitions = lease.lease_transitions;
  record.duration_seconds = duration;
  record.changed_at = now;
}

void HeartbeatTracker::forget(std::string_view lease_name, MonotonicTime now) {
  auto it = records_.find(lease_name);
  if (it == records_.end()) {
    it = records_.emplace(std::string(lease_name), Record{}).first;
  }
  // Kept, not erased: "seen deleted" (not live) differs from "never seen" (unknown).
  it->second = Record{};
  it->second.changed_at = now;
}

MonotonicTime HeartbeatTracker::expiry(const Record& record) const {
  const Duration duration = record.duration_seconds > 0
                                ? Duration(std::chrono::seconds(record.duration_seconds))
                                : default_duration_;
  return record.changed_at + duration;
}

std::optional<MonotonicTime> HeartbeatTracker::liveUntil(std::string_view node) const {
  auto it = records_.find(heartbeatLeaseName(node));
  if (it == records_.end()) return std::nullopt;
  // A heartbeat names its own node; any other holder (released: "") means not live.
  if (it->second.holder != node) return it->second.changed_at;
  return expiry(it->second);
}

bool HeartbeatTracker::isLive(std::string_view node, MonotonicTime now) const {
  auto until = liveUntil(node);
  return until && now < *until;
}

std::vector<std::string> HeartbeatTracker::liveNodes(MonotonicTime now) const {
  std::vector<std::string> nodes;
  for (const auto& [name, record] : records_) {
    if (record.holder.empty() || heartbeatLeaseName(record.holder) != name) continue;
    if (now < expiry(record)) nodes.push_back(record.holder);
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

}  // namespace lbd::election
