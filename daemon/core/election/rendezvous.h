#pragma once
// Rendezvous (highest random weight) ranking of hosts for a VIP: every host computes the same
// order for the same candidates without talking to anyone, and removing a host only moves the
// VIPs that host ranked first for. The weight is fixed by this definition, not by a library:
//   weight(vip, node) = first 8 bytes, big-endian, of sha256("<vip text>/<node>")
// with <vip text> as IpAddress::toString writes it, so every build on every platform agrees
// (std::hash would not: it differs between standard libraries and may be seeded).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"

namespace lbd::election {

/// The weight of `node` for `vip` (higher ranks first).
std::uint64_t rendezvousWeight(const IpAddress& vip, std::string_view node);

/// Whether `a` with `weight_a` ranks before `b` with `weight_b`: the higher weight first, and on
/// equal weights (a 64-bit collision) the smaller name, so that hosts still agree.
bool ranksBefore(std::uint64_t weight_a, std::string_view a, std::uint64_t weight_b,
                 std::string_view b);

/// How many of `candidates` rank before `node` for `vip`: 0 = first. `node` need not be in the
/// list.
std::size_t rendezvousRank(const IpAddress& vip, std::string_view node,
                           const std::vector<std::string>& candidates);

/// The candidate ranked first for `vip`; "" when there are none.
std::string rendezvousFirst(const IpAddress& vip, const std::vector<std::string>& candidates);

}  // namespace lbd::election
