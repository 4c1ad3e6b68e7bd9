// NeighborResponder over a fake link: counters, replies, group memberships, announcements and
// conflict reports, fed with the frames captured in tests/data/l2.
#include "io/raw/neighbor_responder.h"

#include <gtest/gtest.h>

#include <map>

#include "../../support/pcap_file.h"
#include "core/arp/arp_packet.h"
#include "core/ndp/ndp_packet.h"

namespace lbd::raw {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::l2Capture;

const MacAddress kMacA = MacAddress::parse("02:00:00:00:0a:01").value();
const MacAddress kMacB = MacAddress::parse("02:00:00:00:0b:02").value();
IpAddress ip(const char* text) {
  return IpAddress::parse(text).value();
}

class FakeLink : public PacketLink {
 public:
  explicit FakeLink(MacAddress mac) : mac_(mac) {}
  const std::string& interfaceName() const override { return name_; }
  const MacAddress& mac() const override { return mac_; }
  void start(FrameHandler on_frame, ErrorHandler on_error) override {
    on_frame_ = std::move(on_frame);
    on_error_ = std::move(on_error);
  }
  Result<void> send(std::span<const std::uint8_t> frame) override {
    if (fail_sends) return fail("queue full");
    sent.emplace_back(frame.begin(), frame.end());
    return {};
  }
  Result<void> joinMulticast(const MacAddress& group) override {
    if (fail_joins) return fail("no memory");
    ++memberships[group];
    return {};
  }
  Result<void> leaveMulticast(const MacAddress& group) override {
    if (--memberships[group] == 0) memberships.erase(group);
    return {};
  }

  void receive(const Bytes& frame) { on_frame_(frame); }
  void breakLink() { on_error_(Error{"gone"}); }

  std::vector<Bytes> sent;
  std::map<MacAddress, int> memberships;  // kernel-side view: joins minus leaves
  bool fail_sends = false;
  bool fail_joins = false;

 private:
  std::string name_ = "fake0";
  MacAddress mac_;
  FrameHandler on_frame_;
  ErrorHandler on_error_;
};

struct Harness {
  explicit Harness(MacAddress mac) {
    auto owned_link = std::make_unique<FakeLink>(mac);
    link = owned_link.get();
    responder = std::make_unique<NeighborResponder>(std::move(owned_link));
    responder->onConflict([this](const l2::AddressConflict& c) { conflicts.push_back(c); });
    responder->start();
  }
  FakeLink* link;
  std::unique_ptr<NeighborResponder> responder;
  std::vector<l2::AddressConflict> conflicts;
};

TEST(NeighborResponder, AnswersOnlyOwnedAddressesAndCounts) {
  Harness h(kMacB);
  const auto arp = l2Capture("arp-request-reply.pcap");
  const auto ndp = l2Capture("ndp-ns-na.pcap");
  h.link->receive(arp[0]);
  h.link->receive(ndp[0]);
  EXPECT_TRUE(h.link->sent.empty());  // nothing owned yet
  EXPECT_EQ(h.responder->counters().requests_seen, 2u);
  EXPECT_EQ(h.responder->counters().requests_for_owned, 0u);

  ASSERT_TRUE(h.responder->setOwned({ip("192.0.2.2"), ip("2001:db8:1::2")}));
  h.link->receive(arp[0]);
  h.link->receive(ndp[0]);
  ASSERT_EQ(h.link->sent.size(), 2u);
  EXPECT_EQ(h.link->sent[0], arp[1]);  // the kernel's own answers, byte for byte
  EXPECT_EQ(h.link->sent[1], ndp[1]);
  const auto& c = h.responder->counters();
  EXPECT_EQ(c.requests_seen, 4u);
  EXPECT_EQ(c.requests_for_owned, 2u);
  EXPECT_EQ(c.replies_sent, 2u);
  EXPECT_EQ(c.send_errors, 0u);
  EXPECT_EQ(c.malformed_dropped, 0u);
  EXPECT_TRUE(h.conflicts.empty());
}

TEST(NeighborResponder, CountsMalformedOwnAndIgnoredFrames) {
  Harness h(kMacB);
  ASSERT_TRUE(h.responder->setOwned({ip("192.0.2.2")}));
  auto truncated = l2Capture("arp-request-reply.pcap")[0];
  truncated.resize(30);
  h.link->receive(truncated);
  h.link->receive(l2Capture("arp-request-reply.pcap")[1]);  // B's own reply
  h.link->receive(l2Capture("ipv6-echo.pcap")[0]);
  const auto& c = h.responder->counters();
  EXPECT_EQ(c.malformed_dropped, 1u);
  EXPECT_EQ(c.own_frames, 1u);
  EXPECT_EQ(c.ignored, 1u);
  EXPECT_EQ(c.requests_seen, 0u);
  EXPECT_TRUE(h.link->sent.empty());
}

TEST(NeighborResponder, ReportsConflicts) {
  Harness h(kMacB);
  ASSERT_TRUE(h.responder->setOwned({ip("192.0.2.1"), ip("2001:db8:1::11")}));
  h.link->receive(l2Capture("arp-gratuitous-request.pcap")[0]);
  h.link->receive(l2Capture("ndp-unsolicited-na.pcap")[0]);
  ASSERT_EQ(h.conflicts.size(), 2u);
  EXPECT_EQ(h.conflicts[0], (l2::AddressConflict{ip("192.0.2.1"), kMacA}));
  EXPECT_EQ(h.conflicts[1], (l2::AddressConflict{ip("2001:db8:1::11"), kMacA}));
  EXPECT_EQ(h.responder->counters().conflicts_seen, 2u);
  EXPECT_TRUE(h.link->sent.empty());
}

TEST(NeighborResponder, ConflictHandlerMayYieldAtOnce) {
  Harness h(kMacB);
  ASSERT_TRUE(h.responder->setOwned({ip("192.0.2.1"), ip("2001:db8:1::11")}));
  h.responder->onConflict([&](const l2::AddressConflict& c) {
    auto owned = h.responder->owned();
    owned.erase(c.ip);
    ASSERT_TRUE(h.responder->setOwned(owned));
  });
  h.link->receive(l2Capture("ndp-unsolicited-na.pcap")[0]);
  EXPECT_EQ(h.responder->owned(), std::set<IpAddress>{ip("192.0.2.1")});
  EXPECT_TRUE(h.link->memberships.empty());
}

TEST(NeighborResponder, JoinsAndLeavesSolicitedNodeGroups) {
  Harness h(kMacB);
  const MacAddress group2 = MacAddress::parse("33:33:ff:00:00:02").value();
  const MacAddress group3 = MacAddress::parse("33:33:ff:00:00:03").value();
  // 2001:db8:1::2 and 2001:db8:2::2 share a group; IPv4 needs none.
  ASSERT_TRUE(h.responder->setOwned({ip("2001:db8:1::2"), ip("2001:db8:2::2"), ip("192.0.2.2")}));
  EXPECT_EQ(h.link->memberships, (std::map<MacAddress, int>{{group2, 1}}));
  EXPECT_EQ(h.responder->joinedGroups(), std::set<MacAddress>{group2});

  ASSERT_TRUE(h.responder->setOwned({ip("2001:db8:2::2"), ip("2001:db8:1::3")}));
  EXPECT_EQ(h.link->memberships, (std::map<MacAddress, int>{{group2, 1}, {group3, 1}}));

  ASSERT_TRUE(h.responder->setOwned({ip("2001:db8:1::3")}));
  EXPECT_EQ(h.link->memberships, (std::map<MacAddress, int>{{group3, 1}}));

  ASSERT_TRUE(h.responder->setOwned({}));
  EXPECT_TRUE(h.link->memberships.empty());
  EXPECT_TRUE(h.responder->joinedGroups().empty());
}

TEST(NeighborResponder, FailedJoinIsReportedAndRetried) {
  Harness h(kMacB);
  h.link->fail_joins = true;
  auto result = h.responder->setOwned({ip("2001:db8:1::2")});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "no memory");
  EXPECT_EQ(h.responder->owned(), std::set<IpAddress>{ip("2001:db8:1::2")});  // applied anyway
  EXPECT_TRUE(h.responder->joinedGroups().empty());
  h.link->fail_joins = false;
  ASSERT_TRUE(h.responder->setOwned({ip("2001:db8:1::2")}));
  EXPECT_EQ(h.link->memberships.size(), 1u);
}

TEST(NeighborResponder, AnnouncesOwnedAddressesOnly) {
  Harness h(kMacA);
  EXPECT_FALSE(h.responder->announce(ip("192.0.2.1")));
  ASSERT_TRUE(h.responder->setOwned({ip("192.0.2.1"), ip("2001:db8:1::11")}));
  ASSERT_TRUE(h.responder->announce(ip("192.0.2.1")));
  ASSERT_TRUE(h.responder->announce(ip("2001:db8:1::11")));
  ASSERT_EQ(h.link->sent.size(), 2u);
  EXPECT_EQ(h.link->sent[0], arp::gratuitousArpFrame(ip("192.0.2.1"), kMacA));
  EXPECT_EQ(h.link->sent[1], l2Capture("ndp-unsolicited-na.pcap")[0]);  // the kernel's, exactly
  EXPECT_EQ(h.responder->counters().announcements_sent, 2u);

  h.link->fail_sends = true;
  EXPECT_FALSE(h.responder->announce(ip("192.0.2.1")));
  EXPECT_EQ(h.responder->counters().send_errors, 1u);
  EXPECT_EQ(h.responder->counters().announcements_sent, 2u);
}

TEST(NeighborResponder, SendFailuresAreCounted) {
  Harness h(kMacB);
  ASSERT_TRUE(h.responder->setOwned({ip("192.0.2.2")}));
  h.link->fail_sends = true;
  h.link->receive(l2Capture("arp-request-reply.pcap")[0]);
  EXPECT_EQ(h.responder->counters().requests_for_owned, 1u);
  EXPECT_EQ(h.responder->counters().replies_sent, 0u);
  EXPECT_EQ(h.responder->counters().send_errors, 1u);
}

TEST(NeighborResponder, LinkErrorsReachTheCaller) {
  Harness h(kMacB);
  std::string seen;
  h.responder->onLinkError([&](const Error& e) { seen = e.message; });
  h.link->breakLink();
  EXPECT_EQ(seen, "gone");
}

}  // namespace
}  // namespace lbd::raw
