// Two gateway nodes on one database with OVERLAPPING session lists (docs/scaling.md): while the
// first runs a session, a second configured with it cannot log that session on — it does not
// start, takes none of its sessions (all or none), and a client of the shared session cannot log
// on at its port — while a node with a disjoint session list runs beside the first, each node's
// orders journaled under its own sessions. Real parts: whole gateways in process, QuickFIX
// initiators over loopback, the real PostgreSQL (a schema per test).
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/gateway.h"
#include "config/config.h"
#include "store/session_lease.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

using fixgw::testing::FixTestClient;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}

std::string key(const std::string& client) { return "FIX.4.4:FIXGW->" + client; }

struct Node {
  int port = 0;
  fixgw::config::GatewayConfig cfg;
  std::unique_ptr<fixgw::Gateway> gw;
};

// A gateway configured with the shipped config but only the given FIX 4.4 sessions.
Node makeNode(const fixgw::testing::PgTestSchema& db, const std::vector<std::string>& clients) {
  Node n;
  n.cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
  n.port = fixgw::testing::pickFreePort();
  n.cfg.fix.port = n.port;
  n.cfg.fix.storeType = "memory";
  n.cfg.database.conninfo = db.conninfo();
  n.cfg.logging.level = "warn";
  n.cfg.fix.sessions.clear();
  for (const auto& c : clients) {
    fixgw::config::FixSessionCfg s;
    s.beginString = "FIX.4.4";
    s.targetCompId = c;
    n.cfg.fix.sessions.push_back(s);
  }
  n.gw = std::make_unique<fixgw::Gateway>(n.cfg);
  return n;
}

std::unique_ptr<FixTestClient> client(const std::string& name, int port) {
  return std::make_unique<FixTestClient>("FIX.4.4", name, "FIXGW", port,
                                         sourceDir() + "/fix_acceptor/spec");
}

// Sends one resting limit order and waits for its first ExecutionReport; its OrdStatus.
std::string orderAcked(FixTestClient& c, const std::string& clOrdId) {
  fixgw::testing::OrderFields f;
  f.clOrdId = clOrdId;
  f.price = "95.00";
  c.send(c.newOrder(f));
  auto er = c.waitForAndPop([&](const FIX::Message& m) {
    return FixTestClient::msgType(m) == "8" && FixTestClient::field(m, 11) == clOrdId;
  });
  return er ? FixTestClient::field(*er, 39) : std::string("no ExecutionReport");
}

}  // namespace

TEST(GatewayLeaseOverlap, TheSecondNodeCannotLogOnASessionTheFirstHolds) {
  fixgw::testing::PgTestSchema db;
  // Both disjoint nodes start before any order exists: a node recovers every order of the
  // database at start, its sessions' or not (see ANodeLeavesAnotherNodesOrdersAlone).
  Node a = makeNode(db, {"CLIENTA", "SHARED"});
  a.gw->start();
  Node d = makeNode(db, {"CLIENTB"});
  d.gw->start();
  // (QuickFIX allows one live initiator per SessionID in a process, so each client below is
  // logged out before another of the same session is made.)
  {
    auto sharedAtA = client("SHARED", a.port);
    ASSERT_TRUE(sharedAtA->logon());
    EXPECT_EQ(orderAcked(*sharedAtA, "S-A-1"), "0");
  }

  // B overlaps A on SHARED: it refuses to start and names the session.
  Node b = makeNode(db, {"SHARED", "CLIENTC"});
  try {
    b.gw->start();
    FAIL() << "two gateways ran the session SHARED";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(key("SHARED")), std::string::npos) << what;
    EXPECT_NE(what.find("already run by another gateway"), std::string::npos) << what;
  }
  // Nobody answers SHARED at B's port...
  {
    auto sharedAtB = client("SHARED", b.port);
    EXPECT_FALSE(sharedAtB->logon(std::chrono::seconds(2)));
  }
  // ...B took nothing (all or none: CLIENTC is free at once)...
  {
    fixgw::store::SessionLease probe(db.conninfo());
    EXPECT_NO_THROW(probe.acquire({key("CLIENTC")}, 0));
    EXPECT_EQ(probe.held(), 1u);
  }
  b.gw.reset();
  // ...and A still runs SHARED.
  {
    auto sharedAtA = client("SHARED", a.port);
    ASSERT_TRUE(sharedAtA->logon());
    EXPECT_EQ(orderAcked(*sharedAtA, "S-A-2"), "0");
  }

  // Disjoint nodes side by side: a client of a session A does not run cannot log on at A; D,
  // which runs it, serves it.
  {
    auto clientBAtA = client("CLIENTB", a.port);
    EXPECT_FALSE(clientBAtA->logon(std::chrono::seconds(2)));
  }
  {
    auto clientBAtD = client("CLIENTB", d.port);
    ASSERT_TRUE(clientBAtD->logon());
    EXPECT_EQ(orderAcked(*clientBAtD, "B-D-1"), "0");
  }

  // The overlap the other way: with A stopped, a node for {SHARED, CLIENTB} still cannot start
  // while D holds CLIENTB, and gives SHARED back.
  a.gw->stop();
  Node b2 = makeNode(db, {"SHARED", "CLIENTB"});
  try {
    b2.gw->start();
    FAIL() << "two gateways ran the session CLIENTB";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(key("CLIENTB")), std::string::npos) << e.what();
  }
  b2.gw.reset();
  {
    fixgw::store::SessionLease probe(db.conninfo());
    EXPECT_NO_THROW(probe.acquire({key("SHARED")}, 0));
  }
  d.gw->stop();

  // Each node's orders are in the one database under its own sessions, still open (no node
  // touched another's), and nothing else is there.
  auto rows = db.query(
      "SELECT session_key, string_agg(cl_ord_id || ':' || status, ',' ORDER BY cl_ord_id) "
      "FROM orders WHERE parent_order_id IS NULL GROUP BY session_key ORDER BY session_key");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], key("CLIENTB"));
  EXPECT_EQ(rows[0][1], "B-D-1:NEW");
  EXPECT_EQ(rows[1][0], key("SHARED"));
  EXPECT_EQ(rows[1][1], "S-A-1:NEW,S-A-2:NEW");
  auto acks = db.query(
      "SELECT count(*) FROM order_events WHERE event_type = 'NEW' AND cl_ord_id IN "
      "('S-A-1', 'S-A-2', 'B-D-1')");
  EXPECT_EQ(acks[0][0], "3");
}

// Recovery is scoped to the node (store::RecoveryScope): a gateway starting while another runs
// on the same database leaves the other's orders alone — it neither loads them nor reconciles
// them against its own venue connections (which would cancel them, RECONCILE_CANCELED, and send
// ExecutionReports for a session it does not run).
TEST(GatewayLeaseOverlap, ANodeLeavesAnotherNodesOrdersAlone) {
  fixgw::testing::PgTestSchema db;
  Node a = makeNode(db, {"SHARED"});
  a.gw->start();
  {
    auto sharedAtA = client("SHARED", a.port);
    ASSERT_TRUE(sharedAtA->logon());
    EXPECT_EQ(orderAcked(*sharedAtA, "S-A-1"), "0");
  }
  Node d = makeNode(db, {"CLIENTB"});
  d.gw->start();  // while A runs S-A-1
  d.gw->stop();
  a.gw->stop();
  auto rows = db.query(
      "SELECT count(*) FROM order_events WHERE cl_ord_id = 'S-A-1' AND event_type <> 'RECEIVED' "
      "AND event_type <> 'ROUTED' AND event_type <> 'NEW'");
  EXPECT_EQ(rows[0][0], "0") << "another node journaled events for S-A-1";
}
