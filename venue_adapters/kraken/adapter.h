// The Kraken spot venue adapter. Orders go out over REST (signed AddOrder
// with cl_ord_id = our child id, CancelOrder, AmendOrder — Kraken's native
// in-place amend, so a fill racing a replace is settled by the venue and
// never over-sent); order updates come back on the WebSocket v2 `executions`
// channel (token from GetWebSocketsToken), with REST polling (QueryOrders,
// QueryTrades) while the stream is down. Fills are booked once per Kraken
// trade id (exec_id / trade txid), with fee and fee currency, whichever way
// they arrive. A submit whose answer is lost is looked up by cl_ord_id, never
// resent.
//
// AssetPairs filters (tick_size, lot_decimals, ordermin, costmin, status)
// load at start and refresh; an order that breaks one is rejected before it
// leaves, naming the filter. Market data (best bid/ask with depth, trades)
// comes from the public WebSocket v2 `book` and `trade` channels.
//
// Thread-safety: the VenueAdapter calls return at once (work goes to the
// adapter's I/O thread); events come from that thread and the streams'.
// MarketDataSink callbacks run with the adapter's market-data lock held: a
// sink must not call (un)subscribeMarketData from inside one.
#pragma once

#include <memory>

#include "core/instrument.h"
#include "core/venue.h"
#include "venue_adapters/kraken/config.h"
#include "venue_adapters/registry.h"

namespace fixgw::kraken {

std::unique_ptr<VenueAdapter> makeKrakenVenue(VenueId id, KrakenConfig cfg, Credentials cred,
                                              const InstrumentMaster& instruments,
                                              const Clock& clock);

// Registry factory for "type": "kraken".
std::unique_ptr<VenueAdapter> makeKrakenVenueFromConfig(const venues::VenueContext& ctx,
                                                        venues::ParamReader& p);

// Kraken's pair for an instrument on venue `venueName`: its venueSymbols
// entry (an altname such as "XBTUSD", or a v2 symbol "BTC/USD"), else the
// symbol itself ("BTC/USD"), matched against AssetPairs.
std::string venueSymbolFor(const Instrument& inst, const std::string& venueName);

}  // namespace fixgw::kraken
