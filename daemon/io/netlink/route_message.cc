#include "io/netlink/route_message.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/object.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include <cstring>
#include <string>
#include <type_traits>

namespace lbd::netlink {
namespace {

struct ParseOutcome {
  bool seen = false;
  Result<RouteMessage> result = RouteMessage{IgnoredMessage{}};
};

l2::OperState operState(std::uint8_t value) {
  return value <= static_cast<std::uint8_t>(l2::OperState::Up) ? static_cast<l2::OperState>(value)
                                                               : l2::OperState::Unknown;
}

Result<RouteMessage> fromLink(rtnl_link* link, bool removed) {
  LinkMessage m;
  m.removed = removed;
  l2::Interface& i = m.link;
  i.ifindex = rtnl_link_get_ifindex(link);
  if (i.ifindex <= 0) return fail("link message without an interface index");
  if (const char* name = rtnl_link_get_name(link)) i.name = name;
  const unsigned flags = rtnl_link_get_flags(link);
  i.admin_up = (flags & IFF_UP) != 0;
  i.running = (flags & IFF_RUNNING) != 0;
  i.carrier = (flags & IFF_LOWER_UP) != 0;
  i.loopback = (flags & IFF_LOOPBACK) != 0;
  i.no_arp = (flags & IFF_NOARP) != 0;
  i.hardware_type = static_cast<std::uint16_t>(rtnl_link_get_arptype(link));
  i.oper_state = operState(rtnl_link_get_operstate(link));
  i.mtu = rtnl_link_get_mtu(link);
  nl_addr* hw = rtnl_link_get_addr(link);
  if (hw != nullptr && i.hardware_type == ARPHRD_ETHER && nl_addr_get_len(hw) == 6) {
    MacAddress::Bytes bytes;
    std::memcpy(bytes.data(), nl_addr_get_binary_addr(hw), bytes.size());
    i.mac = MacAddress(bytes);
  }
  return RouteMessage{std::move(m)};
}

Result<RouteMessage> fromAddress(rtnl_addr* addr, bool removed) {
  const int family = rtnl_addr_get_family(addr);
  if (family != AF_INET && family != AF_INET6) return RouteMessage{IgnoredMessage{}};
  AddressMessage m;
  m.removed = removed;
  m.ifindex = rtnl_addr_get_ifindex(addr);
  // IFA_LOCAL (IPv4) or IFA_ADDRESS (IPv6): the host's own address, not a point-to-point peer.
  nl_addr* local = rtnl_addr_get_local(addr);
  const unsigned width = family == AF_INET ? 4 : 16;
  if (local == nullptr || nl_addr_get_len(local) != width)
    return fail("address message for ifindex " + std::to_string(m.ifindex) + " without an address");
  const auto* bytes = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(local));
  if (family == AF_INET) {
    std::uint32_t network_order;
    std::memcpy(&network_order, bytes, 4);
    m.address.address = IpAddress::v4(ntohl(network_order));
  } else {
    std::array<std::uint8_t, 16> v6;
    std::memcpy(v6.data(), bytes, 16);
    m.address.address = IpAddress::v6(v6);
  }
  const int prefix_length = rtnl_addr_get_prefixlen(addr);
  if (prefix_length < 0 || static_cast<unsigned>(prefix_length) > m.address.address.bits())
    return fail("address message with prefix length " + std::to_string(prefix_length));
  m.address.prefix_length = static_cast<unsigned>(prefix_length);
  const unsigned flags = rtnl_addr_get_flags(addr);
  m.tentative = (flags & IFA_F_DADFAILED) != 0 ||
                ((flags & IFA_F_TENTATIVE) != 0 && (flags & IFA_F_OPTIMISTIC) == 0);
  return RouteMessage{std::move(m)};
}

void onParsed(nl_object* object, void* arg) {
  auto* outcome = static_cast<ParseOutcome*>(arg);
  outcome->seen = true;
  const std::string type = nl_object_get_type(object);
  const bool removed =
      nl_object_get_msgtype(object) == RTM_DELLINK || nl_object_get_msgtype(object) == RTM_DELADDR;
  if (type == "route/link") {
    outcome->result = fromLink(reinterpret_cast<rtnl_link*>(object), removed);
  } else if (type == "route/addr") {
    outcome->result = fromAddress(reinterpret_cast<rtnl_addr*>(object), removed);
  }
}

}  // namespace

Result<RouteMessage> decodeRouteMessage(nl_msg* message) {
  nlmsghdr* header = nlmsg_hdr(message);
  switch (header->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      if (!nlmsg_valid_hdr(header, sizeof(ifinfomsg))) return fail("truncated link message");
      // The family from the header, not rtnl_link_get_family(): libnl rewrites it to AF_BRIDGE
      // for a device of kind "bridge", which would hide br0 itself.
      const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(header));
      if (ifi->ifi_family != AF_UNSPEC) return RouteMessage{IgnoredMessage{}};
      break;
    }
    case RTM_NEWADDR:
    case RTM_DELADDR:
      break;
    default:
      return RouteMessage{IgnoredMessage{}};
  }
  ParseOutcome outcome;
  const int err = nl_msg_parse(message, &onParsed, &outcome);
  if (err < 0) return fail(std::string("cannot parse rtnetlink message: ") + nl_geterror(err));
  if (!outcome.seen) return fail("rtnetlink message parsed into nothing");
  return std::move(outcome.result);
}

void applyRouteMessage(const RouteMessage& message, l2::InterfaceTable& table) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, LinkMessage>) {
          if (m.removed) {
            table.removeLink(m.link.ifindex);
          } else {
            table.updateLink(m.link);
          }
        } else if constexpr (std::is_same_v<T, AddressMessage>) {
          // A usable address that goes back to tentative (re-DAD after the link returns with
          // keep_addr_on_down) leaves the table until DAD is done again.
          if (m.removed || m.tentative) {
            table.removeAddress(m.ifindex, m.address);
          } else {
            table.addAddress(m.ifindex, m.address);
          }
        }
      },
      message);
}

}  // namespace lbd::netlink
