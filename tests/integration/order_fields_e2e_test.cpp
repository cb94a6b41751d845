// End to end over real QuickFIX sessions (4.4 and 4.2), the real gateway and
// PostgreSQL: the standard order fields the gateway acts on (issue 14) —
// echoed ids and parties, OrdStatusReqID, GTD expiry (also across a restart),
// ExecInst post-only, MinQty, the instrument fields resolved against the
// master, the attributes stored, routing by party, OrderMassStatusRequest —
// and a bad value in each answered naming the tag.
#include <gtest/gtest.h>
#include <quickfix/Group.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/fix/broker_emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}

using Rows = std::vector<std::vector<std::string>>;

std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

OrderFields fields(const char* clOrdId, const char* px = "92.00") {
  OrderFields o;
  o.clOrdId = clOrdId;
  o.qty = "10";
  o.price = px;
  return o;
}

void addParty(FIX::Message& m, const std::string& id, const std::string& src, int role) {
  FIX::Group g(453, 448);
  g.setField(448, id);
  g.setField(447, src);
  g.setField(452, std::to_string(role));
  m.addGroup(g);
}

std::string inSeconds(int s) {
  return fixgw::formatFixTimestamp(fixgw::SystemClock::instance().wallNow() +
                                   static_cast<int64_t>(s) * 1'000'000'000LL);
}

}  // namespace

class OrderFieldsE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    port_ = fixgw::testing::pickFreePort();
    cfg_ = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg_.fix.port = port_;
    cfg_.fix.storeType = "memory";
    cfg_.database.conninfo = db_.conninfo();
    cfg_.logging.level = "warn";
    // A known book: 5 levels of 100 on each side, no random walk during a test.
    for (auto& v : cfg_.venues) {
      v.params["level_qty_lots"] = "100";
      v.params["step_interval_ms"] = "3600000";
    }
    // A second simulator, chosen by party, and two futures named by underlying.
    fixgw::config::VenueCfg sim2 = cfg_.venues.at(0);
    sim2.name = "SIM2";
    cfg_.venues.push_back(sim2);
    fixgw::router::RoutingRule byParty;
    byParty.partyId = "DESK-B";
    byParty.venue = fixgw::VenueId("SIM2");
    cfg_.routing.rules.insert(cfg_.routing.rules.begin(), byParty);
    for (auto [sym, mmy] : {std::pair{"ESZ7", "202712"}, std::pair{"ESH8", "202803"}}) {
      fixgw::Instrument f;
      f.symbol = fixgw::Symbol(sym);
      f.underlying = "ES";
      f.securityType = "FUT";
      f.maturityMonthYear = mmy;
      f.exchange = "CME";
      f.tickSize = fixgw::Price::of("0.25");
      f.referencePrice = fixgw::Price::of("5000.00");
      cfg_.instruments.add(f);
    }
    startGateway();
  }
  void TearDown() override { stopGateway(); }

  void startGateway() {
    gw_ = std::make_unique<fixgw::Gateway>(cfg_);
    gw_->start();
    client_ = std::make_unique<FixTestClient>(GetParam(), "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
  }
  void stopGateway() {
    if (client_) client_->logout();
    client_.reset();
    if (gw_) gw_->stop();
    gw_.reset();
  }
  bool is44() const { return GetParam() == "FIX.4.4"; }

  FIX::Message er(const std::string& clOrdId,
                  std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    auto m = client_->waitForAndPop(
        [&](const FIX::Message& x) {
          return FixTestClient::msgType(x) == "8" && F(x, 11) == clOrdId;
        },
        wait);
    if (!m) {
      ADD_FAILURE() << "no ExecutionReport for ClOrdID " << clOrdId;
      return FIX::Message();
    }
    return *m;
  }
  Rows q(const std::string& sql) {
    gw_->quiesce();
    return db_.query(sql);
  }
  void noSessionReject() {
    auto rej = client_->waitFor(FixTestClient::isType("3"), std::chrono::milliseconds(1));
    EXPECT_FALSE(rej) << "session Reject: " << (rej ? FixTestClient::text(*rej) : "");
  }
  // The order was rejected (39=8) with a Text naming the tag.
  void expectRejectNaming(const std::string& clOrdId, const std::string& needle) {
    FIX::Message r = er(clOrdId);
    EXPECT_EQ(F(r, 39), "8") << FixTestClient::text(r);
    EXPECT_NE(F(r, 58).find(needle), std::string::npos) << F(r, 58);
  }

  fixgw::testing::PgTestSchema db_;
  int port_ = 0;
  fixgw::config::GatewayConfig cfg_;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_P(OrderFieldsE2E, IdsAndPartiesAreStoredAndEchoedOnEveryReport) {
  FIX::Message d = client_->newOrder(fields("ID1"));
  if (is44()) {
    d.setField(526, "SEC-ID1");
    d.setField(583, "LINK-9");
    addParty(d, "TRADER-7", "D", 11);
    addParty(d, "CLIENT-ACME", "D", 3);
  } else {
    d.setField(109, "CLIENT-ACME");
    d.setField(76, "EXEC-BRK");
  }
  client_->send(d);
  FIX::Message ack = er("ID1");
  ASSERT_EQ(F(ack, 39), "0") << FixTestClient::text(ack);
  FIX::Message st = client_->status(fields("ID1"));
  if (is44()) st.setField(790, "STATREQ-1");
  client_->send(st);
  FIX::Message status = er("ID1");
  OrderFields c = fields("ID1c");
  c.origClOrdId = "ID1";
  client_->send(client_->cancel(c));
  FIX::Message pending = er("ID1c");
  FIX::Message canceled = er("ID1c");
  EXPECT_EQ(F(canceled, 39), "4");
  for (const FIX::Message* m : {&ack, &status, &pending, &canceled}) {
    if (is44()) {
      EXPECT_EQ(F(*m, 526), "SEC-ID1") << FixTestClient::text(*m);
      EXPECT_EQ(F(*m, 583), "LINK-9") << FixTestClient::text(*m);
      EXPECT_EQ(F(*m, 453), "2") << FixTestClient::text(*m);
      EXPECT_NE(FixTestClient::text(*m).find("448=CLIENT-ACME|447=D|452=3"), std::string::npos)
          << FixTestClient::text(*m);
    } else {
      EXPECT_EQ(F(*m, 109), "CLIENT-ACME") << FixTestClient::text(*m);
      EXPECT_EQ(F(*m, 76), "EXEC-BRK") << FixTestClient::text(*m);
    }
  }
  if (is44()) {
    EXPECT_EQ(F(status, 790), "STATREQ-1");
    EXPECT_EQ(F(ack, 790), "") << "only the status answer carries OrdStatusReqID";
  }
  Rows r =
      q("select details->'parties'->0->>'id', details->>'secondary_cl_ord_id' from orders "
        "where cl_ord_id = 'ID1c' and parent_order_id is null");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0], is44() ? "TRADER-7" : "CLIENT-ACME");
  EXPECT_EQ(r[0][1], is44() ? "SEC-ID1" : "<null>");
  noSessionReject();
}

TEST_P(OrderFieldsE2E, RoutingRuleByPartySendsTheOrderToItsVenue) {
  FIX::Message d = client_->newOrder(fields("RP1"));
  if (is44()) {
    addParty(d, "DESK-B", "D", 3);
  } else {
    d.setField(109, "DESK-B");
  }
  client_->send(d);
  EXPECT_EQ(F(er("RP1"), 39), "0");
  client_->send(client_->newOrder(fields("RP2")));
  EXPECT_EQ(F(er("RP2"), 39), "0");
  Rows r =
      q("select cl_ord_id, venue from orders where parent_order_id is null order by cl_ord_id");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], (std::vector<std::string>{"RP1", "SIM2"}));
  EXPECT_EQ(r[1], (std::vector<std::string>{"RP2", "SIM"}));
}

TEST_P(OrderFieldsE2E, GtdOrderExpiresAtItsExpireTime) {
  OrderFields o = fields("GTD1");
  o.tif = "6";
  FIX::Message d = client_->newOrder(o);
  d.setField(126, inSeconds(2));
  client_->send(d);
  FIX::Message ack = er("GTD1");
  ASSERT_EQ(F(ack, 39), "0") << FixTestClient::text(ack);
  EXPECT_EQ(F(ack, 59), "6");
  EXPECT_FALSE(F(ack, 126).empty()) << "ExpireTime echoed";
  FIX::Message ex = er("GTD1", std::chrono::seconds(15));
  EXPECT_EQ(F(ex, 39), "C") << FixTestClient::text(ex);
  if (is44()) {
    EXPECT_EQ(F(ex, 150), "C");
  }
  Rows r = q("select event_type from order_events where cl_ord_id = 'GTD1' order by seq");
  std::vector<std::string> types;
  for (auto& row : r) types.push_back(row[0]);
  EXPECT_NE(std::find(types.begin(), types.end(), "EXPIRY_DUE"), types.end());
  EXPECT_EQ(types.back(), "EXPIRED");
  EXPECT_EQ(q("select status from orders where cl_ord_id = 'GTD1'").at(0).at(0), "EXPIRED");
}

// The simulator lives in the gateway's process, so its book is gone after a
// restart; a FIX broker (the emulator, in this test's process) keeps its
// orders like a real venue, so the restart is the gateway's alone.
TEST_P(OrderFieldsE2E, GtdOrderExpiresOnTimeAfterAGatewayRestartAndGtcStaysOpen) {
  stopGateway();
  const std::string dir = ::testing::TempDir() + "fixgw-gtd-restart-" + std::to_string(port_);
  std::filesystem::remove_all(dir);
  fixgw::fixvenue::BrokerEmulatorConfig ec;
  ec.port = fixgw::testing::pickFreePort();
  ec.beginString = "FIX.4.4";
  ec.senderCompId = "BRK";
  ec.targetCompId = "GWB";
  ec.storePath = dir + "/emulator";
  fixgw::fixvenue::BrokerEmulator broker(ec);
  broker.start();
  fixgw::config::VenueCfg v;
  v.name = "BRK";
  v.type = "fix";
  v.params = {{"host", "127.0.0.1"},       {"port", std::to_string(ec.port)},
              {"sender_comp_id", "GWB"},   {"target_comp_id", "BRK"},
              {"store_path", dir + "/gw"}, {"reconnect_interval_s", "1"}};
  cfg_.venues.push_back(v);
  startGateway();
  ASSERT_TRUE(broker.waitLoggedOn(true, std::chrono::seconds(10)));

  OrderFields o = fields("GTD2");
  o.tif = "6";
  o.exDestination = "BRK";
  FIX::Message d = client_->newOrder(o);
  d.setField(126, inSeconds(8));
  client_->send(d);
  ASSERT_EQ(F(er("GTD2"), 39), "0");
  OrderFields g = fields("GTC2");
  g.tif = "1";
  g.exDestination = "BRK";
  client_->send(client_->newOrder(g));
  ASSERT_EQ(F(er("GTC2"), 39), "0");

  stopGateway();
  startGateway();
  ASSERT_TRUE(broker.waitLoggedOn(true, std::chrono::seconds(10)));
  FIX::Message ex = er("GTD2", std::chrono::seconds(20));
  EXPECT_EQ(F(ex, 39), "C") << FixTestClient::text(ex);
  client_->send(client_->status(fields("GTC2")));
  EXPECT_EQ(F(er("GTC2"), 39), "0") << "the GTC order is still working after the restart";
  stopGateway();
  broker.stop();
}

TEST_P(OrderFieldsE2E, PostOnlyRestsOrIsRejectedNamingExecInst) {
  FIX::Message passive = client_->newOrder(fields("PO1", "95.00"));
  passive.setField(18, "6");
  client_->send(passive);
  FIX::Message a = er("PO1");
  EXPECT_EQ(F(a, 39), "0") << FixTestClient::text(a);
  EXPECT_EQ(F(a, 18), "6");
  FIX::Message taker = client_->newOrder(fields("PO2", "105.00"));
  taker.setField(18, "6");
  client_->send(taker);
  expectRejectNaming("PO2", "ExecInst (18) 6");
  FIX::Message aon = client_->newOrder(fields("PO3"));
  aon.setField(18, "G");
  client_->send(aon);
  expectRejectNaming("PO3", "ExecInst (18) value 'G'");
  noSessionReject();
}

TEST_P(OrderFieldsE2E, MinQtyIsHonouredOnIocAndRejectedWhereItCannotBe) {
  OrderFields big = fields("MQ1", "105.00");
  big.qty = "1000";
  big.tif = "3";
  FIX::Message d = client_->newOrder(big);
  d.setField(110, "600");  // only 500 offered
  client_->send(d);
  FIX::Message first = er("MQ1");
  FIX::Message done = F(first, 39) == "0" ? er("MQ1") : first;
  EXPECT_EQ(F(done, 39), "4") << FixTestClient::text(done);
  EXPECT_EQ(fixgw::Qty::of(F(done, 14)), fixgw::Qty{}) << "nothing filled";
  EXPECT_NE(F(done, 58).find("MinQty (110)"), std::string::npos) << F(done, 58);

  OrderFields day = fields("MQ2");
  FIX::Message d2 = client_->newOrder(day);
  d2.setField(110, "5");
  client_->send(d2);
  expectRejectNaming("MQ2", "MinQty (110)");

  FIX::Message d3 = client_->newOrder(fields("MQ3"));
  d3.setField(110, "11");
  client_->send(d3);
  expectRejectNaming("MQ3", "MinQty (110) '11' is bigger than OrderQty (38)");
}

TEST_P(OrderFieldsE2E, InstrumentFieldsResolveTheContractOrNameWhatDidNotMatch) {
  OrderFields fut = fields("IN1", "5000.00");
  fut.symbol = "ES";
  fut.qty = "1";
  FIX::Message d = client_->newOrder(fut);
  d.setField(167, "FUT");
  d.setField(200, "202803");
  d.setField(207, "CME");
  client_->send(d);
  FIX::Message a = er("IN1");
  EXPECT_EQ(F(a, 39), "0") << FixTestClient::text(a);
  EXPECT_EQ(F(a, 200), "202803");
  EXPECT_EQ(q("select symbol from orders where cl_ord_id = 'IN1'").at(0).at(0), "ESH8");

  fut.clOrdId = "IN2";
  FIX::Message amb = client_->newOrder(fut);
  amb.setField(167, "FUT");
  client_->send(amb);
  expectRejectNaming("IN2", "MaturityMonthYear (200)");

  fut.clOrdId = "IN3";
  FIX::Message wrong = client_->newOrder(fut);
  wrong.setField(167, "FUT");
  wrong.setField(200, "202712");
  wrong.setField(207, "XEUR");
  client_->send(wrong);
  expectRejectNaming("IN3", "SecurityExchange (207) 'XEUR'");

  FIX::Message stockCs = client_->newOrder(fields("IN4"));
  stockCs.setField(167, "CS");
  stockCs.setField(15, "USD");
  client_->send(stockCs);
  EXPECT_EQ(F(er("IN4"), 39), "0");

  // A value outside the standard's set is refused by the session layer, naming the tag.
  FIX::Message badPc = client_->newOrder(fields("IN5"));
  badPc.setField(201, "7");
  client_->send(badPc);
  auto rej = client_->waitFor(FixTestClient::isTypeWith("3", 371, "201"));
  EXPECT_TRUE(rej) << "session Reject naming PutOrCall (201)";
  client_->clearReceived();
}

TEST_P(OrderFieldsE2E, CapacityLocateAndPositionEffectAreStoredWithTheOrder) {
  OrderFields o = fields("AT1");
  o.side = "5";  // sell short: locate matters
  FIX::Message d = client_->newOrder(o);
  if (is44())
    d.setField(528, "A");
  else
    d.setField(47, "A");
  d.setField(114, "Y");
  d.setField(77, "O");
  client_->send(d);
  FIX::Message a = er("AT1");
  EXPECT_EQ(F(a, 39), "0") << FixTestClient::text(a);
  EXPECT_EQ(F(a, 77), "O");
  Rows r =
      q("select details->>'order_capacity', details->>'rule80a', details->>'locate_reqd', "
        "details->>'position_effect' from orders where cl_ord_id = 'AT1'");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0], is44() ? "A" : "<null>");
  EXPECT_EQ(r[0][1], is44() ? "<null>" : "A");
  EXPECT_EQ(r[0][2], "true");
  EXPECT_EQ(r[0][3], "O");
}

TEST_P(OrderFieldsE2E, BadExpiryValuesAreRejectedNamingTheTag) {
  OrderFields o = fields("BX1");
  o.tif = "6";
  client_->send(client_->newOrder(o));
  expectRejectNaming("BX1", "ExpireTime (126)");
  o.clOrdId = "BX2";
  FIX::Message past = client_->newOrder(o);
  past.setField(126, "20200101-00:00:00");
  client_->send(past);
  expectRejectNaming("BX2", "ExpireTime (126) '20200101-00:00:00' is not in the future");
  OrderFields day = fields("BX3");
  FIX::Message d = client_->newOrder(day);
  d.setField(432, "20991231");
  client_->send(d);
  expectRejectNaming("BX3", "ExpireDate (432) is only allowed with TimeInForce (59) = 6");
  FIX::Message mf = client_->newOrder(fields("BX4"));
  mf.setField(111, "20");
  client_->send(mf);
  expectRejectNaming("BX4", "MaxFloor (111) '20' is bigger than OrderQty (38)");
}

TEST_P(OrderFieldsE2E, MassStatusRequestAnswersOneReportPerOpenOrderTheLastFlagged) {
  for (const char* id : {"MS1", "MS2", "MS3"}) {
    OrderFields o = fields(id);
    if (std::string(id) == "MS3") o.symbol = "MSFT", o.price = "390.00";
    client_->send(client_->newOrder(o));
    ASSERT_EQ(F(er(id), 39), "0");
  }
  auto massStatus = [&](const char* reqId, const char* type, std::optional<std::string> sym) {
    FIX::Message m;
    m.getHeader().setField(35, "AF");
    m.setField(584, reqId);
    m.setField(585, type);
    if (sym) m.setField(55, *sym);
    client_->send(m);
  };
  massStatus("Q1", "7", std::nullopt);
  std::vector<FIX::Message> got;
  for (const char* id : {"MS1", "MS2", "MS3"}) got.push_back(er(id));
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(F(got[i], 584), "Q1") << FixTestClient::text(got[i]);
    EXPECT_EQ(F(got[i], 911), "3");
    if (is44()) {
      EXPECT_EQ(F(got[i], 150), "I");
      EXPECT_EQ(F(got[i], 912), i == 2 ? "Y" : "N");
    } else {
      EXPECT_EQ(F(got[i], 20), "3");
    }
  }
  massStatus("Q2", "1", std::string("MSFT"));
  FIX::Message one = er("MS3");
  EXPECT_EQ(F(one, 584), "Q2");
  EXPECT_EQ(F(one, 911), "1");
  massStatus("Q3", "1", std::string("BTC-USD"));
  FIX::Message none = er("NONE");
  EXPECT_EQ(F(none, 584), "Q3");
  EXPECT_EQ(F(none, 911), "0");
  massStatus("Q4", "2", std::nullopt);  // by underlying: not kept
  auto bmr = client_->waitFor(FixTestClient::isTypeWith("j", 379, "Q4"));
  ASSERT_TRUE(bmr) << "a BusinessMessageReject names the request";
  EXPECT_NE(F(*bmr, 58).find("MassStatusReqType (585)"), std::string::npos) << F(*bmr, 58);
  noSessionReject();
}

INSTANTIATE_TEST_SUITE_P(Versions, OrderFieldsE2E, ::testing::Values("FIX.4.4", "FIX.4.2"),
                         [](const auto& i) { return i.param == "FIX.4.4" ? "FIX44" : "FIX42"; });
