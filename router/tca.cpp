#include "router/tca.h"

#include <algorithm>
#include <iterator>

namespace fixgw::router {

namespace {

// num / den rounded half away from zero (den > 0).
int64_t divRound(__int128 num, __int128 den) {
  const bool neg = num < 0;
  const __int128 a = neg ? -num : num;
  const __int128 q = (a + den / 2) / den;
  return static_cast<int64_t>(neg ? -q : q);
}

}  // namespace

const char* toString(ArrivalSource s) {
  switch (s) {
    case ArrivalSource::Mid:
      return "MID";
    case ArrivalSource::Reference:
      return "REFERENCE";
    case ArrivalSource::None:
      return "NONE";
  }
  return "NONE";
}

Price midOf(Price bid, Price ask) {
  return Price::fromMantissa(divRound(static_cast<__int128>(bid.mantissa()) + ask.mantissa(), 2));
}

std::optional<Bps> slippageBps(Side side, Price avgPx, Price benchmark) {
  if (!benchmark.isPositive()) return std::nullopt;
  __int128 diff = static_cast<__int128>(avgPx.mantissa()) - benchmark.mantissa();
  if (side != Side::Buy) diff = -diff;  // selling below the benchmark is the cost
  return Bps::fromMantissa(divRound(diff * 10'000 * kOne, benchmark.mantissa()));
}

std::optional<Ratio> ratioOf(Qty num, Qty den) {
  if (!den.isPositive()) return std::nullopt;
  return Ratio::fromMantissa(
      divRound(static_cast<__int128>(num.mantissa()) * kOne, den.mantissa()));
}

// ---------------------------------------------------------------- accumulator

void TcaAccumulator::onFill(const VenueId& venue, Qty qty, Price px, const std::optional<Qty>& fee,
                            const std::string& feeCurrency) {
  filled_ += qty;
  rawNotional_ += rawProduct(px, qty);
  byVenue_[venue] += qty;
  if (fee) fees_[feeCurrency] += *fee;
}

TcaResult TcaAccumulator::result(Qty orderQty, const TradeTotals& now) const {
  TcaResult r;
  r.arrivalPx = arrivalPx_;
  r.arrivalSource = src_;
  r.orderQty = orderQty;
  r.filledQty = filled_;
  if (filled_.isPositive()) r.avgPx = averageFromRaw(rawNotional_, filled_);
  r.marketVolume = now.volume - atArrival_.volume;
  r.marketTrades = now.trades - atArrival_.trades;
  if (r.marketVolume.isPositive())
    r.intervalVwap = averageFromRaw(now.rawNotional - atArrival_.rawNotional, r.marketVolume);
  if (r.avgPx && r.arrivalPx) r.slippageArrivalBps = slippageBps(side_, *r.avgPx, *r.arrivalPx);
  if (r.avgPx && r.intervalVwap) r.slippageVwapBps = slippageBps(side_, *r.avgPx, *r.intervalVwap);
  r.participation = ratioOf(filled_, r.marketVolume);
  r.fillRate = ratioOf(filled_, orderQty).value_or(Ratio{});
  r.feesByCurrency = fees_;
  r.filledByVenue = byVenue_;
  for (const auto& [v, q] : byVenue_) r.venueShare[v] = ratioOf(q, filled_).value_or(Ratio{});
  return r;
}

// ---------------------------------------------------------------- tracker

void TcaTracker::onQuote(const VenueId& venue, const Symbol& symbol,
                         const std::optional<Price>& bid, const std::optional<Price>& ask) {
  auto& mids = mids_[symbol];
  // A one-sided or empty book has no mid: the venue's earlier mid is stale.
  if (bid && ask && bid->isPositive() && ask->isPositive())
    mids[venue] = midOf(*bid, *ask);
  else
    mids.erase(venue);
}

void TcaTracker::onTrade(const Trade& t, WallNanos receivedAt) {
  if (!t.qty.isPositive()) return;
  SymbolPrints& p = prints_[t.symbol];
  p.total.volume += t.qty;
  p.total.rawNotional += rawProduct(t.price, t.qty);
  ++p.total.trades;
  WallNanos time = t.time ? t.time : receivedAt;
  if (!p.recent.empty() && time < p.recent.back().time) time = p.recent.back().time;
  p.recent.push_back(Point{time, p.total});
  while (p.recent.size() > 1 && p.recent.front().time < time - kRetention) {
    p.base = p.recent.front().totals;
    p.recent.pop_front();
  }
}

std::optional<Price> TcaTracker::mid(const VenueId& venue, const Symbol& symbol) const {
  auto s = mids_.find(symbol);
  if (s == mids_.end()) return std::nullopt;
  auto v = s->second.find(venue);
  if (v == s->second.end()) return std::nullopt;
  return v->second;
}

TradeTotals TcaTracker::totals(const Symbol& symbol) const {
  auto it = prints_.find(symbol);
  return it == prints_.end() ? TradeTotals{} : it->second.total;
}

TradeTotals TcaTracker::totalsAt(const Symbol& symbol, WallNanos at) const {
  auto it = prints_.find(symbol);
  if (it == prints_.end()) return TradeTotals{};
  const auto& r = it->second.recent;
  // The last print with time <= at.
  auto after = std::upper_bound(r.begin(), r.end(), at,
                                [](WallNanos t, const Point& p) { return t < p.time; });
  return after == r.begin() ? it->second.base : std::prev(after)->totals;
}

TcaAccumulator& TcaTracker::start(const OrderId& id, const Symbol& symbol, Side side,
                                  WallNanos arrival, std::optional<Price> arrivalPx,
                                  ArrivalSource src) {
  return live_
      .insert_or_assign(id,
                        TcaAccumulator(side, arrival, arrivalPx, src, totalsAt(symbol, arrival)))
      .first->second;
}

TcaAccumulator* TcaTracker::find(const OrderId& id) {
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : &it->second;
}

bool TcaTracker::complete(const OrderId& id, Qty orderQty, WallNanos at) {
  TcaAccumulator* a = find(id);
  if (!a) return false;
  a->complete(orderQty, at);
  return true;
}

std::optional<TcaResult> TcaTracker::finish(const OrderId& id, const Symbol& symbol) {
  auto it = live_.find(id);
  if (it == live_.end()) return std::nullopt;
  const TcaAccumulator& a = it->second;
  const TradeTotals now = a.completedAt() ? totalsAt(symbol, *a.completedAt()) : totals(symbol);
  TcaResult r = a.result(a.orderQty(), now);
  live_.erase(it);
  return r;
}

std::optional<TcaResult> TcaTracker::finish(const OrderId& id, const Symbol& symbol, Qty orderQty,
                                            WallNanos at) {
  if (!complete(id, orderQty, at)) return std::nullopt;
  return finish(id, symbol);
}

}  // namespace fixgw::router
