// The allocator election's rules, one test each: claiming, renewing, respecting a live holder,
// taking over only lease-duration after the holder's record stopped changing (by our clock),
// stepping down after renew-deadline without a renewal, and releasing on shutdown.

#include <gtest/gtest.h>

#include "core/election/leader_election.h"

namespace lbd::election {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr LeaderElectionTiming kTiming{seconds(15), seconds(10), seconds(2)};

k8s::Lease lease(std::string holder, std::string renew_time, std::string rv,
                 std::int32_t transitions = 0, std::int32_t duration = 15) {
  k8s::Lease lease;
  lease.meta.namespace_ = "lbd-system";
  lease.meta.name = "lbd-allocator";
  lease.meta.resource_version = std::move(rv);
  lease.holder_identity = std::move(holder);
  lease.renew_time = std::move(renew_time);
  lease.lease_duration_seconds = duration;
  lease.lease_transitions = transitions;
  return lease;
}

// What the server would store for a spec (enough for the election: holder, renew, RV).
k8s::Lease stored(const k8s::LeaseSpec& spec, std::string rv) {
  auto result = lease(spec.holder_identity, k8s::formatMicroTime(*spec.renew_time), std::move(rv),
                      spec.lease_transitions, spec.lease_duration_seconds);
  return result;
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  MonotonicTime t0 = MonotonicTime{} + seconds(1000);
  k8s::WallClock wall = k8s::WallClock{} + seconds(1'800'000'000);
  LeaderElection a{"lbd-system", "lbd-allocator", "host-a", kTiming};
};

TEST_F(LeaderElectionTest, CreatesTheLeaseWhenThereIsNone) {
  auto spec = a.decide(std::nullopt, t0, wall);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->holder_identity, "host-a");
  EXPECT_EQ(spec->lease_duration_seconds, 15);
  EXPECT_EQ(spec->resource_version, "");  // a create
  EXPECT_EQ(spec->lease_transitions, 0);
  EXPECT_EQ(spec->namespace_, "lbd-system");
  EXPECT_EQ(spec->name, "lbd-allocator");
  EXPECT_FALSE(a.isLeader(t0));  // not before the server said yes
  a.written(stored(*spec, "5"), t0, t0);
  EXPECT_TRUE(a.isLeader(t0));
}

TEST_F(LeaderElectionTest, LeavesALiveHolderAlone) {
  auto held = lease("host-b", "2026-11-24T10:00:00.000000Z", "7", 3);
  EXPECT_FALSE(a.decide(held, t0, wall));
  // Still unchanged 14.9 s later: b may still be renewing at the edge, so keep waiting.
  EXPECT_FALSE(a.decide(held, t0 + milliseconds(14900), wall));
  EXPECT_EQ(a.holder(), "host-b");
}

TEST_F(LeaderElectionTest, TakesOverLeaseDurationAfterTheRecordStoppedChanging) {
  auto held = lease("host-b", "2026-11-24T10:00:00.000000Z", "7", 3);
  EXPECT_FALSE(a.decide(held, t0, wall));
  // b renews at t0 + 10 s: the clock restarts from there.
  auto renewed = lease("host-b", "2026-11-24T10:00:10.000000Z", "8", 3);
  EXPECT_FALSE(a.decide(renewed, t0 + seconds(10), wall));
  EXPECT_FALSE(a.decide(renewed, t0 + seconds(24), wall));
  auto spec = a.decide(renewed, t0 + seconds(25), wall);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->holder_identity, "host-a");
  EXPECT_EQ(spec->resource_version, "8");  // the update is conditional on what we read
  EXPECT_EQ(spec->lease_transitions, 4);
}

TEST_F(LeaderElectionTest, JudgesExpiryByItsOwnClockNotTheRenewTimeText) {
  // The holder's renewTime says it renewed "long ago" (its clock is behind ours): that alone
  // must not let us take over a Lease we have just seen change.
  auto held = lease("host-b", "2001-01-01T00:00:00.000000Z", "7");
  EXPECT_FALSE(a.decide(held, t0, wall));
  EXPECT_FALSE(a.decide(held, t0 + seconds(1), wall));
}

TEST_F(LeaderElectionTest, TellsWhenAnotherHoldersLeaseExpires) {
  EXPECT_FALSE(a.expiresAt());
  a.observe(lease("host-b", "2026-11-24T10:00:00.000000Z", "7"), t0);
  EXPECT_EQ(a.expiresAt(), t0 + seconds(15));
  a.observe(lease("host-b", "2026-11-24T10:00:00.000000Z", "7"), t0 + seconds(3));
  EXPECT_EQ(a.expiresAt(), t0 + seconds(15)) << "an unchanged record does not extend it";
  a.observe(lease("", "2026-11-24T10:00:01.000000Z", "8", 0, 1), t0 + seconds(4));
  EXPECT_FALSE(a.expiresAt()) << "released: free now";
}

TEST_F(LeaderElectionTest, UsesTheLeaseDurationTheHolderWrote) {
  auto held = lease("host-b", "2026-11-24T10:00:00.000000Z", "7", 0, /*duration=*/40);
  EXPECT_FALSE(a.decide(held, t0, wall));
  EXPECT_FALSE(a.decide(held, t0 + seconds(39), wall));
  EXPECT_TRUE(a.decide(held, t0 + seconds(40), wall));
}

TEST_F(LeaderElectionTest, AReleasedLeaseIsTakenAtOnce) {
  auto released = lease("", "2026-11-24T10:00:00.000000Z", "9", 2, 1);
  auto spec = a.decide(released, t0, wall);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->holder_identity, "host-a");
  EXPECT_EQ(spec->lease_transitions, 3);
}

TEST_F(LeaderElectionTest, RenewsItsOwnLeaseKeepingTheTerm) {
  auto spec = a.decide(std::nullopt, t0, wall);
  a.written(stored(*spec, "5"), t0, t0);
  auto renewal = a.decide(stored(*spec, "5"), t0 + seconds(2), wall + seconds(2));
  ASSERT_TRUE(renewal);
  EXPECT_EQ(renewal->holder_identity, "host-a");
  EXPECT_EQ(renewal->resource_version, "5");
  EXPECT_EQ(renewal->lease_transitions, 0);
  EXPECT_EQ(*renewal->acquire_time, wall);  // the term began at the first write
  EXPECT_EQ(*renewal->renew_time, wall + seconds(2));
}

TEST_F(LeaderElectionTest, StepsDownWhenRenewalsFailForRenewDeadline) {
  auto spec = a.decide(std::nullopt, t0, wall);
  a.written(stored(*spec, "5"), t0, t0);
  EXPECT_TRUE(a.isLeader(t0 + milliseconds(9999)));
  EXPECT_FALSE(a.isLeader(t0 + seconds(10)));  // before anyone else may take over (15 s)
  EXPECT_EQ(a.leadershipDeadline(), t0 + seconds(10));
}

TEST_F(LeaderElectionTest, LosesLeadershipWhenSomeoneElseHoldsTheLease) {
  auto spec = a.decide(std::nullopt, t0, wall);
  a.written(stored(*spec, "5"), t0, t0);
  a.observe(lease("host-b", "2026-11-24T10:00:00.000000Z", "9"), t0 + seconds(1));
  EXPECT_FALSE(a.isLeader(t0 + seconds(1)));
}

TEST_F(LeaderElectionTest, TwoCandidatesRacingBothDecideButOnlyTheConditionalWriteWins) {
  LeaderElection b{"lbd-system", "lbd-allocator", "host-b", kTiming};
  auto released = lease("", "2026-11-24T10:00:00.000000Z", "9", 0, 1);
  auto from_a = a.decide(released, t0, wall);
  auto from_b = b.decide(released, t0, wall);
  ASSERT_TRUE(from_a && from_b);
  // Both carry RV 9: the server takes the first and answers 409 to the second, which reads
  // again and sees a live holder.
  EXPECT_EQ(from_a->resource_version, "9");
  EXPECT_EQ(from_b->resource_version, "9");
  a.written(stored(*from_a, "10"), t0, t0);
  EXPECT_FALSE(b.decide(stored(*from_a, "10"), t0 + milliseconds(10), wall));
  EXPECT_TRUE(a.isLeader(t0 + milliseconds(10)));
  EXPECT_FALSE(b.isLeader(t0 + milliseconds(10)));
}

TEST_F(LeaderElectionTest, ReleaseClearsTheHolderOnlyWhenItIsOurs) {
  auto spec = a.decide(std::nullopt, t0, wall);
  a.written(stored(*spec, "5"), t0, t0);
  auto release = a.release(stored(*spec, "5"), wall + seconds(3));
  ASSERT_TRUE(release);
  EXPECT_EQ(release->holder_identity, "");
  EXPECT_EQ(release->lease_duration_seconds, 1);
  EXPECT_EQ(release->resource_version, "5");
  EXPECT_FALSE(a.isLeader(t0));
  EXPECT_FALSE(a.release(lease("host-b", "x", "6"), wall));
}

TEST_F(LeaderElectionTest, ARestartWithTheSameIdentityRenewsWithoutWaiting) {
  // lbd restarted on the same host: the Lease still names it; no need to wait for expiry.
  auto held = lease("host-a", "2026-11-24T10:00:00.000000Z", "7", 2);
  auto spec = a.decide(held, t0, wall);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->lease_transitions, 2);
  EXPECT_EQ(*spec->acquire_time, wall);
}

TEST_F(LeaderElectionTest, LeadershipCountsFromWhenTheRenewalWasSentNotAnswered) {
  // The renewal was sent at t0; its answer is handled 8 s later (the process was stopped, or
  // its loop starved). A standby saw the renewal soon after t0 and may take over at t0 + 15 s:
  // counting from the answer would let writes go out until t0 + 18 s.
  auto spec = a.decide(std::nullopt, t0, wall);
  a.written(stored(*spec, "5"), t0, t0 + seconds(8));
  EXPECT_EQ(a.leadershipDeadline(), t0 + seconds(10));
  EXPECT_EQ(a.writeWindow(t0 + seconds(8)), milliseconds(2000));
  EXPECT_EQ(a.writeWindow(t0 + seconds(11)), std::nullopt);
  EXPECT_FALSE(a.isLeader(t0 + seconds(11)));
}

}  // namespace
}  // namespace lbd::election

namespace lbd::election {
namespace {

TEST_F(LeaderElectionTest, WritesAreFencedToTheLeadershipWindow) {
  EXPECT_EQ(a.writeWindow(t0), std::nullopt);  // never led: nothing may be sent
  auto spec = a.decide(std::nullopt, t0, wall);
  a.written(stored(*spec, "5"), t0, t0);
  // A write starting 4 s after the renewal must land within the 6 s left before the renew
  // deadline, which is 5 s before any standby may take over.
  EXPECT_EQ(a.writeWindow(t0 + seconds(4)), milliseconds(6000));
  EXPECT_EQ(a.writeWindow(t0 + seconds(10)), std::nullopt);
  // Another holder seen: the window closes at once.
  a.observe(lease("host-b", "2026-11-24T20:00:00.000000Z", "9"), t0 + seconds(5));
  EXPECT_EQ(a.writeWindow(t0 + seconds(5)), std::nullopt);
}

}  // namespace
}  // namespace lbd::election
