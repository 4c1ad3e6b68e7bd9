#include "core/l2/ethernet_frame.h"

#include <gtest/gtest.h>

#include "../../support/hex_bytes.h"
#include "../../support/pcap_file.h"

namespace lbd::l2 {
namespace {

using testing::hexBytes;

// arping's broadcast request from tests/data/l2/arp-request-reply.pcap.
std::vector<std::uint8_t> arpRequest() {
  return testing::l2Capture("arp-request-reply.pcap")[0];
}

TEST(EthernetFrame, DecodesCapturedArpRequest) {
  const auto frame = arpRequest();
  auto decoded = decodeEthernetFrame(frame);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->destination, MacAddress::broadcast());
  EXPECT_EQ(decoded->source.toString(), "02:00:00:00:0a:01");
  EXPECT_EQ(decoded->ether_type, kEtherTypeArp);
  EXPECT_FALSE(decoded->vlan_id);
  EXPECT_EQ(decoded->payload.size(), frame.size() - 14);
  EXPECT_EQ(decoded->payload.data(), frame.data() + 14);  // a view, not a copy
}

TEST(EthernetFrame, EveryTruncatedHeaderIsAnError) {
  const auto frame = arpRequest();
  for (std::size_t length = 0; length < kEthernetHeaderSize; ++length) {
    auto decoded = decodeEthernetFrame(std::span(frame).first(length));
    ASSERT_FALSE(decoded) << length;
    EXPECT_NE(decoded.error().message.find("truncated"), std::string::npos) << length;
  }
  auto header_only = decodeEthernetFrame(std::span(frame).first(kEthernetHeaderSize));
  ASSERT_TRUE(header_only);
  EXPECT_TRUE(header_only->payload.empty());
}

TEST(EthernetFrame, OneVlanTagIsDecoded) {
  auto frame = arpRequest();
  const auto tag = hexBytes("81 00 a0 64");  // PCP 5, VID 100
  frame.insert(frame.begin() + 12, tag.begin(), tag.end());
  auto decoded = decodeEthernetFrame(frame);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->vlan_id, 100);
  EXPECT_EQ(decoded->ether_type, kEtherTypeArp);
  EXPECT_EQ(decoded->payload.size(), frame.size() - 18);
  for (std::size_t length = 14; length < 18; ++length) {
    auto truncated = decodeEthernetFrame(std::span(frame).first(length));
    ASSERT_FALSE(truncated) << length;
    EXPECT_NE(truncated.error().message.find("802.1Q"), std::string::npos);
  }
}

TEST(EthernetFrame, RejectsStackedTags802_3AndGroupSources) {
  auto stacked = arpRequest();
  const auto tags = hexBytes("88 a8 00 0a 81 00 00 64");
  stacked.insert(stacked.begin() + 12, tags.begin() + 4, tags.end());  // 802.1Q in 802.1Q
  stacked.insert(stacked.begin() + 12, tags.begin() + 4, tags.end());
  EXPECT_FALSE(decodeEthernetFrame(stacked));
  auto qinq = arpRequest();
  qinq.insert(qinq.begin() + 12, tags.begin(), tags.end());  // 802.1ad then 802.1Q
  EXPECT_FALSE(decodeEthernetFrame(qinq));

  auto length_field = arpRequest();
  length_field[12] = 0x00;
  length_field[13] = 0x2e;  // 802.3: a length of 46, not an EtherType
  auto decoded = decodeEthernetFrame(length_field);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("802.3"), std::string::npos);

  auto group_source = arpRequest();
  group_source[6] |= 0x01;
  decoded = decodeEthernetFrame(group_source);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("group address"), std::string::npos);
}

TEST(EthernetFrame, AppendsHeader) {
  std::vector<std::uint8_t> out{0xee};
  appendEthernetHeader(out, MacAddress::broadcast(), MacAddress::parse("02:00:00:00:0a:01").value(),
                       kEtherTypeIpv6);
  EXPECT_EQ(out, hexBytes("ee ffffffffffff 02000000 0a01 86dd"));
}

}  // namespace
}  // namespace lbd::l2
