#include "core/l2/neighbor_response.h"

#include <variant>

#include "core/arp/arp_packet.h"
#include "core/l2/ethernet_frame.h"
#include "core/ndp/ndp_packet.h"

namespace lbd::l2 {
namespace {

NeighborResponse verdict(FrameVerdict verdict, std::string detail = {}) {
  NeighborResponse out;
  out.verdict = verdict;
  out.detail = std::move(detail);
  return out;
}

// A claim on `ip` by `mac` becomes the verdict unless the frame also asked for an owned
// address, in which case the reply built so far is kept alongside.
NeighborResponse withConflict(NeighborResponse response, const IpAddress& ip,
                              const MacAddress& mac) {
  response.verdict = FrameVerdict::Conflict;
  response.conflict = AddressConflict{ip, mac};
  return response;
}

NeighborResponse respondToArp(const EthernetFrame& ethernet, const MacAddress& interface_mac,
                              const std::set<IpAddress>& owned) {
  auto decoded = arp::decodeArpPacket(ethernet.payload);
  if (!decoded) return verdict(FrameVerdict::Malformed, decoded.error().message);
  const arp::ArpPacket& arp = decoded.value();
  // A group sender address cannot be a station, and a reply to it would reach a whole group.
  if (arp.sender_mac.isMulticast()) {
    return verdict(FrameVerdict::Malformed, "ARP sender hardware address " +
                                                arp.sender_mac.toString() + " is a group address");
  }
  // Our own hardware address relayed by someone else (a bridge hairpin, a proxy).
  if (arp.sender_mac == interface_mac) return verdict(FrameVerdict::OwnFrame);

  NeighborResponse response;
  const bool request = arp.operation == arp::ArpOperation::Request;
  if (request && owned.count(arp.target_ip) != 0 && !arp.isAnnouncement()) {
    response.verdict = FrameVerdict::RequestForOwned;
    response.reply = arp::arpReplyFrame(arp, interface_mac);
  } else if (request) {
    response.verdict = FrameVerdict::RequestForOther;
  } else {
    response.verdict = FrameVerdict::Ignored;
    response.detail = "ARP reply about an address we do not own";
  }
  // RFC 5227 section 2.4: any ARP packet whose sender IP is ours and whose sender hardware
  // address is not is a conflict (a probe's sender IP 0.0.0.0 is never owned).
  if (owned.count(arp.sender_ip) != 0) {
    return withConflict(std::move(response), arp.sender_ip, arp.sender_mac);
  }
  return response;
}

NeighborResponse respondToSolicitation(const ndp::NeighborSolicitation& ns,
                                       const EthernetFrame& ethernet,
                                       const MacAddress& interface_mac,
                                       const std::set<IpAddress>& owned) {
  // An IPv6 source is never multicast (RFC 4291 section 2.7); our answer would go to a group
  // with S = 1, which RFC 4861 section 7.1.2 forbids.
  if (ns.source.toInteger() >> 120 == 0xff) {
    return verdict(FrameVerdict::Malformed,
                   "Neighbor Solicitation from multicast source " + ns.source.toString());
  }
  if (ns.source_mac && ns.source_mac->isMulticast()) {
    return verdict(
        FrameVerdict::Malformed,
        "Neighbor Solicitation with group source link-layer address " + ns.source_mac->toString());
  }
  if (ns.source_mac == interface_mac) return verdict(FrameVerdict::OwnFrame);

  NeighborResponse response;
  if (owned.count(ns.target) == 0) {
    response.verdict = FrameVerdict::RequestForOther;
  } else if (ns.destination != ns.target &&
             ns.destination != ndp::solicitedNodeAddress(ns.target)) {
    // Not addressed to the target's group or to the target itself: the IP layer of a host
    // owning the target would not have accepted it either.
    return verdict(FrameVerdict::Ignored, "Neighbor Solicitation for " + ns.target.toString() +
                                              " sent to " + ns.destination.toString());
  } else {
    response.verdict = FrameVerdict::RequestForOwned;
    // The option is the solicitor's own statement; a unicast NS may omit it (RFC 4861
    // section 4.3), and then the frame's source is where it came from.
    response.reply =
        ndp::neighborAdvertisementFrame(ns, ns.source_mac.value_or(ethernet.source), interface_mac);
  }
  if (!ns.isDad() && owned.count(ns.source) != 0) {
    return withConflict(std::move(response), ns.source, ns.source_mac.value_or(ethernet.source));
  }
  return response;
}

NeighborResponse respondToAdvertisement(const ndp::NeighborAdvertisement& na,
                                        const EthernetFrame& ethernet,
                                        const MacAddress& interface_mac,
                                        const std::set<IpAddress>& owned) {
  if (owned.count(na.target) == 0) {
    return verdict(FrameVerdict::Ignored, "Neighbor Advertisement about an address we do not own");
  }
  const MacAddress claimed = na.target_mac.value_or(ethernet.source);
  if (claimed == interface_mac) return verdict(FrameVerdict::OwnFrame);
  return withConflict(verdict(FrameVerdict::Ignored), na.target, claimed);
}

NeighborResponse respondToIpv6(const EthernetFrame& ethernet, const MacAddress& interface_mac,
                               const std::set<IpAddress>& owned) {
  auto decoded = ndp::decodeNdpPacket(ethernet.payload);
  if (!decoded) return verdict(FrameVerdict::Malformed, decoded.error().message);
  if (!decoded.value()) return verdict(FrameVerdict::Ignored, "IPv6 but not NS or NA");
  const ndp::NdpMessage& message = *decoded.value();
  if (const auto* ns = std::get_if<ndp::NeighborSolicitation>(&message)) {
    return respondToSolicitation(*ns, ethernet, interface_mac, owned);
  }
  return respondToAdvertisement(std::get<ndp::NeighborAdvertisement>(message), ethernet,
                                interface_mac, owned);
}

}  // namespace

std::string_view toString(FrameVerdict verdict) {
  switch (verdict) {
    case FrameVerdict::RequestForOwned:
      return "request-for-owned";
    case FrameVerdict::RequestForOther:
      return "request-for-other";
    case FrameVerdict::Conflict:
      return "conflict";
    case FrameVerdict::OwnFrame:
      return "own-frame";
    case FrameVerdict::Malformed:
      return "malformed";
    case FrameVerdict::Ignored:
      return "ignored";
  }
  return "unknown";
}

NeighborResponse respondToFrame(std::span<const std::uint8_t> frame,
                                const MacAddress& interface_mac, const std::set<IpAddress>& owned) {
  auto decoded = decodeEthernetFrame(frame);
  if (!decoded) return verdict(FrameVerdict::Malformed, decoded.error().message);
  const EthernetFrame& ethernet = decoded.value();
  if (ethernet.source == interface_mac) return verdict(FrameVerdict::OwnFrame);
  if (ethernet.vlan_id.value_or(0) != 0) {
    return verdict(FrameVerdict::Ignored, "tagged for VLAN " + std::to_string(*ethernet.vlan_id) +
                                              " (answered on that VLAN's interface)");
  }
  if (ethernet.destination != interface_mac && !ethernet.destination.isMulticast()) {
    return verdict(FrameVerdict::Ignored, "addressed to " + ethernet.destination.toString());
  }
  switch (ethernet.ether_type) {
    case kEtherTypeArp:
      return respondToArp(ethernet, interface_mac, owned);
    case kEtherTypeIpv6:
      return respondToIpv6(ethernet, interface_mac, owned);
    default:
      return verdict(FrameVerdict::Ignored, "EtherType " + std::to_string(ethernet.ether_type));
  }
}

}  // namespace lbd::l2
