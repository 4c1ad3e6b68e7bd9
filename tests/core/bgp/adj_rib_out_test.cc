#include "core/bgp/adj_rib_out.h"

#include <gtest/gtest.h>

#include "core/config/config_parser.h"

namespace lbd::bgp {
namespace {

Config configFrom(const std::string& text) {
  auto config = parseConfig({ConfigSource{"lbd.toml", text, true}});
  EXPECT_TRUE(config) << (config ? "" : toString(config.error()));
  return config.ok() ? std::move(config.value()) : Config{};
}

IpAddress ip(const char* text) {
  return IpAddress::parse(text).value();
}
Prefix prefix(const char* address, std::uint8_t length) {
  return Prefix{ip(address), length};
}

const char* kTwoPeers = R"toml(
[bgp]
asn = 65010
[[pool]]
name = "edge"
mode = "bgp"
addresses = ["203.0.113.0/24", "2001:db8:ffff::/120"]
[[pool]]
name = "web"
mode = "layer2"
addresses = ["198.51.100.0/28"]
[[bgp.peer]]
name = "tor1"
address = "198.51.100.1"
asn = 65000
families = ["ipv4-unicast", "ipv6-unicast"]
[[bgp.peer]]
name = "tor2"
address = "198.51.100.2"
asn = 65000
)toml";

TEST(AdjRibOut, WithoutAdvertisementsEveryBgpVipGoesToEveryPeerOfItsFamilyAsAHostRoute) {
  const Config config = configFrom(kTwoPeers);
  const std::vector<AdvertisedVip> vips{{ip("203.0.113.7"), "edge"},
                                        {ip("2001:db8:ffff::7"), "edge"},
                                        {ip("198.51.100.3"), "web"}};  // layer2: never
  const auto rib = AdjRibOut::plan(config, vips, {true, true});
  EXPECT_EQ(rib.size(), 2u);
  ASSERT_TRUE(rib.find(prefix("203.0.113.7", 32), 0));
  ASSERT_TRUE(rib.find(prefix("203.0.113.7", 32), 1));
  ASSERT_TRUE(rib.find(prefix("2001:db8:ffff::7", 128), 0));
  EXPECT_FALSE(rib.find(prefix("2001:db8:ffff::7", 128), 1)) << "tor2 carries IPv4 only";
  EXPECT_EQ(rib.countFor(0), 2u);
  EXPECT_EQ(rib.countFor(1), 1u);
  EXPECT_EQ(rib.attributes(*rib.find(prefix("203.0.113.7", 32), 0)), RouteAttributes{});
}

TEST(AdjRibOut, DisabledPeersGetNothing) {
  const Config config = configFrom(kTwoPeers);
  const std::vector<AdvertisedVip> vips{{ip("203.0.113.7"), "edge"}};
  const auto rib = AdjRibOut::plan(config, vips, {true, false});
  EXPECT_EQ(rib.countFor(0), 1u);
  EXPECT_EQ(rib.countFor(1), 0u);
}

TEST(AdjRibOut, AdvertisementsChoosePeersAttributesAndAggregation) {
  const Config config = configFrom(std::string(kTwoPeers) + R"toml(
[[bgp.advertisement]]
name = "to-tor1"
peers = ["tor1"]
communities = ["65000:100", "no-export"]
large-communities = ["65000:1:2"]
local-pref = 50
[[bgp.advertisement]]
name = "aggregate"
pools = ["edge"]
peers = ["tor2"]
aggregation-length = 24
[[bgp.advertisement]]
name = "more-tor1"
peers = ["tor1"]
communities = ["65000:200", "65000:100"]
local-pref = 70
)toml");
  const std::vector<AdvertisedVip> vips{{ip("203.0.113.7"), "edge"}, {ip("203.0.113.9"), "edge"}};
  const auto rib = AdjRibOut::plan(config, vips, {true, true});
  // tor1: two /32s with the two advertisements' attributes merged.
  const auto id = rib.find(prefix("203.0.113.7", 32), 0);
  ASSERT_TRUE(id);
  const RouteAttributes& attributes = rib.attributes(*id);
  EXPECT_EQ(
      attributes.communities,
      (std::vector<std::uint32_t>{65000u << 16 | 100, 65000u << 16 | 200, kCommunityNoExport}));
  EXPECT_EQ(attributes.large_communities, (std::vector<LargeCommunity>{{65000, 1, 2}}));
  EXPECT_EQ(attributes.local_pref, 70u) << "the highest local-pref wins";
  EXPECT_FALSE(rib.find(prefix("203.0.113.7", 32), 1));
  // tor2: both VIPs fold into one /24.
  EXPECT_TRUE(rib.find(prefix("203.0.113.0", 24), 1));
  EXPECT_EQ(rib.countFor(1), 1u);
  EXPECT_EQ(rib.countFor(0), 2u);
  // Two prefixes, one attribute set: stored once.
  const auto grouped = rib.routesFor(0);
  ASSERT_EQ(grouped.size(), 1u);
  EXPECT_EQ(grouped.begin()->second,
            (std::vector<Prefix>{prefix("203.0.113.7", 32), prefix("203.0.113.9", 32)}));
}

TEST(AdjRibOut, ChangesForAPeerAreNewChangedAndGoneRoutes) {
  AdjRibOut before;
  RouteAttributes plain;
  RouteAttributes tagged;
  tagged.communities = {1};
  before.add(prefix("203.0.113.1", 32), 0, plain);
  before.add(prefix("203.0.113.2", 32), 0, plain);
  before.add(prefix("203.0.113.3", 32), 0, plain);
  before.add(prefix("203.0.113.4", 32), 1, plain);  // another peer's: not ours to send
  AdjRibOut after;
  after.add(prefix("203.0.113.2", 32), 0, plain);   // unchanged
  after.add(prefix("203.0.113.3", 32), 0, tagged);  // attributes changed
  after.add(prefix("203.0.113.5", 32), 0, plain);   // new
  after.add(prefix("203.0.113.6", 32), 1, plain);   // another peer's

  const auto changes = AdjRibOut::changesFor(before, after, 0);
  EXPECT_EQ(changes.withdraw, (std::vector<Prefix>{prefix("203.0.113.1", 32)}));
  std::vector<Prefix> announced;
  for (const auto& [id, prefixes] : changes.announce) {
    for (const auto& p : prefixes)
      announced.push_back(p);
  }
  std::sort(announced.begin(), announced.end());
  EXPECT_EQ(announced, (std::vector<Prefix>{prefix("203.0.113.3", 32), prefix("203.0.113.5", 32)}));
  const auto other = AdjRibOut::changesFor(before, after, 1);
  EXPECT_EQ(other.withdraw, (std::vector<Prefix>{prefix("203.0.113.4", 32)}));
  EXPECT_TRUE(AdjRibOut::changesFor(after, after, 0).empty());
}

TEST(AdjRibOut, ManyPrefixesShareOneTargetAndOneAttributeSet) {
  AdjRibOut rib;
  RouteAttributes attributes;
  attributes.communities = {7};
  for (std::uint32_t i = 0; i < 10000; ++i) {
    rib.add(Prefix{IpAddress::v4(0x0A000000u + i), 32}, 0, attributes);
    rib.add(Prefix{IpAddress::v4(0x0A000000u + i), 32}, 1, attributes);
  }
  EXPECT_EQ(rib.size(), 10000u);
  const auto grouped = rib.routesFor(1);
  ASSERT_EQ(grouped.size(), 1u);
  EXPECT_EQ(grouped.begin()->second.size(), 10000u);
}

}  // namespace
}  // namespace lbd::bgp
