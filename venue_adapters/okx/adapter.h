// The OKX v5 venue adapter (spot and USDT-margined perpetual swaps). Orders
// go out over REST (signed /api/v5/trade/order with clOrdId derived from our
// child id, cancel-order, amend-order — OKX's native in-place amend, so a
// fill racing a replace is settled by the venue); order updates come back on
// the private WebSocket's `orders` channel (login signed like REST, text
// "ping"/"pong" keep-alive), with REST polling (/trade/order, /trade/fills)
// while the stream is down. Fills are booked once per OKX trade id (per
// instrument), with fee (OKX's sign flipped: positive = charged) and fee
// currency, whichever way they arrive. A submit whose answer is lost is
// looked up by clOrdId, never resent.
//
// Instruments (tickSz, lotSz, minSz, ctVal, state) load at start and
// refresh; an order breaking one is rejected before it leaves, naming it. A
// swap's order quantity is in contracts: the instrument's contract_size must
// equal OKX's ctVal, else the venue refuses its orders naming the mismatch.
// tdMode is cash for spot, the instrument's margin_mode for swaps. Market
// data (best bid/ask with up to 5 levels, trades) comes from the public
// WebSocket's `books5` and `trades` channels.
//
// Thread-safety: the VenueAdapter calls return at once (work goes to the
// adapter's I/O thread); events come from that thread and the stream's.
// rateLimits() is safe from any thread. MarketDataSink callbacks run with
// the adapter's market-data lock held: a sink must not call
// (un)subscribeMarketData from inside one.
#pragma once

#include <memory>

#include "core/instrument.h"
#include "core/venue.h"
#include "venue_adapters/okx/config.h"
#include "venue_adapters/registry.h"

namespace fixgw::okx {

std::unique_ptr<VenueAdapter> makeOkxVenue(VenueId id, OkxConfig cfg, Credentials cred,
                                           const InstrumentMaster& instruments, const Clock& clock);

// Registry factory for "type": "okx".
std::unique_ptr<VenueAdapter> makeOkxVenueFromConfig(const venues::VenueContext& ctx,
                                                     venues::ParamReader& p);

}  // namespace fixgw::okx
