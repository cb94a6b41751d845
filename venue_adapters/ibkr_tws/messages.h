// The TWS API (Interactive Brokers Trader Workstation / IB Gateway socket API)
// message vocabulary this adapter speaks: message ids, the server-version
// thresholds that gate fields, and one plain struct per message. Only the
// text protocol (server versions below 201) is modelled; the adapter pins the
// range [kMinClientVersion, kMaxClientVersion].
//
// Written from the published protocol (the official client's "OUT msg ids",
// "IN msg ids" and MIN_SERVER_VER_* constants); no code is copied.
//
// Thread-safety: value types only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/fixed.h"

namespace fixgw::tws {

// The version range the codec really implements. 176 is the last text-only
// version before FA-profile desupport (177) changed placeOrder; versions 201+
// switch to protobuf and are out of scope.
inline constexpr int kMinClientVersion = 100;
inline constexpr int kMaxClientVersion = 176;

// MIN_SERVER_VER_* thresholds this codec gates on. Everything below 100 is
// implied by kMinClientVersion.
namespace sv {
inline constexpr int kOptionalCapabilities = 72;
inline constexpr int kFractionalPositions = 101;
inline constexpr int kPeggedToBenchmark = 102;
inline constexpr int kModelsSupport = 103;
inline constexpr int kExtOperator = 105;
inline constexpr int kSoftDollarTier = 106;
inline constexpr int kPastLimit = 109;  // tickPrice attrMask gains pastLimit (bit 1)
inline constexpr int kCashQty = 111;
inline constexpr int kReqSmartComponents = 114;  // reqMktData gains regulatorySnapshot
inline constexpr int kMarketCapPrice = 131;
inline constexpr int kPreOpenBidAsk = 132;  // tickPrice attrMask gains preOpen (bit 2)
inline constexpr int kLastLiquidity = 136;
inline constexpr int kDecisionMaker = 138;
inline constexpr int kMifidExecution = 139;
inline constexpr int kAutoPriceForHedge = 141;
inline constexpr int kOrderContainer = 145;
inline constexpr int kDPegOrders = 148;
inline constexpr int kPriceMgmtAlgo = 151;
inline constexpr int kDuration = 158;
inline constexpr int kPostToAts = 160;
inline constexpr int kAutoCancelParent = 162;
inline constexpr int kFractionalSizeSupport = 163;  // tick sizes become decimals
inline constexpr int kAdvancedOrderReject = 166;
inline constexpr int kManualOrderTime = 169;
inline constexpr int kPegBestPegMidOffsets = 170;
inline constexpr int kFaProfileDesupport = 177;
}  // namespace sv

// Client -> server message ids.
namespace out {
inline constexpr int kReqMktData = 1;
inline constexpr int kCancelMktData = 2;
inline constexpr int kPlaceOrder = 3;
inline constexpr int kCancelOrder = 4;
inline constexpr int kReqOpenOrders = 5;
inline constexpr int kReqExecutions = 7;
inline constexpr int kReqIds = 8;
inline constexpr int kReqAllOpenOrders = 16;
inline constexpr int kReqCurrentTime = 49;
inline constexpr int kStartApi = 71;
}  // namespace out

// Server -> client message ids.
namespace in {
inline constexpr int kTickPrice = 1;
inline constexpr int kTickSize = 2;
inline constexpr int kOrderStatus = 3;
inline constexpr int kErrMsg = 4;
inline constexpr int kOpenOrder = 5;
inline constexpr int kNextValidId = 9;
inline constexpr int kExecDetails = 11;
inline constexpr int kManagedAccounts = 15;
inline constexpr int kTickGeneric = 45;
inline constexpr int kTickString = 46;
inline constexpr int kCurrentTime = 49;
inline constexpr int kOpenOrderEnd = 53;
inline constexpr int kExecDetailsEnd = 55;
inline constexpr int kCommissionReport = 59;
inline constexpr int kMarketDataType = 58;
}  // namespace in

// Tick type ids (the official client's TickTypeEnum) this adapter reads.
namespace tick {
inline constexpr int kBidSize = 0;
inline constexpr int kBid = 1;
inline constexpr int kAsk = 2;
inline constexpr int kAskSize = 3;
inline constexpr int kLast = 4;
inline constexpr int kLastSize = 5;
inline constexpr int kVolume = 8;
inline constexpr int kRtVolume = 48;  // tickString, asked for with generic tick "233"
}  // namespace tick
inline constexpr std::string_view kRtVolumeGenericTick = "233";

// Error codes the adapter maps (the rest are passed on as text).
namespace err {
inline constexpr int kDuplicateOrderId = 103;
inline constexpr int kCannotModifyFilled = 104;
inline constexpr int kModifyMismatch = 105;
inline constexpr int kPriceIncrement = 110;
inline constexpr int kNotCancellableState = 161;
inline constexpr int kNoSecurityDefinition = 200;
inline constexpr int kOrderRejected = 201;
inline constexpr int kOrderCanceled = 202;
inline constexpr int kCantFindTickerId = 300;  // cancelMktData for an unknown ticker
inline constexpr int kServerReadError = 320;   // TWS could not read a request
inline constexpr int kDuplicateTickerId = 322;
inline constexpr int kDelayedMarketData = 10167;     // a notice, not a failure
inline constexpr int kPartlySubscribedData = 10090;  // part of the data flows: a notice
inline constexpr int kClientIdInUse = 326;
inline constexpr int kOrderMessageWarning = 399;
inline constexpr int kConnectivityLost = 1100;
inline constexpr int kRestoredDataLost = 1101;
inline constexpr int kRestoredDataMaintained = 1102;
inline constexpr int kCancelNotFound = 10147;
inline constexpr int kCancelNotCancellable = 10148;
}  // namespace err

// The protocol's "unset" values (the official client's UNSET_DOUBLE,
// UNSET_INTEGER and UNSET_LONG) as they travel on the wire. Doubles are
// written the way the official Python client prints them (repr of a float).
inline constexpr std::string_view kUnsetDoubleText = "1.7976931348623157e+308";
inline constexpr int64_t kUnsetInteger = 2147483647;
inline constexpr int64_t kUnsetLong = 9223372036854775807;
inline constexpr std::string_view kUnsetIntText = "2147483647";
// The same DBL_MAX as TWS itself (Java) prints it in server messages.
inline constexpr std::string_view kUnsetDoubleJavaText = "1.7976931348623157E308";

struct Contract {
  int64_t conId = 0;
  std::string symbol;
  std::string secType;  // STK, FUT, OPT, CASH
  std::string lastTradeDateOrContractMonth;
  std::optional<Price> strike;  // sent as 0.0 when absent
  std::string right;            // C / P for options
  std::string multiplier;
  std::string exchange;
  std::string primaryExchange;
  std::string currency;
  std::string localSymbol;
  std::string tradingClass;
  bool operator==(const Contract&) const = default;
};

// What placeOrder carries for the order types this adapter sends. Every
// other Order attribute of the protocol goes out at its documented default.
struct OrderRequest {
  int64_t orderId = 0;
  Contract contract;
  std::string action;  // BUY, SELL, SSHORT
  Qty totalQuantity;
  std::string orderType;  // MKT, LMT, STP, STP LMT
  std::optional<Price> lmtPrice;
  std::optional<Price> auxPrice;  // stop price
  std::string tif;                // DAY, GTC, IOC, FOK, OPG
  std::string account;
  std::string orderRef;  // carries our ChildOrderId
  bool outsideRth = false;
  bool transmit = true;
  // Order attributes (issue 14). Unset numbers go out the way the official
  // client sends them: minQty empty ("handle empty"), cashQty, duration and
  // postToAts as the raw unset sentinels (kUnsetDoubleText / kUnsetIntText).
  std::string openClose;             // "O" open, "C" close, "" = TWS default
  std::string rule80A;               // IB Rule 80A code (A, I, W, J, U, M, K, Y, N)
  std::optional<int64_t> minQty;     // whole shares
  int64_t displaySize = 0;           // 0 = show the whole order
  std::string goodTillDate;          // "yyyymmdd-hh:mm:ss" (UTC), with tif GTD
  std::optional<Price> cashQty;      // from MIN_SERVER_VER_CASH_QTY (111)
  std::optional<int64_t> duration;   // from MIN_SERVER_VER_DURATION (158)
  std::optional<int64_t> postToAts;  // from MIN_SERVER_VER_POST_TO_ATS (160)
  bool operator==(const OrderRequest&) const = default;
};

struct ExecutionFilter {
  int64_t clientId = 0;
  std::string acctCode;
  std::string time;  // "yyyymmdd-hh:mm:ss" UTC; empty = all
  std::string symbol;
  std::string secType;
  std::string exchange;
  std::string side;
  bool operator==(const ExecutionFilter&) const = default;
};

// reqMktData for one contract. mktDataOptions (internal to IB) always goes
// out empty; combo (BAG) and delta-neutral contracts are not supported.
struct MktDataRequest {
  int64_t reqId = 0;
  Contract contract;
  std::string genericTickList;  // comma-separated ids, e.g. "233" (RTVolume)
  bool snapshot = false;
  bool regulatorySnapshot = false;  // from MIN_SERVER_VER_REQ_SMART_COMPONENTS (114)
  bool operator==(const MktDataRequest&) const = default;
};

// ---- server -> client ----

// tickPrice: a price tick, with the size for bid/ask/last ticks. The unset
// double reads as nullopt; so does an unset size (empty, UNSET_INTEGER,
// UNSET_LONG or the unset double).
struct TickPriceMsg {
  int64_t reqId = 0;
  int tickType = 0;
  std::optional<Price> price;
  std::optional<Qty> size;  // message version 2 and later
  int attrMask = 0;         // version 3: bit 0 canAutoExecute, 1 pastLimit (109+), 2 preOpen (132+)
};

struct TickSizeMsg {
  int64_t reqId = 0;
  int tickType = 0;
  std::optional<Qty> size;
};

struct TickStringMsg {
  int64_t reqId = 0;
  int tickType = 0;
  std::string value;
};

// The RTVolume tick's value, "price;size;time;totalVolume;VWAP;singleTrade",
// e.g. "701.28;1;1348075471534;67854;701.46918464;true" (time in ms since
// the epoch). An empty price is a volume-only update, not a trade.
struct RtVolume {
  std::optional<Price> price;
  Qty size;
  int64_t timeMs = 0;
  Qty totalVolume;
  std::optional<Price> vwap;
  bool singleTrade = false;
};

struct ServerHello {
  int serverVersion = 0;
  std::string connectionTime;
};

struct NextValidIdMsg {
  int64_t orderId = 0;
};

struct OrderStatusMsg {
  int64_t orderId = 0;
  std::string status;  // PendingSubmit, PreSubmitted, Submitted, Cancelled, Filled, Inactive...
  Qty filled;
  Qty remaining;
  std::optional<Price> avgFillPrice;  // unset double / empty: nullopt
  int64_t permId = 0;
  int64_t parentId = 0;
  std::optional<Price> lastFillPrice;
  int64_t clientId = 0;
  std::string whyHeld;
  std::optional<Price> mktCapPrice;
};

// The leading fields of openOrder, which is all the adapter reads: identity,
// contract, the order terms and orderRef. The rest of the message (dozens of
// version-gated attributes) is skipped.
struct OpenOrderMsg {
  int64_t orderId = 0;
  Contract contract;
  std::string action;
  Qty totalQuantity;
  std::string orderType;
  std::optional<Price> lmtPrice;
  std::optional<Price> auxPrice;
  std::string tif;
  std::string ocaGroup;
  std::string account;
  std::string openClose;
  int origin = 0;
  std::string orderRef;
  int64_t clientId = 0;
  int64_t permId = 0;
  bool outsideRth = false;
};

struct Execution {
  std::string execId;
  std::string time;  // as TWS sends it, "yyyymmdd  hh:mm:ss[ zone]"
  std::string acctNumber;
  std::string exchange;
  std::string side;  // BOT / SLD
  Qty shares;
  Price price;
  int64_t permId = 0;
  int64_t clientId = 0;
  int liquidation = 0;
  Qty cumQty;
  Price avgPrice;
  std::string orderRef;
  std::string evRule;
  std::string evMultiplier;
  std::string modelCode;
  int lastLiquidity = 0;
};

struct ExecDetailsMsg {
  int64_t reqId = -1;  // -1 for live executions
  int64_t orderId = 0;
  Contract contract;
  Execution exec;
};

struct ExecDetailsEndMsg {
  int64_t reqId = 0;
};

struct CommissionReportMsg {
  std::string execId;
  Price commission;
  std::string currency;
  // The unset double (TWS sends it when there is no figure) reads as nullopt.
  std::optional<Price> realizedPnl;
  std::optional<Price> yield;
  std::optional<int64_t> yieldRedemptionDate;
};

struct ErrorMsg {
  int64_t id = -1;  // order id / request id, -1 for connection-level
  int code = 0;
  std::string text;
  std::string advancedOrderRejectJson;
};

struct CurrentTimeMsg {
  int64_t time = 0;  // unix seconds
};

struct OpenOrderEndMsg {};

struct ManagedAccountsMsg {
  std::string accounts;
};

// A well-framed message with an id this client does not handle.
struct UnhandledMsg {
  int msgId = 0;
};

using Incoming =
    std::variant<NextValidIdMsg, OrderStatusMsg, OpenOrderMsg, ExecDetailsMsg, ExecDetailsEndMsg,
                 CommissionReportMsg, ErrorMsg, CurrentTimeMsg, OpenOrderEndMsg, ManagedAccountsMsg,
                 TickPriceMsg, TickSizeMsg, TickStringMsg, UnhandledMsg>;

// ---- client -> server, as the emulator decodes them ----

struct StartApiReq {
  int64_t clientId = 0;
  std::string optionalCapabilities;
};
struct PlaceOrderReq {
  OrderRequest order;
};
struct CancelOrderReq {
  int64_t orderId = 0;
  std::string manualOrderCancelTime;
};
struct ReqOpenOrdersReq {};
struct ReqAllOpenOrdersReq {};
struct ReqExecutionsReq {
  int64_t reqId = 0;
  ExecutionFilter filter;
};
struct ReqIdsReq {
  int64_t numIds = 1;
};
struct ReqCurrentTimeReq {};
struct ReqMktDataReq {
  MktDataRequest req;
};
struct CancelMktDataReq {
  int64_t reqId = 0;
};
struct UnhandledReq {
  int msgId = 0;
};

using Request = std::variant<StartApiReq, PlaceOrderReq, CancelOrderReq, ReqOpenOrdersReq,
                             ReqAllOpenOrdersReq, ReqExecutionsReq, ReqIdsReq, ReqCurrentTimeReq,
                             ReqMktDataReq, CancelMktDataReq, UnhandledReq>;

}  // namespace fixgw::tws
