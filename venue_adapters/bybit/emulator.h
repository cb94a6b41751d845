// A Bybit v5 emulator on loopback: the REST API (HTTPS) and the private
// WebSocket (/v5/private) as Bybit documents them — private calls verified
// as Bybit does (X-BAPI-API-KEY known, X-BAPI-TIMESTAMP within
// X-BAPI-RECV-WINDOW of its clock, X-BAPI-SIGN = HMAC-SHA256 over timestamp +
// key + recv_window + query/body), answered with Bybit's retCodes (10003,
// 10002, 10004, 10006, 110001, ...) and rate-limit headers (X-Bapi-Limit,
// X-Bapi-Limit-Status, X-Bapi-Limit-Reset-Timestamp); the WebSocket auth op
// (signature over "GET/realtime" + expires), `order` and `execution` topics,
// and ping/pong; the public WebSockets (/v5/public/spot, /v5/public/linear)
// with orderbook.{depth} (snapshot, then deltas) and publicTrade. Spot and
// linear (USDT perpetual) categories, with the instrument lists given as
// Bybit's instruments-info answers.
//
// Matching is deliberately simple: each symbol has a last price; a market
// order fills at it, a limit order that crosses it fills at it (in N parts
// when fillInParts(N) is set), others rest until trade() moves the price
// through them or the test fills them. Fees: spot 0.1% (a buy pays in the
// base coin, a sell in the quote coin), linear 0.055% taker / 0.02% maker in
// the settle coin.
//
// Failure injection: retCodes on the next calls (before acting, or — for
// server-error codes — after acting, the answer lost), HTTP 5xx after
// acting, garbled JSON, slow answers, dropped and refused streams, replayed
// executions, raw text on the stream.
//
// Thread-safety: every public function is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/fixed.h"

namespace fixgw::bybit {

struct EmulatorOptions {
  std::string apiKey;
  std::string secret;
  std::string instrumentsSpotJson;    // a /v5/market/instruments-info answer (category spot)
  std::string instrumentsLinearJson;  // ... (category linear)
  const Clock* clock = nullptr;       // null: the system clock
  int64_t orderLimitPerSec = 10;      // create/amend/cancel per endpoint per second
  int64_t queryLimitPerSec = 50;      // other private endpoints
};

class BybitEmulator {
 public:
  explicit BybitEmulator(EmulatorOptions o);
  ~BybitEmulator();
  uint16_t start(uint16_t port = 0);
  void stop();
  uint16_t port() const;
  const std::string& certPem() const;  // self-signed for "localhost", made at start

  // Market (category spot or linear, Bybit symbol).
  void setLastPrice(const std::string& category, const std::string& symbol, Price p);
  // A trade at p: resting limit orders it crosses fill fully at their limit.
  void trade(const std::string& category, const std::string& symbol, Price p);
  // Fills qty of an open order (by orderLinkId) at px. False if unknown.
  bool fill(const std::string& orderLinkId, Qty qty, Price px);
  void fillInParts(int parts);
  // Resends the last execution message (a duplicate delivery).
  void replayLastExecution();

  // The next `count` private REST calls answer retCode/retMsg. Server-error
  // codes (10000, 10016) are answered after acting (the outcome is lost);
  // others before, nothing done.
  void failNext(int64_t retCode, std::string retMsg, int count = 1);
  // The next `count` private calls act, then answer HTTP `status` (e.g. 502).
  void httpFailNext(int status, int count = 1);
  void garbleNext(int count = 1);
  void delayNext(int64_t ms, int count = 1);
  void dropStreams();
  void refuseStreams(bool refuse);
  void sendOnPrivateStreams(const std::string& text);
  void sendOnPublicStreams(const std::string& text);
  void dropPublicStreams();  // the market-data connections only
  // Shift of the emulator's clock against the given one (a skewed client).
  void skewClockMs(int64_t ms);

  // Observations.
  int requests(const std::string& pathPrefix) const;
  int signatureFailures() const;
  int timestampFailures() const;
  int rateLimitErrors() const;
  int authenticatedStreams() const;  // authed and subscribed to order + execution
  int publicSubscribers() const;     // public connections with a subscription
  int pingsReceived() const;
  std::optional<std::string> orderStatus(const std::string& orderLinkId) const;
  std::string lastCreateBody() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::bybit
