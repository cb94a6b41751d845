// An OKX v5 emulator on loopback: the REST API (HTTPS) and the private
// WebSocket (TLS) as OKX documents them — private calls verified exactly as
// OKX does (OK-ACCESS-KEY, -PASSPHRASE, -TIMESTAMP within 30 s, -SIGN =
// base64 HMAC-SHA256 over timestamp + method + path?query + body; the demo
// header when configured), answered with OKX's own codes and shapes
// (test_data/); per-instrument place/cancel/amend limits answered 50011 with
// HTTP 429; the WebSocket login (signed unix seconds), the `orders` channel
// and text ping/pong; the public WebSocket's `books5` and `trades`.
//
// Matching is deliberately simple: each instrument has a last price; a
// market order fills at it, a limit order that crosses it fills at it (in N
// parts when fillInParts(N) is set), others rest until trade() moves the
// price through them or the test calls fill(). post_only that would take is
// canceled, ioc/fok remainders too. Fees: 0.1% taker / 0.08% maker of the
// notional (times ctVal for swaps), charged (negative) in the quote / settle
// currency.
//
// Failure injection: order errors (sCode) or top-level codes on the next
// calls, answers lost after acting (HTTP 500), garbled JSON, a dropped
// stream and refused reconnects, a replayed fill push, raw text on the
// stream.
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

namespace fixgw::okx {

struct EmulatorOptions {
  std::string apiKey, secret, passphrase;
  std::vector<std::string> instrumentsJson;  // /public/instruments answers, one per instType
  const Clock* clock = nullptr;              // null: the system clock
  bool demo = false;                         // require x-simulated-trading: 1
  int placeLimit = 60;                       // per instrument per 2 s (also cancel, amend)
  int64_t timestampWindowMs = 30'000;
};

class OkxEmulator {
 public:
  explicit OkxEmulator(EmulatorOptions o);
  ~OkxEmulator();
  uint16_t start(uint16_t port = 0);
  void stop();
  uint16_t port() const;
  const std::string& certPem() const;

  // Market. instId: "BTC-USDT", "BTC-USDT-SWAP".
  void setLastPrice(const std::string& instId, Price p);
  // A trade at p: resting limit orders it crosses fill fully at their price;
  // the public `trades` and `books5` channels push it.
  void trade(const std::string& instId, Price p);
  // Fills sz of an open order (by clOrdId) at px. False if unknown or done.
  bool fill(const std::string& clOrdId, Qty sz, Price px);
  void fillInParts(int parts);
  // Pushes the last fill's orders update again (a duplicate delivery).
  void replayLastFill();

  // The next `count` order calls (place/cancel/amend) answer code "1" with
  // this sCode/sMsg, without acting.
  void failNext(std::string sCode, std::string sMsg, int count = 1);
  // The next `count` private REST calls answer this top-level code without
  // acting (50011 comes with HTTP 429, 50001/50013 with 503).
  void failNextCode(std::string code, std::string msg, int count = 1);
  // The next `count` order calls act, then answer HTTP 500 (a lost answer).
  void loseNextAnswers(int count = 1);
  void garbleNext(int count = 1);
  void dropStreams();
  void refuseStreams(bool refuse);
  void sendOnStreams(const std::string& text);

  // Observations.
  int requests(const std::string& pathPrefix) const;
  int placeRequests() const;    // POST /api/v5/trade/order (GETs share the path)
  int authFailures() const;     // 5010x/5011x answered
  int rateLimitErrors() const;  // 50011 answered
  int loginsOk() const;
  int ordersSubscribers() const;
  int pingsReceived() const;
  int publicSubscriptions() const;  // books5/trades (channel, instId) pairs
  std::optional<std::string> orderState(const std::string& clOrdId) const;
  std::string lastOrderBody() const;  // the body of the last place-order
  std::string lastAmendBody() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::okx
