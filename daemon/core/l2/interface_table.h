#pragma once
// The host's network interfaces as layer 2 sees them: what io/netlink learns from the kernel's
// RTM_NEWLINK / RTM_NEWADDR messages, kept as plain values so the decisions built on them
// (which interfaces answer for a VIP, what changed) are pure functions testable without a
// kernel. Field meanings follow the kernel's (include/uapi/linux/if.h, rtnetlink(7)).

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/mac_address.h"

namespace lbd::l2 {

/// "02:00:5e:00:53:01": lower-case, colon-separated (the spelling of `ip link`).
inline std::string toString(const MacAddress& mac) {
  return mac.toString();
}

/// RFC 2863 operational state with the kernel's IF_OPER_* values (IFLA_OPERSTATE).
enum class OperState : std::uint8_t {
  Unknown = 0,
  NotPresent = 1,
  Down = 2,
  LowerLayerDown = 3,
  Testing = 4,
  Dormant = 5,
  Up = 6,
};

/// "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up".
std::string_view toString(OperState state);

/// ARPHRD_ETHER: the only hardware type whose neighbours lbd answers (6-byte MACs).
inline constexpr std::uint16_t kHardwareTypeEthernet = 1;

/// One address of an interface with its prefix length, e.g. 192.0.2.7/24.
struct InterfaceAddress {
  IpAddress address;
  unsigned prefix_length = 0;  // <= address.bits()

  /// The subnet the address is on (192.0.2.0/24 for 192.0.2.7/24).
  IpPrefix subnet() const;
  /// fe80::/10: scoped to the link, says nothing about which subnets are reachable.
  bool isIpv6LinkLocal() const;
  /// "192.0.2.7/24".
  std::string toString() const;

  auto operator<=>(const InterfaceAddress&) const = default;
  bool operator==(const InterfaceAddress&) const = default;
};

/// One network interface.
struct Interface {
  std::int32_t ifindex = 0;
  std::string name;
  /// Set only for Ethernet-like links with a 6-byte hardware address (not tun, wireguard, ipip).
  std::optional<MacAddress> mac;
  std::uint16_t hardware_type = 0;  // ARPHRD_*
  bool admin_up = false;            // IFF_UP: `ip link set dev X up`
  bool running = false;             // IFF_RUNNING: operationally up (RFC 2863 up or unknown)
  bool carrier = false;             // IFF_LOWER_UP: the lower layer (cable, veth peer) is up
  OperState oper_state = OperState::Unknown;
  bool loopback = false;  // IFF_LOOPBACK
  bool no_arp = false;    // IFF_NOARP: the kernel does no ARP and no NDP on it
  std::uint32_t mtu = 0;
  // IPv4 and IPv6, sorted, no duplicates; only usable ones (not IPv6 tentative or DAD failed).
  std::vector<InterfaceAddress> addresses;

  /// Administratively up and operationally running: frames sent now reach the link. A veth
  /// whose peer is down or a NIC without a cable is admin up but not up.
  bool isUp() const { return admin_up && running; }
  /// Neighbour resolution (ARP, NDP) can happen on it and lbd can answer there: an Ethernet
  /// link with a MAC, not loopback, not NOARP (e.g. kube-proxy's dummy kube-ipvs0 is NOARP).
  bool canResolveNeighbours() const;
  bool hasAddress(const IpAddress& address) const;

  bool operator==(const Interface&) const = default;
};

/// Every interface of one network namespace, by ifindex. Its update operations mirror the
/// kernel's messages, so an adapter applies messages in arrival order and nothing else.
class InterfaceTable {
 public:
  using Map = std::map<std::int32_t, Interface>;

  /// Inserts or replaces an interface with everything in it (addresses included).
  void put(Interface interface);
  /// RTM_NEWLINK: inserts or replaces the link's attributes; the addresses already known are
  /// kept, since link messages carry none.
  void updateLink(Interface link);
  /// RTM_DELLINK: forgets the interface and its addresses. False when it was unknown.
  bool removeLink(std::int32_t ifindex);
  /// RTM_NEWADDR. False (nothing stored) when the interface is unknown: its RTM_NEWLINK always
  /// comes first, so the address belongs to an interface already gone.
  bool addAddress(std::int32_t ifindex, const InterfaceAddress& address);
  /// RTM_DELADDR. False when the interface or the address is unknown.
  bool removeAddress(std::int32_t ifindex, const InterfaceAddress& address);

  const Interface* find(std::int32_t ifindex) const;
  /// The interface called `name` right now (names are unique within a namespace at any time).
  const Interface* findByName(std::string_view name) const;
  const Map& interfaces() const { return interfaces_; }
  bool empty() const { return interfaces_.empty(); }
  std::size_t size() const { return interfaces_.size(); }

  bool operator==(const InterfaceTable&) const = default;

 private:
  Map interfaces_;
};

}  // namespace lbd::l2
