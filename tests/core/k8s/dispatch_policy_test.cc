#include "core/k8s/dispatch_policy.h"

#include <gtest/gtest.h>

namespace lbd::k8s {
namespace {

using namespace std::chrono_literals;
using TimePoint = DispatchPolicy::TimePoint;

const TimePoint t0 = TimePoint{} + 1h;

DispatchPolicy::Waiting waiting(std::initializer_list<RequestClass> classes) {
  DispatchPolicy::Waiting w{};
  for (auto c : classes)
    w[index(c)] = true;
  return w;
}

TEST(RequestClass, FollowsFromMethodAndPath) {
  EXPECT_EQ(classifyRequest("GET", "/apis/coordination.k8s.io/v1/namespaces/x/leases/a"),
            RequestClass::Lease);
  EXPECT_EQ(classifyRequest("PUT", "/apis/coordination.k8s.io/v1/namespaces/x/leases/a"),
            RequestClass::Lease);
  EXPECT_EQ(classifyRequest("GET", "/api/v1/services?limit=500"), RequestClass::Read);
  EXPECT_EQ(classifyRequest("PATCH", "/api/v1/namespaces/a/services/b/status"),
            RequestClass::Status);
  EXPECT_EQ(classifyRequest("POST", "/api/v1/namespaces/a/events"), RequestClass::Event);
  EXPECT_EQ(classifyRequest("PATCH", "/api/v1/namespaces/a/events/web.17a"), RequestClass::Event);
  // A Service named "events" is not an Event.
  EXPECT_EQ(classifyRequest("PATCH", "/api/v1/namespaces/a/services/events/status"),
            RequestClass::Status);
  EXPECT_EQ(classifyRequest("GET", "/api/v1/namespaces/a/events"), RequestClass::Read);
  EXPECT_EQ(classifyRequest("POST", "/apis/events.k8s.io/v1/namespaces/a/events"),
            RequestClass::Event);
  EXPECT_EQ(classifyRequest("DELETE", "/api/v1/nodes/events"), RequestClass::Status);
}

TEST(DispatchPolicy, ServesClassesInOrder) {
  DispatchPolicy policy({.max_in_flight = 4, .lease_in_flight = 1}, t0);
  EXPECT_EQ(policy.next(waiting({RequestClass::Event, RequestClass::Status}), t0),
            RequestClass::Status);
  EXPECT_EQ(policy.next(waiting({RequestClass::Event, RequestClass::Read}), t0),
            RequestClass::Read);
  EXPECT_EQ(policy.next(waiting({RequestClass::Event, RequestClass::Lease}), t0),
            RequestClass::Lease);
  EXPECT_EQ(policy.next(waiting({RequestClass::Event}), t0), RequestClass::Event);
  EXPECT_EQ(policy.next(waiting({}), t0), std::nullopt);
}

TEST(DispatchPolicy, BoundsBulkRequestsInFlight) {
  DispatchPolicy policy({.max_in_flight = 3, .lease_in_flight = 2}, t0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(policy.next(waiting({RequestClass::Status}), t0), RequestClass::Status);
    policy.started(RequestClass::Status);
  }
  EXPECT_EQ(policy.next(waiting({RequestClass::Status, RequestClass::Event}), t0), std::nullopt);
  EXPECT_EQ(policy.inFlight(), 3u);
  policy.finished(RequestClass::Status);
  EXPECT_EQ(policy.next(waiting({RequestClass::Status}), t0), RequestClass::Status);
}

TEST(DispatchPolicy, LeaseRequestsNeverWaitForBulkSlots) {
  DispatchPolicy policy({.max_in_flight = 2, .lease_in_flight = 2}, t0);
  policy.started(RequestClass::Status);
  policy.started(RequestClass::Event);
  EXPECT_EQ(policy.next(waiting({RequestClass::Status}), t0), std::nullopt);
  ASSERT_EQ(policy.next(waiting({RequestClass::Lease, RequestClass::Status}), t0),
            RequestClass::Lease);
  policy.started(RequestClass::Lease);
  ASSERT_EQ(policy.next(waiting({RequestClass::Lease}), t0), RequestClass::Lease);
  policy.started(RequestClass::Lease);
  // Its own slots are bounded too.
  EXPECT_EQ(policy.next(waiting({RequestClass::Lease}), t0), std::nullopt);
  EXPECT_EQ(policy.inFlight(), 4u);
}

TEST(DispatchPolicy, A429HoldsOnlyItsClassUntilRetryAfter) {
  DispatchPolicy policy({.max_in_flight = 4, .lease_in_flight = 1}, t0);
  policy.throttle(RequestClass::Status, t0 + 1s);
  const auto w = waiting({RequestClass::Status, RequestClass::Event});
  // Events go on meanwhile (they may be in another priority level; if not, they get their
  // own 429 and wait too).
  EXPECT_EQ(policy.next(w, t0), RequestClass::Event);
  EXPECT_EQ(policy.next(waiting({RequestClass::Status}), t0 + 999ms), std::nullopt);
  EXPECT_EQ(policy.wakeAt(waiting({RequestClass::Status}), t0), t0 + 1s);
  EXPECT_EQ(policy.next(waiting({RequestClass::Status}), t0 + 1s), RequestClass::Status);
  // A shorter hold never shortens a longer one.
  policy.throttle(RequestClass::Lease, t0 + 5s);
  policy.throttle(RequestClass::Lease, t0 + 2s);
  EXPECT_TRUE(policy.throttled(RequestClass::Lease, t0 + 4s));
}

TEST(DispatchPolicy, RateLimitAppliesToBulkClassesOnly) {
  DispatchPolicy policy({.max_in_flight = 100, .lease_in_flight = 4, .qps = 10, .burst = 2}, t0);
  const auto w = waiting({RequestClass::Status});
  EXPECT_EQ(policy.next(w, t0), RequestClass::Status);
  EXPECT_EQ(policy.next(w, t0), RequestClass::Status);
  EXPECT_EQ(policy.next(w, t0), std::nullopt);  // burst used
  ASSERT_TRUE(policy.wakeAt(w, t0).has_value());
  EXPECT_EQ(*policy.wakeAt(w, t0), t0 + 100ms);
  // A Lease renewal is never held by the user's qps.
  EXPECT_EQ(policy.next(waiting({RequestClass::Lease, RequestClass::Status}), t0),
            RequestClass::Lease);
  EXPECT_EQ(policy.next(w, t0 + 100ms), RequestClass::Status);
}

TEST(DispatchPolicy, NoWakeWhenOnlyAFinishingRequestCanHelp) {
  DispatchPolicy policy({.max_in_flight = 1, .lease_in_flight = 1}, t0);
  policy.started(RequestClass::Status);
  EXPECT_EQ(policy.wakeAt(waiting({RequestClass::Status}), t0), std::nullopt);
}

}  // namespace
}  // namespace lbd::k8s
