// The Bybit v5 venue adapter (spot and USDT linear perpetuals). An
// instrument's margin mode picks the category: "cash" trades spot, "isolated"
// / "cross" trade linear (qty in the base coin, contract size 1, one-way
// mode positionIdx 0; the margin mode itself is an account setting at Bybit,
// not an order field). Orders go out over REST (/v5/order/create, cancel,
// amend — Bybit's native amend, so a fill racing a replace is never
// over-sent), signed per request. Order and execution updates come back on
// the private WebSocket (auth op, `order` + `execution` topics, a ping every
// 20 s); fills are booked once per execId, with execFee in feeCurrency (spot)
// or the settle coin (linear). While the stream is down, open orders are
// polled over REST and gap fills booked once. A submit whose answer is lost is
// looked up by orderLinkId, never resent.
//
// Instrument rules (instruments-info) load at start and refresh; an order that
// breaks one is rejected before it leaves, naming the rule. rateLimits()
// reports Bybit's per-endpoint X-Bapi-Limit headers and the local limiters.
// Market data comes from the public WebSocket (/v5/public/{spot,linear}:
// orderbook.{depth} snapshot + deltas, publicTrade).
//
// Thread-safety: the VenueAdapter calls return at once (work goes to the
// adapter's I/O thread); events come from that thread and the stream's.
#pragma once

#include <memory>

#include "core/instrument.h"
#include "core/venue.h"
#include "venue_adapters/bybit/config.h"
#include "venue_adapters/registry.h"

namespace fixgw::bybit {

std::unique_ptr<VenueAdapter> makeBybitVenue(VenueId id, BybitConfig cfg, Credentials cred,
                                             const InstrumentMaster& instruments,
                                             const Clock& clock);

// Registry factory for "type": "bybit".
std::unique_ptr<VenueAdapter> makeBybitVenueFromConfig(const venues::VenueContext& ctx,
                                                       venues::ParamReader& p);

}  // namespace fixgw::bybit
