// `fixgw audit`: the read-only compliance/operations query tool over the journal in PostgreSQL
// (schema/, docs/audit.md). Six subcommands, each a fixed set of parameterised queries:
//
//   order     --clordid X [--session KEY] | --order-id X   the order as received, its current
//             state, every event in engine order, every fill, and its child orders
//   activity  (--account A | --session KEY) --from TS --to TS   every event in [from, to)
//   fills     [--symbol S] [--day YYYY-MM-DD]   fills of a symbol with VWAP / qty / count per day
//   rejects   [--from TS] [--to TS]   rejects grouped by reason code, with a sample text
//   messages  --session KEY [--from TS] [--to TS] [--limit N]   raw FIX in and out of a session
//   tca       [--order-id X] [--account A] [--symbol S] [--from TS] [--to TS] [--limit N]
//             transaction cost analysis per parent (arrival in [from, to)), its fees by
//             currency and each venue's share of its fills (table tca, views v_tca_*)
//
// Common flags: --json (one JSON document instead of text tables), --db CONNINFO, --config FILE.
// The connection is --db, else $FIXGW_DB, else database.conninfo of --config (default
// $FIXGW_CONFIG, else config/fixgw.json). Every query runs in one READ ONLY transaction; user
// input only ever reaches SQL as a bound parameter.
//
// Exit codes: 0 answered, 1 database error (password redacted) or a table the database does not
// have yet, 2 usage error (the message names the flag).
//
// Thread-safety: free functions without shared state; each call opens its own connection.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fixgw::audit {

// A bad command line; what() names the flag. The CLI maps it to exit code 2.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The database could not answer (connection, SQL, or a missing table). what() carries no password.
// The CLI maps it to exit code 1.
class QueryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Command { Order, Activity, Fills, Rejects, Messages, Tca };

struct Request {
  Command command = Command::Order;
  bool json = false;
  std::optional<std::string> db;          // --db
  std::optional<std::string> configPath;  // --config
  std::optional<std::string> clOrdId;     // order
  std::optional<std::string> orderId;     // order, tca
  std::optional<std::string> session;     // order, activity, messages
  std::optional<std::string> account;     // activity, tca
  std::optional<std::string> symbol;      // fills, tca
  std::optional<std::string> day;         // fills: YYYY-MM-DD (validated)
  // --from / --to, normalised to UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ"; the range is [from, to).
  std::optional<std::string> from;
  std::optional<std::string> to;
  int64_t limit = 1000;  // messages, tca: most rows returned (the output says when it cut)
};

// The statement `audit order` starts from: the parent order ids a request (--clordid with optional
// --session, or --order-id) names, as "WITH ids AS (...) SELECT id FROM ids" with $1.. placeholders
// and their values. Exposed so tests can EXPLAIN it: the ClOrdID lookup must stay on indexes.
struct OrderLookup {
  std::string sql;
  std::vector<std::string> params;
};
OrderLookup orderLookupSql(const Request& req);

// Parses what follows "audit" on the command line (args[0] is the subcommand).
// Throws UsageError naming the offending flag.
Request parseArgs(const std::vector<std::string>& args);

// Parses an ISO-8601 timestamp: "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.f{1,9}]]" with an optional
// "Z" or "+HH:MM"/"-HH:MM" suffix (no suffix means UTC). Returns UTC microseconds since
// 1970-01-01 (digits past microseconds are truncated, like the journal does), or nullopt.
std::optional<int64_t> parseTimestamp(const std::string& text);
// UTC microseconds rendered as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (the form the audit output uses).
std::string formatTimestamp(int64_t micros);

// How a column's values are typed in JSON: Int as a number; Decimal as a string holding the
// exact decimal (prices and quantities never go through double); Text and Time as strings.
enum class ColumnType { Text, Int, Decimal, Time };

struct Column {
  std::string name;
  ColumnType type = ColumnType::Text;
};

// One section of the answer. A null SQL value is nullopt (empty in text, null in JSON).
struct Table {
  std::string key;    // JSON member name ("orders", "events", ...)
  std::string title;  // text heading
  std::vector<Column> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  bool vertical = false;   // text: one "column: value" block per row (wide rows like an order)
  bool truncated = false;  // a limit cut the rows short
};

struct Report {
  Command command = Command::Order;
  std::vector<Table> tables;
  std::vector<std::string> notes;  // e.g. "no order matches --clordid 'X'"
};

// Runs the request's queries. Throws QueryError (no password in it) on any database error, and
// for `messages` when the database has no v_fix_messages view yet (before migration 0008).
Report runQuery(const std::string& conninfo, const Request& req);

// Text: per table a heading, an aligned header and rows (numbers right-aligned), and a count
// line, then the notes. SOH in values is shown as '|' and other control characters as ' ', so a
// row stays one line.
void printText(const Report& report, std::ostream& out);
// One JSON document: {"command": "...", "<key>": [{column: value, ...}, ...], ...,
// "counts": {"<key>": n, ...}, "notes": [...]} plus "truncated": {"<key>": true} when a limit
// cut a table. Values are exactly what the database returned (raw FIX already '|'-separated).
void printJson(const Report& report, std::ostream& out);

// The connection string the request names: --db, else $FIXGW_DB, else the config file's
// database.conninfo. Throws UsageError when the config cannot be loaded (naming --config).
std::string resolveConninfo(const Request& req);

// The whole subcommand: parse, resolve the connection, query, print. args is what follows
// "audit". Returns the process exit code (0, 1 or 2); messages go to err.
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Name of a command as typed ("order", "activity", ...).
const char* commandName(Command c);

}  // namespace fixgw::audit
