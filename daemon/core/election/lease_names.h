#pragma once
// Names of the layer-2 election's Leases (DESIGN.md section 3), all in the election namespace:
//   lbd-node-<node>  one heartbeat per host, holderIdentity = the node
//   lbd-vip-<ip>     one per VIP, holderIdentity = its owner
// Object names must be DNS-1123 subdomains (lowercase alphanumerics, '-' and '.', starting and
// ending alphanumeric, <= 253 characters). An IP in a name is written so that every address has
// exactly one name and every name at most one address (the name is the only key two hosts share):
//   IPv4  the dotted quad with '-' for '.':            192.0.2.10  -> lbd-vip-192-0-2-10
//   IPv6  RFC 5952 text in hex only, '-' for ':':      2001:db8::1 -> lbd-vip-2001-db8--1
// IPv6 is never written with a dotted tail (RFC 5952 section 5 keeps one for ::ffff:a.b.c.d, which
// would read back as a different, all-hex address), and a trailing "::" is written "--0" because a
// name may not end with '-' (2001:db8:: -> lbd-vip-2001-db8--0). The families cannot be confused:
// IPv4 has exactly three '-' and never "--"; IPv6 has seven '-' or a "--". The longest name is
// lbd-vip- plus 39 characters (eight full groups): 47, short enough to be a label value too.

#include <optional>
#include <string>
#include <string_view>

#include "core/ip.h"

namespace lbd::election {

inline constexpr std::string_view kHeartbeatLeasePrefix = "lbd-node-";
inline constexpr std::string_view kVipLeasePrefix = "lbd-vip-";

/// "lbd-node-<node>"; a node name too long for that (> 244 characters) is cut and followed by a
/// hash of the whole name, so the Lease name stays valid and distinct.
std::string heartbeatLeaseName(std::string_view node);

/// "lbd-vip-<ip>" in the encoding above.
std::string vipLeaseName(const IpAddress& vip);

/// The VIP a Lease name stands for; nullopt for any name vipLeaseName would not produce
/// (other Leases, non-canonical spellings such as "lbd-vip-2001-0db8--1").
std::optional<IpAddress> parseVipLeaseName(std::string_view name);

}  // namespace lbd::election
