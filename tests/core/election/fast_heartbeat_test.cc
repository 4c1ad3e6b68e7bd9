// The direct heartbeat datagram (authenticated, replay-checked) and who is found silent.
#include "core/election/fast_heartbeat.h"

#include <gtest/gtest.h>

#include "core/sha256.h"

namespace lbd::election {
namespace {

using namespace std::chrono_literals;

const MonotonicTime kT0 = MonotonicTime() + 1000h;
constexpr std::string_view kKey = "a shared secret of the segment";

std::string hex(const std::array<std::uint8_t, 32>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto byte : bytes) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
  }
  return out;
}

TEST(HmacSha256, MatchesRfc4231) {
  // RFC 4231 test cases 1 and 2 (and 6: a key longer than the block is hashed first).
  EXPECT_EQ(hex(hmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(hmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(FastHeartbeatCodec, RoundTripsAndHasTheDocumentedLayout) {
  const FastHeartbeat beat{"worker-1.example", 0x0102030405060708ull, 42};
  const auto bytes = encodeFastHeartbeat(beat, kKey);
  ASSERT_EQ(bytes.size(), 4u + 2 + beat.node.size() + 8 + 8 + kFastTagSize);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "LBDH");
  EXPECT_EQ(bytes[4], 1);
  EXPECT_EQ(bytes[5], beat.node.size());
  auto decoded = decodeFastHeartbeat(bytes, kKey);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded.value(), beat);
}

TEST(FastHeartbeatCodec, AnotherKeyOrAnyFlippedBitIsAForgery) {
  const auto bytes = encodeFastHeartbeat({"h1", 7, 1}, kKey);
  auto wrong_key = decodeFastHeartbeat(bytes, "not the key");
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error(), FastRejection::BadTag);
  for (std::size_t i = 6; i < bytes.size(); ++i) {  // past magic, version and length
    auto altered = bytes;
    altered[i] ^= 0x01;
    auto decoded = decodeFastHeartbeat(altered, kKey);
    ASSERT_FALSE(decoded) << "byte " << i;
    EXPECT_EQ(decoded.error(), FastRejection::BadTag) << "byte " << i;
  }
}

TEST(FastHeartbeatCodec, WhatIsNotAHeartbeatIsMalformed) {
  const auto good = encodeFastHeartbeat({"h1", 7, 1}, kKey);
  std::vector<std::vector<std::uint8_t>> bad = {
      {}, {'L', 'B', 'D', 'H'}, std::vector<std::uint8_t>(good.begin(), good.end() - 1),  // cut
  };
  auto longer = good;
  longer.push_back(0);
  bad.push_back(longer);
  auto magic = good;
  magic[0] = 'X';
  bad.push_back(magic);
  auto version = good;
  version[4] = 2;
  bad.push_back(version);
  auto length = good;
  length[5] = 0;
  bad.push_back(length);
  for (const auto& datagram : bad) {
    auto decoded = decodeFastHeartbeat(datagram, kKey);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error(), FastRejection::Malformed);
  }
}

TEST(FastLiveness, ASenderIsSilentAfterMissesTimesTheIntervalAndBackWhenHeard) {
  FastLiveness liveness(100ms, 3);
  EXPECT_TRUE(liveness.accept({"h1", 1, 1}, kT0).value()) << "first heard";
  EXPECT_TRUE(liveness.accept({"h2", 9, 1}, kT0).value());
  EXPECT_FALSE(liveness.accept({"h1", 1, 2}, kT0 + 100ms).value());
  EXPECT_FALSE(liveness.accept({"h2", 9, 2}, kT0 + 250ms).value());
  EXPECT_TRUE(liveness.silent(kT0 + 399ms).empty());
  EXPECT_EQ(liveness.nextSilence(kT0 + 399ms), kT0 + 400ms);
  using Silent = std::vector<std::pair<std::string, MonotonicTime>>;
  EXPECT_EQ(liveness.silent(kT0 + 400ms), (Silent{{"h1", kT0 + 400ms}}));
  // h1 is back: reported as such once.
  EXPECT_TRUE(liveness.accept({"h1", 1, 3}, kT0 + 500ms).value());
  EXPECT_FALSE(liveness.accept({"h1", 1, 4}, kT0 + 600ms).value());
  EXPECT_TRUE(liveness.silent(kT0 + 540ms).empty()) << "h2: heard at 250 ms, silent from 550 ms";
  // A sender that left is forgotten, not silent.
  liveness.forget("h1");
  EXPECT_TRUE(liveness.silent(kT0 + 1s).empty())
      << "h2 is the only sender left, and silent: we hear nobody, so nobody is judged";
}

TEST(FastLiveness, AHostThatHearsNobodyJudgesNobody) {
  FastLiveness liveness(100ms, 3);
  for (const char* node : {"h1", "h2", "h3"})
    ASSERT_TRUE(liveness.accept({node, 1, 1}, kT0));
  ASSERT_TRUE(liveness.accept({"h1", 1, 2}, kT0 + 250ms));
  using Silent = std::vector<std::pair<std::string, MonotonicTime>>;
  EXPECT_EQ(liveness.silent(kT0 + 300ms), (Silent{{"h2", kT0 + 300ms}, {"h3", kT0 + 300ms}}));
  // h1 falls silent too: this host is the one cut off, most likely.
  EXPECT_TRUE(liveness.silent(kT0 + 550ms).empty());
}

TEST(FastLiveness, ReplaysAndRetiredBootsAreRejected) {
  FastLiveness liveness(100ms, 3);
  ASSERT_TRUE(liveness.accept({"h1", 111, 5}, kT0));
  for (std::uint64_t sequence : {5u, 4u, 1u}) {
    auto replay = liveness.accept({"h1", 111, sequence}, kT0 + 10ms);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error(), FastRejection::Replayed);
  }
  // h1 restarted: a new boot id starts again at 1.
  ASSERT_TRUE(liveness.accept({"h1", 222, 1}, kT0 + 20ms));
  auto old_boot = liveness.accept({"h1", 111, 99}, kT0 + 30ms);
  ASSERT_FALSE(old_boot);
  EXPECT_EQ(old_boot.error(), FastRejection::Replayed);
  EXPECT_TRUE(liveness.accept({"h1", 222, 2}, kT0 + 40ms));
  EXPECT_EQ(liveness.lastHeard("h1"), kT0 + 40ms);
}

}  // namespace
}  // namespace lbd::election
