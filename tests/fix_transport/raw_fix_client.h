// A raw FIX client for the transport tests: a blocking POSIX socket (bound
// to a chosen loopback source address when asked), optionally wrapped in an
// OpenSSL TLS client, that sends hand-built bytes — valid FIX, garbage,
// oversized or never-finished messages — and reads whole FIX frames back
// with a timeout. QuickFIX's initiator cannot do any of that (no source
// address, no TLS in Debian's build, no malformed frames).
//
// Thread-safety: one test thread per client.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fixgw::testing {

// One FIX message with BodyLength and CheckSum computed; SendingTime now.
inline std::string fixMessage(const std::string& begin, const std::string& sender,
                              const std::string& target, int seq, const std::string& msgType,
                              const std::vector<std::pair<int, std::string>>& body) {
  char ts[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(ts, sizeof ts, "%Y%m%d-%H:%M:%S.000", &tm);
  std::string b = "35=" + msgType + "\x01" + "49=" + sender + "\x01" + "56=" + target + "\x01" +
                  "34=" + std::to_string(seq) + "\x01" + "52=" + ts + "\x01";
  for (const auto& [t, v] : body) b += std::to_string(t) + "=" + v + "\x01";
  std::string m = "8=" + begin + "\x01" + "9=" + std::to_string(b.size()) + "\x01" + b;
  unsigned sum = 0;
  for (unsigned char c : m) sum += c;
  char cs[8];
  std::snprintf(cs, sizeof cs, "%03u", sum % 256);
  return m + "10=" + cs + "\x01";
}

// A Logon with ResetSeqNumFlag=Y and optional credentials.
inline std::string fixLogon(const std::string& begin, const std::string& client,
                            const std::string& gateway, std::optional<std::string> user = {},
                            std::optional<std::string> password = {}) {
  std::vector<std::pair<int, std::string>> body{{98, "0"}, {108, "30"}, {141, "Y"}};
  if (user) body.emplace_back(553, *user);
  if (password) body.emplace_back(554, *password);
  return fixMessage(begin, client, gateway, 1, "A", body);
}

// The value of tag in a raw message ("" when absent).
inline std::string tagOf(const std::string& raw, int tag) {
  const std::string needle = "\x01" + std::to_string(tag) + "=";
  size_t p = ("\x01" + raw).find(needle);
  if (p == std::string::npos) return {};
  p += needle.size() - 1;
  size_t e = raw.find('\x01', p);
  return raw.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

class RawFixClient {
 public:
  // Connects to host:port from source (empty: the kernel's choice). On
  // failure connected() is false and error() holds errno.
  RawFixClient(const std::string& host, int port, const std::string& source = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) {
      err_ = errno;
      return;
    }
    if (!source.empty()) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      ::inet_pton(AF_INET, source.c_str(), &src.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
        err_ = errno;
        return;
      }
    }
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &dst.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
      err_ = errno;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connected_ = true;
  }
  ~RawFixClient() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  RawFixClient(const RawFixClient&) = delete;
  RawFixClient& operator=(const RawFixClient&) = delete;

  bool connected() const { return connected_; }
  int error() const { return err_; }

  // Client-side TLS handshake; ctx belongs to the caller. false + reason on failure.
  bool startTls(SSL_CTX* ctx, std::string* why = nullptr) {
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    if (SSL_connect(ssl_) != 1) {
      if (why) {
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
        *why = buf;
      }
      return false;
    }
    return true;
  }

  bool send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ssl_ ? SSL_write(ssl_, bytes.data() + off, static_cast<int>(bytes.size() - off))
                       : ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // The next whole FIX frame, or nullopt on timeout or when the peer closed
  // (then closed() is true).
  std::optional<std::string> read(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto m = takeFrame()) return m;
      if (closed_ || !fill(deadline)) return std::nullopt;
    }
  }

  // Reads frames until one has MsgType type; nullopt on timeout/close.
  std::optional<std::string> readType(const std::string& type, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto m = read(left);
      if (!m) return std::nullopt;
      if (tagOf(*m, 35) == type) return m;
    }
    return std::nullopt;
  }

  // True once the peer has closed the connection (EOF or reset) within timeout.
  bool waitClosed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
      if (!fill(deadline)) return closed_;
    }
    return true;
  }
  bool closed() const { return closed_; }

 private:
  std::optional<std::string> takeFrame() {
    const size_t p = buf_.find(
        "\x01"
        "10=");
    if (p == std::string::npos || buf_.size() < p + 8) return std::nullopt;
    std::string m = buf_.substr(0, p + 8);
    buf_.erase(0, p + 8);
    return m;
  }

  // One read; false on timeout or close.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (!(ssl_ && SSL_pending(ssl_) > 0)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r <= 0) return false;
    }
    char tmp[16384];
    ssize_t n = ssl_ ? SSL_read(ssl_, tmp, sizeof tmp) : ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  int err_ = 0;
  bool connected_ = false;
  bool closed_ = false;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

}  // namespace fixgw::testing
