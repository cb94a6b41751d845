// End to end, with real parts only: the whole gateway (QuickFIX acceptor,
// risk, router, simulator venue, PostgreSQL journal) started in-process on a
// free port with a PostgreSQL schema of its own; a real QuickFIX initiator
// logs on over loopback with FIX 4.2 or 4.4; afterwards the test reads
// PostgreSQL and checks that every event and fill is there, in order.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/support/fix_test_client.h"
#include "store/session_lease.h"
#include "tests/support/pg_test_env.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}

using Rows = std::vector<std::vector<std::string>>;

std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

// Exact decimal comparison through the gateway's own fixed-point parser.
fixgw::Qty Q(const std::string& s) { return fixgw::Qty::of(s); }
fixgw::Price P(const std::string& s) { return fixgw::Price::of(s); }

OrderFields fields(const char* clOrdId) {
  OrderFields o;
  o.clOrdId = clOrdId;
  return o;
}

}  // namespace

class GatewayE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    port_ = fixgw::testing::pickFreePort();
    fixgw::config::GatewayConfig cfg =
        fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg.fix.port = port_;
    cfg.fix.storeType = "memory";
    cfg.database.conninfo = db_.conninfo();
    cfg.logging.level = "warn";
    tweak(cfg);
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    client_ = std::make_unique<FixTestClient>(GetParam(), "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
  }
  void TearDown() override {
    if (client_) client_->logout();
    client_.reset();
    if (gw_) gw_->stop();
  }

  virtual void tweak(fixgw::config::GatewayConfig&) {}
  bool is44() const { return GetParam() == "FIX.4.4"; }

  // Next ExecutionReport for a ClOrdID (consumed).
  FIX::Message er(const std::string& clOrdId) {
    auto m = client_->waitForAndPop([&](const FIX::Message& x) {
      return FixTestClient::msgType(x) == "8" && F(x, 11) == clOrdId;
    });
    if (!m) {
      ADD_FAILURE() << "no ExecutionReport for ClOrdID " << clOrdId;
      return FIX::Message();
    }
    return *m;
  }

  // Every report must carry these, and be self-consistent.
  void checkCommon(const FIX::Message& m) {
    for (int tag : {37, 17, 11, 150, 39, 55, 54, 151, 14, 6, 60})
      EXPECT_TRUE(FixTestClient::has(m, tag)) << "tag " << tag << " missing in " << FixTestClient::text(m);
    if (!is44()) {
      EXPECT_TRUE(FixTestClient::has(m, 20)) << FixTestClient::text(m);
    }
    if (FixTestClient::has(m, 38) && F(m, 39) != "8") {
      EXPECT_LE(Q(F(m, 151)) + Q(F(m, 14)), Q(F(m, 38))) << FixTestClient::text(m);
    }
  }

  std::string execTypeFill(bool complete) const {
    return is44() ? "F" : (complete ? "2" : "1");
  }

  Rows q(const std::string& sql) {
    gw_->quiesce();
    return db_.query(sql);
  }

  fixgw::testing::PgTestSchema db_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_P(GatewayE2E, LimitOrderRestsThenIsCanceled) {
  OrderFields o;
  o.clOrdId = "REST1";
  o.qty = "100";
  o.price = "92.00";  // 8% under the reference: inside the band, far from the market
  client_->send(client_->newOrder(o));
  FIX::Message ack = er("REST1");
  checkCommon(ack);
  EXPECT_EQ(F(ack, 150), "0");
  EXPECT_EQ(F(ack, 39), "0");
  if (!is44()) {
    EXPECT_EQ(F(ack, 20), "0");
  }
  EXPECT_EQ(Q(F(ack, 151)), Q("100"));
  EXPECT_EQ(Q(F(ack, 14)), Q("0"));
  const std::string orderId = F(ack, 37);

  OrderFields c;
  c.clOrdId = "REST1-C";
  c.origClOrdId = "REST1";
  c.qty = "100";
  client_->send(client_->cancel(c));
  FIX::Message pend = er("REST1-C");
  checkCommon(pend);
  EXPECT_EQ(F(pend, 150), "6");
  EXPECT_EQ(F(pend, 39), "6");
  EXPECT_EQ(F(pend, 41), "REST1");
  FIX::Message done = er("REST1-C");
  checkCommon(done);
  EXPECT_EQ(F(done, 150), "4");
  EXPECT_EQ(F(done, 39), "4");
  EXPECT_EQ(F(done, 41), "REST1");
  EXPECT_EQ(F(done, 37), orderId);
  EXPECT_EQ(Q(F(done, 151)), Q("0"));
  EXPECT_NE(F(ack, 17), F(done, 17));

  Rows events = q("select event_type from order_events where order_id = '" + orderId +
                  "' order by seq");
  std::vector<std::string> types;
  for (auto& r : events) types.push_back(r[0]);
  // A direct order writes no ROUTED row (schema 0021) ...
  EXPECT_EQ(types, (std::vector<std::string>{"RECEIVED", "NEW", "CANCEL_REQUESTED", "CANCELED"}));
  // ... and its lifecycle shows the ROUTED line, built from the RECEIVED row and the order's row:
  // the child the venue got, the venue, the state as received, RECEIVED's seq + 1.
  Rows life = q("select event_type, seq, child_order_id, text, status, qty, price, cum_qty, "
                "leaves_qty, event_time, event_id, exec_id is null, raw_fix is null, "
                "child_order_id = fixgw_direct_child_id(order_id) "
                "from v_order_lifecycle where order_id = '" + orderId + "' order by seq, event_id");
  std::vector<std::string> lifeTypes;
  for (auto& r : life) lifeTypes.push_back(r[0]);
  ASSERT_EQ(lifeTypes, (std::vector<std::string>{"RECEIVED", "ROUTED", "NEW", "CANCEL_REQUESTED",
                                                 "CANCELED"}));
  const auto& rcv = life[0];
  const auto& routed = life[1];
  EXPECT_EQ(std::stoll(routed[1]), std::stoll(rcv[1]) + 1);
  EXPECT_LT(std::stoll(routed[1]), std::stoll(life[2][1]));
  EXPECT_EQ(routed[2], life[2][2]) << "the child the NEW event names";
  const std::string venue = q("select venue from orders where order_id = '" + orderId + "'")
                                .at(0).at(0);
  EXPECT_FALSE(venue.empty());
  EXPECT_EQ(routed[3], "to " + venue);
  EXPECT_EQ(routed[4], "PENDING_NEW");
  for (size_t i : {5u, 6u, 7u, 8u, 9u, 10u}) EXPECT_EQ(routed[i], rcv[i]) << "column " << i;
  EXPECT_EQ(Q(routed[5]), Q("100"));
  EXPECT_EQ(Q(routed[6]), Q("92"));
  EXPECT_EQ(routed[11], "t");
  EXPECT_EQ(routed[12], "t");
  EXPECT_EQ(routed[13], "t");
  EXPECT_EQ(rcv[12], "f") << "RECEIVED keeps the message as received";
  Rows order = q("select status, cl_ord_id, raw_fix from orders where order_id = '" + orderId + "'");
  ASSERT_EQ(order.size(), 1u);
  EXPECT_EQ(order[0][0], "CANCELED");
  EXPECT_EQ(order[0][1], "REST1-C");
  EXPECT_NE(order[0][2].find("11=REST1"), std::string::npos) << "raw FIX as received";
  EXPECT_NE(order[0][2].find("35=D"), std::string::npos);
}

TEST_P(GatewayE2E, MarketableOrderFillsInPartsWithRightCumQtyAndAvgPx) {
  OrderFields o;
  o.clOrdId = "TAKE1";
  o.qty = "250";
  o.price = "100.50";  // crosses several ask levels of the simulator's book
  client_->send(client_->newOrder(o));
  FIX::Message ack = er("TAKE1");
  EXPECT_EQ(F(ack, 150), "0");
  const std::string orderId = F(ack, 37);

  fixgw::Qty cum;
  __int128 raw = 0;
  int fills = 0;
  std::set<std::string> execIds{F(ack, 17)};
  for (;;) {
    FIX::Message f = er("TAKE1");
    if (!FixTestClient::has(f, 37)) break;
    checkCommon(f);
    ++fills;
    EXPECT_TRUE(execIds.insert(F(f, 17)).second) << "ExecID reused";
    fixgw::Qty last = Q(F(f, 32));
    fixgw::Price px = P(F(f, 31));
    EXPECT_LE(px, P("100.50")) << "never fills a buy above its limit";
    cum += last;
    raw += fixgw::rawProduct(px, last);
    EXPECT_EQ(Q(F(f, 14)), cum);
    EXPECT_EQ(Q(F(f, 151)), Q("250") - cum);
    EXPECT_EQ(P(F(f, 6)), fixgw::averageFromRaw(raw, cum));
    const bool complete = cum == Q("250");
    EXPECT_EQ(F(f, 150), execTypeFill(complete));
    EXPECT_EQ(F(f, 39), complete ? "2" : "1");
    if (complete) break;
  }
  EXPECT_GT(fills, 1) << "expected the order to fill in parts across book levels";
  EXPECT_EQ(cum, Q("250"));

  Rows ex = q("select last_qty, last_px, cum_qty from executions where order_id = '" + orderId +
              "' order by cum_qty");
  ASSERT_EQ(ex.size(), static_cast<size_t>(fills));
  fixgw::Qty dbCum;
  for (auto& r : ex) {
    dbCum += Q(r[0]);
    EXPECT_EQ(Q(r[2]), dbCum);
  }
  EXPECT_EQ(dbCum, Q("250"));
  Rows order = q("select status, cum_qty, leaves_qty, avg_px from orders where order_id = '" +
                 orderId + "'");
  ASSERT_EQ(order.size(), 1u);
  EXPECT_EQ(order[0][0], "FILLED");
  EXPECT_EQ(Q(order[0][1]), Q("250"));
  EXPECT_EQ(Q(order[0][2]), Q("0"));
  EXPECT_EQ(P(order[0][3]), fixgw::averageFromRaw(raw, cum));
  Rows fillEvents = q("select count(*) from order_events where order_id = '" + orderId +
                      "' and event_type = 'FILL'");
  EXPECT_EQ(fillEvents[0][0], std::to_string(fills));
}

TEST_P(GatewayE2E, ReplaceThenFill) {
  OrderFields o;
  o.clOrdId = "RPL1";
  o.qty = "50";
  o.price = "95.00";
  client_->send(client_->newOrder(o));
  EXPECT_EQ(F(er("RPL1"), 150), "0");

  OrderFields r = o;
  r.clOrdId = "RPL1-R";
  r.origClOrdId = "RPL1";
  r.qty = "60";
  r.price = "100.50";  // now marketable
  client_->send(client_->replace(r));
  FIX::Message pend = er("RPL1-R");
  EXPECT_EQ(F(pend, 150), "E");
  EXPECT_EQ(F(pend, 39), "E");
  FIX::Message rep = er("RPL1-R");
  checkCommon(rep);
  EXPECT_EQ(F(rep, 150), "5");
  EXPECT_EQ(F(rep, 41), "RPL1");
  EXPECT_EQ(Q(F(rep, 38)), Q("60"));
  EXPECT_EQ(P(F(rep, 44)), P("100.50"));
  fixgw::Qty cum;
  while (cum < Q("60")) {
    FIX::Message f = er("RPL1-R");
    if (!FixTestClient::has(f, 37)) break;
    cum = Q(F(f, 14));
  }
  EXPECT_EQ(cum, Q("60"));
  // The lifecycle (v_order_lifecycle): RECEIVED, ROUTED (a line without a row, schema 0021), NEW.
  Rows types = q(
      "select e.event_type from v_order_lifecycle e join orders o on o.order_id = e.order_id "
      "where o.cl_ord_id = 'RPL1-R' and o.parent_order_id is null order by e.seq");
  ASSERT_GE(types.size(), 6u);
  EXPECT_EQ(types[3][0], "REPLACE_REQUESTED");
  EXPECT_EQ(types[4][0], "REPLACED");
  EXPECT_EQ(types.back()[0], "FILL");
}

TEST_P(GatewayE2E, MarketIocFokSellShortAndGtcOverFix) {
  // Market buy: fills against the asks, no price on the order.
  OrderFields mkt = fields("MKT1");
  mkt.ordType = "1";
  mkt.price.reset();
  mkt.qty = "150";
  client_->send(client_->newOrder(mkt));
  fixgw::Qty cum;
  for (int i = 0; i < 10 && cum < Q("150"); ++i) {
    FIX::Message m = er("MKT1");
    if (!FixTestClient::has(m, 37)) break;
    checkCommon(m);
    EXPECT_EQ(F(m, 40), "1");
    cum = Q(F(m, 14));
  }
  EXPECT_EQ(cum, Q("150"));

  // IOC sell bigger than the bid side: what can fill fills, the rest is canceled.
  OrderFields ioc = fields("IOC1");
  ioc.side = "2";
  ioc.qty = "100000";
  ioc.price = "99.00";
  ioc.tif = "3";
  client_->send(client_->newOrder(ioc));
  FIX::Message last;
  for (int i = 0; i < 20; ++i) {
    last = er("IOC1");
    if (!FixTestClient::has(last, 37) || F(last, 39) == "4") break;
  }
  EXPECT_EQ(F(last, 39), "4") << FixTestClient::text(last);
  EXPECT_EQ(F(last, 150), "4");
  EXPECT_GT(Q(F(last, 14)), Q("0")) << "part of the IOC filled";
  EXPECT_LT(Q(F(last, 14)), Q("100000"));
  EXPECT_EQ(Q(F(last, 151)), Q("0"));
  EXPECT_EQ(F(last, 59), "3");

  // FOK that the book cannot fill completely: nothing fills.
  OrderFields fok = fields("FOK1");
  fok.qty = "5000";  // ten times the ask side's depth, well inside every risk limit
  fok.price = "100.50";
  fok.tif = "4";
  client_->send(client_->newOrder(fok));
  FIX::Message f1 = er("FOK1");
  FIX::Message f2 = F(f1, 39) == "0" ? er("FOK1") : f1;
  EXPECT_EQ(F(f2, 39), "4") << FixTestClient::text(f2);
  EXPECT_EQ(Q(F(f2, 14)), Q("0"));

  // Sell short and GTC rest and are echoed as sent.
  OrderFields ss = fields("SS1");
  ss.side = "5";
  ss.qty = "10";
  ss.price = "108.00";
  ss.tif = "1";
  client_->send(client_->newOrder(ss));
  FIX::Message s1 = er("SS1");
  checkCommon(s1);
  EXPECT_EQ(F(s1, 39), "0");
  EXPECT_EQ(F(s1, 54), "5");
  EXPECT_EQ(F(s1, 59), "1");
  Rows row = q("select side, tif, status from orders where cl_ord_id = 'SS1' and "
               "parent_order_id is null");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0], "SELL_SHORT");
  EXPECT_EQ(row[0][1], "GTC");
  EXPECT_EQ(row[0][2], "NEW");
}

TEST_P(GatewayE2E, StopLimitWaitsAndStopAlreadyReachedFills) {
  // A sell stop-limit far under the market: accepted, waits for its trigger.
  OrderFields sl = fields("STPL1");
  sl.side = "2";
  sl.ordType = "4";
  sl.qty = "40";
  sl.price = "91.90";
  sl.stopPx = "92.00";
  client_->send(client_->newOrder(sl));
  FIX::Message ack = er("STPL1");
  checkCommon(ack);
  EXPECT_EQ(F(ack, 39), "0") << FixTestClient::text(ack);
  EXPECT_EQ(F(ack, 40), "4");
  EXPECT_EQ(P(F(ack, 44)), P("91.90"));
  EXPECT_EQ(P(F(ack, 99)), P("92.00"));
  const std::string orderId = F(ack, 37);

  // Its trigger moves by replace; the report carries the new StopPx.
  OrderFields rp = sl;
  rp.clOrdId = "STPL1-R";
  rp.origClOrdId = "STPL1";
  rp.stopPx = "92.50";
  rp.price = "92.40";
  client_->send(client_->replace(rp));
  FIX::Message pend = er("STPL1-R");
  FIX::Message done = F(pend, 39) == "E" ? er("STPL1-R") : pend;
  EXPECT_EQ(F(done, 150), "5") << FixTestClient::text(done);
  EXPECT_EQ(P(F(done, 99)), P("92.50"));
  EXPECT_EQ(P(F(done, 44)), P("92.40"));

  // A buy stop under the market is already triggered: it trades as a market order.
  OrderFields st = fields("STP1");
  st.ordType = "3";
  st.price.reset();
  st.stopPx = "95.00";
  st.qty = "20";
  client_->send(client_->newOrder(st));
  fixgw::Qty cum;
  for (int i = 0; i < 10 && cum < Q("20"); ++i) {
    FIX::Message m = er("STP1");
    if (!FixTestClient::has(m, 37)) break;
    checkCommon(m);
    EXPECT_EQ(F(m, 40), "3");
    EXPECT_EQ(P(F(m, 99)), P("95.00"));
    cum = Q(F(m, 14));
  }
  EXPECT_EQ(cum, Q("20"));

  Rows rows = q("select ord_type, stop_px, price, status from orders_all where order_id = '" +
                orderId + "' or parent_order_id = '" + orderId + "' order by parent_order_id nulls first");
  ASSERT_EQ(rows.size(), 2u) << "parent and child";
  for (const auto& r : rows) {
    EXPECT_EQ(r[0], "STOP_LIMIT");
    EXPECT_EQ(P(r[1]), P("92.50"));
    EXPECT_EQ(P(r[2]), P("92.40"));
  }
  EXPECT_EQ(rows[0][3], "NEW");
  Rows filled = q("select ord_type, stop_px, status from orders where cl_ord_id = 'STP1' and "
                  "parent_order_id is null");
  ASSERT_EQ(filled.size(), 1u);
  EXPECT_EQ(filled[0][0], "STOP");
  EXPECT_EQ(P(filled[0][1]), P("95.00"));
  EXPECT_EQ(filled[0][2], "FILLED");
}

TEST_P(GatewayE2E, CancelOfUnknownOrderGetsOrderCancelReject) {
  OrderFields c;
  c.clOrdId = "X-C";
  c.origClOrdId = "NO-SUCH-ORDER";
  client_->send(client_->cancel(c));
  auto rej = client_->waitForAndPop(FixTestClient::isType("9"));
  ASSERT_TRUE(rej);
  EXPECT_EQ(F(*rej, 11), "X-C");
  EXPECT_EQ(F(*rej, 41), "NO-SUCH-ORDER");
  EXPECT_EQ(F(*rej, 434), "1");
  EXPECT_EQ(F(*rej, 102), "1");
  EXPECT_EQ(F(*rej, 37), "NONE");
  EXPECT_NE(F(*rej, 58).find("NO-SUCH-ORDER"), std::string::npos);
  Rows ev = q("select event_type, reason_code from order_events where cl_ord_id = 'X-C'");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0][0], "CANCEL_REJECT");
  EXPECT_EQ(ev[0][1], "UNKNOWN_ORDER");
}

TEST_P(GatewayE2E, RiskRejectNamesTheRuleAndLimitAndIsJournaled) {
  OrderFields o;
  o.clOrdId = "BIG1";
  o.qty = "2000000";
  o.price = "100.00";
  client_->send(client_->newOrder(o));
  FIX::Message r = er("BIG1");
  checkCommon(r);
  EXPECT_EQ(F(r, 150), "8");
  EXPECT_EQ(F(r, 39), "8");
  EXPECT_EQ(F(r, 103), "3");
  EXPECT_NE(F(r, 58).find("MAX_ORDER_QTY"), std::string::npos) << F(r, 58);
  EXPECT_NE(F(r, 58).find("1000000"), std::string::npos) << F(r, 58);

  OrderFields band = o;
  band.clOrdId = "BAND1";
  band.qty = "10";
  band.price = "120.00";
  client_->send(client_->newOrder(band));
  FIX::Message b = er("BAND1");
  EXPECT_EQ(F(b, 39), "8");
  EXPECT_NE(F(b, 58).find("PRICE_BAND"), std::string::npos) << F(b, 58);

  OrderFields unk = o;
  unk.clOrdId = "UNK1";
  unk.symbol = "NOPE";
  unk.qty = "1";
  client_->send(client_->newOrder(unk));
  FIX::Message u = er("UNK1");
  EXPECT_EQ(F(u, 39), "8");
  EXPECT_EQ(F(u, 103), "1");

  Rows ev = q("select e.reason_code, o.status from order_events e join orders o using (order_id) "
              "where e.event_type = 'REJECTED' order by e.seq");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0][0], "MAX_ORDER_QTY");
  EXPECT_EQ(ev[1][0], "PRICE_BAND");
  EXPECT_EQ(ev[2][0], "UNKNOWN_SYMBOL");
  for (auto& row : ev) EXPECT_EQ(row[1], "REJECTED");
}

TEST_P(GatewayE2E, DuplicateClOrdIdIsRejected) {
  OrderFields o;
  o.clOrdId = "DUP1";
  o.qty = "10";
  o.price = "92.00";
  client_->send(client_->newOrder(o));
  EXPECT_EQ(F(er("DUP1"), 39), "0");
  client_->send(client_->newOrder(o));
  FIX::Message d = er("DUP1");
  EXPECT_EQ(F(d, 39), "8");
  EXPECT_NE(F(d, 58).find("DUPLICATE_CLORDID"), std::string::npos);
}

TEST_P(GatewayE2E, MissingRequiredTagGetsSessionRejectNamingTheTag) {
  FIX::Message m = client_->newOrder(fields("BAD1"));
  m.removeField(54);  // Side
  client_->send(m);
  auto rej = client_->waitForAndPop(FixTestClient::isType("3"));
  ASSERT_TRUE(rej);
  EXPECT_EQ(F(*rej, 371), "54") << FixTestClient::text(*rej);
  EXPECT_EQ(F(*rej, 373), "1");  // required tag missing
}

// A value outside the standard's enumeration: QuickFIX refuses the message.
TEST_P(GatewayE2E, NonStandardEnumValueGetsSessionRejectNamingTheTag) {
  OrderFields o = fields("BAD2");
  o.side = "Z";
  client_->send(client_->newOrder(o));
  auto rej = client_->waitForAndPop(FixTestClient::isType("3"));
  ASSERT_TRUE(rej);
  EXPECT_EQ(F(*rej, 371), "54") << FixTestClient::text(*rej);
  EXPECT_EQ(F(*rej, 373), "5");  // value is incorrect (out of range) for this tag
}

// A standard value the gateway does not support (Side 54=9, cross short) is
// answered at order level, naming the tag and the value.
TEST_P(GatewayE2E, UnsupportedStandardEnumValueGetsOrderRejectNamingTheTag) {
  OrderFields o = fields("BAD3");
  o.side = "9";
  client_->send(client_->newOrder(o));
  FIX::Message r = er("BAD3");
  EXPECT_EQ(F(r, 39), "8") << FixTestClient::text(r);
  EXPECT_EQ(F(r, 150), "8");
  EXPECT_NE(F(r, 58).find("(54)"), std::string::npos) << F(r, 58);
  EXPECT_NE(F(r, 58).find("'9'"), std::string::npos) << F(r, 58);
  EXPECT_FALSE(client_->waitFor(FixTestClient::isType("3"), std::chrono::milliseconds(0)));
}

TEST_P(GatewayE2E, LimitWithoutPriceIsRejectedNamingTag44) {
  OrderFields o = fields("NOPX");
  o.price.reset();
  client_->send(client_->newOrder(o));
  FIX::Message r = er("NOPX");
  EXPECT_EQ(F(r, 39), "8");
  EXPECT_NE(F(r, 58).find("44"), std::string::npos) << F(r, 58);
}

TEST_P(GatewayE2E, FieldErrorsAreAnsweredAndJournaledByTheEngine) {
  OrderFields zero = fields("ZQ1");
  zero.qty = "0";
  client_->send(client_->newOrder(zero));
  FIX::Message r = er("ZQ1");
  checkCommon(r);
  EXPECT_EQ(F(r, 39), "8");
  EXPECT_EQ(F(r, 150), "8");
  EXPECT_NE(F(r, 58).find("(38)"), std::string::npos) << F(r, 58);
  const std::string rejectedId = F(r, 37);
  EXPECT_NE(rejectedId, "NONE") << "the rejected order is kept under an OrderID of ours";

  // The same ClOrdID, corrected, is accepted: an invalid message does not use it up.
  OrderFields fixed = fields("ZQ1");
  fixed.qty = "5";
  fixed.price = "92.00";
  client_->send(client_->newOrder(fixed));
  EXPECT_EQ(F(er("ZQ1"), 39), "0");

  OrderFields badReplace = fields("ZQ1-R");
  badReplace.origClOrdId = "ZQ1";
  badReplace.qty = "0";
  client_->send(client_->replace(badReplace));
  auto cxl = client_->waitForAndPop(FixTestClient::isType("9"));
  ASSERT_TRUE(cxl);
  EXPECT_EQ(F(*cxl, 434), "2");
  EXPECT_EQ(F(*cxl, 39), "0") << "OrdStatus of the live order it refers to";
  EXPECT_NE(F(*cxl, 58).find("(38)"), std::string::npos);

  client_->send(client_->massCancel("MQ1", "1"));
  auto bmr = client_->waitForAndPop(FixTestClient::isType("j"));
  ASSERT_TRUE(bmr);
  EXPECT_EQ(F(*bmr, 380), "5");
  EXPECT_EQ(F(*bmr, 372), "q");

  Rows ev = q("select event_type, reason_code, coalesce(raw_fix, '') from order_events "
              "where reason_code like 'INVALID_FIELD_%' order by seq");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0][0], "REJECTED");
  EXPECT_EQ(ev[0][1], "INVALID_FIELD_38");
  EXPECT_EQ(ev[1][0], "REPLACE_REJECT");
  EXPECT_EQ(ev[2][0], "BUSINESS_REJECT");
  EXPECT_EQ(ev[2][1], "INVALID_FIELD_55");
  EXPECT_NE(ev[2][2].find("35=q"), std::string::npos);
  Rows raw = q("select raw_fix from orders where order_id = '" + rejectedId + "'");
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_NE(raw[0][0].find("38=0"), std::string::npos) << "the order as received";
}

TEST_P(GatewayE2E, StatusRequestReportsCurrentState) {
  OrderFields o = fields("ST1");
  o.qty = "10";
  o.price = "92.00";
  client_->send(client_->newOrder(o));
  EXPECT_EQ(F(er("ST1"), 39), "0");
  client_->send(client_->status(fields("ST1")));
  FIX::Message s = er("ST1");
  EXPECT_EQ(F(s, 39), "0");
  if (is44()) {
    EXPECT_EQ(F(s, 150), "I");
  } else {
    EXPECT_EQ(F(s, 20), "3");
  }
  EXPECT_EQ(Q(F(s, 151)), Q("10"));
}

TEST_P(GatewayE2E, SessionLogonIsJournaled) {
  Rows s = q("select count(*) from session_events where event = 'LOGON'");
  EXPECT_EQ(s.at(0).at(0), "1");
}

TEST_P(GatewayE2E, EveryFixMessageInAndOutIsKeptForAudit) {
  OrderFields o = fields("MSG1");
  o.qty = "10";
  o.price = "92.00";
  client_->send(client_->newOrder(o));
  FIX::Message ack = er("MSG1");
  // The report is sent, and logged, after the commit that released it: wait
  // for its row rather than for the next journal batch by luck.
  Rows in, out;
  for (int i = 0; i < 100; ++i) {
    in = q("select msg_type, msg_seq_num, message from v_fix_messages where direction = 'IN' "
           "and msg_type = 'D'");
    out = q("select msg_type, message from v_fix_messages where direction = 'OUT' and "
            "msg_type = '8'");
    if (!in.empty() && !out.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(in.size(), 1u);
  EXPECT_NE(in[0][2].find("11=MSG1\x01"), std::string::npos) << "raw, SOH kept";
  EXPECT_GT(std::stoi(in[0][1]), 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0][1].find("17=" + F(ack, 17) + "\x01"), std::string::npos);
  Rows logons = q(
      "select direction from v_fix_messages where msg_type = 'A' order by logged_at, chunk_id, ord");
  ASSERT_EQ(logons.size(), 2u);
  EXPECT_EQ(logons[0][0], "IN");
  EXPECT_EQ(logons[1][0], "OUT");
  // Append-only, like every audit table.
  EXPECT_THROW(db_.exec("delete from fix_message_chunks"), std::exception);
  EXPECT_THROW(db_.exec("truncate fix_message_chunks"), std::exception);
}

class GatewayE2ECancelOnDisconnect : public GatewayE2E {
 protected:
  void tweak(fixgw::config::GatewayConfig& cfg) override {
    for (auto& s : cfg.fix.sessions)
      if (s.targetCompId == "CLIENT1") s.cancelOnDisconnect = true;
  }
};

TEST_P(GatewayE2ECancelOnDisconnect, OpenOrdersAreCanceledWhenTheSessionDrops) {
  OrderFields o = fields("COD1");
  o.qty = "10";
  o.price = "92.00";
  client_->send(client_->newOrder(o));
  FIX::Message ack = er("COD1");
  ASSERT_EQ(F(ack, 39), "0");
  const std::string orderId = F(ack, 37);
  client_->logout();
  client_.reset();
  std::string status;
  for (int i = 0; i < 100 && status != "CANCELED"; ++i) {
    Rows r = q("select status from orders where order_id = '" + orderId + "'");
    status = r.empty() ? "" : r[0][0];
    if (status != "CANCELED") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, "CANCELED");
  Rows ev = q("select event_type from v_order_lifecycle where order_id = '" + orderId +
              "' order by seq");  // RECEIVED, ROUTED (schema 0021: no row of its own), NEW, ...
  ASSERT_GE(ev.size(), 5u);
  EXPECT_EQ(ev[3][0], "DISCONNECT_CANCEL_REQUESTED");
  EXPECT_EQ(ev[4][0], "CANCELED");
  // Back on, the client learns the state (its reports also sit in the session
  // store for a resend when the session keeps sequence numbers).
  client_ = std::make_unique<FixTestClient>(GetParam(), "CLIENT1", "FIXGW", port_,
                                            sourceDir() + "/fix_acceptor/spec");
  ASSERT_TRUE(client_->logon());
  client_->send(client_->status(fields("COD1")));
  FIX::Message st = er("COD1");
  EXPECT_EQ(F(st, 39), "4");
}

INSTANTIATE_TEST_SUITE_P(Versions, GatewayE2ECancelOnDisconnect,
                         ::testing::Values("FIX.4.4", "FIX.4.2"));

INSTANTIATE_TEST_SUITE_P(Versions, GatewayE2E, ::testing::Values("FIX.4.4", "FIX.4.2"),
                         [](const auto& info) {
                           return info.param == "FIX.4.4" ? std::string("FIX44")
                                                          : std::string("FIX42");
                         });

// Two gateways configured with the same FIX sessions on one database: the
// second refuses to start (it would run the sessions twice) and names the
// holder; once the first stops, it starts.
TEST(GatewayLease, ASecondGatewayForTheSameSessionsRefusesToStart) {
  fixgw::testing::PgTestSchema db;
  auto makeCfg = [&] {
    fixgw::config::GatewayConfig cfg =
        fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg.fix.port = fixgw::testing::pickFreePort();
    cfg.fix.storeType = "memory";
    cfg.database.conninfo = db.conninfo();
    cfg.logging.level = "warn";
    return cfg;
  };
  auto first = std::make_unique<fixgw::Gateway>(makeCfg());
  first->start();
  {
    fixgw::Gateway second(makeCfg());
    try {
      second.start();
      FAIL() << "two gateways ran the same FIX sessions";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("is already run by another gateway"), std::string::npos) << what;
      EXPECT_NE(what.find("FIX.4.4:FIXGW->CLIENT1"), std::string::npos) << what;
    }
  }
  first->stop();
  first.reset();
  fixgw::Gateway third(makeCfg());
  EXPECT_NO_THROW(third.start());
  third.stop();
}

// The lease connection dies while the gateway runs (a PostgreSQL restart, an
// operator's pg_terminate_backend) and another node takes a session before
// the gateway can take it back: the gateway halts trading and says why.
TEST(GatewayLease, ALostLeaseThatAnotherNodeTookHaltsTrading) {
  fixgw::testing::PgTestSchema db;
  fixgw::config::GatewayConfig cfg =
      fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
  cfg.fix.port = fixgw::testing::pickFreePort();
  cfg.fix.storeType = "memory";
  cfg.database.conninfo = db.conninfo();
  cfg.logging.level = "warn";
  fixgw::Gateway gw(cfg);
  gw.start();
  const int pid = gw.leaseBackendPid();
  ASSERT_GT(pid, 0);
  db.query("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  // The other node: takes the first session as soon as the dead backend lets go.
  fixgw::store::SessionLease other(db.conninfo());
  other.acquire({"FIX.4.4:FIXGW->CLIENT1"}, 10'000);
  std::string state;
  for (int i = 0; i < 200 && state != "HALTED"; ++i) {
    gw.quiesce();
    Rows r = db.query(
        "SELECT to_state FROM risk_events WHERE event_type = 'STATE_CHANGE' AND scope = 'GLOBAL' "
        "ORDER BY risk_event_id DESC LIMIT 1");
    state = r.empty() ? "" : r[0][0];
    if (state != "HALTED") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(state, "HALTED");
  Rows why = db.query("SELECT reason FROM risk_events WHERE to_state = 'HALTED'");
  ASSERT_FALSE(why.empty());
  EXPECT_NE(why[0][0].find("LEASE_LOST"), std::string::npos) << why[0][0];
  gw.stop();
}
