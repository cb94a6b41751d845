// End to end through a real FIX 4.4 session: the whole gateway (QuickFIX
// acceptor, risk, router, PostgreSQL journal) routes to `"type": "alpaca"`,
// created by the registry from config, talking HTTPS + the /stream WebSocket
// to the Alpaca emulator on loopback. The key pair comes from the
// environment, the emulator's run-time certificate from a file named in
// config.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/alpaca/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/alpaca/emulator.h"
#include "venue_adapters/registry.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

constexpr const char* kKey = "PKE2EKEY00000001";
constexpr const char* kSecret = "e2e-secret-for-the-alpaca-emulator";

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : ".";
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

class AlpacaGatewayE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    fixgw::alpaca::EmulatorOptions eo;
    eo.apiKey = kKey;
    eo.secret = kSecret;
    eo.assetsJson = {alpacaTestData("asset_aapl.json")};
    emu_ = std::make_unique<fixgw::alpaca::AlpacaEmulator>(eo);
    emu_->start();
    emu_->setLastPrice("AAPL", fixgw::Price::of("150"));
    dir_ = std::filesystem::temp_directory_path() /
           ("fixgw-alpaca-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "emulator-ca.pem") << emu_->certPem();
    ::setenv("FIXGW_E2E_ALPACA_KEY", kKey, 1);
    ::setenv("FIXGW_E2E_ALPACA_SECRET", kSecret, 1);
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
    fixgw::Instrument aapl;
    aapl.symbol = fixgw::Symbol("AAPL");
    aapl.currency = "USD";
    aapl.tickSize = fixgw::Price::of("0.0001");  // Alpaca's rules decide
    aapl.lotSize = fixgw::Qty::of("0.00000001");
    aapl.referencePrice = fixgw::Price::of("150");
    cfg.instruments.add(aapl);
    cfg.venues.clear();
    cfg.venues.push_back({"ALPACA",
                          "alpaca",
                          {{"environment", "paper"},
                           {"paper_host", "127.0.0.1"},
                           {"port", std::to_string(emu_->port())},
                           {"tls_server_name", "localhost"},
                           {"ca_file", (dir_ / "emulator-ca.pem").string()},
                           {"api_key_env", "FIXGW_E2E_ALPACA_KEY"},
                           {"secret_env", "FIXGW_E2E_ALPACA_SECRET"},
                           {"poll_interval_ms", "100"},
                           {"reconnect_ms", "100"}}});
    cfg.routing.rules.clear();
    cfg.routing.defaultVenue = fixgw::VenueId("ALPACA");
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
    for (int i = 0; i < 500 && emu_->tradeUpdateListeners() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(emu_->tradeUpdateListeners(), 1) << "the adapter's trade_updates stream is up";
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

  OrderFields aapl(const char* id, const char* qty, const char* px, const char* tif = "0") {
    OrderFields o;
    o.clOrdId = id;
    o.symbol = "AAPL";
    o.qty = qty;
    o.price = px;
    o.tif = tif;
    return o;
  }

  fixgw::testing::PgTestSchema db_;
  std::unique_ptr<fixgw::alpaca::AlpacaEmulator> emu_;
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_F(AlpacaGatewayE2E, LimitOrderRestsAtAlpacaAndIsCanceled) {
  client_->send(client_->newOrder(aapl("AP1", "10", "149.5")));
  FIX::Message ack = er("AP1");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  EXPECT_NE(emu_->lastOrderBody().find(R"("qty":"10","side":"buy","type":"limit",)"
                                       R"("time_in_force":"day","limit_price":"149.5")"),
            std::string::npos)
      << emu_->lastOrderBody();
  const std::string child = emu_->lastClientOrderId();
  EXPECT_EQ(emu_->orderStatus(child), "new");
  OrderFields c;
  c.clOrdId = "AP1-C";
  c.origClOrdId = "AP1";
  c.symbol = "AAPL";
  c.qty = "10";
  client_->send(client_->cancel(c));
  FIX::Message canceled = er("AP1-C");
  if (F(canceled, 150) == "6") canceled = er("AP1-C");
  EXPECT_EQ(F(canceled, 150), "4") << FixTestClient::text(canceled);
  EXPECT_EQ(F(canceled, 39), "4");
  EXPECT_EQ(emu_->orderStatus(child), "canceled");
}

TEST_F(AlpacaGatewayE2E, MarketableOrderFillsInPartsWithoutFees) {
  emu_->fillInParts(3);
  client_->send(client_->newOrder(aapl("AP2", "30", "150.5", "1")));  // GTC, crosses 150
  FIX::Message ack = er("AP2");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  std::vector<FIX::Message> fills;
  for (int i = 0; i < 3; ++i) fills.push_back(er("AP2"));
  for (const auto& f : fills) {
    EXPECT_EQ(F(f, 150), "F") << FixTestClient::text(f);
    EXPECT_EQ(fixgw::Qty::of(F(f, 32)), fixgw::Qty::of("10"));
    EXPECT_EQ(fixgw::Price::of(F(f, 31)), fixgw::Price::of("150"));
  }
  EXPECT_EQ(F(fills[0], 39), "1");
  EXPECT_EQ(F(fills[2], 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(fills[2], 14)), fixgw::Qty::of("30"));
  gw_->quiesce();
  // Alpaca reports no commission on equities: three executions, no fee booked.
  auto rows = db_.query("SELECT count(*), count(fee) FROM executions WHERE last_qty > 0");
  EXPECT_EQ(rows[0][0], "3");
  EXPECT_EQ(rows[0][1], "0");
}

TEST_F(AlpacaGatewayE2E, AlpacasRejectReachesTheClientsText) {
  emu_->failNext(403, 40310000, "insufficient buying power");
  client_->send(client_->newOrder(aapl("AP3", "10", "149")));
  FIX::Message rej = er("AP3");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("insufficient buying power"), std::string::npos) << F(rej, 58);
}

TEST_F(AlpacaGatewayE2E, ASubPennyPriceIsRejectedBeforeItLeaves) {
  client_->send(client_->newOrder(aapl("AP4", "10", "149.005")));
  FIX::Message rej = er("AP4");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("sub-penny"), std::string::npos) << F(rej, 58);
  EXPECT_EQ(emu_->requests("POST /v2/orders"), 0) << "rejected before it left";
}

TEST_F(AlpacaGatewayE2E, FillsDuringAStreamDropAreRecoveredOnce) {
  client_->send(client_->newOrder(aapl("AP5", "20", "149", "1")));
  ASSERT_EQ(F(er("AP5"), 150), "0");
  const std::string child = emu_->lastClientOrderId();
  emu_->refuseStreams(true);
  emu_->dropStreams();
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("5"), fixgw::Price::of("149")));
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("5"), fixgw::Price::of("149")));
  FIX::Message f1 = er("AP5");
  FIX::Message f2 = er("AP5");
  EXPECT_EQ(F(f1, 150), "F") << FixTestClient::text(f1);
  EXPECT_EQ(F(f2, 150), "F") << FixTestClient::text(f2);
  EXPECT_EQ(fixgw::Qty::of(F(f2, 14)), fixgw::Qty::of("10"));
  emu_->refuseStreams(false);
  for (int i = 0; i < 1500 && emu_->tradeUpdateListeners() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(emu_->tradeUpdateListeners(), 1) << "the stream is back";
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("10"), fixgw::Price::of("149")));
  emu_->replayLastFill();
  FIX::Message f3 = er("AP5");
  EXPECT_EQ(F(f3, 150), "F");
  EXPECT_EQ(F(f3, 39), "2");
  EXPECT_EQ(fixgw::Qty::of(F(f3, 14)), fixgw::Qty::of("20"));
  gw_->quiesce();
  auto rows = db_.query("SELECT count(*) FROM executions WHERE last_qty > 0");
  EXPECT_EQ(rows[0][0], "3") << "each fill booked once";
}

TEST_F(AlpacaGatewayE2E, RestartReconcilesAFillMadeWhileDown) {
  client_->send(client_->newOrder(aapl("AP6", "20", "149", "1")));
  ASSERT_EQ(F(er("AP6"), 150), "0");
  const std::string child = emu_->lastClientOrderId();
  stopGateway();
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("5"), fixgw::Price::of("149")));
  startGateway();
  bool booked = false;
  for (int i = 0; i < 500 && !booked; ++i) {
    gw_->quiesce();
    booked = db_.query("SELECT count(*) FROM executions WHERE last_qty > 0")[0][0] == "1";
    if (!booked) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(booked) << "the gap's fill is reconciled";
  // The adopted order still trades, and the gap fill is not booked again.
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("15"), fixgw::Price::of("149")));
  bool done = false;
  for (int i = 0; i < 500 && !done; ++i) {
    gw_->quiesce();
    done = db_.query("SELECT count(*) FROM executions WHERE last_qty > 0")[0][0] == "2";
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(done) << "the adopted order's next fill is booked once";
}

// config/fixgw-alpaca.example.json, as shipped, builds an Alpaca venue
// through the registry that trades against the emulator (host, port and CA
// from the environment variables the example reads).
TEST_F(AlpacaGatewayE2E, TheExampleConfigTradesAgainstTheEmulator) {
  ::setenv("FIXGW_ALPACA_PORT", std::to_string(emu_->port()).c_str(), 1);
  ::setenv("FIXGW_ALPACA_CA_FILE", (dir_ / "emulator-ca.pem").c_str(), 1);
  ::setenv("APCA_API_KEY_ID", kKey, 1);
  ::setenv("APCA_API_SECRET_KEY", kSecret, 1);
  auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw-alpaca.example.json");
  const fixgw::config::VenueCfg* vc = nullptr;
  for (const auto& v : cfg.venues)
    if (v.type == "alpaca") vc = &v;
  ASSERT_NE(vc, nullptr);
  EXPECT_EQ(vc->params.at("environment"), "paper");
  fixgw::venues::VenueRegistry reg;
  fixgw::registerBuiltinVenues(reg);
  fixgw::venues::VenueContext ctx{fixgw::VenueId(vc->name),
                                  cfg.instruments,
                                  fixgw::SystemClock::instance(),
                                  "venues[1]",
                                  "",
                                  nullptr};
  auto venue = reg.create(vc->type, ctx, vc->params);
  struct Sink : fixgw::VenueEventSink {
    std::mutex mu;
    std::vector<fixgw::VenueEvent> evs;
    void onVenueEvent(fixgw::VenueEvent e) override {
      std::lock_guard lk(mu);
      evs.push_back(std::move(e));
    }
  } sink;
  venue->start(sink);
  fixgw::VenueNewOrder o;
  o.childId = fixgw::ChildOrderId("EX1");
  o.symbol = fixgw::Symbol("AAPL");
  o.qty = fixgw::Qty::of("1");
  o.price = fixgw::Price::of("149");
  venue->submit(o);
  bool acked = false;
  for (int i = 0; i < 500 && !acked; ++i) {
    {
      std::lock_guard lk(sink.mu);
      for (const auto& e : sink.evs) acked |= e.kind == fixgw::VenueEventKind::Accepted;
    }
    if (!acked) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  venue->stop();
  EXPECT_TRUE(acked);
  EXPECT_EQ(emu_->orderStatus("EX1"), "new");
}

}  // namespace
