#include "core/arp/arp_packet.h"

#include <gtest/gtest.h>

#include "../../support/hex_bytes.h"
#include "../../support/pcap_file.h"
#include "core/l2/ethernet_frame.h"

namespace lbd::arp {
namespace {

using testing::hexBytes;
using testing::l2Capture;

const MacAddress kMacA = MacAddress::parse("02:00:00:00:0a:01").value();
const MacAddress kMacB = MacAddress::parse("02:00:00:00:0b:02").value();
const IpAddress kIpA = IpAddress::parse("192.0.2.1").value();
const IpAddress kIpB = IpAddress::parse("192.0.2.2").value();

std::span<const std::uint8_t> arpPayload(const std::vector<std::uint8_t>& frame) {
  return std::span(frame).subspan(l2::kEthernetHeaderSize);
}

ArpPacket decodeFrame(const std::vector<std::uint8_t>& frame) {
  auto decoded = decodeArpPacket(arpPayload(frame));
  EXPECT_TRUE(decoded) << decoded.error().message;
  return decoded.ok() ? decoded.value() : ArpPacket{};
}

// Hand-written from RFC 826's layout: a request who-has 192.0.2.2 tell 192.0.2.1.
const char* kRequestHex =
    "0001 0800 06 04 0001"
    "02000000 0a01 c0000201"
    "00000000 0000 c0000202";

TEST(ArpPacket, DecodesByteFixture) {
  const auto bytes = hexBytes(kRequestHex);
  auto decoded = decodeArpPacket(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->operation, ArpOperation::Request);
  EXPECT_EQ(decoded->sender_mac, kMacA);
  EXPECT_EQ(decoded->sender_ip, kIpA);
  EXPECT_TRUE(decoded->target_mac.isZero());
  EXPECT_EQ(decoded->target_ip, kIpB);
  EXPECT_FALSE(decoded->isProbe());
  EXPECT_FALSE(decoded->isAnnouncement());
}

TEST(ArpPacket, DecodesCapturedRequestAndKernelReply) {
  const auto frames = l2Capture("arp-request-reply.pcap");
  ASSERT_EQ(frames.size(), 2u);
  const ArpPacket request = decodeFrame(frames[0]);
  EXPECT_EQ(request.operation, ArpOperation::Request);
  EXPECT_EQ(request.sender_mac, kMacA);
  EXPECT_EQ(request.sender_ip, kIpA);
  EXPECT_EQ(request.target_ip, kIpB);
  const ArpPacket reply = decodeFrame(frames[1]);
  EXPECT_EQ(reply.operation, ArpOperation::Reply);
  EXPECT_EQ(reply.sender_mac, kMacB);
  EXPECT_EQ(reply.sender_ip, kIpB);
  EXPECT_EQ(reply.target_mac, kMacA);
  EXPECT_EQ(reply.target_ip, kIpA);
}

TEST(ArpPacket, EveryTruncationIsAnErrorAndPaddingIsIgnored) {
  const auto bytes = hexBytes(kRequestHex);
  ASSERT_EQ(bytes.size(), kArpPacketSize);
  for (std::size_t length = 0; length < kArpPacketSize; ++length) {
    auto decoded = decodeArpPacket(std::span(bytes).first(length));
    ASSERT_FALSE(decoded) << length;
    EXPECT_NE(decoded.error().message.find("truncated"), std::string::npos)
        << length << ": " << decoded.error().message;
  }
  auto padded = bytes;
  padded.resize(46, 0);  // a 60-byte Ethernet frame's worth of payload
  EXPECT_EQ(decodeArpPacket(padded).value(), decodeArpPacket(bytes).value());
}

TEST(ArpPacket, OnlyEthernetIpv4RequestAndReply) {
  struct Case {
    std::size_t offset;
    std::vector<std::uint8_t> value;
    const char* message;
  };
  const Case cases[] = {
      {0, {0x00, 0x06}, "hardware type 6 is not Ethernet"},  // IEEE 802 networks
      {2, {0x86, 0xdd}, "protocol type 34525 is not IPv4"},
      {4, {0x08}, "address lengths 8/4"},
      {5, {0x10}, "address lengths 6/16"},
      {6, {0x00, 0x03}, "operation 3"},  // RARP request
      {6, {0x00, 0x00}, "operation 0"},
  };
  for (const auto& c : cases) {
    auto bytes = hexBytes(kRequestHex);
    std::copy(c.value.begin(), c.value.end(),
              bytes.begin() + static_cast<std::ptrdiff_t>(c.offset));
    auto decoded = decodeArpPacket(bytes);
    ASSERT_FALSE(decoded) << c.message;
    EXPECT_NE(decoded.error().message.find(c.message), std::string::npos)
        << decoded.error().message;
  }
  // A short ARP for another medium is named for what it is, not just "truncated".
  auto other_medium = hexBytes("0006 0800 06");
  EXPECT_NE(decodeArpPacket(other_medium).error().message.find("not Ethernet"), std::string::npos);
}

TEST(ArpPacket, RoundTripsEveryCapturedPacket) {
  for (const char* file : {"arp-request-reply.pcap", "arp-gratuitous-request.pcap",
                           "arp-gratuitous-reply.pcap", "arp-probe.pcap"}) {
    for (const auto& frame : l2Capture(file)) {
      const ArpPacket packet = decodeFrame(frame);
      std::vector<std::uint8_t> encoded;
      encodeArpPacket(packet, encoded);
      const auto original = arpPayload(frame).first(kArpPacketSize);
      EXPECT_TRUE(std::equal(encoded.begin(), encoded.end(), original.begin(), original.end()))
          << file;
    }
  }
}

TEST(ArpPacket, ReplyIsTheKernelsReplyByteForByte) {
  const auto frames = l2Capture("arp-request-reply.pcap");
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(arpReplyFrame(decodeFrame(frames[0]), kMacB), frames[1]);
}

TEST(ArpPacket, ProbeIsRecognisedAndAnsweredLikeTheKernel) {
  const auto frames = l2Capture("arp-probe.pcap");
  ASSERT_EQ(frames.size(), 2u);
  const ArpPacket probe = decodeFrame(frames[0]);
  EXPECT_TRUE(probe.isProbe());
  EXPECT_FALSE(probe.isAnnouncement());
  EXPECT_EQ(probe.sender_ip, IpAddress::v4(0));
  // RFC 5227 2.1.1: the defence is a reply to 0.0.0.0 at the prober's MAC.
  EXPECT_EQ(arpReplyFrame(probe, kMacB), frames[1]);
  EXPECT_EQ(decodeFrame(frames[1]).target_ip, IpAddress::v4(0));
}

TEST(ArpPacket, GratuitousIsAnRfc5227AnnouncementInRequestForm) {
  const auto frame = gratuitousArpFrame(kIpA, kMacA);
  const auto decoded = l2::decodeEthernetFrame(frame);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->destination, MacAddress::broadcast());
  EXPECT_EQ(decoded->source, kMacA);
  EXPECT_EQ(decoded->ether_type, l2::kEtherTypeArp);
  const ArpPacket packet = decodeFrame(frame);
  EXPECT_EQ(packet.operation, ArpOperation::Request);
  EXPECT_TRUE(packet.isAnnouncement());
  EXPECT_TRUE(packet.target_mac.isZero());  // RFC 5227 2.3: zero, ignored by receivers

  // iputils `arping -U` differs only in the target hardware address (it puts broadcast there).
  const auto captured = l2Capture("arp-gratuitous-request.pcap");
  ASSERT_EQ(captured.size(), 1u);
  ArpPacket theirs = decodeFrame(captured[0]);
  EXPECT_TRUE(theirs.isAnnouncement());
  EXPECT_EQ(theirs.target_mac, MacAddress::broadcast());
  theirs.target_mac = MacAddress();
  EXPECT_EQ(theirs, packet);
  EXPECT_TRUE(decodeFrame(l2Capture("arp-gratuitous-reply.pcap")[0]).isAnnouncement());
}

}  // namespace
}  // namespace lbd::arp
