// Derivatives in risk, hand-worked: quantities count contracts, and every
// notional, exposure and P&L is qty * contractSize * price, exact. The swap is
// OKX's BTC-USDT-SWAP (ctVal 0.01 BTC per contract, settled in USDT); the
// second instrument has a contract size above 1 so a notional limit catches
// contracts that would pass as plain quantity.
#include <gtest/gtest.h>

#include "core/contract_value.h"
#include "risk/positions.h"
#include "risk/risk.h"
#include "router/tca.h"

using namespace fixgw;
using namespace fixgw::risk;

namespace {
Qty Q(const char* s) { return Qty::of(s); }
Price P(const char* s) { return Price::of(s); }
Notional N(const char* s) { return Notional::of(s); }

Instrument swap() {
  Instrument i;
  i.symbol = Symbol("BTC-USDT-SWAP");
  i.currency = "USDT";
  i.settleCurrency = "USDT";
  i.tickSize = P("0.1");
  i.lotSize = Q("1");
  i.referencePrice = P("60000");
  i.contractSize = Q("0.01");
  i.marginMode = "cross";
  return i;
}
Instrument bigContract() {
  Instrument i;
  i.symbol = Symbol("ETH-X10");
  i.currency = "USD";
  i.tickSize = P("0.01");
  i.lotSize = Q("1");
  i.referencePrice = P("3000");
  i.contractSize = Q("10");
  i.marginMode = "isolated";
  return i;
}
Instrument cash() {
  Instrument i;
  i.symbol = Symbol("BTC-USD");
  i.tickSize = P("0.01");
  i.lotSize = Q("0.00000001");
  i.referencePrice = P("60000");
  return i;
}
OrderIntent order(const char* sym, Side side, const char* qty, const char* px,
                  const char* acct = "ACC") {
  OrderIntent o;
  o.account = Account(acct);
  o.symbol = Symbol(sym);
  o.side = side;
  o.qty = Q(qty);
  o.price = P(px);
  return o;
}
}  // namespace

TEST(ContractValue, ContractSizeOneLeavesTheProductUntouched) {
  const __int128 raw = rawProduct(P("100.25"), Q("3"));
  EXPECT_EQ(contractRaw(raw, Q("1")), raw);
  EXPECT_EQ(contractNotional(raw, Q("1")), N("300.75"));
}

TEST(ContractValue, SwapNotionalIsContractsTimesSizeTimesPrice) {
  // 5 contracts x 0.01 BTC x 60000 = 3000 USDT; 7 x 10 x 3000.01 = 210000.7.
  EXPECT_EQ(contractNotional(rawProduct(P("60000"), Q("5")), Q("0.01")), N("3000"));
  EXPECT_EQ(contractNotional(rawProduct(P("3000.01"), Q("7")), Q("10")), N("210000.7"));
  EXPECT_EQ(contractValueRaw(P("60000"), Q("5"), Q("0.01")),
            static_cast<__int128>(N("3000").mantissa()) * kOne);
  EXPECT_EQ(contractNotional(rawProduct(P("60000"), Q("-5")), Q("0.01")), N("-3000"));
}

TEST(ContractValue, RoundsOnceHalfAwayFromZeroAtTheNotionalScale) {
  // 1 contract x 0.00000001 x 0.5 = 0.000000005: half a unit of 1e-8, away from zero.
  EXPECT_EQ(contractNotional(rawProduct(P("0.5"), Q("1")), Q("0.00000001")), N("0.00000001"));
  EXPECT_EQ(contractNotional(rawProduct(P("0.5"), Q("-1")), Q("0.00000001")), N("-0.00000001"));
  // 0.4 x 0.00000001 = 0.000000004: below half, rounds to zero.
  EXPECT_EQ(contractNotional(rawProduct(P("0.4"), Q("1")), Q("0.00000001")), N("0"));
}

TEST(DerivativePosition, LongFiveSellThreeRealisesThirtyUsdt) {
  Position p;
  p.contractSize = Q("0.01");
  p.apply(Side::Buy, Q("5"), P("60000"));
  p.apply(Side::Sell, Q("3"), P("61000"));
  // 3 contracts x 0.01 BTC x (61000 - 60000) = 30 USDT
  EXPECT_EQ(p.realised(), N("30"));
  EXPECT_EQ(p.qty, Q("2"));  // still in contracts
  EXPECT_EQ(p.avgCost(), P("60000"));
  // 2 x 0.01 x (62000 - 60000) = 40
  EXPECT_EQ(p.unrealised(P("62000")), N("40"));
  EXPECT_EQ(p.boughtQty, Q("5"));
  EXPECT_EQ(p.soldQty, Q("3"));
  // The same fills as plain quantity would realise 3000: the contract size matters.
  Position plain;
  plain.apply(Side::Buy, Q("5"), P("60000"));
  plain.apply(Side::Sell, Q("3"), P("61000"));
  EXPECT_EQ(plain.realised(), N("3000"));
}

TEST(DerivativePosition, ShortFlipsLongAndRealisesOnlyTheClosedContracts) {
  Position p;
  p.contractSize = Q("0.01");
  p.apply(Side::Sell, Q("4"), P("61000"));
  EXPECT_EQ(p.qty, Q("-4"));
  // Short 4 marked at 60000: 4 x 0.01 x 1000 = +40
  EXPECT_EQ(p.unrealised(P("60000")), N("40"));
  p.apply(Side::Buy, Q("10"), P("60500.5"));
  // Closes 4: 4 x 0.01 x (61000 - 60500.5) = 19.98; opens long 6 at 60500.5.
  EXPECT_EQ(p.realised(), N("19.98"));
  EXPECT_EQ(p.qty, Q("6"));
  EXPECT_EQ(p.avgCost(), P("60500.5"));
  // 6 x 0.01 x (60000 - 60500.5) = -30.03
  EXPECT_EQ(p.unrealised(P("60000")), N("-30.03"));
  EXPECT_EQ(p.costValueRaw(), static_cast<__int128>(N("3630.03").mantissa()) * kOne);
}

TEST(DerivativePosition, SmallContractPnLStaysExactOverManyFills) {
  // 0.001 contracts x 0.0001 x 0.1 = 1e-8 per round trip: exact, never drifts.
  Position p;
  p.contractSize = Q("0.0001");
  for (int i = 0; i < 1000; ++i) {
    p.apply(Side::Buy, Q("0.001"), P("100.0"));
    p.apply(Side::Sell, Q("0.001"), P("100.1"));
  }
  EXPECT_EQ(p.realised(), N("0.00001"));  // 1000 x 1e-8
  EXPECT_TRUE(p.qty.isZero());
}

class DerivativeRisk : public ::testing::Test {
 protected:
  static InstrumentMaster master() {
    InstrumentMaster m;
    m.add(swap());
    m.add(bigContract());
    m.add(cash());
    return m;
  }
  static RiskConfig limits() {
    RiskConfig c;
    c.defaults.maxNotional = N("100000");
    return c;
  }
  InstrumentMaster m = master();
  RiskEngine r{limits(), m};
};

TEST_F(DerivativeRisk, NotionalLimitCatchesContractsThatWouldPassAsPlainQty) {
  // 2 x 3000 = 6000 as plain qty; 2 contracts x 10 x 6000 = 120000 > 100000.
  auto d = r.checkNew(order("ETH-X10", Side::Buy, "2", "6000"));
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.rule, "MAX_NOTIONAL");
  EXPECT_EQ(d.reason, OrdRejReason::OrderExceedsLimit);
  EXPECT_NE(d.text.find("notional 120000 USD"), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("2 contracts x 10 x 6000"), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("limit 100000"), std::string::npos) << d.text;
  // 1 contract: 60000, inside the limit.
  EXPECT_TRUE(r.checkNew(order("ETH-X10", Side::Buy, "1", "6000")).accepted);
}

TEST_F(DerivativeRisk, SwapContractsPassWhereTheSameQtyOfTheUnderlyingFails) {
  // 100 contracts x 0.01 x 60000 = 60000 USDT: inside 100000.
  EXPECT_TRUE(r.checkNew(order("BTC-USDT-SWAP", Side::Buy, "100", "60000")).accepted);
  // 100 BTC of the cash pair = 6,000,000: over.
  EXPECT_EQ(r.checkNew(order("BTC-USD", Side::Buy, "100", "60000")).rule, "MAX_NOTIONAL");
  // 167 contracts = 100200 USDT: over, named in the settle currency.
  auto d = r.checkNew(order("BTC-USDT-SWAP", Side::Buy, "167", "60000"));
  EXPECT_EQ(d.rule, "MAX_NOTIONAL");
  EXPECT_NE(d.text.find("notional 100200 USDT"), std::string::npos) << d.text;
}

TEST_F(DerivativeRisk, MinNotionalCountsTheContractSize) {
  RiskConfig c = limits();
  c.defaults.minNotional = N("1000");
  r.reload(c);
  // 1 contract x 0.01 x 60000 = 600 < 1000 (60000 as plain qty would pass).
  auto d = r.checkNew(order("BTC-USDT-SWAP", Side::Buy, "1", "60000"));
  EXPECT_EQ(d.rule, "MIN_NOTIONAL");
  EXPECT_NE(d.text.find("notional 600 USDT"), std::string::npos) << d.text;
  EXPECT_TRUE(r.checkNew(order("BTC-USDT-SWAP", Side::Buy, "2", "60000")).accepted);
}

TEST_F(DerivativeRisk, PositionsAndExposureAreInContractTerms) {
  RiskConfig c = limits();
  c.defaults.maxGrossExposure = N("5000");
  r.reload(c);
  const Account acc("ACC");
  OrderIntent o = order("BTC-USDT-SWAP", Side::Buy, "5", "60000");
  ASSERT_TRUE(r.checkNew(o).accepted);  // 3000 of 5000
  r.onOrderOpen(OrderId("O1"), o);
  // An open order counts in contract terms: 3000 open + 4 x 600 = 5400 > 5000.
  auto d = r.checkNew(order("BTC-USDT-SWAP", Side::Buy, "4", "60000"));
  EXPECT_EQ(d.rule, "MAX_GROSS_EXPOSURE");
  EXPECT_NE(d.text.find("gross exposure 3000 + order 2400 = 5400"), std::string::npos) << d.text;
  r.onFill(OrderId("O1"), acc, Symbol("BTC-USDT-SWAP"), Side::Buy, Q("5"), P("60000"), 1);
  r.onOrderClosed(OrderId("O1"));
  OrderIntent s = order("BTC-USDT-SWAP", Side::Sell, "3", "61000");
  ASSERT_TRUE(r.checkNew(s).accepted);
  r.onOrderOpen(OrderId("O2"), s);
  r.onFill(OrderId("O2"), acc, Symbol("BTC-USDT-SWAP"), Side::Sell, Q("3"), P("61000"), 2);
  r.onOrderClosed(OrderId("O2"));

  auto v = r.position(acc, Symbol("BTC-USDT-SWAP"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->qty, Q("2"));
  EXPECT_EQ(v->avgCost, P("60000"));
  EXPECT_EQ(v->realised, N("30"));
  ASSERT_TRUE(v->reference);
  EXPECT_EQ(*v->reference, P("61000"));  // the last trade
  EXPECT_EQ(v->unrealised, N("20"));     // 2 x 0.01 x 1000
  EXPECT_EQ(v->contractSize, Q("0.01"));
  EXPECT_EQ(v->marginMode, "cross");
  EXPECT_EQ(v->settleCurrency, "USDT");
  EXPECT_TRUE(v->derivative);

  auto accts = r.accounts();
  ASSERT_EQ(accts.size(), 1u);
  EXPECT_EQ(accts[0].grossExposure, N("1220"));  // 2 x 0.01 x 61000
  EXPECT_EQ(accts[0].netExposure, N("1220"));
  EXPECT_EQ(accts[0].creditUsed, N("1200"));  // cost 2 x 0.01 x 60000
}

TEST_F(DerivativeRisk, DailyLossLimitHaltsOnContractPnLNotPlainQtyPnL) {
  RiskConfig c = limits();
  c.defaults.dailyLossLimit = N("100");
  r.reload(c);
  const Account acc("ACC");
  // Long 10 at 60000, sold at 59100: 10 x 0.01 x -900 = -90 (plain qty would be -9000).
  r.onFill(OrderId("L1"), acc, Symbol("BTC-USDT-SWAP"), Side::Buy, Q("10"), P("60000"),
           SystemClock::instance().wallNow());
  r.onFill(OrderId("L2"), acc, Symbol("BTC-USDT-SWAP"), Side::Sell, Q("10"), P("59100"),
           SystemClock::instance().wallNow());
  EXPECT_EQ(r.tradingState(ScopeKind::Account, "ACC"), TradingState::Active);
  EXPECT_EQ(r.position(acc, Symbol("BTC-USDT-SWAP"))->realised, N("-90"));
  // Another -20: -110 reaches the limit.
  r.onFill(OrderId("L3"), acc, Symbol("BTC-USDT-SWAP"), Side::Buy, Q("10"), P("59100"),
           SystemClock::instance().wallNow());
  r.onFill(OrderId("L4"), acc, Symbol("BTC-USDT-SWAP"), Side::Sell, Q("10"), P("58900"),
           SystemClock::instance().wallNow());
  EXPECT_EQ(r.tradingState(ScopeKind::Account, "ACC"), TradingState::Halted);
}

TEST_F(DerivativeRisk, RestoredFillsRebuildContractPnL) {
  const Account acc("ACC");
  std::vector<RestoredFill> fills = {
      {acc, Symbol("BTC-USDT-SWAP"), Side::Buy, Q("5"), P("60000"), 1},
      {acc, Symbol("BTC-USDT-SWAP"), Side::Sell, Q("3"), P("61000"), 2},
  };
  r.restore(fills, {});
  auto v = r.position(acc, Symbol("BTC-USDT-SWAP"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->qty, Q("2"));
  EXPECT_EQ(v->realised, N("30"));
}

// TCA on a swap (router/tca.h): every figure is per unit of the underlying
// (prices) or a ratio of contracts to contracts, so the contract size cancels
// out; fees are what the venue charged, already money in the settle currency.
// Buy 10 BTC-USDT-SWAP (0.01 BTC each), arrival mid 60000.
// Market after arrival: 20 @ 60010, 30 @ 60030 contracts: volume 50,
//   VWAP (20*60010 + 30*60030) / 50 = 60022.
// Our fills: 4 @ 60010 (fee 5 bps of 4 x 0.01 x 60010 = 2400.4 USDT -> 1.2002),
//   6 @ 60030 (fee of 3601.8 -> 1.8009): average (240040 + 360180) / 10 = 60022.
// Slippage vs arrival: 22 / 60000 * 10000 = 3.66666667 bps; vs VWAP 0; participation
// 10 / 50 = 0.2 (both in contracts); fees 3.0011 USDT.
TEST(DerivativeTca, ContractSizeCancelsOutOfPricesAndRatiosAndFeesAreMoney) {
  using namespace fixgw::router;
  const Symbol sym("BTC-USDT-SWAP");
  const VenueId v("SIM");
  auto trade = [&](const char* px, const char* qty, WallNanos time) {
    Trade t;
    t.time = time;
    t.venue = v;
    t.symbol = sym;
    t.price = P(px);
    t.qty = Q(qty);
    return t;
  };
  auto fee = [](const char* px, const char* qty) {
    // The simulator's rule (5 bps of contracts x size x price), hand-checked above.
    const __int128 num = contractValueRaw(P(px), Q(qty), Q("0.01")) * 500'000'000;
    const __int128 den = static_cast<__int128>(10'000) * kOne * kOne;
    return Qty::fromMantissa(static_cast<int64_t>((num + den / 2) / den));
  };
  EXPECT_EQ(fee("60010", "4"), Q("1.2002"));
  EXPECT_EQ(fee("60030", "6"), Q("1.8009"));

  TcaTracker t;
  const OrderId id("SWAP1");
  TcaAccumulator& a = t.start(id, sym, Side::Buy, 1000, P("60000"), ArrivalSource::Mid);
  t.onTrade(trade("60010", "20", 1100));
  t.onTrade(trade("60030", "30", 1200));
  a.onFill(v, Q("4"), P("60010"), fee("60010", "4"), "USDT");
  a.onFill(v, Q("6"), P("60030"), fee("60030", "6"), "USDT");
  ASSERT_TRUE(t.complete(id, Q("10"), 2000));
  auto r = t.finish(id, sym);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->avgPx, P("60022"));
  EXPECT_EQ(r->intervalVwap, P("60022"));
  EXPECT_EQ(r->slippageArrivalBps, Bps::of("3.66666667"));
  EXPECT_EQ(r->slippageVwapBps, Bps::of("0"));
  EXPECT_EQ(r->participation, Ratio::of("0.2"));
  EXPECT_EQ(r->fillRate, Ratio::of("1"));
  EXPECT_EQ(r->feesByCurrency.at("USDT"), Q("3.0011"));
}
