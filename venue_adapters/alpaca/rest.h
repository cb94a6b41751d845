// The Alpaca REST client: the key pair in headers on every call, one
// kept-alive HTTPS connection, and Alpaca's rate limit (200 requests a
// minute per account) kept locally so the key is not throttled:
//
// * a rolling-minute window at max_requests_per_min; a call over it waits up
//   to max_queue_ms for room, else it is refused here (not sent);
// * X-RateLimit-Limit / -Remaining / -Reset on every answer are recorded
//   (rateLimits()) and obeyed: Remaining 0 or HTTP 429 stops every call
//   until Reset (retry_after_default_ms when absent).
//
// Every answer is classified: Ok (2xx), Rejected (4xx: Alpaca refused it,
// not executed), RateLimited (429, not executed), Refused (not sent), Unknown
// (transport error, 5xx, unreadable 2xx: it may have executed — the caller
// looks the order up, never resends).
//
// Thread-safety: calls from one thread at a time (the adapter's I/O thread);
// rateLimits() and interrupt() from any thread.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/venue.h"
#include "venue_adapters/alpaca/config.h"
#include "venue_adapters/alpaca/parse.h"
#include "venue_adapters/net/http.h"

namespace fixgw::alpaca {

struct RestReply {
  enum class Kind { Ok, Rejected, RateLimited, Refused, Unknown };
  Kind kind = Kind::Unknown;
  int status = 0;
  ApiError error;    // Rejected / RateLimited, when Alpaca said why
  std::string body;  // Ok
  std::string text;  // human-readable outcome for events and logs
  bool ok() const { return kind == Kind::Ok; }
  bool notExecuted() const {
    return kind == Kind::Rejected || kind == Kind::RateLimited || kind == Kind::Refused;
  }
};

class AlpacaRest {
 public:
  AlpacaRest(const AlpacaConfig& c, Credentials cred, const Clock& clock);
  ~AlpacaRest();
  RestReply call(const std::string& method, const std::string& target,
                 const std::string& body = "");
  void interrupt() { interrupted_ = true; }
  std::vector<VenueRateLimit> rateLimits() const;
  int64_t rateLimitedCount() const { return rateLimited_; }

 private:
  AlpacaConfig cfg_;
  Credentials cred_;
  const Clock& clock_;
  std::unique_ptr<net::HttpsClient> http_;
  std::atomic<bool> interrupted_{false};
  std::deque<MonoNanos> sent_;
  MonoNanos blockedUntil_ = 0;
  std::atomic<int64_t> rateLimited_{0};
  mutable std::mutex limMu_;
  VenueRateLimit venueLimit_;  // from the headers; limit 0 until seen
};

}  // namespace fixgw::alpaca
