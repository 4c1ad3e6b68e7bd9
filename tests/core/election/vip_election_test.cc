// The per-VIP election's rules, one host's view at a time, driven by a fake clock: claim timing
// by rank (projected load, then rendezvous), compare-and-swap, no preemption, release order,
// failover after a crash, API loss (keep / withdraw / conflict), steady state without VIP
// writes, and what it reports; and hosts with the same view agreeing on who claims what.

#include "core/election/vip_election.h"

#include <gtest/gtest.h>

#include "core/election/rendezvous.h"
#include "election_test_support.h"

namespace lbd::election {
namespace {

using namespace testing;

const std::vector<std::string> kHosts = {"node-a", "node-b", "node-c"};

// The first address of 192.0.2.0/24 for which `node` has `rank` among `candidates`.
IpAddress vipRanked(const std::string& node, std::size_t rank,
                    const std::vector<std::string>& candidates = kHosts, int skip = 0) {
  for (std::uint32_t i = 1; i < 255; ++i) {
    const IpAddress vip = IpAddress::v4(0xC0000200u + i);
    if (rendezvousRank(vip, node, candidates) == rank && skip-- == 0) return vip;
  }
  ADD_FAILURE() << "no address with that rank";
  return {};
}

std::vector<IpAddress> claimed(const Decisions& decisions) {
  std::vector<IpAddress> out;
  for (const auto& claim : decisions.claims)
    out.push_back(claim.vip);
  return out;
}

std::vector<IpAddress> released(const Decisions& decisions) {
  std::vector<IpAddress> out;
  for (const auto& release : decisions.releases)
    out.push_back(release.vip);
  return out;
}

class VipElectionTest : public ::testing::Test {
 protected:
  // A time at which writes happen.
  struct Write {
    MonotonicTime at;
    IpAddress vip;
  };
  struct Run {
    std::vector<Write> claims;
    std::vector<Write> releases;
    Decisions last;
  };

  k8s::WallClock wall() const { return kWall0 + (now - kT0); }

  void cluster() {
    a->setCluster(ClusterView::build(byKey(services), byKey(slices), byKey(nodes), pools, {}), now);
  }
  void serve(std::vector<IpAddress> vips, std::string policy = "Cluster") {
    for (const auto& vip : vips)
      services.push_back(service("demo/svc-" + vip.toString(), {vip.toString()}, policy));
    cluster();
  }

  // Heartbeats every renew-interval: peers' (as the informer shows them) and our own.
  void renewDue() {
    if (now < next_renewal) return;
    ++renewals;
    for (const auto& peer : renewing)
      a->observeLease(heartbeat(peer, renewals), now);
    if (own_heartbeat) a->heartbeatWritten(now);
    next_renewal = now + 500ms;
  }

  Decisions tick() {
    renewDue();
    return a->decide(now);
  }

  // Ticks every 10 ms until `until`, collecting the writes asked for (never answered).
  Run runUntil(MonotonicTime until) {
    Run run;
    while (now < until) {
      now += 10ms;
      run.last = tick();
      for (const auto& claim : run.last.claims)
        run.claims.push_back({now, claim.vip});
      for (const auto& release : run.last.releases)
        run.releases.push_back({now, release.vip});
    }
    return run;
  }

  // lbd up for lease-duration with peers renewing: past the start-up hold.
  void start() {
    cluster();
    tick();
    runUntil(now + 2s);
  }

  // Answers a Claim or Release as the API server would: the write decided on `current`.
  std::optional<k8s::Lease> complete(const IpAddress& vip, std::optional<k8s::Lease> current) {
    auto spec = a->leaseToWrite(vip, current, now, wall());
    if (!spec) {
      a->writeFailed(vip, now);
      return std::nullopt;
    }
    auto result = stored(*spec, std::to_string(++rv));
    a->written(result, now);
    return result;
  }

  // Takes `vip` through a claim (decided now) to a stored Lease.
  k8s::Lease own(const IpAddress& vip, std::optional<k8s::Lease> current = std::nullopt) {
    auto decisions = tick();
    EXPECT_EQ(claimed(decisions), std::vector<IpAddress>{vip});
    auto result = complete(vip, std::move(current));
    EXPECT_TRUE(result);
    return result.value_or(k8s::Lease{});
  }

  // A VIP Lease held by `holder`, as the informer delivers it.
  void heldBy(const IpAddress& vip, const std::string& holder) {
    a->observeLease(lease(vipLeaseName(vip), holder, std::to_string(++rv)), now);
  }

  const VipStatus& statusOf(const IpAddress& vip) {
    statuses = a->status(now);
    for (const auto& entry : statuses) {
      if (entry.vip == vip) return entry;
    }
    ADD_FAILURE() << "no status for " << vip.toString();
    return statuses.front();
  }

  ElectionConfig config;
  std::unique_ptr<VipElection> a = std::make_unique<VipElection>("node-a", config);
  MonotonicTime now = kT0;
  std::vector<Pool> pools = {pool("l2", "192.0.2.0/24"), pool("l2v6", "2001:db8::/64")};
  std::vector<k8s::Service> services;
  std::vector<k8s::EndpointSlice> slices;
  std::vector<k8s::Node> nodes = {node("node-a"), node("node-b"), node("node-c")};
  std::set<std::string> renewing = {"node-b", "node-c"};
  bool own_heartbeat = true;
  int renewals = 0;
  MonotonicTime next_renewal = kT0;
  int rv = 100;
  std::vector<VipStatus> statuses;
};

TEST_F(VipElectionTest, RankRClaimsRTimesClaimStepAfterTheVipsAppearRankedByLoadThenRendezvous) {
  start();
  // Three free VIPs x < y < z, ranked in address order with every host at load 0:
  //   x: node-a ranks first by rendezvous: node-a's (rank 0), its projected load 1;
  //   y: node-b and node-c have load 0, node-a 1: node-a ranks 2; y is w's, w the first of
  //      node-b and node-c for it;
  //   z: the other of node-b and node-c has load 0 and goes first; node-a and w have 1, and
  //      node-a ranks before w by rendezvous: rank 1.
  auto after = [](const IpAddress& vip, auto&& wanted) {
    for (IpAddress next = IpAddress::v4(static_cast<std::uint32_t>(vip.toInteger()) + 1);;
         next = IpAddress::v4(static_cast<std::uint32_t>(next.toInteger()) + 1)) {
      if (wanted(next)) return next;
    }
  };
  const IpAddress x = vipRanked("node-a", 0);
  const IpAddress y = after(x, [](const IpAddress&) { return true; });
  const std::string w = rendezvousFirst(y, {"node-b", "node-c"});
  const IpAddress z = after(y, [&](const IpAddress& vip) {
    return rendezvousRank(vip, "node-a", {"node-a", w}) == 0;
  });
  const auto expected = balancedAssignment({x, y, z}, kHosts);
  ASSERT_EQ(expected.at(x), "node-a");
  ASSERT_EQ(expected.at(y), w);
  ASSERT_NE(expected.at(z), "node-a");

  const MonotonicTime appeared = now;
  serve({x, y, z});
  auto decisions = tick();
  EXPECT_EQ(claimed(decisions), std::vector<IpAddress>{x});
  EXPECT_EQ(decisions.next_wakeup, appeared + 100ms);
  EXPECT_EQ(statusOf(x).state, "claiming");
  EXPECT_EQ(statusOf(y).state, "claiming in 200ms");
  EXPECT_EQ(statusOf(z).state, "claiming in 100ms");
  // node-b and node-c rank first for the others but (in this test) never claim: each rank
  // costs one step.
  auto run = runUntil(appeared + 1s);
  ASSERT_EQ(run.claims.size(), 2u);
  EXPECT_EQ(run.claims[0].vip, z);
  EXPECT_EQ(run.claims[0].at, appeared + 100ms);
  EXPECT_EQ(run.claims[1].vip, y);
  EXPECT_EQ(run.claims[1].at, appeared + 200ms);
  EXPECT_TRUE(run.last.announce.empty()) << "nothing is answered before the claim is stored";
}

TEST_F(VipElectionTest, TheLeastLoadedHostRanksFirstWhateverTheRendezvousOrder) {
  // node-b holds two VIPs, node-c one, node-a none: a free VIP is node-a's, then node-c's,
  // then node-b's, even where node-a ranks last by rendezvous.
  const IpAddress b1 = ip("2001:db8::b1"), b2 = ip("2001:db8::b2"), c1 = ip("2001:db8::c1");
  heldBy(b1, "node-b");
  heldBy(b2, "node-b");
  heldBy(c1, "node-c");
  serve({b1, b2, c1});
  start();
  const IpAddress vip = vipRanked("node-a", 2);
  // Not a candidate itself (no usable interface): node-c goes first.
  a->setLocalEligibility([](const Vip&) { return false; });
  serve({vip});
  EXPECT_TRUE(tick().claims.empty());
  EXPECT_EQ(statusOf(vip).state, "waiting for node-c");
  a->setLocalEligibility({});
  EXPECT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
}

TEST_F(VipElectionTest, TheRanksFollowTheCandidatesAsTheyComeAndGo) {
  config.claim_step = 10s;  // ranks far apart
  a = std::make_unique<VipElection>("node-a", config);
  start();
  const IpAddress vip = vipRanked("node-a", 2);  // last by rendezvous, loads equal
  const MonotonicTime appeared = now;
  serve({vip});
  tick();
  EXPECT_EQ(statusOf(vip).state, "claiming in 20s");
  // node-c's lbd dies: node-a ranks second.
  renewing.erase("node-c");
  EXPECT_TRUE(runUntil(appeared + 3s).claims.empty());
  EXPECT_EQ(statusOf(vip).state, "claiming in 7s");
  // node-b's Node goes NotReady: node-a is the only candidate left.
  nodes[1].ready = false;
  cluster();
  EXPECT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
}

TEST_F(VipElectionTest, AVipClaimedByAnotherHostThanTheOneGivenCountsForTheClaimant) {
  config.claim_step = 10s;  // ranks far apart
  a = std::make_unique<VipElection>("node-a", config);
  start();
  // x is node-b's (first by rendezvous, loads equal); y then goes to node-c, first of the
  // two at load 0, with node-a second.
  IpAddress x, y;
  for (std::uint32_t i = 1; i < 255 && y == IpAddress{}; ++i) {
    const IpAddress vip = IpAddress::v4(0xC0000200u + i);
    if (x == IpAddress{}) {
      if (rendezvousFirst(vip, kHosts) == "node-b") x = vip;
    } else if (rendezvousRank(vip, "node-c", kHosts) == 0 &&
               rendezvousRank(vip, "node-a", kHosts) == 1) {
      y = vip;
    }
  }
  ASSERT_NE(y, IpAddress{});
  serve({x, y});
  EXPECT_TRUE(tick().claims.empty());
  EXPECT_EQ(statusOf(y).state, "claiming in 10s");
  // node-c took x instead (node-b never claimed): node-c has load 1 before y now, node-a 0.
  heldBy(x, "node-c");
  EXPECT_EQ(claimed(tick()), std::vector<IpAddress>{y});
}

TEST_F(VipElectionTest, ThisHostBecomingACandidateAgainIsRankedAtOnce) {
  start();
  // Only node-a has a pod, and its interface is down: nobody may announce.
  const IpAddress vip = vipRanked("node-a", 2);
  slices = {slice("demo/svc-" + vip.toString(), "s1", "IPv4", {{"node-a", true}})};
  a->setLocalEligibility([](const Vip&) { return false; });
  serve({vip}, "Local");
  EXPECT_TRUE(runUntil(now + 1s).claims.empty());
  EXPECT_EQ(statusOf(vip).state, "no eligible host");
  // The interface is up again (nothing else changed): node-a is the only candidate.
  a->setLocalEligibility({});
  EXPECT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
}

TEST_F(VipElectionTest, TheClaimIsACompareAndSwapOnTheLeaseAsRead) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  ASSERT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
  EXPECT_EQ(tick().claims.size(), 0u) << "one claim in flight, not one per decide";

  // A released Lease exists: an update carrying its resourceVersion.
  auto free = lease(vipLeaseName(vip), "", "57", "2026-11-24T19:00:00.000000Z", 2, 4);
  auto spec = a->leaseToWrite(vip, free, now, wall());
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->namespace_, "lbd-system");
  EXPECT_EQ(spec->name, vipLeaseName(vip));
  EXPECT_EQ(spec->holder_identity, "node-a");
  EXPECT_EQ(spec->resource_version, "57");
  EXPECT_EQ(spec->lease_transitions, 5);
  EXPECT_EQ(spec->acquire_time, wall());
  EXPECT_EQ(spec->renew_time, wall());
  EXPECT_EQ(spec->lease_duration_seconds, 2);
  // None exists: a create.
  auto create = a->leaseToWrite(vip, std::nullopt, now, wall());
  ASSERT_TRUE(create);
  EXPECT_EQ(create->resource_version, "");
  EXPECT_EQ(create->lease_transitions, 0);

  a->written(stored(*spec, "58"), now);
  auto decisions = tick();
  EXPECT_EQ(decisions.announce, std::set<IpAddress>{vip});
  EXPECT_EQ(decisions.owner_changes, (std::vector<OwnerChange>{{vip, "", "node-a"}}));
  EXPECT_EQ(statusOf(vip).state, "owned");
  EXPECT_EQ(statusOf(vip).holder, "node-a");
  EXPECT_EQ(a->ownedCount(), 1u);
}

TEST_F(VipElectionTest, LosingTheRaceShowsTheWinnerAndAnnouncesNothing) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  ASSERT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
  // node-b's claim got there first: our write is refused (409), the Lease read again shows b,
  // and it is b's now, live, so nothing is written.
  auto winner = lease(vipLeaseName(vip), "node-b", "60");
  EXPECT_FALSE(a->leaseToWrite(vip, winner, now, wall()));
  a->writeFailed(vip, now);
  auto run = runUntil(now + 10s);
  EXPECT_TRUE(run.claims.empty());
  EXPECT_TRUE(run.last.announce.empty());
  EXPECT_EQ(statusOf(vip).state, "standby");
  EXPECT_EQ(statusOf(vip).holder, "node-b");
}

TEST_F(VipElectionTest, ALiveEligibleOwnerKeepsTheVipWhoeverRanksFirst) {
  start();
  // node-a ranks first for all of them, and holds nothing while node-c holds three (node-a
  // just came back, say): it still takes none.
  const std::vector<IpAddress> vips = {vipRanked("node-a", 0), vipRanked("node-a", 0, kHosts, 1),
                                       vipRanked("node-a", 0, kHosts, 2)};
  for (const auto& vip : vips)
    heldBy(vip, "node-c");
  serve(vips);
  auto run = runUntil(now + 30s);
  EXPECT_TRUE(run.claims.empty());
  EXPECT_TRUE(run.last.announce.empty());
  for (const auto& vip : vips)
    EXPECT_EQ(statusOf(vip).state, "standby");
  EXPECT_EQ(a->ownedCount(), 0u);
}

TEST_F(VipElectionTest, LosingEligibilityStopsAnsweringInTheSameDecisionThatReleases) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  auto held = own(vip);
  EXPECT_EQ(tick().announce, std::set<IpAddress>{vip});

  nodes[0].ready = false;  // node-a NotReady
  cluster();
  auto decisions = tick();
  EXPECT_EQ(released(decisions), std::vector<IpAddress>{vip});
  EXPECT_FALSE(decisions.releases[0].vip_removed);
  EXPECT_TRUE(decisions.announce.empty()) << "responders stop before the write goes out";
  EXPECT_EQ(statusOf(vip).state, "releasing");
  EXPECT_EQ(statusOf(vip).ineligibility, "Node not Ready");

  auto spec = a->leaseToWrite(vip, held, now, wall());
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->holder_identity, "");
  EXPECT_EQ(spec->resource_version, held.meta.resource_version);
  EXPECT_EQ(spec->lease_transitions, held.lease_transitions) << "a release is no transition";
  EXPECT_EQ(k8s::formatMicroTime(*spec->acquire_time), held.acquire_time);
  a->written(stored(*spec, std::to_string(++rv)), now);
  decisions = tick();
  EXPECT_EQ(decisions.owner_changes, (std::vector<OwnerChange>{{vip, "node-a", ""}}));
  auto run = runUntil(now + 5s);
  EXPECT_TRUE(run.claims.empty()) << "not eligible: never claims";
  EXPECT_TRUE(run.releases.empty());
  EXPECT_EQ(statusOf(vip).state, "waiting for " + rendezvousFirst(vip, {"node-b", "node-c"}));
}

TEST_F(VipElectionTest, ALocalInterfaceGoingDownReleasesToo) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  own(vip);
  a->setLocalEligibility([](const Vip&) { return false; });
  auto decisions = tick();
  EXPECT_EQ(released(decisions), std::vector<IpAddress>{vip});
  EXPECT_TRUE(decisions.announce.empty());
  EXPECT_EQ(statusOf(vip).ineligibility, "no usable interface on this host");
}

TEST_F(VipElectionTest, EligibleAgainBeforeTheReleaseWasWrittenKeepsTheVip) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  own(vip);
  a->setLocalEligibility([](const Vip&) { return false; });
  ASSERT_EQ(released(tick()), std::vector<IpAddress>{vip});
  a->writeFailed(vip, now);  // API hiccup
  a->setLocalEligibility({});
  auto decisions = tick();
  EXPECT_TRUE(decisions.releases.empty());
  EXPECT_EQ(decisions.announce, std::set<IpAddress>{vip});
}

TEST_F(VipElectionTest, ALocalVipFollowsItsReadyEndpoints) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  slices = {slice("demo/svc-" + vip.toString(), "s1", "IPv4", {{"node-b", true}})};
  serve({vip}, "Local");
  auto run = runUntil(now + 1s);
  EXPECT_TRUE(run.claims.empty()) << "only node-b has a pod";
  EXPECT_EQ(statusOf(vip).state, "waiting for node-b");
  slices = {slice("demo/svc-" + vip.toString(), "s1", "IPv4", {{"node-b", true}, {"node-a"}})};
  cluster();
  EXPECT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
}

TEST_F(VipElectionTest, StopReleasesEverythingHeldAndClaimsNothingAfter) {
  // node-b and node-c hold one VIP each, node-a none: node-a is given both free VIPs (the
  // second by rendezvous, once the first counts for it).
  const IpAddress busy_b = ip("2001:db8::b"), busy_c = ip("2001:db8::c");
  heldBy(busy_b, "node-b");
  heldBy(busy_c, "node-c");
  serve({busy_b, busy_c});
  start();
  const IpAddress first = vipRanked("node-a", 0), second = vipRanked("node-a", 0, kHosts, 1);
  serve({first, second});
  auto decisions = tick();
  ASSERT_EQ(decisions.claims.size(), 2u);
  auto held_first = complete(first, std::nullopt);
  auto held_second = complete(second, std::nullopt);
  ASSERT_EQ(tick().announce.size(), 2u);

  decisions = a->stop(now);
  EXPECT_TRUE(decisions.announce.empty());
  EXPECT_EQ(released(decisions), (std::vector<IpAddress>{first, second}));
  EXPECT_TRUE(a->leaseToWrite(first, held_first, now, wall()));
  complete(second, held_second);
  auto run = runUntil(now + 5s);
  EXPECT_TRUE(run.claims.empty());
  EXPECT_TRUE(run.last.announce.empty());
  EXPECT_EQ(statusOf(second).ineligibility, "lbd is stopping");
}

TEST_F(VipElectionTest, TakesOverFromACrashedHolderAfterLeaseDurationPlusItsRank) {
  start();
  // Among the survivors (a, c), a ranks second for `later` and first for `sooner`.
  const std::vector<std::string> survivors = {"node-a", "node-c"};
  const IpAddress sooner = vipRanked("node-a", 0, survivors);
  const IpAddress later = vipRanked("node-a", 1, survivors);
  heldBy(sooner, "node-b");
  heldBy(later, "node-b");
  serve({sooner, later});
  runUntil(now + 1s);
  // node-b crashes: its heartbeat stops changing. The last renewal we saw:
  renewing.erase("node-b");
  const MonotonicTime last_seen = next_renewal - 500ms;
  auto run = runUntil(last_seen + 3s);
  ASSERT_EQ(run.claims.size(), 2u);
  EXPECT_EQ(run.claims[0].vip, sooner);
  EXPECT_EQ(run.claims[0].at, last_seen + 2s);
  EXPECT_EQ(run.claims[1].vip, later);
  EXPECT_EQ(run.claims[1].at, last_seen + 2s + 100ms);
}

TEST_F(VipElectionTest, AHolderNoLongerEligibleGetsLeaseDurationToReleaseItself) {
  start();
  const IpAddress vip = vipRanked("node-a", 0, {"node-a", "node-c"});
  heldBy(vip, "node-b");
  serve({vip});
  tick();
  nodes[1].ready = false;  // node-b NotReady, but its lbd still renews its heartbeat
  cluster();
  tick();
  const MonotonicTime seen = now;
  auto run = runUntil(seen + 3s);
  ASSERT_EQ(run.claims.size(), 1u);
  EXPECT_EQ(run.claims[0].at, seen + 2s) << "b is stuck: taken over after lease-duration";
}

TEST_F(VipElectionTest, AReleaseIsClaimedAtOnceByRankZero) {
  start();
  const IpAddress vip = vipRanked("node-a", 0, {"node-a", "node-c"});
  heldBy(vip, "node-b");
  serve({vip});
  tick();
  nodes[1].ready = false;
  cluster();
  runUntil(now + 300ms);
  heldBy(vip, "");  // b saw it too and released
  EXPECT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
}

TEST_F(VipElectionTest, TheHostThatReleasedIsNotWaitedFor) {
  start();
  // node-b ranks first and holds it; its interface went down (we cannot see that), so it
  // released. It is still live and eligible by cluster state, but it will not claim again.
  IpAddress vip = vipRanked("node-a", 1);
  for (int skip = 1; rendezvousFirst(vip, kHosts) != "node-b"; ++skip)
    vip = vipRanked("node-a", 1, kHosts, skip);
  heldBy(vip, "node-b");
  serve({vip});
  tick();
  heldBy(vip, "");
  EXPECT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
}

TEST_F(VipElectionTest, AHolderWhoseHeartbeatWeNeverSawIsLiveForLeaseDuration) {
  start();
  const IpAddress vip = vipRanked("node-a", 0, {"node-a", "node-b", "node-c"});
  nodes.push_back(node("node-d"));
  heldBy(vip, "node-d");  // d's heartbeat has not reached us (yet)
  const MonotonicTime seen = now;
  serve({vip});
  auto run = runUntil(seen + 3s);
  ASSERT_EQ(run.claims.size(), 1u);
  EXPECT_EQ(run.claims[0].at, seen + 2s);
}

TEST_F(VipElectionTest, WaitsLeaseDurationAfterItsFirstHeartbeatBeforeClaiming) {
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  const MonotonicTime first_heartbeat = now;
  auto decisions = tick();
  EXPECT_TRUE(decisions.claims.empty());
  EXPECT_EQ(decisions.next_wakeup, first_heartbeat + 2s);
  auto run = runUntil(first_heartbeat + 3s);
  ASSERT_EQ(run.claims.size(), 1u);
  EXPECT_EQ(run.claims[0].at, first_heartbeat + 2s);
}

TEST_F(VipElectionTest, AFreshHeartbeatIsNeededToClaim) {
  start();
  own_heartbeat = false;
  runUntil(now + 2s);  // ours went stale
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  auto run = runUntil(now + 5s);
  EXPECT_TRUE(run.claims.empty());
  EXPECT_EQ(statusOf(vip).state, "waiting for " + rendezvousFirst(vip, {"node-b", "node-c"}));
  renewing.clear();
  runUntil(now + 3s);
  EXPECT_EQ(statusOf(vip).state, "no eligible host");
}

TEST_F(VipElectionTest, AdoptsItsOwnLeaseAfterARestartWithoutWriting) {
  const IpAddress vip = vipRanked("node-a", 2);
  serve({vip});
  heldBy(vip, "node-a");
  own_heartbeat = false;
  auto decisions = tick();
  EXPECT_TRUE(decisions.announce.empty()) << "not before peers can see we are alive";
  EXPECT_EQ(statusOf(vip).state, "owned, heartbeat not written yet");
  own_heartbeat = true;
  auto run = runUntil(now + 5s);
  EXPECT_EQ(run.last.announce, std::set<IpAddress>{vip});
  EXPECT_TRUE(run.claims.empty());
  EXPECT_TRUE(run.releases.empty());
}

TEST_F(VipElectionTest, ReportsOwnershipChangesButNotTheStartingState) {
  const IpAddress vip = vipRanked("node-a", 1);
  heldBy(vip, "node-b");
  serve({vip});
  start();
  auto run = runUntil(now + 1s);
  EXPECT_TRUE(run.last.owner_changes.empty());
  heldBy(vip, "node-c");
  EXPECT_EQ(tick().owner_changes, (std::vector<OwnerChange>{{vip, "node-b", "node-c"}}));
  EXPECT_TRUE(tick().owner_changes.empty());
  heldBy(vip, "");
  EXPECT_EQ(tick().owner_changes, (std::vector<OwnerChange>{{vip, "node-c", ""}}));
}

TEST_F(VipElectionTest, ALateWatchEventCannotUndoANewerWrite) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  own(vip, lease(vipLeaseName(vip), "", "50"));  // stored as 101
  // The informer delivers an older version (a release at 99) after our write's answer.
  a->observeLease(lease(vipLeaseName(vip), "", "99"), now);
  auto decisions = tick();
  EXPECT_EQ(decisions.announce, std::set<IpAddress>{vip});
  EXPECT_TRUE(decisions.claims.empty());
  // The same version again, and a newer one, are taken.
  a->observeLease(lease(vipLeaseName(vip), "node-c", "102"), now);
  EXPECT_TRUE(tick().announce.empty());
}

TEST_F(VipElectionTest, ReleasesAVipNoServiceUsesAnyMore) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  own(vip);
  services.clear();
  cluster();
  auto decisions = tick();
  ASSERT_EQ(released(decisions), std::vector<IpAddress>{vip});
  EXPECT_TRUE(decisions.releases[0].vip_removed);
  EXPECT_TRUE(decisions.announce.empty());
  EXPECT_EQ(a->ownedCount(), 0u);
}

TEST_F(VipElectionTest, RetriesAFailedWriteRenewIntervalLater) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  ASSERT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
  const MonotonicTime failed = now;
  a->writeFailed(vip, now);  // e.g. 503
  auto run = runUntil(failed + 1s);
  ASSERT_EQ(run.claims.size(), 1u);
  EXPECT_EQ(run.claims[0].at, failed + 500ms);
}

TEST_F(VipElectionTest, OnApiLossKeepAnnouncesUntilAnotherMacAnswers) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  own(vip);
  own_heartbeat = false;  // the API server is gone: renewals fail
  renewing.clear();       // and no watch events arrive
  auto run = runUntil(now + 10s);
  EXPECT_EQ(run.last.announce, std::set<IpAddress>{vip});
  EXPECT_EQ(statusOf(vip).state, "owned, API unreachable");
  EXPECT_TRUE(run.releases.empty());

  a->conflict(vip, now);  // someone with the API claimed it meanwhile and announces
  auto decisions = tick();
  EXPECT_TRUE(decisions.announce.empty());
  EXPECT_EQ(statusOf(vip).state, "yielded to another announcer");

  // The API is back and the Lease still names us (the other MAC was not an owner): answering
  // resumes lease-duration after our heartbeat is fresh again, when the watch has caught up.
  own_heartbeat = true;
  renewing = {"node-b", "node-c"};
  const MonotonicTime back = next_renewal;
  run = runUntil(back + 1990ms);
  EXPECT_TRUE(run.last.announce.empty());
  run = runUntil(back + 2s);
  EXPECT_EQ(run.last.announce, std::set<IpAddress>{vip});
}

TEST_F(VipElectionTest, AYieldEndsWithNewsOfTheLease) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  own(vip);
  own_heartbeat = false;
  renewing.clear();
  runUntil(now + 3s);
  a->conflict(vip, now);
  EXPECT_TRUE(tick().announce.empty());
  heldBy(vip, "node-b");  // the watch is back: b did take it
  tick();
  EXPECT_EQ(statusOf(vip).state, "standby");
}

TEST_F(VipElectionTest, OnApiLossWithdrawStopsLeaseDurationAfterTheLastRenewal) {
  config.on_api_loss = OnApiLoss::Withdraw;
  a = std::make_unique<VipElection>("node-a", config);
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  own(vip);
  own_heartbeat = false;
  const MonotonicTime last_renewal = next_renewal - 500ms;
  now = last_renewal + 1990ms;
  auto decisions = a->decide(now);
  EXPECT_EQ(decisions.announce, std::set<IpAddress>{vip});
  EXPECT_EQ(decisions.next_wakeup, last_renewal + 2s);
  now = last_renewal + 2s;
  decisions = a->decide(now);
  EXPECT_TRUE(decisions.announce.empty());
  EXPECT_TRUE(decisions.releases.empty()) << "it is still ours; there is no API to write to";
  EXPECT_EQ(statusOf(vip).state, "withdrawn, API unreachable");
  a->heartbeatWritten(now);
  EXPECT_EQ(a->decide(now).announce, std::set<IpAddress>{vip});
}

TEST_F(VipElectionTest, AConflictWhileTheApiIsReachableDoesNotYield) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  own(vip);
  a->conflict(vip, now);  // e.g. a kernel answering ARP for the VIP too
  EXPECT_EQ(tick().announce, std::set<IpAddress>{vip});
  EXPECT_EQ(statusOf(vip).state, "owned, another MAC answers too");
  runUntil(now + 61s);
  EXPECT_EQ(statusOf(vip).state, "owned");
}

TEST_F(VipElectionTest, SteadyStateWritesNoVipLeases) {
  start();
  std::vector<IpAddress> vips;
  for (std::uint32_t i = 1; i <= 12; ++i)
    vips.push_back(IpAddress::v4(0xC0000200u + i));
  for (const auto& vip : vips)
    heldBy(vip, rendezvousFirst(vip, kHosts));
  serve(vips);
  for (const auto& claim : tick().claims)
    complete(claim.vip, lease(vipLeaseName(claim.vip), "node-a", "1"));
  auto run = runUntil(now + 120s);
  EXPECT_TRUE(run.claims.empty());
  EXPECT_TRUE(run.releases.empty());
  std::set<IpAddress> mine;
  for (const auto& vip : vips) {
    if (rendezvousFirst(vip, kHosts) == "node-a") mine.insert(vip);
  }
  EXPECT_FALSE(mine.empty());
  EXPECT_EQ(run.last.announce, mine);
  EXPECT_EQ(a->ownedCount(), mine.size());
}

TEST_F(VipElectionTest, ReportsPeersAndIgnoresOtherNamespaces) {
  start();
  EXPECT_EQ(a->livePeers(now), (std::vector<std::string>{"node-b", "node-c"}));
  a->observeLease(lease(heartbeatLeaseName("node-a"), "node-a", "5"), now);
  EXPECT_EQ(a->livePeers(now), (std::vector<std::string>{"node-b", "node-c"})) << "not us";
  auto elsewhere = heartbeat("node-x", 1);
  elsewhere.meta.namespace_ = "kube-node-lease";
  a->observeLease(elsewhere, now);
  EXPECT_EQ(a->livePeers(now).size(), 2u);
  const IpAddress vip = vipRanked("node-a", 0);
  auto foreign = lease(vipLeaseName(vip), "node-b", "9");
  foreign.meta.namespace_ = "default";
  a->observeLease(foreign, now);
  serve({vip});
  EXPECT_EQ(claimed(tick()), std::vector<IpAddress>{vip});
  EXPECT_TRUE(a->heartbeatFresh(now));
}

// Three hosts with the same view, deciding without talking to each other: each free VIP is
// claimed at once by exactly one of them, an even share each, as the balanced assignment says;
// and one host's claims reaching another before the third's change nobody's rank.
TEST(VipElectionAgreement, HostsWithTheSameViewClaimDisjointEvenShares) {
  const std::vector<std::string> names = {"node-a", "node-b", "node-c"};
  std::vector<IpAddress> vips;
  std::vector<k8s::Service> services;
  for (std::uint32_t i = 1; i <= 30; ++i) {
    vips.push_back(IpAddress::v4(0xC0000200u + i));
    services.push_back(service("demo/svc-" + std::to_string(i), {vips.back().toString()}));
  }
  const auto view = ClusterView::build(
      byKey(services), {},
      byKey(std::vector<k8s::Node>{node("node-a"), node("node-b"), node("node-c")}),
      {pool("l2", "192.0.2.0/24")}, {});
  MonotonicTime now = kT0;
  std::map<std::string, std::unique_ptr<VipElection>> hosts;
  for (const auto& name : names) {
    hosts[name] = std::make_unique<VipElection>(name, ElectionConfig{});
    hosts[name]->setCluster(view, now);
  }
  // Renewals every 500 ms; the first decide after the start-up hold.
  for (int n = 1; n <= 4; ++n, now += 500ms) {
    for (const auto& [name, host] : hosts) {
      for (const auto& peer : names) {
        if (peer != name) host->observeLease(heartbeat(peer, n), now);
      }
      host->heartbeatWritten(now);
    }
  }
  std::map<IpAddress, std::string> owners;
  for (const auto& [name, host] : hosts) {
    for (const auto& claim : host->decide(now).claims) {
      EXPECT_TRUE(owners.emplace(claim.vip, name).second)
          << claim.vip.toString() << " claimed by " << owners[claim.vip] << " and " << name;
    }
  }
  EXPECT_EQ(owners, balancedAssignment(vips, names));
  EXPECT_EQ(countPerHost(owners, names),
            (std::map<std::string, int>{{"node-a", 10}, {"node-b", 10}, {"node-c", 10}}));

  // node-b's claims land and reach node-a first; node-c's are still on their way.
  VipElection& a = *hosts["node-a"];
  const auto before = a.status(now);
  int rv = 100;
  for (const auto& [vip, owner] : owners) {
    if (owner == "node-b")
      a.observeLease(lease(vipLeaseName(vip), "node-b", std::to_string(++rv)), now);
  }
  EXPECT_TRUE(a.decide(now).claims.empty());
  const auto after = a.status(now);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (owners[before[i].vip] != "node-c") continue;
    EXPECT_EQ(after[i].state, before[i].state) << before[i].vip.toString();
    EXPECT_TRUE(after[i].state.starts_with("claiming in ")) << after[i].state;
  }
}

}  // namespace
}  // namespace lbd::election

namespace lbd::election {
namespace {

// Found by the layer-2 integration test (an API outage of every host): when the API came
// back, a standby's own heartbeat was renewed a moment before it saw the owner's renewal, so
// it judged the owner dead (no renewal seen for the whole outage) and took the VIP over while
// the owner still answered. Peers are judged again only lease-duration after our own
// heartbeat is fresh again, as at start-up.
TEST_F(VipElectionTest, AfterAnApiOutageItWaitsToSeeTheOwnerRenewBeforeJudgingIt) {
  start();
  const IpAddress vip = vipRanked("node-a", 0);
  serve({vip});
  heldBy(vip, "node-b");
  runUntil(now + 1s);
  own_heartbeat = false;  // the API server is gone for everyone
  renewing.clear();
  runUntil(now + 10s);
  own_heartbeat = true;  // back: our renewal is stored first...
  auto run = runUntil(now + 900ms);
  EXPECT_TRUE(run.claims.empty());
  renewing = {"node-b", "node-c"};  // ...and the owner's renewals reach us a moment later
  run = runUntil(now + 5s);
  EXPECT_TRUE(run.claims.empty()) << "took a VIP from a live owner after an API outage";
  EXPECT_EQ(statusOf(vip).holder, "node-b");
}

}  // namespace
}  // namespace lbd::election
