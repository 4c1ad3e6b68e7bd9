#include "core/l2/kernel_arp_policy.h"

#include <algorithm>
#include <vector>

namespace lbd::l2 {
namespace {

// net/ipv4/arp.c arp_ignore(): 1 and 2 require the target on the incoming device, 8 never
// replies; 0, 3, the reserved 4-7 and unknown values answer for addresses on any device.
bool ignoresOtherInterfaces(int arp_ignore) {
  return arp_ignore == 1 || arp_ignore == 2 || arp_ignore == 8;
}

// net/ipv4/arp.c arp_solicit(): only 2 always picks the device's own address; 1 keeps a local
// source in the target's subnet (where VIPs usually are), 0 and unknown values keep any.
bool avoidsOtherAddresses(int arp_announce) {
  return arp_announce == 2;
}

// sysctl(8) spells a dot inside an interface name (VLAN "eth0.100") as '/'.
std::string sysctlKey(std::string_view conf, std::string_view name) {
  std::string key = "net.ipv4.conf.";
  for (char c : conf)
    key += c == '.' ? '/' : c;
  return key + "." + std::string(name);
}

std::string effective(std::string_view name, int value, int all, int for_interface,
                      std::string_view interface) {
  return std::string(name) + "=" + std::to_string(value) + " (max of all=" + std::to_string(all) +
         ", " + std::string(interface) + "=" + std::to_string(for_interface) + ")";
}

// The settings that make max(all, interface) acceptable with as few changes as possible,
// preferring "all" (it covers interfaces that appear later).
void addFix(std::vector<std::string>& fix, std::string_view interface, std::string_view name,
            int all, int for_interface, int wanted, bool (*acceptable)(int)) {
  const std::string value = "=" + std::to_string(wanted);
  if (acceptable(all)) {
    // "all" is fine: the interface's own, larger value is what breaks it.
    fix.push_back(sysctlKey(interface, name) + value);
  } else if (acceptable(std::max(wanted, for_interface))) {
    fix.push_back(sysctlKey("all", name) + value);
  } else {
    fix.push_back(sysctlKey("all", name) + value);
    fix.push_back(sysctlKey(interface, name) + value);
  }
}

}  // namespace

KernelArpVerdict judgeKernelArp(std::string_view interface, const ArpSysctls& all,
                                const ArpSysctls& for_interface) {
  KernelArpVerdict v;
  v.interface = std::string(interface);
  v.effective_arp_ignore = std::max(all.arp_ignore, for_interface.arp_ignore);
  v.effective_arp_announce = std::max(all.arp_announce, for_interface.arp_announce);
  v.kernel_may_answer = !ignoresOtherInterfaces(v.effective_arp_ignore);
  v.kernel_may_announce = !avoidsOtherAddresses(v.effective_arp_announce);
  if (v.ok()) return v;

  std::string what;
  std::vector<std::string> fix;
  if (v.kernel_may_answer) {
    what = "the kernel answers ARP on " + v.interface + " for addresses of other interfaces (" +
           effective("arp_ignore", v.effective_arp_ignore, all.arp_ignore, for_interface.arp_ignore,
                     interface) +
           "), so with kube-proxy in IPVS mode (VIPs bound to kube-ipvs0) every node answers "
           "for every VIP";
    addFix(fix, interface, "arp_ignore", all.arp_ignore, for_interface.arp_ignore, 1,
           ignoresOtherInterfaces);
  }
  if (v.kernel_may_announce) {
    if (!what.empty()) what += "; ";
    what += "the kernel may send ARP requests on " + v.interface +
            " with an address of another interface as source (" +
            effective("arp_announce", v.effective_arp_announce, all.arp_announce,
                      for_interface.arp_announce, interface) +
            ")";
    addFix(fix, interface, "arp_announce", all.arp_announce, for_interface.arp_announce, 2,
           avoidsOtherAddresses);
  }
  std::string settings;
  bool all_only = true;
  for (const auto& line : fix) {
    settings += (settings.empty() ? "" : " ") + line;
    all_only = all_only && line.starts_with("net.ipv4.conf.all.");
  }
  // kube-proxy's strictARP writes net.ipv4.conf.all.* only, so it cannot lower a larger value
  // set on the interface itself.
  v.message =
      what + ". Fix: " +
      (all_only ? "set `strictARP: true` in kube-proxy's configuration (ipvs section), or " : "") +
      "sysctl -w " + settings + " (and the same in /etc/sysctl.d/ to keep it across reboots)";
  return v;
}

}  // namespace lbd::l2
