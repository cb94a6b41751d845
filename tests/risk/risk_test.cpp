#include <gtest/gtest.h>

#include "risk/risk.h"

using namespace fixgw;
using namespace fixgw::risk;

namespace {
InstrumentMaster master() {
  InstrumentMaster m;
  Instrument a;
  a.symbol = Symbol("AAPL");
  a.tickSize = Price::of("0.01");
  a.lotSize = Qty::of("1");
  a.referencePrice = Price::of("100.00");
  m.add(a);
  Instrument b;
  b.symbol = Symbol("BTC-USD");
  b.tickSize = Price::of("0.01");
  b.lotSize = Qty::of("0.00000001");
  b.referencePrice = Price::of("60000");
  m.add(b);
  return m;
}
RiskConfig limits() {
  RiskConfig c;
  c.defaults.maxOrderQty = Qty::of("1000");
  c.defaults.maxNotional = Notional::of("100000");
  c.defaults.priceBandPct = Price::of("10");
  RiskLimits tight = c.defaults;
  tight.maxOrderQty = Qty::of("10");
  tight.allowMarketOrders = false;
  c.accounts[Account("TIGHT")] = tight;
  return c;
}
OrderIntent buy(const char* sym, const char* qty, std::optional<const char*> px) {
  OrderIntent o;
  o.account = Account("ACC");
  o.symbol = Symbol(sym);
  o.qty = Qty::of(qty);
  if (px) o.price = Price::of(*px);
  else o.ordType = OrdType::Market;
  return o;
}
}  // namespace

class RiskTest : public ::testing::Test {
 protected:
  InstrumentMaster m = master();
  RiskEngine r{limits(), m};
};

TEST_F(RiskTest, AcceptsAnOrderInsideEveryLimit) {
  EXPECT_TRUE(r.checkNew(buy("AAPL", "100", "100.00")).accepted);
}

TEST_F(RiskTest, UnknownSymbolIsRejectedNamingTheSymbol) {
  auto d = r.checkNew(buy("ZZZZ", "1", "1.00"));
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.rule, "UNKNOWN_SYMBOL");
  EXPECT_EQ(d.reason, OrdRejReason::UnknownSymbol);
  EXPECT_NE(d.text.find("ZZZZ"), std::string::npos);
  EXPECT_NE(d.text.find("(55)"), std::string::npos);
}

TEST_F(RiskTest, MaxOrderQtyExactlyAtLimitPassesJustOverFails) {
  EXPECT_TRUE(r.checkNew(buy("AAPL", "1000", "95.00")).accepted);
  auto d = r.checkNew(buy("AAPL", "1001", "95.00"));
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.rule, "MAX_ORDER_QTY");
  EXPECT_NE(d.text.find("1001"), std::string::npos);
  EXPECT_NE(d.text.find("1000"), std::string::npos);
}

TEST_F(RiskTest, MaxNotionalExactlyAtLimitPassesJustOverFails) {
  // 1000 * 100.00 = 100000 (at the limit), 1000 * 100.01 = 100010 (over)
  EXPECT_TRUE(r.checkNew(buy("AAPL", "1000", "100.00")).accepted);
  auto d = r.checkNew(buy("AAPL", "1000", "100.01"));
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.rule, "MAX_NOTIONAL");
  EXPECT_NE(d.text.find("100010"), std::string::npos);
}

TEST_F(RiskTest, MarketOrderNotionalUsesTheReferencePrice) {
  EXPECT_TRUE(r.checkNew(buy("BTC-USD", "1", std::nullopt)).accepted);  // 60000
  auto d = r.checkNew(buy("BTC-USD", "2", std::nullopt));               // 120000
  EXPECT_EQ(d.rule, "MAX_NOTIONAL");
}

TEST_F(RiskTest, PriceBandEdges) {
  EXPECT_TRUE(r.checkNew(buy("AAPL", "1", "110.00")).accepted);
  EXPECT_TRUE(r.checkNew(buy("AAPL", "1", "90.00")).accepted);
  EXPECT_EQ(r.checkNew(buy("AAPL", "1", "110.01")).rule, "PRICE_BAND");
  EXPECT_EQ(r.checkNew(buy("AAPL", "1", "89.99")).rule, "PRICE_BAND");
  EXPECT_TRUE(r.checkNew(buy("AAPL", "1", "92.00")).accepted);  // 8% away is inside the band
}

TEST_F(RiskTest, PriceBandFollowsLastTrade) {
  r.onTrade(Symbol("AAPL"), Price::of("105.00"));
  EXPECT_TRUE(r.checkNew(buy("AAPL", "1", "115.50")).accepted);
  EXPECT_EQ(r.checkNew(buy("AAPL", "1", "94.49")).rule, "PRICE_BAND");
}

TEST_F(RiskTest, QuantityAndPriceShape) {
  EXPECT_EQ(r.checkNew(buy("AAPL", "0", "100.00")).rule, "INVALID_QTY");
  EXPECT_EQ(r.checkNew(buy("AAPL", "-5", "100.00")).rule, "INVALID_QTY");
  EXPECT_EQ(r.checkNew(buy("AAPL", "1.5", "100.00")).rule, "LOT_SIZE");
  EXPECT_EQ(r.checkNew(buy("AAPL", "1", "100.005")).rule, "TICK_SIZE");
  EXPECT_EQ(r.checkNew(buy("AAPL", "1", "-1.00")).rule, "INVALID_PRICE");
  auto noPx = buy("AAPL", "1", "1.00");
  noPx.price.reset();
  EXPECT_EQ(r.checkNew(noPx).rule, "PRICE_REQUIRED");
  EXPECT_TRUE(r.checkNew(buy("BTC-USD", "0.00000001", "60000.00")).accepted);
}

TEST_F(RiskTest, PerAccountLimitsReplaceDefaults) {
  auto o = buy("AAPL", "11", "100.00");
  o.account = Account("TIGHT");
  EXPECT_EQ(r.checkNew(o).rule, "MAX_ORDER_QTY");
  auto m = buy("AAPL", "1", std::nullopt);
  m.account = Account("TIGHT");
  EXPECT_EQ(r.checkNew(m).rule, "MARKET_ORDERS_NOT_ALLOWED");
}

TEST_F(RiskTest, ReplaceIsCheckedAsTheResultingOrder) {
  EXPECT_TRUE(r.checkReplace(buy("AAPL", "1000", "100.00")).accepted);
  EXPECT_EQ(r.checkReplace(buy("AAPL", "1001", "90.00")).rule, "MAX_ORDER_QTY");
}
