// The built-in simulator venue: an in-process exchange with one price-time
// priority limit order book per instrument, seeded with synthetic
// market-maker liquidity that follows a reproducible random walk. It lets the
// whole gateway (risk, router, algos, store) run end to end with no outside
// venue, and gives tests a venue whose behaviour is deterministic for a seed.
//
// The matching itself lives in sim_market.h (SimMarket, pure and thread-free);
// SimVenue wraps it in a VenueAdapter with its own EventLoop thread.
//
// Thread-safety: submit/cancel/replace/setMid/referencePrice and start/stop
// are safe from any thread. Events reach the sink on the simulator thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "core/clock.h"
#include "core/executor.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/instrument.h"
#include "core/venue.h"

namespace fixgw::sim {

// A fee rate in basis points ("0.3" = 0.003%); negative = a rebate.
using FeeBps = Fixed<struct SimFeeBpsTag>;

struct SimConfig {
  uint64_t seed = 42;
  // When set, the simulator runs on this loop (the engine's) instead of a
  // thread of its own: an in-process venue with no I/O needs no thread hop.
  // Not owned; must outlive the simulator and be drained before it is gone.
  EventLoop* sharedLoop = nullptr;
  // Applied once on the way in (before the order reaches the book) and once on
  // the way out (before events reach the sink). 0 = post immediately.
  int64_t latencyNanos = 0;
  // Random-walk period; <= 0 disables the walk (the mid then only moves
  // through SimMarket::setMid / SimVenue::setMid).
  int64_t stepIntervalNanos = 1'000'000'000;
  // Standard deviation of one step in basis points of the mid. 0.5 bp/s keeps
  // an order 8% away from the mid untouched for days, not just a minute.
  double volatilityBps = 0.5;
  // Market-maker price levels on each side; 0 = no synthetic liquidity.
  int depthLevels = 5;
  // Size of one level in lots of the instrument's lotSize...
  int64_t levelQtyLots = 100;
  // ...but never less notional than this per level (at the reference price,
  // contract size included, rounded up to a whole lot). Needed because lot sizes span 1 share to
  // 1e-8 BTC: 100 lots is 100 AAPL shares ($10k) but only 0.000001 BTC. With
  // the defaults AAPL/MSFT levels are 100 shares and BTC-USD levels are
  // 0.16666667 BTC (~$10k at 60,000).
  Notional minLevelNotional = Notional::fromInt(10'000);
  // Explicit level size; when positive it replaces both rules above (rounded
  // down to a whole lot, at least one lot).
  Qty levelQty;
  // Ticks between the market maker's best bid and best ask (>= 1). The best
  // bid is mid - spreadTicks/2 ticks (integer division); best ask is
  // spreadTicks above it.
  int spreadTicks = 2;
  // Moves every instrument's starting mid this many ticks from its reference
  // price, so several simulator venues quote different books.
  int64_t midOffsetTicks = 0;
  // Fees charged on client fills: the aggressor pays takerFeeBps, the
  // resting order makerFeeBps, of the fill's notional, in the instrument's
  // currency (VenueEvent::fee/feeCurrency). Both 0: no fee is reported. For a
  // derivative the notional is contracts x contractSize x price and the fee
  // is in its settleCurrency.
  FeeBps takerFeeBps;
  FeeBps makerFeeBps;
};

// Creates the simulator venue. instruments is copied; clock must outlive the
// adapter.
std::unique_ptr<VenueAdapter> makeSimVenue(VenueId id, SimConfig cfg,
                                           const InstrumentMaster& instruments, const Clock& clock);

// The concrete adapter, for callers that want the simulator-only hooks.
class SimVenue final : public VenueAdapter {
 public:
  SimVenue(VenueId id, SimConfig cfg, const InstrumentMaster& instruments, const Clock& clock);
  ~SimVenue() override;
  SimVenue(const SimVenue&) = delete;
  SimVenue& operator=(const SimVenue&) = delete;

  const VenueId& id() const override;
  // Idempotent. A stopped venue can be started again; its book state is kept.
  void start(VenueEventSink& sink) override;
  // Idempotent; joins the simulator thread. Work still waiting for its
  // latency delay is dropped.
  void stop() override;
  // While not running, requests are answered at once (on the caller's thread)
  // with Rejected / CancelRejected / ReplaceRejected "simulator not running"
  // if a sink was ever given, and dropped otherwise.
  void submit(const VenueNewOrder& o) override;
  void cancel(const VenueCancel& c) override;
  void replace(const VenueReplace& r) override;
  // The current mid of the simulated market.
  std::optional<Price> referencePrice(const Symbol& symbol) const override;
  // Open client orders and the fills this simulator made since `since`. The
  // simulator lives in the gateway's process: after a restart it knows no
  // orders, so reconciliation resolves the gateway's open orders as gone.
  void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) override;
  // Market data from the simulated book: after every operation that changed
  // it (an order, a fill, a random-walk step, setMid) the subscribers of that
  // symbol get the trades it made (client orders with the market maker or
  // with each other; every fill is at the resting price) and then the new
  // book, if it differs from the last one sent. Delivered on the simulator
  // thread, after the venue events of the same operation and with the same
  // outbound latency. Works whether or not the simulator runs (updates flow
  // while it runs); an unknown symbol is refused.
  MarketDataStatus subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                       size_t depthLevels) override;
  void unsubscribeMarketData(const Symbol& symbol, MarketDataSink& sink) override;

  // Moves the mid of symbol (rounded to its tick) on the simulator thread and
  // re-quotes, filling resting orders the new quotes cross. For tests and
  // demos; ignored when not running or the symbol is unknown.
  void setMid(const Symbol& symbol, Price mid);
  // Waits until the simulator thread has run everything posted to it before
  // this call (latency-delayed work excepted). No-op when not running.
  void sync();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixgw::sim
