#include "store/order_details_json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

#include "core/clock.h"

namespace fixgw::store {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* key, const std::string& v) {
  if (v.empty()) return;
  w.Key(key);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
void chr(Writer& w, const char* key, const std::optional<char>& v) {
  if (v) str(w, key, std::string(1, *v));
}

std::string getStr(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd()) return {};
  if (!it->value.IsString())
    throw std::runtime_error(std::string("details.") + key + " is not a string");
  return {it->value.GetString(), it->value.GetStringLength()};
}
std::optional<char> getChr(const rapidjson::Value& o, const char* key) {
  std::string s = getStr(o, key);
  if (s.empty()) return std::nullopt;
  if (s.size() != 1)
    throw std::runtime_error(std::string("details.") + key + " is not one character");
  return s[0];
}
template <class T>
std::optional<T> getFixed(const rapidjson::Value& o, const char* key) {
  std::string s = getStr(o, key);
  if (s.empty()) return std::nullopt;
  auto v = T::parse(s);
  if (!v) throw std::runtime_error(std::string("details.") + key + " '" + s + "' is not a decimal");
  return v;
}

}  // namespace

std::string detailsToJson(const OrderDetails* d) {
  if (!d || d->empty()) return {};
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  str(w, "secondary_cl_ord_id", d->secondaryClOrdId);
  str(w, "cl_ord_link_id", d->clOrdLinkId);
  if (!d->parties.empty()) {
    w.Key("parties");
    w.StartArray();
    for (const Party& p : d->parties) {
      w.StartObject();
      str(w, "id", p.id);
      chr(w, "source", p.source ? std::optional<char>(p.source) : std::nullopt);
      w.Key("role");
      w.Int(p.role);
      w.EndObject();
    }
    w.EndArray();
  }
  const InstrumentSpec& in = d->instrument;
  if (!in.empty()) {
    w.Key("instrument");
    w.StartObject();
    str(w, "security_type", in.securityType);
    str(w, "maturity_month_year", in.maturityMonthYear);
    chr(w, "put_or_call", in.putOrCall);
    if (in.strike) str(w, "strike", in.strike->str());
    str(w, "currency", in.currency);
    str(w, "security_exchange", in.securityExchange);
    w.EndObject();
  }
  const OrderAttributes& a = d->attrs;
  chr(w, "order_capacity", a.orderCapacity);
  chr(w, "rule80a", a.rule80A);
  if (a.locateReqd) {
    w.Key("locate_reqd");
    w.Bool(*a.locateReqd);
  }
  chr(w, "position_effect", a.positionEffect);
  if (a.postOnly) {
    w.Key("post_only");
    w.Bool(true);
  }
  if (a.minQty) str(w, "min_qty", a.minQty->str());
  if (a.maxFloor) str(w, "max_floor", a.maxFloor->str());
  if (a.expireTime) {
    str(w, "expire_time", formatIsoTimestamp(a.expireTime));
    w.Key("expire_time_ns");
    w.Int64(a.expireTime);
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

OrderDetailsPtr detailsFromJson(std::string_view json) {
  if (json.empty()) return nullptr;
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject())
    throw std::runtime_error("details is not a JSON object");
  OrderDetails d;
  d.secondaryClOrdId = getStr(doc, "secondary_cl_ord_id");
  d.clOrdLinkId = getStr(doc, "cl_ord_link_id");
  if (auto it = doc.FindMember("parties"); it != doc.MemberEnd()) {
    if (!it->value.IsArray()) throw std::runtime_error("details.parties is not an array");
    for (const auto& e : it->value.GetArray()) {
      if (!e.IsObject()) throw std::runtime_error("details.parties[] is not an object");
      Party p;
      p.id = getStr(e, "id");
      p.source = getChr(e, "source").value_or(0);
      auto r = e.FindMember("role");
      if (r == e.MemberEnd() || !r->value.IsInt())
        throw std::runtime_error("details.parties[].role is not an integer");
      p.role = r->value.GetInt();
      d.parties.push_back(std::move(p));
    }
  }
  if (auto it = doc.FindMember("instrument"); it != doc.MemberEnd()) {
    if (!it->value.IsObject()) throw std::runtime_error("details.instrument is not an object");
    const auto& o = it->value;
    d.instrument.securityType = getStr(o, "security_type");
    d.instrument.maturityMonthYear = getStr(o, "maturity_month_year");
    d.instrument.putOrCall = getChr(o, "put_or_call");
    d.instrument.strike = getFixed<Price>(o, "strike");
    d.instrument.currency = getStr(o, "currency");
    d.instrument.securityExchange = getStr(o, "security_exchange");
  }
  OrderAttributes& a = d.attrs;
  a.orderCapacity = getChr(doc, "order_capacity");
  a.rule80A = getChr(doc, "rule80a");
  if (auto it = doc.FindMember("locate_reqd"); it != doc.MemberEnd()) {
    if (!it->value.IsBool()) throw std::runtime_error("details.locate_reqd is not a boolean");
    a.locateReqd = it->value.GetBool();
  }
  a.positionEffect = getChr(doc, "position_effect");
  if (auto it = doc.FindMember("post_only"); it != doc.MemberEnd()) {
    if (!it->value.IsBool()) throw std::runtime_error("details.post_only is not a boolean");
    a.postOnly = it->value.GetBool();
  }
  a.minQty = getFixed<Qty>(doc, "min_qty");
  a.maxFloor = getFixed<Qty>(doc, "max_floor");
  if (auto it = doc.FindMember("expire_time_ns"); it != doc.MemberEnd()) {
    if (!it->value.IsInt64()) throw std::runtime_error("details.expire_time_ns is not an integer");
    a.expireTime = it->value.GetInt64();
  }
  return std::make_shared<const OrderDetails>(std::move(d));
}

}  // namespace fixgw::store
