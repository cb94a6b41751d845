// The instrument master: what the gateway knows of each tradable symbol.
// Loaded from config; read-only after start-up.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/fixed.h"
#include "core/ids.h"
#include "core/order_details.h"

namespace fixgw {

struct Instrument {
  Symbol symbol;
  std::string currency = "USD";
  Price tickSize = Price::fromMantissa(1'000'000);  // 0.01
  Qty lotSize = Qty::fromInt(1);                    // quantity step
  Qty minQty;                                       // 0 = lot size
  Price referencePrice;                             // seeds the simulator and price bands
  std::map<std::string, std::string> venueSymbols;  // venue name -> venue's own symbol
  // The contract as FIX describes it (Instrument component), so a client can
  // name a future or option by its underlying and terms instead of by our
  // symbol. Empty / nullopt: not specified (matches any value a client sends,
  // except for the derivative terms maturity, put/call and strike).
  std::string securityType;       // 167: CS, FUT, OPT, ...
  std::string underlying;         // the Symbol (55) clients use for it; default: symbol
  std::string maturityMonthYear;  // 200
  std::optional<char> putOrCall;  // 201: '0' put, '1' call
  std::optional<Price> strike;    // 202
  std::string exchange;           // 207
  // Derivatives (perpetual swaps, futures): how much of the underlying one
  // unit of order quantity is, so notional, positions and P&L are
  // qty * contractSize * price. 1 for cash instruments and for venues that
  // quote linear contracts in the base asset (Bybit linear); OKX swaps have
  // ctVal (e.g. 0.01 BTC per BTC-USDT-SWAP contract).
  Qty contractSize = Qty::fromInt(1);
  // "cash" (spot / equities: no margin), "isolated" or "cross". Sent to
  // venues that take it per order (OKX tdMode) and shown with positions.
  std::string marginMode = "cash";
  // Currency P&L settles in (linear USDT contracts: USDT); empty = currency.
  std::string settleCurrency;
  bool isDerivative() const { return marginMode != "cash" || contractSize != Qty::fromInt(1); }
};

class InstrumentMaster {
 public:
  void add(Instrument i) { bySymbol_[i.symbol] = std::move(i); }
  const Instrument* find(const Symbol& s) const {
    auto it = bySymbol_.find(s);
    return it == bySymbol_.end() ? nullptr : &it->second;
  }
  const std::map<Symbol, Instrument>& all() const { return bySymbol_; }

  // The instrument a client means by Symbol (55) and the Instrument fields it
  // sent: by our symbol when spec is empty, else every instrument whose symbol
  // or underlying is `symbol` and whose terms match spec. On no match or more
  // than one, nullptr and `error` says which fields did not match or which
  // would tell the candidates apart.
  const Instrument* resolve(const Symbol& symbol, const InstrumentSpec& spec,
                            std::string& error) const;

 private:
  std::map<Symbol, Instrument> bySymbol_;
};

}  // namespace fixgw
