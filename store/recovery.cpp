#include "store/recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <pqxx/pqxx>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "router/engine.h"
#include "store/order_details_json.h"

namespace fixgw::store {

namespace {

std::string str(const pqxx::field& f) { return f.is_null() ? std::string() : f.c_str(); }

template <class F>
F fixed(const pqxx::field& f, const char* what, const std::string& id) {
  auto v = F::parse(str(f));
  if (!v)
    throw std::runtime_error(std::string("recovery: bad ") + what + " '" + str(f) + "' for order " +
                             id);
  return *v;
}

template <class E>
E enumOf(std::optional<E> v, const pqxx::field& f, const char* what, const std::string& id) {
  if (!v)
    throw std::runtime_error(std::string("recovery: unknown ") + what + " '" + str(f) +
                             "' for order " + id);
  return *v;
}

// A pending cancel/replace does not survive a restart (its venue request may
// or may not have gone out); reconciliation settles the order instead.
OrdStatus settled(OrdStatus s, Qty cum) {
  if (s == OrdStatus::PendingCancel || s == OrdStatus::PendingReplace)
    return cum.isPositive() ? OrdStatus::PartiallyFilled : OrdStatus::New;
  return s;
}

}  // namespace

router::RecoveredState loadRecoveredState(const std::string& conninfo,
                                          const RecoveryScope& scope) {
  router::RecoveredState st;
  pqxx::connection conn(conninfo);
  pqxx::read_transaction tx(conn);

  // Sessions another live node holds the lease of (the key is the one
  // store/session_lease.cpp takes: schema and session key).
  std::unordered_set<std::string> foreign;
  for (const auto& r : tx.exec_params(
           "select distinct o.session_key from orders o where o.parent_order_id is null "
           "and exists (select 1 from pg_locks l where l.locktype = 'advisory' and l.granted "
           "and l.objsubid = 1 and l.pid <> $1 "
           "and l.database = (select oid from pg_database where datname = current_database()) "
           "and ((l.classid::bigint << 32) | l.objid::bigint) = "
           "hashtextextended(current_schema() || '|' || o.session_key, 0))",
           scope.leaseBackendPid))
    foreign.insert(str(r[0]));
  if (!foreign.empty())
    spdlog::info("recovery: {} FIX session(s) are run by another gateway on this database; "
                 "their orders are left to it",
                 foreign.size());
  auto mine = [&](const pqxx::field& session) { return !foreign.count(str(session)); };

  // Parents, with the exact sum of lastPx*lastQty of their fills.
  auto parents = tx.exec(
      "select o.order_id, o.session_key, o.cl_ord_id, o.orig_cl_ord_id, o.account, o.symbol, "
      "o.side, o.ord_type, o.tif, o.qty, o.price, o.status, o.cum_qty, o.avg_px, o.venue, "
      "(extract(epoch from o.created_at) * 1000000)::bigint, "
      "(select sum(x.last_px * x.last_qty)::text from executions x where x.order_id = o.order_id), "
      "o.stop_px, o.details::text from orders o where o.parent_order_id is null");
  st.parents.reserve(parents.size());
  for (const auto& r : parents) {
    std::string id = str(r[0]);
    st.maxIdPrefixMs = std::max(st.maxIdPrefixMs, router::IdGenerator::prefixMsOf(id));
    if (!mine(r[1])) continue;
    router::ParentOrder p;
    p.orderId = OrderId(id);
    p.session = SessionKey(str(r[1]));
    p.clOrdId = ClOrdId(str(r[2]));
    if (!r[3].is_null()) p.origClOrdId = ClOrdId(str(r[3]));
    p.account = Account(str(r[4]));
    p.symbol = Symbol(str(r[5]));
    p.side = enumOf(sideFromString(str(r[6])), r[6], "side", id);
    p.ordType = enumOf(ordTypeFromString(str(r[7])), r[7], "ord_type", id);
    p.tif = enumOf(tifFromString(str(r[8])), r[8], "tif", id);
    p.qty = fixed<Qty>(r[9], "qty", id);
    if (!r[10].is_null()) p.price = fixed<Price>(r[10], "price", id);
    p.cumQty = fixed<Qty>(r[12], "cum_qty", id);
    p.baseStatus = settled(enumOf(ordStatusFromString(str(r[11])), r[11], "status", id), p.cumQty);
    p.avgPx = fixed<Price>(r[13], "avg_px", id);
    if (!r[14].is_null()) p.venue = VenueId(str(r[14]));
    p.createdAt = r[15].as<int64_t>() * 1000;
    if (!r[16].is_null() && !router::parseRawNotional(str(r[16]), p.rawNotional))
      throw std::runtime_error("recovery: bad fill notional '" + str(r[16]) + "' for order " + id);
    if (p.rawNotional != 0) p.avgPx = averageFromRaw(p.rawNotional, p.cumQty);
    if (!r[17].is_null()) p.stopPx = fixed<Price>(r[17], "stop_px", id);
    if (!r[18].is_null()) {
      try {
        p.details = store::detailsFromJson(str(r[18]));
      } catch (const std::exception& e) {
        throw std::runtime_error("recovery: order " + id + ": " + e.what());
      }
    }
    st.parents.push_back(std::move(p));
  }

  // Children of open parents (done ones are not needed to trade on).
  auto children = tx.exec(
      "select c.order_id, c.parent_order_id, c.venue, c.venue_order_id, c.qty, c.price, "
      "c.cum_qty, c.status, c.stop_px, p.session_key from orders c join orders p on p.order_id = "
      "c.parent_order_id "
      "where p.status not in ('FILLED','CANCELED','REJECTED','EXPIRED')");
  std::unordered_map<std::string, router::ParentOrder*> byId;
  for (auto& p : st.parents) byId[p.orderId.str()] = &p;
  for (const auto& r : children) {
    if (!mine(r[9])) continue;
    router::ChildOrder c;
    std::string id = str(r[0]);
    c.id = ChildOrderId(id);
    c.parent = OrderId(str(r[1]));
    c.venue = VenueId(str(r[2]));
    if (!r[3].is_null()) c.venueOrderId = VenueOrderId(str(r[3]));
    c.qty = fixed<Qty>(r[4], "qty", id);
    if (!r[5].is_null()) c.price = fixed<Price>(r[5], "price", id);
    c.cumQty = fixed<Qty>(r[6], "cum_qty", id);
    c.status = enumOf(ordStatusFromString(str(r[7])), r[7], "status", id);
    if (!r[8].is_null()) c.stopPx = fixed<Price>(r[8], "stop_px", id);
    c.acked = !c.venueOrderId.empty();
    if (auto it = byId.find(c.parent.str()); it != byId.end()) it->second->children.push_back(c.id);
    st.children.push_back(std::move(c));
  }

  // Every ClOrdID a session used, first use wins (a duplicate's reject row
  // must not steal the original's id). Field-level rejects are not indexed.
  // A direct order's child lives in its parent's row (schema 0020): the same child as a row of
  // its own would give, under its derived id, marked direct so it stays there.
  if (tx.exec("select exists (select 1 from information_schema.columns where table_schema = "
              "current_schema() and table_name = 'orders' and column_name = 'child_status')")[0][0]
          .as<bool>()) {
    auto direct = tx.exec(
        "select p.order_id, p.venue, p.venue_order_id, coalesce(p.child_qty, p.qty), "
        "coalesce(p.child_price, p.price), coalesce(p.child_cum_qty, p.cum_qty), p.child_status, "
        "coalesce(p.child_stop_px, p.stop_px), p.session_key from orders p "
        "where p.child_status is not null and p.parent_order_id is null "
        "and p.status not in ('FILLED','CANCELED','REJECTED','EXPIRED')");
    for (const auto& r : direct) {
      if (!mine(r[8])) continue;
      const std::string parentId = str(r[0]);
      auto id = router::IdGenerator::directChildIdOf(OrderId(parentId));
      if (!id)
        throw std::runtime_error("recovery: order " + parentId +
                                 " carries a direct child but its id has no number");
      router::ChildOrder c;
      c.id = std::move(*id);
      const std::string cid = c.id.str();
      c.parent = OrderId(parentId);
      c.direct = true;
      c.venue = VenueId(str(r[1]));
      if (!r[2].is_null()) c.venueOrderId = VenueOrderId(str(r[2]));
      c.qty = fixed<Qty>(r[3], "qty", cid);
      if (!r[4].is_null()) c.price = fixed<Price>(r[4], "price", cid);
      c.cumQty = fixed<Qty>(r[5], "cum_qty", cid);
      c.status = enumOf(ordStatusFromString(str(r[6])), r[6], "status", cid);
      if (!r[7].is_null()) c.stopPx = fixed<Price>(r[7], "stop_px", cid);
      c.acked = !c.venueOrderId.empty();
      if (auto it = byId.find(parentId); it != byId.end()) it->second->children.push_back(c.id);
      st.children.push_back(std::move(c));
    }
  }

  auto ids = tx.exec(
      "select distinct on (session_key, cl_ord_id) session_key, cl_ord_id, order_id "
      "from order_events where order_id <> 'NONE' and cl_ord_id is not null "
      "and order_id not in (select order_id from order_events "
      "                     where reason_code like 'INVALID\\_FIELD\\_%') "
      "order by session_key, cl_ord_id, seq");
  st.clOrdIds.reserve(ids.size());
  for (const auto& r : ids)
    if (mine(r[0])) st.clOrdIds.emplace_back(SessionKey(str(r[0])), ClOrdId(str(r[1])), OrderId(str(r[2])));

  auto fills = tx.exec(
      "select child_order_id, venue_exec_id from executions "
      "where child_order_id is not null and venue_exec_id is not null");
  for (const auto& r : fills)
    st.bookedFills.emplace_back(ChildOrderId(str(r[0])), VenueExecId(str(r[1])));

  // Risk: positions are rebuilt by replaying every fill in time order; trading
  // states (kill switch) come back as last journaled per scope.
  auto riskFills = tx.exec(
      "select account, symbol, side, last_qty, last_px, "
      "(extract(epoch from exec_time) * 1000000)::bigint, exec_id from executions "
      "order by exec_time, exec_id");
  st.riskFills.reserve(riskFills.size());
  for (const auto& r : riskFills) {
    const std::string id = str(r[6]);
    risk::RestoredFill f;
    f.account = Account(str(r[0]));
    f.symbol = Symbol(str(r[1]));
    f.side = enumOf(sideFromString(str(r[2])), r[2], "side", id);
    f.qty = fixed<Qty>(r[3], "last_qty", id);
    f.px = fixed<Price>(r[4], "last_px", id);
    f.ts = r[5].as<int64_t>() * 1000;
    st.riskFills.push_back(std::move(f));
  }
  if (tx.exec("select to_regclass('v_trading_states') is not null")[0][0].as<bool>()) {
    for (const auto& r :
         tx.exec("select scope, coalesce(scope_key, ''), state from v_trading_states")) {
      auto scope = risk::scopeKindFromString(str(r[0]));
      auto state = risk::tradingStateFromString(str(r[2]));
      if (!scope || !state)
        throw std::runtime_error("recovery: bad trading state row " + str(r[0]) + " " + str(r[1]) +
                                 " " + str(r[2]));
      st.tradingStates.push_back(risk::RestoredState{*scope, str(r[1]), *state});
    }
  }

  // Algo parents paused when the gateway stopped (the last pause/resume event
  // of each open parent).
  for (const auto& r : tx.exec(
           "select order_id, event_type, coalesce(text, ''), session_key from ("
           "  select distinct on (e.order_id) e.order_id, e.event_type, e.text, o.session_key"
           "  from order_events e"
           "  join orders o on o.order_id = e.order_id and o.parent_order_id is null"
           "  where e.event_type in ('ALGO_PAUSED', 'ALGO_RESUMED')"
           "  and o.status not in ('FILLED','CANCELED','REJECTED','EXPIRED')"
           "  order by e.order_id, e.seq desc) last")) {
    if (str(r[1]) == "ALGO_PAUSED" && mine(r[3])) st.algoPauses.emplace_back(OrderId(str(r[0])), str(r[2]));
  }

  // Parents whose cancel was pending at the stop, with the request.
  for (const auto& r :
       tx.exec("select o.order_id, e.cl_ord_id, coalesce(e.orig_cl_ord_id, ''), e.event_type, "
               "o.session_key "
               "from orders o join lateral ("
               "  select x.cl_ord_id, x.orig_cl_ord_id, x.event_type from order_events x"
               "  where x.order_id = o.order_id and x.event_type in ('CANCEL_REQUESTED',"
               "  'MASS_CANCEL_REQUESTED', 'RISK_CANCEL_REQUESTED', 'DISCONNECT_CANCEL_REQUESTED')"
               "  order by x.seq desc limit 1) e on true "
               "where o.parent_order_id is null and o.status = 'PENDING_CANCEL'")) {
    if (!mine(r[4])) continue;
    router::RecoveredState::PendingCancel pc;
    pc.orderId = OrderId(str(r[0]));
    pc.clOrdId = ClOrdId(str(r[1]));
    pc.origClOrdId = ClOrdId(str(r[2]));
    pc.clientRequest = str(r[3]) == "CANCEL_REQUESTED";
    st.pendingCancels.push_back(std::move(pc));
  }

  auto hw = tx.exec(
      // A RECEIVED event's seq + 1 may be a direct order's ROUTED line with no row (0021).
      "select coalesce(max(seq + (event_type = 'RECEIVED')::int), 0), "
      "coalesce((extract(epoch from max(event_time)) * 1000000)::bigint, 0) from order_events");
  st.maxEventSeq = hw[0][0].as<int64_t>();
  st.lastEventTime = hw[0][1].as<int64_t>() * 1000;
  tx.commit();
  return st;
}

}  // namespace fixgw::store
