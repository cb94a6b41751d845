#include "venue_adapters/alpaca/emulator.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "venue_adapters/alpaca/auth.h"
#include "venue_adapters/alpaca/parse.h"
#include "venue_adapters/net/server.h"

namespace fixgw::alpaca {

namespace {

using W = rapidjson::Writer<rapidjson::StringBuffer>;
constexpr int64_t kSec = 1'000'000'000;

void kv(W& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
void kvOpt(W& w, const char* k, const std::string& v) {
  w.Key(k);
  if (v.empty())
    w.Null();
  else
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

std::string urlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> query(const std::string& target) {
  std::map<std::string, std::string> q;
  size_t at = target.find('?');
  if (at == std::string::npos) return q;
  std::string_view s(target);
  s.remove_prefix(at + 1);
  while (!s.empty()) {
    size_t amp = s.find('&');
    std::string_view kvp = s.substr(0, amp);
    size_t eq = kvp.find('=');
    if (eq != std::string_view::npos)
      q[urlDecode(kvp.substr(0, eq))] = urlDecode(kvp.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    s.remove_prefix(amp + 1);
  }
  return q;
}

struct EmOrder {
  std::string id, clientOrderId, symbol, side, type, tif, status = "new";
  std::string replacedBy, replaces;
  Qty qty, filled;
  __int128 costRaw = 0;
  std::optional<Price> limit, stop;
  bool extended = false;
  WallNanos created = 0, updated = 0;
  bool open() const {
    return status == "new" || status == "accepted" || status == "partially_filled" ||
           status == "pending_new";
  }
  bool buy() const { return side == "buy"; }
};

struct EmFill {
  std::string activityId, execId, orderId, symbol, side, type;
  Qty qty, cum, leaves;
  Price px;
  WallNanos time = 0;
};

struct Peer {
  std::shared_ptr<net::WsPeer> ws;
  bool authorized = false;
  bool listening = false;
  bool data = false;                     // the market data stream (/v2/iex, /v2/sip)
  std::set<std::string> trades, quotes;  // data subscriptions
};

struct Fail {
  enum Kind { Before, After, Garble, RateLimit } kind;
  int status = 0;
  int64_t code = 0;
  std::string message;
  int64_t resetSec = 1;
};

}  // namespace

struct AlpacaEmulator::Impl : std::enable_shared_from_this<AlpacaEmulator::Impl> {
  explicit Impl(EmulatorOptions opts)
      : o(std::move(opts)), clock(o.clock ? *o.clock : SystemClock::instance()) {
    for (const auto& a : o.assetsJson) {
      Asset as;
      if (auto e = parseAsset(a, as); !e.empty())
        throw std::invalid_argument("AlpacaEmulator: assetsJson: " + e);
      assets[as.symbol] = {as, a};
    }
  }
  EmulatorOptions o;
  const Clock& clock;
  net::SelfSignedCert cert;
  std::unique_ptr<net::TlsServer> server;
  std::map<std::string, std::pair<Asset, std::string>> assets;

  mutable std::mutex mu;
  std::map<std::string, Price> last;
  std::map<std::string, EmOrder> orders;  // by id
  std::vector<std::string> orderSeq;
  std::vector<EmFill> fills;
  std::map<std::string, Qty> position;
  std::vector<Peer> peers;
  bool refuse = false, marketOpen = true;
  int parts = 1;
  int64_t nextId = 1;
  std::deque<Fail> fails;
  std::deque<int64_t> delays;
  std::map<std::string, int> reqCount;
  int authFails = 0, rateErrors = 0, streamsOpened = 0;
  std::string lastFillMsg, lastBody, lastClOrd;
  std::deque<MonoNanos> window;

  std::string newUuid() {
    // Alpaca's ids are UUIDs; a counter mixed into that shape is unique here.
    uint64_t v = static_cast<uint64_t>(++nextId) * 0x9E3779B97F4A7C15ull;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(v >> 32),
                  static_cast<unsigned>((v >> 16) & 0xffff), static_cast<unsigned>(v & 0xfff),
                  static_cast<unsigned>((v >> 20) & 0xfff),
                  static_cast<unsigned long long>(nextId));
    return buf;
  }

  // ------------------------------------------------------------ JSON out
  std::string orderJson(const EmOrder& e) const {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "id", e.id);
    kv(w, "client_order_id", e.clientOrderId);
    kv(w, "created_at", formatIsoTimestamp(e.created));
    kv(w, "updated_at", formatIsoTimestamp(e.updated));
    kv(w, "submitted_at", formatIsoTimestamp(e.created));
    kvOpt(w, "replaced_by", e.replacedBy);
    kvOpt(w, "replaces", e.replaces);
    kv(w, "symbol", e.symbol);
    kv(w, "asset_class", "us_equity");
    w.Key("notional");
    w.Null();
    kv(w, "qty", e.qty.str());
    kv(w, "filled_qty", e.filled.str());
    if (e.filled.isPositive())
      kv(w, "filled_avg_price",
         Price::fromMantissa(static_cast<int64_t>(e.costRaw * kOne / e.filled.mantissa())).str());
    else
      kvOpt(w, "filled_avg_price", "");
    kv(w, "order_class", "");
    kv(w, "order_type", e.type);
    kv(w, "type", e.type);
    kv(w, "side", e.side);
    kv(w, "time_in_force", e.tif);
    kvOpt(w, "limit_price", e.limit ? e.limit->str() : "");
    kvOpt(w, "stop_price", e.stop ? e.stop->str() : "");
    kv(w, "status", e.status);
    w.Key("extended_hours");
    w.Bool(e.extended);
    w.EndObject();
    return sb.GetString();
  }

  std::string update(const EmOrder& e, const std::string& event, const EmFill* f) {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "event", event);
    if (f) {
      kv(w, "execution_id", f->execId);
      kv(w, "price", f->px.str());
      kv(w, "qty", f->qty.str());
      kv(w, "position_qty", position[e.symbol].str());
    }
    kv(w, "timestamp", formatIsoTimestamp(clock.wallNow()));
    w.EndObject();
    std::string data = sb.GetString();
    data.pop_back();
    return R"({"stream":"trade_updates","data":)" + data + ",\"order\":" + orderJson(e) + "}}";
  }

  void publish(const std::string& msg) {
    for (auto& p : peers)
      if (p.listening) p.ws->send(msg);
  }

  // ------------------------------------------------------------ market data
  // A quote one cent either side of the last price (100 shares each).
  std::string quoteMsg(const std::string& sym) const {
    const Price lp = last.at(sym);
    const Price cent = Price::of("0.01");
    return R"([{"T":"q","S":")" + sym + R"(","bx":"V","bp":)" + (lp - cent).str() +
           R"(,"bs":100,"ax":"V","ap":)" + (lp + cent).str() +
           R"(,"as":100,"c":["R"],"z":"C","t":")" + formatIsoTimestamp(clock.wallNow()) + R"("}])";
  }
  void publishMarket(const std::string& sym, const Price* px, const Qty* qty) {
    if (!last.count(sym)) return;
    for (auto& p : peers) {
      if (!p.data) continue;
      if (px && p.trades.count(sym))
        p.ws->send(R"([{"T":"t","S":")" + sym + R"(","i":)" + std::to_string(++nextId) +
                   R"(,"x":"V","p":)" + px->str() + R"(,"s":)" + qty->str() +
                   R"(,"c":["@"],"z":"C","t":")" + formatIsoTimestamp(clock.wallNow()) + R"("}])");
      if (p.quotes.count(sym)) p.ws->send(quoteMsg(sym));
    }
  }

  void onDataMessage(Peer& p, const rapidjson::Document& d, const std::string& action) {
    auto s = [&](const char* k) {
      return d.HasMember(k) && d[k].IsString() ? std::string(d[k].GetString()) : std::string();
    };
    if (action == "auth") {
      if (verifyAuthHeaders(s("key"), s("secret"), o.apiKey, o.secret).empty()) {
        p.authorized = true;
        p.ws->send(R"([{"T":"success","msg":"authenticated"}])");
      } else {
        ++authFails;
        p.ws->send(R"([{"T":"error","code":402,"msg":"auth failed"}])");
        p.ws->close();
      }
      return;
    }
    if (action != "subscribe" && action != "unsubscribe") {
      p.ws->send(R"([{"T":"error","code":401,"msg":"not authenticated"}])");
      return;
    }
    if (!p.authorized) {
      p.ws->send(R"([{"T":"error","code":401,"msg":"not authenticated"}])");
      return;
    }
    std::vector<std::string> fresh;
    for (const char* kind : {"trades", "quotes"}) {
      if (!d.HasMember(kind) || !d[kind].IsArray()) continue;
      auto& set = std::string(kind) == "trades" ? p.trades : p.quotes;
      for (const auto& x : d[kind].GetArray()) {
        if (!x.IsString()) continue;
        if (action == "unsubscribe") {
          set.erase(x.GetString());
        } else if (set.insert(x.GetString()).second && std::string(kind) == "quotes") {
          fresh.emplace_back(x.GetString());
        }
      }
    }
    auto list = [](const std::set<std::string>& v) {
      std::string out;
      for (const auto& x : v) out += (out.empty() ? "\"" : ",\"") + x + "\"";
      return "[" + out + "]";
    };
    p.ws->send(R"([{"T":"subscription","trades":)" + list(p.trades) + R"(,"quotes":)" +
               list(p.quotes) + R"(,"bars":[]}])");
    for (const auto& sym : fresh)
      if (last.count(sym)) p.ws->send(quoteMsg(sym));
  }

  // ------------------------------------------------------------ matching
  bool tradable(const EmOrder& e) const { return marketOpen || (e.extended && e.type == "limit"); }

  void execute(EmOrder& e, Qty q, Price px) {
    if (q > e.qty - e.filled) q = e.qty - e.filled;
    if (!q.isPositive()) return;
    e.filled += q;
    e.costRaw += notional128(px, q);
    e.updated = clock.wallNow();
    e.status = e.filled >= e.qty ? "filled" : "partially_filled";
    Qty& pos = position[e.symbol];
    pos = e.buy() ? pos + q : pos - q;
    EmFill f;
    f.execId = newUuid();
    // Alpaca's activity id: "<yyyymmddhhmmssmmm>::<execution id>".
    std::string ts = formatIsoTimestamp(e.updated);
    std::string digits;
    for (char ch : ts.substr(0, 23))
      if (std::isdigit(static_cast<unsigned char>(ch))) digits.push_back(ch);
    f.activityId = digits + "::" + f.execId;
    f.orderId = e.id;
    f.symbol = e.symbol;
    f.side = e.side;
    f.type = e.status == "filled" ? "fill" : "partial_fill";
    f.qty = q;
    f.px = px;
    f.cum = e.filled;
    f.leaves = e.qty - e.filled;
    f.time = e.updated;
    fills.push_back(f);
    lastFillMsg = update(e, f.type, &f);
    publish(lastFillMsg);
    last[e.symbol] = px;
    publishMarket(e.symbol, &px, &q);
  }

  void match(EmOrder& e) {
    if (!e.open() || !tradable(e)) return;
    if (e.status == "accepted") {
      e.status = "new";
      publish(update(e, "new", nullptr));
    }
    auto lp = last.find(e.symbol);
    if (lp == last.end()) return;
    const Price px = lp->second;
    bool go = false;
    if (e.type == "market") go = true;
    if (e.type == "limit") go = e.buy() ? px <= *e.limit : px >= *e.limit;
    if (e.type == "stop" || e.type == "stop_limit") {
      const bool triggered = e.buy() ? px >= *e.stop : px <= *e.stop;
      go = triggered && (e.type == "stop" || (e.buy() ? px <= *e.limit : px >= *e.limit));
    }
    if (!go) {
      if (e.tif == "ioc" || e.tif == "fok") {
        e.status = "canceled";
        publish(update(e, "canceled", nullptr));
      }
      return;
    }
    const Qty rest = e.qty - e.filled;
    const int n = e.tif == "fok" ? 1 : parts;
    const int64_t each = rest.mantissa() / n;
    for (int i = 0; i < n && e.open(); ++i)
      execute(e, i == n - 1 ? e.qty - e.filled : Qty::fromMantissa(each), px);
  }

  // ------------------------------------------------------------ REST
  net::HttpResponse reply(int status, const std::string& body) {
    net::HttpResponse r;
    r.status = status;
    r.body = body;
    r.headers["content-type"] = "application/json";
    return r;
  }
  net::HttpResponse error(int status, int64_t code, const std::string& msg) {
    return reply(status, "{\"code\":" + std::to_string(code) + ",\"message\":\"" + msg + "\"}");
  }

  net::HttpResponse onHttp(const net::HttpRequest& req) {
    std::lock_guard lk(mu);
    const std::string path = req.target.substr(0, req.target.find('?'));
    ++reqCount[req.method + " " + path];
    std::string key, secret;
    for (const auto& [n, v] : req.headers) {
      std::string l;
      for (char ch : n)
        l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
      if (l == "apca-api-key-id") key = v;
      if (l == "apca-api-secret-key") secret = v;
    }
    net::HttpResponse r;
    // The rate limit counts every authenticated call in a rolling minute.
    const MonoNanos now = clock.monoNow();
    while (!window.empty() && window.front() <= now - 60 * kSec) window.pop_front();
    const int64_t resetAt = clock.wallNow() / kSec + 60;
    auto limited = [&](net::HttpResponse x, int64_t remaining, int64_t reset) {
      x.headers["x-ratelimit-limit"] = std::to_string(o.requestsPerMin);
      x.headers["x-ratelimit-remaining"] = std::to_string(std::max<int64_t>(remaining, 0));
      x.headers["x-ratelimit-reset"] = std::to_string(reset);
      if (!delays.empty()) {
        x.delayMs = delays.front();
        delays.pop_front();
      }
      return x;
    };
    if (!verifyAuthHeaders(key, secret, o.apiKey, o.secret).empty()) {
      ++authFails;
      return error(401, 40110000, "request is not authorized");
    }
    if (static_cast<int64_t>(window.size()) >= o.requestsPerMin) {
      ++rateErrors;
      return limited(error(429, 42910000, "rate limit exceeded"), 0, resetAt);
    }
    window.push_back(now);
    const int64_t remaining = o.requestsPerMin - static_cast<int64_t>(window.size());
    const bool injectable = path.rfind("/v2/orders", 0) == 0 || path.rfind("/v2/account", 0) == 0;
    if (injectable && !fails.empty()) {
      Fail f = fails.front();
      if (f.kind == Fail::Before || f.kind == Fail::RateLimit) {
        fails.pop_front();
        if (f.kind == Fail::RateLimit) {
          ++rateErrors;
          return limited(error(429, 42910000, "rate limit exceeded"), 0,
                         clock.wallNow() / kSec + f.resetSec);
        }
        return limited(error(f.status, f.code, f.message), remaining, resetAt);
      }
    }
    r = route(req, path);
    if (injectable && !fails.empty()) {
      Fail f = fails.front();
      fails.pop_front();
      if (f.kind == Fail::After) r = reply(f.status, "upstream connect error");
      if (f.kind == Fail::Garble) r.body = r.body.substr(0, r.body.size() / 2) + "\x01garbled";
    }
    return limited(r, remaining, resetAt);
  }

  net::HttpResponse route(const net::HttpRequest& req, const std::string& path) {
    const auto q = query(req.target);
    if (req.method == "GET" && path == "/v2/clock") {
      const WallNanos now = clock.wallNow();
      rapidjson::StringBuffer sb;
      W w(sb);
      w.StartObject();
      kv(w, "timestamp", formatIsoTimestamp(now));
      w.Key("is_open");
      w.Bool(marketOpen);
      // Opens in an hour when closed; closes in 6 hours when open.
      kv(w, "next_open",
         formatIsoTimestamp(marketOpen ? now + 24 * 3600 * kSec : now + 3600 * kSec));
      kv(w, "next_close",
         formatIsoTimestamp(marketOpen ? now + 6 * 3600 * kSec : now + 7 * 3600 * kSec));
      w.EndObject();
      return reply(200, sb.GetString());
    }
    if (req.method == "GET" && path.rfind("/v2/assets/", 0) == 0) {
      const std::string sym = urlDecode(path.substr(11));
      auto a = assets.find(sym);
      if (a == assets.end()) return error(404, 40410000, "asset not found for " + sym);
      return reply(200, a->second.second);
    }
    if (req.method == "POST" && path == "/v2/orders") return newOrder(req.body);
    if (req.method == "GET" && path == "/v2/orders") {
      const std::string st = q.count("status") ? q.at("status") : "open";
      std::string out = "[";
      for (const auto& id : orderSeq) {
        const EmOrder& e = orders.at(id);
        if (st == "open" && !e.open()) continue;
        out += (out.size() > 1 ? "," : "") + orderJson(e);
      }
      return reply(200, out + "]");
    }
    if (req.method == "GET" && path == "/v2/orders:by_client_order_id") {
      const std::string c = q.count("client_order_id") ? q.at("client_order_id") : "";
      for (const auto& [id, e] : orders)
        if (e.clientOrderId == c) return reply(200, orderJson(e));
      return error(404, 40410000, "order not found for " + c);
    }
    if (path.rfind("/v2/orders/", 0) == 0) {
      const std::string id = path.substr(11);
      auto it = orders.find(id);
      if (it == orders.end()) return error(404, 40410000, "order not found");
      EmOrder& e = it->second;
      if (req.method == "GET") return reply(200, orderJson(e));
      if (req.method == "DELETE") {
        if (!e.open()) return error(422, 42210000, "order is not cancelable");
        e.status = "canceled";
        e.updated = clock.wallNow();
        publish(update(e, "canceled", nullptr));
        return reply(204, "");
      }
      if (req.method == "PATCH") return replaceOrder(e, req.body);
    }
    if (req.method == "GET" && path == "/v2/account/activities/FILL") {
      WallNanos after = 0;
      if (q.count("after")) {
        auto t = parseIsoTime(q.at("after"));
        if (!t) return error(422, 40010001, "invalid after");
        after = *t;
      }
      const bool desc = !q.count("direction") || q.at("direction") != "asc";
      std::vector<const EmFill*> sel;
      for (const auto& f : fills)
        if (f.time > after) sel.push_back(&f);
      if (desc) std::reverse(sel.begin(), sel.end());
      rapidjson::StringBuffer sb;
      W w(sb);
      w.StartArray();
      for (const EmFill* f : sel) {
        w.StartObject();
        kv(w, "activity_type", "FILL");
        kv(w, "id", f->activityId);
        kv(w, "cum_qty", f->cum.str());
        kv(w, "leaves_qty", f->leaves.str());
        kv(w, "price", f->px.str());
        kv(w, "qty", f->qty.str());
        kv(w, "side", f->side);
        kv(w, "symbol", f->symbol);
        kv(w, "transaction_time", formatIsoTimestamp(f->time));
        kv(w, "order_id", f->orderId);
        kv(w, "type", f->type);
        w.EndObject();
      }
      w.EndArray();
      return reply(200, sb.GetString());
    }
    return error(404, 40410000, "endpoint not found");
  }

  net::HttpResponse newOrder(const std::string& body) {
    lastBody = body;
    rapidjson::Document d;
    d.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.c_str());
    if (d.HasParseError() || !d.IsObject())
      return error(400, 40010000, "request body format is invalid");
    auto s = [&](const char* k) {
      return d.HasMember(k) && d[k].IsString() ? std::string(d[k].GetString()) : std::string();
    };
    EmOrder e;
    e.symbol = s("symbol");
    e.side = s("side");
    e.type = s("type");
    e.tif = s("time_in_force");
    e.clientOrderId = s("client_order_id");
    e.extended = d.HasMember("extended_hours") && d["extended_hours"].IsBool() &&
                 d["extended_hours"].GetBool();
    auto qty = Qty::parse(s("qty"));
    if (!qty || !qty->isPositive()) return error(422, 40010001, "qty must be > 0");
    e.qty = *qty;
    if (!s("limit_price").empty()) e.limit = Price::parse(s("limit_price"));
    if (!s("stop_price").empty()) e.stop = Price::parse(s("stop_price"));
    if (e.side != "buy" && e.side != "sell") return error(422, 40010001, "invalid side");
    if ((e.type == "limit" || e.type == "stop_limit") && !e.limit)
      return error(422, 40010001, "limit_price is required");
    if ((e.type == "stop" || e.type == "stop_limit") && !e.stop)
      return error(422, 40010001, "stop_price is required");
    if (e.clientOrderId.size() > 128)
      return error(422, 40010001, "client_order_id must be no more than 128 characters");
    auto a = assets.find(e.symbol);
    if (a == assets.end()) return error(422, 40010001, "asset \\\"" + e.symbol + "\\\" not found");
    if (!a->second.first.tradable)
      return error(422, 40310000, "asset " + e.symbol + " is not tradable");
    if (e.qty.mantissa() % kOne != 0 && !a->second.first.fractionable)
      return error(422, 40310000, "asset " + e.symbol + " is not fractionable");
    if (e.extended && (e.type != "limit" || e.tif != "day"))
      return error(422, 42210000, "extended hours order must be DAY limit orders");
    if (e.clientOrderId.empty()) e.clientOrderId = newUuid();
    for (const auto& [id, x] : orders)
      if (x.clientOrderId == e.clientOrderId)
        return error(422, 40010001, "client_order_id must be unique");
    lastClOrd = e.clientOrderId;
    e.id = newUuid();
    e.created = e.updated = clock.wallNow();
    e.status = tradable(e) ? "new" : "accepted";
    EmOrder& st = orders[e.id] = e;
    orderSeq.push_back(e.id);
    publish(update(st, st.status == "new" ? "new" : "pending_new", nullptr));
    const std::string acked = orderJson(st);
    match(st);
    return reply(200, acked);
  }

  net::HttpResponse replaceOrder(EmOrder& old, const std::string& body) {
    if (!old.open()) return error(422, 42210000, "order is not replaceable");
    rapidjson::Document d;
    d.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.c_str());
    if (d.HasParseError() || !d.IsObject())
      return error(400, 40010000, "request body format is invalid");
    auto s = [&](const char* k) {
      return d.HasMember(k) && d[k].IsString() ? std::string(d[k].GetString()) : std::string();
    };
    EmOrder n = old;
    n.filled = Qty();
    n.costRaw = 0;
    if (!s("qty").empty()) {
      auto q = Qty::parse(s("qty"));
      if (!q || !q->isPositive()) return error(422, 40010001, "qty must be > 0");
      n.qty = *q;
    } else {
      n.qty = old.qty - old.filled;
    }
    if (!s("limit_price").empty()) n.limit = Price::parse(s("limit_price"));
    if (!s("stop_price").empty()) n.stop = Price::parse(s("stop_price"));
    if (!s("time_in_force").empty()) n.tif = s("time_in_force");
    n.clientOrderId = s("client_order_id").empty() ? newUuid() : s("client_order_id");
    for (const auto& [id, x] : orders)
      if (x.clientOrderId == n.clientOrderId)
        return error(422, 40010001, "client_order_id must be unique");
    n.id = newUuid();
    n.replaces = old.id;
    n.replacedBy.clear();
    n.created = n.updated = clock.wallNow();
    n.status = tradable(n) ? "new" : "accepted";
    old.status = "replaced";
    old.replacedBy = n.id;
    old.updated = n.created;
    publish(update(old, "replaced", nullptr));
    EmOrder& st = orders[n.id] = n;
    orderSeq.push_back(n.id);
    publish(update(st, "new", nullptr));
    const std::string acked = orderJson(st);
    match(st);
    return reply(200, acked);
  }

  // ------------------------------------------------------------ stream
  void onWsMessage(net::WsPeer& ws, const std::string& text) {
    std::lock_guard lk(mu);
    Peer* p = nullptr;
    for (auto& x : peers)
      if (x.ws.get() == &ws) p = &x;
    if (!p) return;
    rapidjson::Document d;
    d.Parse(text.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("action") || !d["action"].IsString()) {
      ws.send(R"({"stream":"error","data":{"error_message":"invalid syntax"}})");
      return;
    }
    const std::string action = d["action"].GetString();
    if (p->data) return onDataMessage(*p, d, action);
    if (action == "auth" || action == "authenticate") {
      auto s = [&](const char* k) {
        return d.HasMember(k) && d[k].IsString() ? std::string(d[k].GetString()) : std::string();
      };
      if (verifyAuthHeaders(s("key"), s("secret"), o.apiKey, o.secret).empty()) {
        p->authorized = true;
        ws.send(
            R"({"stream":"authorization","data":{"status":"authorized","action":"authenticate"}})");
      } else {
        ++authFails;
        ws.send(
            R"({"stream":"authorization","data":{"status":"unauthorized","action":"authenticate"}})");
        ws.close();
      }
      return;
    }
    if (action == "listen") {
      if (!p->authorized) {
        ws.send(R"({"stream":"authorization","data":{"status":"unauthorized","action":"listen"}})");
        return;
      }
      p->listening = false;
      if (d.HasMember("data") && d["data"].IsObject() && d["data"].HasMember("streams") &&
          d["data"]["streams"].IsArray())
        for (const auto& s : d["data"]["streams"].GetArray())
          if (s.IsString() && std::string(s.GetString()) == "trade_updates") p->listening = true;
      ws.send(std::string(R"({"stream":"listening","data":{"streams":[)") +
              (p->listening ? "\"trade_updates\"" : "") + "]}}");
    }
  }
};

AlpacaEmulator::AlpacaEmulator(EmulatorOptions o) : impl_(std::make_shared<Impl>(std::move(o))) {}
AlpacaEmulator::~AlpacaEmulator() { stop(); }

uint16_t AlpacaEmulator::start(uint16_t port) {
  impl_->cert = net::makeSelfSignedCert("localhost");
  net::ServerHandlers h;
  std::weak_ptr<Impl> wk = impl_;
  h.onHttp = [wk](const net::HttpRequest& r) {
    auto s = wk.lock();
    if (s) return s->onHttp(r);
    net::HttpResponse gone;
    gone.status = 503;
    return gone;
  };
  h.acceptWs = [wk](const std::string& target) {
    auto s = wk.lock();
    if (!s) return false;
    std::lock_guard lk(s->mu);
    return !s->refuse && (target == "/stream" || target == "/v2/iex" || target == "/v2/sip");
  };
  h.onWsOpen = [wk](std::shared_ptr<net::WsPeer> p) {
    auto s = wk.lock();
    if (!s) return;
    std::lock_guard lk(s->mu);
    ++s->streamsOpened;
    const bool data = p->target() != "/stream";
    if (data) p->send(R"([{"T":"success","msg":"connected"}])");
    s->peers.push_back({std::move(p), false, false, data, {}, {}});
  };
  h.onWsMessage = [wk](net::WsPeer& p, const std::string& t) {
    if (auto s = wk.lock()) s->onWsMessage(p, t);
  };
  h.onWsClose = [wk](net::WsPeer& p) {
    auto s = wk.lock();
    if (!s) return;
    std::lock_guard lk(s->mu);
    std::erase_if(s->peers, [&](const Peer& x) { return x.ws.get() == &p; });
  };
  impl_->server = std::make_unique<net::TlsServer>(impl_->cert.certPem, impl_->cert.keyPem, h);
  return impl_->server->start(port);
}

void AlpacaEmulator::stop() {
  if (impl_->server) impl_->server->stop();
}
uint16_t AlpacaEmulator::port() const { return impl_->server ? impl_->server->port() : 0; }
const std::string& AlpacaEmulator::certPem() const { return impl_->cert.certPem; }

void AlpacaEmulator::setLastPrice(const std::string& symbol, Price p) {
  std::lock_guard lk(impl_->mu);
  impl_->last[symbol] = p;
  impl_->publishMarket(symbol, nullptr, nullptr);
}

void AlpacaEmulator::setMarketOpen(bool open) {
  std::lock_guard lk(impl_->mu);
  impl_->marketOpen = open;
  if (open)
    for (const auto& id : impl_->orderSeq) impl_->match(impl_->orders.at(id));
}

void AlpacaEmulator::trade(const std::string& symbol, Price p) {
  std::lock_guard lk(impl_->mu);
  impl_->last[symbol] = p;
  const Qty one = Qty::fromInt(100);
  impl_->publishMarket(symbol, &p, &one);
  for (const auto& id : impl_->orderSeq) {
    EmOrder& e = impl_->orders.at(id);
    if (e.symbol != symbol || !e.open() || e.type != "limit" || !impl_->tradable(e)) continue;
    if (e.buy() ? p <= *e.limit : p >= *e.limit) impl_->execute(e, e.qty - e.filled, *e.limit);
  }
}

bool AlpacaEmulator::fill(const std::string& clientOrderId, Qty qty, Price px) {
  std::lock_guard lk(impl_->mu);
  for (auto it = impl_->orderSeq.rbegin(); it != impl_->orderSeq.rend(); ++it) {
    EmOrder& e = impl_->orders.at(*it);
    if (!e.open()) continue;
    if (e.clientOrderId == clientOrderId || childIdOf(e.clientOrderId) == clientOrderId) {
      impl_->execute(e, qty, px);
      return true;
    }
  }
  return false;
}

void AlpacaEmulator::fillInParts(int parts) {
  std::lock_guard lk(impl_->mu);
  impl_->parts = std::max(parts, 1);
}

void AlpacaEmulator::replayLastFill() {
  std::lock_guard lk(impl_->mu);
  if (!impl_->lastFillMsg.empty()) impl_->publish(impl_->lastFillMsg);
}

void AlpacaEmulator::failNext(int httpStatus, int64_t code, std::string message, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i)
    impl_->fails.push_back({Fail::Before, httpStatus, code, message, 1});
}
void AlpacaEmulator::failAfterActing(int httpStatus, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->fails.push_back({Fail::After, httpStatus, 0, "", 1});
}
void AlpacaEmulator::garbleNext(int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->fails.push_back({Fail::Garble, 200, 0, "", 1});
}
void AlpacaEmulator::rateLimitNext(int count, int64_t resetInSec) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->fails.push_back({Fail::RateLimit, 429, 0, "", resetInSec});
}
void AlpacaEmulator::delayNext(int64_t ms, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->delays.push_back(ms);
}
void AlpacaEmulator::dropStreams() {
  std::vector<std::shared_ptr<net::WsPeer>> ps;
  {
    std::lock_guard lk(impl_->mu);
    for (auto& p : impl_->peers) ps.push_back(p.ws);
    impl_->peers.clear();
  }
  for (auto& p : ps) p->drop();
}
void AlpacaEmulator::refuseStreams(bool refuse) {
  std::lock_guard lk(impl_->mu);
  impl_->refuse = refuse;
}
void AlpacaEmulator::sendOnStreams(const std::string& text) {
  std::lock_guard lk(impl_->mu);
  impl_->publish(text);
}

int AlpacaEmulator::requests(const std::string& prefix) const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& [k, v] : impl_->reqCount)
    if (k.rfind(prefix, 0) == 0) n += v;
  return n;
}
int AlpacaEmulator::authFailures() const {
  std::lock_guard lk(impl_->mu);
  return impl_->authFails;
}
int AlpacaEmulator::rateLimitErrors() const {
  std::lock_guard lk(impl_->mu);
  return impl_->rateErrors;
}
int AlpacaEmulator::streamsOpened() const {
  std::lock_guard lk(impl_->mu);
  return impl_->streamsOpened;
}
int AlpacaEmulator::marketDataSubscribers() const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& p : impl_->peers) n += p.data && !p.quotes.empty();
  return n;
}
int AlpacaEmulator::tradeUpdateListeners() const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& p : impl_->peers) n += p.listening;
  return n;
}
std::optional<std::string> AlpacaEmulator::orderStatus(const std::string& clientOrderId) const {
  std::lock_guard lk(impl_->mu);
  for (const auto& [id, e] : impl_->orders)
    if (e.clientOrderId == clientOrderId) return e.status;
  return std::nullopt;
}
std::string AlpacaEmulator::lastOrderBody() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastBody;
}
std::string AlpacaEmulator::lastClientOrderId() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastClOrd;
}

}  // namespace fixgw::alpaca
