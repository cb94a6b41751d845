// A Kraken spot emulator on loopback: the REST API (HTTPS) and WebSocket v2
// (TLS) as Kraken documents them — private calls verified exactly as Kraken
// does (API-Key, API-Sign = HMAC-SHA512 over path + SHA256(nonce + body) with
// the base64-decoded secret, nonces strictly increasing per key, answered
// with Kraken's own error strings), Kraken's decaying call counter and per
// pair trading counter, the `executions` channel (token from
// GetWebSocketsToken) and the public `ticker`/`book`/`trade` channels.
// test_data/ holds the documented payloads the shapes follow.
//
// Matching is deliberately simple: each pair has a last price; a market
// order fills at it, a limit order that crosses it fills at it (in N parts
// when fillInParts(N) is set), others rest until trade() moves the price
// through them or the test fills them. Fees: 0.26% taker, 0.16% maker, in
// the quote currency (Kraken's default).
//
// Failure injection: Kraken errors on the next calls (EOrder:Insufficient
// funds, EAPI:Rate limit exceeded, EService:Unavailable, ...), a nonce jump
// (as if another client used the key), garbled JSON, slow answers, a dropped
// stream and refused reconnects.
//
// Thread-safety: every public function is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/fixed.h"

namespace fixgw::kraken {

struct EmulatorOptions {
  std::string apiKey;
  std::string secret;            // base64
  std::string assetPairsJson;    // served as is from /0/public/AssetPairs
  const Clock* clock = nullptr;  // null: the system clock
  double counterMax = 15;        // the call counter (starter tier)
  double counterDecayPerSec = 0.33;
  double tradingMax = 60;  // the per-pair trading counter (starter)
  double tradingDecayPerSec = 1.0;
};

class KrakenEmulator {
 public:
  explicit KrakenEmulator(EmulatorOptions o);
  ~KrakenEmulator();
  uint16_t start(uint16_t port = 0);
  void stop();
  uint16_t port() const;
  // The emulator's certificate (self-signed for "localhost", made at start).
  const std::string& certPem() const;

  // Market. pair: the altname ("XBTUSD").
  void setLastPrice(const std::string& pair, Price p);
  // A trade at p: resting orders it crosses fill fully at their limit, stops trigger.
  void trade(const std::string& pair, Price p, Qty qty = Qty::of("1"));
  // Fills qty of an open order (by cl_ord_id) at px. False if unknown.
  bool fill(const std::string& clOrdId, Qty qty, Price px);
  // Marketable orders fill in `parts` trades from now on (1: whole).
  void fillInParts(int parts);
  // Resends the last trade execution (a duplicate delivery).
  void replayLastTrade();

  // Failure injection: the next `count` private calls (not the token's)
  // answer {"error":[err]} without doing anything, or — when `err` starts
  // with "EService:" — after doing it (the answer is lost, as in an outage).
  void failNext(std::string err, int count = 1);
  // As if another client had used a nonce `by` above the last one seen.
  void nonceJump(uint64_t by);
  void garbleNext(int count = 1);
  void delayNext(int64_t ms, int count = 1);  // slow answers (a read timeout)
  void dropStreams();                         // cuts every WebSocket connection
  // Sends text as is to every executions subscriber (malformed, truncated).
  void sendOnExecutionStreams(const std::string& text);
  void refuseStreams(bool refuse);

  // Observations.
  int requests(const std::string& pathPrefix) const;
  int signatureFailures() const;
  int nonceFailures() const;
  int rateLimitErrors() const;  // EAPI/EOrder:Rate limit exceeded answered
  // Its call counter and a pair's trading counter (pair key, "XXBTZUSD") now, after decay.
  double callCounter() const;
  double tradingCounter(const std::string& pairKey) const;
  int streamsOpened() const;
  int executionSubscribers() const;
  uint64_t connectionsAccepted() const;
  uint64_t lastNonce() const;
  std::optional<std::string> orderStatus(const std::string& clOrdId) const;
  std::string lastOrderParams() const;  // the body of the last AddOrder

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::kraken
