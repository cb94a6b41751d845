#include "venue_adapters/binance/emulator.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include "venue_adapters/binance/auth.h"
#include "venue_adapters/binance/parse.h"
#include "venue_adapters/net/server.h"

namespace fixgw::binance {

namespace {

using Params = std::map<std::string, std::string>;

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

struct EmOrder {
  int64_t id = 0;
  std::string symbol, clientId, side, type, tif;
  Price price, stop;
  Qty orig, executed;
  __int128 quoteRaw = 0;
  std::string status = "NEW";
  int64_t time = 0, update = 0;
  bool buy() const { return side == "BUY"; }
  bool open() const { return !isTerminalStatus(status); }
};

struct EmTrade {
  int64_t id = 0, orderId = 0;
  std::string symbol;
  Price px;
  Qty qty, commission;
  std::string asset;
  int64_t time = 0;
  bool buyer = false, maker = false;
};

struct Fail {
  int status = 0;
  int retryAfter = 0;
  std::string body;
};

using W = rapidjson::Writer<rapidjson::StringBuffer>;
void kv(W& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
void kv(W& w, const char* k, int64_t v) {
  w.Key(k);
  w.Int64(v);
}
void kv(W& w, const char* k, bool v) {
  w.Key(k);
  w.Bool(v);
}

net::HttpResponse json(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
net::HttpResponse apiError(int status, int code, const std::string& msg) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.StartObject();
  kv(w, "code", static_cast<int64_t>(code));
  kv(w, "msg", msg);
  w.EndObject();
  return json(status, sb.GetString());
}

}  // namespace

struct BinanceEmulator::Impl : std::enable_shared_from_this<BinanceEmulator::Impl> {
  explicit Impl(EmulatorOptions opts)
      : o(std::move(opts)), clock(o.clock ? *o.clock : SystemClock::instance()) {
    if (auto e = parseExchangeInfo(o.exchangeInfoJson, info); !e.empty())
      throw std::invalid_argument("BinanceEmulator: exchangeInfoJson: " + e);
  }
  EmulatorOptions o;
  const Clock& clock;
  net::SelfSignedCert cert;
  std::unique_ptr<net::TlsServer> server;
  ExchangeInfo info;

  mutable std::mutex mu;
  std::map<std::string, Price> last;
  std::map<int64_t, EmOrder> orders;
  int64_t nextOrderId = 1000, nextTradeId = 5000;
  std::vector<EmTrade> trades;
  std::string listenKey;
  bool keyValid = false;
  bool refuse = false;
  std::vector<std::shared_ptr<net::WsPeer>> peers;
  std::deque<Fail> fails;
  int garble = 0;
  int tsRejects = 0;  // -1021 injection; -1 = persistent
  std::map<std::string, int> reqCount;
  int sigFailures = 0, streamsOpened = 0, keepalives = 0;
  std::string lastTradeEvent, lastOrderParams;
  int64_t weightMinute = -1, weightUsed = 0;
  // Binance's order counters (X-MBX-ORDER-COUNT-10S / -1D): orders placed in
  // the current 10 s and day windows (fixed windows, as Binance counts).
  int64_t orders10sWindow = -1, orders10s = 0, orders1dWindow = -1, orders1d = 0;
  std::mt19937_64 rng{42};

  // Public market streams.
  struct MdPeer {
    std::shared_ptr<net::WsPeer> peer;
    std::set<std::string> streams;
  };
  std::vector<MdPeer> mdPeers;
  std::map<std::string,
           std::pair<std::vector<std::pair<Price, Qty>>, std::vector<std::pair<Price, Qty>>>>
      extBook;
  int64_t bookUpdateId = 400900217;
  int mdOpened = 0;

  static bool isMdTarget(const std::string& t) { return t.rfind("/stream", 0) == 0; }
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  // The book of a symbol: others' levels plus our open limit orders' remainder.
  void bookOf(const std::string& sym, std::map<Price, Qty, std::greater<>>& bids,
              std::map<Price, Qty>& asks) const {
    if (auto it = extBook.find(sym); it != extBook.end()) {
      for (const auto& [px, q] : it->second.first) bids[px] += q;
      for (const auto& [px, q] : it->second.second) asks[px] += q;
    }
    for (const auto& [id, e] : orders) {
      if (e.symbol != sym || !e.open() || (e.type != "LIMIT" && e.type != "LIMIT_MAKER")) continue;
      if (e.buy())
        bids[e.price] += e.orig - e.executed;
      else
        asks[e.price] += e.orig - e.executed;
    }
  }

  // The payload of one book stream for sym, in Binance's shape; "" if the
  // stream is not a book stream of sym.
  std::string bookPayload(const std::string& sym, const std::string& stream) {
    const std::string base = lower(sym) + "@";
    if (stream.rfind(base, 0) != 0) return "";
    const std::string kind = stream.substr(base.size());
    std::map<Price, Qty, std::greater<>> bids;
    std::map<Price, Qty> asks;
    bookOf(sym, bids, asks);
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "stream", stream);
    w.Key("data");
    w.StartObject();
    if (kind == "bookTicker") {
      kv(w, "u", ++bookUpdateId);
      kv(w, "s", sym);
      // An empty side reads as zeros.
      kv(w, "b", decimal8(bids.empty() ? 0 : bids.begin()->first.mantissa()));
      kv(w, "B", decimal8(bids.empty() ? 0 : bids.begin()->second.mantissa()));
      kv(w, "a", decimal8(asks.empty() ? 0 : asks.begin()->first.mantissa()));
      kv(w, "A", decimal8(asks.empty() ? 0 : asks.begin()->second.mantissa()));
    } else if (kind.rfind("depth", 0) == 0) {
      size_t n = 0;
      for (size_t i = 5; i < kind.size() && std::isdigit(static_cast<unsigned char>(kind[i])); ++i)
        n = n * 10 + static_cast<size_t>(kind[i] - '0');
      if (n == 0) n = 10;
      kv(w, "lastUpdateId", ++bookUpdateId);
      auto side = [&](const char* key, const auto& m) {
        w.Key(key);
        w.StartArray();
        size_t k = 0;
        for (auto it = m.begin(); it != m.end() && k < n; ++it, ++k) {
          w.StartArray();
          w.String(decimal8(it->first.mantissa()).c_str());
          w.String(decimal8(it->second.mantissa()).c_str());
          w.EndArray();
        }
        w.EndArray();
      };
      side("bids", bids);
      side("asks", asks);
    } else {
      return "";
    }
    w.EndObject();
    w.EndObject();
    return sb.GetString();
  }

  void publishBook(const std::string& sym) {
    for (auto& m : mdPeers)
      for (const auto& st : m.streams)
        if (auto msg = bookPayload(sym, st); !msg.empty()) m.peer->send(msg);
  }

  void publishTrade(const std::string& sym, int64_t tradeId, Price px, Qty qty, bool buyerMaker) {
    const std::string stream = lower(sym) + "@trade";
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "stream", stream);
    w.Key("data");
    w.StartObject();
    kv(w, "e", std::string("trade"));
    kv(w, "E", nowMs());
    kv(w, "s", sym);
    kv(w, "t", tradeId);
    kv(w, "p", decimal8(px.mantissa()));
    kv(w, "q", decimal8(qty.mantissa()));
    kv(w, "T", nowMs());
    kv(w, "m", buyerMaker);
    kv(w, "M", true);
    w.EndObject();
    w.EndObject();
    const std::string msg = sb.GetString();
    for (auto& m : mdPeers)
      if (m.streams.count(stream)) m.peer->send(msg);
  }

  // A SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS request on a market stream.
  void onMdRequest(MdPeer& m, const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    auto reply = [&](const std::string& body) { m.peer->send(body); };
    if (d.HasParseError() || !d.IsObject())
      return reply(R"({"error":{"code":3,"msg":"Invalid JSON: malformed request"}})");
    std::string id = "null";
    if (auto it = d.FindMember("id"); it != d.MemberEnd() && it->value.IsInt64())
      id = std::to_string(it->value.GetInt64());
    auto mt = d.FindMember("method");
    if (mt == d.MemberEnd() || !mt->value.IsString())
      return reply(R"({"error":{"code":2,"msg":"Invalid request: unknown variant method"},"id":)" +
                   id + "}");
    const std::string method = mt->value.GetString();
    std::vector<std::string> params;
    if (auto pa = d.FindMember("params"); pa != d.MemberEnd() && pa->value.IsArray())
      for (const auto& v : pa->value.GetArray())
        if (v.IsString()) params.emplace_back(v.GetString());
    if (method == "LIST_SUBSCRIPTIONS") {
      std::string out = R"({"result":[)";
      for (const auto& st : m.streams) out += (out.back() == '[' ? "\"" : ",\"") + st + "\"";
      return reply(out + R"(],"id":)" + id + "}");
    }
    if (method != "SUBSCRIBE" && method != "UNSUBSCRIBE")
      return reply(R"({"error":{"code":2,"msg":"Invalid request: unknown variant )" + method +
                   R"("},"id":)" + id + "}");
    for (const auto& st : params) {
      if (method == "SUBSCRIBE")
        m.streams.insert(st);
      else
        m.streams.erase(st);
    }
    reply(R"({"result":null,"id":)" + id + "}");
    if (method == "SUBSCRIBE") sendSnapshots(m, params);
  }

  // The current book on newly subscribed book streams (the real feed sends
  // one as soon as the book moves; the emulator's book may not move).
  void sendSnapshots(MdPeer& m, const std::vector<std::string>& streams) {
    for (const auto& st : streams) {
      const std::string sym = st.substr(0, st.find('@'));
      for (const auto& [name, f] : info.symbols)
        if (lower(name) == sym)
          if (auto msg = bookPayload(name, st); !msg.empty()) m.peer->send(msg);
    }
  }

  int64_t nowMs() const { return clock.wallNow() / 1'000'000; }

  // ------------------------------------------------------------ JSON out
  void writeOrderFields(W& w, const EmOrder& e) {
    kv(w, "symbol", e.symbol);
    kv(w, "orderId", e.id);
    kv(w, "orderListId", int64_t{-1});
    kv(w, "clientOrderId", e.clientId);
    kv(w, "price", decimal8(e.price.mantissa()));
    kv(w, "origQty", decimal8(e.orig.mantissa()));
    kv(w, "executedQty", decimal8(e.executed.mantissa()));
    kv(w, "cummulativeQuoteQty", decimal8(static_cast<int64_t>(e.quoteRaw / kOne)));
    kv(w, "status", e.status);
    kv(w, "timeInForce", e.tif);
    kv(w, "type", e.type);
    kv(w, "side", e.side);
  }

  std::string orderJson(const EmOrder& e, const std::vector<EmTrade>* fills) {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    writeOrderFields(w, e);
    kv(w, "stopPrice", decimal8(e.stop.mantissa()));
    kv(w, "icebergQty", std::string("0.00000000"));
    kv(w, "time", e.time);
    kv(w, "updateTime", e.update);
    kv(w, "isWorking", e.type.rfind("STOP", 0) != 0);
    kv(w, "workingTime", e.time);
    kv(w, "origQuoteOrderQty", std::string("0.00000000"));
    kv(w, "selfTradePreventionMode", std::string("NONE"));
    if (fills) {
      kv(w, "transactTime", e.update);
      w.Key("fills");
      w.StartArray();
      for (const auto& t : *fills) {
        w.StartObject();
        kv(w, "price", decimal8(t.px.mantissa()));
        kv(w, "qty", decimal8(t.qty.mantissa()));
        kv(w, "commission", decimal8(t.commission.mantissa()));
        kv(w, "commissionAsset", t.asset);
        kv(w, "tradeId", t.id);
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
    return sb.GetString();
  }

  std::string tradeJson(const EmTrade& t) {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "symbol", t.symbol);
    kv(w, "id", t.id);
    kv(w, "orderId", t.orderId);
    kv(w, "orderListId", int64_t{-1});
    kv(w, "price", decimal8(t.px.mantissa()));
    kv(w, "qty", decimal8(t.qty.mantissa()));
    kv(w, "quoteQty", decimal8(notional(t.px, t.qty).mantissa()));
    kv(w, "commission", decimal8(t.commission.mantissa()));
    kv(w, "commissionAsset", t.asset);
    kv(w, "time", t.time);
    kv(w, "isBuyer", t.buyer);
    kv(w, "isMaker", t.maker);
    kv(w, "isBestMatch", true);
    w.EndObject();
    return sb.GetString();
  }

  // executionReport as the user data stream sends it.
  void report(const EmOrder& e, const std::string& execType, const EmTrade* t,
              const std::string& cancelClientId = "") {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "e", std::string("executionReport"));
    kv(w, "E", nowMs());
    kv(w, "s", e.symbol);
    kv(w, "c", cancelClientId.empty() ? e.clientId : cancelClientId);
    kv(w, "S", e.side);
    kv(w, "o", e.type);
    kv(w, "f", e.tif);
    kv(w, "q", decimal8(e.orig.mantissa()));
    kv(w, "p", decimal8(e.price.mantissa()));
    kv(w, "P", decimal8(e.stop.mantissa()));
    kv(w, "F", std::string("0.00000000"));
    kv(w, "g", int64_t{-1});
    kv(w, "C", cancelClientId.empty() ? std::string() : e.clientId);
    kv(w, "x", execType);
    kv(w, "X", e.status);
    kv(w, "r", std::string("NONE"));
    kv(w, "i", e.id);
    kv(w, "l", decimal8(t ? t->qty.mantissa() : 0));
    kv(w, "z", decimal8(e.executed.mantissa()));
    kv(w, "L", decimal8(t ? t->px.mantissa() : 0));
    kv(w, "n", decimal8(t ? t->commission.mantissa() : 0));
    w.Key("N");
    if (t)
      w.String(t->asset.c_str());
    else
      w.Null();
    kv(w, "T", e.update);
    kv(w, "t", t ? t->id : int64_t{-1});
    kv(w, "I", nextTradeId * 3);
    kv(w, "w", e.open() && e.type.rfind("STOP", 0) != 0);
    kv(w, "m", t ? t->maker : false);
    kv(w, "M", false);
    kv(w, "O", e.time);
    kv(w, "Z", decimal8(static_cast<int64_t>(e.quoteRaw / kOne)));
    kv(w, "Y", decimal8(t ? notional(t->px, t->qty).mantissa() : 0));
    kv(w, "Q", std::string("0.00000000"));
    kv(w, "W", e.time);
    kv(w, "V", std::string("NONE"));
    w.EndObject();
    std::string msg = sb.GetString();
    if (t) lastTradeEvent = msg;
    for (auto& p : peers) p->send(msg);
  }

  // ------------------------------------------------------------ matching
  const EmTrade& fillOrder(EmOrder& e, Qty qty, Price px, bool maker) {
    EmTrade t;
    t.id = nextTradeId++;
    t.orderId = e.id;
    t.symbol = e.symbol;
    t.px = px;
    t.qty = qty;
    t.buyer = e.buy();
    t.maker = maker;
    t.time = nowMs();
    const auto& f = info.symbols.at(e.symbol);
    // 0.1%: the buyer pays in the base asset, the seller in the quote asset.
    if (e.buy()) {
      t.commission = Qty::fromMantissa(qty.mantissa() / 1000);
      t.asset = f.baseAsset;
    } else {
      t.commission = Qty::fromMantissa(notional(px, qty).mantissa() / 1000);
      t.asset = f.quoteAsset;
    }
    e.executed += qty;
    e.quoteRaw += rawProduct(px, qty);
    e.update = t.time;
    e.status = e.executed >= e.orig ? "FILLED" : "PARTIALLY_FILLED";
    trades.push_back(t);
    report(e, "TRADE", &trades.back());
    publishTrade(e.symbol, t.id, px, qty, e.buy() == maker);
    publishBook(e.symbol);
    return trades.back();
  }

  bool crosses(const EmOrder& e, Price p) const { return e.buy() ? e.price >= p : e.price <= p; }
  bool stopTriggered(const EmOrder& e, Price p) const {
    return e.buy() ? p >= e.stop : p <= e.stop;
  }

  // ------------------------------------------------------------ endpoints
  net::HttpResponse newOrder(Params& p, const std::string& total) {
    lastOrderParams = total;
    for (const char* k : {"symbol", "side", "type"})
      if (p[k].empty())
        return apiError(400, -1102,
                        std::string("Mandatory parameter '") + k +
                            "' was not sent, was empty/null, or malformed.");
    auto fit = info.symbols.find(p["symbol"]);
    if (fit == info.symbols.end()) return apiError(400, -1121, "Invalid symbol.");
    const SymbolFilters& f = fit->second;
    EmOrder e;
    e.symbol = p["symbol"];
    e.side = p["side"];
    e.type = p["type"];
    e.tif = p["timeInForce"].empty() ? "GTC" : p["timeInForce"];
    if (e.side != "BUY" && e.side != "SELL") return apiError(400, -1117, "Invalid side.");
    if (!f.supports(e.type)) return apiError(400, -1116, "Invalid orderType.");
    auto q = Qty::parse(p["quantity"]);
    if (!q)
      return apiError(400, -1102,
                      "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
    e.orig = *q;
    const bool limitLike =
        e.type == "LIMIT" || e.type == "LIMIT_MAKER" || e.type == "STOP_LOSS_LIMIT";
    const bool stopLike = e.type == "STOP_LOSS" || e.type == "STOP_LOSS_LIMIT";
    if (limitLike) {
      auto px = Price::parse(p["price"]);
      if (!px)
        return apiError(400, -1102,
                        "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
      e.price = *px;
    }
    if (stopLike) {
      auto sp = Price::parse(p["stopPrice"]);
      if (!sp)
        return apiError(
            400, -1102,
            "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.");
      e.stop = *sp;
    }
    if (auto err = checkFilters(f, limitLike ? std::optional<Price>(e.price) : std::nullopt,
                                stopLike ? std::optional<Price>(e.stop) : std::nullopt, e.orig,
                                !limitLike);
        !err.empty())
      return apiError(400, -1013, "Filter failure: " + err.substr(0, err.find(':')));
    e.clientId = p["newClientOrderId"];
    if (e.clientId.empty()) e.clientId = "emu" + std::to_string(nextOrderId);
    for (const auto& [id, other] : orders)
      if (other.clientId == e.clientId && other.open())
        return apiError(400, -2010, "Duplicate order sent.");
    auto lp = last.find(e.symbol);
    std::optional<Price> lastPx;
    if (lp != last.end()) lastPx = lp->second;
    if (e.type == "LIMIT_MAKER" && lastPx && crosses(e, *lastPx))
      return apiError(400, -2010, "Order would immediately match and take.");
    if (stopLike && lastPx && stopTriggered(e, *lastPx))
      return apiError(400, -2010, "Stop price would trigger immediately.");
    e.id = nextOrderId++;
    e.time = e.update = nowMs();
    auto& stored = orders[e.id] = e;
    report(stored, "NEW", nullptr);
    std::vector<EmTrade> fills;
    if (stored.type == "MARKET") {
      if (lastPx) {
        fills.push_back(fillOrder(stored, stored.orig, *lastPx, false));
      } else {
        stored.status = "EXPIRED";
        report(stored, "EXPIRED", nullptr);
      }
    } else if (stored.type == "LIMIT" && lastPx && crosses(stored, *lastPx)) {
      fills.push_back(fillOrder(stored, stored.orig, *lastPx, false));
    } else if (stored.type == "LIMIT" && (stored.tif == "IOC" || stored.tif == "FOK")) {
      stored.status = "EXPIRED";
      report(stored, "EXPIRED", nullptr);
    }
    const bool full = p["newOrderRespType"] == "FULL" || p["newOrderRespType"].empty();
    return json(200, orderJson(stored, full ? &fills : nullptr));
  }

  EmOrder* findOrder(Params& p) {
    if (!p["orderId"].empty()) {
      auto it = orders.find(std::stoll(p["orderId"]));
      return it == orders.end() || it->second.symbol != p["symbol"] ? nullptr : &it->second;
    }
    EmOrder* found = nullptr;  // the latest order with that client id
    for (auto& [id, e] : orders)
      if (e.clientId == p["origClientOrderId"] && e.symbol == p["symbol"]) found = &e;
    return found;
  }

  net::HttpResponse cancel(Params& p) {
    EmOrder* e = findOrder(p);
    if (!e || !e->open()) return apiError(400, -2011, "Unknown order sent.");
    e->status = "CANCELED";
    e->update = nowMs();
    std::string cancelId =
        p["newClientOrderId"].empty() ? "cxl" + std::to_string(e->id) : p["newClientOrderId"];
    report(*e, "CANCELED", nullptr, cancelId);
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kv(w, "symbol", e->symbol);
    kv(w, "origClientOrderId", e->clientId);
    kv(w, "orderId", e->id);
    kv(w, "orderListId", int64_t{-1});
    kv(w, "clientOrderId", cancelId);
    kv(w, "transactTime", e->update);
    kv(w, "price", decimal8(e->price.mantissa()));
    kv(w, "origQty", decimal8(e->orig.mantissa()));
    kv(w, "executedQty", decimal8(e->executed.mantissa()));
    kv(w, "cummulativeQuoteQty", decimal8(static_cast<int64_t>(e->quoteRaw / kOne)));
    kv(w, "status", e->status);
    kv(w, "timeInForce", e->tif);
    kv(w, "type", e->type);
    kv(w, "side", e->side);
    kv(w, "selfTradePreventionMode", std::string("NONE"));
    w.EndObject();
    return json(200, sb.GetString());
  }

  net::HttpResponse listenKeyEndpoint(const net::HttpRequest& r, Params& p) {
    if (r.method == "POST") {
      if (!keyValid) {
        static const char* alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        listenKey.clear();
        for (int i = 0; i < 60; ++i) listenKey.push_back(alnum[rng() % 62]);
        keyValid = true;
      }
      return json(200, "{\"listenKey\":\"" + listenKey + "\"}");
    }
    if (!keyValid || p["listenKey"] != listenKey)
      return apiError(400, -1125, "This listenKey does not exist.");
    if (r.method == "PUT") {
      ++keepalives;
      return json(200, "{}");
    }
    if (r.method == "DELETE") {
      keyValid = false;
      return json(200, "{}");
    }
    return apiError(400, -1000, "Unsupported method.");
  }

  net::HttpResponse handle(const net::HttpRequest& r) {
    std::lock_guard lk(mu);
    std::string path = r.target.substr(0, r.target.find('?'));
    std::string query = r.target.size() > path.size() ? r.target.substr(path.size() + 1) : "";
    ++reqCount[path];
    const int64_t minute = clock.wallNow() / 60'000'000'000LL;
    if (minute != weightMinute) {
      weightMinute = minute;
      weightUsed = 0;
    }
    weightUsed += path == "/api/v3/exchangeInfo" ? 20 : path == "/api/v3/myTrades" ? 20 : 1;
    auto withWeight = [&](net::HttpResponse res) {
      res.headers["x-mbx-used-weight-1m"] = std::to_string(weightUsed);
      return res;
    };
    Params p = parseParams(query);
    for (auto& [k, v] : parseParams(r.body)) p[k] = v;
    std::string apiKey;
    for (const auto& [k, v] : r.headers)
      if (k == "x-mbx-apikey") apiKey = v;

    if (path == "/api/v3/userDataStream") {
      if (apiKey != o.apiKey) return apiError(401, -2014, "API-key format invalid.");
      return withWeight(listenKeyEndpoint(r, p));
    }
    if (!fails.empty()) {
      Fail f = fails.front();
      fails.pop_front();
      net::HttpResponse res;
      res.status = f.status;
      res.body = f.body;
      if (res.body.empty()) {
        if (f.status == 429)
          res = apiError(429, -1003,
                         "Too many requests; current limit is 6000 request weight per 1 MINUTE.");
        else if (f.status == 418)
          res = apiError(418, -1003, "Way too many requests; IP banned until further notice.");
        else
          res = apiError(f.status, -1000, "An unknown error occured while processing the request.");
      }
      if (f.retryAfter > 0) res.headers["retry-after"] = std::to_string(f.retryAfter);
      return withWeight(res);
    }
    if (garble > 0) {
      --garble;
      return withWeight(json(200, "{\"symbol\":\"BTCUSDT\",\"orderId\":12,\"price\":\"1.0"));
    }
    if (path == "/api/v3/ping") return withWeight(json(200, "{}"));
    if (path == "/api/v3/time")
      return withWeight(json(200, "{\"serverTime\":" + std::to_string(nowMs()) + "}"));
    if (path == "/api/v3/exchangeInfo") return withWeight(json(200, o.exchangeInfoJson));

    // SIGNED endpoints from here on.
    if (apiKey != o.apiKey)
      return apiError(401, -2015, "Invalid API-key, IP, or permissions for action.");
    std::string total = query + r.body;
    if (!verifySignedParams(total, o.secret)) {
      ++sigFailures;
      return apiError(400, -1022, "Signature for this request is not valid.");
    }
    int64_t ts = 0, window = 5000;
    try {
      ts = std::stoll(p["timestamp"]);
      if (!p["recvWindow"].empty()) window = std::stoll(p["recvWindow"]);
    } catch (...) {
      return apiError(
          400, -1102,
          "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
    }
    const int64_t now = nowMs();
    if (tsRejects != 0) {
      if (tsRejects > 0) --tsRejects;
      return apiError(400, -1021, "Timestamp for this request is outside of the recvWindow.");
    }
    if (ts > now + 1000 || now - ts > window)
      return apiError(400, -1021, "Timestamp for this request is outside of the recvWindow.");

    if (path == "/api/v3/order" && (r.method == "POST" || r.method == "DELETE")) {
      auto res = r.method == "POST" ? newOrder(p, total) : cancel(p);
      if (res.status == 200) publishBook(p["symbol"]);
      if (r.method == "POST") {
        // Every order Binance accepted for matching counts, as its headers say.
        const int64_t w10 = clock.wallNow() / 10'000'000'000LL;
        const int64_t w1d = clock.wallNow() / 86'400'000'000'000LL;
        if (w10 != orders10sWindow) orders10sWindow = w10, orders10s = 0;
        if (w1d != orders1dWindow) orders1dWindow = w1d, orders1d = 0;
        if (res.status == 200) ++orders10s, ++orders1d;
        res.headers["x-mbx-order-count-10s"] = std::to_string(orders10s);
        res.headers["x-mbx-order-count-1d"] = std::to_string(orders1d);
      }
      return withWeight(res);
    }
    if (path == "/api/v3/order" && r.method == "GET") {
      EmOrder* e = findOrder(p);
      if (!e) return apiError(400, -2013, "Order does not exist.");
      return withWeight(json(200, orderJson(*e, nullptr)));
    }
    if (path == "/api/v3/openOrders" && r.method == "GET") {
      std::string out = "[";
      for (const auto& [id, e] : orders) {
        if (!e.open() || (!p["symbol"].empty() && e.symbol != p["symbol"])) continue;
        if (out.size() > 1) out += ",";
        out += orderJson(e, nullptr);
      }
      return withWeight(json(200, out + "]"));
    }
    if (path == "/api/v3/myTrades" && r.method == "GET") {
      if (p["symbol"].empty())
        return apiError(400, -1102,
                        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
      std::string out = "[";
      for (const auto& t : trades) {
        if (t.symbol != p["symbol"]) continue;
        if (!p["orderId"].empty() && std::to_string(t.orderId) != p["orderId"]) continue;
        if (!p["startTime"].empty() && t.time < std::stoll(p["startTime"])) continue;
        if (out.size() > 1) out += ",";
        out += tradeJson(t);
      }
      return withWeight(json(200, out + "]"));
    }
    return apiError(404, -1000, "Unknown endpoint " + r.method + " " + path);
  }
};

BinanceEmulator::BinanceEmulator(EmulatorOptions o) : impl_(std::make_shared<Impl>(std::move(o))) {}
BinanceEmulator::~BinanceEmulator() { stop(); }

uint16_t BinanceEmulator::start(uint16_t port) {
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
    if (im->refuse) return false;
    if (Impl::isMdTarget(target)) return true;
    return im->keyValid && target == "/ws/" + im->listenKey;
  };
  h.onWsOpen = [weak](std::shared_ptr<net::WsPeer> p) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    if (Impl::isMdTarget(p->target())) {
      ++im->mdOpened;
      Impl::MdPeer m{p, {}};
      // /stream?streams=btcusdt@trade/btcusdt@bookTicker
      const std::string& t = p->target();
      std::vector<std::string> initial;
      if (auto q = t.find("streams="); q != std::string::npos) {
        std::string list = t.substr(q + 8);
        list = list.substr(0, list.find('&'));
        size_t start = 0;
        while (start <= list.size()) {
          size_t slash = list.find('/', start);
          std::string st = list.substr(start, slash == std::string::npos ? slash : slash - start);
          if (!st.empty()) initial.push_back(st);
          if (slash == std::string::npos) break;
          start = slash + 1;
        }
      }
      m.streams.insert(initial.begin(), initial.end());
      im->mdPeers.push_back(std::move(m));
      im->sendSnapshots(im->mdPeers.back(), initial);
      return;
    }
    ++im->streamsOpened;
    im->peers.push_back(std::move(p));
  };
  h.onWsMessage = [weak](net::WsPeer& p, const std::string& text) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    for (auto& m : im->mdPeers)
      if (m.peer.get() == &p) return im->onMdRequest(m, text);
  };
  h.onWsClose = [weak](net::WsPeer& p) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    std::erase_if(im->peers, [&](const auto& x) { return x.get() == &p; });
    std::erase_if(im->mdPeers, [&](const auto& x) { return x.peer.get() == &p; });
  };
  impl_->server = std::make_unique<net::TlsServer>(impl_->cert.certPem, impl_->cert.keyPem, h);
  return impl_->server->start(port);
}

void BinanceEmulator::stop() {
  if (impl_->server) impl_->server->stop();
  std::lock_guard lk(impl_->mu);
  impl_->peers.clear();
  impl_->mdPeers.clear();
}

uint16_t BinanceEmulator::port() const { return impl_->server ? impl_->server->port() : 0; }
const std::string& BinanceEmulator::certPem() const { return impl_->cert.certPem; }

void BinanceEmulator::setLastPrice(const std::string& symbol, Price p) {
  std::lock_guard lk(impl_->mu);
  impl_->last[symbol] = p;
}

void BinanceEmulator::trade(const std::string& symbol, Price p) {
  std::lock_guard lk(impl_->mu);
  auto& im = *impl_;
  im.last[symbol] = p;
  for (auto& [id, e] : im.orders) {
    if (e.symbol != symbol || !e.open()) continue;
    if (e.type == "STOP_LOSS" && im.stopTriggered(e, p)) {
      im.fillOrder(e, e.orig - e.executed, p, false);
    } else if (e.type == "STOP_LOSS_LIMIT" && im.stopTriggered(e, p)) {
      e.type = "LIMIT";  // triggered: now a resting limit order
      if (im.crosses(e, p)) im.fillOrder(e, e.orig - e.executed, e.price, false);
    } else if ((e.type == "LIMIT" || e.type == "LIMIT_MAKER") && im.crosses(e, p)) {
      im.fillOrder(e, e.orig - e.executed, e.price, true);
    }
  }
}

void BinanceEmulator::trade(const std::string& symbol, Price p, Qty qty) {
  {
    std::lock_guard lk(impl_->mu);
    impl_->publishTrade(symbol, impl_->nextTradeId++, p, qty, false);
  }
  trade(symbol, p);
}

void BinanceEmulator::setBook(const std::string& symbol, std::vector<std::pair<Price, Qty>> bids,
                              std::vector<std::pair<Price, Qty>> asks) {
  std::lock_guard lk(impl_->mu);
  impl_->extBook[symbol] = {std::move(bids), std::move(asks)};
  impl_->publishBook(symbol);
}

bool BinanceEmulator::fill(const std::string& clientOrderId, Qty qty, Price px) {
  std::lock_guard lk(impl_->mu);
  EmOrder* found = nullptr;
  for (auto& [id, e] : impl_->orders)
    if (e.clientId == clientOrderId && e.open()) found = &e;
  if (!found || qty > found->orig - found->executed) return false;
  impl_->fillOrder(*found, qty, px, true);
  return true;
}

void BinanceEmulator::replayLastTrade() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers) p->send(impl_->lastTradeEvent);
}

void BinanceEmulator::failNext(int status, int count, int retryAfterSec, std::string body) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->fails.push_back({status, retryAfterSec, body});
}

void BinanceEmulator::garbleNext(int count) {
  std::lock_guard lk(impl_->mu);
  impl_->garble += count;
}

void BinanceEmulator::dropStreams() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers) p->drop();
}

void BinanceEmulator::expireListenKey() {
  std::lock_guard lk(impl_->mu);
  auto& im = *impl_;
  std::string ev = "{\"e\":\"listenKeyExpired\",\"E\":" + std::to_string(im.nowMs()) +
                   ",\"listenKey\":\"" + im.listenKey + "\"}";
  im.keyValid = false;
  for (auto& p : im.peers) {
    p->send(ev);
    p->close();
  }
}

void BinanceEmulator::dropMarketStreams() {
  std::lock_guard lk(impl_->mu);
  for (auto& m : impl_->mdPeers) m.peer->drop();
}

void BinanceEmulator::sendMarketRaw(const std::string& text) {
  std::lock_guard lk(impl_->mu);
  for (auto& m : impl_->mdPeers) m.peer->send(text);
}

int BinanceEmulator::marketStreamsOpened() const {
  std::lock_guard lk(impl_->mu);
  return impl_->mdOpened;
}
int BinanceEmulator::openMarketStreams() const {
  std::lock_guard lk(impl_->mu);
  return static_cast<int>(impl_->mdPeers.size());
}
std::vector<std::string> BinanceEmulator::marketSubscriptions() const {
  std::lock_guard lk(impl_->mu);
  std::vector<std::string> out;
  for (const auto& m : impl_->mdPeers) out.insert(out.end(), m.streams.begin(), m.streams.end());
  return out;
}

void BinanceEmulator::refuseStreams(bool refuse) {
  std::lock_guard lk(impl_->mu);
  impl_->refuse = refuse;
}

void BinanceEmulator::rejectTimestamps(int count) {
  std::lock_guard lk(impl_->mu);
  impl_->tsRejects = count;
}

int BinanceEmulator::requests(const std::string& prefix) const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& [path, c] : impl_->reqCount)
    if (path.rfind(prefix, 0) == 0) n += c;
  return n;
}
int64_t BinanceEmulator::usedWeight1m() const {
  std::lock_guard lk(impl_->mu);
  return impl_->weightUsed;
}

int64_t BinanceEmulator::orderCount10s() const {
  std::lock_guard lk(impl_->mu);
  return impl_->orders10s;
}

int64_t BinanceEmulator::orderCount1d() const {
  std::lock_guard lk(impl_->mu);
  return impl_->orders1d;
}

int BinanceEmulator::signatureFailures() const {
  std::lock_guard lk(impl_->mu);
  return impl_->sigFailures;
}
int BinanceEmulator::streamsOpened() const {
  std::lock_guard lk(impl_->mu);
  return impl_->streamsOpened;
}
int BinanceEmulator::openStreams() const {
  std::lock_guard lk(impl_->mu);
  return static_cast<int>(impl_->peers.size());
}
int BinanceEmulator::keepalives() const {
  std::lock_guard lk(impl_->mu);
  return impl_->keepalives;
}
uint64_t BinanceEmulator::connectionsAccepted() const {
  return impl_->server ? impl_->server->connectionsAccepted() : 0;
}
std::optional<std::string> BinanceEmulator::orderStatus(const std::string& clientOrderId) const {
  std::lock_guard lk(impl_->mu);
  std::optional<std::string> s;
  for (const auto& [id, e] : impl_->orders)
    if (e.clientId == clientOrderId) s = e.status;
  return s;
}
std::string BinanceEmulator::lastOrderParams() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastOrderParams;
}

}  // namespace fixgw::binance
