// End to end through a real FIX 4.4 session: the whole gateway (QuickFIX
// acceptor, risk, router, PostgreSQL journal) routes to `"type": "kraken"`,
// created by the registry from config, talking HTTPS + WebSocket v2 to the
// Kraken emulator on loopback. Credentials come from the environment, the
// emulator's run-time certificate from a file named in config, the nonce
// high-water mark from a file that outlives the gateway.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/kraken/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/kraken/auth.h"
#include "venue_adapters/kraken/emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

constexpr const char* kKey = "e2e-api-key";
const std::string kSecret = fixgw::kraken::base64Encode("e2e-secret-for-the-kraken-emulator");

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : ".";
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

class KrakenGatewayE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    fixgw::kraken::EmulatorOptions eo;
    eo.apiKey = kKey;
    eo.secret = kSecret;
    eo.assetPairsJson = krakenTestData("asset_pairs.json");
    eo.tradingMax = 4;  // a small trading counter, matched in config below
    eo.tradingDecayPerSec = 4;
    emu_ = std::make_unique<fixgw::kraken::KrakenEmulator>(eo);
    emu_->start();
    emu_->setLastPrice("XBTUSD", fixgw::Price::of("30000"));
    dir_ = std::filesystem::temp_directory_path() /
           ("fixgw-kraken-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "emulator-ca.pem") << emu_->certPem();
    ::setenv("FIXGW_E2E_KRAKEN_KEY", kKey, 1);
    ::setenv("FIXGW_E2E_KRAKEN_SECRET", kSecret.c_str(), 1);
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
    btc.symbol = fixgw::Symbol("BTC/USD");
    btc.currency = "USD";
    btc.tickSize = fixgw::Price::of("0.00000001");  // the venue's filters decide
    btc.lotSize = fixgw::Qty::of("0.00000001");
    btc.referencePrice = fixgw::Price::of("30000");
    btc.venueSymbols["KRAKEN"] = "XBTUSD";
    cfg.instruments.add(btc);
    cfg.venues.clear();
    cfg.venues.push_back({"KRAKEN",
                          "kraken",
                          {{"rest_host", "127.0.0.1"},
                           {"rest_port", std::to_string(emu_->port())},
                           {"tls_server_name", "localhost"},
                           {"ca_file", (dir_ / "emulator-ca.pem").string()},
                           {"api_key_env", "FIXGW_E2E_KRAKEN_KEY"},
                           {"secret_env", "FIXGW_E2E_KRAKEN_SECRET"},
                           {"nonce_file", (dir_ / "kraken.nonce").string()},
                           {"trading_max", "4"},
                           {"trading_decay_milli_per_sec", "4000"},
                           {"max_queue_ms", "20000"},
                           {"poll_interval_ms", "100"},
                           {"reconnect_ms", "100"}}});
    cfg.routing.rules.clear();
    cfg.routing.defaultVenue = fixgw::VenueId("KRAKEN");
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
    for (int i = 0; i < 500 && emu_->executionSubscribers() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(emu_->executionSubscribers(), 1) << "the adapter's executions stream is up";
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

  OrderFields btcOrder(const char* id, const char* qty, const char* px) {
    OrderFields o;
    o.clOrdId = id;
    o.symbol = "BTC/USD";
    o.qty = qty;
    o.price = px;
    o.tif = "1";  // GTC: Kraken spot has no DAY
    return o;
  }

  // Kraken knows the order by our child id (its cl_ord_id), not the ClOrdID.
  std::string lastClOrdId() {
    const std::string p = emu_->lastOrderParams();
    const auto at = p.find("cl_ord_id=") + 10;
    return p.substr(at, p.find('&', at) - at);
  }

  fixgw::testing::PgTestSchema db_;
  std::unique_ptr<fixgw::kraken::KrakenEmulator> emu_;
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_F(KrakenGatewayE2E, LimitOrderRestsAtKrakenAndIsCanceled) {
  client_->send(client_->newOrder(btcOrder("KR1", "0.01", "29000")));
  FIX::Message ack = er("KR1");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  EXPECT_NE(emu_->lastOrderParams().find(
                "ordertype=limit&type=buy&volume=0.01&pair=XBTUSD&price=29000&timeinforce=GTC"),
            std::string::npos)
      << emu_->lastOrderParams();
  const std::string child = lastClOrdId();
  EXPECT_EQ(emu_->orderStatus(child), "open");

  OrderFields c;
  c.clOrdId = "KR1-C";
  c.origClOrdId = "KR1";
  c.symbol = "BTC/USD";
  c.qty = "0.01";
  client_->send(client_->cancel(c));
  FIX::Message canceled = er("KR1-C");
  if (F(canceled, 150) == "6") canceled = er("KR1-C");
  EXPECT_EQ(F(canceled, 150), "4") << FixTestClient::text(canceled);
  EXPECT_EQ(F(canceled, 39), "4");
  EXPECT_EQ(emu_->orderStatus(child), "canceled");
}

TEST_F(KrakenGatewayE2E, MarketableOrderFillsInPartsWithFeesBooked) {
  emu_->fillInParts(3);
  client_->send(client_->newOrder(btcOrder("KR2", "0.03", "30100")));  // crosses 30000
  FIX::Message ack = er("KR2");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  std::vector<FIX::Message> fills;
  for (int i = 0; i < 3; ++i) fills.push_back(er("KR2"));
  for (const auto& f : fills) {
    EXPECT_EQ(F(f, 150), "F") << FixTestClient::text(f);
    EXPECT_EQ(fixgw::Qty::of(F(f, 32)), fixgw::Qty::of("0.01"));
    EXPECT_EQ(fixgw::Price::of(F(f, 31)), fixgw::Price::of("30000"));
  }
  EXPECT_EQ(F(fills[0], 39), "1");
  EXPECT_EQ(F(fills[2], 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(fills[2], 14)), fixgw::Qty::of("0.03"));
  gw_->quiesce();
  // 0.26% taker on 300 USD each, in USD, journaled with the execution.
  auto rows =
      db_.query("SELECT fee::text, fee_currency FROM executions WHERE fee IS NOT NULL ORDER BY 1");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    EXPECT_EQ(fixgw::Qty::of(r[0]), fixgw::Qty::of("0.78")) << r[0];
    EXPECT_EQ(r[1], "USD");
  }
}

TEST_F(KrakenGatewayE2E, KrakensRejectReachesTheClientsText) {
  emu_->failNext("EOrder:Insufficient funds");
  client_->send(client_->newOrder(btcOrder("KR3", "0.01", "29000")));
  FIX::Message rej = er("KR3");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("EOrder:Insufficient funds"), std::string::npos) << F(rej, 58);
}

TEST_F(KrakenGatewayE2E, AnOrderBreakingAKrakenFilterIsRejectedNamingIt) {
  client_->send(client_->newOrder(btcOrder("KR4", "0.01", "29000.05")));
  FIX::Message rej = er("KR4");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("tick_size"), std::string::npos) << F(rej, 58);
  EXPECT_EQ(emu_->requests("/0/private/AddOrder"), 0) << "rejected before it left";
}

TEST_F(KrakenGatewayE2E, FillsDuringAStreamDropAreRecoveredOnce) {
  client_->send(client_->newOrder(btcOrder("KR5", "0.02", "29000")));
  ASSERT_EQ(F(er("KR5"), 150), "0");
  const std::string child = lastClOrdId();
  emu_->refuseStreams(true);
  emu_->dropStreams();
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  FIX::Message f1 = er("KR5");
  FIX::Message f2 = er("KR5");
  EXPECT_EQ(F(f1, 150), "F") << FixTestClient::text(f1);
  EXPECT_EQ(F(f2, 150), "F") << FixTestClient::text(f2);
  EXPECT_EQ(fixgw::Qty::of(F(f2, 14)), fixgw::Qty::of("0.01"));
  emu_->refuseStreams(false);
  for (int i = 0; i < 1500 && emu_->executionSubscribers() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(emu_->executionSubscribers(), 1) << "the stream is back";
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("0.01"), fixgw::Price::of("29000")));
  FIX::Message f3 = er("KR5");
  EXPECT_EQ(F(f3, 150), "F");
  EXPECT_EQ(F(f3, 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(f3, 14)), fixgw::Qty::of("0.02"));
  gw_->quiesce();
  auto rows = db_.query("SELECT count(*) FROM executions WHERE fee IS NOT NULL");
  EXPECT_EQ(rows[0][0], "3") << "each fill booked once";
}

TEST_F(KrakenGatewayE2E, ABurstIsQueuedUnderTheTradingCounterWithoutARateLimitError) {
  // 8 orders at once against a trading counter of 4 (decaying 4/s): the
  // adapter holds the rest back until the counter has room.
  for (int i = 0; i < 8; ++i) {
    std::string id = "KB" + std::to_string(i);
    client_->send(client_->newOrder(btcOrder(id.c_str(), "0.001", "29000")));
  }
  for (int i = 0; i < 8; ++i) {
    FIX::Message ack = er("KB" + std::to_string(i));
    EXPECT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  }
  EXPECT_EQ(emu_->rateLimitErrors(), 0) << "Kraken never had to say no";
  EXPECT_EQ(emu_->requests("/0/private/AddOrder"), 8);
}

TEST_F(KrakenGatewayE2E, RestartKeepsTheNonceAndReconcilesAFillMadeWhileDown) {
  client_->send(client_->newOrder(btcOrder("KR6", "0.02", "29000")));
  ASSERT_EQ(F(er("KR6"), 150), "0");
  const std::string child = lastClOrdId();
  stopGateway();
  const uint64_t seen = emu_->lastNonce();
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  startGateway();
  EXPECT_EQ(emu_->nonceFailures(), 0) << "no nonce reused after the restart";
  EXPECT_GT(emu_->lastNonce(), seen);
  // The fill made while the gateway was down reaches the journal once.
  bool booked = false;
  for (int i = 0; i < 500 && !booked; ++i) {
    gw_->quiesce();
    booked = db_.query("SELECT count(*) FROM executions WHERE last_qty > 0")[0][0] == "1";
    if (!booked) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(booked) << "the gap's fill is reconciled";
}

}  // namespace
