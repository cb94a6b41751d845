// The Coinbase Advanced Trade REST client: a fresh ES256 JWT per request
// (uri claim = method, host and path), one kept-alive HTTPS connection, and
// Coinbase's rate limits kept locally so the gateway never earns a 429:
// private calls stay under max_private_per_sec and public ones under
// max_public_per_sec in any rolling second (a call over the limit is not
// sent: Throttled, for the caller to queue); a 429 stops every call for its
// Retry-After (retry_after_default_ms when absent). Idempotent calls (GETs,
// cancels) are retried on a transport error or 5xx with exponential backoff
// and jitter; an order submit or edit never is — its caller resolves an
// unknown outcome by asking for the order.
//
// Thread-safety: one thread at a time (the adapter's I/O thread), except
// rateLimits(), which is safe from any thread (the windows sit behind a
// mutex held only while they are read or changed).
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/venue.h"
#include "venue_adapters/coinbase/auth.h"
#include "venue_adapters/coinbase/config.h"
#include "venue_adapters/coinbase/parse.h"
#include "venue_adapters/net/http.h"

namespace fixgw::coinbase {

struct RestReply {
  enum class Kind {
    Ok,           // 2xx; body is the venue's JSON
    Rejected,     // 4xx with a Coinbase error: not executed
    RateLimited,  // 429 from the venue: not executed
    Refused,      // not sent: stopped after a 429
    Throttled,    // not sent: our own per-second limit; send again shortly
    Unknown,      // transport error, 5xx or unreadable answer: may have executed
  };
  Kind kind = Kind::Unknown;
  int status = 0;
  ApiError error;    // Rejected
  std::string body;  // Ok
  std::string text;  // human-readable outcome for events and logs
  bool ok() const { return kind == Kind::Ok; }
  bool notSent() const { return kind == Kind::Refused || kind == Kind::Throttled; }
};

class CoinbaseRest {
 public:
  CoinbaseRest(const CoinbaseConfig& c, Credentials cred, const Clock& clock);
  ~CoinbaseRest();
  RestReply publicGet(const std::string& target);
  // JSON body for POST; idempotent calls are retried on unknown outcomes.
  RestReply privateCall(const std::string& method, const std::string& target,
                        const std::string& body, bool idempotent);
  // A private call would be sent now (inside the per-second limit, no 429 stop).
  bool canSendPrivate();
  // Stopped by a 429 until its Retry-After.
  bool blocked() const { return clock_.monoNow() < blockedUntil_; }
  // A JWT for the WebSocket user channel (no uri claim).
  std::string wsJwt();
  // Measures Coinbase's clock (GET /api/v3/brokerage/time, public) and dates
  // JWTs by it from then on. "" on success, else why not (the offset is kept).
  std::string syncClock();
  int64_t clockOffsetMs() const { return offsetMs_; }
  int64_t rateLimitedCount() const { return rateLimited_; }
  // The local windows: "private_rest_1s" (max_private_per_sec) and
  // "public_rest_1s" (max_public_per_sec), calls sent in the last rolling
  // second. Safe from any thread.
  std::vector<VenueRateLimit> rateLimits() const;

 private:
  RestReply call(const std::string& method, const std::string& target, const std::string& body,
                 bool isPrivate, bool idempotent);
  RestReply once(const std::string& method, const std::string& target, const std::string& body,
                 bool isPrivate);
  bool windowFull(std::deque<MonoNanos>& w, int64_t limit, MonoNanos now);
  CoinbaseConfig cfg_;
  Credentials cred_;
  std::unique_ptr<Es256Signer> signer_;
  const Clock& clock_;
  std::unique_ptr<net::HttpsClient> http_;
  mutable std::mutex windowsMu_;  // guards the windows (rateLimits() reads them)
  std::deque<MonoNanos> privateSent_, publicSent_;
  WallNanos privateAt_ = 0, publicAt_ = 0;  // wall clock of each window's last call
  int64_t nowSec() const { return (clock_.wallNow() / 1'000'000 + offsetMs_) / 1000; }
  MonoNanos blockedUntil_ = 0;
  int64_t offsetMs_ = 0;     // Coinbase's clock minus ours
  MonoNanos lastSync_ = -1;  // a 401 resyncs at most once per 10 s
  int64_t rateLimited_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace fixgw::coinbase
