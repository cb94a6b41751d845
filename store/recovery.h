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

// Throws std::runtime_error naming what could not be read.
router::RecoveredState loadRecoveredState(const std::string& conninfo);

}  // namespace fixgw::store
