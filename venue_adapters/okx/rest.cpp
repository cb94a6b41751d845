#include "venue_adapters/okx/rest.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "venue_adapters/okx/auth.h"

namespace fixgw::okx {

namespace {
constexpr int64_t kMs = 1'000'000;
}

OkxRest::OkxRest(const OkxConfig& c, Credentials cred, const Clock& clock)
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

OkxRest::~OkxRest() = default;

int64_t OkxRest::limitOf(const std::string& l) const {
  if (l == "place") return cfg_.placeLimit;
  if (l == "cancel") return cfg_.cancelLimit;
  if (l == "amend") return cfg_.amendLimit;
  if (l == "query") return cfg_.queryLimit;
  if (l == "pending") return cfg_.pendingLimit;
  if (l == "fills") return cfg_.fillsLimit;
  return 0;
}

std::string OkxRest::admit(const std::string& limit, const std::string& inst) {
  const int64_t max = limitOf(limit);
  if (max <= 0) return "";
  const std::string key = inst.empty() ? limit : limit + ":" + inst;
  const MonoNanos start = clock_.monoNow();
  for (;;) {
    const MonoNanos now = clock_.monoNow();
    {
      std::lock_guard lk(limMu_);
      Window& w = windows_[key];
      w.limit = max;
      while (!w.sent.empty() && w.sent.front() <= now - cfg_.windowMs * kMs) w.sent.pop_front();
      if (static_cast<int64_t>(w.sent.size()) < max) {
        w.sent.push_back(now);
        w.updatedAt = clock_.wallNow();
        return "";
      }
      // Waiting is the queue: calls leave in order as the window slides.
      const int64_t waitMs = (w.sent.front() + cfg_.windowMs * kMs - now) / kMs;
      if (interrupted_ || (now - start) / kMs + waitMs > cfg_.maxQueueMs)
        return "refused locally before OKX would answer 50011: " + key + " has had " +
               std::to_string(w.sent.size()) + " calls in " + std::to_string(cfg_.windowMs) +
               " ms (limit " + std::to_string(max) + ")";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::vector<VenueRateLimit> OkxRest::limits() const {
  std::lock_guard lk(limMu_);
  std::vector<VenueRateLimit> out;
  const MonoNanos now = clock_.monoNow();
  for (const auto& [k, w] : windows_) {
    VenueRateLimit l;
    l.name = k;
    l.limit = w.limit;
    l.windowMs = cfg_.windowMs;
    l.used = std::count_if(w.sent.begin(), w.sent.end(),
                           [&](MonoNanos t) { return t > now - cfg_.windowMs * kMs; });
    l.source = w.source;
    l.updatedAt = w.updatedAt;
    out.push_back(std::move(l));
  }
  return out;
}

void OkxRest::resyncClock() {
  RestReply r = send("GET", "/api/v5/public/time", "", false);
  int64_t ts = 0;
  if (r.ok() && parseTime(r.body, ts).empty()) {
    offsetMs_ = ts - clock_.wallNow() / kMs;
    ++resyncs_;
    spdlog::warn("okx: clock resynced from /api/v5/public/time, offset {} ms", offsetMs_);
  }
}

RestReply OkxRest::call(const std::string& method, const std::string& path,
                        const std::string& query, const std::string& body, const std::string& limit,
                        const std::string& inst, bool signedCall) {
  RestReply r;
  const MonoNanos now = clock_.monoNow();
  if (now < blockedUntil_) {
    r.kind = RestReply::Kind::Refused;
    r.text = "backing off after OKX 50011 (rate limit): not sending for another " +
             std::to_string((blockedUntil_ - now) / kMs) + " ms";
    return r;
  }
  if (auto why = admit(limit, inst); !why.empty()) {
    r.kind = RestReply::Kind::Refused;
    r.text = why;
    return r;
  }
  const std::string target = path + (query.empty() ? "" : "?" + query);
  r = send(method, target, body, signedCall);
  if (r.kind == RestReply::Kind::Rejected && r.code == "50102") {
    // Our clock and OKX's disagree: learn the offset and resend once; the
    // refused call did nothing.
    resyncClock();
    r = send(method, target, body, signedCall);
  }
  return r;
}

RestReply OkxRest::send(const std::string& method, const std::string& target,
                        const std::string& body, bool signedCall) {
  RestReply r;
  net::HttpRequest req;
  req.method = method;
  req.target = target;
  req.headers.emplace_back("User-Agent", "fixgw");
  if (signedCall) {
    const std::string ts = isoMillis(clock_.wallNow() + offsetMs_ * kMs);
    req.headers.emplace_back("OK-ACCESS-KEY", cred_.apiKey);
    req.headers.emplace_back("OK-ACCESS-SIGN", restSign(ts, method, target, body, cred_.secret));
    req.headers.emplace_back("OK-ACCESS-TIMESTAMP", ts);
    req.headers.emplace_back("OK-ACCESS-PASSPHRASE", cred_.passphrase);
  }
  if (cfg_.demo) req.headers.emplace_back("x-simulated-trading", "1");
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
  const bool readable = parseEnvelope(resp.body, r.env).empty();
  auto rateLimited = [&] {
    backoffMs_ = backoffMs_ == 0 ? cfg_.backoffMinMs : std::min(backoffMs_ * 2, cfg_.backoffMaxMs);
    // Jitter: 75%..125%, so many gateways do not retry in step.
    const int64_t jittered =
        backoffMs_ * 3 / 4 +
        static_cast<int64_t>(rng_() % static_cast<uint64_t>(backoffMs_ / 2 + 1));
    blockedUntil_ = clock_.monoNow() + jittered * kMs;
    r.kind = RestReply::Kind::RateLimited;
    r.code = "50011";
    r.text = "okx: 50011 " + (r.env.msg.empty() ? std::string("Too Many Requests") : r.env.msg) +
             " (all calls stopped for " + std::to_string(jittered) + " ms)";
    spdlog::warn("{}", r.text);
  };
  if (resp.status == 429 || (readable && classifyCode(r.env.code) == ErrorClass::RateLimited)) {
    rateLimited();
    return r;
  }
  if (resp.status >= 500) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "HTTP " + std::to_string(resp.status) + " (execution status unknown)";
    return r;
  }
  if (!readable) {
    r.kind = RestReply::Kind::Unknown;
    r.text =
        "HTTP " + std::to_string(resp.status) + ": unreadable answer (execution status unknown)";
    return r;
  }
  // code "0" with sCode "0" (or none): done. A failed order call has code
  // "1" (or "2" for a partial batch) and the reason in its entry's sCode.
  const bool entryFailed = !r.env.sCode.empty() && r.env.sCode != "0";
  r.code = entryFailed ? r.env.sCode : r.env.code;
  const std::string msg = entryFailed ? r.env.sMsg : r.env.msg;
  const ErrorClass c = classifyCode(r.code);
  if (c == ErrorClass::Ok) {
    backoffMs_ = 0;
    r.kind = RestReply::Kind::Ok;
    r.body = resp.body;
    r.text = "ok";
    return r;
  }
  if (c == ErrorClass::RateLimited) {
    rateLimited();
    return r;
  }
  r.kind = c == ErrorClass::Unknown ? RestReply::Kind::Unknown : RestReply::Kind::Rejected;
  r.body = resp.body;
  r.text = "okx: " + r.code + " " + msg;
  if (c == ErrorClass::Unknown) r.text += " (execution status unknown)";
  return r;
}

}  // namespace fixgw::okx
