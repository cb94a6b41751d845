#include "venue_adapters/coinbase/rest.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <stdexcept>
#include <thread>

namespace fixgw::coinbase {

namespace {
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;
int64_t toInt(const std::string& s, int64_t dflt) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : dflt;
}
}  // namespace

CoinbaseRest::CoinbaseRest(const CoinbaseConfig& c, Credentials cred, const Clock& clock)
    : cfg_(c), cred_(std::move(cred)), clock_(clock) {
  std::string err;
  signer_ = Es256Signer::fromPem(cred_.privateKeyPem, err);
  if (!signer_) throw std::invalid_argument("coinbase private key: " + err);
  net::TlsOptions o;
  o.host = c.restHost;
  o.port = static_cast<uint16_t>(c.restPort);
  o.serverName = c.serverName;
  o.caFile = c.caFile;
  o.caPem = c.caPem;
  o.connectTimeoutMs = c.connectTimeoutMs;
  o.readTimeoutMs = c.readTimeoutMs;
  http_ = std::make_unique<net::HttpsClient>(o);
}

CoinbaseRest::~CoinbaseRest() = default;

std::string CoinbaseRest::wsJwt() {
  return makeJwt(*signer_, cred_.keyName, nowSec(), cfg_.jwtExpirySec, "", randomNonceHex());
}

std::string CoinbaseRest::syncClock() {
  lastSync_ = clock_.monoNow();
  const int64_t before = clock_.wallNow() / 1'000'000;
  RestReply r = publicGet("/api/v3/brokerage/time");
  const int64_t after = clock_.wallNow() / 1'000'000;
  if (!r.ok()) return "server time: " + r.text;
  int64_t serverMs = 0;
  if (auto e = parseServerTime(r.body, serverMs); !e.empty()) return "server time: " + e;
  // The server read its clock about halfway through the round trip.
  offsetMs_ = serverMs - (before + after) / 2;
  if (offsetMs_ > 1000 || offsetMs_ < -1000)
    spdlog::warn("coinbase: local clock is {} ms off Coinbase's; JWTs are dated by Coinbase's",
                 -offsetMs_);
  return "";
}

bool CoinbaseRest::windowFull(std::deque<MonoNanos>& w, int64_t limit, MonoNanos now) {
  std::lock_guard lk(windowsMu_);
  while (!w.empty() && w.front() <= now - kSec) w.pop_front();
  return static_cast<int64_t>(w.size()) >= limit;
}

std::vector<VenueRateLimit> CoinbaseRest::rateLimits() const {
  const MonoNanos now = clock_.monoNow();
  std::lock_guard lk(windowsMu_);
  // Counted, not popped: the I/O thread owns the windows' trimming.
  auto inLastSecond = [now](const std::deque<MonoNanos>& w) {
    int64_t n = 0;
    for (MonoNanos t : w)
      if (t > now - kSec) ++n;
    return n;
  };
  std::vector<VenueRateLimit> out(2);
  out[0].name = "private_rest_1s";
  out[0].limit = cfg_.maxPrivatePerSec;
  out[0].used = inLastSecond(privateSent_);
  out[0].updatedAt = privateAt_;
  out[1].name = "public_rest_1s";
  out[1].limit = cfg_.maxPublicPerSec;
  out[1].used = inLastSecond(publicSent_);
  out[1].updatedAt = publicAt_;
  for (auto& l : out) {
    l.windowMs = 1'000;
    l.source = "local";
  }
  return out;
}

bool CoinbaseRest::canSendPrivate() {
  const MonoNanos now = clock_.monoNow();
  return now >= blockedUntil_ && !windowFull(privateSent_, cfg_.maxPrivatePerSec, now);
}

RestReply CoinbaseRest::publicGet(const std::string& target) {
  return call("GET", target, "", false, true);
}

RestReply CoinbaseRest::privateCall(const std::string& method, const std::string& target,
                                    const std::string& body, bool idempotent) {
  return call(method, target, body, true, idempotent);
}

RestReply CoinbaseRest::call(const std::string& method, const std::string& target,
                             const std::string& body, bool isPrivate, bool idempotent) {
  RestReply r = once(method, target, body, isPrivate);
  for (int64_t attempt = 0;
       idempotent && r.kind == RestReply::Kind::Unknown && attempt < cfg_.maxRetries; ++attempt) {
    // Exponential backoff with full jitter on top; only idempotent calls get
    // here, so a retry can never place or edit an order twice.
    const int64_t base = cfg_.backoffBaseMs << attempt;
    const int64_t wait = base + static_cast<int64_t>(rng_() % static_cast<uint64_t>(base + 1));
    spdlog::warn("coinbase: {} {}: {}; retry {} in {} ms", method,
                 target.substr(0, target.find('?')), r.text, attempt + 1, wait);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    r = once(method, target, body, isPrivate);
  }
  return r;
}

RestReply CoinbaseRest::once(const std::string& method, const std::string& target,
                             const std::string& body, bool isPrivate) {
  RestReply r;
  const MonoNanos now = clock_.monoNow();
  if (now < blockedUntil_) {
    r.kind = RestReply::Kind::Refused;
    r.text = "rate limited by Coinbase (HTTP 429): not sending for another " +
             std::to_string((blockedUntil_ - now + kMs - 1) / kMs) + " ms";
    return r;
  }
  auto& window = isPrivate ? privateSent_ : publicSent_;
  const int64_t limit = isPrivate ? cfg_.maxPrivatePerSec : cfg_.maxPublicPerSec;
  if (windowFull(window, limit, now)) {
    r.kind = RestReply::Kind::Throttled;
    r.text = std::string(isPrivate ? "private" : "public") + " request rate at Coinbase's " +
             std::to_string(limit) + "/s: held locally";
    return r;
  }
  {
    std::lock_guard lk(windowsMu_);
    window.push_back(now);
    (isPrivate ? privateAt_ : publicAt_) = clock_.wallNow();
  }
  net::HttpRequest req;
  req.method = method;
  req.target = target;
  if (isPrivate)
    req.headers.emplace_back(
        "Authorization",
        "Bearer " + makeJwt(*signer_, cred_.keyName, nowSec(), cfg_.jwtExpirySec,
                            jwtUri(method, cfg_.uriHost, target), randomNonceHex()));
  if (!body.empty()) {
    req.body = body;
    req.contentType = "application/json";
  }
  net::HttpResult res = http_->send(req);
  if (!res.ok) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "transport: " + res.error;
    return r;
  }
  const auto& resp = res.response;
  r.status = resp.status;
  if (resp.status == 429) {
    const int64_t afterMs = resp.header("retry-after").empty()
                                ? cfg_.retryAfterDefaultMs
                                : toInt(resp.header("retry-after"), 1) * 1000;
    blockedUntil_ = now + afterMs * kMs;
    ++rateLimited_;
    r.kind = RestReply::Kind::RateLimited;
    ApiError e;
    parseApiError(resp.body, e);
    r.text = "rate limited by Coinbase (HTTP 429, retry after " + std::to_string(afterMs) + " ms)" +
             (e.message.empty() ? "" : ": " + e.message);
    spdlog::warn("coinbase: {}", r.text);
    return r;
  }
  if (resp.status >= 500) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "HTTP " + std::to_string(resp.status) + " (execution status unknown)";
    return r;
  }
  if (resp.status == 401 && isPrivate && cfg_.clockSync &&
      (lastSync_ < 0 || now - lastSync_ >= 10 * kSec)) {
    // A JWT refused may be a clock gone astray: measure again for the next ones.
    if (auto e = syncClock(); !e.empty()) spdlog::warn("coinbase: {}", e);
  }
  if (resp.status >= 400) {
    r.kind = RestReply::Kind::Rejected;
    if (parseApiError(resp.body, r.error)) {
      r.text = "coinbase HTTP " + std::to_string(resp.status) + " " + r.error.error +
               (r.error.message.empty() ? "" : ": " + r.error.message);
    } else {
      // Coinbase answers an authentication failure with a plain-text body.
      std::string b = resp.body.substr(0, 200);
      while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
      r.text = "coinbase HTTP " + std::to_string(resp.status) + (b.empty() ? "" : ": " + b);
    }
    return r;
  }
  r.kind = RestReply::Kind::Ok;
  r.body = resp.body;
  r.text = "ok";
  return r;
}

}  // namespace fixgw::coinbase
