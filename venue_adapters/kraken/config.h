// Configuration of the Kraken spot venue, read from the venue's config params
// (docs/kraken.md lists them), and its API credentials, read from the
// environment or from files named in config — never from config itself.
//
// Thread-safety: value types; functions are pure apart from reading the
// environment and the named files.
#pragma once

#include <cstdint>
#include <string>

#include "venue_adapters/registry.h"

namespace fixgw::kraken {

struct KrakenConfig {
  // REST, private (executions) and public (market data) WebSocket endpoints.
  // Defaults are loopback: a real deployment names its hosts in config.
  std::string restHost = "127.0.0.1";
  int restPort = 443;
  std::string wsAuthHost;  // "" = restHost
  int wsAuthPort = 0;      // 0 = restPort
  std::string wsPublicHost;
  int wsPublicPort = 0;
  std::string wsTarget = "/v2";
  std::string serverName;  // TLS name to verify and send as SNI; "" = the host
  std::string caFile;      // trusted CAs (PEM); "" = the system store
  std::string caPem;       // in-process only (tests, demos): trusted CA as PEM text
  // Credentials: environment variables by name, or files holding the value.
  std::string apiKeyEnv = "KRAKEN_API_KEY";
  std::string secretEnv = "KRAKEN_API_SECRET";
  std::string apiKeyFile;
  std::string secretFile;
  // The nonce high-water mark survives restarts in this file (required).
  std::string nonceFile;
  int64_t nonceReserve = 1'000;  // nonces handed out per durable write
  int64_t connectTimeoutMs = 5'000;
  int64_t readTimeoutMs = 10'000;
  int64_t pingIdleMs = 30'000;
  int64_t filtersRefreshSec = 3'600;
  int64_t pollIntervalMs = 2'000;  // REST polling while the stream is down
  int64_t reconnectMs = 1'000;
  int64_t tokenRefreshSec = 600;  // a WebSocket token must be used within 15 min
  // Kraken's REST call counter (per API key): the tier's maximum and decay.
  // Starter: 15 and 0.33/s; Intermediate: 20 and 0.5/s; Pro: 20 and 1/s.
  std::string tier = "starter";
  int64_t counterMax = 15;
  int64_t counterDecayMilliPerSec = 330;  // decay per second, in thousandths
  // Kraken's trading counter (per pair) for AddOrder/AmendOrder/CancelOrder.
  // Starter: 60 and 1/s; Intermediate: 125 and 2.34/s; Pro: 180 and 3.75/s.
  int64_t tradingMax = 60;
  int64_t tradingDecayMilliPerSec = 1'000;
  // How long a call may wait locally for the counter to decay before it is
  // refused (never sent to be answered EAPI:Rate limit exceeded).
  int64_t maxQueueMs = 5'000;
  // After EAPI:Rate limit exceeded: stop all calls, backoff doubling from
  // here up to backoffMaxMs, with jitter.
  int64_t backoffMinMs = 1'000;
  int64_t backoffMaxMs = 60'000;
  bool dayAsGtc = false;  // spot has no DAY: refuse it unless told to send GTC
};

// Throws std::invalid_argument naming "<path>.params.<key>" on a bad value.
KrakenConfig readKrakenConfig(venues::ParamReader& p, const std::string& path);

struct Credentials {
  std::string apiKey;
  std::string secret;  // base64, as Kraken issues it
};
// From the files when named, else the environment variables. Throws
// std::invalid_argument naming the missing variable or unreadable file (and
// never the value), or a secret that is not base64.
Credentials loadCredentials(const KrakenConfig& c, const std::string& path);

}  // namespace fixgw::kraken
