#include "apps/admin.h"

#include <poll.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>

#include "apps/admin_fix.h"
#include "config/config.h"
#include "core/metrics.h"
#include "router/engine.h"

namespace fixgw::admin {

namespace {

constexpr size_t kMaxRequest = 64 * 1024;

std::string errorJson(const std::string& msg) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(false);
  w.Key("error");
  w.String(msg.c_str(), static_cast<rapidjson::SizeType>(msg.size()));
  w.EndObject();
  return sb.GetString();
}

sockaddr_un address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(a.sun_path))
    throw std::runtime_error("admin socket path '" + path + "' is empty or too long");
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

// Reads up to the first newline (or EOF), waiting at most timeoutMs in total per poll.
bool readLine(int fd, std::string& out, int timeoutMs) {
  char buf[4096];
  while (out.find('\n') == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, timeoutMs);
    if (r <= 0) return false;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxRequest) return false;
  }
  if (auto nl = out.find('\n'); nl != std::string::npos) out.resize(nl);
  return !out.empty();
}

bool writeAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::optional<std::string> loadToken(const std::string& tokenFile) {
  if (const char* e = std::getenv("FIXGW_ADMIN_TOKEN"); e && *e) return std::string(e);
  if (tokenFile.empty()) return std::nullopt;
  std::ifstream in(tokenFile);
  if (!in) throw std::runtime_error("admin token file '" + tokenFile + "' cannot be read");
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return std::nullopt;
  return line;
}

bool tokenEquals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

AdminServer::AdminServer(std::string socketPath, std::string token, Handler handler)
    : path_(std::move(socketPath)), token_(std::move(token)), handler_(std::move(handler)) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
  sockaddr_un a = address(path_);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("admin socket: ") + std::strerror(errno));
  ::unlink(path_.c_str());  // a stale socket from a previous run
  // Owner-only from the first moment: no window where others could connect.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::umask(old);
  if (rc != 0 || ::listen(fd, 8) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("admin socket " + path_ + ": " + err);
  }
  ::chmod(path_.c_str(), 0600);
  listenFd_ = fd;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
  spdlog::info("admin: listening on {}", path_);
}

void AdminServer::stop() {
  if (listenFd_ < 0) return;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listenFd_);
  listenFd_ = -1;
  ::unlink(path_.c_str());
}

void AdminServer::run() {
  while (!stop_) {
    pollfd p{listenFd_, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r <= 0) continue;
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    try {
      serve(fd);
    } catch (const std::exception& e) {
      spdlog::error("admin: request failed: {}", e.what());
    }
    ::close(fd);
  }
}

void AdminServer::serve(int fd) {
  std::string line;
  if (!readLine(fd, line, 5000)) {
    writeAll(fd, errorJson("expected one JSON request line") + "\n");
    return;
  }
  rapidjson::Document doc;
  doc.Parse(line.c_str(), line.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    writeAll(fd, errorJson("request is not a JSON object") + "\n");
    return;
  }
  auto t = doc.FindMember("token");
  if (t == doc.MemberEnd() || !t->value.IsString() ||
      !tokenEquals(std::string(t->value.GetString(), t->value.GetStringLength()), token_)) {
    spdlog::warn("admin: request refused: bad or missing token");
    writeAll(fd, errorJson("unauthorized") + "\n");
    return;
  }
  doc.RemoveMember("token");
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  doc.Accept(w);
  std::string resp;
  try {
    resp = handler_(sb.GetString());
  } catch (const std::exception& e) {
    resp = errorJson(e.what());
  }
  writeAll(fd, resp + "\n");
}

std::string request(const std::string& socketPath, const std::string& requestJson, int timeoutMs) {
  sockaddr_un a = address(socketPath);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot reach the gateway's admin socket " + socketPath + ": " + err);
  }
  std::string resp;
  bool ok = writeAll(fd, requestJson + "\n") && readLine(fd, resp, timeoutMs);
  ::close(fd);
  if (!ok) throw std::runtime_error("no answer from the gateway's admin socket " + socketPath);
  return resp;
}

// ---------------------------------------------------------------- the handler layer

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

// A bad request parameter: answered 400 naming it.
struct BadParam : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Forbidden : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct NotFound : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string field(const rapidjson::Value& d, const char* k, const std::string& dflt = {}) {
  auto it = d.FindMember(k);
  if (it == d.MemberEnd() || it->value.IsNull()) return dflt;
  if (!it->value.IsString()) throw BadParam(std::string("field '") + k + "' must be a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool flag(const rapidjson::Value& d, const char* k, bool dflt) {
  auto it = d.FindMember(k);
  if (it == d.MemberEnd()) return dflt;
  if (it->value.IsBool()) return it->value.GetBool();
  if (it->value.IsString()) {
    std::string v = it->value.GetString();
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
  }
  throw BadParam(std::string(k) + " must be true or false");
}

int64_t integer(const rapidjson::Value& d, const char* k, int64_t dflt, int64_t lo, int64_t hi) {
  auto it = d.FindMember(k);
  if (it == d.MemberEnd()) return dflt;
  int64_t v = 0;
  if (it->value.IsInt64()) {
    v = it->value.GetInt64();
  } else if (it->value.IsString()) {
    std::string t = it->value.GetString();
    size_t n = 0;
    try {
      v = std::stoll(t, &n);
    } catch (const std::exception&) {
      n = 0;
    }
    if (t.empty() || n != t.size())
      throw BadParam(std::string(k) + ": '" + t + "' is not an integer");
  } else {
    throw BadParam(std::string(k) + " must be an integer");
  }
  if (v < lo || v > hi)
    throw BadParam(std::string(k) + " must be between " + std::to_string(lo) + " and " +
                   std::to_string(hi));
  return v;
}

void requireOperator(const Caller& c, const std::string& cmd) {
  if (!c.isOperator)
    throw Forbidden("'" + cmd + "' needs an operator token; token '" + c.name + "' is read-only");
}

std::string isoTime(WallNanos t) {
  if (t <= 0) return {};
  time_t secs = static_cast<time_t>(t / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06lldZ", buf,
                static_cast<long long>((t % 1'000'000'000) / 1000));
  return out;
}

void parentJson(Writer& w, const router::ParentOrder& p) {
  w.StartObject();
  str(w, "order_id", p.orderId.str());
  str(w, "session", p.session.str());
  str(w, "cl_ord_id", p.clOrdId.str());
  str(w, "account", p.account.str());
  str(w, "symbol", p.symbol.str());
  str(w, "side", toString(p.side));
  str(w, "ord_type", toString(p.ordType));
  str(w, "tif", toString(p.tif));
  str(w, "qty", p.qty.str());
  str(w, "price", p.price ? p.price->str() : std::string());
  str(w, "status", toString(p.status()));
  str(w, "cum_qty", p.cumQty.str());
  str(w, "leaves_qty", p.leavesQty().str());
  str(w, "avg_px", p.avgPx.str());
  str(w, "venue", p.venue.str());
  str(w, "created_at", isoTime(p.createdAt));
  w.Key("algo");
  w.Bool(p.algo);
  w.EndObject();
}

// Every column as a string (numerics cast to text in SQL stay exact), null as null.
void rowsJson(Writer& w, const pqxx::result& r) {
  w.StartArray();
  for (const auto& row : r) {
    w.StartObject();
    for (const auto& f : row) {
      w.Key(f.name());
      if (f.is_null())
        w.Null();
      else
        w.String(f.c_str(), static_cast<rapidjson::SizeType>(f.size()));
    }
    w.EndObject();
  }
  w.EndArray();
}

const char* kOrderCols =
    "order_id, parent_order_id, session_key AS session, cl_ord_id, orig_cl_ord_id, account, "
    "symbol, side, ord_type, tif, qty::text AS qty, price::text AS price, status, "
    "cum_qty::text AS cum_qty, leaves_qty::text AS leaves_qty, avg_px::text AS avg_px, venue, "
    "venue_order_id, to_char(created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at, to_char(updated_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS updated_at";

// "2026-12-07T10:00:00Z" or anything PostgreSQL reads as timestamptz; 400 otherwise.
std::optional<std::string> checkedTime(pqxx::work& tx, const rapidjson::Value& p, const char* k) {
  std::string v = field(p, k);
  if (v.empty()) return std::nullopt;
  try {
    pqxx::subtransaction sub(tx, "ts");
    sub.exec_params("SELECT $1::timestamptz", v);
    sub.commit();
  } catch (const std::exception&) {
    throw BadParam(std::string(k) + ": '" + v + "' is not a timestamp (e.g. 2026-12-07T10:00:00Z)");
  }
  return v;
}

std::optional<OrdStatus> statusFilter(const std::string& st, bool& openOnly, bool& closedOnly) {
  openOnly = closedOnly = false;
  if (st.empty()) return std::nullopt;
  std::string up;
  for (char c : st) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up == "OPEN") {
    openOnly = true;
    return std::nullopt;
  }
  if (up == "CLOSED") {
    closedOnly = true;
    return std::nullopt;
  }
  if (auto s = ordStatusFromString(up)) return s;
  throw BadParam("state: '" + st +
                 "' is not open, closed or an OrdStatus (NEW, PARTIALLY_FILLED, FILLED, CANCELED, "
                 "REJECTED, EXPIRED, PENDING_NEW, PENDING_CANCEL, PENDING_REPLACE)");
}

Result cmdOrders(const rapidjson::Value& p, Backend& b) {
  const std::string account = field(p, "account"), symbol = field(p, "symbol");
  bool openOnly = false, closedOnly = false;
  auto st = statusFilter(field(p, "state"), openOnly, closedOnly);
  const int64_t limit = integer(p, "limit", 200, 1, 5000);
  std::string source = field(p, "source", openOnly ? "live" : "db");
  if (source != "live" && source != "db") throw BadParam("source must be live or db");
  if (source == "db" && b.conninfo.empty()) source = "live";
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  str(w, "source", source);
  w.Key("orders");
  if (source == "live") {
    if (!field(p, "from").empty() || !field(p, "to").empty())
      throw BadParam("from/to filter the history: use source=db");
    std::vector<const router::ParentOrder*> hits;
    b.onEngine([&] {
      for (const auto& [id, o] : b.engine->parents()) {
        if (!account.empty() && o.account.str() != account) continue;
        if (!symbol.empty() && o.symbol.str() != symbol) continue;
        if (openOnly && !o.isOpen()) continue;
        if (closedOnly && o.isOpen()) continue;
        if (st && o.status() != *st) continue;
        hits.push_back(&o);
      }
      std::sort(hits.begin(), hits.end(), [](auto* a, auto* c) {
        return a->createdAt != c->createdAt ? a->createdAt > c->createdAt
                                            : a->orderId.str() > c->orderId.str();
      });
      if (hits.size() > static_cast<size_t>(limit)) hits.resize(static_cast<size_t>(limit));
      // Serialised on the engine thread: the orders may change right after.
      w.StartArray();
      for (auto* o : hits) parentJson(w, *o);
      w.EndArray();
    });
  } else {
    pqxx::connection c(b.conninfo);
    pqxx::work tx(c);
    auto from = checkedTime(tx, p, "from");
    auto to = checkedTime(tx, p, "to");
    std::string sql = std::string("SELECT ") + kOrderCols +
                      " FROM orders WHERE parent_order_id IS NULL"
                      " AND ($1 = '' OR account = $1) AND ($2 = '' OR symbol = $2)"
                      " AND ($3 = '' OR status = $3)"
                      " AND ($4 = '' OR created_at >= NULLIF($4, '')::timestamptz)"
                      " AND ($5 = '' OR created_at < NULLIF($5, '')::timestamptz)";
    if (openOnly) sql += " AND status NOT IN ('FILLED','CANCELED','REJECTED','EXPIRED')";
    if (closedOnly) sql += " AND status IN ('FILLED','CANCELED','REJECTED','EXPIRED')";
    sql += " ORDER BY created_at DESC, order_id DESC LIMIT $6";
    auto r = tx.exec_params(sql, account, symbol, st ? std::string(toString(*st)) : std::string(),
                            from.value_or(""), to.value_or(""), limit);
    rowsJson(w, r);
  }
  w.EndObject();
  return {200, sb.GetString()};
}

Result cmdOrder(const rapidjson::Value& p, Backend& b) {
  const std::string id = field(p, "order_id");
  if (id.empty()) throw BadParam("order_id is required");
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  bool live = false;
  b.onEngine([&] {
    const router::ParentOrder* o = b.engine->find(OrderId(id));
    if (!o) return;
    live = true;
    w.Key("order");
    parentJson(w, *o);
    w.Key("children");
    w.StartArray();
    for (const auto& cid : o->children) {
      const router::ChildOrder* c = b.engine->child(cid);
      if (!c) continue;
      w.StartObject();
      str(w, "child_order_id", c->id.str());
      str(w, "venue", c->venue.str());
      str(w, "venue_order_id", c->venueOrderId.str());
      str(w, "qty", c->qty.str());
      str(w, "price", c->price ? c->price->str() : std::string());
      str(w, "cum_qty", c->cumQty.str());
      str(w, "status", toString(c->status));
      w.EndObject();
    }
    w.EndArray();
  });
  str(w, "source", live ? "live" : "db");
  if (!b.conninfo.empty()) {
    pqxx::connection c(b.conninfo);
    pqxx::work tx(c);
    if (!live) {
      auto r = tx.exec_params(std::string("SELECT ") + kOrderCols +
                                  " FROM orders WHERE order_id = $1 AND parent_order_id IS NULL",
                              id);
      if (r.empty()) throw NotFound("no order '" + id + "'");
      w.Key("order");
      pqxx::result one = r;
      // The single row as an object.
      w.StartObject();
      for (const auto& f : one[0]) {
        w.Key(f.name());
        if (f.is_null())
          w.Null();
        else
          w.String(f.c_str(), static_cast<rapidjson::SizeType>(f.size()));
      }
      w.EndObject();
      w.Key("children");
      rowsJson(w, tx.exec_params(std::string("SELECT ") + kOrderCols +
                                     " FROM orders_all WHERE parent_order_id = $1 ORDER BY created_at",
                                 id));
    }
    w.Key("events");
    rowsJson(w, tx.exec_params(
                    "SELECT seq::text AS seq, child_order_id, event_type, exec_type, exec_id, "
                    "status, cum_qty::text AS cum_qty, leaves_qty::text AS leaves_qty, "
                    "last_qty::text AS last_qty, last_px::text AS last_px, reason_code, text, "
                    "to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                    "AS event_time FROM v_order_lifecycle WHERE order_id = $1 ORDER BY event_id, seq",
                    id));
    w.Key("executions");
    rowsJson(w, tx.exec_params(
                    "SELECT exec_id, child_order_id, last_qty::text AS last_qty, "
                    "last_px::text AS last_px, cum_qty::text AS cum_qty, venue, venue_exec_id, "
                    "to_char(exec_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                    "AS exec_time FROM executions WHERE order_id = $1 ORDER BY exec_time",
                    id));
  } else if (!live) {
    throw NotFound("no order '" + id + "'");
  }
  w.EndObject();
  return {200, sb.GetString()};
}

Result cmdSessions(Backend& b) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  w.Key("sessions");
  w.StartArray();
  auto& reg = metrics::gateway();
  for (const auto& key : b.sessionKeys) {
    auto v = fixSessionView(key);
    w.StartObject();
    str(w, "session", key);
    w.Key("state");
    w.String(!v || !v->known ? "UNKNOWN"
             : v->loggedOn   ? "LOGGED_ON"
             : v->enabled    ? "DISCONNECTED"
                             : "DISABLED");
    w.Key("enabled");
    w.Bool(v && v->enabled);
    w.Key("next_sender_seq");
    w.Int(v ? v->nextSenderSeq : 0);
    w.Key("next_target_seq");
    w.Int(v ? v->nextTargetSeq : 0);
    const metrics::FixSessionMetrics* m = reg.sessions.find(key);
    w.Key("messages_in");
    w.Uint64(m ? m->messagesIn.value() : 0);
    w.Key("messages_out");
    w.Uint64(m ? m->messagesOut.value() : 0);
    str(w, "last_message_in", m ? isoTime(m->lastInWallNanos.value()) : std::string());
    str(w, "last_message_out", m ? isoTime(m->lastOutWallNanos.value()) : std::string());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {200, sb.GetString()};
}

Result cmdSession(const rapidjson::Value& p, const Caller& caller, Backend& b) {
  const std::string key = field(p, "session"), action = field(p, "action");
  if (key.empty()) throw BadParam("session is required");
  if (std::find(b.sessionKeys.begin(), b.sessionKeys.end(), key) == b.sessionKeys.end())
    throw NotFound("no configured FIX session '" + key + "'");
  const int sender = static_cast<int>(integer(p, "next_sender_seq", 0, 0, 2'000'000'000));
  const int target = static_cast<int>(integer(p, "next_target_seq", 0, 0, 2'000'000'000));
  const std::string reason = field(p, "reason", "admin " + action);
  std::string err = fixSessionAction(key, action, sender, target, reason);
  if (!err.empty()) throw BadParam(err);
  if (b.journal) {
    RiskEventRec e;
    e.eventType = "ADMIN_ACTION";
    e.rule = "FIX_SESSION_" + std::string(action == "sequence" ? "SET_SEQUENCE" : action);
    for (auto& ch : e.rule) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    e.scope = "SESSION";
    e.scopeKey = key;
    e.session = SessionKey(key);
    e.who = caller.name;
    e.reason = reason;
    if (action == "sequence")
      e.text = "next sender " + std::to_string(sender) + ", next target " + std::to_string(target);
    e.ts = SystemClock::instance().wallNow();
    b.journal(std::move(e));
  }
  spdlog::warn("admin: FIX session {} {} by {}", key, action, caller.name);
  auto v = fixSessionView(key);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  str(w, "session", key);
  str(w, "action", action);
  w.Key("next_sender_seq");
  w.Int(v ? v->nextSenderSeq : 0);
  w.Key("next_target_seq");
  w.Int(v ? v->nextTargetSeq : 0);
  w.EndObject();
  return {200, sb.GetString()};
}

std::string promLabel(std::string_view v) { return metrics::escapeLabel(v); }

Result cmdVenues(Backend& b) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  w.Key("venues");
  w.StartArray();
  auto& reg = metrics::gateway();
  for (const auto& [name, type] : b.venues) {
    const metrics::VenueMetrics* m = reg.venues.find(name);
    w.StartObject();
    str(w, "venue", name);
    str(w, "type", type);
    w.Key("connected");
    if (!m || m->connected.value() < 0)
      w.Null();
    else
      w.Bool(m->connected.value() > 0);
    str(w, "last_error", m ? m->getLastError() : std::string());
    str(w, "last_event", m ? isoTime(m->lastEventWallNanos.value()) : std::string());
    if (m) {
      auto h = m->roundTrip.snapshot();
      w.Key("round_trips");
      w.Uint64(h.count);
      w.Key("round_trip_mean_us");
      if (h.count)
        w.Uint64(h.sumNanos / h.count / 1000);
      else
        w.Null();
      w.Key("round_trip_last_us");
      if (m->lastRoundTripNanos.value() > 0)
        w.Int64(m->lastRoundTripNanos.value() / 1000);
      else
        w.Null();
      w.Key("rejects");
      w.Uint64(m->rejects.value());
    }
    // Every limit the adapter tracks, and the tightest as a fraction left
    // (null: the venue reports none), so one number says how close it is.
    std::vector<VenueRateLimit> limits;
    if (b.rateLimits) limits = b.rateLimits(name);
    std::optional<double> minHeadroom;
    w.Key("rate_limits");
    w.StartArray();
    for (const auto& l : limits) {
      w.StartObject();
      str(w, "name", l.name);
      w.Key("limit");
      w.Int64(l.limit);
      w.Key("used");
      w.Int64(l.used);
      w.Key("headroom");
      w.Int64(l.headroom());
      w.Key("window_ms");
      w.Int64(l.windowMs);
      str(w, "source", l.source);
      str(w, "updated_at", l.updatedAt > 0 ? isoTime(l.updatedAt) : std::string());
      w.EndObject();
      if (l.limit > 0) {
        const double f = static_cast<double>(l.headroom()) / static_cast<double>(l.limit);
        if (!minHeadroom || f < *minHeadroom) minHeadroom = f;
      }
    }
    w.EndArray();
    w.Key("rate_limit_headroom");
    if (minHeadroom)
      w.Double(std::round(*minHeadroom * 10'000) / 10'000);  // a fraction, 4 places
    else
      w.Null();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {200, sb.GetString()};
}

Result cmdRisk(Backend& b) {
  std::vector<risk::AccountView> accts;
  risk::TradingState global = risk::TradingState::Active;
  b.onEngine([&] {
    accts = b.engine->risk().accounts();
    global = b.engine->risk().tradingState(risk::ScopeKind::Global, {});
  });
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  str(w, "global_state", risk::toString(global));
  w.Key("accounts");
  w.StartArray();
  for (const auto& a : accts) {
    w.StartObject();
    str(w, "account", a.account.str());
    str(w, "state", risk::toString(a.state));
    w.Key("open_orders");
    w.Uint(a.openOrders);
    str(w, "daily_pnl", a.dailyPnl.str());
    str(w, "gross_exposure", a.grossExposure.str());
    str(w, "net_exposure", a.netExposure.str());
    str(w, "credit_used", a.creditUsed.str());
    w.EndObject();
  }
  w.EndArray();
  // Every scope's last state change (sessions and parties too) with who and why.
  w.Key("states");
  if (!b.conninfo.empty()) {
    pqxx::connection c(b.conninfo);
    pqxx::work tx(c);
    rowsJson(w, tx.exec("SELECT scope, scope_key, state, who, reason, "
                        "to_char(event_time AT TIME ZONE 'UTC', "
                        "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS event_time "
                        "FROM v_trading_states ORDER BY scope, scope_key"));
  } else {
    w.StartArray();
    w.EndArray();
  }
  w.EndObject();
  return {200, sb.GetString()};
}

// cancel_all with halt=false: the scope's open orders are canceled, its
// trading state stays; journaled as an ADMIN_ACTION with who and why.
Result cancelAllNoHalt(risk::ScopeKind scope, const std::string& key, const std::string& who,
                       const std::string& reason, Backend& b) {
  size_t n = 0;
  risk::TradingState st = risk::TradingState::Active;
  b.onEngine([&] {
    n = b.engine->cancelOpenOrdersInScope(scope, key, reason);
    st = b.engine->risk().tradingState(scope, key);
  });
  const std::string scopeKey = scope == risk::ScopeKind::Global ? std::string() : key;
  if (b.journal) {
    RiskEventRec e;
    e.eventType = "ADMIN_ACTION";
    e.rule = "CANCEL_ALL";
    e.scope = std::string(risk::toString(scope));
    e.scopeKey = scopeKey;
    if (scope == risk::ScopeKind::Account) e.account = Account(key);
    if (scope == risk::ScopeKind::Session) e.session = SessionKey(key);
    e.who = who;
    e.reason = reason;
    e.text = std::to_string(n) + " open orders canceled, trading state kept (" +
             std::string(risk::toString(st)) + ")";
    e.ts = SystemClock::instance().wallNow();
    b.journal(std::move(e));
  }
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  str(w, "scope", risk::toString(scope));
  str(w, "key", scopeKey);
  str(w, "state", risk::toString(st));
  str(w, "who", who);
  w.Key("cancel_open_orders");
  w.Bool(true);
  w.Key("halt");
  w.Bool(false);
  w.Key("canceled");
  w.Uint64(n);
  w.EndObject();
  std::string out = sb.GetString();
  if (b.publish) b.publish("risk", out);
  return {200, out};
}

Result cmdState(const rapidjson::Value& d, const Caller& caller, Backend& b, bool cancelAll) {
  auto scope = risk::scopeKindFromString(field(d, "scope", "global"));
  if (!scope) throw BadParam("scope must be global, account, session or party");
  const std::string key = field(d, "key");
  if (*scope != risk::ScopeKind::Global && key.empty())
    throw BadParam("key (the account, session or PartyID) is required for scope " +
                   std::string(risk::toString(*scope)));
  auto st = cancelAll ? std::optional(risk::TradingState::Halted)
                      : risk::tradingStateFromString(field(d, "state", "HALTED"));
  if (!st) throw BadParam("state must be ACTIVE, REDUCING or HALTED");
  const std::string who = caller.name;
  if (who.empty()) throw BadParam("who is required: every state change records who made it");
  const std::string reason = field(d, "reason", cancelAll ? "admin cancel-all" : "admin request");
  // cancel_all halts by default (docs/admin.md: cancels alone let new orders
  // in behind them); halt=false cancels and leaves the state as it is.
  if (cancelAll && !flag(d, "halt", true)) return cancelAllNoHalt(*scope, key, who, reason, b);
  const bool cancel = cancelAll || flag(d, "cancel", false);
  risk::StateChange c;
  b.onEngine([&] { c = b.engine->setTradingState(*scope, key, *st, who, reason, cancel); });
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  str(w, "scope", risk::toString(c.scope));
  str(w, "key", c.key);
  str(w, "from", risk::toString(c.from));
  str(w, "to", risk::toString(c.to));
  str(w, "who", who);
  w.Key("cancel_open_orders");
  w.Bool(c.cancelOpenOrders);
  if (cancelAll) {
    w.Key("halt");
    w.Bool(true);
  }
  w.EndObject();
  std::string out = sb.GetString();
  if (b.publish) b.publish("risk", out);
  return {200, out};
}

Result cmdPositions(const rapidjson::Value& d, Backend& b) {
  std::optional<Account> acct;
  if (auto a = field(d, "account"); !a.empty()) acct = Account(a);
  std::vector<risk::PositionView> views;
  std::vector<risk::AccountView> accts;
  b.onEngine([&] {
    views = b.engine->risk().positions(acct);
    accts = b.engine->risk().accounts();
  });
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  w.Key("positions");
  w.StartArray();
  for (const auto& v : views) {
    w.StartObject();
    str(w, "account", v.account.str());
    str(w, "symbol", v.symbol.str());
    str(w, "qty", v.qty.str());
    str(w, "avg_cost", v.avgCost.str());
    str(w, "realised_pnl", v.realised.str());
    str(w, "unrealised_pnl", v.unrealised.str());
    str(w, "reference_px", v.reference ? v.reference->str() : std::string());
    str(w, "bought", v.bought.str());
    str(w, "sold", v.sold.str());
    str(w, "open_buy_qty", v.openBuyQty.str());
    str(w, "open_sell_qty", v.openSellQty.str());
    // Derivatives: qty counts contracts; the P&L above is qty x contract_size x
    // price, in settle_currency. Shown for every position so a client reads one shape.
    str(w, "contract_size", v.contractSize.str());
    str(w, "margin_mode", v.marginMode);
    str(w, "settle_currency", v.settleCurrency);
    w.EndObject();
  }
  w.EndArray();
  w.Key("pnl");
  w.StartArray();
  for (const auto& a : accts) {
    if (acct && a.account != *acct) continue;
    w.StartObject();
    str(w, "account", a.account.str());
    str(w, "daily_pnl", a.dailyPnl.str());
    str(w, "gross_exposure", a.grossExposure.str());
    str(w, "net_exposure", a.netExposure.str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {200, sb.GetString()};
}

Result dispatchUnchecked(const std::string& cmd, const rapidjson::Value& d, const Caller& caller,
                         Backend& b) {
  if (cmd == "health") return {200, "{\"ok\":true,\"status\":\"up\"}"};
  if (cmd == "ready") {
    const bool r = !b.ready || b.ready();
    return {r ? 200 : 503, r ? "{\"ok\":true,\"ready\":true}"
                             : "{\"ok\":false,\"ready\":false,\"error\":\"gateway not ready\"}"};
  }
  if (cmd == "state" || cmd == "cancel_all") {
    requireOperator(caller, cmd);
    return cmdState(d, caller, b, cmd == "cancel_all");
  }
  if (cmd == "positions") return cmdPositions(d, b);
  if (cmd == "status" || cmd == "risk") return cmdRisk(b);
  if (cmd == "sessions") return cmdSessions(b);
  if (cmd == "session") {
    requireOperator(caller, cmd);
    return cmdSession(d, caller, b);
  }
  if (cmd == "venues") return cmdVenues(b);
  if (cmd == "orders") return cmdOrders(d, b);
  if (cmd == "order") return cmdOrder(d, b);
  if (cmd == "reload") {
    requireOperator(caller, cmd);
    if (!b.loadRiskConfig) throw BadParam("reload is not available");
    risk::RiskConfig cfg = b.loadRiskConfig();  // a config error answers here, nothing changes
    const std::string who = caller.name.empty() ? "?" : caller.name;
    b.onEngine([&] { b.engine->risk().reload(std::move(cfg), who); });
    return {200,
            "{\"ok\":true,\"reloaded\":[\"risk\"],\"not_reloadable\":[\"fix\",\"database\","
            "\"instruments\",\"venues\",\"routing\",\"admin\",\"logging\"],\"note\":\"risk limits, "
            "throttles and restricted symbols apply at once; everything else needs a restart\"}"};
  }
  return {404, errorJson("unknown cmd '" + cmd +
                         "' (health, ready, status, risk, positions, sessions, session, venues, "
                         "orders, order, state, cancel_all, reload)")};
}

}  // namespace

Result dispatch(const std::string& cmd, const rapidjson::Value& params, const Caller& caller,
                Backend& b) {
  if (!params.IsObject()) return {400, errorJson("parameters must be a JSON object")};
  try {
    return dispatchUnchecked(cmd, params, caller, b);
  } catch (const BadParam& e) {
    return {400, errorJson(e.what())};
  } catch (const Forbidden& e) {
    return {403, errorJson(e.what())};
  } catch (const NotFound& e) {
    return {404, errorJson(e.what())};
  } catch (const config::ConfigError& e) {
    return {400, errorJson(e.what())};
  } catch (const pqxx::broken_connection&) {
    return {503, errorJson("PostgreSQL is not reachable for history queries")};
  } catch (const std::exception& e) {
    spdlog::error("admin: '{}' failed: {}", cmd, e.what());
    return {500, errorJson(std::string("internal error: ") + e.what())};
  }
}

std::string handle(const std::string& requestJson, Backend& b) {
  rapidjson::Document d;
  d.Parse(requestJson.c_str(), requestJson.size());
  if (d.HasParseError() || !d.IsObject()) return errorJson("request is not a JSON object");
  std::string cmd, who;
  try {
    cmd = field(d, "cmd");
    who = field(d, "who");
  } catch (const std::exception& e) {
    return errorJson(e.what());
  }
  // The socket's token is the operator's; "who" names the person, as before.
  Caller caller{who, true};
  if (cmd == "reload" && who.empty()) caller.name = "?";
  return dispatch(cmd, d, caller, b).json;
}

// ---------------------------------------------------------------- HTTP routes

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) {
      auto seg = percentDecode(std::string_view(path).substr(i, j - i));
      if (!seg) throw BadParam("malformed path (bad % escape)");
      out.push_back(*seg);
    }
    i = j + 1;
  }
  return out;
}

HttpResponse toHttp(const Result& r) { return {r.status, "application/json", r.json}; }

}  // namespace

std::string renderRateLimitMetrics(Backend& b) {
  if (!b.rateLimits) return {};
  std::string used, limit;
  for (const auto& [name, type] : b.venues) {
    for (const auto& l : b.rateLimits(name)) {
      const std::string labels =
          "{venue=\"" + promLabel(name) + "\",limit=\"" + promLabel(l.name) + "\"} ";
      used += "fixgw_venue_rate_limit_used" + labels + std::to_string(l.used) + "\n";
      limit += "fixgw_venue_rate_limit_limit" + labels + std::to_string(l.limit) + "\n";
    }
  }
  if (used.empty()) return {};
  return "# HELP fixgw_venue_rate_limit_used A venue rate limit's use in its current window "
         "(or a decaying counter's value), as the adapter last knew it.\n"
         "# TYPE fixgw_venue_rate_limit_used gauge\n" +
         used +
         "# HELP fixgw_venue_rate_limit_limit A venue rate limit's allowance per window (or "
         "counter maximum).\n"
         "# TYPE fixgw_venue_rate_limit_limit gauge\n" +
         limit;
}

HttpResponse route(const HttpRequest& req, Backend& b) {
  Caller caller;
  if (req.principal) {
    caller.name = req.principal->name;
    caller.isOperator = req.principal->role == Role::Operator;
  }
  // Parameters: the query string, then (POST) the JSON body's members.
  rapidjson::Document params;
  params.SetObject();
  auto& alloc = params.GetAllocator();
  for (const auto& [k, v] : req.query)
    params.AddMember(rapidjson::Value(k.c_str(), alloc), rapidjson::Value(v.c_str(), alloc), alloc);
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  if (post && !req.body.empty()) {
    rapidjson::Document body;
    body.Parse(req.body.c_str(), req.body.size());
    if (body.HasParseError() || !body.IsObject())
      return {400, "application/json", errorJson("request body is not a JSON object")};
    for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
      params.RemoveMember(it->name);
      params.AddMember(rapidjson::Value(it->name, alloc), rapidjson::Value(it->value, alloc),
                       alloc);
    }
  }
  auto set = [&](const char* k, const std::string& v) {
    params.RemoveMember(k);
    params.AddMember(rapidjson::Value(k, alloc), rapidjson::Value(v.c_str(), alloc), alloc);
  };
  std::vector<std::string> seg;
  try {
    seg = splitPath(req.path);
  } catch (const BadParam& e) {
    return {400, "application/json", errorJson(e.what())};
  }
  auto methodNotAllowed = [&]() -> HttpResponse {
    return {405, "application/json",
            errorJson("method " + req.method + " is not allowed on " + req.path)};
  };
  auto run = [&](const char* cmd) { return toHttp(dispatch(cmd, params, caller, b)); };

  if (seg.size() == 1 && (seg[0] == "health" || seg[0] == "ready"))
    return get ? run(seg[0] == "health" ? "health" : "ready") : methodNotAllowed();
  if (seg.size() == 1 && seg[0] == "metrics") {
    if (!get) return methodNotAllowed();
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            metrics::gateway().render() + renderRateLimitMetrics(b)};
  }
  if (seg.empty() || seg[0] != "api")
    return {404, "application/json", errorJson("no route for " + req.method + " " + req.path)};
  seg.erase(seg.begin());
  const size_t n = seg.size();
  if (n == 1 && seg[0] == "status") return get ? run("status") : methodNotAllowed();
  if (n == 1 && seg[0] == "positions") return get ? run("positions") : methodNotAllowed();
  if (n == 1 && seg[0] == "sessions") return get ? run("sessions") : methodNotAllowed();
  if (n == 3 && seg[0] == "sessions") {
    if (!post) return methodNotAllowed();
    set("session", seg[1]);
    set("action", seg[2]);
    return run("session");
  }
  if (n == 1 && seg[0] == "venues") return get ? run("venues") : methodNotAllowed();
  if (n == 1 && seg[0] == "orders") return get ? run("orders") : methodNotAllowed();
  if (n == 2 && seg[0] == "orders") {
    if (!get) return methodNotAllowed();
    set("order_id", seg[1]);
    return run("order");
  }
  if (n == 1 && seg[0] == "risk") return get ? run("risk") : methodNotAllowed();
  if (n == 2 && seg[0] == "risk" && seg[1] == "state")
    return post ? run("state") : methodNotAllowed();
  if (n == 2 && seg[0] == "risk" && seg[1] == "cancel-all")
    return post ? run("cancel_all") : methodNotAllowed();
  if (n == 2 && seg[0] == "config" && seg[1] == "reload")
    return post ? run("reload") : methodNotAllowed();
  return {404, "application/json", errorJson("no route for " + req.method + " " + req.path)};
}

}  // namespace fixgw::admin
