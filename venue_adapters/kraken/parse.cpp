#include "venue_adapters/kraken/parse.h"

#include <openssl/sha.h>
#include <rapidjson/document.h>

#include <charconv>
#include <ctime>

namespace fixgw::kraken {

namespace {

using Value = rapidjson::Value;
constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag;

std::string parseDoc(std::string_view json, rapidjson::Document& d) {
  d.Parse<kFlags>(json.data(), json.size());
  if (d.HasParseError()) return "malformed JSON at offset " + std::to_string(d.GetErrorOffset());
  if (!d.IsObject()) return "not a JSON object";
  return "";
}

#define TRY(expr)                                 \
  do {                                            \
    if (auto e_ = (expr); !e_.empty()) return e_; \
  } while (0)

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

template <class F>
std::string fixed(const Value& o, const char* key, F& out, bool required = true) {
  std::string s;
  TRY(text(o, key, s, required));
  if (s.empty() && !required) return "";
  auto v = exactDecimal(s);
  if (!v)
    return std::string("field '") + key + "': '" + s +
           "' is not an exact decimal with at most 8 places";
  out = F::fromMantissa(*v);
  return "";
}

std::string integer(const Value& o, const char* key, int64_t& out, bool required = true) {
  std::string s;
  TRY(text(o, key, s, required));
  if (s.empty() && !required) return "";
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p != s.data() + s.size())
    return std::string("field '") + key + "': '" + s + "' is not an integer";
  return "";
}

// The envelope's result member, after checking error is empty.
std::string result(rapidjson::Document& d, const Value*& out) {
  auto e = d.FindMember("error");
  if (e == d.MemberEnd() || !e->value.IsArray()) return "missing array 'error'";
  if (!e->value.Empty()) {
    std::string all;
    for (const auto& x : e->value.GetArray())
      if (x.IsString()) all += (all.empty() ? "" : "; ") + std::string(x.GetString());
    return "kraken error: " + all;
  }
  auto r = d.FindMember("result");
  if (r == d.MemberEnd() || !r->value.IsObject()) return "missing object 'result'";
  out = &r->value;
  return "";
}

int64_t pow10(int n) {
  int64_t v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

std::string orderObj(const std::string& txid, const Value& o, KrakenOrder& out) {
  if (!o.IsObject()) return "order " + txid + " is not an object";
  out = {};
  out.txid = txid;
  TRY(text(o, "status", out.status));
  TRY(text(o, "cl_ord_id", out.clOrdId, false));
  TRY(integer(o, "userref", out.userref, false));
  TRY(text(o, "reason", out.reason, false));
  TRY(fixed(o, "vol", out.vol));
  TRY(fixed(o, "vol_exec", out.volExec));
  TRY(fixed(o, "fee", out.fee, false));
  TRY(fixed(o, "price", out.avgPrice, false));
  TRY(text(o, "oflags", out.oflags, false));
  std::string t;
  TRY(text(o, "opentm", t, false));
  if (!t.empty()) {
    auto ns = unixSecondsToNs(t);
    if (!ns) return "field 'opentm': '" + t + "' is not a unix time";
    out.openNs = *ns;
  }
  std::string exp;
  TRY(text(o, "expiretm", exp, false));
  out.timeInForce = exp.empty() || exp == "0" ? "GTC" : "GTD";
  auto d = o.FindMember("descr");
  if (d == o.MemberEnd() || !d->value.IsObject()) return "missing object 'descr'";
  TRY(text(d->value, "pair", out.pair));
  TRY(text(d->value, "type", out.side));
  TRY(text(d->value, "ordertype", out.orderType));
  std::string p;
  TRY(text(d->value, "price", p, false));
  if (!p.empty()) TRY(fixed(d->value, "price", out.price));
  TRY(text(d->value, "price2", p, false));
  if (!p.empty()) TRY(fixed(d->value, "price2", out.price2));
  auto tr = o.FindMember("trades");
  if (tr != o.MemberEnd() && tr->value.IsArray())
    for (const auto& x : tr->value.GetArray())
      if (x.IsString()) out.trades.emplace_back(x.GetString(), x.GetStringLength());
  return "";
}

std::string tradeObj(const std::string& id, const Value& o, KrakenTrade& out) {
  if (!o.IsObject()) return "trade " + id + " is not an object";
  out = {};
  out.tradeId = id;
  TRY(text(o, "ordertxid", out.orderTxid));
  TRY(text(o, "pair", out.pair));
  TRY(text(o, "type", out.side));
  TRY(fixed(o, "price", out.price));
  TRY(fixed(o, "vol", out.vol));
  TRY(fixed(o, "fee", out.fee));
  std::string t;
  TRY(text(o, "time", t));
  auto ns = unixSecondsToNs(t);
  if (!ns) return "field 'time': '" + t + "' is not a unix time";
  out.timeNs = *ns;
  return "";
}

std::string execObj(const Value& o, ExecReport& r) {
  if (!o.IsObject()) return "executions: an entry is not an object";
  TRY(text(o, "exec_type", r.execType));
  TRY(text(o, "order_id", r.orderId));
  TRY(text(o, "cl_ord_id", r.clOrdId, false));
  TRY(text(o, "symbol", r.symbol, false));
  TRY(text(o, "side", r.side, false));
  TRY(text(o, "order_type", r.orderType, false));
  TRY(text(o, "time_in_force", r.timeInForce, false));
  TRY(text(o, "order_status", r.orderStatus, false));
  TRY(fixed(o, "order_qty", r.orderQty, false));
  TRY(fixed(o, "cum_qty", r.cumQty, false));
  TRY(fixed(o, "limit_price", r.limitPrice, false));
  TRY(fixed(o, "stop_price", r.stopPrice, false));
  TRY(text(o, "reason", r.reason, false));
  std::string ts;
  TRY(text(o, "timestamp", ts, false));
  if (!ts.empty()) {
    auto ns = isoToNs(ts);
    if (!ns) return "field 'timestamp': '" + ts + "' is not an RFC 3339 time";
    r.timeNs = *ns;
  }
  if (r.execType == "trade") {
    TRY(text(o, "exec_id", r.execId));
    TRY(text(o, "trade_id", r.tradeId, false));
    TRY(fixed(o, "last_qty", r.lastQty));
    TRY(fixed(o, "last_price", r.lastPrice));
    auto f = o.FindMember("fees");
    if (f != o.MemberEnd()) {
      if (!f->value.IsArray()) return "field 'fees' is not an array";
      for (const auto& x : f->value.GetArray()) {
        if (!x.IsObject()) return "fees: an entry is not an object";
        ExecFee fee;
        TRY(text(x, "asset", fee.asset));
        TRY(fixed(x, "qty", fee.qty));
        r.fees.push_back(std::move(fee));
      }
    }
  }
  return "";
}

std::string levels(const Value& o, const char* key, std::vector<BookLevel>& out) {
  out.clear();
  auto it = o.FindMember(key);
  if (it == o.MemberEnd()) return "";
  if (!it->value.IsArray()) return std::string("field '") + key + "' is not an array";
  for (const auto& x : it->value.GetArray()) {
    if (!x.IsObject()) return std::string(key) + ": a level is not an object";
    BookLevel l;
    TRY(fixed(x, "price", l.price));
    TRY(fixed(x, "qty", l.qty));
    out.push_back(l);
  }
  return "";
}

}  // namespace

// ------------------------------------------------------------ numbers

std::optional<int64_t> exactDecimal(std::string_view s) {
  size_t e = s.find_first_of("eE");
  if (e == std::string_view::npos) return parseDecimalMantissa(s);
  std::string_view mant = s.substr(0, e), ex = s.substr(e + 1);
  if (!ex.empty() && ex[0] == '+') ex.remove_prefix(1);
  int exp = 0;
  auto [p, ec] = std::from_chars(ex.data(), ex.data() + ex.size(), exp);
  if (ec != std::errc() || p != ex.data() + ex.size() || ex.empty() || exp > 30 || exp < -30)
    return std::nullopt;
  // Move the decimal point in the text, then parse exactly.
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.remove_prefix(1);
  std::string digits;
  int pointAt = -1;
  for (char c : mant) {
    if (c == '.') {
      if (pointAt >= 0) return std::nullopt;
      pointAt = static_cast<int>(digits.size());
    } else if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  if (pointAt < 0) pointAt = static_cast<int>(digits.size());
  pointAt += exp;
  std::string out;
  if (pointAt <= 0) {
    out = "0." + std::string(static_cast<size_t>(-pointAt), '0') + digits;
  } else if (pointAt >= static_cast<int>(digits.size())) {
    out = digits + std::string(static_cast<size_t>(pointAt) - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<size_t>(pointAt)) + "." +
          digits.substr(static_cast<size_t>(pointAt));
  }
  // Trailing zeros after the point are exact: drop them before the 8-place check.
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return parseDecimalMantissa((neg ? "-" : "") + out);
}

std::optional<int64_t> unixSecondsToNs(std::string_view s) {
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  int64_t sec = 0;
  auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), sec);
  if (ec != std::errc() || p != whole.data() + whole.size() || whole.empty()) return std::nullopt;
  int64_t frac = 0;
  if (dot != std::string_view::npos) {
    std::string_view f = s.substr(dot + 1);
    if (f.size() > 9) return std::nullopt;
    for (char c : f) {
      if (c < '0' || c > '9') return std::nullopt;
      frac = frac * 10 + (c - '0');
    }
    frac *= pow10(9 - static_cast<int>(f.size()));
  }
  return sec * 1'000'000'000 + frac;
}

std::optional<int64_t> isoToNs(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fffffffff]Z
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s.back() != 'Z')
    return std::nullopt;
  auto num = [&](size_t at, size_t n, int& v) {
    auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
    return ec == std::errc() && p == s.data() + at + n;
  };
  int y, mo, d, h, mi, se;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, se))
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  int64_t sec = static_cast<int64_t>(timegm(&tm));
  int64_t frac = 0;
  if (s.size() > 20) {
    if (s[19] != '.') return std::nullopt;
    std::string_view f = s.substr(20, s.size() - 21);
    if (f.empty() || f.size() > 9) return std::nullopt;
    for (char c : f) {
      if (c < '0' || c > '9') return std::nullopt;
      frac = frac * 10 + (c - '0');
    }
    frac *= pow10(9 - static_cast<int>(f.size()));
  }
  return sec * 1'000'000'000 + frac;
}

std::string decimal(int64_t mantissa) { return formatDecimalMantissa(mantissa); }

std::string decimal8(int64_t m) {
  std::string s = m < 0 ? "-" : "";
  uint64_t a = m < 0 ? static_cast<uint64_t>(-(m + 1)) + 1 : static_cast<uint64_t>(m);
  std::string frac = std::to_string(a % kOne);
  s += std::to_string(a / kOne) + "." + std::string(8 - frac.size(), '0') + frac;
  return s;
}

// ------------------------------------------------------------ errors

ErrorClass classifyError(std::string_view e) {
  if (e == "EAPI:Invalid nonce") return ErrorClass::Nonce;
  if (e == "EAPI:Rate limit exceeded" || e == "EOrder:Rate limit exceeded" ||
      e == "EGeneral:Too many requests")
    return ErrorClass::RateLimited;
  if (e == "EAPI:Invalid key" || e == "EAPI:Invalid signature" ||
      e == "EGeneral:Permission denied" || e == "EAPI:Bad request")
    return ErrorClass::Auth;
  if (e.rfind("EService:", 0) == 0 || e == "EGeneral:Internal error") return ErrorClass::Unknown;
  return ErrorClass::Rejected;
}

std::string parseErrors(std::string_view json, std::vector<std::string>& errors) {
  errors.clear();
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  auto e = d.FindMember("error");
  if (e == d.MemberEnd() || !e->value.IsArray()) return "missing array 'error'";
  for (const auto& x : e->value.GetArray()) {
    if (!x.IsString()) return "error: an entry is not a string";
    errors.emplace_back(x.GetString(), x.GetStringLength());
  }
  return "";
}

// ------------------------------------------------------------ AssetPairs

const PairInfo* AssetPairs::find(std::string_view name) const {
  auto it = byKey.find(std::string(name));
  if (it != byKey.end()) return &it->second;
  for (const auto& [k, p] : byKey)
    if (p.altname == name || p.wsname == name || p.v2symbol == name) return &p;
  return nullptr;
}

std::string parseAssetPairs(std::string_view json, AssetPairs& out) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* r = nullptr;
  TRY(result(d, r));
  out.byKey.clear();
  for (auto it = r->MemberBegin(); it != r->MemberEnd(); ++it) {
    const std::string key(it->name.GetString(), it->name.GetStringLength());
    const Value& o = it->value;
    if (!o.IsObject()) return "pair " + key + " is not an object";
    PairInfo p;
    p.key = key;
    auto in = [&](std::string e) { return e.empty() ? e : "pair " + key + ": " + e; };
    TRY(in(text(o, "altname", p.altname)));
    TRY(in(text(o, "wsname", p.wsname, false)));
    TRY(in(text(o, "base", p.base)));
    TRY(in(text(o, "quote", p.quote)));
    TRY(in(text(o, "status", p.status, false)));
    if (p.status.empty()) p.status = "online";
    int64_t v = 0;
    TRY(in(integer(o, "pair_decimals", v)));
    p.pairDecimals = static_cast<int>(v);
    TRY(in(integer(o, "lot_decimals", v)));
    p.lotDecimals = static_cast<int>(v);
    TRY(in(integer(o, "cost_decimals", v, false)));
    p.costDecimals = static_cast<int>(v);
    if (p.pairDecimals < 0 || p.pairDecimals > 8)
      return "pair " + key + ": pair_decimals " + std::to_string(p.pairDecimals) +
             " is outside 0..8";
    if (p.lotDecimals < 0 || p.lotDecimals > 8)
      return "pair " + key + ": lot_decimals " + std::to_string(p.lotDecimals) + " is outside 0..8";
    p.tickSize = Price::fromMantissa(pow10(8 - p.pairDecimals));
    TRY(in(fixed(o, "tick_size", p.tickSize, false)));
    p.lotStep = Qty::fromMantissa(pow10(8 - p.lotDecimals));
    TRY(in(fixed(o, "ordermin", p.orderMin, false)));
    Notional cm;
    std::string s;
    TRY(in(text(o, "costmin", s, false)));
    if (!s.empty()) {
      TRY(in(fixed(o, "costmin", cm)));
      p.costMin = cm;
    }
    // WebSocket v2 names pairs with the common codes (BTC, DOGE) where v1's
    // wsname used Kraken's own (XBT, XDG).
    p.v2symbol = p.wsname;
    for (auto [from, to] : {std::pair{"XBT", "BTC"}, std::pair{"XDG", "DOGE"}}) {
      const std::string f = from;
      if (p.v2symbol.rfind(f + "/", 0) == 0) p.v2symbol = to + p.v2symbol.substr(f.size());
      if (p.v2symbol.size() > f.size() &&
          p.v2symbol.compare(p.v2symbol.size() - f.size() - 1, f.size() + 1, "/" + f) == 0)
        p.v2symbol = p.v2symbol.substr(0, p.v2symbol.size() - f.size()) + to;
    }
    out.byKey[key] = std::move(p);
  }
  return "";
}

std::string checkFilters(const PairInfo& p, std::optional<Price> price,
                         std::optional<Price> stopPrice, Qty qty, bool postOnly) {
  if (p.status != "online" && !(p.status == "post_only" && postOnly) &&
      !(p.status == "limit_only" && price))
    return "status: pair " + p.altname + " is " + p.status;
  auto checkPrice = [&](const char* what, Price px) -> std::string {
    if (!px.isPositive()) return std::string("price: ") + what + " " + px.str() + " must be > 0";
    if (p.tickSize.isPositive() && !px.isMultipleOf(p.tickSize))
      return std::string("tick_size: ") + what + " " + px.str() +
             " is not a multiple of tick_size " + p.tickSize.str() + " (pair_decimals " +
             std::to_string(p.pairDecimals) + ")";
    return "";
  };
  if (price) TRY(checkPrice("price", *price));
  if (stopPrice) TRY(checkPrice("trigger price", *stopPrice));
  if (!qty.isPositive()) return "volume: " + qty.str() + " must be > 0";
  if (!qty.isMultipleOf(p.lotStep))
    return "lot_decimals: volume " + qty.str() + " has more than " + std::to_string(p.lotDecimals) +
           " decimals";
  if (p.orderMin.isPositive() && qty < p.orderMin)
    return "ordermin: volume " + qty.str() + " is below ordermin " + p.orderMin.str();
  const std::optional<Price> ref = price ? price : stopPrice;
  if (p.costMin && ref && notional(*ref, qty) < *p.costMin)
    return "costmin: cost " + notional(*ref, qty).str() + " is below costmin " + p.costMin->str();
  return "";
}

// ------------------------------------------------------- orders and trades

std::string parseAddOrder(std::string_view json, std::string& txid) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* r = nullptr;
  TRY(result(d, r));
  auto t = r->FindMember("txid");
  if (t == r->MemberEnd() || !t->value.IsArray() || t->value.Empty() || !t->value[0].IsString())
    return "missing array 'txid'";
  txid.assign(t->value[0].GetString(), t->value[0].GetStringLength());
  return "";
}

std::string parseOrders(std::string_view json, const char* which, std::vector<KrakenOrder>& out) {
  out.clear();
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* r = nullptr;
  TRY(result(d, r));
  if (which && *which) {
    auto m = r->FindMember(which);
    if (m == r->MemberEnd() || !m->value.IsObject())
      return std::string("missing object 'result.") + which + "'";
    r = &m->value;
  }
  for (auto it = r->MemberBegin(); it != r->MemberEnd(); ++it) {
    KrakenOrder o;
    TRY(orderObj(std::string(it->name.GetString(), it->name.GetStringLength()), it->value, o));
    out.push_back(std::move(o));
  }
  return "";
}

std::string parseTrades(std::string_view json, bool history, std::vector<KrakenTrade>& out,
                        int64_t* total) {
  out.clear();
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* r = nullptr;
  TRY(result(d, r));
  if (history && total) TRY(integer(*r, "count", *total));
  if (history) {
    auto m = r->FindMember("trades");
    if (m == r->MemberEnd() || !m->value.IsObject()) return "missing object 'result.trades'";
    r = &m->value;
  }
  for (auto it = r->MemberBegin(); it != r->MemberEnd(); ++it) {
    KrakenTrade t;
    TRY(tradeObj(std::string(it->name.GetString(), it->name.GetStringLength()), it->value, t));
    out.push_back(std::move(t));
  }
  return "";
}

std::string parseToken(std::string_view json, std::string& token) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* r = nullptr;
  TRY(result(d, r));
  TRY(text(*r, "token", token));
  if (token.empty()) return "field 'token' is empty";
  return "";
}

std::string parseCancel(std::string_view json, int64_t& count) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* r = nullptr;
  TRY(result(d, r));
  return integer(*r, "count", count);
}

std::string parseAmend(std::string_view json, std::string& amendId) {
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  const Value* r = nullptr;
  TRY(result(d, r));
  return text(*r, "amend_id", amendId);
}

// ------------------------------------------------------ WebSocket v2

std::string parseWsMessage(std::string_view json, WsMessage& out) {
  out = {};
  rapidjson::Document d;
  TRY(parseDoc(json, d));
  if (d.HasMember("method")) {
    out.kind = WsMessage::Kind::MethodAck;
    TRY(text(d, "method", out.method));
    std::string s;
    TRY(text(d, "success", s, false));
    out.success = s == "true";
    TRY(text(d, "error", out.error, false));
    auto r = d.FindMember("result");
    if (r != d.MemberEnd() && r->value.IsObject())
      TRY(text(r->value, "channel", out.channel, false));
    return "";
  }
  TRY(text(d, "channel", out.channel));
  TRY(text(d, "type", out.type, false));
  if (out.channel == "heartbeat") {
    out.kind = WsMessage::Kind::Heartbeat;
    return "";
  }
  if (out.channel == "status") {
    out.kind = WsMessage::Kind::Status;
    return "";
  }
  auto data = d.FindMember("data");
  const bool known = out.channel == "executions" || out.channel == "ticker" ||
                     out.channel == "book" || out.channel == "trade";
  if (!known) return "";
  if (data == d.MemberEnd() || !data->value.IsArray()) return "missing array 'data'";
  const auto& arr = data->value;
  if (out.channel == "executions") {
    out.kind = WsMessage::Kind::Executions;
    for (const auto& x : arr.GetArray()) {
      ExecReport r;
      TRY(execObj(x, r));
      out.execs.push_back(std::move(r));
    }
    return "";
  }
  if (out.channel == "trade") {
    out.kind = WsMessage::Kind::Trade;
    for (const auto& x : arr.GetArray()) {
      if (!x.IsObject()) return "trade: an entry is not an object";
      Trade t;
      std::string sym, ts;
      TRY(text(x, "symbol", sym));
      TRY(fixed(x, "price", t.price));
      TRY(fixed(x, "qty", t.qty));
      TRY(text(x, "timestamp", ts, false));
      if (!ts.empty()) {
        auto ns = isoToNs(ts);
        if (!ns) return "field 'timestamp': '" + ts + "' is not an RFC 3339 time";
        t.time = *ns;
      }
      out.symbol = sym;
      t.symbol = Symbol(sym);
      out.trades.push_back(std::move(t));
    }
    return "";
  }
  if (arr.Empty()) return "field 'data' is empty";
  const Value& x = arr[0];
  if (!x.IsObject()) return "data: the entry is not an object";
  TRY(text(x, "symbol", out.symbol));
  if (out.channel == "ticker") {
    out.kind = WsMessage::Kind::Ticker;
    Price b, a;
    TRY(fixed(x, "bid", b));
    TRY(fixed(x, "ask", a));
    TRY(fixed(x, "bid_qty", out.bidQty));
    TRY(fixed(x, "ask_qty", out.askQty));
    out.bid = b;
    out.ask = a;
    return "";
  }
  out.kind = WsMessage::Kind::Book;
  TRY(levels(x, "bids", out.bids));
  TRY(levels(x, "asks", out.asks));
  return "";
}

// ---------------------------------------------------------------- mapping

std::string mapOrderType(const VenueNewOrder& o, bool dayAsGtc, OrderMapping& out) {
  out = {};
  if (o.side == Side::SellShort) return "Side SellShort: Kraken spot has no short sales";
  if (o.attrs.minQty) return "MinQty: not supported by Kraken spot";
  if (o.attrs.maxFloor) return "MaxFloor: iceberg orders are not supported by this adapter";
  switch (o.tif) {
    case TimeInForce::Gtc:
      out.timeInForce = "GTC";
      break;
    case TimeInForce::Ioc:
      out.timeInForce = "IOC";
      break;
    case TimeInForce::GoodTillDate:
      if (o.attrs.expireTime <= 0) return "ExpireTime: required for TimeInForce GTD";
      out.timeInForce = "GTD";
      out.expireSec = o.attrs.expireTime / 1'000'000'000;
      break;
    case TimeInForce::Day:
      if (dayAsGtc) {
        out.timeInForce = "GTC";
        break;
      }
      return "TimeInForce DAY: Kraken spot has no DAY orders (use GTC, or set day_as_gtc)";
    default:
      return std::string("TimeInForce ") + std::string(toString(o.tif)) +
             ": Kraken spot takes GTC, IOC or GTD";
  }
  switch (o.ordType) {
    case OrdType::Market:
      if (o.attrs.postOnly) return "ExecInst post-only: a market order cannot be post-only";
      if (o.tif == TimeInForce::GoodTillDate) return "TimeInForce GTD: not for a market order";
      out.orderType = "market";
      out.timeInForce.clear();
      return "";
    case OrdType::Limit:
      if (!o.price) return "Price: required for a limit order";
      out.orderType = "limit";
      if (o.attrs.postOnly) {
        if (o.tif == TimeInForce::Ioc) return "ExecInst post-only: cannot be IOC";
        out.oflags = "post";
      }
      return "";
    case OrdType::Stop:
      if (!o.stopPx) return "StopPx: required for a stop order";
      if (o.attrs.postOnly) return "ExecInst post-only: not for a stop order";
      out.orderType = "stop-loss";
      return "";
    case OrdType::StopLimit:
      if (!o.stopPx) return "StopPx: required for a stop-limit order";
      if (!o.price) return "Price: required for a stop-limit order";
      if (o.attrs.postOnly) return "ExecInst post-only: not for a stop-limit order";
      out.orderType = "stop-loss-limit";
      return "";
  }
  return "OrdType: not supported by Kraken spot";
}

std::string_view sideName(Side s) { return s == Side::Buy ? "buy" : "sell"; }

std::string clientOrderIdFor(std::string_view id) {
  bool fits = !id.empty() && id.size() <= 18;
  for (char c : id) fits = fits && c > 0x20 && c < 0x7f;
  if (fits) return std::string(id);
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), h);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    s.push_back(hex[h[i] >> 4]);
    s.push_back(hex[h[i] & 0xF]);
  }
  return s;
}

std::string commonAsset(std::string a) {
  if (a.size() == 4 && (a[0] == 'X' || a[0] == 'Z')) a = a.substr(1);
  if (a == "XBT") return "BTC";
  if (a == "XDG") return "DOGE";
  return a;
}

bool isTerminalStatus(std::string_view s) {
  return s == "closed" || s == "canceled" || s == "expired" || s == "filled";
}

}  // namespace fixgw::kraken
