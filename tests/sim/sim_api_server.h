#pragma once
// The API server as the layer-2 election meets it: the Leases of the election namespace with
// resourceVersions and compare-and-swap (409 when the version read is not the stored one), a
// global write budget, a stall window in which nothing is answered, and the watch fan-out:
// every stored change goes to every host watching its scope, each after its own latency plus
// jitter, in order per watcher (one stream each).
//
// The write budget is modelled on API Priority and Fairness rather than a token bucket:
// kube-apiserver commits a few hundred writes/s (bench/README.md measured 470/s on this VM),
// writes beyond that wait in the priority level's queues, and only a write that finds the
// queues full gets 429 (Retry-After: 1). Every lbd host writes as the same ServiceAccount, i.e.
// one flow, which APF shuffle-shards onto a hand of 6 queues of 50: about 300 waiting writes
// for the whole cluster. A token bucket would refuse at once what APF only delays.
//
// Watch scopes: the current design watches the whole namespace (scope kAllScopes: every
// heartbeat and every VIP Lease reaches every host); the segmented variant gives each Lease the
// scope of its L2 segment and each host watches only its own (a label-selected watch).

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"
#include "core/k8s/object_builders.h"
#include "core/k8s/objects.h"
#include "sim_event_queue.h"

namespace lbd::sim {

using LeasePtr = std::shared_ptr<const k8s::Lease>;

inline constexpr std::uint32_t kAllScopes = std::numeric_limits<std::uint32_t>::max();

/// A host's Lease watch: where the server sends changes.
class LeaseWatcher {
 public:
  virtual ~LeaseWatcher() = default;
  /// Whether a process is there to take deliveries (it holds them while its watch reopens).
  virtual bool watchOpen() const = 0;
  /// `lease` (id `lease_id`) reaches the watcher at `at`.
  virtual void deliver(std::uint32_t lease_id, const LeasePtr& lease, MonotonicTime at) = 0;
};

struct ApiServerOptions {
  Duration watch_latency{5};
  Duration watch_jitter{20};  // uniform in [0, jitter] per event and watcher
  double write_rate = 400;    // writes/s committed; 0 = no limit
  double write_queue = 300;   // writes waiting beyond which a write gets 429
};

enum class WriteOutcome { Written, Conflict, Throttled, Failed };

struct WriteAnswer {
  WriteOutcome outcome = WriteOutcome::Conflict;
  LeasePtr stored;  // Written
};

/// What the server did, for the tables (differences between two snapshots).
struct ApiCounters {
  std::uint64_t heartbeat_writes = 0;
  std::uint64_t vip_writes = 0;
  std::uint64_t conflicts = 0;  // 409
  std::uint64_t throttled = 0;  // 429
  std::uint64_t reads = 0;
  std::uint64_t heartbeat_events = 0;  // watch events delivered
  std::uint64_t vip_events = 0;
  std::uint64_t stalled_vip_writes = 0;  // VIP Lease writes that arrived during a stall
  ApiCounters operator-(const ApiCounters& o) const {
    return {heartbeat_writes - o.heartbeat_writes,
            vip_writes - o.vip_writes,
            conflicts - o.conflicts,
            throttled - o.throttled,
            reads - o.reads,
            heartbeat_events - o.heartbeat_events,
            vip_events - o.vip_events,
            stalled_vip_writes - o.stalled_vip_writes};
  }
};

class SimApiServer {
 public:
  SimApiServer(ApiServerOptions options, std::uint64_t seed);

  /// Makes a Lease name known (it need not exist yet) with the watch scope it belongs to.
  std::uint32_t addName(const std::string& name, std::uint32_t scope, bool heartbeat);
  std::optional<std::uint32_t> idOf(std::string_view name) const;
  std::size_t names() const { return entries_.size(); }
  bool isHeartbeat(std::uint32_t id) const { return entries_[id].heartbeat; }

  /// Opens `watcher`'s watch on `scope` (kAllScopes: every Lease), for good: deliveries only
  /// go out while the watcher says its watch is open.
  void addWatcher(LeaseWatcher* watcher, std::uint32_t scope);

  /// A GET, counted.
  LeasePtr read(std::uint32_t id);
  /// The Leases a LIST of `scope` returns now, with their ids.
  std::vector<std::pair<std::uint32_t, LeasePtr>> list(std::uint32_t scope) const;

  /// A write arriving at `now`: when it will be committed (in arrival order, at the write
  /// rate), or nothing when the queues are full (429).
  std::optional<MonotonicTime> admit(MonotonicTime now);
  /// A create (empty resourceVersion) or update committed at `now`: compare-and-swap, store,
  /// fan-out.
  WriteAnswer commit(const k8s::LeaseSpec& spec, MonotonicTime now);
  /// Creates a Lease directly (the state a running cluster starts the simulation in).
  void seed(const k8s::LeaseSpec& spec);

  /// Nothing is answered in [from, until).
  void stall(MonotonicTime from, MonotonicTime until) { stall_ = {from, until}; }
  /// A request met the stall (counted once per request).
  void countStalled(bool vip) { counters_.stalled_vip_writes += vip ? 1 : 0; }
  std::optional<MonotonicTime> stalledUntil(MonotonicTime now) const {
    if (stall_ && now >= stall_->first && now < stall_->second) return stall_->second;
    return std::nullopt;
  }

  const ApiCounters& counters() const { return counters_; }

 private:
  struct Entry {
    std::string name;
    std::uint32_t scope = 0;
    bool heartbeat = false;
    LeasePtr lease;
  };
  struct Watch {
    LeaseWatcher* watcher;
    MonotonicTime last;  // the stream delivers in order
  };
  LeasePtr store(const k8s::LeaseSpec& spec);
  void fanOut(std::uint32_t id, MonotonicTime now);
  void fanOutTo(std::vector<Watch>& watches, std::uint32_t id, MonotonicTime now);

  ApiServerOptions options_;
  std::mt19937_64 random_;
  std::vector<Entry> entries_;
  std::map<std::string, std::uint32_t, std::less<>> ids_;
  std::map<std::uint32_t, std::vector<Watch>> watches_;  // by scope
  std::int64_t resource_version_ = 1000;
  MonotonicTime busy_until_{};  // when the last admitted write commits
  std::optional<std::pair<MonotonicTime, MonotonicTime>> stall_;
  ApiCounters counters_;
};

/// The Lease a server stores for `spec` as version `rv`.
k8s::Lease storedLease(const k8s::LeaseSpec& spec, std::string rv);

}  // namespace lbd::sim
