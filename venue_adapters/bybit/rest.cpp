#include "venue_adapters/bybit/rest.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <thread>

#include "venue_adapters/bybit/auth.h"

namespace fixgw::bybit {

namespace {
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;
int64_t toInt(const std::string& s, int64_t dflt) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : dflt;
}
}  // namespace

BybitRest::BybitRest(const BybitConfig& c, Credentials cred, const Clock& clock)
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

BybitRest::~BybitRest() = default;

int64_t BybitRest::venueNowMs() const { return clock_.wallNow() / kMs + offsetMs_.load(); }

std::string BybitRest::syncClock() {
  const int64_t before = clock_.wallNow() / kMs;
  RestReply r = publicGet("/v5/market/time", "");
  const int64_t after = clock_.wallNow() / kMs;
  if (!r.ok()) return "server time: " + r.text;
  int64_t serverMs = 0;
  if (auto e = parseServerTime(r.body, serverMs); !e.empty()) return "server time: " + e;
  // The server read its clock about halfway through the round trip.
  offsetMs_ = serverMs - (before + after) / 2;
  if (offsetMs_ > 1000 || offsetMs_ < -1000)
    spdlog::warn("bybit: Bybit's clock is {} ms ahead of ours; requests are stamped by Bybit's",
                 offsetMs_.load());
  return "";
}

RestReply BybitRest::publicGet(const std::string& path, const std::string& query) {
  return call("GET", path, query, "", false, false);
}
RestReply BybitRest::privateGet(const std::string& path, const std::string& query) {
  return call("GET", path, query, "", true, false);
}
RestReply BybitRest::privatePost(const std::string& path, const std::string& body, bool orderCall) {
  return call("POST", path, "", body, true, orderCall);
}

// "" once the call may go (after waiting within max_queue_ms), else why not.
std::string BybitRest::admit(const std::string& path, bool orderCall) {
  const MonoNanos deadline = clock_.monoNow() + 5'000 * kMs;
  for (;;) {
    const MonoNanos now = clock_.monoNow();
    std::string why;
    {
      std::lock_guard lk(mu_);
      MonoNanos until = 0;
      for (const auto& key : {std::string(), path}) {
        auto b = blockedUntil_.find(key);
        if (b != blockedUntil_.end() && b->second > until) until = b->second;
      }
      auto v = venueLimits_.find(path);
      if (v != venueLimits_.end() && v->second.remaining <= 0 && v->second.resetWallMs > 0) {
        const int64_t leftMs = v->second.resetWallMs - venueNowMs();
        if (leftMs > 0) until = std::max(until, now + leftMs * kMs);
      }
      auto& w = orderCall ? orderSent_ : querySent_;
      while (!w.empty() && w.front() <= now - kSec) w.pop_front();
      const int64_t limit = orderCall ? cfg_.maxOrdersPerSec : cfg_.maxQueriesPerSec;
      if (until > now) {
        why = "rate limited by Bybit on " + path + " for another " +
              std::to_string((until - now + kMs - 1) / kMs) + " ms";
      } else if (static_cast<int64_t>(w.size()) >= limit) {
        why = std::string(orderCall ? "order" : "query") + " rate at the local limit of " +
              std::to_string(limit) + "/s";
      } else {
        w.push_back(now);
        return "";
      }
    }
    if (interrupted_ || now >= deadline) return why + ": not sent";
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

RestReply BybitRest::call(const std::string& method, const std::string& path,
                          const std::string& query, const std::string& body, bool isPrivate,
                          bool orderCall) {
  if (isPrivate) {
    if (auto why = admit(path, orderCall); !why.empty()) {
      RestReply r;
      r.kind = RestReply::Kind::Refused;
      r.text = why;
      return r;
    }
  }
  RestReply r = once(method, path, query, body, isPrivate);
  if (isPrivate && r.retCode == 10002 && cfg_.clockSync) {
    // Refused for its timestamp: nothing happened, so measure and send again once.
    if (auto e = syncClock(); !e.empty()) spdlog::warn("bybit: {}", e);
    r = once(method, path, query, body, isPrivate);
  }
  return r;
}

void BybitRest::learnLimits(const std::string& path, const net::HttpResponse& res) {
  const std::string limit = res.header("x-bapi-limit");
  const std::string status = res.header("x-bapi-limit-status");
  if (limit.empty() || status.empty()) return;
  std::lock_guard lk(mu_);
  VenueLimit& v = venueLimits_[path];
  v.limit = toInt(limit, 0);
  v.remaining = toInt(status, 0);
  v.resetWallMs = toInt(res.header("x-bapi-limit-reset-timestamp"), 0);
  v.updatedAt = clock_.wallNow();
}

RestReply BybitRest::once(const std::string& method, const std::string& path,
                          const std::string& query, const std::string& body, bool isPrivate) {
  RestReply r;
  net::HttpRequest req;
  req.method = method;
  req.target = query.empty() ? path : path + "?" + query;
  if (isPrivate) {
    const std::string ts = std::to_string(venueNowMs());
    const std::string rw = std::to_string(cfg_.recvWindowMs);
    req.headers.emplace_back("X-BAPI-API-KEY", cred_.apiKey);
    req.headers.emplace_back("X-BAPI-TIMESTAMP", ts);
    req.headers.emplace_back("X-BAPI-RECV-WINDOW", rw);
    req.headers.emplace_back("X-BAPI-SIGN", restSign(ts, cred_.apiKey, rw,
                                                     method == "GET" ? query : body, cred_.secret));
  }
  if (!body.empty()) {
    req.body = body;
    req.contentType = "application/json";
  }
  net::HttpResult res = http_->send(req);
  if (!res.ok) {
    r.text = "transport: " + res.error + " (execution status unknown)";
    return r;
  }
  const auto& resp = res.response;
  r.status = resp.status;
  learnLimits(path, resp);
  auto block = [&](const std::string& key) {
    const int64_t reset = toInt(resp.header("x-bapi-limit-reset-timestamp"), 0);
    int64_t waitMs = reset > 0 ? reset - venueNowMs() : cfg_.rateLimitBackoffMs;
    if (waitMs <= 0) waitMs = cfg_.rateLimitBackoffMs;
    std::lock_guard lk(mu_);
    blockedUntil_[key] = clock_.monoNow() + waitMs * kMs;
    ++rateLimited_;
    return waitMs;
  };
  if (resp.status == 403) {
    // Bybit's IP rate limit ("access too frequent"): stop everything.
    const int64_t ms = block("");
    r.kind = RestReply::Kind::RateLimited;
    r.text = "rate limited by Bybit (HTTP 403), not sending for " + std::to_string(ms) + " ms";
    spdlog::warn("bybit: {}", r.text);
    return r;
  }
  if (resp.status >= 500) {
    r.text = "HTTP " + std::to_string(resp.status) + " (execution status unknown)";
    return r;
  }
  Envelope env;
  if (auto e = parseEnvelope(resp.body, env); !e.empty()) {
    r.text = "HTTP " + std::to_string(resp.status) + ", unreadable answer: " + e +
             " (execution status unknown)";
    return r;
  }
  r.retCode = env.retCode;
  if (env.retCode == 0 && resp.status == 200) {
    r.kind = RestReply::Kind::Ok;
    r.body = resp.body;
    r.text = "ok";
    return r;
  }
  // Bybit echoes the signed string (with the API key) in 10004's retMsg:
  // the key never reaches an event text or a log.
  std::string msg = env.retMsg;
  for (const std::string* secret : {&cred_.apiKey, &cred_.secret})
    for (size_t at; !secret->empty() && (at = msg.find(*secret)) != std::string::npos;)
      msg.replace(at, secret->size(), "<redacted>");
  r.text = "bybit retCode " + std::to_string(env.retCode) + ": " + msg;
  switch (classifyRetCode(env.retCode)) {
    case ErrorClass::RateLimited: {
      const int64_t ms = block(path);
      r.kind = RestReply::Kind::RateLimited;
      r.text += " (not sending to " + path + " for " + std::to_string(ms) + " ms)";
      spdlog::warn("bybit: {}", r.text);
      break;
    }
    case ErrorClass::Unknown:
      r.kind = RestReply::Kind::Unknown;
      r.text += " (execution status unknown)";
      break;
    default:
      r.kind = RestReply::Kind::Rejected;
  }
  return r;
}

std::vector<VenueRateLimit> BybitRest::rateLimits() const {
  std::lock_guard lk(mu_);
  std::vector<VenueRateLimit> out;
  for (const auto& [path, v] : venueLimits_) {
    VenueRateLimit l;
    l.name = path;
    l.limit = v.limit;
    l.used = v.limit - v.remaining;
    l.windowMs = 1000;
    l.source = "venue";
    l.updatedAt = v.updatedAt;
    out.push_back(std::move(l));
  }
  const MonoNanos now = clock_.monoNow();
  auto local = [&](const char* name, const std::deque<MonoNanos>& w, int64_t limit) {
    VenueRateLimit l;
    l.name = name;
    l.limit = limit;
    for (MonoNanos t : w) l.used += t > now - kSec ? 1 : 0;
    l.windowMs = 1000;
    l.source = "local";
    l.updatedAt = clock_.wallNow();
    out.push_back(std::move(l));
  };
  local("orders_1s", orderSent_, cfg_.maxOrdersPerSec);
  local("queries_1s", querySent_, cfg_.maxQueriesPerSec);
  return out;
}

}  // namespace fixgw::bybit
