// Reads back from PostgreSQL what the engine needs after a restart: every
// parent order with its fills' exact notional, the children of open orders,
// every ClOrdID each session used, the fills already booked per child, and
// the high-water marks for event sequence and id prefixes.
//
// Thread-safety: a free function; opens and closes its own connection.
#pragma once

#include <string>

#include "router/recovery.h"

namespace fixgw::store {

// Which orders are this node's when several gateways share one database
// (docs/scaling.md): the orders of a FIX session whose lease another node
// holds right now (store/session_lease.h) are that node's, and are left out:
// their parents, children, ClOrdIDs, pauses and pending cancels. Everything
// else comes back, including the orders of a session nobody runs any more, so
// a single gateway recovers exactly as before. Positions (risk fills), trading
// states and the id/sequence high-water marks stay database-wide.
struct RecoveryScope {
  int leaseBackendPid = 0;  // our own lease connection's backend (0: we hold none)
};

// Throws std::runtime_error naming what could not be read.
router::RecoveredState loadRecoveredState(const std::string& conninfo,
                                          const RecoveryScope& scope = {});

}  // namespace fixgw::store
