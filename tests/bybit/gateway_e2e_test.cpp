// End to end through a real FIX 4.4 session: the whole gateway (QuickFIX
// acceptor, risk, router, PostgreSQL journal) routes to `"type": "bybit"`,
// created by the registry from config, talking HTTPS + the private WebSocket
// to the Bybit emulator on loopback: a USDT linear perpetual (margin mode
// cross) and spot. Credentials come from the environment, the emulator's
// run-time certificate from a file named in config.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/bybit/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/bybit/emulator.h"
#include "venue_adapters/registry.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

constexpr const char* kKey = "e2e-bybit-key";
constexpr const char* kSecret = "e2e-bybit-secret-for-the-emulator";

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : ".";
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

class BybitGatewayE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    fixgw::bybit::EmulatorOptions eo;
    eo.apiKey = kKey;
    eo.secret = kSecret;
    eo.instrumentsSpotJson = bybitTestData("instruments_spot.json");
    eo.instrumentsLinearJson = bybitTestData("instruments_linear.json");
    emu_ = std::make_unique<fixgw::bybit::BybitEmulator>(eo);
    emu_->start();
    emu_->setLastPrice("linear", "BTCUSDT", fixgw::Price::of("30000"));
    emu_->setLastPrice("spot", "BTCUSDT", fixgw::Price::of("30000"));
    dir_ = std::filesystem::temp_directory_path() /
           ("fixgw-bybit-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "emulator-ca.pem") << emu_->certPem();
    ::setenv("FIXGW_E2E_BYBIT_KEY", kKey, 1);
    ::setenv("FIXGW_E2E_BYBIT_SECRET", kSecret, 1);
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
    fixgw::Instrument perp;
    perp.symbol = fixgw::Symbol("BTC-PERP");
    perp.currency = "USD";
    perp.tickSize = fixgw::Price::of("0.00000001");  // the venue's filters decide
    perp.lotSize = fixgw::Qty::of("0.00000001");
    perp.referencePrice = fixgw::Price::of("30000");
    perp.marginMode = "cross";
    perp.settleCurrency = "USDT";
    perp.venueSymbols["BYBIT"] = "BTCUSDT";
    cfg.instruments.add(perp);
    fixgw::Instrument spot = perp;
    spot.symbol = fixgw::Symbol("BTC/USDT");
    spot.marginMode = "cash";
    spot.settleCurrency.clear();
    cfg.instruments.add(spot);
    cfg.venues.clear();
    cfg.venues.push_back({"BYBIT",
                          "bybit",
                          {{"rest_host", "127.0.0.1"},
                           {"rest_port", std::to_string(emu_->port())},
                           {"tls_server_name", "localhost"},
                           {"ca_file", (dir_ / "emulator-ca.pem").string()},
                           {"api_key_env", "FIXGW_E2E_BYBIT_KEY"},
                           {"secret_env", "FIXGW_E2E_BYBIT_SECRET"},
                           {"poll_interval_ms", "100"},
                           {"reconnect_ms", "100"}}});
    cfg.routing.rules.clear();
    cfg.routing.defaultVenue = fixgw::VenueId("BYBIT");
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
    for (int i = 0; i < 500 && emu_->authenticatedStreams() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(emu_->authenticatedStreams(), 1) << "the adapter's private stream is up";
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

  OrderFields order(const char* id, const char* symbol, const char* qty, const char* px) {
    OrderFields o;
    o.clOrdId = id;
    o.symbol = symbol;
    o.qty = qty;
    o.price = px;
    o.tif = "1";  // GTC: Bybit has no DAY
    return o;
  }

  // Bybit knows the order by our child id (its orderLinkId), not the ClOrdID.
  std::string lastLink() {
    const std::string b = emu_->lastCreateBody();
    const std::string k = "\"orderLinkId\":\"";
    const auto at = b.find(k) + k.size();
    return b.substr(at, b.find('"', at) - at);
  }

  fixgw::testing::PgTestSchema db_;
  std::unique_ptr<fixgw::bybit::BybitEmulator> emu_;
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_F(BybitGatewayE2E, LinearLimitOrderRestsAtBybitAndIsCanceled) {
  client_->send(client_->newOrder(order("BY1", "BTC-PERP", "0.01", "29000")));
  FIX::Message ack = er("BY1");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  EXPECT_NE(emu_->lastCreateBody().find(R"("category":"linear","symbol":"BTCUSDT","side":"Buy")"),
            std::string::npos)
      << emu_->lastCreateBody();
  const std::string link = lastLink();
  EXPECT_EQ(emu_->orderStatus(link), "New");

  OrderFields c;
  c.clOrdId = "BY1-C";
  c.origClOrdId = "BY1";
  c.symbol = "BTC-PERP";
  c.qty = "0.01";
  client_->send(client_->cancel(c));
  FIX::Message canceled = er("BY1-C");
  if (F(canceled, 150) == "6") canceled = er("BY1-C");
  EXPECT_EQ(F(canceled, 150), "4") << FixTestClient::text(canceled);
  EXPECT_EQ(F(canceled, 39), "4");
  EXPECT_EQ(emu_->orderStatus(link), "Cancelled");
}

TEST_F(BybitGatewayE2E, SpotOrderFillsInPartsWithFeesBooked) {
  emu_->fillInParts(3);
  client_->send(client_->newOrder(order("BY2", "BTC/USDT", "0.03", "30100")));  // crosses 30000
  FIX::Message ack = er("BY2");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  std::vector<FIX::Message> fills;
  for (int i = 0; i < 3; ++i) fills.push_back(er("BY2"));
  for (const auto& f : fills) {
    EXPECT_EQ(F(f, 150), "F") << FixTestClient::text(f);
    EXPECT_EQ(fixgw::Qty::of(F(f, 32)), fixgw::Qty::of("0.01"));
    EXPECT_EQ(fixgw::Price::of(F(f, 31)), fixgw::Price::of("30000"));
  }
  EXPECT_EQ(F(fills[2], 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(fills[2], 14)), fixgw::Qty::of("0.03"));
  gw_->quiesce();
  // Spot buys pay 0.1% in the base coin: 0.00001 BTC per 0.01 BTC fill.
  auto rows =
      db_.query("SELECT fee::text, fee_currency FROM executions WHERE fee IS NOT NULL ORDER BY 1");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    EXPECT_EQ(fixgw::Qty::of(r[0]), fixgw::Qty::of("0.00001")) << r[0];
    EXPECT_EQ(r[1], "BTC");
  }
}

TEST_F(BybitGatewayE2E, BybitsRejectReachesTheClientsText) {
  emu_->failNext(110007, "ab not enough for new order");
  client_->send(client_->newOrder(order("BY3", "BTC-PERP", "0.01", "29000")));
  FIX::Message rej = er("BY3");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("ab not enough for new order"), std::string::npos) << F(rej, 58);
}

TEST_F(BybitGatewayE2E, AnOrderBreakingABybitFilterIsRejectedNamingIt) {
  client_->send(client_->newOrder(order("BY4", "BTC-PERP", "0.01", "29000.05")));
  FIX::Message rej = er("BY4");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("tickSize"), std::string::npos) << F(rej, 58);
  EXPECT_EQ(emu_->requests("/v5/order/create"), 0) << "rejected before it left";
}

TEST_F(BybitGatewayE2E, FillsDuringAStreamDropAreRecoveredOnceWithFees) {
  client_->send(client_->newOrder(order("BY5", "BTC-PERP", "0.02", "29000")));
  ASSERT_EQ(F(er("BY5"), 150), "0");
  const std::string link = lastLink();
  emu_->refuseStreams(true);
  emu_->dropStreams();
  ASSERT_TRUE(emu_->fill(link, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  ASSERT_TRUE(emu_->fill(link, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  FIX::Message f1 = er("BY5");
  FIX::Message f2 = er("BY5");
  EXPECT_EQ(F(f1, 150), "F") << FixTestClient::text(f1);
  EXPECT_EQ(F(f2, 150), "F") << FixTestClient::text(f2);
  EXPECT_EQ(fixgw::Qty::of(F(f2, 14)), fixgw::Qty::of("0.01"));
  emu_->refuseStreams(false);
  for (int i = 0; i < 1500 && emu_->authenticatedStreams() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(emu_->authenticatedStreams(), 1) << "the stream is back";
  ASSERT_TRUE(emu_->fill(link, fixgw::Qty::of("0.01"), fixgw::Price::of("29000")));
  emu_->replayLastExecution();
  FIX::Message f3 = er("BY5");
  EXPECT_EQ(F(f3, 150), "F");
  EXPECT_EQ(F(f3, 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(f3, 14)), fixgw::Qty::of("0.02"));
  gw_->quiesce();
  auto rows = db_.query("SELECT count(*), min(fee_currency) FROM executions WHERE fee IS NOT NULL");
  EXPECT_EQ(rows[0][0], "3") << "each fill booked once";
  EXPECT_EQ(rows[0][1], "USDT") << "linear fees in the settle coin";
}

TEST_F(BybitGatewayE2E, RestartReconcilesAFillMadeWhileDownAndTheOrderStaysCancelable) {
  client_->send(client_->newOrder(order("BY6", "BTC-PERP", "0.02", "29000")));
  ASSERT_EQ(F(er("BY6"), 150), "0");
  const std::string link = lastLink();
  stopGateway();
  ASSERT_TRUE(emu_->fill(link, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  startGateway();
  bool booked = false;
  for (int i = 0; i < 500 && !booked; ++i) {
    gw_->quiesce();
    booked = db_.query("SELECT count(*) FROM executions WHERE last_qty > 0")[0][0] == "1";
    if (!booked) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(booked) << "the gap's fill is reconciled";
  OrderFields c;
  c.clOrdId = "BY6-C";
  c.origClOrdId = "BY6";
  c.symbol = "BTC-PERP";
  c.qty = "0.02";
  client_->send(client_->cancel(c));
  FIX::Message canceled = er("BY6-C");
  if (F(canceled, 150) == "6") canceled = er("BY6-C");
  EXPECT_EQ(F(canceled, 150), "4") << FixTestClient::text(canceled);
  EXPECT_EQ(emu_->orderStatus(link), "PartiallyFilledCanceled");
}

}  // namespace

// The shipped example config loads, and the registry builds its Bybit venue
// from it (credentials from the environment; nothing is sent).
TEST(BybitExampleConfig, LoadsAndTheRegistryBuildsTheVenue) {
  auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw-bybit.example.json");
  ASSERT_EQ(cfg.venues.size(), 1u);
  EXPECT_EQ(cfg.venues[0].type, "bybit");
  const fixgw::Instrument* perp = cfg.instruments.find(fixgw::Symbol("BTC-PERP"));
  ASSERT_NE(perp, nullptr);
  EXPECT_EQ(perp->marginMode, "cross");
  EXPECT_EQ(perp->venueSymbols.at("BYBIT"), "BTCUSDT");
  fixgw::venues::VenueRegistry reg;
  fixgw::registerBuiltinVenues(reg);
  ::setenv("BYBIT_API_KEY", "k", 1);
  ::setenv("BYBIT_API_SECRET", "s", 1);
  fixgw::ManualClock clock;
  fixgw::venues::VenueContext ctx{
      fixgw::VenueId("BYBIT"), cfg.instruments, clock, "venues[0]", "", nullptr};
  auto v = reg.create("bybit", ctx, cfg.venues[0].params);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->id().str(), "BYBIT");
  ::unsetenv("BYBIT_API_SECRET");
  try {
    reg.create("bybit", ctx, cfg.venues[0].params);
    ADD_FAILURE() << "a missing secret is a start-up error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("BYBIT_API_SECRET"), std::string::npos) << e.what();
  }
  fixgw::venues::VenueParams bad = cfg.venues[0].params;
  bad["recv_windw_ms"] = "5000";
  ::setenv("BYBIT_API_SECRET", "s", 1);
  try {
    reg.create("bybit", ctx, bad);
    ADD_FAILURE() << "an unknown key is a start-up error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("recv_windw_ms"), std::string::npos) << e.what();
  }
}
