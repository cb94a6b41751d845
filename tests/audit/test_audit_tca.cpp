// TCA in PostgreSQL (schema/0011_tca.sql): rows the real journal (store::PgJournal) wrote from
// the real computation (router/tca.h) for hand-worked parents, read back exactly, through the
// views (fees by currency, venue share from the child orders' venues), through `fixgw audit tca`
// (text and JSON, every filter) and through the SQL of docs/audit.md section 10.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "apps/audit.h"
#include "core/journal.h"
#include "router/tca.h"
#include "store/migrate.h"
#include "store/pg_journal.h"
#include "tests/support/pg_test_env.h"

namespace fixgw::audit {
namespace {

using fixgw::testing::PgTestSchema;
using fixgw::testing::schemaDir;
using Strings = std::vector<std::string>;
using Rows = std::vector<std::vector<std::string>>;

const SessionKey kSess("FIX.4.4:FIXGW->CLIENT1");
constexpr WallNanos kS = 1'000'000'000;
constexpr WallNanos kT = 1'767'346'200'000'000'000LL;  // 2026-01-02T09:30:00Z
constexpr WallNanos kNextDay = kT + 86'400 * kS;       // 2026-01-03T09:30:00Z

OrderRec order(const char* id, const char* account, const char* sym, Side side, const char* qty,
               WallNanos at) {
  OrderRec o;
  o.orderId = OrderId(id);
  o.session = kSess;
  o.clOrdId = ClOrdId(std::string("CL-") + id);
  o.account = Account(account);
  o.symbol = Symbol(sym);
  o.side = side;
  o.qty = Qty::of(qty);
  o.price = Price::of("200");
  o.status = OrdStatus::New;
  o.leavesQty = o.qty;
  o.createdAt = o.updatedAt = at;
  o.created = true;
  return o;
}

OrderRec child(const OrderRec& p, const char* id, const char* venue) {
  OrderRec c = p;
  c.orderId = OrderId(id);
  c.clOrdId = ClOrdId(id);
  c.parentOrderId = p.orderId;
  c.venue = VenueId(venue);
  return c;
}

ExecutionRec exec(const OrderRec& p, const char* execId, const char* childId, const char* qty,
                  const char* px, const char* fee, const char* ccy, WallNanos at) {
  ExecutionRec x;
  x.execId = ExecId(execId);
  x.orderId = p.orderId;
  x.childOrderId = OrderId(childId);
  x.session = p.session;
  x.clOrdId = p.clOrdId;
  x.account = p.account;
  x.symbol = p.symbol;
  x.side = p.side;
  x.lastQty = Qty::of(qty);
  x.lastPx = Price::of(px);
  x.venue = VenueId("SIMA");  // the parent's venue, as the engine writes it
  x.fee = Qty::of(fee);
  x.feeCurrency = ccy;
  x.ts = at;
  return x;
}

TcaRec rec(const OrderRec& p, const router::TcaResult& r, WallNanos completed,
           const char* strategy) {
  TcaRec t;
  t.orderId = p.orderId;
  t.session = p.session;
  t.account = p.account;
  t.symbol = p.symbol;
  t.side = p.side;
  t.venue = VenueId("SIMA");
  t.strategy = strategy;
  t.finalStatus = OrdStatus::Filled;
  t.arrivalTime = p.createdAt;
  t.completedAt = completed;
  t.arrivalPx = r.arrivalPx;
  t.arrivalSource = router::toString(r.arrivalSource);
  t.orderQty = r.orderQty;
  t.filledQty = r.filledQty;
  t.avgPx = r.avgPx;
  t.marketVolume = r.marketVolume;
  t.marketTrades = r.marketTrades;
  t.intervalVwap = r.intervalVwap;
  t.slippageArrivalBps = r.slippageArrivalBps;
  t.slippageVwapBps = r.slippageVwapBps;
  t.participation = r.participation;
  t.fillRate = r.fillRate;
  return t;
}

Trade trade(const char* sym, const char* px, const char* qty, WallNanos at) {
  Trade t;
  t.time = at;
  t.venue = VenueId("SIMA");
  t.symbol = Symbol(sym);
  t.price = Price::of(px);
  t.qty = Qty::of(qty);
  return t;
}

class AuditTca : public ::testing::Test {
 protected:
  // P1 (ACC1 buy AAPL 400, TWAP) is tests/router/tca_test.cpp's first example: arrival mid
  // 100.00, market 500 @ VWAP 100.10, fills 100 @ 100.05 on SIMA (0.50 USD) and 150 @ 100.15 on
  // SIMB (0.75 USD): +11 bps vs arrival, +0.999001 vs VWAP, participation 0.5, fill rate 0.625.
  // P2 (ACC2 sell MSFT 10, next day, direct): arrival reference 50.00, 4 + 6 @ 49.90 on SIMB
  // with fees 1 USD and 0.2 EUR: +20 bps (sold below: a cost).
  void SetUp() override {
    store::migrate(db.conninfo(), schemaDir());
    store::PgJournalConfig c;
    c.conninfo = db.conninfo();
    c.maxBatch = 3;  // several transactions
    store::PgJournal j(c);
    j.start();

    router::TcaTracker tca;
    OrderRec p1 = order("P1", "ACC1", "AAPL", Side::Buy, "400", kT);
    j.append(p1);
    j.append(child(p1, "P1.A", "SIMA"));
    j.append(child(p1, "P1.B", "SIMB"));
    tca.start(p1.orderId, p1.symbol, Side::Buy, kT, Price::of("100"), router::ArrivalSource::Mid);
    tca.onTrade(trade("AAPL", "100.00", "200", kT + kS));
    tca.onTrade(trade("AAPL", "100.30", "100", kT + 2 * kS));
    tca.onTrade(trade("AAPL", "100.10", "200", kT + 3 * kS));
    tca.find(p1.orderId)
        ->onFill(VenueId("SIMA"), Qty::of("100"), Price::of("100.05"), Qty::of("0.5"), "USD");
    tca.find(p1.orderId)
        ->onFill(VenueId("SIMB"), Qty::of("150"), Price::of("100.15"), Qty::of("0.75"), "USD");
    j.append(exec(p1, "X1", "P1.A", "100", "100.05", "0.5", "USD", kT + kS));
    j.append(exec(p1, "X2", "P1.B", "150", "100.15", "0.75", "USD", kT + 2 * kS));
    j.append(
        rec(p1, *tca.finish(p1.orderId, p1.symbol, p1.qty, kT + 60 * kS), kT + 60 * kS, "TWAP"));

    OrderRec p2 = order("P2", "ACC2", "MSFT", Side::Sell, "10", kNextDay);
    j.append(p2);
    j.append(child(p2, "P2.A", "SIMB"));
    tca.start(p2.orderId, p2.symbol, Side::Sell, kNextDay, Price::of("50"),
              router::ArrivalSource::Reference);
    tca.find(p2.orderId)
        ->onFill(VenueId("SIMB"), Qty::of("4"), Price::of("49.90"), Qty::of("1"), "USD");
    tca.find(p2.orderId)
        ->onFill(VenueId("SIMB"), Qty::of("6"), Price::of("49.90"), Qty::of("0.2"), "EUR");
    j.append(exec(p2, "X3", "P2.A", "4", "49.90", "1", "USD", kNextDay + kS));
    j.append(exec(p2, "X4", "P2.A", "6", "49.90", "0.2", "EUR", kNextDay + kS));
    j.append(rec(p2, *tca.finish(p2.orderId, p2.symbol, p2.qty, kNextDay + 2 * kS),
                 kNextDay + 2 * kS, ""));
    j.flush();
    j.stop();
  }

  struct Cli {
    int rc = -1;
    std::string out, err;
  };
  Cli run(Strings args) {
    args.insert(args.begin(), "tca");
    args.push_back("--db");
    args.push_back(db.conninfo());
    std::ostringstream out, err;
    Cli r;
    r.rc = runCli(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }
  rapidjson::Document json(Strings args) {
    args.push_back("--json");
    const Cli r = run(args);
    EXPECT_EQ(r.rc, 0) << r.err;
    rapidjson::Document d;
    d.Parse(r.out.c_str());
    EXPECT_FALSE(d.HasParseError()) << r.out;
    return d;
  }
  static Strings col(const rapidjson::Document& d, const char* table, const char* c) {
    Strings out;
    if (!d.IsObject() || !d.HasMember(table)) {
      ADD_FAILURE() << "no table " << table;
      return out;
    }
    for (const auto& row : d[table].GetArray()) {
      const auto& v = row[c];
      out.push_back(v.IsNull()     ? "<null>"
                    : v.IsString() ? v.GetString()
                                   : std::to_string(v.GetInt64()));
    }
    return out;
  }

  PgTestSchema db;
};

TEST_F(AuditTca, StoredFiguresReadBackExactly) {
  const Rows r = db.query(
      "SELECT order_id, arrival_source, arrival_px, avg_px, filled_qty, market_volume, "
      "market_trades, interval_vwap, slippage_arrival_bps, slippage_vwap_bps, participation, "
      "fill_rate, coalesce(strategy, '-'), final_status FROM tca ORDER BY arrival_time");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], (Strings{"P1", "MID", "100.00000000", "100.11000000", "250.00000000",
                           "500.00000000", "3", "100.10000000", "11.00000000", "0.99900100",
                           "0.50000000", "0.62500000", "TWAP", "FILLED"}));
  EXPECT_EQ(r[1], (Strings{"P2", "REFERENCE", "50.00000000", "49.90000000", "10.00000000",
                           "0.00000000", "0", "<null>", "20.00000000", "<null>", "<null>",
                           "1.00000000", "-", "FILLED"}));
}

TEST_F(AuditTca, ViewsDeriveFeesByCurrencyAndTheChildVenuesShare) {
  EXPECT_EQ(db.query("SELECT order_id, fee_currency, fees, fills FROM v_tca_fees "
                     "ORDER BY order_id, fee_currency"),
            (Rows{{"P1", "USD", "1.25", "2"}, {"P2", "EUR", "0.2", "1"}, {"P2", "USD", "1", "1"}}));
  // X2's execution row names the parent's venue (SIMA); its child went to SIMB.
  EXPECT_EQ(db.query("SELECT order_id, venue, filled_qty, fill_share FROM v_tca_venue_share "
                     "ORDER BY order_id, venue"),
            (Rows{{"P1", "SIMA", "100.00000000", "0.40000000"},
                  {"P1", "SIMB", "150.00000000", "0.60000000"},
                  {"P2", "SIMB", "10.00000000", "1.00000000"}}));
  EXPECT_EQ(db.query("SELECT fees::text, venue_share::text FROM v_tca WHERE order_id = 'P2'"),
            (Rows{{R"({"EUR": 0.2, "USD": 1})", R"({"SIMB": 1.00000000})"}}));
}

TEST_F(AuditTca, RowsAreAppendOnly) {
  EXPECT_THROW(db.exec("UPDATE tca SET fill_rate = 0 WHERE order_id = 'P1'"), std::exception);
  EXPECT_THROW(db.exec("DELETE FROM tca"), std::exception);
  EXPECT_EQ(db.query("SELECT count(*) FROM tca"), (Rows{{"2"}}));
}

TEST_F(AuditTca, CliJsonHasEveryFigureFeesAndVenues) {
  const auto d = json({});
  EXPECT_STREQ(d["command"].GetString(), "tca");
  EXPECT_EQ(col(d, "tca", "order_id"), (Strings{"P1", "P2"}));
  EXPECT_EQ(col(d, "tca", "slippage_arrival_bps"), (Strings{"11", "20"}));
  EXPECT_EQ(col(d, "tca", "slippage_vwap_bps"), (Strings{"0.999001", "<null>"}));
  EXPECT_EQ(col(d, "tca", "participation"), (Strings{"0.5", "<null>"}));
  EXPECT_EQ(col(d, "tca", "fill_rate"), (Strings{"0.625", "1"}));
  EXPECT_EQ(col(d, "tca", "arrival_source"), (Strings{"MID", "REFERENCE"}));
  EXPECT_EQ(col(d, "tca", "interval_vwap"), (Strings{"100.1", "<null>"}));
  EXPECT_EQ(col(d, "tca", "market_trades"), (Strings{"3", "0"}));
  EXPECT_EQ(col(d, "tca", "strategy"), (Strings{"TWAP", "<null>"}));
  EXPECT_EQ(col(d, "tca", "arrival_time"),
            (Strings{"2026-01-02T09:30:00.000000Z", "2026-01-03T09:30:00.000000Z"}));
  EXPECT_EQ(col(d, "fees", "fee_currency"), (Strings{"USD", "EUR", "USD"}));
  EXPECT_EQ(col(d, "fees", "fees"), (Strings{"1.25", "0.2", "1"}));
  EXPECT_EQ(col(d, "venues", "venue"), (Strings{"SIMA", "SIMB", "SIMB"}));
  EXPECT_EQ(col(d, "venues", "fill_share"), (Strings{"0.4", "0.6", "1"}));
}

TEST_F(AuditTca, CliFiltersByOrderAccountSymbolAndTime) {
  EXPECT_EQ(col(json({"--order-id", "P2"}), "tca", "order_id"), (Strings{"P2"}));
  EXPECT_EQ(col(json({"--account", "ACC1"}), "tca", "order_id"), (Strings{"P1"}));
  EXPECT_EQ(col(json({"--symbol", "MSFT"}), "tca", "order_id"), (Strings{"P2"}));
  const auto day1 = json({"--from", "2026-01-02", "--to", "2026-01-03"});
  EXPECT_EQ(col(day1, "tca", "order_id"), (Strings{"P1"}));
  EXPECT_EQ(col(day1, "fees", "order_id"), (Strings{"P1"}));  // only the parents shown
  EXPECT_EQ(col(day1, "venues", "order_id"), (Strings{"P1", "P1"}));
  const auto none = json({"--account", "x' OR '1'='1"});
  EXPECT_TRUE(col(none, "tca", "order_id").empty());
  EXPECT_TRUE(col(none, "fees", "order_id").empty());
  const auto cut = json({"--limit", "1"});
  EXPECT_EQ(col(cut, "tca", "order_id"), (Strings{"P1"}));
  EXPECT_TRUE(cut["truncated"]["tca"].GetBool());
}

TEST_F(AuditTca, CliTextTable) {
  const Cli r = run({"--account", "ACC2"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("== Transaction cost analysis (slippage: positive = cost) =="),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("REFERENCE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== Fees by currency =="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(2 rows)"), std::string::npos) << r.out;  // P2's USD and EUR fees
}

TEST_F(AuditTca, BadFlagsAreNamed) {
  Cli r = run({"--day", "2026-01-02"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--day"), std::string::npos) << r.err;
  r = run({"--from", "yesterday"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;
  r = run({"--limit", "0"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--limit"), std::string::npos) << r.err;
}

// docs/audit.md section 10: its four queries, with psql's variables bound.
Strings sqlBlocksOfSection10() {
  const char* src = std::getenv("FIXGW_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/docs/audit.md");
  Strings blocks;
  std::string line, cur;
  bool inSection = false, inSql = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) inSection = line.rfind("## 10.", 0) == 0;
    if (!inSection) continue;
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

std::string bind(std::string sql, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars) {
    const std::string key = ":'" + k + "'";
    for (size_t at; (at = sql.find(key)) != std::string::npos;)
      sql.replace(at, key.size(), "'" + v + "'");
  }
  EXPECT_EQ(sql.find(":'"), std::string::npos) << sql;
  return sql;
}

TEST_F(AuditTca, DocsQueriesAnswerForTheHandWorkedParents) {
  const Strings blocks = sqlBlocksOfSection10();
  ASSERT_EQ(blocks.size(), 4u);
  const std::map<std::string, std::string> vars = {
      {"account", "ACC1"}, {"from", "2026-01-02 00:00:00+00"}, {"to", "2026-01-04 00:00:00+00"}};
  const Rows account = db.query(bind(blocks[0], vars));
  ASSERT_EQ(account.size(), 1u);
  EXPECT_EQ(account[0][0], "P1");
  EXPECT_EQ(account[0][13], "11.00000000");
  const Rows fees = db.query(bind(blocks[1], vars));
  EXPECT_EQ(fees, (Rows{{"P1", "USD", "1.25", "2"}}));
  const Rows venues = db.query(bind(blocks[2], vars));
  EXPECT_EQ(venues.size(), 2u);
  // Quantity-weighted per symbol: one parent each, so its own figures.
  const Rows perSymbol = db.query(bind(blocks[3], vars));
  EXPECT_EQ(perSymbol, (Rows{{"AAPL", "1", "250.00000000", "11.0000", "0.9990"},
                             {"MSFT", "1", "10.00000000", "20.0000", "<null>"}}));
}

}  // namespace
}  // namespace fixgw::audit
