#include "core/l2/ethernet_frame.h"

#include <string>

#include "core/bytes.h"

namespace lbd::l2 {
namespace {

// Below 0x0600 the field is an 802.3 length, not an EtherType (IEEE 802.3 clause 3.2.6).
constexpr std::uint16_t kMinEtherType = 0x0600;

}  // namespace

Result<EthernetFrame> decodeEthernetFrame(std::span<const std::uint8_t> frame) {
  ByteReader in(frame);
  EthernetFrame out;
  const auto destination = in.take(MacAddress::kSize);
  const auto source = in.take(MacAddress::kSize);
  std::uint16_t type = in.u16();
  if (!in.ok()) {
    return fail("Ethernet frame truncated: " + std::to_string(frame.size()) +
                " bytes, the header needs 14");
  }
  out.destination = MacAddress::fromSpan(destination.first<MacAddress::kSize>());
  out.source = MacAddress::fromSpan(source.first<MacAddress::kSize>());
  // IEEE 802 source addresses are individual: a group bit here is forged or corrupt, and
  // answering it would send our reply to a whole multicast group.
  if (out.source.isMulticast()) {
    return fail("Ethernet source address " + out.source.toString() + " is a group address");
  }
  if (type == kEtherTypeVlan) {
    const std::uint16_t tci = in.u16();
    type = in.u16();
    if (!in.ok()) {
      return fail("Ethernet frame truncated: " + std::to_string(frame.size()) +
                  " bytes, an 802.1Q-tagged header needs 18");
    }
    out.vlan_id = static_cast<std::uint16_t>(tci & 0x0fff);
  }
  if (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
    return fail("Ethernet frame with stacked VLAN tags (only one 802.1Q tag is supported)");
  }
  if (type < kMinEtherType) {
    return fail("Ethernet frame is 802.3 with a length field (" + std::to_string(type) +
                "), not Ethernet II");
  }
  out.ether_type = type;
  out.payload = in.rest();
  return out;
}

void appendEthernetHeader(std::vector<std::uint8_t>& out, const MacAddress& destination,
                          const MacAddress& source, std::uint16_t ether_type) {
  ByteWriter w(out);
  w.bytes(destination.bytes());
  w.bytes(source.bytes());
  w.u16(ether_type);
}

}  // namespace lbd::l2
