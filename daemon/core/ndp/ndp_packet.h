#pragma once
// IPv6 Neighbor Discovery (RFC 4861) Neighbor Solicitation and Advertisement: the IPv6 packet
// (RFC 8200 header, ICMPv6 of RFC 4443) with the Source/Target Link-Layer Address options
// (RFC 4861 section 4.6.1; for Ethernet, RFC 2464 section 8: length 1, a 6-byte MAC).
//
// Decoding applies the validity checks of RFC 4861 section 7.1.1 (NS) and 7.1.2 (NA) at the
// point where they are checked: hop limit 255, ICMPv6 checksum over the RFC 4443 section 2.3
// pseudo-header, code 0, length >= 24, target not multicast, no option of length 0, and for
// duplicate address detection (RFC 4862 section 5.4: source ::) a solicited-node destination
// and no source link-layer option; for an NA sent to a multicast group, S = 0. NDP that is
// fragmented is invalid (RFC 6980 section 5). Hop-by-Hop, Routing and Destination Options
// headers are walked; a packet that is not NS/NA at all is "not NDP" (nullopt), not an error.
//
// Free functions over buffers: no sockets, no clocks.

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "core/ip.h"
#include "core/mac_address.h"
#include "core/result.h"

namespace lbd::ndp {

inline constexpr std::uint8_t kIcmpv6NeighborSolicitation = 135;
inline constexpr std::uint8_t kIcmpv6NeighborAdvertisement = 136;
/// RFC 4861 section 7.1: NDP is only valid from the same link, which a hop limit of 255 proves.
inline constexpr std::uint8_t kNdpHopLimit = 255;

struct NeighborSolicitation {
  IpAddress source;  // :: for duplicate address detection
  IpAddress destination;
  IpAddress target;
  std::optional<MacAddress> source_mac;  // Source Link-Layer Address option

  /// Duplicate address detection (RFC 4862 section 5.4.2): the source is the unspecified ::.
  bool isDad() const;
  bool operator==(const NeighborSolicitation&) const = default;
};

struct NeighborAdvertisement {
  IpAddress source;
  IpAddress destination;
  IpAddress target;
  bool router = false;
  bool solicited = false;
  bool override_flag = false;
  std::optional<MacAddress> target_mac;  // Target Link-Layer Address option

  bool operator==(const NeighborAdvertisement&) const = default;
};

using NdpMessage = std::variant<NeighborSolicitation, NeighborAdvertisement>;

/// Decodes an IPv6 packet (the payload of an EtherType 0x86DD frame; bytes beyond the IPv6
/// payload length are padding and ignored). nullopt: valid IPv6 but not an NS or NA; error:
/// truncated, not IPv6, or an NS/NA that fails RFC 4861's validity checks.
Result<std::optional<NdpMessage>> decodeNdpPacket(std::span<const std::uint8_t> ipv6_packet);

/// The IPv6 packet carrying `message`: hop limit 255, ICMPv6 checksum computed, the link-layer
/// option present when its MAC is set. Addresses must be IPv6.
std::vector<std::uint8_t> encodeNdpPacket(const NdpMessage& message);

/// The same packet in an Ethernet II frame.
std::vector<std::uint8_t> ndpFrame(const NdpMessage& message, const MacAddress& destination,
                                   const MacAddress& source);

/// The Internet checksum (RFC 1071) of an ICMPv6 message with the RFC 4443 section 2.3
/// pseudo-header (source, destination, upper-layer length, next header 58). Over a message
/// whose checksum field is correct the result is 0; with the field zeroed it is the value to
/// put there.
std::uint16_t icmpv6Checksum(const IpAddress& source, const IpAddress& destination,
                             std::span<const std::uint8_t> message);

/// ff02::1, the all-nodes link-local multicast group (RFC 4291 section 2.7.1).
IpAddress allNodesAddress();
/// ff02::1:ffXX:XXXX with the low 24 bits of `address` (RFC 4291 section 2.7.1).
IpAddress solicitedNodeAddress(const IpAddress& address);
/// True for any ff02::1:ff00:0/104 address.
bool isSolicitedNodeAddress(const IpAddress& address);
/// The Ethernet multicast MAC of an IPv6 multicast group: 33:33 and the group's low 32 bits
/// (RFC 2464 section 7).
MacAddress multicastMac(const IpAddress& group);

/// The advertisement answering `solicitation` for an address we own (RFC 4861 section 7.2.4),
/// as a frame from `our_mac`: source = the target (peers such as ndisc6 ignore an NA from any
/// other address), Target Link-Layer Address = our_mac, R = 0 (a VIP is no router), O = 1
/// (we are the address's owner, not a proxy, so caches must take our MAC), S = 1 unicast to
/// the solicitor at `solicitor_mac`. For duplicate address detection the solicitor has no
/// address yet: S = 0, multicast to all-nodes, which is how an owner defends its address.
std::vector<std::uint8_t> neighborAdvertisementFrame(const NeighborSolicitation& solicitation,
                                                     const MacAddress& solicitor_mac,
                                                     const MacAddress& our_mac);

/// An unsolicited advertisement (RFC 4861 section 7.2.6) that `target` is at `our_mac`, to
/// all-nodes, S = 0 and O = 1 so that existing cache entries are overridden.
std::vector<std::uint8_t> unsolicitedAdvertisementFrame(const IpAddress& target,
                                                        const MacAddress& our_mac);

}  // namespace lbd::ndp
