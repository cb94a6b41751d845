// The OKX v5 REST client: signs private calls (OK-ACCESS-KEY/-SIGN/
// -TIMESTAMP/-PASSPHRASE, and x-simulated-trading when demo), keeps one
// kept-alive HTTPS connection, and keeps under OKX's per-endpoint limits so
// the key is never locked out:
//
// * a sliding window per limit key (endpoint, and instrument for the trade
//   calls: 60 place / cancel / amend per 2 s per instrument): a call that
//   would pass it waits for room up to max_queue_ms, else is refused here;
// * 50011 or HTTP 429 stops every call for a backoff that doubles (with
//   jitter) up to backoff_max_ms and resets on success;
// * 50102 (timestamp expired): our clock offset is resynced from
//   /api/v5/public/time and the call resent once — OKX refused it, so
//   nothing was executed.
//
// Every answer is classified: executed (Ok), refused by OKX (Rejected,
// RateLimited), not sent (Refused), or Unknown (transport error, 5xx,
// 50001/50004/50013/50026, unreadable): may have been executed.
//
// Thread-safety: one thread at a time (the adapter's I/O thread), except
// interrupt() and limits(), safe from any thread.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/venue.h"
#include "venue_adapters/net/http.h"
#include "venue_adapters/okx/config.h"
#include "venue_adapters/okx/parse.h"

namespace fixgw::okx {

struct RestReply {
  enum class Kind { Ok, Rejected, RateLimited, Refused, Unknown };
  Kind kind = Kind::Unknown;
  int status = 0;
  Envelope env;      // code, msg, first entry's sCode/sMsg
  std::string code;  // the deciding code: sCode when the entry failed, else code
  std::string body;
  std::string text;  // human-readable outcome for events and logs (no secrets)
  bool ok() const { return kind == Kind::Ok; }
};

class OkxRest {
 public:
  OkxRest(const OkxConfig& c, Credentials cred, const Clock& clock);
  ~OkxRest();
  // method GET or POST; path "/api/v5/..."; query without '?'; body JSON.
  // limit names the local limit ("place", "cancel", "amend", "query",
  // "pending", "fills", or "" for none) and inst the instrument it counts per.
  RestReply call(const std::string& method, const std::string& path, const std::string& query,
                 const std::string& body, const std::string& limit, const std::string& inst,
                 bool signedCall = true);
  void interrupt() { interrupted_ = true; }
  // The local windows as last known, for VenueAdapter::rateLimits().
  std::vector<VenueRateLimit> limits() const;
  int64_t clockOffsetMs() const { return offsetMs_; }
  int timestampResyncs() const { return resyncs_; }

 private:
  RestReply send(const std::string& method, const std::string& target, const std::string& body,
                 bool signedCall);
  std::string admit(const std::string& limit, const std::string& inst);
  int64_t limitOf(const std::string& limit) const;
  void resyncClock();
  OkxConfig cfg_;
  Credentials cred_;
  const Clock& clock_;
  std::unique_ptr<net::HttpsClient> http_;
  std::atomic<bool> interrupted_{false};
  struct Window {
    std::deque<MonoNanos> sent;
    int64_t limit = 0;
    WallNanos updatedAt = 0;
    std::string source = "local";
  };
  mutable std::mutex limMu_;
  std::map<std::string, Window> windows_;  // "place:BTC-USDT" -> window
  MonoNanos blockedUntil_ = 0;
  int64_t backoffMs_ = 0;
  int64_t offsetMs_ = 0;  // venue time - our time
  int resyncs_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace fixgw::okx
