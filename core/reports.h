// Reports out: what the engine tells a client. The FIX acceptor turns these
// into 35=8 / 35=9 / 35=j / 35=r for the session's FIX version.
//
// Thread-safety: value types; ReportSink::deliver is called from the engine
// thread and must be safe against the FIX session threads.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/order_details.h"
#include "core/types.h"

namespace fixgw {

// Tag 103 values we use.
enum class OrdRejReason : int {
  BrokerOption = 0,
  UnknownSymbol = 1,
  ExchangeClosed = 2,
  OrderExceedsLimit = 3,
  TooLateToEnter = 4,
  UnknownOrder = 5,
  DuplicateOrder = 6,
  Other = 99,
};

struct ExecReport {
  SessionKey session;
  OrderId orderId;
  ExecId execId;
  ClOrdId clOrdId;
  std::optional<ClOrdId> origClOrdId;
  ExecType execType = ExecType::New;
  OrdStatus ordStatus = OrdStatus::New;
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  Qty orderQty;
  std::optional<Price> price;
  std::optional<Price> stopPx;
  Qty lastQty;
  Price lastPx;
  Qty leavesQty;
  Qty cumQty;
  Price avgPx;
  std::optional<OrdRejReason> ordRejReason;
  std::string text;
  std::optional<VenueId> lastMkt;
  WallNanos transactTime = 0;
  bool possResend = false;
  OrderDetailsPtr details;      // echoed: 526, 583, parties, instrument, attributes
  std::string ordStatusReqId;   // 790: the answer to a status request that named one
  // The answer to a 35=AF: its id (584), how many reports it has (911) and
  // whether this is the last of them (912, FIX 4.4).
  std::string massStatusReqId;
  int totNumReports = 0;
  bool lastRptRequested = false;
  // When the client's message behind the order arrived (the order's
  // creation), for the ack-latency metric; 0 when unknown.
  WallNanos receivedAt = 0;
};

// 35=9
struct CancelReject {
  SessionKey session;
  std::optional<OrderId> orderId;  // "NONE" on the wire when unknown
  ClOrdId clOrdId;
  ClOrdId origClOrdId;
  OrdStatus ordStatus = OrdStatus::Rejected;
  bool responseToReplace = false;  // 434: 1 = cancel, 2 = replace
  int cxlRejReason = 0;            // 102: 0 too late, 1 unknown, 3 pending, 6 dup ClOrdID, 99 other
  std::string text;
  WallNanos transactTime = 0;
};

// 35=j
struct BusinessReject {
  SessionKey session;
  int refSeqNum = 0;
  std::string refMsgType;
  std::string businessRejectRefId;
  int reason = 0;  // 380: 0 other, 1 unknown id, 2 unknown security, 3 unsupported msg type, 5 conditionally required field missing
  std::string text;
};

// 35=r
struct MassCancelReport {
  SessionKey session;
  ClOrdId clOrdId;
  OrderId orderId;  // id we give the mass-cancel request itself
  char requestType = '7';
  char response = '0';  // 531: 0 rejected, 1 by symbol, 7 all
  int totalAffected = 0;
  int rejectReason = -1;  // 532 when response == '0'
  std::string text;
  std::optional<Symbol> symbol;
  WallNanos transactTime = 0;
};

using ClientReport = std::variant<ExecReport, CancelReject, BusinessReject, MassCancelReport>;

class ReportSink {
 public:
  virtual ~ReportSink() = default;
  virtual void deliver(const ClientReport& r) = 0;
};

}  // namespace fixgw
