// Host liveness from heartbeat Leases, judged by the observer's clock, and the heartbeat this
// host writes.

#include "core/election/heartbeat.h"

#include <gtest/gtest.h>

#include "election_test_support.h"

namespace lbd::election {
namespace {

using namespace testing;

TEST(LeaseSeconds, RoundsUpToWholeSecondsAtLeastOne) {
  EXPECT_EQ(leaseSeconds(500ms), 1);
  EXPECT_EQ(leaseSeconds(2s), 2);
  EXPECT_EQ(leaseSeconds(2500ms), 3);
  EXPECT_EQ(leaseSeconds(0ms), 1);
}

class HeartbeatTrackerTest : public ::testing::Test {
 protected:
  HeartbeatTracker tracker{2s};
};

TEST_F(HeartbeatTrackerTest, AHostIsLiveLeaseDurationAfterWeSawItsRecordChange) {
  EXPECT_FALSE(tracker.liveUntil("node-b")) << "never seen: unknown";
  tracker.observe(heartbeat("node-b", 1), kT0);
  EXPECT_EQ(tracker.liveUntil("node-b"), kT0 + 2s);
  EXPECT_TRUE(tracker.isLive("node-b", kT0 + 1999ms));
  EXPECT_FALSE(tracker.isLive("node-b", kT0 + 2s));
  // Renewed at +500 ms: the clock restarts from when we saw it.
  tracker.observe(heartbeat("node-b", 2), kT0 + 500ms);
  EXPECT_TRUE(tracker.isLive("node-b", kT0 + 2400ms));
  EXPECT_FALSE(tracker.isLive("node-b", kT0 + 2500ms));
}

TEST_F(HeartbeatTrackerTest, AnUnchangedRecordDoesNotExtendLiveness) {
  tracker.observe(heartbeat("node-b", 1), kT0);
  tracker.observe(heartbeat("node-b", 1), kT0 + 1500ms);  // a relist, the same record
  EXPECT_EQ(tracker.liveUntil("node-b"), kT0 + 2s);
}

TEST_F(HeartbeatTrackerTest, JudgesByOurClockNotByTheRenewTimeText) {
  // node-b's clock is a year behind, node-c's a year ahead: neither matters, only change does.
  auto behind = lease(heartbeatLeaseName("node-b"), "node-b", "5", "2025-11-24T20:00:00.000000Z");
  auto ahead = lease(heartbeatLeaseName("node-c"), "node-c", "6", "2027-11-24T20:00:00.000000Z");
  tracker.observe(behind, kT0);
  tracker.observe(ahead, kT0);
  EXPECT_TRUE(tracker.isLive("node-b", kT0 + 1s));
  EXPECT_TRUE(tracker.isLive("node-c", kT0 + 1s));
  EXPECT_FALSE(tracker.isLive("node-c", kT0 + 2s)) << "a future renewTime buys nothing";
  behind.renew_time = "2025-11-24T20:00:00.500000Z";
  tracker.observe(behind, kT0 + 1900ms);
  EXPECT_TRUE(tracker.isLive("node-b", kT0 + 3800ms));
  EXPECT_EQ(tracker.liveNodes(kT0 + 2500ms), (std::vector<std::string>{"node-b"}));
}

TEST_F(HeartbeatTrackerTest, UsesTheDurationTheHostWrote) {
  tracker.observe(heartbeat("node-b", 1, /*duration=*/5), kT0);
  EXPECT_TRUE(tracker.isLive("node-b", kT0 + 4900ms));
  EXPECT_FALSE(tracker.isLive("node-b", kT0 + 5s));
  auto no_duration = heartbeat("node-c", 1);
  no_duration.lease_duration_seconds.reset();
  tracker.observe(no_duration, kT0);
  EXPECT_EQ(tracker.liveUntil("node-c"), kT0 + 2s) << "the configured one stands in";
}

TEST_F(HeartbeatTrackerTest, ReleasedOrDeletedHeartbeatsAreNotLive) {
  tracker.observe(heartbeat("node-b", 1), kT0);
  auto released = heartbeat("node-b", 2);
  released.holder_identity.clear();
  tracker.observe(released, kT0 + 100ms);
  EXPECT_FALSE(tracker.isLive("node-b", kT0 + 100ms));
  EXPECT_EQ(tracker.liveUntil("node-b"), kT0 + 100ms) << "seen not live: a past time, not unknown";

  tracker.observe(heartbeat("node-c", 1), kT0);
  tracker.forget(heartbeatLeaseName("node-c"), kT0 + 200ms);
  EXPECT_FALSE(tracker.isLive("node-c", kT0 + 200ms));
  EXPECT_EQ(tracker.liveUntil("node-c"), kT0 + 200ms);
  EXPECT_TRUE(tracker.liveNodes(kT0 + 300ms).empty());
  // Back after a restart.
  tracker.observe(heartbeat("node-c", 3), kT0 + 5s);
  EXPECT_TRUE(tracker.isLive("node-c", kT0 + 6s));
}

TEST_F(HeartbeatTrackerTest, AHeartbeatOnlySpeaksForItsOwnNode) {
  // lbd-node-node-b held by node-c (written by hand, or a renamed host) proves nothing about b.
  tracker.observe(lease(heartbeatLeaseName("node-b"), "node-c", "7"), kT0);
  EXPECT_FALSE(tracker.isLive("node-b", kT0));
  EXPECT_FALSE(tracker.isLive("node-c", kT0));
  EXPECT_TRUE(tracker.liveNodes(kT0).empty());
}

const HeartbeatIdentity kIdentity{"node-a", "lbd-system", 1500ms, "abc123", "0.9.0", ""};

TEST(HeartbeatLease, CreatesTheLeaseWhenThereIsNone) {
  const auto spec = heartbeatLease(kIdentity, std::nullopt, kWall0);
  EXPECT_EQ(spec.namespace_, "lbd-system");
  EXPECT_EQ(spec.name, "lbd-node-node-a");
  EXPECT_EQ(spec.holder_identity, "node-a");
  EXPECT_EQ(spec.lease_duration_seconds, 2);  // 1.5 s rounded up
  EXPECT_EQ(spec.acquire_time, kWall0);
  EXPECT_EQ(spec.renew_time, kWall0);
  EXPECT_EQ(spec.lease_transitions, 0);
  EXPECT_EQ(spec.resource_version, "");
  EXPECT_EQ(spec.annotations,
            (Labels{{"lbd.io/config-hash", "abc123"}, {"lbd.io/version", "0.9.0"}}));
}

TEST(HeartbeatLease, ARenewalKeepsTheTermAndForeignAnnotations) {
  auto current = stored(heartbeatLease(kIdentity, std::nullopt, kWall0), "41");
  current.meta.annotations["example.com/owner"] = "ops";
  current.lease_transitions = 3;
  auto identity = kIdentity;
  identity.config_hash = "def456";  // reloaded
  const auto spec = heartbeatLease(identity, current, kWall0 + 500ms);
  EXPECT_EQ(spec.resource_version, "41");
  EXPECT_EQ(spec.acquire_time, kWall0);
  EXPECT_EQ(spec.renew_time, kWall0 + 500ms);
  EXPECT_EQ(spec.lease_transitions, 3);
  EXPECT_EQ(spec.annotations.at("lbd.io/config-hash"), "def456");
  EXPECT_EQ(spec.annotations.at("example.com/owner"), "ops");
}

TEST(HeartbeatLease, CarriesTheFastHeartbeatEndpointOnlyWhileThereIsOne) {
  auto identity = kIdentity;
  identity.fast_endpoint = "192.0.2.11:7947";
  const auto on = heartbeatLease(identity, std::nullopt, kWall0);
  EXPECT_EQ(on.annotations.at("lbd.io/fast-heartbeat"), "192.0.2.11:7947");
  // Fast failover turned off: the next renewal takes the address away.
  const auto off = heartbeatLease(kIdentity, stored(on, "41"), kWall0 + 500ms);
  EXPECT_EQ(off.annotations.count("lbd.io/fast-heartbeat"), 0u);
}

TEST(HeartbeatLease, TakingItBackAfterAReleaseStartsANewTerm) {
  auto released = stored(heartbeatLease(kIdentity, std::nullopt, kWall0), "41");
  released.holder_identity.clear();
  released.lease_transitions = 3;
  const auto spec = heartbeatLease(kIdentity, released, kWall0 + 10s);
  EXPECT_EQ(spec.holder_identity, "node-a");
  EXPECT_EQ(spec.acquire_time, kWall0 + 10s);
  EXPECT_EQ(spec.lease_transitions, 4);
}

TEST(HeartbeatLease, ReleaseClearsTheHolderOnlyOfOurOwn) {
  const auto current = stored(heartbeatLease(kIdentity, std::nullopt, kWall0), "41");
  const auto spec = heartbeatRelease(kIdentity, current, kWall0 + 1s);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->holder_identity, "");
  EXPECT_EQ(spec->resource_version, "41");
  EXPECT_EQ(spec->acquire_time, kWall0);
  EXPECT_FALSE(heartbeatRelease(kIdentity, std::nullopt, kWall0));
  auto foreign = current;
  foreign.holder_identity = "node-z";
  EXPECT_FALSE(heartbeatRelease(kIdentity, foreign, kWall0));
}

}  // namespace
}  // namespace lbd::election
