#include "venue_adapters/alpaca/rest.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <thread>

#include "venue_adapters/alpaca/auth.h"

namespace fixgw::alpaca {

namespace {
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kMinute = 60'000 * kMs;
int64_t toInt(const std::string& s, int64_t dflt) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : dflt;
}
}  // namespace

AlpacaRest::AlpacaRest(const AlpacaConfig& c, Credentials cred, const Clock& clock)
    : cfg_(c), cred_(std::move(cred)), clock_(clock) {
  net::TlsOptions o;
  o.host = c.host;
  o.port = static_cast<uint16_t>(c.port);
  o.serverName = c.serverName;
  o.caFile = c.caFile;
  o.caPem = c.caPem;
  o.connectTimeoutMs = c.connectTimeoutMs;
  o.readTimeoutMs = c.readTimeoutMs;
  http_ = std::make_unique<net::HttpsClient>(o);
  venueLimit_.name = "requests_1m";
  venueLimit_.windowMs = 60'000;
}

AlpacaRest::~AlpacaRest() = default;

std::vector<VenueRateLimit> AlpacaRest::rateLimits() const {
  std::lock_guard lk(limMu_);
  std::vector<VenueRateLimit> out;
  if (venueLimit_.limit > 0) out.push_back(venueLimit_);
  VenueRateLimit local;
  local.name = "requests_1m_local";
  local.limit = cfg_.maxRequestsPerMin;
  const MonoNanos now = clock_.monoNow();
  for (MonoNanos t : sent_) local.used += t > now - kMinute;
  local.windowMs = 60'000;
  local.source = "local";
  local.updatedAt = clock_.wallNow();
  out.push_back(local);
  return out;
}

RestReply AlpacaRest::call(const std::string& method, const std::string& target,
                           const std::string& body) {
  RestReply r;
  MonoNanos now = clock_.monoNow();
  if (now < blockedUntil_) {
    r.kind = RestReply::Kind::Refused;
    r.text = "rate limited by Alpaca: not sending for another " +
             std::to_string((blockedUntil_ - now + kMs - 1) / kMs) + " ms (not executed)";
    return r;
  }
  {
    // Room in the rolling minute, waiting up to max_queue_ms for it.
    const MonoNanos deadline = now + cfg_.maxQueueMs * kMs;
    for (;;) {
      std::unique_lock lk(limMu_);
      while (!sent_.empty() && sent_.front() <= now - kMinute) sent_.pop_front();
      if (static_cast<int64_t>(sent_.size()) < cfg_.maxRequestsPerMin) {
        sent_.push_back(now);
        break;
      }
      const MonoNanos freeAt = sent_.front() + kMinute;
      lk.unlock();
      if (freeAt > deadline || interrupted_) {
        r.kind = RestReply::Kind::Refused;
        r.text = "local rate limit: " + std::to_string(cfg_.maxRequestsPerMin) +
                 " requests a minute used (not sent, not executed)";
        return r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      now = clock_.monoNow();
    }
  }
  net::HttpRequest req;
  req.method = method;
  req.target = target;
  req.headers = authHeaders(cred_);
  if (!body.empty()) {
    req.body = body;
    req.contentType = "application/json";
  }
  net::HttpResult res = http_->send(req);
  if (!res.ok) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "transport: " + res.error + " (execution status unknown)";
    return r;
  }
  const auto& resp = res.response;
  r.status = resp.status;
  // Alpaca's own count: recorded for rateLimits(), and a spent budget stops
  // calls until its reset (epoch seconds).
  const int64_t limit = toInt(resp.header("x-ratelimit-limit"), -1);
  const int64_t remaining = toInt(resp.header("x-ratelimit-remaining"), -1);
  const int64_t resetSec = toInt(resp.header("x-ratelimit-reset"), -1);
  auto blockUntilReset = [&] {
    int64_t waitMs = cfg_.retryAfterDefaultMs;
    if (resetSec > 0) waitMs = std::max<int64_t>(resetSec * 1000 - clock_.wallNow() / kMs, 0);
    blockedUntil_ = clock_.monoNow() + waitMs * kMs;
    return waitMs;
  };
  if (limit > 0 && remaining >= 0) {
    std::lock_guard lk(limMu_);
    venueLimit_.limit = limit;
    venueLimit_.used = limit - remaining;
    venueLimit_.source = "venue";
    venueLimit_.updatedAt = clock_.wallNow();
  }
  if (resp.status == 429) {
    const int64_t waitMs = blockUntilReset();
    ++rateLimited_;
    r.kind = RestReply::Kind::RateLimited;
    parseApiError(resp.body, r.error);
    r.text = "rate limited by Alpaca (HTTP 429, retry in " + std::to_string(waitMs) + " ms)" +
             (r.error.message.empty() ? "" : ": " + r.error.message) + " (not executed)";
    spdlog::warn("alpaca: {}", r.text);
    return r;
  }
  if (remaining == 0) blockUntilReset();
  if (resp.status >= 500) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "HTTP " + std::to_string(resp.status) + " (execution status unknown)";
    return r;
  }
  if (resp.status >= 400) {
    r.kind = RestReply::Kind::Rejected;
    if (parseApiError(resp.body, r.error).empty()) {
      r.text = "alpaca HTTP " + std::to_string(resp.status) + " code " +
               std::to_string(r.error.code) + ": " + r.error.message;
    } else {
      std::string b = resp.body.substr(0, 200);
      while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
      r.text = "alpaca HTTP " + std::to_string(resp.status) + (b.empty() ? "" : ": " + b);
    }
    return r;
  }
  r.kind = RestReply::Kind::Ok;
  r.body = resp.body;
  r.text = "ok";
  return r;
}

}  // namespace fixgw::alpaca
