#include "fix_acceptor/logon_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace fixgw::fix {

namespace {

constexpr const char* kScheme = "pbkdf2-sha256";
constexpr size_t kHashLen = 32;

std::vector<unsigned char> derive(const std::string& password,
                                  const std::vector<unsigned char>& salt, int iterations,
                                  size_t len) {
  std::vector<unsigned char> out(len);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(len), out.data()) != 1)
    throw std::runtime_error("PBKDF2 failed in OpenSSL");
  return out;
}

std::string toHex(const std::vector<unsigned char>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

std::optional<std::vector<unsigned char>> fromHex(const std::string& s) {
  if (s.empty() || s.size() % 2) return std::nullopt;
  std::vector<unsigned char> out;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); i += 2) {
    int h = val(s[i]), l = val(s[i + 1]);
    if (h < 0 || l < 0) return std::nullopt;
    out.push_back(static_cast<unsigned char>(h * 16 + l));
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

CredentialStore CredentialStore::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read credentials file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

CredentialStore CredentialStore::parse(const std::string& text, const std::string& origin) {
  CredentialStore out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = origin + ":" + std::to_string(n);
    auto parts = split(line, ':');
    if (parts.size() != 5)
      throw std::runtime_error(where + ": expected <user>:" + kScheme +
                               ":<iterations>:<salt hex>:<hash hex>");
    if (parts[0].empty()) throw std::runtime_error(where + ": empty user name");
    if (parts[1] != kScheme)
      throw std::runtime_error(where + ": unsupported scheme '" + parts[1] + "' (expected " +
                               kScheme + ")");
    Entry e;
    try {
      size_t used = 0;
      e.iterations = std::stoi(parts[2], &used);
      if (used != parts[2].size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw std::runtime_error(where + ": iterations is not a number");
    }
    if (e.iterations < 1000) throw std::runtime_error(where + ": iterations must be >= 1000");
    auto salt = fromHex(parts[3]);
    if (!salt || salt->size() < 8)
      throw std::runtime_error(where + ": salt must be >= 8 hex bytes");
    auto hash = fromHex(parts[4]);
    if (!hash || hash->size() != kHashLen)
      throw std::runtime_error(where + ": hash must be 32 bytes of hex");
    e.salt = std::move(*salt);
    e.hash = std::move(*hash);
    if (!out.users_.emplace(parts[0], std::move(e)).second)
      throw std::runtime_error(where + ": duplicate user '" + parts[0] + "'");
  }
  return out;
}

bool CredentialStore::verify(const std::string& user, const std::string& password) const {
  auto it = users_.find(user);
  if (it == users_.end()) {
    // Same work for an unknown user: the answer time does not reveal it.
    static const std::vector<unsigned char> dummySalt(16, 0x5a);
    const int iters = users_.empty() ? 1000 : users_.begin()->second.iterations;
    (void)derive(password, dummySalt, iters, kHashLen);
    return false;
  }
  const Entry& e = it->second;
  auto got = derive(password, e.salt, e.iterations, e.hash.size());
  return CRYPTO_memcmp(got.data(), e.hash.data(), got.size()) == 0;
}

std::string makeCredentialLine(const std::string& user, const std::string& password,
                               int iterations) {
  if (user.empty() || std::any_of(user.begin(), user.end(), [](char c) {
        return c == ':' || c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
      }))
    throw std::invalid_argument("user name must be non-empty without ':', '#' or whitespace");
  if (iterations < 1000) throw std::invalid_argument("iterations must be >= 1000");
  std::vector<unsigned char> salt(16);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  auto hash = derive(password, salt, iterations, kHashLen);
  return user + ":" + kScheme + ":" + std::to_string(iterations) + ":" + toHex(salt) + ":" +
         toHex(hash);
}

void LogonThrottle::prune(std::vector<Clock::time_point>& v, Clock::time_point now) {
  v.erase(std::remove_if(v.begin(), v.end(), [&](auto t) { return now - t >= window_; }), v.end());
}

bool LogonThrottle::blocked(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return false;
  prune(it->second, now);
  if (it->second.empty()) {
    failures_.erase(it);
    return false;
  }
  return static_cast<int>(it->second.size()) >= max_;
}

void LogonThrottle::failure(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  // Many addresses failing once each must not grow the map without bound.
  if (failures_.size() > 10'000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
  }
  auto& v = failures_[key];
  prune(v, now);
  v.push_back(now);
  // Bound memory per key: only the last max_ failures matter.
  if (static_cast<int>(v.size()) > max_) v.erase(v.begin(), v.end() - max_);
}

void LogonThrottle::success(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

}  // namespace fixgw::fix
