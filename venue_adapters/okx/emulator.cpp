#include "venue_adapters/okx/emulator.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "venue_adapters/net/server.h"
#include "venue_adapters/okx/auth.h"
#include "venue_adapters/okx/parse.h"

namespace fixgw::okx {

namespace {

constexpr int64_t kMs = 1'000'000;

std::map<std::string, std::string> parseQuery(std::string_view q) {
  std::map<std::string, std::string> p;
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

std::string field(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

net::HttpResponse json(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers["content-type"] = "application/json";
  return r;
}
net::HttpResponse codeOnly(int status, const std::string& code, const std::string& msg) {
  return json(status, "{\"msg\":\"" + msg + "\",\"code\":\"" + code + "\"}");
}
net::HttpResponse okData(const std::string& data) {
  return json(200, "{\"code\":\"0\",\"msg\":\"\",\"data\":[" + data + "]}");
}

struct EmOrder {
  std::string ordId, clOrdId, instId, instType, side, ordType, tdMode, state = "live";
  std::string cancelSource;
  Price px;
  Qty sz, acc;
  __int128 costRaw = 0;
  int64_t cTime = 0, uTime = 0;
  bool open() const { return state == "live" || state == "partially_filled"; }
  bool buy() const { return side == "buy"; }
};

struct EmFill {
  std::string tradeId, billId, ordId;
  Price px;
  Qty sz, fee;  // fee negative = charged
  std::string feeCcy;
  int64_t ts = 0;
  bool maker = false;
};

struct Peer {
  std::shared_ptr<net::WsPeer> ws;
  bool loggedIn = false;
  bool orders = false;
  bool isPublic = false;
  std::map<std::string, std::set<std::string>> channels;  // books5/trades -> instIds
};

}  // namespace

struct OkxEmulator::Impl {
  explicit Impl(EmulatorOptions opts)
      : o(std::move(opts)), clock(o.clock ? *o.clock : SystemClock::instance()) {
    for (const auto& j : o.instrumentsJson) {
      if (auto e = parseInstruments(j, insts); !e.empty())
        throw std::invalid_argument("OkxEmulator: instrumentsJson: " + e);
      rapidjson::Document d;
      d.Parse(j.c_str());
      for (const auto& v : d["data"].GetArray()) {
        rapidjson::StringBuffer sb;
        rapidjson::Writer<rapidjson::StringBuffer> w(sb);
        v.Accept(w);
        instJson[field(v, "instId")] = sb.GetString();
      }
    }
  }
  EmulatorOptions o;
  const Clock& clock;
  net::SelfSignedCert cert;
  std::unique_ptr<net::TlsServer> server;
  std::map<std::string, InstInfo> insts;
  std::map<std::string, std::string> instJson;

  mutable std::mutex mu;
  std::map<std::string, Price> last;
  std::map<std::string, EmOrder> orders;                // by ordId
  std::map<std::string, std::vector<EmFill>> fills;     // by ordId
  std::vector<std::pair<std::string, EmFill>> fillSeq;  // (ordId, fill) in time order
  int64_t nextOrd = 312269865356374016, nextTrade = 242589207, nextBill = 680800019754098688;
  bool refuse = false;
  std::vector<Peer> peers;
  std::deque<std::pair<std::string, std::string>> sFails, codeFails;
  int lose = 0, garble = 0, parts = 1;
  std::map<std::string, int> reqCount;
  int authFails = 0, rateErrors = 0, logins = 0, pings = 0;
  mutable int64_t seq = 0;
  int places = 0;  // books5 seqId
  std::string lastPush, lastOrder, lastAmend;
  std::map<std::string, std::deque<MonoNanos>> windows;  // "place:instId"

  // ------------------------------------------------------------ JSON out
  std::string orderJson(const EmOrder& e, const EmFill* f) const {
    const InstInfo& in = insts.at(e.instId);
    const std::string ccy = in.instType == "SPOT" ? in.quoteCcy : in.settleCcy;
    Qty feeSum;
    auto fi = fills.find(e.ordId);
    if (fi != fills.end())
      for (const auto& x : fi->second) feeSum += x.fee;
    std::string s =
        "{\"instType\":\"" + in.instType + "\",\"instId\":\"" + e.instId + "\",\"ordId\":\"" +
        e.ordId + "\",\"clOrdId\":\"" + e.clOrdId + "\",\"tag\":\"\",\"px\":\"" +
        (e.ordType == "market" ? "" : e.px.str()) + "\",\"sz\":\"" + e.sz.str() +
        "\",\"ordType\":\"" + e.ordType + "\",\"side\":\"" + e.side +
        "\",\"posSide\":\"net\",\"tdMode\":\"" + e.tdMode + "\",\"accFillSz\":\"" + e.acc.str() +
        "\",\"avgPx\":\"" + (e.acc.isPositive() ? averageFromRaw(e.costRaw, e.acc).str() : "") +
        "\",\"state\":\"" + e.state + "\",\"fee\":\"" + feeSum.str() + "\",\"feeCcy\":\"" + ccy +
        "\",\"cancelSource\":\"" + e.cancelSource + "\",\"cTime\":\"" + std::to_string(e.cTime) +
        "\",\"uTime\":\"" + std::to_string(e.uTime) + "\"";
    if (f) {
      s += ",\"tradeId\":\"" + f->tradeId + "\",\"fillPx\":\"" + f->px.str() + "\",\"fillSz\":\"" +
           f->sz.str() + "\",\"fillFee\":\"" + f->fee.str() + "\",\"fillFeeCcy\":\"" + f->feeCcy +
           "\",\"fillTime\":\"" + std::to_string(f->ts) + "\",\"execType\":\"" +
           (f->maker ? "M" : "T") + "\"";
    } else {
      s += ",\"tradeId\":\"\",\"fillPx\":\"\",\"fillSz\":\"0\",\"fillFee\":\"0\","
           "\"fillFeeCcy\":\"\",\"fillTime\":\"\"";
    }
    return s + ",\"amendResult\":\"\",\"code\":\"0\",\"msg\":\"\"}";
  }

  std::string fillJson(const EmOrder& e, const EmFill& f) const {
    return "{\"instType\":\"" + e.instType + "\",\"instId\":\"" + e.instId + "\",\"tradeId\":\"" +
           f.tradeId + "\",\"ordId\":\"" + e.ordId + "\",\"clOrdId\":\"" + e.clOrdId +
           "\",\"billId\":\"" + f.billId + "\",\"tag\":\"\",\"fillPx\":\"" + f.px.str() +
           "\",\"fillSz\":\"" + f.sz.str() + "\",\"side\":\"" + e.side +
           "\",\"posSide\":\"net\",\"execType\":\"" + (f.maker ? "M" : "T") + "\",\"feeCcy\":\"" +
           f.feeCcy + "\",\"fee\":\"" + f.fee.str() + "\",\"ts\":\"" + std::to_string(f.ts) +
           "\",\"fillTime\":\"" + std::to_string(f.ts) + "\"}";
  }

  void push(const EmOrder& e, const EmFill* f) {
    const std::string m =
        "{\"arg\":{\"channel\":\"orders\",\"instType\":\"ANY\",\"uid\":"
        "\"614488474791936\"},\"data\":[" +
        orderJson(e, f) + "]}";
    if (f) lastPush = m;
    for (auto& p : peers)
      if (p.orders) p.ws->send(m);
  }

  // ------------------------------------------------------------ public
  // books5 around the last price: one tick either side, then 4 more levels.
  std::string bookMsg(const std::string& instId) const {
    const Price lp = last.at(instId);
    const Price tick = insts.at(instId).tickSz;
    std::string bids, asks;
    for (int i = 1; i <= 5; ++i) {
      const std::string sz = std::to_string(i);
      bids += std::string(i == 1 ? "" : ",") + "[\"" +
              Price::fromMantissa(lp.mantissa() - i * tick.mantissa()).str() + "\",\"" + sz +
              "\",\"0\",\"1\"]";
      asks += std::string(i == 1 ? "" : ",") + "[\"" +
              Price::fromMantissa(lp.mantissa() + i * tick.mantissa()).str() + "\",\"" + sz +
              "\",\"0\",\"1\"]";
    }
    return "{\"arg\":{\"channel\":\"books5\",\"instId\":\"" + instId + "\"},\"data\":[{\"asks\":[" +
           asks + "],\"bids\":[" + bids + "],\"instId\":\"" + instId + "\",\"ts\":\"" +
           std::to_string(nowMs()) + "\",\"seqId\":" + std::to_string(++seq) + "}]}";
  }

  void publishTrade(const std::string& instId, Price p, Qty sz) {
    const std::string t = "{\"arg\":{\"channel\":\"trades\",\"instId\":\"" + instId +
                          "\"},\"data\":[{\"instId\":\"" + instId + "\",\"tradeId\":\"" +
                          std::to_string(++nextTrade) + "\",\"px\":\"" + p.str() + "\",\"sz\":\"" +
                          sz.str() + "\",\"side\":\"buy\",\"ts\":\"" + std::to_string(nowMs()) +
                          "\",\"count\":\"1\"}]}";
    const std::string b = bookMsg(instId);
    for (auto& pr : peers) {
      if (pr.channels["trades"].count(instId)) pr.ws->send(t);
      if (pr.channels["books5"].count(instId)) pr.ws->send(b);
    }
  }

  void onPublic(Peer& peer, const rapidjson::Document& d) {
    auto args = d.FindMember("args");
    if (field(d, "op") != "subscribe" || args == d.MemberEnd() || !args->value.IsArray())
      return peer.ws->send(R"({"event":"error","code":"60012","msg":"Invalid request"})");
    for (const auto& a : args->value.GetArray()) {
      if (!a.IsObject()) continue;
      const std::string ch = field(a, "channel"), instId = field(a, "instId");
      if ((ch != "books5" && ch != "trades") || !insts.count(instId)) {
        peer.ws->send(R"({"event":"error","code":"60018","msg":"Wrong URL or channel"})");
        continue;
      }
      peer.channels[ch].insert(instId);
      peer.ws->send("{\"event\":\"subscribe\",\"arg\":{\"channel\":\"" + ch + "\",\"instId\":\"" +
                    instId + "\"},\"connId\":\"b5e3c1aa\"}");
      if (ch == "books5" && last.count(instId)) peer.ws->send(bookMsg(instId));
    }
  }

  // ------------------------------------------------------------ matching
  int64_t nowMs() const { return clock.wallNow() / kMs; }

  void execute(EmOrder& e, Qty sz, Price px, bool maker) {
    const InstInfo& in = insts.at(e.instId);
    EmFill f;
    f.tradeId = std::to_string(++nextTrade);
    f.billId = std::to_string(++nextBill);
    f.ordId = e.ordId;
    f.px = px;
    f.sz = sz;
    f.maker = maker;
    f.ts = nowMs();
    // Notional in the quote / settle currency (swaps: contracts * ctVal).
    __int128 notionalRaw = rawProduct(px, sz) / kOne;
    if (in.ctVal) notionalRaw = notionalRaw * in.ctVal->mantissa() / kOne;
    const int64_t feeMantissa = static_cast<int64_t>(notionalRaw * (maker ? 8 : 10) / 10'000);
    f.fee = Qty::fromMantissa(-feeMantissa);
    f.feeCcy = in.instType == "SPOT" ? in.quoteCcy : in.settleCcy;
    e.acc += sz;
    e.costRaw += rawProduct(px, sz);
    e.state = e.acc >= e.sz ? "filled" : "partially_filled";
    e.uTime = f.ts;
    fills[e.ordId].push_back(f);
    fillSeq.emplace_back(e.ordId, f);
    push(e, &f);
  }

  bool crosses(const EmOrder& e, Price p) const {
    return e.ordType == "market" || (e.buy() ? e.px >= p : e.px <= p);
  }

  // A new or amended order against the last price.
  void match(EmOrder& e) {
    auto lp = last.find(e.instId);
    const bool marketable = lp != last.end() && crosses(e, lp->second);
    if (marketable && e.ordType == "post_only") return cancelBy(e, "31");  // would take
    if (marketable) {
      const Qty left = e.sz - e.acc;
      const int n = std::max(1, parts);
      const Qty lot = insts.at(e.instId).lotSz;
      Qty piece = Qty::fromMantissa(left.mantissa() / n / lot.mantissa() * lot.mantissa());
      if (!piece.isPositive()) piece = left;
      for (int i = 0; i < n && e.acc < e.sz; ++i)
        execute(e, i == n - 1 ? e.sz - e.acc : std::min(piece, e.sz - e.acc), lp->second, false);
      return;
    }
    if (e.ordType == "ioc" || e.ordType == "fok" || e.ordType == "market")
      return cancelBy(e, "14");  // remainder of an IOC/FOK/market: canceled by the system
  }

  void cancelBy(EmOrder& e, const std::string& source) {
    e.state = "canceled";
    e.cancelSource = source;
    e.uTime = nowMs();
    push(e, nullptr);
  }

  // The newest order with this clOrdId (OKX keeps clOrdId unique among open ones).
  EmOrder* byClOrd(const std::string& cl) {
    EmOrder* found = nullptr;
    for (auto& [id, e] : orders)
      if (e.clOrdId == cl) found = &e;
    return found;
  }

  // ------------------------------------------------------------ auth
  std::string header(const net::HttpRequest& r, std::string name) const {
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    for (const auto& [k, v] : r.headers) {
      std::string lk = k;
      std::transform(lk.begin(), lk.end(), lk.begin(), ::tolower);
      if (lk == name) return v;
    }
    return "";
  }

  std::optional<net::HttpResponse> authenticate(const net::HttpRequest& r) {
    auto fail = [&](const char* code, const char* msg) {
      ++authFails;
      return codeOnly(401, code, msg);
    };
    if (o.demo && header(r, "x-simulated-trading") != "1")
      return fail("50101", "APIKey does not match current environment.");
    if (header(r, "OK-ACCESS-KEY") != o.apiKey) return fail("50111", "Invalid OK-ACCESS-KEY.");
    if (header(r, "OK-ACCESS-PASSPHRASE") != o.passphrase)
      return fail("50105", "Invalid OK-ACCESS-PASSPHRASE.");
    const std::string ts = header(r, "OK-ACCESS-TIMESTAMP");
    auto t = parseIsoMillis(ts);
    if (!t) return fail("50112", "Invalid OK-ACCESS-TIMESTAMP.");
    if (std::llabs(*t - clock.wallNow()) > o.timestampWindowMs * kMs)
      return fail("50102", "Timestamp request expired.");
    if (!verifyRestSign(ts, r.method, r.target, r.body, o.secret, header(r, "OK-ACCESS-SIGN")))
      return fail("50113", "Invalid Sign.");
    return std::nullopt;
  }

  bool admit(const std::string& what, const std::string& instId) {
    auto& w = windows[what + ":" + instId];
    const MonoNanos now = clock.monoNow();
    while (!w.empty() && w.front() <= now - 2'000 * kMs) w.pop_front();
    if (static_cast<int>(w.size()) >= o.placeLimit) return false;
    w.push_back(now);
    return true;
  }

  // ------------------------------------------------------------ REST
  net::HttpResponse handle(const net::HttpRequest& r) {
    std::lock_guard lk(mu);
    const std::string path = r.target.substr(0, r.target.find('?'));
    const auto qp =
        parseQuery(r.target.size() > path.size() ? r.target.substr(path.size() + 1) : "");
    ++reqCount[path];
    if (path == "/api/v5/public/time")
      return okData("{\"ts\":\"" + std::to_string(nowMs()) + "\"}");
    if (path == "/api/v5/public/instruments") {
      std::string data;
      for (const auto& [id, in] : insts)
        if (qp.count("instType") && in.instType == qp.at("instType"))
          data += (data.empty() ? "" : ",") + instJson.at(id);
      return okData(data);
    }
    if (path.rfind("/api/v5/trade/", 0) != 0) return codeOnly(404, "50000", "Not found");
    if (auto a = authenticate(r)) return *a;
    if (!codeFails.empty()) {
      auto [code, msg] = codeFails.front();
      codeFails.pop_front();
      if (code == "50011") ++rateErrors;
      return codeOnly(code == "50011"                        ? 429
                      : (code == "50001" || code == "50013") ? 503
                                                             : 200,
                      code, msg);
    }
    const bool orderCall = path == "/api/v5/trade/order" && r.method == "POST";
    const bool cancelCall = path == "/api/v5/trade/cancel-order";
    const bool amendCall = path == "/api/v5/trade/amend-order";
    net::HttpResponse res;
    if (orderCall || cancelCall || amendCall) {
      rapidjson::Document d;
      d.Parse(r.body.c_str());
      if (d.HasParseError() || !d.IsObject()) return codeOnly(400, "50002", "JSON syntax error");
      const std::string instId = field(d, "instId");
      if (!admit(orderCall ? "place" : cancelCall ? "cancel" : "amend", instId)) {
        ++rateErrors;
        return codeOnly(429, "50011", "Too Many Requests");
      }
      if (!sFails.empty()) {
        auto [sc, sm] = sFails.front();
        sFails.pop_front();
        return json(200,
                    "{\"code\":\"1\",\"msg\":\"All operations failed\",\"data\":[{"
                    "\"clOrdId\":\"" +
                        field(d, "clOrdId") + "\",\"ordId\":\"\",\"sCode\":\"" + sc +
                        "\",\"sMsg\":\"" + sm + "\"}]}");
      }
      if (orderCall) lastOrder = r.body, ++places;
      if (amendCall) lastAmend = r.body;
      res = orderCall ? place(d) : cancelCall ? cancelOrder(d) : amend(d);
      if (lose > 0) {
        --lose;
        return codeOnly(500, "50026", "System error");  // it acted; the answer is lost
      }
    } else if (path == "/api/v5/trade/order") {
      res = getOrder(qp);
    } else if (path == "/api/v5/trade/orders-pending") {
      std::string data;
      for (const auto& [id, e] : orders)
        if (e.open()) data += (data.empty() ? "" : ",") + orderJson(e, nullptr);
      res = okData(data);
    } else if (path == "/api/v5/trade/fills") {
      res = getFills(qp);
    } else {
      return codeOnly(404, "50000", "Not found");
    }
    if (garble > 0) {
      --garble;
      res.body = res.body.substr(0, res.body.size() / 2);
    }
    return res;
  }

  net::HttpResponse entry(const std::string& code, const std::string& sCode,
                          const std::string& sMsg, const std::string& ordId,
                          const std::string& clOrdId) {
    return json(200, "{\"code\":\"" + code + "\",\"msg\":\"" +
                         (code == "0" ? "" : "All operations failed") + "\",\"data\":[{" +
                         "\"clOrdId\":\"" + clOrdId + "\",\"ordId\":\"" + ordId +
                         "\",\"tag\":\"\",\"ts\":\"" + std::to_string(nowMs()) + "\",\"sCode\":\"" +
                         sCode + "\",\"sMsg\":\"" + sMsg + "\"}]}");
  }
  net::HttpResponse refused(const std::string& sCode, const std::string& sMsg,
                            const std::string& clOrdId) {
    return entry("1", sCode, sMsg, "", clOrdId);
  }

  net::HttpResponse place(const rapidjson::Document& d) {
    const std::string instId = field(d, "instId"), cl = field(d, "clOrdId");
    auto in = insts.find(instId);
    if (in == insts.end()) return refused("51001", "Instrument ID does not exist.", cl);
    EmOrder e;
    e.instId = instId;
    e.instType = in->second.instType;
    e.clOrdId = cl;
    e.side = field(d, "side");
    e.ordType = field(d, "ordType");
    e.tdMode = field(d, "tdMode");
    bool clOk = cl.size() <= 32;
    for (char c : cl) clOk = clOk && std::isalnum(static_cast<unsigned char>(c));
    if (!clOk) return refused("51000", "Parameter clOrdId error", cl);
    if (!cl.empty())
      for (const auto& [id, x] : orders)
        if (x.clOrdId == cl && x.open()) return refused("51016", "Duplicated clOrdId", cl);
    if (e.side != "buy" && e.side != "sell") return refused("51000", "Parameter side error", cl);
    if (e.ordType != "market" && e.ordType != "limit" && e.ordType != "post_only" &&
        e.ordType != "ioc" && e.ordType != "fok")
      return refused("51000", "Parameter ordType error", cl);
    if ((e.instType == "SPOT") != (e.tdMode == "cash") ||
        (e.instType == "SWAP" && e.tdMode != "isolated" && e.tdMode != "cross"))
      return refused("51000", "Parameter tdMode error", cl);
    auto sz = Qty::parse(field(d, "sz"));
    if (!sz || !sz->isPositive()) return refused("51000", "Parameter sz error", cl);
    e.sz = *sz;
    if (e.ordType == "market" && e.instType == "SPOT" && field(d, "tgtCcy") != "base_ccy") {
      // Without tgtCcy a spot market order's sz is in the quote currency.
      auto lp = last.find(instId);
      if (lp == last.end() || !lp->second.isPositive())
        return refused("51000", "Parameter sz error", cl);
      const Qty lot = in->second.lotSz;
      e.sz = Qty::fromMantissa(static_cast<int64_t>(static_cast<__int128>(e.sz.mantissa()) * kOne /
                                                    lp->second.mantissa()) /
                               lot.mantissa() * lot.mantissa());
    }
    if (e.ordType != "market") {
      auto px = Price::parse(field(d, "px"));
      if (!px || !px->isPositive()) return refused("51000", "Parameter px error", cl);
      e.px = *px;
      if (!e.px.isMultipleOf(in->second.tickSz)) return refused("51000", "Parameter px error", cl);
    }
    if (!e.sz.isMultipleOf(in->second.lotSz))
      return refused("51121", "Order quantity must be a multiple of the lot size.", cl);
    if (e.sz < in->second.minSz)
      return refused("51020", "Order amount should be greater than the min available amount.", cl);
    e.ordId = std::to_string(++nextOrd);
    e.cTime = e.uTime = nowMs();
    EmOrder& stored = orders[e.ordId] = e;
    push(stored, nullptr);
    match(stored);
    return entry("0", "0", "Order placed", stored.ordId, cl);
  }

  EmOrder* find(const rapidjson::Value& d) {
    const std::string ordId = field(d, "ordId"), cl = field(d, "clOrdId");
    if (!ordId.empty()) {
      auto it = orders.find(ordId);
      return it == orders.end() ? nullptr : &it->second;
    }
    return cl.empty() ? nullptr : byClOrd(cl);
  }

  net::HttpResponse cancelOrder(const rapidjson::Document& d) {
    EmOrder* e = find(d);
    if (!e || !e->open())
      return entry("1", "51400",
                   "Order cancellation failed as the order has been filled, canceled or does "
                   "not exist.",
                   field(d, "ordId"), field(d, "clOrdId"));
    cancelBy(*e, "1");  // canceled by the user
    return entry("0", "0", "", e->ordId, e->clOrdId);
  }

  net::HttpResponse amend(const rapidjson::Document& d) {
    EmOrder* e = find(d);
    if (!e || !e->open())
      return entry("1", "51503",
                   "Order modification failed as the order has been filled, canceled or does "
                   "not exist.",
                   field(d, "ordId"), field(d, "clOrdId"));
    const InstInfo& in = insts.at(e->instId);
    Qty newSz = e->sz;
    Price newPx = e->px;
    if (!field(d, "newSz").empty()) {
      auto v = Qty::parse(field(d, "newSz"));
      if (!v || !v->isMultipleOf(in.lotSz)) return refused("51000", "Parameter newSz error", "");
      if (*v <= e->acc)
        return refused("51512", "Order size must be greater than the filled quantity.", "");
      newSz = *v;
    }
    if (!field(d, "newPx").empty()) {
      auto v = Price::parse(field(d, "newPx"));
      if (!v || !v->isMultipleOf(in.tickSz)) return refused("51000", "Parameter newPx error", "");
      newPx = *v;
    }
    e->sz = newSz;
    e->px = newPx;
    e->uTime = nowMs();
    push(*e, nullptr);
    match(*e);
    return entry("0", "0", "", e->ordId, e->clOrdId);
  }

  net::HttpResponse getOrder(const std::map<std::string, std::string>& qp) {
    rapidjson::Document d;
    d.SetObject();
    auto& a = d.GetAllocator();
    for (const char* k : {"ordId", "clOrdId"})
      if (qp.count(k))
        d.AddMember(rapidjson::StringRef(k), rapidjson::Value(qp.at(k).c_str(), a), a);
    EmOrder* e = find(d);
    if (!e) return json(200, R"({"code":"51603","msg":"Order does not exist","data":[]})");
    return okData(orderJson(*e, nullptr));
  }

  net::HttpResponse getFills(const std::map<std::string, std::string>& qp) {
    std::vector<std::pair<const EmOrder*, const EmFill*>> out;
    for (auto it = fillSeq.rbegin(); it != fillSeq.rend(); ++it) {
      const EmOrder& e = orders.at(it->first);
      // The entry in fills[] for this fill (fillSeq holds copies).
      const EmFill* f = nullptr;
      for (const auto& x : fills.at(e.ordId))
        if (x.tradeId == it->second.tradeId) f = &x;
      if (qp.count("ordId") && qp.at("ordId") != e.ordId) continue;
      if (qp.count("instId") && qp.at("instId") != e.instId) continue;
      if (qp.count("begin") && f->ts < std::stoll(qp.at("begin"))) continue;
      if (qp.count("after") && std::stoll(f->billId) >= std::stoll(qp.at("after"))) continue;
      out.emplace_back(&e, f);
    }
    const size_t limit = qp.count("limit") ? std::stoul(qp.at("limit")) : 100;
    std::string data;
    for (size_t i = 0; i < out.size() && i < limit; ++i)
      data += (data.empty() ? "" : ",") + fillJson(*out[i].first, *out[i].second);
    return okData(data);
  }

  // ------------------------------------------------------------ WebSocket
  void onWsMessage(net::WsPeer& ws, const std::string& text) {
    Peer* peer = nullptr;
    for (auto& p : peers)
      if (p.ws.get() == &ws) peer = &p;
    if (!peer) return;
    if (text == "ping") {
      ++pings;
      return ws.send("pong");
    }
    rapidjson::Document d;
    d.Parse(text.c_str());
    if (d.HasParseError() || !d.IsObject())
      return ws.send(R"({"event":"error","code":"60012","msg":"Invalid request"})");
    if (peer->isPublic) return onPublic(*peer, d);
    const std::string op = field(d, "op");
    auto args = d.FindMember("args");
    if (args == d.MemberEnd() || !args->value.IsArray() || args->value.Empty() ||
        !args->value[0].IsObject())
      return ws.send(R"({"event":"error","code":"60012","msg":"Invalid request"})");
    const auto& a = args->value[0];
    if (op == "login") {
      const std::string ts = field(a, "timestamp");
      int64_t secs = 0;
      for (char c : ts) secs = c >= '0' && c <= '9' ? secs * 10 + (c - '0') : -1'000'000'000'000;
      if (field(a, "apiKey") != o.apiKey || field(a, "passphrase") != o.passphrase)
        return ws.send(R"({"event":"error","code":"60024","msg":"Wrong passphrase"})");
      if (ts.empty() ||
          std::llabs(secs - clock.wallNow() / 1'000'000'000) * 1000 > o.timestampWindowMs)
        return ws.send(R"({"event":"error","code":"60006","msg":"Timestamp request expired"})");
      if (!verifyWsLoginSign(ts, o.secret, field(a, "sign")))
        return ws.send(R"({"event":"error","code":"60007","msg":"Invalid sign"})");
      peer->loggedIn = true;
      ++logins;
      return ws.send(R"({"event":"login","code":"0","msg":"","connId":"a4d3ae55"})");
    }
    if (op == "subscribe") {
      if (!peer->loggedIn)
        return ws.send(R"({"event":"error","code":"60011","msg":"Please log in"})");
      if (field(a, "channel") != "orders")
        return ws.send(R"({"event":"error","code":"60018","msg":"Wrong URL or channel"})");
      peer->orders = true;
      return ws.send("{\"event\":\"subscribe\",\"arg\":{\"channel\":\"orders\",\"instType\":\"" +
                     field(a, "instType") + "\"},\"connId\":\"a4d3ae55\"}");
    }
    ws.send(R"({"event":"error","code":"60012","msg":"Invalid request"})");
  }
};

OkxEmulator::OkxEmulator(EmulatorOptions o) : impl_(std::make_shared<Impl>(std::move(o))) {}
OkxEmulator::~OkxEmulator() { stop(); }

uint16_t OkxEmulator::start(uint16_t port) {
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
    return !im->refuse && (target == "/ws/v5/private" || target == "/ws/v5/public");
  };
  h.onWsOpen = [weak](std::shared_ptr<net::WsPeer> p) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    const bool pub = p->target() == "/ws/v5/public";
    im->peers.push_back(Peer{std::move(p), false, false, pub, {}});
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

void OkxEmulator::stop() {
  if (impl_->server) impl_->server->stop();
  std::lock_guard lk(impl_->mu);
  impl_->peers.clear();
}

uint16_t OkxEmulator::port() const { return impl_->server ? impl_->server->port() : 0; }
const std::string& OkxEmulator::certPem() const { return impl_->cert.certPem; }

void OkxEmulator::setLastPrice(const std::string& instId, Price p) {
  std::lock_guard lk(impl_->mu);
  if (!impl_->insts.count(instId))
    throw std::invalid_argument("OkxEmulator: unknown instrument " + instId);
  impl_->last[instId] = p;
}

void OkxEmulator::trade(const std::string& instId, Price p) {
  std::lock_guard lk(impl_->mu);
  impl_->last[instId] = p;
  for (auto& [id, e] : impl_->orders)
    if (e.instId == instId && e.open() && e.ordType != "market" && impl_->crosses(e, p))
      impl_->execute(e, e.sz - e.acc, e.px, true);
  impl_->publishTrade(instId, p, Qty::of("1"));
}

bool OkxEmulator::fill(const std::string& clOrdId, Qty sz, Price px) {
  std::lock_guard lk(impl_->mu);
  EmOrder* e = impl_->byClOrd(clOrdId);
  if (!e || !e->open() || sz > e->sz - e->acc) return false;
  impl_->execute(*e, sz, px, true);
  return true;
}

void OkxEmulator::fillInParts(int parts) {
  std::lock_guard lk(impl_->mu);
  impl_->parts = std::max(1, parts);
}

void OkxEmulator::replayLastFill() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers)
    if (p.orders && !impl_->lastPush.empty()) p.ws->send(impl_->lastPush);
}

void OkxEmulator::failNext(std::string sCode, std::string sMsg, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->sFails.emplace_back(sCode, sMsg);
}
void OkxEmulator::failNextCode(std::string code, std::string msg, int count) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->codeFails.emplace_back(code, msg);
}
void OkxEmulator::loseNextAnswers(int count) {
  std::lock_guard lk(impl_->mu);
  impl_->lose += count;
}
void OkxEmulator::garbleNext(int count) {
  std::lock_guard lk(impl_->mu);
  impl_->garble += count;
}
void OkxEmulator::dropStreams() {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers) p.ws->drop();
  impl_->peers.clear();
}
void OkxEmulator::refuseStreams(bool refuse) {
  std::lock_guard lk(impl_->mu);
  impl_->refuse = refuse;
}
void OkxEmulator::sendOnStreams(const std::string& text) {
  std::lock_guard lk(impl_->mu);
  for (auto& p : impl_->peers)
    if (p.orders) p.ws->send(text);
}
int OkxEmulator::publicSubscriptions() const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (auto& p : impl_->peers)
    for (const auto& [ch, ids] : p.channels) n += static_cast<int>(ids.size());
  return n;
}

int OkxEmulator::requests(const std::string& prefix) const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& [p, c] : impl_->reqCount)
    if (p.rfind(prefix, 0) == 0) n += c;
  return n;
}
int OkxEmulator::placeRequests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->places;
}
int OkxEmulator::authFailures() const {
  std::lock_guard lk(impl_->mu);
  return impl_->authFails;
}
int OkxEmulator::rateLimitErrors() const {
  std::lock_guard lk(impl_->mu);
  return impl_->rateErrors;
}
int OkxEmulator::loginsOk() const {
  std::lock_guard lk(impl_->mu);
  return impl_->logins;
}
int OkxEmulator::ordersSubscribers() const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& p : impl_->peers) n += p.orders;
  return n;
}
int OkxEmulator::pingsReceived() const {
  std::lock_guard lk(impl_->mu);
  return impl_->pings;
}
std::optional<std::string> OkxEmulator::orderState(const std::string& clOrdId) const {
  std::lock_guard lk(impl_->mu);
  EmOrder* e = impl_->byClOrd(clOrdId);
  if (!e) return std::nullopt;
  return e->state;
}
std::string OkxEmulator::lastOrderBody() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastOrder;
}
std::string OkxEmulator::lastAmendBody() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastAmend;
}

}  // namespace fixgw::okx
