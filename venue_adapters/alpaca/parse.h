// The Alpaca boundary: its JSON (REST answers, account activities, the
// /stream trade_updates messages) into value types, and the mapping of its
// order types, TIF, statuses, errors and symbols to ours — here and nowhere
// else. Numbers arrive as text (kParseNumbersAsStringsFlag) and become exact
// Price/Qty; a value finer than 8 decimals is an error naming the field.
//
// Thread-safety: pure functions over value types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/types.h"
#include "core/venue.h"

namespace fixgw::alpaca {

// {"code":40310000,"message":"insufficient buying power"}
struct ApiError {
  int64_t code = 0;
  std::string message;
};
// "" when json is Alpaca's error shape.
std::string parseApiError(std::string_view json, ApiError& out);

// The order object (REST answers and the order inside a trade update).
struct AlpacaOrder {
  std::string id, clientOrderId, symbol, side, type, timeInForce, status;
  std::string replacedBy, replaces;
  std::optional<Qty> qty, notional;
  Qty filledQty;
  std::optional<Price> limitPrice, stopPrice;
  std::optional<Qty> commission;  // where Alpaca reports one (cumulative, USD)
  bool extendedHours = false;
};
std::string parseOrder(std::string_view json, AlpacaOrder& out);
std::string parseOrders(std::string_view json, std::vector<AlpacaOrder>& out);

// GET /v2/assets/{symbol}. Equities carry tradable/fractionable/shortable;
// min_order_size, min_trade_increment and price_increment where Alpaca gives
// them (crypto, and any asset the account's answer includes them for).
struct Asset {
  std::string symbol, assetClass, status;
  bool tradable = false, fractionable = false, shortable = false;
  std::optional<Qty> minOrderSize, minTradeIncrement;
  std::optional<Price> priceIncrement;
};
std::string parseAsset(std::string_view json, Asset& out);

// GET /v2/clock.
struct MarketClock {
  bool isOpen = false;
  WallNanos timestamp = 0, nextOpen = 0, nextClose = 0;
  // Whether the market is open at `now`, from the last answer: its state
  // carries until the next change it announced.
  bool openAt(WallNanos now) const {
    return isOpen ? now < nextClose : (nextOpen > 0 && now >= nextOpen && now < nextClose);
  }
};
std::string parseClock(std::string_view json, MarketClock& out);

// GET /v2/account/activities/FILL: one execution each. The activity id is
// "<time>::<execution id>"; execId is the part after "::", the same id the
// stream's trade update carries as execution_id.
struct FillActivity {
  std::string id, execId, orderId, symbol, side, type, orderStatus;
  Qty qty, cumQty, leavesQty;
  Price price;
  WallNanos time = 0;
};
std::string parseFillActivities(std::string_view json, std::vector<FillActivity>& out);

// A /stream message (text or binary frame, JSON either way).
struct StreamMessage {
  enum class Kind { Authorization, Listening, TradeUpdate, Other };
  Kind kind = Kind::Other;
  std::string status;                // authorization: "authorized" | "unauthorized"
  std::vector<std::string> streams;  // listening
  // trade_updates
  std::string event, executionId;
  std::optional<Qty> qty, positionQty;
  std::optional<Price> price;
  WallNanos time = 0;
  AlpacaOrder order;
};
std::string parseStreamMessage(std::string_view json, StreamMessage& out);

// One message of the market data stream (an array of these per frame):
// T "t" trade (p, s), "q" quote (bp, bs, ap, as), "success"/"subscription"/
// "error" (code, msg) control messages.
struct DataMessage {
  std::string type, symbol, msg;
  int64_t code = 0;
  std::optional<Price> price, bidPx, askPx;
  std::optional<Qty> size, bidSize, askSize;
  WallNanos time = 0;
};
std::string parseDataMessages(std::string_view json, std::vector<DataMessage>& out);

// "2021-03-16T18:38:01.942282Z" (or with a +hh:mm offset) to ns since epoch.
std::optional<WallNanos> parseIsoTime(std::string_view s);

// ---------------------------------------------------------------- mapping
struct OrderTerms {
  std::string side, type, timeInForce;  // Alpaca's words
  bool extendedHours = false;
  bool fractional = false;
};
// Our order type / TIF / side / attributes to Alpaca's; "" or the reason it
// cannot be sent, naming the field or attribute.
std::string mapOrder(const VenueNewOrder& o, OrderTerms& out);
OrdType ordTypeOf(const std::string& alpacaType);
TimeInForce tifOf(const std::string& alpacaTif);
Side sideOf(const std::string& alpacaSide);
// Alpaca's order status as ours (snapshots, polls).
OrdStatus statusOf(const std::string& alpacaStatus);
bool isTerminal(const std::string& alpacaStatus);

// Checks an order against the asset and Alpaca's equity rules (fractional
// only for fractionable assets and market DAY orders; sub-penny prices;
// shorting only shortable assets), naming the rule.
std::string checkAsset(const Asset& a, const OrderTerms& t, Qty qty, std::optional<Price> limit,
                       std::optional<Price> stop, bool sellShort);

// Our child id as Alpaca's client_order_id (≤ 128 characters): the id itself,
// which must be ≤ 100 characters of [A-Za-z0-9_-] (room is left for the
// ".r<n>" a replace adds). "" or why not.
std::string checkClientOrderId(const std::string& childId);
// A replacement's client_order_id: the child's with ".r<n>".
std::string replacementClientOrderId(const std::string& childId, int64_t n);
// The child id in a client_order_id (drops a ".r<n>" suffix).
std::string childIdOf(const std::string& clientOrderId);

// Request bodies (JSON).
std::string orderBody(const std::string& symbol, Qty qty, const OrderTerms& t,
                      std::optional<Price> limit, std::optional<Price> stop,
                      const std::string& clientOrderId);
std::string replaceBody(Qty qty, std::optional<Price> limit, std::optional<Price> stop,
                        const std::string& clientOrderId);

}  // namespace fixgw::alpaca
