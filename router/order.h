// Parent and child orders as the router keeps them. A parent is what the
// client sent; a child is what went to a venue. Direct routing is one parent
// with one child; an algo will make many. Fills on children roll up into the
// parent's CumQty/AvgPx/LeavesQty.
//
// Thread-safety: engine thread only.
#pragma once

#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "algos/algo.h"
#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/order_details.h"
#include "core/shared_text.h"
#include "core/types.h"

namespace fixgw::router {

// A cancel or replace the client asked for that the venue has not answered.
struct PendingRequest {
  enum class Kind : uint8_t { Cancel, Replace } kind = Kind::Cancel;
  ClOrdId clOrdId;      // the request's own ClOrdID (tag 11)
  ClOrdId origClOrdId;  // the ClOrdID it referred to
  Qty newQty;           // replace
  std::optional<Price> newPrice;
  std::optional<Price> newStopPx;
  OrderDetailsPtr newDetails;  // replace: what the order carries once replaced
  bool sentToVenue = false;    // false while waiting for the venue's ack of the new order
  bool massCancel = false;
  bool expiry = false;  // a GTD order's expiry: reported Expired, not Canceled
  SharedText rawFix;
  // Replace of an algo parent: the checked parameters it re-plans with.
  std::shared_ptr<const algos::AlgoParams> newAlgoParams;
};

struct ChildOrder {
  ChildOrderId id;
  OrderId parent;
  VenueId venue;
  VenueOrderId venueOrderId;
  Qty qty;
  std::optional<Price> price;
  std::optional<Price> stopPx;
  Qty cumQty;
  OrdStatus status = OrdStatus::PendingNew;
  bool acked = false;
  // A direct order's one child (schema 0020): journaled in its parent's orders row (the child_*
  // columns), not in a row of its own; its id is derived from the parent's.
  bool direct = false;
  // An algo child the runner cancelled: sent to the venue once it has acked.
  bool cancelWanted = false;
  bool cancelSent = false;
  // Monotonic time the order went to the venue (venue round-trip metric); 0: not this process.
  MonoNanos sentAt = 0;
};

struct ParentOrder {
  ParentOrder() = default;
  // The engine's orders keep their children list in its pool (issue 15).
  explicit ParentOrder(std::pmr::memory_resource* pool) : children(pool) {}

  OrderId orderId;
  SessionKey session;
  ClOrdId clOrdId;  // current (the last accepted replace's id)
  std::optional<ClOrdId> origClOrdId;
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  Qty qty;
  std::optional<Price> price;
  std::optional<Price> stopPx;  // Stop, StopLimit
  // Status without any pending cancel/replace overlay.
  OrdStatus baseStatus = OrdStatus::PendingNew;
  Qty cumQty;
  __int128 rawNotional = 0;  // sum of lastPx*lastQty at scale 1e-16, exact
  Price avgPx;
  VenueId venue;
  // Pooled by the engine (Engine::orderPool_); a default-built order uses the heap.
  std::pmr::vector<ChildOrderId> children;
  std::optional<PendingRequest> pending;
  WallNanos createdAt = 0;
  OrderDetailsPtr details;  // 526, 583, parties, instrument, attributes; null: none
  // An execution-algorithm parent (TargetStrategy): its children are the
  // AlgoRunner's (Engine::algos_), not one direct child.
  bool algo = false;

  WallNanos expireTime() const {
    return tif == TimeInForce::GoodTillDate && details ? details->attrs.expireTime : 0;
  }

  Qty leavesQty() const { return isTerminal(baseStatus) ? Qty{} : qty - cumQty; }
  // What tag 39 says: a pending cancel/replace outranks working states (FIX
  // precedence), but a completed fill or other terminal state is reported as is.
  OrdStatus status() const {
    if (pending && !isTerminal(baseStatus))
      return pending->kind == PendingRequest::Kind::Cancel ? OrdStatus::PendingCancel
                                                           : OrdStatus::PendingReplace;
    return baseStatus;
  }
  bool isOpen() const { return !isTerminal(baseStatus); }
};

// The engine's parent orders by OrderID (nodes from its pool: Engine::orderPool_).
using ParentMap = std::pmr::unordered_map<OrderId, ParentOrder>;

}  // namespace fixgw::router
