#include "venue_adapters/kraken/rest.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "venue_adapters/kraken/parse.h"

namespace fixgw::kraken {

namespace {
constexpr int64_t kMs = 1'000'000;

bool tradeHistoryCall(const std::string& m) {
  return m == "TradesHistory" || m == "QueryTrades" || m == "Ledgers" || m == "QueryLedgers";
}
bool orderCall(const std::string& m) {
  return m == "AddOrder" || m == "AmendOrder" || m == "EditOrder" || m == "CancelOrder";
}
}  // namespace

bool RestReply::hasError(std::string_view e) const {
  return std::find(errors.begin(), errors.end(), e) != errors.end();
}

KrakenRest::KrakenRest(const KrakenConfig& c, Credentials cred, const Clock& clock)
    : cfg_(c), cred_(std::move(cred)), clock_(clock), nonce_(c.nonceFile, clock, c.nonceReserve) {
  net::TlsOptions o;
  o.host = c.restHost;
  o.port = static_cast<uint16_t>(c.restPort);
  o.serverName = c.serverName;
  o.caFile = c.caFile;
  o.caPem = c.caPem;
  o.connectTimeoutMs = c.connectTimeoutMs;
  o.readTimeoutMs = c.readTimeoutMs;
  http_ = std::make_unique<net::HttpsClient>(o);
  counterAt_ = clock_.monoNow();
}

KrakenRest::~KrakenRest() = default;

double KrakenRest::counter() {
  const MonoNanos now = clock_.monoNow();
  std::lock_guard lk(countersMu_);
  const double decay = cfg_.counterDecayMilliPerSec / 1000.0;
  return std::max(0.0, counter_ - decay * static_cast<double>(now - counterAt_) / 1e9);
}

std::string KrakenRest::admit(double& counter, MonoNanos& at, WallNanos& wall, double max,
                              double decayPerSec, double cost, const char* what) {
  const MonoNanos start = clock_.monoNow();
  for (;;) {
    const MonoNanos now = clock_.monoNow();
    std::unique_lock lk(countersMu_);
    counter = std::max(0.0, counter - decayPerSec * static_cast<double>(now - at) / 1e9);
    at = now;
    // One call of headroom: our counter and Kraken's are not read at the
    // same instant (the request's travel time differs call to call), so
    // filling ours exactly to the maximum could still pass Kraken's.
    if (counter + cost <= max - 1 + 1e-9) {
      counter += cost;
      wall = clock_.wallNow();
      return "";
    }
    const double counterNow = counter;
    lk.unlock();  // never held across the wait
    // Waiting is the queue: calls leave in order once the counter decays.
    const double waitSec = (counterNow + cost - (max - 1)) / decayPerSec;
    const int64_t waited = (now - start) / kMs;
    if (interrupted_ || waited + static_cast<int64_t>(waitSec * 1000) > cfg_.maxQueueMs) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s %.2f + %.0f would pass the %s maximum %.0f", what,
                    counterNow, cost, cfg_.tier.c_str(), max);
      return std::string(
                 "refused locally before Kraken would answer EAPI:Rate limit "
                 "exceeded: ") +
             buf;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::vector<VenueRateLimit> KrakenRest::rateLimits() const {
  const MonoNanos now = clock_.monoNow();
  // A decayed counter rounds up: 2.4 calls' worth leaves room for 12.6, not 13.
  auto used = [now](double v, MonoNanos at, double decayPerSec) {
    const double d = std::max(0.0, v - decayPerSec * static_cast<double>(now - at) / 1e9);
    return static_cast<int64_t>(std::ceil(d - 1e-9));
  };
  std::vector<VenueRateLimit> out;
  std::lock_guard lk(countersMu_);
  VenueRateLimit c;
  c.name = "call_counter";
  c.limit = cfg_.counterMax;
  c.used = used(counter_, counterAt_, cfg_.counterDecayMilliPerSec / 1000.0);
  c.source = "local";
  c.updatedAt = counterWall_;
  out.push_back(std::move(c));
  for (const auto& [pair, pc] : trading_) {
    VenueRateLimit t;
    t.name = "trading_counter_" + (pair.empty() ? std::string("unknown_pair") : pair);
    t.limit = cfg_.tradingMax;
    t.used = used(pc.value, pc.at, cfg_.tradingDecayMilliPerSec / 1000.0);
    t.source = "local";
    t.updatedAt = pc.wall;
    out.push_back(std::move(t));
  }
  return out;
}

RestReply KrakenRest::publicGet(const std::string& method, const std::string& query) {
  RestReply r;
  if (clock_.monoNow() < blockedUntil_) {
    r.kind = RestReply::Kind::Refused;
    r.text = "backing off after EAPI:Rate limit exceeded";
    return r;
  }
  const std::string target = "/0/public/" + method + (query.empty() ? "" : "?" + query);
  return send("GET", target, "", {});
}

RestReply KrakenRest::privatePost(const std::string& method, const std::string& params,
                                  const std::string& pair) {
  RestReply r;
  const MonoNanos now = clock_.monoNow();
  if (now < blockedUntil_) {
    r.kind = RestReply::Kind::Refused;
    r.text = "backing off after EAPI:Rate limit exceeded: not sending for another " +
             std::to_string((blockedUntil_ - now) / kMs) + " ms";
    return r;
  }
  std::string why;
  if (orderCall(method)) {
    const double max = static_cast<double>(cfg_.tradingMax);
    const double decay = cfg_.tradingDecayMilliPerSec / 1000.0;
    PairCounter* pc = nullptr;
    {
      std::lock_guard lk(countersMu_);
      pc = &trading_[pair];  // std::map: the element stays put
      if (pc->at == 0) pc->at = now;
    }
    why = admit(pc->value, pc->at, pc->wall, max, decay, 1, "trading counter");
  } else {
    why = admit(counter_, counterAt_, counterWall_, static_cast<double>(cfg_.counterMax),
                cfg_.counterDecayMilliPerSec / 1000.0, tradeHistoryCall(method) ? 2 : 1,
                "call counter");
  }
  if (!why.empty()) {
    r.kind = RestReply::Kind::Refused;
    r.text = why;
    return r;
  }
  const std::string path = "/0/private/" + method;
  for (int attempt = 0;; ++attempt) {
    std::string nonce;
    try {
      nonce = std::to_string(nonce_.next());
    } catch (const std::exception& e) {
      r.kind = RestReply::Kind::Refused;
      r.text = std::string("not sent: ") + e.what();
      return r;
    }
    std::string body = "nonce=" + nonce + (params.empty() ? "" : "&" + params);
    auto sig = apiSign(path, nonce, body, cred_.secret);
    if (!sig) {
      r.kind = RestReply::Kind::Refused;
      r.text = "not sent: the API secret is not base64";
      return r;
    }
    r = send("POST", path, body, {{"API-Key", cred_.apiKey}, {"API-Sign", *sig}});
    if (!r.hasError("EAPI:Invalid nonce") || attempt >= 2) return r;
    // The venue has seen a higher nonce for this key: jump past it (10 s,
    // 100 s of microseconds) and resend; the refused call did nothing.
    ++nonceResyncs_;
    nonce_.jump(attempt == 0 ? 10'000'000 : 100'000'000);
    spdlog::warn("kraken: EAPI:Invalid nonce on {}; nonce resynced, resending", method);
  }
}

RestReply KrakenRest::send(const std::string& method, const std::string& target,
                           const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  RestReply r;
  net::HttpRequest req;
  req.method = method;
  req.target = target;
  req.headers = headers;
  req.headers.emplace_back("User-Agent", "fixgw");
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
  auto rateLimited = [&] {
    backoffMs_ = backoffMs_ == 0 ? cfg_.backoffMinMs : std::min(backoffMs_ * 2, cfg_.backoffMaxMs);
    // Jitter: 75%..125% of the backoff, so many gateways do not retry in step.
    const int64_t jittered =
        backoffMs_ * 3 / 4 +
        static_cast<int64_t>(rng_() % static_cast<uint64_t>(backoffMs_ / 2 + 1));
    blockedUntil_ = clock_.monoNow() + jittered * kMs;
    {
      std::lock_guard lk(countersMu_);
      counter_ = static_cast<double>(cfg_.counterMax);  // the venue says we are full
      counterAt_ = clock_.monoNow();
      counterWall_ = clock_.wallNow();
    }
    r.kind = RestReply::Kind::RateLimited;
    r.text = "kraken: " + (r.errors.empty() ? "HTTP 429" : r.errors.front()) +
             " (all calls stopped for " + std::to_string(jittered) + " ms)";
    spdlog::warn("{}", r.text);
  };
  if (resp.status == 429) {
    rateLimited();
    return r;
  }
  if (resp.status >= 500) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "HTTP " + std::to_string(resp.status) + " (execution status unknown)";
    return r;
  }
  if (auto e = parseErrors(resp.body, r.errors); !e.empty()) {
    r.kind = RestReply::Kind::Unknown;
    r.text = "HTTP " + std::to_string(resp.status) + ": unreadable answer (" + e + ")";
    return r;
  }
  if (r.errors.empty()) {
    if (resp.status >= 400) {
      r.kind = RestReply::Kind::Unknown;
      r.text = "HTTP " + std::to_string(resp.status) + " without a Kraken error";
      return r;
    }
    backoffMs_ = 0;
    r.kind = RestReply::Kind::Ok;
    r.body = resp.body;
    r.text = "ok";
    return r;
  }
  std::string all;
  ErrorClass worst = ErrorClass::Rejected;
  for (const auto& e : r.errors) {
    all += (all.empty() ? "" : "; ") + e;
    ErrorClass c = classifyError(e);
    if (c == ErrorClass::RateLimited ||
        (c == ErrorClass::Unknown && worst != ErrorClass::RateLimited))
      worst = c;
  }
  if (worst == ErrorClass::RateLimited) {
    rateLimited();
    return r;
  }
  r.kind = worst == ErrorClass::Unknown ? RestReply::Kind::Unknown : RestReply::Kind::Rejected;
  r.text = "kraken: " + all;
  return r;
}

}  // namespace fixgw::kraken
