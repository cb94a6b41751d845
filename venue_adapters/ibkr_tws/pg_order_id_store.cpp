#include "venue_adapters/ibkr_tws/pg_order_id_store.h"

#include <mutex>
#include <pqxx/pqxx>
#include <regex>
#include <stdexcept>

namespace fixgw::tws {

namespace {
std::string redact(const std::string& s) {
  static const std::regex pw(R"((password\s*=\s*)('[^']*'|\S+))", std::regex::icase);
  return std::regex_replace(s, pw, "$1***");
}
}  // namespace

struct PgOrderIdStore::Impl {
  std::string conninfo;
  std::string venue;
  std::mutex mu;
  std::unique_ptr<pqxx::connection> conn;

  pqxx::connection& connection() {
    if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(conninfo);
    return *conn;
  }
  template <class F>
  auto withRetry(const char* what, F&& f) {
    std::lock_guard lk(mu);
    for (int attempt = 0;; ++attempt) {
      try {
        return f(connection());
      } catch (const pqxx::broken_connection& e) {
        conn.reset();
        if (attempt == 1)
          throw std::runtime_error(std::string("order id store (") + venue + "): " + what + ": " +
                                   redact(e.what()));
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string("order id store (") + venue + "): " + what + ": " +
                                 redact(e.what()));
      }
    }
  }
};

PgOrderIdStore::PgOrderIdStore(std::string conninfo, std::string venue)
    : impl_(std::make_unique<Impl>()) {
  impl_->conninfo = std::move(conninfo);
  impl_->venue = std::move(venue);
  load();  // fail at start-up (no connection, table missing), not on the first order
}

PgOrderIdStore::~PgOrderIdStore() = default;

int64_t PgOrderIdStore::load() {
  return impl_->withRetry("load", [&](pqxx::connection& c) -> int64_t {
    pqxx::work tx(c);
    auto r =
        tx.exec_params("select high_water from venue_order_ids where venue = $1", impl_->venue);
    tx.commit();
    return r.empty() ? 0 : r[0][0].as<int64_t>();
  });
}

void PgOrderIdStore::save(int64_t id) {
  impl_->withRetry("save", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "insert into venue_order_ids (venue, high_water) values ($1, $2) "
        "on conflict (venue) do update set high_water = greatest(venue_order_ids.high_water, "
        "excluded.high_water), updated_at = now()",
        impl_->venue, id);
    tx.commit();
  });
}

}  // namespace fixgw::tws
