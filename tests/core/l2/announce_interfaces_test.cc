// Which interfaces answer for a VIP: the pool's named ones if it names any, otherwise those in
// the VIP's subnet; both only when up and able to resolve neighbours.

#include <gtest/gtest.h>

#include "core/l2/announce_interfaces.h"
#include "l2_test_support.h"

namespace lbd::l2 {
namespace {

using testing::ethernet;
using testing::ip;
using testing::loopback;
using testing::tableOf;

std::vector<std::string> names(const AnnounceSelection& s) {
  std::vector<std::string> out;
  for (const auto& i : s.interfaces)
    out.push_back(i.name);
  return out;
}

Interface down(Interface i) {
  i.admin_up = false;
  i.running = false;
  return i;
}

Interface noCarrier(Interface i) {
  i.running = false;
  i.carrier = false;
  i.oper_state = OperState::LowerLayerDown;
  return i;
}

Interface noArp(Interface i) {
  i.no_arp = true;
  return i;
}

using Names = std::vector<std::string>;

TEST(AnnounceBySubnet, Ipv4VipInSubnetOfOneInterface) {
  auto t = tableOf({loopback(), ethernet(2, "eth0", {"192.0.2.7/24"}),
                    ethernet(3, "eth1", {"198.51.100.7/24"})});
  auto s = selectAnnounceInterfaces(t, {}, ip("192.0.2.100"));
  EXPECT_EQ(names(s), Names{"eth0"});
  EXPECT_TRUE(s.skipped.empty());
  EXPECT_TRUE(s.vip_configured_on.empty());
  ASSERT_EQ(s.interfaces.size(), 1u);
  EXPECT_EQ(s.interfaces[0].mac, t.find(2)->mac);  // what the responder answers with
}

TEST(AnnounceBySubnet, VipOutsideEverySubnetMeansNotEligible) {
  auto t = tableOf({loopback(), ethernet(2, "eth0", {"192.0.2.7/24"})});
  auto s = selectAnnounceInterfaces(t, {}, ip("203.0.113.5"));
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.skipped.empty());
}

TEST(AnnounceBySubnet, SubnetBoundaries) {
  auto t = tableOf({ethernet(2, "eth0", {"192.0.2.7/25"})});
  EXPECT_EQ(names(selectAnnounceInterfaces(t, {}, ip("192.0.2.0"))), Names{"eth0"});
  EXPECT_EQ(names(selectAnnounceInterfaces(t, {}, ip("192.0.2.127"))), Names{"eth0"});
  EXPECT_TRUE(selectAnnounceInterfaces(t, {}, ip("192.0.2.128")).empty());
}

TEST(AnnounceBySubnet, Ipv6VipNeedsAGlobalIpv6Subnet) {
  auto t = tableOf({ethernet(2, "eth0", {"192.0.2.7/24", "2001:db8::7/64", "fe80::1/64"}),
                    ethernet(3, "eth1", {"fe80::2/64"})});
  EXPECT_EQ(names(selectAnnounceInterfaces(t, {}, ip("2001:db8::100"))), Names{"eth0"});
  // IPv4 addresses never qualify an interface for an IPv6 VIP, nor the reverse.
  EXPECT_TRUE(selectAnnounceInterfaces(t, {}, ip("2001:db8:1::100")).empty());
  EXPECT_TRUE(selectAnnounceInterfaces(t, {}, ip("::ffff:192.0.2.100")).empty());
}

TEST(AnnounceBySubnet, Ipv6LinkLocalDoesNotCountEvenForALinkLocalVip) {
  auto t = tableOf({ethernet(2, "eth0", {"fe80::1/64"}), ethernet(3, "eth1", {"fe80::2/64"})});
  EXPECT_TRUE(selectAnnounceInterfaces(t, {}, ip("fe80::100")).empty());
}

TEST(AnnounceBySubnet, HostRoutesOnlyMatchThemselves) {
  auto t = tableOf({ethernet(2, "eth0", {"192.0.2.7/32", "2001:db8::7/128"})});
  EXPECT_TRUE(selectAnnounceInterfaces(t, {}, ip("192.0.2.8")).empty());
  EXPECT_TRUE(selectAnnounceInterfaces(t, {}, ip("2001:db8::8")).empty());
  EXPECT_EQ(names(selectAnnounceInterfaces(t, {}, ip("192.0.2.7"))), Names{"eth0"});
  EXPECT_EQ(names(selectAnnounceInterfaces(t, {}, ip("2001:db8::7"))), Names{"eth0"});
}

TEST(AnnounceBySubnet, VipEqualToTheInterfacesOwnAddressIsFlagged) {
  auto t = tableOf({ethernet(2, "eth0", {"192.0.2.7/24"})});
  auto s = selectAnnounceInterfaces(t, {}, ip("192.0.2.7"));
  EXPECT_EQ(names(s), Names{"eth0"});
  EXPECT_EQ(s.vip_configured_on, Names{"eth0"});
}

TEST(AnnounceBySubnet, KubeIpvsDummyHoldingTheVipIsFlaggedButNeverAnswers) {
  // kube-proxy IPVS: the VIP as /32 on a NOARP dummy that stays admin down.
  auto ipvs = down(noArp(ethernet(5, "kube-ipvs0", {"192.0.2.100/32"})));
  auto t = tableOf({loopback(), ethernet(2, "eth0", {"192.0.2.7/24"}), ipvs});
  auto s = selectAnnounceInterfaces(t, {}, ip("192.0.2.100"));
  EXPECT_EQ(names(s), Names{"eth0"});
  EXPECT_TRUE(s.skipped.empty());
  EXPECT_EQ(s.vip_configured_on, Names{"kube-ipvs0"});
}

TEST(AnnounceBySubnet, DownInterfacesInTheSubnetAreSkippedWithAReason) {
  auto t = tableOf({down(ethernet(2, "eth0", {"192.0.2.7/24"})),
                    noCarrier(ethernet(3, "eth1", {"192.0.2.8/24"}))});
  auto s = selectAnnounceInterfaces(t, {}, ip("192.0.2.100"));
  EXPECT_TRUE(s.empty());
  ASSERT_EQ(s.skipped.size(), 2u);
  EXPECT_EQ(s.skipped[0], (SkippedInterface{"eth0", SkipReason::Down}));
  EXPECT_EQ(s.skipped[1].toString(), "eth1: down");
}

TEST(AnnounceBySubnet, SeveralMatchingInterfacesAllAnswer) {
  // Two NICs on one segment (no bond): both may receive the ARP request.
  auto t = tableOf({ethernet(4, "eth2", {"192.0.2.9/24"}), ethernet(2, "eth0", {"192.0.2.7/24"}),
                    ethernet(3, "eth1", {"192.0.2.0/23"}), ethernet(6, "eth3", {"10.0.0.1/8"})});
  EXPECT_EQ(names(selectAnnounceInterfaces(t, {}, ip("192.0.2.100"))),
            (Names{"eth0", "eth1", "eth2"}));
}

TEST(AnnounceBySubnet, LoopbackAndNoarpNeverAnswer) {
  auto lo = loopback();
  lo.addresses.push_back(testing::addr("192.0.2.1/24"));
  auto t = tableOf({lo, noArp(ethernet(2, "eth0", {"192.0.2.7/24"}))});
  auto s = selectAnnounceInterfaces(t, {}, ip("192.0.2.100"));
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.skipped.empty());
}

TEST(AnnounceConfigured, NamedInterfacesRegardlessOfSubnet) {
  auto t = tableOf({ethernet(2, "eth0", {"192.0.2.7/24"}), ethernet(3, "eth1")});
  auto s = selectAnnounceInterfaces(t, Names{"eth1"}, ip("203.0.113.5"));
  EXPECT_EQ(names(s), Names{"eth1"});
  EXPECT_TRUE(s.skipped.empty());
}

TEST(AnnounceConfigured, OnlyTheNamedOnesEvenWhenAnotherIsInTheSubnet) {
  auto t = tableOf({ethernet(2, "eth0", {"192.0.2.7/24"}), ethernet(3, "eth1")});
  EXPECT_EQ(names(selectAnnounceInterfaces(t, Names{"eth1"}, ip("192.0.2.100"))), Names{"eth1"});
}

TEST(AnnounceConfigured, MissingDownAndUnableAreReportedAndNoFallback) {
  auto t = tableOf({loopback(), down(ethernet(2, "eth0", {"192.0.2.7/24"})),
                    noArp(ethernet(3, "eth1")), ethernet(4, "eth2", {"192.0.2.9/24"})});
  auto s = selectAnnounceInterfaces(t, Names{"eth9", "eth0", "eth1", "lo"}, ip("192.0.2.100"));
  EXPECT_TRUE(s.empty()) << "eth2 is in the subnet but was not named";
  EXPECT_EQ(s.skipped, (std::vector<SkippedInterface>{
                           {"eth9", SkipReason::NotFound},
                           {"eth0", SkipReason::Down},
                           {"eth1", SkipReason::CannotResolveNeighbours},
                           {"lo", SkipReason::CannotResolveNeighbours},
                       }));
}

TEST(AnnounceConfigured, NamesAreMatchedExactlyAndOnce) {
  auto t = tableOf({ethernet(2, "eth0"), ethernet(3, "eth0.100")});
  auto s =
      selectAnnounceInterfaces(t, Names{"eth0.100", "eth0", "eth0.100", "ETH0"}, ip("192.0.2.1"));
  EXPECT_EQ(names(s), (Names{"eth0", "eth0.100"}));
  EXPECT_EQ(s.skipped, (std::vector<SkippedInterface>{{"ETH0", SkipReason::NotFound}}));
}

TEST(AnnounceConfigured, NoCarrierCountsAsDown) {
  auto t = tableOf({noCarrier(ethernet(2, "eth0"))});
  auto s = selectAnnounceInterfaces(t, Names{"eth0"}, ip("192.0.2.1"));
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.skipped, (std::vector<SkippedInterface>{{"eth0", SkipReason::Down}}));
}

TEST(AnnounceConfigured, PoolOverloadUsesPoolInterfaces) {
  auto t = tableOf({ethernet(2, "eth0", {"192.0.2.7/24"}), ethernet(3, "eth1")});
  Pool pool;
  pool.name = "lan";
  EXPECT_EQ(names(selectAnnounceInterfacesForPool(t, pool, ip("192.0.2.100"))), Names{"eth0"});
  pool.interfaces = {"eth1"};
  EXPECT_EQ(names(selectAnnounceInterfacesForPool(t, pool, ip("192.0.2.100"))), Names{"eth1"});
}

TEST(AnnounceSelection, EmptyHostTable) {
  auto s = selectAnnounceInterfaces(InterfaceTable{}, {}, ip("192.0.2.1"));
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.skipped.empty());
}

}  // namespace
}  // namespace lbd::l2
