// The direct ExecutionReport serializer (fix_acceptor/exec_report_encoder.h)
// against QuickFIX's own Message::toString of the same report built field by
// field: byte for byte, header, BodyLength and CheckSum included, for FIX 4.2
// and 4.4 and every kind of report the engine sends. Also: the bytes parse
// back through QuickFIX with the shipped dictionaries (what a resend from the
// store does), and one reused sender stays exact across reports of different
// shapes.
#include <gtest/gtest.h>
#include <quickfix/DataDictionary.h>
#include <quickfix/Message.h>

#include <memory>
#include <string>
#include <vector>

#include "fix_acceptor/exec_report_encoder.h"

namespace fixgw::fix {
namespace {

// 2026-12-07 19:45:12.345678901 UTC
constexpr WallNanos kT = 1'796'672'712'345'678'901LL;

void setHeader(FIX::Message& m, FixVersion v, int seq) {
  FIX::Header& h = m.getHeader();
  h.setField(8, v == FixVersion::Fix42 ? "FIX.4.2" : "FIX.4.4");
  h.setField(49, "FIXGW");
  h.setField(56, "CLIENT1");
  h.setField(34, std::to_string(seq));
  h.setField(52, "20261207-19:45:12.345");
}

std::string reference(const ExecReport& r, FixVersion v, const std::string& obo = {}) {
  FIX::Message m = buildExecReportMessage(r, v, obo);
  setHeader(m, v, 42);
  return m.toString();
}

std::string fast(ExecReportSender& s, const ExecReport& r, FixVersion v,
                 const std::string& obo = {}) {
  FIX::Message& m = s.prepare(r, v, obo);
  setHeader(m, v, 42);
  return m.toString();
}

std::string pipes(std::string s) {
  for (char& c : s)
    if (c == '\x01') c = '|';
  return s;
}

ExecReport ack() {
  ExecReport r;
  r.session = SessionKey("FIX.4.4:FIXGW->CLIENT1");
  r.orderId = OrderId("O-1");
  r.execId = ExecId("E-1");
  r.clOrdId = ClOrdId("C-1");
  r.execType = ExecType::New;
  r.ordStatus = OrdStatus::New;
  r.account = Account("ACC1");
  r.symbol = Symbol("AAPL");
  r.side = Side::Buy;
  r.ordType = OrdType::Limit;
  r.orderQty = Qty::of("100");
  r.price = Price::of("95.25");
  r.leavesQty = Qty::of("100");
  r.transactTime = kT;
  return r;
}

struct Case {
  const char* name;
  ExecReport r;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  out.push_back({"new ack", ack()});
  {
    ExecReport r = ack();
    r.account = Account();
    out.push_back({"no account", r});
  }
  {
    ExecReport r = ack();
    r.execType = ExecType::Trade;
    r.ordStatus = OrdStatus::PartiallyFilled;
    r.execId = ExecId("E-2");
    r.lastQty = Qty::of("40");
    r.lastPx = Price::of("95.2");
    r.cumQty = Qty::of("40");
    r.leavesQty = Qty::of("60");
    r.avgPx = Price::of("95.2");
    r.lastMkt = VenueId("SIM");
    out.push_back({"partial fill", r});
    r.ordStatus = OrdStatus::Filled;
    r.lastQty = Qty::of("60");
    r.cumQty = Qty::of("100");
    r.leavesQty = Qty();
    r.avgPx = Price::of("95.22");
    out.push_back({"full fill", r});
  }
  {
    ExecReport r = ack();
    r.symbol = Symbol("BTC-USD");
    r.orderQty = Qty::of("0.00000001");
    r.price = Price::of("98765.43210987");
    r.leavesQty = Qty::of("0.00000001");
    out.push_back({"crypto decimals", r});
  }
  {
    ExecReport r = ack();
    r.execType = ExecType::Rejected;
    r.ordStatus = OrdStatus::Rejected;
    r.leavesQty = Qty();
    r.ordRejReason = OrdRejReason::Other;
    r.text = "MAX_ORDER_QTY: OrderQty (38) 100 > limit 10; a=b|c";
    out.push_back({"reject with Text", r});
    r.ordRejReason = OrdRejReason::UnknownSymbol;
    r.orderId = OrderId();
    out.push_back({"reject, unknown order id", r});
  }
  {
    ExecReport r = ack();
    r.execType = ExecType::Canceled;
    r.ordStatus = OrdStatus::Canceled;
    r.clOrdId = ClOrdId("C-2");
    r.origClOrdId = ClOrdId("C-1");
    r.leavesQty = Qty();
    out.push_back({"cancel", r});
    r.execType = ExecType::PendingCancel;
    r.ordStatus = OrdStatus::PendingCancel;
    out.push_back({"pending cancel", r});
  }
  {
    ExecReport r = ack();
    r.execType = ExecType::Replaced;
    r.ordStatus = OrdStatus::New;
    r.clOrdId = ClOrdId("C-3");
    r.origClOrdId = ClOrdId("C-1");
    r.ordType = OrdType::StopLimit;
    r.stopPx = Price::of("96");
    r.price = Price::of("96.5");
    r.tif = TimeInForce::Gtc;
    r.orderQty = Qty::of("150");
    r.leavesQty = Qty::of("150");
    out.push_back({"replace, stop limit", r});
    r.execType = ExecType::PendingReplace;
    r.ordStatus = OrdStatus::PendingReplace;
    out.push_back({"pending replace", r});
  }
  {
    ExecReport r = ack();
    r.ordType = OrdType::Market;
    r.price.reset();
    r.side = Side::SellShort;
    r.tif = TimeInForce::Ioc;
    r.execType = ExecType::Expired;
    r.ordStatus = OrdStatus::Expired;
    out.push_back({"market IOC expired", r});
  }
  {
    ExecReport r = ack();
    r.execType = ExecType::OrderStatus;
    r.ordStatusReqId = "SR-1";
    out.push_back({"status reply", r});
    r.ordStatusReqId.clear();
    r.massStatusReqId = "MS-1";
    r.totNumReports = 3;
    r.lastRptRequested = true;
    out.push_back({"mass status reply", r});
  }
  {
    ExecReport r = ack();
    r.possResend = true;
    out.push_back({"PossResend", r});
  }
  {
    auto d = std::make_shared<OrderDetails>();
    d->secondaryClOrdId = "S-1";
    d->clOrdLinkId = "L-1";
    d->parties = {{"CLT9", 'D', kPartyRoleClientId}, {"BRK1", 0, kPartyRoleExecutingFirm}};
    d->instrument.securityType = "OPT";
    d->instrument.maturityMonthYear = "202612";
    d->instrument.putOrCall = '1';
    d->instrument.strike = Price::of("150");
    d->instrument.currency = "USD";
    d->instrument.securityExchange = "XCBO";
    d->attrs.orderCapacity = 'A';
    d->attrs.rule80A = 'A';
    d->attrs.postOnly = true;
    d->attrs.minQty = Qty::of("10");
    d->attrs.maxFloor = Qty::of("20");
    d->attrs.expireTime = kT + 3'600'000'000'000LL;
    d->attrs.positionEffect = 'O';
    ExecReport r = ack();
    r.details = d;
    out.push_back({"order details", r});
  }
  {
    auto d = std::make_shared<OrderDetails>();
    AlgoOrderFields a;
    a.targetStrategy = "TWAP";
    d->algo = a;
    d->attrs.maxFloor = Qty::of("5");
    ExecReport r = ack();
    r.details = d;
    r.execType = ExecType::Trade;
    r.ordStatus = OrdStatus::PartiallyFilled;
    r.lastQty = Qty::of("5");
    r.lastPx = Price::of("95.25");
    r.cumQty = Qty::of("5");
    r.leavesQty = Qty::of("95");
    r.avgPx = Price::of("95.25");
    r.lastMkt = VenueId("SIMA");
    out.push_back({"algo / SOR parent fill", r});
  }
  return out;
}

class EncoderTest : public ::testing::TestWithParam<FixVersion> {};

TEST_P(EncoderTest, EveryReportKindIsByteExactAgainstQuickFixToString) {
  const FixVersion v = GetParam();
  for (const Case& c : cases()) {
    ExecReportSender s;  // a fresh sender per report
    EXPECT_EQ(pipes(fast(s, c.r, v)), pipes(reference(c.r, v))) << c.name;
  }
}

TEST_P(EncoderTest, OneReusedSenderStaysExactAcrossReportsOfDifferentShapes) {
  const FixVersion v = GetParam();
  ExecReportSender s;
  auto all = cases();
  for (int round = 0; round < 2; ++round) {
    for (const Case& c : all) EXPECT_EQ(pipes(fast(s, c.r, v)), pipes(reference(c.r, v))) << c.name;
    // Drop copies add OnBehalfOfCompID (115) to the header; the next plain report must not.
    EXPECT_EQ(pipes(fast(s, all[0].r, v, "CLIENT1")), pipes(reference(all[0].r, v, "CLIENT1")));
  }
}

TEST_P(EncoderTest, BytesParseBackWithTheShippedDictionary) {
  // What a resend does: the stored string is parsed again (and validated).
  const FixVersion v = GetParam();
  FIX::DataDictionary dd(std::string(FIXGW_SPEC_DIR) +
                         (v == FixVersion::Fix42 ? "/FIX42.xml" : "/FIX44.xml"));
  ExecReportSender s;
  for (const Case& c : cases()) {
    const std::string bytes = fast(s, c.r, v);
    FIX::Message parsed;
    ASSERT_NO_THROW(parsed.setString(bytes, true, &dd)) << c.name << ": " << pipes(bytes);
    EXPECT_NO_THROW(dd.validate(parsed)) << c.name << ": " << pipes(bytes);
    EXPECT_EQ(parsed.getField(11), c.r.clOrdId.str()) << c.name;
    EXPECT_EQ(parsed.getField(17), c.r.execId.str()) << c.name;
    if (!c.r.text.empty()) {
      EXPECT_EQ(parsed.getField(58), c.r.text) << c.name;
    }
    EXPECT_EQ(parsed.toString(), bytes) << c.name;
  }
}

TEST(ExecReportEncoder, Fix42CarriesExecTransTypeAndNo44OnlyFields) {
  ExecReport r = ack();
  r.execType = ExecType::OrderStatus;
  r.ordStatusReqId = "SR-1";
  std::string b;
  encodeExecReportBody(r, FixVersion::Fix42, b);
  EXPECT_NE(b.find("\x01"
                   "20=3\x01"),
            std::string::npos)
      << pipes(b);
  EXPECT_EQ(b.find("790="), std::string::npos) << pipes(b);
  b.clear();
  encodeExecReportBody(r, FixVersion::Fix44, b);
  EXPECT_EQ(b.find("\x01"
                   "20="),
            std::string::npos)
      << pipes(b);
  EXPECT_NE(b.find("\x01"
                   "790=SR-1\x01"),
            std::string::npos)
      << pipes(b);
}

TEST(ExecReportEncoder, DetailsAreMergedInTagOrderWithThePartiesGroup) {
  const Case* c = nullptr;
  auto all = cases();
  for (const Case& k : all)
    if (std::string(k.name) == "order details") c = &k;
  ASSERT_NE(c, nullptr);
  std::string b;
  encodeExecReportBody(c->r, FixVersion::Fix44, b);
  EXPECT_NE(b.find("\x01"
                   "453=2\x01"
                   "448=CLT9\x01"
                   "447=D\x01"
                   "452=3\x01"
                   "448=BRK1\x01"),
            std::string::npos)
      << pipes(b);
  EXPECT_NE(b.find("\x01"
                   "15=USD\x01"
                   "17=E-1\x01"),
            std::string::npos)
      << pipes(b);
  b.clear();
  encodeExecReportBody(c->r, FixVersion::Fix42, b);
  EXPECT_NE(b.find("\x01"
                   "109=CLT9\x01"),
            std::string::npos)
      << pipes(b);
  EXPECT_EQ(b.find("453="), std::string::npos) << pipes(b);
}

TEST(ExecReportEncoder, TransactTimeIsUtcWithMilliseconds) {
  ExecReport r = ack();
  std::string b;
  encodeExecReportBody(r, FixVersion::Fix44, b);
  EXPECT_NE(b.find("\x01"
                   "60=20261207-19:45:12.345\x01"),
            std::string::npos)
      << pipes(b);
}

INSTANTIATE_TEST_SUITE_P(Versions, EncoderTest,
                         ::testing::Values(FixVersion::Fix42, FixVersion::Fix44),
                         [](const auto& i) {
                           return std::string(i.param == FixVersion::Fix42 ? "FIX42" : "FIX44");
                         });

}  // namespace
}  // namespace fixgw::fix
