// Market data a venue publishes per symbol: top of book (best bid/ask and
// their sizes, optionally a few levels of depth) and trades (price, size,
// time). Algorithms read it (POV counts market volume from trades, VWAP can
// learn a volume profile from them); venue adapters produce it through
// VenueAdapter::subscribeMarketData (core/venue.h).
//
// Thread-safety: value types. A MarketDataSink is called the way a
// VenueEventSink is: from the adapter's own thread (the simulator's loop, an
// adapter's I/O thread), one call at a time per adapter; a sink that feeds the
// engine posts to the engine thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"

namespace fixgw {

struct BookLevel {
  Price price;
  Qty qty;
  bool operator==(const BookLevel&) const = default;
};

struct TopOfBook {
  VenueId venue;
  Symbol symbol;
  // Best bid and ask; nullopt when that side is empty. Sizes are the total
  // displayed quantity at the best price.
  std::optional<Price> bidPx;
  Qty bidQty;
  std::optional<Price> askPx;
  Qty askQty;
  // Depth, best first, when the subscription asked for it and the venue has
  // it: level 0 repeats the best bid/ask. Empty for a top-only feed.
  std::vector<BookLevel> bids;
  std::vector<BookLevel> asks;
  WallNanos time = 0;  // venue's time of this state

  // Same market state (ignores the time stamp).
  bool sameBook(const TopOfBook& o) const {
    return bidPx == o.bidPx && bidQty == o.bidQty && askPx == o.askPx && askQty == o.askQty &&
           bids == o.bids && asks == o.asks;
  }
};

struct Trade {
  VenueId venue;
  Symbol symbol;
  Price price;
  Qty qty;
  WallNanos time = 0;  // venue's time of the print
};

class MarketDataSink {
 public:
  virtual ~MarketDataSink() = default;
  // A new book state for a subscribed symbol (sent once on subscribe, then on
  // every change).
  virtual void onBook(const TopOfBook& book) = 0;
  // A print on a subscribed symbol, our own fills included.
  virtual void onTrade(const Trade& trade) = 0;
};

// The answer to a subscription request.
struct MarketDataStatus {
  bool ok = false;
  std::string error;  // why not, when !ok
};

}  // namespace fixgw
