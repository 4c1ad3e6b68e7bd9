#include "core/k8s/list_watch.h"

#include <gtest/gtest.h>

#include <sstream>

#include "test_data.h"

namespace lbd::k8s {
namespace {

using namespace std::chrono_literals;
using lbd::testing::readTestData;
using Kind = ListWatchRequest::Kind;

std::string serviceJson(const std::string& name, const std::string& rv) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"demo","resourceVersion":")" + rv +
         R"("},"spec":{"type":"LoadBalancer"}})";
}

std::string event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}";
}

ListPage page(std::string rv, std::string continue_token, std::vector<std::string> items) {
  ListPage result;
  result.resource_version = std::move(rv);
  result.continue_token = std::move(continue_token);
  for (const auto& item : items)
    result.items.push_back(parseJson(item).value());
  return result;
}

class ListWatchTest : public ::testing::Test {
 protected:
  ListWatchTest() {
    cache.addHandlers(
        {[this](const Service& s) { log << "+" << s.meta.name << " "; },
         [this](const Service&, const Service& s) { log << "~" << s.meta.name << " "; },
         [this](const Service& s) { log << "-" << s.meta.name << " "; }, [this] { log << "= "; }});
  }
  InformerCache<Service> cache;
  ListWatch<Service> machine{cache, Backoff(100ms, 10s)};
  std::ostringstream log;
};

TEST_F(ListWatchTest, RecordedPagesThenWatchFromTheListResourceVersion) {
  EXPECT_EQ(machine.start().kind, Kind::List);
  auto next = machine.onListPage(
      decodeListPage(readTestData("k8s/services-10-list-limit2-page1.json")).value());
  EXPECT_EQ(next.kind, Kind::List);
  EXPECT_EQ(next.continue_token,
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjUwLCJzdGFydCI6InN2Yy1iXHUwMDAwIn0");
  EXPECT_FALSE(cache.synced()) << "a partial list must not be applied";
  next = machine.onListPage(
      decodeListPage(readTestData("k8s/services-11-list-limit2-page2.json")).value());
  EXPECT_EQ(next.kind, Kind::List);
  next = machine.onListPage(
      decodeListPage(readTestData("k8s/services-12-list-limit2-page3-last.json")).value());
  EXPECT_EQ(next, (ListWatchRequest{Kind::Watch, "", "250", 0ms}));
  EXPECT_TRUE(cache.synced());
  EXPECT_EQ(cache.objects().size(), 5u);
  EXPECT_EQ(log.str(), "+svc-a +svc-b +svc-c +svc-d +svc-e = ") << "one replace, after all pages";
}

TEST_F(ListWatchTest, ReplaysARecordedWatchStreamWithBookmarks) {
  (void)machine.onListPage(page("272", "", {}));
  LineSplitter splitter;
  const std::string stream = readTestData("k8s/watch-services-bookmarks.jsonl");
  // Feed in awkward pieces: the splitter must reassemble lines across chunks.
  for (std::size_t offset = 0; offset < stream.size(); offset += 97) {
    for (const auto& line : splitter.feed(std::string_view(stream).substr(offset, 97))) {
      EXPECT_FALSE(machine.onWatchLine(line).has_value());
    }
  }
  EXPECT_EQ(splitter.pending(), 0u);
  EXPECT_EQ(log.str(), "= +w1 ~w1 ~w1 ~w1 ~w1 -w1 ");
  EXPECT_TRUE(cache.objects().empty());
  EXPECT_EQ(machine.resourceVersion(), "285") << "bookmarks advance the resume point";
  EXPECT_EQ(machine.counters().events, 8u);
}

TEST_F(ListWatchTest, CleanEndResumesFromLastSeenVersionWithoutDelay) {
  (void)machine.onListPage(page("10", "", {serviceJson("a", "10")}));
  (void)machine.onWatchLine(event("MODIFIED", serviceJson("a", "12")));
  EXPECT_EQ(machine.onWatchEnded(true, 200, 0.5), (ListWatchRequest{Kind::Watch, "", "12", 0ms}));
}

TEST_F(ListWatchTest, FailuresBackOffExponentiallyAndResetAfterSuccess) {
  (void)machine.onListPage(page("10", "", {}));
  EXPECT_EQ(machine.onWatchEnded(false, 0, 1.0).delay, 100ms);
  EXPECT_EQ(machine.onWatchEnded(false, 500, 1.0).delay, 200ms);
  EXPECT_EQ(machine.onWatchEnded(false, 429, 1.0).delay, 400ms);
  auto next = machine.onWatchEnded(false, 0, 0.0);
  EXPECT_EQ(next.kind, Kind::Watch);
  EXPECT_EQ(next.resource_version, "10");
  EXPECT_EQ(next.delay, 400ms);  // ceiling 800 ms, lowest draw
  EXPECT_EQ(machine.onWatchEnded(true, 200, 1.0).delay, 0ms);
  EXPECT_EQ(machine.onWatchEnded(false, 0, 1.0).delay, 100ms)
      << "backoff resets after a clean watch";
  EXPECT_EQ(machine.counters().failures, 5u);
}

TEST_F(ListWatchTest, ExpiredErrorEventRelistsAndTheCacheEmitsTheDifference) {
  (void)machine.onListPage(page("10", "", {serviceJson("a", "10"), serviceJson("b", "10")}));
  log.str("");
  auto relist = machine.onWatchLine(readTestData("k8s/watch-410-expired.jsonl"));
  ASSERT_TRUE(relist.has_value());
  EXPECT_EQ(relist->kind, Kind::List);
  EXPECT_EQ(relist->delay, 0ms);
  // While the watch was down: a changed, b deleted, c created.
  auto next = machine.onListPage(page("40", "", {serviceJson("a", "31"), serviceJson("c", "35")}));
  EXPECT_EQ(next, (ListWatchRequest{Kind::Watch, "", "40", 0ms}));
  EXPECT_EQ(log.str(), "-b ~a +c = ");
  EXPECT_EQ(machine.counters().relists, 1u);
}

TEST_F(ListWatchTest, HttpGoneOnWatchOrContinueRelistsFromScratch) {
  (void)machine.onListPage(page("10", "", {}));
  EXPECT_EQ(machine.onWatchEnded(false, 410, 0.0), (ListWatchRequest{Kind::List, "", "", 0ms}));
  auto first = machine.onListPage(page("11", "tok", {serviceJson("a", "11")}));
  EXPECT_EQ(first.continue_token, "tok");
  // The continue token expired: the partial page is dropped, the list starts over.
  EXPECT_EQ(machine.onListFailed(410, 0.0), (ListWatchRequest{Kind::List, "", "", 0ms}));
  (void)machine.onListPage(page("12", "", {serviceJson("b", "12")}));
  ASSERT_EQ(cache.objects().size(), 1u);
  EXPECT_TRUE(cache.find("demo/b"));
}

TEST_F(ListWatchTest, MalformedObjectsAreCountedSkippedAndReportedOnce) {
  (void)machine.onListPage(page("10", "", {serviceJson("a", "10"), R"({"metadata":{"name":7}})"}));
  EXPECT_EQ(cache.objects().size(), 1u);
  EXPECT_EQ(machine.takeNewMalformedMessage(), "metadata.name is not a string");
  EXPECT_EQ(machine.takeNewMalformedMessage(), std::nullopt);
  EXPECT_FALSE(machine.onWatchLine(event("MODIFIED", R"({"metadata":{"name":7}})")));
  EXPECT_EQ(machine.takeNewMalformedMessage(), std::nullopt) << "same problem: logged once";
  EXPECT_FALSE(machine.onWatchLine("{\"type\":\"ADDED\",\"object\":{\"metad"));  // cut line
  EXPECT_EQ(machine.takeNewMalformedMessage(), "malformed JSON");
  EXPECT_EQ(machine.counters().malformed, 3u);
  EXPECT_EQ(machine.resourceVersion(), "10") << "a bad event must not move the resume point";
}

TEST(LineSplitter, KeepsPartialLinesUntilComplete) {
  LineSplitter splitter;
  EXPECT_TRUE(splitter.feed("{\"a\":").empty());
  EXPECT_EQ(splitter.pending(), 5u);
  EXPECT_EQ(splitter.feed("1}\n{\"b\":2}\n{"),
            (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(splitter.pending(), 1u);
}

}  // namespace
}  // namespace lbd::k8s
