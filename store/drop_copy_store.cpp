#include "store/drop_copy_store.h"

#include <pqxx/pqxx>
#include <stdexcept>

#include "store/order_details_json.h"
#include "store/pg_journal.h"

namespace fixgw::store {

namespace {

std::string str(const pqxx::field& f) { return f.is_null() ? std::string() : f.c_str(); }

std::optional<ExecType> execTypeFromString(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(ExecType::OrderStatus); ++i) {
    auto e = static_cast<ExecType>(i);
    if (toString(e) == s) return e;
  }
  return std::nullopt;
}

template <class F>
F fixedOr(const pqxx::field& f, const char* what, int64_t eventId) {
  if (f.is_null()) return F{};
  auto v = F::parse(str(f));
  if (!v)
    throw std::runtime_error(std::string("drop copy: bad ") + what + " '" + str(f) +
                             "' in journal event " + std::to_string(eventId));
  return *v;
}

// A SQL string literal. Not pqxx's quote(): its "'" + std::string&& trips GCC 12's
// -Wrestrict false positive (GCC PR 105651) in every file that instantiates it.
std::string literal(pqxx::work& tx, const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += tx.esc(s);
  out += '\'';
  return out;
}

template <class E>
E enumOr(std::optional<E> v, E dflt) {
  return v ? *v : dflt;
}

}  // namespace

struct PgDropCopySource::Impl {
  std::string conninfo;
  std::unique_ptr<pqxx::connection> conn;

  pqxx::connection& c() {
    if (!conn || !conn->is_open()) {
      conn.reset();
      try {
        conn = std::make_unique<pqxx::connection>(conninfo);
      } catch (const std::exception& e) {
        throw std::runtime_error("drop copy: cannot connect to PostgreSQL (" +
                                 redactConninfo(conninfo) + "): " + redactConninfo(e.what()));
      }
    }
    return *conn;
  }

  // Runs f in a transaction; a failure drops the connection (the next call reconnects) and is
  // rethrown with any conninfo in it redacted.
  template <class T, class F>
  T run(F&& f) {
    try {
      pqxx::work tx(c());
      T out = f(tx);
      tx.commit();
      return out;
    } catch (const pqxx::broken_connection& e) {
      conn.reset();
      throw std::runtime_error("drop copy: PostgreSQL connection lost: " +
                               redactConninfo(e.what()));
    } catch (const pqxx::sql_error& e) {
      conn.reset();
      throw std::runtime_error("drop copy: SQL error: " + redactConninfo(e.what()));
    }
  }
};

PgDropCopySource::PgDropCopySource(std::string conninfo) : impl_(std::make_unique<Impl>()) {
  impl_->conninfo = std::move(conninfo);
}

PgDropCopySource::~PgDropCopySource() = default;

fix::DropCopyMark PgDropCopySource::loadMark(const SessionKey& dc) {
  return impl_->run<fix::DropCopyMark>([&](pqxx::work& tx) {
    fix::DropCopyMark m;
    auto r = tx.exec(
        "select delivered_event_id, sending_upto from drop_copy_marks "
        "where session_key = " +
        literal(tx, dc.str()));
    if (!r.empty()) {
      m.delivered = r[0][0].as<int64_t>();
      m.sendingUpto = r[0][1].as<int64_t>();
    }
    return m;
  });
}

void PgDropCopySource::markSending(const SessionKey& dc, int64_t upto) {
  impl_->run<int>([&](pqxx::work& tx) {
    tx.exec("insert into drop_copy_marks (session_key, sending_upto) values (" +
            literal(tx, dc.str()) + ", " + std::to_string(upto) +
            ") on conflict (session_key) do update set sending_upto = excluded.sending_upto, "
            "updated_at = now()");
    return 0;
  });
}

void PgDropCopySource::markDelivered(const SessionKey& dc, int64_t eventId) {
  impl_->run<int>([&](pqxx::work& tx) {
    tx.exec("insert into drop_copy_marks (session_key, delivered_event_id) values (" +
            literal(tx, dc.str()) + ", " + std::to_string(eventId) +
            ") on conflict (session_key) do update set delivered_event_id = "
            "excluded.delivered_event_id, updated_at = now()");
    return 0;
  });
}

std::vector<fix::JournaledReport> PgDropCopySource::reportsAfter(int64_t after,
                                                                 const fix::DropCopySelection& sel,
                                                                 size_t limit) {
  return impl_->run<std::vector<fix::JournaledReport>>([&](pqxx::work& tx) {
    // The selection as SQL literals (quoted by the server's rules, so an account or session
    // name cannot change the query).
    std::string where;
    if (sel.allAccounts) {
      where = "true";
    } else {
      std::vector<std::string> terms;
      if (!sel.accounts.empty()) {
        std::string in;
        for (const auto& a : sel.accounts) {
          if (!in.empty()) in += ", ";
          in += literal(tx, a.str());
        }
        terms.push_back("o.account in (" + in + ")");
      }
      if (!sel.sessions.empty()) {
        std::string in;
        for (const auto& s : sel.sessions) {
          if (!in.empty()) in += ", ";
          in += literal(tx, s.str());
        }
        terms.push_back("e.session_key in (" + in + ")");
      }
      if (terms.empty()) return std::vector<fix::JournaledReport>{};
      where = terms[0];
      for (size_t i = 1; i < terms.size(); ++i) where += " or " + terms[i];
    }
    // Only this gateway's own sessions (DropCopySelection::ownSessions): the
    // rows of a second gateway on the same database are not ours to copy.
    if (!sel.ownSessions.empty()) {
      std::string in;
      for (const auto& s : sel.ownSessions) {
        if (!in.empty()) in += ", ";
        in += literal(tx, s.str());
      }
      where = "(" + where + ") and e.session_key in (" + in + ")";
    }
    // exec_id is set exactly on the events a report was sent for; status replies (H, AF) are
    // answers to one client's question, not order events, and are not journaled as such.
    auto rows = tx.exec(
        "select e.event_id, e.session_key, e.order_id, e.exec_id, e.exec_type, e.status, "
        "e.cl_ord_id, e.orig_cl_ord_id, e.qty, e.price, e.cum_qty, e.leaves_qty, e.avg_px, "
        "e.last_qty, e.last_px, e.text, "
        "(extract(epoch from e.event_time) * 1000000)::bigint, "
        "o.account, o.symbol, o.side, o.ord_type, o.tif, o.stop_px, o.venue, o.details::text "
        "from order_events e left join orders o on o.order_id = e.order_id "
        "where e.event_id > " +
        std::to_string(after) +
        " and e.exec_id is not null and e.exec_type <> 'ORDER_STATUS' and (" + where +
        ") order by e.event_id limit " + std::to_string(limit));
    std::vector<fix::JournaledReport> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      fix::JournaledReport jr;
      jr.eventId = r[0].as<int64_t>();
      jr.source = SessionKey(str(r[1]));
      ExecReport& x = jr.report;
      x.orderId = OrderId(str(r[2]));
      x.execId = ExecId(str(r[3]));
      auto et = execTypeFromString(str(r[4]));
      if (!et)
        throw std::runtime_error("drop copy: unknown exec_type '" + str(r[4]) +
                                 "' in journal event " + std::to_string(jr.eventId));
      x.execType = *et;
      x.ordStatus = enumOr(ordStatusFromString(str(r[5])), OrdStatus::New);
      x.clOrdId = ClOrdId(str(r[6]));
      if (!r[7].is_null()) x.origClOrdId = ClOrdId(str(r[7]));
      x.orderQty = fixedOr<Qty>(r[8], "qty", jr.eventId);
      if (!r[9].is_null()) x.price = fixedOr<Price>(r[9], "price", jr.eventId);
      x.cumQty = fixedOr<Qty>(r[10], "cum_qty", jr.eventId);
      x.leavesQty = fixedOr<Qty>(r[11], "leaves_qty", jr.eventId);
      x.avgPx = fixedOr<Price>(r[12], "avg_px", jr.eventId);
      x.lastQty = fixedOr<Qty>(r[13], "last_qty", jr.eventId);
      x.lastPx = fixedOr<Price>(r[14], "last_px", jr.eventId);
      x.text = str(r[15]);
      x.transactTime = r[16].as<int64_t>() * 1000;
      x.account = Account(str(r[17]));
      // An event whose order row is missing (the journal keeps events without foreign keys)
      // still goes out, with what the event knows.
      x.symbol = Symbol(r[18].is_null() ? "NONE" : str(r[18]));
      x.side = enumOr(sideFromString(str(r[19])), Side::Buy);
      x.ordType = enumOr(ordTypeFromString(str(r[20])), OrdType::Limit);
      x.tif = enumOr(tifFromString(str(r[21])), TimeInForce::Day);
      if (!r[22].is_null() && hasStopPrice(x.ordType))
        x.stopPx = fixedOr<Price>(r[22], "stop_px", jr.eventId);
      if (!hasLimitPrice(x.ordType)) x.price.reset();
      if (x.execType == ExecType::Trade && !r[23].is_null()) x.lastMkt = VenueId(str(r[23]));
      if (x.execType == ExecType::Rejected) x.ordRejReason = OrdRejReason::Other;
      if (!r[24].is_null()) {
        try {
          x.details = detailsFromJson(str(r[24]));
        } catch (const std::exception& e) {
          throw std::runtime_error("drop copy: order " + x.orderId.str() + ": " + e.what());
        }
      }
      out.push_back(std::move(jr));
    }
    return out;
  });
}

}  // namespace fixgw::store
