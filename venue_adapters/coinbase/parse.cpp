#include "venue_adapters/coinbase/parse.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace fixgw::coinbase {

namespace {

using Value = rapidjson::Value;
constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag;

std::string parseDoc(std::string_view json, rapidjson::Document& d) {
  d.Parse<kFlags>(json.data(), json.size());
  if (d.HasParseError()) return "malformed JSON at offset " + std::to_string(d.GetErrorOffset());
  if (!d.IsObject()) return "JSON is not an object";
  return "";
}

// Field readers: every number arrives as text. Each returns "" or an error
// naming the field.
std::string text(const Value& o, const char* key, std::string& out, bool required = true) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || it->value.IsNull()) {
    if (required) return std::string("missing field '") + key + "'";
    out.clear();
    return "";
  }
  if (it->value.IsBool()) {
    out = it->value.GetBool() ? "true" : "false";
    return "";
  }
  if (!it->value.IsString()) return std::string("field '") + key + "' is not a string or number";
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return "";
}

bool flag(const Value& o, const char* key) {
  std::string s;
  return text(o, key, s, false).empty() && s == "true";
}

// Coinbase sends "" for an absent decimal; optional fields accept it.
template <class F>
std::string fixed(const Value& o, const char* key, F& out, bool required = true) {
  std::string s;
  if (auto e = text(o, key, s, required); !e.empty()) return e;
  if (s.empty()) {
    if (required) return std::string("field '") + key + "' is empty";
    return "";
  }
  auto v = F::parse(s);
  if (!v)
    return std::string("field '") + key + "': '" + s +
           "' is not an exact decimal with at most 8 places";
  out = *v;
  return "";
}

template <class F>
std::string optFixed(const Value& o, const char* key, std::optional<F>& out) {
  F v;
  std::string s;
  if (auto e = text(o, key, s, false); !e.empty()) return e;
  if (s.empty()) return "";
  if (auto e = fixed(o, key, v); !e.empty()) return e;
  out = v;
  return "";
}

std::string timeMs(const Value& o, const char* key, int64_t& out, bool required = true) {
  std::string s;
  if (auto e = text(o, key, s, required); !e.empty()) return e;
  if (s.empty()) {
    if (required) return std::string("field '") + key + "' is empty";
    return "";
  }
  auto t = parseRfc3339Ms(s);
  if (!t) return std::string("field '") + key + "': '" + s + "' is not an RFC 3339 time";
  out = *t;
  return "";
}

#define TRY(expr)                                 \
  do {                                            \
    if (auto e_ = (expr); !e_.empty()) return e_; \
  } while (0)

std::string parseProductObj(const Value& o, Product& p) {
  if (!o.IsObject()) return "product is not an object";
  TRY(text(o, "product_id", p.productId));
  TRY(text(o, "base_currency_id", p.baseCurrency, false));
  TRY(text(o, "quote_currency_id", p.quoteCurrency, false));
  if (p.baseCurrency.empty() || p.quoteCurrency.empty()) {
    auto dash = p.productId.find('-');
    if (dash == std::string::npos) return "product " + p.productId + ": no base/quote currency";
    p.baseCurrency = p.productId.substr(0, dash);
    p.quoteCurrency = p.productId.substr(dash + 1);
  }
  TRY(text(o, "status", p.status, false));
  p.tradingDisabled = flag(o, "trading_disabled");
  p.cancelOnly = flag(o, "cancel_only");
  p.limitOnly = flag(o, "limit_only");
  p.postOnly = flag(o, "post_only");
  TRY(fixed(o, "price", p.price, false));
  // price_increment is the tick where both are given; quote_increment otherwise.
  TRY(fixed(o, "quote_increment", p.quoteIncrement));
  Price pi;
  TRY(fixed(o, "price_increment", pi, false));
  if (pi.isPositive()) p.quoteIncrement = pi;
  TRY(fixed(o, "base_increment", p.baseIncrement));
  TRY(fixed(o, "base_min_size", p.baseMinSize));
  TRY(fixed(o, "base_max_size", p.baseMaxSize));
  TRY(optFixed(o, "quote_min_size", p.quoteMinSize));
  TRY(optFixed(o, "quote_max_size", p.quoteMaxSize));
  if (!p.quoteIncrement.isPositive()) return "product " + p.productId + ": quote_increment <= 0";
  if (!p.baseIncrement.isPositive()) return "product " + p.productId + ": base_increment <= 0";
  return "";
}

std::string parseOrderObj(const Value& o, CbOrder& out) {
  if (!o.IsObject()) return "order is not an object";
  TRY(text(o, "order_id", out.orderId));
  TRY(text(o, "client_order_id", out.clientOrderId, false));
  TRY(text(o, "product_id", out.productId));
  TRY(text(o, "side", out.side, false));
  TRY(text(o, "status", out.status));
  TRY(text(o, "time_in_force", out.timeInForce, false));
  TRY(fixed(o, "filled_size", out.filledSize, false));
  TRY(fixed(o, "average_filled_price", out.averageFilledPrice, false));
  TRY(fixed(o, "total_fees", out.totalFees, false));
  TRY(text(o, "reject_reason", out.rejectReason, false));
  TRY(text(o, "reject_message", out.rejectMessage, false));
  TRY(text(o, "cancel_message", out.cancelMessage, false));
  TRY(timeMs(o, "created_time", out.createdMs, false));
  auto cfg = o.FindMember("order_configuration");
  if (cfg != o.MemberEnd() && cfg->value.IsObject() && cfg->value.MemberCount() > 0) {
    const auto& m = *cfg->value.MemberBegin();
    out.configKey = m.name.GetString();
    if (m.value.IsObject()) {
      TRY(fixed(m.value, "base_size", out.baseSize, false));
      TRY(optFixed(m.value, "limit_price", out.limitPrice));
      TRY(optFixed(m.value, "stop_price", out.stopPrice));
      out.postOnly = flag(m.value, "post_only");
    }
  }
  return "";
}

std::string str(const Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

}  // namespace

std::string parseProducts(std::string_view json, std::map<std::string, Product>& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  auto it = d.FindMember("products");
  if (it == d.MemberEnd()) {
    Product p;
    if (auto e = parseProductObj(d, p); !e.empty()) return "product: " + e;
    out[p.productId] = p;
    return "";
  }
  if (!it->value.IsArray()) return "field 'products' is not an array";
  for (const auto& v : it->value.GetArray()) {
    Product p;
    if (auto e = parseProductObj(v, p); !e.empty()) return "products: " + e;
    out[p.productId] = p;
  }
  return "";
}

std::string checkFilters(const Product& p, std::optional<Price> price,
                         std::optional<Price> stopPrice, Qty qty) {
  if (p.tradingDisabled) return "trading_disabled: " + p.productId + " is not trading";
  if (p.cancelOnly) return "cancel_only: " + p.productId + " accepts cancels only";
  if (!qty.isPositive()) return "base_size: " + qty.str() + " must be > 0";
  if (!qty.isMultipleOf(p.baseIncrement))
    return "base_increment: size " + qty.str() + " is not a multiple of " + p.baseIncrement.str();
  if (qty < p.baseMinSize)
    return "base_min_size: size " + qty.str() + " is below " + p.baseMinSize.str();
  if (p.baseMaxSize.isPositive() && qty > p.baseMaxSize)
    return "base_max_size: size " + qty.str() + " is above " + p.baseMaxSize.str();
  for (auto [name, px] : {std::pair{"limit_price", price}, std::pair{"stop_price", stopPrice}}) {
    if (!px) continue;
    if (!px->isPositive()) return std::string(name) + ": " + px->str() + " must be > 0";
    if (!px->isMultipleOf(p.quoteIncrement))
      return std::string("quote_increment: ") + name + " " + px->str() + " is not a multiple of " +
             p.quoteIncrement.str();
  }
  if (price) {
    Notional n = notional(*price, qty);
    if (p.quoteMinSize && n < *p.quoteMinSize)
      return "quote_min_size: notional " + n.str() + " is below " + p.quoteMinSize->str();
    if (p.quoteMaxSize && p.quoteMaxSize->isPositive() && n > *p.quoteMaxSize)
      return "quote_max_size: notional " + n.str() + " is above " + p.quoteMaxSize->str();
  }
  return "";
}

std::string CreateResult::text() const {
  std::string t = error.empty() ? failureReason : error;
  for (const auto* extra : {&newOrderFailureReason, &previewFailureReason})
    if (!extra->empty() && *extra != t && extra->find("UNKNOWN") == std::string::npos)
      t += (t.empty() ? "" : " / ") + *extra;
  if (!message.empty()) t += (t.empty() ? "" : ": ") + message;
  if (!errorDetails.empty() && errorDetails != message) t += " (" + errorDetails + ")";
  return t.empty() ? "order refused (no reason given)" : t;
}

std::string parseCreateOrder(std::string_view json, CreateResult& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  std::string s;
  TRY(text(d, "success", s));
  out.success = s == "true";
  TRY(text(d, "failure_reason", out.failureReason, false));
  if (out.success) {
    auto it = d.FindMember("success_response");
    if (it == d.MemberEnd() || !it->value.IsObject()) return "missing object 'success_response'";
    TRY(text(it->value, "order_id", out.orderId));
    TRY(text(it->value, "client_order_id", out.clientOrderId, false));
    TRY(text(it->value, "product_id", out.productId, false));
    return "";
  }
  auto it = d.FindMember("error_response");
  if (it != d.MemberEnd() && it->value.IsObject()) {
    TRY(text(it->value, "error", out.error, false));
    TRY(text(it->value, "message", out.message, false));
    TRY(text(it->value, "error_details", out.errorDetails, false));
    TRY(text(it->value, "preview_failure_reason", out.previewFailureReason, false));
    TRY(text(it->value, "new_order_failure_reason", out.newOrderFailureReason, false));
  }
  return "";
}

std::string parseBatchCancel(std::string_view json, std::vector<CancelResult>& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  auto it = d.FindMember("results");
  if (it == d.MemberEnd() || !it->value.IsArray()) return "missing array 'results'";
  for (const auto& v : it->value.GetArray()) {
    if (!v.IsObject()) return "results: an entry is not an object";
    CancelResult r;
    std::string s;
    TRY(text(v, "success", s));
    r.success = s == "true";
    TRY(text(v, "failure_reason", r.failureReason, false));
    TRY(text(v, "order_id", r.orderId));
    out.push_back(std::move(r));
  }
  return "";
}

std::string parseEdit(std::string_view json, EditResult& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  std::string s;
  TRY(text(d, "success", s));
  out.success = s == "true";
  auto it = d.FindMember("errors");
  if (it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& e : it->value.GetArray()) {
      if (!e.IsObject()) continue;
      for (const char* k : {"edit_failure_reason", "preview_failure_reason"}) {
        std::string r;
        TRY(text(e, k, r, false));
        if (!r.empty() && r.find("UNKNOWN") == std::string::npos) out.reasons.push_back(r);
      }
    }
  }
  return "";
}

std::string parseOrder(std::string_view json, CbOrder& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  auto it = d.FindMember("order");
  if (it == d.MemberEnd()) return "missing object 'order'";
  return parseOrderObj(it->value, out);
}

std::string parseOrders(std::string_view json, std::vector<CbOrder>& out, std::string& cursor) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  auto it = d.FindMember("orders");
  if (it == d.MemberEnd() || !it->value.IsArray()) return "missing array 'orders'";
  for (const auto& v : it->value.GetArray()) {
    CbOrder o;
    if (auto e = parseOrderObj(v, o); !e.empty()) return "orders: " + e;
    out.push_back(std::move(o));
  }
  std::string hasNext;
  TRY(text(d, "has_next", hasNext, false));
  TRY(text(d, "cursor", cursor, false));
  if (hasNext != "true") cursor.clear();
  return "";
}

std::string parseFills(std::string_view json, std::vector<CbFill>& out, std::string& cursor) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  auto it = d.FindMember("fills");
  if (it == d.MemberEnd() || !it->value.IsArray()) return "missing array 'fills'";
  for (const auto& v : it->value.GetArray()) {
    if (!v.IsObject()) return "fills: an entry is not an object";
    CbFill f;
    TRY(text(v, "entry_id", f.entryId, false));
    TRY(text(v, "trade_id", f.tradeId));
    TRY(text(v, "order_id", f.orderId));
    TRY(text(v, "product_id", f.productId));
    TRY(text(v, "side", f.side, false));
    TRY(fixed(v, "price", f.price));
    TRY(fixed(v, "size", f.size));
    TRY(fixed(v, "commission", f.commission, false));
    f.sizeInQuote = flag(v, "size_in_quote");
    TRY(text(v, "liquidity_indicator", f.liquidity, false));
    TRY(timeMs(v, "trade_time", f.tradeTimeMs));
    if (f.sizeInQuote) return "fills: trade " + f.tradeId + " has size_in_quote, not supported";
    out.push_back(std::move(f));
  }
  TRY(text(d, "cursor", cursor, false));
  return "";
}

std::string parseServerTime(std::string_view json, int64_t& epochMs) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  std::string ms;
  TRY(text(d, "epochMillis", ms));
  auto [p, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), epochMs);
  if (ec != std::errc() || p != ms.data() + ms.size())
    return "field 'epochMillis': '" + ms + "' is not an integer";
  return "";
}

bool parseApiError(std::string_view json, ApiError& out) {
  rapidjson::Document d;
  if (!parseDoc(json, d).empty()) return false;
  auto e = d.FindMember("error");
  auto m = d.FindMember("message");
  if (e == d.MemberEnd() && m == d.MemberEnd()) return false;
  if (e != d.MemberEnd()) out.error = str(e->value);
  if (m != d.MemberEnd()) out.message = str(m->value);
  return true;
}

std::string parseStreamMessage(std::string_view json, StreamMessage& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  std::string type;
  TRY(text(d, "type", type, false));
  if (type == "error") {
    out.kind = StreamMessage::Kind::Error;
    TRY(text(d, "message", out.errorMessage, false));
    return "";
  }
  TRY(text(d, "channel", out.channel));
  std::string seq;
  TRY(text(d, "sequence_num", seq, false));
  if (!seq.empty()) {
    auto [p, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), out.sequence);
    if (ec != std::errc() || p != seq.data() + seq.size())
      return "field 'sequence_num': '" + seq + "' is not an integer";
  }
  TRY(timeMs(d, "timestamp", out.timeMs, false));
  const std::string& ch = out.channel;
  using K = StreamMessage::Kind;
  out.kind = ch == "user"            ? K::User
             : ch == "heartbeats"    ? K::Heartbeat
             : ch == "ticker"        ? K::Ticker
             : ch == "l2_data"       ? K::Level2
             : ch == "market_trades" ? K::MarketTrades
             : ch == "subscriptions" ? K::Subscriptions
                                     : K::Other;
  if (out.kind == K::Other || out.kind == K::Subscriptions || out.kind == K::Heartbeat) return "";
  auto evs = d.FindMember("events");
  if (evs == d.MemberEnd() || !evs->value.IsArray()) return "missing array 'events'";
  bool first = true;
  for (const auto& ev : evs->value.GetArray()) {
    if (!ev.IsObject()) return "events: an entry is not an object";
    std::string etype;
    TRY(text(ev, "type", etype, false));
    if (first) out.snapshot = etype == "snapshot";
    first = false;
    if (out.kind == K::User) {
      auto os = ev.FindMember("orders");
      if (os == ev.MemberEnd() || !os->value.IsArray()) continue;
      for (const auto& o : os->value.GetArray()) {
        if (!o.IsObject()) return "orders: an entry is not an object";
        StreamOrder so;
        TRY(text(o, "order_id", so.orderId));
        TRY(text(o, "client_order_id", so.clientOrderId, false));
        TRY(text(o, "product_id", so.productId, false));
        TRY(text(o, "status", so.status));
        TRY(text(o, "order_side", so.side, false));
        TRY(text(o, "order_type", so.orderType, false));
        TRY(text(o, "time_in_force", so.timeInForce, false));
        TRY(fixed(o, "cumulative_quantity", so.cumulativeQuantity));
        TRY(fixed(o, "leaves_quantity", so.leavesQuantity, false));
        TRY(fixed(o, "avg_price", so.avgPrice, false));
        TRY(fixed(o, "total_fees", so.totalFees, false));
        TRY(text(o, "cancel_reason", so.cancelReason, false));
        TRY(text(o, "reject_reason", so.rejectReason, false));
        out.orders.push_back(std::move(so));
      }
    } else if (out.kind == K::Ticker) {
      auto ts = ev.FindMember("tickers");
      if (ts == ev.MemberEnd() || !ts->value.IsArray()) continue;
      for (const auto& t : ts->value.GetArray()) {
        if (!t.IsObject()) return "tickers: an entry is not an object";
        TickerMsg m;
        TRY(text(t, "product_id", m.productId));
        TRY(fixed(t, "price", m.price));
        TRY(optFixed(t, "best_bid", m.bestBid));
        TRY(optFixed(t, "best_ask", m.bestAsk));
        TRY(fixed(t, "best_bid_quantity", m.bestBidQty, false));
        TRY(fixed(t, "best_ask_quantity", m.bestAskQty, false));
        out.tickers.push_back(std::move(m));
      }
    } else if (out.kind == K::Level2) {
      TRY(text(ev, "product_id", out.l2Product));
      auto us = ev.FindMember("updates");
      if (us == ev.MemberEnd() || !us->value.IsArray()) return "missing array 'updates'";
      for (const auto& u : us->value.GetArray()) {
        if (!u.IsObject()) return "updates: an entry is not an object";
        L2Update l;
        std::string side;
        TRY(text(u, "side", side));
        if (side != "bid" && side != "offer")
          return "field 'side': '" + side + "' is neither bid nor offer";
        l.bid = side == "bid";
        TRY(fixed(u, "price_level", l.price));
        TRY(fixed(u, "new_quantity", l.qty));
        out.l2.push_back(l);
      }
    } else if (out.kind == K::MarketTrades) {
      auto ts = ev.FindMember("trades");
      if (ts == ev.MemberEnd() || !ts->value.IsArray()) continue;
      for (const auto& t : ts->value.GetArray()) {
        if (!t.IsObject()) return "trades: an entry is not an object";
        TradeMsg m;
        TRY(text(t, "trade_id", m.tradeId));
        TRY(text(t, "product_id", m.productId));
        TRY(text(t, "side", m.side, false));
        TRY(fixed(t, "price", m.price));
        TRY(fixed(t, "size", m.size));
        TRY(timeMs(t, "time", m.timeMs, false));
        out.trades.push_back(std::move(m));
      }
    }
  }
  return "";
}

// ----------------------------------------------------------- mapping

std::string mapOrderType(const VenueNewOrder& o, bool dayAsGtc, OrderConfig& out) {
  out = {};
  out.postOnly = o.attrs.postOnly;
  if (o.attrs.minQty) return "MinQty: Coinbase has no minimum execution quantity";
  if (o.attrs.maxFloor) return "MaxFloor: Coinbase has no reserve (iceberg) orders";
  if (o.side == Side::SellShort) return "Side: Coinbase spot has no short sale";
  TimeInForce tif = o.tif;
  if (tif == TimeInForce::Day) {
    if (!dayAsGtc)
      return "TimeInForce: DAY is not offered by Coinbase spot (send GTC, or set day_as_gtc)";
    tif = TimeInForce::Gtc;
  }
  if (tif == TimeInForce::AtTheOpening) return "TimeInForce: Coinbase has no opening auction";
  if (o.attrs.postOnly && o.ordType != OrdType::Limit)
    return "ExecInst: post-only applies to limit orders only at Coinbase";
  switch (o.ordType) {
    case OrdType::Market:
      if (tif != TimeInForce::Ioc && tif != TimeInForce::Gtc && tif != TimeInForce::Fok)
        return "TimeInForce: a Coinbase market order is IOC";
      out.key = "market_market_ioc";
      return "";
    case OrdType::Limit:
      if (!o.price) return "Price: a limit order needs a price";
      if (tif == TimeInForce::Gtc) out.key = "limit_limit_gtc";
      if (tif == TimeInForce::GoodTillDate) {
        if (o.attrs.expireTime <= 0) return "ExpireTime: GTD needs an expiry time";
        out.key = "limit_limit_gtd";
      }
      if (tif == TimeInForce::Fok) out.key = "limit_limit_fok";
      if (tif == TimeInForce::Ioc) out.key = "sor_limit_ioc";
      if (out.postOnly && out.key != "limit_limit_gtc" && out.key != "limit_limit_gtd")
        return "ExecInst: post-only needs GTC or GTD at Coinbase";
      return "";
    case OrdType::StopLimit:
      if (!o.price || !o.stopPx) return "StopPx: a stop-limit order needs a price and a stop";
      if (tif != TimeInForce::Gtc) return "TimeInForce: Coinbase stop-limit orders are GTC here";
      out.key = "stop_limit_stop_limit_gtc";
      return "";
    case OrdType::Stop:
      return "OrdType: Coinbase spot has no stop-market order (use stop-limit)";
  }
  return "OrdType: unsupported";
}

std::string orderBody(const std::string& clientOrderId, const std::string& productId, Side side,
                      const OrderConfig& cfg, Qty baseSize, std::optional<Price> limit,
                      std::optional<Price> stop, WallNanos endTime) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto kv = [&](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  kv("client_order_id", clientOrderId);
  kv("product_id", productId);
  kv("side", std::string(sideName(side)));
  w.Key("order_configuration");
  w.StartObject();
  w.Key(cfg.key.c_str());
  w.StartObject();
  kv("base_size", baseSize.str());
  if (cfg.key != "market_market_ioc" && limit) kv("limit_price", limit->str());
  if (cfg.key == "stop_limit_stop_limit_gtc" && stop) {
    kv("stop_price", stop->str());
    // Coinbase needs the trigger's direction: a buy stop triggers on a rise.
    kv("stop_direction", side == Side::Buy ? "STOP_DIRECTION_STOP_UP" : "STOP_DIRECTION_STOP_DOWN");
  }
  if (cfg.key == "limit_limit_gtd") kv("end_time", formatRfc3339(endTime));
  if (cfg.key == "limit_limit_gtc" || cfg.key == "limit_limit_gtd") {
    w.Key("post_only");
    w.Bool(cfg.postOnly);
  }
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

std::string checkClientOrderId(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return "child order id '" + std::string(id) + "': Coinbase client_order_id takes 1..128 chars";
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
          c == '-'))
      return "child order id '" + std::string(id) + "': character '" + std::string(1, c) +
             "' is outside [A-Za-z0-9._:-]";
  return "";
}

bool isTerminalStatus(std::string_view s) {
  return s == "FILLED" || s == "CANCELLED" || s == "EXPIRED" || s == "FAILED";
}

std::string_view sideName(Side s) { return s == Side::Buy ? "BUY" : "SELL"; }

std::optional<int64_t> parseRfc3339Ms(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+00:00)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto num = [&](size_t at, size_t n) -> int {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
      sec = num(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      sec < 0 || sec > 60)
    return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) ms *= 10;
  }
  std::string_view tz = s.substr(i);
  if (tz != "Z" && tz != "+00:00") return std::nullopt;
  // days from civil (Howard Hinnant's algorithm)
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  return ((days * 24 + h) * 60 + mi) * 60'000 + sec * 1000 + ms;
}

std::string formatRfc3339(WallNanos t) {
  std::time_t secs = static_cast<std::time_t>(t / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((t / 1'000'000) % 1000));
  return buf;
}

}  // namespace fixgw::coinbase
