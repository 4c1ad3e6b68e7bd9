#pragma once
// One leader per cluster through a coordination.k8s.io/v1 Lease, with client-go's rules so lbd
// behaves like every other controller an operator knows:
//   - a Lease held by someone else is live while its record keeps changing; "expired" is judged
//     by this host's monotonic clock from the moment it saw the record change, never by
//     comparing renewTime with our wall clock (hosts' clocks may disagree);
//   - the holder renews every retry period and stops acting as leader as soon as it has not
//     renewed for renew-deadline (< lease duration), so it has stepped down before anyone else
//     may take over (lease duration after the last renewal they saw);
//   - writes carry the resourceVersion that was read (LeaseClient), so two candidates cannot
//     both win: the loser gets 409, reads again, and sees the winner.
// Pure: the caller passes the time and does the reading and writing.

#include <chrono>
#include <optional>
#include <string>

#include "core/duration.h"
#include "core/k8s/object_builders.h"
#include "core/k8s/objects.h"

namespace lbd::election {

using MonotonicTime = std::chrono::steady_clock::time_point;

struct LeaderElectionTiming {
  Duration lease_duration = std::chrono::seconds(15);
  Duration renew_deadline = std::chrono::seconds(10);
  Duration retry_period = std::chrono::seconds(2);
};

class LeaderElection {
 public:
  LeaderElection(std::string lease_namespace, std::string lease_name, std::string identity,
                 LeaderElectionTiming timing);

  /// What to write given the Lease as it is on the server (nullopt: none exists yet): a claim,
  /// a renewal, or nothing while another holder is live. Also records what was seen.
  std::optional<k8s::LeaseSpec> decide(const std::optional<k8s::Lease>& current, MonotonicTime now,
                                       k8s::WallClock wall_now);

  /// A Lease seen without trying to write (the informer): keeps the liveness clock current.
  void observe(const std::optional<k8s::Lease>& current, MonotonicTime now);

  /// The server stored our claim or renewal. `sent_at`: when the request that stored it was
  /// built. Leadership counts from then, not from when the answer is read: the request may wait
  /// in queues and the process may stall (a pause, a starved CPU) before the answer is handled,
  /// and the standbys' clocks started when they saw the renewal, which was no earlier.
  void written(const k8s::Lease& stored, MonotonicTime sent_at, MonotonicTime now);

  /// True while the last successful write of ours is younger than renew-deadline.
  bool isLeader(MonotonicTime now) const;

  /// When leadership lapses unless renewed (only meaningful while leader).
  MonotonicTime leadershipDeadline() const { return last_renewal_ + timing_.renew_deadline; }

  /// Fencing of writes decided as leader: how long a write starting now may take and still
  /// land while this host certainly leads, or nothing when it must not be sent at all. The
  /// window ends at the renew deadline, lease-duration - renew-deadline before any standby
  /// may take over (by its own clock, from the renewal it saw after ours), so a write that
  /// respects it can never land under the next leader.
  std::optional<std::chrono::milliseconds> writeWindow(MonotonicTime now) const;

  /// The Lease to write when stepping down on shutdown, so a standby need not wait for expiry:
  /// holder cleared, duration 1 s (client-go's ReleaseOnCancel). Nothing if we do not hold it.
  std::optional<k8s::LeaseSpec> release(const std::optional<k8s::Lease>& current,
                                        k8s::WallClock wall_now);

  /// When the Lease as last seen expires if its holder does not renew it (by our clock);
  /// nullopt when it is ours, free, or unseen. A standby tries exactly then.
  std::optional<MonotonicTime> expiresAt() const;

  /// The holder as last seen ("" when none or released).
  const std::string& holder() const { return observed_holder_; }
  const std::string& identity() const { return identity_; }
  const LeaderElectionTiming& timing() const { return timing_; }

 private:
  void see(const k8s::Lease& lease, MonotonicTime now);

  std::string namespace_;
  std::string name_;
  std::string identity_;
  LeaderElectionTiming timing_;

  // The record as last seen and when (our clock) it was seen to change.
  std::string observed_holder_;
  std::string observed_renew_time_;
  std::string observed_resource_version_;
  std::int32_t observed_duration_seconds_ = 0;
  MonotonicTime observed_at_{};
  bool observed_any_ = false;

  MonotonicTime last_renewal_{};  // of our own successful write
  bool holding_ = false;
  k8s::WallClock acquired_wall_{};  // acquireTime of our current term
};

}  // namespace lbd::election
