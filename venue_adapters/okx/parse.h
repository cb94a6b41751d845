// OKX v5 JSON (REST and the private WebSocket) and the mapping between OKX's
// vocabulary and ours. This is the boundary: OKX's order types (which carry
// the time-in-force), states, error codes and instrument ids are converted
// here and nowhere else.
//
// OKX sends every number as a JSON string; each is parsed exactly into the
// fixed-point mantissa (Fixed::parse). A value finer than 8 decimals or not a
// decimal is an error naming the field, never rounded.
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
#include "core/types.h"
#include "core/venue.h"

namespace fixgw::okx {

// ------------------------------------------------------------ errors

// How an OKX code (top-level `code`, or an order's `sCode`) is handled.
enum class ErrorClass {
  Ok,           // "0"
  Rejected,     // refused: nothing happened (51000 param error, 51008 balance, ...)
  RateLimited,  // 50011 (and 50061): refused, back off
  Timestamp,    // 50102 timestamp expired: refused, safe to resend after a clock resync
  Auth,         // 50100-50113 key / passphrase / sign / IP: refused
  Unknown,      // 50001 unavailable, 50004 timeout, 50013 busy, 50026 system error: may have acted
};
ErrorClass classifyCode(std::string_view code);

// The envelope {"code":"0","msg":"","data":[...]}: code, msg and, for order
// calls, the first entry's sCode/sMsg/ordId/clOrdId.
struct Envelope {
  std::string code, msg;
  std::string sCode, sMsg, ordId, clOrdId;
  size_t dataCount = 0;
};
// "" when readable, else what is wrong.
std::string parseEnvelope(std::string_view json, Envelope& out);

// ------------------------------------------------------------ instruments

struct InstInfo {
  std::string instType;  // SPOT, SWAP
  std::string instId;    // BTC-USDT, BTC-USDT-SWAP
  std::string baseCcy, quoteCcy, settleCcy, ctValCcy;
  std::string state;  // live, suspend, preopen, test
  Price tickSz;
  Qty lotSz, minSz;
  std::optional<Qty> ctVal;  // SWAP: underlying per contract
};
// GET /api/v5/public/instruments: by instId.
std::string parseInstruments(std::string_view json, std::map<std::string, InstInfo>& out);

// "" when the order passes the instrument's rules, else the rule it breaks,
// named as OKX names it ("tickSz: price 100.05 is not a multiple of tickSz 0.1").
std::string checkFilters(const InstInfo& i, std::optional<Price> px, Qty sz);
// Start-up check of our instrument master against OKX's: contract_size must
// equal ctVal for swaps (1 for spot), margin_mode must suit the instType.
// "" when consistent, else what disagrees.
std::string checkInstrument(const Instrument& ours, const InstInfo& venue);

// ------------------------------------------------------- orders and fills

struct OkxOrder {
  std::string instType, instId, ordId, clOrdId;
  std::string side, ordType, state, tdMode;
  Price px, fillPx, avgPx;
  Qty sz, accFillSz, fillSz;
  std::string tradeId;
  std::optional<Qty> fee;  // this fill's fee (negative = charged)
  std::string feeCcy;
  // A fee finer than 8 decimals (OKX prints base-currency fees to 11+) is
  // not rounded: fee stays empty, the fill is kept, and this says why.
  std::string feeError;
  std::string cancelSource, amendResult, code, msg;  // pushes
  int64_t uTimeMs = 0, fillTimeMs = 0;
};
struct OkxFill {
  std::string instType, instId, tradeId, ordId, clOrdId, billId, side;
  Price fillPx;
  Qty fillSz;
  std::optional<Qty> fee;  // negative = charged
  std::string feeCcy;
  std::string feeError;  // as OkxOrder::feeError
  int64_t tsMs = 0;
};
// GET /trade/order, /trade/orders-pending: data is a list of orders.
std::string parseOrders(std::string_view json, std::vector<OkxOrder>& out);
// GET /trade/fills.
std::string parseFills(std::string_view json, std::vector<OkxFill>& out);
// GET /public/time: ts (ms).
std::string parseTime(std::string_view json, int64_t& tsMs);

// ------------------------------------------------------ private WebSocket

struct WsMessage {
  enum class Kind { Pong, Event, Orders, Book, Trades, Other };
  Kind kind = Kind::Other;
  std::string event;  // login, subscribe, error, channel-conn-count
  std::string code, msg;
  std::vector<OkxOrder> orders;
  // Public channels: books5 (a whole 5-level book per push) and trades.
  std::string instId;
  std::vector<BookLevel> bids, asks;
  std::vector<Trade> trades;  // venue/symbol left for the adapter
  int64_t tsMs = 0;
};
std::string parseWsMessage(std::string_view text, WsMessage& out);

// ---------------------------------------------------------------- mapping

// OKX ordType carries the time-in-force: market, limit (GTC), post_only, ioc,
// fok. Stops (OKX algo orders), GTD and DAY (unless dayAsGtc) are refused
// naming why. "" on success.
std::string mapOrderType(const VenueNewOrder& o, bool dayAsGtc, std::string& ordType);
// tdMode for an instrument: cash for SPOT, its margin_mode for SWAP.
std::string tdModeFor(const Instrument& i, const InstInfo& v, std::string& tdMode);
std::string_view sideName(Side s);

// OKX's clOrdId: 1-32 letters and digits. Our child id when it is that
// already, else 32 hex digits of SHA-256 of it (stable across restarts).
std::string clientOrderIdFor(std::string_view childId);
bool isTerminalState(std::string_view state);  // filled, canceled, mmp_canceled

// OKX's instrument id for one of ours on venue `venueName`: its venueSymbols
// entry, else the symbol with '/' turned into '-' ("BTC/USDT" -> "BTC-USDT").
std::string instIdFor(const Instrument& inst, const std::string& venueName);

}  // namespace fixgw::okx
