// SIGKILL with an order resting at Bybit: the fixgw daemon (a child process) routes a USDT
// perpetual order to the Bybit emulator (in this test's process) and is killed with SIGKILL while
// the order rests; the order fills twice at Bybit while the gateway is dead; the daemon starts
// again on the same database. The restart must adopt the order from the journal, book the two gap
// fills exactly once (by Bybit's execId), and keep trading it: its last fill reaches the client.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/fix_test_client.h"
#include "tests/support/gateway_daemon.h"
#include "tests/support/pg_test_env.h"
#include "tests/bybit/test_data.h"
#include "venue_adapters/bybit/emulator.h"

namespace fs = std::filesystem;
using fixgw::testing::FixTestClient;
using namespace std::chrono_literals;

namespace {

std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

TEST(BybitSigkill, RestartAfterSigkillBooksTheGapFillsOnceAndKeepsTheOrderTrading) {
  fixgw::bybit::EmulatorOptions eo;
  eo.apiKey = "sigkill-bybit-key";
  eo.secret = "sigkill-bybit-secret-for-the-emulator";
  eo.instrumentsSpotJson = bybitTestData("instruments_spot.json");
  eo.instrumentsLinearJson = bybitTestData("instruments_linear.json");
  fixgw::bybit::BybitEmulator emu(eo);
  emu.start();
  emu.setLastPrice("linear", "BTCUSDT", fixgw::Price::of("30000"));

  fixgw::testing::PgTestSchema db;
  const int port = fixgw::testing::pickFreePort();
  const fs::path dir = fs::temp_directory_path() / ("fixgw-bybit-kill-" + db.schema());
  fs::create_directories(dir);
  std::ofstream(dir / "ca.pem") << emu.certPem();
  ::setenv("FIXGW_KILL_BYBIT_KEY", eo.apiKey.c_str(), 1);
  ::setenv("FIXGW_KILL_BYBIT_SECRET", eo.secret.c_str(), 1);
  const std::string cfg = fixgw::testing::daemonConfig(
      port, dir.string(),
      "{ \"symbol\": \"BTC-PERP\", \"currency\": \"USD\", \"tick_size\": \"0.00000001\", "
      "\"lot_size\": \"0.00000001\", \"reference_price\": \"30000\", \"margin_mode\": "
      "\"cross\", \"settle_currency\": \"USDT\", \"venue_symbols\": { \"BYBIT\": \"BTCUSDT\" } },",
      "{ \"name\": \"BYBIT\", \"type\": \"bybit\", \"params\": { \"rest_host\": \"127.0.0.1\", "
      "\"rest_port\": \"" + std::to_string(emu.port()) +
          "\", \"tls_server_name\": \"localhost\", \"ca_file\": \"" + (dir / "ca.pem").string() +
          "\", \"api_key_env\": \"FIXGW_KILL_BYBIT_KEY\", \"secret_env\": "
          "\"FIXGW_KILL_BYBIT_SECRET\", \"poll_interval_ms\": \"100\", \"reconnect_ms\": \"100\" } }",
      "BYBIT");
  std::ofstream(dir / "fixgw.json") << cfg;
  fixgw::testing::GatewayDaemon daemon((dir / "fixgw.json").string(), db.conninfo(),
                                       (dir / "fixgw.log").string());
  ASSERT_TRUE(daemon.start(port)) << "daemon did not start; log:\n" << daemon.log();
  const std::string spec = fixgw::testing::sourceDirOrDot() + "/fix_acceptor/spec";

  std::string link;  // the child's orderLinkId at Bybit
  {
    FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, spec);
    ASSERT_TRUE(client.logon());
    fixgw::testing::OrderFields o;
    o.clOrdId = "BK1";
    o.symbol = "BTC-PERP";
    o.qty = "0.02";
    o.price = "29000";
    o.tif = "1";  // GTC
    client.send(client.newOrder(o));
    auto ack = client.waitForAndPop([](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && F(m, 11) == "BK1";
    });
    ASSERT_TRUE(ack.has_value()) << daemon.log();
    ASSERT_EQ(F(*ack, 150), "0") << FixTestClient::text(*ack);
    const std::string b = emu.lastCreateBody();
    const std::string k = "\"orderLinkId\":\"";
    const auto at = b.find(k);
    ASSERT_NE(at, std::string::npos) << b;
    link = b.substr(at + k.size(), b.find('"', at + k.size()) - at - k.size());
    daemon.kill(SIGKILL);
  }
  ASSERT_TRUE(emu.fill(link, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  ASSERT_TRUE(emu.fill(link, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));

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
  EXPECT_EQ(fixgw::Qty::of(rows[0][2]), fixgw::Qty::of("0.01"));

  // The adopted order keeps trading after the restart.
  ASSERT_TRUE(emu.fill(link, fixgw::Qty::of("0.01"), fixgw::Price::of("29000")));
  auto last = client.waitForAndPop([](const FIX::Message& m) {
    return FixTestClient::msgType(m) == "8" && F(m, 11) == "BK1" && F(m, 39) == "2";
  });
  ASSERT_TRUE(last.has_value()) << "the final fill reaches the client; log:\n" << daemon.log();
  EXPECT_EQ(fixgw::Qty::of(F(*last, 14)), fixgw::Qty::of("0.02"));
  EXPECT_EQ(db.query("SELECT count(*) FROM executions WHERE last_qty > 0")[0][0], "3");
  client.logout();
  daemon.kill(SIGTERM);
  emu.stop();
  fs::remove_all(dir);
}

}  // namespace
