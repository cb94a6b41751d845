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

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

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

// ---------------------------------------------------------------- the gateway's handler

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

std::string field(const rapidjson::Document& d, const char* k, const std::string& dflt = {}) {
  auto it = d.FindMember(k);
  if (it == d.MemberEnd()) return dflt;
  if (!it->value.IsString())
    throw std::runtime_error(std::string("field '") + k + "' must be a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

std::string handle(const std::string& requestJson, Backend& b) {
  rapidjson::Document d;
  d.Parse(requestJson.c_str(), requestJson.size());
  if (d.HasParseError() || !d.IsObject()) return errorJson("request is not a JSON object");
  const std::string cmd = field(d, "cmd");
  rapidjson::StringBuffer sb;
  Writer w(sb);

  if (cmd == "state") {
    auto scope = risk::scopeKindFromString(field(d, "scope", "global"));
    if (!scope) return errorJson("scope must be global, account, session or party");
    const std::string key = field(d, "key");
    if (*scope != risk::ScopeKind::Global && key.empty())
      return errorJson("key (the account, session or PartyID) is required for scope " +
                       std::string(risk::toString(*scope)));
    auto st = risk::tradingStateFromString(field(d, "state", "HALTED"));
    if (!st) return errorJson("state must be ACTIVE, REDUCING or HALTED");
    const std::string who = field(d, "who");
    if (who.empty()) return errorJson("who is required: every state change records who made it");
    const std::string reason = field(d, "reason", "admin request");
    bool cancel = false;
    if (auto it = d.FindMember("cancel"); it != d.MemberEnd()) {
      if (!it->value.IsBool()) return errorJson("cancel must be true or false");
      cancel = it->value.GetBool();
    }
    risk::StateChange c;
    b.onEngine([&] { c = b.engine->setTradingState(*scope, key, *st, who, reason, cancel); });
    w.StartObject();
    w.Key("ok");
    w.Bool(true);
    str(w, "scope", std::string(risk::toString(c.scope)));
    str(w, "key", c.key);
    str(w, "from", std::string(risk::toString(c.from)));
    str(w, "to", std::string(risk::toString(c.to)));
    w.Key("cancel_open_orders");
    w.Bool(c.cancelOpenOrders);
    w.EndObject();
    return sb.GetString();
  }

  if (cmd == "positions") {
    std::optional<Account> acct;
    if (auto a = field(d, "account"); !a.empty()) acct = Account(a);
    std::vector<risk::PositionView> views;
    b.onEngine([&] { views = b.engine->risk().positions(acct); });
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
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return sb.GetString();
  }

  if (cmd == "status") {
    std::vector<risk::AccountView> accts;
    risk::TradingState global = risk::TradingState::Active;
    b.onEngine([&] {
      accts = b.engine->risk().accounts();
      global = b.engine->risk().tradingState(risk::ScopeKind::Global, {});
    });
    w.StartObject();
    w.Key("ok");
    w.Bool(true);
    str(w, "global_state", std::string(risk::toString(global)));
    w.Key("accounts");
    w.StartArray();
    for (const auto& a : accts) {
      w.StartObject();
      str(w, "account", a.account.str());
      str(w, "state", std::string(risk::toString(a.state)));
      w.Key("open_orders");
      w.Uint(a.openOrders);
      str(w, "daily_pnl", a.dailyPnl.str());
      str(w, "gross_exposure", a.grossExposure.str());
      str(w, "net_exposure", a.netExposure.str());
      str(w, "credit_used", a.creditUsed.str());
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return sb.GetString();
  }

  if (cmd == "reload") {
    if (!b.loadRiskConfig) return errorJson("reload is not available");
    risk::RiskConfig cfg = b.loadRiskConfig();  // a config error answers here, nothing changes
    const std::string who = field(d, "who", "?");
    b.onEngine([&] { b.engine->risk().reload(std::move(cfg), who); });
    w.StartObject();
    w.Key("ok");
    w.Bool(true);
    w.EndObject();
    return sb.GetString();
  }
  return errorJson("unknown cmd '" + cmd + "' (state, positions, status, reload)");
}

}  // namespace fixgw::admin
