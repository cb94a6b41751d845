#include "store/session_lease.h"

#include <chrono>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "store/pg_journal.h"  // redactConninfo

namespace fixgw::store {

namespace {
// One 64-bit advisory lock key per (schema, session): schemas separate gateways (and tests)
// that share a database.
constexpr const char* kKey = "hashtextextended(current_schema() || '|' || $1, 0)";
// Who holds a session's lease: the lock's two 32-bit halves are classid (high) and objid (low).
std::string holderOf(pqxx::nontransaction& tx, const std::string& key) {
  const pqxx::result r =
      tx.exec_params(std::string("SELECT a.pid, coalesce(host(a.client_addr), 'a local socket'), "
                                 "a.application_name, a.backend_start::text "
                                 "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                                 "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                                 "AND l.database = (SELECT oid FROM pg_database "
                                 "WHERE datname = current_database()) "
                                 "AND ((l.classid::bigint << 32) | l.objid::bigint) = ") +
                         kKey,
                     key);
  if (r.empty()) return "another connection";
  return "PostgreSQL backend pid " + r[0][0].as<std::string>() + " from " +
         r[0][1].as<std::string>() + " ('" + r[0][2].as<std::string>() + "', connected since " +
         r[0][3].as<std::string>() + ")";
}
}  // namespace

struct SessionLease::Impl {
  std::string conninfo;
  std::unique_ptr<pqxx::connection> conn;
  size_t held = 0;
  std::vector<std::string> keys;  // what acquire() was asked for
};

SessionLease::SessionLease(std::string conninfo) : impl_(std::make_unique<Impl>()) {
  impl_->conninfo = std::move(conninfo);
}

SessionLease::~SessionLease() { release(); }

size_t SessionLease::held() const { return impl_->held; }

void SessionLease::release() {
  impl_->conn.reset();  // session-level advisory locks end with the session
  impl_->held = 0;
}

int SessionLease::backendPid() const {
  return impl_->conn && impl_->held ? impl_->conn->backendpid() : 0;
}

bool SessionLease::check() {
  Impl& m = *impl_;
  if (!m.conn || m.held == 0) return m.keys.empty();
  try {
    pqxx::nontransaction tx(*m.conn);
    const auto n = tx.exec1(
                         "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                         "AND pid = pg_backend_pid()")[0]
                       .as<size_t>();
    return n >= m.held;
  } catch (const std::exception&) {
    return false;
  }
}

bool SessionLease::reacquire() {
  std::vector<std::string> keys = impl_->keys;
  release();
  try {
    acquire(keys, 0);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void SessionLease::acquire(const std::vector<std::string>& sessionKeys, int waitMs) {
  Impl& m = *impl_;
  m.keys = sessionKeys;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  try {
    if (!m.conn) {
      m.conn = std::make_unique<pqxx::connection>(m.conninfo);
      pqxx::nontransaction(*m.conn).exec("SET application_name = 'fixgw-session-lease'");
    }
    for (const std::string& key : sessionKeys) {
      for (;;) {
        pqxx::nontransaction tx(*m.conn);
        if (tx.exec_params1(std::string("SELECT pg_try_advisory_lock(") + kKey + ")", key)[0]
                .as<bool>()) {
          ++m.held;
          break;
        }
        if (std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        throw std::runtime_error("FIX session " + key +
                                 " is already run by another gateway on this database: its "
                                 "lease (an advisory lock) is held by " +
                                 holderOf(tx, key) +
                                 ". Stop that gateway, or remove the session from this one's "
                                 "config.");
      }
    }
  } catch (const pqxx::failure& e) {
    release();
    throw std::runtime_error("session lease: database error on " + redactConninfo(m.conninfo) +
                             ": " + e.what());
  } catch (...) {
    release();
    throw;
  }
}

}  // namespace fixgw::store
