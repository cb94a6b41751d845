#include "venue_adapters/bybit/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fixgw::bybit {

BybitConfig readBybitConfig(venues::ParamReader& p, const std::string& path) {
  BybitConfig c;
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
  c.wsHost = p.str("ws_host").value_or(c.wsHost);
  c.wsPort = port("ws_port", c.wsPort);
  c.wsTarget = p.str("ws_target").value_or(c.wsTarget);
  c.wsPublicHost = p.str("ws_public_host").value_or(c.wsPublicHost);
  c.wsPublicPort = port("ws_public_port", c.wsPublicPort);
  c.bookDepth = p.integer("book_depth", c.bookDepth);
  if (c.bookDepth != 1 && c.bookDepth != 50 && c.bookDepth != 200 && c.bookDepth != 500)
    throw std::invalid_argument(at + "book_depth: " + std::to_string(c.bookDepth) +
                                " is not one of 1, 50, 200, 500");
  c.serverName = p.str("tls_server_name").value_or(c.serverName);
  c.caFile = p.str("ca_file").value_or(c.caFile);
  c.apiKeyEnv = p.str("api_key_env").value_or(c.apiKeyEnv);
  c.secretEnv = p.str("secret_env").value_or(c.secretEnv);
  c.apiKeyFile = p.str("api_key_file").value_or(c.apiKeyFile);
  c.secretFile = p.str("secret_file").value_or(c.secretFile);
  c.recvWindowMs = positive("recv_window_ms", c.recvWindowMs);
  if (c.recvWindowMs > 60'000)
    throw std::invalid_argument(at + "recv_window_ms: Bybit takes at most 60000");
  c.wsAuthExpiryMs = positive("ws_auth_expiry_ms", c.wsAuthExpiryMs);
  c.connectTimeoutMs = positive("connect_timeout_ms", c.connectTimeoutMs);
  c.readTimeoutMs = positive("read_timeout_ms", c.readTimeoutMs);
  c.pingIntervalMs = positive("ping_interval_ms", c.pingIntervalMs);
  c.filtersRefreshSec = positive("filters_refresh_sec", c.filtersRefreshSec);
  c.pollIntervalMs = positive("poll_interval_ms", c.pollIntervalMs);
  c.reconnectMs = positive("reconnect_ms", c.reconnectMs);
  c.maxOrdersPerSec = positive("max_orders_per_sec", c.maxOrdersPerSec);
  c.maxQueriesPerSec = positive("max_queries_per_sec", c.maxQueriesPerSec);
  c.rateLimitBackoffMs = positive("rate_limit_backoff_ms", c.rateLimitBackoffMs);
  c.clockSync = p.boolean("clock_sync", c.clockSync);
  c.dayAsGtc = p.boolean("day_as_gtc", c.dayAsGtc);
  if (c.restHost.empty()) throw std::invalid_argument(at + "rest_host: empty");
  if (!c.caFile.empty() && !std::ifstream(c.caFile))
    throw std::invalid_argument(at + "ca_file: cannot read '" + c.caFile + "'");
  if (c.wsHost.empty()) c.wsHost = c.restHost;
  if (c.wsPort == 0) c.wsPort = c.restPort;
  if (c.wsPublicHost.empty()) c.wsPublicHost = c.wsHost;
  if (c.wsPublicPort == 0) c.wsPublicPort = c.wsPort;
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

Credentials loadCredentials(const BybitConfig& c, const std::string& path) {
  const std::string at = path + ".params.";
  Credentials out;
  out.apiKey = fromFileOrEnv(c.apiKeyFile, c.apiKeyEnv, at, "api_key_file", "api_key_env");
  out.secret = fromFileOrEnv(c.secretFile, c.secretEnv, at, "secret_file", "secret_env");
  return out;
}

}  // namespace fixgw::bybit
