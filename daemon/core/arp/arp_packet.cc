#include "core/arp/arp_packet.h"

#include <cassert>
#include <string>

#include "core/bytes.h"
#include "core/l2/ethernet_frame.h"

namespace lbd::arp {
namespace {

// RFC 826 field values for Ethernet / IPv4 (IANA ARP parameters).
constexpr std::uint16_t kHardwareEthernet = 1;
constexpr std::uint16_t kProtocolIpv4 = l2::kEtherTypeIpv4;

void putIpv4(ByteWriter& w, const IpAddress& ip) {
  assert(ip.isV4());
  w.u32(static_cast<std::uint32_t>(ip.toInteger()));
}

}  // namespace

bool ArpPacket::isProbe() const {
  return operation == ArpOperation::Request && sender_ip == IpAddress::v4(0);
}

bool ArpPacket::isAnnouncement() const {
  return sender_ip == target_ip && sender_ip != IpAddress::v4(0);
}

Result<ArpPacket> decodeArpPacket(std::span<const std::uint8_t> payload) {
  ByteReader in(payload);
  const std::uint16_t hardware = in.u16();
  const std::uint16_t protocol = in.u16();
  const std::uint8_t hardware_length = in.u8();
  const std::uint8_t protocol_length = in.u8();
  const std::uint16_t operation = in.u16();
  const auto sender_mac = in.take(MacAddress::kSize);
  const std::uint32_t sender_ip = in.u32();
  const auto target_mac = in.take(MacAddress::kSize);
  const std::uint32_t target_ip = in.u32();
  // The type and length fields come first so an ARP for another medium or protocol is named
  // as such even when it is shorter than ours.
  if (payload.size() >= 2 && hardware != kHardwareEthernet) {
    return fail("ARP hardware type " + std::to_string(hardware) + " is not Ethernet (1)");
  }
  if (payload.size() >= 4 && protocol != kProtocolIpv4) {
    return fail("ARP protocol type " + std::to_string(protocol) + " is not IPv4 (2048)");
  }
  if (payload.size() >= 6 && (hardware_length != MacAddress::kSize || protocol_length != 4)) {
    return fail("ARP address lengths " + std::to_string(hardware_length) + "/" +
                std::to_string(protocol_length) + " are not Ethernet/IPv4 (6/4)");
  }
  if (!in.ok()) {
    return fail("ARP packet truncated: " + std::to_string(payload.size()) + " bytes, need " +
                std::to_string(kArpPacketSize));
  }
  if (operation != static_cast<std::uint16_t>(ArpOperation::Request) &&
      operation != static_cast<std::uint16_t>(ArpOperation::Reply)) {
    return fail("ARP operation " + std::to_string(operation) + " is neither request nor reply");
  }
  ArpPacket packet;
  packet.operation = static_cast<ArpOperation>(operation);
  packet.sender_mac = MacAddress::fromSpan(sender_mac.first<MacAddress::kSize>());
  packet.sender_ip = IpAddress::v4(sender_ip);
  packet.target_mac = MacAddress::fromSpan(target_mac.first<MacAddress::kSize>());
  packet.target_ip = IpAddress::v4(target_ip);
  return packet;
}

void encodeArpPacket(const ArpPacket& packet, std::vector<std::uint8_t>& out) {
  ByteWriter w(out);
  w.u16(kHardwareEthernet);
  w.u16(kProtocolIpv4);
  w.u8(MacAddress::kSize);
  w.u8(4);
  w.u16(static_cast<std::uint16_t>(packet.operation));
  w.bytes(packet.sender_mac.bytes());
  putIpv4(w, packet.sender_ip);
  w.bytes(packet.target_mac.bytes());
  putIpv4(w, packet.target_ip);
}

std::vector<std::uint8_t> arpReplyFrame(const ArpPacket& request, const MacAddress& our_mac) {
  ArpPacket reply;
  reply.operation = ArpOperation::Reply;
  reply.sender_mac = our_mac;
  reply.sender_ip = request.target_ip;
  reply.target_mac = request.sender_mac;
  reply.target_ip = request.sender_ip;
  std::vector<std::uint8_t> frame;
  frame.reserve(l2::kEthernetHeaderSize + kArpPacketSize);
  l2::appendEthernetHeader(frame, request.sender_mac, our_mac, l2::kEtherTypeArp);
  encodeArpPacket(reply, frame);
  return frame;
}

std::vector<std::uint8_t> gratuitousArpFrame(const IpAddress& ip, const MacAddress& our_mac) {
  ArpPacket announcement;
  announcement.operation = ArpOperation::Request;
  announcement.sender_mac = our_mac;
  announcement.sender_ip = ip;
  announcement.target_ip = ip;
  std::vector<std::uint8_t> frame;
  frame.reserve(l2::kEthernetHeaderSize + kArpPacketSize);
  l2::appendEthernetHeader(frame, MacAddress::broadcast(), our_mac, l2::kEtherTypeArp);
  encodeArpPacket(announcement, frame);
  return frame;
}

}  // namespace lbd::arp
