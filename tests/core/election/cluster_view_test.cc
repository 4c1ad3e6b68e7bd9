// The VIP table (which addresses are layer-2 VIPs, shared addresses as one) and eligibility by
// cluster state (Ready, exclusion label, node-selector, ready local endpoints).

#include "core/election/cluster_view.h"

#include <gtest/gtest.h>

#include "election_test_support.h"

namespace lbd::election {
namespace {

using namespace testing;

std::vector<Pool> pools() {
  return {pool("l2", "192.0.2.0/24"), pool("l2v6", "2001:db8::/64"),
          pool("bgp", "198.51.100.0/24", PoolMode::Bgp),
          pool("racks", "203.0.113.0/24", PoolMode::Layer2, "rack in (r1,r2),!spare")};
}

std::vector<k8s::Node> readyNodes() {
  return {node("node-a", true, {{"rack", "r1"}}), node("node-b", true, {{"rack", "r2"}}),
          node("node-c", true, {{"rack", "r3"}})};
}

ClusterView view(std::vector<k8s::Service> services, std::vector<k8s::EndpointSlice> slices = {},
                 std::vector<k8s::Node> nodes = readyNodes(), KubernetesConfig kubernetes = {}) {
  return ClusterView::build(byKey(std::move(services)), byKey(std::move(slices)),
                            byKey(std::move(nodes)), pools(), kubernetes);
}

std::vector<IpAddress> ips(const ClusterView& view) {
  std::vector<IpAddress> out;
  for (const auto& [address, vip] : view.vips())
    out.push_back(address);
  return out;
}

TEST(VipTable, OnlyLbdServicesInLayer2PoolsMakeVips) {
  auto other_class = service("demo/other", {"192.0.2.20"});
  other_class.load_balancer_class = "example.com/lb";
  auto own_class = service("demo/own", {"192.0.2.21"});
  own_class.load_balancer_class = "lbd.io/lbd";
  auto node_port = service("demo/np", {"192.0.2.22"});
  node_port.type = "NodePort";
  auto hostname = service("demo/host", {});
  hostname.ingress.push_back({"", "lb.example.com", ""});
  const auto table = view({service("demo/web", {"192.0.2.10"}), other_class, own_class, node_port,
                           service("demo/bgp", {"198.51.100.5"}),
                           service("demo/outside", {"192.168.0.1"}), hostname});
  EXPECT_EQ(ips(table), (std::vector<IpAddress>{ip("192.0.2.10"), ip("192.0.2.21")}));
  const Vip* web = table.find(ip("192.0.2.10"));
  ASSERT_TRUE(web);
  EXPECT_EQ(web->pool, "l2");
  EXPECT_EQ(web->services, (std::vector<std::string>{"demo/web"}));
  EXPECT_FALSE(web->local_traffic);

  KubernetesConfig not_default;
  not_default.default_class = false;  // then a Service without a class is not ours
  EXPECT_EQ(
      ips(view({service("demo/web", {"192.0.2.10"}), own_class}, {}, readyNodes(), not_default)),
      (std::vector<IpAddress>{ip("192.0.2.21")}));
}

TEST(VipTable, ADualStackServiceGivesTwoVips) {
  const auto table = view({service("demo/web", {"192.0.2.10", "2001:db8::10"})});
  ASSERT_EQ(ips(table), (std::vector<IpAddress>{ip("192.0.2.10"), ip("2001:db8::10")}));
  EXPECT_EQ(table.find(ip("2001:db8::10"))->pool, "l2v6");
  EXPECT_EQ(table.find(ip("2001:db8::10"))->services, (std::vector<std::string>{"demo/web"}));
}

TEST(VipTable, ServicesSharingAnAddressAreOneVip) {
  const auto table = view({service("demo/web-udp", {"192.0.2.10"}),
                           service("demo/web-tcp", {"192.0.2.10", "192.0.2.10"})});
  ASSERT_EQ(table.vips().size(), 1u);
  EXPECT_EQ(table.find(ip("192.0.2.10"))->services,
            (std::vector<std::string>{"demo/web-tcp", "demo/web-udp"}));
}

TEST(Eligibility, ReadyNodesMatchingThePoolAreEligible) {
  auto nodes = readyNodes();
  nodes[1].ready = false;                                                  // node-b
  nodes[2].meta.labels[std::string(kExcludeFromLoadBalancersLabel)] = "";  // node-c
  const auto table = view({service("demo/web", {"192.0.2.10"})}, {}, nodes);
  const Vip& vip = *table.find(ip("192.0.2.10"));
  EXPECT_TRUE(table.eligible(vip, "node-a"));
  EXPECT_EQ(table.ineligibility(vip, "node-a"), "");
  EXPECT_FALSE(table.eligible(vip, "node-b"));
  EXPECT_EQ(table.ineligibility(vip, "node-b"), "Node not Ready");
  EXPECT_FALSE(table.eligible(vip, "node-c"));
  EXPECT_EQ(table.ineligibility(vip, "node-c"),
            "Node labelled node.kubernetes.io/exclude-from-external-load-balancers");
  EXPECT_FALSE(table.eligible(vip, "node-z"));
  EXPECT_EQ(table.ineligibility(vip, "node-z"), "no Node object");
}

TEST(Eligibility, ThePoolsNodeSelectorDecides) {
  auto nodes = readyNodes();
  nodes[1].meta.labels["spare"] = "yes";  // node-b: r2 but a spare
  const auto table = view({service("demo/racked", {"203.0.113.7"})}, {}, nodes);
  const Vip& vip = *table.find(ip("203.0.113.7"));
  EXPECT_TRUE(table.eligible(vip, "node-a"));
  EXPECT_FALSE(table.eligible(vip, "node-b"));
  EXPECT_FALSE(table.eligible(vip, "node-c"));  // rack r3
  EXPECT_EQ(table.ineligibility(vip, "node-c"),
            "Node does not match node-selector \"rack in (r1,r2),!spare\" of pool racks");
}

TEST(Eligibility, LocalPolicyNeedsAReadyEndpointOnTheNode) {
  const auto table =
      view({service("demo/web", {"192.0.2.10", "2001:db8::10"}, "Local"),
            service("demo/plain", {"192.0.2.11"})},
           {slice("demo/web", "web-v4", "IPv4", {{"node-a", true}, {"node-b", false}}),
            slice("demo/web", "web-v6", "IPv6", {{"node-c", true}}),
            slice("demo/plain", "plain", "IPv4", {{"node-a", true}})});
  const Vip& v4 = *table.find(ip("192.0.2.10"));
  EXPECT_TRUE(v4.local_traffic);
  EXPECT_TRUE(table.eligible(v4, "node-a"));
  EXPECT_FALSE(table.eligible(v4, "node-b")) << "its endpoint is not ready";
  EXPECT_EQ(table.ineligibility(v4, "node-b"),
            "no ready local endpoint (externalTrafficPolicy Local)");
  EXPECT_FALSE(table.eligible(v4, "node-c")) << "an IPv6 endpoint does not serve the IPv4 VIP";
  const Vip& v6 = *table.find(ip("2001:db8::10"));
  EXPECT_TRUE(table.eligible(v6, "node-c"));
  EXPECT_FALSE(table.eligible(v6, "node-a"));
  // Cluster policy: endpoints do not matter.
  const Vip& plain = *table.find(ip("192.0.2.11"));
  EXPECT_FALSE(plain.local_traffic);
  EXPECT_TRUE(table.eligible(plain, "node-b"));
  EXPECT_TRUE(table.eligible(plain, "node-c"));
}

TEST(Eligibility, ALocalVipWithoutAnyEndpointHasNoEligibleNode) {
  const auto table = view({service("demo/web", {"192.0.2.10"}, "Local")});
  const Vip& vip = *table.find(ip("192.0.2.10"));
  for (const char* name : {"node-a", "node-b", "node-c"})
    EXPECT_FALSE(table.eligible(vip, name)) << name;
}

TEST(Eligibility, ASharedLocalVipCountsEveryServicesEndpoints) {
  const auto table = view({service("demo/web-tcp", {"192.0.2.10"}, "Local"),
                           service("demo/web-udp", {"192.0.2.10"}, "Local")},
                          {slice("demo/web-tcp", "tcp", "IPv4", {{"node-a", true}}),
                           slice("demo/web-udp", "udp-1", "IPv4", {{"node-b", true}}),
                           slice("demo/other", "other", "IPv4", {{"node-c", true}})});
  const Vip& vip = *table.find(ip("192.0.2.10"));
  EXPECT_EQ(vip.ready_nodes, (std::set<std::string, std::less<>>{"node-a", "node-b"}));
  EXPECT_TRUE(table.eligible(vip, "node-a"));
  EXPECT_TRUE(table.eligible(vip, "node-b"));
  EXPECT_FALSE(table.eligible(vip, "node-c")) << "another Service's endpoint";
}

TEST(Eligibility, ASliceInAnotherNamespaceIsNotTheServices) {
  const auto table = view({service("demo/web", {"192.0.2.10"}, "Local")},
                          {slice("prod/web", "web", "IPv4", {{"node-a", true}})});
  EXPECT_FALSE(table.eligible(*table.find(ip("192.0.2.10")), "node-a"));
}

}  // namespace
}  // namespace lbd::election
