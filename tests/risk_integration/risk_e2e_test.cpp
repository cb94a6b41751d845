// Risk end to end, with real parts only: the whole gateway (QuickFIX acceptor,
// risk, router, simulator, PostgreSQL journal) in-process with a schema of its
// own, a real QuickFIX initiator over loopback, and the kill switch driven
// through the real admin socket with its token. Checks what the client sees,
// what PostgreSQL holds (risk_events, v_positions, v_trading_states), and that
// positions and trading states come back after a restart.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>

#include "apps/admin.h"
#include "apps/gateway.h"
#include "config/config.h"
#include "risk/positions.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }
fixgw::Qty Q(const std::string& s) { return fixgw::Qty::of(s); }
fixgw::Price P(const std::string& s) { return fixgw::Price::of(s); }
using Rows = std::vector<std::vector<std::string>>;

const char* kToken = "it-test-token-5f1c";

}  // namespace

class RiskE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("FIXGW_ADMIN_TOKEN", kToken, 1);
    ::unsetenv("FIXGW_ADMIN_SOCKET");
    socket_ = "/tmp/fixgw-risk-it-" + std::to_string(::getpid()) + ".sock";
  }
  void TearDown() override {
    stopAll();
    ::unsetenv("FIXGW_ADMIN_TOKEN");
  }

  void start(std::function<void(fixgw::config::GatewayConfig&)> tweak = {}) {
    port_ = fixgw::testing::pickFreePort();
    fixgw::config::GatewayConfig cfg =
        fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg.fix.port = port_;
    cfg.fix.storeType = "memory";
    cfg.database.conninfo = db_.conninfo();
    cfg.logging.level = "warn";
    cfg.risk.adminSocketPath = socket_;
    if (tweak) tweak(cfg);
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
  }
  void stopAll() {
    if (client_) client_->logout();
    client_.reset();
    if (gw_) gw_->stop();
    gw_.reset();
  }

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
  void send(const char* id, const char* side, const char* qty, const char* px,
            const char* account) {
    OrderFields o;
    o.clOrdId = id;
    o.side = side;
    o.qty = qty;
    o.price = px;
    o.account = account;
    client_->send(client_->newOrder(o));
  }
  // Reads fills until the order is done; returns the fills as (qty, px).
  std::vector<std::pair<fixgw::Qty, fixgw::Price>> fillsUntilDone(const std::string& id,
                                                                  const std::string& total) {
    std::vector<std::pair<fixgw::Qty, fixgw::Price>> out;
    fixgw::Qty cum;
    while (cum < Q(total)) {
      FIX::Message f = er(id);
      if (!FixTestClient::has(f, 37)) break;
      if (F(f, 150) == "F" || F(f, 150) == "1" || F(f, 150) == "2") {
        out.emplace_back(Q(F(f, 32)), P(F(f, 31)));
        cum = Q(F(f, 14));
      } else if (F(f, 39) == "8" || F(f, 39) == "4") {
        ADD_FAILURE() << "order " << id << " ended early: " << FixTestClient::text(f);
        break;
      }
    }
    return out;
  }
  // Runs the fixgw binary (admin subcommands) against this gateway; returns its stdout.
  std::string cli(const std::string& args) {
    std::string cmd = "FIXGW_ADMIN_SOCKET=" + socket_ + " " + FIXGW_BINARY + " " + args +
                      " --config " + sourceDir() + "/config/fixgw.json 2>&1";
    std::string out;
    if (FILE* f = ::popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
      EXPECT_EQ(::pclose(f), 0) << cmd << "\n" << out;
    } else {
      ADD_FAILURE() << "cannot run " << cmd;
    }
    return out;
  }
  rapidjson::Document admin(const std::string& body, const std::string& token = kToken) {
    std::string resp = fixgw::admin::request(socket_, "{\"token\":\"" + token + "\"," + body + "}");
    rapidjson::Document d;
    d.Parse(resp.c_str());
    EXPECT_FALSE(d.HasParseError()) << resp;
    return d;
  }
  Rows q(const std::string& sql) {
    if (gw_) gw_->quiesce();
    return db_.query(sql);
  }

  fixgw::testing::PgTestSchema db_;
  std::string socket_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_F(RiskE2E, OrderOverTheShippedMaxQtyIsRejectedWithRuleLimitAndValue) {
  start();
  send("BIG1", "1", "1000001", "92.00", "DESK1");
  FIX::Message rej = er("BIG1");
  EXPECT_EQ(F(rej, 150), "8");
  EXPECT_EQ(F(rej, 39), "8");
  EXPECT_EQ(F(rej, 103), "3");  // order exceeds limit
  const std::string text = F(rej, 58);
  EXPECT_NE(text.find("MAX_ORDER_QTY"), std::string::npos) << text;
  EXPECT_NE(text.find("1000000"), std::string::npos) << text;
  EXPECT_NE(text.find("1000001"), std::string::npos) << text;
  Rows r =
      q("select rule, limit_value, actual_value, account, cl_ord_id from risk_events "
        "where event_type = 'REJECT'");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0],
            (std::vector<std::string>{"MAX_ORDER_QTY", "1000000", "1000001", "DESK1", "BIG1"}));
  Rows ev =
      q("select reason_code from order_events where cl_ord_id = 'BIG1' and "
        "event_type = 'REJECTED'");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0][0], "MAX_ORDER_QTY");
}

TEST_F(RiskE2E, SessionThrottleRejectsInsteadOfQueueing) {
  start([](fixgw::config::GatewayConfig& c) {
    c.risk.sessionDefaults.maxOrdersPerSec = 2;
    c.risk.throttleWindowNanos = 60'000'000'000;  // a long window: no timing in the test
  });
  send("T1", "1", "1", "92.00", "DESK1");
  send("T2", "1", "1", "92.00", "DESK1");
  send("T3", "1", "1", "92.00", "DESK1");
  EXPECT_EQ(F(er("T1"), 150), "0");
  EXPECT_EQ(F(er("T2"), 150), "0");
  FIX::Message t3 = er("T3");
  EXPECT_EQ(F(t3, 39), "8");
  EXPECT_NE(F(t3, 58).find("THROTTLE_SESSION_ORDERS"), std::string::npos) << F(t3, 58);
}

TEST_F(RiskE2E, HaltWithOpenOrdersCancelsThemAndResumeTradesAgain) {
  start();
  send("H1", "1", "10", "92.00", "DESK1");
  EXPECT_EQ(F(er("H1"), 150), "0");
  send("H2", "1", "10", "92.00", "DESK9");  // another account keeps its order
  EXPECT_EQ(F(er("H2"), 150), "0");

  auto bad = admin(R"("cmd":"state","scope":"account","key":"DESK1","state":"HALTED","who":"x")",
                   "wrong-token");
  EXPECT_FALSE(bad["ok"].GetBool());

  // The operator's way in: the fixgw CLI over the admin socket.
  const std::string out =
      cli("admin kill --account DESK1 --cancel --who it-ops "
          "--reason 'runaway strategy'");
  EXPECT_NE(out.find("\"to\":\"HALTED\""), std::string::npos) << out;
  FIX::Message pend = er("H1");
  EXPECT_EQ(F(pend, 150), "6");
  FIX::Message done = er("H1");
  EXPECT_EQ(F(done, 150), "4");
  EXPECT_EQ(F(done, 39), "4");

  send("H3", "2", "1", "92.00", "DESK1");
  FIX::Message h3 = er("H3");
  EXPECT_EQ(F(h3, 39), "8");
  EXPECT_NE(F(h3, 58).find("HALTED"), std::string::npos) << F(h3, 58);

  // Cancels are never blocked: DESK9 is active, but a halted gateway still cancels.
  admin(R"("cmd":"state","scope":"global","state":"HALTED","who":"it-ops","reason":"all stop")");
  OrderFields c;
  c.clOrdId = "H2-C";
  c.origClOrdId = "H2";
  c.qty = "10";
  client_->send(client_->cancel(c));
  EXPECT_EQ(F(er("H2-C"), 150), "6");
  EXPECT_EQ(F(er("H2-C"), 150), "4");

  admin(R"("cmd":"state","scope":"global","state":"ACTIVE","who":"it-ops","reason":"resume")");
  admin(R"("cmd":"state","scope":"account","key":"DESK1","state":"ACTIVE","who":"it-ops",)"
        R"("reason":"fixed")");
  send("H4", "1", "1", "92.00", "DESK1");
  EXPECT_EQ(F(er("H4"), 150), "0");

  Rows changes =
      q("select scope, coalesce(scope_key, ''), from_state, to_state, who, reason "
        "from risk_events where event_type = 'STATE_CHANGE' order by risk_event_id");
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0], (std::vector<std::string>{"ACCOUNT", "DESK1", "ACTIVE", "HALTED", "it-ops",
                                                  "runaway strategy"}));
  Rows cancels =
      q("select count(*) from order_events where event_type = 'RISK_CANCEL_REQUESTED' "
        "and cl_ord_id = 'H1'");
  EXPECT_EQ(cancels[0][0], "1");
  Rows states =
      q("select scope, coalesce(scope_key,''), state from v_trading_states order by 1, 2");
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0][2], "ACTIVE");
  EXPECT_EQ(states[1][2], "ACTIVE");
}

TEST_F(RiskE2E, PositionsFromFillsMatchPostgresAndSurviveARestart) {
  start();
  send("P1", "1", "250", "100.50", "DESK2");  // sweeps several ask levels
  EXPECT_EQ(F(er("P1"), 150), "0");
  auto buys = fillsUntilDone("P1", "250");
  ASSERT_FALSE(buys.empty());
  send("P2", "2", "100", "99.50", "DESK2");  // sells into the bids
  EXPECT_EQ(F(er("P2"), 150), "0");
  auto sells = fillsUntilDone("P2", "100");
  ASSERT_FALSE(sells.empty());

  // Hand-worked from the fills the client saw.
  fixgw::risk::Position expect;
  for (auto& [qty, px] : buys) expect.apply(fixgw::Side::Buy, qty, px);
  for (auto& [qty, px] : sells) expect.apply(fixgw::Side::Sell, qty, px);
  ASSERT_EQ(expect.qty, Q("150"));

  auto check = [&](const char* when) {
    auto d = admin(R"("cmd":"positions","account":"DESK2")");
    ASSERT_TRUE(d["ok"].GetBool()) << when;
    const auto& arr = d["positions"];
    ASSERT_EQ(arr.Size(), 1u) << when;
    EXPECT_EQ(Q(arr[0]["qty"].GetString()), expect.qty) << when;
    EXPECT_EQ(P(arr[0]["avg_cost"].GetString()), expect.avgCost()) << when;
    EXPECT_EQ(fixgw::Notional::of(arr[0]["realised_pnl"].GetString()), expect.realised()) << when;
  };
  check("live");
  const std::string table = cli("positions --account DESK2");
  EXPECT_NE(table.find("DESK2"), std::string::npos) << table;
  EXPECT_NE(table.find(" 150 "), std::string::npos) << table;
  Rows pg = q("select qty, avg_cost, realised_pnl from v_positions where account = 'DESK2'");
  ASSERT_EQ(pg.size(), 1u);
  EXPECT_EQ(Q(pg[0][0]), expect.qty);
  EXPECT_EQ(P(pg[0][1]), expect.avgCost());
  EXPECT_EQ(fixgw::Notional::of(pg[0][2]), expect.realised());

  admin(R"("cmd":"state","scope":"account","key":"DESK2","state":"REDUCING","who":"it-ops",)"
        R"("reason":"end of day")");
  stopAll();
  start();  // same schema: recovery replays the executions and the last states
  check("after restart");
  auto st = admin(R"("cmd":"status")");
  ASSERT_TRUE(st["ok"].GetBool());
  bool found = false;
  for (const auto& a : st["accounts"].GetArray())
    if (std::string(a["account"].GetString()) == "DESK2") {
      found = true;
      EXPECT_STREQ(a["state"].GetString(), "REDUCING");
    }
  EXPECT_TRUE(found);
  send("P3", "1", "1", "92.00", "DESK2");  // would increase a long position
  FIX::Message p3 = er("P3");
  EXPECT_EQ(F(p3, 39), "8");
  EXPECT_NE(F(p3, 58).find("REDUCE_ONLY"), std::string::npos) << F(p3, 58);
}
