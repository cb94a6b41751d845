#include "venue_adapters/bybit/emulator.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "venue_adapters/bybit/auth.h"
#include "venue_adapters/bybit/parse.h"
#include "venue_adapters/net/server.h"

namespace fixgw::bybit {

namespace {

using Params = std::map<std::string, std::string>;
constexpr int64_t kMs = 1'000'000;

Params parseQuery(std::string_view q) {
  Params p;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) p[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return p;
}

// The body's string (or number-as-text) members.
bool parseBody(const std::string& body, Params& out) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.c_str());
  if (d.HasParseError() || !d.IsObject()) return false;
  for (const auto& m : d.GetObject()) {
    if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
    if (m.value.IsBool()) out[m.name.GetString()] = m.value.GetBool() ? "true" : "false";
  }
  return true;
}

std::string q(const std::string& s) { return "\"" + s + "\""; }

net::HttpResponse answer(int64_t retCode, const std::string& retMsg, const std::string& result,
                         int64_t nowMs) {
  net::HttpResponse r;
  r.status = 200;  // Bybit answers its errors with HTTP 200 and a retCode
  r.body = "{\"retCode\":" + std::to_string(retCode) + ",\"retMsg\":" + q(retMsg) +
           ",\"result\":" + result + ",\"retExtInfo\":{},\"time\":" + std::to_string(nowMs) + "}";
  return r;
}

struct EmOrder {
  std::string orderId, orderLinkId, category, symbol, side, orderType, tif;
  Price price;
  Qty qty, cum, fee;
  __int128 valueRaw = 0;
  std::string status = "New", rejectReason = "EC_NoError", cancelType = "UNKNOWN";
  bool reduceOnly = false;
  int64_t createdMs = 0, updatedMs = 0;
  bool buy() const { return side == "Buy"; }
  bool open() const { return status == "New" || status == "PartiallyFilled"; }
};

struct EmExec {
  std::string execId, orderId, orderLinkId, category, symbol, side, orderType, feeCurrency;
  Price px;
  Qty qty, fee, leaves, orderQty;
  Price orderPrice;
  bool maker = false;
  int64_t timeMs = 0;
};

struct Peer {
  std::shared_ptr<net::WsPeer> ws;
  bool authed = false;
  bool order = false, execution = false;
  std::string category;                 // public streams: spot, linear ("" = private)
  std::set<std::string> books, trades;  // subscribed symbols (public)
};

struct Fail {
  int64_t code = 0;
  std::string msg;
  int http = 0;
};

}  // namespace

struct BybitEmulator::Impl {
  explicit Impl(EmulatorOptions opts)
      : o(std::move(opts)), clock(o.clock ? *o.clock : SystemClock::instance()) {
    for (const std::string* j : {&o.instrumentsSpotJson, &o.instrumentsLinearJson}) {
      if (j->empty()) continue;
      std::map<std::string, InstrumentInfo> m;
      if (auto e = parseInstruments(*j, m); !e.empty())
        throw std::invalid_argument("BybitEmulator: instruments: " + e);
      for (auto& [s, i] : m) instruments[i.category + ":" + s] = i;
    }
  }
  EmulatorOptions o;
  const Clock& clock;
  net::SelfSignedCert cert;
  std::unique_ptr<net::TlsServer> server;
  std::map<std::string, InstrumentInfo> instruments;  // "category:symbol"

  mutable std::mutex mu;
  std::map<std::string, Price> last;  // "category:symbol"
  std::map<std::string, EmOrder> orders;
  std::vector<std::string> orderSeq;
  std::vector<EmExec> execs;
  int64_t nextId = 1000, skewMs = 0;
  bool refuse = false;
  std::vector<Peer> peers;
  std::deque<Fail> fails;
  int garble = 0, parts = 1;
  std::deque<int64_t> delays;
  std::map<std::string, int> reqCount;
  std::map<std::string, std::deque<MonoNanos>> windows;  // per path
  int sigFailures = 0, tsFailures = 0, rateErrors = 0, pings = 0;
  std::string lastExecMsg, lastCreate;

  int64_t nowMs() const { return clock.wallNow() / kMs + skewMs; }
  std::string newId() {
    // Bybit's order and execution ids are UUIDs.
    uint64_t v = static_cast<uint64_t>(++nextId) * 0x9E3779B97F4A7C15ull;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(v >> 32),
                  static_cast<unsigned>(v >> 16) & 0xFFFF, static_cast<unsigned>(v) & 0xFFF,
                  static_cast<unsigned>(nextId) & 0xFFF, static_cast<unsigned long long>(nextId));
    return buf;
  }

  // ------------------------------------------------------------ JSON out
  std::string orderJson(const EmOrder& e) const {
    const Price avg = e.cum.isPositive() ? averageFromRaw(e.valueRaw, e.cum) : Price();
    return "{\"category\":" + q(e.category) + ",\"symbol\":" + q(e.symbol) +
           ",\"orderId\":" + q(e.orderId) + ",\"orderLinkId\":" + q(e.orderLinkId) +
           ",\"side\":" + q(e.side) + ",\"orderType\":" + q(e.orderType) +
           ",\"cancelType\":" + q(e.cancelType) + ",\"price\":" + q(e.price.str()) +
           ",\"qty\":" + q(e.qty.str()) + ",\"timeInForce\":" + q(e.tif) +
           ",\"orderStatus\":" + q(e.status) +
           ",\"reduceOnly\":" + (e.reduceOnly ? "true" : "false") +
           ",\"leavesQty\":" + q(e.open() ? (e.qty - e.cum).str() : "0") +
           ",\"cumExecQty\":" + q(e.cum.str()) + ",\"cumExecValue\":" +
           q(Notional::fromMantissa(static_cast<int64_t>(e.valueRaw / kOne)).str()) +
           ",\"avgPrice\":" + q(e.cum.isPositive() ? avg.str() : "") +
           ",\"cumExecFee\":" + q(e.fee.str()) +
           ",\"positionIdx\":0,\"rejectReason\":" + q(e.rejectReason) +
           ",\"createdTime\":" + q(std::to_string(e.createdMs)) +
           ",\"updatedTime\":" + q(std::to_string(e.updatedMs)) + "}";
  }

  std::string execJson(const EmExec& x) const {
    return "{\"category\":" + q(x.category) + ",\"symbol\":" + q(x.symbol) +
           ",\"execFee\":" + q(x.fee.str()) + ",\"execId\":" + q(x.execId) +
           ",\"execPrice\":" + q(x.px.str()) + ",\"execQty\":" + q(x.qty.str()) +
           ",\"execType\":\"Trade\",\"execValue\":" + q(notional(x.px, x.qty).str()) +
           ",\"isMaker\":" + (x.maker ? "true" : "false") + ",\"feeRate\":" +
           q(x.category == "spot" ? "0.001"
             : x.maker            ? "0.0002"
                                  : "0.00055") +
           ",\"feeCurrency\":" + q(x.feeCurrency) + ",\"leavesQty\":" + q(x.leaves.str()) +
           ",\"orderId\":" + q(x.orderId) + ",\"orderLinkId\":" + q(x.orderLinkId) +
           ",\"orderPrice\":" + q(x.orderPrice.str()) + ",\"orderQty\":" + q(x.orderQty.str()) +
           ",\"orderType\":" + q(x.orderType) +
           ",\"stopOrderType\":\"UNKNOWN\",\"side\":" + q(x.side) +
           ",\"execTime\":" + q(std::to_string(x.timeMs)) + ",\"isLeverage\":\"0\"}";
  }

  void push(const char* topic, const std::string& obj) {
    std::string msg = "{\"id\":" + q(newId()) + ",\"topic\":" + q(topic) +
                      ",\"creationTime\":" + std::to_string(nowMs()) + ",\"data\":[" + obj + "]}";
    if (std::string(topic) == "execution") lastExecMsg = msg;
    for (auto& p : peers)
      if (p.authed && (topic[0] == 'o' ? p.order : p.execution)) p.ws->send(msg);
  }
  void report(EmOrder& e) {
    e.updatedMs = nowMs();
    push("order", orderJson(e));
  }

  // Public streams: a two-level book one tick either side of the last price,
  // sent as a snapshot on subscribe and as deltas (old levels at size 0) after.
  std::map<std::string, std::pair<Price, Price>> shown;  // "category:symbol" -> bid, ask

  std::string bookMsg(const std::string& symbol, const char* type,
                      const std::vector<std::pair<Price, std::string>>& bids,
                      const std::vector<std::pair<Price, std::string>>& asks) {
    auto side = [](const std::vector<std::pair<Price, std::string>>& v) {
      std::string out;
      for (const auto& [px, sz] : v)
        out += (out.empty() ? "[" : ",[") + q(px.str()) + "," + q(sz) + "]";
      return "[" + out + "]";
    };
    const std::string u = std::to_string(++nextId);
    return "{\"topic\":\"orderbook.50." + symbol + "\",\"type\":\"" + type +
           "\",\"ts\":" + std::to_string(nowMs()) + ",\"data\":{\"s\":" + q(symbol) +
           ",\"b\":" + side(bids) + ",\"a\":" + side(asks) + ",\"u\":" + u + ",\"seq\":" + u + "}}";
  }

  std::string snapshotMsg(const std::string& category, const std::string& symbol) {
    const std::string key = category + ":" + symbol;
    auto lp = last.find(key);
    if (lp == last.end()) return "";
    const Price tick = instruments.at(key).tickSize;
    const Price bid = Price::fromMantissa(lp->second.mantissa() - tick.mantissa());
    const Price ask = Price::fromMantissa(lp->second.mantissa() + tick.mantissa());
    shown[key] = {bid, ask};
    return bookMsg(symbol, "snapshot",
                   {{bid, "1.5"}, {Price::fromMantissa(bid.mantissa() - tick.mantissa()), "3"}},
                   {{ask, "2"}, {Price::fromMantissa(ask.mantissa() + tick.mantissa()), "4"}});
  }

  void publishMarket(const std::string& category, const std::string& symbol,
                     std::optional<std::pair<Price, Qty>> print) {
    const std::string key = category + ":" + symbol;
    auto lp = last.find(key);
    if (lp == last.end()) return;
    const Price tick = instruments.at(key).tickSize;
    const Price bid = Price::fromMantissa(lp->second.mantissa() - tick.mantissa());
    const Price ask = Price::fromMantissa(lp->second.mantissa() + tick.mantissa());
    std::string delta;
    auto old = shown.find(key);
    if (old != shown.end() && (old->second.first != bid || old->second.second != ask)) {
      const Price ob = old->second.first, oa = old->second.second;
      delta = bookMsg(symbol, "delta",
                      {{ob, "0"},
                       {Price::fromMantissa(ob.mantissa() - tick.mantissa()), "0"},
                       {bid, "1.5"},
                       {Price::fromMantissa(bid.mantissa() - tick.mantissa()), "3"}},
                      {{oa, "0"},
                       {Price::fromMantissa(oa.mantissa() + tick.mantissa()), "0"},
                       {ask, "2"},
                       {Price::fromMantissa(ask.mantissa() + tick.mantissa()), "4"}});
      old->second = {bid, ask};
    }
    std::string tradeMsg;
    if (print)
      tradeMsg = "{\"topic\":\"publicTrade." + symbol +
                 "\",\"type\":\"snapshot\",\"ts\":" + std::to_string(nowMs()) +
                 ",\"data\":[{\"T\":" + std::to_string(nowMs()) + ",\"s\":" + q(symbol) +
                 ",\"S\":\"Buy\",\"v\":" + q(print->second.str()) +
                 ",\"p\":" + q(print->first.str()) + ",\"i\":" + q(newId()) + ",\"BT\":false}]}";
    for (auto& p : peers) {
      if (p.category != category) continue;
      if (!delta.empty() && p.books.count(symbol)) p.ws->send(delta);
      if (!tradeMsg.empty() && p.trades.count(symbol)) p.ws->send(tradeMsg);
    }
  }

  // ------------------------------------------------------------ matching
  void fillOrder(EmOrder& e, Qty qty, Price px, bool maker) {
    const InstrumentInfo& ins = instruments.at(e.category + ":" + e.symbol);
    EmExec x;
    x.execId = newId();
    x.orderId = e.orderId;
    x.orderLinkId = e.orderLinkId;
    x.category = e.category;
    x.symbol = e.symbol;
    x.side = e.side;
    x.orderType = e.orderType;
    x.orderPrice = e.price;
    x.orderQty = e.qty;
    x.px = px;
    x.qty = qty;
    x.maker = maker;
    x.timeMs = nowMs();
    const __int128 n = notional128(px, qty);
    if (e.category == "spot") {
      // 0.1%: a buy pays in the coin it receives (base), a sell in the quote coin.
      x.fee = e.buy() ? Qty::fromMantissa(qty.mantissa() / 1000)
                      : Qty::fromMantissa(static_cast<int64_t>(n / 1000));
      x.feeCurrency = e.buy() ? ins.baseCoin : ins.quoteCoin;
    } else {
      x.fee = Qty::fromMantissa(static_cast<int64_t>(n * (maker ? 2 : 55) / 10'000));
      x.feeCurrency = "";  // linear: the settle coin
    }
    e.cum += qty;
    e.valueRaw += rawProduct(px, qty);
    e.fee += x.fee;
    e.status = e.cum >= e.qty ? "Filled" : "PartiallyFilled";
    x.leaves = e.qty - e.cum;
    execs.push_back(x);
    push("execution", execJson(x));
    report(e);
    publishMarket(e.category, e.symbol, std::pair{px, qty});
  }

  void takeLiquidity(EmOrder& e, Price px) {
    const InstrumentInfo& ins = instruments.at(e.category + ":" + e.symbol);
    const int n = std::max(1, parts);
    Qty part = Qty::fromMantissa((e.qty - e.cum).mantissa() / n);
    part = Qty::fromMantissa(part.mantissa() - part.mantissa() % ins.qtyStep.mantissa());
    for (int i = 0; i < n - 1 && part.isPositive(); ++i) fillOrder(e, part, px, false);
    if (e.open()) fillOrder(e, e.qty - e.cum, px, false);
  }

  bool crosses(const EmOrder& e, Price p) const { return e.buy() ? e.price >= p : e.price <= p; }

  void cancelRest(EmOrder& e, const char* reason) {
    e.status = e.cum.isPositive() ? "PartiallyFilledCanceled" : "Cancelled";
    e.rejectReason = reason;
    e.cancelType = "UNKNOWN";
    report(e);
  }

  // ------------------------------------------------------------ endpoints
  EmOrder* find(Params& p) {
    if (!p["orderId"].empty()) {
      auto it = orders.find(p["orderId"]);
      return it == orders.end() ? nullptr : &it->second;
    }
    if (!p["orderLinkId"].empty()) {
      EmOrder* found = nullptr;
      for (const auto& id : orderSeq)
        if (orders[id].orderLinkId == p["orderLinkId"]) found = &orders[id];
      return found;
    }
    return nullptr;
  }

  net::HttpResponse create(Params& p) {
    const int64_t now = nowMs();
    auto bad = [&](const std::string& what) {
      return answer(10001, "params error: " + what, "{}", now);
    };
    auto ins = instruments.find(p["category"] + ":" + p["symbol"]);
    if (ins == instruments.end()) return bad("symbol invalid");
    EmOrder e;
    e.category = p["category"];
    e.symbol = p["symbol"];
    e.side = p["side"];
    e.orderType = p["orderType"];
    e.tif = p["timeInForce"].empty() ? "GTC" : p["timeInForce"];
    e.orderLinkId = p["orderLinkId"];
    e.reduceOnly = p["reduceOnly"] == "true";
    if (e.side != "Buy" && e.side != "Sell") return bad("side invalid");
    if (e.orderType != "Limit" && e.orderType != "Market") return bad("orderType invalid");
    auto qty = Qty::parse(p["qty"]);
    if (!qty || !qty->isPositive()) return bad("qty invalid");
    e.qty = *qty;
    if (e.category == "spot" && e.orderType == "Market" && p["marketUnit"] != "baseCoin")
      return bad("this emulator sizes spot market orders in the base coin only");
    if (e.orderType == "Limit") {
      auto px = Price::parse(p["price"]);
      if (!px || !px->isPositive()) return bad("price invalid");
      e.price = *px;
    } else {
      e.tif = "IOC";
    }
    if (auto f = checkFilters(ins->second,
                              e.orderType == "Limit" ? std::optional(e.price) : std::nullopt, e.qty,
                              e.orderType == "Market", std::nullopt);
        !f.empty())
      return answer(e.category == "spot" ? 170136 : 10001, f, "{}", now);
    if (!e.orderLinkId.empty())
      for (const auto& [id, other] : orders)
        if (other.orderLinkId == e.orderLinkId)
          return e.category == "spot" ? answer(170141, "Duplicate clientOrderId", "{}", now)
                                      : answer(110072, "OrderLinkedID is duplicate", "{}", now);
    e.orderId = newId();
    e.createdMs = now;
    auto& stored = orders[e.orderId] = e;
    orderSeq.push_back(e.orderId);
    const std::string result =
        "{\"orderId\":" + q(stored.orderId) + ",\"orderLinkId\":" + q(stored.orderLinkId) + "}";
    auto lp = last.find(stored.category + ":" + stored.symbol);
    std::optional<Price> lastPx;
    if (lp != last.end()) lastPx = lp->second;
    const bool crossing = stored.orderType == "Market" || (lastPx && crosses(stored, *lastPx));
    if (stored.tif == "PostOnly" && crossing) {
      stored.status = "Cancelled";
      stored.rejectReason = "EC_PostOnlyWillTakeLiquidity";
      report(stored);
    } else if (stored.tif == "FOK" && !crossing) {
      stored.status = "Cancelled";
      stored.rejectReason = "EC_FOKNotFilled";
      report(stored);
    } else {
      report(stored);
      if (crossing && lastPx) {
        takeLiquidity(stored, *lastPx);
      } else if (stored.orderType == "Market" || stored.tif == "IOC") {
        cancelRest(stored, "EC_NoImmediateQtyToFill");
      }
    }
    return answer(0, "OK", result, now);
  }

  net::HttpResponse cancel(Params& p) {
    EmOrder* e = find(p);
    if (!e || !e->open())
      return p["category"] == "spot"
                 ? answer(170213, "Order does not exist.", "{}", nowMs())
                 : answer(110001, "order not exists or too late to cancel", "{}", nowMs());
    e->cancelType = "CancelByUser";
    e->status = e->cum.isPositive() ? "PartiallyFilledCanceled" : "Cancelled";
    report(*e);
    return answer(0, "OK",
                  "{\"orderId\":" + q(e->orderId) + ",\"orderLinkId\":" + q(e->orderLinkId) + "}",
                  nowMs());
  }

  net::HttpResponse amend(Params& p) {
    EmOrder* e = find(p);
    if (!e || !e->open())
      return answer(110001, "order not exists or too late to replace", "{}", nowMs());
    const InstrumentInfo& ins = instruments.at(e->category + ":" + e->symbol);
    if (!p["qty"].empty()) {
      auto nq = Qty::parse(p["qty"]);
      if (!nq || !nq->isMultipleOf(ins.qtyStep))
        return answer(10001, "params error: qty invalid", "{}", nowMs());
      if (*nq <= e->cum)
        return answer(110013, "cannot set qty lower than the filled qty", "{}", nowMs());
      e->qty = *nq;
    }
    if (!p["price"].empty()) {
      auto px = Price::parse(p["price"]);
      if (!px || !px->isMultipleOf(ins.tickSize))
        return answer(10001, "params error: price invalid", "{}", nowMs());
      e->price = *px;
    }
    report(*e);
    auto lp = last.find(e->category + ":" + e->symbol);
    if (e->orderType == "Limit" && lp != last.end() && crosses(*e, lp->second))
      takeLiquidity(*e, lp->second);
    return answer(0, "OK",
                  "{\"orderId\":" + q(e->orderId) + ",\"orderLinkId\":" + q(e->orderLinkId) + "}",
                  nowMs());
  }

  net::HttpResponse realtime(Params& p) {
    std::string list;
    const bool byId = !p["orderId"].empty() || !p["orderLinkId"].empty();
    for (auto it = orderSeq.rbegin(); it != orderSeq.rend(); ++it) {  // newest first
      EmOrder& e = orders[*it];
      if (e.category != p["category"]) continue;
      if (!p["symbol"].empty() && e.symbol != p["symbol"]) continue;
      if (!p["orderId"].empty() && e.orderId != p["orderId"]) continue;
      if (!p["orderLinkId"].empty() && e.orderLinkId != p["orderLinkId"]) continue;
      if (!byId && !e.open() && p["openOnly"] != "1") continue;
      list += (list.empty() ? "" : ",") + orderJson(e);
    }
    return answer(
        0, "OK",
        "{\"list\":[" + list + "],\"nextPageCursor\":\"\",\"category\":" + q(p["category"]) + "}",
        nowMs());
  }

  net::HttpResponse executions(Params& p) {
    int64_t start = 0;
    if (!p["startTime"].empty()) start = std::stoll(p["startTime"]);
    std::string list;
    for (auto it = execs.rbegin(); it != execs.rend(); ++it) {
      if (it->category != p["category"] || it->timeMs < start) continue;
      if (!p["symbol"].empty() && it->symbol != p["symbol"]) continue;
      if (!p["orderId"].empty() && it->orderId != p["orderId"]) continue;
      if (!p["orderLinkId"].empty() && it->orderLinkId != p["orderLinkId"]) continue;
      list += (list.empty() ? "" : ",") + execJson(*it);
    }
    return answer(
        0, "OK",
        "{\"nextPageCursor\":\"\",\"category\":" + q(p["category"]) + ",\"list\":[" + list + "]}",
        nowMs());
  }

  net::HttpResponse instrumentsInfo(Params& p) {
    net::HttpResponse r;
    r.status = 200;
    r.body = p["category"] == "spot" ? o.instrumentsSpotJson : o.instrumentsLinearJson;
    if (r.body.empty()) return answer(10001, "params error: category invalid", "{}", nowMs());
    return r;
  }

  // Bybit's per-endpoint window, shown in its headers on every private answer.
  bool charge(const std::string& path, net::HttpResponse& r, bool orderCall) {
    auto& w = windows[path];
    const MonoNanos now = clock.monoNow();
    while (!w.empty() && w.front() <= now - 1'000'000'000) w.pop_front();
    const int64_t limit = orderCall ? o.orderLimitPerSec : o.queryLimitPerSec;
    const bool ok = static_cast<int64_t>(w.size()) < limit;
    if (ok) w.push_back(now);
    const int64_t resetMs = nowMs() + (w.empty() ? 0 : (w.front() + 1'000'000'000 - now) / kMs);
    r.headers["x-bapi-limit"] = std::to_string(limit);
    r.headers["x-bapi-limit-status"] = std::to_string(limit - static_cast<int64_t>(w.size()));
    r.headers["x-bapi-limit-reset-timestamp"] = std::to_string(resetMs);
    return ok;
  }

  net::HttpResponse handle(const net::HttpRequest& r) {
    std::lock_guard lk(mu);
    const std::string path = r.target.substr(0, r.target.find('?'));
    const std::string query = r.target.size() > path.size() ? r.target.substr(path.size() + 1) : "";
    ++reqCount[path];
    auto slow = [&](net::HttpResponse res) {
      if (!delays.empty()) {
        res.delayMs = delays.front();
        delays.pop_front();
      }
      return res;
    };
    Params p = parseQuery(query);
    if (path == "/v5/market/time") {
      const int64_t ns = clock.wallNow() + skewMs * kMs;
      return slow(answer(0, "OK",
                         "{\"timeSecond\":" + q(std::to_string(ns / 1'000'000'000)) +
                             ",\"timeNano\":" + q(std::to_string(ns)) + "}",
                         nowMs()));
    }
    if (path == "/v5/market/instruments-info") return slow(instrumentsInfo(p));
    const bool orderCall =
        path == "/v5/order/create" || path == "/v5/order/cancel" || path == "/v5/order/amend";
    if (!orderCall && path != "/v5/order/realtime" && path != "/v5/execution/list") {
      net::HttpResponse nf;
      nf.status = 404;
      nf.body = "{\"retCode\":404,\"retMsg\":\"Not Found\"}";
      return nf;
    }
    std::string key, ts, rw = "5000", sign;
    for (const auto& [k, v] : r.headers) {
      std::string lk2 = k;
      std::transform(lk2.begin(), lk2.end(), lk2.begin(), ::tolower);
      if (lk2 == "x-bapi-api-key") key = v;
      if (lk2 == "x-bapi-timestamp") ts = v;
      if (lk2 == "x-bapi-recv-window") rw = v;
      if (lk2 == "x-bapi-sign") sign = v;
    }
    const int64_t now = nowMs();
    if (key != o.apiKey) return answer(10003, "API key is invalid.", "{}", now);
    int64_t t = 0, window = 0;
    try {
      t = std::stoll(ts);
      window = std::stoll(rw);
    } catch (...) {
      ++tsFailures;
      return answer(10002, "invalid request, please check your timestamp and recv_window param",
                    "{}", now);
    }
    // Bybit's rule: server_time - recv_window <= timestamp < server_time + 1000.
    if (!(now - window <= t && t < now + 1000)) {
      ++tsFailures;
      return answer(10002,
                    "invalid request, please check your server timestamp or recv_window param. "
                    "req_timestamp[" +
                        ts + "],server_timestamp[" + std::to_string(now) + "],recv_window[" + rw +
                        "]",
                    "{}", now);
    }
    if (!verifyRestSign(ts, key, rw, r.method == "GET" ? query : r.body, o.secret, sign)) {
      ++sigFailures;
      return answer(10004, "error sign! origin_string[" + ts + key + rw + "...]", "{}", now);
    }
    net::HttpResponse res;
    if (!charge(path, res, orderCall)) {
      ++rateErrors;
      net::HttpResponse lim = answer(10006, "Too many visits!", "{}", now);
      lim.headers = res.headers;
      return lim;
    }
    Fail lost;
    if (!fails.empty()) {
      Fail f = fails.front();
      fails.pop_front();
      if (f.http == 0 && classifyRetCode(f.code) != ErrorClass::Unknown) {
        if (classifyRetCode(f.code) == ErrorClass::RateLimited) ++rateErrors;
        net::HttpResponse e = answer(f.code, f.msg, "{}", now);
        for (const auto& [k, v] : res.headers) e.headers[k] = v;
        return e;
      }
      lost = f;  // act, then lose the answer
    }
    if (r.method == "POST" && !parseBody(r.body, p))
      return answer(10001, "params error: the body is not a JSON object", "{}", now);
    net::HttpResponse out;
    if (path == "/v5/order/create") {
      lastCreate = r.body;
      out = create(p);
    } else if (path == "/v5/order/cancel") {
      out = cancel(p);
    } else if (path == "/v5/order/amend") {
      out = amend(p);
    } else if (path == "/v5/order/realtime") {
      out = realtime(p);
    } else {
      out = executions(p);
    }
    for (const auto& [k, v] : res.headers) out.headers[k] = v;
    if (lost.http != 0) {
      net::HttpResponse e;
      e.status = lost.http;
      e.body = "<html><body>" + std::to_string(lost.http) + " Bad Gateway</body></html>";
      return e;
    }
    if (lost.code != 0) return answer(lost.code, lost.msg, "{}", now);
    if (garble > 0) {
      --garble;
      out.body = out.body.substr(0, out.body.size() / 2);
    }
    return slow(out);
  }

  // ------------------------------------------------------------ WebSocket
  void onWsMessage(net::WsPeer& ws, const std::string& text) {
    Peer* peer = nullptr;
    for (auto& p : peers)
      if (p.ws.get() == &ws) peer = &p;
    if (!peer) return;
    rapidjson::Document d;
    d.Parse<rapidjson::kParseNumbersAsStringsFlag>(text.c_str());
    auto reply = [&](const std::string& op, bool ok, const std::string& msg) {
      ws.send("{\"success\":" + std::string(ok ? "true" : "false") + ",\"ret_msg\":" + q(msg) +
              ",\"op\":" + q(op) + ",\"conn_id\":\"emu-conn\"}");
    };
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("op") || !d["op"].IsString())
      return reply("", false, "Params Error");
    const std::string op = d["op"].GetString();
    if (op == "ping") {
      ++pings;
      return ws.send("{\"req_id\":\"\",\"op\":\"pong\",\"args\":[" + q(std::to_string(nowMs())) +
                     "],\"conn_id\":\"emu-conn\"}");
    }
    const bool hasArgs = d.HasMember("args") && d["args"].IsArray();
    if (!peer->category.empty()) {  // public: subscribe only, no auth
      if (op != "subscribe" || !hasArgs) return reply(op, false, "error:handler not found");
      std::vector<std::string> snaps;
      for (const auto& a : d["args"].GetArray()) {
        const std::string t = a.IsString() ? a.GetString() : "";
        const auto dot = t.rfind('.');
        const std::string sym = dot == std::string::npos ? "" : t.substr(dot + 1);
        if (!instruments.count(peer->category + ":" + sym))
          return reply(op, false, "error:handler not found,topic:" + t);
        if (t.rfind("orderbook.", 0) == 0) {
          peer->books.insert(sym);
          snaps.push_back(sym);
        } else if (t.rfind("publicTrade.", 0) == 0) {
          peer->trades.insert(sym);
        } else {
          return reply(op, false, "error:handler not found,topic:" + t);
        }
      }
      reply(op, true, "");
      for (const auto& sym : snaps)
        if (auto m = snapshotMsg(peer->category, sym); !m.empty()) ws.send(m);
      return;
    }
    if (op == "auth") {
      if (!hasArgs || d["args"].Size() != 3 || !d["args"][0].IsString() ||
          !d["args"][1].IsString() || !d["args"][2].IsString())
        return reply(op, false, "Params Error");
      const std::string key = d["args"][0].GetString();
      int64_t expires = 0;
      try {
        expires = std::stoll(d["args"][1].GetString());
      } catch (...) {
        return reply(op, false, "Params Error");
      }
      if (key != o.apiKey) return reply(op, false, "Invalid apikey");
      if (expires <= nowMs()) return reply(op, false, "Params Error: auth expired");
      if (!verifyWsAuthSign(expires, o.secret, d["args"][2].GetString())) {
        ++sigFailures;
        return reply(op, false, "Invalid sign");
      }
      peer->authed = true;
      return reply(op, true, "");
    }
    if (op == "subscribe") {
      if (!peer->authed) return reply(op, false, "Request not authorized");
      if (!hasArgs) return reply(op, false, "Params Error");
      for (const auto& a : d["args"].GetArray()) {
        if (!a.IsString()) continue;
        const std::string t = a.GetString();
        if (t == "order")
          peer->order = true;
        else if (t == "execution")
          peer->execution = true;
        else
          return reply(op, false, "error:handler not found,topic:" + t);
      }
      return reply(op, true, "");
    }
    reply(op, false, "error:handler not found");
  }
};

BybitEmulator::BybitEmulator(EmulatorOptions o) : impl_(std::make_shared<Impl>(std::move(o))) {}
BybitEmulator::~BybitEmulator() { stop(); }

uint16_t BybitEmulator::start(uint16_t port) {
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
    return !im->refuse && (target == "/v5/private" || target == "/v5/public/spot" ||
                           target == "/v5/public/linear");
  };
  h.onWsOpen = [weak](std::shared_ptr<net::WsPeer> p) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    Peer peer;
    peer.ws = p;
    if (p->target().rfind("/v5/public/", 0) == 0) peer.category = p->target().substr(11);
    im->peers.push_back(std::move(peer));
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

void BybitEmulator::stop() {
  if (impl_->server) impl_->server->stop();
  std::lock_guard lk(impl_->mu);
  impl_->peers.clear();
}

uint16_t BybitEmulator::port() const { return impl_->server ? impl_->server->port() : 0; }
const std::string& BybitEmulator::certPem() const { return impl_->cert.certPem; }

void BybitEmulator::setLastPrice(const std::string& category, const std::string& symbol, Price p) {
  std::lock_guard lk(impl_->mu);
  if (!impl_->instruments.count(category + ":" + symbol))
    throw std::invalid_argument("BybitEmulator: unknown " + category + " symbol " + symbol);
  impl_->last[category + ":" + symbol] = p;
  impl_->publishMarket(category, symbol, std::nullopt);
}

void BybitEmulator::trade(const std::string& category, const std::string& symbol, Price p) {
  std::lock_guard lk(impl_->mu);
  auto& im = *impl_;
  if (!im.instruments.count(category + ":" + symbol))
    throw std::invalid_argument("BybitEmulator: unknown " + category + " symbol " + symbol);
  im.last[category + ":" + symbol] = p;
  im.publishMarket(category, symbol, std::pair{p, Qty::of("1")});
  for (const auto& id : im.orderSeq) {
    EmOrder& e = im.orders[id];
    if (e.category != category || e.symbol != symbol || !e.open()) continue;
    if (e.orderType == "Limit" && im.crosses(e, p)) im.fillOrder(e, e.qty - e.cum, e.price, true);
  }
}

bool BybitEmulator::fill(const std::string& orderLinkId, Qty qty, Price px) {
  std::lock_guard lk(impl_->mu);
  EmOrder* found = nullptr;
  for (const auto& id : impl_->orderSeq) {
    EmOrder& e = impl_->orders[id];
    if (e.orderLinkId == orderLinkId && e.open()) found = &e;
  }
  if (!found || qty > found->qty - found->cum) return false;
  impl_->fillOrder(*found, qty, px, true);
  return true;
}

void BybitEmulator::fillInParts(int parts) {
  std::lock_guard lk(impl_->mu);
  impl_->parts = std::max(1, parts);
}
void BybitEmulator::replayLastExecution() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers)
    if (p.execution) p.ws->send(impl_->lastExecMsg);
}
void BybitEmulator::failNext(int64_t retCode, std::string retMsg, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->fails.push_back({retCode, retMsg, 0});
}
void BybitEmulator::httpFailNext(int status, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->fails.push_back({0, "", status});
}
void BybitEmulator::garbleNext(int count) {
  std::lock_guard lk(impl_->mu);
  impl_->garble += count;
}
void BybitEmulator::delayNext(int64_t ms, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->delays.push_back(ms);
}
void BybitEmulator::dropStreams() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers) p.ws->drop();
}
void BybitEmulator::dropPublicStreams() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers)
    if (!p.category.empty()) p.ws->drop();
}
void BybitEmulator::refuseStreams(bool refuse) {
  std::lock_guard lk(impl_->mu);
  impl_->refuse = refuse;
}
void BybitEmulator::sendOnPrivateStreams(const std::string& text) {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers)
    if (p.authed) p.ws->send(text);
}
void BybitEmulator::sendOnPublicStreams(const std::string& text) {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers)
    if (!p.category.empty()) p.ws->send(text);
}
void BybitEmulator::skewClockMs(int64_t ms) {
  std::lock_guard lk(impl_->mu);
  impl_->skewMs = ms;
}

int BybitEmulator::requests(const std::string& prefix) const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& [path, c] : impl_->reqCount)
    if (path.rfind(prefix, 0) == 0) n += c;
  return n;
}
int BybitEmulator::signatureFailures() const {
  std::lock_guard lk(impl_->mu);
  return impl_->sigFailures;
}
int BybitEmulator::timestampFailures() const {
  std::lock_guard lk(impl_->mu);
  return impl_->tsFailures;
}
int BybitEmulator::rateLimitErrors() const {
  std::lock_guard lk(impl_->mu);
  return impl_->rateErrors;
}
int BybitEmulator::authenticatedStreams() const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& p : impl_->peers) n += p.authed && p.order && p.execution ? 1 : 0;
  return n;
}
int BybitEmulator::publicSubscribers() const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& p : impl_->peers) n += p.books.empty() && p.trades.empty() ? 0 : 1;
  return n;
}
int BybitEmulator::pingsReceived() const {
  std::lock_guard lk(impl_->mu);
  return impl_->pings;
}
std::optional<std::string> BybitEmulator::orderStatus(const std::string& orderLinkId) const {
  std::lock_guard lk(impl_->mu);
  std::optional<std::string> s;
  for (const auto& id : impl_->orderSeq) {
    const EmOrder& e = impl_->orders.at(id);
    if (e.orderLinkId == orderLinkId) s = e.status;
  }
  return s;
}
std::string BybitEmulator::lastCreateBody() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastCreate;
}

}  // namespace fixgw::bybit
