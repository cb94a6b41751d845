// The Bybit v5 REST client: signs private calls (X-BAPI-API-KEY, -TIMESTAMP,
// -RECV-WINDOW, -SIGN), keeps one kept-alive HTTPS connection, and keeps the
// key clear of Bybit's rate limits:
//
// * locally, order calls (create/amend/cancel) and queries each stay under
//   their per-second limit in any rolling second; a call over it waits (up to
//   max_queue_ms) and is otherwise refused here, never sent;
// * from the venue, every answer's X-Bapi-Limit / X-Bapi-Limit-Status /
//   X-Bapi-Limit-Reset-Timestamp are kept per endpoint: an endpoint with no
//   requests left waits for its reset; retCode 10006 (or HTTP 403, Bybit's
//   IP limit) stops that endpoint (403: all) until the reset timestamp, else
//   rate_limit_backoff_ms;
// * retCode 10002 (timestamp outside recv_window): Bybit refused it, so the
//   clock is measured again (GET /v5/market/time) and the call resent once.
//
// Thread-safety: one thread at a time (the adapter's I/O thread), except
// interrupt() and rateLimits(), which are safe from any thread.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/venue.h"
#include "venue_adapters/bybit/config.h"
#include "venue_adapters/bybit/parse.h"
#include "venue_adapters/net/http.h"

namespace fixgw::bybit {

struct RestReply {
  enum class Kind {
    Ok,           // retCode 0; body is the venue's JSON
    Rejected,     // Bybit refused it (retCode, retMsg): not executed
    RateLimited,  // retCode 10006 / HTTP 403: not executed
    Refused,      // not sent: our own limit or a venue stop still running
    Unknown,      // transport error, 5xx, server-error retCode or unreadable: may have executed
  };
  Kind kind = Kind::Unknown;
  int status = 0;
  int64_t retCode = -1;
  std::string body;
  std::string text;  // human-readable outcome for events and logs (never a secret)
  bool ok() const { return kind == Kind::Ok; }
};

class BybitRest {
 public:
  BybitRest(const BybitConfig& c, Credentials cred, const Clock& clock);
  ~BybitRest();
  RestReply publicGet(const std::string& path, const std::string& query);
  RestReply privateGet(const std::string& path, const std::string& query);
  // orderCall: create/amend/cancel (the order limit), else the query limit.
  RestReply privatePost(const std::string& path, const std::string& body, bool orderCall);
  // Measures Bybit's clock; "" on success, else why not (the offset is kept).
  std::string syncClock();
  // Bybit's clock in ms as we estimate it (stamps requests and the WS auth).
  int64_t venueNowMs() const;
  void interrupt() { interrupted_ = true; }
  std::vector<VenueRateLimit> rateLimits() const;
  int64_t rateLimitedCount() const { return rateLimited_; }

 private:
  RestReply call(const std::string& method, const std::string& path, const std::string& query,
                 const std::string& body, bool isPrivate, bool orderCall);
  RestReply once(const std::string& method, const std::string& path, const std::string& query,
                 const std::string& body, bool isPrivate);
  std::string admit(const std::string& path, bool orderCall);
  void learnLimits(const std::string& path, const net::HttpResponse& r);
  BybitConfig cfg_;
  Credentials cred_;
  const Clock& clock_;
  std::unique_ptr<net::HttpsClient> http_;
  std::atomic<bool> interrupted_{false};
  std::atomic<int64_t> offsetMs_{0};  // Bybit's clock minus ours
  std::atomic<int64_t> rateLimited_{0};
  mutable std::mutex mu_;  // what rateLimits() reads
  std::deque<MonoNanos> orderSent_, querySent_;
  struct VenueLimit {
    int64_t limit = 0, remaining = 0, resetWallMs = 0;
    WallNanos updatedAt = 0;
  };
  std::map<std::string, VenueLimit> venueLimits_;  // by path
  std::map<std::string, MonoNanos> blockedUntil_;  // by path; "" = every path
};

}  // namespace fixgw::bybit
