// An Alpaca trading API emulator on loopback: the REST v2 endpoints the
// adapter uses (orders: POST, DELETE, PATCH, GET open / by id / by
// client_order_id; account/activities/FILL; assets/{symbol}; clock) over
// HTTPS, and the /stream WebSocket (auth, listen, trade_updates) over TLS —
// with the key pair checked in APCA-API-KEY-ID / APCA-API-SECRET-KEY on every
// call (constant time) and on the stream's auth message, answered with
// Alpaca's own error shape {"code":...,"message":...} and HTTP statuses, and
// Alpaca's rate limit (200 a minute by default) with X-RateLimit-* headers.
// test_data/ holds the documented payloads the shapes follow.
//
// Matching is deliberately simple: each symbol has a last price; a market
// order fills at it, a limit crossing it fills at it (in N parts when
// fillInParts(N) is set), others rest until trade() moves through them or
// the test calls fill(). With the market closed (setMarketOpen(false)) orders
// are queued ("accepted") until it opens, except extended-hours limit DAY
// orders. No commission (Alpaca charges none on equities). The market data
// stream (/v2/iex, /v2/sip on the same port) sends a quote one cent either
// side of the last price and a trade print per execution or trade().
//
// Failure injection: Alpaca errors on the next calls (failNext), 5xx or a
// garbled body after acting (lost answers), 429s, slow answers, a dropped
// or refused stream, a replayed (duplicate) fill, raw text on the stream.
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

namespace fixgw::alpaca {

struct EmulatorOptions {
  std::string apiKey;
  std::string secret;
  std::vector<std::string> assetsJson;  // asset objects served by /v2/assets/{symbol}
  const Clock* clock = nullptr;         // null: the system clock
  int64_t requestsPerMin = 200;         // Alpaca's per-account limit
};

class AlpacaEmulator {
 public:
  explicit AlpacaEmulator(EmulatorOptions o);
  ~AlpacaEmulator();
  uint16_t start(uint16_t port = 0);
  void stop();
  uint16_t port() const;
  const std::string& certPem() const;  // self-signed for "localhost", made at start

  // Market.
  void setLastPrice(const std::string& symbol, Price p);
  void setMarketOpen(bool open);  // opening releases queued orders to matching
  // A trade at p: resting orders it crosses fill fully at their limit.
  void trade(const std::string& symbol, Price p);
  // Fills qty of the open order whose client_order_id is (or starts with
  // "<id>.r") clientOrderId, at px. False if none.
  bool fill(const std::string& clientOrderId, Qty qty, Price px);
  void fillInParts(int parts);
  void replayLastFill();  // resends the last fill event (a duplicate delivery)

  // Failure injection on the next `count` REST calls (clock/asset calls
  // excluded): an Alpaca error without acting...
  void failNext(int httpStatus, int64_t code, std::string message, int count = 1);
  // ...an HTTP status (5xx) after acting: the answer is lost...
  void failAfterActing(int httpStatus, int count = 1);
  // ...a garbled 2xx body after acting...
  void garbleNext(int count = 1);
  // ...a 429 rate-limit answer (with X-RateLimit-Reset `resetInSec` ahead).
  void rateLimitNext(int count = 1, int64_t resetInSec = 1);
  void delayNext(int64_t ms, int count = 1);
  void dropStreams();
  void refuseStreams(bool refuse);
  void sendOnStreams(const std::string& text);

  // Observations.
  int requests(const std::string& methodAndPathPrefix) const;  // e.g. "POST /v2/orders"
  int authFailures() const;
  int rateLimitErrors() const;
  int streamsOpened() const;
  int tradeUpdateListeners() const;
  int marketDataSubscribers() const;  // data-stream connections with quotes subscribed
  std::optional<std::string> orderStatus(const std::string& clientOrderId) const;
  std::string lastOrderBody() const;  // the body of the last POST /v2/orders
  std::string lastClientOrderId() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::alpaca
