// Binance request signing (SIGNED endpoints, HMAC-SHA256 keys): the
// signature is the hex HMAC-SHA256, keyed by the secret, of the total
// parameters (query string followed by the body), which carry `timestamp`
// (ms) and `recvWindow`. OpenSSL computes the HMAC.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fixgw::binance {

// Lower-case hex HMAC-SHA256 of data keyed by key.
std::string hmacSha256Hex(std::string_view key, std::string_view data);

// params ("symbol=BTCUSDT&side=BUY...", may be empty) with recvWindow and
// timestamp appended, then &signature=<hex>.
std::string signParams(std::string params, std::string_view secret, int64_t timestampMs,
                       int64_t recvWindowMs);

// Verifies a signed parameter string whose last parameter is signature=...
// (what the venue does; used by the emulator). Case-insensitive hex, as
// Binance accepts for HMAC.
bool verifySignedParams(std::string_view totalParams, std::string_view secret);

// application/x-www-form-urlencoded value encoding (RFC 3986 unreserved kept).
std::string urlEncode(std::string_view s);

}  // namespace fixgw::binance
