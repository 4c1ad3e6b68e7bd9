#include "core/mac_address.h"

#include <gtest/gtest.h>

namespace lbd {
namespace {

TEST(MacAddress, ParsesAndPrints) {
  auto mac = MacAddress::parse("02:00:00:00:0A:01");
  ASSERT_TRUE(mac) << mac.error().message;
  EXPECT_EQ(mac->toString(), "02:00:00:00:0a:01");
  EXPECT_EQ(mac->bytes(), (MacAddress::Bytes{0x02, 0, 0, 0, 0x0a, 0x01}));
  EXPECT_EQ(MacAddress::parse("02-00-00-00-0a-01").value(), mac.value());
  EXPECT_EQ(MacAddress().toString(), "00:00:00:00:00:00");
}

TEST(MacAddress, RejectsMalformedText) {
  for (const char* text :
       {"", "02:00:00:00:0a", "02:00:00:00:0a:01:02", "02:00:00:00:0a:0g", "02:00-00:00:0a:01",
        "2:00:00:00:0a:01", "02:00:00:00:0a:1 ", "020000000a01"}) {
    auto mac = MacAddress::parse(text);
    ASSERT_FALSE(mac) << text;
    EXPECT_NE(mac.error().message.find("is not a MAC address"), std::string::npos);
  }
}

TEST(MacAddress, Kinds) {
  EXPECT_TRUE(MacAddress::broadcast().isBroadcast());
  EXPECT_TRUE(MacAddress::broadcast().isMulticast());
  EXPECT_TRUE(MacAddress::parse("33:33:ff:00:00:02")->isMulticast());
  EXPECT_TRUE(MacAddress::parse("01:00:5e:00:00:01")->isMulticast());
  EXPECT_FALSE(MacAddress::parse("02:00:00:00:0a:01")->isMulticast());
  EXPECT_TRUE(MacAddress().isZero());
  EXPECT_FALSE(MacAddress::broadcast().isZero());
  EXPECT_LT(MacAddress(), MacAddress::broadcast());
}

}  // namespace
}  // namespace lbd
