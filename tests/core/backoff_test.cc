#include "core/backoff.h"

#include <gtest/gtest.h>

namespace lbd {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, GrowsByFactorWithJitterInUpperHalf) {
  Backoff backoff(100ms, 10s);
  EXPECT_EQ(backoff.next(0.0), 50ms);        // ceiling 100ms, lowest draw -> half
  EXPECT_EQ(backoff.next(0.999999), 199ms);  // ceiling 200ms, highest draw (just below 1)
  EXPECT_EQ(backoff.next(0.5), 300ms);       // ceiling 400ms: 200 + 0.5 * 200
  EXPECT_EQ(backoff.failures(), 3u);
}

TEST(Backoff, CapsAtMaximumEvenAfterManyFailures) {
  Backoff backoff(100ms, 5s);
  Duration last{};
  for (int i = 0; i < 10000; ++i)
    last = backoff.next(1.0);
  EXPECT_EQ(last, 5s);
}

TEST(Backoff, ResetStartsOver) {
  Backoff backoff(1s, 30s);
  (void)backoff.next(1.0);
  (void)backoff.next(1.0);
  backoff.reset();
  EXPECT_EQ(backoff.next(1.0), 1s);
}

TEST(TokenBucket, AllowsBurstThenPacesAtQps) {
  const auto start = std::chrono::steady_clock::time_point{};
  TokenBucket bucket(10.0, 3, start);
  EXPECT_EQ(bucket.take(start), 0ms);
  EXPECT_EQ(bucket.take(start), 0ms);
  EXPECT_EQ(bucket.take(start), 0ms);
  EXPECT_EQ(bucket.take(start), 100ms);  // empty: one token per 100 ms at 10 qps
  EXPECT_EQ(bucket.take(start + 50ms), 50ms);
  EXPECT_EQ(bucket.take(start + 100ms), 0ms);
}

TEST(TokenBucket, RefillNeverExceedsBurst) {
  const auto start = std::chrono::steady_clock::time_point{};
  TokenBucket bucket(100.0, 2, start);
  const auto later = start + 1h;
  EXPECT_EQ(bucket.take(later), 0ms);
  EXPECT_EQ(bucket.take(later), 0ms);
  EXPECT_GT(bucket.take(later), 0ms);
}

}  // namespace
}  // namespace lbd
