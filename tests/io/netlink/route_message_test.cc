// rtnetlink messages built byte by byte (as the kernel sends them) decode into the interface
// model: link flags and MAC, IPv4 local vs. peer address, IPv6 addresses, and the messages
// that must not touch the table (bridge port messages, other families and types).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <memory>

#include "io/netlink/route_message.h"

namespace lbd::netlink {
namespace {

struct MessageDeleter {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using Message = std::unique_ptr<nl_msg, MessageDeleter>;

constexpr std::uint8_t kMac[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x07};

Message linkMessage(int type, unsigned char family, unsigned short hardware, int ifindex,
                    unsigned flags) {
  Message m(nlmsg_alloc_simple(type, 0));
  ifinfomsg ifi{};
  ifi.ifi_family = family;
  ifi.ifi_type = hardware;
  ifi.ifi_index = ifindex;
  ifi.ifi_flags = flags;
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  nlmsg_set_proto(m.get(), NETLINK_ROUTE);
  return m;
}

Message ethernetLink(int type, int ifindex, const char* name, unsigned flags) {
  auto m = linkMessage(type, AF_UNSPEC, ARPHRD_ETHER, ifindex, flags);
  nla_put_string(m.get(), IFLA_IFNAME, name);
  nla_put(m.get(), IFLA_ADDRESS, 6, kMac);
  nla_put_u32(m.get(), IFLA_MTU, 1500);
  nla_put_u8(m.get(), IFLA_OPERSTATE, 6 /* IF_OPER_UP */);
  return m;
}

Message addressMessage(int type, unsigned char family, int ifindex, unsigned char prefix_length) {
  Message m(nlmsg_alloc_simple(type, 0));
  ifaddrmsg ifa{};
  ifa.ifa_family = family;
  ifa.ifa_prefixlen = prefix_length;
  ifa.ifa_index = static_cast<unsigned>(ifindex);
  nlmsg_append(m.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO);
  nlmsg_set_proto(m.get(), NETLINK_ROUTE);
  return m;
}

void putIpv4(nl_msg* m, int attribute, const char* text) {
  in_addr a{};
  inet_pton(AF_INET, text, &a);
  nla_put(m, attribute, 4, &a);
}

void putIpv6(nl_msg* m, int attribute, const char* text) {
  in6_addr a{};
  inet_pton(AF_INET6, text, &a);
  nla_put(m, attribute, 16, &a);
}

RouteMessage decode(const Message& m) {
  auto decoded = decodeRouteMessage(m.get());
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  return decoded.ok() ? *decoded : RouteMessage{};
}

TEST(RouteMessage, UpEthernetLink) {
  auto m = ethernetLink(RTM_NEWLINK, 7, "eth7",
                        IFF_UP | IFF_RUNNING | IFF_LOWER_UP | IFF_BROADCAST | IFF_MULTICAST);
  auto decoded = decode(m);
  ASSERT_TRUE(std::holds_alternative<LinkMessage>(decoded));
  const auto& link = std::get<LinkMessage>(decoded);
  EXPECT_FALSE(link.removed);
  EXPECT_EQ(link.link.ifindex, 7);
  EXPECT_EQ(link.link.name, "eth7");
  ASSERT_TRUE(link.link.mac.has_value());
  EXPECT_EQ(l2::toString(*link.link.mac), "02:00:5e:00:53:07");
  EXPECT_TRUE(link.link.admin_up);
  EXPECT_TRUE(link.link.running);
  EXPECT_TRUE(link.link.carrier);
  EXPECT_TRUE(link.link.isUp());
  EXPECT_TRUE(link.link.canResolveNeighbours());
  EXPECT_EQ(link.link.oper_state, l2::OperState::Up);
  EXPECT_EQ(link.link.mtu, 1500u);
}

TEST(RouteMessage, AdminUpWithoutCarrierIsNotUp) {
  auto m = ethernetLink(RTM_NEWLINK, 7, "eth7", IFF_UP | IFF_BROADCAST);
  const auto link = std::get<LinkMessage>(decode(m)).link;
  EXPECT_TRUE(link.admin_up);
  EXPECT_FALSE(link.carrier);
  EXPECT_FALSE(link.isUp());
}

TEST(RouteMessage, LoopbackAndNoarpFlags) {
  auto lo = linkMessage(RTM_NEWLINK, AF_UNSPEC, ARPHRD_LOOPBACK, 1,
                        IFF_UP | IFF_RUNNING | IFF_LOOPBACK | IFF_LOWER_UP);
  nla_put_string(lo.get(), IFLA_IFNAME, "lo");
  std::uint8_t zeros[6] = {};
  nla_put(lo.get(), IFLA_ADDRESS, 6, zeros);
  const auto l = std::get<LinkMessage>(decode(lo)).link;
  EXPECT_TRUE(l.loopback);
  EXPECT_FALSE(l.mac.has_value()) << "only Ethernet links get a MAC";
  EXPECT_FALSE(l.canResolveNeighbours());

  auto dummy = ethernetLink(RTM_NEWLINK, 9, "kube-ipvs0", IFF_NOARP | IFF_BROADCAST);
  const auto d = std::get<LinkMessage>(decode(dummy)).link;
  EXPECT_TRUE(d.no_arp);
  EXPECT_FALSE(d.canResolveNeighbours());
}

TEST(RouteMessage, LinkWithoutHardwareAddress) {
  auto m = linkMessage(RTM_NEWLINK, AF_UNSPEC, ARPHRD_NONE, 12, IFF_UP | IFF_RUNNING);
  nla_put_string(m.get(), IFLA_IFNAME, "wg0");
  const auto link = std::get<LinkMessage>(decode(m)).link;
  EXPECT_EQ(link.name, "wg0");
  EXPECT_FALSE(link.mac.has_value());
  EXPECT_EQ(link.hardware_type, ARPHRD_NONE);
}

TEST(RouteMessage, DeletedLink) {
  auto m = ethernetLink(RTM_DELLINK, 7, "eth7", 0);
  const auto link = std::get<LinkMessage>(decode(m));
  EXPECT_TRUE(link.removed);
  EXPECT_EQ(link.link.ifindex, 7);
}

// libnl labels a link of kind "bridge" AF_BRIDGE after parsing; the bridge device itself
// (often carrying the node's address) must still count.
TEST(RouteMessage, BridgeDeviceIsALink) {
  auto m = ethernetLink(RTM_NEWLINK, 4, "br0", IFF_UP | IFF_RUNNING | IFF_LOWER_UP);
  nlattr* info = nla_nest_start(m.get(), IFLA_LINKINFO);
  nla_put_string(m.get(), IFLA_INFO_KIND, "bridge");
  nla_nest_end(m.get(), info);
  auto decoded = decode(m);
  ASSERT_TRUE(std::holds_alternative<LinkMessage>(decoded));
  EXPECT_EQ(std::get<LinkMessage>(decoded).link.name, "br0");
}

// A port leaving a bridge: RTM_DELLINK with ifi_family AF_BRIDGE. The port still exists.
TEST(RouteMessage, BridgePortMessagesAreIgnored) {
  auto del = linkMessage(RTM_DELLINK, AF_BRIDGE, ARPHRD_ETHER, 5, IFF_UP);
  nla_put_string(del.get(), IFLA_IFNAME, "eth5");
  EXPECT_TRUE(std::holds_alternative<IgnoredMessage>(decode(del)));
  auto add = linkMessage(RTM_NEWLINK, AF_BRIDGE, ARPHRD_ETHER, 5, IFF_UP);
  nla_put_string(add.get(), IFLA_IFNAME, "eth5");
  EXPECT_TRUE(std::holds_alternative<IgnoredMessage>(decode(add)));
}

TEST(RouteMessage, Ipv4AddressIsTheLocalOneNotThePeer) {
  auto m = addressMessage(RTM_NEWADDR, AF_INET, 7, 32);
  putIpv4(m.get(), IFA_LOCAL, "192.0.2.7");
  putIpv4(m.get(), IFA_ADDRESS, "192.0.2.1");  // point-to-point peer
  const auto a = std::get<AddressMessage>(decode(m));
  EXPECT_FALSE(a.removed);
  EXPECT_EQ(a.ifindex, 7);
  EXPECT_EQ(a.address.toString(), "192.0.2.7/32");
}

TEST(RouteMessage, Ipv6AddressComesAsIfaAddress) {
  auto m = addressMessage(RTM_DELADDR, AF_INET6, 7, 64);
  putIpv6(m.get(), IFA_ADDRESS, "2001:db8::7");
  const auto a = std::get<AddressMessage>(decode(m));
  EXPECT_TRUE(a.removed);
  EXPECT_EQ(a.address.toString(), "2001:db8::7/64");
}

TEST(RouteMessage, TentativeIpv6AddressesAreNotInTheTable) {
  l2::InterfaceTable table;
  applyRouteMessage(decode(ethernetLink(RTM_NEWLINK, 7, "eth7", IFF_UP)), table);
  auto withFlags = [](std::uint32_t flags) {
    auto m = addressMessage(RTM_NEWADDR, AF_INET6, 7, 64);
    putIpv6(m.get(), IFA_ADDRESS, "2001:db8::7");
    nla_put_u32(m.get(), IFA_FLAGS, flags);
    return m;
  };
  auto tentative = decode(withFlags(IFA_F_TENTATIVE | IFA_F_PERMANENT));
  EXPECT_TRUE(std::get<AddressMessage>(tentative).tentative);
  applyRouteMessage(tentative, table);
  EXPECT_TRUE(table.find(7)->addresses.empty());

  applyRouteMessage(decode(withFlags(IFA_F_PERMANENT)), table);  // DAD completed
  EXPECT_EQ(table.find(7)->addresses.size(), 1u);

  applyRouteMessage(decode(withFlags(IFA_F_TENTATIVE)), table);  // DAD again: not usable
  EXPECT_TRUE(table.find(7)->addresses.empty());

  applyRouteMessage(decode(withFlags(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC)), table);  // usable
  EXPECT_EQ(table.find(7)->addresses.size(), 1u);

  applyRouteMessage(decode(withFlags(IFA_F_TENTATIVE | IFA_F_DADFAILED)), table);
  EXPECT_TRUE(table.find(7)->addresses.empty());
}

TEST(RouteMessage, AddressWithoutAddressIsAnError) {
  auto m = addressMessage(RTM_NEWADDR, AF_INET6, 7, 64);
  auto decoded = decodeRouteMessage(m.get());
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("without an address"), std::string::npos);
}

TEST(RouteMessage, TruncatedLinkMessageIsAnError) {
  Message m(nlmsg_alloc_simple(RTM_NEWLINK, 0));
  nlmsg_set_proto(m.get(), NETLINK_ROUTE);
  EXPECT_FALSE(decodeRouteMessage(m.get()).ok());
}

TEST(RouteMessage, OtherFamiliesAndTypesAreIgnored) {
  auto route = addressMessage(RTM_NEWROUTE, AF_INET, 7, 24);
  EXPECT_TRUE(std::holds_alternative<IgnoredMessage>(decode(route)));
  auto mpls = addressMessage(RTM_NEWADDR, AF_MPLS, 7, 20);
  std::uint8_t label[4] = {0, 0, 1, 0};
  nla_put(mpls.get(), IFA_ADDRESS, 4, label);
  EXPECT_TRUE(std::holds_alternative<IgnoredMessage>(decode(mpls)));
}

TEST(RouteMessage, ApplyInArrivalOrder) {
  l2::InterfaceTable table;
  auto addr = addressMessage(RTM_NEWADDR, AF_INET, 7, 24);
  putIpv4(addr.get(), IFA_LOCAL, "192.0.2.7");
  putIpv4(addr.get(), IFA_ADDRESS, "192.0.2.7");
  applyRouteMessage(decode(addr), table);  // before its link: dropped
  EXPECT_TRUE(table.empty());

  applyRouteMessage(decode(ethernetLink(RTM_NEWLINK, 7, "eth7", IFF_UP)), table);
  applyRouteMessage(decode(addr), table);
  ASSERT_NE(table.find(7), nullptr);
  EXPECT_EQ(table.find(7)->addresses.size(), 1u);

  // A later link update keeps the address; a bridge-port removal changes nothing.
  applyRouteMessage(
      decode(ethernetLink(RTM_NEWLINK, 7, "eth7", IFF_UP | IFF_RUNNING | IFF_LOWER_UP)), table);
  applyRouteMessage(decode(linkMessage(RTM_DELLINK, AF_BRIDGE, ARPHRD_ETHER, 7, IFF_UP)), table);
  ASSERT_NE(table.find(7), nullptr);
  EXPECT_TRUE(table.find(7)->isUp());
  EXPECT_EQ(table.find(7)->addresses.size(), 1u);

  applyRouteMessage(decode(ethernetLink(RTM_DELLINK, 7, "eth7", 0)), table);
  EXPECT_TRUE(table.empty());
}

}  // namespace
}  // namespace lbd::netlink
