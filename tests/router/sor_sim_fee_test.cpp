// The simulator venues the SOR splits across: fees charged on fills (the
// aggressor pays the taker rate, the resting order the maker rate, of the
// fill's notional, in the instrument's currency) and a mid moved by
// mid_offset_ticks so several simulators quote different books.
#include <gtest/gtest.h>

#include "venue_adapters/sim/sim_market.h"

using namespace fixgw;
using namespace fixgw::sim;

namespace {

constexpr WallNanos kNow = 1'700'000'000'000'000'000LL;

InstrumentMaster aapl() {
  InstrumentMaster m;
  Instrument a;
  a.symbol = Symbol("AAPL");
  a.currency = "USD";
  a.tickSize = Price::of("0.01");
  a.lotSize = Qty::of("1");
  a.referencePrice = Price::of("100.00");
  m.add(a);
  return m;
}

VenueNewOrder order(const char* id, Side side, const char* qty, const char* px) {
  VenueNewOrder o;
  o.childId = ChildOrderId(id);
  o.symbol = Symbol("AAPL");
  o.side = side;
  o.qty = Qty::of(qty);
  o.price = Price::of(px);
  return o;
}

std::vector<VenueEvent> fills(const std::vector<VenueEvent>& evs) {
  std::vector<VenueEvent> out;
  for (const auto& e : evs)
    if (e.kind == VenueEventKind::Fill) out.push_back(e);
  return out;
}

// No market maker: a resting buy 10 @ 100 (maker) meets a sell 10 @ 100
// (taker). Taker 3 bps of 1000 = 0.3; maker -0.2 bps of 1000 = -0.02 (a rebate).
TEST(SorSimFees, TakerPaysMakerGetsTheRebate) {
  SimConfig c;
  c.depthLevels = 0;
  c.takerFeeBps = FeeBps::of("3");
  c.makerFeeBps = FeeBps::of("-0.2");
  InstrumentMaster m = aapl();
  SimMarket market(VenueId("SIMA"), c, m);
  market.submit(order("B1", Side::Buy, "10", "100.00"), kNow);
  auto f = fills(market.submit(order("S1", Side::Sell, "10", "100.00"), kNow));
  ASSERT_EQ(f.size(), 2u);
  for (const auto& e : f) {
    ASSERT_TRUE(e.fee) << e.childId.str();
    EXPECT_EQ(e.feeCurrency, "USD");
    if (e.childId.str() == "S1") EXPECT_EQ(*e.fee, Qty::of("0.3"));
    if (e.childId.str() == "B1") EXPECT_EQ(*e.fee, Qty::of("-0.02"));
  }
}

// Against the market maker (no fill event for it): 100 @ 100.01 at 0.5 bps =
// 10001 x 0.00005 = 0.50005. No fee configured: no fee reported.
TEST(SorSimFees, AggressorAgainstTheMarketMakerAndNoFeeConfigured) {
  SimConfig c;
  c.levelQty = Qty::of("100");
  c.takerFeeBps = FeeBps::of("0.5");
  InstrumentMaster m = aapl();
  SimMarket withFee(VenueId("SIMB"), c, m);
  auto f = fills(withFee.submit(order("X1", Side::Buy, "100", "100.01"), kNow));
  ASSERT_EQ(f.size(), 1u);
  ASSERT_TRUE(f[0].fee);
  EXPECT_EQ(*f[0].fee, Qty::of("0.50005"));

  SimMarket noFee(VenueId("SIM"), SimConfig{}, m);
  f = fills(noFee.submit(order("X2", Side::Buy, "10", "100.01"), kNow));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].fee);
  EXPECT_TRUE(f[0].feeCurrency.empty());
}

// mid_offset_ticks: SIMA one tick under the reference quotes 99.98 / 100.00.
TEST(SorSimFees, MidOffsetMovesTheBook) {
  SimConfig c;
  c.midOffsetTicks = -1;
  InstrumentMaster m = aapl();
  SimMarket market(VenueId("SIMA"), c, m);
  EXPECT_EQ(market.mid(Symbol("AAPL")), Price::of("99.99"));
  EXPECT_EQ(market.bestBid(Symbol("AAPL")), Price::of("99.98"));
  EXPECT_EQ(market.bestAsk(Symbol("AAPL")), Price::of("100.00"));
}

}  // namespace
