#pragma once
// Ethernet II framing (IEEE 802.3 with an EtherType, RFC 894) for the ARP/NDP codecs, with at
// most one IEEE 802.1Q VLAN tag tolerated on decode. Linux normally moves a received tag into
// packet metadata before a packet socket sees the frame, but a capture file or a NIC without
// VLAN offload may still hand us one in the data.
//
// 802.3 length/LLC frames (type field < 0x0600) and stacked tags (802.1ad QinQ) are errors:
// ARP and IPv6 never travel in them on the links lbd announces on.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/mac_address.h"
#include "core/result.h"

namespace lbd::l2 {

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;  // IEEE 802.1Q C-tag
inline constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;  // IEEE 802.1ad S-tag
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr std::size_t kEthernetHeaderSize = 14;

/// A decoded frame header; `payload` views the caller's buffer (including any padding a short
/// frame carried up to the 60-byte Ethernet minimum).
struct EthernetFrame {
  MacAddress destination;
  MacAddress source;
  /// The 12-bit VLAN ID of an 802.1Q tag, when the frame carried one (0: priority tag only).
  std::optional<std::uint16_t> vlan_id;
  std::uint16_t ether_type = 0;
  std::span<const std::uint8_t> payload;
};

/// Decodes the header of an Ethernet II frame (without FCS, as packet sockets deliver it).
Result<EthernetFrame> decodeEthernetFrame(std::span<const std::uint8_t> frame);

/// Appends an untagged Ethernet II header.
void appendEthernetHeader(std::vector<std::uint8_t>& out, const MacAddress& destination,
                          const MacAddress& source, std::uint16_t ether_type);

}  // namespace lbd::l2
