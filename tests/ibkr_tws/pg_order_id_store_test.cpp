// The TWS adapter's order-id high-water mark in PostgreSQL: survives a new
// store instance (a restart), never moves down, is per venue, and the
// factory picks it when the gateway has a database and no file is named.
#include <gtest/gtest.h>

#include "venue_adapters/registry.h"
#include "store/migrate.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/ibkr_tws/pg_order_id_store.h"

using namespace fixgw;

class PgOrderIdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store::migrate(db.conninfo(), fixgw::testing::schemaDir()); }
  fixgw::testing::PgTestSchema db;
};

TEST_F(PgOrderIdStoreTest, HighWaterSurvivesARestartAndNeverMovesDown) {
  {
    tws::PgOrderIdStore s(db.conninfo(), "IBKR");
    EXPECT_EQ(s.load(), 0);
    s.save(41);
    s.save(57);
    s.save(12);  // a stale writer cannot move it back
    EXPECT_EQ(s.load(), 57);
  }
  tws::PgOrderIdStore again(db.conninfo(), "IBKR");
  EXPECT_EQ(again.load(), 57);
  tws::PgOrderIdStore other(db.conninfo(), "IBKR2");
  EXPECT_EQ(other.load(), 0) << "each venue has its own mark";
}

TEST_F(PgOrderIdStoreTest, UnreachableDatabaseFailsAtStartWithoutThePassword) {
  try {
    tws::PgOrderIdStore s("host=127.0.0.1 port=1 dbname=x user=x password=hunter2 connect_timeout=2",
                          "IBKR");
    FAIL() << "expected a failure";
  } catch (const std::exception& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
}

TEST_F(PgOrderIdStoreTest, FactoryUsesTheGatewayDatabaseWhenNoFileIsNamed) {
  InstrumentMaster instruments;
  venues::VenueContext ctx{VenueId("IBKR"), instruments, SystemClock::instance(), "venues[1]",
                           db.conninfo()};
  venues::VenueParams params{{"host", "127.0.0.1"}, {"port", "1"}};
  venues::ParamReader reader(params, "venues[1].params");
  auto venue = tws::makeTwsVenue(ctx, reader);
  ASSERT_TRUE(venue);
  venues::VenueParams bad{{"order_id_store", "floppy"}};
  venues::ParamReader badReader(bad, "venues[1].params");
  try {
    tws::makeTwsVenue(ctx, badReader);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("venues[1].params.order_id_store"), std::string::npos);
  }
}
