#include "venue_adapters/okx/parse.h"

#include <openssl/sha.h>
#include <rapidjson/document.h>

#include <cctype>

namespace fixgw::okx {

namespace {

using Value = rapidjson::Value;

bool parseDoc(std::string_view json, rapidjson::Document& d, std::string& err) {
  d.Parse<rapidjson::kParseNumbersAsStringsFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    err = "not a JSON object";
    return false;
  }
  return true;
}

// A string member ("" when absent or null); numbers arrive as text too.
std::string str(const Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// An exact decimal member: absent or "" gives dflt; anything else that is
// not a decimal of at most 8 places is an error naming the field.
template <class F>
bool dec(const Value& o, const char* k, F& out, std::string& err, const char* ctx) {
  std::string s = str(o, k);
  if (s.empty()) return true;
  auto v = F::parse(s);
  if (!v) {
    err = std::string(ctx) + "." + k + ": '" + s + "' is not an exact decimal (max 8 places)";
    return false;
  }
  out = *v;
  return true;
}

// A fee: absent gives nullopt; over-precise gives nullopt and `why`.
std::optional<Qty> optionalFee(const Value& o, const char* k, const char* ctx, std::string& why) {
  if (str(o, k).empty()) return std::nullopt;
  Qty q;
  std::string err;
  if (!dec(o, k, q, err, ctx)) {
    why = err;
    return std::nullopt;
  }
  return q;
}

int64_t ms(const Value& o, const char* k) {
  std::string s = str(o, k);
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

const Value* dataArray(const rapidjson::Document& d, std::string& err) {
  auto it = d.FindMember("data");
  if (it == d.MemberEnd() || !it->value.IsArray()) {
    err = "data: missing or not an array";
    return nullptr;
  }
  return &it->value;
}

bool readOrder(const Value& v, OkxOrder& o, std::string& err) {
  if (!v.IsObject()) {
    err = "order: not an object";
    return false;
  }
  o.instType = str(v, "instType");
  o.instId = str(v, "instId");
  o.ordId = str(v, "ordId");
  o.clOrdId = str(v, "clOrdId");
  o.side = str(v, "side");
  o.ordType = str(v, "ordType");
  o.state = str(v, "state");
  o.tdMode = str(v, "tdMode");
  o.tradeId = str(v, "tradeId");
  // The per-fill fee currency is fillFeeCcy; feeCcy is the order's.
  o.feeCcy = str(v, "fillFeeCcy");
  if (o.feeCcy.empty()) o.feeCcy = str(v, "feeCcy");
  o.cancelSource = str(v, "cancelSource");
  o.amendResult = str(v, "amendResult");
  o.code = str(v, "code");
  o.msg = str(v, "msg");
  o.uTimeMs = ms(v, "uTime");
  o.fillTimeMs = ms(v, "fillTime");
  if (o.ordId.empty()) {
    err = "order.ordId: missing";
    return false;
  }
  Qty fee;
  if (!dec(v, "px", o.px, err, "order") || !dec(v, "fillPx", o.fillPx, err, "order") ||
      !dec(v, "avgPx", o.avgPx, err, "order") || !dec(v, "sz", o.sz, err, "order") ||
      !dec(v, "accFillSz", o.accFillSz, err, "order") || !dec(v, "fillSz", o.fillSz, err, "order"))
    return false;
  // The orders push names this fill's fee `fillFee`; `fee` is the order's
  // accumulated fee. Both negative = charged.
  o.fee = optionalFee(v, "fillFee", "order", o.feeError);
  return true;
}

// books5: data[0] = {asks:[[px,sz,"0",n],...], bids:[...], ts}; trades:
// data = [{instId, tradeId, px, sz, side, ts}].
std::string readPublic(const rapidjson::Document& d, const std::string& channel, WsMessage& out) {
  std::string err;
  out.instId = str(d["arg"], "instId");
  const Value* data = dataArray(d, err);
  if (!data) return err;
  if (channel == "trades") {
    out.kind = WsMessage::Kind::Trades;
    for (const auto& v : data->GetArray()) {
      if (!v.IsObject()) return "trade: not an object";
      Trade t;
      if (!dec(v, "px", t.price, err, "trade") || !dec(v, "sz", t.qty, err, "trade")) return err;
      t.time = ms(v, "ts") * 1'000'000;
      out.trades.push_back(t);
    }
    return "";
  }
  out.kind = WsMessage::Kind::Book;
  if (data->Empty() || !(*data)[0].IsObject()) return "books5: empty data";
  const Value& b = (*data)[0];
  out.tsMs = ms(b, "ts");
  for (const char* side : {"bids", "asks"}) {
    auto it = b.FindMember(side);
    if (it == b.MemberEnd() || !it->value.IsArray())
      return std::string("books5.") + side + ": missing";
    for (const auto& l : it->value.GetArray()) {
      if (!l.IsArray() || l.Size() < 2 || !l[0].IsString() || !l[1].IsString())
        return std::string("books5.") + side + ": level is not [px, sz, ...]";
      auto px = Price::parse(l[0].GetString());
      auto sz = Qty::parse(l[1].GetString());
      if (!px || !sz) return std::string("books5.") + side + ": not an exact decimal";
      (side[0] == 'b' ? out.bids : out.asks).push_back({*px, *sz});
    }
  }
  return "";
}

}  // namespace

ErrorClass classifyCode(std::string_view c) {
  if (c == "0" || c.empty()) return ErrorClass::Ok;
  if (c == "50011" || c == "50061") return ErrorClass::RateLimited;
  if (c == "50102") return ErrorClass::Timestamp;
  if (c == "50001" || c == "50004" || c == "50013" || c == "50026") return ErrorClass::Unknown;
  if (c.size() == 5 && c.substr(0, 3) == "501" && c[3] <= '1') return ErrorClass::Auth;
  return ErrorClass::Rejected;
}

std::string parseEnvelope(std::string_view json, Envelope& out) {
  rapidjson::Document d;
  std::string err;
  if (!parseDoc(json, d, err)) return err;
  auto code = d.FindMember("code");
  if (code == d.MemberEnd() || !code->value.IsString()) return "code: missing";
  out.code = code->value.GetString();
  out.msg = str(d, "msg");
  auto data = d.FindMember("data");
  if (data != d.MemberEnd() && data->value.IsArray()) {
    out.dataCount = data->value.Size();
    if (out.dataCount > 0 && data->value[0].IsObject()) {
      const Value& e = data->value[0];
      out.sCode = str(e, "sCode");
      out.sMsg = str(e, "sMsg");
      out.ordId = str(e, "ordId");
      out.clOrdId = str(e, "clOrdId");
    }
  }
  return "";
}

std::string parseInstruments(std::string_view json, std::map<std::string, InstInfo>& out) {
  rapidjson::Document d;
  std::string err;
  if (!parseDoc(json, d, err)) return err;
  if (str(d, "code") != "0") return "code " + str(d, "code") + ": " + str(d, "msg");
  const Value* data = dataArray(d, err);
  if (!data) return err;
  for (const auto& v : data->GetArray()) {
    if (!v.IsObject()) return "instrument: not an object";
    InstInfo i;
    i.instType = str(v, "instType");
    i.instId = str(v, "instId");
    i.baseCcy = str(v, "baseCcy");
    i.quoteCcy = str(v, "quoteCcy");
    i.settleCcy = str(v, "settleCcy");
    i.ctValCcy = str(v, "ctValCcy");
    i.state = str(v, "state");
    if (i.instId.empty()) return "instrument.instId: missing";
    const std::string ctx = "instrument " + i.instId;
    if (!dec(v, "tickSz", i.tickSz, err, ctx.c_str()) ||
        !dec(v, "lotSz", i.lotSz, err, ctx.c_str()) || !dec(v, "minSz", i.minSz, err, ctx.c_str()))
      return err;
    if (!i.tickSz.isPositive() || !i.lotSz.isPositive())
      return ctx + ": tickSz and lotSz must be > 0";
    if (!str(v, "ctVal").empty()) {
      Qty c;
      if (!dec(v, "ctVal", c, err, ctx.c_str())) return err;
      i.ctVal = c;
    }
    out[i.instId] = std::move(i);
  }
  return "";
}

std::string checkFilters(const InstInfo& i, std::optional<Price> px, Qty sz) {
  if (i.state != "live" && !i.state.empty())
    return "state: " + i.instId + " is " + i.state + ", not live";
  if (px && !px->isMultipleOf(i.tickSz))
    return "tickSz: price " + px->str() + " is not a multiple of tickSz " + i.tickSz.str();
  if (!sz.isMultipleOf(i.lotSz))
    return "lotSz: size " + sz.str() + " is not a multiple of lotSz " + i.lotSz.str();
  if (sz < i.minSz) return "minSz: size " + sz.str() + " is below minSz " + i.minSz.str();
  return "";
}

std::string checkInstrument(const Instrument& ours, const InstInfo& v) {
  const std::string who = "instrument " + ours.symbol.str() + " (" + v.instId + ")";
  if (v.instType == "SWAP" || v.instType == "FUTURES") {
    if (!v.ctVal) return who + ": OKX gives no ctVal";
    if (ours.contractSize != *v.ctVal)
      return who + ": contract_size " + ours.contractSize.str() + " differs from OKX ctVal " +
             v.ctVal->str() + " (order quantities are in contracts)";
    if (ours.marginMode != "isolated" && ours.marginMode != "cross")
      return who + ": margin_mode '" + ours.marginMode +
             "' cannot trade a swap (isolated or cross)";
  } else if (v.instType == "SPOT") {
    if (ours.contractSize != Qty::fromInt(1))
      return who + ": contract_size " + ours.contractSize.str() + " on a spot instrument";
    if (ours.marginMode != "cash")
      return who + ": margin_mode '" + ours.marginMode + "' on spot (only cash is mapped)";
  } else {
    return who + ": instType " + v.instType + " is not mapped (SPOT, SWAP)";
  }
  return "";
}

std::string parseOrders(std::string_view json, std::vector<OkxOrder>& out) {
  rapidjson::Document d;
  std::string err;
  if (!parseDoc(json, d, err)) return err;
  const Value* data = dataArray(d, err);
  if (!data) return err;
  for (const auto& v : data->GetArray()) {
    OkxOrder o;
    if (!readOrder(v, o, err)) return err;
    out.push_back(std::move(o));
  }
  return "";
}

std::string parseFills(std::string_view json, std::vector<OkxFill>& out) {
  rapidjson::Document d;
  std::string err;
  if (!parseDoc(json, d, err)) return err;
  const Value* data = dataArray(d, err);
  if (!data) return err;
  for (const auto& v : data->GetArray()) {
    if (!v.IsObject()) return "fill: not an object";
    OkxFill f;
    f.instType = str(v, "instType");
    f.instId = str(v, "instId");
    f.tradeId = str(v, "tradeId");
    f.ordId = str(v, "ordId");
    f.clOrdId = str(v, "clOrdId");
    f.billId = str(v, "billId");
    f.side = str(v, "side");
    f.feeCcy = str(v, "feeCcy");
    f.tsMs = ms(v, "ts");
    if (f.tradeId.empty() || f.ordId.empty()) return "fill: tradeId or ordId missing";
    if (!dec(v, "fillPx", f.fillPx, err, "fill") || !dec(v, "fillSz", f.fillSz, err, "fill"))
      return err;
    f.fee = optionalFee(v, "fee", "fill", f.feeError);
    out.push_back(std::move(f));
  }
  return "";
}

std::string parseTime(std::string_view json, int64_t& tsMs) {
  rapidjson::Document d;
  std::string err;
  if (!parseDoc(json, d, err)) return err;
  const Value* data = dataArray(d, err);
  if (!data) return err;
  if (data->Empty() || !(*data)[0].IsObject()) return "data: empty";
  tsMs = ms((*data)[0], "ts");
  return tsMs > 0 ? "" : "ts: missing";
}

std::string parseWsMessage(std::string_view text, WsMessage& out) {
  if (text == "pong") {
    out.kind = WsMessage::Kind::Pong;
    return "";
  }
  rapidjson::Document d;
  std::string err;
  if (!parseDoc(text, d, err)) return err;
  out.event = str(d, "event");
  if (!out.event.empty()) {
    out.kind = WsMessage::Kind::Event;
    out.code = str(d, "code");
    out.msg = str(d, "msg");
    return "";
  }
  auto arg = d.FindMember("arg");
  if (arg == d.MemberEnd() || !arg->value.IsObject()) return "";  // Other
  const std::string channel = str(arg->value, "channel");
  if (channel == "books5" || channel == "trades") return readPublic(d, channel, out);
  if (channel != "orders") return "";
  out.kind = WsMessage::Kind::Orders;
  const Value* data = dataArray(d, err);
  if (!data) return err;
  for (const auto& v : data->GetArray()) {
    OkxOrder o;
    if (!readOrder(v, o, err)) return err;
    out.orders.push_back(std::move(o));
  }
  return "";
}

std::string mapOrderType(const VenueNewOrder& o, bool dayAsGtc, std::string& t) {
  if (o.ordType == OrdType::Stop || o.ordType == OrdType::StopLimit)
    return "OrdType: stop orders are OKX algo orders, not mapped";
  if (o.attrs.minQty) return "MinQty: OKX orders have no minimum execution size";
  if (o.attrs.maxFloor) return "MaxFloor: OKX's plain orders have no display quantity";
  if (o.ordType == OrdType::Market) {
    if (o.attrs.postOnly) return "post-only: not with a market order";
    t = "market";
    return "";
  }
  if (o.ordType != OrdType::Limit) return "OrdType: not mapped for OKX";
  if (!o.price) return "Price: required for a limit order";
  switch (o.tif) {
    case TimeInForce::Gtc:
      t = o.attrs.postOnly ? "post_only" : "limit";
      return "";
    case TimeInForce::Day:
      if (!dayAsGtc) return "TimeInForce: OKX has no DAY orders (set day_as_gtc to send GTC)";
      t = o.attrs.postOnly ? "post_only" : "limit";
      return "";
    case TimeInForce::Ioc:
      if (o.attrs.postOnly) return "post-only: not with IOC";
      t = "ioc";
      return "";
    case TimeInForce::Fok:
      if (o.attrs.postOnly) return "post-only: not with FOK";
      t = "fok";
      return "";
    default:
      return "TimeInForce: OKX takes GTC, IOC and FOK only";
  }
}

std::string tdModeFor(const Instrument& i, const InstInfo& v, std::string& td) {
  if (auto e = checkInstrument(i, v); !e.empty()) return e;
  td = v.instType == "SPOT" ? "cash" : i.marginMode;
  return "";
}

std::string_view sideName(Side s) { return s == Side::Sell ? "sell" : "buy"; }

std::string clientOrderIdFor(std::string_view child) {
  bool ok = !child.empty() && child.size() <= 32;
  for (char c : child) ok = ok && std::isalnum(static_cast<unsigned char>(c));
  if (ok) return std::string(child);
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(child.data()), child.size(), h);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out.push_back(hex[h[i] >> 4]);
    out.push_back(hex[h[i] & 0xF]);
  }
  return out;
}

bool isTerminalState(std::string_view s) {
  return s == "filled" || s == "canceled" || s == "mmp_canceled";
}

std::string instIdFor(const Instrument& inst, const std::string& venueName) {
  auto it = inst.venueSymbols.find(venueName);
  if (it != inst.venueSymbols.end()) return it->second;
  std::string s = inst.symbol.str();
  for (auto& c : s)
    if (c == '/') c = '-';
  return s;
}

}  // namespace fixgw::okx
