// SIGKILL with an order open at Kraken: the fixgw daemon runs as a child
// process routing to the Kraken emulator (in this test's process); it is
// killed with SIGKILL while the order rests, the order fills twice at Kraken
// while the gateway is dead, and the daemon is started again on the same
// database and nonce file. The restart must reuse no nonce, book the two
// gap fills exactly once, and keep trading the adopted order.
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
#include <sstream>
#include <thread>

#include "tests/kraken/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/kraken/auth.h"
#include "venue_adapters/kraken/emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

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

TEST(KrakenSigkill, RestartAfterSigkillReusesNoNonceAndBooksTheGapFillsOnce) {
  fixgw::kraken::EmulatorOptions eo;
  eo.apiKey = "sigkill-key";
  eo.secret = fixgw::kraken::base64Encode("sigkill-secret-for-the-emulator!");
  eo.assetPairsJson = krakenTestData("asset_pairs.json");
  fixgw::kraken::KrakenEmulator emu(eo);
  emu.start();
  emu.setLastPrice("XBTUSD", fixgw::Price::of("30000"));

  fixgw::testing::PgTestSchema db;
  const int port = fixgw::testing::pickFreePort();
  fs::path dir = fs::temp_directory_path() / ("fixgw-kraken-kill-" + db.schema());
  fs::create_directories(dir);
  std::ofstream(dir / "ca.pem") << emu.certPem();
  ::setenv("FIXGW_KILL_KRAKEN_KEY", eo.apiKey.c_str(), 1);
  ::setenv("FIXGW_KILL_KRAKEN_SECRET", eo.secret.c_str(), 1);

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
      "\"0.00000001\", \"lot_size\": \"0.00000001\", \"reference_price\": \"30000\", "
      "\"venue_symbols\": { \"KRAKEN\": \"XBTUSD\" } },"));
  ASSERT_TRUE(replaceOnce(
      cfg, "  \"venues\": [",
      "  \"venues\": [\n    { \"name\": \"KRAKEN\", \"type\": \"kraken\", \"params\": {"
      " \"rest_host\": \"127.0.0.1\", \"rest_port\": \"" +
          std::to_string(emu.port()) + "\", \"tls_server_name\": \"localhost\", \"ca_file\": \"" +
          (dir / "ca.pem").string() +
          "\", \"api_key_env\": \"FIXGW_KILL_KRAKEN_KEY\", \"secret_env\": "
          "\"FIXGW_KILL_KRAKEN_SECRET\", \"nonce_file\": \"" +
          (dir / "kraken.nonce").string() +
          "\", \"poll_interval_ms\": \"100\", \"reconnect_ms\": \"100\" } },"));
  ASSERT_TRUE(replaceOnce(cfg, "\"default_venue\": \"SIM\"", "\"default_venue\": \"KRAKEN\""));
  std::ofstream(dir / "fixgw.json") << cfg;
  Daemon daemon((dir / "fixgw.json").string(), db.conninfo(), (dir / "fixgw.log").string());
  daemon.start(port);

  std::string child;
  {
    FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client.logon());
    OrderFields o;
    o.clOrdId = "KK1";
    o.symbol = "BTC/USD";
    o.qty = "0.02";
    o.price = "29000";
    o.tif = "1";
    client.send(client.newOrder(o));
    auto ack = client.waitForAndPop([](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && F(m, 11) == "KK1";
    });
    ASSERT_TRUE(ack.has_value()) << readFile((dir / "fixgw.log").string());
    ASSERT_EQ(F(*ack, 150), "0") << FixTestClient::text(*ack);
    const std::string p = emu.lastOrderParams();
    const auto at = p.find("cl_ord_id=") + 10;
    child = p.substr(at, p.find('&', at) - at);
    daemon.kill(SIGKILL);
  }
  const uint64_t nonceAtKill = emu.lastNonce();
  ASSERT_TRUE(emu.fill(child, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));
  ASSERT_TRUE(emu.fill(child, fixgw::Qty::of("0.005"), fixgw::Price::of("29000")));

  daemon.start(port);
  FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
  ASSERT_TRUE(client.logon());
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 300; ++i) {
    rows = db.query(
        "SELECT count(*), count(DISTINCT venue_exec_id), coalesce(sum(last_qty), 0)::text "
        "FROM executions WHERE last_qty > 0");
    if (rows[0][0] != "0" && rows[0][0] != "1") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(rows[0][0], "2") << "the two gap fills, once each; log:\n"
                             << readFile((dir / "fixgw.log").string());
  EXPECT_EQ(rows[0][1], "2");
  EXPECT_EQ(fixgw::Qty::of(rows[0][2]), fixgw::Qty::of("0.01"));
  EXPECT_EQ(emu.nonceFailures(), 0) << "no nonce reused after SIGKILL";
  EXPECT_GT(emu.lastNonce(), nonceAtKill);

  // The adopted order keeps trading after the restart.
  ASSERT_TRUE(emu.fill(child, fixgw::Qty::of("0.01"), fixgw::Price::of("29000")));
  auto last = client.waitForAndPop([](const FIX::Message& m) {
    return FixTestClient::msgType(m) == "8" && F(m, 11) == "KK1" && F(m, 39) == "2";
  });
  ASSERT_TRUE(last.has_value()) << "the final fill reaches the client";
  EXPECT_EQ(fixgw::Qty::of(F(*last, 14)), fixgw::Qty::of("0.02"));
  client.logout();
  daemon.kill(SIGTERM);
  emu.stop();
  fs::remove_all(dir);
}

}  // namespace
