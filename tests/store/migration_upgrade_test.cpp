// An old database is upgraded in place: a schema at version 1 with data in
// it is migrated by the current binary's migrations, keeps its data, and
// records every version once.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/journal.h"
#include "store/migrate.h"
#include "store/pg_journal.h"
#include "tests/support/pg_test_env.h"

using namespace fixgw;
namespace fs = std::filesystem;

TEST(MigrationUpgrade, AVersionOneDatabaseIsUpgradedInPlaceKeepingItsData) {
  fixgw::testing::PgTestSchema db;
  // The binary of version 1 knew only 0001.
  fs::path v1 = fs::temp_directory_path() / ("fixgw-v1-" + db.schema());
  fs::create_directories(v1);
  fs::copy_file(fs::path(fixgw::testing::schemaDir()) / "0001_init.sql", v1 / "0001_init.sql");
  ASSERT_EQ(store::migrate(db.conninfo(), v1.string()), std::vector<std::string>{"0001_init.sql"});

  // Rows as the version-1 binary wrote them (today's journal writes columns
  // that version 1 did not have, so plain SQL stands in for it).
  db.exec(
      "insert into orders (order_id, session_key, cl_ord_id, account, symbol, side, ord_type, "
      "tif, qty, price, status, cum_qty, leaves_qty, avg_px, created_at, updated_at) values "
      "('OLD-1', 'FIX.4.4:FIXGW->CLIENT1', 'C-OLD', 'A', 'AAPL', 'BUY', 'LIMIT', 'DAY', 10, "
      "100.25, 'NEW', 0, 10, 0, to_timestamp(1700000000), to_timestamp(1700000000))");

  // The current binary upgrades it.
  std::vector<std::string> applied = store::migrate(db.conninfo(), fixgw::testing::schemaDir());
  ASSERT_FALSE(applied.empty()) << "the current schema has migrations past 0001";
  EXPECT_EQ(applied.front().substr(0, 4), "0002");
  auto rows = db.query("select cl_ord_id, price, status from orders where order_id = 'OLD-1'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "C-OLD");
  EXPECT_EQ(Price::of(rows[0][1]), Price::of("100.25"));
  auto versions = db.query("select count(*), count(distinct version), min(version) from schema_migrations");
  EXPECT_EQ(versions[0][0], versions[0][1]) << "each version recorded once";
  EXPECT_EQ(versions[0][2], "1");
  EXPECT_EQ(std::stoul(versions[0][0]), 1 + applied.size());
  EXPECT_TRUE(store::migrate(db.conninfo(), fixgw::testing::schemaDir()).empty()) << "idempotent";
  // The upgraded database works with the current journal.
  store::PgJournal j({db.conninfo()});
  j.start();
  OrderRec o;
  o.orderId = OrderId("NEW-1");
  o.session = SessionKey("FIX.4.4:FIXGW->CLIENT1");
  o.clOrdId = ClOrdId("C-NEW");
  o.account = Account("A");
  o.symbol = Symbol("AAPL");
  o.ordType = OrdType::StopLimit;
  o.qty = Qty::of("10");
  o.price = Price::of("100.25");
  o.stopPx = Price::of("100.5");
  o.status = OrdStatus::New;
  o.leavesQty = o.qty;
  o.createdAt = o.updatedAt = 1'700'000'000'000'000'000;
  j.append(o);
  j.flush();
  j.stop();
  rows = db.query("select ord_type, stop_px from orders where order_id = 'NEW-1'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "STOP_LIMIT");
  EXPECT_EQ(Price::of(rows[0][1]), Price::of("100.5"));
  fs::remove_all(v1);
}
