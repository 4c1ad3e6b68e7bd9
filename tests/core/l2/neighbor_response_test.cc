#include "core/l2/neighbor_response.h"

#include <gtest/gtest.h>

#include "../../support/hex_bytes.h"
#include "../../support/pcap_file.h"
#include "core/arp/arp_packet.h"
#include "core/l2/ethernet_frame.h"
#include "core/ndp/ndp_packet.h"

namespace lbd::l2 {
namespace {

using testing::l2Capture;
using Bytes = std::vector<std::uint8_t>;

// The lab of tests/data/l2: A asks, B answers. In these tests lbd plays B (or A).
const MacAddress kMacA = MacAddress::parse("02:00:00:00:0a:01").value();
const MacAddress kMacB = MacAddress::parse("02:00:00:00:0b:02").value();
const MacAddress kMacC = MacAddress::parse("02:00:00:00:0c:03").value();
IpAddress ip(const char* text) {
  return IpAddress::parse(text).value();
}
const std::set<IpAddress> kOwnedByB{ip("192.0.2.2"), ip("2001:db8:1::2")};

// The lab station a captured frame was meant for: its unicast destination, or for a multicast
// the station that did not send it.
MacAddress receiverOf(const Bytes& frame) {
  const auto ethernet = decodeEthernetFrame(frame);
  if (!ethernet) return kMacC;
  if (!ethernet->destination.isMulticast()) return ethernet->destination;
  return ethernet->source == kMacA ? kMacB : kMacA;
}

Bytes capture(const char* file, std::size_t index) {
  const auto frames = l2Capture(file);
  EXPECT_GT(frames.size(), index) << file;
  return frames.size() > index ? frames[index] : Bytes{};
}

TEST(NeighborResponse, AnswersArpRequestForOwnedLikeTheKernel) {
  const auto response = respondToFrame(capture("arp-request-reply.pcap", 0), kMacB, kOwnedByB);
  EXPECT_EQ(response.verdict, FrameVerdict::RequestForOwned);
  EXPECT_EQ(response.reply, capture("arp-request-reply.pcap", 1));
  EXPECT_FALSE(response.conflict);
}

TEST(NeighborResponse, DoesNotAnswerForOthers) {
  const std::set<IpAddress> owned{ip("192.0.2.99"), ip("2001:db8:1::99")};
  for (const auto& [file, index] : {std::pair{"arp-request-reply.pcap", 0},
                                    {"arp-probe.pcap", 0},
                                    {"ndp-ns-na.pcap", 0},
                                    {"ndp-unicast-ns.pcap", 0},
                                    {"ndp-dad.pcap", 0}}) {
    const auto frame = capture(file, index);
    const auto response = respondToFrame(frame, receiverOf(frame), owned);
    EXPECT_EQ(response.verdict, FrameVerdict::RequestForOther) << file;
    EXPECT_TRUE(response.reply.empty()) << file;
  }
  EXPECT_EQ(respondToFrame(capture("arp-request-reply.pcap", 0), kMacB, {}).verdict,
            FrameVerdict::RequestForOther);
}

TEST(NeighborResponse, AnswersMulticastSolicitationLikeTheKernel) {
  const auto response = respondToFrame(capture("ndp-ns-na.pcap", 0), kMacB, kOwnedByB);
  EXPECT_EQ(response.verdict, FrameVerdict::RequestForOwned);
  EXPECT_EQ(response.reply, capture("ndp-ns-na.pcap", 1));
}

TEST(NeighborResponse, AnswersUnicastSolicitation) {
  const auto response = respondToFrame(capture("ndp-unicast-ns.pcap", 0), kMacB, kOwnedByB);
  ASSERT_EQ(response.verdict, FrameVerdict::RequestForOwned);
  const auto ethernet = decodeEthernetFrame(response.reply);
  ASSERT_TRUE(ethernet);
  EXPECT_EQ(ethernet->destination, kMacA);
  EXPECT_EQ(ethernet->source, kMacB);
  const auto na =
      std::get<ndp::NeighborAdvertisement>(*ndp::decodeNdpPacket(ethernet->payload).value());
  EXPECT_EQ(na.source, ip("2001:db8:1::2"));
  EXPECT_EQ(na.destination, ip("fe80::ff:fe00:a01"));
  EXPECT_TRUE(na.solicited);
  EXPECT_TRUE(na.override_flag);
  EXPECT_EQ(na.target_mac, kMacB);
}

TEST(NeighborResponse, UnicastSolicitationWithoutSourceOptionIsAnsweredToTheFrameSource) {
  ndp::NeighborSolicitation ns;
  ns.source = ip("2001:db8:1::1");
  ns.destination = ip("2001:db8:1::2");
  ns.target = ip("2001:db8:1::2");
  const auto frame = ndp::ndpFrame(ns, kMacB, kMacC);
  const auto response = respondToFrame(frame, kMacB, kOwnedByB);
  ASSERT_EQ(response.verdict, FrameVerdict::RequestForOwned);
  EXPECT_EQ(decodeEthernetFrame(response.reply)->destination, kMacC);
}

TEST(NeighborResponse, DefendsOwnedAddressesAgainstProbes) {
  // RFC 5227 ARP probe: the reply is the kernel's.
  auto response = respondToFrame(capture("arp-probe.pcap", 0), kMacB, kOwnedByB);
  EXPECT_EQ(response.verdict, FrameVerdict::RequestForOwned);
  EXPECT_EQ(response.reply, capture("arp-probe.pcap", 1));
  // DAD NS from B for A's address: lbd as A answers like A's kernel did.
  response = respondToFrame(capture("ndp-dad.pcap", 0), kMacA, {ip("2001:db8:1::1")});
  EXPECT_EQ(response.verdict, FrameVerdict::RequestForOwned);
  EXPECT_EQ(response.reply, capture("ndp-dad.pcap", 1));
  EXPECT_FALSE(response.conflict);  // probing is not claiming
}

TEST(NeighborResponse, ReportsAnotherStationAnnouncingOurAddress) {
  const std::set<IpAddress> owned{ip("192.0.2.1"), ip("2001:db8:1::2"), ip("2001:db8:1::11")};
  struct Case {
    const char* file;
    std::size_t index;
    MacAddress our_mac;  // where a unicast frame was sent, or a third station
    IpAddress ip;
    MacAddress mac;
  };
  const Case cases[] = {
      {"arp-gratuitous-request.pcap", 0, kMacC, ip("192.0.2.1"), kMacA},
      {"arp-gratuitous-reply.pcap", 0, kMacC, ip("192.0.2.1"), kMacA},
      {"arp-request-reply.pcap", 0, kMacC, ip("192.0.2.1"), kMacA},  // a request from "our" IP
      {"ndp-ns-na.pcap", 1, kMacA, ip("2001:db8:1::2"), kMacB},      // B's kernel answers for it
      {"ndp-unsolicited-na.pcap", 0, kMacC, ip("2001:db8:1::11"), kMacA},
  };
  for (const auto& c : cases) {
    const auto response = respondToFrame(capture(c.file, c.index), c.our_mac, owned);
    EXPECT_EQ(response.verdict, FrameVerdict::Conflict) << c.file;
    EXPECT_EQ(response.conflict, (AddressConflict{c.ip, c.mac})) << c.file;
    EXPECT_TRUE(response.reply.empty()) << c.file;  // an announcement is not answered
  }
  // An ARP reply for our address.
  const auto response =
      respondToFrame(capture("arp-request-reply.pcap", 1), kMacA, {ip("192.0.2.2")});
  EXPECT_EQ(response.verdict, FrameVerdict::Conflict);
  EXPECT_EQ(response.conflict, (AddressConflict{ip("192.0.2.2"), kMacB}));
}

TEST(NeighborResponse, NaWithoutTargetOptionClaimsTheFrameSource) {
  // The kernel's answer to a unicast NS has no target link-layer option.
  const auto response =
      respondToFrame(capture("ndp-unicast-ns.pcap", 1), kMacA, {ip("2001:db8:1::2")});
  EXPECT_EQ(response.verdict, FrameVerdict::Conflict);
  EXPECT_EQ(response.conflict, (AddressConflict{ip("2001:db8:1::2"), kMacB}));
}

TEST(NeighborResponse, ConflictAndRequestInOneFrame) {
  // Someone using our VIP 192.0.2.1 as its source asks for our VIP 192.0.2.2.
  const std::set<IpAddress> owned{ip("192.0.2.1"), ip("192.0.2.2")};
  const auto response = respondToFrame(capture("arp-request-reply.pcap", 0), kMacB, owned);
  EXPECT_EQ(response.verdict, FrameVerdict::Conflict);
  EXPECT_EQ(response.conflict, (AddressConflict{ip("192.0.2.1"), kMacA}));
  EXPECT_EQ(response.reply, capture("arp-request-reply.pcap", 1));
  // The same over NDP: an NS from an owned source.
  ndp::NeighborSolicitation ns;
  ns.source = ip("2001:db8:1::7");
  ns.destination = ndp::solicitedNodeAddress(ip("2001:db8:1::9"));
  ns.target = ip("2001:db8:1::9");
  ns.source_mac = kMacC;
  const auto ndp_response = respondToFrame(
      ndp::ndpFrame(ns, ndp::multicastMac(ns.destination), kMacC), kMacB, {ip("2001:db8:1::7")});
  EXPECT_EQ(ndp_response.verdict, FrameVerdict::Conflict);
  EXPECT_EQ(ndp_response.conflict, (AddressConflict{ip("2001:db8:1::7"), kMacC}));
  EXPECT_TRUE(ndp_response.reply.empty());
}

TEST(NeighborResponse, IgnoresOwnFrames) {
  // Our own announcements and answers, seen again (Ethernet source = our MAC).
  const IpAddress vip = ip("192.0.2.2");
  EXPECT_EQ(respondToFrame(arp::gratuitousArpFrame(vip, kMacB), kMacB, kOwnedByB).verdict,
            FrameVerdict::OwnFrame);
  EXPECT_EQ(respondToFrame(ndp::unsolicitedAdvertisementFrame(ip("2001:db8:1::2"), kMacB), kMacB,
                           kOwnedByB)
                .verdict,
            FrameVerdict::OwnFrame);
  EXPECT_EQ(respondToFrame(capture("arp-request-reply.pcap", 0), kMacA, kOwnedByB).verdict,
            FrameVerdict::OwnFrame);
  // Relayed by another station: the ARP sender hardware address is still ours.
  auto relayed = arp::gratuitousArpFrame(vip, kMacB);
  std::copy(kMacC.bytes().begin(), kMacC.bytes().end(), relayed.begin() + 6);
  EXPECT_EQ(respondToFrame(relayed, kMacB, kOwnedByB).verdict, FrameVerdict::OwnFrame);
}

TEST(NeighborResponse, EveryTruncationOfEveryCaptureIsMalformedOrHarmless) {
  for (const char* file : {"arp-request-reply.pcap", "arp-probe.pcap", "ndp-ns-na.pcap",
                           "ndp-dad.pcap", "ndp-unicast-ns.pcap"}) {
    const auto frame = capture(file, 0);
    for (std::size_t length = 0; length < frame.size(); ++length) {
      const auto response =
          respondToFrame(std::span(frame).first(length), receiverOf(frame), kOwnedByB);
      EXPECT_EQ(response.verdict, FrameVerdict::Malformed) << file << " at " << length;
      EXPECT_TRUE(response.reply.empty());
      EXPECT_FALSE(response.detail.empty());
    }
  }
}

TEST(NeighborResponse, MalformedFrames) {
  auto frame = capture("ndp-ns-na.pcap", 0);
  frame[14 + 7] = 64;  // hop limit
  auto response = respondToFrame(frame, kMacB, kOwnedByB);
  EXPECT_EQ(response.verdict, FrameVerdict::Malformed);
  EXPECT_NE(response.detail.find("hop limit 64"), std::string::npos);

  frame = capture("arp-request-reply.pcap", 0);
  frame[14 + 8] |= 0x01;  // ARP sender hardware address: a group address
  EXPECT_EQ(respondToFrame(frame, kMacB, kOwnedByB).verdict, FrameVerdict::Malformed);

  frame = capture("arp-request-reply.pcap", 0);
  frame[14 + 1] = 6;  // hardware type IEEE 802
  EXPECT_EQ(respondToFrame(frame, kMacB, kOwnedByB).verdict, FrameVerdict::Malformed);

  // An NS "from" a multicast address: answering it would send S = 1 to a group.
  ndp::NeighborSolicitation ns;
  ns.source = ip("ff02::1");
  ns.destination = ip("2001:db8:1::2");
  ns.target = ip("2001:db8:1::2");
  EXPECT_EQ(respondToFrame(ndp::ndpFrame(ns, kMacB, kMacC), kMacB, kOwnedByB).verdict,
            FrameVerdict::Malformed);
  ns.source = ip("2001:db8:1::3");
  ns.source_mac = MacAddress::broadcast();
  EXPECT_EQ(respondToFrame(ndp::ndpFrame(ns, kMacB, kMacC), kMacB, kOwnedByB).verdict,
            FrameVerdict::Malformed);
}

TEST(NeighborResponse, IgnoresWhatIsNotForUs) {
  // IPv6 that is not NDP.
  for (const char* file : {"ipv6-echo.pcap", "ipv6-mld-report.pcap"}) {
    const auto frame = capture(file, 0);
    EXPECT_EQ(respondToFrame(frame, receiverOf(frame), kOwnedByB).verdict, FrameVerdict::Ignored);
  }
  // An ARP reply or NA about an address we do not own.
  EXPECT_EQ(respondToFrame(capture("arp-request-reply.pcap", 1), kMacC, {}).verdict,
            FrameVerdict::Ignored);
  EXPECT_EQ(respondToFrame(capture("ndp-ns-na.pcap", 1), kMacC, {}).verdict, FrameVerdict::Ignored);
  // A unicast frame for another station (we see those only in promiscuous mode).
  auto frame = capture("arp-request-reply.pcap", 0);
  std::copy(kMacC.bytes().begin(), kMacC.bytes().end(), frame.begin());
  auto response = respondToFrame(frame, kMacB, kOwnedByB);
  EXPECT_EQ(response.verdict, FrameVerdict::Ignored);
  EXPECT_TRUE(response.reply.empty());
  // Other EtherTypes.
  frame = capture("arp-request-reply.pcap", 0);
  frame[12] = 0x88;
  frame[13] = 0xcc;  // LLDP
  EXPECT_EQ(respondToFrame(frame, kMacB, kOwnedByB).verdict, FrameVerdict::Ignored);
  // An NS for our address sent to neither its solicited-node group nor the address itself.
  ndp::NeighborSolicitation ns;
  ns.source = ip("2001:db8:1::1");
  ns.destination = ip("ff02::1");
  ns.target = ip("2001:db8:1::2");
  ns.source_mac = kMacA;
  response =
      respondToFrame(ndp::ndpFrame(ns, ndp::multicastMac(ns.destination), kMacA), kMacB, kOwnedByB);
  EXPECT_EQ(response.verdict, FrameVerdict::Ignored);
  EXPECT_TRUE(response.reply.empty());
}

TEST(NeighborResponse, VlanTagsOtherThanPriorityAreNotOurs) {
  auto tagged = capture("arp-request-reply.pcap", 0);
  const Bytes tag{0x81, 0x00, 0x00, 0x64};  // VLAN 100
  tagged.insert(tagged.begin() + 12, tag.begin(), tag.end());
  auto response = respondToFrame(tagged, kMacB, kOwnedByB);
  EXPECT_EQ(response.verdict, FrameVerdict::Ignored);
  EXPECT_NE(response.detail.find("VLAN 100"), std::string::npos);
  EXPECT_TRUE(response.reply.empty());

  tagged[14] = 0xa0;  // PCP 5, VLAN 0: a priority tag, the frame belongs to this interface
  tagged[15] = 0x00;
  response = respondToFrame(tagged, kMacB, kOwnedByB);
  EXPECT_EQ(response.verdict, FrameVerdict::RequestForOwned);
  EXPECT_EQ(response.reply, capture("arp-request-reply.pcap", 1));
}

TEST(NeighborResponse, EveryReplyIsValidAndComesBackAsOurOwn) {
  const std::set<IpAddress> owned{ip("192.0.2.2"), ip("2001:db8:1::2"), ip("2001:db8:1::1")};
  for (const char* file : {"arp-request-reply.pcap", "arp-probe.pcap", "ndp-ns-na.pcap",
                           "ndp-dad.pcap", "ndp-unicast-ns.pcap"}) {
    for (const auto& frame : l2Capture(file)) {
      const auto response = respondToFrame(frame, kMacC, owned);
      if (response.reply.empty()) continue;
      const auto ethernet = decodeEthernetFrame(response.reply);
      ASSERT_TRUE(ethernet) << file;
      EXPECT_EQ(ethernet->source, kMacC);
      if (ethernet->ether_type == kEtherTypeIpv6) {
        const auto ndp = ndp::decodeNdpPacket(ethernet->payload);
        ASSERT_TRUE(ndp) << file << ": " << ndp.error().message;
      } else {
        ASSERT_TRUE(arp::decodeArpPacket(ethernet->payload)) << file;
      }
      EXPECT_EQ(respondToFrame(response.reply, kMacC, owned).verdict, FrameVerdict::OwnFrame);
    }
  }
}

TEST(NeighborResponse, VerdictNames) {
  EXPECT_EQ(toString(FrameVerdict::RequestForOwned), "request-for-owned");
  EXPECT_EQ(toString(FrameVerdict::RequestForOther), "request-for-other");
  EXPECT_EQ(toString(FrameVerdict::Conflict), "conflict");
  EXPECT_EQ(toString(FrameVerdict::OwnFrame), "own-frame");
  EXPECT_EQ(toString(FrameVerdict::Malformed), "malformed");
  EXPECT_EQ(toString(FrameVerdict::Ignored), "ignored");
}

}  // namespace
}  // namespace lbd::l2
