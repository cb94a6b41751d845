#include "risk/risk.h"

#include <fmt/format.h>

namespace fixgw::risk {

namespace {
RiskDecision deny(std::string rule, OrdRejReason reason, std::string text) {
  RiskDecision d;
  d.accepted = false;
  d.rule = std::move(rule);
  d.reason = reason;
  d.text = std::move(text);
  return d;
}
}  // namespace

RiskEngine::RiskEngine(RiskConfig cfg, const InstrumentMaster& instruments)
    : cfg_(std::move(cfg)), instruments_(instruments) {}

const RiskLimits& RiskEngine::limitsFor(const Account& a) const {
  auto it = cfg_.accounts.find(a);
  return it == cfg_.accounts.end() ? cfg_.defaults : it->second;
}

std::optional<Price> RiskEngine::referencePrice(const Symbol& s) const {
  if (auto it = lastTrade_.find(s); it != lastTrade_.end()) return it->second;
  if (const Instrument* ins = instruments_.find(s); ins && ins->referencePrice.isPositive())
    return ins->referencePrice;
  return std::nullopt;
}

RiskDecision RiskEngine::checkNew(const OrderIntent& o) const {
  const Instrument* ins = instruments_.find(o.symbol);
  if (!ins)
    return deny("UNKNOWN_SYMBOL", OrdRejReason::UnknownSymbol,
                fmt::format("UNKNOWN_SYMBOL: Symbol (55) '{}' is not in the instrument master",
                            o.symbol.str()));
  if (!o.qty.isPositive())
    return deny("INVALID_QTY", OrdRejReason::Other,
                fmt::format("INVALID_QTY: OrderQty (38) {} must be positive", o.qty.str()));
  if (!o.qty.isMultipleOf(ins->lotSize))
    return deny("LOT_SIZE", OrdRejReason::Other,
                fmt::format("LOT_SIZE: OrderQty (38) {} is not a multiple of lot size {} for {}",
                            o.qty.str(), ins->lotSize.str(), o.symbol.str()));
  if (ins->minQty.isPositive() && o.qty < ins->minQty)
    return deny("MIN_QTY", OrdRejReason::Other,
                fmt::format("MIN_QTY: OrderQty (38) {} is below minimum {} for {}", o.qty.str(),
                            ins->minQty.str(), o.symbol.str()));

  const RiskLimits& lim = limitsFor(o.account);
  if (o.ordType == OrdType::Limit) {
    if (!o.price)
      return deny("PRICE_REQUIRED", OrdRejReason::Other,
                  "PRICE_REQUIRED: Price (44) is required for a limit order");
    if (!o.price->isPositive())
      return deny("INVALID_PRICE", OrdRejReason::Other,
                  fmt::format("INVALID_PRICE: Price (44) {} must be positive", o.price->str()));
    Price tick = Price::fromMantissa(ins->tickSize.mantissa());
    if (!o.price->isMultipleOf(tick))
      return deny("TICK_SIZE", OrdRejReason::Other,
                  fmt::format("TICK_SIZE: Price (44) {} is not a multiple of tick size {} for {}",
                              o.price->str(), ins->tickSize.str(), o.symbol.str()));
  } else if (!lim.allowMarketOrders) {
    return deny("MARKET_ORDERS_NOT_ALLOWED", OrdRejReason::BrokerOption,
                fmt::format("MARKET_ORDERS_NOT_ALLOWED: account '{}' may not send market orders",
                            o.account.str()));
  }

  if (lim.maxOrderQty && o.qty > *lim.maxOrderQty)
    return deny("MAX_ORDER_QTY", OrdRejReason::OrderExceedsLimit,
                fmt::format("MAX_ORDER_QTY: OrderQty (38) {} exceeds limit {}", o.qty.str(),
                            lim.maxOrderQty->str()));

  std::optional<Price> ref = referencePrice(o.symbol);
  if (lim.maxNotional) {
    std::optional<Price> px = o.price ? o.price : ref;
    if (!px)
      return deny("NO_REFERENCE_PRICE", OrdRejReason::Other,
                  fmt::format("NO_REFERENCE_PRICE: no reference price for {} to value a market order "
                              "against max notional {}",
                              o.symbol.str(), lim.maxNotional->str()));
    Notional n = notional(*px, o.qty);
    if (n > *lim.maxNotional)
      return deny("MAX_NOTIONAL", OrdRejReason::OrderExceedsLimit,
                  fmt::format("MAX_NOTIONAL: notional {} {} exceeds limit {}", n.str(),
                              ins->currency, lim.maxNotional->str()));
  }

  if (lim.priceBandPct && o.ordType == OrdType::Limit) {
    if (!ref)
      return deny("NO_REFERENCE_PRICE", OrdRejReason::Other,
                  fmt::format("NO_REFERENCE_PRICE: price band configured but no reference price for {}",
                              o.symbol.str()));
    Price lo = applyPercent(*ref, lim.priceBandPct->mantissa(), false);
    Price hi = applyPercent(*ref, lim.priceBandPct->mantissa(), true);
    if (*o.price < lo || *o.price > hi)
      return deny("PRICE_BAND", OrdRejReason::Other,
                  fmt::format("PRICE_BAND: Price (44) {} is outside ±{}% of reference {} [{}, {}]",
                              o.price->str(), lim.priceBandPct->str(), ref->str(), lo.str(),
                              hi.str()));
  }
  return RiskDecision::ok();
}

}  // namespace fixgw::risk
