// The Binance spot venue adapter. Orders go out over REST (signed,
// newOrderRespType=FULL); order updates come back on the user data stream
// (listen key, kept alive every 30 min, renewed on listenKeyExpired), with
// REST polling of open orders while the stream is down. Fills are booked
// once per Binance trade id, with fee and fee currency, whichever way they
// arrive (order response, stream, myTrades). Replace is cancel-then-new: the
// cancel's executed quantity decides the new order's size, so a fill between
// the two is booked and never over-sent.
//
// Symbol filters (exchangeInfo) load at start and refresh; an order that
// breaks one is rejected before it leaves, naming the filter.
//
// Signed requests are dated by Binance's clock: the offset is measured from
// GET /api/v3/time at start-up and again on a -1021 answer (see rest.h).
//
// Public market data (subscribeMarketData) comes from one combined market
// stream connection (/stream?streams=...): <symbol>@bookTicker, @trade and
// @depth<N>@100ms, (un)subscribed live; a drop blanks every book until the
// reconnected stream's data arrive; unreadable messages are logged and
// skipped, the stream kept.
//
// Thread-safety: the VenueAdapter calls return at once (work goes to the
// adapter's I/O thread); events come from that thread and the stream's;
// market data from the I/O thread and the market stream's, one call at a
// time.
#pragma once

#include <memory>

#include "core/instrument.h"
#include "core/venue.h"
#include "venue_adapters/binance/config.h"
#include "venue_adapters/registry.h"

namespace fixgw::binance {

std::unique_ptr<VenueAdapter> makeBinanceVenue(VenueId id, BinanceConfig cfg, Credentials cred,
                                               const InstrumentMaster& instruments,
                                               const Clock& clock);

// Registry factory for "type": "binance".
std::unique_ptr<VenueAdapter> makeBinanceVenueFromConfig(const venues::VenueContext& ctx,
                                                         venues::ParamReader& p);

// Binance's symbol for an instrument on venue `venueName`: its venueSymbols
// entry, else the symbol without '/' or '-' ("BTC/USDT" -> "BTCUSDT").
std::string venueSymbolFor(const Instrument& inst, const std::string& venueName);

}  // namespace fixgw::binance
