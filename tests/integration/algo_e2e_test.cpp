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
  // rate: ParticipationRate (849; 8849 on 4.2).
  FIX::Message algoOrder(const std::string& clOrdId, const std::string& qty, const std::string& px,
                         const std::string& strategy, int windowSec, std::vector<Param> params,
                         const std::string& rate = {}) {
    OrderFields o;
    o.clOrdId = clOrdId;
    o.qty = qty;
    o.price = px;
    FIX::Message m = client_->newOrder(o);
    m.setField(126, inSeconds(windowSec));
    if (!rate.empty()) m.setField(is44() ? 849 : 8849, rate);
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
  void expectFilledWithChildrenInDb(const std::string& clOrdId, const std::string& qty,
                                    const std::string& reason);
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

// What every completely filled algo parent must show in PostgreSQL: the
// parent FILLED at `qty`, more than one child, every child under it FILLED at
// SIM with its own qty, their fills adding up to the parent's (never more),
// and each child's ROUTED event carrying the algorithm's reason (`reason`).
void AlgoE2E::expectFilledWithChildrenInDb(const std::string& clOrdId, const std::string& qty,
                                           const std::string& reason) {
  Rows parent = q("select order_id, status, cum_qty from orders where cl_ord_id = '" + clOrdId +
                  "' and parent_order_id is null");
  ASSERT_EQ(parent.size(), 1u);
  const std::string orderId = parent[0][0];
  EXPECT_EQ(parent[0][1], "FILLED");
  EXPECT_EQ(fixgw::Qty::of(parent[0][2]), fixgw::Qty::of(qty));
  Rows children =
      q("select order_id, status, qty, cum_qty, venue from orders where "
        "parent_order_id = '" +
        orderId + "' order by order_id");
  ASSERT_GE(children.size(), 2u) << clOrdId << " should have been worked in several children";
  fixgw::Qty childSum;
  for (const auto& c : children) {
    EXPECT_EQ(c[1], "FILLED") << c[0];
    EXPECT_EQ(c[2], c[3]) << c[0];
    EXPECT_EQ(c[4], "SIM") << c[0];
    childSum += fixgw::Qty::of(c[3]);
  }
  EXPECT_EQ(childSum, fixgw::Qty::of(qty));
  Rows routed = q("select child_order_id, text from order_events where order_id = '" + orderId +
                  "' and event_type = 'ROUTED' order by seq");
  ASSERT_EQ(routed.size(), children.size());
  for (const auto& r : routed) {
    EXPECT_EQ(r[1].rfind("to SIM: " + reason, 0), 0u) << r[0] << ": " << r[1];
    bool known = false;
    for (const auto& c : children) known = known || c[0] == r[0];
    EXPECT_TRUE(known) << "ROUTED names child " << r[0] << " which is not under the parent";
  }
  Rows fills =
      q("select coalesce(sum(last_qty), 0) from executions where order_id = '" + orderId + "'");
  EXPECT_EQ(fixgw::Qty::of(fills[0][0]), fixgw::Qty::of(qty));
  Rows done = q("select reason_code from order_events where order_id = '" + orderId +
                "' and event_type = 'ALGO_DONE'");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0][0], "FILLED");
}

// The minute-long TWAP (about 60 s of wall time per FIX version; the
// name carries "Long60s" so a quick run can leave it out with
// `ctest -E Long60s`, and `ctest -j` runs the versions side by side: each
// test has its own gateway, port and schema).
TEST_P(AlgoE2E, Long60sTwapParentSlicesOverAMinuteAndFillsCompletely) {
  client_->send(algoOrder("TL1", "120", "105.00", "TWAP", 60, {{"SliceInterval", "1", "10"}}));
  std::vector<FIX::Message> ers = until("TL1", {"2", "4", "8", "C"}, std::chrono::seconds(90));
  ASSERT_FALSE(ers.empty());
  ASSERT_EQ(F(ers.back(), 39), "2") << FixTestClient::text(ers.back());
  EXPECT_EQ(fixgw::Qty::of(F(ers.back(), 14)), fixgw::Qty::of("120"));
  expectFilledWithChildrenInDb("TL1", "120", "TWAP slice ");
  // Six slices of 20, one every 10 s: the last is due 50 s after the start,
  // so it went out well over 45 s after the first (a lower bound on the
  // schedule, not a speed: a loaded machine only makes the span longer,
  // unless the first slice itself came late, hence the slack).
  Rows span =
      q("select count(*), extract(epoch from max(event_time) - min(event_time)) from order_events "
        "where event_type = 'ROUTED' and order_id = (select order_id from orders where cl_ord_id = "
        "'TL1' and parent_order_id is null)");
  ASSERT_EQ(span.size(), 1u);
  EXPECT_EQ(span[0][0], "6");
  EXPECT_GE(std::stod(span[0][1]), 45.0) << "slices were sent ahead of the schedule";
  noSessionReject();
}

TEST_P(AlgoE2E, PovParentFollowsTheMarketsPrintsAndFillsCompletely) {
  // POV 100 at half the market's volume. The market is another order on
  // the same simulator: its prints (and the parent's own) are the volume.
  client_->send(algoOrder("PV1", "100", "105.00", "POV", 60, {}, "0.5"));
  auto ack = er("PV1");
  ASSERT_TRUE(ack);
  ASSERT_EQ(F(*ack, 39), "0") << FixTestClient::text(*ack);
  auto market = [&](const std::string& id) {
    OrderFields o;
    o.clOrdId = id;
    o.qty = "100";
    o.price = "105.00";
    client_->send(client_->newOrder(o));
    auto r = until(id, {"2", "4", "8"});
    ASSERT_FALSE(r.empty());
    ASSERT_EQ(F(r.back(), 39), "2") << FixTestClient::text(r.back());
  };
  // 100 prints: the parent works toward half of all volume, its own prints
  // included (50, then 25 more, ...), and stalls just short of 100.
  market("MKT1");
  // 100 more: the target is over the order; the parent completes.
  market("MKT2");
  std::vector<FIX::Message> ers = until("PV1", {"2", "4", "8", "C"});
  ASSERT_FALSE(ers.empty());
  ASSERT_EQ(F(ers.back(), 39), "2") << FixTestClient::text(ers.back());
  EXPECT_EQ(fixgw::Qty::of(F(ers.back(), 14)), fixgw::Qty::of("100"));
  expectFilledWithChildrenInDb("PV1", "100", "POV 0.5 of volume: ");
  noSessionReject();
}

TEST_P(AlgoE2E, IcebergParentShowsMaxFloorAtATimeAndFillsCompletely) {
  // 250 shown 100 at a time (MaxFloor 111): 100, 100, then the last 50.
  FIX::Message m = algoOrder("IB1", "250", "105.00", "ICEBERG", 60, {});
  m.setField(111, "100");
  client_->send(m);
  std::vector<FIX::Message> ers = until("IB1", {"2", "4", "8", "C"});
  ASSERT_FALSE(ers.empty());
  ASSERT_EQ(F(ers.back(), 39), "2") << FixTestClient::text(ers.back());
  EXPECT_EQ(fixgw::Qty::of(F(ers.back(), 14)), fixgw::Qty::of("250"));
  expectFilledWithChildrenInDb("IB1", "250", "ICEBERG: show ");
  Rows sizes =
      q("select qty from orders where parent_order_id = (select order_id from orders "
        "where cl_ord_id = 'IB1' and parent_order_id is null) order by order_id");
  for (const auto& r : sizes)
    EXPECT_LE(fixgw::Qty::of(r[0]), fixgw::Qty::of("100")) << "no child shows more than MaxFloor";
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
