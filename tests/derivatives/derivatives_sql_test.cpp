// Derivatives in PostgreSQL (schema/0018_contract_size.sql), on the real
// server (FIXGW_TEST_DB), each test in a schema of its own filled by the real
// journal (store::PgJournal): executions carry the contract size they were
// booked at, and v_positions, v_fills, the audit queries of docs/audit.md and
// `fixgw audit fills` value them as qty x contract_size x price. Hand-worked
// with OKX's BTC-USDT-SWAP (0.01 BTC per contract).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "apps/audit.h"
#include "core/journal.h"
#include "store/migrate.h"
#include "store/pg_journal.h"
#include "tests/support/pg_test_env.h"

using namespace fixgw;
using fixgw::testing::PgTestSchema;
using fixgw::testing::schemaDir;
namespace fs = std::filesystem;
using Rows = std::vector<std::vector<std::string>>;

namespace {

constexpr WallNanos kMs = 1'000'000;
constexpr WallNanos kT = 1'767'346'200'000'000'000LL;  // 2026-01-02T09:30:00Z
const char* kSwap = "BTC-USDT-SWAP";

ExecutionRec exec(const std::string& id, const std::string& account, const std::string& symbol,
                  Side side, const char* qty, const char* px, const char* contractSize,
                  WallNanos at) {
  ExecutionRec x;
  x.execId = ExecId(id);
  x.orderId = OrderId("O-" + id);
  x.session = SessionKey("FIX.4.4:FIXGW->CLIENT1");
  x.clOrdId = ClOrdId("C-" + id);
  x.account = Account(account);
  x.symbol = Symbol(symbol);
  x.side = side;
  x.lastQty = Qty::of(qty);
  x.lastPx = Price::of(px);
  x.cumQty = x.lastQty;
  x.avgPx = x.lastPx;
  x.venue = VenueId("SIM");
  x.ts = at;
  x.contractSize = Qty::of(contractSize);
  return x;
}

class DerivativesSql : public ::testing::Test {
 protected:
  void SetUp() override {
    store::migrate(db.conninfo(), schemaDir());
    store::PgJournalConfig c;
    c.conninfo = db.conninfo();
    c.maxBatch = 3;  // several transactions: both write paths of the journal
    store::PgJournal j(c);
    j.start();
    // Long 5 at 60000, sell 3 at 61000: realised 3 x 0.01 x 1000 = 30 USDT.
    j.append(exec("X1", "LONG", kSwap, Side::Buy, "5", "60000", "0.01", kT));
    j.append(exec("X2", "LONG", kSwap, Side::Sell, "3", "61000", "0.01", kT + kMs));
    // Short 4 at 61000, buy 10 at 60500.5: realised 4 x 0.01 x 499.5 = 19.98, long 6.
    j.append(exec("X3", "FLIP", kSwap, Side::SellShort, "4", "61000", "0.01", kT + 2 * kMs));
    j.append(exec("X4", "FLIP", kSwap, Side::Buy, "10", "60500.5", "0.01", kT + 3 * kMs));
    // A cash instrument beside it: contract size 1, unchanged math.
    j.append(exec("X5", "LONG", "AAPL", Side::Buy, "10", "100", "1", kT + 4 * kMs));
    j.append(exec("X6", "LONG", "AAPL", Side::Sell, "4", "101.5", "1", kT + 5 * kMs));
    j.flush();
    j.stop();
  }
  PgTestSchema db;
};

}  // namespace

TEST_F(DerivativesSql, ExecutionsKeepTheContractSizeTheyWereBookedAt) {
  Rows r = db.query("select exec_id, contract_size from executions order by exec_id");
  ASSERT_EQ(r.size(), 6u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Qty::of(r[i][1]), Qty::of("0.01")) << r[i][0];
  EXPECT_EQ(Qty::of(r[4][1]), Qty::of("1"));
  EXPECT_EQ(Qty::of(r[5][1]), Qty::of("1"));
}

TEST_F(DerivativesSql, PositionsViewCountsContractsAndValuesPnLWithTheSize) {
  // Mark: the symbol's last fill, 60500.5.
  Rows r = db.query(
      "select account, symbol, qty, avg_cost, realised_pnl, mark_px, unrealised_pnl, bought_qty, "
      "sold_qty, contract_size from v_positions order by account, symbol");
  ASSERT_EQ(r.size(), 3u);
  // FLIP: long 6 at 60500.5; unrealised at the mark 0.
  EXPECT_EQ(r[0][0], "FLIP");
  EXPECT_EQ(Qty::of(r[0][2]), Qty::of("6"));
  EXPECT_EQ(Price::of(r[0][3]), Price::of("60500.5"));
  EXPECT_EQ(Notional::of(r[0][4]), Notional::of("19.98"));
  EXPECT_EQ(Notional::of(r[0][6]), Notional::of("0"));
  EXPECT_EQ(Qty::of(r[0][9]), Qty::of("0.01"));
  // LONG AAPL: 6 left at 100, realised 4 x 1.5 = 6, unrealised 6 x 1.5 = 9 (mark 101.5).
  EXPECT_EQ(r[1][1], "AAPL");
  EXPECT_EQ(Notional::of(r[1][4]), Notional::of("6"));
  EXPECT_EQ(Notional::of(r[1][6]), Notional::of("9"));
  EXPECT_EQ(Qty::of(r[1][9]), Qty::of("1"));
  // LONG swap: 2 contracts at 60000, realised 30, unrealised 2 x 0.01 x 500.5 = 10.01.
  EXPECT_EQ(r[2][1], kSwap);
  EXPECT_EQ(Qty::of(r[2][2]), Qty::of("2"));
  EXPECT_EQ(Price::of(r[2][3]), Price::of("60000"));
  EXPECT_EQ(Notional::of(r[2][4]), Notional::of("30"));
  EXPECT_EQ(Price::of(r[2][5]), Price::of("60500.5"));
  EXPECT_EQ(Notional::of(r[2][6]), Notional::of("10.01"));
  EXPECT_EQ(Qty::of(r[2][7]), Qty::of("5"));
  EXPECT_EQ(Qty::of(r[2][8]), Qty::of("3"));
}

TEST_F(DerivativesSql, FillsViewAndDocQueriesUseTheContractSize) {
  Rows f = db.query("select exec_id, notional from v_fills order by exec_id");
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(Notional::of(f[0][1]), Notional::of("3000"));     // 5 x 0.01 x 60000
  EXPECT_EQ(Notional::of(f[1][1]), Notional::of("1830"));     // 3 x 0.01 x 61000
  EXPECT_EQ(Notional::of(f[3][1]), Notional::of("6050.05"));  // 10 x 0.01 x 60500.5
  EXPECT_EQ(Notional::of(f[4][1]), Notional::of("1000"));     // AAPL 10 x 100
  // docs/audit.md section 6 (fills by symbol and day, VWAP weighted by the underlying).
  Rows d = db.query(
      "SELECT x.symbol, x.side, sum(x.last_qty) AS qty, "
      "sum(x.last_qty * x.contract_size * x.last_px) AS notional, "
      "round(sum(x.last_qty * x.contract_size * x.last_px) "
      "/ nullif(sum(x.last_qty * x.contract_size), 0), 8) AS vwap "
      "FROM executions x WHERE x.symbol = 'BTC-USDT-SWAP' GROUP BY x.symbol, x.side "
      "ORDER BY x.side");
  ASSERT_EQ(d.size(), 3u);  // BUY, SELL, SELL_SHORT
  EXPECT_EQ(d[0][1], "BUY");
  EXPECT_EQ(Qty::of(d[0][2]), Qty::of("15"));  // contracts
  // 3000 + 6050.05 = 9050.05 over 0.15 BTC = 60333.66666667
  EXPECT_EQ(Notional::of(d[0][3]), Notional::of("9050.05"));
  EXPECT_EQ(Price::of(d[0][4]), Price::of("60333.66666667"));
}

TEST_F(DerivativesSql, AuditFillsCommandValuesContractsWithTheSize) {
  std::ostringstream out, err;
  ASSERT_EQ(audit::runCli({"fills", "--symbol", kSwap, "--day", "2026-01-02", "--json", "--db",
                           db.conninfo()},
                          out, err),
            0)
      << err.str();
  rapidjson::Document d;
  d.Parse(out.str().c_str());
  ASSERT_FALSE(d.HasParseError()) << out.str();
  ASSERT_TRUE(d.HasMember("summary") && d["summary"].Size() == 1u) << out.str();
  const auto& s = d["summary"][0u];
  EXPECT_STREQ(s["qty"].GetString(), "22");  // 5 + 3 + 4 + 10 contracts
  // 3000 + 1830 + 2440 + 6050.05 = 13320.05; over 0.22 BTC = 60545.68181818
  EXPECT_STREQ(s["notional"].GetString(), "13320.05");
  EXPECT_STREQ(s["vwap"].GetString(), "60545.68181818");
  ASSERT_TRUE(d.HasMember("fills") && d["fills"].Size() == 4u) << out.str();
  EXPECT_STREQ(d["fills"][0u]["notional"].GetString(), "3000");
  EXPECT_STREQ(d["fills"][0u]["contract_size"].GetString(), "0.01");
}

// Executions written before 0018 (all cash instruments then) read as contract size 1.
TEST(DerivativesSqlUpgrade, RowsFromBeforeTheMigrationHaveContractSizeOne) {
  PgTestSchema db;
  fs::path old = fs::temp_directory_path() / ("fixgw-pre0018-" + db.schema());
  fs::create_directories(old);
  for (const auto& e : fs::directory_iterator(schemaDir())) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".sql" && name < "0018") fs::copy_file(e.path(), old / name);
  }
  store::migrate(db.conninfo(), old.string());
  db.exec(
      "insert into executions (exec_id, order_id, session_key, cl_ord_id, account, symbol, side, "
      "last_qty, last_px, cum_qty, leaves_qty, avg_px, exec_time) values "
      "('OLD1', 'O1', 'S', 'C1', 'A', 'AAPL', 'BUY', 10, 100.5, 10, 0, 100.5, now())");
  const auto applied = store::migrate(db.conninfo(), schemaDir());
  bool has0018 = false;
  for (const auto& a : applied) has0018 = has0018 || a.rfind("0018", 0) == 0;
  EXPECT_TRUE(has0018);
  Rows r = db.query("select contract_size, notional from v_fills where exec_id = 'OLD1'");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Qty::of(r[0][0]), Qty::of("1"));
  EXPECT_EQ(Notional::of(r[0][1]), Notional::of("1005"));
  Rows p = db.query("select qty, avg_cost from v_positions where account = 'A'");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(Qty::of(p[0][0]), Qty::of("10"));
  EXPECT_EQ(Price::of(p[0][1]), Price::of("100.5"));
  fs::remove_all(old);
}
