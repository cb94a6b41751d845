// Market data from the simulator: the book and the trades it publishes to a
// subscriber (SimMarket's record of them, and SimVenue's subscription), driven
// on a hand-run loop with a manual clock so every update is deterministic.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/executor.h"
#include "core/market_data.h"
#include "tests/sim/sim_test_util.h"
#include "venue_adapters/sim/sim_market.h"
#include "venue_adapters/sim/sim_venue.h"

namespace fixgw::sim {
namespace {

using namespace fixgw::sim::testing;

constexpr WallNanos kNow = 1'700'000'000'000'000'000LL;
const Symbol kAapl("AAPL");

class RecordingMd final : public MarketDataSink {
 public:
  void onBook(const TopOfBook& b) override {
    books.push_back(b);
    order.push_back('B');
  }
  void onTrade(const Trade& t) override {
    trades.push_back(t);
    order.push_back('T');
  }
  std::vector<TopOfBook> books;
  std::vector<Trade> trades;
  std::string order;
};

class NullEvents final : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent e) override { events.push_back(std::move(e)); }
  std::vector<VenueEvent> events;
};

TEST(SimMarketData, TopOfBookShowsBestPricesAndTheirSizes) {
  InstrumentMaster instruments = productInstruments();
  SimMarket market(VenueId("SIM"), SimConfig{}, instruments);
  TopOfBook t = market.topOfBook(kAapl, 0, kNow);
  EXPECT_EQ(t.bidPx, Price::of("99.99"));
  EXPECT_EQ(t.bidQty, Qty::of("100"));
  EXPECT_EQ(t.askPx, Price::of("100.01"));
  EXPECT_EQ(t.askQty, Qty::of("100"));
  EXPECT_TRUE(t.bids.empty()) << "depth 0 asks for the top only";
  EXPECT_EQ(t.symbol, kAapl);
  EXPECT_EQ(t.venue, VenueId("SIM"));
}

TEST(SimMarketData, DepthListsLevelsBestFirstUpToTheRequestedCount) {
  InstrumentMaster instruments = productInstruments();
  SimMarket market(VenueId("SIM"), SimConfig{}, instruments);
  TopOfBook t = market.topOfBook(kAapl, 3, kNow);
  ASSERT_EQ(t.bids.size(), 3u);
  ASSERT_EQ(t.asks.size(), 3u);
  EXPECT_EQ(t.bids[0], (BookLevel{Price::of("99.99"), Qty::of("100")}));
  EXPECT_EQ(t.bids[2].price, Price::of("99.97"));
  EXPECT_EQ(t.asks[2].price, Price::of("100.03"));
}

TEST(SimMarketData, ATakingOrderRecordsOneTradePerLevelAtTheRestingPrice) {
  InstrumentMaster instruments = productInstruments();
  SimMarket market(VenueId("SIM"), SimConfig{}, instruments);
  market.submit(limit("c1", Side::Buy, "150", "100.02"), kNow);
  auto trades = market.takeTrades();
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[0].price, Price::of("100.01"));
  EXPECT_EQ(trades[0].qty, Qty::of("100"));
  EXPECT_EQ(trades[1].price, Price::of("100.02"));
  EXPECT_EQ(trades[1].qty, Qty::of("50"));
  EXPECT_EQ(trades[1].time, kNow);
  EXPECT_TRUE(market.takeTrades().empty()) << "taken trades are not handed over twice";
}

TEST(SimMarketData, ARestingOrderThatDoesNotCrossMakesNoTrade) {
  InstrumentMaster instruments = productInstruments();
  SimMarket market(VenueId("SIM"), SimConfig{}, instruments);
  market.submit(limit("c1", Side::Buy, "10", "99.00"), kNow);
  EXPECT_TRUE(market.takeTrades().empty());
}

class SimVenueMarketData : public ::testing::Test {
 protected:
  SimVenueMarketData() {
    SimConfig cfg;
    cfg.stepIntervalNanos = 0;  // the mid moves only through setMid
    cfg.sharedLoop = &loop;
    venue = std::make_unique<SimVenue>(VenueId("SIM"), cfg, instruments, clock);
  }
  ~SimVenueMarketData() override {
    venue->stop();
    loop.runDue();
  }
  ManualClock clock{kNow};
  EventLoop loop{clock};  // run by hand: no thread anywhere
  InstrumentMaster instruments = productInstruments();
  std::unique_ptr<SimVenue> venue;
  NullEvents events;
  RecordingMd md;
};

TEST_F(SimVenueMarketData, ASubscriberGetsTheCurrentBookFirst) {
  venue->start(events);
  ASSERT_TRUE(venue->subscribeMarketData(kAapl, md, 0).ok);
  loop.runDue();
  ASSERT_FALSE(md.books.empty());
  EXPECT_EQ(md.books.back().bidPx, Price::of("99.99"));
  EXPECT_EQ(md.books.back().askPx, Price::of("100.01"));
}

TEST_F(SimVenueMarketData, AnUnknownSymbolIsRefusedByName) {
  auto st = venue->subscribeMarketData(Symbol("NOPE"), md, 0);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("unknown symbol 'NOPE'"), std::string::npos) << st.error;
}

TEST_F(SimVenueMarketData, AFillIsPublishedAsATradeThenTheChangedBook) {
  venue->start(events);
  venue->subscribeMarketData(kAapl, md, 0);
  loop.runDue();
  md = RecordingMd{};
  venue->submit(limit("c1", Side::Buy, "40", "100.01"));
  loop.runDue();
  ASSERT_EQ(md.trades.size(), 1u);
  EXPECT_EQ(md.trades[0].price, Price::of("100.01"));
  EXPECT_EQ(md.trades[0].qty, Qty::of("40"));
  EXPECT_EQ(md.trades[0].symbol, kAapl);
  ASSERT_EQ(md.books.size(), 1u);
  EXPECT_EQ(md.books[0].askQty, Qty::of("60")) << "40 of the 100 at the ask were taken";
  EXPECT_EQ(md.order, "TB");
}

TEST_F(SimVenueMarketData, AnOrderThatRestsInsideTheSpreadChangesTheBestBid) {
  venue->start(events);
  venue->subscribeMarketData(kAapl, md, 0);
  loop.runDue();
  md = RecordingMd{};
  venue->submit(limit("c1", Side::Buy, "7", "100.00"));
  loop.runDue();
  EXPECT_TRUE(md.trades.empty());
  ASSERT_EQ(md.books.size(), 1u);
  EXPECT_EQ(md.books[0].bidPx, Price::of("100.00"));
  EXPECT_EQ(md.books[0].bidQty, Qty::of("7"));
}

TEST_F(SimVenueMarketData, AMoveOfTheMidRequotesAndPublishesTheNewBook) {
  venue->start(events);
  venue->subscribeMarketData(kAapl, md, 2);
  loop.runDue();
  md = RecordingMd{};
  venue->setMid(kAapl, Price::of("101.00"));
  loop.runDue();
  ASSERT_EQ(md.books.size(), 1u);
  EXPECT_EQ(md.books[0].bidPx, Price::of("100.99"));
  ASSERT_EQ(md.books[0].asks.size(), 2u);
  EXPECT_EQ(md.books[0].asks[1].price, Price::of("101.02"));
}

TEST_F(SimVenueMarketData, OtherSymbolsAreNotPublishedToTheSubscriber) {
  venue->start(events);
  venue->subscribeMarketData(kAapl, md, 0);
  loop.runDue();
  md = RecordingMd{};
  VenueNewOrder o = order("m1", "MSFT", Side::Buy, "10", "400.01");
  venue->submit(o);
  loop.runDue();
  EXPECT_TRUE(md.trades.empty());
  EXPECT_TRUE(md.books.empty());
}

TEST_F(SimVenueMarketData, NothingArrivesAfterUnsubscribe) {
  venue->start(events);
  venue->subscribeMarketData(kAapl, md, 0);
  loop.runDue();
  venue->unsubscribeMarketData(kAapl, md);
  md = RecordingMd{};
  venue->submit(limit("c1", Side::Buy, "40", "100.01"));
  loop.runDue();
  EXPECT_TRUE(md.trades.empty());
  EXPECT_TRUE(md.books.empty());
  EXPECT_FALSE(events.events.empty()) << "the order itself still trades";
}

TEST_F(SimVenueMarketData, TheRandomWalkPublishesBooksAsTheMidMoves) {
  SimConfig cfg;
  cfg.stepIntervalNanos = 1'000'000'000;
  cfg.volatilityBps = 50;  // large enough that a few steps move a 100.00 mid
  cfg.sharedLoop = &loop;
  SimVenue walking(VenueId("SIMW"), cfg, instruments, clock);
  walking.subscribeMarketData(kAapl, md, 0);
  walking.start(events);
  loop.runDue();
  const size_t first = md.books.size();
  for (int i = 0; i < 10; ++i) {
    clock.advance(1'000'000'000);
    loop.runDue();
  }
  EXPECT_GT(md.books.size(), first);
  walking.stop();
  loop.runDue();
}

// A sink for the simulator's own thread: records under a lock and lets the
// test wait (generously) for what it expects, never for a fixed time.
class WaitingMd final : public MarketDataSink {
 public:
  void onBook(const TopOfBook& b) override {
    std::lock_guard lk(mu_);
    books_.push_back(b);
    threads_.push_back(std::this_thread::get_id());
    cv_.notify_all();
  }
  void onTrade(const Trade& t) override {
    std::lock_guard lk(mu_);
    trades_.push_back(t);
    threads_.push_back(std::this_thread::get_id());
    cv_.notify_all();
  }
  bool waitForTrades(size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(20), [&] { return trades_.size() >= n; });
  }
  bool waitForBooks(size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(20), [&] { return books_.size() >= n; });
  }
  std::vector<Trade> trades() {
    std::lock_guard lk(mu_);
    return trades_;
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard lk(mu_);
    return threads_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<TopOfBook> books_;
  std::vector<Trade> trades_;
  std::vector<std::thread::id> threads_;
};

TEST(SimVenueMarketDataThreaded, TradesArriveFromTheSimulatorThread) {
  ManualClock clock{kNow};
  InstrumentMaster instruments = productInstruments();
  SimConfig cfg;
  cfg.stepIntervalNanos = 0;
  SimVenue venue(VenueId("SIM"), cfg, instruments, clock);
  NullEvents events;  // touched only on the simulator thread
  WaitingMd md;
  venue.start(events);
  ASSERT_TRUE(venue.subscribeMarketData(kAapl, md, 0).ok);
  ASSERT_TRUE(md.waitForBooks(1));
  venue.submit(limit("c1", Side::Buy, "150", "100.02"));
  ASSERT_TRUE(md.waitForTrades(2));
  venue.unsubscribeMarketData(kAapl, md);
  venue.stop();
  auto trades = md.trades();
  EXPECT_EQ(trades[0].qty, Qty::of("100"));
  EXPECT_EQ(trades[1].qty, Qty::of("50"));
  for (auto id : md.threads()) EXPECT_NE(id, std::this_thread::get_id());
}

TEST(SimMarketDataDefault, AnAdapterWithoutAFeedSaysSo) {
  class Bare final : public VenueAdapter {
   public:
    const VenueId& id() const override { return id_; }
    void start(VenueEventSink&) override {}
    void stop() override {}
    void submit(const VenueNewOrder&) override {}
    void cancel(const VenueCancel&) override {}
    void replace(const VenueReplace&) override {}

   private:
    VenueId id_{"BARE"};
  };
  Bare bare;
  RecordingMd md;
  auto st = bare.subscribeMarketData(kAapl, md, 0);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("does not support market data"), std::string::npos) << st.error;
}

}  // namespace
}  // namespace fixgw::sim
