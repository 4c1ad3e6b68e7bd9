#pragma once
// Reads the kernel's ARP sysctls (net.ipv4.conf.{all,<interface>}.arp_ignore / arp_announce)
// for the interfaces lbd announces on, and judges them with the core's rules
// (core/l2/kernel_arp_policy.h).
//
// /proc/sys/net shows the network namespace of the thread that opens the file, so the values
// are those of the namespace lbd runs in, which is where its interfaces are.

#include <filesystem>
#include <string_view>

#include "core/l2/kernel_arp_policy.h"
#include "core/result.h"

namespace lbd::sysctl {

/// The values of net.ipv4.conf.<conf> ("all", "default" or an interface name). Fails when the
/// directory does not exist (no such interface, or it has no IPv4 configuration) or a value is
/// not an integer.
Result<l2::ArpSysctls> readArpSysctls(std::string_view conf,
                                      const std::filesystem::path& proc_sys = "/proc/sys");

/// Reads "all" and `interface` and returns the verdict for `interface`.
Result<l2::KernelArpVerdict> checkKernelArp(std::string_view interface,
                                            const std::filesystem::path& proc_sys = "/proc/sys");

}  // namespace lbd::sysctl
