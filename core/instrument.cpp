#include "core/instrument.h"

#include <vector>

namespace fixgw {

namespace {

// The fields of spec that inst does not match, as "Name (tag) 'sent' (instrument: 'ours')".
std::vector<std::string> mismatches(const Instrument& inst, const InstrumentSpec& spec) {
  std::vector<std::string> out;
  auto text = [](const char* name, int tag, const std::string& sent, const std::string& ours) {
    return std::string(name) + " (" + std::to_string(tag) + ") '" + sent + "' (instrument " +
           "has " + (ours.empty() ? std::string("none") : "'" + ours + "'") + ")";
  };
  if (!spec.securityType.empty() && !inst.securityType.empty() &&
      spec.securityType != inst.securityType)
    out.push_back(text("SecurityType", 167, spec.securityType, inst.securityType));
  if (!spec.maturityMonthYear.empty() && spec.maturityMonthYear != inst.maturityMonthYear)
    out.push_back(text("MaturityMonthYear", 200, spec.maturityMonthYear, inst.maturityMonthYear));
  if (spec.putOrCall && spec.putOrCall != inst.putOrCall)
    out.push_back(text("PutOrCall", 201, std::string(1, *spec.putOrCall),
                       inst.putOrCall ? std::string(1, *inst.putOrCall) : std::string()));
  if (spec.strike && spec.strike != inst.strike)
    out.push_back(text("StrikePrice", 202, spec.strike->str(),
                       inst.strike ? inst.strike->str() : std::string()));
  if (!spec.currency.empty() && spec.currency != inst.currency)
    out.push_back(text("Currency", 15, spec.currency, inst.currency));
  if (!spec.securityExchange.empty() && !inst.exchange.empty() &&
      spec.securityExchange != inst.exchange)
    out.push_back(text("SecurityExchange", 207, spec.securityExchange, inst.exchange));
  return out;
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace

const Instrument* InstrumentMaster::resolve(const Symbol& symbol, const InstrumentSpec& spec,
                                            std::string& error) const {
  if (spec.empty()) {
    if (const Instrument* i = find(symbol)) return i;
    error = "unknown Symbol (55) '" + symbol.str() + "'";
    return nullptr;
  }
  std::vector<const Instrument*> named, matching;
  std::vector<std::string> why;
  for (const auto& [s, inst] : bySymbol_) {
    const std::string& under = inst.underlying.empty() ? inst.symbol.str() : inst.underlying;
    if (inst.symbol != symbol && under != symbol.str()) continue;
    named.push_back(&inst);
    auto m = mismatches(inst, spec);
    if (m.empty())
      matching.push_back(&inst);
    else
      why.push_back(inst.symbol.str() + ": " + joined(m, ", "));
  }
  if (matching.size() == 1) return matching.front();
  if (named.empty()) {
    error = "unknown Symbol (55) '" + symbol.str() + "': no instrument or underlying of that name";
  } else if (matching.empty()) {
    error = "no instrument matches Symbol (55) '" + symbol.str() +
            "' with the Instrument fields sent: " + joined(why, "; ");
  } else {
    std::vector<std::string> names;
    for (const Instrument* i : matching) names.push_back(i->symbol.str());
    error = "ambiguous contract: Symbol (55) '" + symbol.str() + "' with the fields sent matches " +
            std::to_string(matching.size()) + " instruments (" + joined(names, ", ") +
            "): add SecurityType (167), MaturityMonthYear (200), PutOrCall (201) or StrikePrice "
            "(202) to choose one";
  }
  return nullptr;
}

}  // namespace fixgw
