// Tests for the threaded simulator adapter (SimVenue): events reach the sink
// from the simulator thread, in order, with and without latency.
#include "venue_adapters/sim/sim_venue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "tests/sim/sim_test_util.h"

namespace fixgw::sim {
namespace {

using namespace fixgw::sim::testing;
using namespace std::chrono_literals;
using K = VenueEventKind;

class Collector final : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent e) override {
    {
      std::lock_guard lk(mu_);
      threads_.push_back(std::this_thread::get_id());
      events_.push_back(std::move(e));
    }
    cv_.notify_all();
  }
  // Waits (generously) until pred holds over the events seen so far.
  bool waitFor(const std::function<bool(const std::vector<VenueEvent>&)>& pred,
               std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return pred(events_); });
  }
  bool waitForCount(size_t n) {
    return waitFor([n](const auto& evs) { return evs.size() >= n; });
  }
  std::vector<VenueEvent> events() {
    std::lock_guard lk(mu_);
    return events_;
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard lk(mu_);
    return threads_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<VenueEvent> events_;
  std::vector<std::thread::id> threads_;
};

std::vector<K> kinds(const std::vector<VenueEvent>& evs) {
  std::vector<K> v;
  for (const auto& e : evs) v.push_back(e.kind);
  return v;
}

class SimVenueTest : public ::testing::Test {
 protected:
  // No walk: these tests assert exact prices and must not race the timer.
  static SimConfig still() {
    SimConfig c;
    c.stepIntervalNanos = 0;
    return c;
  }
  InstrumentMaster instruments = productInstruments();
  Collector sink;
};

TEST_F(SimVenueTest, DeliversAcceptedThenFillsFromTheSimulatorThread) {
  auto venue = makeSimVenue(VenueId("SIM"), still(), instruments, SystemClock::instance());
  EXPECT_EQ(venue->id(), VenueId("SIM"));
  venue->start(sink);
  venue->submit(limit("c1", Side::Buy, "150", "100.02"));
  ASSERT_TRUE(sink.waitFor([](const auto& evs) {
    return !evs.empty() && evs.back().kind == K::Fill && evs.back().leavesQty.isZero();
  }));
  auto evs = sink.events();
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill, K::Fill}));
  EXPECT_EQ(evs[0].venue, VenueId("SIM"));
  EXPECT_EQ(evs[0].venueOrderId, VenueOrderId("SIM-1"));
  EXPECT_EQ(evs[1].lastPx, Price::of("100.01"));
  EXPECT_EQ(evs[2].lastPx, Price::of("100.02"));
  EXPECT_EQ(evs[2].cumQty, Qty::of("150"));
  for (auto t : sink.threads()) EXPECT_NE(t, std::this_thread::get_id());
  venue->stop();
}

TEST_F(SimVenueTest, LatencyKeepsTheOrderOfRequestsAndEvents) {
  SimConfig cfg = still();
  cfg.latencyNanos = 2'000'000;  // 2 ms each way
  SimVenue venue(VenueId("SIM"), cfg, instruments, SystemClock::instance());
  venue.start(sink);
  venue.submit(limit("c1", Side::Buy, "10", "99.00"));
  venue.cancel(cancelOf("c1"));
  venue.cancel(cancelOf("c1"));
  ASSERT_TRUE(sink.waitForCount(3));
  auto evs = sink.events();
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Canceled, K::CancelRejected}));
  EXPECT_EQ(evs[2].text, "order already canceled");
  venue.stop();
}

TEST_F(SimVenueTest, SetMidFillsRestingOrderAndMovesTheReferencePrice) {
  SimVenue venue(VenueId("SIM"), still(), instruments, SystemClock::instance());
  EXPECT_EQ(venue.referencePrice(Symbol("AAPL")), Price::of("100.00"));
  EXPECT_EQ(venue.referencePrice(Symbol("BTC-USD")), Price::of("60000.00"));
  EXPECT_FALSE(venue.referencePrice(Symbol("NOPE")).has_value());
  venue.start(sink);
  venue.submit(limit("c1", Side::Sell, "10", "100.10"));
  venue.setMid(Symbol("AAPL"), Price::of("100.30"));
  ASSERT_TRUE(sink.waitForCount(2));
  venue.sync();
  auto evs = sink.events();
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill}));
  EXPECT_EQ(evs[1].lastPx, Price::of("100.10"));
  EXPECT_EQ(venue.referencePrice(Symbol("AAPL")), Price::of("100.30"));
  venue.stop();
}

TEST_F(SimVenueTest, RandomWalkTimerFillsARestingOrder) {
  SimConfig cfg;
  cfg.stepIntervalNanos = 1'000'000;  // 1 ms
  cfg.volatilityBps = 20;
  cfg.seed = 5;
  SimVenue venue(VenueId("SIM"), cfg, instruments, SystemClock::instance());
  venue.start(sink);
  venue.submit(limit("lo", Side::Buy, "10", "99.80"));
  venue.submit(limit("hi", Side::Sell, "10", "100.20"));
  ASSERT_TRUE(sink.waitFor([](const auto& evs) {
    for (const auto& e : evs) {
      if (e.kind == K::Fill) return true;
    }
    return false;
  }));
  venue.stop();
  // The walk may already have moved past a limit when the order arrives (it
  // then takes the MM quote), so the invariant is "never worse than the limit".
  for (const auto& e : sink.events()) {
    if (e.kind != K::Fill) continue;
    if (e.childId.str() == "lo") {
      EXPECT_LE(e.lastPx, Price::of("99.80"));
    } else {
      EXPECT_GE(e.lastPx, Price::of("100.20"));
    }
  }
}

TEST_F(SimVenueTest, StartAndStopAreIdempotentAndRequestsWhileStoppedAreRefused) {
  SimVenue venue(VenueId("SIM"), still(), instruments, SystemClock::instance());
  venue.stop();                                           // never started: no-op
  venue.submit(limit("early", Side::Buy, "1", "99.00"));  // nobody to tell: dropped
  venue.start(sink);
  venue.start(sink);
  venue.submit(limit("c1", Side::Buy, "1", "99.00"));
  ASSERT_TRUE(sink.waitForCount(1));
  venue.stop();
  venue.stop();

  venue.submit(limit("c2", Side::Buy, "1", "99.00"));
  venue.replace(replaceOf("c1", "2"));
  auto evs = sink.events();
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Rejected, K::ReplaceRejected}));
  EXPECT_EQ(evs[1].text, "simulator not running");
  EXPECT_EQ(evs[1].childId, ChildOrderId("c2"));

  // Restarting keeps the book: c1 is still there to cancel.
  venue.start(sink);
  venue.cancel(cancelOf("c1"));
  ASSERT_TRUE(sink.waitForCount(4));
  EXPECT_EQ(sink.events().back().kind, K::Canceled);
}

TEST_F(SimVenueTest, StopFromTheSinkCallbackDoesNotDeadlock) {
  class StoppingSink final : public VenueEventSink {
   public:
    void onVenueEvent(VenueEvent e) override {
      venue->stop();
      inner.onVenueEvent(std::move(e));
    }
    VenueAdapter* venue = nullptr;
    Collector inner;
  };
  StoppingSink stopping;
  SimVenue venue(VenueId("SIM"), still(), instruments, SystemClock::instance());
  stopping.venue = &venue;
  venue.start(stopping);
  venue.submit(limit("c1", Side::Buy, "1", "99.00"));
  ASSERT_TRUE(stopping.inner.waitForCount(1));
  venue.start(sink);  // joins the retired loop, then runs again
  venue.submit(limit("c2", Side::Buy, "1", "99.00"));
  ASSERT_TRUE(sink.waitForCount(1));
  EXPECT_EQ(sink.events()[0].kind, K::Accepted);
  venue.stop();
}

TEST_F(SimVenueTest, ManualClockDrivesLatency) {
  ManualClock clock;
  SimConfig cfg;
  cfg.latencyNanos = 1'000'000;  // 1 ms of manual time
  cfg.stepIntervalNanos = 1'000'000;
  cfg.volatilityBps = 0;
  SimVenue venue(VenueId("SIM"), cfg, instruments, clock);
  venue.start(sink);
  venue.submit(limit("c1", Side::Buy, "1", "100.01"));
  // Until manual time passes nothing can arrive; then both legs of latency
  // elapse as the clock moves on.
  bool arrived = false;
  for (int i = 0; i < 20'000 && !arrived; ++i) {
    clock.advance(1'000'000);
    arrived = sink.waitFor([](const auto& evs) { return evs.size() >= 2; }, 1ms);
  }
  ASSERT_TRUE(arrived);
  auto evs = sink.events();
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill}));
  EXPECT_EQ(evs[0].venueTime, evs[1].venueTime);
  venue.stop();
}

TEST_F(SimVenueTest, RunsOnASharedLoopWithoutAThreadOfItsOwn) {
  ManualClock clock;
  EventLoop engineLoop(clock);  // driven by hand: no thread anywhere
  SimConfig cfg = still();
  cfg.stepIntervalNanos = 1'000'000'000;
  cfg.sharedLoop = &engineLoop;
  auto venue = makeSimVenue(VenueId("SIM"), cfg, instruments, clock);
  venue->start(sink);
  venue->submit(limit("c1", Side::Buy, "150", "100.02"));
  EXPECT_TRUE(sink.events().empty()) << "nothing runs until the shared loop does";
  engineLoop.runDue();
  auto evs = sink.events();
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill, K::Fill}));
  for (auto t : sink.threads()) EXPECT_EQ(t, std::this_thread::get_id());
  // After stop, its walk timer on the shared loop ends instead of re-arming,
  // and requests are refused.
  venue->stop();
  clock.advance(5'000'000'000);
  engineLoop.runDue();
  EXPECT_EQ(engineLoop.runDue(), 0u) << "no timer re-armed after stop";
  venue->submit(limit("c2", Side::Buy, "1", "100.02"));
  EXPECT_EQ(sink.events().back().kind, K::Rejected);
  EXPECT_EQ(sink.events().back().text, "simulator not running");
}


}  // namespace
}  // namespace fixgw::sim
