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
  EXPECT_EQ(machine.onListFailed(500, "", 1.0).delay, 200ms);
  EXPECT_EQ(machine.onListFailed(429, "", 1.0).delay, 400ms);
  auto next = machine.onListFailed(0, "", 0.0);
  EXPECT_EQ(next.kind, Kind::List);
  EXPECT_EQ(next.resource_version, "10") << "still not older than what the cache holds";
  EXPECT_EQ(next.delay, 400ms);  // ceiling 800 ms, lowest draw
  EXPECT_EQ(machine.onListPage(page("11", "", {})), (ListWatchRequest{Kind::Watch, "", "11", 0ms}));
  EXPECT_EQ(machine.onWatchEnded(true, 200, 1.0), (ListWatchRequest{Kind::Watch, "", "11", 0ms}));
  EXPECT_EQ(machine.onWatchEnded(false, 0, 1.0).delay, 100ms)
      << "backoff resets after a successful list";
  EXPECT_EQ(machine.counters().failures, 5u);
}

TEST_F(ListWatchTest, ABrokenWatchListsAgainNotOlderThanTheLastVersionSeen) {
  (void)machine.onListPage(page("10", "", {serviceJson("a", "10"), serviceJson("b", "10")}));
  (void)machine.onWatchLine(event("MODIFIED", serviceJson("a", "12")));
  log.str("");
  // Resuming the watch could be silent forever (a version in the server's future): list.
  EXPECT_EQ(machine.onWatchEnded(false, 0, 1.0), (ListWatchRequest{Kind::List, "", "12", 100ms}));
  auto next = machine.onListPage(page("15", "", {serviceJson("a", "12"), serviceJson("c", "14")}));
  EXPECT_EQ(next, (ListWatchRequest{Kind::Watch, "", "15", 0ms}));
  EXPECT_EQ(log.str(), "-b +c = ") << "a is unchanged: no event for it";
  EXPECT_EQ(machine.counters().server_behind, 0u);
}

TEST_F(ListWatchTest, AnErrorEventIsAFailedWatchNotACleanEnd) {
  (void)machine.onListPage(page("10", "", {}));
  EXPECT_FALSE(machine.onWatchLine(
      R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: leader changed","reason":"InternalError","code":500}})"));
  EXPECT_EQ(machine.onWatchEnded(true, 200, 1.0), (ListWatchRequest{Kind::List, "", "10", 100ms}));
  EXPECT_EQ(machine.counters().failures, 1u) << "counted once, at the ERROR event";
}

// The recorded answer of kube-apiserver 1.28 to a LIST at a version it has not reached
// (k8s-api-samples 05-compaction/12-list-future-rv), as after an etcd restore from backup.
constexpr const char* kTooLargeResourceVersion =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: Too large resource version: 1449, current: 449","reason":"Timeout","details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1},"code":504})"
    "\n";

TEST_F(ListWatchTest, ServerBehindOurVersionMeansAListFromScratch) {
  (void)machine.onListPage(page("1449", "", {serviceJson("a", "1400"), serviceJson("b", "1449")}));
  log.str("");
  auto next = machine.onWatchEnded(false, 0, 0.0);
  ASSERT_EQ(next.resource_version, "1449");
  next = machine.onListFailed(504, kTooLargeResourceVersion, 0.0);
  EXPECT_EQ(next, (ListWatchRequest{Kind::List, "", "", 0ms})) << "no version: a consistent read";
  EXPECT_EQ(machine.counters().server_behind, 1u);
  // The restored cluster: b never existed, a is older, c is new; versions went back.
  next = machine.onListPage(page("449", "", {serviceJson("a", "300"), serviceJson("c", "449")}));
  EXPECT_EQ(next, (ListWatchRequest{Kind::Watch, "", "449", 0ms}));
  EXPECT_EQ(log.str(), "-b ~a +c = ");
}

TEST_F(ListWatchTest, OnlyTheTooLargeCauseOrGoneAbandonOurVersion) {
  (void)machine.onListPage(page("10", "", {}));
  (void)machine.onWatchEnded(false, 0, 0.0);
  // A 504 for another reason (the request's own timeout) is retried as it was.
  const std::string timeout =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: request did not complete within requested timeout - context deadline exceeded","reason":"Timeout","details":{},"code":504})";
  EXPECT_EQ(machine.onListFailed(504, timeout, 1.0).resource_version, "10");
  EXPECT_EQ(machine.onListFailed(504, "not json", 1.0).resource_version, "10");
  EXPECT_EQ(machine.onListFailed(410, "", 1.0), (ListWatchRequest{Kind::List, "", "", 0ms}));
  EXPECT_EQ(machine.counters().server_behind, 0u);
  EXPECT_FALSE(resourceVersionTooLarge(500, kTooLargeResourceVersion));
  EXPECT_TRUE(resourceVersionUnusable(504, kTooLargeResourceVersion));
}

TEST_F(ListWatchTest, ExpiredErrorEventRelistsAndTheCacheEmitsTheDifference) {
  (void)machine.onListPage(page("10", "", {serviceJson("a", "10"), serviceJson("b", "10")}));
  log.str("");
  auto relist = machine.onWatchLine(readTestData("k8s/watch-410-expired.jsonl"));
  ASSERT_TRUE(relist.has_value());
  EXPECT_EQ(*relist, (ListWatchRequest{Kind::List, "", "10", 0ms}))
      << "as client-go: the current state, not older than ours";
  // While the watch was down: a changed, b deleted, c created.
  auto next = machine.onListPage(page("40", "", {serviceJson("a", "31"), serviceJson("c", "35")}));
  EXPECT_EQ(next, (ListWatchRequest{Kind::Watch, "", "40", 0ms}));
  EXPECT_EQ(log.str(), "-b ~a +c = ");
  EXPECT_EQ(machine.counters().relists, 1u);
}

TEST_F(ListWatchTest, HttpGoneOnWatchOrContinueRelists) {
  (void)machine.onListPage(page("10", "", {}));
  EXPECT_EQ(machine.onWatchEnded(false, 410, 0.0), (ListWatchRequest{Kind::List, "", "10", 0ms}));
  EXPECT_EQ(machine.onListFailed(410, "", 0.0), (ListWatchRequest{Kind::List, "", "", 0ms}));
  auto first = machine.onListPage(page("11", "tok", {serviceJson("a", "11")}));
  EXPECT_EQ(first.continue_token, "tok");
  // The continue token expired: the partial page is dropped, the list starts over.
  EXPECT_EQ(machine.onListFailed(410, "", 0.0), (ListWatchRequest{Kind::List, "", "", 0ms}));
  (void)machine.onListPage(page("12", "", {serviceJson("b", "12")}));
  ASSERT_EQ(cache.objects().size(), 1u);
  EXPECT_TRUE(cache.find("demo/b"));
}

std::string serviceWithUid(const std::string& name, const std::string& rv, const std::string& uid) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"demo","uid":")" + uid +
         R"(","resourceVersion":")" + rv + R"("},"spec":{"type":"LoadBalancer"}})";
}

TEST_F(ListWatchTest, AnotherUidUnderTheSameNameIsADeleteAndAnAdd) {
  (void)machine.onListPage(page("10", "", {serviceWithUid("a", "10", "u1")}));
  log.str("");
  // The DELETED was lost; an ADDED of the new object arrives.
  (void)machine.onWatchLine(event("ADDED", serviceWithUid("a", "12", "u2")));
  EXPECT_EQ(log.str(), "-a +a ");
  EXPECT_EQ(cache.find("demo/a")->meta.uid, "u2");
  // And by a relist.
  (void)machine.onWatchEnded(false, 0, 0.0);
  (void)machine.onListPage(page("20", "", {serviceWithUid("a", "18", "u3")}));
  EXPECT_EQ(log.str(), "-a +a -a +a = ");
  EXPECT_EQ(machine.counters().uid_changes, 2u);
}

TEST_F(ListWatchTest, ResyncComparesWithTheCacheAndCountsWhatTheWatchMissed) {
  (void)machine.onListPage(
      page("10", "", {serviceJson("a", "5"), serviceJson("b", "8"), serviceJson("c", "10")}));
  (void)machine.onWatchLine(
      R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"20"}}})");
  log.str("");
  EXPECT_EQ(machine.onResyncDue(), (ListWatchRequest{Kind::List, "", "", 0ms}));
  // The server at 25: b was deleted at 15 (event lost), d created at 12 (lost), c changed at 22
  // (after the bookmark: news, not a miss).
  auto next = machine.onListPage(
      page("25", "", {serviceJson("a", "5"), serviceJson("c", "22"), serviceJson("d", "12")}));
  EXPECT_EQ(next, (ListWatchRequest{Kind::Watch, "", "25", 0ms}));
  EXPECT_EQ(log.str(), "-b ~c +d = ") << "repaired";
  auto report = machine.takeNewRepairReport();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->describe(), "1 missing (demo/d)")
      << "b may have been deleted after 20: no proof of a miss";
  EXPECT_EQ(machine.counters().repaired, 1u);
  EXPECT_EQ(machine.counters().resyncs, 1u);
  EXPECT_EQ(machine.takeNewRepairReport(), std::nullopt);
  // A resync that finds nothing.
  (void)machine.onResyncDue();
  (void)machine.onListPage(
      page("25", "", {serviceJson("a", "5"), serviceJson("c", "22"), serviceJson("d", "12")}));
  EXPECT_EQ(machine.takeNewRepairReport()->total(), 0u);
  EXPECT_EQ(machine.counters().repaired, 1u);
}

TEST(CacheDivergence, WhenTheServerWentBackEveryDifferenceCounts) {
  auto service = [](std::string name, std::string rv, std::string uid) {
    Service s;
    s.meta.namespace_ = "demo";
    s.meta.name = std::move(name);
    s.meta.resource_version = std::move(rv);
    s.meta.uid = std::move(uid);
    return s;
  };
  std::map<std::string, Service> cache;
  for (auto s : {service("a", "40", "u1"), service("b", "50", "u2"), service("x", "45", "u9")})
    cache.emplace(s.meta.key(), s);
  // Restored at 30: a is older, b has the same version but is another object, x is gone.
  const std::vector<Service> listed = {service("a", "20", "u1"), service("b", "50", "u7"),
                                       service("n", "30", "u8")};
  const auto found = compareCacheWithList(cache, "50", listed, "30");
  EXPECT_TRUE(found.went_back);
  EXPECT_EQ(found.describe(), "1 missing (demo/n), 2 stale (demo/a, demo/b), 1 extra (demo/x)");
  // Versions that are not numbers cannot be ordered: every difference counts too.
  EXPECT_EQ(compareCacheWithList(cache, "opaque", listed, "30").total(), 4u);
  EXPECT_EQ(compareCacheWithList(cache, "50", {}, "50").describe(),
            "3 extra (demo/a, demo/b, demo/x)");
  EXPECT_EQ(parseResourceVersion("18446744073709551615"), 18446744073709551615u);
  EXPECT_EQ(parseResourceVersion("12a"), std::nullopt);
  EXPECT_EQ(parseResourceVersion(""), std::nullopt);
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
