// Store tests against a real PostgreSQL (FIXGW_TEST_DB), each in a schema of its own: migrations,
// the journal's exact round trip of every record type, batching, upsert coalescing, durable
// callbacks, append-only enforcement, retry after a database error, and draining on stop.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "core/journal.h"
#include "store/migrate.h"
#include "store/order_details_json.h"
#include "store/pg_journal.h"
#include "store/recovery.h"
#include "store/sql_text.h"
#include "tests/support/pg_test_env.h"

namespace fixgw::store {
namespace {

using fixgw::testing::PgTestSchema;
using fixgw::testing::schemaDir;
using Rows = std::vector<std::vector<std::string>>;

constexpr WallNanos kT0 = 1'700'000'000'123'456'789LL;  // 2023-11-14T22:13:20.123456789Z
const std::string kSession = "FIX.4.4:FIXGW->CLIENT1";
const std::string kRawNew =
    "8=FIX.4.4\x01"
    "9=120\x01"
    "35=D\x01"
    "49=CLIENT1\x01"
    "56=FIXGW\x01"
    "11=C1\x01"
    "1=ACC1\x01"
    "55=BTCUSD\x01"
    "54=1\x01"
    "38=0.00000001\x01"
    "40=2\x01"
    "44=123.45678901\x01"
    "10=000\x01";

// SQL that renders a timestamptz exactly as formatIsoTimestamp() does.
std::string iso(const std::string& col) {
  return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}
// SQL that renders a numeric exactly as Fixed::str() does.
std::string dec(const std::string& col) { return "trim_scale(" + col + ")::text"; }

std::string one(const PgTestSchema& db, const std::string& sql) {
  const Rows r = db.query(sql);
  if (r.size() != 1 || r[0].size() != 1) {
    ADD_FAILURE() << "expected one value from: " << sql;
    return "";
  }
  return r[0][0];
}

// "O" + n without GCC 12's false -Wrestrict on `literal + std::string&&`.
std::string name(const char* prefix, int64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

template <class Pred>
bool waitFor(Pred pred, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

OrderRec parentOrder(const std::string& id, WallNanos t) {
  OrderRec o;
  o.orderId = OrderId(id);
  o.session = SessionKey(kSession);
  o.clOrdId = ClOrdId("CL-" + id);
  o.account = Account("ACC1");
  o.symbol = Symbol("BTCUSD");
  o.side = Side::Buy;
  o.ordType = OrdType::Limit;
  o.tif = TimeInForce::Gtc;
  o.qty = Qty::of("0.00000001");
  o.price = Price::of("123.45678901");
  o.status = OrdStatus::PendingNew;
  o.leavesQty = o.qty;
  o.rawFix = kRawNew;
  o.createdAt = t;
  o.updatedAt = t;
  return o;
}

OrderEventRec event(int64_t seq, const std::string& orderId, const std::string& type, WallNanos t) {
  OrderEventRec e;
  e.seq = seq;
  e.orderId = OrderId(orderId);
  e.session = SessionKey(kSession);
  e.clOrdId = ClOrdId("CL-" + orderId);
  e.eventType = type;
  e.status = OrdStatus::New;
  e.qty = Qty::of("10");
  e.price = Price::of("99.5");
  e.leavesQty = Qty::of("10");
  e.ts = t;
  return e;
}

ExecutionRec fill(const std::string& execId, const std::string& orderId, WallNanos t) {
  ExecutionRec x;
  x.execId = ExecId(execId);
  x.orderId = OrderId(orderId);
  x.childOrderId = OrderId(orderId + ".1");
  x.session = SessionKey(kSession);
  x.clOrdId = ClOrdId("CL-" + orderId);
  x.account = Account("ACC1");
  x.symbol = Symbol("BTCUSD");
  x.side = Side::Sell;
  x.lastQty = Qty::of("0.5");
  x.lastPx = Price::of("60000.12345678");
  x.cumQty = Qty::of("0.5");
  x.leavesQty = Qty::of("1.5");
  x.avgPx = Price::of("60000.12345678");
  x.venue = VenueId("SIM");
  x.venueExecId = VenueExecId("V-" + execId);
  x.ts = t;
  return x;
}

class StoreTest : public ::testing::Test {
 protected:
  void migrateSchema() { migrate(db.conninfo(), schemaDir()); }
  PgJournalConfig config(size_t maxBatch = 2000) {
    PgJournalConfig c;
    c.conninfo = db.conninfo();
    c.maxBatch = maxBatch;
    return c;
  }
  PgTestSchema db;
};

// ---------------------------------------------------------------------------------------------
// Migrations

TEST_F(StoreTest, MigrateAppliesEveryFileOnceThenNothing) {
  const auto first = migrate(db.conninfo(), schemaDir());
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.front(), "0001_init.sql");
  EXPECT_EQ(one(db, "SELECT count(*) FROM schema_migrations"), std::to_string(first.size()));
  EXPECT_EQ(one(db, "SELECT name FROM schema_migrations WHERE version = 1"), "0001_init.sql");
  for (const char* table : {"sessions", "session_events", "orders", "order_events", "executions"}) {
    EXPECT_EQ(one(db, std::string("SELECT to_regclass('") + table + "') IS NOT NULL"), "t")
        << table;
  }
  // The tables landed in the test's own schema, not in public.
  EXPECT_EQ(one(db, "SELECT count(*) FROM information_schema.tables WHERE table_schema = '" +
                        db.schema() + "' AND table_name = 'orders'"),
            "1");

  const auto second = migrate(db.conninfo(), schemaDir());
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(one(db, "SELECT count(*) FROM schema_migrations"), std::to_string(first.size()));
}

TEST_F(StoreTest, MigrateRefusesADatabaseNewerThanTheBinary) {
  migrateSchema();
  db.exec("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')");
  try {
    migrate(db.conninfo(), schemaDir());
    FAIL() << "migrate accepted a newer database";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find("database schema version 9999 is newer than this binary knows"),
        std::string::npos)
        << e.what();
  }
}

TEST_F(StoreTest, MigrateNamesAFailingFileAndRollsItBack) {
  const auto dir = std::filesystem::temp_directory_path() / ("fixgw_schema_" + db.schema());
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(schemaDir() + "/0001_init.sql", dir / "0001_init.sql");
  std::ofstream(dir / "0002_broken.sql") << "CREATE TABLE good_table (x int);\nSELEKT nonsense;\n";
  try {
    migrate(db.conninfo(), dir.string());
    FAIL() << "broken migration accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("0002_broken.sql"), std::string::npos) << e.what();
  }
  EXPECT_EQ(one(db, "SELECT max(version) FROM schema_migrations"), "1");
  EXPECT_EQ(one(db, "SELECT to_regclass('good_table') IS NULL"), "t");
  std::filesystem::remove_all(dir);
}

TEST_F(StoreTest, MigrateReportsAMissingSchemaDirectory) {
  EXPECT_THROW(migrate(db.conninfo(), "/nonexistent/fixgw/schema"), std::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// Connecting

TEST(StoreConninfo, PasswordsAreRedacted) {
  EXPECT_EQ(redactConninfo("host=h user=u password=s3cret dbname=d"),
            "host=h user=u password=*** dbname=d");
  EXPECT_EQ(redactConninfo("password = 'a b\\'c' host=h"), "password = *** host=h");
  EXPECT_EQ(redactConninfo("postgresql://u:s3cret@h:5432/d"), "postgresql://u:***@h:5432/d");
  EXPECT_EQ(redactConninfo("postgresql://h/d?user=u&password=s3cret&x=1"),
            "postgresql://h/d?user=u&password=***&x=1");
}

TEST_F(StoreTest, StartFailsClearlyWhenTheDatabaseIsUnreachable) {
  PgJournalConfig c;
  c.conninfo = "host=127.0.0.1 port=1 dbname=x user=x password=s3cret connect_timeout=5";
  PgJournal j(c);
  try {
    j.start();
    FAIL() << "start() succeeded without a database";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cannot connect"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
  }
}

TEST_F(StoreTest, StartFailsClearlyWhenTheSchemaIsNotMigrated) {
  PgJournal j(config());
  try {
    j.start();
    FAIL() << "start() succeeded on an empty schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("migrat"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Round trip of every record type

TEST_F(StoreTest, EveryRecordTypeReadsBackExactly) {
  migrateSchema();
  PgJournal j(config());
  j.start();

  j.append(SessionEventRec{SessionKey(kSession), "LOGON", kT0});
  OrderRec parent = parentOrder("O1", kT0 + 1'000);
  j.append(parent);

  OrderRec child = parentOrder("O1.1", kT0 + 2'000);
  child.parentOrderId = OrderId("O1");
  child.ordType = OrdType::Market;
  child.price.reset();
  child.rawFix.clear();
  child.venue = VenueId("SIM");
  child.venueOrderId = VenueOrderId("V123");
  child.status = OrdStatus::New;
  j.append(child);

  OrderEventRec ev = event(7, "O1", "FILL", kT0 + 3'999);  // 3.999 us truncates to 3 us
  ev.childOrderId = OrderId("O1.1");
  ev.origClOrdId = ClOrdId("CL-O0");
  ev.execType = ExecType::Trade;
  ev.execId = ExecId("E1");
  ev.status = OrdStatus::PartiallyFilled;
  ev.qty = Qty::of("2");
  ev.price = Price::of("60000.12345678");
  ev.cumQty = Qty::of("0.5");
  ev.leavesQty = Qty::of("1.5");
  ev.avgPx = Price::of("60000.12345678");
  ev.lastQty = Qty::of("0.5");
  ev.lastPx = Price::of("60000.12345678");
  ev.reasonCode = "NONE";
  ev.text = "it's filled";  // a quote inside
  ev.rawFix = kRawNew;
  j.append(ev);
  j.append(fill("E1", "O1", kT0 + 4'000));
  j.append(SessionEventRec{SessionKey(kSession), "LOGOUT", kT0 + 5'000});
  j.flush();

  EXPECT_EQ(db.query("SELECT begin_string, sender_comp_id, target_comp_id, " + iso("first_seen") +
                     ", " + iso("last_logon") + ", " + iso("last_logout") + " FROM sessions"),
            (Rows{{"FIX.4.4", "FIXGW", "CLIENT1", formatIsoTimestamp(kT0), formatIsoTimestamp(kT0),
                   formatIsoTimestamp(kT0 + 5'000)}}));
  EXPECT_EQ(db.query("SELECT event FROM session_events ORDER BY session_event_id"),
            (Rows{{"LOGON"}, {"LOGOUT"}}));

  EXPECT_EQ(
      db.query("SELECT parent_order_id, session_key, cl_ord_id, orig_cl_ord_id, account, "
               "symbol, side, ord_type, tif, " +
               dec("qty") + ", " + dec("price") + ", status, " + dec("cum_qty") + ", " +
               dec("leaves_qty") + ", " + dec("avg_px") +
               ", venue, venue_order_id, raw_fix = " + "'" + std::string(kRawNew) + "', " +
               iso("created_at") + ", " + iso("updated_at") + " FROM orders WHERE order_id = 'O1'"),
      (Rows{{"<null>",
             kSession,
             "CL-O1",
             "<null>",
             "ACC1",
             "BTCUSD",
             "BUY",
             "LIMIT",
             "GTC",
             "0.00000001",
             "123.45678901",
             "PENDING_NEW",
             "0",
             "0.00000001",
             "0",
             "<null>",
             "<null>",
             "t",
             formatIsoTimestamp(kT0 + 1'000),
             formatIsoTimestamp(kT0 + 1'000)}}));
  EXPECT_EQ(db.query("SELECT parent_order_id, ord_type, price IS NULL, raw_fix IS NULL, venue, "
                     "venue_order_id, status FROM orders WHERE order_id = 'O1.1'"),
            (Rows{{"O1", "MARKET", "t", "t", "SIM", "V123", "NEW"}}));
  // The raw message keeps its SOH bytes; the view shows them as '|'.
  EXPECT_EQ(one(db, "SELECT length(raw_fix) FROM orders WHERE order_id = 'O1'"),
            std::to_string(kRawNew.size()));
  EXPECT_EQ(one(db, "SELECT raw_fix FROM v_orders WHERE order_id = 'O1'").substr(0, 14),
            "8=FIX.4.4|9=12");

  EXPECT_EQ(db.query("SELECT seq, order_id, child_order_id, session_key, cl_ord_id, "
                     "orig_cl_ord_id, event_type, exec_type, exec_id, status, " +
                     dec("qty") + ", " + dec("price") + ", " + dec("cum_qty") + ", " +
                     dec("leaves_qty") + ", " + dec("avg_px") + ", " + dec("last_qty") + ", " +
                     dec("last_px") + ", reason_code, text, raw_fix = '" + kRawNew + "', " +
                     iso("event_time") + " FROM order_events"),
            (Rows{{"7",
                   "O1",
                   "O1.1",
                   kSession,
                   "CL-O1",
                   "CL-O0",
                   "FILL",
                   "TRADE",
                   "E1",
                   "PARTIALLY_FILLED",
                   "2",
                   "60000.12345678",
                   "0.5",
                   "1.5",
                   "60000.12345678",
                   "0.5",
                   "60000.12345678",
                   "NONE",
                   "it's filled",
                   "t",
                   "2023-11-14T22:13:20.123460Z"}}));

  EXPECT_EQ(db.query("SELECT exec_id, order_id, child_order_id, session_key, cl_ord_id, account, "
                     "symbol, side, " +
                     dec("last_qty") + ", " + dec("last_px") + ", " + dec("cum_qty") + ", " +
                     dec("leaves_qty") + ", " + dec("avg_px") + ", venue, venue_exec_id, " +
                     iso("exec_time") + " FROM executions"),
            (Rows{{"E1", "O1", "O1.1", kSession, "CL-O1", "ACC1", "BTCUSD", "SELL", "0.5",
                   "60000.12345678", "0.5", "1.5", "60000.12345678", "SIM", "V-E1",
                   formatIsoTimestamp(kT0 + 4'000)}}));
  EXPECT_EQ(j.stats().records, 6u);
  EXPECT_EQ(j.stats().failures, 0u);
}

TEST_F(StoreTest, FillFeesAndOrderDetailsLandExactly) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  ExecutionRec withFee = fill("E1", "O1", kT0);
  withFee.fee = Qty::of("0.00012345");
  withFee.feeCurrency = "BNB";
  j.append(withFee);
  j.append(fill("E2", "O1", kT0 + 1'000));  // no fee reported
  OrderRec o;
  o.orderId = OrderId("O1");
  o.session = SessionKey(kSession);
  o.clOrdId = ClOrdId("CL-O1");
  o.symbol = Symbol("BTCUSD");
  o.tif = TimeInForce::GoodTillDate;
  o.qty = Qty::of("2");
  o.createdAt = o.updatedAt = kT0;
  o.created = true;
  OrderDetails d;
  d.secondaryClOrdId = "S-1";
  d.parties = {Party{"DESK \"7\"", 'D', 3}};
  d.instrument.strike = Price::of("150.5");
  d.attrs.expireTime = kT0 + 3'600'000'000'000LL;
  d.attrs.postOnly = true;
  o.details = std::make_shared<const OrderDetails>(d);
  j.append(o);
  j.flush();
  EXPECT_EQ(db.query("SELECT exec_id, " + dec("fee") +
                     ", coalesce(fee_currency, '-') FROM "
                     "executions ORDER BY exec_id"),
            (Rows{{"E1", "0.00012345", "BNB"}, {"E2", "<null>", "-"}}));
  // The details column reads back to the same value (recovery's path).
  auto back = detailsFromJson(one(db, "SELECT details::text FROM orders WHERE order_id = 'O1'"));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(*back, d);
  EXPECT_EQ(one(db, "SELECT details->'parties'->0->>'id' FROM orders"), "DESK \"7\"");
  EXPECT_EQ(j.stats().failures, 0u);
}

TEST_F(StoreTest, TextThatIsNotUtf8IsKeptReadableInsteadOfPoisoningTheBatch) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  OrderEventRec e = event(1, "O1", "RECEIVED", kT0);
  e.text = std::string("caf\xE9 ") + '\0' + "x";  // Latin-1 e-acute and a NUL
  j.append(e);
  j.flush();
  EXPECT_EQ(one(db, "SELECT text FROM order_events"), "caf\\xE9 \\x00x");
  EXPECT_EQ(detail::sanitizeUtf8("h\xC3\xA9llo \xF0\x9F\x98\x80"), "h\xC3\xA9llo \xF0\x9F\x98\x80");
  EXPECT_EQ(detail::sanitizeUtf8("\xC0\xAF"), "\\xC0\\xAF");           // overlong '/'
  EXPECT_EQ(detail::sanitizeUtf8("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // surrogate
}

TEST_F(StoreTest, TabsNewlinesAndBackslashesInTextReadBackExactly) {
  // The bulk path sends rows in COPY's text format, where these characters are syntax.
  migrateSchema();
  PgJournal j(config());
  j.start();
  const std::string nasty = "a\tb\nc\r\\d \\N \\. e";
  // Not RECEIVED, whose message is stored in the orders row only (schema 0019).
  OrderEventRec e = event(1, "O1", "CANCEL_REQUESTED", kT0);
  e.text = nasty;
  e.reasonCode = "\\N";  // COPY's NULL marker, as text
  e.rawFix = kRawNew;
  j.append(e);
  OrderRec o = parentOrder("O\t1", kT0);
  o.rawFix = nasty;
  j.append(o);
  j.flush();
  EXPECT_EQ(db.query("SELECT text, reason_code, raw_fix = '" + kRawNew + "' FROM order_events"),
            (Rows{{nasty, "\\N", "t"}}));
  EXPECT_EQ(db.query("SELECT order_id, raw_fix FROM orders"), (Rows{{"O\t1", nasty}}));
}

// The bulk path sends numerics and times in PostgreSQL's binary COPY format (issue 15). Edge
// values land exactly as their decimal / ISO text does: both signs, zero, values below one unit,
// base-10000 group boundaries, the int64 extremes; times before and after PostgreSQL's epoch
// (2000-01-01). executions.fee is a plain numeric, so its display scale must match too.
TEST_F(StoreTest, BinaryCopyEdgeValuesReadBackAsTheirText) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  const int64_t mantissas[] = {0,
                               1,
                               -1,
                               10'000,
                               99'999'999,
                               100'000'000,
                               -5'000'000'000,
                               12'345'678'901,
                               1'000'000'000'000,
                               1'000'000'000'001,
                               100'000'000'000'010'000,
                               std::numeric_limits<int64_t>::max(),
                               std::numeric_limits<int64_t>::min()};
  const WallNanos times[] = {kT0,
                             0,
                             946'684'799'999'999'999,
                             946'684'800'000'000'000,
                             946'684'800'000'001'999,
                             4'107'542'399'999'999'999};
  size_t k = 0;
  for (int64_t m : mantissas) {
    ExecutionRec x = fill(name("X", static_cast<int64_t>(k)), "O1", times[k % std::size(times)]);
    x.fee = Qty::fromMantissa(m);
    x.lastQty = Qty::fromMantissa(m);
    x.avgPx = Price::fromMantissa(m);
    j.append(x);
    ++k;
  }
  j.flush();
  k = 0;
  for (int64_t m : mantissas) {
    const std::string lit = formatDecimalMantissa(m);
    const WallNanos t = times[k % std::size(times)];
    const Rows got = db.query(
        "SELECT fee::text, last_qty::text, avg_px = '" + lit + "'::numeric, " + iso("exec_time") +
        " FROM executions WHERE exec_id = '" + name("X", static_cast<int64_t>(k)) + "'");
    const std::string typed = one(db, "SELECT ('" + lit + "'::numeric(38, 8))::text");
    EXPECT_EQ(got, (Rows{{lit, typed, "t", formatIsoTimestamp(t)}})) << m;
    ++k;
  }
}

// An order whose row may exist already (not created in its batch) goes by the prepared upsert,
// its columns as array literals in the batch's script (session 8, issue 15): text with the
// array and SQL literal syntax in it ('"', '\', '{', '}', ',', '\'', the word NULL, empty text),
// text that is not UTF-8, numeric and time edge values, absent values and details all land exactly
// as through the COPY path, and the upsert's merge rules hold (created_at and raw_fix from the
// first record, venue ids kept when an update has none).
TEST_F(StoreTest, OrderUpdatesOfLaterBatchesReadBackExactly) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  const int64_t mantissas[] = {0, -1, 99'999'999, -5'000'000'000, 1'000'000'000'001,
                               std::numeric_limits<int64_t>::max(),
                               std::numeric_limits<int64_t>::min()};
  const WallNanos times[] = {kT0, -1'000'000'000'123'000LL, 946'684'800'000'001'999,
                             4'107'542'399'999'999'999};
  const std::string nasty = "q\"b\\s{x},y 'z' NULL \t\n";
  for (size_t k = 0; k < std::size(mantissas); ++k) {
    OrderRec o = parentOrder(name("U", static_cast<int64_t>(k)), kT0);
    o.venue = VenueId("SIM");
    o.venueOrderId = VenueOrderId(name("V", static_cast<int64_t>(k)));
    j.append(o);
  }
  j.flush();
  for (size_t k = 0; k < std::size(mantissas); ++k) {
    OrderRec u = parentOrder(name("U", static_cast<int64_t>(k)), 0);
    u.rawFix = nasty;     // the first record's message stays
    u.createdAt = kT0 + 5;  // so does its creation time
    u.clOrdId = ClOrdId(nasty);
    u.origClOrdId = k % 2 == 0 ? std::optional<ClOrdId>(ClOrdId("NULL")) : std::nullopt;
    u.account = Account(k == 0 ? std::string() : std::string("caf\xE9"));
    u.qty = Qty::fromMantissa(mantissas[k]);
    if (k % 3 == 0) u.price.reset();
    u.stopPx = Price::fromMantissa(1 + static_cast<int64_t>(k) * 99'999'999);  // > 0 (CHECK)
    u.cumQty = Qty::fromMantissa(mantissas[k]);
    u.avgPx = Price::fromMantissa(mantissas[k]);
    u.status = OrdStatus::PartiallyFilled;
    u.updatedAt = times[k % std::size(times)];
    if (k == 1) u.venueOrderId = VenueOrderId("V-new");
    if (k == 2) {
      OrderDetails d;
      d.secondaryClOrdId = nasty;
      d.parties = {Party{"DESK \"7\"", 'D', 3}};
      u.details = std::make_shared<const OrderDetails>(d);
    }
    j.append(u);
  }
  // Not created in this batch and no row yet (e.g. its creation was journaled elsewhere): inserted.
  OrderRec lone = parentOrder("L1", kT0 + 7);
  lone.clOrdId = ClOrdId("{}");
  j.append(lone);
  j.flush();
  EXPECT_EQ(j.stats().failures, 0u);
  EXPECT_EQ(j.stats().rejected, 0u);
  for (size_t k = 0; k < std::size(mantissas); ++k) {
    const std::string id = name("U", static_cast<int64_t>(k));
    const std::string m = formatDecimalMantissa(mantissas[k]);
    const std::string stop = formatDecimalMantissa(1 + static_cast<int64_t>(k) * 99'999'999);
    const Rows got = db.query(
        "SELECT cl_ord_id, coalesce(orig_cl_ord_id, '<absent>'), coalesce(account, '<absent>'), "
        "qty = '" + m + "'::numeric, CASE WHEN price IS NULL THEN '<absent>' WHEN price = 123.45678901 THEN 't' ELSE 'f' END, "
        "stop_px = '" + stop + "'::numeric, cum_qty = '" + m + "'::numeric, avg_px = '" + m +
        "'::numeric, status, venue, venue_order_id, raw_fix = '" + kRawNew + "', " +
        iso("created_at") + ", " + iso("updated_at") + " FROM orders WHERE order_id = '" + id +
        "'");
    EXPECT_EQ(got, (Rows{{nasty, k % 2 == 0 ? "NULL" : "<absent>",
                          k == 0 ? "" : "caf\\xE9", "t", k % 3 == 0 ? "<absent>" : "t",
                          "t", "t", "t", "PARTIALLY_FILLED", "SIM",
                          k == 1 ? "V-new" : name("V", static_cast<int64_t>(k)), "t",
                          formatIsoTimestamp(kT0),
                          formatIsoTimestamp(times[k % std::size(times)])}}))
        << id;
  }
  auto back = detailsFromJson(one(db, "SELECT details::text FROM orders WHERE order_id = 'U2'"));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->secondaryClOrdId, nasty);
  EXPECT_EQ(one(db, "SELECT count(*) FROM orders WHERE details IS NOT NULL"), "1");
  EXPECT_EQ(db.query("SELECT cl_ord_id, " + iso("created_at") + ", raw_fix = '" + kRawNew +
                     "' FROM orders WHERE order_id = 'L1'"),
            (Rows{{"{}", formatIsoTimestamp(kT0 + 7), "t"}}));
}

// Migration 0017: a later batch's change of an order already on disk (status, quantities,
// average price, update time, venue ids) touches no indexed column, so PostgreSQL can make it a
// HOT update that inserts no index entry. Before 0017 orders_open_gtd's predicate named status
// and no such update was ever HOT.
TEST_F(StoreTest, OrderStateUpdatesAreHotUpdates) {
  migrateSchema();
  const Rows indexed = db.query(
      "SELECT DISTINCT a.attname FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid "
      "WHERE x.indrelid = 'orders'::regclass AND a.attnum > 0 AND (a.attnum = ANY (x.indkey) OR "
      "pg_get_expr(x.indexprs, x.indrelid) ~ ('\\m' || a.attname || '\\M') OR "
      "pg_get_expr(x.indpred, x.indrelid) ~ ('\\m' || a.attname || '\\M')) ORDER BY 1");
  for (const auto& row : indexed) {
    for (const char* updated :
         {"status", "cum_qty", "leaves_qty", "avg_px", "updated_at", "venue", "venue_order_id"}) {
      EXPECT_NE(row[0], updated) << "an index names orders." << updated;
    }
  }
  PgJournal j(config());
  j.start();
  OrderRec o = parentOrder("O1", kT0);
  o.created = true;
  j.append(o);
  j.flush();
  j.stop();
  // Same SET list as the journal's merge; counted inside the transaction, so exact.
  pqxx::connection c(db.conninfo());
  pqxx::work w(c);
  w.exec(
      "UPDATE orders SET status = 'PARTIALLY_FILLED', cum_qty = 0.000000005, "
      "leaves_qty = 0.000000005, avg_px = 123.4, updated_at = updated_at + interval '1 ms', "
      "venue = 'SIM', venue_order_id = 'V1', details = details, tif = tif "
      "WHERE order_id = 'O1'");
  EXPECT_EQ(w.exec1("SELECT pg_stat_get_xact_tuples_hot_updated('orders'::regclass)")[0].as<int>(),
            1);
  w.commit();
}

TEST(StoreSqlText, FastIsoTimestampsMatchTheGeneralFormatter) {
  const WallNanos times[] = {0,
                             1,
                             kT0,
                             951'782'400'000'000'000,    // 2000-02-29
                             4'107'542'399'999'999'999,  // 2100-02-28T23:59:59.999999999
                             -1,
                             -86'400'000'000'001};
  for (WallNanos t : times) {
    std::string s;
    detail::appendIsoTimestamp(s, t);
    EXPECT_EQ(s, formatIsoTimestamp(t)) << t;
  }
  std::string copy;
  detail::appendCopyText(copy, std::string("x\t\\") + '\0' + "\xE9");
  EXPECT_EQ(copy, "x\\t\\\\\\\\x00\\\\xE9");
}

// ---------------------------------------------------------------------------------------------
// Batching and ordering

TEST_F(StoreTest, ThousandsOfRecordsLandInSeveralBatchesWithEventsInSeqOrder) {
  migrateSchema();
  PgJournal j(config(/*maxBatch=*/250));
  j.start();
  constexpr int kOrders = 50;
  constexpr int kEventsPerOrder = 80;
  int64_t seq = 0;
  for (int o = 0; o < kOrders; ++o) j.append(parentOrder(name("O", o), kT0 + o));
  for (int k = 0; k < kEventsPerOrder; ++k) {
    for (int o = 0; o < kOrders; ++o) {
      ++seq;
      j.append(event(seq, name("O", o), "FILL", kT0 + seq * 1'000));
      if (k % 10 == 0) j.append(fill(name("X", seq), name("O", o), kT0 + seq));
    }
  }
  const uint64_t total = kOrders + seq + kOrders * (kEventsPerOrder / 10);
  j.flush();

  EXPECT_EQ(one(db, "SELECT count(*) FROM orders"), std::to_string(kOrders));
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), std::to_string(seq));
  EXPECT_EQ(one(db, "SELECT count(*) FROM executions"), std::to_string(kOrders * 8));
  EXPECT_EQ(one(db, "SELECT count(DISTINCT seq) FROM order_events"), std::to_string(seq));
  // event_id (journal order) and seq (engine order) agree everywhere.
  EXPECT_EQ(one(db,
                "SELECT count(*) FROM (SELECT seq, lag(seq) OVER (ORDER BY event_id) AS prev "
                "FROM order_events) s WHERE seq <= prev"),
            "0");
  EXPECT_EQ(j.stats().records, total);
  EXPECT_GE(j.stats().batches, total / 250);
  EXPECT_EQ(one(db, "SELECT sum(records) FROM journal_batches"), std::to_string(total));
  EXPECT_EQ(one(db, "SELECT max(records) <= 250 FROM journal_batches"), "t");
}

TEST_F(StoreTest, EventsAppendedOutOfSeqOrderInOneBatchAreStoredInSeqOrder) {
  migrateSchema();
  PgJournal j(config());
  for (int64_t s : {5, 3, 4, 1, 2}) j.append(event(s, "O1", name("E", s), kT0 + s));
  j.start();  // everything queued before start forms one batch
  j.flush();
  EXPECT_EQ(j.stats().batches, 1u);
  EXPECT_EQ(db.query("SELECT seq FROM order_events ORDER BY event_id"),
            (Rows{{"1"}, {"2"}, {"3"}, {"4"}, {"5"}}));
}

TEST_F(StoreTest, AnOrderUpsertedManyTimesInOneBatchEndsInItsLastState) {
  migrateSchema();
  PgJournal j(config());
  OrderRec o = parentOrder("O1", kT0);
  j.append(o);
  for (int i = 1; i <= 20; ++i) {
    OrderRec u = o;
    u.rawFix.clear();
    u.createdAt = 0;
    u.status = OrdStatus::PartiallyFilled;
    u.cumQty = Qty::fromMantissa(i);
    u.leavesQty = Qty::fromMantissa(100 - i);
    u.updatedAt = kT0 + i * 1'000;
    j.append(u);
  }
  j.start();  // all 21 records in one batch: one row touched once by the upsert
  j.flush();
  EXPECT_EQ(j.stats().batches, 1u);
  EXPECT_EQ(db.query("SELECT status, " + dec("cum_qty") + ", " + dec("leaves_qty") + ", " +
                     iso("created_at") + ", " + iso("updated_at") + ", raw_fix = '" + kRawNew +
                     "' FROM orders"),
            (Rows{{"PARTIALLY_FILLED", "0.0000002", "0.0000008", formatIsoTimestamp(kT0),
                   formatIsoTimestamp(kT0 + 20'000), "t"}}));

  // A later batch with the final state keeps creation time and raw message too.
  OrderRec last = o;
  last.rawFix.clear();
  last.createdAt = kT0 + 99'000;
  last.status = OrdStatus::Filled;
  last.cumQty = o.qty;
  last.leavesQty = Qty();
  last.updatedAt = kT0 + 100'000;
  j.append(last);
  j.flush();
  EXPECT_EQ(db.query("SELECT status, " + dec("cum_qty") + ", " + dec("leaves_qty") + ", " +
                     iso("created_at") + ", " + iso("updated_at") + ", raw_fix = '" + kRawNew +
                     "' FROM orders"),
            (Rows{{"FILLED", "0.00000001", "0", formatIsoTimestamp(kT0),
                   formatIsoTimestamp(kT0 + 100'000), "t"}}));
}

// ---------------------------------------------------------------------------------------------
// Durability hooks

TEST_F(StoreTest, AfterCommitRunsOnlyOnceTheRowsAreVisibleFromAnotherConnection) {
  migrateSchema();
  PgJournal j(config(/*maxBatch=*/7));
  j.start();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int, std::string>> seen;  // (expected count, count seen in callback)
  int64_t seq = 0;
  constexpr int kRounds = 20;
  for (int round = 1; round <= kRounds; ++round) {
    for (int i = 0; i < round; ++i) {
      ++seq;
      j.append(event(seq, "O1", "FILL", kT0 + seq));
    }
    const int expected = static_cast<int>(seq);
    j.afterCommit([&, expected] {
      // Runs on the journal's thread; PgTestSchema::query() uses its own connection.
      std::string count = one(db, "SELECT count(*) FROM order_events");
      std::lock_guard lk(mu);
      seen.emplace_back(expected, count);
      cv.notify_all();
    });
  }
  std::unique_lock lk(mu);
  ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(60), [&] { return seen.size() == kRounds; }));
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_GE(std::stoi(seen[i].second), seen[i].first) << "callback " << i;
    if (i > 0) {
      EXPECT_LT(seen[i - 1].first, seen[i].first) << "callbacks ran out of order";
    }
  }
}

TEST_F(StoreTest, AfterCommitWithNothingPendingStillRunsOnTheJournalThread) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  std::mutex mu;
  std::condition_variable cv;
  bool ran = false;
  std::thread::id ranOn;
  j.afterCommit([&] {
    std::lock_guard lk(mu);
    ran = true;
    ranOn = std::this_thread::get_id();
    cv.notify_all();
  });
  std::unique_lock lk(mu);
  ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(30), [&] { return ran; }));
  EXPECT_NE(ranOn, std::this_thread::get_id());
}

// ---------------------------------------------------------------------------------------------
// Append-only journal

TEST_F(StoreTest, OrderEventsAndExecutionsRefuseUpdateDeleteAndTruncate) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  j.append(event(1, "O1", "RECEIVED", kT0));
  j.append(fill("E1", "O1", kT0));
  j.append(SessionEventRec{SessionKey(kSession), "LOGON", kT0});
  j.flush();
  for (const std::string table : {"order_events", "executions", "session_events"}) {
    for (const std::string& sql : {"UPDATE " + table + " SET session_key = 'tampered'",
                                   "DELETE FROM " + table, "TRUNCATE " + table}) {
      try {
        db.exec(sql);
        ADD_FAILURE() << "allowed: " << sql;
      } catch (const pqxx::sql_error& e) {
        EXPECT_NE(std::string(e.what()).find("append-only"), std::string::npos) << e.what();
      }
    }
    EXPECT_EQ(one(db, "SELECT count(*) FROM " + table + " WHERE session_key = '" + kSession + "'"),
              "1")
        << table;
  }
  // Current-state rows stay updatable (the journal upserts them).
  EXPECT_NO_THROW(db.exec("UPDATE sessions SET last_logout = now()"));
}

// ---------------------------------------------------------------------------------------------
// Failures: nothing is dropped

TEST_F(StoreTest, ABatchThatFailsIsRetriedUntilItCommits) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  db.exec("ALTER TABLE executions RENAME TO executions_away");
  // The fill goes first, so whichever batch the writer cuts, the failing one comes first and the
  // events wait behind it.
  j.append(fill("E1", "O1", kT0));
  for (int i = 0; i < 10; ++i) j.append(event(i + 1, "O1", "FILL", kT0 + i));
  ASSERT_TRUE(waitFor([&] { return j.stats().failures >= 2; }));
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "0");
  EXPECT_EQ(one(db, "SELECT count(*) FROM journal_batches"), "0");
  db.exec("ALTER TABLE executions_away RENAME TO executions");
  j.flush();
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "10");
  EXPECT_EQ(one(db, "SELECT count(*) FROM executions"), "1");
  EXPECT_EQ(one(db, "SELECT sum(records) FROM journal_batches"), "11");
  EXPECT_EQ(j.stats().records, 11u);
}

TEST_F(StoreTest, ALostConnectionIsReopenedAndNothingIsLost) {
  migrateSchema();
  PgJournalConfig c = config();
  const std::string app = "journal_" + db.schema();
  c.conninfo += " application_name=" + app;
  PgJournal j(c);
  j.start();
  j.append(event(1, "O1", "RECEIVED", kT0));
  j.flush();
  EXPECT_EQ(one(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "'"),
            "1");
  db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
          app + "'");
  ASSERT_TRUE(waitFor([&] {
    return one(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app +
                       "'") == "0";
  }));
  for (int i = 2; i <= 50; ++i) j.append(event(i, "O1", "FILL", kT0 + i));
  j.flush();
  // The dead connection is either found by a failed attempt (then retried) or, when pipelining
  // had it parked as the idle second connection, replaced before use: either way a new backend
  // serves the journal and nothing is lost.
  EXPECT_GE(std::stoi(one(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                                  app + "'")),
            1);
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "50");
  EXPECT_EQ(j.stats().records, 50u);
}

TEST_F(StoreTest, RecordsTheDatabaseRefusesAreKeptInJournalRejects) {
  migrateSchema();
  PgJournal j(config());
  j.append(fill("E1", "O1", kT0));
  j.append(event(1, "O1", "FILL", kT0));
  ExecutionRec dup = fill("E1", "O1", kT0 + 1);  // duplicate exec_id: an engine bug
  dup.lastQty = Qty::of("7");
  j.append(dup);
  j.start();
  j.flush();
  EXPECT_EQ(db.query("SELECT " + dec("last_qty") + " FROM executions"), (Rows{{"0.5"}}));
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "1");
  const Rows rejects = db.query("SELECT record_type, payload, error FROM journal_rejects");
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0][0], "ExecutionRec");
  EXPECT_NE(rejects[0][1].find("exec_id=E1"), std::string::npos) << rejects[0][1];
  EXPECT_NE(rejects[0][1].find("last_qty=7"), std::string::npos) << rejects[0][1];
  EXPECT_NE(rejects[0][2].find("duplicate key"), std::string::npos) << rejects[0][2];
  EXPECT_EQ(j.stats().rejected, 1u);
  EXPECT_EQ(j.stats().records, 3u);
}

TEST_F(StoreTest, StopDrainsEverythingQueued) {
  migrateSchema();
  {
    PgJournal j(config(/*maxBatch=*/500));
    j.start();
    for (int i = 1; i <= 3000; ++i) j.append(event(i, name("O", i % 7), "FILL", kT0 + i));
    j.stop();
    EXPECT_EQ(j.stats().records, 3000u);
    EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "3000");
    // Restartable after stop.
    j.start();
    j.append(event(3001, "O1", "FILL", kT0));
  }  // destructor stops, which drains
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "3001");
}

// ---------------------------------------------------------------------------------------------
// docs/audit.md: every query in it runs against a journaled trading day and answers correctly.

// The ```sql blocks of a markdown file, in order.
std::vector<std::string> sqlBlocks(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> blocks;
  std::string line, cur;
  bool inSql = false;
  while (std::getline(in, line)) {
    if (!inSql && line == "```sql") {
      inSql = true;
      cur.clear();
    } else if (inSql && line == "```") {
      inSql = false;
      blocks.push_back(cur);
    } else if (inSql) {
      cur += line + "\n";
    }
  }
  return blocks;
}

// Replaces psql's :'name' variables with quoted literals; unknown names fail the test.
std::string bind(std::string sql, const std::map<std::string, std::string>& vars) {
  std::string out;
  size_t i = 0;
  while (true) {
    const size_t at = sql.find(":'", i);
    if (at == std::string::npos) break;
    const size_t end = sql.find('\'', at + 2);
    const std::string name = sql.substr(at + 2, end - at - 2);
    out += sql.substr(i, at - i);
    auto it = vars.find(name);
    if (it == vars.end()) {
      ADD_FAILURE() << "unknown variable :'" << name << "' in\n" << sql;
      return out;
    }
    out += "'" + it->second + "'";
    i = end + 1;
  }
  return out + sql.substr(i);
}

void journalATradingDay(PgJournal& j) {
  // 2026-01-02T09:30:00Z
  constexpr WallNanos t = 1'767'346'200'000'000'000LL;
  constexpr WallNanos ms = 1'000'000;
  const std::string raw1 =
      "8=FIX.4.4\x01"
      "35=D\x01"
      "49=CLIENT1\x01"
      "56=FIXGW\x01"
      "11=C1\x01"
      "1=ACC1\x01"
      "55=AAPL\x01"
      "54=1\x01"
      "38=10\x01"
      "40=2\x01"
      "44=150.25\x01"
      "10=000\x01";
  int64_t seq = 0;
  auto order = [&](const std::string& id, const std::string& cl, const std::string& sym, Side side,
                   const char* qty, const char* px, WallNanos at) {
    OrderRec o;
    o.orderId = OrderId(id);
    o.session = SessionKey(kSession);
    o.clOrdId = ClOrdId(cl);
    o.account = Account("ACC1");
    o.symbol = Symbol(sym);
    o.side = side;
    o.qty = Qty::of(qty);
    o.price = Price::of(px);
    o.leavesQty = o.qty;
    o.createdAt = o.updatedAt = at;
    return o;
  };
  auto ev = [&](const OrderRec& o, const std::string& type, WallNanos at) {
    OrderEventRec e;
    e.seq = ++seq;
    e.orderId = o.orderId;
    e.session = o.session;
    e.clOrdId = o.clOrdId;
    e.origClOrdId = o.origClOrdId;
    e.eventType = type;
    e.status = o.status;
    e.qty = o.qty;
    e.price = o.price;
    e.cumQty = o.cumQty;
    e.leavesQty = o.leavesQty;
    e.avgPx = o.avgPx;
    e.ts = at;
    return e;
  };
  auto exec = [&](const OrderRec& o, const std::string& id, const char* qty, const char* px,
                  WallNanos at) {
    ExecutionRec x;
    x.execId = ExecId(id);
    x.orderId = o.orderId;
    x.childOrderId = OrderId(o.orderId.str() + ".1");
    x.session = o.session;
    x.clOrdId = o.clOrdId;
    x.account = o.account;
    x.symbol = o.symbol;
    x.side = o.side;
    x.lastQty = Qty::of(qty);
    x.lastPx = Price::of(px);
    x.cumQty = o.cumQty;
    x.leavesQty = o.leavesQty;
    x.avgPx = o.avgPx;
    x.venue = VenueId("SIM");
    x.ts = at;
    return x;
  };

  j.append(SessionEventRec{SessionKey(kSession), "LOGON", t - 60'000 * ms});

  // O1: received, routed, acked, partly filled, replaced (C1 -> C1b), filled.
  OrderRec o1 = order("O1", "C1", "AAPL", Side::Buy, "10", "150.25", t);
  o1.rawFix = raw1;
  j.append(o1);
  OrderEventRec e = ev(o1, "RECEIVED", t);
  e.rawFix = raw1;
  j.append(e);
  OrderRec c1 = order("O1.1", "C1", "AAPL", Side::Buy, "10", "150.25", t + 1 * ms);
  c1.parentOrderId = o1.orderId;
  c1.venue = VenueId("SIM");
  j.append(c1);
  e = ev(o1, "ROUTED", t + 1 * ms);
  e.childOrderId = c1.orderId;
  j.append(e);
  o1.status = c1.status = OrdStatus::New;
  c1.venueOrderId = VenueOrderId("SIM-77");
  j.append(c1);
  j.append(o1);
  e = ev(o1, "VENUE_ACK", t + 2 * ms);
  e.execType = ExecType::New;
  e.execId = ExecId("X1");
  j.append(e);
  o1.status = OrdStatus::PartiallyFilled;
  o1.cumQty = Qty::of("4");
  o1.leavesQty = Qty::of("6");
  o1.avgPx = Price::of("150.1");
  j.append(o1);
  e = ev(o1, "FILL", t + 3 * ms);
  e.execType = ExecType::Trade;
  e.execId = ExecId("X2");
  e.lastQty = Qty::of("4");
  e.lastPx = Price::of("150.1");
  j.append(e);
  j.append(exec(o1, "X2", "4", "150.1", t + 3 * ms));
  o1.origClOrdId = o1.clOrdId;
  o1.clOrdId = ClOrdId("C1b");
  j.append(ev(o1, "REPLACE_REQUESTED", t + 4 * ms));
  o1.price = Price::of("150.3");
  e = ev(o1, "REPLACED", t + 5 * ms);
  e.execType = ExecType::Replaced;
  e.execId = ExecId("X3");
  j.append(e);
  o1.status = c1.status = OrdStatus::Filled;
  o1.cumQty = c1.cumQty = Qty::of("10");
  o1.leavesQty = c1.leavesQty = Qty();
  o1.avgPx = c1.avgPx = Price::of("150.16");
  o1.updatedAt = c1.updatedAt = t + 6 * ms;
  j.append(o1);
  j.append(c1);
  e = ev(o1, "FILL", t + 6 * ms);
  e.execType = ExecType::Trade;
  e.execId = ExecId("X4");
  e.lastQty = Qty::of("6");
  e.lastPx = Price::of("150.2");
  j.append(e);
  j.append(exec(o1, "X4", "6", "150.2", t + 6 * ms));

  // O2: rejected by risk.
  OrderRec o2 = order("O2", "C2", "AAPL", Side::Buy, "100000", "150", t + 10 * ms);
  j.append(ev(o2, "RECEIVED", t + 10 * ms));
  o2.status = OrdStatus::Rejected;
  o2.leavesQty = Qty();
  j.append(o2);
  e = ev(o2, "RISK_REJECT", t + 10 * ms);
  e.execType = ExecType::Rejected;
  e.reasonCode = "MAX_NOTIONAL";
  e.text = "notional 15000000 exceeds limit 1000000";
  j.append(e);

  // O3: a cancel that came too late; the order filled.
  OrderRec o3 = order("O3", "C3", "MSFT", Side::Sell, "5", "400.5", t + 20 * ms);
  o3.status = OrdStatus::New;
  j.append(o3);
  j.append(ev(o3, "RECEIVED", t + 20 * ms));
  j.append(ev(o3, "CANCEL_REQUESTED", t + 21 * ms));
  e = ev(o3, "CANCEL_REJECT", t + 22 * ms);
  e.reasonCode = "TOO_LATE_TO_CANCEL";
  j.append(e);
  o3.status = OrdStatus::Filled;
  o3.cumQty = Qty::of("5");
  o3.leavesQty = Qty();
  o3.avgPx = Price::of("400.5");
  j.append(o3);
  e = ev(o3, "FILL", t + 23 * ms);
  e.execType = ExecType::Trade;
  e.execId = ExecId("X5");
  j.append(e);
  j.append(exec(o3, "X5", "5", "400.5", t + 23 * ms));

  // The session's raw messages (docs section 9): O1's NewOrderSingle in, its ack out.
  for (bool in : {true, false}) {
    FixMessageRec m;
    m.session = SessionKey(kSession);
    m.inbound = in;
    m.msgType = in ? "D" : "8";
    m.msgSeqNum = in ? 2 : 3;
    m.raw = in ? "8=FIX.4.4\x01"
                 "35=D\x01"
                 "11=C1\x01"
               : "8=FIX.4.4\x01"
                 "35=8\x01"
                 "11=C1\x01";
    m.ts = t + (in ? 1 : 2) * ms;
    j.append(m);
  }
}

TEST_F(StoreTest, AuditQueriesInDocsRunAgainstAJournaledDay) {
  migrateSchema();
  PgJournal j(config(/*maxBatch=*/5));  // several batches, like a live day
  j.start();
  journalATradingDay(j);
  j.flush();

  const char* src = std::getenv("FIXGW_SOURCE_DIR");
  const std::string doc = std::string(src ? src : FIXGW_SOURCE_DIR_DEFAULT) + "/docs/audit.md";
  const auto blocks = sqlBlocks(doc);
  // 12, and section 10's 4 TCA queries (checked with TCA rows in tests/audit/test_audit_tca.cpp).
  ASSERT_EQ(blocks.size(), 16u) << doc;
  const std::map<std::string, std::string> vars = {{"cl_ord_id", "C1"},
                                                   {"session_key", kSession},
                                                   {"account", "ACC1"},
                                                   {"from", "2026-01-02 00:00:00+00"},
                                                   {"to", "2026-01-03 00:00:00+00"}};
  std::vector<Rows> results;
  for (const auto& b : blocks) {
    try {
      results.push_back(db.query(bind(b, vars)));
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << "\nin:\n" << b;
      results.emplace_back();
    }
  }
  // 1. as received: found by its original ClOrdID after a replace, raw FIX readable.
  ASSERT_EQ(results[0].size(), 1u);
  EXPECT_EQ(results[0][0][0], "O1");
  EXPECT_EQ(results[0][0][2], "C1b");
  EXPECT_EQ(results[0][0][11].substr(0, 20), "8=FIX.4.4|35=D|49=CL");
  // 2. every transition, in order.
  std::vector<std::string> types;
  for (const auto& r : results[1]) types.push_back(r[2]);
  EXPECT_EQ(types, (std::vector<std::string>{"RECEIVED", "ROUTED", "VENUE_ACK", "FILL",
                                             "REPLACE_REQUESTED", "REPLACED", "FILL"}));
  // 3. every fill; 4. parent and child final state.
  EXPECT_EQ(results[2].size(), 2u);
  ASSERT_EQ(results[3].size(), 2u);
  EXPECT_EQ(results[3][0][4], "FILLED");
  EXPECT_EQ(results[3][1][12], "SIM-77");  // venue_order_id, after stop_px
  // 5. the account's orders and events.
  EXPECT_EQ(results[4].size(), 3u);
  EXPECT_EQ(results[5].size(), 13u);  // 7 + 2 + 4 events
  // 6. VWAP by symbol and day, exact.
  ASSERT_EQ(results[6].size(), 2u);
  EXPECT_EQ(results[6][0][0], "AAPL");
  EXPECT_EQ(results[6][0][1], "2026-01-02");
  EXPECT_EQ(results[6][0][6], "150.16000000");
  EXPECT_EQ(results[6][1][6], "400.50000000");
  // 7. rejects by reason.
  EXPECT_EQ(results[7].size(), 2u);
  EXPECT_EQ(results[8].size(), 2u);
  // 8. consistency checks find nothing.
  EXPECT_TRUE(results[9].empty());
  EXPECT_TRUE(results[10].empty());
  // 9. the session's raw messages, in order, SOH shown as '|'.
  ASSERT_EQ(results[11].size(), 2u);
  EXPECT_EQ(results[11][0][1], "IN");
  EXPECT_EQ(results[11][0][4], "8=FIX.4.4|35=D|11=C1|");
  EXPECT_EQ(results[11][1][1], "OUT");
  // 1.-4. start from the ClOrdID lookup, which repeats the partial index's predicate (schema
  // 0019) so the planner can use it. With sequential and plain index scans priced out (on a table
  // this small a full scan of any index is otherwise "cheapest"), only an index whose condition
  // or predicate the query matches can answer: the plan shows the partial index does.
  db.exec("ANALYZE order_events");
  for (size_t i = 0; i < 4; ++i) {
    std::string plan;
    for (const auto& row : db.query("SET enable_seqscan = off; SET enable_indexscan = off; SET "
                                    "enable_indexonlyscan = off; EXPLAIN (COSTS OFF) " +
                                    bind(blocks[i], vars)))
      plan += row[0] + "\n";
    db.exec("RESET enable_seqscan; RESET enable_indexscan; RESET enable_indexonlyscan");
    EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << "section " << i + 1 << ":\n" << plan;
    // Section 1 may rightly start from the (here tiny) parents of the session instead.
    if (i > 0)
      EXPECT_NE(plan.find("order_events_by_cl_ord_id"), std::string::npos)
          << "section " << i + 1 << ":\n"
          << plan;
  }
}

// An algo parent's strategy fields (as the client sent them, after a replace)
// and what the router resolved ride in orders.details; recovery reads back
// the parent with them, its open child and its last pause (docs/algos.md,
// "Crash and restart").
TEST_F(StoreTest, AlgoParentParametersSurviveTheJournalAndRecovery) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  AlgoOrderFields a;
  a.targetStrategy = "VWAP";
  a.effectiveTime = "20231114-22:13:20.123";
  a.expireTime = "20231114-23:13:20";  // a replace moved the end
  a.participationRate = "0.25";
  a.maxFloor = "";  // sent empty: stays empty, not absent
  a.price = "101.25";
  a.minQty = "5";
  a.noStrategyParameters = 2;
  a.strategyParameters = {{"SliceInterval", "1", "30"}, {"Venues", "14", "SIM,\"B\""}};
  a.resolvedStartNs = kT0 + 1;
  a.learnedProfile = "0930:5,1000:3";
  OrderDetails d;
  d.secondaryClOrdId = "S-1";
  d.algo = a;
  OrderRec o;
  o.orderId = OrderId("P1");
  o.session = SessionKey(kSession);
  o.clOrdId = ClOrdId("CL-P1-R");
  o.origClOrdId = ClOrdId("CL-P1");
  o.account = Account("ACC1");
  o.symbol = Symbol("AAPL");
  o.qty = Qty::of("800");  // the replaced qty and limit are the row's own columns
  o.price = Price::of("101.25");
  o.status = OrdStatus::PartiallyFilled;
  o.cumQty = Qty::of("300");
  o.leavesQty = Qty::of("500");
  o.avgPx = Price::of("100.5");
  o.venue = VenueId("SIM");
  o.createdAt = o.updatedAt = kT0;
  o.created = true;
  o.details = std::make_shared<const OrderDetails>(d);
  j.append(o);
  OrderRec c = o;
  c.orderId = OrderId("P1-C3");
  c.parentOrderId = OrderId("P1");
  c.clOrdId = ClOrdId("P1-C3");
  c.origClOrdId.reset();
  c.qty = Qty::of("100");
  c.cumQty = Qty::of("40");
  c.leavesQty = Qty::of("60");
  c.venueOrderId = VenueOrderId("V-3");
  c.details = nullptr;
  j.append(c);
  OrderEventRec paused = event(1, "P1", "ALGO_PAUSED", kT0 + 2);
  paused.text = "child P1-C2 rejected by SIM: no; paused by policy";
  j.append(paused);
  j.flush();

  auto back = detailsFromJson(one(db, "SELECT details::text FROM orders WHERE order_id = 'P1'"));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(*back, d);
  EXPECT_EQ(one(db, "SELECT details->'algo'->>'expire_time' FROM orders WHERE order_id = 'P1'"),
            "20231114-23:13:20");
  EXPECT_EQ(one(db, "SELECT details->'algo'->>'resolved_start' FROM orders WHERE order_id = 'P1'"),
            formatIsoTimestamp(kT0 + 1));

  router::RecoveredState st = loadRecoveredState(db.conninfo());
  ASSERT_EQ(st.parents.size(), 1u);
  const router::ParentOrder& p = st.parents[0];
  ASSERT_TRUE(p.details && p.details->algo);
  EXPECT_EQ(*p.details->algo, a);
  EXPECT_EQ(p.qty, Qty::of("800"));
  EXPECT_EQ(p.price, Price::of("101.25"));
  EXPECT_EQ(p.cumQty, Qty::of("300"));
  ASSERT_EQ(st.children.size(), 1u);
  EXPECT_EQ(st.children[0].id, ChildOrderId("P1-C3"));
  EXPECT_EQ(st.children[0].cumQty, Qty::of("40"));
  EXPECT_TRUE(st.children[0].acked);
  ASSERT_EQ(st.algoPauses.size(), 1u);
  EXPECT_EQ(st.algoPauses[0].first, OrderId("P1"));
  EXPECT_EQ(st.algoPauses[0].second, paused.text);

  // Resumed since: no pause comes back.
  j.append(event(2, "P1", "ALGO_RESUMED", kT0 + 3));
  j.flush();
  EXPECT_TRUE(loadRecoveredState(db.conninfo()).algoPauses.empty());
  EXPECT_TRUE(loadRecoveredState(db.conninfo()).pendingCancels.empty());

  // A client cancel pending at the stop comes back with its ClOrdIDs.
  OrderEventRec cx = event(3, "P1", "CANCEL_REQUESTED", kT0 + 4);
  cx.clOrdId = ClOrdId("CL-P1-X");
  cx.origClOrdId = ClOrdId("CL-P1-R");
  j.append(cx);
  j.append(event(4, "P1", "CHILD_CANCEL_REQUESTED", kT0 + 5));  // not the client's
  o.status = OrdStatus::PendingCancel;
  o.created = false;
  j.append(o);
  j.flush();
  router::RecoveredState st2 = loadRecoveredState(db.conninfo());
  ASSERT_EQ(st2.pendingCancels.size(), 1u);
  EXPECT_EQ(st2.pendingCancels[0].orderId, OrderId("P1"));
  EXPECT_EQ(st2.pendingCancels[0].clOrdId, ClOrdId("CL-P1-X"));
  EXPECT_EQ(st2.pendingCancels[0].origClOrdId, ClOrdId("CL-P1-R"));
  EXPECT_TRUE(st2.pendingCancels[0].clientRequest);
  EXPECT_EQ(st2.parents.at(0).status(), OrdStatus::PartiallyFilled) << "settled, as before";
  EXPECT_EQ(j.stats().failures, 0u);
}

// Schema 0020: a direct order's one child rides in its parent's row (child_status, the venue
// order id, child_* where it differs from the parent). orders_all shows it as the child row it
// was, and recovery restores exactly that child, marked direct, under the derived id.
TEST_F(StoreTest, DirectOrdersChildInTheParentRowComesBackOnRecovery) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  OrderRec o = parentOrder("k7x-5", kT0);
  o.qty = o.leavesQty = Qty::of("10");
  o.price = Price::of("99.5");
  o.venue = VenueId("SIM");
  o.created = true;
  j.append(o);  // first record: COPY straight into orders, in the same batch as the next one
  o.created = false;
  o.status = OrdStatus::New;
  o.childStatus = OrdStatus::New;
  o.venueOrderId = VenueOrderId("SIM-41");
  o.updatedAt = kT0 + 1;
  j.append(o);
  j.flush();
  EXPECT_EQ(one(db, "SELECT count(*) FROM orders"), "1") << "no child row";
  EXPECT_EQ(one(db, "SELECT order_id || ' ' || status || ' ' || venue_order_id || ' ' || "
                    "trim_scale(leaves_qty)::text FROM orders_all WHERE parent_order_id = 'k7x-5'"),
            "k7x-C5 NEW SIM-41 10");

  // A fill the child has booked and the parent not yet (the engine journals the child first):
  // the child's own cum qty rides along; the upsert path, not the first insert.
  o.childStatus = OrdStatus::PartiallyFilled;
  o.childCumQty = Qty::of("4");
  o.updatedAt = kT0 + 2;
  j.append(o);
  j.flush();
  router::RecoveredState st = loadRecoveredState(db.conninfo());
  ASSERT_EQ(st.parents.size(), 1u);
  ASSERT_EQ(st.children.size(), 1u);
  const router::ChildOrder& c = st.children[0];
  EXPECT_EQ(c.id, ChildOrderId("k7x-C5"));
  EXPECT_EQ(c.parent, OrderId("k7x-5"));
  EXPECT_TRUE(c.direct);
  EXPECT_EQ(c.venue, VenueId("SIM"));
  EXPECT_EQ(c.venueOrderId, VenueOrderId("SIM-41"));
  EXPECT_TRUE(c.acked);
  EXPECT_EQ(c.qty, Qty::of("10"));
  EXPECT_EQ(c.price, Price::of("99.5"));
  EXPECT_EQ(c.cumQty, Qty::of("4"));
  EXPECT_EQ(c.status, OrdStatus::PartiallyFilled);
  ASSERT_EQ(st.parents[0].children.size(), 1u);
  EXPECT_EQ(st.parents[0].children[0], ChildOrderId("k7x-C5"));
  EXPECT_EQ(st.parents[0].cumQty, Qty()) << "the parent's own figures are its own";

  // The parent catches up: child_cum_qty goes back to NULL (= the parent's).
  o.status = OrdStatus::PartiallyFilled;
  o.cumQty = Qty::of("4");
  o.leavesQty = Qty::of("6");
  o.childCumQty.reset();
  o.updatedAt = kT0 + 3;
  j.append(o);
  j.flush();
  EXPECT_EQ(one(db, "SELECT child_cum_qty IS NULL FROM orders WHERE order_id = 'k7x-5'"), "t");
  EXPECT_EQ(loadRecoveredState(db.conninfo()).children.at(0).cumQty, Qty::of("4"));

  // Done: nothing to restore, and orders_all still shows the child with no leaves.
  o.status = OrdStatus::Canceled;
  o.childStatus = OrdStatus::Canceled;
  o.leavesQty = Qty();
  o.updatedAt = kT0 + 4;
  j.append(o);
  j.flush();
  EXPECT_TRUE(loadRecoveredState(db.conninfo()).children.empty());
  EXPECT_EQ(one(db, "SELECT status || ' ' || trim_scale(cum_qty)::text || ' ' || "
                    "trim_scale(leaves_qty)::text FROM orders_all WHERE order_id = 'k7x-C5'"),
            "CANCELED 4 0");
  EXPECT_EQ(j.stats().failures, 0u);
}

TEST_F(StoreTest, MalformedAlgoDetailsNameTheKey) {
  auto err = [](const std::string& json) {
    try {
      detailsFromJson(json);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err(R"({"algo": 3})"), "details.algo is not an object");
  EXPECT_EQ(err(R"({"algo": {}})"), "details.algo.target_strategy is missing");
  EXPECT_EQ(err(R"({"algo": {"target_strategy": "TWAP", "expire_time": 5}})"),
            "details.algo.expire_time is not a string");
  EXPECT_EQ(err(R"({"algo": {"target_strategy": "TWAP", "strategy_parameters": [{"name": "x"}]}})"),
            "details.algo.strategy_parameters[].type is not a string");
  EXPECT_EQ(err(R"({"algo": {"target_strategy": "TWAP", "resolved_start_ns": "1"}})"),
            "details.algo.resolved_start_ns is not an integer");
}

// Schema 0021: when the last event is a direct order's RECEIVED, its ROUTED line (no row) holds
// RECEIVED's seq + 1, so the high-water mark recovery hands the engine counts it: the next life's
// first event never takes that number. A NEW as the last event counts as itself.
TEST_F(StoreTest, RecoveredEventSeqCountsADirectOrdersRoutedLineWithoutARow) {
  migrateSchema();
  PgJournal j(config());
  j.start();
  OrderRec o = parentOrder("k7x-6", kT0);
  o.venue = VenueId("SIM");
  o.childStatus = OrdStatus::PendingNew;
  o.created = true;
  j.append(o);
  j.append(event(40, "k7x-6", "RECEIVED", kT0));
  j.flush();
  EXPECT_EQ(loadRecoveredState(db.conninfo()).maxEventSeq, 41);
  EXPECT_EQ(one(db, "SELECT max(seq) FROM v_order_lifecycle"), "41");
  j.append(event(42, "k7x-6", "NEW", kT0 + 1));
  j.flush();
  EXPECT_EQ(loadRecoveredState(db.conninfo()).maxEventSeq, 42);
  j.stop();
}

}  // namespace
}  // namespace fixgw::store
