// TCA figures (router/tca.h) against hand-worked examples.
#include "router/tca.h"

#include <gtest/gtest.h>

namespace fixgw::router {
namespace {

const Symbol kSym("AAPL");
const VenueId kA("SIMA"), kB("SIMB");

Trade trade(const char* px, const char* qty, WallNanos time, const VenueId& v = kA) {
  Trade t;
  t.time = time;
  t.venue = v;
  t.symbol = kSym;
  t.price = Price::of(px);
  t.qty = Qty::of(qty);
  return t;
}

TopOfBook book(const VenueId& v, std::optional<const char*> bid, std::optional<const char*> ask) {
  TopOfBook b;
  b.venue = v;
  b.symbol = kSym;
  if (bid) b.bidPx = Price::of(*bid), b.bidQty = Qty::of("100");
  if (ask) b.askPx = Price::of(*ask), b.askQty = Qty::of("100");
  return b;
}

// Buy 400, arrival mid (99.98 + 100.02) / 2 = 100.00.
// Market after arrival: 200 @ 100.00, 100 @ 100.30, 200 @ 100.10: volume 500,
//   notional 20000 + 10030 + 20020 = 50050, VWAP 100.10.
// Our fills: 100 @ 100.05 on SIMA (fee 0.50 USD), 150 @ 100.15 on SIMB (fee 0.75 USD):
//   filled 250, notional 10005 + 15022.5 = 25027.5, average 100.11.
// Slippage vs arrival: (100.11 - 100) / 100 * 10000 = 11 bps (a cost: bought above).
// Slippage vs VWAP: 0.01 / 100.10 * 10000 = 0.999000999.. -> 0.99900100 bps.
// Participation 250 / 500 = 0.5; fill rate 250 / 400 = 0.625; shares SIMA 0.4, SIMB 0.6.
TEST(Tca, BuyAgainstArrivalMidAndIntervalVwap) {
  TcaTracker t;
  t.onTrade(trade("99", "1000", 500));  // before arrival: not in the interval
  t.onBook(book(kA, "99.98", "100.02"));
  t.onBook(book(kB, "99.90", "100.50"));  // another venue's book: not the routed venue's mid
  const OrderId id("P1");
  auto mid = t.mid(kA, kSym);
  ASSERT_TRUE(mid);
  EXPECT_EQ(*mid, Price::of("100"));
  TcaAccumulator& a = t.start(id, kSym, Side::Buy, 1000, mid, ArrivalSource::Mid);
  t.onTrade(trade("100.00", "200", 1100));
  t.onTrade(trade("100.30", "100", 1200, kB));  // every venue's trades are the market
  a.onFill(kA, Qty::of("100"), Price::of("100.05"), Qty::of("0.50"), "USD");
  t.find(id)->onFill(kB, Qty::of("150"), Price::of("100.15"), Qty::of("0.75"), "USD");
  ASSERT_TRUE(t.complete(id, Qty::of("400"), 2000));
  // The print of the last fill (time 1300) comes after completion and still
  // counts; one after completion (2100) does not.
  t.onTrade(trade("100.10", "200", 1300));
  t.onTrade(trade("120", "1000", 2100));

  auto r = t.finish(id, kSym);
  ASSERT_TRUE(r);
  EXPECT_EQ(t.live(), 0u);
  EXPECT_EQ(r->arrivalSource, ArrivalSource::Mid);
  EXPECT_EQ(r->arrivalPx, Price::of("100"));
  EXPECT_EQ(r->orderQty, Qty::of("400"));
  EXPECT_EQ(r->filledQty, Qty::of("250"));
  EXPECT_EQ(r->avgPx, Price::of("100.11"));
  EXPECT_EQ(r->marketVolume, Qty::of("500"));
  EXPECT_EQ(r->marketTrades, 3);
  EXPECT_EQ(r->intervalVwap, Price::of("100.1"));
  EXPECT_EQ(r->slippageArrivalBps, Bps::of("11"));
  EXPECT_EQ(r->slippageVwapBps, Bps::of("0.999001"));
  EXPECT_EQ(r->participation, Ratio::of("0.5"));
  EXPECT_EQ(r->fillRate, Ratio::of("0.625"));
  EXPECT_EQ(r->feesByCurrency.at("USD"), Qty::of("1.25"));
  EXPECT_EQ(r->venueShare.at(kA), Ratio::of("0.4"));
  EXPECT_EQ(r->venueShare.at(kB), Ratio::of("0.6"));
  EXPECT_FALSE(t.finish(id, kSym));  // once only
}

// A print without a venue time takes the time the engine received it; prints
// out of time order across venues are counted, never lost.
TEST(Tca, PrintsWithoutVenueTimeUseTheReceiveTime) {
  TcaTracker t;
  t.start(OrderId("A"), kSym, Side::Buy, 100, Price::of("10"), ArrivalSource::Mid);
  t.onTrade(trade("10", "5", 0), 150);
  t.onTrade(trade("10", "5", 180, kB));
  t.onTrade(trade("10", "5", 170), 0);  // behind the last print: taken at 180
  t.onTrade(trade("10", "5", 0), 250);
  auto r = t.finish(OrderId("A"), kSym, Qty::of("1"), 200);
  EXPECT_EQ(r->marketVolume, Qty::of("15"));
  EXPECT_EQ(t.totals(kSym).volume, Qty::of("20"));
  EXPECT_EQ(t.totalsAt(kSym, 99).volume, Qty{});
}

// Sell 10 with no book: the reference price 50.00 stands in. Filled 10 @ 49.90:
// (50.00 - 49.90) / 50.00 * 10000 = 20 bps of cost; sold at 50.10 it is -20 (a gain).
TEST(Tca, SellAgainstReferenceIsSignedAsCost) {
  TcaTracker t;
  EXPECT_FALSE(t.mid(kA, kSym));
  t.start(OrderId("S1"), kSym, Side::Sell, 0, Price::of("50"), ArrivalSource::Reference)
      .onFill(kA, Qty::of("10"), Price::of("49.90"), std::nullopt, "");
  auto r = t.finish(OrderId("S1"), kSym, Qty::of("10"), 10);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->arrivalSource, ArrivalSource::Reference);
  EXPECT_EQ(r->slippageArrivalBps, Bps::of("20"));
  EXPECT_TRUE(r->feesByCurrency.empty());  // no fee reported: nothing counted
  // No market trade in the interval: no VWAP, no participation.
  EXPECT_FALSE(r->intervalVwap);
  EXPECT_FALSE(r->slippageVwapBps);
  EXPECT_FALSE(r->participation);
  EXPECT_EQ(r->fillRate, Ratio::of("1"));

  EXPECT_EQ(slippageBps(Side::Sell, Price::of("50.10"), Price::of("50")), Bps::of("-20"));
  EXPECT_EQ(slippageBps(Side::Buy, Price::of("49.90"), Price::of("50")), Bps::of("-20"));
  EXPECT_FALSE(slippageBps(Side::Buy, Price::of("1"), Price{}));
}

TEST(Tca, NoArrivalPriceAndNoFillsGiveNoSlippage) {
  TcaTracker t;
  t.start(OrderId("N1"), kSym, Side::Buy, 0, std::nullopt, ArrivalSource::Reference);
  t.onTrade(trade("10", "5", 5));
  auto r = t.finish(OrderId("N1"), kSym, Qty::of("100"), 10);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->arrivalSource, ArrivalSource::None);  // neither a book nor a reference
  EXPECT_FALSE(r->avgPx);
  EXPECT_FALSE(r->slippageArrivalBps);
  EXPECT_EQ(r->participation, Ratio::of("0"));
  EXPECT_EQ(r->fillRate, Ratio{});
}

TEST(Tca, MidNeedsBothSidesAndRoundsHalfAway) {
  TcaTracker t;
  t.onBook(book(kA, "100.00000001", "100.00000002"));
  EXPECT_EQ(t.mid(kA, kSym), Price::of("100.00000002"));
  t.onBook(book(kA, "100", std::nullopt));  // the ask went away: no mid, not the stale one
  EXPECT_FALSE(t.mid(kA, kSym));
  t.onBook(book(kA, "0", "0"));
  EXPECT_FALSE(t.mid(kA, kSym));
  EXPECT_EQ(ratioOf(Qty::of("1"), Qty::of("3")), Ratio::of("0.33333333"));
  EXPECT_EQ(ratioOf(Qty::of("2"), Qty::of("3")), Ratio::of("0.66666667"));
  EXPECT_FALSE(ratioOf(Qty::of("2"), Qty{}));
}

// Two parents on one symbol see only their own intervals.
TEST(Tca, OverlappingParentsHaveTheirOwnIntervals) {
  TcaTracker t;
  t.start(OrderId("A"), kSym, Side::Buy, 0, Price::of("10"), ArrivalSource::Mid);
  t.onTrade(trade("10", "100", 1));
  t.start(OrderId("B"), kSym, Side::Buy, 2, Price::of("10"), ArrivalSource::Mid);
  t.onTrade(trade("11", "100", 3));
  auto a = t.finish(OrderId("A"), kSym, Qty::of("1"), 4);
  t.onTrade(trade("12", "100", 5));
  auto b = t.finish(OrderId("B"), kSym, Qty::of("1"), 6);
  EXPECT_EQ(a->marketVolume, Qty::of("200"));
  EXPECT_EQ(a->intervalVwap, Price::of("10.5"));
  EXPECT_EQ(b->marketVolume, Qty::of("200"));
  EXPECT_EQ(b->intervalVwap, Price::of("11.5"));
}

// Prints older than the retention fold into a base: a completion time that
// far back still gets the totals before the kept prints.
TEST(Tca, OldPrintsFoldIntoTheBase) {
  TcaTracker t;
  t.onTrade(trade("10", "1", 1));
  t.onTrade(trade("10", "2", 2));
  t.onTrade(trade("10", "4", 3 + TcaTracker::kRetention));
  EXPECT_EQ(t.totalsAt(kSym, 2).volume, Qty::of("3"));  // folded: the base after both
  EXPECT_EQ(t.totalsAt(kSym, 0).volume, Qty::of("3"));
  EXPECT_EQ(t.totalsAt(kSym, 3 + TcaTracker::kRetention).volume, Qty::of("7"));
}

}  // namespace
}  // namespace fixgw::router
