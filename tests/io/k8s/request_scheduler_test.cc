// The request scheduler on a real io_context with a fake transport that holds answers until
// the test gives them: bounded in flight, classes in order, Lease slots of their own, 429 +
// Retry-After, requests built only when sent, fencing, retries, bounded Event queue.

#include "io/k8s/request_scheduler.h"

#include <gtest/gtest.h>

#include <deque>

namespace lbd::k8s {
namespace {

using namespace std::chrono_literals;

struct Sent {
  OutgoingRequest request;
  ResponseCallback answer;
};

class RequestSchedulerTest : public ::testing::Test {
 protected:
  RequestSchedulerOptions options(std::uint32_t bulk, std::uint32_t lease) {
    RequestSchedulerOptions o;
    o.limits.max_in_flight = bulk;
    o.limits.lease_in_flight = lease;
    return o;
  }
  void make(RequestSchedulerOptions o) {
    scheduler = std::make_unique<RequestScheduler>(
        io, o, [this](const OutgoingRequest& request, ResponseCallback answer) {
          sent.push_back({request, std::move(answer)});
        });
  }
  BuildRequest request(std::string path, std::string method = "PATCH") {
    return [this, path, method] {
      ++builds;
      return std::optional<OutgoingRequest>(
          OutgoingRequest{method, path, "{}", "", {}, std::nullopt});
    };
  }
  ResponseCallback record(std::string name) {
    return [this, name](ApiResponse response) { answers.emplace_back(name, response); };
  }
  void reply(std::size_t i, int status, std::chrono::milliseconds retry_after = 0ms) {
    ApiResponse response;
    response.status = status;
    response.retry_after = retry_after;
    auto answer = std::move(sent.at(i).answer);
    sent.at(i).answer = nullptr;
    answer(response);
  }
  void spin(std::chrono::milliseconds for_how_long = 20ms) {
    io.restart();
    io.run_for(for_how_long);
  }
  std::size_t open() const {
    std::size_t n = 0;
    for (const auto& s : sent)
      n += s.answer ? 1 : 0;
    return n;
  }

  boost::asio::io_context io;
  std::unique_ptr<RequestScheduler> scheduler;
  std::deque<Sent> sent;
  std::vector<std::pair<std::string, ApiResponse>> answers;
  int builds = 0;
};

TEST_F(RequestSchedulerTest, KeepsAtMostTheLimitInFlightAndBuildsOnlyWhatItSends) {
  make(options(4, 2));
  for (int i = 0; i < 100; ++i) {
    scheduler->submit(RequestClass::Status, request("/s/" + std::to_string(i)), record("s"));
  }
  EXPECT_EQ(sent.size(), 4u);
  EXPECT_EQ(builds, 4);  // the other 96 are decisions, not requests
  auto stats = scheduler->stats();
  EXPECT_EQ(stats.classes[index(RequestClass::Status)].queued, 96u);
  EXPECT_EQ(stats.classes[index(RequestClass::Status)].in_flight, 4u);
  reply(0, 200);
  EXPECT_EQ(sent.size(), 5u);
  EXPECT_EQ(open(), 4u);
  EXPECT_EQ(sent[4].request.path, "/s/4");  // FIFO within a class
}

TEST_F(RequestSchedulerTest, LeaseRequestsGoAheadOfABacklogWithSlotsOfTheirOwn) {
  make(options(2, 1));
  for (int i = 0; i < 10; ++i)
    scheduler->submit(RequestClass::Status, request("/s"), record("s"));
  scheduler->submit(RequestClass::Lease, request("/lease", "PUT"), record("lease"));
  ASSERT_EQ(sent.size(), 3u);  // two status writes and, at once, the renewal
  EXPECT_EQ(sent[2].request.path, "/lease");
  reply(2, 200);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].first, "lease");
}

TEST_F(RequestSchedulerTest, AFreedSlotGoesToTheFirstClassWithWork) {
  make(options(1, 1));
  scheduler->submit(RequestClass::Status, request("/first"), record("s"));
  scheduler->submit(RequestClass::Event, request("/api/v1/namespaces/a/events", "POST"),
                    record("e"));
  scheduler->submit(RequestClass::Status, request("/second"), record("s"));
  scheduler->submit(RequestClass::Read, request("/read", "GET"), record("r"));
  reply(0, 200);
  reply(1, 200);
  reply(2, 200);
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[1].request.path, "/read");
  EXPECT_EQ(sent[2].request.path, "/second");
  EXPECT_EQ(sent[3].request.method, "POST");
}

TEST_F(RequestSchedulerTest, A429HoldsTheClassForRetryAfterThenResendsThatRequestFirst) {
  make(options(2, 1));
  scheduler->submit(RequestClass::Status, request("/a"), record("a"));
  scheduler->submit(RequestClass::Status, request("/b"), record("b"));
  scheduler->submit(RequestClass::Status, request("/c"), record("c"));
  const auto refused_at = std::chrono::steady_clock::now();
  reply(0, 429, 300ms);
  EXPECT_EQ(sent.size(), 2u);  // held: nothing new of this class
  // Another class is not held.
  scheduler->submit(RequestClass::Lease, request("/lease", "PUT"), record("lease"));
  EXPECT_EQ(sent.size(), 3u);
  auto stats = scheduler->stats();
  EXPECT_TRUE(stats.throttled);
  EXPECT_EQ(stats.classes[index(RequestClass::Status)].refused, 1u);
  EXPECT_NE(stats.last_refused.find("PATCH /a (status)"), std::string::npos);
  while (sent.size() < 4 && std::chrono::steady_clock::now() - refused_at < 2s)
    spin();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_GE(std::chrono::steady_clock::now() - refused_at, 300ms);
  EXPECT_EQ(sent[3].request.path, "/a");  // the refused request before /c
  EXPECT_TRUE(answers.empty());           // a 429 is not an answer to the caller
}

TEST_F(RequestSchedulerTest, AStaleDecisionIsDroppedNotSentLate) {
  make(options(1, 1));
  bool leader = true;
  auto fenced = [&]() -> std::optional<OutgoingRequest> {
    if (!leader) return std::nullopt;
    return OutgoingRequest{"PATCH", "/fenced", "{}", "", {}, std::nullopt};
  };
  scheduler->submit(RequestClass::Status, request("/busy"), record("busy"));
  scheduler->submit(RequestClass::Status, fenced, record("fenced"));
  leader = false;  // leadership lost while the write waited
  reply(0, 200);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1].first, "fenced");
  EXPECT_TRUE(answers[1].second.dropped);
  EXPECT_EQ(scheduler->stats().classes[index(RequestClass::Status)].fenced, 1u);
}

TEST_F(RequestSchedulerTest, RetriesServerErrorsWithoutHoldingASlotAndRebuildsEachTime) {
  auto o = options(1, 1);
  o.max_attempts = 3;
  make(o);
  scheduler->submit(RequestClass::Status, request("/flaky"), record("flaky"));
  scheduler->submit(RequestClass::Status, request("/other"), record("other"));
  reply(0, 503);
  // While /flaky waits out its backoff, /other uses the slot.
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].request.path, "/other");
  reply(1, 200);
  for (int i = 0; i < 200 && sent.size() < 3; ++i)
    spin();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2].request.path, "/flaky");
  EXPECT_EQ(builds, 3);
  reply(2, 500);
  for (int i = 0; i < 200 && sent.size() < 4; ++i)
    spin();
  ASSERT_EQ(sent.size(), 4u);
  reply(3, 500);  // third attempt: final
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1].second.status, 500);
  EXPECT_EQ(scheduler->stats().classes[index(RequestClass::Status)].failed, 1u);
}

TEST_F(RequestSchedulerTest, ASingleAttemptRequestGetsItsFailureAtOnce) {
  // A heartbeat is renewed again on its own schedule: a retry backoff would only make the next
  // renewal late (after an API outage, peers judged the owner dead meanwhile).
  make(options(2, 2));
  scheduler->submit(RequestClass::Lease, request("/lease", "PUT"), record("heartbeat"), 1);
  reply(0, 503);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].second.status, 503);
  spin(300ms);
  EXPECT_EQ(sent.size(), 1u);  // not sent again
}

TEST_F(RequestSchedulerTest, AConflictIsAnAnswerNotAFailure) {
  make(options(2, 2));
  scheduler->submit(RequestClass::Lease, request("/lease", "PUT"), record("lease"));
  reply(0, 409);  // the caller reads again: normal optimistic concurrency
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].second.status, 409);
  EXPECT_EQ(scheduler->stats().classes[index(RequestClass::Lease)].failed, 0u);
  EXPECT_EQ(sent.size(), 1u);  // and it is not retried by the scheduler
}

TEST_F(RequestSchedulerTest, AFullEventQueueRefusesMoreAndCountsThem) {
  auto o = options(1, 1);
  o.max_queued[index(RequestClass::Event)] = 3;
  make(o);
  scheduler->submit(RequestClass::Status, request("/busy"), record("busy"));
  for (int i = 0; i < 5; ++i) {
    scheduler->submit(RequestClass::Event, request("/e", "POST"), record("e"));
  }
  spin();
  EXPECT_EQ(scheduler->stats().classes[index(RequestClass::Event)].dropped, 2u);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_TRUE(answers[0].second.dropped);
}

TEST_F(RequestSchedulerTest, ClientSideRateIsHonouredForBulkClasses) {
  auto o = options(100, 4);
  o.limits.qps = 20;
  o.limits.burst = 1;
  make(o);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i)
    scheduler->submit(RequestClass::Status, request("/s"), record("s"));
  EXPECT_EQ(sent.size(), 1u);
  while (sent.size() < 3 && std::chrono::steady_clock::now() - start < 2s)
    spin();
  EXPECT_EQ(sent.size(), 3u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);  // two more tokens at 20/s
}

}  // namespace
}  // namespace lbd::k8s
