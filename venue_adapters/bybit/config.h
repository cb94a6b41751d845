// Configuration of the Bybit v5 venue (spot and USDT linear perpetuals), read
// from the venue's config params (docs/bybit.md lists them), and its API
// credentials, read from the environment or from files named in config —
// never from config itself.
//
// Thread-safety: value types; functions are pure apart from reading the
// environment and the named files.
#pragma once

#include <cstdint>
#include <string>

#include "venue_adapters/registry.h"

namespace fixgw::bybit {

struct BybitConfig {
  // REST and private WebSocket endpoints. Defaults are loopback: a real
  // deployment names its hosts (testnet or mainnet) in config.
  std::string restHost = "127.0.0.1";
  int restPort = 443;
  std::string wsHost;  // "" = restHost
  int wsPort = 0;      // 0 = restPort
  std::string wsTarget = "/v5/private";
  // Public (market data) WebSocket: paths /v5/public/spot and /v5/public/linear.
  std::string wsPublicHost;  // "" = wsHost
  int wsPublicPort = 0;      // 0 = wsPort
  int64_t bookDepth = 50;    // orderbook.{depth}: 1, 50 (spot, linear), 200, 500 (linear)
  std::string serverName;    // TLS name to verify and send as SNI; "" = the host
  std::string caFile;        // trusted CAs (PEM); "" = the system store
  std::string caPem;         // in-process only (tests, demos): trusted CA as PEM text
  std::string apiKeyEnv = "BYBIT_API_KEY";
  std::string secretEnv = "BYBIT_API_SECRET";
  std::string apiKeyFile;
  std::string secretFile;
  int64_t recvWindowMs = 5'000;     // X-BAPI-RECV-WINDOW (Bybit's default)
  int64_t wsAuthExpiryMs = 10'000;  // the auth op's `expires`, ahead of now
  int64_t connectTimeoutMs = 5'000;
  int64_t readTimeoutMs = 10'000;
  int64_t pingIntervalMs = 20'000;  // Bybit: send {"op":"ping"} every 20 s
  int64_t filtersRefreshSec = 3'600;
  int64_t pollIntervalMs = 2'000;  // REST polling while the stream is down
  int64_t reconnectMs = 1'000;
  // Local limits per rolling second, under Bybit's per-UID defaults (order
  // create/amend/cancel 10/s for linear, 20/s for spot; queries 50/s), so a
  // burst waits here instead of earning retCode 10006.
  int64_t maxOrdersPerSec = 8;
  int64_t maxQueriesPerSec = 20;
  // After retCode 10006 / HTTP 403 without X-Bapi-Limit-Reset-Timestamp.
  int64_t rateLimitBackoffMs = 1'000;
  // Measure Bybit's clock (GET /v5/market/time) at start and after retCode
  // 10002, and stamp requests by it.
  bool clockSync = true;
  bool dayAsGtc = false;  // Bybit has no DAY: refuse it unless told to send GTC
};

// Throws std::invalid_argument naming "<path>.params.<key>" on a bad value.
BybitConfig readBybitConfig(venues::ParamReader& p, const std::string& path);

struct Credentials {
  std::string apiKey;
  std::string secret;
};
// From the files when named, else the environment variables. Throws
// std::invalid_argument naming the missing variable or unreadable file (and
// never the value).
Credentials loadCredentials(const BybitConfig& c, const std::string& path);

}  // namespace fixgw::bybit
