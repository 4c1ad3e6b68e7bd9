#include "core/election/leader_election.h"

#include <algorithm>

namespace lbd::election {
namespace {

std::int32_t wholeSeconds(Duration duration) {
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(duration).count();
  return static_cast<std::int32_t>(std::max<std::int64_t>(1, seconds));
}

}  // namespace

LeaderElection::LeaderElection(std::string lease_namespace, std::string lease_name,
                               std::string identity, LeaderElectionTiming timing)
    : namespace_(std::move(lease_namespace)),
      name_(std::move(lease_name)),
      identity_(std::move(identity)),
      timing_(timing) {}

void LeaderElection::see(const k8s::Lease& lease, MonotonicTime now) {
  // Only a changed record restarts the liveness clock: a holder that stopped renewing
  // looks the same on every read, and expires lease-duration after we first saw it so.
  const bool changed = !observed_any_ || lease.holder_identity != observed_holder_ ||
                       lease.renew_time != observed_renew_time_ ||
                       lease.lease_duration_seconds.value_or(0) != observed_duration_seconds_;
  if (changed) observed_at_ = now;
  observed_any_ = true;
  observed_holder_ = lease.holder_identity;
  observed_renew_time_ = lease.renew_time;
  observed_duration_seconds_ = lease.lease_duration_seconds.value_or(0);
  observed_resource_version_ = lease.meta.resource_version;
}

void LeaderElection::observe(const std::optional<k8s::Lease>& current, MonotonicTime now) {
  if (current) {
    see(*current, now);
  } else {
    observed_any_ = false;
    observed_holder_.clear();
  }
  if (holding_ && observed_any_ && observed_holder_ != identity_) holding_ = false;
}

std::optional<k8s::LeaseSpec> LeaderElection::decide(const std::optional<k8s::Lease>& current,
                                                     MonotonicTime now, k8s::WallClock wall_now) {
  observe(current, now);
  k8s::LeaseSpec spec;
  spec.namespace_ = namespace_;
  spec.name = name_;
  spec.holder_identity = identity_;
  spec.lease_duration_seconds = wholeSeconds(timing_.lease_duration);
  spec.renew_time = wall_now;
  if (!current) {
    acquired_wall_ = wall_now;
    spec.acquire_time = wall_now;
    return spec;
  }
  spec.resource_version = current->meta.resource_version;
  if (current->holder_identity == identity_) {  // renewal: the term goes on
    // acquireTime stays that of the term's first write; after a restart with the same
    // identity that write is this one.
    if (!holding_) acquired_wall_ = wall_now;
    spec.acquire_time = acquired_wall_;
    spec.lease_transitions = current->lease_transitions;
    return spec;
  }
  const Duration held_for = std::chrono::seconds(
      current->lease_duration_seconds.value_or(wholeSeconds(timing_.lease_duration)));
  const bool live = !current->holder_identity.empty() && now < observed_at_ + held_for;
  if (live) return std::nullopt;
  acquired_wall_ = wall_now;  // a new term
  spec.acquire_time = wall_now;
  spec.lease_transitions = current->lease_transitions + 1;
  return spec;
}

void LeaderElection::written(const k8s::Lease& stored, MonotonicTime sent_at, MonotonicTime now) {
  see(stored, now);
  if (stored.holder_identity != identity_) {
    holding_ = false;
    return;
  }
  holding_ = true;
  last_renewal_ = std::min(sent_at, now);
}

std::optional<MonotonicTime> LeaderElection::expiresAt() const {
  if (!observed_any_ || observed_holder_.empty() || observed_holder_ == identity_) {
    return std::nullopt;
  }
  return observed_at_ + std::chrono::seconds(observed_duration_seconds_ > 0
                                                 ? observed_duration_seconds_
                                                 : wholeSeconds(timing_.lease_duration));
}

bool LeaderElection::isLeader(MonotonicTime now) const {
  return holding_ && now < last_renewal_ + timing_.renew_deadline;
}

std::optional<k8s::LeaseSpec> LeaderElection::release(const std::optional<k8s::Lease>& current,
                                                      k8s::WallClock wall_now) {
  const bool ours = current && current->holder_identity == identity_;
  holding_ = false;
  if (!ours) return std::nullopt;
  k8s::LeaseSpec spec;
  spec.namespace_ = namespace_;
  spec.name = name_;
  spec.holder_identity = "";
  spec.lease_duration_seconds = 1;
  spec.acquire_time = wall_now;
  spec.renew_time = wall_now;
  spec.lease_transitions = current->lease_transitions;
  spec.resource_version = current->meta.resource_version;
  return spec;
}

std::optional<std::chrono::milliseconds> LeaderElection::writeWindow(MonotonicTime now) const {
  if (!isLeader(now)) return std::nullopt;
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(leadershipDeadline() - now);
  if (left.count() <= 0) return std::nullopt;
  return left;
}

}  // namespace lbd::election
