// Standard FIX order attributes beyond the basic terms (issue 14): what the
// client sent, version-free, stored with the order and passed to the venues
// that take them (IBKR's TWS API and FIX CTCI). The acceptor fills them in,
// the engine keeps them on the parent and copies them to each child request.
//
// Thread-safety: a value type.
#pragma once

#include <optional>

#include "core/clock.h"
#include "core/fixed.h"

namespace fixgw {

struct OrderAttributes {
  // OrderCapacity (528, FIX 4.4): 'A' agency, 'G' proprietary, 'I' individual,
  // 'P' principal, 'R' riskless principal, 'W' agent for other member.
  std::optional<char> orderCapacity;
  // Rule80A (47, FIX 4.2; OrderRestrictions' predecessor) exactly as sent:
  // 'A' agency single order, 'P' principal, 'I' individual investor, ...
  std::optional<char> rule80A;
  // LocateReqd (114): whether the broker must locate stock for a short sale.
  std::optional<bool> locateReqd;
  // PositionEffect (77): 'O' open, 'C' close, 'R' rolled, 'F' FIFO.
  std::optional<char> positionEffect;
  // ExecInst (18) '6' participate don't initiate: rest or cancel, never take.
  bool postOnly = false;
  // MinQty (110): the least quantity of an execution the order accepts.
  std::optional<Qty> minQty;
  // MaxFloor (111): display quantity of a reserve (iceberg) order.
  std::optional<Qty> maxFloor;
  // TimeInForce GTD (59=6): the instant the order expires, from ExpireTime
  // (126) or the end of ExpireDate (432). 0 = none.
  WallNanos expireTime = 0;

  bool operator==(const OrderAttributes&) const = default;
};

}  // namespace fixgw
