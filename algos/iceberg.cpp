// Iceberg: MaxFloor shown at a time.
#include <algorithm>
#include <string>

#include "algos/strategies.h"

namespace fixgw::algos::detail {

Qty Iceberg::showSize() const {
  const auto& p = ctx_.params();
  const Qty lot = ctx_.parent().lotSize;
  Qty show = p.displayQty.value_or(lot);
  if (p.randomizeSize.isPositive()) {
    // Keyed by what is filled: the same size again after a rebuild.
    const auto k = static_cast<uint64_t>(ctx_.cumQty().mantissa());
    show += jitter(show, p.randomizeSize, signedPpm(p.seed, k));
  }
  return std::max(roundDownToLot(show, lot), lot);
}

void Iceberg::decide() {
  const auto& p = ctx_.params();
  const Qty lot = ctx_.parent().lotSize;
  const Qty avail = ctx_.available();
  if (avail < lot || !ctx_.liveChildren().empty()) return;
  ChildRequest r;
  const std::string limit = p.limit ? "; limit " + p.limit->str() : "; market";
  if (ctx_.venueHasNativeDisplay()) {
    const Qty floor = std::min(p.displayQty.value_or(avail), avail);
    r.qty = avail;
    r.displayQty = floor;
    r.reason = "ICEBERG: the venue shows " + floor.str() + " itself (native display size); all " +
               avail.str() + " left in one child" + limit;
  } else {
    Qty size = std::min(showSize(), avail);
    if (p.minQty) size = std::min(std::max(size, *p.minQty), avail);
    r.qty = size;
    r.reason = "ICEBERG: show " + size.str() + " of the " + avail.str() + " left (MaxFloor " +
               p.displayQty.value_or(lot).str() +
               (p.randomizeSize.isPositive() ? ", randomised" : "") + "), filled " +
               ctx_.cumQty().str() + limit;
  }
  ctx_.sendChild(std::move(r));
}

}  // namespace fixgw::algos::detail
