// The instrument master: what the gateway knows of each tradable symbol.
// Loaded from config; read-only after start-up.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/fixed.h"
#include "core/ids.h"

namespace fixgw {

struct Instrument {
  Symbol symbol;
  std::string currency = "USD";
  Price tickSize = Price::fromMantissa(1'000'000);  // 0.01
  Qty lotSize = Qty::fromInt(1);                    // quantity step
  Qty minQty;                                       // 0 = lot size
  Price referencePrice;                             // seeds the simulator and price bands
  std::map<std::string, std::string> venueSymbols;  // venue name -> venue's own symbol
};

class InstrumentMaster {
 public:
  void add(Instrument i) { bySymbol_[i.symbol] = std::move(i); }
  const Instrument* find(const Symbol& s) const {
    auto it = bySymbol_.find(s);
    return it == bySymbol_.end() ? nullptr : &it->second;
  }
  const std::map<Symbol, Instrument>& all() const { return bySymbol_; }

 private:
  std::map<Symbol, Instrument> bySymbol_;
};

}  // namespace fixgw
