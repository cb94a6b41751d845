// The Coinbase Advanced Trade venue adapter. Orders go out over REST (v3
// brokerage: create, batch_cancel, edit), signed with a per-request ES256
// JWT. Order updates come back on the authenticated WebSocket `user` channel
// (with `heartbeats` on the same connection); the channel reports each
// order's cumulative state, not single trades, so when an order's
// cumulative_quantity grows the adapter lists its fills over REST and books
// each Coinbase trade id once, with its commission in the product's quote
// currency. While the stream is down, open orders are polled over REST;
// after it returns, what filled in the gap is booked once.
//
// Replace is Coinbase's native edit for limit GTC orders: the new size is a
// total, so a fill racing the edit is booked and never over-sent (Coinbase
// refuses an edit below the filled size). Other order types cannot be edited
// at Coinbase and a replace of them is refused, naming why.
//
// Product rules (GET market/products) load at start and refresh; an order
// that breaks one is rejected before it leaves, naming the rule. Market data
// (ticker, level2, market_trades) comes from the public WebSocket.
//
// Thread-safety: the VenueAdapter calls return at once (work goes to the
// adapter's I/O thread); events come from that thread and the streams'.
#pragma once

#include <memory>

#include "core/instrument.h"
#include "core/venue.h"
#include "venue_adapters/coinbase/config.h"
#include "venue_adapters/registry.h"

namespace fixgw::coinbase {

std::unique_ptr<VenueAdapter> makeCoinbaseVenue(VenueId id, CoinbaseConfig cfg, Credentials cred,
                                                const InstrumentMaster& instruments,
                                                const Clock& clock);

// Registry factory for "type": "coinbase".
std::unique_ptr<VenueAdapter> makeCoinbaseVenueFromConfig(const venues::VenueContext& ctx,
                                                          venues::ParamReader& p);

// Coinbase's product id for an instrument on venue `venueName`: its
// venueSymbols entry, else the symbol with '/' as '-' ("BTC/USD" -> "BTC-USD").
std::string productIdFor(const Instrument& inst, const std::string& venueName);

}  // namespace fixgw::coinbase
