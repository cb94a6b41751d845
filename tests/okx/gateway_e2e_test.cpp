// End to end through a real FIX 4.4 session: the whole gateway (QuickFIX
// acceptor, risk, router, PostgreSQL journal) routes to `"type": "okx"`,
// created by the registry from config, talking HTTPS + the private
// WebSocket to the OKX emulator on loopback. Credentials (key, secret,
// passphrase) come from the environment, the emulator's run-time
// certificate from a file named in config; demo trading is on, so every
// request must carry x-simulated-trading.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/okx/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/okx/emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : ".";
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

class OkxGatewayE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    fixgw::okx::EmulatorOptions eo;
    eo.apiKey = "e2e-okx-key";
    eo.secret = "e2e-okx-secret";
    eo.passphrase = "e2e okx passphrase";
    eo.demo = true;
    eo.instrumentsJson = {okxTestData("instruments_spot.json"),
                          okxTestData("instruments_swap.json")};
    emu_ = std::make_unique<fixgw::okx::OkxEmulator>(eo);
    emu_->start();
    emu_->setLastPrice("BTC-USDT", fixgw::Price::of("30000"));
    emu_->setLastPrice("BTC-USDT-SWAP", fixgw::Price::of("30000"));
    dir_ = std::filesystem::temp_directory_path() /
           ("fixgw-okx-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "emulator-ca.pem") << emu_->certPem();
    ::setenv("FIXGW_E2E_OKX_KEY", eo.apiKey.c_str(), 1);
    ::setenv("FIXGW_E2E_OKX_SECRET", eo.secret.c_str(), 1);
    ::setenv("FIXGW_E2E_OKX_PASSPHRASE", eo.passphrase.c_str(), 1);
    port_ = fixgw::testing::pickFreePort();
    startGateway();
  }
  void TearDown() override {
    stopGateway();
    emu_->stop();
    std::filesystem::remove_all(dir_);
  }

  void startGateway() {
    auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg.fix.port = port_;
    cfg.fix.storeType = "memory";
    cfg.database.conninfo = db_.conninfo();
    cfg.logging.level = "warn";
    fixgw::Instrument btc;
    btc.symbol = fixgw::Symbol("BTC/USDT");
    btc.currency = "USDT";
    btc.tickSize = fixgw::Price::of("0.00000001");  // the venue's filters decide
    btc.lotSize = fixgw::Qty::of("0.00000001");
    btc.referencePrice = fixgw::Price::of("30000");
    cfg.instruments.add(btc);
    fixgw::Instrument perp;
    perp.symbol = fixgw::Symbol("BTC-PERP");
    perp.currency = "USDT";
    perp.tickSize = fixgw::Price::of("0.1");
    perp.lotSize = fixgw::Qty::of("0.01");
    perp.referencePrice = fixgw::Price::of("30000");
    perp.venueSymbols["OKX"] = "BTC-USDT-SWAP";
    perp.contractSize = fixgw::Qty::of("0.01");
    perp.marginMode = "isolated";
    perp.settleCurrency = "USDT";
    cfg.instruments.add(perp);
    cfg.venues.clear();
    cfg.venues.push_back({"OKX",
                          "okx",
                          {{"rest_host", "127.0.0.1"},
                           {"rest_port", std::to_string(emu_->port())},
                           {"tls_server_name", "localhost"},
                           {"ca_file", (dir_ / "emulator-ca.pem").string()},
                           {"demo", "true"},
                           {"api_key_env", "FIXGW_E2E_OKX_KEY"},
                           {"secret_env", "FIXGW_E2E_OKX_SECRET"},
                           {"passphrase_env", "FIXGW_E2E_OKX_PASSPHRASE"},
                           {"poll_interval_ms", "100"},
                           {"reconnect_ms", "100"}}});
    cfg.routing.rules.clear();
    cfg.routing.defaultVenue = fixgw::VenueId("OKX");
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
    for (int i = 0; i < 500 && emu_->ordersSubscribers() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(emu_->ordersSubscribers(), 1) << "the adapter's orders channel is up";
  }
  void stopGateway() {
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

  OrderFields order(const char* id, const char* qty, const char* px,
                    const char* symbol = "BTC/USDT") {
    OrderFields o;
    o.clOrdId = id;
    o.symbol = symbol;
    o.qty = qty;
    o.price = px;
    o.tif = "1";  // GTC: OKX has no DAY
    return o;
  }

  // OKX knows the order by the clOrdId derived from our child id.
  std::string lastClOrdId() {
    const std::string b = emu_->lastOrderBody();
    const auto at = b.find("\"clOrdId\":\"") + 11;
    return b.substr(at, b.find('"', at) - at);
  }

  fixgw::testing::PgTestSchema db_;
  std::unique_ptr<fixgw::okx::OkxEmulator> emu_;
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_F(OkxGatewayE2E, LimitOrderRestsAtOkxAndIsCanceled) {
  client_->send(client_->newOrder(order("OK1", "0.01", "29000")));
  FIX::Message ack = er("OK1");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  EXPECT_NE(emu_->lastOrderBody().find(R"("tdMode":"cash")"), std::string::npos);
  const std::string cl = lastClOrdId();
  EXPECT_EQ(emu_->orderState(cl), "live");
  OrderFields c;
  c.clOrdId = "OK1-C";
  c.origClOrdId = "OK1";
  c.symbol = "BTC/USDT";
  c.qty = "0.01";
  client_->send(client_->cancel(c));
  FIX::Message canceled = er("OK1-C");
  if (F(canceled, 150) == "6") canceled = er("OK1-C");
  EXPECT_EQ(F(canceled, 150), "4") << FixTestClient::text(canceled);
  EXPECT_EQ(F(canceled, 39), "4");
  EXPECT_EQ(emu_->orderState(cl), "canceled");
}

TEST_F(OkxGatewayE2E, MarketableOrderFillsInPartsWithFeesBooked) {
  emu_->fillInParts(3);
  client_->send(client_->newOrder(order("OK2", "0.03", "30100")));
  FIX::Message ack = er("OK2");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  std::vector<FIX::Message> fills;
  for (int i = 0; i < 3; ++i) fills.push_back(er("OK2"));
  for (const auto& f : fills) {
    EXPECT_EQ(F(f, 150), "F") << FixTestClient::text(f);
    EXPECT_EQ(fixgw::Qty::of(F(f, 32)), fixgw::Qty::of("0.01"));
    EXPECT_EQ(fixgw::Price::of(F(f, 31)), fixgw::Price::of("30000"));
  }
  EXPECT_EQ(F(fills[2], 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(fills[2], 14)), fixgw::Qty::of("0.03"));
  emu_->replayLastFill();
  gw_->quiesce();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  gw_->quiesce();
  // 0.1% taker on 300 USDT each (OKX sends -0.3: charged), journaled once each.
  auto rows =
      db_.query("SELECT fee::text, fee_currency FROM executions WHERE fee IS NOT NULL ORDER BY 1");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    EXPECT_EQ(fixgw::Qty::of(r[0]), fixgw::Qty::of("0.3")) << r[0];
    EXPECT_EQ(r[1], "USDT");
  }
}

TEST_F(OkxGatewayE2E, SwapOrderGoesInContractsWithItsMarginMode) {
  client_->send(client_->newOrder(order("OK3", "2", "30100", "BTC-PERP")));
  FIX::Message ack = er("OK3");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  FIX::Message fill = er("OK3");
  EXPECT_EQ(F(fill, 150), "F") << FixTestClient::text(fill);
  EXPECT_EQ(fixgw::Qty::of(F(fill, 32)), fixgw::Qty::of("2"));
  const std::string b = emu_->lastOrderBody();
  EXPECT_NE(b.find(R"("instId":"BTC-USDT-SWAP","tdMode":"isolated")"), std::string::npos) << b;
  EXPECT_NE(b.find(R"("sz":"2")"), std::string::npos) << b;
}

TEST_F(OkxGatewayE2E, OkxsRejectReachesTheClientsText) {
  emu_->failNext("51008", "Order failed. Insufficient USDT balance in account.");
  client_->send(client_->newOrder(order("OK4", "0.01", "29000")));
  FIX::Message rej = er("OK4");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("51008"), std::string::npos) << F(rej, 58);
  EXPECT_NE(F(rej, 58).find("Insufficient USDT balance"), std::string::npos) << F(rej, 58);
}

TEST_F(OkxGatewayE2E, AnOrderBreakingAnOkxFilterIsRejectedNamingIt) {
  client_->send(client_->newOrder(order("OK5", "0.01", "29000.05")));
  FIX::Message rej = er("OK5");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("tickSz"), std::string::npos) << F(rej, 58);
  EXPECT_EQ(emu_->placeRequests(), 0) << "rejected before it left";
}

TEST_F(OkxGatewayE2E, FillsDuringAStreamDropAreRecoveredOnce) {
  client_->send(client_->newOrder(order("OK6", "0.02", "29000")));
  ASSERT_EQ(F(er("OK6"), 150), "0");
  const std::string cl = lastClOrdId();
  emu_->refuseStreams(true);
  emu_->dropStreams();
  ASSERT_TRUE(emu_->fill(cl, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  ASSERT_TRUE(emu_->fill(cl, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  FIX::Message f1 = er("OK6");
  FIX::Message f2 = er("OK6");
  EXPECT_EQ(F(f1, 150), "F") << FixTestClient::text(f1);
  EXPECT_EQ(F(f2, 150), "F") << FixTestClient::text(f2);
  EXPECT_EQ(fixgw::Qty::of(F(f2, 14)), fixgw::Qty::of("0.01"));
  emu_->refuseStreams(false);
  for (int i = 0; i < 1500 && emu_->ordersSubscribers() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(emu_->ordersSubscribers(), 1) << "the stream is back";
  ASSERT_TRUE(emu_->fill(cl, fixgw::Qty::of("0.01"), fixgw::Price::of("29000")));
  FIX::Message f3 = er("OK6");
  EXPECT_EQ(F(f3, 150), "F");
  EXPECT_EQ(F(f3, 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(f3, 14)), fixgw::Qty::of("0.02"));
  gw_->quiesce();
  auto rows = db_.query("SELECT count(*) FROM executions WHERE fee IS NOT NULL");
  EXPECT_EQ(rows[0][0], "3") << "each fill booked once";
}

TEST_F(OkxGatewayE2E, RestartReconcilesAFillMadeWhileDownAndKeepsTheOrderTradeable) {
  client_->send(client_->newOrder(order("OK7", "0.02", "29000")));
  ASSERT_EQ(F(er("OK7"), 150), "0");
  const std::string cl = lastClOrdId();
  stopGateway();
  ASSERT_TRUE(emu_->fill(cl, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  startGateway();
  bool booked = false;
  for (int i = 0; i < 500 && !booked; ++i) {
    gw_->quiesce();
    booked = db_.query("SELECT count(*) FROM executions WHERE last_qty > 0")[0][0] == "1";
    if (!booked) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(booked) << "the gap's fill is reconciled";
  // The adopted order fills further at OKX and the fill is booked once more.
  ASSERT_TRUE(emu_->fill(cl, fixgw::Qty::of("0.015"), fixgw::Price::of("29000")));
  bool done = false;
  for (int i = 0; i < 500 && !done; ++i) {
    gw_->quiesce();
    done = db_.query("SELECT count(*) FROM executions WHERE last_qty > 0")[0][0] == "2";
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(done) << "a fill after the restart is booked, once";
}

}  // namespace

namespace {

TEST(OkxExampleConfig, LoadsWithTheOkxVenueAndItsSwapInstrument) {
  auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw-okx.example.json");
  bool found = false;
  for (const auto& v : cfg.venues)
    if (v.type == "okx") {
      found = true;
      EXPECT_EQ(v.params.at("demo"), "true");
      EXPECT_EQ(v.params.count("secret"), 0u) << "no secret in config";
    }
  EXPECT_TRUE(found);
  const fixgw::Instrument* perp = cfg.instruments.find(fixgw::Symbol("BTC-USDT-PERP"));
  ASSERT_NE(perp, nullptr);
  EXPECT_EQ(perp->contractSize, fixgw::Qty::of("0.01"));
  EXPECT_EQ(perp->marginMode, "cross");
  EXPECT_EQ(perp->venueSymbols.at("OKX"), "BTC-USDT-SWAP");
}

}  // namespace
