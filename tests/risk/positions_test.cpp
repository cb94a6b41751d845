// Position and P&L math against hand-worked examples: partial fills, short
// sales, flips from long to short and back, and exactness over many fills.
#include "risk/positions.h"

#include <gtest/gtest.h>

#include "risk/throttle.h"

using namespace fixgw;
using namespace fixgw::risk;

namespace {
Qty Q(const char* s) { return Qty::of(s); }
Price P(const char* s) { return Price::of(s); }
Notional N(const char* s) { return Notional::of(s); }
}  // namespace

TEST(Position, BuysAverageTheirCostAndASellRealisesAgainstIt) {
  Position p;
  p.apply(Side::Buy, Q("100"), P("10"));
  p.apply(Side::Buy, Q("50"), P("13"));
  // (100*10 + 50*13) / 150 = 1650 / 150 = 11
  EXPECT_EQ(p.qty, Q("150"));
  EXPECT_EQ(p.avgCost(), P("11"));
  EXPECT_EQ(p.realised(), N("0"));
  p.apply(Side::Sell, Q("60"), P("12"));
  // 60 * (12 - 11) = 60; the rest keeps its cost
  EXPECT_EQ(p.realised(), N("60"));
  EXPECT_EQ(p.qty, Q("90"));
  EXPECT_EQ(p.avgCost(), P("11"));
  // Unrealised at 10.50: 90 * (10.50 - 11) = -45
  EXPECT_EQ(p.unrealised(P("10.50")), N("-45"));
}

TEST(Position, PartialFillsOfOneOrderBookExactly) {
  Position p;
  // One buy order of 3 filled in three parts at different prices.
  p.apply(Side::Buy, Q("1"), P("10.00"));
  p.apply(Side::Buy, Q("1"), P("10.01"));
  p.apply(Side::Buy, Q("1"), P("10.03"));
  EXPECT_EQ(p.avgCost(), P("10.01333333"));  // 30.04 / 3, rounded for display only
  p.apply(Side::Sell, Q("2"), P("10.02"));
  p.apply(Side::Sell, Q("1"), P("10.02"));
  // Proceeds 30.06 - cost 30.04 = 0.02 exactly: the cost basis is never rounded.
  EXPECT_EQ(p.realised(), N("0.02"));
  EXPECT_TRUE(p.qty.isZero());
  EXPECT_EQ(p.costRaw, 0);
  EXPECT_EQ(p.boughtQty, Q("3"));
  EXPECT_EQ(p.soldQty, Q("3"));
}

TEST(Position, ShortSaleRealisesWhenBoughtBack) {
  Position p;
  p.apply(Side::SellShort, Q("100"), P("50"));
  EXPECT_EQ(p.qty, Q("-100"));
  EXPECT_EQ(p.avgCost(), P("50"));
  // Short 100 @ 50, marked at 48: +200
  EXPECT_EQ(p.unrealised(P("48")), N("200"));
  p.apply(Side::Buy, Q("40"), P("45"));
  // Bought back 40 at 45 against 50: +200
  EXPECT_EQ(p.realised(), N("200"));
  EXPECT_EQ(p.qty, Q("-60"));
  EXPECT_EQ(p.avgCost(), P("50"));
  EXPECT_EQ(p.unrealised(P("48")), N("120"));  // 60 * (50 - 48)
  EXPECT_EQ(p.unrealised(P("53")), N("-180"));
}

TEST(Position, FlipFromLongToShortAndBack) {
  Position p;
  p.apply(Side::Buy, Q("100"), P("10"));
  p.apply(Side::Sell, Q("150"), P("12"));
  // Closes 100 long: +200; opens 50 short at 12.
  EXPECT_EQ(p.realised(), N("200"));
  EXPECT_EQ(p.qty, Q("-50"));
  EXPECT_EQ(p.avgCost(), P("12"));
  p.apply(Side::Buy, Q("80"), P("11"));
  // Closes 50 short at 11 against 12: +50; opens 30 long at 11.
  EXPECT_EQ(p.realised(), N("250"));
  EXPECT_EQ(p.qty, Q("30"));
  EXPECT_EQ(p.avgCost(), P("11"));
  EXPECT_EQ(p.unrealised(P("11.5")), N("15"));
}

TEST(Position, ExactlyFlatLeavesNoCost) {
  Position p;
  p.apply(Side::Buy, Q("0.5"), P("60000"));
  p.apply(Side::Sell, Q("0.25"), P("61000"));
  EXPECT_EQ(p.realised(), N("250"));
  p.apply(Side::Sell, Q("0.25"), P("59000"));
  EXPECT_EQ(p.realised(), N("0"));  // +250 then -250
  EXPECT_TRUE(p.qty.isZero());
  EXPECT_EQ(p.avgCost(), P("0"));
  EXPECT_EQ(p.unrealised(P("1")), N("0"));
}

TEST(Position, LossIsNegative) {
  Position p;
  p.apply(Side::Buy, Q("10"), P("100"));
  p.apply(Side::Sell, Q("10"), P("95.5"));
  EXPECT_EQ(p.realised(), N("-45"));
}

TEST(Position, ThousandsOfTinyFillsDoNotDrift) {
  Position p;
  for (int i = 0; i < 3000; ++i) p.apply(Side::Buy, Q("0.00000001"), P("0.03"));
  for (int i = 0; i < 3000; ++i) p.apply(Side::Sell, Q("0.00000001"), P("0.03"));
  EXPECT_EQ(p.realisedRaw, 0);
  EXPECT_TRUE(p.qty.isZero());
}

// ---------------------------------------------------------------- throttle

TEST(Throttle, AdmitsUpToTheLimitInsideTheWindow) {
  SlidingWindowThrottle t(3, 1'000'000'000);
  EXPECT_TRUE(t.tryAdmit(0));
  EXPECT_TRUE(t.tryAdmit(100'000'000));
  EXPECT_TRUE(t.tryAdmit(200'000'000));
  EXPECT_FALSE(t.tryAdmit(300'000'000));
  EXPECT_EQ(t.inWindow(300'000'000), 3u);
}

TEST(Throttle, WindowBoundaryIsExclusiveOfTheOldestMessage) {
  SlidingWindowThrottle t(2, 1'000'000'000);
  ASSERT_TRUE(t.tryAdmit(0));
  ASSERT_TRUE(t.tryAdmit(500'000'000));
  EXPECT_FALSE(t.tryAdmit(999'999'999));   // 1 ns before the first one leaves
  EXPECT_TRUE(t.tryAdmit(1'000'000'000));  // exactly one window later: it has left
  EXPECT_FALSE(t.tryAdmit(1'499'999'999));
  EXPECT_TRUE(t.tryAdmit(1'500'000'000));
}

TEST(Throttle, RefusedMessagesDoNotCount) {
  SlidingWindowThrottle t(1, 1'000);
  ASSERT_TRUE(t.tryAdmit(0));
  for (int i = 1; i < 1000; ++i) ASSERT_FALSE(t.tryAdmit(i));
  EXPECT_TRUE(t.tryAdmit(1000));
}

TEST(Throttle, ZeroLimitIsOff) {
  SlidingWindowThrottle t(0, 1'000);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(t.tryAdmit(0));
  EXPECT_FALSE(t.enabled());
}
