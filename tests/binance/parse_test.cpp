// Binance JSON parsing (exact decimals, never through double), symbol
// filters, and the mapping of our order terms to Binance's.
#include "venue_adapters/binance/parse.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/binance/test_data.h"
#include "venue_adapters/binance/config.h"

using namespace fixgw;
using namespace fixgw::binance;

TEST(BinanceParse, ExchangeInfoFiltersFromTheDocumentedPayload) {
  ExchangeInfo info;
  ASSERT_EQ(parseExchangeInfo(binanceTestData("exchange_info.json"), info), "");
  ASSERT_EQ(info.symbols.count("ETHBTC"), 1u);
  const auto& eth = info.symbols.at("ETHBTC");
  EXPECT_EQ(eth.baseAsset, "ETH");
  EXPECT_EQ(eth.quoteAsset, "BTC");
  EXPECT_EQ(eth.tickSize, Price::of("0.000001"));
  EXPECT_EQ(eth.stepSize, Qty::of("0.001"));
  EXPECT_EQ(eth.minQty, Qty::of("0.001"));
  ASSERT_TRUE(eth.minNotional.has_value());
  EXPECT_EQ(*eth.minNotional, Notional::of("0.001"));
  const auto& btc = info.symbols.at("BTCUSDT");
  EXPECT_EQ(btc.tickSize, Price::of("0.01"));
  EXPECT_EQ(btc.stepSize, Qty::of("0.00001"));
  EXPECT_EQ(*btc.minNotional, Notional::of("5"));
  EXPECT_EQ(*btc.maxNotional, Notional::of("9000000"));
  EXPECT_TRUE(btc.supports("LIMIT_MAKER"));
}

TEST(BinanceParse, DecimalsAreExactToTheLastSatoshi) {
  // 0.1 + 0.2 style values that a double would not hold exactly, and the
  // smallest unit: the mantissas must be exact.
  BinanceOrder o;
  ASSERT_EQ(parseOrder(R"({"symbol":"BTCUSDT","orderId":1,"clientOrderId":"a","price":"0.30000001",
    "origQty":"92233720368.54775807","executedQty":"0.00000001","status":"NEW"})",
                       o),
            "");
  EXPECT_EQ(o.price.mantissa(), 30'000'001);
  EXPECT_EQ(o.origQty.mantissa(), 9'223'372'036'854'775'807LL);
  EXPECT_EQ(o.executedQty.mantissa(), 1);
}

TEST(BinanceParse, MoreThanEightDecimalsIsAnErrorNamingTheFieldNotARounding) {
  BinanceOrder o;
  std::string err = parseOrder(R"({"symbol":"BTCUSDT","orderId":1,"clientOrderId":"a",
    "price":"0.123456789","origQty":"1","executedQty":"0","status":"NEW"})",
                               o);
  EXPECT_NE(err.find("price"), std::string::npos) << err;
  EXPECT_NE(err.find("0.123456789"), std::string::npos) << err;
}

TEST(BinanceParse, JsonNumbersAreReadFromTheirTextNotThroughDouble) {
  // Ids and a bare-number price: RapidJSON hands them over as text.
  BinanceOrder o;
  ASSERT_EQ(parseOrder(R"({"symbol":"X","orderId":12345678901234567,"clientOrderId":"a",
    "price":0.30000001,"origQty":100,"executedQty":"0","status":"NEW"})",
                       o),
            "");
  EXPECT_EQ(o.orderId, "12345678901234567");
  EXPECT_EQ(o.price.mantissa(), 30'000'001);
  EXPECT_EQ(o.origQty, Qty::fromInt(100));
  // An exponent is not a plain decimal: refused, naming the field.
  std::string err = parseOrder(R"({"symbol":"X","orderId":1,"clientOrderId":"a","price":"1",
    "origQty":1e2,"executedQty":"0","status":"NEW"})",
                               o);
  EXPECT_NE(err.find("origQty"), std::string::npos) << err;
}

TEST(BinanceParse, GarbledJsonIsAClearError) {
  BinanceOrder o;
  std::string err = parseOrder(R"({"symbol":"BTCUSDT","orderId":12,"price":"1.0)", o);
  EXPECT_NE(err.find("malformed JSON"), std::string::npos) << err;
  ExchangeInfo info;
  EXPECT_NE(parseExchangeInfo("[]", info), "");
}

TEST(BinanceParse, FullOrderResponseFromTheDocumentation) {
  BinanceOrder o;
  ASSERT_EQ(parseOrder(binanceTestData("order_full.json"), o), "");
  EXPECT_EQ(o.orderId, "28");
  EXPECT_EQ(o.status, "FILLED");
  ASSERT_EQ(o.fills.size(), 5u);
  EXPECT_EQ(o.fills[1].tradeId, "57");
  EXPECT_EQ(o.fills[1].price, Price::of("3999"));
  EXPECT_EQ(o.fills[1].qty, Qty::of("5"));
  EXPECT_EQ(o.fills[1].commission, Qty::of("19.995"));
  EXPECT_EQ(o.fills[1].commissionAsset, "USDT");
  EXPECT_EQ(o.fills[1].orderId, "28");
}

TEST(BinanceParse, CancelResponseAndMyTradesFromTheDocumentation) {
  BinanceOrder c;
  ASSERT_EQ(parseOrder(binanceTestData("cancel_order.json"), c), "");
  EXPECT_EQ(c.origClientOrderId, "myOrder1");
  EXPECT_EQ(c.status, "CANCELED");
  std::vector<BinanceTrade> t;
  ASSERT_EQ(parseTrades(binanceTestData("my_trades.json"), t), "");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].tradeId, "28457");
  EXPECT_EQ(t[0].orderId, "100234");
  EXPECT_EQ(t[0].price, Price::of("4.000001"));
  EXPECT_EQ(t[0].commission, Qty::of("10.1"));
  EXPECT_EQ(t[0].commissionAsset, "BNB");
}

TEST(BinanceParse, ExecutionReportFromTheDocumentation) {
  StreamEvent ev;
  ASSERT_EQ(parseStreamEvent(binanceTestData("execution_report.json"), ev), "");
  ASSERT_EQ(ev.kind, StreamEvent::Kind::ExecutionReport);
  EXPECT_EQ(ev.report.clientOrderId, "mUvoqJxFIILMdfAW5iGSOW");
  EXPECT_EQ(ev.report.price, Price::of("0.1026441"));
  EXPECT_EQ(ev.report.qty, Qty::of("1"));
  EXPECT_EQ(ev.report.execType, "NEW");
  EXPECT_EQ(ev.report.orderId, "4293153");
  EXPECT_EQ(ev.report.tradeId, "-1");
  EXPECT_EQ(ev.report.commissionAsset, "") << "N is null before any fee";
  // The WebSocket API wraps the same event.
  StreamEvent wrapped;
  ASSERT_EQ(parseStreamEvent(
                "{\"subscriptionId\":0,\"event\":" + binanceTestData("execution_report.json") + "}",
                wrapped),
            "");
  EXPECT_EQ(wrapped.report.orderId, "4293153");
}

TEST(BinanceParse, ListenKeyAndItsExpiry) {
  std::string key;
  ASSERT_EQ(parseListenKey(binanceTestData("listen_key.json"), key), "");
  EXPECT_EQ(key.size(), 64u);
  StreamEvent ev;
  ASSERT_EQ(parseStreamEvent(binanceTestData("listen_key_expired.json"), ev), "");
  EXPECT_EQ(ev.kind, StreamEvent::Kind::ListenKeyExpired);
  ApiError e;
  ASSERT_TRUE(parseApiError(binanceTestData("error_duplicate.json"), e));
  EXPECT_EQ(e.code, -2010);
  EXPECT_EQ(e.msg, "Duplicate order sent.");
}

class BinanceFilters : public ::testing::Test {
 protected:
  void SetUp() override {
    ExchangeInfo info;
    ASSERT_EQ(parseExchangeInfo(binanceTestData("exchange_info.json"), info), "");
    f = info.symbols.at("BTCUSDT");
  }
  SymbolFilters f;
};

TEST_F(BinanceFilters, AnOrderWithinEveryFilterPasses) {
  EXPECT_EQ(checkFilters(f, Price::of("60000.01"), std::nullopt, Qty::of("0.00123")), "");
}

TEST_F(BinanceFilters, PriceOffTheTickIsRejectedNamingPriceFilter) {
  std::string e = checkFilters(f, Price::of("60000.005"), std::nullopt, Qty::of("0.001"));
  EXPECT_EQ(e, "PRICE_FILTER: price 60000.005 is not a multiple of tickSize 0.01");
}

TEST_F(BinanceFilters, QuantityOffTheStepOrBelowMinIsRejectedNamingLotSize) {
  EXPECT_EQ(checkFilters(f, Price::of("60000"), std::nullopt, Qty::of("0.000015")),
            "LOT_SIZE: quantity 0.000015 is not a multiple of stepSize 0.00001");
  EXPECT_EQ(checkFilters(f, Price::of("60000"), std::nullopt, Qty::of("0.000001")),
            "LOT_SIZE: quantity 0.000001 is below minQty 0.00001");
  EXPECT_EQ(checkFilters(f, Price::of("60000"), std::nullopt, Qty::of("9000.00001")),
            "LOT_SIZE: quantity 9000.00001 is above maxQty 9000");
}

TEST_F(BinanceFilters, SmallNotionalIsRejectedNamingNotional) {
  EXPECT_EQ(checkFilters(f, Price::of("100"), std::nullopt, Qty::of("0.04")),
            "NOTIONAL: price * quantity 4 is below minNotional 5");
}

TEST_F(BinanceFilters, StopPriceIsCheckedAgainstThePriceFilterToo) {
  EXPECT_NE(
      checkFilters(f, std::nullopt, Price::of("59000.001"), Qty::of("0.001")).find("stopPrice"),
      std::string::npos);
}

TEST_F(BinanceFilters, MarketOrdersAreHeldToMarketLotSize) {
  EXPECT_TRUE(f.hasMarketLotSize);
  EXPECT_EQ(f.marketMaxQty, Qty::of("120"));
  EXPECT_EQ(checkFilters(f, std::nullopt, std::nullopt, Qty::of("121"), true),
            "MARKET_LOT_SIZE: quantity 121 is above maxQty 120");
  EXPECT_EQ(checkFilters(f, std::nullopt, std::nullopt, Qty::of("121"), false), "")
      << "a limit order of 121 is within LOT_SIZE";
  EXPECT_EQ(checkFilters(f, std::nullopt, std::nullopt, Qty::of("0.5"), true), "");
}

TEST_F(BinanceFilters, ASymbolNotTradingIsRejected) {
  f.status = "HALT";
  EXPECT_EQ(checkFilters(f, Price::of("60000"), std::nullopt, Qty::of("0.001")),
            "symbol BTCUSDT is not trading (status HALT)");
}

namespace {
VenueNewOrder order(OrdType t, TimeInForce tif) {
  VenueNewOrder o;
  o.childId = ChildOrderId("c1");
  o.symbol = Symbol("BTC/USDT");
  o.ordType = t;
  o.tif = tif;
  o.qty = Qty::of("0.001");
  if (t == OrdType::Limit || t == OrdType::StopLimit) o.price = Price::of("60000");
  if (t == OrdType::Stop || t == OrdType::StopLimit) o.stopPx = Price::of("59000");
  return o;
}
std::string mapped(const VenueNewOrder& o, bool dayAsGtc = false) {
  OrderTypeMapping m;
  std::string e = mapOrderType(o, dayAsGtc, m);
  return e.empty() ? m.type + "/" + m.timeInForce : "error: " + e;
}
TEST(BinanceParseTest, ServerTime) {
  // GET /api/v3/time, as in Binance's spot API documentation.
  int64_t ms = 0;
  EXPECT_EQ(parseServerTime(R"({"serverTime": 1499827319559})", ms), "");
  EXPECT_EQ(ms, 1499827319559);
  EXPECT_NE(parseServerTime(R"({"serverTime": "soon"})", ms).find("serverTime"), std::string::npos);
  EXPECT_NE(parseServerTime(R"({"server)", ms).find("malformed"), std::string::npos);
}

}  // namespace

TEST(BinanceMapping, OrderTypesAndTimeInForce) {
  EXPECT_EQ(mapped(order(OrdType::Market, TimeInForce::Day)), "MARKET/");
  EXPECT_EQ(mapped(order(OrdType::Limit, TimeInForce::Gtc)), "LIMIT/GTC");
  EXPECT_EQ(mapped(order(OrdType::Limit, TimeInForce::Ioc)), "LIMIT/IOC");
  EXPECT_EQ(mapped(order(OrdType::Limit, TimeInForce::Fok)), "LIMIT/FOK");
  EXPECT_EQ(mapped(order(OrdType::Stop, TimeInForce::Gtc)), "STOP_LOSS/");
  EXPECT_EQ(mapped(order(OrdType::StopLimit, TimeInForce::Gtc)), "STOP_LOSS_LIMIT/GTC");
  auto po = order(OrdType::Limit, TimeInForce::Gtc);
  po.attrs.postOnly = true;
  EXPECT_EQ(mapped(po), "LIMIT_MAKER/");
}

TEST(BinanceMapping, WhatBinanceSpotCannotDoIsRefusedNamingTheField) {
  EXPECT_EQ(mapped(order(OrdType::Limit, TimeInForce::Day)),
            "error: TimeInForce DAY: Binance spot has no DAY orders (use GTC, or set day_as_gtc)");
  EXPECT_EQ(mapped(order(OrdType::Limit, TimeInForce::Day), true), "LIMIT/GTC");
  auto shortSale = order(OrdType::Limit, TimeInForce::Gtc);
  shortSale.side = Side::SellShort;
  EXPECT_EQ(mapped(shortSale), "error: Side SellShort: Binance spot has no short sales");
  auto poIoc = order(OrdType::Limit, TimeInForce::Ioc);
  poIoc.attrs.postOnly = true;
  EXPECT_EQ(mapped(poIoc), "error: ExecInst post-only: cannot be IOC or FOK");
  EXPECT_NE(mapped(order(OrdType::Limit, TimeInForce::GoodTillDate)).find("error: TimeInForce"),
            std::string::npos);
}

TEST(BinanceMapping, ClientOrderIdRules) {
  EXPECT_EQ(checkClientOrderId("P-123.4:5/x_y"), "");
  EXPECT_NE(checkClientOrderId(std::string(37, 'a')), "");
  EXPECT_NE(checkClientOrderId("has space"), "");
  EXPECT_NE(checkClientOrderId(""), "");
}

TEST(BinanceMapping, DecimalTextAsBinanceTakesAndPrintsIt) {
  EXPECT_EQ(decimal(Qty::of("0.1").mantissa()), "0.1");
  EXPECT_EQ(decimal(Qty::of("25").mantissa()), "25");
  EXPECT_EQ(decimal8(Qty::of("0.1").mantissa()), "0.10000000");
  EXPECT_EQ(decimal8(Qty::of("4000").mantissa()), "4000.00000000");
}

TEST(BinanceConfigTest, BadParamsNameTheKey) {
  venues::VenueParams params{{"recv_window_ms", "70000"}};
  venues::ParamReader p(params, "venues[2]");
  try {
    readBinanceConfig(p, "venues[2]");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("venues[2].params.recv_window_ms"), std::string::npos)
        << e.what();
  }
}

TEST(BinanceConfigTest, MissingCredentialNamesTheVariableNotAValue) {
  BinanceConfig c;
  c.apiKeyEnv = "FIXGW_TEST_NO_SUCH_KEY_VAR";
  try {
    loadCredentials(c, "venues[0]");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("FIXGW_TEST_NO_SUCH_KEY_VAR"), std::string::npos)
        << e.what();
  }
}

TEST(BinanceConfigTest, UnreadableCaFileNamesTheKey) {
  venues::VenueParams params{{"ca_file", "/nonexistent/binance-ca.pem"}};
  venues::ParamReader p(params, "venues[1]");
  try {
    readBinanceConfig(p, "venues[1]");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("venues[1].params.ca_file"), std::string::npos)
        << e.what();
  }
}

TEST(BinanceConfigTest, CredentialsFromFilesTakePrecedenceAndAreTrimmed) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/bn_key") << "file-key\n";
  std::ofstream(dir + "/bn_secret") << "file-secret\n";
  BinanceConfig c;
  c.apiKeyFile = dir + "/bn_key";
  c.secretFile = dir + "/bn_secret";
  c.apiKeyEnv = "FIXGW_TEST_NO_SUCH_KEY_VAR";
  Credentials cr = loadCredentials(c, "venues[0]");
  EXPECT_EQ(cr.apiKey, "file-key");
  EXPECT_EQ(cr.secret, "file-secret");
}

TEST(BinanceParseTest, MarketStreamPayloadsFromTheDocumentation) {
  MarketStreamMessage m;
  ASSERT_EQ(parseMarketStream(binanceTestData("book_ticker.json"), m), "");
  EXPECT_EQ(m.kind, MarketStreamMessage::Kind::BookTicker);
  EXPECT_EQ(m.symbol, "BNBUSDT");
  EXPECT_EQ(m.updateId, 400900217);
  EXPECT_EQ(m.bidPx, Price::of("25.3519"));
  EXPECT_EQ(m.bidQty, Qty::of("31.21"));
  EXPECT_EQ(m.askPx, Price::of("25.3652"));
  EXPECT_EQ(m.askQty, Qty::of("40.66"));

  ASSERT_EQ(parseMarketStream(binanceTestData("trade_stream.json"), m), "");
  EXPECT_EQ(m.kind, MarketStreamMessage::Kind::Trade);
  EXPECT_EQ(m.symbol, "BNBBTC");
  EXPECT_EQ(m.tradeId, "12345");
  EXPECT_EQ(m.price, Price::of("0.001"));
  EXPECT_EQ(m.qty, Qty::of("100"));
  EXPECT_EQ(m.tradeTimeMs, 1672515782136);

  ASSERT_EQ(parseMarketStream(binanceTestData("depth_partial.json"), m), "");
  EXPECT_EQ(m.kind, MarketStreamMessage::Kind::Depth);
  EXPECT_EQ(m.symbol, "BNBBTC");  // from the stream name
  ASSERT_EQ(m.bids.size(), 1u);
  EXPECT_EQ(m.bids[0].first, Price::of("0.0024"));
  EXPECT_EQ(m.bids[0].second, Qty::of("10"));
  ASSERT_EQ(m.asks.size(), 1u);
  EXPECT_EQ(m.asks[0].second, Qty::of("100"));

  ASSERT_EQ(parseMarketStream(R"({"result":null,"id":3})", m), "");
  EXPECT_EQ(m.kind, MarketStreamMessage::Kind::Result);
  EXPECT_EQ(m.requestId, 3);
  EXPECT_EQ(m.error, "");
  ASSERT_EQ(parseMarketStream(R"({"error":{"code":2,"msg":"Invalid request"},"id":4})", m), "");
  EXPECT_EQ(m.error, "error 2: Invalid request");
}

TEST(BinanceParseTest, MalformedMarketStreamPayloadsNameTheProblem) {
  MarketStreamMessage m;
  const std::string full = binanceTestData("book_ticker.json");
  // Every truncation is an error, never a crash or a half-read book.
  for (size_t n = 0; n + 2 < full.size(); ++n)
    EXPECT_NE(parseMarketStream(full.substr(0, n), m), "") << n;
  EXPECT_NE(
      parseMarketStream(
          R"({"stream":"x@bookTicker","data":{"u":1,"s":"X","b":"1.123456789","B":"1","a":"2","A":"1"}})",
          m)
          .find("field 'b'"),
      std::string::npos);
  EXPECT_NE(parseMarketStream(
                R"({"stream":"x@trade","data":{"e":"trade","s":"X","t":1,"p":"1","T":1}})", m)
                .find("missing field 'q'"),
            std::string::npos);
  EXPECT_NE(parseMarketStream(
                R"({"stream":"x@depth5","data":{"lastUpdateId":1,"bids":[["1"]],"asks":[]}})", m)
                .find("'bids': a level is not [price, quantity]"),
            std::string::npos);
  EXPECT_NE(parseMarketStream(R"({"data":{"lastUpdateId":1,"bids":[],"asks":[]}})", m)
                .find("without a stream name"),
            std::string::npos);
  EXPECT_NE(parseMarketStream(R"({"stream":"x@trade"})", m).find("missing object 'data'"),
            std::string::npos);
}
