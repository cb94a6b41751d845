#include "venue_adapters/alpaca/parse.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>

namespace fixgw::alpaca {

namespace {

constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag;
using Value = rapidjson::Value;

std::string parseDoc(std::string_view json, rapidjson::Document& d) {
  d.Parse<kFlags>(json.data(), json.size());
  if (d.HasParseError()) return "not JSON (offset " + std::to_string(d.GetErrorOffset()) + ")";
  return "";
}

// A string (or a number, which arrives as text) field; "" when absent or null.
std::string text(const Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool flag(const Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd()) return false;
  if (it->value.IsBool()) return it->value.GetBool();
  return it->value.IsString() && std::string_view(it->value.GetString()) == "true";
}

// An exact decimal field; nullopt when absent or null; an error naming the
// field when present but not a plain decimal of at most 8 places.
template <class F>
std::string decimal(const Value& o, const char* k, std::optional<F>& out) {
  out.reset();
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || it->value.IsNull()) return "";
  if (!it->value.IsString()) return std::string(k) + ": not a number";
  std::string_view s(it->value.GetString(), it->value.GetStringLength());
  if (s.empty()) return "";
  auto v = F::parse(s);
  if (!v) return std::string(k) + ": '" + std::string(s) + "' is not a decimal of at most 8 places";
  out = *v;
  return "";
}

std::string orderFrom(const Value& v, AlpacaOrder& o) {
  if (!v.IsObject()) return "order: not an object";
  o.id = text(v, "id");
  if (o.id.empty()) return "order: id missing";
  o.clientOrderId = text(v, "client_order_id");
  o.symbol = text(v, "symbol");
  o.side = text(v, "side");
  o.type = text(v, "type");
  if (o.type.empty()) o.type = text(v, "order_type");
  o.timeInForce = text(v, "time_in_force");
  o.status = text(v, "status");
  o.replacedBy = text(v, "replaced_by");
  o.replaces = text(v, "replaces");
  o.extendedHours = flag(v, "extended_hours");
  std::optional<Qty> filled;
  for (auto e : {decimal(v, "qty", o.qty), decimal(v, "notional", o.notional),
                 decimal(v, "filled_qty", filled), decimal(v, "limit_price", o.limitPrice),
                 decimal(v, "stop_price", o.stopPrice), decimal(v, "commission", o.commission)})
    if (!e.empty()) return "order " + o.id + ": " + e;
  o.filledQty = filled.value_or(Qty());
  return "";
}

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<WallNanos> parseIsoTime(std::string_view s) {
  auto num = [&](size_t at, size_t n, int64_t& v) {
    if (at + n > s.size()) return false;
    v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  int64_t y, mo, d, h, mi, se;
  if (!num(0, 4, y) || s.size() < 19 || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' ||
      !num(8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !num(11, 2, h) || s[13] != ':' ||
      !num(14, 2, mi) || s[16] != ':' || !num(17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  size_t at = 19;
  int64_t frac = 0;
  if (at < s.size() && s[at] == '.') {
    int64_t scale = 100'000'000;
    ++at;
    size_t start = at;
    while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]))) {
      frac += (s[at] - '0') * scale;  // digits past nanoseconds add 0
      scale /= 10;
      ++at;
    }
    if (at == start) return std::nullopt;
  }
  int64_t offsetSec = 0;
  if (at < s.size() && s[at] == 'Z') {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int64_t oh, om;
    const bool neg = s[at] == '-';
    if (!num(at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' || !num(at + 4, 2, om))
      return std::nullopt;
    offsetSec = (oh * 3600 + om * 60) * (neg ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != s.size()) return std::nullopt;
  const int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offsetSec;
  return secs * 1'000'000'000 + frac;
}

std::string parseApiError(std::string_view json, ApiError& out) {
  rapidjson::Document d;
  if (auto e = parseDoc(json, d); !e.empty()) return e;
  if (!d.IsObject() || !d.HasMember("message")) return "not an Alpaca error";
  out.message = text(d, "message");
  out.code = 0;
  const std::string code = text(d, "code");
  for (char ch : code) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return "code: not a number";
    out.code = out.code * 10 + (ch - '0');
  }
  return "";
}

std::string parseOrder(std::string_view json, AlpacaOrder& out) {
  rapidjson::Document d;
  if (auto e = parseDoc(json, d); !e.empty()) return e;
  out = AlpacaOrder();
  return orderFrom(d, out);
}

std::string parseOrders(std::string_view json, std::vector<AlpacaOrder>& out) {
  rapidjson::Document d;
  if (auto e = parseDoc(json, d); !e.empty()) return e;
  if (!d.IsArray()) return "orders: not an array";
  out.clear();
  for (const auto& v : d.GetArray()) {
    AlpacaOrder o;
    if (auto e = orderFrom(v, o); !e.empty()) return e;
    out.push_back(std::move(o));
  }
  return "";
}

std::string parseAsset(std::string_view json, Asset& out) {
  rapidjson::Document d;
  if (auto e = parseDoc(json, d); !e.empty()) return e;
  if (!d.IsObject()) return "asset: not an object";
  out = Asset();
  out.symbol = text(d, "symbol");
  if (out.symbol.empty()) return "asset: symbol missing";
  out.assetClass = text(d, "class");
  out.status = text(d, "status");
  out.tradable = flag(d, "tradable");
  out.fractionable = flag(d, "fractionable");
  out.shortable = flag(d, "shortable");
  for (auto e : {decimal(d, "min_order_size", out.minOrderSize),
                 decimal(d, "min_trade_increment", out.minTradeIncrement),
                 decimal(d, "price_increment", out.priceIncrement)})
    if (!e.empty()) return "asset " + out.symbol + ": " + e;
  return "";
}

std::string parseClock(std::string_view json, MarketClock& out) {
  rapidjson::Document d;
  if (auto e = parseDoc(json, d); !e.empty()) return e;
  if (!d.IsObject() || !d.HasMember("is_open")) return "clock: is_open missing";
  out = MarketClock();
  out.isOpen = flag(d, "is_open");
  const char* keys[] = {"timestamp", "next_open", "next_close"};
  WallNanos* dst[] = {&out.timestamp, &out.nextOpen, &out.nextClose};
  for (int i = 0; i < 3; ++i) {
    auto t = parseIsoTime(text(d, keys[i]));
    if (!t) return std::string("clock: ") + keys[i] + ": not an ISO-8601 time";
    *dst[i] = *t;
  }
  return "";
}

std::string parseFillActivities(std::string_view json, std::vector<FillActivity>& out) {
  rapidjson::Document d;
  if (auto e = parseDoc(json, d); !e.empty()) return e;
  if (!d.IsArray()) return "activities: not an array";
  out.clear();
  for (const auto& v : d.GetArray()) {
    if (!v.IsObject()) return "activity: not an object";
    if (text(v, "activity_type") != "FILL") continue;
    FillActivity f;
    f.id = text(v, "id");
    const size_t sep = f.id.find("::");
    if (f.id.empty() || sep == std::string::npos)
      return "activity: id '" + f.id + "' is not <time>::<id>";
    f.execId = f.id.substr(sep + 2);
    f.orderId = text(v, "order_id");
    f.symbol = text(v, "symbol");
    f.side = text(v, "side");
    f.type = text(v, "type");
    f.orderStatus = text(v, "order_status");
    std::optional<Qty> q, c, l;
    std::optional<Price> p;
    for (auto e : {decimal(v, "qty", q), decimal(v, "cum_qty", c), decimal(v, "leaves_qty", l),
                   decimal(v, "price", p)})
      if (!e.empty()) return "activity " + f.id + ": " + e;
    if (!q || !p) return "activity " + f.id + ": qty or price missing";
    f.qty = *q;
    f.price = *p;
    f.cumQty = c.value_or(Qty());
    f.leavesQty = l.value_or(Qty());
    auto t = parseIsoTime(text(v, "transaction_time"));
    if (!t) return "activity " + f.id + ": transaction_time: not an ISO-8601 time";
    f.time = *t;
    out.push_back(std::move(f));
  }
  return "";
}

std::string parseStreamMessage(std::string_view json, StreamMessage& out) {
  rapidjson::Document d;
  if (auto e = parseDoc(json, d); !e.empty()) return e;
  if (!d.IsObject()) return "stream message: not an object";
  out = StreamMessage();
  const std::string stream = text(d, "stream");
  auto data = d.FindMember("data");
  if (stream.empty() || data == d.MemberEnd() || !data->value.IsObject())
    return "stream message: stream or data missing";
  const Value& v = data->value;
  if (stream == "authorization") {
    out.kind = StreamMessage::Kind::Authorization;
    out.status = text(v, "status");
    return "";
  }
  if (stream == "listening") {
    out.kind = StreamMessage::Kind::Listening;
    auto s = v.FindMember("streams");
    if (s != v.MemberEnd() && s->value.IsArray())
      for (const auto& x : s->value.GetArray())
        if (x.IsString()) out.streams.emplace_back(x.GetString());
    return "";
  }
  if (stream != "trade_updates") return "";
  out.kind = StreamMessage::Kind::TradeUpdate;
  out.event = text(v, "event");
  if (out.event.empty()) return "trade update: event missing";
  out.executionId = text(v, "execution_id");
  for (auto e : {decimal(v, "qty", out.qty), decimal(v, "position_qty", out.positionQty),
                 decimal(v, "price", out.price)})
    if (!e.empty()) return "trade update: " + e;
  const std::string ts = text(v, "timestamp");
  if (!ts.empty()) {
    auto t = parseIsoTime(ts);
    if (!t) return "trade update: timestamp: not an ISO-8601 time";
    out.time = *t;
  }
  auto o = v.FindMember("order");
  if (o == v.MemberEnd()) return "trade update: order missing";
  if (auto e = orderFrom(o->value, out.order); !e.empty()) return "trade update: " + e;
  if ((out.event == "fill" || out.event == "partial_fill") &&
      (out.executionId.empty() || !out.qty || !out.price))
    return "trade update " + out.event + ": execution_id, qty or price missing";
  return "";
}

std::string parseDataMessages(std::string_view json, std::vector<DataMessage>& out) {
  rapidjson::Document d;
  if (auto e = parseDoc(json, d); !e.empty()) return e;
  if (!d.IsArray()) return "market data: not an array";
  out.clear();
  for (const auto& v : d.GetArray()) {
    if (!v.IsObject()) return "market data: not an object";
    DataMessage m;
    m.type = text(v, "T");
    m.symbol = text(v, "S");
    m.msg = text(v, "msg");
    for (char ch : text(v, "code"))
      if (std::isdigit(static_cast<unsigned char>(ch))) m.code = m.code * 10 + (ch - '0');
    for (auto e :
         {decimal(v, "p", m.price), decimal(v, "bp", m.bidPx), decimal(v, "ap", m.askPx),
          decimal(v, "s", m.size), decimal(v, "bs", m.bidSize), decimal(v, "as", m.askSize)})
      if (!e.empty()) return "market data " + m.type + " " + m.symbol + ": " + e;
    const std::string t = text(v, "t");
    if (!t.empty()) {
      auto ns = parseIsoTime(t);
      if (!ns) return "market data " + m.type + ": t: not an ISO-8601 time";
      m.time = *ns;
    }
    if (m.type == "t" && (!m.price || !m.size)) return "market data trade: p or s missing";
    out.push_back(std::move(m));
  }
  return "";
}

// ---------------------------------------------------------------- mapping

std::string mapOrder(const VenueNewOrder& o, OrderTerms& t) {
  t = OrderTerms();
  t.side = o.side == Side::Buy ? "buy" : "sell";  // a short sale is a sell without a position
  switch (o.ordType) {
    case OrdType::Market:
      t.type = "market";
      break;
    case OrdType::Limit:
      t.type = "limit";
      break;
    case OrdType::Stop:
      t.type = "stop";
      break;
    case OrdType::StopLimit:
      t.type = "stop_limit";
      break;
  }
  switch (o.tif) {
    case TimeInForce::Day:
      t.timeInForce = "day";
      break;
    case TimeInForce::Gtc:
      t.timeInForce = "gtc";
      break;
    case TimeInForce::Ioc:
      t.timeInForce = "ioc";
      break;
    case TimeInForce::Fok:
      t.timeInForce = "fok";
      break;
    case TimeInForce::AtTheOpening:
      t.timeInForce = "opg";
      break;
    case TimeInForce::GoodTillDate:
      return "TimeInForce GTD: Alpaca has no good-till-date (day, gtc, opg, cls, ioc, fok)";
  }
  if (t.timeInForce == "opg" && t.type != "market" && t.type != "limit")
    return "TimeInForce OPG: Alpaca takes opg for market and limit orders only";
  if ((t.type == "limit" || t.type == "stop_limit") && !o.price)
    return "Price: required for a " + t.type + " order";
  if ((t.type == "stop" || t.type == "stop_limit") && !o.stopPx)
    return "StopPx: required for a " + t.type + " order";
  if (o.attrs.postOnly) return "ExecInst 6 (post-only): Alpaca has no post-only orders";
  if (o.attrs.minQty) return "MinQty: Alpaca has no minimum execution quantity";
  if (o.attrs.maxFloor) return "MaxFloor: Alpaca has no reserve (iceberg) orders";
  if (o.attrs.expireTime != 0) return "ExpireTime: Alpaca has no good-till-date";
  if (!o.qty.isPositive()) return "OrderQty: must be > 0";
  t.fractional = o.qty.mantissa() % kOne != 0;
  return "";
}

OrdType ordTypeOf(const std::string& a) {
  if (a == "market") return OrdType::Market;
  if (a == "stop") return OrdType::Stop;
  if (a == "stop_limit") return OrdType::StopLimit;
  return OrdType::Limit;
}

TimeInForce tifOf(const std::string& a) {
  if (a == "gtc") return TimeInForce::Gtc;
  if (a == "ioc") return TimeInForce::Ioc;
  if (a == "fok") return TimeInForce::Fok;
  if (a == "opg") return TimeInForce::AtTheOpening;
  return TimeInForce::Day;  // day; cls has no TimeInForce of ours (FIX 7 is not in core)
}

Side sideOf(const std::string& a) { return a == "sell" ? Side::Sell : Side::Buy; }

OrdStatus statusOf(const std::string& s) {
  if (s == "partially_filled") return OrdStatus::PartiallyFilled;
  if (s == "filled") return OrdStatus::Filled;
  if (s == "canceled") return OrdStatus::Canceled;
  if (s == "expired") return OrdStatus::Expired;
  if (s == "rejected") return OrdStatus::Rejected;
  if (s == "pending_cancel") return OrdStatus::PendingCancel;
  if (s == "pending_replace") return OrdStatus::PendingReplace;
  if (s == "pending_new" || s == "accepted" || s == "accepted_for_bidding")
    return OrdStatus::PendingNew;
  // new, done_for_day (no more fills today, still open: we have no FIX
  // DoneForDay status), stopped, calculated, suspended, held.
  return OrdStatus::New;
}

bool isTerminal(const std::string& s) {
  return s == "filled" || s == "canceled" || s == "expired" || s == "rejected" || s == "replaced";
}

std::string checkAsset(const Asset& a, const OrderTerms& t, Qty qty, std::optional<Price> limit,
                       std::optional<Price> stop, bool sellShort) {
  if (!a.tradable || (!a.status.empty() && a.status != "active"))
    return "asset " + a.symbol + ": not tradable at Alpaca";
  if (t.fractional) {
    if (!a.fractionable) return "qty " + qty.str() + ": " + a.symbol + " is not fractionable";
    if (t.type != "market" || t.timeInForce != "day")
      return "qty " + qty.str() + ": fractional orders must be market DAY orders";
  }
  if (sellShort && !a.shortable) return "asset " + a.symbol + ": not shortable at Alpaca";
  if (a.minOrderSize && qty < *a.minOrderSize)
    return "min_order_size: qty " + qty.str() + " is below " + a.minOrderSize->str();
  if (a.minTradeIncrement && a.minTradeIncrement->isPositive() &&
      qty.mantissa() % a.minTradeIncrement->mantissa() != 0)
    return "min_trade_increment: qty " + qty.str() + " is not a multiple of " +
           a.minTradeIncrement->str();
  for (auto [name, px] : {std::pair{"limit_price", limit}, std::pair{"stop_price", stop}}) {
    if (!px) continue;
    if (!px->isPositive()) return std::string(name) + ": must be > 0";
    if (a.priceIncrement && a.priceIncrement->isPositive()) {
      if (px->mantissa() % a.priceIncrement->mantissa() != 0)
        return std::string("price_increment: ") + name + " " + px->str() +
               " is not a multiple of " + a.priceIncrement->str();
    } else {
      // Equities: whole cents at or above $1, 4 decimals below (Alpaca's
      // "sub-penny increment does not fulfill minimum pricing criteria").
      const int64_t step = px->mantissa() >= kOne ? kOne / 100 : kOne / 10'000;
      if (px->mantissa() % step != 0)
        return std::string(name) + ": " + px->str() +
               " is a sub-penny increment (2 decimals from $1, 4 below)";
    }
  }
  return "";
}

std::string checkClientOrderId(const std::string& id) {
  if (id.empty() || id.size() > 100)
    return "client_order_id: child id '" + id.substr(0, 40) + "' must be 1 to 100 characters";
  for (char ch : id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_')
      return "client_order_id: child id '" + id + "' has a character other than [A-Za-z0-9_-]";
  return "";
}

std::string replacementClientOrderId(const std::string& childId, int64_t n) {
  return childId + ".r" + std::to_string(n);
}

std::string childIdOf(const std::string& clientOrderId) {
  const size_t at = clientOrderId.rfind(".r");
  return at == std::string::npos ? clientOrderId : clientOrderId.substr(0, at);
}

namespace {
using W = rapidjson::Writer<rapidjson::StringBuffer>;
void kv(W& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
}  // namespace

std::string orderBody(const std::string& symbol, Qty qty, const OrderTerms& t,
                      std::optional<Price> limit, std::optional<Price> stop,
                      const std::string& clientOrderId) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.StartObject();
  kv(w, "symbol", symbol);
  kv(w, "qty", qty.str());  // decimals as strings, as Alpaca documents them
  kv(w, "side", t.side);
  kv(w, "type", t.type);
  kv(w, "time_in_force", t.timeInForce);
  if (limit) kv(w, "limit_price", limit->str());
  if (stop) kv(w, "stop_price", stop->str());
  if (t.extendedHours) {
    w.Key("extended_hours");
    w.Bool(true);
  }
  kv(w, "client_order_id", clientOrderId);
  w.EndObject();
  return sb.GetString();
}

std::string replaceBody(Qty qty, std::optional<Price> limit, std::optional<Price> stop,
                        const std::string& clientOrderId) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.StartObject();
  kv(w, "qty", qty.str());
  if (limit) kv(w, "limit_price", limit->str());
  if (stop) kv(w, "stop_price", stop->str());
  kv(w, "client_order_id", clientOrderId);
  w.EndObject();
  return sb.GetString();
}

}  // namespace fixgw::alpaca
