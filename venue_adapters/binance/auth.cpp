#include "venue_adapters/binance/auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

namespace fixgw::binance {

std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  static const char* hex = "0123456789abcdef";
  std::string s;
  s.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    s.push_back(hex[out[i] >> 4]);
    s.push_back(hex[out[i] & 0xF]);
  }
  return s;
}

std::string signParams(std::string params, std::string_view secret, int64_t timestampMs,
                       int64_t recvWindowMs) {
  if (!params.empty()) params += '&';
  params += "recvWindow=" + std::to_string(recvWindowMs);
  params += "&timestamp=" + std::to_string(timestampMs);
  std::string sig = hmacSha256Hex(secret, params);
  params += "&signature=";
  params += sig;
  return params;
}

bool verifySignedParams(std::string_view total, std::string_view secret) {
  const std::string_view key = "signature=";
  size_t pos = total.rfind(key);
  if (pos == std::string_view::npos || (pos != 0 && total[pos - 1] != '&')) return false;
  std::string_view given = total.substr(pos + key.size());
  std::string_view signedPart = total.substr(0, pos == 0 ? 0 : pos - 1);
  std::string want = hmacSha256Hex(secret, signedPart);
  if (given.size() != want.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < want.size(); ++i)
    diff |= static_cast<unsigned>(std::tolower(static_cast<unsigned char>(given[i])) ^ want[i]);
  return diff == 0;
}

std::string urlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace fixgw::binance
