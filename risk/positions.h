// Position and P&L math for one account and symbol, from fills: signed
// quantity, cost basis, realised P&L (average-cost method) and unrealised P&L
// against a reference price. Exact: cost and P&L are kept as price*qty at
// scale 1e-16 in __int128 (the scale rawProduct() gives), so a long run of
// partial fills, short sales and flips never drifts; values are rounded to
// the 1e-8 Notional scale only when read.
//
// Derivatives: qty counts contracts (what the venue and the client trade) and
// the cost basis stays price*contracts; everything read as money — realised
// and unrealised P&L, the value of the cost basis — is times contractSize
// (core/contract_value.h), in the instrument's settle currency.
//
// Thread-safety: value type; the risk engine keeps these on the engine thread.
#pragma once

#include <cstdint>

#include "core/contract_value.h"
#include "core/fixed.h"
#include "core/types.h"

namespace fixgw::risk {

// raw (price*qty at 1e-16) -> Notional (1e-8), rounded half away from zero.
inline Notional notionalFromRaw(__int128 raw) {
  __int128 q = raw / kOne;
  __int128 r = raw % kOne;
  if (r < 0) r = -r;
  if (2 * r >= kOne) q += raw < 0 ? -1 : 1;
  if (q > INT64_MAX) q = INT64_MAX;
  if (q < INT64_MIN) q = INT64_MIN;
  return Notional::fromMantissa(static_cast<int64_t>(q));
}

struct Position {
  Qty qty;                   // signed: > 0 long, < 0 short
  __int128 costRaw = 0;      // cost basis of the open quantity, signed like qty
  __int128 realisedRaw = 0;  // realised P&L since the position was first traded
  Qty boughtQty, soldQty;    // traded volume, for reports
  // Underlying per contract (Instrument::contractSize); 1 for cash instruments.
  Qty contractSize = Qty::fromInt(1);

  // Applies one fill. Sells (Sell and SellShort) reduce the position.
  void apply(Side side, Qty q, Price px) {
    if (!q.isPositive()) return;
    const bool buy = side == Side::Buy;
    (buy ? boughtQty : soldQty) += q;
    const int64_t dq = buy ? q.mantissa() : -q.mantissa();
    const int64_t cur = qty.mantissa();
    if (cur == 0 || (cur > 0) == (dq > 0)) {
      qty = Qty::fromMantissa(cur + dq);
      costRaw += static_cast<__int128>(px.mantissa()) * dq;
      return;
    }
    // Reducing (and maybe flipping): the closed part realises against the
    // average cost; any remainder opens a new position at the fill price.
    const int64_t absCur = cur < 0 ? -cur : cur;
    const int64_t absDq = dq < 0 ? -dq : dq;
    const int64_t closed = absDq < absCur ? absDq : absCur;
    const __int128 costClosed =
        closed == absCur ? costRaw : costRaw * closed / absCur;  // signed like cur
    const __int128 proceeds = static_cast<__int128>(px.mantissa()) * closed;
    realisedRaw += (cur > 0 ? proceeds : -proceeds) - costClosed;
    costRaw -= costClosed;
    const int64_t remainder = absDq - closed;
    if (remainder == 0) {
      qty = Qty::fromMantissa(cur > 0 ? cur - closed : cur + closed);
      if (qty.isZero()) costRaw = 0;
      return;
    }
    const int64_t opened = dq > 0 ? remainder : -remainder;
    qty = Qty::fromMantissa(opened);
    costRaw = static_cast<__int128>(px.mantissa()) * opened;
  }

  // Average cost of the open quantity (positive), zero when flat.
  Price avgCost() const {
    if (qty.isZero()) return Price{};
    __int128 c = costRaw < 0 ? -costRaw : costRaw;
    return averageFromRaw(c, qty.isNegative() ? -qty : qty);
  }
  // In price*contracts (1e-16), without the contract size.
  __int128 unrealisedRaw(Price ref) const {
    return static_cast<__int128>(ref.mantissa()) * qty.mantissa() - costRaw;
  }
  // Money at 1e-16 (contract size applied), for sums across instruments.
  __int128 realisedValueRaw() const { return contractRaw(realisedRaw, contractSize); }
  __int128 unrealisedValueRaw(Price ref) const {
    return contractRaw(unrealisedRaw(ref), contractSize);
  }
  __int128 costValueRaw() const { return contractRaw(costRaw, contractSize); }
  // Marked value of the open quantity at ref (signed like qty).
  __int128 marketValueRaw(Price ref) const {
    return contractRaw(static_cast<__int128>(ref.mantissa()) * qty.mantissa(), contractSize);
  }
  // Money, rounded once to the Notional scale.
  Notional realised() const { return contractNotional(realisedRaw, contractSize); }
  Notional unrealised(Price ref) const {
    return contractNotional(unrealisedRaw(ref), contractSize);
  }
};

}  // namespace fixgw::risk
