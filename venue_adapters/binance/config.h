// Configuration of the Binance spot venue, read from the venue's config
// params (docs/binance.md lists them), and its API credentials, read from
// the environment or from files named in config — never from config itself.
//
// Thread-safety: value types; functions are pure apart from reading the
// environment and the named files.
#pragma once

#include <cstdint>
#include <string>

#include "venue_adapters/registry.h"

namespace fixgw::binance {

struct BinanceConfig {
  // REST and user-data-stream endpoints. Defaults are loopback: a real
  // deployment names its hosts in config.
  std::string restHost = "127.0.0.1";
  int restPort = 443;
  std::string wsHost;      // "" = restHost
  int wsPort = 0;          // 0 = restPort
  std::string serverName;  // TLS name to verify and send as SNI; "" = the host
  std::string caFile;      // trusted CAs (PEM); "" = the system store
  std::string caPem;       // in-process only (tests, demos): trusted CA as PEM text
  // Credentials: environment variables by name, or files holding the value.
  std::string apiKeyEnv = "BINANCE_API_KEY";
  std::string secretEnv = "BINANCE_API_SECRET";
  std::string apiKeyFile;
  std::string secretFile;
  int64_t recvWindowMs = 5'000;
  int64_t connectTimeoutMs = 5'000;
  int64_t readTimeoutMs = 10'000;
  int64_t pingIdleMs = 30'000;
  int64_t listenKeyKeepaliveSec = 30 * 60;  // Binance: keep alive every 30 min
  int64_t filtersRefreshSec = 3'600;
  int64_t pollIntervalMs = 2'000;  // REST polling while the stream is down
  int64_t reconnectMs = 1'000;
  int64_t maxWeight1m = 6'000;  // stop sending before the venue's REQUEST_WEIGHT limit
  bool dayAsGtc = false;        // spot has no DAY: refuse it unless told to send GTC
};

// Throws std::invalid_argument naming "<path>.params.<key>" on a bad value.
BinanceConfig readBinanceConfig(venues::ParamReader& p, const std::string& path);

struct Credentials {
  std::string apiKey;
  std::string secret;
};
// From the files when named, else the environment variables. Throws
// std::invalid_argument naming the missing variable or unreadable file (and
// never the value).
Credentials loadCredentials(const BinanceConfig& c, const std::string& path);

}  // namespace fixgw::binance
