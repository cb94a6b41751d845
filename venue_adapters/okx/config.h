// Configuration of the OKX v5 venue (spot and USDT-margined perpetual swaps),
// read from the venue's config params (docs/okx.md lists them), and its API
// credentials (key, secret, passphrase), read from the environment or from
// files named in config — never from config itself.
//
// Thread-safety: value types; functions are pure apart from reading the
// environment and the named files.
#pragma once

#include <cstdint>
#include <string>

#include "venue_adapters/registry.h"

namespace fixgw::okx {

struct OkxConfig {
  // REST and private WebSocket endpoints. Defaults are loopback: a real
  // deployment names its hosts in config.
  std::string restHost = "127.0.0.1";
  int restPort = 443;
  std::string wsHost;  // "" = restHost
  int wsPort = 0;      // 0 = restPort
  std::string wsPrivateTarget = "/ws/v5/private";
  std::string wsPublicTarget = "/ws/v5/public";  // market data (books5, trades)
  std::string serverName;  // TLS name to verify and send as SNI; "" = the host
  std::string caFile;      // trusted CAs (PEM); "" = the system store
  std::string caPem;       // in-process only (tests, demos): trusted CA as PEM text
  // Demo trading: every request carries `x-simulated-trading: 1`.
  bool demo = false;
  // Credentials: environment variables by name, or files holding the value.
  std::string apiKeyEnv = "OKX_API_KEY";
  std::string secretEnv = "OKX_API_SECRET";
  std::string passphraseEnv = "OKX_API_PASSPHRASE";
  std::string apiKeyFile, secretFile, passphraseFile;
  int64_t connectTimeoutMs = 5'000;
  int64_t readTimeoutMs = 10'000;
  // OKX closes a private connection idle for 30 s: a text "ping" goes out
  // after this much silence, and no "pong" within it again drops the stream.
  int64_t pingIntervalMs = 20'000;
  int64_t filtersRefreshSec = 3'600;
  int64_t pollIntervalMs = 2'000;  // REST polling while the stream is down
  int64_t reconnectMs = 1'000;
  // Local limits, per endpoint (and per instrument for the trade calls), as
  // OKX publishes them: 60 place / 60 cancel / 60 amend per 2 s per
  // instrument, 60 order queries and 20 pending-order and fill queries per 2 s.
  int64_t placeLimit = 60, cancelLimit = 60, amendLimit = 60;
  int64_t queryLimit = 60, pendingLimit = 20, fillsLimit = 20;
  int64_t windowMs = 2'000;
  // How long a call may wait locally for room in its window before it is
  // refused here (never sent to be answered 50011).
  int64_t maxQueueMs = 2'000;
  // After 50011 / HTTP 429: no call for a backoff doubling from min to max.
  int64_t backoffMinMs = 500;
  int64_t backoffMaxMs = 30'000;
  bool dayAsGtc = false;  // OKX has no DAY: refuse it unless told to send GTC
};

// Throws std::invalid_argument naming "<path>.params.<key>" on a bad value.
OkxConfig readOkxConfig(venues::ParamReader& p, const std::string& path);

struct Credentials {
  std::string apiKey;
  std::string secret;
  std::string passphrase;
};
// From the files when named, else the environment variables. Throws
// std::invalid_argument naming the missing variable or unreadable file (and
// never the value).
Credentials loadCredentials(const OkxConfig& c, const std::string& path);

}  // namespace fixgw::okx
