// The whole gateway with its own FIX transport, configured from
// config/fixgw.json plus allow_from and logon authentication, against the
// real PostgreSQL: refused connections and logons are journaled as session
// events with the address and reason, and the password used is nowhere in
// the database.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "apps/gateway.h"
#include "config/config.h"
#include "fix_acceptor/logon_auth.h"
#include "tests/fix_transport/raw_fix_client.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

using namespace std::chrono_literals;
using fixgw::testing::fixLogon;
using fixgw::testing::RawFixClient;
using fixgw::testing::tagOf;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}

constexpr const char* kPassword = "gw-Pa55word-plugh";

TEST(GatewayFixSecurity, RefusalsAreJournaledAndThePasswordIsNowhere) {
  fixgw::testing::PgTestSchema db;
  auto dir =
      std::filesystem::temp_directory_path() / ("fixgw-gwsec-" + std::to_string(::getpid()) + "-" +
                                                std::to_string(fixgw::testing::pickFreePort()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "users") << fixgw::fix::makeCredentialLine("CLIENT1", kPassword, 1000)
                               << "\n";
  auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
  const int port = fixgw::testing::pickFreePort();
  cfg.fix.port = port;
  cfg.fix.storeType = "memory";
  cfg.fix.credentialsFile = (dir / "users").string();
  for (auto& s : cfg.fix.sessions) {
    if (s.targetCompId != "CLIENT1" || s.beginString != "FIX.4.4") continue;
    s.allowFrom = {"127.0.0.1"};
    s.requireLogonAuth = true;
  }
  cfg.database.conninfo = db.conninfo();
  cfg.logging.level = "warn";
  fixgw::Gateway gw(cfg);
  gw.start();

  {
    RawFixClient outsider("127.0.0.1", port, "127.0.0.2");
    outsider.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW", "CLIENT1", kPassword));
    EXPECT_TRUE(outsider.waitClosed(10s));
  }
  {
    RawFixClient wrong("127.0.0.1", port, "127.0.0.1");
    wrong.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW", "CLIENT1", "not-it"));
    auto logout = wrong.readType("5", 10s);
    ASSERT_TRUE(logout);
    EXPECT_NE(tagOf(*logout, 58).find("bad Username (553) or Password (554)"), std::string::npos);
  }
  {
    RawFixClient right("127.0.0.1", port, "127.0.0.1");
    right.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW", "CLIENT1", kPassword));
    EXPECT_TRUE(right.readType("A", 10s));
  }
  gw.stop();

  auto events = db.query(
      "SELECT session_key, event FROM session_events WHERE event NOT IN ('LOGON', 'LOGOUT') "
      "ORDER BY session_event_id");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0][0], "FIX.4.4:FIXGW->CLIENT1");
  EXPECT_EQ(events[0][1].rfind("ADDRESS_REFUSED from 127.0.0.2", 0), 0u) << events[0][1];
  EXPECT_EQ(events[1][1].rfind("LOGON_REJECTED from 127.0.0.1: logon refused", 0), 0u)
      << events[1][1];
  // The logons are in the message log, with the password masked.
  auto logons = db.query("SELECT count(*) FROM v_fix_messages WHERE message LIKE '%554=***%'");
  EXPECT_EQ(logons[0][0], "2");
  auto leaks = db.query(
      "SELECT (SELECT count(*) FROM v_fix_messages WHERE message LIKE '%" + std::string(kPassword) +
      "%') + (SELECT count(*) FROM session_events WHERE event LIKE '%" + kPassword + "%')");
  EXPECT_EQ(leaks[0][0], "0");
  std::filesystem::remove_all(dir);
}

}  // namespace
