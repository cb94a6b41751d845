// EventHub (apps/admin_http.h): the SSE fan-out wakes a subscriber's stream
// once per drained queue instead of the stream polling it.
#include <gtest/gtest.h>

#include "apps/admin_http.h"

using fixgw::admin::EventHub;

TEST(EventHub, ABurstWakesTheStreamOnceUntilItDrainsTheQueue) {
  EventHub hub;
  auto sub = hub.subscribe();
  int wakes = 0;
  {
    std::lock_guard lk(sub->mu);
    sub->wake = [&wakes] { ++wakes; };
  }
  hub.publish("report", R"({"a":1})");
  hub.publish("report", R"({"a":2})");
  hub.publish("risk", R"({"b":3})");
  EXPECT_EQ(wakes, 1) << "one wake for the burst";
  {
    std::lock_guard lk(sub->mu);
    ASSERT_EQ(sub->queue.size(), 3u);
    EXPECT_EQ(sub->queue.front(), "event: report\ndata: {\"a\":1}\n\n");
    // The stream drains and re-arms.
    sub->queue.clear();
    sub->wakePending = false;
  }
  hub.publish("report", R"({"a":4})");
  EXPECT_EQ(wakes, 2) << "the next event after a drain wakes it again";
  hub.unsubscribe(sub);
  hub.publish("report", R"({"a":5})");
  EXPECT_EQ(wakes, 2) << "an unsubscribed stream is not woken";
  EXPECT_FALSE(hub.hasSubscribers());
}

TEST(EventHub, AnOverflowingSubscriberIsMarkedAndStillWoken) {
  EventHub hub;
  auto sub = hub.subscribe();
  int wakes = 0;
  {
    std::lock_guard lk(sub->mu);
    sub->wake = [&wakes] { ++wakes; };
  }
  for (size_t i = 0; i <= EventHub::kMaxQueued; ++i) hub.publish("report", "{}");
  std::lock_guard lk(sub->mu);
  EXPECT_TRUE(sub->overflowed);
  EXPECT_EQ(sub->queue.size(), EventHub::kMaxQueued);
  EXPECT_EQ(wakes, 1) << "woken so the stream sees the overflow and ends";
}
