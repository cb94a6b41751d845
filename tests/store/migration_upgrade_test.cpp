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

// Migration 0019 (issue 15) on a database at 0018 holding a day's orders as the 0018 journal wrote
// them: parent and child rows, RECEIVED with its own copy of the message, ROUTED, NEW. The upgrade
// keeps every row, the ClOrdID indexes become partial, old RECEIVED events still show their own
// message, and the journal writes new RECEIVED events without one, shown from the order's row.
TEST(MigrationUpgrade, JournalShapeMigrationUpgradesADatabaseWithOrdersInIt) {
  fixgw::testing::PgTestSchema db;
  fs::path v18 = fs::temp_directory_path() / ("fixgw-v18-" + db.schema());
  fs::create_directories(v18);
  for (const auto& e : fs::directory_iterator(fixgw::testing::schemaDir())) {
    const std::string n = e.path().filename().string();
    if (n.size() > 4 && n.substr(0, 4) <= "0018" && e.path().extension() == ".sql")
      fs::copy_file(e.path(), v18 / n);
  }
  store::migrate(db.conninfo(), v18.string());
  ASSERT_EQ(db.query("select max(version) from schema_migrations")[0][0], "18");
  db.exec(
      "insert into orders (order_id, parent_order_id, session_key, cl_ord_id, account, symbol, "
      "side, ord_type, tif, qty, price, status, cum_qty, leaves_qty, avg_px, venue, raw_fix, "
      "created_at, updated_at) values "
      "('P1', null, 'S', 'C1', 'A', 'AAPL', 'BUY', 'LIMIT', 'DAY', 10, 100, 'NEW', 0, 10, 0, null, "
      " '8=FIX.4.4' || chr(1) || '11=C1' || chr(1), now(), now()),"
      "('P1.1', 'P1', 'S', 'P1.1', 'A', 'AAPL', 'BUY', 'LIMIT', 'DAY', 10, 100, 'NEW', 0, 10, 0, "
      " 'SIM', null, now(), now())");
  db.exec(
      "insert into order_events (seq, order_id, child_order_id, session_key, cl_ord_id, "
      "event_type, status, qty, price, cum_qty, leaves_qty, avg_px, last_qty, last_px, raw_fix, "
      "event_time) values "
      "(1, 'P1', null, 'S', 'C1', 'RECEIVED', 'PENDING_NEW', 10, 100, 0, 10, 0, 0, 0, "
      " '8=FIX.4.4' || chr(1) || '11=C1' || chr(1) || '58=own copy' || chr(1), now()),"
      "(2, 'P1', 'P1.1', 'S', 'C1', 'ROUTED', 'PENDING_NEW', 10, 100, 0, 10, 0, 0, 0, null, now()),"
      "(3, 'P1', 'P1.1', 'S', 'C1', 'NEW', 'NEW', 10, 100, 0, 10, 0, 0, 0, null, now())");

  const auto applied = store::migrate(db.conninfo(), fixgw::testing::schemaDir());
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.front(), "0019_journal_shape.sql");
  EXPECT_EQ(db.query("select count(*) from orders")[0][0], "2");
  EXPECT_EQ(db.query("select count(*) from order_events")[0][0], "3");
  auto def = [&](const char* index) {
    return db
        .query(
            "select indexdef from pg_indexes where schemaname = current_schema() and "
            "indexname = '" +
            std::string(index) + "'")
        .at(0)
        .at(0);
  };
  EXPECT_NE(def("order_events_by_cl_ord_id").find("WHERE"), std::string::npos);
  EXPECT_NE(def("orders_by_cl_ord_id").find("parent_order_id IS NULL"), std::string::npos);
  EXPECT_NE(def("order_events_by_event_id_brin").find("brin"), std::string::npos);
  EXPECT_EQ(db.query("select count(*) from pg_indexes where schemaname = current_schema() and "
                     "indexname = 'order_events_pkey'")[0][0],
            "0");
  // An event written before keeps (and shows) its own copy.
  EXPECT_EQ(db.query("select raw_fix from v_order_lifecycle where seq = 1")[0][0],
            "8=FIX.4.4|11=C1|58=own copy|");

  // The current journal on the upgraded database: one copy, in the orders row.
  store::PgJournal j({db.conninfo()});
  j.start();
  OrderRec o;
  o.orderId = OrderId("P2");
  o.session = SessionKey("S");
  o.clOrdId = ClOrdId("C2");
  o.account = Account("A");
  o.symbol = Symbol("AAPL");
  o.qty = Qty::of("5");
  o.price = Price::of("100");
  o.status = OrdStatus::PendingNew;
  o.leavesQty = o.qty;
  o.rawFix = std::string(
      "8=FIX.4.4\x01"
      "11=C2\x01");
  o.created = true;
  o.createdAt = o.updatedAt = 1'700'000'000'000'000'000;
  j.append(o);
  OrderEventRec e;
  e.seq = 4;
  e.orderId = o.orderId;
  e.session = o.session;
  e.clOrdId = o.clOrdId;
  e.eventType = "RECEIVED";
  e.qty = o.qty;
  e.leavesQty = o.qty;
  e.rawFix = o.rawFix;
  e.ts = o.createdAt;
  j.append(e);
  j.flush();
  j.stop();
  EXPECT_EQ(db.query("select raw_fix is null from order_events where seq = 4")[0][0], "t");
  // event_id still comes from its sequence: the new event follows the old ones.
  EXPECT_EQ(db.query("select count(distinct event_id), bool_and(event_id < (select event_id from "
                     "order_events where seq = 4) or seq = 4) from order_events")[0],
            (std::vector<std::string>{"4", "t"}));
  EXPECT_EQ(db.query("select raw_fix from v_order_lifecycle where seq = 4")[0][0],
            "8=FIX.4.4|11=C2|");
  EXPECT_EQ(db.query("select raw_fix from v_orders where order_id = 'P2'")[0][0],
            "8=FIX.4.4|11=C2|");
  fs::remove_all(v18);
}

// Migration 0021 (issue 15) on a database at 0020 holding direct orders as the 0020 engine wrote
// them (RECEIVED, ROUTED, NEW; the child in the parent's row), an algo child's ROUTED and a
// rejected order: v_order_lifecycle shows exactly the lines it showed before (no ROUTED line is
// added where the order has its row). Then a direct order of today's engine (RECEIVED, NEW; no
// ROUTED row) shows the ROUTED line between them, at RECEIVED's seq + 1.
TEST(MigrationUpgrade, DirectRoutedMigrationKeepsEveryLifecycleLineOfAnUpgradedDatabase) {
  fixgw::testing::PgTestSchema db;
  fs::path v20 = fs::temp_directory_path() / ("fixgw-v20-" + db.schema());
  fs::create_directories(v20);
  for (const auto& e : fs::directory_iterator(fixgw::testing::schemaDir())) {
    const std::string n = e.path().filename().string();
    if (n.size() > 4 && n.substr(0, 4) <= "0020" && e.path().extension() == ".sql")
      fs::copy_file(e.path(), v20 / n);
  }
  store::migrate(db.conninfo(), v20.string());
  ASSERT_EQ(db.query("select max(version) from schema_migrations")[0][0], "20");
  auto orderRow = [](const char* id, const char* parent, const char* cl, const char* status,
                     const char* venue, const char* childStatus) {
    auto q = [](const char* v) { return v ? "'" + std::string(v) + "'" : std::string("null"); };
    return "(" + q(id) + ", " + q(parent) + ", 'S', " + q(cl) +
           ", 'A', 'AAPL', 'BUY', 'LIMIT', 'DAY', 10, 100, " + q(status) + ", 0, 10, 0, " +
           q(venue) + ", '8=FIX.4.4' || chr(1) || '11=" + cl + "' || chr(1), now(), now(), " +
           q(childStatus) + ")";
  };
  db.exec("insert into orders (order_id, parent_order_id, session_key, cl_ord_id, account, "
          "symbol, side, ord_type, tif, qty, price, status, cum_qty, leaves_qty, avg_px, venue, "
          "raw_fix, created_at, updated_at, child_status) values " +
          orderRow("g-1", nullptr, "C1", "NEW", "SIM", "NEW") + ", " +
          orderRow("g-2", nullptr, "C2", "NEW", "SIM", nullptr) + ", " +
          orderRow("g-3", "g-2", "g-3", "NEW", "SIM", nullptr) + ", " +
          orderRow("g-4", nullptr, "C4", "REJECTED", nullptr, nullptr));
  auto ev = [](int seq, const char* order, const char* child, const char* cl, const char* type,
               const char* status, const char* text) {
    auto q = [](const char* v) { return v ? "'" + std::string(v) + "'" : std::string("null"); };
    return "(" + std::to_string(seq) + ", " + q(order) + ", " + q(child) + ", 'S', " + q(cl) +
           ", " + q(type) + ", " + q(status) + ", 10, 100, 0, 10, 0, 0, 0, " + q(text) +
           ", now() + interval '" + std::to_string(seq) + " ms')";
  };
  db.exec("insert into order_events (seq, order_id, child_order_id, session_key, cl_ord_id, "
          "event_type, status, qty, price, cum_qty, leaves_qty, avg_px, last_qty, last_px, text, "
          "event_time) values " +
          ev(1, "g-1", nullptr, "C1", "RECEIVED", "PENDING_NEW", nullptr) + ", " +
          ev(2, "g-1", "g-C1", "C1", "ROUTED", "PENDING_NEW", "to SIM") + ", " +
          ev(3, "g-1", "g-C1", "C1", "NEW", "NEW", nullptr) + ", " +
          ev(4, "g-2", nullptr, "C2", "RECEIVED", "PENDING_NEW", nullptr) + ", " +
          ev(5, "g-2", "g-3", "C2", "ROUTED", "PENDING_NEW", "to SIM: TWAP slice 1/2") + ", " +
          ev(6, "g-4", nullptr, "C4", "RECEIVED", "PENDING_NEW", nullptr) + ", " +
          ev(7, "g-4", nullptr, "C4", "REJECTED", "REJECTED", "NO_ROUTE"));
  const std::string lifecycle = "select * from v_order_lifecycle order by seq, event_id";
  const auto before = db.query(lifecycle);
  ASSERT_EQ(before.size(), 7u);

  const auto applied = store::migrate(db.conninfo(), fixgw::testing::schemaDir());
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.front(), "0021_direct_routed.sql");
  EXPECT_EQ(db.query(lifecycle), before);

  // Today's engine: g-5 direct, RECEIVED at seq 8, no ROUTED row, NEW at seq 10.
  db.exec("insert into orders (order_id, parent_order_id, session_key, cl_ord_id, account, "
          "symbol, side, ord_type, tif, qty, price, status, cum_qty, leaves_qty, avg_px, venue, "
          "raw_fix, created_at, updated_at, child_status) values " +
          orderRow("g-5", nullptr, "C5", "NEW", "SIM", "NEW"));
  db.exec("insert into order_events (seq, order_id, child_order_id, session_key, cl_ord_id, "
          "event_type, status, qty, price, cum_qty, leaves_qty, avg_px, last_qty, last_px, text, "
          "event_time) values " +
          ev(8, "g-5", nullptr, "C5", "RECEIVED", "PENDING_NEW", nullptr) + ", " +
          ev(10, "g-5", "g-C5", "C5", "NEW", "NEW", nullptr));
  const auto g5 = db.query(
      "select seq, child_order_id, event_type, status, text, raw_fix is null, "
      "event_time = (select event_time from order_events where seq = 8) "
      "from v_order_lifecycle where order_id = 'g-5' order by seq, event_id");
  EXPECT_EQ(g5, (std::vector<std::vector<std::string>>{
                    {"8", "<null>", "RECEIVED", "PENDING_NEW", "<null>", "f", "t"},
                    {"9", "g-C5", "ROUTED", "PENDING_NEW", "to SIM", "t", "t"},
                    {"10", "g-C5", "NEW", "NEW", "<null>", "t", "f"}}));
  // The old orders' lines are still exactly as before.
  EXPECT_EQ(db.query("select * from v_order_lifecycle where order_id <> 'g-5' order by seq, "
                     "event_id"),
            before);
  fs::remove_all(v20);
}
