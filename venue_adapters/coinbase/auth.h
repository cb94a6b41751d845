// Coinbase Advanced Trade API-key authentication: every REST request carries
// "Authorization: Bearer <JWT>", a JWT signed with ES256 (ECDSA P-256 over
// SHA-256, signature as raw r||s, RFC 7518 §3.4) by the key's EC private key.
//   header: {"alg":"ES256","kid":<key name>,"nonce":<random hex>,"typ":"JWT"}
//   claims: {"sub":<key name>,"iss":"cdp","nbf":<now s>,"exp":<now+120 s>,
//            "uri":"<METHOD> <host><path>"}    (no "uri" for WebSocket JWTs)
// OpenSSL does the EC work; nothing else is used.
//
// ECDSA signatures are randomised, so a signed token is never a fixed
// string: tests check the header/claims JSON and the base64url encoding
// exactly, and that the signature verifies with the public key.
//
// Thread-safety: pure functions; an Es256Signer is immutable after creation
// and may sign from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fixgw::coinbase {

// RFC 4648 §5 base64url without padding (as JWTs use it).
std::string base64UrlEncode(std::string_view bytes);
// nullopt on a character outside the alphabet or an impossible length.
std::optional<std::string> base64UrlDecode(std::string_view text);

std::string jwtHeaderJson(std::string_view keyName, std::string_view nonce);
// uri empty: the claim is left out (WebSocket JWTs).
std::string jwtClaimsJson(std::string_view keyName, int64_t nbfSec, int64_t expSec,
                          std::string_view uri);
// "POST api.venue.example/api/v3/brokerage/orders": method, host and the
// path without its query string, as Coinbase's SDKs form it.
std::string jwtUri(std::string_view method, std::string_view host, std::string_view target);

// 32 random bytes as 64 lower-case hex characters (OpenSSL RAND_bytes).
std::string randomNonceHex();

class Es256Signer {
 public:
  // From an EC P-256 private key PEM (SEC1 "EC PRIVATE KEY" or PKCS#8).
  // Null with err set (never quoting the key) when it is not one.
  static std::unique_ptr<Es256Signer> fromPem(const std::string& pem, std::string& err);
  ~Es256Signer();
  Es256Signer(const Es256Signer&) = delete;
  Es256Signer& operator=(const Es256Signer&) = delete;
  // 64 bytes: r and s, each 32 bytes big-endian.
  std::string signRaw(std::string_view data) const;
  std::string publicKeyPem() const;

 private:
  explicit Es256Signer(void* key) : key_(key) {}
  void* key_;  // EVP_PKEY*
};

// header.claims.signature, all base64url.
std::string makeJwt(const Es256Signer& signer, std::string_view keyName, int64_t nowSec,
                    int64_t expirySec, std::string_view uri, std::string_view nonce);

// Raw r||s ES256 signature check against a public key PEM.
bool verifyEs256(const std::string& publicKeyPem, std::string_view data, std::string_view raw64);

// What a server (the emulator) demands of a token.
struct JwtExpectation {
  std::string keyName;  // kid and sub
  std::string uri;      // "" = a WebSocket token: must carry no uri
  int64_t nowSec = 0;
  int64_t maxLifetimeSec = 120;
  int64_t leewaySec = 5;  // clock skew allowed on nbf
};
// "" when the token is good, else why not ("expired", "uri mismatch: ...").
std::string verifyJwt(std::string_view token, const std::string& publicKeyPem,
                      const JwtExpectation& expect);

// A fresh EC P-256 private key as SEC1 PEM, for tests and the emulator's
// demo: no key is ever shipped in the repository.
std::string generateEcPrivateKeyPem();

}  // namespace fixgw::coinbase
