// Several hosts running the election against one in-memory API server: Leases with
// resourceVersions and compare-and-swap, a watch delivering every change to every host after
// that host's own delay, writes taking a few milliseconds, wall clocks hours apart. Each host is
// driven as the daemon will drive it: decide after every observation and at next_wakeup only.
// Checked every millisecond: no VIP is ever answered by two hosts; and after a crash every VIP
// is answered again within lease-duration + max rank x claim-step + one renew interval. Where
// the VIPs end up is compared with the balanced assignment (balance.h) computed directly.

#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <functional>
#include <memory>

#include "core/election/heartbeat.h"
#include "core/election/lease_names.h"
#include "core/election/rendezvous.h"
#include "core/election/vip_election.h"
#include "election_test_support.h"

namespace lbd::election {
namespace {

using namespace testing;

constexpr Duration kWriteLatency = 5ms;  // from sending a write to the server storing it

// The API server's part: Leases, resourceVersions, compare-and-swap, and change fan-out.
class LeaseStore {
 public:
  std::optional<k8s::Lease> get(const std::string& name) const {
    auto it = leases_.find(name);
    if (it == leases_.end()) return std::nullopt;
    return it->second;
  }

  /// Stores `spec` when its resourceVersion matches (empty: create); nullopt = 409.
  std::optional<k8s::Lease> write(const k8s::LeaseSpec& spec) {
    auto it = leases_.find(spec.name);
    if (spec.resource_version.empty()
            ? it != leases_.end()
            : it == leases_.end() || it->second.meta.resource_version != spec.resource_version) {
      ++conflicts;
      return std::nullopt;
    }
    k8s::Lease lease = stored(spec, std::to_string(++resource_version_));
    leases_[spec.name] = lease;
    if (spec.name.rfind(kVipLeasePrefix, 0) == 0) {
      ++vip_writes;
    } else {
      ++heartbeat_writes;
    }
    if (on_change) on_change(lease);
    return lease;
  }

  std::vector<k8s::Lease> list() const {
    std::vector<k8s::Lease> out;
    for (const auto& [name, lease] : leases_)
      out.push_back(lease);
    return out;
  }

  std::function<void(const k8s::Lease&)> on_change;
  int vip_writes = 0;
  int heartbeat_writes = 0;
  int conflicts = 0;

 private:
  std::map<std::string, k8s::Lease> leases_;
  std::int64_t resource_version_ = 1000;
};

struct HostSpec {
  std::string name;
  Duration watch_delay;
  Duration wall_skew;  // this host's wall clock is off by that much
};

class Simulation {
 public:
  enum class Phase { Running, Stopping, Down };

  struct Host {
    HostSpec spec;
    Phase phase = Phase::Down;
    std::unique_ptr<VipElection> election;
    std::deque<std::pair<MonotonicTime, k8s::Lease>> inbox;
    std::deque<std::pair<MonotonicTime, ClusterView>> views;
    std::set<IpAddress> announce;
    MonotonicTime next_heartbeat{};
    std::optional<MonotonicTime> wakeup;
    bool dirty = false;
    bool heartbeat_released = false;

    // A write on its way: LeaseClient's read-decide-write, with decide asked again on 409.
    struct Op {
      MonotonicTime at;  // when the server gets it
      MonotonicTime sent_at;
      std::string lease_name;
      std::optional<IpAddress> vip;  // nullopt: our heartbeat
      k8s::LeaseSpec spec;
      int conflicts = 0;
    };
    std::vector<Op> ops;
  };

  Simulation(std::vector<HostSpec> hosts, std::vector<IpAddress> vips, ElectionConfig config = {})
      : config_(std::move(config)), vips_(std::move(vips)) {
    for (auto& spec : hosts) {
      nodes_.push_back(node(spec.name));
      Host host;
      host.spec = std::move(spec);
      hosts_.push_back(std::move(host));
    }
    for (const auto& vip : vips_)
      services_.push_back(service("demo/svc-" + vip.toString(), {vip.toString()}));
    store_.on_change = [this](const k8s::Lease& lease) {
      for (auto& host : hosts_) {
        if (host.phase != Phase::Down) host.inbox.emplace_back(now_ + host.spec.watch_delay, lease);
      }
    };
  }

  MonotonicTime now() const { return now_; }
  LeaseStore& store() { return store_; }
  Host& host(std::size_t index) { return hosts_[index]; }
  const std::vector<IpAddress>& vips() const { return vips_; }

  /// Starts (or restarts) a host: a new process LISTs the Leases and the cluster.
  void start(std::size_t index) {
    Host& host = hosts_[index];
    host.phase = Phase::Running;
    host.election = std::make_unique<VipElection>(host.spec.name, config_);
    host.inbox.clear();
    host.views.clear();
    host.ops.clear();
    host.announce.clear();
    host.heartbeat_released = false;
    host.election->setCluster(view(), now_);
    for (const auto& lease : store_.list())
      host.election->observeLease(lease, now_);
    host.next_heartbeat = now_;
    host.dirty = true;
  }

  /// The process dies: no more answers, writes or heartbeats.
  void crash(std::size_t index) {
    Host& host = hosts_[index];
    host.phase = Phase::Down;
    host.announce.clear();
    host.ops.clear();
    host.inbox.clear();
  }

  /// systemctl stop: releases, then the heartbeat, then exit.
  void stop(std::size_t index) {
    Host& host = hosts_[index];
    host.phase = Phase::Stopping;
    apply(host, host.election->stop(now_));
  }

  /// A Node's readiness changes; every host's informer sees it after its delay.
  void setReady(const std::string& name, bool ready) {
    for (auto& node : nodes_) {
      if (node.meta.name == name) node.ready = ready;
    }
    ClusterView changed = view();
    for (auto& host : hosts_) {
      if (host.phase != Phase::Down) host.views.emplace_back(now_ + host.spec.watch_delay, changed);
    }
  }

  /// Runs in 1 ms steps until `until`, checking after each step.
  void runUntil(MonotonicTime until) {
    while (now_ < until) {
      now_ += 1ms;
      for (auto& host : hosts_)
        step(host);
      check();
    }
  }

  /// Which hosts answer for each VIP now.
  std::map<IpAddress, std::vector<std::string>> announcers() const {
    std::map<IpAddress, std::vector<std::string>> out;
    for (const auto& vip : vips_)
      out[vip];
    for (const auto& host : hosts_) {
      for (const auto& vip : host.announce)
        out[vip].push_back(host.spec.name);
    }
    return out;
  }

  /// The hosts that are up, for rendezvous expectations.
  std::vector<std::string> upHosts() const {
    std::vector<std::string> out;
    for (const auto& host : hosts_) {
      if (host.phase == Phase::Running) out.push_back(host.spec.name);
    }
    return out;
  }

  int doubleAnnouncements() const { return double_announcements_; }
  /// Two announcers for up to `allowed` are not a failure (but counted, and the longest kept):
  /// when a live host's VIP is taken, it stops once it sees the Lease change.
  void allowDoubleAnnouncements(Duration allowed) { double_allowed_ = allowed; }
  Duration longestDouble() const { return longest_double_; }

  /// Fast failover: host `observer` has heard no direct heartbeat from `node` since `since`.
  void reportSilent(std::size_t observer, const std::string& node, MonotonicTime since) {
    Host& host = hosts_[observer];
    if (host.phase == Phase::Down) return;
    host.election->peerSilent(node, since);
    host.dirty = true;
  }
  /// When each VIP last went from no answering host to one (or the time it has none since).
  const std::map<IpAddress, MonotonicTime>& unansweredSince() const { return unanswered_since_; }
  Duration longestUnanswered() const { return longest_unanswered_; }
  void resetLongestUnanswered() { longest_unanswered_ = Duration::zero(); }

 private:
  ClusterView view() const {
    return ClusterView::build(byKey(services_), {}, byKey(nodes_),
                              {pool("l2", "192.0.2.0/24"), pool("l2v6", "2001:db8::/64")}, {});
  }

  k8s::WallClock wall(const Host& host) const {
    return kWall0 + std::chrono::duration_cast<k8s::WallClock::duration>(now_ - kT0) +
           host.spec.wall_skew;
  }

  HeartbeatIdentity identity(const Host& host) const {
    return {host.spec.name, "lbd-system", config_.lease_duration, "hash", "test", ""};
  }

  // Reads the Lease now and asks the host what to write; nullopt: nothing to write.
  std::optional<k8s::LeaseSpec> decideWrite(Host& host, const Host::Op& op) {
    auto current = store_.get(op.lease_name);
    if (op.vip) return host.election->leaseToWrite(*op.vip, current, now_, wall(host));
    if (host.phase == Phase::Stopping) return heartbeatRelease(identity(host), current, wall(host));
    return heartbeatLease(identity(host), current, wall(host));
  }

  void send(Host& host, Host::Op op) {
    auto spec = decideWrite(host, op);
    if (!spec) {
      if (op.vip) host.election->writeFailed(*op.vip, now_);  // LeaseClient's Unchanged
      if (!op.vip && host.phase == Phase::Stopping) host.heartbeat_released = true;
      host.dirty = true;
      return;
    }
    op.spec = std::move(*spec);
    op.sent_at = now_;
    op.at = now_ + kWriteLatency;
    host.ops.push_back(std::move(op));
  }

  void apply(Host& host, const Decisions& decisions) {
    // Responders first, then the writes.
    host.announce = decisions.announce;
    host.wakeup = decisions.next_wakeup;
    for (const auto& claim : decisions.claims)
      send(host, {{}, {}, claim.lease_name, claim.vip, {}, 0});
    for (const auto& release : decisions.releases)
      send(host, {{}, {}, release.lease_name, release.vip, {}, 0});
  }

  void step(Host& host) {
    if (host.phase == Phase::Down) return;
    while (!host.inbox.empty() && host.inbox.front().first <= now_) {
      host.election->observeLease(host.inbox.front().second, now_);
      host.inbox.pop_front();
      host.dirty = true;
    }
    while (!host.views.empty() && host.views.front().first <= now_) {
      host.election->setCluster(std::move(host.views.front().second), now_);
      host.views.pop_front();
      host.dirty = true;
    }
    std::vector<Host::Op> due;
    for (auto it = host.ops.begin(); it != host.ops.end();) {
      if (it->at <= now_) {
        due.push_back(std::move(*it));
        it = host.ops.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& op : due) {
      host.dirty = true;
      if (auto result = store_.write(op.spec)) {
        if (op.vip) {
          host.election->written(*result, now_);
        } else if (result->holder_identity.empty()) {
          host.heartbeat_released = true;
        } else {
          host.election->heartbeatWritten(op.sent_at);
        }
        continue;
      }
      // 409: read again and decide again, as LeaseClient does (up to its limit).
      if (++op.conflicts > 5) {
        if (op.vip) host.election->writeFailed(*op.vip, now_);
        continue;
      }
      send(host, std::move(op));
    }
    if (host.phase == Phase::Running && now_ >= host.next_heartbeat) {
      send(host, {{}, {}, heartbeatLeaseName(host.spec.name), std::nullopt, {}, 0});
      host.next_heartbeat = now_ + config_.renew_interval;
    }
    if (host.dirty || (host.wakeup && now_ >= *host.wakeup)) {
      host.dirty = false;
      apply(host, host.election->decide(now_));
    }
    if (host.phase == Phase::Stopping && host.ops.empty()) {
      if (host.heartbeat_released) {
        host.phase = Phase::Down;
        host.announce.clear();
      } else {
        send(host, {{}, {}, heartbeatLeaseName(host.spec.name), std::nullopt, {}, 0});
      }
    }
  }

  void check() {
    for (const auto& [vip, hosts] : announcers()) {
      if (hosts.size() > 1) {
        const MonotonicTime since = double_since_.try_emplace(vip, now_).first->second;
        longest_double_ =
            std::max(longest_double_, std::chrono::duration_cast<Duration>(now_ - since));
        if (now_ - since < double_allowed_) continue;
        if (double_announcements_++ == 0) {
          ADD_FAILURE() << vip.toString() << " answered by " << hosts[0] << " and " << hosts[1]
                        << " at +" << std::chrono::duration_cast<Duration>(now_ - kT0).count()
                        << " ms";
        }
      }
      if (hosts.size() <= 1) double_since_.erase(vip);
      if (hosts.empty()) {
        unanswered_since_.try_emplace(vip, now_);
      } else if (auto it = unanswered_since_.find(vip); it != unanswered_since_.end()) {
        longest_unanswered_ =
            std::max(longest_unanswered_, std::chrono::duration_cast<Duration>(now_ - it->second));
        unanswered_since_.erase(it);
      }
    }
  }

  ElectionConfig config_;
  MonotonicTime now_ = kT0;
  LeaseStore store_;
  std::vector<Host> hosts_;
  std::vector<IpAddress> vips_;
  std::vector<k8s::Service> services_;
  std::vector<k8s::Node> nodes_;
  int double_announcements_ = 0;
  Duration double_allowed_ = Duration::zero();
  Duration longest_double_ = Duration::zero();
  std::map<IpAddress, MonotonicTime> double_since_;
  std::map<IpAddress, MonotonicTime> unanswered_since_;
  Duration longest_unanswered_ = Duration::zero();
};

// Who answers each VIP ("" for none; two is reported by the simulation itself).
std::map<IpAddress, std::string> ownerOf(const Simulation& sim) {
  std::map<IpAddress, std::string> out;
  for (const auto& [vip, hosts] : sim.announcers())
    out[vip] = hosts.empty() ? "" : hosts[0];
  return out;
}

// The VIPs `before` gave to `gone` now answered where the balanced assignment puts them among
// `survivors`, starting from what each survivor held; every other VIP where it was.
void expectHandedOverBalanced(const Simulation& sim, const std::map<IpAddress, std::string>& before,
                              const std::string& gone, const std::vector<std::string>& survivors) {
  std::vector<IpAddress> orphans;
  std::map<std::string, int> loads;
  for (const auto& [vip, host] : before) {
    if (host == gone) {
      orphans.push_back(vip);
    } else {
      ++loads[host];
    }
  }
  ASSERT_FALSE(orphans.empty());
  auto expected = before;
  for (const auto& [vip, host] : balancedAssignment(orphans, survivors, loads))
    expected[vip] = host;
  EXPECT_EQ(ownerOf(sim), expected);
}

std::vector<IpAddress> someVips() {
  std::vector<IpAddress> vips;
  for (std::uint32_t i = 1; i <= 16; ++i)
    vips.push_back(IpAddress::v4(0xC0000200u + i));  // 192.0.2.1 ..
  for (std::uint32_t i = 1; i <= 4; ++i)
    vips.push_back(IpAddress::fromInteger(IpFamily::V6, (uint128{0x20010db8u} << 96) | i));
  return vips;
}

struct WatchProfile {
  const char* name;
  std::vector<Duration> delays;
};

// Test names and failure messages show the profile's name, not its bytes.
void PrintTo(const WatchProfile& profile, std::ostream* out) {
  *out << profile.name;
}

class ElectionSimulation : public ::testing::TestWithParam<WatchProfile> {
 protected:
  ElectionSimulation() : sim(hostSpecs(), someVips()) {}

  static std::vector<HostSpec> hostSpecs() {
    const auto& delays = GetParam().delays;
    return {{"node-0", delays[0], 0h},
            {"node-1", delays[1], 3h},
            {"node-2", delays[2], -2h},
            {"node-3", delays[3], 17s}};
  }

  // All four hosts up within a few milliseconds of each other, then settled.
  void startAll() {
    for (std::size_t i = 0; i < 4; ++i) {
      sim.start(i);
      sim.runUntil(sim.now() + std::chrono::milliseconds(3 * i + 1));
    }
    sim.runUntil(kT0 + 5s);
  }

  std::map<IpAddress, std::vector<std::string>> owners() { return sim.announcers(); }

  Simulation sim;
};

TEST_P(ElectionSimulation, HostsStartingTogetherSpreadTheVipsEvenlyWithOneClaimEach) {
  startAll();
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  const std::vector<std::string> hosts = {"node-0", "node-1", "node-2", "node-3"};
  EXPECT_EQ(ownerOf(sim), balancedAssignment(sim.vips(), hosts));
  EXPECT_EQ(
      countPerHost(ownerOf(sim), hosts),
      (std::map<std::string, int>{{"node-0", 5}, {"node-1", 5}, {"node-2", 5}, {"node-3", 5}}));
  EXPECT_EQ(sim.store().vip_writes, static_cast<int>(sim.vips().size()))
      << "one claim per VIP: the ranks kept everyone else from writing";
}

TEST_P(ElectionSimulation, SteadyStateWritesOnlyTheHeartbeats) {
  startAll();
  const int vip_writes = sim.store().vip_writes;
  const int heartbeat_writes = sim.store().heartbeat_writes;
  const auto before = owners();
  sim.runUntil(sim.now() + 30s);
  EXPECT_EQ(sim.store().vip_writes, vip_writes);
  // 4 hosts every 500 ms for 30 s.
  EXPECT_NEAR(sim.store().heartbeat_writes - heartbeat_writes, 240, 4);
  EXPECT_EQ(owners(), before);
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
}

TEST_P(ElectionSimulation, AGracefulStopHandsOverWithoutTwoAnnouncersAndWithoutWaiting) {
  startAll();
  const auto before = owners();
  const auto owner_before = ownerOf(sim);
  const MonotonicTime stopped = sim.now();
  sim.resetLongestUnanswered();
  sim.stop(1);
  sim.runUntil(stopped + 3s);
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  EXPECT_EQ(sim.host(1).phase, Simulation::Phase::Down);
  EXPECT_TRUE(sim.unansweredSince().empty());
  // Released VIPs are claimed at once by the survivor they are assigned to (node-1, which
  // released them, is not waited for): no lease-duration wait, no claim-step either. The gap is
  // the release's and the claim's write latency plus the watch delay.
  const auto& delays = GetParam().delays;
  EXPECT_LE(sim.longestUnanswered(),
            2 * kWriteLatency + *std::max_element(delays.begin(), delays.end()) + 2ms);
  const std::vector<std::string> survivors = {"node-0", "node-2", "node-3"};
  expectHandedOverBalanced(sim, owner_before, "node-1", survivors);
  EXPECT_TRUE(spreadWithin(countPerHost(ownerOf(sim), survivors), 20, 1));
  for (const auto& [vip, hosts] : before) {
    if (hosts != std::vector<std::string>{"node-1"}) {
      EXPECT_EQ(owners()[vip], hosts) << "only node-1's VIPs move";
    }
  }
  EXPECT_TRUE(sim.host(1).heartbeat_released);
}

TEST_P(ElectionSimulation, EveryVipIsAnsweredAgainWithinTheBoundAfterACrash) {
  startAll();
  sim.runUntil(sim.now() + 250ms);  // crash between two renewals
  const MonotonicTime crashed = sim.now();
  const auto before = ownerOf(sim);
  std::size_t orphans = 0;
  for (const auto& [vip, hosts] : owners())
    orphans += hosts == std::vector<std::string>{"node-2"};
  ASSERT_GT(orphans, 0u);
  sim.crash(2);
  sim.resetLongestUnanswered();
  // lease-duration + max rank (2 among 3 survivors) x claim-step + one renew interval.
  const ElectionConfig config;
  const Duration bound = config.lease_duration + 2 * config.claim_step + config.renew_interval;
  sim.runUntil(crashed + bound);
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  EXPECT_TRUE(sim.unansweredSince().empty()) << "some VIP is still unanswered";
  EXPECT_LE(sim.longestUnanswered(), bound);
  EXPECT_GE(sim.longestUnanswered(), config.lease_duration - config.renew_interval)
      << "not before the heartbeat could have expired";
  sim.runUntil(sim.now() + 2s);
  expectHandedOverBalanced(sim, before, "node-2", {"node-0", "node-1", "node-3"});
}

// Fast failover (fast_heartbeat.h): the survivors find the crashed host silent 300 ms after
// its last direct heartbeat (3 x 100 ms) and take its VIPs at once, by rank, long before its
// heartbeat Lease would expire.
TEST_P(ElectionSimulation, WithFastFailoverACrashedOwnersVipsMoveWithinTheSilencePlusRanks) {
  startAll();
  sim.runUntil(sim.now() + 250ms);
  const auto before = ownerOf(sim);
  const MonotonicTime last_heard = sim.now();
  sim.runUntil(sim.now() + 50ms);  // crashed 50 ms after its last direct heartbeat
  const MonotonicTime crashed = sim.now();
  sim.crash(2);
  sim.resetLongestUnanswered();
  const MonotonicTime silent_since = last_heard + 300ms;
  sim.runUntil(silent_since);
  for (std::size_t observer : {0u, 1u, 3u})
    sim.reportSilent(observer, "node-2", silent_since);
  const ElectionConfig config;
  // Silence (250 ms after the crash here) + max rank (2) x claim-step + the write.
  const Duration bound =
      std::chrono::duration_cast<Duration>(silent_since - crashed) + 2 * config.claim_step + 20ms;
  sim.runUntil(crashed + bound);
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  EXPECT_TRUE(sim.unansweredSince().empty()) << "some VIP is still unanswered";
  EXPECT_LE(sim.longestUnanswered(), bound);
  EXPECT_LT(sim.longestUnanswered(), config.lease_duration - config.renew_interval)
      << "faster than the Lease path could be";
  EXPECT_GE(sim.longestUnanswered(), std::chrono::duration_cast<Duration>(silent_since - crashed))
      << "not before the silence";
  sim.runUntil(sim.now() + 2s);
  expectHandedOverBalanced(sim, before, "node-2", {"node-0", "node-1", "node-3"});
}

// The direct path split in two halves ({node-0, node-1} | {node-2, node-3}), every host still
// reaching the API: each half finds the other silent and claims its VIPs (a host that hears
// nobody at all judges nobody: FastLiveness). The Lease is the authority: a host stops answering
// a VIP when it sees it taken, within the watch delay; and it never takes it back from the host
// that judged it dead. So each VIP changes owner at most once, and two hosts answer for one VIP
// no longer than one direct heartbeat interval.
TEST_P(ElectionSimulation, WithFastFailoverASplitDirectPathMovesEachVipAtMostOnce) {
  startAll();
  sim.allowDoubleAnnouncements(100ms);  // one direct heartbeat interval
  const MonotonicTime silent_since = sim.now() + 300ms;
  sim.runUntil(silent_since);
  const std::vector<std::pair<std::size_t, const char*>> verdicts = {
      {0, "node-2"}, {0, "node-3"}, {1, "node-2"}, {1, "node-3"},
      {2, "node-0"}, {2, "node-1"}, {3, "node-0"}, {3, "node-1"}};
  std::map<IpAddress, int> changes;
  auto last = ownerOf(sim);
  for (int ms = 0; ms < 5000; ms += 10) {
    // The verdicts are repeated at every tick, as the daemon's timer does.
    for (const auto& [observer, peer] : verdicts)
      sim.reportSilent(observer, peer, silent_since);
    sim.runUntil(sim.now() + 10ms);
    for (const auto& [vip, host] : ownerOf(sim)) {
      if (!host.empty() && !last[vip].empty() && host != last[vip]) ++changes[vip];
      if (!host.empty()) last[vip] = host;
    }
  }
  EXPECT_EQ(sim.doubleAnnouncements(), 0) << "two announcers for longer than one interval";
  EXPECT_LE(sim.longestDouble(), 100ms);
  EXPECT_TRUE(sim.unansweredSince().empty());
  for (const auto& [vip, count] : changes)
    EXPECT_LE(count, 1) << vip.toString() << " flapped";
}

TEST_P(ElectionSimulation, ANodeGoingNotReadyHandsItsVipsOverCleanly) {
  startAll();
  const auto owner_before = ownerOf(sim);
  const MonotonicTime changed = sim.now();
  sim.setReady("node-3", false);
  sim.runUntil(changed + 3s);
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  EXPECT_TRUE(sim.unansweredSince().empty());
  EXPECT_TRUE(sim.host(3).announce.empty());
  expectHandedOverBalanced(sim, owner_before, "node-3", {"node-0", "node-1", "node-2"});
  // And back: Ready again, but no preemption.
  const auto before = owners();
  const int vip_writes = sim.store().vip_writes;
  sim.setReady("node-3", true);
  sim.runUntil(sim.now() + 5s);
  EXPECT_EQ(owners(), before);
  EXPECT_EQ(sim.store().vip_writes, vip_writes);
}

TEST_P(ElectionSimulation, ARestartedHostTakesNothingBack) {
  startAll();
  sim.crash(0);
  sim.runUntil(sim.now() + 4s);
  const auto before = owners();
  const int vip_writes = sim.store().vip_writes;
  sim.start(0);
  sim.runUntil(sim.now() + 10s);
  EXPECT_EQ(owners(), before);
  EXPECT_EQ(sim.store().vip_writes, vip_writes) << "no VIP Lease written";
  EXPECT_TRUE(sim.host(0).announce.empty());
  EXPECT_EQ(sim.host(0).election->livePeers(sim.now()),
            (std::vector<std::string>{"node-1", "node-2", "node-3"}));
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
}

// Issue 9: 30 VIPs (192.0.2.1-30: 5/17/8 by rendezvous alone) over 3 hosts, kept spread
// through a crash and a rolling restart, without preemption.
class BalancedElectionSimulation : public ::testing::TestWithParam<WatchProfile> {
 protected:
  BalancedElectionSimulation()
      : sim({{"node-a", GetParam().delays[0], 0h},
             {"node-b", GetParam().delays[1], 3h},
             {"node-c", GetParam().delays[2], -2h}},
            thirtyVips()) {}

  static std::vector<IpAddress> thirtyVips() {
    std::vector<IpAddress> vips;
    for (std::uint32_t i = 1; i <= 30; ++i)
      vips.push_back(IpAddress::v4(0xC0000200u + i));
    return vips;
  }

  void startAll() {
    for (std::size_t i = 0; i < 3; ++i) {
      sim.start(i);
      sim.runUntil(sim.now() + std::chrono::milliseconds(3 * i + 1));
    }
    sim.runUntil(kT0 + 5s);
  }

  std::map<std::string, int> counts() const { return countPerHost(ownerOf(sim), hosts); }

  // Prints the counts (the test's figures) with what happened.
  void show(const std::string& when) const {
    std::printf("[%s] %s: %s\n", GetParam().name, when.c_str(), formatCounts(counts()).c_str());
  }

  const std::vector<std::string> hosts = {"node-a", "node-b", "node-c"};
  Simulation sim;
};

TEST_P(BalancedElectionSimulation, ThirtyVipsStartingTogetherEndTenTenTen) {
  startAll();
  show("started together");
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  EXPECT_TRUE(sim.unansweredSince().empty());
  EXPECT_TRUE(spreadWithin(counts(), 30, 1));
  EXPECT_EQ(ownerOf(sim), balancedAssignment(sim.vips(), hosts));
  EXPECT_EQ(sim.store().vip_writes, 30) << "one claim per VIP";
}

TEST_P(BalancedElectionSimulation, ACrashedHostsTenVipsSplitFiveFiveOverTheSurvivors) {
  startAll();
  ASSERT_EQ(counts(), (std::map<std::string, int>{{"node-a", 10}, {"node-b", 10}, {"node-c", 10}}));
  sim.runUntil(sim.now() + 250ms);
  const auto before = ownerOf(sim);
  sim.crash(2);  // node-c: rendezvous alone would give its VIPs 2/8 to node-a/node-b
  const ElectionConfig config;
  sim.runUntil(sim.now() + config.lease_duration + 2 * config.claim_step + config.renew_interval);
  show("node-c crashed");
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  EXPECT_TRUE(sim.unansweredSince().empty());
  std::map<std::string, int> gained = counts();
  gained.erase("node-c");
  for (auto& [host, count] : gained)
    count -= 10;
  EXPECT_TRUE(spreadWithin(gained, 10, 1)) << formatCounts(gained);
  expectHandedOverBalanced(sim, before, "node-c", {"node-a", "node-b"});
  EXPECT_EQ(sim.store().vip_writes, 40) << "one claim per orphan";
}

// Each host in turn: systemctl stop, back, settled. No preemption means a host coming back
// takes nothing, so the last one back ends with no VIP: "+-2 per host at the end" cannot hold
// without moving VIPs off live owners. What the balanced ranks do give: each stop's VIPs go to
// the least loaded hosts first (the one just back gets them all up to the other's count), so
// the two others end even, 15/15 (rendezvous alone: 19/11 and 10/20 on the way, 16/14 at the
// end, by the luck of the hash).
TEST_P(BalancedElectionSimulation, ARollingRestartKeepsOneAnnouncerAndPreemptsNothing) {
  startAll();
  show("started");
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string name = hosts[i];
    const auto before = ownerOf(sim);
    sim.stop(i);
    sim.runUntil(sim.now() + 3s);
    ASSERT_EQ(sim.host(i).phase, Simulation::Phase::Down);
    std::vector<std::string> survivors;
    for (const auto& host : hosts) {
      if (host != name) survivors.push_back(host);
    }
    expectHandedOverBalanced(sim, before, name, survivors);
    show(name + " stopped");

    const auto settled = ownerOf(sim);
    const int vip_writes = sim.store().vip_writes;
    sim.start(i);
    sim.runUntil(sim.now() + 5s);  // start-up hold, then settled
    EXPECT_EQ(ownerOf(sim), settled) << name << " took something back";
    EXPECT_EQ(sim.store().vip_writes, vip_writes);
    EXPECT_TRUE(sim.host(i).announce.empty());
    show(name + " back");
  }
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  EXPECT_TRUE(sim.unansweredSince().empty());
  EXPECT_EQ(counts(), (std::map<std::string, int>{{"node-a", 15}, {"node-b", 15}, {"node-c", 0}}));
}

// Without rank delays every survivor claims the same VIPs at the same moment: only the
// compare-and-swap decides, and a host answers only once its claim is stored.
class RacingElectionSimulation : public ::testing::TestWithParam<WatchProfile> {
 protected:
  static ElectionConfig noClaimStep() {
    ElectionConfig config;
    config.claim_step = 0ms;
    return config;
  }
  Simulation sim{{{"node-0", GetParam().delays[0], 0h},
                  {"node-1", GetParam().delays[1], 1h},
                  {"node-2", GetParam().delays[2], 2h},
                  {"node-3", GetParam().delays[3], 3h}},
                 someVips(),
                 noClaimStep()};
};

TEST_P(RacingElectionSimulation, TheCompareAndSwapLeavesOneAnnouncerPerVip) {
  for (std::size_t i = 0; i < 4; ++i)
    sim.start(i);
  sim.runUntil(kT0 + 5s);
  const int conflicts_at_start = sim.store().conflicts;
  // The winner of most races goes down.
  std::size_t busiest = 0;
  for (std::size_t i = 1; i < 4; ++i) {
    if (sim.host(i).announce.size() > sim.host(busiest).announce.size()) busiest = i;
  }
  ASSERT_FALSE(sim.host(busiest).announce.empty());
  sim.crash(busiest);
  sim.runUntil(sim.now() + 5s);
  EXPECT_EQ(sim.doubleAnnouncements(), 0);
  EXPECT_TRUE(sim.unansweredSince().empty());
  EXPECT_GT(conflicts_at_start, 0) << "the start-up was a race";
  if (GetParam().delays == std::vector<Duration>(4, 0ms)) {
    // With delayed watches the survivors see the expiry at different moments, and a later one
    // reads the earlier one's claim before writing: no 409 needed.
    EXPECT_GT(sim.store().conflicts, conflicts_at_start) << "so was the failover";
  }
}

INSTANTIATE_TEST_SUITE_P(Watch, RacingElectionSimulation,
                         ::testing::Values(WatchProfile{"instant", {0ms, 0ms, 0ms, 0ms}},
                                           WatchProfile{"delayed", {0ms, 7ms, 30ms, 60ms}}),
                         [](const ::testing::TestParamInfo<WatchProfile>& param) {
                           return param.param.name;
                         });

INSTANTIATE_TEST_SUITE_P(Watch, BalancedElectionSimulation,
                         ::testing::Values(WatchProfile{"instant", {0ms, 0ms, 0ms, 0ms}},
                                           WatchProfile{"delayed", {0ms, 7ms, 30ms, 60ms}},
                                           WatchProfile{"slow", {60ms, 30ms, 0ms, 0ms}}),
                         [](const ::testing::TestParamInfo<WatchProfile>& param) {
                           return param.param.name;
                         });

INSTANTIATE_TEST_SUITE_P(Watch, ElectionSimulation,
                         ::testing::Values(WatchProfile{"instant", {0ms, 0ms, 0ms, 0ms}},
                                           WatchProfile{"delayed", {0ms, 7ms, 30ms, 60ms}}),
                         [](const ::testing::TestParamInfo<WatchProfile>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace lbd::election
