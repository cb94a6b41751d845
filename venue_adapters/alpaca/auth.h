// Alpaca authentication: no request signing — every REST call carries the
// key pair in the APCA-API-KEY-ID / APCA-API-SECRET-KEY headers, and the
// /stream WebSocket authenticates with {"action":"auth","key":..,"secret":..}.
// The venue-side checks (constant-time) are here too, for the emulator.
// Secrets never reach logs: mask() is what may be printed of a key id.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "venue_adapters/alpaca/config.h"

namespace fixgw::alpaca {

inline constexpr const char* kKeyHeader = "APCA-API-KEY-ID";
inline constexpr const char* kSecretHeader = "APCA-API-SECRET-KEY";

std::vector<std::pair<std::string, std::string>> authHeaders(const Credentials& c);
// The stream's auth message (JSON-escaped).
std::string streamAuthMessage(const Credentials& c);
// "" when the headers (lower-cased names) carry exactly the expected pair,
// else Alpaca's reason ("request is not authorized").
std::string verifyAuthHeaders(const std::string& keyId, const std::string& secret,
                              const std::string& expectKeyId, const std::string& expectSecret);
bool constantTimeEqual(const std::string& a, const std::string& b);
// "PK12…" — the first 4 characters of a key id, for logs.
std::string mask(const std::string& keyId);

}  // namespace fixgw::alpaca
