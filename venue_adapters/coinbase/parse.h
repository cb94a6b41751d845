// Coinbase Advanced Trade JSON and the mapping between its vocabulary and
// ours. This is the boundary: Coinbase's order configurations, statuses,
// failure reasons and channel messages are converted here and nowhere else.
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

namespace fixgw::coinbase {

// ----------------------------------------------------------- products

// One product's trading rules (GET /api/v3/brokerage/market/products).
struct Product {
  std::string productId;  // "BTC-USD"
  std::string baseCurrency, quoteCurrency;
  std::string status;  // "online"
  bool tradingDisabled = false, cancelOnly = false, limitOnly = false, postOnly = false;
  Price price;           // last
  Price quoteIncrement;  // price tick (quote_increment / price_increment)
  Qty baseIncrement;     // size step
  Qty baseMinSize, baseMaxSize;
  std::optional<Notional> quoteMinSize;  // minimum notional
  std::optional<Notional> quoteMaxSize;
};

// {"products":[...]} or a single product object. "" or an error naming the field.
std::string parseProducts(std::string_view json, std::map<std::string, Product>& out);

// An order checked against its product's rules before it leaves: "" when it
// passes, else the rule it breaks, named as Coinbase names the field
// ("quote_increment: price 100.005 is not a multiple of 0.01"). price is
// absent for market orders (notional is then not checked here).
std::string checkFilters(const Product& p, std::optional<Price> price,
                         std::optional<Price> stopPrice, Qty qty);

// ----------------------------------------------------------- orders

// POST /orders answer: {"success":true,"success_response":{...}} or
// {"success":false,"error_response":{"error":...,"message":...,...}}.
struct CreateResult {
  bool success = false;
  std::string orderId, clientOrderId, productId;
  std::string error;                  // error_response.error (e.g. INSUFFICIENT_FUND)
  std::string message, errorDetails;  // error_response.message / error_details
  std::string failureReason;          // top-level failure_reason, when present
  std::string previewFailureReason, newOrderFailureReason;
  std::string text() const;  // all reasons, for the client's Text
};
std::string parseCreateOrder(std::string_view json, CreateResult& out);

// batch_cancel: {"results":[{"success":true,"failure_reason":...,"order_id":...}]}
struct CancelResult {
  bool success = false;
  std::string failureReason;
  std::string orderId;
};
std::string parseBatchCancel(std::string_view json, std::vector<CancelResult>& out);

// edit: {"success":true,"errors":[{"edit_failure_reason":..,"preview_failure_reason":..}]}
struct EditResult {
  bool success = false;
  std::vector<std::string> reasons;
};
std::string parseEdit(std::string_view json, EditResult& out);

struct CbOrder {
  std::string orderId, clientOrderId, productId;
  std::string side;         // BUY, SELL
  std::string status;       // PENDING, OPEN, FILLED, CANCELLED, EXPIRED, FAILED, QUEUED, ...
  std::string configKey;    // order_configuration's one key (limit_limit_gtc, ...)
  std::string timeInForce;  // GOOD_UNTIL_CANCELLED, IMMEDIATE_OR_CANCEL, ...
  Qty baseSize;             // order_configuration.*.base_size
  std::optional<Price> limitPrice, stopPrice;
  bool postOnly = false;
  Qty filledSize;
  Price averageFilledPrice;
  Qty totalFees;
  std::string rejectReason, rejectMessage, cancelMessage;
  int64_t createdMs = 0;
};
// {"order":{...}}
std::string parseOrder(std::string_view json, CbOrder& out);
// {"orders":[...],"has_next":..,"cursor":..}
std::string parseOrders(std::string_view json, std::vector<CbOrder>& out, std::string& cursor);

struct CbFill {
  std::string entryId, tradeId, orderId, productId, side;
  Price price;
  Qty size;
  Qty commission;
  bool sizeInQuote = false;
  std::string liquidity;  // MAKER, TAKER
  int64_t tradeTimeMs = 0;
};
// {"fills":[...],"cursor":".."}
std::string parseFills(std::string_view json, std::vector<CbFill>& out, std::string& cursor);

// GET /api/v3/brokerage/time: {"iso":..,"epochSeconds":"..","epochMillis":".."}.
std::string parseServerTime(std::string_view json, int64_t& epochMs);

// The default error body: {"error":"...","code":N,"message":"...","details":[...]}
// (or Coinbase's {"error":..,"error_details":..,"message":..}). false if json is none.
struct ApiError {
  std::string error;
  std::string message;
};
bool parseApiError(std::string_view json, ApiError& out);

// ----------------------------------------------------------- WebSocket

struct StreamOrder {
  std::string orderId, clientOrderId, productId;
  std::string status;  // PENDING, OPEN, FILLED, CANCELLED, EXPIRED, FAILED
  std::string side, orderType, timeInForce;
  Qty cumulativeQuantity, leavesQuantity;
  Price avgPrice;
  Qty totalFees;
  std::string cancelReason, rejectReason;
};

struct L2Update {
  bool bid = true;  // "bid" / "offer"
  Price price;
  Qty qty;  // new_quantity; 0 removes the level
};

struct TickerMsg {
  std::string productId;
  Price price;
  std::optional<Price> bestBid, bestAsk;
  Qty bestBidQty, bestAskQty;
};

struct TradeMsg {
  std::string tradeId, productId, side;
  Price price;
  Qty size;
  int64_t timeMs = 0;
};

struct StreamMessage {
  enum class Kind { User, Heartbeat, Ticker, Level2, MarketTrades, Subscriptions, Error, Other };
  Kind kind = Kind::Other;
  std::string channel;
  int64_t sequence = -1;
  int64_t timeMs = 0;
  std::string errorMessage;         // Error
  bool snapshot = false;            // first event is a snapshot
  std::vector<StreamOrder> orders;  // User
  std::vector<TickerMsg> tickers;   // Ticker
  std::string l2Product;            // Level2
  std::vector<L2Update> l2;         // Level2
  std::vector<TradeMsg> trades;     // MarketTrades
};
std::string parseStreamMessage(std::string_view json, StreamMessage& out);

// ----------------------------------------------------------- mapping

struct OrderConfig {
  std::string key;  // market_market_ioc, limit_limit_gtc, limit_limit_gtd,
                    // limit_limit_fok, sor_limit_ioc, stop_limit_stop_limit_gtc
  bool postOnly = false;
};
// "" on success, else why the order cannot go to Coinbase, naming the field.
std::string mapOrderType(const VenueNewOrder& o, bool dayAsGtc, OrderConfig& out);

// The create-order JSON body.
std::string orderBody(const std::string& clientOrderId, const std::string& productId, Side side,
                      const OrderConfig& cfg, Qty baseSize, std::optional<Price> limit,
                      std::optional<Price> stop, WallNanos endTime);

// Coinbase client order ids: we send 1..128 of [A-Za-z0-9._:-]. "" if ok.
std::string checkClientOrderId(std::string_view id);

bool isTerminalStatus(std::string_view status);
std::string_view sideName(Side s);

// RFC 3339 "2023-02-09T20:33:57.609931463Z" <-> ms since the epoch.
std::optional<int64_t> parseRfc3339Ms(std::string_view s);
std::string formatRfc3339(WallNanos t);

}  // namespace fixgw::coinbase
