#pragma once
// Whether the kernel itself may answer ARP for a VIP next to lbd (DESIGN.md section 3, "The
// kernel must not answer too"). lbd never adds a VIP to an interface, but kube-proxy in IPVS
// mode binds every LoadBalancer IP to its dummy kube-ipvs0, and the kernel's ARP behaviour for
// such addresses is set by two sysctls per interface (Documentation/networking/ip-sysctl.rst):
//
//   arp_ignore: "0 - (default): reply for any local target IP address, configured on any
//     interface; 1 - reply only if the target IP address is local address configured on the
//     incoming interface; 2 - [1] and both with the sender's IP address are part from same
//     subnet on this interface; 3 - do not reply for local addresses configured with scope
//     host, only resolutions for global and link addresses are replied; 4-7 - reserved;
//     8 - do not reply for all local addresses. The max value from
//     conf/{all,interface}/arp_ignore is used when ARP request is received on the {interface}"
//   arp_announce: "0 - (default) Use any local address, configured on any interface; 1 - Try to
//     avoid local addresses that are not in the target's subnet for this interface; 2 - Always
//     use the best local address for this target. [...] The max value from
//     conf/{all,interface}/arp_announce is used."
//
// The kernel's arp_ignore() (net/ipv4/arp.c) makes 3 match the address on any device
// (in_dev = NULL) and treats 4-7 and anything above 8 like 0, so only 1, 2 and 8 keep it from
// answering for kube-ipvs0's addresses on the interface lbd announces on. kube-proxy's
// `strictARP: true` sets arp_ignore=1 and arp_announce=2 (MetalLB requires the same).
//
// IPv6 needs no such check: the kernel answers a Neighbor Solicitation only for an address of
// the receiving interface (ndisc_recv_ns looks the target up on that device).
// Each network namespace has its own net.ipv4.conf values. Pure.

#include <string>
#include <string_view>

namespace lbd::l2 {

/// The two values of one net.ipv4.conf.<name> directory ("all" or an interface).
struct ArpSysctls {
  int arp_ignore = 0;
  int arp_announce = 0;
  bool operator==(const ArpSysctls&) const = default;
};

struct KernelArpVerdict {
  std::string interface;
  int effective_arp_ignore = 0;    // max(all, interface)
  int effective_arp_announce = 0;  // max(all, interface)
  /// The kernel replies on `interface` to ARP requests for addresses of other interfaces
  /// (kube-ipvs0's VIPs): every such host would answer for the VIP next to its owner.
  bool kernel_may_answer = false;
  /// The kernel may use such an address as the source of its own ARP requests on `interface`,
  /// teaching neighbours this host's MAC for a VIP it does not own.
  bool kernel_may_announce = false;
  /// What is wrong and how to fix it; empty when neither is possible.
  std::string message;

  bool ok() const { return !kernel_may_answer && !kernel_may_announce; }
};

/// The verdict for `interface` from the values of net.ipv4.conf.all and net.ipv4.conf.<it>.
KernelArpVerdict judgeKernelArp(std::string_view interface, const ArpSysctls& all,
                                const ArpSysctls& for_interface);

}  // namespace lbd::l2
