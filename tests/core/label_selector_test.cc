#include "core/label_selector.h"

#include <gtest/gtest.h>

namespace lbd {
namespace {

LabelSelector selector(const char* text) {
  auto parsed = LabelSelector::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed.value_or(LabelSelector());
}

TEST(LabelSelector, KubernetesSemantics) {
  const Labels web{{"app", "web"}, {"tier", "front"}};
  const Labels db{{"app", "db"}};
  const Labels none{};
  struct Case {
    const char* selector;
    bool web, db, none;
  };
  const Case cases[] = {
      {"", true, true, true},
      {"app=web", true, false, false},
      {"app==web", true, false, false},
      {"app!=web", false, true, true},  // absent label matches !=
      {"app in (web, db)", true, true, false},
      {"app notin (web)", false, true, true},
      {"tier", true, false, false},
      {"!tier", false, true, true},
      {"app=web,tier=front", true, false, false},
      {" app = web , !canary ", true, false, false},
      {"example.com/team=x", false, false, false},
  };
  for (const auto& c : cases) {
    const auto s = selector(c.selector);
    EXPECT_EQ(s.matches(web), c.web) << c.selector;
    EXPECT_EQ(s.matches(db), c.db) << c.selector;
    EXPECT_EQ(s.matches(none), c.none) << c.selector;
  }
  EXPECT_TRUE(selector("").empty());
}

TEST(LabelSelector, CanonicalTextRoundTrips) {
  EXPECT_EQ(selector("tier in (b, a, a),app=web,!x").toString(), "app=web,tier in (a,b),!x");
  for (const char* text :
       {"app=web", "a!=", "k notin (x,y)", "example.com/k", "!k", "a=b,c in (d)"}) {
    const auto once = selector(text);
    EXPECT_EQ(selector(once.toString().c_str()), once) << text;
  }
}

TEST(LabelSelector, ErrorsSayWhereAndWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"app=web,", "invalid label selector \"app=web,\": expected a label key at position 9"},
      {"app web",
       "invalid label selector \"app web\": expected '=', '==', '!=', 'in' or 'notin' after "
       "\"app\" at position 8"},
      {"app in web", "invalid label selector \"app in web\": expected '(' at position 8"},
      {"app in (a b)",
       "invalid label selector \"app in (a b)\": expected ',' or ')' in the value set at position "
       "11"},
      {"-app=x",
       "invalid label key \"-app\": the name must be 1-63 characters of [A-Za-z0-9-_.], starting "
       "and ending alphanumeric"},
      {"Example.com/app=x",
       "invalid label key \"Example.com/app\": prefix \"Example.com\" is not a DNS subdomain"},
      {"app=-x",
       "invalid label value \"-x\": at most 63 characters of [A-Za-z0-9-_.], starting and ending "
       "alphanumeric"},
      {"app=x)", "invalid label selector \"app=x)\": expected ',' or the end at position 6"},
  };
  for (const auto& [input, message] : cases) {
    auto parsed = LabelSelector::parse(input);
    ASSERT_FALSE(parsed) << input;
    EXPECT_EQ(parsed.error().message, message) << input;
  }
  EXPECT_FALSE(LabelSelector::parse(std::string(64, 'a') + "=x"));
  EXPECT_TRUE(LabelSelector::parse(std::string(63, 'a') + "=x"));
}

}  // namespace
}  // namespace lbd
