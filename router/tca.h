// Transaction cost analysis (TCA) of parent orders, measured live on the
// engine thread: the arrival price (the venue's mid when the order was
// received, else the venue's reference price, marked as such), the market's
// trades between arrival and completion (volume and VWAP), and our fills
// (average price, fees by currency, quantity per venue). When the parent
// completes, the figures go to the journal as a TcaRec (table tca).
//
// Sign convention: slippage in basis points is positive when it cost the
// client, for both sides: a buy filled above its benchmark, a sell filled
// below it. Slippage = (avgPx - benchmark) / benchmark * 10000 for a buy and
// (benchmark - avgPx) / benchmark * 10000 for a sell.
//
// Interval market figures are cheap on purpose: the tracker keeps running
// totals (volume, notional, trade count) per symbol, and an accumulator only
// remembers the totals at its arrival, so a trade costs O(1) however many
// parents are live and a parent costs one hash-map slot.
//
// The interval is (arrival, completion] in the prints' own time (the venue's
// trade time, else when the engine received it). The print of a parent's own
// last fill reaches the engine after the fill that completed it, so the
// figures are taken a grace period after completion (Engine: tca print grace)
// from the totals as of the completion time: the tracker keeps the totals
// after each print of the last minute for that look-up.
//
// Thread-safety: none; engine thread only (market data reaches it through
// the engine's market-data relay, which posts to the engine thread).
#pragma once

#include <deque>
#include <map>
#include <memory_resource>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/journal.h"
#include "core/market_data.h"
#include "core/types.h"

namespace fixgw::router {

enum class ArrivalSource : uint8_t { Mid, Reference, None };
const char* toString(ArrivalSource s);

// Mid of a two-sided book, rounded half away from zero at the price scale.
Price midOf(Price bid, Price ask);
// Slippage of avgPx against benchmark in bps (positive = cost); nullopt
// without a positive benchmark.
std::optional<Bps> slippageBps(Side side, Price avgPx, Price benchmark);
// num / den as a fraction; nullopt when den is not positive.
std::optional<Ratio> ratioOf(Qty num, Qty den);

// Running totals of a symbol's market trades since the tracker started.
struct TradeTotals {
  Qty volume;
  __int128 rawNotional = 0;  // sum of px*qty at scale 1e-16 (exact)
  int64_t trades = 0;
};

// What TCA reports for one parent.
struct TcaResult {
  std::optional<Price> arrivalPx;
  ArrivalSource arrivalSource = ArrivalSource::None;
  Qty orderQty, filledQty;
  std::optional<Price> avgPx;
  Qty marketVolume;
  int64_t marketTrades = 0;
  std::optional<Price> intervalVwap;
  std::optional<Bps> slippageArrivalBps, slippageVwapBps;
  std::optional<Ratio> participation;
  Ratio fillRate;
  std::map<std::string, Qty> feesByCurrency;  // fills without a fee count for nothing
  std::map<VenueId, Qty> filledByVenue;
  std::map<VenueId, Ratio> venueShare;  // filledByVenue / filledQty
};

// One parent's figures while it works.
class TcaAccumulator {
 public:
  TcaAccumulator(Side side, WallNanos arrival, std::optional<Price> arrivalPx, ArrivalSource src,
                 const TradeTotals& marketAtArrival)
      : side_(side),
        arrival_(arrival),
        arrivalPx_(arrivalPx),
        src_(arrivalPx ? src : ArrivalSource::None),
        atArrival_(marketAtArrival) {}

  void onFill(const VenueId& venue, Qty qty, Price px, const std::optional<Qty>& fee,
              const std::string& feeCurrency);
  // marketNow: the symbol's totals at completion.
  TcaResult result(Qty orderQty, const TradeTotals& marketNow) const;

  WallNanos arrival() const { return arrival_; }
  Side side() const { return side_; }
  // Completion (the parent reached its final status); the figures follow later.
  void complete(Qty orderQty, WallNanos at) {
    orderQty_ = orderQty;
    completedAt_ = at;
  }
  std::optional<WallNanos> completedAt() const { return completedAt_; }
  Qty orderQty() const { return orderQty_; }

 private:
  Side side_;
  WallNanos arrival_;
  std::optional<Price> arrivalPx_;
  ArrivalSource src_;
  TradeTotals atArrival_;
  Qty filled_;
  __int128 rawNotional_ = 0;
  std::map<std::string, Qty> fees_;
  std::map<VenueId, Qty> byVenue_;
  Qty orderQty_;
  std::optional<WallNanos> completedAt_;
};

// The engine's TCA state: the latest mid per venue and symbol, running trade
// totals per symbol, and one accumulator per working parent.
class TcaTracker {
 public:
  void onBook(const TopOfBook& book) { onQuote(book.venue, book.symbol, book.bidPx, book.askPx); }
  void onQuote(const VenueId& venue, const Symbol& symbol, const std::optional<Price>& bid,
               const std::optional<Price>& ask);
  // A print; its time is trade.time, or receivedAt when the venue gave none.
  void onTrade(const Trade& trade, WallNanos receivedAt = 0);
  // The venue's mid for symbol, when both sides of its book are known.
  std::optional<Price> mid(const VenueId& venue, const Symbol& symbol) const;
  // All prints so far, and those with time <= at (as far back as the last
  // minute of prints reaches; earlier times give the totals before it).
  TradeTotals totals(const Symbol& symbol) const;
  TradeTotals totalsAt(const Symbol& symbol, WallNanos at) const;

  TcaAccumulator& start(const OrderId& id, const Symbol& symbol, Side side, WallNanos arrival,
                        std::optional<Price> arrivalPx, ArrivalSource src);
  TcaAccumulator* find(const OrderId& id);
  // The parent reached its final status at `at`; false if it was never started.
  bool complete(const OrderId& id, Qty orderQty, WallNanos at);
  // The parent's result over (arrival, completion], and forgets it; nullopt if
  // it was never started. Without complete() first: up to the latest print.
  std::optional<TcaResult> finish(const OrderId& id, const Symbol& symbol);
  // complete() and finish() at once.
  std::optional<TcaResult> finish(const OrderId& id, const Symbol& symbol, Qty orderQty,
                                  WallNanos at);
  size_t live() const { return live_.size(); }

  // How long the totals after each print are kept for totalsAt().
  static constexpr WallNanos kRetention = 60'000'000'000LL;

 private:
  struct Point {
    WallNanos time;
    TradeTotals totals;  // after this print
  };
  struct SymbolPrints {
    TradeTotals total;
    TradeTotals base;          // before recent.front()
    std::deque<Point> recent;  // time ascending (a late print takes the latest time)
  };
  std::unordered_map<Symbol, std::unordered_map<VenueId, Price>> mids_;
  std::unordered_map<Symbol, SymbolPrints> prints_;
  // A node per working parent: from a pool, not one malloc each (issue 15).
  // Declared before live_: it must outlive it.
  std::pmr::unsynchronized_pool_resource livePool_;
  std::pmr::unordered_map<OrderId, TcaAccumulator> live_{&livePool_};
};

}  // namespace fixgw::router
