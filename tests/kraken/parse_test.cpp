// Kraken JSON parsing (every payload type in test_data/, malformed and
// truncated input), the exact decimals, filters and the mapping.
#include "venue_adapters/kraken/parse.h"

#include <gtest/gtest.h>

#include "tests/kraken/test_data.h"

using namespace fixgw;
using namespace fixgw::kraken;

namespace {

TEST(KrakenParse, ExactDecimalsIncludingExponentsNeverThroughDouble) {
  EXPECT_EQ(exactDecimal("1.25"), Qty::of("1.25").mantissa());
  EXPECT_EQ(exactDecimal("1e-05"), Qty::of("0.00001").mantissa());
  EXPECT_EQ(exactDecimal("2.5E+3"), Qty::of("2500").mantissa());
  EXPECT_EQ(exactDecimal("0.1"), 10'000'000);
  EXPECT_EQ(exactDecimal("1.000000000"), kOne) << "trailing zeros are exact";
  EXPECT_FALSE(exactDecimal("1e-09").has_value()) << "finer than 8 places is not rounded";
  EXPECT_FALSE(exactDecimal("0.123456789").has_value());
  EXPECT_FALSE(exactDecimal("1e").has_value());
  EXPECT_FALSE(exactDecimal("abc").has_value());
}

TEST(KrakenParse, AssetPairsGiveTheFilters) {
  AssetPairs ap;
  ASSERT_EQ(parseAssetPairs(krakenTestData("asset_pairs.json"), ap), "");
  const PairInfo* p = ap.find("XBTUSD");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->key, "XXBTZUSD");
  EXPECT_EQ(p->v2symbol, "BTC/USD");
  EXPECT_EQ(ap.find("BTC/USD"), p);
  EXPECT_EQ(ap.find("XBT/USD"), p);
  EXPECT_EQ(p->tickSize, Price::of("0.1"));
  EXPECT_EQ(p->lotStep, Qty::of("0.00000001"));
  EXPECT_EQ(p->orderMin, Qty::of("0.0001"));
  ASSERT_TRUE(p->costMin.has_value());
  EXPECT_EQ(*p->costMin, Notional::of("0.5"));
  EXPECT_EQ(p->quote, "ZUSD");
}

TEST(KrakenParse, FiltersRejectNamingTheRuleAndNeverRound) {
  AssetPairs ap;
  ASSERT_EQ(parseAssetPairs(krakenTestData("asset_pairs.json"), ap), "");
  const PairInfo& p = *ap.find("XBTUSD");
  EXPECT_EQ(checkFilters(p, Price::of("30000.1"), std::nullopt, Qty::of("0.001"), false), "");
  auto e = checkFilters(p, Price::of("30000.05"), std::nullopt, Qty::of("0.001"), false);
  EXPECT_EQ(e.rfind("tick_size:", 0), 0u) << e;
  e = checkFilters(p, Price::of("30000"), std::nullopt, Qty::of("0.00005"), false);
  EXPECT_EQ(e.rfind("ordermin:", 0), 0u) << e;
  e = checkFilters(p, Price::of("1"), std::nullopt, Qty::of("0.1"), false);
  EXPECT_EQ(e.rfind("costmin:", 0), 0u) << e;
  e = checkFilters(p, std::nullopt, Price::of("30000.01"), Qty::of("0.001"), false);
  EXPECT_EQ(e.rfind("tick_size: trigger price", 0), 0u) << e;
  const PairInfo& eth = *ap.find("ETHUSD");
  e = checkFilters(eth, Price::of("3000"), std::nullopt, Qty::of("1"), false);
  EXPECT_EQ(e, "status: pair ETHUSD is cancel_only");
}

TEST(KrakenParse, AddOrderCancelAmendToken) {
  std::string txid, amend, token;
  int64_t count = 0;
  ASSERT_EQ(parseAddOrder(krakenTestData("add_order.json"), txid), "");
  EXPECT_EQ(txid, "OU22CG-KLAF2-FWUDD7");
  ASSERT_EQ(parseCancel(krakenTestData("cancel_order.json"), count), "");
  EXPECT_EQ(count, 1);
  ASSERT_EQ(parseAmend(krakenTestData("amend_order.json"), amend), "");
  EXPECT_EQ(amend, "TJSMEH-AA67V-YUSQ6O");
  ASSERT_EQ(parseToken(krakenTestData("websockets_token.json"), token), "");
  EXPECT_EQ(token, "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw");
}

TEST(KrakenParse, QueryAndOpenOrders) {
  std::vector<KrakenOrder> os;
  ASSERT_EQ(parseOrders(krakenTestData("query_orders.json"), "", os), "");
  ASSERT_EQ(os.size(), 1u);
  EXPECT_EQ(os[0].txid, "OBCMZD-JIEE7-77TH3F");
  EXPECT_EQ(os[0].clOrdId, "mfabc12-C7");
  EXPECT_EQ(os[0].status, "closed");
  EXPECT_EQ(os[0].vol, Qty::of("1.25"));
  EXPECT_EQ(os[0].volExec, Qty::of("1.25"));
  EXPECT_EQ(os[0].price, Price::of("27500"));
  EXPECT_EQ(os[0].pair, "XBTUSD");
  EXPECT_EQ(os[0].openNs, 1688665496'780800000LL);
  ASSERT_EQ(parseOrders(krakenTestData("open_orders.json"), "open", os), "");
  ASSERT_EQ(os.size(), 1u);
  EXPECT_EQ(os[0].status, "open");
  EXPECT_EQ(os[0].volExec, Qty::of("0.375"));
}

TEST(KrakenParse, TradesHistory) {
  std::vector<KrakenTrade> ts;
  int64_t total = 0;
  ASSERT_EQ(parseTrades(krakenTestData("trades_history.json"), true, ts, &total), "");
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(total, 2);
  EXPECT_EQ(ts[0].tradeId, "THVRQM-33VKH-UCI7BS");
  EXPECT_EQ(ts[0].orderTxid, "OQCLML-BW3P3-BUCMWZ");
  EXPECT_EQ(ts[0].vol, Qty::of("0.02"));
  EXPECT_EQ(ts[0].fee, Qty::of("0.96032"));
  EXPECT_EQ(ts[0].price, Price::of("30010"));
}

TEST(KrakenParse, ErrorsAreMappedAtTheBoundary) {
  std::vector<std::string> errs;
  ASSERT_EQ(parseErrors(krakenTestData("error_insufficient_funds.json"), errs), "");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0], "EOrder:Insufficient funds");
  EXPECT_EQ(classifyError(errs[0]), ErrorClass::Rejected);
  EXPECT_EQ(classifyError("EAPI:Invalid nonce"), ErrorClass::Nonce);
  EXPECT_EQ(classifyError("EAPI:Rate limit exceeded"), ErrorClass::RateLimited);
  EXPECT_EQ(classifyError("EOrder:Rate limit exceeded"), ErrorClass::RateLimited);
  EXPECT_EQ(classifyError("EAPI:Invalid signature"), ErrorClass::Auth);
  EXPECT_EQ(classifyError("EService:Unavailable"), ErrorClass::Unknown);
  EXPECT_EQ(classifyError("EGeneral:Internal error"), ErrorClass::Unknown);
  std::string txid;
  EXPECT_NE(parseAddOrder(krakenTestData("error_insufficient_funds.json"), txid)
                .find("EOrder:Insufficient funds"),
            std::string::npos);
}

TEST(KrakenParse, WsExecutionsNewTradeCanceled) {
  WsMessage m;
  ASSERT_EQ(parseWsMessage(krakenTestData("ws_executions_new.json"), m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::Executions);
  ASSERT_EQ(m.execs.size(), 1u);
  EXPECT_EQ(m.execs[0].execType, "new");
  EXPECT_EQ(m.execs[0].clOrdId, "mfabc12-C3");
  EXPECT_EQ(m.execs[0].orderQty, Qty::of("0.005"));
  EXPECT_EQ(m.execs[0].limitPrice, Price::of("26500"));

  ASSERT_EQ(parseWsMessage(krakenTestData("ws_executions_trade.json"), m), "");
  ASSERT_EQ(m.execs.size(), 1u);
  const auto& t = m.execs[0];
  EXPECT_EQ(t.execType, "trade");
  EXPECT_EQ(t.execId, "TSG7SZ-NNEAS-FLI7FQ");
  EXPECT_EQ(t.lastQty, Qty::of("0.002"));
  EXPECT_EQ(t.lastPrice, Price::of("26500"));
  ASSERT_EQ(t.fees.size(), 1u);
  EXPECT_EQ(t.fees[0].asset, "USD");
  EXPECT_EQ(t.fees[0].qty, Qty::of("0.0848"));
  EXPECT_EQ(t.cumQty, Qty::of("0.002"));

  ASSERT_EQ(parseWsMessage(krakenTestData("ws_executions_canceled.json"), m), "");
  EXPECT_EQ(m.execs[0].execType, "canceled");
  EXPECT_EQ(m.execs[0].reason, "User requested");
}

TEST(KrakenParse, WsMarketDataAndAcks) {
  WsMessage m;
  ASSERT_EQ(parseWsMessage(krakenTestData("ws_ticker.json"), m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::Ticker);
  EXPECT_EQ(m.bid, Price::of("63979.4"));
  EXPECT_EQ(m.askQty, Qty::of("2.74318711"));
  ASSERT_EQ(parseWsMessage(krakenTestData("ws_book_snapshot.json"), m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::Book);
  ASSERT_EQ(m.bids.size(), 3u);
  EXPECT_EQ(m.bids[0].price, Price::of("45283.5"));
  EXPECT_EQ(m.asks[2].qty, Qty::of("0.001"));
  ASSERT_EQ(parseWsMessage(krakenTestData("ws_trade.json"), m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::Trade);
  ASSERT_EQ(m.trades.size(), 1u);
  EXPECT_EQ(m.trades[0].price, Price::of("0.5117"));
  EXPECT_EQ(m.trades[0].qty, Qty::of("40"));
  ASSERT_EQ(parseWsMessage(krakenTestData("ws_subscribe_ack.json"), m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::MethodAck);
  EXPECT_TRUE(m.success);
  EXPECT_EQ(m.channel, "executions");
  ASSERT_EQ(parseWsMessage(R"({"channel":"heartbeat"})", m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::Heartbeat);
}

TEST(KrakenParse, MalformedAndTruncatedInputGivesAClearErrorNamingTheProblem) {
  const std::string full = krakenTestData("ws_executions_trade.json");
  for (size_t cut : {size_t{0}, size_t{1}, full.size() / 3, full.size() / 2, full.size() - 2}) {
    WsMessage m;
    auto e = parseWsMessage(full.substr(0, cut), m);
    EXPECT_NE(e, "") << "cut at " << cut;
  }
  WsMessage m;
  auto e = parseWsMessage(
      R"({"channel":"executions","type":"update","data":[{"order_id":"O1","exec_type":"trade","exec_id":"T1","last_qty":"x","last_price":1}]})",
      m);
  EXPECT_NE(e.find("last_qty"), std::string::npos) << e;
  e = parseWsMessage(
      R"({"channel":"executions","type":"update","data":[{"order_id":"O1","exec_type":"trade","exec_id":"T1","last_qty":0.123456789,"last_price":1}]})",
      m);
  EXPECT_NE(e.find("at most 8 places"), std::string::npos) << e;
  std::vector<KrakenOrder> os;
  e = parseOrders(R"({"error":[],"result":{"O1":{"status":"open","vol":"1"}}})", "", os);
  EXPECT_NE(e.find("vol_exec"), std::string::npos) << e;
  AssetPairs ap;
  e = parseAssetPairs(
      R"({"error":[],"result":{"X":{"altname":"X","base":"A","quote":"B","pair_decimals":12,"lot_decimals":8}}})",
      ap);
  EXPECT_NE(e.find("pair_decimals"), std::string::npos) << e;
}

TEST(KrakenParse, OrderTypesMapToKrakensOrNameWhatIsRefused) {
  VenueNewOrder o;
  o.childId = ChildOrderId("c1");
  o.qty = Qty::of("1");
  o.price = Price::of("100");
  o.ordType = OrdType::Limit;
  o.tif = TimeInForce::Gtc;
  OrderMapping m;
  ASSERT_EQ(mapOrderType(o, false, m), "");
  EXPECT_EQ(m.orderType, "limit");
  EXPECT_EQ(m.timeInForce, "GTC");
  o.attrs.postOnly = true;
  ASSERT_EQ(mapOrderType(o, false, m), "");
  EXPECT_EQ(m.oflags, "post");
  o.attrs.postOnly = false;
  o.tif = TimeInForce::GoodTillDate;
  o.attrs.expireTime = 1'700'000'123'000'000'000LL;
  ASSERT_EQ(mapOrderType(o, false, m), "");
  EXPECT_EQ(m.timeInForce, "GTD");
  EXPECT_EQ(m.expireSec, 1'700'000'123);
  o.attrs.expireTime = 0;
  o.tif = TimeInForce::Fok;
  EXPECT_NE(mapOrderType(o, false, m).find("TimeInForce"), std::string::npos);
  o.tif = TimeInForce::Day;
  EXPECT_NE(mapOrderType(o, false, m).find("DAY"), std::string::npos);
  ASSERT_EQ(mapOrderType(o, true, m), "");
  o.tif = TimeInForce::Gtc;
  o.ordType = OrdType::StopLimit;
  o.stopPx = Price::of("99");
  ASSERT_EQ(mapOrderType(o, false, m), "");
  EXPECT_EQ(m.orderType, "stop-loss-limit");
  o.ordType = OrdType::Stop;
  ASSERT_EQ(mapOrderType(o, false, m), "");
  EXPECT_EQ(m.orderType, "stop-loss");
  o.ordType = OrdType::Market;
  o.tif = TimeInForce::Ioc;
  ASSERT_EQ(mapOrderType(o, false, m), "");
  EXPECT_EQ(m.orderType, "market");
  o.side = Side::SellShort;
  EXPECT_NE(mapOrderType(o, false, m).find("SellShort"), std::string::npos);
}

TEST(KrakenParse, ClientOrderIdsFitKrakensRules) {
  EXPECT_EQ(clientOrderIdFor("mfabc12-C7"), "mfabc12-C7");
  const std::string longId = "a-very-long-child-order-id-1234";
  const std::string c = clientOrderIdFor(longId);
  EXPECT_EQ(c.size(), 32u) << "a short UUID";
  EXPECT_EQ(c, clientOrderIdFor(longId)) << "stable across restarts";
  EXPECT_NE(c, clientOrderIdFor(longId + "5"));
}

TEST(KrakenParse, Times) {
  EXPECT_EQ(unixSecondsToNs("1688667796.8802"), 1688667796'880200000LL);
  EXPECT_EQ(isoToNs("2023-09-22T10:33:05.709950Z"), 1695378785'709950000LL);
  EXPECT_FALSE(isoToNs("2023-09-22 10:33:05Z").has_value());
  EXPECT_EQ(decimal8(Qty::of("1.25").mantissa()), "1.25000000");
  EXPECT_EQ(decimal(Qty::of("1.25").mantissa()), "1.25");
}

}  // namespace
