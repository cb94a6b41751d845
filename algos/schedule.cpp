// TWAP and VWAP: slices on a schedule over [start, end].
#include <algorithm>
#include <string>

#include "algos/strategies.h"
#include "algos/volume_profile.h"

namespace fixgw::algos::detail {

namespace {
constexpr uint64_t kSizeStream = 0x5153;  // keeps size and time draws apart
constexpr uint64_t kTimeStream = 0x7154;
}  // namespace

int ScheduledAlgo::sliceCount() const {
  const auto& p = ctx_.params();
  const int64_t dur = p.end - p.start;
  if (dur <= 0) return 1;
  const int64_t n = (dur + p.sliceIntervalNanos - 1) / p.sliceIntervalNanos;
  return static_cast<int>(std::clamp<int64_t>(n, 1, 1'000'000));
}

WallNanos ScheduledAlgo::sliceTime(int i) const {
  const auto& p = ctx_.params();
  WallNanos t = p.start + static_cast<int64_t>(i) * p.sliceIntervalNanos;
  if (i > 0 && p.randomizeTime.isPositive()) {
    const Qty interval = Qty::fromMantissa(p.sliceIntervalNanos);  // nanos as a plain number
    t += jitter(interval, p.randomizeTime, unsignedPpm(p.seed, kTimeStream + 2 * i)).mantissa();
  }
  return std::min(t, p.end - 1);
}

Qty ScheduledAlgo::target(int i) const {
  const auto& p = ctx_.params();
  const Qty qty = ctx_.parent().qty;
  const int n = sliceCount();
  if (i >= n - 1) return qty;
  if (i < 0) return Qty();
  __int128 num = 0, den = 1;
  bool flat = false;
  const WallNanos slotEnd =
      std::min(p.end, p.start + static_cast<int64_t>(i + 1) * p.sliceIntervalNanos);
  dueShare(slotEnd, num, den, flat);
  Qty due = scaled(qty, num, den);
  if (p.randomizeSize.isPositive()) {
    const Qty nominal = scaled(qty, 1, n);
    due += jitter(nominal, p.randomizeSize, signedPpm(p.seed, kSizeStream + 2 * i));
  }
  due = std::clamp(due, Qty(), qty);
  return roundDownToLot(due, ctx_.parent().lotSize);
}

void ScheduledAlgo::decide() {
  const auto& p = ctx_.params();
  const WallNanos now = ctx_.now();
  const int n = sliceCount();
  if (now < p.start) {
    ctx_.setTimer(p.start);
    return;
  }
  int i = static_cast<int>(std::min<int64_t>((now - p.start) / p.sliceIntervalNanos, n - 1));
  if (sliceTime(i) > now) --i;
  if (i < 0) {
    ctx_.setTimer(sliceTime(0));
    return;
  }
  if (i + 1 < n) ctx_.setTimer(sliceTime(i + 1));

  const Qty lot = ctx_.parent().lotSize;
  const Qty due = target(i);
  const Qty cum = ctx_.cumQty();
  const Qty live = ctx_.liveQty();
  const Qty done = cum + live;
  if (due <= done) return;
  const Qty want = due - done;
  const Qty nominal = due - (i > 0 ? target(i - 1) : Qty());
  Qty size = want;
  std::string notes;
  if (p.maxSlice && size > *p.maxSlice) {
    size = *p.maxSlice;
    notes += "; capped at MaxSlice " + p.maxSlice->str();
  }
  size = roundDownToLot(std::min(size, ctx_.available()), lot);
  if (size < lot || !size.isPositive()) return;
  if (p.minQty && size < *p.minQty && size != ctx_.available())
    return;  // wait for a MinQty's worth

  __int128 num = 0, den = 1;
  bool flat = false;
  dueShare(std::min(p.end, p.start + static_cast<int64_t>(i + 1) * p.sliceIntervalNanos), num, den,
           flat);
  std::string reason = std::string(toString(strategy())) + " slice " + std::to_string(i + 1) + "/" +
                       std::to_string(n) + " at " + fmtTime(sliceTime(i)) + ": due " + due.str() +
                       " of " + ctx_.parent().qty.str() + ", filled " + cum.str() + " + live " +
                       live.str() + " -> send " + size.str();
  if (want > nominal) reason += "; catch-up: " + (want - nominal).str() + " behind the schedule";
  if (strategy() == Strategy::Vwap) {
    reason += flat ? "; no volume profile in the window: spread by time" : "; by volume profile";
  }
  if (p.randomizeSize.isPositive())
    reason += "; size randomised (seed " + std::to_string(p.seed) + ")";
  reason += notes;
  reason += p.limit ? "; limit " + p.limit->str() : "; market";
  ChildRequest r;
  r.qty = size;
  r.reason = std::move(reason);
  ctx_.sendChild(std::move(r));
}

void Twap::dueShare(WallNanos t, __int128& num, __int128& den, bool& flat) const {
  // Equal slices: slice i (ending at t) brings the order to (i + 1) / n.
  const auto& p = ctx_.params();
  const int n = sliceCount();
  const int64_t i = (t - p.start + p.sliceIntervalNanos - 1) / p.sliceIntervalNanos;  // slices done
  num = std::clamp<int64_t>(i, 0, n);
  den = n;
  flat = true;
}

void Vwap::dueShare(WallNanos t, __int128& num, __int128& den, bool& flat) const {
  const auto& p = ctx_.params();
  const __int128 total = profileWeight(p.volumeProfile, p.start, p.end);
  if (total <= 0) {
    num = t - p.start;
    den = p.end - p.start;
    flat = true;
    return;
  }
  num = profileWeight(p.volumeProfile, p.start, t);
  den = total;
  flat = false;
}

}  // namespace fixgw::algos::detail
