#include "venue_adapters/binance/parse.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace fixgw::binance {

namespace {

using Value = rapidjson::Value;
constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag;

std::string parseDoc(std::string_view json, rapidjson::Document& d) {
  d.Parse<kFlags>(json.data(), json.size());
  if (d.HasParseError()) return "malformed JSON at offset " + std::to_string(d.GetErrorOffset());
  return "";
}

// Field readers: every number arrives as text (kParseNumbersAsStringsFlag).
// Each returns "" or an error naming the field.
std::string text(const Value& o, const char* key, std::string& out, bool required = true) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || it->value.IsNull()) {
    if (required) return std::string("missing field '") + key + "'";
    out.clear();
    return "";
  }
  if (!it->value.IsString()) return std::string("field '") + key + "' is not a string or number";
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return "";
}

template <class F>
std::string fixed(const Value& o, const char* key, F& out, bool required = true) {
  std::string s;
  if (auto e = text(o, key, s, required); !e.empty()) return e;
  if (s.empty() && !required) return "";
  auto v = F::parse(s);
  if (!v)
    return std::string("field '") + key + "': '" + s +
           "' is not an exact decimal with at most 8 places";
  out = *v;
  return "";
}

std::string integer(const Value& o, const char* key, int64_t& out, bool required = true) {
  std::string s;
  if (auto e = text(o, key, s, required); !e.empty()) return e;
  if (s.empty() && !required) return "";
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p != s.data() + s.size())
    return std::string("field '") + key + "': '" + s + "' is not an integer";
  return "";
}

#define TRY(expr)                                 \
  do {                                            \
    if (auto e_ = (expr); !e_.empty()) return e_; \
  } while (0)

std::string parseFilters(const Value& sym, SymbolFilters& f) {
  auto it = sym.FindMember("filters");
  if (it == sym.MemberEnd() || !it->value.IsArray()) return "missing array 'filters'";
  for (const auto& flt : it->value.GetArray()) {
    if (!flt.IsObject()) return "filters: an entry is not an object";
    std::string type;
    TRY(text(flt, "filterType", type));
    if (type == "PRICE_FILTER") {
      f.hasPriceFilter = true;
      TRY(fixed(flt, "minPrice", f.minPrice));
      TRY(fixed(flt, "maxPrice", f.maxPrice));
      TRY(fixed(flt, "tickSize", f.tickSize));
    } else if (type == "LOT_SIZE") {
      f.hasLotSize = true;
      TRY(fixed(flt, "minQty", f.minQty));
      TRY(fixed(flt, "maxQty", f.maxQty));
      TRY(fixed(flt, "stepSize", f.stepSize));
    } else if (type == "MARKET_LOT_SIZE") {
      f.hasMarketLotSize = true;
      TRY(fixed(flt, "minQty", f.marketMinQty));
      TRY(fixed(flt, "maxQty", f.marketMaxQty));
      TRY(fixed(flt, "stepSize", f.marketStepSize));
    } else if (type == "MIN_NOTIONAL") {
      Notional n;
      TRY(fixed(flt, "minNotional", n));
      f.minNotional = n;
    } else if (type == "NOTIONAL") {
      Notional lo, hi;
      TRY(fixed(flt, "minNotional", lo));
      TRY(fixed(flt, "maxNotional", hi, false));
      f.minNotional = lo;
      if (hi.isPositive()) f.maxNotional = hi;
    }
  }
  return "";
}

std::string parseTradeObj(const Value& o, BinanceTrade& t, bool fromFill) {
  if (!o.IsObject()) return "trade is not an object";
  if (fromFill) {
    TRY(text(o, "tradeId", t.tradeId));
  } else {
    TRY(text(o, "symbol", t.symbol));
    TRY(text(o, "id", t.tradeId));
    TRY(text(o, "orderId", t.orderId));
    TRY(integer(o, "time", t.timeMs));
  }
  TRY(fixed(o, "price", t.price));
  TRY(fixed(o, "qty", t.qty));
  TRY(fixed(o, "commission", t.commission));
  TRY(text(o, "commissionAsset", t.commissionAsset, false));
  return "";
}

std::string parseOrderObj(const Value& o, BinanceOrder& out) {
  if (!o.IsObject()) return "order is not an object";
  TRY(text(o, "symbol", out.symbol));
  TRY(text(o, "orderId", out.orderId));
  TRY(text(o, "clientOrderId", out.clientOrderId));
  TRY(text(o, "origClientOrderId", out.origClientOrderId, false));
  TRY(fixed(o, "price", out.price, false));
  TRY(fixed(o, "origQty", out.origQty));
  TRY(fixed(o, "executedQty", out.executedQty));
  TRY(text(o, "status", out.status));
  TRY(text(o, "type", out.type, false));
  TRY(text(o, "side", out.side, false));
  TRY(text(o, "timeInForce", out.timeInForce, false));
  TRY(fixed(o, "stopPrice", out.stopPrice, false));
  if (o.HasMember("transactTime")) {
    TRY(integer(o, "transactTime", out.timeMs));
  } else {
    TRY(integer(o, "time", out.timeMs, false));
  }
  out.fills.clear();
  auto it = o.FindMember("fills");
  if (it != o.MemberEnd() && it->value.IsArray()) {
    for (const auto& f : it->value.GetArray()) {
      BinanceTrade t;
      if (auto e = parseTradeObj(f, t, true); !e.empty()) return "fills: " + e;
      t.symbol = out.symbol;
      t.orderId = out.orderId;
      t.timeMs = out.timeMs;
      out.fills.push_back(std::move(t));
    }
  }
  return "";
}

}  // namespace

int64_t RateLimitRule::windowMs() const {
  int64_t unit = interval == "SECOND"   ? 1'000
                 : interval == "MINUTE" ? 60'000
                 : interval == "HOUR"   ? 3'600'000
                 : interval == "DAY"    ? 86'400'000
                                        : 0;
  return unit * intervalNum;
}

std::string RateLimitRule::headerSuffix() const {
  return std::to_string(intervalNum) + (interval.empty() ? std::string() : interval.substr(0, 1));
}

bool SymbolFilters::supports(std::string_view type) const {
  return std::find(orderTypes.begin(), orderTypes.end(), type) != orderTypes.end();
}

std::string parseExchangeInfo(std::string_view json, ExchangeInfo& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  if (!d.IsObject()) return "exchangeInfo: not an object";
  auto it = d.FindMember("symbols");
  if (it == d.MemberEnd() || !it->value.IsArray()) return "exchangeInfo: missing array 'symbols'";
  ExchangeInfo info;
  for (const auto& s : it->value.GetArray()) {
    if (!s.IsObject()) return "exchangeInfo.symbols: an entry is not an object";
    SymbolFilters f;
    TRY(text(s, "symbol", f.symbol));
    const std::string at = "exchangeInfo.symbols[" + f.symbol + "]: ";
    if (auto e = text(s, "status", f.status); !e.empty()) return at + e;
    if (auto e = text(s, "baseAsset", f.baseAsset); !e.empty()) return at + e;
    if (auto e = text(s, "quoteAsset", f.quoteAsset); !e.empty()) return at + e;
    auto ot = s.FindMember("orderTypes");
    if (ot != s.MemberEnd() && ot->value.IsArray())
      for (const auto& t : ot->value.GetArray())
        if (t.IsString()) f.orderTypes.emplace_back(t.GetString(), t.GetStringLength());
    if (auto e = parseFilters(s, f); !e.empty()) return at + e;
    info.symbols[f.symbol] = std::move(f);
  }
  // Optional: a symbols-filtered answer still carries it, but a missing one
  // only means the adapter falls back to its configured limits.
  if (auto rl = d.FindMember("rateLimits"); rl != d.MemberEnd()) {
    if (!rl->value.IsArray()) return "exchangeInfo: 'rateLimits' is not an array";
    for (const auto& e : rl->value.GetArray()) {
      if (!e.IsObject()) return "exchangeInfo.rateLimits: an entry is not an object";
      RateLimitRule r;
      const std::string at = "exchangeInfo.rateLimits: ";
      if (auto err = text(e, "rateLimitType", r.type); !err.empty()) return at + err;
      if (auto err = text(e, "interval", r.interval); !err.empty()) return at + err;
      if (auto err = integer(e, "intervalNum", r.intervalNum); !err.empty()) return at + err;
      if (auto err = integer(e, "limit", r.limit); !err.empty()) return at + err;
      if (r.intervalNum <= 0 || r.limit < 0)
        return at + r.type + ": intervalNum must be > 0 and limit >= 0";
      info.rateLimits.push_back(std::move(r));
    }
  }
  out = std::move(info);
  return "";
}

std::string checkFilters(const SymbolFilters& f, std::optional<Price> price,
                         std::optional<Price> stopPrice, Qty qty, bool market) {
  if (f.status != "TRADING")
    return "symbol " + f.symbol + " is not trading (status " + f.status + ")";
  auto checkPrice = [&](const char* what, Price p) -> std::string {
    if (!f.hasPriceFilter) return "";
    if (!p.isPositive())
      return std::string("PRICE_FILTER: ") + what + " " + p.str() + " must be > 0";
    if (f.minPrice.isPositive() && p < f.minPrice)
      return std::string("PRICE_FILTER: ") + what + " " + p.str() + " is below minPrice " +
             f.minPrice.str();
    if (f.maxPrice.isPositive() && p > f.maxPrice)
      return std::string("PRICE_FILTER: ") + what + " " + p.str() + " is above maxPrice " +
             f.maxPrice.str();
    if (f.tickSize.isPositive() && !(p - f.minPrice).isMultipleOf(f.tickSize))
      return std::string("PRICE_FILTER: ") + what + " " + p.str() +
             " is not a multiple of tickSize " + f.tickSize.str();
    return "";
  };
  if (price) TRY(checkPrice("price", *price));
  if (stopPrice) TRY(checkPrice("stopPrice", *stopPrice));
  if (f.hasLotSize) {
    if (qty < f.minQty)
      return "LOT_SIZE: quantity " + qty.str() + " is below minQty " + f.minQty.str();
    if (f.maxQty.isPositive() && qty > f.maxQty)
      return "LOT_SIZE: quantity " + qty.str() + " is above maxQty " + f.maxQty.str();
    if (f.stepSize.isPositive() && !(qty - f.minQty).isMultipleOf(f.stepSize))
      return "LOT_SIZE: quantity " + qty.str() + " is not a multiple of stepSize " +
             f.stepSize.str();
  }
  if (market && f.hasMarketLotSize) {
    // Zero bounds and step mean "not set" (as Binance sends them for BTCUSDT).
    if (f.marketMinQty.isPositive() && qty < f.marketMinQty)
      return "MARKET_LOT_SIZE: quantity " + qty.str() + " is below minQty " + f.marketMinQty.str();
    if (f.marketMaxQty.isPositive() && qty > f.marketMaxQty)
      return "MARKET_LOT_SIZE: quantity " + qty.str() + " is above maxQty " + f.marketMaxQty.str();
    if (f.marketStepSize.isPositive() && !(qty - f.marketMinQty).isMultipleOf(f.marketStepSize))
      return "MARKET_LOT_SIZE: quantity " + qty.str() + " is not a multiple of stepSize " +
             f.marketStepSize.str();
  }
  if (price) {
    Notional n = notional(*price, qty);
    if (f.minNotional && n < *f.minNotional)
      return "NOTIONAL: price * quantity " + n.str() + " is below minNotional " +
             f.minNotional->str();
    if (f.maxNotional && n > *f.maxNotional)
      return "NOTIONAL: price * quantity " + n.str() + " is above maxNotional " +
             f.maxNotional->str();
  }
  return "";
}

std::string parseOrder(std::string_view json, BinanceOrder& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  return parseOrderObj(d, out);
}

std::string parseOrders(std::string_view json, std::vector<BinanceOrder>& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  if (!d.IsArray()) return "orders: not an array";
  out.clear();
  for (const auto& o : d.GetArray()) {
    BinanceOrder b;
    TRY(parseOrderObj(o, b));
    out.push_back(std::move(b));
  }
  return "";
}

std::string parseTrades(std::string_view json, std::vector<BinanceTrade>& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  if (!d.IsArray()) return "trades: not an array";
  out.clear();
  for (const auto& o : d.GetArray()) {
    BinanceTrade t;
    TRY(parseTradeObj(o, t, false));
    out.push_back(std::move(t));
  }
  return "";
}

bool parseApiError(std::string_view json, ApiError& out) {
  rapidjson::Document d;
  if (!parseDoc(json, d).empty() || !d.IsObject()) return false;
  int64_t code = 0;
  std::string msg;
  if (!integer(d, "code", code).empty() || !text(d, "msg", msg).empty()) return false;
  out.code = static_cast<int>(code);
  out.msg = std::move(msg);
  return true;
}

std::string parseListenKey(std::string_view json, std::string& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  if (!d.IsObject()) return "listenKey: not an object";
  return text(d, "listenKey", out);
}

std::string parseServerTime(std::string_view json, int64_t& serverMs) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  if (!d.IsObject()) return "serverTime: not an object";
  return integer(d, "serverTime", serverMs);
}

namespace {
std::string levels(const Value& o, const char* key, std::vector<std::pair<Price, Qty>>& out) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsArray())
    return std::string("missing array '") + key + "'";
  out.clear();
  for (const auto& l : it->value.GetArray()) {
    if (!l.IsArray() || l.Size() < 2 || !l[0].IsString() || !l[1].IsString())
      return std::string("'") + key + "': a level is not [price, quantity]";
    auto px = Price::parse(std::string_view(l[0].GetString(), l[0].GetStringLength()));
    auto q = Qty::parse(std::string_view(l[1].GetString(), l[1].GetStringLength()));
    if (!px || !q)
      return std::string("'") + key + "': level '" + l[0].GetString() + "', '" + l[1].GetString() +
             "' is not an exact decimal with at most 8 places";
    out.emplace_back(*px, *q);
  }
  return "";
}
}  // namespace

std::string parseMarketStream(std::string_view json, MarketStreamMessage& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  if (!d.IsObject()) return "market stream: not an object";
  out = MarketStreamMessage{};
  if (d.HasMember("id") && (d.HasMember("result") || d.HasMember("error"))) {
    out.kind = MarketStreamMessage::Kind::Result;
    TRY(integer(d, "id", out.requestId, false));
    if (auto e = d.FindMember("error"); e != d.MemberEnd() && e->value.IsObject()) {
      std::string code, msg;
      text(e->value, "code", code, false);
      text(e->value, "msg", msg, false);
      out.error = "error " + code + ": " + msg;
    }
    return "";
  }
  const Value* data = &d;
  const auto sit = d.FindMember("stream");
  if (sit != d.MemberEnd() || d.HasMember("data")) {
    if (sit != d.MemberEnd()) {
      if (!sit->value.IsString()) return "market stream: field 'stream' is not a string";
      out.stream.assign(sit->value.GetString(), sit->value.GetStringLength());
    }
    auto dt = d.FindMember("data");
    if (dt == d.MemberEnd() || !dt->value.IsObject())
      return "market stream " + out.stream + ": missing object 'data'";
    data = &dt->value;
  }
  const Value& o = *data;
  const std::string where = "market stream" + (out.stream.empty() ? "" : " " + out.stream) + ": ";
  auto at = [&](const std::string& e) { return e.empty() ? e : where + e; };
  std::string ev;
  text(o, "e", ev, false);
  if (ev == "trade") {
    out.kind = MarketStreamMessage::Kind::Trade;
    TRY(at(text(o, "s", out.symbol)));
    TRY(at(text(o, "t", out.tradeId)));
    TRY(at(fixed(o, "p", out.price)));
    TRY(at(fixed(o, "q", out.qty)));
    TRY(at(integer(o, "T", out.tradeTimeMs)));
    return "";
  }
  if (!ev.empty()) return "";  // another event type: not ours to read
  if (o.HasMember("lastUpdateId")) {
    out.kind = MarketStreamMessage::Kind::Depth;
    // Partial depth carries no symbol: the combined stream's name says it.
    const size_t atSign = out.stream.find('@');
    if (atSign == std::string::npos || atSign == 0)
      return where + "partial depth without a stream name to take the symbol from";
    for (char c : out.stream.substr(0, atSign))
      out.symbol.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    TRY(at(integer(o, "lastUpdateId", out.updateId)));
    TRY(at(levels(o, "bids", out.bids)));
    TRY(at(levels(o, "asks", out.asks)));
    return "";
  }
  if (o.HasMember("u") && o.HasMember("b")) {
    out.kind = MarketStreamMessage::Kind::BookTicker;
    TRY(at(integer(o, "u", out.updateId)));
    TRY(at(text(o, "s", out.symbol)));
    TRY(at(fixed(o, "b", out.bidPx)));
    TRY(at(fixed(o, "B", out.bidQty)));
    TRY(at(fixed(o, "a", out.askPx)));
    TRY(at(fixed(o, "A", out.askQty)));
    return "";
  }
  return "";
}

std::string parseStreamEvent(std::string_view json, StreamEvent& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  if (!d.IsObject()) return "stream event: not an object";
  const Value* ev = &d;
  if (auto it = d.FindMember("event"); it != d.MemberEnd() && it->value.IsObject()) ev = &it->value;
  if (auto it = d.FindMember("data"); it != d.MemberEnd() && it->value.IsObject()) ev = &it->value;
  out = StreamEvent{};
  TRY(text(*ev, "e", out.eventType));
  if (out.eventType == "listenKeyExpired") {
    out.kind = StreamEvent::Kind::ListenKeyExpired;
    return "";
  }
  if (out.eventType != "executionReport") return "";
  out.kind = StreamEvent::Kind::ExecutionReport;
  auto& r = out.report;
  const Value& o = *ev;
  std::string e;
  auto at = [](const std::string& err) { return "executionReport: " + err; };
  if (!(e = text(o, "s", r.symbol)).empty()) return at(e);
  if (!(e = text(o, "c", r.clientOrderId)).empty()) return at(e);
  if (!(e = text(o, "C", r.origClientOrderId, false)).empty()) return at(e);
  if (!(e = text(o, "S", r.side)).empty()) return at(e);
  if (!(e = text(o, "o", r.orderType)).empty()) return at(e);
  if (!(e = text(o, "f", r.timeInForce)).empty()) return at(e);
  if (!(e = fixed(o, "q", r.qty)).empty()) return at(e);
  if (!(e = fixed(o, "p", r.price)).empty()) return at(e);
  if (!(e = fixed(o, "P", r.stopPrice, false)).empty()) return at(e);
  if (!(e = text(o, "x", r.execType)).empty()) return at(e);
  if (!(e = text(o, "X", r.status)).empty()) return at(e);
  if (!(e = text(o, "r", r.rejectReason)).empty()) return at(e);
  if (!(e = text(o, "i", r.orderId)).empty()) return at(e);
  if (!(e = fixed(o, "l", r.lastQty)).empty()) return at(e);
  if (!(e = fixed(o, "z", r.cumQty)).empty()) return at(e);
  if (!(e = fixed(o, "L", r.lastPrice)).empty()) return at(e);
  if (!(e = fixed(o, "n", r.commission, false)).empty()) return at(e);
  if (!(e = text(o, "N", r.commissionAsset, false)).empty()) return at(e);
  if (!(e = integer(o, "T", r.transactTimeMs)).empty()) return at(e);
  if (!(e = text(o, "t", r.tradeId)).empty()) return at(e);
  if (!(e = integer(o, "E", r.eventTimeMs)).empty()) return at(e);
  return "";
}

std::string mapOrderType(const VenueNewOrder& o, bool dayAsGtc, OrderTypeMapping& out) {
  auto tif = [&](std::string& s) -> std::string {
    switch (o.tif) {
      case TimeInForce::Gtc:
        s = "GTC";
        return "";
      case TimeInForce::Ioc:
        s = "IOC";
        return "";
      case TimeInForce::Fok:
        s = "FOK";
        return "";
      case TimeInForce::Day:
        if (dayAsGtc) {
          s = "GTC";
          return "";
        }
        return "TimeInForce DAY: Binance spot has no DAY orders (use GTC, or set day_as_gtc)";
      default:
        return std::string("TimeInForce ") + std::string(toString(o.tif)) +
               ": not supported by Binance spot";
    }
  };
  if (o.side == Side::SellShort) return "Side SellShort: Binance spot has no short sales";
  if (o.attrs.minQty) return "MinQty: not supported by Binance spot";
  if (o.attrs.expireTime != 0) return "ExpireTime: not supported by Binance spot";
  if (o.attrs.maxFloor) return "MaxFloor: icebergs are not supported by this adapter";
  out = {};
  switch (o.ordType) {
    case OrdType::Market:
      if (o.attrs.postOnly) return "ExecInst post-only: a market order cannot be post-only";
      if (o.tif != TimeInForce::Day && o.tif != TimeInForce::Ioc)
        return std::string("TimeInForce ") + std::string(toString(o.tif)) +
               ": a Binance MARKET order takes none";
      out.type = "MARKET";
      return "";
    case OrdType::Limit:
      if (!o.price) return "Price: required for a limit order";
      if (o.attrs.postOnly) {
        if (o.tif == TimeInForce::Ioc || o.tif == TimeInForce::Fok)
          return "ExecInst post-only: cannot be IOC or FOK";
        out.type = "LIMIT_MAKER";
        return "";
      }
      out.type = "LIMIT";
      return tif(out.timeInForce);
    case OrdType::Stop:
      if (!o.stopPx) return "StopPx: required for a stop order";
      if (o.attrs.postOnly) return "ExecInst post-only: a stop order cannot be post-only";
      out.type = "STOP_LOSS";
      return "";
    case OrdType::StopLimit:
      if (!o.stopPx) return "StopPx: required for a stop-limit order";
      if (!o.price) return "Price: required for a stop-limit order";
      if (o.attrs.postOnly) return "ExecInst post-only: a stop-limit order cannot be post-only";
      out.type = "STOP_LOSS_LIMIT";
      return tif(out.timeInForce);
  }
  return "OrdType: not supported by Binance spot";
}

std::string_view sideName(Side s) { return s == Side::Buy ? "BUY" : "SELL"; }

std::string checkClientOrderId(std::string_view id) {
  if (id.empty() || id.size() > 36)
    return "client order id '" + std::string(id) + "': Binance takes 1 to 36 characters";
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == ':' || c == '/' || c == '_' || c == '-';
    if (!ok)
      return "client order id '" + std::string(id) + "': character '" + std::string(1, c) +
             "' is outside Binance's [.A-Z:/a-z0-9_-]";
  }
  return "";
}

bool isTerminalStatus(std::string_view s) {
  return s == "FILLED" || s == "CANCELED" || s == "REJECTED" || s == "EXPIRED" ||
         s == "EXPIRED_IN_MATCH";
}

std::string decimal(int64_t m) { return formatDecimalMantissa(m); }

std::string decimal8(int64_t m) {
  std::string s = formatDecimalMantissa(m);
  auto dot = s.find('.');
  if (dot == std::string::npos) {
    s += ".";
    dot = s.size() - 1;
  }
  while (s.size() - dot - 1 < static_cast<size_t>(kScale)) s += '0';
  return s;
}

}  // namespace fixgw::binance
