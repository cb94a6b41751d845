// Logon authentication for FIX sessions: Username (553) / Password (554)
// checked against PBKDF2-HMAC-SHA256 hashes (OpenSSL) with a per-user salt
// and iteration count, read from a credentials file (never from the repo),
// plus a throttle on repeated failures by peer address and by CompID.
//
// Credentials file: one user per line, '#' starts a comment:
//   <username>:pbkdf2-sha256:<iterations>:<salt hex>:<hash hex>
// makeCredentialLine() (and the fixgw-passwd tool) produce such a line.
//
// Thread-safety: CredentialStore is immutable after load() and may be read
// from any thread. LogonThrottle locks internally.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fixgw::fix {

class CredentialStore {
 public:
  // Throws std::runtime_error naming the file and line of a bad entry (the
  // text of the line is not repeated: it holds a hash).
  static CredentialStore load(const std::string& path);
  static CredentialStore parse(const std::string& text, const std::string& origin);
  bool hasUser(const std::string& user) const { return users_.count(user) != 0; }
  // Constant-time comparison of the derived key; false for an unknown user
  // (after spending the same work, so timing does not reveal which).
  bool verify(const std::string& user, const std::string& password) const;
  size_t size() const { return users_.size(); }

 private:
  struct Entry {
    int iterations = 0;
    std::vector<unsigned char> salt, hash;
  };
  std::map<std::string, Entry> users_;
};

// "<user>:pbkdf2-sha256:<iterations>:<salt>:<hash>" with a fresh random salt.
// Throws std::invalid_argument for a user name with ':' or whitespace, or
// iterations < 1000.
std::string makeCredentialLine(const std::string& user, const std::string& password,
                               int iterations = 210'000);

// Counts failed logons per key (an address, a CompID) in a sliding window;
// a key with maxFailures failures in the window is blocked until the oldest
// one ages out. A success clears the key.
class LogonThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  LogonThrottle(int maxFailures, std::chrono::milliseconds window)
      : max_(maxFailures), window_(window) {}
  bool blocked(const std::string& key, Clock::time_point now = Clock::now());
  void failure(const std::string& key, Clock::time_point now = Clock::now());
  void success(const std::string& key);

 private:
  void prune(std::vector<Clock::time_point>& v, Clock::time_point now);
  std::mutex mu_;
  int max_;
  std::chrono::milliseconds window_;
  std::map<std::string, std::vector<Clock::time_point>> failures_;
};

}  // namespace fixgw::fix
