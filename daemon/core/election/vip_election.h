#pragma once
// Per-VIP owner election for layer-2 pools (DESIGN.md section 3): exactly one host answers
// ARP/NDP for each VIP, failover takes about the lease duration, and the API-server writes do
// not grow with the number of VIPs (steady state: the heartbeats only).
//
// The rules, as this host applies them (every host applies the same ones):
//   - Liveness: a host is live while its heartbeat Lease keeps changing, by our monotonic
//     clock (HeartbeatTracker). Our own heartbeat is fresh for lease-duration after the
//     request of our last successful renewal was sent (heartbeatWritten): the server stored
//     it after that, so every peer's clock for us starts no earlier than ours.
//   - Ownership: Lease lbd-vip-<ip> (lease_names.h), holderIdentity = the owner. Written only
//     on a claim (holder = us, acquireTime now, leaseTransitions + 1) and a release (holder
//     cleared), never renewed; both carry the resourceVersion read, so of two hosts writing on
//     the same read one gets 409, reads again and sees the other's write.
//   - The owner is lost, and the VIP ownerless, when:
//       * there is no Lease or its holder is empty: since we saw that;
//       * the holder is not live: since its heartbeat expired by our clock. A holder counts as
//         live for lease-duration after we saw it take the VIP, too: its heartbeat may reach
//         us later than its claim, or never have reached us at all (we just started);
//       * the holder is not eligible by cluster state (its Node went NotReady, lost the
//         selector's labels, has no ready local endpoint any more): it sees the same objects
//         and releases at once, which frees the VIP at once. A holder that does not (crashed
//         and its heartbeat not yet expired, or its informers stuck) is treated as gone
//         lease-duration after we saw it ineligible. Taking over at once instead would have
//         two hosts answer during the holder's reaction time in the normal case.
//   - Claim: the candidates for an ownerless VIP are the live hosts eligible by cluster state,
//     and this host when also eligible locally (up interface: the daemon's predicate) and its
//     heartbeat is fresh. Ranked by load, then rendezvous hash (next rule), rank r claims at
//       ownerless-since + r x claim-step
//     where ownerless-since is the latest of: the owner lost (above); the VIP appearing; the
//     candidates appearing after a time without any; lease-duration after our first heartbeat
//     (hosts starting together see each other's heartbeats before ranking). A better-ranked
//     host that does not claim costs one step. The host that released the VIP is no
//     candidate for the others: it let go because it is not eligible or stopping, and waiting
//     a step for it (usually first-ranked: that is how it got the VIP) slows every handover.
//   - Rank (balance.h): a host's load is the number of VIPs of the table whose Lease names it,
//     over all pools: a host answers ARP/NDP and carries the traffic of all its VIPs, whatever
//     their pool (per pool, a host in every pool would collect a share of each). The ownerless
//     VIPs are taken in address order; each goes to its candidate with the lowest (projected
//     load, rendezvous rank: rendezvous.h), whose projected load then grows by one. That host
//     has rank 0; the others follow in the same (projected load, rendezvous) order at that
//     point, so when it does not claim, the next one does a step later. VIPs appearing
//     together with the same candidates end within one per host (30 over 3: 10/10/10, where
//     rendezvous alone gives 5/17/8), and the VIPs of a host that crashed or stopped fill the
//     least loaded hosts first. Every host computes this from what all of them see (Leases,
//     heartbeats, cluster), so they agree without talking; where their views differ (a watch
//     delay), two may both rank 0 for a VIP: the compare-and-swap lets one win and the other
//     sees it.
//     A VIP whose holder we saw take it less than lease-duration ago (or that we are claiming)
//     counts for its holder at its place in the address order, not in the loads up front: then
//     a claim by the host the VIP was given changes nobody's rank, so hosts that have seen
//     different parts of a batch of claims still agree on the rest. Counted up front it would
//     not (a VIP before it in the order may see a different least loaded host), and hosts would
//     start claiming VIPs another is claiming. Holders seen when we start are not claims.
//     Cost: nothing while no VIP is ownerless. Otherwise the assignment is kept, and computed
//     again only when something else than its own claims landing changed (the live hosts, the
//     cluster view, which VIPs are ownerless or freshly claimed, who released what):
//     O(VIPs + ownerless x hosts), each candidate's weight hashed once per ownerless period.
//   - No preemption: a live, eligible owner keeps the VIP, whoever ranks first and however
//     loaded. Loads even out only as VIPs become ownerless: a host back from a restart takes
//     nothing, and after a rolling restart the last host back holds nothing.
//   - Release: when this host holds a VIP and is no longer eligible (cluster state, local
//     predicate, the VIP left the table, or stop()), it leaves the announce set in the same
//     decision that asks for the release write, so the responders stop answering first.
//   - Announce set: VIPs whose holder (as last written or seen) is us, that we are eligible
//     for, once our heartbeat has been written at least once. While our heartbeat is stale
//     (API unreachable), on-api-loss = keep goes on announcing (nobody else can claim without
//     the API, so the data plane survives an API outage) but yields a VIP when the responder
//     reports another MAC announcing it (conflict()): someone did claim it meanwhile; the yield
//     ends with the next news of that Lease from the API, or lease-duration after our
//     heartbeat is fresh again (by then any change made meanwhile has reached us). withdraw
//     stops announcing once the heartbeat has not been renewed for lease-duration. A conflict
//     while our heartbeat is fresh is not a takeover (the Lease is current and names us): it
//     is shown in the state, for the operator (typically a kernel answering ARP too).
// Safety rests on the compare-and-swap and on announcing only after our claim was stored; the
// ranks make the winner predictable (VIPs spread evenly, as above) and the rank delays avoid a
// herd of writes.
// Lease events older than one already seen (resourceVersions compared as KEP-5504 allows) are
// ignored, so a late watch event cannot undo a newer write we already know of.
//
// Driving it (the daemon, one thread; `now` is steady_clock, `wall` system_clock):
//   1. Observations, as they come: observeLease / leaseDeleted for every Lease event of the
//      election namespace (other Leases are ignored); setCluster when Services, EndpointSlices,
//      Nodes or the configuration change; setLocalEligibility once (the predicate is asked at
//      every decide: call decide when its answer changes, e.g. a link went down);
//      heartbeatWritten after each successful renewal of our heartbeat (heartbeat.h builds it;
//      pass the time the request was sent); conflict when a responder sees another MAC.
//      Start deciding only when the Lease, Service, EndpointSlice and Node caches are synced:
//      a Lease missing from a half-listed cache looks like a free VIP.
//   2. After any of them (or when the timer fires): d = decide(now). Apply d.announce to the
//      responders FIRST, then start every claim and release as
//        LeaseClient::write(namespace, lease_name, decide = [](current) {
//            return leaseToWrite(vip, current, steady_clock::now(), system_clock::now()); })
//      and report the outcome: Written -> written(stored), anything else -> writeFailed(vip).
//      Every claim and release must be answered, or that VIP waits for ever. Emit
//      d.owner_changes (D-Bus signal; a Kubernetes Event on the VIP's Services only where the
//      new holder is this host, as MetalLB's nodeAssigned, so each change is reported once).
//      Re-arm one timer at d.next_wakeup.
//   3. On stop: d = stop(now); apply d.announce (empty), write d.releases (bounded time), then
//      release the heartbeat (heartbeatRelease) so peers drop this host at once.
// Pure: time comes in, decisions go out; no I/O.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/election/balance.h"
#include "core/election/cluster_view.h"
#include "core/election/heartbeat.h"
#include "core/ip.h"
#include "core/k8s/object_builders.h"
#include "core/k8s/objects.h"

namespace lbd::election {

/// Take the VIP: write its Lease through leaseToWrite.
struct Claim {
  IpAddress vip;
  std::string lease_name;
  bool operator==(const Claim&) const = default;
};

/// Give the VIP up: clear its Lease's holder through leaseToWrite. Already out of `announce`.
struct Release {
  IpAddress vip;
  std::string lease_name;
  bool vip_removed = false;  // no Service uses the address any more
  bool operator==(const Release&) const = default;
};

/// The holder of a VIP's Lease changed ("" = none).
struct OwnerChange {
  IpAddress vip;
  std::string previous_holder;
  std::string holder;
  bool operator==(const OwnerChange&) const = default;
};

struct Decisions {
  std::vector<Claim> claims;
  std::vector<Release> releases;
  std::set<IpAddress> announce;              // the whole set the responders should answer for
  std::vector<OwnerChange> owner_changes;    // since the previous decide
  std::optional<MonotonicTime> next_wakeup;  // call decide again then (if nothing else came)
};

/// One VIP as this host sees it, for lbctl and D-Bus.
struct VipStatus {
  IpAddress vip;
  std::string pool;
  std::vector<std::string> services;
  std::string holder;  // "" = none
  bool announcing = false;
  bool eligible_here = false;
  std::string ineligibility;  // why not eligible here; "" when eligible
  // "owned", "owned, heartbeat not written yet", "owned, API unreachable", "withdrawn, API
  // unreachable", "yielded to another announcer", "owned, another MAC answers too",
  // "releasing", "standby", "claiming", "claiming in 200ms", "waiting for <node>",
  // "no eligible host"
  std::string state;
};

class VipElection {
 public:
  /// Local-only eligibility (e.g. an up interface in the VIP's subnet or the pool's list).
  using LocalEligibility = std::function<bool(const Vip&)>;

  VipElection(std::string node, ElectionConfig config);

  /// Timings and on-api-loss after a reload; decisions in flight keep going.
  void configure(ElectionConfig config);
  /// The cluster as the informers and the configuration show it now.
  void setCluster(ClusterView view, MonotonicTime now);
  /// Frees the current view ahead of building the next one for setCluster(), so that the two
  /// never coexist (4 MB each at 10,000 VIPs). Call setCluster() right after it, before any
  /// decide(): until then every VIP looks unused.
  void dropClusterView() { view_ = ClusterView(); }
  /// Replaces the local predicate (default: every VIP).
  void setLocalEligibility(LocalEligibility check);

  /// A Lease of the election namespace added or modified (heartbeats and VIP Leases).
  void observeLease(const k8s::Lease& lease, MonotonicTime now);
  /// A Lease of the election namespace deleted.
  void leaseDeleted(const k8s::Lease& lease, MonotonicTime now);
  /// Our heartbeat was stored; `sent_at` is when its request was sent.
  void heartbeatWritten(MonotonicTime sent_at);

  /// What to write for a Claim or Release of `vip` given its Lease as just read from the
  /// server (nullopt: none), or nothing when that write is no longer right (someone else
  /// holds it now, it is not ours to release). Called again after every 409.
  std::optional<k8s::LeaseSpec> leaseToWrite(const IpAddress& vip,
                                             const std::optional<k8s::Lease>& current,
                                             MonotonicTime now, k8s::WallClock wall_now);
  /// The server stored our claim or release as `stored`.
  void written(const k8s::Lease& stored, MonotonicTime now);
  /// The claim or release of `vip` was not written (lost the race, no longer needed, or an
  /// error); tried again, if still right, renew-interval later.
  void writeFailed(const IpAddress& vip, MonotonicTime now);

  /// A responder saw another MAC announce `vip`.
  void conflict(const IpAddress& vip, MonotonicTime now);

  /// Fast failover (fast_heartbeat.h): `node` has sent no direct heartbeat since `since`. Its
  /// VIPs count as ownerless from then, and it is no candidate, without waiting for its
  /// heartbeat Lease to expire. The verdict ends when `node` is heard again (peerHeard), and is
  /// overruled when its heartbeat Lease is seen renewed after `since` (then the direct path to
  /// it is broken, not the host): from then on its silence is ignored until it is heard again.
  /// So is the silence of a host that took a VIP from us: it judged us dead over a broken path,
  /// and taking the VIP back would only flap. Ignored for our own node.
  void peerSilent(std::string_view node, MonotonicTime since);
  /// A direct heartbeat from `node` arrived after a silence (or for the first time).
  void peerHeard(std::string_view node);
  /// Hosts whose silence is taken as their death now, sorted (lbctl).
  std::vector<std::string> silentPeers() const;

  /// The decisions for `now` (see the overview).
  Decisions decide(MonotonicTime now);
  /// Stop for good: nothing is announced or claimed any more; what we hold is released.
  Decisions stop(MonotonicTime now);

  /// Every VIP of the table, as of the last decide.
  std::vector<VipStatus> status(MonotonicTime now) const;
  /// Other hosts whose heartbeat is live at `now`, sorted.
  std::vector<std::string> livePeers(MonotonicTime now) const;
  /// VIPs of the table whose Lease names this host.
  std::size_t ownedCount() const;
  /// Whether our heartbeat was renewed less than lease-duration ago.
  bool heartbeatFresh(MonotonicTime now) const;
  const std::string& node() const { return node_; }
  /// The VIP table and eligibility as last given to setCluster.
  const ClusterView& cluster() const { return view_; }

 private:
  enum class State {
    Idle,
    Owned,
    OwnedBeforeHeartbeat,
    OwnedApiLost,
    OwnedConflict,
    WithdrawnApiLost,
    Yielded,
    Releasing,
    Standby,
    Claiming,
    ClaimingLater,
    WaitingFor,
    NoEligibleHost,
  };
  enum class Write { None, Claim, Release };

  struct Record {
    // The Lease as last seen (informer, a read before our write, or our write).
    bool lease_seen = false;  // seen existing or deleted at least once
    bool lease_exists = false;
    std::string holder;
    HostId holder_id = kNoHost;             // holder, interned
    std::string resource_version;           // of the newest version seen
    MonotonicTime holder_since{};           // when we saw the holder become what it is
    bool holder_taken_since_start = false;  // holder_since is a change seen after our start
    HostId released_by = kNoHost;           // who cleared the holder, while it is clear

    std::optional<MonotonicTime> in_table_since;
    std::optional<MonotonicTime> holder_ineligible_since;
    // Within the current ownerless period: there were no candidates, then some from then on.
    bool had_no_candidates = false;
    std::optional<MonotonicTime> candidates_since;
    // Rendezvous weights of the candidates by HostId (nullopt: not hashed yet), while
    // ownerless: hashing every candidate of every ownerless VIP again at each new assignment
    // adds up after a crash.
    std::vector<std::optional<std::uint64_t>> weights;

    Write write = Write::None;              // in flight
    std::optional<MonotonicTime> retry_at;  // after a failed write
    bool releasing = false;
    std::optional<MonotonicTime> yielded_at;
    std::optional<MonotonicTime> conflict_at;  // while our heartbeat was fresh

    // As of the last decide.
    State state = State::Idle;
    std::optional<MonotonicTime> claim_at;
    std::string waiting_for;
    bool announcing = false;
    bool eligible_here = false;
    std::string reported_holder;  // for OwnerChange
  };

  // An ownerless VIP at this decide, and where it is among the assignment's items.
  struct Ownerless {
    const Vip* vip;
    Record* record;
    MonotonicTime since;  // the owner lost
    std::size_t item;
  };
  // One VIP taking part in the balanced assignment, as the cache compares them.
  struct ItemKey {
    IpAddress ip;
    HostId pinned = kNoHost;       // the holder that just took it (us: our claim in flight)
    HostId released_by = kNoHost;  // ownerless: the host that let go (no candidate)
    bool self_candidate = false;   // ownerless: this host may claim it
    bool operator==(const ItemKey&) const = default;
  };
  // The last assignment and what it was computed from.
  struct Assignment {
    std::uint64_t view_generation = 0;
    std::vector<std::string> live_peers;
    std::vector<ItemKey> items;
    std::vector<BalanceRank> ranks;
  };

  HostId hostId(std::string_view name);
  void see(const IpAddress& vip, const k8s::Lease* lease, bool exists, MonotonicTime now);
  bool eligibleHere(const Vip& vip) const;
  Duration leaseDuration() const;
  MonotonicTime holderLiveUntil(const Record& record) const;
  // When the VIP's owner was lost, by the rules above; nullopt while it has one.
  std::optional<MonotonicTime> ownerLostAt(const Vip& vip, Record& record, MonotonicTime now,
                                           std::vector<MonotonicTime>& wakeups) const;
  // The ranks for `items` (address order), from the cache when it still holds.
  const std::vector<BalanceRank>& assign(std::vector<ItemKey> items,
                                         const std::vector<Ownerless>& ownerless,
                                         const std::vector<std::string>& live_peers);
  void decideOwnerless(const Vip& vip, Record& record, MonotonicTime since, MonotonicTime now,
                       const BalanceRank& rank, Decisions& decisions,
                       std::vector<MonotonicTime>& wakeups);
  void decideHeld(const IpAddress& ip, Record& record, MonotonicTime now, Decisions& decisions,
                  std::vector<MonotonicTime>& wakeups);
  void requestRelease(const IpAddress& ip, Record& record, bool vip_removed, MonotonicTime now,
                      Decisions& decisions, std::vector<MonotonicTime>& wakeups);

  std::string node_;
  ElectionConfig config_;
  HeartbeatTracker heartbeats_;
  ClusterView view_;
  LocalEligibility local_;
  std::map<IpAddress, Record> records_;
  // Every host name met (ours, peers, holders), interned: the assignment indexes loads and
  // weights by it. Grows with the names ever seen, i.e. the cluster's nodes.
  std::vector<std::string> host_names_;
  std::map<std::string, HostId, std::less<>> host_ids_;
  HostId self_id_ = kNoHost;
  std::uint64_t view_generation_ = 0;  // counts setCluster calls
  std::optional<Assignment> assignment_;

  // Fast failover: hosts found silent on the direct path (since when), and hosts whose
  // silence is not trusted until they are heard again (see peerSilent).
  std::map<HostId, MonotonicTime> fast_silent_;
  std::set<HostId> fast_untrusted_;

  std::optional<MonotonicTime> first_heartbeat_;  // sent time of our first stored heartbeat
  std::optional<MonotonicTime> last_heartbeat_;   // sent time of the newest stored one
  std::optional<MonotonicTime> fresh_since_;      // start of the current run of fresh heartbeats
  bool baseline_done_ = false;  // the first decide records holders without reporting changes
  bool stopped_ = false;
};

}  // namespace lbd::election
