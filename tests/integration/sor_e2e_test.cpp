// End to end over real QuickFIX sessions (4.4 and 4.2), the real gateway, two
// of its simulator venues (SIMA and SIMB, each on its own thread with its own
// latency and fees) and PostgreSQL: smart order routing (issue 10). A buy
// sent with ExDestination (100) "SOR" is split across the two venues at the
// best all-in price; the client sees the parent only; every child, its
// reason and every fill with the venue's fee are in PostgreSQL afterwards.
// No timing assertions: every wait has a timeout.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/support/fix_test_client.h"
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

}  // namespace

class SorE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    port_ = fixgw::testing::pickFreePort();
    cfg_ = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg_.fix.port = port_;
    cfg_.fix.storeType = "memory";
    cfg_.database.conninfo = db_.conninfo();
    cfg_.logging.level = "warn";
    // Known books: 5 levels of 100 shares a side and no random walk. As
    // shipped, SIMA's mid is one tick under AAPL's reference (asks 100.00,
    // 100.01, ...; taker 3 bps) and SIMB's at it (asks 100.01, 100.02, ...;
    // taker 0.5 bps).
    for (auto& v : cfg_.venues) {
      v.params["level_qty_lots"] = "100";
      v.params["step_interval_ms"] = "3600000";
    }
    // Two venues for this test: SIMA and SIMB, as the shipped config
    // describes them.
    std::vector<fixgw::router::SorVenueConfig> two;
    for (const auto& vc : cfg_.sor.venues)
      if (vc.venue.str() != "SIM") two.push_back(vc);
    ASSERT_EQ(two.size(), 2u) << "the shipped config lists SIMA and SIMB for the SOR";
    cfg_.sor.venues = two;
    gw_ = std::make_unique<fixgw::Gateway>(cfg_);
    gw_->start();
    client_ = std::make_unique<FixTestClient>(GetParam(), "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
  }
  void TearDown() override {
    if (client_) client_->logout();
    client_.reset();
    if (gw_) gw_->stop();
    gw_.reset();
  }

  FIX::Message sorBuy(const std::string& clOrdId, const std::string& qty, const std::string& px,
                      const std::string& tif = "0") {
    OrderFields o;
    o.clOrdId = clOrdId;
    o.qty = qty;
    o.price = px;
    o.exDestination = "SOR";
    FIX::Message m = client_->newOrder(o);
    m.setField(59, tif);
    return m;
  }
  std::optional<FIX::Message> er(const std::string& clOrdId,
                                 std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    return client_->waitForAndPop(
        [&](const FIX::Message& x) {
          return FixTestClient::msgType(x) == "8" && F(x, 11) == clOrdId;
        },
        wait);
  }
  std::vector<FIX::Message> until(const std::string& clOrdId, std::set<std::string> final,
                                  std::chrono::seconds wait = std::chrono::seconds(30)) {
    std::vector<FIX::Message> out;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = er(clOrdId, std::chrono::duration_cast<std::chrono::milliseconds>(
                               deadline - std::chrono::steady_clock::now()));
      if (!m) break;
      out.push_back(*m);
      if (final.count(F(*m, 39))) break;
    }
    return out;
  }
  Rows q(const std::string& sql) {
    gw_->quiesce();
    return db_.query(sql);
  }
  void noSessionReject() {
    auto rej = client_->waitFor(FixTestClient::isType("3"), std::chrono::milliseconds(1));
    EXPECT_FALSE(rej) << "session Reject: " << (rej ? FixTestClient::text(*rej) : "");
  }

  fixgw::testing::PgTestSchema db_;
  int port_ = 0;
  fixgw::config::GatewayConfig cfg_;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

// Buy 300 limit 100.02. All-in (price incl. the taker fee), best first:
//   SIMB 100.01 x 100 -> 100.01 x 1.00005 = 100.0150005
//   SIMB 100.02 x 100 -> 100.02 x 1.00005 = 100.025001
//   SIMA 100.00 x 100 -> 100.00 x 1.0003  = 100.03
//   (SIMA 100.01 -> 100.040003, SIMA 100.02 -> 100.050006: not needed)
// So SIMB 200 up to 100.02 and SIMA 100 up to 100.00; average price
// (100.01 + 100.02 + 100.00) x 100 / 300 = 100.01. Fees: SIMB 100.01 x 100 x
// 0.5 bp = 0.50005 and 100.02 x 100 x 0.5 bp = 0.5001; SIMA 100.00 x 100 x 3 bp
// = 3.
TEST_P(SorE2E, SplitAcrossTwoSimulatorVenuesAllInPostgres) {
  client_->send(sorBuy("SR1", "300", "100.02"));
  std::vector<FIX::Message> ers = until("SR1", {"2", "4", "8", "C"});
  ASSERT_FALSE(ers.empty()) << "no ExecutionReport for SR1";
  ASSERT_EQ(F(ers.back(), 39), "2")
      << "the parent did not fill: " << FixTestClient::text(ers.back());
  EXPECT_EQ(F(ers.front(), 39), "0");
  const std::string orderId = F(ers.front(), 37);
  std::set<std::string> lastMkts;
  int news = 0;
  for (const FIX::Message& m : ers) {
    EXPECT_EQ(F(m, 37), orderId) << "every report is about the parent";
    news += F(m, 39) == "0";
    if (!F(m, 30).empty()) lastMkts.insert(F(m, 30));
  }
  EXPECT_EQ(news, 1);
  EXPECT_EQ(lastMkts, (std::set<std::string>{"SIMA", "SIMB"}));
  EXPECT_EQ(fixgw::Qty::of(F(ers.back(), 14)), fixgw::Qty::of("300"));
  EXPECT_EQ(fixgw::Price::of(F(ers.back(), 6)), fixgw::Price::of("100.01"));

  Rows parent = q("select status, cum_qty, venue from orders where order_id = '" + orderId +
                  "' and parent_order_id is null");
  ASSERT_EQ(parent.size(), 1u);
  EXPECT_EQ(parent[0][0], "FILLED");
  EXPECT_EQ(fixgw::Qty::of(parent[0][1]), fixgw::Qty::of("300"));
  EXPECT_EQ(parent[0][2], "SOR");
  Rows children =
      q("select venue, status, qty, cum_qty, price from orders where parent_order_id = '" +
        orderId + "' order by venue");
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0][0], "SIMA");
  EXPECT_EQ(children[0][1], "FILLED");
  EXPECT_EQ(fixgw::Qty::of(children[0][3]), fixgw::Qty::of("100"));
  EXPECT_EQ(fixgw::Price::of(children[0][4]), fixgw::Price::of("100.00"));
  EXPECT_EQ(children[1][0], "SIMB");
  EXPECT_EQ(children[1][1], "FILLED");
  EXPECT_EQ(fixgw::Qty::of(children[1][3]), fixgw::Qty::of("200"));
  EXPECT_EQ(fixgw::Price::of(children[1][4]), fixgw::Price::of("100.02"));

  Rows routed = q("select text from order_events where order_id = '" + orderId +
                  "' and event_type = 'ROUTED' order by seq");
  ASSERT_EQ(routed.size(), 2u);
  EXPECT_NE(routed[0][0].find("to SIMB: sweep 1/3 of 300 left: SOR: 200 on SIMB (100 @ 100.01, "
                              "100 @ 100.02; taker fee 0.5 bps, all-in up to 100.025001)"),
            std::string::npos)
      << routed[0][0];
  EXPECT_NE(routed[1][0].find("to SIMA: sweep 1/3 of 300 left: SOR: 100 on SIMA (100 @ 100; "
                              "taker fee 3 bps, all-in up to 100.03)"),
            std::string::npos)
      << routed[1][0];

  // Every fill with the fee the venue charged, in the instrument's currency.
  Rows fees =
      q("select venue, sum(last_qty), sum(fee), min(fee_currency) from executions where "
        "order_id = '" +
        orderId + "' group by venue order by venue");
  ASSERT_EQ(fees.size(), 2u);
  EXPECT_EQ(fees[0][0], "SIMA");
  EXPECT_EQ(fixgw::Qty::of(fees[0][1]), fixgw::Qty::of("100"));
  EXPECT_EQ(fixgw::Qty::of(fees[0][2]), fixgw::Qty::of("3"));
  EXPECT_EQ(fees[0][3], "USD");
  EXPECT_EQ(fees[1][0], "SIMB");
  EXPECT_EQ(fixgw::Qty::of(fees[1][1]), fixgw::Qty::of("200"));
  EXPECT_EQ(fixgw::Qty::of(fees[1][2]), fixgw::Qty::of("1.00015"));
  noSessionReject();
}

// IOC 700 limit 100.02: the five offers at or under the limit (SIMB 100.01,
// 100.02; SIMA 100.00, 100.01, 100.02) fill 500; the remainder 200 is
// cancelled and the client hears Canceled with CumQty 500 and the reason.
TEST_P(SorE2E, IocRemainderIsCanceled) {
  client_->send(sorBuy("SR2", "700", "100.02", "3"));
  std::vector<FIX::Message> ers = until("SR2", {"2", "4", "8", "C"});
  ASSERT_FALSE(ers.empty());
  ASSERT_EQ(F(ers.back(), 39), "4") << FixTestClient::text(ers.back());
  EXPECT_EQ(fixgw::Qty::of(F(ers.back(), 14)), fixgw::Qty::of("500"));
  EXPECT_NE(F(ers.back(), 58).find("SOR: remainder 200 canceled"), std::string::npos)
      << F(ers.back(), 58);
  const std::string orderId = F(ers.front(), 37);
  Rows children = q("select venue, sum(cum_qty) from orders where parent_order_id = '" + orderId +
                    "' group by venue order by venue");
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(fixgw::Qty::of(children[0][1]), fixgw::Qty::of("300"));  // SIMA
  EXPECT_EQ(fixgw::Qty::of(children[1][1]), fixgw::Qty::of("200"));  // SIMB
  Rows done = q("select reason_code from order_events where order_id = '" + orderId +
                "' and event_type = 'ALGO_DONE'");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0][0], "CANCELED");
  noSessionReject();
}

INSTANTIATE_TEST_SUITE_P(Versions, SorE2E, ::testing::Values("FIX.4.4", "FIX.4.2"),
                         [](const auto& i) { return i.param == "FIX.4.4" ? "FIX44" : "FIX42"; });
