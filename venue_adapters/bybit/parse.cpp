#include "venue_adapters/bybit/parse.h"

#include <openssl/sha.h>
#include <rapidjson/document.h>

#include <charconv>

namespace fixgw::bybit {

namespace {

using Value = rapidjson::Value;
constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag;

#define TRY(expr)                                 \
  do {                                            \
    if (auto e_ = (expr); !e_.empty()) return e_; \
  } while (0)

std::string parseDoc(std::string_view json, rapidjson::Document& d) {
  d.Parse<kFlags>(json.data(), json.size());
  if (d.HasParseError()) return "malformed JSON at offset " + std::to_string(d.GetErrorOffset());
  if (!d.IsObject()) return "not a JSON object";
  return "";
}

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

// Bybit writes "" for a value it does not have (avgPrice, leavesQty): that is
// zero unless the field is required to carry a value.
template <class F>
std::string fixed(const Value& o, const char* key, F& out, bool required = true) {
  std::string s;
  TRY(text(o, key, s, required));
  if (s.empty()) {
    if (required) return std::string("field '") + key + "' is empty";
    out = F();
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
  std::string s;
  TRY(text(o, key, s, false));
  if (s.empty()) return "";
  F v;
  TRY(fixed(o, key, v));
  out = v;
  return "";
}

std::string msTime(const Value& o, const char* key, int64_t& ns) {
  std::string s;
  TRY(text(o, key, s, false));
  if (s.empty()) return "";
  int64_t ms = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
  if (ec != std::errc() || p != s.data() + s.size())
    return std::string("field '") + key + "': '" + s + "' is not a time in ms";
  ns = ms * 1'000'000;
  return "";
}

bool flag(const Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

// The envelope's result object, after checking retCode is 0.
std::string result(rapidjson::Document& d, const Value*& out) {
  Envelope e;
  std::string code;
  TRY(text(d, "retCode", code));
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), e.retCode);
  if (ec != std::errc()) return "field 'retCode': '" + code + "' is not an integer";
  text(d, "retMsg", e.retMsg, false);
  if (e.retCode != 0) return "bybit retCode " + code + ": " + e.retMsg;
  auto r = d.FindMember("result");
  if (r == d.MemberEnd() || !r->value.IsObject()) return "missing object 'result'";
  out = &r->value;
  return "";
}

std::string list(const Value& res, const Value*& out, std::string* cursor) {
  auto l = res.FindMember("list");
  if (l == res.MemberEnd() || !l->value.IsArray()) return "missing array 'list'";
  out = &l->value;
  if (cursor) text(res, "nextPageCursor", *cursor, false);
  return "";
}

std::string orderObj(const Value& o, BybitOrder& out) {
  if (!o.IsObject()) return "order is not an object";
  out = {};
  TRY(text(o, "orderId", out.orderId));
  TRY(text(o, "orderLinkId", out.orderLinkId, false));
  TRY(text(o, "symbol", out.symbol));
  TRY(text(o, "side", out.side));
  TRY(text(o, "orderType", out.orderType, false));
  TRY(text(o, "timeInForce", out.timeInForce, false));
  TRY(text(o, "orderStatus", out.orderStatus));
  TRY(text(o, "rejectReason", out.rejectReason, false));
  TRY(text(o, "cancelType", out.cancelType, false));
  TRY(fixed(o, "price", out.price, false));
  TRY(fixed(o, "avgPrice", out.avgPrice, false));
  TRY(fixed(o, "qty", out.qty));
  TRY(fixed(o, "cumExecQty", out.cumExecQty));
  TRY(fixed(o, "leavesQty", out.leavesQty, false));
  out.reduceOnly = flag(o, "reduceOnly");
  TRY(msTime(o, "createdTime", out.createdNs));
  TRY(msTime(o, "updatedTime", out.updatedNs));
  return "";
}

std::string execObj(const Value& o, BybitExec& out) {
  if (!o.IsObject()) return "execution is not an object";
  out = {};
  TRY(text(o, "category", out.category, false));
  TRY(text(o, "symbol", out.symbol));
  TRY(text(o, "execId", out.execId));
  TRY(text(o, "orderId", out.orderId));
  TRY(text(o, "orderLinkId", out.orderLinkId, false));
  TRY(text(o, "side", out.side));
  TRY(text(o, "execType", out.execType, false));
  TRY(fixed(o, "execPrice", out.execPrice));
  TRY(fixed(o, "execQty", out.execQty));
  TRY(fixed(o, "leavesQty", out.leavesQty, false));
  TRY(optFixed(o, "execFee", out.execFee));
  TRY(text(o, "feeCurrency", out.feeCurrency, false));
  out.isMaker = flag(o, "isMaker");
  TRY(msTime(o, "execTime", out.execNs));
  return "";
}

std::string instrumentObj(const Value& o, const std::string& category, InstrumentInfo& out) {
  if (!o.IsObject()) return "instrument is not an object";
  out = {};
  out.category = category;
  TRY(text(o, "symbol", out.symbol));
  auto at = [&](std::string e) { return "instrument " + out.symbol + ": " + e; };
  if (auto e = text(o, "status", out.status); !e.empty()) return at(e);
  text(o, "baseCoin", out.baseCoin, false);
  text(o, "quoteCoin", out.quoteCoin, false);
  text(o, "settleCoin", out.settleCoin, false);
  auto pf = o.FindMember("priceFilter");
  auto lf = o.FindMember("lotSizeFilter");
  if (pf == o.MemberEnd() || !pf->value.IsObject()) return at("missing object 'priceFilter'");
  if (lf == o.MemberEnd() || !lf->value.IsObject()) return at("missing object 'lotSizeFilter'");
  const Value& p = pf->value;
  const Value& l = lf->value;
  if (auto e = fixed(p, "tickSize", out.tickSize); !e.empty()) return at("priceFilter." + e);
  if (auto e = optFixed(p, "minPrice", out.minPrice); !e.empty()) return at(e);
  if (auto e = optFixed(p, "maxPrice", out.maxPrice); !e.empty()) return at(e);
  const bool spot = category == "spot";
  if (auto e = fixed(l, spot ? "basePrecision" : "qtyStep", out.qtyStep); !e.empty())
    return at("lotSizeFilter." + e);
  if (!out.tickSize.isPositive() || !out.qtyStep.isPositive())
    return at("tickSize and the quantity step must be > 0");
  if (auto e = fixed(l, "minOrderQty", out.minOrderQty, false); !e.empty()) return at(e);
  std::optional<Qty> maxLimit;
  if (auto e = optFixed(l, "maxLimitOrderQty", maxLimit); !e.empty()) return at(e);
  if (auto e = optFixed(l, "maxOrderQty", out.maxOrderQty); !e.empty()) return at(e);
  if (maxLimit) out.maxOrderQty = maxLimit;
  if (auto e = optFixed(l, spot ? "maxMarketOrderQty" : "maxMktOrderQty", out.maxMarketOrderQty);
      !e.empty())
    return at(e);
  if (auto e = optFixed(l, spot ? "minOrderAmt" : "minNotionalValue", out.minOrderAmt); !e.empty())
    return at(e);
  return "";
}

}  // namespace

std::string parseEnvelope(std::string_view json, Envelope& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  std::string code;
  TRY(text(d, "retCode", code));
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), out.retCode);
  if (ec != std::errc() || p != code.data() + code.size())
    return "field 'retCode': '" + code + "' is not an integer";
  return text(d, "retMsg", out.retMsg, false);
}

ErrorClass classifyRetCode(int64_t c) {
  switch (c) {
    case 10006:
    case 10018:
    case 10429:
      return ErrorClass::RateLimited;
    case 10002:
      return ErrorClass::Timestamp;
    case 10003:
    case 10004:
    case 10005:
    case 10007:
    case 10009:
    case 10010:
    case 33004:
      return ErrorClass::Auth;
    case 110001:
    case 170213:
      return ErrorClass::NotFound;
    case 10000:
    case 10016:
    case 10019:
      return ErrorClass::Unknown;
    default:
      return ErrorClass::Rejected;
  }
}

std::string parseInstruments(std::string_view json, std::map<std::string, InstrumentInfo>& out,
                             std::string* cursor) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* res = nullptr;
  TRY(result(d, res));
  std::string category;
  TRY(text(*res, "category", category));
  if (category != "spot" && category != "linear")
    return "category '" + category + "' is not spot or linear";
  const Value* l = nullptr;
  TRY(list(*res, l, cursor));
  for (const auto& x : l->GetArray()) {
    InstrumentInfo i;
    TRY(instrumentObj(x, category, i));
    out[i.symbol] = std::move(i);
  }
  return "";
}

std::string checkFilters(const InstrumentInfo& f, std::optional<Price> price, Qty qty, bool market,
                         std::optional<Price> refPx) {
  if (f.status != "Trading") return "status: " + f.symbol + " is " + f.status + ", not Trading";
  if (!qty.isPositive()) return "qty: must be > 0";
  if (price) {
    if (!price->isPositive()) return "price: must be > 0";
    if (!price->isMultipleOf(f.tickSize))
      return "tickSize: price " + price->str() + " is not a multiple of tickSize " +
             f.tickSize.str();
    if (f.minPrice && *price < *f.minPrice)
      return "minPrice: price " + price->str() + " is below minPrice " + f.minPrice->str();
    if (f.maxPrice && *price > *f.maxPrice)
      return "maxPrice: price " + price->str() + " is above maxPrice " + f.maxPrice->str();
  }
  const char* stepName = f.category == "spot" ? "basePrecision" : "qtyStep";
  if (!qty.isMultipleOf(f.qtyStep))
    return std::string(stepName) + ": qty " + qty.str() + " is not a multiple of " + stepName +
           " " + f.qtyStep.str();
  if (f.minOrderQty.isPositive() && qty < f.minOrderQty)
    return "minOrderQty: qty " + qty.str() + " is below minOrderQty " + f.minOrderQty.str();
  const std::optional<Qty>& max = market ? f.maxMarketOrderQty : f.maxOrderQty;
  if (max && max->isPositive() && qty > *max)
    return std::string(market ? (f.category == "spot" ? "maxMarketOrderQty" : "maxMktOrderQty")
                              : (f.category == "spot" ? "maxLimitOrderQty" : "maxOrderQty")) +
           ": qty " + qty.str() + " is above " + max->str();
  std::optional<Price> px = price ? price : refPx;
  if (f.minOrderAmt && px) {
    const Notional n = notional(*px, qty);
    if (n < *f.minOrderAmt)
      return std::string(f.category == "spot" ? "minOrderAmt" : "minNotionalValue") +
             ": order value " + n.str() + " is below " + f.minOrderAmt->str();
  }
  return "";
}

std::string parseOrderAck(std::string_view json, std::string& orderId, std::string& orderLinkId) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* res = nullptr;
  TRY(result(d, res));
  TRY(text(*res, "orderId", orderId));
  return text(*res, "orderLinkId", orderLinkId, false);
}

std::string parseOrders(std::string_view json, std::vector<BybitOrder>& out, std::string* cursor) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* res = nullptr;
  TRY(result(d, res));
  const Value* l = nullptr;
  TRY(list(*res, l, cursor));
  for (const auto& x : l->GetArray()) {
    BybitOrder o;
    TRY(orderObj(x, o));
    out.push_back(std::move(o));
  }
  return "";
}

std::string parseExecutions(std::string_view json, std::vector<BybitExec>& out,
                            std::string* cursor) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* res = nullptr;
  TRY(result(d, res));
  const Value* l = nullptr;
  TRY(list(*res, l, cursor));
  for (const auto& x : l->GetArray()) {
    BybitExec e;
    TRY(execObj(x, e));
    if (e.execType.empty() || e.execType == "Trade") out.push_back(std::move(e));
  }
  return "";
}

std::string parseServerTime(std::string_view json, int64_t& ms) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* res = nullptr;
  TRY(result(d, res));
  std::string nano;
  TRY(text(*res, "timeNano", nano, false));
  if (!nano.empty()) {
    int64_t ns = 0;
    auto [p, ec] = std::from_chars(nano.data(), nano.data() + nano.size(), ns);
    if (ec == std::errc() && p == nano.data() + nano.size()) {
      ms = ns / 1'000'000;
      return "";
    }
  }
  int64_t ns = 0;
  TRY(msTime(d, "time", ns));
  if (ns == 0) return "missing field 'timeNano'";
  ms = ns / 1'000'000;
  return "";
}

std::string parseWsMessage(std::string_view json, WsMessage& out) {
  out = {};
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  std::string topic;
  TRY(text(d, "topic", topic, false));
  if (topic.empty()) {
    TRY(text(d, "op", out.op, false));
    if (out.op.empty()) return "";  // Other
    out.kind = WsMessage::Kind::OpReply;
    std::string s;
    text(d, "success", s, false);
    // A pong carries no success flag: it answers.
    out.success = s == "true" || (s.empty() && out.op == "pong");
    text(d, "ret_msg", out.retMsg, false);
    return "";
  }
  auto data = d.FindMember("data");
  if (data == d.MemberEnd() || !data->value.IsArray()) return "missing array 'data'";
  if (topic == "order" || topic.rfind("order.", 0) == 0) {
    out.kind = WsMessage::Kind::Order;
    for (const auto& x : data->value.GetArray()) {
      BybitOrder o;
      TRY(orderObj(x, o));
      out.orders.push_back(std::move(o));
    }
  } else if (topic == "execution" || topic.rfind("execution.", 0) == 0) {
    out.kind = WsMessage::Kind::Execution;
    for (const auto& x : data->value.GetArray()) {
      BybitExec e;
      TRY(execObj(x, e));
      if (e.execType.empty() || e.execType == "Trade") out.execs.push_back(std::move(e));
    }
  }
  return "";
}

namespace {
std::string levels(const Value& d, const char* key, std::vector<BookLevel>& out) {
  auto it = d.FindMember(key);
  if (it == d.MemberEnd()) return "";
  if (!it->value.IsArray()) return std::string("field '") + key + "' is not an array";
  for (const auto& l : it->value.GetArray()) {
    if (!l.IsArray() || l.Size() < 2 || !l[0].IsString() || !l[1].IsString())
      return std::string("field '") + key + "': a level is not [price, size]";
    auto px = Price::parse(l[0].GetString());
    auto qty = Qty::parse(l[1].GetString());
    if (!px || !qty)
      return std::string("field '") + key + "': '" + l[0].GetString() + "', '" + l[1].GetString() +
             "' is not an exact decimal with at most 8 places";
    out.push_back({*px, *qty});
  }
  return "";
}
}  // namespace

std::string parsePublicMessage(std::string_view json, PublicMessage& out) {
  out = {};
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  std::string topic, type;
  TRY(text(d, "topic", topic, false));
  if (topic.empty()) {
    std::string op, ok;
    TRY(text(d, "op", op, false));
    if (!op.empty()) {
      out.kind = PublicMessage::Kind::OpReply;
      text(d, "success", ok, false);
      out.success = ok == "true" || (ok.empty() && op == "pong");
      text(d, "ret_msg", out.retMsg, false);
    }
    return "";
  }
  TRY(text(d, "type", type, false));
  out.snapshot = type == "snapshot";
  TRY(msTime(d, "ts", out.tsNs));
  auto data = d.FindMember("data");
  if (data == d.MemberEnd()) return "missing field 'data'";
  if (topic.rfind("orderbook.", 0) == 0) {
    if (!data->value.IsObject()) return "field 'data' is not an object";
    out.kind = PublicMessage::Kind::Book;
    TRY(text(data->value, "s", out.symbol));
    TRY(levels(data->value, "b", out.bids));
    TRY(levels(data->value, "a", out.asks));
  } else if (topic.rfind("publicTrade.", 0) == 0) {
    if (!data->value.IsArray()) return "field 'data' is not an array";
    out.kind = PublicMessage::Kind::Trade;
    for (const auto& t : data->value.GetArray()) {
      if (!t.IsObject()) return "a trade is not an object";
      Trade tr;
      TRY(text(t, "s", out.symbol));
      TRY(fixed(t, "p", tr.price));
      TRY(fixed(t, "v", tr.qty));
      TRY(msTime(t, "T", tr.time));
      out.trades.push_back(tr);
    }
  }
  return "";
}

std::string categoryFor(const Instrument& inst) {
  return inst.marginMode == "cash" ? "spot" : "linear";
}

std::string venueSymbolFor(const Instrument& inst, const std::string& venueName) {
  auto it = inst.venueSymbols.find(venueName);
  if (it != inst.venueSymbols.end()) return it->second;
  std::string s;
  for (char c : inst.symbol.str())
    if (c != '/' && c != '-') s.push_back(c);
  return s;
}

std::string mapOrder(const VenueNewOrder& o, bool spot, bool dayAsGtc, OrderMapping& out) {
  out = {};
  if (o.ordType == OrdType::Market) {
    out.orderType = "Market";
  } else if (o.ordType == OrdType::Limit) {
    out.orderType = "Limit";
    if (!o.price) return "price: a limit order needs a price";
  } else {
    return "OrdType: stop orders are not supported on Bybit by this adapter (conditional "
           "orders are not mapped)";
  }
  // Bybit market orders are IOC whatever was asked (a DAY market order is
  // the usual FIX default and means the same thing).
  switch (out.orderType == "Market" ? TimeInForce::Ioc : o.tif) {
    case TimeInForce::Gtc:
      out.timeInForce = "GTC";
      break;
    case TimeInForce::Day:
      if (!dayAsGtc) return "TimeInForce: Bybit has no DAY orders (set day_as_gtc to send GTC)";
      out.timeInForce = "GTC";
      break;
    case TimeInForce::Ioc:
      out.timeInForce = "IOC";
      break;
    case TimeInForce::Fok:
      out.timeInForce = "FOK";
      break;
    default:
      return "TimeInForce: not supported by Bybit (GTC, IOC, FOK)";
  }
  if (o.attrs.postOnly) {
    if (out.orderType != "Limit" || out.timeInForce != "GTC")
      return "ExecInst: post-only needs a GTC limit order at Bybit";
    out.timeInForce = "PostOnly";
  }
  if (o.attrs.minQty) return "MinQty: not supported by Bybit";
  if (o.attrs.maxFloor) return "MaxFloor: Bybit has no display quantity";
  if (o.attrs.expireTime != 0) return "ExpireTime: Bybit has no GTD orders";
  if (o.attrs.positionEffect == 'C') {
    if (spot) return "PositionEffect: close does not apply to spot (no positions)";
    out.reduceOnly = true;
  }
  return "";
}

std::string_view sideName(Side s) { return s == Side::Buy ? "Buy" : "Sell"; }
Side sideOf(std::string_view s) { return s == "Sell" ? Side::Sell : Side::Buy; }

std::string decimal(int64_t mantissa) { return formatDecimalMantissa(mantissa); }

std::string createBody(const std::string& category, const std::string& symbol, Side side,
                       const OrderMapping& m, Qty qty, std::optional<Price> price,
                       const std::string& orderLinkId) {
  std::string b = R"({"category":")" + category + R"(","symbol":")" + symbol + R"(","side":")" +
                  std::string(sideName(side)) + R"(","orderType":")" + m.orderType +
                  R"(","qty":")" + qty.str() + "\"";
  if (m.orderType == "Limit" && price) b += R"(,"price":")" + price->str() + "\"";
  b += R"(,"timeInForce":")" + m.timeInForce + "\"";
  // Spot market orders are sized in the quote coin unless told otherwise.
  if (category == "spot" && m.orderType == "Market") b += R"(,"marketUnit":"baseCoin")";
  if (category == "linear") {
    b += R"(,"positionIdx":0)";  // one-way mode
    if (m.reduceOnly) b += R"(,"reduceOnly":true)";
  }
  return b + R"(,"orderLinkId":")" + orderLinkId + "\"}";
}

std::string orderLinkIdFor(std::string_view childId) {
  bool fits = !childId.empty() && childId.size() <= 36;
  for (char c : childId)
    fits &= std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  if (fits) return std::string(childId);
  unsigned char sha[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(childId.data()), childId.size(), sha);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out.push_back(hex[sha[i] >> 4]);
    out.push_back(hex[sha[i] & 0xF]);
  }
  return out;
}

bool isOpenStatus(std::string_view s) {
  return s == "New" || s == "PartiallyFilled" || s == "Untriggered" || s == "Created" ||
         s == "Triggered";
}

}  // namespace fixgw::bybit
