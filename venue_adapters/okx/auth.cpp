#include "venue_adapters/okx/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <ctime>

namespace fixgw::okx {

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string hmacSha256B64(std::string_view secret, std::string_view prehash) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(prehash.data()), prehash.size(), mac, &len);
  return base64Encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string restSign(std::string_view timestamp, std::string_view method,
                     std::string_view requestPath, std::string_view body, std::string_view secret) {
  std::string pre;
  pre.reserve(timestamp.size() + method.size() + requestPath.size() + body.size());
  pre.append(timestamp).append(method).append(requestPath).append(body);
  return hmacSha256B64(secret, pre);
}

std::string wsLoginSign(std::string_view unixSeconds, std::string_view secret) {
  return restSign(unixSeconds, "GET", "/users/self/verify", "", secret);
}

namespace {
bool sameText(const std::string& a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

bool verifyRestSign(std::string_view timestamp, std::string_view method,
                    std::string_view requestPath, std::string_view body, std::string_view secret,
                    std::string_view given) {
  return sameText(restSign(timestamp, method, requestPath, body, secret), given);
}

bool verifyWsLoginSign(std::string_view unixSeconds, std::string_view secret,
                       std::string_view given) {
  return sameText(wsLoginSign(unixSeconds, secret), given);
}

std::string isoMillis(WallNanos t) {
  const time_t secs = static_cast<time_t>(t / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((t / 1'000'000) % 1000));
  return buf;
}

std::optional<WallNanos> parseIsoMillis(std::string_view s) {
  // 2020-12-08T09:08:57.715Z
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[23] != 'Z')
    return std::nullopt;
  auto num = [&](size_t at, size_t n, int& out) {
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se, ms;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, se) || !num(20, 3, ms))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  const int64_t secs = static_cast<int64_t>(timegm(&tm));
  return secs * 1'000'000'000 + int64_t{ms} * 1'000'000;
}

}  // namespace fixgw::okx
