// The venue adapter interface every venue implements (simulator, IBKR, crypto
// exchanges), and the events they report back. Each adapter maps its venue's
// order types, statuses and errors to these at its boundary and nowhere else.
//
// Thread-safety: the engine calls submit/cancel/replace from its thread; an
// adapter must return quickly (post to its own I/O thread). An adapter calls
// VenueEventSink::onVenueEvent from any thread of its own; the engine's sink
// posts the event to the engine thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/market_data.h"
#include "core/order_attrs.h"
#include "core/types.h"

namespace fixgw {

struct VenueNewOrder {
  ChildOrderId childId;
  Symbol symbol;  // instrument-master symbol; the adapter maps to the venue's
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  Qty qty;
  std::optional<Price> price;   // Limit, StopLimit
  std::optional<Price> stopPx;  // Stop, StopLimit: the trigger
  Account account;
  // Capacity, locate, position effect, post-only, min/display qty, expiry:
  // an adapter passes on what its venue takes and refuses (Rejected event
  // naming the attribute) what would change the order's meaning there.
  OrderAttributes attrs;
};

struct VenueCancel {
  ChildOrderId childId;
  VenueOrderId venueOrderId;  // empty if the venue has not acked yet
  Symbol symbol;
  Side side = Side::Buy;
};

// Cancel/replace to a new total quantity and/or price. The venue keeps the
// filled quantity; newQty is the new total (must exceed what is filled).
struct VenueReplace {
  ChildOrderId childId;
  VenueOrderId venueOrderId;
  Symbol symbol;
  Side side = Side::Buy;
  Qty newQty;
  std::optional<Price> newPrice;
  std::optional<Price> newStopPx;  // Stop, StopLimit
};

enum class VenueEventKind : uint8_t {
  Accepted,
  Rejected,
  Fill,
  Canceled,
  Replaced,
  Expired,         // e.g. IOC remainder, FOK not fillable
  CancelRejected,
  ReplaceRejected,
  Disconnected,
  Reconnected,
};

struct VenueEvent {
  VenueEventKind kind = VenueEventKind::Accepted;
  VenueId venue;
  ChildOrderId childId;
  VenueOrderId venueOrderId;
  VenueExecId venueExecId;  // fills
  Qty lastQty;              // fills
  Price lastPx;             // fills
  Qty leavesQty;            // venue's view after this event
  Qty cumQty;               // venue's view after this event
  Qty newQty;               // Replaced: new total qty
  std::optional<Price> newPrice;  // Replaced
  std::string text;         // reason for rejects/expiry, venue's own words
  WallNanos venueTime = 0;
  // Fills, where the venue reports it: the fee charged and its currency
  // (crypto venues charge in either asset of the pair, or their own token).
  std::optional<Qty> fee;
  std::string feeCurrency;
};

const char* toString(VenueEventKind k);

class VenueEventSink {
 public:
  virtual ~VenueEventSink() = default;
  virtual void onVenueEvent(VenueEvent e) = 0;
};

// A venue's view of one order, for reconciliation at start-up.
struct VenueOrderState {
  ChildOrderId childId;  // our id as the venue knows it (its client order id)
  VenueOrderId venueOrderId;
  Symbol symbol;
  Side side = Side::Buy;
  Qty qty;
  Qty cumQty;
  std::optional<Price> price;
  bool open = true;
  // Terms, for adoptOpenOrders (snapshots need not fill them in).
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  std::optional<Price> stopPx;
  // What the order was sent with (adoptOpenOrders): an adapter that resends
  // attributes on every modify needs them after a restart too.
  OrderAttributes attrs;
};

// One execution as the venue reports it, for reconciliation.
struct VenueFill {
  ChildOrderId childId;
  VenueOrderId venueOrderId;
  VenueExecId venueExecId;
  Symbol symbol;
  Side side = Side::Buy;
  Qty qty;
  Price px;
  WallNanos time = 0;
};

// The venue's answer to a reconciliation request: its open orders (for our
// child ids it knows) and its fills since the time asked for.
struct VenueSnapshot {
  bool ok = false;      // false: the venue could not answer (error says why)
  std::string error;
  std::vector<VenueOrderState> orders;  // open orders, and any recently done the venue still lists
  std::vector<VenueFill> fills;
};

// One rate limit a venue enforces on us, as the adapter last knew it: what the
// venue (or the adapter's own local limiter, when the venue reports nothing)
// allows per window, and how much of it is used now. Shown by the admin API
// (/api/venues "rate_limits") and `fixgw admin venues`.
struct VenueRateLimit {
  std::string name;         // e.g. "request_weight_1m", "orders_10s", "private_rest_1s"
  int64_t limit = 0;        // allowed per window (or the counter's maximum)
  int64_t used = 0;         // used in the current window (or the counter's value)
  int64_t windowMs = 0;     // the window; 0 = a decaying counter (Kraken)
  std::string source;       // "venue" (from its headers/replies) or "local" (our limiter)
  WallNanos updatedAt = 0;  // when `used` was last learned
  int64_t headroom() const { return limit > used ? limit - used : 0; }
};

class VenueAdapter {
 public:
  virtual ~VenueAdapter() = default;
  virtual const VenueId& id() const = 0;
  // Starts I/O; events go to sink until stop(). sink outlives the adapter.
  virtual void start(VenueEventSink& sink) = 0;
  virtual void stop() = 0;
  virtual void submit(const VenueNewOrder& o) = 0;
  virtual void cancel(const VenueCancel& c) = 0;
  virtual void replace(const VenueReplace& r) = 0;
  // Best reference price the venue knows for a symbol (last trade or mid),
  // if any. Safe from any thread.
  virtual std::optional<Price> referencePrice(const Symbol&) const { return std::nullopt; }
  // Start-up, before requestSnapshot: the orders the journal says are open at
  // this venue (childId, venueOrderId if acked, terms, cumQty). An adapter
  // whose own order state does not survive a gateway restart takes them over,
  // so late reports, status requests and cancels for them work; an adapter
  // that learns its orders from the venue (TWS) or keeps them (the simulator)
  // ignores this. Called on the engine thread.
  virtual void adoptOpenOrders(const std::vector<VenueOrderState>& orders) { (void)orders; }
  // Reconciliation hook, called at start-up and after a reconnect: asks the
  // venue for its open orders and its fills since `since`. The answer comes
  // back once through cb, from any thread. Adapters that cannot answer say so.
  virtual void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) {
    (void)since;
    VenueSnapshot s;
    s.error = "venue " + id().str() + " does not support reconciliation";
    cb(std::move(s));
  }
  // Market data (core/market_data.h): top of book (with up to depthLevels
  // levels per side when depthLevels > 0 and the venue has depth) and trades
  // for one symbol, delivered to sink from the adapter's own thread, as
  // VenueEventSink is. The first book state follows the subscription. One
  // sink may subscribe to many symbols, and many sinks to one; sink must stay
  // alive until unsubscribeMarketData returns, after which it is not called
  // again for that symbol. Adapters without a feed say so.
  virtual MarketDataStatus subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                               size_t depthLevels) {
    (void)sink;
    (void)depthLevels;
    MarketDataStatus s;
    s.error =
        "venue " + id().str() + " does not support market data (symbol '" + symbol.str() + "')";
    return s;
  }
  virtual void unsubscribeMarketData(const Symbol& symbol, MarketDataSink& sink) {
    (void)symbol;
    (void)sink;
  }
  // The venue's rate limits as last known (empty: the venue has none the
  // adapter tracks). Safe from any thread (the admin API calls it).
  virtual std::vector<VenueRateLimit> rateLimits() const { return {}; }
};

}  // namespace fixgw
