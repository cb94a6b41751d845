#include "store/pg_journal.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "core/metrics.h"
#include "core/output_cork.h"
#include "store/copy_binary.h"
#include "store/order_details_json.h"
#include "store/sql_text.h"

namespace fixgw::store {

using detail::appendQuoted;
using detail::appendTimestamp;

namespace {

// ---------------------------------------------------------------------------------------------
// SQL text for records. Values are inlined as literals (numbers from the exact fixed-point
// text, strings quoted and sanitized). Used where speed does not matter: session events (a
// handful a day) and the record-by-record salvage of a batch the database refused. The bulk
// path (COPY) is further down.

void sep(std::string& out, bool& first) {
  if (!first) out += ',';
  first = false;
}
void text(std::string& out, bool& first, std::string_view s) {
  sep(out, first);
  appendQuoted(out, s);
}
// Empty text is stored as NULL: "no value" reads better in audit queries than ''.
void textOrNull(std::string& out, bool& first, std::string_view s) {
  sep(out, first);
  if (s.empty()) {
    out += "NULL";
  } else {
    appendQuoted(out, s);
  }
}
// The inbound message that created an order is stored once, in its orders row (schema 0019): the
// engine journals the order with that message right before its RECEIVED event, so the event leaves
// its copy out (NULL) and v_order_lifecycle / `fixgw audit` show the order's for it. Every other
// event keeps the message that caused it (cancel, replace, status requests, resends).
std::string_view eventRawFix(const OrderEventRec& e) {
  if (e.eventType == "RECEIVED") return {};
  return e.rawFix;
}
template <class Id>
void optId(std::string& out, bool& first, const std::optional<Id>& id) {
  textOrNull(out, first, id ? std::string_view(id->str()) : std::string_view());
}
template <class Tag>
void num(std::string& out, bool& first, Fixed<Tag> v) {
  sep(out, first);
  appendDecimalMantissa(out, v.mantissa());
}
template <class Tag>
void optNum(std::string& out, bool& first, const std::optional<Fixed<Tag>>& v) {
  if (v) {
    num(out, first, *v);
  } else {
    sep(out, first);
    out += "NULL";
  }
}
void ts(std::string& out, bool& first, WallNanos t) {
  sep(out, first);
  appendTimestamp(out, t);
}
void int64(std::string& out, bool& first, int64_t v) {
  sep(out, first);
  out += std::to_string(v);
}

// "FIX.4.4:FIXGW->CLIENT1" -> begin string, sender, target; empty parts when malformed.
struct SessionParts {
  std::string begin, sender, target;
};
SessionParts parseSessionKey(const std::string& key) {
  SessionParts p;
  const auto colon = key.find(':');
  if (colon == std::string::npos) return p;
  const auto arrow = key.find("->", colon + 1);
  if (arrow == std::string::npos) return p;
  p.begin = key.substr(0, colon);
  p.sender = key.substr(colon + 1, arrow - colon - 1);
  p.target = key.substr(arrow + 2);
  return p;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

struct SessionAgg {
  WallNanos firstSeen = 0;
  std::optional<WallNanos> lastLogon, lastLogout;
};

// A later record of the same order replaces the earlier one, except for what only the first
// record carries (creation time, the raw inbound message) and identities an update may omit.
void mergeOrder(OrderRec& into, const OrderRec& later) {
  OrderRec merged = later;
  if (into.createdAt != 0) merged.createdAt = into.createdAt;
  if (!into.rawFix.empty()) merged.rawFix = std::move(into.rawFix);
  if (!merged.parentOrderId) merged.parentOrderId = into.parentOrderId;
  if (!merged.venue) merged.venue = into.venue;
  if (!merged.venueOrderId) merged.venueOrderId = into.venueOrderId;
  into = std::move(merged);
}

// batchId empty: no journal_batches row (the salvage path writes it once for the batch).
std::string buildBatchSql(const std::vector<const JournalRecord*>& recs,
                          const std::string& batchId) {
  std::vector<const SessionEventRec*> sessionEvents;
  std::vector<OrderRec> orders;
  std::unordered_map<std::string, size_t> orderIndex;
  std::vector<const OrderEventRec*> events;
  std::vector<const ExecutionRec*> execs;
  std::vector<const RiskEventRec*> riskEvents;
  std::vector<const FixMessageRec*> messages;
  std::vector<const TcaRec*> tcas;
  for (const JournalRecord* r : recs) {
    if (auto* m = recordIf<FixMessageRec>(r)) {
      messages.push_back(m);
    } else if (auto* t = recordIf<TcaRec>(r)) {
      tcas.push_back(t);
    } else if (auto* k = recordIf<RiskEventRec>(r)) {
      riskEvents.push_back(k);
    } else if (auto* s = recordIf<SessionEventRec>(r)) {
      sessionEvents.push_back(s);
    } else if (auto* o = recordIf<OrderRec>(r)) {
      // A multi-row ON CONFLICT cannot touch one row twice: coalesce to the last state.
      auto [it, inserted] = orderIndex.emplace(o->orderId.str(), orders.size());
      if (inserted) {
        orders.push_back(*o);
      } else {
        mergeOrder(orders[it->second], *o);
      }
    } else if (auto* e = recordIf<OrderEventRec>(r)) {
      events.push_back(e);
    } else if (auto* x = recordIf<ExecutionRec>(r)) {
      execs.push_back(x);
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const OrderEventRec* a, const OrderEventRec* b) { return a->seq < b->seq; });

  std::string sql;
  sql.reserve(256 + recs.size() * 400);
  if (!batchId.empty()) {
    sql += "INSERT INTO journal_batches (batch_id, records) VALUES (";
    appendQuoted(sql, batchId);
    sql += ',';
    sql += std::to_string(recs.size());
    sql += ");\n";
  }

  if (!messages.empty()) {
    sql +=
        "INSERT INTO fix_message_log (session_key, direction, msg_type, msg_seq_num, message, "
        "logged_at) VALUES ";
    bool firstRow = true;
    for (const auto* m : messages) {
      if (!firstRow) sql += ',';
      firstRow = false;
      bool f = true;
      sql += '(';
      text(sql, f, m->session.str());
      text(sql, f, m->inbound ? "IN" : "OUT");
      textOrNull(sql, f, m->msgType);
      int64(sql, f, m->msgSeqNum);
      text(sql, f, m->raw);
      ts(sql, f, m->ts);
      sql += ')';
    }
    sql += ";\n";
  }

  if (!sessionEvents.empty()) {
    std::vector<std::string> keys;
    std::unordered_map<std::string, SessionAgg> agg;
    sql += "INSERT INTO session_events (session_key, event, event_time) VALUES ";
    bool firstRow = true;
    for (const auto* s : sessionEvents) {
      if (!firstRow) sql += ',';
      firstRow = false;
      bool f = true;
      sql += '(';
      text(sql, f, s->session.str());
      text(sql, f, s->event);
      ts(sql, f, s->ts);
      sql += ')';
      auto [it, inserted] = agg.emplace(s->session.str(), SessionAgg{s->ts, {}, {}});
      if (inserted) keys.push_back(s->session.str());
      SessionAgg& a = it->second;
      a.firstSeen = std::min(a.firstSeen, s->ts);
      if (equalsIgnoreCase(s->event, "LOGON"))
        a.lastLogon = std::max(a.lastLogon.value_or(s->ts), s->ts);
      if (equalsIgnoreCase(s->event, "LOGOUT"))
        a.lastLogout = std::max(a.lastLogout.value_or(s->ts), s->ts);
    }
    sql += ";\n";
    sql +=
        "INSERT INTO sessions (session_key, begin_string, sender_comp_id, target_comp_id, "
        "first_seen, last_logon, last_logout) VALUES ";
    firstRow = true;
    for (const auto& key : keys) {
      const SessionAgg& a = agg[key];
      const SessionParts p = parseSessionKey(key);
      if (!firstRow) sql += ',';
      firstRow = false;
      bool f = true;
      sql += '(';
      text(sql, f, key);
      textOrNull(sql, f, p.begin);
      textOrNull(sql, f, p.sender);
      textOrNull(sql, f, p.target);
      ts(sql, f, a.firstSeen);
      sep(sql, f);
      if (a.lastLogon)
        appendTimestamp(sql, *a.lastLogon);
      else
        sql += "NULL::timestamptz";
      sep(sql, f);
      if (a.lastLogout)
        appendTimestamp(sql, *a.lastLogout);
      else
        sql += "NULL::timestamptz";
      sql += ')';
    }
    sql +=
        " ON CONFLICT (session_key) DO UPDATE SET"
        " first_seen = least(sessions.first_seen, EXCLUDED.first_seen),"
        " last_logon = greatest(sessions.last_logon, EXCLUDED.last_logon),"
        " last_logout = greatest(sessions.last_logout, EXCLUDED.last_logout);\n";
  }

  if (!riskEvents.empty()) {
    // Risk events are few (rejects, warnings, kill-switch changes): plain INSERT, in order.
    sql +=
        "INSERT INTO risk_events (event_type, rule, scope, scope_key, from_state, to_state, who, "
        "reason, account, symbol, session_key, cl_ord_id, order_id, limit_value, actual_value, "
        "text, event_time) VALUES ";
    bool firstRow = true;
    for (const RiskEventRec* k : riskEvents) {
      if (!firstRow) sql += ',';
      firstRow = false;
      bool f = true;
      sql += '(';
      text(sql, f, k->eventType);
      textOrNull(sql, f, k->rule);
      textOrNull(sql, f, k->scope);
      textOrNull(sql, f, k->scopeKey);
      textOrNull(sql, f, k->fromState);
      textOrNull(sql, f, k->toState);
      textOrNull(sql, f, k->who);
      textOrNull(sql, f, k->reason);
      optId(sql, f, k->account);
      optId(sql, f, k->symbol);
      optId(sql, f, k->session);
      optId(sql, f, k->clOrdId);
      optId(sql, f, k->orderId);
      textOrNull(sql, f, k->limit);
      textOrNull(sql, f, k->value);
      textOrNull(sql, f, k->text);
      ts(sql, f, k->ts);
      sql += ')';
    }
    sql += ";\n";
  }

  if (!orders.empty()) {
    sql +=
        "INSERT INTO orders (order_id, parent_order_id, session_key, cl_ord_id, orig_cl_ord_id, "
        "account, symbol, side, ord_type, tif, qty, price, status, cum_qty, leaves_qty, avg_px, "
        "venue, venue_order_id, raw_fix, created_at, updated_at, stop_px, details, child_status, "
        "child_qty, child_cum_qty, child_price, child_stop_px) VALUES ";
    bool firstRow = true;
    for (const OrderRec& o : orders) {
      if (!firstRow) sql += ',';
      firstRow = false;
      bool f = true;
      sql += '(';
      text(sql, f, o.orderId.str());
      optId(sql, f, o.parentOrderId);
      text(sql, f, o.session.str());
      text(sql, f, o.clOrdId.str());
      optId(sql, f, o.origClOrdId);
      text(sql, f, o.account.str());
      text(sql, f, o.symbol.str());
      text(sql, f, toString(o.side));
      text(sql, f, toString(o.ordType));
      text(sql, f, toString(o.tif));
      num(sql, f, o.qty);
      optNum(sql, f, o.price);
      text(sql, f, toString(o.status));
      num(sql, f, o.cumQty);
      num(sql, f, o.leavesQty);
      num(sql, f, o.avgPx);
      optId(sql, f, o.venue);
      optId(sql, f, o.venueOrderId);
      textOrNull(sql, f, o.rawFix);
      // A record without times (should not happen) still lands, stamped when written.
      const WallNanos created = o.createdAt != 0 ? o.createdAt : o.updatedAt;
      const WallNanos updated = o.updatedAt != 0 ? o.updatedAt : o.createdAt;
      sep(sql, f);
      if (created != 0)
        appendTimestamp(sql, created);
      else
        sql += "now()";
      sep(sql, f);
      if (updated != 0)
        appendTimestamp(sql, updated);
      else
        sql += "now()";
      optNum(sql, f, o.stopPx);
      textOrNull(sql, f, detailsToJson(o.details.get()));
      textOrNull(sql, f, o.childStatus ? toString(*o.childStatus) : std::string_view());
      optNum(sql, f, o.childQty);
      optNum(sql, f, o.childCumQty);
      optNum(sql, f, o.childPrice);
      optNum(sql, f, o.childStopPx);
      sql += ')';
    }
    sql +=
        " ON CONFLICT (order_id) DO UPDATE SET"
        " stop_px = EXCLUDED.stop_px, details = EXCLUDED.details,"
        " parent_order_id = coalesce(EXCLUDED.parent_order_id, orders.parent_order_id),"
        " session_key = EXCLUDED.session_key, cl_ord_id = EXCLUDED.cl_ord_id,"
        " orig_cl_ord_id = EXCLUDED.orig_cl_ord_id, account = EXCLUDED.account,"
        " symbol = EXCLUDED.symbol, side = EXCLUDED.side, ord_type = EXCLUDED.ord_type,"
        " tif = EXCLUDED.tif, qty = EXCLUDED.qty, price = EXCLUDED.price,"
        " status = EXCLUDED.status, cum_qty = EXCLUDED.cum_qty,"
        " leaves_qty = EXCLUDED.leaves_qty, avg_px = EXCLUDED.avg_px,"
        " venue = coalesce(EXCLUDED.venue, orders.venue),"
        " venue_order_id = coalesce(EXCLUDED.venue_order_id, orders.venue_order_id),"
        " raw_fix = coalesce(orders.raw_fix, EXCLUDED.raw_fix),"
        " child_status = coalesce(EXCLUDED.child_status, orders.child_status),"
        " child_qty = EXCLUDED.child_qty, child_cum_qty = EXCLUDED.child_cum_qty,"
        " child_price = EXCLUDED.child_price, child_stop_px = EXCLUDED.child_stop_px,"
        " updated_at = EXCLUDED.updated_at;\n";
  }

  if (!events.empty()) {
    sql +=
        "INSERT INTO order_events (seq, order_id, child_order_id, session_key, cl_ord_id, "
        "orig_cl_ord_id, event_type, exec_type, exec_id, status, qty, price, cum_qty, leaves_qty, "
        "avg_px, last_qty, last_px, reason_code, text, raw_fix, event_time) VALUES ";
    bool firstRow = true;
    for (const OrderEventRec* e : events) {
      if (!firstRow) sql += ',';
      firstRow = false;
      bool f = true;
      sql += '(';
      int64(sql, f, e->seq);
      text(sql, f, e->orderId.str());
      optId(sql, f, e->childOrderId);
      text(sql, f, e->session.str());
      text(sql, f, e->clOrdId.str());
      optId(sql, f, e->origClOrdId);
      text(sql, f, e->eventType);
      textOrNull(sql, f, e->execType ? toString(*e->execType) : std::string_view());
      optId(sql, f, e->execId);
      text(sql, f, toString(e->status));
      num(sql, f, e->qty);
      optNum(sql, f, e->price);
      num(sql, f, e->cumQty);
      num(sql, f, e->leavesQty);
      num(sql, f, e->avgPx);
      num(sql, f, e->lastQty);
      num(sql, f, e->lastPx);
      textOrNull(sql, f, e->reasonCode);
      textOrNull(sql, f, e->text);
      textOrNull(sql, f, eventRawFix(*e));
      ts(sql, f, e->ts);
      sql += ')';
    }
    sql += ";\n";
  }

  if (!execs.empty()) {
    sql +=
        "INSERT INTO executions (exec_id, order_id, child_order_id, session_key, cl_ord_id, "
        "account, symbol, side, last_qty, last_px, cum_qty, leaves_qty, avg_px, venue, "
        "venue_exec_id, exec_time, fee, fee_currency, contract_size) VALUES ";
    bool firstRow = true;
    for (const ExecutionRec* x : execs) {
      if (!firstRow) sql += ',';
      firstRow = false;
      bool f = true;
      sql += '(';
      text(sql, f, x->execId.str());
      text(sql, f, x->orderId.str());
      optId(sql, f, x->childOrderId);
      text(sql, f, x->session.str());
      text(sql, f, x->clOrdId.str());
      text(sql, f, x->account.str());
      text(sql, f, x->symbol.str());
      text(sql, f, toString(x->side));
      num(sql, f, x->lastQty);
      num(sql, f, x->lastPx);
      num(sql, f, x->cumQty);
      num(sql, f, x->leavesQty);
      num(sql, f, x->avgPx);
      optId(sql, f, x->venue);
      optId(sql, f, x->venueExecId);
      ts(sql, f, x->ts);
      optNum(sql, f, x->fee);
      textOrNull(sql, f, x->feeCurrency);
      num(sql, f, x->contractSize);
      sql += ')';
    }
    sql += ";\n";
  }

  if (!tcas.empty()) {
    // One row per completed parent (router/tca.h). A record written again (the salvage path)
    // keeps the first.
    sql +=
        "INSERT INTO tca (order_id, session_key, account, symbol, side, venue, strategy, "
        "final_status, arrival_time, completed_at, arrival_px, arrival_source, order_qty, "
        "filled_qty, avg_px, market_volume, market_trades, interval_vwap, slippage_arrival_bps, "
        "slippage_vwap_bps, participation, fill_rate) VALUES ";
    bool firstRow = true;
    for (const TcaRec* t : tcas) {
      if (!firstRow) sql += ',';
      firstRow = false;
      bool f = true;
      sql += '(';
      text(sql, f, t->orderId.str());
      text(sql, f, t->session.str());
      text(sql, f, t->account.str());
      text(sql, f, t->symbol.str());
      text(sql, f, toString(t->side));
      optId(sql, f, t->venue);
      textOrNull(sql, f, t->strategy);
      text(sql, f, toString(t->finalStatus));
      ts(sql, f, t->arrivalTime);
      ts(sql, f, t->completedAt);
      optNum(sql, f, t->arrivalPx);
      text(sql, f, t->arrivalSource);
      num(sql, f, t->orderQty);
      num(sql, f, t->filledQty);
      optNum(sql, f, t->avgPx);
      num(sql, f, t->marketVolume);
      int64(sql, f, t->marketTrades);
      optNum(sql, f, t->intervalVwap);
      optNum(sql, f, t->slippageArrivalBps);
      optNum(sql, f, t->slippageVwapBps);
      optNum(sql, f, t->participation);
      num(sql, f, t->fillRate);
      sql += ')';
    }
    sql += " ON CONFLICT (order_id) DO NOTHING;\n";
  }
  return sql;
}

// A readable rendering of a record for journal_rejects.
std::string describe(const JournalRecord& r) {
  auto opt = [](const auto& o) { return o ? o->str() : std::string("<none>"); };
  std::string s;
  if (auto* m = recordIf<FixMessageRec>(&r)) {
    s = "fix_message session=" + m->session.str() + (m->inbound ? " IN" : " OUT") +
        " seq=" + std::to_string(m->msgSeqNum) + " ts=" + formatIsoTimestamp(m->ts) +
        " raw=" + m->raw;
  } else if (auto* k = recordIf<RiskEventRec>(&r)) {
    s = "risk_event=" + k->eventType + " rule=" + k->rule + " scope=" + k->scope + ":" +
        k->scopeKey + " " + k->fromState + "->" + k->toState + " who=" + k->who +
        " reason=" + k->reason + " account=" + opt(k->account) + " symbol=" + opt(k->symbol) +
        " cl_ord_id=" + opt(k->clOrdId) + " limit=" + k->limit + " value=" + k->value +
        " text=" + k->text + " ts=" + formatIsoTimestamp(k->ts);
  } else if (auto* x = recordIf<SessionEventRec>(&r)) {
    s = "session=" + x->session.str() + " event=" + x->event + " ts=" + formatIsoTimestamp(x->ts);
  } else if (auto* o = recordIf<OrderRec>(&r)) {
    s = "order_id=" + o->orderId.str() + " parent=" + opt(o->parentOrderId) +
        " session=" + o->session.str() + " cl_ord_id=" + o->clOrdId.str() +
        " account=" + o->account.str() + " symbol=" + o->symbol.str() +
        " side=" + std::string(toString(o->side)) + " qty=" + o->qty.str() +
        " price=" + (o->price ? o->price->str() : "<none>") +
        " status=" + std::string(toString(o->status)) + " cum_qty=" + o->cumQty.str() +
        " leaves_qty=" + o->leavesQty.str() + " avg_px=" + o->avgPx.str() +
        " updated_at=" + formatIsoTimestamp(o->updatedAt) + " raw_fix=" + o->rawFix;
  } else if (auto* e = recordIf<OrderEventRec>(&r)) {
    s = "seq=" + std::to_string(e->seq) + " order_id=" + e->orderId.str() +
        " child=" + opt(e->childOrderId) + " cl_ord_id=" + e->clOrdId.str() +
        " event_type=" + e->eventType + " exec_id=" + opt(e->execId) +
        " status=" + std::string(toString(e->status)) + " cum_qty=" + e->cumQty.str() +
        " last_qty=" + e->lastQty.str() + " last_px=" + e->lastPx.str() +
        " reason=" + e->reasonCode + " text=" + e->text + " ts=" + formatIsoTimestamp(e->ts) +
        " raw_fix=" + e->rawFix;
  } else if (auto* x = recordIf<ExecutionRec>(&r)) {
    s = "exec_id=" + x->execId.str() + " order_id=" + x->orderId.str() +
        " child=" + opt(x->childOrderId) + " cl_ord_id=" + x->clOrdId.str() +
        " account=" + x->account.str() + " symbol=" + x->symbol.str() +
        " side=" + std::string(toString(x->side)) + " last_qty=" + x->lastQty.str() +
        " last_px=" + x->lastPx.str() + " cum_qty=" + x->cumQty.str() +
        " venue_exec_id=" + opt(x->venueExecId) + " ts=" + formatIsoTimestamp(x->ts);
  } else if (auto* t = recordIf<TcaRec>(&r)) {
    auto optPx = [](const auto& v) { return v ? v->str() : std::string("<none>"); };
    s = "tca order_id=" + t->orderId.str() + " account=" + t->account.str() +
        " symbol=" + t->symbol.str() + " side=" + std::string(toString(t->side)) +
        " arrival_px=" + optPx(t->arrivalPx) + " arrival_source=" + t->arrivalSource +
        " filled_qty=" + t->filledQty.str() + " avg_px=" + optPx(t->avgPx) +
        " market_volume=" + t->marketVolume.str() + " interval_vwap=" + optPx(t->intervalVwap) +
        " completed_at=" + formatIsoTimestamp(t->completedAt);
  }
  return s;
}

const char* recordType(const JournalRecord& r) {
  switch (r.index()) {
    case 0:
      return "SessionEventRec";
    case 1:
      return "OrderRec";
    case 2:
      return "OrderEventRec";
    case 3:
      return "ExecutionRec";
    case 4:
      return "RiskEventRec";
    case 5:
      return "FixMessageRec";
    case 6:
      return "TcaRec";
  }
  return "?";
}

// Errors the database will give again however often the batch is retried: data exceptions
// (class 22) and integrity violations (class 23).
bool isDataError(const std::string& st) {
  return st.size() == 5 && (st.compare(0, 2, "22") == 0 || st.compare(0, 2, "23") == 0);
}

std::string makeBatchPrefix() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}
// ---------------------------------------------------------------------------------------------
// libpq, used directly: libpqxx 6.4 streams COPY one allocated line at a time and keeps the raw
// connection private, and the writer needs nothing else from it.

struct DbError : std::runtime_error {
  DbError(const std::string& msg, std::string state, bool lost)
      : std::runtime_error(msg), sqlstate(std::move(state)), connectionLost(lost) {}
  std::string sqlstate;  // empty when the failure is not the server's answer
  bool connectionLost;
};

std::string trimmed(const char* s) {
  std::string m = s ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// Server notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
void logNotice(void*, const char* message) { spdlog::debug("journal: {}", trimmed(message)); }

class PgConn {
 public:
  explicit PgConn(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
    if (c_ == nullptr || PQstatus(c_) != CONNECTION_OK) {
      const std::string msg = c_ ? trimmed(PQerrorMessage(c_)) : "out of memory";
      PQfinish(c_);
      c_ = nullptr;
      throw DbError(msg, "", true);
    }
    PQsetNoticeProcessor(c_, logNotice, nullptr);
  }
  ~PgConn() { PQfinish(c_); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  PGconn* raw() const { return c_; }
  // Rows the journal's order merge deleted from this session's staging table since it was last
  // truncated (kTruncateStage); an estimate (a rolled-back batch leaves none).
  size_t stageDeadRows = 0;
  bool mergePrepared = false;     // kMergeStage is prepared on this session
  bool batchRowPrepared = false;  // kBatchRow is prepared on this session
  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
  bool inTransaction() const { return PQtransactionStatus(c_) != PQTRANS_IDLE; }

  // Runs one or more statements (simple query protocol); throws on the first that fails.
  void exec(const char* sql) {
    countRoundTrip();
    Result r(PQexec(c_, sql));
    check(r, sql);
  }
  void exec(const std::string& sql) { exec(sql.c_str()); }

  // Prepares sql as the named statement of this session (parsed and planned once; the plan is
  // redone by the server by itself when a table it reads changes, e.g. the stage's TRUNCATE).
  void prepare(const char* name, const char* sql) {
    countRoundTrip();
    Result r(PQprepare(c_, name, sql, 0, nullptr));
    check(r, sql);
  }
  // Runs a statement prepare() made, without parameters.
  void execPrepared(const char* name) {
    countRoundTrip();
    Result r(PQexecPrepared(c_, name, 0, nullptr, nullptr, nullptr, 0));
    check(r, name);
  }

  // The first column of the first row, or nullopt without rows.
  std::optional<std::string> queryValue(const std::string& sql) {
    countRoundTrip();
    Result r(PQexec(c_, sql.c_str()));
    check(r, sql.c_str());
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return std::string(PQgetvalue(r.get(), 0, 0));
  }

  // Sends one statement without waiting for its result (the pipelined COMMIT): the caller
  // waits on socket() until resultReady(), then collects it with finishAsync().
  void sendAsync(const char* sql) {
    resetAsync();
    if (PQsendQuery(c_, sql) != 1) throw DbError(trimmed(PQerrorMessage(c_)), "", !ok());
  }
  int socket() const { return PQsocket(c_); }
  // True once finishAsync() will not block: every answer to what was sent arrived, or the
  // connection failed. Answers already in are collected here: a script's tail (script() with
  // waitAll false) has several, and the first alone (a COPY's) says nothing about the COMMIT's.
  bool resultReady() {
    if (asyncDone_) return true;
    if (PQconsumeInput(c_) != 1) return true;
    while (PQisBusy(c_) == 0) {
      PGresult* res = PQgetResult(c_);
      if (res == nullptr) {
        asyncDone_ = true;
        return true;
      }
      collectAsync(res);
    }
    return false;
  }
  // Collects the answers to sendAsync() or a script's tail; throws if a statement failed or the
  // connection did.
  void finishAsync(const char* sql) {
    countRoundTrip();
    if (!asyncDone_) {
      while (PGresult* res = PQgetResult(c_)) collectAsync(res);
    }
    std::optional<DbError> err = std::move(asyncErr_);
    const bool any = asyncAny_;
    resetAsync();
    if (err) throw *err;
    if (!any || !ok()) {
      throw DbError("no answer to " + std::string(sql) + ": " + trimmed(PQerrorMessage(c_)), "",
                    !ok());
    }
  }

  // Runs a script of statements sent as ONE simple-query message; each `COPY ... FROM STDIN
  // (FORMAT binary)` in it takes the next entry of copies as its rows. The statements run one
  // after the other without the client waiting between them, except where a COPY asks for its
  // data (libpq sends it only once the server's CopyInResponse is in): a batch costs 1 + (number
  // of COPYs) round trips instead of 2 per COPY plus one per other statement (issue 15: every
  // round trip is a send/recv pair and a wake-up on both sides). With waitAll false it returns
  // right after the last COPY's data went out, leaving the rest of the script's answers (that
  // COPY's completion, COMMIT) to finishAsync(). Throws on the first statement that fails; the
  // server skips the rest of the script then (a transaction it opened is left aborted).
  void script(const std::string& sql, const std::vector<const std::string*>& copies, bool waitAll) {
    resetAsync();
    if (PQsendQuery(c_, sql.c_str()) != 1) throw DbError(trimmed(PQerrorMessage(c_)), "", !ok());
    if (!waitAll && copies.empty()) return;
    countRoundTrip();
    size_t next = 0;
    std::optional<DbError> err;
    while (PGresult* res = PQgetResult(c_)) {
      Result r(res);
      if (PQresultStatus(res) == PGRES_COPY_IN) {
        const std::string* data = next < copies.size() ? copies[next] : nullptr;
        ++next;
        putCopy(data);
        if (!waitAll && next == copies.size() && !err) return;
        countRoundTrip();
        continue;
      }
      if (!err) {
        try {
          check(r, "the journal's batch script");
        } catch (const DbError& e) {
          err = e;
        }
      }
    }
    if (err) throw *err;
    if (!ok()) throw DbError(trimmed(PQerrorMessage(c_)), "", true);
    if (next != copies.size()) {
      throw DbError("the journal's batch script ran " + std::to_string(next) + " of " +
                        std::to_string(copies.size()) + " COPY statements",
                    "", false);
    }
  }
  // Where to count the times this connection waits for the server's answer (send, then block on
  // recv): its round trips, for the journal's stats (issue 15). Optional.
  std::atomic<uint64_t>* roundTripSink = nullptr;
  void countRoundTrip() {
    if (roundTripSink != nullptr) roundTripSink->fetch_add(1, std::memory_order_relaxed);
  }

  // COPY ... FROM STDIN (FORMAT binary): data is the rows (store/copy_binary.h), sent in large
  // pieces between the format's header and trailer.
  void copyIn(const char* copySql, const std::string& data) {
    {
      countRoundTrip();
      Result r(PQexec(c_, copySql));
      if (PQresultStatus(r.get()) != PGRES_COPY_IN) check(r, copySql);
    }
    countRoundTrip();
    putCopy(&data);
    std::optional<DbError> err;
    while (PGresult* res = PQgetResult(c_)) {
      Result r(res);
      if (!err && PQresultStatus(res) != PGRES_COMMAND_OK) {
        try {
          check(r, copySql);
        } catch (const DbError& e) {
          err = e;
        }
      }
    }
    if (err) throw *err;
    if (!ok()) throw DbError(trimmed(PQerrorMessage(c_)), "", true);
  }

 private:
  void resetAsync() {
    asyncErr_.reset();
    asyncAny_ = false;
    asyncDone_ = false;
  }
  void collectAsync(PGresult* res) {
    Result r(res);
    asyncAny_ = true;
    if (asyncErr_) return;
    try {
      check(r, "the journal's COMMIT");
    } catch (const DbError& e) {
      asyncErr_ = e;
    }
  }
  // The answers collected so far to what sendAsync()/script() left pending (see resultReady()).
  std::optional<DbError> asyncErr_;
  bool asyncAny_ = false;
  bool asyncDone_ = false;

  // Sends a COPY's rows between the binary format's header and trailer, and the end of the COPY
  // (without data: ends it with an error, so the server aborts the statement).
  void putCopy(const std::string* rows) {
    if (rows == nullptr) {
      PQputCopyEnd(c_, "the journal has no rows for this COPY");
      return;
    }
    const std::string& data = *rows;
    constexpr size_t kChunk = 1 << 20;
    const std::string_view head = detail::binaryCopyHeader();
    bool sent = PQputCopyData(c_, head.data(), static_cast<int>(head.size())) == 1;
    for (size_t off = 0; off < data.size() && sent; off += kChunk) {
      const size_t n = std::min(kChunk, data.size() - off);
      sent = PQputCopyData(c_, data.data() + off, static_cast<int>(n)) == 1;
    }
    if (sent) {
      const std::string_view tail = detail::binaryCopyTrailer();
      sent = PQputCopyData(c_, tail.data(), static_cast<int>(tail.size())) == 1;
    }
    // On a send failure the server's error (if any) is in the result that follows.
    if (PQputCopyEnd(c_, sent ? nullptr : "client failed to send COPY data") != 1) {
      throw DbError(trimmed(PQerrorMessage(c_)), "", !ok());
    }
  }

  struct Result {
    explicit Result(PGresult* r) : r_(r) {}
    ~Result() { PQclear(r_); }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    PGresult* get() const { return r_; }
    PGresult* r_;
  };

  // Throws unless r is a success.
  void check(const Result& r, const char* sql) {
    const ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    std::string msg = r.get() ? trimmed(PQresultErrorMessage(r.get())) : "";
    if (msg.empty()) msg = trimmed(PQerrorMessage(c_));
    const char* state = r.get() ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string_view what(sql);
    if (what.size() > 60) what = what.substr(0, 60);
    throw DbError(msg + " [in: " + std::string(what) + "...]", state ? state : "", !ok());
  }

  PGconn* c_;
};

// ---------------------------------------------------------------------------------------------
// The bulk path: COPY rows in the binary format (store/copy_binary.h), one buffer per table,
// reused from batch to batch so a steady state allocates nothing per record.

template <class Id>
void binOptId(std::string& out, const std::optional<Id>& id) {
  detail::binTextOrNull(out, id ? std::string_view(id->str()) : std::string_view());
}
template <class Id>
void binIdPtr(std::string& out, const Id* id) {
  detail::binTextOrNull(out, id ? std::string_view(id->str()) : std::string_view());
}
template <class Tag>
void binNum(std::string& out, Fixed<Tag> v) {
  detail::binNumeric(out, v.mantissa());
}
template <class Tag>
void binOptNum(std::string& out, const std::optional<Fixed<Tag>>& v) {
  if (v) {
    detail::binNumeric(out, v->mantissa());
  } else {
    detail::binNull(out);
  }
}

// An order's state after every record of it in the batch, by reference into the records (see
// mergeOrder, which the record-by-record path does not need and this reproduces without copies).
struct OrderSlot {
  const OrderRec* last = nullptr;
  WallNanos createdAt = 0;              // the first non-zero
  const std::string* rawFix = nullptr;  // the first non-empty
  const OrderId* parent = nullptr;      // the last present
  const VenueId* venue = nullptr;
  const VenueOrderId* venueOrderId = nullptr;
  bool created = false;  // the batch holds the order's first record (OrderRec::created)
};

constexpr const char* kCopyEvents =
    "COPY order_events (seq, order_id, child_order_id, session_key, cl_ord_id, orig_cl_ord_id, "
    "event_type, exec_type, exec_id, status, qty, price, cum_qty, leaves_qty, avg_px, last_qty, "
    "last_px, reason_code, text, raw_fix, event_time) FROM STDIN (FORMAT binary)";
// The raw FIX message log, one row per session per batch (schema/0008_fix_message_chunks.sql).
constexpr const char* kCopyMessages =
    "COPY fix_message_chunks (session_key, first_at, last_at, n, messages) FROM STDIN (FORMAT "
    "binary)";
constexpr char kChunkRecordSep = '\x02';
constexpr char kChunkFieldSep = '\x03';
constexpr const char* kCopyExecs =
    "COPY executions (exec_id, order_id, child_order_id, session_key, cl_ord_id, account, symbol, "
    "side, last_qty, last_px, cum_qty, leaves_qty, avg_px, venue, venue_exec_id, exec_time, fee, "
    "fee_currency, contract_size) "
    "FROM STDIN (FORMAT binary)";
// Orders need an upsert, which COPY cannot do: they are copied into a per-connection temporary
// table (never WAL-logged, gone with the session) and merged from there by one statement, which
// also empties it (kMergeStage). The durable write is the INSERT into orders, inside the batch's
// transaction.
constexpr const char* kCreateStage =
    "CREATE TEMP TABLE IF NOT EXISTS fixgw_journal_orders_stage (order_id text, "
    "parent_order_id text, session_key text, cl_ord_id text, orig_cl_ord_id text, account text, "
    "symbol text, side text, ord_type text, tif text, qty numeric, price numeric, status text, "
    "cum_qty numeric, leaves_qty numeric, avg_px numeric, venue text, venue_order_id text, "
    "raw_fix text, created_at timestamptz, updated_at timestamptz, stop_px numeric, details jsonb, "
    "child_status text, child_qty numeric, child_cum_qty numeric, child_price numeric, "
    "child_stop_px numeric) "
    "ON COMMIT PRESERVE ROWS";
constexpr const char* kCopyStage =
    "COPY pg_temp.fixgw_journal_orders_stage FROM STDIN (FORMAT binary)";
// Orders whose first record is in the batch have no row yet: COPY them straight into orders,
// skipping the stage, the DELETE and the speculative insertion (most orders of a busy batch).
// Same columns, in the same order, as the stage.
constexpr const char* kCopyNewOrders =
    "COPY orders (order_id, parent_order_id, session_key, cl_ord_id, orig_cl_ord_id, account, "
    "symbol, side, ord_type, tif, qty, price, status, cum_qty, leaves_qty, avg_px, venue, "
    "venue_order_id, raw_fix, created_at, updated_at, stop_px, details, child_status, child_qty, "
    "child_cum_qty, child_price, child_stop_px) FROM STDIN (FORMAT binary)";
// Same column rules as the record-by-record path. (An UPDATE of the existing rows plus a plain
// INSERT of the others, to skip the speculative insertion, measured slower: the planner knows
// nothing about the staging table.)
// The merge empties the stage as it reads it (DELETE ... RETURNING), so the stage is empty again at
// every commit or rollback. ON COMMIT DELETE ROWS did that by truncating the table at every
// commit, which costs about 0.3 ms of server CPU (the relcache entry is rebuilt each time): a
// tenth of the backend's time with the small batches durable acknowledgements produce. The dead
// rows the DELETE leaves are dropped with an explicit TRUNCATE once enough have piled up.
constexpr size_t kStageTruncateRows = 2000;
constexpr const char* kTruncateStage = "TRUNCATE pg_temp.fixgw_journal_orders_stage";
constexpr const char* kMergeStage =
    "WITH stage AS (DELETE FROM pg_temp.fixgw_journal_orders_stage RETURNING *) "
    "INSERT INTO orders (order_id, parent_order_id, session_key, cl_ord_id, orig_cl_ord_id, "
    "account, symbol, side, ord_type, tif, qty, price, status, cum_qty, leaves_qty, avg_px, "
    "venue, venue_order_id, raw_fix, created_at, updated_at, stop_px, details, child_status, "
    "child_qty, child_cum_qty, child_price, child_stop_px) "
    "SELECT order_id, parent_order_id, session_key, cl_ord_id, orig_cl_ord_id, account, symbol, "
    "side, ord_type, tif, qty, price, status, cum_qty, leaves_qty, avg_px, venue, "
    "venue_order_id, raw_fix, coalesce(created_at, now()), coalesce(updated_at, now()), stop_px, "
    "details, child_status, child_qty, child_cum_qty, child_price, child_stop_px "
    "FROM stage"
    " ON CONFLICT (order_id) DO UPDATE SET stop_px = EXCLUDED.stop_px, details = EXCLUDED.details,"
    " parent_order_id = coalesce(EXCLUDED.parent_order_id, orders.parent_order_id),"
    " session_key = EXCLUDED.session_key, cl_ord_id = EXCLUDED.cl_ord_id,"
    " orig_cl_ord_id = EXCLUDED.orig_cl_ord_id, account = EXCLUDED.account,"
    " symbol = EXCLUDED.symbol, side = EXCLUDED.side, ord_type = EXCLUDED.ord_type,"
    " tif = EXCLUDED.tif, qty = EXCLUDED.qty, price = EXCLUDED.price,"
    " status = EXCLUDED.status, cum_qty = EXCLUDED.cum_qty,"
    " leaves_qty = EXCLUDED.leaves_qty, avg_px = EXCLUDED.avg_px,"
    " venue = coalesce(EXCLUDED.venue, orders.venue),"
    " venue_order_id = coalesce(EXCLUDED.venue_order_id, orders.venue_order_id),"
    " raw_fix = coalesce(orders.raw_fix, EXCLUDED.raw_fix),"
    " child_status = coalesce(EXCLUDED.child_status, orders.child_status),"
    " child_qty = EXCLUDED.child_qty, child_cum_qty = EXCLUDED.child_cum_qty,"
    " child_price = EXCLUDED.child_price, child_stop_px = EXCLUDED.child_stop_px,"
    " updated_at = EXCLUDED.updated_at";

constexpr const char* kMergeStageName = "fixgw_journal_merge_stage";
// The batch's journal_batches row (a lost COMMIT is recognised by it), prepared once per session.
constexpr const char* kBatchRow = "INSERT INTO journal_batches (batch_id, records) VALUES ($1, $2)";
constexpr const char* kBatchRowName = "fixgw_journal_batch_row";

// Splits a batch by table and renders the COPY data. Writer thread only; reused.
class CopyBatch {
 public:
  void build(const std::vector<const JournalRecord*>& recs) {
    sessions_.clear();
    events_.clear();
    slots_.clear();
    slotIndex_.clear();
    eventRows.clear();
    execRows.clear();
    orderRows.clear();
    newOrderRows.clear();
    stagedOrders_ = 0;
    messageRows.clear();
    for (MessageChunk& c : chunks_) c.n = 0;
    for (const JournalRecord* r : recs) {
      if (auto* m = recordIf<FixMessageRec>(r)) {
        appendMessage(*m);
        continue;
      }
      if (recordHolds<SessionEventRec>(*r) || recordHolds<RiskEventRec>(*r) ||
          recordHolds<TcaRec>(*r)) {
        // Few and small: written as SQL text ahead of the COPYs (buildBatchSql).
        sessions_.push_back(r);
      } else if (auto* o = recordIf<OrderRec>(r)) {
        addOrder(*o);
      } else if (auto* e = recordIf<OrderEventRec>(r)) {
        events_.push_back(e);
      } else if (auto* x = recordIf<ExecutionRec>(r)) {
        appendExec(*x);
      }
    }
    std::stable_sort(
        events_.begin(), events_.end(),
        [](const OrderEventRec* a, const OrderEventRec* b) { return a->seq < b->seq; });
    for (const OrderEventRec* e : events_) appendEvent(*e);
    for (const OrderSlot& s : slots_) appendOrder(s);
    for (const MessageChunk& c : chunks_) appendChunkRow(c);
  }

  const std::vector<const JournalRecord*>& sessionRecords() const { return sessions_; }
  size_t orderRowCount() const { return stagedOrders_; }

  // orderRows: upserts, through the stage; newOrderRows: orders first seen in this batch.
  std::string eventRows, execRows, orderRows, newOrderRows, messageRows;

 private:
  void addOrder(const OrderRec& o) {
    auto [it, inserted] = slotIndex_.emplace(std::string_view(o.orderId.str()), slots_.size());
    if (inserted) {
      slots_.emplace_back();
      slots_.back().created = o.created;
    }
    OrderSlot& s = slots_[it->second];
    s.last = &o;
    if (s.createdAt == 0) s.createdAt = o.createdAt;
    if (s.rawFix == nullptr || s.rawFix->empty()) s.rawFix = &o.rawFix.str();
    if (o.parentOrderId) s.parent = &*o.parentOrderId;
    if (o.venue) s.venue = &*o.venue;
    if (o.venueOrderId) s.venueOrderId = &*o.venueOrderId;
  }

  void appendOrder(const OrderSlot& s) {
    using namespace detail;
    const OrderRec& o = *s.last;
    // A record without times (should not happen) goes through the stage, whose merge stamps it.
    const bool direct = s.created && (s.createdAt != 0 || o.updatedAt != 0);
    std::string& out = direct ? newOrderRows : orderRows;
    if (!direct) ++stagedOrders_;
    binBeginRow(out, 28);
    binText(out, o.orderId.str());
    binIdPtr(out, s.parent);
    binText(out, o.session.str());
    binText(out, o.clOrdId.str());
    binOptId(out, o.origClOrdId);
    binText(out, o.account.str());
    binText(out, o.symbol.str());
    binText(out, toString(o.side));
    binText(out, toString(o.ordType));
    binText(out, toString(o.tif));
    binNum(out, o.qty);
    binOptNum(out, o.price);
    binText(out, toString(o.status));
    binNum(out, o.cumQty);
    binNum(out, o.leavesQty);
    binNum(out, o.avgPx);
    binIdPtr(out, s.venue);
    binIdPtr(out, s.venueOrderId);
    binTextOrNull(out, s.rawFix ? std::string_view(*s.rawFix) : std::string_view());
    // A record without times (should not happen) still lands, stamped when written (NULL here
    // becomes now() in kMergeStage).
    const WallNanos created = s.createdAt != 0 ? s.createdAt : o.updatedAt;
    const WallNanos updated = o.updatedAt != 0 ? o.updatedAt : s.createdAt;
    timestampOrNull(out, created);
    timestampOrNull(out, updated);
    binOptNum(out, o.stopPx);
    if (o.details) {
      const std::string json = detailsToJson(o.details.get());
      if (json.empty()) {
        binNull(out);
      } else {
        binJsonb(out, json);
      }
    } else {
      binNull(out);
    }
    if (o.childStatus) {
      binText(out, toString(*o.childStatus));
    } else {
      binNull(out);
    }
    binOptNum(out, o.childQty);
    binOptNum(out, o.childCumQty);
    binOptNum(out, o.childPrice);
    binOptNum(out, o.childStopPx);
  }

  static void timestampOrNull(std::string& out, WallNanos t) {
    if (t != 0) {
      detail::binTimestamptz(out, t);
    } else {
      detail::binNull(out);
    }
  }

  void appendEvent(const OrderEventRec& e) {
    using namespace detail;
    std::string& out = eventRows;
    binBeginRow(out, 21);
    binInt8(out, e.seq);
    binText(out, e.orderId.str());
    binOptId(out, e.childOrderId);
    binText(out, e.session.str());
    binText(out, e.clOrdId.str());
    binOptId(out, e.origClOrdId);
    binText(out, e.eventType);
    binTextOrNull(out, e.execType ? toString(*e.execType) : std::string_view());
    binOptId(out, e.execId);
    binText(out, toString(e.status));
    binNum(out, e.qty);
    binOptNum(out, e.price);
    binNum(out, e.cumQty);
    binNum(out, e.leavesQty);
    binNum(out, e.avgPx);
    binNum(out, e.lastQty);
    binNum(out, e.lastPx);
    binTextOrNull(out, e.reasonCode);
    binTextOrNull(out, e.text);
    binTextOrNull(out, eventRawFix(e));
    binTimestamptz(out, e.ts);
  }

  // The batch's messages of one session, already in COPY text form (see schema 0008).
  struct MessageChunk {
    std::string session;
    WallNanos first = 0, last = 0;
    int n = 0;  // 0: unused in this batch
    std::string body;
  };

  // A chunk field: sanitized, with the chunk's own separators (never in a well-formed message)
  // written as the text \x02 / \x03, as sanitizeUtf8 writes bytes that are not UTF-8.
  static void appendChunkField(std::string& out, std::string_view s) {
    detail::appendSanitized(out, s, /*escapeStxEtx=*/true);
  }

  void appendMessage(const FixMessageRec& m) {
    MessageChunk* c = nullptr;
    for (MessageChunk& x : chunks_) {
      if (x.n > 0 && x.session == m.session.str()) {
        c = &x;
        break;
      }
    }
    if (c == nullptr) {
      for (MessageChunk& x : chunks_) {
        if (x.n == 0) {
          c = &x;
          break;
        }
      }
      if (c == nullptr) c = &chunks_.emplace_back();
      c->session = m.session.str();
      c->body.clear();
      c->first = c->last = m.ts;
    } else {
      c->body += kChunkRecordSep;
    }
    ++c->n;
    c->first = std::min(c->first, m.ts);
    c->last = std::max(c->last, m.ts);
    std::string& out = c->body;
    out += m.inbound ? 'I' : 'O';
    out += kChunkFieldSep;
    appendChunkField(out, m.msgType);
    out += kChunkFieldSep;
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, m.msgSeqNum);
    out.append(buf, r.ptr);
    out += kChunkFieldSep;
    const WallNanos us = m.ts >= 0 ? m.ts / 1000 : -((-m.ts + 999) / 1000);
    r = std::to_chars(buf, buf + sizeof buf, us);
    out.append(buf, r.ptr);
    out += kChunkFieldSep;
    appendChunkField(out, m.raw);
  }

  void appendChunkRow(const MessageChunk& c) {
    using namespace detail;
    if (c.n == 0) return;
    std::string& out = messageRows;
    binBeginRow(out, 5);
    binText(out, c.session);
    binTimestamptz(out, c.first);
    binTimestamptz(out, c.last);
    binInt4(out, c.n);
    const size_t at = binBeginField(out);
    out += c.body;  // already sanitized (appendChunkField)
    binEndField(out, at);
  }

  void appendExec(const ExecutionRec& x) {
    using namespace detail;
    std::string& out = execRows;
    binBeginRow(out, 19);
    binText(out, x.execId.str());
    binText(out, x.orderId.str());
    binOptId(out, x.childOrderId);
    binText(out, x.session.str());
    binText(out, x.clOrdId.str());
    binText(out, x.account.str());
    binText(out, x.symbol.str());
    binText(out, toString(x.side));
    binNum(out, x.lastQty);
    binNum(out, x.lastPx);
    binNum(out, x.cumQty);
    binNum(out, x.leavesQty);
    binNum(out, x.avgPx);
    binOptId(out, x.venue);
    binOptId(out, x.venueExecId);
    binTimestamptz(out, x.ts);
    binOptNum(out, x.fee);
    binTextOrNull(out, x.feeCurrency);
    binNum(out, x.contractSize);
  }

  std::vector<const JournalRecord*> sessions_;
  std::vector<MessageChunk> chunks_;  // reused; n == 0 marks a free one
  size_t stagedOrders_ = 0;
  std::vector<const OrderEventRec*> events_;
  std::vector<OrderSlot> slots_;
  std::unordered_map<std::string_view, size_t> slotIndex_;
};

uint64_t nanosSince(std::chrono::steady_clock::time_point t0) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct PgJournal::Impl {
  explicit Impl(PgJournalConfig c)
      : cfg(std::move(c)), redacted(redactConninfo(cfg.conninfo)), batchPrefix(makeBatchPrefix()) {
    if (cfg.maxBatch == 0) cfg.maxBatch = 1;
    if (cfg.flushIntervalNanos <= 0) cfg.flushIntervalNanos = 2'000'000;
    // Without it the writer still works: it only notices records at the poll timeout.
    wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  }
  ~Impl() {
    if (wakeFd >= 0) ::close(wakeFd);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  bool stopRequested() {
    std::lock_guard lk(mu);
    return stopping;
  }

  // Wakes the writer if it sleeps or polls an in-flight COMMIT (takes mu).
  void wakeWriter() {
    bool wake;
    {
      std::lock_guard lk(mu);
      wake = writerWaiting;
      wakePollingWriter();
    }
    if (wake) workCv.notify_one();
  }
  // An append (or afterCommit) made inside an output round (core/output_cork.h: an engine
  // batch, inline work on a FIX thread) wakes the writer when the round ends, after its
  // reports are written: the futex or eventfd write, and the writer thread that then wants a
  // core, come after the order's first report instead of before it. The writer still takes
  // everything appended by then; an uncorked append wakes it at once, as before.
  struct DeferredWake final : cork::Flushable {
    explicit DeferredWake(Impl* i) : impl(i) {}
    bool flushCorked() noexcept override {
      impl->wakeWriter();
      return true;
    }
    Impl* impl;
  };
  const std::shared_ptr<DeferredWake> deferredWake = std::make_shared<DeferredWake>(this);

  // Needs mu: wakes the writer if it polls an in-flight COMMIT.
  void wakePollingWriter() const {
    if (!writerPolling || wakeFd < 0) return;
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t put = ::write(wakeFd, &one, sizeof one);
  }

  PgJournalConfig cfg;
  const std::string redacted;
  const std::string batchPrefix;
  uint64_t batchCounter = 0;  // writer thread only

  mutable std::mutex mu;
  std::condition_variable workCv;  // the writer waits for records / callbacks / stop
  bool writerWaiting = false;      // the writer sleeps on workCv (guarded by mu)
  std::condition_variable doneCv;  // flush() waits for commits
  std::vector<JournalRecord> queue;
  // Callback tagged with the number of records appended before it was registered.
  std::deque<std::pair<uint64_t, std::function<void()>>> callbacks;
  uint64_t appended = 0;
  uint64_t committed = 0;
  bool running = false;
  bool stopping = false;
  std::thread writer;
  // afterCommit callbacks run on a thread of their own, in registration order: delivering the
  // acknowledgements (FIX sends and their message-log appends) then overlaps writing and
  // committing the next batches instead of holding up the writer, which is the serial part.
  std::thread notifier;
  std::mutex cbMu;
  std::condition_variable cbCv;
  std::vector<std::function<void()>> cbQueue;  // guarded by cbMu
  bool cbStop = false;                         // guarded by cbMu
  bool notifierWaiting = false;                // the notifier sleeps on cbCv (guarded by cbMu)

  std::unique_ptr<PgConn> conn;  // writer thread only (and start()): the one being written on
  // Pipelining (cfg.pipeline): the second connection while it is idle. The one whose COMMIT is in
  // flight lives in the writer's InFlight.
  std::unique_ptr<PgConn> spare;
  std::chrono::steady_clock::time_point pipelineRetryAt{};  // after the spare failed to connect
  CopyBatch copy;                                           // writer thread only
  // Wakes the writer while it polls an in-flight COMMIT (an eventfd; see waitInFlight).
  int wakeFd = -1;
  bool writerPolling = false;  // guarded by mu

  std::atomic<uint64_t> statRecords{0}, statBatches{0}, statFailures{0}, statRejected{0};
  std::atomic<uint64_t> statBuildNanos{0}, statWriteNanos{0}, statCommitNanos{0};
  std::atomic<uint64_t> statCommitWaitNanos{0}, statPipelined{0};
  std::atomic<uint64_t> statRoundTrips{0};  // PgConn::roundTripSink of every connection

  void connect() {
    conn.reset();
    auto c = std::make_unique<PgConn>(cfg.conninfo);
    // appendQuoted() relies on standard_conforming_strings, sanitizeUtf8() on UTF8.
    if (PQsetClientEncoding(c->raw(), "UTF8") != 0) {
      throw DbError("cannot set client_encoding UTF8: " + trimmed(PQerrorMessage(c->raw())), "",
                    !c->ok());
    }
    c->exec("SET standard_conforming_strings = on");
    // Name the connection for pg_stat_activity unless the conninfo already did.
    const char* app = PQparameterStatus(c->raw(), "application_name");
    if (app == nullptr || *app == '\0') c->exec("SET application_name = 'fixgw-journal'");
    c->exec(kCreateStage);
    c->roundTripSink = &statRoundTrips;
    conn = std::move(c);
  }

  void checkSchema() {
    const auto v = conn->queryValue(
        "SELECT to_regclass('schema_migrations') IS NOT NULL AND to_regclass('orders') IS NOT "
        "NULL AND to_regclass('order_events') IS NOT NULL AND to_regclass('executions') IS NOT "
        "NULL AND to_regclass('journal_batches') IS NOT NULL");
    if (v != "t") {
      throw std::runtime_error(
          "PgJournal: the fixgw tables are missing in this database's search_path (" + redacted +
          "); run the schema migrations first (store::migrate)");
    }
  }

  // Rolls back whatever a failed attempt left open, so the connection can be reused; a
  // connection that cannot even do that is dropped.
  void abandonTransaction() {
    if (!conn) return;
    if (!conn->ok()) {
      conn.reset();
      return;
    }
    if (!conn->inTransaction()) return;
    try {
      conn->exec("ROLLBACK");
    } catch (const std::exception&) {
      conn.reset();
    }
  }

  std::string batchRowSql(const std::string& batchId, size_t records) {
    std::string sql = "INSERT INTO journal_batches (batch_id, records) VALUES (";
    appendQuoted(sql, batchId);
    sql += ',';
    sql += std::to_string(records);
    sql += ')';
    return sql;
  }

  // How writeBatch ends the batch's transaction.
  enum class Tail {
    kCommit,        // COMMIT at the end of the script; returns once it is answered
    kOpen,          // no COMMIT: the transaction stays open (pipelined behind a COMMIT in flight)
    kCommitNoWait,  // COMMIT at the end of the script; returns once the last COPY's rows went out,
                    // the script's remaining answers (merge, COMMIT) collected by finishAsync()
  };

  // One transaction for the batch, the tables in bulk. Throws on any failure. The whole batch is
  // one simple-query script (PgConn::script): BEGIN, the journal_batches row, the few SQL-text
  // records, each COPY, the prepared merge (EXECUTE) and, unless kOpen, COMMIT.
  void writeBatch(const std::vector<const JournalRecord*>& recs, const std::string& batchId,
                  Tail tail = Tail::kCommit) {
    auto t0 = std::chrono::steady_clock::now();
    copy.build(recs);
    std::string& sql = scriptSql;
    sql.clear();
    sql += "BEGIN;\n";
    // The batch row by a prepared statement: as plain SQL its parse analysis and planning were
    // ~2% of a journal backend's CPU at 300-record batches (perf, issue 15).
    sql += "EXECUTE ";
    sql += kBatchRowName;
    sql += '(';
    appendQuoted(sql, batchId);
    sql += ',';
    sql += std::to_string(recs.size());
    sql += ");\n";
    if (!copy.sessionRecords().empty()) sql += buildBatchSql(copy.sessionRecords(), {});
    std::vector<const std::string*>& copies = scriptCopies;
    copies.clear();
    auto addCopy = [&](const char* copySql, const std::string& rows) {
      sql += copySql;
      sql += ";\n";
      copies.push_back(&rows);
    };
    if (!copy.newOrderRows.empty()) addCopy(kCopyNewOrders, copy.newOrderRows);
    const bool merge = !copy.orderRows.empty();
    if (merge) {
      if (conn->stageDeadRows >= kStageTruncateRows) {
        sql += kTruncateStage;
        sql += ";\n";
        conn->stageDeadRows = 0;
      }
      addCopy(kCopyStage, copy.orderRows);
      // Parsing, analysing and planning the merge took about a sixth of the server's CPU per
      // batch at durable-acknowledgement batch sizes (perf, issue 15): prepared once per session
      // (at first use: start() must first be able to tell an unmigrated schema clearly) and run
      // by name from the script.
      sql += "EXECUTE ";
      sql += kMergeStageName;
      sql += ";\n";
    }
    if (!copy.eventRows.empty()) addCopy(kCopyEvents, copy.eventRows);
    if (!copy.execRows.empty()) addCopy(kCopyExecs, copy.execRows);
    if (!copy.messageRows.empty()) addCopy(kCopyMessages, copy.messageRows);
    if (tail != Tail::kOpen) sql += "COMMIT";
    statBuildNanos += nanosSince(t0);

    t0 = std::chrono::steady_clock::now();
    if (!conn->batchRowPrepared) {
      conn->prepare(kBatchRowName, kBatchRow);
      conn->batchRowPrepared = true;
    }
    if (merge && !conn->mergePrepared) {
      conn->prepare(kMergeStageName, kMergeStage);
      conn->mergePrepared = true;
    }
    conn->script(sql, copies, tail != Tail::kCommitNoWait);
    if (merge) conn->stageDeadRows += copy.orderRowCount();
    const uint64_t took = nanosSince(t0);
    if (tail != Tail::kCommit) {
      statWriteNanos += took;
      return;
    }
    // The COMMIT (the WAL flush) is the script's last statement: its time is inside this one.
    statCommitNanos += took;
    metrics::gateway().journalCommit.observe(static_cast<int64_t>(took));
    statCommitWaitNanos += took;
  }
  std::string scriptSql;                         // writer thread only; reused
  std::vector<const std::string*> scriptCopies;  // writer thread only; reused

  // Data errors repeat on every retry. Write the batch record by record, each under a savepoint,
  // and keep what the database refuses in journal_rejects, so the rest commits and nothing is
  // lost. Still one transaction.
  void writeBatchSalvaging(const std::vector<const JournalRecord*>& recs,
                           const std::string& batchId) {
    conn->exec("BEGIN");
    conn->exec(batchRowSql(batchId, recs.size()));
    uint64_t rejected = 0;
    for (const JournalRecord* r : recs) {
      const std::string sql = buildBatchSql({r}, std::string());
      std::optional<std::string> error;
      conn->exec("SAVEPOINT record");
      try {
        conn->exec(sql);
        conn->exec("RELEASE SAVEPOINT record");
      } catch (const DbError& e) {
        if (!isDataError(e.sqlstate)) throw;
        error = e.what();
        conn->exec("ROLLBACK TO SAVEPOINT record");
        conn->exec("RELEASE SAVEPOINT record");
      }
      if (error) {
        std::string ins = "INSERT INTO journal_rejects (record_type, payload, error) VALUES (";
        appendQuoted(ins, recordType(*r));
        ins += ',';
        appendQuoted(ins, describe(*r));
        ins += ',';
        appendQuoted(ins, *error);
        ins += ')';
        conn->exec(ins);
        ++rejected;
        spdlog::error("journal: database refused a {} ({}); kept in journal_rejects: {}",
                      recordType(*r), *error, describe(*r));
      }
    }
    conn->exec("COMMIT");
    statRejected += rejected;
  }

  bool batchAlreadyCommitted(const std::string& batchId) {
    std::string q = "SELECT 1 FROM journal_batches WHERE batch_id = ";
    appendQuoted(q, batchId);
    return conn->queryValue(q).has_value();
  }

  std::string nextBatchId() { return batchPrefix + "-" + std::to_string(++batchCounter); }

  // Retries until the batch is committed. Only returns early if it is. retried: an attempt
  // already failed in a way that may have committed it (a lost COMMIT), so check first.
  void writeWithRetry(const std::vector<const JournalRecord*>& recs, const std::string& batchId,
                      bool retried = false) {
    auto backoff = std::chrono::milliseconds(50);
    bool salvage = false;
    for (;;) {
      try {
        if (!conn || !conn->ok()) connect();
        // After a failure the commit may have landed anyway (connection lost during COMMIT).
        if (retried && batchAlreadyCommitted(batchId)) return;
        if (salvage) {
          writeBatchSalvaging(recs, batchId);
        } else {
          writeBatch(recs, batchId);
        }
        if (retried) spdlog::info("journal: batch {} committed after retry", batchId);
        return;
      } catch (const DbError& e) {
        ++statFailures;
        retried = true;
        abandonTransaction();
        if (!e.connectionLost && isDataError(e.sqlstate) && !salvage) {
          spdlog::warn("journal: batch {} ({} records) refused ({}: {}); writing record by record",
                       batchId, recs.size(), e.sqlstate, e.what());
          salvage = true;
          continue;  // no backoff: this is not a connectivity problem
        }
        if (e.connectionLost) {
          conn.reset();
          spdlog::error("journal: batch {} failed on {}: {}; reconnecting in {} ms", batchId,
                        redacted, redactConninfo(e.what()), backoff.count());
        } else {
          spdlog::error("journal: batch {} failed ({}: {}); retrying in {} ms", batchId, e.sqlstate,
                        e.what(), backoff.count());
        }
      } catch (const std::exception& e) {
        ++statFailures;
        retried = true;
        conn.reset();
        spdlog::error("journal: batch {} failed on {}: {}; reconnecting in {} ms", batchId,
                      redacted, redactConninfo(e.what()), backoff.count());
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }

  // Hands callbacks whose records are committed to the notifier thread (in order).
  void runCallbacks(std::vector<std::function<void()>>& ready) {
    if (ready.empty()) return;
    bool wake;
    {
      std::lock_guard lk(cbMu);
      for (auto& cb : ready) cbQueue.push_back(std::move(cb));
      wake = notifierWaiting;  // a busy notifier takes the queue before it sleeps again
    }
    ready.clear();
    if (wake) cbCv.notify_one();
  }

  void notifierLoop() {
    std::vector<std::function<void()>> batch;
    for (;;) {
      {
        std::unique_lock lk(cbMu);
        while (!cbStop && cbQueue.empty()) {
          notifierWaiting = true;
          cbCv.wait(lk);
          notifierWaiting = false;
        }
        if (cbQueue.empty()) return;  // cbStop, and everything handed over has run
        batch.swap(cbQueue);
      }
      invokeCallbacks(batch);
    }
  }

  void invokeCallbacks(std::vector<std::function<void()>>& ready) {
    // One output round per release: the reports go out in one store append and
    // one socket write per session when it ends (core/output_cork.h).
    cork::Round round;
    for (auto& cb : ready) {
      try {
        cb();
      } catch (const std::exception& e) {
        spdlog::error("journal: afterCommit callback threw: {}", e.what());
      } catch (...) {
        spdlog::error("journal: afterCommit callback threw a non-standard exception");
      }
    }
    ready.clear();
  }

  // Moves the callbacks whose records are all committed into ready. Needs mu.
  void takeReadyCallbacks(std::vector<std::function<void()>>& ready) {
    while (!callbacks.empty() && callbacks.front().first <= committed) {
      ready.push_back(std::move(callbacks.front().second));
      callbacks.pop_front();
    }
  }

  // Emptied record vectors, kept with their capacity for the next queue: without them the queue
  // started empty after every batch and grew by doubling (moving every record each time, and
  // page-faulting in megabytes for the large ones), on the engine thread. Writer thread only.
  // Holds at most three batches' worth of memory.
  std::vector<std::vector<JournalRecord>> spareRecordVectors;
  static constexpr size_t kSpareRecordVectors = 3;

  // A batch taken from the queue. It owns its records, so the queue can be taken again while
  // the batch's COMMIT is in flight.
  struct Batch {
    Batch() = default;
    explicit Batch(Impl* o) : owner(o) {}
    Batch(Batch&&) = default;
    Batch& operator=(Batch&&) = default;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    // Destroyed on the writer thread: the records go, their vector's capacity is kept.
    ~Batch() {
      if (owner == nullptr || records.capacity() == 0) return;
      records.clear();
      if (owner->spareRecordVectors.size() < kSpareRecordVectors) {
        owner->spareRecordVectors.push_back(std::move(records));
      }
    }
    Impl* owner = nullptr;
    std::string id;
    std::vector<JournalRecord> records;
    std::vector<const JournalRecord*> ptrs;
  };
  // A batch whose COMMIT was sent on conn and not answered yet.
  struct InFlight {
    Batch batch;
    std::unique_ptr<PgConn> conn;
    std::chrono::steady_clock::time_point sentAt;
  };

  Batch takeBatch(std::vector<JournalRecord>& pending, size_t& pos) {
    Batch b(this);
    b.id = nextBatchId();
    const size_t n = std::min(cfg.maxBatch, pending.size() - pos);
    if (pos == 0 && n == pending.size()) {
      b.records.swap(pending);
      if (!spareRecordVectors.empty()) {
        pending = std::move(spareRecordVectors.back());  // becomes the next queue (see above)
        spareRecordVectors.pop_back();
      }
    } else {
      b.records.reserve(n);
      for (size_t i = pos; i < pos + n; ++i) b.records.push_back(std::move(pending[i]));
      pos += n;
    }
    b.ptrs.reserve(b.records.size());
    for (const JournalRecord& r : b.records) b.ptrs.push_back(&r);
    return b;
  }

  // Counts the batch as committed and takes the callbacks it made ready (the caller runs them).
  void completed(const Batch& b, std::vector<std::function<void()>>& ready) {
    statRecords += b.records.size();
    ++statBatches;
    {
      std::lock_guard lk(mu);
      committed += b.records.size();
      takeReadyCallbacks(ready);
    }
    doneCv.notify_all();
  }

  // Writes the batch on conn inside a transaction left open. False if that failed (the attempt
  // is rolled back and counted): the caller then writes it the plain way, writeWithRetry.
  bool tryWriteOpen(const Batch& b, Tail tail = Tail::kOpen) {
    try {
      if (!conn || !conn->ok()) {
        // The second connection is optional: if the server refuses it, batches go one at a
        // time on the first for a while instead of trying to connect on every batch.
        if (std::chrono::steady_clock::now() < pipelineRetryAt) return false;
        try {
          connect();
        } catch (...) {
          pipelineRetryAt = std::chrono::steady_clock::now() + std::chrono::seconds(5);
          throw;
        }
      }
      writeBatch(b.ptrs, b.id, tail);
      return true;
    } catch (const std::exception& e) {
      ++statFailures;
      abandonTransaction();
      spdlog::warn(
          "journal: batch {} not written ahead of the previous commit ({}); writing it on its own",
          b.id, redactConninfo(e.what()));
      return false;
    }
  }

  // Waits until the in-flight COMMIT is answered, or (wakeOnWork) until records or ready
  // callbacks arrive, at most timeout. Returns whether the answer is there.
  bool waitInFlight(InFlight& f, bool wakeOnWork, std::chrono::nanoseconds timeout) {
    if (f.conn->resultReady()) return true;
    if (wakeOnWork) {
      std::lock_guard lk(mu);
      if (stopping || !queue.empty() ||
          (!callbacks.empty() && callbacks.front().first <= committed))
        return false;
      writerPolling = true;
    }
    pollfd fds[2] = {{f.conn->socket(), POLLIN, 0}, {wakeFd, POLLIN, 0}};
    const auto ms64 = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
    const int ms = static_cast<int>(std::max<int64_t>(1, ms64));
    ::poll(fds, wakeOnWork && wakeFd >= 0 ? 2 : 1, ms);
    if (wakeOnWork) {
      std::lock_guard lk(mu);
      writerPolling = false;
    }
    if (wakeFd >= 0) {
      uint64_t drained;
      [[maybe_unused]] const ssize_t got = ::read(wakeFd, &drained, sizeof drained);
    }
    return f.conn->resultReady();
  }

  // Reads the in-flight COMMIT's answer. If it failed, the batch written behind it (open on conn,
  // nextOpen) is rolled back first, since it must not commit before, and the failed batch is
  // retried here until committed (checking first whether the lost COMMIT landed). Durability
  // stays a prefix of the append order. Returns whether the next batch's transaction is still
  // open.
  bool finishInFlight(InFlight& f, bool nextOpen, std::vector<std::function<void()>>& ready) {
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<std::string> error;
    try {
      while (!waitInFlight(f, false, std::chrono::seconds(1))) {
      }
      f.conn->finishAsync("COMMIT");
    } catch (const std::exception& e) {
      error = redactConninfo(e.what());
    }
    statCommitWaitNanos += nanosSince(t0);
    statCommitNanos += nanosSince(f.sentAt);
    metrics::gateway().journalCommit.observe(static_cast<int64_t>(nanosSince(f.sentAt)));
    if (!error) {
      if (!spare) spare = std::move(f.conn);
      completed(f.batch, ready);
      return nextOpen;
    }
    ++statFailures;
    spdlog::error("journal: COMMIT of batch {} failed ({}); retrying it before batch after it",
                  f.batch.id, *error);
    if (nextOpen) abandonTransaction();
    std::swap(conn, f.conn);  // retry on the failed batch's connection (or a new one)
    abandonTransaction();
    writeWithRetry(f.batch.ptrs, f.batch.id, /*retried=*/true);
    if (!spare) spare = std::move(f.conn);
    completed(f.batch, ready);
    return false;
  }

  // Fewest records worth a transaction of their own behind the COMMIT in flight. While an
  // acknowledgement waits for a COMMIT (afterCommit callbacks: the engine registers them only
  // with durable acks) that is a whole batch: the client's window bounds the orders in the
  // system, and a second transaction behind the flush only split them into two smaller ones
  // (29-32 orders per COMMIT at W=100 instead of 37-40, 7-20% more PostgreSQL CPU per order;
  // docs/performance.md, "Session 7: pgtxn"). Without such callbacks (async acks: a deep backlog)
  // writing behind the flush keeps the server busy, as before. 0 keeps "write whatever is
  // there". Needs mu.
  size_t minBehind() const {
    if (cfg.pipelineMinRecords == 0 || callbacks.empty()) return cfg.pipelineMinRecords;
    return std::max(cfg.pipelineMinRecords, cfg.maxBatch);
  }
  size_t minBehindLocked() {
    std::lock_guard lk(mu);
    return minBehind();
  }

  void writerLoop() {
    std::vector<JournalRecord> pending;  // taken from the queue, not yet in a batch
    size_t pos = 0;                      // first record of pending not yet in a batch
    std::vector<std::function<void()>> ready;
    std::optional<InFlight> inFlight;
    const auto interval = std::chrono::nanoseconds(cfg.flushIntervalNanos);
    for (;;) {
      {
        std::unique_lock lk(mu);
        if (pos == pending.size()) {
          pending.clear();
          pos = 0;
          if (!inFlight) {
            writerWaiting = true;
            workCv.wait_for(lk, interval, [&] {
              return stopping || !queue.empty() ||
                     (!callbacks.empty() && callbacks.front().first <= committed);
            });
            writerWaiting = false;
          }
          pending.swap(queue);
        } else if (!queue.empty() && pending.size() - pos < minBehind()) {
          // Records that came while a COMMIT was in flight join the few held back for it. The
          // consumed prefix goes first, so growing `pending` never moves records already
          // written. A larger remainder is written first in maxBatch slices and the queue
          // waits: appending a deep backlog here (async acks under load) used to move every
          // queued record (~0.5 kB each) again on each reallocation.
          if (pos > 0) {
            pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(pos));
            pos = 0;
          }
          pending.reserve(pending.size() + queue.size());
          pending.insert(pending.end(), std::make_move_iterator(queue.begin()),
                         std::make_move_iterator(queue.end()));
          queue.clear();
        }
        takeReadyCallbacks(ready);
        if (pending.empty() && ready.empty() && !inFlight && stopping) return;
      }
      runCallbacks(ready);
      if (pos == pending.size()) {
        // Nothing to write behind the in-flight COMMIT: wait for its answer or for records.
        if (inFlight && waitInFlight(*inFlight, true, interval)) {
          finishInFlight(*inFlight, false, ready);
          inFlight.reset();
          runCallbacks(ready);
        }
        continue;
      }
      if (inFlight && pending.size() - pos < minBehindLocked() && !stopRequested()) {
        // Too few to be worth a transaction of their own behind the COMMIT: let them (and what
        // comes meanwhile) wait for it and form the next batch together. Appends do not wake
        // this wait; the COMMIT's answer (or the interval) ends it.
        if (waitInFlight(*inFlight, false, interval)) {
          finishInFlight(*inFlight, false, ready);
          inFlight.reset();
          runCallbacks(ready);
        }
        continue;
      }

      Batch b = takeBatch(pending, pos);
      if (!cfg.pipeline) {
        writeWithRetry(b.ptrs, b.id);
        completed(b, ready);
        runCallbacks(ready);
        continue;
      }
      // Render and send this batch while the previous one's COMMIT (the WAL flush) is in flight;
      // commit it only once that COMMIT has succeeded, so batches commit in order.
      const bool behind = inFlight.has_value();
      if (!behind) {
        // Nothing in flight: COMMIT ends the batch's script and the writer goes on as soon as
        // the rows went out (one round trip fewer per batch; a lone order's ack waits for one
        // answer instead of two). The script's answers are read as the in-flight COMMIT's.
        if (tryWriteOpen(b, Tail::kCommitNoWait)) {
          inFlight = InFlight{std::move(b), std::move(conn), std::chrono::steady_clock::now()};
          conn = std::move(spare);
          runCallbacks(ready);
          continue;
        }
        // Not written: the plain way below. A failure cannot have committed it (the server
        // skips a script's COMMIT after an error, and one cut short never runs), but
        // writeWithRetry checks journal_batches first all the same.
        if ((!conn || !conn->ok()) && spare && spare->ok()) std::swap(conn, spare);
        writeWithRetry(b.ptrs, b.id, /*retried=*/true);
        completed(b, ready);
        runCallbacks(ready);
        continue;
      }
      bool open = tryWriteOpen(b);
      if (inFlight) {
        open = finishInFlight(*inFlight, open, ready);
        inFlight.reset();
      }
      bool maybeCommitted = false;
      if (open) {
        try {
          conn->sendAsync("COMMIT");
          if (behind) ++statPipelined;
          inFlight = InFlight{std::move(b), std::move(conn), std::chrono::steady_clock::now()};
          conn = std::move(spare);
        } catch (const std::exception& e) {
          ++statFailures;
          maybeCommitted = true;
          spdlog::error("journal: sending COMMIT of batch {} failed ({}); retrying it", b.id,
                        redactConninfo(e.what()));
          abandonTransaction();
          open = false;
        }
      }
      if (!open) {
        if ((!conn || !conn->ok()) && spare && spare->ok()) std::swap(conn, spare);
        writeWithRetry(b.ptrs, b.id, maybeCommitted);
        completed(b, ready);
      }
      // After the COMMIT went out: the acknowledgements overlap the WAL flush of the next batch.
      runCallbacks(ready);
    }
  }
};

PgJournal::PgJournal(PgJournalConfig cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}

PgJournal::~PgJournal() {
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("journal: stop failed in destructor: {}", e.what());
  }
}

void PgJournal::start() {
  Impl& m = *impl_;
  {
    std::lock_guard lk(m.mu);
    if (m.running) return;
  }
  try {
    m.connect();
  } catch (const std::exception& e) {
    m.conn.reset();
    throw std::runtime_error("PgJournal: cannot connect to PostgreSQL (" + m.redacted +
                             "): " + redactConninfo(e.what()));
  }
  try {
    m.checkSchema();
  } catch (const DbError& e) {
    m.conn.reset();
    throw std::runtime_error("PgJournal: cannot check the schema (" + m.redacted +
                             "): " + e.what());
  } catch (...) {
    m.conn.reset();
    throw;
  }
  spdlog::info("journal: connected to {}", m.redacted);
  std::lock_guard lk(m.mu);
  m.stopping = false;
  m.running = true;
  {
    std::lock_guard cl(m.cbMu);
    m.cbStop = false;
  }
  // Named so per-thread CPU (bench/run_cost_per_order.sh, top -H) tells them apart.
  m.notifier = std::thread([&m] {
    pthread_setname_np(pthread_self(), "jrnl-notify");
    m.notifierLoop();
  });
  m.writer = std::thread([&m] {
    pthread_setname_np(pthread_self(), "jrnl-writer");
    m.writerLoop();
  });
}

void PgJournal::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard lk(m.mu);
    if (!m.running) return;
    m.stopping = true;
    m.wakePollingWriter();
  }
  m.workCv.notify_all();
  m.writer.join();
  {
    std::lock_guard cl(m.cbMu);
    m.cbStop = true;
  }
  m.cbCv.notify_all();
  m.notifier.join();  // the last callbacks have run when stop() returns
  const Stats st = stats();
  spdlog::info(
      "journal: stopped; {} records in {} batches ({} written behind a commit), {} failed "
      "attempts, {} round trips; writer time: build {} ms, send+execute {} ms, commit {} ms "
      "(waited {} ms)",
      st.records, st.batches, st.pipelined, st.failures, st.roundTrips, st.buildNanos / 1'000'000,
      st.writeNanos / 1'000'000, st.commitNanos / 1'000'000, st.commitWaitNanos / 1'000'000);
  std::lock_guard lk(m.mu);
  m.running = false;
  m.stopping = false;
  m.conn.reset();
  m.spare.reset();
}

// Appends come from the engine thread at order rate: wake the writer (a
// futex syscall) only when it sleeps; a busy writer takes everything queued
// before it waits again.
void PgJournal::append(JournalRecord r) {
  Impl& m = *impl_;
  const bool corked = cork::active();
  bool wake = false;
  {
    std::lock_guard lk(m.mu);
    m.queue.push_back(std::move(r));
    ++m.appended;
    if (!corked) {
      wake = m.writerWaiting;
      m.wakePollingWriter();
    }
  }
  if (corked)
    cork::defer(m.deferredWake, cork::Phase::After);
  else if (wake)
    m.workCv.notify_one();
}

void PgJournal::afterCommit(std::function<void()> cb) {
  Impl& m = *impl_;
  bool wake;
  bool defer = false;
  {
    std::lock_guard lk(m.mu);
    m.callbacks.emplace_back(m.appended, std::move(cb));
    wake = m.writerWaiting;
    if (m.appended <= m.committed) {
      m.wakePollingWriter();
    } else if (cork::active()) {
      // Records still to commit (this round's, usually): wake the writer when the round ends.
      wake = false;
      defer = true;
    }
  }
  if (defer) cork::defer(m.deferredWake, cork::Phase::After);
  if (wake) m.workCv.notify_one();
}

void PgJournal::flush() {
  Impl& m = *impl_;
  std::unique_lock lk(m.mu);
  const uint64_t target = m.appended;
  if (m.committed >= target) return;
  if (!m.running) throw std::logic_error("PgJournal::flush: records pending but not started");
  m.workCv.notify_one();
  m.doneCv.wait(lk, [&] { return m.committed >= target; });
}

uint64_t PgJournal::queueDepth() const {
  Impl& m = *impl_;
  std::lock_guard lk(m.mu);
  return m.appended - m.committed;
}

PgJournal::Stats PgJournal::stats() const {
  const Impl& m = *impl_;
  Stats s;
  s.records = m.statRecords.load();
  s.batches = m.statBatches.load();
  s.failures = m.statFailures.load();
  s.rejected = m.statRejected.load();
  s.buildNanos = m.statBuildNanos.load();
  s.writeNanos = m.statWriteNanos.load();
  s.commitNanos = m.statCommitNanos.load();
  s.commitWaitNanos = m.statCommitWaitNanos.load();
  s.pipelined = m.statPipelined.load();
  s.roundTrips = m.statRoundTrips.load();
  return s;
}

}  // namespace fixgw::store
