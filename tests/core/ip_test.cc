#include "core/ip.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace lbd {
namespace {

IpAddress ip(const char* text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed.value_or(IpAddress());
}

IpRange range(const char* text) {
  auto parsed = IpRange::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed.ok() ? parsed.value() : IpRange::single(IpAddress());
}

TEST(IpAddress, ParsesAndPrintsCanonically) {
  const std::pair<const char*, const char*> cases[] = {
      {"0.0.0.0", "0.0.0.0"},
      {"192.0.2.1", "192.0.2.1"},
      {"255.255.255.255", "255.255.255.255"},
      {"::", "::"},
      {"::1", "::1"},
      {"2001:DB8::1", "2001:db8::1"},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // tie: first run wins
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // one zero group is not compressed
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},           // longest run wins
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"::ffff:c000:201", "::ffff:192.0.2.1"},
      {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
      {"1::", "1::"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
  };
  for (const auto& [input, canonical] : cases) {
    auto parsed = IpAddress::parse(input);
    ASSERT_TRUE(parsed) << input << ": " << parsed.error().message;
    EXPECT_EQ(parsed->toString(), canonical) << input;
    EXPECT_EQ(IpAddress::parse(canonical).value(), parsed.value()) << canonical;
  }
}

TEST(IpAddress, RejectsWithSpecificMessages) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "\"\" is not a valid IP address: it is empty"},
      {"192.0.2.300", "\"192.0.2.300\" is not a valid IP address: octet 4 is greater than 255"},
      {"192.0.2", "\"192.0.2\" is not a valid IP address: 3 octets instead of 4"},
      {"1.2.3.4.5", "\"1.2.3.4.5\" is not a valid IP address: more than 4 octets"},
      {"01.2.3.4", "\"01.2.3.4\" is not a valid IP address: octet 1 has a leading zero"},
      {"1..3.4", "\"1..3.4\" is not a valid IP address: octet 2 is empty"},
      {"1.2.3.x", "\"1.2.3.x\" is not a valid IP address: octet 4 is not a decimal number"},
      {" 1.2.3.4", "\" 1.2.3.4\" is not a valid IP address: unexpected character ' '"},
      {"[::1]", "\"[::1]\" is not a valid IP address: unexpected character '['"},
      {"fe80::1%eth0",
       "\"fe80::1%eth0\" is not a valid IP address: zone indexes (\"%...\") are not allowed"},
      {"1::2::3", "\"1::2::3\" is not a valid IP address: more than one \"::\""},
      {"12345::",
       "\"12345::\" is not a valid IP address: group \"12345\" has more than 4 hex digits"},
      {"1:2:3:4:5:6:7", "\"1:2:3:4:5:6:7\" is not a valid IP address: 7 groups instead of 8"},
      {"1:2:3:4:5:6:7:8:9", "\"1:2:3:4:5:6:7:8:9\" is not a valid IP address: more than 8 groups"},
      {"1:2:3:4::5:6:7:8",
       "\"1:2:3:4::5:6:7:8\" is not a valid IP address: \"::\" must stand for at least one group"},
      {":1::", "\":1::\" is not a valid IP address: it starts with a single ':'"},
      {"1::2:", "\"1::2:\" is not a valid IP address: it ends with a single ':'"},
      {"::g", "\"::g\" is not a valid IP address: unexpected character 'g'"},
      {"1.2.3.4::",
       "\"1.2.3.4::\" is not a valid IP address: an embedded IPv4 address must come last"},
  };
  for (const auto& [input, message] : cases) {
    auto parsed = IpAddress::parse(input);
    ASSERT_FALSE(parsed) << input << " parsed as " << parsed->toString();
    EXPECT_EQ(parsed.error().message, message) << input;
  }
}

TEST(IpAddress, OrderingNextPreviousAndBytes) {
  EXPECT_LT(ip("255.255.255.255"), ip("::"));  // every IPv4 address sorts before IPv6
  EXPECT_EQ(ip("192.0.2.255").next(), ip("192.0.3.0"));
  EXPECT_EQ(ip("255.255.255.255").next(), std::nullopt);
  EXPECT_EQ(ip("0.0.0.0").previous(), std::nullopt);
  EXPECT_EQ(ip("2001:db8::ffff").next(), ip("2001:db8::1:0"));
  EXPECT_EQ(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").next(), std::nullopt);
  EXPECT_EQ(ip("192.0.2.1").bytes(), (std::vector<std::uint8_t>{192, 0, 2, 1}));
  EXPECT_EQ(ip("2001:db8::1").bytes().size(), 16u);
  EXPECT_EQ(IpAddress::fromInteger(IpFamily::V4, (uint128{1} << 40) + 5), ip("0.0.0.5"));
}

TEST(AddressCount, ExactDecimalAndSaturation) {
  EXPECT_EQ(range("::/0").size().toString(), "340282366920938463463374607431768211456");
  EXPECT_EQ(range("0.0.0.0/0").size().toString(), "4294967296");
  EXPECT_EQ(range("2001:db8::/64").size().toString(), "18446744073709551616");
  EXPECT_EQ(range("2001:db8::/64").size().saturatedU64(), UINT64_MAX);
  EXPECT_EQ(range("192.0.2.0/24").size().saturatedU64(), 256u);
  const AddressCount all = AddressCount::twoToThe128();
  EXPECT_EQ(all + AddressCount(1), all);
  EXPECT_EQ((AddressCount(~uint128{0}) + AddressCount(1)), all);
  EXPECT_EQ((AddressCount(~uint128{0}) + AddressCount(5)), all);
  EXPECT_EQ((all - AddressCount(1)).toString(), "340282366920938463463374607431768211455");
  EXPECT_EQ((AddressCount(3) - AddressCount(5)), AddressCount(0));
  EXPECT_LT(AddressCount(~uint128{0}), all);
  EXPECT_EQ(AddressCount(0).toString(), "0");
}

TEST(IpPrefix, StrictParse) {
  auto prefix = IpPrefix::parse("192.0.2.0/24");
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix->last(), ip("192.0.2.255"));
  EXPECT_TRUE(prefix->contains(ip("192.0.2.77")));
  EXPECT_FALSE(prefix->contains(ip("192.0.3.0")));
  EXPECT_FALSE(prefix->contains(ip("::ffff:192.0.2.1")));
  EXPECT_EQ(IpPrefix::parse("192.0.2.1/24").error().message,
            "192.0.2.1/24 has host bits set (did you mean 192.0.2.0/24?)");
  EXPECT_EQ(IpPrefix::parse("2001:db8::1/64").error().message,
            "2001:db8::1/64 has host bits set (did you mean 2001:db8::/64?)");
  EXPECT_EQ(IpPrefix::parse("192.0.2.0/33").error().message,
            "\"192.0.2.0/33\" is not a valid prefix: length 33 is longer than 32 bits");
  EXPECT_EQ(IpPrefix::parse("192.0.2.0/024").error().message,
            "\"192.0.2.0/024\" is not a valid prefix: length \"024\" is not a decimal number");
  EXPECT_EQ(IpPrefix::parse("192.0.2.0/").error().message,
            "\"192.0.2.0/\" is not a valid prefix: length \"\" is not a decimal number");
  EXPECT_EQ(IpPrefix::parse("2001:db8::/129").error().message,
            "\"2001:db8::/129\" is not a valid prefix: length 129 is longer than 128 bits");
  EXPECT_TRUE(IpPrefix::parse("::/0"));
  EXPECT_TRUE(IpPrefix::parse("2001:db8::1/128"));
}

TEST(IpRange, ParseFormsAndErrors) {
  EXPECT_EQ(range("192.0.2.10 - 192.0.2.20").size(), AddressCount(11));
  EXPECT_EQ(range("192.0.2.10-192.0.2.20").toString(), "192.0.2.10-192.0.2.20");
  EXPECT_EQ(range("192.0.2.8-192.0.2.15").toString(), "192.0.2.8/29");
  EXPECT_EQ(range("192.0.2.7").toString(), "192.0.2.7");
  EXPECT_EQ(range("::/0").toString(), "::/0");
  EXPECT_EQ(range("2001:db8::-2001:db8::ff").toString(), "2001:db8::/120");
  EXPECT_EQ(IpRange::parse("192.0.2.20-192.0.2.10").error().message,
            "range 192.0.2.20-192.0.2.10 is reversed: the first address is greater than the last");
  EXPECT_EQ(IpRange::parse("192.0.2.1-2001:db8::1").error().message,
            "range 192.0.2.1-2001:db8::1 mixes IPv4 and IPv6");
  EXPECT_EQ(IpRange::parse("192.0.2.1-192.0.2.256").error().message,
            "\"192.0.2.256\" is not a valid IP address: octet 4 is greater than 255");
  EXPECT_EQ(range("192.0.2.0/30").at(3), ip("192.0.2.3"));
  EXPECT_EQ(range("192.0.2.0/30").at(4), std::nullopt);
  EXPECT_TRUE(range("192.0.2.0/30").overlaps(range("192.0.2.3-192.0.2.9")));
  EXPECT_FALSE(range("192.0.2.0/30").overlaps(range("192.0.2.4-192.0.2.9")));
}

TEST(IpRangeSet, MergesOverlappingAndAdjacentAndSplitsOnRemove) {
  IpRangeSet set;
  set.add(range("192.0.2.20-192.0.2.29"));
  set.add(range("192.0.2.0-192.0.2.9"));
  set.add(range("192.0.2.10-192.0.2.12"));  // adjacent to the first: merges
  set.add(range("2001:db8::/126"));
  set.add(range("192.0.2.25-192.0.2.40"));  // overlaps
  ASSERT_EQ(set.ranges().size(), 3u);
  EXPECT_EQ(set.ranges()[0].toString(), "192.0.2.0-192.0.2.12");
  EXPECT_EQ(set.ranges()[1].toString(), "192.0.2.20-192.0.2.40");
  EXPECT_EQ(set.ranges()[2].toString(), "2001:db8::/126");
  EXPECT_EQ(set.size(IpFamily::V4), AddressCount(13 + 21));
  EXPECT_EQ(set.size(), AddressCount(13 + 21 + 4));
  EXPECT_TRUE(set.hasFamily(IpFamily::V6));
  set.remove(range("192.0.2.5-192.0.2.22"));
  ASSERT_EQ(set.ranges().size(), 3u);
  EXPECT_EQ(set.ranges()[0].toString(), "192.0.2.0-192.0.2.4");
  EXPECT_EQ(set.ranges()[1].toString(), "192.0.2.23-192.0.2.40");
  EXPECT_TRUE(set.contains(ip("192.0.2.4")));
  EXPECT_FALSE(set.contains(ip("192.0.2.5")));
  EXPECT_FALSE(set.contains(ip("192.0.2.41")));
  EXPECT_TRUE(set.contains(ip("2001:db8::3")));
  EXPECT_EQ(set.firstAtOrAfter(ip("192.0.2.5")), ip("192.0.2.23"));
  EXPECT_EQ(set.firstAtOrAfter(ip("192.0.2.41")), std::nullopt);
  EXPECT_EQ(set.first(IpFamily::V6), ip("2001:db8::"));
}

TEST(IpRangeSet, IteratesAcrossBoundariesWithoutWrapping) {
  IpRangeSet set;
  set.add(range("255.255.255.254-255.255.255.255"));
  set.add(range("192.0.2.254-192.0.3.1"));
  std::vector<std::string> seen;
  for (const auto& address : set)
    seen.push_back(address.toString());
  EXPECT_EQ(seen, (std::vector<std::string>{"192.0.2.254", "192.0.2.255", "192.0.3.0", "192.0.3.1",
                                            "255.255.255.254", "255.255.255.255"}));
  IpRangeSet big;
  big.add(range("2001:db8::/64"));
  auto it = big.begin();
  for (int i = 0; i < 70000; ++i)
    ++it;
  EXPECT_EQ(it->toString(), "2001:db8::1:1170");
  EXPECT_EQ(IpRangeSet().begin(), IpRangeSet().end());
}

TEST(IpRangeSet, RandomisedAgainstBruteForce) {
  std::mt19937 random(20261124);
  for (int round = 0; round < 200; ++round) {
    IpRangeSet set;
    std::set<std::uint32_t> truth;
    for (int i = 0; i < 6; ++i) {
      const std::uint32_t a = random() % 200, b = a + random() % 20;
      auto r = IpRange::create(IpAddress::v4(a), IpAddress::v4(b)).value();
      if (random() % 4 == 0) {
        set.remove(r);
        for (auto x = a; x <= b; ++x)
          truth.erase(x);
      } else {
        set.add(r);
        for (auto x = a; x <= b; ++x)
          truth.insert(x);
      }
    }
    EXPECT_EQ(set.size(), AddressCount(truth.size()));
    for (std::uint32_t x = 0; x < 230; ++x) {
      EXPECT_EQ(set.contains(IpAddress::v4(x)), truth.count(x) == 1) << x;
    }
    std::vector<std::uint32_t> iterated;
    for (const auto& address : set)
      iterated.push_back(static_cast<std::uint32_t>(address.toInteger()));
    EXPECT_EQ(iterated, std::vector<std::uint32_t>(truth.begin(), truth.end()));
    for (std::size_t i = 1; i < set.ranges().size(); ++i) {
      // disjoint and not adjacent
      EXPECT_LT(*set.ranges()[i - 1].last().next(), set.ranges()[i].first());
    }
  }
}

}  // namespace
}  // namespace lbd
