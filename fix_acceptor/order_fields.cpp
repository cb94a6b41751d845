#include "fix_acceptor/order_fields.h"

#include <cctype>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

namespace fixgw::fix {

namespace {

namespace tag {
constexpr int Currency = 15;
constexpr int ExecInst = 18;
constexpr int HandlInst = 21;
constexpr int Rule80A = 47;
constexpr int SettlType = 63;
constexpr int ExecBroker = 76;
constexpr int PositionEffect = 77;
constexpr int ClientID = 109;
constexpr int MinQty = 110;
constexpr int MaxFloor = 111;
constexpr int LocateReqd = 114;
constexpr int ExpireTime = 126;
constexpr int CashOrderQty = 152;
constexpr int SecurityType = 167;
constexpr int EffectiveTime = 168;
constexpr int OrderQty2 = 192;
constexpr int MaturityMonthYear = 200;
constexpr int PutOrCall = 201;
constexpr int StrikePrice = 202;
constexpr int SecurityExchange = 207;
constexpr int MaxShow = 210;
constexpr int PriceType = 423;
constexpr int ExpireDate = 432;
constexpr int PartyIDSource = 447;
constexpr int PartyID = 448;
constexpr int PartyRole = 452;
constexpr int NoPartyIDs = 453;
constexpr int SecondaryClOrdID = 526;
constexpr int OrderCapacity = 528;
constexpr int ClOrdLinkID = 583;
constexpr int Price = 44;
constexpr int TargetStrategy = 847;
constexpr int TargetStrategyParameters = 848;
constexpr int ParticipationRate = 849;
constexpr int NoStrategyParameters = 957;
constexpr int StrategyParameterName = 958;
constexpr int StrategyParameterType = 959;
constexpr int StrategyParameterValue = 960;
// FIX 4.2: user-defined tags carrying the same fields (fix_acceptor/spec/FIX42.xml).
constexpr int TargetStrategy42 = 8847;
constexpr int ParticipationRate42 = 8849;
constexpr int NoStrategyParameters42 = 8957;
constexpr int StrategyParameterName42 = 8958;
constexpr int StrategyParameterType42 = 8959;
constexpr int StrategyParameterValue42 = 8960;
}  // namespace tag

constexpr int64_t kNanosPerDay = 86'400LL * 1'000'000'000LL;
// A start time this far ahead of receipt is a delayed start the gateway cannot honour;
// clients that stamp EffectiveTime with "now" are accepted.
constexpr int64_t kEffectiveTimeSlackNanos = 1'000'000'000LL;

std::optional<std::string> opt(const FIX::FieldMap& m, int t) {
  if (!m.isSetField(t)) return std::nullopt;
  return m.getField(t);
}

std::string named(const char* name, int t) {
  return std::string(name) + " (" + std::to_string(t) + ")";
}

FieldError notSupported(const char* name, int t, const std::string& why) {
  return FieldError{t, named(name, t) + " is not supported: " + why};
}

std::optional<char> oneChar(const std::optional<std::string>& v) {
  if (!v || v->size() != 1) return std::nullopt;
  return (*v)[0];
}

const char* execInstName(std::string_view v) {
  if (v == "0") return "stay on offer side";
  if (v == "2") return "work";
  if (v == "3") return "go along";
  if (v == "4") return "over the day";
  if (v == "7") return "strict scale";
  if (v == "8") return "try to scale";
  if (v == "9") return "stay on bid side";
  if (v == "A") return "no cross";
  if (v == "B") return "OK to cross";
  if (v == "C") return "call first";
  if (v == "D") return "percent of volume";
  if (v == "E") return "do not increase";
  if (v == "F") return "do not reduce";
  if (v == "G") return "all or none";
  if (v == "H") return "reinstate on system failure";
  if (v == "L") return "last peg";
  if (v == "M") return "mid-price peg";
  if (v == "O") return "opening peg";
  if (v == "P") return "market peg";
  if (v == "R") return "primary peg";
  if (v == "S") return "suspend";
  return nullptr;
}

// A positive quantity no larger than the order's.
std::optional<FieldError> readBoundedQty(const FIX::FieldMap& m, int t, const char* name,
                                         const Qty& orderQty, std::optional<Qty>& out) {
  auto raw = opt(m, t);
  if (!raw) return std::nullopt;
  auto q = Qty::parse(*raw);
  if (!q)
    return FieldError{
        t, named(name, t) + " '" + *raw + "' is not a plain decimal with at most 8 decimals"};
  if (!q->isPositive()) return FieldError{t, named(name, t) + " must be > 0, got '" + *raw + "'"};
  if (*q > orderQty)
    return FieldError{t, named(name, t) + " '" + *raw + "' is bigger than OrderQty (38) '" +
                             orderQty.str() + "'"};
  out = *q;
  return std::nullopt;
}

bool validMonthYear(const std::string& s) {
  auto digitsAt = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i)
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    return true;
  };
  if (!digitsAt(0, 6)) return false;
  const int month = (s[4] - '0') * 10 + (s[5] - '0');
  if (month < 1 || month > 12) return false;
  if (s.size() == 6) return true;
  if (s.size() == 8) {
    if (s[6] == 'w') return s[7] >= '1' && s[7] <= '5';
    return digitsAt(6, 2) && parseFixDate(s).has_value();
  }
  return false;
}

std::optional<FieldError> readParties(const FIX::FieldMap& m, FixVersion v, OrderDetails& d) {
  if (v == FixVersion::Fix42) {
    if (auto c = opt(m, tag::ClientID); c && !c->empty())
      d.parties.push_back(Party{*c, 0, kPartyRoleClientId});
    if (auto b = opt(m, tag::ExecBroker); b && !b->empty())
      d.parties.push_back(Party{*b, 0, kPartyRoleExecutingFirm});
    return std::nullopt;
  }
  const size_t n = m.groupCount(tag::NoPartyIDs);
  for (size_t i = 1; i <= n; ++i) {
    const FIX::FieldMap& g = m.getGroupRef(static_cast<int>(i), tag::NoPartyIDs);
    Party p;
    p.id = g.isSetField(tag::PartyID) ? g.getField(tag::PartyID) : std::string();
    if (p.id.empty())
      return FieldError{tag::PartyID,
                        "PartyID (448) is required in Parties (453) entry " + std::to_string(i)};
    if (auto src = opt(g, tag::PartyIDSource)) {
      auto c = oneChar(src);
      if (!c)
        return FieldError{tag::PartyIDSource,
                          "PartyIDSource (447) '" + *src + "' must be one character"};
      p.source = *c;
    }
    auto role = opt(g, tag::PartyRole);
    if (!role)
      return FieldError{tag::PartyRole, "PartyRole (452) is required in Parties (453) entry " +
                                            std::to_string(i) + " (PartyID '" + p.id + "')"};
    p.role = std::atoi(role->c_str());
    if (p.role <= 0)
      return FieldError{tag::PartyRole,
                        "PartyRole (452) '" + *role + "' must be a positive integer"};
    d.parties.push_back(std::move(p));
  }
  return std::nullopt;
}

std::optional<FieldError> readExecInst(const FIX::FieldMap& m, const OrderTerms& t,
                                       OrderDetails& d) {
  auto raw = opt(m, tag::ExecInst);
  if (!raw) return std::nullopt;
  size_t pos = 0;
  while (pos < raw->size()) {
    size_t end = raw->find(' ', pos);
    if (end == std::string::npos) end = raw->size();
    const std::string v = raw->substr(pos, end - pos);
    pos = end + 1;
    if (v.empty()) continue;
    if (v == "6") {
      d.attrs.postOnly = true;
    } else if (v != "1" && v != "5") {  // not held / held: handling notes, accepted
      const char* name = execInstName(v);
      return FieldError{tag::ExecInst, "ExecInst (18) value '" + v + "'" +
                                           (name ? std::string(" (") + name + ")" : std::string()) +
                                           " is not supported: the gateway honours 6 (participate "
                                           "don't initiate) and accepts 1 (not held) and 5 (held)"};
    }
  }
  if (d.attrs.postOnly) {
    if (!hasLimitPrice(t.ordType))
      return FieldError{tag::ExecInst,
                        "ExecInst (18) 6 (participate don't initiate) needs a limit price: not "
                        "allowed with OrdType (40) " +
                            std::string(1, toFixOrdType(t.ordType))};
    if (t.tif == TimeInForce::Ioc || t.tif == TimeInForce::Fok)
      return FieldError{tag::ExecInst,
                        "ExecInst (18) 6 (participate don't initiate) cannot be combined with "
                        "TimeInForce (59) " +
                            std::string(1, toFixTimeInForce(t.tif)) +
                            ": the order could never rest"};
  }
  return std::nullopt;
}

std::optional<FieldError> readExpiry(const FIX::FieldMap& m, const OrderTerms& t, OrderDetails& d) {
  auto et = opt(m, tag::ExpireTime);
  auto ed = opt(m, tag::ExpireDate);
  if (t.tif != TimeInForce::GoodTillDate) {
    // An algo parent's ExpireTime is the end of its schedule (checked with the
    // other strategy fields by the router), not a GTD expiry.
    if (et && !t.algo)
      return FieldError{tag::ExpireTime,
                        "ExpireTime (126) is only allowed with TimeInForce (59) = 6 (GTD)"};
    if (ed)
      return FieldError{tag::ExpireDate,
                        "ExpireDate (432) is only allowed with TimeInForce (59) = 6 (GTD)"};
    return std::nullopt;
  }
  if (!et && !ed)
    return FieldError{tag::ExpireTime,
                      "TimeInForce (59) = 6 (GTD) requires ExpireTime (126) or ExpireDate (432)"};
  WallNanos at = 0;
  if (et) {
    auto p = parseFixTimestamp(*et);
    if (!p)
      return FieldError{tag::ExpireTime, "ExpireTime (126) '" + *et +
                                             "' is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])"};
    at = *p;
    if (at <= t.now)
      return FieldError{tag::ExpireTime, "ExpireTime (126) '" + *et + "' is not in the future"};
    // Both sent: ExpireTime is the instant, and it must fall on ExpireDate (UTC).
    if (ed) {
      auto day = parseFixDate(*ed);
      if (!day || at < *day || at >= *day + kNanosPerDay)
        return FieldError{
            tag::ExpireDate,
            "ExpireDate (432) '" + *ed + "' is not the day of ExpireTime (126) '" + *et + "'"};
    }
  } else {
    auto p = parseFixDate(*ed);
    if (!p)
      return FieldError{tag::ExpireDate, "ExpireDate (432) '" + *ed + "' is not a date (YYYYMMDD)"};
    at = *p + kNanosPerDay - 1;  // the end of that day (UTC)
    if (at <= t.now)
      return FieldError{tag::ExpireDate, "ExpireDate (432) '" + *ed + "' is in the past"};
  }
  d.attrs.expireTime = at;
  return std::nullopt;
}

std::optional<FieldError> readInstrument(const FIX::FieldMap& m, InstrumentSpec& in) {
  in.securityType = opt(m, tag::SecurityType).value_or("");
  if (auto mmy = opt(m, tag::MaturityMonthYear)) {
    if (!validMonthYear(*mmy))
      return FieldError{tag::MaturityMonthYear, "MaturityMonthYear (200) '" + *mmy +
                                                    "' is not YYYYMM, YYYYMMDD or YYYYMMwN"};
    in.maturityMonthYear = *mmy;
  }
  if (auto pc = opt(m, tag::PutOrCall)) {
    auto c = oneChar(pc);
    if (!c || (*c != '0' && *c != '1'))
      return FieldError{tag::PutOrCall,
                        "PutOrCall (201) '" + *pc + "' must be 0 (put) or 1 (call)"};
    in.putOrCall = *c;
  }
  if (auto k = opt(m, tag::StrikePrice)) {
    auto p = Price::parse(*k);
    if (!p || !p->isPositive())
      return FieldError{
          tag::StrikePrice,
          "StrikePrice (202) '" + *k + "' is not a positive decimal with at most 8 decimals"};
    in.strike = *p;
  }
  in.currency = opt(m, tag::Currency).value_or("");
  in.securityExchange = opt(m, tag::SecurityExchange).value_or("");
  return std::nullopt;
}

std::optional<FieldError> readAttributes(const FIX::FieldMap& m, const OrderTerms& t,
                                         OrderDetails& d) {
  if (auto e = readExecInst(m, t, d)) return e;
  if (auto e = readBoundedQty(m, tag::MinQty, "MinQty", t.qty, d.attrs.minQty)) return e;
  if (auto e = readBoundedQty(m, tag::MaxFloor, "MaxFloor", t.qty, d.attrs.maxFloor)) return e;
  if (auto e = readExpiry(m, t, d)) return e;
  if (auto v = opt(m, tag::OrderCapacity)) {
    if (!oneChar(v))
      return FieldError{tag::OrderCapacity,
                        "OrderCapacity (528) '" + *v + "' must be one character"};
    d.attrs.orderCapacity = (*v)[0];
  }
  if (auto v = opt(m, tag::Rule80A)) {
    if (!oneChar(v))
      return FieldError{tag::Rule80A, "Rule80A (47) '" + *v + "' must be one character"};
    d.attrs.rule80A = (*v)[0];
  }
  if (auto v = opt(m, tag::LocateReqd)) {
    if (*v != "Y" && *v != "N")
      return FieldError{tag::LocateReqd, "LocateReqd (114) '" + *v + "' must be Y or N"};
    d.attrs.locateReqd = *v == "Y";
  }
  if (auto v = opt(m, tag::PositionEffect)) {
    if (!oneChar(v))
      return FieldError{tag::PositionEffect,
                        "PositionEffect (77) '" + *v + "' must be one character"};
    d.attrs.positionEffect = (*v)[0];
  }
  if (auto v = opt(m, tag::EffectiveTime)) {
    auto at = parseFixTimestamp(*v);
    if (!at)
      return FieldError{tag::EffectiveTime,
                        "EffectiveTime (168) '" + *v + "' is not a UTCTimestamp"};
    if (*at > t.now + kEffectiveTimeSlackNanos && !t.algo)
      return notSupported(
          "EffectiveTime", tag::EffectiveTime,
          "'" + *v + "' is in the future and a delayed start needs an execution algorithm");
  }
  return std::nullopt;
}

}  // namespace

std::optional<FieldError> checkUnhonourable(const FIX::FieldMap& m) {
  if (m.isSetField(tag::CashOrderQty))
    return notSupported("CashOrderQty", tag::CashOrderQty, "send the quantity in OrderQty (38)");
  if (auto h = opt(m, tag::HandlInst); h && *h == "3")
    return notSupported("HandlInst", tag::HandlInst,
                        "value 3 (manual order): the gateway executes orders automatically");
  if (auto s = opt(m, tag::SettlType); s && *s != "0")
    return notSupported("SettlType", tag::SettlType,
                        "value '" + *s + "': regular settlement (0) only");
  if (m.isSetField(tag::OrderQty2))
    return notSupported("OrderQty2", tag::OrderQty2, "no second leg quantity (forward) orders");
  if (auto p = opt(m, tag::PriceType); p && *p != "2")
    return notSupported("PriceType", tag::PriceType,
                        "value '" + *p + "': per-unit prices (2) only");
  if (m.isSetField(tag::MaxShow))
    return notSupported("MaxShow", tag::MaxShow, "use MaxFloor (111) for a display quantity");
  // Pegging (PegInstructions; FIX 4.2's PegDifference) and discretion move the price.
  for (int t : {211, 835, 836, 837, 838, 840})
    if (m.isSetField(t))
      return FieldError{t,
                        "tag " + std::to_string(t) +
                            " (PegInstructions) is not supported: pegged orders are not offered"};
  for (int t : {388, 389, 841, 842, 843, 844, 846})
    if (m.isSetField(t))
      return FieldError{
          t,
          "tag " + std::to_string(t) +
              " (DiscretionInstructions) is not supported: discretionary prices are not offered"};
  if (m.isSetField(tag::TargetStrategyParameters))
    return notSupported("TargetStrategyParameters", tag::TargetStrategyParameters,
                        "send the strategy's parameters in StrategyParameters (957)");
  return std::nullopt;
}

std::variant<std::optional<AlgoOrderFields>, FieldError> readAlgoFields(const FIX::FieldMap& m,
                                                                        FixVersion v,
                                                                        const OrdType ordType) {
  const bool v44 = v == FixVersion::Fix44;
  const int tStrategy = v44 ? tag::TargetStrategy : tag::TargetStrategy42;
  const int tRate = v44 ? tag::ParticipationRate : tag::ParticipationRate42;
  const int tGroup = v44 ? tag::NoStrategyParameters : tag::NoStrategyParameters42;
  const int tName = v44 ? tag::StrategyParameterName : tag::StrategyParameterName42;
  const int tType = v44 ? tag::StrategyParameterType : tag::StrategyParameterType42;
  const int tValue = v44 ? tag::StrategyParameterValue : tag::StrategyParameterValue42;
  const char* version = v44 ? "FIX 4.4" : "FIX 4.2";
  // The other version's tags are a client configured for the wrong dialect.
  for (auto [other, mine] :
       v44 ? std::vector<std::pair<int, int>>{{tag::TargetStrategy42, tStrategy},
                                              {tag::ParticipationRate42, tRate},
                                              {tag::NoStrategyParameters42, tGroup}}
           : std::vector<std::pair<int, int>>{{tag::TargetStrategy, tStrategy},
                                              {tag::ParticipationRate, tRate},
                                              {tag::NoStrategyParameters, tGroup}})
    if (m.isSetField(other))
      return FieldError{other, "tag " + std::to_string(other) + " is not used on " + version +
                                   ": send tag " + std::to_string(mine) + " instead"};
  auto strategy = opt(m, tStrategy);
  if (!strategy) {
    if (m.isSetField(tRate))
      return FieldError{tRate, named("ParticipationRate", tRate) + " needs " +
                                   named("TargetStrategy", tStrategy)};
    if (m.isSetField(tGroup))
      return FieldError{tGroup, named("NoStrategyParameters", tGroup) + " needs " +
                                    named("TargetStrategy", tStrategy)};
    return std::optional<AlgoOrderFields>{};
  }
  AlgoOrderFields a;
  a.targetStrategy = *strategy;
  a.effectiveTime = opt(m, tag::EffectiveTime);
  a.expireTime = opt(m, tag::ExpireTime);
  a.participationRate = opt(m, tRate);
  a.maxFloor = opt(m, tag::MaxFloor);
  a.minQty = opt(m, tag::MinQty);
  if (hasLimitPrice(ordType)) a.price = opt(m, tag::Price);
  if (auto n = opt(m, tGroup)) {
    char* end = nullptr;
    const long count = std::strtol(n->c_str(), &end, 10);
    if (n->empty() || *end != '\0' || count < 0)
      return FieldError{tGroup,
                        named("NoStrategyParameters", tGroup) + " '" + *n + "' is not a count"};
    a.noStrategyParameters = static_cast<int>(count);
  }
  const size_t groups = m.groupCount(tGroup);
  std::optional<std::string> named958;  // the "Strategy" parameter (FIX 4.4 847=3)
  for (size_t i = 1; i <= groups; ++i) {
    const FIX::FieldMap& g = m.getGroupRef(static_cast<int>(i), tGroup);
    StrategyParam sp{opt(g, tName).value_or(""), opt(g, tType).value_or(""),
                     opt(g, tValue).value_or("")};
    if (sp.name.empty())
      return FieldError{tName, named("StrategyParameterName", tName) + " is required in " +
                                   named("NoStrategyParameters", tGroup) + " entry " +
                                   std::to_string(i)};
    if (v44 && sp.name == "Strategy") {
      if (sp.type != "14")
        return FieldError{tType, "StrategyParameterType (959) for 'Strategy' is '" + sp.type +
                                     "', expected 14 (String)"};
      named958 = sp.value;
      if (a.noStrategyParameters) --*a.noStrategyParameters;  // consumed here
      continue;
    }
    a.strategyParameters.push_back(std::move(sp));
  }
  if (v44) {
    // TargetStrategy (847) is an INT in FIX 4.4: 1 VWAP, 2 Participate (POV),
    // 3 Minimize market impact, which here means "the strategy the
    // StrategyParameter 'Strategy' names" (TWAP, VWAP, POV, ICEBERG).
    auto upper = [](std::string s) {
      for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return s;
    };
    const std::string std847 = a.targetStrategy == "1"   ? "VWAP"
                               : a.targetStrategy == "2" ? "POV"
                                                         : std::string();
    if (a.targetStrategy == "3") {
      if (!named958 || named958->empty())
        return FieldError{tag::TargetStrategy,
                          "TargetStrategy (847) 3 needs the StrategyParameter 'Strategy' (958, "
                          "type 14) naming TWAP, VWAP, POV or ICEBERG"};
      a.targetStrategy = *named958;
    } else if (named958 && !std847.empty() && upper(*named958) != std847) {
      return FieldError{tag::StrategyParameterValue, "StrategyParameter 'Strategy' '" + *named958 +
                                                         "' contradicts TargetStrategy (847) " +
                                                         a.targetStrategy + " (" + std847 +
                                                         "); send 847=3 with 'Strategy'"};
    }
  }
  return std::optional<AlgoOrderFields>(std::move(a));
}

std::variant<OrderDetailsPtr, FieldError> readOrderDetails(const FIX::FieldMap& m, FixVersion v,
                                                           const OrderTerms& t) {
  if (auto e = checkUnhonourable(m)) return *e;
  OrderDetails d;
  auto algo = readAlgoFields(m, v, t.ordType);
  if (auto* e = std::get_if<FieldError>(&algo)) return *e;
  d.algo = std::move(std::get<std::optional<AlgoOrderFields>>(algo));
  OrderTerms terms = t;
  terms.algo = d.algo.has_value();
  if (v == FixVersion::Fix44) {
    d.secondaryClOrdId = opt(m, tag::SecondaryClOrdID).value_or("");
    d.clOrdLinkId = opt(m, tag::ClOrdLinkID).value_or("");
  }
  if (auto e = readParties(m, v, d)) return *e;
  if (auto e = readInstrument(m, d.instrument)) return *e;
  if (auto e = readAttributes(m, terms, d)) return *e;
  if (d.empty()) return OrderDetailsPtr{};
  return OrderDetailsPtr(std::make_shared<const OrderDetails>(std::move(d)));
}

std::optional<std::string> firstPartyId(const FIX::FieldMap& m, FixVersion v) {
  if (v == FixVersion::Fix42) return opt(m, tag::ClientID);
  if (m.groupCount(tag::NoPartyIDs) == 0) return std::nullopt;
  return opt(m.getGroupRef(1, tag::NoPartyIDs), tag::PartyID);
}

void writeOrderDetails(FIX::FieldMap& out, const OrderDetails& d, FixVersion v) {
  if (v == FixVersion::Fix44) {
    if (!d.secondaryClOrdId.empty()) out.setField(tag::SecondaryClOrdID, d.secondaryClOrdId);
    if (!d.clOrdLinkId.empty()) out.setField(tag::ClOrdLinkID, d.clOrdLinkId);
    for (const Party& p : d.parties) {
      FIX::Group g(tag::NoPartyIDs, tag::PartyID);
      g.setField(tag::PartyID, p.id);
      if (p.source) g.setField(tag::PartyIDSource, std::string(1, p.source));
      g.setField(tag::PartyRole, std::to_string(p.role));
      out.addGroup(tag::NoPartyIDs, g);
    }
    if (d.attrs.orderCapacity)
      out.setField(tag::OrderCapacity, std::string(1, *d.attrs.orderCapacity));
  } else {
    if (const Party* c = d.party(kPartyRoleClientId)) out.setField(tag::ClientID, c->id);
    if (const Party* b = d.party(kPartyRoleExecutingFirm)) out.setField(tag::ExecBroker, b->id);
    if (d.attrs.rule80A) out.setField(tag::Rule80A, std::string(1, *d.attrs.rule80A));
  }
  const InstrumentSpec& in = d.instrument;
  if (!in.securityType.empty()) out.setField(tag::SecurityType, in.securityType);
  if (!in.maturityMonthYear.empty()) out.setField(tag::MaturityMonthYear, in.maturityMonthYear);
  if (in.putOrCall) out.setField(tag::PutOrCall, std::string(1, *in.putOrCall));
  if (in.strike) out.setField(tag::StrikePrice, in.strike->str());
  if (!in.securityExchange.empty()) out.setField(tag::SecurityExchange, in.securityExchange);
  if (!in.currency.empty()) out.setField(tag::Currency, in.currency);
  if (d.attrs.postOnly) out.setField(tag::ExecInst, "6");
  if (d.attrs.minQty) out.setField(tag::MinQty, d.attrs.minQty->str());
  if (d.attrs.maxFloor) out.setField(tag::MaxFloor, d.attrs.maxFloor->str());
  if (d.attrs.expireTime) out.setField(tag::ExpireTime, formatFixTimestamp(d.attrs.expireTime));
  if (d.attrs.positionEffect)
    out.setField(tag::PositionEffect, std::string(1, *d.attrs.positionEffect));
}

}  // namespace fixgw::fix
