// Kraken REST request signing and nonces.
//
// API-Sign = base64(HMAC-SHA512(key = base64decode(secret),
//                               msg = uri_path + SHA256(nonce + POST body)))
// as Kraken documents it (the URI path is the part from "/0/private"); the
// nonce is also the body's `nonce` parameter. OpenSSL computes the hashes.
//
// NonceSource hands out strictly increasing nonces that survive restarts and
// crashes: it durably writes a high-water mark (a reserved block ahead of
// what it hands out) to a file before using any nonce below it, so after a
// crash it starts above everything it may have sent. Nonces are also never
// below the wall clock in microseconds, so a lost file still starts high.
//
// Thread-safety: the free functions are pure; NonceSource is safe from any
// thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace fixgw::kraken {

std::string base64Encode(std::string_view bytes);
// nullopt when s is not valid base64 (padding required, as Kraken issues).
std::optional<std::string> base64Decode(std::string_view s);

// API-Sign for one request; nullopt when the secret is not base64.
std::optional<std::string> apiSign(std::string_view uriPath, std::string_view nonce,
                                   std::string_view postBody, std::string_view secretB64);

// What the venue does (used by the emulator): recomputes and compares in
// constant time.
bool verifyApiSign(std::string_view uriPath, std::string_view nonce, std::string_view postBody,
                   std::string_view secretB64, std::string_view given);

class NonceSource {
 public:
  // Reads the high-water mark from file (absent: starts from the clock).
  // Throws std::runtime_error naming the file when it exists but is not a
  // number, or cannot be written.
  NonceSource(std::string file, const Clock& clock, int64_t reserve);
  // The next nonce, strictly above every one handed out before (also before
  // a restart). Throws std::runtime_error when the mark cannot be persisted:
  // sending with an undurable nonce could reuse it after a crash.
  uint64_t next();
  // After EAPI:Invalid nonce (someone used a higher nonce with this key, or
  // the venue's view moved): jump ahead by `step` and persist.
  void jump(uint64_t step);
  uint64_t last() const;
  const std::string& file() const { return file_; }

 private:
  void persist(uint64_t mark);
  std::string file_;
  const Clock& clock_;
  uint64_t reserve_;
  mutable std::mutex mu_;
  uint64_t last_ = 0;
  uint64_t persisted_ = 0;  // every nonce handed out is below this
};

}  // namespace fixgw::kraken
