// The Alpaca venue adapter (US equities, paper or live by config). Orders go
// out over REST v2 (POST /v2/orders with client_order_id = our child id,
// DELETE to cancel, PATCH to replace — Alpaca's native replace, which makes a
// NEW order id and leaves the old one `replaced`); order updates come back on
// the /stream WebSocket `trade_updates` (auth with the key pair, then
// listen; binary or text frames alike), with REST polling (GET /v2/orders,
// account activities FILL) while the stream is down. Fills are booked once
// per Alpaca execution id, whichever way they arrive; fees only when Alpaca
// reports a commission (it charges none on equities). A submit or replace
// whose answer is lost is looked up by its client_order_id, never resent.
//
// Before an order leaves: the asset (GET /v2/assets/{symbol}: tradable,
// fractionable, shortable, increments) and market hours (GET /v2/clock) —
// see docs/alpaca.md for what is refused and why. Rate limit: 200 a minute
// per account, kept locally and from Alpaca's X-RateLimit-* headers
// (rateLimits()).
//
// Market data: Alpaca's data stream (`data_host`, `/v2/iex` or `/v2/sip`):
// quotes → top of book, trades → prints, and the last print is
// referencePrice.
//
// Thread-safety: the VenueAdapter calls return at once (work goes to the
// adapter's I/O thread); events come from that thread and the stream's.
// MarketDataSink callbacks run with the adapter's market-data lock held: a
// sink must not call (un)subscribeMarketData from inside one.
#pragma once

#include <memory>

#include "core/instrument.h"
#include "core/venue.h"
#include "venue_adapters/alpaca/config.h"
#include "venue_adapters/registry.h"

namespace fixgw::alpaca {

std::unique_ptr<VenueAdapter> makeAlpacaVenue(VenueId id, AlpacaConfig cfg, Credentials cred,
                                              const InstrumentMaster& instruments,
                                              const Clock& clock);

// Registry factory for "type": "alpaca".
std::unique_ptr<VenueAdapter> makeAlpacaVenueFromConfig(const venues::VenueContext& ctx,
                                                        venues::ParamReader& p);

}  // namespace fixgw::alpaca
