// TWS API codec: framing, every outgoing message at two server versions
// checked field by field against sequences written from the protocol
// documentation, every incoming message parsed, and garbled input rejected
// with an error naming the field.
#include "venue_adapters/ibkr_tws/codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "venue_adapters/ibkr_tws/config.h"
#include "venue_adapters/registry.h"

namespace fixgw::tws {
namespace {

using Fields = std::vector<std::string>;

std::string payloadOf(const Fields& f) {
  std::string out;
  for (const auto& s : f) {
    out += s;
    out.push_back('\0');
  }
  return out;
}

const std::string kUnset = "1.7976931348623157e+308";
const std::string kUnsetInt = "2147483647";

OrderRequest aaplLimit() {
  OrderRequest o;
  o.orderId = 7;
  o.contract.secType = "STK";
  o.contract.symbol = "AAPL";
  o.contract.exchange = "SMART";
  o.contract.primaryExchange = "NASDAQ";
  o.contract.currency = "USD";
  o.action = "BUY";
  o.totalQuantity = Qty::fromInt(100);
  o.orderType = "LMT";
  o.lmtPrice = Price::of("150.25");
  o.tif = "DAY";
  o.account = "DU1";
  o.orderRef = "C1";
  return o;
}

// ---------------------------------------------------------------- framing

TEST(TwsFraming, LengthPrefixIsFourBytesBigEndian) {
  std::string f = frame(std::string(300, 'x'));
  ASSERT_EQ(f.size(), 304u);
  EXPECT_EQ(static_cast<unsigned char>(f[0]), 0);
  EXPECT_EQ(static_cast<unsigned char>(f[1]), 0);
  EXPECT_EQ(static_cast<unsigned char>(f[2]), 1);
  EXPECT_EQ(static_cast<unsigned char>(f[3]), 44);
}

TEST(TwsFraming, DecoderSplitsMessagesAcrossArbitraryChunks) {
  std::string stream = frame(payloadOf({"49", "1", "1700000000"})) + frame(payloadOf({"53", "1"}));
  FrameDecoder d;
  std::vector<std::string> got;
  for (char c : stream) {
    d.feed(&c, 1);
    std::string p, e;
    while (d.next(p, e) == FrameDecoder::Status::Message) got.push_back(p);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(splitFields(got[0]), (Fields{"49", "1", "1700000000"}));
  EXPECT_EQ(splitFields(got[1]), (Fields{"53", "1"}));
}

TEST(TwsFraming, OversizedLengthIsAnErrorNotAnAllocation) {
  FrameDecoder d;
  const char bad[] = {'\x7f', '\xff', '\xff', '\xff', 'a'};
  d.feed(bad, sizeof bad);
  std::string p, e;
  EXPECT_EQ(d.next(p, e), FrameDecoder::Status::Error);
  EXPECT_NE(e.find("exceeds"), std::string::npos);
}

// --------------------------------------------------------------- handshake

TEST(TwsHandshake, ClientHelloIsApiPrefixThenFramedVersionRange) {
  std::string h = encodeClientHello(100, 176);
  EXPECT_EQ(h.substr(0, 4), std::string("API\0", 4));
  EXPECT_EQ(h.substr(4), frame("v100..176"));
  EXPECT_EQ(encodeClientHello(100, 176, "+PACEAPI").substr(8), "v100..176 +PACEAPI");
}

TEST(TwsHandshake, ServerParsesRangeAndAnswersVersionAndTime) {
  auto r = parseClientVersionRange("v100..176 +PACEAPI");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value(), std::make_pair(100, 176));
  EXPECT_FALSE(parseClientVersionRange("x100..176"));
  EXPECT_FALSE(parseClientVersionRange("v176..100"));
  std::string p = encodeServerHello({151, "20240105 10:00:00 EST"});
  EXPECT_EQ(splitFields(p), (Fields{"151", "20240105 10:00:00 EST"}));
  auto h = decodeServerHello(p);
  ASSERT_TRUE(h);
  EXPECT_EQ(h.value().serverVersion, 151);
  EXPECT_EQ(h.value().connectionTime, "20240105 10:00:00 EST");
  EXPECT_FALSE(decodeServerHello(payloadOf({"abc", "t"})));
}

// ---------------------------------------------------------------- outgoing

TEST(TwsEncode, StartApiCarriesVersion2ClientIdAndCapabilities) {
  EXPECT_EQ(splitFields(encodeStartApi(176, 12, "")), (Fields{"71", "2", "12", ""}));
  EXPECT_EQ(splitFields(encodeStartApi(100, 12, "x")), (Fields{"71", "2", "12", "x"}));
}

// placeOrder field by field, as (name, exact text) pairs: the sequence and
// the number format of the official client's EClient.placeOrder for a plain
// stock limit order. Optional numbers the official client writes "handle
// empty" are empty when unset; the raw ones carry the unset sentinels
// (UNSET_DOUBLE kUnset, UNSET_INTEGER kUnsetInt). Doubles are Python floats
// as text: "0.0", "150.25".
using Named = std::vector<std::pair<std::string, std::string>>;

Named placeOrderAt176() {
  return {{"msgId", "3"},
          {"orderId", "7"},
          {"conId", "0"},
          {"symbol", "AAPL"},
          {"secType", "STK"},
          {"lastTradeDate", ""},
          {"strike", "0.0"},
          {"right", ""},
          {"multiplier", ""},
          {"exchange", "SMART"},
          {"primaryExchange", "NASDAQ"},
          {"currency", "USD"},
          {"localSymbol", ""},
          {"tradingClass", ""},
          {"secIdType", ""},
          {"secId", ""},
          {"action", "BUY"},
          {"totalQuantity", "100"},
          {"orderType", "LMT"},
          {"lmtPrice", "150.25"},
          {"auxPrice", ""},
          {"tif", "DAY"},
          {"ocaGroup", ""},
          {"account", "DU1"},
          {"openClose", ""},
          {"origin", "0"},
          {"orderRef", "C1"},
          {"transmit", "1"},
          {"parentId", "0"},
          {"blockOrder", "0"},
          {"sweepToFill", "0"},
          {"displaySize", "0"},
          {"triggerMethod", "0"},
          {"outsideRth", "0"},
          {"hidden", "0"},
          {"sharesAllocation", ""},
          {"discretionaryAmt", "0"},
          {"goodAfterTime", ""},
          {"goodTillDate", ""},
          {"faGroup", ""},
          {"faMethod", ""},
          {"faPercentage", ""},
          {"faProfile", ""},
          {"modelCode", ""},
          {"shortSaleSlot", "0"},
          {"designatedLocation", ""},
          {"exemptCode", "-1"},
          {"ocaType", "0"},
          {"rule80A", ""},
          {"settlingFirm", ""},
          {"allOrNone", "0"},
          {"minQty", ""},
          {"percentOffset", ""},
          {"eTradeOnly", "0"},
          {"firmQuoteOnly", "0"},
          {"nbboPriceCap", ""},
          {"auctionStrategy", "0"},
          {"startingPrice", ""},
          {"stockRefPrice", ""},
          {"delta", ""},
          {"stockRangeLower", ""},
          {"stockRangeUpper", ""},
          {"overridePercentageConstraints", "0"},
          {"volatility", ""},
          {"volatilityType", ""},
          {"deltaNeutralOrderType", ""},
          {"deltaNeutralAuxPrice", ""},
          {"continuousUpdate", "0"},
          {"referencePriceType", ""},
          {"trailStopPrice", ""},
          {"trailingPercent", ""},
          {"scaleInitLevelSize", ""},
          {"scaleSubsLevelSize", ""},
          {"scalePriceIncrement", ""},
          {"scaleTable", ""},
          {"activeStartTime", ""},
          {"activeStopTime", ""},
          {"hedgeType", ""},
          {"optOutSmartRouting", "0"},
          {"clearingAccount", ""},
          {"clearingIntent", ""},
          {"notHeld", "0"},
          {"deltaNeutralContract", "0"},
          {"algoStrategy", ""},
          {"algoId", ""},
          {"whatIf", "0"},
          {"orderMiscOptions", ""},
          {"solicited", "0"},
          {"randomizeSize", "0"},
          {"randomizePrice", "0"},
          {"conditionsCount", "0"},
          {"adjustedOrderType", ""},
          {"triggerPrice", kUnset},
          {"lmtPriceOffset", kUnset},
          {"adjustedStopPrice", kUnset},
          {"adjustedStopLimitPrice", kUnset},
          {"adjustedTrailingAmount", kUnset},
          {"adjustableTrailingUnit", "0"},
          {"extOperator", ""},
          {"softDollarTierName", ""},
          {"softDollarTierValue", ""},
          {"cashQty", kUnset},
          {"mifid2DecisionMaker", ""},
          {"mifid2DecisionAlgo", ""},
          {"mifid2ExecutionTrader", ""},
          {"mifid2ExecutionAlgo", ""},
          {"dontUseAutoPriceForHedge", "0"},
          {"isOmsContainer", "0"},
          {"discretionaryUpToLimitPrice", "0"},
          {"usePriceMgmtAlgo", ""},
          {"duration", kUnsetInt},
          {"postToAts", kUnsetInt},
          {"autoCancelParent", "0"},
          {"advancedErrorOverride", ""},
          {"manualOrderTime", ""}};
}

// Version 100: the message version (45) after the id, no modelCode (103),
// and nothing after randomizePrice (the pegged-to-benchmark block is 102).
Named placeOrderAt100() {
  Named all = placeOrderAt176();
  Named out;
  for (auto& [k, v] : all) {
    if (k == "modelCode") continue;
    out.emplace_back(k, v);
    if (k == "msgId") out.emplace_back("version", "45");
    if (k == "randomizePrice") break;
  }
  return out;
}

Fields valuesOf(const Named& n) {
  Fields f;
  for (auto& [k, v] : n) f.push_back(v);
  return f;
}

// Sets a field by name; fails the test when the name is not in the table.
void set(Named& n, const std::string& name, const std::string& text) {
  for (auto& [k, v] : n)
    if (k == name) {
      v = text;
      return;
    }
  ADD_FAILURE() << "no field " << name;
}

// Compares field by field so a mismatch names the field.
void expectFields(const std::string& payload, const Named& expected) {
  Fields got = splitFields(payload);
  EXPECT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i)
    EXPECT_EQ(got[i], expected[i].second) << "field " << i << " " << expected[i].first;
}

// The full placeOrder sequence at server version 176: 115 fields.
TEST(TwsEncode, PlaceOrderLimitAtVersion176) {
  auto r = encodePlaceOrder(176, aaplLimit());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(placeOrderAt176().size(), 115u);
  expectFields(r.value(), placeOrderAt176());
  EXPECT_EQ(splitFields(r.value()), valuesOf(placeOrderAt176()));
  // And the emulator's server-side decoder reads it back exactly.
  auto back = decodeRequest(176, r.value());
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<PlaceOrderReq>(back.value()).order, aaplLimit());
}

// At version 100 the message carries its version (45), an integer quantity,
// and stops after randomizePrice.
TEST(TwsEncode, PlaceOrderLimitAtVersion100) {
  auto r = encodePlaceOrder(100, aaplLimit());
  ASSERT_TRUE(r) << r.error();
  expectFields(r.value(), placeOrderAt100());
  EXPECT_EQ(splitFields(r.value()), valuesOf(placeOrderAt100()));
  auto back = decodeRequest(100, r.value());
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<PlaceOrderReq>(back.value()).order, aaplLimit());
}

// Issue 16: the order a new user captured, AAPL BUY 100 LMT 99.5 at server
// version 176, now matches the official client's bytes in all 115 fields,
// the four that differed included.
TEST(TwsEncode, Issue16CapturedOrderMatchesTheOfficialClientInEveryField) {
  OrderRequest o = aaplLimit();
  o.lmtPrice = Price::of("99.5");
  auto r = encodePlaceOrder(176, o);
  ASSERT_TRUE(r) << r.error();
  Named want = placeOrderAt176();
  set(want, "lmtPrice", "99.5");
  expectFields(r.value(), want);
  Fields f = splitFields(r.value());
  ASSERT_EQ(f.size(), 115u);
  EXPECT_EQ(f[6], "0.0") << "strike";
  EXPECT_EQ(f[101], kUnset) << "cashQty";
  EXPECT_EQ(f[110], kUnsetInt) << "duration";
  EXPECT_EQ(f[111], kUnsetInt) << "postToAts";
}

OrderRequest aaplWithAttributes() {
  OrderRequest o = aaplLimit();
  o.tif = "GTD";
  o.goodTillDate = "20270115-21:00:00";
  o.openClose = "C";
  o.rule80A = "A";
  o.minQty = 10;
  o.displaySize = 20;
  return o;
}

// The order attributes of issue 14 in their fields, at both versions, and
// read back by the emulator's decoder.
TEST(TwsEncode, PlaceOrderAttributesAtBothVersions) {
  for (int v : {100, 176}) {
    auto r = encodePlaceOrder(v, aaplWithAttributes());
    ASSERT_TRUE(r) << r.error();
    Named want = v == 176 ? placeOrderAt176() : placeOrderAt100();
    set(want, "tif", "GTD");
    set(want, "goodTillDate", "20270115-21:00:00");
    set(want, "openClose", "C");
    set(want, "rule80A", "A");
    set(want, "minQty", "10");
    set(want, "displaySize", "20");
    expectFields(r.value(), want);
    auto back = decodeRequest(v, r.value());
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(std::get<PlaceOrderReq>(back.value()).order, aaplWithAttributes());
  }
  OrderRequest gtd = aaplLimit();
  gtd.tif = "GTD";
  auto r = encodePlaceOrder(176, gtd);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("goodTillDate"), std::string::npos);
}

// Every sentinel round trip: unset goes out as the sentinel and comes back
// unset; a value goes out in the client's format and comes back the same.
TEST(TwsEncode, SentinelsRoundTripThroughCodecAndEmulatorDecoder) {
  OrderRequest unset = aaplLimit();
  auto a = decodeRequest(176, encodePlaceOrder(176, unset).value());
  ASSERT_TRUE(a) << a.error();
  const OrderRequest& ua = std::get<PlaceOrderReq>(a.value()).order;
  EXPECT_FALSE(ua.cashQty);
  EXPECT_FALSE(ua.duration);
  EXPECT_FALSE(ua.postToAts);
  EXPECT_FALSE(ua.minQty);
  EXPECT_FALSE(ua.contract.strike);

  OrderRequest set = aaplLimit();
  set.cashQty = Price::of("2500");
  set.duration = 30;
  set.postToAts = 1;
  set.minQty = 100;
  set.contract.strike = Price::of("0.5");
  auto enc = encodePlaceOrder(176, set);
  ASSERT_TRUE(enc) << enc.error();
  Fields f = splitFields(enc.value());
  EXPECT_EQ(f[6], "0.5");
  EXPECT_EQ(f[101], "2500.0");
  EXPECT_EQ(f[110], "30");
  EXPECT_EQ(f[111], "1");
  auto b = decodeRequest(176, enc.value());
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(std::get<PlaceOrderReq>(b.value()).order, set);

  // Fields that do not exist below their version cannot carry a value there.
  auto low = encodePlaceOrder(110, set);
  ASSERT_FALSE(low);
  EXPECT_NE(low.error().find("cashQty"), std::string::npos);

  // Sentinels in every width read back as unset, never as a number.
  for (const char* s : {"2147483647", "9223372036854775807"}) {
    std::string p = std::string(s) + '\0';
    FieldReader r(p, "test");
    std::optional<int64_t> out = 5;
    ASSERT_TRUE(r.integer("duration", out, FieldReader::Empty::kRefused)) << r.error();
    EXPECT_FALSE(out) << s;
  }
  std::string p = kUnset + '\0' + "1.7976931348623157E308" + '\0';
  FieldReader r(p, "test");
  std::optional<Price> d = Price::of("1");
  ASSERT_TRUE(r.dbl("cashQty", d, FieldReader::Empty::kRefused));
  EXPECT_FALSE(d);
  d = Price::of("1");
  ASSERT_TRUE(r.dbl("cashQty", d, FieldReader::Empty::kRefused));
  EXPECT_FALSE(d) << "Java's spelling of the sentinel";
}

// The emulator parses as a server would: where the official client sends a
// sentinel, an empty field (which a server reads as 0, a value) is refused
// with an error naming the field.
TEST(TwsEncode, EmulatorRefusesEmptyWhereTheOfficialClientSendsASentinel) {
  auto good = encodePlaceOrder(176, aaplLimit());
  ASSERT_TRUE(good);
  Named base = placeOrderAt176();
  for (const char* field : {"cashQty", "duration", "postToAts", "triggerPrice",
                            "adjustedTrailingAmount", "strike", "discretionaryAmt"}) {
    Named bad = base;
    set(bad, field, "");
    auto r = decodeRequest(176, payloadOf(valuesOf(bad)));
    ASSERT_FALSE(r) << field;
    EXPECT_NE(r.error().find(std::string("field ") + field + ": empty"), std::string::npos)
        << r.error();
  }
  // "Handle empty" fields are the other way round: empty is how unset travels.
  Named minQtyEmpty = base;
  EXPECT_TRUE(decodeRequest(176, payloadOf(valuesOf(minQtyEmpty))));
  // Booleans are 0 or 1, integers are integers.
  Named b = base;
  set(b, "transmit", "");
  auto rb = decodeRequest(176, payloadOf(valuesOf(b)));
  ASSERT_FALSE(rb);
  EXPECT_NE(rb.error().find("transmit"), std::string::npos);
  Named i = base;
  set(i, "displaySize", "x");
  auto ri = decodeRequest(176, payloadOf(valuesOf(i)));
  ASSERT_FALSE(ri);
  EXPECT_NE(ri.error().find("displaySize"), std::string::npos);
}

// Cut anywhere, placeOrder fails naming the first missing field; never a
// crash, never a partial order.
TEST(TwsEncode, EmulatorNamesTheMissingFieldOfATruncatedPlaceOrder) {
  for (int v : {100, 176}) {
    Named full = v == 176 ? placeOrderAt176() : placeOrderAt100();
    Fields f = valuesOf(full);
    for (size_t n = 2; n < f.size(); ++n) {
      auto r = decodeRequest(v, payloadOf(Fields(f.begin(), f.begin() + static_cast<long>(n))));
      ASSERT_FALSE(r) << "v" << v << " cut at " << n;
      EXPECT_NE(r.error().find("missing field"), std::string::npos)
          << "v" << v << " cut before " << full[n].first << ": " << r.error();
    }
  }
}

TEST(TwsNumbers, DoublesAreWrittenAsThePythonClientPrintsThem) {
  EXPECT_EQ(formatTwsDouble(Price::of("99.5")), "99.5");
  EXPECT_EQ(formatTwsDouble(Price::of("100")), "100.0");
  EXPECT_EQ(formatTwsDouble(Price()), "0.0");
  EXPECT_EQ(formatTwsDouble(Price::of("150.25")), "150.25");
  EXPECT_EQ(formatTwsDouble(Price::of("0.1")), "0.1");
  EXPECT_EQ(formatTwsDouble(Price::of("0.0001")), "0.0001");
  EXPECT_EQ(formatTwsDouble(Price::of("0.00001")), "1e-05");
  EXPECT_EQ(formatTwsDouble(Price::of("0.00012345")), "0.00012345");
  EXPECT_EQ(formatTwsDouble(Price::of("0.00000001")), "1e-08");
  EXPECT_EQ(formatTwsDouble(Price::of("-2.5")), "-2.5");
  EXPECT_EQ(formatTwsDouble(Price::of("1.08345")), "1.08345");
  EXPECT_EQ(formatTwsDouble(Price::of("60000")), "60000.0");
  EXPECT_EQ(formatTwsDouble(Price::of("12345678901.5")), "12345678901.5");
}

TEST(TwsNumbers, GoodTillDateFormatFollowsTheServerVersion) {
  // 2027-01-15 21:00:00 UTC, plus half a second: rounded up, never early.
  const int64_t t = 1800046800LL * 1'000'000'000 + 500'000'000;
  EXPECT_EQ(formatGoodTillDate(176, t), "20270115-21:00:01");
  EXPECT_EQ(formatGoodTillDate(100, t), "20270115 21:00:01 GMT");
  EXPECT_EQ(parseGoodTillDate("20270115-21:00:01"), 1800046801);
  EXPECT_EQ(parseGoodTillDate("20270115 21:00:01 GMT"), 1800046801);
  EXPECT_FALSE(parseGoodTillDate("2027-01-15"));
  EXPECT_FALSE(parseGoodTillDate("20271315-21:00:01"));
}

TEST(TwsEncode, PlaceOrderStopLimitFuturesWithConIdOutsideRth) {
  OrderRequest o = aaplLimit();
  o.contract = Contract{};
  o.contract.conId = 495512552;
  o.contract.symbol = "ES";
  o.contract.secType = "FUT";
  o.contract.lastTradeDateOrContractMonth = "202503";
  o.contract.multiplier = "50";
  o.contract.exchange = "CME";
  o.contract.currency = "USD";
  o.action = "SELL";
  o.totalQuantity = Qty::fromInt(2);
  o.orderType = "STP LMT";
  o.lmtPrice = Price::of("4999.75");
  o.auxPrice = Price::of("5000");
  o.tif = "GTC";
  o.outsideRth = true;
  for (int v : {100, 176}) {
    auto r = encodePlaceOrder(v, o);
    ASSERT_TRUE(r) << r.error();
    Fields f = splitFields(r.value());
    size_t base = v < 145 ? 3 : 2;  // after msgId [version] orderId
    EXPECT_EQ(Fields(f.begin() + base, f.begin() + base + 14),
              (Fields{"495512552", "ES", "FUT", "202503", "0.0", "", "50", "CME", "", "USD", "", "",
                      "", ""}));
    EXPECT_EQ(Fields(f.begin() + base + 14, f.begin() + base + 20),
              (Fields{"SELL", "2", "STP LMT", "4999.75", "5000.0", "GTC"}));
    EXPECT_EQ(f[base + 31], "1") << "outsideRth";
    auto back = decodeRequest(v, r.value());
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(std::get<PlaceOrderReq>(back.value()).order, o);
  }
}

TEST(TwsEncode, PlaceOrderOptionCashAndMarketOpg) {
  OrderRequest o = aaplLimit();
  o.contract.secType = "OPT";
  o.contract.lastTradeDateOrContractMonth = "20250117";
  o.contract.strike = Price::of("150");
  o.contract.right = "C";
  o.contract.multiplier = "100";
  o.orderType = "MKT";
  o.lmtPrice.reset();
  o.tif = "OPG";
  auto r = encodePlaceOrder(176, o);
  ASSERT_TRUE(r);
  Fields f = splitFields(r.value());
  EXPECT_EQ(Fields(f.begin() + 2, f.begin() + 9),
            (Fields{"0", "AAPL", "OPT", "20250117", "150.0", "C", "100"}));
  EXPECT_EQ(Fields(f.begin() + 16, f.begin() + 22), (Fields{"BUY", "100", "MKT", "", "", "OPG"}));

  OrderRequest fx = aaplLimit();
  fx.contract = Contract{};
  fx.contract.symbol = "EUR";
  fx.contract.secType = "CASH";
  fx.contract.exchange = "IDEALPRO";
  fx.contract.currency = "USD";
  fx.totalQuantity = Qty::of("20000.5");
  fx.lmtPrice = Price::of("1.08345");
  auto r2 = encodePlaceOrder(176, fx);
  ASSERT_TRUE(r2);
  EXPECT_EQ(splitFields(r2.value())[17], "20000.5");
  // Below MIN_SERVER_VER_FRACTIONAL_POSITIONS a fractional size cannot be sent.
  auto r3 = encodePlaceOrder(100, fx);
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.error().find("totalQuantity"), std::string::npos);
}

TEST(TwsEncode, CancelOrderGainsManualCancelTimeAt169) {
  EXPECT_EQ(splitFields(encodeCancelOrder(176, 42)), (Fields{"4", "1", "42", ""}));
  EXPECT_EQ(splitFields(encodeCancelOrder(100, 42)), (Fields{"4", "1", "42"}));
  auto back = decodeRequest(176, encodeCancelOrder(176, 42));
  ASSERT_TRUE(back);
  EXPECT_EQ(std::get<CancelOrderReq>(back.value()).orderId, 42);
}

TEST(TwsEncode, SmallRequests) {
  EXPECT_EQ(splitFields(encodeReqOpenOrders()), (Fields{"5", "1"}));
  EXPECT_EQ(splitFields(encodeReqAllOpenOrders()), (Fields{"16", "1"}));
  EXPECT_EQ(splitFields(encodeReqIds(1)), (Fields{"8", "1", "1"}));
  EXPECT_EQ(splitFields(encodeReqCurrentTime()), (Fields{"49", "1"}));
}

TEST(TwsEncode, ReqExecutionsWithFilterAtBothVersions) {
  ExecutionFilter f;
  f.clientId = 12;
  f.acctCode = "DU1";
  f.time = "20240105-14:30:00";
  f.symbol = "AAPL";
  f.secType = "STK";
  f.side = "BUY";
  Fields expected{"7", "3", "1001", "12", "DU1", "20240105-14:30:00", "AAPL", "STK", "", "BUY"};
  for (int v : {100, 176}) {
    EXPECT_EQ(splitFields(encodeReqExecutions(v, 1001, f)), expected);
    auto back = decodeRequest(v, encodeReqExecutions(v, 1001, f));
    ASSERT_TRUE(back);
    EXPECT_EQ(std::get<ReqExecutionsReq>(back.value()).filter, f);
  }
}

// ---------------------------------------------------------------- incoming

template <class T>
T decodeAs(int v, const Fields& f) {
  auto r = decodeIncoming(v, payloadOf(f));
  EXPECT_TRUE(r) << r.error();
  if (!r) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(r.value()));
  return std::get<T>(r.value());
}

TEST(TwsDecode, NextValidIdCurrentTimeEndsAndAccounts) {
  EXPECT_EQ(decodeAs<NextValidIdMsg>(176, {"9", "1", "1234"}).orderId, 1234);
  EXPECT_EQ(decodeAs<CurrentTimeMsg>(176, {"49", "1", "1704466800"}).time, 1704466800);
  decodeAs<OpenOrderEndMsg>(176, {"53", "1"});
  EXPECT_EQ(decodeAs<ExecDetailsEndMsg>(100, {"55", "1", "1001"}).reqId, 1001);
  EXPECT_EQ(decodeAs<ManagedAccountsMsg>(176, {"15", "1", "DU1,DU2"}).accounts, "DU1,DU2");
  // tickPrice (1) is read now (market data); tickGeneric (45) and
  // marketDataType (58) are still passed over.
  EXPECT_EQ(decodeAs<UnhandledMsg>(176, {"45", "6", "1", "49", "0"}).msgId, 45);
  EXPECT_EQ(decodeAs<UnhandledMsg>(176, {"58", "1", "1000000001", "1"}).msgId, 58);
}

TEST(TwsDecode, OrderStatusBeforeAndAfterMarketCapPrice) {
  auto a = decodeAs<OrderStatusMsg>(
      100, {"3", "6", "7", "Submitted", "40", "60", "150.1", "99", "0", "150.1", "12", ""});
  EXPECT_EQ(a.orderId, 7);
  EXPECT_EQ(a.status, "Submitted");
  EXPECT_EQ(a.filled, Qty::fromInt(40));
  EXPECT_EQ(a.remaining, Qty::fromInt(60));
  EXPECT_EQ(a.avgFillPrice, Price::of("150.1"));
  EXPECT_EQ(a.clientId, 12);
  EXPECT_FALSE(a.mktCapPrice);
  auto b = decodeAs<OrderStatusMsg>(
      176, {"3", "7", "Filled", "100", "0", "150.1", "99", "0", "150.2", "12", "", "0"});
  EXPECT_EQ(b.status, "Filled");
  EXPECT_EQ(b.lastFillPrice, Price::of("150.2"));
  ASSERT_TRUE(b.mktCapPrice);
  // Round trip through the emulator's encoder at both versions.
  for (int v : {100, 176}) {
    auto r = decodeIncoming(v, encodeOrderStatus(v, a));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(std::get<OrderStatusMsg>(r.value()).remaining, a.remaining);
  }
}

TEST(TwsDecode, OpenOrderLeadingFieldsIncludingOrderRef) {
  Fields common = {"7",   "265598", "AAPL", "STK", "",    "0",   "",       "", "SMART",
                   "USD", "AAPL",   "NMS",  "BUY", "100", "LMT", "150.25", "", "DAY",
                   "",    "DU1",    "",     "0",   "C1",  "12",  "555",    "1"};
  Fields v176 = {"5"};
  v176.insert(v176.end(), common.begin(), common.end());
  v176.push_back("0");  // hidden, and the rest of the message the client skips
  Fields v100 = {"5", "34"};
  v100.insert(v100.end(), common.begin(), common.end());
  for (auto [v, f] : {std::pair{176, v176}, std::pair{100, v100}}) {
    auto m = decodeAs<OpenOrderMsg>(v, f);
    EXPECT_EQ(m.orderId, 7);
    EXPECT_EQ(m.contract.conId, 265598);
    EXPECT_EQ(m.contract.tradingClass, "NMS");
    EXPECT_EQ(m.action, "BUY");
    EXPECT_EQ(m.totalQuantity, Qty::fromInt(100));
    EXPECT_EQ(m.lmtPrice, Price::of("150.25"));
    EXPECT_FALSE(m.auxPrice);
    EXPECT_EQ(m.orderRef, "C1");
    EXPECT_EQ(m.permId, 555);
    EXPECT_TRUE(m.outsideRth);
  }
}

TEST(TwsDecode, ExecDetailsBeforeAndAfterLastLiquidity) {
  Fields body = {"1001",
                 "7",
                 "265598",
                 "AAPL",
                 "STK",
                 "",
                 "0",
                 "",
                 "",
                 "NASDAQ",
                 "USD",
                 "AAPL",
                 "NMS",
                 "0000e0d5.65a1.01.01",
                 "20240105  10:00:01",
                 "DU1",
                 "NASDAQ",
                 "BOT",
                 "40",
                 "150.1",
                 "555",
                 "12",
                 "0",
                 "40",
                 "150.1",
                 "C1",
                 "",
                 ""};
  Fields v100 = {"11", "10"};
  v100.insert(v100.end(), body.begin(), body.end());
  Fields v176 = {"11"};
  v176.insert(v176.end(), body.begin(), body.end());
  v176.push_back("");   // modelCode
  v176.push_back("2");  // lastLiquidity
  for (auto [v, f] : {std::pair{100, v100}, std::pair{176, v176}}) {
    auto m = decodeAs<ExecDetailsMsg>(v, f);
    EXPECT_EQ(m.reqId, 1001);
    EXPECT_EQ(m.orderId, 7);
    EXPECT_EQ(m.exec.execId, "0000e0d5.65a1.01.01");
    EXPECT_EQ(m.exec.side, "BOT");
    EXPECT_EQ(m.exec.shares, Qty::fromInt(40));
    EXPECT_EQ(m.exec.price, Price::of("150.1"));
    EXPECT_EQ(m.exec.orderRef, "C1");
    EXPECT_EQ(m.exec.lastLiquidity, v == 176 ? 2 : 0);
    auto r = decodeIncoming(v, encodeExecDetails(v, m));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(std::get<ExecDetailsMsg>(r.value()).exec.execId, m.exec.execId);
  }
}

TEST(TwsDecode, CommissionReportWithUnsetPnl) {
  auto m =
      decodeAs<CommissionReportMsg>(176, {"59", "1", "0000e0d5.65a1.01.01", "1.0", "USD",
                                          "1.7976931348623157E308", "1.7976931348623157E308", ""});
  EXPECT_EQ(m.execId, "0000e0d5.65a1.01.01");
  EXPECT_EQ(m.commission, Price::of("1"));
  EXPECT_EQ(m.currency, "USD");
  // The unset double is "no figure", never a huge P&L.
  EXPECT_FALSE(m.realizedPnl);
  EXPECT_FALSE(m.yield);
  EXPECT_FALSE(m.yieldRedemptionDate);
  auto v = decodeAs<CommissionReportMsg>(
      176, {"59", "1", "x.01", "1.0", "USD", "-12.5", "1.7976931348623157e+308", "2147483647"});
  EXPECT_EQ(v.realizedPnl, Price::of("-12.5"));
  EXPECT_FALSE(v.yield);
  EXPECT_FALSE(v.yieldRedemptionDate);
  // And the emulator's encoder writes TWS's own spelling of the sentinel.
  EXPECT_EQ(splitFields(encodeCommissionReport(m)),
            (Fields{"59", "1", "0000e0d5.65a1.01.01", "1", "USD", "1.7976931348623157E308",
                    "1.7976931348623157E308", "0"}));
}

// A sentinel where the message needs a value is an error naming the field,
// not a number; where the value is optional it reads as unset.
TEST(TwsDecode, SentinelsComingBackAreUnsetNeverValues) {
  auto st = decodeAs<OrderStatusMsg>(
      176, {"3", "7", "Submitted", "0", "100", "1.7976931348623157E308", "99", "0",
            "1.7976931348623157E308", "12", "", "1.7976931348623157E308"});
  EXPECT_FALSE(st.avgFillPrice);
  EXPECT_FALSE(st.lastFillPrice);
  EXPECT_FALSE(st.mktCapPrice);
  auto bad = decodeIncoming(
      176, payloadOf({"59", "1", "x.01", "1.7976931348623157E308", "USD", "", "", "0"}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("field commission: unset"), std::string::npos) << bad.error();
  auto q = decodeIncoming(176, payloadOf({"3", "7", "Submitted", "1.7976931348623157e+308", "100",
                                          "0", "99", "0", "0", "12", "", ""}));
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().find("field filled: unset"), std::string::npos) << q.error();
}

TEST(TwsDecode, ErrorGainsAdvancedRejectJsonAt166) {
  auto a = decodeAs<ErrorMsg>(100, {"4", "2", "7", "201", "Order rejected - reason:No margin"});
  EXPECT_EQ(a.id, 7);
  EXPECT_EQ(a.code, 201);
  EXPECT_EQ(a.text, "Order rejected - reason:No margin");
  auto b = decodeAs<ErrorMsg>(176, {"4", "2", "-1", "1100", "Connectivity lost", ""});
  EXPECT_EQ(b.id, -1);
  EXPECT_EQ(b.code, 1100);
  EXPECT_EQ(splitFields(encodeError(176, b)),
            (Fields{"4", "2", "-1", "1100", "Connectivity lost", ""}));
  EXPECT_EQ(splitFields(encodeError(100, b)),
            (Fields{"4", "2", "-1", "1100", "Connectivity lost"}));
}

TEST(TwsDecode, GarbledMessagesFailNamingTheField) {
  auto r = decodeIncoming(176, payloadOf({"3", "x7", "Submitted"}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("orderStatus"), std::string::npos);
  EXPECT_NE(r.error().find("orderId"), std::string::npos);
  auto t = decodeIncoming(176, payloadOf({"11", "-1", "7", "265598"}));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("missing field symbol"), std::string::npos);
  auto q = decodeIncoming(176, payloadOf({"9", "1"}));
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().find("orderId"), std::string::npos);
  EXPECT_FALSE(decodeIncoming(176, std::string("11")));  // no terminator
  EXPECT_FALSE(decodeIncoming(176, ""));
  auto bad = decodeRequest(176, payloadOf({"3", "7", "0", "AAPL"}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("placeOrder"), std::string::npos);
}

TEST(TwsNumbers, LenientPricesFromDoubleText) {
  EXPECT_EQ(parseTwsPrice("150.25"), Price::of("150.25"));
  EXPECT_EQ(parseTwsPrice("1.5E2"), Price::of("150"));
  EXPECT_EQ(parseTwsPrice("0.123456789"), Price::of("0.12345679"));
  EXPECT_EQ(parseTwsPrice("-2"), Price::of("-2"));
  EXPECT_FALSE(parseTwsPrice("1.7976931348623157E308"));
  EXPECT_FALSE(parseTwsPrice("abc"));
  EXPECT_FALSE(parseTwsPrice("1..2"));
}

// ------------------------------------------------------------------ config

TEST(TwsConfigSpec, ContractSpecsForEverySecType) {
  auto stk = parseContractSpec("STK:AAPL:SMART:NASDAQ:USD");
  ASSERT_TRUE(stk) << stk.error();
  EXPECT_EQ(stk.value().symbol, "AAPL");
  EXPECT_EQ(stk.value().primaryExchange, "NASDAQ");
  auto cid = parseContractSpec("conid:265598");
  ASSERT_TRUE(cid);
  EXPECT_EQ(cid.value().conId, 265598);
  EXPECT_EQ(cid.value().exchange, "SMART");
  auto fut = parseContractSpec("FUT:ES:CME::USD:202503:50");
  ASSERT_TRUE(fut) << fut.error();
  EXPECT_EQ(fut.value().multiplier, "50");
  auto opt = parseContractSpec("OPT:AAPL:SMART::USD:20250117:150:C:100");
  ASSERT_TRUE(opt) << opt.error();
  EXPECT_EQ(opt.value().strike, Price::of("150"));
  EXPECT_EQ(opt.value().right, "C");
  auto fx = parseContractSpec("CASH:EUR:::USD");
  ASSERT_TRUE(fx);
  EXPECT_EQ(fx.value().exchange, "IDEALPRO");
  auto e1 = parseContractSpec("BOND:X:SMART::USD");
  ASSERT_FALSE(e1);
  EXPECT_NE(e1.error().find("secType"), std::string::npos);
  auto e2 = parseContractSpec("OPT:AAPL:SMART::USD:20250117:150:X");
  ASSERT_FALSE(e2);
  EXPECT_NE(e2.error().find("right"), std::string::npos);
  EXPECT_FALSE(parseContractSpec("conid:abc"));
  EXPECT_FALSE(parseContractSpec("STK:AAPL"));
}

TEST(TwsConfigSpec, ParamsAreReadAndBadValuesNamed) {
  venues::VenueParams p{{"host", "10.0.0.5"},
                        {"port", "4002"},
                        {"client_id", "17"},
                        {"account", "DU9"},
                        {"pacing_msgs_per_s", "25"},
                        {"heartbeat_s", "10"},
                        {"reconnect_min_ms", "100"},
                        {"reconnect_max_ms", "1000"},
                        {"connect_timeout_ms", "2000"},
                        {"order_id_file", "/tmp/x"}};
  venues::ParamReader r(p, "venues[1].params");
  TwsConfig c = readTwsConfig(r, "venues[1].params");
  r.finish();
  EXPECT_EQ(c.host, "10.0.0.5");
  EXPECT_EQ(c.port, 4002);
  EXPECT_EQ(c.clientId, 17);
  EXPECT_EQ(c.account, "DU9");
  EXPECT_EQ(c.pacingMsgsPerSec, 25.0);
  EXPECT_EQ(c.heartbeatSec, 10);
  EXPECT_EQ(c.orderIdFile, "/tmp/x");
  venues::VenueParams bad{{"port", "70000"}};
  venues::ParamReader rb(bad, "venues[1].params");
  try {
    readTwsConfig(rb, "venues[1].params");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("venues[1].params.port"), std::string::npos);
  }
}

}  // namespace
}  // namespace fixgw::tws
