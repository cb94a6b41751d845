#include "venue_adapters/bybit/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace fixgw::bybit {

std::string hmacSha256Hex(std::string_view key, std::string_view msg) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[mac[i] >> 4]);
    out.push_back(hex[mac[i] & 0xF]);
  }
  return out;
}

std::string restSign(std::string_view timestampMs, std::string_view apiKey,
                     std::string_view recvWindowMs, std::string_view payload,
                     std::string_view secret) {
  std::string msg;
  msg.reserve(timestampMs.size() + apiKey.size() + recvWindowMs.size() + payload.size());
  msg.append(timestampMs).append(apiKey).append(recvWindowMs).append(payload);
  return hmacSha256Hex(secret, msg);
}

std::string wsAuthSign(int64_t expiresMs, std::string_view secret) {
  return hmacSha256Hex(secret, "GET/realtime" + std::to_string(expiresMs));
}

namespace {
bool sameText(const std::string& a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

bool verifyRestSign(std::string_view timestampMs, std::string_view apiKey,
                    std::string_view recvWindowMs, std::string_view payload,
                    std::string_view secret, std::string_view given) {
  return sameText(restSign(timestampMs, apiKey, recvWindowMs, payload, secret), given);
}

bool verifyWsAuthSign(int64_t expiresMs, std::string_view secret, std::string_view given) {
  return sameText(wsAuthSign(expiresMs, secret), given);
}

}  // namespace fixgw::bybit
