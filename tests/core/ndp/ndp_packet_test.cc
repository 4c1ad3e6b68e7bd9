#include "core/ndp/ndp_packet.h"

#include <gtest/gtest.h>

#include "../../support/hex_bytes.h"
#include "../../support/pcap_file.h"
#include "core/l2/ethernet_frame.h"

namespace lbd::ndp {
namespace {

using testing::hexBytes;
using testing::l2Capture;
using Bytes = std::vector<std::uint8_t>;

const MacAddress kMacA = MacAddress::parse("02:00:00:00:0a:01").value();
const MacAddress kMacB = MacAddress::parse("02:00:00:00:0b:02").value();
const IpAddress kLinkLocalA = IpAddress::parse("fe80::ff:fe00:a01").value();
const IpAddress kIpA = IpAddress::parse("2001:db8:1::1").value();
const IpAddress kIpB = IpAddress::parse("2001:db8:1::2").value();

Bytes ipv6Of(const Bytes& frame) {
  return Bytes(frame.begin() + 14, frame.end());
}

// Recomputes the ICMPv6 checksum of a packet without extension headers after a test edits it,
// so the edit, not the checksum, is what the decoder sees.
void fixChecksum(Bytes& packet) {
  packet[42] = packet[43] = 0;
  std::array<std::uint8_t, 16> source{}, destination{};
  std::copy(packet.begin() + 8, packet.begin() + 24, source.begin());
  std::copy(packet.begin() + 24, packet.begin() + 40, destination.begin());
  const std::size_t length = (std::size_t{packet[4]} << 8) | packet[5];
  const auto sum = icmpv6Checksum(IpAddress::v6(source), IpAddress::v6(destination),
                                  std::span(packet).subspan(40, length));
  packet[42] = static_cast<std::uint8_t>(sum >> 8);
  packet[43] = static_cast<std::uint8_t>(sum);
}

NdpMessage decodeOk(std::span<const std::uint8_t> packet) {
  auto decoded = decodeNdpPacket(packet);
  EXPECT_TRUE(decoded) << decoded.error().message;
  if (!decoded) return NeighborSolicitation{};
  EXPECT_TRUE(decoded.value().has_value()) << "not NDP";
  return decoded.value().value_or(NeighborSolicitation{});
}

std::string decodeError(const Bytes& packet) {
  auto decoded = decodeNdpPacket(packet);
  EXPECT_FALSE(decoded) << "decoded a bad packet";
  return decoded ? "" : decoded.error().message;
}

// The multicast NS ndisc6 sent from A for B's address (tests/data/l2/ndp-ns-na.pcap).
Bytes capturedNs() {
  return ipv6Of(l2Capture("ndp-ns-na.pcap")[0]);
}

TEST(NdpPacket, DecodesCapturedSolicitationAndKernelAdvertisement) {
  const auto frames = l2Capture("ndp-ns-na.pcap");
  ASSERT_EQ(frames.size(), 2u);
  const auto ns = std::get<NeighborSolicitation>(decodeOk(ipv6Of(frames[0])));
  EXPECT_EQ(ns.source, kLinkLocalA);
  EXPECT_EQ(ns.destination, IpAddress::parse("ff02::1:ff00:2").value());
  EXPECT_EQ(ns.target, kIpB);
  EXPECT_EQ(ns.source_mac, kMacA);
  EXPECT_FALSE(ns.isDad());

  const auto na = std::get<NeighborAdvertisement>(decodeOk(ipv6Of(frames[1])));
  EXPECT_EQ(na.source, kIpB);
  EXPECT_EQ(na.destination, kLinkLocalA);
  EXPECT_EQ(na.target, kIpB);
  EXPECT_FALSE(na.router);
  EXPECT_TRUE(na.solicited);
  EXPECT_TRUE(na.override_flag);
  EXPECT_EQ(na.target_mac, kMacB);
}

TEST(NdpPacket, DecodesDadProbeWithNonceOption) {
  const auto frames = l2Capture("ndp-dad.pcap");
  ASSERT_EQ(frames.size(), 2u);
  const auto dad = std::get<NeighborSolicitation>(decodeOk(ipv6Of(frames[0])));
  EXPECT_TRUE(dad.isDad());
  EXPECT_EQ(dad.target, kIpA);
  EXPECT_EQ(dad.destination, solicitedNodeAddress(kIpA));
  EXPECT_FALSE(dad.source_mac);  // Linux's RFC 7527 nonce option (type 14) is skipped
  const auto defence = std::get<NeighborAdvertisement>(decodeOk(ipv6Of(frames[1])));
  EXPECT_EQ(defence.destination, allNodesAddress());
  EXPECT_FALSE(defence.solicited);
  EXPECT_TRUE(defence.override_flag);
}

TEST(NdpPacket, IpV6ThatIsNotNeighborDiscoveryIsNotAnError) {
  for (const char* file : {"ipv6-echo.pcap", "ipv6-mld-report.pcap"}) {
    for (const auto& frame : l2Capture(file)) {
      auto decoded = decodeNdpPacket(ipv6Of(frame));
      ASSERT_TRUE(decoded) << file << ": " << decoded.error().message;
      EXPECT_FALSE(decoded.value()) << file;
    }
  }
}

TEST(NdpPacket, EveryTruncationIsAnError) {
  for (const auto& frame : l2Capture("ndp-ns-na.pcap")) {
    const Bytes packet = ipv6Of(frame);
    for (std::size_t length = 0; length < packet.size(); ++length) {
      auto decoded = decodeNdpPacket(std::span(packet).first(length));
      ASSERT_FALSE(decoded) << length;
      EXPECT_NE(decoded.error().message.find("truncated"), std::string::npos)
          << length << ": " << decoded.error().message;
    }
  }
}

TEST(NdpPacket, PaddingAfterThePayloadIsIgnored) {
  Bytes padded = capturedNs();
  const auto plain = decodeOk(padded);
  padded.insert(padded.end(), 10, 0xee);
  EXPECT_EQ(decodeOk(padded), plain);
}

TEST(NdpPacket, BadChecksumIsAnError) {
  Bytes packet = capturedNs();
  packet[43] ^= 0x01;
  EXPECT_NE(decodeError(packet).find("checksum"), std::string::npos);
  packet = capturedNs();
  packet[63] ^= 0x01;  // last byte of the target: the checksum no longer matches
  EXPECT_NE(decodeError(packet).find("checksum"), std::string::npos);
}

// RFC 4861 section 7.1.1 and 7.1.2, one check at a time.
TEST(NdpPacket, ValidityChecksOfRfc4861) {
  Bytes packet = capturedNs();
  packet[7] = 254;  // hop limit: a router forwarded it (not covered by the checksum)
  EXPECT_NE(decodeError(packet).find("hop limit 254"), std::string::npos);
  packet[7] = 1;
  EXPECT_NE(decodeError(packet).find("hop limit 1"), std::string::npos);

  packet = capturedNs();
  packet[41] = 1;  // ICMPv6 code
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("code 1"), std::string::npos);

  packet = capturedNs();
  packet[65] = 0;  // option length 0
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("length 0"), std::string::npos);

  packet = capturedNs();
  packet[65] = 2;  // 16 bytes claimed, 8 present
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("runs past the end"), std::string::npos);

  packet = capturedNs();
  packet.insert(packet.end(), 8, 0);  // a 16-byte link-layer option: not Ethernet's size
  packet[5] = 40;
  packet[65] = 2;
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("Ethernet needs 8"), std::string::npos);

  packet = capturedNs();
  packet[48] = 0xff;  // target ff..: multicast
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("multicast target"), std::string::npos);

  packet = capturedNs();  // ICMPv6 length 20 < 24
  packet.resize(40 + 20);
  packet[5] = 20;
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("need 24"), std::string::npos);
}

TEST(NdpPacket, DadProbeRules) {
  const Bytes dad = ipv6Of(l2Capture("ndp-dad.pcap")[0]);
  Bytes packet = dad;
  packet[39] = 0x01;
  packet[38] = 0x00;
  packet[37] = 0x00;
  packet[36] = 0x00;
  packet[35] = 0x00;  // destination ff02::1:0:1: not a solicited-node address
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("not to a solicited-node address"), std::string::npos);

  packet = dad;
  packet[64] = 1;  // the nonce option becomes a source link-layer address option
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("with a source link-layer address"), std::string::npos);
}

TEST(NdpPacket, SolicitedAdvertisementToMulticastIsAnError) {
  Bytes packet = ipv6Of(l2Capture("ndp-unsolicited-na.pcap")[0]);  // to ff02::1
  packet[44] |= 0x40;                                              // S
  fixChecksum(packet);
  EXPECT_NE(decodeError(packet).find("solicited Neighbor Advertisement sent to multicast"),
            std::string::npos);
}

TEST(NdpPacket, HeaderErrors) {
  Bytes packet = capturedNs();
  packet[0] = 0x45;
  EXPECT_NE(decodeError(packet).find("version 4"), std::string::npos);
  packet = capturedNs();
  packet[4] = packet[5] = 0;
  EXPECT_NE(decodeError(packet).find("payload length 0"), std::string::npos);
}

// Inserts an 8-byte extension header of type `type` in front of the ICMPv6 message.
Bytes withExtensionHeader(Bytes packet, std::uint8_t type, const Bytes& header) {
  const std::uint8_t upper = packet[6];
  packet[6] = type;
  Bytes ext = header;
  ext[0] = upper;
  packet.insert(packet.begin() + 40, ext.begin(), ext.end());
  packet[5] = static_cast<std::uint8_t>(packet[5] + ext.size());
  return packet;
}

TEST(NdpPacket, ExtensionHeadersAreWalked) {
  const Bytes padn = hexBytes("00 00 01 04 00000000");  // next header filled in, PadN
  const Bytes hop_by_hop = withExtensionHeader(capturedNs(), 0, padn);
  EXPECT_EQ(decodeOk(hop_by_hop), decodeOk(capturedNs()));
  // Destination Options in front of Hop-by-Hop: RFC 8200 section 4.1 wants Hop-by-Hop first.
  const Bytes both = withExtensionHeader(hop_by_hop, 60, padn);
  EXPECT_NE(decodeError(both).find("Hop-by-Hop"), std::string::npos);
  const Bytes dest_then = withExtensionHeader(withExtensionHeader(capturedNs(), 60, padn), 0, padn);
  EXPECT_EQ(decodeOk(dest_then), decodeOk(capturedNs()));

  Bytes overrun = withExtensionHeader(capturedNs(), 60, padn);
  overrun[41] = 200;  // header length (200 + 1) * 8: past the payload
  EXPECT_NE(decodeError(overrun).find("extension header"), std::string::npos);

  // RFC 6980 section 5: fragmented NDP is invalid; a fragment of anything else is just not NDP.
  const Bytes fragment = hexBytes("00 00 0000 12345678");  // offset 0, identification
  EXPECT_NE(decodeError(withExtensionHeader(capturedNs(), 44, fragment)).find("RFC 6980"),
            std::string::npos);
  Bytes later_fragment = withExtensionHeader(capturedNs(), 44, fragment);
  later_fragment[43] = 0x08;  // offset 1
  auto decoded = decodeNdpPacket(later_fragment);
  ASSERT_TRUE(decoded);
  EXPECT_FALSE(decoded.value());
}

TEST(NdpPacket, ChecksumOfCapturedMessages) {
  for (const char* file : {"ndp-ns-na.pcap", "ndp-dad.pcap", "ndp-unicast-ns.pcap"}) {
    for (const auto& frame : l2Capture(file)) {
      Bytes packet = ipv6Of(frame);
      const std::size_t length = (std::size_t{packet[4]} << 8) | packet[5];
      std::array<std::uint8_t, 16> source{}, destination{};
      std::copy(packet.begin() + 8, packet.begin() + 24, source.begin());
      std::copy(packet.begin() + 24, packet.begin() + 40, destination.begin());
      const auto message = std::span(packet).subspan(40, length);
      EXPECT_EQ(icmpv6Checksum(IpAddress::v6(source), IpAddress::v6(destination), message), 0)
          << file;
      const std::uint16_t stored = static_cast<std::uint16_t>((packet[42] << 8) | packet[43]);
      packet[42] = packet[43] = 0;
      EXPECT_EQ(icmpv6Checksum(IpAddress::v6(source), IpAddress::v6(destination), message), stored)
          << file;
    }
  }
}

TEST(NdpPacket, RoundTrips) {
  // The kernel's packets have flow label 0 like ours: byte for byte.
  for (const char* file : {"ndp-dad.pcap", "ndp-unsolicited-na.pcap", "ndp-unicast-ns.pcap"}) {
    for (const auto& frame : l2Capture(file)) {
      const Bytes packet = ipv6Of(frame);
      const NdpMessage message = decodeOk(packet);
      if (file == std::string("ndp-dad.pcap") &&
          std::holds_alternative<NeighborSolicitation>(message))
        continue;  // the nonce option is not kept
      EXPECT_EQ(encodeNdpPacket(message), packet) << file;
    }
  }
  // ndisc6 sets a flow label; everything else survives.
  const NdpMessage ns = decodeOk(capturedNs());
  EXPECT_EQ(decodeOk(encodeNdpPacket(ns)), ns);
}

TEST(NdpPacket, MulticastAddresses) {
  EXPECT_EQ(allNodesAddress().toString(), "ff02::1");
  EXPECT_EQ(solicitedNodeAddress(kIpB).toString(), "ff02::1:ff00:2");
  // RFC 4291 section 2.7.1's example.
  EXPECT_EQ(solicitedNodeAddress(IpAddress::parse("4037::01:800:200e:8c6c").value()).toString(),
            "ff02::1:ff0e:8c6c");
  EXPECT_TRUE(isSolicitedNodeAddress(IpAddress::parse("ff02::1:ff0e:8c6c").value()));
  EXPECT_FALSE(isSolicitedNodeAddress(IpAddress::parse("ff02::1:fe0e:8c6c").value()));
  EXPECT_FALSE(isSolicitedNodeAddress(IpAddress::parse("ff02::1").value()));
  EXPECT_FALSE(isSolicitedNodeAddress(IpAddress::parse("255.2.0.0").value()));
  EXPECT_EQ(multicastMac(solicitedNodeAddress(kIpB)).toString(), "33:33:ff:00:00:02");
  EXPECT_EQ(multicastMac(allNodesAddress()).toString(), "33:33:00:00:00:01");
}

TEST(NdpPacket, AnswerToMulticastSolicitationIsTheKernelsByteForByte) {
  const auto frames = l2Capture("ndp-ns-na.pcap");
  const auto ns = std::get<NeighborSolicitation>(decodeOk(ipv6Of(frames[0])));
  EXPECT_EQ(neighborAdvertisementFrame(ns, *ns.source_mac, kMacB), frames[1]);
}

TEST(NdpPacket, DefenceAgainstDadIsTheKernelsByteForByte) {
  const auto frames = l2Capture("ndp-dad.pcap");
  const auto dad = std::get<NeighborSolicitation>(decodeOk(ipv6Of(frames[0])));
  EXPECT_EQ(neighborAdvertisementFrame(dad, kMacB, kMacA), frames[1]);
}

TEST(NdpPacket, UnsolicitedAdvertisementIsTheKernelsByteForByte) {
  const auto frames = l2Capture("ndp-unsolicited-na.pcap");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(unsolicitedAdvertisementFrame(IpAddress::parse("2001:db8:1::11").value(), kMacA),
            frames[0]);
}

TEST(NdpPacket, AnswerToUnicastSolicitationCarriesOverrideAndOurMac) {
  const auto frames = l2Capture("ndp-unicast-ns.pcap");
  ASSERT_EQ(frames.size(), 2u);
  const auto ns = std::get<NeighborSolicitation>(decodeOk(ipv6Of(frames[0])));
  EXPECT_EQ(ns.destination, kIpB);  // unicast: neighbour unreachability detection
  const auto ours = neighborAdvertisementFrame(ns, *ns.source_mac, kMacB);
  auto kernels = std::get<NeighborAdvertisement>(decodeOk(ipv6Of(frames[1])));
  // Linux answers a unicast NS without the option and with O = 0 (RFC 4861 7.2.4 allows it);
  // lbd always sends both, so a peer's entry is corrected whichever NS it answers.
  EXPECT_FALSE(kernels.override_flag);
  EXPECT_FALSE(kernels.target_mac);
  auto theirs_as_ours = kernels;
  theirs_as_ours.override_flag = true;
  theirs_as_ours.target_mac = kMacB;
  EXPECT_EQ(decodeOk(std::span(ours).subspan(14)), NdpMessage{theirs_as_ours});
  EXPECT_EQ(Bytes(ours.begin(), ours.begin() + 14),
            Bytes(frames[1].begin(), frames[1].begin() + 14));
}

}  // namespace
}  // namespace lbd::ndp
