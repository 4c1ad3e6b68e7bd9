#include "core/ipam/allocator.h"

#include <gtest/gtest.h>

#include "ipam_test_support.h"

namespace lbd::ipam {
namespace {

using testing::ip;
using testing::pool;
using testing::ServiceBuilder;

std::vector<IpAddress> ips(std::initializer_list<const char*> texts) {
  std::vector<IpAddress> out;
  for (const char* text : texts)
    out.push_back(ip(text));
  return out;
}

/// The addresses assigned, or the failure reason and message.
std::string outcome(const Result<Assignment, AllocationFailure>& result) {
  if (!result) {
    return std::string(toString(result.error().reason)) + ": " + result.error().message;
  }
  std::string text = result.value().pool + ":";
  for (const auto& address : result.value().ips)
    text += " " + address.toString();
  return text;
}

TEST(Allocator, LowestFreeAddressThenExhausted) {
  Allocator allocator({pool("p", {"192.0.2.0/31", "192.0.2.10"})});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("a"))), "p: 192.0.2.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b"))), "p: 192.0.2.1");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("c"))), "p: 192.0.2.10");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("d"))),
            "PoolExhausted: no free IPv4 address in pool \"p\"");
  allocator.release("default/b");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("d"))), "p: 192.0.2.1");
}

TEST(Allocator, AssigningAgainKeepsTheSameAddress) {
  Allocator allocator({pool("p", {"192.0.2.0/29"})});
  ASSERT_EQ(outcome(allocator.assign(ServiceBuilder("a"))), "p: 192.0.2.0");
  ASSERT_EQ(outcome(allocator.assign(ServiceBuilder("b"))), "p: 192.0.2.1");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("a"))), "p: 192.0.2.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b"))), "p: 192.0.2.1");
}

TEST(Allocator, AvoidBuggyIpsSkipsDotZeroAndDot255) {
  auto p = pool("p", {"192.0.2.254-192.0.3.1"});
  p.avoid_buggy_ips = true;
  Allocator allocator({p});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("a"))), "p: 192.0.2.254");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b"))), "p: 192.0.3.1");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("c"))),
            "PoolExhausted: no free IPv4 address in pool \"p\"");
  EXPECT_EQ(outcome(allocator.assign(
                ServiceBuilder("d").annotate("lbd.io/loadBalancerIPs", "192.0.2.255"))),
            "InvalidRequest: requested address 192.0.2.255 ends in .0 or .255, which pool \"p\" "
            "avoids (avoid-buggy-ips)");
  // Without the option they are ordinary addresses.
  Allocator plain({pool("p", {"192.0.2.255-192.0.3.0"})});
  EXPECT_EQ(outcome(plain.assign(ServiceBuilder("a"))), "p: 192.0.2.255");
}

TEST(Allocator, RequestedAddresses) {
  Allocator allocator({pool("p", {"192.0.2.0/28"}), pool("q", {"198.51.100.0/28"})});
  EXPECT_EQ(outcome(allocator.assign(
                ServiceBuilder("a").annotate("lbd.io/loadBalancerIPs", "198.51.100.7"))),
            "q: 198.51.100.7");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b").loadBalancerIp("198.51.100.7"))),
            "IPInUse: 198.51.100.7 is in use by default/a");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("c").annotate(
                "metallb.universe.tf/loadBalancerIPs", "203.0.113.1"))),
            "IPNotInAnyPool: requested address 203.0.113.1 is not in any pool");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("d")
                                         .annotate("lbd.io/loadBalancerIPs", "198.51.100.8")
                                         .annotate("lbd.io/address-pool", "p"))),
            "ConflictingRequests: requested address 198.51.100.8 is in pool \"q\", but the "
            "Service asks for pool \"p\"");
}

TEST(Allocator, RequestedPool) {
  auto manual = pool("manual", {"198.51.100.0/30"});
  manual.auto_assign = false;
  Allocator allocator({pool("auto", {"192.0.2.0/30"}), manual});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("a"))), "auto: 192.0.2.0");
  EXPECT_EQ(
      outcome(allocator.assign(ServiceBuilder("b").annotate("lbd.io/address-pool", "manual"))),
      "manual: 198.51.100.0");
  EXPECT_EQ(outcome(allocator.assign(
                ServiceBuilder("c").annotate("metallb.universe.tf/address-pool", "nope"))),
            "UnknownPool: pool \"nope\" is not configured");
  // auto-assign = false pools are never used unasked.
  Allocator only_manual({manual});
  EXPECT_EQ(outcome(only_manual.assign(ServiceBuilder("a"))),
            "PoolExhausted: no pool serves default/a (none matches it, or all are auto-assign = "
            "false)");
}

TEST(Allocator, ChangingThePoolAnnotationReallocates) {
  Allocator allocator({pool("a", {"192.0.2.0/30"}), pool("b", {"198.51.100.0/30"})});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("web"))), "a: 192.0.2.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("web").annotate("lbd.io/address-pool", "b"))),
            "b: 198.51.100.0");
  EXPECT_TRUE(allocator.usersOf(ip("192.0.2.0")).empty());
}

TEST(Allocator, PoolOrderSelectorPoolsByPriorityThenGeneralPools) {
  auto general_low = pool("general-low", {"10.0.0.0/30"});
  general_low.priority = 1;
  // Named so that name order and priority order disagree: priority must win.
  auto general_high = pool("zz-general-high", {"10.0.1.0/30"});
  general_high.priority = 0;
  auto frontend = pool("frontend", {"10.0.2.0/30"});
  frontend.service_selector = LabelSelector::parse("tier=frontend").value();
  frontend.priority = 5;
  auto frontend_preferred = pool("frontend-preferred", {"10.0.3.0/30"});
  frontend_preferred.service_selector = LabelSelector::parse("tier=frontend").value();
  frontend_preferred.priority = 2;
  auto team = pool("team", {"10.0.4.0/30"});
  team.namespaces = {"team"};
  Allocator allocator({general_low, general_high, frontend, frontend_preferred, team});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("a"))), "zz-general-high: 10.0.1.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b").label("tier", "frontend"))),
            "frontend-preferred: 10.0.3.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("team/c"))), "team: 10.0.4.0");
  // A selector pool that does not match is skipped; one that does but is full falls through.
  for (int i = 0; i < 3; ++i)
    (void)allocator.assign(ServiceBuilder("f" + std::to_string(i)).label("tier", "frontend"));
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("g").label("tier", "frontend"))),
            "frontend: 10.0.2.0");
}

TEST(Allocator, NamespaceSelectorsSeeNamespaceLabels) {
  auto prod = pool("prod", {"10.0.0.0/30"});
  prod.namespace_selector = LabelSelector::parse("env=prod").value();
  Allocator allocator({prod, pool("other", {"10.0.9.0/30"})});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("shop/a").namespaceLabel("env", "prod"))),
            "prod: 10.0.0.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("dev/b").namespaceLabel("env", "dev"))),
            "other: 10.0.9.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("dev/c")
                                         .namespaceLabel("env", "dev")
                                         .annotate("lbd.io/address-pool", "prod"))),
            "PoolDoesNotServe: pool \"prod\" does not serve dev/c (its namespace or label "
            "selectors exclude it)");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("dev/d")
                                         .namespaceLabel("env", "dev")
                                         .annotate("lbd.io/loadBalancerIPs", "10.0.0.2"))),
            "PoolDoesNotServe: pool \"prod\" does not serve dev/d (its namespace or label "
            "selectors exclude it)");
}

TEST(Allocator, DualStack) {
  Allocator allocator({pool("v4", {"192.0.2.0/30"}),
                       pool("dual", {"198.51.100.0/30", "2001:db8::/126"}),
                       pool("v6", {"2001:db8:1::/126"})});
  EXPECT_EQ(outcome(allocator.assign(
                ServiceBuilder("req").families({"IPv4", "IPv6"}, "RequireDualStack"))),
            "dual: 198.51.100.0 2001:db8::");
  EXPECT_EQ(outcome(allocator.assign(
                ServiceBuilder("v6first").families({"IPv6", "IPv4"}, "RequireDualStack"))),
            "dual: 2001:db8::1 198.51.100.1");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("single6").families({"IPv6"}, "SingleStack"))),
            "dual: 2001:db8::2");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("single4"))), "dual: 198.51.100.2");
}

TEST(Allocator, FamilyUnavailable) {
  Allocator v4_only({pool("v4", {"192.0.2.0/30"}), pool("v4b", {"198.51.100.0/30"})});
  EXPECT_EQ(outcome(v4_only.assign(ServiceBuilder("a").families({"IPv6"}, "SingleStack"))),
            "FamilyUnavailable: no pool that serves default/a has IPv6 addresses");
  Allocator split({pool("v4", {"192.0.2.0/30"}), pool("v6", {"2001:db8::/126"})});
  EXPECT_EQ(
      outcome(split.assign(ServiceBuilder("a").families({"IPv4", "IPv6"}, "RequireDualStack"))),
      "FamilyUnavailable: RequireDualStack: no pool that serves default/a has both IPv4 "
      "and IPv6 addresses");
  EXPECT_EQ(
      outcome(split.assign(ServiceBuilder("b").families({"IPv4", "IPv6"}, "PreferDualStack"))),
      "v4: 192.0.2.0");
}

TEST(Allocator, PreferDualStackGainsTheMissingFamilyLater) {
  Allocator allocator({pool("dual", {"192.0.2.0/30", "2001:db8::/128"})});
  ASSERT_EQ(outcome(allocator.assign(ServiceBuilder("x").families({"IPv6"}, "SingleStack"))),
            "dual: 2001:db8::");
  auto prefer = ServiceBuilder("y").families({"IPv4", "IPv6"}, "PreferDualStack");
  EXPECT_EQ(outcome(allocator.assign(prefer)), "dual: 192.0.2.0");  // no IPv6 left
  allocator.release("default/x");
  EXPECT_EQ(outcome(allocator.assign(prefer)), "dual: 192.0.2.0 2001:db8::");  // kept its IPv4
  // And a pool that gains a family through a config change.
  Allocator grows({pool("p", {"192.0.2.0/30"})});
  ASSERT_EQ(outcome(grows.assign(prefer)), "p: 192.0.2.0");
  grows.setPools({pool("p", {"192.0.2.0/30", "2001:db8::/126"})});
  EXPECT_EQ(outcome(grows.assign(prefer)), "p: 192.0.2.0 2001:db8::");
}

TEST(Allocator, PreferDualStackWithARequestedAddressGetsExactlyThatAddress) {
  // Found by the churn test: the "gain the missing family" step must not add to a request.
  Allocator allocator({pool("dual", {"192.0.2.0/30", "2001:db8::/126"})});
  auto request = ServiceBuilder("a")
                     .families({"IPv4", "IPv6"}, "PreferDualStack")
                     .annotate("lbd.io/loadBalancerIPs", "192.0.2.1");
  EXPECT_EQ(outcome(allocator.assign(request)), "dual: 192.0.2.1");
  EXPECT_EQ(outcome(allocator.assign(request)), "dual: 192.0.2.1");
}

TEST(Allocator, RequireDualStackIsAllOrNothing) {
  Allocator allocator({pool("dual", {"192.0.2.0/32", "2001:db8::/126"})});
  ASSERT_EQ(outcome(allocator.assign(ServiceBuilder("x"))), "dual: 192.0.2.0");
  EXPECT_EQ(
      outcome(allocator.assign(ServiceBuilder("y").families({"IPv4", "IPv6"}, "RequireDualStack"))),
      "PoolExhausted: no free IPv4 and IPv6 address in pool \"dual\"");
  EXPECT_EQ(allocator.usage("dual").v6.used, 0u);  // no half allocation left behind
}

TEST(Allocator, SharingWithTheSameKeyAndDistinctPorts) {
  Allocator allocator({pool("p", {"192.0.2.0/29"})});
  auto dns_udp = ServiceBuilder("dns-udp")
                     .annotate("lbd.io/allow-shared-ip", "dns")
                     .ports({{"dns", "UDP", 53}});
  auto dns_tcp = ServiceBuilder("dns-tcp")
                     .annotate("metallb.universe.tf/allow-shared-ip", "dns")
                     .ports({{"dns", "TCP", 53}});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("first"))), "p: 192.0.2.0");
  EXPECT_EQ(outcome(allocator.assign(dns_udp)), "p: 192.0.2.1");
  EXPECT_EQ(outcome(allocator.assign(dns_tcp)), "p: 192.0.2.1");  // joins the shared address
  EXPECT_EQ(allocator.usersOf(ip("192.0.2.1")),
            (std::vector<std::string>{"default/dns-tcp", "default/dns-udp"}));
  EXPECT_EQ(allocator.usage("p").v4.used, 2u);  // a shared address counts once
  // Same key but an overlapping port: it gets an address of its own.
  auto clash = ServiceBuilder("dns-udp2")
                   .annotate("lbd.io/allow-shared-ip", "dns")
                   .ports({{"dns", "UDP", 53}});
  EXPECT_EQ(outcome(allocator.assign(clash)), "p: 192.0.2.2");
  // ... and asking for the shared address explicitly names the clash.
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("dns-udp3")
                                         .annotate("lbd.io/allow-shared-ip", "dns")
                                         .annotate("lbd.io/loadBalancerIPs", "192.0.2.1")
                                         .ports({{"dns", "UDP", 53}}))),
            "SharingConflict: cannot share 192.0.2.1 with default/dns-udp: both use port UDP/53");
}

TEST(Allocator, SharingNeedsTheSameKey) {
  Allocator allocator({pool("p", {"192.0.2.0/29"})});
  ASSERT_EQ(
      outcome(allocator.assign(
          ServiceBuilder("a").annotate("lbd.io/allow-shared-ip", "k1").ports({{"a", "TCP", 1}}))),
      "p: 192.0.2.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b")
                                         .annotate("lbd.io/allow-shared-ip", "k2")
                                         .annotate("lbd.io/loadBalancerIPs", "192.0.2.0")
                                         .ports({{"b", "TCP", 2}}))),
            "IPInUse: 192.0.2.0 is in use by default/a, which shares it only under sharing key "
            "\"k1\"");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("c")
                                         .annotate("lbd.io/loadBalancerIPs", "192.0.2.0")
                                         .ports({{"c", "TCP", 3}}))),
            "IPInUse: 192.0.2.0 is in use by default/a, which shares it only under sharing key "
            "\"k1\"");
}

TEST(Allocator, SharingNeedsTheSameBackend) {
  Allocator allocator({pool("p", {"192.0.2.0/29"})});
  auto local_a = ServiceBuilder("a")
                     .annotate("lbd.io/allow-shared-ip", "k")
                     .local({{"app", "x"}})
                     .ports({{"a", "TCP", 1}});
  ASSERT_EQ(outcome(allocator.assign(local_a)), "p: 192.0.2.0");
  // Local with the same selector: fine.
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b")
                                         .annotate("lbd.io/allow-shared-ip", "k")
                                         .local({{"app", "x"}})
                                         .ports({{"b", "TCP", 2}}))),
            "p: 192.0.2.0");
  const std::string refused =
      "SharingConflict: cannot share 192.0.2.0 with default/a: Services sharing an address need "
      "the same externalTrafficPolicy, and the same pod selector when it is Local";
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("c")
                                         .annotate("lbd.io/allow-shared-ip", "k")
                                         .annotate("lbd.io/loadBalancerIPs", "192.0.2.0")
                                         .local({{"app", "y"}})
                                         .ports({{"c", "TCP", 3}}))),
            refused);
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("d")
                                         .annotate("lbd.io/allow-shared-ip", "k")
                                         .annotate("lbd.io/loadBalancerIPs", "192.0.2.0")
                                         .ports({{"d", "TCP", 4}}))),
            refused);
}

TEST(Allocator, RebuildFromStatusOlderServiceWins) {
  Allocator allocator({pool("p", {"192.0.2.0/29"})});
  // After a restart: Services with addresses first, oldest first (the caller's order).
  auto older = ServiceBuilder("older", "2026-01-01T00:00:00Z").status({"192.0.2.5"});
  auto younger = ServiceBuilder("younger", "2026-06-01T00:00:00Z").status({"192.0.2.5"});
  auto other = ServiceBuilder("other", "2026-03-01T00:00:00Z").status({"192.0.2.3"});
  EXPECT_EQ(outcome(allocator.assign(older)), "p: 192.0.2.5");
  EXPECT_EQ(outcome(allocator.assign(other)), "p: 192.0.2.3");
  EXPECT_EQ(outcome(allocator.assign(younger)), "p: 192.0.2.0");  // moved off the clash
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("new"))), "p: 192.0.2.1");
}

TEST(Allocator, StatusOutsideEveryPoolIsReplaced) {
  Allocator allocator({pool("p", {"192.0.2.0/29"})});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("a").status({"203.0.113.9"}))), "p: 192.0.2.0");
}

TEST(Allocator, ConfigChangeRemovingAnInUseRangeReallocates) {
  Allocator allocator({pool("p", {"192.0.2.0/30", "198.51.100.0/30"})});
  ASSERT_EQ(outcome(allocator.assign(
                ServiceBuilder("a").annotate("lbd.io/loadBalancerIPs", "198.51.100.1"))),
            "p: 198.51.100.1");
  ASSERT_EQ(outcome(allocator.assign(ServiceBuilder("b"))), "p: 192.0.2.0");
  allocator.setPools({pool("p", {"192.0.2.0/30"})});
  // a asked for an address that no longer exists; b still fits.
  EXPECT_EQ(outcome(allocator.assign(
                ServiceBuilder("a").annotate("lbd.io/loadBalancerIPs", "198.51.100.1"))),
            "IPNotInAnyPool: requested address 198.51.100.1 is not in any pool");
  EXPECT_EQ(allocator.find("default/a"), nullptr);
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b"))), "p: 192.0.2.0");
  // A removed range with an automatically chosen address: a new one from what is left.
  allocator.setPools({pool("p", {"192.0.2.2/31"})});
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("b"))), "p: 192.0.2.2");
  EXPECT_EQ(allocator.usage("p").v4.used, 1u);
}

TEST(Allocator, AnInvalidRequestKeepsWhatTheServiceHas) {
  Allocator allocator({pool("p", {"192.0.2.0/29"})});
  ASSERT_EQ(outcome(allocator.assign(ServiceBuilder("a"))), "p: 192.0.2.0");
  EXPECT_EQ(outcome(allocator.assign(ServiceBuilder("a")
                                         .annotate("lbd.io/address-pool", "x")
                                         .annotate("metallb.io/address-pool", "y"))),
            "ConflictingRequests: annotation lbd.io/address-pool (\"x\") and annotation "
            "metallb.io/address-pool (\"y\") disagree");
  ASSERT_NE(allocator.find("default/a"), nullptr);
  EXPECT_EQ(allocator.find("default/a")->ips, ips({"192.0.2.0"}));
}

TEST(Allocator, UsagePerFamily) {
  Allocator allocator({pool("p", {"192.0.2.0/24", "2001:db8::/64"})});
  ASSERT_TRUE(allocator.assign(ServiceBuilder("a").families({"IPv4", "IPv6"}, "RequireDualStack")));
  ASSERT_TRUE(allocator.assign(ServiceBuilder("b")));
  const auto usage = allocator.usage("p");
  EXPECT_EQ(usage.v4.size, AddressCount(256));
  EXPECT_EQ(usage.v4.used, 2u);
  EXPECT_EQ(usage.v6.size, AddressCount(static_cast<uint128>(1) << 64));
  EXPECT_EQ(usage.v6.used, 1u);
}

}  // namespace
}  // namespace lbd::ipam
