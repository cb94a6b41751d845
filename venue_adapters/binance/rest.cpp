#include "venue_adapters/binance/rest.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "venue_adapters/binance/auth.h"

namespace fixgw::binance {

namespace {
constexpr int64_t kSec = 1'000'000'000;
int64_t toInt(const std::string& s, int64_t dflt) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : dflt;
}
}  // namespace

BinanceRest::BinanceRest(const BinanceConfig& c, Credentials cred, const Clock& clock)
    : cfg_(c), cred_(std::move(cred)), clock_(clock) {
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

BinanceRest::~BinanceRest() = default;

RestReply BinanceRest::publicGet(const std::string& path, const std::string& query) {
  return call("GET", query.empty() ? path : path + "?" + query, "");
}

std::string BinanceRest::syncClock() {
  const int64_t before = clock_.wallNow() / 1'000'000;
  RestReply r = publicGet("/api/v3/time", "");
  const int64_t after = clock_.wallNow() / 1'000'000;
  if (!r.ok()) return "server time: " + r.text;
  int64_t serverMs = 0;
  if (auto e = parseServerTime(r.body, serverMs); !e.empty()) return "server time: " + e;
  // The server read its clock about halfway through the round trip.
  offsetMs_ = serverMs - (before + after) / 2;
  if (offsetMs_ > 1000 || offsetMs_ < -1000)
    spdlog::warn("binance: local clock is {} ms off Binance's; requests are dated by Binance's",
                 -offsetMs_);
  return "";
}

RestReply BinanceRest::signedCall(const std::string& method, const std::string& path,
                                  const std::string& params) {
  RestReply r = signedOnce(method, path, params);
  if (r.kind != RestReply::Kind::Rejected || r.error.code != -1021) return r;
  // -1021 is checked before Binance does anything with the request (it is
  // refused, not executed), so resending it once after a resync is safe —
  // even for an order POST: it cannot create a second order.
  const std::string syncErr = syncClock();
  spdlog::warn(
      "binance: {} {}: -1021 (timestamp outside recvWindow); clock resync {}, retrying "
      "once",
      method, path, syncErr.empty() ? "ok" : "failed: " + syncErr);
  r = signedOnce(method, path, params);
  if (r.kind == RestReply::Kind::Rejected && r.error.code == -1021)
    r.text = "clock skew: Binance refused the request's timestamp (-1021, outside recvWindow " +
             std::to_string(cfg_.recvWindowMs) + " ms) even after a clock resync (offset " +
             std::to_string(offsetMs_) + " ms" + (syncErr.empty() ? "" : "; " + syncErr) +
             "): " + r.error.msg;
  return r;
}

RestReply BinanceRest::signedOnce(const std::string& method, const std::string& path,
                                  const std::string& params) {
  std::string signedParams = signParams(params, cred_.secret, nowMs(), cfg_.recvWindowMs);
  // POST/PUT carry the parameters as a form body; GET/DELETE in the query.
  if (method == "POST" || method == "PUT") return call(method, path, signedParams);
  return call(method, path + "?" + signedParams, "");
}

RestReply BinanceRest::apiKeyCall(const std::string& method, const std::string& path,
                                  const std::string& params) {
  if (method == "POST" || method == "PUT") return call(method, path, params);
  return call(method, params.empty() ? path : path + "?" + params, "");
}

std::map<std::string, BinanceRest::Counter> BinanceRest::counters() const {
  std::lock_guard lk(countersMu_);
  return counters_;
}

void BinanceRest::recordCounters(const net::HttpResponse& resp) {
  const WallNanos now = clock_.wallNow();
  std::lock_guard lk(countersMu_);
  for (const auto& [name, value] : resp.headers) {
    // Header names arrive lower-cased; Binance names every window it counts.
    constexpr std::string_view kPrefix = "x-mbx-";
    if (name.rfind(kPrefix, 0) != 0) continue;
    std::string key = name.substr(kPrefix.size());
    if (key.rfind("used-weight-", 0) != 0 && key.rfind("order-count-", 0) != 0) continue;
    int64_t v = toInt(value, -1);
    if (v < 0) continue;  // unreadable: keep what we knew
    counters_[key] = Counter{v, now};
  }
}

RestReply BinanceRest::call(const std::string& method, const std::string& target,
                            const std::string& body) {
  RestReply r;
  const MonoNanos now = clock_.monoNow();
  if (now < blockedUntil_) {
    r.kind = RestReply::Kind::Refused;
    r.text = "rate limited by Binance (HTTP " + std::to_string(blockStatus_) +
             "): not sending for another " +
             std::to_string((blockedUntil_ - now + kSec - 1) / kSec) + " s";
    return r;
  }
  const int64_t minute = clock_.wallNow() / (60 * kSec);
  if (minute == weightMinute_ && usedWeight_ >= cfg_.maxWeight1m) {
    r.kind = RestReply::Kind::Refused;
    r.text = "request weight " + std::to_string(usedWeight_) + " has reached max_weight_1m " +
             std::to_string(cfg_.maxWeight1m) + ": not sending until the minute turns";
    return r;
  }
  net::HttpRequest req;
  req.method = method;
  req.target = target;
  req.headers.emplace_back("X-MBX-APIKEY", cred_.apiKey);
  if (!body.empty()) {
    req.body = body;
    req.contentType = "application/x-www-form-urlencoded";
  }
  net::HttpResult res = http_->send(req);
  if (!res.ok) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "transport: " + res.error;
    return r;
  }
  const auto& resp = res.response;
  r.status = resp.status;
  if (auto w = resp.header("x-mbx-used-weight-1m"); !w.empty()) {
    usedWeight_ = toInt(w, usedWeight_);
    weightMinute_ = minute;
  }
  recordCounters(resp);
  if (resp.status == 429 || resp.status == 418) {
    int64_t after = toInt(resp.header("retry-after"), resp.status == 418 ? 120 : 60);
    blockedUntil_ = now + after * kSec;
    blockStatus_ = resp.status;
    r.kind = RestReply::Kind::RateLimited;
    ApiError e;
    parseApiError(resp.body, e);
    r.text = "rate limited by Binance (HTTP " + std::to_string(resp.status) + ", retry after " +
             std::to_string(after) + " s)" + (e.msg.empty() ? "" : ": " + e.msg);
    spdlog::warn("binance: {}", r.text);
    return r;
  }
  if (resp.status >= 500) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "HTTP " + std::to_string(resp.status) + " (execution status unknown)";
    return r;
  }
  if (resp.status >= 400) {
    if (parseApiError(resp.body, r.error)) {
      r.kind = RestReply::Kind::Rejected;
      r.text = "binance " + std::to_string(r.error.code) + ": " + r.error.msg;
    } else {
      r.kind = RestReply::Kind::Unknown;
      r.text = "HTTP " + std::to_string(resp.status) + " without a Binance error body";
    }
    return r;
  }
  r.kind = RestReply::Kind::Ok;
  r.body = resp.body;
  r.text = "ok";
  return r;
}

}  // namespace fixgw::binance
