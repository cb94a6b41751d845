// Bybit v5 parsing and mapping: every test_data payload (from Bybit's docs)
// parses with exact decimals, instrument filters name the rule they break,
// retCodes are classified, order mapping and the create body, orderLinkId.
#include "venue_adapters/bybit/parse.h"

#include <gtest/gtest.h>

#include "tests/bybit/test_data.h"

using namespace fixgw;
using namespace fixgw::bybit;

namespace {

InstrumentInfo instrument(const char* file) {
  std::map<std::string, InstrumentInfo> m;
  EXPECT_EQ(parseInstruments(bybitTestData(file), m), "");
  EXPECT_EQ(m.count("BTCUSDT"), 1u);
  return m["BTCUSDT"];
}

VenueNewOrder order(OrdType t, TimeInForce tif) {
  VenueNewOrder o;
  o.childId = ChildOrderId("c1");
  o.symbol = Symbol("BTC/USDT");
  o.ordType = t;
  o.tif = tif;
  o.qty = Qty::of("0.01");
  if (t == OrdType::Limit) o.price = Price::of("30000");
  return o;
}

}  // namespace

TEST(BybitParse, LinearInstrumentFilters) {
  InstrumentInfo i = instrument("instruments_linear.json");
  EXPECT_EQ(i.category, "linear");
  EXPECT_EQ(i.status, "Trading");
  EXPECT_EQ(i.settleCoin, "USDT");
  EXPECT_EQ(i.tickSize, Price::of("0.1"));
  EXPECT_EQ(i.qtyStep, Qty::of("0.001"));
  EXPECT_EQ(i.minOrderQty, Qty::of("0.001"));
  EXPECT_EQ(*i.maxOrderQty, Qty::of("1190"));
  EXPECT_EQ(*i.maxMarketOrderQty, Qty::of("500"));
  EXPECT_EQ(*i.minOrderAmt, Notional::of("5"));
  EXPECT_EQ(*i.minPrice, Price::of("0.1"));

  EXPECT_EQ(checkFilters(i, Price::of("30000.1"), Qty::of("0.001"), false, std::nullopt), "");
  EXPECT_EQ(checkFilters(i, Price::of("30000.05"), Qty::of("0.001"), false, std::nullopt),
            "tickSize: price 30000.05 is not a multiple of tickSize 0.1");
  EXPECT_EQ(checkFilters(i, Price::of("30000"), Qty::of("0.0015"), false, std::nullopt),
            "qtyStep: qty 0.0015 is not a multiple of qtyStep 0.001");
  EXPECT_NE(checkFilters(i, Price::of("1000"), Qty::of("0.001"), false, std::nullopt)
                .find("minNotionalValue"),
            std::string::npos);
  EXPECT_NE(
      checkFilters(i, std::nullopt, Qty::of("501"), true, std::nullopt).find("maxMktOrderQty"),
      std::string::npos);
  i.minPrice = Price::of("1");
  EXPECT_EQ(checkFilters(i, Price::of("0.5"), Qty::of("100"), false, std::nullopt),
            "minPrice: price 0.5 is below minPrice 1");
}

TEST(BybitParse, SpotInstrumentFiltersUseBasePrecisionAndMinOrderAmt) {
  InstrumentInfo i = instrument("instruments_spot.json");
  EXPECT_EQ(i.category, "spot");
  EXPECT_EQ(i.qtyStep, Qty::of("0.000001"));
  EXPECT_EQ(*i.maxOrderQty, Qty::of("83"));
  EXPECT_EQ(*i.maxMarketOrderQty, Qty::of("41.5"));
  EXPECT_EQ(*i.minOrderAmt, Notional::of("5"));
  EXPECT_EQ(checkFilters(i, Price::of("30000"), Qty::of("0.0000015"), false, std::nullopt),
            "basePrecision: qty 0.0000015 is not a multiple of basePrecision 0.000001");
  EXPECT_EQ(checkFilters(i, Price::of("30000"), Qty::of("0.0001"), false, std::nullopt),
            "minOrderAmt: order value 3 is below 5");
  // A market order's value is checked at the reference price when known.
  EXPECT_NE(checkFilters(i, std::nullopt, Qty::of("0.0001"), true, Price::of("30000")), "");
  EXPECT_EQ(checkFilters(i, std::nullopt, Qty::of("0.0001"), true, std::nullopt), "");
  i.status = "Closed";
  EXPECT_EQ(checkFilters(i, Price::of("30000"), Qty::of("1"), false, std::nullopt),
            "status: BTCUSDT is Closed, not Trading");
}

TEST(BybitParse, OrdersExecutionsAndStreamMessagesFromTheDocs) {
  std::vector<BybitOrder> os;
  std::string cursor;
  ASSERT_EQ(parseOrders(bybitTestData("order_realtime.json"), os, &cursor), "");
  ASSERT_EQ(os.size(), 1u);
  EXPECT_EQ(os[0].orderLinkId, "test-000005");
  EXPECT_EQ(os[0].orderStatus, "New");
  EXPECT_TRUE(isOpenStatus(os[0].orderStatus));
  EXPECT_EQ(os[0].price, Price::of("1600"));
  EXPECT_EQ(os[0].qty, Qty::of("0.1"));
  EXPECT_EQ(os[0].createdNs, 1684738540559'000'000);
  EXPECT_FALSE(cursor.empty());

  std::vector<BybitExec> es;
  ASSERT_EQ(parseExecutions(bybitTestData("execution_list.json"), es), "");
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].execId, "e0cbe81d-0f18-5866-9415-cf319b5dab3b");
  EXPECT_EQ(es[0].execPrice, Price::of("1190.15"));
  EXPECT_EQ(*es[0].execFee, Qty::of("0.071409"));

  WsMessage m;
  ASSERT_EQ(parseWsMessage(bybitTestData("ws_execution.json"), m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::Execution);
  ASSERT_EQ(m.execs.size(), 1u);
  EXPECT_EQ(m.execs[0].execQty, Qty::of("25"));
  EXPECT_EQ(m.execs[0].execPrice, Price::of("0.3374"));
  EXPECT_EQ(*m.execs[0].execFee, Qty::of("0.005061"));
  EXPECT_EQ(m.execs[0].execNs, 1672364174443'000'000);

  ASSERT_EQ(parseWsMessage(bybitTestData("ws_order.json"), m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::Order);
  ASSERT_EQ(m.orders.size(), 1u);
  EXPECT_EQ(m.orders[0].orderStatus, "Filled");
  EXPECT_EQ(m.orders[0].cumExecQty, Qty::of("1"));
  EXPECT_EQ(m.orders[0].leavesQty, Qty()) << "\"\" is zero";

  std::string id, link;
  ASSERT_EQ(parseOrderAck(bybitTestData("create_order_response.json"), id, link), "");
  EXPECT_EQ(id, "1321003749386327552");
  EXPECT_EQ(link, "spot-test-postonly");

  ASSERT_EQ(parseWsMessage(R"({"success":true,"ret_msg":"","op":"auth","conn_id":"x"})", m), "");
  EXPECT_EQ(m.kind, WsMessage::Kind::OpReply);
  EXPECT_TRUE(m.success);
  EXPECT_EQ(m.op, "auth");
}

TEST(BybitParse, OverPreciseAndBrokenInputIsAnErrorNamingTheField) {
  std::vector<BybitExec> es;
  std::string j = bybitTestData("execution_list.json");
  j.replace(j.find("\"1190.15\""), 9, "\"1190.123456789\"");
  EXPECT_NE(parseExecutions(j, es).find("execPrice"), std::string::npos);
  EXPECT_NE(parseExecutions("{\"retCode\":0,\"result\":{\"li", es), "");
  EXPECT_EQ(parseExecutions(R"({"retCode":10004,"retMsg":"error sign!"})", es),
            "bybit retCode 10004: error sign!");
  std::map<std::string, InstrumentInfo> is;
  EXPECT_NE(parseInstruments(R"({"retCode":0,"result":{"category":"option","list":[]}})", is), "");
}

TEST(BybitParse, RetCodesAreClassified) {
  EXPECT_EQ(classifyRetCode(10006), ErrorClass::RateLimited);
  EXPECT_EQ(classifyRetCode(10002), ErrorClass::Timestamp);
  EXPECT_EQ(classifyRetCode(10004), ErrorClass::Auth);
  EXPECT_EQ(classifyRetCode(10003), ErrorClass::Auth);
  EXPECT_EQ(classifyRetCode(110001), ErrorClass::NotFound);
  EXPECT_EQ(classifyRetCode(170213), ErrorClass::NotFound);
  EXPECT_EQ(classifyRetCode(10016), ErrorClass::Unknown);
  EXPECT_EQ(classifyRetCode(170131), ErrorClass::Rejected);  // spot: insufficient balance
  EXPECT_EQ(classifyRetCode(110007), ErrorClass::Rejected);  // linear: not enough balance
}

TEST(BybitParse, OrderMappingAndCreateBody) {
  OrderMapping m;
  ASSERT_EQ(mapOrder(order(OrdType::Limit, TimeInForce::Gtc), false, false, m), "");
  EXPECT_EQ(
      createBody("linear", "BTCUSDT", Side::Buy, m, Qty::of("0.01"), Price::of("30000"), "c1"),
      R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit",)"
      R"("qty":"0.01","price":"30000","timeInForce":"GTC","positionIdx":0,)"
      R"("orderLinkId":"c1"})");
  ASSERT_EQ(mapOrder(order(OrdType::Market, TimeInForce::Day), true, false, m), "")
      << "market orders are IOC whatever was asked";
  EXPECT_EQ(m.timeInForce, "IOC");
  EXPECT_EQ(createBody("spot", "BTCUSDT", Side::Sell, m, Qty::of("0.5"), std::nullopt, "c2"),
            R"({"category":"spot","symbol":"BTCUSDT","side":"Sell","orderType":"Market",)"
            R"("qty":"0.5","timeInForce":"IOC","marketUnit":"baseCoin","orderLinkId":"c2"})");
  EXPECT_NE(mapOrder(order(OrdType::Limit, TimeInForce::Day), true, false, m).find("day_as_gtc"),
            std::string::npos);
  EXPECT_EQ(mapOrder(order(OrdType::Limit, TimeInForce::Day), true, true, m), "");
  EXPECT_EQ(m.timeInForce, "GTC");
  ASSERT_EQ(mapOrder(order(OrdType::Limit, TimeInForce::Fok), true, false, m), "");
  EXPECT_EQ(m.timeInForce, "FOK");
  auto post = order(OrdType::Limit, TimeInForce::Gtc);
  post.attrs.postOnly = true;
  ASSERT_EQ(mapOrder(post, true, false, m), "");
  EXPECT_EQ(m.timeInForce, "PostOnly");
  auto close = order(OrdType::Limit, TimeInForce::Gtc);
  close.attrs.positionEffect = 'C';
  ASSERT_EQ(mapOrder(close, false, false, m), "");
  EXPECT_TRUE(m.reduceOnly);
  EXPECT_NE(createBody("linear", "BTCUSDT", Side::Sell, m, Qty::of("1"), Price::of("1"), "c3")
                .find(R"("reduceOnly":true)"),
            std::string::npos);
  EXPECT_NE(mapOrder(close, true, false, m).find("PositionEffect"), std::string::npos);
  auto iceberg = order(OrdType::Limit, TimeInForce::Gtc);
  iceberg.attrs.maxFloor = Qty::of("1");
  EXPECT_NE(mapOrder(iceberg, true, false, m).find("MaxFloor"), std::string::npos);
  EXPECT_NE(mapOrder(order(OrdType::Stop, TimeInForce::Gtc), true, false, m).find("OrdType"),
            std::string::npos);
}

TEST(BybitParse, OrderLinkIdIsTheChildIdWhenItFitsElseAStableHash) {
  EXPECT_EQ(orderLinkIdFor("P-17-1"), "P-17-1");
  const std::string longId(40, 'a');
  EXPECT_EQ(orderLinkIdFor(longId).size(), 32u);
  EXPECT_EQ(orderLinkIdFor(longId), orderLinkIdFor(longId));
  EXPECT_EQ(orderLinkIdFor("a/b").size(), 32u) << "'/' is not allowed";
}

TEST(BybitParse, CategoryAndSymbolFromTheInstrument) {
  Instrument spot;
  spot.symbol = Symbol("BTC/USDT");
  EXPECT_EQ(categoryFor(spot), "spot");
  EXPECT_EQ(venueSymbolFor(spot, "BYBIT"), "BTCUSDT");
  Instrument perp;
  perp.symbol = Symbol("BTC-PERP");
  perp.marginMode = "cross";
  perp.venueSymbols["BYBIT"] = "BTCUSDT";
  EXPECT_EQ(categoryFor(perp), "linear");
  EXPECT_EQ(venueSymbolFor(perp, "BYBIT"), "BTCUSDT");
}

TEST(BybitParse, PublicOrderbookAndTradeFromTheDocs) {
  PublicMessage m;
  ASSERT_EQ(parsePublicMessage(bybitTestData("ws_orderbook.json"), m), "");
  EXPECT_EQ(m.kind, PublicMessage::Kind::Book);
  EXPECT_TRUE(m.snapshot);
  EXPECT_EQ(m.symbol, "BTCUSDT");
  ASSERT_EQ(m.bids.size(), 2u);
  EXPECT_EQ(m.bids[0].price, Price::of("16493.5"));
  EXPECT_EQ(m.bids[0].qty, Qty::of("0.006"));
  ASSERT_EQ(m.asks.size(), 2u);
  EXPECT_EQ(m.asks[1].qty, Qty::of("0.213"));
  ASSERT_EQ(parsePublicMessage(bybitTestData("ws_public_trade.json"), m), "");
  EXPECT_EQ(m.kind, PublicMessage::Kind::Trade);
  ASSERT_EQ(m.trades.size(), 1u);
  EXPECT_EQ(m.trades[0].price, Price::of("16578.5"));
  EXPECT_EQ(m.trades[0].qty, Qty::of("0.001"));
  EXPECT_EQ(m.trades[0].time, 1672304486865'000'000);
  EXPECT_NE(parsePublicMessage(
                R"({"topic":"orderbook.1.BTCUSDT","type":"delta","ts":1,"data":{"s":"X","b":[["1"]]}})",
                m),
            "");
}
