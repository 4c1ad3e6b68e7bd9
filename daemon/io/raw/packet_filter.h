#pragma once
// The classic BPF program the kernel runs on every frame of the interface before lbd's packet
// socket sees it, so the daemon wakes for ARP and Neighbor Discovery only. It accepts:
//   - EtherType 0x0806 (ARP), and
//   - EtherType 0x86DD whose IPv6 next header is ICMPv6 (58) and ICMPv6 type 135 (NS) or
//     136 (NA), i.e. Neighbor Discovery right after the 40-byte IPv6 header.
// It drops, and lbd therefore never answers:
//   - NS/NA after any IPv6 extension header (Hop-by-Hop, Destination Options, Routing,
//     Fragment): classic BPF cannot walk a header chain, RFC 6980 makes fragmented NDP
//     invalid, and neighbour discovery is sent without extension headers in practice (Linux,
//     the BSDs, Windows). The decoder behind it handles them should the filter ever let one in;
//   - frames the kernel tagged with a non-zero VLAN ID (the tag is packet metadata, not frame
//     data, once Linux has received it): the VLAN's own interface answers for it;
//   - frames we sent (PACKET_OUTGOING) and frames for other stations (PACKET_OTHERHOST, seen
//     when something else put the interface in promiscuous mode).

#include <cstdint>
#include <vector>

#include <linux/filter.h>

namespace lbd::raw {

/// Bytes of an accepted frame handed to the socket; ARP and NDP frames are far smaller.
inline constexpr std::uint32_t kPacketSnapLength = 4096;

/// The program for SO_ATTACH_FILTER on a SOCK_RAW AF_PACKET socket bound to ETH_P_ALL.
std::vector<sock_filter> neighborDiscoveryFilter();

}  // namespace lbd::raw
