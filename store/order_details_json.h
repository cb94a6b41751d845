// OrderDetails <-> the JSON kept in orders.details (jsonb): what the journal
// writes and recovery reads back. Keys are snake_case, absent values are left
// out, decimals are strings (exact), and expire_time is both ISO 8601 (for
// people and SQL) and nanoseconds since the epoch (exact, for recovery). An
// algo parent's strategy fields are under "algo", as received (strings) plus
// what the router resolved (resolved_start_ns, learned_profile): recovery
// rebuilds its AlgoParams from them, so a replace's new qty, limit, end and
// rate survive a restart (qty and limit are the orders row's own columns).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/order_details.h"

namespace fixgw::store {

// "" for null or empty details (the column stays NULL).
std::string detailsToJson(const OrderDetails* d);
// nullptr for "" ; throws std::runtime_error naming what is malformed.
OrderDetailsPtr detailsFromJson(std::string_view json);

}  // namespace fixgw::store
