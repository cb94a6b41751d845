#include "store/order_details_json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>
#include <utility>

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

void optStr(Writer& w, const char* key, const std::optional<std::string>& v) {
  if (!v) return;  // an empty string the client sent stays an empty string
  w.Key(key);
  w.String(v->c_str(), static_cast<rapidjson::SizeType>(v->size()));
}

// The strategy fields as received (strings, so nothing is lost or rounded),
// plus what the router resolved (the start, a learned profile).
void writeAlgo(Writer& w, const AlgoOrderFields& a) {
  w.Key("algo");
  w.StartObject();
  w.Key("target_strategy");
  w.String(a.targetStrategy.c_str(), static_cast<rapidjson::SizeType>(a.targetStrategy.size()));
  optStr(w, "effective_time", a.effectiveTime);
  optStr(w, "expire_time", a.expireTime);
  optStr(w, "participation_rate", a.participationRate);
  optStr(w, "max_floor", a.maxFloor);
  optStr(w, "price", a.price);
  optStr(w, "min_qty", a.minQty);
  if (a.noStrategyParameters) {
    w.Key("no_strategy_parameters");
    w.Int(*a.noStrategyParameters);
  }
  if (!a.strategyParameters.empty()) {
    w.Key("strategy_parameters");
    w.StartArray();
    for (const StrategyParam& p : a.strategyParameters) {
      w.StartObject();
      w.Key("name");
      w.String(p.name.c_str(), static_cast<rapidjson::SizeType>(p.name.size()));
      w.Key("type");
      w.String(p.type.c_str(), static_cast<rapidjson::SizeType>(p.type.size()));
      w.Key("value");
      w.String(p.value.c_str(), static_cast<rapidjson::SizeType>(p.value.size()));
      w.EndObject();
    }
    w.EndArray();
  }
  if (a.resolvedStartNs != 0) {
    str(w, "resolved_start", formatIsoTimestamp(a.resolvedStartNs));
    w.Key("resolved_start_ns");
    w.Int64(a.resolvedStartNs);
  }
  str(w, "learned_profile", a.learnedProfile);
  w.EndObject();
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

std::optional<std::string> getOptStr(const rapidjson::Value& o, const char* key) {
  if (!o.HasMember(key)) return std::nullopt;
  return getStr(o, key);
}

AlgoOrderFields readAlgo(const rapidjson::Value& o) {
  if (!o.IsObject()) throw std::runtime_error("details.algo is not an object");
  AlgoOrderFields a;
  if (!o.HasMember("target_strategy"))
    throw std::runtime_error("details.algo.target_strategy is missing");
  try {
    a.targetStrategy = getStr(o, "target_strategy");
    a.effectiveTime = getOptStr(o, "effective_time");
    a.expireTime = getOptStr(o, "expire_time");
    a.participationRate = getOptStr(o, "participation_rate");
    a.maxFloor = getOptStr(o, "max_floor");
    a.price = getOptStr(o, "price");
    a.minQty = getOptStr(o, "min_qty");
    a.learnedProfile = getStr(o, "learned_profile");
  } catch (const std::runtime_error& e) {
    // "details.x" -> "details.algo.x": name the key where it is.
    throw std::runtime_error(std::string("details.algo.") + (e.what() + 8));
  }
  if (auto it = o.FindMember("no_strategy_parameters"); it != o.MemberEnd()) {
    if (!it->value.IsInt())
      throw std::runtime_error("details.algo.no_strategy_parameters is not an integer");
    a.noStrategyParameters = it->value.GetInt();
  }
  if (auto it = o.FindMember("strategy_parameters"); it != o.MemberEnd()) {
    if (!it->value.IsArray())
      throw std::runtime_error("details.algo.strategy_parameters is not an array");
    for (const auto& e : it->value.GetArray()) {
      if (!e.IsObject())
        throw std::runtime_error("details.algo.strategy_parameters[] is not an object");
      StrategyParam p;
      for (auto [key, field] :
           {std::pair{"name", &p.name}, std::pair{"type", &p.type}, std::pair{"value", &p.value}}) {
        auto m = e.FindMember(key);
        if (m == e.MemberEnd() || !m->value.IsString())
          throw std::runtime_error(std::string("details.algo.strategy_parameters[].") + key +
                                   " is not a string");
        field->assign(m->value.GetString(), m->value.GetStringLength());
      }
      a.strategyParameters.push_back(std::move(p));
    }
  }
  if (auto it = o.FindMember("resolved_start_ns"); it != o.MemberEnd()) {
    if (!it->value.IsInt64())
      throw std::runtime_error("details.algo.resolved_start_ns is not an integer");
    a.resolvedStartNs = it->value.GetInt64();
  }
  return a;
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
  if (d->algo) writeAlgo(w, *d->algo);
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
  if (auto it = doc.FindMember("algo"); it != doc.MemberEnd()) d.algo = readAlgo(it->value);
  return std::make_shared<const OrderDetails>(std::move(d));
}

}  // namespace fixgw::store
