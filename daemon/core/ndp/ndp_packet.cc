#include "core/ndp/ndp_packet.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <string>

#include "core/bytes.h"
#include "core/l2/ethernet_frame.h"

namespace lbd::ndp {
namespace {

constexpr std::size_t kIpv6HeaderSize = 40;
constexpr std::uint8_t kNextHeaderHopByHop = 0;
constexpr std::uint8_t kNextHeaderRouting = 43;
constexpr std::uint8_t kNextHeaderFragment = 44;
constexpr std::uint8_t kNextHeaderIcmpv6 = 58;
constexpr std::uint8_t kNextHeaderDestinationOptions = 60;
// NS and NA: type, code, checksum, 4 bytes of flags/reserved, 16-byte target.
constexpr std::size_t kNdpMinimumLength = 24;
constexpr std::uint8_t kOptionSourceLinkLayer = 1;
constexpr std::uint8_t kOptionTargetLinkLayer = 2;
constexpr std::uint32_t kFlagRouter = 0x80000000u;
constexpr std::uint32_t kFlagSolicited = 0x40000000u;
constexpr std::uint32_t kFlagOverride = 0x20000000u;

IpAddress readIpv6(ByteReader& in) {
  std::array<std::uint8_t, 16> bytes{};
  const auto view = in.take(bytes.size());
  std::copy(view.begin(), view.end(), bytes.begin());
  return IpAddress::v6(bytes);
}

void putIpv6(ByteWriter& w, const IpAddress& address) {
  assert(address.isV6());
  const auto bytes = address.bytes();
  w.bytes(bytes);
}

bool isMulticast(const IpAddress& address) {
  return address.toInteger() >> 120 == 0xff;
}

// RFC 1071 one's-complement sum of 16-bit words, carried in 32 bits and folded at the end.
void addWords(std::uint32_t& sum, std::span<const std::uint8_t> data) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    sum += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
  if (i < data.size()) sum += static_cast<std::uint32_t>(data[i] << 8);
  // Fold now and then so a long message cannot overflow the accumulator.
  sum = (sum & 0xffff) + (sum >> 16);
}

// The link-layer address options we care about; others are skipped (RFC 4861 section 4.6:
// receivers MUST silently ignore options they do not recognize).
struct Options {
  std::optional<MacAddress> source_mac;
  std::optional<MacAddress> target_mac;
};

Result<Options> parseOptions(std::span<const std::uint8_t> bytes) {
  Options out;
  ByteReader in(bytes);
  while (in.remaining() > 0) {
    const std::uint8_t type = in.u8();
    const std::uint8_t length = in.u8();  // in units of 8 octets, including type and length
    if (!in.ok()) return fail("NDP option truncated: 1 byte left");
    // RFC 4861 section 7.1.1/7.1.2: all included options have a length greater than zero
    // (a zero length would also make this loop spin forever).
    if (length == 0) return fail("NDP option of type " + std::to_string(type) + " has length 0");
    const auto body = in.take(std::size_t{length} * 8 - 2);
    if (!in.ok()) {
      return fail("NDP option of type " + std::to_string(type) + " and length " +
                  std::to_string(length * 8) + " runs past the end of the message");
    }
    if (type != kOptionSourceLinkLayer && type != kOptionTargetLinkLayer) continue;
    // RFC 2464 section 8: on Ethernet the option is exactly 8 bytes. Linux drops an NS/NA
    // whose link-layer option has any other size, and so do we.
    if (length != 1) {
      return fail("NDP link-layer address option of length " + std::to_string(length * 8) +
                  " (Ethernet needs 8)");
    }
    const MacAddress mac = MacAddress::fromSpan(body.first<MacAddress::kSize>());
    auto& slot = type == kOptionSourceLinkLayer ? out.source_mac : out.target_mac;
    if (!slot) slot = mac;  // a duplicate is ignored, as Linux does
  }
  return out;
}

void putLinkLayerOption(ByteWriter& w, std::uint8_t type, const MacAddress& mac) {
  w.u8(type);
  w.u8(1);
  w.bytes(mac.bytes());
}

}  // namespace

bool NeighborSolicitation::isDad() const {
  return source == IpAddress::v6({});
}

IpAddress allNodesAddress() {
  return IpAddress::v6({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01});
}

IpAddress solicitedNodeAddress(const IpAddress& address) {
  assert(address.isV6());
  const uint128 prefix =
      IpAddress::v6({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff}).toInteger();
  return IpAddress::fromInteger(IpFamily::V6, prefix | (address.toInteger() & 0xffffff));
}

bool isSolicitedNodeAddress(const IpAddress& address) {
  return address.isV6() &&
         (address.toInteger() >> 24) == (solicitedNodeAddress(IpAddress::v6({})).toInteger() >> 24);
}

MacAddress multicastMac(const IpAddress& group) {
  assert(group.isV6());
  const auto low = static_cast<std::uint32_t>(group.toInteger());
  return MacAddress({0x33, 0x33, static_cast<std::uint8_t>(low >> 24),
                     static_cast<std::uint8_t>(low >> 16), static_cast<std::uint8_t>(low >> 8),
                     static_cast<std::uint8_t>(low)});
}

std::uint16_t icmpv6Checksum(const IpAddress& source, const IpAddress& destination,
                             std::span<const std::uint8_t> message) {
  std::vector<std::uint8_t> pseudo;
  pseudo.reserve(40);
  ByteWriter w(pseudo);
  putIpv6(w, source);
  putIpv6(w, destination);
  w.u32(static_cast<std::uint32_t>(message.size()));
  w.zeros(3);
  w.u8(kNextHeaderIcmpv6);
  std::uint32_t sum = 0;
  addWords(sum, pseudo);
  addWords(sum, message);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

Result<std::optional<NdpMessage>> decodeNdpPacket(std::span<const std::uint8_t> ipv6_packet) {
  ByteReader header(ipv6_packet);
  const std::uint32_t version_class_flow = header.u32();
  const std::uint16_t payload_length = header.u16();
  std::uint8_t next_header = header.u8();
  const std::uint8_t hop_limit = header.u8();
  const IpAddress source = readIpv6(header);
  const IpAddress destination = readIpv6(header);
  if (!header.ok()) {
    return fail("IPv6 packet truncated: " + std::to_string(ipv6_packet.size()) +
                " bytes, the header needs 40");
  }
  if ((version_class_flow >> 28) != 6) {
    return fail("IPv6 header with version " + std::to_string(version_class_flow >> 28));
  }
  // A zero payload length announces a jumbogram (RFC 2675), which no Ethernet link carries.
  if (payload_length == 0) return fail("IPv6 payload length 0");
  if (header.remaining() < payload_length) {
    return fail("IPv6 packet truncated: payload length " + std::to_string(payload_length) +
                " but " + std::to_string(header.remaining()) + " bytes follow the header");
  }
  ByteReader payload(header.take(payload_length));

  // Extension headers (RFC 8200 section 4): walked, not interpreted. Each is at least 8 bytes
  // long and must fit in the payload, so the walk ends.
  for (bool first = true;; first = false) {
    if (next_header == kNextHeaderIcmpv6) break;
    if (next_header == kNextHeaderHopByHop && !first) {
      return fail("IPv6 Hop-by-Hop Options header not first (RFC 8200 section 4.1)");
    }
    if (next_header == kNextHeaderHopByHop || next_header == kNextHeaderRouting ||
        next_header == kNextHeaderDestinationOptions) {
      next_header = payload.u8();
      const std::size_t length = (std::size_t{payload.u8()} + 1) * 8;
      payload.skip(length - 2);
      if (!payload.ok()) return fail("IPv6 extension header runs past the payload");
      continue;
    }
    if (next_header == kNextHeaderFragment) {
      const std::uint8_t fragment_next = payload.u8();
      payload.skip(1);
      const std::uint16_t offset_flags = payload.u16();
      payload.skip(4);
      const std::uint8_t icmp_type = payload.u8();
      if (!payload.ok()) return fail("IPv6 fragment header truncated");
      const bool first_fragment = (offset_flags & 0xfff8) == 0;
      if (fragment_next == kNextHeaderIcmpv6 && first_fragment &&
          (icmp_type == kIcmpv6NeighborSolicitation || icmp_type == kIcmpv6NeighborAdvertisement)) {
        return fail("fragmented Neighbor Discovery message (RFC 6980 section 5)");
      }
      return std::optional<NdpMessage>{};
    }
    return std::optional<NdpMessage>{};  // another upper layer, ESP, AH, No Next Header...
  }

  const auto message = payload.rest();
  ByteReader in(message);
  const std::uint8_t type = in.u8();
  if (!in.ok()) return fail("ICMPv6 message truncated: 0 bytes");
  if (type != kIcmpv6NeighborSolicitation && type != kIcmpv6NeighborAdvertisement) {
    return std::optional<NdpMessage>{};
  }
  const char* name =
      type == kIcmpv6NeighborSolicitation ? "Neighbor Solicitation" : "Neighbor Advertisement";
  // RFC 4861 section 7.1.1 (NS) and 7.1.2 (NA): the validity checks, in the RFC's order.
  if (hop_limit != kNdpHopLimit) {
    return fail(std::string(name) + " with hop limit " + std::to_string(hop_limit) +
                " (must be 255: it may come from off-link)");
  }
  if (message.size() < kNdpMinimumLength) {
    return fail(std::string(name) + " truncated: " + std::to_string(message.size()) +
                " bytes, need 24");
  }
  if (icmpv6Checksum(source, destination, message) != 0) {
    return fail(std::string(name) + " with a bad ICMPv6 checksum");
  }
  const std::uint8_t code = in.u8();
  if (code != 0) return fail(std::string(name) + " with code " + std::to_string(code));
  in.skip(2);  // checksum, verified above
  const std::uint32_t flags = in.u32();
  const IpAddress target = readIpv6(in);
  if (isMulticast(target)) {
    return fail(std::string(name) + " for multicast target " + target.toString());
  }
  auto options = parseOptions(in.rest());
  if (!options) return fail(std::string(name) + ": " + options.error().message);

  if (type == kIcmpv6NeighborSolicitation) {
    NeighborSolicitation ns{source, destination, target, options->source_mac};
    if (ns.isDad()) {
      if (!isSolicitedNodeAddress(destination)) {
        return fail("duplicate address detection probe to " + destination.toString() +
                    ", not to a solicited-node address");
      }
      if (ns.source_mac) {
        return fail("duplicate address detection probe with a source link-layer address");
      }
    }
    return std::optional<NdpMessage>{ns};
  }
  NeighborAdvertisement na;
  na.source = source;
  na.destination = destination;
  na.target = target;
  na.router = (flags & kFlagRouter) != 0;
  na.solicited = (flags & kFlagSolicited) != 0;
  na.override_flag = (flags & kFlagOverride) != 0;
  na.target_mac = options->target_mac;
  if (isMulticast(destination) && na.solicited) {
    return fail("solicited Neighbor Advertisement sent to multicast " + destination.toString());
  }
  return std::optional<NdpMessage>{na};
}

std::vector<std::uint8_t> encodeNdpPacket(const NdpMessage& message) {
  const bool is_ns = std::holds_alternative<NeighborSolicitation>(message);
  std::vector<std::uint8_t> icmp;
  ByteWriter m(icmp);
  IpAddress source, destination;
  if (is_ns) {
    const auto& ns = std::get<NeighborSolicitation>(message);
    source = ns.source;
    destination = ns.destination;
    m.u8(kIcmpv6NeighborSolicitation);
    m.u8(0);
    m.u16(0);  // checksum, filled in below
    m.u32(0);  // reserved
    putIpv6(m, ns.target);
    if (ns.source_mac) putLinkLayerOption(m, kOptionSourceLinkLayer, *ns.source_mac);
  } else {
    const auto& na = std::get<NeighborAdvertisement>(message);
    source = na.source;
    destination = na.destination;
    m.u8(kIcmpv6NeighborAdvertisement);
    m.u8(0);
    m.u16(0);
    m.u32((na.router ? kFlagRouter : 0) | (na.solicited ? kFlagSolicited : 0) |
          (na.override_flag ? kFlagOverride : 0));
    putIpv6(m, na.target);
    if (na.target_mac) putLinkLayerOption(m, kOptionTargetLinkLayer, *na.target_mac);
  }
  const std::uint16_t checksum = icmpv6Checksum(source, destination, icmp);
  icmp[2] = static_cast<std::uint8_t>(checksum >> 8);
  icmp[3] = static_cast<std::uint8_t>(checksum);

  std::vector<std::uint8_t> packet;
  packet.reserve(kIpv6HeaderSize + icmp.size());
  ByteWriter w(packet);
  w.u32(0x60000000u);  // version 6, traffic class 0, flow label 0
  w.u16(static_cast<std::uint16_t>(icmp.size()));
  w.u8(kNextHeaderIcmpv6);
  w.u8(kNdpHopLimit);
  putIpv6(w, source);
  putIpv6(w, destination);
  w.bytes(icmp);
  return packet;
}

std::vector<std::uint8_t> ndpFrame(const NdpMessage& message, const MacAddress& destination,
                                   const MacAddress& source) {
  std::vector<std::uint8_t> frame;
  l2::appendEthernetHeader(frame, destination, source, l2::kEtherTypeIpv6);
  const auto packet = encodeNdpPacket(message);
  frame.insert(frame.end(), packet.begin(), packet.end());
  return frame;
}

std::vector<std::uint8_t> neighborAdvertisementFrame(const NeighborSolicitation& solicitation,
                                                     const MacAddress& solicitor_mac,
                                                     const MacAddress& our_mac) {
  NeighborAdvertisement na;
  na.source = solicitation.target;
  na.target = solicitation.target;
  na.override_flag = true;
  na.target_mac = our_mac;
  if (solicitation.isDad()) {
    // RFC 4861 section 7.2.4: the solicitor has no address yet, so answer everyone.
    na.destination = allNodesAddress();
    return ndpFrame(na, multicastMac(na.destination), our_mac);
  }
  na.destination = solicitation.source;
  na.solicited = true;
  return ndpFrame(na, solicitor_mac, our_mac);
}

std::vector<std::uint8_t> unsolicitedAdvertisementFrame(const IpAddress& target,
                                                        const MacAddress& our_mac) {
  NeighborAdvertisement na;
  na.source = target;
  na.destination = allNodesAddress();
  na.target = target;
  na.override_flag = true;
  na.target_mac = our_mac;
  return ndpFrame(na, multicastMac(na.destination), our_mac);
}

}  // namespace lbd::ndp
