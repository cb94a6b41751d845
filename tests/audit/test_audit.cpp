// `fixgw audit` against a real PostgreSQL (FIXGW_TEST_DB), each test in a schema of its own that
// the real journal (store::PgJournal) filled with a small trading history: two sessions, three
// accounts' orders with routing, a replace, fills on two days, risk and venue rejects, and an order
// whose ClOrdID holds a quote. Every subcommand is checked in text and JSON for exactly the
// expected rows in the expected order; plus injection attempts, a database without the FIX
// message log, and bad flags.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cctype>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "apps/audit.h"
#include "core/journal.h"
#include "store/migrate.h"
#include "store/pg_journal.h"
#include "tests/support/pg_test_env.h"

namespace fixgw::audit {
namespace {

using fixgw::testing::PgTestSchema;
using fixgw::testing::schemaDir;
using Strings = std::vector<std::string>;

const std::string kS1 = "FIX.4.4:FIXGW->CLIENT1";
const std::string kS2 = "FIX.4.2:FIXGW->CLIENT2";
constexpr WallNanos kMs = 1'000'000;
constexpr WallNanos kT = 1'767'346'200'000'000'000LL;  // 2026-01-02T09:30:00Z
constexpr WallNanos kNextDay = kT + 87'600'000 * kMs;  // 2026-01-03T09:50:00Z
const std::string kRawO1 =
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

// Writes the trading history through the real journal. Engine seq numbers interleave the orders
// so that per-order queries must filter, not just take a range.
class History {
 public:
  explicit History(store::PgJournal& j) : j_(j) {}

  OrderRec order(const std::string& id, const std::string& session, const std::string& cl,
                 const std::string& account, const std::string& sym, Side side, const char* qty,
                 const char* px, WallNanos at) {
    OrderRec o;
    o.orderId = OrderId(id);
    o.session = SessionKey(session);
    o.clOrdId = ClOrdId(cl);
    o.account = Account(account);
    o.symbol = Symbol(sym);
    o.side = side;
    o.qty = Qty::of(qty);
    o.price = Price::of(px);
    o.leavesQty = o.qty;
    o.createdAt = o.updatedAt = at;
    return o;
  }
  OrderEventRec ev(const OrderRec& o, const std::string& type, WallNanos at) {
    OrderEventRec e;
    e.seq = ++seq_;
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
  }
  void fill(OrderRec& o, const std::string& execId, const char* qty, const char* px,
            const char* cum, const char* leaves, const char* avg, WallNanos at) {
    o.cumQty = Qty::of(cum);
    o.leavesQty = Qty::of(leaves);
    o.avgPx = Price::of(avg);
    o.status = o.leavesQty == Qty() ? OrdStatus::Filled : OrdStatus::PartiallyFilled;
    o.updatedAt = at;
    j_.append(o);
    OrderEventRec e = ev(o, "FILL", at);
    e.childOrderId = OrderId(o.orderId.str() + ".1");
    e.execType = ExecType::Trade;
    e.execId = ExecId(execId);
    e.lastQty = Qty::of(qty);
    e.lastPx = Price::of(px);
    j_.append(e);
    ExecutionRec x;
    x.execId = ExecId(execId);
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
    x.venueExecId = VenueExecId("V-" + execId);
    x.ts = at;
    j_.append(x);
  }
  OrderRec child(const OrderRec& parent, WallNanos at) {
    OrderRec c = parent;
    c.orderId = OrderId(parent.orderId.str() + ".1");
    c.parentOrderId = parent.orderId;
    c.venue = VenueId("SIM");
    c.rawFix.clear();
    c.createdAt = c.updatedAt = at;
    return c;
  }
  void receive(const OrderRec& o, WallNanos at) {
    j_.append(o);
    OrderEventRec e = ev(o, "RECEIVED", at);
    e.rawFix = o.rawFix;
    j_.append(e);
  }
  void route(const OrderRec& o, WallNanos at) {
    j_.append(child(o, at));
    OrderEventRec e = ev(o, "ROUTED", at);
    e.childOrderId = OrderId(o.orderId.str() + ".1");
    j_.append(e);
  }
  void ack(OrderRec& o, const std::string& execId, const std::string& venueOrderId, WallNanos at) {
    o.status = OrdStatus::New;
    o.updatedAt = at;
    OrderRec c = child(o, o.createdAt);
    c.status = OrdStatus::New;
    c.venueOrderId = VenueOrderId(venueOrderId);
    c.updatedAt = at;
    j_.append(c);
    j_.append(o);
    OrderEventRec e = ev(o, "VENUE_ACK", at);
    e.execType = ExecType::New;
    e.execId = ExecId(execId);
    j_.append(e);
  }
  void reject(OrderRec& o, const std::string& type, const std::string& reason,
              const std::string& text, WallNanos at) {
    o.status = OrdStatus::Rejected;
    o.leavesQty = Qty();
    o.updatedAt = at;
    j_.append(o);
    OrderEventRec e = ev(o, type, at);
    e.execType = ExecType::Rejected;
    e.reasonCode = reason;
    e.text = text;
    j_.append(e);
  }

  void write() {
    j_.append(SessionEventRec{SessionKey(kS1), "LOGON", kT - 60'000 * kMs});
    j_.append(SessionEventRec{SessionKey(kS2), "LOGON", kT - 30'000 * kMs});

    OrderRec o1 = order("O1", kS1, "C1", "ACC1", "AAPL", Side::Buy, "10", "150.25", kT);
    o1.rawFix = kRawO1;
    OrderRec o2 = order("O2", kS2, "C2", "ACC2", "AAPL", Side::Sell, "5", "151", kT + 2 * kMs);
    receive(o1, kT);                                                // seq 1
    route(o1, kT + 1 * kMs);                                        // seq 2
    receive(o2, kT + 2 * kMs);                                      // seq 3
    ack(o1, "X1", "SIM-77", kT + 3 * kMs);                          // seq 4
    fill(o1, "X2", "4", "150.1", "4", "6", "150.1", kT + 4 * kMs);  // seq 5
    route(o2, kT + 5 * kMs);                                        // seq 6
    ack(o2, "X10", "SIM-78", kT + 6 * kMs);                         // seq 7
    o1.origClOrdId = o1.clOrdId;
    o1.clOrdId = ClOrdId("C1b");
    o1.status = OrdStatus::PendingReplace;
    j_.append(ev(o1, "REPLACE_REQUESTED", kT + 7 * kMs));  // seq 8
    o1.price = Price::of("150.3");
    o1.status = OrdStatus::PartiallyFilled;
    o1.updatedAt = kT + 8 * kMs;
    j_.append(o1);
    OrderEventRec replaced = ev(o1, "REPLACED", kT + 8 * kMs);  // seq 9
    replaced.execType = ExecType::Replaced;
    replaced.execId = ExecId("X11");
    j_.append(replaced);
    fill(o2, "X4", "5", "151", "5", "0", "151", kT + 9 * kMs);         // seq 10
    fill(o1, "X3", "6", "150.2", "10", "0", "150.16", kT + 10 * kMs);  // seq 11

    OrderRec o4 = order("O4", kS1, "C4", "ACC1", "AAPL", Side::Buy, "10000", "150", kT + 11 * kMs);
    receive(o4, kT + 11 * kMs);  // seq 12
    reject(o4, "RISK_REJECT", "MAX_NOTIONAL", "order notional 1500000 exceeds max_notional 1000000",
           kT + 12 * kMs);  // seq 13
    OrderRec o5 = order("O5", kS2, "C5", "ACC2", "MSFT", Side::Buy, "6250", "400", kT + 13 * kMs);
    receive(o5, kT + 13 * kMs);  // seq 14
    reject(o5, "RISK_REJECT", "MAX_NOTIONAL", "order notional 2500000 exceeds max_notional 1000000",
           kT + 14 * kMs);  // seq 15
    OrderRec o6 = order("O6", kS1, "C6", "ACC1", "ZZZZ", Side::Sell, "1", "1", kT + 15 * kMs);
    receive(o6, kT + 15 * kMs);  // seq 16
    route(o6, kT + 16 * kMs);    // seq 17
    reject(o6, "VENUE_REJECT", "UNKNOWN_SYMBOL", "venue: unknown symbol ZZZZ",
           kT + 17 * kMs);  // seq 18

    // Next day: a ClOrdID with a quote in it, filled.
    OrderRec o7 = order("O7", kS1, "Q'1", "ACC1", "MSFT", Side::Buy, "1", "400.5", kNextDay);
    receive(o7, kNextDay);                                                   // seq 19
    fill(o7, "X5", "1", "400.5", "1", "0", "400.5", kNextDay + 1000 * kMs);  // seq 20
  }

 private:
  store::PgJournal& j_;
  int64_t seq_ = 0;
};

struct CliResult {
  int rc = -1;
  std::string out, err;
};

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::migrate(db.conninfo(), schemaDir());
    store::PgJournalConfig c;
    c.conninfo = db.conninfo();
    c.maxBatch = 7;  // several transactions, like a live day
    store::PgJournal j(c);
    j.start();
    History(j).write();
    j.flush();
    j.stop();
  }

  CliResult run(Strings args) {
    args.push_back("--db");
    args.push_back(db.conninfo());
    std::ostringstream out, err;
    CliResult r;
    r.rc = runCli(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  // Runs with --json, expects success, returns the parsed document.
  rapidjson::Document json(Strings args) {
    args.push_back("--json");
    const CliResult r = run(args);
    rapidjson::Document d;
    EXPECT_EQ(r.rc, 0) << r.err;
    d.Parse(r.out.c_str());
    EXPECT_FALSE(d.HasParseError()) << r.out;
    EXPECT_TRUE(d.IsObject()) << r.out;
    return d;
  }

  // Three messages in rows of the pre-0008 table, two in a chunk written the way the journal
  // writes them (schema/0008): the view shows both kinds as one log.
  void ensureMessageLog() {
    db.exec(
        "INSERT INTO fix_message_log (session_key, direction, msg_type, msg_seq_num, message, "
        "logged_at) VALUES "
        "('" +
        kS1 +
        "', 'IN', 'A', 1, '8=FIX.4.4' || chr(1) || '35=A' || chr(1) || '34=1' || "
        "chr(1), '2026-01-02 09:29:00+00'),"
        "('" +
        kS1 +
        "', 'OUT', 'A', 1, '8=FIX.4.4' || chr(1) || '35=A' || chr(1) || '34=1' || "
        "chr(1), '2026-01-02 09:29:00.5+00'),"
        "('" +
        kS2 +
        "', 'IN', 'A', 1, '8=FIX.4.2' || chr(1) || '35=A' || chr(1), "
        "'2026-01-02 09:29:30+00')");
    // 2026-01-02 09:30:00 UTC = 1767346200 s.
    db.exec(
        "INSERT INTO fix_message_chunks (session_key, first_at, last_at, n, messages) VALUES ('" +
        kS1 +
        "', '2026-01-02 09:30:00+00', '2026-01-02 09:30:00.003+00', 2, "
        "'I' || chr(3) || 'D' || chr(3) || '2' || chr(3) || '1767346200000000' || chr(3) || "
        "'8=FIX.4.4' || chr(1) || '35=D' || chr(1) || '11=C1' || chr(1) || chr(2) || "
        "'O' || chr(3) || '8' || chr(3) || '2' || chr(3) || '1767346200003000' || chr(3) || "
        "'8=FIX.4.4' || chr(1) || '35=8' || chr(1) || '150=0' || chr(1))");
  }

  PgTestSchema db;
};

// Values of one column of a JSON table, in order; null as "<null>".
Strings column(const rapidjson::Value& doc, const char* table, const char* col) {
  Strings out;
  if (!doc.HasMember(table) || !doc[table].IsArray()) {
    ADD_FAILURE() << "no array '" << table << "'";
    return out;
  }
  for (const auto& row : doc[table].GetArray()) {
    if (!row.HasMember(col)) {
      ADD_FAILURE() << table << " row without " << col;
      continue;
    }
    const auto& v = row[col];
    if (v.IsNull())
      out.push_back("<null>");
    else if (v.IsString())
      out.push_back(v.GetString());
    else if (v.IsInt64())
      out.push_back(std::string("#").append(std::to_string(v.GetInt64())));
    else
      out.push_back("?");
  }
  return out;
}

// The data lines of a text table titled `title` (between the dashed rule and the count line).
Strings textRows(const std::string& text, const std::string& title, std::string* countLine) {
  std::istringstream in(text);
  std::string line;
  Strings rows;
  bool inTable = false, pastRule = false;
  while (std::getline(in, line)) {
    if (line == "== " + title + " ==") {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    if (!line.empty() && line[0] == '(') {
      if (countLine) *countLine = line;
      return rows;
    }
    if (!pastRule) {
      pastRule = line.rfind("---", 0) == 0;
      continue;
    }
    rows.push_back(line);
  }
  ADD_FAILURE() << "no table '" << title << "' in:\n" << text;
  return rows;
}

// The token at `index` (whitespace-separated) of each line.
Strings field(const Strings& lines, size_t index) {
  Strings out;
  for (const auto& l : lines) {
    std::istringstream in(l);
    std::string tok;
    for (size_t i = 0; i <= index && (in >> tok); ++i) {
    }
    out.push_back(tok);
  }
  return out;
}

const Strings kO1Events = {"RECEIVED",          "ROUTED",   "VENUE_ACK", "FILL",
                           "REPLACE_REQUESTED", "REPLACED", "FILL"};

// ---------------------------------------------------------------------------------------------
// order

TEST_F(AuditTest, OrderByOriginalClOrdIdShowsAsReceivedStateEventsFillsAndChild) {
  const auto d = json({"order", "--clordid", "C1", "--session", kS1});
  EXPECT_STREQ(d["command"].GetString(), "order");
  ASSERT_EQ(d["orders"].Size(), 1u);
  const auto& o = d["orders"][0u];
  EXPECT_STREQ(o["order_id"].GetString(), "O1");
  EXPECT_STREQ(o["cl_ord_id"].GetString(), "C1b");  // current ClOrdID after the replace
  EXPECT_STREQ(o["orig_cl_ord_id"].GetString(), "C1");
  EXPECT_STREQ(o["status"].GetString(), "FILLED");
  EXPECT_STREQ(o["qty"].GetString(), "10");
  EXPECT_STREQ(o["price"].GetString(), "150.3");
  EXPECT_STREQ(o["cum_qty"].GetString(), "10");
  EXPECT_STREQ(o["leaves_qty"].GetString(), "0");
  EXPECT_STREQ(o["avg_px"].GetString(), "150.16");
  EXPECT_STREQ(o["created_at"].GetString(), "2026-01-02T09:30:00.000000Z");
  EXPECT_STREQ(o["raw_fix"].GetString(),
               "8=FIX.4.4|35=D|49=CLIENT1|56=FIXGW|11=C1|1=ACC1|55=AAPL|54=1|38=10|40=2|44=150.25|"
               "10=000|");

  EXPECT_EQ(column(d, "children", "order_id"), Strings{"O1.1"});
  EXPECT_EQ(column(d, "children", "venue_order_id"), Strings{"SIM-77"});

  EXPECT_EQ(column(d, "events", "event_type"), kO1Events);
  EXPECT_EQ(column(d, "events", "seq"), (Strings{"#1", "#2", "#4", "#5", "#8", "#9", "#11"}));
  EXPECT_EQ(column(d, "events", "exec_type"),
            (Strings{"<null>", "<null>", "NEW", "TRADE", "<null>", "REPLACED", "TRADE"}));
  EXPECT_EQ(column(d, "events", "cl_ord_id"),
            (Strings{"C1", "C1", "C1", "C1", "C1b", "C1b", "C1b"}));
  EXPECT_EQ(column(d, "events", "last_qty"), (Strings{"0", "0", "0", "4", "0", "0", "6"}));
  EXPECT_EQ(column(d, "events", "last_px"), (Strings{"0", "0", "0", "150.1", "0", "0", "150.2"}));
  EXPECT_EQ(column(d, "events", "cum_qty"), (Strings{"0", "0", "0", "4", "4", "4", "10"}));
  EXPECT_EQ(column(d, "events", "event_time")[3], "2026-01-02T09:30:00.004000Z");

  EXPECT_EQ(column(d, "fills", "exec_id"), (Strings{"X2", "X3"}));
  EXPECT_EQ(column(d, "fills", "notional"), (Strings{"600.4", "901.2"}));
  EXPECT_EQ(d["counts"]["events"].GetUint64(), 7u);
  EXPECT_EQ(d["counts"]["fills"].GetUint64(), 2u);
  EXPECT_EQ(d["notes"].Size(), 0u);
}

TEST_F(AuditTest, OrderTextShowsTheSameRowsInOrder) {
  const CliResult r = run({"order", "--clordid", "C1"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("order_id       : O1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("raw_fix        : 8=FIX.4.4|35=D|49=CLIENT1|56=FIXGW|11=C1|"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find('\x01'), std::string::npos);
  std::string count;
  const Strings events = textRows(r.out, "Events (engine order)", &count);
  EXPECT_EQ(count, "(7 rows)");
  // Columns: seq, event_time, order_id, child_order_id (empty on some rows), ... so read the
  // event type by searching each line for the expected word, in order.
  ASSERT_EQ(events.size(), kO1Events.size()) << r.out;
  for (size_t i = 0; i < events.size(); ++i)
    EXPECT_NE(events[i].find(" " + kO1Events[i] + " "), std::string::npos) << events[i];
  EXPECT_EQ(field(events, 0), (Strings{"1", "2", "4", "5", "8", "9", "11"}));
  const Strings fills = textRows(r.out, "Fills", &count);
  EXPECT_EQ(count, "(2 rows)");
  EXPECT_EQ(field(fills, 1), (Strings{"X2", "X3"}));
  const Strings children = textRows(r.out, "Child orders", &count);
  EXPECT_EQ(count, "(1 row)");
  EXPECT_EQ(field(children, 0), Strings{"O1.1"});
}

TEST_F(AuditTest, OrderFoundByCurrentClOrdIdAndByChildOrderId) {
  const auto byCurrent = json({"order", "--clordid", "C1b"});
  EXPECT_EQ(column(byCurrent, "orders", "order_id"), Strings{"O1"});
  EXPECT_EQ(column(byCurrent, "events", "event_type"), kO1Events);

  const auto byChild = json({"order", "--order-id", "O1.1"});
  EXPECT_EQ(column(byChild, "orders", "order_id"), Strings{"O1"});
  EXPECT_EQ(column(byChild, "fills", "exec_id"), (Strings{"X2", "X3"}));

  const auto other = json({"order", "--order-id", "O2"});
  EXPECT_EQ(column(other, "events", "seq"), (Strings{"#3", "#6", "#7", "#10"}));
  EXPECT_EQ(column(other, "fills", "exec_id"), Strings{"X4"});
}

// Schema 0020: a direct order's child has no row of its own; its parent's row carries it (status,
// venue order id) under the id derived from the parent's. `audit order` finds the order by the
// child's id or ClOrdID through the primary key and shows the child as before.
TEST_F(AuditTest, DirectOrdersChildCarriedInTheParentRowIsFoundByItsIdAndShown) {
  {
    store::PgJournalConfig c;
    c.conninfo = db.conninfo();
    store::PgJournal j(c);
    j.start();
    History h(j);
    OrderRec o = h.order("gw-21", kS1, "D1", "ACC3", "AAPL", Side::Buy, "10", "150", kT + 30 * kMs);
    o.venue = VenueId("SIM");
    o.created = true;
    j.append(o);
    OrderEventRec e = h.ev(o, "RECEIVED", kT + 30 * kMs);
    e.seq = 1000;
    j.append(e);
    j.flush();  // the update below goes through the upsert, not the first insert
    o.created = false;
    o.status = OrdStatus::New;
    o.childStatus = OrdStatus::New;
    o.venueOrderId = VenueOrderId("SIM-90");
    o.updatedAt = kT + 31 * kMs;
    j.append(o);
    j.flush();
    j.stop();
  }
  EXPECT_EQ(db.query("SELECT count(*) FROM orders WHERE order_id LIKE 'gw-%'"),
            (std::vector<Strings>{{"1"}}));
  EXPECT_EQ(db.query("SELECT order_id, parent_order_id, cl_ord_id, status, venue, venue_order_id, "
                     "trim_scale(qty)::text, trim_scale(leaves_qty)::text FROM orders_all "
                     "WHERE parent_order_id = 'gw-21'"),
            (std::vector<Strings>{{"gw-C21", "gw-21", "gw-C21", "NEW", "SIM", "SIM-90", "10", "10"}}));
  for (const auto& args : {Strings{"order", "--order-id", "gw-C21"},
                           Strings{"order", "--clordid", "gw-C21", "--session", kS1}}) {
    const auto d = json(args);
    EXPECT_EQ(column(d, "orders", "order_id"), Strings{"gw-21"}) << args[2];
    EXPECT_EQ(column(d, "children", "order_id"), Strings{"gw-C21"}) << args[2];
    EXPECT_EQ(column(d, "children", "venue_order_id"), Strings{"SIM-90"}) << args[2];
    EXPECT_EQ(column(d, "children", "status"), Strings{"NEW"}) << args[2];
    // No ROUTED row: the line comes from the RECEIVED row and the parent's (schema 0021).
    EXPECT_EQ(column(d, "events", "event_type"), (Strings{"RECEIVED", "ROUTED"})) << args[2];
    EXPECT_EQ(column(d, "events", "child_order_id"), (Strings{"<null>", "gw-C21"})) << args[2];
  }
  // The parent's own id still finds it; an algo-style child id that no parent carries finds
  // nothing (fixgw_direct_parent_id maps it to an order without child_status).
  EXPECT_EQ(column(json({"order", "--order-id", "gw-21"}), "children", "order_id"),
            Strings{"gw-C21"});
  db.exec("ANALYZE orders");
  const OrderLookup l = orderLookupSql(parseArgs({"order", "--order-id", "gw-C21"}));
  std::string sql;
  for (size_t i = 0; i < l.sql.size(); ++i) {
    if (l.sql[i] == '$' && i + 1 < l.sql.size() &&
        std::isdigit(static_cast<unsigned char>(l.sql[i + 1]))) {
      size_t n = 0;
      while (i + 1 < l.sql.size() && std::isdigit(static_cast<unsigned char>(l.sql[i + 1])))
        n = n * 10 + static_cast<size_t>(l.sql[++i] - '0');
      sql += "'" + l.params.at(n - 1) + "'";
    } else {
      sql += l.sql[i];
    }
  }
  std::string plan;
  for (const auto& row : db.query("SET enable_seqscan = off; EXPLAIN (COSTS OFF) " + sql))
    plan += row[0] + "\n";
  db.exec("RESET enable_seqscan");
  EXPECT_EQ(plan.find("Seq Scan on orders"), std::string::npos) << plan;
  EXPECT_NE(plan.find("orders_pkey"), std::string::npos) << plan;
  EXPECT_EQ(db.query(sql), (std::vector<Strings>{{"gw-21"}}));
}

// Schema 0019: the ClOrdID lookup `audit order` starts from stays on indexes now that
// order_events_by_cl_ord_id leaves ROUTED/NEW/FILL out and orders_by_cl_ord_id holds parents only
// (no sequential scan even with sequential scans priced out), and finds the same orders.
TEST_F(AuditTest, OrderLookupByClOrdIdUsesThePartialIndexes) {
  db.exec("ANALYZE order_events; ANALYZE orders");
  // The statement with each $N replaced by its value as a literal (the values hold no quote).
  auto literal = [](const OrderLookup& l) {
    std::string sql;
    for (size_t i = 0; i < l.sql.size(); ++i) {
      if (l.sql[i] != '$') {
        sql += l.sql[i];
        continue;
      }
      size_t n = 0;
      while (i + 1 < l.sql.size() && std::isdigit(static_cast<unsigned char>(l.sql[i + 1])))
        n = n * 10 + static_cast<size_t>(l.sql[++i] - '0');
      sql += "'" + l.params.at(n - 1) + "'";
    }
    return sql;
  };
  for (const auto& args : {Strings{"order", "--clordid", "C1b", "--session", kS1},
                           Strings{"order", "--clordid", "C1"}}) {
    const std::string sql = literal(orderLookupSql(parseArgs(args)));
    std::string plan;
    for (const auto& row : db.query("SET enable_seqscan = off; EXPLAIN (COSTS OFF) " + sql))
      plan += row[0] + "\n";
    db.exec("RESET enable_seqscan");
    EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
    EXPECT_NE(plan.find("order_events_by_cl_ord_id"), std::string::npos) << plan;
    EXPECT_NE(plan.find("orders_by_cl_ord_id"), std::string::npos) << plan;
    EXPECT_NE(plan.find("orders_pkey"), std::string::npos) << plan;  // a child by its own id
    EXPECT_EQ(db.query(sql), (std::vector<Strings>{{"O1"}})) << args[2];
  }
  // C1b came in with the REPLACE_REQUESTED event; the later FILL (not indexed) repeats it.
  EXPECT_EQ(db.query("SELECT count(*) FROM order_events WHERE cl_ord_id = 'C1b' AND event_type = "
                     "'FILL'"),
            (std::vector<Strings>{{"1"}}));
  // A child order is found by its cl_ord_id, which is its own order id (the engine's children).
  db.exec("UPDATE orders SET cl_ord_id = order_id WHERE parent_order_id IS NOT NULL");
  EXPECT_EQ(column(json({"order", "--clordid", "O1.1"}), "orders", "order_id"), Strings{"O1"});
}

// The message that created an order is stored once, in its orders row (schema 0019); the
// RECEIVED event shows it from there.
TEST_F(AuditTest, ReceivedEventShowsTheOrdersMessageStoredOnce) {
  EXPECT_EQ(db.query("SELECT count(*) FROM order_events WHERE event_type = 'RECEIVED' AND "
                     "raw_fix IS NOT NULL"),
            (std::vector<Strings>{{"0"}}));
  const auto d = json({"order", "--clordid", "C1"});
  const Strings raw = column(d, "events", "raw_fix");
  ASSERT_EQ(raw.size(), kO1Events.size());
  EXPECT_EQ(raw[0],
            "8=FIX.4.4|35=D|49=CLIENT1|56=FIXGW|11=C1|1=ACC1|55=AAPL|54=1|38=10|40=2|"
            "44=150.25|10=000|");
  EXPECT_EQ(raw[1], "<null>");  // ROUTED: no inbound message
  EXPECT_EQ(db.query("SELECT raw_fix FROM v_order_lifecycle WHERE order_id = 'O1' AND event_type "
                     "= 'RECEIVED'"),
            (std::vector<Strings>{{raw[0]}}));
}

// Schema 0021: a direct order (its child in its parent's row, schema 0020) routed as received has
// no ROUTED row; the audit shows the line, built from the RECEIVED row and the order's row, where
// it was (RECEIVED's seq + 1). A direct order of an older writer, with its ROUTED row, shows that
// row once.
TEST_F(AuditTest, DirectOrdersRoutedLineIsShownFromItsReceivedEventAndOrderRow) {
  store::PgJournalConfig c;
  c.conninfo = db.conninfo();
  store::PgJournal j(c);
  j.start();
  const WallNanos t = kNextDay + 5000 * kMs;
  auto order = [&](const char* id, const char* cl) {
    OrderRec o;
    o.orderId = OrderId(id);
    o.session = SessionKey(kS1);
    o.clOrdId = ClOrdId(cl);
    o.account = Account("ACC3");
    o.symbol = Symbol("AAPL");
    o.side = Side::Buy;
    o.qty = Qty::of("3");
    o.price = Price::of("150.5");
    o.leavesQty = o.qty;
    o.venue = VenueId("SIM");
    o.rawFix = "8=FIX.4.4\x01" "35=D\x01" "11=" + std::string(cl) + "\x01";
    o.createdAt = o.updatedAt = t;
    return o;
  };
  auto ev = [&](const OrderRec& o, const char* type, int64_t seq) {
    OrderEventRec e;
    e.seq = seq;
    e.orderId = o.orderId;
    e.session = o.session;
    e.clOrdId = o.clOrdId;
    e.eventType = type;
    e.status = o.status;
    e.qty = o.qty;
    e.price = o.price;
    e.cumQty = o.cumQty;
    e.leavesQty = o.leavesQty;
    e.avgPx = o.avgPx;
    e.ts = t + seq * kMs;
    return e;
  };
  // g-8: today's writer. RECEIVED (seq 100), the child in the row, NEW at seq 102.
  OrderRec o8 = order("g-8", "D8");
  o8.childStatus = OrdStatus::PendingNew;
  j.append(o8);
  j.append(ev(o8, "RECEIVED", 100));
  o8.status = OrdStatus::New;
  o8.childStatus = OrdStatus::New;
  o8.venueOrderId = VenueOrderId("SIM-88");
  o8.rawFix.clear();
  o8.updatedAt = t + 102 * kMs;
  j.append(o8);
  OrderEventRec n8 = ev(o8, "NEW", 102);
  n8.childOrderId = OrderId("g-C8");
  n8.execType = ExecType::New;
  n8.execId = ExecId("X88");
  j.append(n8);
  // g-9: an older writer's direct order, with its ROUTED row.
  OrderRec o9 = order("g-9", "D9");
  o9.childStatus = OrdStatus::PendingNew;
  j.append(o9);
  j.append(ev(o9, "RECEIVED", 103));
  OrderEventRec r9 = ev(o9, "ROUTED", 104);
  r9.childOrderId = OrderId("g-C9");
  r9.text = "to SIM";
  j.append(r9);
  j.flush();
  j.stop();
  EXPECT_EQ(db.query("SELECT count(*) FROM order_events WHERE order_id = 'g-8'"),
            (std::vector<Strings>{{"2"}}));

  for (const char* id : {"g-8", "g-C8"}) {  // by the order's id and by its child's
    const auto d = json({"order", "--order-id", id});
    EXPECT_EQ(column(d, "orders", "order_id"), Strings{"g-8"}) << id;
    EXPECT_EQ(column(d, "children", "order_id"), Strings{"g-C8"}) << id;
    EXPECT_EQ(column(d, "events", "event_type"), (Strings{"RECEIVED", "ROUTED", "NEW"})) << id;
    EXPECT_EQ(column(d, "events", "seq"), (Strings{"#100", "#101", "#102"})) << id;
    EXPECT_EQ(column(d, "events", "child_order_id"), (Strings{"<null>", "g-C8", "g-C8"})) << id;
    EXPECT_EQ(column(d, "events", "text"), (Strings{"<null>", "to SIM", "<null>"})) << id;
    EXPECT_EQ(column(d, "events", "status"), (Strings{"PENDING_NEW", "PENDING_NEW", "NEW"})) << id;
    EXPECT_EQ(column(d, "events", "qty"), (Strings{"3", "3", "3"})) << id;
    EXPECT_EQ(column(d, "events", "price"), (Strings{"150.5", "150.5", "150.5"})) << id;
    EXPECT_EQ(column(d, "events", "leaves_qty"), (Strings{"3", "3", "3"})) << id;
    EXPECT_EQ(column(d, "events", "exec_id"), (Strings{"<null>", "<null>", "X88"})) << id;
    const Strings raw = column(d, "events", "raw_fix");
    ASSERT_EQ(raw.size(), 3u);
    EXPECT_EQ(raw[0], "8=FIX.4.4|35=D|11=D8|");
    EXPECT_EQ(raw[1], "<null>");
    const Strings at = column(d, "events", "event_time");
    ASSERT_EQ(at.size(), 3u);
    EXPECT_EQ(at[1], at[0]) << "routed in the step that received it";
  }
  // By ClOrdID too (the request-event index), and the older writer's row shows once.
  EXPECT_EQ(column(json({"order", "--clordid", "D8", "--session", kS1}), "events", "event_type"),
            (Strings{"RECEIVED", "ROUTED", "NEW"}));
  const auto d9 = json({"order", "--order-id", "g-9"});
  EXPECT_EQ(column(d9, "events", "event_type"), (Strings{"RECEIVED", "ROUTED"}));
  EXPECT_EQ(column(d9, "events", "seq"), (Strings{"#103", "#104"}));
  // The account's activity lists the line.
  const auto a = json({"activity", "--account", "ACC3", "--from", "2026-01-03", "--to", "2026-01-04"});
  EXPECT_EQ(column(a, "events", "event_type"),
            (Strings{"RECEIVED", "ROUTED", "NEW", "RECEIVED", "ROUTED"}));
  EXPECT_EQ(column(a, "events", "order_id"), (Strings{"g-8", "g-8", "g-8", "g-9", "g-9"}));
  // v_order_lifecycle, which docs/audit.md's queries read, says the same.
  EXPECT_EQ(db.query("SELECT seq, event_type, child_order_id, text FROM v_order_lifecycle WHERE "
                     "order_id IN ('g-8', 'g-9') ORDER BY seq, event_id"),
            (std::vector<Strings>{{"100", "RECEIVED", "<null>", "<null>"},
                                  {"101", "ROUTED", "g-C8", "to SIM"},
                                  {"102", "NEW", "g-C8", "<null>"},
                                  {"103", "RECEIVED", "<null>", "<null>"},
                                  {"104", "ROUTED", "g-C9", "to SIM"}}));
}

TEST_F(AuditTest, OrderInAnotherSessionIsNotFoundAndSaysSo) {
  const auto d = json({"order", "--clordid", "C1", "--session", kS2});
  EXPECT_EQ(d["orders"].Size(), 0u);
  EXPECT_EQ(d["events"].Size(), 0u);
  ASSERT_EQ(d["notes"].Size(), 1u);
  EXPECT_NE(std::string(d["notes"][0u].GetString()).find("no order matches --clordid 'C1'"),
            std::string::npos);
  const CliResult r = run({"order", "--clordid", "nope"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("note: no order matches --clordid 'nope'"), std::string::npos) << r.out;
}

TEST_F(AuditTest, SqlInjectionInClOrdIdIsJustAValue) {
  const std::string before = db.query("SELECT count(*) FROM orders")[0][0];
  for (const std::string attack : {"C1' OR '1'='1", "x'); DROP TABLE orders; --",
                                   "' UNION SELECT order_id FROM orders --", "C1\\' OR 1=1 --"}) {
    const auto d = json({"order", "--clordid", attack});
    EXPECT_EQ(d["orders"].Size(), 0u) << attack;
    EXPECT_EQ(d["events"].Size(), 0u) << attack;
  }
  EXPECT_EQ(db.query("SELECT count(*) FROM orders")[0][0], before);
  // A ClOrdID that really holds a quote is found exactly.
  const auto q = json({"order", "--clordid", "Q'1"});
  EXPECT_EQ(column(q, "orders", "order_id"), Strings{"O7"});
  EXPECT_EQ(column(q, "orders", "cl_ord_id"), Strings{"Q'1"});
  EXPECT_EQ(column(q, "fills", "exec_id"), Strings{"X5"});
}

// ---------------------------------------------------------------------------------------------
// activity

TEST_F(AuditTest, ActivityOfAnAccountForADay) {
  const auto d = json({"activity", "--account", "ACC1", "--from", "2026-01-02T00:00:00Z", "--to",
                       "2026-01-03 00:00:00"});
  EXPECT_EQ(column(d, "events", "seq"), (Strings{"#1", "#2", "#4", "#5", "#8", "#9", "#11", "#12",
                                                 "#13", "#16", "#17", "#18"}));
  EXPECT_EQ(column(d, "events", "order_id"),
            (Strings{"O1", "O1", "O1", "O1", "O1", "O1", "O1", "O4", "O4", "O6", "O6", "O6"}));
  EXPECT_EQ(column(d, "events", "reason_code")[8], "MAX_NOTIONAL");
  EXPECT_FALSE(d.HasMember("session_events"));  // only with --session

  const CliResult r = run({"activity", "--account", "ACC1", "--from", "2026-01-02T00:00:00Z",
                           "--to", "2026-01-03T00:00:00Z"});
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string count;
  const Strings rows = textRows(r.out, "Events", &count);
  EXPECT_EQ(count, "(12 rows)");
  EXPECT_EQ(field(rows, 1),
            (Strings{"1", "2", "4", "5", "8", "9", "11", "12", "13", "16", "17", "18"}));
}

TEST_F(AuditTest, ActivityRangeIsHalfOpenAndAcceptsOffsetsAndFractions) {
  // [09:30:00.004, 09:30:00.008) in UTC, written with an offset: seq 5 (.004) and 8 (.007);
  // seq 9 at .008 is outside.
  const auto d = json({"activity", "--account", "ACC1", "--from", "2026-01-02T10:30:00.004+01:00",
                       "--to", "2026-01-02 09:30:00.008"});
  EXPECT_EQ(column(d, "events", "seq"), (Strings{"#5", "#8"}));
}

TEST_F(AuditTest, ActivityOfASessionIncludesItsSessionEvents) {
  const auto d = json({"activity", "--session", kS2, "--from", "2026-01-02", "--to", "2026-01-04"});
  EXPECT_EQ(column(d, "events", "seq"), (Strings{"#3", "#6", "#7", "#10", "#14", "#15"}));
  EXPECT_EQ(column(d, "session_events", "event"), Strings{"LOGON"});
  EXPECT_EQ(column(d, "session_events", "event_time"), Strings{"2026-01-02T09:29:30.000000Z"});
}

// ---------------------------------------------------------------------------------------------
// fills

TEST_F(AuditTest, FillsOfASymbolForADayWithVwap) {
  const auto d = json({"fills", "--symbol", "AAPL", "--day", "2026-01-02"});
  ASSERT_EQ(d["summary"].Size(), 1u);
  const auto& s = d["summary"][0u];
  EXPECT_STREQ(s["symbol"].GetString(), "AAPL");
  EXPECT_STREQ(s["trade_date"].GetString(), "2026-01-02");
  EXPECT_EQ(s["fills"].GetInt64(), 3);
  EXPECT_STREQ(s["qty"].GetString(), "15");
  EXPECT_STREQ(s["buy_qty"].GetString(), "10");
  EXPECT_STREQ(s["sell_qty"].GetString(), "5");
  EXPECT_STREQ(s["notional"].GetString(), "2256.6");
  EXPECT_STREQ(s["vwap"].GetString(), "150.44");  // 2256.6 / 15, exact
  EXPECT_STREQ(s["low"].GetString(), "150.1");
  EXPECT_STREQ(s["high"].GetString(), "151");
  EXPECT_EQ(column(d, "fills", "exec_id"), (Strings{"X2", "X4", "X3"}));  // by time
  EXPECT_EQ(column(d, "fills", "side"), (Strings{"BUY", "SELL", "BUY"}));

  const CliResult r = run({"fills", "--symbol", "AAPL", "--day", "2026-01-02"});
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string count;
  const Strings sum = textRows(r.out, "Fills by symbol and day (UTC)", &count);
  EXPECT_EQ(count, "(1 row)");
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_EQ(field(sum, 0), Strings{"AAPL"});
  EXPECT_EQ(field(sum, 7), Strings{"150.44"});
  EXPECT_EQ(field(textRows(r.out, "Fills", &count), 1), (Strings{"X2", "X4", "X3"}));
  EXPECT_EQ(count, "(3 rows)");
}

TEST_F(AuditTest, FillsPerSymbolPerDayWithoutSymbol) {
  const auto d = json({"fills"});
  EXPECT_EQ(column(d, "summary", "symbol"), (Strings{"AAPL", "MSFT"}));
  EXPECT_EQ(column(d, "summary", "trade_date"), (Strings{"2026-01-02", "2026-01-03"}));
  EXPECT_EQ(column(d, "summary", "vwap"), (Strings{"150.44", "400.5"}));
  EXPECT_EQ(column(d, "summary", "fills"), (Strings{"#3", "#1"}));
  EXPECT_FALSE(d.HasMember("fills"));

  const auto day2 = json({"fills", "--day", "2026-01-03"});
  EXPECT_EQ(column(day2, "summary", "symbol"), Strings{"MSFT"});
  const auto none = json({"fills", "--symbol", "AAPL", "--day", "2026-01-03"});
  EXPECT_EQ(none["summary"].Size(), 0u);
  EXPECT_EQ(none["fills"].Size(), 0u);
}

// ---------------------------------------------------------------------------------------------
// rejects

TEST_F(AuditTest, RejectsGroupedByReasonWithSampleText) {
  const auto d = json({"rejects"});
  EXPECT_EQ(column(d, "rejects", "reason_code"), (Strings{"MAX_NOTIONAL", "UNKNOWN_SYMBOL"}));
  EXPECT_EQ(column(d, "rejects", "rejects"), (Strings{"#2", "#1"}));
  EXPECT_EQ(column(d, "rejects", "accounts"), (Strings{"#2", "#1"}));
  EXPECT_EQ(column(d, "rejects", "event_types"), (Strings{"RISK_REJECT", "VENUE_REJECT"}));
  EXPECT_EQ(column(d, "rejects", "sample_text"),
            (Strings{"order notional 1500000 exceeds max_notional 1000000",
                     "venue: unknown symbol ZZZZ"}));
  EXPECT_EQ(column(d, "rejects", "first_seen")[0], "2026-01-02T09:30:00.012000Z");
  EXPECT_EQ(column(d, "rejects", "last_seen")[0], "2026-01-02T09:30:00.014000Z");

  // From after the first risk reject: one of each, tie broken by reason code.
  const auto later = json({"rejects", "--from", "2026-01-02T09:30:00.013Z"});
  EXPECT_EQ(column(later, "rejects", "reason_code"), (Strings{"MAX_NOTIONAL", "UNKNOWN_SYMBOL"}));
  EXPECT_EQ(column(later, "rejects", "rejects"), (Strings{"#1", "#1"}));
  EXPECT_EQ(column(later, "rejects", "sample_text")[0],
            "order notional 2500000 exceeds max_notional 1000000");
  const auto before = json({"rejects", "--to", "2026-01-02T09:30:00.013Z"});
  EXPECT_EQ(column(before, "rejects", "reason_code"), Strings{"MAX_NOTIONAL"});

  const CliResult r = run({"rejects"});
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string count;
  const Strings rows = textRows(r.out, "Rejects by reason", &count);
  EXPECT_EQ(count, "(2 rows)");
  EXPECT_EQ(field(rows, 0), (Strings{"MAX_NOTIONAL", "UNKNOWN_SYMBOL"}));
  EXPECT_EQ(field(rows, 1), (Strings{"2", "1"}));
}

// ---------------------------------------------------------------------------------------------
// messages

TEST_F(AuditTest, MessagesOfASessionInOrderWithSohShownAsBars) {
  ensureMessageLog();
  const auto d = json({"messages", "--session", kS1});
  EXPECT_EQ(column(d, "messages", "direction"), (Strings{"IN", "OUT", "IN", "OUT"}));
  EXPECT_EQ(column(d, "messages", "msg_type"), (Strings{"A", "A", "D", "8"}));
  EXPECT_EQ(column(d, "messages", "msg_seq_num"), (Strings{"#1", "#1", "#2", "#2"}));
  EXPECT_EQ(column(d, "messages", "message")[2], "8=FIX.4.4|35=D|11=C1|");
  EXPECT_FALSE(d.HasMember("truncated"));

  const auto ranged = json({"messages", "--session", kS1, "--from", "2026-01-02T09:29:30Z"});
  EXPECT_EQ(column(ranged, "messages", "msg_type"), (Strings{"D", "8"}));

  const CliResult r = run({"messages", "--session", kS1, "--limit", "3"});
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string count;
  const Strings rows = textRows(r.out, "FIX messages", &count);
  EXPECT_EQ(count, "(3 rows, limit reached)");
  EXPECT_EQ(field(rows, 3), (Strings{"IN", "OUT", "IN"}));
  EXPECT_NE(r.out.find("note: output cut at --limit 3"), std::string::npos) << r.out;
  const auto cut = json({"messages", "--session", kS1, "--limit", "3"});
  EXPECT_TRUE(cut["truncated"]["messages"].GetBool());
  EXPECT_EQ(cut["messages"].Size(), 3u);
}

TEST_F(AuditTest, MessagesWithoutTheMessageLogViewSaySoClearly) {
  db.exec("DROP VIEW IF EXISTS v_fix_messages");
  const CliResult r = run({"messages", "--session", kS1});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("no v_fix_messages view"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0008_fix_message_chunks.sql"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;

  const CliResult j = run({"messages", "--session", kS1, "--json"});
  EXPECT_EQ(j.rc, 1);
  rapidjson::Document d;
  d.Parse(j.out.c_str());
  ASSERT_FALSE(d.HasParseError()) << j.out;
  EXPECT_NE(std::string(d["error"].GetString()).find("no v_fix_messages view"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// errors

TEST_F(AuditTest, DatabaseErrorsExitOneWithoutThePassword) {
  std::ostringstream out, err;
  const int rc = runCli({"rejects", "--db",
                         "host=127.0.0.1 port=1 dbname=x user=x password=s3cret connect_timeout=5"},
                        out, err);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.str().find("cannot connect"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("password=***"), std::string::npos) << err.str();
  EXPECT_EQ(err.str().find("s3cret"), std::string::npos) << err.str();
}

TEST(AuditUnmigrated, MissingTablesPointAtMigrate) {
  PgTestSchema empty;  // nothing migrated
  std::ostringstream out, err;
  EXPECT_EQ(runCli({"rejects", "--db", empty.conninfo()}, out, err), 1);
  EXPECT_NE(err.str().find("v_rejects"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("fixgw migrate"), std::string::npos) << err.str();
}

struct BadArgs {
  Strings args;
  std::string mustName;
};

TEST(AuditArgs, BadFlagsExitTwoNamingTheFlag) {
  const std::vector<BadArgs> cases = {
      {{}, "missing subcommand"},
      {{"orders"}, "unknown subcommand 'orders'"},
      {{"order"}, "--clordid"},
      {{"order", "--clordid"}, "--clordid: missing value"},
      {{"order", "--clordid", "--json"}, "--clordid: missing value"},
      {{"order", "--clordid="}, "--clordid: must not be empty"},
      {{"order", "--clordid", "C1", "--order-id", "O1"}, "--order-id"},
      {{"order", "--clordid", "C1", "--clordid", "C2"}, "--clordid: given more than once"},
      {{"order", "--clordid", "C1", "--symbol", "AAPL"}, "unknown flag '--symbol'"},
      {{"order", "C1"}, "unexpected argument 'C1'"},
      {{"activity", "--from", "2026-01-02", "--to", "2026-01-03"}, "--account"},
      {{"activity", "--account", "A", "--to", "2026-01-03"}, "--from is required"},
      {{"activity", "--account", "A", "--from", "2026-01-02"}, "--to is required"},
      {{"activity", "--account", "A", "--from", "yesterday", "--to", "2026-01-03"}, "--from:"},
      {{"activity", "--account", "A", "--from", "2026-01-02", "--to", "2026-13-01"}, "--to:"},
      {{"rejects", "--from", "2026-01-02T25:00:00Z"}, "--from:"},
      {{"rejects", "--from", "2026-01-03", "--to", "2026-01-02"}, "--from must be before --to"},
      {{"fills", "--day", "2026-02-30"}, "--day"},
      {{"fills", "--day", "2026-01-02T00:00:00Z"}, "--day"},
      {{"messages"}, "--session is required"},
      {{"messages", "--session", "S", "--limit", "0"}, "--limit"},
      {{"messages", "--session", "S", "--limit", "ten"}, "--limit"},
      {{"rejects", "--json=yes"}, "--json"},
      {{"rejects", "--db", "x", "--config", "y"}, "--db and --config"},
  };
  for (const auto& c : cases) {
    std::ostringstream out, err;
    // No database at all: usage errors are found before connecting.
    const int rc = runCli(c.args, out, err);
    EXPECT_EQ(rc, 2) << ::testing::PrintToString(c.args) << "\n" << err.str();
    EXPECT_NE(err.str().find(c.mustName), std::string::npos)
        << ::testing::PrintToString(c.args) << "\n"
        << err.str();
    EXPECT_NE(err.str().find("usage: fixgw audit"), std::string::npos);
    EXPECT_TRUE(out.str().empty());
  }
}

TEST(AuditArgs, ConfigThatCannotBeLoadedIsAUsageErrorNamingConfig) {
  unsetenv("FIXGW_DB");  // it would take precedence over --config
  std::ostringstream out, err;
  EXPECT_EQ(runCli({"rejects", "--config", "/nonexistent/fixgw.json"}, out, err), 2);
  EXPECT_NE(err.str().find("--config"), std::string::npos) << err.str();
}

TEST(AuditArgs, HelpPrintsUsage) {
  std::ostringstream out, err;
  EXPECT_EQ(runCli({"order", "--help"}, out, err), 0);
  EXPECT_NE(out.str().find("usage: fixgw audit"), std::string::npos);
}

TEST(AuditTimestamps, IsoFormsParseToUtcMicros) {
  const int64_t t = 1'767'346'200'000'000LL;  // 2026-01-02T09:30:00Z
  EXPECT_EQ(parseTimestamp("2026-01-02T09:30:00Z"), t);
  EXPECT_EQ(parseTimestamp("2026-01-02 09:30:00"), t);
  EXPECT_EQ(parseTimestamp("2026-01-02T09:30Z"), t);
  EXPECT_EQ(parseTimestamp("2026-01-02T11:30:00+02:00"), t);
  EXPECT_EQ(parseTimestamp("2026-01-02T04:30:00-0500"), t);
  EXPECT_EQ(parseTimestamp("2026-01-02T09:30:00.123456789Z"), t + 123456);
  EXPECT_EQ(parseTimestamp("2026-01-02T09:30:00.5"), t + 500000);
  EXPECT_EQ(parseTimestamp("2026-01-02"), t - (9 * 3600 + 1800) * 1'000'000LL);
  EXPECT_EQ(parseTimestamp("2024-02-29"), 1'709'164'800'000'000LL);
  for (const char* bad :
       {"", "2026-1-2", "2026-01-02T9:30", "2026-01-02X09:30:00", "2026-02-29",
        "2026-01-02T24:00:00", "2026-01-02T09:60:00", "2026-01-02T09:30:00.Z",
        "2026-01-02T09:30:00ZZ", "2026-01-02T09:30:00+2", "2026-01-02 09:30:00 UTC", "1767346200"})
    EXPECT_FALSE(parseTimestamp(bad).has_value()) << bad;
  EXPECT_EQ(formatTimestamp(t + 7), "2026-01-02T09:30:00.000007Z");
  EXPECT_EQ(formatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace fixgw::audit
