// Drop copy end to end, with real parts only: the whole gateway (QuickFIX
// acceptor, engine, simulator venue, PostgreSQL journal in a schema of its own)
// in-process on a free loopback port; an order client (CLIENT1) and a
// compliance client (DC1, a drop-copy session) are real QuickFIX initiators.
// The copies must match what the client got, report for report (ExecID, ExecType,
// OrdStatus, quantities), for the selected accounts only, across a drop-copy
// disconnect and a gateway restart, without loss or duplicates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
namespace fs = std::filesystem;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}
std::string specDir() { return sourceDir() + "/fix_acceptor/spec"; }
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }
bool isEr(const FIX::Message& m) { return FixTestClient::msgType(m) == "8"; }

// A temporary folder per test: FIX session stores that must survive a gateway restart.
struct TempDir {
  TempDir() {
    path = fs::temp_directory_path() /
           ("fixgw-dropcopy-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

// What a report says, for comparing a copy with the original.
std::string summary(const FIX::Message& m) {
  std::string s;
  for (int tag : {17, 37, 11, 150, 39, 1, 55, 54, 38, 32, 31, 151, 14, 6})
    s += std::to_string(tag) + "=" + F(m, tag) + "|";
  return s;
}

}  // namespace

class DropCopy : public ::testing::Test {
 protected:
  void SetUp() override { startGateway(); }
  void TearDown() override {
    dc_.reset();
    client_.reset();
    if (gw_) gw_->stop();
  }

  fixgw::config::GatewayConfig config() {
    fixgw::config::GatewayConfig cfg =
        fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg.fix.port = port_;
    cfg.fix.storeType = "append";
    cfg.fix.storePath = (dir_.path / "store").string();
    cfg.database.conninfo = db_.conninfo();
    cfg.logging.level = "warn";
    fixgw::config::FixSessionCfg dc;
    dc.beginString = "FIX.4.4";
    dc.targetCompId = "DC1";
    dc.dropCopy = true;
    dc.dropCopyAccounts = {"ACC1"};
    dc.resetOnLogon = false;
    cfg.fix.sessions.push_back(dc);
    return cfg;
  }

  void startGateway() {
    if (port_ == 0) port_ = fixgw::testing::pickFreePort();
    gw_ = std::make_unique<fixgw::Gateway>(config());
    gw_->start();
  }
  void stopGateway() {
    dc_.reset();
    client_.reset();
    gw_->stop();
    gw_.reset();
  }

  FixTestClient& client() {
    if (!client_) {
      client_ = std::make_unique<FixTestClient>("FIX.4.4", "CLIENT1", "FIXGW", port_, specDir());
      EXPECT_TRUE(client_->logon()) << "CLIENT1 logon failed";
    }
    return *client_;
  }
  // The compliance client keeps its sequence numbers in a file store and never resets, as a
  // drop-copy client should; a new object on the same path resumes the session.
  FixTestClient& dropCopyClient() {
    if (!dc_) {
      dc_ = std::make_unique<FixTestClient>("FIX.4.4", "DC1", "FIXGW", port_, specDir(),
                                            /*resetOnLogon=*/false,
                                            (dir_.path / "dc-client").string());
      EXPECT_TRUE(dc_->logon()) << "DC1 logon failed";
    }
    return *dc_;
  }
  void disconnectDropCopy() { dc_.reset(); }

  // Sends an order on CLIENT1 and returns every report for it up to a terminal or resting
  // state (a marketable order fills completely against the simulator's book).
  std::vector<FIX::Message> order(const std::string& clOrdId, const std::string& account,
                                  bool marketable) {
    OrderFields o;
    o.clOrdId = clOrdId;
    o.account = account;
    o.qty = "150";
    o.price = marketable ? "100.50" : "92.00";
    client().send(client().newOrder(o));
    std::vector<FIX::Message> out;
    for (;;) {
      auto m = client().waitForAndPop(
          [&](const FIX::Message& x) { return isEr(x) && F(x, 11) == clOrdId; });
      if (!m) {
        ADD_FAILURE() << "no report for " << clOrdId;
        return out;
      }
      out.push_back(*m);
      const std::string st = F(*m, 39);
      if (st == "2" || st == "8" || (!marketable && st == "0")) return out;
    }
  }

  // Waits for the copy of each report, in order, on the drop-copy client and checks it says
  // exactly what the original said.
  void expectCopies(const std::vector<FIX::Message>& originals) {
    for (const auto& o : originals) {
      auto c = dropCopyClient().waitForAndPop(
          [&](const FIX::Message& x) { return isEr(x) && F(x, 17) == F(o, 17); });
      ASSERT_TRUE(c) << "no copy of " << FixTestClient::text(o);
      EXPECT_EQ(summary(*c), summary(o));
      EXPECT_EQ(F(*c, 115), "CLIENT1") << "OnBehalfOfCompID names the client";
      EXPECT_FALSE(FixTestClient::has(*c, 97)) << "a first copy is no resend";
      ++copiesSeen_[F(o, 17)];
    }
  }

  // Every ExecID the drop-copy client received (app messages, duplicates included).
  std::multiset<std::string> receivedExecIds() {
    std::multiset<std::string> out;
    for (const auto& m : dropCopyClient().received())
      if (isEr(m)) out.insert(F(m, 17));
    return out;
  }

  std::set<std::string> journaledExecIds(const std::string& account) {
    gw_->quiesce();
    std::set<std::string> out;
    for (auto& r : db_.query("select e.exec_id from order_events e join orders o using (order_id) "
                             "where e.exec_id is not null and o.account = '" +
                             account + "'"))
      out.insert(r[0]);
    return out;
  }

  fixgw::testing::PgTestSchema db_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
  std::unique_ptr<FixTestClient> dc_;
  std::map<std::string, int> copiesSeen_;
};

TEST_F(DropCopy, CopiesEveryReportOfTheSelectedAccountOnly) {
  dropCopyClient();
  auto a = order("A1", "ACC1", /*marketable=*/true);
  auto other = order("B1", "ACC2", true);
  auto rest = order("A2", "ACC1", false);
  expectCopies(a);
  // Copies go out in journal order: once A2's copy is here, a copy of B1 would have come first.
  expectCopies(rest);
  for (const auto& m : other)
    EXPECT_EQ(receivedExecIds().count(F(m, 17)), 0u)
        << "ACC2 is not selected: " << FixTestClient::text(m);
  EXPECT_EQ(journaledExecIds("ACC1").size(), a.size() + rest.size());
}

TEST_F(DropCopy, ADisconnectedClientGetsWhatItMissedOnReconnect) {
  dropCopyClient();
  auto before = order("A1", "ACC1", true);
  expectCopies(before);
  disconnectDropCopy();
  auto missed = order("A2", "ACC1", true);
  auto missed2 = order("A3", "ACC1", false);
  dropCopyClient();  // logs on again, same sequence numbers
  expectCopies(missed);
  expectCopies(missed2);
  auto after = order("A4", "ACC1", true);
  expectCopies(after);
  for (const auto& id : receivedExecIds()) EXPECT_EQ(copiesSeen_[id], 1) << id;
  std::multiset<std::string> got = receivedExecIds();
  for (const auto& m : before) EXPECT_EQ(got.count(F(m, 17)), 0u) << "no copy sent twice";
}

TEST_F(DropCopy, NothingMissedOrDuplicatedAcrossAGatewayRestart) {
  dropCopyClient();
  auto before = order("A1", "ACC1", true);
  expectCopies(before);
  int lastSeq = 0;
  for (const auto& m : dropCopyClient().received())
    lastSeq = std::max(lastSeq, std::atoi(F(m, 34).c_str()));

  stopGateway();
  startGateway();
  auto whileAway = order("A2", "ACC1", true);  // the drop-copy client is not connected yet
  auto other = order("B1", "ACC2", true);
  dropCopyClient();
  expectCopies(whileAway);
  auto after = order("A3", "ACC1", false);
  expectCopies(after);

  std::multiset<std::string> got = receivedExecIds();
  for (const auto& m : before) EXPECT_EQ(got.count(F(m, 17)), 0u) << "re-sent after the restart";
  for (const auto& m : other) EXPECT_EQ(got.count(F(m, 17)), 0u);
  for (const auto& id : got) EXPECT_EQ(got.count(id), 1u) << id;
  // Every ACC1 report in the journal reached the compliance client exactly once.
  std::set<std::string> all;
  for (const auto& [id, n] : copiesSeen_) {
    EXPECT_EQ(n, 1) << id;
    all.insert(id);
  }
  EXPECT_EQ(all, journaledExecIds("ACC1"));
  // The session kept its sequence numbers over the restart (no reset).
  for (const auto& m : dropCopyClient().received())
    EXPECT_GT(std::atoi(F(m, 34).c_str()), lastSeq) << FixTestClient::text(m);
}

// A crash between sending copies and recording that they were sent: the reports after the
// delivered mark and up to sending_upto go out again, flagged PossResend (97=Y).
TEST_F(DropCopy, ReportsOfACrashWindowAreSentAgainWithPossResend) {
  dropCopyClient();
  auto a = order("A1", "ACC1", true);
  ASSERT_GE(a.size(), 2u);
  expectCopies(a);
  stopGateway();
  auto ids = db_.query(
      "select e.event_id from order_events e where e.exec_id is not null and e.cl_ord_id = 'A1' "
      "order by e.event_id");
  ASSERT_EQ(ids.size(), a.size());
  // As if the gateway died after sending all of A1's copies but recorded only the first.
  db_.exec("update drop_copy_marks set delivered_event_id = " + ids[0][0] +
           ", sending_upto = " + ids.back()[0]);

  startGateway();
  auto b = order("A2", "ACC1", false);
  for (size_t i = 1; i < a.size(); ++i) {
    auto c = dropCopyClient().waitForAndPop([&](const FIX::Message& x) {
      return isEr(x) && F(x, 17) == F(a[i], 17) && F(x, 97) == "Y";
    });
    ASSERT_TRUE(c) << "no PossResend copy of " << FixTestClient::text(a[i]);
    EXPECT_EQ(summary(*c), summary(a[i]));
  }
  expectCopies(b);  // after the window: a plain copy again
  EXPECT_EQ(receivedExecIds().count(F(a[0], 17)), 0u) << "the delivered one is not resent";
}

TEST_F(DropCopy, OrdersOnTheDropCopySessionAreRejected) {
  OrderFields o;
  o.clOrdId = "DC-ORDER";
  o.account = "ACC1";
  dropCopyClient().send(dropCopyClient().newOrder(o));
  auto j = dropCopyClient().waitForAndPop(FixTestClient::isType("j"));
  ASSERT_TRUE(j) << "no BusinessMessageReject";
  EXPECT_EQ(F(*j, 372), "D");
  EXPECT_EQ(F(*j, 379), "DC-ORDER");
  EXPECT_EQ(F(*j, 380), "6");  // NotAuthorized
  EXPECT_NE(F(*j, 58).find("read-only drop-copy session"), std::string::npos) << F(*j, 58);

  OrderFields c;
  c.clOrdId = "DC-CXL";
  c.origClOrdId = "X";
  dropCopyClient().send(dropCopyClient().cancel(c));
  auto j2 = dropCopyClient().waitForAndPop(FixTestClient::isType("j"));
  ASSERT_TRUE(j2);
  EXPECT_EQ(F(*j2, 372), "F");

  gw_->quiesce();
  EXPECT_EQ(db_.query("select count(*) from order_events")[0][0], "0")
      << "nothing reached the engine";
  EXPECT_TRUE(dropCopyClient().isLoggedOn());
}

// ---- config -----------------------------------------------------------------

namespace {

// config/fixgw.json with extra entries in fix.sessions.
std::string configWith(const std::string& extraSessions) {
  std::ifstream in(sourceDir() + "/config/fixgw.json");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string anchor = "\"sessions\": [";
  auto p = s.find(anchor);
  EXPECT_NE(p, std::string::npos);
  s.insert(p + anchor.size(), extraSessions);
  return s;
}

std::string configError(const std::string& extra) {
  try {
    fixgw::config::parseConfig(configWith(extra), sourceDir() + "/config");
  } catch (const fixgw::config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(DropCopyConfig, ParsesRoleSelectionAndResolvesSourceSessions) {
  auto cfg = fixgw::config::parseConfig(
      configWith(R"({ "begin_string": "FIX.4.4", "target_comp_id": "DC1", "role": "drop_copy",
                      "accounts": ["ACC1", "ACC2"], "source_sessions": ["CLIENT2"] },)"),
      sourceDir() + "/config");
  const auto& dc = cfg.fix.sessions.at(0);
  EXPECT_TRUE(dc.dropCopy);
  EXPECT_EQ(dc.dropCopyAccounts, (std::vector<std::string>{"ACC1", "ACC2"}));
  EXPECT_EQ(dc.dropCopySources,
            (std::vector<std::string>{"FIX.4.4:FIXGW->CLIENT2", "FIX.4.2:FIXGW->CLIENT2"}));
  ASSERT_TRUE(dc.resetOnLogon.has_value());
  EXPECT_FALSE(*dc.resetOnLogon) << "a drop copy keeps its sequence numbers by default";
  EXPECT_FALSE(cfg.fix.sessions.at(1).dropCopy);
}

TEST(DropCopyConfig, ErrorsNameTheKey) {
  EXPECT_NE(configError(R"({ "begin_string": "FIX.4.4", "target_comp_id": "DC1",
                             "role": "copy", "accounts": ["A"] },)")
                .find("fix.sessions[0].role: 'copy' is not one of order_entry, drop_copy"),
            std::string::npos);
  EXPECT_NE(configError(R"({ "begin_string": "FIX.4.4", "target_comp_id": "DC1",
                             "role": "drop_copy" },)")
                .find("fix.sessions[0].accounts: a drop_copy session needs accounts"),
            std::string::npos);
  EXPECT_NE(configError(R"({ "begin_string": "FIX.4.4", "target_comp_id": "DC1",
                             "role": "drop_copy", "source_sessions": ["NOBODY"] },)")
                .find("fix.sessions[0].source_sessions[0]: 'NOBODY' names no session"),
            std::string::npos);
  EXPECT_NE(configError(R"({ "begin_string": "FIX.4.4", "target_comp_id": "X1",
                             "accounts": ["A"] },)")
                .find("fix.sessions[0].accounts: only a session with \"role\": \"drop_copy\""),
            std::string::npos);
  EXPECT_NE(configError(R"({ "begin_string": "FIX.4.4", "target_comp_id": "DC1",
                             "role": "drop_copy", "source_sessions": ["DC2"] },
                           { "begin_string": "FIX.4.4", "target_comp_id": "DC2",
                             "role": "drop_copy", "accounts": ["*"] },)")
                .find("fix.sessions[0].source_sessions[0]: 'DC2' is a drop_copy session"),
            std::string::npos);
  EXPECT_NE(configError(R"({ "begin_string": "FIX.4.4", "target_comp_id": "DC1",
                             "role": "drop_copy", "accounts": ["*"],
                             "cancel_on_disconnect": true },)")
                .find("fix.sessions[0].cancel_on_disconnect"),
            std::string::npos);
}

// Two gateways on one database (one schema), each holding the lease of its own
// order sessions and running its own drop copy of every account ("*"): each
// compliance client gets exactly its gateway's reports. The orders alternate
// between the gateways, so the other gateway's rows sit between ours in
// event_id order and a copy of them would have arrived before our last one.
TEST(DropCopyTwoGateways, EachGatewayCopiesOnlyItsOwnSessionsReports) {
  fixgw::testing::PgTestSchema db;
  auto config = [&](int port, const std::string& client, const std::string& dropCopy) {
    fixgw::config::GatewayConfig cfg =
        fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg.fix.port = port;
    cfg.fix.storeType = "memory";
    cfg.database.conninfo = db.conninfo();
    cfg.logging.level = "warn";
    cfg.risk.adminSocketPath.clear();
    std::vector<fixgw::config::FixSessionCfg> sessions;
    for (const auto& s : cfg.fix.sessions)
      if (s.targetCompId == client && s.beginString == "FIX.4.4") sessions.push_back(s);
    fixgw::config::FixSessionCfg dc;
    dc.beginString = "FIX.4.4";
    dc.targetCompId = dropCopy;
    dc.dropCopy = true;
    dc.dropCopyAccounts = {"*"};
    dc.resetOnLogon = false;
    sessions.push_back(dc);
    cfg.fix.sessions = sessions;
    return cfg;
  };
  const int portA = fixgw::testing::pickFreePort();
  const int portB = fixgw::testing::pickFreePort();
  fixgw::Gateway gwA(config(portA, "CLIENT1", "DC1"));
  gwA.start();
  fixgw::Gateway gwB(config(portB, "CLIENT2", "DC2"));
  gwB.start();
  {
    FixTestClient c1("FIX.4.4", "CLIENT1", "FIXGW", portA, specDir());
    FixTestClient c2("FIX.4.4", "CLIENT2", "FIXGW", portB, specDir());
    FixTestClient dc1("FIX.4.4", "DC1", "FIXGW", portA, specDir(), false);
    FixTestClient dc2("FIX.4.4", "DC2", "FIXGW", portB, specDir(), false);
    ASSERT_TRUE(c1.logon());
    ASSERT_TRUE(c2.logon());
    ASSERT_TRUE(dc1.logon());
    ASSERT_TRUE(dc2.logon());

    // Every report of a marketable order (it fills against the simulator's book).
    auto trade = [&](FixTestClient& c, const std::string& id) {
      OrderFields o;
      o.clOrdId = id;
      o.account = "ACC1";  // the same account on both: the selection "*" matches both
      o.qty = "150";
      o.price = "100.50";
      c.send(c.newOrder(o));
      std::vector<std::string> execIds;
      for (;;) {
        auto m = c.waitForAndPop([&](const FIX::Message& x) { return isEr(x) && F(x, 11) == id; });
        if (!m) {
          ADD_FAILURE() << "no report for " << id;
          return execIds;
        }
        execIds.push_back(F(*m, 17));
        if (F(*m, 39) == "2" || F(*m, 39) == "8") return execIds;
      }
    };
    auto a1 = trade(c1, "TA1");
    auto b1 = trade(c2, "TB1");
    auto a2 = trade(c1, "TA2");
    auto b2 = trade(c2, "TB2");

    auto expectOnly = [&](FixTestClient& dc, const std::vector<std::string>& mine,
                          const std::vector<std::string>& theirs, const std::string& client) {
      for (const auto& x : mine) {
        auto c = dc.waitFor([&](const FIX::Message& m) { return isEr(m) && F(m, 17) == x; });
        ASSERT_TRUE(c) << "no copy of ExecID " << x << " on the " << client << " gateway";
        EXPECT_EQ(F(*c, 115), client);
      }
      // Copies go out in event_id order: with our last copy in, the other gateway's
      // earlier reports would already be here if they were copied.
      std::set<std::string> got;
      for (const auto& m : dc.received())
        if (isEr(m)) got.insert(F(m, 17));
      for (const auto& x : theirs) EXPECT_EQ(got.count(x), 0u) << "copied another gateway's " << x;
      EXPECT_EQ(got.size(), mine.size());
    };
    std::vector<std::string> aIds = a1, bIds = b1;
    aIds.insert(aIds.end(), a2.begin(), a2.end());
    bIds.insert(bIds.end(), b2.begin(), b2.end());
    expectOnly(dc1, aIds, b1, "CLIENT1");  // TB1 lies between TA1 and TA2
    expectOnly(dc2, bIds, a2, "CLIENT2");  // TA2 lies between TB1 and TB2
    c1.logout();
    c2.logout();
    dc1.logout();
    dc2.logout();
  }
  gwB.stop();
  gwA.stop();
}
