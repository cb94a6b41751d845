// Pre-trade risk: the gate every new order and every replace passes. A
// denial is a value (RiskDecision) with a machine-readable rule code, the
// FIX OrdRejReason to report, and a Text naming the rule, the limit and the
// order's value — never an exception.
//
// Checks in order: unknown symbol, quantity (positive, lot multiple, minimum),
// price (present for limits, positive, tick multiple), max order quantity,
// max notional, price band against the reference price. Limits are per
// account with defaults from config. Duplicate ClOrdID detection needs the
// order index and lives in the router, reported with the same shape.
//
// Thread-safety: engine thread only (no locks by design).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/fixed.h"
#include "core/ids.h"
#include "core/instrument.h"
#include "core/reports.h"
#include "core/types.h"

namespace fixgw::risk {

struct RiskLimits {
  std::optional<Qty> maxOrderQty;
  std::optional<Notional> maxNotional;
  // Price band as a percentage of the reference price, e.g. 10 = ±10%.
  std::optional<Price> priceBandPct;
  bool allowMarketOrders = true;
};

struct RiskConfig {
  RiskLimits defaults;
  std::map<Account, RiskLimits> accounts;  // each key replaces the defaults wholesale
};

struct RiskDecision {
  bool accepted = true;
  std::string rule;  // e.g. "MAX_ORDER_QTY"; empty when accepted
  OrdRejReason reason = OrdRejReason::Other;
  std::string text;
  static RiskDecision ok() { return {}; }
};

// What risk looks at: the order as it would stand after this request.
struct OrderIntent {
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  Qty qty;
  std::optional<Price> price;
};

class RiskEngine {
 public:
  RiskEngine(RiskConfig cfg, const InstrumentMaster& instruments);
  RiskDecision checkNew(const OrderIntent& o) const;
  // A replace is checked as the resulting order.
  RiskDecision checkReplace(const OrderIntent& resulting) const { return checkNew(resulting); }

  // Reference price for bands and market-order notional: the last trade the
  // gateway saw, else the instrument master's reference price.
  void onTrade(const Symbol& s, Price px) { lastTrade_[s] = px; }
  std::optional<Price> referencePrice(const Symbol& s) const;

  const RiskLimits& limitsFor(const Account& a) const;

 private:
  RiskConfig cfg_;
  const InstrumentMaster& instruments_;
  std::map<Symbol, Price> lastTrade_;
};

}  // namespace fixgw::risk
