// Configuration of the Alpaca trading API venue (US equities), read from the
// venue's config params (docs/alpaca.md lists them), and its API key pair,
// read from the environment or from files named in config — never from
// config itself. Paper or live trading is chosen by `environment`; live must
// be spelt out and its host named, so a config cannot trade live by default.
//
// Thread-safety: value types; functions are pure apart from reading the
// environment and the named files.
#pragma once

#include <cstdint>
#include <string>

#include "venue_adapters/registry.h"

namespace fixgw::alpaca {

// What a DAY order does when the market is closed (per GET /v2/clock).
enum class OutsideHours : uint8_t {
  Queue,     // send it as is: Alpaca queues it for the next open (its documented behaviour)
  Extended,  // limit DAY goes with extended_hours=true; other orders are queued by Alpaca
  Refuse,    // refuse it here, naming next_open
};

struct AlpacaConfig {
  bool live = false;               // environment: "paper" (default) | "live"
  std::string host = "127.0.0.1";  // the chosen environment's REST + /stream host
  int port = 443;
  std::string streamTarget = "/stream";
  // Market data: Alpaca's separate data stream (its own host); the path
  // names the feed ("/v2/iex" free, "/v2/sip" with a subscription).
  std::string dataHost;  // "" = host
  int dataPort = 0;      // 0 = port
  std::string dataTarget = "/v2/iex";
  std::string serverName;  // TLS name to verify and send as SNI; "" = the host
  std::string caFile;      // trusted CAs (PEM); "" = the system store
  std::string caPem;       // in-process only (tests, demos): trusted CA as PEM text
  std::string apiKeyEnv = "APCA_API_KEY_ID";
  std::string secretEnv = "APCA_API_SECRET_KEY";
  std::string apiKeyFile;
  std::string secretFile;
  int64_t connectTimeoutMs = 5'000;
  int64_t readTimeoutMs = 10'000;
  int64_t pingIdleMs = 30'000;
  int64_t pollIntervalMs = 2'000;  // REST polling while the stream is down
  int64_t reconnectMs = 1'000;
  int64_t clockRefreshSec = 60;  // GET /v2/clock
  int64_t assetsRefreshSec = 3'600;
  // Alpaca allows 200 requests a minute per account; we keep under our own
  // figure (a margin for other clients of the key) and follow its headers.
  int64_t maxRequestsPerMin = 180;
  int64_t retryAfterDefaultMs = 60'000;  // after a 429 without X-RateLimit-Reset
  // How long a call may wait locally for room in the minute before it is
  // refused (not sent, so not executed).
  int64_t maxQueueMs = 5'000;
  OutsideHours outsideHours = OutsideHours::Queue;
};

// Throws std::invalid_argument naming "<path>.params.<key>" on a bad value.
AlpacaConfig readAlpacaConfig(venues::ParamReader& p, const std::string& path);

struct Credentials {
  std::string keyId;
  std::string secret;
};
// From the files when named, else the environment variables. Throws
// std::invalid_argument naming the missing variable or unreadable file, never
// the value.
Credentials loadCredentials(const AlpacaConfig& c, const std::string& path);

}  // namespace fixgw::alpaca
