// POV: keeps fills plus live children at the target share of the market
// volume seen since the algorithm (re)started.
#include <algorithm>
#include <string>

#include "algos/strategies.h"

namespace fixgw::algos::detail {

Qty Pov::target() const {
  const auto& p = ctx_.params();
  const Ratio rate = p.participationRate.value_or(Ratio());
  const Qty share = Qty::fromMantissa(static_cast<int64_t>(
      static_cast<__int128>(ctx_.marketVolume().mantissa()) * rate.mantissa() / kOne));
  const Qty t = ctx_.cumAtStart() + roundDownToLot(share, ctx_.parent().lotSize);
  return std::min(t, ctx_.parent().qty);
}

void Pov::decide() {
  const auto& p = ctx_.params();
  const Qty lot = ctx_.parent().lotSize;
  const Qty avail = ctx_.available();
  if (avail < lot) return;
  Qty minSize = std::max(p.minSlice.value_or(lot), p.minQty.value_or(Qty()));
  minSize = std::max(minSize, lot);
  const Qty tgt = target();
  const Qty cap = tgt + p.maxAhead;  // how far ahead it may run
  const Qty cum = ctx_.cumQty();
  const Qty live = ctx_.liveQty();
  const Qty done = cum + live;
  Qty size;
  std::string why;
  if (tgt >= done + minSize) {
    size = tgt - done;
    why = "behind target by " + size.str();
  } else if (done + minSize <= cap) {
    size = minSize;
    why =
        "ahead of target by " + (done + size - tgt).str() + " within MaxAhead " + p.maxAhead.str();
  } else if (avail < minSize && done + avail <= cap && tgt > done) {
    size = avail;
    why = "the last " + avail.str() + " of the order";
  } else {
    return;
  }
  if (p.maxSlice && size > *p.maxSlice) {
    size = *p.maxSlice;
    why += "; capped at MaxSlice " + p.maxSlice->str();
  }
  size = roundDownToLot(std::min(size, avail), lot);
  if (size < lot || !size.isPositive()) return;
  std::string reason = "POV " + p.participationRate.value_or(Ratio()).str() +
                       " of volume: " + ctx_.marketVolume().str() +
                       " traded since start -> target " + tgt.str() + ", filled " + cum.str() +
                       " + live " + live.str() + " -> send " + size.str() + " (" + why + ")";
  reason += p.limit ? "; limit " + p.limit->str() : "; market";
  ChildRequest r;
  r.qty = size;
  r.reason = std::move(reason);
  ctx_.sendChild(std::move(r));
}

}  // namespace fixgw::algos::detail
