// Every pre-trade rule at its edges: exactly at the limit passes, just over
// fails, with the rule, the limit and the value in the text, and a REJECT
// risk event journaled. Time is a ManualClock so throttle and duplicate
// windows are exact.
#include <gtest/gtest.h>

#include "core/journal.h"
#include "risk/risk.h"

using namespace fixgw;
using namespace fixgw::risk;

namespace {

Qty Q(const char* s) { return Qty::of(s); }
Price P(const char* s) { return Price::of(s); }
Notional N(const char* s) { return Notional::of(s); }
constexpr int64_t kMs = 1'000'000;

InstrumentMaster master() {
  InstrumentMaster m;
  Instrument a;
  a.symbol = Symbol("AAPL");
  a.tickSize = P("0.01");
  a.lotSize = Q("1");
  a.referencePrice = P("100.00");
  m.add(a);
  Instrument r;
  r.symbol = Symbol("ROUND");
  r.tickSize = P("0.05");
  r.lotSize = Q("10");
  r.referencePrice = P("50.00");
  m.add(r);
  Instrument n;
  n.symbol = Symbol("NOREF");
  n.tickSize = P("0.01");
  n.lotSize = Q("1");
  m.add(n);  // no static reference price
  return m;
}

OrderIntent order(Side side, const char* qty, std::optional<const char*> px,
                  const char* sym = "AAPL", const char* acct = "ACC") {
  OrderIntent o;
  o.account = Account(acct);
  o.symbol = Symbol(sym);
  o.side = side;
  o.qty = Q(qty);
  o.session = SessionKey("FIX.4.4:FIXGW->C1");
  if (px)
    o.price = P(*px);
  else
    o.ordType = OrdType::Market;
  return o;
}

const RiskEventRec* lastRiskEvent(const MemoryJournal& j) {
  for (auto it = j.records.rbegin(); it != j.records.rend(); ++it)
    if (auto* e = recordIf<RiskEventRec>(&*it)) return e;
  return nullptr;
}

}  // namespace

class RiskRules : public ::testing::Test {
 protected:
  InstrumentMaster m = master();
  ManualClock clock;
  MemoryJournal journal;
  std::unique_ptr<RiskEngine> r;
  RiskConfig cfg;
  int nextId = 0;

  void make() {
    r = std::make_unique<RiskEngine>(cfg, m, clock);
    r->setJournal(&journal);
  }
  // Checks, and on acceptance opens the order as the router would.
  RiskDecision place(OrderIntent o) {
    o.orderId = OrderId(std::string("O").append(std::to_string(++nextId)));
    RiskDecision d = r->checkNew(o);
    if (d.accepted) {
      if (d.adjustedQty) o.qty = *d.adjustedQty;
      if (d.adjustedPrice) o.price = *d.adjustedPrice;
      r->onOrderOpen(o.orderId, o);
    }
    return d;
  }
  void fill(const char* id, Side side, const char* qty, const char* px, const char* acct = "ACC",
            const char* sym = "AAPL") {
    r->onFill(OrderId(id), Account(acct), Symbol(sym), side, Q(qty), P(px), clock.wallNow());
  }
  void expectRule(const RiskDecision& d, const char* rule, std::initializer_list<const char*> in) {
    EXPECT_FALSE(d.accepted);
    EXPECT_EQ(d.rule, rule) << d.text;
    for (const char* s : in) EXPECT_NE(d.text.find(s), std::string::npos) << d.text << " / " << s;
    const RiskEventRec* e = lastRiskEvent(journal);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->eventType, "REJECT");
    EXPECT_EQ(e->rule, rule);
  }
};

TEST_F(RiskRules, MinOrderQtyAndMinNotionalEdges) {
  cfg.defaults.minOrderQty = Q("10");
  cfg.defaults.minNotional = N("1000");
  make();
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "10", "100.00")).accepted);  // 1000 exactly
  expectRule(r->checkNew(order(Side::Buy, "9", "100.00")), "MIN_ORDER_QTY", {"9", "10"});
  expectRule(r->checkNew(order(Side::Buy, "10", "99.99")), "MIN_NOTIONAL", {"999.9", "1000"});
  EXPECT_EQ(lastRiskEvent(journal)->limit, "1000");
  EXPECT_EQ(lastRiskEvent(journal)->value, "999.9");
}

TEST_F(RiskRules, PriceBandInTicks) {
  cfg.defaults.priceBandTicks = 50;  // ±0.50 around 100.00
  make();
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "1", "100.50")).accepted);
  EXPECT_TRUE(r->checkNew(order(Side::Sell, "1", "99.50")).accepted);
  expectRule(r->checkNew(order(Side::Buy, "1", "100.51")), "PRICE_BAND", {"100.51", "50 ticks"});
  expectRule(r->checkNew(order(Side::Sell, "1", "99.49")), "PRICE_BAND", {"99.49"});
}

TEST_F(RiskRules, PriceBandWithoutReferenceRejects) {
  cfg.defaults.priceBandPct = P("5");
  make();
  expectRule(r->checkNew(order(Side::Buy, "1", "10.00", "NOREF")), "NO_REFERENCE_PRICE", {"NOREF"});
  r->onTrade(Symbol("NOREF"), P("10.00"));  // a last trade is a reference
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "1", "10.50", "NOREF")).accepted);
  EXPECT_EQ(r->checkNew(order(Side::Buy, "1", "10.51", "NOREF")).rule, "PRICE_BAND");
}

TEST_F(RiskRules, ReferenceFromTheVenueQuoteWhenNoTrade) {
  cfg.defaults.priceBandPct = P("1");
  make();
  r->setReferenceSource([](const Symbol& s) -> std::optional<Price> {
    if (s == Symbol("NOREF")) return P("20.00");
    return std::nullopt;
  });
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "1", "20.20", "NOREF")).accepted);
  EXPECT_EQ(r->checkNew(order(Side::Buy, "1", "20.21", "NOREF")).rule, "PRICE_BAND");
}

TEST_F(RiskRules, TickAndLotRejectOrRoundPerInstrument) {
  make();
  EXPECT_EQ(r->checkNew(order(Side::Buy, "15", "50.02", "ROUND")).rule, "LOT_SIZE");
  EXPECT_EQ(r->checkNew(order(Side::Buy, "10", "50.02", "ROUND")).rule, "TICK_SIZE");
  cfg.instruments[Symbol("ROUND")] = InstrumentRiskRules{true, true};
  r->reload(cfg);
  RiskDecision buy = r->checkNew(order(Side::Buy, "15", "50.02", "ROUND"));
  ASSERT_TRUE(buy.accepted) << buy.text;
  EXPECT_EQ(*buy.adjustedQty, Q("10"));       // down to the lot
  EXPECT_EQ(*buy.adjustedPrice, P("50.00"));  // a buy never rounds up
  RiskDecision sell = r->checkNew(order(Side::Sell, "20", "50.02", "ROUND"));
  ASSERT_TRUE(sell.accepted);
  EXPECT_FALSE(sell.adjustedQty);
  EXPECT_EQ(*sell.adjustedPrice, P("50.05"));  // a sell never rounds down
  EXPECT_EQ(r->checkNew(order(Side::Buy, "9", "50.00", "ROUND")).rule, "LOT_SIZE");  // rounds to 0
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "10", "50.05", "ROUND")).adjustedPrice == std::nullopt);
}

TEST_F(RiskRules, RestrictedSymbolsGlobalAndPerAccount) {
  cfg.restrictedSymbols.insert(Symbol("ROUND"));
  RiskLimits acc = cfg.defaults;
  acc.restrictedSymbols.insert(Symbol("AAPL"));
  cfg.accounts[Account("NOAAPL")] = acc;
  make();
  expectRule(r->checkNew(order(Side::Buy, "10", "50.00", "ROUND")), "RESTRICTED_SYMBOL", {"ROUND"});
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "1", "100.00")).accepted);
  expectRule(r->checkNew(order(Side::Buy, "1", "100.00", "AAPL", "NOAAPL")), "RESTRICTED_SYMBOL",
             {"AAPL", "NOAAPL"});
}

TEST_F(RiskRules, OrderTypesAndTifsPerAccount) {
  cfg.defaults.allowedTifs = (1u << static_cast<unsigned>(TimeInForce::Day)) |
                             (1u << static_cast<unsigned>(TimeInForce::Ioc));
  cfg.defaults.allowedOrdTypes = 1u << static_cast<unsigned>(OrdType::Limit);
  make();
  auto o = order(Side::Buy, "1", "100.00");
  o.tif = TimeInForce::Ioc;
  EXPECT_TRUE(r->checkNew(o).accepted);
  o.tif = TimeInForce::Gtc;
  expectRule(r->checkNew(o), "TIF_NOT_ALLOWED", {"GTC"});
  expectRule(r->checkNew(order(Side::Buy, "1", std::nullopt)), "ORD_TYPE_NOT_ALLOWED", {"MARKET"});
}

TEST_F(RiskRules, StopOrdersCheckTheirStopPriceAndAreValuedAtIt) {
  cfg.defaults.priceBandTicks = 50;  // ±0.50 around 100.00
  cfg.defaults.maxNotional = N("1005");
  make();
  auto stop = [](Side side, const char* qty, const char* stopPx,
                 std::optional<const char*> limitPx = std::nullopt) {
    OrderIntent o = order(side, qty, limitPx);
    o.ordType = limitPx ? OrdType::StopLimit : OrdType::Stop;
    o.stopPx = P(stopPx);
    return o;
  };
  EXPECT_TRUE(r->checkNew(stop(Side::Buy, "10", "100.50")).accepted);  // 1005 exactly
  // A stop is valued at its trigger, not at the reference.
  expectRule(r->checkNew(stop(Side::Buy, "1", "100.51")), "PRICE_BAND",
             {"StopPx (99) 100.51", "50 ticks"});
  expectRule(r->checkNew(stop(Side::Sell, "11", "99.50")), "MAX_NOTIONAL", {"1094.5", "1005"});
  // Stop-limit: both prices are banded; the limit prices it.
  EXPECT_TRUE(r->checkNew(stop(Side::Sell, "10", "99.60", "99.50")).accepted);
  expectRule(r->checkNew(stop(Side::Sell, "1", "99.60", "99.40")), "PRICE_BAND",
             {"Price (44) 99.4 "});
  expectRule(r->checkNew(stop(Side::Sell, "1", "99.40", "99.60")), "PRICE_BAND",
             {"StopPx (99) 99.4 "});
  // A trigger is never rounded to the tick.
  expectRule(r->checkNew(stop(Side::Buy, "1", "100.005")), "TICK_SIZE", {"StopPx (99)", "0.01"});
  OrderIntent missing = stop(Side::Buy, "1", "100.10");
  missing.stopPx.reset();
  expectRule(r->checkNew(missing), "STOP_PX_REQUIRED", {"StopPx (99)"});
}

TEST_F(RiskRules, StopCountsAsAMarketOrderWhereMarketOrdersAreBarred) {
  cfg.defaults.allowMarketOrders = false;
  cfg.defaults.allowedTifs = ~(1u << static_cast<unsigned>(TimeInForce::AtTheOpening)) & 0xFF;
  make();
  OrderIntent o = order(Side::Buy, "1", std::nullopt);
  o.ordType = OrdType::Stop;
  o.stopPx = P("100.10");
  expectRule(r->checkNew(o), "MARKET_ORDERS_NOT_ALLOWED", {"stop order"});
  o.ordType = OrdType::StopLimit;
  o.price = P("100.20");
  EXPECT_TRUE(r->checkNew(o).accepted);
  o.tif = TimeInForce::AtTheOpening;
  expectRule(r->checkNew(o), "TIF_NOT_ALLOWED", {"OPG"});
}

TEST_F(RiskRules, AWaitingStopIsNotRestingLiquidityForSelfTradePrevention) {
  cfg.defaults.selfTrade = StpAction::RejectIncoming;
  make();
  OrderIntent sl = order(Side::Sell, "10", "95.00");
  sl.ordType = OrdType::StopLimit;
  sl.stopPx = P("95.10");
  ASSERT_TRUE(place(sl).accepted);
  EXPECT_TRUE(place(order(Side::Buy, "10", "100.00")).accepted);
  // A plain resting limit still blocks a crossing order.
  ASSERT_TRUE(place(order(Side::Sell, "10", "100.20")).accepted);
  expectRule(place(order(Side::Buy, "10", "100.30")), "SELF_TRADE", {"100.2"});
}

TEST_F(RiskRules, MaxOpenOrdersCountsOpenOrdersOnly) {
  cfg.defaults.maxOpenOrders = 2;
  make();
  ASSERT_TRUE(place(order(Side::Buy, "1", "99.00")).accepted);
  ASSERT_TRUE(place(order(Side::Buy, "1", "99.00")).accepted);  // exactly at the limit
  expectRule(place(order(Side::Buy, "1", "99.00")), "MAX_OPEN_ORDERS", {"3", "limit 2"});
  r->onOrderClosed(OrderId("O1"));
  EXPECT_TRUE(place(order(Side::Buy, "1", "99.00")).accepted);
}

TEST_F(RiskRules, MaxLongPositionCountsPositionAndOpenBuys) {
  cfg.defaults.maxLongQty = Q("100");
  make();
  ASSERT_TRUE(place(order(Side::Buy, "40", "100.00")).accepted);  // O1
  fill("O1", Side::Buy, "40", "100.00");
  r->onOrderClosed(OrderId("O1"));
  ASSERT_TRUE(place(order(Side::Buy, "30", "100.00")).accepted);        // open 30 + position 40
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "30", "100.00")).accepted);  // 100 exactly
  expectRule(r->checkNew(order(Side::Buy, "31", "100.00")), "MAX_LONG_POSITION",
             {"40", "30", "31", "101", "100"});
  EXPECT_TRUE(r->checkNew(order(Side::Sell, "500", "100.00")).accepted);  // sells are not long
}

TEST_F(RiskRules, MaxShortPositionCountsPositionAndOpenSells) {
  cfg.defaults.maxShortQty = Q("50");
  make();
  ASSERT_TRUE(place(order(Side::Buy, "20", "100.00")).accepted);
  fill("O1", Side::Buy, "20", "100.00");                                 // long 20
  EXPECT_TRUE(r->checkNew(order(Side::Sell, "70", "100.00")).accepted);  // ends short 50
  expectRule(r->checkNew(order(Side::SellShort, "71", "100.00")), "MAX_SHORT_POSITION",
             {"51", "50"});
}

TEST_F(RiskRules, ReplaceThatGrowsAnOrderOverTheLimitIsRejected) {
  cfg.defaults.maxLongQty = Q("100");
  make();
  ASSERT_TRUE(place(order(Side::Buy, "60", "100.00")).accepted);  // O1
  ASSERT_TRUE(place(order(Side::Buy, "20", "100.00")).accepted);  // O2
  // Replacing O1 to 80 leaves 100 in total (its old 60 does not count twice).
  OrderIntent rep = order(Side::Buy, "80", "100.00");
  rep.orderId = OrderId("O1");
  EXPECT_TRUE(r->checkReplace(rep).accepted);
  rep.qty = Q("81");
  auto d = r->checkReplace(rep);
  expectRule(d, "MAX_LONG_POSITION", {"101"});
  EXPECT_NE(lastRiskEvent(journal)->text.find("replace:"), std::string::npos);
  // Partially filled: a replace only adds its leaves.
  fill("O1", Side::Buy, "10", "100.00");  // position 10, O1 leaves 50, O2 20
  rep.cumQty = Q("10");
  rep.qty = Q("80");  // leaves 70 + O2 20 + position 10 = 100
  EXPECT_TRUE(r->checkReplace(rep).accepted);
  rep.qty = Q("81");
  EXPECT_EQ(r->checkReplace(rep).rule, "MAX_LONG_POSITION");
  r->onReplaced(OrderId("O1"), Q("80"), P("100.00"));
  EXPECT_EQ(r->position(Account("ACC"), Symbol("AAPL"))->openBuyQty, Q("90"));  // 70 + 20
}

TEST_F(RiskRules, GrossAndNetExposure) {
  cfg.defaults.maxGrossExposure = N("30000");
  cfg.defaults.maxNetExposure = N("15000");
  make();
  ASSERT_TRUE(place(order(Side::Buy, "100", "100.00")).accepted);  // 10000 open buy
  fill("O1", Side::Buy, "100", "100.00");
  r->onOrderClosed(OrderId("O1"));                                      // long 100 @ 100 = 10000
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "50", "100.00")).accepted);  // net 15000 exactly
  expectRule(r->checkNew(order(Side::Buy, "51", "100.00")), "MAX_NET_EXPOSURE", {"15100", "15000"});
  // Sells reduce net but add gross: 10000 + 20000 = 30000 exactly, then over.
  EXPECT_TRUE(r->checkNew(order(Side::Sell, "200", "100.00")).accepted);
  expectRule(r->checkNew(order(Side::Sell, "201", "100.00")), "MAX_GROSS_EXPOSURE",
             {"30100", "30000"});
}

TEST_F(RiskRules, CreditLimitCountsOpenOrdersAndPositionCost) {
  cfg.defaults.creditLimit = N("20000");
  make();
  ASSERT_TRUE(place(order(Side::Buy, "100", "100.00")).accepted);        // 10000 open
  fill("O1", Side::Buy, "50", "100.00");                                 // cost 5000 + open 5000
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "100", "100.00")).accepted);  // 20000 exactly
  expectRule(r->checkNew(order(Side::Buy, "100", "100.01")), "CREDIT_LIMIT", {"20001", "20000"});
}

TEST_F(RiskRules, DailyLossLimitHaltsTheAccountAndAsksForCancels) {
  cfg.defaults.dailyLossLimit = N("500");
  make();
  ASSERT_TRUE(place(order(Side::Buy, "100", "100.00")).accepted);
  fill("O1", Side::Buy, "100", "100.00");
  ASSERT_TRUE(place(order(Side::Buy, "1", "99.00")).accepted);  // O2 rests
  r->onTrade(Symbol("AAPL"), P("95.01"));                       // unrealised -499
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "1", "95.00")).accepted);
  EXPECT_EQ(r->tradingState(ScopeKind::Account, "ACC"), TradingState::Active);
  r->onTrade(Symbol("AAPL"), P("95.00"));  // -500: at the limit is a breach
  expectRule(r->checkNew(order(Side::Buy, "1", "95.00")), "DAILY_LOSS_LIMIT", {"-500"});
  EXPECT_EQ(r->tradingState(ScopeKind::Account, "ACC"), TradingState::Halted);
  auto scopes = r->takeCancelScopes();
  ASSERT_EQ(scopes.size(), 1u);
  EXPECT_EQ(scopes[0].scope, ScopeKind::Account);
  EXPECT_EQ(scopes[0].key, "ACC");
  bool sawChange = false;
  for (const auto& rec : journal.records)
    if (auto* e = recordIf<RiskEventRec>(&rec); e && e->eventType == "STATE_CHANGE") {
      sawChange = true;
      EXPECT_EQ(e->who, "risk");
      EXPECT_EQ(e->toState, "HALTED");
      EXPECT_NE(e->reason.find("daily loss"), std::string::npos);
    }
  EXPECT_TRUE(sawChange);
  EXPECT_EQ(r->checkNew(order(Side::Sell, "1", "95.00")).rule, "HALTED");
}

TEST_F(RiskRules, DailyLossHaltsOnTheFillThatBreachesIt) {
  cfg.defaults.dailyLossLimit = N("100");
  cfg.defaults.haltCancelsOpenOrders = false;
  make();
  fill("X1", Side::Buy, "10", "100.00");
  fill("X2", Side::Sell, "10", "89.99");  // realised -100.10
  EXPECT_EQ(r->tradingState(ScopeKind::Account, "ACC"), TradingState::Halted);
  EXPECT_TRUE(r->takeCancelScopes().empty());  // configured not to cancel
}

TEST_F(RiskRules, SessionAndAccountThrottlesOverAManualClock) {
  cfg.sessionDefaults.maxOrdersPerSec = 3;
  cfg.defaults.maxOrdersPerSec = 4;
  make();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(r->checkNew(order(Side::Buy, "1", "100.00")).accepted);
  expectRule(r->checkNew(order(Side::Buy, "1", "100.00")), "THROTTLE_SESSION_ORDERS",
             {"3 orders in 1000 ms"});
  // Another session of the same account: the account limit (4) bites next.
  auto other = order(Side::Buy, "1", "100.00");
  other.session = SessionKey("FIX.4.4:FIXGW->C2");
  EXPECT_TRUE(r->checkNew(other).accepted);
  expectRule(r->checkNew(other), "THROTTLE_ACCOUNT_ORDERS", {"4 orders", "ACC"});
  clock.advance(1000 * kMs - 1);
  EXPECT_EQ(r->checkNew(order(Side::Buy, "1", "100.00")).rule, "THROTTLE_SESSION_ORDERS");
  clock.advance(1);  // the window has slid past the first three
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "1", "100.00")).accepted);
}

TEST_F(RiskRules, CancelThrottleWarnsButNeverBlocks) {
  cfg.defaults.maxCancelsPerSec = 1;
  make();
  EXPECT_TRUE(r->onCancelRequest(SessionKey("S"), Account("ACC")));
  EXPECT_FALSE(r->onCancelRequest(SessionKey("S"), Account("ACC")));
  const RiskEventRec* e = lastRiskEvent(journal);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->eventType, "WARN");
  EXPECT_EQ(e->rule, "THROTTLE_ACCOUNT_CANCELS");
}

TEST_F(RiskRules, DuplicateOrderWarnOrRejectInsideTheWindow) {
  cfg.defaults.duplicateAction = RuleAction::Reject;
  cfg.defaults.duplicateWindowNanos = 500 * kMs;
  make();
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "10", "100.00")).accepted);
  clock.advance(499 * kMs);
  expectRule(r->checkNew(order(Side::Buy, "10", "100.00")), "DUPLICATE_ORDER", {"499 ms"});
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "10", "100.01")).accepted);   // other price
  EXPECT_TRUE(r->checkNew(order(Side::Sell, "10", "100.00")).accepted);  // other side
  clock.advance(1 * kMs);  // 500 ms after the first: outside the window
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "10", "100.00")).accepted);

  cfg.defaults.duplicateAction = RuleAction::Warn;
  r->reload(cfg);
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "10", "100.00")).accepted);
  const RiskEventRec* e = lastRiskEvent(journal);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->eventType, "WARN");
  EXPECT_EQ(e->rule, "DUPLICATE_ORDER");
}

TEST_F(RiskRules, SelfTradePreventionRejectsIncomingOrCancelsResting) {
  cfg.defaults.selfTrade = StpAction::RejectIncoming;
  make();
  ASSERT_TRUE(place(order(Side::Sell, "10", "101.00")).accepted);       // O1 rests
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "10", "100.99")).accepted);  // does not cross
  expectRule(r->checkNew(order(Side::Buy, "10", "101.00")), "SELF_TRADE", {"O1", "101"});
  expectRule(r->checkNew(order(Side::Buy, "10", std::nullopt)), "SELF_TRADE", {"O1"});
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "10", "101.00", "AAPL", "OTHER")).accepted);

  cfg.defaults.selfTrade = StpAction::CancelResting;
  r->reload(cfg);
  RiskDecision d = r->checkNew(order(Side::Buy, "10", "101.50"));
  ASSERT_TRUE(d.accepted);
  ASSERT_EQ(d.cancelResting.size(), 1u);
  EXPECT_EQ(d.cancelResting[0], OrderId("O1"));
}

TEST_F(RiskRules, HaltedRejectsEverythingNewReducingOnlyReduces) {
  make();
  fill("X", Side::Buy, "100", "100.00");  // long 100
  r->setTradingState(ScopeKind::Global, "", TradingState::Halted, "alice", "test", false);
  expectRule(r->checkNew(order(Side::Sell, "1", "100.00")), "HALTED", {"gateway"});
  r->setTradingState(ScopeKind::Global, "", TradingState::Active, "alice", "over", false);
  r->setTradingState(ScopeKind::Session, "FIX.4.4:FIXGW->C1", TradingState::Reducing, "bob",
                     "desk asked", false);
  EXPECT_EQ(r->effectiveState(Account("ACC"), SessionKey("FIX.4.4:FIXGW->C1")),
            TradingState::Reducing);
  expectRule(r->checkNew(order(Side::Buy, "1", "100.00")), "REDUCE_ONLY", {"position 100"});
  EXPECT_TRUE(place(order(Side::Sell, "60", "100.00")).accepted);
  EXPECT_TRUE(r->checkNew(order(Side::Sell, "40", "100.00")).accepted);           // flat exactly
  EXPECT_EQ(r->checkNew(order(Side::Sell, "41", "100.00")).rule, "REDUCE_ONLY");  // would flip
  auto otherSession = order(Side::Buy, "1", "100.00");
  otherSession.session = SessionKey("FIX.4.4:FIXGW->C2");
  EXPECT_TRUE(r->checkNew(otherSession).accepted);
  // The journal says who and why.
  const RiskEventRec* e = nullptr;
  for (const auto& rec : journal.records)
    if (auto* x = recordIf<RiskEventRec>(&rec); x && x->eventType == "STATE_CHANGE") e = x;
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->who, "bob");
  EXPECT_EQ(e->reason, "desk asked");
  EXPECT_EQ(e->scope, "SESSION");
  EXPECT_EQ(e->fromState, "ACTIVE");
  EXPECT_EQ(e->toState, "REDUCING");
}

TEST_F(RiskRules, ReloadAppliesNewLimitsAndKeepsState) {
  cfg.defaults.maxOrderQty = Q("100");
  make();
  fill("X", Side::Buy, "10", "100.00");
  r->setTradingState(ScopeKind::Account, "ACC", TradingState::Reducing, "ops", "r", false);
  EXPECT_TRUE(r->checkNew(order(Side::Sell, "10", "100.00")).accepted);
  cfg.defaults.maxOrderQty = Q("5");
  r->reload(cfg);
  EXPECT_EQ(r->checkNew(order(Side::Sell, "10", "100.00")).rule, "MAX_ORDER_QTY");
  EXPECT_EQ(r->position(Account("ACC"), Symbol("AAPL"))->qty, Q("10"));
  EXPECT_EQ(r->tradingState(ScopeKind::Account, "ACC"), TradingState::Reducing);
}

TEST_F(RiskRules, RestoreReplaysFillsAndStates) {
  make();
  std::vector<RestoredFill> fills{
      {Account("ACC"), Symbol("AAPL"), Side::Buy, Q("100"), P("10"), clock.wallNow()},
      {Account("ACC"), Symbol("AAPL"), Side::Sell, Q("150"), P("12"), clock.wallNow()}};
  std::vector<RestoredState> states{{ScopeKind::Account, "ACC", TradingState::Halted}};
  r->restore(fills, states);
  auto p = r->position(Account("ACC"), Symbol("AAPL"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->qty, Q("-50"));
  EXPECT_EQ(p->realised, N("200"));
  EXPECT_EQ(p->avgCost, P("12"));
  EXPECT_EQ(p->reference, P("12"));  // last replayed fill
  EXPECT_EQ(r->tradingState(ScopeKind::Account, "ACC"), TradingState::Halted);
  EXPECT_EQ(lastRiskEvent(journal), nullptr) << "replaying history journals nothing";
}

TEST_F(RiskRules, AccountViewsSumTheBooks) {
  make();
  ASSERT_TRUE(place(order(Side::Buy, "10", "99.00")).accepted);  // 990 open
  fill("Y", Side::Sell, "5", "100.00");                          // short 5 @ 100
  auto views = r->accounts();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].openOrders, 1u);
  EXPECT_EQ(views[0].grossExposure, N("1490"));  // 500 + 990
  EXPECT_EQ(views[0].netExposure, N("490"));     // -500 + 990
  EXPECT_EQ(views[0].creditUsed, N("1490"));
  EXPECT_EQ(views[0].dailyPnl, N("0"));
}

TEST_F(RiskRules, ShippedStyleDefaultsCountTwentyRules) {
  cfg.defaults.maxOrderQty = Q("1000000");
  cfg.defaults.maxNotional = N("10000000");
  cfg.defaults.priceBandPct = P("10");
  cfg.defaults.maxOpenOrders = 1000;
  cfg.defaults.maxLongQty = Q("5000000");
  cfg.defaults.maxShortQty = Q("5000000");
  cfg.defaults.maxGrossExposure = N("50000000");
  cfg.defaults.maxNetExposure = N("25000000");
  cfg.defaults.creditLimit = N("50000000");
  cfg.defaults.dailyLossLimit = N("1000000");
  cfg.defaults.maxOrdersPerSec = 500;
  cfg.defaults.duplicateAction = RuleAction::Warn;
  cfg.defaults.selfTrade = StpAction::RejectIncoming;
  cfg.sessionDefaults.maxOrdersPerSec = 1000;
  make();
  EXPECT_GE(r->rulesConfigured(Account("ACC")), 20);
  EXPECT_TRUE(r->checkNew(order(Side::Buy, "100", "100.00")).accepted);
}
