// Kraken spot JSON (REST and WebSocket v2) and the mapping between Kraken's
// vocabulary and ours. This is the boundary: Kraken's order types,
// time-in-force, statuses, error strings and pair names are converted here
// and nowhere else.
//
// Decimals are parsed exactly: RapidJSON hands every number over as text
// (kParseNumbersAsStringsFlag) and exactDecimal turns it into the fixed-point
// mantissa — never through double. WebSocket v2 sends JSON numbers that may
// carry an exponent ("1e-05"); those are shifted exactly. A value finer than
// 8 decimals is an error naming the field, never rounded.
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

namespace fixgw::kraken {

// "1.25", "26500.0", "1e-05", "2.5E+3" -> mantissa at scale 8; nullopt when
// not a number or finer than 8 decimals.
std::optional<int64_t> exactDecimal(std::string_view s);

// ------------------------------------------------------------ errors

// How an error string from Kraken is handled.
enum class ErrorClass {
  Rejected,     // the request was refused: nothing happened
  RateLimited,  // EAPI/EOrder:Rate limit exceeded, EGeneral:Too many requests
  Nonce,        // EAPI:Invalid nonce: refused, safe to resend with a new nonce
  Auth,         // EAPI:Invalid key/signature, EGeneral:Permission denied
  Unknown,      // EService:*, EGeneral:Internal error: may have been executed
};
ErrorClass classifyError(std::string_view err);

// The {"error":[...],"result":...} envelope: the error strings (empty on
// success). "" when the envelope is readable, else what is wrong.
std::string parseErrors(std::string_view json, std::vector<std::string>& errors);

// ------------------------------------------------------------ AssetPairs

struct PairInfo {
  std::string key;       // "XXBTZUSD"
  std::string altname;   // "XBTUSD" (what AddOrder's pair takes)
  std::string wsname;    // "XBT/USD"
  std::string v2symbol;  // "BTC/USD" (WebSocket v2 names)
  std::string base, quote;
  std::string status;  // online, cancel_only, post_only, limit_only, reduce_only
  int pairDecimals = 0, lotDecimals = 0, costDecimals = 0;
  Price tickSize;                   // tick_size, else 10^-pair_decimals
  Qty lotStep;                      // 10^-lot_decimals
  Qty orderMin;                     // ordermin
  std::optional<Notional> costMin;  // costmin
};

struct AssetPairs {
  std::map<std::string, PairInfo> byKey;
  // By key, altname, wsname or v2 symbol.
  const PairInfo* find(std::string_view name) const;
};
std::string parseAssetPairs(std::string_view json, AssetPairs& out);

// An order checked against its pair's rules before it leaves: "" when it
// passes, else the rule it breaks, named as Kraken names it
// ("tick_size: price 100.05 is not a multiple of tick_size 0.1").
std::string checkFilters(const PairInfo& p, std::optional<Price> price,
                         std::optional<Price> stopPrice, Qty qty, bool postOnly);

// ------------------------------------------------------- orders and trades

struct KrakenOrder {
  std::string txid;
  std::string clOrdId;
  int64_t userref = 0;
  std::string status;  // pending, open, closed, canceled, expired
  std::string reason;
  std::string pair;       // descr.pair (altname)
  std::string side;       // descr.type: buy, sell
  std::string orderType;  // descr.ordertype
  Price price, price2;    // descr.price, descr.price2
  Qty vol, volExec;
  Qty fee;
  Price avgPrice;  // price
  std::string oflags;
  std::string timeInForce;  // not in the REST answer; GTC unless expiretm set
  int64_t openNs = 0;
  std::vector<std::string> trades;
};

struct KrakenTrade {
  std::string tradeId;  // the trade txid
  std::string orderTxid;
  std::string pair;  // the pair key
  std::string side;
  Price price;
  Qty vol;
  Qty fee;  // in the quote currency (Kraken's default fee currency)
  int64_t timeNs = 0;
};

// AddOrder: the order's txid.
std::string parseAddOrder(std::string_view json, std::string& txid);
// QueryOrders (result is the map), OpenOrders (result.open), ClosedOrders
// (result.closed): which = "", "open" or "closed".
std::string parseOrders(std::string_view json, const char* which, std::vector<KrakenOrder>& out);
// TradesHistory (result.trades; total = result.count, the trades matching
// across all pages) or QueryTrades (result is the map).
std::string parseTrades(std::string_view json, bool history, std::vector<KrakenTrade>& out,
                        int64_t* total = nullptr);
std::string parseToken(std::string_view json, std::string& token);
// CancelOrder: how many were canceled.
std::string parseCancel(std::string_view json, int64_t& count);
std::string parseAmend(std::string_view json, std::string& amendId);

// ------------------------------------------------------ WebSocket v2

struct ExecFee {
  std::string asset;
  Qty qty;
};

struct ExecReport {
  std::string execType;  // pending_new, new, trade, filled, canceled, expired, amended, ...
  std::string orderId;
  std::string clOrdId;
  std::string symbol;
  std::string side;
  std::string orderType;
  std::string timeInForce;
  std::string orderStatus;
  Qty orderQty, cumQty, lastQty;
  Price limitPrice, stopPrice, lastPrice;
  std::string execId;  // trades: the trade txid
  std::string tradeId;
  std::vector<ExecFee> fees;
  std::string reason;
  int64_t timeNs = 0;
};

struct BookSide {
  std::vector<BookLevel> levels;  // qty 0: level removed (updates)
};

struct WsMessage {
  enum class Kind { Executions, Ticker, Book, Trade, Heartbeat, Status, MethodAck, Other };
  Kind kind = Kind::Other;
  std::string channel;
  std::string type;  // snapshot, update
  // Executions
  std::vector<ExecReport> execs;
  // Ticker / Book / Trade (one symbol each, the first entry)
  std::string symbol;
  std::optional<Price> bid, ask;
  Qty bidQty, askQty;
  std::vector<BookLevel> bids, asks;
  std::vector<Trade> trades;
  // MethodAck
  std::string method;
  bool success = false;
  std::string error;
};
std::string parseWsMessage(std::string_view json, WsMessage& out);

// ---------------------------------------------------------------- mapping

struct OrderMapping {
  std::string orderType;    // market, limit, stop-loss, stop-loss-limit
  std::string timeInForce;  // GTC, IOC, GTD; "" for market
  std::string oflags;       // "post" or ""
  int64_t expireSec = 0;    // GTD: unix seconds
};
std::string mapOrderType(const VenueNewOrder& o, bool dayAsGtc, OrderMapping& out);
std::string_view sideName(Side s);

// Kraken's cl_ord_id: free text of up to 18 printable characters, or a UUID.
// Our child id when it fits, else a short UUID (32 hex) derived from it by
// SHA-256, stable so it can be recomputed after a restart.
std::string clientOrderIdFor(std::string_view childId);

bool isTerminalStatus(std::string_view status);
// Kraken's asset code as WebSocket v2 and most desks name it: "ZUSD" -> "USD",
// "XXBT" -> "BTC", "XDG" -> "DOGE".
std::string commonAsset(std::string asset);
// Kraken's decimal text for a Fixed ("0.001", "37500").
std::string decimal(int64_t mantissa);
// Kraken's REST fixed-width text ("1.25000000"), as its answers print it.
std::string decimal8(int64_t mantissa);
// "1688665496.7808" -> ns (exact, up to 9 decimals).
std::optional<int64_t> unixSecondsToNs(std::string_view s);
// "2023-09-22T10:33:05.709950Z" -> ns.
std::optional<int64_t> isoToNs(std::string_view s);

}  // namespace fixgw::kraken
