// POV and Iceberg scenarios in virtual time.
#include <gtest/gtest.h>

#include <string>

#include "tests/algos/algo_test_util.h"

namespace fixgw::algos {
namespace {

using namespace testing;

class Pov : public AlgoScenario {
 protected:
  AlgoParams pov(const char* rate) const {
    AlgoParams p;
    p.strategy = Strategy::Pov;
    p.start = at(kStart);
    p.participationRate = Ratio::of(rate);
    return p;
  }
};

TEST_F(Pov, SendsNothingBeforeTheMarketTrades) {
  run(pov("0.1"));
  EXPECT_TRUE(host.sent.empty());
}

TEST_F(Pov, KeepsToTheTargetShareOfMarketVolume) {
  run(pov("0.1"));
  trade("1000");
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("100"));
  EXPECT_NE(lastSent().order.reason.find("1000 traded since start -> target 100"),
            std::string::npos)
      << lastSent().order.reason;
}

TEST_F(Pov, ItsOwnFillsCountInTheMarketVolume) {
  run(pov("0.5"));
  trade("100");  // target 50
  fill(host.sent[0].id, "50");
  trade("50");  // the print of our own fill: volume 150, target 75
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(sentQty(1), Qty::of("25"));
}

TEST_F(Pov, WaitsUntilAMinSliceIsDue) {
  AlgoParams p = pov("0.1");
  p.minSlice = Qty::of("50");
  run(p);
  trade("300");  // target 30
  EXPECT_TRUE(host.sent.empty());
  trade("200");  // target 50
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("50"));
}

TEST_F(Pov, MayRunAheadByNoMoreThanMaxAhead) {
  AlgoParams p = pov("0.1");
  p.minSlice = Qty::of("50");
  p.maxAhead = Qty::of("30");
  run(p);
  trade("100");  // target 10: 50 would be 40 ahead
  EXPECT_TRUE(host.sent.empty());
  trade("100");  // target 20: 50 is 30 ahead
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_NE(lastSent().order.reason.find("ahead of target by 30"), std::string::npos)
      << lastSent().order.reason;
}

TEST_F(Pov, ChildrenAreCappedAtMaxSlice) {
  AlgoParams p = pov("0.2");
  p.maxSlice = Qty::of("60");
  run(p);
  trade("1000");
  EXPECT_EQ(sentQty(0), Qty::of("60"));
}

TEST_F(Pov, NeverSendsMoreThanTheOrder) {
  run(pov("1"), "300");
  trade("10000");
  fillAllLive();
  trade("10000");
  EXPECT_EQ(totalSent(), Qty::of("300"));
  EXPECT_EQ(host.outcome, ParentOutcome::Filled);
}

TEST_F(Pov, TradesBeforeTheStartDoNotCount) {
  AlgoParams p = pov("0.1");
  p.start = at("20261203-14:30:00");
  run(p);
  trade("5000");
  advanceTo(at("20261203-14:30:00"));
  trade("100");
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("10"));
}

TEST_F(Pov, TradesInOtherSymbolsDoNotCount) {
  run(pov("0.1"));
  Trade t;
  t.symbol = Symbol("MSFT");
  t.qty = Qty::of("1000");
  runner->onTrade(t);
  EXPECT_TRUE(host.sent.empty());
}

TEST_F(Pov, StopsAtItsEndTime) {
  AlgoParams p = pov("0.1");
  p.end = at("20261203-14:30:00");
  run(p);
  trade("1000");
  advanceTo(at("20261203-14:30:00"));
  confirmCancels();
  EXPECT_EQ(host.outcome, ParentOutcome::Expired);
  trade("1000");
  EXPECT_EQ(host.sent.size(), 1u);
}

class Iceberg : public AlgoScenario {
 protected:
  AlgoParams iceberg(const char* floor) const {
    AlgoParams p;
    p.strategy = Strategy::Iceberg;
    p.start = at(kStart);
    p.displayQty = Qty::of(floor);
    p.limit = Price::of("100.00");
    p.venues = {VenueId("SIM")};
    return p;
  }
};

TEST_F(Iceberg, ShowsMaxFloorAtATime) {
  run(iceberg("100"));
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("100"));
  EXPECT_FALSE(lastSent().order.displayQty) << "worked in the gateway, not by the venue";
}

TEST_F(Iceberg, APartialFillDoesNotReplenish) {
  run(iceberg("100"));
  fill(host.sent[0].id, "60");
  EXPECT_EQ(host.sent.size(), 1u);
}

TEST_F(Iceberg, ReplenishesWhenTheShownPartIsFilled) {
  run(iceberg("100"));
  fill(host.sent[0].id, "60");
  fill(host.sent[0].id, "40");
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(sentQty(1), Qty::of("100"));
  EXPECT_NE(lastSent().order.reason.find("show 100 of the 900 left"), std::string::npos)
      << lastSent().order.reason;
}

TEST_F(Iceberg, TheLastPieceIsWhatIsLeft) {
  run(iceberg("400"));
  fillAllLive();
  fillAllLive();
  ASSERT_EQ(host.sent.size(), 3u);
  EXPECT_EQ(sentQty(2), Qty::of("200"));
  fillAllLive();
  EXPECT_EQ(host.outcome, ParentOutcome::Filled);
}

TEST_F(Iceberg, UsesTheVenuesNativeDisplaySizeWhereItHasOne) {
  host.nativeDisplay.insert(VenueId("SIM"));
  run(iceberg("100"));
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("1000"));
  EXPECT_EQ(lastSent().order.displayQty, Qty::of("100"));
  fill(host.sent[0].id, "100");
  EXPECT_EQ(host.sent.size(), 1u) << "the venue replenishes itself";
}

TEST_F(Iceberg, RandomisedShowSizesStayWithinTheirBand) {
  AlgoParams p = iceberg("100");
  p.randomizeSize = Ratio::of("0.2");
  p.seed = 5;
  run(p, "2000");
  bool varied = false;
  while (runner->state() == AlgoRunner::State::Working) {
    const Qty q = lastSent().order.qty;
    if (runner->cum() + q < Qty::of("2000")) {
      EXPECT_GE(q, Qty::of("80"));
      EXPECT_LE(q, Qty::of("120"));
    }
    varied |= q != Qty::of("100");
    fillAllLive();
  }
  EXPECT_TRUE(varied);
  EXPECT_EQ(totalSent(), Qty::of("2000"));
}

TEST_F(Iceberg, AChildBelowMinQtyIsNeverShown) {
  AlgoParams p = iceberg("100");
  p.minQty = Qty::of("150");
  run(p);
  EXPECT_EQ(sentQty(0), Qty::of("150"));
}

}  // namespace
}  // namespace fixgw::algos
