#include "core/bytes.h"

#include <gtest/gtest.h>

namespace lbd {
namespace {

TEST(ByteReader, ReadsNetworkOrder) {
  const std::vector<std::uint8_t> data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  ByteReader in(data);
  EXPECT_EQ(in.u8(), 0x01);
  EXPECT_EQ(in.u16(), 0x0203);
  EXPECT_EQ(in.u32(), 0x04050607u);
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_EQ(in.offset(), 7u);
}

TEST(ByteReader, OverrunFailsStickyAndYieldsZeros) {
  const std::vector<std::uint8_t> data{0xaa, 0xbb, 0xcc};
  ByteReader in(data);
  EXPECT_EQ(in.u16(), 0xaabb);
  EXPECT_EQ(in.u16(), 0);  // one byte left: fails, reads nothing
  EXPECT_FALSE(in.ok());
  EXPECT_EQ(in.u8(), 0);  // even though a byte remains, the reader stays failed
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_TRUE(in.take(1).empty());
}

TEST(ByteReader, TakeAndRestAreViews) {
  const std::vector<std::uint8_t> data{1, 2, 3, 4, 5};
  ByteReader in(data);
  const auto two = in.take(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two.data(), data.data());
  in.skip(1);
  const auto rest = in.rest();
  EXPECT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0], 4);
  EXPECT_TRUE(in.ok());
  in.skip(1);
  EXPECT_FALSE(in.ok());
}

TEST(ByteWriter, WritesNetworkOrder) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u8(1);
  w.u16(0x0203);
  w.u32(0x04050607u);
  w.zeros(2);
  const std::uint8_t tail[] = {9, 9};
  w.bytes(tail);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 0, 0, 9, 9}));
  EXPECT_EQ(w.size(), 11u);
}

}  // namespace
}  // namespace lbd
