#include "core/l2/announce_interfaces.h"

#include <algorithm>

namespace lbd::l2 {
namespace {

bool hasSubnetContaining(const Interface& interface, const IpAddress& vip) {
  return std::any_of(interface.addresses.begin(), interface.addresses.end(),
                     [&](const InterfaceAddress& a) {
                       return a.address.family() == vip.family() && !a.isIpv6LinkLocal() &&
                              a.subnet().contains(vip);
                     });
}

void selectConfigured(const InterfaceTable& table, const std::vector<std::string>& configured,
                      AnnounceSelection& out) {
  std::vector<std::string_view> seen;
  for (const auto& name : configured) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    const Interface* interface = table.findByName(name);
    if (interface == nullptr) {
      out.skipped.push_back({name, SkipReason::NotFound});
    } else if (!interface->canResolveNeighbours()) {
      out.skipped.push_back({name, SkipReason::CannotResolveNeighbours});
    } else if (!interface->isUp()) {
      out.skipped.push_back({name, SkipReason::Down});
    } else {
      out.interfaces.push_back(*interface);
    }
  }
  std::sort(out.interfaces.begin(), out.interfaces.end(),
            [](const Interface& a, const Interface& b) { return a.ifindex < b.ifindex; });
}

void selectBySubnet(const InterfaceTable& table, const IpAddress& vip, AnnounceSelection& out) {
  for (const auto& [ifindex, interface] : table.interfaces()) {
    if (!hasSubnetContaining(interface, vip)) continue;
    // Not reported as skipped: such interfaces (lo, kube-ipvs0) never answer neighbours, and
    // listing them for every VIP would bury the reports that matter.
    if (!interface.canResolveNeighbours()) continue;
    if (interface.isUp()) {
      out.interfaces.push_back(interface);
    } else {
      out.skipped.push_back({interface.name, SkipReason::Down});
    }
  }
}

}  // namespace

std::string_view toString(SkipReason reason) {
  switch (reason) {
    case SkipReason::NotFound:
      return "not found";
    case SkipReason::Down:
      return "down";
    case SkipReason::CannotResolveNeighbours:
      return "cannot resolve neighbours (loopback, NOARP or not Ethernet)";
  }
  return "skipped";
}

std::string SkippedInterface::toString() const {
  return name + ": " + std::string(l2::toString(reason));
}

AnnounceSelection selectAnnounceInterfaces(const InterfaceTable& table,
                                           const std::vector<std::string>& configured,
                                           const IpAddress& vip) {
  AnnounceSelection out;
  if (configured.empty()) {
    selectBySubnet(table, vip, out);
  } else {
    selectConfigured(table, configured, out);
  }
  for (const auto& [ifindex, interface] : table.interfaces()) {
    if (interface.hasAddress(vip)) out.vip_configured_on.push_back(interface.name);
  }
  return out;
}

AnnounceSelection selectAnnounceInterfacesForPool(const InterfaceTable& table, const Pool& pool,
                                                  const IpAddress& vip) {
  return selectAnnounceInterfaces(table, pool.interfaces, vip);
}

}  // namespace lbd::l2
