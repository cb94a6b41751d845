// Bybit v5 request signing (HMAC keys, "system-generated API keys").
//
// REST: X-BAPI-SIGN = hex(HMAC-SHA256(secret, timestamp + apiKey + recvWindow
// + payload)), payload = the query string for GET (as sent, unsorted) or the
// raw JSON body for POST. Private WebSocket: the auth op's signature is
// hex(HMAC-SHA256(secret, "GET/realtime" + expires)), expires in ms.
// OpenSSL computes the MACs.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fixgw::bybit {

std::string hmacSha256Hex(std::string_view key, std::string_view msg);

std::string restSign(std::string_view timestampMs, std::string_view apiKey,
                     std::string_view recvWindowMs, std::string_view payload,
                     std::string_view secret);
std::string wsAuthSign(int64_t expiresMs, std::string_view secret);

// What the venue does (used by the emulator): recompute, compare in constant time.
bool verifyRestSign(std::string_view timestampMs, std::string_view apiKey,
                    std::string_view recvWindowMs, std::string_view payload,
                    std::string_view secret, std::string_view given);
bool verifyWsAuthSign(int64_t expiresMs, std::string_view secret, std::string_view given);

}  // namespace fixgw::bybit
