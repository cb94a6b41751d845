#include "venue_adapters/okx/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fixgw::okx {

OkxConfig readOkxConfig(venues::ParamReader& p, const std::string& path) {
  OkxConfig c;
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
  c.wsPrivateTarget = p.str("ws_private_target").value_or(c.wsPrivateTarget);
  c.wsPublicTarget = p.str("ws_public_target").value_or(c.wsPublicTarget);
  c.serverName = p.str("tls_server_name").value_or(c.serverName);
  c.caFile = p.str("ca_file").value_or(c.caFile);
  c.demo = p.boolean("demo", c.demo);
  c.apiKeyEnv = p.str("api_key_env").value_or(c.apiKeyEnv);
  c.secretEnv = p.str("secret_env").value_or(c.secretEnv);
  c.passphraseEnv = p.str("passphrase_env").value_or(c.passphraseEnv);
  c.apiKeyFile = p.str("api_key_file").value_or(c.apiKeyFile);
  c.secretFile = p.str("secret_file").value_or(c.secretFile);
  c.passphraseFile = p.str("passphrase_file").value_or(c.passphraseFile);
  c.connectTimeoutMs = positive("connect_timeout_ms", c.connectTimeoutMs);
  c.readTimeoutMs = positive("read_timeout_ms", c.readTimeoutMs);
  c.pingIntervalMs = positive("ping_interval_ms", c.pingIntervalMs);
  if (c.pingIntervalMs >= 30'000)
    throw std::invalid_argument(at + "ping_interval_ms: OKX drops a connection idle for 30 s");
  c.filtersRefreshSec = positive("filters_refresh_sec", c.filtersRefreshSec);
  c.pollIntervalMs = positive("poll_interval_ms", c.pollIntervalMs);
  c.reconnectMs = positive("reconnect_ms", c.reconnectMs);
  c.placeLimit = positive("place_limit", c.placeLimit);
  c.cancelLimit = positive("cancel_limit", c.cancelLimit);
  c.amendLimit = positive("amend_limit", c.amendLimit);
  c.queryLimit = positive("query_limit", c.queryLimit);
  c.pendingLimit = positive("pending_limit", c.pendingLimit);
  c.fillsLimit = positive("fills_limit", c.fillsLimit);
  c.windowMs = positive("rate_window_ms", c.windowMs);
  c.maxQueueMs = p.integer("max_queue_ms", c.maxQueueMs);
  if (c.maxQueueMs < 0) throw std::invalid_argument(at + "max_queue_ms: must be >= 0");
  c.backoffMinMs = positive("backoff_min_ms", c.backoffMinMs);
  c.backoffMaxMs = positive("backoff_max_ms", c.backoffMaxMs);
  if (c.backoffMaxMs < c.backoffMinMs)
    throw std::invalid_argument(at + "backoff_max_ms: below backoff_min_ms");
  c.dayAsGtc = p.boolean("day_as_gtc", c.dayAsGtc);
  if (c.restHost.empty()) throw std::invalid_argument(at + "rest_host: empty");
  if (!c.caFile.empty() && !std::ifstream(c.caFile))
    throw std::invalid_argument(at + "ca_file: cannot read '" + c.caFile + "'");
  if (c.wsHost.empty()) c.wsHost = c.restHost;
  if (c.wsPort == 0) c.wsPort = c.restPort;
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
                          const std::string& what) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw std::invalid_argument(at + what + "_file: cannot read '" + file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string v = trimmed(ss.str());
    if (v.empty()) throw std::invalid_argument(at + what + "_file: '" + file + "' is empty");
    return v;
  }
  const char* v = std::getenv(env.c_str());
  if (!v || !*v)
    throw std::invalid_argument(at + what + "_env: environment variable " + env + " is not set");
  return trimmed(v);
}
}  // namespace

Credentials loadCredentials(const OkxConfig& c, const std::string& path) {
  const std::string at = path + ".params.";
  Credentials out;
  out.apiKey = fromFileOrEnv(c.apiKeyFile, c.apiKeyEnv, at, "api_key");
  out.secret = fromFileOrEnv(c.secretFile, c.secretEnv, at, "secret");
  out.passphrase = fromFileOrEnv(c.passphraseFile, c.passphraseEnv, at, "passphrase");
  return out;
}

}  // namespace fixgw::okx
