// Coinbase JSON parsing (every payload type, from the documented shapes in
// test_data/), malformed and truncated input (a clear error naming the
// field), product filters naming the rule, and the order-type mapping.
#include "venue_adapters/coinbase/parse.h"

#include <gtest/gtest.h>

#include "tests/coinbase/test_data.h"

using namespace fixgw;
using namespace fixgw::coinbase;

namespace {

std::map<std::string, Product> products() {
  std::map<std::string, Product> m;
  EXPECT_EQ(parseProducts(coinbaseTestData("products.json"), m), "");
  return m;
}

TEST(CoinbaseParse, ProductsCarryIncrementsAndSizeLimitsExactly) {
  auto m = products();
  ASSERT_EQ(m.count("BTC-USD"), 1u);
  const Product& p = m["BTC-USD"];
  EXPECT_EQ(p.baseCurrency, "BTC");
  EXPECT_EQ(p.quoteCurrency, "USD");
  EXPECT_EQ(p.baseIncrement, Qty::of("0.00000001"));
  EXPECT_EQ(p.quoteIncrement, Price::of("0.01"));
  EXPECT_EQ(p.baseMinSize, Qty::of("0.00000001"));
  EXPECT_EQ(p.baseMaxSize, Qty::of("3400"));
  ASSERT_TRUE(p.quoteMinSize);
  EXPECT_EQ(*p.quoteMinSize, Notional::of("1"));
  EXPECT_EQ(p.price, Price::of("60000.01"));
}

TEST(CoinbaseParse, FiltersRejectNamingTheRuleNeverRounding) {
  Product p = products()["BTC-USD"];
  EXPECT_EQ(checkFilters(p, Price::of("59000"), std::nullopt, Qty::of("0.001")), "");
  EXPECT_EQ(checkFilters(p, Price::of("59000.005"), std::nullopt, Qty::of("0.001")),
            "quote_increment: limit_price 59000.005 is not a multiple of 0.01");
  EXPECT_EQ(checkFilters(p, Price::of("59000"), std::nullopt, Qty::of("3401")),
            "base_max_size: size 3401 is above 3400");
  EXPECT_EQ(checkFilters(p, Price::of("10"), std::nullopt, Qty::of("0.01")),
            "quote_min_size: notional 0.1 is below 1");
  EXPECT_EQ(checkFilters(p, Price::of("59000"), Price::of("58000.001"), Qty::of("0.001")),
            "quote_increment: stop_price 58000.001 is not a multiple of 0.01");
  p.baseIncrement = Qty::of("0.0001");
  EXPECT_EQ(checkFilters(p, std::nullopt, std::nullopt, Qty::of("0.00015")),
            "base_increment: size 0.00015 is not a multiple of 0.0001");
  p.cancelOnly = true;
  EXPECT_EQ(checkFilters(p, std::nullopt, std::nullopt, Qty::of("1")),
            "cancel_only: BTC-USD accepts cancels only");
}

TEST(CoinbaseParse, CreateOrderSuccessAndFailure) {
  CreateResult ok;
  ASSERT_EQ(parseCreateOrder(coinbaseTestData("create_order_success.json"), ok), "");
  EXPECT_TRUE(ok.success);
  EXPECT_EQ(ok.orderId, "11111-00000-000000");
  EXPECT_EQ(ok.clientOrderId, "0000-00000-000000");
  CreateResult bad;
  ASSERT_EQ(parseCreateOrder(coinbaseTestData("create_order_failure.json"), bad), "");
  EXPECT_FALSE(bad.success);
  EXPECT_EQ(bad.error, "INSUFFICIENT_FUND");
  EXPECT_EQ(bad.previewFailureReason, "PREVIEW_INSUFFICIENT_FUND");
  EXPECT_EQ(
      bad.text(),
      "INSUFFICIENT_FUND / PREVIEW_INSUFFICIENT_FUND: Insufficient balance in source account");
}

TEST(CoinbaseParse, BatchCancelAndEdit) {
  std::vector<CancelResult> rs;
  ASSERT_EQ(parseBatchCancel(coinbaseTestData("batch_cancel.json"), rs), "");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_TRUE(rs[0].success);
  EXPECT_FALSE(rs[1].success);
  EXPECT_EQ(rs[1].failureReason, "UNKNOWN_CANCEL_ORDER");
  EditResult e;
  ASSERT_EQ(parseEdit(coinbaseTestData("edit_success.json"), e), "");
  EXPECT_TRUE(e.success);
  EditResult f;
  ASSERT_EQ(parseEdit(coinbaseTestData("edit_failure.json"), f), "");
  EXPECT_FALSE(f.success);
  ASSERT_EQ(f.reasons.size(), 1u);
  EXPECT_EQ(f.reasons[0], "CANNOT_EDIT_TO_BELOW_FILLED_SIZE");
}

TEST(CoinbaseParse, OrdersAndFills) {
  CbOrder o;
  ASSERT_EQ(parseOrder(coinbaseTestData("get_order.json"), o), "");
  EXPECT_EQ(o.orderId, "11111-00000-000000");
  EXPECT_EQ(o.clientOrderId, "c-42");
  EXPECT_EQ(o.status, "OPEN");
  EXPECT_EQ(o.configKey, "limit_limit_gtc");
  EXPECT_EQ(o.baseSize, Qty::of("0.002"));
  EXPECT_EQ(*o.limitPrice, Price::of("59000"));
  EXPECT_EQ(o.filledSize, Qty::of("0.001"));
  EXPECT_EQ(o.totalFees, Qty::of("0.236"));
  EXPECT_EQ(o.createdMs, 1622455199000);

  std::vector<CbOrder> os;
  std::string cursor = "x";
  ASSERT_EQ(parseOrders(coinbaseTestData("list_orders.json"), os, cursor), "");
  ASSERT_EQ(os.size(), 2u);
  EXPECT_EQ(cursor, "") << "has_next false: no further page";
  EXPECT_EQ(os[1].configKey, "stop_limit_stop_limit_gtc");
  EXPECT_EQ(*os[1].stopPrice, Price::of("60500"));

  std::vector<CbFill> fs;
  ASSERT_EQ(parseFills(coinbaseTestData("list_fills.json"), fs, cursor), "");
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(fs[0].tradeId, "1111-11111-111111");
  EXPECT_EQ(fs[0].size, Qty::of("0.0006"));
  EXPECT_EQ(fs[0].commission, Qty::of("0.1416"));
  EXPECT_EQ(fs[0].liquidity, "MAKER");
  EXPECT_EQ(fs[1].tradeTimeMs, 1622455201000);
  EXPECT_EQ(cursor, "789100");
}

TEST(CoinbaseParse, ServerTime) {
  int64_t ms = 0;
  ASSERT_EQ(parseServerTime(R"({"iso":"2023-05-31T16:11:24.123Z","epochSeconds":"1685549484",)"
                            R"("epochMillis":"1685549484123"})",
                            ms),
            "");
  EXPECT_EQ(ms, 1685549484123);
  EXPECT_EQ(parseServerTime(R"({"epochMillis":"soon"})", ms),
            "field 'epochMillis': 'soon' is not an integer");
}

TEST(CoinbaseParse, ApiErrorBody) {
  ApiError e;
  ASSERT_TRUE(parseApiError(coinbaseTestData("error.json"), e));
  EXPECT_EQ(e.error, "INVALID_ARGUMENT");
  EXPECT_EQ(e.message, "invalid product_id");
  EXPECT_FALSE(parseApiError("Unauthorized\n", e));
}

TEST(CoinbaseParse, UserChannelSnapshotAndUpdate) {
  StreamMessage m;
  ASSERT_EQ(parseStreamMessage(coinbaseTestData("ws_user.json"), m), "");
  EXPECT_EQ(m.kind, StreamMessage::Kind::User);
  EXPECT_TRUE(m.snapshot);
  ASSERT_EQ(m.orders.size(), 1u);
  EXPECT_EQ(m.orders[0].clientOrderId, "c-42");
  EXPECT_EQ(m.orders[0].leavesQuantity, Qty::of("0.002"));
  StreamMessage u;
  ASSERT_EQ(parseStreamMessage(coinbaseTestData("ws_user_update.json"), u), "");
  EXPECT_FALSE(u.snapshot);
  EXPECT_EQ(u.sequence, 1);
  EXPECT_EQ(u.orders[0].cumulativeQuantity, Qty::of("0.001"));
  EXPECT_EQ(u.orders[0].totalFees, Qty::of("0.236"));
}

TEST(CoinbaseParse, MarketDataChannels) {
  StreamMessage t;
  ASSERT_EQ(parseStreamMessage(coinbaseTestData("ws_ticker.json"), t), "");
  ASSERT_EQ(t.tickers.size(), 1u);
  EXPECT_EQ(*t.tickers[0].bestBid, Price::of("21931.98"));
  EXPECT_EQ(t.tickers[0].bestAskQty, Qty::of("8038.07770938"));
  StreamMessage l;
  ASSERT_EQ(parseStreamMessage(coinbaseTestData("ws_level2.json"), l), "");
  EXPECT_EQ(l.kind, StreamMessage::Kind::Level2);
  EXPECT_EQ(l.l2Product, "BTC-USD");
  ASSERT_EQ(l.l2.size(), 3u);
  EXPECT_FALSE(l.l2[2].bid);
  StreamMessage mt;
  ASSERT_EQ(parseStreamMessage(coinbaseTestData("ws_market_trades.json"), mt), "");
  ASSERT_EQ(mt.trades.size(), 1u);
  EXPECT_EQ(mt.trades[0].size, Qty::of("0.3"));
  EXPECT_EQ(mt.trades[0].timeMs, 1565815347265);
  StreamMessage h;
  ASSERT_EQ(parseStreamMessage(coinbaseTestData("ws_heartbeats.json"), h), "");
  EXPECT_EQ(h.kind, StreamMessage::Kind::Heartbeat);
  StreamMessage s;
  ASSERT_EQ(parseStreamMessage(coinbaseTestData("ws_subscriptions.json"), s), "");
  EXPECT_EQ(s.kind, StreamMessage::Kind::Subscriptions);
  StreamMessage e;
  ASSERT_EQ(parseStreamMessage(R"({"type":"error","message":"authentication failure"})", e), "");
  EXPECT_EQ(e.kind, StreamMessage::Kind::Error);
  EXPECT_EQ(e.errorMessage, "authentication failure");
}

TEST(CoinbaseParse, MalformedAndTruncatedInputGivesAClearErrorNamingTheField) {
  // Every prefix of every payload: an error or a parse, never a crash.
  for (const char* f : {"products.json", "get_order.json", "list_fills.json", "ws_user.json",
                        "ws_level2.json", "create_order_success.json", "batch_cancel.json"}) {
    std::string j = coinbaseTestData(f);
    for (size_t n = 0; n < j.size(); n += 7) {
      std::map<std::string, Product> pm;
      CbOrder o;
      std::vector<CbFill> fs;
      std::string c;
      StreamMessage m;
      CreateResult cr;
      std::vector<CancelResult> cs;
      std::string_view cut(j.data(), n);
      EXPECT_NE(parseProducts(cut, pm) + parseOrder(cut, o) + parseFills(cut, fs, c) +
                    parseStreamMessage(cut, m) + parseCreateOrder(cut, cr) +
                    parseBatchCancel(cut, cs),
                "")
          << f << " cut at " << n;
    }
  }
  StreamMessage m;
  std::string j = coinbaseTestData("ws_user_update.json");
  j.replace(j.find("\"0.001\""), 7, "\"0.0000000001\"");
  EXPECT_EQ(parseStreamMessage(j, m),
            "field 'cumulative_quantity': '0.0000000001' is not an exact decimal with at most 8 "
            "places");
  std::vector<CbFill> fs;
  std::string c;
  EXPECT_EQ(parseFills(R"({"fills":[{"trade_id":"1","order_id":"o","product_id":"BTC-USD",)"
                       R"("price":"1","size":"1","trade_time":"yesterday"}]})",
                       fs, c),
            "field 'trade_time': 'yesterday' is not an RFC 3339 time");
}

TEST(CoinbaseParse, OrderTypesMapToCoinbaseConfigurations) {
  VenueNewOrder o;
  o.childId = ChildOrderId("c1");
  o.ordType = OrdType::Limit;
  o.tif = TimeInForce::Gtc;
  o.price = Price::of("100");
  o.qty = Qty::of("1");
  OrderConfig c;
  auto key = [&](OrdType t, TimeInForce tif) {
    o.ordType = t;
    o.tif = tif;
    std::string e = mapOrderType(o, false, c);
    return e.empty() ? c.key : e;
  };
  EXPECT_EQ(key(OrdType::Limit, TimeInForce::Gtc), "limit_limit_gtc");
  EXPECT_EQ(key(OrdType::Limit, TimeInForce::Fok), "limit_limit_fok");
  EXPECT_EQ(key(OrdType::Limit, TimeInForce::Ioc), "sor_limit_ioc");
  EXPECT_EQ(key(OrdType::Market, TimeInForce::Ioc), "market_market_ioc");
  o.stopPx = Price::of("99");
  EXPECT_EQ(key(OrdType::StopLimit, TimeInForce::Gtc), "stop_limit_stop_limit_gtc");
  EXPECT_NE(key(OrdType::Stop, TimeInForce::Gtc).find("no stop-market"), std::string::npos);
  EXPECT_NE(key(OrdType::Limit, TimeInForce::Day).find("DAY"), std::string::npos);
  EXPECT_NE(key(OrdType::Limit, TimeInForce::GoodTillDate).find("ExpireTime"), std::string::npos);
  o.attrs.expireTime = 1'700'000'000'000'000'000LL;
  EXPECT_EQ(key(OrdType::Limit, TimeInForce::GoodTillDate), "limit_limit_gtd");
  o.attrs.postOnly = true;
  EXPECT_EQ(key(OrdType::Limit, TimeInForce::Gtc), "limit_limit_gtc");
  EXPECT_TRUE(c.postOnly);
  EXPECT_NE(key(OrdType::Limit, TimeInForce::Ioc).find("post-only"), std::string::npos);

  o.attrs.postOnly = false;
  mapOrderType(o, false, c);
  o.ordType = OrdType::Limit;
  o.tif = TimeInForce::Gtc;
  ASSERT_EQ(mapOrderType(o, false, c), "");
  EXPECT_EQ(orderBody("c1", "BTC-USD", Side::Buy, c, Qty::of("0.001"), Price::of("59000"),
                      std::nullopt, 0),
            R"({"client_order_id":"c1","product_id":"BTC-USD","side":"BUY",)"
            R"("order_configuration":{"limit_limit_gtc":{"base_size":"0.001",)"
            R"("limit_price":"59000","post_only":false}}})");
  o.ordType = OrdType::StopLimit;
  ASSERT_EQ(mapOrderType(o, false, c), "");
  EXPECT_EQ(
      orderBody("c2", "BTC-USD", Side::Sell, c, Qty::of("2"), Price::of("98"), Price::of("99"), 0),
      R"({"client_order_id":"c2","product_id":"BTC-USD","side":"SELL",)"
      R"("order_configuration":{"stop_limit_stop_limit_gtc":{"base_size":"2",)"
      R"("limit_price":"98","stop_price":"99","stop_direction":"STOP_DIRECTION_STOP_DOWN"}}})");
}

TEST(CoinbaseParse, ClientOrderIdsAndTimes) {
  EXPECT_EQ(checkClientOrderId("P12.C3-r1"), "");
  EXPECT_NE(checkClientOrderId("has space"), "");
  EXPECT_NE(checkClientOrderId(std::string(129, 'a')), "");
  EXPECT_EQ(*parseRfc3339Ms("2023-02-09T20:33:57.609931463Z"), 1675974837609);
  EXPECT_EQ(*parseRfc3339Ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_FALSE(parseRfc3339Ms("2023-02-09 20:33"));
  EXPECT_EQ(formatRfc3339(1675974837609000000LL), "2023-02-09T20:33:57.609Z");
}

}  // namespace
