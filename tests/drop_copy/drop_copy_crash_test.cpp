// Drop copy across a real crash: the fixgw daemon runs as a child process (durable
// acknowledgements, PostgreSQL journal, simulator venue, append-only FIX stores) with a
// drop-copy session for every account; orders trade while the compliance client receives
// copies, and the daemon is killed with SIGKILL in the middle of that. It is started again on
// the same database and stores; the compliance client reconnects without resetting. Every
// report in the journal must have reached it, and a report it got twice must be flagged
// (PossDupFlag 43=Y from QuickFIX's resend, or PossResend 97=Y from the journal's crash window).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}

std::string readFile(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
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

// The daemon as a child process; killed with SIGKILL when the test is done with it.
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

}  // namespace

TEST(DropCopyCrash, EveryJournaledReportReachesTheDropCopyAndRepeatsAreFlagged) {
  fixgw::testing::PgTestSchema db;
  const int port = fixgw::testing::pickFreePort();
  fs::path dir = fs::temp_directory_path() / ("fixgw-dropcopy-crash-" + db.schema());
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string cfg = readFile(sourceDir() + "/config/fixgw.json");
  replaceAll(cfg, "\"port\": 9878", "\"port\": " + std::to_string(port));
  ASSERT_NE(cfg.find("\"store\": \"append\""), std::string::npos);
  replaceAll(cfg, "\"store_path\": \"../var/fix/store\"",
             "\"store_path\": \"" + (dir / "fixstore").string() + "\"");
  replaceAll(cfg, "\"../fix_acceptor/spec\"", "\"" + sourceDir() + "/fix_acceptor/spec\"");
  replaceAll(cfg, "\"../schema\"", "\"" + sourceDir() + "/schema\"");
  const std::string anchor = "\"sessions\": [";
  ASSERT_NE(cfg.find(anchor), std::string::npos);
  cfg.insert(cfg.find(anchor) + anchor.size(),
             R"({ "begin_string": "FIX.4.4", "target_comp_id": "DC1", "role": "drop_copy",
                  "accounts": ["*"] },)");
  std::ofstream(dir / "fixgw.json") << cfg;
  Daemon daemon((dir / "fixgw.json").string(), db.conninfo(), (dir / "fixgw.log").string());
  daemon.start(port);

  const std::string spec = sourceDir() + "/fix_acceptor/spec";
  std::vector<FIX::Message> copies;  // everything the compliance client got, both connections
  auto keepCopies = [&](FixTestClient& dc) {
    for (const auto& m : dc.received())
      if (FixTestClient::msgType(m) == "8") copies.push_back(m);
  };

  // ---- phase 1: trade, and crash while copies are flowing ----
  {
    auto dc = std::make_unique<FixTestClient>("FIX.4.4", "DC1", "FIXGW", port, spec, false,
                                              (dir / "dc-client").string());
    ASSERT_TRUE(dc->logon());
    FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, spec);
    ASSERT_TRUE(client.logon());
    for (int i = 0; i < 20; ++i) {
      OrderFields o;
      char id[16];  // (not "K" + to_string(): GCC 12's -Wrestrict false positive, PR 105651)
      std::snprintf(id, sizeof id, "K%d", i);
      o.clOrdId = id;
      o.account = i % 2 ? "ACC1" : "ACC2";
      o.qty = "120";
      o.price = i % 3 ? "100.50" : "92.00";  // fills, or rests
      client.send(client.newOrder(o));
    }
    // Some copies are in; kill the gateway while the rest are on their way.
    ASSERT_TRUE(dc->waitFor([](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && F(m, 11) == "K5";
    })) << "no copy of K5";
    daemon.kill(SIGKILL);
    keepCopies(*dc);
  }

  // ---- phase 2: restart; more trading while compliance is away; it reconnects ----
  daemon.start(port);
  {
    FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, spec);
    ASSERT_TRUE(client.logon());
    OrderFields last;
    last.clOrdId = "AFTER";
    last.account = "ACC1";
    last.qty = "50";
    last.price = "92.00";  // rests: one New report
    client.send(client.newOrder(last));
    ASSERT_TRUE(client.waitFor(FixTestClient::isTypeWith("8", 11, "AFTER")));
    client.logout();
  }
  {
    FixTestClient dc("FIX.4.4", "DC1", "FIXGW", port, spec, false, (dir / "dc-client").string());
    ASSERT_TRUE(dc.logon());
    ASSERT_TRUE(dc.waitFor(FixTestClient::isTypeWith("8", 11, "AFTER"), 20s))
        << "no copy of the order placed after the restart";
    // Copies go out in journal order, so everything before AFTER has arrived by now.
    keepCopies(dc);
    dc.logout();
  }
  daemon.kill(SIGTERM);

  std::map<std::string, int> seen;
  for (const auto& m : copies) {
    const std::string id = F(m, 17);
    if (seen[id]++ > 0) {
      EXPECT_TRUE(F(m, 43) == "Y" || F(m, 97) == "Y")
          << "a repeated copy is flagged PossDup or PossResend: " << FixTestClient::text(m);
    }
  }
  int repeats = 0;
  for (const auto& [id, n] : seen) repeats += n - 1;
  std::cout << "drop copy across the crash: " << copies.size() << " copies received, " << repeats
            << " repeated (flagged)\n";
  std::set<std::string> journaled;
  for (const auto& r : db.query("select exec_id from order_events where exec_id is not null "
                                "and exec_type <> 'ORDER_STATUS'"))
    journaled.insert(r[0]);
  EXPECT_GT(journaled.size(), 20u);
  for (const auto& id : journaled) EXPECT_EQ(seen.count(id), 1u) << "report " << id << " missed";
  fs::remove_all(dir);
}
