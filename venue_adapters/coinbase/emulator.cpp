#include "venue_adapters/coinbase/emulator.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "venue_adapters/coinbase/auth.h"
#include "venue_adapters/coinbase/parse.h"
#include "venue_adapters/net/server.h"

namespace fixgw::coinbase {

namespace {

using Params = std::multimap<std::string, std::string>;
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

Params parseQuery(std::string_view q) {
  Params p;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos)
      p.emplace(urlDecode(kv.substr(0, eq)), urlDecode(kv.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return p;
}

std::string one(const Params& p, const std::string& k) {
  auto it = p.find(k);
  return it == p.end() ? "" : it->second;
}
std::set<std::string> all(const Params& p, const std::string& k) {
  std::set<std::string> out;
  for (auto [a, b] = p.equal_range(k); a != b; ++a) out.insert(a->second);
  return out;
}

void kv(W& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
void kb(W& w, const char* k, bool v) {
  w.Key(k);
  w.Bool(v);
}

net::HttpResponse json(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers["content-type"] = "application/json";
  return r;
}
// Coinbase's default error body.
net::HttpResponse apiError(int status, const std::string& error, int code,
                           const std::string& message) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.StartObject();
  kv(w, "error", error);
  w.Key("code");
  w.Int(code);
  kv(w, "message", message);
  w.Key("details");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  return json(status, sb.GetString());
}

struct EmOrder {
  std::string id, clientId, product, side, key;
  Qty base;
  std::optional<Price> limit, stop;
  std::string stopDirection, endTime;
  bool postOnly = false;
  bool triggered = false;
  std::string status = "OPEN";
  Qty filled, fees;
  __int128 valueRaw = 0;
  int fills = 0;
  std::string rejectReason, cancelMessage;
  WallNanos created = 0;
  bool buy() const { return side == "BUY"; }
  bool open() const { return status == "OPEN" || status == "PENDING"; }
  bool isStop() const { return key.rfind("stop_limit", 0) == 0; }
  std::string tif() const {
    return key.find("fok") != std::string::npos   ? "FILL_OR_KILL"
           : key.find("ioc") != std::string::npos ? "IMMEDIATE_OR_CANCEL"
           : key.find("gtd") != std::string::npos ? "GOOD_UNTIL_DATE_TIME"
                                                  : "GOOD_UNTIL_CANCELLED";
  }
  std::string type() const {
    return key.rfind("market", 0) == 0 ? "MARKET" : isStop() ? "STOP_LIMIT" : "LIMIT";
  }
};

struct EmFill {
  std::string entryId, tradeId, orderId, product, side, liquidity;
  Price px;
  Qty qty, commission;
  WallNanos time = 0;
};

struct Fail {
  int status = 0;
  int retryAfter = 0;
  std::string body;
};

struct Peer {
  std::shared_ptr<net::WsPeer> ws;
  std::set<std::string> channels;
  int64_t seq = 0;
};

}  // namespace

struct CoinbaseEmulator::Impl : std::enable_shared_from_this<CoinbaseEmulator::Impl> {
  explicit Impl(EmulatorOptions opts)
      : o(std::move(opts)), clock(o.clock ? *o.clock : SystemClock::instance()) {
    if (auto e = parseProducts(o.productsJson, products); !e.empty())
      throw std::invalid_argument("CoinbaseEmulator: productsJson: " + e);
  }
  EmulatorOptions o;
  const Clock& clock;
  net::SelfSignedCert cert;
  std::unique_ptr<net::TlsServer> server;
  std::map<std::string, Product> products;

  mutable std::mutex mu;
  std::map<std::string, Price> last;
  std::map<std::string, std::pair<std::map<Price, Qty>, std::map<Price, Qty>>> levels;
  std::vector<EmOrder> orders;  // creation order
  std::vector<EmFill> fillsLog;
  int64_t nextId = 1, nextTrade = 1;
  int fillParts = 1;
  std::map<net::WsPeer*, Peer> peers;
  bool refuse = false;
  std::deque<Fail> fails;
  std::deque<std::tuple<std::string, std::string, std::string>> rejects;
  int64_t delayNext = 0;
  int garble = 0;
  std::map<std::string, int> reqCount;
  int authFailures = 0, rateLimited = 0, userSubs = 0, creates = 0;
  int64_t lastCreateNs = 0;
  std::string lastAuthFailure, lastUpdate, lastOrderBody, lastEditBody;
  std::deque<MonoNanos> window;

  std::string now() const { return formatRfc3339(clock.wallNow()); }

  EmOrder* byId(const std::string& id) {
    for (auto& e : orders)
      if (e.id == id) return &e;
    return nullptr;
  }
  EmOrder* byClient(const std::string& cid) {
    for (auto& e : orders)
      if (e.clientId == cid) return &e;
    return nullptr;
  }

  // ------------------------------------------------------------ JSON out
  void writeConfig(W& w, const EmOrder& e) {
    w.Key("order_configuration");
    w.StartObject();
    w.Key(e.key.c_str());
    w.StartObject();
    kv(w, "base_size", e.base.str());
    if (e.limit) kv(w, "limit_price", e.limit->str());
    if (e.stop) {
      kv(w, "stop_price", e.stop->str());
      kv(w, "stop_direction", e.stopDirection);
    }
    if (!e.endTime.empty()) kv(w, "end_time", e.endTime);
    if (e.key == "limit_limit_gtc" || e.key == "limit_limit_gtd") kb(w, "post_only", e.postOnly);
    w.EndObject();
    w.EndObject();
  }

  std::string avg(const EmOrder& e) const {
    return e.filled.isPositive() ? averageFromRaw(e.valueRaw, e.filled).str() : "0";
  }
  std::string value(const EmOrder& e) const {
    return Notional::fromMantissa(static_cast<int64_t>(e.valueRaw / kOne)).str();
  }

  void writeOrder(W& w, const EmOrder& e) {
    w.StartObject();
    kv(w, "order_id", e.id);
    kv(w, "product_id", e.product);
    kv(w, "user_id", "emulator-user");
    writeConfig(w, e);
    kv(w, "side", e.side);
    kv(w, "client_order_id", e.clientId);
    kv(w, "status", e.status);
    kv(w, "time_in_force", e.tif());
    kv(w, "created_time", formatRfc3339(e.created));
    kv(w, "filled_size", e.filled.str());
    kv(w, "average_filled_price", avg(e));
    kv(w, "number_of_fills", std::to_string(e.fills));
    kv(w, "filled_value", value(e));
    kb(w, "pending_cancel", false);
    kb(w, "size_in_quote", false);
    kv(w, "total_fees", e.fees.str());
    kv(w, "order_type", e.type());
    kv(w, "reject_reason", e.rejectReason);
    kv(w, "reject_message", "");
    kv(w, "cancel_message", e.cancelMessage);
    kv(w, "product_type", "SPOT");
    kb(w, "settled", !e.open());
    kv(w, "order_placement_source", "RETAIL_ADVANCED");
    w.EndObject();
  }

  void writeStreamOrder(W& w, const EmOrder& e) {
    w.StartObject();
    kv(w, "avg_price", avg(e));
    kv(w, "cancel_reason", e.cancelMessage);
    kv(w, "client_order_id", e.clientId);
    kv(w, "completion_percentage", "0");
    kv(w, "cumulative_quantity", e.filled.str());
    kv(w, "filled_value", value(e));
    kv(w, "leaves_quantity", e.open() ? (e.base - e.filled).str() : "0");
    kv(w, "limit_price", e.limit ? e.limit->str() : "");
    kv(w, "number_of_fills", std::to_string(e.fills));
    kv(w, "order_id", e.id);
    kv(w, "order_side", e.side);
    kv(w, "order_type", e.type() == "MARKET" ? "Market" : e.isStop() ? "StopLimit" : "Limit");
    kv(w, "post_only", e.postOnly ? "true" : "false");
    kv(w, "product_id", e.product);
    kv(w, "product_type", "SPOT");
    kv(w, "reject_reason", e.rejectReason);
    kv(w, "status", e.status);
    kv(w, "stop_price", e.stop ? e.stop->str() : "");
    kv(w, "time_in_force", e.tif());
    kv(w, "total_fees", e.fees.str());
    kv(w, "creation_time", formatRfc3339(e.created));
    w.EndObject();
  }

  // One channel message to one peer; sequence_num counts per connection.
  void sendTo(Peer& p, const std::string& channel, const std::string& eventsJson) {
    std::string m = R"({"channel":")" + channel + R"(","client_id":"","timestamp":")" + now() +
                    R"(","sequence_num":)" + std::to_string(p.seq++) + R"(,"events":)" +
                    eventsJson + "}";
    if (channel == "user") lastUpdate = eventsJson;
    p.ws->send(std::move(m));
  }

  void pushUpdate(const EmOrder& e) {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartArray();
    w.StartObject();
    kv(w, "type", "update");
    w.Key("orders");
    w.StartArray();
    writeStreamOrder(w, e);
    w.EndArray();
    w.EndObject();
    w.EndArray();
    std::string evs = sb.GetString();
    for (auto& [k, p] : peers)
      if (p.channels.count("user")) sendTo(p, "user", evs);
  }

  void publishTrade(const std::string& product, Price px, Qty qty, const std::string& side) {
    std::string evs = R"([{"type":"update","trades":[{"trade_id":")" + std::to_string(nextTrade++) +
                      R"(","product_id":")" + product + R"(","price":")" + px.str() +
                      R"(","size":")" + qty.str() + R"(","side":")" + side + R"(","time":")" +
                      now() + R"("}]}])";
    for (auto& [k, p] : peers)
      if (p.channels.count("market_trades")) sendTo(p, "market_trades", evs);
  }

  std::string l2Events(const std::string& product, bool snapshot,
                       const std::vector<std::tuple<bool, Price, Qty>>& ups) {
    std::string evs = R"([{"type":")" + std::string(snapshot ? "snapshot" : "update") +
                      R"(","product_id":")" + product + R"(","updates":[)";
    for (size_t i = 0; i < ups.size(); ++i) {
      auto& [bid, px, q] = ups[i];
      if (i) evs.push_back(',');
      evs.append(R"({"side":")");
      evs.append(bid ? "bid" : "offer");
      evs.append(R"(","event_time":")").append(now());
      evs.append(R"(","price_level":")").append(px.str());
      evs.append(R"(","new_quantity":")").append(q.str()).append(R"("})");
    }
    return evs + "]}]";
  }

  // ------------------------------------------------------------ matching
  void fillOrder(EmOrder& e, Qty qty, Price px, bool maker) {
    EmFill f;
    f.tradeId = "tr-" + std::to_string(nextTrade++);
    f.entryId = "en-" + f.tradeId;
    f.orderId = e.id;
    f.product = e.product;
    f.side = e.side;
    f.px = px;
    f.qty = qty;
    f.liquidity = maker ? "MAKER" : "TAKER";
    const int64_t bps = maker ? o.makerFeeBps : o.takerFeeBps;
    f.commission =
        Qty::fromMantissa(static_cast<int64_t>(rawProduct(px, qty) / kOne * bps / 10000));
    f.time = clock.wallNow();
    e.filled += qty;
    e.valueRaw += rawProduct(px, qty);
    e.fees += f.commission;
    ++e.fills;
    if (e.filled >= e.base) e.status = "FILLED";
    fillsLog.push_back(f);
    pushUpdate(e);
    publishTrade(e.product, px, qty, e.side);
  }

  bool crosses(const EmOrder& e, Price p) const {
    return !e.limit || (e.buy() ? *e.limit >= p : *e.limit <= p);
  }

  // A marketable order takes at the last price, in fillParts pieces.
  void take(EmOrder& e, Price px) {
    Qty left = e.base - e.filled;
    const int parts = std::max(1, fillParts);
    Qty piece = Qty::fromMantissa(left.mantissa() / parts);
    for (int i = 0; i < parts && left.isPositive(); ++i) {
      Qty q = i == parts - 1 || !piece.isPositive() ? left : piece;
      fillOrder(e, q, px, false);
      left -= q;
    }
  }

  // ------------------------------------------------------------ endpoints
  net::HttpResponse createFailure(const std::string& error, const std::string& message,
                                  const std::string& preview, const std::string& body) {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kb(w, "success", false);
    kv(w, "failure_reason", "UNKNOWN_FAILURE_REASON");
    kv(w, "order_id", "");
    w.Key("error_response");
    w.StartObject();
    kv(w, "error", error);
    kv(w, "message", message);
    kv(w, "error_details", "");
    kv(w, "preview_failure_reason", preview.empty() ? "UNKNOWN_PREVIEW_FAILURE_REASON" : preview);
    kv(w, "new_order_failure_reason", error);
    w.EndObject();
    w.EndObject();
    (void)body;
    return json(200, sb.GetString());
  }

  net::HttpResponse createOrder(const std::string& body) {
    lastOrderBody = body;
    rapidjson::Document d;
    d.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.c_str());
    if (d.HasParseError() || !d.IsObject())
      return apiError(400, "INVALID_ARGUMENT", 3, "request body is not JSON");
    auto s = [&](const rapidjson::Value& v, const char* k) -> std::string {
      auto it = v.FindMember(k);
      return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
    };
    EmOrder e;
    e.clientId = s(d, "client_order_id");
    e.product = s(d, "product_id");
    e.side = s(d, "side");
    if (e.clientId.empty())
      return apiError(400, "INVALID_ARGUMENT", 3, "client_order_id is required");
    // Coinbase: a client_order_id already used returns that order, creating nothing.
    if (EmOrder* prior = byClient(e.clientId)) return successJson(*prior);
    if (!rejects.empty()) {
      auto [err, msg, prev] = rejects.front();
      rejects.pop_front();
      return createFailure(err, msg, prev, body);
    }
    auto pit = products.find(e.product);
    if (pit == products.end())
      return createFailure("INVALID_PRODUCT_ID", "product not found", "PREVIEW_INVALID_PRODUCT_ID",
                           body);
    if (e.side != "BUY" && e.side != "SELL")
      return createFailure("INVALID_SIDE", "side must be BUY or SELL", "PREVIEW_INVALID_SIDE",
                           body);
    auto cfg = d.FindMember("order_configuration");
    if (cfg == d.MemberEnd() || !cfg->value.IsObject() || cfg->value.MemberCount() != 1)
      return createFailure("UNSUPPORTED_ORDER_CONFIGURATION", "one order_configuration is required",
                           "PREVIEW_INVALID_ORDER_CONFIG", body);
    const auto& m = *cfg->value.MemberBegin();
    e.key = m.name.GetString();
    static const std::set<std::string> kKeys = {"market_market_ioc", "limit_limit_gtc",
                                                "limit_limit_gtd",   "limit_limit_fok",
                                                "sor_limit_ioc",     "stop_limit_stop_limit_gtc"};
    if (!kKeys.count(e.key) || !m.value.IsObject())
      return createFailure("UNSUPPORTED_ORDER_CONFIGURATION", "unsupported " + e.key,
                           "PREVIEW_INVALID_ORDER_CONFIG", body);
    auto base = Qty::parse(s(m.value, "base_size"));
    if (!base || !base->isPositive())
      return createFailure("INVALID_SIZE_PRECISION", "base_size is required",
                           "PREVIEW_INVALID_SIZE_PRECISION", body);
    e.base = *base;
    if (e.key != "market_market_ioc") {
      auto lp = Price::parse(s(m.value, "limit_price"));
      if (!lp)
        return createFailure("INVALID_LIMIT_PRICE", "limit_price is required",
                             "PREVIEW_INVALID_LIMIT_PRICE", body);
      e.limit = *lp;
    }
    if (e.isStop()) {
      auto sp = Price::parse(s(m.value, "stop_price"));
      if (!sp)
        return createFailure("INVALID_STOP_PRICE", "stop_price is required",
                             "PREVIEW_INVALID_STOP_PRICE", body);
      e.stop = *sp;
      e.stopDirection = s(m.value, "stop_direction");
    }
    e.endTime = s(m.value, "end_time");
    if (auto po = m.value.FindMember("post_only"); po != m.value.MemberEnd())
      e.postOnly = po->value.IsBool() ? po->value.GetBool() : s(m.value, "post_only") == "true";
    const Product& p = pit->second;
    if (auto err = checkFilters(p, e.limit, e.stop, e.base); !err.empty()) {
      const std::string rule = err.substr(0, err.find(':'));
      if (rule == "base_increment")
        return createFailure("INVALID_SIZE_PRECISION", err, "PREVIEW_INVALID_SIZE_PRECISION", body);
      if (rule == "quote_increment")
        return createFailure("INVALID_PRICE_PRECISION", err, "PREVIEW_INVALID_PRICE_PRECISION",
                             body);
      if (rule == "base_min_size" || rule == "quote_min_size")
        return createFailure("INVALID_LIMIT_PRICE", err, "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL",
                             body);
      return createFailure("INVALID_LIMIT_PRICE", err, "PREVIEW_INVALID_BASE_SIZE_TOO_LARGE", body);
    }
    auto lp = last.find(e.product);
    std::optional<Price> lastPx;
    if (lp != last.end()) lastPx = lp->second;
    if (e.postOnly && lastPx && crosses(e, *lastPx))
      return createFailure("INVALID_LIMIT_PRICE_POST_ONLY", "post-only order would cross",
                           "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY", body);
    if (e.isStop() && lastPx && (e.buy() ? *lastPx >= *e.stop : *lastPx <= *e.stop))
      return createFailure("INVALID_STOP_PRICE", "stop price would trigger immediately",
                           "PREVIEW_INVALID_STOP_PRICE", body);
    e.id = "cb-" + std::to_string(nextId++);
    e.created = clock.wallNow();
    orders.push_back(e);
    EmOrder& st = orders.back();
    pushUpdate(st);
    const bool immediate =
        st.key == "market_market_ioc" || st.key == "sor_limit_ioc" || st.key == "limit_limit_fok";
    if (!st.isStop() && lastPx && crosses(st, *lastPx)) {
      take(st, *lastPx);
    } else if (st.key == "market_market_ioc" && !lastPx) {
      st.cancelMessage = "no liquidity";
    }
    if (immediate && st.open()) {
      st.status = "EXPIRED";
      pushUpdate(st);
    }
    net::HttpResponse res = successJson(st);
    if (delayNext > 0) {
      res.delayMs = delayNext;
      delayNext = 0;
    }
    return res;
  }

  net::HttpResponse successJson(const EmOrder& e) {
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    kb(w, "success", true);
    w.Key("success_response");
    w.StartObject();
    kv(w, "order_id", e.id);
    kv(w, "product_id", e.product);
    kv(w, "side", e.side);
    kv(w, "client_order_id", e.clientId);
    w.EndObject();
    writeConfig(w, e);
    w.EndObject();
    return json(200, sb.GetString());
  }

  net::HttpResponse batchCancel(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str());
    auto ids = d.IsObject() ? d.FindMember("order_ids") : d.MemberEnd();
    if (!d.IsObject() || ids == d.MemberEnd() || !ids->value.IsArray())
      return apiError(400, "INVALID_ARGUMENT", 3, "order_ids is required");
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    w.Key("results");
    w.StartArray();
    for (const auto& v : ids->value.GetArray()) {
      std::string id = v.IsString() ? v.GetString() : "";
      EmOrder* e = byId(id);
      w.StartObject();
      if (!e) {
        kb(w, "success", false);
        kv(w, "failure_reason", "UNKNOWN_CANCEL_ORDER");
      } else if (!e->open()) {
        kb(w, "success", false);
        kv(w, "failure_reason", "INVALID_CANCEL_REQUEST");
      } else {
        e->status = "CANCELLED";
        e->cancelMessage = "User requested cancel";
        pushUpdate(*e);
        kb(w, "success", true);
        kv(w, "failure_reason", "UNKNOWN_CANCEL_FAILURE_REASON");
      }
      kv(w, "order_id", id);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return json(200, sb.GetString());
  }

  net::HttpResponse edit(const std::string& body) {
    lastEditBody = body;
    rapidjson::Document d;
    d.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.c_str());
    auto s = [&](const char* k) -> std::string {
      auto it = d.IsObject() ? d.FindMember(k) : d.MemberEnd();
      return d.IsObject() && it != d.MemberEnd() && it->value.IsString() ? it->value.GetString()
                                                                         : "";
    };
    auto fail = [&](const std::string& reason) {
      return json(200, R"({"success":false,"errors":[{"edit_failure_reason":")" + reason +
                           R"(","preview_failure_reason":"UNKNOWN_PREVIEW_FAILURE_REASON"}]})");
    };
    EmOrder* e = byId(s("order_id"));
    if (!e) return fail("ORDER_NOT_FOUND");
    if (!e->open()) return fail("ONLY_OPEN_ORDERS_CAN_BE_EDITED");
    if (e->key != "limit_limit_gtc") return fail("ONLY_LIMIT_ORDER_EDITS_SUPPORTED");
    auto size = Qty::parse(s("size"));
    auto price = Price::parse(s("price"));
    if (!size) return fail("INVALID_EDITED_SIZE");
    if (!price) return fail("INVALID_EDITED_PRICE");
    if (*size <= e->filled) return fail("CANNOT_EDIT_TO_BELOW_FILLED_SIZE");
    e->base = *size;
    e->limit = *price;
    pushUpdate(*e);
    auto lp = last.find(e->product);
    if (lp != last.end() && crosses(*e, lp->second)) take(*e, lp->second);
    return json(200, R"({"success":true,"errors":[]})");
  }

  net::HttpResponse listOrders(const Params& p) {
    const auto statuses = all(p, "order_status");
    const auto prods = all(p, "product_ids");
    std::optional<int64_t> startMs;
    if (auto sd = one(p, "start_date"); !sd.empty()) startMs = parseRfc3339Ms(sd);
    std::vector<const EmOrder*> sel;
    for (const auto& e : orders) {
      if (!statuses.empty() && !statuses.count(e.status)) continue;
      if (!prods.empty() && !prods.count(e.product)) continue;
      if (startMs && e.created / 1'000'000 < *startMs) continue;
      sel.push_back(&e);
    }
    return page(
        p, sel.size(), "orders", [&](W& w, size_t i) { writeOrder(w, *sel[i]); }, true);
  }

  net::HttpResponse listFills(const Params& p) {
    const auto ids = all(p, "order_ids");
    const auto prods = all(p, "product_ids");
    std::optional<int64_t> startMs;
    if (auto sd = one(p, "start_sequence_timestamp"); !sd.empty()) startMs = parseRfc3339Ms(sd);
    std::vector<const EmFill*> sel;
    for (const auto& f : fillsLog) {
      if (!ids.empty() && !ids.count(f.orderId)) continue;
      if (!prods.empty() && !prods.count(f.product)) continue;
      if (startMs && f.time / 1'000'000 < *startMs) continue;
      sel.push_back(&f);
    }
    return page(
        p, sel.size(), "fills",
        [&](W& w, size_t i) {
          const EmFill& f = *sel[i];
          w.StartObject();
          kv(w, "entry_id", f.entryId);
          kv(w, "trade_id", f.tradeId);
          kv(w, "order_id", f.orderId);
          kv(w, "trade_time", formatRfc3339(f.time));
          kv(w, "trade_type", "FILL");
          kv(w, "price", f.px.str());
          kv(w, "size", f.qty.str());
          kv(w, "commission", f.commission.str());
          kv(w, "product_id", f.product);
          kv(w, "sequence_timestamp", formatRfc3339(f.time));
          kv(w, "liquidity_indicator", f.liquidity);
          kb(w, "size_in_quote", false);
          kv(w, "user_id", "emulator-user");
          kv(w, "side", f.side);
          w.EndObject();
        },
        false);
  }

  // One page of a list; the cursor is the offset of the next page.
  template <class F>
  net::HttpResponse page(const Params& p, size_t n, const char* key, F write, bool orders) {
    size_t limit = 100, from = 0;
    try {
      if (auto l = one(p, "limit"); !l.empty()) limit = std::max<size_t>(1, std::stoul(l));
      if (auto c = one(p, "cursor"); !c.empty()) from = std::stoul(c);
    } catch (...) {
      return apiError(400, "INVALID_ARGUMENT", 3, "bad limit or cursor");
    }
    const size_t to = std::min(n, from + limit);
    rapidjson::StringBuffer sb;
    W w(sb);
    w.StartObject();
    w.Key(key);
    w.StartArray();
    for (size_t i = from; i < to; ++i) write(w, i);
    w.EndArray();
    if (orders) {
      kv(w, "sequence", "0");
      kb(w, "has_next", to < n);
    }
    kv(w, "cursor", to < n ? std::to_string(to) : "");
    w.EndObject();
    return json(200, sb.GetString());
  }

  net::HttpResponse handle(const net::HttpRequest& r) {
    std::lock_guard lk(mu);
    const std::string path = r.target.substr(0, r.target.find('?'));
    const std::string query = r.target.size() > path.size() ? r.target.substr(path.size() + 1) : "";
    ++reqCount[path];
    if (path == "/api/v3/brokerage/orders" && r.method == "POST") {
      ++creates;
      lastCreateNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
    }
    const Params p = parseQuery(query);
    if (path.rfind("/api/v3/brokerage/market/products", 0) == 0 && r.method == "GET")
      return json(200, o.productsJson);
    if (path == "/api/v3/brokerage/time" && r.method == "GET") {
      const int64_t ms = clock.wallNow() / 1'000'000;
      return json(200, R"({"iso":")" + now() + R"(","epochSeconds":")" + std::to_string(ms / 1000) +
                           R"(","epochMillis":")" + std::to_string(ms) + R"("})");
    }
    if (path.rfind("/api/v3/brokerage/", 0) != 0) return apiError(404, "NOT_FOUND", 5, "Not Found");

    // Private from here on: the JWT exactly as Coinbase checks it.
    std::string auth;
    for (const auto& [k, v] : r.headers) {
      std::string lk2 = k;
      std::transform(lk2.begin(), lk2.end(), lk2.begin(), ::tolower);
      if (lk2 == "authorization") auth = v;
    }
    std::string why = auth.rfind("Bearer ", 0) == 0 ? "" : "missing Bearer token";
    if (why.empty())
      why = verifyJwt(auth.substr(7), o.publicKeyPem,
                      JwtExpectation{o.keyName, jwtUri(r.method, o.uriHost, path),
                                     clock.wallNow() / 1'000'000'000});
    if (!why.empty()) {
      ++authFailures;
      lastAuthFailure = why;
      net::HttpResponse res;
      res.status = 401;
      res.body = "Unauthorized\n";
      res.headers["content-type"] = "text/plain; charset=utf-8";
      return res;
    }
    const MonoNanos mono = clock.monoNow();
    while (!window.empty() && window.front() <= mono - 1'000'000'000) window.pop_front();
    if (static_cast<int64_t>(window.size()) >= o.maxPrivatePerSec) {
      ++rateLimited;
      return apiError(429, "RATE_LIMIT_EXCEEDED", 8, "Too many requests");
    }
    window.push_back(mono);
    if (!fails.empty()) {
      Fail f = fails.front();
      fails.pop_front();
      net::HttpResponse res = !f.body.empty() ? json(f.status, f.body)
                              : f.status == 429
                                  ? apiError(429, "RATE_LIMIT_EXCEEDED", 8, "Too many requests")
                                  : apiError(f.status, "INTERNAL", 13, "internal error");
      if (f.retryAfter > 0) res.headers["retry-after"] = std::to_string(f.retryAfter);
      return res;
    }
    if (garble > 0) {
      --garble;
      return json(200, R"({"order":{"order_id":"cb-1","product_id":"BTC-USD","status":"OP)");
    }
    const std::string hist = "/api/v3/brokerage/orders/historical/";
    if (path == "/api/v3/brokerage/orders" && r.method == "POST") return createOrder(r.body);
    if (path == "/api/v3/brokerage/orders/batch_cancel" && r.method == "POST")
      return batchCancel(r.body);
    if (path == "/api/v3/brokerage/orders/edit" && r.method == "POST") return edit(r.body);
    if (path == hist + "batch" && r.method == "GET") return listOrders(p);
    if (path == hist + "fills" && r.method == "GET") return listFills(p);
    if (path.rfind(hist, 0) == 0 && r.method == "GET") {
      EmOrder* e = byId(urlDecode(path.substr(hist.size())));
      if (!e) return apiError(404, "NOT_FOUND", 5, "order with this orderID was not found");
      rapidjson::StringBuffer sb;
      W w(sb);
      w.StartObject();
      w.Key("order");
      writeOrder(w, *e);
      w.EndObject();
      return json(200, sb.GetString());
    }
    return apiError(404, "NOT_FOUND", 5, "Unknown endpoint " + r.method + " " + path);
  }

  // ------------------------------------------------------------ WebSocket
  void onWsMessage(net::WsPeer& ws, const std::string& text) {
    std::lock_guard lk(mu);
    auto pit = peers.find(&ws);
    if (pit == peers.end()) return;
    Peer& peer = pit->second;
    rapidjson::Document d;
    d.Parse(text.c_str());
    if (d.HasParseError() || !d.IsObject()) {
      ws.send(R"({"type":"error","message":"malformed message"})");
      return;
    }
    auto s = [&](const char* k) -> std::string {
      auto it = d.FindMember(k);
      return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
    };
    const std::string type = s("type"), channel = s("channel");
    std::set<std::string> prods;
    if (auto it = d.FindMember("product_ids"); it != d.MemberEnd() && it->value.IsArray())
      for (const auto& v : it->value.GetArray())
        if (v.IsString()) prods.insert(v.GetString());
    if (type != "subscribe") return;
    // The user channel needs a JWT; heartbeats check one when it is sent.
    if (channel == "user" || (channel == "heartbeats" && !s("jwt").empty())) {
      // WebSocket JWTs carry no uri; anything else as for REST.
      std::string why = verifyJwt(s("jwt"), o.publicKeyPem,
                                  JwtExpectation{o.keyName, "", clock.wallNow() / 1'000'000'000});
      if (!why.empty()) {
        ++authFailures;
        lastAuthFailure = why;
        ws.send(R"({"type":"error","message":"authentication failure"})");
        return;
      }
    }
    peer.channels.insert(channel);
    sendTo(peer, "subscriptions",
           R"([{"subscriptions":{")" + channel + R"(":["emulator-user"]}}])");
    if (channel == "user") {
      ++userSubs;
      rapidjson::StringBuffer sb;
      W w(sb);
      w.StartArray();
      w.StartObject();
      kv(w, "type", "snapshot");
      w.Key("orders");
      w.StartArray();
      for (const auto& e : orders)
        if (e.open() && (prods.empty() || prods.count(e.product))) writeStreamOrder(w, e);
      w.EndArray();
      w.EndObject();
      w.EndArray();
      sendTo(peer, "user", sb.GetString());
    } else if (channel == "heartbeats") {
      sendTo(peer, "heartbeats",
             R"([{"current_time":")" + now() + R"(","heartbeat_counter":"1"}])");
    } else if (channel == "level2") {
      for (const auto& pr : prods) {
        std::vector<std::tuple<bool, Price, Qty>> ups;
        for (const auto& [px, q] : levels[pr].first) ups.emplace_back(true, px, q);
        for (const auto& [px, q] : levels[pr].second) ups.emplace_back(false, px, q);
        sendTo(peer, "l2_data", l2Events(pr, true, ups));
      }
    } else if (channel == "ticker") {
      for (const auto& pr : prods)
        if (last.count(pr))
          sendTo(peer, "ticker",
                 R"([{"type":"snapshot","tickers":[{"type":"ticker","product_id":")" + pr +
                     R"(","price":")" + last[pr].str() + R"("}]}])");
    }
  }
};

CoinbaseEmulator::CoinbaseEmulator(EmulatorOptions o)
    : impl_(std::make_shared<Impl>(std::move(o))) {}
CoinbaseEmulator::~CoinbaseEmulator() { stop(); }

uint16_t CoinbaseEmulator::start(uint16_t port) {
  impl_->cert = net::makeSelfSignedCert("localhost");
  net::ServerHandlers h;
  std::weak_ptr<Impl> weak = impl_;
  h.onHttp = [weak](const net::HttpRequest& r) {
    auto im = weak.lock();
    return im ? im->handle(r) : net::HttpResponse{};
  };
  h.acceptWs = [weak](const std::string&) {
    auto im = weak.lock();
    if (!im) return false;
    std::lock_guard lk(im->mu);
    return !im->refuse;
  };
  h.onWsOpen = [weak](std::shared_ptr<net::WsPeer> p) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    net::WsPeer* key = p.get();
    im->peers[key] = Peer{std::move(p), {}, 0};
  };
  h.onWsMessage = [weak](net::WsPeer& p, const std::string& text) {
    if (auto im = weak.lock()) im->onWsMessage(p, text);
  };
  h.onWsClose = [weak](net::WsPeer& p) {
    auto im = weak.lock();
    if (!im) return;
    std::lock_guard lk(im->mu);
    im->peers.erase(&p);
  };
  impl_->server = std::make_unique<net::TlsServer>(impl_->cert.certPem, impl_->cert.keyPem, h);
  return impl_->server->start(port);
}

void CoinbaseEmulator::stop() {
  if (impl_->server) impl_->server->stop();
  std::lock_guard lk(impl_->mu);
  impl_->peers.clear();
}

uint16_t CoinbaseEmulator::port() const { return impl_->server ? impl_->server->port() : 0; }
const std::string& CoinbaseEmulator::certPem() const { return impl_->cert.certPem; }

void CoinbaseEmulator::setLastPrice(const std::string& product, Price p) {
  std::lock_guard lk(impl_->mu);
  impl_->last[product] = p;
}

void CoinbaseEmulator::trade(const std::string& product, Price p) {
  std::lock_guard lk(impl_->mu);
  auto& im = *impl_;
  im.last[product] = p;
  im.publishTrade(product, p, Qty::of("0.01"), "BUY");
  for (auto& e : im.orders) {
    if (e.product != product || !e.open()) continue;
    if (e.isStop() && !e.triggered) {
      if (!(e.buy() ? p >= *e.stop : p <= *e.stop)) continue;
      e.triggered = true;
    }
    if (e.limit && im.crosses(e, p)) im.fillOrder(e, e.base - e.filled, *e.limit, true);
  }
}

bool CoinbaseEmulator::fill(const std::string& clientOrderId, Qty qty, Price px) {
  std::lock_guard lk(impl_->mu);
  EmOrder* e = impl_->byClient(clientOrderId);
  if (!e || !e->open() || qty > e->base - e->filled) return false;
  impl_->fillOrder(*e, qty, px, true);
  return true;
}

void CoinbaseEmulator::setLevel(const std::string& product, bool bid, Price px, Qty qty) {
  std::lock_guard lk(impl_->mu);
  auto& im = *impl_;
  auto& side = bid ? im.levels[product].first : im.levels[product].second;
  if (qty.isZero())
    side.erase(px);
  else
    side[px] = qty;
  std::string evs = im.l2Events(product, false, {{bid, px, qty}});
  for (auto& [k, p] : im.peers)
    if (p.channels.count("level2")) im.sendTo(p, "l2_data", evs);
}

void CoinbaseEmulator::setFillParts(int parts) {
  std::lock_guard lk(impl_->mu);
  impl_->fillParts = parts;
}

void CoinbaseEmulator::replayLastUpdate() {
  std::lock_guard lk(impl_->mu);
  std::string evs = impl_->lastUpdate;
  for (auto& [k, p] : impl_->peers)
    if (p.channels.count("user")) impl_->sendTo(p, "user", evs);
}

void CoinbaseEmulator::failNext(int status, int count, int retryAfterSec, std::string body) {
  std::lock_guard lk(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->fails.push_back({status, retryAfterSec, body});
}

void CoinbaseEmulator::rejectNextOrder(std::string error, std::string message,
                                       std::string previewReason) {
  std::lock_guard lk(impl_->mu);
  impl_->rejects.emplace_back(std::move(error), std::move(message), std::move(previewReason));
}

void CoinbaseEmulator::delayNextOrderAnswer(int64_t delayMs) {
  std::lock_guard lk(impl_->mu);
  impl_->delayNext = delayMs;
}

void CoinbaseEmulator::garbleNext(int count) {
  std::lock_guard lk(impl_->mu);
  impl_->garble += count;
}

void CoinbaseEmulator::dropStreams() {
  std::lock_guard lk(impl_->mu);
  for (auto& [k, p] : impl_->peers) p.ws->drop();
}

void CoinbaseEmulator::refuseStreams(bool refuse) {
  std::lock_guard lk(impl_->mu);
  impl_->refuse = refuse;
}

int CoinbaseEmulator::requests(const std::string& prefix) const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& [path, c] : impl_->reqCount)
    if (path.rfind(prefix, 0) == 0) n += c;
  return n;
}
int CoinbaseEmulator::createRequests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->creates;
}
int64_t CoinbaseEmulator::lastCreateSteadyNs() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastCreateNs;
}
int CoinbaseEmulator::authFailures() const {
  std::lock_guard lk(impl_->mu);
  return impl_->authFailures;
}
std::string CoinbaseEmulator::lastAuthFailure() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastAuthFailure;
}
int64_t CoinbaseEmulator::privateInLastSecond() const {
  std::lock_guard lk(impl_->mu);
  const MonoNanos now = impl_->clock.monoNow();
  int64_t n = 0;
  for (MonoNanos t : impl_->window)
    if (t > now - 1'000'000'000) ++n;
  return n;
}

int CoinbaseEmulator::rateLimited() const {
  std::lock_guard lk(impl_->mu);
  return impl_->rateLimited;
}
int CoinbaseEmulator::userSubscriptions() const {
  std::lock_guard lk(impl_->mu);
  return impl_->userSubs;
}
int CoinbaseEmulator::openStreams() const {
  std::lock_guard lk(impl_->mu);
  return static_cast<int>(impl_->peers.size());
}
std::optional<std::string> CoinbaseEmulator::orderStatus(const std::string& clientOrderId) const {
  std::lock_guard lk(impl_->mu);
  EmOrder* e = impl_->byClient(clientOrderId);
  if (!e) return std::nullopt;
  return e->status;
}
int CoinbaseEmulator::ordersWithClientId(const std::string& clientOrderId) const {
  std::lock_guard lk(impl_->mu);
  int n = 0;
  for (const auto& e : impl_->orders) n += e.clientId == clientOrderId;
  return n;
}
std::string CoinbaseEmulator::lastOrderBody() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastOrderBody;
}
std::string CoinbaseEmulator::lastEditBody() const {
  std::lock_guard lk(impl_->mu);
  return impl_->lastEditBody;
}

}  // namespace fixgw::coinbase
