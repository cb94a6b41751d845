// Session leases: one gateway node per FIX session on a database, all or none,
// scoped by schema, released when the holder goes.
#include "store/session_lease.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tests/support/pg_test_env.h"

namespace fixgw::store {
namespace {

TEST(SessionLease, ASessionHasOneHolderAndTheLoserTakesNothing) {
  fixgw::testing::PgTestSchema db;
  SessionLease a(db.conninfo());
  a.acquire({"FIX.4.4:GW->C1", "FIX.4.2:GW->C2"});
  EXPECT_EQ(a.held(), 2u);

  SessionLease b(db.conninfo());
  try {
    b.acquire({"FIX.4.4:GW->C3", "FIX.4.2:GW->C2"}, /*waitMs=*/200);
    FAIL() << "a session another node holds was leased twice";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("FIX.4.2:GW->C2"), std::string::npos) << what;
    EXPECT_NE(what.find("already run by another gateway"), std::string::npos) << what;
    EXPECT_NE(what.find("fixgw-session-lease"), std::string::npos) << what;  // the holder
  }
  EXPECT_EQ(b.held(), 0u);

  // All or none: C3, taken before C2 failed, was given back.
  SessionLease c(db.conninfo());
  c.acquire({"FIX.4.4:GW->C3"}, 0);
  EXPECT_EQ(c.held(), 1u);

  // The holder goes (stop or crash closes its connection): the session is free.
  a.release();
  b.acquire({"FIX.4.2:GW->C2"}, 2000);
  EXPECT_EQ(b.held(), 1u);
}

TEST(SessionLease, SchemasAreSeparateDeployments) {
  fixgw::testing::PgTestSchema one;
  fixgw::testing::PgTestSchema two;
  SessionLease a(one.conninfo());
  SessionLease b(two.conninfo());
  a.acquire({"FIX.4.4:FIXGW->CLIENT1"});
  b.acquire({"FIX.4.4:FIXGW->CLIENT1"}, 0);
  EXPECT_EQ(a.held(), 1u);
  EXPECT_EQ(b.held(), 1u);
}

TEST(SessionLease, AnUnreachableDatabaseIsNamedWithoutThePassword) {
  SessionLease l("host=127.0.0.1 port=1 dbname=x user=u password=s3cret connect_timeout=2");
  try {
    l.acquire({"FIX.4.4:GW->C1"}, 0);
    FAIL();
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("session lease"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace fixgw::store
