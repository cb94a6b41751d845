// Configuration of the Coinbase Advanced Trade venue, read from the venue's
// config params (docs/coinbase.md lists them), and its API credentials (the
// API key name and its EC P-256 private key, PEM), read from the environment
// or from files named in config — never from config itself.
//
// Thread-safety: value types; functions are pure apart from reading the
// environment and the named files.
#pragma once

#include <cstdint>
#include <string>

#include "venue_adapters/registry.h"

namespace fixgw::coinbase {

struct CoinbaseConfig {
  // REST endpoint. Defaults are loopback: a real deployment names its hosts
  // (and the sandbox its own) in config.
  std::string restHost = "127.0.0.1";
  int restPort = 443;
  // The host written into the JWT `uri` claim ("POST <uri_host>/api/v3/...");
  // Coinbase checks it against the host it serves. "" = tls_server_name, else rest_host.
  std::string uriHost;
  // User-order-data WebSocket (user + heartbeats channels) and market-data
  // WebSocket (ticker, level2, market_trades). "" / 0 = the REST host/port.
  std::string wsHost;
  int wsPort = 0;
  std::string mdWsHost;
  int mdWsPort = 0;
  std::string serverName;  // TLS name to verify and send as SNI; "" = the host
  std::string caFile;      // trusted CAs (PEM); "" = the system store
  std::string caPem;       // in-process only (tests, demos): trusted CA as PEM text
  // Credentials: environment variables by name, or files holding the value.
  std::string keyNameEnv = "COINBASE_API_KEY_NAME";
  std::string privateKeyEnv = "COINBASE_API_PRIVATE_KEY";
  std::string keyNameFile;
  std::string privateKeyFile;
  int64_t jwtExpirySec = 120;  // Coinbase: a JWT lives 2 minutes at most
  int64_t connectTimeoutMs = 5'000;
  int64_t readTimeoutMs = 10'000;
  int64_t pingIdleMs = 30'000;
  int64_t filtersRefreshSec = 3'600;
  int64_t pollIntervalMs = 2'000;  // REST polling while the user stream is down
  int64_t reconnectMs = 1'000;
  // Coinbase publishes private (per key) 30/s and public (per IP) 10/s. We
  // count a request when it leaves and the venue when it arrives, so network
  // jitter can bunch a full local window into one of the venue's: the
  // defaults keep a sixth of headroom so a burst queues here instead of
  // drawing a 429 (seen in the venue bench at 30 against 30). Requests over
  // these wait in a local queue.
  int64_t maxPrivatePerSec = 25;
  int64_t maxPublicPerSec = 8;
  // 429 without Retry-After: stop sending for this long.
  int64_t retryAfterDefaultMs = 1'000;
  // Idempotent calls only (GETs, cancels): retries on a transport error or
  // 5xx, with exponential backoff from backoffBaseMs plus jitter.
  int64_t maxRetries = 3;
  int64_t backoffBaseMs = 50;
  bool dayAsGtc = false;  // spot has no DAY: refuse it unless told to send GTC
  // Measure Coinbase's clock (GET /api/v3/brokerage/time) at start and after a
  // 401, and date JWTs by it: a JWT lives 120 s, so local clock skew breaks auth.
  bool clockSync = true;
};

// Throws std::invalid_argument naming "<path>.params.<key>" on a bad value.
CoinbaseConfig readCoinbaseConfig(venues::ParamReader& p, const std::string& path);

struct Credentials {
  std::string keyName;        // "organizations/{org_id}/apiKeys/{key_id}"
  std::string privateKeyPem;  // "-----BEGIN EC PRIVATE KEY-----..."
};
// From the files when named, else the environment variables. Throws
// std::invalid_argument naming the missing variable or unreadable file (and
// never the value); a private key that is not an EC P-256 PEM is an error too.
Credentials loadCredentials(const CoinbaseConfig& c, const std::string& path);

}  // namespace fixgw::coinbase
