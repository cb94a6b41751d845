#include "venue_adapters/kraken/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "venue_adapters/kraken/auth.h"

namespace fixgw::kraken {

KrakenConfig readKrakenConfig(venues::ParamReader& p, const std::string& path) {
  KrakenConfig c;
  const std::string at = path + ".params.";
  auto port = [&](const std::string& key, int dflt) {
    int64_t v = p.integer(key, dflt);
    if (v < 0 || v > 65535)
      throw std::invalid_argument(at + key + ": " + std::to_string(v) + " is not a TCP port");
    return static_cast<int>(v);
  };
  auto positive = [&](const std::string& key, int64_t dflt) {
    int64_t v = p.integer(key, dflt);
    if (v <= 0) throw std::invalid_argument(at + key + ": must be > 0, got " + std::to_string(v));
    return v;
  };
  c.restHost = p.str("rest_host").value_or(c.restHost);
  c.restPort = port("rest_port", c.restPort);
  c.wsAuthHost = p.str("ws_auth_host").value_or(c.wsAuthHost);
  c.wsAuthPort = port("ws_auth_port", c.wsAuthPort);
  c.wsPublicHost = p.str("ws_public_host").value_or(c.wsPublicHost);
  c.wsPublicPort = port("ws_public_port", c.wsPublicPort);
  c.wsTarget = p.str("ws_target").value_or(c.wsTarget);
  c.serverName = p.str("tls_server_name").value_or(c.serverName);
  c.caFile = p.str("ca_file").value_or(c.caFile);
  c.apiKeyEnv = p.str("api_key_env").value_or(c.apiKeyEnv);
  c.secretEnv = p.str("secret_env").value_or(c.secretEnv);
  c.apiKeyFile = p.str("api_key_file").value_or(c.apiKeyFile);
  c.secretFile = p.str("secret_file").value_or(c.secretFile);
  c.nonceFile = p.str("nonce_file").value_or(c.nonceFile);
  c.nonceReserve = positive("nonce_reserve", c.nonceReserve);
  c.connectTimeoutMs = positive("connect_timeout_ms", c.connectTimeoutMs);
  c.readTimeoutMs = positive("read_timeout_ms", c.readTimeoutMs);
  c.pingIdleMs = positive("ping_idle_ms", c.pingIdleMs);
  c.filtersRefreshSec = positive("filters_refresh_sec", c.filtersRefreshSec);
  c.pollIntervalMs = positive("poll_interval_ms", c.pollIntervalMs);
  c.reconnectMs = positive("reconnect_ms", c.reconnectMs);
  c.tokenRefreshSec = positive("token_refresh_sec", c.tokenRefreshSec);
  if (c.tokenRefreshSec >= 15 * 60)
    throw std::invalid_argument(at + "token_refresh_sec: a token not used within 15 min expires");
  c.tier = p.str("tier").value_or(c.tier);
  if (c.tier == "starter") {
    c.counterMax = 15, c.counterDecayMilliPerSec = 330;
    c.tradingMax = 60, c.tradingDecayMilliPerSec = 1'000;
  } else if (c.tier == "intermediate") {
    c.counterMax = 20, c.counterDecayMilliPerSec = 500;
    c.tradingMax = 125, c.tradingDecayMilliPerSec = 2'340;
  } else if (c.tier == "pro") {
    c.counterMax = 20, c.counterDecayMilliPerSec = 1'000;
    c.tradingMax = 180, c.tradingDecayMilliPerSec = 3'750;
  } else {
    throw std::invalid_argument(at + "tier: '" + c.tier +
                                "' is not one of starter, intermediate, pro");
  }
  c.counterMax = positive("counter_max", c.counterMax);
  c.counterDecayMilliPerSec = positive("counter_decay_milli_per_sec", c.counterDecayMilliPerSec);
  c.tradingMax = positive("trading_max", c.tradingMax);
  c.tradingDecayMilliPerSec = positive("trading_decay_milli_per_sec", c.tradingDecayMilliPerSec);
  if (c.counterMax < 4)
    throw std::invalid_argument(at +
                                "counter_max: must be >= 4 (one call of headroom is kept, "
                                "and a poll round costs 3)");
  if (c.tradingMax < 2)
    throw std::invalid_argument(at + "trading_max: must be >= 2 (one call of headroom is kept)");
  c.maxQueueMs = p.integer("max_queue_ms", c.maxQueueMs);
  if (c.maxQueueMs < 0) throw std::invalid_argument(at + "max_queue_ms: must be >= 0");
  c.backoffMinMs = positive("backoff_min_ms", c.backoffMinMs);
  c.backoffMaxMs = positive("backoff_max_ms", c.backoffMaxMs);
  if (c.backoffMaxMs < c.backoffMinMs)
    throw std::invalid_argument(at + "backoff_max_ms: below backoff_min_ms");
  c.dayAsGtc = p.boolean("day_as_gtc", c.dayAsGtc);
  if (c.restHost.empty()) throw std::invalid_argument(at + "rest_host: empty");
  if (c.nonceFile.empty())
    throw std::invalid_argument(
        at + "nonce_file: required (the nonce high-water mark must survive restarts)");
  if (!c.caFile.empty() && !std::ifstream(c.caFile))
    throw std::invalid_argument(at + "ca_file: cannot read '" + c.caFile + "'");
  if (c.wsAuthHost.empty()) c.wsAuthHost = c.restHost;
  if (c.wsAuthPort == 0) c.wsAuthPort = c.restPort;
  if (c.wsPublicHost.empty()) c.wsPublicHost = c.restHost;
  if (c.wsPublicPort == 0) c.wsPublicPort = c.restPort;
  return c;
}

namespace {
std::string trimmed(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  return s;
}

std::string fromFileOrEnv(const std::string& file, const std::string& env, const std::string& at,
                          const char* fileKey, const char* envKey) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw std::invalid_argument(at + fileKey + ": cannot read '" + file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string v = trimmed(ss.str());
    if (v.empty()) throw std::invalid_argument(at + fileKey + ": '" + file + "' is empty");
    return v;
  }
  const char* v = std::getenv(env.c_str());
  if (!v || !*v)
    throw std::invalid_argument(at + envKey + ": environment variable " + env + " is not set");
  return trimmed(v);
}
}  // namespace

Credentials loadCredentials(const KrakenConfig& c, const std::string& path) {
  const std::string at = path + ".params.";
  Credentials out;
  out.apiKey = fromFileOrEnv(c.apiKeyFile, c.apiKeyEnv, at, "api_key_file", "api_key_env");
  out.secret = fromFileOrEnv(c.secretFile, c.secretEnv, at, "secret_file", "secret_env");
  if (!base64Decode(out.secret))
    throw std::invalid_argument(at + (c.secretFile.empty() ? "secret_env" : "secret_file") +
                                ": the API secret is not base64 (Kraken issues it base64)");
  return out;
}

}  // namespace fixgw::kraken
