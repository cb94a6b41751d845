// The Alpaca boundary: every test_data/ payload parses to the documented
// values, decimals stay exact (over-precise ones refused naming the field),
// the order-type/TIF/status mapping, asset rules (fractional, sub-penny,
// increments, shortable), client order ids, and request bodies.
#include "venue_adapters/alpaca/parse.h"

#include <gtest/gtest.h>

#include "tests/alpaca/test_data.h"

using namespace fixgw;
using namespace fixgw::alpaca;

TEST(AlpacaParse, DocumentedOrderObjects) {
  AlpacaOrder o;
  ASSERT_EQ(parseOrder(alpacaTestData("order.json"), o), "");
  EXPECT_EQ(o.id, "61e69015-8549-4bfd-b9c3-01e75843f47d");
  EXPECT_EQ(o.clientOrderId, "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4");
  EXPECT_EQ(o.type, "market");
  EXPECT_EQ(o.status, "accepted");
  EXPECT_FALSE(o.qty);
  EXPECT_EQ(o.notional, Qty::of("500"));
  EXPECT_TRUE(o.filledQty.isZero());
  ASSERT_EQ(parseOrder(alpacaTestData("order_limit_gtc.json"), o), "");
  EXPECT_EQ(o.limitPrice, Price::of("150"));
  EXPECT_EQ(o.qty, Qty::of("2"));
  EXPECT_EQ(o.timeInForce, "gtc");
  std::vector<AlpacaOrder> os;
  ASSERT_EQ(parseOrders("[" + alpacaTestData("order.json") + "," +
                            alpacaTestData("order_limit_gtc.json") + "]",
                        os),
            "");
  EXPECT_EQ(os.size(), 2u);
}

TEST(AlpacaParse, OverPreciseOrMalformedDecimalsAreRefusedNamingTheField) {
  AlpacaOrder o;
  EXPECT_NE(parseOrder(R"({"id":"x","qty":"1.123456789"})", o).find("qty"), std::string::npos);
  EXPECT_NE(parseOrder(R"({"id":"x","limit_price":"1e5"})", o).find("limit_price"),
            std::string::npos);
  EXPECT_NE(parseOrder(R"({"qty":"1"})", o).find("id missing"), std::string::npos);
  EXPECT_NE(parseOrder("{not json", o).find("not JSON"), std::string::npos);
  ASSERT_EQ(parseOrder(R"({"id":"x","qty":12.5,"filled_qty":"0.00000001"})", o), "");
  EXPECT_EQ(o.qty, Qty::of("12.5"));  // a bare number is taken exactly too
  EXPECT_EQ(o.filledQty, Qty::of("0.00000001"));
}

TEST(AlpacaParse, AssetsClockActivitiesErrors) {
  Asset a;
  ASSERT_EQ(parseAsset(alpacaTestData("asset_aapl.json"), a), "");
  EXPECT_TRUE(a.tradable && a.fractionable && a.shortable);
  EXPECT_EQ(a.assetClass, "us_equity");
  EXPECT_FALSE(a.minOrderSize);
  ASSERT_EQ(parseAsset(alpacaTestData("asset_btcusd.json"), a), "");
  EXPECT_EQ(a.minOrderSize, Qty::of("0.0001"));
  EXPECT_EQ(a.priceIncrement, Price::of("1"));

  MarketClock c;
  ASSERT_EQ(parseClock(alpacaTestData("clock.json"), c), "");
  EXPECT_TRUE(c.isOpen);
  EXPECT_EQ(c.timestamp, 1522584000LL * 1'000'000'000);
  EXPECT_NE(parseClock(R"({"is_open":true,"timestamp":"yesterday"})", c).find("timestamp"),
            std::string::npos);

  std::vector<FillActivity> fs;
  ASSERT_EQ(parseFillActivities(alpacaTestData("activities_fill.json"), fs), "");
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(fs[0].execId, "8efc7b9a-8b2b-4000-9955-d36e7db0df74");
  EXPECT_EQ(fs[0].price, Price::of("1.63"));
  EXPECT_EQ(fs[1].qty, Qty::of("0.38962051"));
  EXPECT_EQ(fs[1].orderId, "fe060a1b-5b45-4eba-ba46-c3a3345d8255");
  EXPECT_EQ(fs[1].time, 1620655264650275000LL);

  ApiError e;
  ASSERT_EQ(parseApiError(alpacaTestData("error_forbidden.json"), e), "");
  EXPECT_EQ(e.code, 40310000);
  EXPECT_EQ(e.message, "insufficient buying power");
}

TEST(AlpacaParse, StreamMessages) {
  StreamMessage m;
  ASSERT_EQ(parseStreamMessage(alpacaTestData("stream_authorized.json"), m), "");
  EXPECT_EQ(m.kind, StreamMessage::Kind::Authorization);
  EXPECT_EQ(m.status, "authorized");
  ASSERT_EQ(parseStreamMessage(alpacaTestData("stream_unauthorized.json"), m), "");
  EXPECT_EQ(m.status, "unauthorized");
  ASSERT_EQ(parseStreamMessage(alpacaTestData("stream_listening.json"), m), "");
  EXPECT_EQ(m.kind, StreamMessage::Kind::Listening);
  ASSERT_EQ(m.streams, std::vector<std::string>{"trade_updates"});
  ASSERT_EQ(parseStreamMessage(alpacaTestData("stream_fill.json"), m), "");
  EXPECT_EQ(m.kind, StreamMessage::Kind::TradeUpdate);
  EXPECT_EQ(m.event, "fill");
  EXPECT_EQ(m.executionId, "8efc7b9a-8b2b-4000-9955-d36e7db0df74");
  EXPECT_EQ(m.price, Price::of("179.08"));
  EXPECT_EQ(m.qty, Qty::of("100"));
  EXPECT_EQ(m.positionQty, Qty::of("100"));
  EXPECT_EQ(m.order.status, "filled");
  EXPECT_EQ(m.order.filledQty, Qty::of("100"));
  EXPECT_NE(parseStreamMessage(
                R"({"stream":"trade_updates","data":{"event":"fill","order":{"id":"1"}}})", m)
                .find("execution_id"),
            std::string::npos);
  EXPECT_NE(parseStreamMessage("garbage", m), "");
}

TEST(AlpacaParse, IsoTimes) {
  EXPECT_EQ(parseIsoTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseIsoTime("2021-03-16T18:38:01.942282Z"), 1615919881942282000LL);
  EXPECT_EQ(parseIsoTime("2018-04-01T08:00:00-04:00"), 1522584000LL * 1'000'000'000);
  EXPECT_FALSE(parseIsoTime("2021-03-16"));
  EXPECT_FALSE(parseIsoTime("2021-13-16T18:38:01Z"));
}

TEST(AlpacaMapping, OrderTypesTifsAndRefusedAttributes) {
  VenueNewOrder o;
  o.qty = Qty::of("10");
  o.price = Price::of("150");
  o.ordType = OrdType::Limit;
  o.tif = TimeInForce::Day;
  OrderTerms t;
  ASSERT_EQ(mapOrder(o, t), "");
  EXPECT_EQ(t.type, "limit");
  EXPECT_EQ(t.timeInForce, "day");
  EXPECT_EQ(t.side, "buy");
  EXPECT_FALSE(t.fractional);
  o.tif = TimeInForce::AtTheOpening;  // FIX 59=2
  ASSERT_EQ(mapOrder(o, t), "");
  EXPECT_EQ(t.timeInForce, "opg");
  o.ordType = OrdType::StopLimit;
  EXPECT_NE(mapOrder(o, t).find("OPG"), std::string::npos);
  o.tif = TimeInForce::Fok;
  EXPECT_NE(mapOrder(o, t).find("StopPx"), std::string::npos);
  o.stopPx = Price::of("149");
  ASSERT_EQ(mapOrder(o, t), "");
  EXPECT_EQ(t.type, "stop_limit");
  EXPECT_EQ(t.timeInForce, "fok");
  o.tif = TimeInForce::GoodTillDate;
  EXPECT_NE(mapOrder(o, t).find("GTD"), std::string::npos);
  o.tif = TimeInForce::Gtc;
  o.attrs.postOnly = true;
  EXPECT_NE(mapOrder(o, t).find("post-only"), std::string::npos);
  o.attrs.postOnly = false;
  o.attrs.maxFloor = Qty::of("1");
  EXPECT_NE(mapOrder(o, t).find("MaxFloor"), std::string::npos);
  o.attrs.maxFloor.reset();
  o.side = Side::SellShort;
  ASSERT_EQ(mapOrder(o, t), "");
  EXPECT_EQ(t.side, "sell");

  EXPECT_EQ(ordTypeOf("stop_limit"), OrdType::StopLimit);
  EXPECT_EQ(tifOf("opg"), TimeInForce::AtTheOpening);
  EXPECT_EQ(statusOf("partially_filled"), OrdStatus::PartiallyFilled);
  EXPECT_EQ(statusOf("done_for_day"), OrdStatus::New);
  EXPECT_EQ(statusOf("expired"), OrdStatus::Expired);
  EXPECT_EQ(statusOf("pending_new"), OrdStatus::PendingNew);
  EXPECT_TRUE(isTerminal("replaced"));
  EXPECT_FALSE(isTerminal("partially_filled"));
}

TEST(AlpacaMapping, AssetRules) {
  Asset aapl;
  ASSERT_EQ(parseAsset(alpacaTestData("asset_aapl.json"), aapl), "");
  VenueNewOrder o;
  o.qty = Qty::of("0.5");
  o.ordType = OrdType::Market;
  o.tif = TimeInForce::Day;
  OrderTerms t;
  ASSERT_EQ(mapOrder(o, t), "");
  EXPECT_TRUE(t.fractional);
  EXPECT_EQ(checkAsset(aapl, t, o.qty, std::nullopt, std::nullopt, false), "");
  o.tif = TimeInForce::Gtc;
  ASSERT_EQ(mapOrder(o, t), "");
  EXPECT_NE(checkAsset(aapl, t, o.qty, std::nullopt, std::nullopt, false)
                .find("fractional orders must be market DAY"),
            std::string::npos);
  Asset whole = aapl;
  whole.fractionable = false;
  whole.shortable = false;
  o.tif = TimeInForce::Day;
  ASSERT_EQ(mapOrder(o, t), "");
  EXPECT_NE(checkAsset(whole, t, o.qty, std::nullopt, std::nullopt, false).find("not fractionable"),
            std::string::npos);
  t.fractional = false;
  EXPECT_NE(checkAsset(whole, t, Qty::of("1"), std::nullopt, std::nullopt, true).find("shortable"),
            std::string::npos);
  t.type = "limit";
  EXPECT_EQ(checkAsset(aapl, t, Qty::of("1"), Price::of("150.25"), std::nullopt, false), "");
  EXPECT_NE(checkAsset(aapl, t, Qty::of("1"), Price::of("150.255"), std::nullopt, false)
                .find("sub-penny"),
            std::string::npos);
  EXPECT_EQ(checkAsset(aapl, t, Qty::of("1"), Price::of("0.5123"), std::nullopt, false), "");
  Asset btc;
  ASSERT_EQ(parseAsset(alpacaTestData("asset_btcusd.json"), btc), "");
  EXPECT_NE(checkAsset(btc, t, Qty::of("0.00005"), Price::of("30000"), std::nullopt, false)
                .find("min_order_size"),
            std::string::npos);
  EXPECT_NE(checkAsset(btc, t, Qty::of("0.00015"), Price::of("30000"), std::nullopt, false)
                .find("min_trade_increment"),
            std::string::npos);
  EXPECT_NE(checkAsset(btc, t, Qty::of("0.001"), Price::of("30000.5"), std::nullopt, false)
                .find("price_increment"),
            std::string::npos);
  Asset halted = aapl;
  halted.tradable = false;
  EXPECT_NE(
      checkAsset(halted, t, Qty::of("1"), Price::of("1"), std::nullopt, false).find("not tradable"),
      std::string::npos);
}

TEST(AlpacaMapping, ClientOrderIdsAndBodies) {
  EXPECT_EQ(checkClientOrderId("C-123_x"), "");
  EXPECT_NE(checkClientOrderId(std::string(101, 'a')), "");
  EXPECT_NE(checkClientOrderId("a.b"), "");
  EXPECT_EQ(replacementClientOrderId("C1", 3), "C1.r3");
  EXPECT_EQ(childIdOf("C1.r3"), "C1");
  EXPECT_EQ(childIdOf("C1"), "C1");
  OrderTerms t{"buy", "limit", "day", true, false};
  EXPECT_EQ(orderBody("AAPL", Qty::of("10"), t, Price::of("150.25"), std::nullopt, "C1"),
            R"({"symbol":"AAPL","qty":"10","side":"buy","type":"limit","time_in_force":"day",)"
            R"("limit_price":"150.25","extended_hours":true,"client_order_id":"C1"})");
  EXPECT_EQ(replaceBody(Qty::of("5"), Price::of("151"), std::nullopt, "C1.r1"),
            R"({"qty":"5","limit_price":"151","client_order_id":"C1.r1"})");
}

TEST(AlpacaParse, MarketClockOpenAt) {
  MarketClock c;
  c.isOpen = false;
  c.nextOpen = 100;
  c.nextClose = 200;
  EXPECT_FALSE(c.openAt(50));
  EXPECT_TRUE(c.openAt(150));  // the announced open has come
  EXPECT_FALSE(c.openAt(250));
  c.isOpen = true;
  EXPECT_TRUE(c.openAt(150));
  EXPECT_FALSE(c.openAt(200));
}

TEST(AlpacaParse, MarketDataMessages) {
  std::vector<DataMessage> ms;
  ASSERT_EQ(parseDataMessages(alpacaTestData("data_quote_trade.json"), ms), "");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].type, "t");
  EXPECT_EQ(ms[0].symbol, "AAPL");
  EXPECT_EQ(ms[0].price, Price::of("126.55"));
  EXPECT_EQ(ms[0].size, Qty::of("1"));
  EXPECT_EQ(ms[1].type, "q");
  EXPECT_EQ(ms[1].bidPx, Price::of("87.66"));
  EXPECT_EQ(ms[1].askSize, Qty::of("4"));
  EXPECT_EQ(ms[1].time, 1614009105335689322LL);
  ASSERT_EQ(parseDataMessages(R"([{"T":"error","code":402,"msg":"auth failed"}])", ms), "");
  EXPECT_EQ(ms[0].code, 402);
  EXPECT_NE(parseDataMessages(R"([{"T":"t","S":"X","p":1}])", ms), "");
  EXPECT_NE(parseDataMessages(R"({"T":"t"})", ms), "");
}
