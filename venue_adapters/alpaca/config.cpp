#include "venue_adapters/alpaca/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fixgw::alpaca {

AlpacaConfig readAlpacaConfig(venues::ParamReader& p, const std::string& path) {
  AlpacaConfig c;
  const std::string at = path + ".params.";
  auto positive = [&](const std::string& key, int64_t dflt) {
    int64_t v = p.integer(key, dflt);
    if (v <= 0) throw std::invalid_argument(at + key + ": must be > 0, got " + std::to_string(v));
    return v;
  };
  const std::string env = p.str("environment").value_or("paper");
  if (env != "paper" && env != "live")
    throw std::invalid_argument(at + "environment: '" + env + "' is not one of paper, live");
  c.live = env == "live";
  // Each environment has its own host key, so switching to live needs both
  // `environment: live` and a live host: a paper config never reaches live.
  const std::string paperHost = p.str("paper_host").value_or("127.0.0.1");
  const std::string liveHost = p.str("live_host").value_or("");
  c.host = c.live ? liveHost : paperHost;
  if (c.host.empty())
    throw std::invalid_argument(at + (c.live ? "live_host" : "paper_host") +
                                ": required for environment " + env);
  int64_t port = p.integer("port", c.port);
  if (port <= 0 || port > 65535)
    throw std::invalid_argument(at + "port: " + std::to_string(port) + " is not a TCP port");
  c.port = static_cast<int>(port);
  c.streamTarget = p.str("stream_target").value_or(c.streamTarget);
  c.dataHost = p.str("data_host").value_or(c.host);
  const int64_t dataPort = p.integer("data_port", c.port);
  if (dataPort <= 0 || dataPort > 65535)
    throw std::invalid_argument(at + "data_port: " + std::to_string(dataPort) +
                                " is not a TCP port");
  c.dataPort = static_cast<int>(dataPort);
  c.dataTarget = p.str("data_target").value_or(c.dataTarget);
  c.serverName = p.str("tls_server_name").value_or(c.serverName);
  c.caFile = p.str("ca_file").value_or(c.caFile);
  c.apiKeyEnv = p.str("api_key_env").value_or(c.apiKeyEnv);
  c.secretEnv = p.str("secret_env").value_or(c.secretEnv);
  c.apiKeyFile = p.str("api_key_file").value_or(c.apiKeyFile);
  c.secretFile = p.str("secret_file").value_or(c.secretFile);
  c.connectTimeoutMs = positive("connect_timeout_ms", c.connectTimeoutMs);
  c.readTimeoutMs = positive("read_timeout_ms", c.readTimeoutMs);
  c.pingIdleMs = positive("ping_idle_ms", c.pingIdleMs);
  c.pollIntervalMs = positive("poll_interval_ms", c.pollIntervalMs);
  c.reconnectMs = positive("reconnect_ms", c.reconnectMs);
  c.clockRefreshSec = positive("clock_refresh_sec", c.clockRefreshSec);
  c.assetsRefreshSec = positive("assets_refresh_sec", c.assetsRefreshSec);
  c.maxRequestsPerMin = positive("max_requests_per_min", c.maxRequestsPerMin);
  if (c.maxRequestsPerMin > 200)
    throw std::invalid_argument(at + "max_requests_per_min: Alpaca allows 200 a minute, got " +
                                std::to_string(c.maxRequestsPerMin));
  c.retryAfterDefaultMs = positive("retry_after_default_ms", c.retryAfterDefaultMs);
  c.maxQueueMs = p.integer("max_queue_ms", c.maxQueueMs);
  if (c.maxQueueMs < 0) throw std::invalid_argument(at + "max_queue_ms: must be >= 0");
  const std::string oh = p.str("outside_hours").value_or("queue");
  if (oh == "queue")
    c.outsideHours = OutsideHours::Queue;
  else if (oh == "extended")
    c.outsideHours = OutsideHours::Extended;
  else if (oh == "refuse")
    c.outsideHours = OutsideHours::Refuse;
  else
    throw std::invalid_argument(at + "outside_hours: '" + oh +
                                "' is not one of queue, extended, refuse");
  if (!c.caFile.empty() && !std::ifstream(c.caFile))
    throw std::invalid_argument(at + "ca_file: cannot read '" + c.caFile + "'");
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

Credentials loadCredentials(const AlpacaConfig& c, const std::string& path) {
  const std::string at = path + ".params.";
  Credentials out;
  out.keyId = fromFileOrEnv(c.apiKeyFile, c.apiKeyEnv, at, "api_key_file", "api_key_env");
  out.secret = fromFileOrEnv(c.secretFile, c.secretEnv, at, "secret_file", "secret_env");
  // A header value must not carry line breaks or spaces (header injection).
  for (const std::string* v : {&out.keyId, &out.secret})
    for (char ch : *v)
      if (static_cast<unsigned char>(ch) <= ' ')
        throw std::invalid_argument(at + (v == &out.keyId ? "api key" : "secret") +
                                    ": contains whitespace or control characters");
  return out;
}

}  // namespace fixgw::alpaca
