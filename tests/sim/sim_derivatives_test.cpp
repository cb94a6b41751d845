// The simulator with a derivative instrument: quantities are contracts, the
// market maker's minimum level notional counts the contract size, and a fee is
// on contracts x contract size x price, in the settle currency. Hand-worked
// with OKX's BTC-USDT-SWAP (0.01 BTC per contract, settled in USDT).
#include <gtest/gtest.h>

#include "tests/sim/sim_test_util.h"
#include "venue_adapters/sim/sim_market.h"

namespace fixgw::sim {
namespace {

using namespace fixgw::sim::testing;
constexpr WallNanos kNow = 1'700'000'000'000'000'000LL;

InstrumentMaster swapInstruments() {
  InstrumentMaster m;
  Instrument s = makeInstrument("BTC-USDT-SWAP", "60000", "0.1", "1");
  s.currency = "USD";  // deliberately different: the fee must be in the settle currency
  s.settleCurrency = "USDT";
  s.contractSize = Qty::of("0.01");
  s.marginMode = "cross";
  m.add(s);
  Instrument spot = makeInstrument("BTC-USDT", "60000", "0.1", "0.00000001");
  spot.currency = "USDT";
  m.add(spot);
  return m;
}

SimConfig withFees() {
  SimConfig c;
  c.takerFeeBps = FeeBps::of("5");   // 0.05%
  c.makerFeeBps = FeeBps::of("-1");  // a rebate
  c.stepIntervalNanos = 0;
  return c;
}

std::vector<VenueEvent> fills(const std::vector<VenueEvent>& evs) {
  std::vector<VenueEvent> v;
  for (const auto& e : evs)
    if (e.kind == VenueEventKind::Fill) v.push_back(e);
  return v;
}

TEST(SimDerivatives, LevelSizeCountsContractsOfTheMinimumNotional) {
  InstrumentMaster m = swapInstruments();
  SimMarket market{VenueId("SIM"), SimConfig{}, m};
  // 10000 USDT / (60000 x 0.01) = 16.67 -> 17 contracts; 100 lots of 1 is more: 100.
  EXPECT_EQ(market.levelQty(Symbol("BTC-USDT-SWAP")), Qty::of("100"));
  SimConfig few;
  few.levelQtyLots = 1;
  SimMarket market2{VenueId("SIM"), few, m};
  EXPECT_EQ(market2.levelQty(Symbol("BTC-USDT-SWAP")), Qty::of("17"));
  // The spot pair at the same price: 10000 / 60000 BTC = 0.16666667.
  EXPECT_EQ(market2.levelQty(Symbol("BTC-USDT")), Qty::of("0.16666667"));
}

TEST(SimDerivatives, TakerFeeIsOnContractsTimesSizeTimesPriceInSettleCurrency) {
  InstrumentMaster m = swapInstruments();
  SimMarket market{VenueId("SIM"), withFees(), m};
  const Price ask = *market.bestAsk(Symbol("BTC-USDT-SWAP"));
  auto evs = market.submit(order("c1", "BTC-USDT-SWAP", Side::Buy, "5", ask.str().c_str()), kNow);
  auto f = fills(evs);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].lastQty, Qty::of("5"));  // contracts
  EXPECT_EQ(f[0].lastPx, ask);
  // ask = 60000.1: 5 x 0.01 x 60000.1 = 3000.005 USDT; 5 bps = 1.5000025 USDT.
  ASSERT_EQ(ask, Price::of("60000.1"));
  ASSERT_TRUE(f[0].fee);
  EXPECT_EQ(*f[0].fee, Qty::of("1.5000025"));
  EXPECT_EQ(f[0].feeCurrency, "USDT");
}

TEST(SimDerivatives, MakerRebateOnARestingSwapOrder) {
  InstrumentMaster m = swapInstruments();
  SimConfig c = withFees();
  c.depthLevels = 0;  // clients only
  SimMarket market{VenueId("SIM"), c, m};
  market.submit(order("maker", "BTC-USDT-SWAP", Side::Sell, "3", "61000"), kNow);
  auto evs = market.submit(order("taker", "BTC-USDT-SWAP", Side::Buy, "3", "61000"), kNow);
  auto f = fills(evs);
  ASSERT_EQ(f.size(), 2u);
  for (const auto& e : f) {
    ASSERT_TRUE(e.fee);
    // 3 x 0.01 x 61000 = 1830 USDT: taker 5 bps = 0.915, maker -1 bp = -0.183.
    EXPECT_EQ(*e.fee, Qty::of(e.childId.str() == "taker" ? "0.915" : "-0.183"));
    EXPECT_EQ(e.feeCurrency, "USDT");
  }
}

}  // namespace
}  // namespace fixgw::sim
