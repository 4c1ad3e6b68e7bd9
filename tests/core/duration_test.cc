#include "core/duration.h"

#include <gtest/gtest.h>

namespace lbd {
namespace {

using namespace std::chrono_literals;

TEST(Duration, Parses) {
  EXPECT_EQ(parseDuration("500ms").value(), 500ms);
  EXPECT_EQ(parseDuration("2s").value(), 2s);
  EXPECT_EQ(parseDuration("1m30s").value(), 90s);
  EXPECT_EQ(parseDuration("1h").value(), 1h);
  EXPECT_EQ(parseDuration("0s").value(), 0ms);
  EXPECT_EQ(parseDuration("1.5s").value(), 1500ms);
  EXPECT_EQ(parseDuration("1h2m3s4ms").value(), 1h + 2min + 3s + 4ms);
}

TEST(Duration, RejectsWithReasons) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "\"\" is not a duration: it is empty (write e.g. \"2s\" or \"500ms\")"},
      {"2", "\"2\" is not a duration: \"2\" has no unit (use h, m, s or ms)"},
      {"-1s", "\"-1s\" is not a duration: it must not be negative"},
      {"2sec", "\"2sec\" is not a duration: unknown unit \"sec\" (use h, m, s or ms)"},
      {"1s1m", "\"1s1m\" is not a duration: units must go from larger to smaller, each once"},
      {"1s1s", "\"1s1s\" is not a duration: units must go from larger to smaller, each once"},
      {"1.0001s", "\"1.0001s\" is not a duration: lbd counts whole milliseconds"},
      {"s", "\"s\" is not a duration: expected a number at \"s\""},
      {"1..2s", "\"1..2s\" is not a duration: expected a number at \"1..2s\""},
      {"99999999999999h", "\"99999999999999h\" is not a duration: it is too long"},
  };
  for (const auto& [input, message] : cases) {
    auto parsed = parseDuration(input);
    ASSERT_FALSE(parsed) << input;
    EXPECT_EQ(parsed.error().message, message) << input;
  }
}

TEST(Duration, FormatsShortestAndRoundTrips) {
  EXPECT_EQ(formatDuration(0ms), "0s");
  EXPECT_EQ(formatDuration(90s), "1m30s");
  EXPECT_EQ(formatDuration(1100ms), "1s100ms");
  EXPECT_EQ(formatDuration(2h), "2h");
  for (auto d : {1ms, 999ms, 1000ms, 61001ms, Duration(3600000 * 25 + 7)}) {
    EXPECT_EQ(parseDuration(formatDuration(d)).value(), d) << formatDuration(d);
  }
}

}  // namespace
}  // namespace lbd
