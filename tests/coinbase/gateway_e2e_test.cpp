// End to end through a real FIX 4.4 session: the whole gateway (QuickFIX
// acceptor, risk, router, PostgreSQL journal) routes to `"type": "coinbase"`,
// created by the registry from config, talking HTTPS + WebSockets to the
// Coinbase emulator on loopback. The API key name comes from the
// environment, the EC private key from a file named in config, the
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
#include "tests/coinbase/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/coinbase/auth.h"
#include "venue_adapters/coinbase/emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

constexpr const char* kKeyName = "organizations/e2e-org/apiKeys/e2e-key";

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : ".";
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

class CoinbaseGatewayE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string pem = fixgw::coinbase::generateEcPrivateKeyPem();
    std::string err;
    auto signer = fixgw::coinbase::Es256Signer::fromPem(pem, err);
    ASSERT_TRUE(signer) << err;
    fixgw::coinbase::EmulatorOptions eo;
    eo.keyName = kKeyName;
    eo.publicKeyPem = signer->publicKeyPem();
    eo.productsJson = coinbaseTestData("products.json");
    emu_ = std::make_unique<fixgw::coinbase::CoinbaseEmulator>(eo);
    emu_->start();
    emu_->setLastPrice("BTC-USD", fixgw::Price::of("60000"));
    dir_ = std::filesystem::temp_directory_path() /
           ("fixgw-coinbase-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "emulator-ca.pem") << emu_->certPem();
    {
      std::ofstream key(dir_ / "cdp-key.pem");
      key << pem;
    }
    std::filesystem::permissions(dir_ / "cdp-key.pem", std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write);
    ::setenv("FIXGW_E2E_COINBASE_KEY_NAME", kKeyName, 1);

    port_ = fixgw::testing::pickFreePort();
    auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg.fix.port = port_;
    cfg.fix.storeType = "memory";
    cfg.database.conninfo = db_.conninfo();
    cfg.logging.level = "warn";
    fixgw::Instrument btc;
    btc.symbol = fixgw::Symbol("BTC/USD");
    btc.currency = "USD";
    btc.tickSize = fixgw::Price::of("0.00000001");  // the venue's product rules decide
    btc.lotSize = fixgw::Qty::of("0.00000001");
    btc.referencePrice = fixgw::Price::of("60000");
    btc.venueSymbols["COINBASE"] = "BTC-USD";
    cfg.instruments.add(btc);
    cfg.venues.clear();
    cfg.venues.push_back({"COINBASE",
                          "coinbase",
                          {{"rest_host", "127.0.0.1"},
                           {"rest_port", std::to_string(emu_->port())},
                           {"tls_server_name", "localhost"},
                           {"ca_file", (dir_ / "emulator-ca.pem").string()},
                           {"key_name_env", "FIXGW_E2E_COINBASE_KEY_NAME"},
                           {"private_key_file", (dir_ / "cdp-key.pem").string()},
                           {"poll_interval_ms", "100"},
                           {"reconnect_ms", "100"}}});
    cfg.routing.rules.clear();
    cfg.routing.defaultVenue = fixgw::VenueId("COINBASE");
    cfg_ = std::make_unique<decltype(cfg)>(cfg);
    gw_ = std::make_unique<fixgw::Gateway>(cfg);
    gw_->start();
    client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
    for (int i = 0; i < 500 && emu_->userSubscriptions() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(emu_->userSubscriptions(), 1)
        << "the adapter's user channel is up (" << emu_->lastAuthFailure() << ")";
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
    o.symbol = "BTC/USD";
    o.qty = qty;
    o.price = px;
    o.tif = "1";  // GTC: Coinbase spot has no DAY
    return o;
  }

  // Coinbase knows the order by our child id (its client_order_id).
  std::string lastChildId() const {
    const std::string b = emu_->lastOrderBody();
    const auto at = b.find(R"("client_order_id":")") + 19;
    return b.substr(at, b.find('"', at) - at);
  }

  // Executions journaled, waited for (the journal writes in batches).
  std::string waitForDb(const std::string& sql, const std::string& want) {
    std::string got;
    for (int i = 0; i < 500; ++i) {
      auto rows = db_.query(sql);
      got = rows.empty() || rows[0].empty() ? "" : rows[0][0];
      if (got == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return got;
  }

  fixgw::testing::PgTestSchema db_;
  std::unique_ptr<decltype(fixgw::config::loadConfig(""))> cfg_;
  std::unique_ptr<fixgw::coinbase::CoinbaseEmulator> emu_;
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

TEST_F(CoinbaseGatewayE2E, LimitOrderRestsAtCoinbaseAndIsCanceled) {
  client_->send(client_->newOrder(btcOrder("CB1", "0.001", "59000")));
  FIX::Message ack = er("CB1");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  EXPECT_NE(emu_->lastOrderBody().find(R"("limit_limit_gtc":{"base_size":"0.001",)"
                                       R"("limit_price":"59000","post_only":false})"),
            std::string::npos)
      << emu_->lastOrderBody();
  const std::string child = lastChildId();
  EXPECT_EQ(emu_->orderStatus(child), "OPEN");

  OrderFields c;
  c.clOrdId = "CB1-C";
  c.origClOrdId = "CB1";
  c.symbol = "BTC/USD";
  c.qty = "0.001";
  client_->send(client_->cancel(c));
  FIX::Message done = er("CB1-C");
  if (F(done, 150) == "6") done = er("CB1-C");  // pending cancel first
  EXPECT_EQ(F(done, 150), "4") << FixTestClient::text(done);
  EXPECT_EQ(F(done, 39), "4");
  EXPECT_EQ(emu_->orderStatus(child), "CANCELLED");
  EXPECT_EQ(emu_->authFailures(), 0) << emu_->lastAuthFailure();
}

TEST_F(CoinbaseGatewayE2E, MarketableOrderFillsInPartsWithFeesJournaled) {
  emu_->setFillParts(3);
  client_->send(client_->newOrder(btcOrder("CB2", "0.003", "60100")));
  FIX::Message ack = er("CB2");
  ASSERT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
  fixgw::Qty cum;
  std::string lastStatus;
  for (int i = 0; i < 3; ++i) {
    FIX::Message f = er("CB2");
    ASSERT_EQ(F(f, 150), "F") << FixTestClient::text(f);
    EXPECT_EQ(fixgw::Qty::of(F(f, 32)), fixgw::Qty::of("0.001"));
    EXPECT_EQ(fixgw::Price::of(F(f, 31)), fixgw::Price::of("60000")) << "filled at the market";
    lastStatus = F(f, 39);
    cum = fixgw::Qty::of(F(f, 14));
  }
  EXPECT_EQ(lastStatus, "2");
  EXPECT_EQ(cum, fixgw::Qty::of("0.003"));
  // Each fill booked with Coinbase's commission in the quote currency.
  EXPECT_EQ(
      waitForDb("SELECT count(*) FROM executions WHERE fee = 0.36 AND fee_currency = 'USD'", "3"),
      "3");
}

TEST_F(CoinbaseGatewayE2E, ACoinbaseRejectReachesTheClientsText) {
  emu_->rejectNextOrder("INSUFFICIENT_FUND", "Insufficient balance in source account",
                        "PREVIEW_INSUFFICIENT_FUND");
  client_->send(client_->newOrder(btcOrder("CB3", "0.001", "59000")));
  FIX::Message rej = er("CB3");
  EXPECT_EQ(F(rej, 39), "8") << FixTestClient::text(rej);
  EXPECT_NE(F(rej, 58).find("INSUFFICIENT_FUND"), std::string::npos) << F(rej, 58);
  EXPECT_NE(F(rej, 58).find("Insufficient balance in source account"), std::string::npos);

  // A product rule is enforced before the order leaves, naming the rule.
  const int creates = emu_->createRequests();
  client_->send(client_->newOrder(btcOrder("CB3b", "0.001", "59000.005")));
  FIX::Message rej2 = er("CB3b");
  EXPECT_EQ(F(rej2, 39), "8");
  EXPECT_NE(F(rej2, 58).find("quote_increment"), std::string::npos) << F(rej2, 58);
  EXPECT_EQ(emu_->createRequests(), creates);
}

TEST_F(CoinbaseGatewayE2E, FillsDuringAStreamDropAreRecoveredOnce) {
  client_->send(client_->newOrder(btcOrder("CB4", "0.002", "59000")));
  ASSERT_EQ(F(er("CB4"), 150), "0");
  const std::string child = lastChildId();
  emu_->refuseStreams(true);
  emu_->dropStreams();
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("0.0008"), fixgw::Price::of("59000")));
  FIX::Message f1 = er("CB4");
  EXPECT_EQ(F(f1, 150), "F") << FixTestClient::text(f1);
  EXPECT_EQ(fixgw::Qty::of(F(f1, 32)), fixgw::Qty::of("0.0008"));
  emu_->refuseStreams(false);
  for (int i = 0; i < 500 && emu_->userSubscriptions() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(emu_->userSubscriptions(), 2) << "the user channel came back";
  emu_->replayLastUpdate();  // an old update again: nothing new to book
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("0.0012"), fixgw::Price::of("59000")));
  FIX::Message f2 = er("CB4");
  EXPECT_EQ(F(f2, 150), "F") << FixTestClient::text(f2);
  EXPECT_EQ(fixgw::Qty::of(F(f2, 32)), fixgw::Qty::of("0.0012"));
  EXPECT_EQ(F(f2, 39), "2");
  EXPECT_EQ(waitForDb("SELECT count(*) FROM executions", "2"), "2")
      << "each Coinbase trade journaled exactly once";
}

TEST_F(CoinbaseGatewayE2E, A429IsBackPressureNotABan) {
  emu_->failNext(429, 1, 1);
  client_->send(client_->newOrder(btcOrder("CB5", "0.001", "59000")));
  FIX::Message rej = er("CB5");
  EXPECT_EQ(F(rej, 39), "8");
  EXPECT_NE(F(rej, 58).find("HTTP 429"), std::string::npos) << F(rej, 58);
  const int creates = emu_->createRequests();
  client_->send(client_->newOrder(btcOrder("CB6", "0.001", "59000")));
  FIX::Message rej2 = er("CB6");
  EXPECT_EQ(F(rej2, 39), "8");
  EXPECT_NE(F(rej2, 58).find("not sending"), std::string::npos) << F(rej2, 58);
  EXPECT_EQ(emu_->createRequests(), creates) << "held back locally during Retry-After";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  client_->send(client_->newOrder(btcOrder("CB7", "0.001", "59000")));
  FIX::Message ack = er("CB7");
  EXPECT_EQ(F(ack, 150), "0") << FixTestClient::text(ack);
}

TEST_F(CoinbaseGatewayE2E, AfterARestartFillsMadeWhileDownAreReconciledOnce) {
  client_->send(client_->newOrder(btcOrder("CB8", "0.002", "59000")));
  ASSERT_EQ(F(er("CB8"), 150), "0");
  const std::string child = lastChildId();
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("0.0005"), fixgw::Price::of("59000")));
  FIX::Message f1 = er("CB8");
  ASSERT_EQ(F(f1, 150), "F") << FixTestClient::text(f1);
  ASSERT_EQ(waitForDb("SELECT count(*) FROM executions", "1"), "1");

  // The gateway goes away with the order open; the rest fills meanwhile.
  client_->logout();
  client_.reset();
  gw_->stop();
  gw_.reset();
  ASSERT_TRUE(emu_->fill(child, fixgw::Qty::of("0.0015"), fixgw::Price::of("59000")));

  // Restart on the same journal: adoption + snapshot book the missed fill once.
  gw_ = std::make_unique<fixgw::Gateway>(*cfg_);
  gw_->start();
  EXPECT_EQ(waitForDb("SELECT count(*) FROM executions", "2"), "2");
  EXPECT_EQ(waitForDb("SELECT sum(last_qty)::numeric(38,8)::text FROM executions", "0.00200000"),
            "0.00200000");
  // A few poll rounds later, still booked exactly once.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(db_.query("SELECT count(*) FROM executions")[0][0], "2");
}

}  // namespace
