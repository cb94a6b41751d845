// A Binance spot emulator on loopback: the REST API (HTTPS) and the user data
// stream (WebSocket over TLS) as Binance documents them — signed endpoints
// verified with HMAC-SHA256 over the total parameters, timestamp/recvWindow
// checked, its error codes and its JSON shapes (test_data/ holds the payloads
// from Binance's documentation the shapes follow).
//
// Matching is deliberately simple: each symbol has a last price; a market
// order fills at it, a limit order that crosses it fills at it, others rest
// until trade() moves the price through them or the test fills them.
//
// Public market streams: /stream?streams=a/b (combined streams) with
// SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS requests, serving
// <symbol>@bookTicker and <symbol>@depth<N>[@100ms] from the book (setBook's
// levels plus our resting limit orders) whenever it changes and on
// subscription, and <symbol>@trade for every print (fills and trade()).
//
// Failure injection: HTTP errors (429/418 with Retry-After, 5xx), garbled
// JSON, a dropped stream, an expired listen key, a refused stream.
//
// Thread-safety: every public function is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/fixed.h"

namespace fixgw::binance {

struct EmulatorOptions {
  std::string apiKey;
  std::string secret;
  std::string exchangeInfoJson;  // served as is from /api/v3/exchangeInfo
  const Clock* clock = nullptr;  // timestamps and recvWindow checks; null: system clock
};

class BinanceEmulator {
 public:
  explicit BinanceEmulator(EmulatorOptions o);
  ~BinanceEmulator();
  uint16_t start(uint16_t port = 0);
  void stop();
  uint16_t port() const;
  // The emulator's certificate (self-signed for "localhost", made at start).
  const std::string& certPem() const;

  // Market.
  void setLastPrice(const std::string& symbol, Price p);
  // A trade at p: resting orders it crosses fill fully at their limit, stops trigger.
  void trade(const std::string& symbol, Price p);
  // A print of qty at p by others: published on <symbol>@trade, then as trade(symbol, p).
  void trade(const std::string& symbol, Price p, Qty qty);
  // Liquidity of others in the book (besides our resting limit orders), best
  // first; published on <symbol>@bookTicker and <symbol>@depth<N>.
  void setBook(const std::string& symbol, std::vector<std::pair<Price, Qty>> bids,
               std::vector<std::pair<Price, Qty>> asks);
  // Fills qty of a resting order (by client order id) at px. False if unknown.
  bool fill(const std::string& clientOrderId, Qty qty, Price px);
  // Resends the last executionReport TRADE event (a duplicate delivery).
  void replayLastTrade();

  // Failure injection: the next `count` REST requests (any endpoint but the
  // listen key's) answer with status/body; retryAfterSec > 0 adds Retry-After.
  void failNext(int status, int count = 1, int retryAfterSec = 0, std::string body = "");
  void garbleNext(int count = 1);
  void dropStreams();      // cuts every stream connection
  void expireListenKey();  // sends listenKeyExpired, then closes the streams
  void refuseStreams(bool refuse);
  void dropMarketStreams();  // cuts the public market-stream connections only
  // Sends text as is on every market-stream connection (malformed payloads).
  void sendMarketRaw(const std::string& text);
  // The next `count` signed requests (valid signature) answer -1021, as
  // Binance does when the timestamp is outside recvWindow; -1 = all of them.
  void rejectTimestamps(int count);

  // Observations.
  int requests(const std::string& pathPrefix) const;  // REST requests seen, by path prefix
  int signatureFailures() const;
  // The counters its last answers reported (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S/-1D).
  int64_t usedWeight1m() const;
  int64_t orderCount10s() const;
  int64_t orderCount1d() const;
  int streamsOpened() const;
  int openStreams() const;
  int keepalives() const;
  int marketStreamsOpened() const;
  int openMarketStreams() const;
  // Streams subscribed over all market-stream connections ("btcusdt@trade", ...).
  std::vector<std::string> marketSubscriptions() const;
  uint64_t connectionsAccepted() const;  // TCP connections, REST and stream
  std::optional<std::string> orderStatus(const std::string& clientOrderId) const;
  std::string lastOrderParams() const;  // the total params of the last POST /api/v3/order

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::binance
