// The Binance REST client: signs requests, keeps one kept-alive HTTPS
// connection, and honours the venue's rate limits so the gateway is never
// banned — X-MBX-USED-WEIGHT-1M is tracked and sending stops at
// max_weight_1m until the minute turns; a 429 or 418 stops all sending for
// its Retry-After (60 s / 120 s when absent).
//
// Clock skew: signed requests carry `timestamp` = our wall clock plus an
// offset measured from GET /api/v3/time (syncClock, called at start-up); a
// -1021 answer (timestamp outside recvWindow) resyncs the offset and retries
// the refused request once.
//
// The venue's own counters (X-MBX-USED-WEIGHT-<n><unit> on every answer,
// X-MBX-ORDER-COUNT-<n><unit> on order answers) are kept as last seen for the
// admin API's rate-limit headroom (counters()).
//
// Thread-safety: one thread at a time (the adapter's I/O thread), except
// counters(), which is safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "venue_adapters/binance/config.h"
#include "venue_adapters/binance/parse.h"
#include "venue_adapters/net/http.h"

namespace fixgw::binance {

struct RestReply {
  enum class Kind {
    Ok,           // 2xx; body is the venue's JSON
    Rejected,     // 4xx with a Binance error: not executed
    RateLimited,  // 429/418 from the venue: not executed
    Refused,      // not sent: our own rate-limit guard
    Unknown,      // transport error, 5xx or unreadable answer: may have executed
  };
  Kind kind = Kind::Unknown;
  int status = 0;
  ApiError error;    // Rejected
  std::string body;  // Ok
  std::string text;  // human-readable outcome for events and logs
  bool ok() const { return kind == Kind::Ok; }
};

class BinanceRest {
 public:
  BinanceRest(const BinanceConfig& c, Credentials cred, const Clock& clock);
  ~BinanceRest();
  RestReply publicGet(const std::string& path, const std::string& query);
  // SIGNED endpoint: params get recvWindow, timestamp and signature.
  RestReply signedCall(const std::string& method, const std::string& path,
                       const std::string& params);
  // USER_STREAM endpoint (listen key): API key only.
  RestReply apiKeyCall(const std::string& method, const std::string& path,
                       const std::string& params);
  int64_t usedWeight() const { return usedWeight_; }
  // A venue counter as its last answer gave it.
  struct Counter {
    int64_t used = 0;
    WallNanos at = 0;  // our wall clock when the answer came
  };
  // By lower-case header suffix: "used-weight-1m", "order-count-10s",
  // "order-count-1d". Safe from any thread.
  std::map<std::string, Counter> counters() const;
  const BinanceConfig& config() const { return cfg_; }
  // Measures Binance's clock against ours (GET /api/v3/time) and dates
  // signed requests by Binance's from then on. "" on success, else why not
  // (the previous offset is kept).
  std::string syncClock();
  int64_t clockOffsetMs() const { return offsetMs_; }

 private:
  RestReply call(const std::string& method, const std::string& target, const std::string& body);
  void recordCounters(const net::HttpResponse& resp);
  RestReply signedOnce(const std::string& method, const std::string& path,
                       const std::string& params);
  int64_t nowMs() const { return clock_.wallNow() / 1'000'000 + offsetMs_; }
  BinanceConfig cfg_;
  Credentials cred_;
  const Clock& clock_;
  std::unique_ptr<net::HttpsClient> http_;
  MonoNanos blockedUntil_ = 0;
  int blockStatus_ = 0;
  int64_t usedWeight_ = 0;
  int64_t weightMinute_ = -1;
  int64_t offsetMs_ = 0;  // Binance's clock minus ours
  mutable std::mutex countersMu_;  // the admin thread reads counters_
  std::map<std::string, Counter> counters_;
};

}  // namespace fixgw::binance
