#pragma once
// Builders for interface tables in the layer-2 unit tests.

#include <string>
#include <utility>

#include "core/ip.h"
#include "core/l2/interface_table.h"

namespace lbd::l2::testing {

inline InterfaceAddress addr(const std::string& text) {
  const auto slash = text.find('/');
  InterfaceAddress a;
  a.address = IpAddress::parse(text.substr(0, slash)).value();
  a.prefix_length = static_cast<unsigned>(std::stoul(text.substr(slash + 1)));
  return a;
}

inline IpAddress ip(const std::string& text) {
  return IpAddress::parse(text).value();
}

/// An up Ethernet interface with a MAC derived from its ifindex.
inline Interface ethernet(std::int32_t ifindex, std::string name,
                          std::vector<std::string> addresses = {}) {
  Interface i;
  i.ifindex = ifindex;
  i.name = std::move(name);
  i.mac = MacAddress(MacAddress::Bytes{0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(ifindex)});
  i.hardware_type = kHardwareTypeEthernet;
  i.admin_up = true;
  i.running = true;
  i.carrier = true;
  i.oper_state = OperState::Up;
  i.mtu = 1500;
  for (const auto& a : addresses)
    i.addresses.push_back(addr(a));
  return i;
}

inline Interface loopback() {
  Interface i;
  i.ifindex = 1;
  i.name = "lo";
  i.mac = MacAddress();
  i.hardware_type = 772;  // ARPHRD_LOOPBACK
  i.admin_up = true;
  i.running = true;
  i.carrier = true;
  i.oper_state = OperState::Unknown;
  i.loopback = true;
  i.mtu = 65536;
  i.addresses = {addr("127.0.0.1/8"), addr("::1/128")};
  return i;
}

inline InterfaceTable tableOf(std::initializer_list<Interface> interfaces) {
  InterfaceTable t;
  for (const auto& i : interfaces)
    t.put(i);
  return t;
}

}  // namespace lbd::l2::testing
