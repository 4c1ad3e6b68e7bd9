#include "core/ipam/service_request.h"

#include <gtest/gtest.h>

#include "ipam_test_support.h"

namespace lbd::ipam {
namespace {

using testing::ip;
using testing::ServiceBuilder;

TEST(ServedByLbd, TypeAndLoadBalancerClass) {
  KubernetesConfig config;  // class lbd.io/lbd, default class
  ServiceBuilder svc("web");
  EXPECT_TRUE(servedByLbd(svc.service, config));
  svc.service.load_balancer_class = "lbd.io/lbd";
  EXPECT_TRUE(servedByLbd(svc.service, config));
  svc.service.load_balancer_class = "metallb.io/metallb";
  EXPECT_FALSE(servedByLbd(svc.service, config));
  svc.service.load_balancer_class.reset();
  config.default_class = false;
  EXPECT_FALSE(servedByLbd(svc.service, config));
  config.default_class = true;
  svc.service.type = "ClusterIP";
  EXPECT_FALSE(servedByLbd(svc.service, config));
}

TEST(ServiceRequest, RequestedAddressesFromEverySource) {
  for (const char* key : {"lbd.io/loadBalancerIPs", "metallb.io/loadBalancerIPs",
                          "metallb.universe.tf/loadBalancerIPs"}) {
    auto request = ServiceBuilder("web")
                       .families({"IPv4", "IPv6"}, "RequireDualStack")
                       .annotate(key, " 2001:db8::5 , 192.0.2.5")
                       .request();
    EXPECT_FALSE(request.invalid) << key;
    EXPECT_EQ(request.requested_ips, (std::vector<IpAddress>{ip("192.0.2.5"), ip("2001:db8::5")}));
  }
  auto legacy = ServiceBuilder("web").loadBalancerIp("192.0.2.7").request();
  EXPECT_EQ(legacy.requested_ips, std::vector<IpAddress>{ip("192.0.2.7")});
}

TEST(ServiceRequest, AgreeingSourcesAreFineDisagreeingOnesAreAnError) {
  auto agree = ServiceBuilder("web")
                   .annotate("lbd.io/loadBalancerIPs", "192.0.2.5")
                   .annotate("metallb.universe.tf/loadBalancerIPs", "192.0.2.5")
                   .loadBalancerIp("192.0.2.5")
                   .request();
  EXPECT_FALSE(agree.invalid);
  auto disagree = ServiceBuilder("web")
                      .annotate("lbd.io/loadBalancerIPs", "192.0.2.5")
                      .loadBalancerIp("192.0.2.6")
                      .request();
  ASSERT_TRUE(disagree.invalid);
  EXPECT_EQ(disagree.invalid->reason, FailureReason::ConflictingRequests);
  EXPECT_EQ(disagree.invalid->message,
            "annotation lbd.io/loadBalancerIPs (\"192.0.2.5\") and spec.loadBalancerIP "
            "(\"192.0.2.6\") disagree");
  auto pools = ServiceBuilder("web")
                   .annotate("lbd.io/address-pool", "a")
                   .annotate("metallb.io/address-pool", "b")
                   .request();
  ASSERT_TRUE(pools.invalid);
  EXPECT_EQ(pools.invalid->reason, FailureReason::ConflictingRequests);
  auto keys = ServiceBuilder("web")
                  .annotate("metallb.io/allow-shared-ip", "k1")
                  .annotate("metallb.universe.tf/allow-shared-ip", "k2")
                  .request();
  ASSERT_TRUE(keys.invalid);
  EXPECT_EQ(keys.invalid->reason, FailureReason::ConflictingRequests);
}

TEST(ServiceRequest, BadAddressRequests) {
  auto garbage = ServiceBuilder("web").annotate("lbd.io/loadBalancerIPs", "192.0.2.300").request();
  ASSERT_TRUE(garbage.invalid);
  EXPECT_EQ(garbage.invalid->reason, FailureReason::InvalidRequest);
  EXPECT_NE(garbage.invalid->message.find("\"192.0.2.300\" is not an IP address"),
            std::string::npos)
      << garbage.invalid->message;
  auto two_v4 =
      ServiceBuilder("web").annotate("lbd.io/loadBalancerIPs", "192.0.2.1,192.0.2.2").request();
  ASSERT_TRUE(two_v4.invalid);
  EXPECT_EQ(two_v4.invalid->message,
            "annotation lbd.io/loadBalancerIPs: at most one address per family (IPv4, IPv6)");
  auto wrong_family =
      ServiceBuilder("web").annotate("lbd.io/loadBalancerIPs", "2001:db8::1").request();
  ASSERT_TRUE(wrong_family.invalid);
  EXPECT_EQ(wrong_family.invalid->message,
            "requested address 2001:db8::1 is IPv6, a family the Service does not have");
  auto half_dual = ServiceBuilder("web")
                       .families({"IPv4", "IPv6"}, "RequireDualStack")
                       .annotate("lbd.io/loadBalancerIPs", "192.0.2.1")
                       .request();
  ASSERT_TRUE(half_dual.invalid);
  EXPECT_EQ(half_dual.invalid->reason, FailureReason::InvalidRequest);
}

TEST(ServiceRequest, FamiliesPolicyPortsBackendAndStatus) {
  auto request = ServiceBuilder("web")
                     .families({"IPv6", "IPv4"}, "PreferDualStack")
                     .ports({{"dns", "UDP", 53}, {"dns-tcp", "TCP", 53}, {"http", "TCP", 80}})
                     .local({{"app", "web"}, {"tier", "front"}})
                     .status({"192.0.2.9", "not-an-ip"})
                     .request();
  EXPECT_EQ(request.families, (std::vector<IpFamily>{IpFamily::V6, IpFamily::V4}));
  EXPECT_EQ(request.policy, FamilyPolicy::PreferDualStack);
  EXPECT_EQ(request.ports, (std::vector<PortKey>{{"TCP", 53}, {"TCP", 80}, {"UDP", 53}}));
  EXPECT_EQ(request.backend_key, "local:app=web,tier=front,");
  EXPECT_EQ(request.current_ips, std::vector<IpAddress>{ip("192.0.2.9")});
  EXPECT_EQ(ServiceBuilder("web").request().backend_key, "");  // Cluster
  auto no_families = ServiceBuilder("web").families({}, "").request();
  EXPECT_EQ(no_families.families, std::vector<IpFamily>{IpFamily::V4});
}

}  // namespace
}  // namespace lbd::ipam
