// SIGKILL with Coinbase orders open: the fixgw daemon runs as a child process
// routing to the Coinbase emulator (in this test's process) over HTTPS and
// the user WebSocket channel. One order rests untouched, a second one is
// partially filled and its fill journaled; the daemon is killed with SIGKILL,
// both orders fill at Coinbase while the gateway is dead, and the daemon is
// started again on the same database and FIX store. The restart must adopt
// the open order, book each gap fill exactly once (checked in PostgreSQL,
// by venue trade id), and a cancel sent after the restart must reach Coinbase.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/coinbase/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/coinbase/auth.h"
#include "venue_adapters/coinbase/emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* kKeyName = "organizations/sigkill-org/apiKeys/sigkill-key";

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : ".";
}

std::string readFile(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool replaceOnce(std::string& s, const std::string& from, const std::string& to) {
  size_t p = s.find(from);
  if (p == std::string::npos) return false;
  s.replace(p, from.size(), to);
  return true;
}

bool listening(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// The real daemon (apps/fixgw) as a child process; its output goes to a log
// file that failures print.
class Daemon {
 public:
  Daemon(std::string config, std::string db, std::string log)
      : config_(std::move(config)), db_(std::move(db)), log_(std::move(log)) {}
  ~Daemon() { kill(SIGKILL); }
  void start(int port) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::setenv("FIXGW_DB", db_.c_str(), 1);
      ::execl(FIXGW_BINARY, FIXGW_BINARY, "run", "--config", config_.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 300 && !listening(port); ++i) std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(listening(port)) << "daemon did not start; log:\n" << readFile(log_);
  }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::string config_, db_, log_;
  pid_t pid_ = -1;
};

std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

// Coinbase knows an order by our child id (its client_order_id).
std::string childIdOf(const std::string& createBody) {
  const auto at = createBody.find(R"("client_order_id":")") + 19;
  return createBody.substr(at, createBody.find('"', at) - at);
}

OrderFields btcBuy(const char* id, const char* qty) {
  OrderFields o;
  o.clOrdId = id;
  o.symbol = "BTC/USD";
  o.qty = qty;
  o.price = "59000";
  o.tif = "1";  // GTC: Coinbase spot has no DAY
  return o;
}

TEST(CoinbaseSigkill, RestartAdoptsOpenOrdersBooksGapFillsOnceAndCancelsAtCoinbase) {
  const std::string pem = fixgw::coinbase::generateEcPrivateKeyPem();
  std::string err;
  auto signer = fixgw::coinbase::Es256Signer::fromPem(pem, err);
  ASSERT_TRUE(signer) << err;
  fixgw::coinbase::EmulatorOptions eo;
  eo.keyName = kKeyName;
  eo.publicKeyPem = signer->publicKeyPem();
  eo.productsJson = coinbaseTestData("products.json");
  fixgw::coinbase::CoinbaseEmulator emu(eo);
  emu.start();
  emu.setLastPrice("BTC-USD", fixgw::Price::of("60000"));

  fixgw::testing::PgTestSchema db;
  const int port = fixgw::testing::pickFreePort();
  fs::path dir = fs::temp_directory_path() / ("fixgw-coinbase-kill-" + db.schema());
  fs::create_directories(dir);
  std::ofstream(dir / "ca.pem") << emu.certPem();
  {
    std::ofstream key(dir / "cdp-key.pem");
    key << pem;
  }
  fs::permissions(dir / "cdp-key.pem", fs::perms::owner_read | fs::perms::owner_write);
  ::setenv("FIXGW_KILL_COINBASE_KEY_NAME", kKeyName, 1);

  std::string cfg = readFile(sourceDir() + "/config/fixgw.json");
  ASSERT_TRUE(replaceOnce(cfg, "\"port\": 9878", "\"port\": " + std::to_string(port)));
  ASSERT_TRUE(replaceOnce(cfg, "\"store_path\": \"../var/fix/store\"",
                          "\"store_path\": \"" + (dir / "fixstore").string() + "\""));
  ASSERT_TRUE(
      replaceOnce(cfg, "\"../fix_acceptor/spec\"", "\"" + sourceDir() + "/fix_acceptor/spec\""));
  ASSERT_TRUE(replaceOnce(cfg, "\"../schema\"", "\"" + sourceDir() + "/schema\""));
  ASSERT_TRUE(replaceOnce(
      cfg, "\"instruments\": [",
      "\"instruments\": [\n    { \"symbol\": \"BTC/USD\", \"currency\": \"USD\", \"tick_size\": "
      "\"0.00000001\", \"lot_size\": \"0.00000001\", \"reference_price\": \"60000\", "
      "\"venue_symbols\": { \"COINBASE\": \"BTC-USD\" } },"));
  ASSERT_TRUE(replaceOnce(
      cfg, "  \"venues\": [",
      "  \"venues\": [\n    { \"name\": \"COINBASE\", \"type\": \"coinbase\", \"params\": {"
      " \"rest_host\": \"127.0.0.1\", \"rest_port\": \"" +
          std::to_string(emu.port()) + "\", \"tls_server_name\": \"localhost\", \"ca_file\": \"" +
          (dir / "ca.pem").string() +
          "\", \"key_name_env\": \"FIXGW_KILL_COINBASE_KEY_NAME\", \"private_key_file\": \"" +
          (dir / "cdp-key.pem").string() +
          "\", \"poll_interval_ms\": \"100\", \"reconnect_ms\": \"100\" } },"));
  ASSERT_TRUE(replaceOnce(cfg, "\"default_venue\": \"SIM\"", "\"default_venue\": \"COINBASE\""));
  std::ofstream(dir / "fixgw.json") << cfg;
  const std::string log = (dir / "fixgw.log").string();
  Daemon daemon((dir / "fixgw.json").string(), db.conninfo(), log);
  daemon.start(port);

  // Executions with a fill, counted and summed in PostgreSQL (the journal
  // writes in batches, so this waits for the wanted count).
  auto fills = [&](const std::string& wantCount) {
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < 300; ++i) {
      rows = db.query(
          "SELECT count(*), count(DISTINCT venue_exec_id), coalesce(sum(last_qty), 0)::text "
          "FROM executions WHERE last_qty > 0");
      if (rows[0][0] == wantCount) break;
      std::this_thread::sleep_for(50ms);
    }
    return rows[0];
  };

  std::string restingChild, partialChild;
  {
    FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client.logon());
    for (const char* id : {"KC1", "KC2"}) {
      client.send(client.newOrder(btcBuy(id, id == std::string("KC1") ? "0.02" : "0.01")));
      auto ack = client.waitForAndPop([&](const FIX::Message& m) {
        return FixTestClient::msgType(m) == "8" && F(m, 11) == id;
      });
      ASSERT_TRUE(ack.has_value()) << readFile(log);
      ASSERT_EQ(F(*ack, 150), "0") << FixTestClient::text(*ack);
      (id == std::string("KC1") ? restingChild : partialChild) = childIdOf(emu.lastOrderBody());
    }
    ASSERT_NE(restingChild, partialChild);
    for (int i = 0; i < 300 && emu.userSubscriptions() == 0; ++i) std::this_thread::sleep_for(20ms);
    ASSERT_GE(emu.userSubscriptions(), 1) << emu.lastAuthFailure();

    // KC2 partially filled while the gateway is up: booked before the kill.
    ASSERT_TRUE(emu.fill(partialChild, fixgw::Qty::of("0.004"), fixgw::Price::of("59000")));
    auto part = client.waitForAndPop([](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && F(m, 11) == "KC2" && F(m, 150) == "F";
    });
    ASSERT_TRUE(part.has_value()) << "the partial fill reaches the client";
    EXPECT_EQ(F(*part, 39), "1");
    auto before = fills("1");
    ASSERT_EQ(before[0], "1") << "the partial fill is journaled before the kill";
    daemon.kill(SIGKILL);
  }

  // Fills at Coinbase while the gateway is dead: KC1 partly, KC2 completely.
  ASSERT_TRUE(emu.fill(restingChild, fixgw::Qty::of("0.005"), fixgw::Price::of("59000")));
  ASSERT_TRUE(emu.fill(partialChild, fixgw::Qty::of("0.006"), fixgw::Price::of("59000")));
  EXPECT_EQ(emu.orderStatus(partialChild), "FILLED");
  const int createsBeforeRestart = emu.createRequests();

  daemon.start(port);
  FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
  ASSERT_TRUE(client.logon());
  auto after = fills("3");
  EXPECT_EQ(after[0], "3") << "the partial fill and the two gap fills, once each; log:\n"
                           << readFile(log);
  EXPECT_EQ(after[1], "3") << "each venue trade id once";
  EXPECT_EQ(fixgw::Qty::of(after[2]), fixgw::Qty::of("0.015"));
  auto perChild = db.query(
      "SELECT child_order_id, sum(last_qty)::text FROM executions WHERE last_qty > 0 "
      "GROUP BY child_order_id ORDER BY child_order_id");
  std::map<std::string, fixgw::Qty> byChild;
  for (const auto& r : perChild) byChild[r[0]] = fixgw::Qty::of(r[1]);
  EXPECT_EQ(byChild[restingChild], fixgw::Qty::of("0.005"));
  EXPECT_EQ(byChild[partialChild], fixgw::Qty::of("0.01"));

  // The adopted order is still live: a cancel after the restart reaches
  // Coinbase, and nothing was re-sent as a new order.
  OrderFields c;
  c.clOrdId = "KC1-C";
  c.origClOrdId = "KC1";
  c.symbol = "BTC/USD";
  c.qty = "0.02";
  client.send(client.cancel(c));
  auto done = client.waitForAndPop([](const FIX::Message& m) {
    return FixTestClient::msgType(m) == "8" && F(m, 11) == "KC1-C" && F(m, 150) != "6";
  });
  ASSERT_TRUE(done.has_value()) << "the cancel is answered; log:\n" << readFile(log);
  EXPECT_EQ(F(*done, 150), "4") << FixTestClient::text(*done);
  EXPECT_EQ(fixgw::Qty::of(F(*done, 14)), fixgw::Qty::of("0.005")) << "CumQty counts the gap fill";
  EXPECT_EQ(emu.orderStatus(restingChild), "CANCELLED");
  EXPECT_EQ(emu.createRequests(), createsBeforeRestart) << "no order re-sent after the restart";
  EXPECT_EQ(emu.ordersWithClientId(restingChild), 1);
  EXPECT_EQ(fills("3")[0], "3") << "nothing booked twice after the cancel";
  EXPECT_EQ(emu.authFailures(), 0) << emu.lastAuthFailure();

  client.logout();
  daemon.kill(SIGTERM);
  emu.stop();
  fs::remove_all(dir);
}

}  // namespace
