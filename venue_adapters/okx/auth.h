// OKX v5 request signing, as OKX documents it:
//
//   OK-ACCESS-SIGN = base64(HMAC-SHA256(key = secret,
//                      msg = timestamp + METHOD + requestPath(+?query) + body))
//
// with OK-ACCESS-TIMESTAMP the same ISO 8601 UTC time with milliseconds
// ("2020-12-08T09:08:57.715Z"). The private WebSocket's login signs
// unix-seconds + "GET" + "/users/self/verify" the same way. The secret is
// used as its text bytes (OKX does not base64-decode it). The emulator uses
// the verify functions (constant-time comparison).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace fixgw::okx {

std::string base64Encode(std::string_view bytes);

// base64(HMAC-SHA256(secret, prehash)).
std::string hmacSha256B64(std::string_view secret, std::string_view prehash);

// OK-ACCESS-SIGN for one REST request. requestPath includes "?query" for GETs.
std::string restSign(std::string_view timestamp, std::string_view method,
                     std::string_view requestPath, std::string_view body, std::string_view secret);
// The WebSocket login's sign: timestamp is unix seconds as text.
std::string wsLoginSign(std::string_view unixSeconds, std::string_view secret);

// What the venue does: recomputes and compares in constant time.
bool verifyRestSign(std::string_view timestamp, std::string_view method,
                    std::string_view requestPath, std::string_view body, std::string_view secret,
                    std::string_view given);
bool verifyWsLoginSign(std::string_view unixSeconds, std::string_view secret,
                       std::string_view given);

// "2020-12-08T09:08:57.715Z" (milliseconds, UTC), as OK-ACCESS-TIMESTAMP.
std::string isoMillis(WallNanos t);
// The reverse; nullopt unless exactly that shape.
std::optional<WallNanos> parseIsoMillis(std::string_view s);

}  // namespace fixgw::okx
