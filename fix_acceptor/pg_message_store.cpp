#include "fix_acceptor/pg_message_store.h"
#include "fix_acceptor/store_time.h"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <mutex>
#include <pqxx/pqxx>
#include <regex>
#include <stdexcept>
#include <utility>

namespace fixgw::fix {

std::string redactConninfo(std::string_view conninfo) {
  // key=value form: password='quoted \' value' or password=bare; the same
  // pattern covers the URI query parameter (?password=...&).
  static const std::regex kKeyValue(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*))",
                                    std::regex::icase);
  // URI form: postgresql://user:secret@host
  static const std::regex kUri(R"(((?:postgres|postgresql)://[^:/@\s]*:)[^@\s]*@)",
                               std::regex::icase);
  std::string s(conninfo);
  s = std::regex_replace(s, kKeyValue, "$1***");
  s = std::regex_replace(s, kUri, "$1***@");
  return s;
}

namespace {

constexpr const char* kPrefix = "PostgreSQL FIX session store";

// Statement names, prepared once per connection (libpqxx prepares lazily on
// first use and again after a reconnect).
constexpr const char* kEnsure = "fixstore_ensure";
constexpr const char* kLoad = "fixstore_load";
constexpr const char* kSetBump = "fixstore_set_bump";
constexpr const char* kSetOnly = "fixstore_set";
constexpr const char* kSender = "fixstore_sender";
constexpr const char* kTarget = "fixstore_target";
constexpr const char* kGet = "fixstore_get";
constexpr const char* kReset = "fixstore_reset";

// Creation times travel as integer microseconds since the epoch: exact in
// both directions (no floating point), and timestamptz holds microseconds.
constexpr const char* kMicrosToTs = "(timestamptz 'epoch' + $2::bigint * interval '1 microsecond')";

void prepareStatements(pqxx::connection& c) {
  c.prepare(kEnsure, std::string("INSERT INTO fix_sessions (session_key, creation_time, "
                                 "next_sender_seq, next_target_seq) VALUES ($1, ") +
                         kMicrosToTs + ", 1, 1) ON CONFLICT (session_key) DO NOTHING");
  c.prepare(kLoad,
            "SELECT (extract(epoch FROM creation_time) * 1000000)::bigint, next_sender_seq, "
            "next_target_seq FROM fix_sessions WHERE session_key = $1");
  // The message and the sender number that QuickFIX's incrNextSenderMsgSeqNum()
  // will ask for next, in one statement (one round trip, atomic).
  c.prepare(kSetBump,
            "WITH m AS (INSERT INTO fix_messages (session_key, msg_seq_num, message) "
            "VALUES ($1, $2, $3) ON CONFLICT (session_key, msg_seq_num) "
            "DO UPDATE SET message = EXCLUDED.message) "
            "UPDATE fix_sessions SET next_sender_seq = $4, updated_at = now() "
            "WHERE session_key = $1");
  c.prepare(kSetOnly,
            "INSERT INTO fix_messages (session_key, msg_seq_num, message) VALUES ($1, $2, $3) "
            "ON CONFLICT (session_key, msg_seq_num) DO UPDATE SET message = EXCLUDED.message");
  c.prepare(kSender,
            "UPDATE fix_sessions SET next_sender_seq = $2, updated_at = now() "
            "WHERE session_key = $1");
  c.prepare(kTarget,
            "UPDATE fix_sessions SET next_target_seq = $2, updated_at = now() "
            "WHERE session_key = $1");
  c.prepare(kGet,
            "SELECT message FROM fix_messages WHERE session_key = $1 "
            "AND msg_seq_num BETWEEN $2 AND $3 ORDER BY msg_seq_num");
  // Upsert rather than update: a reset also recreates a row deleted by hand.
  c.prepare(kReset,
            std::string("WITH d AS (DELETE FROM fix_messages WHERE session_key = $1) "
                        "INSERT INTO fix_sessions (session_key, creation_time, next_sender_seq, "
                        "next_target_seq) VALUES ($1, ") +
                kMicrosToTs +
                ", 1, 1) ON CONFLICT (session_key) DO UPDATE SET creation_time = "
                "EXCLUDED.creation_time, next_sender_seq = 1, next_target_seq = 1, "
                "updated_at = now()");
}

std::unique_ptr<pqxx::connection> connectTo(const std::string& conninfo) {
  auto c = std::make_unique<pqxx::connection>(conninfo);
  prepareStatements(*c);
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------

struct PgMessageStore::Impl {
  std::string conninfo;
  std::string key;

  // Everything below is guarded by mu. The connection is reopened lazily
  // after it broke. (QuickFIX's const getters reach this through the
  // unique_ptr, so nothing here needs to be mutable.)
  std::mutex mu;
  std::unique_ptr<pqxx::connection> conn;
  // After a failed write the cache may disagree with the database (the write
  // may or may not have landed): reload before the next use.
  bool stale = false;
  int nextSender = 1;
  int nextTarget = 1;
  // next_sender_seq as last written by set(); lets the increment that follows
  // a set() skip its round trip.
  int storedSender = 1;
  FIX::UtcTimeStamp creationTime;

  std::string fail(const char* what, const std::string& why) const {
    return std::string(kPrefix) + ": session " + key + ": " + what +
           " failed: " + redactConninfo(why);
  }

  // Runs fn(connection) with the connection open and the cache loaded.
  // pqxx::broken_connection: reopen and retry once (every statement here is
  // idempotent: absolute values, upserts). Any other error, or a second
  // failure: FIX::IOException, and the cache is reloaded on the next call.
  template <class F>
  auto run(const char* what, F&& fn) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!conn) conn = connectTo(conninfo);
        if (stale) {
          loadLocked();
          stale = false;
        }
        return fn(*conn);
      } catch (const pqxx::broken_connection& e) {
        conn.reset();
        // No reload before the retry: the retried statement brings the
        // database to exactly the state the cache is about to take, whether
        // or not the first attempt landed (reloading after a set() that did
        // land would read the sender number one ahead of QuickFIX's view).
        if (attempt == 0) {
          spdlog::warn("{}: session {}: connection lost during {}, reconnecting: {}", kPrefix, key,
                       what, redactConninfo(e.what()));
          continue;
        }
        stale = true;
        throw FIX::IOException(fail(what, e.what()));
      } catch (const FIX::IOException&) {
        stale = true;
        throw;
      } catch (const std::exception& e) {
        stale = true;
        throw FIX::IOException(fail(what, e.what()));
      }
    }
  }

  // Creates the row if missing and reads it into the cache.
  void loadLocked() {
    pqxx::nontransaction tx(*conn);
    tx.exec_prepared(kEnsure, key, toMicros(FIX::UtcTimeStamp()));
    const pqxx::result r = tx.exec_prepared(kLoad, key);
    tx.commit();
    if (r.size() != 1) throw std::runtime_error("session row vanished while loading it");
    creationTime = fromMicros(r[0][0].as<int64_t>());
    nextSender = r[0][1].as<int>();
    nextTarget = r[0][2].as<int>();
    storedSender = nextSender;
  }

  // For the single-row UPDATEs of fix_sessions: zero rows means someone
  // deleted the row under us.
  static void expectOneRow(const pqxx::result& r) {
    if (r.affected_rows() != 1) {
      throw std::runtime_error("its fix_sessions row is missing (deleted while in use?)");
    }
  }

  void writeSender(int value) {
    run("setNextSenderMsgSeqNum", [&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      expectOneRow(tx.exec_prepared(kSender, key, value));
      tx.commit();
    });
    nextSender = value;
    storedSender = value;
  }

  void writeTarget(int value) {
    run("setNextTargetMsgSeqNum", [&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      expectOneRow(tx.exec_prepared(kTarget, key, value));
      tx.commit();
    });
    nextTarget = value;
  }
};

PgMessageStore::PgMessageStore(const std::string& conninfo, const FIX::SessionID& id)
    : impl_(std::make_unique<Impl>()) {
  impl_->conninfo = conninfo;
  impl_->key = sessionKey(id);
  std::lock_guard lock(impl_->mu);
  try {
    impl_->conn = connectTo(conninfo);
    impl_->loadLocked();
  } catch (const std::exception& e) {
    throw FIX::ConfigError(std::string(kPrefix) + ": session " + impl_->key +
                           ": cannot load session state (" + redactConninfo(conninfo) +
                           "): " + redactConninfo(e.what()));
  }
}

PgMessageStore::~PgMessageStore() = default;

std::string PgMessageStore::sessionKey(const FIX::SessionID& id) { return id.toString(); }

bool PgMessageStore::set(int msgSeqNum, const std::string& message) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  const pqxx::binarystring bytes(message);
  // QuickFIX stores the message it is about to send with the current next
  // sender number and then increments; doing both here makes the increment
  // free and means a stored message is never re-used for another number
  // after a crash between the two calls (the peer sees a gap and asks for a
  // resend instead).
  bool bumped = false;
  m.run("set", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    bumped = msgSeqNum == m.nextSender;
    if (bumped) {
      Impl::expectOneRow(tx.exec_prepared(kSetBump, m.key, msgSeqNum, bytes, msgSeqNum + 1));
    } else {
      tx.exec_prepared(kSetOnly, m.key, msgSeqNum, bytes);
    }
    tx.commit();
  });
  if (bumped) m.storedSender = msgSeqNum + 1;
  return true;
}

void PgMessageStore::get(int begin, int end, std::vector<std::string>& out) const {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (end < begin) return;
  m.run("get", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared(kGet, m.key, begin, end);
    tx.commit();
    out.reserve(out.size() + r.size());
    for (const auto& row : r) out.push_back(pqxx::binarystring(row[0]).str());
  });
}

int PgMessageStore::getNextSenderMsgSeqNum() const {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.stale) m.run("getNextSenderMsgSeqNum", [](pqxx::connection&) {});
  return m.nextSender;
}

int PgMessageStore::getNextTargetMsgSeqNum() const {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.stale) m.run("getNextTargetMsgSeqNum", [](pqxx::connection&) {});
  return m.nextTarget;
}

void PgMessageStore::setNextSenderMsgSeqNum(int value) {
  std::lock_guard lock(impl_->mu);
  impl_->writeSender(value);
}

void PgMessageStore::setNextTargetMsgSeqNum(int value) {
  std::lock_guard lock(impl_->mu);
  impl_->writeTarget(value);
}

void PgMessageStore::incrNextSenderMsgSeqNum() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.stale) m.run("incrNextSenderMsgSeqNum", [](pqxx::connection&) {});
  const int next = m.nextSender + 1;
  if (m.storedSender == next) {
    m.nextSender = next;  // set() already made it durable
    return;
  }
  m.writeSender(next);
}

void PgMessageStore::incrNextTargetMsgSeqNum() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.stale) m.run("incrNextTargetMsgSeqNum", [](pqxx::connection&) {});
  m.writeTarget(m.nextTarget + 1);
}

FIX::UtcTimeStamp PgMessageStore::getCreationTime() const {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.stale) m.run("getCreationTime", [](pqxx::connection&) {});
  return m.creationTime;
}

void PgMessageStore::reset() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  // Microsecond precision, as the database keeps it: the cached value must
  // equal what a restart would load.
  const int64_t now = toMicros(FIX::UtcTimeStamp());
  m.run("reset", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared(kReset, m.key, now);
    tx.commit();
  });
  m.creationTime = fromMicros(now);
  m.nextSender = 1;
  m.nextTarget = 1;
  m.storedSender = 1;
}

void PgMessageStore::refresh() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.run("refresh", [&](pqxx::connection&) { m.loadLocked(); });
  m.stale = false;
}

// ---------------------------------------------------------------------------

PgMessageStoreFactory::PgMessageStoreFactory(std::string conninfo)
    : conninfo_(std::move(conninfo)) {
  // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "(" + std::string.
  std::string where = "(";
  where += redactConninfo(conninfo_);
  where += ')';
  if (conninfo_.empty()) {
    throw FIX::ConfigError(std::string(kPrefix) + ": empty conninfo");
  }
  try {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    const pqxx::row r = tx.exec1(
        "SELECT to_regclass('fix_sessions') IS NOT NULL, to_regclass('fix_messages') IS NOT NULL, "
        "coalesce(current_schema(), '<none>')");
    tx.commit();
    if (!r[0].as<bool>() || !r[1].as<bool>()) {
      throw FIX::ConfigError(std::string(kPrefix) +
                             ": tables fix_sessions/fix_messages not found " + "in schema " +
                             r[2].as<std::string>() + " " + where +
                             ": apply the schema migrations (schema/0002_fix_session_store.sql)");
    }
  } catch (const FIX::ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw FIX::ConfigError(std::string(kPrefix) + ": cannot connect to PostgreSQL " + where + ": " +
                           redactConninfo(e.what()));
  }
}

FIX::MessageStore* PgMessageStoreFactory::create(const FIX::SessionID& id) {
  return new PgMessageStore(conninfo_, id);
}

void PgMessageStoreFactory::destroy(FIX::MessageStore* store) { delete store; }

}  // namespace fixgw::fix
