#include "core/k8s/object_builders.h"

#include <gtest/gtest.h>

namespace lbd::k8s {
namespace {

using namespace std::chrono_literals;

// 2026-11-24T20:00:00Z
const WallClock kNow = WallClock(std::chrono::seconds(1795550400)) + 123456us + 789ns;

TEST(ObjectBuilders, TimeFormatsMatchTheApi) {
  EXPECT_EQ(formatTime(kNow), "2026-11-24T20:00:00Z");
  EXPECT_EQ(formatMicroTime(kNow), "2026-11-24T20:00:00.123456Z");
  EXPECT_EQ(formatMicroTime(WallClock(std::chrono::seconds(1795550400))),
            "2026-11-24T20:00:00.000000Z");
}

TEST(ObjectBuilders, MicroTimeReadsBackWhatWasWritten) {
  const WallClock micros = WallClock(std::chrono::seconds(1795550400)) + 123456us;
  EXPECT_EQ(parseMicroTime(formatMicroTime(kNow)).value(), micros);
  EXPECT_EQ(parseMicroTime("2026-11-24T20:00:00Z").value(),
            WallClock(std::chrono::seconds(1795550400)));
  EXPECT_EQ(parseMicroTime("1970-01-01T00:00:01.5Z").value(), WallClock(1500ms));
  EXPECT_EQ(parseMicroTime("2024-02-29T00:00:00.000000Z").value(),
            WallClock(std::chrono::seconds(1709164800)));
  for (const char* bad : {"", "2026-11-24", "2026-11-24T20:00:00", "2026-11-24T20:00:00+01:00",
                          "2026-11-24T20:00:00.Z", "2026-02-30T00:00:00Z", "2026-11-24T24:00:00Z",
                          "2026-11-24 20:00:00Z", "2026-11-24T20:00:00.1234567890Z"}) {
    EXPECT_FALSE(parseMicroTime(bad)) << bad;
  }
}

TEST(ObjectBuilders, ServiceIngressPatchReplacesTheList) {
  EXPECT_EQ(
      serviceIngressPatch({"192.0.2.10", "2001:db8::10"}, "VIP").dump(),
      R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ipMode":"VIP"},{"ip":"2001:db8::10","ipMode":"VIP"}]}}})");
  EXPECT_EQ(serviceIngressPatch({"192.0.2.10"}, "").dump(),
            R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}})");
  EXPECT_EQ(serviceIngressPatch({}, "VIP").dump(), R"({"status":{"loadBalancer":{"ingress":[]}}})");
}

TEST(ObjectBuilders, EventLikeClientGo) {
  EventSpec spec;
  spec.namespace_ = "demo";
  spec.involved_name = "web";
  spec.involved_uid = "u-1";
  spec.involved_resource_version = "42";
  spec.reason = "IPAllocated";
  spec.message = "Assigned IP [\"192.0.2.10\"]";
  spec.reporting_instance = "node-a";
  const Json event = eventObject(spec, "17fa", kNow);
  EXPECT_EQ(event["metadata"]["name"], "web.17fa");
  EXPECT_EQ(event["involvedObject"]["kind"], "Service");
  EXPECT_EQ(event["involvedObject"]["uid"], "u-1");
  EXPECT_EQ(event["count"], 1);
  EXPECT_EQ(event["firstTimestamp"], "2026-11-24T20:00:00Z");
  EXPECT_EQ(event["type"], "Normal");
  EXPECT_EQ(event["source"]["component"], "lbd");
  EXPECT_EQ(eventRepeatPatch(3, kNow).dump(),
            R"({"count":3,"lastTimestamp":"2026-11-24T20:00:00Z"})");
}

TEST(ObjectBuilders, LeaseForCreateAndUpdate) {
  LeaseSpec spec;
  spec.namespace_ = "lbd-system";
  spec.name = "lbd-allocator";
  spec.holder_identity = "node-a";
  spec.lease_duration_seconds = 15;
  spec.acquire_time = kNow;
  spec.renew_time = kNow;
  EXPECT_EQ(
      leaseObject(spec).dump(),
      R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"lbd-allocator","namespace":"lbd-system"},"spec":{"acquireTime":"2026-11-24T20:00:00.123456Z","holderIdentity":"node-a","leaseDurationSeconds":15,"leaseTransitions":0,"renewTime":"2026-11-24T20:00:00.123456Z"}})");
  spec.resource_version = "99";
  EXPECT_EQ(leaseObject(spec)["metadata"]["resourceVersion"], "99");
}

}  // namespace
}  // namespace lbd::k8s
