// End to end through a real FIX session: the whole gateway (QuickFIX
// acceptor, risk, router, PostgreSQL journal) routes to `"type": "binance"`,
// created by the registry from config, talking HTTPS + WebSocket to the
// Binance emulator on loopback. Credentials come from the environment, the
// emulator's run-time certificate from a file named in config.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/binance/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/binance/emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

constexpr const char* kKey = "e2e-api-key";
constexpr const char* kSecret = "e2e-secret-for-the-emulator";

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : ".";
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

class BinanceGatewayE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = std::make_unique<fixgw::binance::BinanceEmulator>(fixgw::binance::EmulatorOptions{
        kKey, kSecret, binanceTestData("exchange_info.json"), nullptr});
    emu_->start();
    emu_->setLastPrice("BTCUSDT", fixgw::Price::of("60000"));
    dir_ = std::filesystem::temp_directory_path() /
           ("fixgw-binance-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "emulator-ca.pem") << emu_->certPem();
    ::setenv("FIXGW_E2E_BINANCE_KEY", kKey, 1);
    ::setenv("FIXGW_E2E_BINANCE_SECRET", kSecret, 1);

    port_ = fixgw::testing::pickFreePort();
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
    btc.referencePrice = fixgw::Price::of("60000");
    btc.venueSymbols["BINANCE"] = "BTCUSDT";
    cfg.instruments.add(btc);
    cfg.venues.clear();
    cfg.venues.push_back({"BINANCE",
                          "binance",
                          {{"rest_host", "127.0.0.1"},
                           {"rest_port", std::to_string(emu_->port())},
                           {"tls_server_name", "localhost"},
                           {"ca_file", (dir_ / "emulator-ca.pem").string()},
                           {"api_key_env", "FIXGW_E2E_BINANCE_KEY"},
                           {"secret_env", "FIXGW_E2E_BINANCE_SECRET"},
                           {"poll_interval_ms", "100"},
                           {"reconnect_ms", "100"}}});
    cfg.routing.rules.clear();
    cfg.routing.defaultVenue = fixgw::VenueId("BINANCE");
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
    for (int i = 0; i < 500 && emu_->openStreams() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(emu_->openStreams(), 1) << "the adapter's user data stream is up";
  }
  void TearDown() override {
    if (client_) client_->logout();
    client_.reset();
    if (gw_) gw_->stop();
    emu_->stop();
    std::filesystem::remove_all(dir_);
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
    o.symbol = "BTC/USDT";
    o.qty = qty;
    o.price = px;
    o.tif = "1";  // GTC: Binance spot has no DAY
    return o;
  }

  fixgw::testing::PgTestSchema db_;
  std::unique_ptr<fixgw::binance::BinanceEmulator> emu_;
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_F(BinanceGatewayE2E, LimitOrderRestsAtBinanceThenFillsFromTheStream) {
  client_->send(client_->newOrder(btcOrder("BN1", "0.001", "59000")));
  FIX::Message ack = er("BN1");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  EXPECT_NE(emu_->lastOrderParams().find(
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&"
                "price=59000"),
            std::string::npos)
      << emu_->lastOrderParams();

  emu_->trade("BTCUSDT", fixgw::Price::of("58990"));
  FIX::Message fill = er("BN1");
  EXPECT_EQ(F(fill, 150), "F") << FixTestClient::text(fill);
  EXPECT_EQ(F(fill, 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(fill, 32)), fixgw::Qty::of("0.001"));
  EXPECT_EQ(fixgw::Price::of(F(fill, 31)), fixgw::Price::of("59000"));
  EXPECT_EQ(fixgw::Qty::of(F(fill, 151)), fixgw::Qty());
}

TEST_F(BinanceGatewayE2E, AnOrderBreakingABinanceFilterIsRejectedNamingIt) {
  client_->send(client_->newOrder(btcOrder("BN2", "0.001", "59000.005")));
  FIX::Message rej = er("BN2");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("PRICE_FILTER"), std::string::npos) << F(rej, 58);
  EXPECT_EQ(emu_->requests("/api/v3/order"), 0) << "rejected before it left";
}

TEST_F(BinanceGatewayE2E, CancelThroughFixCancelsAtBinance) {
  client_->send(client_->newOrder(btcOrder("BN3", "0.002", "59000")));
  ASSERT_EQ(F(er("BN3"), 150), "0");
  OrderFields c;
  c.clOrdId = "BN3-C";
  c.origClOrdId = "BN3";
  c.symbol = "BTC/USDT";
  c.qty = "0.002";
  client_->send(client_->cancel(c));
  FIX::Message pend = er("BN3-C");
  if (F(pend, 150) == "6") pend = er("BN3-C");
  EXPECT_EQ(F(pend, 150), "4") << FixTestClient::text(pend);
  EXPECT_EQ(F(pend, 39), "4");
}

TEST_F(BinanceGatewayE2E, ReplaceThroughFixIsCancelThenNewSizedByWhatFilled) {
  client_->send(client_->newOrder(btcOrder("BN4", "0.002", "59000")));
  ASSERT_EQ(F(er("BN4"), 150), "0");
  // Binance knows the order by our child id (its client order id), not the ClOrdID.
  const std::string params = emu_->lastOrderParams();
  const auto at = params.find("newClientOrderId=") + 17;
  const std::string childId = params.substr(at, params.find('&', at) - at);
  ASSERT_TRUE(emu_->fill(childId, fixgw::Qty::of("0.0005"), fixgw::Price::of("59000"))) << params;
  FIX::Message partial = er("BN4");
  EXPECT_EQ(F(partial, 150), "F") << FixTestClient::text(partial);
  EXPECT_EQ(F(partial, 39), "1");

  OrderFields r = btcOrder("BN4-R", "0.003", "59100");
  r.origClOrdId = "BN4";
  client_->send(client_->replace(r));
  FIX::Message rep = er("BN4-R");
  if (F(rep, 150) == "E") rep = er("BN4-R");  // pending replace first
  EXPECT_EQ(F(rep, 150), "5") << FixTestClient::text(rep);
  EXPECT_EQ(fixgw::Qty::of(F(rep, 38)), fixgw::Qty::of("0.003"));
  EXPECT_EQ(fixgw::Qty::of(F(rep, 14)), fixgw::Qty::of("0.0005"));
  EXPECT_EQ(fixgw::Qty::of(F(rep, 151)), fixgw::Qty::of("0.0025"));
  // At Binance the new order is for what is left, never the full new total.
  EXPECT_NE(emu_->lastOrderParams().find("quantity=0.0025&price=59100"), std::string::npos)
      << emu_->lastOrderParams();
}

}  // namespace
