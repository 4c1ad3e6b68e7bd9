#include "core/k8s/event_aggregator.h"

#include <gtest/gtest.h>

namespace lbd::k8s {
namespace {

EventSpec failure(std::string service, std::string message = "pool \"a\" is exhausted") {
  EventSpec spec;
  spec.namespace_ = "demo";
  spec.involved_name = std::move(service);
  spec.involved_uid = "uid-" + spec.involved_name;
  spec.type = "Warning";
  spec.reason = "AllocationFailed";
  spec.message = std::move(message);
  spec.reporting_instance = "node-a";
  return spec;
}

TEST(EventAggregator, FirstOccurrenceCreatesAnEventNamedAfterTheObject) {
  EventAggregator events;
  const auto write = events.next(failure("web"), "17f0a");
  EXPECT_TRUE(write.create);
  EXPECT_EQ(write.name, "web.17f0a");
  EXPECT_EQ(write.count, 1);
}

TEST(EventAggregator, RepeatsPatchTheSameEventWithAGrowingCount) {
  EventAggregator events;
  auto write = events.next(failure("web"), "1");
  events.written(failure("web"), write);
  for (std::int32_t expected = 2; expected <= 4; ++expected) {
    write = events.next(failure("web"), "ignored");
    EXPECT_FALSE(write.create);
    EXPECT_EQ(write.name, "web.1");
    EXPECT_EQ(write.count, expected);
    events.written(failure("web"), write);
  }
}

TEST(EventAggregator, UnacceptedWritesDoNotCount) {
  EventAggregator events;
  events.written(failure("web"), events.next(failure("web"), "1"));
  (void)events.next(failure("web"), "2");  // the patch failed: never reported as written
  EXPECT_EQ(events.next(failure("web"), "3").count, 2);
}

TEST(EventAggregator, ADifferentMessageReasonObjectOrUidIsADifferentEvent) {
  EventAggregator events;
  events.written(failure("web"), events.next(failure("web"), "1"));
  EXPECT_TRUE(events.next(failure("web", "IP 192.0.2.1 is in use"), "2").create);
  EXPECT_TRUE(events.next(failure("db"), "2").create);
  auto recreated = failure("web");
  recreated.involved_uid = "uid-2";
  EXPECT_TRUE(events.next(recreated, "2").create);
  auto other_reason = failure("web");
  other_reason.reason = "IPAllocated";
  EXPECT_TRUE(events.next(other_reason, "2").create);
}

TEST(EventAggregator, ForgottenEventsStartOver) {
  EventAggregator events;
  events.written(failure("web"), events.next(failure("web"), "1"));
  events.forget(failure("web"));
  const auto write = events.next(failure("web"), "2");
  EXPECT_TRUE(write.create);
  EXPECT_EQ(write.name, "web.2");
}

TEST(EventAggregator, LeastRecentlyWrittenIsDroppedAtCapacity) {
  EventAggregator events(2);
  events.written(failure("a"), events.next(failure("a"), "1"));
  events.written(failure("b"), events.next(failure("b"), "1"));
  events.written(failure("a"), events.next(failure("a"), "x"));  // a is now the most recent
  events.written(failure("c"), events.next(failure("c"), "1"));  // evicts b
  EXPECT_EQ(events.size(), 2u);
  EXPECT_FALSE(events.next(failure("a"), "2").create);
  EXPECT_TRUE(events.next(failure("b"), "2").create);
  EXPECT_FALSE(events.next(failure("c"), "2").create);
}

}  // namespace
}  // namespace lbd::k8s
