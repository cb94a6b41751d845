// Bybit v5 JSON (REST and the private WebSocket) and the mapping between
// Bybit's vocabulary and ours. This is the boundary: Bybit's categories,
// order types, time-in-force, statuses, retCodes and symbols are converted
// here and nowhere else.
//
// Decimals are exact: RapidJSON hands every number over as text
// (kParseNumbersAsStringsFlag) and Fixed::parse turns it into the mantissa —
// never through double. A value finer than 8 decimals is an error naming the
// field, never rounded.
//
// Thread-safety: pure functions over value types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed.h"
#include "core/instrument.h"
#include "core/venue.h"

namespace fixgw::bybit {

// ------------------------------------------------------------ errors

// The {"retCode":..,"retMsg":..,"result":{..}} envelope of every answer.
struct Envelope {
  int64_t retCode = -1;
  std::string retMsg;
};
// "" when the envelope is readable, else what is wrong.
std::string parseEnvelope(std::string_view json, Envelope& out);

enum class ErrorClass {
  Rejected,     // refused: nothing happened (params, balance, filters, 170xxx spot)
  RateLimited,  // 10006 too many visits, 10018 IP limit: nothing happened
  Timestamp,    // 10002 timestamp / recv_window: refused, safe to resend after a clock sync
  Auth,         // 10003 invalid key, 10004 bad sign, 10005 permission, 10007/33004 expired
  NotFound,     // 110001 / 170213 order does not exist (or too late to cancel)
  Unknown,      // 10000 / 10016 / 10019 / 10429 server busy or error: may have executed
};
ErrorClass classifyRetCode(int64_t retCode);

// ------------------------------------------------------------ instruments

// One symbol's trading rules (GET /v5/market/instruments-info).
struct InstrumentInfo {
  std::string symbol;    // "BTCUSDT"
  std::string category;  // spot, linear
  std::string status;    // Trading, PreLaunch, Settling, Delivering, Closed
  std::string baseCoin, quoteCoin, settleCoin;
  Price tickSize;                           // priceFilter.tickSize
  std::optional<Price> minPrice, maxPrice;  // linear
  Qty qtyStep;                              // linear qtyStep; spot basePrecision
  Qty minOrderQty;                       // minOrderQty (spot: deprecated, still checked when > 0)
  std::optional<Qty> maxOrderQty;        // limit orders (spot maxLimitOrderQty, else maxOrderQty)
  std::optional<Qty> maxMarketOrderQty;  // spot maxMarketOrderQty, linear maxMktOrderQty
  std::optional<Notional> minOrderAmt;   // spot minOrderAmt, linear minNotionalValue
};
// Adds the answer's list to out (keyed by symbol); cursor = nextPageCursor.
std::string parseInstruments(std::string_view json, std::map<std::string, InstrumentInfo>& out,
                             std::string* cursor = nullptr);

// An order checked against the symbol's rules before it leaves: "" when it
// passes, else the rule it breaks named as Bybit names it ("tickSize: price
// 100.05 is not a multiple of tickSize 0.1"). refPx prices a market order's
// notional (none: not checked).
std::string checkFilters(const InstrumentInfo& f, std::optional<Price> price, Qty qty, bool market,
                         std::optional<Price> refPx);

// ------------------------------------------------------ orders and executions

struct BybitOrder {
  std::string orderId, orderLinkId, symbol, side, orderType, timeInForce;
  std::string orderStatus;  // New, PartiallyFilled, Filled, Cancelled, Rejected, ...
  std::string rejectReason, cancelType;
  Price price, avgPrice;
  Qty qty, cumExecQty, leavesQty;
  bool reduceOnly = false;
  int64_t createdNs = 0, updatedNs = 0;
};

struct BybitExec {
  std::string category, symbol, execId, orderId, orderLinkId, side, execType;
  Price execPrice;
  Qty execQty, leavesQty;
  std::optional<Qty> execFee;  // may be negative (maker rebate)
  std::string feeCurrency;     // spot (newer answers); "" otherwise
  bool isMaker = false;
  int64_t execNs = 0;
};

// create / cancel / amend: result.orderId and result.orderLinkId (retCode 0).
std::string parseOrderAck(std::string_view json, std::string& orderId, std::string& orderLinkId);
// GET /v5/order/realtime and /v5/order/history.
std::string parseOrders(std::string_view json, std::vector<BybitOrder>& out,
                        std::string* cursor = nullptr);
// GET /v5/execution/list (execType Trade only is kept; Funding etc. skipped).
std::string parseExecutions(std::string_view json, std::vector<BybitExec>& out,
                            std::string* cursor = nullptr);
// GET /v5/market/time: Bybit's clock in ms.
std::string parseServerTime(std::string_view json, int64_t& ms);

// ------------------------------------------------------ private WebSocket

struct WsMessage {
  enum class Kind { OpReply, Order, Execution, Other };
  Kind kind = Kind::Other;
  std::string op;  // auth, subscribe, pong (OpReply)
  bool success = false;
  std::string retMsg;
  std::vector<BybitOrder> orders;
  std::vector<BybitExec> execs;
};
std::string parseWsMessage(std::string_view json, WsMessage& out);

// ------------------------------------------------------ public WebSocket

// /v5/public/{spot,linear}: orderbook.{depth}.{symbol} (snapshot, then deltas
// where size "0" removes a level) and publicTrade.{symbol}.
struct PublicMessage {
  enum class Kind { Book, Trade, OpReply, Other };
  Kind kind = Kind::Other;
  std::string symbol;  // Bybit's
  bool snapshot = false;
  std::vector<BookLevel> bids, asks;
  std::vector<Trade> trades;  // venue and symbol left for the caller
  int64_t tsNs = 0;
  bool success = false;  // OpReply
  std::string retMsg;
};
std::string parsePublicMessage(std::string_view json, PublicMessage& out);

// ---------------------------------------------------------------- mapping

// spot for cash instruments, linear for isolated/cross margined ones.
std::string categoryFor(const Instrument& inst);
// Bybit's symbol: venueSymbols[venueName], else our symbol without '/' or '-'.
std::string venueSymbolFor(const Instrument& inst, const std::string& venueName);

struct OrderMapping {
  std::string orderType;    // Limit, Market
  std::string timeInForce;  // GTC, IOC, FOK, PostOnly
  bool reduceOnly = false;  // linear, PositionEffect close
};
// "" when the order maps, else why it is refused, naming the field.
std::string mapOrder(const VenueNewOrder& o, bool spot, bool dayAsGtc, OrderMapping& out);
// The JSON body of POST /v5/order/create (values already checked).
std::string createBody(const std::string& category, const std::string& symbol, Side side,
                       const OrderMapping& m, Qty qty, std::optional<Price> price,
                       const std::string& orderLinkId);

// Bybit's orderLinkId: up to 36 of [A-Za-z0-9_-]. Our child id when it fits,
// else 32 hex of its SHA-256, stable so it is recomputed after a restart.
std::string orderLinkIdFor(std::string_view childId);

bool isOpenStatus(std::string_view orderStatus);  // New, PartiallyFilled, Untriggered, ...
std::string decimal(int64_t mantissa);            // "0.001", "30000"
std::string_view sideName(Side s);                // Buy, Sell
Side sideOf(std::string_view bybitSide);

}  // namespace fixgw::bybit
