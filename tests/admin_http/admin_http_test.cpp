// The admin HTTP API end to end: the whole gateway in-process (QuickFIX
// acceptor, risk, router, simulator, PostgreSQL journal in a schema of its
// own), real HTTP requests over loopback, a real QuickFIX initiator for the
// orders, and PostgreSQL checked for what operators did. Bad input on every
// surface gets its status and the server keeps answering others.
#include "apps/admin_http.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "apps/admin.h"
#include "apps/gateway.h"
#include "config/config.h"
#include "tests/admin_http/http_client.h"
#include "tests/binance/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/binance/emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::http;
using fixgw::testing::HttpReply;
using fixgw::testing::OrderFields;
using fixgw::testing::rawHttp;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

const char* kOps = "ops-token-5b9d0c2e7f314a68";
const char* kViewer = "viewer-token-0e4f8a1d2c3b5a79";
const char* kSocketToken = "sock-token-77aa";

rapidjson::Document json(const HttpReply& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  EXPECT_FALSE(d.HasParseError()) << r.status << " " << r.body;
  return d;
}
std::string s(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  if (it == v.MemberEnd() || !it->value.IsString()) return "<absent>";
  return it->value.GetString();
}

}  // namespace

class AdminHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    // The viewer's secret is configured as its SHA-256 only.
    std::string tokens = std::string("ops operator ") + kOps +
                         ";viewer read sha256:" + fixgw::admin::sha256Hex(kViewer);
    ::setenv("FIXGW_ADMIN_HTTP_TOKENS", tokens.c_str(), 1);
    ::setenv("FIXGW_ADMIN_TOKEN", kSocketToken, 1);
    socket_ = "/tmp/fixgw-adminhttp-" + std::to_string(::getpid()) + ".sock";
  }
  void TearDown() override {
    if (client_) client_->logout();
    client_.reset();
    if (gw_) gw_->stop();
    gw_.reset();
    ::unsetenv("FIXGW_ADMIN_HTTP_TOKENS");
    ::unsetenv("FIXGW_ADMIN_TOKEN");
  }

  void start(std::function<void(fixgw::config::GatewayConfig&)> tweak = {}) {
    fixPort_ = fixgw::testing::pickFreePort();
    fixgw::config::GatewayConfig cfg =
        fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg.fix.port = fixPort_;
    cfg.fix.storeType = "memory";
    cfg.database.conninfo = db_.conninfo();
    cfg.logging.level = "warn";
    cfg.risk.adminSocketPath = socket_;
    cfg.adminHttp.enabled = true;
    cfg.adminHttp.port = 0;
    cfg.adminHttp.tokensFile.clear();
    if (tweak) tweak(cfg);
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    port_ = gw_->adminHttpPort();
    ASSERT_GT(port_, 0) << "the admin HTTP server did not start";
    client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", fixPort_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
  }

  FIX::Message er(const std::string& clOrdId, const std::string& execType) {
    auto m = client_->waitForAndPop([&](const FIX::Message& x) {
      return FixTestClient::msgType(x) == "8" && F(x, 11) == clOrdId && F(x, 150) == execType;
    });
    if (!m) {
      ADD_FAILURE() << "no ExecutionReport 150=" << execType << " for ClOrdID " << clOrdId;
      return FIX::Message();
    }
    return *m;
  }
  void send(const std::string& id, const std::string& account, const std::string& qty = "100",
            const std::string& px = "100.25", const std::string& side = "1") {
    OrderFields o;
    o.clOrdId = id;
    o.account = account;
    o.qty = qty;
    o.price = px;
    o.side = side;
    client_->send(client_->newOrder(o));
  }
  HttpReply get(const std::string& path, const std::string& token = kOps) {
    return http(port_, "GET", path, token);
  }
  HttpReply post(const std::string& path, const std::string& body,
                 const std::string& token = kOps) {
    return http(port_, "POST", path, token, body);
  }
  // The server still answers an ordinary request (after a hostile one).
  void expectStillServing() {
    HttpReply r = get("/api/status");
    EXPECT_EQ(r.status, 200) << r.body;
  }

  fixgw::testing::PgTestSchema db_;
  std::string socket_;
  int fixPort_ = 0, port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_F(AdminHttp, HealthAndReadinessAnswerWithoutAToken) {
  start();
  HttpReply h = http(port_, "GET", "/health");
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(s(json(h), "status"), "up");
  HttpReply r = http(port_, "GET", "/ready");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json(r)["ready"].GetBool());
}

TEST_F(AdminHttp, MissingOrWrongTokenIs401AndNothingLeaks) {
  start();
  HttpReply none = http(port_, "GET", "/api/status");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer realm=\"fixgw\"");
  EXPECT_NE(s(json(none), "error").find("missing bearer token"), std::string::npos);
  HttpReply wrong = get("/api/status", "ops-token-5b9d0c2e7f314a6X");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(s(json(wrong), "error"), "unknown or revoked token");
  // The hash of a token is not a token.
  EXPECT_EQ(get("/api/status", fixgw::admin::sha256Hex(kViewer)).status, 401);
  HttpReply metrics = http(port_, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 401);
  expectStillServing();
}

TEST_F(AdminHttp, ReadTokenReadsButCannotActOperatorActsAndIsJournaledByName) {
  start();
  EXPECT_EQ(get("/api/risk", kViewer).status, 200);
  HttpReply denied =
      post("/api/risk/state", R"({"scope":"account","key":"DESK1","state":"HALTED"})", kViewer);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_NE(s(json(denied), "error").find("needs an operator token; token 'viewer'"),
            std::string::npos)
      << denied.body;
  EXPECT_EQ(post("/api/config/reload", "", kViewer).status, 403);
  EXPECT_EQ(post("/api/sessions/FIX.4.4%3AFIXGW-%3ECLIENT1/logout", "", kViewer).status, 403);

  HttpReply ok =
      post("/api/risk/state",
           R"({"scope":"account","key":"DESK1","state":"HALTED","reason":"desk review"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto d = json(ok);
  EXPECT_EQ(s(d, "from"), "ACTIVE");
  EXPECT_EQ(s(d, "to"), "HALTED");
  EXPECT_EQ(s(d, "who"), "ops");

  // The next order of the halted account is rejected over FIX.
  send("H1", "DESK1");
  FIX::Message rej = er("H1", "8");
  EXPECT_NE(F(rej, 58).find("HALTED"), std::string::npos) << F(rej, 58);
  // Another account still trades.
  send("A1", "DESK2");
  er("A1", "0");

  gw_->quiesce();
  auto rows = db_.query(
      "select who, reason, to_state from risk_events where event_type = 'STATE_CHANGE' and "
      "scope_key = 'DESK1'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"ops", "desk review", "HALTED"}));
  // Visible as a risk state with who and why.
  HttpReply risk = get("/api/risk", kViewer);
  EXPECT_NE(risk.body.find("\"DESK1\""), std::string::npos) << risk.body;
  EXPECT_NE(risk.body.find("desk review"), std::string::npos) << risk.body;
}

TEST_F(AdminHttp, CancelAllHaltsTheScopeAndCancelsItsOpenOrders) {
  start();
  // Far from the market: rests open on the simulator.
  send("R1", "DESK3", "10", "95.00");
  er("R1", "0");
  HttpReply r = post("/api/risk/cancel-all", R"({"scope":"account","key":"DESK3"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json(r)["cancel_open_orders"].GetBool());
  er("R1", "4");
  HttpReply bad = post("/api/risk/cancel-all", R"({"scope":"account"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(s(json(bad), "error").find("key (the account"), std::string::npos) << bad.body;
}

TEST_F(AdminHttp, CancelAllWithHaltFalseCancelsButKeepsTheScopeTrading) {
  start();
  send("NH1", "DESK4", "10", "95.00");
  er("NH1", "0");
  send("NH2", "DESK5", "10", "95.00");  // another account: untouched
  er("NH2", "0");
  HttpReply r = post("/api/risk/cancel-all?halt=false", R"({"scope":"account","key":"DESK4"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = json(r);
  EXPECT_FALSE(d["halt"].GetBool());
  EXPECT_EQ(d["canceled"].GetUint64(), 1u);
  EXPECT_EQ(s(d, "state"), "ACTIVE");
  er("NH1", "4");
  // Still trading: the next order of the account is accepted, not rejected as HALTED.
  send("NH3", "DESK4", "10", "95.00");
  er("NH3", "0");
  HttpReply risk = get("/api/risk", kViewer);
  EXPECT_EQ(risk.body.find("\"account\":\"DESK4\",\"state\":\"HALTED\""), std::string::npos)
      << risk.body;
  // Journaled with the token's name; no state change recorded.
  gw_->quiesce();
  auto rows = db_.query(
      "select who, scope_key from risk_events where event_type = 'ADMIN_ACTION' and rule = "
      "'CANCEL_ALL'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "ops");
  EXPECT_EQ(rows[0][1], "DESK4");
  EXPECT_TRUE(
      db_.query("select 1 from risk_events where event_type = 'STATE_CHANGE' and scope_key = "
                "'DESK4'")
          .empty());
  // A bad value names the parameter.
  HttpReply bad =
      post("/api/risk/cancel-all", R"({"scope":"account","key":"DESK4","halt":"maybe"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(s(json(bad), "error").find("halt must be true or false"), std::string::npos)
      << bad.body;
  // NH2 (DESK5) still rests.
  HttpReply open = get("/api/orders?state=open&account=DESK5", kViewer);
  EXPECT_NE(open.body.find("NH2"), std::string::npos) << open.body;
}

TEST_F(AdminHttp, CliCancelAllHaltsByDefaultAndNotWithNoHalt) {
  start();
  auto cli = [&](const std::string& args) {
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
  };
  send("C1", "DESK6", "10", "95.00");
  er("C1", "0");
  std::string out = cli("admin cancel-all --account DESK6 --no-halt --who cli-op");
  EXPECT_NE(out.find("\"halt\":false"), std::string::npos) << out;
  er("C1", "4");
  send("C2", "DESK6", "10", "95.00");
  er("C2", "0");  // accepted: not halted
  out = cli("admin cancel-all --account DESK6 --who cli-op");
  EXPECT_NE(out.find("\"to\":\"HALTED\""), std::string::npos) << out;
  er("C2", "4");
  send("C3", "DESK6", "10", "95.00");
  er("C3", "8");  // halted: rejected
}

TEST_F(AdminHttp, OrdersLiveAndFromPostgresWithEventsAndChildren) {
  start();
  send("O1", "DESK1", "100", "100.25");
  er("O1", "0");
  send("O2", "DESK2", "5", "95.00", "1");
  er("O2", "0");
  gw_->quiesce();

  HttpReply live = get("/api/orders?state=open&account=DESK2", kViewer);
  ASSERT_EQ(live.status, 200) << live.body;
  auto l = json(live);
  EXPECT_EQ(s(l, "source"), "live");
  ASSERT_EQ(l["orders"].Size(), 1u) << live.body;
  EXPECT_EQ(s(l["orders"][0], "cl_ord_id"), "O2");
  const std::string orderId = s(l["orders"][0], "order_id");

  HttpReply hist = get("/api/orders?symbol=AAPL&limit=10", kViewer);
  ASSERT_EQ(hist.status, 200) << hist.body;
  auto h = json(hist);
  EXPECT_EQ(s(h, "source"), "db");
  EXPECT_EQ(h["orders"].Size(), 2u) << hist.body;
  HttpReply one = get("/api/orders?account=DESK1&from=2000-01-01T00:00:00Z", kViewer);
  EXPECT_EQ(json(one)["orders"].Size(), 1u) << one.body;
  HttpReply none = get("/api/orders?account=DESK1&to=2000-01-01T00:00:00Z", kViewer);
  EXPECT_EQ(json(none)["orders"].Size(), 0u) << none.body;

  HttpReply detail = get("/api/orders/" + orderId, kViewer);
  ASSERT_EQ(detail.status, 200) << detail.body;
  auto dd = json(detail);
  EXPECT_EQ(s(dd["order"], "cl_ord_id"), "O2");
  ASSERT_EQ(dd["children"].Size(), 1u) << detail.body;
  EXPECT_EQ(s(dd["children"][0], "venue"), "SIM");
  ASSERT_GE(dd["events"].Size(), 2u) << detail.body;
  EXPECT_EQ(s(dd["events"][0], "event_type"), "RECEIVED");
  // A direct order: its ROUTED line has no row (schema 0021); the events come from
  // v_order_lifecycle, which shows it, naming the child the order's children list has.
  EXPECT_EQ(s(dd["events"][1], "event_type"), "ROUTED") << detail.body;
  EXPECT_EQ(s(dd["events"][1], "text"), "to SIM") << detail.body;
  const std::string childId = s(dd["children"][0], "child_order_id") != "<absent>"
                                  ? s(dd["children"][0], "child_order_id")   // the engine's view
                                  : s(dd["children"][0], "order_id");        // the rows'
  EXPECT_EQ(s(dd["events"][1], "child_order_id"), childId) << detail.body;
  EXPECT_EQ(std::stoll(s(dd["events"][1], "seq")), std::stoll(s(dd["events"][0], "seq")) + 1);

  EXPECT_EQ(get("/api/orders/NO-SUCH-ORDER", kViewer).status, 404);
  HttpReply badState = get("/api/orders?state=SLEEPING", kViewer);
  EXPECT_EQ(badState.status, 400);
  EXPECT_NE(s(json(badState), "error").find("state: 'SLEEPING'"), std::string::npos);
  HttpReply badTime = get("/api/orders?from=yesterday-ish", kViewer);
  EXPECT_EQ(badTime.status, 400);
  EXPECT_NE(s(json(badTime), "error").find("from: 'yesterday-ish' is not a timestamp"),
            std::string::npos)
      << badTime.body;
  EXPECT_EQ(get("/api/orders?limit=0", kViewer).status, 400);
}

TEST_F(AdminHttp, SessionsShowStateAndSequenceAndAnOperatorLogsOneOut) {
  start();
  HttpReply r = get("/api/sessions", kViewer);
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = json(r);
  bool found = false;
  for (const auto& x : d["sessions"].GetArray()) {
    if (s(x, "session") != "FIX.4.4:FIXGW->CLIENT1") continue;
    found = true;
    EXPECT_EQ(s(x, "state"), "LOGGED_ON");
    EXPECT_GE(x["next_sender_seq"].GetInt(), 2);
    EXPECT_GE(x["next_target_seq"].GetInt(), 2);
    EXPECT_GE(x["messages_in"].GetUint64(), 1u);
    EXPECT_NE(s(x, "last_message_in"), "");
  }
  EXPECT_TRUE(found) << r.body;

  HttpReply unknown = post("/api/sessions/FIX.4.4%3AFIXGW-%3ENOBODY/logout", "");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  HttpReply badAction = post("/api/sessions/FIX.4.4%3AFIXGW-%3ECLIENT1/explode", "");
  EXPECT_EQ(badAction.status, 400) << badAction.body;
  HttpReply badSeq =
      post("/api/sessions/FIX.4.4%3AFIXGW-%3ECLIENT1/sequence", R"({"next_sender_seq":"x"})");
  EXPECT_EQ(badSeq.status, 400) << badSeq.body;

  HttpReply out =
      post("/api/sessions/FIX.4.4%3AFIXGW-%3ECLIENT1/logout", R"({"reason":"end of day"})");
  ASSERT_EQ(out.status, 200) << out.body;
  auto lo = client_->waitFor(FixTestClient::isType("5"));
  ASSERT_TRUE(lo) << "the client got no Logout";
  EXPECT_EQ(F(*lo, 58), "end of day");
  gw_->quiesce();
  auto rows =
      db_.query("select rule, who, scope_key from risk_events where event_type = 'ADMIN_ACTION'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"FIX_SESSION_LOGOUT", "ops", "FIX.4.4:FIXGW->CLIENT1"}));
  // Re-enabled: the session accepts a logon again.
  EXPECT_EQ(post("/api/sessions/FIX.4.4%3AFIXGW-%3ECLIENT1/logon", "").status, 200);
}

TEST_F(AdminHttp, VenuesPositionsAndReload) {
  start();
  send("V1", "DESK1", "10", "100.25");
  er("V1", "0");
  HttpReply v = get("/api/venues", kViewer);
  ASSERT_EQ(v.status, 200) << v.body;
  auto vd = json(v);
  // Every venue of config/fixgw.json is listed; the order went to SIM.
  std::vector<std::string> names;
  const rapidjson::Value* sim = nullptr;
  for (const auto& ven : vd["venues"].GetArray()) {
    names.push_back(s(ven, "venue"));
    if (names.back() == "SIM") sim = &ven;
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"SIM", "SIMA", "SIMB"})) << v.body;
  ASSERT_NE(sim, nullptr) << v.body;
  EXPECT_TRUE((*sim)["connected"].GetBool());
  EXPECT_GE((*sim)["round_trips"].GetUint64(), 1u) << v.body;
  EXPECT_TRUE((*sim)["rate_limit_headroom"].IsNull());

  HttpReply p = get("/api/positions", kViewer);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(json(p)["positions"].IsArray());

  HttpReply rl = post("/api/config/reload", "");
  // Started from config/fixgw.json: the risk section is re-read.
  ASSERT_EQ(rl.status, 200) << rl.body;
  EXPECT_NE(rl.body.find("\"reloaded\":[\"risk\"]"), std::string::npos) << rl.body;
  gw_->quiesce();
  auto rows = db_.query("select who from risk_events where event_type = 'CONFIG_RELOAD'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "ops");
}

TEST_F(AdminHttp, HostileRequestsGetTheirStatusAndTheServerKeepsServing) {
  start([](fixgw::config::GatewayConfig& c) {
    c.adminHttp.requestTimeoutMs = 1500;
    c.adminHttp.maxBodyBytes = 4096;
  });
  // Unknown route, wrong method.
  HttpReply nf = get("/api/nothing-here");
  EXPECT_EQ(nf.status, 404);
  EXPECT_NE(s(json(nf), "error").find("no route for GET /api/nothing-here"), std::string::npos);
  EXPECT_EQ(http(port_, "GET", "/etc/passwd").status, 404);
  EXPECT_EQ(http(port_, "GET", "/ui/../../etc/passwd").status, 404);
  EXPECT_EQ(http(port_, "DELETE", "/api/status", kOps).status, 405);
  // Malformed HTTP.
  HttpReply garbage = rawHttp(port_, "HELLO THERE\r\n\r\n");
  EXPECT_EQ(garbage.status, 400) << garbage.body;
  EXPECT_NE(garbage.body.find("malformed HTTP request"), std::string::npos);
  HttpReply badLen = rawHttp(port_,
                             "POST /api/risk/state HTTP/1.1\r\nHost: x\r\nContent-Length: "
                             "abc\r\n\r\n");
  EXPECT_EQ(badLen.status, 400);
  // A body that is not JSON, and one over the limit.
  HttpReply notJson = post("/api/risk/state", "{nope");
  EXPECT_EQ(notJson.status, 400);
  EXPECT_EQ(s(json(notJson), "error"), "request body is not a JSON object");
  HttpReply big = post("/api/risk/state", std::string(100000, 'x'));
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_NE(big.body.find("over the limit of 4096 bytes"), std::string::npos) << big.body;
  // Wrong types in the body name the field.
  HttpReply badType = post("/api/risk/state", R"({"scope":"account","key":"D","cancel":"maybe"})");
  EXPECT_EQ(badType.status, 400);
  EXPECT_NE(s(json(badType), "error").find("cancel must be true or false"), std::string::npos);

  // Slowloris: a header trickled in and never finished gets 408; meanwhile
  // others are served.
  int slow = fixgw::testing::connectLoopback(port_);
  ASSERT_GE(slow, 0);
  const std::string part = "GET /api/status HTTP/1.1\r\nHost: 127";
  for (char c : part) {
    ASSERT_EQ(::send(slow, &c, 1, MSG_NOSIGNAL), 1);
    EXPECT_EQ(http(port_, "GET", "/health").status, 200);
    if (c == ':') break;
  }
  std::string got;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(slow, buf, sizeof buf, 0);  // the server's deadline ends this
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(slow);
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_NE(got.find("request not received in time"), std::string::npos) << got;
  // A connection that sends nothing at all is cut off the same way.
  HttpReply silent = rawHttp(port_, "");
  EXPECT_EQ(silent.status, 408);
  expectStillServing();
}

TEST_F(AdminHttp, MetricsInPrometheusTextFormat) {
  start();
  send("M1", "DESK1", "10", "100.25");
  er("M1", "0");
  send("M2", "DESK1", "1000001", "100.25");  // over max_order_qty
  er("M2", "8");
  gw_->quiesce();
  HttpReply m = get("/metrics", kViewer);
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& b = m.body;
  for (const char* needle :
       {"# TYPE fixgw_fix_messages_total counter",
        "fixgw_fix_messages_total{session=\"FIX.4.4:FIXGW->CLIENT1\",direction=\"in\"}",
        "# TYPE fixgw_ack_latency_seconds histogram",
        "fixgw_ack_latency_seconds_bucket{le=\"+Inf\"}",
        "fixgw_rejects_total{reason=\"MAX_ORDER_QTY\"}", "fixgw_orders_total{outcome=\"accepted\"}",
        "fixgw_orders_total{outcome=\"rejected\"}",
        "fixgw_venue_round_trip_seconds_count{venue=\"SIM\"}", "fixgw_journal_commit_seconds_count",
        "fixgw_risk_check_seconds_count", "fixgw_journal_queue_depth ", "fixgw_fix_sessions_up 1",
        "fixgw_venue_connected{venue=\"SIM\"} 1"})
    EXPECT_NE(b.find(needle), std::string::npos) << needle << "\n" << b;
  // Every histogram's count agrees with its +Inf bucket, and counts are non-zero where events
  // happened.
  auto value = [&](const std::string& series) -> long long {
    auto p = b.find(series + " ");
    if (p == std::string::npos) return -1;
    return std::atoll(b.c_str() + p + series.size() + 1);
  };
  EXPECT_GE(value("fixgw_ack_latency_seconds_count"), 2);
  EXPECT_EQ(value("fixgw_ack_latency_seconds_count"),
            value("fixgw_ack_latency_seconds_bucket{le=\"+Inf\"}"));
  EXPECT_GE(value("fixgw_risk_check_seconds_count"), 2);
  EXPECT_GE(value("fixgw_journal_commit_seconds_count"), 1);
}

TEST_F(AdminHttp, LiveEventsStreamReportsToTheBlotter) {
  start();
  int fd = fixgw::testing::connectLoopback(port_);
  ASSERT_GE(fd, 0);
  std::string req = std::string("GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
                    kViewer + "\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // Wait for the stream's opening comment so the subscription exists before the order.
  while (got.find(": fixgw events") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ASSERT_NE(got.find("Content-Type: text/event-stream"), std::string::npos) << got;
  send("E1", "DESK1", "10", "100.25");
  while (got.find("\"cl_ord_id\":\"E1\"") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_NE(got.find("event: report\ndata: {\"order_id\""), std::string::npos) << got;
  EXPECT_NE(got.find("\"cl_ord_id\":\"E1\""), std::string::npos) << got;
}

TEST_F(AdminHttp, TheUnixSocketCliUsesTheSameHandlers) {
  start();
  auto ask = [&](const std::string& body) {
    std::string resp = fixgw::admin::request(
        socket_, std::string("{\"token\":\"") + kSocketToken + "\"," + body + "}");
    rapidjson::Document d;
    d.Parse(resp.c_str());
    EXPECT_FALSE(d.HasParseError()) << resp;
    return d;
  };
  auto sessions = ask(R"("cmd":"sessions")");
  ASSERT_TRUE(sessions["ok"].GetBool());
  EXPECT_GE(sessions["sessions"].Size(), 1u);
  auto st =
      ask(R"("cmd":"state","scope":"account","key":"DESK9","state":"REDUCING","who":"cli-op")");
  ASSERT_TRUE(st["ok"].GetBool());
  EXPECT_EQ(s(st, "who"), "cli-op");
  // The HTTP view sees the socket's change: one engine, one handler layer.
  HttpReply r = get("/api/risk", kViewer);
  EXPECT_NE(r.body.find("\"account\":\"DESK9\",\"state\":\"REDUCING\""), std::string::npos)
      << r.body;
  auto bad = ask(R"("cmd":"state","scope":"account","key":"DESK9","state":"HALTED")");
  EXPECT_FALSE(bad["ok"].GetBool());
  EXPECT_NE(s(bad, "error").find("who is required"), std::string::npos);
}

// Rate-limit headroom end to end: a Binance venue (its emulator over HTTPS on
// loopback) beside the simulators; after an order through it, /api/venues
// shows the emulator's own counters and /metrics the gauges.
TEST_F(AdminHttp, VenuesShowRateLimitHeadroomOfAnEmulatorVenue) {
  fixgw::binance::BinanceEmulator emu(fixgw::binance::EmulatorOptions{
      "admin-e2e-key", "admin-e2e-secret", binanceTestData("exchange_info.json"), nullptr});
  emu.start();
  emu.setLastPrice("BTCUSDT", fixgw::Price::of("60000"));
  const auto dir =
      std::filesystem::temp_directory_path() / ("fixgw-admin-rl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ca.pem") << emu.certPem();
  ::setenv("FIXGW_ADMIN_E2E_BINANCE_KEY", "admin-e2e-key", 1);
  ::setenv("FIXGW_ADMIN_E2E_BINANCE_SECRET", "admin-e2e-secret", 1);
  start([&](fixgw::config::GatewayConfig& c) {
    fixgw::Instrument btc;
    btc.symbol = fixgw::Symbol("BTC/USDT");
    btc.currency = "USDT";
    btc.tickSize = fixgw::Price::of("0.00000001");
    btc.lotSize = fixgw::Qty::of("0.00000001");
    btc.referencePrice = fixgw::Price::of("60000");
    btc.venueSymbols["BINANCE"] = "BTCUSDT";
    c.instruments.add(btc);
    c.venues.push_back({"BINANCE",
                        "binance",
                        {{"rest_host", "127.0.0.1"},
                         {"rest_port", std::to_string(emu.port())},
                         {"tls_server_name", "localhost"},
                         {"ca_file", (dir / "ca.pem").string()},
                         {"api_key_env", "FIXGW_ADMIN_E2E_BINANCE_KEY"},
                         {"secret_env", "FIXGW_ADMIN_E2E_BINANCE_SECRET"},
                         {"poll_interval_ms", "100"},
                         {"reconnect_ms", "100"}}});
    c.routing.defaultVenue = fixgw::VenueId("BINANCE");
    c.routing.rules.clear();
  });
  OrderFields o;
  o.clOrdId = "RL1";
  o.account = "DESK1";
  o.symbol = "BTC/USDT";
  o.qty = "0.001";
  o.price = "59000";
  o.tif = "1";  // GTC: Binance spot has no DAY
  client_->send(client_->newOrder(o));
  er("RL1", "0");

  // The adapter's view is the emulator's last answer (it may send more meanwhile).
  const rapidjson::Value* bin = nullptr;
  rapidjson::Document vd;
  auto limitOf = [&](const char* name) -> const rapidjson::Value* {
    if (!bin) return nullptr;
    for (const auto& l : (*bin)["rate_limits"].GetArray())
      if (s(l, "name") == name) return &l;
    return nullptr;
  };
  for (int i = 0; i < 200; ++i) {
    HttpReply v = get("/api/venues", kViewer);
    ASSERT_EQ(v.status, 200) << v.body;
    vd = json(v);
    bin = nullptr;
    for (const auto& ven : vd["venues"].GetArray())
      if (s(ven, "venue") == "BINANCE") bin = &ven;
    ASSERT_NE(bin, nullptr) << v.body;
    auto* w = limitOf("request_weight_1m");
    if (w && (*w)["used"].GetInt64() == emu.usedWeight1m()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto* w = limitOf("request_weight_1m");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ((*w)["used"].GetInt64(), emu.usedWeight1m());
  EXPECT_EQ((*w)["limit"].GetInt64(), 6000);
  EXPECT_EQ((*w)["headroom"].GetInt64(), 6000 - emu.usedWeight1m());
  EXPECT_EQ((*w)["window_ms"].GetInt64(), 60000);
  EXPECT_EQ(s(*w, "source"), "venue");
  EXPECT_NE(s(*w, "updated_at"), "");
  auto* o10 = limitOf("orders_10s");
  ASSERT_NE(o10, nullptr);
  EXPECT_EQ((*o10)["used"].GetInt64(), emu.orderCount10s());
  // The tightest limit as a fraction left: non-null, below 1 once orders were sent.
  ASSERT_TRUE((*bin)["rate_limit_headroom"].IsNumber());
  const double h = (*bin)["rate_limit_headroom"].GetDouble();
  EXPECT_GT(h, 0.0);
  EXPECT_LT(h, 1.0);
  // Simulators report none: an empty array and a null headroom.
  for (const auto& ven : vd["venues"].GetArray())
    if (s(ven, "venue") == "SIM") {
      EXPECT_EQ(ven["rate_limits"].Size(), 0u);
      EXPECT_TRUE(ven["rate_limit_headroom"].IsNull());
    }

  HttpReply m = get("/metrics", kViewer);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("# TYPE fixgw_venue_rate_limit_used gauge"), std::string::npos);
  EXPECT_NE(m.body.find("fixgw_venue_rate_limit_limit{venue=\"BINANCE\",limit=\"orders_10s\"} "
                        "100\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("fixgw_venue_rate_limit_used{venue=\"BINANCE\",limit=\"orders_1d\"} "),
            std::string::npos);

  client_->logout();
  client_.reset();
  gw_->stop();
  gw_.reset();
  emu.stop();
  std::filesystem::remove_all(dir);
  ::unsetenv("FIXGW_ADMIN_E2E_BINANCE_KEY");
  ::unsetenv("FIXGW_ADMIN_E2E_BINANCE_SECRET");
}
