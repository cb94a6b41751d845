// SIGKILL with an order resting at Alpaca: the fixgw daemon (a child process) routes a US equity
// order to the Alpaca emulator (paper, in this test's process) and is killed with SIGKILL while
// the order rests; the order fills twice at Alpaca while the gateway is dead; the daemon starts
// again on the same database. The restart must adopt the order from the journal, book the two
// gap fills exactly once (by Alpaca's execution_id), and keep trading it: its last fill reaches
// the client.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/fix_test_client.h"
#include "tests/support/gateway_daemon.h"
#include "tests/support/pg_test_env.h"
#include "tests/alpaca/test_data.h"
#include "venue_adapters/alpaca/emulator.h"

namespace fs = std::filesystem;
using fixgw::testing::FixTestClient;
using namespace std::chrono_literals;

namespace {

std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

TEST(AlpacaSigkill, RestartAfterSigkillBooksTheGapFillsOnceAndKeepsTheOrderTrading) {
  fixgw::alpaca::EmulatorOptions eo;
  eo.apiKey = "PKSIGKILLKEY0001";
  eo.secret = "sigkill-secret-for-the-alpaca-emulator";
  eo.assetsJson = {alpacaTestData("asset_aapl.json")};
  fixgw::alpaca::AlpacaEmulator emu(eo);
  emu.start();
  emu.setLastPrice("AAPL", fixgw::Price::of("100"));  // the shipped reference price

  fixgw::testing::PgTestSchema db;
  const int port = fixgw::testing::pickFreePort();
  const fs::path dir = fs::temp_directory_path() / ("fixgw-alpaca-kill-" + db.schema());
  fs::create_directories(dir);
  std::ofstream(dir / "ca.pem") << emu.certPem();
  ::setenv("FIXGW_KILL_ALPACA_KEY", eo.apiKey.c_str(), 1);
  ::setenv("FIXGW_KILL_ALPACA_SECRET", eo.secret.c_str(), 1);
  const std::string cfg = fixgw::testing::daemonConfig(
      port, dir.string(),
      "",  // AAPL is in the shipped config
      "{ \"name\": \"ALPACA\", \"type\": \"alpaca\", \"params\": { \"environment\": \"paper\", "
      "\"paper_host\": \"127.0.0.1\", \"port\": \"" + std::to_string(emu.port()) +
          "\", \"tls_server_name\": \"localhost\", \"ca_file\": \"" + (dir / "ca.pem").string() +
          "\", \"api_key_env\": \"FIXGW_KILL_ALPACA_KEY\", \"secret_env\": "
          "\"FIXGW_KILL_ALPACA_SECRET\", \"poll_interval_ms\": \"100\", \"reconnect_ms\": \"100\" } }",
      "ALPACA");
  std::ofstream(dir / "fixgw.json") << cfg;
  fixgw::testing::GatewayDaemon daemon((dir / "fixgw.json").string(), db.conninfo(),
                                       (dir / "fixgw.log").string());
  ASSERT_TRUE(daemon.start(port)) << "daemon did not start; log:\n" << daemon.log();
  const std::string spec = fixgw::testing::sourceDirOrDot() + "/fix_acceptor/spec";

  std::string link;  // the child's client_order_id at Alpaca
  {
    FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, spec);
    ASSERT_TRUE(client.logon());
    fixgw::testing::OrderFields o;
    o.clOrdId = "AK1";
    o.symbol = "AAPL";
    o.qty = "20";
    o.price = "99";
    o.tif = "1";  // GTC
    client.send(client.newOrder(o));
    auto ack = client.waitForAndPop([](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && F(m, 11) == "AK1";
    });
    ASSERT_TRUE(ack.has_value()) << daemon.log();
    ASSERT_EQ(F(*ack, 150), "0") << FixTestClient::text(*ack);
    link = emu.lastClientOrderId();
    ASSERT_FALSE(link.empty());
    daemon.kill(SIGKILL);
  }
  ASSERT_TRUE(emu.fill(link, fixgw::Qty::of("5"), fixgw::Price::of("99")));
  ASSERT_TRUE(emu.fill(link, fixgw::Qty::of("5"), fixgw::Price::of("99")));

  ASSERT_TRUE(daemon.start(port)) << "daemon did not restart; log:\n" << daemon.log();
  FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, spec);
  ASSERT_TRUE(client.logon());
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 300; ++i) {
    rows = db.query(
        "SELECT count(*), count(DISTINCT venue_exec_id), coalesce(sum(last_qty), 0)::text "
        "FROM executions WHERE last_qty > 0");
    if (rows[0][0] != "0" && rows[0][0] != "1") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(rows[0][0], "2") << "the two gap fills, once each; log:\n" << daemon.log();
  EXPECT_EQ(rows[0][1], "2");
  EXPECT_EQ(fixgw::Qty::of(rows[0][2]), fixgw::Qty::of("10"));

  // The adopted order keeps trading after the restart.
  ASSERT_TRUE(emu.fill(link, fixgw::Qty::of("10"), fixgw::Price::of("99")));
  auto last = client.waitForAndPop([](const FIX::Message& m) {
    return FixTestClient::msgType(m) == "8" && F(m, 11) == "AK1" && F(m, 39) == "2";
  });
  ASSERT_TRUE(last.has_value()) << "the final fill reaches the client; log:\n" << daemon.log();
  EXPECT_EQ(fixgw::Qty::of(F(*last, 14)), fixgw::Qty::of("20"));
  EXPECT_EQ(db.query("SELECT count(*) FROM executions WHERE last_qty > 0")[0][0], "3");
  client.logout();
  daemon.kill(SIGTERM);
  emu.stop();
  fs::remove_all(dir);
}

}  // namespace
