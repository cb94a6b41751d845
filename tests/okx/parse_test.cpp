// The OKX boundary: every test_data/ payload parses; decimals are exact and
// over-precise ones refused naming the field; instrument filters and the
// contract-size check; order-type/TIF mapping; error classification;
// clOrdId derivation.
#include "venue_adapters/okx/parse.h"

#include <gtest/gtest.h>

#include "tests/okx/test_data.h"

using namespace fixgw;
using namespace fixgw::okx;

namespace {
Instrument spot() {
  Instrument i;
  i.symbol = Symbol("BTC/USDT");
  return i;
}
Instrument swap() {
  Instrument i;
  i.symbol = Symbol("BTC-PERP");
  i.venueSymbols["OKX"] = "BTC-USDT-SWAP";
  i.contractSize = Qty::of("0.01");
  i.marginMode = "cross";
  i.settleCurrency = "USDT";
  return i;
}
std::map<std::string, InstInfo> insts() {
  std::map<std::string, InstInfo> m;
  EXPECT_EQ(parseInstruments(okxTestData("instruments_spot.json"), m), "");
  EXPECT_EQ(parseInstruments(okxTestData("instruments_swap.json"), m), "");
  return m;
}
VenueNewOrder limit(TimeInForce tif) {
  VenueNewOrder o;
  o.ordType = OrdType::Limit;
  o.tif = tif;
  o.price = Price::of("100");
  o.qty = Qty::of("1");
  return o;
}
}  // namespace

TEST(OkxParse, InstrumentsCarryFiltersAndContractValue) {
  auto m = insts();
  ASSERT_EQ(m.size(), 2u);
  const InstInfo& s = m.at("BTC-USDT");
  EXPECT_EQ(s.instType, "SPOT");
  EXPECT_EQ(s.tickSz, Price::of("0.1"));
  EXPECT_EQ(s.lotSz, Qty::of("0.00000001"));
  EXPECT_EQ(s.minSz, Qty::of("0.00001"));
  EXPECT_FALSE(s.ctVal);
  const InstInfo& w = m.at("BTC-USDT-SWAP");
  EXPECT_EQ(w.instType, "SWAP");
  ASSERT_TRUE(w.ctVal);
  EXPECT_EQ(*w.ctVal, Qty::of("0.01"));
  EXPECT_EQ(w.settleCcy, "USDT");
  EXPECT_EQ(w.lotSz, Qty::of("0.01"));
}

TEST(OkxParse, OverPreciseInstrumentValueIsAnErrorNamingTheField) {
  std::map<std::string, InstInfo> m;
  auto e = parseInstruments(
      R"({"code":"0","msg":"","data":[{"instType":"SPOT","instId":"X-Y","tickSz":"0.000000001","lotSz":"1","minSz":"1","state":"live"}]})",
      m);
  EXPECT_NE(e.find("instrument X-Y.tickSz"), std::string::npos) << e;
}

TEST(OkxParse, FiltersNameTheRuleAsOkxDoes) {
  auto m = insts();
  const InstInfo& s = m.at("BTC-USDT");
  EXPECT_EQ(checkFilters(s, Price::of("30000.1"), Qty::of("0.001")), "");
  EXPECT_NE(checkFilters(s, Price::of("30000.05"), Qty::of("0.001")).find("tickSz"),
            std::string::npos);
  EXPECT_NE(checkFilters(s, Price::of("30000"), Qty::of("0.000001")).find("minSz"),
            std::string::npos);
  const InstInfo& w = m.at("BTC-USDT-SWAP");
  EXPECT_NE(checkFilters(w, Price::of("30000"), Qty::of("1.005")).find("lotSz"), std::string::npos);
  InstInfo susp = s;
  susp.state = "suspend";
  EXPECT_NE(checkFilters(susp, Price::of("1"), Qty::of("1")).find("suspend"), std::string::npos);
}

TEST(OkxParse, ContractSizeMustEqualCtValAndMarginModeSuitTheType) {
  auto m = insts();
  std::string td;
  EXPECT_EQ(tdModeFor(swap(), m.at("BTC-USDT-SWAP"), td), "");
  EXPECT_EQ(td, "cross");
  EXPECT_EQ(tdModeFor(spot(), m.at("BTC-USDT"), td), "");
  EXPECT_EQ(td, "cash");
  Instrument wrong = swap();
  wrong.contractSize = Qty::of("0.001");
  auto e = checkInstrument(wrong, m.at("BTC-USDT-SWAP"));
  EXPECT_NE(e.find("contract_size 0.001 differs from OKX ctVal 0.01"), std::string::npos) << e;
  Instrument cashSwap = swap();
  cashSwap.marginMode = "cash";
  EXPECT_NE(checkInstrument(cashSwap, m.at("BTC-USDT-SWAP")).find("margin_mode"),
            std::string::npos);
  Instrument isoSpot = spot();
  isoSpot.marginMode = "isolated";
  EXPECT_NE(checkInstrument(isoSpot, m.at("BTC-USDT")).find("margin_mode"), std::string::npos);
}

TEST(OkxParse, EnvelopeCarriesTheOrdersSCode) {
  Envelope ok, bad, sign;
  ASSERT_EQ(parseEnvelope(okxTestData("place_order_ok.json"), ok), "");
  EXPECT_EQ(ok.code, "0");
  EXPECT_EQ(ok.sCode, "0");
  EXPECT_EQ(ok.ordId, "312269865356374016");
  EXPECT_EQ(ok.clOrdId, "oktswap6");
  ASSERT_EQ(parseEnvelope(okxTestData("place_order_insufficient.json"), bad), "");
  EXPECT_EQ(bad.code, "1");
  EXPECT_EQ(bad.sCode, "51008");
  EXPECT_NE(bad.sMsg.find("Insufficient"), std::string::npos);
  ASSERT_EQ(parseEnvelope(okxTestData("error_invalid_sign.json"), sign), "");
  EXPECT_EQ(sign.code, "50113");
  Envelope x;
  EXPECT_NE(parseEnvelope("{\"code\":", x), "");
  EXPECT_NE(parseEnvelope("{\"msg\":\"\"}", x), "");
  Envelope c, a;
  ASSERT_EQ(parseEnvelope(okxTestData("cancel_order_ok.json"), c), "");
  ASSERT_EQ(parseEnvelope(okxTestData("amend_order_ok.json"), a), "");
  EXPECT_EQ(a.sCode, "0");
}

TEST(OkxParse, ErrorCodesAreClassified) {
  EXPECT_EQ(classifyCode("0"), ErrorClass::Ok);
  EXPECT_EQ(classifyCode("50011"), ErrorClass::RateLimited);
  EXPECT_EQ(classifyCode("50102"), ErrorClass::Timestamp);
  EXPECT_EQ(classifyCode("50113"), ErrorClass::Auth);
  EXPECT_EQ(classifyCode("50111"), ErrorClass::Auth);
  EXPECT_EQ(classifyCode("51000"), ErrorClass::Rejected);
  EXPECT_EQ(classifyCode("51008"), ErrorClass::Rejected);
  EXPECT_EQ(classifyCode("51400"), ErrorClass::Rejected);
  EXPECT_EQ(classifyCode("50001"), ErrorClass::Unknown);
  EXPECT_EQ(classifyCode("50013"), ErrorClass::Unknown);
  EXPECT_EQ(classifyCode("50026"), ErrorClass::Unknown);
}

TEST(OkxParse, OrdersPushWithAFill) {
  WsMessage m;
  ASSERT_EQ(parseWsMessage(okxTestData("ws_orders_partial_fill.json"), m), "");
  ASSERT_EQ(m.kind, WsMessage::Kind::Orders);
  ASSERT_EQ(m.orders.size(), 1u);
  const OkxOrder& o = m.orders[0];
  EXPECT_EQ(o.ordId, "452197707845865472");
  EXPECT_EQ(o.state, "partially_filled");
  EXPECT_EQ(o.tradeId, "242589207");
  EXPECT_EQ(o.fillSz, Qty::of("0.001"));
  EXPECT_EQ(o.fillPx, Price::of("31527.1"));
  EXPECT_EQ(o.accFillSz, Qty::of("0.001"));
  EXPECT_EQ(o.sz, Qty::of("0.002"));
  ASSERT_TRUE(o.fee);
  EXPECT_EQ(*o.fee, Qty::of("-0.02522168")) << "negative = charged, as OKX sends it";
  EXPECT_EQ(o.feeCcy, "USDT");
  EXPECT_EQ(o.fillTimeMs, 1654084353263);
}

TEST(OkxParse, WsEventsAndPong) {
  WsMessage a, b, c, p;
  ASSERT_EQ(parseWsMessage(okxTestData("ws_login_ok.json"), a), "");
  EXPECT_EQ(a.kind, WsMessage::Kind::Event);
  EXPECT_EQ(a.event, "login");
  EXPECT_EQ(a.code, "0");
  ASSERT_EQ(parseWsMessage(okxTestData("ws_login_error.json"), b), "");
  EXPECT_EQ(b.event, "error");
  EXPECT_EQ(b.code, "60009");
  ASSERT_EQ(parseWsMessage(okxTestData("ws_subscribe_ok.json"), c), "");
  EXPECT_EQ(c.event, "subscribe");
  ASSERT_EQ(parseWsMessage("pong", p), "");
  EXPECT_EQ(p.kind, WsMessage::Kind::Pong);
  WsMessage g;
  EXPECT_NE(parseWsMessage("{\"arg\":{\"channel\":\"orders\"},\"data\":[{\"ordId\":", g), "");
  WsMessage bad;
  EXPECT_NE(
      parseWsMessage(R"({"arg":{"channel":"orders"},"data":[{"ordId":"1","fillSz":"1e-3"}]})", bad)
          .find("order.fillSz"),
      std::string::npos);
}

TEST(OkxParse, GetOrderFillsAndTime) {
  std::vector<OkxOrder> os;
  ASSERT_EQ(parseOrders(okxTestData("get_order.json"), os), "");
  ASSERT_EQ(os.size(), 1u);
  EXPECT_EQ(os[0].state, "filled");
  EXPECT_EQ(os[0].accFillSz, Qty::of("0.00192834"));
  std::vector<OkxFill> fs;
  ASSERT_EQ(parseFills(okxTestData("fills.json"), fs), "");
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].tradeId, "744876980");
  EXPECT_EQ(fs[0].fillSz, Qty::of("0.00192834"));
  EXPECT_EQ(fs[0].feeCcy, "BTC");
  // The documented fee has 11 decimals: the fill is kept, the fee is not
  // rounded but left out, with the reason naming the field.
  EXPECT_FALSE(fs[0].fee);
  EXPECT_NE(fs[0].feeError.find("fill.fee"), std::string::npos) << fs[0].feeError;
  int64_t ts = 0;
  ASSERT_EQ(parseTime(okxTestData("public_time.json"), ts), "");
  EXPECT_EQ(ts, 1597026383085);
}

TEST(OkxParse, OrderTypeCarriesTheTimeInForce) {
  std::string t;
  EXPECT_EQ(mapOrderType(limit(TimeInForce::Gtc), false, t), "");
  EXPECT_EQ(t, "limit");
  EXPECT_EQ(mapOrderType(limit(TimeInForce::Ioc), false, t), "");
  EXPECT_EQ(t, "ioc");
  EXPECT_EQ(mapOrderType(limit(TimeInForce::Fok), false, t), "");
  EXPECT_EQ(t, "fok");
  auto po = limit(TimeInForce::Gtc);
  po.attrs.postOnly = true;
  EXPECT_EQ(mapOrderType(po, false, t), "");
  EXPECT_EQ(t, "post_only");
  EXPECT_NE(mapOrderType(limit(TimeInForce::Day), false, t).find("DAY"), std::string::npos);
  EXPECT_EQ(mapOrderType(limit(TimeInForce::Day), true, t), "");
  EXPECT_EQ(t, "limit");
  EXPECT_NE(mapOrderType(limit(TimeInForce::GoodTillDate), false, t), "");
  VenueNewOrder mkt;
  mkt.ordType = OrdType::Market;
  EXPECT_EQ(mapOrderType(mkt, false, t), "");
  EXPECT_EQ(t, "market");
  VenueNewOrder stop = limit(TimeInForce::Gtc);
  stop.ordType = OrdType::StopLimit;
  EXPECT_NE(mapOrderType(stop, false, t).find("algo"), std::string::npos);
  auto floor = limit(TimeInForce::Gtc);
  floor.attrs.maxFloor = Qty::of("1");
  EXPECT_NE(mapOrderType(floor, false, t).find("MaxFloor"), std::string::npos);
}

TEST(OkxParse, ClOrdIdIsAlphanumericUpTo32AndStable) {
  EXPECT_EQ(clientOrderIdFor("C42"), "C42");
  const std::string d = clientOrderIdFor("ORD-17.1");
  EXPECT_EQ(d.size(), 32u);
  for (char c : d) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  EXPECT_EQ(d, clientOrderIdFor("ORD-17.1"));
  EXPECT_NE(d, clientOrderIdFor("ORD-17.2"));
  EXPECT_EQ(clientOrderIdFor(std::string(33, 'a')).size(), 32u);
  EXPECT_NE(clientOrderIdFor(std::string(33, 'a')), std::string(32, 'a'));
}

TEST(OkxParse, InstIdFromVenueSymbolsElseDashed) {
  EXPECT_EQ(instIdFor(spot(), "OKX"), "BTC-USDT");
  EXPECT_EQ(instIdFor(swap(), "OKX"), "BTC-USDT-SWAP");
}

TEST(OkxParse, PublicBooks5AndTrades) {
  WsMessage b, t;
  ASSERT_EQ(parseWsMessage(okxTestData("ws_books5.json"), b), "");
  ASSERT_EQ(b.kind, WsMessage::Kind::Book);
  EXPECT_EQ(b.instId, "BCH-USDT");
  ASSERT_EQ(b.asks.size(), 5u);
  EXPECT_EQ(b.asks[0].price, Price::of("111.06"));
  EXPECT_EQ(b.asks[0].qty, Qty::of("55.154"));
  EXPECT_EQ(b.bids[0].price, Price::of("111.05"));
  ASSERT_EQ(parseWsMessage(okxTestData("ws_trades.json"), t), "");
  ASSERT_EQ(t.kind, WsMessage::Kind::Trades);
  ASSERT_EQ(t.trades.size(), 1u);
  EXPECT_EQ(t.trades[0].price, Price::of("42219.9"));
  EXPECT_EQ(t.trades[0].qty, Qty::of("0.12060306"));
  EXPECT_EQ(t.trades[0].time, 1630048897897LL * 1'000'000);
}
