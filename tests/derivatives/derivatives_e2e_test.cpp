// Derivatives end to end (issue 12), with real parts only: the whole gateway
// (QuickFIX acceptor, risk, router, simulator, PostgreSQL journal) in-process
// with a schema of its own, and a real FIX 4.4 initiator over loopback. The
// config is the shipped one plus OKX's BTC-USDT-SWAP (contract_size 0.01 BTC,
// cross margin, settled in USDT) read through the config parser, and fees on
// the simulator. Orders count contracts; positions, P&L, fees, fills and TCA
// in the admin API, the CLI and PostgreSQL must all carry the contract size,
// and a notional limit must reject in contract terms naming the limit.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "apps/admin.h"
#include "apps/gateway.h"
#include "config/config.h"
#include "core/contract_value.h"
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
fixgw::Notional N(const std::string& s) { return fixgw::Notional::of(s); }
using Rows = std::vector<std::vector<std::string>>;

const char* kToken = "deriv-it-token-8c2e";
const char* kSwap = "BTC-USDT-SWAP";

// The shipped config with the swap added to the instrument master and fees
// on the simulator (taker 5 bps, maker rebate 1 bp), as an operator writes them.
std::string configText() {
  std::ifstream in(sourceDir() + "/config/fixgw.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto put = [&](const std::string& after, const std::string& add) {
    const size_t at = text.find(after);
    if (at == std::string::npos) throw std::runtime_error("config/fixgw.json: no '" + after + "'");
    text.insert(at + after.size(), add);
  };
  put("\"instruments\": [",
      R"(
    { "symbol": "BTC-USDT-SWAP", "currency": "USDT", "tick_size": "0.1", "lot_size": "1",
      "reference_price": "60000", "contract_size": "0.01", "margin_mode": "cross",
      "settle_currency": "USDT", "security_type": "FUT" },)");
  put("\"spread_ticks\": 2, \"thread\": \"engine\"",
      R"(, "taker_fee_bps": "5", "maker_fee_bps": "-1")");
  return text;
}

}  // namespace

class DerivativesE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("FIXGW_ADMIN_TOKEN", kToken, 1);
    ::unsetenv("FIXGW_ADMIN_SOCKET");
    socket_ = "/tmp/fixgw-deriv-it-" + std::to_string(::getpid()) + ".sock";
  }
  void TearDown() override {
    stopAll();
    ::unsetenv("FIXGW_ADMIN_TOKEN");
  }

  void start() {
    port_ = fixgw::testing::pickFreePort();
    fixgw::config::GatewayConfig cfg =
        fixgw::config::parseConfig(configText(), sourceDir() + "/config");
    cfg.fix.port = port_;
    cfg.fix.storeType = "memory";
    cfg.database.conninfo = db_.conninfo();
    cfg.logging.level = "warn";
    cfg.risk.adminSocketPath = socket_;
    cfg.tca.printGraceMs = 0;  // TCA rows as soon as a parent completes
    // A desk whose orders may not exceed 5000 (USDT for the swap).
    fixgw::risk::RiskLimits small = cfg.risk.defaults;
    small.maxNotional = N("5000");
    cfg.risk.accounts[fixgw::Account("SWAPSMALL")] = small;
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
    o.symbol = kSwap;
    o.side = side;
    o.qty = qty;
    o.price = px;
    o.account = account;
    client_->send(client_->newOrder(o));
  }
  // Reads the order's reports until it is filled; returns its fills (qty, px).
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
  rapidjson::Document admin(const std::string& body) {
    std::string resp =
        fixgw::admin::request(socket_, "{\"token\":\"" + std::string(kToken) + "\"," + body + "}");
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

TEST_F(DerivativesE2E, NotionalLimitRejectsContractsTimesSizeNamingTheLimit) {
  start();
  // 9 contracts x 0.01 x 60000 = 5400 USDT > 5000 (as plain quantity: 540000).
  send("N1", "1", "9", "60000", "SWAPSMALL");
  FIX::Message rej = er("N1");
  EXPECT_EQ(F(rej, 150), "8");
  EXPECT_EQ(F(rej, 39), "8");
  EXPECT_EQ(F(rej, 103), "3");  // order exceeds limit
  const std::string text = F(rej, 58);
  EXPECT_NE(text.find("MAX_NOTIONAL"), std::string::npos) << text;
  EXPECT_NE(text.find("notional 5400 USDT"), std::string::npos) << text;
  EXPECT_NE(text.find("9 contracts x 0.01 x 60000"), std::string::npos) << text;
  EXPECT_NE(text.find("limit 5000"), std::string::npos) << text;
  Rows r =
      q("select rule, limit_value, actual_value, symbol from risk_events "
        "where event_type = 'REJECT' and cl_ord_id = 'N1'");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (std::vector<std::string>{"MAX_NOTIONAL", "5000", "5400", kSwap}));
  // 8 contracts = 4800 USDT: inside the limit, and it trades (a buy at a far limit fills
  // at the simulator's asks).
  send("N2", "1", "8", "60000", "SWAPSMALL");
  FIX::Message ack = er("N2");
  EXPECT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
}

TEST_F(DerivativesE2E, SwapFillsBookContractsAndPnLTimesContractSizeEverywhere) {
  start();
  // Marketable limits (the simulator's mid walks from 60000 by fractions of a bp).
  send("S1", "1", "5", "60600", "SWAPDESK");
  EXPECT_EQ(F(er("S1"), 150), "0");
  auto buys = fillsUntilDone("S1", "5");
  ASSERT_FALSE(buys.empty());
  send("S2", "2", "3", "59400", "SWAPDESK");
  EXPECT_EQ(F(er("S2"), 150), "0");
  auto sells = fillsUntilDone("S2", "3");
  ASSERT_FALSE(sells.empty());

  // Hand-worked from the fills the client saw: qty in contracts, money x 0.01.
  fixgw::risk::Position expect;
  expect.contractSize = Q("0.01");
  __int128 buyRaw = 0;
  for (auto& [qty, px] : buys) {
    expect.apply(fixgw::Side::Buy, qty, px);
    buyRaw += fixgw::rawProduct(px, qty);
  }
  for (auto& [qty, px] : sells) expect.apply(fixgw::Side::Sell, qty, px);
  ASSERT_EQ(expect.qty, Q("2"));
  // Realised = 3 x 0.01 x (sell price - average buy cost): small, but not 100x.
  const fixgw::Notional realised = expect.realised();
  {
    fixgw::risk::Position plain;
    for (auto& [qty, px] : buys) plain.apply(fixgw::Side::Buy, qty, px);
    for (auto& [qty, px] : sells) plain.apply(fixgw::Side::Sell, qty, px);
    ASSERT_FALSE(plain.realised().isZero());
    EXPECT_NE(plain.realised(), realised);
  }
  // Every fill is a taker fill: 5 bps of qty x 0.01 x px each, in USDT.
  fixgw::Qty feeSum;
  for (auto* side : {&buys, &sells})
    for (auto& [qty, px] : *side) {
      const __int128 num = fixgw::contractValueRaw(px, qty, Q("0.01")) * 500'000'000;  // 5 bps
      const __int128 den = static_cast<__int128>(10'000) * fixgw::kOne * fixgw::kOne;
      feeSum += fixgw::Qty::fromMantissa(static_cast<int64_t>((num + den / 2) / den));
    }

  auto check = [&](const char* when) {
    auto d = admin(R"("cmd":"positions","account":"SWAPDESK")");
    ASSERT_TRUE(d["ok"].GetBool()) << when;
    const auto& arr = d["positions"];
    ASSERT_EQ(arr.Size(), 1u) << when;
    EXPECT_STREQ(arr[0]["symbol"].GetString(), kSwap) << when;
    EXPECT_EQ(Q(arr[0]["qty"].GetString()), Q("2")) << when;
    EXPECT_EQ(P(arr[0]["avg_cost"].GetString()), expect.avgCost()) << when;
    EXPECT_EQ(N(arr[0]["realised_pnl"].GetString()), realised) << when;
    EXPECT_STREQ(arr[0]["contract_size"].GetString(), "0.01") << when;
    EXPECT_STREQ(arr[0]["margin_mode"].GetString(), "cross") << when;
    EXPECT_STREQ(arr[0]["settle_currency"].GetString(), "USDT") << when;
    const std::string ref = arr[0]["reference_px"].GetString();
    ASSERT_FALSE(ref.empty()) << when;
    EXPECT_EQ(N(arr[0]["unrealised_pnl"].GetString()), expect.unrealised(P(ref))) << when;
  };
  check("live");

  const std::string table = cli("positions --account SWAPDESK");
  EXPECT_NE(table.find("CT_SIZE"), std::string::npos) << table;
  EXPECT_NE(table.find(kSwap), std::string::npos) << table;
  EXPECT_NE(table.find(" 0.01 "), std::string::npos) << table;
  EXPECT_NE(table.find("cross"), std::string::npos) << table;
  EXPECT_NE(table.find("USDT"), std::string::npos) << table;

  // PostgreSQL: every fill booked with its contract size; the views value them with it.
  Rows cs = q("select distinct contract_size from executions where account = 'SWAPDESK'");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(Q(cs[0][0]), Q("0.01"));
  Rows pg =
      q("select qty, avg_cost, realised_pnl, contract_size, bought_qty, sold_qty from v_positions "
        "where account = 'SWAPDESK'");
  ASSERT_EQ(pg.size(), 1u);
  EXPECT_EQ(Q(pg[0][0]), Q("2"));
  EXPECT_EQ(P(pg[0][1]), expect.avgCost());
  EXPECT_EQ(N(pg[0][2]), realised);
  EXPECT_EQ(Q(pg[0][3]), Q("0.01"));
  EXPECT_EQ(Q(pg[0][4]), Q("5"));
  EXPECT_EQ(Q(pg[0][5]), Q("3"));
  Rows buyNotional =
      q("select sum(notional) from v_fills where account = 'SWAPDESK' and side = 'BUY'");
  EXPECT_EQ(N(buyNotional[0][0]), fixgw::contractNotional(buyRaw, Q("0.01")));
  Rows fees =
      q("select fee_currency, sum(fee) from executions where account = 'SWAPDESK' "
        "group by fee_currency");
  ASSERT_EQ(fees.size(), 1u);
  EXPECT_EQ(fees[0][0], "USDT");
  EXPECT_EQ(Q(fees[0][1]), feeSum);

  // TCA: prices stay per unit of the underlying, quantities in contracts, fees as charged.
  Rows tca;
  for (int i = 0; i < 200 && tca.size() < 2; ++i) {
    tca =
        q("select o.cl_ord_id, t.avg_px, t.filled_qty, t.fees->>'USDT' from v_tca t "
          "join orders o using (order_id) where t.account = 'SWAPDESK' order by o.cl_ord_id");
    if (tca.size() < 2) ::usleep(20'000);
  }
  ASSERT_EQ(tca.size(), 2u) << "no TCA rows for the swap orders";
  fixgw::risk::Position buyOnly;
  for (auto& [qty, px] : buys) buyOnly.apply(fixgw::Side::Buy, qty, px);
  EXPECT_EQ(tca[0][0], "S1");
  EXPECT_EQ(P(tca[0][1]), buyOnly.avgCost());
  EXPECT_EQ(Q(tca[0][2]), Q("5"));
  Rows perOrder =
      q("select o.cl_ord_id, sum(x.fee) from executions x join orders o using (order_id) "
        "where x.account = 'SWAPDESK' group by o.cl_ord_id order by 1");
  ASSERT_EQ(perOrder.size(), 2u);
  EXPECT_EQ(Q(tca[0][3]), Q(perOrder[0][1]));
  EXPECT_EQ(Q(tca[1][3]), Q(perOrder[1][1]));
  EXPECT_EQ(Q(perOrder[0][1]) + Q(perOrder[1][1]), feeSum);

  // A restart replays the executions: the same contract P&L.
  stopAll();
  start();
  check("after restart");
}
