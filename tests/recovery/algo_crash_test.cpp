// An algo parent across a real crash (issue 10): the fixgw daemon runs as a
// child process (durable acknowledgements, PostgreSQL journal, simulator
// venue); a QuickFIX 4.4 client sends a TWAP parent; once some of its
// children have filled, the daemon is killed with SIGKILL and started again
// on the same database. The restarted gateway rebuilds the parent's runner
// from the journal (the simulator's book died with the process, so its open
// child is reconciled as canceled) and the TWAP completes: in PostgreSQL the
// parent is filled, its children's fills add up to exactly its quantity, and
// nothing is booked twice. No timing assertions: every wait has a timeout.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <quickfix/Group.h>
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

#include "core/clock.h"
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
fixgw::Qty Q(const std::string& s) { return fixgw::Qty::of(s.empty() || s == "<null>" ? "0" : s); }

}  // namespace

TEST(AlgoCrashRecovery, ATwapParentResumesAfterSigkillAndFillsExactlyItsQuantity) {
  fixgw::testing::PgTestSchema db;
  const int port = fixgw::testing::pickFreePort();
  fs::path dir = fs::temp_directory_path() / ("fixgw-algocrash-" + db.schema());
  fs::create_directories(dir);
  std::string cfg = readFile(sourceDir() + "/config/fixgw.json");
  replaceAll(cfg, "\"port\": 9878", "\"port\": " + std::to_string(port));
  replaceAll(cfg, "\"store_path\": \"../var/fix/store\"",
             "\"store_path\": \"" + (dir / "fixstore").string() + "\"");
  replaceAll(cfg, "\"../fix_acceptor/spec\"", "\"" + sourceDir() + "/fix_acceptor/spec\"");
  replaceAll(cfg, "\"../schema\"", "\"" + sourceDir() + "/schema\"");
  // A known book with room for every slice, and no random walk in the test.
  ASSERT_NE(cfg.find("\"step_interval_ms\": 1000"), std::string::npos);
  replaceAll(cfg, "\"step_interval_ms\": 1000",
             "\"step_interval_ms\": 3600000, \"level_qty_lots\": 1000");
  std::ofstream(dir / "fixgw.json") << cfg;
  Daemon daemon((dir / "fixgw.json").string(), db.conninfo(), (dir / "fixgw.log").string());
  daemon.start(port);

  // ---- phase 1: a TWAP of 300 over 40 s, a slice of 30 every 4 s, crossing
  // the simulator's offers; killed once two slices have filled.
  const std::string qty = "300";
  std::string orderId;
  {
    FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client.logon());
    OrderFields o;
    o.clOrdId = "CRASH-TWAP";
    o.qty = qty;
    o.price = "105.00";
    FIX::Message m = client.newOrder(o);
    m.setField(126, fixgw::formatFixTimestamp(fixgw::SystemClock::instance().wallNow() +
                                              40'000'000'000LL));
    m.setField(847, "3");
    for (auto [name, type, value] :
         {std::tuple{"Strategy", "14", "TWAP"}, std::tuple{"SliceInterval", "1", "4"}}) {
      FIX::Group g(957, 958);
      g.setField(958, name);
      g.setField(959, type);
      g.setField(960, value);
      m.addGroup(g);
    }
    client.send(m);
    auto ack = client.waitForAndPop(
        [&](const FIX::Message& x) {
          return FixTestClient::msgType(x) == "8" && F(x, 11) == o.clOrdId;
        },
        10s);
    ASSERT_TRUE(ack) << "no ExecutionReport for the TWAP parent";
    ASSERT_EQ(F(*ack, 39), "0") << FixTestClient::text(*ack);
    orderId = F(*ack, 37);
    // Until the client has seen a cum of at least two slices (and not all).
    fixgw::Qty cum;
    for (int i = 0; i < 200 && cum < fixgw::Qty::of("60"); ++i) {
      auto fill = client.waitForAndPop(
          [&](const FIX::Message& x) {
            return FixTestClient::msgType(x) == "8" && F(x, 37) == orderId && F(x, 150) == "F";
          },
          1s);
      if (fill) cum = Q(F(*fill, 14));
    }
    ASSERT_GE(cum, fixgw::Qty::of("60")) << "the TWAP did not fill two slices";
    ASSERT_LT(cum, fixgw::Qty::of(qty)) << "the TWAP finished before the crash point";
    daemon.kill(SIGKILL);
  }
  const fixgw::Qty cumAtCrash =
      Q(db.query("select cum_qty from orders where order_id = '" + orderId + "'")[0][0]);
  EXPECT_LT(cumAtCrash, fixgw::Qty::of(qty));

  // ---- phase 2: restart on the same database; the parent resumes and fills.
  daemon.start(port);
  std::string status;
  for (int i = 0; i < 600 && status != "FILLED"; ++i) {
    auto r = db.query("select status from orders where order_id = '" + orderId + "'");
    status = r.empty() ? "" : r[0][0];
    if (status != "FILLED") std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(status, "FILLED") << "the resumed TWAP did not complete; log:\n"
                              << readFile((dir / "fixgw.log").string());

  // In PostgreSQL: the parent's cum is its qty; its children's fills add up
  // to exactly that, none over its own qty; every fill booked once.
  EXPECT_EQ(Q(db.query("select cum_qty from orders where order_id = '" + orderId + "'")[0][0]),
            fixgw::Qty::of(qty));
  auto children =
      db.query("select order_id, qty, cum_qty, status from orders where parent_order_id = '" +
               orderId + "' order by created_at, order_id");
  ASSERT_GE(children.size(), 3u);
  fixgw::Qty childSum;
  for (const auto& c : children) {
    EXPECT_LE(Q(c[2]), Q(c[1])) << c[0] << " filled over its qty";
    childSum += Q(c[2]);
  }
  EXPECT_EQ(childSum, fixgw::Qty::of(qty))
      << "children's fills must add up to the parent, never more";
  auto execSum = db.query("select coalesce(sum(last_qty), 0) from executions where order_id = '" +
                          orderId + "'");
  EXPECT_EQ(Q(execSum[0][0]), fixgw::Qty::of(qty));
  EXPECT_TRUE(db.query("select child_order_id, venue_exec_id from executions where "
                       "venue_exec_id is not null group by 1, 2 having count(*) > 1")
                  .empty())
      << "a venue fill was booked twice";
  // The journal says what happened: the runner was rebuilt, and the
  // children after it carry the algorithm's reasons.
  auto restored = db.query("select text from order_events where order_id = '" + orderId +
                           "' and event_type = 'ALGO_RESTORED'");
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_NE(restored[0][0].find("TWAP resumed after a restart: filled " + cumAtCrash.str()),
            std::string::npos)
      << restored[0][0];
  auto routed = db.query("select count(*) from order_events where order_id = '" + orderId +
                         "' and event_type = 'ROUTED' and text like 'to SIM: TWAP slice %'");
  EXPECT_EQ(routed[0][0], std::to_string(children.size()));
  auto done = db.query("select reason_code from order_events where order_id = '" + orderId +
                       "' and event_type = 'ALGO_DONE'");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0][0], "FILLED");

  // ---- phase 3: the client asks for the parent's status over FIX.
  FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
  ASSERT_TRUE(client.logon());
  OrderFields s;
  s.clOrdId = "CRASH-TWAP";
  client.send(client.status(s));
  auto st = client.waitForAndPop([&](const FIX::Message& m) {
    return FixTestClient::msgType(m) == "8" && F(m, 150) == "I" && F(m, 37) == orderId;
  });
  ASSERT_TRUE(st);
  EXPECT_EQ(F(*st, 39), "2");
  EXPECT_EQ(Q(F(*st, 14)), fixgw::Qty::of(qty));
  client.logout();
  daemon.kill(SIGTERM);
  fs::remove_all(dir);
}
