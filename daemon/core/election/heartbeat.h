#pragma once
// Host liveness for the layer-2 election (DESIGN.md section 3). Every host that may announce
// keeps a heartbeat Lease lbd-node-<node> (holderIdentity = the node), renewed every
// renew-interval with leaseDurationSeconds = lease-duration. Another host is live while that
// record keeps changing, judged as client-go judges a leader: by the observer's own monotonic
// clock from the moment it saw the record change, plus the leaseDurationSeconds it carries.
// renewTime is only compared for equality, never with our wall clock: hosts' clocks disagree.
// A heartbeat that was deleted or whose holder was cleared (a clean stop) is not live.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"
#include "core/k8s/object_builders.h"
#include "core/k8s/objects.h"

namespace lbd::election {

using MonotonicTime = std::chrono::steady_clock::time_point;

inline constexpr std::string_view kConfigHashAnnotation = "lbd.io/config-hash";
inline constexpr std::string_view kVersionAnnotation = "lbd.io/version";

/// leaseDurationSeconds for a configured duration: whole seconds, rounded up, at least 1.
std::int32_t leaseSeconds(Duration duration);

/// What this host writes into its heartbeat.
struct HeartbeatIdentity {
  std::string node;             // Node name = holderIdentity
  std::string lease_namespace;  // [election] namespace
  Duration lease_duration{};    // [election] lease-duration
  std::string config_hash;      // Config::hash, for lbctl's drift check
  std::string version;          // lbd's version
  // [election] fast-failover: "address:port" of this host's direct heartbeats, written as
  // annotation lbd.io/fast-heartbeat ("" = none: the annotation is removed).
  std::string fast_endpoint;
};

inline constexpr std::string_view kFastHeartbeatAnnotation = "lbd.io/fast-heartbeat";

/// The heartbeat Lease to write, given the one on the server (nullopt: none yet). A renewal
/// keeps acquireTime and leaseTransitions; taking it back after a release counts a transition.
/// Annotations someone else added are kept (the update replaces the whole object).
k8s::LeaseSpec heartbeatLease(const HeartbeatIdentity& identity,
                              const std::optional<k8s::Lease>& current, k8s::WallClock now);

/// The heartbeat with the holder cleared, for a clean stop: peers drop this host at once
/// instead of lease-duration later. Nothing when the Lease is absent or not ours.
std::optional<k8s::LeaseSpec> heartbeatRelease(const HeartbeatIdentity& identity,
                                               const std::optional<k8s::Lease>& current,
                                               k8s::WallClock now);

/// Other hosts' liveness, from their heartbeat Leases as the informer delivers them.
class HeartbeatTracker {
 public:
  /// `default_duration` stands in for a Lease without leaseDurationSeconds.
  explicit HeartbeatTracker(Duration default_duration) : default_duration_(default_duration) {}
  void setDefaultDuration(Duration duration) { default_duration_ = duration; }

  /// A heartbeat Lease seen (added or modified). Only a changed record restarts its clock.
  void observe(const k8s::Lease& lease, MonotonicTime now);
  /// The heartbeat Lease `lease_name` was deleted.
  void forget(std::string_view lease_name, MonotonicTime now);

  /// Until when `node` is live by our clock: a past time once it is not (expired, released or
  /// deleted: the time seen so); nullopt when its heartbeat was never seen.
  std::optional<MonotonicTime> liveUntil(std::string_view node) const;
  bool isLive(std::string_view node, MonotonicTime now) const;
  /// The nodes live at `now`, sorted.
  std::vector<std::string> liveNodes(MonotonicTime now) const;

 private:
  struct Record {
    std::string holder;  // "" after a release or deletion
    std::string renew_time;
    std::string acquire_time;
    std::int32_t transitions = 0;
    std::int32_t duration_seconds = 0;  // as written; 0 = not set
    MonotonicTime changed_at{};
  };
  MonotonicTime expiry(const Record& record) const;

  std::map<std::string, Record, std::less<>> records_;  // by Lease name
  Duration default_duration_;
};

}  // namespace lbd::election
