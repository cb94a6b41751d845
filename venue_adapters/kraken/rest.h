// The Kraken REST client: signs private calls (API-Key, API-Sign, nonce from
// the durable NonceSource), keeps one kept-alive HTTPS connection, and keeps
// under Kraken's rate limits so the key is never locked out:
//
// * the REST call counter (per key): +1 per call, +2 for trade history, and
//   decaying at the tier's rate; a call that would pass the tier's maximum
//   waits for the decay (up to max_queue_ms: the queue) or is refused here;
// * the trading counter (per pair) for AddOrder/AmendOrder/CancelOrder,
//   held to the tier's order limits the same way;
// * EAPI:Rate limit exceeded (or HTTP 429) stops every call for a backoff
//   that doubles (with jitter) up to backoff_max_ms and resets on success;
// * EAPI:Invalid nonce: the nonce jumps ahead (persisted) and the call is
//   resent — the venue refused it, so nothing was executed.
//
// Thread-safety: one thread at a time (the adapter's I/O thread), except
// interrupt() and rateLimits(), which are safe from any thread (the counters
// sit behind a mutex held only while they are read or changed, never across
// a wait or a request).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/venue.h"
#include "venue_adapters/kraken/auth.h"
#include "venue_adapters/kraken/config.h"
#include "venue_adapters/net/http.h"

namespace fixgw::kraken {

struct RestReply {
  enum class Kind {
    Ok,           // error array empty; body is the venue's JSON
    Rejected,     // Kraken refused it (its error string): not executed
    RateLimited,  // Kraken's rate limit: not executed
    Refused,      // not sent: our own rate-limit guard or backoff
    Unknown,      // transport error, 5xx, EService:* or unreadable: may have executed
  };
  Kind kind = Kind::Unknown;
  int status = 0;
  std::vector<std::string> errors;  // Kraken's error strings
  std::string body;
  std::string text;  // human-readable outcome for events and logs
  bool ok() const { return kind == Kind::Ok; }
  bool hasError(std::string_view e) const;
};

class KrakenRest {
 public:
  KrakenRest(const KrakenConfig& c, Credentials cred, const Clock& clock);
  ~KrakenRest();
  // GET /0/public/<method>?query
  RestReply publicGet(const std::string& method, const std::string& query);
  // POST /0/private/<method> with nonce + params, signed. pair names the
  // trading counter for order calls ("" for others).
  RestReply privatePost(const std::string& method, const std::string& params,
                        const std::string& pair = "");
  // Ends any wait for the counter at once (the adapter is stopping).
  void interrupt() { interrupted_ = true; }
  // The local estimate of Kraken's REST call counter (after decay).
  double counter();
  // Whether calls costing `cost` in all would be admitted now (a poll round
  // checks before it starts, so a cheap first call cannot starve the rest).
  bool hasRoom(double cost) { return counter() + cost <= cfg_.counterMax - 1 + 1e-9; }
  // The call counter ("call_counter") and each pair's trading counter
  // ("trading_counter_<pair key>") as this client estimates them now (after
  // decay), against the tier's maxima: decaying counters, windowMs 0.
  std::vector<VenueRateLimit> rateLimits() const;
  uint64_t lastNonce() const { return nonce_.last(); }
  int nonceResyncs() const { return nonceResyncs_; }

 private:
  RestReply send(const std::string& method, const std::string& target, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers);
  // "" when cost fits (after waiting if needed), else why it is refused.
  std::string admit(double& counter, MonoNanos& at, WallNanos& wall, double max, double decayPerSec,
                    double cost, const char* what);
  KrakenConfig cfg_;
  Credentials cred_;
  const Clock& clock_;
  NonceSource nonce_;
  std::unique_ptr<net::HttpsClient> http_;
  std::atomic<bool> interrupted_{false};
  mutable std::mutex countersMu_;  // guards the counters below (rateLimits() reads them)
  double counter_ = 0;
  MonoNanos counterAt_ = 0;
  WallNanos counterWall_ = 0;  // when a call last changed it
  struct PairCounter {
    double value = 0;
    MonoNanos at = 0;
    WallNanos wall = 0;
  };
  std::map<std::string, PairCounter> trading_;
  MonoNanos blockedUntil_ = 0;
  int64_t backoffMs_ = 0;
  int nonceResyncs_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace fixgw::kraken
