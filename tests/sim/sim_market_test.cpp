// Scenario tests for the simulator's pure matching core (SimMarket).
#include "venue_adapters/sim/sim_market.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "tests/sim/sim_test_util.h"

namespace fixgw::sim {
namespace {

using namespace fixgw::sim::testing;
using K = VenueEventKind;

constexpr WallNanos kNow = 1'700'000'000'000'000'000LL;

std::vector<K> kinds(const std::vector<VenueEvent>& evs) {
  std::vector<K> v;
  for (const auto& e : evs) v.push_back(e.kind);
  return v;
}

std::vector<VenueEvent> eventsFor(const std::vector<VenueEvent>& evs, const char* child) {
  std::vector<VenueEvent> v;
  for (const auto& e : evs) {
    if (e.childId.str() == child) v.push_back(e);
  }
  return v;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

class SimMarketTest : public ::testing::Test {
 protected:
  InstrumentMaster instruments = productInstruments();
  SimMarket market{VenueId("SIM"), SimConfig{}, instruments};
};

// A market with no market maker, so client orders only meet each other.
class ClientOnlyMarketTest : public ::testing::Test {
 protected:
  static SimConfig noMaker() {
    SimConfig c;
    c.depthLevels = 0;
    return c;
  }
  InstrumentMaster instruments = productInstruments();
  SimMarket market{VenueId("SIM"), noMaker(), instruments};
};

TEST_F(SimMarketTest, BookIsSeededAroundTheReferencePrice) {
  EXPECT_EQ(market.mid(Symbol("AAPL")), Price::of("100.00"));
  EXPECT_EQ(market.bestBid(Symbol("AAPL")), Price::of("99.99"));
  EXPECT_EQ(market.bestAsk(Symbol("AAPL")), Price::of("100.01"));
  auto bids = market.depth(Symbol("AAPL"), Side::Buy);
  auto asks = market.depth(Symbol("AAPL"), Side::Sell);
  ASSERT_EQ(bids.size(), 5u);
  ASSERT_EQ(asks.size(), 5u);
  EXPECT_EQ(bids.back().price, Price::of("99.95"));
  EXPECT_EQ(asks.back().price, Price::of("100.05"));
  for (const auto& l : bids) EXPECT_EQ(l.qty, Qty::of("100"));
  for (const auto& l : asks) EXPECT_EQ(l.qty, Qty::of("100"));
  EXPECT_EQ(market.bestAsk(Symbol("MSFT")), Price::of("400.01"));
}

TEST_F(SimMarketTest, ReferencePriceIsRoundedToTheTick) {
  InstrumentMaster m;
  m.add(makeInstrument("XYZ", "10.007", "0.01", "1"));
  SimMarket odd(VenueId("SIM"), SimConfig{}, m);
  EXPECT_EQ(odd.mid(Symbol("XYZ")), Price::of("10.01"));
}

TEST_F(SimMarketTest, LevelQuantityIsSensibleForTinyLots) {
  EXPECT_EQ(market.levelQty(Symbol("AAPL")), Qty::of("100"));
  EXPECT_EQ(market.levelQty(Symbol("MSFT")), Qty::of("100"));
  // 10,000 of notional at 60,000, rounded up to a whole lot of 1e-8.
  EXPECT_EQ(market.levelQty(Symbol("BTC-USD")), Qty::of("0.16666667"));

  SimConfig c;
  c.levelQty = Qty::of("2.5");
  SimMarket overridden(VenueId("SIM"), c, instruments);
  EXPECT_EQ(overridden.levelQty(Symbol("BTC-USD")), Qty::of("2.5"));
  EXPECT_EQ(overridden.levelQty(Symbol("AAPL")), Qty::of("2"));  // whole lots of 1
}

TEST_F(SimMarketTest, MarketableLimitFillsAcrossLevelsAtEachLevelsPrice) {
  auto evs = market.submit(limit("c1", Side::Buy, "250", "100.03"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill, K::Fill, K::Fill}));
  EXPECT_EQ(evs[0].venueOrderId, VenueOrderId("SIM-1"));
  EXPECT_EQ(evs[0].leavesQty, Qty::of("250"));

  EXPECT_EQ(evs[1].lastQty, Qty::of("100"));
  EXPECT_EQ(evs[1].lastPx, Price::of("100.01"));
  EXPECT_EQ(evs[1].cumQty, Qty::of("100"));
  EXPECT_EQ(evs[1].leavesQty, Qty::of("150"));
  EXPECT_EQ(evs[2].lastQty, Qty::of("100"));
  EXPECT_EQ(evs[2].lastPx, Price::of("100.02"));
  EXPECT_EQ(evs[2].leavesQty, Qty::of("50"));
  EXPECT_EQ(evs[3].lastQty, Qty::of("50"));
  EXPECT_EQ(evs[3].lastPx, Price::of("100.03"));
  EXPECT_EQ(evs[3].cumQty, Qty::of("250"));
  EXPECT_TRUE(evs[3].leavesQty.isZero());

  __int128 raw = 0;
  for (size_t i = 1; i < evs.size(); ++i) {
    raw += rawProduct(evs[i].lastPx, evs[i].lastQty);
    EXPECT_EQ(evs[i].venueOrderId, VenueOrderId("SIM-1"));
    EXPECT_EQ(evs[i].venueTime, kNow);
  }
  EXPECT_EQ(averageFromRaw(raw, Qty::of("250")), Price::of("100.018"));
  EXPECT_NE(evs[1].venueExecId, evs[2].venueExecId);
  EXPECT_EQ(evs[1].venueExecId, VenueExecId("SIMX-1"));

  // The book lost what was taken; the 100.03 level keeps its remaining 50.
  auto asks = market.depth(Symbol("AAPL"), Side::Sell);
  ASSERT_EQ(asks.size(), 3u);
  EXPECT_EQ(asks[0].price, Price::of("100.03"));
  EXPECT_EQ(asks[0].qty, Qty::of("50"));
}

TEST_F(SimMarketTest, MarketableLimitRemainderRestsAtItsLimit) {
  auto evs = market.submit(limit("c1", Side::Buy, "600", "100.05"), kNow);
  ASSERT_EQ(evs.size(), 6u);  // Accepted + 5 level fills
  EXPECT_EQ(evs.back().cumQty, Qty::of("500"));
  EXPECT_EQ(evs.back().leavesQty, Qty::of("100"));
  EXPECT_EQ(market.bestBid(Symbol("AAPL")), Price::of("100.05"));
  EXPECT_FALSE(market.bestAsk(Symbol("AAPL")).has_value());
  ASSERT_EQ(market.openOrders().size(), 1u);
  EXPECT_EQ(market.openOrders()[0].cumQty, Qty::of("500"));
}

TEST_F(SimMarketTest, PassiveLimitRests) {
  auto evs = market.submit(limit("c1", Side::Buy, "10", "99.00"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted}));
  auto bids = market.depth(Symbol("AAPL"), Side::Buy);
  ASSERT_EQ(bids.size(), 6u);
  EXPECT_EQ(bids.back().price, Price::of("99.00"));
  EXPECT_EQ(bids.back().clientOrders, 1);
  EXPECT_EQ(market.bestBid(Symbol("AAPL")), Price::of("99.99"));
}

TEST_F(ClientOnlyMarketTest, BetterPriceFirstThenEarlierOrderAtTheSamePrice) {
  market.submit(limit("A", Side::Sell, "10", "100.50"), kNow);
  market.submit(limit("B", Side::Sell, "10", "100.50"), kNow);
  market.submit(limit("C", Side::Sell, "10", "100.40"), kNow);  // later, better price
  auto evs = market.submit(limit("X", Side::Buy, "25", "100.50"), kNow);

  auto x = eventsFor(evs, "X");
  ASSERT_EQ(kinds(x), (std::vector<K>{K::Accepted, K::Fill, K::Fill, K::Fill}));
  EXPECT_EQ(x[1].lastPx, Price::of("100.40"));
  EXPECT_EQ(x[2].lastPx, Price::of("100.50"));
  EXPECT_EQ(x[3].lastPx, Price::of("100.50"));

  auto c = eventsFor(evs, "C");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].lastQty, Qty::of("10"));
  auto a = eventsFor(evs, "A");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].lastQty, Qty::of("10"));
  EXPECT_TRUE(a[0].leavesQty.isZero());
  auto b = eventsFor(evs, "B");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].lastQty, Qty::of("5"));
  EXPECT_EQ(b[0].leavesQty, Qty::of("5"));
  // Each side of a client-to-client trade gets its own exec id.
  EXPECT_NE(a[0].venueExecId, x[2].venueExecId);
}

TEST_F(SimMarketTest, IocFillsWhatItCanAndExpiresTheRest) {
  auto evs = market.submit(limit("c1", Side::Buy, "600", "100.05", TimeInForce::Ioc), kNow);
  ASSERT_EQ(evs.size(), 7u);
  EXPECT_EQ(evs.front().kind, K::Accepted);
  const auto& last = evs.back();
  EXPECT_EQ(last.kind, K::Expired);
  EXPECT_EQ(last.text, "IOC remainder expired");
  EXPECT_EQ(last.cumQty, Qty::of("500"));
  EXPECT_TRUE(last.leavesQty.isZero());
  EXPECT_TRUE(market.openOrders().empty());
  EXPECT_EQ(market.bestBid(Symbol("AAPL")), Price::of("99.99"));  // nothing rested
}

TEST_F(SimMarketTest, IocThatCannotTradeExpiresWhole) {
  auto evs = market.submit(limit("c1", Side::Buy, "10", "99.00", TimeInForce::Ioc), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Expired}));
  EXPECT_TRUE(evs[1].cumQty.isZero());
}

TEST_F(SimMarketTest, FokWithoutEnoughLiquidityExpiresUntouched) {
  auto evs = market.submit(limit("c1", Side::Buy, "301", "100.03", TimeInForce::Fok), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Expired}));
  EXPECT_TRUE(contains(evs[1].text, "not enough liquidity")) << evs[1].text;
  EXPECT_TRUE(evs[1].cumQty.isZero());
  // The book is as it was.
  auto asks = market.depth(Symbol("AAPL"), Side::Sell);
  ASSERT_EQ(asks.size(), 5u);
  EXPECT_EQ(asks[0].qty, Qty::of("100"));
}

TEST_F(SimMarketTest, FokWithEnoughLiquidityFillsCompletely) {
  auto evs = market.submit(limit("c1", Side::Buy, "300", "100.03", TimeInForce::Fok), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill, K::Fill, K::Fill}));
  EXPECT_EQ(evs.back().cumQty, Qty::of("300"));
  EXPECT_TRUE(evs.back().leavesQty.isZero());
}

TEST_F(SimMarketTest, MarketOrderTakesTheBestPrices) {
  auto evs = market.submit(marketOrder("c1", Side::Sell, "150"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill, K::Fill}));
  EXPECT_EQ(evs[1].lastPx, Price::of("99.99"));
  EXPECT_EQ(evs[1].lastQty, Qty::of("100"));
  EXPECT_EQ(evs[2].lastPx, Price::of("99.98"));
  EXPECT_EQ(evs[2].lastQty, Qty::of("50"));
  EXPECT_TRUE(evs[2].leavesQty.isZero());
}

TEST_F(SimMarketTest, MarketOrderExpiresWhatNoLiquidityIsLeftFor) {
  auto evs = market.submit(marketOrder("c1", Side::Buy, "700"), kNow);
  ASSERT_EQ(evs.size(), 7u);
  EXPECT_EQ(evs.back().kind, K::Expired);
  EXPECT_TRUE(contains(evs.back().text, "no liquidity")) << evs.back().text;
  EXPECT_EQ(evs.back().cumQty, Qty::of("500"));
  // Liquidity comes back when the market maker re-quotes.
  market.step(kNow);
  EXPECT_TRUE(market.bestAsk(Symbol("AAPL")).has_value());
}

TEST_F(SimMarketTest, BitcoinMarketableOrderFillsAtOnce) {
  auto evs = market.submit(order("b1", "BTC-USD", Side::Buy, "0.5", std::nullopt), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill, K::Fill, K::Fill}));
  EXPECT_EQ(evs[1].lastPx, Price::of("60000.01"));
  EXPECT_EQ(evs[1].lastQty, Qty::of("0.16666667"));
  EXPECT_EQ(evs[3].lastQty, Qty::of("0.16666666"));
  EXPECT_EQ(evs[3].cumQty, Qty::of("0.5"));
  EXPECT_TRUE(evs[3].leavesQty.isZero());
}

TEST_F(SimMarketTest, RestingOrderFillsAtItsOwnPriceWhenTheMarketMovesThroughIt) {
  auto evs = market.submit(limit("c1", Side::Sell, "50", "100.10"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted}));
  EXPECT_TRUE(market.setMid(Symbol("AAPL"), Price::of("100.05"), kNow).empty());

  evs = market.setMid(Symbol("AAPL"), Price::of("100.20"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Fill}));
  EXPECT_EQ(evs[0].childId, ChildOrderId("c1"));
  EXPECT_EQ(evs[0].lastPx, Price::of("100.10"));  // the resting client order is the maker
  EXPECT_EQ(evs[0].lastQty, Qty::of("50"));
  EXPECT_TRUE(evs[0].leavesQty.isZero());
  EXPECT_EQ(market.bestBid(Symbol("AAPL")), Price::of("100.19"));
  EXPECT_TRUE(market.openOrders().empty());
}

// ---- stop and stop-limit orders ------------------------------------------

VenueNewOrder stopOrder(const char* child, Side side, const char* qty, const char* stop,
                        std::optional<const char*> limitPx = std::nullopt) {
  VenueNewOrder o = limit(child, side, qty, "1");
  o.ordType = limitPx ? OrdType::StopLimit : OrdType::Stop;
  o.price.reset();
  if (limitPx) o.price = Price::of(*limitPx);
  o.stopPx = Price::of(stop);
  return o;
}

TEST_F(SimMarketTest, BuyStopWaitsOffTheBookThenTakesLiquidityWhenTheMidReachesIt) {
  auto evs = market.submit(stopOrder("s1", Side::Buy, "50", "100.50"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted}));
  // Not on the book: the ladder is the market maker's alone.
  for (const auto& l : market.depth(Symbol("AAPL"), Side::Buy)) EXPECT_EQ(l.clientOrders, 0);
  ASSERT_EQ(market.openOrders().size(), 1u);

  EXPECT_TRUE(market.setMid(Symbol("AAPL"), Price::of("100.49"), kNow).empty());
  evs = market.setMid(Symbol("AAPL"), Price::of("100.50"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Fill}));
  EXPECT_EQ(evs[0].childId, ChildOrderId("s1"));
  EXPECT_EQ(evs[0].lastPx, Price::of("100.51"));  // the best ask once triggered
  EXPECT_EQ(evs[0].lastQty, Qty::of("50"));
  EXPECT_TRUE(evs[0].leavesQty.isZero());
  EXPECT_TRUE(market.openOrders().empty());
  EXPECT_TRUE(market.setMid(Symbol("AAPL"), Price::of("100.80"), kNow).empty());
}

TEST_F(SimMarketTest, SellStopLimitBecomesARestingLimitThatFillsAtItsPrice) {
  auto evs = market.submit(stopOrder("s1", Side::Sell, "50", "99.50", "99.60"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted}));
  EXPECT_TRUE(market.setMid(Symbol("AAPL"), Price::of("99.51"), kNow).empty());
  // Triggered at 99.50; the bid (99.49) is below its limit, so it rests at 99.60.
  EXPECT_TRUE(market.setMid(Symbol("AAPL"), Price::of("99.50"), kNow).empty());
  auto asks = market.depth(Symbol("AAPL"), Side::Sell);
  auto lvl = std::find_if(asks.begin(), asks.end(),
                          [](const LevelView& l) { return l.price == Price::of("99.60"); });
  ASSERT_NE(lvl, asks.end());
  EXPECT_EQ(lvl->clientOrders, 1);
  // The market comes back up through it: the new bid takes it at its own price.
  evs = market.setMid(Symbol("AAPL"), Price::of("99.70"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Fill}));
  EXPECT_EQ(evs[0].lastPx, Price::of("99.60"));
  EXPECT_EQ(evs[0].lastQty, Qty::of("50"));
}

TEST_F(SimMarketTest, StopAlreadyReachedOnArrivalTradesAtOnce) {
  auto evs = market.submit(stopOrder("s1", Side::Buy, "30", "99.00"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Fill}));
  EXPECT_EQ(evs[1].lastPx, Price::of("100.01"));
  EXPECT_EQ(evs[1].cumQty, Qty::of("30"));
}

TEST_F(SimMarketTest, CanceledStopNeverTriggers) {
  market.submit(stopOrder("s1", Side::Sell, "10", "99.00"), kNow);
  auto evs = market.cancel(cancelOf("s1"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Canceled}));
  EXPECT_TRUE(market.setMid(Symbol("AAPL"), Price::of("98.00"), kNow).empty());
  EXPECT_TRUE(market.openOrders().empty());
}

TEST_F(SimMarketTest, ReplacingTheStopPriceCanTriggerIt) {
  market.submit(stopOrder("s1", Side::Buy, "20", "101.00"), kNow);
  VenueReplace r = replaceOf("s1", "25");
  r.newStopPx = Price::of("100.00");
  auto evs = market.replace(r, kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Replaced, K::Fill}));
  EXPECT_EQ(evs[0].newQty, Qty::of("25"));
  EXPECT_EQ(evs[1].lastQty, Qty::of("25"));
  EXPECT_EQ(evs[1].lastPx, Price::of("100.01"));
}

TEST_F(SimMarketTest, BadStopOrdersAndOpeningOrdersAreRejectedWithTheReason) {
  VenueNewOrder noStop = stopOrder("s1", Side::Buy, "10", "101.00");
  noStop.stopPx.reset();
  auto evs = market.submit(noStop, kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Rejected}));
  EXPECT_TRUE(contains(evs[0].text, "stopPx is required")) << evs[0].text;

  evs = market.submit(stopOrder("s2", Side::Buy, "10", "101.005"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Rejected}));
  EXPECT_TRUE(contains(evs[0].text, "tick size")) << evs[0].text;

  evs = market.submit(limit("s3", Side::Buy, "10", "99.00", TimeInForce::AtTheOpening), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Rejected}));
  EXPECT_TRUE(contains(evs[0].text, "OPG")) << evs[0].text;
}

TEST_F(SimMarketTest, LargeRestingOrderIsTakenByAsManyNewQuotesAsCrossIt) {
  market.submit(limit("c1", Side::Buy, "250", "99.90"), kNow);
  auto evs = market.setMid(Symbol("AAPL"), Price::of("99.88"), kNow);
  // New asks at 99.89, 99.90 cross the 99.90 bid; 99.91.. do not.
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Fill, K::Fill}));
  EXPECT_EQ(evs[0].lastPx, Price::of("99.90"));
  EXPECT_EQ(evs[1].lastPx, Price::of("99.90"));
  EXPECT_EQ(evs[1].cumQty, Qty::of("200"));
  EXPECT_EQ(evs[1].leavesQty, Qty::of("50"));
  EXPECT_EQ(market.bestBid(Symbol("AAPL")), Price::of("99.90"));
  EXPECT_EQ(market.bestAsk(Symbol("AAPL")), Price::of("99.91"));
}

TEST(SimMarketWalk, RestingOrderFillsWhenTheRandomWalkReachesIt) {
  InstrumentMaster instruments = productInstruments();
  SimConfig cfg;
  cfg.seed = 7;
  cfg.volatilityBps = 10;  // ~10 ticks per step for AAPL
  SimMarket market(VenueId("SIM"), cfg, instruments);
  market.submit(limit("lo", Side::Buy, "10", "99.50"), kNow);
  market.submit(limit("hi", Side::Sell, "10", "100.50"), kNow);
  std::vector<VenueEvent> fills;
  for (int i = 0; i < 100'000 && fills.empty(); ++i) {
    for (auto& e : market.step(kNow + i)) fills.push_back(e);
  }
  ASSERT_FALSE(fills.empty());
  const auto& f = fills.front();
  EXPECT_EQ(f.kind, K::Fill);
  EXPECT_EQ(f.lastPx, f.childId.str() == "lo" ? Price::of("99.50") : Price::of("100.50"));
}

TEST(SimMarketWalk, SameSeedGivesTheSameWalk) {
  InstrumentMaster instruments = productInstruments();
  SimConfig cfg;
  cfg.seed = 1234;
  cfg.volatilityBps = 5;
  SimMarket a(VenueId("SIM"), cfg, instruments);
  SimMarket b(VenueId("SIM"), cfg, instruments);
  cfg.seed = 1235;
  SimMarket other(VenueId("SIM"), cfg, instruments);
  bool moved = false;
  bool diverged = false;
  for (int i = 0; i < 200; ++i) {
    a.step(kNow);
    b.step(kNow);
    other.step(kNow);
    for (const Symbol& s : a.symbols()) {
      ASSERT_EQ(a.mid(s), b.mid(s)) << s << " step " << i;
      if (a.mid(s) != other.mid(s)) diverged = true;
    }
    if (a.mid(Symbol("AAPL")) != Price::of("100.00")) moved = true;
  }
  EXPECT_TRUE(moved);
  EXPECT_TRUE(diverged);
}

TEST(SimMarketWalk, EightPercentAwayLimitsNeitherFillNorRejectOverAMinute) {
  InstrumentMaster instruments = productInstruments();
  for (uint64_t seed : {42ull, 1ull, 2ull, 3ull, 99ull}) {
    SimConfig cfg;  // defaults: one step per second
    cfg.seed = seed;
    SimMarket market(VenueId("SIM"), cfg, instruments);
    std::vector<VenueEvent> evs;
    for (const auto& o :
         {limit("a-buy", Side::Buy, "100", "92.00"), limit("a-sell", Side::Sell, "100", "108.00"),
          order("b-buy", "BTC-USD", Side::Buy, "0.5", "55200.00"),
          order("b-sell", "BTC-USD", Side::Sell, "0.5", "64800.00")}) {
      for (auto& e : market.submit(o, kNow)) evs.push_back(e);
    }
    const int64_t stepsPerMinute = 60'000'000'000LL / cfg.stepIntervalNanos;
    for (int64_t i = 0; i < stepsPerMinute; ++i) {
      for (auto& e : market.step(kNow + i)) evs.push_back(e);
    }
    ASSERT_EQ(kinds(evs), (std::vector<K>(4, K::Accepted))) << "seed " << seed;
    EXPECT_EQ(market.openOrders().size(), 4u);
    // Meanwhile a marketable order still fills at once against the book.
    auto now = market.submit(order("b-take", "BTC-USD", Side::Buy, "0.5", "70000.00"), kNow);
    ASSERT_GE(now.size(), 2u);
    EXPECT_EQ(now.back().kind, K::Fill);
    EXPECT_EQ(now.back().cumQty, Qty::of("0.5"));
  }
}

TEST_F(SimMarketTest, CancelOpenOrder) {
  market.submit(limit("c1", Side::Buy, "10", "99.00"), kNow);
  auto evs = market.cancel(cancelOf("c1"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Canceled}));
  EXPECT_EQ(evs[0].venueOrderId, VenueOrderId("SIM-1"));
  EXPECT_TRUE(evs[0].leavesQty.isZero());
  EXPECT_TRUE(market.openOrders().empty());
  EXPECT_EQ(market.depth(Symbol("AAPL"), Side::Buy).size(), 5u);
}

TEST_F(SimMarketTest, CancelByVenueOrderId) {
  market.submit(limit("c1", Side::Buy, "10", "99.00"), kNow);
  auto evs = market.cancel(cancelOf("", "SIM-1"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Canceled}));
  EXPECT_EQ(evs[0].childId, ChildOrderId("c1"));
}

TEST_F(SimMarketTest, CancelRejects) {
  auto evs = market.cancel(cancelOf("nope"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::CancelRejected}));
  EXPECT_TRUE(contains(evs[0].text, "unknown order")) << evs[0].text;

  market.submit(limit("c1", Side::Buy, "10", "99.00"), kNow);
  market.cancel(cancelOf("c1"), kNow);
  evs = market.cancel(cancelOf("c1"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::CancelRejected}));
  EXPECT_EQ(evs[0].text, "order already canceled");

  market.submit(limit("c2", Side::Buy, "10", "100.01"), kNow);
  evs = market.cancel(cancelOf("c2"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::CancelRejected}));
  EXPECT_EQ(evs[0].text, "order already filled");
}

TEST_F(ClientOnlyMarketTest, ReplaceQtyDownKeepsPriority) {
  market.submit(limit("A", Side::Sell, "10", "100.50"), kNow);
  market.submit(limit("B", Side::Sell, "10", "100.50"), kNow);
  auto evs = market.replace(replaceOf("A", "5"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Replaced}));
  EXPECT_EQ(evs[0].newQty, Qty::of("5"));
  EXPECT_EQ(evs[0].newPrice, Price::of("100.50"));
  EXPECT_EQ(evs[0].leavesQty, Qty::of("5"));

  evs = market.submit(limit("X", Side::Buy, "5", "100.50"), kNow);
  ASSERT_EQ(eventsFor(evs, "A").size(), 1u);
  EXPECT_TRUE(eventsFor(evs, "B").empty());
}

TEST_F(ClientOnlyMarketTest, ReplaceQtyUpLosesPriority) {
  market.submit(limit("A", Side::Sell, "10", "100.50"), kNow);
  market.submit(limit("B", Side::Sell, "10", "100.50"), kNow);
  market.replace(replaceOf("A", "20"), kNow);
  auto evs = market.submit(limit("X", Side::Buy, "5", "100.50"), kNow);
  EXPECT_TRUE(eventsFor(evs, "A").empty());
  ASSERT_EQ(eventsFor(evs, "B").size(), 1u);
}

TEST_F(ClientOnlyMarketTest, ReplacePriceChangeLosesPriority) {
  market.submit(limit("A", Side::Sell, "10", "100.60"), kNow);
  market.submit(limit("B", Side::Sell, "10", "100.50"), kNow);
  auto evs = market.replace(replaceOf("A", "10", "100.50"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Replaced}));
  evs = market.submit(limit("X", Side::Buy, "5", "100.50"), kNow);
  EXPECT_TRUE(eventsFor(evs, "A").empty());
  ASSERT_EQ(eventsFor(evs, "B").size(), 1u);
}

TEST_F(ClientOnlyMarketTest, ReplaceToQtyNotAboveCumQtyIsRejected) {
  market.submit(limit("A", Side::Sell, "10", "100.50"), kNow);
  market.submit(limit("X", Side::Buy, "6", "100.50"), kNow);
  for (const char* q : {"6", "5"}) {
    auto evs = market.replace(replaceOf("A", q), kNow);
    ASSERT_EQ(kinds(evs), (std::vector<K>{K::ReplaceRejected})) << q;
    EXPECT_TRUE(contains(evs[0].text, "must exceed cumQty 6")) << evs[0].text;
    EXPECT_EQ(evs[0].leavesQty, Qty::of("4"));  // the order is untouched
  }
  auto evs = market.replace(replaceOf("A", "8"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Replaced}));
  EXPECT_EQ(evs[0].cumQty, Qty::of("6"));
  EXPECT_EQ(evs[0].leavesQty, Qty::of("2"));
}

TEST_F(SimMarketTest, ReplaceRejectsBadOrUnknownRequests) {
  auto evs = market.replace(replaceOf("nope", "5"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::ReplaceRejected}));
  EXPECT_TRUE(contains(evs[0].text, "unknown order"));

  market.submit(limit("c1", Side::Buy, "10", "99.00"), kNow);
  evs = market.replace(replaceOf("c1", "10", "99.005"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::ReplaceRejected}));
  EXPECT_TRUE(contains(evs[0].text, "newPrice")) << evs[0].text;
  evs = market.replace(replaceOf("c1", "10.5"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::ReplaceRejected}));
  EXPECT_TRUE(contains(evs[0].text, "newQty")) << evs[0].text;

  market.cancel(cancelOf("c1"), kNow);
  evs = market.replace(replaceOf("c1", "20"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::ReplaceRejected}));
  EXPECT_EQ(evs[0].text, "order already canceled");
}

TEST_F(SimMarketTest, ReplacedOrderThatBecomesMarketableTradesAfterTheReplacedEvent) {
  market.submit(limit("c1", Side::Buy, "150", "99.00"), kNow);
  auto evs = market.replace(replaceOf("c1", "150", "100.01"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Replaced, K::Fill}));
  EXPECT_EQ(evs[1].lastPx, Price::of("100.01"));
  EXPECT_EQ(evs[1].lastQty, Qty::of("100"));
  EXPECT_EQ(evs[1].leavesQty, Qty::of("50"));
  EXPECT_EQ(market.bestBid(Symbol("AAPL")), Price::of("100.01"));  // the rest rests
}

TEST_F(SimMarketTest, InvalidOrdersAreRejectedNamingTheField) {
  struct Case {
    VenueNewOrder o;
    const char* expect;
  };
  std::vector<Case> cases = {
      {order("r1", "NOPE", Side::Buy, "1", "1.00"), "unknown symbol 'NOPE'"},
      {limit("r2", Side::Buy, "0", "100.00"), "qty must be positive"},
      {limit("r3", Side::Buy, "-5", "100.00"), "qty must be positive"},
      {limit("r4", Side::Buy, "1.5", "100.00"), "not a multiple of lot size 1"},
      {marketOrder("r5", Side::Buy, "0.5"), "qty 0.5 is not a multiple of lot size"},
      {limit("r6", Side::Buy, "1", "0"), "price must be positive"},
      {limit("r7", Side::Buy, "1", "-1.00"), "price must be positive"},
      {limit("r8", Side::Buy, "1", "100.005"), "price 100.005 is not a multiple of tick size 0.01"},
      {order("r9", "BTC-USD", Side::Buy, "0.5", "60000.001"), "not a multiple of tick size"},
  };
  VenueNewOrder noPrice = limit("r10", Side::Buy, "1", "1.00");
  noPrice.price.reset();
  noPrice.ordType = OrdType::Limit;
  cases.push_back({noPrice, "price is required"});
  for (const auto& c : cases) {
    auto evs = market.submit(c.o, kNow);
    ASSERT_EQ(kinds(evs), (std::vector<K>{K::Rejected})) << c.o.childId;
    EXPECT_TRUE(contains(evs[0].text, c.expect)) << evs[0].text;
    EXPECT_EQ(evs[0].childId, c.o.childId);
    EXPECT_TRUE(evs[0].venueOrderId.empty());
  }
  EXPECT_TRUE(market.openOrders().empty());
  // Rejects consume no venue order id.
  auto evs = market.submit(limit("ok", Side::Buy, "1", "99.00"), kNow);
  EXPECT_EQ(evs[0].venueOrderId, VenueOrderId("SIM-1"));
}

TEST_F(SimMarketTest, DuplicateChildIdIsRejected) {
  market.submit(limit("c1", Side::Buy, "1", "99.00"), kNow);
  auto evs = market.submit(limit("c1", Side::Buy, "1", "99.00"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Rejected}));
  EXPECT_TRUE(contains(evs[0].text, "duplicate childId")) << evs[0].text;
  EXPECT_EQ(market.openOrders().size(), 1u);
}

TEST_F(SimMarketTest, MinimumQuantityIsEnforced) {
  InstrumentMaster m = productInstruments();
  Instrument i = makeInstrument("BIG", "10.00", "0.01", "1");
  i.minQty = Qty::of("10");
  m.add(i);
  SimMarket withMin(VenueId("SIM"), SimConfig{}, m);
  auto evs = withMin.submit(order("m1", "BIG", Side::Buy, "5", "9.00"), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Rejected}));
  EXPECT_TRUE(contains(evs[0].text, "minimum quantity 10")) << evs[0].text;
}

TEST_F(SimMarketTest, DayOrdersExpireAtEndOfSessionGtcStays) {
  market.submit(limit("day", Side::Buy, "1", "99.00"), kNow);
  market.submit(limit("gtc", Side::Buy, "1", "99.00", TimeInForce::Gtc), kNow);
  auto evs = market.expireDayOrders(kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Expired}));
  EXPECT_EQ(evs[0].childId, ChildOrderId("day"));
  ASSERT_EQ(market.openOrders().size(), 1u);
  EXPECT_EQ(market.openOrders()[0].childId, ChildOrderId("gtc"));
}

TEST(SimMarketNoReference, InstrumentWithoutReferenceHasOnlyClientLiquidity) {
  InstrumentMaster m;
  Instrument i = makeInstrument("NEW", "0", "0.01", "1");
  m.add(i);
  SimMarket market(VenueId("SIM"), SimConfig{}, m);
  EXPECT_FALSE(market.mid(Symbol("NEW")).has_value());
  EXPECT_TRUE(market.step(kNow).empty());
  auto evs = market.submit(order("n1", "NEW", Side::Buy, "5", std::nullopt), kNow);
  ASSERT_EQ(kinds(evs), (std::vector<K>{K::Accepted, K::Expired}));
  market.submit(order("n2", "NEW", Side::Sell, "5", "10.00"), kNow);
  evs = market.submit(order("n3", "NEW", Side::Buy, "5", std::nullopt), kNow);
  ASSERT_EQ(kinds(eventsFor(evs, "n3")), (std::vector<K>{K::Accepted, K::Fill}));
}

}  // namespace
}  // namespace fixgw::sim

// Issue 15: the adapter reuses one TopOfBook and recycles event vectors. The
// in-place book equals a fresh one, also after it held a deeper/other book,
// and a recycled vector comes back empty with its capacity.
namespace fixgw::sim {
namespace {

TEST_F(SimMarketTest, TopOfBookIntoEqualsTopOfBookAndForgetsWhatItHeldBefore) {
  market.submit(limit("c1", Side::Buy, "30", "99.50"), kNow);
  TopOfBook reused;
  market.topOfBookInto(Symbol("AAPL"), 10, kNow, reused);  // deep book first
  ASSERT_GT(reused.bids.size(), 1u);
  market.topOfBookInto(Symbol("MSFT"), 1, kNow + 1, reused);
  TopOfBook fresh = market.topOfBook(Symbol("MSFT"), 1, kNow + 1);
  EXPECT_TRUE(reused.sameBook(fresh));
  EXPECT_EQ(reused.symbol, Symbol("MSFT"));
  EXPECT_EQ(reused.time, kNow + 1);
  EXPECT_EQ(reused.bids.size(), 1u);
  market.topOfBookInto(Symbol("NOPE"), 5, kNow, reused);  // unknown: empty sides, no leftovers
  EXPECT_FALSE(reused.bidPx);
  EXPECT_FALSE(reused.askPx);
  EXPECT_TRUE(reused.bids.empty());
  EXPECT_TRUE(reused.asks.empty());
}

TEST_F(SimMarketTest, RecycledEventVectorIsReusedEmpty) {
  auto evs = market.submit(limit("c1", Side::Buy, "250", "100.03"), kNow);  // 4 events
  ASSERT_EQ(evs.size(), 4u);
  const size_t cap = evs.capacity();
  market.recycle(std::move(evs));
  auto next = market.submit(limit("c2", Side::Buy, "10", "99.00"), kNow);
  ASSERT_EQ(kinds(next), (std::vector<K>{K::Accepted}));  // nothing left over from c1
  EXPECT_EQ(next[0].childId, ChildOrderId("c2"));
  EXPECT_GE(next.capacity(), cap);
}

}  // namespace
}  // namespace fixgw::sim
