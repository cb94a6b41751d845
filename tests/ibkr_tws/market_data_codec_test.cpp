// TWS market data on the wire (issue 10): reqMktData / cancelMktData field by
// field at two server versions as the official client writes them, and
// tickPrice / tickSize / tickString as the official decoder reads them,
// sentinels included; garbled messages fail naming the field.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "venue_adapters/ibkr_tws/codec.h"

namespace fixgw::tws {
namespace {

using Fields = std::vector<std::string>;
using Named = std::vector<std::pair<std::string, std::string>>;

std::string payloadOf(const Fields& f) {
  std::string out;
  for (const auto& s : f) {
    out += s;
    out.push_back('\0');
  }
  return out;
}

void expectFields(const std::string& payload, const Named& expected) {
  Fields got = splitFields(payload);
  EXPECT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i)
    EXPECT_EQ(got[i], expected[i].second) << "field " << i << " " << expected[i].first;
}

template <class T>
T decodeAs(int v, const Fields& f) {
  auto r = decodeIncoming(v, payloadOf(f));
  EXPECT_TRUE(r) << r.error();
  if (!r) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(r.value()));
  return std::holds_alternative<T>(r.value()) ? std::get<T>(r.value()) : T{};
}

std::string errorOf(int v, const Fields& f) {
  auto r = decodeIncoming(v, payloadOf(f));
  EXPECT_FALSE(r);
  return r ? std::string() : r.error();
}

MktDataRequest aaplQuotes() {
  MktDataRequest r;
  r.reqId = 1000000001;
  r.contract.secType = "STK";
  r.contract.symbol = "AAPL";
  r.contract.exchange = "SMART";
  r.contract.primaryExchange = "NASDAQ";
  r.contract.currency = "USD";
  r.genericTickList = "233";
  return r;
}

Named reqMktDataAt100() {
  return {{"msgId", "1"},
          {"version", "11"},
          {"reqId", "1000000001"},
          {"conId", "0"},
          {"symbol", "AAPL"},
          {"secType", "STK"},
          {"lastTradeDateOrContractMonth", ""},
          {"strike", "0.0"},  // a Python float, 0.0 when the contract has none
          {"right", ""},
          {"multiplier", ""},
          {"exchange", "SMART"},
          {"primaryExchange", "NASDAQ"},
          {"currency", "USD"},
          {"localSymbol", ""},
          {"tradingClass", ""},
          {"deltaNeutralContract", "0"},
          {"genericTickList", "233"},
          {"snapshot", "0"},
          {"mktDataOptions", ""}};
}

// ------------------------------------------------------------ reqMktData

TEST(TwsMarketDataEncode, ReqMktDataAtVersion100HasNoRegulatorySnapshot) {
  auto r = encodeReqMktData(100, aaplQuotes());
  ASSERT_TRUE(r) << r.error();
  expectFields(r.value(), reqMktDataAt100());
  auto back = decodeRequest(100, r.value());
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<ReqMktDataReq>(back.value()).req, aaplQuotes());
}

TEST(TwsMarketDataEncode, ReqMktDataAtVersion176GainsRegulatorySnapshotAt114) {
  Named want = reqMktDataAt100();
  want.insert(want.end() - 1, {"regulatorySnapshot", "0"});
  for (int v : {114, 176}) {
    auto r = encodeReqMktData(v, aaplQuotes());
    ASSERT_TRUE(r) << r.error();
    expectFields(r.value(), want);
    auto back = decodeRequest(v, r.value());
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(std::get<ReqMktDataReq>(back.value()).req, aaplQuotes());
  }
  // One version below the threshold the field is absent.
  auto r113 = encodeReqMktData(113, aaplQuotes());
  ASSERT_TRUE(r113);
  EXPECT_EQ(splitFields(r113.value()).size(), reqMktDataAt100().size());
}

TEST(TwsMarketDataEncode, OptionContractStrikeIsAPythonFloatAndConIdGoesOut) {
  MktDataRequest r = aaplQuotes();
  r.contract.conId = 265598;
  r.contract.secType = "OPT";
  r.contract.lastTradeDateOrContractMonth = "20270115";
  r.contract.strike = Price::of("150");
  r.contract.right = "C";
  r.contract.multiplier = "100";
  r.contract.tradingClass = "AAPL";
  r.genericTickList = "";
  auto e = encodeReqMktData(176, r);
  ASSERT_TRUE(e) << e.error();
  Fields f = splitFields(e.value());
  ASSERT_EQ(f.size(), 20u);
  EXPECT_EQ(f[3], "265598");
  EXPECT_EQ(f[7], "150.0");
  EXPECT_EQ(f[8], "C");
  EXPECT_EQ(f[9], "100");
  EXPECT_EQ(f[14], "AAPL");
  EXPECT_EQ(f[16], "");
  auto back = decodeRequest(176, e.value());
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<ReqMktDataReq>(back.value()).req, r);
}

TEST(TwsMarketDataEncode, WhatTheCodecDoesNotSendIsRefusedNamingIt) {
  MktDataRequest r = aaplQuotes();
  r.regulatorySnapshot = true;
  auto e = encodeReqMktData(100, r);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("regulatorySnapshot needs server version 114"), std::string::npos)
      << e.error();
  r = aaplQuotes();
  r.contract.secType = "BAG";
  auto b = encodeReqMktData(176, r);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().find("BAG"), std::string::npos);
}

TEST(TwsMarketDataEncode, CancelMktDataIsVersion2AndTheTickerId) {
  EXPECT_EQ(splitFields(encodeCancelMktData(1000000001)), (Fields{"2", "2", "1000000001"}));
  auto back = decodeRequest(176, encodeCancelMktData(1000000001));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<CancelMktDataReq>(back.value()).reqId, 1000000001);
}

// The emulator reads reqMktData with the official client's rules.
TEST(TwsMarketDataEncode, EmulatorRefusesAGarbledOrTruncatedReqMktDataNamingTheField) {
  Fields f = splitFields(encodeReqMktData(176, aaplQuotes()).value());
  Fields emptyStrike = f;
  emptyStrike[7] = "";
  auto a = decodeRequest(176, payloadOf(emptyStrike));
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().find("reqMktData: field strike: empty"), std::string::npos) << a.error();
  Fields badFlag = f;
  badFlag[17] = "yes";
  auto b = decodeRequest(176, payloadOf(badFlag));
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().find("field snapshot: expected 0 or 1"), std::string::npos) << b.error();
  Fields cut(f.begin(), f.begin() + 16);
  auto c = decodeRequest(176, payloadOf(cut));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("missing field genericTickList"), std::string::npos) << c.error();
  // A version-100 message read at 176 lacks regulatorySnapshot.
  auto d = decodeRequest(176, encodeReqMktData(100, aaplQuotes()).value());
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("regulatorySnapshot"), std::string::npos) << d.error();
  auto e = decodeRequest(176, payloadOf({"2", "2", ""}));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("cancelMktData: field reqId: empty"), std::string::npos) << e.error();
}

// ------------------------------------------------------------- tickPrice

TEST(TwsMarketDataDecode, TickPriceCarriesSizeAndAttributes) {
  auto t = decodeAs<TickPriceMsg>(176, {"1", "6", "1000000001", "1", "159.99", "100", "1"});
  EXPECT_EQ(t.reqId, 1000000001);
  EXPECT_EQ(t.tickType, tick::kBid);
  EXPECT_EQ(t.price, Price::of("159.99"));
  EXPECT_EQ(t.size, Qty::fromInt(100));
  EXPECT_EQ(t.attrMask, 1);
  // Message version 1 has neither size nor attributes; 2 adds the size.
  auto v1 = decodeAs<TickPriceMsg>(100, {"1", "1", "5", "4", "10.5"});
  EXPECT_EQ(v1.tickType, tick::kLast);
  EXPECT_EQ(v1.price, Price::of("10.5"));
  EXPECT_FALSE(v1.size);
  auto v2 = decodeAs<TickPriceMsg>(100, {"1", "2", "5", "2", "10.51", "300"});
  EXPECT_EQ(v2.size, Qty::fromInt(300));
  EXPECT_EQ(v2.attrMask, 0);
}

TEST(TwsMarketDataDecode, TickPriceSentinelsAreUnset) {
  auto a =
      decodeAs<TickPriceMsg>(176, {"1", "6", "1000000001", "2", "1.7976931348623157E308", "", "0"});
  EXPECT_FALSE(a.price);
  EXPECT_FALSE(a.size);
  auto b = decodeAs<TickPriceMsg>(
      176, {"1", "6", "1000000001", "2", "1.7976931348623157e+308", "2147483647", "0"});
  EXPECT_FALSE(b.price);
  EXPECT_FALSE(b.size);
  auto c = decodeAs<TickPriceMsg>(
      176, {"1", "6", "1000000001", "1", "159.99", "9223372036854775807", "0"});
  EXPECT_EQ(c.price, Price::of("159.99"));
  EXPECT_FALSE(c.size);
  // -1 is a value on the wire (IB's "no data" mark); the adapter reads it.
  auto d = decodeAs<TickPriceMsg>(176, {"1", "6", "1000000001", "1", "-1", "0", "0"});
  EXPECT_EQ(d.price, Price::fromInt(-1));
  EXPECT_EQ(d.size, Qty());
}

TEST(TwsMarketDataDecode, SizesAreWholeBelow163AndDecimalsFromIt) {
  auto a = decodeAs<TickPriceMsg>(163, {"1", "6", "9", "1", "10", "0.5", "0"});
  EXPECT_EQ(a.size, Qty::of("0.5"));
  EXPECT_NE(errorOf(162, {"1", "6", "9", "1", "10", "0.5", "0"})
                .find("tickPrice: field size: fractional size '0.5' below server version 163"),
            std::string::npos);
  auto s = decodeAs<TickSizeMsg>(176, {"2", "6", "9", "0", "12.25"});
  EXPECT_EQ(s.size, Qty::of("12.25"));
  EXPECT_NE(errorOf(100, {"2", "6", "9", "0", "12.25"}).find("tickSize: field size"),
            std::string::npos);
}

TEST(TwsMarketDataDecode, GarbledTickPriceIsRefusedNamingTheField) {
  EXPECT_NE(errorOf(176, {"1", "6", "1000000001", "x1", "159.99", "100", "1"})
                .find("tickPrice: field tickType: expected an integer, got 'x1'"),
            std::string::npos);
  EXPECT_NE(errorOf(176, {"1", "6", "1000000001", "1", "159,99", "100", "1"})
                .find("tickPrice: field price: expected a number, got '159,99'"),
            std::string::npos);
  EXPECT_NE(
      errorOf(176, {"1", "6", "1000000001", "1", "", "100", "1"}).find("tickPrice: field price"),
      std::string::npos);
  EXPECT_NE(errorOf(176, {"1", "6", "1000000001", "1", "159.99", "1OO", "1"})
                .find("tickPrice: field size: expected a size, got '1OO'"),
            std::string::npos);
  EXPECT_NE(errorOf(176, {"1", "6", "1000000001", "1", "159.99", "100"})
                .find("tickPrice: missing field attrMask"),
            std::string::npos);
  EXPECT_NE(errorOf(176, {"1", "6", "", "1", "159.99", "100", "1"}).find("field reqId: empty"),
            std::string::npos);
  EXPECT_NE(errorOf(176, {"1", "6", "7", "1", "159.99", "-5", "1"}).find("negative size"),
            std::string::npos);
}

// -------------------------------------------------------------- tickSize

TEST(TwsMarketDataDecode, TickSizeWithSentinels) {
  auto a = decodeAs<TickSizeMsg>(100, {"2", "6", "1000000001", "0", "200"});
  EXPECT_EQ(a.reqId, 1000000001);
  EXPECT_EQ(a.tickType, tick::kBidSize);
  EXPECT_EQ(a.size, Qty::fromInt(200));
  for (const char* unset : {"", "2147483647", "9223372036854775807", "1.7976931348623157E308"})
    EXPECT_FALSE(decodeAs<TickSizeMsg>(176, {"2", "6", "1", "8", unset}).size) << unset;
  EXPECT_NE(errorOf(176, {"2", "6", "1", "three", "5"}).find("tickSize: field tickType"),
            std::string::npos);
  EXPECT_NE(errorOf(176, {"2", "6", "1", "3"}).find("tickSize: missing field size"),
            std::string::npos);
}

// ------------------------------------------------- tickString / RTVolume

TEST(TwsMarketDataDecode, RtVolumeFromTheDocumentedExample) {
  auto t = decodeAs<TickStringMsg>(
      176, {"46", "6", "1000000001", "48", "701.28;1;1348075471534;67854;701.46918464;true"});
  EXPECT_EQ(t.tickType, tick::kRtVolume);
  auto rv = parseRtVolume(t.value);
  ASSERT_TRUE(rv) << rv.error();
  EXPECT_EQ(rv.value().price, Price::of("701.28"));
  EXPECT_EQ(rv.value().size, Qty::fromInt(1));
  EXPECT_EQ(rv.value().timeMs, 1348075471534);
  EXPECT_EQ(rv.value().totalVolume, Qty::fromInt(67854));
  EXPECT_EQ(rv.value().vwap, Price::of("701.46918464"));
  EXPECT_TRUE(rv.value().singleTrade);
  // A volume-only update has no price: not a trade.
  auto vol = parseRtVolume(";0;1469805548873;240304;216.648653;true");
  ASSERT_TRUE(vol) << vol.error();
  EXPECT_FALSE(vol.value().price);
  EXPECT_EQ(vol.value().totalVolume, Qty::fromInt(240304));
}

TEST(TwsMarketDataDecode, GarbledRtVolumeIsRefusedNamingThePart) {
  auto a = parseRtVolume("701.28;1;x;67854;701.46918464;true");
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().find("RTVolume: time 'x' is not a number"), std::string::npos);
  auto b = parseRtVolume("701.28;1;1348075471534;67854");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().find("expected 6"), std::string::npos);
  auto c = parseRtVolume("701.28;0;1348075471534;67854;701.4;false");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("positive size"), std::string::npos);
  auto d = parseRtVolume("701.28;1;1348075471534;67854;701.4;maybe");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("singleTrade"), std::string::npos);
  EXPECT_NE(errorOf(176, {"46", "6", "1", "48"}).find("tickString: missing field value"),
            std::string::npos);
}

// ----------------------------------------------- server side (emulator)

TEST(TwsMarketDataEncode, TicksAsTwsWritesThemAtBothVersions) {
  TickPriceMsg p;
  p.reqId = 1000000001;
  p.tickType = tick::kBid;
  p.price = Price::of("159.99");
  p.size = Qty::fromInt(100);
  p.attrMask = 1;
  EXPECT_EQ(splitFields(encodeTickPrice(100, p)),
            (Fields{"1", "6", "1000000001", "1", "159.99", "100", "1"}));
  p.size = Qty::of("100.5");
  EXPECT_EQ(splitFields(encodeTickPrice(176, p))[5], "100.5");
  p.price.reset();
  p.size.reset();
  EXPECT_EQ(splitFields(encodeTickPrice(176, p)),
            (Fields{"1", "6", "1000000001", "1", "1.7976931348623157E308", "", "1"}));
  // And the client reads each back.
  for (int v : {100, 176}) {
    auto back = decodeAs<TickPriceMsg>(v, splitFields(encodeTickPrice(v, p)));
    EXPECT_FALSE(back.price);
    EXPECT_FALSE(back.size);
  }
  TickSizeMsg s{1000000001, tick::kAskSize, Qty::fromInt(300)};
  EXPECT_EQ(splitFields(encodeTickSize(100, s)), (Fields{"2", "6", "1000000001", "3", "300"}));
  RtVolume rv;
  rv.price = Price::of("160");
  rv.size = Qty::fromInt(100);
  rv.timeMs = 1348075471534;
  rv.totalVolume = Qty::fromInt(400);
  rv.vwap = Price::of("160.25");
  rv.singleTrade = true;
  EXPECT_EQ(formatRtVolume(176, rv), "160;100;1348075471534;400;160.25;true");
  auto back = parseRtVolume(formatRtVolume(100, rv));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back.value().price, rv.price);
  EXPECT_EQ(back.value().size, rv.size);
  EXPECT_EQ(splitFields(encodeMarketDataType(7, 1)), (Fields{"58", "1", "7", "1"}));
}

// Every prefix and every single-byte corruption of valid tick and request
// payloads decodes or fails with a message; nothing throws or crashes.
TEST(TwsMarketDataDecode, CutOrCorruptedPayloadsNeverCrash) {
  std::vector<std::string> incoming = {
      payloadOf({"1", "6", "1000000001", "1", "159.99", "100", "1"}),
      payloadOf({"2", "6", "1000000001", "0", "200"}),
      payloadOf({"46", "6", "1000000001", "48", "701.28;1;1348075471534;67854;701.46918464;true"}),
  };
  std::vector<std::string> requests = {encodeReqMktData(176, aaplQuotes()).value(),
                                       encodeCancelMktData(1000000001)};
  const std::string junk = std::string("\0x-.;e9", 8);
  size_t failures = 0;
  auto mutations = [&](const std::string& p, const std::function<bool(const std::string&)>& f) {
    for (size_t n = 0; n < p.size(); ++n) failures += !f(p.substr(0, n));
    for (size_t i = 0; i < p.size(); ++i)
      for (char c : junk) {
        std::string m = p;
        m[i] = c;
        failures += !f(m);
      }
  };
  for (const auto& p : incoming)
    mutations(p, [](const std::string& m) {
      auto r = decodeIncoming(176, m);
      if (r && std::holds_alternative<TickStringMsg>(r.value()))
        (void)parseRtVolume(std::get<TickStringMsg>(r.value()).value);
      return r.isOk() || !r.error().empty();
    });
  for (const auto& p : requests)
    mutations(p, [](const std::string& m) {
      auto r = decodeRequest(176, m);
      return r.isOk() || !r.error().empty();
    });
  EXPECT_EQ(failures, 0u);
}

}  // namespace
}  // namespace fixgw::tws
