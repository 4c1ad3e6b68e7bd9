#pragma once
// Which of this host's interfaces answer ARP/NDP for a VIP of a layer-2 pool (DESIGN.md
// section 3, eligibility: "has an up interface in the VIP's subnet (or a configured one)").
//   - A pool that names `interfaces` is answered on exactly those that exist, are up and can
//     resolve neighbours. No fallback to subnet matching when they are all down: the operator
//     chose them, and answering elsewhere could leak the VIP onto a network it was kept off.
//   - Otherwise on every up interface that can resolve neighbours and has an address whose
//     subnet contains the VIP (IPv4 VIPs by IPv4 addresses, IPv6 by IPv6). IPv6 link-local
//     addresses do not count: every interface has fe80::/64, which says nothing about where
//     a VIP's subnet is.
// An empty selection means the host is not eligible for the VIP. Pure.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/ip.h"
#include "core/l2/interface_table.h"

namespace lbd::l2 {

enum class SkipReason : std::uint8_t {
  NotFound,                 // a configured interface that does not exist (now)
  Down,                     // exists (and would qualify) but is not up
  CannotResolveNeighbours,  // loopback, NOARP or not Ethernet: nothing to answer with
};

/// "not found", "down", "cannot resolve neighbours (loopback, NOARP or not Ethernet)".
std::string_view toString(SkipReason reason);

/// An interface that would have answered for the VIP but does not, and why.
struct SkippedInterface {
  std::string name;
  SkipReason reason = SkipReason::NotFound;

  /// "eth1: down".
  std::string toString() const;
  bool operator==(const SkippedInterface&) const = default;
};

struct AnnounceSelection {
  std::vector<Interface> interfaces;      // answer on these (ordered by ifindex)
  std::vector<SkippedInterface> skipped;  // configured ones not used; in-subnet ones down
  /// Interfaces that have the VIP itself as an address (this host's own address, or
  /// kube-proxy IPVS's kube-ipvs0). The kernel owns such an address; whether it also answers
  /// ARP for it on other interfaces is the arp_ignore question (kernel_arp_policy.h).
  std::vector<std::string> vip_configured_on;

  bool empty() const { return interfaces.empty(); }
  bool operator==(const AnnounceSelection&) const = default;
};

/// The interfaces to answer on for `vip`; `configured` is a pool's `interfaces` (may be empty).
AnnounceSelection selectAnnounceInterfaces(const InterfaceTable& table,
                                           const std::vector<std::string>& configured,
                                           const IpAddress& vip);

/// The same for a layer-2 pool's VIP (uses pool.interfaces).
AnnounceSelection selectAnnounceInterfacesForPool(const InterfaceTable& table, const Pool& pool,
                                                  const IpAddress& vip);

}  // namespace lbd::l2
