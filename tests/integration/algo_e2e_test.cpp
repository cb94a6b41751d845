// End to end over real QuickFIX sessions (4.4 and 4.2), the real gateway, its
// simulator venue and PostgreSQL: execution-algorithm parents (issue 10). A
// TWAP parent sent with the version's strategy tags is sliced into children
// at the simulator, the client sees only the parent (New once, each child
// fill as a parent fill), and every child is in PostgreSQL under the parent
// with the algorithm's reason. No timing assertions: every wait has a timeout.
#include <gtest/gtest.h>
#include <quickfix/Group.h>

#include <cstdlib>
#include <set>
#include <thread>

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

std::string inSeconds(int s) {
  return fixgw::formatFixTimestamp(fixgw::SystemClock::instance().wallNow() +
                                   static_cast<int64_t>(s) * 1'000'000'000LL);
}

struct Param {
  std::string name, type, value;
};

}  // namespace

class AlgoE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    port_ = fixgw::testing::pickFreePort();
    cfg_ = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg_.fix.port = port_;
    cfg_.fix.storeType = "memory";
    cfg_.database.conninfo = db_.conninfo();
    cfg_.logging.level = "warn";
    // A known book: 5 levels of 100 lots on each side, no random walk during a test.
    for (auto& v : cfg_.venues) {
      v.params["level_qty_lots"] = "100";
      v.params["step_interval_ms"] = "3600000";
    }
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
  bool is44() const { return GetParam() == "FIX.4.4"; }

  // A buy of `qty` AAPL at `px` with the strategy in the version's tags: 4.4
  // sends TargetStrategy (847) 3 and names the algorithm in the
  // StrategyParameter "Strategy" (847 is an INT of 1-3 there); 4.2 sends the
  // name in 8847.
  FIX::Message algoOrder(const std::string& clOrdId, const std::string& qty, const std::string& px,
                         const std::string& strategy, int windowSec, std::vector<Param> params) {
    OrderFields o;
    o.clOrdId = clOrdId;
    o.qty = qty;
    o.price = px;
    FIX::Message m = client_->newOrder(o);
    m.setField(126, inSeconds(windowSec));
    const int group = is44() ? 957 : 8957, name = is44() ? 958 : 8958, type = is44() ? 959 : 8959,
              value = is44() ? 960 : 8960;
    if (is44()) {
      m.setField(847, "3");
      params.insert(params.begin(), Param{"Strategy", "14", strategy});
    } else {
      m.setField(8847, strategy);
    }
    for (const Param& p : params) {
      FIX::Group g(group, name);
      g.setField(name, p.name);
      g.setField(type, p.type);
      g.setField(value, p.value);
      m.addGroup(g);
    }
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
  // ExecutionReports for clOrdId until one with OrdStatus in `final` (or
  // the timeout).
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

TEST_P(AlgoE2E, TwapParentFillsCompletelyAndEveryChildIsStoredUnderItWithItsReason) {
  // 6 s, a slice every 2 s: three children, each crossing the simulator's offers.
  client_->send(algoOrder("TW1", "100", "105.00", "TWAP", 6, {{"SliceInterval", "1", "2"}}));
  std::vector<FIX::Message> ers = until("TW1", {"2", "4", "8", "C"});
  ASSERT_FALSE(ers.empty()) << "no ExecutionReport for TW1";
  ASSERT_EQ(F(ers.back(), 39), "2")
      << "the parent did not fill: " << FixTestClient::text(ers.back());

  // The client saw the parent only: New once, then one fill report per
  // child fill with LastQty/LastPx, CumQty adding up.
  EXPECT_EQ(F(ers.front(), 39), "0") << FixTestClient::text(ers.front());
  int news = 0;
  fixgw::Qty sumLast, lastCum;
  const std::string orderId = F(ers.front(), 37);
  for (const FIX::Message& m : ers) {
    EXPECT_EQ(F(m, 37), orderId) << "every report is about the parent";
    news += F(m, 39) == "0";
    if (F(m, 32).empty() || !fixgw::Qty::of(F(m, 32)).isPositive()) continue;
    sumLast += fixgw::Qty::of(F(m, 32));
    EXPECT_FALSE(F(m, 31).empty()) << FixTestClient::text(m);
    EXPECT_EQ(fixgw::Qty::of(F(m, 14)), sumLast) << FixTestClient::text(m);
    lastCum = fixgw::Qty::of(F(m, 14));
  }
  EXPECT_EQ(news, 1);
  EXPECT_EQ(sumLast, fixgw::Qty::of("100"));
  EXPECT_EQ(lastCum, fixgw::Qty::of("100"));
  EXPECT_EQ(fixgw::Qty::of(F(ers.back(), 151)), fixgw::Qty{});

  // PostgreSQL: the parent filled, every child under it, filled, with the
  // algorithm's reason on its ROUTED event.
  Rows parent =
      q("select order_id, status, cum_qty from orders where cl_ord_id = 'TW1' and "
        "parent_order_id is null");
  ASSERT_EQ(parent.size(), 1u);
  EXPECT_EQ(parent[0][0], orderId);
  EXPECT_EQ(parent[0][1], "FILLED");
  EXPECT_EQ(fixgw::Qty::of(parent[0][2]), fixgw::Qty::of("100"));
  Rows children =
      q("select order_id, status, qty, cum_qty, venue from orders where "
        "parent_order_id = '" +
        orderId + "' order by order_id");
  ASSERT_GE(children.size(), 2u) << "a TWAP over three slices sends more than one child";
  fixgw::Qty childSum;
  for (const auto& c : children) {
    EXPECT_EQ(c[1], "FILLED") << c[0];
    EXPECT_EQ(c[2], c[3]) << c[0];
    EXPECT_EQ(c[4], "SIM") << c[0];
    childSum += fixgw::Qty::of(c[3]);
  }
  EXPECT_EQ(childSum, fixgw::Qty::of("100"));
  Rows routed = q("select child_order_id, text from order_events where order_id = '" + orderId +
                  "' and event_type = 'ROUTED' order by seq");
  ASSERT_EQ(routed.size(), children.size());
  for (const auto& r : routed) {
    EXPECT_NE(r[1].find("TWAP slice"), std::string::npos) << r[0] << ": " << r[1];
    EXPECT_EQ(r[1].rfind("to SIM: ", 0), 0u) << r[0] << ": " << r[1];
  }
  Rows done = q("select reason_code from order_events where order_id = '" + orderId +
                "' and event_type = 'ALGO_DONE'");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0][0], "FILLED");
  noSessionReject();
}

TEST_P(AlgoE2E, ParentCancelMidFlightEndsWithTheChildrenDone) {
  // Resting children (a limit below the offers), a slice every 5 s over 60 s.
  client_->send(algoOrder("TC1", "120", "95.00", "TWAP", 60, {{"SliceInterval", "1", "5"}}));
  auto ack = er("TC1");
  ASSERT_TRUE(ack);
  ASSERT_EQ(F(*ack, 39), "0") << FixTestClient::text(*ack);
  const std::string orderId = F(*ack, 37);
  // Wait until the first child is at the venue (its ROUTED row), with a timeout.
  for (int i = 0; i < 100; ++i) {
    if (!q("select 1 from orders where parent_order_id = '" + orderId + "'").empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  OrderFields c;
  c.clOrdId = "TC1x";
  c.origClOrdId = "TC1";
  c.qty = "120";
  c.price = "95.00";
  client_->send(client_->cancel(c));
  std::vector<FIX::Message> ers = until("TC1x", {"4"});
  ASSERT_FALSE(ers.empty());
  EXPECT_EQ(F(ers.back(), 39), "4") << FixTestClient::text(ers.back());
  EXPECT_EQ(F(ers.back(), 41), "TC1");
  Rows live = q("select order_id, status from orders where parent_order_id = '" + orderId +
                "' and status not in ('CANCELED', 'FILLED', 'REJECTED', 'EXPIRED')");
  EXPECT_TRUE(live.empty()) << live.size() << " child(ren) still open, e.g. "
                            << (live.empty() ? "" : live[0][0] + " " + live[0][1]);
  EXPECT_FALSE(q("select 1 from orders where parent_order_id = '" + orderId + "'").empty());
  noSessionReject();
}

TEST_P(AlgoE2E, ABadStrategyParameterIsAnOrderRejectNamingTheTag) {
  client_->send(algoOrder("TB1", "100", "105.00", "TWAP", 6, {{"SliceInterval", "14", "2"}}));
  auto r = er("TB1");
  ASSERT_TRUE(r);
  EXPECT_EQ(F(*r, 39), "8") << FixTestClient::text(*r);
  const std::string typeTag = is44() ? "(959)" : "(8959)";
  EXPECT_NE(F(*r, 58).find("StrategyParameterType " + typeTag), std::string::npos) << F(*r, 58);

  // POV without its ParticipationRate (849 / 8849).
  client_->send(algoOrder("TB2", "100", "105.00", "POV", 6, {}));
  auto p = er("TB2");
  ASSERT_TRUE(p);
  EXPECT_EQ(F(*p, 39), "8") << FixTestClient::text(*p);
  EXPECT_NE(F(*p, 58).find(is44() ? "ParticipationRate (849)" : "ParticipationRate (8849)"),
            std::string::npos)
      << F(*p, 58);
  noSessionReject();
}

INSTANTIATE_TEST_SUITE_P(Versions, AlgoE2E, ::testing::Values("FIX.4.4", "FIX.4.2"),
                         [](const auto& i) { return i.param == "FIX.4.4" ? "FIX44" : "FIX42"; });
