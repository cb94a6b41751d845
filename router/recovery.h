// What the engine needs back after a restart, as loaded from the journal
// (store/recovery.h reads it from PostgreSQL). Plain data: no database here.
//
// Thread-safety: value type, handed to Engine::restore() before start.
#pragma once

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "risk/risk.h"
#include "router/order.h"

namespace fixgw::router {

struct RecoveredState {
  std::vector<ParentOrder> parents;  // every parent order journaled
  std::vector<ChildOrder> children;  // children of parents still open
  // Every ClOrdID each session used, with the order it named (first use wins).
  std::vector<std::tuple<SessionKey, ClOrdId, OrderId>> clOrdIds;
  // Venue fills already booked, per child: reconciliation must not book them twice.
  std::vector<std::pair<ChildOrderId, VenueExecId>> bookedFills;
  int64_t maxEventSeq = 0;
  // Largest id prefix (ms since the epoch) seen in journaled OrderIds, so a
  // restarted gateway never re-uses one even if the clock went backwards.
  int64_t maxIdPrefixMs = 0;
  WallNanos lastEventTime = 0;
  // Risk: every fill in exec_time order (positions are rebuilt from them) and
  // the last trading state journaled per scope.
  std::vector<risk::RestoredFill> riskFills;
  std::vector<risk::RestoredState> tradingStates;
  // Algo parents whose last ALGO_PAUSED / ALGO_RESUMED event is a pause, with
  // its text: a restored runner stays paused (docs/algos.md, "Crash and
  // restart"). The parents themselves are those with details->algo.
  std::vector<std::pair<OrderId, std::string>> algoPauses;
  // Open parents whose cancel was pending when the gateway stopped, as the
  // last *CANCEL_REQUESTED event journaled it: the request's ClOrdID, the
  // ClOrdID it named, and whether the client sent it (35=F) or it was a mass,
  // risk or disconnect cancel. A recovered algo parent is cancelled again
  // rather than left working (a direct order is settled by reconciliation).
  struct PendingCancel {
    OrderId orderId;
    ClOrdId clOrdId;
    ClOrdId origClOrdId;
    bool clientRequest = true;
  };
  std::vector<PendingCancel> pendingCancels;
};

// Parses "12.5" (as PostgreSQL prints a numeric) into a 1e-16-scaled integer,
// the scale ParentOrder::rawNotional keeps. Returns false on malformed text.
bool parseRawNotional(const std::string& text, __int128& out);

}  // namespace fixgw::router
