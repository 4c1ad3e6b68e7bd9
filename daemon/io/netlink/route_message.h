#pragma once
// Decodes the rtnetlink messages the link monitor listens to (RTM_NEWLINK/DELLINK,
// RTM_NEWADDR/DELADDR; rtnetlink(7)) into the core's interface model, through libnl-route's
// parsers, and applies them to an InterfaceTable. Kept apart from the socket handling so it
// can be tested on built messages.

#include <cstdint>
#include <variant>

#include "core/l2/interface_table.h"
#include "core/result.h"

struct nl_msg;

namespace lbd::netlink {

/// RTM_NEWLINK / RTM_DELLINK of an interface (ifi_family AF_UNSPEC).
struct LinkMessage {
  bool removed = false;
  l2::Interface link;  // no addresses: link messages carry none
};

/// RTM_NEWADDR / RTM_DELADDR of an IPv4 or IPv6 address.
struct AddressMessage {
  bool removed = false;
  /// An IPv6 address not usable yet (duplicate address detection running, not optimistic) or
  /// never (DAD failed). The table leaves such addresses out: the kernel announces the
  /// link-local and SLAAC addresses it creates itself only once DAD completes, yet a dump lists
  /// them while tentative, so keeping them would make a dumped table differ from one kept by
  /// events for the ~2 s DAD takes.
  bool tentative = false;
  std::int32_t ifindex = 0;
  l2::InterfaceAddress address;
};

/// A message that says nothing about the interface table: other message types, other address
/// families, and the bridge's per-port messages (ifi_family AF_BRIDGE), whose RTM_DELLINK
/// means "left the bridge", not "deleted".
struct IgnoredMessage {};

using RouteMessage = std::variant<IgnoredMessage, LinkMessage, AddressMessage>;

/// Decodes one message received on a NETLINK_ROUTE socket. Fails on a message libnl cannot
/// parse (truncated, no address).
Result<RouteMessage> decodeRouteMessage(nl_msg* message);

/// Applies a decoded message to `table` (see InterfaceTable's update operations).
void applyRouteMessage(const RouteMessage& message, l2::InterfaceTable& table);

}  // namespace lbd::netlink
