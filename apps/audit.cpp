#include "apps/audit.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <pqxx/pqxx>
#include <set>

#include "config/config.h"
#include "store/pg_journal.h"

namespace fixgw::audit {
namespace {

constexpr const char* kUsage =
    "usage: fixgw audit <subcommand> [flags] [--json] [--db CONNINFO | --config FILE]\n"
    "  order     --clordid X [--session KEY] | --order-id X\n"
    "  activity  --account A | --session KEY  --from TS --to TS\n"
    "  fills     [--symbol S] [--day YYYY-MM-DD]\n"
    "  rejects   [--from TS] [--to TS]\n"
    "  messages  --session KEY [--from TS] [--to TS] [--limit N]\n"
    "  tca       [--order-id X] [--account A] [--symbol S] [--from TS] [--to TS] [--limit N]\n"
    "  TS: ISO-8601, e.g. 2026-11-22T10:00:00Z or '2026-11-22 10:00:00' (UTC unless an offset\n"
    "      is given); ranges are [from, to).\n"
    "  Database: --db, else $FIXGW_DB, else database.conninfo of --config ($FIXGW_CONFIG,\n"
    "      else config/fixgw.json).\n";

constexpr int64_t kMaxLimit = 10'000'000;

// ---------------------------------------------------------------------------------------------
// Arguments

struct CommandSpec {
  Command command;
  const char* name;
  std::set<std::string> flags;  // value flags besides the common ones
};

const std::vector<CommandSpec>& commandSpecs() {
  static const std::vector<CommandSpec> specs = {
      {Command::Order, "order", {"--clordid", "--order-id", "--session"}},
      {Command::Activity, "activity", {"--account", "--session", "--from", "--to"}},
      {Command::Fills, "fills", {"--symbol", "--day"}},
      {Command::Rejects, "rejects", {"--from", "--to"}},
      {Command::Messages, "messages", {"--session", "--from", "--to", "--limit"}},
      {Command::Tca, "tca", {"--order-id", "--account", "--symbol", "--from", "--to", "--limit"}},
  };
  return specs;
}

std::string normaliseTimestamp(const std::string& flag, const std::string& value) {
  const auto us = parseTimestamp(value);
  if (!us)
    throw UsageError(flag + ": '" + value +
                     "' is not an ISO-8601 timestamp (e.g. 2026-11-22T10:00:00Z or "
                     "'2026-11-22 10:00:00')");
  return formatTimestamp(*us);
}

int64_t parseLimit(const std::string& value) {
  if (value.empty() || value.size() > 12 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw UsageError("--limit: expected a positive integer, got '" + value + "'");
  const int64_t n = std::stoll(value);
  if (n <= 0 || n > kMaxLimit)
    throw UsageError("--limit: must be between 1 and " + std::to_string(kMaxLimit) + ", got " +
                     value);
  return n;
}

bool isDigits(const std::string& s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int num(const std::string& s, size_t pos, size_t n) { return std::stoi(s.substr(pos, n)); }

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool validDate(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Queries

// A statement under construction: SQL text written only by this file, user values only as $n.
struct Sql {
  std::string with;  // a leading WITH clause, emitted before the SELECT
  std::string text;
  std::vector<std::string> params;

  std::string bind(const std::string& value) {
    params.push_back(value);
    return "$" + std::to_string(params.size());
  }
  Sql& operator<<(const std::string& s) {
    text += s;
    return *this;
  }
};

struct Col {
  std::string expr;  // SQL expression (constant text from this file)
  std::string name;
  ColumnType type = ColumnType::Text;
};

// Renders a column so the text is the same however the server is configured: times in UTC with
// microseconds, numerics as the exact decimal without trailing zeros (as Fixed::str() does).
std::string render(const Col& c) {
  switch (c.type) {
    case ColumnType::Time:
      return "to_char((" + c.expr + ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
    case ColumnType::Decimal:
      return "trim_scale(" + c.expr + ")::text";
    case ColumnType::Int:
    case ColumnType::Text:
      return "(" + c.expr + ")::text";
  }
  return c.expr;
}

Table selectTable(pqxx::transaction_base& tx, const std::string& key, const std::string& title,
                  const std::vector<Col>& cols, const Sql& tail, bool vertical = false) {
  Table t;
  t.key = key;
  t.title = title;
  t.vertical = vertical;
  std::string sql = tail.with + "SELECT ";
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) sql += ", ";
    sql += render(cols[i]) + " AS " + cols[i].name;
    t.columns.push_back(Column{cols[i].name, cols[i].type});
  }
  sql += "\n" + tail.text;
  const pqxx::result r = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(tail.params));
  for (const auto& row : r) {
    std::vector<std::optional<std::string>> values;
    values.reserve(row.size());
    for (const auto& f : row) {
      if (f.is_null())
        values.emplace_back(std::nullopt);
      else
        values.emplace_back(std::string(f.c_str(), f.size()));
    }
    t.rows.push_back(std::move(values));
  }
  return t;
}

using CT = ColumnType;

// The parent order ids a request names: every order whose events or rows ever carried the
// ClOrdID (a ClOrdID changes on each replace), or the order id (a child id finds its parent
// through its orders row, so events need no index by child).
// order_events_by_cl_ord_id's predicate (schema/0019_journal_shape.sql), word for word.
constexpr const char* kRequestEvents = "e.event_type NOT IN ('ROUTED', 'NEW', 'FILL')";

Sql orderScope(const Request& req) {
  Sql s;
  if (req.orderId) {
    const std::string id = s.bind(*req.orderId);
    s.with =
        "WITH ids AS (\n"
        "  SELECT coalesce(o.parent_order_id, o.order_id) AS id FROM orders o WHERE o.order_id = " +
        id + "\n  UNION SELECT e.order_id FROM order_events e WHERE e.order_id = " + id +
        // A direct order's child has no row: its parent's row carries it (schema 0020).
        "\n  UNION SELECT o.order_id FROM orders o WHERE o.order_id = fixgw_direct_parent_id(" +
        id + ") AND o.child_status IS NOT NULL)\n";
  } else {
    const std::string cl = s.bind(req.clOrdId.value_or(""));
    std::string eSess, oSess;
    if (req.session) {
      const std::string p = s.bind(*req.session);
      eSess = " AND e.session_key = " + p;
      oSess = " AND o.session_key = " + p;
    }
    // The predicates repeat the partial indexes' (schema 0019) so the planner can use them, and
    // select the same orders as without: a ClOrdID enters an order's events with a client's
    // request, never first with ROUTED/NEW/FILL; a child's cl_ord_id is its order_id (pkey).
    s.with =
        "WITH ids AS (\n  SELECT e.order_id AS id FROM order_events e WHERE ((e.cl_ord_id = " + cl +
        " AND " + std::string(kRequestEvents) + ") OR e.orig_cl_ord_id = " + cl + ")" + eSess +
        "\n  UNION SELECT coalesce(o.parent_order_id, o.order_id) FROM orders o"
        " WHERE ((o.cl_ord_id = " +
        cl + " AND o.parent_order_id IS NULL) OR (o.order_id = " + cl +
        " AND o.parent_order_id IS NOT NULL) OR o.orig_cl_ord_id = " + cl + ")" + oSess +
        // A direct order's child (its cl_ord_id is its id) lives in the parent's row (0020).
        "\n  UNION SELECT o.order_id FROM orders o WHERE o.order_id = fixgw_direct_parent_id(" + cl +
        ") AND o.child_status IS NOT NULL" + oSess + ")\n";
  }
  return s;
}

Sql withTail(Sql s, const std::string& tail) {
  s << tail;
  return s;
}

constexpr const char* kChildCols =
    "order_id, parent_order_id, cl_ord_id, venue, venue_order_id, side, ord_type, qty, price, "
    "stop_px, status, cum_qty, leaves_qty, avg_px, created_at, updated_at";

void queryOrder(pqxx::transaction_base& tx, const Request& req, Report& rep) {
  const Sql scope = orderScope(req);
  rep.tables.push_back(selectTable(
      tx, "orders", "Order (as received, current state)",
      {{"o.order_id", "order_id"},
       {"o.session_key", "session_key"},
       {"o.cl_ord_id", "cl_ord_id"},
       {"o.orig_cl_ord_id", "orig_cl_ord_id"},
       {"o.account", "account"},
       {"o.symbol", "symbol"},
       {"o.side", "side"},
       {"o.ord_type", "ord_type"},
       {"o.tif", "tif"},
       {"o.qty", "qty", CT::Decimal},
       {"o.price", "price", CT::Decimal},
       {"o.stop_px", "stop_px", CT::Decimal},
       {"o.status", "status"},
       {"o.cum_qty", "cum_qty", CT::Decimal},
       {"o.leaves_qty", "leaves_qty", CT::Decimal},
       {"o.avg_px", "avg_px", CT::Decimal},
       {"o.venue", "venue"},
       {"o.venue_order_id", "venue_order_id"},
       {"o.created_at", "created_at", CT::Time},
       {"o.updated_at", "updated_at", CT::Time},
       // Standard fields acted on (issue 14): ids echoed, parties, instrument, attributes.
       {"o.details::text", "details"},
       // The order row keeps the creating message; if an older writer left it empty, the
       // RECEIVED event has it.
       {"replace(coalesce(nullif(o.raw_fix, ''), (SELECT e.raw_fix FROM order_events e"
        " WHERE e.order_id = o.order_id AND coalesce(e.raw_fix, '') <> ''"
        " ORDER BY e.seq, e.event_id LIMIT 1)), chr(1), '|')",
        "raw_fix"}},
      withTail(scope,
               "FROM orders o WHERE o.parent_order_id IS NULL AND o.order_id IN (SELECT id FROM "
               "ids)\nORDER BY o.created_at, o.order_id"),
      /*vertical=*/true));
  rep.tables.push_back(
      selectTable(tx, "children", "Child orders",
                  {{"o.order_id", "order_id"},
                   {"o.parent_order_id", "parent_order_id"},
                   {"o.cl_ord_id", "cl_ord_id"},
                   {"o.venue", "venue"},
                   {"o.venue_order_id", "venue_order_id"},
                   {"o.side", "side"},
                   {"o.ord_type", "ord_type"},
                   {"o.qty", "qty", CT::Decimal},
                   {"o.price", "price", CT::Decimal},
                   {"o.stop_px", "stop_px", CT::Decimal},
                   {"o.status", "status"},
                   {"o.cum_qty", "cum_qty", CT::Decimal},
                   {"o.leaves_qty", "leaves_qty", CT::Decimal},
                   {"o.avg_px", "avg_px", CT::Decimal},
                   {"o.created_at", "created_at", CT::Time},
                   {"o.updated_at", "updated_at", CT::Time}},
                  // Child rows, and a direct order's child from its parent's row (schema 0020);
                  // two indexed halves (a join into the orders_all view would scan orders).
                  withTail(scope, std::string("FROM (SELECT ") + kChildCols +
                                      " FROM orders WHERE parent_order_id IN (SELECT id FROM ids)"
                                      "\n  UNION ALL SELECT " + kChildCols +
                                      " FROM orders_direct_children WHERE parent_order_id IN "
                                      "(SELECT id FROM ids)) o\n"
                                      "ORDER BY o.parent_order_id, o.created_at, o.order_id")));
  rep.tables.push_back(
      selectTable(tx, "events", "Events (engine order)",
                  {{"e.seq", "seq", CT::Int},
                   {"e.event_time", "event_time", CT::Time},
                   {"e.order_id", "order_id"},
                   {"e.child_order_id", "child_order_id"},
                   {"e.cl_ord_id", "cl_ord_id"},
                   {"e.event_type", "event_type"},
                   {"e.exec_type", "exec_type"},
                   {"e.exec_id", "exec_id"},
                   {"e.status", "status"},
                   {"e.qty", "qty", CT::Decimal},
                   {"e.price", "price", CT::Decimal},
                   {"e.cum_qty", "cum_qty", CT::Decimal},
                   {"e.leaves_qty", "leaves_qty", CT::Decimal},
                   {"e.avg_px", "avg_px", CT::Decimal},
                   {"e.last_qty", "last_qty", CT::Decimal},
                   {"e.last_px", "last_px", CT::Decimal},
                   {"e.reason_code", "reason_code"},
                   {"e.text", "text"},
                   // Since schema 0019 a RECEIVED event's message is its order's (stored once);
                   // the view shows it.
                   {"e.raw_fix", "raw_fix"}},
                  // The view, not order_events: a direct order's ROUTED line has no row of its
                  // own since schema 0021 (the view builds it from the RECEIVED row).
                  withTail(scope,
                           "FROM v_order_lifecycle e WHERE e.order_id IN (SELECT id FROM "
                           "ids)\nORDER BY e.seq, e.event_id")));
  rep.tables.push_back(
      selectTable(tx, "fills", "Fills",
                  {{"x.exec_time", "exec_time", CT::Time},
                   {"x.exec_id", "exec_id"},
                   {"x.order_id", "order_id"},
                   {"x.child_order_id", "child_order_id"},
                   {"x.venue", "venue"},
                   {"x.venue_exec_id", "venue_exec_id"},
                   {"x.side", "side"},
                   {"x.last_qty", "last_qty", CT::Decimal},
                   {"x.last_px", "last_px", CT::Decimal},
                   // A derivative's fill counts contracts (schema 0018).
                   {"x.last_qty * x.contract_size * x.last_px", "notional", CT::Decimal},
                   {"x.cum_qty", "cum_qty", CT::Decimal},
                   {"x.leaves_qty", "leaves_qty", CT::Decimal},
                   {"x.avg_px", "avg_px", CT::Decimal},
                   {"x.contract_size", "contract_size", CT::Decimal}},
                  withTail(scope,
                           "FROM executions x WHERE x.order_id IN (SELECT id FROM "
                           "ids)\nORDER BY x.exec_time, x.exec_id")));
  bool any = false;
  for (const auto& t : rep.tables) any = any || !t.rows.empty();
  if (!any) {
    std::string what = req.orderId ? "--order-id '" + *req.orderId + "'"
                                   : "--clordid '" + req.clOrdId.value_or("") + "'";
    if (!req.orderId && req.session) what += " in session '" + *req.session + "'";
    rep.notes.push_back("no order matches " + what);
  }
}

void timeRange(Sql& s, const Request& req, const std::string& col) {
  if (req.from) s << " AND " << col << " >= " << s.bind(*req.from) << "::timestamptz";
  if (req.to) s << " AND " << col << " < " << s.bind(*req.to) << "::timestamptz";
}

void queryActivity(pqxx::transaction_base& tx, const Request& req, Report& rep) {
  Sql s;
  // v_order_lifecycle: events with their order's account, symbol and side, and a direct order's
  // ROUTED line (schema 0021).
  s << "FROM v_order_lifecycle e WHERE TRUE";
  if (req.account) s << " AND e.account = " << s.bind(*req.account);
  if (req.session) s << " AND e.session_key = " << s.bind(*req.session);
  timeRange(s, req, "e.event_time");
  s << "\nORDER BY e.event_time, e.seq, e.event_id";
  rep.tables.push_back(selectTable(tx, "events", "Events",
                                   {{"e.event_time", "event_time", CT::Time},
                                    {"e.seq", "seq", CT::Int},
                                    {"e.session_key", "session_key"},
                                    {"e.account", "account"},
                                    {"e.order_id", "order_id"},
                                    {"e.child_order_id", "child_order_id"},
                                    {"e.cl_ord_id", "cl_ord_id"},
                                    {"e.symbol", "symbol"},
                                    {"e.side", "side"},
                                    {"e.event_type", "event_type"},
                                    {"e.exec_type", "exec_type"},
                                    {"e.status", "status"},
                                    {"e.qty", "qty", CT::Decimal},
                                    {"e.price", "price", CT::Decimal},
                                    {"e.cum_qty", "cum_qty", CT::Decimal},
                                    {"e.leaves_qty", "leaves_qty", CT::Decimal},
                                    {"e.last_qty", "last_qty", CT::Decimal},
                                    {"e.last_px", "last_px", CT::Decimal},
                                    {"e.reason_code", "reason_code"},
                                    {"e.text", "text"}},
                                   s));
  if (req.session) {
    Sql ss;
    ss << "FROM session_events s WHERE s.session_key = " << ss.bind(*req.session);
    timeRange(ss, req, "s.event_time");
    ss << "\nORDER BY s.event_time, s.session_event_id";
    rep.tables.push_back(selectTable(tx, "session_events", "Session events",
                                     {{"s.event_time", "event_time", CT::Time},
                                      {"s.session_key", "session_key"},
                                      {"s.event", "event"}},
                                     ss));
  }
}

void queryFills(pqxx::transaction_base& tx, const Request& req, Report& rep) {
  auto filter = [&](Sql& s) {
    s << "FROM executions x WHERE TRUE";
    if (req.symbol) s << " AND x.symbol = " << s.bind(*req.symbol);
    if (req.day) {
      s << " AND x.exec_time >= (" << s.bind(*req.day) << "::date)::timestamp AT TIME ZONE 'UTC'"
        << " AND x.exec_time < (" << s.bind(*req.day)
        << "::date + 1)::timestamp AT TIME ZONE 'UTC'";
    }
  };
  const std::string day = "(x.exec_time AT TIME ZONE 'UTC')::date";
  Sql sum;
  filter(sum);
  sum << "\nGROUP BY x.symbol, " << day << "\nORDER BY x.symbol, " << day;
  // VWAP in exact numeric arithmetic, to 8 decimals like the prices.
  rep.tables.push_back(selectTable(
      tx, "summary", "Fills by symbol and day (UTC)",
      {{"x.symbol", "symbol"},
       {"to_char(" + day + ", 'YYYY-MM-DD')", "trade_date"},
       {"count(*)", "fills", CT::Int},
       {"sum(x.last_qty)", "qty", CT::Decimal},
       {"coalesce(sum(x.last_qty) FILTER (WHERE x.side = 'BUY'), 0)", "buy_qty", CT::Decimal},
       {"coalesce(sum(x.last_qty) FILTER (WHERE x.side <> 'BUY'), 0)", "sell_qty", CT::Decimal},
       // Notional and VWAP weigh each fill by its underlying: contracts x contract size.
       {"sum(x.last_qty * x.contract_size * x.last_px)", "notional", CT::Decimal},
       {"round(sum(x.last_qty * x.contract_size * x.last_px) / "
        "nullif(sum(x.last_qty * x.contract_size), 0), 8)",
        "vwap", CT::Decimal},
       {"min(x.last_px)", "low", CT::Decimal},
       {"max(x.last_px)", "high", CT::Decimal}},
      sum));
  if (req.symbol) {
    Sql list;
    filter(list);
    list << "\nORDER BY x.exec_time, x.exec_id";
    rep.tables.push_back(
        selectTable(tx, "fills", "Fills",
                    {{"x.exec_time", "exec_time", CT::Time},
                     {"x.exec_id", "exec_id"},
                     {"x.order_id", "order_id"},
                     {"x.cl_ord_id", "cl_ord_id"},
                     {"x.account", "account"},
                     {"x.symbol", "symbol"},
                     {"x.side", "side"},
                     {"x.last_qty", "last_qty", CT::Decimal},
                     {"x.last_px", "last_px", CT::Decimal},
                     {"x.last_qty * x.contract_size * x.last_px", "notional", CT::Decimal},
                     {"x.venue", "venue"},
                     {"x.contract_size", "contract_size", CT::Decimal}},
                    list));
  }
}

void queryRejects(pqxx::transaction_base& tx, const Request& req, Report& rep) {
  Sql s;
  s << "FROM v_rejects r WHERE TRUE";
  timeRange(s, req, "r.event_time");
  s << "\nGROUP BY r.reason_code\nORDER BY count(*) DESC, r.reason_code";
  rep.tables.push_back(
      selectTable(tx, "rejects", "Rejects by reason",
                  {{"r.reason_code", "reason_code"},
                   {"count(*)", "rejects", CT::Int},
                   {"string_agg(DISTINCT r.event_type, ',' ORDER BY r.event_type)", "event_types"},
                   {"count(DISTINCT r.account)", "accounts", CT::Int},
                   {"min(r.event_time)", "first_seen", CT::Time},
                   {"max(r.event_time)", "last_seen", CT::Time},
                   {"(array_agg(r.text ORDER BY r.event_time, r.event_id)"
                    " FILTER (WHERE coalesce(r.text, '') <> ''))[1]",
                    "sample_text"}},
                  s));
}

void queryMessages(pqxx::transaction_base& tx, const Request& req, Report& rep) {
  // Older schemas lack the view; that is an answer, not a crash.
  const pqxx::row exists = tx.exec_params1("SELECT to_regclass('v_fix_messages') IS NOT NULL");
  if (!exists[0].as<bool>())
    throw QueryError(
        "this database has no v_fix_messages view (its schema predates migration "
        "0008_fix_message_chunks.sql); run `fixgw migrate` with a binary that ships it, then "
        "retry");
  Sql s;
  s << "FROM v_fix_messages m WHERE m.session_key = " << s.bind(*req.session);
  // The chunk bounds first, so whole chunks outside the range are never unpacked.
  if (req.from) s << " AND m.chunk_last_at >= " << s.bind(*req.from) << "::timestamptz";
  if (req.to) s << " AND m.chunk_first_at < " << s.bind(*req.to) << "::timestamptz";
  timeRange(s, req, "m.logged_at");
  s << "\nORDER BY m.logged_at, m.chunk_id, m.ord LIMIT " << s.bind(std::to_string(req.limit + 1))
    << "::bigint";
  Table t = selectTable(tx, "messages", "FIX messages",
                        {{"m.chunk_id", "chunk_id", CT::Int},
                         {"m.ord", "ord", CT::Int},
                         {"m.logged_at", "logged_at", CT::Time},
                         {"m.direction", "direction"},
                         {"m.msg_type", "msg_type"},
                         {"m.msg_seq_num", "msg_seq_num", CT::Int},
                         {"replace(m.message, chr(1), '|')", "message"}},
                        s);
  if (static_cast<int64_t>(t.rows.size()) > req.limit) {
    t.rows.resize(static_cast<size_t>(req.limit));
    t.truncated = true;
    rep.notes.push_back("output cut at --limit " + std::to_string(req.limit) +
                        "; narrow --from/--to or raise --limit for the rest");
  }
  rep.tables.push_back(std::move(t));
}

// TCA (schema/0011_tca.sql, docs/audit.md section 10): the parents the filters name, newest
// arrival last, then their fees by currency and their venues' shares of the fills.
void queryTca(pqxx::transaction_base& tx, const Request& req, Report& rep) {
  const pqxx::row exists = tx.exec_params1("SELECT to_regclass('v_tca') IS NOT NULL");
  if (!exists[0].as<bool>())
    throw QueryError(
        "this database has no TCA tables (its schema predates migration 0011_tca.sql); run "
        "`fixgw migrate` with a binary that ships it, then retry");
  // The parents, by the filters, capped at --limit (+1 to tell that it cut).
  auto scope = [&](Sql& s) {
    std::string w = "WITH ids AS (SELECT t.order_id, t.arrival_time FROM tca t WHERE TRUE";
    if (req.orderId) w += " AND t.order_id = " + s.bind(*req.orderId);
    if (req.account) w += " AND t.account = " + s.bind(*req.account);
    if (req.symbol) w += " AND t.symbol = " + s.bind(*req.symbol);
    if (req.from) w += " AND t.arrival_time >= " + s.bind(*req.from) + "::timestamptz";
    if (req.to) w += " AND t.arrival_time < " + s.bind(*req.to) + "::timestamptz";
    w += " ORDER BY t.arrival_time, t.order_id LIMIT " + s.bind(std::to_string(req.limit + 1)) +
         "::bigint)\n";
    s.with = std::move(w);
  };
  Sql main;
  scope(main);
  main << "FROM tca t JOIN ids USING (order_id)\nORDER BY t.arrival_time, t.order_id";
  Table t = selectTable(tx, "tca", "Transaction cost analysis (slippage: positive = cost)",
                        {{"t.order_id", "order_id"},
                         {"t.account", "account"},
                         {"t.symbol", "symbol"},
                         {"t.side", "side"},
                         {"t.venue", "venue"},
                         {"t.strategy", "strategy"},
                         {"t.final_status", "final_status"},
                         {"t.arrival_time", "arrival_time", CT::Time},
                         {"t.completed_at", "completed_at", CT::Time},
                         {"t.arrival_px", "arrival_px", CT::Decimal},
                         {"t.arrival_source", "arrival_source"},
                         {"t.order_qty", "order_qty", CT::Decimal},
                         {"t.filled_qty", "filled_qty", CT::Decimal},
                         {"t.avg_px", "avg_px", CT::Decimal},
                         {"t.fill_rate", "fill_rate", CT::Decimal},
                         {"t.market_volume", "market_volume", CT::Decimal},
                         {"t.market_trades", "market_trades", CT::Int},
                         {"t.interval_vwap", "interval_vwap", CT::Decimal},
                         {"t.participation", "participation", CT::Decimal},
                         {"t.slippage_arrival_bps", "slippage_arrival_bps", CT::Decimal},
                         {"t.slippage_vwap_bps", "slippage_vwap_bps", CT::Decimal}},
                        main);
  const bool cut = static_cast<int64_t>(t.rows.size()) > req.limit;
  if (cut) {
    t.rows.resize(static_cast<size_t>(req.limit));
    t.truncated = true;
    rep.notes.push_back("output cut at --limit " + std::to_string(req.limit) +
                        "; narrow the filters or raise --limit for the rest");
  }
  // Fees and venue shares of exactly the parents shown.
  std::string shown = "(";
  Sql fees, venues;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    if (i) shown += ',';
    shown += '$';  // (not "$" + to_string: GCC 12 warns -Wrestrict on that)
    shown += std::to_string(i + 1);
    fees.params.push_back(*t.rows[i][0]);
  }
  shown += ")";
  venues.params = fees.params;
  const bool none = t.rows.empty();
  rep.tables.push_back(std::move(t));
  const std::string in = none ? "FALSE" : "f.order_id IN " + shown;
  fees << "FROM v_tca_fees f JOIN tca t USING (order_id) WHERE " << in
       << "\nORDER BY t.arrival_time, f.order_id, f.fee_currency";
  rep.tables.push_back(selectTable(tx, "fees", "Fees by currency",
                                   {{"f.order_id", "order_id"},
                                    {"f.fee_currency", "fee_currency"},
                                    {"f.fees", "fees", CT::Decimal},
                                    {"f.fills", "fills", CT::Int}},
                                   fees));
  venues << "FROM v_tca_venue_share f JOIN tca t USING (order_id) WHERE " << in
         << "\nORDER BY t.arrival_time, f.order_id, f.venue";
  rep.tables.push_back(selectTable(tx, "venues", "Fill share by venue",
                                   {{"f.order_id", "order_id"},
                                    {"f.venue", "venue"},
                                    {"f.filled_qty", "filled_qty", CT::Decimal},
                                    {"f.fill_share", "fill_share", CT::Decimal}},
                                   venues));
}

// ---------------------------------------------------------------------------------------------
// Output

size_t displayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;  // count code points, not UTF-8 continuation bytes
  return n;
}

std::string printable(const std::optional<std::string>& v) {
  if (!v) return "";
  std::string s = *v;
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0x01)
      c = '|';
    else if (u < 0x20 || u == 0x7f)
      c = ' ';
  }
  return s;
}

bool rightAligned(ColumnType t) { return t == ColumnType::Int || t == ColumnType::Decimal; }

void pad(std::ostream& out, size_t n) {
  for (size_t i = 0; i < n; ++i) out << ' ';
}

std::string countLine(const Table& t) {
  // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on `literal + std::string&&`.
  std::string s("(");
  s += std::to_string(t.rows.size());
  s += t.rows.size() == 1 ? " row" : " rows";
  if (t.truncated) s += ", limit reached";
  s += ")";
  return s;
}

// The server's message without the SQL excerpt and caret lines that follow it, password-free.
std::string firstLine(const std::string& what) {
  std::string msg = store::redactConninfo(what.substr(0, what.find('\n')));
  while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  return msg;
}

}  // namespace

OrderLookup orderLookupSql(const Request& req) {
  Sql s = orderScope(req);
  return {s.with + "SELECT id FROM ids", std::move(s.params)};
}

// ---------------------------------------------------------------------------------------------

const char* commandName(Command c) {
  for (const auto& s : commandSpecs())
    if (s.command == c) return s.name;
  return "?";
}

std::optional<int64_t> parseTimestamp(const std::string& t) {
  // YYYY-MM-DD
  if (!isDigits(t, 0, 4) || t.size() < 10 || t[4] != '-' || !isDigits(t, 5, 2) || t[7] != '-' ||
      !isDigits(t, 8, 2))
    return std::nullopt;
  const int y = num(t, 0, 4), mo = num(t, 5, 2), d = num(t, 8, 2);
  if (!validDate(y, mo, d)) return std::nullopt;
  int h = 0, mi = 0, sec = 0;
  int64_t micros = 0;
  int64_t offsetMinutes = 0;
  size_t i = 10;
  if (i < t.size()) {
    if (t[i] != 'T' && t[i] != 't' && t[i] != ' ') return std::nullopt;
    ++i;
    if (!isDigits(t, i, 2) || i + 2 >= t.size() || t[i + 2] != ':' || !isDigits(t, i + 3, 2))
      return std::nullopt;
    h = num(t, i, 2);
    mi = num(t, i + 3, 2);
    i += 5;
    if (i < t.size() && t[i] == ':') {
      if (!isDigits(t, i + 1, 2)) return std::nullopt;
      sec = num(t, i + 1, 2);
      i += 3;
      if (i < t.size() && (t[i] == '.' || t[i] == ',')) {
        ++i;
        size_t digits = 0;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
          if (digits < 6) micros = micros * 10 + (t[i] - '0');
          ++digits;
          ++i;
        }
        if (digits == 0 || digits > 9) return std::nullopt;
        for (size_t k = digits; k < 6; ++k) micros *= 10;
      }
    }
    if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
    if (i < t.size()) {
      if ((t[i] == 'Z' || t[i] == 'z') && i + 1 == t.size()) {
        i = t.size();
      } else if (t[i] == '+' || t[i] == '-') {
        const int sign = t[i] == '+' ? 1 : -1;
        ++i;
        if (!isDigits(t, i, 2)) return std::nullopt;
        const int oh = num(t, i, 2);
        int om = 0;
        i += 2;
        if (i < t.size() && t[i] == ':') ++i;
        if (i < t.size()) {
          if (!isDigits(t, i, 2)) return std::nullopt;
          om = num(t, i, 2);
          i += 2;
        }
        if (i != t.size() || oh > 23 || om > 59) return std::nullopt;
        offsetMinutes = sign * (oh * 60 + om);
      } else {
        return std::nullopt;
      }
    }
  }
  if (i != t.size()) return std::nullopt;
  const int64_t seconds =
      daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
      mi * 60 + sec - offsetMinutes * 60;
  return seconds * 1'000'000 + micros;
}

std::string formatTimestamp(int64_t us) {
  int64_t secs = us / 1'000'000;
  int64_t frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                static_cast<long long>(frac));
  return buf;
}

Request parseArgs(const std::vector<std::string>& args) {
  if (args.empty())
    throw UsageError("missing subcommand (order, activity, fills, rejects, messages or tca)");
  const CommandSpec* spec = nullptr;
  for (const auto& s : commandSpecs())
    if (args[0] == s.name) spec = &s;
  if (!spec)
    throw UsageError("unknown subcommand '" + args[0] +
                     "' (order, activity, fills, rejects, messages or tca)");
  Request req;
  req.command = spec->command;
  const std::string cmd = spec->name;
  std::set<std::string> seen;
  std::optional<std::string> limit;

  for (size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> value;
    if (flag.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + flag + "'");
    if (const size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    if (flag == "--json") {
      if (value) throw UsageError("--json: takes no value");
      req.json = true;
      continue;
    }
    const bool common = flag == "--db" || flag == "--config";
    if (!common && !spec->flags.count(flag))
      throw UsageError("unknown flag '" + flag + "' for 'audit " + cmd + "'");
    if (!seen.insert(flag).second) throw UsageError(flag + ": given more than once");
    if (!value) {
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)
        throw UsageError(flag + ": missing value");
      value = args[++i];
    }
    if (value->empty()) throw UsageError(flag + ": must not be empty");
    if (flag == "--db")
      req.db = *value;
    else if (flag == "--config")
      req.configPath = *value;
    else if (flag == "--clordid")
      req.clOrdId = *value;
    else if (flag == "--order-id")
      req.orderId = *value;
    else if (flag == "--session")
      req.session = *value;
    else if (flag == "--account")
      req.account = *value;
    else if (flag == "--symbol")
      req.symbol = *value;
    else if (flag == "--from")
      req.from = normaliseTimestamp(flag, *value);
    else if (flag == "--to")
      req.to = normaliseTimestamp(flag, *value);
    else if (flag == "--limit")
      req.limit = parseLimit(*value);
    else if (flag == "--day") {
      if (value->size() != 10 || !parseTimestamp(*value))
        throw UsageError("--day: '" + *value + "' is not a date (YYYY-MM-DD)");
      req.day = *value;
    }
  }
  if (req.db && req.configPath) throw UsageError("--db and --config are exclusive");

  switch (req.command) {
    case Command::Order:
      if (req.clOrdId && req.orderId) throw UsageError("--clordid and --order-id are exclusive");
      if (!req.clOrdId && !req.orderId) throw UsageError(cmd + ": give --clordid or --order-id");
      break;
    case Command::Activity:
      if (!req.account && !req.session) throw UsageError(cmd + ": give --account or --session");
      if (!req.from) throw UsageError(cmd + ": --from is required");
      if (!req.to) throw UsageError(cmd + ": --to is required");
      break;
    case Command::Messages:
      if (!req.session) throw UsageError(cmd + ": --session is required");
      break;
    case Command::Fills:
    case Command::Rejects:
    case Command::Tca:
      break;
  }
  // Both are normalised to the same fixed-width UTC form, so text order is time order.
  if (req.from && req.to && *req.from >= *req.to)
    throw UsageError("--from must be before --to (the range is [from, to))");
  return req;
}

std::string resolveConninfo(const Request& req) {
  if (req.db) return *req.db;
  if (const char* e = std::getenv("FIXGW_DB"); e && *e) return e;
  std::string path;
  if (req.configPath) {
    path = *req.configPath;
  } else if (const char* e = std::getenv("FIXGW_CONFIG"); e && *e) {
    path = e;
  } else {
    path = "config/fixgw.json";
  }
  std::string conninfo;
  try {
    conninfo = config::loadConfig(path).database.conninfo;
  } catch (const std::exception& e) {
    throw UsageError("--config: cannot load " + path + ": " + e.what() +
                     " (or give --db / set FIXGW_DB)");
  }
  if (conninfo.empty())
    throw UsageError("--config: " + path + " has an empty database.conninfo (give --db)");
  return conninfo;
}

Report runQuery(const std::string& conninfo, const Request& req) {
  Report rep;
  rep.command = req.command;
  const std::string where = store::redactConninfo(conninfo);
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    throw QueryError("cannot connect to the database (" + where +
                     "): " + store::redactConninfo(e.what()));
  }
  try {
    // One snapshot for all of a subcommand's queries, and the server refuses any write.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(*conn, "fixgw-audit");
    switch (req.command) {
      case Command::Order:
        queryOrder(tx, req, rep);
        break;
      case Command::Activity:
        queryActivity(tx, req, rep);
        break;
      case Command::Fills:
        queryFills(tx, req, rep);
        break;
      case Command::Rejects:
        queryRejects(tx, req, rep);
        break;
      case Command::Messages:
        queryMessages(tx, req, rep);
        break;
      case Command::Tca:
        queryTca(tx, req, rep);
        break;
    }
    tx.commit();
  } catch (const QueryError&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw QueryError("lost the connection to the database (" + where +
                     "): " + store::redactConninfo(e.what()));
  } catch (const pqxx::undefined_table& e) {
    throw QueryError("query failed (" + where + "): " + firstLine(e.what()) +
                     " (is the schema migrated? `fixgw migrate` applies schema/)");
  } catch (const std::exception& e) {
    throw QueryError("query failed (" + where + "): " + firstLine(e.what()));
  }
  return rep;
}

void printText(const Report& report, std::ostream& out) {
  bool first = true;
  for (const Table& t : report.tables) {
    if (!first) out << "\n";
    first = false;
    out << "== " << t.title << " ==\n";
    if (t.vertical) {
      size_t w = 0;
      for (const auto& c : t.columns) w = std::max(w, displayWidth(c.name));
      for (size_t r = 0; r < t.rows.size(); ++r) {
        if (r) out << "--\n";
        for (size_t c = 0; c < t.columns.size(); ++c) {
          out << t.columns[c].name;
          pad(out, w - displayWidth(t.columns[c].name));
          out << " :";
          if (const std::string v = printable(t.rows[r][c]); !v.empty()) out << ' ' << v;
          out << "\n";
        }
      }
    } else {
      std::vector<std::vector<std::string>> cells;
      std::vector<size_t> w;
      for (const auto& c : t.columns) w.push_back(displayWidth(c.name));
      for (const auto& row : t.rows) {
        std::vector<std::string> line;
        for (size_t c = 0; c < row.size(); ++c) {
          line.push_back(printable(row[c]));
          w[c] = std::max(w[c], displayWidth(line.back()));
        }
        cells.push_back(std::move(line));
      }
      auto emit = [&](const std::vector<std::string>& line) {
        std::string s;
        for (size_t c = 0; c < line.size(); ++c) {
          const size_t gap = w[c] - displayWidth(line[c]);
          if (c) s += "  ";
          if (rightAligned(t.columns[c].type)) {
            s.append(gap, ' ');
            s += line[c];
          } else {
            s += line[c];
            if (c + 1 < line.size()) s.append(gap, ' ');
          }
        }
        while (!s.empty() && s.back() == ' ') s.pop_back();
        out << s << "\n";
      };
      std::vector<std::string> header, rule;
      for (size_t c = 0; c < t.columns.size(); ++c) {
        header.push_back(t.columns[c].name);
        rule.push_back(std::string(w[c], '-'));
      }
      emit(header);
      emit(rule);
      for (const auto& line : cells) emit(line);
    }
    out << countLine(t) << "\n";
  }
  for (const auto& n : report.notes) out << "note: " << n << "\n";
}

void printJson(const Report& report, std::ostream& out) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("command");
  w.String(commandName(report.command));
  for (const Table& t : report.tables) {
    str(t.key);
    w.StartArray();
    for (const auto& row : t.rows) {
      w.StartObject();
      for (size_t c = 0; c < t.columns.size(); ++c) {
        str(t.columns[c].name);
        const auto& v = row[c];
        if (!v) {
          w.Null();
        } else if (t.columns[c].type == ColumnType::Int) {
          char* end = nullptr;
          const long long n = std::strtoll(v->c_str(), &end, 10);
          if (end && *end == '\0' && !v->empty())
            w.Int64(n);
          else
            str(*v);
        } else {
          str(*v);
        }
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("counts");
  w.StartObject();
  for (const Table& t : report.tables) {
    str(t.key);
    w.Uint64(t.rows.size());
  }
  w.EndObject();
  bool anyTruncated = false;
  for (const Table& t : report.tables) anyTruncated = anyTruncated || t.truncated;
  if (anyTruncated) {
    w.Key("truncated");
    w.StartObject();
    for (const Table& t : report.tables) {
      if (!t.truncated) continue;
      str(t.key);
      w.Bool(true);
    }
    w.EndObject();
  }
  w.Key("notes");
  w.StartArray();
  for (const auto& n : report.notes) str(n);
  w.EndArray();
  w.EndObject();
  out << buf.GetString() << "\n";
}

int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    }
  }
  Request req;
  std::string conninfo;
  try {
    req = parseArgs(args);
    conninfo = resolveConninfo(req);
  } catch (const UsageError& e) {
    err << "fixgw audit: " << e.what() << "\n" << kUsage;
    return 2;
  }
  Report report;
  try {
    report = runQuery(conninfo, req);
  } catch (const QueryError& e) {
    err << "fixgw audit " << commandName(req.command) << ": " << e.what() << "\n";
    if (req.json) {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      w.StartObject();
      w.Key("command");
      w.String(commandName(req.command));
      w.Key("error");
      w.String(e.what());
      w.EndObject();
      out << buf.GetString() << "\n";
    }
    return 1;
  }
  if (req.json)
    printJson(report, out);
  else
    printText(report, out);
  return 0;
}

}  // namespace fixgw::audit
