// The router's side of smart order routing: the SOR's configuration (which
// venues, their fees, the remainder policy), each venue's book per symbol
// (its own market-data subscription, with depth) and each venue's health
// (connected, recent rejects of our children, ack latency). The engine asks
// it for the SOR's view of a symbol (algos::SorVenue per venue) and feeds it
// venue events; the policy itself is algos/sor.h (pure).
//
// A parent reaches the SOR when a routing rule (or the default venue, or the
// client's ExDestination 100) names the pseudo-venue "SOR": a plain order
// becomes an SOR parent (Strategy::Sor under an AlgoRunner), and an algo
// order's slices each go to the venue the SOR picks for them.
//
// Thread-safety: onBook/onTrade (the MarketDataSink) may be called from any
// venue thread; they post to the engine executor. Everything else is on the
// engine thread. The executor must be drained before this object goes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "algos/sor.h"
#include "core/clock.h"
#include "core/executor.h"
#include "core/ids.h"
#include "core/market_data.h"
#include "core/venue.h"
#include "router/routing.h"

namespace fixgw::router {

struct SorVenueConfig {
  VenueId venue;
  algos::SorVenueFees fees;  // what the router assumes the venue charges
};

struct SorConfig {
  std::vector<SorVenueConfig> venues;  // routable venues, config order
  size_t depthLevels = 5;              // book levels subscribed per venue
  // A limit parent's remainder (Day/GTC/GTD); IOC always cancels, and a
  // market order's remainder cannot rest (it is cancelled under "rest").
  algos::SorRemainder remainder = algos::SorRemainder::Rest;
  int maxSweeps = 3;
  int maxRecentRejects = 3;
  int64_t rejectWindowNanos = 60'000'000'000;
  int64_t bookWaitNanos = 1'000'000'000;  // first decision: wait this long for every book
  bool enabled() const { return !venues.empty(); }
};

class SorRouter final : public MarketDataSink {
 public:
  // onBookChanged runs on the engine thread after each book update.
  SorRouter(Executor& engine, const Clock& clock, SorConfig cfg,
            std::function<void(const TopOfBook&)> onBookChanged);

  const SorConfig& config() const { return cfg_; }

  // MarketDataSink (any thread): posts to the engine.
  void onBook(const TopOfBook& book) override;
  void onTrade(const Trade& trade) override { (void)trade; }

  // Engine thread. Subscribes every SOR venue for symbol (once per venue and
  // symbol; a failure is retried on the next call); returns the errors.
  std::vector<std::string> subscribe(const Symbol& symbol,
                                     const std::map<VenueId, VenueAdapter*>& venues);
  void unsubscribeAll(const std::map<VenueId, VenueAdapter*>& venues);
  // The SOR's view of symbol: every configured venue (running or not).
  std::vector<algos::SorVenue> view(const Symbol& symbol,
                                    const std::map<VenueId, VenueAdapter*>& venues,
                                    Qty lotSize) const;

  // Health, from the engine's venue events.
  void onConnection(const VenueId& v, bool connected);
  void onChildSent(const ChildOrderId& child, const VenueId& v);
  void onChildAcked(const ChildOrderId& child);
  void onChildRejected(const ChildOrderId& child, const VenueId& v);
  algos::SorVenueHealth health(const VenueId& v) const;

  const TopOfBook* book(const VenueId& v, const Symbol& s) const;

 private:
  void deliver(const TopOfBook& book);

  Executor& engine_;
  const Clock& clock_;
  SorConfig cfg_;
  std::function<void(const TopOfBook&)> onBookChanged_;
  std::map<std::pair<VenueId, Symbol>, TopOfBook> books_;
  std::set<std::pair<VenueId, Symbol>> subscribed_;
  struct Health {
    bool connected = true;
    std::vector<WallNanos> rejects;  // times, within the window
    int64_t ackLatencyMicros = 0;    // exponentially weighted
  };
  mutable std::map<VenueId, Health> health_;
  std::unordered_map<ChildOrderId, std::pair<VenueId, int64_t>> inFlight_;  // sent, not acked
};

}  // namespace fixgw::router
