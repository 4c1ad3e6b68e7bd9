// Fuzzes what lbd's ARP/NDP responders do with a received frame (any bytes a neighbour can put
// on the wire), and checks the answers: a reply decodes as valid ARP or NDP from our MAC and
// comes back as our own frame; only a conflict carries a conflict report; what decodes
// encodes back to the same value.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <span>
#include <variant>

#include "core/arp/arp_packet.h"
#include "core/l2/ethernet_frame.h"
#include "core/l2/neighbor_response.h"
#include "core/ndp/ndp_packet.h"

namespace {

using lbd::IpAddress;
using lbd::MacAddress;

void check(bool condition) {
  if (!condition) std::abort();
}

// The stations and addresses of tests/data/l2, whose captures are the seeds.
const MacAddress kMacs[] = {MacAddress({0x02, 0, 0, 0, 0x0a, 0x01}),
                            MacAddress({0x02, 0, 0, 0, 0x0b, 0x02}),
                            MacAddress({0x02, 0, 0, 0, 0x0c, 0x03})};

const std::set<IpAddress>& owned() {
  static const std::set<IpAddress> addresses{
      IpAddress::parse("192.0.2.1").value(), IpAddress::parse("192.0.2.2").value(),
      IpAddress::parse("2001:db8:1::1").value(), IpAddress::parse("2001:db8:1::2").value(),
      IpAddress::parse("2001:db8:1::11").value()};
  return addresses;
}

void roundTripArp(std::span<const std::uint8_t> bytes) {
  auto packet = lbd::arp::decodeArpPacket(bytes);
  if (!packet) return;
  std::vector<std::uint8_t> encoded;
  lbd::arp::encodeArpPacket(packet.value(), encoded);
  auto again = lbd::arp::decodeArpPacket(encoded);
  check(again.ok() && again.value() == packet.value());
}

void roundTripNdp(std::span<const std::uint8_t> bytes) {
  auto message = lbd::ndp::decodeNdpPacket(bytes);
  if (!message || !message.value()) return;
  auto again = lbd::ndp::decodeNdpPacket(lbd::ndp::encodeNdpPacket(*message.value()));
  check(again.ok() && again.value() && *again.value() == *message.value());
}

void checkReply(const std::vector<std::uint8_t>& reply, const MacAddress& mac) {
  auto ethernet = lbd::l2::decodeEthernetFrame(reply);
  check(ethernet.ok() && ethernet->source == mac && !ethernet->vlan_id);
  if (ethernet->ether_type == lbd::l2::kEtherTypeArp) {
    check(lbd::arp::decodeArpPacket(ethernet->payload).ok());
  } else {
    check(ethernet->ether_type == lbd::l2::kEtherTypeIpv6);
    auto ndp = lbd::ndp::decodeNdpPacket(ethernet->payload);
    check(ndp.ok() && ndp.value() &&
          std::holds_alternative<lbd::ndp::NeighborAdvertisement>(*ndp.value()));
  }
  check(lbd::l2::respondToFrame(reply, mac, owned()).verdict == lbd::l2::FrameVerdict::OwnFrame);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  roundTripArp(bytes);
  roundTripNdp(bytes);
  if (auto ethernet = lbd::l2::decodeEthernetFrame(bytes)) {
    roundTripArp(ethernet->payload);
    roundTripNdp(ethernet->payload);
  }
  for (const MacAddress& mac : kMacs) {
    const auto response = lbd::l2::respondToFrame(bytes, mac, owned());
    using lbd::l2::FrameVerdict;
    check(response.conflict.has_value() == (response.verdict == FrameVerdict::Conflict));
    if (response.conflict) check(owned().count(response.conflict->ip) != 0);
    const bool may_reply = response.verdict == FrameVerdict::RequestForOwned ||
                           response.verdict == FrameVerdict::Conflict;
    check(may_reply || response.reply.empty());
    check(response.verdict != FrameVerdict::RequestForOwned || !response.reply.empty());
    if (!response.reply.empty()) checkReply(response.reply, mac);
  }
  return 0;
}
