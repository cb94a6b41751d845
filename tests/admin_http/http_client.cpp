#include "tests/admin_http/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace fixgw::testing {

int connectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

namespace {

// Parses what has arrived; true once a complete response is there.
bool parse(const std::string& in, HttpReply& r) {
  auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  r.headers.clear();
  size_t lineEnd = in.find("\r\n");
  std::string status = in.substr(0, lineEnd);
  auto sp = status.find(' ');
  r.status = sp == std::string::npos ? 0 : std::atoi(status.c_str() + sp + 1);
  size_t p = lineEnd + 2;
  while (p < end) {
    size_t e = in.find("\r\n", p);
    std::string h = in.substr(p, e - p);
    auto c = h.find(':');
    if (c != std::string::npos) {
      std::string k = h.substr(0, c);
      for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string v = h.substr(c + 1);
      while (!v.empty() && v[0] == ' ') v.erase(0, 1);
      r.headers[k] = v;
    }
    p = e + 2;
  }
  auto cl = r.headers.find("content-length");
  if (cl == r.headers.end()) return false;  // read to close
  size_t n = static_cast<size_t>(std::atoll(cl->second.c_str()));
  if (in.size() < end + 4 + n) return false;
  r.body = in.substr(end + 4, n);
  return true;
}

}  // namespace

HttpReply rawHttp(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
  HttpReply r;
  int fd = connectLoopback(port);
  if (fd < 0) return r;
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may refuse early (413): read its answer anyway
    off += static_cast<size_t>(n);
  }
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  bool closed = false;
  while (!parse(in, r)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      closed = true;
      break;
    }
    in.append(buf, static_cast<size_t>(n));
  }
  if (closed && r.status == 0 && in.find("\r\n\r\n") != std::string::npos) {
    parse(in, r);
    r.body = in.substr(in.find("\r\n\r\n") + 4);
  }
  ::close(fd);
  return r;
}

HttpReply http(int port, const std::string& method, const std::string& path,
               const std::string& token, const std::string& body) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  return rawHttp(port, req);
}

}  // namespace fixgw::testing
