// diffInterfaces: one event per kind of change, in a fixed order, and nothing when nothing
// changed. "Up" is admin up and running, so carrier loss is "went down".

#include <gtest/gtest.h>

#include "core/l2/interface_events.h"
#include "l2_test_support.h"

namespace lbd::l2 {
namespace {

using testing::addr;
using testing::ethernet;
using testing::loopback;
using testing::tableOf;

std::vector<InterfaceChange> kinds(const std::vector<InterfaceEvent>& events) {
  std::vector<InterfaceChange> out;
  for (const auto& e : events)
    out.push_back(e.change);
  return out;
}

TEST(InterfaceEvents, EqualTablesGiveNoEvents) {
  auto t = tableOf({loopback(), ethernet(2, "eth0", {"192.0.2.7/24"})});
  EXPECT_TRUE(diffInterfaces(t, t).empty());
  EXPECT_TRUE(diffInterfaces(InterfaceTable{}, InterfaceTable{}).empty());
}

TEST(InterfaceEvents, FirstDumpIsOneAddedPerInterface) {
  auto t = tableOf({loopback(), ethernet(2, "eth0", {"192.0.2.7/24"})});
  auto events = diffInterfaces(InterfaceTable{}, t);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].change, InterfaceChange::Added);
  EXPECT_EQ(events[0].name, "lo");
  EXPECT_EQ(events[1].change, InterfaceChange::Added);
  EXPECT_EQ(events[1].ifindex, 2);
}

TEST(InterfaceEvents, RemovedCarriesLastKnownName) {
  auto before = tableOf({loopback(), ethernet(2, "eth0"), ethernet(3, "eth1")});
  auto after = tableOf({loopback(), ethernet(3, "eth1")});
  auto events = diffInterfaces(before, after);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].change, InterfaceChange::Removed);
  EXPECT_EQ(events[0].ifindex, 2);
  EXPECT_EQ(events[0].name, "eth0");
}

TEST(InterfaceEvents, AdminDown) {
  auto up = ethernet(2, "eth0");
  auto down = up;
  down.admin_up = false;
  down.running = false;
  down.oper_state = OperState::Down;
  EXPECT_EQ(kinds(diffInterfaces(tableOf({up}), tableOf({down}))),
            std::vector{InterfaceChange::WentDown});
  EXPECT_EQ(kinds(diffInterfaces(tableOf({down}), tableOf({up}))),
            std::vector{InterfaceChange::WentUp});
}

TEST(InterfaceEvents, CarrierLossIsWentDown) {
  auto up = ethernet(2, "veth0");
  auto no_carrier = up;
  no_carrier.carrier = false;
  no_carrier.running = false;
  no_carrier.oper_state = OperState::LowerLayerDown;
  EXPECT_EQ(kinds(diffInterfaces(tableOf({up}), tableOf({no_carrier}))),
            std::vector{InterfaceChange::WentDown});
}

TEST(InterfaceEvents, CarrierChangeWhileAdminDownIsOnlyAnAttribute) {
  auto down = ethernet(2, "veth0");
  down.admin_up = false;
  down.running = false;
  down.carrier = false;
  auto carrier_back = down;
  carrier_back.carrier = true;
  EXPECT_EQ(kinds(diffInterfaces(tableOf({down}), tableOf({carrier_back}))),
            std::vector{InterfaceChange::AttributesChanged});
}

TEST(InterfaceEvents, MacChange) {
  auto before = ethernet(2, "eth0");
  auto after = before;
  after.mac = MacAddress(MacAddress::Bytes{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee});
  auto events = diffInterfaces(tableOf({before}), tableOf({after}));
  ASSERT_EQ(kinds(events), std::vector{InterfaceChange::MacChanged});
  EXPECT_EQ(events[0].name, "eth0");
}

TEST(InterfaceEvents, AddressesChangedListsBothDirections) {
  auto before = ethernet(2, "eth0", {"192.0.2.7/24", "2001:db8::7/64"});
  auto after = ethernet(2, "eth0", {"192.0.2.7/24", "192.0.2.8/32"});
  auto events = diffInterfaces(tableOf({before}), tableOf({after}));
  ASSERT_EQ(kinds(events), std::vector{InterfaceChange::AddressesChanged});
  EXPECT_EQ(events[0].added_addresses, std::vector{addr("192.0.2.8/32")});
  EXPECT_EQ(events[0].removed_addresses, std::vector{addr("2001:db8::7/64")});
  EXPECT_EQ(events[0].toString(),
            "eth0 (ifindex 2): addresses changed (+192.0.2.8/32 -2001:db8::7/64)");
}

TEST(InterfaceEvents, Rename) {
  auto events = diffInterfaces(tableOf({ethernet(2, "eth0")}), tableOf({ethernet(2, "lan")}));
  ASSERT_EQ(kinds(events), std::vector{InterfaceChange::Renamed});
  EXPECT_EQ(events[0].old_name, "eth0");
  EXPECT_EQ(events[0].name, "lan");
  EXPECT_EQ(events[0].toString(), "lan (ifindex 2): renamed from eth0");
}

TEST(InterfaceEvents, MtuAndNoarpAreAttributes) {
  auto before = ethernet(2, "eth0");
  auto mtu = before;
  mtu.mtu = 9000;
  EXPECT_EQ(kinds(diffInterfaces(tableOf({before}), tableOf({mtu}))),
            std::vector{InterfaceChange::AttributesChanged});
  auto noarp = before;
  noarp.no_arp = true;
  EXPECT_EQ(kinds(diffInterfaces(tableOf({before}), tableOf({noarp}))),
            std::vector{InterfaceChange::AttributesChanged});
}

TEST(InterfaceEvents, SeveralChangesOfOneInterfaceInEnumOrder) {
  auto before = ethernet(2, "eth0", {"192.0.2.7/24"});
  auto after = ethernet(2, "eth9");
  after.admin_up = false;
  after.running = false;
  after.mac = MacAddress(MacAddress::Bytes{0x02, 1, 2, 3, 4, 5});
  after.mtu = 1400;
  EXPECT_EQ(
      kinds(diffInterfaces(tableOf({before}), tableOf({after}))),
      (std::vector{InterfaceChange::Renamed, InterfaceChange::WentDown, InterfaceChange::MacChanged,
                   InterfaceChange::AddressesChanged, InterfaceChange::AttributesChanged}));
}

TEST(InterfaceEvents, OrderedByIfindexAcrossKinds) {
  auto before = tableOf({ethernet(2, "a"), ethernet(4, "c", {"192.0.2.1/24"})});
  auto after = tableOf({ethernet(3, "b"), ethernet(4, "c")});
  auto events = diffInterfaces(before, after);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].ifindex, 2);
  EXPECT_EQ(events[0].change, InterfaceChange::Removed);
  EXPECT_EQ(events[1].ifindex, 3);
  EXPECT_EQ(events[1].change, InterfaceChange::Added);
  EXPECT_EQ(events[2].ifindex, 4);
  EXPECT_EQ(events[2].change, InterfaceChange::AddressesChanged);
}

// Every field of Interface shows up in some event: a table change is never silent.
TEST(InterfaceEvents, EveryFieldChangeProducesAnEvent) {
  const auto base = ethernet(2, "eth0", {"192.0.2.7/24"});
  std::vector<Interface> variants;
  for (int field = 0; field < 11; ++field) {
    Interface v = base;
    switch (field) {
      case 0:
        v.name = "x";
        break;
      case 1:
        v.mac.reset();
        break;
      case 2:
        v.hardware_type = 2;
        break;
      case 3:
        v.admin_up = false;
        break;
      case 4:
        v.running = false;
        break;
      case 5:
        v.carrier = false;
        break;
      case 6:
        v.oper_state = OperState::Dormant;
        break;
      case 7:
        v.loopback = true;
        break;
      case 8:
        v.no_arp = true;
        break;
      case 9:
        v.mtu = 1;
        break;
      case 10:
        v.addresses.clear();
        break;
    }
    ASSERT_NE(v, base) << "field " << field;
    EXPECT_FALSE(diffInterfaces(tableOf({base}), tableOf({v})).empty()) << "field " << field;
  }
}

}  // namespace
}  // namespace lbd::l2
