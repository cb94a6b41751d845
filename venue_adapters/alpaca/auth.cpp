#include "venue_adapters/alpaca/auth.h"

#include <openssl/crypto.h>

namespace fixgw::alpaca {

namespace {
std::string jsonEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> authHeaders(const Credentials& c) {
  return {{kKeyHeader, c.keyId}, {kSecretHeader, c.secret}};
}

std::string streamAuthMessage(const Credentials& c) {
  return R"({"action":"auth","key":")" + jsonEscape(c.keyId) + R"(","secret":")" +
         jsonEscape(c.secret) + R"("})";
}

bool constantTimeEqual(const std::string& a, const std::string& b) {
  // Length is not secret; the content comparison must not leak a prefix.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string verifyAuthHeaders(const std::string& keyId, const std::string& secret,
                              const std::string& expectKeyId, const std::string& expectSecret) {
  // Evaluate both before deciding, so timing does not tell which one failed.
  const bool k = constantTimeEqual(keyId, expectKeyId);
  const bool s = constantTimeEqual(secret, expectSecret);
  if (keyId.empty() || secret.empty() || !k || !s) return "request is not authorized";
  return "";
}

std::string mask(const std::string& keyId) {
  return keyId.size() <= 4 ? std::string("****") : keyId.substr(0, 4) + "****";
}

}  // namespace fixgw::alpaca
