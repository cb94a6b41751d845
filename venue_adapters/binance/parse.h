// Binance spot JSON and the mapping between its vocabulary and ours. This is
// the boundary: Binance's order types, time-in-force, statuses, execution
// types and error codes are converted here and nowhere else.
//
// Decimals are parsed exactly: RapidJSON hands every number and string over
// as text (kParseNumbersAsStringsFlag) and Fixed::parse turns it into the
// fixed-point mantissa — never through double. A value with more than 8
// decimals is an error naming the field, never rounded.
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
#include "core/types.h"
#include "core/venue.h"

namespace fixgw::binance {

// ------------------------------------------------------------ exchangeInfo

// One symbol's trading rules (exchangeInfo "filters"). Zero means "not set"
// for the optional bounds, as Binance itself uses "0.00000000".
struct SymbolFilters {
  std::string symbol;
  std::string status;  // TRADING, HALT, BREAK
  std::string baseAsset, quoteAsset;
  std::vector<std::string> orderTypes;
  bool hasPriceFilter = false;
  Price minPrice, maxPrice, tickSize;  // PRICE_FILTER
  bool hasLotSize = false;
  Qty minQty, maxQty, stepSize;  // LOT_SIZE
  bool hasMarketLotSize = false;
  Qty marketMinQty, marketMaxQty, marketStepSize;  // MARKET_LOT_SIZE (market orders)
  std::optional<Notional> minNotional;             // MIN_NOTIONAL or NOTIONAL
  std::optional<Notional> maxNotional;             // NOTIONAL
  bool supports(std::string_view type) const;
};

// One entry of exchangeInfo "rateLimits": what Binance allows per window.
struct RateLimitRule {
  std::string type;      // REQUEST_WEIGHT, ORDERS, RAW_REQUESTS
  std::string interval;  // SECOND, MINUTE, DAY
  int64_t intervalNum = 1;
  int64_t limit = 0;
  // The window in ms (0 for an interval Binance does not define).
  int64_t windowMs() const;
  // The suffix Binance's counter headers use for this window: "1M", "10S", "1D".
  std::string headerSuffix() const;
};

struct ExchangeInfo {
  std::map<std::string, SymbolFilters> symbols;
  std::vector<RateLimitRule> rateLimits;  // empty when the answer has none
};

// "" on success, else what is wrong, naming the field.
std::string parseExchangeInfo(std::string_view json, ExchangeInfo& out);

// An order checked against its symbol's filters before it leaves: "" when it
// passes, else the rule it breaks, named as Binance names it
// ("PRICE_FILTER: price 100.005 is not a multiple of tickSize 0.01").
// price is absent for market and stop-market orders (notional is then not
// checked here: the venue uses its average price); market orders are also
// held to MARKET_LOT_SIZE.
std::string checkFilters(const SymbolFilters& f, std::optional<Price> price,
                         std::optional<Price> stopPrice, Qty qty, bool market = false);

// ------------------------------------------------------- orders and trades

struct BinanceTrade {
  std::string symbol;
  std::string tradeId;
  std::string orderId;
  Price price;
  Qty qty;
  Qty commission;
  std::string commissionAsset;
  int64_t timeMs = 0;
};

struct BinanceOrder {
  std::string symbol;
  std::string orderId;
  std::string clientOrderId;
  std::string origClientOrderId;  // cancel responses
  Price price;
  Qty origQty;
  Qty executedQty;
  std::string status;  // NEW, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED, ...
  std::string type;
  std::string side;
  std::string timeInForce;
  Price stopPrice;
  int64_t timeMs = 0;
  std::vector<BinanceTrade> fills;  // newOrderRespType=FULL
};

// {"code":-2010,"msg":"..."}
struct ApiError {
  int code = 0;
  std::string msg;
};

std::string parseOrder(std::string_view json, BinanceOrder& out);
std::string parseOrders(std::string_view json, std::vector<BinanceOrder>& out);
// myTrades
std::string parseTrades(std::string_view json, std::vector<BinanceTrade>& out);
// false if json is not a Binance error object.
bool parseApiError(std::string_view json, ApiError& out);
std::string parseListenKey(std::string_view json, std::string& out);
// GET /api/v3/time: {"serverTime":1499827319559} (ms since the epoch).
std::string parseServerTime(std::string_view json, int64_t& serverMs);

// ------------------------------------------------------ user data stream

struct ExecutionReport {
  std::string symbol;             // s
  std::string clientOrderId;      // c
  std::string origClientOrderId;  // C (cancels)
  std::string side;               // S
  std::string orderType;          // o
  std::string timeInForce;        // f
  Qty qty;                        // q
  Price price;                    // p
  Price stopPrice;                // P
  std::string execType;           // x
  std::string status;             // X
  std::string rejectReason;       // r
  std::string orderId;            // i
  Qty lastQty;                    // l
  Qty cumQty;                     // z
  Price lastPrice;                // L
  Qty commission;                 // n
  std::string commissionAsset;    // N (null when no fee)
  int64_t transactTimeMs = 0;     // T
  std::string tradeId;            // t (-1 when not a trade)
  int64_t eventTimeMs = 0;        // E
};

struct StreamEvent {
  enum class Kind { ExecutionReport, ListenKeyExpired, Other } kind = Kind::Other;
  std::string eventType;  // e
  ExecutionReport report;
};

// Accepts the plain event, the combined-stream wrapper {"stream","data"} and
// the WebSocket API wrapper {"subscriptionId","event"}.
std::string parseStreamEvent(std::string_view json, StreamEvent& out);

// ------------------------------------------------------ public market streams

// One message of a combined market stream (/stream?streams=a/b):
// {"stream":"btcusdt@bookTicker","data":{...}}, or a bare payload, or the
// answer to a SUBSCRIBE/UNSUBSCRIBE request ({"result":null,"id":1} /
// {"error":{"code":2,"msg":"..."},"id":1}).
struct MarketStreamMessage {
  enum class Kind { BookTicker, Trade, Depth, Result, Other } kind = Kind::Other;
  std::string stream;  // "btcusdt@bookTicker" (combined streams); "" when bare
  std::string symbol;  // Binance's symbol, upper case (Depth: from the stream name)
  // BookTicker: best bid/ask; a zero quantity means that side is empty.
  int64_t updateId = 0;  // u / lastUpdateId
  Price bidPx, askPx;
  Qty bidQty, askQty;
  // Trade.
  std::string tradeId;  // t
  Price price;          // p
  Qty qty;              // q
  int64_t tradeTimeMs = 0;
  // Depth (partial book), best first.
  std::vector<std::pair<Price, Qty>> bids, asks;
  // Result.
  int64_t requestId = 0;
  std::string error;  // the venue's error for a request, "" when it succeeded
};
// "" on success, else what is wrong, naming the stream and the field.
std::string parseMarketStream(std::string_view json, MarketStreamMessage& out);

// ---------------------------------------------------------------- mapping

// Our order's Binance type/timeInForce. "" error on success.
struct OrderTypeMapping {
  std::string type;         // MARKET, LIMIT, LIMIT_MAKER, STOP_LOSS, STOP_LOSS_LIMIT
  std::string timeInForce;  // GTC, IOC, FOK; "" where the type takes none
};
std::string mapOrderType(const VenueNewOrder& o, bool dayAsGtc, OrderTypeMapping& out);
std::string_view sideName(Side s);

// Binance client order ids: ^[.A-Z:/a-z0-9_-]{1,36}$. "" if ok.
std::string checkClientOrderId(std::string_view id);

bool isTerminalStatus(std::string_view status);

// Binance's decimal text for a Fixed, as the API takes it ("0.1", "25").
std::string decimal(int64_t mantissa);
// Fixed 8-decimal text as Binance prints it ("0.10000000").
std::string decimal8(int64_t mantissa);

}  // namespace fixgw::binance
