// Lease names of the layer-2 election: one name per address and one address per name, valid
// Kubernetes object names for every IPv4 and IPv6 address, including the longest IPv6 form.

#include "core/election/lease_names.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <set>

#include "election_test_support.h"

namespace lbd::election {
namespace {

using testing::ip;

// DNS-1123 subdomain, as apimachinery's IsDNS1123Subdomain checks object names.
bool validObjectName(const std::string& name) {
  static const std::regex kSubdomain(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return name.size() <= 253 && std::regex_match(name, kSubdomain);
}

TEST(VipLeaseName, Ipv4IsTheDottedQuadWithDashes) {
  EXPECT_EQ(vipLeaseName(ip("192.0.2.10")), "lbd-vip-192-0-2-10");
  EXPECT_EQ(vipLeaseName(ip("0.0.0.0")), "lbd-vip-0-0-0-0");
  EXPECT_EQ(vipLeaseName(ip("255.255.255.255")), "lbd-vip-255-255-255-255");
}

TEST(VipLeaseName, Ipv6IsCanonicalHexWithDashes) {
  EXPECT_EQ(vipLeaseName(ip("2001:db8::1")), "lbd-vip-2001-db8--1");
  EXPECT_EQ(vipLeaseName(ip("2001:DB8:0:0:0:0:0:1")), "lbd-vip-2001-db8--1");
  EXPECT_EQ(vipLeaseName(ip("::1")), "lbd-vip---1");
  // A single zero group is not compressed; the longest run is, the first one on ties.
  EXPECT_EQ(vipLeaseName(ip("2001:db8:0:1:1:1:1:1")), "lbd-vip-2001-db8-0-1-1-1-1-1");
  EXPECT_EQ(vipLeaseName(ip("2001:0:0:1:0:0:0:1")), "lbd-vip-2001-0-0-1--1");
  EXPECT_EQ(vipLeaseName(ip("2001:db8:0:0:1:0:0:1")), "lbd-vip-2001-db8--1-0-0-1");
}

TEST(VipLeaseName, ATrailingDoubleColonEndsInZeroNotADash) {
  EXPECT_EQ(vipLeaseName(ip("2001:db8::")), "lbd-vip-2001-db8--0");
  EXPECT_EQ(vipLeaseName(ip("::")), "lbd-vip---0");
  EXPECT_EQ(parseVipLeaseName("lbd-vip-2001-db8--0"), ip("2001:db8::"));
  EXPECT_EQ(parseVipLeaseName("lbd-vip---0"), ip("::"));
  EXPECT_FALSE(parseVipLeaseName("lbd-vip-2001-db8--"));
}

TEST(VipLeaseName, Ipv4MappedIpv6IsWrittenInHexSoItCannotMeetAnAllHexAddress) {
  // RFC 5952 text is ::ffff:192.0.2.1; with its dots turned into dashes it would read back as
  // ::ffff:192:0:2:1, another address.
  EXPECT_EQ(vipLeaseName(ip("::ffff:192.0.2.1")), "lbd-vip---ffff-c000-201");
  EXPECT_EQ(vipLeaseName(ip("::ffff:192:0:2:1")), "lbd-vip---ffff-192-0-2-1");
  EXPECT_EQ(parseVipLeaseName("lbd-vip---ffff-c000-201"), ip("::ffff:192.0.2.1"));
  EXPECT_EQ(parseVipLeaseName("lbd-vip---ffff-192-0-2-1"), ip("::ffff:192:0:2:1"));
}

TEST(VipLeaseName, TheLongestNameIsFortySevenCharacters) {
  const std::string name = vipLeaseName(ip("fd00:1111:2222:3333:4444:5555:6666:ffff"));
  EXPECT_EQ(name, "lbd-vip-fd00-1111-2222-3333-4444-5555-6666-ffff");
  EXPECT_EQ(name.size(), 47u);
  EXPECT_TRUE(validObjectName(name));
  EXPECT_LE(name.size(), 63u) << "short enough for a label value too";
  EXPECT_EQ(parseVipLeaseName(name), ip("fd00:1111:2222:3333:4444:5555:6666:ffff"));
}

TEST(VipLeaseName, RoundTripsAndIsInjectiveOverManyAddresses) {
  std::mt19937_64 random(42);
  std::vector<IpAddress> addresses = {ip("0.0.0.0"),
                                      ip("255.255.255.255"),
                                      ip("::"),
                                      ip("::1"),
                                      ip("1::"),
                                      ip("::ffff:0.0.0.0"),
                                      ip("::ffff:1.2.3.4"),
                                      ip("::1.2.3.4"),
                                      ip("1:0:0:1:0:0:0:0"),
                                      ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")};
  for (int i = 0; i < 2000; ++i) {
    addresses.push_back(IpAddress::v4(static_cast<std::uint32_t>(random())));
    // Sparse IPv6 addresses: zero groups in every position and run length.
    uint128 value = 0;
    for (int group = 0; group < 8; ++group) {
      const std::uint64_t draw = random();
      value = (value << 16) | (draw % 3 == 0 ? 0 : (draw >> 8) & 0xFFFF);
    }
    addresses.push_back(IpAddress::fromInteger(IpFamily::V6, value));
  }
  std::map<std::string, IpAddress> seen;
  for (const auto& address : addresses) {
    const std::string name = vipLeaseName(address);
    EXPECT_TRUE(validObjectName(name)) << name;
    EXPECT_EQ(parseVipLeaseName(name), address) << name;
    auto [it, inserted] = seen.emplace(name, address);
    EXPECT_TRUE(inserted || it->second == address)
        << name << " names both " << it->second.toString() << " and " << address.toString();
  }
}

TEST(VipLeaseName, OtherSpellingsAreNotVipLeases) {
  for (const char* name :
       {"lbd-vip-", "lbd-vip-192-000-2-1", "lbd-vip-192-0-2", "lbd-vip-1-2-3-4-5",
        "lbd-vip-192.0.2.1", "lbd-vip-2001-0db8--1", "lbd-vip-2001-DB8--1", "lbd-vip-2001:db8::1",
        "lbd-vip-2001-db8-0-0-0-0-0-1", "lbd-vip-2001--db8--1", "lbd-vip--192-0-2-1",
        "lbd-node-192-0-2-1", "lbd-allocator", "LBD-VIP-192-0-2-1"}) {
    EXPECT_FALSE(parseVipLeaseName(name)) << name;
  }
}

TEST(HeartbeatLeaseName, IsThePrefixAndTheNodeName) {
  EXPECT_EQ(heartbeatLeaseName("node-a"), "lbd-node-node-a");
  EXPECT_EQ(heartbeatLeaseName("worker-1.example.com"), "lbd-node-worker-1.example.com");
}

TEST(HeartbeatLeaseName, ALongNodeNameIsCutAndHashedToStayValidAndDistinct) {
  const std::string fits(244, 'a');
  EXPECT_EQ(heartbeatLeaseName(fits), "lbd-node-" + fits);
  EXPECT_EQ(heartbeatLeaseName(fits).size(), 253u);

  // 245 characters, and the cut lands right after a dot: the name must not get ".-".
  std::string longer(226, 'a');
  longer += '.';
  longer += std::string(18, 'b');
  const std::string name = heartbeatLeaseName(longer);
  EXPECT_EQ(name.size(), 252u);  // the dot was dropped
  EXPECT_TRUE(validObjectName(name)) << name;
  std::string other = longer;
  other.back() = 'c';
  EXPECT_NE(heartbeatLeaseName(other), name) << "same head, different tail";
  EXPECT_TRUE(validObjectName(heartbeatLeaseName(std::string(253, 'z'))));
}

}  // namespace
}  // namespace lbd::election
