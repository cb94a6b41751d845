// A Coinbase Advanced Trade emulator on loopback: the v3 brokerage REST API
// (HTTPS) and the WebSocket feed (user, heartbeats, level2, market_trades,
// ticker channels over TLS) as Coinbase documents them. Every private
// request's JWT is verified as Coinbase does — ES256 with the configured
// public key, kid/sub, iss "cdp", nbf/exp (at most 120 s), and the uri claim
// against the request's method, host and path — and a bad one gets
// Coinbase's own answer (HTTP 401 "Unauthorized"; on the WebSocket
// {"type":"error","message":"authentication failure"}).
//
// Matching is deliberately simple: each product has a last price; a market
// order fills at it (in `fillParts` pieces when set), a limit order that
// crosses it fills at it (post-only ones are refused instead), FOK/IOC
// remainders expire, stop-limits wait for trade() to trigger them, others
// rest until trade() moves the price through them or the test fills them.
// Fees: maker/taker basis points of the notional, in the quote currency.
//
// Rate limit: max_private_per_sec private requests in any rolling second,
// then HTTP 429. Failure injection: HTTP errors (429 with Retry-After, 5xx),
// create-order failures with Coinbase's error codes, a slow or lost answer,
// garbled JSON, a dropped stream, a refused stream.
//
// Thread-safety: every public function is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fixed.h"

namespace fixgw::coinbase {

struct EmulatorOptions {
  std::string keyName;                // the API key name (kid/sub) the JWT must carry
  std::string publicKeyPem;           // the key's public half: signatures are checked with it
  std::string productsJson;           // served from /api/v3/brokerage/market/products
  std::string uriHost = "localhost";  // the host the uri claim must name
  const Clock* clock = nullptr;       // JWT times and rate windows; null: system clock
  int64_t maxPrivatePerSec = 30;
  int64_t makerFeeBps = 40;  // 0.40%
  int64_t takerFeeBps = 60;  // 0.60%
};

class CoinbaseEmulator {
 public:
  explicit CoinbaseEmulator(EmulatorOptions o);
  ~CoinbaseEmulator();
  uint16_t start(uint16_t port = 0);
  void stop();
  uint16_t port() const;
  // The emulator's certificate (self-signed for "localhost", made at start).
  const std::string& certPem() const;

  // Market.
  void setLastPrice(const std::string& product, Price p);
  // A trade at p: printed on market_trades; resting limits it crosses fill
  // at their limit (maker), stop-limits trigger.
  void trade(const std::string& product, Price p);
  // Fills qty of an open order (by client order id) at px, as maker. False if unknown.
  bool fill(const std::string& clientOrderId, Qty qty, Price px);
  // Publishes a level2 update (qty 0 removes the level).
  void setLevel(const std::string& product, bool bid, Price px, Qty qty);
  // Marketable orders from now on fill in this many equal parts (1: whole).
  void setFillParts(int parts);
  // Resends the last user-channel update (a duplicate delivery).
  void replayLastUpdate();

  // Failure injection: the next `count` private REST requests answer with
  // status/body; retryAfterSec > 0 adds Retry-After.
  void failNext(int status, int count = 1, int retryAfterSec = 0, std::string body = "");
  // The next create order answers success:false with this error (e.g.
  // "INSUFFICIENT_FUND") and preview failure reason.
  void rejectNextOrder(std::string error, std::string message, std::string previewReason = "");
  // The next create order is executed but its answer is delayed by delayMs
  // (beyond the client's read timeout: a lost answer).
  void delayNextOrderAnswer(int64_t delayMs);
  void garbleNext(int count = 1);
  void dropStreams();  // cuts every WebSocket connection
  void refuseStreams(bool refuse);

  // Observations.
  int requests(const std::string& pathPrefix) const;  // REST requests seen, by path prefix
  int createRequests() const;  // POST /api/v3/brokerage/orders seen (any answer)
  // std::chrono::steady_clock time (ns) the last create request arrived (benchmarks).
  int64_t lastCreateSteadyNs() const;
  int authFailures() const;
  std::string lastAuthFailure() const;
  int rateLimited() const;  // 429s answered by the rate limit itself
  // Private requests it counted in the last rolling second (its rate window).
  int64_t privateInLastSecond() const;
  int userSubscriptions() const;
  int openStreams() const;
  std::optional<std::string> orderStatus(const std::string& clientOrderId) const;
  int ordersWithClientId(const std::string& clientOrderId) const;
  std::string lastOrderBody() const;  // the last POST /orders body
  std::string lastEditBody() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::coinbase
