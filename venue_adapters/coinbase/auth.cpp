#include "venue_adapters/coinbase/auth.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <stdexcept>

namespace fixgw::coinbase {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using W = rapidjson::Writer<rapidjson::StringBuffer>;
void kv(W& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

bool isP256(EVP_PKEY* k) {
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) return false;
  char group[64] = {0};
  size_t len = 0;
  if (!EVP_PKEY_get_group_name(k, group, sizeof group, &len)) return false;
  std::string_view g(group, len);
  return g == "prime256v1" || g == "P-256";
}

// DER ECDSA-Sig-Value <-> raw r||s (32 bytes each).
std::string derToRaw(const unsigned char* der, size_t len) {
  const unsigned char* p = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  if (!sig) return "";
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

std::string rawToDer(std::string_view raw) {
  if (raw.size() != 64) return "";
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), len) : "";
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

Pkey readKey(const std::string& pem, bool isPrivate) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* k = isPrivate ? PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr)
                          : PEM_read_bio_PUBKEY(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  return Pkey(k);
}
}  // namespace

std::string base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t j) { return static_cast<unsigned char>(in[j]); };
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (in.size() - i == 1) {
    uint32_t v = b(i) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (in.size() - i == 2) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-'             ? 62
            : c == '_'             ? 63
                                   : -1;
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string jwtHeaderJson(std::string_view keyName, std::string_view nonce) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.StartObject();
  kv(w, "alg", "ES256");
  kv(w, "kid", keyName);
  kv(w, "nonce", nonce);
  kv(w, "typ", "JWT");
  w.EndObject();
  return sb.GetString();
}

std::string jwtClaimsJson(std::string_view keyName, int64_t nbfSec, int64_t expSec,
                          std::string_view uri) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.StartObject();
  kv(w, "sub", keyName);
  kv(w, "iss", "cdp");
  w.Key("nbf");
  w.Int64(nbfSec);
  w.Key("exp");
  w.Int64(expSec);
  if (!uri.empty()) kv(w, "uri", uri);
  w.EndObject();
  return sb.GetString();
}

std::string jwtUri(std::string_view method, std::string_view host, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string out(method);
  out.push_back(' ');
  out.append(host);
  out.append(path);
  return out;
}

std::string randomNonceHex() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

std::unique_ptr<Es256Signer> Es256Signer::fromPem(const std::string& pem, std::string& err) {
  Pkey k = readKey(pem, true);
  if (!k) {
    err = "not a PEM private key (expected -----BEGIN EC PRIVATE KEY-----)";
    return nullptr;
  }
  if (!isP256(k.get())) {
    err = "the private key is not an EC P-256 (prime256v1) key, which ES256 needs";
    return nullptr;
  }
  return std::unique_ptr<Es256Signer>(new Es256Signer(k.release()));
}

Es256Signer::~Es256Signer() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

std::string Es256Signer::signRaw(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string der;
  size_t len = 0;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(key_)) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1) {
    der.resize(len);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
      der.clear();
    der.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (der.empty()) throw std::runtime_error("ES256 signing failed");
  return derToRaw(reinterpret_cast<const unsigned char*>(der.data()), der.size());
}

std::string Es256Signer::publicKeyPem() const {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(b, static_cast<EVP_PKEY*>(key_));
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string out(p, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

std::string makeJwt(const Es256Signer& signer, std::string_view keyName, int64_t nowSec,
                    int64_t expirySec, std::string_view uri, std::string_view nonce) {
  std::string input = base64UrlEncode(jwtHeaderJson(keyName, nonce)) + "." +
                      base64UrlEncode(jwtClaimsJson(keyName, nowSec, nowSec + expirySec, uri));
  std::string sig = signer.signRaw(input);
  return input + "." + base64UrlEncode(sig);
}

bool verifyEs256(const std::string& publicKeyPem, std::string_view data, std::string_view raw64) {
  Pkey k = readKey(publicKeyPem, false);
  if (!k) return false;
  std::string der = rawToDer(raw64);
  if (der.empty()) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, k.get()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string verifyJwt(std::string_view token, const std::string& publicKeyPem,
                      const JwtExpectation& x) {
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return "malformed token: not header.claims.signature";
  auto header = base64UrlDecode(token.substr(0, d1));
  auto claims = base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64UrlDecode(token.substr(d2 + 1));
  if (!header || !claims || !sig) return "malformed token: bad base64url";
  rapidjson::Document h, c;
  h.Parse(header->c_str());
  c.Parse(claims->c_str());
  if (h.HasParseError() || !h.IsObject()) return "malformed token: header is not JSON";
  if (c.HasParseError() || !c.IsObject()) return "malformed token: claims are not JSON";
  auto str = [](const rapidjson::Value& o, const char* k) -> std::string {
    auto it = o.FindMember(k);
    return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  auto num = [](const rapidjson::Value& o, const char* k) -> std::optional<int64_t> {
    auto it = o.FindMember(k);
    if (it == o.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
    return it->value.GetInt64();
  };
  if (str(h, "alg") != "ES256") return "unsupported alg '" + str(h, "alg") + "'";
  if (str(h, "kid") != x.keyName) return "unknown key (kid)";
  if (str(h, "nonce").empty()) return "missing nonce";
  if (sig->size() != 64) return "signature is not 64 bytes (r||s)";
  if (!verifyEs256(publicKeyPem, token.substr(0, d2), *sig)) return "invalid signature";
  if (str(c, "sub") != x.keyName) return "sub does not name the key";
  if (str(c, "iss") != "cdp") return "iss is not cdp";
  auto nbf = num(c, "nbf"), exp = num(c, "exp");
  if (!nbf || !exp) return "missing nbf/exp";
  if (*exp <= x.nowSec) return "token expired";
  if (*nbf > x.nowSec + x.leewaySec) return "token not yet valid (nbf)";
  if (*exp - *nbf > x.maxLifetimeSec) return "token lifetime exceeds 120 s";
  const bool hasUri = c.HasMember("uri");
  if (x.uri.empty() && hasUri) return "uri claim on a WebSocket token";
  if (!x.uri.empty() && str(c, "uri") != x.uri)
    return "uri mismatch: token is for '" + str(c, "uri") + "', request is '" + x.uri + "'";
  return "";
}

std::string generateEcPrivateKeyPem() {
  Pkey k(EVP_EC_gen("P-256"));
  if (!k) throw std::runtime_error("EC key generation failed");
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(b, k.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string out(p, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

}  // namespace fixgw::coinbase
