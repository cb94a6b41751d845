#include "config/config.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fixgw::config {

namespace {

namespace fs = std::filesystem;
using rapidjson::Value;

std::optional<std::string> realEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

// Reads one JSON object, remembering which keys were consumed so that
// anything left over is reported as an unknown key.
class Obj {
 public:
  Obj(const Value& v, std::string path, EnvLookup env) : v_(v), path_(std::move(path)), env_(env) {
    if (!v.IsObject()) throw ConfigError(path_ + ": expected an object");
  }
  ~Obj() noexcept(false) {
    if (std::uncaught_exceptions()) return;
    for (auto it = v_.MemberBegin(); it != v_.MemberEnd(); ++it) {
      std::string k(it->name.GetString(), it->name.GetStringLength());
      if (!used_.count(k)) throw ConfigError(key(k) + ": unknown key");
    }
  }
  std::string key(const std::string& k) const { return path_.empty() ? k : path_ + "." + k; }
  const Value* get(const std::string& k) {
    used_.insert(k);
    auto it = v_.FindMember(k.c_str());
    return it == v_.MemberEnd() ? nullptr : &it->value;
  }
  const Value& need(const std::string& k) {
    const Value* v = get(k);
    if (!v) throw ConfigError(key(k) + ": required key is missing");
    return *v;
  }
  std::optional<std::string> optStr(const std::string& k) {
    const Value* v = get(k);
    if (!v) return std::nullopt;
    if (!v->IsString()) throw ConfigError(key(k) + ": expected a string");
    return substituteEnv(std::string(v->GetString(), v->GetStringLength()), key(k), env_);
  }
  std::string str(const std::string& k, const std::string& dflt) {
    return optStr(k).value_or(dflt);
  }
  std::string reqStr(const std::string& k) {
    need(k);
    return *optStr(k);
  }
  // An integer, or a string that is one after ${ENV} substitution (so a port
  // can come from the environment).
  int64_t integer(const std::string& k, int64_t dflt) {
    const Value* v = get(k);
    if (!v) return dflt;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsString()) {
      std::string text = substituteEnv(v->GetString(), key(k), env_);
      try {
        size_t n = 0;
        long long x = std::stoll(text, &n);
        if (n == text.size()) return x;
      } catch (const std::exception&) {
      }
      throw ConfigError(key(k) + ": expected an integer, got '" + text + "'");
    }
    throw ConfigError(key(k) + ": expected an integer");
  }
  bool boolean(const std::string& k, bool dflt) {
    const Value* v = get(k);
    if (!v) return dflt;
    if (v->IsString()) {
      // "${VAR:-false}" and the like: the same words after substitution.
      const std::string text = substituteEnv(v->GetString(), key(k), env_);
      if (text == "true") return true;
      if (text == "false") return false;
      throw ConfigError(key(k) + ": expected true or false");
    }
    if (!v->IsBool()) throw ConfigError(key(k) + ": expected true or false");
    return v->GetBool();
  }
  // Decimals are strings ("0.01") so they are exact; integers are accepted too.
  template <class F>
  std::optional<F> optDecimal(const std::string& k) {
    const Value* v = get(k);
    if (!v) return std::nullopt;
    std::string text;
    if (v->IsString())
      text = substituteEnv(v->GetString(), key(k), env_);
    else if (v->IsInt64())
      text = std::to_string(v->GetInt64());
    else
      throw ConfigError(key(k) + ": expected a decimal string such as \"0.01\"");
    auto f = F::parse(text);
    if (!f) throw ConfigError(key(k) + ": '" + text + "' is not a decimal with at most 8 places");
    return f;
  }
  template <class F>
  F reqDecimal(const std::string& k) {
    need(k);
    return *optDecimal<F>(k);
  }
  EnvLookup env() const { return env_; }

 private:
  const Value& v_;
  std::string path_;
  EnvLookup env_;
  std::set<std::string> used_;
};

const Value* arrayAt(Obj& o, const std::string& k) {
  const Value* v = o.get(k);
  if (v && !v->IsArray()) throw ConfigError(o.key(k) + ": expected an array");
  return v;
}

std::string resolvePath(const std::string& p, const std::string& baseDir) {
  if (p.empty()) return p;
  fs::path path(p);
  if (path.is_absolute()) return path.lexically_normal().string();
  return (fs::path(baseDir) / path).lexically_normal().string();
}

std::vector<std::string> stringList(Obj& o, const std::string& k) {
  std::vector<std::string> out;
  const Value* v = arrayAt(o, k);
  if (!v) return out;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const std::string path = o.key(k) + "[" + std::to_string(i) + "]";
    if (!(*v)[i].IsString()) throw ConfigError(path + ": expected a string");
    out.push_back(substituteEnv((*v)[i].GetString(), path, o.env()));
  }
  return out;
}

template <class F>
void positive(Obj& o, const std::string& k, const std::optional<F>& v) {
  if (v && !v->isPositive()) throw ConfigError(o.key(k) + ": must be positive");
}

template <class F>
void optPositive(Obj& o, const std::string& k, std::optional<F>& field) {
  if (auto v = o.optDecimal<F>(k)) {
    positive(o, k, v);
    field = v;
  }
}

uint32_t countKey(Obj& o, const std::string& k, uint32_t dflt) {
  int64_t v = o.integer(k, dflt);
  if (v < 0 || v > 1'000'000) throw ConfigError(o.key(k) + ": must be 0..1000000");
  return static_cast<uint32_t>(v);
}

// Starts from base (the defaults, for an account) so an account lists only what differs.
risk::RiskLimits parseLimits(Obj& o, const risk::RiskLimits& base = {}) {
  risk::RiskLimits l = base;
  optPositive(o, "max_order_qty", l.maxOrderQty);
  optPositive(o, "max_notional", l.maxNotional);
  optPositive(o, "min_order_qty", l.minOrderQty);
  optPositive(o, "min_notional", l.minNotional);
  optPositive(o, "price_band_pct", l.priceBandPct);
  if (o.get("price_band_ticks")) {
    int64_t t = o.integer("price_band_ticks", 0);
    if (t <= 0) throw ConfigError(o.key("price_band_ticks") + ": must be positive");
    l.priceBandTicks = t;
  }
  l.allowMarketOrders = o.boolean("allow_market_orders", l.allowMarketOrders);
  if (o.get("allowed_ord_types")) {
    l.allowedOrdTypes = 0;
    for (const auto& t : stringList(o, "allowed_ord_types")) {
      auto v = ordTypeFromString(t);
      if (!v)
        throw ConfigError(o.key("allowed_ord_types") + ": '" + t +
                          "' is not one of MARKET, LIMIT, STOP, STOP_LIMIT");
      l.allowedOrdTypes |= static_cast<uint8_t>(1u << static_cast<unsigned>(*v));
    }
  }
  if (o.get("allowed_tifs")) {
    l.allowedTifs = 0;
    for (const auto& t : stringList(o, "allowed_tifs")) {
      auto v = tifFromString(t);
      if (!v)
        throw ConfigError(o.key("allowed_tifs") + ": '" + t +
                          "' is not one of DAY, GTC, IOC, FOK, OPG");
      l.allowedTifs |= static_cast<uint8_t>(1u << static_cast<unsigned>(*v));
    }
  }
  if (o.get("restricted_symbols")) {
    l.restrictedSymbols.clear();
    for (const auto& t : stringList(o, "restricted_symbols")) l.restrictedSymbols.insert(Symbol(t));
  }
  if (o.get("max_open_orders")) {
    uint32_t n = countKey(o, "max_open_orders", 0);
    if (n == 0) throw ConfigError(o.key("max_open_orders") + ": must be positive");
    l.maxOpenOrders = n;
  }
  optPositive(o, "max_long_qty", l.maxLongQty);
  optPositive(o, "max_short_qty", l.maxShortQty);
  optPositive(o, "max_gross_exposure", l.maxGrossExposure);
  optPositive(o, "max_net_exposure", l.maxNetExposure);
  optPositive(o, "daily_loss_limit", l.dailyLossLimit);
  optPositive(o, "credit_limit", l.creditLimit);
  l.maxOrdersPerSec = countKey(o, "max_orders_per_sec", l.maxOrdersPerSec);
  l.maxCancelsPerSec = countKey(o, "max_cancels_per_sec", l.maxCancelsPerSec);
  if (auto d = o.optStr("duplicate_orders")) {
    if (*d == "off")
      l.duplicateAction = risk::RuleAction::Off;
    else if (*d == "warn")
      l.duplicateAction = risk::RuleAction::Warn;
    else if (*d == "reject")
      l.duplicateAction = risk::RuleAction::Reject;
    else
      throw ConfigError(o.key("duplicate_orders") + ": '" + *d +
                        "' is not one of off, warn, reject");
  }
  if (o.get("duplicate_window_ms")) {
    int64_t ms = o.integer("duplicate_window_ms", 0);
    if (ms <= 0) throw ConfigError(o.key("duplicate_window_ms") + ": must be positive");
    l.duplicateWindowNanos = ms * 1'000'000;
  }
  if (auto d = o.optStr("self_trade")) {
    if (*d == "off")
      l.selfTrade = risk::StpAction::Off;
    else if (*d == "reject_incoming")
      l.selfTrade = risk::StpAction::RejectIncoming;
    else if (*d == "cancel_resting")
      l.selfTrade = risk::StpAction::CancelResting;
    else
      throw ConfigError(o.key("self_trade") + ": '" + *d +
                        "' is not one of off, reject_incoming, cancel_resting");
  }
  l.haltCancelsOpenOrders = o.boolean("halt_cancels_open_orders", l.haltCancelsOpenOrders);
  return l;
}

risk::SessionThrottle parseSessionThrottle(Obj& o, const risk::SessionThrottle& base) {
  risk::SessionThrottle t = base;
  t.maxOrdersPerSec = countKey(o, "max_orders_per_sec", t.maxOrdersPerSec);
  t.maxCancelsPerSec = countKey(o, "max_cancels_per_sec", t.maxCancelsPerSec);
  return t;
}

void parseRiskSection(const Value& v, const std::string& baseDir, EnvLookup env,
                      risk::RiskConfig& out) {
  Obj o(v, "risk", env);
  if (const Value* d = o.get("defaults")) {
    Obj lo(*d, "risk.defaults", env);
    out.defaults = parseLimits(lo);
  }
  if (const Value* a = o.get("accounts")) {
    Obj ao(*a, "risk.accounts", env);
    for (auto it = a->MemberBegin(); it != a->MemberEnd(); ++it) {
      std::string name = it->name.GetString();
      ao.get(name);
      if (name.empty()) throw ConfigError("risk.accounts: account name must not be empty");
      Obj lo(it->value, "risk.accounts." + name, env);
      out.accounts[Account(name)] = parseLimits(lo, out.defaults);
    }
  }
  if (const Value* d = o.get("session_defaults")) {
    Obj so(*d, "risk.session_defaults", env);
    out.sessionDefaults = parseSessionThrottle(so, {});
  }
  if (const Value* a = o.get("sessions")) {
    Obj ao(*a, "risk.sessions", env);
    for (auto it = a->MemberBegin(); it != a->MemberEnd(); ++it) {
      std::string name = it->name.GetString();
      ao.get(name);
      Obj so(it->value, "risk.sessions." + name, env);
      out.sessions[SessionKey(name)] = parseSessionThrottle(so, out.sessionDefaults);
    }
  }
  if (o.get("restricted_symbols"))
    for (const auto& t : stringList(o, "restricted_symbols"))
      out.restrictedSymbols.insert(Symbol(t));
  if (o.get("throttle_window_ms")) {
    int64_t ms = o.integer("throttle_window_ms", 1000);
    if (ms <= 0) throw ConfigError("risk.throttle_window_ms: must be positive");
    out.throttleWindowNanos = ms * 1'000'000;
  }
  out.staticReferenceFallback = o.boolean("static_reference_fallback", out.staticReferenceFallback);
  if (const Value* a = o.get("admin")) {
    Obj ao(*a, "risk.admin", env);
    out.adminSocketPath = resolvePath(ao.str("socket_path", ""), baseDir);
    out.adminTokenFile = resolvePath(ao.str("token_file", ""), baseDir);
  }
}

std::string scalarText(const Value& v, const std::string& path, EnvLookup env) {
  if (v.IsString()) return substituteEnv(v.GetString(), path, env);
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsDouble()) {
    std::ostringstream os;
    os << v.GetDouble();
    return os.str();
  }
  throw ConfigError(path + ": expected a string, number or boolean");
}

}  // namespace

std::string substituteEnv(const std::string& s, const std::string& keyPath, EnvLookup env) {
  if (s.find("${") == std::string::npos) return s;
  if (!env) env = realEnv;
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = s.find("${", i);
    if (start == std::string::npos) {
      out.append(s, i, std::string::npos);
      break;
    }
    out.append(s, i, start - i);
    size_t end = s.find('}', start);
    if (end == std::string::npos) throw ConfigError(keyPath + ": unterminated ${ in '" + s + "'");
    std::string expr = s.substr(start + 2, end - start - 2);
    std::optional<std::string> dflt;
    if (auto d = expr.find(":-"); d != std::string::npos) {
      dflt = expr.substr(d + 2);
      expr = expr.substr(0, d);
    }
    static const std::regex name("[A-Za-z_][A-Za-z0-9_]*");
    if (!std::regex_match(expr, name))
      throw ConfigError(keyPath + ": '${" + expr + "}' is not a valid environment variable name");
    std::optional<std::string> val = env(expr);
    if (!val || val->empty()) val = dflt;
    if (!val)
      throw ConfigError(keyPath + ": environment variable " + expr +
                        " is not set and has no default");
    out += *val;
    i = end + 1;
  }
  return out;
}

// "role", "accounts", "source_sessions", "reset_on_logon" of one fix.sessions entry
// (docs/drop-copy.md). Source sessions are resolved once all sessions are read.
static void parseDropCopySession(Obj& s, const std::string& path, FixSessionCfg& sc) {
  const std::string role = s.str("role", "order_entry");
  if (role != "order_entry" && role != "drop_copy")
    throw ConfigError(path + ".role: '" + role + "' is not one of order_entry, drop_copy");
  sc.dropCopy = role == "drop_copy";
  if (s.get("reset_on_logon")) sc.resetOnLogon = s.boolean("reset_on_logon", false);
  std::vector<std::string> accounts = stringList(s, "accounts");
  std::vector<std::string> sources = stringList(s, "source_sessions");
  if (!sc.dropCopy) {
    if (!accounts.empty() || !sources.empty())
      throw ConfigError(path + (accounts.empty() ? ".source_sessions" : ".accounts") +
                        ": only a session with \"role\": \"drop_copy\" selects what it copies");
    return;
  }
  if (accounts.empty() && sources.empty())
    throw ConfigError(path +
                      ".accounts: a drop_copy session needs accounts (\"*\" for all) "
                      "and/or source_sessions");
  for (size_t i = 0; i < accounts.size(); ++i)
    if (accounts[i].empty())
      throw ConfigError(path + ".accounts[" + std::to_string(i) + "]: must not be empty");
  if (sc.cancelOnDisconnect)
    throw ConfigError(path + ".cancel_on_disconnect: a drop_copy session has no orders to cancel");
  // A drop copy keeps its sequence numbers so a reconnecting client gets a normal resend.
  if (!sc.resetOnLogon) sc.resetOnLogon = false;
  sc.dropCopyAccounts = std::move(accounts);
  sc.dropCopySources = std::move(sources);
}

// source_sessions entries name order-entry sessions: "CLIENT1" (every version configured for
// it), "FIX.4.4:CLIENT1", or the full key "FIX.4.4:FIXGW->CLIENT1". Replaced by full keys.
static void resolveDropCopySources(FixCfg& f) {
  for (size_t i = 0; i < f.sessions.size(); ++i) {
    FixSessionCfg& dc = f.sessions[i];
    if (!dc.dropCopy) continue;
    std::vector<std::string> keys;
    for (size_t j = 0; j < dc.dropCopySources.size(); ++j) {
      const std::string& want = dc.dropCopySources[j];
      const std::string path =
          "fix.sessions[" + std::to_string(i) + "].source_sessions[" + std::to_string(j) + "]";
      size_t matched = 0;
      for (const auto& s : f.sessions) {
        const std::string full = s.beginString + ":" + f.senderCompId + "->" + s.targetCompId;
        if (want != s.targetCompId && want != s.beginString + ":" + s.targetCompId && want != full)
          continue;
        if (s.dropCopy)
          throw ConfigError(path + ": '" + want + "' is a drop_copy session, not an order session");
        keys.push_back(full);
        ++matched;
      }
      if (matched == 0)
        throw ConfigError(path + ": '" + want + "' names no session in fix.sessions");
    }
    dc.dropCopySources = std::move(keys);
  }
}

std::string redactConninfo(const std::string& conninfo) {
  static const std::regex pw(R"((password\s*=\s*)('[^']*'|\S+))", std::regex::icase);
  static const std::regex uriPw(R"((://[^:/@]+:)[^@]+@)");
  std::string s = std::regex_replace(conninfo, pw, "$1***");
  return std::regex_replace(s, uriPw, "$1***@");
}

// fix.transport, fix.hosts, limits, fix.tls and fix.auth (docs/fix-transport.md).
static void parseFixTransport(Obj& o, FixCfg& f, const std::string& baseDir) {
  f.transport = o.str("transport", f.transport);
  if (f.transport != "asio" && f.transport != "quickfix")
    throw ConfigError("fix.transport: '" + f.transport + "' is not one of asio, quickfix");
  auto positive = [&](const char* k, int64_t& v) {
    v = o.integer(k, v);
    if (v <= 0) throw ConfigError(o.key(k) + ": must be positive");
  };
  positive("max_connections", f.maxConnections);
  positive("logon_timeout_ms", f.logonTimeoutMs);
  positive("max_message_bytes", f.maxMessageBytes);
  if (f.maxMessageBytes < 256) throw ConfigError("fix.max_message_bytes: must be >= 256");
  positive("message_timeout_ms", f.messageTimeoutMs);
  positive("io_threads", f.ioThreads);
  f.corkMaxTasks = o.integer("cork_max_tasks", f.corkMaxTasks);
  if (f.corkMaxTasks < 0) throw ConfigError(o.key("cork_max_tasks") + ": must be 0 (off) or more");
  f.engineSpinUs = o.integer("engine_spin_us", f.engineSpinUs);
  if (f.engineSpinUs < 0 || f.engineSpinUs > 10'000)
    throw ConfigError(o.key("engine_spin_us") + ": must be between 0 and 10000 (microseconds)");
  // Default on with the own transport only: QuickFIX's socket threads give no "more input
  // buffered" hint, so every message of a burst would run on its reading thread.
  f.engineInline = o.boolean("engine_inline", f.engineInline && f.transport == "asio");
  if (const Value* t = o.get("tls")) {
    Obj tls(*t, "fix.tls", o.env());
    f.tls.certFile = resolvePath(tls.str("cert_file", ""), baseDir);
    f.tls.keyFile = resolvePath(tls.str("key_file", ""), baseDir);
    f.tls.caFile = resolvePath(tls.str("ca_file", ""), baseDir);
    f.tls.verifyClient = tls.boolean("verify_client", false);
    if (!f.tls.certFile.empty() && f.tls.keyFile.empty())
      throw ConfigError("fix.tls.key_file: required with cert_file");
    if (f.tls.verifyClient && f.tls.caFile.empty())
      throw ConfigError("fix.tls.ca_file: required with verify_client");
    if (f.tls.verifyClient && f.tls.certFile.empty())
      throw ConfigError("fix.tls.cert_file: required with verify_client");
  }
  if (const Value* a = o.get("auth")) {
    Obj auth(*a, "fix.auth", o.env());
    f.credentialsFile = resolvePath(auth.str("credentials_file", ""), baseDir);
    f.maxLogonFailures = auth.integer("max_failures", f.maxLogonFailures);
    if (f.maxLogonFailures <= 0) throw ConfigError("fix.auth.max_failures: must be positive");
    f.logonFailureWindowMs = auth.integer("failure_window_ms", f.logonFailureWindowMs);
    if (f.logonFailureWindowMs <= 0)
      throw ConfigError("fix.auth.failure_window_ms: must be positive");
  }
  if (f.transport == "quickfix" && (!f.tls.certFile.empty() || f.hosts.size() > 1))
    throw ConfigError("fix.transport: 'quickfix' supports neither tls nor several hosts");
}

// fix.sessions[i].allow_from, require_logon_auth, username.
static void parseFixSessionSecurity(Obj& s, const std::string& path, FixSessionCfg& sc) {
  sc.allowFrom = stringList(s, "allow_from");
  for (size_t i = 0; i < sc.allowFrom.size(); ++i) {
    const std::string& e = sc.allowFrom[i];
    const std::string addr = e.substr(0, e.find('/'));
    const bool looksIp =
        !addr.empty() && addr.find_first_not_of("0123456789abcdefABCDEF.:") == std::string::npos;
    if (!looksIp)
      throw ConfigError(path + ".allow_from[" + std::to_string(i) + "]: '" + e +
                        "' is not an IP address or CIDR block");
  }
  sc.requireLogonAuth = s.boolean("require_logon_auth", false);
  sc.username = s.str("username", "");
}

// "sor": { "venues": [ { "venue": "SIMA", "taker_bps": "0.3", "maker_bps": "-0.2" }, ... ],
//          "depth_levels": 5, "remainder": "rest|reroute|cancel", "max_sweeps": 3,
//          "max_recent_rejects": 3, "reject_window_ms": 60000 }
static void parseSorSection(const Value& v, const std::set<VenueId>& venueNames, EnvLookup env,
                            router::SorConfig& out) {
  Obj o(v, "sor", env);
  if (const Value* vs = arrayAt(o, "venues")) {
    for (rapidjson::SizeType i = 0; i < vs->Size(); ++i) {
      Obj e((*vs)[i], "sor.venues[" + std::to_string(i) + "]", env);
      router::SorVenueConfig vc;
      vc.venue = VenueId(e.reqStr("venue"));
      if (!venueNames.count(vc.venue))
        throw ConfigError(e.key("venue") + ": '" + vc.venue.str() + "' is not a configured venue");
      for (const auto& other : out.venues)
        if (other.venue == vc.venue)
          throw ConfigError(e.key("venue") + ": '" + vc.venue.str() + "' is listed twice");
      vc.fees.taker = e.optDecimal<algos::Bps>("taker_bps").value_or(algos::Bps());
      vc.fees.maker = e.optDecimal<algos::Bps>("maker_bps").value_or(algos::Bps());
      if (vc.fees.taker < algos::Bps() || vc.fees.taker > algos::Bps::fromInt(1000))
        throw ConfigError(e.key("taker_bps") + ": must be 0..1000 bps, got " + vc.fees.taker.str());
      if (vc.fees.maker < algos::Bps::fromInt(-1000) || vc.fees.maker > algos::Bps::fromInt(1000))
        throw ConfigError(e.key("maker_bps") + ": must be -1000..1000 bps, got " +
                          vc.fees.maker.str());
      out.venues.push_back(std::move(vc));
    }
  }
  const int64_t depth = o.integer("depth_levels", static_cast<int64_t>(out.depthLevels));
  if (depth < 1 || depth > 100) throw ConfigError(o.key("depth_levels") + ": must be 1..100");
  out.depthLevels = static_cast<size_t>(depth);
  if (auto r = o.optStr("remainder")) {
    auto p = algos::sorRemainderFromName(*r);
    if (!p)
      throw ConfigError(o.key("remainder") + ": '" + *r + "' is not one of rest, reroute, cancel");
    out.remainder = *p;
  }
  const int64_t sweeps = o.integer("max_sweeps", out.maxSweeps);
  if (sweeps < 1 || sweeps > 100) throw ConfigError(o.key("max_sweeps") + ": must be 1..100");
  out.maxSweeps = static_cast<int>(sweeps);
  const int64_t rejects = o.integer("max_recent_rejects", out.maxRecentRejects);
  if (rejects < 0 || rejects > 1'000'000)
    throw ConfigError(o.key("max_recent_rejects") + ": must be 0 (no limit) or more");
  out.maxRecentRejects = static_cast<int>(rejects);
  const int64_t windowMs = o.integer("reject_window_ms", out.rejectWindowNanos / 1'000'000);
  if (windowMs <= 0) throw ConfigError(o.key("reject_window_ms") + ": must be positive");
  out.rejectWindowNanos = windowMs * 1'000'000;
  const int64_t waitMs = o.integer("book_wait_ms", out.bookWaitNanos / 1'000'000);
  if (waitMs < 0 || waitMs > 60'000)
    throw ConfigError(o.key("book_wait_ms") + ": must be 0..60000");
  out.bookWaitNanos = waitMs * 1'000'000;
}

std::string mallocTunables(const MemoryCfg& m) {
  std::string t;
  if (m.mallocArenas > 0) t = "glibc.malloc.arena_max=" + std::to_string(m.mallocArenas);
  // Huge pages back only malloc's heap, so blocks up to 32 MiB (the most glibc allows) come from
  // it rather than from mappings of their own in 4 kB pages (the per-order pools' growing chunks
  // faulted there: 0.3 faults per order on the engine thread with hugetlb alone, durable).
  if (m.mallocHugePages)
    t += std::string(t.empty() ? "" : ":") + "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432";
  return t;
}

GatewayConfig parseConfig(const std::string& json, const std::string& baseDir, EnvLookup env) {
  if (!env) env = realEnv;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag>(json.c_str(),
                                                                                 json.size());
  if (doc.HasParseError())
    throw ConfigError("JSON syntax error at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                      rapidjson::GetParseError_En(doc.GetParseError()));
  GatewayConfig cfg;
  Obj root(doc, "", env);

  if (const Value* v = root.get("memory")) {
    Obj o(*v, "memory", env);
    cfg.memory.mallocArenas = o.integer("malloc_arenas", cfg.memory.mallocArenas);
    if (cfg.memory.mallocArenas < 0 || cfg.memory.mallocArenas > 1024)
      throw ConfigError("memory.malloc_arenas: must be 0..1024 (0: glibc's default)");
    cfg.memory.mallocHugePages = o.boolean("malloc_huge_pages", cfg.memory.mallocHugePages);
  }

  if (const Value* v = root.get("logging")) {
    Obj o(*v, "logging", env);
    cfg.logging.level = o.str("level", "info");
    static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
    if (!levels.count(cfg.logging.level))
      throw ConfigError("logging.level: '" + cfg.logging.level +
                        "' is not one of trace, debug, info, warn, error, off");
    cfg.logging.file = resolvePath(o.str("file", ""), baseDir);
    cfg.logging.format = o.str("format", cfg.logging.format);
    if (cfg.logging.format != "text" && cfg.logging.format != "json")
      throw ConfigError("logging.format: '" + cfg.logging.format + "' is not one of text, json");
    cfg.logging.maxSizeMb = o.integer("max_size_mb", cfg.logging.maxSizeMb);
    if (cfg.logging.maxSizeMb <= 0 || cfg.logging.maxSizeMb > 1'000'000)
      throw ConfigError("logging.max_size_mb: must be 1..1000000");
    cfg.logging.maxFiles = o.integer("max_files", cfg.logging.maxFiles);
    if (cfg.logging.maxFiles < 1 || cfg.logging.maxFiles > 1000)
      throw ConfigError("logging.max_files: must be 1..1000");
  }

  {
    Obj o(root.need("fix"), "fix", env);
    FixCfg& f = cfg.fix;
    if (const Value* h = o.get("host"); h && h->IsArray()) {
      f.hosts = stringList(o, "host");
      if (f.hosts.empty()) throw ConfigError("fix.host: the list is empty");
      f.host = f.hosts.front();
    } else {
      f.host = o.str("host", f.host);
    }
    parseFixTransport(o, f, baseDir);
    f.port = static_cast<int>(o.integer("port", f.port));
    if (f.port <= 0 || f.port > 65535) throw ConfigError("fix.port: must be 1..65535");
    f.senderCompId = o.str("sender_comp_id", f.senderCompId);
    f.specDir = resolvePath(o.str("spec_dir", "../fix_acceptor/spec"), baseDir);
    f.storeType = o.str("store", f.storeType);
    if (f.storeType != "append" && f.storeType != "file" && f.storeType != "memory" &&
        f.storeType != "postgres")
      throw ConfigError("fix.store: '" + f.storeType +
                        "' is not one of append, file, memory, postgres");
    f.storeConninfo = o.str("store_conninfo", "");
    f.messageLog = o.str("message_log", f.messageLog);
    if (f.messageLog != "database" && f.messageLog != "none")
      throw ConfigError("fix.message_log: '" + f.messageLog + "' is not one of database, none");
    f.storePath = resolvePath(o.str("store_path", "../var/fix/store"), baseDir);
    f.logPath = resolvePath(o.str("log_path", ""), baseDir);
    f.heartBtInt = static_cast<int>(o.integer("heartbeat_interval", f.heartBtInt));
    if (f.heartBtInt <= 0) throw ConfigError("fix.heartbeat_interval: must be positive");
    f.resetOnLogon = o.boolean("reset_on_logon", f.resetOnLogon);
    const Value* sess = arrayAt(o, "sessions");
    if (!sess || sess->Empty()) throw ConfigError("fix.sessions: at least one session is required");
    std::set<std::string> seen;
    for (rapidjson::SizeType i = 0; i < sess->Size(); ++i) {
      std::string path = "fix.sessions[" + std::to_string(i) + "]";
      Obj s((*sess)[i], path, env);
      FixSessionCfg sc;
      sc.beginString = s.reqStr("begin_string");
      if (sc.beginString != "FIX.4.2" && sc.beginString != "FIX.4.4")
        throw ConfigError(path + ".begin_string: '" + sc.beginString +
                          "' is not supported (FIX.4.2 or FIX.4.4)");
      sc.targetCompId = s.reqStr("target_comp_id");
      if (sc.targetCompId.empty()) throw ConfigError(path + ".target_comp_id: must not be empty");
      sc.cancelOnDisconnect = s.boolean("cancel_on_disconnect", false);
      parseFixSessionSecurity(s, path, sc);
      if (!seen.insert(sc.beginString + ":" + sc.targetCompId).second)
        throw ConfigError(path + ": duplicate session " + sc.beginString + " " + sc.targetCompId);
      parseDropCopySession(s, path, sc);
      f.sessions.push_back(sc);
    }
    resolveDropCopySources(f);
  }

  {
    Obj o(root.need("database"), "database", env);
    cfg.database.conninfo = o.reqStr("conninfo");
    cfg.database.schemaDir = resolvePath(o.str("schema_dir", "../schema"), baseDir);
    int64_t batch = o.integer("max_batch", static_cast<int64_t>(cfg.database.maxBatch));
    if (batch <= 0) throw ConfigError("database.max_batch: must be positive");
    cfg.database.maxBatch = static_cast<size_t>(batch);
    int64_t us = o.integer("flush_interval_us", cfg.database.flushIntervalNanos / 1000);
    if (us < 0) throw ConfigError("database.flush_interval_us: must not be negative");
    cfg.database.flushIntervalNanos = us * 1000;
    int64_t minBehind =
        o.integer("pipeline_min_records", static_cast<int64_t>(cfg.database.pipelineMinRecords));
    if (minBehind < 0) throw ConfigError("database.pipeline_min_records: must not be negative");
    cfg.database.pipelineMinRecords = static_cast<size_t>(minBehind);
    cfg.database.ackMode = o.str("ack_mode", cfg.database.ackMode);
    if (cfg.database.ackMode != "durable" && cfg.database.ackMode != "async")
      throw ConfigError("database.ack_mode: '" + cfg.database.ackMode +
                        "' is not one of durable, async");
  }
  if (auto db = env("FIXGW_DB"); db && !db->empty()) cfg.database.conninfo = *db;
  if (cfg.fix.storeConninfo.empty()) cfg.fix.storeConninfo = cfg.database.conninfo;
  if (auto cred = env("FIXGW_FIX_CREDENTIALS"); cred && !cred->empty())
    cfg.fix.credentialsFile = resolvePath(*cred, baseDir);
  for (const auto& sc : cfg.fix.sessions)
    if (sc.requireLogonAuth && cfg.fix.credentialsFile.empty())
      throw ConfigError("fix.auth.credentials_file: required because session " + sc.beginString +
                        " " + sc.targetCompId +
                        " has require_logon_auth (or set FIXGW_FIX_CREDENTIALS)");

  {
    const Value* ins = arrayAt(root, "instruments");
    if (!ins || ins->Empty()) throw ConfigError("instruments: at least one instrument is required");
    for (rapidjson::SizeType i = 0; i < ins->Size(); ++i) {
      std::string path = "instruments[" + std::to_string(i) + "]";
      Obj o((*ins)[i], path, env);
      Instrument in;
      in.symbol = Symbol(o.reqStr("symbol"));
      if (in.symbol.empty()) throw ConfigError(path + ".symbol: must not be empty");
      if (cfg.instruments.find(in.symbol))
        throw ConfigError(path + ".symbol: duplicate symbol '" + in.symbol.str() + "'");
      in.currency = o.str("currency", in.currency);
      in.tickSize = o.optDecimal<Price>("tick_size").value_or(in.tickSize);
      in.lotSize = o.optDecimal<Qty>("lot_size").value_or(in.lotSize);
      in.minQty = o.optDecimal<Qty>("min_qty").value_or(Qty{});
      in.referencePrice = o.reqDecimal<Price>("reference_price");
      risk::InstrumentRiskRules rules;
      rules.roundToTick = o.boolean("round_to_tick", false);
      rules.roundToLot = o.boolean("round_to_lot", false);
      if (rules.roundToTick || rules.roundToLot) cfg.risk.instruments[in.symbol] = rules;
      if (!in.tickSize.isPositive()) throw ConfigError(path + ".tick_size: must be positive");
      if (!in.lotSize.isPositive()) throw ConfigError(path + ".lot_size: must be positive");
      if (!in.referencePrice.isPositive())
        throw ConfigError(path + ".reference_price: must be positive");
      if (!in.referencePrice.isMultipleOf(in.tickSize))
        throw ConfigError(path + ".reference_price: " + in.referencePrice.str() +
                          " is not a multiple of tick_size " + in.tickSize.str());
      // The contract as FIX names it (docs/rules-of-engagement.md, "Instrument fields").
      in.securityType = o.str("security_type", "");
      in.underlying = o.str("underlying", "");
      in.maturityMonthYear = o.str("maturity_month_year", "");
      if (auto pc = o.optStr("put_or_call")) {
        if (*pc == "put" || *pc == "0")
          in.putOrCall = '0';
        else if (*pc == "call" || *pc == "1")
          in.putOrCall = '1';
        else
          throw ConfigError(path + ".put_or_call: expected \"put\" or \"call\", got '" + *pc + "'");
      }
      in.strike = o.optDecimal<Price>("strike");
      if (in.strike && !in.strike->isPositive())
        throw ConfigError(path + ".strike: must be positive");
      in.exchange = o.str("exchange", "");
      in.contractSize = o.optDecimal<Qty>("contract_size").value_or(in.contractSize);
      if (!in.contractSize.isPositive())
        throw ConfigError(path + ".contract_size: must be positive");
      in.marginMode = o.str("margin_mode", in.marginMode);
      if (in.marginMode != "cash" && in.marginMode != "isolated" && in.marginMode != "cross")
        throw ConfigError(path + ".margin_mode: expected \"cash\", \"isolated\" or \"cross\", got '" +
                          in.marginMode + "'");
      in.settleCurrency = o.str("settle_currency", "");
      if (!in.maturityMonthYear.empty() &&
          (in.maturityMonthYear.size() != 6 && in.maturityMonthYear.size() != 8))
        throw ConfigError(path + ".maturity_month_year: expected YYYYMM or YYYYMMDD, got '" +
                          in.maturityMonthYear + "'");
      if (const Value* vs = o.get("venue_symbols")) {
        Obj m(*vs, path + ".venue_symbols", env);
        for (auto it = vs->MemberBegin(); it != vs->MemberEnd(); ++it)
          in.venueSymbols[it->name.GetString()] = *m.optStr(it->name.GetString());
      }
      cfg.instruments.add(std::move(in));
    }
  }

  std::set<VenueId> venueNames;
  {
    const Value* vs = arrayAt(root, "venues");
    if (!vs || vs->Empty()) throw ConfigError("venues: at least one venue is required");
    for (rapidjson::SizeType i = 0; i < vs->Size(); ++i) {
      std::string path = "venues[" + std::to_string(i) + "]";
      Obj o((*vs)[i], path, env);
      VenueCfg vc;
      vc.name = o.reqStr("name");
      vc.type = o.reqStr("type");
      if (vc.name.empty()) throw ConfigError(path + ".name: must not be empty");
      if (!venueNames.insert(VenueId(vc.name)).second)
        throw ConfigError(path + ".name: duplicate venue name '" + vc.name + "'");
      if (const Value* p = o.get("params")) {
        if (!p->IsObject()) throw ConfigError(path + ".params: expected an object");
        Obj po(*p, path + ".params", env);
        for (auto it = p->MemberBegin(); it != p->MemberEnd(); ++it) {
          std::string k = it->name.GetString();
          po.get(k);
          vc.params[k] = scalarText(it->value, path + ".params." + k, env);
        }
      }
      cfg.venues.push_back(std::move(vc));
    }
  }

  if (const Value* v = root.get("routing")) {
    Obj o(*v, "routing", env);
    if (auto d = o.optStr("default_venue")) {
      if (!venueNames.count(VenueId(*d)) && !router::isSorRoute(VenueId(*d)))
        throw ConfigError("routing.default_venue: '" + *d + "' is not a configured venue");
      cfg.routing.defaultVenue = VenueId(*d);
    }
    if (const Value* rules = arrayAt(o, "rules")) {
      for (rapidjson::SizeType i = 0; i < rules->Size(); ++i) {
        std::string path = "routing.rules[" + std::to_string(i) + "]";
        Obj r((*rules)[i], path, env);
        router::RoutingRule rule;
        if (auto s = r.optStr("symbol")) rule.symbol = Symbol(*s);
        if (auto a = r.optStr("account")) rule.account = Account(*a);
        if (auto x = r.optStr("ex_destination")) rule.exDestination = VenueId(*x);
        if (auto pid = r.optStr("party_id")) rule.partyId = *pid;
        if (r.get("party_role")) {
          const int64_t role = r.integer("party_role", 0);
          if (role <= 0)
            throw ConfigError(path + ".party_role: must be a positive PartyRole (452)");
          if (!rule.partyId) throw ConfigError(path + ".party_role: needs party_id");
          rule.partyRole = static_cast<int>(role);
        }
        rule.venue = VenueId(r.reqStr("venue"));
        if (!venueNames.count(rule.venue) && !router::isSorRoute(rule.venue))
          throw ConfigError(path + ".venue: '" + rule.venue.str() + "' is not a configured venue");
        cfg.routing.rules.push_back(std::move(rule));
      }
    }
  } else if (cfg.venues.size() == 1) {
    cfg.routing.defaultVenue = VenueId(cfg.venues[0].name);
  }

  if (const Value* v = root.get("sor")) parseSorSection(*v, venueNames, env, cfg.sor);

  if (const Value* v = root.get("risk")) parseRiskSection(*v, baseDir, env, cfg.risk);
  if (const Value* v = root.get("tca")) {
    Obj o(*v, "tca", env);
    cfg.tca.subscribeMarketData = o.boolean("subscribe_market_data", cfg.tca.subscribeMarketData);
    cfg.tca.printGraceMs = o.integer("print_grace_ms", cfg.tca.printGraceMs);
    if (cfg.tca.printGraceMs < 0 || cfg.tca.printGraceMs > 30'000)
      throw ConfigError("tca.print_grace_ms: must be 0..30000, got " +
                        std::to_string(cfg.tca.printGraceMs));
  }


  if (const Value* v = root.get("admin")) {
    Obj o(*v, "admin", env);
    if (const Value* h = o.get("http")) {
      Obj ho(*h, "admin.http", env);
      AdminHttpCfg& a = cfg.adminHttp;
      a.enabled = true;
      a.host = ho.str("host", a.host);
      a.port = static_cast<int>(ho.integer("port", a.port));
      if (a.port < 0 || a.port > 65535) throw ConfigError("admin.http.port: must be 0..65535");
      a.tokensFile = resolvePath(ho.str("tokens_file", ""), baseDir);
      a.webRoot = resolvePath(ho.str("web_root", ""), baseDir);
      const int64_t body = ho.integer("max_body_bytes", static_cast<int64_t>(a.maxBodyBytes));
      if (body < 1024 || body > 16 * 1024 * 1024)
        throw ConfigError("admin.http.max_body_bytes: must be 1024..16777216");
      a.maxBodyBytes = static_cast<size_t>(body);
      const int64_t to = ho.integer("request_timeout_ms", a.requestTimeoutMs);
      if (to < 100 || to > 600'000)
        throw ConfigError("admin.http.request_timeout_ms: must be 100..600000");
      a.requestTimeoutMs = static_cast<int>(to);
      const int64_t mc = ho.integer("max_connections", a.maxConnections);
      if (mc < 1 || mc > 10'000) throw ConfigError("admin.http.max_connections: must be 1..10000");
      a.maxConnections = static_cast<int>(mc);
    }
  }
  return cfg;
}

GatewayConfig loadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    std::string base = fs::absolute(fs::path(path)).parent_path().string();
    GatewayConfig cfg = parseConfig(ss.str(), base);
    cfg.path = path;
    return cfg;
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
}

}  // namespace fixgw::config
