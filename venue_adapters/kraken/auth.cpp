#include "venue_adapters/kraken/auth.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fixgw::kraken {

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64Decode(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return std::nullopt;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
      return std::nullopt;
  std::string out(3 * s.size() / 4, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes: drop them.
  size_t pad = 0;
  if (s.back() == '=') ++pad;
  if (s.size() > 1 && s[s.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::optional<std::string> apiSign(std::string_view uriPath, std::string_view nonce,
                                   std::string_view postBody, std::string_view secretB64) {
  auto key = base64Decode(secretB64);
  if (!key) return std::nullopt;
  std::string inner(nonce);
  inner.append(postBody);
  unsigned char sha[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(inner.data()), inner.size(), sha);
  std::string msg(uriPath);
  msg.append(reinterpret_cast<const char*>(sha), sizeof sha);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha512(), key->data(), static_cast<int>(key->size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  return base64Encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

bool verifyApiSign(std::string_view uriPath, std::string_view nonce, std::string_view postBody,
                   std::string_view secretB64, std::string_view given) {
  auto want = apiSign(uriPath, nonce, postBody, secretB64);
  if (!want || want->size() != given.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned>((*want)[i] ^ given[i]);
  return diff == 0;
}

NonceSource::NonceSource(std::string file, const Clock& clock, int64_t reserve)
    : file_(std::move(file)), clock_(clock), reserve_(static_cast<uint64_t>(reserve)) {
  std::ifstream in(file_);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
      throw std::runtime_error("nonce file '" + file_ + "': not a number ('" + s + "')");
    // Everything below the mark may have been sent before the restart.
    last_ = v;
    persisted_ = v;
  }
}

uint64_t NonceSource::next() {
  std::lock_guard lk(mu_);
  const uint64_t clockUs = static_cast<uint64_t>(clock_.wallNow() / 1'000);
  uint64_t n = std::max(last_ + 1, clockUs);
  if (n >= persisted_) persist(n + reserve_);
  last_ = n;
  return n;
}

void NonceSource::jump(uint64_t step) {
  std::lock_guard lk(mu_);
  last_ += step;
  if (last_ >= persisted_) persist(last_ + reserve_);
}

uint64_t NonceSource::last() const {
  std::lock_guard lk(mu_);
  return last_;
}

void NonceSource::persist(uint64_t mark) {
  // Write a temporary, fsync, rename over the file, fsync the directory: a
  // crash leaves the old mark or the new one, never a torn one.
  std::string tmp = file_;
  tmp.append(".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    throw std::runtime_error("nonce file '" + tmp + "': cannot write: " + std::strerror(errno));
  std::string text = std::to_string(mark);
  text.push_back('\n');
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file_.c_str()) != 0)
    throw std::runtime_error("nonce file '" + file_ + "': cannot persist: " + std::strerror(errno));
  const size_t slash = file_.rfind('/');
  std::string dir = slash == std::string::npos ? std::string(".")
                    : slash == 0               ? std::string("/")
                                               : file_.substr(0, slash);
  if (int d = ::open(dir.c_str(), O_RDONLY); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  persisted_ = mark;
}

}  // namespace fixgw::kraken
