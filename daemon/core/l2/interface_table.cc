#include "core/l2/interface_table.h"

#include <algorithm>
#include <cstdio>

namespace lbd::l2 {

std::string_view toString(OperState state) {
  switch (state) {
    case OperState::Unknown:
      return "unknown";
    case OperState::NotPresent:
      return "notpresent";
    case OperState::Down:
      return "down";
    case OperState::LowerLayerDown:
      return "lowerlayerdown";
    case OperState::Testing:
      return "testing";
    case OperState::Dormant:
      return "dormant";
    case OperState::Up:
      return "up";
  }
  return "unknown";
}

IpPrefix InterfaceAddress::subnet() const {
  return IpPrefix::containing(address, std::min(prefix_length, address.bits()));
}

bool InterfaceAddress::isIpv6LinkLocal() const {
  static const IpPrefix kLinkLocal = IpPrefix::containing(IpAddress::v6({0xfe, 0x80}), 10);
  return address.isV6() && kLinkLocal.contains(address);
}

std::string InterfaceAddress::toString() const {
  return address.toString() + "/" + std::to_string(prefix_length);
}

bool Interface::canResolveNeighbours() const {
  return hardware_type == kHardwareTypeEthernet && mac.has_value() && !loopback && !no_arp;
}

bool Interface::hasAddress(const IpAddress& address) const {
  return std::any_of(addresses.begin(), addresses.end(),
                     [&](const InterfaceAddress& a) { return a.address == address; });
}

void InterfaceTable::put(Interface interface) {
  std::sort(interface.addresses.begin(), interface.addresses.end());
  interface.addresses.erase(std::unique(interface.addresses.begin(), interface.addresses.end()),
                            interface.addresses.end());
  const std::int32_t ifindex = interface.ifindex;
  interfaces_.insert_or_assign(ifindex, std::move(interface));
}

void InterfaceTable::updateLink(Interface link) {
  auto it = interfaces_.find(link.ifindex);
  if (it != interfaces_.end()) {
    link.addresses = std::move(it->second.addresses);
    it->second = std::move(link);
    return;
  }
  link.addresses.clear();
  const std::int32_t ifindex = link.ifindex;
  interfaces_.emplace(ifindex, std::move(link));
}

bool InterfaceTable::removeLink(std::int32_t ifindex) {
  return interfaces_.erase(ifindex) > 0;
}

bool InterfaceTable::addAddress(std::int32_t ifindex, const InterfaceAddress& address) {
  auto it = interfaces_.find(ifindex);
  if (it == interfaces_.end()) return false;
  auto& addresses = it->second.addresses;
  auto at = std::lower_bound(addresses.begin(), addresses.end(), address);
  // The kernel repeats RTM_NEWADDR for an address it already announced (IPv6 lifetime and
  // flag updates, e.g. the end of DAD): the same address is one entry.
  if (at == addresses.end() || *at != address) addresses.insert(at, address);
  return true;
}

bool InterfaceTable::removeAddress(std::int32_t ifindex, const InterfaceAddress& address) {
  auto it = interfaces_.find(ifindex);
  if (it == interfaces_.end()) return false;
  auto& addresses = it->second.addresses;
  auto at = std::lower_bound(addresses.begin(), addresses.end(), address);
  if (at == addresses.end() || *at != address) return false;
  addresses.erase(at);
  return true;
}

const Interface* InterfaceTable::find(std::int32_t ifindex) const {
  auto it = interfaces_.find(ifindex);
  return it == interfaces_.end() ? nullptr : &it->second;
}

const Interface* InterfaceTable::findByName(std::string_view name) const {
  for (const auto& [ifindex, interface] : interfaces_) {
    if (interface.name == name) return &interface;
  }
  return nullptr;
}

}  // namespace lbd::l2
