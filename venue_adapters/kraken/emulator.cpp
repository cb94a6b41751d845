#include "venue_adapters/kraken/emulator.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "venue_adapters/kraken/auth.h"
#include "venue_adapters/kraken/parse.h"
#include "venue_adapters/net/server.h"

namespace fixgw::kraken {

namespace {

using Params = std::map<std::string, std::string>;
using W = rapidjson::Writer<rapidjson::StringBuffer>;

std::string urlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Params parseParams(std::string_view q) {
  Params p;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) p[urlDecode(kv.substr(0, eq))] = urlDecode(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return p;
}

void kv(W& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
// A JSON number written from exact decimal text (WebSocket v2 style).
void num(W& w, const char* k, const std::string& v) {
  w.Key(k);
  w.RawValue(v.c_str(), v.size(), rapidjson::kNumberType);
}
void num(W& w, const char* k, int64_t v) {
  w.Key(k);
  w.Int64(v);
}

std::string envelope(const std::string& resultJson) {
  return "{\"error\":[],\"result\":" + resultJson + "}";
}
net::HttpResponse ok(const std::string& resultJson) {
  net::HttpResponse r;
  r.status = 200;
  r.body = envelope(resultJson);
  return r;
}
net::HttpResponse err(const std::string& e) {
  net::HttpResponse r;
  r.status = 200;  // Kraken answers its errors with HTTP 200
  r.body = "{\"error\":[\"" + e + "\"]}";
  return r;
}

std::string unixTime(int64_t ns) {
  std::string frac = std::to_string((ns % 1'000'000'000) / 100'000);  // 4 places, as Kraken
  return std::to_string(ns / 1'000'000'000) + "." + std::string(4 - frac.size(), '0') + frac;
}
std::string isoTime(int64_t ns) { return formatIsoTimestamp(ns); }

struct EmOrder {
  std::string txid, clOrdId, pairKey, side, type, tif = "GTC", oflags;
  Price price, price2;
  Qty vol, volExec, fee;
  __int128 costRaw = 0;
  std::string status = "open";
  int64_t opentm = 0, expiretm = 0, userref = 0;
  std::vector<std::string> trades;
  bool buy() const { return side == "buy"; }
  bool open() const { return status == "open" || status == "pending"; }
};

struct EmTrade {
  std::string id, orderTxid, pairKey, side, ordertype;
  Price px;
  Qty qty, fee;
  int64_t time = 0;
  int64_t tradeNo = 0;
  bool maker = false;
};

struct Peer {
  std::shared_ptr<net::WsPeer> ws;
  bool executions = false;
  std::map<std::string, std::set<std::string>> channels;  // channel -> v2 symbols
};

}  // namespace

struct KrakenEmulator::Impl : std::enable_shared_from_this<KrakenEmulator::Impl> {
  explicit Impl(EmulatorOptions opts)
      : o(std::move(opts)), clock(o.clock ? *o.clock : SystemClock::instance()) {
    if (auto e = parseAssetPairs(o.assetPairsJson, pairs); !e.empty())
      throw std::invalid_argument("KrakenEmulator: assetPairsJson: " + e);
  }
  EmulatorOptions o;
  const Clock& clock;
  net::SelfSignedCert cert;
  std::unique_ptr<net::TlsServer> server;
  AssetPairs pairs;

  mutable std::mutex mu;
  std::map<std::string, Price> last;  // by pair key
  std::map<std::string, EmOrder> orders;
  std::vector<std::string> orderSeq;  // txids in creation order
  std::vector<EmTrade> trades;
  int64_t nextId = 100000, tradeNo = 365000, sequence = 1;
  std::set<std::string> tokens;
  bool refuse = false;
  std::vector<Peer> peers;
  std::deque<std::string> fails;
  int garble = 0;
  std::deque<int64_t> delays;
  std::map<std::string, int> reqCount;
  int sigFailures = 0, nonceFailures = 0, rateErrors = 0, streamsOpened = 0;
  int parts = 1;
  std::string lastTradeEvent, lastOrderParams;
  uint64_t lastNonce = 0;
  double counter = 0;
  MonoNanos counterAt = 0;
  std::map<std::string, std::pair<double, MonoNanos>> trading;

  std::string newId(char prefix) {
    // Kraken's id shape: 6-5-6 upper-case letters and digits.
    static const char* al = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint64_t v = static_cast<uint64_t>(++nextId) * 0x9E3779B97F4A7C15ull;
    std::string s(1, prefix);
    for (int i = 1; i < 18; ++i) {
      s.push_back(al[(v >> ((i * 3) % 60)) & 31]);
      if (i == 5 || i == 10) s.push_back('-');
    }
    return s;
  }

  const PairInfo* pairOf(const std::string& name) const { return pairs.find(name); }

  // ------------------------------------------------------------ JSON out
  std::string orderJson(const EmOrder& e) const {
    const PairInfo& p = pairs.byKey.at(e.pairKey);
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    w.Key("refid");
    w.Null();
    num(w, "userref", e.userref);
    kv(w, "cl_ord_id", e.clOrdId);
    kv(w, "status", e.status);
    w.Key("reason");
    w.Null();
    num(w, "opentm", unixTime(e.opentm));
    num(w, "starttm", int64_t{0});
    num(w, "expiretm", e.expiretm);
    w.Key("descr");
    w.StartObject();
    kv(w, "pair", p.altname);
    kv(w, "type", e.side);
    kv(w, "ordertype", e.type);
    kv(w, "price", decimal(e.price.mantissa()));
    kv(w, "price2", decimal(e.price2.mantissa()));
    kv(w, "leverage", "none");
    kv(w, "order",
       e.side + " " + decimal8(e.vol.mantissa()) + " " + p.altname + " @ " + e.type + " " +
           decimal(e.price.mantissa()));
    kv(w, "close", "");
    w.EndObject();
    kv(w, "vol", decimal8(e.vol.mantissa()));
    kv(w, "vol_exec", decimal8(e.volExec.mantissa()));
    kv(w, "cost", decimal8(static_cast<int64_t>(e.costRaw / kOne)));
    kv(w, "fee", decimal8(e.fee.mantissa()));
    kv(w, "price",
       decimal8(e.volExec.isPositive() ? averageFromRaw(e.costRaw, e.volExec).mantissa() : 0));
    kv(w, "stopprice", "0.00000");
    kv(w, "limitprice", "0.00000");
    kv(w, "misc", "");
    kv(w, "oflags", e.oflags.empty() ? "fciq" : e.oflags + ",fciq");
    w.Key("trades");
    w.StartArray();
    for (const auto& t : e.trades) w.String(t.c_str());
    w.EndArray();
    w.EndObject();
    return sb.GetString();
  }

  std::string tradeJson(const EmTrade& t) const {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "ordertxid", t.orderTxid);
    kv(w, "postxid", "TKH2SE-M7IF5-CFI7LT");
    kv(w, "pair", t.pairKey);
    num(w, "time", unixTime(t.time));
    kv(w, "type", t.side);
    kv(w, "ordertype", t.ordertype);
    kv(w, "price", decimal8(t.px.mantissa()));
    kv(w, "cost", decimal8(notional(t.px, t.qty).mantissa()));
    kv(w, "fee", decimal8(t.fee.mantissa()));
    kv(w, "vol", decimal8(t.qty.mantissa()));
    kv(w, "margin", "0.00000");
    kv(w, "misc", "");
    num(w, "trade_id", t.tradeNo);
    w.Key("maker");
    w.Bool(t.maker);
    w.EndObject();
    return sb.GetString();
  }

  // One executions report (WebSocket v2), sent to every subscriber.
  std::string execJson(const EmOrder& e, const std::string& execType, const EmTrade* t,
                       const std::string& reason = "") {
    const PairInfo& p = pairs.byKey.at(e.pairKey);
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "order_id", e.txid);
    if (!e.clOrdId.empty()) kv(w, "cl_ord_id", e.clOrdId);
    num(w, "order_userref", e.userref);
    kv(w, "exec_type", execType);
    kv(w, "symbol", p.v2symbol);
    kv(w, "side", e.side);
    kv(w, "order_type", e.type);
    num(w, "order_qty", decimal(e.vol.mantissa()));
    if (e.type != "market") num(w, "limit_price", decimal(e.price.mantissa()));
    if (!e.tif.empty()) kv(w, "time_in_force", e.tif);
    kv(w, "order_status",
       e.status == "open" && e.volExec.isPositive() ? "partially_filled"
       : e.status == "open"                         ? "new"
       : e.status == "closed"                       ? "filled"
                                                    : e.status);
    num(w, "cum_qty", decimal(e.volExec.mantissa()));
    num(w, "cum_cost", decimal(static_cast<int64_t>(e.costRaw / kOne)));
    if (!reason.empty()) kv(w, "reason", reason);
    if (t) {
      kv(w, "exec_id", t->id);
      num(w, "trade_id", t->tradeNo);
      num(w, "last_qty", decimal(t->qty.mantissa()));
      num(w, "last_price", decimal(t->px.mantissa()));
      kv(w, "liquidity_ind", t->maker ? "m" : "t");
      num(w, "cost", decimal(notional(t->px, t->qty).mantissa()));
      w.Key("fees");
      w.StartArray();
      w.StartObject();
      kv(w, "asset", commonAsset(p.quote));
      num(w, "qty", decimal(t->fee.mantissa()));
      w.EndObject();
      w.EndArray();
    } else {
      kv(w, "exec_id", newId('T'));
    }
    kv(w, "timestamp", isoTime(clock.wallNow()));
    w.EndObject();
    return sb.GetString();
  }

  void publishExec(const std::string& execObj, const char* type = "update") {
    std::string msg = std::string("{\"channel\":\"executions\",\"type\":\"") + type +
                      "\",\"data\":[" + execObj + "],\"sequence\":" + std::to_string(++sequence) +
                      "}";
    for (auto& p : peers)
      if (p.executions) p.ws->send(msg);
  }

  void report(const EmOrder& e, const std::string& execType, const EmTrade* t = nullptr,
              const std::string& reason = "") {
    std::string obj = execJson(e, execType, t, reason);
    if (t)
      lastTradeEvent = "{\"channel\":\"executions\",\"type\":\"update\",\"data\":[" + obj +
                       "],\"sequence\":" + std::to_string(sequence + 1) + "}";
    publishExec(obj);
  }

  // Public channels for one pair after its market moved.
  void publishMarket(const PairInfo& p, const EmTrade* print) {
    auto it = last.find(p.key);
    if (it == last.end()) return;
    const Price lp = it->second;
    const Price bid = Price::fromMantissa(lp.mantissa() - p.tickSize.mantissa());
    const Price ask = Price::fromMantissa(lp.mantissa() + p.tickSize.mantissa());
    for (auto& peer : peers) {
      auto has = [&](const char* ch) {
        auto c = peer.channels.find(ch);
        return c != peer.channels.end() && c->second.count(p.v2symbol);
      };
      if (has("ticker")) peer.ws->send(tickerMsg(p, bid, ask, lp, "update"));
      if (has("book")) peer.ws->send(bookMsg(p, bid, ask, "update"));
      if (print && has("trade")) {
        rapidjson::StringBuffer sb;
        W w(sb);
        w.StartObject();
        kv(w, "channel", "trade");
        kv(w, "type", "update");
        w.Key("data");
        w.StartArray();
        w.StartObject();
        kv(w, "symbol", p.v2symbol);
        kv(w, "side", print->side);
        num(w, "price", decimal(print->px.mantissa()));
        num(w, "qty", decimal(print->qty.mantissa()));
        kv(w, "ord_type", "limit");
        num(w, "trade_id", print->tradeNo);
        kv(w, "timestamp", isoTime(clock.wallNow()));
        w.EndObject();
        w.EndArray();
        w.EndObject();
        peer.ws->send(sb.GetString());
      }
    }
  }

  std::string tickerMsg(const PairInfo& p, Price bid, Price ask, Price lp, const char* type) {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "channel", "ticker");
    kv(w, "type", type);
    w.Key("data");
    w.StartArray();
    w.StartObject();
    kv(w, "symbol", p.v2symbol);
    num(w, "bid", decimal(bid.mantissa()));
    num(w, "bid_qty", "1.5");
    num(w, "ask", decimal(ask.mantissa()));
    num(w, "ask_qty", "2.25");
    num(w, "last", decimal(lp.mantissa()));
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return sb.GetString();
  }

  std::string bookMsg(const PairInfo& p, Price bid, Price ask, const char* type) {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "channel", "book");
    kv(w, "type", type);
    w.Key("data");
    w.StartArray();
    w.StartObject();
    kv(w, "symbol", p.v2symbol);
    // A full (two-level) picture each time; a snapshot replaces the book.
    for (const char* side : {"bids", "asks"}) {
      w.Key(side);
      w.StartArray();
      for (int i = 0; i < 2; ++i) {
        const int64_t step = p.tickSize.mantissa() * i;
        const Price px = side[0] == 'b' ? Price::fromMantissa(bid.mantissa() - step)
                                        : Price::fromMantissa(ask.mantissa() + step);
        w.StartObject();
        num(w, "price", decimal(px.mantissa()));
        num(w, "qty", i == 0 ? "1.5" : "3");
        w.EndObject();
      }
      w.EndArray();
    }
    num(w, "checksum", int64_t{0});
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return sb.GetString();
  }

  // ------------------------------------------------------------ matching
  const EmTrade& fillOrder(EmOrder& e, Qty qty, Price px, bool maker) {
    EmTrade t;
    t.id = newId('T');
    t.tradeNo = ++tradeNo;
    t.orderTxid = e.txid;
    t.pairKey = e.pairKey;
    t.side = e.side;
    t.ordertype = e.type;
    t.px = px;
    t.qty = qty;
    t.maker = maker;
    t.time = clock.wallNow();
    // 0.16% maker, 0.26% taker, in the quote currency.
    const __int128 n = notional128(px, qty);
    t.fee = Qty::fromMantissa(static_cast<int64_t>(n * (maker ? 16 : 26) / 10'000));
    e.volExec += qty;
    e.costRaw += rawProduct(px, qty);
    e.fee += t.fee;
    e.trades.push_back(t.id);
    if (e.volExec >= e.vol) e.status = "closed";
    trades.push_back(t);
    report(e, "trade", &trades.back());
    if (e.status == "closed") report(e, "filled");
    publishMarket(pairs.byKey.at(e.pairKey), &trades.back());
    return trades.back();
  }

  void takeLiquidity(EmOrder& e, Price px) {
    const Qty left = e.vol - e.volExec;
    const int n = std::max(1, parts);
    Qty part = Qty::fromMantissa(left.mantissa() / n);
    const PairInfo& p = pairs.byKey.at(e.pairKey);
    part = Qty::fromMantissa(part.mantissa() - part.mantissa() % p.lotStep.mantissa());
    for (int i = 0; i < n - 1 && part.isPositive(); ++i) fillOrder(e, part, px, false);
    if (e.open()) fillOrder(e, e.vol - e.volExec, px, false);
  }

  bool crosses(const EmOrder& e, Price p) const { return e.buy() ? e.price >= p : e.price <= p; }
  bool stopTriggered(const EmOrder& e, Price p) const {
    return e.buy() ? p >= e.price : p <= e.price;
  }

  // ------------------------------------------------------------ endpoints
  EmOrder* find(Params& p) {
    if (!p["txid"].empty()) {
      auto it = orders.find(p["txid"]);
      return it == orders.end() ? nullptr : &it->second;
    }
    if (!p["cl_ord_id"].empty()) {
      EmOrder* found = nullptr;  // the latest with that client id
      for (const auto& id : orderSeq)
        if (orders[id].clOrdId == p["cl_ord_id"]) found = &orders[id];
      return found;
    }
    return nullptr;
  }

  net::HttpResponse addOrder(Params& p, const std::string& body) {
    lastOrderParams = body;
    for (const char* k : {"pair", "type", "ordertype", "volume"})
      if (p[k].empty()) return err(std::string("EGeneral:Invalid arguments:") + k);
    const PairInfo* pi = pairOf(p["pair"]);
    if (!pi) return err("EQuery:Unknown asset pair");
    if (pi->status == "cancel_only") return err("EOrder:Orders limit exceeded");
    EmOrder e;
    e.pairKey = pi->key;
    e.side = p["type"];
    e.type = p["ordertype"];
    e.oflags = p["oflags"];
    e.clOrdId = p["cl_ord_id"];
    if (e.side != "buy" && e.side != "sell") return err("EGeneral:Invalid arguments:type");
    if (e.type != "market" && e.type != "limit" && e.type != "stop-loss" &&
        e.type != "stop-loss-limit")
      return err("EGeneral:Invalid arguments:ordertype");
    auto v = exactDecimal(p["volume"]);
    if (!v || *v <= 0) return err("EGeneral:Invalid arguments:volume");
    e.vol = Qty::fromMantissa(*v);
    if (e.type != "market") {
      auto px = exactDecimal(p["price"]);
      if (!px) return err("EGeneral:Invalid arguments:price");
      e.price = Price::fromMantissa(*px);
      if (!e.price.isMultipleOf(pi->tickSize)) return err("EOrder:Tick size check failed");
    }
    if (e.type == "stop-loss-limit") {
      auto px2 = exactDecimal(p["price2"]);
      if (!px2) return err("EGeneral:Invalid arguments:price2");
      e.price2 = Price::fromMantissa(*px2);
    }
    if (!e.vol.isMultipleOf(pi->lotStep)) return err("EGeneral:Invalid arguments:volume");
    if (e.vol < pi->orderMin) return err("EOrder:Order minimum not met");
    if (!p["timeinforce"].empty()) e.tif = p["timeinforce"];
    if (e.type == "market") e.tif.clear();
    if (e.tif == "GTD") {
      if (p["expiretm"].empty()) return err("EGeneral:Invalid arguments:expiretm");
      e.expiretm = std::stoll(p["expiretm"]);
    }
    if (!e.clOrdId.empty())
      for (const auto& [id, other] : orders)
        if (other.clOrdId == e.clOrdId && other.open())
          return err("EOrder:Duplicate order");  // cl_ord_id must be unique among open orders
    auto lp = last.find(e.pairKey);
    std::optional<Price> lastPx;
    if (lp != last.end()) lastPx = lp->second;
    e.txid = newId('O');
    e.opentm = clock.wallNow();
    auto& stored = orders[e.txid] = e;
    orderSeq.push_back(e.txid);
    report(stored, "pending_new");
    const bool post = stored.oflags.find("post") != std::string::npos;
    if (stored.type == "limit" && post && lastPx && crosses(stored, *lastPx)) {
      // Post-only that would take: Kraken cancels it.
      stored.status = "canceled";
      report(stored, "canceled", nullptr, "Post only order");
    } else {
      report(stored, "new");
      if (stored.type == "market") {
        if (lastPx) {
          takeLiquidity(stored, *lastPx);
        } else {
          stored.status = "canceled";
          report(stored, "canceled", nullptr, "No orders to match");
        }
      } else if (stored.type == "limit" && lastPx && crosses(stored, *lastPx)) {
        takeLiquidity(stored, *lastPx);
      } else if (stored.type == "limit" && stored.tif == "IOC") {
        stored.status = "canceled";
        report(stored, "canceled", nullptr, "Immediate or cancel");
      }
    }
    return ok("{\"descr\":{\"order\":\"" + stored.side + " " + decimal8(stored.vol.mantissa()) +
              " " + pi->altname + " @ " + stored.type + " " + decimal(stored.price.mantissa()) +
              "\"},\"txid\":[\"" + stored.txid + "\"]}");
  }

  net::HttpResponse cancelOrder(Params& p) {
    EmOrder* e = find(p);
    if (!e || !e->open()) return err("EOrder:Unknown order");
    e->status = "canceled";
    report(*e, "canceled", nullptr, "User requested");
    return ok("{\"count\":1}");
  }

  net::HttpResponse amendOrder(Params& p) {
    EmOrder* e = find(p);
    if (!e || !e->open()) return err("EOrder:Unknown order");
    if (!p["order_qty"].empty()) {
      auto q = exactDecimal(p["order_qty"]);
      if (!q || *q <= 0) return err("EGeneral:Invalid arguments:order_qty");
      const Qty nq = Qty::fromMantissa(*q);
      if (nq <= e->volExec) return err("EGeneral:Invalid arguments:order_qty");
      e->vol = nq;
    }
    if (!p["limit_price"].empty()) {
      auto px = exactDecimal(p["limit_price"]);
      if (!px) return err("EGeneral:Invalid arguments:limit_price");
      e->price = Price::fromMantissa(*px);
    }
    report(*e, "amended", nullptr, "User requested");
    auto lp = last.find(e->pairKey);
    if (e->type == "limit" && lp != last.end() && crosses(*e, lp->second))
      takeLiquidity(*e, lp->second);
    return ok("{\"amend_id\":\"" + newId('T') + "\"}");
  }

  net::HttpResponse queryOrders(Params& p) {
    std::string out = "{";
    auto add = [&](const EmOrder& e) {
      if (out.size() > 1) out += ",";
      out += "\"" + e.txid + "\":" + orderJson(e);
    };
    if (!p["cl_ord_id"].empty()) {
      if (EmOrder* e = find(p)) add(*e);
    } else {
      std::string ids = p["txid"];
      size_t at = 0;
      while (at <= ids.size() && !ids.empty()) {
        size_t comma = ids.find(',', at);
        auto it = orders.find(ids.substr(at, comma - at));
        if (it == orders.end()) return err("EOrder:Invalid order");
        add(it->second);
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
    }
    return ok(out + "}");
  }

  net::HttpResponse openOrders(Params& p) {
    std::string out = "{\"open\":{";
    bool first = true;
    for (const auto& id : orderSeq) {
      const EmOrder& e = orders[id];
      if (!e.open() || (!p["cl_ord_id"].empty() && e.clOrdId != p["cl_ord_id"])) continue;
      out += (first ? "\"" : ",\"") + e.txid + "\":" + orderJson(e);
      first = false;
    }
    return ok(out + "}}");
  }

  net::HttpResponse tradesHistory(Params& p) {
    int64_t start = 0;
    if (!p["start"].empty()) {
      auto ns = unixSecondsToNs(p["start"]);
      if (!ns) return err("EGeneral:Invalid arguments:start");
      start = *ns;
    }
    int64_t ofs = 0;
    if (!p["ofs"].empty()) ofs = std::stoll(p["ofs"]);
    std::string out = "{\"trades\":{";
    int n = 0, listed = 0;
    // Newest first, 50 a page from ofs, as Kraken lists them; count is all matching.
    for (auto it = trades.rbegin(); it != trades.rend(); ++it) {
      if (it->time < start) continue;
      if (n++ < ofs || listed >= 50) continue;
      out += (listed++ ? ",\"" : "\"") + it->id + "\":" + tradeJson(*it);
    }
    return ok(out + "},\"count\":" + std::to_string(n) + "}");
  }

  net::HttpResponse queryTrades(Params& p) {
    std::string out = "{";
    std::string ids = p["txid"];
    size_t at = 0;
    while (!ids.empty()) {
      size_t comma = ids.find(',', at);
      std::string id = ids.substr(at, comma - at);
      for (const auto& t : trades)
        if (t.id == id) out += (out.size() > 1 ? ",\"" : "\"") + t.id + "\":" + tradeJson(t);
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    return ok(out + "}");
  }

  bool charge(double& c, MonoNanos& at, double max, double decay, double cost) {
    const MonoNanos now = clock.monoNow();
    c = std::max(0.0, c - decay * static_cast<double>(now - at) / 1e9);
    at = now;
    if (c + cost > max + 1e-9) return false;
    c += cost;
    return true;
  }

  net::HttpResponse handle(const net::HttpRequest& r) {
    std::lock_guard lk(mu);
    std::string path = r.target.substr(0, r.target.find('?'));
    std::string query = r.target.size() > path.size() ? r.target.substr(path.size() + 1) : "";
    ++reqCount[path];
    auto slow = [&](net::HttpResponse res) {
      if (!delays.empty()) {
        res.delayMs = delays.front();
        delays.pop_front();
      }
      return res;
    };
    if (path == "/0/public/AssetPairs") return slow(ok(pairsResult()));
    if (path == "/0/public/Time")
      return slow(ok("{\"unixtime\":" + std::to_string(clock.wallNow() / 1'000'000'000) + "}"));
    if (path.rfind("/0/private/", 0) != 0 || r.method != "POST") {
      net::HttpResponse nf = err("EGeneral:Unknown method");
      nf.status = 404;
      return nf;
    }
    std::string key, sign;
    for (const auto& [k, v] : r.headers) {
      if (k == "api-key" || k == "API-Key") key = v;
      if (k == "api-sign" || k == "API-Sign") sign = v;
    }
    Params p = parseParams(r.body);
    if (key != o.apiKey) return err("EAPI:Invalid key");
    if (!verifyApiSign(path, p["nonce"], r.body, o.secret, sign)) {
      ++sigFailures;
      return err("EAPI:Invalid signature");
    }
    uint64_t nonce = 0;
    try {
      nonce = std::stoull(p["nonce"]);
    } catch (...) {
      ++nonceFailures;
      return err("EAPI:Invalid nonce");
    }
    if (nonce <= lastNonce) {
      ++nonceFailures;
      return err("EAPI:Invalid nonce");
    }
    lastNonce = nonce;
    const std::string method = path.substr(11);
    const bool orderCall = method == "AddOrder" || method == "CancelOrder" ||
                           method == "AmendOrder" || method == "EditOrder";
    if (orderCall) {
      const PairInfo* pi = pairOf(p["pair"]);
      if (!pi && !p["txid"].empty() && orders.count(p["txid"]))
        pi = &pairs.byKey.at(orders[p["txid"]].pairKey);
      auto& [c, at] = trading[pi ? pi->key : ""];
      if (at == 0) at = clock.monoNow();
      if (!charge(c, at, o.tradingMax, o.tradingDecayPerSec, 1)) {
        ++rateErrors;
        return err("EOrder:Rate limit exceeded");
      }
    } else {
      const double cost = method == "TradesHistory" || method == "QueryTrades" ? 2 : 1;
      if (counterAt == 0) counterAt = clock.monoNow();
      if (!charge(counter, counterAt, o.counterMax, o.counterDecayPerSec, cost)) {
        ++rateErrors;
        return err("EAPI:Rate limit exceeded");
      }
    }
    if (method == "GetWebSocketsToken") {
      std::string t = "tok" + newId('K');
      tokens.insert(t);
      return slow(ok("{\"token\":\"" + t + "\",\"expires\":900}"));
    }
    std::string lostAnswer;
    if (!fails.empty()) {
      std::string f = fails.front();
      fails.pop_front();
      if (f.rfind("EService:", 0) != 0) {
        if (classifyError(f) == ErrorClass::RateLimited) ++rateErrors;
        return err(f);
      }
      lostAnswer = f;  // do it, then lose the answer
    }
    net::HttpResponse res;
    if (method == "AddOrder") {
      res = addOrder(p, r.body);
    } else if (method == "CancelOrder") {
      res = cancelOrder(p);
    } else if (method == "AmendOrder") {
      res = amendOrder(p);
    } else if (method == "QueryOrders") {
      res = queryOrders(p);
    } else if (method == "OpenOrders") {
      res = openOrders(p);
    } else if (method == "TradesHistory") {
      res = tradesHistory(p);
    } else if (method == "QueryTrades") {
      res = queryTrades(p);
    } else {
      return err("EGeneral:Unknown method");
    }
    if (!lostAnswer.empty()) return err(lostAnswer);
    if (garble > 0) {
      --garble;
      res.body = res.body.substr(0, res.body.size() / 2);
    }
    return slow(res);
  }

  std::string pairsResult() const {
    rapidjson::Document d;
    d.Parse(o.assetPairsJson.c_str());
    rapidjson::StringBuffer sb;
    W w(sb);
    d["result"].Accept(w);
    return sb.GetString();
  }

  // ------------------------------------------------------------ WebSocket
  void onWsMessage(net::WsPeer& ws, const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str());
    Peer* peer = nullptr;
    for (auto& p : peers)
      if (p.ws.get() == &ws) peer = &p;
    if (!peer) return;
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("method") || !d["method"].IsString())
      return ws.send(R"({"error":"Malformed request","method":"","success":false})");
    const std::string method = d["method"].GetString();
    if (method == "ping") return ws.send(R"({"method":"pong"})");
    if (method != "subscribe" || !d.HasMember("params") || !d["params"].IsObject())
      return ws.send("{\"error\":\"Unsupported method\",\"method\":\"" + method +
                     "\",\"success\":false}");
    const auto& params = d["params"];
    const std::string channel = params.HasMember("channel") && params["channel"].IsString()
                                    ? params["channel"].GetString()
                                    : "";
    auto ack = [&](bool success, const std::string& error) {
      std::string m = "{\"method\":\"subscribe\",\"result\":{\"channel\":\"" + channel +
                      "\"},\"success\":" + (success ? "true" : "false");
      if (!error.empty()) m += ",\"error\":\"" + error + "\"";
      ws.send(m + ",\"time_in\":\"" + isoTime(clock.wallNow()) + "\",\"time_out\":\"" +
              isoTime(clock.wallNow()) + "\"}");
    };
    if (channel == "executions") {
      const std::string token = params.HasMember("token") && params["token"].IsString()
                                    ? params["token"].GetString()
                                    : "";
      if (!tokens.count(token)) return ack(false, "EAccount:Invalid permissions");
      peer->executions = true;
      ack(true, "");
      // Snapshot: the open orders.
      std::string data;
      for (const auto& id : orderSeq) {
        const EmOrder& e = orders[id];
        if (!e.open()) continue;
        data += (data.empty() ? "" : ",") + execJson(e, "new", nullptr);
      }
      ws.send("{\"channel\":\"executions\",\"type\":\"snapshot\",\"data\":[" + data +
              "],\"sequence\":" + std::to_string(++sequence) + "}");
      return;
    }
    if (channel == "ticker" || channel == "book" || channel == "trade") {
      if (!params.HasMember("symbol") || !params["symbol"].IsArray())
        return ack(false, "EGeneral:Invalid arguments:symbol");
      ack(true, "");
      for (const auto& s : params["symbol"].GetArray()) {
        if (!s.IsString()) continue;
        const PairInfo* pi = pairOf(s.GetString());
        if (!pi) continue;
        peer->channels[channel].insert(pi->v2symbol);
        auto lp = last.find(pi->key);
        if (lp == last.end()) continue;
        const Price bid = Price::fromMantissa(lp->second.mantissa() - pi->tickSize.mantissa());
        const Price ask = Price::fromMantissa(lp->second.mantissa() + pi->tickSize.mantissa());
        if (channel == "ticker") ws.send(tickerMsg(*pi, bid, ask, lp->second, "snapshot"));
        if (channel == "book") ws.send(bookMsg(*pi, bid, ask, "snapshot"));
      }
      return;
    }
    ack(false, "EGeneral:Invalid arguments:channel");
  }
};

KrakenEmulator::KrakenEmulator(EmulatorOptions o) : impl_(std::make_shared<Impl>(std::move(o))) {}
KrakenEmulator::~KrakenEmulator() { stop(); }

uint16_t KrakenEmulator::start(uint16_t port) {
  impl_->cert = net::makeSelfSignedCert("localhost");
  net::ServerHandlers h;
  std::weak_ptr<Impl> weak = impl_;
  h.onHttp = [weak](const net::HttpRequest& r) {
    auto im = weak.lock();
    return im ? im->handle(r) : net::HttpResponse{};
  };
  h.acceptWs = [weak](const std::string& target) {
    auto im = weak.lock();
    if (!im) return false;
    std::lock_guard lk(im->mu);
    return !im->refuse && target == "/v2";
  };
  h.onWsOpen = [weak](std::shared_ptr<net::WsPeer> p) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    ++im->streamsOpened;
    p->send(
        R"({"channel":"status","type":"update","data":[{"version":"2.0.0","system":"online","api_version":"v2","connection_id":1}]})");
    im->peers.push_back(Peer{std::move(p), false, {}});
  };
  h.onWsMessage = [weak](net::WsPeer& p, const std::string& text) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    im->onWsMessage(p, text);
  };
  h.onWsClose = [weak](net::WsPeer& p) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    std::erase_if(im->peers, [&](const Peer& x) { return x.ws.get() == &p; });
  };
  impl_->server = std::make_unique<net::TlsServer>(impl_->cert.certPem, impl_->cert.keyPem, h);
  return impl_->server->start(port);
}

void KrakenEmulator::stop() {
  if (impl_->server) impl_->server->stop();
  std::lock_guard lk(impl_->mu);
  impl_->peers.clear();
}

uint16_t KrakenEmulator::port() const { return impl_->server ? impl_->server->port() : 0; }
const std::string& KrakenEmulator::certPem() const { return impl_->cert.certPem; }

void KrakenEmulator::setLastPrice(const std::string& pair, Price p) {
  std::lock_guard lk(impl_->mu);
  const PairInfo* pi = impl_->pairOf(pair);
  if (!pi) throw std::invalid_argument("KrakenEmulator: unknown pair " + pair);
  impl_->last[pi->key] = p;
  impl_->publishMarket(*pi, nullptr);
}

void KrakenEmulator::trade(const std::string& pair, Price p, Qty qty) {
  std::lock_guard lk(impl_->mu);
  auto& im = *impl_;
  const PairInfo* pi = im.pairOf(pair);
  if (!pi) throw std::invalid_argument("KrakenEmulator: unknown pair " + pair);
  im.last[pi->key] = p;
  EmTrade print;
  print.px = p;
  print.qty = qty;
  print.side = "buy";
  print.tradeNo = ++im.tradeNo;
  im.publishMarket(*pi, &print);
  for (const auto& id : im.orderSeq) {
    EmOrder& e = im.orders[id];
    if (e.pairKey != pi->key || !e.open()) continue;
    if (e.type == "stop-loss" && im.stopTriggered(e, p)) {
      im.fillOrder(e, e.vol - e.volExec, p, false);
    } else if (e.type == "stop-loss-limit" && im.stopTriggered(e, p)) {
      e.type = "limit";  // triggered: now a resting limit order at price2
      e.price = e.price2;
      if (im.crosses(e, p)) im.fillOrder(e, e.vol - e.volExec, e.price, false);
    } else if (e.type == "limit" && im.crosses(e, p)) {
      im.fillOrder(e, e.vol - e.volExec, e.price, true);
    }
  }
}

bool KrakenEmulator::fill(const std::string& clOrdId, Qty qty, Price px) {
  std::lock_guard lk(impl_->mu);
  EmOrder* found = nullptr;
  for (const auto& id : impl_->orderSeq) {
    EmOrder& e = impl_->orders[id];
    if (e.clOrdId == clOrdId && e.open()) found = &e;
  }
  if (!found || qty > found->vol - found->volExec) return false;
  impl_->fillOrder(*found, qty, px, true);
  return true;
}

void KrakenEmulator::fillInParts(int parts) {
  std::lock_guard lk(impl_->mu);
  impl_->parts = std::max(1, parts);
}

void KrakenEmulator::replayLastTrade() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers)
    if (p.executions) p.ws->send(impl_->lastTradeEvent);
}

void KrakenEmulator::failNext(std::string e, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->fails.push_back(e);
}
void KrakenEmulator::nonceJump(uint64_t by) {
  std::lock_guard lk(impl_->mu);
  impl_->lastNonce += by;
}
void KrakenEmulator::garbleNext(int count) {
  std::lock_guard lk(impl_->mu);
  impl_->garble += count;
}
void KrakenEmulator::delayNext(int64_t ms, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->delays.push_back(ms);
}
void KrakenEmulator::dropStreams() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers) p.ws->drop();
}
void KrakenEmulator::sendOnExecutionStreams(const std::string& text) {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers)
    if (p.executions) p.ws->send(text);
}
void KrakenEmulator::refuseStreams(bool refuse) {
  std::lock_guard lk(impl_->mu);
  impl_->refuse = refuse;
}

int KrakenEmulator::requests(const std::string& prefix) const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& [path, c] : impl_->reqCount)
    if (path.rfind(prefix, 0) == 0) n += c;
  return n;
}
int KrakenEmulator::signatureFailures() const {
  std::lock_guard lk(impl_->mu);
  return impl_->sigFailures;
}
int KrakenEmulator::nonceFailures() const {
  std::lock_guard lk(impl_->mu);
  return impl_->nonceFailures;
}
int KrakenEmulator::rateLimitErrors() const {
  std::lock_guard lk(impl_->mu);
  return impl_->rateErrors;
}
double KrakenEmulator::callCounter() const {
  std::lock_guard lk(impl_->mu);
  const MonoNanos now = impl_->clock.monoNow();
  return std::max(0.0, impl_->counter - impl_->o.counterDecayPerSec *
                                            static_cast<double>(now - impl_->counterAt) / 1e9);
}
double KrakenEmulator::tradingCounter(const std::string& pairKey) const {
  std::lock_guard lk(impl_->mu);
  auto it = impl_->trading.find(pairKey);
  if (it == impl_->trading.end()) return 0;
  const MonoNanos now = impl_->clock.monoNow();
  return std::max(0.0, it->second.first - impl_->o.tradingDecayPerSec *
                                              static_cast<double>(now - it->second.second) / 1e9);
}
int KrakenEmulator::streamsOpened() const {
  std::lock_guard lk(impl_->mu);
  return impl_->streamsOpened;
}
int KrakenEmulator::executionSubscribers() const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& p : impl_->peers) n += p.executions ? 1 : 0;
  return n;
}
uint64_t KrakenEmulator::connectionsAccepted() const {
  return impl_->server ? impl_->server->connectionsAccepted() : 0;
}
uint64_t KrakenEmulator::lastNonce() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastNonce;
}
std::optional<std::string> KrakenEmulator::orderStatus(const std::string& clOrdId) const {
  std::lock_guard lk(impl_->mu);
  std::optional<std::string> s;
  for (const auto& id : impl_->orderSeq) {
    const EmOrder& e = impl_->orders.at(id);
    if (e.clOrdId == clOrdId) s = e.status;
  }
  return s;
}
std::string KrakenEmulator::lastOrderParams() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastOrderParams;
}

}  // namespace fixgw::kraken
