#include "venue_adapters/coinbase/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "venue_adapters/coinbase/auth.h"

namespace fixgw::coinbase {

CoinbaseConfig readCoinbaseConfig(venues::ParamReader& p, const std::string& path) {
  CoinbaseConfig c;
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
  c.uriHost = p.str("uri_host").value_or(c.uriHost);
  c.wsHost = p.str("ws_host").value_or(c.wsHost);
  c.wsPort = port("ws_port", c.wsPort);
  c.mdWsHost = p.str("md_ws_host").value_or(c.mdWsHost);
  c.mdWsPort = port("md_ws_port", c.mdWsPort);
  c.serverName = p.str("tls_server_name").value_or(c.serverName);
  c.caFile = p.str("ca_file").value_or(c.caFile);
  c.keyNameEnv = p.str("key_name_env").value_or(c.keyNameEnv);
  c.privateKeyEnv = p.str("private_key_env").value_or(c.privateKeyEnv);
  c.keyNameFile = p.str("key_name_file").value_or(c.keyNameFile);
  c.privateKeyFile = p.str("private_key_file").value_or(c.privateKeyFile);
  c.jwtExpirySec = positive("jwt_expiry_sec", c.jwtExpirySec);
  if (c.jwtExpirySec > 120)
    throw std::invalid_argument(at + "jwt_expiry_sec: Coinbase accepts at most 120");
  c.connectTimeoutMs = positive("connect_timeout_ms", c.connectTimeoutMs);
  c.readTimeoutMs = positive("read_timeout_ms", c.readTimeoutMs);
  c.pingIdleMs = positive("ping_idle_ms", c.pingIdleMs);
  c.filtersRefreshSec = positive("filters_refresh_sec", c.filtersRefreshSec);
  c.pollIntervalMs = positive("poll_interval_ms", c.pollIntervalMs);
  c.reconnectMs = positive("reconnect_ms", c.reconnectMs);
  c.maxPrivatePerSec = positive("max_private_per_sec", c.maxPrivatePerSec);
  c.maxPublicPerSec = positive("max_public_per_sec", c.maxPublicPerSec);
  c.retryAfterDefaultMs = positive("retry_after_default_ms", c.retryAfterDefaultMs);
  c.maxRetries = p.integer("max_retries", c.maxRetries);
  if (c.maxRetries < 0 || c.maxRetries > 10)
    throw std::invalid_argument(at + "max_retries: must be 0..10, got " +
                                std::to_string(c.maxRetries));
  c.backoffBaseMs = positive("backoff_base_ms", c.backoffBaseMs);
  c.dayAsGtc = p.boolean("day_as_gtc", c.dayAsGtc);
  c.clockSync = p.boolean("clock_sync", c.clockSync);
  if (c.restHost.empty()) throw std::invalid_argument(at + "rest_host: empty");
  if (!c.caFile.empty() && !std::ifstream(c.caFile))
    throw std::invalid_argument(at + "ca_file: cannot read '" + c.caFile + "'");
  if (c.wsHost.empty()) c.wsHost = c.restHost;
  if (c.wsPort == 0) c.wsPort = c.restPort;
  if (c.mdWsHost.empty()) c.mdWsHost = c.wsHost;
  if (c.mdWsPort == 0) c.mdWsPort = c.wsPort;
  if (c.uriHost.empty()) c.uriHost = c.serverName.empty() ? c.restHost : c.serverName;
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

// A key pasted into an environment variable often carries "\n" escapes.
std::string unescapeNewlines(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
      out.push_back('\n');
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}
}  // namespace

Credentials loadCredentials(const CoinbaseConfig& c, const std::string& path) {
  const std::string at = path + ".params.";
  Credentials out;
  out.keyName = fromFileOrEnv(c.keyNameFile, c.keyNameEnv, at, "key_name_file", "key_name_env");
  out.privateKeyPem = unescapeNewlines(fromFileOrEnv(c.privateKeyFile, c.privateKeyEnv, at,
                                                     "private_key_file", "private_key_env")) +
                      "\n";
  std::string err;
  if (!Es256Signer::fromPem(out.privateKeyPem, err))
    throw std::invalid_argument(
        at + (c.privateKeyFile.empty() ? "private_key_env" : "private_key_file") + ": " + err);
  return out;
}

}  // namespace fixgw::coinbase
