// The allocator role's decisions: what is written to each Service's status, which Events are
// recorded, and when pending Services are tried again.

#include <gtest/gtest.h>

#include "core/ipam/allocation_controller.h"
#include "ipam_test_support.h"

namespace lbd::ipam {
namespace {

using testing::pool;
using testing::ServiceBuilder;

Labels noLabels(const std::string&) {
  return {};
}

std::vector<std::string> reasons(const Decisions& decisions) {
  std::vector<std::string> out;
  for (const auto& event : decisions.events)
    out.push_back(event.reason);
  return out;
}

class ControllerTest : public ::testing::Test {
 protected:
  AllocationController controller{KubernetesConfig{}, {pool("default", {"192.0.2.10-192.0.2.11"})}};

  Decisions update(const ServiceBuilder& svc) { return controller.update(svc.service, {}); }
  Decisions resync(std::vector<const ServiceBuilder*> services) {
    std::vector<const k8s::Service*> list;
    for (const auto* svc : services)
      list.push_back(&svc->service);
    return controller.resync(list, noLabels);
  }
};

TEST_F(ControllerTest, ANewServiceGetsStatusAnnotationAndAnEvent) {
  auto decisions = update(ServiceBuilder("demo/web"));
  ASSERT_EQ(decisions.status.size(), 1u);
  EXPECT_EQ(decisions.status[0], (StatusUpdate{"demo", "web", {"192.0.2.10"}, "default"}));
  ASSERT_EQ(decisions.events.size(), 1u);
  EXPECT_EQ(decisions.events[0].reason, "IPAllocated");
  EXPECT_EQ(decisions.events[0].type, "Normal");
  EXPECT_EQ(decisions.events[0].message, "Assigned IP [\"192.0.2.10\"] from pool \"default\"");
  EXPECT_EQ(decisions.events[0].uid, "uid-demo/web");
}

TEST_F(ControllerTest, AServiceAlreadyShowingItsDecisionCausesNoWrite) {
  auto svc = ServiceBuilder("demo/web")
                 .status({"192.0.2.11"})
                 .annotate(kAllocatedFromPoolAnnotation, "default");
  auto decisions = resync({&svc});
  EXPECT_TRUE(decisions.status.empty());
  EXPECT_TRUE(decisions.events.empty());  // found, not assigned
  // The same object again (a watch event for another field): still nothing.
  decisions = update(svc);
  EXPECT_TRUE(decisions.status.empty());
  EXPECT_TRUE(decisions.events.empty());
}

TEST_F(ControllerTest, AMissingPoolAnnotationIsWrittenEvenWhenTheIpsAreRight) {
  auto svc = ServiceBuilder("demo/web").status({"192.0.2.11"});
  auto decisions = resync({&svc});
  ASSERT_EQ(decisions.status.size(), 1u);
  EXPECT_EQ(decisions.status[0].pool, "default");
  EXPECT_EQ(decisions.status[0].ips, std::vector<std::string>{"192.0.2.11"});
}

TEST_F(ControllerTest, ResyncKeepsAddressesBeforeGivingNewOnes) {
  // The older Service has no address yet; the younger already shows .10. The younger keeps
  // it (Services with addresses go first), the older gets .11.
  auto older = ServiceBuilder("demo/older", "2026-11-24T09:00:00Z");
  auto younger = ServiceBuilder("demo/younger", "2026-11-24T10:00:00Z").status({"192.0.2.10"});
  auto decisions = resync({&older, &younger});
  EXPECT_EQ(controller.allocator().find("demo/younger")->ips[0].toString(), "192.0.2.10");
  EXPECT_EQ(controller.allocator().find("demo/older")->ips[0].toString(), "192.0.2.11");
}

TEST_F(ControllerTest, TheOlderServiceWinsAClash) {
  // Both show .10 (say, written by two allocators across a partition): the older keeps it.
  auto older = ServiceBuilder("demo/b-older", "2026-11-24T09:00:00Z").status({"192.0.2.10"});
  auto younger = ServiceBuilder("demo/a-younger", "2026-11-24T10:00:00Z").status({"192.0.2.10"});
  auto decisions = resync({&younger, &older});
  EXPECT_EQ(controller.allocator().find("demo/b-older")->ips[0].toString(), "192.0.2.10");
  EXPECT_EQ(controller.allocator().find("demo/a-younger")->ips[0].toString(), "192.0.2.11");
  ASSERT_EQ(reasons(decisions), std::vector<std::string>{"IPAllocated"});
  EXPECT_EQ(decisions.events[0].name, "a-younger");
  EXPECT_NE(decisions.events[0].message.find("(was [\"192.0.2.10\"])"), std::string::npos);
}

TEST_F(ControllerTest, PendingServicesGetTheFreedAddressOldestFirst) {
  update(ServiceBuilder("demo/a", "2026-11-24T09:00:00Z"));
  update(ServiceBuilder("demo/b", "2026-11-24T09:01:00Z"));
  auto failed = update(ServiceBuilder("demo/d", "2026-11-24T09:03:00Z"));
  EXPECT_EQ(reasons(failed), std::vector<std::string>{"AllocationFailed"});
  EXPECT_EQ(failed.events[0].type, "Warning");
  EXPECT_EQ(failed.events[0].message.rfind("PoolExhausted: ", 0), 0u);
  update(ServiceBuilder("demo/c", "2026-11-24T09:02:00Z"));

  auto decisions = controller.remove("demo/a");
  ASSERT_EQ(decisions.status.size(), 1u);
  EXPECT_EQ(decisions.status[0].name, "c");  // older than d
  EXPECT_EQ(decisions.status[0].ips, std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(reasons(decisions), std::vector<std::string>{"IPAllocated"});
  EXPECT_EQ(controller.allocator().find("demo/d"), nullptr);
}

TEST_F(ControllerTest, ARepeatedFailureIsReportedOnce) {
  auto bad = ServiceBuilder("demo/web").annotate("lbd.io/address-pool", "nope");
  EXPECT_EQ(reasons(update(bad)), std::vector<std::string>{"AllocationFailed"});
  EXPECT_TRUE(update(bad).events.empty());
  // A different failure is news again.
  bad.annotate("lbd.io/address-pool", "other");
  EXPECT_EQ(reasons(update(bad)), std::vector<std::string>{"AllocationFailed"});
}

TEST_F(ControllerTest, LeavingLoadBalancerReleasesClearsStatusAndServesThePending) {
  auto web = ServiceBuilder("demo/web", "2026-11-24T09:00:00Z");
  update(web);
  update(ServiceBuilder("demo/other", "2026-11-24T09:01:00Z"));
  update(ServiceBuilder("demo/waiting", "2026-11-24T09:02:00Z"));
  web.status({"192.0.2.10"}).annotate(kAllocatedFromPoolAnnotation, "default");
  web.service.type = "ClusterIP";
  auto decisions = update(web);
  ASSERT_EQ(decisions.status.size(), 2u);
  EXPECT_EQ(decisions.status[0], (StatusUpdate{"demo", "web", {}, ""}));
  EXPECT_EQ(decisions.status[1].name, "waiting");
  EXPECT_EQ(reasons(decisions), (std::vector<std::string>{"IPReleased", "IPAllocated"}));
  EXPECT_EQ(controller.allocator().find("demo/web"), nullptr);
}

TEST_F(ControllerTest, MovingToAnotherClassReleasesButLeavesStatusToTheOtherImplementation) {
  auto web = ServiceBuilder("demo/web");
  update(web);
  web.status({"192.0.2.10"});
  web.service.load_balancer_class = "example.com/other";
  auto decisions = update(web);
  EXPECT_TRUE(decisions.status.empty());
  EXPECT_EQ(reasons(decisions), std::vector<std::string>{"IPReleased"});
  EXPECT_EQ(controller.allocator().find("demo/web"), nullptr);
}

TEST_F(ControllerTest, ChangingThePoolAnnotationReallocates) {
  controller.configure(KubernetesConfig{},
                       {pool("default", {"192.0.2.10/32"}), pool("other", {"198.51.100.7/32"})});
  auto web = ServiceBuilder("demo/web");
  update(web);
  web.status({"192.0.2.10"}).annotate(kAllocatedFromPoolAnnotation, "default");
  web.annotate("lbd.io/address-pool", "other");
  auto decisions = update(web);
  ASSERT_EQ(decisions.status.size(), 1u);
  EXPECT_EQ(decisions.status[0], (StatusUpdate{"demo", "web", {"198.51.100.7"}, "other"}));
  EXPECT_EQ(reasons(decisions), std::vector<std::string>{"IPAllocated"});
  EXPECT_NE(decisions.events[0].message.find("(was [\"192.0.2.10\"])"), std::string::npos);
}

TEST_F(ControllerTest, AConfigChangeThatRemovesAnInUseRangeReallocates) {
  auto web = ServiceBuilder("demo/web");
  update(web);
  web.status({"192.0.2.10"}).annotate(kAllocatedFromPoolAnnotation, "default");
  controller.configure(KubernetesConfig{}, {pool("default", {"192.0.2.20/32"})});
  auto decisions = resync({&web});
  ASSERT_EQ(decisions.status.size(), 1u);
  EXPECT_EQ(decisions.status[0].ips, std::vector<std::string>{"192.0.2.20"});
}

TEST_F(ControllerTest, AConfigChangeKeepsAddressesWhoseStatusWriteIsStillOnItsWay) {
  // web was given .10 but the informer still shows no status: a resync must not move it.
  update(ServiceBuilder("demo/first", "2026-11-24T08:00:00Z"));  // takes .10
  controller.remove("demo/first");
  auto web = ServiceBuilder("demo/web", "2026-11-24T10:00:00Z");
  update(web);  // .10, write in flight
  auto older = ServiceBuilder("demo/older", "2026-11-24T09:00:00Z");
  auto decisions = resync({&older, &web});
  EXPECT_EQ(controller.allocator().find("demo/web")->ips[0].toString(), "192.0.2.10");
  EXPECT_EQ(controller.allocator().find("demo/older")->ips[0].toString(), "192.0.2.11");
}

TEST_F(ControllerTest, AnInvalidRequestKeepsTheAddressAndSaysWhy) {
  auto web = ServiceBuilder("demo/web");
  update(web);
  web.status({"192.0.2.10"}).annotate(kAllocatedFromPoolAnnotation, "default");
  web.annotate("lbd.io/loadBalancerIPs", "192.0.2.10")
      .annotate("metallb.io/loadBalancerIPs", "192.0.2.11");
  auto decisions = update(web);
  EXPECT_TRUE(decisions.status.empty());  // nothing lost because of a typo
  EXPECT_EQ(reasons(decisions), std::vector<std::string>{"AllocationFailed"});
  auto views = controller.services();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].state, "assigned");
  EXPECT_EQ(views[0].reason, "ConflictingRequests");
}

TEST_F(ControllerTest, ServicesViewShowsAssignedAndPendingWithReason) {
  update(ServiceBuilder("demo/a", "2026-11-24T09:00:00Z"));
  update(ServiceBuilder("demo/b", "2026-11-24T09:01:00Z").families({"IPv6"}, "SingleStack"));
  auto views = controller.services();
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].key, "demo/a");
  EXPECT_EQ(views[0].state, "assigned");
  EXPECT_EQ(views[0].pool, "default");
  EXPECT_EQ(views[0].ips, std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(views[1].state, "pending");
  EXPECT_EQ(views[1].reason, "FamilyUnavailable");
  EXPECT_FALSE(views[1].message.empty());
}

TEST_F(ControllerTest, ServicesOfOtherTypesAreIgnored) {
  auto plain = ServiceBuilder("demo/plain");
  plain.service.type = "ClusterIP";
  auto decisions = update(plain);
  EXPECT_TRUE(decisions.status.empty());
  EXPECT_TRUE(decisions.events.empty());
  EXPECT_TRUE(controller.services().empty());
}

TEST_F(ControllerTest, ForgetDropsEverything) {
  update(ServiceBuilder("demo/a"));
  controller.forget();
  EXPECT_TRUE(controller.services().empty());
  EXPECT_TRUE(controller.allocator().assignments().empty());
}

}  // namespace
}  // namespace lbd::ipam
