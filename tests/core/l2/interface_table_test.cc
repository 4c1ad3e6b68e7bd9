// The interface table applies the kernel's link and address messages in arrival order: link
// updates keep known addresses, repeated RTM_NEWADDR is one address, addresses of unknown
// interfaces are dropped, and the predicates say what "up" and "can answer ARP" mean.

#include <gtest/gtest.h>

#include "core/l2/interface_table.h"
#include "l2_test_support.h"

namespace lbd::l2 {
namespace {

using testing::addr;
using testing::ethernet;
using testing::ip;
using testing::loopback;

TEST(InterfaceTable, UpdateLinkKeepsAddressesBecauseLinkMessagesCarryNone) {
  InterfaceTable t;
  t.put(ethernet(2, "eth0", {"192.0.2.7/24"}));
  Interface renamed = ethernet(2, "uplink");
  renamed.mtu = 9000;
  t.updateLink(renamed);
  ASSERT_NE(t.find(2), nullptr);
  EXPECT_EQ(t.find(2)->name, "uplink");
  EXPECT_EQ(t.find(2)->mtu, 9000u);
  EXPECT_EQ(t.find(2)->addresses, std::vector{addr("192.0.2.7/24")});
}

TEST(InterfaceTable, UpdateLinkOfNewInterfaceStartsWithoutAddresses) {
  InterfaceTable t;
  t.updateLink(ethernet(3, "eth1", {"192.0.2.7/24"}));
  ASSERT_NE(t.find(3), nullptr);
  EXPECT_TRUE(t.find(3)->addresses.empty());
}

TEST(InterfaceTable, AddressesAreSortedAndRepeatedAnnouncementsCountOnce) {
  InterfaceTable t;
  t.updateLink(ethernet(2, "eth0"));
  EXPECT_TRUE(t.addAddress(2, addr("2001:db8::7/64")));
  EXPECT_TRUE(t.addAddress(2, addr("192.0.2.7/24")));
  EXPECT_TRUE(t.addAddress(2, addr("2001:db8::7/64")));  // DAD finished: same address again
  EXPECT_EQ(t.find(2)->addresses, (std::vector{addr("192.0.2.7/24"), addr("2001:db8::7/64")}));
}

TEST(InterfaceTable, SameAddressWithAnotherPrefixLengthIsAnotherEntry) {
  InterfaceTable t;
  t.updateLink(ethernet(2, "eth0"));
  EXPECT_TRUE(t.addAddress(2, addr("192.0.2.7/24")));
  EXPECT_TRUE(t.addAddress(2, addr("192.0.2.7/32")));
  EXPECT_EQ(t.find(2)->addresses.size(), 2u);
  EXPECT_TRUE(t.removeAddress(2, addr("192.0.2.7/32")));
  EXPECT_EQ(t.find(2)->addresses, std::vector{addr("192.0.2.7/24")});
}

TEST(InterfaceTable, AddressOfUnknownInterfaceIsDropped) {
  InterfaceTable t;
  EXPECT_FALSE(t.addAddress(9, addr("192.0.2.7/24")));
  EXPECT_TRUE(t.empty());
}

TEST(InterfaceTable, RemovingUnknownThingsReportsFalse) {
  InterfaceTable t;
  t.put(ethernet(2, "eth0", {"192.0.2.7/24"}));
  EXPECT_FALSE(t.removeAddress(2, addr("192.0.2.8/24")));
  EXPECT_FALSE(t.removeAddress(5, addr("192.0.2.7/24")));
  EXPECT_FALSE(t.removeLink(5));
  EXPECT_TRUE(t.removeLink(2));
  EXPECT_TRUE(t.empty());
}

TEST(InterfaceTable, FindByName) {
  auto t = testing::tableOf({loopback(), ethernet(2, "eth0"), ethernet(3, "eth1")});
  ASSERT_NE(t.findByName("eth1"), nullptr);
  EXPECT_EQ(t.findByName("eth1")->ifindex, 3);
  EXPECT_EQ(t.findByName("eth9"), nullptr);
}

TEST(Interface, UpMeansAdminUpAndRunning) {
  auto i = ethernet(2, "eth0");
  EXPECT_TRUE(i.isUp());
  i.running = false;  // carrier lost: the kernel clears IFF_RUNNING
  i.carrier = false;
  EXPECT_FALSE(i.isUp());
  i = ethernet(2, "eth0");
  i.admin_up = false;
  EXPECT_FALSE(i.isUp());
}

TEST(Interface, NeighbourResolutionNeedsEthernetMacNotLoopbackNotNoarp) {
  EXPECT_TRUE(ethernet(2, "eth0").canResolveNeighbours());
  EXPECT_FALSE(loopback().canResolveNeighbours());
  auto noarp = ethernet(3, "kube-ipvs0");
  noarp.no_arp = true;
  EXPECT_FALSE(noarp.canResolveNeighbours());
  auto tun = ethernet(4, "wg0");
  tun.hardware_type = 65534;  // ARPHRD_NONE
  tun.mac.reset();
  EXPECT_FALSE(tun.canResolveNeighbours());
}

TEST(InterfaceAddress, SubnetAndLinkLocal) {
  EXPECT_EQ(addr("192.0.2.7/24").subnet().toString(), "192.0.2.0/24");
  EXPECT_EQ(addr("192.0.2.7/32").subnet().toString(), "192.0.2.7/32");
  EXPECT_EQ(addr("2001:db8::7/128").subnet().toString(), "2001:db8::7/128");
  EXPECT_TRUE(addr("fe80::1/64").isIpv6LinkLocal());
  EXPECT_TRUE(addr("febf::1/64").isIpv6LinkLocal());
  EXPECT_FALSE(addr("fec0::1/64").isIpv6LinkLocal());
  EXPECT_FALSE(addr("169.254.1.1/16").isIpv6LinkLocal());
  EXPECT_EQ(addr("2001:db8::7/64").toString(), "2001:db8::7/64");
  EXPECT_TRUE(ethernet(2, "eth0", {"192.0.2.7/24"}).hasAddress(ip("192.0.2.7")));
}

TEST(MacAddress, Text) {
  EXPECT_EQ(toString(MacAddress(MacAddress::Bytes{0x02, 0x00, 0x5e, 0x0a, 0xbc, 0xff})),
            "02:00:5e:0a:bc:ff");
  EXPECT_EQ(toString(OperState::LowerLayerDown), "lowerlayerdown");
}

}  // namespace
}  // namespace lbd::l2
