// Crash recovery with real parts: the fixgw daemon runs as a child process
// (durable acknowledgements, PostgreSQL journal, simulator venue); a QuickFIX
// client drives orders, cancels and fills; the daemon is killed with SIGKILL
// at a seeded random point; it is started again on the same database, and
// everything the client saw is checked against what the gateway knows.
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
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/fixed.h"
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

// The daemon as a child process with its own config, database schema and log.
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
fixgw::Qty Q(const std::string& s) { return fixgw::Qty::of(s.empty() ? "0" : s); }

}  // namespace

class CrashRecovery : public ::testing::TestWithParam<int> {};

TEST_P(CrashRecovery, NothingAcknowledgedIsLostNothingIsDuplicated) {
  const int seed = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(seed));
  fixgw::testing::PgTestSchema db;
  const int port = fixgw::testing::pickFreePort();
  fs::path dir = fs::temp_directory_path() / ("fixgw-crash-" + db.schema());
  fs::create_directories(dir);
  std::string cfg = readFile(sourceDir() + "/config/fixgw.json");
  replaceAll(cfg, "\"port\": 9878", "\"port\": " + std::to_string(port));
  // The shipped FIX store (append-only files, ResetOnLogon=Y), in this test's own folder so
  // seeds running in parallel never share a session file.
  ASSERT_NE(cfg.find("\"store\": \"append\""), std::string::npos);
  replaceAll(cfg, "\"store_path\": \"../var/fix/store\"",
             "\"store_path\": \"" + (dir / "fixstore").string() + "\"");
  ASSERT_NE(cfg.find((dir / "fixstore").string()), std::string::npos);
  replaceAll(cfg, "\"../fix_acceptor/spec\"", "\"" + sourceDir() + "/fix_acceptor/spec\"");
  replaceAll(cfg, "\"../schema\"", "\"" + sourceDir() + "/schema\"");
  std::ofstream(dir / "fixgw.json") << cfg;
  Daemon daemon((dir / "fixgw.json").string(), db.conninfo(), (dir / "fixgw.log").string());
  daemon.start(port);

  // ---- phase 1: trade until the seeded crash point ----
  std::vector<FIX::Message> seen;
  std::vector<std::string> sentIds;
  {
    FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client.logon());
    const int crashAfter = std::uniform_int_distribution<int>(6, 30)(rng);
    std::vector<std::string> resting;
    for (int i = 0; i < crashAfter; ++i) {
      OrderFields o;
      o.clOrdId = "S" + std::to_string(seed) + "-" + std::to_string(i);
      int kind = std::uniform_int_distribution<int>(0, 3)(rng);
      if (kind == 0 && !resting.empty()) {
        OrderFields c;
        c.clOrdId = o.clOrdId + "-C";
        c.origClOrdId = resting.back();
        resting.pop_back();
        client.send(client.cancel(c));
      } else if (kind <= 1) {
        o.qty = "250";
        o.price = "100.50";  // sweeps several levels: several fills
        client.send(client.newOrder(o));
      } else {
        o.qty = "10";
        o.price = "92.00";  // rests
        client.send(client.newOrder(o));
        resting.push_back(o.clOrdId);
      }
      sentIds.push_back(o.clOrdId);
      // Wait for some answers now and then so the crash lands mid-flow, with
      // acknowledged, filled and in-flight orders all present.
      if (i % 3 == 0)
        client.waitFor([&](const FIX::Message& m) { return F(m, 11).rfind(o.clOrdId, 0) == 0; },
                       5s);
    }
    daemon.kill(SIGKILL);
    seen = client.received();
  }
  std::vector<FIX::Message> reports;
  for (auto& m : seen)
    if (FixTestClient::msgType(m) == "8") reports.push_back(m);
  ASSERT_FALSE(reports.empty()) << "the client saw nothing before the crash";

  // ---- phase 2: restart on the same database ----
  daemon.start(port);

  // Nothing acknowledged is missing: every ExecID the client saw is journaled,
  // every fill it saw is an execution with the same quantity and price.
  std::set<std::string> journaledExecIds;
  for (auto& r : db.query("select exec_id from order_events where exec_id is not null"))
    journaledExecIds.insert(r[0]);
  std::map<std::string, std::pair<std::string, std::string>> executions;
  for (auto& r : db.query("select exec_id, last_qty, last_px from executions"))
    executions[r[0]] = {r[1], r[2]};
  std::map<std::string, fixgw::Qty> maxCumSeen;  // by OrderID
  std::map<std::string, std::string> clOrdOfOrder;
  std::set<std::string> oldOrderIds;
  for (auto& m : reports) {
    EXPECT_TRUE(journaledExecIds.count(F(m, 17)))
        << "acknowledged report missing from the journal: " << FixTestClient::text(m);
    if (F(m, 150) == "F") {
      auto it = executions.find(F(m, 17));
      ASSERT_NE(it, executions.end()) << "fill missing: " << FixTestClient::text(m);
      EXPECT_EQ(Q(it->second.first), Q(F(m, 32)));
      EXPECT_EQ(fixgw::Price::of(it->second.second), fixgw::Price::of(F(m, 31)));
    }
    const std::string oid = F(m, 37);
    if (oid == "NONE") continue;
    oldOrderIds.insert(oid);
    fixgw::Qty cum = Q(F(m, 14));
    if (cum > maxCumSeen[oid]) maxCumSeen[oid] = cum;
    if (F(m, 150) == "0") clOrdOfOrder[oid] = F(m, 11);
  }
  // Nothing is duplicated.
  EXPECT_TRUE(db.query("select exec_id from order_events where exec_id is not null "
                       "group by exec_id having count(*) > 1")
                  .empty());
  EXPECT_TRUE(db.query("select order_id, venue_exec_id from executions where venue_exec_id is "
                       "not null group by 1, 2 having count(*) > 1")
                  .empty())
      << "a venue fill was booked twice";

  // ---- phase 3: the restarted gateway answers from the recovered state ----
  FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
  ASSERT_TRUE(client.logon());
  for (auto& [oid, cl] : clOrdOfOrder) {
    OrderFields s;
    s.clOrdId = cl;
    client.send(client.status(s));
    auto st = client.waitForAndPop([&](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && F(m, 150) == "I" && F(m, 37) == oid;
    });
    ASSERT_TRUE(st) << "no status for " << cl << " (" << oid << ")";
    EXPECT_GE(Q(F(*st, 14)), maxCumSeen[oid]) << "CumQty went backwards for " << cl;
    EXPECT_NE(F(*st, 39), "8") << cl << " was acknowledged, so it cannot be unknown";
    const std::string status = F(*st, 39);
    EXPECT_TRUE(status == "2" || status == "4") << "after recovery, " << cl
        << " is either filled or canceled (the simulator's book died with the process), got "
        << status;
  }
  // A ClOrdID used before the crash is still taken.
  if (!clOrdOfOrder.empty()) {
    OrderFields dup;
    dup.clOrdId = clOrdOfOrder.begin()->second;
    dup.qty = "1";
    dup.price = "92.00";
    client.send(client.newOrder(dup));
    auto r = client.waitForAndPop([&](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && F(m, 11) == dup.clOrdId && F(m, 39) == "8";
    });
    ASSERT_TRUE(r);
    EXPECT_NE(F(*r, 58).find("DUPLICATE_CLORDID"), std::string::npos);
  }
  // New OrderIDs and ExecIDs never collide with the ones before the crash.
  OrderFields fresh;
  fresh.clOrdId = "AFTER-" + std::to_string(seed);
  fresh.qty = "5";
  fresh.price = "92.00";
  client.send(client.newOrder(fresh));
  auto ack = client.waitForAndPop(FixTestClient::isTypeWith("8", 11, fresh.clOrdId));
  ASSERT_TRUE(ack);
  EXPECT_EQ(F(*ack, 39), "0");
  EXPECT_FALSE(oldOrderIds.count(F(*ack, 37))) << "OrderID reused after restart";
  EXPECT_FALSE(journaledExecIds.count(F(*ack, 17))) << "ExecID reused after restart";
  client.logout();
  daemon.kill(SIGTERM);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Seeds, CrashRecovery, ::testing::Values(1, 2, 3, 4));
