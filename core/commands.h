// Commands in: what a client asked for, version-free. The FIX acceptor builds
// these from 35=D/F/G/H/q; the engine consumes them on its thread.
//
// Thread-safety: value types, moved across threads by post().
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/order_details.h"
#include "core/shared_text.h"
#include "core/types.h"

namespace fixgw {

// Fields every client command carries.
struct CommandHeader {
  SessionKey session;
  int msgSeqNum = 0;     // tag 34 of the inbound message
  SharedText rawFix;  // the message as received, SOH kept, for the audit trail (shared, not copied)
  WallNanos receivedAt = 0;
};

struct NewOrder {
  CommandHeader hdr;
  ClOrdId clOrdId;
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  Qty qty;
  std::optional<Price> price;     // required for Limit and StopLimit
  std::optional<Price> stopPx;    // tag 99, required for Stop and StopLimit
  std::optional<VenueId> exDestination;  // tag 100
  bool possResend = false;        // tag 97
  OrderDetailsPtr details;        // 526, 583, parties, instrument, attributes; null: none
};

struct CancelOrder {
  CommandHeader hdr;
  ClOrdId clOrdId;      // id of this cancel request (tag 11)
  ClOrdId origClOrdId;  // order to cancel (tag 41)
  std::optional<OrderId> orderId;  // tag 37 if the client sent it
  Symbol symbol;
  Side side = Side::Buy;
};

struct ReplaceOrder {
  CommandHeader hdr;
  ClOrdId clOrdId;      // new id (tag 11)
  ClOrdId origClOrdId;  // order to replace (tag 41)
  std::optional<OrderId> orderId;
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  Qty qty;                     // new total order quantity
  std::optional<Price> price;  // new limit price
  std::optional<Price> stopPx;  // new stop price (Stop, StopLimit)
  // What the replaced order carries from now on (a replace restates the
  // order: what it omits is gone). null: none.
  OrderDetailsPtr details;
};

struct StatusRequest {
  CommandHeader hdr;
  ClOrdId clOrdId;
  std::string ordStatusReqId;  // 790 (FIX 4.4), echoed on the answer
  std::optional<OrderId> orderId;
  Symbol symbol;
  Side side = Side::Buy;
};

// 35=q. Scope: 1 = by symbol, 7 = all orders (of this session).
struct MassCancel {
  CommandHeader hdr;
  ClOrdId clOrdId;
  char requestType = '7';
  std::optional<Symbol> symbol;
  std::optional<Side> side;
};

// 35=AF OrderMassStatusRequest: one status report per matching open order
// of the session, the last flagged. MassStatusReqType (585): 1 by symbol,
// 7 all orders, 8 by PartyID (448 of the request's Parties), 9 by account.
struct MassStatusRequest {
  CommandHeader hdr;
  std::string massStatusReqId;  // 584
  int reqType = 7;              // 585
  std::optional<Symbol> symbol;
  std::optional<Account> account;
  std::optional<std::string> partyId;
};

// A request the FIX dictionary let through but a field failed the gateway's
// own checks (e.g. Price (44) missing on a limit order, OrderQty (38) <= 0).
// It goes to the engine like any other command so the answer is journaled:
// ExecutionReport Rejected for 35=D, OrderCancelReject for 35=F/G,
// BusinessMessageReject for 35=H/q. Fields are what could be read.
struct InvalidRequest {
  CommandHeader hdr;
  std::string msgType;  // "D", "F", "G", "H", "q", "AF"
  ClOrdId clOrdId;
  std::optional<ClOrdId> origClOrdId;
  std::optional<OrderId> orderId;
  Account account;
  Symbol symbol;
  std::optional<Side> side;
  std::optional<OrdType> ordType;
  std::optional<TimeInForce> tif;
  std::optional<Qty> qty;
  std::optional<Price> price;
  std::optional<Price> stopPx;
  int refTag = 0;                // the offending tag
  int businessRejectReason = 0;  // 380, for H/q
  std::string text;              // names the tag and the reason
};

using Command = std::variant<NewOrder, CancelOrder, ReplaceOrder, StatusRequest, MassCancel,
                             MassStatusRequest, InvalidRequest>;

const CommandHeader& header(const Command& c);

// The engine's inbound port. Thread-safe: called from FIX session threads.
class CommandSink {
 public:
  virtual ~CommandSink() = default;
  virtual void submit(Command c) = 0;
  // Session lifecycle, for the audit trail and per-session state.
  virtual void sessionLoggedOn(const SessionKey&) {}
  virtual void sessionLoggedOut(const SessionKey&) {}
};

}  // namespace fixgw
